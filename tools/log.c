/* SPDX-License-Identifier: MIT */
/*
 * `proctor log`: reading the decision log.
 *
 *   proctor log [FILTER]... [--json] [FILE]   decisions, one line each,
 *                                             with their call stacks
 *   proctor log tree [--json] [FILE]          the process tree: what each
 *                                             process ran, what it was denied
 *   proctor log summary [--json] [--top N] [FILE]
 *                                             counts by class, decision and
 *                                             object
 *   proctor log verify [--json] FILE...       the MAC chain, the sequence
 *                                             and the closing record
 *
 * FILE defaults to the newest run in $XDG_STATE_HOME/proctor/runs.  A
 * line that is not a record is named on stderr with its line number, the
 * rest is read, and the exit status is 1.  Output for people shows no
 * control bytes and no non-ASCII ones (a name can hold any); --json
 * passes the records' own text.
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <fnmatch.h>
#include <getopt.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/tools.h"
#include "tracer/tracer.h"

#define MAC_FIELD    ",\"mac\":\""
#define SHOWN_MAX    1024 /* bytes of a name shown to people */
#define SUMMARY_HASH 4096
#define SUMMARY_TOP  10
#define OBJECT_KEYS  5 /* path, addr, command, target, name */

/* ---- fields of a record ------------------------------------------------ */

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

/*
 * The exact bytes of a string field: from KEY_b64 where the writer put
 * one (the name was not UTF-8 and KEY shows it with U+FFFD), else KEY.
 */
static const char *exact(cJSON *o, const char *key, char *buf, size_t size)
{
	char k[64];
	const char *b64;
	size_t len;
	int n;

	snprintf(k, sizeof(k), "%s_b64", key);
	b64 = str(o, k);
	if (!b64)
		return str(o, key);
	len = strlen(b64);
	if (len % 4 || len / 4 * 3 + 1 > size)
		return str(o, key);
	n = EVP_DecodeBlock((unsigned char *)buf, (const unsigned char *)b64,
			    (int)len);
	if (n < 0)
		return str(o, key);
	/* EVP_DecodeBlock counts the padding as bytes */
	while (len > 0 && b64[--len] == '=')
		n--;
	buf[n] = '\0';
	return buf;
}

/* s for a terminal: controls and non-ASCII bytes become '?'. */
static const char *shown(const char *s, char *buf)
{
	tracer_printable(buf, SHOWN_MAX, s ? s : "?");
	return buf;
}

/* "name" last: a connect has its addr and the name it was answered for */
static const char *const object_keys[OBJECT_KEYS] = { "path", "addr", "command",
						      "target", "name" };

/* The key of the object a decision is about: "path", "addr", ... */
static const char *object_key(cJSON *r)
{
	int i;

	for (i = 0; i < OBJECT_KEYS; i++)
		if (str(r, object_keys[i]))
			return object_keys[i];
	return NULL;
}

static const char *object_of(cJSON *r)
{
	const char *k = object_key(r);

	return k ? str(r, k) : "";
}

static bool is_allow(cJSON *r)
{
	const char *d = str(r, "decision");

	return d && !strcmp(d, "allow");
}

static void print_json(cJSON *j)
{
	char *text = cJSON_PrintUnformatted(j);

	if (text)
		puts(text);
	free(text);
}

/* ---- reading lines and records ----------------------------------------- */

/* Shared with `proctor learn` (tools.h). */
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

struct records {
	const char *file;
	void (*fn)(cJSON *, void *);
	void *arg;
	long line, bad;
};

static void bad_line(struct records *rs, const char *what, long column)
{
	rs->bad++;
	if (column > 0)
		fprintf(stderr, "proctor: %s:%ld: %s (column %ld)\n", rs->file,
			rs->line, what, column);
	else
		fprintf(stderr, "proctor: %s:%ld: %s\n", rs->file, rs->line,
			what);
}

static void record_one(char *line, size_t len, bool cut, void *arg)
{
	struct records *rs = arg;
	const char *err;
	cJSON *r;

	rs->line++;
	if (cut) {
		bad_line(rs,
			 "the last line is cut (proctor stopped while "
			 "writing it); skipped",
			 0);
		return;
	}
	r = cJSON_ParseWithLength(line, len);
	if (!r) {
		err = cJSON_GetErrorPtr();
		bad_line(rs, "not JSON: the line is damaged; skipped",
			 err && err >= line && err <= line + len
				 ? err - line + 1
				 : 0);
		return;
	}
	if (!cJSON_IsObject(r) || !str(r, "type") ||
	    !cJSON_IsNumber(cJSON_GetObjectItem(r, "seq")))
		bad_line(rs, "not a proctor record (no type or seq); skipped",
			 0);
	else
		rs->fn(r, rs->arg);
	cJSON_Delete(r);
}

