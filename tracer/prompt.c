/* SPDX-License-Identifier: MIT */
/*
 * Questions to the user (#6).  A call whose verdict asks waits on a pool
 * thread (notify.c) while one question at a time is shown on proctor's
 * terminal; every question is also offered on the approval socket
 * (approve.c), and the first answer counts.  "For this run" and "always"
 * answers settle the matching questions still waiting, and the ones that
 * come later; "always" is saved to the user's answers file too.
 *
 * The terminal is the user's, shared with the program, so while a
 * question is on it:
 * - the program's tree is held still (SIGSTOP to every process, SIGCONT
 *   after): nothing can draw over the question or read the keys, even a
 *   program that blocks SIGTTOU;
 * - proctor's process group has the terminal's foreground, with TOSTOP
 *   set: a process that touches the terminal anyway stops (SIGTTIN,
 *   SIGTTOU) until the question is answered;
 * - input typed before the question is discarded (tcflush), so neither
 *   type-ahead nor bytes pushed with TIOCSTI (refused by the filter
 *   anyway) can answer it;
 * - every string shown is stripped of control, escape and bidi bytes.
 * (THREATS.md 19 and 20.)
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "tracer/tracer.h"

enum answer {
	ANS_NONE,
	ANS_ALLOW_ONCE,
	ANS_ALLOW_RUN,
	ANS_ALLOW_ALWAYS,
	ANS_DENY_ONCE,
	ANS_DENY_ALWAYS,
	ANS_N,
};

/* The answers, their protocol names and their keys on the terminal. */
static const struct {
	const char *name;
	char key;
	const char *label;
} answers[ANS_N] = {
	[ANS_ALLOW_ONCE] = { "allow-once", 'y', "allow once" },
	[ANS_ALLOW_RUN] = { "allow-run", 'r', "allow for this run" },
	[ANS_ALLOW_ALWAYS] = { "allow-always", 'A', "allow always" },
	[ANS_DENY_ONCE] = { "deny-once", 'n', "deny once" },
	[ANS_DENY_ALWAYS] = { "deny-always", 'D', "deny always" },
};

#define RECENT 16 /* answers the terminal may not have seen yet */

struct question {
	struct tracer_ask_facts f;
	char *key; /* what "for this run" answers match */
	enum answer answer;
	const char *by;
	bool has_deadline;
	struct timespec deadline;
	struct question *next;
};

/* An answer that holds for the rest of the run. */
struct run_answer {
	char *key;
	enum answer answer;
	struct run_answer *next;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t changed; /* an answer or a deadline: for waiters */
	pthread_cond_t more;	/* a new question: for the terminal */
	struct question *head;
	uint64_t next_id;
	struct run_answer *run;
	struct {
		uint64_t id;
		enum answer answer;
		const char *by;
	} recent[RECENT];
	unsigned n_recent;

	struct tracer_sup *sup;
	struct rules_prompt settings;
	int timeout;
	bool tty, socket;
	int wake[2]; /* wakes the terminal's poll */
} ask = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.more = PTHREAD_COND_INITIALIZER,
	.wake = { -1, -1 },
};

int (*tracer_prompt_stack)(pid_t tid, char *out, size_t size);

static const char *answer_name(enum answer a)
{
	return a > ANS_NONE && a < ANS_N ? answers[a].name : "none";
}

static bool allows(enum answer a)
{
	return a == ANS_ALLOW_ONCE || a == ANS_ALLOW_RUN ||
	       a == ANS_ALLOW_ALWAYS;
}

static bool lasts(enum answer a)
{
	return a == ANS_ALLOW_RUN || a == ANS_ALLOW_ALWAYS ||
	       a == ANS_DENY_ALWAYS;
}

bool tracer_prompt_askable(const struct tracer_sup *s,
			   const struct rules_verdict *v)
{
	/* proctor's own limits and malformed input are never a question */
	if (!strcmp(v->origin, "proctor") || !strcmp(v->origin, "rules"))
		return false;
	if (v->action == RULES_ASK)
		return true;
	return s->o->ask_defaults && v->is_default && v->action == RULES_DENY;
}

static void wake_terminal(void)
{
	char c = 1;

	if (ask.wake[1] >= 0 && write(ask.wake[1], &c, 1) < 0) {
		/* full: it is awake already */
	}
}

