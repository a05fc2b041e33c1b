/* SPDX-License-Identifier: MIT */
/*
 * Learning: events of a run in, a policy that allows them out.  The rules
 * of generalisation are listed in learn.h and the README; this file
 * applies them in three passes:
 *
 * 1. rules_learn_add() turns each event into an item (a pattern with a
 *    count of events and a reason) as soon as it arrives: paths are
 *    named with ~ / $WORKSPACE / $TMPDIR and their per-run names become
 *    globs; commands and host names are kept whole for now.
 * 2. rules_learn_policy() collapses: entries beneath one directory past
 *    the threshold, host names under one registrable domain, command
 *    invocations into prefixes.
 * 3. It writes the policy, one entry per line.
 *
 * The public suffix list comes from libpsl's built-in copy, so that
 * learning reads no file.
 *
 * The learned policy says "builtin": false: it stands in place of the
 * base, so the base's deny and ask entries are copied into it (learn.h).
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <libpsl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/learn.h"
#include "rules/rules_int.h"

enum kind {
	K_EXACT,
	K_SYSTEM,
	K_TMPDIR,
	K_GLOB,
	K_BUILD,
	K_DEV,
	K_CREATE,
	K_SECRET,
	K_NEEDED,
	K_DIR,
	K_FLOOR,
	K_KEPT, /* a deny or ask entry of the base, copied */
};

/* One entry of the learned policy. */
struct item {
	enum rules_class cls;
	enum rules_action action; /* allow or create */
	bool review;
	bool alive; /* false once merged into another item */
	enum kind kind;
	/* a directory alone ("beneath": false): the run listed it, made
	 * it or changed it, which grants nothing beneath it */
	bool itself;
	char *pattern; /* exec: the words, separated by '\n' */
	unsigned long events;
	char *why;
	size_t merged; /* entries beneath it merged into it */
};

/* One distinct command line (exec) or host name (connect). */
struct seen {
	char *key;   /* exec: program '\n' words...; connect: the name */
	bool review; /* denied */
	bool interp; /* exec: as a script's interpreter */
	char *why;   /* review: why it was denied */
	unsigned long events;
};

struct list {
	void *v;
	size_t n, cap;
};

/*
 * A chained hash index over the positions of a list, which only grows:
 * looking an entry up costs the same with 10 entries or a million.
 */
struct index {
	size_t *head; /* cap chains; SIZE_MAX ends one */
	size_t *next; /* per position */
	uint64_t *hash;
	size_t cap, n, ncap;
};

struct rules_learn {
	char *home, *tmpdir;
	char **ws;
	size_t n_ws;
	const struct rules_policy *base;
	bool permissive;
	/* the built-in policy for this run's names, and for the names of
	 * the user who will enforce the policy (reader_home): their read
	 * denials are secrets whatever the base says */
	struct rules_policy *secrets[2];
	char *reader_home;
	const struct rules_policy *own; /* the user's own policy, or NULL */

	bool unsure;	   /* the event being added: its names may be others */
	struct list items; /* struct item */
	struct list cmds;  /* struct seen */
	struct list names; /* struct seen */
	struct index items_ix, cmds_ix, names_ix;
	/* --permissive: the directories the run made (char *), where a
	 * create rule lets it make more */
	struct list made;
	struct index made_ix;
	/* the names the run made anew (O_EXCL, mkdir; char *): its own, so
	 * what it does to them later needs no entry */
	struct list anew;
	struct index anew_ix;
};

/* ---- small helpers ------------------------------------------------------ */