/*
 * Calls fn for every record of file.  Returns 0; 1 when some lines were
 * not records (each named on stderr); 2 when the file cannot be read.
 */
static int each_record(const char *file, void (*fn)(cJSON *, void *), void *arg)
{
	struct records rs = { .file = file, .fn = fn, .arg = arg };

	if (tools_each_line(file, record_one, &rs))
		return 2;
	return rs.bad ? 1 : 0;
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

/* The FILE operand at argv[i], or the newest run; at most one. */
static int file_arg(int argc, char **argv, int i, char *buf, size_t size)
{
	if (i + 1 < argc) {
		fprintf(stderr,
			"proctor: log: one FILE at most, got %s and "
			"%s\n",
			argv[i], argv[i + 1]);
		return -1;
	}
	if (i < argc) {
		snprintf(buf, size, "%s", argv[i]);
		return 0;
	}
	return newest_run(buf, size);
}

/*
 * getopt_long over argv[0..argc-1], where argv[0] is the first option
 * (no program name before it).  Returns the option, -1 at the end.
 */
static int next_opt(int argc, char **argv, const struct option *opts)
{
	int ch;

	opterr = 0;
	ch = getopt_long(argc + 1, argv - 1, ":", opts, NULL);
	if (ch == '?' || ch == ':')
		fprintf(stderr,
			"proctor: log: %s: %s; see 'proctor log "
			"--help'\n",
			optind >= 2 && optind - 2 < argc ? argv[optind - 2]
							 : "?",
			ch == ':' ? "needs a value" : "unknown option");
	return ch;
}

/* ---- verify ------------------------------------------------------------- */

struct verify {
	const char *file;
	uint8_t key[32];
	uint8_t prev[32];
	char run[128];
	long long seq;
	bool open;	/* a run started and has not ended */
	bool skip_macs; /* the key does not fit: say so once */
	bool first_bad; /* line 1's MAC did not match */
	bool cut;	/* the last line was cut: stop there */
	long lines, runs, problems;
	cJSON *json; /* --json: the problems, else NULL */
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

/* Problems listed per file; a count tells of the rest. */
#define VERIFY_SHOWN 50

static void problem(struct verify *v, long line, const char *fmt,
		    const char *detail)
{
	char msg[512];
	cJSON *p;

	v->problems++;
	snprintf(msg, sizeof(msg), fmt, detail);
	if (!v->json) {
		/* a damaged file may have a problem on every line */
		if (v->problems <= VERIFY_SHOWN)
			printf("%s:%ld: %s\n", v->file, line, msg);
		return;
	}
	p = cJSON_CreateObject();
	cJSON_AddNumberToObject(p, "line", line);
	cJSON_AddStringToObject(p, "problem", msg);
	cJSON_AddItemToArray(v->json, p);
}

static int unhex(const char *s, uint8_t out[32])
{
	int i;

	/* as written: lower-case hex only, so a changed byte is a change */
	if (strspn(s, "0123456789abcdef") < 64)
		return -1;
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
		const char *m = memmem(line, len, MAC_FIELD, strlen(MAC_FIELD));

		problem(v, n, "%s",
			m ? "the MAC is not where a record ends it: the line "
			    "was changed"
			  : "no MAC: written without a key, or edited");
		/* the chain goes on from it, so the next line is judged alone */
		if (m && (size_t)(line + len - m) >= strlen(MAC_FIELD) + 64 &&
		    unhex(m + strlen(MAC_FIELD), claimed) == 0)
			memcpy(v->prev, claimed, 32);
		return;
	}
	tracer_log_mac(v->key, v->prev, line, signed_len, mac);
	if (n == 1 && memcmp(mac, claimed, 32)) {
		problem(v, n, "%s",
			"the first record's MAC does not match: this line was "
			"changed or forged, or the log was written under "
			"another key (XDG_CONFIG_HOME)");
		v->first_bad = true;
	} else if (n == 2 && v->first_bad && memcmp(mac, claimed, 32)) {
		/* two in a row from the start: the log of another key */
		problem(v, n, "%s",
			"this MAC does not match either: the log was written "
			"under another key; MACs are not checked further");
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

static void verify_report(struct verify *v)
{
	cJSON *out;

	if (!v->json) {
		if (v->problems > VERIFY_SHOWN)
			printf("%s: %ld more problems not shown (--json lists "
			       "them all)\n",
			       v->file, v->problems - VERIFY_SHOWN);
		if (v->problems == 0)
			printf("%s: ok: %ld records in %ld run%s, every MAC "
			       "valid\n",
			       v->file, v->lines, v->runs,
			       v->runs == 1 ? "" : "s");
		return;
	}
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "file", v->file);
	cJSON_AddBoolToObject(out, "ok", v->problems == 0);
	cJSON_AddNumberToObject(out, "records", v->lines);
	cJSON_AddNumberToObject(out, "runs", v->runs);
	cJSON_AddItemToObject(out, "problems", v->json);
	print_json(out);
	cJSON_Delete(out);
}

static int verify_file(const char *file, const uint8_t key[32], bool json)
{
	struct verify v = { .file = file };

	memcpy(v.key, key, 32);
	if (json)
		v.json = cJSON_CreateArray();
	if (tools_each_line(file, verify_one, &v)) {
		cJSON_Delete(v.json);
		return 2;
	}
	if (v.open)
		problem(&v, v.lines,
			"run %s has no closing record: the log "
			"was cut, or proctor was killed",
			v.run);
	if (v.lines == 0)
		problem(&v, 0, "%s", "empty log");
	verify_report(&v);
	return v.problems ? 1 : 0;
}

static int log_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", 0, 0, 'j' },
		{ 0, 0, 0, 0 },
	};
	uint8_t key[32];
	bool json = false;
	int i, rc = 0, r, ch;

	optind = 1;
	while ((ch = next_opt(argc, argv, opts)) != -1) {
		if (ch != 'j')
			return 2;
		json = true;
	}
	if (optind > argc) {
		fprintf(stderr, "usage: proctor log verify [--json] FILE...\n");
		return 2;
	}
	if (read_key(key) < 0)
		return 2;
	for (i = optind - 1; i < argc; i++) {
		r = verify_file(argv[i], key, json);
		if (r > rc)
			rc = r;
	}
	return rc;
}

