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

/* what the kernel reads of a file (BINPRM_BUF_SIZE) */
#define EXEC_BUF 256

static bool spacetab(char c)
{
	return c == ' ' || c == '\t';
}

static const char *next_non_spacetab(const char *p, const char *last)
{
	for (; p <= last; p++)
		if (!spacetab(*p))
			return p;
	return NULL;
}

static const char *next_terminator(const char *p, const char *last)
{
	for (; p <= last; p++)
		if (spacetab(*p) || !*p)
			return p;
	return NULL;
}

/*
 * Reads "#!interp [arg]" as the kernel does (fs/binfmt_script.c), since
 * the words it finds are compared with those the kernel loaded: the
 * first 256 bytes, padded with NULs; the line ends at a newline, or,
 * without one, at the buffer's end when a blank or NUL follows the
 * name; blanks at its end are trimmed; the name ends at a blank or NUL,
 * and any blank after it starts an argument, which runs to the end of
 * the line or a NUL ("#!/bin/echo \0" passes an empty one, "#!/bin/echo
 * -x \0" one with a blank at its end).  Returns -1 for no script, else
 * whether there is an argument.
 */
static int shebang(int fd, char *interp, size_t size, char *arg, size_t asize)
{
	char buf[EXEC_BUF + 1] = { 0 };
	const char *last = buf + EXEC_BUF - 1, *end, *name, *sep, *a = NULL;

	if (pread(fd, buf, EXEC_BUF, 0) < 2 || buf[0] != '#' || buf[1] != '!')
		return -1;
	end = memchr(buf, '\n', EXEC_BUF);
	if (!end) {
		end = next_non_spacetab(buf + 2, last);
		if (!end || !next_terminator(end, last))
			return -1; /* the name may be cut: ENOEXEC */
		end = last;
	}
	while (spacetab(end[-1]))
		end--;
	name = next_non_spacetab(buf + 2, end);
	if (!name || name == end)
		return -1;
	sep = next_terminator(name, end);
	if (sep && *sep)
		a = next_non_spacetab(sep, end);

	*(char *)end = '\0';
	if (sep)
		*(char *)sep = '\0';
	snprintf(interp, size, "%s", name);
	snprintf(arg, asize, "%s", a ? a : "");
	return a != NULL;
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

/*
 * On a receiver without waiting: a file under a write lease would hold
 * it until the holder gives it up (open.c, leases); EWOULDBLOCK then.
 * Only pread follows, which O_NONBLOCK leaves alone on a regular file.
 */
static int open_image(const struct tracer_path *p, bool may_block)
{
	int nb = may_block ? 0 : O_NONBLOCK;
	char link[64];

	if (p->magic >= 0) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", p->magic);
		return open(link, O_RDONLY | O_CLOEXEC | nb);
	}
	return openat(p->parent, p->name,
		      O_RDONLY | O_CLOEXEC | O_NOFOLLOW | nb);
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
static void judge_one(struct tracer_req *r, const char *resolved,
		      const char *given, const char *const *words, size_t n,
		      struct rules_verdict *v)
{
	const struct rules_policy *pol = r->sup->o->policy;
	struct rules_verdict other;

	rules_check_exec(pol, resolved, words, n, v);
	if (given[0] == '/' && strcmp(given, resolved)) {
		rules_check_exec(pol, given, words, n, &other);
		/* a name rules will not judge ("..") adds nothing */
		if (!other.is_default && strcmp(other.origin, "rules") &&
		    (v->is_default ||
		     strictness(other.action) > strictness(v->action)))
			*v = other;
	}
	/* each judgment that does not allow needs its own way out */
	if (v->action != RULES_ALLOW)
		tracer_exec_advice(r->advice, sizeof(r->advice), resolved,
				   words, n, v);
}

/* Keeps the stricter of two verdicts in r->verdict. */
static void keep_stricter(struct tracer_req *r, const struct rules_verdict *v)
{
	if (strictness(v->action) > strictness(r->verdict.action) ||
	    (r->verdict.is_default && !v->is_default &&
	     v->action == r->verdict.action))
		r->verdict = *v;
}

/*
 * A script runs its interpreter: "#!/usr/bin/python3" makes the command
 * "python3 script args", judged as such (class 9).  An interpreter that
 * is a script itself runs its own, in front: the kernel builds "sh
 * /x/B -x script args" for a script whose #! names /x/B -x, a script
 * whose #! names /bin/sh; each of those commands is judged.  The last
 * interpreter's identity is what /proc/PID/exe will show (ist, ipath).
 * Puts the #! words that go ahead of the script's name in head
 * (EXEC_HEAD_MAX bytes), each ending in a NUL, *hlen bytes in all (0:
 * not a script); *levels, how many interpreters.
 */
static bool is_loader(const char *path);
static void judge_loaded(struct tracer_req *r, const char *const *words,
			 size_t n);

#define EXEC_MAX_INTERP 8 /* the kernel gives up after 5 (ELOOP) */
#define EXEC_HEAD_MAX	(EXEC_MAX_INTERP * 2 * 256 + 4096 + 32)

/* Puts the #! line's words (arg: NULL for none) ahead of words[0..*n). */
static void push_interp(const char **words, size_t *n, const char *interp,
			const char *arg)
{
	size_t add = arg ? 2 : 1;
	size_t keep = *n + add <= EXEC_MAX_WORDS ? *n : EXEC_MAX_WORDS - add;

	memmove(words + add, words, keep * sizeof(*words));
	words[0] = interp;
	if (arg)
		words[1] = arg;
	*n = keep + add;
}

static void judge_interp(struct tracer_req *r, int fd, const char *script,
			 const char *const *words, size_t n, struct stat *ist,
			 char *ipath, size_t ipsize, char *head, size_t *hlen,
			 int *levels)
{
	static __thread const char *iwords[EXEC_MAX_WORDS];
	char line[EXEC_MAX_INTERP][2][256];
	struct rules_verdict v;
	struct tracer_path ip;
	size_t i, k = 0;
	int lead = 0, img = fd, next;

	memset(ist, 0, sizeof(*ist));
	ipath[0] = '\0';
	*levels = 0;
	/* the argv the kernel builds: interp [arg] script args... */
	iwords[k++] = script;
	for (i = 1; i < n && k < EXEC_MAX_WORDS; i++)
		iwords[k++] = words[i];
	while (*levels < EXEC_MAX_INTERP) {
		char *interp = line[*levels][0], *arg = line[*levels][1];
		int has_arg = shebang(img, interp, sizeof(line[0][0]), arg,
				      sizeof(line[0][1]));

		if (has_arg < 0 ||
		    tracer_path_resolve(r->tid, r->tgid, AT_FDCWD, interp,
					TRACER_PATH_FOLLOW, &ip) < 0)
			break; /* not a script; or the kernel fails: ENOENT */
		(*levels)++;
		lead += has_arg ? 2 : 1;
		if (fstatat(ip.parent, ip.name, ist, 0) < 0)
			memset(ist, 0, sizeof(*ist));
		snprintf(ipath, ipsize, "%s", ip.path);

		push_interp(iwords, &k, interp, has_arg ? arg : NULL);
		judge_one(r, ip.path, interp, iwords, k, &v);
		keep_stricter(r, &v);
		/* "#!/lib64/ld-linux-x86-64.so.2 /bin/x" runs /bin/x */
		if (is_loader(ip.path))
			judge_loaded(r, iwords, k);

		next = open_image(&ip, r->may_block);
		tracer_path_release(&ip);
		if (img != fd)
			close(img);
		img = next;
		if (img < 0)
			break; /* the kernel's open fails too, or a lease */
	}
	if (img >= 0 && img != fd)
		close(img);

	/* the #! lines' words, as the kernel puts them ahead of the name */
	*hlen = 0;
	for (i = 0; i < (size_t)lead; i++) {
		size_t w = strlen(iwords[i]) + 1;

		memcpy(head + *hlen, iwords[i], w);
		*hlen += w;
	}
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))

