/* SPDX-License-Identifier: MIT */
/*
 * Path resolution from the tracee's point of view.
 *
 * The supervisor resolves every path itself and keeps the directory that
 * holds the object open (O_PATH), so the object it judges is the object it
 * then opens (THREATS.md classes 4 and 5).  Two walks:
 *
 * - fast: one openat2(2) of the directory part with RESOLVE_NO_MAGICLINKS,
 *   then readlink of /proc/self/fd/N for its canonical name.  Ordinary
 *   symlinks are followed by the kernel; the result is what they name.
 * - slow, when the path touches procfs: a component walk in which "self"
 *   and "thread-self" mean the tracee (the kernel would read them as the
 *   supervisor) and magic links (/proc/PID/fd/N, cwd, root, exe) are
 *   judged on the object they point to.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tracer/tracer.h"

#define PATH_MAX_LINKS 40 /* the kernel's MAXSYMLINKS */

static int sys_openat2(int dirfd, const char *path, struct open_how *how)
{
	return syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
}

/* The canonical name of an open descriptor. */
static int fd_name(int fd, char *buf, size_t size)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, size - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n >= size - 1)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	return 0;
}

/*
 * Set on threads with a filesystem context of their own (notify.c): only
 * those may move their cwd to name a directory.  They go back to "/" by
 * a descriptor of it: fchdir(2) takes a third of chdir("/")'s time (no
 * name to look up).  proctor never changes its root, so one serves all.
 */
static __thread bool own_fs;
static int root_fd = -1;

static void open_root(void)
{
	root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
}

void tracer_path_own_fs(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, open_root);
	own_fs = root_fd >= 0;
}

/*
 * The canonical name of a directory descriptor.  getcwd(2) after
 * fchdir(2) gives what readlink of /proc/self/fd/N gives (d_path) at
 * half its cost, procfs lookups being slow; where it would differ (a
 * removed directory: ENOENT; one outside our root: "(unreachable)"), or
 * the descriptor is no directory, the readlink says it.  The thread goes
 * back to "/" so as to pin no directory while it waits (a mount there
 * could not be unmounted).
 */
static int dir_name(int fd, char *buf, size_t size)
{
	bool ok;

	if (!own_fs || fchdir(fd) < 0)
		return fd_name(fd, buf, size);
	ok = syscall(SYS_getcwd, buf, size) > 0 && buf[0] == '/';
	if (fchdir(root_fd) < 0)
		own_fs = false; /* cannot happen; stop moving, to be sure */
	return ok ? 0 : fd_name(fd, buf, size);
}

static bool in_procfs(const char *canon)
{
	return strncmp(canon, "/proc", 5) == 0 &&
	       (canon[5] == '\0' || canon[5] == '/');
}

/* Where a walk starts: the tracee's cwd, its dirfd, or the root. */
static int start_fd(pid_t tid, pid_t tgid, int dirfd, const char *path)
{
	char link[64];
	int fd;

	/* TODO(#3): a tracee that chroot()ed still resolves from "/". */
	if (path[0] == '/')
		snprintf(link, sizeof(link), "/");
	else if (dirfd == AT_FDCWD)
		return tracer_ident_cwd(tid);
	else if (dirfd < 0)
		return -EBADF;
	else
		/* the thread's table (tracer_steal_fd) */
		snprintf(link, sizeof(link), "/proc/%d/fd/%d", tid, dirfd);

	fd = open(link, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT && dirfd >= 0 ? -EBADF : -errno;
	return fd;
}

static void join(char *out, size_t size, const char *dir, const char *name)
{
	if (strcmp(name, ".") == 0)
		snprintf(out, size, "%s", dir);
	else if (strcmp(dir, "/") == 0)
		snprintf(out, size, "/%s", name);
	else
		snprintf(out, size, "%s/%s", dir, name);
}

/*
 * Splits path into its directory part (in dir) and last component:
 * 0, or -ENAMETOOLONG when that is longer than last holds (NAME_MAX).
 */
static int split(const char *path, char *dir, size_t dsize, char *last,
		 size_t lsize)
{
	size_t len = strlen(path);
	const char *slash;

	/* A trailing slash names the directory itself. */
	while (len > 1 && path[len - 1] == '/')
		len--;
	slash = memrchr(path, '/', len);
	if ((size_t)(len - (slash ? slash - path + 1 : 0)) >= lsize)
		return -ENAMETOOLONG;
	if (!slash) {
		snprintf(dir, dsize, ".");
		snprintf(last, lsize, "%.*s", (int)len, path);
		return 0;
	}
	snprintf(last, lsize, "%.*s", (int)(len - (slash - path) - 1),
		 slash + 1);
	if (slash == path)
		snprintf(dir, dsize, "/");
	else
		snprintf(dir, dsize, "%.*s", (int)(slash - path), path);
	if (last[0] == '\0')
		snprintf(last, lsize, ".");
	return 0;
}

static bool trailing_slash(const char *path)
{
	size_t len = strlen(path);

	return len > 0 && path[len - 1] == '/';
}

static int slow_walk(pid_t tid, pid_t tgid, int dirfd, const char *path,
		     int flags, struct tracer_path *p);

/*
 * Opens the directory part dir of a path from *start into *fd and names
 * it in canon.  "." is *start itself, which is then taken (*start
 * becomes -1); "/" is named without asking.  Returns 0, 1 when the slow
 * walk must take over, or -errno.  The slow walk takes over from a
 * magic link on the way, and from any failure: /proc/self (through
 * /dev/fd too) is proctor here, so /proc/self/task/TID or
 * /proc/self/fd/N/name may fail here and not for the task.
 */
static int walk_dir(int *start, const char *dir, int *fd, char *canon,
		    size_t size)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_NO_MAGICLINKS,
	};
	int err;

	if (*start >= 0 && !strcmp(dir, ".")) {
		*fd = *start;
		*start = -1;
	} else {
		*fd = sys_openat2(*start, dir, &how);
		if (*fd < 0)
			return errno == ENOMEM ? -ENOMEM : 1;
	}
	if (!strcmp(dir, "/")) {
		snprintf(canon, size, "/");
		return 0;
	}
	err = dir_name(*fd, canon, size);
	if (err)
		close(*fd);
	return err;
}

