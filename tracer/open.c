/* SPDX-License-Identifier: MIT */
/*
 * open, openat, openat2 and creat, carried out by the supervisor.
 *
 * The path is copied once, resolved here (path.c), judged, opened here on
 * that resolution, and the descriptor is injected into the tracee
 * (SECCOMP_IOCTL_NOTIF_ADDFD).  The kernel never reads the tracee's path
 * again, so swapping it after the check gains nothing (THREATS.md 1).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "tracer/intercept.h"
#include "tracer/tracer.h"

#ifndef O_TMPFILE
#define O_TMPFILE (020000000 | O_DIRECTORY)
#endif

#define OPEN_KNOWN_FLAGS                                                      \
	(O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND |       \
	 O_NONBLOCK | O_DSYNC | FASYNC | O_DIRECT | O_LARGEFILE |             \
	 O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_SYNC | O_PATH | \
	 O_TMPFILE)

struct open_args {
	int dirfd;
	uint64_t path;
	uint64_t flags;
	uint64_t mode;
	uint64_t resolve;
};

#define OPEN_HOW_RESOLVE                                                 \
	(RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | \
	 RESOLVE_BENEATH | RESOLVE_IN_ROOT | RESOLVE_CACHED)

/*
 * What the kernel's openat2 refuses before it looks at the path
 * (copy_struct_from_user, build_open_flags): a larger struct whose
 * tail is not zero (E2BIG), unknown bits, a mode without a create.
 */
static int how_refused(struct tracer_req *r, const struct open_how *how)
{
	size_t size = r->args[3];
	char tail[256];
	size_t at, n, i;

	if (size > 4096)
		return -E2BIG;
	for (at = sizeof(*how); at < size; at += n) {
		n = size - at < sizeof(tail) ? size - at : sizeof(tail);
		if (tracer_mem_read(r->tid, r->args[2] + at, tail, n))
			return -EFAULT;
		for (i = 0; i < n; i++)
			if (tail[i])
				return -E2BIG;
	}
	/* unknown bits here (the kernel's O_LARGEFILE, 0100000, is known,
	 * though glibc's is 0 on 64-bit) */
	if (how->flags & ~(uint64_t)(OPEN_KNOWN_FLAGS | 0100000) ||
	    how->resolve & ~(uint64_t)OPEN_HOW_RESOLVE ||
	    (how->resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)) ==
		    (RESOLVE_BENEATH | RESOLVE_IN_ROOT))
		return -EINVAL;
	/* O_PATH takes no other flag but these */
	if (how->flags & O_PATH &&
	    how->flags &
		    ~(uint64_t)(O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC))
		return -EINVAL;
	if (how->flags & (O_CREAT | __O_TMPFILE))
		return how->mode & ~(uint64_t)07777 ? -EINVAL : 0;
	return how->mode ? -EINVAL : 0;
}

static int decode(struct tracer_req *r, struct open_args *a)
{
	struct open_how how;
	const char *n = r->name;

	a->dirfd = AT_FDCWD;
	a->resolve = 0;
	if (!strcmp(n, "open")) {
		a->path = r->args[0];
		a->flags = r->args[1];
		a->mode = r->args[2];
	} else if (!strcmp(n, "creat")) {
		a->path = r->args[0];
		a->flags = O_CREAT | O_WRONLY | O_TRUNC;
		a->mode = r->args[1];
	} else if (!strcmp(n, "openat")) {
		a->dirfd = (int)r->args[0];
		a->path = r->args[1];
		a->flags = r->args[2];
		a->mode = r->args[3];
	} else {
		/* openat2: the flags live in a struct (class 6) */
		if (r->args[3] < sizeof(how))
			return -EINVAL;
		if (tracer_mem_read(r->tid, r->args[2], &how, sizeof(how)))
			return -EFAULT;
		a->dirfd = (int)r->args[0];
		a->path = r->args[1];
		a->flags = how.flags;
		a->mode = how.mode;
		a->resolve = how.resolve;
		return how_refused(r, &how);
	}
	/* open and openat ignore unknown bits; our openat2 would not */
	a->flags &= OPEN_KNOWN_FLAGS;
	return 0;
}

/*
 * What the kernel refuses before any lookup (build_open_flags): an
 * O_TMPFILE without write access or with O_CREAT, and, from 6.4,
 * O_CREAT with O_DIRECTORY (asked of the kernel once: "/" exists, so
 * an older one says EISDIR and makes nothing).
 */
