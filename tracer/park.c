/* SPDX-License-Identifier: MIT */
/*
 * Calls that wait, parked with one thread.  A call that may wait long
 * (a FIFO open for its other end, a TCP connect to a host that does not
 * answer) would hold a pool worker for as long, and past Ctrl-C: a task
 * waiting for proctor's answer cannot act on a signal, not even on
 * SIGINT's handler.  So such a call is parked: its request is kept, and
 * one thread, the waiter, holds every parked call.  It tries each again
 * when the descriptor it watches (a FIFO's read end, a connecting
 * socket) wakes its epoll, or on a timer (a FIFO's write end: nothing
 * tells when a reader comes), and answers the call once its kind says
 * it is done; or with EINTR once a signal waits for the task or its
 * notification is gone, as a worker waiting in the call could not; or
 * as its kind says once its deadline passed (a socket's own timeout).
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "tracer/tracer.h"

/*
 * Parked calls at most, and no more than a quarter of the descriptors
 * the supervisor may hold (each holds one or two); past it a call waits
 * on a pool worker, as all did before (of which there are 64; then they
 * queue).  Each also holds its request (about 11 KiB).
 */
#define PARK_MAX      4096
#define PARK_RETRY_MS 20
/* the waiter visits every parked call at most this often */
#define PARK_ROUND_MS 10
/* how often a parked call's task is asked about its signals (procfs) */
#define PARK_CHECK_MS 100
/* and about its notification, which costs more (park_step) */
#define PARK_VALID_MS 1000

struct tracer_park {
	const struct tracer_park_kind *kind;
	void *what;	  /* the kind's */
	int fd;		  /* watched in the epoll, or -1 */
	uint32_t events;  /* for fd */
	int64_t deadline; /* answered with expired then */
	int expired;
	int64_t try_at, check_at; /* the waiter's next try, next check */
	int64_t valid_at;	  /* when it asks about the notification */
	size_t slot;		  /* in the waiter's list */
	bool watched;		  /* fd is in the waiter's epoll */
	struct tracer_park *next; /* waiting to be taken by the waiter */
	struct tracer_req r;	  /* the call, answered once done */
};

static atomic_int parked;

static struct {
	pthread_mutex_t lock; /* incoming, and the list for the end */
	struct tracer_park *incoming;
	int wake;    /* an eventfd: a call was parked */
	int ep;	     /* an epoll: wake, and the watched descriptors */
	int started; /* 1 running, -1 could not start, 0 not yet */
} waiter = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = -1, .ep = -1 };

/* The waiter's calls: its alone, but for the end (waiter.lock). */
struct waitlist {
	struct tracer_park **w;
	size_t n, cap;
	size_t tried; /* of them, tried on the timer */
};

static struct waitlist list;

/* A task's signal masks, from /proc/TID/status. */
struct sigstate {
	unsigned long long pnd, shd, blk, ign, cgt;
	unsigned threads;
	pid_t tgid;
	bool gone; /* or a zombie: it takes no signal */
};

static bool sig_read(pid_t tgid, pid_t tid, struct sigstate *st)
{
	static const struct {
		const char *key;
		size_t at;
	} masks[] = {
		{ "\nSigPnd:", offsetof(struct sigstate, pnd) },
		{ "\nShdPnd:", offsetof(struct sigstate, shd) },
		{ "\nSigBlk:", offsetof(struct sigstate, blk) },
		{ "\nSigIgn:", offsetof(struct sigstate, ign) },
		{ "\nSigCgt:", offsetof(struct sigstate, cgt) },
	};
	char path[64], buf[4096], *at;

	memset(st, 0, sizeof(*st));
	if (tgid)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/status", tgid,
			 tid);
	else
		snprintf(path, sizeof(path), "/proc/%d/status", tid);
	if (tracer_proc_read(path, buf, sizeof(buf)) <= 0)
		return false;
	if ((at = strstr(buf, "\nState:\t")) && (at[8] == 'Z' || at[8] == 'X'))
		st->gone = true;
	if ((at = strstr(buf, "\nTgid:")))
		sscanf(at, "\nTgid: %d", &st->tgid);
	if ((at = strstr(buf, "\nThreads:")))
		sscanf(at, "\nThreads: %u", &st->threads);
	for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++)
		if ((at = strstr(buf, masks[i].key)))
			sscanf(at + strlen(masks[i].key), " %llx",
			       (unsigned long long *)((char *)st +
						      masks[i].at));
	return true;
}

