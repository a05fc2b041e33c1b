/* SPDX-License-Identifier: MIT */
/*
 * Exec entries are command prefixes: ["git", "push"], or "git push" split
 * on blanks.  The first word names the program: with a '/' it is a path
 * pattern that must match the whole resolved executable (nothing beneath
 * it: a program is a file); without one it is matched, globs allowed,
 * against the executable's base name.  argv[0] is never used, since the
 * caller chooses it freely.  The other words must equal argv[1], argv[2],
 * ... in order; more arguments may follow.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules_int.h"

static void free_words(char **w, size_t n)
{
	while (n)
		free(w[--n]);
	free(w);
}

/* Splits spec on blanks into *words.  Returns 0 or -ENOMEM. */
int rules_exec_split(const char *spec, char ***words, size_t *n)
{
	size_t cap = strlen(spec) / 2 + 1, len;
	char **w = calloc(cap, sizeof(*w));

	*n = 0;
	if (!w)
		return -ENOMEM;
	for (spec += strspn(spec, " \t"); *spec; spec += strspn(spec, " \t")) {
		len = strcspn(spec, " \t");
		w[*n] = strndup(spec, len);
		if (!w[*n]) {
			free_words(w, *n);
			return -ENOMEM;
		}
		(*n)++;
		spec += len;
	}
	*words = w;
	return 0;
}

static char *join(const char *const *words, size_t n)
{
	size_t i, len = 1;
	char *s;

	for (i = 0; i < n; i++)
		len += strlen(words[i]) + 1;
	s = calloc(1, len);
	if (!s)
		return NULL;
	for (i = 0; i < n; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, words[i]);
	}
	return s;
}

static int copy_words(struct rules_entry *e, const char *const *words, size_t n)
{
	size_t i;

	e->words = calloc(n, sizeof(*e->words));
	if (!e->words)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		e->words[i] = strdup(words[i]);
		if (!e->words[i])
			return -ENOMEM;
		e->nwords++;
	}
	if (!e->pattern)
		e->pattern = join(words, n);
	return e->pattern ? 0 : -ENOMEM;
}

/* Fills e from a command prefix.  Returns 0, -EINVAL with msg, -ENOMEM. */
int rules_exec_entry(struct rules_entry *e, const char *const *words, size_t n,
		     const struct rules_env *env, char *msg, size_t len)
{
	int rc;

	if (n == 0 || words[0][0] == '\0') {
		snprintf(msg, len,
			 "expected a command: a program name or path, then "
			 "the arguments it starts with");
		return -EINVAL;
	}
	e->kind = RULES_ENTRY_EXEC;
	rc = copy_words(e, words, n);
	if (rc < 0)
		return rc;
	if (strchr(words[0], '/')) {
		rc = rules_glob_compile(e, words[0], env, msg, len);
		/* a deny or ask that names a link (/usr/bin/python3) holds
		 * for the program it leads to (python3.11), as a path
		 * entry does for its file */
		if (rc == 0 &&
		    (e->action == RULES_DENY || e->action == RULES_ASK))
			rc = rules_glob_add_resolved(e, msg, len);
		return rc;
	}
	e->name = strdup(words[0]);
	return e->name ? 0 : -ENOMEM;
}

/*
 * A saved answer's command: the program's canonical path taken as it is
 * (no globs, no variables) and the arguments it ran with.
 */
int rules_exec_entry_literal(struct rules_entry *e, const char *const *words,
			     size_t n, char *msg, size_t len)
{
	int rc;

	if (n == 0 || words[0][0] != '/') {
		snprintf(msg, len, "expected the program's absolute path");
		return -EINVAL;
	}
	e->kind = RULES_ENTRY_EXEC;
	rc = copy_words(e, words, n);
	return rc < 0 ? rc : rules_glob_literal(e, words[0], msg, len);
}

/*
 * The specificity with which e matches the program exe (pv: exe cut into
 * components) run with argv, or -1.  Specificity is the number of words.
 */
int rules_exec_entry_match(const struct rules_entry *e, const char *exe,
			   const struct rules_pathv *pv,
			   const char *const *argv, size_t argc)
{
	const char *base;
	size_t i;

	if (e->nwords > 1 && argc < e->nwords)
		return -1;
	/* a saved answer is about that command line, no more arguments */
	if (e->answer && argc != e->nwords)
		return -1;
	for (i = 1; i < e->nwords; i++)
		if (!argv[i] || strcmp(argv[i], e->words[i]) != 0)
			return -1;

	if (e->name) {
		base = strrchr(exe, '/');
		base = base ? base + 1 : exe;
		if (fnmatch(e->name, base, FNM_NOESCAPE) != 0)
			return -1;
	} else if (rules_path_entry_match(e, pv, false) < 0) {
		return -1;
	}
	return (int)e->nwords;
}

size_t rules_exec_words_most(const struct rules_policy *p)
{
	const struct rules_list *x = &p->cls[RULES_EXEC];
	size_t i, most = 1, g;

	for (i = 0; i < x->n; i++) {
		if (x->v[i].nwords > most)
			most = x->v[i].nwords;
		if (x->v[i].grant &&
		    (g = rules_exec_words_most(x->v[i].grant->p)) > most)
			most = g;
	}
	return most;
}
