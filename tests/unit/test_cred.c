/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for reading a task's credentials out of /proc/TID/status
 * (tracer/cred.c): the effective and filesystem ids (the second and
 * fourth of four), the supplementary groups (none, one, many, more than
 * are kept), the effective capabilities; a field missing or cut short
 * is an error, never a guess.  Each case is a table row.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracer/tracer.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const struct {
	const char *what;
	const char *uid, *gid, *groups, *cap; /* NULL: the line is left out */
	int ret;
	unsigned euid, fsuid, egid, fsgid;
	int ngroups;
	unsigned first, last; /* groups */
	unsigned long long caps;
} cases[] = {
	{ "root", "0\t0\t0\t0", "0\t0\t0\t0", "0 ", "000001ffffffffff", 0, 0, 0,
	  0, 0, 1, 0, 0, 0x1ffffffffffull },
	{ "a user", "1000\t1000\t1000\t1000", "100\t100\t100\t100",
	  "24 25 27 100 ", "0000000000000000", 0, 1000, 1000, 100, 100, 4, 24,
	  100, 0 },
	{ "fsuid apart", "0\t0\t0\t65534", "0\t0\t0\t65533", "",
	  "00000000a80425fb", 0, 0, 65534, 0, 65533, 0, 0, 0, 0xa80425fbull },
	{ "no groups line", "0\t0\t0\t0", "0\t0\t0\t0", NULL, "0", -EIO },
	{ "no caps line", "0\t0\t0\t0", "0\t0\t0\t0", "", NULL, -EIO },
	{ "uid cut short", "0\t0\t0", "0\t0\t0\t0", "", "0", -EIO },
	{ "groups not a number", "0\t0\t0\t0", "0\t0\t0\t0", "1 x", "0", -EIO },
};

static void status(int i, char *buf, size_t size)
{
	int n = snprintf(buf, size,
			 "Name:\tx\nUmask:\t0022\nUid:\t%s\nGid:\t%s\n",
			 cases[i].uid, cases[i].gid);

	if (cases[i].groups)
		n += snprintf(buf + n, size - (size_t)n,
			      "FDSize:\t64\nGroups:\t%s\n", cases[i].groups);
	if (cases[i].cap)
		snprintf(buf + n, size - (size_t)n,
			 "CapInh:\t0\nCapPrm:\t%s\nCapEff:\t%s\nCapBnd:\t0\n",
			 cases[i].cap, cases[i].cap);
}

START_TEST(test_parse)
{
	struct tracer_cred c;
	char buf[4096];
	int rc;

	status(_i, buf, sizeof(buf));
	rc = tracer_cred_parse(buf, &c);
	ck_assert_msg(rc == cases[_i].ret, "%s: %d", cases[_i].what, rc);
	if (rc)
		return;
	ck_assert_uint_eq(c.euid, cases[_i].euid);
	ck_assert_uint_eq(c.fsuid, cases[_i].fsuid);
	ck_assert_uint_eq(c.egid, cases[_i].egid);
	ck_assert_uint_eq(c.fsgid, cases[_i].fsgid);
	ck_assert_int_eq(c.ngroups, cases[_i].ngroups);
	if (c.ngroups > 0) {
		ck_assert_uint_eq(c.groups[0], cases[_i].first);
		ck_assert_uint_eq(c.groups[c.ngroups - 1], cases[_i].last);
	}
	ck_assert_uint_eq(c.caps, cases[_i].caps);
}
END_TEST

/* More groups than TRACER_GROUPS_MAX: said, not cut to what fits. */
START_TEST(test_many_groups)
{
	struct tracer_cred c;
	char buf[8192];
	int n, g;

	n = snprintf(buf, sizeof(buf),
		     "Name:\tx\nUid:\t7\t7\t7\t7\nGid:\t7\t7\t7\t7\nGroups:\t");
	for (g = 0; g <= TRACER_GROUPS_MAX; g++)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%d ",
			      1000 + g);
	snprintf(buf + n, sizeof(buf) - (size_t)n, "\nCapEff:\t0\n");
	ck_assert_int_eq(tracer_cred_parse(buf, &c), 0);
	ck_assert_int_eq(c.ngroups, -1);
}
END_TEST

static Suite *cred_suite(void)
{
	Suite *s = suite_create("cred");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_parse, 0, N(cases));
	tcase_add_test(tc, test_many_groups);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cred_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
