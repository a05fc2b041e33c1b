/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for rules/learn.c: the generalisation of one path, as a
 * table; then whole learners fed events, checked on the policy they
 * write.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "rules/learn.h"
#include "rules/rules.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const char *const ws1[] = { "/w/ws" };
static const struct rules_vars vars = {
	.home = "/home/u",
	.tmpdir = "/tmp/proctor-1",
	.workspaces = ws1,
	.n_workspaces = 1,
};

static struct rules_policy *builtin(const struct rules_vars *v)
{
	struct rules_policy *p;
	char err[512] = "";

	ck_assert_int_eq(rules_policy_new(&p, v), 0);
	ck_assert_msg(rules_policy_add_json(p, rules_default_json, "built-in",
					    NULL, err, sizeof(err)) == 0,
		      "%s", err);
	return p;
}

/* ---- one path --------------------------------------------------------- */

static const struct path_case {
	enum rules_class c;
	const char *path;
	const char *want;
} paths[] = {
	{ RULES_READ, "/home/u/.config/x", "~/.config/x" },
	{ RULES_READ, "/w/ws/src/a.c", "$WORKSPACE/src/a.c" },
	{ RULES_READ, "/w/ws", "$WORKSPACE" },
	{ RULES_WRITE, "/tmp/proctor-1/ccAb12Xy.s", "$TMPDIR" },
	{ RULES_READ, "/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr" },
	{ RULES_READ, "/etc/passwd", "/etc" },
	{ RULES_READ, "/lib64/ld-linux-x86-64.so.2", "/lib64" },
	/* system files collapse for reads only */
	{ RULES_WRITE, "/etc/passwd", "/etc/passwd" },
	{ RULES_READ, "/proc/1234/status", "/proc/[0-9]*/status" },
	{ RULES_READ, "/proc/1234/task/1235/stat",
	  "/proc/[0-9]*/task/[0-9]*/stat" },
	{ RULES_READ, "/proc/sys/kernel/ngroups_max",
	  "/proc/sys/kernel/ngroups_max" },
	{ RULES_WRITE, "/dev/pts/3", "/dev/pts/*" },
	/* a whole per-run name near the top is no glob of its directory */
	{ RULES_READ, "/home/u/20240101", "~/20240101" },
	{ RULES_WRITE, "/tmp/8675309421", "/tmp/8675309421" },
	{ RULES_READ, "/var/lib/a1b2c3d4", "/var/lib/a1b2c3d4" },
	{ RULES_READ, "/dev/null", "/dev/null" },
	{ RULES_WRITE, "/w/ws/build/main.o", "$WORKSPACE/build/*.o" },
	{ RULES_READ, "/w/ws/__pycache__/m.cpython-311.pyc",
	  "$WORKSPACE/__pycache__/*.pyc" },
	{ RULES_WRITE, "/tmp/tmpk2_3jx9a", "/tmp/tmp*" },
	{ RULES_WRITE, "/tmp/ccA1b2C3.s", "/tmp/*.s" },
	{ RULES_WRITE, "/w/ws/.git/objects/ab/0123456789abcdef0123456789abcd",
	  "$WORKSPACE/.git/objects/ab/*" },
	{ RULES_WRITE, "/w/ws/.git/objects/pack/tmp_pack_a1B2c3",
	  "$WORKSPACE/.git/objects/pack/tmp_pack_*" },
	{ RULES_READ, "/w/ws/log.20261204", "$WORKSPACE/log.*" },
	/* names people chose stay */
	{ RULES_READ, "/w/ws/python3", "$WORKSPACE/python3" },
	{ RULES_READ, "/w/ws/test123.c", "$WORKSPACE/test123.c" },
	{ RULES_READ, "/w/ws/Makefile", "$WORKSPACE/Makefile" },
	{ RULES_READ, "/w/ws/x86_64/v2", "$WORKSPACE/x86_64/v2" },
	/* glob characters in names match themselves */
	{ RULES_READ, "/w/ws/a[1]*?.txt", "$WORKSPACE/a[[]1][*][?].txt" },
	{ RULES_READ, "/w/ws/$HOME", "$WORKSPACE/[$]HOME" },
	{ RULES_READ, "/srv/data/x", "/srv/data/x" },
};

START_TEST(test_path)
{
	const struct path_case *t = &paths[_i];
	struct rules_learn *l;
	struct rules_policy *p;
	struct rules_verdict v;
	char out[4096], err[512], json[8192];

	ck_assert_int_eq(rules_learn_new(&l, &vars, NULL, false), 0);
	ck_assert_int_eq(rules_learn_path(l, t->c, t->path, out, sizeof(out)),
			 0);
	ck_assert_msg(!strcmp(out, t->want), "%s: got \"%s\", want \"%s\"",
		      t->path, out, t->want);
	rules_learn_free(l);

	/* what it writes is a pattern that covers the path */
	snprintf(json, sizeof(json),
		 "{\"files\": {\"read\": {\"default\": \"deny\", "
		 "\"allow\": [\"%s\"]}}}",
		 out);
	ck_assert_int_eq(rules_policy_new(&p, &vars), 0);
	ck_assert_msg(rules_policy_add_json(p, json, "t", NULL, err,
					    sizeof(err)) == 0,
		      "%s", err);
	rules_check_path(p, RULES_READ, t->path, &v);
	ck_assert_msg(v.action == RULES_ALLOW, "%s does not cover %s", out,
		      t->path);
	rules_policy_free(p);
}
END_TEST

/* ---- temporary names, for a denial's advice ------------------------ */

static const struct temp_case {
	const char *name;
	const char *want; /* NULL: not a chosen name */
} temps[] = {
	{ "sedOmDv7I", "sed??????" }, /* sed -i: mkstemp's six */
	{ "sedabCd12", "sed??????" }, /* six at the least */
	{ "sedrbKIBB", "sed??????" }, /* one change, not to digits */
	{ "tmp.uneKAUYCWY", "tmp.??????????" },
	{ "report2024", NULL }, /* a word and a number */
	{ "sedOm7vQb", "sed??????" },
	{ "ccA1b2C3.s", "cc??????.s" },		/* gcc's */
	{ "tmp.jHTjIvF98B", "tmp.??????????" }, /* mktemp(1): ten */
	{ "tmp_obj_AbC123", "tmp_obj_??????" }, /* git's */
	{ "tmpva87flla", "tmp????????" },	/* Python's */
	{ "XXuOBJZi", NULL },			/* perl -i's: nothing left */
	{ "yHTjIvF98B", NULL },			/* mktemp XXXXXXXXXX: "y" */
	{ "sudoers2024", NULL },		/* a word and a number */
	{ "known_hosts2", NULL },
	{ ".aB3dE6", NULL },
	{ "tmp_a8c_d9k.txt", "tmp????????.txt" },
	{ "a[bC1d2", NULL },		  /* a run of five */
	{ "xy[AbC1d2E", "xy[[]???????" }, /* glob bytes kept literal */
	{ "new.txt", NULL },
	{ "Makefile", NULL }, /* a capital first */
	{ "README.md", NULL },
	{ "results", NULL },
	{ "index.lock", NULL },
	{ ".main.c.swp", NULL },
	{ "4913", NULL }, /* vim's probe */
	/* a UUID, whole (npm's cache) or in a name: its digits */
	{ "ef907597-7bee-4c0d-95ad-0a1b2c3d4e5f",
	  "????????-????-????-????-????????????" },
	{ "job-ef907597-7BEE-4c0d-95ad-0a1b2c3d4e5f.json",
	  "job-????????-????-????-????-????????????.json" },
	{ "ef907597-7bee-4c0d-95ad", NULL }, /* not one */
	{ "", NULL },
};

