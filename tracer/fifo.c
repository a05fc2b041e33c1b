/* SPDX-License-Identifier: MIT */
/*
 * FIFO opens that wait for their other end.  A blocking open in the
 * supervisor would hold the task past Ctrl-C, and a thread for as long
 * as the partner takes to come, if it ever does: a program with as many
 * lonely FIFO opens as the pool has workers (notify.c) would stall every
 * other call that may wait.  So the open is made without waiting, on
 * the thread that serves the call, and one that must wait is parked:
 * its request is kept and one thread, the waiter, holds every parked
 * open.  It opens a write end again every FIFO_RETRY_MS (nothing tells
 * when a reader comes to a FIFO one has not opened; opening it to watch
 * would be a reader the writer sees; less often once hundreds wait)
 * and watches a read end, opened already, in an epoll for a writer's
 * data or its hang-up.  It answers the call once the open is done, or
 * with EINTR once a signal waits for the task or its notification is
 * gone, as the pool did when a worker waited.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
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
 * Parked opens at most, and no more than a quarter of the descriptors
 * the supervisor may hold (each holds one: the read end, or the write
 * end's directory); past it an open waits on a pool worker, as all did
 * before (of which there are 64; then they queue).  Each also holds its
 * request (about 11 KiB).
 */
#define FIFO_MAX_PARKED 4096
#define FIFO_RETRY_MS	20
/* the waiter visits every parked open at most this often */
#define FIFO_ROUND_MS 10
/* how often a parked open's task is asked about its signals (procfs) */
#define FIFO_CHECK_MS 100
/* and about its notification, which costs more (fifo_step) */
#define FIFO_VALID_MS 1000

/* One end being opened. */
struct fifo_end {
	int at; /* the FIFO's directory */
	char name[256];
	int flags; /* the program's, with O_NONBLOCK */
	pid_t tid; /* whose open: its credentials open it */
	bool reading;
	int fd; /* once opened (a read end at the first try) */
};

struct tracer_fifo {
	struct fifo_end e;
	int cloexec; /* the program's O_CLOEXEC, for its descriptor */
	int64_t try_at, check_at; /* the waiter's next try, next check */
	int64_t valid_at;	  /* when it asks about the notification */
	size_t slot;		  /* in the waiter's list */
	bool watched;		  /* a read end in the waiter's epoll */
	struct tracer_fifo *next; /* waiting to be taken by the waiter */
	struct tracer_req r;	  /* the call, answered once done */
};

static atomic_int parked;

static struct {
	pthread_mutex_t lock;
	struct tracer_fifo *incoming;
	int wake;    /* an eventfd: an open was parked */
	int ep;	     /* an epoll: wake, and the read ends */
	int started; /* 1 running, -1 could not start, 0 not yet */
} waiter = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = -1, .ep = -1 };

/* What a signal does to a parked open (task_signal). */
enum {
	SIG_NONE,    /* none waits: the open waits on */
	SIG_EINTR,   /* the open fails with EINTR (or the task is gone) */
	SIG_RESTART, /* as natively: restarted after an SA_RESTART handler */
};

/*
 * Whether the task has a signal pending that it neither blocks nor
 * ignores (proc(5) status: SigPnd, ShdPnd, SigBlk, SigIgn).  A traced
 * task waiting for us cannot act on it, not even on SIGINT's default;
 * so the open ends, SIG_EINTR, also once the task is gone or a zombie
 * (killed: a task that waits for an answer is neither).
 *
 * The answer ERESTARTSYS lets the kernel restart the call after the
 * handler, or fail it with EINTR, as it does natively; but only as the
 * task returns with the signal still pending, else the program would
 * see errno 512.  So SIG_RESTART only for a signal none but the task can
 * take: its own (SigPnd), or the process's when it is the only thread
 * (the kernel wakes it for it); else SIG_EINTR.
 */
static int task_signal(pid_t tid)
{
	unsigned long long pnd = 0, shd = 0, blk = 0, ign = 0;
	char path[64], buf[4096], *at;
	unsigned threads = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	if (tracer_proc_read(path, buf, sizeof(buf)) <= 0)
		return SIG_EINTR; /* gone: stop waiting for it */
	if ((at = strstr(buf, "\nState:\t")) && (at[8] == 'Z' || at[8] == 'X'))
		return SIG_EINTR;
	if ((at = strstr(buf, "\nThreads:")))
		sscanf(at, "\nThreads: %u", &threads);
	if ((at = strstr(buf, "\nSigPnd:")))
		sscanf(at, "\nSigPnd: %llx", &pnd);
	if ((at = strstr(buf, "\nShdPnd:")))
		sscanf(at, "\nShdPnd: %llx", &shd);
	if ((at = strstr(buf, "\nSigBlk:")))
		sscanf(at, "\nSigBlk: %llx", &blk);
	if ((at = strstr(buf, "\nSigIgn:")))
		sscanf(at, "\nSigIgn: %llx", &ign);
	pnd &= ~blk & ~ign;
	shd &= ~blk & ~ign;
	if (pnd || (shd && threads == 1))
		return SIG_RESTART;
	return shd ? SIG_EINTR : SIG_NONE;
}