static void *grow(struct list *l, size_t size)
{
	void *v;
	size_t cap;

	if (l->n == l->cap) {
		cap = l->cap ? l->cap * 2 : 32;
		v = realloc(l->v, cap * size);
		if (!v)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	return (char *)l->v + l->n++ * size;
}

/* FNV-1a of s, mixed with a few bits of the key that are not text. */
static uint64_t hash_of(const char *s, unsigned int extra)
{
	uint64_t h = 1469598103934665603ULL ^ extra;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h ^ (h >> 29);
}

static void index_free(struct index *x)
{
	free(x->head);
	free(x->next);
	free(x->hash);
	memset(x, 0, sizeof(*x));
}

/* The first position in the chain of h, or SIZE_MAX. */
static size_t index_first(const struct index *x, uint64_t h)
{
	return x->cap ? x->head[h & (x->cap - 1)] : SIZE_MAX;
}

static size_t index_next(const struct index *x, size_t i)
{
	return x->next[i];
}

/* Doubles the chains when they grow long, and links every position again. */
static int index_grow(struct index *x)
{
	size_t cap = x->cap ? x->cap * 2 : 256, i, *head;

	head = malloc(cap * sizeof(*head));
	if (!head)
		return -ENOMEM;
	for (i = 0; i < cap; i++)
		head[i] = SIZE_MAX;
	free(x->head);
	x->head = head;
	x->cap = cap;
	for (i = 0; i < x->n; i++) {
		x->next[i] = head[x->hash[i] & (cap - 1)];
		head[x->hash[i] & (cap - 1)] = i;
	}
	return 0;
}

/* Indexes position x->n (the list's newest entry) under h. */
static int index_add(struct index *x, uint64_t h)
{
	size_t ncap, *next;
	uint64_t *hash;

	if (x->n == x->ncap) {
		ncap = x->ncap ? x->ncap * 2 : 256;
		next = realloc(x->next, ncap * sizeof(*next));
		if (!next)
			return -ENOMEM;
		x->next = next;
		hash = realloc(x->hash, ncap * sizeof(*hash));
		if (!hash)
			return -ENOMEM;
		x->hash = hash;
		x->ncap = ncap;
	}
	x->hash[x->n++] = h;
	if (x->n > x->cap) {
		/* links every position, this one included */
		if (index_grow(x) < 0) {
			x->n--;
			return -ENOMEM;
		}
		return 0;
	}
	x->next[x->n - 1] = x->head[h & (x->cap - 1)];
	x->head[h & (x->cap - 1)] = x->n - 1;
	return 0;
}

/* A set of paths: a list of strings and its index. */
static bool set_has(const struct list *set, const struct index *ix,
		    const char *path)
{
	uint64_t h = hash_of(path, 0);
	char **v = set->v;
	size_t i;

	for (i = index_first(ix, h); i != SIZE_MAX; i = index_next(ix, i))
		if (ix->hash[i] == h && !strcmp(v[i], path))
			return true;
	return false;
}

static int set_add(struct list *set, struct index *ix, const char *path)
{
	char **slot;

	if (set_has(set, ix, path))
		return 0;
	slot = grow(set, sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	*slot = strdup(path);
	if (!*slot || index_add(ix, hash_of(path, 0)) < 0) {
		free(*slot);
		set->n--;
		return -ENOMEM;
	}
	return 0;
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

static char *fmt(const char *f, ...)
{
	va_list ap;
	char *s;

	va_start(ap, f);
	if (vasprintf(&s, f, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

/* path is dir or beneath it, by whole components. */
static bool beneath(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return path[0] == '/';
	return strncmp(path, dir, n) == 0 &&
	       (path[n] == '\0' || path[n] == '/');
}

static void free_vars(struct rules_learn *l)
{
	size_t i;

	for (i = 0; i < l->n_ws; i++)
		free(l->ws[i]);
	free(l->ws);
	free(l->home);
	free(l->tmpdir);
	l->ws = NULL;
	l->n_ws = 0;
	l->home = l->tmpdir = NULL;
}

static int keep_protections(struct rules_learn *l);

static struct rules_policy *builtin_for(const struct rules_learn *l,
					const char *home)
{
	struct rules_vars v = { home, l->tmpdir, (const char *const *)l->ws,
				l->n_ws };
	struct rules_policy *p;
	char err[256];

	if (rules_policy_new(&p, &v) < 0)
		return NULL;
	if (rules_policy_add_json(p, rules_default_json, "built-in", NULL, err,
				  sizeof(err)) < 0) {
		rules_policy_free(p);
		return NULL;
	}
	return p;
}

/*
 * The secrets are the built-in policy's, whatever the base says (a
 * --base that allows ~/.ssh/id_rsa, or drops the built-in policy), for
 * the run's home and for the home of the user who enforces the policy
 * (a log recorded with another home).
 */
static int build_secrets(struct rules_learn *l)
{
	rules_policy_free(l->secrets[0]);
	rules_policy_free(l->secrets[1]);
	l->secrets[0] = l->secrets[1] = NULL;
	l->secrets[0] = builtin_for(l, l->home);
	if (!l->secrets[0])
		return -ENOMEM;
	if (l->reader_home &&
	    (!l->home || strcmp(l->home, l->reader_home) != 0)) {
		l->secrets[1] = builtin_for(l, l->reader_home);
		if (!l->secrets[1])
			return -ENOMEM;
	}
	return 0;
}

int rules_learn_set_reader(struct rules_learn *l, const char *home,
			   const struct rules_policy *own)
{
	l->own = own;
	free(l->reader_home);
	l->reader_home = home ? strdup(home) : NULL;
	if (home && !l->reader_home)
		return -ENOMEM;
	return build_secrets(l);
}

int rules_learn_set_run(struct rules_learn *l, const struct rules_vars *v,
			const struct rules_policy *base, bool permissive)
{
	size_t i;

	free_vars(l);
	l->base = base;
	l->own = NULL; /* the reader's, for this run, comes next */
	l->permissive = permissive;
	if ((v->home && !(l->home = strdup(v->home))) ||
	    (v->tmpdir && !(l->tmpdir = strdup(v->tmpdir))))
		return -ENOMEM;
	l->ws = calloc(v->n_workspaces + 1, sizeof(*l->ws));
	if (!l->ws)
		return -ENOMEM;
	for (i = 0; i < v->n_workspaces; i++) {
		l->ws[i] = strdup(v->workspaces[i]);
		if (!l->ws[i])
			return -ENOMEM;
		l->n_ws++;
	}
	if (build_secrets(l) < 0)
		return -ENOMEM;
	return keep_protections(l);
}

int rules_learn_new(struct rules_learn **out, const struct rules_vars *v,
		    const struct rules_policy *base, bool permissive)
{
	struct rules_learn *l = calloc(1, sizeof(*l));
	int rc;

	*out = NULL;
	if (!l)
		return -ENOMEM;
	rc = rules_learn_set_run(l, v, base, permissive);
	if (rc < 0) {
		rules_learn_free(l);
		return rc;
	}
	*out = l;
	return 0;
}

static void free_seen(struct list *list)
{
	struct seen *s = list->v;
	size_t i;

	for (i = 0; i < list->n; i++) {
		free(s[i].key);
		free(s[i].why);
	}
	free(list->v);
}

void rules_learn_free(struct rules_learn *l)
{
	struct item *it;
	size_t i;

	if (!l)
		return;
	it = l->items.v;
	for (i = 0; i < l->items.n; i++) {
		free(it[i].pattern);
		free(it[i].why);
	}
	free(l->items.v);
	free_seen(&l->cmds);
	free_seen(&l->names);
	for (i = 0; i < l->made.n; i++)
		free(((char **)l->made.v)[i]);
	free(l->made.v);
	for (i = 0; i < l->anew.n; i++)
		free(((char **)l->anew.v)[i]);
	free(l->anew.v);
	index_free(&l->anew_ix);
	index_free(&l->made_ix);
	index_free(&l->items_ix);
	index_free(&l->cmds_ix);
	index_free(&l->names_ix);
	free_vars(l);
	rules_policy_free(l->secrets[0]);
	rules_policy_free(l->secrets[1]);
	free(l->reader_home);
	free(l);
}

/* ---- names: globs for what changes from run to run ----------------------- */

/* A run of letters and digits that no person chose. */
static bool random_run(const char *s, size_t n)
{
	size_t i, digits = 0, letters = 0, hex = 0, flips = 0;

	for (i = 0; i < n; i++) {
		digits += isdigit((unsigned char)s[i]) != 0;
		letters += isalpha((unsigned char)s[i]) != 0;
		hex += isxdigit((unsigned char)s[i]) != 0;
		if (i && !isdigit((unsigned char)s[i]) !=
				 !isdigit((unsigned char)s[i - 1]))
			flips++;
	}
	if (n >= 16 && hex == n && digits && letters)
		return true; /* a hash */
	if (n >= 5 && digits == n)
		return true; /* a pid, a time */
	/* mkstemp's XXXXXX: letters and digits mixed */
	return n >= 6 && digits >= 2 && letters >= 2 && flips >= 2;
}

/* Appends c to out, escaped so that a glob matches it literally. */
static size_t put_lit(char *out, size_t o, size_t size, char c)
{
	if (strchr("*?[$", c) && o + 3 < size) {
		out[o++] = '[';
		out[o++] = c;
		out[o++] = ']';
	} else if (o + 1 < size) {
		out[o++] = c;
	}
	return o;
}

/*
 * Python's tempfile names: "tmp", eight of [a-z0-9_] and perhaps a
 * suffix; the underscores split them into runs too short to look random.
 */
static size_t tmp_prefix(const char *name)
{
	size_t n;

	if (strncmp(name, "tmp", 3) != 0)
		return 0;
	n = strspn(name + 3, "abcdefghijklmnopqrstuvwxyz0123456789_");
	return n == 8 && (!name[11] || name[11] == '.') ? 3 + n : 0;
}

/* Writes name, its random runs as "*" when glob, into out. */
static bool name_to(const char *name, char *out, size_t size, bool glob)
{
	size_t o = 0, n, t = glob ? tmp_prefix(name) : 0;
	bool changed = false;
	const char *s = name;

	if (t) {
		o = (size_t)snprintf(out, size, "tmp*");
		s += t;
		changed = true;
	}
	while (*s && o + 1 < size) {
		n = 0;
		while (isalnum((unsigned char)s[n]))
			n++;
		if (glob && n && random_run(s, n)) {
			if (!(o && out[o - 1] == '*'))
				out[o++] = '*';
			s += n;
			changed = true;
			continue;
		}
		if (!n)
			n = 1;
		while (n--)
			o = put_lit(out, o, size, *s++);
	}
	out[o] = '\0';
	return changed;
}

void rules_learn_name(const char *name, char *out, size_t size)
{
	name_to(name, out, size, true);
}

/* 0 lower-case letter, 1 upper-case, 2 digit */
static int char_class(char c)
{
	if (isdigit((unsigned char)c))
		return 2;
	return isupper((unsigned char)c) ? 1 : 0;
}

/*
 * The chosen part of a name's last run of six or more letters and
 * digits, if one looks chosen: mkstemp chooses six characters (sed -i's
 * "sedOmDv7I", gcc's "ccA1b2C3.s"), mktemp(1) ten ("tmp.AbCdEf1234").
 * The part is the run after the lower-case letters that begin the
 * name (the template's "sed"), six at the least; it looks chosen when
 * its characters after the first (which a word may capitalise) change
 * class (lower case, upper case, digit), but for a word with a number
 * ("sudoers2024", "hosts2"), whose one change is to the digits it
 * ends with.
 */
static bool chosen_part(const char *name, size_t *at, size_t *len)
{
	size_t i = 0, n, start = 0, run = 0, lower = 0, k, changes = 0;

	while (name[i]) {
		for (n = 0; isalnum((unsigned char)name[i + n]); n++)
			;
		if (n >= 6) {
			start = i;
			run = n;
		}
		i += n ? n : 1;
	}
	if (!run)
		return false;
	/* a prefix of the template's, unless a '.' or '_' ended it */
	while (!start && lower < run && islower((unsigned char)name[lower]))
		lower++;
	*len = run - lower > 6 ? run - lower : 6;
	*at = start + run - *len;
	for (k = *at + 2; k < *at + *len; k++)
		changes += char_class(name[k]) != char_class(name[k - 1]);
	/* one change from letters to digits is a word and its number */
	return changes >= 2 ||
	       (changes == 1 && !isdigit((unsigned char)name[*at + 1]) &&
		!isdigit((unsigned char)name[*at + *len - 1]));
}

/*
 * Where a UUID (8-4-4-4-12 hex digits, as npm's cache and many others
 * name a temporary file) starts in name, or -1.  Its shape says it was
 * chosen, whatever else the name holds.
 */
static long uuid_at(const char *name)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	size_t n = strlen(name), at, k;

	for (at = 0; at + sizeof(shape) - 1 <= n; at++) {
		for (k = 0; k < sizeof(shape) - 1; k++)
			if (shape[k] == '-'
				    ? name[at + k] != '-'
				    : !isxdigit((unsigned char)name[at + k]))
				break;
		if (k == sizeof(shape) - 1)
			return (long)at;
	}
	return -1;
}

/* A name with a UUID in it: each of its hex digits a "?". */
static bool uuid_glob(const char *name, char *out, size_t size)
{
	long at = uuid_at(name);
	size_t i, o = 0;

	if (at < 0)
		return false;
	for (i = 0; name[i] && o + 1 < size; i++)
		if (i >= (size_t)at && i < (size_t)at + 36 && name[i] != '-')
			out[o++] = '?';
		else
			o = put_lit(out, o, size, name[i]);
	out[o] = '\0';
	return true;
}

bool rules_learn_temp_name(const char *name, char *out, size_t size)
{
	size_t t = tmp_prefix(name), at = 3, len = t ? t - 3 : 0, o = 0, i;
	size_t kept;

	if (size && !t && uuid_glob(name, out, size))
		return true;
	if (!size || (!t && !chosen_part(name, &at, &len)))
		return false;
	/* what stays of the name must say whose it is: "sed", "tmp.", not
	 * "*" or "*.d", which name what others chose too */
	for (i = 0, kept = 0; name[i]; i++)
		kept += (i < at || i >= at + len) &&
			isalnum((unsigned char)name[i]);
	if (kept < 2)
		return false;
	/* one "?" a chosen character: "sed??????" never takes "sed", nor
	 * "post-checkout" a "post-checkout4711"'s glob would */
	for (i = 0; name[i] && o + 1 < size; i++)
		if (i >= at && i < at + len)
			out[o++] = '?';
		else
			o = put_lit(out, o, size, name[i]);
	out[o] = '\0';
	return true;
}

/* Build outputs: one glob per extension and directory. */
static const char *build_ext(const char *name)
{
	static const char *const exts[] = { "o",   "a",	    "so",  "lo",
					    "la",  "d",	    "pyc", "pyo",
					    "gch", "class", "obj", "dep" };
	const char *dot = strrchr(name, '.');
	size_t i;

	if (!dot || dot == name)
		return NULL;
	for (i = 0; i < RULES_ARRAY_SIZE(exts); i++)
		if (strcmp(dot + 1, exts[i]) == 0)
			return dot + 1;
	return NULL;
}

/* ---- paths ----------------------------------------------------------------- */

static const char *const system_roots[] = { "/usr",   "/etc",	"/lib",
					    "/lib32", "/lib64", "/libx32",
					    "/bin",   "/sbin",	"/opt" };

static const char *system_root(const char *path)
{
	size_t i;

	for (i = 0; i < RULES_ARRAY_SIZE(system_roots); i++)
		if (beneath(path, system_roots[i]))
			return system_roots[i];
	return NULL;
}

/* The variable path starts with, and how much of path it stands for. */
static const char *start_of(const struct rules_learn *l, const char *path,
			    size_t *len)
{
	size_t i, best = 0;

	if (l->tmpdir && beneath(path, l->tmpdir)) {
		*len = strlen(l->tmpdir);
		return "$TMPDIR";
	}
	for (i = 0; i < l->n_ws; i++)
		if (beneath(path, l->ws[i]) && strlen(l->ws[i]) > best)
			best = strlen(l->ws[i]);
	if (best) {
		*len = best;
		return "$WORKSPACE";
	}
	if (l->home && strcmp(l->home, "/") && beneath(path, l->home)) {
		*len = strlen(l->home);
		return "~";
	}
	*len = 0;
	return "";
}

/*
 * A component that names a process or a terminal: the N of /proc/N,
 * /proc/N/task/N and /dev/pts/N (depth counts from 0).
 */
static bool per_process(const char *path, size_t depth, const char *c)
{
	if (!c[0] || strspn(c, "0123456789") != strlen(c))
		return false;
	return (depth == 1 && !strncmp(path, "/proc/", 6)) ||
	       (depth == 3 && !strncmp(path, "/proc/", 6) &&
		strstr(path, "/task/") == strchr(path + 6, '/')) ||
	       (depth == 2 && !strncmp(path, "/dev/pts/", 9));
}

enum {
	P_EXACT = 1, /* only the variables (entries that wait for review) */
	P_DIR = 2,   /* a directory: its name is no build output */
	P_TEMP = 4,  /* made anew: a temporary file's name is a glob */
};

/* Whether the first len bytes of path name what the run made anew. */
static bool made_anew_at(const struct rules_learn *l, const char *path,
			 size_t len)
{
	char pre[PATH_MAX];

	if (!l->anew.n || len >= sizeof(pre))
		return false;
	memcpy(pre, path, len);
	pre[len] = '\0';
	return set_has(&l->anew, &l->anew_ix, pre);
}

/*
 * Writes path as the policy names it, as how says (P_*).  Sets *kind to
 * the rule that applied.
 */

static int path_to(const struct rules_learn *l, enum rules_class c,
		   const char *path, unsigned int how, char *out, size_t size,
		   enum kind *kind)
{
	bool exact = how & P_EXACT;
	const char *var, *sys = system_root(path);
	char copy[PATH_MAX], name[NAME_MAX * 3 + 8], *s, *save = NULL;
	size_t skip, o, depth = 0;

	*kind = K_EXACT;
	var = start_of(l, path, &skip);
	if (!exact && !strcmp(var, "$TMPDIR")) {
		*kind = K_TMPDIR;
		return snprintf(out, size, "$TMPDIR") < (int)size
			       ? 0
			       : -ENAMETOOLONG;
	}
	if (!exact && c == RULES_READ && sys && !*var) {
		*kind = K_SYSTEM;
		snprintf(out, size, "%s", sys);
		return 0;
	}
	if (snprintf(copy, sizeof(copy), "%s", path + skip) >=
	    (int)sizeof(copy))
		return -ENAMETOOLONG;

	o = (size_t)snprintf(out, size, "%s", var);
	for (s = strtok_r(copy, "/", &save); s;
	     s = strtok_r(NULL, "/", &save)) {
		bool last = !save || !*save;
		const char *ext =
			last && !exact && !(how & P_DIR) ? build_ext(s) : NULL;

		if (!exact &&
		    ((last && (how & P_TEMP)) ||
		     made_anew_at(l, path,
				  skip + (size_t)(s - copy) + strlen(s))) &&
		    rules_learn_temp_name(s, name, sizeof(name))) {
			/* sed -i's "sedOmDv7I": "sed*"; mktemp -d's, and
			 * what is in it: "tmp.*" */
			*kind = K_GLOB;
		} else if (!exact && !*var && per_process(path, depth, s)) {
			/* a process: digits, never /proc/sys or /proc/kcore */
			snprintf(name, sizeof(name), "%s",
				 strncmp(path, "/proc/", 6) ? "*" : "[0-9]*");
			*kind = K_DEV;
		} else if (ext) {
			snprintf(name, sizeof(name), "*.%s", ext);
			*kind = K_BUILD;
		} else if (name_to(s, name, sizeof(name), !exact)) {
			*kind = K_GLOB;
			/*
			 * A whole name made of the run ("20240101") becomes
			 * "*", all of its directory: near the top (the home
			 * directory, /tmp, /var/lib) one read would open the
			 * whole directory, so there it stays as it was.
			 */
			if (!strcmp(name, "*") && depth < (*var ? 2u : 3u)) {
				name_to(s, name, sizeof(name), false);
				*kind = K_EXACT;
			}
		}
		if (o + strlen(name) + 2 >= size)
			return -ENAMETOOLONG;
		o += (size_t)snprintf(out + o, size - o, "/%s", name);
		depth++;
	}
	if (o == 0)
		snprintf(out, size, "/");
	return 0;
}

int rules_learn_path(const struct rules_learn *l, enum rules_class c,
		     const char *path, char *out, size_t size)
{
	enum kind k;

	return path_to(l, c, path, false, out, size, &k);
}

/* ---- items ---------------------------------------------------------------- */

static uint64_t item_hash(enum rules_class c, enum rules_action a, bool review,
			  bool itself, const char *pattern)
{
	return hash_of(pattern, (unsigned int)c << 8 | (unsigned int)a << 2 |
					(unsigned int)itself << 1 | review);
}

/* The alive entry with this key, or NULL. */
static struct item *find_entry(struct rules_learn *l, enum rules_class c,
			       enum rules_action a, bool review, bool itself,
			       const char *pattern)
{
	uint64_t h = item_hash(c, a, review, itself, pattern);
	struct item *it = l->items.v;
	size_t i;

	for (i = index_first(&l->items_ix, h); i != SIZE_MAX;
	     i = index_next(&l->items_ix, i))
		if (l->items_ix.hash[i] == h && it[i].alive && it[i].cls == c &&
		    it[i].action == a && it[i].review == review &&
		    it[i].itself == itself && !strcmp(it[i].pattern, pattern))
			return &it[i];
	return NULL;
}

/* Counts n events for the item, made on first sight with why. */
static int add_entry(struct rules_learn *l, enum rules_class c,
		     enum rules_action a, bool review, bool itself,
		     const char *pattern, enum kind k, char *why,
		     unsigned long n)
{
	struct item *it = find_entry(l, c, a, review, itself, pattern);

	if (it) {
		it->events += n;
		free(why);
		return 0;
	}
	it = grow(&l->items, sizeof(*it));
	if (!it) {
		free(why);
		return -ENOMEM;
	}
	*it = (struct item){ .cls = c,
			     .action = a,
			     .review = review,
			     .itself = itself,
			     .alive = true,
			     .kind = k,
			     .pattern = strdup(pattern),
			     .events = n,
			     .why = why };
	if (!it->pattern ||
	    index_add(&l->items_ix, item_hash(c, a, review, itself, pattern)) <
		    0) {
		free(it->pattern);
		l->items.n--;
		free(why);
		return -ENOMEM;
	}
	return 0;
}

static int add_item(struct rules_learn *l, enum rules_class c,
		    enum rules_action a, bool review, const char *pattern,
		    enum kind k, char *why, unsigned long n)
{
	return add_entry(l, c, a, review, false, pattern, k, why, n);
}

/*
 * A policy is UTF-8 text, and no JSON escape names a byte that is not
 * UTF-8 (\u00e9 is the character, two bytes).  Such a byte of a name
 * becomes "?", which matches it, and any other byte there: an entry
 * broader than what the run did, so it waits for review.  True when a
 * byte was replaced.
 */
static bool not_utf8(char *pat)
{
	unsigned char *s = (unsigned char *)pat;
	bool changed = false;
	size_t n;

	while (*s) {
		n = rules_utf8_len(s);
		if (n) {
			s += n;
			continue;
		}
		*s++ = '?';
		changed = true;
	}
	return changed;
}

static char *why_unsure(void)
{
	return fmt("a name from a schema 1 log with characters U+0080 to "
		   "U+00FF, which that log also wrote for bytes that are not "
		   "UTF-8: it may be another name; remove \"review\" if "
		   "it is the right one");
}

static char *why_not_utf8(void)
{
	return fmt("a name that is not UTF-8: each byte that is not is "
		   "\"?\" here, which matches it and any other one byte; "
		   "remove \"review\" if that is narrow enough");
}

/* An exec entry's words as the learner keys commands: joined by '\n'. */
static char *words_key(const struct rules_entry *e)
{
	size_t i, len = 1;
	char *key;

	for (i = 0; i < e->nwords; i++)
		len += strlen(e->words[i]) + 1;
	key = calloc(1, len);
	for (i = 0; key && i < e->nwords; i++) {
		if (i)
			strcat(key, "\n");
		strcat(key, e->words[i]);
	}
	return key;
}

/*
 * The learned policy stands in place of the base ("builtin": false):
 * what the base denies or asks about is copied into it, so that its
 * protections hold (a collapsed ~/.config still leaves ~/.config/gh
 * denied) and the file says all there is.
 */
static int keep_from(struct rules_learn *l, const struct rules_policy *p,
		     int only)
{
	const struct rules_entry *e;
	char *key;
	int c, rc = 0;

	for (c = 0; p && c < RULES_NCLASS && rc == 0; c++) {
		if (only != RULES_NCLASS && c != only)
			continue;
		for (e = p->cls[c].v; e < p->cls[c].v + p->cls[c].n && rc == 0;
		     e++) {
			if (e->action != RULES_DENY && e->action != RULES_ASK)
				continue;
			key = c == RULES_EXEC ? words_key(e)
					      : strdup(e->pattern);
			if (!key)
				return -ENOMEM;
			rc = add_entry(l, (enum rules_class)c, e->action, false,
				       e->itself, key, K_KEPT,
				       fmt("kept from the base: %s %s%s",
					   e->origin, e->where,
					   e->grant ? " (without its grant)"
						    : ""),
				       0);
			free(key);
		}
	}
	return rc;
}

static int keep_protections(struct rules_learn *l)
{
	int rc = keep_from(l, l->base, RULES_NCLASS);
	/* the secrets hold even when the base dropped the built-in */
	return rc ? rc : keep_from(l, l->secrets[0], RULES_READ);
}

static char *why_of(enum kind k, enum rules_class c)
{
	switch (k) {
	case K_SYSTEM:
		return fmt("system files: reads beneath it collapse to it");
	case K_TMPDIR:
		return fmt("the run's private temporary directory");
	case K_GLOB:
		return fmt("per-run names (temporary, hash, number) as a glob");
	case K_BUILD:
		return fmt("build outputs: a glob of their extension");
	case K_DEV:
		return fmt("per-process or per-terminal names as a glob");
	default:
		break;
	}
	return fmt("the run %s it", c == RULES_READ ? "read" : "wrote");
}

/*
 * A path the built-in policy (for the run's home or the reader's) or the
 * base denies reading by an entry is a secret: written as it was, for
 * review, whatever the run was allowed.
 */
static bool denies_reading(const struct rules_policy *p, const char *path,
			   struct rules_verdict *v)
{
	if (!p)
		return false;
	rules_check_path(p, RULES_READ, path, v);
	return !v->is_default &&
	       (v->action == RULES_DENY || v->action == RULES_ASK);
}

static bool secret(const struct rules_learn *l, const char *path,
		   struct rules_verdict *v)
{
	return denies_reading(l->secrets[0], path, v) ||
	       denies_reading(l->secrets[1], path, v) ||
	       denies_reading(l->own, path, v) ||
	       denies_reading(l->base, path, v);
}

static char *why_review(bool is_secret, const struct rules_verdict *v,
			enum rules_class c, bool denied, const char *rule)
{
	if (is_secret)
		return fmt("secret: %s %s \"%s\" denies reading it; the run "
			   "%s it%s. Remove \"review\" only if it must",
			   v->origin, v->where, v->pattern,
			   c == RULES_READ ? "read" : "wrote",
			   denied ? " and was denied" : "");
	if (rule)
		return fmt("needed: the run was denied it (%s); remove "
			   "\"review\" to grant it",
			   rule);
	return fmt("needed: the base policy denies it (%s%s%s); remove "
		   "\"review\" to grant it",
		   v->where, v->pattern[0] ? " " : "", v->pattern);
}

/*
 * /, ~ and the directories above ~ are directories whatever the log
 * says (a log without "dir" cannot tell a listing from a read).
 */
static bool floor_dir(const struct rules_learn *l, const char *path)
{
	return !strcmp(path, "/") || (l->home && beneath(l->home, path));
}

/* ---- --permissive: where a create rule lets the run make files --------------
 */

static bool made_has(const struct rules_learn *l, const char *dir)
{
	return set_has(&l->made, &l->made_ix, dir);
}

/* A directory a --permissive run made (not there before it). */
static int made_add(struct rules_learn *l, const char *dir)
{
	return set_add(&l->made, &l->made_ix, dir);
}

/*
 * Whether a create rule for root lets the run make path: directly in
 * root, or in a directory the run made (README, "create").  A root with
 * glob characters is not checked.
 */
static bool create_reaches(const struct rules_learn *l, const char *root,
			   const char *path)
{
	char dir[PATH_MAX], *slash;

	if (!root || root[0] != '/' || strpbrk(root, "*?[$~"))
		return true;
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return false;
	*slash = '\0';
	return !strcmp(dir, root) || made_has(l, dir);
}

/* How the run did it: denied, made by the run, a directory, ... */
struct how {
	bool denied, created, dir, preexisting, special, made_anew;
	const char *rule;
};

static int add_path(struct rules_learn *l, enum rules_class c, const char *path,
		    const struct how *h)
{
	bool denied = h->denied, created = h->created, dir = h->dir;
	bool changed_before = false, made_elsewhere = false;
	bool made_special = false;
	const char *rule = h->rule;
	struct rules_verdict v = { 0 }, sv;
	enum action_kind { A_ALLOW, A_CREATE } ak = A_ALLOW;
	bool sec = secret(l, path, &sv), review, itself;
	char pat[PATH_MAX * 2];
	enum kind k;
	int rc;

	if (path[0] != '/')
		return -EINVAL;
	if (l->base)
		rules_check_path(l->base, c, path, &v);
	if (l->permissive && l->base)
		denied = denied ||
			 (v.action != RULES_ALLOW && v.action != RULES_CREATE);
	/* a create rule lets a run change only what it made, and make
	 * files only in the directory it names and in directories it made */
	if (l->permissive && l->base && c == RULES_WRITE &&
	    v.action == RULES_CREATE && h->preexisting)
		denied = changed_before = true;
	else if (l->permissive && l->base && c == RULES_WRITE &&
		 v.action == RULES_CREATE &&
		 !create_reaches(l, v.pattern, path))
		denied = made_elsewhere = true;
	else if (l->permissive && l->base && c == RULES_WRITE &&
		 v.action == RULES_CREATE && h->special)
		denied = made_special = true;
	if (l->permissive && c == RULES_WRITE && dir && !h->preexisting &&
	    (rc = made_add(l, path)) < 0)
		return rc;

	/* what the run does to a name it made anew is to its own */
	if (c == RULES_WRITE && !denied && !h->made_anew &&
	    set_has(&l->anew, &l->anew_ix, path))
		return 0;
	if (c == RULES_WRITE && !denied && h->made_anew &&
	    (rc = set_add(&l->anew, &l->anew_ix, path)) < 0)
		return rc;

	/* A create rule names the directory: learn the rule itself. */
	if (c == RULES_WRITE && !denied && !sec && l->base &&
	    v.action == RULES_CREATE)
		ak = A_CREATE;
	else if (created && !denied && !sec)
		return 0; /* the run's own: allowed again when it makes it */

	review = denied || sec;
	if (ak == A_CREATE)
		return add_item(l, c, RULES_CREATE, false, v.pattern, K_CREATE,
				fmt("the run made files here (%s %s)", v.where,
				    v.origin),
				1);
	dir = dir || floor_dir(l, path);
	rc = path_to(l, c, path,
		     (review || floor_dir(l, path) ? P_EXACT : 0) |
			     (dir ? P_DIR : 0) | (h->made_anew ? P_TEMP : 0),
		     pat, sizeof(pat), &k);
	if (rc)
		return rc;
	/* a directory named as a whole stays whole (/usr, $TMPDIR) */
	itself = dir && k != K_SYSTEM && k != K_TMPDIR;
	if (not_utf8(pat) && !review)
		return add_entry(l, c, RULES_ALLOW, true, itself, pat, K_NEEDED,
				 why_not_utf8(), 1);
	if (l->unsure && !review)
		return add_entry(l, c, RULES_ALLOW, true, itself, pat, K_NEEDED,
				 why_unsure(), 1);
	if (review && changed_before && !sec)
		return add_entry(l, c, RULES_ALLOW, true, itself, pat, K_NEEDED,
				 fmt("needed: it was there before the run, and "
				     "the base's create rule (%s %s \"%s\") "
				     "lets a run change only what it made; "
				     "remove \"review\" to grant it",
				     v.origin, v.where, v.pattern),
				 1);
	if (review && made_elsewhere && !sec)
		return add_entry(l, c, RULES_ALLOW, true, itself, pat, K_NEEDED,
				 fmt("needed: made in a directory the run did "
				     "not make, and the base's create rule (%s "
				     "%s \"%s\") lets a run make files only in "
				     "that directory and in those it made; "
				     "remove \"review\" to grant it",
				     v.origin, v.where, v.pattern),
				 1);
	if (review && made_special && !sec)
		return add_entry(
			l, c, RULES_ALLOW, true, itself, pat, K_NEEDED,
			fmt("needed: a symlink, FIFO or socket (or a "
			    "directory moved in that may hold them), "
			    "which the base's create rule (%s %s "
			    "\"%s\") does not let a run make (one at a "
			    "shared name is a trap for programs outside "
			    "the run); remove \"review\" to grant it",
			    v.origin, v.where, v.pattern),
			1);
	if (review)
		return add_entry(
			l, c, RULES_ALLOW, true, itself, pat,
			sec ? K_SECRET : K_NEEDED,
			why_review(sec, sec ? &sv : &v, c, h->denied, rule), 1);
	if (itself)
		return add_entry(l, c, RULES_ALLOW, false, true, pat, K_FLOOR,
				 fmt("the run %s this directory: it alone, "
				     "not what is beneath it",
				     c == RULES_READ ? "listed"
						     : "made or changed"),
				 1);
	return add_item(l, c, RULES_ALLOW, false, pat, k, why_of(k, c), 1);
}

/* ---- commands and hosts ---------------------------------------------------- */

static uint64_t seen_hash(const char *key, bool review, bool interp)
{
	return hash_of(key, (unsigned int)review << 1 | interp);
}

static struct seen *find_seen(struct list *list, const struct index *x,
			      const char *key, bool review, bool interp)
{
	uint64_t h = seen_hash(key, review, interp);
	struct seen *s = list->v;
	size_t i;

	for (i = index_first(x, h); i != SIZE_MAX; i = index_next(x, i))
		if (x->hash[i] == h && s[i].review == review &&
		    s[i].interp == interp && !strcmp(s[i].key, key))
			return &s[i];
	return NULL;
}

static int add_seen(struct list *list, struct index *x, char *key, bool review,
		    bool interp, char *why)
{
	struct seen *s;

	if (!key) {
		free(why);
		return -ENOMEM;
	}
	s = find_seen(list, x, key, review, interp);
	if (s) {
		s->events++;
		free(key);
		free(why);
		return 0;
	}
	s = grow(list, sizeof(*s));
	if (!s || index_add(x, seen_hash(key, review, interp)) < 0) {
		if (s)
			list->n--;
		free(key);
		free(why);
		return -ENOMEM;
	}
	*s = (struct seen){ .key = key,
			    .review = review,
			    .interp = interp,
			    .why = why,
			    .events = 1 };
	return 0;
}

/* How a program is named: by base name when the system holds it. */
static int program_to(const struct rules_learn *l, const char *exe, char *out,
		      size_t size)
{
	const char *base = strrchr(exe, '/');
	enum kind k;
	size_t skip;

	if (system_root(exe)) {
		name_to(base ? base + 1 : exe, out, size, false);
		return 0;
	}
	if (!strcmp(start_of(l, exe, &skip), "$TMPDIR")) {
		snprintf(out, size, "$TMPDIR/**");
		return 0;
	}
	return path_to(l, RULES_EXEC, exe, false, out, size, &k);
}

/* program '\n' word '\n' word ... */
static char *command_key(const char *prog, const char *const *argv, size_t argc)
{
	size_t i, len = strlen(prog) + 1;
	char *key, *o;

	for (i = 1; i < argc; i++)
		len += strlen(argv[i]) + 1;
	key = malloc(len);
	if (!key)
		return NULL;
	o = stpcpy(key, prog);
	for (i = 1; i < argc; i++) {
		*o++ = '\n';
		o = stpcpy(o, argv[i]);
	}
	return key;
}

static int add_exec(struct rules_learn *l, const struct rules_learn_event *e,
		    bool denied)
{
	struct rules_verdict v = { 0 };
	char prog[PATH_MAX * 2];
	char *why = NULL;
	int rc;

	if (l->base && !e->interpreter)
		rules_check_exec(l->base, e->object, e->argv, e->argc, &v);
	if (l->permissive && l->base && !e->interpreter)
		denied = denied || v.action != RULES_ALLOW;
	rc = program_to(l, e->object, prog, sizeof(prog));
	if (rc)
		return rc;
	if (denied && l->base && !e->interpreter)
		why = why_review(false, &v, RULES_EXEC, true, e->rule);
	if (not_utf8(prog) && !denied) {
		denied = true;
		why = why_not_utf8();
	} else if (l->unsure && !denied) {
		denied = true;
		why = why_unsure();
	}
	if (e->interpreter)
		return add_seen(&l->cmds, &l->cmds_ix, strdup(prog), denied,
				true, why);
	return add_seen(&l->cmds, &l->cmds_ix,
			command_key(prog, e->argv, e->argc), denied, false,
			why);
}

/* A unix socket path is named like a file; an address stays as it is. */
static char *address_to(const struct rules_learn *l, const char *addr,
			bool exact)
{
	char pat[PATH_MAX * 2], name[512];
	enum kind k;

	if (!strncmp(addr, "unix:@", 6)) {
		name_to(addr + 6, name, sizeof(name), !exact);
		return fmt("unix:@%s", name);
	}
	if (!strncmp(addr, "unix:", 5)) {
		if (path_to(l, RULES_CONNECT, addr + 5, exact ? P_EXACT : 0,
			    pat, sizeof(pat), &k))
			return NULL;
		return fmt("unix:%s", pat);
	}
	return strdup(addr);
}

/* Loopback and link-local: a name entry never grants them. */
static bool local_addr(const struct rules_addr *a)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	static const uint8_t loop6[16] = { [15] = 1 };

	if (a->kind != RULES_ADDR_IP)
		return false;
	if (!memcmp(a->ip, mapped, 12))
		return a->ip[12] == 127 ||
		       (a->ip[12] == 169 && a->ip[13] == 254);
	return !memcmp(a->ip, loop6, 16) ||
	       (a->ip[0] == 0xfe && (a->ip[1] & 0xc0) == 0x80);
}

/* The base's verdict on a connect (or, without an address, a lookup). */
static void judge_connect(const struct rules_learn *l, const char *name,
			  const struct rules_addr *a, struct rules_verdict *v)
{
	const char *names[1] = { name };
	int which;

	*v = (struct rules_verdict){ .action = RULES_DENY,
				     .where = "network.default",
				     .pattern = "" };
	if (!l->base)
		return;
	if (a)
		rules_check_connect(l->base, a, names, name ? 1 : 0, v, &which);
	else if (name)
		rules_check_name(l->base, name, v);
}

static int add_address(struct rules_learn *l, const struct rules_learn_event *e,
		       bool denied, const struct rules_verdict *v)
{
	char *pat = address_to(l, e->object, denied);
	int rc;

	if (!pat)
		return -ENOMEM;
	if ((not_utf8(pat) || l->unsure) && !denied)
		rc = add_item(l, RULES_CONNECT, RULES_ALLOW, true, pat,
			      K_NEEDED,
			      l->unsure ? why_unsure() : why_not_utf8(), 1);
	else
		rc = add_item(l, RULES_CONNECT, RULES_ALLOW, denied, pat,
			      K_EXACT,
			      denied ? why_review(false, v, RULES_CONNECT, true,
						  e->rule)
				     : fmt("the run connected to it"),
			      1);
	free(pat);
	return rc;
}

/*
 * A connect (object: the address; name: the name proctor answered for
 * it) or a lookup (object and name: the name).  Hosts are learned by
 * name, and by address too where a name cannot grant it.
 */
static int add_connect(struct rules_learn *l, const struct rules_learn_event *e,
		       bool denied)
{
	struct rules_verdict v;
	struct rules_addr a;
	char canon[256];
	bool named = e->name &&
		     !rules_name_canon(e->name, canon, sizeof(canon));
	bool addr = rules_addr_parse(e->object, &a) == 0;
	int rc;

	if (e->created && !denied)
		return 0; /* the run's own socket: allowed again when made */
	judge_connect(l, named ? canon : NULL, addr ? &a : NULL, &v);
	if (l->permissive && l->base)
		denied = denied || v.action != RULES_ALLOW;
	if (!named)
		return add_address(l, e, denied, &v);

	rc = add_seen(&l->names, &l->names_ix, strdup(canon), denied, false,
		      denied ? why_review(false, &v, RULES_CONNECT, true,
					  e->rule)
			     : NULL);
	if (rc == 0 && addr && local_addr(&a))
		rc = add_address(l, e, denied, &v);
	return rc;
}

static int add_event(struct rules_learn *l, const struct rules_learn_event *e);

int rules_learn_add(struct rules_learn *l, const struct rules_learn_event *e)
{
	int rc;

	l->unsure = e->unsure;
	rc = add_event(l, e);
	l->unsure = false;
	return rc;
}

/*
 * A directory moved to where the base's create rule alone allows, from
 * outside that rule: a run under the base is refused it (it may hold
 * symlinks, FIFOs or sockets), like a symlink made there.
 */
static bool moved_in(const struct rules_learn *l, const char *from,
		     const char *to, bool dir)
{
	struct rules_verdict vf, vt;

	if (!dir || !l->permissive || !l->base)
		return false;
	rules_check_path(l->base, RULES_WRITE, to, &vt);
	rules_check_path(l->base, RULES_WRITE, from, &vf);
	return vt.action == RULES_CREATE &&
	       !(vf.action == RULES_CREATE && vf.where && vt.where &&
		 !strcmp(vf.where, vt.where));
}

static int add_event(struct rules_learn *l, const struct rules_learn_event *e)
{
	const struct how rd = { .denied = e->denied,
				.dir = e->dir,
				.rule = e->rule };
	const struct how wr = { .denied = e->denied,
				.created = e->created,
				.dir = e->dir,
				.preexisting = e->preexisting,
				.special = e->special,
				.made_anew = e->made_anew,
				.rule = e->rule };
	int rc;

	if (!e->object || !e->object[0])
		return -EINVAL;
	switch (e->cls) {
	case RULES_READ:
		return add_path(l, RULES_READ, e->object, &rd);
	case RULES_WRITE:
		rc = add_path(l, RULES_WRITE, e->object, &wr);
		if (rc == 0 && e->to) {
			struct how wt = wr;

			wt.made_anew = false;
			wt.special = wr.special || e->to_special ||
				     moved_in(l, e->object, e->to, wr.dir);
			rc = add_path(l, RULES_WRITE, e->to, &wt);
		}
		if (rc == 0 && e->also_read)
			rc = add_path(l, RULES_READ, e->object, &rd);
		return rc;
	case RULES_EXEC:
		if (!e->interpreter && (!e->argv || e->argc == 0))
			return -EINVAL;
		return add_exec(l, e, e->denied);
	case RULES_CONNECT:
		return add_connect(l, e, e->denied);
	default:
		break;
	}
	return -EINVAL;
}

/* ---- pass 2: collapsing ---------------------------------------------------- */

/*
 * Whether dir, a written pattern, may stand for everything beneath it:
 * not /, not a top-level directory, not ~, nothing above ~, a workspace
 * or the run's TMPDIR.
 */
static bool collapsible(const struct rules_learn *l, const char *dir)
{
	size_t i;

	if (!strcmp(dir, "~") || !dir[0])
		return false;
	if (dir[0] != '/')
		return true; /* beneath ~ or a workspace */
	if (!strchr(dir + 1, '/'))
		return false;
	if (l->home && beneath(l->home, dir))
		return false;
	/* shared places: other users' and programs' files live there too */
	if (!strcmp(dir, "/var/tmp") || !strcmp(dir, "/dev/shm") ||
	    !strcmp(dir, "/run/user") || !strcmp(dir, "/home") ||
	    (!strncmp(dir, "/run/user/", 10) && !strchr(dir + 10, '/')) ||
	    (!strncmp(dir, "/home/", 6) && !strchr(dir + 6, '/')))
		return false;
	for (i = 0; i < l->n_ws; i++)
		if (beneath(l->ws[i], dir))
			return false;
	return !(l->tmpdir && beneath(l->tmpdir, dir));
}

/*
 * Writes collapse only where the run's work lives: in a workspace, the
 * run's TMPDIR, or beneath /tmp.  In ~ (and anywhere else) a directory
 * written file by file stays file by file: ~/.config or ~/.local as a
 * write entry would hand out ~/.config/git/config, autostart entries and
 * systemd units, which run code later.
 */
static bool write_collapsible(const char *dir)
{
	return !strncmp(dir, "$WORKSPACE/", 11) ||
	       !strncmp(dir, "$TMPDIR/", 8) || !strncmp(dir, "/tmp/", 5);
}

static bool in_group(const struct item *it, enum rules_class c)
{
	return it->alive && it->cls == c && it->action == RULES_ALLOW &&
	       !it->review;
}

/* An entry that took others in says so. */
static int note_merged(struct rules_learn *l, enum rules_class c)
{
	struct item *it = l->items.v;
	char *why;
	size_t i;

	for (i = 0; i < l->items.n; i++) {
		if (!in_group(&it[i], c) || !it[i].merged ||
		    it[i].kind == K_DIR)
			continue;
		why = fmt("%s, and covers %zu entr%s beneath it", it[i].why,
			  it[i].merged, it[i].merged == 1 ? "y" : "ies");
		if (!why)
			return -ENOMEM;
		free(it[i].why);
		it[i].why = why;
	}
	return 0;
}

/*
 * A directory above entries of the group: how many alive entries lie
 * beneath it (a collapsed directory counts as one), and their events.
 */
struct dir {
	char *path;
	size_t n, n_then; /* n when it collapsed */
	unsigned long events;
	bool collapsible, collapsed;
	bool self; /* an entry names it alone; it counts above it */
	unsigned long self_events;
};

struct dirs {
	struct list v; /* struct dir */
	struct index ix;
};

static struct dir *find_dir(struct dirs *d, const char *path)
{
	uint64_t h = hash_of(path, 0);
	struct dir *v = d->v.v;
	size_t i;

	for (i = index_first(&d->ix, h); i != SIZE_MAX;
	     i = index_next(&d->ix, i))
		if (d->ix.hash[i] == h && !strcmp(v[i].path, path))
			return &v[i];
	return NULL;
}

static struct dir *add_dir(struct rules_learn *l, struct dirs *d,
			   const char *path)
{
	struct dir *x = find_dir(d, path);

	if (x)
		return x;
	x = grow(&d->v, sizeof(*x));
	if (!x)
		return NULL;
	*x = (struct dir){ .path = strdup(path),
			   .collapsible = collapsible(l, path) };
	if (!x->path || index_add(&d->ix, hash_of(path, 0)) < 0) {
		free(x->path);
		d->v.n--;
		return NULL;
	}
	return x;
}

static void free_dirs(struct dirs *d)
{
	struct dir *v = d->v.v;
	size_t i;

	for (i = 0; i < d->v.n; i++)
		free(v[i].path);
	free(d->v.v);
	index_free(&d->ix);
}

/*
 * The directories above the entries of a group, as a tree of
 * components: a node is its parent and one component, so finding a path
 * costs its length, however deep it is (a table of whole paths costs
 * the length once for every directory above it: the square of the
 * depth).  A component points into the pattern of the item that made
 * it, which outlives the tree.
 */
struct node {
	size_t parent; /* SIZE_MAX: a top component ("", "~", "$WORKSPACE") */
	const char *comp;
	size_t len, depth;
	size_t item;	  /* the group's entry covering it, or SIZE_MAX */
	size_t n, n_then; /* alive entries beneath it; n when it collapsed */
	unsigned long events, self_events;
	bool self; /* an entry names it alone; it counts above it */
	bool collapsed;
};

struct tree {
	struct list v; /* struct node */
	struct index ix;
	size_t *of; /* per item (as many as when built): its node */
	size_t n_of;
};

static uint64_t node_hash(size_t parent, const char *comp, size_t len)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)parent;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)comp[i]) * 1099511628211ULL;
	return h ^ (h >> 29);
}

