/* SPDX-License-Identifier: MIT */
/*
 * Policies: creation, layers from JSON text or files, entries from the
 * command line.
 *
 * A layer is added whole or not at all: on an error, entries and defaults
 * it had added are taken back, so a caller may report the error and carry
 * on with the policy as it was.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "rules/rules_int.h"

const char *const rules_class_where[RULES_NCLASS] = {
	[RULES_READ] = "files.read",
	[RULES_WRITE] = "files.write",
	[RULES_EXEC] = "exec",
	[RULES_CONNECT] = "network",
};

/* One layer being added. */
struct layer {
	struct rules_policy *p;
	const char *origin;
	struct rules_env env;
	char *err;
	size_t errlen;

	size_t saved_n[RULES_NCLASS];
	enum rules_action saved_def[RULES_NCLASS];
	const char *saved_origin[RULES_NCLASS];
	size_t saved_reviews;
	struct rules_prompt saved_prompt;
	bool saved_intercept;
	const char *saved_intercept_origin;

	/* the lists of a grant, whose entries cannot wait for review alone */
	bool in_grant;
	/* a path meant as it is, globs and all (proctor's own files) */
	bool literal;
	/* the entry being added names its object alone ("beneath": false) */
	bool itself;
};

static const char *const root_keys[] = { "builtin", "files",  "network",
					 "exec",    "prompt", NULL };
static const char *const prompt_keys[] = { "timeout", "unattended", NULL };
static const char *const grant_keys[] = { "read", "write", "network", NULL };
static const char *const files_keys[] = { "read", "write", NULL };
static const char *const class_keys[] = { "default", "allow", "deny", "ask",
					  NULL };
/* network may also switch TLS interception on (#8) */
static const char *const net_keys[] = { "default", "allow",	"deny",
					"ask",	   "intercept", NULL };
static const char *const write_keys[] = { "default", "allow",  "deny",
					  "ask",     "create", NULL };
/* An entry written as an object, as `proctor learn` writes them. */
static const char *const entry_keys[] = { "pattern", "events",	"why",
					  "review",  "beneath", NULL };
/* A network entry may limit HTTP methods and the name on the wire (#8). */
static const char *const net_entry_keys[] = { "pattern", "events",  "why",
					      "review",	 "methods", "wire_name",
					      NULL };
/* An exec entry may also give its command more: a grant (#6). */
static const char *const exec_entry_keys[] = { "pattern", "events", "why",
					       "review",  "grant",  NULL };

