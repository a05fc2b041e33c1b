/* SPDX-License-Identifier: MIT */
/*
 * Notification service: a few receiver threads answer the listener, and a
 * pool takes the calls that may wait (a blocking connect or send, an open
 * under a lease) so that they stall nothing else.  A call that waits for
 * a question to the user holds no thread: its notification is parked
 * (the kernel takes the response to a notification id from any thread,
 * whenever it comes) and run again once answered.  Nor does a FIFO open
 * that waits for its other end, or a TCP connect to a host slow to
 * answer: park.c's waiter holds them all and answers each
 * (tracer_req_answer).  Each thread
 * has its own filesystem context (unshare(CLONE_FS)) because it sets the
 * tracee's umask, or cwd, while it acts on its behalf.
 */
#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "arch/arch.h"
#include "tracer/tracer.h"

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

#define NOTIFY_MAX_WORKERS 64
#define NOTIFY_NR_MAX	   1024

static tracer_handler handlers[NOTIFY_NR_MAX];

/* Every call the filter sends here, and who answers it. */
static const struct {
	const char *name;
	tracer_handler fn;
} handler_names[] = {
	{ "open", tracer_on_open },
	{ "openat", tracer_on_open },
	{ "openat2", tracer_on_open },
	{ "creat", tracer_on_open },
	{ "connect", tracer_on_connect },
	{ "execve", tracer_on_exec },
	{ "execveat", tracer_on_exec },
	{ "mkdir", tracer_on_mkdir },
	{ "mkdirat", tracer_on_mkdir },
	{ "unlink", tracer_on_unlink },
	{ "unlinkat", tracer_on_unlink },
	{ "rmdir", tracer_on_unlink },
	{ "rename", tracer_on_rename },
	{ "renameat", tracer_on_rename },
	{ "renameat2", tracer_on_rename },
	{ "link", tracer_on_link },
	{ "linkat", tracer_on_link },
	{ "chmod", tracer_on_meta },
	{ "fchmodat", tracer_on_meta },
	{ "fchmod", tracer_on_meta },
	{ "chown", tracer_on_meta },
	{ "lchown", tracer_on_meta },
	{ "fchownat", tracer_on_meta },
	{ "fchown", tracer_on_meta },
	{ "truncate", tracer_on_meta },
	{ "utimensat", tracer_on_meta },
	{ "utimes", tracer_on_meta },
	{ "utime", tracer_on_meta },
	{ "futimesat", tracer_on_meta },
	{ "mknod", tracer_on_meta },
	{ "mknodat", tracer_on_meta },
	{ "symlink", tracer_on_meta },
	{ "symlinkat", tracer_on_meta },
	{ "setxattr", tracer_on_meta },
	{ "lsetxattr", tracer_on_meta },
	{ "fsetxattr", tracer_on_meta },
	{ "removexattr", tracer_on_meta },
	{ "lremovexattr", tracer_on_meta },
	{ "fremovexattr", tracer_on_meta },
	{ "kill", tracer_on_signal },
	{ "tkill", tracer_on_signal },
	{ "tgkill", tracer_on_signal },
	{ "rt_sigqueueinfo", tracer_on_signal },
	{ "rt_tgsigqueueinfo", tracer_on_signal },
	{ "pidfd_open", tracer_on_signal },
	{ "prlimit64", tracer_on_signal },
	{ "setpriority", tracer_on_sched },
	{ "ioprio_set", tracer_on_sched },
	{ "sched_setscheduler", tracer_on_sched },
	{ "sched_setparam", tracer_on_sched },
	{ "sched_setattr", tracer_on_sched },
	{ "sched_setaffinity", tracer_on_sched },
	{ "unshare", tracer_on_namespace },
	{ "clone", tracer_on_namespace },
	{ "setns", tracer_on_namespace },
	{ "ptrace", tracer_on_ptrace },
	{ "migrate_pages", tracer_on_sched },
	{ "move_pages", tracer_on_sched },
	{ "fcntl", tracer_on_fcntl },
	{ "ioctl", tracer_on_ioctl },
	{ "bind", tracer_on_bind },
	{ "listen", tracer_on_listen },
	{ "sendto", tracer_on_send },
	{ "sendmsg", tracer_on_send },
	{ "sendmmsg", tracer_on_send },
};

const char *tracer_notified_call(size_t i)
{
	if (i >= sizeof(handler_names) / sizeof(*handler_names))
		return NULL;
	return handler_names[i].name;
}

