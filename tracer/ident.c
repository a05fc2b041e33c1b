/* SPDX-License-Identifier: MIT */
/*
 * The uid and cwd of decision records, kept per task.
 *
 * Reading them costs two lookups in /proc, about 4 us: half of what a
 * record cost.  They change only by calls the filter sends here (chdir,
 * fchdir, chroot, the set*id family, prctl(PR_SET_DUMPABLE), which
 * decides who owns /proc/PID), by an exec, and, for the cwd's name, by a
 * rename or removal of a directory above it.  A changing call runs only
 * after proctor lets it continue, so from its notification until the
 * same task's next one, or its end, the cache is "unsettled": records
 * read /proc and keep nothing.  A generation number, bumped at both ends
 * and by the other events, keeps a value read across a change from
 * being kept.
 *
 * What this cannot see: a directory above the cwd renamed by a process
 * outside the run; the record then names the cwd by its former path
 * until the task changes directory (README.md, "The log").
 *
 * The supervisor keeps two more things the same way, for its own work:
 * the cwd as a descriptor (a relative path's walk starts there: opening
 * /proc/TID/cwd is the dearest of a call's lookups, 4 to 5 us) and the
 * umask (a file or directory it makes takes the task's: reading
 * /proc/TID/status costs more, the kernel writes all of it).  A
 * descriptor names the directory itself, as the task's cwd does, so a
 * rename cannot make it stale; only the calls above (and umask) can,
 * and, with capabilities kept, a mount namespace's copy (unshare,
 * pivot_root): then no descriptor is kept.
 *
 * Everything here runs under the process table's lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tracer/tracer.h"

static uint64_t gen = 1;
static _Atomic int unsettled;
static bool broken; /* a change by a task the table did not know */
static bool keep_cwd = true;
/*
 * Descriptors kept, and their bound: each task keeps its own (threads
 * that share a cwd too), and a run of thousands of threads must not
 * take the descriptors every other call needs.
 */
static int kept_fds, kept_most = -1;

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

/* Calls that change a task's uid, credentials, cwd or umask; the filter
 * sends them here (prctl only for PR_SET_DUMPABLE). */
static const char *const changing_calls[] = {
	"chdir",    "fchdir",	"chroot",    "setuid",	  "setgid",
	"setreuid", "setregid", "setresuid", "setresgid", "setfsuid",
	"setfsgid", "prctl",	"umask",     "setgroups", "capset",
};

const char *tracer_ident_call(size_t i)
{
	if (i >= sizeof(changing_calls) / sizeof(*changing_calls))
		return NULL;
	return changing_calls[i];
}

/*
 * Tasks whose change is under way, for settle_done(); past WATCH_MAX,
 * a task settles only by its next call.
 */
#define WATCH_MAX 16
struct watched {
	pid_t tid;
	int nr;
	uint64_t seq;
};
static struct watched watch[WATCH_MAX];
static int nwatch;

