/* SPDX-License-Identifier: MIT */
/*
 * Landlock as the kernel floor under the supervisor (landlock(7)).  The
 * largest set of writes the policy could ever grant (rules_write_roots)
 * becomes a ruleset enforced on the tracee before it execs CMD and on
 * each worker thread that carries out calls for it: a bug in the
 * supervisor cannot grant a write outside the floor.
 *
 * Reads can live in the kernel too (tracer_landlock_reads): Landlock
 * grants, it does not deny, so a read rule that denies (~/.ssh) becomes
 * grants on everything around it, found by listing the directories
 * above it.  The filter then answers read-only opens in the kernel.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tracer/tracer.h"

#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#endif
#define LL_FS_TRUNCATE	       (1ULL << 14) /* ABI 3 */
#define LL_SCOPE_ABSTRACT_UNIX (1ULL << 0)  /* ABI 6 */
#define LL_SCOPE_SIGNAL	       (1ULL << 1)  /* ABI 6 */

/* struct landlock_ruleset_attr as of ABI 6; older kernels take less. */
struct ll_attr {
	uint64_t handled_fs;
	uint64_t handled_net;
	uint64_t scoped;
};

#define LL_FILE_RIGHTS (LANDLOCK_ACCESS_FS_WRITE_FILE | LL_FS_TRUNCATE)
#define LL_DIR_RIGHTS                                                     \
	(LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE | \
	 LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |     \
	 LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |     \
	 LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |   \
	 LANDLOCK_ACCESS_FS_MAKE_SYM | LANDLOCK_ACCESS_FS_REFER)

struct floor {
	int ruleset;
	uint64_t handled;
	int err;
};

int tracer_landlock_abi(void)
{
	int abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
			  LANDLOCK_CREATE_RULESET_VERSION);

	return abi < 0 ? 0 : abi;
}

/*
 * A root that does not exist yet is covered by its nearest existing
 * ancestor: wider, never narrower.
 */
static int open_root(const char *root)
{
	char buf[4096], *slash;
	int fd;

	snprintf(buf, sizeof(buf), "%s", root);
	for (;;) {
		fd = open(buf, O_PATH | O_CLOEXEC);
		if (fd >= 0 || errno != ENOENT)
			return fd;
		slash = strrchr(buf, '/');
		if (!slash || slash == buf)
			return open("/", O_PATH | O_CLOEXEC);
		*slash = '\0';
	}
}

/*
 * A write to a path may remove it (unlink, rmdir, rename away, also to
 * another directory: the policy judges them as writes to that path), and
 * Landlock asks that of the directory holding it: the parent of each path
 * the policy names exactly (rules_remove_roots) gets the rights to remove
 * and to move names out, which the supervisor still judges name by name.
 */
