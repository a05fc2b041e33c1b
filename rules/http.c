/* SPDX-License-Identifier: MIT */
/*
 * HTTP limits of domain entries (#8): the methods, whether interception
 * lets them be enforced on HTTPS, and the streaming request parser the
 * relay judges requests with (tracer/relay.c).
 *
 * The parser is strict where a lenient one would let a request through
 * unjudged (request smuggling): lines end in CRLF, header lines are not
 * folded, a body is delimited by one Content-Length or by chunked
 * transfer coding alone, and a request that changes protocol (Upgrade,
 * CONNECT, the HTTP/2 preface) is refused: what follows it would not be
 * HTTP/1.x requests.  Requests to proctor's proxy (tracer/proxy.c) are
 * parsed with the parser's proxy set: absolute targets, and CONNECT
 * only where the proxy itself opens the tunnel.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules/rules_int.h"

enum state { HEAD, BODY, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILER, BAD };

static const struct {
	const char *name;
	unsigned int bit;
} methods[] = {
	{ "GET", RULES_HTTP_GET },	   { "HEAD", RULES_HTTP_HEAD },
	{ "OPTIONS", RULES_HTTP_OPTIONS }, { "POST", RULES_HTTP_POST },
	{ "PUT", RULES_HTTP_PUT },	   { "DELETE", RULES_HTTP_DELETE },
	{ "PATCH", RULES_HTTP_PATCH },	   { "TRACE", RULES_HTTP_TRACE },
};

unsigned int rules_http_method(const char *tok, size_t len)
{
	size_t i;

	for (i = 0; i < RULES_ARRAY_SIZE(methods); i++)
		if (strlen(methods[i].name) == len &&
		    !memcmp(methods[i].name, tok, len))
			return methods[i].bit;
	return 0;
}

void rules_policy_set_intercept(struct rules_policy *p, bool on)
{
	p->intercept = on;
	p->intercept_origin = "command line"; /* --intercept-tls */
}

bool rules_policy_intercept(const struct rules_policy *p)
{
	return p->intercept;
}

bool rules_policy_relays(const struct rules_policy *p)
{
	const struct rules_list *l = &p->cls[RULES_CONNECT];
	const struct rules_list *x = &p->cls[RULES_EXEC];
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].has_http)
			return true;
	/* a command's grant may limit the names it gives (#6) */
	for (i = 0; i < x->n; i++)
		if (x->v[i].grant && rules_policy_relays(x->v[i].grant->p))
			return true;
	return false;
}

size_t rules_each_network_entry(const struct rules_policy *p,
				bool (*each)(const struct rules_entry *e,
					     void *arg),
				void *arg)
{
	const struct rules_list *l = &p->cls[RULES_CONNECT];
	const struct rules_list *x = &p->cls[RULES_EXEC];
	size_t n = 0, i;

	for (i = 0; i < l->n; i++)
		n += each(&l->v[i], arg);
	/* a command's grant gives names of its own (#6) */
	for (i = 0; i < x->n; i++)
		if (x->v[i].grant)
			n += rules_each_network_entry(x->v[i].grant->p, each,
						      arg);
	return n;
}

struct name_fn {
	void (*fn)(const char *name, void *arg);
	void *arg;
};

static bool limited(const struct rules_entry *e, void *arg)
{
	const struct name_fn *f = arg;

	if (e->kind != RULES_ENTRY_HOST || e->action != RULES_ALLOW ||
	    !e->has_http || e->wild)
		return false;
	f->fn(e->name, f->arg);
	return true;
}

size_t rules_limited_names(const struct rules_policy *p,
			   void (*fn)(const char *name, void *arg), void *arg)
{
	struct name_fn f = { fn, arg };

	return rules_each_network_entry(p, limited, &f);
}

struct entry_fn {
	void (*fn)(const char *origin, const char *where, const char *pattern,
		   void *arg);
	void *arg;
};