/* ---- questions and answers ----------------------------------------------- */

/*
 * What a question is about: the class, the object, and for a command
 * its whole argv.  Two calls with the same key get the same answer.
 */
static char *make_key(const struct tracer_req *r)
{
	size_t len = strlen(r->object) + 16, i;
	char *k;

	for (i = 0; i < r->ev.argc; i++)
		len += strlen(r->ev.argv[i]) + 1;
	k = malloc(len);
	if (!k)
		return NULL;
	snprintf(k, len, "%d\x01%s", r->ev.cls, r->object);
	for (i = 0; i < r->ev.argc; i++) {
		strcat(k, "\x01");
		strcat(k, r->ev.argv[i]);
	}
	return k;
}

/* Called with the lock held. */
static bool run_answer(const char *key, enum answer *a)
{
	struct run_answer *ra;

	for (ra = ask.run; ra; ra = ra->next) {
		if (!strcmp(ra->key, key)) {
			*a = ra->answer;
			return true;
		}
	}
	return false;
}

/* Called with the lock held. */
static void remember(const char *key, enum answer a)
{
	struct run_answer *ra = calloc(1, sizeof(*ra));

	if (!ra || !(ra->key = strdup(key))) {
		free(ra); /* no memory: the next one is asked again */
		return;
	}
	ra->answer = a;
	ra->next = ask.run;
	ask.run = ra;
}

static void note_recent(uint64_t id, enum answer a, const char *by)
{
	unsigned i = ask.n_recent++ % RECENT;

	ask.recent[i].id = id;
	ask.recent[i].answer = a;
	ask.recent[i].by = by;
}

/*
 * Answers q, and with a lasting answer every waiting question with the
 * same key.  Called with the lock held; tells the approval clients after.
 */
static void settle_locked(struct question *q, enum answer a, const char *by,
			  uint64_t *done, size_t *n_done, size_t max)
{
	struct question *o;

	q->answer = a;
	q->by = by;
	note_recent(q->f.id, a, by);
	if (*n_done < max)
		done[(*n_done)++] = q->f.id;
	if (lasts(a)) {
		remember(q->key, a);
		for (o = ask.head; o; o = o->next) {
			if (o->answer || strcmp(o->key, q->key))
				continue;
			o->answer = a;
			o->by = "this run";
			note_recent(o->f.id, a, o->by);
			if (*n_done < max)
				done[(*n_done)++] = o->f.id;
		}
	}
	pthread_cond_broadcast(&ask.changed);
}

static struct question *find(uint64_t id)
{
	struct question *q;

	for (q = ask.head; q; q = q->next)
		if (q->f.id == id)
			return q;
	return NULL;
}

static void tell_clients(const uint64_t *ids, size_t n)
{
	enum answer a = ANS_NONE;
	const char *by = NULL;
	size_t i;
	unsigned j;

	for (i = 0; i < n; i++) {
		pthread_mutex_lock(&ask.lock);
		for (j = 0; j < RECENT; j++)
			if (ask.recent[j].id == ids[i]) {
				a = ask.recent[j].answer;
				by = ask.recent[j].by;
			}
		pthread_mutex_unlock(&ask.lock);
		if (by)
			tracer_approve_answered(ids[i], answer_name(a), by);
	}
	wake_terminal();
}

int tracer_prompt_answer(uint64_t id, const char *name, const char *by)
{
	uint64_t done[64];
	size_t n = 0;
	struct question *q;
	int a, rc = 0;

	for (a = ANS_ALLOW_ONCE; a < ANS_N; a++)
		if (!strcmp(name, answers[a].name))
			break;
	if (a == ANS_N)
		return -EINVAL;
	pthread_mutex_lock(&ask.lock);
	q = find(id);
	if (!q || q->answer)
		rc = -ENOENT;
	else
		settle_locked(q, a, by, done, &n, 64);
	pthread_mutex_unlock(&ask.lock);
	tell_clients(done, n);
	return rc;
}

void tracer_prompt_each(void (*fn)(const struct tracer_ask_facts *, void *),
			void *arg)
{
	struct question *q;

	pthread_mutex_lock(&ask.lock);
	for (q = ask.head; q; q = q->next)
		if (!q->answer)
			fn(&q->f, arg);
	pthread_mutex_unlock(&ask.lock);
}

/* ---- what a question says ---------------------------------------------------
 */