static void add_parent(const char *root, void *arg)
{
	struct floor *f = arg;
	struct landlock_path_beneath_attr pb;
	char buf[4096], *slash;
	struct stat st;
	int fd;

	/* a file or a directory, not a device or a link (/dev/stdout) */
	if (lstat(root, &st) < 0 ||
	    !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
		return;
	snprintf(buf, sizeof(buf), "%s", root);
	slash = strrchr(buf, '/');
	if (!slash || !slash[1])
		return; /* "/" has no parent */
	if (slash == buf)
		slash++;
	*slash = '\0';
	fd = open(buf, O_PATH | O_CLOEXEC | O_DIRECTORY);
	if (fd < 0)
		return;
	pb.parent_fd = fd;
	/* REFER: a rename to another directory takes the name away too */
	pb.allowed_access =
		(LANDLOCK_ACCESS_FS_REMOVE_FILE |
		 LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REFER) &
		f->handled;
	if (syscall(SYS_landlock_add_rule, f->ruleset,
		    LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0 &&
	    !f->err)
		f->err = -errno;
	close(fd);
}

/*
 * A create entry (the shared /tmp) makes no symlink, FIFO or socket
 * (tracer_judge_kind): the floor holds that too, against a name swapped
 * between the supervisor's check and the call it carries out (a bind
 * with the program's own path, a link or rename of a name the program
 * replaces meanwhile).  An allow entry beneath (TMPDIR) adds its own
 * rule, and Landlock grants what any rule above a path grants.  A
 * directory the run made there then moves to where links may be made
 * with EXDEV, as across filesystems (mv copies).
 */
#define LL_CREATE_NOT                                                 \
	(LANDLOCK_ACCESS_FS_MAKE_SYM | LANDLOCK_ACCESS_FS_MAKE_FIFO | \
	 LANDLOCK_ACCESS_FS_MAKE_SOCK)

static void add_root(const char *root, bool create, void *arg)
{
	struct floor *f = arg;
	struct landlock_path_beneath_attr pb;
	struct stat st;
	int fd = open_root(root);

	if (fd < 0)
		return; /* unreadable: nothing can be written there either */
	/*
	 * /dev/stdout may be a pipe or a socket: Landlock does not govern
	 * those (they have no place in a filesystem), so no rule is needed.
	 */
	if (fstat(fd, &st) < 0 || S_ISFIFO(st.st_mode) ||
	    S_ISSOCK(st.st_mode)) {
		close(fd);
		return;
	}
	pb.parent_fd = fd;
	pb.allowed_access = LL_FILE_RIGHTS | LL_DIR_RIGHTS;
	if (!S_ISDIR(st.st_mode))
		pb.allowed_access = LL_FILE_RIGHTS;
	else if (create)
		pb.allowed_access &= ~(uint64_t)LL_CREATE_NOT;
	pb.allowed_access &= f->handled;
	if (syscall(SYS_landlock_add_rule, f->ruleset,
		    LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0 &&
	    !f->err)
		f->err = -errno;
	close(fd);
}

int tracer_landlock_ruleset(const struct rules_policy *p, bool scopes)
{
	struct ll_attr attr = { 0 };
	struct floor f = { .ruleset = -1 };
	size_t size = sizeof(uint64_t);
	int abi = tracer_landlock_abi();

	if (abi < 1)
		return -EOPNOTSUPP;
	f.handled = LANDLOCK_ACCESS_FS_WRITE_FILE | LL_DIR_RIGHTS;
	if (abi < 2)
		f.handled &= ~LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		f.handled |= LL_FS_TRUNCATE;
	attr.handled_fs = f.handled;
	if (scopes && abi >= 6) {
		attr.scoped = LL_SCOPE_SIGNAL | LL_SCOPE_ABSTRACT_UNIX;
		size = sizeof(attr);
	}

	f.ruleset = syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (f.ruleset < 0)
		return -errno;
	/*
	 * Terminals of the run are judged by proctor (pts.c), which Landlock
	 * cannot tell apart; openpty(3) opens the slave through its master
	 * (TIOCGPTPEER), where only the floor is asked.
	 */
	add_root("/dev/pts", false, &f);
	if (rules_write_roots(p, add_root, &f) == 1) {
		close(f.ruleset);
		return -ERANGE; /* writes are unbounded: no floor */
	}
	rules_remove_roots(p, add_parent, &f);
	if (f.err) {
		close(f.ruleset);
		return f.err;
	}
	return f.ruleset;
}

/*
 * The signal and abstract-socket scopes alone, for a run without a write
 * floor (--ask, writes unbounded): they hold whatever the policy grants,
 * and close the ways of signalling that proctor does not see (a
 * terminal's O_ASYNC signals its foreground group, whichever it is).
 * Returns the ruleset, or -errno (-EOPNOTSUPP before ABI 6).
 */
int tracer_landlock_scopes(void)
{
	struct ll_attr attr = {
		.scoped = LL_SCOPE_SIGNAL | LL_SCOPE_ABSTRACT_UNIX,
	};
	int fd;

	if (tracer_landlock_abi() < 6)
		return -EOPNOTSUPP;
	fd = syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	return fd < 0 ? -errno : fd;
}

/* Applies to the calling thread and what it starts from now on. */
int tracer_landlock_enforce(int ruleset)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
		return -errno;
	return 0;
}

/* --- reads ---------------------------------------------------------------- */

/*
 * A read rule named by a literal path P splits the tree: the directories
 * above P hold both what the rules allow and what they deny, so they are
 * listed and each entry judged by the policy itself (rules_check_path);
 * a directory with no rule beneath it is one grant, since every file
 * under it gets the same verdict.  What appears later in a listed
 * directory has no grant: reads there are refused by the kernel.  So
 * the run must not be able to make names in a listed directory (else
 * its own new files would be unreadable), and that is checked against
 * the write floor.  Terminals are listed too: only the run's own get a
 * grant, like the judge in tracer/open.c.
 */

#define READS_RULES_MAX 4096

struct strv {
	char **v;
	size_t n;
};

/* A mount: its id, device, the path of its root within the device. */
struct mnt {
	int id;
	unsigned major, minor;
	char *root, *point;
};

struct reads {
	const struct rules_policy *p;
	int ruleset;
	struct strv points; /* paths the read entries name */
	struct strv itself; /* those naming a directory's entries only */
	struct strv roots;  /* where the run may make names */
	struct strv pts;    /* devpts mounts */
	struct mnt *mnts;   /* /proc/self/mountinfo */
	size_t nmnts;
	size_t nrules;
	const char *why;
	int err;
};

static void strv_push(struct strv *s, const char *str, int *err)
{
	char **v = realloc(s->v, (s->n + 1) * sizeof(*v));

	if (!v || !(v[s->n] = strdup(str))) {
		if (v)
			s->v = v;
		*err = -ENOMEM;
		return;
	}
	s->v = v;
	s->n++;
}

static void strv_free(struct strv *s)
{
	while (s->n)
		free(s->v[--s->n]);
	free(s->v);
	s->v = NULL;
}

/* path lies strictly beneath dir */
static bool beneath(const char *dir, const char *path)
{
	size_t n = strlen(dir);

	if (!strcmp(dir, "/"))
		return path[0] == '/' && path[1] != '\0';
	return !strncmp(path, dir, n) && path[n] == '/';
}

static bool strv_has(const struct strv *s, const char *str)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], str))
			return true;
	return false;
}

