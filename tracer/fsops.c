/* SPDX-License-Identifier: MIT */
/*
 * Calls that change a directory: mkdir, unlink, rmdir, rename.  Each is
 * judged as a write of every name it touches (both ends of a rename) and
 * carried out here on the supervisor's resolution (THREATS.md 6).
 * The calls that change one file's content or metadata are in fsmeta.c.
 */
#include <dirent.h>
#include <errno.h>
#include <linux/capability.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tracer/tracer.h"

/* Copies the path at addr and resolves it without following the end. */
static int resolve_arg(struct tracer_req *r, int dirfd, uint64_t addr,
		       struct tracer_path *p)
{
	char path[4096];
	int err = tracer_mem_string(r->tid, addr, path, sizeof(path));

	if (err)
		return err;
	return tracer_path_resolve(r->tid, r->tgid, dirfd, path, 0, p);
}

#define MOVE_DIRS_MAX 4096 /* directories looked at under a moved one */

/*
 * Whether a directory at from, moved where only the create entry that
 * allows v lets the run write, comes from under that entry too: one
 * from elsewhere may hold links, FIFOs or sockets that could not be made
 * there (tracer_judge_kind), and a walk of it would race the run.
 */
static bool moved_within(const struct tracer_req *r, const char *from,
			 const struct rules_verdict *v)
{
	struct rules_verdict was;

	rules_check_path(r->sup->o->policy, RULES_WRITE, from, &was);
	return was.action == RULES_CREATE && !strcmp(was.where, v->where);
}

/*
 * moved: what a rename or link puts at p, or NULL; a directory from
 * outside the create entry that alone allows p counts as a link made
 * there (see moved_within).
 */
static bool judge_write(struct tracer_req *r, const struct tracer_path *p,
			const struct tracer_path *moved)
{
	mode_t kind = moved && moved->exists ? moved->mode & S_IFMT : 0;
	bool override, ok;

	ok = tracer_judge_change(r->sup, p, &r->verdict, &override);
	if (kind == S_IFDIR && ok && override &&
	    r->verdict.action == RULES_CREATE &&
	    !moved_within(r, moved->path, &r->verdict))
		kind = S_IFLNK;
	ok = tracer_judge_kind(ok, kind, &r->verdict, &override);
	r->ev.created_override = override;
	r->ev.preexisting = r->ev.preexisting || tracer_preexisting(r->sup, p);
	r->ev.is_dir = p->exists && S_ISDIR(p->mode);
	tracer_req_decide(r, RULES_WRITE, "path", p->path, ok);
	return ok;
}

/*
 * A directory moved by a rename (either side, with RENAME_EXCHANGE) takes
 * what lies beneath it along: proctor's own files and the run's policy
 * files are protected by their paths, which must keep naming them.
 */
static void verdict_proctor_move(struct rules_verdict *v)
{
	v->action = RULES_DENY;
	v->origin = "proctor";
	v->where = "moves";
	v->pattern = "a directory too large to check for protected paths "
		     "beneath it";
	v->is_default = false;
}

/*
 * dir holds a .git that is a file or a link (a linked worktree's, a
 * submodule's: "gitdir: PATH"), there before the run: moved away, it
 * could give way to one the run made, naming a repository of its own
 * whose config and hooks git would take (open.c, git_pointer).
 */
static bool holds_git_pointer(DIR *dp, struct rules_verdict *v)
{
	struct stat st;

	if (fstatat(dirfd(dp), ".git", &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    S_ISDIR(st.st_mode) || tracer_created_has(dirfd(dp), ".git"))
		return false;
	v->action = RULES_DENY;
	v->origin = "proctor";
	v->where = "git";
	v->pattern = "it holds a .git file or link that existed before the "
		     "run (a linked worktree's or a submodule's: moved "
		     "away, another could take its place)";
	v->is_default = false;
	return true;
}

/* Something that existed before the run, not a thing it made. */
static bool preexisting(const char *path, void *arg)
{
	struct stat st;

	(void)arg;
	return lstat(path, &st) == 0 && !tracer_created_has(AT_FDCWD, path);
}

/*
 * ... and so are the paths a deny or ask entry names beneath it, when
 * they existed before the run: a repository's .git moved away and a copy
 * the run made moved in would make its hooks and config the run's.
 */

static bool is_dir(DIR *dp, const struct dirent *d)
{
	struct stat st;

	if (d->d_type != DT_UNKNOWN)
		return d->d_type == DT_DIR;
	return fstatat(dirfd(dp), d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISDIR(st.st_mode);
}

/*
 * Whether dir, or a directory beneath it, holds what a deny or ask entry
 * names (a nested repository's .git/hooks, a submodule's config under
 * .git/modules): rules_denied_beneath asks right under each; or a .git
 * file or link that was there before the run.  More
 * directories than MOVE_DIRS_MAX count as holding something: the move is
 * refused rather than half checked.
 */
static bool holds_denied(const struct rules_policy *pol, const char *dir,
			 const char *to, int depth, int *budget,
			 struct rules_verdict *v)
{
	char sub[4096];
	struct dirent *d;
	bool found;
	DIR *dp;

	if (rules_denied_beneath(pol, dir, to, preexisting, NULL, v))
		return true;
	if (--*budget < 0 || depth > 32) {
		verdict_proctor_move(v);
		return true;
	}
	dp = opendir(dir);
	if (!dp)
		return false;
	found = holds_git_pointer(dp, v);
	while (!found && (d = readdir(dp)) != NULL) {
		if (!is_dir(dp, d) || !strcmp(d->d_name, ".") ||
		    !strcmp(d->d_name, ".."))
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", dir,
				     d->d_name) < sizeof(sub))
			found = holds_denied(pol, sub, to, depth + 1, budget,
					     v);
	}
	closedir(dp);
	return found;
}

