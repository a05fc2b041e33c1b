/* SPDX-License-Identifier: MIT */
/*
 * The write floor: the directories under which the policy could ever
 * grant a write, for the kernel's own enforcement (Landlock).  Each
 * write entry that can grant (allow, create, ask: an answer may grant
 * it) gives the literal part of its pattern before the first glob, so
 * the floor is a superset of what the rules allow, never a subset.
 * Saved answers ("allow always") are write entries like any other.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "rules/rules_int.h"

/* "/a/b/x*.c" gives "/a/b": the components before the first glob. */
static void literal_root(const struct rules_glob *g, char *out, size_t size)
{
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < g->ncomp && g->comp[i].kind == RULES_COMP_LIT; i++)
		len += snprintf(out + len, len < size ? size - len : 0, "/%s",
				g->comp[i].s);
	if (len == 0)
		snprintf(out, size, "/");
}

static int write_roots(const struct rules_policy *p,
		       void (*fn)(const char *root, bool create, void *arg),
		       void *arg)
{
	const struct rules_list *l = &p->cls[RULES_WRITE];
	char root[PATH_MAX];
	size_t i, j;

	if (l->def != RULES_DENY)
		return 1;
	for (i = 0; i < l->n; i++) {
		const struct rules_entry *e = &l->v[i];

		if (e->action == RULES_DENY || e->kind != RULES_ENTRY_PATH)
			continue;
		for (j = 0; j < e->nglobs; j++) {
			literal_root(&e->globs[j], root, sizeof(root));
			fn(root, e->action == RULES_CREATE, arg);
		}
	}
	return 0;
}

/*
 * The writes a command's grant may give its subtree belong to the floor
 * too (the floor is fixed before the first exec); a "full" grant makes
 * writes unbounded.
 */
int rules_write_roots(const struct rules_policy *p,
		      void (*fn)(const char *root, bool create, void *arg),
		      void *arg)
{
	const struct rules_list *x = &p->cls[RULES_EXEC];
	size_t i;

	if (write_roots(p, fn, arg))
		return 1;
	for (i = 0; i < x->n; i++)
		if (x->v[i].grant && x->v[i].action != RULES_DENY &&
		    write_roots(x->v[i].grant->p, fn, arg))
			return 1;
	return 0;
}

/*
 * Whether path (named exactly by a write entry) may be removed at the
 * floor: its parent gets the right to remove names, over everything
 * beneath it, so never for a place the policy names as a whole (a
 * workspace, TMPDIR) nor where the parent is /, a top-level directory
 * (/dev, /var), ~ or a directory above ~.
 */
static bool removable(const struct rules_policy *p, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t i, n = slash ? (size_t)(slash - path) : 0;

	if (n == 0 || !memchr(path + 1, '/', n - 1))
		return false; /* the parent is / or a top-level directory */
	if (p->home && !strncmp(p->home, path, n) &&
	    (p->home[n] == '\0' || p->home[n] == '/'))
		return false; /* the parent is ~ or above it */
	if (p->tmpdir && !strcmp(path, p->tmpdir))
		return false;
	for (i = 0; i < p->n_workspaces; i++)
		if (!strcmp(path, p->workspaces[i]))
			return false;
	return true;
}

static void remove_roots(const struct rules_policy *p,
			 void (*fn)(const char *root, void *arg), void *arg)
{
	const struct rules_list *l = &p->cls[RULES_WRITE];
	size_t i, j;

	for (i = 0; i < l->n; i++) {
		const struct rules_entry *e = &l->v[i];

		/* create: new names in a directory, not the directory */
		if (e->action == RULES_DENY || e->action == RULES_CREATE ||
		    e->kind != RULES_ENTRY_PATH)
			continue;
		for (j = 0; j < e->nglobs; j++)
			if ((e->globs[j].spec & 1) &&
			    removable(p, e->globs[j].text))
				fn(e->globs[j].text, arg);
	}
}

void rules_remove_roots(const struct rules_policy *p,
			void (*fn)(const char *root, void *arg), void *arg)
{
	const struct rules_list *x = &p->cls[RULES_EXEC];
	size_t i;

	remove_roots(p, fn, arg);
	for (i = 0; i < x->n; i++)
		if (x->v[i].grant && x->v[i].action != RULES_DENY)
			remove_roots(x->v[i].grant->p, fn, arg);
}

/* The entry's globs as literal paths, or false when one has a glob. */
static bool literal(const struct rules_entry *e)
{
	size_t i, j;

	if (e->kind != RULES_ENTRY_PATH)
		return false;
	for (i = 0; i < e->nglobs; i++)
		for (j = 0; j < e->globs[i].ncomp; j++)
			if (e->globs[i].comp[j].kind != RULES_COMP_LIT)
				return false;
	return true;
}

/*
 * Whether the read rules can be handed to the kernel (a Landlock
 * ruleset built from rules_read_points and the verdicts of
 * rules_check_path): reads are allowed by default, every files.read
 * entry names literal paths and allows or denies, no command's grant
 * reads beyond the policy, and no name can be reached.
 * NULL if so, else why not, for the log.
 */
const char *rules_reads_static(const struct rules_policy *p)
{
	const struct rules_list *l = &p->cls[RULES_READ];
	const struct rules_list *x = &p->cls[RULES_EXEC];
	const struct rules_list *c = &p->cls[RULES_CONNECT];
	size_t i;

	/*
	 * The kernel refuses without a word; with a default of deny, refused
	 * reads are the common case and each needs its explanation.
	 */
	if (l->def != RULES_ALLOW)
		return "files.read.default is not allow";
	for (i = 0; i < l->n; i++) {
		if (l->v[i].action != RULES_ALLOW &&
		    l->v[i].action != RULES_DENY)
			return l->v[i].where; /* ask: a question per read */
		if (!literal(&l->v[i]))
			return l->v[i].where;
		/* a listing is not a file read: Landlock does not judge it */
		if (l->v[i].itself && l->v[i].action != RULES_ALLOW)
			return l->v[i].where;
	}
	/* a grant's process is shielded from the rest of the tree (#6) */
	for (i = 0; i < x->n; i++)
		if (x->v[i].grant && x->v[i].action != RULES_DENY)
			return x->v[i].where;
	/*
	 * A name the run may reach is looked up through the resolv.conf
	 * proctor serves to the opens it carries out (tracer/dns.c).
	 */
	if (c->def != RULES_DENY)
		return "network.default";
	for (i = 0; i < c->n; i++)
		if (c->v[i].kind == RULES_ENTRY_HOST &&
		    c->v[i].action != RULES_DENY)
			return c->v[i].where;
	return NULL;
}

void rules_read_points(const struct rules_policy *p,
		       void (*fn)(const char *path, bool itself, void *arg),
		       void *arg)
{
	const struct rules_list *l = &p->cls[RULES_READ];
	size_t i, j;

	for (i = 0; i < l->n; i++)
		for (j = 0; j < l->v[i].nglobs; j++)
			fn(l->v[i].globs[j].text, l->v[i].itself, arg);
}
