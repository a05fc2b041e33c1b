/* SPDX-License-Identifier: MIT */
/*
 * One line on stderr per denied object: who, what, which rule, and the
 * flag that would allow it.  Shown strings are stripped of control bytes
 * so a path cannot draw on the user's terminal.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rules/learn.h"
#include "tracer/tracer.h"

#define SEEN_BUCKETS 1024
#define SEEN_MAX     4096 /* objects explained; the log keeps the rest */

struct seen {
	char *key;
	struct seen *next;
};

static struct seen *seen[SEEN_BUCKETS];
static int n_seen;
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;

/* The first objects said, for the run's last line (a line drawn on a
 * full-screen program's screen is gone when it ends) */
#define FIRST_SAID 3
static char first_said[FIRST_SAID][160];
static int n_said;

/* True the first time key is offered. */
static bool first_time(const char *key)
{
	unsigned h = 5381;
	const char *k;
	struct seen *s;
	bool first = true;

	for (k = key; *k; k++)
		h = h * 33 + (unsigned char)*k;
	pthread_mutex_lock(&seen_lock);
	for (s = seen[h % SEEN_BUCKETS]; s; s = s->next)
		if (!strcmp(s->key, key))
			first = false;
	if (first && n_seen == SEEN_MAX) {
		/* a flood of new names: say so once, keep memory flat */
		n_seen++;
		fprintf(stderr,
			"proctor: more than %d different denials; "
			"the others are in the log only\n",
			SEEN_MAX);
	}
	if (n_seen > SEEN_MAX)
		first = false;
	if (first) {
		n_seen++;
		s = malloc(sizeof(*s));
		if (s && (s->key = strdup(key))) {
			s->next = seen[h % SEEN_BUCKETS];
			seen[h % SEEN_BUCKETS] = s;
		} else {
			free(s);
		}
	}
	pthread_mutex_unlock(&seen_lock);
	return first;
}

static void remember_said(const char *what, const char *obj)
{
	char *one;

	pthread_mutex_lock(&seen_lock);
	if (n_said < FIRST_SAID) {
		one = first_said[n_said];
		/* (obj is printable ASCII: cut anywhere) */
		if (snprintf(one, sizeof(first_said[0]), "%s %s", what, obj) >=
		    (int)sizeof(first_said[0]))
			strcpy(one + sizeof(first_said[0]) - 4, "...");
	}
	n_said++;
	pthread_mutex_unlock(&seen_lock);
}

void tracer_explain_remember(const char *what, const char *obj)
{
	char safe[512];

	tracer_printable(safe, sizeof(safe), obj);
	remember_said(what, safe);
}

void tracer_explain_said(char *out, size_t size)
{
	int i;

	out[0] = '\0';
	pthread_mutex_lock(&seen_lock);
	for (i = 0; i < n_said && i < FIRST_SAID; i++)
		snprintf(out + strlen(out), size - strlen(out), "%s%s",
			 i ? ", " : "", first_said[i]);
	if (n_said > FIRST_SAID)
		snprintf(out + strlen(out), size - strlen(out), " and %d more",
			 n_said - FIRST_SAID);
	pthread_mutex_unlock(&seen_lock);
}

/*
 * Copies s for a terminal: control bytes, and every non-ASCII byte (so
 * C1 controls and bidi marks too), become '?'; with TRACER_PRINT_ESCAPE
 * they become \xNN and a backslash \\, so that a name shown in a prompt
 * is unambiguous.  Output that does not fit is cut at a whole escape.
 */
void tracer_printable_ex(char *out, size_t size, const char *s, int flags)
{
	bool esc = flags & TRACER_PRINT_ESCAPE;
	size_t o = 0;

	for (; s && *s; s++) {
		unsigned char c = *s;
		bool bad = c < 0x20 || c >= 0x7f;

		if (esc && (bad || c == '\\')) {
			if (o + 5 > size)
				break;
			o += c == '\\' ? (size_t)snprintf(out + o, 3, "\\\\")
				       : (size_t)snprintf(out + o, 5, "\\x%02x",
							  c);
			continue;
		}
		if (o + 2 > size)
			break;
		out[o++] = bad ? '?' : c;
	}
	if (size)
		out[o < size ? o : size - 1] = '\0';
}