static bool flags_refused(uint64_t flags)
{
	/* the kernel's bit alone: glibc's __O_TMPFILE has O_DIRECTORY in */
	const uint64_t tmpfile = 020000000;
	static _Atomic int creat_dir = -1; /* 1: refused */

	if (flags & tmpfile)
		return (flags & (O_TMPFILE | O_CREAT)) != O_TMPFILE ||
		       (flags & O_ACCMODE) == O_RDONLY;
	if ((flags & (O_CREAT | O_DIRECTORY)) != (O_CREAT | O_DIRECTORY))
		return false;
	if (creat_dir < 0) {
		int fd = open("/", O_RDONLY | O_CREAT | O_DIRECTORY | O_CLOEXEC,
			      0);

		creat_dir = fd < 0 && errno == EINVAL;
		if (fd >= 0)
			close(fd);
	}
	return creat_dir;
}

static bool wants_write(uint64_t flags)
{
	return (flags & O_ACCMODE) != O_RDONLY || flags & (O_CREAT | O_TRUNC) ||
	       (flags & O_TMPFILE) == O_TMPFILE;
}

/* fs.protected_regular and fs.protected_fifos: 0, 1 or 2 (read once) */
static int protected_level(bool fifo)
{
	static _Atomic int level[2] = { -1, -1 };
	char buf[16] = "0";

	if (level[fifo] < 0) {
		tracer_proc_read(fifo ? "/proc/sys/fs/protected_fifos"
				      : "/proc/sys/fs/protected_regular",
				 buf, sizeof(buf));
		level[fifo] = atoi(buf);
	}
	return level[fifo];
}

/* The task's filesystem uid (the fourth of "Uid:"), or -1. */
static long task_fsuid(pid_t tid)
{
	char buf[4096];
	const char *u = tracer_task_status(tid, "\nUid:", buf, sizeof(buf));
	long id[4];

	if (!u ||
	    sscanf(u, "%ld %ld %ld %ld", &id[0], &id[1], &id[2], &id[3]) != 4)
		return -1;
	return id[3];
}

/*
 * The kernel's answer to O_CREAT of what exists in a sticky directory
 * (may_create_in_sticky): another's file, in a directory others may
 * write, is refused where fs.protected_regular (fs.protected_fifos for
 * a FIFO) asks for it.
 */
static bool sticky_refuses(pid_t tid, const struct tracer_path *p,
			   const struct stat *dir)
{
	int level = S_ISREG(p->mode)	? protected_level(false)
		    : S_ISFIFO(p->mode) ? protected_level(true)
					: 1;

	if (!(dir->st_mode & S_ISVTX) || !level || p->uid == dir->st_uid ||
	    (long)p->uid == task_fsuid(tid))
		return false;
	return dir->st_mode & S_IWOTH ||
	       (level >= 2 && dir->st_mode & S_IWGRP &&
		(S_ISREG(p->mode) || S_ISFIFO(p->mode)));
}

/*
 * O_CREAT of what exists, only to read, makes nothing: a read.  0: it
 * is one; -EACCES: the kernel would refuse it (sticky_refuses); 1: a
 * write, as asked.
 */
static int reads_existing(pid_t tid, const struct open_args *a,
			  const struct tracer_path *p)
{
	struct stat dir;

	if (!(a->flags & O_CREAT) || a->flags & (O_EXCL | O_TRUNC | O_PATH) ||
	    (a->flags & O_ACCMODE) != O_RDONLY || !p->exists ||
	    S_ISDIR(p->mode))
		return 1;
	if (p->magic >= 0)
		return 0; /* its descriptor's object, opened without O_CREAT */
	if (p->parent < 0 || fstat(p->parent, &dir) < 0)
		return 1;
	return sticky_refuses(tid, p, &dir) ? -EACCES : 0;
}

/*
 * An open that reads what is there.  Not O_CREAT | O_EXCL: it makes the
 * file or fails, so it reads nothing that was there, and a read rule
 * has nothing to say (mkstemp opens its new file to read and write;
 * under a policy that lists reads, sed -i's was refused).  O_PATH
 * ignores both, and opens what is there.
 */
bool tracer_open_makes_new(uint64_t flags)
{
	return (flags & (O_CREAT | O_EXCL | O_PATH)) == (O_CREAT | O_EXCL);
}

static bool wants_read(uint64_t flags)
{
	if (tracer_open_makes_new(flags))
		return false;
	return (flags & O_ACCMODE) != O_WRONLY || flags & O_PATH;
}

