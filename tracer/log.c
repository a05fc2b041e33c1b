/* SPDX-License-Identifier: MIT */
/*
 * The decision log: one JSON object per line, appended under a lock with
 * one write(2) per record, before the decision reaches the program.  So
 * the file is ordered, never torn, and holds every decision the program
 * saw even if it is killed.  Schema: README.md, "The log".
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <unistd.h>

#include "tracer/tracer.h"

#define LOG_SCHEMA 1

struct buf {
	char *s;
	size_t len, cap;
};

static int log_fd = -1;
static const char *log_run;
static uint64_t log_seq;
static atomic_uint_fast64_t denials;
static atomic_uint_fast64_t decisions;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static bool log_keyed;
static uint8_t log_key[32];
static uint8_t log_prev[32]; /* the chain: the last record's MAC */

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 1024;
		char *ns;

		while (cap < b->len + n + 1)
			cap *= 2;
		ns = realloc(b->s, cap);
		if (!ns)
			return;
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void putf(struct buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(b, tmp,
		    (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0 && s[0] >= 0xc2)
		n = 2;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3;
	else if ((s[0] & 0xf8) == 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/*
 * A JSON string.  Bytes that are not UTF-8 (paths may hold any) become
 * \u00XX so the line stays valid JSON.  TODO(#4): a lossless encoding.
 */
static void put_str(struct buf *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");

	put(b, "\"", 1);
	while (*s) {
		size_t n = utf8_len(s);

		if (*s == '"' || *s == '\\') {
			putf(b, "\\%c", *s);
		} else if (*s < 0x20 || *s == 0x7f || n == 0) {
			putf(b, "\\u%04x", *s);
		} else {
			put(b, (const char *)s, n);
			s += n;
			continue;
		}
		s++;
	}
	put(b, "\"", 1);
}

static void put_key(struct buf *b, const char *key)
{
	putf(b, ",\"%s\":", key);
}

static void put_who(struct buf *b, const struct tracer_who *w)
{
	putf(b, ",\"pid\":%d,\"tid\":%d,\"ppid\":%d", w->tgid, w->tid, w->ppid);
	put_key(b, "comm");
	put_str(b, w->comm);
	put_key(b, "exe");
	put_str(b, w->exe);
	if (w->uid >= 0)
		putf(b, ",\"uid\":%ld", w->uid);
	if (w->cwd[0]) {
		put_key(b, "cwd");
		put_str(b, w->cwd);
	}
}

static void put_time(struct buf *b)
{
	struct timespec ts;
	struct tm tm;
	char t[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
	putf(b, "\"time\":\"%s.%06ldZ\"", t, ts.tv_nsec / 1000);
}

/*
 * OpenSSL 3 looks the algorithm up again on every one-shot HMAC(); a
 * keyed context made once and copied per record costs a fraction of it.
 */
static EVP_MAC_CTX *mac_template(const uint8_t key[32])
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static EVP_MAC_CTX *tmpl;
	static uint8_t tmpl_key[32];
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC_CTX *ctx = NULL;
	EVP_MAC *mac;

	pthread_mutex_lock(&lock);
	if (!tmpl || memcmp(tmpl_key, key, 32)) {
		EVP_MAC_CTX_free(tmpl);
		tmpl = NULL;
		mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
		if (mac)
			tmpl = EVP_MAC_CTX_new(mac);
		EVP_MAC_free(mac);
		if (tmpl && !EVP_MAC_init(tmpl, key, 32, params)) {
			EVP_MAC_CTX_free(tmpl);
			tmpl = NULL;
		}
		memcpy(tmpl_key, key, 32);
	}
	if (tmpl)
		ctx = EVP_MAC_CTX_dup(tmpl);
	pthread_mutex_unlock(&lock);
	return ctx;
}

void tracer_log_mac(const uint8_t key[32], const uint8_t prev[32],
		    const char *line, size_t len, uint8_t out[32])
{
	EVP_MAC_CTX *ctx = mac_template(key);
	size_t outlen = 32;

	if (!ctx || !EVP_MAC_update(ctx, prev, 32) ||
	    !EVP_MAC_update(ctx, (const unsigned char *)line, len) ||
	    !EVP_MAC_final(ctx, out, &outlen, 32))
		memset(out, 0, 32); /* a zero MAC: verify will name it */
	EVP_MAC_CTX_free(ctx);
}

static void write_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* disk full: the run goes on, unlogged */
		s += n;
		len -= n;
	}
}

/*
 * Writes one record: the time and sequence number are taken under the
 * lock, so both grow with the file.  With a key, the record ends with a
 * MAC over the previous record's MAC and this record's text, so a
 * changed, removed or reordered line breaks the chain (`proctor log
 * verify`).
 */
static void emit(const char *type, struct buf *body)
{
	struct buf line = { 0 };
	uint8_t mac[32];
	int i;

	if (log_fd < 0)
		return;
	pthread_mutex_lock(&log_lock);
	put(&line, "{", 1);
	put_time(&line);
	putf(&line, ",\"v\":%d,\"type\":\"%s\",\"run\":\"%s\",\"seq\":%" PRIu64,
	     LOG_SCHEMA, type, log_run, ++log_seq);
	put(&line, body->s ? body->s : "", body->len);
	if (log_keyed) {
		tracer_log_mac(log_key, log_prev, line.s, line.len, mac);
		memcpy(log_prev, mac, 32);
		put(&line, ",\"mac\":\"", 8);
		for (i = 0; i < 32; i++)
			putf(&line, "%02x", mac[i]);
		put(&line, "\"", 1);
	}
	put(&line, "}\n", 2);
	write_all(log_fd, line.s, line.len);
	pthread_mutex_unlock(&log_lock);
	free(line.s);
}

/*
 * A log that already holds runs goes on from its last MAC, so the chain
 * runs through the whole file: removing or replaying a whole run breaks
 * it too.
 */
static void chain_from_file(int fd)
{
	char tail[256], *m;
	off_t end = lseek(fd, 0, SEEK_END);
	ssize_t n;
	int i;

	memset(log_prev, 0, sizeof(log_prev));
	if (end <= 0)
		return;
	n = pread(fd, tail, sizeof(tail) - 1,
		  end > (off_t)sizeof(tail) - 1 ? end - (off_t)sizeof(tail) + 1
						: 0);
	if (n <= 0)
		return;
	tail[n] = '\0';
	m = strstr(tail, ",\"mac\":\"");
	while (m && strstr(m + 1, ",\"mac\":\""))
		m = strstr(m + 1, ",\"mac\":\"");
	if (!m || strlen(m) < 8 + 64)
		return;
	for (i = 0; i < 32; i++) {
		unsigned b;

		if (sscanf(m + 8 + 2 * i, "%2x", &b) != 1)
			return;
		log_prev[i] = b;
	}
}

int tracer_log_open(int fd, const char *run_id, const uint8_t *key)
{
	log_fd = fd;
	log_run = run_id;
	log_keyed = key != NULL;
	if (key)
		memcpy(log_key, key, 32);
	chain_from_file(fd);
	return 0;
}

static void put_verdict(struct buf *b, const struct rules_verdict *v)
{
	put_key(b, "rule");
	put(b, "{\"origin\":", 10);
	put_str(b, v->origin);
	put_key(b, "where");
	put_str(b, v->where);
	put_key(b, "pattern");
	put_str(b, v->pattern);
	putf(b, ",\"default\":%s}", v->is_default ? "true" : "false");
}

static void put_argv(struct buf *b, const char *const *argv, size_t argc)
{
	size_t i;

	put_key(b, "argv");
	put(b, "[", 1);
	for (i = 0; i < argc; i++) {
		if (i)
			put(b, ",", 1);
		put_str(b, argv[i]);
	}
	put(b, "]", 1);
}

static const char *decision_name(const struct tracer_event *e)
{
	if (e->allowed)
		return "allow";
	return e->verdict->action == RULES_ASK ? "ask-denied" : "deny";
}

void tracer_log_decision(const struct tracer_who *w,
			 const struct tracer_event *e)
{
	struct buf b = { 0 };
	int i;

	atomic_fetch_add(&decisions, 1);
	if (!e->allowed)
		atomic_fetch_add(&denials, 1);
	if (log_fd < 0)
		return;
	put_who(&b, w);
	put_key(&b, "syscall");
	put_str(&b, e->syscall);
	put(&b, ",\"args\":[", 9);
	for (i = 0; i < 6 && e->args; i++)
		putf(&b, "%s\"0x%" PRIx64 "\"", i ? "," : "", e->args[i]);
	put(&b, "]", 1);
	putf(&b, ",\"class\":\"%s\"",
	     e->cls_name ? e->cls_name : rules_class_name(e->cls));
	put_key(&b, e->object_key);
	put_str(&b, e->object);
	if (e->object2) {
		put_key(&b, "to");
		put_str(&b, e->object2);
	}
	if (e->name && e->name[0]) {
		put_key(&b, "name");
		put_str(&b, e->name);
	}
	if (e->argv)
		put_argv(&b, e->argv, e->argc);
	putf(&b, ",\"decision\":\"%s\"", decision_name(e));
	put_verdict(&b, e->verdict);
	if (e->created_override)
		put(&b, ",\"created_by_run\":true", 22);
	putf(&b, ",\"latency_us\":%ld", e->latency_us);
	putf(&b, ",\"errno\":%d,\"result\":%ld", e->err,
	     e->err ? -1L : e->result);
	if (e->extra) {
		put(&b, ",", 1);
		put(&b, e->extra, strlen(e->extra));
	}
	emit("decision", &b);
	free(b.s);
}

void tracer_log_lifecycle(const char *event, const struct tracer_who *w,
			  const char *detail_key, const char *detail,
			  int status)
{
	struct buf b = { 0 };

	if (log_fd < 0)
		return;
	put_who(&b, w);
	put_key(&b, "cmdline");
	put_str(&b, w->cmdline);
	if (detail_key) {
		put_key(&b, detail_key);
		put_str(&b, detail);
	}
	if (!strcmp(event, "exit")) {
		if (status >= 0 && status < 256)
			putf(&b, ",\"status\":%d", status);
		else if (status >= 256)
			putf(&b, ",\"signal\":%d", status - 256);
	}
	emit(event, &b);
	free(b.s);
}

void tracer_log_raw(const char *type, const char *json_fields)
{
	struct buf b = { 0 };

	put(&b, ",", 1);
	put(&b, json_fields, strlen(json_fields));
	emit(type, &b);
	free(b.s);
}

uint64_t tracer_log_denials(void)
{
	return atomic_load(&denials);
}

/* The closing record: without it, verify reports the log as cut. */
void tracer_log_end(int status)
{
	char fields[160];

	snprintf(fields, sizeof(fields),
		 "\"exit\":%d,\"decisions\":%" PRIu64 ",\"denials\":%" PRIu64,
		 status, (uint64_t)atomic_load(&decisions),
		 (uint64_t)atomic_load(&denials));
	tracer_log_raw("end", fields);
}