static void end_init(struct fifo_end *e, const struct tracer_path *p,
		     uint64_t flags, pid_t tid)
{
	e->tid = tid;
	e->at = p->parent;
	snprintf(e->name, sizeof(e->name), "%s", p->name);
	e->flags = (int)(flags & ~(uint64_t)O_CLOEXEC) | O_CLOEXEC | O_NOCTTY |
		   O_NONBLOCK | O_NOFOLLOW;
	e->reading = (flags & O_ACCMODE) == O_RDONLY;
	e->fd = -1;
}

/*
 * One try: 1 once the end is open and may be handed over (e->fd, made
 * blocking as the program asked), 0 while it waits, or -errno.  A read
 * end opened already waits for a writer's data or hang-up, up to
 * wait_ms (the waiter asks poll itself: 0).
 */
static int end_try(struct fifo_end *e, int wait_ms)
{
	struct pollfd pfd = { .events = POLLIN };

	if (e->fd < 0) {
		int err = tracer_as_task(e->tid);

		if (err < 0)
			return err;
		e->fd = openat(e->at, e->name, e->flags);
		err = e->fd < 0 ? errno : 0;
		tracer_as_self();
		if (e->fd < 0)
			return err == ENXIO ? 0 : -err; /* no reader */
		wait_ms = 0;
	}
	pfd.fd = e->fd;
	if (e->reading && poll(&pfd, 1, wait_ms) == 0)
		return 0;
	fcntl(e->fd, F_SETFL, fcntl(e->fd, F_GETFL) & ~O_NONBLOCK);
	return 1;
}

/* Returns the descriptor or -errno; e->fd is closed on failure. */
static int end_result(struct fifo_end *e, int rc)
{
	if (rc > 0)
		return e->fd;
	if (e->fd >= 0)
		close(e->fd);
	e->fd = -1;
	return rc;
}

/* The old way, on a pool worker: waits here while no signal waits. */
static int end_wait_here(struct fifo_end *e, struct tracer_req *r)
{
	int rc, sig;

	while ((rc = end_try(e, 100)) == 0) {
		if ((sig = task_signal(r->tid)) != SIG_NONE) {
			r->restart = sig == SIG_RESTART;
			rc = -EINTR;
			break;
		}
		if (e->fd < 0)
			usleep(FIFO_RETRY_MS * 1000);
	}
	return end_result(e, rc);
}

/* The waiter's opens: its alone, once it runs. */
struct waitlist {
	struct tracer_fifo **w;
	size_t n, cap;
	size_t tried; /* of them, opens tried on the timer */
};

static struct waitlist list;

static bool list_grow(struct waitlist *l);
static void *fifo_waiter(void *arg);

/* Called with waiter.lock held: whether the waiter runs. */
static bool waiter_running(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

	if (waiter.started != 0)
		return waiter.started > 0;
	waiter.started = -1;
	waiter.wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	waiter.ep = epoll_create1(EPOLL_CLOEXEC);
	if (waiter.wake < 0 || waiter.ep < 0 || !list_grow(&list) ||
	    epoll_ctl(waiter.ep, EPOLL_CTL_ADD, waiter.wake, &ev) < 0)
		return false;
	if (tracer_thread_start(fifo_waiter, &list) == 0)
		waiter.started = 1;
	return waiter.started > 0;
}

static int fifo_most(void)
{
	static atomic_int most;
	struct rlimit rl;
	int n = atomic_load(&most);

	if (n)
		return n;
	n = FIFO_MAX_PARKED;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur / 4 < (rlim_t)n)
		n = (int)(rl.rlim_cur / 4);
	n = n < 1 ? 1 : n;
	atomic_store(&most, n);
	return n;
}

/*
 * A place for one more parked open, with its own copy of the FIFO's
 * directory; NULL past FIFO_MAX_PARKED, without memory or descriptors,
 * or without a waiter.
 */
static struct tracer_fifo *fifo_reserve(const struct fifo_end *e)
{
	struct tracer_fifo *f;
	bool up;

