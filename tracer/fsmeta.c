/* SPDX-License-Identifier: MIT */
/*
 * The other calls that change a file: link, symlink, mknod, truncate,
 * chmod, chown, utimensat and the xattr family, by path or by descriptor.
 * Each is judged as a write of the object it changes and carried out by
 * the supervisor on its own resolution or on its own duplicate of the
 * descriptor, never by the kernel re-reading the tracee (THREATS.md 6).
 */
#include <errno.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "tracer/tracer.h"

#define XATTR_MAX 65536

/* How a call names its object. */
enum meta_kind {
	META_PATH, /* path in args[p] relative to cwd */
	META_AT,   /* dirfd in args[p - 1], path in args[p] */
	META_FD,   /* descriptor in args[0] */
};

struct meta_call {
	const char *name;
	enum meta_kind kind;
	int p;	       /* argument index of the path */
	bool nofollow; /* never follows a final symlink */
	int flags_arg; /* -1, or where AT_SYMLINK_NOFOLLOW lives */
	int (*op)(struct tracer_req *r, const struct tracer_path *p, int fd);
};

/* An attribute's name and value, on the heap: 64 KiB per thread else */
struct xattr {
	char name[256];
	char value[XATTR_MAX];
};

/*
 * A path the supervisor can hand to calls that take no dirfd: our own
 * O_PATH descriptor of the object, taken without following a symlink, so
 * a symlink swapped in after the check is not followed (class 4).
 * Returns the descriptor to close, or -errno.
 */
static int proc_path(const struct tracer_path *p, char *out, size_t size)
{
	int fd = p->magic >= 0 ? dup(p->magic)
			       : openat(p->parent, p->name,
					O_PATH | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return -errno;
	if (p->magic < 0 && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) {
		close(fd);
		return -ELOOP;
	}
	snprintf(out, size, "/proc/self/fd/%d", fd);
	return fd;
}

static int ret(int rc)
{
	return rc < 0 ? -errno : 0;
}

static int op_chmod(struct tracer_req *r, const struct tracer_path *p, int fd)
{
	mode_t mode = r->args[!strcmp(r->name, "chmod")	   ? 1
			      : !strcmp(r->name, "fchmod") ? 1
							   : 2] &
		      07777;
	char path[64];
	int held, rc;

	if (fd >= 0)
		return ret(fchmod(fd, mode));
	/* fchmodat cannot skip a final symlink: it is judged resolved. */
	held = proc_path(p, path, sizeof(path));
	if (held < 0)
		return held;
	rc = ret(chmod(path, mode));
	close(held);
	return rc;
}

static int op_chown(struct tracer_req *r, const struct tracer_path *p, int fd)
{
	int base = !strcmp(r->name, "fchownat") ? 2 : 1;
	uid_t uid = r->args[base];
	gid_t gid = r->args[base + 1];

	if (fd >= 0)
		return ret(fchown(fd, uid, gid));
	if (p->magic >= 0)
		return ret(fchownat(p->magic, "", uid, gid, AT_EMPTY_PATH));
	return ret(fchownat(p->parent, p->name, uid, gid, AT_SYMLINK_NOFOLLOW));
}

static int op_truncate(struct tracer_req *r, const struct tracer_path *p,
		       int fd)
{
	char path[64];
	int held, wfd, rc;

	held = proc_path(p, path, sizeof(path));
	if (held < 0)
		return held;
	/* a lease's holder may take 45 s: on the pool (open.c, leases) */
	wfd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY |
				 (r->may_block ? 0 : O_NONBLOCK));
	close(held);
	if (wfd < 0 && errno == EWOULDBLOCK && !r->may_block) {
		r->defer = true;
		return 0;
	}
	if (wfd < 0)
		return -errno;
	rc = ret(ftruncate(wfd, (off_t)r->args[1]));
	close(wfd);
	return rc;
}

/*
 * The times argument: utimensat's timespec[2], the older utimes and
 * futimesat's timeval[2], utime's utimbuf (seconds).  NULL means now.
 */
static int read_times(struct tracer_req *r, struct timespec ts[2],
		      struct timespec **tp)
{
	bool old = !strcmp(r->name, "utimes") || !strcmp(r->name, "utime");
	uint64_t addr = r->args[old ? 1 : 2];
	struct timeval tv[2];
	long ub[2];
	int err;