static bool in_list(const char *w, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(w, list[i]))
			return true;
	return false;
}

static bool is_loader(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strncmp(base, "ld-linux", 8) || !strncmp(base, "ld.so", 5) ||
	       (!strncmp(base, "ld-", 3) && strstr(base, ".so"));
}

/*
 * "ld-linux.so PROGRAM ARGS" runs PROGRAM: it is judged as the command
 * (class 9).  Loader options before it are skipped.
 */
static void judge_loaded(struct tracer_req *r, const char *const *words,
			 size_t n)
{
	static const char *const with_arg[] = {
		"--library-path",
		"--preload",
		"--argv0",
		"--audit",
		"--glibc-hwcaps-mask",
		"--glibc-hwcaps-prepend",
		"--inhibit-rpath",
	};
	static const char *const alone[] = {
		"--list",	   "--verify",		 "--inhibit-cache",
		"--list-tunables", "--list-diagnostics", "--help",
		"--version",
	};
	struct rules_verdict v;
	struct tracer_path pp;
	size_t i = 1;

	/*
	 * As the loader reads its arguments: known options are skipped, and
	 * the first other word, whatever it starts with, is the program.
	 */
	while (i < n) {
		if (in_list(words[i], with_arg, ARRAY_SIZE(with_arg)))
			i += 2;
		else if (in_list(words[i], alone, ARRAY_SIZE(alone)))
			i++;
		else
			break;
	}
	if (i >= n)
		return;
	if (tracer_path_resolve(r->tid, r->tgid, AT_FDCWD, words[i],
				TRACER_PATH_FOLLOW, &pp) < 0)
		return;
	judge_one(r, pp.path, words[i], words + i, n - i, &v);
	keep_stricter(r, &v);
	tracer_path_release(&pp);
}

