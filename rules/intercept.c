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

struct name_fn {
	void (*fn)(const char *name, void *arg);
	void *arg;
};

static bool intercepted(const struct rules_entry *e, void *arg)
{
	const struct name_fn *f = arg;
	char name[300];

	if (e->kind != RULES_ENTRY_HOST || e->action != RULES_ALLOW ||
	    !e->has_http || !e->http.methods)
		return false;
	snprintf(name, sizeof(name), "%s%s", e->wild ? "*." : "", e->name);
	f->fn(name, f->arg);
	return true;
}

size_t rules_intercept_names(const struct rules_policy *p,
			     void (*fn)(const char *name, void *arg), void *arg)
{
	struct name_fn f = { fn, arg };

	return p->intercept ? rules_each_network_entry(p, intercepted, &f) : 0;
}

bool rules_http_intercepted(const struct rules_policy *p,
			    const struct rules_http *h)
{
	return p->intercept && h && h->methods;
}
