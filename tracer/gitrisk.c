/* SPDX-License-Identifier: MIT */
/*
 * Git settings that run commands.  The protected paths keep the run from
 * changing the hooks and config of a repository that was there before it
 * (rules/default.c), but a repository the run makes is its own, and the
 * user's git, run later in the workspace, can reach one: a nested
 * repository staged in the outer one has its core.fsmonitor run by the
 * outer `git status`; a directory made to look like a repository (HEAD,
 * objects, refs, config) is one to git's discovery.  So proctor notes the
 * git config files, commondir files (which point git at another config)
 * and hooks the run wrote, and the directories it moved (a repository
 * made elsewhere and moved in), and at the end names those that would
 * run a command: the user reads them before running git there.  A note,
 * not a boundary: what the run writes in the workspace is the run's.
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tracer/tracer.h"

#define GITRISK_MAX	  4096		/* paths noted */
#define GITRISK_READ_MAX  (1024 * 1024) /* of a config read at the end */
#define GITRISK_SAY_MAX	  512		/* the keys named, for people */
#define GITRISK_DIRS_MAX  65536		/* directories looked through */
#define GITRISK_DEPTH_MAX 64		/* and how deep */

/*
 * What was noted: files to read, or directories moved in to look through.
 * A file noted only by its lock's name was never replaced: git made the
 * lock and removed it (a `git config --unset` of nothing), or was
 * stopped before its rename, which names the file itself.
 */
struct noted_one {
	char *path;
	bool dir;
	bool named; /* written by its own name, not only its lock's */
};

struct noted {
	struct noted_one *one;
	int n, cap;
	bool full; /* more than GITRISK_MAX: said so */
};

static struct noted noted;
static pthread_mutex_t noted_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * A stopped rebase's or cherry-pick's list of what is left to do, whose
 * "exec" lines `git rebase --continue` runs.
 */
static bool todo_list(const char *path)
{
	static const char *const lists[] = { "/rebase-merge/git-rebase-todo",
					     "/sequencer/todo" };
	size_t n = strlen(path), i, k;

	if (n > 5 && !strcmp(path + n - 5, ".lock"))
		n -= 5;
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		k = strlen(lists[i]);
		if (n >= k && !strncmp(path + n - k, lists[i], k))
			return true;
	}
	return false;
}

/*
 * The first GITRISK_READ_MAX bytes of path, NUL-terminated, in a buffer
 * to free; *big when there was more.  NULL for what is not a regular
 * file: a FIFO made in place of a config would hang proctor (at the
 * start, before CMD) where git would hang too.
 */
static char *read_bounded(const char *path, size_t *len, bool *big)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	char *buf = NULL;
	struct stat st;
	ssize_t got;
	size_t n = 0;

	*big = false;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		goto out;
	buf = malloc(GITRISK_READ_MAX + 1);
	while (buf && n < GITRISK_READ_MAX &&
	       (got = read(fd, buf + n, GITRISK_READ_MAX - n)) > 0)
		n += (size_t)got;
	if (buf) {
		buf[n] = '\0';
		*len = n;
		*big = n == GITRISK_READ_MAX && read(fd, &(char){ 0 }, 1) > 0;
	}
out:
	if (fd >= 0)
		close(fd);
	return buf;
}

/*
 * Whether a todo list holds a line that runs a command, however long;
 * *big when it is longer than proctor reads (said as it is).
 */
static bool todo_runs(const char *path, bool *big)
{
	size_t len;
	char *buf = read_bounded(path, &len, big), *line, *save = NULL;
	bool runs = false;

	for (line = buf ? strtok_r(buf, "\n", &save) : NULL; line && !runs;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *w = line + strspn(line, " \t");

		runs = !strncmp(w, "exec ", 5) || !strncmp(w, "x ", 2) ||
		       !strncmp(w, "exec\t", 5) || !strncmp(w, "x\t", 2);
	}
	free(buf);
	return runs;
}