static bool strv_beneath(const struct strv *s, const char *dir)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (beneath(dir, s->v[i]))
			return true;
	return false;
}

/* path is one of s, or beneath one */
static bool strv_under(const struct strv *s, const char *path)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], path) || beneath(s->v[i], path))
			return true;
	return false;
}

/*
 * A denied regular file of root's that the user cannot read anyway (the
 * password hashes, for anyone but root) needs no room of its own in the
 * floor: the kernel's permissions refuse it already, only root can change
 * them, and the walk would grant each of its siblings one by one (in
 * /etc, a hundred and more: 1.5 ms a start).  Never a directory: one the
 * user may search but not list still opens its files by name.
 */
static bool denied_anyway(const struct reads *r, const char *path)
{
	struct rules_verdict v;
	struct stat st;

	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 ||
	    access(path, R_OK) == 0 || errno != EACCES)
		return false;
	rules_check_path(r->p, RULES_READ, path, &v);
	return v.action != RULES_ALLOW;
}

static void add_point(const char *path, bool itself, void *arg)
{
	struct reads *r = arg;

	if (denied_anyway(r, path))
		return;
	strv_push(itself ? &r->itself : &r->points, path, &r->err);
}

/* Where the write floor lets the run make names (see open_root). */
static void add_write_root(const char *root, bool create, void *arg)
{
	struct reads *r = arg;
	char link[64], real[PATH_MAX];
	int fd = open_root(root);

	(void)create;
	if (fd < 0)
		return;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if (realpath(link, real))
		strv_push(&r->roots, real, &r->err);
	close(fd);
}

/* Mount points in /proc/self/mountinfo are octal-escaped (\040). */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++, o++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] &&
		    s[3]) {
			*o = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
				    (s[3] - '0'));
			s += 3;
		} else {
			*o = *s;
		}
	}
	*o = '\0';
}

static void add_mnt(struct reads *r, int id, unsigned major, unsigned minor,
		    const char *root, const char *point)
{
	struct mnt *v = realloc(r->mnts, (r->nmnts + 1) * sizeof(*v));

	if (!v) {
		r->err = -ENOMEM;
		return;
	}
	r->mnts = v;
	v[r->nmnts] =
		(struct mnt){ id, major, minor, strdup(root), strdup(point) };
	if (!v[r->nmnts].root || !v[r->nmnts].point)
		r->err = -ENOMEM;
	r->nmnts++;
}

/*
 * The mounts, and among them every devpts mount: /dev/pts, and any bind
 * of it in a chroot.
 */
static void read_mounts(struct reads *r)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[8192], *sep, root[4096], point[4096];
	unsigned major, minor;
	int id;

	while (f && fgets(line, sizeof(line), f)) {
		sep = strstr(line, " - ");
		if (!sep || sscanf(line, "%d %*d %u:%u %4095s %4095s", &id,
				   &major, &minor, root, point) != 5)
			continue;
		unescape(root);
		unescape(point);
		add_mnt(r, id, major, minor, root, point);
		if (!strncmp(sep + 3, "devpts ", 7))
			strv_push(&r->pts, point, &r->err);
	}
	if (f)
		fclose(f);
}