	*tp = NULL;
	if (!addr)
		return 0;
	*tp = ts;
	if (!strcmp(r->name, "utime")) {
		err = tracer_mem_read(r->tid, addr, ub, sizeof(ub));
		ts[0] = (struct timespec){ ub[0], 0 };
		ts[1] = (struct timespec){ ub[1], 0 };
		return err;
	}
	if (!strcmp(r->name, "utimensat"))
		return tracer_mem_read(r->tid, addr, ts, 2 * sizeof(*ts));
	err = tracer_mem_read(r->tid, addr, tv, sizeof(tv));
	ts[0] = (struct timespec){ tv[0].tv_sec, tv[0].tv_usec * 1000 };
	ts[1] = (struct timespec){ tv[1].tv_sec, tv[1].tv_usec * 1000 };
	return err;
}

static int op_utimens(struct tracer_req *r, const struct tracer_path *p, int fd)
{
	struct timespec ts[2], *tp;
	int err = read_times(r, ts, &tp);

	if (err)
		return err;
	if (fd >= 0)
		return ret(futimens(fd, tp));
	if (p->magic >= 0)
		return ret(utimensat(p->magic, "", tp, AT_EMPTY_PATH));
	return ret(utimensat(p->parent, p->name, tp, AT_SYMLINK_NOFOLLOW));
}

const char *tracer_task_status(pid_t tid, const char *key, char *buf,
			       size_t size)
{
	char path[64], *at;

	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	if (tracer_proc_read(path, buf, size) <= 0 || !(at = strstr(buf, key)))
		return NULL;
	return at + strlen(key);
}

bool tracer_task_has_cap(pid_t tid, int cap)
{
	char buf[4096];
	const char *c = tracer_task_status(tid, "\nCapEff:", buf, sizeof(buf));

	return c && (strtoull(c, NULL, 16) >> cap) & 1;
}

static int op_mknod(struct tracer_req *r, const struct tracer_path *p, int fd)
{
	bool at = !strcmp(r->name, "mknodat");
	mode_t mode = r->args[at + 1];
	dev_t dev = r->args[at + 2];
	int err;

	if (p->exists || p->magic >= 0)
		return -EEXIST;
	/*
	 * A device node needs CAP_MKNOD, which a run started as root loses
	 * (tracer/caps.c): proctor must not lend it its own.
	 */
	if ((S_ISCHR(mode) || S_ISBLK(mode)) &&
	    !tracer_task_has_cap(r->tid, CAP_MKNOD))
		return -EPERM;
	err = tracer_take_umask(r->tid);
	if (err < 0)
		return err;
	if (mknodat(p->parent, p->name, mode, dev) < 0)
		return -errno;
	tracer_created_add(p->parent, p->name);
	return 0;
}

static int op_symlink(struct tracer_req *r, const struct tracer_path *p, int fd)
{
	char target[4096];
	int err;

	err = tracer_mem_string(r->tid, r->args[0], target, sizeof(target));
	if (err)
		return err;
	if (p->exists || p->magic >= 0)
		return -EEXIST;
	if (symlinkat(target, p->parent, p->name) < 0)
		return -errno;
	tracer_created_add(p->parent, p->name);
	return 0;
}

/* Copies the attribute name, and for set calls the value. */
static int xattr_args(struct tracer_req *r, int base, bool set, struct xattr *x,
		      size_t *len)
{
	int err = tracer_mem_string(r->tid, r->args[base], x->name,
				    sizeof(x->name));

	*len = 0;
	if (err || !set)
		return err == -ENAMETOOLONG ? -ERANGE : err;
	*len = r->args[base + 2];
	if (*len > XATTR_MAX)
		return -E2BIG;
	return tracer_mem_read(r->tid, r->args[base + 1], x->value, *len);
}

/*
 * trusted.* and security.* take CAP_SYS_ADMIN, which a run as root
 * loses (security.capability: CAP_SETFCAP, which it keeps)
 */
