/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for rules/: tables of (input, expected verdict).  Each table
 * row is one iteration of a Check loop test, so a failure names its row.
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "rules/rules.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

#define ALLOW  RULES_ALLOW
#define DENY   RULES_DENY
#define ASK    RULES_ASK
#define CREATE RULES_CREATE
#define READ   RULES_READ
#define WRITE  RULES_WRITE

static const char *const ws1[] = { "/w/ws" };
static const struct rules_vars vars = {
	.home = "/home/u",
	.tmpdir = "/tmp/proctor-1",
	.workspaces = ws1,
	.n_workspaces = 1,
};

static struct rules_policy *load(const struct rules_vars *v, const char *json,
				 const char *base_dir)
{
	struct rules_policy *p;
	char err[512] = "";

	ck_assert_int_eq(rules_policy_new(&p, v), 0);
	if (json)
		ck_assert_msg(rules_policy_add_json(p, json, "t.json", base_dir,
						    err, sizeof(err)) == 0,
			      "add_json: %s", err);
	return p;
}

static struct rules_policy *load_builtin(const struct rules_vars *v)
{
	struct rules_policy *p;
	char err[512] = "";

	ck_assert_int_eq(rules_policy_new(&p, v), 0);
	ck_assert_msg(rules_policy_add_json(p, rules_default_json, "built-in",
					    NULL, err, sizeof(err)) == 0,
		      "built-in: %s", err);
	return p;
}

/* Checks a verdict; where NULL means the class default. */
static void expect(const char *what, const struct rules_verdict *v,
		   enum rules_action want, const char *where)
{
	ck_assert_msg(v->action == want, "%s: got %s (%s %s \"%s\"), want %s",
		      what, rules_action_name(v->action), v->origin, v->where,
		      v->pattern, rules_action_name(want));
	if (where)
		ck_assert_msg(!v->is_default && strcmp(v->where, where) == 0,
			      "%s: decided by %s, want %s", what, v->where,
			      where);
	else
		ck_assert_msg(v->is_default, "%s: decided by %s, want default",
			      what, v->where);
}

/* The built-in policy. */

static const struct path_case {
	enum rules_class c;
	const char *path;
	enum rules_action want;
	const char *where;
} builtin_paths[] = {
	{ READ, "/home/u/.ssh/id_rsa", DENY, "files.read.deny[0]" },
	{ READ, "/home/u/.ssh", DENY, "files.read.deny[0]" },
	{ READ, "/home/u/.sshd/x", ALLOW, NULL },
	{ READ, "/home/u/.aws/credentials", DENY, "files.read.deny[2]" },
	{ READ, "/home/u/.docker/config.json", DENY, "files.read.deny[7]" },
	{ READ, "/home/u/.docker/other", ALLOW, NULL },
	{ READ, "/home/u/.config/proctor/a", DENY, "files.read.deny[12]" },
	{ READ, "/etc/passwd", ALLOW, NULL },
	{ READ, "/w/ws/.git/hooks/pre-commit", ALLOW, NULL },
	{ WRITE, "/w/ws/src/a.c", ALLOW, "files.write.allow[0]" },
	{ WRITE, "/w/ws", ALLOW, "files.write.allow[0]" },
	{ WRITE, "/w/ws-evil/a.c", DENY, NULL },
	{ WRITE, "/w/ws-evil", DENY, NULL },
	{ WRITE, "/w", DENY, NULL },
	{ WRITE, "/etc/x", DENY, NULL },
	{ WRITE, "/w/ws/.git/hooks/pre-commit", DENY, "files.write.deny[0]" },
	{ WRITE, "/w/ws/.git/hooks", DENY, "files.write.deny[0]" },
	{ WRITE, "/w/ws/.git/config", DENY, "files.write.deny[1]" },
	/* nested repositories and submodules are protected alike */
	{ WRITE, "/w/ws/vendor/lib/.git/hooks/post-checkout", DENY,
	  "files.write.deny[2]" },
	{ WRITE, "/w/ws/sub/.git/config", DENY, "files.write.deny[3]" },
	{ WRITE, "/w/ws/.git/modules/sub/hooks/pre-commit", DENY,
	  "files.write.deny[4]" },
	{ WRITE, "/w/ws/.git/modules/a/b/config", DENY, "files.write.deny[5]" },
	{ WRITE, "/w/ws/sub/src/main.c", ALLOW, "files.write.allow[0]" },
	{ WRITE, "/dev/shm/x", CREATE, "files.write.create[2]" },
	{ WRITE, "/w/ws/.git/HEAD", ALLOW, "files.write.allow[0]" },
	{ WRITE, "/w/ws/.envrc", DENY, "files.write.deny[6]" },
	{ WRITE, "/w/ws/.vscode/settings.json", DENY, "files.write.deny[7]" },
	{ WRITE, "/w/ws/.proctor.json", DENY, "files.write.deny[8]" },
	{ WRITE, "/w/ws/sub/.proctor.json", ALLOW, "files.write.allow[0]" },
	{ WRITE, "/tmp/x", CREATE, "files.write.create[0]" },
	{ WRITE, "/var/tmp/y/z", CREATE, "files.write.create[1]" },
	{ WRITE, "/tmp/proctor-1/x", ALLOW, "files.write.allow[1]" },
	{ WRITE, "/tmp/proctor-10", CREATE, "files.write.create[0]" },
	{ WRITE, "/dev/null", ALLOW, "files.write.allow[2]" },
	{ WRITE, "/dev/pts/ptmx", ALLOW, "files.write.allow[7]" },
	/* terminals: proctor decides which are the run's (tracer/pts.c) */
	{ WRITE, "/dev/pts/3", DENY, NULL },
	{ WRITE, "/dev/sda", DENY, NULL },
	/* The read deny is more specific than the write default. */
	{ WRITE, "/home/u/.ssh/authorized_keys", DENY, "files.read.deny[0]" },
	{ WRITE, "/home/u/notes", DENY, NULL },
};

START_TEST(test_builtin_paths)
{
	const struct path_case *t = &builtin_paths[_i];
	struct rules_policy *p = load_builtin(&vars);
	struct rules_verdict v;

	rules_check_path(p, t->c, t->path, &v);
	expect(t->path, &v, t->want, t->where);
	if (!t->where)
		ck_assert_str_eq(v.origin, "built-in");
	rules_policy_free(p);
}
END_TEST

/* The workspace is the home directory, or holds it. */
static const struct home_case {
	const char *home;
	const char *workspace;
	const char *path;
	enum rules_action want;
	const char *where;
} home_in_ws[] = {
	{ "/home/u", "/home/u", "/home/u/.ssh/id_rsa", DENY,
	  "files.read.deny[0]" },
	{ "/home/u", "/home/u", "/home/u/.config/gh/hosts.yml", DENY,
	  "files.read.deny[6]" },
	{ "/home/u", "/home/u", "/home/u/src/a.c", ALLOW,
	  "files.write.allow[0]" },
	{ "/w/ws/home", "/w/ws", "/w/ws/home/.ssh/x", DENY,
	  "files.read.deny[0]" },
	{ "/w/ws/home", "/w/ws", "/w/ws/home/.ssh2", ALLOW,
	  "files.write.allow[0]" },
};

START_TEST(test_home_in_workspace)
{
	const struct home_case *t = &home_in_ws[_i];
	const char *ws[] = { t->workspace };
	struct rules_vars v = { t->home, "/tmp/proctor-1", ws, 1 };
	struct rules_policy *p = load_builtin(&v);
	struct rules_verdict r;

	rules_check_path(p, WRITE, t->path, &r);
	expect(t->path, &r, t->want, t->where);
	rules_policy_free(p);
}
END_TEST

START_TEST(test_two_workspaces)
{
	static const char *const ws[] = { "/w/ws", "/w/two" };
	static const struct path_case cases[] = {
		{ WRITE, "/w/ws/a", ALLOW, "files.write.allow[0]" },
		{ WRITE, "/w/two/b/c", ALLOW, "files.write.allow[0]" },
		{ WRITE, "/w/two/.git/hooks/x", DENY, "files.write.deny[0]" },
		{ WRITE, "/w/ws/.envrc", DENY, "files.write.deny[6]" },
		{ WRITE, "/w/three", DENY, NULL },
	};
	struct rules_vars v = { "/home/u", "/tmp/proctor-1", ws, 2 };
	struct rules_policy *p = load_builtin(&v);
	struct rules_verdict r;
	int i;

	for (i = 0; i < N(cases); i++) {
		rules_check_path(p, cases[i].c, cases[i].path, &r);
		expect(cases[i].path, &r, cases[i].want, cases[i].where);
	}
	rules_policy_free(p);
}
END_TEST

START_TEST(test_no_workspace)
{
	struct rules_vars v = { "/home/u", "/tmp/proctor-1", NULL, 0 };
	struct rules_policy *p = load_builtin(&v);
	struct rules_verdict r;

	rules_check_path(p, WRITE, "/w/ws/a", &r);
	expect("/w/ws/a", &r, DENY, NULL);
	rules_check_path(p, WRITE, "/tmp/proctor-1/a", &r);
	expect("/tmp/proctor-1/a", &r, ALLOW, "files.write.allow[1]");
	rules_policy_free(p);
}
END_TEST

/* Globs: a files.read.allow entry against a deny default. */

static const struct glob_case {
	const char *pattern;
	const char *path;
	bool match;
} globs[] = {
	{ "/w/ws", "/w/ws", true },
	{ "/w/ws", "/w/ws/a/b", true },
	{ "/w/ws", "/w/ws-evil", false },
	{ "/w/ws", "/w/ws-evil/a", false },
	{ "/w/ws", "/w", false },
	{ "/w/ws/", "/w/ws/a", true },
	{ "//w///ws/./a/", "/w/ws/a/b", true },
	{ "/", "/etc/passwd", true },
	{ "/w/*.c", "/w/a.c", true },
	{ "/w/*.c", "/w/a.c/inside", true },
	{ "/w/*.c", "/w/.hidden.c", true },
	{ "/w/*.c", "/w/d/a.c", false },
	{ "/w/*.c", "/w/a.h", false },
	{ "/w/*", "/w", false },
	{ "/w/*", "/w/x", true },
	{ "/w/?.c", "/w/a.c", true },
	{ "/w/?.c", "/w/ab.c", false },
	{ "/w/[ab].c", "/w/b.c", true },
	{ "/w/[ab].c", "/w/c.c", false },
	{ "/w/[!ab].c", "/w/c.c", true },
	{ "/w/[!ab].c", "/w/a.c", false },
	{ "/w/[*]", "/w/*", true },
	{ "/w/[*]", "/w/x", false },
	{ "/w/a*/b", "/w/abc/b", true },
	{ "/w/a*/b", "/w/abc/c", false },
	{ "/w/a*/b", "/w/a/x/b", false },
	{ "/w/**/*.c", "/w/a.c", true },
	{ "/w/**/*.c", "/w/d/e/a.c", true },
	{ "/w/**/*.c", "/w/d/a.h", false },
	{ "/w/**/x/**/y", "/w/x/y", true },
	{ "/w/**/x/**/y", "/w/a/x/b/c/y/z", true },
	{ "/w/**/x/**/y", "/w/a/y/x", false },
	{ "/w/**", "/w", true },
	{ "/w/**", "/w/x/y", true },
	{ "/w/**", "/wx", false },
	{ "/**/.env", "/.env", true },
	{ "/**/.env", "/w/ws/.env", true },
	{ "/**/.env", "/w/ws/.envrc", false },
	{ "/w/a**b", "/w/axxb", true },
	{ "/w/a**b", "/w/a/b", false },
	{ "~", "/home/u/x", true },
	{ "~/.ssh", "/home/u/.ssh/id_rsa", true },
	{ "~/.ssh", "/home/u/.ssh2", false },
	{ "$HOME/x", "/home/u/x/y", true },
	{ "${HOME}/x", "/home/u/x", true },
	{ "$TMPDIR", "/tmp/proctor-1/f", true },
	{ "$TMPDIR", "/tmp/proctor-10", false },
	{ "${TMPDIR}", "/tmp/proctor-1", true },
	{ "$WORKSPACE/src", "/w/ws/src/a.c", true },
	{ "$WORKSPACE/src", "/w/ws/srcx", false },
	{ "${WORKSPACE}/*/x", "/w/ws/src/x", true },
};

