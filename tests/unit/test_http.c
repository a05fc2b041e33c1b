/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the relay's judges (#8): the HTTP/1.x request parser,
 * fed whole and byte by byte, and the ClientHello parser.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define Z10  "0000000000"
#define Z100 Z10 Z10 Z10 Z10 Z10 Z10 Z10 Z10 Z10 Z10

/*
 * A stream and what the parser must find in it: the requests' methods
 * and hosts joined as "GET a.test,POST b.test", then "!" if it ends in
 * an error.
 */
static const struct {
	const char *in;
	const char *want;
} streams[] = {
	{ "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n", "GET a.test" },
	{ "GET / HTTP/1.1\r\nHost: A.Test:8080\r\n\r\n", "GET a.test" },
	{ "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n"
	  "POST /x HTTP/1.1\r\nHost: b.test\r\nContent-Length: 5\r\n\r\nhello"
	  "HEAD / HTTP/1.1\r\nHost: c.test\r\n\r\n",
	  "GET a.test,POST b.test,HEAD c.test" },
	{ "POST / HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n"
	  "\r\n5\r\nhello\r\n3;x=y\r\nGET\r\n0\r\nT: 1\r\n\r\n"
	  "GET / HTTP/1.1\r\nHost: b.test\r\n\r\n",
	  "POST a.test,GET b.test" },
	/* a body that looks like a request is a body */
	{ "POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 35\r\n\r\n"
	  "GET / HTTP/1.1\r\nHost: evil.test\r\n\r\n",
	  "POST a.test" },
	{ "GET / HTTP/1.0\r\n\r\n", "GET " },
	{ "GET / HTTP/1.1\nHost: a.test\n\n", "!" },
	{ "GET / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 1\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n",
	  "!" },
	{ "GET / HTTP/1.1\r\nHost: a.test\r\nContent-Length : 5\r\n\r\n", "!" },
	{ "GET / HTTP/1.1\r\nHost: a.test\r\n folded\r\n\r\n", "!" },
	{ "GET / HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n", "!" },
	{ "GET / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 1\r\n"
	  "Content-Length: 2\r\n\r\n",
	  "!" },
	{ "GET / HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: gzip, "
	  "chunked\r\n\r\n",
	  "!" },
	{ "GET / HTTP/1.1\r\nHost: a.test\r\nUpgrade: h2c\r\n\r\n", "!" },
	{ "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "!" },
	{ "CONNECT a.test:443 HTTP/1.1\r\nHost: a.test\r\n\r\n", "!" },
	{ "GET http://b.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n", "!" },
	{ "SSH-2.0-OpenSSH\r\n\r\n", "!" },
	{ "GET / HTTP/1.1\r\nHost: a\x01.test\r\n\r\n", "!" },
	{ "GET / HTTP/1.1\r\nHost: a.test:80@b.test\r\n\r\n", "!" },
	{ "GET / HTTP/1.1\r\nHost: a.test:\r\n\r\n", "!" },
	{ "GET / HTTP/1.1\r\nHost: a.test.:443\r\n\r\n", "GET a.test" },
	/* a value too long to hold is not read cut short: 0 here, 40 there */
	{ "GET / HTTP/1.1\r\nHost: a.test\r\nContent-Length: " Z100 Z100 Z100
	  "40\r\n\r\nGET / HTTP/1.1\r\nX: DELETE /x HTTP/1.1\r\n"
	  "Host: a.test\r\n\r\n",
	  "!" },
	{ "POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length: " Z100
	  "5\r\n\r\nhello",
	  "POST a.test" },
	{ "POST / HTTP/1.1\r\nHost: a.test\r\n"
	  "Content-Length: 18446744073709551621\r\n\r\nhello",
	  "!" },
	{ "POST / HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n"
	  "\r\n0x5\r\nhello\r\n0\r\n\r\n",
	  "POST a.test!" },
	{ "POST / HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n"
	  "\r\n10000000000000005\r\nhello\r\n0\r\n\r\n",
	  "POST a.test!" },
	/*
	 * a bare LF where a server may end a line: in a trailer or a chunk
	 * extension it would end the body early, and what follows would be
	 * a request proctor never judged
	 */
	{ "PUT / HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n"
	  "\r\n0\r\nX: a\n\nDELETE /x HTTP/1.1\r\nHost: a.test\r\n\r\n",
	  "PUT a.test!" },
	{ "PUT / HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n"
	  "\r\n0;a\n\nDELETE /x HTTP/1.1\r\nHost: a.test\r\n\r\n",
	  "PUT a.test!" },
	{ "PUT / HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n"
	  "\r\n5;a\rb\r\nhello\r\n0\r\n\r\n",
	  "PUT a.test!" },
	{ "PUT / HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n"
	  "\r\n0\r\nnot a field\r\n\r\n",
	  "PUT a.test!" },
	{ "PUT / HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n"
	  "\r\n0\r\nX-T: 1\r\n\r\nGET / HTTP/1.1\r\nHost: b.test\r\n\r\n",
	  "PUT a.test,GET b.test" },
};

/*
 * Requests to proctor's proxy (parser's proxy and tunnel set): what it
 * finds as "METHOD to_host:to_port path prefix_len", or "!" and why.
 */
static const struct {
	const char *in;
	const char *want;
} proxied[] = {
	{ "CONNECT A.Test:443 HTTP/1.1\r\nHost: a.test:443\r\n\r\n",
	  "CONNECT a.test:443 A.Test:443 0" },
	{ "CONNECT 10.0.0.1:8443 HTTP/1.1\r\n\r\n",
	  "CONNECT 10.0.0.1:8443 10.0.0.1:8443 0" },
	{ "CONNECT [::1]:443 HTTP/1.1\r\n\r\n", "CONNECT ::1:443 [::1]:443 0" },
	{ "GET http://a.test:8081/x?y HTTP/1.1\r\nHost: a.test:8081\r\n\r\n",
	  "GET a.test:8081 /x?y 18" },
	{ "GET HTTP://a.test HTTP/1.1\r\nHost: a.test\r\n\r\n",
	  "GET a.test:80 / 13" },
	{ "GET http://a.test/ HTTP/1.0\r\n\r\n", "GET a.test:80 / 13" },
	{ "CONNECT a.test HTTP/1.1\r\n\r\n", "!a proxy target without a port" },
	{ "CONNECT u@a.test:443 HTTP/1.1\r\n\r\n",
	  "!a proxy target with a user name" },
	{ "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n",
	  "!a proxy target that is not an http:// URL" },
	{ "GET https://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n",
	  "!a proxy target that is not an http:// URL" },
	{ "GET http://a.test/ HTTP/1.1\r\nHost: b.test\r\n\r\n",
	  "!a Host header that names another server than the proxy target" },
	{ "GET http://a.test:99999/ HTTP/1.1\r\nHost: a.test\r\n\r\n",
	  "!a proxy target without a port" },
	{ "GET http://a_b!.test/ HTTP/1.1\r\n\r\n",
	  "!a proxy target that is not a domain name" },
};

START_TEST(test_proxied)
{
	struct rules_http_parser *p = malloc(sizeof(*p));
	const char *in = proxied[_i].in;
	char out[256];
	size_t used;

	rules_http_init(p);
	p->proxy = p->tunnel = true;
	if (rules_http_feed(p, (const uint8_t *)in, strlen(in), &used) ==
	    RULES_HTTP_REQUEST)
		snprintf(out, sizeof(out), "%s %s:%u %s %zu", p->req.method,
			 p->req.to_host, p->req.to_port, p->req.path,
			 p->req.prefix_len);
	else
		snprintf(out, sizeof(out), "!%s", p->error ? p->error : "?");
	ck_assert_str_eq(out, proxied[_i].want);
	free(p);
}
END_TEST

/*
 * A head after a body, found by the same feed: it ends where the feed
 * stopped and is head_size long, so the relay knows where it starts.
 */
START_TEST(test_head_after_body)
{
	static const char h1[] = "POST / HTTP/1.1\r\nHost: a.test\r\n"
				 "Content-Length: 8\r\n\r\n",
			  h2[] = "GET /next HTTP/1.1\r\nHost: a.test\r\n\r\n";
	struct rules_http_parser *p = malloc(sizeof(*p));
	char in[256];
	size_t len, used, off;

	len = (size_t)snprintf(in, sizeof(in), "%shello a\n\r\n%s", h1, h2);
	rules_http_init(p);
	ck_assert_int_eq(rules_http_feed(p, (const uint8_t *)in, len, &used),
			 RULES_HTTP_REQUEST);
	ck_assert_uint_eq(used, strlen(h1));
	ck_assert_uint_eq(p->req.head_size, strlen(h1));
	off = used;
	ck_assert_int_eq(rules_http_feed(p, (const uint8_t *)in + off,
					 len - off, &used),
			 RULES_HTTP_REQUEST);
	ck_assert_uint_eq(off + used, len);
	ck_assert_uint_eq(p->req.head_size, strlen(h2)); /* no CRLF before */
	ck_assert_str_eq(p->req.path, "/next");
	free(p);
}
END_TEST

static void run(const char *in, size_t step, char *out, size_t size)
{
	struct rules_http_parser *p = malloc(sizeof(*p));
	size_t len = strlen(in), off = 0, used, n;
	enum rules_http_event ev;

	out[0] = '\0';
	rules_http_init(p);
	while (off < len) {
		n = len - off < step ? len - off : step;
		ev = rules_http_feed(p, (const uint8_t *)in + off, n, &used);
		off += used;
		if (ev == RULES_HTTP_BAD) {
			strncat(out, "!", size - strlen(out) - 1);
			break;
		}
		if (ev == RULES_HTTP_REQUEST)
			snprintf(out + strlen(out), size - strlen(out),
				 "%s%s %s", out[0] ? "," : "", p->req.method,
				 p->req.host);
	}
	free(p);
}

START_TEST(test_streams)
{
	char whole[256], bytewise[256];

	run(streams[_i].in, 1 << 20, whole, sizeof(whole));
	run(streams[_i].in, 1, bytewise, sizeof(bytewise));
	ck_assert_str_eq(whole, streams[_i].want);
	ck_assert_str_eq(bytewise, streams[_i].want);
}
END_TEST

/*
 * A ClientHello naming sni (none when NULL; "a|b": a list of two), with
 * the extension ech (ECH 0xfe0d, ESNI 0xffce) when not 0.
 */
static size_t hello(uint8_t *b, const char *sni, unsigned ech, size_t split)
{
	uint8_t body[512];
	const char *bar = sni ? strchr(sni, '|') : NULL;
	size_t n = 0, e,
	       nl = sni ? (bar ? (size_t)(bar - sni) : strlen(sni)) : 0, rec, i,
	       o = 0;

	memcpy(body + n, "\x03\x03", 2);
	n += 2;
	memset(body + n, 7, 32);
	n += 32;
	memcpy(body + n, "\x00\x00\x02\x13\x01\x01\x00", 7);
	n += 7;
	e = n;
	n += 2;
	if (sni) {
		size_t nl2 = bar ? strlen(bar + 1) : 0,
		       more = bar ? 3 + nl2 : 0;
		uint8_t h[9] = { 0,	     0,
				 0,	     (uint8_t)(nl + 5 + more),
				 0,	     (uint8_t)(nl + 3 + more),
				 0,	     0,
				 (uint8_t)nl };
		memcpy(body + n, h, 9);
		memcpy(body + n + 9, sni, nl);
		n += 9 + nl;
		if (bar) {
			uint8_t h2[3] = { 0, 0, (uint8_t)nl2 };

			memcpy(body + n, h2, 3);
			memcpy(body + n + 3, bar + 1, nl2);
			n += 3 + nl2;
		}
	}
	if (ech) {
		uint8_t x[5] = { (uint8_t)(ech >> 8), (uint8_t)ech, 0, 1, 0 };

		memcpy(body + n, x, 5);
		n += 5;
	}
	body[e] = (uint8_t)((n - e - 2) >> 8);
	body[e + 1] = (uint8_t)(n - e - 2);
	/* the handshake message, in records of at most split bytes */
	uint8_t msg[600] = { 1, 0, (uint8_t)(n >> 8), (uint8_t)n };
	memcpy(msg + 4, body, n);
	n += 4;
	for (i = 0; i < n; i += rec) {
		rec = n - i < split ? n - i : split;
		uint8_t h[5] = { 22, 3, 1, (uint8_t)(rec >> 8), (uint8_t)rec };
		memcpy(b + o, h, 5);
		memcpy(b + o + 5, msg + i, rec);
		o += 5 + rec;
	}
	return o;
}

START_TEST(test_client_hello)
{
	struct rules_tls_hello h;
	uint8_t b[2048];
	size_t n = hello(b, "Safe.Test", 0, 4096), i;

	ck_assert_int_eq(rules_tls_hello(b, n, &h), 0);
	ck_assert_str_eq(h.sni, "safe.test");
	ck_assert(!h.ech);
	ck_assert_uint_eq(h.len, n);
	/* what follows the ClientHello is not part of it, nor read */
	memcpy(b + n, "\x17\x03\x03\x00\x01xPOST / HTTP/1.1\r\n", 23);
	ck_assert_int_eq(rules_tls_hello(b, n + 23, &h), 0);
	ck_assert_uint_eq(h.len, n);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(rules_tls_hello(b, i, &h), -EAGAIN);

	n = hello(b, "safe.test", 0xfe0d, 20); /* over many records */
	ck_assert_int_eq(rules_tls_hello(b, n, &h), 0);
	ck_assert_uint_eq(h.len, n);
	ck_assert_str_eq(h.sni, "safe.test");
	ck_assert(h.ech);

	n = hello(b, "safe.test", 0xffce, 4096); /* ESNI */
	ck_assert_int_eq(rules_tls_hello(b, n, &h), 0);
	ck_assert(h.ech);

	/* two names: a server may take the second */
	n = hello(b, "safe.test|denied.test", 0, 4096);
	ck_assert_int_eq(rules_tls_hello(b, n, &h), -EINVAL);

	n = hello(b, NULL, 0, 4096);
	ck_assert_int_eq(rules_tls_hello(b, n, &h), 0);
	ck_assert_str_eq(h.sni, "");

	n = hello(b, "bad name", 0, 4096);
	ck_assert_int_eq(rules_tls_hello(b, n, &h), -EINVAL);
	ck_assert_int_eq(rules_tls_hello((const uint8_t *)"GET / HTTP/1.1", 14,
					 &h),
			 -EINVAL);
}
END_TEST

START_TEST(test_methods)
{
	ck_assert_uint_eq(rules_http_method("GET", 3), RULES_HTTP_GET);
	ck_assert_uint_eq(rules_http_method("OPTIONS", 7), RULES_HTTP_OPTIONS);
	ck_assert_uint_eq(rules_http_method("get", 3), 0);
	ck_assert_uint_eq(rules_http_method("CONNECT", 7), 0);
}
END_TEST

static void count(const char *origin, const char *where, const char *pattern,
		  void *arg)
{
	(void)origin;
	(void)where;
	(void)pattern;
	++*(int *)arg;
}

/* The limits reach the verdict of a connect by name, and policy check. */
START_TEST(test_policy_limits)
{
	struct rules_vars vars = { "/home/u", "/tmp/r", NULL, 0 };
	struct rules_policy *p;
	struct rules_addr a = { .kind = RULES_ADDR_IP, .port = 443 };
	struct rules_verdict v;
	const char *names[] = { "paste.test" }, *other[] = { "x.paste.test" };
	char err[512];
	int which, n = 0;

	ck_assert_int_eq(rules_policy_new(&p, &vars), 0);
	ck_assert(!rules_policy_relays(p));
	ck_assert_int_eq(
		rules_policy_add_json(p,
				      "{\"network\": {\"allow\": ["
				      "{\"pattern\": \"paste.test\", "
				      "\"methods\": [\"GET\", \"HEAD\"], "
				      "\"wire_name\": \"match\"},"
				      "{\"pattern\": \"*.paste.test:80\", "
				      "\"methods\": [\"POST\"]},"
				      "\"x.paste.test\"]}}",
				      "t", NULL, err, sizeof(err)),
		0);
	ck_assert(rules_policy_relays(p));
	rules_ip_map_v4(a.ip, (uint8_t[4]){ 10, 0, 0, 1 });
	rules_check_connect(p, &a, names, 1, &v, &which);
	ck_assert_int_eq(v.action, RULES_ALLOW);
	ck_assert_ptr_nonnull(v.http);
	ck_assert_uint_eq(v.http->methods, RULES_HTTP_GET | RULES_HTTP_HEAD);
	ck_assert(v.http->wire_match);
	rules_check_connect(p, &a, other, 1, &v, &which);
	ck_assert_ptr_null(v.http); /* the exact name, without limits */

	ck_assert_uint_eq(rules_http_unenforceable(p, count, &n), 1);
	ck_assert_int_eq(n, 1);
	rules_policy_set_intercept(p, true);
	ck_assert_uint_eq(rules_http_unenforceable(p, count, &n), 0);
	rules_policy_free(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("relay judges");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_streams, 0, N(streams));
	tcase_add_loop_test(tc, test_proxied, 0, N(proxied));
	tcase_add_test(tc, test_head_after_body);
	tcase_add_test(tc, test_client_hello);
	tcase_add_test(tc, test_methods);
	tcase_add_test(tc, test_policy_limits);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
