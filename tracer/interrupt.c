/* SPDX-License-Identifier: MIT */
/*
 * Calls a signal interrupts before proctor takes their notification.
 *
 * A notified call waits for proctor.  Until a worker has received its
 * notification, a signal ends that wait and the call returns ERESTARTSYS
 * (seccomp_unotify(2)), which the kernel turns into EINTR after a handler
 * without SA_RESTART: an open of a regular file, which natively nothing
 * interrupts, then fails (measured: 3,518 of 20,000 opens under a 50 us
 * timer).  An exec runs the handler in the image it replaces and then
 * goes on, where natively the signal comes after the exec, to the new
 * image (a `sleep &` killed at once outlived its SIGTERM).
 *
 * The tracer sees each such signal in its signal-delivery-stop, with the
 * call returning ERESTARTSYS.  The call was notified when the filter says
 * so of those registers and proctor did not answer ERESTARTSYS itself (a
 * parked call a signal ends, park.c: that one is the kernel's own).  Then
 * most calls restart after the handler whatever its flags
 * (ERESTARTNOINTR), as if the signal had come just before the call.  An
 * exec restarts without the signal, which is sent again once proctor has
 * answered the exec: it reaches the new image, or the old one when the
 * exec failed, as natively.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arch/arch.h"
#include "tracer/tracer.h"

#define MARKS_MAX 256

#define RESTARTS_MAX 8

enum mark_kind {
	MARK_ANSWERED, /* proctor answered its call ERESTARTSYS */
	MARK_HELD,     /* n: a signal kept back from its exec */
	MARK_RESTARTS, /* n: how often its call restarted */
};

struct mark {
	pid_t tid, tgid;
	enum mark_kind kind;
	int n;
};

static struct sock_fprog filter;
static bool enabled;
static int exec_nr, execat_nr;

static pthread_mutex_t marks_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mark marks[MARKS_MAX];
static int n_marks;
static atomic_int marks_any; /* n_marks, read without the lock */

void tracer_interrupt_init(const struct sock_fprog *prog, bool killable)
{
	size_t size = prog->len * sizeof(*prog->filter);

	/*
	 * Without WAIT_KILLABLE_RECV a signal also ends the wait of a call
	 * proctor has taken and may have carried out: not to be restarted.
	 */
	if (!killable || !(filter.filter = malloc(size)))
		return;
	memcpy(filter.filter, prog->filter, size);
	filter.len = prog->len;
	exec_nr = arch_syscall_nr("execve");
	execat_nr = arch_syscall_nr("execveat");
	enabled = true;
}

/* The index of tid's mark of that kind, or -1; under marks_lock. */
static int find(pid_t tid, enum mark_kind kind)
{
	int i;

	for (i = 0; i < n_marks; i++)
		if (marks[i].tid == tid && marks[i].kind == kind)
			return i;
	return -1;
}

/* Takes mark i out, the others kept in order (held signals go out in
 * the order they came). */
static struct mark take(int i)
{
	struct mark m = marks[i];

	n_marks--;
	memmove(&marks[i], &marks[i + 1], (n_marks - i) * sizeof(*marks));
	atomic_store(&marks_any, n_marks);
	return m;
}

/* Adds a mark; false when the table is full.  Under marks_lock. */
static bool mark(pid_t tid, pid_t tgid, enum mark_kind kind, int n)
{
	if (n_marks == MARKS_MAX)
		return false;
	marks[n_marks++] = (struct mark){ tid, tgid, kind, n };
	atomic_store(&marks_any, n_marks);
	return true;
}