/* ---- the decisions --------------------------------------------------- */

struct filter {
	long pid;
	const char *decision, *cls, *path, *host, *since, *until;
	bool json;
};

static bool glob_ok(const char *pattern, const char *s)
{
	return !pattern || (s && fnmatch(pattern, s, 0) == 0);
}

/*
 * --path: a glob as the policy reads one, whose '*' stays within a
 * name, matching the path or a directory above it (so "/usr/lib" and
 * "/usr/lib/[*]" take what lies beneath, as an entry would).
 */
/* pattern with each of from replaced by to, in out. */
static void replaced(char *out, size_t size, const char *pattern,
		     const char *from, const char *to)
{
	size_t o = 0, fl = strlen(from), tl = strlen(to);

	while (*pattern && o + tl < size) {
		if (!strncmp(pattern, from, fl)) {
			memcpy(out + o, to, tl);
			o += tl;
			pattern += fl;
		} else {
			out[o++] = *pattern++;
		}
	}
	out[o] = '\0';
}

/* One name against the glob: "**" takes any number of whole names. */
static bool glob_path(const char *pattern, const char *s)
{
	char alt[PATH_MAX + 64];

	if (!strstr(pattern, "**"))
		return fnmatch(pattern, s, FNM_PATHNAME) == 0;
	replaced(alt, sizeof(alt), pattern, "/**/", "/");
	if (fnmatch(alt, s, FNM_PATHNAME) == 0)
		return true; /* none */
	replaced(alt, sizeof(alt), pattern, "**", "*");
	return fnmatch(alt, s, 0) == 0; /* one or more */
}

static bool path_ok(const char *pattern, const char *s)
{
	char buf[PATH_MAX + 64];
	size_t n;

	if (!s || strlen(s) >= sizeof(buf))
		return false;
	snprintf(buf, sizeof(buf), "%s", s);
	for (n = strlen(buf); n > 0; n--) {
		if (buf[n] != '\0' && buf[n] != '/')
			continue;
		buf[n] = '\0';
		if (glob_path(pattern, buf))
			return true;
	}
	return !strcmp(pattern, "/") && s[0] == '/';
}

/* --path: the record's path, the new name of a rename or link, or the
 * program an exec ran */