/*
 * The fast walk.  Returns 1 when the slow walk must take over (procfs,
 * magic links), 0 or -errno otherwise.
 */
static int fast_walk(int *start, const char *path, int flags,
		     struct tracer_path *p, int *links, char *next,
		     size_t nsize)
{
	char dir[4096], canon[4096];
	struct stat st;
	int fd, err;

	err = split(path, dir, sizeof(dir), p->name, sizeof(p->name));
	if (!err)
		err = walk_dir(start, dir, &fd, canon, sizeof(canon));
	if (err)
		return err;
	if (in_procfs(canon)) {
		close(fd);
		return 1;
	}
	p->parent = fd;

	if (strcmp(p->name, "..") == 0) {
		/* Normalise to "." of the parent's parent. */
		int up = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);

		close(fd);
		if (up < 0)
			return p->parent = -1, -errno;
		p->parent = up;
		snprintf(p->name, sizeof(p->name), ".");
		err = dir_name(up, canon, sizeof(canon));
		if (err)
			return err;
	}

	join(p->path, sizeof(p->path), canon, p->name);
	fd = p->parent;
	if (fstatat(fd, p->name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			return -errno;
		p->exists = false;
		return 0;
	}
	p->exists = true;
	p->mode = st.st_mode;
	p->uid = st.st_uid;

	if (S_ISLNK(st.st_mode) &&
	    (flags & TRACER_PATH_FOLLOW || trailing_slash(path))) {
		ssize_t n;

		if (++*links > PATH_MAX_LINKS)
			return -ELOOP;
		n = readlinkat(fd, p->name, next, nsize - 1);
		if (n < 0)
			return -errno;
		next[n] = '\0';
		return 2; /* follow: resolve next from p->parent */
	}
	if (trailing_slash(path) && !S_ISDIR(st.st_mode))
		return -ENOTDIR;
	return 0;
}

/* Empty and holding nothing; the names' 4 KiB are not cleared. */
static void path_init(struct tracer_path *p)
{
	p->parent = -1;
	p->magic = -1;
	p->name[0] = '\0';
	p->path[0] = '\0';
	p->exists = false;
	p->mode = 0;
	p->uid = 0;
	p->via_pid = 0;
	p->is_proc_object = false;
}