static bool unenforceable(const struct rules_entry *e, void *arg)
{
	const struct entry_fn *f = arg;

	/* port 80 is plain HTTP's, whose requests are judged */
	if (!e->has_http || !e->http.methods || (e->has_port && e->port == 80))
		return false;
	f->fn(e->origin, e->where, e->pattern, f->arg);
	return true;
}

size_t rules_http_unenforceable(const struct rules_policy *p,
				void (*fn)(const char *origin,
					   const char *where,
					   const char *pattern, void *arg),
				void *arg)
{
	struct entry_fn f = { fn, arg };

	return p->intercept ? 0
			    : rules_each_network_entry(p, unenforceable, &f);
}

/* --- the request parser ------------------------------------------------ */

void rules_http_init(struct rules_http_parser *p)
{
	memset(p, 0, sizeof(*p));
	p->state = HEAD;
}

static enum rules_http_event bad(struct rules_http_parser *p, const char *why)
{
	p->state = BAD;
	p->error = why;
	return RULES_HTTP_BAD;
}

/*
 * The value of header line (name: value), trimmed, in out; or false.  A
 * value that does not fit comes out empty, which every caller refuses:
 * cut short, it would read as another value (a Content-Length of 300
 * zeros and "40" as 0, where the server reads 40 bytes of body).
 */
static bool header_is(const char *line, size_t len, const char *name, char *out,
		      size_t size)
{
	size_t n = strlen(name), a, b;

	if (len <= n || line[n] != ':' || strncasecmp(line, name, n) != 0)
		return false;
	for (a = n + 1; a < len && (line[a] == ' ' || line[a] == '\t'); a++)
		;
	for (b = len; b > a && (line[b - 1] == ' ' || line[b - 1] == '\t'); b--)
		;
	if (b - a >= size)
		b = a;
	memcpy(out, line + a, b - a);
	out[b - a] = '\0';
	return true;
}

static void printable(char *out, size_t size, const char *s, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 1 < size; i++)
		out[o++] = isgraph((unsigned char)s[i]) && s[i] != '"' &&
					   s[i] != '\\'
				   ? s[i]
				   : '?';
	out[o] = '\0';
}

/*
 * "host:port" or "[v6]:port" (a port required when dflt is 0) into
 * q->to_*: a domain name made canonical, or an IP address literal.
 */
static const char *authority(struct rules_http_req *q, const char *s,
			     size_t len, uint16_t dflt)
{
	char host[256], port[8], ip[16];
	const char *colon = NULL, *h = s;
	size_t hl = len;
	unsigned long n;

	if (memchr(s, '@', len))
		return "a proxy target with a user name";
	if (len && s[0] == '[') {
		const char *close = memchr(s, ']', len);

		if (!close)
			return "a proxy target that is not host:port";
		h = s + 1;
		hl = (size_t)(close - h);
		colon = close + 1 < s + len ? close + 1 : NULL;
		if (colon && *colon != ':')
			return "a proxy target that is not host:port";
	} else if ((colon = memchr(s, ':', len))) {
		hl = (size_t)(colon - s);
	}
	if (!hl || hl >= sizeof(host))
		return "a proxy target without a host";
	memcpy(host, h, hl);
	host[hl] = '\0';
	n = dflt;
	if (colon) {
		size_t pl = len - (size_t)(colon + 1 - s);

		if (!pl || pl >= sizeof(port) ||
		    strspn(colon + 1, "0123456789") < pl)
			return "a proxy target whose port is not a number";
		memcpy(port, colon + 1, pl);
		port[pl] = '\0';
		n = strtoul(port, NULL, 10);
	}
	if (n == 0 || n > 65535)
		return "a proxy target without a port";
	q->to_port = (uint16_t)n;
	q->to_ip = inet_pton(AF_INET, host, ip) == 1 ||
		   inet_pton(AF_INET6, host, ip) == 1;
	if (q->to_ip) {
		snprintf(q->to_host, sizeof(q->to_host), "%s", host);
		return NULL;
	}
	if (s[0] == '[' ||
	    rules_name_canon(host, q->to_host, sizeof(q->to_host)) < 0)
		return "a proxy target that is not a domain name";
	return NULL;
}

