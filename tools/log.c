/* SPDX-License-Identifier: MIT */
/*
 * `proctor log`: reading the decision log.
 *
 *   proctor log [FILTER]... [FILE]   decisions, one line each
 *   proctor log tree [FILE]          the process tree and what each did
 *   proctor log verify FILE...       checks the MAC chain, the sequence
 *                                    and the closing record of each run
 *
 * FILE defaults to the newest run in $XDG_STATE_HOME/proctor/runs.
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <fnmatch.h>
#include <getopt.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/tools.h"
#include "tracer/tracer.h"

#define MAC_FIELD ",\"mac\":\""

struct verify {
	const char *file;
	uint8_t key[32];
	uint8_t prev[32];
	char run[128];
	long long seq;
	bool open;	/* a run started and has not ended */
	bool skip_macs; /* the key does not fit: say so once */
	bool cut;	/* the last line was cut: stop there */
	long lines, runs, problems;
};

static int read_key(uint8_t key[32])
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	int fd, n;

	tools_xdg_dir(dir, sizeof(dir), "XDG_CONFIG_HOME", ".config");
	snprintf(path, sizeof(path), "%s/log.key", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr,
			"proctor: %s: %s: the key that signed the log "
			"is needed to verify it\n",
			path, strerror(errno));
		return -1;
	}
	n = read(fd, key, 32);
	close(fd);
	return n == 32 ? 0 : -1;
}

static void problem(struct verify *v, long line, const char *fmt,
		    const char *detail)
{
	v->problems++;
	fprintf(stdout, "%s:%ld: ", v->file, line);
	fprintf(stdout, fmt, detail);
	fputc('\n', stdout);
}

static int unhex(const char *s, uint8_t out[32])
{
	int i;

	for (i = 0; i < 32; i++) {
		unsigned b;

		if (sscanf(s + 2 * i, "%2x", &b) != 1)
			return -1;
		out[i] = b;
	}
	return 0;
}

/* Splits "...,"mac":"HEX"}" into the signed text and its MAC. */
static int split_mac(const char *line, size_t len, size_t *signed_len,
		     uint8_t mac[32])
{
	const char *m;

	if (len < strlen(MAC_FIELD) + 64 + 2 || line[len - 1] != '}')
		return -1;
	m = line + len - 2 - 64 - strlen(MAC_FIELD);
	if (strncmp(m, MAC_FIELD, strlen(MAC_FIELD)))
		return -1;
	*signed_len = m - line;
	return unhex(m + strlen(MAC_FIELD), mac);
}

static void check_chain(struct verify *v, long n, const char *line, size_t len)
{
	uint8_t claimed[32], mac[32];
	size_t signed_len;

	if (split_mac(line, len, &signed_len, claimed) < 0) {
		problem(v, n, "%s", "no MAC: written without a key, or edited");
		return;
	}
	tracer_log_mac(v->key, v->prev, line, signed_len, mac);
	if (n == 1 && memcmp(mac, claimed, 32)) {
		/* most likely the log of another user, or of another key */
		problem(v, n, "%s",
			"the first record's MAC does not match: the log was "
			"written under another key (XDG_CONFIG_HOME), or its "
			"first line was changed; MACs are not checked further");
		v->skip_macs = true;
	} else if (!v->skip_macs && memcmp(mac, claimed, 32)) {
		problem(v, n, "%s",
			"MAC mismatch: this line was changed, or a line "
			"before it was removed, added or moved");
	}
	/* go on from what the line claims, to find later problems too */
	memcpy(v->prev, claimed, 32);
}

static void check_sequence(struct verify *v, long n, cJSON *rec)
{
	cJSON *type = cJSON_GetObjectItem(rec, "type");
	cJSON *run = cJSON_GetObjectItem(rec, "run");
	cJSON *seq = cJSON_GetObjectItem(rec, "seq");
	char msg[256];

	if (!cJSON_IsString(type) || !cJSON_IsString(run) ||
	    !cJSON_IsNumber(seq)) {
		problem(v, n, "%s", "not a proctor record");
		return;
	}
	if (!strcmp(type->valuestring, "run")) {
		if (v->open)
			problem(v, n,
				"run %s has no closing record: its log "
				"was cut",
				v->run);
		/* the chain goes on across the runs of one file */
		snprintf(v->run, sizeof(v->run), "%s", run->valuestring);
		v->seq = 0;
		v->open = true;
		v->runs++;
	}
	if (!v->open || strcmp(v->run, run->valuestring)) {
		problem(v, n, "%s", "a record outside its run");
		return;
	}
	if ((long long)seq->valuedouble != v->seq + 1) {
		snprintf(msg, sizeof(msg),
			 "sequence %lld after %lld: records are missing or "
			 "out of order",
			 (long long)seq->valuedouble, v->seq);
		problem(v, n, "%s", msg);
	}
	v->seq = (long long)seq->valuedouble;
	if (!strcmp(type->valuestring, "end"))
		v->open = false;
}