/* p moves to the name to (a rename, or either side of an exchange). */
static bool moves_protected(struct tracer_req *r, const struct tracer_path *p,
			    const char *to)
{
	const struct rules_policy *pol = r->sup->o->policy;
	int budget = MOVE_DIRS_MAX;

	if (!p->exists || !S_ISDIR(p->mode) ||
	    (!rules_protected_beneath(pol, p->path, &r->verdict) &&
	     !holds_denied(pol, p->path, to, 0, &budget, &r->verdict)))
		return false;
	r->ev.holds_protected = true;
	tracer_req_decide(r, RULES_WRITE, "path", p->path, false);
	return true;
}

/*
 * Rename and link: both names are writes, the first refusal is the one
 * reported; an allowed call is logged with both names.
 */
static bool judge_both(struct tracer_req *r, const struct tracer_path *from,
		       const struct tracer_path *to, bool exchange)
{
	bool dir = from->exists && S_ISDIR(from->mode), ok;

	/* the new name of a directory names a directory too */
	if (!judge_write(r, from, exchange ? to : NULL)) {
		/* refused as the old name: the record says the new too */
		snprintf(r->object2, sizeof(r->object2), "%s", to->path);
		r->ev.object2 = r->object2;
		r->ev.is_dir = dir;
		return false;
	}
	ok = judge_write(r, to, from) && !moves_protected(r, from, to->path) &&
	     !moves_protected(r, to, from->path);
	r->ev.is_dir = dir;
	if (!ok)
		return false;
	r->ev.to_special = from->exists &&
			   (S_ISLNK(from->mode) || S_ISFIFO(from->mode) ||
			    S_ISSOCK(from->mode));
	snprintf(r->object, sizeof(r->object), "%s", from->path);
	snprintf(r->object2, sizeof(r->object2), "%s", to->path);
	r->ev.object2 = r->object2;
	return true;
}

void tracer_on_mkdir(struct tracer_req *r)
{
	bool at = !strcmp(r->name, "mkdirat");
	int dirfd = at ? (int)r->args[0] : AT_FDCWD;
	mode_t mode = r->args[at + 1] & 07777;
	struct tracer_path p;
	int err;

	err = resolve_arg(r, dirfd, r->args[at], &p);
	if (err) {
		r->err = -err;
		return;
	}
	/* as the kernel: an existing name is EEXIST, whoever may write */
	if (p.exists || p.magic >= 0) {
		r->err = EEXIST;
		goto out;
	}
	if (!tracer_req_valid(r) || !judge_write(r, &p, NULL)) {
		r->ev.is_dir = true;
		r->err = EACCES;
		goto out;
	}
	r->ev.is_dir = true; /* the name it makes */
	err = tracer_take_umask(r->tid);
	if (err < 0) {
		r->err = -err;
		goto out;
	}
	if ((err = tracer_as_task(r->tid)) < 0)
		r->err = -err;
	else if (mkdirat(p.parent, p.name, mode) < 0)
		r->err = errno;
	tracer_as_self();
	if (!r->err)
		tracer_created_add(p.parent, p.name);
out:
	tracer_path_release(&p);
}

void tracer_on_unlink(struct tracer_req *r)
{
	bool at = !strcmp(r->name, "unlinkat");
	int dirfd = at ? (int)r->args[0] : AT_FDCWD;
	int flags = at				? (int)r->args[2]
		    : !strcmp(r->name, "rmdir") ? AT_REMOVEDIR
						: 0;
	struct tracer_path p;
	struct stat st;
	bool had;
	int err;

	err = resolve_arg(r, dirfd, r->args[at], &p);
	if (err) {
		r->err = -err;
		return;
	}
	/* as the kernel: no name, nothing to remove, whoever may write
	 * (`rm -f` of a name not there exits 0) */
	if (!p.exists && p.magic < 0) {
		r->err = ENOENT;
		goto out;
	}
	if (!tracer_req_valid(r) || !judge_write(r, &p, NULL)) {
		r->err = EACCES;
		goto out;
	}
	had = p.magic < 0 &&
	      fstatat(p.parent, p.name, &st, AT_SYMLINK_NOFOLLOW) == 0;
	if (p.magic >= 0)
		r->err = EBUSY;
	else if ((err = tracer_as_task(r->tid)) < 0)
		r->err = -err;
	else if (unlinkat(p.parent, p.name, flags) < 0)
		r->err = errno;
	tracer_as_self();
	if (r->err)
		goto out;
	if (flags & AT_REMOVEDIR)
		tracer_ident_changed(); /* it may have been someone's cwd */
	/* Its inode number may come back for a file the run did not make. */
	if (had && st.st_nlink <= 1)
		tracer_created_remove(st.st_dev, st.st_ino);
out:
	tracer_path_release(&p);
}