void tracer_printable(char *out, size_t size, const char *s)
{
	tracer_printable_ex(out, size, s, 0);
}

/* "git push (/usr/bin/git)": what the user typed, then what ran. */
static void command_text(char *out, size_t size, const struct tracer_event *e)
{
	char words[512] = "", one[128];
	size_t i;

	for (i = 0; i < e->argc && i < 4; i++) {
		tracer_printable(one, sizeof(one), e->argv[i]);
		if (i == 0 && strrchr(one, '/'))
			memmove(one, strrchr(one, '/') + 1,
				strlen(strrchr(one, '/')));
		if (i)
			strncat(words, " ", sizeof(words) - strlen(words) - 1);
		strncat(words, one, sizeof(words) - strlen(words) - 1);
	}
	tracer_printable(one, sizeof(one), e->object);
	snprintf(out, size, "%s (%s)", words, one);
}

/*
 * Single-quotes s for a shell, so that pasting the advice can run
 * nothing a path smuggled in ('$(...)' and the like).
 */
static void shell_quote(char *out, size_t size, const char *s)
{
	size_t o = 0;

	out[o++] = '\'';
	for (; *s && o + 6 < size; s++) {
		if (*s == '\'') {
			memcpy(out + o, "'\\''", 4);
			o += 4;
		} else {
			out[o++] = *s;
		}
	}
	out[o++] = '\'';
	out[o] = '\0';
}

/*
 * s as a pattern that names it and nothing else: the characters a
 * pattern reads as a glob or a variable ("*", "?", "[", "$") are
 * bracketed ("[*]"), so that the flag printed as advice allows exactly
 * the object that was denied.
 */
static void literal(char *out, size_t size, const char *s)
{
	size_t o = 0;

	for (; *s && o + 4 < size; s++) {
		if (strchr("*?[$", *s)) {
			out[o++] = '[';
			out[o++] = *s;
			out[o++] = ']';
		} else {
			out[o++] = *s;
		}
	}
	out[o] = '\0';
}

/* A word the command-line parser takes as one word, unchanged. */
static bool plain_arg(const char *w)
{
	const unsigned char *c = (const unsigned char *)w;

	if (!*c)
		return false;
	for (; *c; c++)
		if (*c <= ' ' || *c >= 0x7f)
			return false;
	return true;
}

/* Whether text, lines separated by '\n', holds line. */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line), len;

	for (; *text; text += len + (text[len] != '\0')) {
		len = strcspn(text, "\n");
		if (len == n && !strncmp(text, line, n))
			return true;
	}
	return false;
}

void tracer_exec_advice(char *out, size_t size, const char *exe,
			const char *const *words, size_t n,
			const struct rules_verdict *v)
{
	const char *base = strrchr(exe, '/');
	char name[512], line[1024] = "";
	size_t i;

	if (!v->is_default) {
		/* the entry's own prefix: the command line wins the tie */
		tracer_printable(line, sizeof(line), v->pattern);
	} else {
		/* a blank in the name: the flag's words would split it */
		if (strpbrk(base ? base + 1 : exe, " \t"))
			return;
		/* a bare name matches the program's base name (argv[0] is
		 * the caller's choice); then the arguments the flag's
		 * blank-separated words can carry */
		literal(name, sizeof(name), base ? base + 1 : exe);
		tracer_printable(line, sizeof(line), name);
		for (i = 1; i < n && i < 4 && plain_arg(words[i]); i++) {
			strncat(line, " ", sizeof(line) - strlen(line) - 1);
			strncat(line, words[i],
				sizeof(line) - strlen(line) - 1);
		}
	}
	if (strlen(out) + strlen(line) + 2 > size || has_line(out, line))
		return;
	if (*out)
		strcat(out, "\n");
	strcat(out, line);
}

/*
 * Room for the advice: a path of 4 KiB with every byte bracketed would
 * not fit, and is cut.  The buffers are on the heap: a worker thread's
 * stack is small, and most of it is thread-local storage.
 */
#define ADVICE_MAX 8400

