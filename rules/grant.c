/* SPDX-License-Identifier: MIT */
/*
 * Grants, read by the supervisor: an exec entry may give the command it
 * names, and every process that command starts, more than the policy
 * (named reads, writes and addresses, or full access).  The grant is a
 * policy of its own, parsed in policy.c; these are its accessors.
 */
#include <stdio.h>

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