START_TEST(test_globs)
{
	const struct glob_case *t = &globs[_i];
	struct rules_policy *p;
	struct rules_verdict v;
	char json[256];

	snprintf(json, sizeof(json),
		 "{\"files\": {\"read\": {\"default\": \"deny\", "
		 "\"allow\": [\"%s\"]}}}",
		 t->pattern);
	p = load(&vars, json, NULL);
	rules_check_path(p, READ, t->path, &v);
	ck_assert_msg((v.action == ALLOW) == t->match,
		      "\"%s\" against %s: got %s, want %s", t->pattern, t->path,
		      rules_action_name(v.action),
		      t->match ? "a match" : "no match");
	rules_policy_free(p);
}
END_TEST

START_TEST(test_relative_base_dir)
{
	struct rules_policy *p = load(&vars,
				      "{\"files\": {\"write\": {\"allow\":"
				      " [\"build\", \"./out/\"]}}}",
				      "/w/ws");
	struct rules_verdict v;

	rules_check_path(p, WRITE, "/w/ws/build/x.o", &v);
	expect("build", &v, ALLOW, "files.write.allow[0]");
	rules_check_path(p, WRITE, "/w/ws/out", &v);
	expect("out", &v, ALLOW, "files.write.allow[1]");
	rules_check_path(p, WRITE, "/w/ws/src", &v);
	expect("src", &v, DENY, NULL);
	rules_policy_free(p);
}
END_TEST

START_TEST(test_bad_input_path)
{
	static const char *const bad[] = { "relative/x", "", "/w/ws/../etc",
					   "/w/ws/.." };
	struct rules_policy *p = load(
		&vars, "{\"files\": {\"write\": {\"default\": \"allow\"}}}",
		NULL);
	struct rules_verdict v;
	int i;

	for (i = 0; i < N(bad); i++) {
		rules_check_path(p, WRITE, bad[i], &v);
		ck_assert_msg(v.action == DENY && !strcmp(v.origin, "rules"),
			      "%s: %s from %s", bad[i],
			      rules_action_name(v.action), v.origin);
	}
	rules_check_path(p, WRITE, NULL, &v);
	ck_assert_int_eq(v.action, DENY);
	/* "." components are harmless and skipped. */
	rules_check_path(p, WRITE, "/w/./x", &v);
	expect("/w/./x", &v, ALLOW, NULL);
	rules_policy_free(p);
}
END_TEST

/* Precedence. */

static const struct prec_case {
	const char *name;
	const char *json;
	enum rules_class c;
	const char *path;
	enum rules_action want;
	const char *where;
} precedence[] = {
	{ "deeper literal wins",
	  "{\"files\": {\"write\": {\"allow\": [\"/w/ws/build\"],"
	  " \"deny\": [\"/w/ws/*\"]}}}",
	  WRITE, "/w/ws/build/x", ALLOW, "files.write.allow[0]" },
	{ "glob under an allowed dir",
	  "{\"files\": {\"write\": {\"allow\": [\"/w/ws/build\"],"
	  " \"deny\": [\"/w/ws/*\"]}}}",
	  WRITE, "/w/ws/src", DENY, "files.write.deny[0]" },
	{ "a glob naming more components wins",
	  "{\"files\": {\"write\": {\"allow\": [\"/w/ws\"],"
	  " \"deny\": [\"/w/ws/**/*.pem\"]}}}",
	  WRITE, "/w/ws/a/k.pem", DENY, "files.write.deny[0]" },
	{ "the glob does not reach other files",
	  "{\"files\": {\"write\": {\"allow\": [\"/w/ws\"],"
	  " \"deny\": [\"/w/ws/**/*.pem\"]}}}",
	  WRITE, "/w/ws/a/k.c", ALLOW, "files.write.allow[0]" },
	{ "exact beats a glob naming the same",
	  "{\"files\": {\"write\": {\"allow\": [\"/w/ws\"],"
	  " \"deny\": [\"/w/ws/**\"]}}}",
	  WRITE, "/w/ws/a", ALLOW, "files.write.allow[0]" },
	{ "exact beats glob of equal length",
	  "{\"files\": {\"read\": {\"allow\": [\"/w/ws/a\"],"
	  " \"deny\": [\"/w/ws/[a]\"]}}}",
	  READ, "/w/ws/a", ALLOW, "files.read.allow[0]" },
	{ "tie: deny beats allow",
	  "{\"files\": {\"write\": {\"allow\": [\"/w/ws\"],"
	  " \"deny\": [\"/w/ws\"]}}}",
	  WRITE, "/w/ws/a", DENY, "files.write.deny[0]" },
	{ "tie: deny beats ask",
	  "{\"files\": {\"write\": {\"ask\": [\"/w/ws\"],"
	  " \"deny\": [\"$WORKSPACE\"]}}}",
	  WRITE, "/w/ws/a", DENY, "files.write.deny[0]" },
	{ "tie: ask beats create",
	  "{\"files\": {\"write\": {\"create\": [\"/w/ws\"],"
	  " \"ask\": [\"/w/ws\"]}}}",
	  WRITE, "/w/ws/a", ASK, "files.write.ask[0]" },
	{ "tie: create beats allow",
	  "{\"files\": {\"write\": {\"allow\": [\"/w/ws\"],"
	  " \"create\": [\"/w/ws\"]}}}",
	  WRITE, "/w/ws/a", CREATE, "files.write.create[0]" },
	{ "tie of equal actions: the first",
	  "{\"files\": {\"read\": {\"deny\": [\"/w/ws\", \"/w/ws/\"]}}}", READ,
	  "/w/ws/a", DENY, "files.read.deny[0]" },
	{ "read deny covers writes",
	  "{\"files\": {\"read\": {\"deny\": [\"/w/ws/secret\"]},"
	  " \"write\": {\"allow\": [\"/w/ws\"]}}}",
	  WRITE, "/w/ws/secret/x", DENY, "files.read.deny[0]" },
	{ "read deny against an equal write allow",
	  "{\"files\": {\"read\": {\"deny\": [\"/w/ws/secret\"]},"
	  " \"write\": {\"allow\": [\"/w/ws/secret\"]}}}",
	  WRITE, "/w/ws/secret/x", DENY, "files.read.deny[0]" },
	{ "a strictly more specific write allow wins",
	  "{\"files\": {\"read\": {\"deny\": [\"/w/ws/secret\"]},"
	  " \"write\": {\"allow\": [\"/w/ws/secret/ok\"]}}}",
	  WRITE, "/w/ws/secret/ok/x", ALLOW, "files.write.allow[0]" },
	{ "read ask covers writes",
	  "{\"files\": {\"read\": {\"ask\": [\"/w/ws/s\"]},"
	  " \"write\": {\"allow\": [\"/w/ws\"]}}}",
	  WRITE, "/w/ws/s", ASK, "files.read.ask[0]" },
	{ "a read ask does not weaken an equal write deny",
	  "{\"files\": {\"read\": {\"ask\": [\"/w/ws/.git\"]},"
	  " \"write\": {\"deny\": [\"/w/ws/.git\"]}}}",
	  WRITE, "/w/ws/.git/x", DENY, "files.write.deny[0]" },
	{ "read deny glob covers writes",
	  "{\"files\": {\"read\": {\"deny\": [\"$WORKSPACE/**/.env\"]},"
	  " \"write\": {\"allow\": [\"$WORKSPACE\"]}}}",
	  WRITE, "/w/ws/app/.env", DENY, "files.read.deny[0]" },
	{ "read allow grants no write",
	  "{\"files\": {\"read\": {\"allow\": [\"/w/ws/pub\"]}}}", WRITE,
	  "/w/ws/pub/x", DENY, NULL },
	{ "read deny does not touch other writes",
	  "{\"files\": {\"read\": {\"deny\": [\"/w/ws/secret\"]},"
	  " \"write\": {\"allow\": [\"/w/ws\"]}}}",
	  WRITE, "/w/ws/public", ALLOW, "files.write.allow[0]" },
	{ "write deny does not touch reads",
	  "{\"files\": {\"read\": {\"default\": \"allow\"},"
	  " \"write\": {\"deny\": [\"/w/ws\"]}}}",
	  READ, "/w/ws/a", ALLOW, NULL },
};

START_TEST(test_precedence)
{
	const struct prec_case *t = &precedence[_i];
	struct rules_policy *p = load(&vars, t->json, NULL);
	struct rules_verdict v;

	rules_check_path(p, t->c, t->path, &v);
	expect(t->name, &v, t->want, t->where);
	rules_policy_free(p);
}
END_TEST

/* Addresses. */

/*
 * Builds the sockaddr a program would pass for "1.2.3.4", "::1",
 * "/path", "@name" or "" (unnamed) and decodes it.
 */
static struct rules_addr addr_of(const char *s, uint16_t port)
{
	union {
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
		struct sockaddr_un un;
	} u;
	const size_t off = offsetof(struct sockaddr_un, sun_path);
	struct rules_addr a;
	size_t len;

	memset(&u, 0, sizeof(u));
	if (s[0] == '/' || s[0] == '@' || s[0] == '\0') {
		u.un.sun_family = AF_UNIX;
		memcpy(u.un.sun_path, s, strlen(s));
		if (s[0] == '@')
			u.un.sun_path[0] = '\0';
		len = off + strlen(s);
	} else if (strchr(s, ':')) {
		u.in6.sin6_family = AF_INET6;
		u.in6.sin6_port = htons(port);
		ck_assert_int_eq(inet_pton(AF_INET6, s, &u.in6.sin6_addr), 1);
		len = sizeof(u.in6);
	} else {
		u.in.sin_family = AF_INET;
		u.in.sin_port = htons(port);
		ck_assert_int_eq(inet_pton(AF_INET, s, &u.in.sin_addr), 1);
		len = sizeof(u.in);
	}
	ck_assert_int_eq(rules_addr_decode(&u, len, &a), 0);
	return a;
}

static const char network_json[] =
	"{\"network\": {\"default\": \"deny\","
	" \"allow\": [\"127.0.0.1\", \"10.0.0.0/8\", \"::1\", \"fe80::/10\","
	"   \"192.168.1.5:8080\", \"[2001:db8::1]:22\", \"*:443\","
	"   \"10.1.2.3:80\", \"[::ffff:100.64.0.0/106]:53\","
	"   \"unix:/run/app\", \"unix:$WORKSPACE/**/*.sock\","
	"   \"unix:@dbus-*\", \"unix:@exact\", \"unix:@a\\\\0\"],"
	" \"deny\": [\"10.1.0.0/16\", \"192.168.1.5\","
	"   \"unix:@dbus-secret\", \"unix:/run/app/private\"],"
	" \"ask\": [\"172.16.0.0/12:5432\"]}}";

