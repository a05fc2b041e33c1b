/* SPDX-License-Identifier: MIT */
/*
 * Domain names in network entries, and the verdicts that use them:
 *
 *   "github.com", "github.com:443"   one name (any port, one port)
 *   "*.example.org"                  every name below example.org, at
 *                                    any depth; not example.org itself
 *
 * Names are compared in their canonical form: ASCII, lower case, without
 * the final dot.  A name is a list of labels of letters, digits, '-' and
 * '_', 1 to 63 bytes each, at most 253 bytes in all; anything else (a
 * NUL, a control byte, a space, a percent sign) is not a name, in a
 * policy or in a query (THREATS.md class 16).
 *
 * Precedence: a name entry is more specific when it names more labels; an
 * exact name beats a wildcard over the same labels; with a port beats
 * without.  See rules_check_connect() for how names and addresses meet.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <libpsl.h>
#include <string.h>

#include "rules/rules_int.h"

int rules_name_canon(const char *name, char *out, size_t size)
{
	size_t n = strlen(name), i, label = 0;

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > 253 || n >= size)
		return -EINVAL;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '.') {
			if (label == 0)
				return -EINVAL;
			label = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			if (++label > 63)
				return -EINVAL;
		} else {
			return -EINVAL;
		}
		out[i] = (char)tolower(c);
	}
	if (label == 0)
		return -EINVAL;
	out[n] = '\0';
	return 0;
}

static size_t count_labels(const char *name)
{
	size_t n = 1;

	for (; *name; name++)
		n += *name == '.';
	return n;
}

/* Says what is wrong with name, part of the entry spec. */
static int bad_name(const char *spec, const char *name, char *msg, size_t len)
{
	const char *why = "labels of letters, digits, '-' and '_' "
			  "separated by dots";
	const char *dot, *s;
	size_t label = 0;

	for (s = name; *s; s++) {
		if ((unsigned char)*s >= 0x80)
			why = "ASCII only: write an internationalised name in "
			      "its xn-- form";
		label = *s == '.' ? 0 : label + 1;
		if (label > 63)
			why = "a label of at most 63 bytes";
	}
	dot = strrchr(name, '.');
	if (strlen(name) > (size_t)(253 + (dot && !dot[1])))
		why = "at most 253 bytes";
	if (strstr(spec, "://"))
		why = "a name, not a URL: \"example.org\", not "
		      "\"https://example.org\"";
	snprintf(msg, len,
		 "expected an IP address, a CIDR, \"*\", unix:PATH or a "
		 "domain name (%s), got \"%s\"",
		 why, spec);
	return -EINVAL;
}

/* Fills e from "NAME", "*.NAME", with an optional ":PORT". */
int rules_host_entry(struct rules_entry *e, const char *spec, char *msg,
		     size_t len)
{
	char buf[300], canon[256], *colon, *name = buf, *end;
	unsigned long port = 0;

	if (strlen(spec) >= sizeof(buf) || strstr(spec, "://"))
		goto bad;
	strcpy(buf, spec);

	colon = strchr(buf, ':');
	if (colon) {
		*colon = '\0';
		errno = 0;
		port = strtoul(colon + 1, &end, 10);
		if (!isdigit((unsigned char)colon[1]) || *end || errno ||
		    port < 1 || port > 65535) {
			snprintf(msg, len,
				 "expected a port 1-65535 after ':', got "
				 "\"%s\"",
				 spec);
			return -EINVAL;
		}
	}
	e->wild = strncmp(name, "*.", 2) == 0;
	if (e->wild)
		name += 2;
	if (rules_name_canon(name, canon, sizeof(canon)) < 0)
		return bad_name(spec, name, msg, len);

	e->kind = RULES_ENTRY_HOST;
	e->name = strdup(canon);
	e->has_port = colon != NULL;
	e->port = (uint16_t)port;
	e->prefix = (unsigned int)count_labels(canon);
	return e->name ? 0 : -ENOMEM;
bad:
	return bad_name(spec, spec, msg, len);
}