static void join_words(char *out, size_t size, const char *const *w, size_t n)
{
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < n && o + 1 < size; i++)
		o += snprintf(out + o, size - o, "%s%s", i ? " " : "", w[i]);
}

static void describe_rule(char *out, size_t size, const struct tracer_req *r)
{
	const struct rules_verdict *v = &r->verdict;

	if (v->is_default)
		snprintf(out, size,
			 "%s: %s by default (%s); asked because of "
			 "--ask",
			 v->where, rules_action_name(v->action), v->origin);
	else
		snprintf(out, size, "%s \"%s\" (%s)", v->where, v->pattern,
			 v->origin);
}

static void fill_facts(struct tracer_ask_facts *f, const struct tracer_req *r)
{
	struct tracer_who w;

	tracer_proc_who(r->tid, &w);
	f->pid = w.tgid;
	f->tid = r->tid;
	memcpy(f->comm, w.comm, sizeof(f->comm));
	snprintf(f->cmdline, sizeof(f->cmdline), "%s", w.cmdline);
	snprintf(f->what, sizeof(f->what), "%s", rules_class_name(r->ev.cls));
	snprintf(f->object, sizeof(f->object), "%s", r->object);
	if (r->ev.argv)
		join_words(f->command, sizeof(f->command), r->ev.argv,
			   r->ev.argc);
	describe_rule(f->rule, sizeof(f->rule), r);
	if (r->ev.cls == RULES_EXEC && r->verdict.grant)
		rules_grant_describe(r->verdict.grant, f->grant,
				     sizeof(f->grant));
	f->timeout = ask.timeout;
}

/* ---- the terminal
 * ------------------------------------------------------------ */

struct text {
	char s[16384];
	size_t len;
};

static void add(struct text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->len >= sizeof(t->s))
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->s + t->len, sizeof(t->s) - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len += (size_t)n < sizeof(t->s) - t->len
				  ? (size_t)n
				  : sizeof(t->s) - t->len - 1;
}

static void write_text(int fd, const struct text *t)
{
	size_t o = 0;
	ssize_t n;

	while (o < t->len) {
		n = write(fd, t->s + o, t->len - o);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		o += n;
	}
}

static const char *verb(const char *what)
{
	if (!strcmp(what, "read"))
		return "READ";
	if (!strcmp(what, "write"))
		return "WRITE";
	if (!strcmp(what, "exec"))
		return "RUN";
	if (!strcmp(what, "connect"))
		return "CONNECT TO";
	return "DO";
}

/*
 * The question.  Every string from the program goes through
 * tracer_printable_ex: an escape sequence in a file name is shown as
 * "\x1b[2J", not obeyed.  A line of its own starts it, so a half-written
 * line of the program's cannot run into it.
 */
void tracer_prompt_render(int fd, const struct tracer_ask_facts *f, int index,
			  int count)
{
	static __thread char a[4200], b[1100], c[720];
	static __thread struct text t;
	char comm[80];

	t.len = 0;
	tracer_printable_ex(comm, sizeof(comm), f->comm[0] ? f->comm : "?",
			    TRACER_PRINT_ESCAPE);
	tracer_printable_ex(b, sizeof(b), f->cmdline, TRACER_PRINT_ESCAPE);
	add(&t, "\r\n=== proctor asks (question %d of %d, #%llu) ===\r\n",
	    index, count, (unsigned long long)f->id);
	add(&t, "  program:  %s (pid %d): %s\r\n", comm, f->pid, b);
	if (f->command[0]) {
		tracer_printable_ex(b, sizeof(b), f->command,
				    TRACER_PRINT_ESCAPE);
		tracer_printable_ex(a, sizeof(a), f->object,
				    TRACER_PRINT_ESCAPE);
		add(&t, "  wants to: RUN %s\r\n            (%s)\r\n", b, a);
	} else {
		tracer_printable_ex(a, sizeof(a), f->object,
				    TRACER_PRINT_ESCAPE);
		add(&t, "  wants to: %s %s\r\n", verb(f->what), a);
	}
	tracer_printable_ex(c, sizeof(c), f->rule, TRACER_PRINT_ESCAPE);
	add(&t, "  rule:     %s\r\n", c);
	if (f->grant[0]) {
		tracer_printable_ex(c, sizeof(c), f->grant,
				    TRACER_PRINT_ESCAPE);
		add(&t, "  grant:    %s, for it and what it starts\r\n", c);
	}
	if (f->timeout)
		add(&t, "  (no answer in %d s: deny)\r\n", f->timeout);
	add(&t, "  [y] allow once  [r] allow for this run  [A] allow always\r\n"
		"  [n] deny once   [D] deny always         [i] details\r\n"
		"proctor> ");
	write_text(fd, &t);
}