/*
 * A lock file ("X.lock": git's, and many tools' since) is written to
 * be renamed over X, which the same advice must then allow: a second
 * line, X; not where X is a directory (`/etc.lock`), whose entry would
 * allow all beneath it.
 */
static void lock_target(char *out, size_t size, const char *object)
{
	static const char ext[] = ".lock";
	size_t n = strlen(out), e = sizeof(ext) - 1;
	char target[4096];
	struct stat st;

	if (n <= e || strcmp(out + n - e, ext) || out[n - e - 1] == '/' ||
	    2 * n - e + 2 > size)
		return;
	snprintf(target, sizeof(target), "%s", object);
	if (strlen(target) > e)
		target[strlen(target) - e] = '\0';
	if (lstat(target, &st) == 0 && !S_ISREG(st.st_mode))
		return;
	out[n] = '\n';
	memcpy(out + n + 1, out, n - e);
	out[2 * n - e + 1] = '\0';
}

/*
 * A name the call would have made anew, with O_EXCL or mkdir (it is
 * not there now): mkstemp's and mkdtemp's way, whose names no later
 * run makes again.
 */
static bool makes_new_name(const struct tracer_event *e)
{
	struct stat st;
	bool made;

	if (!e->args || !e->syscall)
		return false;
	if (!strcmp(e->syscall, "openat"))
		made = tracer_open_makes_new(e->args[2]);
	else if (!strcmp(e->syscall, "open"))
		made = tracer_open_makes_new(e->args[1]);
	else
		made = !strcmp(e->syscall, "mkdir") ||
		       !strcmp(e->syscall, "mkdirat");
	return made && lstat(e->object, &st) < 0 && errno == ENOENT;
}

static size_t alnums(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += isalnum((unsigned char)*s) != 0;
	return n;
}

/*
 * name with the caller's pid in it, as a number of its own, as a glob
 * (the JVM's /tmp/hsperfdata_USER/PID, its .java_pidPID.tmp socket):
 * "[0-9]*" for the pid.
 */
static bool pid_glob(const char *name, pid_t pid, char *out, size_t size)
{
	char num[24];
	const char *at = name;
	size_t n = (size_t)snprintf(num, sizeof(num), "%d", (int)pid);

	while ((at = strstr(at, num)) != NULL) {
		if ((at == name || !isdigit((unsigned char)at[-1])) &&
		    !isdigit((unsigned char)at[n]))
			break;
		at++;
	}
	if (!at || pid <= 0)
		return false;
	if (at == name && !at[n]) {
		snprintf(out, size, "[0-9]*");
		return true;
	}
	/* what stays must say whose it is: ".java_pid*.tmp", not ".*"; and
	 * a digit at the least where the pid was, so that the glob never
	 * takes the name without it (".gitconfig" for ".gitconfig4711") */
	if (alnums(name) - alnums(num) < 3)
		return false;
	snprintf(out, size, "%.*s[0-9]*%s", (int)(at - name), name, at + n);
	return true;
}

/*
 * pid_glob for the caller's pid, else one of its parents' in the run:
 * a shell's "/tmp/x.$$" is most often made by a command it started.
 */
static bool family_pid_glob(const char *name, pid_t pid, char *out, size_t size)
{
	struct tracer_proc *p;
	int up;

	for (up = 0; up < 4 && pid > 0; up++) {
		/* a parent's pid alone ("[0-9]*") would take any name that
		 * starts with a digit: a shell's $$ of its own is enough */
		if (pid_glob(name, pid, out, size) &&
		    (up == 0 || strcmp(out, "[0-9]*")))
			return true;
		tracer_proc_lock();
		p = tracer_proc_find(pid);
		pid = p ? p->ppid : 0;
		tracer_proc_unlock();
	}
	return false;
}

/*
 * Whether glob matches a name in dir now: advice names the object and
 * nothing more, so a glob for names to come may take none there now
 * ("sudoers" for "sudoe*", ~/.bashrc for "~/.*").
 */
static bool matches_there(const char *dir, const char *glob)
{
	struct dirent *d;
	bool any = false;
	DIR *dp = opendir(dir);

	while (dp && !any && (d = readdir(dp)) != NULL)
		any = strcmp(d->d_name, ".") && strcmp(d->d_name, "..") &&
		      fnmatch(glob, d->d_name, 0) == 0;
	if (dp)
		closedir(dp);
	return any || !dp;
}