static bool xattr_may(struct tracer_req *r, const char *name)
{
	if (!strcmp(name, "security.capability"))
		return tracer_task_has_cap(r->tid, CAP_SETFCAP);
	return (strncmp(name, "trusted.", 8) &&
		strncmp(name, "security.", 9)) ||
	       tracer_task_has_cap(r->tid, CAP_SYS_ADMIN);
}

static int xattr_apply(const struct xattr *x, bool set, size_t len, int flags,
		       const struct tracer_path *p, int fd)
{
	char path[64];
	int err, held;

	if (fd >= 0)
		return ret(set ? fsetxattr(fd, x->name, x->value, len, flags)
			       : fremovexattr(fd, x->name));
	held = proc_path(p, path, sizeof(path));
	if (held < 0)
		return held;
	/* our descriptor names the object itself: follow it */
	err = ret(set ? setxattr(path, x->name, x->value, len, flags)
		      : removexattr(path, x->name));
	close(held);
	return err;
}

static int op_xattr(struct tracer_req *r, const struct tracer_path *p, int fd)
{
	bool set = strstr(r->name, "setxattr") != NULL;
	struct xattr *x = malloc(sizeof(*x));
	size_t len;
	int err;

	if (!x)
		return -ENOMEM;
	err = xattr_args(r, 1, set, x, &len);
	if (!err)
		err = xattr_may(r, x->name)
			      ? xattr_apply(x, set, len, (int)r->args[4], p, fd)
			      : -EPERM;
	free(x);
	return err;
}

/*
 * chattr's ioctls (fsioctl.c): attribute flags set through a descriptor
 * of any mode, as the owner may; the argument is read once, here.
 */
static int op_fsattr(struct tracer_req *r, const struct tracer_path *p, int fd)
{
	union {
		int flags;
		struct fsxattr x;
	} arg;
	unsigned long cmd = (unsigned)r->args[1];
	size_t size = cmd == FS_IOC_SETFLAGS ? sizeof(int) : sizeof(arg.x);

	if (tracer_mem_read(r->tid, r->args[2], &arg, size))
		return -EFAULT;
	return ret(ioctl(fd, cmd, &arg));
}

static const struct meta_call calls[] = {
	{ "chmod", META_PATH, 0, false, -1, op_chmod },
	{ "fchmodat", META_AT, 1, false, -1, op_chmod },
	{ "fchmod", META_FD, 0, false, -1, op_chmod },
	{ "chown", META_PATH, 0, false, -1, op_chown },
	{ "lchown", META_PATH, 0, true, -1, op_chown },
	{ "fchownat", META_AT, 1, false, 4, op_chown },
	{ "fchown", META_FD, 0, false, -1, op_chown },
	{ "truncate", META_PATH, 0, false, -1, op_truncate },
	{ "utimensat", META_AT, 1, false, 3, op_utimens },
	{ "utimes", META_PATH, 0, false, -1, op_utimens },
	{ "utime", META_PATH, 0, false, -1, op_utimens },
	{ "futimesat", META_AT, 1, false, -1, op_utimens },
	{ "mknod", META_PATH, 0, true, -1, op_mknod },
	{ "mknodat", META_AT, 1, true, -1, op_mknod },
	{ "symlink", META_PATH, 1, true, -1, op_symlink },
	{ "symlinkat", META_AT, 2, true, -1, op_symlink },
	{ "setxattr", META_PATH, 0, false, -1, op_xattr },
	{ "lsetxattr", META_PATH, 0, true, -1, op_xattr },
	{ "fsetxattr", META_FD, 0, false, -1, op_xattr },
	{ "removexattr", META_PATH, 0, false, -1, op_xattr },
	{ "lremovexattr", META_PATH, 0, true, -1, op_xattr },
	{ "fremovexattr", META_FD, 0, false, -1, op_xattr },
	{ "ioctl", META_FD, 0, false, -1, op_fsattr },
};

static const struct meta_call *find_call(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(calls) / sizeof(*calls); i++)
		if (!strcmp(calls[i].name, name))
			return &calls[i];
	return NULL;
}

/*
 * Resolves the object: a path, or for descriptor calls (and utimensat
 * with a NULL path) what /proc/PID/fd/N names.
 */
static int resolve(struct tracer_req *r, const struct meta_call *c,
		   struct tracer_path *p, bool *by_fd, int *fd)
{
	char path[4096];
	int dirfd = AT_FDCWD, flags = TRACER_PATH_FOLLOW, err;
	bool empty = false;