/*
 * A git config by its name ("config", "config.worktree"; git writes
 * NAME.lock and renames it), a hook, or a hooks directory itself (a
 * link made there leads git to the hooks it points at); *keep: the
 * length that names it.
 */
static bool git_kind(const char *path, size_t *keep)
{
	const char *base = strrchr(path, '/');
	size_t n = strlen(path), b;

	*keep = n > 5 && !strcmp(path + n - 5, ".lock") ? n - 5 : n;
	base = base ? base + 1 : path;
	b = (size_t)(path + *keep - base);
	/* commondir: where git takes its config and hooks from */
	if ((b == 6 && !strncmp(base, "config", 6)) ||
	    (b == 15 && !strncmp(base, "config.worktree", 15)) ||
	    (b == 9 && !strncmp(base, "commondir", 9)) ||
	    (b == 5 && !strncmp(base, "hooks", 5)) || todo_list(path))
		return true;
	return strstr(path, "/hooks/") && !strstr(base, ".sample");
}

/* Adds path (keep bytes of it) once; the caller holds the lock. */
static void add_locked(struct noted *t, const char *path, size_t keep, bool dir)
{
	bool named = dir || !path[keep];
	int i;

	for (i = 0; i < t->n; i++)
		if (t->one[i].dir == dir &&
		    !strncmp(t->one[i].path, path, keep) &&
		    !t->one[i].path[keep]) {
			t->one[i].named |= named;
			return;
		}
	if (t->n == GITRISK_MAX) {
		t->full = true;
		return;
	}
	if (t->n == t->cap) {
		int cap = t->cap ? 2 * t->cap : 16;
		struct noted_one *one = realloc(t->one, cap * sizeof(*one));

		if (!one) {
			t->full = true;
			return;
		}
		t->one = one;
		t->cap = cap;
	}
	t->one[t->n].path = strndup(path, keep);
	t->one[t->n].dir = dir;
	t->one[t->n].named = named;
	if (t->one[t->n].path)
		t->n++;
}

void tracer_gitrisk_note(const char *path, bool moved)
{
	bool dir = false;
	struct stat st;
	size_t keep;

	if (!path || !path[0])
		return;
	/* the name holds a directory now, not a link to one */
	if (moved && lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
		dir = true;
	if (dir)
		keep = strlen(path);
	else if (!git_kind(path, &keep))
		return;
	pthread_mutex_lock(&noted_lock);
	add_locked(&noted, path, keep, dir);
	pthread_mutex_unlock(&noted_lock);
}

/* section[.sub].key of git's that runs a command, "*" for any sub */
static const char *const runs[] = {
	"core.fsmonitor",
	"core.hookspath",
	"core.sshcommand",
	"core.editor",
	"core.pager",
	"core.askpass",
	"core.gitproxy",
	"core.alternaterefscommand",
	"sequence.editor",
	"diff.external",
	"diff.*.textconv",
	"diff.*.command",
	"merge.*.driver",
	"mergetool.*.cmd",
	"mergetool.*.path",
	"difftool.*.cmd",
	"difftool.*.path",
	"filter.*.clean",
	"filter.*.smudge",
	"filter.*.process",
	"credential.helper",
	"credential.*.helper",
	"gpg.program",
	"gpg.*.program",
	"gpg.*.defaultkeycommand",
	"include.path",
	"includeif.*.path",
	"uploadpack.packobjectshook",
	"remote.*.uploadpack",
	"remote.*.receivepack",
	"interactive.difffilter",
	"web.browser",
	"browser.*.cmd",
	"browser.*.path",
	"man.*.cmd",
	"man.*.path",
	"tar.*.command",
	"trailer.*.command",
	"trailer.*.cmd",
	"sendemail.sendmailcmd",
	"sendemail.smtpserver",
	"sendemail.tocmd",
	"sendemail.cccmd",
	"guitool.*.cmd",
	"instaweb.httpd",
	"svn.authorsprog",
};

/* Whether section.sub.key = value makes git run a command. */
static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* A value that names no command: empty, or a boolean. */
static bool no_command(const char *v)
{
	static const char *const words[] = { "",     "false", "no", "off", "0",
					     "true", "yes",   "on", "1" };
	char w[8];
	size_t n = strcspn(v, " \t\r\"#;"), i;

	if (n >= sizeof(w))
		return false;
	snprintf(w, sizeof(w), "%.*s", (int)n, v);
	lower(w);
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(w, words[i]) && !v[n + strspn(v + n, " \t\r\"")])
			return true;
	return false;
}

