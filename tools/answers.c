/* SPDX-License-Identifier: MIT */
/*
 * `proctor policy answers`: the user's saved answers ("allow always",
 * "deny always" at a prompt), one per line of
 * $XDG_CONFIG_HOME/proctor/answers.jsonl, numbered by line.
 *
 *   proctor policy answers [list]     show them
 *   proctor policy answers remove N.. remove lines N...
 *   proctor policy answers clear      remove them all
 *
 * A run appends to the file under an exclusive flock(2), and so does the
 * rewrite here, in place: a run that holds the file open keeps appending
 * to the same file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rules/rules.h"
#include "tools/tools.h"
#include "tracer/tracer.h"

#define ANSWERS_MAX (16 << 20)

/* The whole file, read from fd; NULL on error (errno set). */
static char *slurp(int fd, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap + 1), *nb;
	ssize_t r;

	while (buf && (r = pread(fd, buf + n, cap - n, n)) > 0) {
		n += r;
		if (n == cap) {
			if (cap >= ANSWERS_MAX) {
				free(buf);
				errno = EFBIG;
				return NULL;
			}
			nb = realloc(buf, cap * 2 + 1);
			if (!nb)
				free(buf);
			buf = nb;
			cap *= 2;
		}
	}
	if (buf)
		buf[n] = '\0';
	*len = n;
	return buf;
}

static void show_line(unsigned n, const char *line)
{
	struct rules_answer a;
	char err[256], obj[1200], cmd[600] = "", what[300];
	size_t i, o = 0;

	if (rules_answer_parse(line, &a, err, sizeof(err)) < 0) {
		tracer_printable(obj, sizeof(obj), err);
		printf("%4u  (unreadable: %s)\n", n, obj);
		rules_answer_free(&a);
		return;
	}
	tracer_printable_ex(obj, sizeof(obj), a.object, TRACER_PRINT_ESCAPE);
	for (i = 0; i < a.argc && o + 2 < sizeof(cmd); i++) {
		tracer_printable_ex(what, sizeof(what), a.argv[i],
				    TRACER_PRINT_ESCAPE);
		o += snprintf(cmd + o, sizeof(cmd) - o, "%s%s", i ? " " : "",
			      what);
	}
	snprintf(what, sizeof(what), "%s%s%s%s%s", a.time ? a.time : "",
		 a.program ? ", by " : "", a.program ? a.program : "",
		 a.by ? ", answered at the " : "", a.by ? a.by : "");
	tracer_printable(err, sizeof(err), what);
	printf("%4u  %-5s %-7s %s%s%s%s\n      (%s)\n", n,
	       rules_action_name(a.action), rules_class_name(a.cls),
	       a.cls == RULES_EXEC ? cmd : obj, a.cls == RULES_EXEC ? " (" : "",
	       a.cls == RULES_EXEC ? obj : "", a.cls == RULES_EXEC ? ")" : "",
	       err);
	rules_answer_free(&a);
}