START_TEST(test_temp_name)
{
	const struct temp_case *c = &temps[_i];
	char out[256] = "";
	bool got = rules_learn_temp_name(c->name, out, sizeof(out));

	ck_assert_msg(got == (c->want != NULL), "%s: %s", c->name,
		      got ? out : "not chosen");
	if (c->want)
		ck_assert_str_eq(out, c->want);
}
END_TEST

START_TEST(test_workspace_in_home)
{
	static const char *const ws[] = { "/home/u/src/proj" };
	const struct rules_vars v = { "/home/u", "/tmp/p", ws, 1 };
	struct rules_learn *l;
	char out[256];

	ck_assert_int_eq(rules_learn_new(&l, &v, NULL, false), 0);
	rules_learn_path(l, RULES_READ, "/home/u/src/proj/a", out, sizeof(out));
	ck_assert_str_eq(out, "$WORKSPACE/a");
	rules_learn_path(l, RULES_READ, "/home/u/src/other", out, sizeof(out));
	ck_assert_str_eq(out, "~/src/other");
	rules_learn_free(l);
}
END_TEST

/* ---- whole learners ------------------------------------------------------ */

struct fixture {
	struct rules_policy *base;
	struct rules_learn *l;
	cJSON *root;
	char *text;
	size_t n_review;
};

static void start(struct fixture *f, bool permissive)
{
	memset(f, 0, sizeof(*f));
	f->base = builtin(&vars);
	ck_assert_int_eq(rules_learn_new(&f->l, &vars, f->base, permissive), 0);
}

static void add(struct fixture *f, enum rules_class c, const char *obj,
		bool denied, bool created)
{
	struct rules_learn_event e = {
		.cls = c, .object = obj, .denied = denied, .created = created
	};

	ck_assert_int_eq(rules_learn_add(f->l, &e), 0);
}

static void add_name(struct fixture *f, const char *name)
{
	struct rules_learn_event e = { .cls = RULES_CONNECT,
				       .object = "192.0.2.1:443",
				       .name = name };

	ck_assert_int_eq(rules_learn_add(f->l, &e), 0);
}

/* argv given as one string, split on blanks */
static void add_exec(struct fixture *f, const char *exe, const char *cmdline)
{
	char buf[512], *save = NULL, *w;
	const char *argv[32];
	struct rules_learn_event e = { .cls = RULES_EXEC, .object = exe };

	snprintf(buf, sizeof(buf), "%s", cmdline);
	for (w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
		argv[e.argc++] = w;
	e.argv = argv;
	ck_assert_int_eq(rules_learn_add(f->l, &e), 0);
}

static void finish(struct fixture *f)
{
	f->text = rules_learn_policy(f->l, &f->n_review);
	ck_assert_ptr_nonnull(f->text);
	f->root = cJSON_Parse(f->text);
	ck_assert_msg(f->root != NULL, "not JSON:\n%s", f->text);
}

static void stop(struct fixture *f)
{
	cJSON_Delete(f->root);
	free(f->text);
	rules_learn_free(f->l);
	rules_policy_free(f->base);
}

/* The list at "files.read.allow" (dots), or NULL. */
static cJSON *list_at(cJSON *root, const char *where)
{
	char buf[128], *save = NULL, *k;
	cJSON *o = root;

	snprintf(buf, sizeof(buf), "%s", where);
	for (k = strtok_r(buf, ".", &save); k && o;
	     k = strtok_r(NULL, ".", &save))
		o = cJSON_GetObjectItemCaseSensitive(o, k);
	return o;
}

/* An entry's pattern as text: exec words joined by blanks. */
static void pattern_text(const cJSON *e, char *out, size_t size)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(e, "pattern"), *w;
	size_t o = 0;

	out[0] = '\0';
	if (cJSON_IsString(p)) {
		snprintf(out, size, "%s", p->valuestring);
		return;
	}
	cJSON_ArrayForEach(w, p) o += (size_t)snprintf(
		out + o, size - o, "%s%s", o ? " " : "", w->valuestring);
}

static cJSON *entry(struct fixture *f, const char *where, const char *pat)
{
	cJSON *e;
	char text[1024];

	cJSON_ArrayForEach(e, list_at(f->root, where))
	{
		pattern_text(e, text, sizeof(text));
		if (!strcmp(text, pat))
			return e;
	}
	return NULL;
}

static void expect_entry(struct fixture *f, const char *where, const char *pat,
			 int events, bool review)
{
	cJSON *e = entry(f, where, pat);

	ck_assert_msg(e != NULL, "no %s \"%s\" in:\n%s", where, pat, f->text);
	if (events >= 0)
		ck_assert_int_eq(
			cJSON_GetObjectItemCaseSensitive(e, "events")->valueint,
			events);
	ck_assert_msg(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
			      e, "review")) == review,
		      "%s \"%s\": review should be %d", where, pat, review);
	ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(e, "why"));
}

/* The entry names its directory alone ("beneath": false). */
static bool itself(struct fixture *f, const char *where, const char *pat)
{
	cJSON *e = entry(f, where, pat);

	ck_assert_msg(e != NULL, "no %s \"%s\" in:\n%s", where, pat, f->text);
	return cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(e, "beneath"));
}

static int count(struct fixture *f, const char *where)
{
	return cJSON_GetArraySize(list_at(f->root, where));
}

/* The policy it writes reads back, unless it names hosts (#5). */
static void expect_valid(struct fixture *f)
{
	struct rules_policy *p;
	char err[512] = "";

	ck_assert_int_eq(rules_policy_new(&p, &vars), 0);
	ck_assert_msg(rules_policy_add_json(p, f->text, "learned", "/w/ws", err,
					    sizeof(err)) == 0,
		      "%s\n%s", err, f->text);
	rules_policy_free(p);
}

