/* SPDX-License-Identifier: MIT */
/*
 * Grants, read by the supervisor: an exec entry may give the command it
 * names, and every process that command starts, more than the policy
 * (named reads, writes and addresses, or full access).  The grant is a
 * policy of its own, parsed in policy.c; these are its accessors.
 */
#include <stdio.h>
#include <string.h>

#include "rules/rules_int.h"

const struct rules_policy *rules_grant_policy(const struct rules_grant *g)
{
	return g->p;
}

bool rules_grant_full(const struct rules_grant *g)
{
	return g->full;
}

const char *rules_grant_where(const struct rules_grant *g)
{
	return g->where;
}

const char *rules_grant_origin(const struct rules_grant *g)
{
	return g->origin;
}

void rules_grant_describe(const struct rules_grant *g, char *buf, size_t len)
{
	snprintf(buf, len, "%s", g->text ? g->text : "nothing");
}

/*
 * A grant on an entry whose program is a bare name goes to any program
 * of that name, one the sandbox wrote included (a bare name matches the
 * base name, wherever the file is): `policy check` warns of each.
 */
size_t rules_policy_bare_grants(const struct rules_policy *p,
				void (*fn)(const char *where,
					   const char *pattern, void *arg),
				void *arg)
{
	const struct rules_list *list = &p->cls[RULES_EXEC];
	size_t i, n = 0;

	for (i = 0; i < list->n; i++) {
		const struct rules_entry *e = &list->v[i];

		if (!e->grant || !e->nwords || strchr(e->words[0], '/'))
			continue;
		fn(e->where, e->pattern, arg);
		n++;
	}
	return n;
}
