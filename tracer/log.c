/* SPDX-License-Identifier: MIT */
/*
 * The decision log: one JSON object per line, appended under a lock with
 * one write(2) per record, in the order the calls were answered: a
 * record written after its call went on keeps the place it took when
 * answered (tracer_log_turn).  So the file is ordered, never torn, and
 * holds every decision the program saw even if it is killed.  With
 * --log-syslog each record also goes to syslog(3), in the same order.
 * Schema: README.md, "The log".
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <openssl/evp.h>
#include <unistd.h>

#include "tracer/tracer.h"

#define LOG_SCHEMA 2

struct buf {
	char *s;
	size_t len, cap;
};

static int log_fd = -1;
static bool log_syslog;
static const char *log_run;
static uint64_t log_seq;
static atomic_uint_fast64_t denials;
static atomic_uint_fast64_t decisions;
/* under log_lock: the decision records written, and the end written */
static uint64_t logged_decisions, logged_denials;
static bool log_closed;

/* What a record counts for in the closing one. */
enum rec_kind {
	REC_OTHER,
	REC_ALLOWED,
	REC_DENIED,
	REC_END,
};
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
/*
 * Places in the file's order, given out under log_lock: records are
 * written in the order of their places.  A call answered before its
 * record is written takes its place when answered, so its record still
 * comes before that of any later call, which another thread may serve
 * first (the same task's next call, say).
 */
static uint64_t turns_given, turns_done;
static pthread_cond_t turn_done = PTHREAD_COND_INITIALIZER;
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

/* A string literal, without counting it by hand. */
#define put_lit(b, lit) put(b, lit, sizeof(lit) - 1)

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

/*
 * Numbers without printf: a record holds a few dozen of them, and
 * vsnprintf per number was a third of what writing a record cost.
 */