int tracer_path_resolve(pid_t tid, pid_t tgid, int dirfd, const char *path,
			int flags, struct tracer_path *p)
{
	char cur[4096], next[4096];
	int start, links = 0, rc;

	path_init(p);
	if (path[0] == '\0')
		return -ENOENT;
	if (strlen(path) >= sizeof(cur))
		return -ENAMETOOLONG;

	/* openat2 reads an absolute path from the root, whatever dirfd */
	start = path[0] == '/' ? AT_FDCWD : start_fd(tid, tgid, dirfd, path);
	if (start < 0 && start != AT_FDCWD)
		return start;
	snprintf(cur, sizeof(cur), "%s", path);

	/*
	 * The walk from where it starts is the task's: its credentials say
	 * which directories it may search (through procfs too: slow_walk).
	 */
	rc = tracer_as_task(tid);
	while (rc == 0) {
		rc = fast_walk(&start, cur, flags, p, &links, next,
			       sizeof(next));
		if (rc != 2)
			break;
		/* A symlink in the last component: go on from its target. */
		if (start >= 0)
			close(start);
		if (next[0] == '/') {
			start = AT_FDCWD;
			close(p->parent);
		} else {
			start = p->parent;
		}
		p->parent = -1;
		snprintf(cur, sizeof(cur), "%s", next);
		rc = 0;
	}
	tracer_as_self();
	if (rc == 1) {
		tracer_path_release(p);
		p->parent = -1;
		rc = slow_walk(tid, tgid,
			       dirfd == AT_FDCWD || path[0] == '/' ? AT_FDCWD
								   : dirfd,
			       path, flags, p);
	}
	if (start >= 0)
		close(start);
	if (rc < 0)
		tracer_path_release(p);
	return rc;
}

/*
 * openat2(2) with RESOLVE_* flags: the directory part is resolved by the
 * kernel under the same flags (plus no magic links), from the tracee's
 * dirfd even for an absolute path under RESOLVE_IN_ROOT.  A symlink in
 * the last component is refused rather than followed outside the kernel's
 * constraint: TODO(#3) follow it within the root.
 */
