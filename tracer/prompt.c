/* SPDX-License-Identifier: MIT */
/*
 * Questions to the user (#6).  A call whose verdict asks is parked: its
 * notification waits in the kernel, no thread waits for it (notify.c runs
 * it again once answered), so any number of questions can wait while the
 * program's other calls go on.  One question at a time is shown on
 * proctor's terminal; every question is also offered on the approval
 * socket (approve.c), and the first answer counts.  "For this run" and
 * "always" answers settle the matching questions still waiting, and the
 * ones that come later; "always" is saved to the user's answers file too.
 * A query for a name that a rule asks about is asked the same way, by the
 * resolver (dns.c), before anything leaves.
 *
 * The terminal side (terminal.c) shows the questions; this file keeps
 * them and settles them, and its keeper thread applies the timeouts,
 * notices askers that went away and hands answers back.
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

#define RECENT 256 /* answers the terminal may not have seen yet */

struct tracer_question {
	struct tracer_ask_facts f;
	char *key;	/* what "for this run" answers match */
	char *name_key; /* a connect to a name: a name question's key */
	char *name;	/* a name question: the name an "always" saves */
	enum answer answer;
	const char *by;
	bool has_deadline;
	struct timespec deadline;
	struct timespec asked;
	struct tracer_waiter w;
	struct tracer_question *next;
};

/* An answer the approval clients are still to hear of. */
struct told {
	uint64_t id;
	enum answer answer;
	const char *by;
	struct told *next;
};

/* An answer that holds for the rest of the run. */
struct run_answer {
	char *key;
	enum answer answer;
	struct run_answer *next;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t changed; /* a question, an answer: for the keeper */
	pthread_cond_t more;	/* a new question: for the terminal */
	struct tracer_question *head;
	bool resuming; /* the keeper hands answers back, unlocked */
	struct told *told, **told_tail;
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
	.told_tail = &ask.told,
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
	/* a create entry refuses what the run did not make as a default
	 * would: no entry denies it */
	return s->o->ask_defaults &&
	       ((v->is_default && v->action == RULES_DENY) ||
		v->action == RULES_CREATE);
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

static void settle_one(struct tracer_question *q, enum answer a, const char *by)
{
	struct told *t = calloc(1, sizeof(*t));

	q->answer = a;
	q->by = by;
	note_recent(q->f.id, a, by);
	if (!t)
		return; /* no memory: the clients miss this one */
	t->id = q->f.id;
	t->answer = a;
	t->by = by;
	*ask.told_tail = t;
	ask.told_tail = &t->next;
}

/*
 * Answers q, and with a lasting answer every waiting question with the
 * same key (a name's answer also answers the connects to that name).
 * Called with the lock held; tell_clients after unlocking.
 */
static void settle_locked(struct tracer_question *q, enum answer a,
			  const char *by)
{
	struct tracer_question *o;

	settle_one(q, a, by);
	if (lasts(a)) {
		remember(q->key, a);
		for (o = ask.head; o; o = o->next) {
			if (o->answer ||
			    (strcmp(o->key, q->key) &&
			     (!o->name_key || strcmp(o->name_key, q->key))))
				continue;
			settle_one(o, a, "this run");
		}
	}
	pthread_cond_broadcast(&ask.changed);
}

static struct tracer_question *find(uint64_t id)
{
	struct tracer_question *q;