static int list(const char *path)
{
	char *text, *s, *nl;
	unsigned n = 0, shown = 0;
	size_t len;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT) {
		printf("no saved answers (%s)\n", path);
		return 0;
	}
	text = fd >= 0 ? slurp(fd, &len) : NULL;
	if (!text) {
		fprintf(stderr, "proctor: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	close(fd);
	printf("saved answers (%s):\n", path);
	for (s = text; *s; s = nl ? nl + 1 : s + strlen(s)) {
		nl = strchr(s, '\n');
		if (nl)
			*nl = '\0';
		n++;
		if (strspn(s, " \t\r") == strlen(s))
			continue;
		show_line(n, s);
		shown++;
	}
	if (!shown)
		printf("  none\n");
	free(text);
	return 0;
}

/* Parses the line numbers to remove; every one must be a whole number. */
static int wanted(int argc, char **argv, unsigned *nums)
{
	char *end;
	long v;
	int i;

	for (i = 0; i < argc; i++) {
		v = strtol(argv[i], &end, 10);
		if (end == argv[i] || *end || v < 1 || v > 1000000) {
			fprintf(stderr,
				"proctor: policy answers remove %s: expected "
				"a line number as `proctor policy answers` "
				"shows it\n",
				argv[i]);
			return -1;
		}
		nums[i] = (unsigned)v;
	}
	return 0;
}

/* Whether line n is among nums; marks it found (the high bit) then. */
#define ANSWER_FOUND 0x80000000u

static bool listed(unsigned n, unsigned *nums, int count, bool mark)
{
	bool hit = false;
	int i;

	for (i = 0; i < count; i++)
		if ((nums[i] & ~ANSWER_FOUND) == n) {
			hit = true;
			if (mark)
				nums[i] |= ANSWER_FOUND;
		}
	return hit;
}

/*
 * Writes back every line but the removed ones (blank lines go too), in
 * place under the lock.  Returns how many were removed, or -1.
 */
static int rewrite(int fd, const char *text, unsigned *nums, int count)
{
	const char *s, *nl;
	unsigned n = 0;
	size_t len, out = 0;
	int removed = 0;
	char *buf = malloc(strlen(text) + 1);

	if (!buf)
		return -1;
	for (s = text; *s; s = nl ? nl + 1 : s + len) {
		nl = strchr(s, '\n');
		len = nl ? (size_t)(nl - s) : strlen(s);
		n++;
		if (listed(n, nums, count, false) ||
		    strspn(s, " \t\r") >= len) {
			removed += strspn(s, " \t\r") < len &&
				   listed(n, nums, count, true);
			continue;
		}
		memcpy(buf + out, s, len);
		out += len;
		buf[out++] = '\n';
	}
	if (pwrite(fd, buf, out, 0) != (ssize_t)out || ftruncate(fd, out) < 0)
		removed = -1;
	free(buf);
	return removed;
}

/* The line numbers given that held no answer (removed the others). */
static void say_not_found(const unsigned *nums, int count)
{
	int i, n = 0;

	fprintf(stderr, "proctor: no answer on line");
	for (i = 0; i < count; i++)
		if (!(nums[i] & ANSWER_FOUND))
			fprintf(stderr, "%s %u", n++ ? "," : "", nums[i]);
	fprintf(stderr, " (`proctor policy answers` shows the lines)%s\n",
		n < count ? "; the others were removed" : "");
}

static int not_found(const unsigned *nums, int count)
{
	int i, n = 0;

	for (i = 0; i < count; i++)
		n += !(nums[i] & ANSWER_FOUND);
	return n;
}

static int remove_lines(const char *path, int argc, char **argv, bool all)
{
	int unfound = 0;
	unsigned *nums = calloc(argc + 1, sizeof(*nums));
	char *text = NULL;
	size_t len;
	int fd, removed = -1;

	if (!nums || (!all && (argc < 1 || wanted(argc, argv, nums) < 0))) {
		if (!all && argc < 1)
			fprintf(stderr,
				"proctor: policy answers remove N...\n");
		free(nums);
		return 2;
	}
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0 && flock(fd, LOCK_EX) == 0)
		text = all ? strdup("") : slurp(fd, &len);
	if (text)
		removed = all ? (ftruncate(fd, 0) < 0 ? -1 : 0)
			      : rewrite(fd, text, nums, argc);
	if (removed < 0)
		fprintf(stderr, "proctor: %s: %s\n", path,
			fd < 0 && errno == ENOENT ? "no saved answers"
						  : strerror(errno));
	else if (!all && (unfound = not_found(nums, argc)) > 0)
		say_not_found(nums, argc);
	else
		printf("%s\n", all ? "removed every saved answer" : "removed");
	if (fd >= 0)
		close(fd);
	free(text);
	free(nums);
	return removed < 0 ? 1 : unfound > 0 ? 1 : 0;
}

int proctor_answers_main(int argc, char **argv)
{
	char path[4096];

	tools_answers_path(path, sizeof(path));
	if (argc == 0 || (argc == 1 && !strcmp(argv[0], "list")))
		return list(path);
	if (!strcmp(argv[0], "remove"))
		return remove_lines(path, argc - 1, argv + 1, false);
	if (argc == 1 && !strcmp(argv[0], "clear"))
		return remove_lines(path, 0, NULL, true);
	fprintf(stderr,
		"proctor: policy answers [list | remove N... | clear]\n");
	return 2;
}