static bool paths_ok(const char *pattern, cJSON *r)
{
	static const char *const keys[] = { "path", "to", "command" };
	char buf[PATH_MAX + 64];
	size_t i;

	if (!pattern)
		return true;
	for (i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		if (path_ok(pattern, exact(r, keys[i], buf, sizeof(buf))))
			return true;
	return false;
}

/*
 * --decision: allow, deny, or ask, which is every question whatever its
 * answer ("ask-denied", or allowed with an "asked" object).
 */
static bool decision_is(cJSON *r, const char *want)
{
	const char *d = str(r, "decision");

	if (!strcmp(want, "ask") && cJSON_GetObjectItem(r, "asked"))
		return true;
	return d && !strncmp(d, want, strlen(want));
}

static bool wanted(const struct filter *f, cJSON *r)
{
	const char *time = str(r, "time");
	char buf[PATH_MAX + 64];

	if (f->pid >= 0 && num(r, "pid") != f->pid)
		return false;
	if (f->decision && !decision_is(r, f->decision))
		return false;
	if (f->cls && (!str(r, "class") || strcmp(str(r, "class"), f->cls)))
		return false;
	/* patterns match the exact bytes of a name */
	if (!paths_ok(f->path, r))
		return false;
	/* --host: the address or the name it was answered for */
	if (f->host && !glob_ok(f->host, exact(r, "addr", buf, sizeof(buf))) &&
	    (!str(r, "name") ||
	     !glob_ok(f->host, exact(r, "name", buf, sizeof(buf)))))
		return false;
	if (f->since && (!time || strcmp(time, f->since) < 0))
		return false;
	if (f->until && (!time || strcmp(time, f->until) > 0))
		return false;
	return true;
}

static const char *base_name(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path ? path : "?";
}

/*
 * A decision's call stack, innermost first, under its line: "at SYMBOL
 * (OBJECT)", or the object and the address in it when it has no symbol.
 */
static void print_stack(cJSON *r)
{
	cJSON *stack = cJSON_GetObjectItem(r, "stack"), *f;
	long scanned = num(r, "stack_scanned_from"), i = 0;
	char a[SHOWN_MAX], b[SHOWN_MAX];

	cJSON_ArrayForEach(f, stack)
	{
		if (i++ == scanned)
			printf("      (below: found through a frame pointer "
			       "that was looked for on the stack)\n");
		if (str(f, "sym"))
			printf("      at %s (%s)\n", shown(str(f, "sym"), a),
			       shown(base_name(str(f, "obj")), b));
		else if (str(f, "obj"))
			printf("      at %s+%s\n",
			       shown(base_name(str(f, "obj")), a),
			       shown(str(f, "off") ? str(f, "off")
						   : str(f, "pc"),
				     b));
		else
			printf("      at %s\n", shown(str(f, "pc"), a));
	}
	if (str(r, "stack_cut"))
		printf("      (the stack ends here: %s)\n",
		       shown(str(r, "stack_cut"), a));
}

static void print_decision(cJSON *r)
{
	cJSON *rule = cJSON_GetObjectItem(r, "rule");
	cJSON *asked = cJSON_GetObjectItem(r, "asked");
	const char *time = str(r, "time");
	char comm[SHOWN_MAX], obj[SHOWN_MAX], a[SHOWN_MAX], b[SHOWN_MAX];

	printf("%s %6ld %-15s %-5s %-7s %s",
	       time && strlen(time) > 11 ? time + 11 : "", num(r, "pid"),
	       shown(str(r, "comm"), comm), shown(str(r, "decision"), a),
	       shown(str(r, "class"), b), shown(object_of(r), obj));
	if (str(r, "addr") && str(r, "name"))
		printf(" (%s)", shown(str(r, "name"), obj));
	if (asked && str(asked, "answer"))
		printf("  (asked: %s by %s)", shown(str(asked, "answer"), a),
		       shown(str(asked, "by") ? str(asked, "by") : "?", b));
	if (rule && !is_allow(r))
		printf("  [%s %s]", shown(str(rule, "origin"), a),
		       shown(str(rule, "where"), b));
	putchar('\n');
	print_stack(r);
}

static void show_one(cJSON *r, void *arg)
{
	const struct filter *f = arg;
	const char *type = str(r, "type");

	if (strcmp(type, "decision") || !wanted(f, r))
		return;
	if (f->json)
		print_json(r);
	else
		print_decision(r);
}

/* A value of --decision or --class: one the log can hold. */
static bool one_of(const char *opt, const char *v, const char *const *ok)
{
	size_t i;

	for (i = 0; ok[i]; i++)
		if (!strcmp(v, ok[i]))
			return true;
	fprintf(stderr, "proctor: log: %s %s: expected one of", opt, v);
	for (i = 0; ok[i]; i++)
		fprintf(stderr, "%s %s", i ? "," : "", ok[i]);
	fprintf(stderr, "\n");
	return false;
}

/*
 * A value of --since or --until: the start of a time as records write it
 * (2026-12-04, 2026-12-04T21:30, ..., UTC), compared as text.
 */
/* Whether the fields of v's shape that v has hold a month, a day ... */
static bool fields_in_range(const char *v, size_t n)
{
	static const struct {
		size_t at;
		int lo, hi;
	} field[] = { { 5, 1, 12 },
		      { 8, 1, 31 },
		      { 11, 0, 23 },
		      { 14, 0, 59 },
		      { 17, 0, 60 } };
	size_t i;

	for (i = 0; i < sizeof(field) / sizeof(*field); i++) {
		int x;

		if (n < field[i].at + 2)
			break;
		x = (v[field[i].at] - '0') * 10 + (v[field[i].at + 1] - '0');
		if (x < field[i].lo || x > field[i].hi)
			return false;
	}
	return true;
}

static bool a_time(const char *opt, char *v)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	size_t i, n = strlen(v);

	for (i = 0; i < n && i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)v[i])
				    : v[i] != shape[i])
			break;
	/* "...:ssZ", as people write UTC: the Z goes (compared as text,
	 * it would fall after every record of that second) */
	if (i == 19 && n == 20 && v[19] == 'Z' && fields_in_range(v, 19)) {
		v[19] = '\0';
		return true;
	}
	/* whole fields only: a year, a date, an hour, minutes, seconds */
	if (i == n &&
	    (n == 4 || n == 7 || n == 10 || n == 13 || n == 16 || n == 19) &&
	    fields_in_range(v, n))
		return true;
	if (i == 19 && v[19] == '.' && fields_in_range(v, n) &&
	    strspn(v + 20, "0123456789") == n - 20 - (v[n - 1] == 'Z'))
		return true;
	fprintf(stderr,
		"proctor: log: %s %s: expected a UTC time as records write "
		"it, or its start (2026-12-04, 2026-12-04T21:30)\n",
		opt, v);
	return false;
}