void tracer_on_rename(struct tracer_req *r)
{
	bool plain = !strcmp(r->name, "rename");
	int olddir = plain ? AT_FDCWD : (int)r->args[0];
	int newdir = plain ? AT_FDCWD : (int)r->args[2];
	uint64_t oldp = plain ? r->args[0] : r->args[1];
	uint64_t newp = plain ? r->args[1] : r->args[3];
	unsigned flags = !strcmp(r->name, "renameat2") ? r->args[4] : 0;
	struct tracer_path from = { .parent = -1, .magic = -1 };
	struct tracer_path to = { .parent = -1, .magic = -1 };
	int err;

	err = resolve_arg(r, olddir, oldp, &from);
	if (!err)
		err = resolve_arg(r, newdir, newp, &to);
	if (err) {
		r->err = -err;
		goto out;
	}
	if (!tracer_req_valid(r))
		goto out;
	/* as the kernel: nothing to move (and RENAME_EXCHANGE, nothing
	 * to move back) */
	if ((!from.exists && from.magic < 0) ||
	    (flags & RENAME_EXCHANGE && !to.exists && to.magic < 0)) {
		r->err = ENOENT;
		goto out;
	}

	if (!judge_both(r, &from, &to, flags & RENAME_EXCHANGE)) {
		r->err = EACCES;
		goto out;
	}
	/* the whiteout left behind is a device: the kernel asks for this */
	if (flags & RENAME_WHITEOUT && !tracer_task_has_cap(r->tid, CAP_MKNOD))
		r->err = EPERM;
	else if (from.magic >= 0 || to.magic >= 0)
		r->err = EXDEV;
	else if ((err = tracer_as_task(r->tid)) < 0)
		r->err = -err;
	else if (renameat2(from.parent, from.name, to.parent, to.name, flags) <
		 0)
		r->err = errno;
	else
		tracer_ident_changed(); /* a cwd below it has a new name */
	tracer_as_self();
out:
	tracer_path_release(&from);
	tracer_path_release(&to);
}

/*
 * A hard link makes the old file reachable under a new name, so both are
 * judged as writes: a link to an outside file from inside the workspace
 * would otherwise let writes through (class 4).
 */
void tracer_on_link(struct tracer_req *r)
{
	bool at = !strcmp(r->name, "linkat");
	int olddir = at ? (int)r->args[0] : AT_FDCWD;
	int newdir = at ? (int)r->args[2] : AT_FDCWD;
	int flags = at ? (int)r->args[4] : 0;
	struct tracer_path from = { .parent = -1, .magic = -1 };
	struct tracer_path to = { .parent = -1, .magic = -1 };
	char path[4096], link[64];
	int err;

	err = tracer_mem_string(r->tid, r->args[at], path, sizeof(path));
	/* the descriptor's object, judged as itself, not as its /proc link */
	if (!err && path[0] == '\0' && flags & AT_EMPTY_PATH) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", olddir);
		flags |= AT_SYMLINK_FOLLOW;
	}
	if (!err)
		err = tracer_path_resolve(
			r->tid, r->tgid, olddir, path,
			flags & AT_SYMLINK_FOLLOW ? TRACER_PATH_FOLLOW : 0,
			&from);
	if (!err)
		err = resolve_arg(r, newdir, r->args[at ? 3 : 1], &to);
	if (err) {
		r->err = -err;
		goto out;
	}
	if (!tracer_req_valid(r))
		goto out;
	if (to.magic >= 0 || to.exists) {
		r->err = EEXIST;
		goto out;
	}

	if (!judge_both(r, &from, &to, false)) {
		r->err = EACCES;
		goto out;
	}
	if ((err = tracer_as_task(r->tid)) < 0) {
		r->err = -err;
	} else if (from.magic >= 0) {
		/* an O_TMPFILE or an open file, linked by its descriptor */
		snprintf(link, sizeof(link), "/proc/self/fd/%d", from.magic);
		if (linkat(AT_FDCWD, link, to.parent, to.name,
			   AT_SYMLINK_FOLLOW) < 0)
			r->err = errno;
	} else if (linkat(from.parent, from.name, to.parent, to.name, 0) < 0) {
		r->err = errno;
	}
	tracer_as_self();
out:
	tracer_path_release(&from);
	tracer_path_release(&to);
}
