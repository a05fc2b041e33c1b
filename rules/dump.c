/* SPDX-License-Identifier: MIT */
/*
 * The policy as people read it: names of actions and classes, and the
 * merged policy as one JSON document for `proctor policy show`.
 *
 * The document has the shape of a policy file, but every default and
 * every entry is an object that says where it came from:
 *
 *   "files": {"read": {
 *     "default": {"action": "allow", "origin": "built-in",
 *                 "where": "files.read.default"},
 *     "deny": [{"pattern": "~/.ssh", "origin": "built-in",
 *               "where": "files.read.deny[0]",
 *               "expanded": ["/home/u/.ssh"]}]}}
 *
 * "expanded" lists what a path pattern stands for after ~, $VARS and the
 * base directory; it is left out when that is the pattern itself.
 * Entries held back for review are listed under "review", with the
 * action they would have: they grant nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "rules/rules_int.h"

const char *rules_action_name(enum rules_action a)
{
	switch (a) {
	case RULES_ALLOW:
		return "allow";
	case RULES_ASK:
		return "ask";
	case RULES_DENY:
		return "deny";
	case RULES_CREATE:
		return "create";
	}
	return "unknown";
}

const char *rules_class_name(enum rules_class c)
{
	switch (c) {
	case RULES_READ:
		return "read";
	case RULES_WRITE:
		return "write";
	case RULES_EXEC:
		return "exec";
	case RULES_CONNECT:
		return "connect";
	case RULES_NCLASS:
		break;
	}
	return "unknown";
}

int rules_class_parse(const char *name, enum rules_class *out)
{
	int c;

	for (c = 0; c < RULES_NCLASS; c++) {
		if (!strcmp(name, rules_class_name(c))) {
			*out = c;
			return 0;
		}
	}
	return -EINVAL;
}

/* cJSON calls accept NULL parents, so a failure only needs noting. */
struct doc {
	cJSON *root;
	bool oom;
};

static cJSON *add(struct doc *d, cJSON *parent, const char *key, cJSON *item)
{
	if (!item || !parent ||
	    !(key ? cJSON_AddItemToObject(parent, key, item)
		  : cJSON_AddItemToArray(parent, item))) {
		cJSON_Delete(item);
		d->oom = true;
		return NULL;
	}
	return item;
}

static void add_str(struct doc *d, cJSON *parent, const char *key,
		    const char *s)
{
	add(d, parent, key, cJSON_CreateString(s));
}

/* The object at "a.b" under root, created as needed. */
static cJSON *object_at(struct doc *d, const char *where)
{
	char key[32];
	cJSON *o = d->root, *next;
	size_t n;

	while (o && *where) {
		n = strcspn(where, ".");
		snprintf(key, sizeof(key), "%.*s", (int)n, where);
		next = cJSON_GetObjectItemCaseSensitive(o, key);
		o = next ? next : add(d, o, key, cJSON_CreateObject());
		where += n + (where[n] == '.');
	}
	return o;
}

/* The path part of a path entry as written. */
static const char *written_path(const struct rules_entry *e)
{
	if (e->kind == RULES_ENTRY_EXEC)
		return e->words[0];
	if (strncmp(e->pattern, "unix:", 5) == 0)
		return e->pattern + 5;
	return e->pattern;
}

/* What a path pattern stands for, unless that is what was written. */
static void add_expanded(struct doc *d, cJSON *obj, const struct rules_entry *e)
{
	cJSON *exp;
	size_t i;

	if (e->kind != RULES_ENTRY_PATH &&
	    !(e->kind == RULES_ENTRY_EXEC && !e->name))
		return;
	if (e->nglobs == 1 && strcmp(e->globs[0].text, written_path(e)) == 0)
		return;
	exp = add(d, obj, "expanded", cJSON_CreateArray());
	for (i = 0; i < e->nglobs; i++)
		add_str(d, exp, NULL, e->globs[i].text);
}

static void add_pattern(struct doc *d, cJSON *obj, const struct rules_entry *e)
{
	cJSON *words;
	size_t i;

	if (!e->from_array) {
		add_str(d, obj, "pattern", e->pattern);
		return;
	}
	words = add(d, obj, "pattern", cJSON_CreateArray());
	for (i = 0; i < e->nwords; i++)
		add_str(d, words, NULL, e->words[i]);
}

/* "grant": "full", or the lists of what it allows. */
static void add_grant(struct doc *d, cJSON *obj, const struct rules_grant *g)
{
	static const char *const keys[RULES_NCLASS] = {
		[RULES_READ] = "read",
		[RULES_WRITE] = "write",
		[RULES_CONNECT] = "network",
	};
	cJSON *o, *list;
	size_t i;
	int c;

	if (g->full) {
		add_str(d, obj, "grant", "full");
		return;
	}
	o = add(d, obj, "grant", cJSON_CreateObject());
	for (c = 0; c < RULES_NCLASS; c++) {
		const struct rules_list *l = &g->p->cls[c];

		if (!keys[c])
			continue;
		list = NULL;
		for (i = 0; i < l->n; i++) {
			if (l->v[i].action != RULES_ALLOW)
				continue;
			if (!list)
				list = add(d, o, keys[c], cJSON_CreateArray());
			if (l->v[i].itself) {
				cJSON *e = add(d, list, NULL,
					       cJSON_CreateObject());

				add_str(d, e, "pattern", l->v[i].pattern);
				add(d, e, "beneath", cJSON_CreateFalse());
				continue;
			}
			add_str(d, list, NULL, l->v[i].pattern);
		}
	}
}