/* The mount path lies on: the last one with the longest mount point. */
static const struct mnt *mount_of(const struct reads *r, const char *path)
{
	const struct mnt *best = NULL;
	size_t i, n, bn = 0;

	for (i = 0; i < r->nmnts; i++) {
		n = strlen(r->mnts[i].point);
		if ((!strcmp(r->mnts[i].point, path) ||
		     beneath(r->mnts[i].point, path)) &&
		    (!best || n >= bn)) {
			best = &r->mnts[i];
			bn = n;
		}
	}
	return best;
}

/*
 * A rule's path through a bind of a subtree (a home that is a bind of a
 * directory elsewhere, a ~/.config that is a bind of ~'s parent): the
 * listing around the rule may meet its objects under their other names.
 */
static bool crosses_bind(const struct reads *r)
{
	size_t i, j;

	for (i = 0; i < r->points.n + r->itself.n; i++) {
		const char *p = i < r->points.n ? r->points.v[i]
						: r->itself.v[i - r->points.n];

		for (j = 0; j < r->nmnts; j++)
			if (strcmp(r->mnts[j].root, "/") &&
			    (!strcmp(r->mnts[j].point, p) ||
			     beneath(r->mnts[j].point, p)))
				return true;
	}
	return false;
}

/* a and b are the same path, or one lies beneath the other */
static bool related(const char *a, const char *b)
{
	return !strcmp(a, b) || beneath(a, b) || beneath(b, a);
}

/*
 * Landlock's grants belong to the object, not to its name: a grant on a
 * second name of something above a read rule, or of what a rule denies,
 * would grant it under its first name too.  Directories have one name
 * but for mounts (a bind of ~ beside it); files may have hard links.
 * fd is what path names, about to be granted.
 */
static bool aliases(const struct reads *r, int fd, const char *path,
		    const struct stat *st)
{
	struct statx sx;
	const struct mnt *m = NULL, *pm;
	char within[PATH_MAX];
	size_t i;

	if (!S_ISDIR(st->st_mode) && st->st_nlink > 1)
		return true;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx) < 0 ||
	    !(sx.stx_mask & STATX_MNT_ID))
		return true; /* cannot tell: assume the worst */
	for (i = 0; i < r->nmnts && !m; i++)
		if ((uint64_t)r->mnts[i].id == sx.stx_mnt_id)
			m = &r->mnts[i];
	if (!m || strcmp(m->point, path))
		return !m; /* not a mount's root: its only name */
	/* a mount's root: compare it with every rule's place */
	for (i = 0; i < r->points.n + r->itself.n; i++) {
		const char *p = i < r->points.n ? r->points.v[i]
						: r->itself.v[i - r->points.n];

		pm = mount_of(r, p);
		if (!pm || pm->major != m->major || pm->minor != m->minor)
			continue;
		snprintf(within, sizeof(within), "%s%s",
			 strcmp(pm->root, "/") ? pm->root : "",
			 p + (strcmp(pm->point, "/") ? strlen(pm->point) : 0));
		if (related(within[0] ? within : "/", m->root))
			return true;
	}
	return false;
}

static void grant(struct reads *r, int fd)
{
	struct landlock_path_beneath_attr pb = {
		.allowed_access = LANDLOCK_ACCESS_FS_READ_FILE,
		.parent_fd = fd,
	};

	if (++r->nrules > READS_RULES_MAX) {
		r->why = "too many names around the read rules";
		return;
	}
	if (syscall(SYS_landlock_add_rule, r->ruleset,
		    LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0 &&
	    !r->err)
		r->err = -errno;
}

static bool allows(struct reads *r, const char *path, bool named)
{
	struct rules_verdict v;

	rules_check_path(r->p, RULES_READ, path, &v);
	return v.action == RULES_ALLOW && (!named || !v.is_default);
}

static void walk(struct reads *r, const char *dir);

/*
 * procfs and sysfs make entries for processes and devices as they come:
 * the run's own processes would have no grant in a listed /proc.
 */
static bool pseudo_fs(const char *dir)
{
	struct statfs sf;

	return statfs(dir, &sf) == 0 &&
	       (sf.f_type == PROC_SUPER_MAGIC || sf.f_type == SYSFS_MAGIC);
}

/*
 * A name in a listed directory.  A symbolic link gets no grant: what it
 * names is judged where that lies, as the supervisor judges the
 * resolved path.
 */
static void judge_entry(struct reads *r, int dirfd, const char *dir,
			const char *name, bool pts)
{
	char path[PATH_MAX];
	struct stat st;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s",
			     strcmp(dir, "/") ? dir : "", name) >= sizeof(path))
		return;
	fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0 || S_ISLNK(st.st_mode)) {
		close(fd);
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		walk(r, path);
		return;
	}
	/*
	 * another window's terminal takes an entry that names it, and so
	 * does a disk (its blocks hold every file, secrets included)
	 */
	if (pts && tracer_pts_is_slave(&st)
		    ? tracer_pts_own(&st) || allows(r, path, true)
	    : tracer_pts_is_console(&st)
		    ? tracer_pts_own(&st) || allows(r, path, true)
	    : S_ISBLK(st.st_mode) ? allows(r, path, true)
				  : allows(r, path, false)) {
		if (aliases(r, fd, path, &st))
			r->why = "a file beside a read rule has another name "
				 "(a hard link or a mount)";
		else
			grant(r, fd);
	}
	close(fd);
}