static size_t node_child(struct tree *t, size_t parent, const char *comp,
			 size_t len)
{
	uint64_t h = node_hash(parent, comp, len);
	struct node *v = t->v.v, *x;
	size_t i;

	for (i = index_first(&t->ix, h); i != SIZE_MAX;
	     i = index_next(&t->ix, i))
		if (t->ix.hash[i] == h && v[i].parent == parent &&
		    v[i].len == len && !memcmp(v[i].comp, comp, len))
			return i;
	x = grow(&t->v, sizeof(*x));
	if (!x)
		return SIZE_MAX;
	*x = (struct node){
		.parent = parent, .comp = comp, .len = len, .item = SIZE_MAX
	};
	x->depth = parent == SIZE_MAX
			   ? 0
			   : ((struct node *)t->v.v)[parent].depth + 1;
	if (index_add(&t->ix, h) < 0) {
		t->v.n--;
		return SIZE_MAX;
	}
	return t->v.n - 1;
}

/* The node of a pattern, made with the nodes above it. */
static size_t node_of(struct tree *t, const char *pattern)
{
	size_t at = SIZE_MAX, len;
	const char *s = pattern;

	for (;;) {
		len = strcspn(s, "/");
		at = node_child(t, at, s, len);
		if (at == SIZE_MAX || !s[len])
			return at;
		s += len + 1;
	}
}