/* The learned policy, compiled, decides path for class c. */
static enum rules_action learned_says(struct fixture *f, enum rules_class c,
				      const char *path)
{
	struct rules_policy *p;
	struct rules_verdict v = { 0 };
	char err[512] = "";

	ck_assert_int_eq(rules_policy_new(&p, &vars), 0);
	ck_assert_msg(rules_policy_add_json(p, f->text, "learned", "/w/ws", err,
					    sizeof(err)) == 0,
		      "%s\n%s", err, f->text);
	rules_check_path(p, c, path, &v);
	rules_policy_free(p);
	return v.action;
}

/*
 * A learned directory beats a protection with a glob above it: the
 * protection is copied again beneath it, and holds (#7 review).
 */
START_TEST(test_protections_beneath)
{
	struct fixture f;
	char path[64], err[512] = "";
	int i;

	start(&f, false);
	for (i = 0; i < RULES_LEARN_DIR_THRESHOLD + 1; i++) {
		snprintf(path, sizeof(path), "/w/ws/repo/f%d", i);
		add(&f, RULES_WRITE, path, false, false);
		snprintf(path, sizeof(path), "/w/ws/.git/modules/lib/o%d", i);
		add(&f, RULES_WRITE, path, false, false);
	}
	finish(&f);
	expect_entry(&f, "files.write.allow", "$WORKSPACE/repo", -1, false);
	expect_entry(&f, "files.write.deny", "$WORKSPACE/repo/**/.git/hooks",
		     -1, false);
	ck_assert_int_eq(learned_says(&f, RULES_WRITE, "/w/ws/repo/f1"),
			 RULES_ALLOW);
	ck_assert_int_eq(learned_says(&f, RULES_WRITE,
				      "/w/ws/repo/.git/hooks/x"),
			 RULES_DENY);
	ck_assert_int_eq(learned_says(&f, RULES_WRITE,
				      "/w/ws/repo/.git/config"),
			 RULES_DENY);
	ck_assert_int_eq(learned_says(&f, RULES_WRITE,
				      "/w/ws/repo/sub/.git/config"),
			 RULES_DENY);
	ck_assert_int_eq(learned_says(&f, RULES_WRITE,
				      "/w/ws/.git/modules/lib/hooks/post-x"),
			 RULES_DENY);
	ck_assert_int_eq(learned_says(&f, RULES_WRITE,
				      "/w/ws/.git/modules/lib/o1"),
			 RULES_ALLOW);
	stop(&f);

	/* a --base read denial with a glob; it denies writing too */
	memset(&f, 0, sizeof(f));
	f.base = builtin(&vars);
	ck_assert_msg(rules_policy_add_json(f.base,
					    "{\"files\":{\"read\":{\"deny\":"
					    "[\"$WORKSPACE/**/*.pem\"]}}}",
					    "base", "/w/ws", err,
					    sizeof(err)) == 0,
		      "%s", err);
	ck_assert_int_eq(rules_learn_new(&f.l, &vars, f.base, false), 0);
	for (i = 0; i < RULES_LEARN_DIR_THRESHOLD + 1; i++) {
		snprintf(path, sizeof(path), "/w/ws/certs/c%d.txt", i);
		add(&f, RULES_READ, path, false, false);
		add(&f, RULES_WRITE, path, false, false);
	}
	finish(&f);
	expect_entry(&f, "files.read.allow", "$WORKSPACE/certs", -1, false);
	ck_assert_int_eq(learned_says(&f, RULES_READ, "/w/ws/certs/a.pem"),
			 RULES_DENY);
	ck_assert_int_eq(learned_says(&f, RULES_WRITE, "/w/ws/certs/a.pem"),
			 RULES_DENY);
	ck_assert_int_eq(learned_says(&f, RULES_READ, "/w/ws/certs/c1.txt"),
			 RULES_ALLOW);
	stop(&f);
}
END_TEST

/* /proc/PID becomes a glob of digits: never /proc/sys or /proc/kcore */
START_TEST(test_proc_glob)
{
	struct fixture f;

	start(&f, false);
	add(&f, RULES_READ, "/proc/1234/status", false, false);
	add(&f, RULES_READ, "/proc/1234/task/1235/stat", false, false);
	finish(&f);
	ck_assert_int_eq(learned_says(&f, RULES_READ, "/proc/42/status"),
			 RULES_ALLOW);
	ck_assert_int_eq(learned_says(&f, RULES_READ, "/proc/sys/status"),
			 RULES_DENY);
	ck_assert_int_eq(learned_says(&f, RULES_READ, "/proc/kcore/status"),
			 RULES_DENY);
	stop(&f);
}
END_TEST

/* Without a base, the built-in secrets and protections still hold. */
START_TEST(test_no_base)
{
	struct rules_learn *l;
	struct rules_learn_event e = { .cls = RULES_READ };
	char path[64], *text;
	int i;

	ck_assert_int_eq(rules_learn_new(&l, &vars, NULL, false), 0);
	for (i = 0; i < RULES_LEARN_DIR_THRESHOLD + 1; i++) {
		snprintf(path, sizeof(path), "/w/ws/d/f%d", i);
		e.object = path;
		ck_assert_int_eq(rules_learn_add(l, &e), 0);
	}
	e.object = "/home/u/.ssh/id_rsa";
	ck_assert_int_eq(rules_learn_add(l, &e), 0);
	text = rules_learn_policy(l, NULL);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(strstr(text, "\"~/.ssh/id_rsa\", \"events\": 1, "
					   "\"why\": \"secret"));
	free(text);
	rules_learn_free(l);
}
END_TEST

/* A deep tree collapses like a shallow one (the tree of components). */
START_TEST(test_deep)
{
	struct fixture f;
	char dir[3000], path[3100], want[3100];
	size_t o = 0;
	int i;

	o = (size_t)snprintf(dir, sizeof(dir), "/w/ws");
	for (i = 0; i < 300; i++)
		o += (size_t)snprintf(dir + o, sizeof(dir) - o, "/l%d", i % 7);
	start(&f, false);
	for (i = 0; i < RULES_LEARN_DIR_THRESHOLD + 1; i++) {
		snprintf(path, sizeof(path), "%s/f%d", dir, i);
		add(&f, RULES_READ, path, false, false);
	}
	snprintf(path, sizeof(path), "%s/one", dir);
	path[strlen(path) - 4 - 3] = '\0'; /* a file two levels up */
	strcat(path, "/x");
	add(&f, RULES_READ, path, false, false);
	finish(&f);
	snprintf(want, sizeof(want), "$WORKSPACE%s", dir + 5);
	expect_entry(&f, "files.read.allow", want,
		     RULES_LEARN_DIR_THRESHOLD + 1, false);
	ck_assert_int_eq(count(&f, "files.read.allow"), 2);
	stop(&f);
}
END_TEST