/* Identity of the object p names, if it exists. */
static int object_stat(const struct tracer_path *p, struct stat *st)
{
	if (p->magic >= 0)
		return fstat(p->magic, st) < 0 ? -errno : 0;
	if (fstatat(p->parent, p->name, st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

/* Whether the run made the object p names. */
static bool object_created(const struct tracer_path *p)
{
	return p->magic >= 0 ? tracer_created_has(p->magic, "")
			     : tracer_created_has(p->parent, p->name);
}

static void verdict_proctor(struct rules_verdict *v, enum rules_action a,
			    const char *where, const char *pattern)
{
	v->action = a;
	v->origin = "proctor";
	v->where = where;
	v->pattern = pattern;
	v->is_default = false;
}

/*
 * Processes outside the traced tree keep their environ, mem and fd, also
 * when reached through a magic link (/proc/PID/fd/N of a neighbour), and
 * an object of another's /proc/PID reached through a link of the
 * caller's own (/proc/self/cwd, a descriptor of that directory): both
 * the process gone through and the one whose /proc the object is in.
 */
static bool outsider(const struct tracer_path *p, struct rules_verdict *v)
{
	pid_t pids[2] = { p->via_pid, tracer_path_proc_pid(p->path) };

	for (int i = 0; i < 2; i++) {
		if (!pids[i])
			continue;
		if (!tracer_proc_in_tree(pids[i])) {
			verdict_proctor(v, RULES_DENY, "proc",
					"/proc/PID outside the traced tree");
			return true;
		}
		/* a process holding a grant is out of reach of the rest (#6) */
		if (tracer_grant_shields(pids[i])) {
			verdict_proctor(
				v, RULES_DENY, "proc",
				"/proc/PID of a process holding a grant");
			return true;
		}
	}
	return false;
}

/*
 * Terminals (tracer/pts.c), by what the object is, whatever its path:
 * the run's own are the run's to use; another is somebody else's session
 * and takes an entry that names it, which a default is not.  Returns
 * whether this decided, in *ok.
 */
static bool terminal(const struct tracer_sup *s, const struct tracer_path *p,
		     enum rules_class cls, struct rules_verdict *v, bool *ok)
{
	struct stat st;

	bool console;

	/* the walk knows its type: only a character device is looked at */
	if (!p->exists || !S_ISCHR(p->mode) || object_stat(p, &st) < 0)
		return false;
	console = tracer_pts_is_console(&st);
	if (!console && !tracer_pts_is_slave(&st))
		return false;
	if (console ? tracer_pts_held(p) || tracer_pts_own(&st)
		    : tracer_pts_of_run(p, &st)) {
		verdict_proctor(v, RULES_ALLOW, "terminals",
				"a terminal of the run");
		*ok = true;
		return true;
	}
	rules_check_path(s->o->policy, cls, p->path, v);
	*ok = v->action == RULES_ALLOW && !v->is_default;
	if (!*ok)
		verdict_proctor(v, RULES_DENY, "terminals",
				"a terminal that is not the run's (another "
				"window's keys and screen); a policy entry "
				"naming it allows it");
	return true;
}

/*
 * An open of a file through a descriptor a process of the run holds
 * (/proc/self/fd/N, /dev/stdout) that asks for no more than the
 * descriptor has: output sent to a file outside the workspace (`make
 * >../build.log`, then `echo >/dev/stderr`) was the user's to give, or
 * proctor's.  A descriptor that writes a file can already truncate and
 * rewrite it (ftruncate, write); an O_PATH one reads and writes nothing.
 * Opens only: a descriptor that writes the file gives no right to its
 * mode, owner or names (chmod, link through /proc/self/fd/N).
 */
static bool held(const struct tracer_path *p, enum rules_class cls,
		 struct rules_verdict *v)
{
	struct rules_verdict out;
	long flags;
	int acc;

	if (p->magic < 0 || !p->exists || !S_ISREG(p->mode) ||
	    outsider(p, &out))
		return false;
	flags = tracer_path_reopen_flags(p);
	acc = (int)flags & O_ACCMODE;
	if (flags < 0 || flags & O_PATH ||
	    acc == (cls == RULES_WRITE ? O_RDONLY : O_WRONLY))
		return false;
	verdict_proctor(v, RULES_ALLOW, "descriptors",
			cls == RULES_WRITE
				? "a descriptor of it the run holds, which "
				  "writes it"
				: "a descriptor of it the run holds, which "
				  "reads it");
	return true;
}

/*
 * A setting of a process of the run that concerns that process alone:
 * its threads' names (pthread_setname_np writes task/TID/comm), what
 * its core dumps hold (Java sets coredump_filter as it starts), how
 * the OOM killer sees it, its timer slack.  Its user may set them
 * natively, and no policy path can name the run's own /proc/PID: an
 * open may write them where the policy says nothing of them.  But where the
 * kernel's write floor (Landlock) stands, which cannot take /proc
 * without all of it (/proc/sys, others' settings), they are refused
 * with that reason, not with advice that could not work.  outsider()
 * has turned away the processes outside the run.
 */
static bool own_setting(const struct tracer_sup *s, const struct tracer_path *p,
			struct rules_verdict *v, bool *ok)
{
	static const char *const names[] = {
		"comm",	   "coredump_filter", "oom_score_adj",
		"oom_adj", "timerslack_ns",   "clear_refs",
	};
	const char *rest = p->path + strlen("/proc/");

	if (!p->exists || !tracer_path_proc_pid(p->path))
		return false;
	rest += strspn(rest, "0123456789");
	if (!strncmp(rest, "/task/", 6)) {
		rest += 6;
		rest += strspn(rest, "0123456789");
	}
	if (*rest++ != '/')
		return false;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(rest, names[i])) {
			*ok = s->floor < 0;
			verdict_proctor(
				v, *ok ? RULES_ALLOW : RULES_DENY, "proc",
				*ok ? "a setting of a process of the run"
				    : "a setting of a process of the run, "
				      "which the kernel's write floor "
				      "(Landlock) keeps from everything in "
				      "/proc");
			return true;
		}
	return false;
}

/*
 * A "create" entry lets the run make new files in the directory it names
 * (/tmp), and anything in directories the run made there; not new files
 * in somebody else's directory under it (another checkout's .git/hooks
 * in /tmp).  The parent is the named directory when its own parent is
 * not under the same entry.
 */
static bool creates_at_root(const struct tracer_sup *s,
			    const struct tracer_path *p,
			    const struct rules_verdict *v)
{
	struct rules_verdict up;
	char dir[4096], *slash;

	if (tracer_created_has(p->parent, ""))
		return true;
	snprintf(dir, sizeof(dir), "%s", p->path);
	slash = strrchr(dir, '/'); /* dir = the parent */
	if (!slash)
		return false;
	*slash = '\0';
	slash = strrchr(dir, '/'); /* dir = the grandparent */
	if (!slash)
		return false;
	slash[slash == dir ? 1 : 0] = '\0';
	rules_check_path(s->o->policy, RULES_WRITE, dir, &up);
	return !(up.action == RULES_CREATE && !up.is_default &&
		 !strcmp(up.where, v->where));
}

/*
 * A create entry (the shared /tmp) lets the run make files and
 * directories there, not a symlink, FIFO or socket: at a name a program
 * outside the run looks for, one is a trap (tmux finding a
 * /tmp/tmux-UID/default socket hands its terminal to whoever listens
 * there; a link at a name another program writes sends its bytes
 * elsewhere).  An entry that allows the path lays one on purpose.
 */
bool tracer_judge_kind(bool ok, mode_t kind, struct rules_verdict *v,
		       bool *override)
{
	if (!ok || !*override || v->action != RULES_CREATE ||
	    (kind != S_IFLNK && kind != S_IFIFO && kind != S_IFSOCK))
		return ok;
	verdict_proctor(v, RULES_DENY, "files.write",
			"where a create entry allows only new files and "
			"directories: a link, FIFO or socket at a shared name "
			"is a trap for programs outside the run (an entry "
			"that allows the path, --allow-write, lets it)");
	*override = false;
	return false;
}

/*
 * --permissive allows every write; learning still needs to tell a change
 * to what existed before the run from one to what the run made (a
 * create rule allows only the second).
 */
bool tracer_preexisting(const struct tracer_sup *s, const struct tracer_path *p)
{
	struct stat st;

	if (!s->o->permissive || !p->exists || p->is_proc_object)
		return false;
	return object_stat(p, &st) == 0 && !object_created(p);
}

/*
 * A block device holds every file of its filesystem, secrets included:
 * reading it takes an entry that names it, which a default is not.
 */
static bool disk(const struct tracer_sup *s, const struct tracer_path *p,
		 enum rules_class cls, struct rules_verdict *v, bool *ok)
{
	if (!p->exists || !S_ISBLK(p->mode))
		return false;
	rules_check_path(s->o->policy, cls, p->path, v);
	*ok = v->action == RULES_ALLOW && !v->is_default;
	if (!*ok)
		verdict_proctor(v, RULES_DENY, "disks",
				"a block device (it holds every file on it); "
				"a policy entry naming it allows it");
	return true;
}

/*
 * A .git that is a file ("gitdir: PATH": a linked worktree, a submodule)
 * or a link names where the repository lives: pointed elsewhere, git run
 * outside the sandbox would take its config and hooks from there.  One
 * that existed before the run is protected like .git/config.
 */
static bool git_pointer(const struct tracer_path *p, struct rules_verdict *v)
{
	struct stat st;

	if (!p->exists || strcmp(p->name, ".git") || S_ISDIR(p->mode) ||
	    p->parent < 0 ||
	    fstatat(p->parent, p->name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    tracer_created_has(p->parent, p->name))
		return false;
	verdict_proctor(v, RULES_DENY, "git",
			"a .git file or link that existed before the run (it "
			"names where the repository is)");
	return true;
}

bool tracer_judge_write(const struct tracer_sup *s, const struct tracer_path *p,
			struct rules_verdict *v, bool *override)
{
	bool ok;

	*override = false;
	if (outsider(p, v))
		return false;
	if (terminal(s, p, RULES_WRITE, v, &ok) ||
	    disk(s, p, RULES_WRITE, v, &ok))
		return ok;
	if (git_pointer(p, v))
		return false;
	if (p->is_proc_object) {
		verdict_proctor(v, RULES_ALLOW, "objects", "pipe or socket");
		return true;
	}
	rules_check_path(s->o->policy, RULES_WRITE, p->path, v);
	if (v->action == RULES_ALLOW)
		return true;

	/*
	 * What the run made is its own: a new file in /tmp, a repository
	 * made with `git init` whose hooks the policy protects in
	 * repositories that existed before.
	 */
	if (p->exists) {
		*override = object_created(p);
	} else if (v->action == RULES_CREATE) {
		*override = creates_at_root(s, p, v);
	} else {
		*override = tracer_created_has(p->parent, "");
	}
	return *override;
}

bool tracer_judge_change(const struct tracer_sup *s,
			 const struct tracer_path *p, struct rules_verdict *v,
			 bool *override)
{
	bool ok = tracer_judge_write(s, p, v, override);

	/* a device node's mode, owner and names are the system's */
	if (!ok || !p->exists || !(S_ISCHR(p->mode) || S_ISBLK(p->mode)) ||
	    (v->where && !strcmp(v->where, "terminals")) || object_created(p))
		return ok;
	*override = false;
	verdict_proctor(v, RULES_DENY, "devices",
			"a device node: an entry that lets the run write it "
			"gives no right to its mode, owner or name");
	return false;
}

bool tracer_judge_read(const struct tracer_sup *s, const struct tracer_path *p,
		       struct rules_verdict *v)
{
	bool ok;

	if (outsider(p, v))
		return false;
	if (terminal(s, p, RULES_READ, v, &ok) ||
	    disk(s, p, RULES_READ, v, &ok))
		return ok;
	if (p->is_proc_object) {
		verdict_proctor(v, RULES_ALLOW, "objects", "pipe or socket");
		return true;
	}
	rules_check_path(s->o->policy, RULES_READ, p->path, v);
	return v->action == RULES_ALLOW;
}

int tracer_take_umask(pid_t tid)
{
	int um = tracer_ident_umask(tid);

	if (um < 0)
		return um; /* not guessed: a guess could loosen a mode */
	umask(um);
	return 0;
}

/*
 * /dev/tty is the opener's controlling terminal: opened here it would be
 * the supervisor's.  Open the tracee's instead (stat(5) field 7).
 */
static int open_ctty(pid_t tid, int flags)
{
	char path[64], buf[1024], *p;
	unsigned tty;
	int fd, i;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	for (i = 0; p && i < 5; i++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, " %u", &tty) != 1)
		return -EIO;
	if (tty == 0)
		return -ENXIO;
	if (major(tty) >= 136 && major(tty) <= 143)
		snprintf(path, sizeof(path), "/dev/pts/%u",
			 (major(tty) - 136) * 256 + minor(tty));
	else
		snprintf(path, sizeof(path), "/dev/char/%u:%u", major(tty),
			 minor(tty));
	fd = open(path, flags);
	return fd < 0 ? -errno : fd;
}

static int sys_openat2(int dirfd, const char *path, struct open_how *how)
{
	return syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
}

/*
 * O_CREAT of a regular file that exists makes nothing, so it needs no
 * umask (a read of /proc/TID/status): opened without the flag.  Not
 * where O_CREAT itself may refuse: a directory (EISDIR), O_EXCL, or a
 * file of somebody else (fs.protected_regular, in a sticky directory;
 * ours pass it whatever the directory).  Returns the descriptor,
 * -errno, or -ENOENT when the file was removed meanwhile or this does
 * not apply: then the caller opens it as asked.
 */
static int open_existing(const struct tracer_path *p, int flags,
			 struct open_how *how)
{
	struct open_how plain = *how;
	struct stat st;
	int fd;

	/* the owner: the task's fsuid, which this thread holds (asked with
	 * an invalid id, which changes nothing) */
	if (!(flags & O_CREAT) || flags & (O_EXCL | O_DIRECTORY) ||
	    !p->exists || p->magic >= 0 || !S_ISREG(p->mode) ||
	    p->uid != (uid_t)syscall(SYS_setfsuid, -1))
		return -ENOENT;
	plain.flags = (uint64_t)(flags & ~O_CREAT);
	plain.mode = 0;
	fd = sys_openat2(p->parent, p->name, &plain);
	if (fd < 0)
		return -errno;
	/* swapped for something else meanwhile: open it as asked */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -ENOENT;
	}
	return fd;
}

/* do_open()'s part made with the task's credentials. */
static int open_as_task(struct tracer_req *r, const struct tracer_path *p,
			const struct open_args *a, int flags, bool *created)
{
	struct open_how how = { .resolve = RESOLVE_NO_SYMLINKS };
	char link[64];
	int fd, err;

	if (p->magic >= 0) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", p->magic);
		fd = open(link, flags & ~(O_CREAT | O_EXCL));
		return fd < 0 ? -errno : fd;
	}
	fd = open_existing(p, flags, &how);
	if (fd != -ENOENT)
		return fd;
	if (flags & O_CREAT || (flags & O_TMPFILE) == O_TMPFILE) {
		err = tracer_take_umask(r->tid);
		if (err < 0)
			return err;
	}
	/* Create for sure, or not at all: what we mark as made is ours. */
	if (flags & O_CREAT && !p->exists)
		flags |= O_EXCL;
	how.flags = flags;
	how.mode = flags & O_CREAT || (flags & O_TMPFILE) == O_TMPFILE
			   ? a->mode & 07777
			   : 0;
	/* The last component was checked; a symlink swapped in is refused. */
	fd = sys_openat2(p->parent, p->name, &how);
	if (fd < 0 && errno == EEXIST && !(a->flags & O_EXCL)) {
		how.flags &= ~O_EXCL;
		fd = sys_openat2(p->parent, p->name, &how);
	} else if (fd >= 0) {
		*created = flags & O_CREAT && !p->exists;
	}
	return fd < 0 ? -errno : fd;
}

