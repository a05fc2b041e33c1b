/* SPDX-License-Identifier: MIT */
/*
 * Socket addresses: decoding a struct sockaddr copied from the tracee,
 * printing it, and the network entries of a policy:
 *
 *   "127.0.0.1", "::1"           one address, any port
 *   "10.0.0.0/8", "fe80::/10"    a network
 *   "127.0.0.1:8080", "10.0.0.0/8:22", "[::1]:22", "[fe80::/10]:22"
 *   "*", "*:443"                 any IP address (on that port)
 *   "github.com", "*.example.org" domain names (host.c)
 *   "unix:/run/x", "unix:~/s"    unix socket paths, as file patterns
 *   "unix:@name", "unix:@dbus-*" abstract unix socket names (* ? [...])
 *
 * IPv4 is kept in IPv4-mapped form (::ffff:a.b.c.d, RFC 4291 2.5.5.2) so
 * an IPv4 entry also matches an IPv6 socket reaching an IPv4 peer; an IPv4
 * prefix /n is the mapped prefix /(96 + n).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "rules/rules_int.h"

static const uint8_t v4_mapped[12] = { [10] = 0xff, [11] = 0xff };

bool rules_ip_is_v4(const uint8_t ip[16])
{
	return memcmp(ip, v4_mapped, sizeof(v4_mapped)) == 0;
}

void rules_ip_map_v4(uint8_t ip[16], const void *v4)
{
	memcpy(ip, v4_mapped, sizeof(v4_mapped));
	memcpy(ip + 12, v4, 4);
}

/* Whether the first bits bits of a and b are equal. */
static bool prefix_equal(const uint8_t *a, const uint8_t *b, unsigned int bits)
{
	unsigned int full = bits / 8, rest = bits % 8;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));

	if (memcmp(a, b, full) != 0)
		return false;
	return rest == 0 || ((a[full] ^ b[full]) & mask) == 0;
}

/*
 * A connect to 0.0.0.0 or :: reaches this host's loopback (the kernel
 * rewrites it), so it is judged as 127.0.0.1 or ::1 (class 15).
 */
static void unspecified_is_loopback(struct rules_addr *a)
{
	static const uint8_t any6[16], any4[16] = { [10] = 0xff, [11] = 0xff };

	if (!memcmp(a->ip, any6, 16))
		a->ip[15] = 1;
	else if (!memcmp(a->ip, any4, 16)) {
		a->ip[12] = 127;
		a->ip[15] = 1;
	}
}

/*
 * Decoding.  Lengths follow the kernel: inet needs a whole sockaddr_in,
 * inet6 the RFC 2133 size (without sin6_scope_id), unix at most a whole
 * sockaddr_un (unix_validate_addr() in net/unix/af_unix.c).
 */
static int decode_in(const void *sa, size_t len, struct rules_addr *a)
{
	struct sockaddr_in in;

	if (len < sizeof(in))
		return -EINVAL;
	memcpy(&in, sa, sizeof(in));
	a->kind = RULES_ADDR_IP;
	rules_ip_map_v4(a->ip, &in.sin_addr);
	a->port = ntohs(in.sin_port);
	unspecified_is_loopback(a);
	return 0;
}

static int decode_in6(const void *sa, size_t len, struct rules_addr *a)
{
	struct sockaddr_in6 in6 = { 0 };

	if (len < offsetof(struct sockaddr_in6, sin6_scope_id))
		return -EINVAL;
	memcpy(&in6, sa, len < sizeof(in6) ? len : sizeof(in6));
	a->kind = RULES_ADDR_IP;
	memcpy(a->ip, &in6.sin6_addr, sizeof(a->ip));
	a->port = ntohs(in6.sin6_port);
	unspecified_is_loopback(a);
	return 0;
}

/*
 * An abstract name is every byte up to len, NULs included (unix(7)).  A
 * NUL is written "\0" and a backslash "\\", so that "@a" padded with NULs
 * does not pass for "@a", which is another socket.
 */
static void copy_abstract(char *out, const char *name, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (name[i] == '\0' || name[i] == '\\') {
			out[o++] = '\\';
			out[o++] = name[i] ? '\\' : '0';
		} else {
			out[o++] = name[i];
		}
	}
	out[o] = '\0';
}

static int decode_un(const void *sa, size_t len, struct rules_addr *a)
{
	const size_t off = offsetof(struct sockaddr_un, sun_path);
	struct sockaddr_un un;
	size_t n;

	if (len > sizeof(un))
		return -EINVAL;
	if (len <= off) {
		a->kind = RULES_ADDR_UNNAMED;
		return 0;
	}
	memcpy(&un, sa, len);
	n = len - off;

	/* sizeof(sun_path) is 108, so even an escaped name fits path[]. */
	_Static_assert(sizeof(un.sun_path) * 2 < sizeof(a->path),
		       "rules_addr.path too small for an escaped name");
	if (un.sun_path[0] == '\0') {
		a->kind = RULES_ADDR_UNIX_ABSTRACT;
		copy_abstract(a->path, un.sun_path + 1, n - 1);
		return 0;
	}
	/* A path ends at its first NUL, or at len without one. */
	a->kind = RULES_ADDR_UNIX_PATH;
	n = strnlen(un.sun_path, n);
	memcpy(a->path, un.sun_path, n);
	a->path[n] = '\0';
	return 0;
}

