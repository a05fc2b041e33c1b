/* SPDX-License-Identifier: MIT */
/*
 * Landlock as the kernel floor under the supervisor (landlock(7)).  The
 * largest set of writes the policy could ever grant (rules_write_roots)
 * becomes a ruleset enforced on the tracee before it execs CMD and on
 * each worker thread that carries out calls for it: a bug in the
 * supervisor cannot grant a write outside the floor.  Only write rights
 * are handled, since reads are governed by a deny list that Landlock's
 * allow list cannot express.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
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

static void add_root(const char *root, void *arg)
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
	add_root("/dev/pts", &f);
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

/* Applies to the calling thread and what it starts from now on. */
int tracer_landlock_enforce(int ruleset)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
		return -errno;
	return 0;
}