/* tid makes call nr, which may change its uid, cwd or umask. */
static void changing(pid_t tid, int nr)
{
	struct tracer_proc *p;

	tracer_proc_lock();
	gen++;
	p = tracer_proc_find(tid);
	if (!p) {
		broken = true;
	} else {
		tracer_ident_cred_forget_locked(p);
		if (!p->ident_pending) {
			p->ident_pending = true;
			unsettled++;
		}
		p->ident_seq++;
		if (nwatch < WATCH_MAX)
			watch[nwatch++] =
				(struct watched){ tid, nr, p->ident_seq };
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
	changing(r->tid, r->nr);
	r->cont = true;
}

/*
 * Whether tid has left call nr: /proc/TID/syscall names the call a task
 * waits in (or -1 out of any), and says "running" while it runs, when
 * nothing can be told.  A call ends before its task makes another, so
 * another number means nr is done.
 */
static bool left_call(pid_t tid, int nr)
{
	char path[64], buf[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/syscall", tid);
	n = tracer_proc_read(path, buf, sizeof(buf));
	if (n <= 0 || !strncmp(buf, "running", 7))
		return false;
	return strtol(buf, NULL, 10) != nr;
}

/* Once a millisecond at most: each look reads /proc. */
static bool time_to_look(void)
{
	static _Atomic long long last;
	struct timespec ts;
	long long now, was;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
	was = atomic_load(&last);
	return now != was && atomic_compare_exchange_strong(&last, &was, now);
}

/*
 * A change ends when its task makes its next call; but a shell that
 * runs `cd dir && make` waits in wait4 for all of make, and until it
 * returns nothing kept would be used.  So a change is also settled once
 * its task is seen out of the changing call.
 */
static void settle_done(void)
{
	struct watched w[WATCH_MAX];
	struct tracer_proc *p;
	int n, i, kept = 0;

	if (atomic_load_explicit(&unsettled, memory_order_relaxed) == 0 ||
	    !time_to_look())
		return;
	tracer_proc_lock();
	n = nwatch;
	memcpy(w, watch, sizeof(*w) * (size_t)n);
	tracer_proc_unlock();

	for (i = 0; i < n; i++)
		if (!left_call(w[i].tid, w[i].nr))
			w[i].tid = 0;

	tracer_proc_lock();
	for (i = 0; i < n; i++) {
		p = w[i].tid ? tracer_proc_find(w[i].tid) : NULL;
		if (p && p->ident_seq == w[i].seq)
			tracer_ident_settle_locked(p);
	}
	/* keep watching what is still under way, as changing() left it */
	for (i = 0; i < nwatch; i++) {
		p = tracer_proc_find(watch[i].tid);
		if (p && p->ident_pending && p->ident_seq == watch[i].seq)
			watch[kept++] = watch[i];
	}
	nwatch = kept;
	tracer_proc_unlock();
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

/* Whether a value read at generation at may still be used (or kept). */
static bool current(const struct tracer_proc *p, uint64_t at)
{
	return p && at == gen && unsettled == 0 && !broken;
}

static bool cache_fresh(const struct tracer_proc *p)
{
	return p && p->ident_cwd && current(p, p->ident_gen);
}

void tracer_proc_who_now(pid_t tid, struct tracer_who *w)
{
	struct tracer_proc *p;
	uint64_t seen;

	settle_done();
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
	if (current(p, seen)) {
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

void tracer_ident_keep_cwd(bool keep)
{
	keep_cwd = keep;
}

void tracer_ident_forget_locked(struct tracer_proc *p)
{
	if (p->cwd_fd >= 0) {
		close(p->cwd_fd);
		kept_fds--;
	}
	p->cwd_fd = -1;
	p->umask = -1;
	tracer_ident_cred_forget_locked(p);
}

/* An eighth of proctor's descriptors at most; caller holds the lock. */
static bool may_keep_fd(void)
{
	struct rlimit rl;

	if (kept_most < 0) {
		kept_most = 0;
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
			kept_most = rl.rlim_cur / 8 > 4096
					    ? 4096
					    : (int)(rl.rlim_cur / 8);
	}
	return kept_fds < kept_most;
}

static int open_cwd(pid_t tid)
{
	char link[64];
	int fd;

	snprintf(link, sizeof(link), "/proc/%d/cwd", tid);
	fd = open(link, O_PATH | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int tracer_ident_cwd(pid_t tid)
{
	struct tracer_proc *p;
	uint64_t seen;
	int fd, kept;

	settle_done();
	tracer_proc_lock();
	p = tracer_proc_find(tid);
	if (p && p->cwd_fd >= 0 && current(p, p->cwd_gen)) {
		/* under the lock: the kept one is closed only under it */
		fd = fcntl(p->cwd_fd, F_DUPFD_CLOEXEC, 0);
		tracer_proc_unlock();
		return fd < 0 ? -errno : fd;
	}
	seen = gen;
	tracer_proc_unlock();

	fd = open_cwd(tid);
	if (fd < 0 || !keep_cwd)
		return fd;

	tracer_proc_lock();
	p = tracer_proc_find(tid);
	if (current(p, seen) && (p->cwd_fd >= 0 || may_keep_fd()) &&
	    (kept = fcntl(fd, F_DUPFD_CLOEXEC, 0)) >= 0) {
		if (p->cwd_fd >= 0)
			close(p->cwd_fd);
		else
			kept_fds++;
		p->cwd_fd = kept;
		p->cwd_gen = seen;
	}
	tracer_proc_unlock();
	return fd;
}

static int read_umask(pid_t tid)
{
	char path[64], buf[2048], *u;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	n = tracer_proc_read(path, buf, sizeof(buf));
	if (n <= 0)
		return n < 0 ? (int)n : -EIO;
	u = strstr(buf, "\nUmask:");
	return u ? (int)strtol(u + 7, NULL, 8) : -EIO;
}

int tracer_ident_umask(pid_t tid)
{
	struct tracer_proc *p;
	uint64_t seen;
	int um;

	settle_done();
	tracer_proc_lock();
	p = tracer_proc_find(tid);
	if (p && p->umask >= 0 && current(p, p->umask_gen)) {
		um = p->umask;
		tracer_proc_unlock();
		return um;
	}
	seen = gen;
	tracer_proc_unlock();

	um = read_umask(tid);
	if (um < 0)
		return um;

	tracer_proc_lock();
	p = tracer_proc_find(tid);
	if (current(p, seen)) {
		p->umask = um;
		p->umask_gen = seen;
	}
	tracer_proc_unlock();
	return um;
}

void tracer_ident_cred_forget_locked(struct tracer_proc *p)
{
	free(p->cred);
	p->cred = NULL;
	p->cred_known = false;
}

/* Kept as long as its groups: the most take 4 KiB. */
static size_t cred_size(const struct tracer_cred *c)
{
	return offsetof(struct tracer_cred, groups) +
	       sizeof(gid_t) * (size_t)(c->ngroups > 0 ? c->ngroups : 0);
}

/*
 * Unlike the rest, a task's credentials change only by its own calls,
 * which cannot run while one of its calls is served: what is read now
 * is kept until changing() or an exec forgets it, whatever gen says.
 */
int tracer_ident_cred(pid_t tid, struct tracer_cred *c)
{
	struct tracer_proc *p;
	char path[64], buf[16384]; /* 1,024 groups: 7 KiB of them */
	struct tracer_cred *kept = NULL;
	size_t size;
	ssize_t n;
	int rc;

	tracer_proc_lock();
	p = tracer_proc_find(tid);
	if (p && p->cred_known) {
		rc = 1;
		if (p->cred) {
			memcpy(c, p->cred, cred_size(p->cred));
			rc = 0;
		}
		tracer_proc_unlock();
		return rc;
	}
	tracer_proc_unlock();

	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	n = tracer_proc_read(path, buf, sizeof(buf));
	if (n <= 0)
		return n < 0 ? (int)n : -EIO;
	rc = tracer_cred_parse(buf, c);
	if (rc < 0)
		return rc;
	size = cred_size(c);
	rc = tracer_cred_is_rest(c);
	if (!rc && !(kept = malloc(size)))
		return rc;
	if (kept)
		memcpy(kept, c, size);

	tracer_proc_lock();
	p = tracer_proc_find(tid);
	if (p && !p->cred_known) {
		p->cred = kept;
		p->cred_known = true;
		kept = NULL;
	}
	tracer_proc_unlock();
	free(kept);
	return rc;
}

/*
 * A child's credentials are its creator's (clone copies the calling
 * thread's), and the creator waits in the event, changing nothing: the
 * child starts with what is kept of them, and its first call reads no
 * /proc (a fork and exec would read it at every exec else).
 */
void tracer_ident_cred_inherit(pid_t child, pid_t creator)
{
	struct tracer_proc *c, *p;
	struct tracer_cred *copy = NULL;

	tracer_proc_lock();
	c = tracer_proc_find(child);
	p = tracer_proc_find(creator);
	if (c && p && p->cred_known && !c->cred_known &&
	    (!p->cred || (copy = malloc(cred_size(p->cred))))) {
		if (copy)
			memcpy(copy, p->cred, cred_size(p->cred));
		c->cred = copy;
		c->cred_known = true;
	}
	tracer_proc_unlock();
}
