/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for reading an argv and a string out of a process
 * (tracer/mem.c), on this process's own memory: words end to end or
 * scattered, a pointer array and words that straddle a page or end just
 * before an unmapped one, a word longer than the buffer, a bad pointer,
 * a first word already read (an exec's path); strings shorter and
 * longer than the first read, across a page, before or into an unmapped
 * one.
 * Each case is a table row: the layout, and what must come back.
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
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

/* seen: the first word was read before (an exec's path), and is passed */
static const struct {
	const char *what;
	enum layout layout;
	const char *words[4];
	size_t size; /* of the buffer */
	int ret;
	bool seen;
} cases[] = {
	{ "end to end", END_TO_END, { "/bin/true", "-x", "y" }, 4096, 0 },
	{ "scattered", SCATTERED, { "cc", "-c", "a.c" }, 4096, 0 },
	{ "across a page", ACROSS_PAGE, { "abcdefgh", "ij" }, 4096, 0 },
	{ "before a hole", BEFORE_HOLE, { "make", "-j2" }, 4096, 0 },
	{ "pointers across", PTRS_ACROSS, { "a", "bb", "ccc" }, 4096, 0 },
	{ "cut", END_TO_END, { "0123456789", "abc" }, 8, 1 },
	{ "bad pointer", BAD_POINTER, { "a", "b" }, 4096, -EFAULT },
	{ "path seen, end to end", END_TO_END, { "/bin/true", "-x" }, 4096, 0,
	  true },
	{ "path seen, scattered", SCATTERED, { "/bin/cc", "-c", "a.c" }, 4096,
	  0, true },
	{ "path seen, cut", END_TO_END, { "0123456789", "abc" }, 8, 1, true },
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
			      &len, cases[_i].seen ? ptrs[0] : 0,
			      cases[_i].seen ? cases[_i].words[0] : NULL);
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

/*
 * Strings (tracer_mem_string): where one starts on its page and how long
 * it is; the first read takes 256 bytes at most, the next ones the rest
 * of a page.
 */
static const struct {
	const char *what;
	size_t offset; /* from the start of the first page */
	size_t len;    /* without its NUL */
	size_t size;   /* of the buffer */
	int ret;
} strings[] = {
	{ "short", 100, 7, 4096, 0 },
	{ "the first read's length", 100, 255, 4096, 0 },
	{ "longer than the first read", 100, 700, 4096, 0 },
	{ "across a page", PG - 20, 300, 4096, 0 },
	{ "before a hole", 2 * PG - 301, 300, 4096, 0 },
	{ "long, before a hole", PG + 10, PG - 11, 4096, 0 },
	{ "too long", 100, 600, 512, -ENAMETOOLONG },
	{ "into a hole", 2 * PG - 300, 400, 4096, -EFAULT },
};

START_TEST(test_string)
{
	char *m = area(), buf[4096];
	size_t i, room = 2 * PG - strings[_i].offset;
	char *at = m + strings[_i].offset;
	int ret;

	/* what does not fit before the hole is cut off by it */
	for (i = 0; i < strings[_i].len && i < room; i++)
		at[i] = (char)('a' + i % 26);
	if (strings[_i].len < room)
		at[strings[_i].len] = '\0';
	ret = tracer_mem_string(getpid(), (uintptr_t)at, buf,
				strings[_i].size);
	ck_assert_msg(ret == strings[_i].ret, "%s: returned %d",
		      strings[_i].what, ret);
	if (ret == 0)
		ck_assert_msg(strlen(buf) == strings[_i].len &&
				      !memcmp(buf, at, strings[_i].len + 1),
			      "%s: got %zu bytes", strings[_i].what,
			      strlen(buf));
	munmap(m, 2 * PG);
}
END_TEST

static Suite *mem_suite(void)
{
	Suite *s = suite_create("mem");
	TCase *tc = tcase_create("argv");
	TCase *ts = tcase_create("string");

	tcase_add_loop_test(tc, test_argv, 0, N(cases));
	suite_add_tcase(s, tc);
	tcase_add_loop_test(ts, test_string, 0, N(strings));
	suite_add_tcase(s, ts);
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