/*
 * Refused by an entry that denies the name (.git/hooks/post-checkout4711
 * under .git/hooks): a glob there would hand over what the entry
 * protects.  Not the default, a create entry, nor proctor's own word on
 * a socket in /tmp (tracer_judge_kind).
 */
static bool by_entry(const struct rules_verdict *v)
{
	return v && !v->is_default && v->action != RULES_CREATE &&
	       !(v->origin && !strcmp(v->origin, "proctor") && v->where &&
		 !strcmp(v->where, "files.write"));
}

/*
 * lit, the literal path of a write refused: a temporary name in it
 * (sed -i's "sedOmDv7I" beside the file it edits) or the caller's pid as
 * the glob of such names, which a later run's name matches.  (The name
 * in lit is bracketed already; these globs are made from names with no
 * glob characters, which stay as they are.)
 */
static void temp_glob(char *lit, size_t size, const struct tracer_event *e,
		      pid_t pid)
{
	const char *base = strrchr(e->object, '/');
	char *slash = strrchr(lit, '/'), glob[NAME_MAX * 3 + 1], dir[PATH_MAX];

	if (!base || !slash || strpbrk(base, "*?[$") || by_entry(e->verdict))
		return;
	if (!(makes_new_name(e) &&
	      rules_learn_temp_name(base + 1, glob, sizeof(glob))) &&
	    !family_pid_glob(base + 1, pid, glob, sizeof(glob)))
		return;
	snprintf(dir, sizeof(dir), "%.*s",
		 (int)(base == e->object ? 1 : base - e->object), e->object);
	if (!matches_there(dir, glob))
		snprintf(slash + 1, size - (size_t)(slash + 1 - lit), "%s",
			 glob);
}

/* What to pass to the --allow-* flag so that the object is allowed. */
static void advice_for(char *out, size_t size, const struct tracer_event *e,
		       const struct rules_verdict *v, pid_t pid)
{
	char *lit;

	/* a process's /proc/PID: no later run has that pid */
	if (e->cls != RULES_CONNECT && e->object &&
	    tracer_path_proc_pid(e->object))
		return;
	/* an address with no family proctor grants: no flag names it */
	if (e->cls == RULES_CONNECT && e->object &&
	    !strcmp(e->object, "unnamed"))
		return;
	if (e->cls == RULES_EXEC && e->advice && e->advice[0]) {
		snprintf(out, size, "%s", e->advice);
	} else if (e->cls == RULES_EXEC && e->advice) {
		return; /* none a flag can carry (a blank in the name) */
	} else if (e->cls == RULES_EXEC) {
		tracer_printable(out, size, v->pattern);
	} else if (e->cls == RULES_CONNECT &&
		   (!e->object_key || strcmp(e->object_key, "addr") ||
		    strncmp(e->object, "unix:", 5))) {
		/* an address or a name: no globs in them */
		tracer_printable(out, size, e->object);
	} else {
		size_t skip = e->cls == RULES_CONNECT ? 5 : 0;

		lit = malloc(ADVICE_MAX);
		if (!lit)
			return;
		snprintf(lit, ADVICE_MAX, "%.*s", (int)skip, e->object);
		literal(lit + skip, ADVICE_MAX - skip, e->object + skip);
		if (e->cls == RULES_WRITE)
			temp_glob(lit, ADVICE_MAX, e, pid);
		tracer_printable(out, size, lit);
		free(lit);
		if (e->cls == RULES_WRITE)
			lock_target(out, size, e->object);
	}
}

/* "--allow-exec 'a' --allow-exec 'b'": one flag per line of advice. */
static void flags_for(char *out, size_t size, const char *flag,
		      const char *advice)
{
	char *one = malloc(ADVICE_MAX);
	size_t o = 0, n;

	out[0] = '\0';
	for (; one && *advice && o + 1 < size; advice += n + (advice[n] != 0)) {
		n = strcspn(advice, "\n");
		snprintf(one, ADVICE_MAX, "%.*s", (int)n, advice);
		o += (size_t)snprintf(out + o, size - o, "%s%s ", o ? " " : "",
				      flag);
		if (o + 8 < size)
			shell_quote(out + o, size - o, one);
		o += strlen(out + o);
	}
	free(one);
}