static const struct addr_case {
	const char *addr;
	uint16_t port;
	enum rules_action want;
	const char *where;
} addrs[] = {
	{ "127.0.0.1", 80, ALLOW, "network.allow[0]" },
	{ "::ffff:127.0.0.1", 80, ALLOW, "network.allow[0]" },
	{ "127.0.0.2", 80, DENY, NULL },
	{ "10.2.3.4", 80, ALLOW, "network.allow[1]" },
	{ "::ffff:10.2.3.4", 80, ALLOW, "network.allow[1]" },
	{ "10.1.2.4", 80, DENY, "network.deny[0]" },
	{ "10.1.2.3", 80, ALLOW, "network.allow[7]" },
	{ "10.1.2.3", 81, DENY, "network.deny[0]" },
	{ "11.0.0.1", 80, DENY, NULL },
	{ "::1", 22, ALLOW, "network.allow[2]" },
	{ "::2", 22, DENY, NULL },
	{ "fe80::1", 9, ALLOW, "network.allow[3]" },
	{ "febf::1", 9, ALLOW, "network.allow[3]" },
	{ "fec0::1", 9, DENY, NULL },
	{ "192.168.1.5", 8080, ALLOW, "network.allow[4]" },
	{ "192.168.1.5", 80, DENY, "network.deny[1]" },
	{ "2001:db8::1", 22, ALLOW, "network.allow[5]" },
	{ "2001:db8::1", 23, DENY, NULL },
	{ "8.8.8.8", 443, ALLOW, "network.allow[6]" },
	{ "2606:4700::1", 443, ALLOW, "network.allow[6]" },
	{ "8.8.8.8", 80, DENY, NULL },
	{ "100.100.1.1", 53, ALLOW, "network.allow[8]" },
	{ "100.128.1.1", 53, DENY, NULL },
	{ "172.16.5.5", 5432, ASK, "network.ask[0]" },
	{ "172.31.255.1", 5432, ASK, "network.ask[0]" },
	{ "172.16.5.5", 5433, DENY, NULL },
	{ "/run/app", 0, ALLOW, "network.allow[9]" },
	{ "/run/app/sock", 0, ALLOW, "network.allow[9]" },
	{ "/run/app/private/s", 0, DENY, "network.deny[3]" },
	{ "/run/application", 0, DENY, NULL },
	{ "/w/ws/x/y.sock", 0, ALLOW, "network.allow[10]" },
	{ "/w/ws/y.sock", 0, ALLOW, "network.allow[10]" },
	{ "/w/ws/y.socket", 0, DENY, NULL },
	{ "@dbus-1", 0, ALLOW, "network.allow[11]" },
	{ "@dbus-secret", 0, DENY, "network.deny[2]" },
	{ "@exact", 0, ALLOW, "network.allow[12]" },
	{ "@exactx", 0, DENY, NULL },
	{ "@/run/app", 0, DENY, NULL },
	{ "", 0, DENY, NULL },
};

START_TEST(test_addrs)
{
	const struct addr_case *t = &addrs[_i];
	struct rules_policy *p = load(&vars, network_json, NULL);
	struct rules_addr a = addr_of(t->addr, t->port);
	struct rules_verdict v;
	char what[128];

	snprintf(what, sizeof(what), "%s port %u", t->addr, t->port);
	rules_check_addr(p, &a, &v);
	expect(what, &v, t->want, t->where);
	rules_policy_free(p);
}
END_TEST

/* An abstract name with a NUL inside is not the name before the NUL. */
START_TEST(test_abstract_nul)
{
	struct rules_policy *p = load(&vars, network_json, NULL);
	const size_t off = offsetof(struct sockaddr_un, sun_path);
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct rules_addr a;
	struct rules_verdict v;

	memcpy(un.sun_path, "\0exact\0", 7);
	ck_assert_int_eq(rules_addr_decode(&un, off + 7, &a), 0);
	rules_check_addr(p, &a, &v);
	expect("@exact\\0", &v, DENY, NULL);

	memcpy(un.sun_path, "\0a\0", 3);
	ck_assert_int_eq(rules_addr_decode(&un, off + 3, &a), 0);
	rules_check_addr(p, &a, &v);
	expect("@a\\0", &v, ALLOW, "network.allow[13]");
	rules_policy_free(p);
}
END_TEST

START_TEST(test_builtin_network)
{
	struct rules_policy *p = load_builtin(&vars);
	struct rules_addr a;
	struct rules_verdict v;

	/* sockets the run made are the supervisor's business, not rules' */
	a = addr_of("/w/ws/.run/s", 0);
	rules_check_addr(p, &a, &v);
	expect("/w/ws/.run/s", &v, DENY, NULL);
	a = addr_of("/run/dbus/system_bus_socket", 0);
	rules_check_addr(p, &a, &v);
	expect("system bus", &v, DENY, NULL);
	a = addr_of("1.1.1.1", 443);
	rules_check_addr(p, &a, &v);
	expect("1.1.1.1", &v, DENY, NULL);

	/* A path checked as a socket, through rules_check_path. */
	rules_check_path(p, RULES_CONNECT, "/w/ws/s", &v);
	expect("connect /w/ws/s", &v, DENY, NULL);
	rules_policy_free(p);
}
END_TEST

/* Domain names: which may resolve, and how names meet addresses. */

static const char names_policy[] =
	"{\"network\": {\"default\": \"deny\","
	" \"allow\": [\"github.com\", \"*.pythonhosted.org\", \"ok.test:443\","
	"            \"*.cdn.test\", \"10.9.0.0/16\"],"
	" \"deny\": [\"evil.cdn.test\", \"github.com:22\", \"10.9.9.9\","
	"           \"*.x.pythonhosted.org\"],"
	" \"ask\": [\"ask.test\"]}}";

static const struct name_case {
	const char *name;
	enum rules_action want;
	const char *where; /* NULL: the default */
} name_cases[] = {
	{ "github.com", ALLOW, "network.allow[0]" },
	{ "GitHub.COM.", ALLOW, "network.allow[0]" },
	{ "api.github.com", DENY, NULL },
	{ "files.pythonhosted.org", ALLOW, "network.allow[1]" },
	{ "a.b.files.pythonhosted.org", ALLOW, "network.allow[1]" },
	{ "pythonhosted.org", DENY, NULL },
	{ "evilpythonhosted.org", DENY, NULL },
	{ "a.x.pythonhosted.org", DENY, "network.deny[3]" },
	{ "ok.test", ALLOW, "network.allow[2]" },
	{ "evil.cdn.test", DENY, "network.deny[0]" },
	{ "good.cdn.test", ALLOW, "network.allow[3]" },
	{ "ask.test", ASK, "network.ask[0]" },
	{ "secret-data.denied.test", DENY, NULL },
	{ "a..b", DENY, "not a domain name" },
	{ "a\x1b[2J.test", DENY, "not a domain name" },
	{ "", DENY, "not a domain name" },
};

START_TEST(test_check_name)
{
	const struct name_case *t = &name_cases[_i];
	struct rules_policy *p = load(&vars, names_policy, NULL);
	struct rules_verdict v;

	rules_check_name(p, t->name, &v);
	expect(t->name, &v, t->want, t->where);
	rules_policy_free(p);
}
END_TEST

static const struct connect_case {
	const char *ip;
	uint16_t port;
	const char *names[2];
	enum rules_action want;
	const char *where;
	int which;
} connect_cases[] = {
	{ "140.82.1.1", 443, { "github.com" }, ALLOW, "network.allow[0]", 0 },
	{ "140.82.1.1", 22, { "github.com" }, DENY, "network.deny[1]", 0 },
	{ "140.82.1.1", 443, { NULL }, DENY, NULL, -1 },
	{ "140.82.1.1", 80, { "ok.test" }, DENY, NULL, -1 },
	{ "140.82.1.1", 443, { "ok.test" }, ALLOW, "network.allow[2]", 0 },
	/* two names for one address: the most specific entry decides */
	{ "140.82.1.1",
	  443,
	  { "good.cdn.test", "evil.cdn.test" },
	  DENY,
	  "network.deny[0]",
	  1 },
	{ "140.82.1.1",
	  443,
	  { "other.test", "github.com" },
	  ALLOW,
	  "network.allow[0]",
	  1 },
	/* an address entry that denies stands; one that allows yields */
	{ "10.9.9.9", 443, { "github.com" }, DENY, "network.deny[2]", -1 },
	{ "10.9.1.1", 22, { "github.com" }, DENY, "network.deny[1]", 0 },
	{ "10.9.1.1", 22, { NULL }, ALLOW, "network.allow[4]", -1 },
	/* names never grant this host or link-local addresses */
	{ "127.0.0.1", 443, { "github.com" }, DENY, NULL, -1 },
	{ "::1", 443, { "github.com" }, DENY, NULL, -1 },
	{ "169.254.169.254", 80, { "github.com" }, DENY, NULL, -1 },
	{ "fe80::1", 443, { "github.com" }, DENY, NULL, -1 },
	{ "2001:db8::1", 443, { "github.com" }, ALLOW, "network.allow[0]", 0 },
};

START_TEST(test_check_connect)
{
	const struct connect_case *t = &connect_cases[_i];
	struct rules_policy *p = load(&vars, names_policy, NULL);
	struct rules_addr a = addr_of(t->ip, t->port);
	struct rules_verdict v;
	size_t n = t->names[0] ? (t->names[1] ? 2 : 1) : 0;
	int which;

	rules_check_connect(p, &a, t->names, n, &v, &which);
	expect(t->ip, &v, t->want, t->where);
	ck_assert_int_eq(which, t->which);
	rules_policy_free(p);
}
END_TEST

/* "*" lets every name resolve; an empty allow list none. */
START_TEST(test_name_defaults)
{
	struct rules_policy *p;
	struct rules_verdict v;

	p = load(&vars, "{\"network\": {\"allow\": [\"*:443\"]}}", NULL);
	rules_check_name(p, "any.test", &v);
	expect("any.test under *:443", &v, ALLOW, "network.allow[0]");
	rules_policy_free(p);

	p = load(&vars,
		 "{\"network\": {\"allow\": [\"*\"], "
		 "\"deny\": [\"evil.test\"]}}",
		 NULL);
	rules_check_name(p, "evil.test", &v);
	expect("evil.test under * and its deny", &v, DENY, "network.deny[0]");
	rules_policy_free(p);

	p = load(&vars, "{\"network\": {\"allow\": []}}", NULL);
	rules_check_name(p, "any.test", &v);
	expect("any.test, empty allow list", &v, DENY, NULL);
	rules_policy_free(p);

	p = load(&vars, "{\"network\": {\"default\": \"allow\"}}", NULL);
	rules_check_name(p, "any.test", &v);
	expect("any.test, default allow", &v, ALLOW, NULL);
	rules_policy_free(p);
}
END_TEST

/* Decoding crafted sockaddrs. */

#define SIN	sizeof(struct sockaddr_in)
#define SIN6	sizeof(struct sockaddr_in6)
#define SUN	sizeof(struct sockaddr_un)
#define SUN_OFF offsetof(struct sockaddr_un, sun_path)
#define BAD	0, NULL /* no kind and no text: decoding fails */