/*
 * The grant the command's entry carries goes with the exec's
 * expectation: it begins once the exec is verified (grant.c).
 */
static void expect_grant(const struct tracer_req *r,
			 struct tracer_exec_expect *ex)
{
	const struct rules_verdict *v = &r->verdict;

	if (!v->grant)
		return;
	ex->grant = v->grant;
	if (r->ev.answered_by && !strcmp(r->ev.answered_by, "unattended"))
		snprintf(ex->grant_by, sizeof(ex->grant_by),
			 "prompt.unattended, nobody to ask (rule %s)",
			 v->where);
	else if (r->ev.answered_by)
		snprintf(ex->grant_by, sizeof(ex->grant_by),
			 "the user: %s (%s)", r->ev.answer, r->ev.answered_by);
	else
		snprintf(ex->grant_by, sizeof(ex->grant_by), "rule %s (%s)",
			 v->where, v->origin);
}

/*
 * The interpreter opens a granted script again by the name given to
 * exec: a name the run could point elsewhere between the check and that
 * open would lend the grant to another script, so it gets none.
 */
static void script_name_fixed(const char *name, struct tracer_exec_expect *ex)
{
	const char *dir;

	/*
	 * Relative names and a descriptor (fexecve) start from a cwd or a
	 * descriptor that another process sharing them (CLONE_FS,
	 * CLONE_FILES) can point elsewhere, even after the exec.
	 */
	if (!name || name[0] != '/') {
		snprintf(ex->grant_why, sizeof(ex->grant_why),
			 "the script is named by a descriptor or relative to "
			 "a directory, which another process may change (give "
			 "its full name)");
		return;
	}
	dir = tracer_grant_name_changeable(name);
	if (dir)
		snprintf(ex->grant_why, sizeof(ex->grant_why),
			 "the script's name goes through %s, which the run "
			 "may change",
			 dir);
}

/*
 * A granted program, or its interpreter, that the run may write gets no
 * grant: it could be the run's code by the time it runs.
 */
static void program_fixed(const char *image, const char *interp,
			  struct tracer_exec_expect *ex)
{
	const char *w = tracer_grant_file_writable(image)	       ? image
			: interp && tracer_grant_file_writable(interp) ? interp
								       : NULL;

	if (w)
		snprintf(ex->grant_why, sizeof(ex->grant_why),
			 "the run may write %s", w);
}

/*
 * What a command's grant needs beyond its verdict; the first that fails
 * withholds it (ex->grant_why): the program and its interpreter are not
 * the run's to write; a script's name cannot be pointed elsewhere
 * before its interpreter opens it; no middle interpreter, read by name;
 * no argv longer than we keep; and no dynamic loader run directly,
 * which opens the program by name after the check and takes options
 * (--preload, --audit, --library-path) that load the run's own code.
 */