/*
 * Opens what p names with the tracee's flags and credentials.  Our copy
 * is always O_CLOEXEC and O_NOCTTY (the supervisor must not gain a
 * terminal); the tracee's O_CLOEXEC travels with the injected
 * descriptor.  /dev/tty opens as the kernel's does, whoever asks.
 */
static int do_open(struct tracer_req *r, const struct tracer_path *p,
		   const struct open_args *a, bool *created)
{
	int flags = (int)(a->flags & ~(uint64_t)O_CLOEXEC) | O_CLOEXEC;
	int fd;

	*created = false;
	/* openat2 takes no other flag with O_PATH */
	if (!(flags & O_PATH))
		flags |= O_NOCTTY;
	if (!strcmp(p->path, "/dev/tty"))
		return open_ctty(r->tid, flags & ~O_CREAT);

	fd = tracer_as_task(r->tid);
	if (fd < 0)
		return fd;
	fd = open_as_task(r, p, a, flags, created);
	tracer_as_self();
	return fd;
}

/*
 * Opening a FIFO waits for its other end, and some character devices
 * (serial lines) wait too; the memory devices, terminals and
 * pseudo-terminals do not.
 */
static bool may_wait(const struct tracer_path *p, uint64_t flags)
{
	if (!p->exists || flags & O_NONBLOCK)
		return false;
	if (S_ISFIFO(p->mode) && p->magic < 0)
		return false; /* its wait is parked (tracer_fifo_open) */
	if (S_ISFIFO(p->mode) || p->is_proc_object)
		return true;
	return S_ISCHR(p->mode) && strncmp(p->path, "/dev/pts/", 9) &&
	       strcmp(p->path, "/dev/null") && strcmp(p->path, "/dev/zero") &&
	       strcmp(p->path, "/dev/tty") && strcmp(p->path, "/dev/ptmx") &&
	       strcmp(p->path, "/dev/urandom") &&
	       strcmp(p->path, "/dev/random") && strcmp(p->path, "/dev/full");
}