static int log_show(int argc, char **argv)
{
	static const char *const decisions[] = { "allow", "deny", "ask", NULL };
	static const char *const classes[] = {
		"read",	     "write",  "exec", "connect",    "signal",
		"resolve",   "http",   "tls",  "scheduling", "bind",
		"namespace", "ptrace", NULL
	};
	static const struct option opts[] = {
		{ "pid", 1, 0, 'p' },	{ "decision", 1, 0, 'd' },
		{ "class", 1, 0, 'c' }, { "path", 1, 0, 'P' },
		{ "host", 1, 0, 'H' },	{ "since", 1, 0, 's' },
		{ "until", 1, 0, 'u' }, { "json", 0, 0, 'j' },
		{ 0, 0, 0, 0 },
	};
	struct filter f = { .pid = -1 };
	char file[PATH_MAX], *end;
	int ch;

	optind = 1;
	while ((ch = next_opt(argc, argv, opts)) != -1) {
		switch (ch) {
		case 'p':
			f.pid = strtol(optarg, &end, 10);
			if (*end || end == optarg || f.pid < 0) {
				fprintf(stderr,
					"proctor: log: --pid %s: expected a "
					"process id\n",
					optarg);
				return 2;
			}
			break;
		case 'd':
			if (!one_of("--decision", optarg, decisions))
				return 2;
			f.decision = optarg;
			break;
		case 'c':
			if (!one_of("--class", optarg, classes))
				return 2;
			f.cls = optarg;
			break;
		case 'P':
			f.path = optarg;
			break;
		case 'H':
			f.host = optarg;
			break;
		case 's':
			if (!a_time("--since", optarg))
				return 2;
			f.since = optarg;
			break;
		case 'u':
			if (!a_time("--until", optarg))
				return 2;
			f.until = optarg;
			break;
		case 'j':
			f.json = true;
			break;
		default:
			return 2;
		}
	}
	if (file_arg(argc, argv, optind - 1, file, sizeof(file)) < 0)
		return 2;
	return each_record(file, show_one, &f);
}

/* ---- the process tree ------------------------------------------------ */

struct node {
	char *run; /* pids are unique within a run, not across runs */
	long pid, ppid;
	char *cmdline; /* at its start: its parent's, for a fork */
	char **execs;  /* what it executed, in order */
	size_t n_execs;
	long status; /* exit status, -1: none */
	long signal; /* killed by, -1: none */
	long allowed, denied;
	char **denials; /* "CLASS OBJECT", each once */
	size_t n_denials;
	struct node *parent; /* an earlier node: the tree has no cycles */
	struct node *next;
};

/*
 * The latest process with pid in run.  A pid is used again once its
 * process is gone, so each start record begins a new node, and what
 * follows belongs to the newest one.
 */
static struct node *latest(struct node *list, const char *run, long pid)
{
	struct node *found = NULL;

	for (; list; list = list->next)
		if (list->pid == pid && !strcmp(list->run, run))
			found = list;
	return found;
}

/* A new node goes last, so children keep their order. */
static struct node *new_node(struct node **list, const char *run, long pid,
			     long ppid)
{
	struct node **pp, *n = calloc(1, sizeof(*n));

	if (!n || !(n->run = strdup(run)))
		exit(2);
	n->pid = pid;
	n->ppid = ppid;
	n->status = -1;
	n->signal = -1;
	n->parent = ppid > 0 ? latest(*list, run, ppid) : NULL;
	for (pp = list; *pp; pp = &(*pp)->next)
		;
	*pp = n;
	return n;
}

