/* SPDX-License-Identifier: MIT */
/*
 * The TLS ClientHello at the start of a relayed stream (#8): its server
 * name (SNI) and whether it hides the real one (Encrypted Client Hello).
 * The handshake message may span records, and records reads; the
 * caller keeps what came and asks again with more.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules_int.h"

#define TLS_HELLO_MAX	 65536
#define EXT_SNI		 0x0000
#define EXT_ECH		 0xfe0d
#define EXT_ESNI	 0xffce /* ECH's forerunner: the name encrypted too */
#define TLS_HANDSHAKE	 22
#define TLS_CLIENT_HELLO 1

struct cursor {
	const uint8_t *p;
	size_t n;
};

static bool take(struct cursor *c, size_t n, struct cursor *out)
{
	if (c->n < n)
		return false;
	if (out) {
		out->p = c->p;
		out->n = n;
	}
	c->p += n;
	c->n -= n;
	return true;
}

static bool take_vec(struct cursor *c, size_t lenbytes, struct cursor *out)
{
	size_t n = 0, i;

	if (c->n < lenbytes)
		return false;
	for (i = 0; i < lenbytes; i++)
		n = n << 8 | c->p[i];
	c->p += lenbytes;
	c->n -= lenbytes;
	return take(c, n, out);
}

/* Whether hs (got bytes) holds a whole handshake message. */
static bool whole(const uint8_t *hs, size_t got)
{
	return got >= 4 &&
	       got >= ((size_t)hs[1] << 16 | (size_t)hs[2] << 8 | hs[3]) + 4;
}

/*
 * The handshake bytes of the records in buf, joined into hs (up to
 * size), up to the record that completes the message; out->len is
 * where that record ends.  What follows (early data, or anything) is
 * not read here.
 */
static int join_records(const uint8_t *buf, size_t len, uint8_t *hs,
			size_t size, size_t *got, struct rules_tls_hello *out)
{
	size_t off = 0, rl;

	*got = 0;
	while (off + 5 <= len) {
		if (buf[off] != TLS_HANDSHAKE || buf[off + 1] != 3) {
			out->error = "not a TLS handshake record";
			return -EINVAL;
		}
		rl = (size_t)buf[off + 3] << 8 | buf[off + 4];
		if (off + 5 + rl > len)
			break;
		if (*got + rl > size) {
			out->error = "a ClientHello over 64 KiB";
			return -EINVAL;
		}
		memcpy(hs + *got, buf + off + 5, rl);
		*got += rl;
		off += 5 + rl;
		out->len = off;
		if (whole(hs, *got))
			break;
	}
	return 0;
}

static int server_name(struct cursor ext, struct rules_tls_hello *out)
{
	struct cursor list, name;
	char raw[256];

	if (!take_vec(&ext, 2, &list) || list.n < 3 || list.p[0] != 0)
		return -EINVAL;
	take(&list, 1, NULL);
	/* one name alone (RFC 6066): a server may take another than the
	 * first, the one judged */
	if (!take_vec(&list, 2, &name) || name.n == 0 ||
	    name.n >= sizeof(raw) || list.n != 0)
		return -EINVAL;
	memcpy(raw, name.p, name.n);
	raw[name.n] = '\0';
	if (memchr(raw, '\0', name.n) ||
	    rules_name_canon(raw, out->sni, sizeof(out->sni)) < 0)
		return -EINVAL;
	return 0;
}

static int extensions(struct cursor c, struct rules_tls_hello *out)
{
	struct cursor exts, body, type;

	if (!take_vec(&c, 2, &exts))
		return 0; /* no extensions: no name */
	while (exts.n) {
		if (!take(&exts, 2, &type) || !take_vec(&exts, 2, &body)) {
			out->error = "malformed extensions";
			return -EINVAL;
		}
		unsigned int t = (unsigned int)(type.p[0] << 8 | type.p[1]);

		if (t == EXT_ECH || t == EXT_ESNI)
			out->ech = true;
		if (t == EXT_SNI && (out->sni[0] || server_name(body, out))) {
			out->error = "a malformed or repeated server name";
			return -EINVAL;
		}
	}
	return 0;
}

static int parse(const uint8_t *buf, size_t len, uint8_t *hs,
		 struct rules_tls_hello *out)
{
	struct cursor c, msg;
	size_t got, need;
	int rc;

	rc = join_records(buf, len, hs, TLS_HELLO_MAX, &got, out);
	if (rc < 0)
		return rc;
	if (got >= 1 && hs[0] != TLS_CLIENT_HELLO) {
		out->error = "a handshake that is not a ClientHello";
		return -EINVAL;
	}
	if (got < 4)
		return -EAGAIN;
	need = (size_t)hs[1] << 16 | (size_t)hs[2] << 8 | hs[3];
	if (need + 4 > TLS_HELLO_MAX) {
		out->error = "a ClientHello over 64 KiB";
		return -EINVAL;
	}
	if (got < need + 4)
		return -EAGAIN;
	c = (struct cursor){ hs + 4, need };
	/* version, random, session id, cipher suites, compression */
	if (!take(&c, 34, NULL) || !take_vec(&c, 1, NULL) ||
	    !take_vec(&c, 2, NULL) || !take_vec(&c, 1, &msg)) {
		out->error = "a malformed ClientHello";
		return -EINVAL;
	}
	return extensions(c, out);
}

int rules_tls_hello(const uint8_t *buf, size_t len, struct rules_tls_hello *out)
{
	uint8_t *hs = malloc(TLS_HELLO_MAX);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!hs) {
		out->error = "out of memory";
		return -EINVAL;
	}
	rc = parse(buf, len, hs, out);
	free(hs);
	return rc;
}