static const struct decode_case {
	const char *name;
	sa_family_t family;
	const char *host; /* IP literal, or the bytes of sun_path */
	size_t hostlen;	  /* AF_UNIX: how many bytes of host */
	uint16_t port;
	size_t len;
	int rc;
	enum rules_addr_kind kind;
	const char *text;
} decodes[] = {
	{ "inet", AF_INET, "127.0.0.1", 0, 80, SIN, 0, RULES_ADDR_IP,
	  "127.0.0.1:80" },
	{ "inet, long", AF_INET, "10.0.0.1", 0, 1, SIN + 8, 0, RULES_ADDR_IP,
	  "10.0.0.1:1" },
	{ "inet, short", AF_INET, "127.0.0.1", 0, 80, SIN - 1, -EINVAL, BAD },
	{ "inet6", AF_INET6, "::1", 0, 22, SIN6, 0, RULES_ADDR_IP, "[::1]:22" },
	{ "inet6, RFC 2133 size", AF_INET6, "2001:db8::5", 0, 443, 24, 0,
	  RULES_ADDR_IP, "[2001:db8::5]:443" },
	{ "inet6, short", AF_INET6, "::1", 0, 22, 23, -EINVAL, BAD },
	{ "inet6, v4-mapped", AF_INET6, "::ffff:10.0.0.1", 0, 53, SIN6, 0,
	  RULES_ADDR_IP, "10.0.0.1:53" },
	{ "unix path", AF_UNIX, "/run/x", 6, 0, SUN_OFF + 6, 0,
	  RULES_ADDR_UNIX_PATH, "unix:/run/x" },
	{ "unix path with NUL", AF_UNIX, "/run/x", 7, 0, SUN_OFF + 7, 0,
	  RULES_ADDR_UNIX_PATH, "unix:/run/x" },
	{ "unix path, whole struct", AF_UNIX, "/run/x", 7, 0, SUN, 0,
	  RULES_ADDR_UNIX_PATH, "unix:/run/x" },
	{ "unix path cut by len", AF_UNIX, "/run/xyz", 8, 0, SUN_OFF + 6, 0,
	  RULES_ADDR_UNIX_PATH, "unix:/run/x" },
	{ "relative unix path", AF_UNIX, "s.sock", 6, 0, SUN_OFF + 6, 0,
	  RULES_ADDR_UNIX_PATH, "unix:s.sock" },
	{ "abstract", AF_UNIX, "\0name", 5, 0, SUN_OFF + 5, 0,
	  RULES_ADDR_UNIX_ABSTRACT, "unix:@name" },
	{ "abstract, NUL inside", AF_UNIX, "\0a\0b", 4, 0, SUN_OFF + 4, 0,
	  RULES_ADDR_UNIX_ABSTRACT, "unix:@a\\0b" },
	{ "abstract, backslash", AF_UNIX, "\0a\\0", 4, 0, SUN_OFF + 4, 0,
	  RULES_ADDR_UNIX_ABSTRACT, "unix:@a\\\\0" },
	{ "abstract, empty", AF_UNIX, "\0", 1, 0, SUN_OFF + 1, 0,
	  RULES_ADDR_UNIX_ABSTRACT, "unix:@" },
	{ "unix, unnamed", AF_UNIX, "", 0, 0, sizeof(sa_family_t), 0,
	  RULES_ADDR_UNNAMED, "unnamed" },
	{ "unix, too long", AF_UNIX, "/x", 2, 0, SUN + 1, -EINVAL, BAD },
	{ "unspec", AF_UNSPEC, "", 0, 0, sizeof(sa_family_t), 0,
	  RULES_ADDR_UNNAMED, "unnamed" },
	{ "unspec, long", AF_UNSPEC, "", 0, 0, SIN, 0, RULES_ADDR_UNNAMED,
	  "unnamed" },
	{ "netlink", AF_NETLINK, "", 0, 0, 12, -EAFNOSUPPORT, BAD },
	{ "packet", AF_PACKET, "", 0, 0, 20, -EAFNOSUPPORT, BAD },
	{ "one byte", AF_INET, "127.0.0.1", 0, 80, 1, -EINVAL, BAD },
	{ "nothing", AF_INET, "127.0.0.1", 0, 80, 0, -EINVAL, BAD },
};

START_TEST(test_decode)
{
	const struct decode_case *t = &decodes[_i];
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
		struct sockaddr_un un;
		char bytes[sizeof(struct sockaddr_un) + 16];
	} u;
	struct rules_addr a;
	char text[300];
	int rc;

	memset(&u, 0, sizeof(u));
	u.sa.sa_family = t->family;
	if (t->family == AF_INET) {
		u.in.sin_port = htons(t->port);
		inet_pton(AF_INET, t->host, &u.in.sin_addr);
	} else if (t->family == AF_INET6) {
		u.in6.sin6_port = htons(t->port);
		inet_pton(AF_INET6, t->host, &u.in6.sin6_addr);
	} else if (t->family == AF_UNIX) {
		memcpy(u.un.sun_path, t->host, t->hostlen);
	}

	rc = rules_addr_decode(&u, t->len, &a);
	ck_assert_msg(rc == t->rc, "%s: rc %d, want %d", t->name, rc, t->rc);
	if (rc < 0)
		return;
	ck_assert_msg(a.kind == t->kind, "%s: kind %d, want %d", t->name,
		      a.kind, t->kind);
	ck_assert_int_eq(a.port, t->port);
	rules_addr_format(&a, text, sizeof(text));
	ck_assert_msg(strcmp(text, t->text) == 0, "%s: \"%s\", want \"%s\"",
		      t->name, text, t->text);
}
END_TEST

START_TEST(test_decode_mapped_bytes)
{
	static const uint8_t want[16] = {
		[10] = 0xff, [11] = 0xff, 127, 0, 0, 1
	};
	struct sockaddr_in in = { .sin_family = AF_INET,
				  .sin_port = htons(8080) };
	struct rules_addr a;
	char small[8];

	inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
	ck_assert_int_eq(rules_addr_decode(&in, sizeof(in), &a), 0);
	ck_assert_mem_eq(a.ip, want, 16);
	ck_assert_uint_eq(a.port, 8080);
	ck_assert_int_eq(rules_addr_decode(NULL, sizeof(in), &a), -EINVAL);

	/* Formatting truncates rather than overflows. */
	rules_addr_format(&a, small, sizeof(small));
	ck_assert_str_eq(small, "127.0.0");
}
END_TEST

/* Commands. */

static const char exec_json[] =
	"{\"exec\": {\"default\": \"allow\","
	" \"ask\": [[\"git\", \"push\"]],"
	" \"deny\": [\"/usr/bin/curl\", \"rm  -rf\", \"$WORKSPACE/bin/*\","
	"   [\"git\", \"push\", \"--force\"], \"python*\"],"
	" \"allow\": [[\"git\", \"push\", \"--dry-run\"], \"/opt/*/bin/tool\","
	"   [\"sh\", \"-c\", \"\"]]}}";

static const struct exec_case {
	const char *exe;
	const char *argv[6];
	enum rules_action want;
	const char *where;
} execs[] = {
	{ "/usr/bin/git", { "git", "push", "origin" }, ASK, "exec.ask[0]" },
	{ "/usr/bin/git", { "git", "push" }, ASK, "exec.ask[0]" },
	{ "/usr/bin/git", { "git", "pull" }, ALLOW, NULL },
	{ "/usr/bin/git", { "git" }, ALLOW, NULL },
	{ "/usr/bin/git", { "git", "pull", "push" }, ALLOW, NULL },
	{ "/usr/bin/git",
	  { "git", "push", "--dry-run" },
	  ALLOW,
	  "exec.allow[0]" },
	{ "/usr/bin/git",
	  { "git", "push", "--force", "o" },
	  DENY,
	  "exec.deny[3]" },
	{ "/usr/local/bin/git", { "git", "push" }, ASK, "exec.ask[0]" },
	{ "/usr/bin/git", { "not-git", "push" }, ASK, "exec.ask[0]" },
	{ "/usr/bin/gitx", { "git", "push" }, ALLOW, NULL },
	{ "/usr/bin/curl", { "curl", "x" }, DENY, "exec.deny[0]" },
	{ "/usr/bin/curl", { NULL }, DENY, "exec.deny[0]" },
	{ "/usr/local/bin/curl", { "curl" }, ALLOW, NULL },
	{ "/usr/bin/curl/x", { "curl" }, ALLOW, NULL },
	{ "/bin/rm", { "rm", "-rf", "/" }, DENY, "exec.deny[1]" },
	{ "/bin/rm", { "rm", "-r", "-f" }, ALLOW, NULL },
	{ "/w/ws/bin/run", { "run" }, DENY, "exec.deny[2]" },
	{ "/w/ws/bin/sub/run", { "run" }, ALLOW, NULL },
	{ "/usr/bin/python3", { "python3" }, DENY, "exec.deny[4]" },
	{ "/opt/x/bin/tool", { "tool" }, ALLOW, "exec.allow[1]" },
	{ "/bin/sh", { "sh", "-c", "" }, ALLOW, "exec.allow[2]" },
};

START_TEST(test_exec)
{
	const struct exec_case *t = &execs[_i];
	struct rules_policy *p = load(&vars, exec_json, NULL);
	struct rules_verdict v;
	size_t argc = 0;

	while (argc < 6 && t->argv[argc])
		argc++;
	rules_check_exec(p, t->exe, t->argv, argc, &v);
	expect(t->exe, &v, t->want, t->where);
	rules_policy_free(p);
}
END_TEST

START_TEST(test_exec_builtin)
{
	static const char *const push[] = { "git", "push" };
	struct rules_policy *p = load_builtin(&vars);
	struct rules_verdict v;

	rules_check_exec(p, "/usr/bin/git", push, 2, &v);
	expect("git push", &v, ASK, "exec.ask[0]");
	ck_assert_str_eq(v.pattern, "git push");
	rules_check_exec(p, "/usr/bin/ls", NULL, 0, &v);
	expect("ls", &v, ALLOW, NULL);
	rules_check_exec(p, "ls", NULL, 0, &v);
	ck_assert_str_eq(v.origin, "rules");
	rules_policy_free(p);
}
END_TEST

START_TEST(test_exec_tie)
{
	static const char *const argv[] = { "git", "push" };
	struct rules_policy *p =
		load(&vars,
		     "{\"exec\": {\"allow\": [\"git push\"],"
		     " \"deny\": [[\"/usr/bin/git\", \"push\"]]}}",
		     NULL);
	struct rules_verdict v;

	rules_check_exec(p, "/usr/bin/git", argv, 2, &v);
	expect("tie", &v, DENY, "exec.deny[0]");
	rules_policy_free(p);
}
END_TEST

/* The command line is the user's word for this run: it wins a tie. */
START_TEST(test_command_line_tie)
{
	static const char *const argv[] = { "git", "push" };
	struct rules_policy *p = load_builtin(&vars);
	struct rules_verdict v;
	char err[512] = "";

	rules_check_exec(p, "/usr/bin/git", argv, 2, &v);
	expect("built-in ask", &v, ASK, "exec.ask[0]");
	ck_assert_int_eq(rules_policy_add_entry(p, RULES_EXEC, RULES_ALLOW,
						"git push", err, sizeof(err)),
			 0);
	rules_check_exec(p, "/usr/bin/git", argv, 2, &v);
	expect("--allow-exec 'git push'", &v, ALLOW, "--allow-exec");

	/* two command-line entries still tie to the stricter */
	ck_assert_int_eq(rules_policy_add_entry(p, RULES_EXEC, RULES_DENY,
						"git push", err, sizeof(err)),
			 0);
	rules_check_exec(p, "/usr/bin/git", argv, 2, &v);
	expect("and --deny-exec 'git push'", &v, DENY, "--deny-exec");
	rules_policy_free(p);
}
END_TEST

/* Layers. */

START_TEST(test_layers)
{
	struct rules_policy *p = load_builtin(&vars);
	struct rules_verdict v;
	char err[512] = "";
	int rc;

	rc = rules_policy_add_json(
		p,
		"{\"files\": {\"write\": {\"default\": \"ask\","
		" \"allow\": [\"/opt/data\"]}},"
		" \"network\": {\"default\": \"ask\"}}",
		"user.json", NULL, err, sizeof(err));
	ck_assert_msg(rc == 0, "%s", err);

	rules_check_path(p, WRITE, "/etc/x", &v);
	expect("/etc/x", &v, ASK, NULL);
	ck_assert_str_eq(v.origin, "user.json");
	ck_assert_str_eq(v.where, "files.write.default");
	ck_assert_str_eq(v.pattern, "ask");

	rules_check_path(p, WRITE, "/opt/data/x", &v);
	expect("/opt/data/x", &v, ALLOW, "files.write.allow[0]");
	ck_assert_str_eq(v.origin, "user.json");

	rules_check_path(p, WRITE, "/w/ws/a", &v);
	expect("/w/ws/a", &v, ALLOW, "files.write.allow[0]");
	ck_assert_str_eq(v.origin, "built-in");
	ck_assert_str_eq(v.pattern, "$WORKSPACE");

	rules_check_path(p, READ, "/etc/passwd", &v);
	expect("/etc/passwd", &v, ALLOW, NULL);
	ck_assert_str_eq(v.origin, "built-in");

	rc = rules_policy_add_entry(p, RULES_CONNECT, ALLOW, "127.0.0.1:8080",
				    err, sizeof(err));
	ck_assert_msg(rc == 0, "%s", err);
	{
		struct rules_addr a = addr_of("127.0.0.1", 8080);

		rules_check_addr(p, &a, &v);
		expect("127.0.0.1:8080", &v, ALLOW, "--allow-net");
		ck_assert_str_eq(v.origin, "command line");
		ck_assert_str_eq(v.pattern, "127.0.0.1:8080");
		a = addr_of("127.0.0.1", 8081);
		rules_check_addr(p, &a, &v);
		expect("127.0.0.1:8081", &v, ASK, NULL);
	}
	rules_policy_free(p);
}
END_TEST