/* The parent chain, and a stack when a module (#4) provides one. */
static void render_details(int fd, const struct tracer_ask_facts *f)
{
	static __thread struct text t;
	struct tracer_who w;
	char line[600], sys[256];
	pid_t pid = f->pid;
	int i, n;

	t.len = 0;
	add(&t, "\r\n  process chain (the asking one first):\r\n");
	for (i = 0; i < 16 && pid > 0 && tracer_proc_in_tree(pid); i++) {
		tracer_proc_who(pid, &w);
		tracer_printable_ex(line, sizeof(line), w.cmdline,
				    TRACER_PRINT_ESCAPE);
		add(&t, "    %d  %s\r\n", pid, line);
		pid = w.ppid;
	}
	add(&t, "    %d  proctor\r\n", getpid());
	line[0] = '\0';
	if (tracer_prompt_stack &&
	    tracer_prompt_stack(f->tid, line, sizeof(line)) == 0) {
		add(&t, "  stack of thread %d:\r\n%s\r\n", f->tid, line);
	} else {
		/* TODO(#4): a stack, unwound while the thread waits */
		snprintf(line, sizeof(line), "/proc/%d/syscall", f->tid);
		n = open(line, O_RDONLY | O_CLOEXEC);
		i = n >= 0 ? (int)read(n, sys, sizeof(sys) - 1) : -1;
		if (n >= 0)
			close(n);
		sys[i > 0 ? i : 0] = '\0';
		sys[strcspn(sys, "\n")] = '\0';
		tracer_printable(line, sizeof(line), sys);
		add(&t, "  thread %d: no stack yet; /proc/%d/syscall: %s\r\n",
		    f->tid, f->tid, line[0] ? line : "?");
	}
	add(&t, "proctor> ");
	write_text(fd, &t);
}

struct pidset {
	pid_t *v;
	size_t n, cap;
};

/*
 * The processes the prompt stopped (held, to continue them after) and
 * the stops it still expects to hear of from the ptrace thread.
 */
static struct {
	pthread_mutex_t lock;
	struct pidset held, expect;
	bool frozen;		/* the tree is held still */
	struct timespec thawed; /* when it was let go */
	bool holding;		/* a question holds the terminal */
	struct termios saved;	/* the terminal's settings before it */
	pid_t saved_pgrp;	/* and its foreground group */
} hold = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void pid_add(struct pidset *s, pid_t pid)
{
	pid_t *p;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i] == pid)
			return;
	if (s->n == s->cap) {
		p = realloc(s->v, (s->cap * 2 + 16) * sizeof(*p));
		if (!p)
			return;
		s->v = p;
		s->cap = s->cap * 2 + 16;
	}
	s->v[s->n++] = pid;
}

/* Every task goes in expect, each process's leader in held. */
static void collect(struct tracer_proc *p, void *arg)
{
	(void)arg;
	pid_add(&hold.expect, p->tid);
	if (p->tid == p->tgid)
		pid_add(&hold.held, p->tid);
}

static double since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) + (now.tv_nsec - t->tv_nsec) / 1e9;
}

static pid_t task_tgid(pid_t tid)
{
	struct tracer_proc *p;
	pid_t tgid = tid;

	tracer_proc_lock();
	p = tracer_proc_find(tid);
	if (p)
		tgid = p->tgid;
	tracer_proc_unlock();
	return tgid;
}

/* 'T' or 't' in /proc/TID/stat: stopped, or in a ptrace stop. */
static bool stopped(pid_t tid)
{
	char path[64], buf[512], *p;
	int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true; /* gone */
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	p = strrchr(buf, ')');
	return !p || p[1] == '\0' || p[2] == 'T' || p[2] == 't' ||
	       p[2] == 'Z' || p[2] == 'X';
}