/* "http://host[:port]/path": where the proxy sends the request. */
static const char *absolute(struct rules_http_req *q, const char *t, size_t len)
{
	const char *end;
	size_t al;

	if (len < 7 || strncasecmp(t, "http://", 7) != 0)
		return "a proxy target that is not an http:// URL";
	end = t + 7;
	while (end < t + len && *end != '/' && *end != '?')
		end++;
	al = (size_t)(end - t - 7);
	q->target = RULES_HTTP_ABSOLUTE;
	q->prefix_len = (size_t)(end - t);
	printable(q->path, sizeof(q->path), end, len - q->prefix_len);
	if (!q->path[0])
		snprintf(q->path, sizeof(q->path), "/");
	return authority(q, t + 7, al, 80);
}

/* The target of a request line, after the method. */
static const char *target(const struct rules_http_parser *p,
			  struct rules_http_req *q, const char *t, size_t len)
{
	bool connect = !strcmp(q->method, "CONNECT");

	if (!strcmp(q->method, "PRI") || (connect && !p->tunnel))
		return "a request that opens a tunnel or HTTP/2";
	if (connect) {
		q->target = RULES_HTTP_AUTHORITY;
		return authority(q, t, len, 0);
	}
	if (p->proxy)
		return absolute(q, t, len);
	if (t[0] != '/' && strcmp(q->path, "*") != 0)
		return "a target that is not a path (proxy form)";
	return NULL;
}

/* "METHOD SP TARGET SP HTTP/1.x" */
static const char *request_line(const struct rules_http_parser *p,
				struct rules_http_req *q, const char *l,
				size_t len)
{
	const char *sp1 = memchr(l, ' ', len), *sp2;

	if (!sp1)
		return "not an HTTP/1.x request line";
	sp2 = memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - l));
	if (!sp2 || l + len - sp2 != 9 || memcmp(sp2 + 1, "HTTP/1.", 7) ||
	    (sp2[8] != '0' && sp2[8] != '1'))
		return "not an HTTP/1.x request line";
	printable(q->method, sizeof(q->method), l, (size_t)(sp1 - l));
	q->method_bit = rules_http_method(l, (size_t)(sp1 - l));
	printable(q->path, sizeof(q->path), sp1 + 1, (size_t)(sp2 - sp1 - 1));
	return target(p, q, sp1 + 1, (size_t)(sp2 - sp1 - 1));
}

/* The Host value without its port, canonical. */
static const char *host_value(struct rules_http_req *q, const char *v)
{
	char name[256];
	const char *colon = strrchr(v, ':');
	size_t n = colon ? (size_t)(colon - v) : strlen(v);

	if (q->host[0])
		return "more than one Host header";
	if (n >= sizeof(name) || v[0] == '[' ||
	    (colon && (!colon[1] ||
		       strspn(colon + 1, "0123456789") != strlen(colon + 1))))
		return "a Host that is not a domain name and a port";
	memcpy(name, v, n);
	name[n] = '\0';
	if (rules_name_canon(name, q->host, sizeof(q->host)) < 0)
		return "a Host that is not a domain name";
	return NULL;
}

/*
 * A request to a proxy names its server twice: the origin server sees
 * Host, proctor judges the target, so they must agree.  Without Host
 * (HTTP/1.0) the target's is the one judged.
 */
static const char *host_agrees(struct rules_http_req *q)
{
	if (q->target != RULES_HTTP_ABSOLUTE)
		return NULL;
	if (!q->host[0]) {
		snprintf(q->host, sizeof(q->host), "%s", q->to_host);
		q->no_host = true;
	}
	if (strcmp(q->host, q->to_host) != 0)
		return "a Host header that names another server than the "
		       "proxy target";
	return NULL;
}