static const char *flag_for(enum rules_class c)
{
	switch (c) {
	case RULES_READ:
		return "--allow-read";
	case RULES_WRITE:
		return "--allow-write";
	case RULES_EXEC:
		return "--allow-exec";
	default:
		return "--allow-net";
	}
}

/* What became of the question, when there was one. */
static void why_asked(char *out, size_t size, const struct tracer_event *e)
{
	const char *by = e->answered_by;

	if (!by)
		return;
	if (!strcmp(by, "unattended"))
		snprintf(out, size,
			 " (a question, with no terminal and no "
			 "approval socket to ask: denied)");
	else if (!strcmp(by, "timeout"))
		snprintf(out, size,
			 " (a question, not answered in time: "
			 "denied)");
	else if (!strcmp(by, "gone"))
		snprintf(out, size, "; the program ended before the answer");
	else if (!strcmp(by, "signal"))
		snprintf(out, size,
			 "; proctor was told to end (a signal) before the "
			 "answer: denied");
	else
		snprintf(out, size, "; answered %s (%s)",
			 e->answer ? e->answer : "deny", by);
}

/*
 * A denial by the run's own --deny-*: the user asked for it this very
 * run, so no --allow-* is advised (of the object itself it would tie
 * with the flag, and lose; of something narrower it would undo the
 * user's own word).  By the class: the entry's text need not read as
 * the object ($WORKSPACE, a "//", a prefix of words).
 */
/* Whether pattern, a path as written, names path: "//", "/./" and a
 * "/" at the end aside; a pattern with globs or variables does not. */
static bool same_path(const char *pattern, const char *path)
{
	while (*pattern && *path) {
		if (*pattern == '/' && *path == '/') {
			/* "//" and "/./" are one "/" */
			for (;;) {
				pattern += strspn(pattern, "/");
				if (pattern[0] != '.' ||
				    (pattern[1] != '/' && pattern[1]))
					break;
				pattern++;
			}
			path++;
			continue;
		}
		if (*pattern != *path || strchr("*?[$~", *pattern))
			return false;
		pattern++;
		path++;
	}
	pattern += strspn(pattern, "/");
	return !*pattern && !*path;
}

static bool own_deny_flag(const struct tracer_event *e,
			  const struct rules_verdict *v)
{
	static const struct {
		const char *flag;
		enum rules_class cls;
	} flags[] = {
		{ "--deny-read", RULES_READ },
		{ "--deny-write", RULES_WRITE },
		{ "--deny-exec", RULES_EXEC },
		{ "--deny-net", RULES_CONNECT },
	};
	size_t i;

	if (v->is_default || v->action != RULES_DENY ||
	    strcmp(v->origin, "command line"))
		return false;
	for (i = 0; i < sizeof(flags) / sizeof(*flags); i++) {
		if (strcmp(v->where, flags[i].flag))
			continue;
		if (e->cls == flags[i].cls)
			return true;
		/*
		 * What may not be read may not be written, unless a more
		 * specific write entry names it: the advice for what lies
		 * beneath the flag's path works; for the path itself it
		 * ties, and loses.
		 */
		if (flags[i].cls == RULES_READ && e->cls == RULES_WRITE)
			return e->object && same_path(v->pattern, e->object);
	}
	return false;
}

bool tracer_event_unsaid(const struct tracer_event *e)
{
	/* a datagram socket aimed at port 0: glibc sorting the addresses
	 * it found; logged, not worth a line */
	if (e->cls == RULES_CONNECT && e->object_key &&
	    !strcmp(e->object_key, "addr") && strlen(e->object) > 2 &&
	    !strcmp(e->object + strlen(e->object) - 2, ":0"))
		return true;
	return e->sort_probe || e->absent || e->unsupported;
}

/* A file's write refused by a read rule (a secret's directory). */
static bool read_too(const struct tracer_event *e, const char *by_name)
{
	const char *where = e->verdict ? e->verdict->where : NULL;

	return e->cls == RULES_WRITE && !e->is_dir && !by_name && where &&
	       !strncmp(where, "files.read.", 11);
}