/*
 * The directory above node i, as up() gives it: never "/" (the top
 * component of an absolute pattern, which is empty).
 */
static size_t node_up(const struct tree *t, size_t i)
{
	const struct node *v = t->v.v;
	size_t p = v[i].parent;

	if (p == SIZE_MAX || (v[p].parent == SIZE_MAX && v[p].len == 0))
		return SIZE_MAX;
	return p;
}

/* The pattern a node names (malloc'd). */
static char *node_path(const struct tree *t, size_t i)
{
	const struct node *v = t->v.v;
	size_t len = 0, j, k, n = v[i].depth + 1, *chain;
	char *p = NULL, *o;

	chain = malloc(n * sizeof(*chain));
	if (!chain)
		return NULL;
	for (j = i, k = n; j != SIZE_MAX; j = v[j].parent) {
		chain[--k] = j;
		len += v[j].len + 1;
	}
	p = malloc(len);
	for (k = 0, o = p; p && k < n; k++) {
		if (k)
			*o++ = '/';
		memcpy(o, v[chain[k]].comp, v[chain[k]].len);
		o += v[chain[k]].len;
	}
	if (p)
		*o = '\0';
	free(chain);
	return p;
}

static void tree_free(struct tree *t)
{
	free(t->v.v);
	index_free(&t->ix);
	free(t->of);
}