static void grant_checks(const struct tracer_req *r,
			 struct tracer_exec_expect *ex, const char *image,
			 const char *interp, const char *given, int levels)
{
	program_fixed(image, interp, ex);
	if (interp && !ex->grant_why[0])
		script_name_fixed(given, ex);
	if (levels > 1 && !ex->grant_why[0])
		snprintf(ex->grant_why, sizeof(ex->grant_why),
			 "its interpreter is a script too");
	if (interp && r->ev.argv_cut && !ex->grant_why[0])
		snprintf(ex->grant_why, sizeof(ex->grant_why),
			 "the script's argv is longer than proctor keeps "
			 "(4 KiB)");
	if ((is_loader(image) || (interp && is_loader(interp))) &&
	    !ex->grant_why[0])
		snprintf(ex->grant_why, sizeof(ex->grant_why),
			 "it runs through the dynamic loader, which opens "
			 "the program by name and takes options that load "
			 "other code");
}

/*
 * The name the kernel hands a script's interpreter (alloc_bprm()): the
 * path given, or for execveat from a descriptor /dev/fd/N and the path
 * below it.
 */
static void kernel_filename(bool at, int dirfd, const char *given, char *out,
			    size_t size)
{
	if (!at || dirfd == AT_FDCWD || given[0] == '/')
		snprintf(out, size, "%s", given);
	else if (given[0] == '\0')
		snprintf(out, size, "/dev/fd/%d", dirfd);
	else
		snprintf(out, size, "/dev/fd/%d/%s", dirfd, given);
}

/*
 * The name the kernel gives the task (begin_new_exec(), alloc_bprm()):
 * the last component of the path given, or with AT_EMPTY_PATH the name
 * of the file itself; at most 15 bytes.
 */
static void exec_comm(const char *given, const char *resolved, char *comm,
		      size_t size)
{
	const char *name = given[0] ? given : resolved;
	const char *slash = strrchr(name, '/');

	snprintf(comm, size, "%s", slash ? slash + 1 : name);
}

/*
 * An argv longer than proctor keeps (TRACER_ARGV_MAX): the rules see its
 * whole words, then an empty one that stands for the rest (a word no
 * entry names), so that neither a word cut short nor the missing ones
 * can match an entry; and an argv cut before the most words an entry
 * names (behind a long argv[0], say) cannot be judged, so it is refused.
 * last_cut: the last word kept is cut short.  Returns whether to go on;
 * *marked, whether the mark of the rest was added.
 */
static bool judge_cut(struct tracer_req *r, const char *object,
		      const char **words, size_t *n, bool last_cut,
		      bool *marked)
{
	size_t whole = *n - (last_cut && *n > 0);

	*marked = false;
	if (whole < rules_exec_words_most(r->sup->o->policy)) {
		r->verdict = (struct rules_verdict){
			.action = RULES_DENY,
			.origin = "proctor",
			.where = "exec",
			.pattern = "an argv longer than proctor keeps (4 KiB) "
				   "before the words the exec rules name",
		};
		tracer_req_decide(r, RULES_EXEC, "command", object, false);
		return false;
	}
	*n = whole;
	if (*n < EXEC_MAX_WORDS) {
		words[(*n)++] = "";
		*marked = true;
	}
	return true;
}

/* How far past argv[0] the words the exec rules may name reach. */
static size_t ruled_bytes(const struct tracer_req *r, const char *argv,
			  size_t len)
{
	size_t most = rules_exec_words_most(r->sup->o->policy);
	size_t at = 0, from = 0, w;
	const char *nul;

	for (w = 0; w < most && at < len; w++) {
		nul = memchr(argv + at, '\0', len - at);
		at = nul ? (size_t)(nul + 1 - argv) : len;
		if (w == 0)
			from = at;
	}
	return at > 0 ? at - from : 0;
}

