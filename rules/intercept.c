/* SPDX-License-Identifier: MIT */
/*
 * Which domains TLS interception covers (#8): with "network":
 * {"intercept": true}, every allow entry for a domain that limits its
 * HTTP methods and may apply to HTTPS (no port, or 443).  The CA that
 * proctor makes is constrained to exactly these names.
 */
#include <stdio.h>

#include "rules/rules_int.h"

static bool intercepted(const struct rules_entry *e)
{
	return e->kind == RULES_ENTRY_HOST && e->action == RULES_ALLOW &&
	       e->has_http && e->http.methods &&
	       (!e->has_port || e->port == 443);
}

size_t rules_intercept_names(const struct rules_policy *p,
			     void (*fn)(const char *name, void *arg), void *arg)
{
	const struct rules_list *l = &p->cls[RULES_CONNECT];
	char name[300];
	size_t i, n = 0;

	if (!p->intercept)
		return 0;
	for (i = 0; i < l->n; i++) {
		if (!intercepted(&l->v[i]))
			continue;
		snprintf(name, sizeof(name), "%s%s", l->v[i].wild ? "*." : "",
			 l->v[i].name);
		fn(name, arg);
		n++;
	}
	return n;
}

bool rules_http_intercepted(const struct rules_policy *p,
			    const struct rules_http *h)
{
	return p->intercept && h && h->methods &&
	       (!h->has_port || h->port == 443);
}