bool tracer_req_valid(const struct tracer_req *r)
{
	uint64_t id = r->id;

	return ioctl(r->sup->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

bool tracer_req_decide(struct tracer_req *r, enum rules_class cls,
		       const char *object_key, const char *object, bool allowed)
{
	if (object != r->object)
		snprintf(r->object, sizeof(r->object), "%s", object);
	r->log = true;
	r->ev.syscall = r->name;
	r->ev.args = r->args;
	r->ev.cls = cls;
	r->ev.object_key = object_key;
	r->ev.object = r->object;
	r->ev.verdict = &r->verdict;

	/* a grant of the process's subtree first: it needs no question */
	if (!allowed)
		allowed = tracer_grant_allows(r, cls, object_key, r->object);
	if (!allowed && !r->ev.absent &&
	    tracer_prompt_askable(r->sup, &r->verdict))
		allowed = tracer_prompt_decide(r);
	r->ev.allowed = allowed;
	return allowed;
}

/*
 * Injects r->addfd into the tracee; its number becomes the result, unless
 * it replaces the descriptor r->addfd_at.  With send, the same call
 * answers the notification with that number (SECCOMP_ADDFD_FLAG_SEND,
 * one wake-up of the task instead of two); returns whether it did.
 * Not while the wake-up is synchronous: the flag's wake-up is the plain
 * kind, which most often finds the task another CPU, an idle one that a
 * virtual machine takes about 50 us to wake (ADDFD then SEND: 13 to 15
 * us an open in a bare supervisor; ADDFD_FLAG_SEND: 52 to 58 us).
 */
static atomic_bool no_addfd_send;

static void crowd_answering(const struct tracer_sup *s);

/* The descriptor that was to be given, and what the open made. */
static void drop_addfd(struct tracer_req *r)
{
	if (r->addfd >= 0)
		close(r->addfd);
	if (r->made_dir >= 0)
		close(r->made_dir);
	r->addfd = -1;
	r->made_dir = -1;
}

/* The file the open made, which the program will not have: removed. */
static void unmake(const struct tracer_req *r)
{
	struct stat made, ours;

	if (r->made_dir >= 0 && fstat(r->addfd, &ours) == 0 &&
	    fstatat(r->made_dir, r->made_name, &made, AT_SYMLINK_NOFOLLOW) ==
		    0 &&
	    made.st_dev == ours.st_dev && made.st_ino == ours.st_ino)
		unlinkat(r->made_dir, r->made_name, 0);
}

/* Whether the listener wakes tasks on the answering CPU (crowd_). */
static bool sync_wakeup_on(const struct tracer_sup *s);

static bool inject_fd(struct tracer_req *r, bool send)
{
	struct seccomp_notif_addfd add = {
		.id = r->id,
		.srcfd = r->addfd,
		.newfd_flags = r->addfd_flags,
	};
	int fd;

	if (r->addfd_at >= 0) {
		add.flags = SECCOMP_ADDFD_FLAG_SETFD;
		add.newfd = (uint32_t)r->addfd_at;
	} else if (send && !atomic_load(&no_addfd_send) &&
		   !sync_wakeup_on(r->sup)) {
		add.flags = SECCOMP_ADDFD_FLAG_SEND;
		crowd_answering(r->sup);
		tracer_interrupt_answering(r, 0);
	}
	fd = ioctl(r->sup->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
	if (fd < 0 && errno == EINVAL && add.flags & SECCOMP_ADDFD_FLAG_SEND) {
		/* before 5.14: the flag is unknown, nothing was done */
		atomic_store(&no_addfd_send, true);
		add.flags = 0;
		fd = ioctl(r->sup->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
	}
	if (fd < 0) {
		/* with SEND too, a failed install leaves the answer to us */
		r->err = errno == ENOENT ? EINTR : errno; /* EMFILE */
		r->ev.err = r->err;
		unmake(r);
	} else if (r->addfd_at < 0) {
		r->val = fd;
		r->ev.result = fd;
	}
	drop_addfd(r);
	return fd >= 0 && add.flags & SECCOMP_ADDFD_FLAG_SEND;
}

static void respond(struct tracer_req *r)
{
	struct seccomp_notif_resp resp = { .id = r->id };

	if (r->cont) {
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	} else if (r->err == EINTR && r->restart) {
		/* ERESTARTSYS: EINTR, or restarted as the handler asks */
		resp.error = -TRACER_ERESTARTSYS;
	} else if (r->err) {
		resp.error = -r->err;
	} else {
		resp.val = r->val;
	}
	crowd_answering(r->sup);
	tracer_interrupt_answering(r, resp.error);
	/* ENOENT: the task died or was killed meanwhile; nothing to do. */
	ioctl(r->sup->listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	tracer_interrupt_answered(r);
}

struct parked_record;
static void pool_submit(struct tracer_sup *s, const struct seccomp_notif *n,
			struct tracer_question *answered,
			struct parked_record *rec);

/*
 * What the log keeps of a call that waits for an answer, taken when it
 * was parked: if its task goes first, the call never runs again, and
 * this is its record (who asked, what, the rule, answered "gone").
 */
struct parked_record {
	struct tracer_who w;
	struct tracer_event ev;
	struct rules_verdict verdict;
	uint64_t args[6];
	char *object, *object2, *name;
	char **argv; /* exec: the words, and the strings after them */
};

/* A call that waits for a question's answer: its notification, kept. */
struct parked {
	struct tracer_sup *s;
	struct seccomp_notif n;
	struct parked_record *rec; /* NULL without a log */
};

static bool parked_alive(void *arg)
{
	struct parked *p = arg;
	uint64_t id = p->n.id;

	return ioctl(p->s->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

/* n words and their strings in one block: one free. */
static char **copy_words(const char *const *words, size_t n)
{
	size_t i, size = (n + 1) * sizeof(char *);
	char **out, *at;

	for (i = 0; i < n; i++)
		size += strlen(words[i]) + 1;
	out = malloc(size);
	if (!out)
		return NULL;
	at = (char *)(out + n + 1);
	for (i = 0; i < n; i++) {
		out[i] = at;
		at = stpcpy(at, words[i]) + 1;
	}
	out[n] = NULL;
	return out;
}

static struct parked_record *parked_record_take(const struct tracer_req *r)
{
	struct parked_record *pr = calloc(1, sizeof(*pr));
	const struct tracer_event *e = &r->ev;

	if (!pr)
		return NULL;
	tracer_proc_who(r->tid, &pr->w);
	tracer_proc_who_now(r->tid, &pr->w);

	/* the event's own strings, not the request's buffers it points to */
	pr->ev.syscall = e->syscall;
	pr->ev.cls = e->cls;
	pr->ev.cls_name = e->cls_name;
	pr->ev.object_key = e->object_key;
	pr->ev.is_dir = e->is_dir;
	pr->verdict = r->verdict;
	pr->ev.verdict = &pr->verdict;
	memcpy(pr->args, r->args, sizeof(pr->args));
	pr->ev.args = pr->args;
	pr->object = e->object ? strdup(e->object) : NULL;
	pr->object2 = e->object2 ? strdup(e->object2) : NULL;
	pr->name = e->name ? strdup(e->name) : NULL;
	pr->ev.object = pr->object;
	pr->ev.object2 = pr->object2;
	pr->ev.name = pr->name;
	if (e->argv && (pr->argv = copy_words(e->argv, e->argc))) {
		pr->ev.argv = (const char *const *)pr->argv;
		pr->ev.argc = e->argc;
		pr->ev.argv_cut = e->argv_cut;
	}
	return pr;
}

static void parked_record_free(struct parked_record *pr)
{
	if (!pr)
		return;
	free(pr->object);
	free(pr->object2);
	free(pr->name);
	free(pr->argv);
	free(pr);
}

/*
 * The task went before its call could run with the answer (gone before
 * it, or killed as it came): the answer, and that nothing was done.
 */
static void parked_record_log(struct parked_record *pr,
			      const struct tracer_question *q)
{
	if (!pr)
		return;
	pr->ev.allowed = tracer_prompt_answer_event(q, &pr->ev);
	pr->ev.err = ESRCH; /* no answer reached it */
	pr->ev.latency_us = pr->ev.answer_ms * 1000;
	tracer_log_decision(&pr->w, &pr->ev);
}

/*
 * Answered: the call runs again from the start, on the pool, with the
 * answer at hand.  One whose task went away is not run again (there is
 * nobody to respond to); the log says what it asked.
 */
static void parked_resume(void *arg, struct tracer_question *q)
{
	struct parked *p = arg;

	if (tracer_prompt_gone(q)) {
		parked_record_log(p->rec, q);
		tracer_prompt_release(q);
		parked_record_free(p->rec);
	} else {
		pool_submit(p->s, &p->n, q, p->rec); /* it takes the record */
	}
	free(p);
}

/* Parks r's call until its question is answered; false without memory. */
static bool park(struct tracer_sup *s, const struct seccomp_notif *n,
		 struct tracer_req *r)
{
	struct parked *p = malloc(sizeof(*p));
	struct tracer_waiter w = { parked_alive, parked_resume, p };

	if (!p)
		return false;
	p->s = s;
	p->n = *n;
	p->rec = r->log && tracer_log_on() ? parked_record_take(r) : NULL;
	tracer_prompt_park(r->question, &w);
	r->question = NULL;
	return true;
}

static bool wants_stack(const struct tracer_sup *s, const struct tracer_req *r)
{
	if (!tracer_log_on())
		return false;
	/* "denied" covers the questions too, whatever their answer */
	return s->o->stacks == TRACER_STACKS_ALL ||
	       (s->o->stacks == TRACER_STACKS_DENIED &&
		(!r->ev.allowed || r->ev.answered_by));
}

/*
 * An allowed write that failed with EACCES left the log saying "allow"
 * and the user with no word: file permissions, or the kernel's write
 * floor (Landlock) where it misses a write the policy grants.  Said
 * once a run, since a program may try many.
 */
static void explain_floor(struct tracer_sup *s, struct tracer_req *r)
{
	static atomic_bool said;

	if (!r->ev.allowed || r->err != EACCES || s->floor < 0 || s->o->quiet ||
	    r->ev.cls != RULES_WRITE || !r->ev.object ||
	    atomic_exchange(&said, true))
		return;
	fprintf(stderr,
		"proctor: the policy allowed writing %s, but the call failed: "
		"%s (file permissions, or the kernel's write floor, Landlock, "
		"which covers only the places the policy's write entries "
		"name; the log records it as allowed with errno 13)\n",
		r->ev.object, strerror(r->err));
}

/*
 * The log line, and the line on stderr for a denial, in two steps: what
 * must be read while the thread still waits for its answer (who it is,
 * its stack), then the record.  latency_us is what the decision took,
 * without the stack.
 */
struct record {
	struct tracer_who w;
	struct tracer_stack *stack;
};

static bool record_begin(struct tracer_sup *s, struct tracer_req *r,
			 struct record *rec)
{
	struct timespec now;

	explain_floor(s, r);
	if (r->ev.allowed && !tracer_log_on())
		return false; /* nobody will read about it */
	clock_gettime(CLOCK_MONOTONIC, &now);
	r->ev.latency_us = (now.tv_sec - r->arrived.tv_sec) * 1000000 +
			   (now.tv_nsec - r->arrived.tv_nsec) / 1000;
	if (r->held_who) {
		rec->w = *r->held_who; /* its task may be gone by now */
	} else {
		tracer_proc_who(r->tid, &rec->w);
		if (tracer_log_on())
			tracer_proc_who_now(r->tid, &rec->w);
	}
	rec->stack = NULL;
	if (wants_stack(s, r) && (rec->stack = malloc(sizeof(*rec->stack))) &&
	    tracer_stack_capture(r->tgid, r->tid, r->nr, rec->stack) < 0) {
		free(rec->stack); /* it died, or no longer waits */
		rec->stack = NULL;
	}
	return true;
}

static void record_end(struct tracer_sup *s, struct tracer_req *r,
		       struct record *rec, uint64_t turn)
{
	r->ev.err = r->err;
	r->ev.result = r->err ? -1 : r->val;
	r->ev.continued = r->cont;
	r->ev.stack = rec->stack;
	tracer_log_decision_at(&rec->w, &r->ev, turn);
	free(rec->stack);
	if (!r->ev.allowed && !s->o->quiet)
		tracer_explain_denial(&rec->w, &r->ev);
}

/* The call goes on or fails as decided. */
static void answer(struct tracer_req *r)
{
	if (r->addfd < 0 || !inject_fd(r, true))
		respond(r);
}

/*
 * A refusal is recorded and explained before the program hears of it
 * (its own message comes after proctor's line), and so is a question's
 * answer and a call whose stack is logged.  An allowed call goes on first and
 * is recorded right after, in the place in the log it took when answered
 * (tracer_log_turn): a write off the path of every logged call, while
 * tasks are woken on other CPUs (busy, crowd_).
 */
void tracer_req_answer(struct tracer_req *r)
{
	struct record rec;
	uint64_t turn;

	if (r->log && r->ev.cls == RULES_WRITE && r->ev.allowed && !r->err) {
		/* a directory renamed (or exchanged, both ways: either
		 * name may hold one now) may bring a repository along; a
		 * link (git's every object) names none: no look at it */
		bool moved = r->ev.object2 && !strncmp(r->name, "rename", 6);

		tracer_gitrisk_note(r->ev.object, moved);
		tracer_gitrisk_note(r->ev.object2, moved);
	}
	/* recorded at the end already: the run ended while it was served */
	if (!r->log || atomic_exchange(&r->recorded, true) ||
	    !record_begin(r->sup, r, &rec)) {
		answer(r);
		return;
	}
	/*
	 * Woken on this CPU, the task would run only once this receiver
	 * sleeps again: after the record, so it is written first.
	 */
	if (!r->ev.allowed || r->ev.answered_by || rec.stack ||
	    sync_wakeup_on(r->sup)) {
		if (r->addfd >= 0)
			inject_fd(r, false); /* the record holds its number */
		record_end(r->sup, r, &rec, 0);
		respond(r);
		return;
	}
	turn = tracer_log_turn();
	answer(r);
	record_end(r->sup, r, &rec, turn);
}

/*
 * Runs the handler.  On the receiver (may_block false) a handler that
 * would wait (a blocking connect) sets r->defer instead, and the
 * request goes to the pool, which runs it again from the start.  A call
 * that waits for an event (a FIFO open, a TCP connect) sets r->park,
 * anywhere: it is parked with park.c's waiter, which answers it.
 * A call that asks (r->question, anywhere) is parked until answered and
 * then runs again from the start on the pool, with the answer.
 */
static void serve_one(struct tracer_sup *s, const struct seccomp_notif *n,
		      bool may_block, struct tracer_question *answered,
		      struct parked_record *rec, struct tracer_req *rp)
{
	struct tracer_req *r = rp;
	tracer_handler fn = NULL;

	memset(r, 0, TRACER_REQ_HEAD);
	r->object[0] = r->object2[0] = r->advice[0] = r->host[0] = '\0';
	r->sup = s;
	r->id = n->id;
	r->tid = n->pid;
	r->nr = n->data.nr;
	r->addfd = -1;
	r->addfd_at = -1;
	r->made_dir = -1;
	r->may_block = may_block;
	r->answered = answered;
	clock_gettime(CLOCK_MONOTONIC, &r->arrived);
	tracer_ident_settle(r->tid); /* its last call, if a change, is done */
	memcpy(r->args, n->data.args, sizeof(r->args));
	r->tgid = tracer_proc_tgid(r->tid);
	tracer_grant_serving(r->tgid);
	r->name = arch_syscall_name(r->nr);
	if (r->nr >= 0 && r->nr < NOTIFY_NR_MAX)
		fn = handlers[r->nr];
	if (fn)
		fn(r);
	else
		r->err = ENOSYS; /* the filter and this table disagree */

	/* answered, but its task went before the call could run again */
	if (rec && !r->log && !r->question && !tracer_req_valid(r))
		parked_record_log(rec, r->answered);
	parked_record_free(rec);
	tracer_prompt_release(r->answered);
	if (r->question && r->defer) {
		drop_addfd(r);
		if (park(s, n, r))
			return;
		r->err = ENOMEM; /* cannot wait for the answer: refused */
		r->defer = false;
	}
	tracer_prompt_release(r->question); /* the call went on without it */
	if (r->park) {
		tracer_park_hand(r); /* the waiter answers it (park.c) */
		return;
	}
	if (r->defer && !may_block) {
		drop_addfd(r);
		pool_submit(s, n, NULL, NULL);
		return;
	}
	tracer_req_answer(r);
}

/*
 * Calls being served: at the end the log's closing record waits for
 * them (tracer_notify_drain), since a worker may still be carrying out
 * a call of a task killed meanwhile, a file it made for it, say: a
 * matter of microseconds.  A call that waits on the network (a blocking
 * connect to a host that does not answer) is not waited for past the
 * caller's bound: it is recorded then, allowed and unfinished, so that
 * the log names every call proctor let go on, and its worker, done
 * later, records nothing more (whoever takes r->recorded first writes).
 */
#define SERVING_MAX 256

static struct {
	pthread_mutex_t lock;
	struct tracer_req *r[SERVING_MAX];
	int now;
} serving = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int serving_add(struct tracer_req *r)
{
	int i;

	pthread_mutex_lock(&serving.lock);
	for (i = 0; i < SERVING_MAX && serving.r[i]; i++)
		;
	if (i < SERVING_MAX)
		serving.r[i] = r;
	serving.now++;
	pthread_mutex_unlock(&serving.lock);
	return i;
}

static void serving_remove(int i)
{
	pthread_mutex_lock(&serving.lock);
	if (i < SERVING_MAX)
		serving.r[i] = NULL;
	serving.now--;
	pthread_mutex_unlock(&serving.lock);
}

static void serve(struct tracer_sup *s, const struct seccomp_notif *n,
		  bool may_block, struct tracer_question *answered,
		  struct parked_record *rec)
{
	struct tracer_req r;
	int slot = serving_add(&r);

	serve_one(s, n, may_block, answered, rec, &r);
	serving_remove(slot);
	free(r.held_who);
}

void tracer_req_record_unfinished(struct tracer_req *r)
{
	struct tracer_event ev;
	struct tracer_who w;
	struct timespec now;

	if (!r->log || !r->ev.syscall || !r->ev.allowed ||
	    atomic_exchange(&r->recorded, true))
		return;
	ev = r->ev;
	ev.unfinished = true;
	ev.err = 0;
	ev.result = 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ev.latency_us = (now.tv_sec - r->arrived.tv_sec) * 1000000 +
			(now.tv_nsec - r->arrived.tv_nsec) / 1000;
	if (r->held_who)
		w = *r->held_who;
	else
		tracer_proc_who(r->tid, &w);
	tracer_log_decision(&w, &ev);
}

void tracer_req_hold_who(struct tracer_req *r)
{
	struct tracer_who *w;

	if (!tracer_log_on() || r->held_who || !(w = malloc(sizeof(*w))))
		return;
	tracer_proc_who(r->tid, w);
	tracer_proc_who_now(r->tid, w);
	/* whole before the end's record_unfinished may read it */
	pthread_mutex_lock(&serving.lock);
	r->held_who = w;
	pthread_mutex_unlock(&serving.lock);
}

static void pool_record_waiting(void);

void tracer_notify_drain(int ms)
{
	int left = 1;

	for (int i = 0; i < ms && left; i++) {
		pthread_mutex_lock(&serving.lock);
		left = serving.now;
		pthread_mutex_unlock(&serving.lock);
		if (left)
			usleep(1000);
	}
	if (!tracer_log_on())
		return;
	pool_record_waiting();
	tracer_park_record_waiting();
	if (!left)
		return;
	pthread_mutex_lock(&serving.lock);
	for (int i = 0; i < SERVING_MAX; i++)
		if (serving.r[i])
			tracer_req_record_unfinished(serving.r[i]);
	pthread_mutex_unlock(&serving.lock);
}

/*
 * Blocks every signal and gives the thread its own cwd and umask, and
 * the credentials of a serving thread.
 */
static int thread_setup(void)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	if (unshare(CLONE_FS) < 0)
		return -errno;
	tracer_path_own_fs();
	tracer_cred_thread_rest(); /* not its creator's of the moment */
	return 0;
}

int tracer_thread_start(void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/*
	 * glibc carves a thread's static TLS (the per-worker buffers, about
	 * 190 KiB) out of this size: 256 KiB of stack on top.  Pages are
	 * only resident once touched.
	 */
	pthread_attr_setstacksize(&attr, 512 * 1024);
	rc = pthread_create(&t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return -rc;
}

/* ---- the pool, for calls that may wait ---------------------------------- */

struct job {
	struct seccomp_notif n;
	struct tracer_question *answered;
	struct parked_record *rec;
	struct job *next;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t more;
	struct job *head, **tail;
	int idle, threads;
} pool = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.more = PTHREAD_COND_INITIALIZER,
	.tail = &pool.head,
};

static void *pool_thread(void *arg)
{
	struct tracer_sup *s = arg;
	struct job *j;

	if (thread_setup() < 0)
		return NULL;
	pthread_mutex_lock(&pool.lock);
	for (;;) {
		while (!pool.head) {
			pool.idle++;
			pthread_cond_wait(&pool.more, &pool.lock);
			pool.idle--;
		}
		j = pool.head;
		pool.head = j->next;
		if (!pool.head)
			pool.tail = &pool.head;
		pthread_mutex_unlock(&pool.lock);

		serve(s, &j->n, true, j->answered, j->rec);
		free(j);

		pthread_mutex_lock(&pool.lock);
	}
	return NULL;
}

/*
 * At the end: calls whose question was answered but which still wait in
 * the queue for a worker (all of them busy, on hosts that do not
 * answer, say) will not run; their records say what was answered.
 */
static void pool_record_waiting(void)
{
	struct job *j;

	pthread_mutex_lock(&pool.lock);
	for (j = pool.head; j; j = j->next)
		if (j->rec && j->answered) {
			parked_record_log(j->rec, j->answered);
			parked_record_free(j->rec);
			j->rec = NULL;
		}
	pthread_mutex_unlock(&pool.lock);
}

/*
 * Hands n (with the answer to its question, if it has one) to an idle
 * pool thread, starting one if none is idle.
 */
static void pool_submit(struct tracer_sup *s, const struct seccomp_notif *n,
			struct tracer_question *answered,
			struct parked_record *rec)
{
	struct job *j = malloc(sizeof(*j));
	bool start;

	if (!j) {
		/* no memory: wait here rather than fail */
		serve(s, n, true, answered, rec);
		return;
	}
	j->n = *n;
	j->answered = answered;
	j->rec = rec;
	j->next = NULL;
	pthread_mutex_lock(&pool.lock);
	*pool.tail = j;
	pool.tail = &j->next;
	start = pool.idle == 0 && pool.threads < NOTIFY_MAX_WORKERS;
	if (start)
		pool.threads++;
	pthread_cond_signal(&pool.more);
	pthread_mutex_unlock(&pool.lock);
	if (start && tracer_thread_start(pool_thread, s) < 0) {
		pthread_mutex_lock(&pool.lock);
		pool.threads--;
		pthread_mutex_unlock(&pool.lock);
	}
}

/*
 * The receivers.  For each notification the kernel wakes every thread
 * waiting in RECV; one takes it and the others go back to sleep.  Three
 * waiting receivers cost four needless switches a call, and the one that
 * wins is most often the last one served, still warm on the other CPU,
 * so the call crosses CPUs twice (100k write opens on a 2-vCPU machine:
 * about 48 us a call against 35 us with one receiver on the caller's
 * CPU).  So the receivers have two modes:
 *
 *   calm: calls come one at a time.  One receiver waits in RECV, the
 *     others are parked here, out of the kernel's reach, and the wake-up
 *     is synchronous (6.6+): the calling task and its receiver share
 *     one CPU, two switches a call.
 *   busy: a call waited while another was served (the listener holds
 *     one as the receiver answers).  Every receiver waits in
 *     RECV, and the wake-up is asynchronous: synchronous, it piles the
 *     callers of several CPUs onto one as the other idles (a make -j2
 *     build sending every open here: 1.5x native with it, 1.2x without).
 *
 * busy lasts until WAKE_ALONE calls in a row found no other being served.
 * Calls that may wait are passed on to the pool, but a receiver can
 * still be held up where nothing says it will be: a blocking connect to
 * a loopback listener whose queue is full waits for SYN retries (up to
 * two minutes), an open of a file under a lease waits for its holder
 * (45 s).  Calm, every other task's call would wait as long: so one
 * parked receiver watches, and a call in service for STUCK_MS while
 * another waits turns the crowd busy.
 */
#define WAKE_ALONE 64
#define STUCK_MS   100

static struct {
	atomic_int serving; /* receivers between RECV and their answer */
	atomic_int alone;   /* busy: calls in a row that found none */
	atomic_bool busy;
	atomic_int ids;		/* receivers started */
	atomic_uint taken;	/* calls taken: the watch compares */
	bool watched;		/* a parked receiver watches (lock held) */
	atomic_bool watch_idle; /* the watch sleeps until a call is taken */
	pthread_mutex_t lock;	/* one change of mode at a time */
	pthread_cond_t unpark;	/* on CLOCK_MONOTONIC (crowd_init) */
	pthread_cond_t nudge;	/* the idle watch's */
} crowd = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.nudge = PTHREAD_COND_INITIALIZER,
};

static void crowd_init(void)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&crowd.unpark, &ca);
	pthread_condattr_destroy(&ca);
}

/* Called with crowd.lock held. */
static void crowd_set_busy_locked(const struct tracer_sup *s, bool busy)
{
	uint64_t flags = busy ? 0 : SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP;

	if (atomic_load(&crowd.busy) == busy)
		return;
	if (s->sync_wakeup)
		ioctl(s->listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, flags);
	atomic_store(&crowd.alone, 0);
	atomic_store(&crowd.busy, busy);
	if (busy) {
		pthread_cond_broadcast(&crowd.unpark);
		pthread_cond_signal(&crowd.nudge);
	}
}

static bool sync_wakeup_on(const struct tracer_sup *s)
{
	return s->sync_wakeup &&
	       !atomic_load_explicit(&crowd.busy, memory_order_relaxed);
}

static void crowd_set_busy(const struct tracer_sup *s, bool busy)
{
	pthread_mutex_lock(&crowd.lock);
	crowd_set_busy_locked(s, busy);
	pthread_mutex_unlock(&crowd.lock);
}

/* Whether the listener reports any of what (POLLIN: a call waits). */
static bool listener_has(int listener, short what)
{
	struct pollfd pfd = { .fd = listener, .events = POLLIN };

	return poll(&pfd, 1, 0) > 0 && pfd.revents & what;
}

/*
 * The watch, by one parked receiver: a call in service all along a wait
 * of STUCK_MS (none taken meanwhile) holds up any that waits.  Called
 * with crowd.lock held: a wake-up every STUCK_MS while calls come; after
 * a whole wait without one, it sleeps until crowd_took() nudges it
 * (seq_cst on both sides: one of the two sees the other's store).
 */
static void crowd_watch(const struct tracer_sup *s)
{
	unsigned seen = atomic_load(&crowd.taken);
	bool serving = atomic_load(&crowd.serving) > 0;
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += STUCK_MS * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	if (pthread_cond_timedwait(&crowd.unpark, &crowd.lock, &until) !=
		    ETIMEDOUT ||
	    atomic_load(&crowd.busy))
		return;
	if (serving && atomic_load(&crowd.serving) > 0 &&
	    atomic_load(&crowd.taken) == seen &&
	    listener_has(s->listener, POLLIN))
		crowd_set_busy_locked(s, true);
	if (serving || atomic_load(&crowd.taken) != seen)
		return;
	atomic_store(&crowd.watch_idle, true);
	if (atomic_load(&crowd.taken) == seen && !atomic_load(&crowd.busy))
		pthread_cond_wait(&crowd.nudge, &crowd.lock);
	atomic_store(&crowd.watch_idle, false);
}

/*
 * Receiver id > 0 waits here while calls come one at a time; the first
 * to park watches (all leave together, once busy).
 */
static void crowd_park(const struct tracer_sup *s, int id)
{
	bool watch;

	if (id == 0 || atomic_load(&crowd.busy))
		return;
	pthread_mutex_lock(&crowd.lock);
	watch = !crowd.watched;
	crowd.watched = true;
	while (!atomic_load(&crowd.busy)) {
		if (watch)
			crowd_watch(s);
		else
			pthread_cond_wait(&crowd.unpark, &crowd.lock);
	}
	if (watch)
		crowd.watched = false;
	pthread_mutex_unlock(&crowd.lock);
}

/* whether this thread's call is counted in crowd.serving */
static _Thread_local bool crowd_counted;

/* Called as a receiver takes a call: busy ends after WAKE_ALONE alone. */
static void crowd_took(const struct tracer_sup *s)
{
	bool overlap = atomic_fetch_add(&crowd.serving, 1) > 0;

	atomic_fetch_add(&crowd.taken, 1);
	crowd_counted = true;
	if (atomic_load(&crowd.watch_idle)) {
		pthread_mutex_lock(&crowd.lock);
		pthread_cond_signal(&crowd.nudge);
		pthread_mutex_unlock(&crowd.lock);
	}
	if (!atomic_load_explicit(&crowd.busy, memory_order_relaxed))
		return;
	if (overlap)
		atomic_store_explicit(&crowd.alone, 0, memory_order_relaxed);
	else if (atomic_fetch_add_explicit(&crowd.alone, 1,
					   memory_order_relaxed) >= WAKE_ALONE)
		crowd_set_busy(s, false);
}

/*
 * Called on the receiver just before its answer wakes the task, or once
 * it passed the call on: a call waiting meanwhile came from another task
 * (this one waits for the answer), so calls no longer come one at a time.
 * Asked after the answer, the listener would also hold the task's next
 * call, made as soon as it woke.
 */
static void crowd_answering(const struct tracer_sup *s)
{
	if (!crowd_counted)
		return;
	crowd_counted = false;
	atomic_fetch_sub(&crowd.serving, 1);
	if (!atomic_load_explicit(&crowd.busy, memory_order_relaxed) &&
	    listener_has(s->listener, POLLIN))
		crowd_set_busy(s, true);
}

static void *receiver(void *arg)
{
	struct tracer_sup *s = arg;
	int id = atomic_fetch_add(&crowd.ids, 1);
	struct seccomp_notif n;

	if (thread_setup() < 0)
		return NULL;
	for (;;) {
		crowd_park(s, id);
		memset(&n, 0, sizeof(n));
		if (ioctl(s->listener, SECCOMP_IOCTL_NOTIF_RECV, &n) < 0) {
			if (errno == EINTR)
				continue;
			/*
			 * ENOENT: another receiver took it, or no task uses
			 * the filter any more and RECV no longer waits: then
			 * the listener reports a hang-up, and we are done.
			 */
			if (errno == ENOENT &&
			    !listener_has(s->listener, POLLHUP | POLLERR))
				continue;
			break;
		}
		crowd_took(s);
		serve(s, &n, false, NULL, NULL);
		crowd_answering(s); /* passed on to the pool, or parked */
	}
	return NULL;
}

static void handlers_load(void)
{
	const char *name;
	size_t i;

	for (i = 0; i < sizeof(handler_names) / sizeof(*handler_names); i++) {
		int nr = arch_syscall_nr(handler_names[i].name);

		if (nr >= 0 && nr < NOTIFY_NR_MAX)
			handlers[nr] = handler_names[i].fn;
	}
	for (i = 0; (name = tracer_ident_call(i)) != NULL; i++) {
		int nr = arch_syscall_nr(name);

		if (nr >= 0 && nr < NOTIFY_NR_MAX)
			handlers[nr] = tracer_on_identity;
	}
	/* the filter sends these only with TLS interception on */
	for (i = 0; (name = tracer_ca_stat_call(i)) != NULL; i++) {
		int nr = arch_syscall_nr(name);

		if (nr >= 0 && nr < NOTIFY_NR_MAX)
			handlers[nr] = tracer_on_ca_stat;
	}
}

int tracer_notify_start(struct tracer_sup *s)
{
	uint64_t flags = SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP;
	long i, n;
	int rc;

	handlers_load();
	crowd_init();
	/* 6.6+: wake the waiting task on our CPU while calm (crowd_) */
	s->sync_wakeup =
		ioctl(s->listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, flags) == 0;
	/*
	 * Busy, with a spare waiter one is most often on the waking CPU
	 * (100k emulated opens, 2 vCPUs: two receivers 29 to 41 us a call,
	 * three 18 to 25, four 26, more slower again): one per CPU and one
	 * more.
	 */
	n = sysconf(_SC_NPROCESSORS_ONLN) + 1;
	if (n < 2 || n > 9)
		n = n < 2 ? 2 : 9;
	for (i = 0; i < n; i++) {
		rc = tracer_thread_start(receiver, s);
		if (rc < 0 && i == 0)
			return rc;
	}
	return 0;
}
