/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for what rules/ holds for asking the user (#6): the prompt
 * settings, saved answers (parsed, formatted, matched exactly, winning
 * ties) and grants on exec entries (parsed, checked, in the write floor,
 * kept away from proctor's own files).
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const char *const ws1[] = { "/w/ws" };
static const struct rules_vars vars = {
	.home = "/home/u",
	.tmpdir = "/tmp/proctor-1",
	.workspaces = ws1,
	.n_workspaces = 1,
};

static struct rules_policy *load(const char *json)
{
	struct rules_policy *p;
	char err[512] = "";

	ck_assert_int_eq(rules_policy_new(&p, &vars), 0);
	ck_assert_msg(rules_policy_add_json(p, rules_default_json, "built-in",
					    NULL, err, sizeof(err)) == 0,
		      "%s", err);
	if (json)
		ck_assert_msg(rules_policy_add_json(p, json, "t.json", "/w/ws",
						    err, sizeof(err)) == 0,
			      "%s", err);
	return p;
}

/* ---- prompt settings ----------------------------------------------------- */

START_TEST(test_prompt_settings)
{
	struct rules_policy *p = load(NULL);
	struct rules_prompt pr;
	char err[512];

	rules_prompt_settings(p, &pr);
	ck_assert_int_eq(pr.timeout, 0);
	ck_assert_int_eq(pr.unattended, RULES_DENY);

	ck_assert_int_eq(
		rules_policy_add_json(
			p,
			"{\"prompt\": {\"timeout\": 30, \"unattended\": \"allow\"}}",
			"u.json", NULL, err, sizeof(err)),
		0);
	rules_prompt_settings(p, &pr);
	ck_assert_int_eq(pr.timeout, 30);
	ck_assert_str_eq(pr.timeout_origin, "u.json");
	ck_assert_int_eq(pr.unattended, RULES_ALLOW);

	/* a later layer replaces; a failed layer takes back its settings */
	ck_assert_int_eq(
		rules_policy_add_json(
			p,
			"{\"prompt\": {\"timeout\": 5, \"unattended\": \"maybe\"}}",
			"bad.json", NULL, err, sizeof(err)),
		-EINVAL);
	ck_assert_str_eq(err, "bad.json: prompt.unattended: expected "
			      "\"allow\" or \"deny\", got maybe");
	rules_prompt_settings(p, &pr);
	ck_assert_int_eq(pr.timeout, 30);
	rules_policy_free(p);
}
END_TEST

static const struct {
	const char *json, *want;
} prompt_errors[] = {
	{ "{\"prompt\": {\"timeout\": -1}}",
	  "t.json: prompt.timeout: expected a whole number of seconds from 0 "
	  "(wait for the answer) to 86400, got -1" },
	{ "{\"prompt\": {\"timeout\": 1.5}}",
	  "t.json: prompt.timeout: expected a whole number of seconds from 0 "
	  "(wait for the answer) to 86400, got 1.5" },
	{ "{\"prompt\": {\"timeout\": \"10\"}}",
	  "t.json: prompt.timeout: expected a whole number of seconds from 0 "
	  "(wait for the answer) to 86400, got string" },
	{ "{\"prompt\": {\"timout\": 10}}",
	  "t.json: prompt.timout: unknown key; expected timeout or "
	  "unattended" },
	{ "{\"prompt\": []}", "t.json: prompt: expected an object" },
};

START_TEST(test_prompt_errors)
{
	struct rules_policy *p;
	char err[512] = "";

	ck_assert_int_eq(rules_policy_new(&p, &vars), 0);
	ck_assert_int_eq(rules_policy_add_json(p, prompt_errors[_i].json,
					       "t.json", NULL, err,
					       sizeof(err)),
			 -EINVAL);
	ck_assert_msg(!strncmp(err, prompt_errors[_i].want,
			       strlen(prompt_errors[_i].want)),
		      "got \"%s\"", err);
	rules_policy_free(p);
}
END_TEST

/* ---- saved answers --------------------------------------------------------- */

START_TEST(test_answer_round_trip)
{
	static const char *const argv[] = { "git", "push", "origin", "m a" };
	struct rules_answer a = {
		.cls = RULES_EXEC,
		.action = RULES_ALLOW,
		.object = "/usr/bin/git",
		.argv = argv,
		.argc = 4,
		.time = "2025-01-01T00:00:00Z",
		.program = "sh",
		.by = "terminal",
	}, b;
	char err[256], *line = rules_answer_format(&a);

	ck_assert_ptr_nonnull(line);
	ck_assert_ptr_null(strchr(line, '\n'));
	ck_assert_msg(rules_answer_parse(line, &b, err, sizeof(err)) == 0,
		      "%s: %s", line, err);
	ck_assert_int_eq(b.cls, RULES_EXEC);
	ck_assert_int_eq(b.action, RULES_ALLOW);
	ck_assert_str_eq(b.object, "/usr/bin/git");
	ck_assert_int_eq(b.argc, 4);
	ck_assert_str_eq(b.argv[3], "m a");
	ck_assert_str_eq(b.by, "terminal");
	rules_answer_free(&b);
	free(line);
}
END_TEST

static const struct {
	const char *line, *want;
} answer_errors[] = {
	{ "not json", "malformed JSON" },
	{ "[]", "expected a JSON object" },
	{ "{\"class\":\"read\",\"answer\":\"maybe\",\"path\":\"/x\"}",
	  "answer: expected \"allow\" or \"deny\"" },
	{ "{\"class\":\"open\",\"answer\":\"allow\",\"path\":\"/x\"}",
	  "class: expected" },
	{ "{\"class\":\"read\",\"answer\":\"allow\",\"addr\":\"/x\"}",
	  "path: expected a non-empty string" },
	{ "{\"class\":\"exec\",\"answer\":\"allow\",\"command\":\"/bin/x\"}",
	  "argv: expected an array" },
	{ "{\"class\":\"read\",\"answer\":\"allow\",\"path\":\"/x\\u0000/y\"}",
	  "a string holds \\u0000" },
};

START_TEST(test_answer_errors)
{
	struct rules_answer a;
	char err[256] = "";

	ck_assert_int_eq(rules_answer_parse(answer_errors[_i].line, &a, err,
					    sizeof(err)),
			 -EINVAL);
	ck_assert_msg(!strncmp(err, answer_errors[_i].want,
			       strlen(answer_errors[_i].want)),
		      "%s: got \"%s\"", answer_errors[_i].line, err);
	rules_answer_free(&a);
}
END_TEST

static const char answers_file[] =
	"{\"answer\":\"allow\",\"class\":\"read\",\"path\":\"/srv/data/c*\"}\n"
	"\n"
	"{\"answer\":\"deny\",\"class\":\"write\",\"path\":\"/w/ws/gen\"}\n"
	"{\"answer\":\"allow\",\"class\":\"connect\",\"addr\":\"10.1.2.3:443\"}\n"
	"{\"answer\":\"allow\",\"class\":\"connect\",\"addr\":\"unix:/run/a.sock\"}\n"
	"{\"answer\":\"allow\",\"class\":\"exec\",\"command\":\"/usr/bin/git\","
	"\"argv\":[\"git\",\"push\",\"origin\"]}\n";

START_TEST(test_answers_match_exactly)
{
	static const char *const push[] = { "git", "push", "origin" };
	static const char *const push_more[] = { "git", "push", "origin", "x" };
	struct rules_policy *p = load("{\"files\": {\"read\": {\"ask\": "
				      "[\"/srv/data\"]}}}");
	struct rules_addr a = { .kind = RULES_ADDR_IP };
	struct rules_verdict v;
	char err[512] = "";

	ck_assert_msg(rules_policy_add_answers(p, answers_file, "answers.jsonl",
					       err, sizeof(err)) == 0,
		      "%s", err);

	/* the path as it is: a '*' is a character, nothing beneath */
	rules_check_path(p, RULES_READ, "/srv/data/c*", &v);
	ck_assert_int_eq(v.action, RULES_ALLOW);
	ck_assert_str_eq(v.where, "line 1");
	ck_assert_str_eq(v.origin, "answers.jsonl");
	rules_check_path(p, RULES_READ, "/srv/data/config", &v);
	ck_assert_int_eq(v.action, RULES_ASK);
	rules_check_path(p, RULES_READ, "/srv/data/c*/x", &v);
	ck_assert_int_eq(v.action, RULES_ASK);

	/* deny always beats the workspace's allow; not beneath it */
	rules_check_path(p, RULES_WRITE, "/w/ws/gen", &v);
	ck_assert_int_eq(v.action, RULES_DENY);
	ck_assert_str_eq(v.where, "line 3");
	rules_check_path(p, RULES_WRITE, "/w/ws/gen/x", &v);
	ck_assert_int_eq(v.action, RULES_ALLOW);

	memset(a.ip, 0, 16);
	a.ip[10] = a.ip[11] = 0xff;
	a.ip[12] = 10, a.ip[13] = 1, a.ip[14] = 2, a.ip[15] = 3;
	a.port = 443;
	rules_check_addr(p, &a, &v);
	ck_assert_int_eq(v.action, RULES_ALLOW);
	a.port = 80;
	rules_check_addr(p, &a, &v);
	ck_assert_int_eq(v.action, RULES_DENY);

	a.kind = RULES_ADDR_UNIX_PATH;
	strcpy(a.path, "/run/a.sock");
	rules_check_addr(p, &a, &v);
	ck_assert_int_eq(v.action, RULES_ALLOW);

	/* exactly that command line, and it wins over the ask rule */
	rules_check_exec(p, "/usr/bin/git", push, 3, &v);
	ck_assert_int_eq(v.action, RULES_ALLOW);
	ck_assert_str_eq(v.where, "line 6");
	rules_check_exec(p, "/usr/bin/git", push_more, 4, &v);
	ck_assert_int_eq(v.action, RULES_ASK);
	rules_policy_free(p);
}
END_TEST

/* An answer beats an ask entry that names the same object: a tie. */
START_TEST(test_answer_wins_tie)
{
	struct rules_policy *p = load("{\"files\": {\"read\": {\"ask\": "
				      "[\"/etc/motd\"]}}}");
	struct rules_verdict v;
	char err[512] = "";

	ck_assert_int_eq(
		rules_policy_add_answers(
			p,
			"{\"answer\":\"allow\",\"class\":\"read\",\"path\":\"/etc/motd\"}",
			"a", err, sizeof(err)),
		0);
	rules_check_path(p, RULES_READ, "/etc/motd", &v);
	ck_assert_int_eq(v.action, RULES_ALLOW);
	rules_policy_free(p);
}
END_TEST

/* A bad line names its number, and the file adds nothing. */
START_TEST(test_answers_bad_line)
{
	struct rules_policy *p = load(NULL);
	struct rules_verdict v;
	char err[512] = "";

	ck_assert_int_eq(
		rules_policy_add_answers(
			p,
			"{\"answer\":\"allow\",\"class\":\"write\",\"path\":\"/x\"}\n"
			"{\"answer\":\"allow\",\"class\":\"write\",\"path\":\"x\"}\n",
			"ans", err, sizeof(err)),
		-EINVAL);
	ck_assert_msg(!strncmp(err,
			       "ans: line 2: expected an absolute "
			       "canonical path",
			       40),
		      "%s", err);
	rules_check_path(p, RULES_WRITE, "/x", &v);
	ck_assert_int_eq(v.action, RULES_DENY);
	rules_policy_free(p);
}
END_TEST

/* ---- grants
 * ------------------------------------------------------------------ */

static const char grant_policy[] =
	"{\"exec\": {\"ask\": [{\"pattern\": \"git push\", \"grant\": "
	"{\"write\": [\"~/.cache/git\"], \"network\": [\"10.9.8.7:443\"]}}],"
	" \"allow\": [{\"pattern\": [\"/opt/tool\"], \"grant\": \"full\"},"
	" {\"pattern\": \"make\"}]}}";

START_TEST(test_grant_parse)
{
	static const char *const push[] = { "git", "push" };
	static const char *const make[] = { "make" };
	struct rules_policy *p = load(grant_policy);
	struct rules_addr a = { .kind = RULES_ADDR_IP };
	const struct rules_policy *g;
	struct rules_verdict v, gv;
	char text[256];

	rules_check_exec(p, "/usr/bin/git", push, 2, &v);
	ck_assert_int_eq(v.action, RULES_ASK);
	ck_assert_str_eq(v.where, "exec.ask[0]");
	ck_assert_str_eq(v.origin, "t.json");
	ck_assert_ptr_nonnull(v.grant);
	ck_assert_str_eq(rules_grant_where(v.grant), "exec.ask[0].grant");
	ck_assert(!rules_grant_full(v.grant));
	rules_grant_describe(v.grant, text, sizeof(text));
	ck_assert_str_eq(text, "write ~/.cache/git; network 10.9.8.7:443");

	g = rules_grant_policy(v.grant);
	rules_check_path(g, RULES_WRITE, "/home/u/.cache/git/x", &gv);
	ck_assert_int_eq(gv.action, RULES_ALLOW);
	ck_assert_str_eq(gv.where, "exec.ask[0].grant.write[0]");
	rules_check_path(g, RULES_WRITE, "/home/u/.bashrc", &gv);
	ck_assert_int_eq(gv.action, RULES_DENY);
	a.ip[10] = a.ip[11] = 0xff;
	a.ip[12] = 10, a.ip[13] = 9, a.ip[14] = 8, a.ip[15] = 7;
	a.port = 443;
	rules_check_addr(g, &a, &gv);
	ck_assert_int_eq(gv.action, RULES_ALLOW);

	rules_check_exec(p, "/opt/tool", make, 1, &v);
	ck_assert_ptr_nonnull(v.grant);
	ck_assert(rules_grant_full(v.grant));
	rules_check_exec(p, "/usr/bin/make", make, 1, &v);
	ck_assert_ptr_null(v.grant);
	rules_policy_free(p);
}
END_TEST

static void count_root(const char *root, bool create, void *arg)
{
	char *seen = arg;

	(void)create;
	if (!strcmp(root, "/home/u/.cache/git"))
		seen[0] = 1;
}

START_TEST(test_grant_floor)
{
	struct rules_policy *p = load("{\"exec\": {\"ask\": [{\"pattern\": "
				      "\"git push\", \"grant\": {\"write\": "
				      "[\"~/.cache/git/**/x\"]}}]}}");
	char seen[1] = { 0 };

	ck_assert_int_eq(rules_write_roots(p, count_root, seen), 0);
	ck_assert_int_eq(seen[0], 1);
	rules_policy_free(p);

	p = load(grant_policy);
	ck_assert_int_eq(rules_write_roots(p, count_root, seen), 1);
	rules_policy_free(p);
}
END_TEST

static void list_root(const char *root, void *arg)
{
	char *out = arg;

	strcat(out, root);
	strcat(out, " ");
}

/*
 * The paths whose parent may remove names at the floor (a learned rm):
 * exact write entries, never a parent /dev or /var, not a
 * create directory, not a workspace, not a file directly in ~ (#7).
 */
START_TEST(test_remove_roots)
{
	struct rules_policy *p = load(NULL);
	char out[512] = "";

	/* a device: the floor leaves it out (not a file or directory) */
	rules_remove_roots(p, list_root, out);
	ck_assert_str_eq(out, "/dev/pts/ptmx ");
	rules_policy_free(p);
	out[0] = '\0';

	p = load("{\"files\": {\"write\": {\"allow\": [\"$WORKSPACE/a.log\", "
		 "\"$WORKSPACE/b/*.o\", \"~/.bashrc\", \"~/.cache/x\"], "
		 "\"create\": [\"/var/cache/t\"]}}}");
	rules_remove_roots(p, list_root, out);
	ck_assert_str_eq(out, "/dev/pts/ptmx /w/ws/a.log /home/u/.cache/x ");
	rules_policy_free(p);
}
END_TEST

/* proctor's own files are out of a grant's reach, full or not. */
START_TEST(test_grant_protected)
{
	static const char *const tool[] = { "tool" };
	struct rules_policy *p = load(grant_policy);
	struct rules_verdict v, gv;
	char err[512] = "";

	ck_assert_int_eq(rules_policy_add_protected(p,
						    "/home/u/.config/"
						    "proctor",
						    false, err, sizeof(err)),
			 0);
	rules_check_exec(p, "/opt/tool", tool, 1, &v);
	ck_assert_ptr_nonnull(v.grant);
	rules_check_path(rules_grant_policy(v.grant), RULES_WRITE,
			 "/home/u/.config/proctor/answers.jsonl", &gv);
	ck_assert_int_eq(gv.action, RULES_DENY);
	rules_check_path(rules_grant_policy(v.grant), RULES_READ,
			 "/home/u/.config/proctor/log.key", &gv);
	ck_assert_int_eq(gv.action, RULES_DENY);
	rules_check_path(rules_grant_policy(v.grant), RULES_WRITE,
			 "/home/u/.bashrc", &gv);
	ck_assert_int_eq(gv.action, RULES_ALLOW);
	rules_policy_free(p);
}
END_TEST

static const struct {
	const char *json, *want;
} grant_errors[] = {
	{ "{\"exec\": {\"deny\": [{\"pattern\": \"x\", \"grant\": \"full\"}]}}",
	  "t.json: exec.deny[0].grant: a deny entry grants nothing" },
	{ "{\"exec\": {\"allow\": [{\"pattern\": \"x\", \"grant\": \"all\"}]}}",
	  "t.json: exec.allow[0].grant: expected \"full\" or an object" },
	{ "{\"exec\": {\"allow\": [{\"pattern\": \"x\", \"grant\": "
	  "{\"exec\": []}}]}}",
	  "t.json: exec.allow[0].grant.exec: unknown key; expected read, "
	  "write or network" },
	{ "{\"exec\": {\"allow\": [{\"pattern\": \"x\", \"grant\": "
	  "{\"write\": [\"rel/x\"]}}]}}",
	  "" /* relative to the base directory: fine */ },
	{ "{\"exec\": {\"allow\": [{\"pattern\": \"x\", \"grant\": "
	  "{\"network\": [\"1.2.3.4:0\"]}}]}}",
	  "t.json: exec.allow[0].grant.network[0]: expected a port" },
	{ "{\"exec\": {\"allow\": [{\"pattern\": \"x\", \"grants\": {}}]}}",
	  "t.json: exec.allow[0].grants: unknown key; expected pattern, "
	  "events, why, review or grant" },
	{ "{\"files\": {\"read\": {\"allow\": [{\"pattern\": \"/x\", "
	  "\"grant\": \"full\"}]}}}",
	  "t.json: files.read.allow[0].grant: unknown key; expected pattern, "
	  "events, why, review or beneath" },
	/* an entry held for review is not in the policy, nor its grant */
	{ "{\"exec\": {\"allow\": [{\"pattern\": \"x\", \"review\": true, "
	  "\"grant\": \"full\"}]}}",
	  "" },
};

START_TEST(test_grant_errors)
{
	struct rules_policy *p;
	char err[512] = "";
	int rc;

	ck_assert_int_eq(rules_policy_new(&p, &vars), 0);
	rc = rules_policy_add_json(p, grant_errors[_i].json, "t.json", "/w/ws",
				   err, sizeof(err));
	if (!grant_errors[_i].want[0]) {
		ck_assert_msg(rc == 0, "%s", err);
	} else {
		ck_assert_int_eq(rc, -EINVAL);
		ck_assert_msg(!strncmp(err, grant_errors[_i].want,
				       strlen(grant_errors[_i].want)),
			      "got \"%s\"", err);
	}
	rules_policy_free(p);
}
END_TEST

/* The policy's dump (and so its hash) shows grants and prompt settings. */
START_TEST(test_grant_dump)
{
	struct rules_policy *p = load(grant_policy);
	char *s = rules_policy_dump(p);

	ck_assert_ptr_nonnull(s);
	ck_assert_msg(strstr(s, "\"grant\":\t\"full\"") != NULL, "%s", s);
	ck_assert_msg(strstr(s, "~/.cache/git") != NULL, "%s", s);
	ck_assert_msg(strstr(s, "\"unattended\"") != NULL, "%s", s);
	free(s);
	rules_policy_free(p);
}
END_TEST

static Suite *ask_suite(void)
{
	Suite *s = suite_create("ask");
	TCase *pr = tcase_create("prompt"), *an = tcase_create("answers"),
	      *gr = tcase_create("grants");

	tcase_add_test(pr, test_prompt_settings);
	tcase_add_loop_test(pr, test_prompt_errors, 0, N(prompt_errors));
	tcase_add_test(an, test_answer_round_trip);
	tcase_add_loop_test(an, test_answer_errors, 0, N(answer_errors));
	tcase_add_test(an, test_answers_match_exactly);
	tcase_add_test(an, test_answer_wins_tie);
	tcase_add_test(an, test_answers_bad_line);
	tcase_add_test(gr, test_grant_parse);
	tcase_add_test(gr, test_grant_floor);
	tcase_add_test(gr, test_remove_roots);
	tcase_add_test(gr, test_grant_protected);
	tcase_add_loop_test(gr, test_grant_errors, 0, N(grant_errors));
	tcase_add_test(gr, test_grant_dump);
	suite_add_tcase(s, pr);
	suite_add_tcase(s, an);
	suite_add_tcase(s, gr);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ask_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