/* The denial, and the flags that would allow it. */
static void say_with_advice(const struct tracer_event *e, const char *head,
			    const char *by_name, pid_t pid)
{
	char *advice = calloc(1, ADVICE_MAX), *quoted = NULL;

	if (advice && by_name)
		snprintf(advice, ADVICE_MAX, "%s", by_name);
	else if (advice)
		advice_for(advice, ADVICE_MAX, e, e->verdict, pid);
	if (advice && advice[0] && (quoted = calloc(1, 2 * ADVICE_MAX + 8)))
		flags_for(quoted, 2 * ADVICE_MAX + 8,
			  /* a listing, a change of a directory itself
			   * (rmdir, chmod): the directory alone, not what
			   * is beneath it (a secret directory's files) */
			  e->cls == RULES_READ && e->is_dir && !by_name
				  ? "--allow-list"
			  : e->cls == RULES_WRITE && e->is_dir && !by_name
				  ? "--allow-dir"
				  : flag_for(e->cls),
			  advice);
	if (quoted && quoted[0] && read_too(e, by_name)) {
		size_t at = strlen(quoted);

		/* a write a read rule refuses: the program reads it too
		 * (ssh's known_hosts), which the write flag leaves refused */
		snprintf(quoted + at, 2 * ADVICE_MAX + 8 - at, " ");
		flags_for(quoted + at + 1, 2 * ADVICE_MAX + 8 - at - 1,
			  "--allow-read", advice);
	}
	if (quoted && quoted[0])
		fprintf(stderr, "%s; allow with %s\n", head, quoted);
	else if (e->cls == RULES_EXEC && e->object && strpbrk(e->object, " \t"))
		fprintf(stderr,
			"%s; a flag cannot name a program whose path has a "
			"blank (its words split there): allow it in a policy "
			"file, as an array: {\"exec\": {\"allow\": "
			"[[\"PATH\", \"ARG\"]]}}\n",
			head);
	else
		fprintf(stderr, "%s\n", head);
	free(advice);
	free(quoted);
}

/*
 * What a denial is said once for: its class and object, a process's
 * own file in /proc for every process (Chromium sets oom_score_adj of
 * each child: one line, not fifteen).
 */
static void say_key(char *key, size_t size, const struct tracer_event *e)
{
	const char *o = e->object ? e->object : "";
	size_t digits = strncmp(o, "/proc/", 6) ? 0
						: strspn(o + 6, "0123456789");

	if (digits && o[6 + digits] == '/')
		snprintf(key, size, "%d:/proc/*%s", e->cls, o + 6 + digits);
	else
		snprintf(key, size, "%d:%s", e->cls, o);
}

/*
 * A link or rename refused as its old name: what the call would have
 * made of it (a link writes a file through its new name too: git's
 * clone of a local repository tries one for each object, then copies).
 */
static void new_name(char *obj, size_t size, const struct tracer_event *e)
{
	char to[512];
	size_t at = strlen(obj);

	tracer_printable(to, sizeof(to), e->object2);
	snprintf(obj + at, size - at, " (%s %s)",
		 strncmp(e->syscall, "link", 4) ? "moved to" : "linked as", to);
}