/*
 * Stops every thread of the tree, and waits a little for them to stop: a
 * write to the terminal under way when the signal came ends before the
 * question is drawn.  The signal goes to each thread (tgkill), not to
 * the process: the kernel wakes one thread for a process's signal, and
 * one that sleeps in a read of the terminal meanwhile would wake for the
 * first key typed and take it.  The asking thread waits for us and does
 * not stop.
 */
static void freeze(pid_t asker)
{
	pid_t tgid;
	size_t i;
	int tries;

	pthread_mutex_lock(&hold.lock);
	hold.frozen = true;
	hold.held.n = 0;
	hold.expect.n = 0; /* a stop still expected was cancelled */
	tracer_proc_lock();
	tracer_proc_each(collect, NULL);
	tracer_proc_unlock();
	for (i = 0; i < hold.expect.n; i++) {
		tgid = task_tgid(hold.expect.v[i]);
		syscall(SYS_tgkill, tgid, hold.expect.v[i], SIGSTOP);
	}
	pthread_mutex_unlock(&hold.lock);

	for (tries = 0; tries < 20; tries++) {
		bool all = true;

		pthread_mutex_lock(&hold.lock);
		for (i = 0; i < hold.expect.n && all; i++)
			all = hold.expect.v[i] == asker ||
			      stopped(hold.expect.v[i]);
		pthread_mutex_unlock(&hold.lock);
		if (all)
			break;
		usleep(5000);
	}
}

static void thaw(void)
{
	size_t i;

	pthread_mutex_lock(&hold.lock);
	hold.frozen = false;
	clock_gettime(CLOCK_MONOTONIC, &hold.thawed);
	for (i = 0; i < hold.held.n; i++)
		kill(hold.held.v[i], SIGCONT);
	hold.held.n = 0;
	pthread_mutex_unlock(&hold.lock);
}

/*
 * Called by the ptrace thread for each group-stop.  Our own SIGSTOP, or
 * a SIGTTIN/SIGTTOU while the terminal is ours, is the prompt's doing:
 * such a process is continued when the question is answered, or at once
 * when the stop is reported just after the answer (a SIGCONT that came
 * before the stop does not undo it; a thread may report more than one
 * stop, one per SIGSTOP it took).
 */
bool tracer_prompt_own_stop(pid_t pid, int sig)
{
	bool ours = false;
	size_t i;

	pthread_mutex_lock(&hold.lock);
	if (hold.holding && (sig == SIGTTIN || sig == SIGTTOU)) {
		pid_add(&hold.held, pid);
		ours = true;
	}
	for (i = 0; !ours && sig == SIGSTOP && i < hold.expect.n; i++)
		ours = hold.expect.v[i] == pid &&
		       (hold.frozen || since(&hold.thawed) < 2);
	if (ours && sig == SIGSTOP && !hold.frozen)
		kill(pid, SIGCONT);
	pthread_mutex_unlock(&hold.lock);
	return ours;
}

/*
 * Takes the terminal for a question: the tree stops, proctor's group
 * gets the foreground, keys come one by one and unechoed, a program
 * that touches the terminal stops (TOSTOP), and what was typed before
 * is thrown away.
 */
static void take_terminal(int tty, pid_t asker)
{
	struct termios raw;

	freeze(asker);
	pthread_mutex_lock(&hold.lock);
	hold.saved_pgrp = tcgetpgrp(tty);
	if (tcgetattr(tty, &hold.saved) == 0) {
		raw = hold.saved;
		raw.c_lflag &= ~(ICANON | ECHO | ISIG | IEXTEN);
		raw.c_lflag |= TOSTOP;
		raw.c_iflag &= ~(IXON | ICRNL);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		tracer_job_give_terminal(getpgrp());
		tcsetattr(tty, TCSANOW, &raw);
	}
	tcflush(tty, TCIFLUSH);
	hold.holding = true;
	pthread_mutex_unlock(&hold.lock);
}

static void give_back_terminal(int tty)
{
	pthread_mutex_lock(&hold.lock);
	if (hold.holding) {
		tcsetattr(tty, TCSANOW, &hold.saved);
		if (hold.saved_pgrp > 0)
			tracer_job_give_terminal(hold.saved_pgrp);
		hold.holding = false;
	}
	pthread_mutex_unlock(&hold.lock);
	thaw();
}

void tracer_prompt_stop(void)
{
	int tty = tracer_job_tty();

	if (tty >= 0)
		give_back_terminal(tty);
}