START_TEST(test_threshold)
{
	struct fixture f;
	char path[64];
	int i;

	/* few stays under the threshold even with "many" counted as one */
	start(&f, false);
	for (i = 0; i < RULES_LEARN_DIR_THRESHOLD - 2; i++) {
		snprintf(path, sizeof(path), "/w/ws/few/f%d.txt", i);
		add(&f, RULES_READ, path, false, false);
	}
	for (i = 0; i < RULES_LEARN_DIR_THRESHOLD; i++) {
		snprintf(path, sizeof(path), "/w/ws/many/f%d.txt", i);
		add(&f, RULES_READ, path, false, false);
		add(&f, RULES_READ, path, false, false);
	}
	finish(&f);
	expect_valid(&f);
	expect_entry(&f, "files.read.allow", "$WORKSPACE/few/f0.txt", 1, false);
	expect_entry(&f, "files.read.allow", "$WORKSPACE/many",
		     2 * RULES_LEARN_DIR_THRESHOLD, false);
	ck_assert_int_eq(count(&f, "files.read.allow"),
			 RULES_LEARN_DIR_THRESHOLD - 1);
	ck_assert_ptr_nonnull(strstr(f.text, "entries beneath it (threshold"));
	stop(&f);

	/* one more beside them, and the workspace itself collapses */
	start(&f, false);
	for (i = 0; i < RULES_LEARN_DIR_THRESHOLD - 1; i++) {
		snprintf(path, sizeof(path), "/w/ws/few/f%d.txt", i);
		add(&f, RULES_READ, path, false, false);
	}
	add(&f, RULES_READ, "/w/ws/x", false, false);
	finish(&f);
	expect_entry(&f, "files.read.allow", "$WORKSPACE",
		     RULES_LEARN_DIR_THRESHOLD, false);
	stop(&f);
}
END_TEST

/* Never /, a top-level directory, or ~ itself. */
START_TEST(test_no_collapse_to_floors)
{
	struct fixture f;
	char path[64];
	int i;

	start(&f, false);
	for (i = 0; i < 10; i++) {
		snprintf(path, sizeof(path), "/home/u/f%d", i);
		add(&f, RULES_READ, path, false, false);
		snprintf(path, sizeof(path), "/srv/f%d", i);
		add(&f, RULES_READ, path, false, false);
		snprintf(path, sizeof(path), "/x%d", i);
		add(&f, RULES_READ, path, false, false);
	}
	add(&f, RULES_READ, "/home/u", false, false);
	add(&f, RULES_READ, "/", false, false);
	finish(&f);
	expect_valid(&f);
	ck_assert_ptr_null(entry(&f, "files.read.allow", "/srv"));
	expect_entry(&f, "files.read.allow", "/srv/f3", 1, false);
	expect_entry(&f, "files.read.allow", "~/f3", 1, false);
	/* a listing of ~ or / is an entry for the directory alone */
	expect_entry(&f, "files.read.allow", "~", 1, false);
	expect_entry(&f, "files.read.allow", "/", 1, false);
	ck_assert(itself(&f, "files.read.allow", "~"));
	ck_assert(itself(&f, "files.read.allow", "/"));
	ck_assert_uint_eq(f.n_review, 0);
	stop(&f);
}
END_TEST

static void add_dir(struct fixture *f, enum rules_class c, const char *obj)
{
	struct rules_learn_event e = { .cls = c, .object = obj, .dir = true };

	ck_assert_int_eq(rules_learn_add(f->l, &e), 0);
}

/* A policy of the learned text, checked on one path. */
static enum rules_action verdict(struct fixture *f, enum rules_class c,
				 const char *path)
{
	struct rules_policy *p;
	struct rules_verdict v;
	char err[512] = "";

	ck_assert_int_eq(rules_policy_new(&p, &vars), 0);
	ck_assert_msg(rules_policy_add_json(p, f->text, "learned", "/w/ws", err,
					    sizeof(err)) == 0,
		      "%s", err);
	rules_check_path(p, c, path, &v);
	rules_policy_free(p);
	return v.action;
}

/*
 * A directory the run listed (or made) is learned alone: "beneath":
 * false, so the learned policy lets the run list it and grants nothing
 * beneath it.  Collapsing still works: past the threshold the entries
 * beneath, and the one for the directory alone, become one.
 */
START_TEST(test_listed_dirs)
{
	struct fixture f;
	char path[64];
	int i;

	start(&f, false);
	add_dir(&f, RULES_READ, "/w/ws/src");
	add(&f, RULES_READ, "/w/ws/src/a.c", false, false);
	add_dir(&f, RULES_READ, "/srv/data");
	add_dir(&f, RULES_READ, "/proc/4242/fd");
	add_dir(&f, RULES_READ, "/usr/share/doc");
	add_dir(&f, RULES_WRITE, "/w/ws/out");
	add_dir(&f, RULES_READ, "/w/ws/conf.d");
	add_dir(&f, RULES_READ, "/w/ws/big");
	for (i = 0; i < RULES_LEARN_DIR_THRESHOLD; i++) {
		snprintf(path, sizeof(path), "/w/ws/big/f%d", i);
		add(&f, RULES_READ, path, false, false);
	}
	finish(&f);
	expect_valid(&f);
	ck_assert(itself(&f, "files.read.allow", "$WORKSPACE/src"));
	ck_assert(itself(&f, "files.read.allow", "/srv/data"));
	ck_assert(itself(&f, "files.read.allow", "/proc/[0-9]*/fd"));
	ck_assert(itself(&f, "files.write.allow", "$WORKSPACE/out"));
	/* a directory's name is no build output (*.d) */
	ck_assert(itself(&f, "files.read.allow", "$WORKSPACE/conf.d"));
	/* system directories collapse whole, as reads of them do */
	ck_assert(!itself(&f, "files.read.allow", "/usr"));
	ck_assert_int_eq(verdict(&f, RULES_READ, "/srv/data"), RULES_ALLOW);
	ck_assert_int_eq(verdict(&f, RULES_READ, "/srv/data/x"), RULES_DENY);
	ck_assert_int_eq(verdict(&f, RULES_READ, "/proc/7/fd"), RULES_ALLOW);
	ck_assert_int_eq(verdict(&f, RULES_READ, "/proc/7/fd/3"), RULES_DENY);
	ck_assert_int_eq(verdict(&f, RULES_WRITE, "/w/ws/out"), RULES_ALLOW);
	stop(&f);

	start(&f, false);
	add_dir(&f, RULES_READ, "/w/ws/big");
	for (i = 0; i < RULES_LEARN_DIR_THRESHOLD; i++) {
		snprintf(path, sizeof(path), "/w/ws/big/f%d", i);
		add(&f, RULES_READ, path, false, false);
	}
	finish(&f);
	expect_entry(&f, "files.read.allow", "$WORKSPACE/big",
		     RULES_LEARN_DIR_THRESHOLD + 1, false);
	ck_assert(!itself(&f, "files.read.allow", "$WORKSPACE/big"));
	ck_assert_int_eq(count(&f, "files.read.allow"), 1);
	stop(&f);

	/* eight directories listed beneath one count as eight entries */
	start(&f, false);
	for (i = 0; i < RULES_LEARN_DIR_THRESHOLD; i++) {
		snprintf(path, sizeof(path), "/w/ws/tree/d%d", i);
		add_dir(&f, RULES_READ, path);
	}
	finish(&f);
	expect_entry(&f, "files.read.allow", "$WORKSPACE/tree",
		     RULES_LEARN_DIR_THRESHOLD, false);
	ck_assert_int_eq(count(&f, "files.read.allow"), 1);
	stop(&f);

	/* a listing beside an entry covering it adds nothing */
	start(&f, false);
	add_dir(&f, RULES_READ, "/w/ws/both");
	add(&f, RULES_READ, "/w/ws/both", false, false);
	finish(&f);
	expect_entry(&f, "files.read.allow", "$WORKSPACE/both", 2, false);
	ck_assert_int_eq(count(&f, "files.read.allow"), 1);
	stop(&f);
}
END_TEST

