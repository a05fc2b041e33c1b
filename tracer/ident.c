/* SPDX-License-Identifier: MIT */
/*
 * The uid and cwd of decision records, kept per task.
 *
 * Reading them costs two lookups in /proc, about 4 us: half of what a
 * record cost.  They change only by calls the filter sends here while a
 * log is written (chdir, fchdir, chroot, the set*id family,
 * prctl(PR_SET_DUMPABLE), which decides who owns /proc/PID), by an exec,
 * and, for the cwd's name, by a rename or removal of a directory above
 * it.  A changing call runs only after proctor lets it continue, so from
 * its notification until the same task's next one, or its end, the
 * cache is "unsettled": records read /proc and keep nothing.  A
 * generation number, bumped at both ends and by the other events, keeps
 * a value read across a change from being kept.
 *
 * What this cannot see: a directory above the cwd renamed by a process
 * outside the run; the record then names the cwd by its former path
 * until the task changes directory (README.md, "The log").
 *
 * Everything here runs under the process table's lock.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tracer/tracer.h"

static uint64_t gen = 1;
static _Atomic int unsettled;
static bool broken; /* a change by a task the table did not know */

/* Caller holds the lock. */
void tracer_ident_changed_locked(void)
{
	gen++;
}

void tracer_ident_changed(void)
{
	tracer_proc_lock();
	gen++;
	tracer_proc_unlock();
}

/* Calls that change a task's uid or cwd; the filter sends them here
 * while a log is written (prctl only for PR_SET_DUMPABLE). */
static const char *const changing_calls[] = {
	"chdir",     "fchdir",	 "chroot",   "setuid",
	"setgid",    "setreuid", "setregid", "setresuid",
	"setresgid", "setfsuid", "setfsgid", "prctl",
};

const char *tracer_ident_call(size_t i)
{
	if (i >= sizeof(changing_calls) / sizeof(*changing_calls))
		return NULL;
	return changing_calls[i];
}

/* tid makes a call that may change its uid or cwd. */
static void changing(pid_t tid)
{
	struct tracer_proc *p;

	tracer_proc_lock();
	gen++;
	p = tracer_proc_find(tid);
	if (!p)
		broken = true;
	else if (!p->ident_pending) {
		p->ident_pending = true;
		unsettled++;
	}
	tracer_proc_unlock();
}

/* Caller holds the lock. */
void tracer_ident_settle_locked(struct tracer_proc *p)
{
	if (!p->ident_pending)
		return;
	p->ident_pending = false;
	unsettled--;
	gen++;
}

void tracer_ident_settle(pid_t tid)
{
	struct tracer_proc *p;

	if (atomic_load_explicit(&unsettled, memory_order_relaxed) == 0)
		return; /* nothing is changing: no lock */
	tracer_proc_lock();
	p = tracer_proc_find(tid);
	if (p)
		tracer_ident_settle_locked(p);
	tracer_proc_unlock();
}

void tracer_on_identity(struct tracer_req *r)
{
	changing(r->tid);
	r->cont = true;
}

static void read_now(pid_t tid, struct tracer_who *w)
{
	char path[64];
	struct stat st;
	ssize_t n;

	/* the owner of /proc/TID is the task's effective uid */
	snprintf(path, sizeof(path), "/proc/%d", tid);
	if (stat(path, &st) == 0)
		w->uid = st.st_uid;
	snprintf(path, sizeof(path), "/proc/%d/cwd", tid);
	n = readlink(path, w->cwd, sizeof(w->cwd) - 1);
	w->cwd[n > 0 ? n : 0] = '\0';
}

static bool cache_fresh(const struct tracer_proc *p)
{
	return p && p->ident_cwd && p->ident_gen == gen && unsettled == 0 &&
	       !broken;
}

void tracer_proc_who_now(pid_t tid, struct tracer_who *w)
{
	struct tracer_proc *p;
	uint64_t seen;

	tracer_proc_lock();
	p = tracer_proc_find(tid);
	if (cache_fresh(p)) {
		w->uid = p->ident_uid;
		snprintf(w->cwd, sizeof(w->cwd), "%s", p->ident_cwd);
		tracer_proc_unlock();
		return;
	}
	seen = gen;
	tracer_proc_unlock();

	read_now(tid, w);

	tracer_proc_lock();
	p = tracer_proc_find(tid);
	if (p && seen == gen && unsettled == 0 && !broken) {
		p->ident_uid = w->uid;
		char *cwd = strdup(w->cwd);

		if (cwd) {
			free(p->ident_cwd);
			p->ident_cwd = cwd;
			p->ident_gen = gen;
		}
	}
	tracer_proc_unlock();
}