/* A node for every entry of the group and every directory above it. */
static int tree_build(struct rules_learn *l, enum rules_class c, struct tree *t)
{
	struct item *it = l->items.v;
	struct node *v;
	size_t i;

	t->n_of = l->items.n;
	t->of = malloc((t->n_of ? t->n_of : 1) * sizeof(*t->of));
	if (!t->of)
		return -ENOMEM;
	for (i = 0; i < t->n_of; i++) {
		t->of[i] = SIZE_MAX;
		if (!in_group(&it[i], c))
			continue;
		t->of[i] = node_of(t, it[i].pattern);
		if (t->of[i] == SIZE_MAX)
			return -ENOMEM;
		v = t->v.v;
		if (!it[i].itself)
			v[t->of[i]].item = i;
	}
	return 0;
}

/* An entry beneath another of its group adds nothing: merge it. */
static void subsume(struct rules_learn *l, enum rules_class c, struct tree *t)
{
	struct item *it = l->items.v, *a;
	struct node *v = t->v.v;
	size_t i, x;

	for (i = 0; i < t->n_of; i++) {
		if (!in_group(&it[i], c))
			continue;
		/* a directory alone, beside an entry covering it */
		x = v[t->of[i]].item;
		if (it[i].itself && x != SIZE_MAX && it[x].alive) {
			it[x].events += it[i].events;
			it[i].alive = false;
			continue;
		}
		for (x = node_up(t, t->of[i]); x != SIZE_MAX;
		     x = node_up(t, x)) {
			if (v[x].item == SIZE_MAX || v[x].item == i ||
			    !it[v[x].item].alive)
				continue;
			a = &it[v[x].item];
			a->events += it[i].events;
			a->merged += 1 + it[i].merged;
			it[i].alive = false;
			break;
		}
	}
}

