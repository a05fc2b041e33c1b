/* SPDX-License-Identifier: MIT */
/*
 * Verdicts.
 *
 * Precedence (the README copies this text):
 *
 * 1. Of the entries of a class that match, the most specific wins.
 *    - Paths (files, unix sockets, programs named by a path) compare, in
 *      this order: the number of leading components without globs; then
 *      the number of components named, a "**" naming none; then a
 *      pattern without globs beats one with globs; then a file entry
 *      for its object alone ("beneath": false) beats one that covers
 *      what is beneath it too.  So "~/.ssh" beats
 *      "~"; "$WORKSPACE/build" beats "$WORKSPACE" followed by "*"; a
 *      pattern for ".pem" files at any depth under the workspace beats
 *      "$WORKSPACE" itself, which names fewer components; and
 *      "$WORKSPACE" beats "$WORKSPACE" followed by "**", which names the
 *      same files.
 *    - Addresses: the longer prefix wins.  IPv4 counts as IPv4-mapped
 *      IPv6, so 10.0.0.0/8 is a /104 and 127.0.0.1 a /128.  With equal
 *      prefixes, an entry with a port beats one without.  Abstract
 *      socket names: the longer literal prefix, then a name without
 *      globs.
 *    - Commands: more words win.
 * 2. Among equally specific entries an entry given on the command line
 *    or a saved answer wins (it is the user's own word, so the advice
 *    printed with a denial, "allow with --allow-exec 'git push'", works,
 *    and "allow always" beats the ask rule that asked); then
 *    the strictest action wins: deny, then ask, then create, then allow.
 *    Among equal actions an entry with a grant wins (a later layer
 *    that gives "git push" a grant must not lose to the built-in "git
 *    push" without one); otherwise the earliest layer is reported.
 * 3. When no entry matches, the class default decides.  A layer's
 *    "default" replaces the one of the layers before it; lists add up.
 * 4. A write must also pass the read denials: every files.read entry
 *    whose action is deny or ask takes part in a files.write decision as
 *    if it were a files.write entry, under rules 1 and 2.  So a secret
 *    that may not be read may not be written either, unless a strictly
 *    more specific files.write entry names it; the write default is less
 *    specific than any entry.  A files.read allow grants no write.
 *
 * Input that breaks a promise of rules.h (a relative or non-canonical
 * path) is denied with origin "rules": a check never fails open.
 */
#include <string.h>

#include "rules/rules_int.h"

static const char *const default_where[RULES_NCLASS] = {
	[RULES_READ] = "files.read.default",
	[RULES_WRITE] = "files.write.default",
	[RULES_EXEC] = "exec.default",
	[RULES_CONNECT] = "network.default",
};

static int strictness(enum rules_action a)
{
	switch (a) {
	case RULES_DENY:
		return 3;
	case RULES_ASK:
		return 2;
	case RULES_CREATE:
		return 1;
	case RULES_ALLOW:
		break;
	}
	return 0;
}

/*
 * The user's own word: an entry from the command line or a saved answer.
 * It wins a tie with an equally specific entry of another kind.
 */
static bool user_word(const struct rules_entry *e)
{
	return e->answer || !strcmp(e->origin, "command line");
}

/* Keeps e if it matched (spec >= 0) and wins over the best so far. */
void rules_consider(struct rules_best *b, const struct rules_entry *e, int spec)
{
	if (spec < 0 || spec < b->spec)
		return;
	if (spec == b->spec && b->e) {
		if (user_word(e) != user_word(b->e)) {
			if (!user_word(e))
				return;
		} else if (strictness(e->action) < strictness(b->e->action)) {
			return;
		} else if (strictness(e->action) == strictness(b->e->action) &&
			   (!e->grant || b->e->grant)) {
			return; /* the same: only a grant is worth more */
		}
	}
	b->e = e;
	b->spec = spec;
}

void rules_decide(const struct rules_policy *p, enum rules_class c,
		  const struct rules_best *b, struct rules_verdict *out)
{
	const struct rules_list *l = &p->cls[c];

	if (b->e) {
		out->action = b->e->action;
		out->origin = b->e->origin;
		out->where = b->e->where;
		out->pattern = b->e->pattern;
		out->is_default = false;
		out->grant = b->e->grant;
		out->http = b->e->has_http ? &b->e->http : NULL;
		return;
	}
	out->action = l->def;
	out->origin = l->def_origin;
	out->where = default_where[c];
	out->pattern = rules_action_name(l->def);
	out->is_default = true;
	out->grant = NULL;
	out->http = NULL;
}