/*
 * Directories collapse deepest first, a collapsed one counting as one
 * entry above it; the counts are the same whatever the order of events.
 */
START_TEST(test_nested_collapse)
{
	struct fixture f;
	char path[64];
	int i, j;

	start(&f, false);
	for (j = 0; j < RULES_LEARN_DIR_THRESHOLD - 1; j++)
		for (i = 0; i < RULES_LEARN_DIR_THRESHOLD; i++) {
			snprintf(path, sizeof(path), "/srv/a/b%d/f%d", j, i);
			add(&f, RULES_READ, path, false, false);
		}
	add(&f, RULES_READ, "/srv/a/lone", false, false);
	finish(&f);
	/* 7 collapsed b* and one file: 8 entries beneath /srv/a */
	expect_entry(
		&f, "files.read.allow", "/srv/a",
		(RULES_LEARN_DIR_THRESHOLD - 1) * RULES_LEARN_DIR_THRESHOLD + 1,
		false);
	ck_assert_int_eq(count(&f, "files.read.allow"), 1);
	ck_assert_ptr_nonnull(strstr(f.text, "8 entries beneath it"));
	stop(&f);

	start(&f, false);
	for (j = 0; j < RULES_LEARN_DIR_THRESHOLD - 2; j++)
		for (i = 0; i < RULES_LEARN_DIR_THRESHOLD; i++) {
			snprintf(path, sizeof(path), "/srv/a/b%d/f%d", j, i);
			add(&f, RULES_READ, path, false, false);
		}
	add(&f, RULES_READ, "/srv/a/lone", false, false);
	finish(&f);
	expect_entry(&f, "files.read.allow", "/srv/a/b0",
		     RULES_LEARN_DIR_THRESHOLD, false);
	expect_entry(&f, "files.read.allow", "/srv/a/lone", 1, false);
	ck_assert_ptr_null(entry(&f, "files.read.allow", "/srv/a"));
	stop(&f);
}
END_TEST

/*
 * A name that is not UTF-8 cannot be written in a policy: its bytes
 * become "?" (which matches them), and the entry waits for review; with
 * the flag removed it matches the real name.  Never the name as the log
 * shows it (U+FFFD), which would be another file.
 */
START_TEST(test_not_utf8)
{
	struct fixture f;
	char *approved, *at;
	const char *argv[] = { "t\xffol", "run" };
	struct rules_learn_event e = { .cls = RULES_EXEC,
				       .object = "/w/ws/bin/t\xffol",
				       .argv = argv,
				       .argc = 2 };
	struct rules_policy *p;
	struct rules_verdict v;
	char err[512] = "";

	start(&f, false);
	add(&f, RULES_READ, "/w/ws/caf\xe9.txt", false, false);
	add(&f, RULES_WRITE, "/w/ws/out\xc3(", false, false);
	ck_assert_int_eq(rules_learn_add(f.l, &e), 0);
	finish(&f);
	expect_valid(&f);
	expect_entry(&f, "files.read.allow", "$WORKSPACE/caf?.txt", 1, true);
	expect_entry(&f, "files.write.allow", "$WORKSPACE/out?(", 1, true);
	expect_entry(&f, "exec.allow", "$WORKSPACE/bin/t?ol run", 1, true);
	ck_assert_ptr_nonnull(strstr(f.text, "not UTF-8"));

	/* approved: it matches the real bytes */
	approved = strdup(f.text);
	while ((at = strstr(approved, ", \"review\": true")))
		memmove(at, at + 16, strlen(at + 16) + 1);
	ck_assert_int_eq(rules_policy_new(&p, &vars), 0);
	ck_assert_msg(rules_policy_add_json(p, approved, "t", "/w/ws", err,
					    sizeof(err)) == 0,
		      "%s", err);
	rules_check_path(p, RULES_READ, "/w/ws/caf\xe9.txt", &v);
	ck_assert_int_eq(v.action, RULES_ALLOW);
	rules_check_exec(p, "/w/ws/bin/t\xffol", argv, 2, &v);
	ck_assert_int_eq(v.action, RULES_ALLOW);
	rules_policy_free(p);
	free(approved);
	stop(&f);
}
END_TEST

/*
 * The learned policy stands in place of the base: "builtin": false, and
 * the base's deny and ask entries copied, except one that an entry for
 * review names exactly (it stands in: approved, it grants).
 */