/*
 * An open of a file under a lease (fcntl F_SETLEASE, which its owner may
 * take) waits for the holder to give it up, up to lease-break-time (45 s
 * by default), unless O_NONBLOCK: then EWOULDBLOCK, the break begun.  So
 * on a receiver a regular file is opened without waiting first, and an
 * open that would wait goes to the pool.
 */
static bool leased_maybe(const struct tracer_req *r,
			 const struct tracer_path *p, const struct open_args *a)
{
	return !r->may_block && p->exists && S_ISREG(p->mode) &&
	       !(a->flags & O_NONBLOCK) && (a->flags & O_PATH) == 0;
}

static int open_unleased(struct tracer_req *r, const struct tracer_path *p,
			 const struct open_args *a, bool *created)
{
	struct open_args nb = *a;
	int fd;

	nb.flags |= O_NONBLOCK;
	fd = do_open(r, p, &nb, created);
	if (fd == -EWOULDBLOCK) {
		r->defer = true;
		return fd;
	}
	/*
	 * No other meaning for a regular file: the program never asked.  Its
	 * own flags are what F_GETFL would say, so no need to ask.
	 */
	if (fd >= 0)
		fcntl(fd, F_SETFL, (int)a->flags & ~O_NONBLOCK);
	return fd;
}