	for (q = ask.head; q; q = q->next)
		if (q->f.id == id)
			return q;
	return NULL;
}

/* Tells the approval clients every answer given since the last time. */
static void tell_clients(void)
{
	struct told *t, *next;

	pthread_mutex_lock(&ask.lock);
	t = ask.told;
	ask.told = NULL;
	ask.told_tail = &ask.told;
	pthread_mutex_unlock(&ask.lock);
	for (; t; t = next) {
		next = t->next;
		tracer_approve_answered(t->id, answer_name(t->answer), t->by);
		free(t);
	}
	wake_terminal();
}

int tracer_prompt_answer(uint64_t id, const char *name, const char *by)
{
	struct tracer_question *q;
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
		settle_locked(q, a, by);
	pthread_mutex_unlock(&ask.lock);
	tell_clients();
	return rc;
}

void tracer_prompt_each(void (*fn)(const struct tracer_ask_facts *, void *),
			void *arg)
{
	struct tracer_question *q;

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

static void describe_rule(char *out, size_t size, const struct rules_verdict *v)
{

	if (v->is_default)
		snprintf(out, size,
			 "%s: %s by default (%s); asked because of "
			 "--ask",
			 v->where, rules_action_name(v->action), v->origin);
	else
		snprintf(out, size, "%s \"%s\" (%s)", v->where, v->pattern,
			 v->origin);
}

/* Who asks: thread tid's process, its name and command line. */
static void fill_who(struct tracer_ask_facts *f, pid_t tid)
{
	struct tracer_who w;

	tracer_proc_who(tid, &w);
	f->pid = w.tgid;
	f->tid = tid;
	memcpy(f->comm, w.comm, sizeof(f->comm));
	snprintf(f->cmdline, sizeof(f->cmdline), "%s", w.cmdline);
	if (strlen(w.cmdline) + 1 >= sizeof(w.cmdline))
		snprintf(f->cmdline + sizeof(f->cmdline) - sizeof(CUT_MARK),
			 sizeof(CUT_MARK), "%s", CUT_MARK);
	f->timeout = ask.timeout;
}

static void fill_facts(struct tracer_ask_facts *f, const struct tracer_req *r)
{
	fill_who(f, r->tid);
	snprintf(f->what, sizeof(f->what), "%s", rules_class_name(r->ev.cls));
	if (r->ev.cls == RULES_CONNECT && r->ev.name && r->ev.name[0])
		snprintf(f->object, sizeof(f->object), "%s (%s)", r->object,
			 r->ev.name);
	else
		snprintf(f->object, sizeof(f->object), "%s", r->object);
	if (r->ev.argv)
		join_words(f->command, sizeof(f->command), r->ev.argv,
			   r->ev.argc, r->ev.argv_cut);
	describe_rule(f->rule, sizeof(f->rule), &r->verdict);
	if (r->ev.cls == RULES_EXEC && r->verdict.grant)
		rules_grant_describe(r->verdict.grant, f->grant,
				     sizeof(f->grant));
	f->nr = r->nr;
}

/* The first question not yet answered, and how many wait. */
static bool next_question(struct tracer_ask_facts *f, int *count)
{
	struct tracer_question *q;
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
	struct tracer_question *q;
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
	struct tracer_question *q;

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
	struct tracer_question *q;

	pthread_mutex_lock(&ask.lock);
	ask.tty = false;
	for (q = ask.head; q && !ask.socket; q = q->next)
		if (!q->answer)
			settle_locked(q, a, "unattended");
	pthread_mutex_unlock(&ask.lock);
	tell_clients();
}

/* ---- the keeper ------------------------------------------------------------
 */

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

/* Signals that would end the run, sent to proctor (run.c forwards). */
static volatile sig_atomic_t ending_signals;
/* how many the keeper has acted on; under ask.lock */
static sig_atomic_t signals_seen;

void tracer_prompt_ending_signal(void)
{
	ending_signals++;
}

/*
 * Called with the lock held: deadlines passed, askers gone, questions
 * an ending signal came during (SIGTERM to proctor, passed on to CMD,
 * waits in a task that waits for an answer; a service manager's stop
 * would wait for the user).
 */
static void settle_lapsed_locked(const struct timespec *now, bool check)
{
	sig_atomic_t signals = ending_signals;
	struct tracer_question *q;

	for (q = ask.head; q; q = q->next) {
		if (q->answer)
			continue;
		if (signals != signals_seen)
			settle_locked(q, ANS_DENY_ONCE, "signal");
		else if (q->has_deadline && !before(now, &q->deadline))
			settle_locked(q, ANS_DENY_ONCE, "timeout");
		else if (check && !q->w.alive(q->w.arg))
			settle_locked(q, ANS_DENY_ONCE, "gone");
	}
	signals_seen = signals;
}

/* Called with the lock held: takes the answered questions off the queue. */
static struct tracer_question *take_answered_locked(void)
{
	struct tracer_question **pp = &ask.head, *q, *ready = NULL, **tail;

	tail = &ready;
	while ((q = *pp)) {
		if (!q->answer) {
			pp = &q->next;
			continue;
		}
		*pp = q->next;
		q->next = NULL;
		*tail = q;
		tail = &q->next;
	}
	return ready;
}

/* Called with the lock held: the next time the keeper has work. */
static struct timespec next_wake_locked(const struct timespec *check)
{
	struct timespec until = *check;
	struct tracer_question *q;

	for (q = ask.head; q; q = q->next)
		if (!q->answer && q->has_deadline &&
		    before(&q->deadline, &until))
			until = q->deadline;
	return until;
}

/*
 * The keeper: applies the timeouts, checks every quarter second that
 * each asker still waits (a program killed meanwhile takes its question
 * with it), and hands each answered question back to its waiter.  It
 * sleeps while no question waits.
 */
static void *keeper(void *arg)
{
	struct tracer_question *ready, *next;
	struct timespec now, check = { 0 }, until;
	sigset_t all;

	(void)arg;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&ask.lock);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		settle_lapsed_locked(&now, !before(&now, &check));
		if (!before(&now, &check)) {
			check = now;
			add_ms(&check, 250);
		}

		ready = take_answered_locked();
		if (ready) {
			ask.resuming = true;
			pthread_mutex_unlock(&ask.lock);
			tell_clients();
			for (; ready; ready = next) {
				next = ready->next;
				ready->w.resume(ready->w.arg, ready);
			}
			pthread_mutex_lock(&ask.lock);
			ask.resuming = false;
			pthread_cond_broadcast(&ask.changed); /* for finish */
			continue;
		}

		if (!ask.head) {
			pthread_cond_wait(&ask.changed, &ask.lock);
			continue;
		}
		until = next_wake_locked(&check);
		pthread_cond_timedwait(&ask.changed, &ask.lock, &until);
	}
	return NULL;
}