void rules_refuse(struct rules_verdict *out, const char *why)
{
	out->action = RULES_DENY;
	out->origin = "rules";
	out->where = why;
	out->pattern = "";
	out->is_default = false;
	out->grant = NULL;
	out->http = NULL;
}

static void best_path(struct rules_best *b, const struct rules_list *l,
		      const struct rules_pathv *pv, bool denials_only)
{
	const struct rules_entry *e;

	int spec;

	for (e = l->v; e < l->v + l->n; e++) {
		if (denials_only && e->action != RULES_DENY &&
		    e->action != RULES_ASK)
			continue;
		/* the object alone is narrower than it and all beneath */
		spec = rules_path_entry_match(e, pv, !e->answer);
		rules_consider(b, e, spec < 0 ? spec : spec * 2 + e->itself);
	}
}

/* A path checked as a unix socket address. */
static void check_socket_path(const struct rules_policy *p, const char *path,
			      struct rules_verdict *out)
{
	struct rules_addr a = { .kind = RULES_ADDR_UNIX_PATH };

	if (!path || strlen(path) >= sizeof(a.path)) {
		rules_refuse(out, "socket path too long");
		return;
	}
	strcpy(a.path, path);
	rules_check_addr(p, &a, out);
}

void rules_check_path(const struct rules_policy *p, enum rules_class c,
		      const char *path, struct rules_verdict *out)
{
	struct rules_best b = { NULL, RULES_SPEC_DEFAULT };
	struct rules_pathv pv;

	switch (c) {
	case RULES_EXEC:
		rules_check_exec(p, path, NULL, 0, out);
		return;
	case RULES_CONNECT:
		check_socket_path(p, path, out);
		return;
	case RULES_READ:
	case RULES_WRITE:
		break;
	default:
		rules_refuse(out, "unknown class");
		return;
	}
	if (rules_pathv_split(&pv, path) < 0) {
		rules_refuse(out, "not an absolute canonical path");
		return;
	}

	best_path(&b, &p->cls[c], &pv, false);
	if (c == RULES_WRITE)
		best_path(&b, &p->cls[RULES_READ], &pv, true);
	rules_decide(p, c, &b, out);
}

void rules_check_addr(const struct rules_policy *p, const struct rules_addr *a,
		      struct rules_verdict *out)
{
	const struct rules_list *l = &p->cls[RULES_CONNECT];
	struct rules_best b = { NULL, RULES_SPEC_DEFAULT };
	const struct rules_entry *e;
	struct rules_pathv pv;

	pv.n = 0;
	if (!a || strnlen(a->path, sizeof(a->path)) == sizeof(a->path)) {
		rules_refuse(out, "address not NUL-terminated");
		return;
	}
	if (a->kind == RULES_ADDR_UNIX_PATH &&
	    rules_pathv_split(&pv, a->path) < 0) {
		rules_refuse(out, "socket path not absolute and canonical");
		return;
	}

	for (e = l->v; e < l->v + l->n; e++)
		rules_consider(&b, e, rules_addr_entry_match(e, a, &pv));
	rules_decide(p, RULES_CONNECT, &b, out);
}

void rules_check_exec(const struct rules_policy *p, const char *exe,
		      const char *const *argv, size_t argc,
		      struct rules_verdict *out)
{
	const struct rules_list *l = &p->cls[RULES_EXEC];
	struct rules_best b = { NULL, RULES_SPEC_DEFAULT };
	const struct rules_entry *e;
	struct rules_pathv pv;

	if (rules_pathv_split(&pv, exe) < 0) {
		rules_refuse(out, "program not an absolute canonical path");
		return;
	}
	if (!argv)
		argc = 0;

	for (e = l->v; e < l->v + l->n; e++)
		rules_consider(&b, e,
			       rules_exec_entry_match(e, exe, &pv, argv, argc));
	rules_decide(p, RULES_EXEC, &b, out);
}