/*
 * Reads are judged first: a denied read names the read rule.  An open
 * that reads and writes is one question at most: about the write when
 * the write needs an answer (its answer covers the read), else about
 * the read.
 */
/*
 * Another process's memory (/proc/PID/mem, /proc/PID/task/TID/mem): no
 * program needs it but a debugger, which cannot run here, and a
 * descriptor of it opened before that process takes a grant would read
 * what the grant lets it read (#6).  A process's own stays open to it.
 */
static bool others_memory(const struct tracer_req *r,
			  const struct tracer_path *p)
{
	const char *base = strrchr(p->path, '/');
	pid_t pid = tracer_path_proc_pid(p->path);

	/* the object's own name first: a descriptor's link may hold it */
	if (!pid)
		pid = p->via_pid;
	return pid && pid != r->tgid && base && !strcmp(base + 1, "mem");
}

static bool judge(struct tracer_req *r, const struct tracer_path *p,
		  uint64_t flags)
{
	struct rules_verdict rv;
	bool override = false, rd = true, wr;

	r->ev.is_dir = p->exists && S_ISDIR(p->mode);
	if (others_memory(r, p)) {
		verdict_proctor(&r->verdict, RULES_DENY, "proc",
				"another process's memory");
		return tracer_req_decide(
			r, wants_write(flags) ? RULES_WRITE : RULES_READ,
			"path", p->path, false);
	}
	if (wants_read(flags)) {
		rd = held(p, RULES_READ, &r->verdict) ||
		     tracer_judge_read(r->sup, p, &r->verdict);
		r->ev.absent = !rd && !p->exists && !wants_write(flags);
		if (!wants_write(flags) ||
		    (!rd && !tracer_prompt_askable(r->sup, &r->verdict)))
			return tracer_req_decide(r, RULES_READ, "path", p->path,
						 rd);
		rv = r->verdict;
	}
	wr = held(p, RULES_WRITE, &r->verdict) ||
	     tracer_judge_write(r->sup, p, &r->verdict, &override);
	if (!wr && r->verdict.is_default)
		own_setting(r->sup, p, &r->verdict, &wr);
	r->ev.created_override = override;
	r->ev.preexisting = tracer_preexisting(r->sup, p);
	if (!rd && wr) {
		r->verdict = rv;
		return tracer_req_decide(r, RULES_READ, "path", p->path, false);
	}
	return tracer_req_decide(r, RULES_WRITE, "path", p->path, wr);
}