/*
 * The specificity with which host entry e matches the canonical name,
 * or -1.  port < 0: any port (the question is whether the name may be
 * resolved at all).
 */
static int host_match(const struct rules_entry *e, const char *name, int port)
{
	size_t n, m;

	/* only host entries have a name to measure: IP entries have none */
	if (e->kind != RULES_ENTRY_HOST)
		return -1;
	n = strlen(name);
	m = strlen(e->name);
	if (port >= 0 && e->has_port && e->port != port)
		return -1;
	if (!e->wild && strcmp(name, e->name) != 0)
		return -1;
	if (e->wild && (n <= m + 1 || name[n - m - 1] != '.' ||
			strcmp(name + n - m, e->name) != 0))
		return -1;
	return (int)((e->prefix << 2) | (!e->wild << 1) | e->has_port);
}

/* The best host entry for any of names on port, as in match.c. */
static void best_host(struct rules_best *b, const struct rules_list *l,
		      const char *const *names, size_t n, int port,
		      size_t *which)
{
	const struct rules_entry *e, *before;
	size_t i;

	for (i = 0; i < n; i++) {
		for (e = l->v; e < l->v + l->n; e++) {
			before = b->e;
			rules_consider(b, e, host_match(e, names[i], port));
			if (b->e != before && which)
				*which = i;
		}
	}
}

/*
 * Whether the name may be resolved: some port of it could be reached.
 * A deny entry with a port leaves the other ports, so it does not stop
 * resolution; every other entry counts as for a connect.  With no name
 * entry, an allow for every IP address ("*") or an allowing network
 * default lets every name resolve: the program could reach any address
 * anyway.
 */
void rules_check_name(const struct rules_policy *p, const char *name,
		      struct rules_verdict *out)
{
	const struct rules_list *l = &p->cls[RULES_CONNECT];
	struct rules_best b = { NULL, RULES_SPEC_DEFAULT };
	const struct rules_entry *e;
	char canon[256];

	if (rules_name_canon(name, canon, sizeof(canon)) < 0) {
		rules_refuse(out, "not a domain name");
		return;
	}
	for (e = l->v; e < l->v + l->n; e++) {
		if (e->has_port && e->action == RULES_DENY)
			continue;
		rules_consider(&b, e, host_match(e, canon, -1));
	}
	if (!b.e) {
		for (e = l->v; e < l->v + l->n; e++)
			if (e->kind == RULES_ENTRY_IP && e->prefix == 0)
				rules_consider(&b, e, 0);
		if (b.e && b.e->action != RULES_ALLOW)
			b.e = NULL;
	}
	rules_decide(p, RULES_CONNECT, &b, out);
}

/*
 * A connect to name:port whose address proctor does not see: the user's
 * own proxy resolves it (tracer/proxy.c).  Name entries decide; with none,
 * only an entry allowing every address ("*") or the default does, as for
 * a name that resolves: no entry naming a network can match an address
 * nobody knows.
 */
void rules_check_host(const struct rules_policy *p, const char *name,
		      uint16_t port, struct rules_verdict *out)
{
	const struct rules_list *l = &p->cls[RULES_CONNECT];
	struct rules_best b = { NULL, RULES_SPEC_DEFAULT };
	const struct rules_entry *e;
	const char *names[1] = { name };

	best_host(&b, l, names, 1, port, NULL);
	if (!b.e) {
		for (e = l->v; e < l->v + l->n; e++)
			if (e->kind == RULES_ENTRY_IP && e->prefix == 0 &&
			    (!e->has_port || e->port == port))
				rules_consider(&b, e, 0);
	}
	rules_decide(p, RULES_CONNECT, &b, out);
}

