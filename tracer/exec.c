/* SPDX-License-Identifier: MIT */
/*
 * execve and execveat.  An exec cannot be carried out by another process,
 * so it is judged at entry and then let through; what the kernel actually
 * loaded is checked at PTRACE_EVENT_EXEC against the identity of the file
 * judged here (ptrace.c), and a mismatch kills the process (class 8).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tracer/tracer.h"

#define EXEC_MAX_WORDS 64

/* Reads "#!interp" from the first line of the file, if it has one. */
static bool shebang(int fd, char *interp, size_t size)
{
	char buf[256];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	char *s, *e;

	if (n < 3 || buf[0] != '#' || buf[1] != '!')
		return false;
	buf[n] = '\0';
	for (s = buf + 2; *s == ' ' || *s == '\t'; s++)
		;
	e = s + strcspn(s, " \t\n");
	if (e == s)
		return false;
	snprintf(interp, size, "%.*s", (int)(e - s), s);
	return true;
}

/* The interpreter of a script is allowed as the image that loads. */
static void interp_identity(struct tracer_req *r, int fd, struct stat *ist)
{
	struct tracer_path ip;
	char interp[256];

	memset(ist, 0, sizeof(*ist));
	if (!shebang(fd, interp, sizeof(interp)))
		return;
	if (tracer_path_resolve(r->tid, r->tgid, AT_FDCWD, interp,
				TRACER_PATH_FOLLOW, &ip) == 0) {
		if (fstatat(ip.parent, ip.name, ist, 0) < 0)
			memset(ist, 0, sizeof(*ist));
		tracer_path_release(&ip);
	}
}

static size_t split_words(char *argv, size_t len, const char **words)
{
	size_t n = 0, i = 0;

	while (i < len && n < EXEC_MAX_WORDS) {
		words[n++] = argv + i;
		i += strlen(argv + i) + 1;
	}
	return n;
}

static int strictness(enum rules_action a)
{
	return a == RULES_DENY ? 3 : a == RULES_ASK ? 2 : 1;
}

/*
 * Rules name programs as users type them (/bin/true) while the kernel
 * runs what that resolves to (/usr/bin/true on a merged /usr): judge
 * both names, an entry beats a default, and the stricter entry wins.
 */
static void judge(struct tracer_req *r, const char *resolved,
		  const char *given, const char **words, size_t n)
{
	const struct rules_policy *pol = r->sup->o->policy;
	struct rules_verdict other;

	rules_check_exec(pol, resolved, words, n, &r->verdict);
	if (given[0] != '/' || !strcmp(given, resolved))
		return;
	rules_check_exec(pol, given, words, n, &other);
	/* a name rules will not judge ("..") adds nothing: skip it */
	if (other.is_default || !strcmp(other.origin, "rules"))
		return;
	if (r->verdict.is_default ||
	    strictness(other.action) > strictness(r->verdict.action))
		r->verdict = other;
}

static int open_image(const struct tracer_path *p)
{
	char link[64];

	if (p->magic >= 0) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", p->magic);
		return open(link, O_RDONLY | O_CLOEXEC);
	}
	return openat(p->parent, p->name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
}

void tracer_on_exec(struct tracer_req *r)
{
	bool at = !strcmp(r->name, "execveat");
	int dirfd = at ? (int)r->args[0] : AT_FDCWD;
	uint64_t flags = at ? r->args[4] : 0;
	static __thread char argv[TRACER_ARGV_MAX];
	const char *words[EXEC_MAX_WORDS];
	struct tracer_path p;
	struct stat st, ist;
	char path[4096];
	size_t len, n;
	int err, fd;

	err = tracer_mem_string(r->tid, r->args[at], path, sizeof(path));
	if (!err)
		err = tracer_mem_argv(r->tid, r->args[at + 1], argv,
				      sizeof(argv), &len);
	if (err) {
		r->err = -err;
		return;
	}
	if (!tracer_req_valid(r))
		return;

	/* execveat(fd, "", ..., AT_EMPTY_PATH) runs what fd refers to. */
	if (path[0] == '\0' && flags & AT_EMPTY_PATH)
		snprintf(path, sizeof(path), "/proc/self/fd/%d", dirfd);
	err = tracer_path_resolve(r->tid, r->tgid, dirfd, path,
				  flags & AT_SYMLINK_NOFOLLOW ? 0 :
				  TRACER_PATH_FOLLOW, &p);
	if (err) {
		r->err = -err;
		return;
	}
	fd = open_image(&p);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r->err = fd < 0 ? errno : EACCES;
		goto out;
	}
	interp_identity(r, fd, &ist);

	n = split_words(argv, len, words);
	judge(r, p.path, path, words, n);
	tracer_req_decide(r, RULES_EXEC, "command", p.path,
			  r->verdict.action == RULES_ALLOW);
	r->ev.argv = words;
	r->ev.argc = n;
	if (!r->ev.allowed) {
		r->err = EACCES;
		goto out;
	}
	tracer_exec_expect(r->tid, st.st_dev, st.st_ino, ist.st_dev,
			   ist.st_ino);
	r->cont = true;
out:
	if (fd >= 0)
		close(fd);
	tracer_path_release(&p);
}
