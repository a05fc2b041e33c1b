/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for running the filter proctor compiles as the kernel runs
 * it (tracer_filter_run, which tracer/interrupt.c asks whether a call a
 * signal interrupted was notified): one table row per call, its
 * registers and the action it must get, for a filter that leaves
 * read-only opens to the kernel and for one that does not.
 */
#include <check.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <sys/syscall.h>

#include "tracer/tracer.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const struct {
	const char *what;
	bool reads_in_kernel;
	uint32_t arch;
	int nr;
	uint64_t a1, a2;
	uint32_t action; /* SECCOMP_RET_ACTION_FULL of the answer */
} calls[] = {
	{ "write open", true, AUDIT_ARCH_X86_64, SYS_openat, 0,
	  O_WRONLY | O_CREAT, SECCOMP_RET_USER_NOTIF },
	{ "read-only open, reads in the kernel", true, AUDIT_ARCH_X86_64,
	  SYS_openat, 0, O_RDONLY, SECCOMP_RET_ALLOW },
	{ "read-only open, reads with proctor", false, AUDIT_ARCH_X86_64,
	  SYS_openat, 0, O_RDONLY, SECCOMP_RET_USER_NOTIF },
	{ "execve", true, AUDIT_ARCH_X86_64, SYS_execve, 0, 0,
	  SECCOMP_RET_USER_NOTIF },
	{ "connect", true, AUDIT_ARCH_X86_64, SYS_connect, 0, 0,
	  SECCOMP_RET_USER_NOTIF },
	{ "read", true, AUDIT_ARCH_X86_64, SYS_read, 0, 0, SECCOMP_RET_ALLOW },
	{ "getpid", true, AUDIT_ARCH_X86_64, SYS_getpid, 0, 0,
	  SECCOMP_RET_ALLOW },
	{ "an i386 call", true, AUDIT_ARCH_I386, 5, 0, 0,
	  SECCOMP_RET_KILL_PROCESS },
};

START_TEST(test_call)
{
	struct tracer_filter_want w = { .ident = true };
	struct seccomp_data d = { 0 };
	struct tracer_filter f;
	uint32_t got;

	w.reads_in_kernel = calls[_i].reads_in_kernel;
	ck_assert_int_eq(tracer_filter_compile(&w, &f), 0);
	d.nr = calls[_i].nr;
	d.arch = calls[_i].arch;
	d.args[1] = calls[_i].a1;
	d.args[2] = calls[_i].a2;
	got = tracer_filter_run(&f.prog, &d) & SECCOMP_RET_ACTION_FULL;
	ck_assert_msg(got == calls[_i].action, "%s: got 0x%x, want 0x%x",
		      calls[_i].what, got, calls[_i].action);
	tracer_filter_free(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("filter");
	TCase *tc = tcase_create("run");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_call, 0, N(calls));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