/* A layer with an error adds nothing, not even its first entries. */
START_TEST(test_layer_atomic)
{
	struct rules_policy *p = load(&vars, NULL, NULL);
	struct rules_verdict v;
	char err[512] = "";
	int rc;

	rc = rules_policy_add_json(
		p,
		"{\"files\": {\"write\": {\"default\": \"allow\","
		" \"allow\": [\"/ok\"], \"deny\": [\"/x\", 1]}}}",
		"bad.json", NULL, err, sizeof(err));
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_str_eq(err, "bad.json: files.write.deny[1]: expected a "
			      "string (path pattern), got number");
	rules_check_path(p, WRITE, "/ok/a", &v);
	expect("/ok/a", &v, DENY, NULL);
	ck_assert_str_eq(v.origin, "empty policy");
	rules_check_path(p, READ, "/etc/passwd", &v);
	expect("empty read", &v, DENY, NULL);
	rules_policy_free(p);
}
END_TEST

static const struct entry_case {
	enum rules_class c;
	enum rules_action a;
	const char *spec;
	int rc;
	/* Error: how the message starts.  Else what to check: a path, an
	 * address (port 80) or a program run as "git push --force". */
	const char *check;
} entries[] = {
	{ READ, DENY, "/etc/shadow", 0, "/etc/shadow" },
	{ WRITE, CREATE, "~/out", 0, "/home/u/out/x" },
	{ RULES_EXEC, DENY, "git push --force", 0, "/usr/bin/git" },
	{ RULES_CONNECT, ALLOW, "10.0.0.0/8", 0, "10.2.3.4" },
	{ READ, CREATE, "/x", -EINVAL,
	  "command line: --create-read: expected an action of \"allow\", "
	  "\"deny\" or \"ask\", got create" },
	{ WRITE, ALLOW, "build", -EINVAL,
	  "command line: --allow-write: \"build\" is relative" },
	{ RULES_CONNECT, ALLOW, "exa mple.com", -EINVAL,
	  "command line: --allow-net: expected an IP address, a CIDR, "
	  "\"*\", unix:PATH or a domain name" },
	{ RULES_EXEC, ALLOW, "  ", -EINVAL,
	  "command line: --allow-exec: expected a command" },
};

START_TEST(test_entries)
{
	static const char *const force[] = { "git", "push", "--force" };
	const struct entry_case *t = &entries[_i];
	struct rules_policy *p = load(&vars, NULL, NULL);
	struct rules_verdict v;
	char err[512] = "", where[32];
	int rc;

	rc = rules_policy_add_entry(p, t->c, t->a, t->spec, err, sizeof(err));
	ck_assert_msg(rc == t->rc, "%s: rc %d (%s)", t->spec, rc, err);
	if (rc < 0) {
		ck_assert_msg(strncmp(err, t->check, strlen(t->check)) == 0,
			      "\"%s\", want it to start with \"%s\"", err,
			      t->check);
		rules_policy_free(p);
		return;
	}
	if (t->c == RULES_EXEC) {
		rules_check_exec(p, t->check, force, 3, &v);
	} else if (t->c == RULES_CONNECT) {
		struct rules_addr a = addr_of(t->check, 80);

		rules_check_addr(p, &a, &v);
	} else {
		rules_check_path(p, t->c, t->check, &v);
	}
	snprintf(where, sizeof(where), "--%s-%s", rules_action_name(t->a),
		 t->c == RULES_CONNECT ? "net" : rules_class_name(t->c));
	expect(t->spec, &v, t->a, where);
	ck_assert_str_eq(v.origin, "command line");
	ck_assert_str_eq(v.pattern, t->spec);
	rules_policy_free(p);
}
END_TEST

/* Errors: each names the origin, the JSON path and what was expected. */