/* "methods" and "wire_name" of a domain entry (#8), as written. */
static void add_http(struct doc *d, cJSON *obj, const struct rules_entry *e)
{
	static const char *const names[] = {
		"GET", "HEAD",	 "OPTIONS", "POST",
		"PUT", "DELETE", "PATCH",   "TRACE"
	};
	cJSON *list;
	size_t i;

	if (e->http.methods) {
		list = add(d, obj, "methods", cJSON_CreateArray());
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (e->http.methods &
			    rules_http_method(names[i], strlen(names[i])))
				add_str(d, list, NULL, names[i]);
	}
	add_str(d, obj, "wire_name", e->http.wire_match ? "match" : "any");
}

static void add_entry(struct doc *d, cJSON *cls, const struct rules_entry *e)
{
	const char *key = rules_action_name(e->action);
	cJSON *list = cJSON_GetObjectItemCaseSensitive(cls, key);
	cJSON *obj;

	if (!list)
		list = add(d, cls, key, cJSON_CreateArray());
	obj = add(d, list, NULL, cJSON_CreateObject());
	add_pattern(d, obj, e);
	add_str(d, obj, "origin", e->origin);
	add_str(d, obj, "where", e->where);
	add_expanded(d, obj, e);
	if (e->itself)
		add(d, obj, "beneath", cJSON_CreateFalse());
	if (e->has_http)
		add_http(d, obj, e);
	if (e->grant)
		add_grant(d, obj, e->grant);
}

static void add_review(struct doc *d, cJSON *cls, const struct rules_review *r)
{
	cJSON *list = cJSON_GetObjectItemCaseSensitive(cls, "review");
	cJSON *obj;

	if (!list)
		list = add(d, cls, "review", cJSON_CreateArray());
	obj = add(d, list, NULL, cJSON_CreateObject());
	add_str(d, obj, "pattern", r->pattern);
	add_str(d, obj, "action", rules_action_name(r->action));
	add_str(d, obj, "origin", r->origin);
	add_str(d, obj, "where", r->where);
	if (r->why)
		add_str(d, obj, "why", r->why);
}

static void add_class(struct doc *d, const struct rules_policy *p,
		      enum rules_class c)
{
	const struct rules_list *l = &p->cls[c];
	cJSON *cls = object_at(d, rules_class_where[c]);
	cJSON *def = add(d, cls, "default", cJSON_CreateObject());
	char where[64];
	size_t i;

	snprintf(where, sizeof(where), "%s.default", rules_class_where[c]);
	add_str(d, def, "action", rules_action_name(l->def));
	add_str(d, def, "origin", l->def_origin);
	add_str(d, def, "where", where);
	if (c == RULES_CONNECT && p->intercept_origin) {
		cJSON *ic = add(d, cls, "intercept", cJSON_CreateObject());

		add(d, ic, "on", cJSON_CreateBool(p->intercept));
		add_str(d, ic, "origin", p->intercept_origin);
	}
	for (i = 0; i < l->n; i++)
		add_entry(d, cls, &l->v[i]);
	for (i = 0; i < p->n_reviews; i++)
		if (p->reviews[i].cls == c)
			add_review(d, cls, &p->reviews[i]);
}

static void add_prompt(struct doc *d, const struct rules_policy *p)
{
	cJSON *pr = object_at(d, "prompt");
	cJSON *t = add(d, pr, "timeout", cJSON_CreateObject());
	cJSON *u = add(d, pr, "unattended", cJSON_CreateObject());

	add(d, t, "seconds", cJSON_CreateNumber(p->prompt.timeout));
	add_str(d, t, "origin", p->prompt.timeout_origin);
	add_str(d, u, "action", rules_action_name(p->prompt.unattended));
	add_str(d, u, "origin", p->prompt.unattended_origin);
}

char *rules_policy_dump(const struct rules_policy *p)
{
	static const enum rules_class order[] = { RULES_READ, RULES_WRITE,
						  RULES_CONNECT, RULES_EXEC };
	struct doc d = { .root = cJSON_CreateObject() };
	char *s = NULL;
	size_t i;

	for (i = 0; d.root && i < RULES_ARRAY_SIZE(order); i++)
		add_class(&d, p, order[i]);
	add_prompt(&d, p);
	if (d.root && !d.oom)
		s = cJSON_Print(d.root);
	cJSON_Delete(d.root);
	return s;
}