static void put_u64(struct buf *b, uint64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

static void put_i64(struct buf *b, int64_t v)
{
	if (v < 0) {
		put(b, "-", 1);
		put_u64(b, -(uint64_t)v);
	} else {
		put_u64(b, (uint64_t)v);
	}
}

/* "0x1f": lower case, no leading zeros, as "0x%" PRIx64 writes it. */
static void put_hex64(struct buf *b, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[20], *p = tmp + sizeof(tmp);

	do {
		*--p = digits[v & 15];
		v >>= 4;
	} while (v);
	*--p = 'x';
	*--p = '0';
	put(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* Bytes as lower-case hex, two digits each. */
static void put_hex_bytes(struct buf *b, const uint8_t *v, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[128];
	size_t i;

	for (i = 0; i < n && i < sizeof(tmp) / 2; i++) {
		tmp[2 * i] = digits[v[i] >> 4];
		tmp[2 * i + 1] = digits[v[i] & 15];
	}
	put(b, tmp, 2 * i);
}

/*
 * A JSON string.  Bytes that are not UTF-8 (a file name may hold any)
 * become U+FFFD, so the line stays valid JSON and readable; returns false
 * when that happened, and the caller adds the exact bytes (put_field).
 */
static bool put_str(struct buf *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	bool exact = true;

	put_lit(b, "\"");
	while (*s) {
		const unsigned char *run = s;
		size_t n;

		while (*s >= 0x20 && *s < 0x7f && *s != '"' && *s != '\\')
			s++;
		put(b, (const char *)run, (size_t)(s - run));
		if (!*s)
			break;
		n = rules_utf8_len(s);
		if (*s == '"' || *s == '\\') {
			put(b, "\\", 1);
			put(b, (const char *)s, 1);
		} else if (n == 0) {
			put_lit(b, "\\ufffd");
			exact = false;
		} else if (*s < 0x20 || *s == 0x7f) {
			putf(b, "\\u%04x", *s);
		} else {
			put(b, (const char *)s, n);
			s += n;
			continue;
		}
		s++;
	}
	put_lit(b, "\"");
	return exact;
}

static void put_key(struct buf *b, const char *key)
{
	put_lit(b, ",\"");
	put(b, key, strlen(key));
	put_lit(b, "\":");
}

static void put_b64(struct buf *b, const char *s)
{
	size_t n = strlen(s);
	unsigned char *out = malloc(4 * ((n + 2) / 3) + 1);
	int len;

	if (!out) {
		put_lit(b, "\"\""); /* the line stays JSON */
		return;
	}
	len = EVP_EncodeBlock(out, (const unsigned char *)s, (int)n);
	put_lit(b, "\"");
	put(b, (const char *)out, len > 0 ? (size_t)len : 0);
	put_lit(b, "\"");
	free(out);
}

/*
 * ,"key":"value", and when value is not UTF-8 also ,"key_b64":"..." with
 * its exact bytes in base64: the lossless form (README.md, "The log").
 */
static void put_field(struct buf *b, const char *key, const char *value)
{
	char k[64];

	put_key(b, key);
	if (put_str(b, value))
		return;
	snprintf(k, sizeof(k), "%s_b64", key);
	put_key(b, k);
	put_b64(b, value ? value : "");
}

static void put_who(struct buf *b, const struct tracer_who *w)
{
	put_lit(b, ",\"pid\":");
	put_i64(b, w->tgid);
	put_lit(b, ",\"tid\":");
	put_i64(b, w->tid);
	put_lit(b, ",\"ppid\":");
	put_i64(b, w->ppid);
	put_field(b, "comm", w->comm);
	put_field(b, "exe", w->exe);
	if (w->uid >= 0) {
		put_lit(b, ",\"uid\":");
		put_i64(b, w->uid);
	}
	if (w->cwd[0])
		put_field(b, "cwd", w->cwd);
}

/* Called under log_lock, which guards the second last formatted. */
static void put_time(struct buf *b)
{
	static char shown[32];
	static time_t shown_sec = -1;
	struct timespec ts;
	char frac[6];
	struct tm tm;
	long usec;
	int i;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != shown_sec) { /* under log_lock: one writer */
		gmtime_r(&ts.tv_sec, &tm);
		strftime(shown, sizeof(shown), "%Y-%m-%dT%H:%M:%S", &tm);
		shown_sec = ts.tv_sec;
	}
	usec = ts.tv_nsec / 1000;
	for (i = 5; i >= 0; i--, usec /= 10)
		frac[i] = (char)('0' + usec % 10);
	put_lit(b, "\"time\":\"");
	put(b, shown, strlen(shown));
	put_lit(b, ".");
	put(b, frac, sizeof(frac));
	put_lit(b, "Z\"");
}

/*
 * HMAC-SHA-256 (RFC 2104) from two digest states made once per key, its
 * inner and outer pads already taken in: a record then costs a copy of
 * each and its own bytes.  OpenSSL's HMAC contexts, copied per record,
 * took three digest contexts each, and a quarter of a logged fork +
 * exec's time in proctor went to the log's MACs.
 */
static struct {
	pthread_mutex_t lock;
	bool ready;
	uint8_t key[32];
	EVP_MD_CTX *inner, *outer, *work;
} mac = { .lock = PTHREAD_MUTEX_INITIALIZER };

static bool pad_state(EVP_MD_CTX *ctx, const uint8_t key[32], uint8_t fill)
{
	uint8_t pad[64];
	int i;

	memset(pad, fill, sizeof(pad));
	for (i = 0; i < 32; i++)
		pad[i] ^= key[i];
	return EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
	       EVP_DigestUpdate(ctx, pad, sizeof(pad));
}

/* Caller holds mac.lock. */
static bool mac_pads(const uint8_t key[32])
{
	if (mac.ready && !memcmp(mac.key, key, 32))
		return true;
	mac.ready = false;
	if (!mac.inner)
		mac.inner = EVP_MD_CTX_new();
	if (!mac.outer)
		mac.outer = EVP_MD_CTX_new();
	if (!mac.work)
		mac.work = EVP_MD_CTX_new();
	if (!mac.inner || !mac.outer || !mac.work ||
	    !pad_state(mac.inner, key, 0x36) ||
	    !pad_state(mac.outer, key, 0x5c))
		return false;
	memcpy(mac.key, key, 32);
	mac.ready = true;
	return true;
}

void tracer_log_mac(const uint8_t key[32], const uint8_t prev[32],
		    const char *line, size_t len, uint8_t out[32])
{
	uint8_t inner[32];
	unsigned int n;
	bool ok;

	pthread_mutex_lock(&mac.lock);
	ok = mac_pads(key) && EVP_MD_CTX_copy_ex(mac.work, mac.inner) &&
	     EVP_DigestUpdate(mac.work, prev, 32) &&
	     EVP_DigestUpdate(mac.work, line, len) &&
	     EVP_DigestFinal_ex(mac.work, inner, &n) &&
	     EVP_MD_CTX_copy_ex(mac.work, mac.outer) &&
	     EVP_DigestUpdate(mac.work, inner, sizeof(inner)) &&
	     EVP_DigestFinal_ex(mac.work, out, &n);
	pthread_mutex_unlock(&mac.lock);
	if (!ok)
		memset(out, 0, 32); /* a zero MAC: verify will name it */
}

/* Records the log could not take (a full disk, an I/O error). */
static uint64_t log_lost;

/*
 * A disk that fills up does not stop the run: a record that does not
 * fit is taken back whole (no half line for the next to run into) and
 * left out of the MAC chain, the records lost are counted, the first loss is
 * said at once on stderr and the count at the end (tracer_log_lost).  Caller
 * holds log_lock.
 */
static bool write_all(int fd, const char *s, size_t len)
{
	struct stat st;
	off_t start = fstat(fd, &st) == 0 ? st.st_size : -1;
	size_t done = 0;
	ssize_t n;
	int err = 0;

	while (done < len) {
		n = write(fd, s + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? errno : ENOSPC;
			break;
		}
		done += (size_t)n;
	}
	if (done == len)
		return true;
	/* what did go in, unless something else wrote there meanwhile */
	if (done && start >= 0 && fstat(fd, &st) == 0 &&
	    st.st_size == start + (off_t)done && ftruncate(fd, start) < 0)
		err = errno;
	if (log_lost++ == 0)
		fprintf(stderr,
			"proctor: the log cannot take record %" PRIu64
			": %s; the run goes on, and records are lost while "
			"it cannot\n",
			log_seq, strerror(err));
	return false;
}

uint64_t tracer_log_lost(void)
{
	uint64_t n;

	pthread_mutex_lock(&log_lock);
	n = log_lost;
	pthread_mutex_unlock(&log_lock);
	return n;
}

/*
 * Writes one record: the time and sequence number are taken under the
 * lock, so both grow with the file.  With a key, the record ends with a
 * MAC over the previous record's MAC and this record's text, so a
 * changed, removed or reordered line breaks the chain (`proctor log
 * verify`).  syslog gets the same line, under the same lock, so that it
 * sees the records in order too.
 *
 * The closing record counts the decision records written before it, and
 * nothing follows it: a worker still answering a call of a process that
 * was killed at the end (its answer reaches nobody) writes no record.
 */
static void emit_locked(const char *type, struct buf *body, int prio,
			enum rec_kind kind)
{
	struct buf line = { 0 };
	uint8_t mac[32];

	put_lit(&line, "{");
	put_time(&line);
	put_lit(&line, ",\"v\":");
	put_u64(&line, LOG_SCHEMA);
	put_lit(&line, ",\"type\":\"");
	put(&line, type, strlen(type));
	put_lit(&line, "\",\"run\":\"");
	put(&line, log_run, strlen(log_run));
	put_lit(&line, "\",\"seq\":");
	put_u64(&line, ++log_seq);
	put(&line, body->s ? body->s : "", body->len);
	if (kind == REC_END) {
		putf(&line, ",\"decisions\":%" PRIu64 ",\"denials\":%" PRIu64,
		     logged_decisions, logged_denials);
		log_closed = true;
	}
	logged_decisions += kind == REC_ALLOWED || kind == REC_DENIED;
	logged_denials += kind == REC_DENIED;
	if (log_keyed) {
		tracer_log_mac(log_key, log_prev, line.s, line.len, mac);
		put_lit(&line, ",\"mac\":\"");
		put_hex_bytes(&line, mac, sizeof(mac));
		put_lit(&line, "\"");
	}
	put_lit(&line, "}\n");
	/* a record lost leaves the chain where the file has it */
	if ((log_fd < 0 || write_all(log_fd, line.s, line.len)) && log_keyed)
		memcpy(log_prev, mac, 32);
	if (log_syslog)
		syslog(prio, "%.*s", (int)line.len - 1, line.s);
	free(line.s);
}

uint64_t tracer_log_turn(void)
{
	uint64_t turn;

	if (!tracer_log_on())
		return 0;
	pthread_mutex_lock(&log_lock);
	turn = ++turns_given;
	pthread_mutex_unlock(&log_lock);
	return turn;
}

/*
 * Waits for the records before turn.  A place is filled within
 * microseconds of being taken (only the answer to the call comes in
 * between), but should one never be, the log must not stop: after
 * TURN_WAIT_S the places before are given up, and a record that comes
 * after that is written where it arrives (said once on stderr).
 * Caller holds log_lock.
 */
#define TURN_WAIT_S 5

static void wait_turn(uint64_t turn)
{
	static bool said;
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += TURN_WAIT_S;
	while (turns_done + 1 < turn)
		if (pthread_cond_timedwait(&turn_done, &log_lock, &until) ==
			    ETIMEDOUT &&
		    turns_done + 1 < turn) {
			turns_done = turn - 1;
			if (!said)
				fprintf(stderr, "proctor: a log record is "
						"late; the log may hold it "
						"out of order\n");
			said = true;
		}
}

/* Writes the record in its place (turn), or in the next one (0). */
static void emit_at(const char *type, struct buf *body, int prio,
		    enum rec_kind kind, uint64_t turn)
{
	if (!tracer_log_on())
		return;
	pthread_mutex_lock(&log_lock);
	if (!turn)
		turn = ++turns_given;
	wait_turn(turn);
	if (!log_closed)
		emit_locked(type, body, prio, kind);
	if (turn == turns_done + 1) {
		turns_done++;
		pthread_cond_broadcast(&turn_done);
	}
	pthread_mutex_unlock(&log_lock);
}

static void emit(const char *type, struct buf *body, int prio,
		 enum rec_kind kind)
{
	emit_at(type, body, prio, kind, 0);
}

/* The MAC that ends a record (",\"mac\":\"HEX\"}"), and how much of
 * the line it signs; false when the line has none. */
static bool line_mac(const char *line, size_t len, uint8_t mac[32],
		     size_t *signed_len)
{
	static const char field[] = ",\"mac\":\"";
	const char *m;
	int i;

	if (len < sizeof(field) - 1 + 64 + 2 || line[len - 1] != '}')
		return false;
	m = line + len - 2 - 64 - (sizeof(field) - 1);
	if (strncmp(m, field, sizeof(field) - 1))
		return false;
	*signed_len = (size_t)(m - line);
	m += sizeof(field) - 1;
	for (i = 0; i < 32; i++) {
		unsigned b;

		if (sscanf(m + 2 * i, "%2x", &b) != 1)
			return false;
		mac[i] = (uint8_t)b;
	}
	return true;
}

/*
 * A log that already holds runs goes on from its last MAC, so the chain
 * runs through the whole file: removing or replaying a whole run breaks
 * it too.  With a key, that MAC must be this key's, checked against the
 * line before it, and anything proctor cannot check (no MAC, a line
 * longer than any record) is refused too: else anyone, the sandbox
 * included, could write a record into a log file for proctor to vouch
 * for by chaining on.  A last line cut short (proctor was killed) stays
 * as it is, for verify to report; the run goes on after it, on a line of
 * its own, from the last whole record.  Returns -EBADMSG to refuse.
 */
/* fd is proctor's stderr (--log -): other output shares it. */
static bool is_stderr(int fd)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && fstat(STDERR_FILENO, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static int chain_from_file(int fd)
{
	enum { TAIL = 256 * 1024 }; /* more than any record */
	off_t end = lseek(fd, 0, SEEK_END), from;
	uint8_t prev[32] = { 0 }, claimed[32], mac[32];
	char *buf, *nl, *last, *before, *pl;
	int rc = log_keyed ? -EBADMSG : 0;
	size_t signed_len, plen;
	ssize_t n;

	memset(log_prev, 0, sizeof(log_prev));
	if (end <= 0 || is_stderr(fd))
		return 0; /* empty, no file, or --log - (shared output) */
	from = end > TAIL ? end - TAIL : 0;
	buf = malloc(TAIL + 1);
	if (!buf)
		return -ENOMEM;
	n = pread(fd, buf, (size_t)(end - from), from);
	if (n <= 0)
		goto out;
	if (buf[n - 1] != '\n') {
		/* the next record starts a line of its own */
		if (write(fd, "\n", 1) != 1)
			goto out;
		/* a whole record that lost its newline still counts */
		buf[n] = '\0';
		pl = memrchr(buf, '\n', (size_t)n);
		pl = pl ? pl + 1 : buf;
		if (line_mac(pl, strlen(pl), prev, &plen))
			buf[n++] = '\n';
	}
	nl = memrchr(buf, '\n', (size_t)n);
	if (!nl)
		goto out; /* no whole line in sight */
	*nl = '\0';
	before = memrchr(buf, '\n', (size_t)(nl - buf));
	last = before ? before + 1 : buf;
	if ((!before && from > 0) ||
	    !line_mac(last, strlen(last), claimed, &signed_len))
		goto out; /* longer than a record, or no MAC */
	if (before) {
		*before = '\0';
		pl = memrchr(buf, '\n', strlen(buf));
		if (!pl && from > 0)
			goto out; /* the line before is longer than a record */
		pl = pl ? pl + 1 : buf;
		if (!line_mac(pl, strlen(pl), prev, &plen))
			goto out;
	}
	if (log_keyed) {
		tracer_log_mac(log_key, prev, last, signed_len, mac);
		if (memcmp(mac, claimed, 32))
			goto out;
	}
	memcpy(log_prev, claimed, 32);
	rc = 0;
out:
	free(buf);
	return rc;
}

/* Whether syslog(3) has a daemon to reach (it says nothing when not). */
static bool syslog_socket(void)
{
	struct stat st;

	return stat(_PATH_LOG, &st) == 0 && S_ISSOCK(st.st_mode);
}

int tracer_log_open(int fd, const char *run_id, const uint8_t *key,
		    bool to_syslog)
{
	log_fd = fd;
	log_run = run_id;
	log_keyed = key != NULL;
	if (key)
		memcpy(log_key, key, 32);
	if (fd >= 0 && chain_from_file(fd) < 0) {
		log_fd = -1;
		return -EBADMSG;
	}
	/*
	 * LOG_AUTHPRIV: records name files and commands, which belong in
	 * the restricted security log, not the world-readable one.
	 * LOG_NDELAY connects now, before the supervisor confines itself.
	 */
	log_syslog = to_syslog;
	if (to_syslog)
		openlog("proctor", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
	if (to_syslog && !syslog_socket())
		fprintf(stderr,
			"proctor: --log-syslog: no syslog socket at %s (no "
			"syslog daemon or journal here): %s\n",
			_PATH_LOG,
			fd >= 0 ? "records go to the log file alone"
				: "no record of this run is kept");
	return 0;
}

bool tracer_log_on(void)
{
	return log_fd >= 0 || log_syslog;
}

static void put_verdict(struct buf *b, const struct rules_verdict *v)
{
	put_lit(b, ",\"rule\":{\"origin\":");
	put_str(b, v->origin);
	put_field(b, "where", v->where);
	put_field(b, "pattern", v->pattern);
	if (v->is_default)
		put_lit(b, ",\"default\":true}");
	else
		put_lit(b, ",\"default\":false}");
}

/* ,"key":[words], and key_b64 with every word when one is not UTF-8. */
static void put_list(struct buf *b, const char *key, const char *const *words,
		     size_t n)
{
	bool exact = true;
	char k[64];
	size_t i;

	put_key(b, key);
	put_lit(b, "[");
	for (i = 0; i < n; i++) {
		if (i)
			put_lit(b, ",");
		exact &= put_str(b, words[i]);
	}
	put_lit(b, "]");
	if (exact)
		return;
	snprintf(k, sizeof(k), "%s_b64", key);
	put_key(b, k);
	put_lit(b, "[");
	for (i = 0; i < n; i++) {
		if (i)
			put_lit(b, ",");
		put_b64(b, words[i]);
	}
	put_lit(b, "]");
}

/* "stack":[{"pc":..,"obj":..,"off":..,"sym":..},...] and why it ends. */
static void put_stack(struct buf *b, const struct tracer_stack *st)
{
	size_t i;

	put_lit(b, ",\"stack\":[");
	for (i = 0; i < st->n; i++) {
		const struct tracer_frame *f = &st->f[i];

		putf(b, "%s{\"pc\":\"0x%" PRIx64 "\"", i ? "," : "", f->pc);
		if (f->obj[0])
			put_field(b, "obj", f->obj);
		if (f->off)
			putf(b, ",\"off\":\"0x%" PRIx64 "\"", f->off);
		if (f->sym[0])
			put_field(b, "sym", f->sym);
		put_lit(b, "}");
	}
	put_lit(b, "]");
	if (st->cut)
		put_field(b, "stack_cut", st->cut);
	if (st->scanned_from)
		putf(b, ",\"stack_scanned_from\":%zu", st->scanned_from);
}

/*
 * A question's answer and who gave it; a grant's holder and who approved
 * it (#6).
 */
static void put_asked(struct buf *b, const struct tracer_event *e)
{
	if (e->answered_by) {
		put_key(b, "asked");
		put(b, "{\"answer\":", 10);
		put_str(b, e->answer);
		put_key(b, "by");
		put_str(b, e->answered_by);
		putf(b, ",\"wait_ms\":%ld}", e->answer_ms);
	}
	if (e->grant_by) {
		putf(b, ",\"grant\":{\"pid\":%d", e->grant_root);
		put_key(b, "approved_by");
		put_str(b, e->grant_by);
		put(b, "}", 1);
	}
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
	tracer_log_decision_at(w, e, 0);
}

void tracer_log_decision_at(const struct tracer_who *w,
			    const struct tracer_event *e, uint64_t turn)
{
	struct buf b = { 0 };
	int i;

	atomic_fetch_add(&decisions, 1);
	/* counted for "N denied": what was said */
	if (!e->allowed && !tracer_event_unsaid(e))
		atomic_fetch_add(&denials, 1);
	if (!tracer_log_on())
		return;
	put_who(&b, w);
	put_field(&b, "syscall", e->syscall);
	put_lit(&b, ",\"args\":[");
	for (i = 0; i < 6 && e->args; i++) {
		if (i)
			put_lit(&b, ",");
		put_lit(&b, "\"");
		put_hex64(&b, e->args[i]);
		put_lit(&b, "\"");
	}
	put_lit(&b, "]");
	put_key(&b, "class");
	put_str(&b, e->cls_name ? e->cls_name : rules_class_name(e->cls));
	put_field(&b, e->object_key, e->object);
	if (e->object2)
		put_field(&b, "to", e->object2);
	if (e->name && e->name[0])
		put_field(&b, "name", e->name);
	if (e->argv)
		put_list(&b, "argv", e->argv, e->argc);
	if (e->argv_cut)
		put_lit(&b, ",\"argv_cut\":true");
	put_lit(&b, ",\"decision\":\"");
	put(&b, decision_name(e), strlen(decision_name(e)));
	put_lit(&b, "\"");
	put_verdict(&b, e->verdict);
	if (e->created_override)
		put_lit(&b, ",\"created_by_run\":true");
	if (e->is_dir)
		put_lit(&b, ",\"dir\":true");
	if (e->preexisting)
		put_lit(&b, ",\"preexisting\":true");
	if (e->to_special)
		put_lit(&b, ",\"to_special\":true");
	put_asked(&b, e);
	put_lit(&b, ",\"latency_us\":");
	put_i64(&b, e->latency_us);
	put_lit(&b, ",\"errno\":");
	put_i64(&b, e->err);
	put_lit(&b, ",\"result\":");
	put_i64(&b, e->err ? -1L : e->result);
	if (e->unfinished)
		put_lit(&b, ",\"unfinished\":true");
	/* what the kernel answered after us is not ours to know */
	if (e->continued && !e->err)
		put_lit(&b, ",\"continued\":true");
	/* refused, and answered as natively (net.c sort_probe) */
	if (e->sort_probe)
		put_lit(&b, ",\"sort_probe\":true");
	if (e->no_listener)
		put_lit(&b, ",\"no_listener\":true");
	if (e->extra) {
		put_lit(&b, ",");
		put(&b, e->extra, strlen(e->extra));
	}
	if (e->stack)
		put_stack(&b, e->stack);
	if (e->allowed)
		emit_at("decision", &b, LOG_INFO, REC_ALLOWED, turn);
	else
		emit_at("decision", &b, LOG_WARNING, REC_DENIED, turn);
	free(b.s);
}

void tracer_log_lifecycle(const char *event, const struct tracer_who *w,
			  const char *detail_key, const char *detail,
			  int status)
{
	struct buf b = { 0 };

	if (!tracer_log_on())
		return;
	put_who(&b, w);
	put_field(&b, "cmdline", w->cmdline);
	if (detail_key)
		put_field(&b, detail_key, detail);
	if (!strcmp(event, "exit")) {
		if (status >= 0 && status < 256)
			putf(&b, ",\"status\":%d", status);
		else if (status >= 256)
			putf(&b, ",\"signal\":%d", status - 256);
	}
	emit(event, &b, strcmp(event, "exec-mismatch") ? LOG_INFO : LOG_WARNING,
	     REC_OTHER);
	free(b.s);
}

static const char *const stacks_names[] = { "none", "denied", "all" };

const char *tracer_stacks_name(enum tracer_stacks s)
{
	return s <= TRACER_STACKS_ALL ? stacks_names[s] : "?";
}

/* The run's first record: what it was set up with. */
/* How questions are asked in the run (#6). */
static void put_prompt(struct buf *b, const struct tracer_opts *o)
{
	putf(b,
	     ",\"prompt\":{\"terminal\":%s,\"timeout\":%d,"
	     "\"ask_defaults\":%s",
	     tracer_job_foreground() ? "true" : "false", o->prompt_timeout,
	     o->ask_defaults ? "true" : "false");
	if (o->approve_path)
		put_field(b, "socket", o->approve_path);
	put_lit(b, "}");
}

void tracer_log_run(const struct tracer_opts *o, const char *version,
		    char *const *workspaces, size_t n, const char *home,
		    bool permissive)
{
	struct buf b = { 0 };

	put_field(&b, "proctor", version);
	put_field(&b, "policy_sha256", o->policy_hash);
	put_list(&b, "workspaces", (const char *const *)workspaces, n);
	put_field(&b, "tmpdir", o->tmpdir);
	/* what ~ meant, for `proctor learn --from` */
	put_field(&b, "home", home);
	if (permissive)
		put_lit(&b, ",\"permissive\":true");
	put_field(&b, "stacks", tracer_stacks_name(o->stacks));
	put_prompt(&b, o);
	emit("run", &b, LOG_INFO, REC_OTHER);
	free(b.s);
}

void tracer_log_raw(const char *type, const char *json_fields)
{
	struct buf b = { 0 };

	put_lit(&b, ",");
	put(&b, json_fields, strlen(json_fields));
	emit(type, &b, LOG_INFO, REC_OTHER);
	free(b.s);
}

uint64_t tracer_log_denials(void)
{
	return atomic_load(&denials);
}

/* The closing record: without it, verify reports the log as cut. */
/*
 * The supervisor's peak resident size in KiB, or -1.  VmHWM, not
 * getrusage's ru_maxrss, which keeps the peak of whatever process
 * exec()ed proctor (a vfork()ing Python counts its own).
 */
static long peak_rss_kib(void)
{
	char buf[4096], *at;

	if (tracer_proc_read("/proc/self/status", buf, sizeof(buf)) <= 0)
		return -1;
	at = strstr(buf, "\nVmHWM:");
	return at ? strtol(at + 7, NULL, 10) : -1;
}

/* The closing record also says how much memory the supervisor took at
 * its peak (issue 9's bound; tools/bench.sh reads it). */
void tracer_log_end(int status)
{
	struct buf b = { 0 };
	long peak = peak_rss_kib();

	putf(&b, ",\"exit\":%d", status);
	if (peak >= 0)
		putf(&b, ",\"peak_rss_kib\":%ld", peak);
	emit("end", &b, LOG_INFO, REC_END);
	free(b.s);
}