static const struct error_case {
	const char *json;
	const char *base_dir;
	const char *want; /* the message starts with this */
} errors[] = {
	{ "{\"files\": {\"read\": }}", NULL,
	  "t.json: line 1, column 20: malformed JSON near \"}}\"" },
	{ "{\n  \"exec\": {\n    \"default\": allow\n  }\n}", NULL,
	  "t.json: line 3, column 16: malformed JSON" },
	{ "", NULL, "t.json: empty: expected a JSON object" },
	{ "{\"files\": {}\n", NULL,
	  "t.json: malformed JSON: the text ends after \"{\"files\": {}\" (a "
	  "brace, bracket or quote not closed?)" },
	{ "{\"files\": {}, \n \"exec\": {}, \n}", NULL,
	  "t.json: malformed JSON: the text ends after \"}\"" },
	{ "{} x", NULL, "t.json: line 1, column 4: malformed JSON" },
	{ "[]", NULL,
	  "t.json: expected an object with keys builtin, files, network, "
	  "exec or prompt, got array" },
	{ "{\"netwrok\": {}}", NULL,
	  "t.json: netwrok: unknown key; expected builtin, files, network, "
	  "exec or prompt" },
	{ "{\"builtin\": \"no\"}", NULL,
	  "t.json: builtin: expected false (this policy stands in place of "
	  "the built-in one) or true, got string" },
	{ "{\"builtin\": false}", NULL, "" },
	{ "{\"files\": {\"read\": {\"dney\": []}}}", NULL,
	  "t.json: files.read.dney: unknown key; expected default, allow, "
	  "deny or ask" },
	{ "{\"files\": {\"read\": {\"create\": []}}}", NULL,
	  "t.json: files.read.create: unknown key" },
	{ "{\"files\": {\"exec\": {}}}", NULL,
	  "t.json: files.exec: unknown key; expected read or write" },
	{ "{\"exec\": {}, \"exec\": {}}", NULL, "t.json: exec: duplicate key" },
	{ "{\"files\": []}", NULL,
	  "t.json: files: expected an object with keys read or write, got "
	  "array" },
	{ "{\"files\": {\"write\": {\"allow\": [\"/a\", \"/b\", 3]}}}", NULL,
	  "t.json: files.write.allow[2]: expected a string (path pattern), "
	  "got number" },
	{ "{\"files\": {\"read\": {\"deny\": \"/x\"}}}", NULL,
	  "t.json: files.read.deny: expected an array of path patterns, got "
	  "string" },
	{ "{\"network\": {\"allow\": [null]}}", NULL,
	  "t.json: network.allow[0]: expected a string (address, CIDR or "
	  "unix:PATH), got null" },
	{ "{\"exec\": {\"deny\": [{}]}}", NULL,
	  "t.json: exec.deny[0]: expected a \"pattern\" key holding a string "
	  "or an array of strings (command prefix)" },
	/* entries written as objects, as `proctor learn` writes them */
	{ "{\"exec\": {\"allow\": [{\"pattern\": [\"git\", \"log\"], "
	  "\"events\": 2, \"why\": \"seen\"}]}}",
	  NULL, "" },
	{ "{\"files\": {\"read\": {\"allow\": [{\"pattern\": \"/a\", "
	  "\"review\": true}]}}}",
	  NULL, "" },
	{ "{\"files\": {\"read\": {\"allow\": [{\"pattern\": \"/a\", "
	  "\"note\": 1}]}}}",
	  NULL,
	  "t.json: files.read.allow[0].note: unknown key; expected pattern, "
	  "events, why, review or beneath" },
	/* "beneath": false names a directory alone; files only */
	{ "{\"files\": {\"read\": {\"allow\": [{\"pattern\": \"/a\", "
	  "\"beneath\": false}]}}}",
	  NULL, "" },
	{ "{\"files\": {\"write\": {\"deny\": [{\"pattern\": \"/a/*\", "
	  "\"beneath\": true}]}}}",
	  NULL, "" },
	{ "{\"files\": {\"read\": {\"allow\": [{\"pattern\": \"/a\", "
	  "\"beneath\": 0}]}}}",
	  NULL,
	  "t.json: files.read.allow[0].beneath: expected true or false, got "
	  "number" },
	{ "{\"network\": {\"allow\": [{\"pattern\": \"unix:/a\", "
	  "\"beneath\": false}]}}",
	  NULL, "t.json: network.allow[0].beneath: unknown key" },
	{ "{\"exec\": {\"allow\": [{\"pattern\": \"/a\", "
	  "\"beneath\": false}]}}",
	  NULL, "t.json: exec.allow[0].beneath: unknown key" },
	{ "{\"files\": {\"read\": {\"allow\": [{\"pattern\": \"/a\", "
	  "\"events\": -1}]}}}",
	  NULL, "t.json: files.read.allow[0].events: expected a count" },
	{ "{\"files\": {\"read\": {\"allow\": [{\"pattern\": \"/a\", "
	  "\"events\": 1.5}]}}}",
	  NULL, "t.json: files.read.allow[0].events: expected a count" },
	{ "{\"files\": {\"read\": {\"allow\": [{\"pattern\": \"/a\", "
	  "\"why\": 3}]}}}",
	  NULL,
	  "t.json: files.read.allow[0].why: expected a string, got number" },
	{ "{\"files\": {\"read\": {\"allow\": [{\"pattern\": \"/a\", "
	  "\"review\": \"yes\"}]}}}",
	  NULL,
	  "t.json: files.read.allow[0].review: expected true or false, got "
	  "string" },
	{ "{\"files\": {\"read\": {\"deny\": [{\"pattern\": \"/a\", "
	  "\"review\": true}]}}}",
	  NULL,
	  "t.json: files.read.deny[0].review: only entries that grant (allow, "
	  "create) can wait for review" },
	{ "{\"files\": {\"read\": {\"allow\": [{\"pattern\": {}}]}}}", NULL,
	  "t.json: files.read.allow[0].pattern: expected a string (path "
	  "pattern), got object" },
	{ "{\"files\": {\"read\": {\"allow\": [{\"pattern\": \"rel\", "
	  "\"review\": true}]}}}",
	  NULL,
	  "t.json: files.read.allow[0]: \"rel\" is relative and there is no "
	  "base directory" },
	{ "{\"network\": {\"allow\": [{\"pattern\": [\"1.2.3.4\"]}]}}", NULL,
	  "t.json: network.allow[0]: expected a string (address, CIDR or "
	  "unix:PATH), got array" },
	{ "{\"exec\": {\"deny\": [[\"git\", 1]]}}", NULL,
	  "t.json: exec.deny[0][1]: expected a string (a word of the "
	  "command), got number" },
	{ "{\"exec\": {\"deny\": [[]]}}", NULL,
	  "t.json: exec.deny[0]: expected a command" },
	{ "{\"files\": {\"read\": {\"default\": \"maybe\"}}}", NULL,
	  "t.json: files.read.default: expected \"allow\", \"deny\" or "
	  "\"ask\", got \"maybe\"" },
	{ "{\"files\": {\"write\": {\"default\": true}}}", NULL,
	  "t.json: files.write.default: expected \"allow\", \"deny\", \"ask\" "
	  "or \"create\", got boolean" },
	{ "{\"network\": {\"default\": \"create\"}}", NULL,
	  "t.json: network.default: expected \"allow\", \"deny\" or \"ask\", "
	  "got \"create\"" },
	{ "{\"network\": {\"allow\": [\"10.0.0.0/33\"]}}", NULL,
	  "t.json: network.allow[0]: expected a prefix length 0-32 after "
	  "'/', got \"10.0.0.0/33\"" },
	{ "{\"network\": {\"allow\": [\"fe80::/129\"]}}", NULL,
	  "t.json: network.allow[0]: expected a prefix length 0-128" },
	{ "{\"network\": {\"allow\": [\"10.0.0.0/\"]}}", NULL,
	  "t.json: network.allow[0]: expected a prefix length" },
	{ "{\"network\": {\"allow\": [\"10.1.0.0/8\"]}}", NULL,
	  "t.json: network.allow[0]: expected a network address with no bits "
	  "set after the prefix length, got \"10.1.0.0/8\"" },
	{ "{\"network\": {\"allow\": [\"1.2.3.4:99999\"]}}", NULL,
	  "t.json: network.allow[0]: expected a port 1-65535" },
	{ "{\"network\": {\"allow\": [\"1.2.3.4:0\"]}}", NULL,
	  "t.json: network.allow[0]: expected a port 1-65535" },
	{ "{\"network\": {\"allow\": [\"[::1\"]}}", NULL,
	  "t.json: network.allow[0]: expected \"[IPV6]\" or \"[IPV6]:PORT\"" },
	{ "{\"network\": {\"allow\": [\"1.2.3\"]}}", NULL,
	  "t.json: network.allow[0]: expected an IP address" },
	{ "{\"network\": {\"allow\": [\"*/8\"]}}", NULL,
	  "t.json: network.allow[0]: expected an IP address" },
	{ "{\"network\": {\"allow\": [\"exa\\u0000mple.com\"]}}", NULL,
	  "t.json: line 1, column 28: a string holds \\u0000" },
	{ "{\"network\": {\"allow\": [\"unix:@\"]}}", NULL,
	  "t.json: network.allow[0]: expected an abstract socket name after "
	  "unix:@, got \"unix:@\"" },
	/* an escaped backslash before u0000 is no NUL: the next error */
	{ "{\"network\": {\"allow\": [\"a\\\\u0000\"]}}", NULL,
	  "t.json: network.allow[0]: expected" },
	{ "{\"network\": {\"allow\": [\"a\\\\\\u0000\"]}}", NULL,
	  "t.json: line 1, column 28: a string holds \\u0000" },
	{ "{\"network\": {\"allow\": [\"a..b\"]}}", NULL,
	  "t.json: network.allow[0]: expected an IP address, a CIDR, \"*\", "
	  "unix:PATH or a domain name" },
	{ "{\"network\": {\"deny\": [\"api.github.com:0\"]}}", NULL,
	  "t.json: network.deny[0]: expected a port 1-65535 after ':', got "
	  "\"api.github.com:0\"" },
	{ "{\"network\": {\"allow\": [\"*.b\u00fccher.de\"]}}", NULL,
	  "t.json: network.allow[0]: expected an IP address" },
	{ "{\"network\": {\"allow\": [\"a.*.org\"]}}", NULL,
	  "t.json: network.allow[0]: expected an IP address" },
	{ "{\"network\": {\"allow\": [\"unix:sock\"]}}", NULL,
	  "t.json: network.allow[0]: \"sock\" is relative" },
	{ "{\"files\": {\"read\": {\"deny\": [\"secrets\"]}}}", NULL,
	  "t.json: files.read.deny[0]: \"secrets\" is relative and there is "
	  "no base directory" },
	{ "{\"files\": {\"read\": {\"deny\": [\"/a/../b\"]}}}", NULL,
	  "t.json: files.read.deny[0]: expected a path without \"..\" "
	  "components, got \"/a/../b\"" },
	{ "{\"files\": {\"read\": {\"deny\": [\"..\"]}}}", "/w/ws",
	  "t.json: files.read.deny[0]: expected a path without \"..\"" },
	{ "{\"files\": {\"read\": {\"deny\": [\"/a/..b/c..\"]}}}", NULL, "" },
	{ "{\"files\": {\"write\": {\"allow\": [\"$FOO/x\"]}}}", NULL,
	  "t.json: files.write.allow[0]: unknown variable $FOO; expected "
	  "$HOME, $WORKSPACE or $TMPDIR" },
	{ "{\"files\": {\"write\": {\"allow\": [\"${WORKSPACE\"]}}}", NULL,
	  "t.json: files.write.allow[0]: expected '}' after ${WORKSPACE" },
	{ "{\"files\": {\"write\": {\"allow\": [\"$HOME.bak\"]}}}", NULL,
	  "t.json: files.write.allow[0]: expected '/' after $HOME" },
	{ "{\"files\": {\"write\": {\"allow\": [\"/x/$HOME\"]}}}", NULL,
	  "t.json: files.write.allow[0]: variables may only start a pattern" },
	{ "{\"files\": {\"write\": {\"allow\": [\"/x/[$]HOME\"]}}}", NULL, "" },
	{ "{\"files\": {\"write\": {\"allow\": [\"~bob/x\"]}}}", NULL,
	  "t.json: files.write.allow[0]: \"~bob/x\": ~user is not supported" },
	{ "{\"files\": {\"write\": {\"allow\": [\"\"]}}}", NULL,
	  "t.json: files.write.allow[0]: expected a path pattern, got \"\"" },
	{ "{\"files\": {\"write\": {\"allow\": [\"/w/[ab\"]}}}", NULL,
	  "t.json: files.write.allow[0]: unclosed '[' in \"[ab\"" },
	/* an entry held for review is checked like any other: its grant
	 * and its method limits too */
	{ "{\"exec\": {\"allow\": [{\"pattern\": \"/bin/git\", "
	  "\"review\": true, \"grant\": {\"bogus\": 1}}]}}",
	  NULL,
	  "t.json: exec.allow[0].grant.bogus: unknown key; expected read, "
	  "write or network" },
	{ "{\"exec\": {\"allow\": [{\"pattern\": \"/bin/git\", "
	  "\"review\": true, \"grant\": 42}]}}",
	  NULL, "t.json: exec.allow[0].grant: expected \"full\" or an object" },
	{ "{\"network\": {\"allow\": [{\"pattern\": \"1.2.3.4\", "
	  "\"review\": true, \"methods\": [\"GET\"]}]}}",
	  NULL,
	  "t.json: network.allow[0]: \"methods\" and \"wire_name\" need a "
	  "domain name pattern" },
	/* nothing would list it: hold the command's entry instead */
	{ "{\"exec\": {\"allow\": [{\"pattern\": \"/bin/git\", \"grant\": "
	  "{\"read\": [{\"pattern\": \"/etc\", \"review\": true}]}}]}}",
	  NULL,
	  "t.json: exec.allow[0].grant.read[0].review: an entry of a grant "
	  "cannot wait for review alone" },
	/* out of int's and long long's range: refused, not cast */
	{ "{\"prompt\": {\"timeout\": 1e300}}", NULL,
	  "t.json: prompt.timeout: expected a whole number of seconds" },
	{ "{\"prompt\": {\"timeout\": -1e300}}", NULL,
	  "t.json: prompt.timeout: expected a whole number of seconds" },
	{ "{\"files\": {\"read\": {\"allow\": [{\"pattern\": \"/a\", "
	  "\"events\": 1e300}]}}}",
	  NULL, "t.json: files.read.allow[0].events: expected a count" },
	{ "{\"files\": {\"read\": {\"allow\": [{\"pattern\": \"/a\", "
	  "\"events\": 1e999}]}}}",
	  NULL, "t.json: files.read.allow[0].events: expected a count" },
};

START_TEST(test_errors)
{
	const struct error_case *t = &errors[_i];
	struct rules_policy *p = load(&vars, NULL, NULL);
	char err[512] = "";
	int rc;

	rc = rules_policy_add_json(p, t->json, "t.json", t->base_dir, err,
				   sizeof(err));
	if (t->want[0] == '\0') {
		ck_assert_msg(rc == 0, "%s: %s", t->json, err);
	} else {
		ck_assert_msg(rc == -EINVAL, "%s: rc %d", t->json, rc);
		ck_assert_msg(strncmp(err, t->want, strlen(t->want)) == 0,
			      "%s:\n got  \"%s\"\n want \"%s...\"", t->json,
			      err, t->want);
	}
	rules_policy_free(p);
}
END_TEST

START_TEST(test_missing_vars)
{
	struct rules_policy *p = load(NULL, NULL, NULL);
	char err[512] = "";

	ck_assert_int_eq(
		rules_policy_add_json(
			p, "{\"files\": {\"read\": {\"deny\": [\"~/.ssh\"]}}}",
			"t.json", NULL, err, sizeof(err)),
		-EINVAL);
	ck_assert_str_eq(err, "t.json: files.read.deny[0]: ~ (the home "
			      "directory) is not known in this run");
	ck_assert_int_eq(
		rules_policy_add_json(p,
				      "{\"files\": {\"write\": {\"allow\": "
				      "[\"$WORKSPACE\"]}}}",
				      "t.json", NULL, err, sizeof(err)),
		0);

	/* Without a workspace the entry names nothing, but is checked. */
	ck_assert_int_eq(
		rules_policy_add_json(p,
				      "{\"files\": {\"write\": {\"allow\": "
				      "[\"$WORKSPACE/[a\"]}}}",
				      "t.json", NULL, err, sizeof(err)),
		-EINVAL);
	ck_assert_str_eq(err, "t.json: files.write.allow[0]: unclosed '[' "
			      "in \"[a\"");
	rules_policy_free(p);
}
END_TEST

START_TEST(test_bad_vars)
{
	static const char *const rel[] = { "w/ws" };
	struct rules_vars v = { "/home/u", "/tmp/p", rel, 1 };
	struct rules_policy *p = (struct rules_policy *)1;

	ck_assert_int_eq(rules_policy_new(&p, &v), -EINVAL);
	ck_assert_ptr_null(p);
	v.workspaces = ws1;
	v.home = "home";
	ck_assert_int_eq(rules_policy_new(&p, &v), -EINVAL);
}
END_TEST

/* Files. */

START_TEST(test_add_file)
{
	char path[] = "/tmp/proctor-test-XXXXXX";
	struct rules_policy *p = load(&vars, NULL, NULL);
	struct rules_verdict v;
	char err[512] = "";
	FILE *f;
	int fd;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	fputs("{\"files\": {\"write\": {\"allow\": [\"out\"]}}}\n", f);
	fclose(f);

	ck_assert_msg(rules_policy_add_file(p, path, "/w/ws", err,
					    sizeof(err)) == 0,
		      "%s", err);
	rules_check_path(p, WRITE, "/w/ws/out/a", &v);
	expect("/w/ws/out/a", &v, ALLOW, "files.write.allow[0]");
	ck_assert_str_eq(v.origin, path);

	/* Errors name the file. */
	ck_assert_int_eq(rules_policy_add_file(p, path, NULL, err, sizeof(err)),
			 -EINVAL);
	ck_assert_msg(strncmp(err, path, strlen(path)) == 0, "%s", err);
	unlink(path);

	ck_assert_int_eq(rules_policy_add_file(p, path, NULL, err, sizeof(err)),
			 -ENOENT);
	ck_assert_msg(strstr(err, "cannot read") != NULL, "%s", err);
	rules_policy_free(p);
}
END_TEST

/* Dumps. */

static const char *str_at(cJSON *root, const char *const *keys)
{
	cJSON *j = root;

	for (; *keys && j; keys++) {
		if (**keys >= '0' && **keys <= '9')
			j = cJSON_GetArrayItem(j, atoi(*keys));
		else
			j = cJSON_GetObjectItemCaseSensitive(j, *keys);
	}
	return cJSON_IsString(j) ? j->valuestring : NULL;
}