static void walk(struct reads *r, const char *dir)
{
	bool pts = strv_has(&r->pts, dir);
	char probe[PATH_MAX];
	struct dirent *d;
	DIR *dp;

	if (!pts && !strv_beneath(&r->points, dir) &&
	    !strv_has(&r->itself, dir) && !strv_beneath(&r->pts, dir)) {
		/* all beneath gets one verdict: ask it of a name no rule has */
		snprintf(probe, sizeof(probe), "%s/%s",
			 strcmp(dir, "/") ? dir : "", "\x01");
		if (allows(r, probe, false)) {
			int fd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW |
						   O_CLOEXEC);
			struct stat st;

			if (fd >= 0 && fstat(fd, &st) == 0 &&
			    aliases(r, fd, dir, &st))
				r->why = "a directory beside a read rule is a "
					 "mount of what the rule protects or "
					 "holds";
			else if (fd >= 0)
				grant(r, fd);
			if (fd >= 0)
				close(fd);
		}
		return;
	}
	if (strv_under(&r->roots, dir)) {
		/* one start's: kept for the run's kernel record */
		static char why[PATH_MAX + 100];

		snprintf(why, sizeof(why),
			 "a read rule names a path in %s, a directory the run "
			 "may write to",
			 dir);
		r->why = why;
		return;
	}
	if (pseudo_fs(dir)) {
		r->why = "a read rule names a path in /proc or /sys, whose "
			 "entries come and go";
		return;
	}
	dp = opendir(dir);
	if (!dp)
		return; /* unreadable: nothing beneath can be read either */
	while (!r->why && !r->err && (d = readdir(dp)) != NULL)
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
			judge_entry(r, dirfd(dp), dir, d->d_name, pts);
	closedir(dp);
}

/*
 * The read rules as a Landlock ruleset, for the tracee alone (the
 * supervisor reads what it judges).  Returns it, or -errno with *why
 * saying why reads stay with the supervisor.
 */
int tracer_landlock_reads(const struct rules_policy *p, const char **why)
{
	struct landlock_ruleset_attr attr = {
		.handled_access_fs = LANDLOCK_ACCESS_FS_READ_FILE,
	};
	struct reads r = { .p = p, .ruleset = -1 };
	int rc;

	*why = rules_reads_static(p);
	if (*why)
		return -EOPNOTSUPP;
	if (tracer_landlock_abi() < 1) {
		*why = "the kernel lacks Landlock";
		return -EOPNOTSUPP;
	}
	if (rules_write_roots(p, add_write_root, &r) == 1) {
		*why = "writes are unbounded";
		return -EOPNOTSUPP;
	}
	rules_read_points(p, add_point, &r);
	read_mounts(&r);
	if (!r.err && crosses_bind(&r))
		r.why = "a read rule's path crosses a bind mount (another name "
			"for what it protects may be listed)";
	r.ruleset =
		syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (r.ruleset < 0)
		r.err = -errno;
	if (!r.err)
		walk(&r, "/");
	rc = r.err ? r.err : r.why ? -EOPNOTSUPP : r.ruleset;
	if (rc < 0) {
		*why = r.why ? r.why : strerror(-r.err);
		if (r.ruleset >= 0)
			close(r.ruleset);
	}
	strv_free(&r.points);
	strv_free(&r.itself);
	strv_free(&r.roots);
	strv_free(&r.pts);
	while (r.nmnts--) {
		free(r.mnts[r.nmnts].root);
		free(r.mnts[r.nmnts].point);
	}
	free(r.mnts);
	return rc;
}