static bool key_runs(const char *section, const char *sub, const char *key,
		     const char *value)
{
	char name[256];
	size_t i;

	/* a transport that is a command: ext::, in a URL or a rewrite of
	 * one, allowed by protocol.ext or protocol.allow */
	if (!strncmp(value, "ext::", 5) || strstr(sub, "ext::") ||
	    (!strcmp(section, "protocol") &&
	     (!strcmp(sub, "ext") || !strcmp(key, "allow"))))
		return !no_command(value) || !strcmp(value, "always");
	if (no_command(value))
		return false;
	if (!strcmp(section, "pager") || /* pager.<command> */
	    (!strcmp(section, "alias") && value[0] == '!') ||
	    (!strcmp(section, "submodule") && !strcmp(key, "update") &&
	     value[0] == '!'))
		return true;
	snprintf(name, sizeof(name), "%s%s.%s", section, sub[0] ? ".*" : "",
		 key);
	for (i = 0; i < sizeof(runs) / sizeof(runs[0]); i++)
		if (!strcmp(runs[i], name))
			return true;
	return false;
}

/* The config's place in its sections, line to line. */
struct scan {
	char section[128], sub[256];
	char *say;
	size_t size;
	/* or, with hooks set: core.hooksPath's value, the last one */
	char *hooks;
	size_t hooks_size;
};

/* "[section]", "[section "sub"]" or the old "[section.sub]"; the rest. */
static char *scan_header(struct scan *s, char *k)
{
	size_t len = strcspn(k, " \t\r].");
	char *end, *o;

	snprintf(s->section, sizeof(s->section), "%.*s", (int)len, k);
	lower(s->section);
	s->sub[0] = '\0';
	k += len;
	if (*k == '.') { /* the old [section.sub] */
		len = strcspn(++k, "]");
		snprintf(s->sub, sizeof(s->sub), "%.*s", (int)len, k);
		lower(s->sub);
		k += len;
	} else if (k[strspn(k, " \t\r")] == '"') {
		/* [section "sub"]: quoted, "]" and escapes within */
		k += strspn(k, " \t\r") + 1;
		for (o = s->sub; *k && *k != '"'; k++) {
			if (*k == '\\' && k[1])
				k++;
			if (o < s->sub + sizeof(s->sub) - 1)
				*o++ = *k;
		}
		*o = '\0';
		lower(s->sub);
	}
	end = strchr(k, ']');
	return end ? end + 1 : k + strlen(k);
}