#define SIGBIT(n) (1ULL << ((n)-1))

/*
 * Signals that interrupt nothing natively: ignored by default and not
 * caught (a traced task queues them all the same: SIGCHLD as a child
 * exits, SIGWINCH as a window is resized).
 */
static unsigned long long idle_signals(const struct sigstate *st)
{
	unsigned long long dfl_ign = SIGBIT(SIGCHLD) | SIGBIT(SIGWINCH) |
				     SIGBIT(SIGURG) | SIGBIT(SIGCONT);

	return st->ign | (dfl_ign & ~st->cgt);
}

/* Stop signals left to their default: every thread takes part. */
static unsigned long long stop_signals(const struct sigstate *st)
{
	return SIGBIT(SIGSTOP) |
	       ((SIGBIT(SIGTSTP) | SIGBIT(SIGTTIN) | SIGBIT(SIGTTOU)) &
		~st->cgt);
}

/*
 * Who takes sigs, sent to the process, of the threads of tgid: the
 * kernel offers a signal to the main thread first, then to the others.
 * 1 another than tid; 0 tid (the main thread, or the one that does not
 * block them); -1 another may (which, the kernel decides as it sends).
 */
static int other_takes(pid_t tgid, pid_t tid, unsigned long long sigs,
		       unsigned threads)
{
	struct sigstate o;
	struct dirent *de;
	char path[64];
	int rc = 0;
	DIR *d;

	if (threads <= 1 || tid == tgid)
		return 0;
	if (sig_read(tgid, tgid, &o) && !o.gone && sigs & ~o.blk)
		return 1;
	snprintf(path, sizeof(path), "/proc/%d/task", tgid);
	if (!(d = opendir(path)))
		return -1;
	while (rc == 0 && (de = readdir(d))) {
		pid_t t = (pid_t)atoi(de->d_name);

		if (t > 0 && t != tid && t != tgid && sig_read(tgid, t, &o) &&
		    !o.gone && sigs & ~o.blk)
			rc = -1;
	}
	closedir(d);
	return rc;
}

int tracer_task_signal(pid_t tid)
{
	struct sigstate st;
	unsigned long long live, shd;

	if (!sig_read(0, tid, &st) || st.gone)
		return TRACER_SIG_EINTR; /* gone: stop waiting for it */
	live = ~st.blk & ~idle_signals(&st);
	if (st.pnd & live)
		return TRACER_SIG_RESTART; /* its own */
	shd = st.shd & live;
	if (!shd)
		return TRACER_SIG_NONE;
	/* a group stop wakes every thread, and restarts the call after */
	if (shd & stop_signals(&st))
		return TRACER_SIG_RESTART;
	switch (other_takes(st.tgid ? st.tgid : tid, tid, shd, st.threads)) {
	case 1:
		return TRACER_SIG_NONE; /* natively this call goes on */
	case 0:
		return TRACER_SIG_RESTART;
	default:
		return TRACER_SIG_EINTR;
	}
}

int64_t tracer_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Room for one more: false without memory. */
static bool list_grow(struct waitlist *l)
{
	size_t cap = l->cap ? l->cap * 2 : 64;
	void *w;

	if (l->n < l->cap)
		return true;
	/* under the lock: the end may be reading the list */
	pthread_mutex_lock(&waiter.lock);
	w = realloc(l->w, cap * sizeof(*l->w));
	if (w) {
		l->w = w;
		l->cap = cap;
	}
	pthread_mutex_unlock(&waiter.lock);
	return w != NULL;
}

static void *park_waiter(void *arg);