static void verify_line(struct verify *v, long n, char *line, size_t len)
{
	cJSON *rec = cJSON_ParseWithLength(line, len);

	if (!rec) {
		problem(v, n, "%s", "not JSON: the line is damaged");
		return;
	}
	/* the chain restarts with each run; check its start first */
	check_sequence(v, n, rec);
	check_chain(v, n, line, len);
	cJSON_Delete(rec);
}

/*
 * Calls fn with every line of file, without its newline; cut tells that
 * the last line had none.  Returns 0, or 2 when the file cannot be read.
 */
int tools_each_line(const char *file,
		    void (*fn)(char *line, size_t len, bool cut, void *arg),
		    void *arg)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f = fopen(file, "re");

	if (!f) {
		fprintf(stderr, "proctor: %s: %s\n", file, strerror(errno));
		return 2;
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		bool cut = line[len - 1] != '\n';

		fn(line, cut ? len : len - 1, cut, arg);
	}
	free(line);
	fclose(f);
	return 0;
}

static void verify_one(char *line, size_t len, bool cut, void *arg)
{
	struct verify *v = arg;

	if (v->cut)
		return;
	v->lines++;
	if (cut) {
		problem(v, v->lines, "%s",
			"the last line is cut: proctor stopped while "
			"writing it");
		v->cut = true;
		return;
	}
	verify_line(v, v->lines, line, len);
}

static int verify_file(const char *file, const uint8_t key[32])
{
	struct verify v = { .file = file };

	memcpy(v.key, key, 32);
	if (tools_each_line(file, verify_one, &v))
		return 2;
	if (v.open)
		problem(&v, v.lines,
			"run %s has no closing record: the log "
			"was cut, or proctor was killed",
			v.run);
	if (v.lines == 0)
		problem(&v, 0, "%s", "empty log");
	if (v.problems == 0)
		printf("%s: ok: %ld records in %ld run%s, every MAC valid\n",
		       file, v.lines, v.runs, v.runs == 1 ? "" : "s");
	return v.problems ? 1 : 0;
}

static int log_verify(int argc, char **argv)
{
	uint8_t key[32];
	int i, rc = 0, r;

	if (argc < 1) {
		fprintf(stderr, "usage: proctor log verify FILE...\n");
		return 2;
	}
	if (read_key(key) < 0)
		return 2;
	for (i = 0; i < argc; i++) {
		r = verify_file(argv[i], key);
		if (r > rc)
			rc = r;
	}
	return rc;
}

/* ---- reading ------------------------------------------------------- */

struct filter {
	long pid;
	const char *decision, *cls, *path, *host, *since, *until;
	bool json;
};