/* Counts every alive entry of the group in each directory above it. */
static void count_dirs(struct rules_learn *l, enum rules_class c,
		       struct tree *t)
{
	struct item *it = l->items.v;
	struct node *v = t->v.v;
	size_t i, x;

	for (i = 0; i < t->n_of; i++) {
		if (!in_group(&it[i], c))
			continue;
		if (it[i].itself) {
			v[t->of[i]].self = true;
			v[t->of[i]].self_events += it[i].events;
		}
		for (x = node_up(t, t->of[i]); x != SIZE_MAX;
		     x = node_up(t, x)) {
			v[x].n++;
			v[x].events += it[i].events;
		}
	}
}

static int cmp_depth(const void *a, const void *b, void *arg)
{
	const struct node *v = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	if (v[x].depth != v[y].depth)
		return v[x].depth > v[y].depth ? -1 : 1;
	return x < y ? -1 : x > y;
}

/*
 * Deepest first, a directory with enough entries beneath it collapses:
 * for each directory above it, those entries become one.  (Directories
 * of one depth touch none of each other's counts.)
 */
static int mark_collapsed(struct rules_learn *l, enum rules_class c,
			  struct tree *t)
{
	struct node *v = t->v.v;
	size_t i, x, n = t->v.n, *order;
	char *path;
	bool ok;

	order = malloc((n ? n : 1) * sizeof(*order));
	if (!order)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(*order), cmp_depth, v);
	for (i = 0; i < n; i++) {
		struct node *d = &v[order[i]];

		if (d->n < RULES_LEARN_DIR_THRESHOLD)
			continue;
		path = node_path(t, order[i]);
		if (!path) {
			free(order);
			return -ENOMEM;
		}
		ok = collapsible(l, path) &&
		     (c != RULES_WRITE || write_collapsible(path));
		free(path);
		if (!ok)
			continue;
		d->collapsed = true;
		d->n_then = d->n;
		/* its entries, and the one for it alone, become one */
		d->events += d->self_events;
		for (x = node_up(t, order[i]); x != SIZE_MAX; x = node_up(t, x))
			v[x].n -= d->n_then + d->self - 1;
	}
	free(order);
	return 0;
}

static bool collapsed_above(const struct tree *t, size_t i)
{
	const struct node *v = t->v.v;

	for (i = node_up(t, i); i != SIZE_MAX; i = node_up(t, i))
		if (v[i].collapsed)
			return true;
	return false;
}

/* Entries beneath a collapsed directory give way to one for it. */
static int apply_collapsed(struct rules_learn *l, enum rules_class c,
			   struct tree *t)
{
	struct item *it = l->items.v;
	const struct node *v = t->v.v;
	size_t i;
	char *path;
	int rc = 0;

	for (i = 0; i < t->n_of; i++)
		if (in_group(&it[i], c) &&
		    (collapsed_above(t, t->of[i]) ||
		     (it[i].itself && v[t->of[i]].collapsed)))
			it[i].alive = false;
	for (i = 0; i < t->v.n && rc == 0; i++) {
		if (!v[i].collapsed || collapsed_above(t, i))
			continue;
		path = node_path(t, i);
		rc = path ? add_item(l, c, RULES_ALLOW, false, path, K_DIR,
				     fmt("%zu entries beneath it (threshold "
					 "%d)",
					 v[i].n_then,
					 RULES_LEARN_DIR_THRESHOLD),
				     v[i].events)
			  : -ENOMEM;
		free(path);
	}
	return rc;
}

/*
 * Linear in the bytes of the entries: each entry is found in the tree
 * component by component and counted once in every directory above
 * it, and a collapse updates the directories above the one that
 * collapsed.
 */
static int collapse_paths(struct rules_learn *l, enum rules_class c)
{
	struct tree t = { 0 };
	int rc = tree_build(l, c, &t);

	if (rc == 0) {
		subsume(l, c, &t);
		rc = note_merged(l, c);
	}
	if (rc == 0) {
		count_dirs(l, c, &t);
		rc = mark_collapsed(l, c, &t);
	}
	if (rc == 0)
		rc = apply_collapsed(l, c, &t);
	tree_free(&t);
	return rc;
}

/* Hosts. */

static bool looks_like_ip(const char *s)
{
	return strspn(s, "0123456789.") == strlen(s) || strchr(s, ':');
}

/* The registrable domain (example.co.uk for a.b.example.co.uk) or NULL. */
static const char *registrable(const char *name)
{
	const psl_ctx_t *psl = psl_builtin();

	if (!psl || looks_like_ip(name))
		return NULL;
	return psl_registrable_domain(psl, name);
}

/*
 * How many distinct names lie strictly under each domain: every name
 * counts once for each domain above it (a.b.example.com for
 * b.example.com, example.com and com).
 */
static int count_under(struct rules_learn *l, struct dirs *under)
{
	const struct seen *s = l->names.v;
	const char *dot;
	struct dir *x;
	size_t i;

	for (i = 0; i < l->names.n; i++) {
		if (s[i].review)
			continue;
		for (dot = strchr(s[i].key, '.'); dot;
		     dot = strchr(dot + 1, '.')) {
			x = add_dir(l, under, dot + 1);
			if (!x)
				return -ENOMEM;
			x->n++;
		}
	}
	return 0;
}