static bool parent_of(const struct node *p, const struct node *c)
{
	return c->parent == p;
}

static void push(char ***list, size_t *n, const char *s)
{
	char **l = realloc(*list, (*n + 1) * sizeof(**list));

	if (!l || !(l[*n] = strdup(s ? s : "")))
		exit(2);
	*list = l;
	(*n)++;
}

static void add_denial(struct node *n, cJSON *r)
{
	char line[PATH_MAX + 64];
	size_t i;

	snprintf(line, sizeof(line), "%s %s",
		 str(r, "class") ? str(r, "class") : "?", object_of(r));
	for (i = 0; i < n->n_denials; i++)
		if (!strcmp(n->denials[i], line))
			return;
	push(&n->denials, &n->n_denials, line);
}

static void tree_one(cJSON *r, void *arg)
{
	const char *type = str(r, "type");
	struct node *n;

	if (num(r, "pid") < 0 || !str(r, "run"))
		return;
	n = latest(*(struct node **)arg, str(r, "run"), num(r, "pid"));
	if (!n || !strcmp(type, "start"))
		n = new_node(arg, str(r, "run"), num(r, "pid"), num(r, "ppid"));
	if (!strcmp(type, "start")) {
		free(n->cmdline);
		n->cmdline = strdup(str(r, "cmdline") ? str(r, "cmdline") : "");
	} else if (!strcmp(type, "exec")) {
		push(&n->execs, &n->n_execs, str(r, "cmdline"));
	} else if (!strcmp(type, "exit")) {
		n->status = num(r, "status");
		n->signal = num(r, "signal");
	} else if (!strcmp(type, "decision")) {
		if (is_allow(r)) {
			n->allowed++;
		} else {
			n->denied++;
			add_denial(n, r);
		}
	}
}

/* A root: a process whose parent is not in the log of its run. */
static bool is_root(struct node *list, const struct node *n)
{
	(void)list;
	return !n->parent;
}

/* What it ran: its execs in order, or, without any, its start. */
static void print_commands(const struct node *n)
{
	char buf[SHOWN_MAX];
	size_t i;

	if (n->n_execs == 0)
		printf("%s", shown(n->cmdline, buf));
	for (i = 0; i < n->n_execs; i++)
		printf("%s%s", i ? " -> " : "", shown(n->execs[i], buf));
}

static void print_tree(struct node *list, struct node *n, int depth)
{
	char buf[SHOWN_MAX];
	struct node *c;
	size_t i;

	printf("%*s%ld ", depth * 2, "", n->pid);
	print_commands(n);
	if (n->signal > 0)
		printf("  [killed by signal %ld", n->signal);
	else if (n->status >= 0)
		printf("  [exit %ld", n->status);
	else
		printf("  [running");
	printf("; %ld allowed, %ld denied]\n", n->allowed, n->denied);
	for (i = 0; i < n->n_denials; i++)
		printf("%*s  denied %s\n", depth * 2, "",
		       shown(n->denials[i], buf));
	for (c = list; c; c = c->next)
		if (parent_of(n, c))
			print_tree(list, c, depth + 1);
}

static cJSON *strings(char **list, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	size_t i;

	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(list[i]));
	return a;
}

static cJSON *tree_json(struct node *list, struct node *n)
{
	cJSON *o = cJSON_CreateObject(), *kids = cJSON_CreateArray();
	struct node *c;

	cJSON_AddStringToObject(o, "run", n->run);
	cJSON_AddNumberToObject(o, "pid", n->pid);
	cJSON_AddNumberToObject(o, "ppid", n->ppid);
	cJSON_AddStringToObject(o, "cmdline", n->cmdline ? n->cmdline : "");
	cJSON_AddItemToObject(o, "execs", strings(n->execs, n->n_execs));
	if (n->signal > 0)
		cJSON_AddNumberToObject(o, "signal", n->signal);
	else if (n->status >= 0)
		cJSON_AddNumberToObject(o, "status", n->status);
	cJSON_AddNumberToObject(o, "allowed", n->allowed);
	cJSON_AddNumberToObject(o, "denied", n->denied);
	cJSON_AddItemToObject(o, "denials", strings(n->denials, n->n_denials));
	for (c = list; c; c = c->next)
		if (parent_of(n, c))
			cJSON_AddItemToArray(kids, tree_json(list, c));
	cJSON_AddItemToObject(o, "children", kids);
	return o;
}

