/* SPDX-License-Identifier: MIT */
/*
 * Saved answers: "allow always" and "deny always" given at a prompt, one
 * JSON object per line of the user's answers file, read back as one
 * layer of the policy.
 *
 *   {"time":"2025-05-01T10:00:00Z","answer":"allow","class":"read",
 *    "path":"/home/u/.aws/config","program":"aws","by":"terminal"}
 *   {"answer":"deny","class":"exec","command":"/usr/bin/git",
 *    "argv":["git","push","origin","main"]}
 *
 * The object's key is the log's: "path", "addr" or "command".  An answer
 * names exactly its object: a path and nothing beneath it, an address
 * as written, a command with exactly those arguments.  Keys this version
 * does not know are ignored (the file is written by proctor, and a newer
 * proctor may say more).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "rules/rules_int.h"

#define ANSWER_MAX_WORDS 256

static const char *object_key(enum rules_class c)
{
	return c == RULES_EXEC	    ? "command"
	       : c == RULES_CONNECT ? "addr"
				    : "path";
}

struct parsed {
	cJSON *root;
	const char **argv;
};

static int bad(char *err, size_t errlen, const char *fmt, const char *what)
{
	snprintf(err, errlen, fmt, what);
	return -EINVAL;
}

/* An optional string member; NULL when absent. */
static const char *opt_str(const cJSON *root, const char *key)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(root, key);

	return cJSON_IsString(j) ? j->valuestring : NULL;
}

static int parse_argv(const cJSON *arr, struct parsed *pa,
		      struct rules_answer *a, char *err, size_t errlen)
{
	const cJSON *w;
	size_t n = 0;

	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) < 1 ||
	    cJSON_GetArraySize(arr) > ANSWER_MAX_WORDS)
		return bad(err, errlen,
			   "%s: expected an array of 1 to 256 "
			   "strings (the command line)",
			   "argv");
	pa->argv = calloc(cJSON_GetArraySize(arr), sizeof(*pa->argv));
	if (!pa->argv)
		return -ENOMEM;
	cJSON_ArrayForEach(w, arr)
	{
		if (!cJSON_IsString(w))
			return bad(err, errlen, "%s: expected strings only",
				   "argv");
		pa->argv[n++] = w->valuestring;
	}
	a->argv = pa->argv;
	a->argc = n;
	return 0;
}

static int parse_fields(const cJSON *root, struct parsed *pa,
			struct rules_answer *a, char *err, size_t errlen)
{
	const char *cls = opt_str(root, "class");
	const char *ans = opt_str(root, "answer");

	if (!cJSON_IsObject(root))
		return bad(err, errlen, "expected a JSON object%s", "");
	if (!cls || rules_class_parse(cls, &a->cls) < 0)
		return bad(err, errlen,
			   "%s: expected \"read\", \"write\", "
			   "\"exec\" or \"connect\"",
			   "class");
	if (!ans || (strcmp(ans, "allow") && strcmp(ans, "deny")))
		return bad(err, errlen, "%s: expected \"allow\" or \"deny\"",
			   "answer");
	a->action = strcmp(ans, "allow") ? RULES_DENY : RULES_ALLOW;
	a->object = opt_str(root, object_key(a->cls));
	if (!a->object || !a->object[0])
		return bad(err, errlen, "%s: expected a non-empty string",
			   object_key(a->cls));
	a->time = opt_str(root, "time");
	a->program = opt_str(root, "program");
	a->by = opt_str(root, "by");
	a->workspace = opt_str(root, "workspace");
	if (a->cls != RULES_EXEC)
		return 0;
	return parse_argv(cJSON_GetObjectItemCaseSensitive(root, "argv"), pa, a,
			  err, errlen);
}

int rules_answer_parse(const char *line, struct rules_answer *a, char *err,
		       size_t errlen)
{
	struct parsed *pa = calloc(1, sizeof(*pa));
	int rc;

	memset(a, 0, sizeof(*a));
	if (!pa)
		return -ENOMEM;
	a->priv = pa;
	/* cJSON ends a string at an escaped NUL: "/x\u0000/y" is "/x" */
	if (rules_json_has_nul(line))
		return bad(err, errlen, "a string holds %s", "\\u0000");
	pa->root = cJSON_Parse(line);
	if (!pa->root)
		return bad(err, errlen, "malformed JSON%s", "");
	rc = parse_fields(pa->root, pa, a, err, errlen);
	return rc;
}

void rules_answer_free(struct rules_answer *a)
{
	struct parsed *pa = a->priv;

	if (pa) {
		cJSON_Delete(pa->root);
		free(pa->argv);
		free(pa);
	}
	a->priv = NULL;
}

static void add_opt(cJSON *o, const char *key, const char *s)
{
	if (s)
		cJSON_AddStringToObject(o, key, s);
}