struct framing {
	bool chunked, has_len;
	uint64_t len;
};

static const char *length_value(struct framing *f, const char *v)
{
	char *end;
	unsigned long long n;

	if (!isdigit((unsigned char)v[0]))
		return "a malformed Content-Length";
	errno = 0;
	n = strtoull(v, &end, 10);
	/* past 64 bits a server may read another length: refused */
	if (*end || errno == ERANGE || (f->has_len && f->len != n))
		return "a malformed or repeated Content-Length";
	f->has_len = true;
	f->len = n;
	return NULL;
}

/* A header name is a token (RFC 9110): "Content-Length :" is not one. */
static bool token(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) &&
		    !strchr("!#$%&'*+-.^_`|~", s[i]))
			return false;
	return len > 0;
}

static const char *header_line(struct rules_http_req *q, struct framing *f,
			       const char *l, size_t len)
{
	const char *colon = memchr(l, ':', len);
	char v[256];

	if (l[0] == ' ' || l[0] == '\t')
		return "a folded header line";
	if (!colon || !token(l, (size_t)(colon - l)))
		return "a header line that is not NAME: VALUE";
	if (header_is(l, len, "host", v, sizeof(v)))
		return host_value(q, v);
	if (header_is(l, len, "content-length", v, sizeof(v)))
		return length_value(f, v);
	if (header_is(l, len, "transfer-encoding", v, sizeof(v))) {
		if (strcasecmp(v, "chunked") != 0 || f->chunked)
			return "a transfer coding other than chunked";
		f->chunked = true;
	}
	if (header_is(l, len, "upgrade", v, sizeof(v)))
		return "a protocol upgrade";
	return NULL;
}

/* Parses the whole head in p->head; sets how its body is delimited. */
static enum rules_http_event parse_head(struct rules_http_parser *p)
{
	struct framing f = { 0 };
	const char *s = p->head, *end = p->head + p->head_len - 2, *eol;
	const char *why = NULL;
	bool first = true;

	memset(&p->req, 0, sizeof(p->req));
	for (; s < end && !why; s = eol + 2, first = false) {
		eol = s;
		while (eol < end && !(eol[0] == '\r' && eol[1] == '\n'))
			eol++;
		if (memchr(s, '\n', (size_t)(eol - s)) ||
		    memchr(s, '\r', (size_t)(eol - s)) ||
		    memchr(s, '\0', (size_t)(eol - s)))
			why = "a bare CR, LF or NUL in the head";
		else if (first)
			why = request_line(p, &p->req, s, (size_t)(eol - s));
		else
			why = header_line(&p->req, &f, s, (size_t)(eol - s));
	}
	if (!why && f.chunked && f.has_len)
		why = "both Content-Length and chunked";
	if (!why)
		why = host_agrees(&p->req);
	if (why)
		return bad(p, why);
	p->head_len = 0;
	p->req.body = f.chunked || (f.has_len && f.len);
	p->left = f.has_len ? f.len : 0;
	p->state = f.chunked ? CHUNK_SIZE : f.has_len && f.len ? BODY : HEAD;
	return RULES_HTTP_REQUEST;
}

/* Collects head bytes up to the empty line. */
static enum rules_http_event take_head(struct rules_http_parser *p,
				       const uint8_t *b, size_t len,
				       size_t *used)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p->head_len == sizeof(p->head))
			return bad(p, "a request head over 16 KiB");
		p->head[p->head_len++] = (char)b[i];
		if (b[i] == '\n' &&
		    (p->head_len < 2 || p->head[p->head_len - 2] != '\r'))
			return bad(p, "a bare LF in the head");
		if (p->head_len == 2 && !memcmp(p->head, "\r\n", 2))
			p->head_len = 0; /* a CRLF between requests */
		if (p->head_len >= 4 &&
		    !memcmp(p->head + p->head_len - 4, "\r\n\r\n", 4)) {
			size_t size = p->head_len;
			enum rules_http_event ev;

			*used = i + 1;
			p->head_len -= 2; /* keep one CRLF: every line ends */
			ev = parse_head(p);
			p->req.head_size = size;
			return ev;
		}
	}
	*used = len;
	return RULES_HTTP_MORE;
}