/* Whether the filter sent this call to proctor. */
static bool notified(const struct seccomp_data *d)
{
	uint32_t action = tracer_filter_run(&filter, d);

	return (action & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_USER_NOTIF;
}

/* Takes tid's mark of that kind; false when it had none. */
static bool unmark(pid_t tid, enum mark_kind kind)
{
	bool had;
	int i;

	if (!atomic_load(&marks_any))
		return false;
	pthread_mutex_lock(&marks_lock);
	i = find(tid, kind);
	if ((had = i >= 0))
		take(i);
	pthread_mutex_unlock(&marks_lock);
	return had;
}

/*
 * Counts the restarts of tid's call: past RESTARTS_MAX, signals come
 * faster than proctor answers (a timer every 50 us on a busy host), and
 * the call ends as the kernel ends it, lest it never end.
 */
static bool restarts_left(pid_t tid)
{
	bool left = true;
	int i;

	pthread_mutex_lock(&marks_lock);
	i = find(tid, MARK_RESTARTS);
	if (i < 0)
		mark(tid, 0, MARK_RESTARTS, 1);
	else if (++marks[i].n > RESTARTS_MAX)
		left = false, take(i);
	pthread_mutex_unlock(&marks_lock);
	return left;
}

static pid_t tgid_of(pid_t tid)
{
	struct tracer_proc *p;
	pid_t tgid;

	tracer_proc_lock();
	p = tracer_proc_find(tid);
	tgid = p ? p->tgid : tid;
	tracer_proc_unlock();
	return tgid;
}

/* Keeps sig back from tid's exec; a signal already kept is not again. */
static bool hold(pid_t tid, int sig)
{
	pid_t tgid = tgid_of(tid);
	bool held = false;
	int i;

	pthread_mutex_lock(&marks_lock);
	for (i = 0; i < n_marks && !held; i++)
		held = marks[i].tid == tid && marks[i].kind == MARK_HELD &&
		       marks[i].n == sig && sig < SIGRTMIN;
	held = held || mark(tid, tgid, MARK_HELD, sig);
	pthread_mutex_unlock(&marks_lock);
	return held;
}

static bool is_exec(int nr)
{
	return nr == exec_nr || nr == execat_nr;
}

int tracer_interrupt_stop(pid_t tid, int sig)
{
	struct seccomp_data d;
	int64_t ret;

	if (!enabled || !arch_stopped_call(tid, &d, &ret) ||
	    ret != -TRACER_ERESTARTSYS || unmark(tid, MARK_ANSWERED) ||
	    !notified(&d) || !restarts_left(tid))
		return sig;
	if (is_exec(d.nr) && hold(tid, sig))
		return 0; /* the call restarts: no signal is delivered */
	arch_set_return(tid, -TRACER_ERESTARTNOINTR);
	return sig;
}

void tracer_interrupt_answering(const struct tracer_req *r, int error)
{
	if (!enabled)
		return;
	unmark(r->tid, MARK_RESTARTS);
	if (error == -TRACER_ERESTARTSYS) {
		pthread_mutex_lock(&marks_lock);
		mark(r->tid, r->tgid, MARK_ANSWERED, 0);
		pthread_mutex_unlock(&marks_lock);
	}
}

/* The exec is answered: its signals go out, for the image it leaves. */
void tracer_interrupt_answered(const struct tracer_req *r)
{
	int i;

	if (!atomic_load(&marks_any) || !is_exec(r->nr))
		return;
	pthread_mutex_lock(&marks_lock);
	while ((i = find(r->tid, MARK_HELD)) >= 0) {
		struct mark m = take(i);

		/* an exec by another thread gives it the process's id */
		if (syscall(SYS_tgkill, m.tgid, m.tid, m.n) < 0 &&
		    errno == ESRCH)
			syscall(SYS_tgkill, m.tgid, m.tgid, m.n);
	}
	pthread_mutex_unlock(&marks_lock);
}

void tracer_interrupt_forget(pid_t tid)
{
	int i;

	if (!atomic_load(&marks_any))
		return;
	pthread_mutex_lock(&marks_lock);
	for (i = n_marks - 1; i >= 0; i--)
		if (marks[i].tid == tid)
			take(i);
	pthread_mutex_unlock(&marks_lock);
}
