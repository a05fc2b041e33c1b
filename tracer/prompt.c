/* SPDX-License-Identifier: MIT */
/*
 * Questions to the user (#6).  A call whose verdict asks waits on a pool
 * thread (notify.c) while one question at a time is shown on proctor's
 * terminal; every question is also offered on the approval socket
 * (approve.c), and the first answer counts.  "For this run" and "always"
 * answers settle the matching questions still waiting, and the ones that
 * come later; "always" is saved to the user's answers file too.
 *
 * The terminal side (terminal.c) shows the questions; this file keeps
 * them, settles them and waits for their answers.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "tracer/prompt_int.h"
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
/*
 * What the question is about, as the user thinks of it: a connect to an
 * address proctor answered a name for is about "NAME:PORT"; anything
 * else is about its object.
 */
static const char *subject(const struct tracer_req *r, char *buf, size_t size)
{
	const char *port;

	if (r->ev.cls != RULES_CONNECT || !r->ev.name || !r->ev.name[0])
		return r->object;
	port = strrchr(r->object, ':');
	snprintf(buf, size, "%s%s", r->ev.name, port ? port : "");
	return buf;
}

static char *make_key(const struct tracer_req *r)
{
	char buf[TRACER_NAME_MAX + 16];
	const char *obj = subject(r, buf, sizeof(buf));
	size_t len = strlen(obj) + 16, i;
	char *k;

	for (i = 0; i < r->ev.argc; i++)
		len += strlen(r->ev.argv[i]) + 1;
	k = malloc(len);
	if (!k)
		return NULL;
	snprintf(k, len, "%d\x01%s", r->ev.cls, obj);
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

#define CUT_MARK " [...cut]"

/*
 * The words for people: a word with a blank or a shell character is
 * quoted, so "a b" and "a" "b" differ; a command that does not fit, or
 * whose argv was cut, ends with CUT_MARK, so nothing hides past the end.
 */
static void join_words(char *out, size_t size, const char *const *w, size_t n,
		       bool cut)
{
	size_t i, o = 0, room = size - sizeof(CUT_MARK);

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		bool q = !w[i][0] || strpbrk(w[i], " \t'\"\\$`;&|<>()*?[]#~");

		if (o + strlen(w[i]) + 3 > room) {
			cut = true;
			break;
		}
		o += snprintf(out + o, size - o, q ? "%s'%s'" : "%s%s",
			      i ? " " : "", w[i]);
	}
	if (cut)
		snprintf(out + o, size - o, "%s", CUT_MARK);
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
	if (strlen(w.cmdline) + 1 >= sizeof(w.cmdline))
		snprintf(f->cmdline + sizeof(f->cmdline) - sizeof(CUT_MARK),
			 sizeof(CUT_MARK), "%s", CUT_MARK);
	snprintf(f->what, sizeof(f->what), "%s", rules_class_name(r->ev.cls));
	if (r->ev.cls == RULES_CONNECT && r->ev.name && r->ev.name[0])
		snprintf(f->object, sizeof(f->object), "%s (%s)", r->object,
			 r->ev.name);
	else
		snprintf(f->object, sizeof(f->object), "%s", r->object);
	if (r->ev.argv)
		join_words(f->command, sizeof(f->command), r->ev.argv,
			   r->ev.argc, r->ev.argv_cut);
	describe_rule(f->rule, sizeof(f->rule), r);
	if (r->ev.cls == RULES_EXEC && r->verdict.grant)
		rules_grant_describe(r->verdict.grant, f->grant,
				     sizeof(f->grant));
	f->timeout = ask.timeout;
	f->nr = r->nr;
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

bool tracer_prompt_next(struct tracer_ask_facts *f, int *count, bool wait)
{
	bool found;

	pthread_mutex_lock(&ask.lock);
	while (!(found = next_question(f, count)) && wait)
		pthread_cond_wait(&ask.more, &ask.lock);
	pthread_mutex_unlock(&ask.lock);
	return found;
}

bool tracer_prompt_ended(uint64_t id, const char **answer, const char **by)
{
	struct question *q;
	enum answer a = ANS_NONE;
	unsigned i;

	pthread_mutex_lock(&ask.lock);
	q = find(id);
	if (q && !q->answer) {
		pthread_mutex_unlock(&ask.lock);
		return false;
	}
	*by = "elsewhere";
	for (i = 0; i < RECENT; i++) {
		if (ask.recent[i].id == id) {
			a = ask.recent[i].answer;
			*by = ask.recent[i].by;
		}
	}
	pthread_mutex_unlock(&ask.lock);
	*answer = answer_name(a);
	return true;
}

const char *tracer_prompt_label(const char *answer)
{
	int a;

	for (a = ANS_ALLOW_ONCE; a < ANS_N; a++)
		if (!strcmp(answer, answers[a].name))
			return answers[a].label;
	return "?";
}

int tracer_prompt_wake_fd(void)
{
	return ask.wake[0];
}

int tracer_prompt_timeout(void)
{
	return ask.timeout;
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
void tracer_prompt_start_deadline(uint64_t id)
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

/*
 * The terminal is gone (hung up): questions waiting, and those to come,
 * go to the approval socket if there is one, else get the unattended
 * answer.
 */
void tracer_prompt_terminal_lost(void)
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
	char buf[TRACER_NAME_MAX + 16];
	struct rules_answer ra = {
		.cls = r->ev.cls,
		.action = allows(a) ? RULES_ALLOW : RULES_DENY,
		.object = subject(r, buf, sizeof(buf)),
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
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000 +
	       (now.tv_nsec - t->tv_nsec) / 1000000;
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
	bool known, nobody;
	char *key;

	if (!ask.sup)
		return unattended(r); /* no prompt started: before the run */
	key = make_key(r);
	if (!key)
		return false;
	pthread_mutex_lock(&ask.lock);
	known = run_answer(key, &a);
	nobody = !ask.tty && !ask.socket;
	pthread_mutex_unlock(&ask.lock);
	if (known || nobody || !r->may_block) {
		free(key);
		if (known) {
			r->ev.answer = answer_name(a);
			r->ev.answered_by = "this run";
			return allows(a);
		}
		if (nobody)
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
	    start_thread(tracer_prompt_terminal) == 0)
		ask.tty = true;
	if (ask.socket) {
		rc = tracer_approve_start(s);
		if (rc < 0)
			return rc;
	}
	return 0;
}