static const char *str(cJSON *o, const char *key)
{
	cJSON *v = cJSON_GetObjectItem(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static long num(cJSON *o, const char *key)
{
	cJSON *v = cJSON_GetObjectItem(o, key);

	return cJSON_IsNumber(v) ? (long)v->valuedouble : -1;
}

/* The newest file in the runs directory. */
static int newest_run(char *out, size_t size)
{
	char dir[PATH_MAX], best[256] = "";
	struct dirent *e;
	DIR *d;

	tools_xdg_dir(dir, sizeof(dir), "XDG_STATE_HOME", ".local/state");
	strncat(dir, "/runs", sizeof(dir) - strlen(dir) - 1);
	d = opendir(dir);
	if (!d) {
		fprintf(stderr, "proctor: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	/* names start with the UTC time, so the greatest is the newest */
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && strcmp(e->d_name, best) > 0)
			snprintf(best, sizeof(best), "%s", e->d_name);
	closedir(d);
	if (!best[0]) {
		fprintf(stderr, "proctor: no runs in %s\n", dir);
		return -1;
	}
	snprintf(out, size, "%s/%s", dir, best);
	return 0;
}

static bool glob_ok(const char *pattern, const char *s)
{
	return !pattern || (s && fnmatch(pattern, s, 0) == 0);
}

static bool wanted(const struct filter *f, cJSON *r)
{
	const char *time = str(r, "time");

	if (f->pid >= 0 && num(r, "pid") != f->pid)
		return false;
	if (f->decision &&
	    (!str(r, "decision") ||
	     strncmp(str(r, "decision"), f->decision, strlen(f->decision))))
		return false;
	if (f->cls && (!str(r, "class") || strcmp(str(r, "class"), f->cls)))
		return false;
	if (!glob_ok(f->path, str(r, "path")) ||
	    !glob_ok(f->host, str(r, "addr")))
		return false;
	if (f->since && (!time || strcmp(time, f->since) < 0))
		return false;
	if (f->until && (!time || strcmp(time, f->until) > 0))
		return false;
	return true;
}

static const char *object_of(cJSON *r)
{
	const char *o = str(r, "path");

	if (!o)
		o = str(r, "addr");
	if (!o)
		o = str(r, "command");
	if (!o)
		o = str(r, "target");
	return o ? o : "";
}

static void print_decision(cJSON *r)
{
	cJSON *rule = cJSON_GetObjectItem(r, "rule");
	const char *time = str(r, "time");

	printf("%s %6ld %-15s %-5s %-7s %s", time ? time + 11 : "",
	       num(r, "pid"), str(r, "comm") ? str(r, "comm") : "?",
	       str(r, "decision"), str(r, "class") ? str(r, "class") : "?",
	       object_of(r));
	if (rule && str(r, "decision") && strcmp(str(r, "decision"), "allow"))
		printf("  [%s %s]", str(rule, "origin"), str(rule, "where"));
	putchar('\n');
}

struct records {
	void (*fn)(cJSON *, void *);
	void *arg;
};

static void record_one(char *line, size_t len, bool cut, void *arg)
{
	struct records *rs = arg;
	cJSON *r = cJSON_ParseWithLength(line, len);

	if (r)
		rs->fn(r, rs->arg);
	cJSON_Delete(r);
}

/* Calls fn for every record of file; returns 0 or 2. */
static int each_record(const char *file, void (*fn)(cJSON *, void *), void *arg)
{
	struct records rs = { fn, arg };

	return tools_each_line(file, record_one, &rs);
}

static void show_one(cJSON *r, void *arg)
{
	const struct filter *f = arg;
	const char *type = str(r, "type");
	char *text;

	if (!type || strcmp(type, "decision") || !wanted(f, r))
		return;
	if (!f->json) {
		print_decision(r);
		return;
	}
	text = cJSON_PrintUnformatted(r);
	if (text)
		puts(text);
	free(text);
}

static int file_arg(int argc, char **argv, int i, char *buf, size_t size)
{
	if (i < argc) {
		snprintf(buf, size, "%s", argv[i]);
		return 0;
	}
	return newest_run(buf, size);
}

static int log_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", 1, 0, 'p' },	{ "decision", 1, 0, 'd' },
		{ "class", 1, 0, 'c' }, { "path", 1, 0, 'P' },
		{ "host", 1, 0, 'H' },	{ "since", 1, 0, 's' },
		{ "until", 1, 0, 'u' }, { "json", 0, 0, 'j' },
		{ 0, 0, 0, 0 },
	};
	struct filter f = { .pid = -1 };
	char file[PATH_MAX];
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc + 1, argv - 1, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			f.pid = atol(optarg);
			break;
		case 'd':
			f.decision = optarg;
			break;
		case 'c':
			f.cls = optarg;
			break;
		case 'P':
			f.path = optarg;
			break;
		case 'H':
			f.host = optarg;
			break;
		case 's':
			f.since = optarg;
			break;
		case 'u':
			f.until = optarg;
			break;
		case 'j':
			f.json = true;
			break;
		default:
			return 2;
		}
	}
	if (file_arg(argc + 1, argv - 1, optind, file, sizeof(file)) < 0)
		return 2;
	return each_record(file, show_one, &f);
}

/* ---- the process tree ------------------------------------------------ */