int rules_addr_decode(const void *sa, size_t len, struct rules_addr *a)
{
	sa_family_t family;

	if (!sa || !a || len < sizeof(family))
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	memcpy(&family, sa, sizeof(family));

	switch (family) {
	case AF_UNSPEC:
		/* connect(2) with AF_UNSPEC dissolves an association. */
		a->kind = RULES_ADDR_UNNAMED;
		return 0;
	case AF_INET:
		return decode_in(sa, len, a);
	case AF_INET6:
		return decode_in6(sa, len, a);
	case AF_UNIX:
		return decode_un(sa, len, a);
	}
	return -EAFNOSUPPORT;
}

void rules_addr_format(const struct rules_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	int n = (int)strnlen(a->path, sizeof(a->path));

	switch (a->kind) {
	case RULES_ADDR_IP:
		if (rules_ip_is_v4(a->ip)) {
			inet_ntop(AF_INET, a->ip + 12, ip, sizeof(ip));
			snprintf(buf, len, "%s:%u", ip, a->port);
		} else {
			inet_ntop(AF_INET6, a->ip, ip, sizeof(ip));
			snprintf(buf, len, "[%s]:%u", ip, a->port);
		}
		return;
	case RULES_ADDR_UNIX_PATH:
		snprintf(buf, len, "unix:%.*s", n, a->path);
		return;
	case RULES_ADDR_UNIX_ABSTRACT:
		snprintf(buf, len, "unix:@%.*s", n, a->path);
		return;
	case RULES_ADDR_UNNAMED:
		break;
	}
	snprintf(buf, len, "unnamed");
}

/* Entries. */

static int fail(char *msg, size_t len, const char *spec, const char *what)
{
	snprintf(msg, len, "expected %s, got \"%s\"", what, spec);
	return -EINVAL;
}

/* A decimal number in [min, max] filling all of s. */
static bool parse_uint(const char *s, unsigned long min, unsigned long max,
		       unsigned long *out)
{
	char *end;

	if (!isdigit((unsigned char)s[0]) || strlen(s) > 5)
		return false;
	*out = strtoul(s, &end, 10);
	return *end == '\0' && *out >= min && *out <= max;
}

/*
 * Splits "[host]:port", "host:port" (one colon only: more means a bare
 * IPv6 address) and "host" in place.  *port is NULL without a port.
 */
static bool split_port(char *s, char **host, char **port)
{
	char *c;

	*host = s;
	*port = NULL;
	if (s[0] == '[') {
		c = strchr(s, ']');
		if (!c || (c[1] != '\0' && c[1] != ':'))
			return false;
		*c = '\0';
		*host = s + 1;
		if (c[1] == ':')
			*port = c + 2;
		return true;
	}
	c = strchr(s, ':');
	if (c && !strchr(c + 1, ':')) {
		*c = '\0';
		*port = c + 1;
	}
	return true;
}

/*
 * The inverse of rules_addr_format(), for addresses read back from a
 * log: "1.2.3.4:80", "[::1]:22", "unix:/x", "unix:@name" (with the
 * escapes rules_addr_format() keeps).
 */
int rules_addr_parse(const char *text, struct rules_addr *a)
{
	char buf[sizeof(a->path) + 8], *host, *port;
	unsigned long p;
	uint8_t v4[4];

	memset(a, 0, sizeof(*a));
	if (strncmp(text, "unix:", 5) == 0) {
		a->kind = text[5] == '@' ? RULES_ADDR_UNIX_ABSTRACT
					 : RULES_ADDR_UNIX_PATH;
		text += 5 + (text[5] == '@');
		if (strlen(text) >= sizeof(a->path) ||
		    (a->kind == RULES_ADDR_UNIX_PATH && text[0] != '/'))
			return -EINVAL;
		strcpy(a->path, text);
		return 0;
	}
	if (strlen(text) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, text);
	if (!split_port(buf, &host, &port) || !port ||
	    !parse_uint(port, 0, 65535, &p))
		return -EINVAL;
	a->kind = RULES_ADDR_IP;
	a->port = (uint16_t)p;
	if (inet_pton(AF_INET, host, v4) == 1) {
		rules_ip_map_v4(a->ip, v4);
		return 0;
	}
	return inet_pton(AF_INET6, host, a->ip) == 1 ? 0 : -EINVAL;
}

/*
 * A domain name entry rather than an address: a letter, at most one ':'
 * (an IPv6 address has two or more), no brackets and no prefix length.
 */
static bool looks_like_host(const char *s)
{
	const char *colon = strchr(s, ':');
	bool letter = false;

	if (colon && strchr(colon + 1, ':'))
		return false;
	for (; *s && *s != ':'; s++) {
		if (isalpha((unsigned char)*s))
			letter = true;
		else if (*s == '[' || *s == '/')
			return false;
	}
	return letter;
}