/* ---- the asking side --------------------------------------------------------
 */

/* Called with the lock held: whether a question waits for its answer. */
static bool waiting_locked(void)
{
	struct tracer_question *q;

	for (q = ask.head; q; q = q->next)
		if (!q->answer)
			return true;
	return false;
}

static void enqueue(struct tracer_question *q)
{
	struct tracer_question **pp;

	pthread_mutex_lock(&ask.lock);
	q->f.id = ++ask.next_id;
	clock_gettime(CLOCK_MONOTONIC, &q->asked);
	/* without a terminal the wait starts now; on it, once shown */
	if (!ask.tty && ask.timeout) {
		q->deadline = q->asked;
		q->deadline.tv_sec += ask.timeout;
		q->has_deadline = true;
	}
	/* a signal that came while none waited is not this one's */
	if (!waiting_locked())
		signals_seen = ending_signals;
	for (pp = &ask.head; *pp; pp = &(*pp)->next)
		;
	*pp = q;
	pthread_cond_signal(&ask.more);
	pthread_cond_broadcast(&ask.changed);
	pthread_mutex_unlock(&ask.lock);
	wake_terminal();
	tracer_approve_kick();
}

void tracer_prompt_park(struct tracer_question *q,
			const struct tracer_waiter *w)
{
	q->w = *w;
	enqueue(q);
}

void tracer_prompt_release(struct tracer_question *q)
{
	if (!q)
		return;
	free(q->key);
	free(q->name_key);
	free(q->name);
	free(q);
}

bool tracer_prompt_gone(const struct tracer_question *q)
{
	return !strcmp(q->by, "gone");
}