START_TEST(test_dump)
{
	static const struct {
		const char *keys[7];
		const char *want;
	} want[] = {
		{ { "files", "read", "default", "action" }, "allow" },
		{ { "files", "read", "default", "origin" }, "built-in" },
		{ { "files", "read", "deny", "0", "pattern" }, "~/.ssh" },
		{ { "files", "read", "deny", "0", "where" },
		  "files.read.deny[0]" },
		{ { "files", "read", "deny", "0", "expanded", "0" },
		  "/home/u/.ssh" },
		{ { "files", "write", "allow", "0", "expanded", "0" },
		  "/w/ws" },
		{ { "files", "write", "allow", "2", "pattern" }, "/dev/null" },
		{ { "files", "write", "create", "0", "pattern" }, "/tmp" },
		{ { "files", "write", "default", "action" }, "ask" },
		{ { "files", "write", "default", "origin" }, "user.json" },
		{ { "files", "write", "allow", "1", "expanded", "0" },
		  "/tmp/proctor-1" },
		{ { "exec", "ask", "0", "pattern", "1" }, "push" },
		{ { "exec", "deny", "0", "pattern" }, "rm -rf" },
		{ { "exec", "deny", "0", "origin" }, "command line" },
		{ { "exec", "deny", "0", "where" }, "--deny-exec" },
	};
	struct rules_policy *p = load_builtin(&vars);
	char err[512] = "";
	cJSON *root;
	char *s;
	int i;

	ck_assert_int_eq(
		rules_policy_add_json(
			p, "{\"files\": {\"write\": {\"default\": \"ask\"}}}",
			"user.json", NULL, err, sizeof(err)),
		0);
	ck_assert_int_eq(rules_policy_add_entry(p, RULES_EXEC, DENY, "rm -rf",
						err, sizeof(err)),
			 0);
	s = rules_policy_dump(p);
	ck_assert_ptr_nonnull(s);
	root = cJSON_Parse(s);
	ck_assert_ptr_nonnull(root);
	for (i = 0; i < N(want); i++) {
		const char *got = str_at(root, want[i].keys);

		ck_assert_msg(got && strcmp(got, want[i].want) == 0,
			      "dump row %d: \"%s\", want \"%s\"", i,
			      got ? got : "(none)", want[i].want);
	}
	/* A pattern that is its own expansion shows no "expanded". */
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetArrayItem(
			cJSON_GetObjectItemCaseSensitive(
				cJSON_GetObjectItemCaseSensitive(
					cJSON_GetObjectItemCaseSensitive(
						root, "files"),
					"write"),
				"allow"),
			2),
		"expanded"));
	cJSON_Delete(root);
	free(s);
	rules_policy_free(p);
}
END_TEST

/*
 * An entry with "review": true is checked and listed, but grants nothing
 * until the flag goes; its neighbours without the flag do grant.
 */
/*
 * "beneath": false: the directory alone (its list of names), not what
 * lies beneath it; a deny of ~ alone leaves the files in ~ readable.
 */
START_TEST(test_beneath_false)
{
	static const char *json =
		"{\"files\": {\"read\": {\"default\": \"deny\", "
		"\"allow\": [{\"pattern\": \"$WORKSPACE/src\", "
		"\"beneath\": false}, \"~\", "
		"{\"pattern\": \"/proc/*\", \"beneath\": false}], "
		"\"deny\": [{\"pattern\": \"~/d\", \"beneath\": false}]}}}";
	static const struct {
		const char *path;
		enum rules_action want;
	} cases[] = {
		{ "/w/ws/src", RULES_ALLOW },
		{ "/w/ws/src/a.c", RULES_DENY },
		{ "/w/ws/src/sub", RULES_DENY },
		{ "/w/ws", RULES_DENY },
		{ "/proc/1234", RULES_ALLOW },
		{ "/proc/1234/environ", RULES_DENY },
		{ "/home/u/d", RULES_DENY },
		{ "/home/u/d/x", RULES_ALLOW },
	};
	struct rules_policy *p = load(&vars, NULL, NULL);
	struct rules_verdict v;
	char err[512] = "", *dump;
	size_t i;

	ck_assert_msg(rules_policy_add_json(p, json, "t.json", NULL, err,
					    sizeof(err)) == 0,
		      "%s", err);
	for (i = 0; i < N(cases); i++) {
		rules_check_path(p, RULES_READ, cases[i].path, &v);
		ck_assert_msg(v.action == cases[i].want, "%s: %s",
			      cases[i].path, rules_action_name(v.action));
	}
	/* the directory alone is narrower than it and all beneath */
	rules_policy_free(p);
	p = load(
		&vars,
		"{\"files\": {\"read\": {\"deny\": [\"~/.ssh\"], "
		"\"allow\": [{\"pattern\": \"~/.ssh\", \"beneath\": false}]}}}",
		NULL);
	rules_check_path(p, RULES_READ, "/home/u/.ssh", &v);
	ck_assert_int_eq(v.action, RULES_ALLOW);
	rules_check_path(p, RULES_READ, "/home/u/.ssh/id_rsa", &v);
	ck_assert_int_eq(v.action, RULES_DENY);
	rules_policy_free(p);
	p = load(&vars, json, NULL);
	/* a read deny of the directory alone denies writing it alone */
	rules_check_path(p, RULES_WRITE, "/home/u/d", &v);
	ck_assert_int_eq(v.action, RULES_DENY);
	dump = rules_policy_dump(p);
	ck_assert_ptr_nonnull(strstr(dump, "\"beneath\""));
	free(dump);
	rules_policy_free(p);
}
END_TEST

/*
 * The home directory, a workspace and proctor's own files are named by
 * the names they have: "[", "*" and "?" in them are not globs, so a
 * workspace "/w/ws[1]" grants "/w/ws[1]", not "/w/ws1".
 */
START_TEST(test_glob_chars_in_dirs)
{
	static const char *const ws[] = { "/w/ws[1]", "/w/a*" };
	static const struct rules_vars v = {
		.home = "/home/u[x",
		.tmpdir = "/tmp/proctor-?",
		.workspaces = ws,
		.n_workspaces = 2,
	};
	static const struct {
		enum rules_class c;
		const char *path;
		enum rules_action want;
	} cases[] = {
		{ RULES_WRITE, "/w/ws[1]/f", RULES_ALLOW },
		{ RULES_WRITE, "/w/ws1/f", RULES_DENY },
		{ RULES_WRITE, "/w/a*/f", RULES_ALLOW },
		{ RULES_WRITE, "/w/abc/f", RULES_DENY },
		{ RULES_WRITE, "/tmp/proctor-?/f", RULES_ALLOW },
		{ RULES_WRITE, "/tmp/proctor-1/f", RULES_CREATE },
		{ RULES_WRITE, "/w/ws[1]/.git/hooks/x", RULES_DENY },
		{ RULES_READ, "/home/u[x/.ssh/id", RULES_DENY },
		{ RULES_READ, "/home/u[x/f", RULES_ALLOW },
		{ RULES_WRITE, "/w/ws[1]/p[1].json", RULES_DENY },
		{ RULES_WRITE, "/w/ws[1]/p1.json", RULES_ALLOW },
	};
	struct rules_policy *p = load_builtin(&v);
	struct rules_verdict vd;
	char err[512] = "";
	size_t i;

	ck_assert_msg(rules_policy_add_protected(p, "/w/ws[1]/p[1].json", true,
						 err, sizeof(err)) == 0,
		      "%s", err);
	for (i = 0; i < N(cases); i++) {
		rules_check_path(p, cases[i].c, cases[i].path, &vd);
		ck_assert_msg(vd.action == cases[i].want, "%s: %s",
			      cases[i].path, rules_action_name(vd.action));
	}
	ck_assert(rules_protected_beneath(p, "/w/ws[1]", &vd));
	rules_policy_free(p);
}
END_TEST

/*
 * A held entry is checked with its grant and method limits, then kept
 * apart with them: neither the command nor its grant is in the policy.
 */
START_TEST(test_review_held_grant)
{
	static const char json[] =
		"{\"exec\": {\"allow\": [{\"pattern\": \"/bin/deploy\", "
		"\"review\": true, \"grant\": \"full\"}, "
		"{\"pattern\": \"/bin/sync\", \"review\": true, "
		"\"why\": \"w\", "
		"\"grant\": {\"network\": [\"a.test\"]}}]}, "
		"\"network\": {\"allow\": [{\"pattern\": \"b.test\", "
		"\"methods\": [\"GET\"], \"review\": true}]}}";
	struct rules_policy *p = load(&vars, json, NULL);
	const struct rules_review *r;
	struct rules_verdict v;

	rules_check_exec(p, "/bin/deploy", NULL, 0, &v);
	expect("held grant", &v, DENY, NULL);
	ck_assert_ptr_null(v.grant);
	rules_check_exec(p, "/bin/sync", NULL, 0, &v);
	expect("held grant", &v, DENY, NULL);
	rules_check_name(p, "b.test", &v);
	expect("held name", &v, DENY, NULL);
	ck_assert(!rules_policy_relays(p));
	ck_assert_uint_eq(rules_policy_reviews(p, &r), 3);
	/* files, network, then exec */
	ck_assert_str_eq(r[0].pattern, "b.test");
	ck_assert_str_eq(r[2].where, "exec.allow[1]");
	ck_assert_str_eq(r[2].why, "w");
	rules_policy_free(p);
}
END_TEST

START_TEST(test_review_held)
{
	static const char json[] =
		"{\"files\": {\"read\": {\"default\": \"deny\", \"allow\": ["
		"{\"pattern\": \"~/.ssh/config\", \"events\": 1, "
		"\"why\": \"secret\", \"review\": true},"
		"{\"pattern\": \"/etc\", \"events\": 9, \"review\": false}]}},"
		"\"exec\": {\"allow\": [{\"pattern\": [\"git\", \"push\"], "
		"\"review\": true}]}}";
	struct rules_policy *p = load(&vars, json, NULL);
	const char *argv[] = { "git", "push" };
	const struct rules_review *r;
	struct rules_verdict v;
	cJSON *root, *held;
	char *dump;
	size_t n;

	rules_check_path(p, READ, "/home/u/.ssh/config", &v);
	expect("held entry", &v, DENY, NULL);
	rules_check_path(p, READ, "/etc/passwd", &v);
	expect("entry beside it", &v, ALLOW, "files.read.allow[1]");
	rules_check_exec(p, "/usr/bin/git", argv, 2, &v);
	expect("held exec entry", &v, DENY, NULL);

	n = rules_policy_reviews(p, &r);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(r[0].cls, READ);
	ck_assert_int_eq(r[0].action, ALLOW);
	ck_assert_str_eq(r[0].where, "files.read.allow[0]");
	ck_assert_str_eq(r[0].pattern, "~/.ssh/config");
	ck_assert_str_eq(r[0].why, "secret");
	ck_assert_str_eq(r[0].origin, "t.json");
	ck_assert_str_eq(r[1].pattern, "git push");
	ck_assert_ptr_null(r[1].why);

	/* policy show lists them apart, with the action they would have */
	dump = rules_policy_dump(p);
	ck_assert_ptr_nonnull(dump);
	root = cJSON_Parse(dump);
	held = cJSON_GetArrayItem(
		cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(
				cJSON_GetObjectItemCaseSensitive(root, "files"),
				"read"),
			"review"),
		0);
	ck_assert_str_eq(
		cJSON_GetObjectItemCaseSensitive(held, "pattern")->valuestring,
		"~/.ssh/config");
	ck_assert_str_eq(
		cJSON_GetObjectItemCaseSensitive(held, "action")->valuestring,
		"allow");
	cJSON_Delete(root);
	free(dump);
	rules_policy_free(p);
}
END_TEST

