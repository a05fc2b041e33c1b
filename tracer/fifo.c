/* SPDX-License-Identifier: MIT */
/*
 * FIFO opens that wait for their other end.  A blocking open in the
 * supervisor would hold the task past Ctrl-C, and a thread for as long
 * as the partner takes to come, if it ever does: a program with as many
 * lonely FIFO opens as the pool has workers (notify.c) would stall every
 * other call that may wait.  So the open is made without waiting, on
 * the thread that serves the call, and one that must wait is parked
 * with park.c's waiter.  It opens a write end again on its timer
 * (nothing tells when a reader comes to a FIFO one has not opened;
 * opening it to watch would be a reader the writer sees) and watches a
 * read end, opened already, for a writer's data or its hang-up.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "tracer/tracer.h"

/* how often a pool worker that holds an open tries a write end again */
#define FIFO_RETRY_MS 20

/* One end being opened. */
struct fifo_end {
	int at; /* the FIFO's directory */
	char name[256];
	int flags; /* the program's, with O_NONBLOCK */
	pid_t tid; /* whose open: its credentials open it */
	bool reading;
	int fd;	     /* once opened (a read end at the first try) */
	int cloexec; /* the program's O_CLOEXEC, for its descriptor */
};

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
	e->cloexec = flags & O_CLOEXEC ? O_CLOEXEC : 0;
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
		if ((sig = tracer_task_signal(r->tid)) != TRACER_SIG_NONE) {
			r->restart = sig == TRACER_SIG_RESTART;
			rc = -EINTR;
			break;
		}
		if (e->fd < 0)
			usleep(FIFO_RETRY_MS * 1000);
	}
	return end_result(e, rc);
}

/* ---- parked with the waiter ------------------------------------------ */

static int fifo_try(void *what)
{
	return end_try(what, 0);
}

/* The open's answer: the descriptor, or the error. */
static void fifo_finish(struct tracer_req *r, void *what, int rc)
{
	struct fifo_end *e = what;

	rc = end_result(e, rc);
	if (rc < 0) {
		r->err = -rc;
	} else {
		r->addfd = rc;
		r->addfd_flags = e->cloexec;
	}
	if (e->at >= 0)
		close(e->at);
	free(e);
}

static const struct tracer_park_kind fifo_kind = {
	.try = fifo_try,
	.finish = fifo_finish,
	.retried = true, /* a write end: nothing tells when a reader comes */
};

/*
 * A place for one more parked open, with its own copy of e and of the
 * FIFO's directory; NULL past the waiter's bound, without memory or
 * descriptors.
 */
static struct tracer_park *fifo_reserve(const struct fifo_end *e,
					struct fifo_end **copy)
{
	struct tracer_park *pk = tracer_park_reserve();
	struct fifo_end *c = pk ? malloc(sizeof(*c)) : NULL;

	if (c) {
		*c = *e;
		c->at = fcntl(e->at, F_DUPFD_CLOEXEC, 0);
		if (c->at >= 0) {
			*copy = c;
			return pk;
		}
		free(c);
	}
	if (pk)
		tracer_park_release(pk);
	return NULL;
}

int tracer_fifo_open(struct tracer_req *r, const struct tracer_path *p,
		     uint64_t flags)
{
	struct tracer_park *pk;
	struct fifo_end e, *c;
	int rc;

	end_init(&e, p, flags, r->tid);
	pk = fifo_reserve(&e, &c);
	if (!pk && !r->may_block) {
		r->defer = true; /* to the pool, which waits as it can */
		return -EAGAIN;
	}
	if (!pk)
		return end_wait_here(&e, r);

	rc = end_try(c, 0);
	if (rc != 0) {
		rc = end_result(c, rc);
		close(c->at);
		free(c);
		tracer_park_release(pk);
		return rc;
	}
	if (c->reading) {
		close(c->at); /* opened: it waits for a writer */
		c->at = -1;
	}
	tracer_park_set(pk, &fifo_kind, c, c->reading ? c->fd : -1, EPOLLIN,
			INT64_MAX, 0);
	r->park = pk;
	return -EINPROGRESS;
}
