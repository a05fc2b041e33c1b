/* SPDX-License-Identifier: MIT */
/*
 * `proctor log`: reading the decision log.
 *
 *   proctor log verify FILE...   checks the MAC chain, the sequence and
 *                                the closing record of every run
 */
#include <cjson/cJSON.h>
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
	bool open; /* a run started and has not ended */
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
	if (memcmp(mac, claimed, 32))
		problem(v, n, "%s",
			"MAC mismatch: this line was changed, or a line "
			"before it was removed, added or moved");
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
		snprintf(v->run, sizeof(v->run), "%s", run->valuestring);
		memset(v->prev, 0, 32);
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

static int verify_file(const char *file, const uint8_t key[32])
{
	struct verify v = { .file = file };
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f = fopen(file, "re");

	if (!f) {
		fprintf(stderr, "proctor: %s: %s\n", file, strerror(errno));
		return 2;
	}
	memcpy(v.key, key, 32);
	while ((len = getline(&line, &cap, f)) > 0) {
		v.lines++;
		if (line[len - 1] != '\n') {
			problem(&v, v.lines, "%s",
				"the last line is cut: proctor stopped while "
				"writing it");
			break;
		}
		verify_line(&v, v.lines, line, len - 1);
	}
	free(line);
	fclose(f);
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

int proctor_log_main(int argc, char **argv)
{
	if (argc >= 1 && !strcmp(argv[0], "verify"))
		return log_verify(argc - 1, argv + 1);
	fprintf(stderr, "usage: proctor log verify FILE...\n");
	return 2;
}