/*
 * O_CREAT of "name/" makes no file: once the directory part resolves,
 * the kernel answers EISDIR, whatever name is.  Returns whether this
 * answered the call.
 */
static bool creat_dir_syntax(struct tracer_req *r, const struct open_args *a,
			     const char *path)
{
	char stripped[4096];
	struct tracer_path p;
	size_t len = strlen(path);
	int err;

	if (len < 2 || path[len - 1] != '/')
		return false;
	while (len > 1 && path[len - 1] == '/')
		len--;
	snprintf(stripped, sizeof(stripped), "%.*s", (int)len, path);
	if (a->resolve)
		err = tracer_path_resolve_how(r->tid, r->tgid, a->dirfd,
					      stripped, 0, a->resolve, &p);
	else
		err = tracer_path_resolve(r->tid, r->tgid, a->dirfd, stripped,
					  0, &p);
	if (!err)
		tracer_path_release(&p);
	r->err = err ? -err : EISDIR;
	return true;
}

/* A missing name a CApath lookup of proctor's CA reaches (castat.c). */
static bool ca_hashed_open(const struct tracer_ca *ca,
			   const struct tracer_path *p, int flags, int *fd)
{
	return ca && !p->exists && p->magic < 0 &&
	       tracer_ca_hashed_name(ca, p->name) &&
	       tracer_ca_hashed_open(ca, p->parent, p->path, p->name, flags,
				     fd);
}

/*
 * An openat2 with O_PATH: refused with ENOSYS (tracer_on_open), logged
 * and not said, as programs fall back to openat without a word.
 */
static void refuse_openat2_path(struct tracer_req *r, int dirfd,
				const char *path)
{
	static const struct rules_verdict refused = {
		.action = RULES_DENY,
		.origin = "proctor",
		.where = "openat2",
		.pattern =
			"an O_PATH open by openat2, which only the kernel "
			"can make, and which would read its flags again: "
			"ENOSYS, as without openat2 (openat's O_PATH goes on)",
	};
	struct tracer_path p;

	r->verdict = refused;
	r->ev.unsupported = true;
	if (tracer_path_resolve(r->tid, r->tgid, dirfd, path, 0, &p) == 0) {
		tracer_req_decide(r, RULES_READ, "path", p.path, false);
		tracer_path_release(&p);
	} else {
		tracer_req_decide(r, RULES_READ, "path", path, false);
	}
	r->err = ENOSYS;
}