void tracer_on_exec(struct tracer_req *r)
{
	bool at = !strcmp(r->name, "execveat");
	int dirfd = at ? (int)r->args[0] : AT_FDCWD;
	uint64_t flags = at ? r->args[4] : 0;
	static __thread char argv[TRACER_ARGV_MAX];
	static __thread const char *words[EXEC_MAX_WORDS];
	static __thread char ipath[4096], kname[4096 + 32];
	struct tracer_exec_expect ex = { 0 };
	struct rules_verdict rv;
	struct tracer_path p;
	struct stat st, ist;
	char path[4096], head[EXEC_HEAD_MAX];
	size_t len, n, hlen;
	int err, fd, levels;
	bool empty, marked = false, unread;

	err = tracer_mem_string(r->tid, r->args[at], path, sizeof(path));
	if (!err)
		err = tracer_mem_argv(r->tid, r->args[at + 1], argv,
				      sizeof(argv), &len, r->args[at], path);
	r->ev.argv_cut = err > 0;
	if (err < 0) {
		r->err = -err;
		return;
	}
	if (!tracer_req_valid(r))
		return;

	kernel_filename(at, dirfd, path, kname, sizeof(kname));
	/* execveat(fd, "", ..., AT_EMPTY_PATH) runs what fd refers to. */
	empty = path[0] == '\0' && flags & AT_EMPTY_PATH;
	if (empty)
		snprintf(path, sizeof(path), "/proc/self/fd/%d", dirfd);
	err = tracer_path_resolve(
		r->tid, r->tgid, dirfd, path,
		flags & AT_SYMLINK_NOFOLLOW ? 0 : TRACER_PATH_FOLLOW, &p);
	if (err) {
		r->err = -err;
		return;
	}
	fd = open_image(&p, r->may_block);
	if (fd < 0 && errno == EWOULDBLOCK && !r->may_block) {
		r->defer = true; /* a lease: the pool waits */
		goto out;
	}
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r->err = fd < 0 ? errno : EACCES;
		goto out;
	}

	n = split_words(argv, len, words);
	if (r->ev.argv_cut &&
	    !judge_cut(r, p.path, words, &n, len >= sizeof(argv), &marked)) {
		r->err = EACCES;
		goto out;
	}
	judge_one(r, p.path, path, words, n, &r->verdict);
	judge_interp(r, fd, p.path, words, n, &ist, ipath, sizeof(ipath), head,
		     &hlen, &levels);
	if (is_loader(p.path))
		judge_loaded(r, words, n);
	/*
	 * What may not be read may not be run: its image is mapped into the
	 * program, which reads its own memory.  Judged and said as a read.
	 */
	unread = r->verdict.action == RULES_ALLOW &&
		 !tracer_judge_read(r->sup, &p, &rv);
	if (unread)
		r->verdict = rv;
	/* the command is part of a question about it */
	r->ev.argv = words;
	r->ev.argc = n - marked; /* not the mark of the rest */
	r->ev.advice = unread ? NULL : r->advice;
	if (!tracer_req_decide(r, unread ? RULES_READ : RULES_EXEC,
			       unread ? "path" : "command", p.path,
			       r->verdict.action == RULES_ALLOW)) {
		r->err = EACCES;
		goto out;
	}
	expect_grant(r, &ex);
	if (ex.grant)
		grant_checks(r, &ex, p.path, ist.st_ino ? ipath : NULL,
			     empty ? NULL : path, levels);

	ex.dev[0] = st.st_dev;
	ex.ino[0] = st.st_ino;
	ex.dev[1] = ist.st_dev;
	ex.ino[1] = ist.st_ino;
	ex.script = ist.st_ino != 0;
	memcpy(head + hlen, kname, strlen(kname) + 1);
	ex.script_head = head;
	ex.script_head_len = hlen + strlen(kname) + 1;
	ex.exe[0] = p.path;
	ex.exe[1] = ipath;
	exec_comm(empty ? "" : path, p.path, ex.comm, sizeof(ex.comm));
	ex.argv = argv;
	ex.argv_len = len;
	/* only a cut argv is compared on what the rules looked at */
	ex.ruled = r->ev.argv_cut ? ruled_bytes(r, argv, len) : 0;
	tracer_exec_expect(r->tid, &ex);
	r->cont = true;
out:
	if (fd >= 0)
		close(fd);
	tracer_path_release(&p);
}
