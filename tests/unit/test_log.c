/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the log writer (tracer/log.c): how names of any bytes
 * are written, as tables of (bytes, JSON text, exact copy or not); and
 * for the x86_64 call-instruction test that stacks rely on
 * (arch_follows_call); and the records' MAC against OpenSSL's own
 * HMAC-SHA-256.  Each table row is one iteration of a loop test.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/hmac.h>

#include "arch/arch.h"
#include "tracer/tracer.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- names ----------------------------------------------------------- */

static const struct {
	const char *bytes;
	const char *json; /* how the field is written */
	const char *b64;  /* the _b64 field, or NULL when there is none */
} names[] = {
	{ "/plain/name", "\"/plain/name\"", NULL },
	{ "caf\xc3\xa9", "\"caf\xc3\xa9\"", NULL },
	{ "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"", NULL },
	{ "caf\xe9", "\"caf\\ufffd\"", "Y2Fm6Q==" },
	{ "\xff", "\"\\ufffd\"", "/w==" },
	/* a surrogate, an overlong '/', a code point past U+10FFFF */
	{ "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"", "7aCA" },
	{ "\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"", "4ICv" },
	{ "\xc0\xaf", "\"\\ufffd\\ufffd\"", "wK8=" },
	{ "\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"", "9JCAgA==" },
	/* a sequence cut short by the end of the name */
	{ "ab\xc3", "\"ab\\ufffd\"", "YWLD" },
	{ "q\"b\\s", "\"q\\\"b\\\\s\"", NULL },
	{ "t\tn\n\x1b\x7f", "\"t\\u0009n\\u000a\\u001b\\u007f\"", NULL },
};

/* Writes one start record whose "path" is name; returns the line. */
static char *write_record(const char *name)
{
	char tmpl[] = "/tmp/pt-test-log.XXXXXX", *line = NULL;
	struct tracer_who w = { .tid = 1, .tgid = 1, .ppid = 0, .uid = -1 };
	size_t cap = 0;
	int fd = mkstemp(tmpl);
	FILE *f;

	ck_assert_int_ge(fd, 0);
	unlink(tmpl);
	tracer_log_open(fd, "run-1", NULL, false);
	tracer_log_lifecycle("start", &w, "path", name, -1);
	f = fdopen(fd, "r");
	ck_assert_ptr_nonnull(f);
	rewind(f);
	ck_assert_int_gt(getline(&line, &cap, f), 0);
	fclose(f);
	return line;
}

START_TEST(test_names)
{
	char *line = write_record(names[_i].bytes), want[256];
	cJSON *r = cJSON_Parse(line);

	ck_assert_msg(r != NULL, "row %d: not JSON: %s", _i, line);
	snprintf(want, sizeof(want), ",\"path\":%s%s", names[_i].json,
		 names[_i].b64 ? ",\"path_b64\":\"" : "}");
	ck_assert_msg(strstr(line, want), "row %d: %s lacks %s", _i, line,
		      want);
	if (names[_i].b64)
		ck_assert_str_eq(
			cJSON_GetObjectItem(r, "path_b64")->valuestring,
			names[_i].b64);
	else
		ck_assert_ptr_null(cJSON_GetObjectItem(r, "path_b64"));
	cJSON_Delete(r);
	free(line);
}
END_TEST

/* The run record: workspaces named with quotes come back whole. */
START_TEST(test_run_record)
{
	char tmpl[] = "/tmp/pt-test-log.XXXXXX", *line = NULL;
	char *ws[] = { "/w/a \"b\" \\c", "/w/\xff" };
	struct tracer_opts o = { .policy_hash = "00",
				 .tmpdir = "/t",
				 .stacks = TRACER_STACKS_DENIED };
	size_t cap = 0;
	int fd = mkstemp(tmpl);
	cJSON *r, *a;
	FILE *f;

	ck_assert_int_ge(fd, 0);
	unlink(tmpl);
	tracer_log_open(fd, "run-1", NULL, false);
	tracer_log_run(&o, "0.1", ws, 2, "/home/u", false);
	f = fdopen(fd, "r");
	rewind(f);
	ck_assert_int_gt(getline(&line, &cap, f), 0);
	r = cJSON_Parse(line);
	ck_assert_msg(r != NULL, "not JSON: %s", line);
	a = cJSON_GetObjectItem(r, "workspaces");
	ck_assert_str_eq(cJSON_GetArrayItem(a, 0)->valuestring, ws[0]);
	a = cJSON_GetObjectItem(r, "workspaces_b64");
	ck_assert_str_eq(cJSON_GetArrayItem(a, 1)->valuestring, "L3cv/w==");
	ck_assert_str_eq(cJSON_GetObjectItem(r, "stacks")->valuestring,
			 "denied");
	cJSON_Delete(r);
	fclose(f);
	free(line);
}
END_TEST

/* ---- return addresses ------------------------------------------------ */

static const struct {
	const char *what;
	unsigned char code[8]; /* the 8 bytes before the address */
	bool call;
} calls[] = {
	{ "call rel32", { 0x90, 0x90, 0x90, 0xe8, 1, 2, 3, 4 }, true },
	{ "call *%rax",
	  { 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0xff, 0xd0 },
	  true },
	{ "call *%r11",
	  { 0x90, 0x90, 0x90, 0x90, 0x90, 0x41, 0xff, 0xd3 },
	  true },
	{ "call *disp32(%rip)", { 0x90, 0x90, 0xff, 0x15, 1, 2, 3, 4 }, true },
	{ "call *8(%rbp)",
	  { 0x90, 0x90, 0x90, 0x90, 0x90, 0xff, 0x55, 8 },
	  true },
	{ "call *(%rsp)",
	  { 0x90, 0x90, 0x90, 0x90, 0x90, 0xff, 0x14, 0x24 },
	  true },
	{ "call *8(%rsp)",
	  { 0x90, 0x90, 0x90, 0x90, 0xff, 0x54, 0x24, 8 },
	  true },
	{ "call *disp32(%rax,%rbx,8)",
	  { 0x90, 0xff, 0x94, 0xd8, 1, 2, 3, 4 },
	  true },
	{ "jmp *%rax",
	  { 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0xff, 0xe0 },
	  false },
	{ "push %rbp; mov %rsp,%rbp",
	  { 0x90, 0x90, 0x90, 0x90, 0x55, 0x48, 0x89, 0xe5 },
	  false },
	{ "zeros", { 0 }, false },
	{ "call *%rax, then a byte",
	  { 0x90, 0x90, 0x90, 0x90, 0x90, 0xff, 0xd0, 0x90 },
	  false },
};

START_TEST(test_follows_call)
{
	ck_assert_msg(arch_follows_call(calls[_i].code) == calls[_i].call, "%s",
		      calls[_i].what);
}
END_TEST

/* ---- the MAC chain ---------------------------------------------------- */

/*
 * tracer_log_mac(key, prev, line) is HMAC-SHA-256 under key of prev
 * then line: checked against OpenSSL's one-shot HMAC for lines of every
 * length around the digest's 64-byte blocks, and for two keys in turn
 * (the pads are made again when the key changes).
 */
START_TEST(test_mac)
{
	uint8_t key[2][32], prev[32], got[32], want[32], msg[32 + 300];
	char line[300];
	unsigned int n = 0;
	size_t len = (size_t)_i;
	int k, i;

	for (i = 0; i < 32; i++) {
		key[0][i] = (uint8_t)(i * 7 + 1);
		key[1][i] = (uint8_t)(255 - i);
		prev[i] = (uint8_t)(i ^ 0x5a);
	}
	for (i = 0; i < (int)sizeof(line); i++)
		line[i] = (char)('a' + i % 26);
	memcpy(msg, prev, 32);
	memcpy(msg + 32, line, len);
	for (k = 0; k < 2; k++) {
		tracer_log_mac(key[k], prev, line, len, got);
		ck_assert(HMAC(EVP_sha256(), key[k], 32, msg, 32 + len, want,
			       &n) != NULL);
		ck_assert_msg(!memcmp(got, want, 32),
			      "MAC of a %zu-byte line, key %d", len, k);
	}
}
END_TEST

static Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *names_tc = tcase_create("names");
	TCase *stack_tc = tcase_create("stacks");
	TCase *mac_tc = tcase_create("mac");

	tcase_add_loop_test(names_tc, test_names, 0, N(names));
	tcase_add_test(names_tc, test_run_record);
	suite_add_tcase(s, names_tc);
	tcase_add_loop_test(stack_tc, test_follows_call, 0, N(calls));
	suite_add_tcase(s, stack_tc);
	tcase_add_loop_test(mac_tc, test_mac, 0, 300);
	suite_add_tcase(s, mac_tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(log_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