struct node {
	long pid, ppid;
	char *cmdline;
	char *exit;
	long allowed, denied;
	char *denials; /* the denied objects, one per line */
	struct node *next;
};

static struct node *node_of(struct node **list, long pid)
{
	struct node *n;

	for (n = *list; n; n = n->next)
		if (n->pid == pid)
			return n;
	n = calloc(1, sizeof(*n));
	if (!n)
		exit(2);
	n->pid = pid;
	n->ppid = -1;
	n->next = *list;
	*list = n;
	return n;
}

static void set(char **field, const char *value)
{
	free(*field);
	*field = strdup(value ? value : "");
}

static void add_denial(struct node *n, cJSON *r)
{
	char line[1200];
	size_t old = n->denials ? strlen(n->denials) : 0;
	char *d;

	snprintf(line, sizeof(line), "%s %s", str(r, "class"), object_of(r));
	if (n->denials && strstr(n->denials, line))
		return;
	d = realloc(n->denials, old + strlen(line) + 2);
	if (!d)
		return;
	snprintf(d + old, strlen(line) + 2, "%s\n", line);
	n->denials = d;
}

static void tree_one(cJSON *r, void *arg)
{
	const char *type = str(r, "type");
	struct node *n;
	char status[32];

	if (!type || num(r, "pid") < 0)
		return;
	n = node_of(arg, num(r, "pid"));
	if (num(r, "ppid") > 0 && n->ppid < 0)
		n->ppid = num(r, "ppid");
	if (!strcmp(type, "start") || !strcmp(type, "exec")) {
		set(&n->cmdline, str(r, "cmdline"));
	} else if (!strcmp(type, "exit")) {
		if (num(r, "signal") > 0)
			snprintf(status, sizeof(status), "killed by signal %ld",
				 num(r, "signal"));
		else
			snprintf(status, sizeof(status), "exit %ld",
				 num(r, "status"));
		set(&n->exit, status);
	} else if (!strcmp(type, "decision")) {
		if (str(r, "decision") &&
		    !strcmp(str(r, "decision"), "allow")) {
			n->allowed++;
		} else {
			n->denied++;
			add_denial(n, r);
		}
	}
}

static bool known(struct node *list, long pid)
{
	for (; list; list = list->next)
		if (list->pid == pid)
			return true;
	return false;
}

static void print_tree(struct node *list, struct node *n, int depth)
{
	struct node *c;
	char *d, *save = NULL;

	printf("%*s%ld %s  [%s; %ld allowed, %ld denied]\n", depth * 2, "",
	       n->pid, n->cmdline ? n->cmdline : "?",
	       n->exit ? n->exit : "running", n->allowed, n->denied);
	if (n->denials) {
		d = strdup(n->denials);
		for (char *l = strtok_r(d, "\n", &save); l;
		     l = strtok_r(NULL, "\n", &save))
			printf("%*s  denied %s\n", depth * 2, "", l);
		free(d);
	}
	for (c = list; c; c = c->next)
		if (c->ppid == n->pid && c != n)
			print_tree(list, c, depth + 1);
}

static int log_tree(int argc, char **argv)
{
	struct node *list = NULL, *n;
	char file[PATH_MAX];
	int rc;

	if (file_arg(argc, argv, 0, file, sizeof(file)) < 0)
		return 2;
	rc = each_record(file, tree_one, &list);
	/* roots: processes whose parent is not in the log */
	for (n = list; n; n = n->next)
		if (!known(list, n->ppid))
			print_tree(list, n, 0);
	return rc;
}

int proctor_log_main(int argc, char **argv)
{
	if (argc >= 1 && !strcmp(argv[0], "verify"))
		return log_verify(argc - 1, argv + 1);
	if (argc >= 1 && !strcmp(argv[0], "tree"))
		return log_tree(argc - 1, argv + 1);
	if (argc >= 1 && !strcmp(argv[0], "--help")) {
		printf("usage: proctor log [--pid N] [--decision allow|deny] "
		       "[--class C] [--path GLOB]\n"
		       "                   [--host GLOB] [--since TIME] "
		       "[--until TIME] [--json] [FILE]\n"
		       "       proctor log tree [FILE]\n"
		       "       proctor log verify FILE...\n");
		return 0;
	}
	return log_show(argc, argv);
}