/* A layer that fails takes its held entries back too. */
START_TEST(test_review_rollback)
{
	static const char json[] =
		"{\"files\": {\"read\": {\"allow\": ["
		"{\"pattern\": \"/a\", \"review\": true}, 7]}}}";
	struct rules_policy *p = load(&vars, NULL, NULL);
	const struct rules_review *r;
	char err[256];

	ck_assert_int_eq(rules_policy_add_json(p, json, "t.json", NULL, err,
					       sizeof(err)),
			 -EINVAL);
	ck_assert_uint_eq(rules_policy_reviews(p, &r), 0);
	rules_policy_free(p);
}
END_TEST

/* rules_addr_parse reads back what rules_addr_format writes. */
START_TEST(test_addr_parse)
{
	static const char *const good[] = {
		"127.0.0.1:8080",   "[::1]:22",		"[2001:db8::1]:443",
		"unix:/run/x.sock", "unix:@dbus-1\\0x", "10.0.0.1:0",
	};
	static const char *const bad[] = {
		"127.0.0.1", "1.2.3:80", "[::1]",
		"unix:rel",  "host:80",	 "1.2.3.4:65536",
	};
	struct rules_addr a;
	char back[300];
	int i;

	for (i = 0; i < N(good); i++) {
		ck_assert_msg(rules_addr_parse(good[i], &a) == 0, "%s",
			      good[i]);
		rules_addr_format(&a, back, sizeof(back));
		ck_assert_str_eq(back, good[i]);
	}
	for (i = 0; i < N(bad); i++)
		ck_assert_msg(rules_addr_parse(bad[i], &a) == -EINVAL, "%s",
			      bad[i]);
	/* IPv4 reads as its mapped form, like a decoded sockaddr */
	ck_assert_int_eq(rules_addr_parse("10.1.2.3:80", &a), 0);
	ck_assert_int_eq(a.ip[10], 0xff);
	ck_assert_int_eq(a.ip[12], 10);
	ck_assert_int_eq(a.port, 80);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(rules_action_name(ALLOW), "allow");
	ck_assert_str_eq(rules_action_name(DENY), "deny");
	ck_assert_str_eq(rules_action_name(ASK), "ask");
	ck_assert_str_eq(rules_action_name(CREATE), "create");
	ck_assert_str_eq(rules_class_name(READ), "read");
	ck_assert_str_eq(rules_class_name(WRITE), "write");
	ck_assert_str_eq(rules_class_name(RULES_EXEC), "exec");
	ck_assert_str_eq(rules_class_name(RULES_CONNECT), "connect");
	ck_assert_str_eq(rules_class_name(RULES_NCLASS), "unknown");
}
END_TEST

/*
 * Reads in the kernel (#9): which policies' read rules Landlock can hold.
 * json: a layer over the built-in one; why: NULL (it can), or the start
 * of the reason.
 */
static const struct {
	const char *json;
	const char *why;
} reads_static[] = {
	{ NULL, NULL },
	{ "{\"files\":{\"read\":{\"deny\":[\"~/secret.txt\"]}}}", NULL },
	{ "{\"files\":{\"read\":{\"deny\":[\"$WORKSPACE/**/*.pem\"]}}}",
	  "files.read.deny" },
	{ "{\"files\":{\"read\":{\"ask\":[\"~/notes\"]}}}", "files.read.ask" },
	{ "{\"files\":{\"read\":{\"default\":\"deny\",\"allow\":[\"/usr\"]}}}",
	  "files.read.default" },
	{ "{\"files\":{\"read\":{\"deny\":[{\"pattern\":\"~/d\","
	  "\"beneath\":false}]}}}",
	  "files.read.deny" },
	{ "{\"network\":{\"allow\":[\"example.org\"]}}", "network.allow" },
	{ "{\"network\":{\"allow\":[\"127.0.0.1\"]}}", NULL },
	{ "{\"exec\":{\"allow\":[{\"pattern\":[\"make\"],"
	  "\"grant\":{\"write\":[\"~/.cache\"]}}]}}",
	  "exec.allow" },
};

START_TEST(test_reads_static)
{
	struct rules_policy *p = load_builtin(&vars);
	char err[512] = "";
	const char *why;

	if (reads_static[_i].json)
		ck_assert_msg(rules_policy_add_json(p, reads_static[_i].json,
						    "t.json", NULL, err,
						    sizeof(err)) == 0,
			      "add_json: %s", err);
	why = rules_reads_static(p);
	if (!reads_static[_i].why)
		ck_assert_msg(!why, "case %d: kernel refused: %s", _i, why);
	else
		ck_assert_msg(why && !strncmp(why, reads_static[_i].why,
					      strlen(reads_static[_i].why)),
			      "case %d: got %s, want %s", _i,
			      why ? why : "(kernel)", reads_static[_i].why);
	rules_policy_free(p);
}
END_TEST

/*
 * A grant's entries may be objects (a network entry with methods): the
 * grant's text names their patterns, and the relay starts for them.
 */
START_TEST(test_grant_objects)
{
	struct rules_policy *p = load_builtin(&vars);
	const char *json =
		"{\"exec\":{\"allow\":[{\"pattern\":\"curl\",\"grant\":"
		"{\"network\":[{\"pattern\":\"a.test\",\"methods\":[\"GET\"]},"
		"\"b.test\"],\"read\":[{\"pattern\":\"~/r\"}]}}]}}";
	char err[512] = "", text[256];
	struct rules_verdict v;

	ck_assert(!rules_policy_relays(p));
	ck_assert_msg(rules_policy_add_json(p, json, "t.json", NULL, err,
					    sizeof(err)) == 0,
		      "add_json: %s", err);
	rules_check_exec(p, "/usr/bin/curl", NULL, 0, &v);
	ck_assert_ptr_nonnull(v.grant);
	rules_grant_describe(v.grant, text, sizeof(text));
	ck_assert_str_eq(text, "read ~/r; network a.test, b.test");
	ck_assert(rules_policy_relays(p));
	rules_policy_free(p);
}
END_TEST

/* rules_denied_beneath: what "exists" means comes from the caller. */
static bool every_path(const char *path, void *arg)
{
	(void)path;
	(void)arg;
	return true;
}

static const struct {
	const char *dir;
	bool denied;
} moves[] = {
	{ "/w/ws/.git", true },	    /* holds .git/hooks, .git/config */
	{ "/w/ws", true },	    /* the workspace holds its .git */
	{ "/w/ws/sub/repo", true }, /* ** entry: sub/repo/.git/hooks */
	{ "/w/ws/sub/repo/.git", true },
	{ "/w/ws/src", true },	      /* src/.git/hooks: could exist */
	{ "/w/ws/.git/hooks", true }, /* hooks/.git/hooks, if there */
	{ "/elsewhere", false },
};

START_TEST(test_denied_beneath)
{
	struct rules_policy *p = load_builtin(&vars);
	struct rules_verdict v;
	bool got = rules_denied_beneath(p, moves[_i].dir, NULL, every_path,
					NULL, &v);

	ck_assert_msg(got == moves[_i].denied, "%s: got %d", moves[_i].dir,
		      got);
	rules_policy_free(p);
}
END_TEST

/* Read rules too, and those that end in a wildcard (at their directory). */
static const struct {
	const char *dir, *to;
	bool denied;
} read_moves[] = {
	{ "/elsewhere/sec", NULL, true }, /* holds sec/<star>.key */
	{ "/elsewhere", NULL, true },	  /* holds sec */
	{ "/elsewhere/other", NULL, false },
	{ "/elsewhere/one/lit", NULL, true }, /* holds lit/x.pem */
	{ "/elsewhere/one", NULL, true },
	{ "/elsewhere/two/a", NULL,
	  true }, /* two/<star> holds a/<star><star> */
	{ "/elsewhere/three", NULL, false },
	/* four/<star><star>/<star>.pem: anywhere within four; not out */
	{ "/elsewhere/four/x", "/elsewhere/four/y/z", false },
	{ "/elsewhere/four/x", "/elsewhere/x", true },
	{ "/elsewhere/four/x", NULL, true },
	{ "/elsewhere/five", "/elsewhere/six", false },
};

START_TEST(test_denied_beneath_reads)
{
	struct rules_policy *p = load_builtin(&vars);
	const char *json = "{\"files\":{\"read\":{\"deny\":["
			   "\"/elsewhere/sec/*.key\","
			   "\"/elsewhere/one/lit/x.pem\","
			   "\"/elsewhere/two/*/**\","
			   "\"/elsewhere/four/**/*.pem\"]}}}";
	char err[512] = "";
	struct rules_verdict v;
	bool got;

	ck_assert_msg(rules_policy_add_json(p, json, "t.json", NULL, err,
					    sizeof(err)) == 0,
		      "add_json: %s", err);
	got = rules_denied_beneath(p, read_moves[_i].dir, read_moves[_i].to,
				   every_path, NULL, &v);
	ck_assert_msg(got == read_moves[_i].denied, "%s: got %d",
		      read_moves[_i].dir, got);
	rules_policy_free(p);
}
END_TEST

static Suite *rules_suite(void)
{
	Suite *s = suite_create("rules");
	TCase *paths = tcase_create("paths");
	TCase *addr = tcase_create("addresses");
	TCase *exec = tcase_create("exec");
	TCase *policy = tcase_create("policy");

	tcase_add_loop_test(paths, test_builtin_paths, 0, N(builtin_paths));
	tcase_add_loop_test(paths, test_home_in_workspace, 0, N(home_in_ws));
	tcase_add_test(paths, test_two_workspaces);
	tcase_add_test(paths, test_no_workspace);
	tcase_add_loop_test(paths, test_globs, 0, N(globs));
	tcase_add_test(paths, test_relative_base_dir);
	tcase_add_test(paths, test_bad_input_path);
	tcase_add_loop_test(paths, test_precedence, 0, N(precedence));
	suite_add_tcase(s, paths);

	tcase_add_loop_test(addr, test_addrs, 0, N(addrs));
	tcase_add_test(addr, test_abstract_nul);
	tcase_add_test(addr, test_builtin_network);
	tcase_add_loop_test(addr, test_check_name, 0, N(name_cases));
	tcase_add_loop_test(addr, test_check_connect, 0, N(connect_cases));
	tcase_add_test(addr, test_name_defaults);
	tcase_add_loop_test(addr, test_decode, 0, N(decodes));
	tcase_add_test(addr, test_decode_mapped_bytes);
	tcase_add_test(addr, test_addr_parse);
	suite_add_tcase(s, addr);

	tcase_add_loop_test(exec, test_exec, 0, N(execs));
	tcase_add_test(exec, test_exec_builtin);
	tcase_add_test(exec, test_exec_tie);
	tcase_add_test(exec, test_command_line_tie);
	suite_add_tcase(s, exec);

	tcase_add_test(policy, test_layers);
	tcase_add_test(policy, test_layer_atomic);
	tcase_add_loop_test(policy, test_entries, 0, N(entries));
	tcase_add_loop_test(policy, test_errors, 0, N(errors));
	tcase_add_test(policy, test_missing_vars);
	tcase_add_test(policy, test_bad_vars);
	tcase_add_test(policy, test_add_file);
	tcase_add_test(policy, test_beneath_false);
	tcase_add_test(policy, test_dump);
	tcase_add_test(policy, test_names);
	tcase_add_test(policy, test_review_held);
	tcase_add_test(policy, test_review_held_grant);
	tcase_add_test(policy, test_glob_chars_in_dirs);
	tcase_add_test(policy, test_review_rollback);
	tcase_add_loop_test(policy, test_reads_static, 0, N(reads_static));
	tcase_add_test(policy, test_grant_objects);
	tcase_add_loop_test(policy, test_denied_beneath, 0, N(moves));
	tcase_add_loop_test(policy, test_denied_beneath_reads, 0,
			    N(read_moves));
	suite_add_tcase(s, policy);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(rules_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