static int log_tree(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", 0, 0, 'j' },
		{ 0, 0, 0, 0 },
	};
	struct node *list = NULL, *n;
	cJSON *roots = NULL, *out;
	char file[PATH_MAX], buf[SHOWN_MAX];
	const char *run = NULL;
	bool json = false;
	int rc, ch;

	optind = 1;
	while ((ch = next_opt(argc, argv, opts)) != -1) {
		if (ch != 'j')
			return 2;
		json = true;
	}
	if (file_arg(argc, argv, optind - 1, file, sizeof(file)) < 0)
		return 2;
	rc = each_record(file, tree_one, &list);
	if (json)
		roots = cJSON_CreateArray();
	for (n = list; n; n = n->next) {
		if (!is_root(list, n))
			continue;
		if (json) {
			cJSON_AddItemToArray(roots, tree_json(list, n));
			continue;
		}
		/* a file of several runs: say where each begins */
		if (!run || strcmp(run, n->run))
			printf("%srun %s\n", run ? "\n" : "",
			       shown(n->run, buf));
		run = n->run;
		print_tree(list, n, 0);
	}
	if (json) {
		out = cJSON_CreateObject();
		cJSON_AddStringToObject(out, "file", file);
		cJSON_AddItemToObject(out, "roots", roots);
		print_json(out);
		cJSON_Delete(out);
	}
	return rc;
}

/* ---- the summary ------------------------------------------------------- */

struct count {
	char *name;
	long decisions, denied;
	struct count *next;
};

/* Counts by name: a small hash table, and how many names it holds. */
struct counts {
	struct count *b[SUMMARY_HASH];
	long n;
};

struct summary {
	long records, runs, processes, decisions, denied;
	char first[40], last[40];
	struct counts by_class, by_decision, objects[OBJECT_KEYS];
};

static void tally(struct counts *c, const char *name, bool denied)
{
	unsigned h = 5381;
	const char *s;
	struct count *e;

	for (s = name; *s; s++)
		h = h * 33 + (unsigned char)*s;
	for (e = c->b[h % SUMMARY_HASH]; e; e = e->next)
		if (!strcmp(e->name, name))
			break;
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e || !(e->name = strdup(name)))
			exit(2);
		e->next = c->b[h % SUMMARY_HASH];
		c->b[h % SUMMARY_HASH] = e;
		c->n++;
	}
	e->decisions++;
	e->denied += denied;
}

static void summary_one(cJSON *r, void *arg)
{
	struct summary *s = arg;
	const char *type = str(r, "type"), *time = str(r, "time");
	bool denied = !is_allow(r);
	int i;

	s->records++;
	if (time && (!s->first[0] || strcmp(time, s->first) < 0))
		snprintf(s->first, sizeof(s->first), "%s", time);
	if (time && strcmp(time, s->last) > 0)
		snprintf(s->last, sizeof(s->last), "%s", time);
	s->runs += !strcmp(type, "run");
	s->processes += !strcmp(type, "start");
	if (strcmp(type, "decision"))
		return;
	s->decisions++;
	s->denied += denied;
	tally(&s->by_class, str(r, "class") ? str(r, "class") : "?", denied);
	tally(&s->by_decision, str(r, "decision") ? str(r, "decision") : "?",
	      denied);
	for (i = 0; i < OBJECT_KEYS; i++)
		if (str(r, object_keys[i]))
			tally(&s->objects[i], str(r, object_keys[i]), denied);
}

static int by_count(const void *a, const void *b)
{
	const struct count *x = *(struct count *const *)a;
	const struct count *y = *(struct count *const *)b;

	if (x->decisions != y->decisions)
		return x->decisions < y->decisions ? 1 : -1;
	if (x->denied != y->denied)
		return x->denied < y->denied ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* The entries of c, most decisions first; the caller frees the array. */
static struct count **sorted(const struct counts *c)
{
	struct count **v = calloc(c->n + 1, sizeof(*v)), *e;
	long n = 0;
	int i;

	if (!v)
		exit(2);
	for (i = 0; i < SUMMARY_HASH; i++)
		for (e = c->b[i]; e; e = e->next)
			v[n++] = e;
	qsort(v, n, sizeof(*v), by_count);
	return v;
}

static void print_counts(const char *title, const struct counts *c, long top)
{
	struct count **v;
	char buf[SHOWN_MAX];
	long i;

	if (c->n == 0)
		return;
	v = sorted(c);
	if (top < c->n)
		printf("\n%s (top %ld of %ld)\n", title, top, c->n);
	else
		printf("\n%s\n", title);
	printf("  %9s %9s\n", "decisions", "denied");
	for (i = 0; i < c->n && i < top; i++)
		printf("  %9ld %9ld  %s\n", v[i]->decisions, v[i]->denied,
		       shown(v[i]->name, buf));
	free(v);
}

static cJSON *counts_json(const struct counts *c, long top)
{
	struct count **v = sorted(c);
	cJSON *a = cJSON_CreateArray(), *o;
	long i;

	for (i = 0; i < c->n && i < top; i++) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", v[i]->name);
		cJSON_AddNumberToObject(o, "decisions", v[i]->decisions);
		cJSON_AddNumberToObject(o, "denied", v[i]->denied);
		cJSON_AddItemToArray(a, o);
	}
	free(v);
	return a;
}

