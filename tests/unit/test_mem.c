/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for reading an argv out of a process (tracer/mem.c), on
 * this process's own memory: words end to end or scattered, a pointer
 * array and words that straddle a page or end just before an unmapped
 * one, a word longer than the buffer, a bad pointer.  Each case is a
 * table row: how the words are laid out, and what must come back.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tracer/tracer.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define PG   4096

enum layout {
	END_TO_END,  /* one block, as exec leaves them */
	SCATTERED,   /* each word on a page of its own */
	ACROSS_PAGE, /* the block starts 5 bytes before a page */
	BEFORE_HOLE, /* the block ends at an unmapped page */
	PTRS_ACROSS, /* the pointer array straddles a page */
	BAD_POINTER, /* the second pointer is unmapped */
};

static const struct {
	const char *what;
	enum layout layout;
	const char *words[4];
	size_t size; /* of the buffer */
	int ret;
} cases[] = {
	{ "end to end", END_TO_END, { "/bin/true", "-x", "y" }, 4096, 0 },
	{ "scattered", SCATTERED, { "cc", "-c", "a.c" }, 4096, 0 },
	{ "across a page", ACROSS_PAGE, { "abcdefgh", "ij" }, 4096, 0 },
	{ "before a hole", BEFORE_HOLE, { "make", "-j2" }, 4096, 0 },
	{ "pointers across", PTRS_ACROSS, { "a", "bb", "ccc" }, 4096, 0 },
	{ "cut", END_TO_END, { "0123456789", "abc" }, 8, 1 },
	{ "bad pointer", BAD_POINTER, { "a", "b" }, 4096, -EFAULT },
};

/* Three pages, the last one unmapped. */
static char *area(void)
{
	char *m = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(m, MAP_FAILED);
	munmap(m + 2 * PG, PG);
	return m;
}

/* Lays the words out in m; returns where the pointer array is. */
static uint64_t *lay_out(char *m, enum layout how, const char *const *w,
			 size_t n)
{
	uint64_t *ptrs = (uint64_t *)(void *)(m + 64);
	char *at = m + PG / 2;
	size_t i, total = 0;

	for (i = 0; i < n; i++)
		total += strlen(w[i]) + 1;
	if (how == ACROSS_PAGE)
		at = m + PG - 5;
	else if (how == BEFORE_HOLE)
		at = m + 2 * PG - total;
	else if (how == PTRS_ACROSS)
		ptrs = (uint64_t *)(void *)(m + PG - 12);
	for (i = 0; i < n; i++) {
		if (how == SCATTERED)
			at = m + (i % 2 ? PG + 100 * i : 200 + 300 * i);
		memcpy(at, w[i], strlen(w[i]) + 1);
		memcpy(&ptrs[i], &(uint64_t){ (uintptr_t)at }, 8);
		at += strlen(w[i]) + 1;
	}
	if (how == BAD_POINTER)
		memcpy(&ptrs[1], &(uint64_t){ (uintptr_t)(m + 2 * PG) }, 8);
	memcpy(&ptrs[n], &(uint64_t){ 0 }, 8);
	return ptrs;
}

START_TEST(test_argv)
{
	char *m = area(), buf[4096], want[4096];
	size_t n = 0, wlen = 0, len;
	uint64_t *ptrs;
	int ret;

	while (n < 4 && cases[_i].words[n])
		n++;
	ptrs = lay_out(m, cases[_i].layout, cases[_i].words, n);
	ret = tracer_mem_argv(getpid(), (uintptr_t)ptrs, buf, cases[_i].size,
			      &len);
	ck_assert_msg(ret == cases[_i].ret, "%s: returned %d", cases[_i].what,
		      ret);
	if (ret == 0) {
		for (size_t i = 0; i < n; i++) {
			memcpy(want + wlen, cases[_i].words[i],
			       strlen(cases[_i].words[i]) + 1);
			wlen += strlen(cases[_i].words[i]) + 1;
		}
		ck_assert_msg(len == wlen && !memcmp(buf, want, len),
			      "%s: got %zu bytes, want %zu", cases[_i].what,
			      len, wlen);
	} else if (ret == 1) {
		ck_assert_msg(len <= cases[_i].size, "%s: %zu bytes",
			      cases[_i].what, len);
		ck_assert(!memcmp(buf, cases[_i].words[0], len - 1));
	}
	munmap(m, 2 * PG);
}
END_TEST

static Suite *mem_suite(void)
{
	Suite *s = suite_create("mem");
	TCase *tc = tcase_create("argv");

	tcase_add_loop_test(tc, test_argv, 0, N(cases));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(mem_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