char *rules_answer_format(const struct rules_answer *a)
{
	cJSON *o = cJSON_CreateObject(), *argv;
	char *s = NULL;

	if (!o)
		return NULL;
	add_opt(o, "time", a->time);
	add_opt(o, "answer", rules_action_name(a->action));
	add_opt(o, "class", rules_class_name(a->cls));
	add_opt(o, object_key(a->cls), a->object);
	if (a->cls == RULES_EXEC) {
		argv = cJSON_CreateStringArray(a->argv, (int)a->argc);
		if (argv)
			cJSON_AddItemToObject(o, "argv", argv);
	}
	add_opt(o, "program", a->program);
	add_opt(o, "by", a->by);
	add_opt(o, "workspace", a->workspace);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* "unix:@a*b" names the socket "a*b": its glob characters in brackets. */
static char *name_literal(const char *name)
{
	char *out = malloc(strlen(name) * 3 + 1), *o = out;

	if (!out)
		return NULL;
	for (; *name; name++) {
		if (strchr("*?[", *name)) {
			*o++ = '[';
			*o++ = *name;
			*o++ = ']';
		} else {
			*o++ = *name;
		}
	}
	*o = '\0';
	return out;
}

static int connect_entry(struct rules_entry *e, const char *obj,
			 const struct rules_env *env, char *msg, size_t len)
{
	if (!strncmp(obj, "unix:@", 6)) {
		e->kind = RULES_ENTRY_ABSTRACT;
		e->name = name_literal(obj + 6);
		return e->name ? 0 : -ENOMEM;
	}
	if (!strncmp(obj, "unix:", 5)) {
		e->kind = RULES_ENTRY_PATH;
		return rules_glob_literal(e, obj + 5, msg, len);
	}
	return rules_addr_entry(e, obj, env, msg, len);
}

/* The command as an entry: the program's path, then argv[1...]. */
static int exec_entry(struct rules_entry *e, const struct rules_answer *a,
		      char *msg, size_t len)
{
	const char *words[ANSWER_MAX_WORDS];
	size_t i;

	words[0] = a->object;
	for (i = 1; i < a->argc && i < ANSWER_MAX_WORDS; i++)
		words[i] = a->argv[i];
	return rules_exec_entry_literal(e, words, a->argc, msg, len);
}

static int compile(struct rules_entry *e, const struct rules_answer *a,
		   const struct rules_env *env, char *msg, size_t len)
{
	switch (a->cls) {
	case RULES_READ:
	case RULES_WRITE:
		e->kind = RULES_ENTRY_PATH;
		return rules_glob_literal(e, a->object, msg, len);
	case RULES_CONNECT:
		return connect_entry(e, a->object, env, msg, len);
	case RULES_EXEC:
		return exec_entry(e, a, msg, len);
	default:
		break;
	}
	snprintf(msg, len, "unknown class");
	return -EINVAL;
}

static int add_one(struct rules_policy *p, const struct rules_answer *a,
		   const char *origin, unsigned line, char *msg, size_t len)
{
	struct rules_env env = { .p = p };
	struct rules_entry e = {
		.action = a->action,
		.origin = origin,
		.answer = true,
	};
	char where[32];
	int rc;

	snprintf(where, sizeof(where), "line %u", line);
	e.where = strdup(where);
	if (a->cls != RULES_EXEC)
		e.pattern = strdup(a->object);
	rc = e.where && (e.pattern || a->cls == RULES_EXEC)
		     ? compile(&e, a, &env, msg, len)
		     : -ENOMEM;
	if (rc == 0)
		rc = rules_list_append(&p->cls[a->cls], &e);
	if (rc < 0)
		rules_entry_free(&e);
	return rc;
}

/* Takes back what a failed file had added: a layer is all or nothing. */
static void take_back(struct rules_policy *p, const size_t saved[])
{
	int c;

	for (c = 0; c < RULES_NCLASS; c++)
		while (p->cls[c].n > saved[c])
			rules_entry_free(&p->cls[c].v[--p->cls[c].n]);
}

static int add_line(struct rules_policy *p, const char *line,
		    const char *origin, unsigned n, char *err, size_t errlen)
{
	struct rules_answer a;
	char msg[512] = "";
	int rc;

	rc = rules_answer_parse(line, &a, msg, sizeof(msg));
	if (rc == 0)
		rc = add_one(p, &a, origin, n, msg, sizeof(msg));
	rules_answer_free(&a);
	if (rc == -ENOMEM)
		snprintf(msg, sizeof(msg), "out of memory");
	if (rc < 0 && err && errlen)
		snprintf(err, errlen, "%s: line %u: %s", origin, n, msg);
	return rc;
}

int rules_policy_add_answers(struct rules_policy *p, const char *text,
			     const char *origin, char *err, size_t errlen)
{
	size_t saved[RULES_NCLASS], len;
	const char *o, *s = text;
	char *line;
	unsigned n = 0;
	int c, rc = 0;

	if (!p || !text || !origin || !(o = rules_intern(p, origin)))
		return -EINVAL;
	for (c = 0; c < RULES_NCLASS; c++)
		saved[c] = p->cls[c].n;
	for (; rc == 0 && *s; s += len + (s[len] == '\n')) {
		len = strcspn(s, "\n");
		n++;
		if (strspn(s, " \t\r") >= len)
			continue; /* a blank line */
		line = strndup(s, len);
		rc = line ? add_line(p, line, o, n, err, errlen) : -ENOMEM;
		free(line);
	}
	if (rc < 0)
		take_back(p, saved);
	return rc;
}