/*
 * A chunk size line or a trailer line: whole lines, in p->line; -1 too
 * long, -2 a CR, LF or NUL that does not end it.  A server may take a
 * bare LF for a line's end (RFC 9112 2.2): it would end the body where
 * proctor does not, and read what follows as a request of its own.
 */
static int take_line(struct rules_http_parser *p, uint8_t c)
{
	bool after_cr = p->line_len && p->line[p->line_len - 1] == '\r';

	if (c == '\0' || (c == '\n' && !after_cr) || (after_cr && c != '\n'))
		return -2;
	if (p->line_len == sizeof(p->line) - 1)
		return -1;
	p->line[p->line_len++] = (char)c;
	if (p->line_len < 2 || memcmp(p->line + p->line_len - 2, "\r\n", 2))
		return 0;
	p->line[p->line_len - 2] = '\0';
	p->line_len = 0;
	return 1;
}

static enum rules_http_event chunk_byte(struct rules_http_parser *p, uint8_t c)
{
	int rc = take_line(p, c);
	size_t n;

	if (rc == -1)
		return bad(p, "a chunk line too long");
	if (rc < 0)
		return bad(p,
			   "a bare CR, LF or NUL in a chunk or trailer line");
	if (rc == 0)
		return RULES_HTTP_MORE;
	if (p->state == CHUNK_END) {
		if (p->line[0])
			return bad(p, "a chunk not followed by CRLF");
		p->state = CHUNK_SIZE;
	} else if (p->state == TRAILER) {
		/* a field: a token, then a colon */
		const char *colon = strchr(p->line, ':');

		if (p->line[0] &&
		    (!colon || !token(p->line, (size_t)(colon - p->line))))
			return bad(p, "a malformed trailer field");
		p->state = p->line[0] ? TRAILER : HEAD;
	} else {
		/* hex digits alone: strtoull would take "0x5", a server 0 */
		n = strspn(p->line, "0123456789abcdefABCDEF");
		if (!n || (p->line[n] && p->line[n] != ';'))
			return bad(p, "a malformed chunk size");
		errno = 0;
		p->left = strtoull(p->line, NULL, 16);
		if (errno == ERANGE)
			return bad(p, "a chunk size over 64 bits");
		p->state = p->left ? CHUNK_DATA : TRAILER;
	}
	return RULES_HTTP_MORE;
}

enum rules_http_event rules_http_feed(struct rules_http_parser *p,
				      const uint8_t *buf, size_t len,
				      size_t *used)
{
	size_t i = 0, n, step = 0;
	enum rules_http_event ev;

	while (i < len) {
		switch (p->state) {
		case HEAD:
			ev = take_head(p, buf + i, len - i, &step);
			i += step;
			if (ev != RULES_HTTP_MORE) {
				*used = i;
				return ev;
			}
			break;
		case BODY:
		case CHUNK_DATA:
			n = len - i < p->left ? len - i : (size_t)p->left;
			p->left -= n;
			i += n;
			if (!p->left)
				p->state = p->state == BODY ? HEAD : CHUNK_END;
			break;
		case BAD:
			*used = i;
			return RULES_HTTP_BAD;
		default:
			ev = chunk_byte(p, buf[i++]);
			if (ev == RULES_HTTP_BAD) {
				*used = i;
				return ev;
			}
		}
	}
	*used = i;
	return RULES_HTTP_MORE;
}