START_TEST(test_stands_in)
{
	struct fixture f;
	struct rules_policy *p;
	struct rules_verdict v;
	const char *push[] = { "git", "push" };
	char err[512] = "", *approved, *at;
	int i;

	start(&f, true);
	add_exec(&f, "/usr/bin/git", "git push");
	for (i = 0; i < RULES_LEARN_DIR_THRESHOLD; i++) {
		char path[64];

		snprintf(path, sizeof(path), "/home/u/.config/app%d/x", i);
		add(&f, RULES_READ, path, false, false);
	}
	add(&f, RULES_WRITE, "/w/ws/out.txt", false, false);
	finish(&f);
	expect_valid(&f);
	ck_assert(cJSON_IsFalse(
		cJSON_GetObjectItemCaseSensitive(f.root, "builtin")));
	expect_entry(&f, "files.read.allow", "~/.config", -1, false);
	ck_assert_ptr_nonnull(entry(&f, "files.read.deny", "~/.config/gh"));
	ck_assert_ptr_nonnull(entry(&f, "files.read.deny", "~/.ssh"));
	ck_assert_ptr_nonnull(
		entry(&f, "files.write.deny", "$WORKSPACE/.git/hooks"));
	/* git push: needed, for review; the built-in's ask left out */
	expect_entry(&f, "exec.allow", "git push", 1, true);
	ck_assert_ptr_null(entry(&f, "exec.ask", "git push"));
	ck_assert_ptr_nonnull(strstr(f.text, "stands in for the base's"));

	/* enforced alone: the protections hold, nothing else is granted */
	ck_assert_int_eq(rules_policy_new(&p, &vars), 0);
	ck_assert_msg(rules_policy_add_json(p, f.text, "t", "/w/ws", err,
					    sizeof(err)) == 0,
		      "%s", err);
	rules_check_path(p, RULES_READ, "/home/u/.config/gh/hosts.yml", &v);
	ck_assert_int_eq(v.action, RULES_DENY);
	rules_check_path(p, RULES_READ, "/home/u/.config/app3/x", &v);
	ck_assert_int_eq(v.action, RULES_ALLOW);
	rules_check_path(p, RULES_WRITE, "/w/ws/other.txt", &v);
	ck_assert_int_eq(v.action, RULES_DENY);
	rules_check_exec(p, "/usr/bin/git", push, 2, &v);
	ck_assert_int_eq(v.action, RULES_DENY);
	rules_policy_free(p);

	/* approved: git push runs without a question */
	approved = strdup(f.text);
	while ((at = strstr(approved, ", \"review\": true")))
		memmove(at, at + 16, strlen(at + 16) + 1);
	ck_assert_int_eq(rules_policy_new(&p, &vars), 0);
	ck_assert_int_eq(rules_policy_add_json(p, approved, "t", "/w/ws", err,
					       sizeof(err)),
			 0);
	rules_check_exec(p, "/usr/bin/git", push, 2, &v);
	ck_assert_int_eq(v.action, RULES_ALLOW);
	rules_policy_free(p);
	free(approved);
	stop(&f);
}
END_TEST

/* Names a schema 1 log may have written for other bytes: for review. */
START_TEST(test_unsure)
{
	struct fixture f;
	struct rules_learn_event e = { .cls = RULES_READ,
				       .object = "/w/ws/na\xc3\xafve.txt",
				       .unsure = true };

	start(&f, false);
	ck_assert_int_eq(rules_learn_add(f.l, &e), 0);
	add(&f, RULES_READ, "/w/ws/plain.txt", false, false);
	finish(&f);
	expect_entry(&f, "files.read.allow", "$WORKSPACE/na\xc3\xafve.txt", 1,
		     true);
	expect_entry(&f, "files.read.allow", "$WORKSPACE/plain.txt", 1, false);
	ck_assert_ptr_nonnull(strstr(f.text, "schema 1"));
	stop(&f);
}
END_TEST

/* Many distinct paths: learned in one pass (no time asserted here). */
START_TEST(test_many_paths)
{
	struct fixture f;
	char path[96];
	int i;

	start(&f, false);
	for (i = 0; i < 50000; i++) {
		snprintf(path, sizeof(path), "/srv/d%d/e%d/f%d.txt", i / 1000,
			 i / 10 % 100, i % 10);
		add(&f, RULES_READ, path, false, false);
	}
	finish(&f);
	expect_entry(&f, "files.read.allow", "/srv/d0", 1000, false);
	ck_assert_int_eq(count(&f, "files.read.allow"), 50);
	stop(&f);
}
END_TEST

/* Secrets: never an allow, never collapsed, whatever the run was let do. */
START_TEST(test_secrets)
{
	struct fixture f;
	char path[64];
	int i, perm;

	for (perm = 0; perm < 2; perm++) {
		start(&f, perm);
		for (i = 0; i < 20; i++) {
			snprintf(path, sizeof(path), "/home/u/.ssh/k%d", i);
			add(&f, RULES_READ, path, !perm, false);
		}
		add(&f, RULES_READ, "/home/u/.aws/credentials", false, false);
		add(&f, RULES_WRITE, "/home/u/.ssh/authorized_keys", false,
		    false);
		finish(&f);
		expect_valid(&f);
		expect_entry(&f, "files.read.allow", "~/.ssh/k7", 1, true);
		expect_entry(&f, "files.read.allow", "~/.aws/credentials", 1,
			     true);
		expect_entry(&f, "files.write.allow", "~/.ssh/authorized_keys",
			     1, true);
		ck_assert_ptr_null(entry(&f, "files.read.allow", "~/.ssh"));
		ck_assert_uint_eq(f.n_review, 22);
		ck_assert_ptr_nonnull(strstr(f.text, "secret: built-in "
						     "files.read.deny[0]"));
		stop(&f);
	}
}
END_TEST

/* Denied by the base: an entry as it was, for review. */
START_TEST(test_needed)
{
	struct fixture f;

	start(&f, false);
	add(&f, RULES_WRITE, "/etc/tool/x.conf", true, false);
	add(&f, RULES_WRITE, "/tmp/ab12cd34ef/out", true, false);
	add(&f, RULES_CONNECT, "10.0.0.1:80", true, false);
	finish(&f);
	expect_valid(&f);
	expect_entry(&f, "files.write.allow", "/etc/tool/x.conf", 1, true);
	expect_entry(&f, "files.write.allow", "/tmp/ab12cd34ef/out", 1, true);
	expect_entry(&f, "network.allow", "10.0.0.1:80", 1, true);
	ck_assert_ptr_nonnull(strstr(f.text, "needed: the base policy denies "
					     "it (files.write.default deny)"));
	stop(&f);
}
END_TEST