int tracer_path_resolve_how(pid_t tid, pid_t tgid, int dirfd, const char *path,
			    int flags, uint64_t resolve, struct tracer_path *p)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = resolve | RESOLVE_NO_MAGICLINKS,
	};
	char dir[4096], canon[4096];
	struct stat st;
	int start, err;

	path_init(p);
	if (path[0] == '\0')
		return -ENOENT;
	start = start_fd(tid, tgid, dirfd,
			 resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT) ? "."
								       : path);
	if (start < 0)
		return start;
	err = split(path, dir, sizeof(dir), p->name, sizeof(p->name));
	if (!err)
		err = tracer_as_task(tid);
	if (!err) {
		p->parent = sys_openat2(start, dir, &how);
		err = p->parent < 0 ? -errno
				    : dir_name(p->parent, canon, sizeof(canon));
	}
	close(start);
	if (!err && (in_procfs(canon) || !strcmp(p->name, "..")))
		err = -ELOOP;
	if (!err && fstatat(p->parent, p->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		err = errno == ENOENT ? 1 : -errno;
	tracer_as_self();
	if (err < 0)
		goto fail;

	join(p->path, sizeof(p->path), canon, p->name);
	if (err)
		return 0; /* the last component does not exist */
	p->exists = true;
	p->mode = st.st_mode;
	p->uid = st.st_uid;
	if (S_ISLNK(st.st_mode) && flags & TRACER_PATH_FOLLOW) {
		err = -ELOOP;
		goto fail;
	}
	return 0;
fail:
	tracer_path_release(p);
	return err;
}

void tracer_path_release(struct tracer_path *p)
{
	if (p->parent >= 0)
		close(p->parent);
	if (p->magic >= 0)
		close(p->magic);
	p->parent = -1;
	p->magic = -1;
}

pid_t tracer_path_proc_pid(const char *path)
{
	char *end;
	long pid;

	if (strncmp(path, "/proc/", 6) || path[6] < '1' || path[6] > '9')
		return 0;
	pid = strtol(path + 6, &end, 10);
	return *end == '/' || *end == '\0' ? (pid_t)pid : 0;
}

/* ---- the slow walk ------------------------------------------------------ */

static bool is_proc_root(int fd)
{
	struct statfs sf;
	struct stat st;

	return fstatfs(fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC &&
	       fstat(fd, &st) == 0 && st.st_ino == 1;
}

static bool is_procfs(int fd)
{
	struct statfs sf;

	return fstatfs(fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
}

/*
 * Pops the first component of *rest into comp: 1, or 0 when none is
 * left, or -ENAMETOOLONG for one longer than comp holds (NAME_MAX), as
 * the kernel says of it.
 */
static int next_comp(char **rest, char *comp, size_t size)
{
	char *s = *rest, *e;

	while (*s == '/')
		s++;
	if (*s == '\0')
		return 0;
	e = strchrnul(s, '/');
	if ((size_t)(e - s) >= size)
		return -ENAMETOOLONG;
	snprintf(comp, size, "%.*s", (int)(e - s), s);
	*rest = e;
	return 1;
}

static bool only_slashes(const char *s)
{
	while (*s == '/')
		s++;
	return *s == '\0';
}

/* The object behind a magic link is what the link's text names. */
static int take_magic(int cur, const char *comp, struct tracer_path *p)
{
	const char *del = " (deleted)";
	struct stat st;
	size_t len;
	int err;

	/*
	 * Hold the object first, then name it from our own descriptor: the
	 * tracee's descriptor may be swapped meanwhile (class 5).
	 */
	p->magic = openat(cur, comp, O_PATH | O_CLOEXEC);
	if (p->magic < 0)
		return -errno;
	err = fd_name(p->magic, p->path, sizeof(p->path));
	if (err)
		return err;
	p->exists = true;
	p->is_proc_object = p->path[0] != '/';
	if (fstat(p->magic, &st) == 0) {
		p->mode = st.st_mode;
		p->uid = st.st_uid;
	}

	/* A deleted file is judged by the name it had. */
	len = strlen(p->path);
	if (len > strlen(del) && !strcmp(p->path + len - strlen(del), del))
		p->path[len - strlen(del)] = '\0';
	return 0;
}

/*
 * The object's mount and inode, as fdinfo names a descriptor's: an
 * inode number alone may be another file system's (tmpfs counts them
 * out one by one, so a program can make the number it wants).
 */
static bool object_id(int fd, unsigned long long *mnt, unsigned long long *ino)
{
	struct statx sx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_INO | STATX_MNT_ID, &sx) < 0 ||
	    !(sx.stx_mask & STATX_MNT_ID))
		return false;
	*mnt = sx.stx_mnt_id;
	*ino = sx.stx_ino;
	return true;
}

long tracer_path_reopen_flags(const struct tracer_path *p)
{
	unsigned long long flags = 0, ino = 0, mnt = 0, want_ino, want_mnt;
	int seen = 0;
	char name[300], buf[1024], *line;
	ssize_t n;
	int fd;

	if (p->magic < 0 || p->parent < 0 ||
	    !object_id(p->magic, &want_mnt, &want_ino))
		return -1;
	snprintf(name, sizeof(name), "../fdinfo/%s", p->name);
	fd = openat(p->parent, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	for (line = buf; line; line = strchr(line, '\n')) {
		line += *line == '\n';
		if (sscanf(line, "flags: %llo", &flags) == 1)
			seen |= 1;
		else if (sscanf(line, "mnt_id: %llu", &mnt) == 1)
			seen |= 2;
		else if (sscanf(line, "ino: %llu", &ino) == 1)
			seen |= 4;
	}
	if (seen != 7 || mnt != want_mnt || ino != want_ino)
		return -1;
	return (long)flags;
}

/* Remembers /proc/PID on the way: the object behind it is that PID's. */
static void note_proc_pid(int cur, const char *comp, struct tracer_path *p)
{
	if (comp[0] >= '1' && comp[0] <= '9' &&
	    strspn(comp, "0123456789") == strlen(comp) && is_proc_root(cur))
		p->via_pid = atoi(comp);
}

/*
 * A magic link followed to a directory of procfs (a cwd or descriptor
 * there): what lies beneath is the process's whose /proc that is, or
 * nobody's (/proc/sys).  Elsewhere the link's holder stays the one.
 */
static void landed(int cur, struct tracer_path *p)
{
	char name[4096];

	if (!is_procfs(cur))
		return;
	p->via_pid = fd_name(cur, name, sizeof(name)) < 0
			     ? 0
			     : tracer_path_proc_pid(name);
}

/* Replaces "self" and "thread-self" directly under /proc. */
static void translate_self(int cur, char *comp, size_t size, char *rest,
			   size_t rsize, pid_t tid, pid_t tgid)
{
	char tail[4096];

	if (strcmp(comp, "self") && strcmp(comp, "thread-self"))
		return;
	if (!is_proc_root(cur))
		return;
	if (strcmp(comp, "self") == 0) {
		snprintf(comp, size, "%d", tgid);
		return;
	}
	snprintf(tail, sizeof(tail), "/task/%d%s", tid, rest);
	snprintf(comp, size, "%d", tgid);
	snprintf(rest, rsize, "%s", tail);
}

/*
 * Whose credentials look up the next component from cur: the task's
 * (cred.c), but within its own /proc/PID, which the kernel opens to a
 * process whatever its ids (its fd directory, after a change of uid left
 * it root's), and which proctor reaches only through that PID.  *as_task
 * says which the thread holds; 0 or -errno.
 */
static int walk_as(pid_t tid, pid_t tgid, int cur, const struct tracer_path *p,
		   bool *as_task)
{
	bool want = !(p->via_pid == tgid && is_procfs(cur));
	int err;

	if (want == *as_task)
		return 0;
	if (want && (err = tracer_as_task(tid)) < 0)
		return err;
	if (!want)
		tracer_as_self();
	*as_task = want;
	return 0;
}

static int walk_components(pid_t tid, pid_t tgid, int dirfd, const char *path,
			   int flags, struct tracer_path *p, bool *as_task)
{
	char buf[4096], comp[256], canon[4096];
	char *rest = buf;
	int cur, links = 0, err = 0;
	struct stat st;

	cur = start_fd(tid, tgid, dirfd, path);
	if (cur < 0)
		return cur;
	/* a cwd or dirfd in another's /proc/PID starts there as a link would */
	landed(cur, p);
	snprintf(buf, sizeof(buf), "%s", path);
	snprintf(comp, sizeof(comp), ".");

	while ((err = next_comp(&rest, comp, sizeof(comp))) > 0) {
		bool last = only_slashes(rest);
		bool follow = !last || flags & TRACER_PATH_FOLLOW || *rest;
		char tmp[4096];
		int fd;

		memmove(buf, rest, strlen(rest) + 1);
		rest = buf;
		translate_self(cur, comp, sizeof(comp), buf, sizeof(buf), tid,
			       tgid);
		note_proc_pid(cur, comp, p);
		if (strcmp(comp, ".") == 0 && !last)
			continue;
		err = walk_as(tid, tgid, cur, p, as_task);
		if (err)
			break;

		if (fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			err = -errno;
			if (err == -ENOENT && last) {
				err = 0;
				p->exists = false;
			}
			break;
		}
		if (S_ISLNK(st.st_mode) && follow) {
			if (++links > PATH_MAX_LINKS) {
				err = -ELOOP;
				break;
			}
			if (is_procfs(cur) && !is_proc_root(cur)) {
				if (last) {
					err = take_magic(cur, comp, p);
					goto out;
				}
				fd = openat(cur, comp,
					    O_PATH | O_DIRECTORY | O_CLOEXEC);
				if (fd < 0) {
					err = -errno;
					break;
				}
				close(cur);
				cur = fd;
				landed(cur, p);
				continue;
			}
			/* An ordinary link: splice its text into the rest. */
			ssize_t n = readlinkat(cur, comp, tmp, sizeof(tmp) - 1);
			if (n < 0) {
				err = -errno;
				break;
			}
			tmp[n] = '\0';
			if (strlen(tmp) + strlen(buf) + 2 > sizeof(buf)) {
				err = -ENAMETOOLONG;
				break;
			}
			snprintf(canon, sizeof(canon), "%s/%s", tmp, buf);
			snprintf(buf, sizeof(buf), "%s", canon);
			if (tmp[0] == '/') {
				close(cur);
				cur = open("/", O_PATH | O_CLOEXEC);
			}
			continue;
		}
		if (last) {
			p->exists = true;
			p->mode = st.st_mode;
			p->uid = st.st_uid;
			break;
		}
		fd = openat(cur, comp,
			    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			err = -errno;
			break;
		}
		close(cur);
		cur = fd;
	}
	if (err)
		goto out;

	/* comp is the last component, or "." when the path named a dir. */
	if (strcmp(comp, "..") == 0) {
		int up = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);

		if (up < 0) {
			err = -errno;
			goto out;
		}
		close(cur);
		cur = up;
		snprintf(comp, sizeof(comp), ".");
	}
	err = dir_name(cur, canon, sizeof(canon));
	if (err)
		goto out;
	snprintf(p->name, sizeof(p->name), "%s", comp);
	join(p->path, sizeof(p->path), canon, comp);
	p->parent = cur;
	return 0;
out:
	if (err == 0 && p->magic >= 0) {
		p->parent = cur;
		snprintf(p->name, sizeof(p->name), "%s", comp);
		return 0;
	}
	close(cur);
	return err;
}

/* The walk of a path through procfs, one component at a time. */
static int slow_walk(pid_t tid, pid_t tgid, int dirfd, const char *path,
		     int flags, struct tracer_path *p)
{
	bool as_task = false;
	int err = walk_components(tid, tgid, dirfd, path, flags, p, &as_task);

	if (as_task)
		tracer_as_self();
	return err;
}