static int learn_host(struct rules_learn *l, struct dirs *under,
		      const struct seen *s)
{
	const char *reg = s->review ? NULL : registrable(s->key);
	struct dir *x = reg ? find_dir(under, reg) : NULL;
	size_t n = x ? x->n : 0;

	if (s->review)
		return add_item(l, RULES_CONNECT, RULES_ALLOW, true, s->key,
				K_NEEDED, s->why ? strdup(s->why) : NULL,
				s->events);
	if (n >= RULES_LEARN_HOST_THRESHOLD && strcmp(s->key, reg)) {
		char wild[512];

		snprintf(wild, sizeof(wild), "*.%s", reg);
		return add_item(l, RULES_CONNECT, RULES_ALLOW, false, wild,
				K_DIR,
				fmt("%zu names under %s, a registrable "
				    "domain (threshold %d)",
				    n, reg, RULES_LEARN_HOST_THRESHOLD),
				s->events);
	}
	/* TODO(#5): a port, once name entries take one */
	return add_item(l, RULES_CONNECT, RULES_ALLOW, false, s->key, K_EXACT,
			fmt("the run looked it up or connected to it by name"),
			s->events);
}

static int learn_hosts(struct rules_learn *l)
{
	struct dirs under = { 0 };
	const struct seen *s;
	size_t i;
	int rc;

	rc = count_under(l, &under);
	s = l->names.v;
	for (i = 0; i < l->names.n && rc == 0; i++)
		rc = learn_host(l, &under, &s[i]);
	free_dirs(&under);
	return rc;
}

/* Commands. */

struct inv {
	char **w; /* w[0]: the program */
	size_t n;
	unsigned long events;
};

/* A word people type as a subcommand or an operand, not a value. */
static bool plain_word(const char *w)
{
	char g[256];
	size_t n = strlen(w);

	/* glob characters are plain here: the words after the program
	 * are compared as they are ("*.c" matches only "*.c") */
	if (!n || n > 64 ||
	    !(isalnum((unsigned char)w[0]) || strchr("*?[", w[0])) ||
	    strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789._+-*?[]") != n)
		return false;
	return !name_to(w, g, sizeof(g), true);
}

static int emit_prefix(struct rules_learn *l, struct inv *v, size_t n,
		       size_t depth, bool review, const char *why)
{
	unsigned long events = 0;
	char *pat, *o;
	size_t i, len = 1;
	int rc;

	for (i = 0; i < depth; i++)
		len += strlen(v[0].w[i]) + 1;
	pat = calloc(1, len);
	if (!pat)
		return -ENOMEM;
	for (i = 0, o = pat; i < depth; i++)
		o += sprintf(o, "%s%s", i ? "\n" : "", v[0].w[i]);
	for (i = 0; i < n; i++)
		events += v[i].events;
	rc = add_item(l, RULES_EXEC, RULES_ALLOW, review, pat,
		      review ? K_NEEDED : K_EXACT,
		      why     ? strdup(why)
		      : n > 1 ? fmt("%zu command lines share this prefix", n)
			      : fmt("the run ran it"),
		      events);
	free(pat);
	return rc;
}

/* The word at depth of every invocation: same, few and plain, or not. */
static int word_spread(const struct inv *v, size_t n, size_t depth,
		       const char **words, size_t *distinct)
{
	size_t i, j;

	*distinct = 0;
	for (i = 0; i < n; i++) {
		if (depth >= v[i].n || !plain_word(v[i].w[depth]))
			return -1;
		for (j = 0; j < *distinct && strcmp(words[j], v[i].w[depth]);
		     j++)
			;
		if (j < *distinct)
			continue;
		if (*distinct > RULES_LEARN_SPLIT_MAX)
			return -1; /* too many to be subcommands */
		words[(*distinct)++] = v[i].w[depth];
	}
	return 0;
}

/*
 * Grows the prefix v[*].w[0..depth) while every invocation has the same
 * plain next word; splits into subcommands while they differ by a few
 * plain words; otherwise stops.
 */
static int prefix(struct rules_learn *l, struct inv *v, size_t n, size_t depth,
		  bool review, const char *why)
{
	const char *words[RULES_LEARN_SPLIT_MAX + 1];
	struct inv *sub;
	size_t distinct, i, j, k;
	int rc = 0;

	if (depth > RULES_LEARN_MAX_WORDS ||
	    word_spread(v, n, depth, words, &distinct) < 0 ||
	    distinct > RULES_LEARN_SPLIT_MAX)
		return emit_prefix(l, v, n, depth, review, why);
	if (distinct == 1)
		return prefix(l, v, n, depth + 1, review, why);

	sub = calloc(n, sizeof(*sub));
	if (!sub)
		return -ENOMEM;
	for (i = 0; i < distinct && rc == 0; i++) {
		for (j = 0, k = 0; j < n; j++)
			if (!strcmp(v[j].w[depth], words[i]))
				sub[k++] = v[j];
		rc = prefix(l, sub, k, depth + 1, review, why);
	}
	free(sub);
	return rc;
}

static void free_invs(struct inv *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		while (v[i].n)
			free(v[i].w[--v[i].n]);
		free(v[i].w);
	}
	free(v);
}

static int split_key(const char *key, struct inv *inv)
{
	const char *s = key;
	size_t n = 1, len;

	for (; *s; s++)
		n += *s == '\n';
	inv->w = calloc(n, sizeof(*inv->w));
	if (!inv->w)
		return -ENOMEM;
	for (s = key; inv->n < n; s += len + 1) {
		len = strcspn(s, "\n");
		inv->w[inv->n] = strndup(s, len);
		if (!inv->w[inv->n])
			return -ENOMEM;
		inv->n++;
	}
	return 0;
}

/* The invocations s[idx[0..n)] of one program, all held or none. */
static int learn_program(struct rules_learn *l, const size_t *idx, size_t n)
{
	struct seen *s = l->cmds.v;
	struct inv *v = calloc(n, sizeof(*v));
	bool review = s[idx[0]].review;
	size_t i, m = 0;
	int rc = 0;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < n && rc == 0; i++) {
		rc = split_key(s[idx[i]].key, &v[m]);
		v[m++].events = s[idx[i]].events;
	}
	if (rc == 0)
		rc = prefix(l, v, m, 1, review, review ? s[idx[0]].why : NULL);
	free_invs(v, m);
	return rc;
}

/* By program (the key's first line), held or not, then as they came. */
static int cmp_cmds(const void *a, const void *b, void *arg)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	const struct seen *s = arg;
	size_t lx = strcspn(s[x].key, "\n"), ly = strcspn(s[y].key, "\n");
	int d = strncmp(s[x].key, s[y].key, lx < ly ? lx : ly);

	if (d)
		return d;
	if (lx != ly)
		return lx < ly ? -1 : 1;
	if (s[x].review != s[y].review)
		return s[x].review ? 1 : -1;
	return x < y ? -1 : x > y;
}

static bool same_program(const struct seen *s, size_t x, size_t y)
{
	size_t lx = strcspn(s[x].key, "\n");

	return s[x].review == s[y].review && lx == strcspn(s[y].key, "\n") &&
	       !strncmp(s[x].key, s[y].key, lx);
}

static int learn_commands(struct rules_learn *l)
{
	struct seen *s = l->cmds.v;
	size_t i, j, n = 0, *idx = malloc((l->cmds.n + 1) * sizeof(*idx));
	int rc = 0;

	if (!idx)
		return -ENOMEM;
	for (i = 0; i < l->cmds.n && rc == 0; i++) {
		if (s[i].interp)
			rc = add_item(l, RULES_EXEC, RULES_ALLOW, s[i].review,
				      s[i].key, K_EXACT,
				      fmt("interpreter of a script the run "
					  "ran"),
				      s[i].events);
		else
			idx[n++] = i;
	}
	qsort_r(idx, n, sizeof(*idx), cmp_cmds, s);
	for (i = 0; i < n && rc == 0; i = j) {
		for (j = i + 1; j < n && same_program(s, idx[i], idx[j]); j++)
			;
		rc = learn_program(l, idx + i, j - i);
	}
	free(idx);
	return rc;
}

/* ---- pass 3: writing --------------------------------------------------------
 */

struct out {
	char *s;
	size_t len, cap;
	bool oom;
};

static void put(struct out *o, const char *s, size_t n)
{
	char *ns;
	size_t cap;

	if (o->oom)
		return;
	if (o->len + n + 1 > o->cap) {
		for (cap = o->cap ? o->cap : 4096; cap < o->len + n + 1;)
			cap *= 2;
		ns = realloc(o->s, cap);
		if (!ns) {
			o->oom = true;
			return;
		}
		o->s = ns;
		o->cap = cap;
	}
	memcpy(o->s + o->len, s, n);
	o->len += n;
	o->s[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void put_str(struct out *o, const char *s)
{
	char esc[8];

	puts_(o, "\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\') {
			esc[0] = '\\';
			esc[1] = *s;
			put(o, esc, 2);
		} else if ((unsigned char)*s < 0x20 || *s == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x",
				 (unsigned char)*s);
			puts_(o, esc);
		} else {
			put(o, s, 1);
		}
	}
	puts_(o, "\"");
}

static void put_pattern(struct out *o, const struct item *it)
{
	const char *s = it->pattern;
	char word[4096];
	size_t n;

	if (it->cls != RULES_EXEC) {
		put_str(o, s);
		return;
	}
	puts_(o, "[");
	for (;; s += n + 1) {
		n = strcspn(s, "\n");
		snprintf(word, sizeof(word), "%.*s", (int)n, s);
		put_str(o, word);
		if (!s[n])
			break;
		puts_(o, ", ");
	}
	puts_(o, "]");
}

static void put_item(struct out *o, const struct item *it, const char *ind,
		     bool comma)
{
	char num[32];

	puts_(o, ind);
	puts_(o, "    {\"pattern\": ");
	put_pattern(o, it);
	if (it->itself)
		puts_(o, ", \"beneath\": false");
	snprintf(num, sizeof(num), ", \"events\": %lu", it->events);
	if (it->kind != K_KEPT)
		puts_(o, num);
	if (it->why) {
		puts_(o, ", \"why\": ");
		put_str(o, it->why);
	}
	if (it->review)
		puts_(o, ", \"review\": true");
	puts_(o, comma ? "},\n" : "}\n");
}

static int cmp_items(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->alive != y->alive)
		return x->alive ? -1 : 1;
	if (x->cls != y->cls)
		return (int)x->cls - (int)y->cls;
	if (x->action != y->action)
		return (int)x->action - (int)y->action;
	if (x->review != y->review)
		return x->review ? 1 : -1;
	if (strcmp(x->pattern, y->pattern))
		return strcmp(x->pattern, y->pattern);
	return (int)x->itself - (int)y->itself;
}

/*
 * One list ("allow": [...]) of class c and action a, if not empty; ind
 * is the indentation of the class's keys.
 */