/* A permissive run's events are judged again by the base. */
START_TEST(test_permissive)
{
	struct fixture f;

	start(&f, true);
	add(&f, RULES_WRITE, "/etc/tool.conf", false, false);
	add(&f, RULES_WRITE, "/w/ws/out.txt", false, false);
	add(&f, RULES_CONNECT, "127.0.0.1:8080", false, false);
	add(&f, RULES_CONNECT, "unix:/w/ws/s.sock", false, false);
	add_exec(&f, "/usr/bin/git", "git push origin");
	add_exec(&f, "/usr/bin/git", "git status");
	finish(&f);
	expect_valid(&f);
	expect_entry(&f, "files.write.allow", "/etc/tool.conf", 1, true);
	expect_entry(&f, "files.write.allow", "$WORKSPACE/out.txt", 1, false);
	expect_entry(&f, "network.allow", "127.0.0.1:8080", 1, true);
	/* sockets need entries (the run's own are let through) */
	expect_entry(&f, "network.allow", "unix:$WORKSPACE/s.sock", 1, true);
	/* the built-in asks before git push */
	expect_entry(&f, "exec.allow", "git push origin", 1, true);
	expect_entry(&f, "exec.allow", "git status", 1, false);
	stop(&f);

	/* under a create directory: what was there before waits (#7) */
	start(&f, true);
	{
		struct rules_learn_event e = { .cls = RULES_WRITE,
					       .object = "/tmp/old.log",
					       .preexisting = true };
		struct rules_learn_event n = { .cls = RULES_WRITE,
					       .object = "/tmp/new.log" };

		ck_assert_int_eq(rules_learn_add(f.l, &e), 0);
		ck_assert_int_eq(rules_learn_add(f.l, &n), 0);
	}
	add(&f, RULES_READ, "/home/u/.ssh/id_rsa", false, false);
	finish(&f);
	expect_entry(&f, "files.write.allow", "/tmp/old.log", 1, true);
	expect_entry(&f, "files.write.create", "/tmp", 1, false);
	expect_entry(&f, "files.read.allow", "~/.ssh/id_rsa", 1, true);
	ck_assert_ptr_null(strstr(f.text, "was denied"));
	stop(&f);
}
END_TEST

/* Create rules are learned as the rule; the run's own files need none. */
START_TEST(test_create_and_created)
{
	struct fixture f;

	start(&f, false);
	add(&f, RULES_WRITE, "/tmp/x1y2z3w4", false, true);
	add(&f, RULES_WRITE, "/tmp/other", false, true);
	add(&f, RULES_WRITE, "/w/ws/.git/hooks/pre-commit", false, true);
	add(&f, RULES_WRITE, "/w/ws/.git/config", false, true);
	finish(&f);
	expect_valid(&f);
	expect_entry(&f, "files.write.create", "/tmp", 2, false);
	ck_assert_int_eq(count(&f, "files.write.create"), 1);
	ck_assert_ptr_null(list_at(f.root, "files.write.allow"));
	stop(&f);
}
END_TEST

START_TEST(test_hosts)
{
	static const char *const few[] = { "a.example.com", "b.example.com",
					   "c.example.com" };
	static const char *const uk[] = { "a.co.uk", "b.co.uk", "c.co.uk",
					  "d.co.uk", "e.co.uk" };
	static const char *const deep[] = { "w1.x.example.co.uk",
					    "w2.example.co.uk",
					    "W3.Example.CO.UK.",
					    "w4.example.co.uk" };
	struct fixture f;
	size_t i;

	/* under the threshold, names stay */
	start(&f, false);
	for (i = 0; i < 3; i++)
		add_name(&f, few[i]);
	add_name(&f, "example.com");
	finish(&f);
	expect_entry(&f, "network.allow", "a.example.com", 1, false);
	expect_entry(&f, "network.allow", "example.com", 1, false);
	ck_assert_ptr_null(entry(&f, "network.allow", "*.example.com"));
	stop(&f);

	start(&f, false);
	for (i = 0; i < 3; i++)
		add_name(&f, few[i]);
	add_name(&f, "d.example.com");
	add_name(&f, "d.example.com");
	add_name(&f, "example.com");
	for (i = 0; i < N(uk); i++)
		add_name(&f, uk[i]);
	for (i = 0; i < N(deep); i++)
		add_name(&f, deep[i]);
	add_name(&f, "a.github.io");
	add_name(&f, "b.github.io");
	add_name(&f, "c.github.io");
	add_name(&f, "d.github.io");
	finish(&f);
	expect_entry(&f, "network.allow", "*.example.com", 5, false);
	expect_entry(&f, "network.allow", "example.com", 1, false);
	expect_entry(&f, "network.allow", "*.example.co.uk", 4, false);
	/* co.uk and github.io are public suffixes: never a wildcard */
	expect_entry(&f, "network.allow", "a.co.uk", 1, false);
	expect_entry(&f, "network.allow", "d.github.io", 1, false);
	ck_assert_ptr_null(strstr(f.text, "\"*.co.uk\""));
	ck_assert_ptr_null(strstr(f.text, "\"*.github.io\""));
	ck_assert_ptr_null(strstr(f.text, "\"*.uk\""));
	stop(&f);
}
END_TEST

/* Names answered for addresses, lookups, and what a name cannot grant. */
START_TEST(test_names_and_addresses)
{
	struct rules_learn_event lookup = { .cls = RULES_CONNECT,
					    .object = "Pypi.ORG.",
					    .name = "Pypi.ORG." };
	struct rules_learn_event local = { .cls = RULES_CONNECT,
					   .object = "127.0.0.1:8080",
					   .name = "dev.test" };
	struct rules_learn_event own = { .cls = RULES_CONNECT,
					 .object = "127.0.0.1:9999",
					 .created = true };
	struct rules_learn_event bad = { .cls = RULES_CONNECT,
					 .object = "192.0.2.7:80",
					 .name = "not a name" };
	struct fixture f;

	start(&f, false);
	add_name(&f, "api.example.com");
	ck_assert_int_eq(rules_learn_add(f.l, &lookup), 0);
	ck_assert_int_eq(rules_learn_add(f.l, &local), 0);
	ck_assert_int_eq(rules_learn_add(f.l, &own), 0);
	ck_assert_int_eq(rules_learn_add(f.l, &bad), 0);
	finish(&f);
	expect_valid(&f);
	expect_entry(&f, "network.allow", "api.example.com", 1, false);
	ck_assert_ptr_null(entry(&f, "network.allow", "192.0.2.1:443"));
	expect_entry(&f, "network.allow", "pypi.org", 1, false);
	/* a name never grants loopback: its address is learned too */
	expect_entry(&f, "network.allow", "dev.test", 1, false);
	expect_entry(&f, "network.allow", "127.0.0.1:8080", 1, false);
	ck_assert_ptr_null(entry(&f, "network.allow", "127.0.0.1:9999"));
	expect_entry(&f, "network.allow", "192.0.2.7:80", 1, false);
	stop(&f);

	/* unconfined, a lookup the base refuses waits for review */
	start(&f, true);
	ck_assert_int_eq(rules_learn_add(f.l, &lookup), 0);
	finish(&f);
	expect_entry(&f, "network.allow", "pypi.org", 1, true);
	stop(&f);
}
END_TEST