/* Called with waiter.lock held: whether the waiter runs. */
static bool waiter_running(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

	if (waiter.started != 0)
		return waiter.started > 0;
	waiter.started = -1;
	waiter.wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	waiter.ep = epoll_create1(EPOLL_CLOEXEC);
	if (waiter.wake < 0 || waiter.ep < 0 ||
	    epoll_ctl(waiter.ep, EPOLL_CTL_ADD, waiter.wake, &ev) < 0)
		return false;
	list.cap = 64;
	list.w = malloc(list.cap * sizeof(*list.w));
	if (!list.w)
		return false;
	if (tracer_thread_start(park_waiter, &list) == 0)
		waiter.started = 1;
	return waiter.started > 0;
}

static int park_most(void)
{
	static atomic_int most;
	struct rlimit rl;
	int n = atomic_load(&most);

	if (n)
		return n;
	n = PARK_MAX;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur / 4 < (rlim_t)n)
		n = (int)(rl.rlim_cur / 4);
	n = n < 1 ? 1 : n;
	atomic_store(&most, n);
	return n;
}

struct tracer_park *tracer_park_reserve(void)
{
	struct tracer_park *pk;
	bool up;

	pthread_mutex_lock(&waiter.lock);
	up = waiter_running();
	pthread_mutex_unlock(&waiter.lock);
	if (!up || atomic_fetch_add(&parked, 1) >= park_most())
		goto full;
	pk = malloc(sizeof(*pk));
	if (pk) {
		pk->kind = NULL;
		pk->what = NULL;
		pk->fd = -1;
		pk->deadline = INT64_MAX;
		return pk;
	}
full:
	if (up)
		atomic_fetch_sub(&parked, 1);
	return NULL;
}

void tracer_park_release(struct tracer_park *pk)
{
	free(pk);
	atomic_fetch_sub(&parked, 1);
}

void tracer_park_set(struct tracer_park *pk, const struct tracer_park_kind *k,
		     void *what, int fd, uint32_t events, int64_t deadline,
		     int expired)
{
	pk->expired = expired;
	pk->kind = k;
	pk->what = what;
	pk->fd = fd;
	pk->events = events;
	pk->deadline = deadline;
}

/* p, a pointer into the request from, moved to the same place in to. */
static const void *moved(const void *p, const struct tracer_req *from,
			 struct tracer_req *to)
{
	uintptr_t at = (uintptr_t)p, base = (uintptr_t)from;

	if (at < base || at >= base + sizeof(*from))
		return p;
	return (const char *)to + (at - base);
}

/* Copies a request; what pointed into it points into the copy. */
static void req_copy(struct tracer_req *to, const struct tracer_req *from)
{
	memcpy(to, from, sizeof(*to));
#define MOVE(field) (to->field = moved(from->field, from, to))
	MOVE(name);
	MOVE(addr);
	MOVE(ev.syscall);
	MOVE(ev.args);
	MOVE(ev.cls_name);
	MOVE(ev.object);
	MOVE(ev.object_key);
	MOVE(ev.object2);
	MOVE(ev.name);
	MOVE(ev.extra);
	MOVE(ev.argv);
	MOVE(ev.verdict);
	MOVE(ev.advice);
	MOVE(ev.answer);
	MOVE(ev.answered_by);
	MOVE(ev.grant_by);
	MOVE(verdict.origin);
	MOVE(verdict.where);
	MOVE(verdict.pattern);
#undef MOVE
}

void tracer_park_hand(struct tracer_req *r)
{
	struct tracer_park *pk = r->park;
	uint64_t one = 1;

	req_copy(&pk->r, r);
	pk->r.park = NULL;
	pk->r.held_who = r->held_who; /* the copy's now */
	r->held_who = NULL;
	pk->try_at = pk->check_at = 0; /* both at the waiter's first look */
	pthread_mutex_lock(&waiter.lock);
	pk->next = waiter.incoming;
	waiter.incoming = pk;
	pthread_mutex_unlock(&waiter.lock);
	if (write(waiter.wake, &one, sizeof(one)) < 0) {
		/* the counter is full: the waiter will wake anyway */
	}
}

