/* SPDX-License-Identifier: MIT */
/*
 * Which domains TLS interception covers (#8): with "network":
 * {"intercept": true}, every allow entry for a domain that limits its
 * HTTP methods, on any port (TLS on a port written for plain HTTP is
 * still TLS whose requests the limits are for), the policy's and those
 * of commands' grants (#6).  The CA that proctor makes is constrained
 * to exactly these names.
 */
#include <stdio.h>

#include "rules/rules_int.h"

static bool intercepted(const struct rules_entry *e)
{
	return e->kind == RULES_ENTRY_HOST && e->action == RULES_ALLOW &&
	       e->has_http && e->http.methods;
}

static size_t list_names(const struct rules_list *l,
			 void (*fn)(const char *name, void *arg), void *arg)
{
	char name[300];
	size_t i, n = 0;

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

size_t rules_intercept_names(const struct rules_policy *p,
			     void (*fn)(const char *name, void *arg), void *arg)
{
	const struct rules_list *x = &p->cls[RULES_EXEC];
	size_t i, n;

	if (!p->intercept)
		return 0;
	n = list_names(&p->cls[RULES_CONNECT], fn, arg);
	for (i = 0; i < x->n; i++)
		if (x->v[i].grant)
			n += list_names(&x->v[i].grant->p->cls[RULES_CONNECT],
					fn, arg);
	return n;
}

bool rules_http_intercepted(const struct rules_policy *p,
			    const struct rules_http *h)
{
	return p->intercept && h && h->methods;
}