START_TEST(test_commands)
{
	struct rules_learn_event interp = { .cls = RULES_EXEC,
					    .object = "/usr/bin/python3.11",
					    .interpreter = true };
	struct fixture f;

	start(&f, false);
	add_exec(&f, "/usr/bin/git", "git init -q");
	add_exec(&f, "/usr/bin/git", "git add .");
	add_exec(&f, "/usr/bin/git", "git commit -q -m first");
	add_exec(&f, "/usr/bin/git", "git commit -q -am second");
	add_exec(&f, "/usr/bin/git", "git log --oneline");
	add_exec(&f, "/usr/bin/x86_64-linux-gnu-gcc-12",
		 "cc -O2 -c -o build/a.o src/a.c");
	add_exec(&f, "/usr/bin/x86_64-linux-gnu-gcc-12",
		 "cc -o prog build/a.o");
	add_exec(&f, "/usr/lib/gcc/x86_64-linux-gnu/12/cc1",
		 "cc1 -quiet src/a.c -o /tmp/proctor-1/ccA1b2C3.s");
	add_exec(&f, "/usr/bin/python3.11", "python3 tool.py");
	add_exec(&f, "/usr/bin/python3.11", "python3 tool.py");
	add_exec(&f, "/usr/bin/make", "make -j2");
	add_exec(&f, "/w/ws/prog", "./prog a1b2c3d4e5");
	add_exec(&f, "/tmp/proctor-1/conftest", "./conftest");
	add_exec(&f, "/usr/bin/sh", "sh -c x");
	add_exec(&f, "/usr/bin/sh", "sh ./configure");
	ck_assert_int_eq(rules_learn_add(f.l, &interp), 0);
	finish(&f);
	expect_valid(&f);
	expect_entry(&f, "exec.allow", "git init", 1, false);
	expect_entry(&f, "exec.allow", "git add", 1, false);
	expect_entry(&f, "exec.allow", "git commit", 2, false);
	expect_entry(&f, "exec.allow", "git log", 1, false);
	ck_assert_ptr_null(entry(&f, "exec.allow", "git"));
	/* the resolved program's name: what rules match */
	expect_entry(&f, "exec.allow", "x86_64-linux-gnu-gcc-12", 2, false);
	expect_entry(&f, "exec.allow", "cc1", 1, false);
	expect_entry(&f, "exec.allow", "python3.11 tool.py", 2, false);
	expect_entry(&f, "exec.allow", "python3.11", 1, false);
	expect_entry(&f, "exec.allow", "make", 1, false);
	expect_entry(&f, "exec.allow", "$WORKSPACE/prog", 1, false);
	expect_entry(&f, "exec.allow", "$TMPDIR/**", 1, false);
	expect_entry(&f, "exec.allow", "sh", 2, false);
	stop(&f);

	/* a word with glob characters is a word like another: the words
	 * after the program are compared as they are (#7) */
	start(&f, false);
	add_exec(&f, "/usr/bin/tool", "tool run *.c");
	add_exec(&f, "/usr/bin/tool", "tool run *.c");
	add_exec(&f, "/usr/bin/tool2", "tool2 [x] y");
	finish(&f);
	expect_valid(&f);
	expect_entry(&f, "exec.allow", "tool run *.c", 2, false);
	expect_entry(&f, "exec.allow", "tool2 [x] y", 1, false);
	stop(&f);
}
END_TEST

START_TEST(test_bad_events)
{
	struct rules_learn_event e = { .cls = RULES_READ };
	struct fixture f;

	start(&f, false);
	ck_assert_int_eq(rules_learn_add(f.l, &e), -EINVAL);
	e.object = "relative/path";
	ck_assert_int_eq(rules_learn_add(f.l, &e), -EINVAL);
	e.cls = RULES_EXEC;
	e.object = "/usr/bin/x";
	ck_assert_int_eq(rules_learn_add(f.l, &e), -EINVAL);
	finish(&f);
	stop(&f);
}
END_TEST

/* Lists are sorted, entries waiting for review last. */
START_TEST(test_sorted)
{
	struct fixture f;
	cJSON *e;
	char prev[256] = "", text[256];
	bool review = false;

	start(&f, false);
	add(&f, RULES_READ, "/w/ws/b", false, false);
	add(&f, RULES_READ, "/home/u/.ssh/a", true, false);
	add(&f, RULES_READ, "/w/ws/a", false, false);
	add(&f, RULES_READ, "/etc/x", false, false);
	finish(&f);
	cJSON_ArrayForEach(e, list_at(f.root, "files.read.allow"))
	{
		bool r = cJSON_IsTrue(
			cJSON_GetObjectItemCaseSensitive(e, "review"));

		pattern_text(e, text, sizeof(text));
		ck_assert_msg(r || !review, "%s after a review entry", text);
		if (r == review)
			ck_assert_msg(strcmp(prev, text) < 0, "%s after %s",
				      text, prev);
		review = r;
		snprintf(prev, sizeof(prev), "%s", text);
	}
	stop(&f);
}
END_TEST

static Suite *learn_suite(void)
{
	Suite *s = suite_create("learn");
	TCase *t = tcase_create("learn");

	tcase_add_loop_test(t, test_path, 0, N(paths));
	tcase_add_loop_test(t, test_temp_name, 0, N(temps));
	tcase_add_test(t, test_workspace_in_home);
	tcase_add_test(t, test_threshold);
	tcase_add_test(t, test_protections_beneath);
	tcase_add_test(t, test_proc_glob);
	tcase_add_test(t, test_deep);
	tcase_add_test(t, test_no_base);
	tcase_add_test(t, test_no_collapse_to_floors);
	tcase_add_test(t, test_listed_dirs);
	tcase_add_test(t, test_nested_collapse);
	tcase_add_test(t, test_many_paths);
	tcase_add_test(t, test_not_utf8);
	tcase_add_test(t, test_stands_in);
	tcase_add_test(t, test_unsure);
	tcase_add_test(t, test_secrets);
	tcase_add_test(t, test_needed);
	tcase_add_test(t, test_permissive);
	tcase_add_test(t, test_create_and_created);
	tcase_add_test(t, test_hosts);
	tcase_add_test(t, test_names_and_addresses);
	tcase_add_test(t, test_commands);
	tcase_add_test(t, test_bad_events);
	tcase_add_test(t, test_sorted);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *r = srunner_create(learn_suite());
	int failed;

	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