/* The address and optional "/LEN" of host into e. */
static int parse_ip(struct rules_entry *e, char *host, const char *spec,
		    char *msg, size_t len)
{
	char *slash = strchr(host, '/');
	unsigned long bits;
	uint8_t v4[4];
	bool is_v4;

	if (slash)
		*slash = '\0';
	if (strcmp(host, "*") == 0 && !slash) {
		e->prefix = 0;
		return 0;
	}

	is_v4 = inet_pton(AF_INET, host, v4) == 1;
	if (is_v4)
		rules_ip_map_v4(e->ip, v4);
	else if (inet_pton(AF_INET6, host, e->ip) != 1)
		return fail(msg, len, spec,
			    "an IP address, a CIDR, \"*\", unix:PATH or a "
			    "domain name");

	e->prefix = 128;
	if (!slash)
		return 0;
	if (!parse_uint(slash + 1, 0, is_v4 ? 32 : 128, &bits))
		return fail(msg, len, spec,
			    is_v4 ? "a prefix length 0-32 after '/'"
				  : "a prefix length 0-128 after '/'");
	e->prefix = (unsigned int)bits + (is_v4 ? 96 : 0);
	return 0;
}

/*
 * "10.1.0.0/8" is more often a typo than a way to write 10.0.0.0/8: say
 * which network it would mean.
 */
static int check_host_bits(const struct rules_entry *e, const char *spec,
			   char *msg, size_t len)
{
	uint8_t net[16] = { 0 };
	char text[INET6_ADDRSTRLEN];
	unsigned int i;

	for (i = 0; i < e->prefix; i++)
		net[i / 8] |= e->ip[i / 8] & (0x80 >> (i % 8));
	if (memcmp(net, e->ip, sizeof(net)) == 0)
		return 0;

	if (rules_ip_is_v4(net))
		inet_ntop(AF_INET, net + 12, text, sizeof(text));
	else
		inet_ntop(AF_INET6, net, text, sizeof(text));
	snprintf(msg, len,
		 "expected a network address with no bits set after the "
		 "prefix length, got \"%s\" (network %s/%u)",
		 spec, text, e->prefix - (rules_ip_is_v4(net) ? 96 : 0));
	return -EINVAL;
}

static int ip_entry(struct rules_entry *e, const char *spec, char *msg,
		    size_t len)
{
	unsigned long port;
	char buf[128], *host, *ps;
	int rc;

	if (strlen(spec) >= sizeof(buf))
		return fail(msg, len, spec, "at most 127 bytes");
	strcpy(buf, spec);
	if (!split_port(buf, &host, &ps))
		return fail(msg, len, spec, "\"[IPV6]\" or \"[IPV6]:PORT\"");
	if (ps && !parse_uint(ps, 1, 65535, &port))
		return fail(msg, len, spec, "a port 1-65535 after ':'");

	rc = parse_ip(e, host, spec, msg, len);
	if (rc == 0)
		rc = check_host_bits(e, spec, msg, len);
	if (rc < 0)
		return rc;
	e->kind = RULES_ENTRY_IP;
	e->has_port = ps != NULL;
	e->port = ps ? (uint16_t)port : 0;
	return 0;
}

/* Fills e from a network entry.  Returns 0, -EINVAL with msg, -ENOMEM. */
int rules_addr_entry(struct rules_entry *e, const char *spec,
		     const struct rules_env *env, char *msg, size_t len)
{
	if (strncmp(spec, "unix:@", 6) == 0) {
		if (!spec[6])
			return fail(msg, len, spec,
				    "an abstract socket name after unix:@");
		e->kind = RULES_ENTRY_ABSTRACT;
		e->name = strdup(spec + 6);
		return e->name ? 0 : -ENOMEM;
	}
	if (strncmp(spec, "unix:", 5) == 0) {
		e->kind = RULES_ENTRY_PATH;
		return rules_glob_compile(e, spec + 5, env, msg, len);
	}
	if (looks_like_host(spec))
		return rules_host_entry(e, spec, msg, len);
	return ip_entry(e, spec, msg, len);
}

/*
 * The specificity with which e matches a, or -1.  pv is a's path cut into
 * components, for unix path addresses.
 */
int rules_addr_entry_match(const struct rules_entry *e,
			   const struct rules_addr *a,
			   const struct rules_pathv *pv)
{
	switch (a->kind) {
	case RULES_ADDR_IP:
		if (e->kind != RULES_ENTRY_IP ||
		    !prefix_equal(e->ip, a->ip, e->prefix) ||
		    (e->has_port && e->port != a->port))
			return -1;
		return (int)(e->prefix << 1 | e->has_port);
	case RULES_ADDR_UNIX_PATH:
		if (e->kind != RULES_ENTRY_PATH)
			return -1;
		return rules_path_entry_match(e, pv, !e->answer);
	case RULES_ADDR_UNIX_ABSTRACT:
		if (e->kind != RULES_ENTRY_ABSTRACT ||
		    fnmatch(e->name, a->path, FNM_NOESCAPE) != 0)
			return -1;
		return rules_name_spec(e->name);
	case RULES_ADDR_UNNAMED:
		break;
	}
	return -1;
}