static const char *const object_titles[OBJECT_KEYS] = { "paths", "addresses",
							"commands",
							"signal targets" };

static void summary_print(const char *file, const struct summary *s, long top)
{
	char buf[SHOWN_MAX];
	int i;

	printf("%s: %ld record%s in %ld run%s; %ld process%s; %ld "
	       "decision%s, %ld denied\n",
	       shown(file, buf), s->records, s->records == 1 ? "" : "s",
	       s->runs, s->runs == 1 ? "" : "s", s->processes,
	       s->processes == 1 ? "" : "es", s->decisions,
	       s->decisions == 1 ? "" : "s", s->denied);
	if (s->first[0])
		printf("from %s to %s\n", s->first, s->last);
	print_counts("by class", &s->by_class, s->by_class.n);
	print_counts("by decision", &s->by_decision, s->by_decision.n);
	for (i = 0; i < OBJECT_KEYS; i++)
		print_counts(object_titles[i], &s->objects[i], top);
}

static void summary_json(const char *file, const struct summary *s, long top)
{
	cJSON *o = cJSON_CreateObject(), *objs = cJSON_CreateObject();
	int i;

	cJSON_AddStringToObject(o, "file", file);
	cJSON_AddNumberToObject(o, "records", s->records);
	cJSON_AddNumberToObject(o, "runs", s->runs);
	cJSON_AddNumberToObject(o, "processes", s->processes);
	cJSON_AddNumberToObject(o, "decisions", s->decisions);
	cJSON_AddNumberToObject(o, "denied", s->denied);
	cJSON_AddStringToObject(o, "from", s->first);
	cJSON_AddStringToObject(o, "to", s->last);
	cJSON_AddItemToObject(o, "by_class",
			      counts_json(&s->by_class, s->by_class.n));
	cJSON_AddItemToObject(o, "by_decision",
			      counts_json(&s->by_decision, s->by_decision.n));
	for (i = 0; i < OBJECT_KEYS; i++)
		cJSON_AddItemToObject(objs, object_keys[i],
				      counts_json(&s->objects[i], top));
	cJSON_AddItemToObject(o, "top", objs);
	cJSON_AddNumberToObject(o, "top_n", top);
	print_json(o);
	cJSON_Delete(o);
}

static int log_summary(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", 0, 0, 'j' },
		{ "top", 1, 0, 't' },
		{ 0, 0, 0, 0 },
	};
	struct summary *s = calloc(1, sizeof(*s));
	long top = SUMMARY_TOP;
	char file[PATH_MAX], *end;
	bool json = false;
	int rc, ch;

	if (!s)
		return 2;
	optind = 1;
	while ((ch = next_opt(argc, argv, opts)) != -1) {
		if (ch == 'j') {
			json = true;
		} else if (ch == 't') {
			top = strtol(optarg, &end, 10);
			if (*end || end == optarg || top < 1) {
				fprintf(stderr,
					"proctor: log summary: --top "
					"%s: expected a count\n",
					optarg);
				return 2;
			}
		} else {
			return 2;
		}
	}
	if (file_arg(argc, argv, optind - 1, file, sizeof(file)) < 0)
		return 2;
	rc = each_record(file, summary_one, s);
	if (rc == 2)
		return rc;
	if (json)
		summary_json(file, s, top);
	else
		summary_print(file, s, top);
	return rc;
}

/* ---- the command --------------------------------------------------------- */

static const char usage_text[] =
	"usage: proctor log [--pid N] [--decision allow|deny|ask] "
	"[--class C]\n"
	"                   [--path GLOB] [--host GLOB] [--since TIME] "
	"[--until TIME]\n"
	"                   [--json] [FILE]\n"
	"       proctor log tree [--json] [FILE]\n"
	"       proctor log summary [--top N] [--json] [FILE]\n"
	"       proctor log verify [--json] FILE...\n"
	"FILE: a log; by default the newest run in "
	"$XDG_STATE_HOME/proctor/runs.\n";

int proctor_log_main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} subs[] = {
		{ "verify", log_verify },
		{ "tree", log_tree },
		{ "summary", log_summary },
	};
	size_t i;

	if (argc >= 1 && !strcmp(argv[0], "--help")) {
		fputs(usage_text, stdout);
		return 0;
	}
	for (i = 0; argc >= 1 && i < sizeof(subs) / sizeof(*subs); i++)
		if (!strcmp(argv[0], subs[i].name))
			return subs[i].fn(argc - 1, argv + 1);
	return log_show(argc, argv);
}