/* The first question not yet answered, and how many wait. */
static bool next_question(struct tracer_ask_facts *f, int *count)
{
	struct question *q;
	bool found = false;

	*count = 0;
	for (q = ask.head; q; q = q->next) {
		if (q->answer)
			continue;
		if (!found)
			*f = q->f;
		found = true;
		++*count;
	}
	return found;
}

/* How question id ended, if it did; called with the lock held. */
static bool ended(uint64_t id, enum answer *a, const char **by)
{
	struct question *q = find(id);
	unsigned i;

	if (q && !q->answer)
		return false;
	*a = ANS_NONE;
	*by = "elsewhere";
	for (i = 0; i < RECENT; i++) {
		if (ask.recent[i].id == id) {
			*a = ask.recent[i].answer;
			*by = ask.recent[i].by;
		}
	}
	return true;
}

static void say(int tty, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(int tty, const char *fmt, ...)
{
	struct text t = { .len = 0 };
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(t.s, sizeof(t.s), fmt, ap);
	va_end(ap);
	t.len = n > 0 ? (size_t)n : 0;
	write_text(tty, &t);
}

/* The answer a key gives, or ANS_NONE. */
static enum answer key_answer(char c)
{
	int a;

	for (a = ANS_ALLOW_ONCE; a < ANS_N; a++)
		if (answers[a].key == c)
			return a;
	return c == 3 ? ANS_DENY_ONCE : ANS_NONE; /* Ctrl-C: no */
}

const char *tracer_prompt_key_answer(char key)
{
	enum answer a = key_answer(key);

	return a == ANS_NONE ? NULL : answers[a].name;
}

/* Starts the timeout once the question is in front of the user. */
static void start_deadline(uint64_t id)
{
	struct question *q;

	if (!ask.timeout)
		return;
	pthread_mutex_lock(&ask.lock);
	q = find(id);
	if (q && !q->has_deadline) {
		clock_gettime(CLOCK_MONOTONIC, &q->deadline);
		q->deadline.tv_sec += ask.timeout;
		q->has_deadline = true;
		pthread_cond_broadcast(&ask.changed);
	}
	pthread_mutex_unlock(&ask.lock);
}

/* Handles typed bytes; -1 when the terminal is gone. */
static int on_keys(int tty, const struct tracer_ask_facts *f)
{
	char keys[32];
	ssize_t n = read(tty, keys, sizeof(keys));
	enum answer a;
	ssize_t i;

	if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
		return -1;
	for (i = 0; i < n; i++) {
		if (keys[i] == 'i' || keys[i] == '?') {
			render_details(tty, f);
			continue;
		}
		a = key_answer(keys[i]);
		if (a != ANS_NONE) {
			tracer_prompt_answer(f->id, answers[a].name,
					     "terminal");
			break; /* what follows was typed for no question */
		}
	}
	return 0;
}

/* How the question ended, on the line after it. */
static void say_outcome(int tty, enum answer a, const char *by)
{
	if (!strcmp(by, "timeout"))
		say(tty, "no answer in %d s: deny once\r\n", ask.timeout);
	else if (!strcmp(by, "terminal"))
		say(tty, "%s\r\n", answers[a].label);
	else if (!strcmp(by, "gone"))
		say(tty, "the program is gone\r\n");
	else
		say(tty, "%s (%s)\r\n", a != ANS_NONE ? answers[a].label : "?",
		    by);
}

/*
 * Shows f until it is answered here, elsewhere, or in no time.  Returns
 * -1 when the terminal is gone.
 */
static int ask_on_terminal(int tty, const struct tracer_ask_facts *f, int count)
{
	struct pollfd pfd[2] = { { .fd = tty, .events = POLLIN },
				 { .fd = ask.wake[0], .events = POLLIN } };
	const char *by;
	enum answer a;
	char drain[64];

	tcflush(tty, TCIFLUSH);
	tracer_prompt_render(tty, f, 1, count);
	start_deadline(f->id);
	for (;;) {
		if (poll(pfd, 2, 1000) < 0 && errno != EINTR)
			return -1;
		if (pfd[1].revents & POLLIN &&
		    read(ask.wake[0], drain, sizeof(drain)) < 0) {
			/* nothing to drain */
		}
		if (pfd[0].revents & POLLIN && on_keys(tty, f) < 0)
			return -1;
		if (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL))
			return -1;
		pthread_mutex_lock(&ask.lock);
		if (ended(f->id, &a, &by)) {
			pthread_mutex_unlock(&ask.lock);
			say_outcome(tty, a, by);
			return 0;
		}
		pthread_mutex_unlock(&ask.lock);
	}
}