/*
 * How often a call is tried on the timer and its task asked about its
 * signals: PARK_RETRY_MS and PARK_CHECK_MS, slower once many wait, so
 * that the waiter's work stays bounded (a FIFO open that fails takes 4
 * to 8 us, a read of a task's status 18 to 36 us): at most 10000 tries
 * and 2000 reads a second.  With 1000 FIFO write ends waiting, each is
 * tried every 100 ms, and a signal is seen within 500 ms; on a busy
 * 2-vCPU machine the waiter took 7% of a CPU with 100 opens parked, 16%
 * with 1000, 19% with 4000.
 */
struct pace {
	int64_t retry_ms, check_ms, valid_ms;
};

static struct pace list_pace(const struct waitlist *l)
{
	struct pace p = { PARK_RETRY_MS, PARK_CHECK_MS, PARK_VALID_MS };
	int64_t n = (int64_t)l->n;

	if ((int64_t)l->tried / 10 > p.retry_ms)
		p.retry_ms = (int64_t)l->tried / 10;
	if (n / 2 > p.check_ms)
		p.check_ms = n / 2;
	if (n * n / 500 > p.valid_ms)
		p.valid_ms = n * n / 500;
	return p;
}

/* Whether the call is tried on the timer. */
static bool on_timer(const struct tracer_park *pk)
{
	return !pk->watched && pk->kind->retried;
}

/*
 * One parked call, once due: 1 done, 0 waiting, -errno.  One on the
 * timer is tried again, and its task is asked about: EINTR once a
 * signal waits for it, or it is gone, or (seldom: the kernel finds an
 * id in a list of all the listener's calls) its notification is
 * (before 5.19 a signal ends the wait).
 */
static int park_step(struct tracer_park *pk, int64_t now,
		     const struct pace *pace)
{
	int rc = 0, sig;

	if (on_timer(pk) && now >= pk->try_at) {
		rc = pk->kind->try(pk->what);
		pk->try_at = now + pace->retry_ms;
	}
	if (rc != 0)
		return rc;
	if (now >= pk->deadline)
		return pk->expired;
	if (now < pk->check_at)
		return 0;
	pk->check_at = now + pace->check_ms;
	sig = tracer_task_signal(pk->r.tid);
	/* a wait with a timeout ends at a signal, as the kernel's does */
	pk->r.restart = sig == TRACER_SIG_RESTART && pk->deadline == INT64_MAX;
	if (sig != TRACER_SIG_NONE)
		return -EINTR;
	if (now < pk->valid_at)
		return 0;
	pk->valid_at = now + pace->valid_ms;
	return tracer_req_valid(&pk->r) ? 0 : -EINTR;
}

/* When pk is due again (its descriptor wakes the epoll too). */
static int64_t park_due(const struct tracer_park *pk)
{
	int64_t due = pk->check_at;

	if (on_timer(pk) && pk->try_at < due)
		due = pk->try_at;
	return pk->deadline < due ? pk->deadline : due;
}

/* The call's answer, as the worker that served it would have given. */
static void park_answer(struct tracer_park *pk, int rc)
{
	struct tracer_req *r = &pk->r;

	/* the program's copy of a descriptor would keep it in the epoll */
	if (pk->watched)
		epoll_ctl(waiter.ep, EPOLL_CTL_DEL, pk->fd, NULL);
	pk->watched = false;
	pk->kind->finish(r, pk->what, rc);
	tracer_req_answer(r);
	free(r->held_who);
	tracer_park_release(pk);
}

/* Takes pk off the list, and answers it. */
static void list_done(struct waitlist *l, struct tracer_park *pk, int rc)
{
	l->tried -= on_timer(pk);
	pthread_mutex_lock(&waiter.lock);
	l->n--;
	l->w[pk->slot] = l->w[l->n];
	l->w[pk->slot]->slot = pk->slot;
	pthread_mutex_unlock(&waiter.lock);
	park_answer(pk, rc);
}