void tracer_explain_denial(const struct tracer_who *w,
			   const struct tracer_event *e)
{
	const struct rules_verdict *v = e->verdict;
	char key[4200], obj[1024], prog[64], rule[600], pat[256];
	char name[256], by_name[300], head[2200];
	const char *what = e->cls_name ? e->cls_name : rules_class_name(e->cls);
	const char *port;
	bool named = e->name && e->name[0];
	char ask[160] = "";

	if (tracer_event_unsaid(e))
		return;
	say_key(key, sizeof(key), e);
	if (!first_time(key))
		return;
	if (e->argv && e->argc && e->cls == RULES_EXEC)
		command_text(obj, sizeof(obj), e);
	else
		tracer_printable(obj, sizeof(obj), e->object);
	if (!e->allowed && e->object2 && e->syscall)
		new_name(obj, sizeof(obj), e);
	remember_said(what, obj);
	if (named) {
		/* "10.0.0.2:443 (example.org)"; allow the name on the port */
		port = strrchr(e->object, ':');
		tracer_printable(name, sizeof(name), e->name);
		snprintf(by_name, sizeof(by_name), "%s%s", name,
			 port ? port : "");
		snprintf(obj + strlen(obj), sizeof(obj) - strlen(obj), " (%s)",
			 name);
	}
	tracer_printable(prog, sizeof(prog), w->comm[0] ? w->comm : "?");
	tracer_printable(pat, sizeof(pat), v->pattern);
	why_asked(ask, sizeof(ask), e);
	if (e->answered_by && strcmp(e->answered_by, "unattended") &&
	    strcmp(e->answered_by, "timeout")) {
		/* the user said no: no advice needed */
		fprintf(stderr, "proctor: denied %s %s by %s (pid %d): %s\n",
			what, obj, prog, w->tgid, ask + 2);
		return;
	}
	if (v->is_default)
		snprintf(rule, sizeof(rule), "%s is %s by default (%s)%s",
			 e->cls_name && e->cls == RULES_CONNECT
				 ? "network"
				 : rules_class_name(e->cls),
			 rules_action_name(v->action), v->origin, ask);
	else
		snprintf(
			rule, sizeof(rule), "rule %s \"%s\" (%s)%s%s", v->where,
			pat, v->origin,
			e->cls != RULES_READ &&
					!strncmp(v->where, "files.read.", 11)
				? ": what may not be read may not be written"
			: v->action == RULES_CREATE
				? ", which lets the run make names in it and in "
				  "the directories it made there, and change "
				  "only what it made"
				: "",
			ask);
	if (!strcmp(v->where, RULES_WHERE_OWN)) {
		fprintf(stderr,
			"proctor: denied %s %s by %s (pid %d): proctor's own "
			"files (its log, key and settings, the run's policy "
			"files) are out of the sandbox's reach\n",
			what, obj, prog, w->tgid);
	} else if (e->holds_protected && strcmp(v->origin, "proctor")) {
		/* no flag lifts it: an allow does not undo the rule beneath */
		fprintf(stderr,
			"proctor: denied moving %s by %s (pid %d): it holds "
			"what rule %s \"%s\" (%s) names, which stays where it "
			"is; move what is inside it instead\n",
			obj, prog, w->tgid, v->where, pat, v->origin);
	} else if (e->holds_protected) {
		/* proctor's own reason: a .git file beneath, too many */
		fprintf(stderr,
			"proctor: denied moving %s by %s (pid %d): %s\n", obj,
			prog, w->tgid, pat);
	} else if (!strcmp(v->origin, "proctor") &&
		   (!strcmp(v->where, "files.write") ||
		    !strcmp(v->where, "names"))) {
		/* a link, FIFO or socket in /tmp, an address a name cannot
		 * grant: an entry lets it */
		snprintf(head, sizeof(head),
			 "proctor: denied %s %s by %s (pid %d): %s", what, obj,
			 prog, w->tgid, pat);
		say_with_advice(e, head, NULL, w->tgid);
	} else if (!strcmp(v->origin, "proctor")) {
		fprintf(stderr, "proctor: denied %s %s by %s (pid %d): %s\n",
			what, obj, prog, w->tgid, pat);
	} else if (own_deny_flag(e, v)) {
		/* the run's own --deny-*: an --allow-* of it would tie, and
		 * lose; the user asked for this */
		fprintf(stderr,
			"proctor: denied %s %s by %s (pid %d): %s, as this "
			"run's flag asks\n",
			what, obj, prog, w->tgid, rule);
	} else if (!v->is_default && !strncmp(v->where, "line ", 5)) {
		/* a saved "deny always": a flag would tie with it and lose */
		fprintf(stderr,
			"proctor: denied %s %s by %s (pid %d): your saved "
			"answer, %s (%s); take it back with proctor policy "
			"answers remove %s\n",
			what, obj, prog, w->tgid, v->where, v->origin,
			v->where + 5);
	} else {
		snprintf(head, sizeof(head),
			 "proctor: denied %s %s by %s (pid %d): %s", what, obj,
			 prog, w->tgid, rule);
		say_with_advice(e, head, named ? by_name : NULL, w->tgid);
	}
}