/*
 * The terminal is gone (hung up): questions waiting, and those to come,
 * go to the approval socket if there is one, else get the unattended
 * answer.
 */
static void terminal_lost(void)
{
	enum answer a = ask.settings.unattended == RULES_ALLOW ? ANS_ALLOW_ONCE
							       : ANS_DENY_ONCE;
	uint64_t done[64];
	struct question *q;
	size_t n = 0;

	pthread_mutex_lock(&ask.lock);
	ask.tty = false;
	for (q = ask.head; q && !ask.socket; q = q->next)
		if (!q->answer)
			settle_locked(q, a, "unattended", done, &n, 64);
	pthread_mutex_unlock(&ask.lock);
	tell_clients(done, n);
}

static void *terminal_thread(void *arg)
{
	struct tracer_ask_facts f;
	int tty = tracer_job_tty(), count;
	sigset_t all;
	bool held = false;

	(void)arg;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		pthread_mutex_lock(&ask.lock);
		while (!next_question(&f, &count)) {
			if (held) {
				pthread_mutex_unlock(&ask.lock);
				give_back_terminal(tty);
				held = false;
				pthread_mutex_lock(&ask.lock);
				continue;
			}
			pthread_cond_wait(&ask.more, &ask.lock);
		}
		pthread_mutex_unlock(&ask.lock);
		if (!held)
			take_terminal(tty, f.tid);
		held = true;
		if (ask_on_terminal(tty, &f, count) < 0)
			break;
	}
	give_back_terminal(tty);
	terminal_lost();
	return NULL;
}

/* ---- the asking side
 * ---------------------------------------------------------- */

static void add_ms(struct timespec *t, long ms)
{
	t->tv_sec += ms / 1000;
	t->tv_nsec += (ms % 1000) * 1000000;
	if (t->tv_nsec >= 1000000000) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000;
	}
}

static bool before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void enqueue(struct question *q)
{
	struct question **pp;

	pthread_mutex_lock(&ask.lock);
	q->f.id = ++ask.next_id;
	/* without a terminal the wait starts now; on it, once shown */
	if (!ask.tty && ask.timeout) {
		clock_gettime(CLOCK_MONOTONIC, &q->deadline);
		q->deadline.tv_sec += ask.timeout;
		q->has_deadline = true;
	}
	for (pp = &ask.head; *pp; pp = &(*pp)->next)
		;
	*pp = q;
	pthread_cond_signal(&ask.more);
	pthread_mutex_unlock(&ask.lock);
	wake_terminal();
	tracer_approve_kick();
}

static void dequeue(struct question *q)
{
	struct question **pp;

	for (pp = &ask.head; *pp; pp = &(*pp)->next) {
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	}
}

/*
 * Waits for q's answer.  Every quarter second it checks that the call is
 * still there: a program killed meanwhile takes its question with it.
 */
static void wait_answer(struct tracer_req *r, struct question *q)
{
	uint64_t done[64];
	size_t n = 0;
	struct timespec now, until;
	bool valid;

	pthread_mutex_lock(&ask.lock);
	while (!q->answer) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (q->has_deadline && !before(&now, &q->deadline)) {
			settle_locked(q, ANS_DENY_ONCE, "timeout", done, &n,
				      64);
			break;
		}
		until = now;
		add_ms(&until, 250);
		if (q->has_deadline && before(&q->deadline, &until))
			until = q->deadline;
		if (pthread_cond_timedwait(&ask.changed, &ask.lock, &until) !=
			    ETIMEDOUT ||
		    q->answer)
			continue;
		pthread_mutex_unlock(&ask.lock);
		valid = tracer_req_valid(r);
		pthread_mutex_lock(&ask.lock);
		if (!valid && !q->answer)
			settle_locked(q, ANS_DENY_ONCE, "gone", done, &n, 64);
	}
	dequeue(q);
	pthread_mutex_unlock(&ask.lock);
	tell_clients(done, n);
}