	/* fchownat and utimensat with "" and AT_EMPTY_PATH change dirfd */
	if (c->kind == META_AT && c->flags_arg >= 0 &&
	    r->args[c->flags_arg] & AT_EMPTY_PATH && r->args[c->p]) {
		err = tracer_mem_string(r->tid, r->args[c->p], path,
					sizeof(path));
		if (err)
			return err;
		empty = !path[0] && (int)r->args[c->p - 1] != AT_FDCWD;
	}
	/* utimensat and futimesat with no path change dirfd itself */
	*by_fd = c->kind == META_FD || empty ||
		 (c->op == op_utimens && c->kind == META_AT && !r->args[1]);
	if (*by_fd) {
		/*
		 * Take the descriptor first and judge what we hold: the
		 * tracee's number may point elsewhere a moment later.
		 */
		*fd = tracer_steal_fd(r->tid, r->tgid, (int)r->args[0]);
		if (*fd < 0)
			return *fd;
		/* fchmod, fchown, fsetxattr, ioctl: not through O_PATH */
		if (c->kind == META_FD && fcntl(*fd, F_GETFL) & O_PATH)
			return -EBADF;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", *fd);
		err = tracer_path_resolve(gettid(), getpid(), AT_FDCWD, path,
					  TRACER_PATH_FOLLOW, p);
		p->via_pid = 0; /* our own duplicate, not a neighbour's */
		return err;
	}
	err = tracer_mem_string(r->tid, r->args[c->p], path, sizeof(path));
	if (err)
		return err;
	if (!path[0] && c->flags_arg >= 0 &&
	    r->args[c->flags_arg] & AT_EMPTY_PATH)
		snprintf(path, sizeof(path), "."); /* AT_FDCWD: the cwd */
	if (c->kind == META_AT)
		dirfd = (int)r->args[c->p - 1];
	if (c->nofollow ||
	    (c->flags_arg >= 0 && r->args[c->flags_arg] & AT_SYMLINK_NOFOLLOW))
		flags = 0;
	return tracer_path_resolve(r->tid, r->tgid, dirfd, path, flags, p);
}

/* What a mknod or symlink makes (tracer_judge_kind); 0 for the rest. */
static mode_t made_kind(const struct tracer_req *r, const struct meta_call *c)
{
	if (c->op == op_symlink)
		return S_IFLNK;
	if (c->op == op_mknod)
		return (mode_t)r->args[c->p + 1] & S_IFMT;
	return 0;
}

void tracer_on_meta(struct tracer_req *r)
{
	const struct meta_call *c = find_call(r->name);
	struct tracer_path p = { .parent = -1, .magic = -1 };
	bool by_fd, override, ok;
	int err, fd = -1;

	if (!c) {
		r->err = ENOSYS;
		return;
	}
	err = resolve(r, c, &p, &by_fd, &fd);
	if (err) {
		r->err = -err;
		goto out;
	}
	if (!tracer_req_valid(r))
		goto out;
	/* making a name that exists is EEXIST, whoever may write there */
	if ((c->op == op_mknod || c->op == op_symlink) &&
	    (p.exists || p.magic >= 0)) {
		r->err = EEXIST;
		goto out;
	}

	/* a device's times, and its truncation (EINVAL), change nothing */
	ok = c->op == op_utimens || c->op == op_truncate
		     ? tracer_judge_write(r->sup, &p, &r->verdict, &override)
		     : tracer_judge_change(r->sup, &p, &r->verdict, &override);
	ok = tracer_judge_kind(ok, made_kind(r, c), &r->verdict, &override);
	r->ev.created_override = override;
	r->ev.preexisting = tracer_preexisting(r->sup, &p);
	r->ev.is_dir = p.exists && S_ISDIR(p.mode);
	tracer_req_decide(r, RULES_WRITE, "path", p.path, ok);
	if (!ok) {
		r->err = EACCES;
		goto out;
	}
	err = tracer_as_task(r->tid);
	if (!err)
		err = c->op(r, &p, fd);
	tracer_as_self();
	r->err = -err;
out:
	if (fd >= 0)
		close(fd);
	tracer_path_release(&p);
}