	pthread_mutex_lock(&waiter.lock);
	up = waiter_running();
	pthread_mutex_unlock(&waiter.lock);
	if (!up || atomic_fetch_add(&parked, 1) >= fifo_most())
		goto full;
	f = malloc(sizeof(*f));
	if (!f)
		goto full;
	f->e = *e;
	f->e.at = fcntl(e->at, F_DUPFD_CLOEXEC, 0);
	if (f->e.at >= 0)
		return f;
	free(f);
full:
	if (up)
		atomic_fetch_sub(&parked, 1);
	return NULL;
}

static void fifo_free(struct tracer_fifo *f)
{
	if (f->e.fd >= 0)
		close(f->e.fd);
	if (f->e.at >= 0)
		close(f->e.at);
	free(f);
	atomic_fetch_sub(&parked, 1);
}

int tracer_fifo_open(struct tracer_req *r, const struct tracer_path *p,
		     uint64_t flags)
{
	struct tracer_fifo *f;
	struct fifo_end e;
	int rc;

	end_init(&e, p, flags, r->tid);
	f = fifo_reserve(&e);
	if (!f && !r->may_block) {
		r->defer = true; /* to the pool, which waits as it can */
		return -EAGAIN;
	}
	if (!f)
		return end_wait_here(&e, r);

	rc = end_try(&f->e, 0);
	if (rc != 0) {
		rc = end_result(&f->e, rc);
		f->e.fd = -1; /* the caller's now */
		fifo_free(f);
		return rc;
	}
	if (f->e.reading) {
		close(f->e.at); /* opened: it waits for a writer */
		f->e.at = -1;
	}
	f->cloexec = flags & O_CLOEXEC ? O_CLOEXEC : 0;
	r->fifo = f;
	return -EINPROGRESS;
}

/* ---- parking and the waiter ---------------------------------------------- */

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

void tracer_fifo_park(struct tracer_req *r)
{
	struct tracer_fifo *f = r->fifo;
	uint64_t one = 1;

	req_copy(&f->r, r);
	f->r.fifo = NULL;
	f->try_at = f->check_at = 0; /* both at the waiter's first look */
	pthread_mutex_lock(&waiter.lock);
	f->next = waiter.incoming;
	waiter.incoming = f;
	pthread_mutex_unlock(&waiter.lock);
	if (write(waiter.wake, &one, sizeof(one)) < 0) {
		/* the counter is full: the waiter will wake anyway */
	}
}

/* Room for one more: false without memory. */
static bool list_grow(struct waitlist *l)
{
	size_t cap = l->cap ? l->cap * 2 : 64;
	void *w;

	if (l->n < l->cap)
		return true;
	w = realloc(l->w, cap * sizeof(*l->w));
	if (!w)
		return false;
	l->w = w;
	l->cap = cap;
	return true;
}

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/*
 * How often a write end is opened again and a task asked about its
 * signals: FIFO_RETRY_MS and FIFO_CHECK_MS, slower once many wait, so
 * that the waiter's work stays bounded (an open that fails takes 4 to
 * 8 us, a read of a task's status 18 to 36 us): at most 10000 opens and
 * 2000 reads a second.  With 1000 write ends waiting, each is tried
 * every 100 ms, and a signal is seen within 500 ms; on a busy 2-vCPU
 * machine the waiter took 7% of a CPU with 100 opens parked, 16% with
 * 1000, 19% with 4000.
 */
struct pace {
	int64_t retry_ms, check_ms, valid_ms;
};

static struct pace list_pace(const struct waitlist *l)
{
	struct pace p = { FIFO_RETRY_MS, FIFO_CHECK_MS, FIFO_VALID_MS };
	int64_t n = (int64_t)l->n;

	if ((int64_t)l->tried / 10 > p.retry_ms)
		p.retry_ms = (int64_t)l->tried / 10;
	if (n / 2 > p.check_ms)
		p.check_ms = n / 2;
	if (n * n / 500 > p.valid_ms)
		p.valid_ms = n * n / 500;
	return p;
}

/*
 * One parked open, once due: 1 done, 0 waiting, -errno.  A write end
 * (or a read end the epoll could not take) is tried again, and its task
 * is asked about: EINTR once a signal waits for it, or it is gone, or
 * (seldom: the kernel finds an id in a list of all the listener's
 * calls) its notification is (before 5.19 a signal ends the wait).
 */
