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
 *
 * A signal that comes faster than the call can restart (a timer every
 * 50 us: each restart costs a signal-delivery-stop) would keep the call
 * from ever being taken.  After RESTARTS_POSTPONE restarts such a signal
 * is blocked in the task's mask and sent again, to wait there until the
 * call ends, as if it had come just after it: the tracer follows the
 * call to its end (PTRACE_SYSCALL) and puts the mask back then.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arch/arch.h"
#include "tracer/tracer.h"

#define MARKS_MAX 256

#define RESTARTS_POSTPONE 3
#define RESTARTS_MAX	  8

enum mark_kind {
	MARK_ANSWERED, /* proctor answered its call ERESTARTSYS */
	MARK_HELD,     /* n: a signal kept back from its exec */
	MARK_RESTARTS, /* n: how often its call restarted */
	MARK_MASKED,   /* added: signals blocked while they wait for its call */
};

struct mark {
	pid_t tid, tgid;
	enum mark_kind kind;
	int n;
	uint64_t added; /* MARK_MASKED: which bits proctor set */
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
	marks[n_marks++] = (struct mark){ tid, tgid, kind, n, 0 };
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
 * Counts the restarts of tid's call, and returns how many: past
 * RESTARTS_MAX, signals come faster than proctor answers and cannot wait
 * for the call (postpone()), and the call ends as the kernel ends it,
 * lest it never end (0).
 */
static int restarts(pid_t tid)
{
	int i, n = 1;

	pthread_mutex_lock(&marks_lock);
	i = find(tid, MARK_RESTARTS);
	if (i < 0)
		mark(tid, 0, MARK_RESTARTS, 1);
	else if ((n = ++marks[i].n) > RESTARTS_MAX)
		n = 0, take(i);
	pthread_mutex_unlock(&marks_lock);
	return n;
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

/* Sends sig to tid again, with its siginfo where the kernel takes one. */
static bool resend(pid_t tgid, pid_t tid, int sig, siginfo_t *si)
{
	/* from another process: a negative code, not tgkill's own */
	if (si->si_code < 0 && si->si_code != SI_TKILL &&
	    syscall(SYS_rt_tgsigqueueinfo, tgid, tid, sig, si) == 0)
		return true;
	return syscall(SYS_tgkill, tgid, tid, sig) == 0;
}

/*
 * Blocks sig in tid's mask until its call ends, and sends it again to
 * wait there.  Not one the task blocks already (it waits anyway), nor a
 * stop signal: Ctrl-Z stops the job during a call that waits as it does
 * natively.  Under marks_lock.
 */
static bool postpone_locked(pid_t tid, pid_t tgid, int sig)
{
	uint64_t mask, bit = 1ULL << (sig - 1);
	int i = find(tid, MARK_MASKED);
	siginfo_t si;

	if (sig == SIGKILL || sig == SIGSTOP || sig == SIGTSTP ||
	    sig == SIGTTIN || sig == SIGTTOU ||
	    ptrace(PTRACE_GETSIGINFO, tid, 0, &si) < 0 ||
	    ptrace(PTRACE_GETSIGMASK, tid, sizeof(mask), &mask) < 0 ||
	    mask & bit)
		return false;
	if (i < 0 && !mark(tid, tgid, MARK_MASKED, 0))
		return false;
	i = i < 0 ? n_marks - 1 : i;
	mask |= bit;
	if (ptrace(PTRACE_SETSIGMASK, tid, sizeof(mask), &mask) < 0)
		return false;
	marks[i].added |= bit;
	if (resend(tgid, tid, sig, &si))
		return true;
	/* not sent again: delivered now, as before */
	marks[i].added &= ~bit;
	mask &= ~bit;
	ptrace(PTRACE_SETSIGMASK, tid, sizeof(mask), &mask);
	return false;
}

static bool postpone(pid_t tid, int sig)
{
	pid_t tgid = tgid_of(tid);
	bool done;

	pthread_mutex_lock(&marks_lock);
	done = postpone_locked(tid, tgid, sig);
	pthread_mutex_unlock(&marks_lock);
	return done;
}

/*
 * Takes out of tid's mask the bits proctor set, and its mark: the call
 * ended, or a handler is about to run, whose frame must save the
 * program's own mask (its sigreturn would put proctor's bits back, for
 * good).  Under marks_lock.
 */
static void unmask_locked(pid_t tid)
{
	int i = find(tid, MARK_MASKED);
	uint64_t mask;
	struct mark m;

	if (i < 0)
		return;
	m = take(i);
	if (ptrace(PTRACE_GETSIGMASK, tid, sizeof(mask), &mask) == 0) {
		mask &= ~m.added;
		ptrace(PTRACE_SETSIGMASK, tid, sizeof(mask), &mask);
	}
}

static int stop(pid_t tid, int sig);

int tracer_interrupt_stop(pid_t tid, int sig)
{
	int out = stop(tid, sig);

	/* delivered: to a handler, maybe, with the program's own mask */
	if (out && atomic_load(&marks_any)) {
		pthread_mutex_lock(&marks_lock);
		unmask_locked(tid);
		pthread_mutex_unlock(&marks_lock);
	}
	return out;
}

/* The signal to deliver at tid's signal-delivery-stop for sig. */
static int stop(pid_t tid, int sig)
{
	struct seccomp_data d;
	int64_t ret;
	int n;

	if (!enabled || !arch_stopped_call(tid, &d, &ret) ||
	    ret != -TRACER_ERESTARTSYS || unmark(tid, MARK_ANSWERED) ||
	    !notified(&d))
		return sig;
	if (is_exec(d.nr) && hold(tid, sig))
		return 0; /* the call restarts: no signal is delivered */
	n = restarts(tid);
	if (n > RESTARTS_POSTPONE && postpone(tid, sig))
		return 0;
	if (n == 0)
		return sig;
	arch_set_return(tid, -TRACER_ERESTARTNOINTR);
	return sig;
}

int tracer_interrupt_resume(pid_t tid)
{
	bool masked;

	if (!atomic_load(&marks_any))
		return PTRACE_CONT;
	pthread_mutex_lock(&marks_lock);
	masked = find(tid, MARK_MASKED) >= 0;
	pthread_mutex_unlock(&marks_lock);
	return masked ? PTRACE_SYSCALL : PTRACE_CONT;
}

/* A return that restarts the call: its end is still to come. */
static bool restarting(int64_t rval)
{
	return rval == -TRACER_ERESTARTSYS || rval == -TRACER_ERESTARTNOINTR ||
	       rval == -TRACER_ERESTARTNOHAND ||
	       rval == -TRACER_ERESTART_RESTARTBLOCK;
}

void tracer_interrupt_syscall_stop(pid_t tid)
{
	struct __ptrace_syscall_info info;

	/* an entry, or an end that restarts: followed on */
	if (ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof(info), &info) > 0 &&
	    (info.op != PTRACE_SYSCALL_INFO_EXIT ||
	     restarting(info.exit.rval))) {
		ptrace(tracer_interrupt_resume(tid), tid, 0, 0);
		return;
	}
	/*
	 * The call ended: what waited for it is delivered now.  Only the
	 * bits proctor set are taken off; the rest is the program's.
	 */
	pthread_mutex_lock(&marks_lock);
	unmask_locked(tid);
	pthread_mutex_unlock(&marks_lock);
	ptrace(PTRACE_CONT, tid, 0, 0);
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