void tracer_on_open(struct tracer_req *r)
{
	struct open_args a;
	struct tracer_path p;
	char path[4096];
	bool created = false, retried = false;
	int err, fd, rflags = 0, ro;

	err = decode(r, &a);
	if (!err)
		err = tracer_mem_string(r->tid, a.path, path, sizeof(path));
	if (err) {
		r->err = -err;
		return;
	}
	if (!tracer_req_valid(r))
		return;

	/*
	 * ADDFD cannot pass an O_PATH descriptor (below), and an openat2 the
	 * kernel carries out reads its struct again, which another thread
	 * may have changed since (O_PATH then O_WRONLY): none goes on.
	 * ENOSYS, as from a kernel without openat2: programs fall back to
	 * openat, whose O_PATH is in a register.
	 */
	if (a.flags & O_PATH && !strcmp(r->name, "openat2")) {
		refuse_openat2_path(r, a.dirfd, path);
		return;
	}
	/* O_PATH takes no other flag: open and openat drop the rest */
	if (a.flags & O_PATH)
		a.flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	if (flags_refused(a.flags)) {
		r->err = EINVAL;
		return;
	}
	if (a.flags & O_CREAT && creat_dir_syntax(r, &a, path))
		return;
again:
	if (!(a.flags & O_NOFOLLOW) &&
	    !((a.flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)))
		rflags |= TRACER_PATH_FOLLOW;
	if (a.resolve)
		err = tracer_path_resolve_how(r->tid, r->tgid, a.dirfd, path,
					      rflags, a.resolve, &p);
	else
		err = tracer_path_resolve(r->tid, r->tgid, a.dirfd, path,
					  rflags, &p);
	if (err) {
		r->err = -err;
		return;
	}

	/*
	 * O_CREAT of what exists, only to read, makes nothing: a read (flock
	 * opens its lock file so, /etc/hostname as well as its own).  It is
	 * opened without the flag, so that what was judged a read cannot
	 * create a file; removed meanwhile, it is judged again as asked.
	 */
	ro = retried ? 1 : reads_existing(r->tid, &a, &p);
	if (ro <= 0)
		a.flags &= ~(uint64_t)O_CREAT;
	/* O_CREAT of a directory that exists: the kernel's answer */
	if ((a.flags & (O_CREAT | O_EXCL | O_PATH)) == O_CREAT && p.exists &&
	    S_ISDIR(p.mode))
		ro = -EISDIR;
	/* and of a name that exists, with O_EXCL: whoever may write there */
	if ((a.flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL) && p.exists)
		ro = -EEXIST;
	if (ro < 0) {
		r->err = -ro;
		tracer_path_release(&p);
		return;
	}
	if (!judge(r, &p, a.flags)) {
		r->err = r->ev.absent ? ENOENT : EACCES;
		tracer_path_release(&p);
		return;
	}

	/*
	 * ADDFD cannot pass an O_PATH descriptor (the kernel's fget skips
	 * them), so the kernel opens it.  An O_PATH descriptor reads and
	 * writes nothing; every use of it (a dirfd, fchdir, a reopen through
	 * /proc/self/fd, execveat) is judged on the object it names.
	 */
	if (a.flags & O_PATH) {
		r->cont = true;
		tracer_path_release(&p);
		return;
	}
	/* An open that waits for a peer must not hold up the receiver. */
	if (!r->may_block && may_wait(&p, a.flags)) {
		r->defer = true;
		tracer_path_release(&p);
		return;
	}
	/*
	 * resolv.conf as proctor's resolver needs it read (dns.c); the
	 * system's CA bundle with proctor's CA added, and the CA under its
	 * hashed name in a certs directory (intercept.c)
	 */
	if (!tracer_dns_resolv_conf(&p, (int)a.flags, &fd) &&
	    !tracer_ca_bundle_open(r->sup->o->ca, p.path, (int)a.flags, &fd) &&
	    !ca_hashed_open(r->sup->o->ca, &p, (int)a.flags, &fd)) {
		if (S_ISFIFO(p.mode) && p.magic < 0 && !(a.flags & O_NONBLOCK))
			fd = tracer_fifo_open(r, &p, a.flags);
		else if (leased_maybe(r, &p, &a))
			fd = open_unleased(r, &p, &a, &created);
		else
			fd = do_open(r, &p, &a, &created);
	}
	if (r->defer || r->park) {
		tracer_path_release(&p);
		return;
	}
	if (fd == -ENOENT && ro == 0) {
		tracer_path_release(&p);
		a.flags |= O_CREAT;
		retried = true;
		goto again;
	}
	if (fd < 0) {
		r->err = -fd;
	} else {
		if (created || (a.flags & O_TMPFILE) == O_TMPFILE)
			tracer_created_add(fd, "");
		if (created && p.parent >= 0) {
			r->made_dir = fcntl(p.parent, F_DUPFD_CLOEXEC, 0);
			snprintf(r->made_name, sizeof(r->made_name), "%s",
				 p.name);
		}
		r->addfd = fd;
		r->addfd_flags = a.flags & O_CLOEXEC ? O_CLOEXEC : 0;
	}
	tracer_path_release(&p);
}