static int fail(struct layer *l, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Writes "ORIGIN: WHERE: message" into the caller's buffer. */
static int fail(struct layer *l, const char *where, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	if (!l->err || l->errlen == 0)
		return -EINVAL;
	if (where && *where)
		snprintf(l->err, l->errlen, "%s: %s: ", l->origin, where);
	else
		snprintf(l->err, l->errlen, "%s: ", l->origin);
	n = strlen(l->err);
	va_start(ap, fmt);
	vsnprintf(l->err + n, l->errlen - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int out_of_memory(struct layer *l)
{
	fail(l, NULL, "out of memory");
	return -ENOMEM;
}

static const char *type_name(const cJSON *j)
{
	if (cJSON_IsString(j))
		return "string";
	if (cJSON_IsNumber(j))
		return "number";
	if (cJSON_IsBool(j))
		return "boolean";
	if (cJSON_IsNull(j))
		return "null";
	if (cJSON_IsArray(j))
		return "array";
	return "object";
}

/* Policy and layers. */

static int copy_vars(struct rules_policy *p, const struct rules_vars *v)
{
	size_t i;

	if ((v->home && v->home[0] != '/') ||
	    (v->tmpdir && v->tmpdir[0] != '/') ||
	    (v->n_workspaces && !v->workspaces))
		return -EINVAL;
	if ((v->home && !(p->home = strdup(v->home))) ||
	    (v->tmpdir && !(p->tmpdir = strdup(v->tmpdir))))
		return -ENOMEM;
	if (v->owner_home && v->owner_home[0] == '/' &&
	    (!v->home || strcmp(v->owner_home, v->home)) &&
	    !(p->owner_home = strdup(v->owner_home)))
		return -ENOMEM;

	p->workspaces = calloc(v->n_workspaces + 1, sizeof(char *));
	if (!p->workspaces)
		return -ENOMEM;
	for (i = 0; i < v->n_workspaces; i++) {
		if (!v->workspaces[i] || v->workspaces[i][0] != '/')
			return -EINVAL;
		p->workspaces[i] = strdup(v->workspaces[i]);
		if (!p->workspaces[i])
			return -ENOMEM;
		p->n_workspaces++;
	}
	return 0;
}

/*
 * Every class starts at deny, exec included: fail closed.  The built-in
 * policy (rules_default_json), added as the first layer, is what allows
 * reads and execs in practice.
 */
int rules_policy_new(struct rules_policy **out, const struct rules_vars *v)
{
	static const struct rules_vars none;
	struct rules_policy *p = calloc(1, sizeof(*p));
	int c, rc;

	*out = NULL;
	if (!p)
		return -ENOMEM;
	for (c = 0; c < RULES_NCLASS; c++) {
		p->cls[c].def = RULES_DENY;
		p->cls[c].def_origin = "empty policy";
	}
	/* no timeout: a question waits for its answer; nobody there: deny */
	p->prompt.timeout = 0;
	p->prompt.timeout_origin = "proctor's default";
	p->prompt.unattended = RULES_DENY;
	p->prompt.unattended_origin = "proctor's default";
	rc = copy_vars(p, v ? v : &none);
	if (rc < 0) {
		rules_policy_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

void rules_grant_free(struct rules_grant *g)
{
	if (!g)
		return;
	rules_policy_free(g->p);
	free(g->where);
	free(g->text);
	free(g);
}

void rules_entry_free(struct rules_entry *e)
{
	size_t i;

	rules_grant_free(e->grant);
	for (i = 0; i < e->nglobs; i++)
		rules_glob_free(&e->globs[i]);
	free(e->globs);
	for (i = 0; i < e->nwords; i++)
		free(e->words[i]);
	free(e->words);
	free(e->name);
	free(e->pattern);
	free(e->where);
}

static void review_free(struct rules_review *r)
{
	free((char *)r->where);
	free((char *)r->pattern);
	free((char *)r->why);
}

void rules_policy_free(struct rules_policy *p)
{
	size_t i;
	int c;

	if (!p)
		return;
	for (c = 0; c < RULES_NCLASS; c++) {
		for (i = 0; i < p->cls[c].n; i++)
			rules_entry_free(&p->cls[c].v[i]);
		free(p->cls[c].v);
	}
	for (i = 0; i < p->n_reviews; i++)
		review_free(&p->reviews[i]);
	free(p->reviews);
	for (i = 0; i < p->n_workspaces; i++)
		free(p->workspaces[i]);
	for (i = 0; i < p->n_origins; i++)
		free(p->origins[i]);
	free(p->workspaces);
	free(p->origins);
	free(p->home);
	free(p->owner_home);
	free(p->tmpdir);
	free(p);
}

/* Entries of one layer share one copy of its name. */
const char *rules_intern(struct rules_policy *p, const char *s)
{
	char **o;
	size_t i;

	for (i = 0; i < p->n_origins; i++)
		if (strcmp(p->origins[i], s) == 0)
			return p->origins[i];
	o = realloc(p->origins, (p->n_origins + 1) * sizeof(*o));
	if (!o)
		return NULL;
	p->origins = o;
	o[p->n_origins] = strdup(s);
	return o[p->n_origins] ? o[p->n_origins++] : NULL;
}

static int layer_begin(struct layer *l, struct rules_policy *p,
		       const char *origin, const char *base_dir, char *err,
		       size_t errlen)
{
	int c;

	memset(l, 0, sizeof(*l));
	l->p = p;
	l->origin = origin;
	l->env.p = p;
	l->env.base_dir = base_dir;
	l->err = err;
	l->errlen = errlen;
	if (err && errlen)
		err[0] = '\0';

	l->origin = rules_intern(p, origin);
	if (!l->origin) {
		l->origin = origin;
		return out_of_memory(l);
	}
	for (c = 0; c < RULES_NCLASS; c++) {
		l->saved_n[c] = p->cls[c].n;
		l->saved_def[c] = p->cls[c].def;
		l->saved_origin[c] = p->cls[c].def_origin;
	}
	l->saved_reviews = p->n_reviews;
	l->saved_prompt = p->prompt;
	l->saved_intercept = p->intercept;
	l->saved_intercept_origin = p->intercept_origin;
	return 0;
}

static void layer_rollback(struct layer *l)
{
	struct rules_list *list;
	int c;

	for (c = 0; c < RULES_NCLASS; c++) {
		list = &l->p->cls[c];
		while (list->n > l->saved_n[c])
			rules_entry_free(&list->v[--list->n]);
		list->def = l->saved_def[c];
		list->def_origin = l->saved_origin[c];
	}
	while (l->p->n_reviews > l->saved_reviews)
		review_free(&l->p->reviews[--l->p->n_reviews]);
	l->p->prompt = l->saved_prompt;
	l->p->intercept = l->saved_intercept;
	l->p->intercept_origin = l->saved_intercept_origin;
}

int rules_list_append(struct rules_list *list, const struct rules_entry *e)
{
	struct rules_entry *v;
	size_t cap;

	if (list->n == list->cap) {
		cap = list->cap ? list->cap * 2 : 16;
		v = realloc(list->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		list->v = v;
		list->cap = cap;
	}
	list->v[list->n++] = *e;
	return 0;
}

/* Actions. */

static bool action_valid(enum rules_class c, enum rules_action a)
{
	return a != RULES_CREATE || c == RULES_WRITE;
}

static int action_parse(enum rules_class c, const char *s, enum rules_action *a)
{
	static const enum rules_action all[] = { RULES_ALLOW, RULES_DENY,
						 RULES_ASK, RULES_CREATE };
	size_t i;

	for (i = 0; i < RULES_ARRAY_SIZE(all); i++) {
		if (action_valid(c, all[i]) &&
		    strcmp(s, rules_action_name(all[i])) == 0) {
			*a = all[i];
			return 0;
		}
	}
	return -EINVAL;
}

static const char *actions_expected(enum rules_class c)
{
	if (c == RULES_WRITE)
		return "\"allow\", \"deny\", \"ask\" or \"create\"";
	return "\"allow\", \"deny\" or \"ask\"";
}

/* Entries. */

/* Compiles spec, a string as written in a policy, for class c into e. */
static int compile_spec(struct layer *l, enum rules_class c,
			struct rules_entry *e, const char *spec, char *msg,
			size_t len)
{
	char **words = NULL;
	size_t n = 0, i;
	int rc;

	e->pattern = strdup(spec);
	if (!e->pattern)
		return -ENOMEM;
	switch (c) {
	case RULES_READ:
	case RULES_WRITE:
		e->kind = RULES_ENTRY_PATH;
		rc = l->literal
			     ? rules_glob_compile_literal(e, spec, msg, len)
			     : rules_glob_compile(e, spec, &l->env, msg, len);
		if (rc == 0 && !l->literal &&
		    (e->action == RULES_DENY || e->action == RULES_ASK))
			rc = rules_glob_add_home(e, spec, l->env.p->owner_home,
						 msg, len);
		if (rc == 0 &&
		    (e->action == RULES_DENY || e->action == RULES_ASK))
			rc = rules_glob_add_resolved(e, msg, len);
		return rc;
	case RULES_CONNECT:
		return rules_addr_entry(e, spec, &l->env, msg, len);
	default:
		break;
	}
	rc = rules_exec_split(spec, &words, &n);
	if (rc == 0)
		rc = rules_exec_entry(e, (const char *const *)words, n, &l->env,
				      msg, len);
	for (i = 0; i < n; i++)
		free(words[i]);
	free(words);
	return rc;
}

/* An exec entry written as an array of words. */
static int compile_words(struct layer *l, struct rules_entry *e,
			 const cJSON *arr, const char *where, char *msg,
			 size_t len)
{
	const char *words[256];
	const cJSON *w;
	char at[160];
	size_t n = 0;

	cJSON_ArrayForEach(w, arr)
	{
		snprintf(at, sizeof(at), "%s[%zu]", where, n);
		if (n == RULES_ARRAY_SIZE(words))
			return fail(l, where, "expected at most %zu words",
				    RULES_ARRAY_SIZE(words));
		if (!cJSON_IsString(w))
			return fail(l, at,
				    "expected a string (a word of "
				    "the command), got %s",
				    type_name(w));
		words[n++] = w->valuestring;
	}
	e->from_array = true;
	return rules_exec_entry(e, words, n, &l->env, msg, len);
}

static const char *item_expected(enum rules_class c)
{
	switch (c) {
	case RULES_READ:
	case RULES_WRITE:
		return "a string (path pattern)";
	case RULES_CONNECT:
		return "a string (address, CIDR or unix:PATH)";
	default:
		break;
	}
	return "a string or an array of strings (command prefix)";
}

static int add_item(struct layer *l, enum rules_class c, enum rules_action a,
		    const cJSON *item, const char *where);
/* Grants: what a command's process subtree gets beyond the policy. */

static int parse_list(struct layer *l, enum rules_class c, enum rules_action a,
		      const cJSON *arr, const char *where);
static int check_object(struct layer *l, const cJSON *obj, const char *where,
			const char *const *keys);

/* An entry as the grant's text shows it: the string, or its "pattern". */
static const char *entry_text(const cJSON *item)
{
	const cJSON *pat = cJSON_GetObjectItemCaseSensitive(item, "pattern");

	if (cJSON_IsString(item))
		return item->valuestring;
	return cJSON_IsString(pat) ? pat->valuestring : "?";
}

/* "write ~/.cache/x, /y" appended to the grant's text for prompts. */
static int describe_list(struct rules_grant *g, const char *name,
			 const cJSON *arr)
{
	const cJSON *item;
	size_t len = g->text ? strlen(g->text) : 0, add = strlen(name) + 3;
	char *t;

	cJSON_ArrayForEach(item, arr) add += strlen(entry_text(item)) + 2;
	t = realloc(g->text, len + add + 1);
	if (!t)
		return -ENOMEM;
	g->text = t;
	t[len] = '\0';
	if (len)
		strcat(t, "; ");
	strcat(t, name);
	cJSON_ArrayForEach(item, arr)
	{
		strcat(t, item == arr->child ? " " : ", ");
		strcat(t, entry_text(item));
	}
	return 0;
}

/* Every class allowed: the command runs as if unsandboxed. */
static int grant_full(struct layer *l, struct rules_grant *g)
{
	int c;

	for (c = 0; c < RULES_NCLASS; c++) {
		g->p->cls[c].def = RULES_ALLOW;
		g->p->cls[c].def_origin = l->origin;
	}
	g->full = true;
	g->text = strdup("full access");
	return g->text ? 0 : out_of_memory(l);
}

/*
 * The lists of a grant object, each an allow list of its class in the
 * grant's own policy.  The sub-layer shares the layer's name and error
 * buffer; the entry that holds the grant frees it on a rollback.
 */
static int grant_lists(struct layer *l, struct rules_grant *g, const cJSON *j)
{
	static const struct {
		const char *key;
		enum rules_class c;
	} lists[] = { { "read", RULES_READ },
		      { "write", RULES_WRITE },
		      { "network", RULES_CONNECT } };
	struct layer sub = *l;
	const cJSON *arr;
	char at[256];
	size_t i;
	int rc;

	sub.p = g->p;
	sub.env.p = g->p;
	sub.in_grant = true;
	for (i = 0; i < RULES_ARRAY_SIZE(lists); i++) {
		arr = cJSON_GetObjectItemCaseSensitive(j, lists[i].key);
		if (!arr)
			continue;
		snprintf(at, sizeof(at), "%s.%s", g->where, lists[i].key);
		rc = parse_list(&sub, lists[i].c, RULES_ALLOW, arr, at);
		if (rc < 0)
			return rc;
		if (describe_list(g, lists[i].key, arr) < 0)
			return out_of_memory(l);
	}
	if (!g->text && !(g->text = strdup("nothing")))
		return out_of_memory(l);
	return 0;
}

static int add_grant(struct layer *l, struct rules_entry *e, const cJSON *j,
		     const char *where)
{
	struct rules_vars v = {
		.home = l->p->home,
		.tmpdir = l->p->tmpdir,
		.workspaces = (const char *const *)l->p->workspaces,
		.n_workspaces = l->p->n_workspaces,
	};
	bool full = cJSON_IsString(j) && !strcmp(j->valuestring, "full");
	struct rules_grant *g;
	char at[256];
	int rc;

	snprintf(at, sizeof(at), "%s.grant", where);
	if (!full && !cJSON_IsObject(j))
		return fail(l, at,
			    "expected \"full\" or an object with keys read, "
			    "write or network, got %s",
			    type_name(j));
	if (e->action == RULES_DENY)
		return fail(l, at,
			    "a deny entry grants nothing; expected the "
			    "command under \"allow\" or \"ask\"");
	g = calloc(1, sizeof(*g));
	if (!g || !(g->where = strdup(at)) || rules_policy_new(&g->p, &v) < 0) {
		rules_grant_free(g);
		return out_of_memory(l);
	}
	g->origin = l->origin;
	e->grant = g;
	if (full)
		return grant_full(l, g);
	rc = check_object(l, j, at, grant_keys);
	return rc < 0 ? rc : grant_lists(l, g, j);
}

/*
 * The grant of an exec entry written as an object ("pattern" and
 * "grant"), given to the entry just added.  An entry held for review
 * gets it too, to be checked, and drops it with itself (hold_last).
 */
static int attach_grant(struct layer *l, const cJSON *grant, const char *where,
			size_t before)
{
	struct rules_list *list = &l->p->cls[RULES_EXEC];

	if (!grant || list->n == before)
		return 0;
	return add_grant(l, &list->v[list->n - 1], grant, where);
}

/* HTTP limits of a domain entry (#8). */

static int parse_methods(struct layer *l, const cJSON *m, const char *where,
			 struct rules_http *h)
{
	const cJSON *item;
	unsigned int bit;
	size_t i = 0;

	if (!cJSON_IsArray(m) || cJSON_GetArraySize(m) == 0)
		return fail(l, NULL,
			    "%s.methods: expected a non-empty array of method "
			    "names such as [\"GET\", \"HEAD\", \"OPTIONS\"], "
			    "got %s",
			    where,
			    cJSON_IsArray(m) ? "an empty array" : type_name(m));
	cJSON_ArrayForEach(item, m)
	{
		bit = cJSON_IsString(item)
			      ? rules_http_method(item->valuestring,
						  strlen(item->valuestring))
			      : 0;
		if (!bit)
			return fail(l, NULL,
				    "%s.methods[%zu]: expected one of GET, "
				    "HEAD, OPTIONS, POST, PUT, DELETE, PATCH "
				    "or TRACE (upper case)",
				    where, i);
		if (h->methods & bit)
			return fail(l, NULL,
				    "%s.methods[%zu]: duplicate method", where,
				    i);
		h->methods |= bit;
		i++;
	}
	return 0;
}

static int parse_wire_name(struct layer *l, const cJSON *w, const char *where,
			   struct rules_http *h)
{
	if (!cJSON_IsString(w) || (strcmp(w->valuestring, "match") != 0 &&
				   strcmp(w->valuestring, "any") != 0))
		return fail(l, NULL,
			    "%s.wire_name: expected \"match\" (the TLS server "
			    "name or HTTP Host must be the name the address "
			    "was resolved for) or \"any\"",
			    where);
	h->wire_match = strcmp(w->valuestring, "match") == 0;
	return 0;
}

/*
 * "methods" and "wire_name" of a network entry: only on an allow entry
 * for a domain name, since they limit what a name grants.
 */
static int attach_http(struct layer *l, const cJSON *obj, const char *where,
		       enum rules_action a, size_t before)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, "methods");
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(obj, "wire_name");
	struct rules_list *list = &l->p->cls[RULES_CONNECT];
	struct rules_http h = { 0 };
	struct rules_entry *e;
	int rc = 0;

	if (!m && !w)
		return 0;
	if (a != RULES_ALLOW)
		return fail(l, NULL,
			    "%s: \"methods\" and \"wire_name\" limit what an "
			    "allow entry grants; this list does not allow",
			    where);
	if (m)
		rc = parse_methods(l, m, where, &h);
	if (rc == 0 && w)
		rc = parse_wire_name(l, w, where, &h);
	if (rc < 0 || list->n == before)
		return rc;
	e = &list->v[list->n - 1];
	if (e->kind != RULES_ENTRY_HOST)
		return fail(l, NULL,
			    "%s: \"methods\" and \"wire_name\" need a domain "
			    "name pattern (\"example.org\", "
			    "\"*.example.org:80\"), got \"%s\"",
			    where, e->pattern);
	h.has_port = e->has_port;
	h.port = e->port;
	e->http = h;
	e->has_http = true;
	return 0;
}

/* Prompt settings. */

static int parse_timeout(struct layer *l, const cJSON *j)
{
	const char *at = "prompt.timeout";

	/* the range first: casting a double out of int's range is undefined */
	if (!cJSON_IsNumber(j))
		return fail(l, at,
			    "expected a whole number of seconds from 0 (wait "
			    "for the answer) to 86400, got %s",
			    type_name(j));
	if (!(j->valuedouble >= 0) || j->valuedouble > 86400 ||
	    j->valuedouble != (double)(int)j->valuedouble)
		return fail(l, at,
			    "expected a whole number of seconds from 0 (wait "
			    "for the answer) to 86400, got %g",
			    j->valuedouble);
	l->p->prompt.timeout = (int)j->valuedouble;
	l->p->prompt.timeout_origin = l->origin;
	return 0;
}

static int parse_prompt(struct layer *l, const cJSON *obj)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(obj, "timeout");
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(obj, "unattended");
	const char *at = "prompt.unattended";
	int rc;

	rc = check_object(l, obj, "prompt", prompt_keys);
	if (rc == 0 && t)
		rc = parse_timeout(l, t);
	if (rc < 0 || !u)
		return rc;
	if (!cJSON_IsString(u) ||
	    (strcmp(u->valuestring, "allow") && strcmp(u->valuestring, "deny")))
		return fail(l, at, "expected \"allow\" or \"deny\", got %s",
			    cJSON_IsString(u) ? u->valuestring : type_name(u));
	l->p->prompt.unattended = strcmp(u->valuestring, "allow") ? RULES_DENY
								  : RULES_ALLOW;
	l->p->prompt.unattended_origin = l->origin;
	return 0;
}

void rules_prompt_settings(const struct rules_policy *p,
			   struct rules_prompt *out)
{
	*out = p->prompt;
}

/*
 * Keeps what people need to know of e, an entry that waits for review,
 * in the policy's list of held entries.
 */
static int hold_entry(struct layer *l, enum rules_class c,
		      const struct rules_entry *e, const char *why)
{
	struct rules_policy *p = l->p;
	struct rules_review *v, *r;
	size_t cap;

	if (p->n_reviews == p->cap_reviews) {
		cap = p->cap_reviews ? p->cap_reviews * 2 : 8;
		v = realloc(p->reviews, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		p->reviews = v;
		p->cap_reviews = cap;
	}
	r = &p->reviews[p->n_reviews];
	*r = (struct rules_review){ .cls = c,
				    .action = e->action,
				    .origin = l->origin,
				    .where = strdup(e->where),
				    .pattern = strdup(e->pattern) };
	if (why)
		r->why = strdup(why);
	if (!r->where || !r->pattern || (why && !r->why)) {
		free((char *)r->where);
		free((char *)r->pattern);
		free((char *)r->why);
		return -ENOMEM;
	}
	p->n_reviews++;
	return 0;
}

size_t rules_policy_reviews(const struct rules_policy *p,
			    const struct rules_review **out)
{
	*out = p->reviews;
	return p->n_reviews;
}

/*
 * Appends e, compiled with result rc, or frees it and reports why not.
 * A bad word of an exec array has been reported already (msg empty).
 */
static int finish_entry(struct layer *l, enum rules_class c,
			struct rules_entry *e, int rc, const char *where,
			const char *msg)
{
	if (rc == 0)
		rc = rules_list_append(&l->p->cls[c], e);
	if (rc == 0)
		return 0;

	rules_entry_free(e);
	if (rc == -ENOMEM)
		return out_of_memory(l);
	if (msg[0])
		fail(l, where, "%s", msg);
	return rc;
}

/* Adds spec, an entry written as a string, at where. */
static int add_spec(struct layer *l, enum rules_class c, enum rules_action a,
		    const char *spec, const char *where)
{
	struct rules_entry e = { .action = a, .origin = l->origin };
	char msg[512] = "";
	int rc;

	e.where = strdup(where);
	e.itself = l->itself;
	rc = e.where ? compile_spec(l, c, &e, spec, msg, sizeof(msg)) : -ENOMEM;
	return finish_entry(l, c, &e, rc, where, msg);
}

static int add_object(struct layer *l, enum rules_class c, enum rules_action a,
		      const cJSON *obj, const char *where);

/*
 * Adds item at where: a string, (exec only) an array of words, or an
 * object with a "pattern" that is one of these.
 */
static int add_item(struct layer *l, enum rules_class c, enum rules_action a,
		    const cJSON *item, const char *where)
{
	struct rules_entry e = { .action = a, .origin = l->origin };
	char msg[512] = "";
	int rc;

	if (cJSON_IsString(item))
		return add_spec(l, c, a, item->valuestring, where);
	if (cJSON_IsObject(item))
		return add_object(l, c, a, item, where);
	if (c != RULES_EXEC || !cJSON_IsArray(item))
		return fail(l, where, "expected %s, got %s", item_expected(c),
			    type_name(item));

	e.where = strdup(where);
	rc = e.where ? compile_words(l, &e, item, where, msg, sizeof(msg))
		     : -ENOMEM;
	return finish_entry(l, c, &e, rc, where, msg);
}

/*
 * An entry written as an object: its pattern, and notes for people.
 * "review": true holds a granting entry back until the user removes the
 * flag; a deny that waits for review would be a grant by omission, so
 * only allow and create entries may carry it.
 */
static int check_object(struct layer *l, const cJSON *obj, const char *where,
			const char *const *keys);

static int check_notes(struct layer *l, const cJSON *obj, const char *where)
{
	const cJSON *ev = cJSON_GetObjectItemCaseSensitive(obj, "events");
	const cJSON *why = cJSON_GetObjectItemCaseSensitive(obj, "why");
	const cJSON *rev = cJSON_GetObjectItemCaseSensitive(obj, "review");

	/* 2^53: past it a double no longer counts by ones (and casting
	 * one past long long's range is undefined) */
	if (ev && (!cJSON_IsNumber(ev) || !(ev->valuedouble >= 0) ||
		   ev->valuedouble > 9007199254740992.0 ||
		   ev->valuedouble != (double)(long long)ev->valuedouble))
		return fail(l, NULL, "%s.events: expected a count (0, 1, ...)",
			    where);
	if (why && !cJSON_IsString(why))
		return fail(l, NULL, "%s.why: expected a string, got %s", where,
			    type_name(why));
	if (rev && !cJSON_IsBool(rev))
		return fail(l, NULL,
			    "%s.review: expected true or false, got %s", where,
			    type_name(rev));
	return 0;
}

/*
 * "beneath": false names a directory itself (its list of names, its
 * mode), not what lies beneath it; true, as a string entry, covers
 * both.  Only file entries name directories.
 */
static int check_beneath(struct layer *l, enum rules_class c, const cJSON *obj,
			 const char *where)
{
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(obj, "beneath");

	l->itself = false;
	if (!b)
		return 0;
	if (!cJSON_IsBool(b))
		return fail(l, NULL,
			    "%s.beneath: expected true or false, got %s", where,
			    type_name(b));
	if (c != RULES_READ && c != RULES_WRITE)
		return fail(l, NULL,
			    "%s.beneath: only file entries (files.read, "
			    "files.write) name a directory alone",
			    where);
	l->itself = cJSON_IsFalse(b);
	return 0;
}

/*
 * Moves the entry just added (at before) to the held entries.  It was
 * compiled, with its method limits and grant, only to check it like any
 * other: it grants nothing, and its grant goes with it.
 */
static int hold_last(struct layer *l, enum rules_class c, size_t before,
		     const char *why)
{
	struct rules_list *list = &l->p->cls[c];

	if (list->n == before)
		return 0;
	if (hold_entry(l, c, &list->v[list->n - 1], why) < 0)
		return out_of_memory(l);
	rules_entry_free(&list->v[--list->n]);
	return 0;
}

static int add_object(struct layer *l, enum rules_class c, enum rules_action a,
		      const cJSON *obj, const char *where)
{
	const cJSON *pat = cJSON_GetObjectItemCaseSensitive(obj, "pattern");
	const cJSON *why = cJSON_GetObjectItemCaseSensitive(obj, "why");
	const cJSON *grant = cJSON_GetObjectItemCaseSensitive(obj, "grant");
	size_t before = l->p->cls[c].n;
	bool hold;
	int rc;

	rc = check_object(l, obj, where,
			  c == RULES_EXEC      ? exec_entry_keys
			  : c == RULES_CONNECT ? net_entry_keys
					       : entry_keys);
	if (rc == 0)
		rc = check_notes(l, obj, where);
	if (rc == 0)
		rc = check_beneath(l, c, obj, where);
	if (rc < 0)
		return rc;
	if (!pat)
		return fail(l, where, "expected a \"pattern\" key holding %s",
			    item_expected(c));
	if (cJSON_IsObject(pat))
		return fail(l, NULL, "%s.pattern: expected %s, got object",
			    where, item_expected(c));

	hold = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "review"));
	if (hold && a != RULES_ALLOW && a != RULES_CREATE)
		return fail(l, NULL,
			    "%s.review: only entries that grant (allow, "
			    "create) can wait for review",
			    where);
	/* policy check would not list it, nor would anything else */
	if (hold && l->in_grant)
		return fail(l, NULL,
			    "%s.review: an entry of a grant cannot wait for "
			    "review alone; hold the command's entry instead",
			    where);
	rc = add_item(l, c, a, pat, where);
	l->itself = false;
	if (rc == 0 && c == RULES_CONNECT)
		rc = attach_http(l, obj, where, a, before);
	if (rc == 0)
		rc = attach_grant(l, grant, where, before);
	if (rc < 0 || !hold)
		return rc;
	return hold_last(l, c, before,
			 cJSON_IsString(why) ? why->valuestring : NULL);
}

/* JSON documents. */

/* "a, b or c" */
static void join_keys(char *buf, size_t len, const char *const *keys)
{
	const char *sep;
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; keys[i] && o < len; i++) {
		sep = i == 0 ? "" : keys[i + 1] ? ", " : " or ";
		o += (size_t)snprintf(buf + o, len - o, "%s%s", sep, keys[i]);
	}
}

static bool key_known(const char *key, const char *const *keys)
{
	for (; *keys; keys++)
		if (strcmp(key, *keys) == 0)
			return true;
	return false;
}

/* obj must be an object holding only keys, each once. */
static int check_object(struct layer *l, const cJSON *obj, const char *where,
			const char *const *keys)
{
	const cJSON *k, *prev;
	char expected[128];

	join_keys(expected, sizeof(expected), keys);
	if (!cJSON_IsObject(obj))
		return fail(l, where, "expected an object with keys %s, got %s",
			    expected, type_name(obj));

	cJSON_ArrayForEach(k, obj)
	{
		const char *sep = where && *where ? "." : "";

		if (!key_known(k->string, keys))
			return fail(l, NULL, "%s%s%s: unknown key; expected %s",
				    where ? where : "", sep, k->string,
				    expected);
		for (prev = obj->child; prev != k; prev = prev->next)
			if (strcmp(prev->string, k->string) == 0)
				return fail(l, NULL, "%s%s%s: duplicate key",
					    where ? where : "", sep, k->string);
	}
	return 0;
}

static int parse_default(struct layer *l, enum rules_class c, const cJSON *item,
			 const char *where)
{
	struct rules_list *list = &l->p->cls[c];
	enum rules_action a;

	if (!cJSON_IsString(item))
		return fail(l, where, "expected %s, got %s",
			    actions_expected(c), type_name(item));
	if (action_parse(c, item->valuestring, &a) < 0)
		return fail(l, where, "expected %s, got \"%s\"",
			    actions_expected(c), item->valuestring);
	list->def = a;
	list->def_origin = l->origin;
	return 0;
}

static int parse_list(struct layer *l, enum rules_class c, enum rules_action a,
		      const cJSON *arr, const char *where)
{
	const cJSON *item;
	char at[128];
	size_t i = 0;
	int rc;

	if (!cJSON_IsArray(arr))
		return fail(l, where, "expected an array of %s, got %s",
			    c == RULES_EXEC	 ? "commands"
			    : c == RULES_CONNECT ? "addresses"
						 : "path patterns",
			    type_name(arr));
	cJSON_ArrayForEach(item, arr)
	{
		snprintf(at, sizeof(at), "%s[%zu]", where, i++);
		rc = add_item(l, c, a, item, at);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/*
 * "network": {"intercept": true}: HTTPS to domains with method limits is
 * decrypted by proctor so that their methods can be judged (#8).  A
 * later layer's value replaces an earlier one, like "default".
 */
static int parse_intercept(struct layer *l, const cJSON *item, const char *at)
{
	if (!cJSON_IsBool(item))
		return fail(l, at,
			    "expected true (decrypt HTTPS to domains with "
			    "\"methods\" to judge them) or false, got %s",
			    type_name(item));
	l->p->intercept = cJSON_IsTrue(item);
	l->p->intercept_origin = l->origin;
	return 0;
}

static int parse_class(struct layer *l, enum rules_class c, const cJSON *obj)
{
	const char *where = rules_class_where[c];
	enum rules_action a;
	const cJSON *item;
	char at[64];
	int rc;

	rc = check_object(l, obj, where,
			  c == RULES_WRITE     ? write_keys
			  : c == RULES_CONNECT ? net_keys
					       : class_keys);
	if (rc < 0)
		return rc;
	cJSON_ArrayForEach(item, obj)
	{
		snprintf(at, sizeof(at), "%s.%s", where, item->string);
		if (strcmp(item->string, "default") == 0)
			rc = parse_default(l, c, item, at);
		else if (strcmp(item->string, "intercept") == 0)
			rc = parse_intercept(l, item, at);
		else if (action_parse(c, item->string, &a) == 0)
			rc = parse_list(l, c, a, item, at);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int parse_files(struct layer *l, const cJSON *files)
{
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(files, "read");
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(files, "write");
	int rc;

	rc = check_object(l, files, "files", files_keys);
	if (rc == 0 && r)
		rc = parse_class(l, RULES_READ, r);
	if (rc == 0 && w)
		rc = parse_class(l, RULES_WRITE, w);
	return rc;
}

static int parse_root(struct layer *l, const cJSON *root)
{
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(root, "files");
	const cJSON *net = cJSON_GetObjectItemCaseSensitive(root, "network");
	const cJSON *exec = cJSON_GetObjectItemCaseSensitive(root, "exec");
	const cJSON *prompt = cJSON_GetObjectItemCaseSensitive(root, "prompt");
	const cJSON *builtin =
		cJSON_GetObjectItemCaseSensitive(root, "builtin");
	int rc;

	rc = check_object(l, root, NULL, root_keys);
	if (rc == 0 && builtin && !cJSON_IsBool(builtin))
		rc = fail(l, "builtin",
			  "expected false (this policy stands in place of the "
			  "built-in one) or true, got %s",
			  type_name(builtin));
	if (rc == 0 && files)
		rc = parse_files(l, files);
	if (rc == 0 && net)
		rc = parse_class(l, RULES_CONNECT, net);
	if (rc == 0 && exec)
		rc = parse_class(l, RULES_EXEC, exec);
	if (rc == 0 && prompt)
		rc = parse_prompt(l, prompt);
	return rc;
}

/* The line and column of at in json, as people count them. */
static void line_col(const char *json, const char *at, unsigned *line,
		     unsigned *col)
{
	const char *s;

	*line = *col = 1;
	for (s = json; s < at && *s; s++) {
		(*col)++;
		if (*s == '\n') {
			(*line)++;
			*col = 1;
		}
	}
}

/* cJSON tells where it stopped; people want a line and a column. */
static int json_error(struct layer *l, const char *json, const char *end)
{
	unsigned int line, col;
	const char *s;
	int near;

	if (!end || end < json)
		return fail(l, NULL, "malformed JSON");
	line_col(json, end, &line, &col);
	near = (int)strcspn(end, "\n");
	if (near > 0)
		return fail(l, NULL,
			    "line %u, column %u: malformed JSON near \"%.*s\"",
			    line, col, near > 20 ? 20 : near, end);
	/* nothing to show after it: what comes before it */
	if (!*end) {
		const char *last = end;

		while (last > json && strchr(" \t\r\n", last[-1]))
			last--;
		if (last == json)
			return fail(l, NULL, "empty: expected a JSON object");
		for (s = last; s > json && s[-1] != '\n' && last - s < 20; s--)
			;
		return fail(l, NULL,
			    "malformed JSON: the text ends after \"%.*s\" (a "
			    "brace, bracket or quote not closed?)",
			    (int)(last - s), s);
	}
	for (s = end; s > json && s[-1] != '\n' && end - s < 20; s--)
		;
	return fail(l, NULL,
		    "line %u, column %u: malformed JSON at the end of the "
		    "line, after \"%.*s\"",
		    line, col, (int)(end - s), s);
}

/*
 * Whether JSON text escapes a NUL ("\u0000", an odd number of
 * backslashes before the u): "\\u0000" is a backslash and "u0000".
 */
static const char *nul_escape(const char *json)
{
	const char *at = json;

	while ((at = strcasestr(at, "\\u0000")) != NULL) {
		size_t n = 1;

		while (at - n >= json && at[-(ptrdiff_t)n] == '\\')
			n++;
		if (n % 2 == 1)
			return at;
		at++;
	}
	return NULL;
}

bool rules_json_has_nul(const char *json)
{
	return nul_escape(json) != NULL;
}

int rules_policy_add_json(struct rules_policy *p, const char *json,
			  const char *origin, const char *base_dir, char *err,
			  size_t errlen)
{
	struct layer l;
	const char *end = NULL;
	cJSON *root;
	int rc;

	if (!p || !json)
		return -EINVAL;
	rc = layer_begin(&l, p, origin ? origin : "policy", base_dir, err,
			 errlen);
	if (rc < 0)
		return rc;

	/*
	 * cJSON ends a string at an escaped NUL, so "127.0.0.1\u0000:22"
	 * would read as "127.0.0.1", every port (class 16): refuse them.
	 */
	if ((end = nul_escape(json)) != NULL) {
		unsigned line, col;

		line_col(json, end, &line, &col);
		return fail(&l, NULL,
			    "line %u, column %u: a string holds \\u0000: NUL "
			    "characters are not allowed in a policy",
			    line, col);
	}
	root = cJSON_ParseWithOpts(json, &end, true);
	if (!root)
		return json_error(&l, json, end);
	rc = parse_root(&l, root);
	cJSON_Delete(root);

	if (rc < 0)
		layer_rollback(&l);
	return rc;
}

/* Reads a whole file into a malloc'd string.  Returns 0 or -errno. */
static int read_file(const char *path, char **out)
{
	FILE *f = fopen(path, "re");
	size_t n;
	char *buf;
	int rc = 0;

	struct stat st;

	*out = NULL;
	if (!f)
		return -errno;
	/* a directory opens, and its read says EISDIR as "error" */
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		return -EISDIR;
	}
	buf = malloc(RULES_MAX_POLICY_FILE + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, RULES_MAX_POLICY_FILE + 1, f);
	if (ferror(f))
		rc = -EIO;
	else if (n > RULES_MAX_POLICY_FILE)
		rc = -EFBIG;
	fclose(f);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	buf[n] = '\0';
	*out = buf;
	return 0;
}

int rules_policy_add_file(struct rules_policy *p, const char *path,
			  const char *base_dir, char *err, size_t errlen)
{
	char *json;
	int rc;

	if (!p || !path)
		return -EINVAL;
	rc = read_file(path, &json);
	if (rc < 0) {
		if (err && errlen)
			snprintf(err, errlen, "%s: cannot read: %s", path,
				 strerror(-rc));
		return rc;
	}
	rc = rules_policy_add_json(p, json, path, base_dir, err, errlen);
	free(json);
	return rc;
}

/*
 * A command-line entry is a layer of its own, named "command line", at
 * "--ACTION-CLASS" (e.g. "--allow-write") since that is how people wrote
 * it.  Relative paths are an error: there is no base directory here, and
 * the tool knows its cwd better than a pure module does.
 */
/*
 * --allow-list DIR (read) and --allow-dir DIR (write): an entry for the
 * directory alone, "beneath": false, from the command line.
 */
int rules_policy_add_itself(struct rules_policy *p, enum rules_class c,
			    const char *flag, const char *spec, char *err,
			    size_t errlen)
{
	struct rules_list *l;
	char *where;
	int rc = rules_policy_add_entry(p, c, RULES_ALLOW, spec, err, errlen);

	if (rc < 0)
		return rc;
	l = &p->cls[c];
	where = strdup(flag);
	if (!where)
		return -ENOMEM;
	free(l->v[l->n - 1].where);
	l->v[l->n - 1].where = where;
	l->v[l->n - 1].itself = true;
	return 0;
}

int rules_policy_add_list(struct rules_policy *p, const char *spec, char *err,
			  size_t errlen)
{
	return rules_policy_add_itself(p, RULES_READ, "--allow-list", spec, err,
				       errlen);
}

static int add_entry(struct rules_policy *p, enum rules_class c,
		     enum rules_action a, const char *spec, bool literal,
		     char *err, size_t errlen)
{
	struct layer l;
	char where[64];
	int rc;

	if (!p || !spec || (unsigned int)c >= RULES_NCLASS)
		return -EINVAL;
	rc = layer_begin(&l, p, "command line", NULL, err, errlen);
	if (rc < 0)
		return rc;
	l.literal = literal;
	/* the flags say "net" where the class is "connect" */
	snprintf(where, sizeof(where), "--%s-%s", rules_action_name(a),
		 c == RULES_CONNECT ? "net" : rules_class_name(c));
	if ((unsigned int)a > RULES_CREATE || !action_valid(c, a))
		return fail(&l, where, "expected an action of %s, got %s",
			    actions_expected(c), rules_action_name(a));

	rc = add_spec(&l, c, a, spec, where);
	if (rc < 0)
		layer_rollback(&l);
	return rc;
}

int rules_policy_add_entry(struct rules_policy *p, enum rules_class c,
			   enum rules_action a, const char *spec, char *err,
			   size_t errlen)
{
	return add_entry(p, c, a, spec, false, err, errlen);
}

/*
 * proctor's own files are out of reach of the policy and of every grant
 * in it: a "full" grant is full access to everything but these.
 */
/*
 * A deny entry for proctor's own files: from the command line, so it wins
 * every tie, but named for what it is (RULES_WHERE_OWN), so that no one
 * is told to allow it with a flag.
 */
static int add_own(struct rules_policy *p, enum rules_class c, const char *path,
		   char *err, size_t errlen)
{
	struct rules_list *l = &p->cls[c];
	char *where;
	/* named by the path they have: "/w/p[1].json" is not "/w/p1.json" */
	int rc = add_entry(p, c, RULES_DENY, path, true, err, errlen);

	if (rc < 0)
		return rc;
	where = strdup(RULES_WHERE_OWN);
	if (!where)
		return -ENOMEM;
	free(l->v[l->n - 1].where);
	l->v[l->n - 1].where = where;
	return 0;
}

/*
 * Whether something protected (proctor's own files, the run's policy
 * files) lies beneath dir: renaming dir would move it out from under its
 * protection, which names it by path.
 */
/* A denial by entry e, in v; returns true. */
static bool denied_by(const struct rules_entry *e, struct rules_verdict *v)
{
	v->action = RULES_DENY;
	v->origin = e->origin;
	v->where = e->where;
	v->pattern = e->pattern;
	v->is_default = false;
	return true;
}

bool rules_protected_beneath(const struct rules_policy *p, const char *dir,
			     struct rules_verdict *v)
{
	const struct rules_list *l = &p->cls[RULES_WRITE];
	size_t n = strlen(dir), i, g;

	for (i = 0; i < l->n; i++) {
		const struct rules_entry *e = &l->v[i];

		if (strcmp(e->where, RULES_WHERE_OWN))
			continue;
		for (g = 0; g < e->nglobs; g++) {
			const char *t = e->globs[g].text;

			if (!strncmp(t, dir, n) &&
			    (t[n] == '/' || (n == 1 && dir[0] == '/')))
				return denied_by(e, v);
		}
	}
	return false;
}

static bool all_literal(const struct rules_glob *g)
{
	size_t i;

	for (i = 0; i < g->ncomp; i++)
		if (g->comp[i].kind != RULES_COMP_LIT)
			return false;
	return true;
}

/*
 * Whether glob g names something strictly beneath dir for which there()
 * holds.  A literal glob names one path; one with globs is asked at the
 * paths that end with its literal tail right under dir ("**" + ".git/
 * hooks" under DIR: DIR/.git/hooks, and DIR/hooks when DIR is a .git),
 * or, ending in a wildcard, at dir itself.
 */
/* Whether path is matched by g, or lies beneath what g matches. */
static bool glob_covers(const struct rules_glob *g, const char *path)
{
	struct rules_pathv pv;

	return rules_pathv_split(&pv, path) == 0 &&
	       rules_glob_match(g, &pv, true);
}

static bool names_beneath(const struct rules_glob *g, const char *dir,
			  const char *to,
			  bool (*there)(const char *path, void *arg), void *arg)
{
	size_t n = strlen(dir), k0 = g->ncomp, j, k, len;
	char cand[PATH_MAX];
	struct rules_pathv pv;

	if (all_literal(g))
		return !strncmp(g->text, dir, n) &&
		       (g->text[n] == '/' || (n == 1 && dir[0] == '/')) &&
		       there(g->text, arg);
	/*
	 * A last component with wildcards (sec/ then "*.key" or "**") names
	 * entries of each directory the rest matches: dir itself, when it
	 * is one (the caller asks at each directory beneath).  Whether one
	 * of its entries matches is not looked at: it may hold one later.
	 */
	if (g->comp[g->ncomp - 1].kind != RULES_COMP_LIT) {
		struct rules_glob up = *g;

		up.ncomp--;
		/*
		 * After "**" (P/STARSTAR/NAME) it names entries anywhere under
		 * P: a directory there holds its place unless it moves to
		 * another place under P.
		 */
		if (up.ncomp && up.comp[up.ncomp - 1].kind == RULES_COMP_ANY) {
			up.ncomp--;
			return glob_covers(&up, dir) &&
			       !(to && glob_covers(&up, to)) && there(dir, arg);
		}
		return rules_pathv_split(&pv, dir) == 0 &&
		       rules_glob_match(&up, &pv, false) && there(dir, arg);
	}
	while (k0 > 0 && g->comp[k0 - 1].kind == RULES_COMP_LIT)
		k0--;
	for (j = k0; j < g->ncomp; j++) {
		len = snprintf(cand, sizeof(cand), "%s",
			       strcmp(dir, "/") ? dir : "");
		for (k = j; k < g->ncomp && len < sizeof(cand); k++)
			len += snprintf(cand + len, sizeof(cand) - len, "/%s",
					g->comp[k].s);
		if (len < sizeof(cand) && rules_pathv_split(&pv, cand) == 0 &&
		    rules_glob_match(g, &pv, false) && there(cand, arg))
			return true;
	}
	return false;
}

bool rules_denied_beneath(const struct rules_policy *p, const char *dir,
			  const char *to,
			  bool (*there)(const char *path, void *arg), void *arg,
			  struct rules_verdict *v)
{
	/* a read rule's path moved away would be read under another name */
	static const enum rules_class cls[] = { RULES_WRITE, RULES_READ };
	size_t c, i, g;

	for (c = 0; c < sizeof(cls) / sizeof(cls[0]); c++) {
		const struct rules_list *l = &p->cls[cls[c]];

		for (i = 0; i < l->n; i++) {
			const struct rules_entry *e = &l->v[i];

			if (e->action != RULES_DENY && e->action != RULES_ASK)
				continue;
			for (g = 0; g < e->nglobs; g++)
				if (names_beneath(&e->globs[g], dir, to, there,
						  arg))
					return denied_by(e, v);
		}
	}
	return false;
}

int rules_policy_add_protected(struct rules_policy *p, const char *path,
			       bool write_only, char *err, size_t errlen)
{
	const struct rules_list *l;
	size_t i;
	int rc = 0;

	if (!p)
		return -EINVAL;
	if (!write_only)
		rc = add_own(p, RULES_READ, path, err, errlen);
	if (rc == 0)
		rc = add_own(p, RULES_WRITE, path, err, errlen);
	l = &p->cls[RULES_EXEC];
	for (i = 0; rc == 0 && i < l->n; i++)
		if (l->v[i].grant)
			rc = rules_policy_add_protected(l->v[i].grant->p, path,
							write_only, err,
							errlen);
	return rc;
}

bool rules_json_drops_builtin(const char *json)
{
	cJSON *root = cJSON_Parse(json);
	bool drops = cJSON_IsFalse(
		cJSON_GetObjectItemCaseSensitive(root, "builtin"));

	cJSON_Delete(root);
	return drops;
}