/* Steps the calls that are due; returns when the next one is. */
static int64_t list_step(struct waitlist *l, int64_t now)
{
	struct pace pace = list_pace(l);
	int64_t due = now + pace.check_ms;
	size_t i;
	int rc;

	for (i = 0; i < l->n;) {
		struct tracer_park *pk = l->w[i];

		rc = park_due(pk) <= now ? park_step(pk, now, &pace) : 0;
		if (rc != 0) {
			list_done(l, pk, rc); /* w[i] is another now */
			continue;
		}
		if (park_due(pk) < due)
			due = park_due(pk);
		i++;
	}
	/* rounds at most every PARK_ROUND_MS: each visits every call */
	return due < now + PARK_ROUND_MS ? now + PARK_ROUND_MS : due;
}

/* Puts pk on the list and its descriptor in the epoll. */
static bool list_add(struct waitlist *l, struct tracer_park *pk)
{
	struct epoll_event ev = { .events = pk->events, .data.ptr = pk };

	if (!list_grow(l))
		return false;
	/* else tried on the timer (ENOSPC: a limit) */
	pk->watched = pk->fd >= 0 &&
		      !epoll_ctl(waiter.ep, EPOLL_CTL_ADD, pk->fd, &ev);
	pthread_mutex_lock(&waiter.lock);
	pk->slot = l->n;
	l->w[l->n++] = pk;
	pthread_mutex_unlock(&waiter.lock);
	l->tried += on_timer(pk);
	return true;
}

/*
 * Takes the calls parked since, and steps each once (its task may have
 * a signal waiting already); returns when the first of them is due.
 */
static int64_t list_take(struct waitlist *l, int64_t now)
{
	struct tracer_park *pk, *next;
	int64_t due = INT64_MAX;
	struct pace pace;
	uint64_t count;
	int rc;

	if (read(waiter.wake, &count, sizeof(count)) < 0) {
		/* nothing was parked since */
	}
	pthread_mutex_lock(&waiter.lock);
	pk = waiter.incoming;
	waiter.incoming = NULL;
	pthread_mutex_unlock(&waiter.lock);
	for (; pk; pk = next) {
		next = pk->next;
		if (!list_add(l, pk)) {
			park_answer(pk, -ENOMEM);
			continue;
		}
		pace = list_pace(l);
		pk->valid_at = now + pace.valid_ms; /* valid: just served */
		rc = park_step(pk, now, &pace);
		if (rc != 0)
			list_done(l, pk, rc);
		else if (park_due(pk) < due)
			due = park_due(pk);
	}
	return due;
}

static void *park_waiter(void *arg)
{
	struct waitlist *l = arg;
	struct epoll_event ev[64];
	int64_t now, first, due = INT64_MAX;
	sigset_t all;
	int i, n, timeout;

	/* as its creator's: the signals are the main thread's to take */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	/* its creator, a receiver, moves its cwd, umask and credentials */
	unshare(CLONE_FS);
	tracer_cred_thread_rest();
	for (;;) {
		now = tracer_now_ms();
		timeout = due == INT64_MAX ? -1
			  : due > now	   ? (int)(due - now)
					   : 0;
		n = epoll_wait(waiter.ep, ev, 64, timeout);
		for (i = 0; i < n; i++) {
			struct tracer_park *pk = ev[i].data.ptr;
			int rc;

			if (!pk) {
				first = list_take(l, tracer_now_ms());
				due = first < due ? first : due;
				continue;
			}
			rc = pk->kind->try(pk->what); /* its descriptor woke */
			if (rc != 0)
				list_done(l, pk, rc);
		}
		now = tracer_now_ms();
		if (now >= due)
			due = l->n ? list_step(l, now) : INT64_MAX;
	}
	return NULL;
}

void tracer_park_record_waiting(void)
{
	struct tracer_park *pk;

	pthread_mutex_lock(&waiter.lock);
	for (pk = waiter.incoming; pk; pk = pk->next)
		tracer_req_record_unfinished(&pk->r);
	for (size_t i = 0; i < list.n; i++)
		tracer_req_record_unfinished(&list.w[i]->r);
	pthread_mutex_unlock(&waiter.lock);
}