/* Appends "section.key" to s->say when the line's key runs a command. */
static void scan_line(struct scan *s, char *line)
{
	char *k = line + strspn(line, " \t\r"), *v, *e;
	size_t len;

	/* a key may follow on the same line: "[core] fsmonitor = x" */
	while (*k == '[') {
		k = scan_header(s, k + 1);
		k += strspn(k, " \t\r");
	}
	if (!isalpha((unsigned char)*k) || !s->section[0])
		return;
	e = k + strspn(k, "abcdefghijklmnopqrstuvwxyz"
			  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");
	v = e + strspn(e, " \t\r");
	v = *v == '=' ? v + 1 + strspn(v + 1, " \t\r\"") : v;
	*e = '\0';
	lower(k);
	if (s->hooks) {
		if (!strcmp(s->section, "core") && !s->sub[0] &&
		    !strcmp(k, "hookspath"))
			snprintf(s->hooks, s->hooks_size, "%.*s",
				 (int)strcspn(v, "\"#;\r"), v);
		return;
	}
	if (!key_runs(s->section, s->sub, k, v))
		return;
	len = strlen(s->say);
	snprintf(s->say + len, s->size - len, "%s%s.%s", len ? ", " : "",
		 s->section, k);
}

/* The rest of a line, as it is. */
static void copy_line(char **in, char **out)
{
	while (**in && **in != '\n')
		*(*out)++ = *(*in)++;
}

/*
 * The section headers a line starts with, as they are: no "=" in one
 * starts a value, and a quote in a subsection (an escaped one too, as
 * in [x "a\"b"]) quotes nothing after it.
 */
static void copy_headers(char **in, char **out)
{
	for (;;) {
		while (**in == ' ' || **in == '\t' || **in == '\r')
			*(*out)++ = *(*in)++;
		if (**in != '[')
			return;
		while (**in && **in != '\n' && **in != ']') {
			if (**in == '"') {
				*(*out)++ = *(*in)++;
				while (**in && **in != '\n' && **in != '"') {
					if (**in == '\\' && (*in)[1] &&
					    (*in)[1] != '\n')
						*(*out)++ = *(*in)++;
					*(*out)++ = *(*in)++;
				}
				if (**in != '"')
					return;
			}
			*(*out)++ = *(*in)++;
		}
		if (**in != ']')
			return;
		*(*out)++ = *(*in)++;
	}
}

/*
 * A value that ends in a backslash goes on on the next line, as git
 * reads it: not in a comment ("#", ";" outside quotes), and not after
 * an escaped backslash.
 */
static void join_lines(char *buf)
{
	char *in = buf, *out = buf;

	while (*in) {
		bool value = false, quoted = false;

		copy_headers(&in, &out);
		while (*in && *in != '\n') {
			if (!quoted && (*in == '#' || *in == ';')) {
				copy_line(&in, &out); /* a comment */
				break;
			}
			if (!value) {
				value = *in == '=';
			} else if (*in == '"') {
				quoted = !quoted;
			} else if (*in == '\\' && in[1] == '\n') {
				in += 2;
				continue;
			} else if (*in == '\\' && in[1] == '\r' &&
				   in[2] == '\n') {
				in += 3;
				continue;
			} else if (*in == '\\' && in[1]) {
				*out++ = *in++; /* an escape: both go as they
						   are */
			}
			*out++ = *in++;
		}
		if (*in == '\n')
			*out++ = *in++;
	}
	*out = '\0';
}

/* Each line of path, joined as git joins them, through s. */
static void scan_file(const char *path, struct scan *s)
{
	char *buf, *line, *save;
	size_t n = 0;
	bool big;

	buf = read_bounded(path, &n, &big);
	if (!buf)
		return;
	/* git reads on past a NUL (in a comment it is nothing): so does
	 * this, lest "#\0" hide the lines after it */
	while (n--)
		if (!buf[n])
			buf[n] = ' ';
	join_lines(buf);
	/* a UTF-8 byte order mark, which git skips */
	line = !strncmp(buf, "\xef\xbb\xbf", 3) ? buf + 3 : buf;
	for (line = strtok_r(line, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		scan_line(s, line);
	free(buf);
}

/* The keys of path's that run a command, in say; "" for none. */
static void scan_config(const char *path, const struct stat *st, char *say,
			size_t size)
{
	struct scan s = { .say = say, .size = size };

	say[0] = '\0';
	if (st->st_size > GITRISK_READ_MAX) {
		snprintf(say, size, "larger than proctor reads of it: 1 MiB");
		return;
	}
	scan_file(path, &s);
}

void tracer_gitrisk_hooks_path(const char *config, char *out, size_t size)
{
	struct scan s = { .hooks = out, .hooks_size = size };
	size_t n;

	scan_file(config, &s);
	/* the value ends at a quote or a comment; blanks before go */
	n = strlen(out);
	while (n && (out[n - 1] == ' ' || out[n - 1] == '\t'))
		out[--n] = '\0';
}

/*
 * Whether the directory up levels above path is one git takes for a
 * repository's: a .git, or one that holds HEAD (a bare repository, or
 * a directory made to look like one).
 */
static bool git_dir_above(const char *path, int up)
{
	char dir[4096], *slash;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", path);
	while (up-- > 0 && (slash = strrchr(dir, '/')))
		*slash = '\0';
	slash = strrchr(dir, '/');
	if (slash && !strcmp(slash + 1, ".git"))
		return true;
	if (strlen(dir) + 6 >= sizeof(dir))
		return false;
	strcat(dir, "/HEAD");
	return lstat(dir, &st) == 0;
}

/* When the run began: a commondir's config and hooks older are the user's. */
static time_t since;

void tracer_gitrisk_begin(void)
{
	since = time(NULL);
}

/* Whether path, or what it leads to, changed since the run began. */
static bool changed_in_run(const char *path)
{
	time_t from = since - 2; /* a coarse clock's second, and more */
	struct stat st;

	return !since || (lstat(path, &st) == 0 && st.st_ctime >= from) ||
	       (stat(path, &st) == 0 && st.st_ctime >= from);
}

/* What was said, by where it is: each once (a name and a link to it). */
#define GITRISK_SAID_MAX 256

static char *said[GITRISK_SAID_MAX];
static int n_said;

static bool said_before(const char *path)
{
	char *real = realpath(path, NULL);
	int i;

	if (!real)
		return false;
	for (i = 0; i < n_said; i++)
		if (!strcmp(said[i], real)) {
			free(real);
			return true;
		}
	if (n_said < GITRISK_SAID_MAX)
		said[n_said++] = real;
	else
		free(real);
	return false;
}

static void said_forget(void)
{
	while (n_said > 0)
		free(said[--n_said]);
}

static void say(const char *path, const char *what, bool quiet)
{
	if (what[0] && !quiet && !said_before(path))
		fprintf(stderr,
			"proctor: the run wrote what git will run when you use "
			"git there: %s (%s); read it first\n",
			path, what);
}

/*
 * The hooks in dir: a hooks directory the run made (a link, say), or
 * the one the commondir by names, whose hooks count when they or the
 * directory changed during the run (else they are the user's own).
 */
static void say_hooks(const char *dir, const char *by, bool quiet)
{
	char hook[4200], what[4200];
	bool dir_changed = !by || changed_in_run(dir);
	struct dirent *d;
	struct stat st;
	DIR *dp = opendir(dir);

	while (dp && (d = readdir(dp)) != NULL) {
		snprintf(hook, sizeof(hook), "%s/%s", dir, d->d_name);
		if (d->d_name[0] == '.' || strstr(d->d_name, ".sample") ||
		    stat(hook, &st) < 0 || !S_ISREG(st.st_mode) ||
		    !(st.st_mode & 0111) ||
		    !(dir_changed || changed_in_run(hook)))
			continue;
		if (by)
			snprintf(what, sizeof(what), "a hook, by %s", by);
		else
			snprintf(what, sizeof(what), "a hook");
		say(hook, what, quiet);
	}
	if (dp)
		closedir(dp);
}

/*
 * A commondir's directory (relative to the file's): its config and
 * hooks are the repository's, named under the commondir's path.
 */
static void say_common(const char *path, const struct stat *st, bool quiet)
{
	char target[4096], conf[4200], what[GITRISK_SAY_MAX + 64];
	char line[4097] = "";
	struct stat cst;
	FILE *f = fopen(path, "re");
	size_t n;
	const char *slash = strrchr(path, '/');

	if (!f || st->st_size > 4096) {
		if (f)
			fclose(f);
		/* too long to follow here; git follows it */
		if (st->st_size > 4096)
			say(path,
			    "a commondir longer than proctor follows: "
			    "4 KiB",
			    quiet);
		return;
	}
	/* as git reads it: the whole file (to a NUL), less the line
	 * ends it ends with; a line end within is part of the name */
	n = fread(line, 1, sizeof(line) - 1, f);
	fclose(f);
	line[n] = '\0';
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (line[0] == '/' || !slash)
		snprintf(target, sizeof(target), "%s", line);
	else
		snprintf(target, sizeof(target), "%.*s/%s", (int)(slash - path),
			 path, line);
	/* named where it is, without the ".." it took to get there */
	if (realpath(target, conf))
		snprintf(target, sizeof(target), "%s", conf);
	snprintf(conf, sizeof(conf), "%s/config", target);
	if (stat(conf, &cst) == 0 && S_ISREG(cst.st_mode) &&
	    changed_in_run(conf)) {
		char keys[GITRISK_SAY_MAX];

		scan_config(conf, &cst, keys, sizeof(keys));
		if (keys[0]) {
			snprintf(what, sizeof(what),
				 "its commondir's config: %s", keys);
			say(path, what, quiet);
		}
	}
	snprintf(conf, sizeof(conf), "%s/hooks", target);
	say_hooks(conf, path, quiet);
}

static void say_one(const char *path, bool quiet)
{
	char what[GITRISK_SAY_MAX];
	const char *base = strrchr(path, '/');
	struct stat st;
	bool hook = strstr(path, "/hooks/") != NULL;

	if (stat(path, &st) < 0)
		return;
	if (base && !strcmp(base, "/hooks") && S_ISDIR(st.st_mode) &&
	    git_dir_above(path, 1)) {
		say_hooks(path, NULL, quiet);
		return;
	}
	if (!S_ISREG(st.st_mode))
		return;
	if (base && !strcmp(base, "/commondir")) {
		say_common(path, &st, quiet);
		return;
	}
	if (todo_list(path)) {
		bool big;

		if (todo_runs(path, &big))
			say(path,
			    "a stopped rebase's exec lines, which git "
			    "rebase --continue runs",
			    quiet);
		else if (big)
			say(path,
			    "a stopped rebase's todo list, larger than proctor "
			    "reads of it: 1 MiB",
			    quiet);
		return;
	}
	if (!git_dir_above(path, hook ? 2 : 1))
		return;
	if (hook)
		snprintf(what, sizeof(what), "%s",
			 st.st_mode & 0111 ? "a hook" : "");
	else
		scan_config(path, &st, what, sizeof(what));
	say(path, what, quiet);
}

/* The git configs and hooks beneath a directory the run moved in. */
static void look_through(const char *dir, int depth, int *budget, bool quiet)
{
	char sub[4096];
	struct dirent *d;
	struct stat st;
	size_t keep;
	DIR *dp;

	if (--*budget < 0 || depth > GITRISK_DEPTH_MAX) {
		noted.full = true; /* said at the end */
		return;
	}
	if (!(dp = opendir(dir)))
		return;
	while ((d = readdir(dp)) != NULL) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, "..") ||
		    (size_t)snprintf(sub, sizeof(sub), "%s/%s", dir,
				     d->d_name) >= sizeof(sub))
			continue;
		if (d->d_type == DT_DIR ||
		    (d->d_type == DT_UNKNOWN && lstat(sub, &st) == 0 &&
		     S_ISDIR(st.st_mode)))
			look_through(sub, depth + 1, budget, quiet);
		else if (git_kind(sub, &keep) && !sub[keep])
			say_one(sub, quiet);
	}
	closedir(dp);
}

void tracer_gitrisk_report(bool quiet)
{
	int i, budget = GITRISK_DIRS_MAX;

	pthread_mutex_lock(&noted_lock);
	for (i = 0; i < noted.n; i++) {
		if (noted.one[i].dir)
			look_through(noted.one[i].path, 0, &budget, quiet);
		else if (noted.one[i].named)
			say_one(noted.one[i].path, quiet);
		free(noted.one[i].path);
	}
	if (noted.full && !quiet)
		fprintf(stderr,
			"proctor: the run wrote more git configs and hooks "
			"than proctor looks at (%d files, %d directories, "
			"%d deep): "
			"read what it made before you use git there\n",
			GITRISK_MAX, GITRISK_DIRS_MAX, GITRISK_DEPTH_MAX);
	free(noted.one);
	said_forget();
	memset(&noted, 0, sizeof(noted));
	pthread_mutex_unlock(&noted_lock);
}