/* Appends a lasting answer to the user's answers file. */
static void save_line(struct rules_answer *ra, pid_t tid)
{
	int fd = ask.sup->o->answers_fd;
	struct tracer_who w;
	char t[32], *line;
	time_t now = time(NULL);
	struct tm tm;

	if (fd < 0)
		return;
	tracer_proc_who(tid, &w);
	ra->program = w.comm;
	ra->workspace = ask.sup->o->workspace;
	gmtime_r(&now, &tm);
	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", &tm);
	ra->time = t;
	line = rules_answer_format(ra);
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

static void save(const struct tracer_req *r, enum answer a, const char *by)
{
	char buf[TRACER_NAME_MAX + 16];
	struct rules_answer ra = {
		.cls = r->ev.cls,
		.action = allows(a) ? RULES_ALLOW : RULES_DENY,
		.object = subject(r, buf, sizeof(buf)),
		.argv = r->ev.argv,
		.argc = r->ev.argc,
		.by = by,
	};

	save_line(&ra, r->tid);
}

static long ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000 +
	       (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* Whether proctor has a terminal whose foreground is another job's. */
static bool background_job(void)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	pid_t fg;

	/* in the foreground, CMD holds it (job.c) */
	if (fd < 0 || tracer_job_tty() >= 0) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	fg = tcgetpgrp(fd);
	close(fd);
	return fg > 0 && fg != getpgrp();
}

/* Nobody to ask: the policy's unattended answer, said once. */
static bool unattended(struct tracer_event *ev, bool quiet)
{
	static atomic_bool said;
	bool allow = ask.settings.unattended == RULES_ALLOW;

	if (!atomic_exchange(&said, true) && !quiet)
		fprintf(stderr,
			"proctor: a question, but %s and no approval socket "
			"to ask: each gets the policy's unattended answer, %s "
			"(prompt.unattended, %s)\n",
			/* started in the background (`&`): the terminal is
			 * the foreground job's to read */
			background_job() ? "proctor runs in the background of "
					   "its terminal (a job started with &)"
					 : "no terminal",
			allow ? "allow" : "deny",
			ask.settings.unattended_origin);
	ev->answer = allow ? "allow" : "deny";
	ev->answered_by = "unattended";
	return allow;
}

/* Fills ev with q's answer; true when it allows. */
static bool answer_event(const struct tracer_question *q,
			 struct tracer_event *ev)
{
	ev->answer = answer_name(q->answer);
	ev->answered_by = q->by;
	ev->answer_ms = ms_since(&q->asked);
	return allows(q->answer);
}

bool tracer_prompt_answer_event(const struct tracer_question *q,
				struct tracer_event *ev)
{
	return answer_event(q, ev);
}

static bool saves(const struct tracer_question *q)
{
	return (q->answer == ANS_ALLOW_ALWAYS ||
		q->answer == ANS_DENY_ALWAYS) &&
	       strcmp(q->by, "this run");
}

/* What a name question's answer is kept under. */
static char *name_key(const char *name)
{
	char *k;

	return asprintf(&k, "resolve\x01%s", name) < 0 ? NULL : k;
}

/*
 * The answer at hand for key: 1 when it is for this run (in *a), -1 when
 * nobody can be asked, 0 when the user is to be asked.
 */
static int at_hand(const char *key, const char *key2, enum answer *a)
{
	int rc = 0;

	pthread_mutex_lock(&ask.lock);
	if (run_answer(key, a) || (key2 && run_answer(key2, a)))
		rc = 1;
	else if (!ask.tty && !ask.socket)
		rc = -1;
	pthread_mutex_unlock(&ask.lock);
	return rc;
}

bool tracer_prompt_name_allowed(const char *name, uint16_t port)
{
	char *key = name_key(name), *key2 = NULL;
	enum answer a;
	bool ok;

	/*
	 * A connect's answer is about NAME:PORT (subject()); it comes first,
	 * as in tracer_prompt_decide: a "deny always" for the name and port
	 * stands over an allow for the name.
	 */
	if (asprintf(&key2, "%d\x01%s:%u", RULES_CONNECT, name, port) < 0)
		key2 = NULL;
	ok = key && key2 && ask.sup && at_hand(key2, key, &a) > 0 && allows(a);
	free(key);
	free(key2);
	return ok;
}

bool tracer_prompt_decide(struct tracer_req *r)
{
	struct tracer_question *q;
	char *key, *nkey = NULL;
	enum answer a;
	int known;

	if (!ask.sup)
		return unattended(&r->ev,
				  r->sup->o->quiet); /* before the run */
	key = make_key(r);
	if (!key)
		return false;

	/* run again with its answer: the same object takes it */
	q = r->answered;
	if (q && !strcmp(q->key, key)) {
		free(key);
		if (saves(q))
			save(r, q->answer, q->by);
		return answer_event(q, &r->ev);
	}

	if (r->ev.cls == RULES_CONNECT && r->ev.name && r->ev.name[0])
		nkey = name_key(r->ev.name);
	known = at_hand(key, nkey, &a);
	if (known || r->question) {
		free(key);
		free(nkey);
		if (known > 0) {
			r->ev.answer = answer_name(a);
			r->ev.answered_by = "this run";
			return allows(a);
		}
		if (known < 0)
			return unattended(&r->ev, r->sup->o->quiet);
		r->defer = true; /* one question per call: this one waits */
		return false;
	}

	q = calloc(1, sizeof(*q));
	if (!q) {
		free(key);
		free(nkey);
		return false;
	}
	q->key = key;
	q->name_key = nkey;
	fill_facts(&q->f, r);
	r->question = q;
	r->defer = true; /* the caller parks the call */
	return false;
}

int tracer_prompt_resolve(pid_t pid, const char *name, const char *qtype,
			  const struct rules_verdict *v,
			  const struct tracer_waiter *w,
			  struct tracer_event *ev)
{
	struct tracer_question *q;
	enum answer a;
	int known;

	if (!ask.sup)
		return unattended(ev, true);
	q = calloc(1, sizeof(*q));
	if (!q || !(q->key = name_key(name)) || !(q->name = strdup(name))) {
		tracer_prompt_release(q);
		return 0;
	}
	known = at_hand(q->key, NULL, &a);
	if (known) {
		tracer_prompt_release(q);
		if (known < 0)
			return unattended(ev, ask.sup->o->quiet);
		ev->answer = answer_name(a);
		ev->answered_by = "this run";
		return allows(a);
	}

	fill_who(&q->f, pid);
	snprintf(q->f.what, sizeof(q->f.what), "resolve");
	snprintf(q->f.object, sizeof(q->f.object), "%s (%s)", name, qtype);
	describe_rule(q->f.rule, sizeof(q->f.rule), v);
	q->f.nr = -1; /* no call waits: the program reads its socket */
	tracer_prompt_park(q, w);
	return -EINPROGRESS;
}

/*
 * An "always" about a name is saved as a network entry for the name,
 * without a port: the name resolves, and may be reached, in later runs.
 */
bool tracer_prompt_resolved(struct tracer_question *q, struct tracer_event *ev)
{
	struct rules_answer ra = {
		.cls = RULES_CONNECT,
		.action = allows(q->answer) ? RULES_ALLOW : RULES_DENY,
		.object = q->name,
		.by = q->by,
	};

	if (saves(q))
		save_line(&ra, q->f.tid);
	return answer_event(q, ev);
}

/*
 * Settles what still waits, lets the keeper hand every answer back, and
 * lets the approval clients hear of the last ones (a second at most).
 */
void tracer_prompt_finish(void)
{
	struct tracer_question *q;
	struct timespec until;

	if (!ask.sup)
		return;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec++;
	pthread_mutex_lock(&ask.lock);
	for (q = ask.head; q; q = q->next)
		if (!q->answer)
			settle_one(q, ANS_DENY_ONCE, "gone");
	pthread_cond_broadcast(&ask.changed);
	while ((ask.head || ask.resuming) &&
	       pthread_cond_timedwait(&ask.changed, &ask.lock, &until) == 0)
		;
	pthread_mutex_unlock(&ask.lock);
	tell_clients();
	tracer_approve_drain(1000);
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
	ask.socket = s->o->approve_fd >= 0;
	rc = start_thread(keeper);
	if (rc < 0)
		return rc;
	ask.sup = s;
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