static int fifo_step(struct tracer_fifo *f, int64_t now,
		     const struct pace *pace)
{
	int rc = 0, sig;

	if (!f->watched && now >= f->try_at) {
		rc = end_try(&f->e, 0);
		f->try_at = now + pace->retry_ms;
	}
	if (rc != 0 || now < f->check_at)
		return rc;
	f->check_at = now + pace->check_ms;
	sig = task_signal(f->r.tid);
	f->r.restart = sig == SIG_RESTART;
	if (sig != SIG_NONE)
		return -EINTR;
	if (now < f->valid_at)
		return 0;
	f->valid_at = now + pace->valid_ms;
	return tracer_req_valid(&f->r) ? 0 : -EINTR;
}

/* When f is due again (a read end's writer wakes the epoll too). */
static int64_t fifo_due(const struct tracer_fifo *f)
{
	if (!f->watched && f->try_at < f->check_at)
		return f->try_at;
	return f->check_at;
}

/* The call's answer, as the worker that served it would have given. */
static void fifo_answer(struct tracer_fifo *f, int rc)
{
	struct tracer_req *r = &f->r;

	/* the program's copy of the file would keep it in the epoll */
	if (f->watched)
		epoll_ctl(waiter.ep, EPOLL_CTL_DEL, f->e.fd, NULL);
	f->watched = false;
	rc = end_result(&f->e, rc);
	f->e.fd = -1;
	if (rc < 0) {
		r->err = -rc;
	} else {
		r->addfd = rc;
		r->addfd_flags = f->cloexec;
	}
	tracer_req_answer(r);
	fifo_free(f);
}

/* Takes f off the list, and answers it. */
static void list_done(struct waitlist *l, struct tracer_fifo *f, int rc)
{
	l->tried -= !f->watched;
	l->n--;
	l->w[f->slot] = l->w[l->n];
	l->w[f->slot]->slot = f->slot;
	fifo_answer(f, rc);
}

/* Steps the opens that are due; returns when the next one is. */
static int64_t list_step(struct waitlist *l, int64_t now)
{
	struct pace pace = list_pace(l);
	int64_t due = now + pace.check_ms;
	size_t i;
	int rc;

	for (i = 0; i < l->n;) {
		struct tracer_fifo *f = l->w[i];

		rc = fifo_due(f) <= now ? fifo_step(f, now, &pace) : 0;
		if (rc != 0) {
			list_done(l, f, rc); /* w[i] is another now */
			continue;
		}
		if (fifo_due(f) < due)
			due = fifo_due(f);
		i++;
	}
	/* rounds at most every FIFO_ROUND_MS: each visits every open */
	return due < now + FIFO_ROUND_MS ? now + FIFO_ROUND_MS : due;
}

/*
 * Takes the opens parked since, and steps each once (its task may have
 * a signal waiting already); returns when the first of them is due.
 */
static int64_t list_take(struct waitlist *l, int64_t now)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct tracer_fifo *f, *next;
	int64_t due = INT64_MAX;
	struct pace pace;
	uint64_t count;
	int rc;

	if (read(waiter.wake, &count, sizeof(count)) < 0) {
		/* nothing was parked since */
	}
	pthread_mutex_lock(&waiter.lock);
	f = waiter.incoming;
	waiter.incoming = NULL;
	pthread_mutex_unlock(&waiter.lock);
	for (; f; f = next) {
		next = f->next;
		if (!list_grow(l)) {
			fifo_answer(f, -ENOMEM);
			continue;
		}
		ev.data.ptr = f;
		/* else tried on the timer, as a write end (ENOSPC: a limit) */
		f->watched = false;
		if (f->e.reading)
			f->watched = !epoll_ctl(waiter.ep, EPOLL_CTL_ADD,
						f->e.fd, &ev);
		f->slot = l->n;
		l->w[l->n++] = f;
		l->tried += !f->watched;
		pace = list_pace(l);
		f->valid_at = now + pace.valid_ms; /* valid: just served */
		rc = fifo_step(f, now, &pace);
		if (rc != 0)
			list_done(l, f, rc);
		else if (fifo_due(f) < due)
			due = fifo_due(f);
	}
	return due;
}

static void *fifo_waiter(void *arg)
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
		now = now_ms();
		timeout = due == INT64_MAX ? -1
			  : due > now	   ? (int)(due - now)
					   : 0;
		n = epoll_wait(waiter.ep, ev, 64, timeout);
		for (i = 0; i < n; i++) {
			struct tracer_fifo *f = ev[i].data.ptr;
			int rc;

			if (!f) {
				first = list_take(l, now_ms());
				due = first < due ? first : due;
				continue;
			}
			rc = end_try(&f->e, 0); /* a writer came */
			if (rc != 0)
				list_done(l, f, rc);
		}
		now = now_ms();
		if (now >= due)
			due = l->n ? list_step(l, now) : INT64_MAX;
	}
	return NULL;
}
