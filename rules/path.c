/* SPDX-License-Identifier: MIT */
/*
 * Path patterns: expansion of ~ and $VARS, normalisation, and matching by
 * whole components, so that "/w/ws" covers "/w/ws/a" but not "/w/ws-evil".
 *
 * Globs: "*", "?" and "[...]" match within one component (fnmatch(3)
 * without FNM_PATHNAME on a single component; FNM_PERIOD is not set, so
 * "*" also matches names starting with a dot: a deny of every entry of
 * the home directory must cover "~/.ssh").  FNM_NOESCAPE is set: a
 * backslash is an ordinary character; "[*]" matches a literal star.
 * "**" as a whole component matches zero or more components.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules_int.h"

/* Where a pattern starts: one or more directories, then the rest. */
struct start {
	const char *const *dirs;
	size_t n;
	const char *one; /* storage for a single directory */
	const char *rest;
};

static int msgf(char *msg, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int msgf(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool is_var_char(char c, bool first)
{
	if (c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
		return true;
	return !first && c >= '0' && c <= '9';
}

/*
 * Reads the name of "$NAME" or "${NAME}" at s (just after the '$') into
 * name.  Returns the number of bytes consumed or -EINVAL.
 */
static int var_name(const char *s, char *name, size_t size, char *msg,
		    size_t len)
{
	bool braced = *s == '{';
	const char *p = s + braced;
	size_t n = 0;

	while (is_var_char(p[n], n == 0))
		n++;
	if (n == 0 || n >= size)
		return msgf(msg, len, "expected a variable name after '$'");
	if (braced && p[n] != '}')
		return msgf(msg, len, "expected '}' after ${%.*s", (int)n, p);
	memcpy(name, p, n);
	name[n] = '\0';
	return (int)(braced + n + braced);
}

static int set_one(struct start *st, const char *dir, const char *what,
		   char *msg, size_t len)
{
	if (!dir)
		return msgf(msg, len, "%s is not known in this run", what);
	if (dir[0] != '/')
		return msgf(msg, len, "%s is \"%s\"; expected an absolute path",
			    what, dir);
	st->one = dir;
	st->dirs = &st->one;
	st->n = 1;
	return 0;
}

/* "$NAME" or "${NAME}" at the start of pat: the directories it names. */
static int start_var(struct start *st, const char *pat,
		     const struct rules_policy *p, char *msg, size_t len)
{
	char name[32];
	int n = var_name(pat + 1, name, sizeof(name), msg, len);

	if (n < 0)
		return n;
	st->rest = pat + 1 + n;
	if (*st->rest != '\0' && *st->rest != '/')
		return msgf(msg, len, "expected '/' after $%s", name);

	if (strcmp(name, "HOME") == 0)
		return set_one(st, p->home, "$HOME", msg, len);
	if (strcmp(name, "TMPDIR") == 0)
		return set_one(st, p->tmpdir, "$TMPDIR", msg, len);
	if (strcmp(name, "WORKSPACE") == 0) {
		/* No workspace: the entry names nothing, which is not an
		 * error (the built-in policy is used outside projects). */
		st->dirs = (const char *const *)p->workspaces;
		st->n = p->n_workspaces;
		return 0;
	}
	return msgf(msg, len,
		    "unknown variable $%s; "
		    "expected $HOME, $WORKSPACE or $TMPDIR",
		    name);
}

static int find_start(struct start *st, const char *pat,
		      const struct rules_env *env, char *msg, size_t len)
{
	memset(st, 0, sizeof(*st));
	st->rest = pat;

	if (pat[0] == '/')
		return set_one(st, "/", "/", msg, len);
	if (pat[0] == '~') {
		if (pat[1] != '\0' && pat[1] != '/')
			return msgf(msg, len,
				    "\"%s\": ~user is not "
				    "supported; expected ~ or ~/...",
				    pat);
		st->rest = pat + 1;
		return set_one(st, env->p->home, "~ (the home directory)", msg,
			       len);
	}
	if (pat[0] == '$')
		return start_var(st, pat, env->p, msg, len);

	if (!env->base_dir)
		return msgf(msg, len,
			    "\"%s\" is relative and there is no base "
			    "directory; expected an absolute path or one "
			    "starting with ~, $HOME, $WORKSPACE or $TMPDIR",
			    pat);
	return set_one(st, env->base_dir, "the base directory", msg, len);
}

static bool has_dotdot(const char *s)
{
	const char *c;

	for (c = strstr(s, ".."); c; c = strstr(c + 1, ".."))
		if ((c == s || c[-1] == '/') && (c[2] == '\0' || c[2] == '/'))
			return true;
	return false;
}

/*
 * Checks the part of pat the user wrote after its start.  Variables are
 * only expanded at the start: "/x/$HOME" is more likely a mistake than a
 * file named "$HOME" ("[$]" matches a literal dollar).  ".." is refused
 * rather than resolved: without the file system, "a/.." is not known to
 * mean "." when "a" is a symlink.
 */
static int check_rest(const char *pat, const char *rest, char *msg, size_t len)
{
	const char *d;

	for (d = strchr(rest, '$'); d; d = strchr(d + 1, '$'))
		if (d[1] == '{' || is_var_char(d[1], true))
			return msgf(msg, len,
				    "variables may only start "
				    "a pattern, got \"%s\"",
				    pat);
	if (has_dotdot(rest))
		return msgf(msg, len,
			    "expected a path without \"..\" "
			    "components, got \"%s\"",
			    pat);
	return 0;
}

/*
 * Writes dir + "/" + rest into out with "//", "/./" and a trailing "/"
 * collapsed.  check_rest() has refused ".." in rest; one in dir (a
 * variable or the base directory) is refused here.
 */
static int normalise(const char *dir, const char *rest, char *out, size_t size,
		     char *msg, size_t len)
{
	char tmp[PATH_MAX];
	size_t o = 0;
	char *c, *save = NULL;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/%s", dir, rest) >=
	    sizeof(tmp))
		return msgf(msg, len, "expected a path shorter than %d bytes",
			    PATH_MAX);

	for (c = strtok_r(tmp, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0)
			return msgf(msg, len,
				    "expected a directory "
				    "without \"..\" components, got \"%s\"",
				    dir);
		o += (size_t)snprintf(out + o, size - o, "/%s", c);
	}
	if (o == 0)
		snprintf(out, size, "/");
	return 0;
}

/* fnmatch treats an unclosed '[' as a literal; here it is a typo. */
static bool brackets_closed(const char *s)
{
	for (s = strchr(s, '['); s; s = strchr(s + 1, '[')) {
		s++;
		if (*s == '!' || *s == '^')
			s++;
		if (*s == ']')
			s++;
		s = strchr(s, ']');
		if (!s)
			return false;
	}
	return true;
}

static int classify(struct rules_comp *c, char *msg, size_t len)
{
	if (strcmp(c->s, "**") == 0) {
		c->kind = RULES_COMP_ANY;
	} else if (!strpbrk(c->s, "*?[")) {
		c->kind = RULES_COMP_LIT;
	} else {
		if (!brackets_closed(c->s))
			return msgf(msg, len, "unclosed '[' in \"%s\"", c->s);
		c->kind = RULES_COMP_GLOB;
	}
	return 0;
}

/*
 * Specificity, compared as one number: literal leading components first,
 * then components named ("**" names none), then glob-free over glob.
 */
static int glob_spec(const struct rules_glob *g)
{
	size_t i, lit = 0, named = 0;
	bool lead = true;

	for (i = 0; i < g->ncomp; i++) {
		lead = lead && g->comp[i].kind == RULES_COMP_LIT;
		lit += lead;
		named += g->comp[i].kind != RULES_COMP_ANY;
	}
	return (int)(lit << 16 | named << 1 | (lit == g->ncomp));
}

/*
 * Cuts the normalised text into components.  The first nlit are taken
 * as they are, globs or not: they name a directory that exists under
 * that name (the home directory, a workspace, a resolved link), and a
 * workspace "/w/ws[1]" must not stand for "/w/ws1".
 */
static int glob_split(struct rules_glob *g, size_t nlit, char *msg, size_t len)
{
	char *c, *save = NULL;
	int rc;

	g->buf = strdup(g->text);
	g->comp = calloc(strlen(g->text) / 2 + 1, sizeof(*g->comp));
	if (!g->buf || !g->comp)
		return -ENOMEM;

	for (c = strtok_r(g->buf, "/", &save); c;
	     c = strtok_r(NULL, "/", &save)) {
		g->comp[g->ncomp].s = c;
		g->comp[g->ncomp].kind = RULES_COMP_LIT;
		rc = g->ncomp < nlit ? 0
				     : classify(&g->comp[g->ncomp], msg, len);
		if (rc < 0)
			return rc;
		g->ncomp++;
	}
	g->spec = glob_spec(g);
	return 0;
}

/* The number of components of path once normalised ("//" and "." go). */
static size_t count_comps(const char *path)
{
	size_t n = 0;

	while (*path) {
		size_t c = strcspn(path, "/");

		n += c > 0 && !(c == 1 && path[0] == '.');
		path += c;
		path += strspn(path, "/");
	}
	return n;
}

/* dir, where the pattern starts, is a directory's name, not a glob. */
static int glob_one(struct rules_glob *g, const char *dir, const char *rest,
		    char *msg, size_t len)
{
	char out[PATH_MAX];
	int rc = normalise(dir, rest, out, sizeof(out), msg, len);

	if (rc < 0)
		return rc;
	g->text = strdup(out);
	if (!g->text)
		return -ENOMEM;
	return glob_split(g, count_comps(dir), msg, len);
}

/*
 * Compiles path, an absolute path meant as it is (proctor's own files),
 * into e: "*" or "[" in it are characters of a name.
 */
int rules_glob_compile_literal(struct rules_entry *e, const char *path,
			       char *msg, size_t len)
{
	if (path[0] != '/')
		return msgf(msg, len, "expected an absolute path, got \"%s\"",
			    path);
	e->globs = calloc(1, sizeof(*e->globs));
	if (!e->globs)
		return -ENOMEM;
	e->nglobs = 1;
	return glob_one(&e->globs[0], path, "", msg, len);
}

/*
 * Compiles pat into e->globs: one glob per directory it starts from.
 * Returns 0, -EINVAL with the reason in msg, or -ENOMEM.
 */
int rules_glob_compile(struct rules_entry *e, const char *pat,
		       const struct rules_env *env, char *msg, size_t len)
{
	struct start st;
	size_t i;
	int rc;

	if (pat[0] == '\0')
		return msgf(msg, len, "expected a path pattern, got \"\"");
	rc = find_start(&st, pat, env, msg, len);
	if (rc == 0)
		rc = check_rest(pat, st.rest, msg, len);
	if (rc < 0)
		return rc;

	/* With no workspace, check the pattern anyway: a policy that is
	 * valid in one project must be valid in all. */
	if (st.n == 0) {
		struct rules_glob scratch = { 0 };

		rc = glob_one(&scratch, "/", st.rest, msg, len);
		rules_glob_free(&scratch);
		return rc;
	}

	e->globs = calloc(st.n, sizeof(*e->globs));
	if (!e->globs)
		return -ENOMEM;
	for (i = 0; i < st.n; i++) {
		e->nglobs++;
		rc = glob_one(&e->globs[i], st.dirs[i], st.rest, msg, len);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/*
 * Where the literal part of g (its components before the first glob)
 * leads once its links are followed, in out; false when that is g's own
 * text or cannot be known.  What does not exist yet is taken from its
 * nearest existing ancestor.
 */
static bool resolved_text(const struct rules_glob *g, char *out, size_t size,
			  size_t *out_nlit)
{
	char lit[PATH_MAX] = "", real[PATH_MAX], *slash;
	size_t i, nlit = 0, n = 0, cut, kept;

	while (nlit < g->ncomp && g->comp[nlit].kind == RULES_COMP_LIT)
		nlit++;
	for (i = 0; i < nlit; i++)
		n += snprintf(lit + n, n < sizeof(lit) ? sizeof(lit) - n : 0,
			      "/%s", g->comp[i].s);
	if (n == 0 || n >= sizeof(lit))
		return false;
	for (cut = n; !realpath(lit, real);) {
		if (errno != ENOENT && errno != ENOTDIR)
			return false;
		slash = strrchr(lit, '/');
		if (!slash || slash == lit)
			return false; /* nothing but "/" exists */
		*slash = '\0';
		cut = (size_t)(slash - lit);
	}
	if (strncmp(g->text, lit, cut) != 0)
		return false; /* the text is not its components: leave it */
	/* real is literal, and so are the literal components after cut */
	kept = count_comps(lit);
	*out_nlit = count_comps(real) + (nlit - kept);
	/* real, then what did not exist, then the glob part */
	n = snprintf(out, size, "%s%s", strcmp(real, "/") ? real : "",
		     g->text + cut);
	return n < size && strcmp(out, g->text) != 0;
}

/*
 * Rules match the resolved path, so a deny that names a link (~/.ssh
 * made a link to ~/dotfiles/ssh) would miss what it protects: each glob
 * whose literal part leads elsewhere gets a second glob there.  For
 * deny and ask entries only: an allow that followed a link would grant
 * where the link points.
 */
int rules_glob_add_home(struct rules_entry *e, const char *pat,
			const char *owner_home, char *msg, size_t len)
{
	static const char *const starts[] = { "~", "$HOME", "${HOME}" };
	const char *rest = NULL;
	struct rules_glob *v;
	size_t i, n;

	for (i = 0; i < sizeof(starts) / sizeof(*starts) && !rest; i++) {
		n = strlen(starts[i]);
		if (!strncmp(pat, starts[i], n) &&
		    (pat[n] == '\0' || pat[n] == '/'))
			rest = pat + n;
	}
	if (!rest || !owner_home || e->nglobs == 0)
		return 0;
	v = realloc(e->globs, (e->nglobs + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	e->globs = v;
	memset(&v[e->nglobs], 0, sizeof(*v));
	e->nglobs++;
	return glob_one(&v[e->nglobs - 1], owner_home, rest, msg, len);
}

int rules_glob_add_resolved(struct rules_entry *e, char *msg, size_t len)
{
	size_t i, n = e->nglobs, nlit;
	char out[PATH_MAX];
	struct rules_glob *v;
	int rc;

	for (i = 0; i < n; i++) {
		if (!resolved_text(&e->globs[i], out, sizeof(out), &nlit))
			continue;
		v = realloc(e->globs, (e->nglobs + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		e->globs = v;
		memset(&v[e->nglobs], 0, sizeof(*v));
		v[e->nglobs].text = strdup(out);
		e->nglobs++;
		if (!v[e->nglobs - 1].text)
			return -ENOMEM;
		rc = glob_split(&v[e->nglobs - 1], nlit, msg, len);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/*
 * A saved answer names a canonical path as it is: "*" or "$HOME" in it
 * are characters of a file name, not a glob or a variable.
 */
int rules_glob_literal(struct rules_entry *e, const char *path, char *msg,
		       size_t len)
{
	struct rules_pathv pv;

	if (rules_pathv_split(&pv, path) < 0 || strstr(path, "//") ||
	    strstr(path, "/./") ||
	    (strlen(path) > 1 && path[strlen(path) - 1] == '/'))
		return msgf(msg, len,
			    "expected an absolute canonical path, "
			    "got \"%s\"",
			    path);
	e->globs = calloc(1, sizeof(*e->globs));
	if (!e->globs)
		return -ENOMEM;
	e->nglobs = 1;
	e->globs[0].text = strdup(path);
	if (!e->globs[0].text)
		return -ENOMEM;
	return glob_split(&e->globs[0], SIZE_MAX, msg, len);
}

void rules_glob_free(struct rules_glob *g)
{
	free(g->text);
	free(g->buf);
	free(g->comp);
}

/*
 * Cuts an absolute path into components.  Returns -EINVAL for a relative
 * path or a ".." component (the caller promised a canonical path; one
 * that is not must not slip past a prefix rule), -ENAMETOOLONG.
 */
int rules_pathv_split(struct rules_pathv *pv, const char *path)
{
	size_t len;
	char *s;

	pv->n = 0;
	if (!path || path[0] != '/')
		return -EINVAL;
	len = strlen(path);
	if (len >= sizeof(pv->buf))
		return -ENAMETOOLONG;
	memcpy(pv->buf, path, len + 1);

	for (s = pv->buf; *s;) {
		char *c = s;

		if (*s == '/') {
			*s++ = '\0';
			continue;
		}
		s += strcspn(s, "/");
		if (*s)
			*s++ = '\0';
		if (strcmp(c, "..") == 0)
			return -EINVAL;
		if (strcmp(c, ".") == 0)
			continue;
		if (pv->n == RULES_ARRAY_SIZE(pv->comp))
			return -ENAMETOOLONG;
		pv->comp[pv->n++] = c;
	}
	return 0;
}

static bool comp_match(const struct rules_comp *c, const char *s)
{
	if (c->kind == RULES_COMP_LIT)
		return strcmp(c->s, s) == 0;
	return fnmatch(c->s, s, FNM_NOESCAPE) == 0;
}

/*
 * Whether g matches the whole of pv or, with beneath, a leading part of
 * it.  "**" is matched like "*" in the classic wildcard algorithm, one
 * component at a time: remembering only the last "**" and retrying from
 * there is enough because every other component matches exactly one
 * component, and it keeps the cost at O(pattern * path).
 */
bool rules_glob_match(const struct rules_glob *g, const struct rules_pathv *pv,
		      bool beneath)
{
	size_t pi = 0, si = 0, star = SIZE_MAX, mark = 0;

	while (si < pv->n) {
		if (pi < g->ncomp && g->comp[pi].kind == RULES_COMP_ANY) {
			star = pi++;
			mark = si;
		} else if (pi < g->ncomp &&
			   comp_match(&g->comp[pi], pv->comp[si])) {
			pi++;
			si++;
		} else if (pi == g->ncomp && beneath) {
			return true;
		} else if (star != SIZE_MAX) {
			pi = star + 1;
			si = ++mark;
		} else {
			return false;
		}
	}
	while (pi < g->ncomp && g->comp[pi].kind == RULES_COMP_ANY)
		pi++;
	return pi == g->ncomp;
}

/* The specificity of the best glob of e that matches, or -1. */
int rules_path_entry_match(const struct rules_entry *e,
			   const struct rules_pathv *pv, bool beneath)
{
	int best = -1;
	size_t i;

	beneath = beneath && !e->itself;
	for (i = 0; i < e->nglobs; i++)
		if (e->globs[i].spec > best &&
		    rules_glob_match(&e->globs[i], pv, beneath))
			best = e->globs[i].spec;
	return best;
}

/*
 * Specificity of a name glob (abstract sockets, program names): its
 * literal prefix, and a glob-free name above any glob of that length.
 */
int rules_name_spec(const char *glob)
{
	size_t lit = strcspn(glob, "*?[");

	return (int)(lit << 1 | (glob[lit] == '\0'));
}

/*
 * Length of the valid UTF-8 sequence at s, or 0.  Valid as RFC 3629
 * says: no overlong forms, no surrogates (U+D800..U+DFFF), nothing past
 * U+10FFFF; so that strict decoders take every line.
 */
size_t rules_utf8_len(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf; /* the second byte's range */
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0; /* overlong */
	else if (s[0] == 0xed)
		hi = 0x9f; /* surrogates */
	else if (s[0] == 0xf0)
		lo = 0x90; /* overlong */
	else if (s[0] == 0xf4)
		hi = 0x8f; /* past U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}