/* Appends a lasting answer to the user's answers file. */
static void save(const struct tracer_req *r, enum answer a, const char *by)
{
	int fd = r->sup->o->answers_fd;
	struct rules_answer ra = {
		.cls = r->ev.cls,
		.action = allows(a) ? RULES_ALLOW : RULES_DENY,
		.object = r->object,
		.argv = r->ev.argv,
		.argc = r->ev.argc,
		.by = by,
		.workspace = r->sup->o->workspace,
	};
	struct tracer_who w;
	char t[32], *line;
	time_t now = time(NULL);
	struct tm tm;

	if (fd < 0)
		return;
	tracer_proc_who(r->tid, &w);
	ra.program = w.comm;
	gmtime_r(&now, &tm);
	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", &tm);
	ra.time = t;
	line = rules_answer_format(&ra);
	if (!line)
		return;
	/* one line, appended under a lock the `policy answers` tool takes */
	flock(fd, LOCK_EX);
	if (write(fd, line, strlen(line)) < 0 || write(fd, "\n", 1) < 0)
		fprintf(stderr, "proctor: cannot save the answer: %s\n",
			strerror(errno));
	flock(fd, LOCK_UN);
	free(line);
}

static long ms_since(const struct timespec *t)
{
	return (long)(since(t) * 1000);
}

/* Nobody to ask: the policy's unattended answer, said once. */
static bool unattended(struct tracer_req *r)
{
	static atomic_bool said;
	bool allow = ask.settings.unattended == RULES_ALLOW;

	if (!atomic_exchange(&said, true) && !r->sup->o->quiet)
		fprintf(stderr,
			"proctor: a question, but no terminal and no "
			"approval socket to ask: each gets the policy's "
			"unattended answer, %s (prompt.unattended, %s)\n",
			allow ? "allow" : "deny",
			ask.settings.unattended_origin);
	r->ev.answer = allow ? "allow" : "deny";
	r->ev.answered_by = "unattended";
	return allow;
}

bool tracer_prompt_decide(struct tracer_req *r)
{
	struct timespec t0;
	struct question *q;
	enum answer a;
	bool known;
	char *key;

	if (!ask.sup)
		return unattended(r); /* no prompt started: before the run */
	key = make_key(r);
	if (!key)
		return false;
	pthread_mutex_lock(&ask.lock);
	known = run_answer(key, &a);
	pthread_mutex_unlock(&ask.lock);
	if (known || (!ask.tty && !ask.socket) || !r->may_block) {
		free(key);
		if (known) {
			r->ev.answer = answer_name(a);
			r->ev.answered_by = "this run";
			return allows(a);
		}
		if (!ask.tty && !ask.socket)
			return unattended(r);
		r->defer = true; /* asking takes a pool thread */
		return false;
	}

	q = calloc(1, sizeof(*q));
	if (!q) {
		free(key);
		return false;
	}
	q->key = key;
	fill_facts(&q->f, r);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	enqueue(q);
	wait_answer(r, q);

	a = q->answer;
	r->ev.answer = answer_name(a);
	r->ev.answered_by = q->by;
	r->ev.answer_ms = ms_since(&t0);
	if ((a == ANS_ALLOW_ALWAYS || a == ANS_DENY_ALWAYS) &&
	    strcmp(q->by, "this run"))
		save(r, a, q->by);
	free(q->key);
	free(q);
	return allows(a);
}

static int start_thread(void *(*fn)(void *))
{
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, fn, NULL);
	pthread_attr_destroy(&attr);
	return -rc;
}

int tracer_prompt_start(struct tracer_sup *s)
{
	pthread_condattr_t ca;
	int rc;

	rules_prompt_settings(s->o->policy, &ask.settings);
	ask.timeout = s->o->prompt_timeout >= 0 ? s->o->prompt_timeout
						: ask.settings.timeout;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ask.changed, &ca);
	pthread_condattr_destroy(&ca);
	ask.sup = s;
	ask.socket = s->o->approve_fd >= 0;
	if (tracer_job_tty() >= 0 &&
	    pipe2(ask.wake, O_CLOEXEC | O_NONBLOCK) == 0 &&
	    start_thread(terminal_thread) == 0)
		ask.tty = true;
	if (ask.socket) {
		rc = tracer_approve_start(s);
		if (rc < 0)
			return rc;
	}
	return 0;
}