static void put_list(struct out *o, const struct rules_learn *l,
		     enum rules_class c, enum rules_action a, const char *ind)
{
	const struct item *it = l->items.v;
	size_t i, last = SIZE_MAX;

	for (i = 0; i < l->items.n; i++)
		if (it[i].alive && it[i].cls == c && it[i].action == a)
			last = i;
	if (last == SIZE_MAX)
		return;
	puts_(o, ",\n");
	puts_(o, ind);
	puts_(o, "\"");
	puts_(o, rules_action_name(a));
	puts_(o, "\": [\n");
	for (i = 0; i <= last; i++)
		if (it[i].alive && it[i].cls == c && it[i].action == a)
			put_item(o, &it[i], ind, i != last);
	puts_(o, ind);
	puts_(o, "]");
}

/* "KEY": {"default": "deny", LISTS}, at the indentation of KEY. */
static void put_class(struct out *o, const struct rules_learn *l,
		      enum rules_class c, const char *key, const char *ind,
		      bool comma)
{
	char inner[16];

	snprintf(inner, sizeof(inner), "%s  ", ind);
	puts_(o, ind);
	puts_(o, key);
	puts_(o, ": {\n");
	puts_(o, inner);
	puts_(o, "\"default\": \"deny\"");
	put_list(o, l, c, RULES_ALLOW, inner);
	if (c == RULES_WRITE)
		put_list(o, l, c, RULES_CREATE, inner);
	put_list(o, l, c, RULES_ASK, inner);
	put_list(o, l, c, RULES_DENY, inner);
	puts_(o, "\n");
	puts_(o, ind);
	puts_(o, comma ? "},\n" : "}\n");
}

/* Sorting moved the items: index them again where they now are. */
static int reindex_items(struct rules_learn *l)
{
	const struct item *it = l->items.v;
	size_t i;

	index_free(&l->items_ix);
	for (i = 0; i < l->items.n; i++)
		if (index_add(&l->items_ix,
			      item_hash(it[i].cls, it[i].action, it[i].review,
					it[i].itself, it[i].pattern)) < 0)
			return -ENOMEM;
	return 0;
}

static char *write_policy(struct rules_learn *l)
{
	struct out o = { 0 };

	qsort(l->items.v, l->items.n, sizeof(struct item), cmp_items);
	if (reindex_items(l) < 0)
		return NULL;
	puts_(&o, "{\n  \"builtin\": false,\n  \"files\": {\n");
	put_class(&o, l, RULES_READ, "\"read\"", "    ", true);
	put_class(&o, l, RULES_WRITE, "\"write\"", "    ", false);
	puts_(&o, "  },\n");
	put_class(&o, l, RULES_CONNECT, "\"network\"", "  ", true);
	put_class(&o, l, RULES_EXEC, "\"exec\"", "  ", false);
	puts_(&o, "}\n");
	if (o.oom) {
		free(o.s);
		return NULL;
	}
	return o.s;
}

/*
 * A protection of the base that an entry waiting for review names
 * exactly (the run needed "git push", which the built-in asks about) is
 * left out: held, the entry grants nothing and the default denies;
 * approved, it grants, where a tie with the copied protection would
 * have kept denying or asking.
 */
static int stand_in(struct rules_learn *l)
{
	struct item *it = l->items.v, *held;
	char *why;
	size_t i;

	for (i = 0; i < l->items.n; i++) {
		if (!it[i].alive || it[i].kind != K_KEPT)
			continue;
		held = find_entry(l, it[i].cls, RULES_ALLOW, true, it[i].itself,
				  it[i].pattern);
		if (!held)
			continue;
		why = fmt("%s; it stands in for the base's %s, left out",
			  held->why ? held->why : "",
			  strchr(it[i].why, ' ') ? strrchr(it[i].why, ' ') + 1
						 : it[i].why);
		if (!why)
			return -ENOMEM;
		free(held->why);
		held->why = why;
		it[i].alive = false;
	}
	return 0;
}

/* ---- protections beneath learned directories ------------------------------ */

/*
 * A learned directory entry is more specific than a protection with a
 * glob above it: $WORKSPACE/repo (allow) beats the deny of .git/hooks at
 * any depth of $WORKSPACE (more leading components without globs), so
 * it would grant what the base protects beneath it.  Each such
 * protection is copied again, rooted at the learned directory (.git/hooks
 * at any depth of $WORKSPACE/repo), which beats it: the README's
 * precedence is unchanged, and the protection holds.
 */
struct meet {
	const struct rules_glob *p, *d;
	char *rests[16];
	size_t n;
};

static bool comp_meets(const struct rules_comp *a, const struct rules_comp *b)
{
	if (a->kind == RULES_COMP_LIT && b->kind == RULES_COMP_LIT)
		return !strcmp(a->s, b->s);
	if (a->kind == RULES_COMP_LIT)
		return fnmatch(b->s, a->s, FNM_NOESCAPE) == 0;
	if (b->kind == RULES_COMP_LIT)
		return fnmatch(a->s, b->s, FNM_NOESCAPE) == 0;
	return true; /* two globs may meet: copy, stricter than the base */
}

static void add_rest(struct meet *m, size_t i)
{
	char rest[PATH_MAX] = "";
	size_t k, o = 0;

	for (k = i; k < m->p->ncomp && o < sizeof(rest); k++)
		o += (size_t)snprintf(rest + o, sizeof(rest) - o, "%s%s",
				      k > i ? "/" : "", m->p->comp[k].s);
	if (o >= sizeof(rest) || m->n == RULES_ARRAY_SIZE(m->rests))
		return;
	for (k = 0; k < m->n; k++)
		if (!strcmp(m->rests[k], rest))
			return;
	m->rests[m->n] = strdup(rest);
	m->n += m->rests[m->n] != NULL;
}

/*
 * What of protection p lies at or beneath directory d, as the rests of
 * p after d: p's components from i on, d's from j on.
 */
static void meet(struct meet *m, size_t i, size_t j, bool p_itself)
{
	const struct rules_glob *p = m->p, *d = m->d;

	if (j == d->ncomp) {
		add_rest(m, i);
		return;
	}
	if (i == p->ncomp) {
		if (!p_itself) /* p covers d and all beneath it */
			add_rest(m, i);
		return;
	}
	if (p->comp[i].kind == RULES_COMP_ANY) {
		meet(m, i + 1, j, p_itself);
		meet(m, i, j + 1, p_itself);
	} else if (comp_meets(&p->comp[i], &d->comp[j])) {
		meet(m, i + 1, j + 1, p_itself);
	}
}

static bool any_glob(const struct rules_glob *g)
{
	size_t i;

	for (i = 0; i < g->ncomp; i++)
		if (g->comp[i].kind == RULES_COMP_ANY)
			return true;
	return false;
}

static bool directory_entry(const struct item *it)
{
	return it->alive && !it->review && !it->itself &&
	       (it->cls == RULES_READ || it->cls == RULES_WRITE) &&
	       (it->action == RULES_ALLOW || it->action == RULES_CREATE) &&
	       (it->kind == K_DIR || it->kind == K_SYSTEM ||
		it->kind == K_TMPDIR || it->kind == K_CREATE || it->merged);
}

static int compile_pattern(const struct rules_learn *l, const char *pat,
			   struct rules_entry *e)
{
	/* the names of the run: the base's, or the built-in's for it */
	struct rules_env env = { l->base ? l->base : l->secrets[0],
				 l->n_ws ? l->ws[0] : "/" };
	char msg[256];

	*e = (struct rules_entry){ 0 };
	if (!env.p)
		return -EINVAL;
	return rules_glob_compile(e, pat, &env, msg, sizeof(msg));
}

/* Copies protection p (an item) rooted at the learned directory d. */
static int guard_one(struct rules_learn *l, const struct item *p,
		     const struct rules_entry *pe, const struct item *d,
		     const struct rules_entry *de)
{
	struct meet m = { 0 };
	size_t a, b, k;
	int rc = 0;

	for (a = 0; a < pe->nglobs; a++)
		for (b = 0; b < de->nglobs; b++) {
			if (pe->globs[a].spec >= de->globs[b].spec ||
			    any_glob(&de->globs[b]))
				continue; /* the protection wins already */
			m.p = &pe->globs[a];
			m.d = &de->globs[b];
			meet(&m, 0, 0, p->itself);
		}
	for (k = 0; k < m.n; k++) {
		char *pat = m.rests[k][0] ? fmt("%s/%s", d->pattern, m.rests[k])
					  : strdup(d->pattern);

		if (!pat)
			rc = -ENOMEM;
		else if (rc == 0)
			rc = add_entry(l, p->cls, p->action, false, p->itself,
				       pat, K_KEPT,
				       fmt("%s, again beneath the learned "
					   "\"%s\", which would beat it",
					   p->why, d->pattern),
				       0);
		free(pat);
		free(m.rests[k]);
	}
	return rc;
}

static int guard_learned(struct rules_learn *l)
{
	struct rules_entry pe, de;
	size_t i, j, n = l->items.n;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		struct item *d = (struct item *)l->items.v + i;

		if (!directory_entry(d) || compile_pattern(l, d->pattern, &de))
			continue;
		for (j = 0; j < n && rc == 0; j++) {
			struct item *p = (struct item *)l->items.v + j;

			/* a read denial denies writing too */
			if (!p->alive || p->kind != K_KEPT ||
			    (p->cls != d->cls && p->cls != RULES_READ) ||
			    (p->cls != RULES_READ && p->cls != RULES_WRITE))
				continue;
			if (compile_pattern(l, p->pattern, &pe) == 0)
				rc = guard_one(l, p, &pe, d, &de);
			rules_entry_free(&pe);
			d = (struct item *)l->items.v + i; /* items may move */
		}
		rules_entry_free(&de);
	}
	return rc;
}

char *rules_learn_policy(struct rules_learn *l, size_t *n_review)
{
	const struct item *it;
	size_t i;
	int rc;

	rc = collapse_paths(l, RULES_READ);
	if (rc == 0)
		rc = collapse_paths(l, RULES_WRITE);
	if (rc == 0)
		rc = learn_hosts(l);
	if (rc == 0)
		rc = learn_commands(l);
	if (rc == 0)
		rc = guard_learned(l);
	if (rc == 0)
		rc = stand_in(l);
	if (rc < 0)
		return NULL;

	it = l->items.v;
	if (n_review)
		for (*n_review = 0, i = 0; i < l->items.n; i++)
			*n_review += it[i].alive && it[i].review;
	return write_policy(l);
}