/*
 * Whether the address entry that decides for a allows it and names its
 * port: "10.0.0.1:53" does, "10.0.0.0/8" and a name do not.  For the
 * nameserver, which only such an entry takes from proctor's resolver.
 */
bool rules_addr_port_allowed(const struct rules_policy *p,
			     const struct rules_addr *a)
{
	const struct rules_list *l = &p->cls[RULES_CONNECT];
	struct rules_best b = { NULL, RULES_SPEC_DEFAULT };
	const struct rules_entry *e;
	struct rules_pathv pv = { .n = 0 };

	if (a->kind != RULES_ADDR_IP)
		return false;
	for (e = l->v; e < l->v + l->n; e++)
		rules_consider(&b, e, rules_addr_entry_match(e, a, &pv));
	return b.e && b.e->action == RULES_ALLOW && b.e->has_port;
}

/* Addresses a name never grants: this host and link-local networks. */
bool rules_name_cannot_grant(const struct rules_addr *a)
{
	static const uint8_t lo6[16] = { [15] = 1 };
	const uint8_t *v4 = a->ip + 12;
	bool mapped = rules_ip_is_v4(a->ip);

	/* metadata services outside link-local: AWS IPv6, Alibaba, Azure */
	static const uint8_t ec2[16] = { 0xfd, 0x00,	    0x0e,
					 0xc2, [14] = 0x02, [15] = 0x54 };

	if (mapped)
		return v4[0] == 127 || v4[0] == 0 ||
		       (v4[0] == 169 && v4[1] == 254) ||
		       !memcmp(v4, "\x64\x64\x64\xc8", 4) ||
		       !memcmp(v4, "\xa8\x3f\x81\x10", 4);
	return !memcmp(a->ip, lo6, 16) || !memcmp(a->ip, ec2, 16) ||
	       (a->ip[0] == 0xfe && (a->ip[1] & 0xc0) == 0x80);
}

void rules_check_connect(const struct rules_policy *p,
			 const struct rules_addr *a, const char *const *names,
			 size_t n, struct rules_verdict *out, int *which)
{
	const struct rules_list *l = &p->cls[RULES_CONNECT];
	struct rules_best b = { NULL, RULES_SPEC_DEFAULT };
	size_t i = 0;

	*which = -1;
	rules_check_addr(p, a, out);
	if (a->kind != RULES_ADDR_IP || n == 0)
		return;

	/* An address entry that denies or asks is never overridden. */
	if (!out->is_default && out->action != RULES_ALLOW)
		return;

	best_host(&b, l, names, n, a->port, &i);
	if (!b.e)
		return;
	if (b.e->action == RULES_ALLOW && rules_name_cannot_grant(a))
		return;
	rules_decide(p, RULES_CONNECT, &b, out);
	*which = (int)i;
}

int rules_name_barred(const struct rules_policy *p, const struct rules_addr *a,
		      const char *const *names, size_t n)
{
	struct rules_best b = { NULL, RULES_SPEC_DEFAULT };
	size_t i = 0;

	if (a->kind != RULES_ADDR_IP || n == 0)
		return -1;
	best_host(&b, &p->cls[RULES_CONNECT], names, n, a->port, &i);
	return b.e && b.e->action == RULES_ALLOW ? (int)i : -1;
}

size_t rules_policy_suffix_wildcards(const struct rules_policy *p,
				     void (*fn)(const char *where,
						const char *pattern, void *arg),
				     void *arg)
{
	const struct rules_list *l = &p->cls[RULES_CONNECT];
	const psl_ctx_t *psl = psl_builtin();
	size_t i, n = 0;

	for (i = 0; psl && i < l->n; i++) {
		const struct rules_entry *e = &l->v[i];

		if (e->kind != RULES_ENTRY_HOST || !e->wild ||
		    e->action != RULES_ALLOW ||
		    !psl_is_public_suffix(psl, e->name))
			continue;
		fn(e->where, e->pattern, arg);
		n++;
	}
	return n;
}
