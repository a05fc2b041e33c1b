/* SPDX-License-Identifier: MIT */
/*
 * proctor's HTTP proxy (#8).  Programs that honour HTTP_PROXY and
 * HTTPS_PROXY name the site they want in the request to the proxy
 * (CONNECT host:port, GET http://host/path), so proctor can judge that
 * name by the domain policy without guessing it from an address.
 *
 * Offered when CMD's environment names a proxy, or with --proxy.  The
 * variables (either case) then hold proctor's address, 127.0.0.1 and
 * the relay listener's port; NO_PROXY stays, and what it names is
 * connected to directly and judged as any connect.  A proxy the user
 * had set becomes the upstream: a site proctor allows is reached
 * through it (CONNECT, or the absolute request as the program sent it),
 * so a network that only lets a proxy out keeps working, and the
 * user's proxy sees only names the policy allows.  Without one, proctor
 * resolves the name itself and connects to an address of it that the
 * policy allows there, as for a direct connect.
 *
 * This file: the environment, and dialing a target.  The connection
 * (the request, the answer, what follows it) is the relay's (relay.c).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <openssl/evp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tracer/tracer.h"

#define PROXY_CONNECT_MS 30000
#define PROXY_ANSWER_MAX 8192

/* The user's own proxy for one kind of request. */
struct proxy_up {
	char var[16];	/* the variable that named it */
	char host[256]; /* a name or an address, as written */
	char port[8];
	char auth[512];	 /* "Basic ..." from user:password@, or "" */
	char login[256]; /* "user:password@" as written, or "" */
};

static struct {
	bool on;
	uint16_t port; /* proctor's: the relay listener's */
	/* [0]: plain requests (http_proxy), [1]: tunnels (https_proxy) */
	struct proxy_up up[2];
	bool has_up[2];
	const struct rules_policy *policy;
	bool ask_defaults; /* --ask: a default denial was a question */
} proxy;

static const char *const proxy_vars[] = {
	"http_proxy",  "HTTP_PROXY", "https_proxy",
	"HTTPS_PROXY", "all_proxy",  "ALL_PROXY",
};

/* --- the environment ------------------------------------------------------ */

/* %XX in a URL's user name or password. */
static void unescape(char *s)
{
	char *o = s, hex[3] = { 0 };

	for (; *s; s++) {
		if (s[0] == '%' && isxdigit((unsigned char)s[1]) &&
		    isxdigit((unsigned char)s[2])) {
			memcpy(hex, s + 1, 2);
			*o++ = (char)strtol(hex, NULL, 16);
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static void basic_auth(struct proxy_up *u, const char *user, size_t len)
{
	char plain[256];
	unsigned char b64[360];

	if (len >= sizeof(plain))
		len = sizeof(plain) - 1;
	memcpy(plain, user, len);
	plain[len] = '\0';
	unescape(plain);
	EVP_EncodeBlock(b64, (const unsigned char *)plain, (int)strlen(plain));
	snprintf(u->auth, sizeof(u->auth), "Basic %s", b64);
	OPENSSL_cleanse(plain, sizeof(plain));
}

/*
 * "http://[user:password@]host[:port][/]" or "host[:port]" (the port
 * defaults to 80).  NULL, or what is wrong with it.
 */
static const char *parse_up(const char *val, struct proxy_up *u)
{
	const char *s = val, *at, *end, *colon;
	size_t hl;

	if (strstr(s, "://")) {
		if (strncasecmp(s, "http://", 7) != 0)
			return "proctor's proxy speaks to an http:// proxy "
			       "only";
		s += 7;
	}
	end = s + strcspn(s, "/?#");
	if (*end && strcmp(end, "/") != 0)
		return "a proxy URL with a path";
	at = memrchr(s, '@', (size_t)(end - s));
	if (at) {
		if (memchr(s, ':', (size_t)(at - s)) &&
		    (size_t)(at + 1 - s) < sizeof(u->login))
			snprintf(u->login, sizeof(u->login), "%.*s",
				 (int)(at + 1 - s), s);
		basic_auth(u, s, (size_t)(at - s));
		s = at + 1;
	}
	if (*s == '[') {
		const char *close = memchr(s, ']', (size_t)(end - s));

		if (!close)
			return "an unclosed [ in the host";
		colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
		hl = (size_t)(close - s - 1);
		s++;
	} else {
		colon = memchr(s, ':', (size_t)(end - s));
		hl = (size_t)((colon ? colon : end) - s);
	}
	if (!hl || hl >= sizeof(u->host))
		return "no host";
	memcpy(u->host, s, hl);
	u->host[hl] = '\0';
	snprintf(u->port, sizeof(u->port), "80");
	if (colon) {
		size_t pl = (size_t)(end - colon - 1);

		if (!pl || pl >= sizeof(u->port) ||
		    strspn(colon + 1, "0123456789") < pl)
			return "a port that is not a number";
		memcpy(u->port, colon + 1, pl);
		u->port[pl] = '\0';
	}
	return NULL;
}

/* The value of variable name in envp, or NULL. */
static const char *env_get(char **envp, const char *name)
{
	size_t n = strlen(name);

	for (; *envp; envp++)
		if (!strncmp(*envp, name, n) && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

/*
 * The user's proxy for kind k (0: http, 1: https), from the first of its
 * variables that is set, else from all_proxy.  A value proctor cannot
 * use is reported and left alone: the program then meets the policy at
 * that proxy's address, as without the offer.
 */
static void find_up(char **envp, int k, bool *keep)
{
	static const int order[2][6] = { { 0, 1, 4, 5, -1 },
					 { 2, 3, 4, 5, -1 } };
	const char *val, *why;
	int i, v;

	for (i = 0; (v = order[k][i]) >= 0; i++) {
		val = env_get(envp, proxy_vars[v]);
		if (!val || !*val)
			continue;
		why = parse_up(val, &proxy.up[k]);
		if (why) {
			fprintf(stderr,
				"proctor: %s=%s: %s; left as it is (the "
				"policy judges connects to it)\n",
				proxy_vars[v], val, why);
			keep[v] = true;
			memset(&proxy.up[k], 0, sizeof(proxy.up[k]));
			continue;
		}
		snprintf(proxy.up[k].var, sizeof(proxy.up[k].var), "%s",
			 proxy_vars[v]);
		proxy.has_up[k] = true;
		return;
	}
}

/*
 * Whether variable e holds the password of a proxy proctor took over: in
 * ftp_proxy, npm_config_proxy, a variable of another case (Python reads
 * Https_Proxy), the program would read it.
 */
static bool holds_login(const char *e)
{
	int k;

	for (k = 0; k < 2; k++)
		if (proxy.has_up[k] && proxy.up[k].login[0] &&
		    strstr(e, proxy.up[k].login)) {
			fprintf(stderr,
				"proctor: %.*s holds the password of the proxy "
				"in %s: left out of CMD's environment\n",
				(int)strcspn(e, "="), e, proxy.up[k].var);
			return true;
		}
	return false;
}

/* envp with the proxy variables naming proctor's proxy. */
static char **env_offer(char **envp, const bool *keep)
{
	size_t n = 0, i, j = 0, v;
	char **env;
	bool ours;

	while (envp[n])
		n++;
	env = calloc(n + 7, sizeof(*env));
	if (!env)
		return NULL;
	for (i = 0; i < n; i++) {
		ours = false;
		for (v = 0; v < 6; v++)
			ours |= !keep[v] &&
				!strncmp(envp[i], proxy_vars[v],
					 strlen(proxy_vars[v])) &&
				envp[i][strlen(proxy_vars[v])] == '=';
		if (!ours && !holds_login(envp[i]))
			env[j++] = envp[i];
	}
	/* all_proxy only where it was set: it also means SOCKS to some */
	for (v = 0; v < 6; v++) {
		if (keep[v] || (v >= 4 && !env_get(envp, proxy_vars[v])))
			continue;
		if (asprintf(&env[j++], "%s=http://127.0.0.1:%u", proxy_vars[v],
			     proxy.port) < 0)
			return NULL;
	}
	return env;
}

int tracer_proxy_prepare(const struct tracer_opts *o, char ***envp)
{
	bool keep[6] = { false };
	char **env;
	int err;

	if (o->proxy == TRACER_PROXY_OFF)
		return 0;
	proxy.policy = o->policy;
	proxy.ask_defaults = o->ask_defaults;
	find_up(*envp, 0, keep);
	find_up(*envp, 1, keep);
	if (o->proxy == TRACER_PROXY_AUTO && !proxy.has_up[0] &&
	    !proxy.has_up[1])
		return 0;
	err = tracer_relay_listen(&proxy.port);
	if (err)
		return err;
	env = env_offer(*envp, keep);
	if (!env)
		return -ENOMEM;
	*envp = env;
	proxy.on = true;
	if (o->verbose) {
		char text[200];

		tracer_proxy_describe(text, sizeof(text));
		fprintf(stderr, "proctor: proxy offered: %s\n", text);
	}
	return 0;
}

void tracer_proxy_describe(char *buf, size_t size)
{
	if (!proxy.on) {
		snprintf(buf, size, "none");
		return;
	}
	/* variable names only: a URL may hold the user's password */
	snprintf(buf, size, "http://127.0.0.1:%u; upstream: %s, %s", proxy.port,
		 proxy.has_up[0] ? proxy.up[0].var : "direct",
		 proxy.has_up[1] ? proxy.up[1].var : "direct");
}

bool tracer_proxy_on(void)
{
	return proxy.on;
}

bool tracer_proxy_is(const struct rules_addr *ra)
{
	static const uint8_t lo4[16] = {
		[10] = 0xff, [11] = 0xff, [12] = 127, [15] = 1
	};

	return proxy.on && ra->kind == RULES_ADDR_IP &&
	       ra->port == proxy.port && !memcmp(ra->ip, lo4, 16);
}

/* --- dialing a target ----------------------------------------------------- */

/* A socket connected to ai, waiting 30 s at most; -1 and errno. */
static int dial_addr(const struct addrinfo *ai)
{
	struct pollfd pfd = { .events = POLLOUT };
	socklen_t el = sizeof(int);
	int err = 0;

	pfd.fd = socket(ai->ai_family,
			SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (pfd.fd < 0)
		return -1;
	if (connect(pfd.fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS)
			err = errno;
		else if (poll(&pfd, 1, PROXY_CONNECT_MS) <= 0)
			err = ETIMEDOUT;
		else if (getsockopt(pfd.fd, SOL_SOCKET, SO_ERROR, &err, &el))
			err = errno;
	}
	if (err) {
		close(pfd.fd);
		errno = err;
		return -1;
	}
	return pfd.fd;
}

static int resolve(const char *host, const char *port, bool numeric,
		   struct addrinfo **out, char *why, size_t size)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = numeric ? AI_NUMERICHOST : 0 };
	int rc = getaddrinfo(host, port, &hints, out);

	if (rc)
		snprintf(why, size, "cannot resolve %s: %s", host,
			 gai_strerror(rc));
	return rc ? -1 : 0;
}

/*
 * Whether v is what the user answered for d's name: an entry that asks
 * about it, or with --ask the default (no entry names it).
 */
static bool answered(const struct tracer_proxy_dial *d,
		     const struct rules_verdict *v)
{
	return d->asked &&
	       (v->action == RULES_ASK ||
		(proxy.ask_defaults && v->is_default &&
		 v->action == RULES_DENY && strcmp(v->origin, "proctor") &&
		 strcmp(v->origin, "rules")));
}

/* Whether the policy (or the grant) lets d's name reach ra. */
static bool judge_addr(struct tracer_proxy_dial *d, const struct rules_addr *ra,
		       struct rules_verdict *v)
{
	const char *list[1] = { d->host };
	int which;

	rules_check_connect(proxy.policy, ra, list, d->ip ? 0 : 1, v, &which);
	/* a name answering with this host's address reaches no service */
	if (which >= 0 && v->action != RULES_DENY &&
	    tracer_address_is_local(ra)) {
		rules_check_addr(proxy.policy, ra, v);
		which = -1;
	}
	if (v->action == RULES_ALLOW)
		return true;
	/*
	 * the user answered for the name an entry asks about; for an
	 * address written as the host, or a name no entry names (--ask),
	 * unless it is one a name never grants or this host's
	 */
	if (which >= 0 && d->asked && v->action == RULES_ASK)
		return true;
	if (which < 0 && answered(d, v) && (d->ip || v->is_default) &&
	    !rules_name_cannot_grant(ra) && !tracer_address_is_local(ra))
		return true;
	return tracer_grant_connect(d->grant, ra, d->host, v);
}

/*
 * The addresses proctor resolved d's name to count as answered for it,
 * as the program's own lookups do (names.c): a tunnel to a sibling name
 * behind one of them is then relayed and judged where this name's entry
 * limits HTTP, as a direct connect to it would be.
 */
static void note_names(const struct tracer_proxy_dial *d,
		       const struct addrinfo *ais)
{
	struct rules_addr ra;

	for (; !d->ip && ais; ais = ais->ai_next)
		if (!rules_addr_decode(ais->ai_addr, ais->ai_addrlen, &ra) &&
		    ra.kind == RULES_ADDR_IP)
			tracer_names_add(ra.ip, d->host, 0);
}

/*
 * Directly: the first address of the name that the policy allows and
 * that answers.  Refused when none is allowed (d->verdict says why).
 */
static int dial_direct(struct tracer_proxy_dial *d)
{
	struct addrinfo *ais, *ai;
	struct rules_addr ra;
	struct rules_verdict v;
	char port[8];
	bool told = false;
	int fd = -1;

	/* asking the nameserver about a name tells it the name: judge first */
	if (!d->ip) {
		rules_check_name(proxy.policy, d->host, &d->verdict);
		if (d->verdict.action != RULES_ALLOW &&
		    !answered(d, &d->verdict) &&
		    !tracer_grant_host(d->grant, d->host, d->port, &d->verdict))
			return -1;
	}
	snprintf(port, sizeof(port), "%u", d->port);
	if (resolve(d->host, port, d->ip, &ais, d->why, sizeof(d->why)))
		return -1;
	note_names(d, ais);
	for (ai = ais; ai && fd < 0; ai = ai->ai_next) {
		if (rules_addr_decode(ai->ai_addr, ai->ai_addrlen, &ra) ||
		    ra.kind != RULES_ADDR_IP)
			continue;
		if (!judge_addr(d, &ra, &v)) {
			if (!told && !d->allowed)
				d->verdict = v; /* the first refusal, told */
			told = true;
			continue;
		}
		d->allowed = true;
		d->verdict = v;
		d->addr = ra;
		fd = dial_addr(ai);
		if (fd < 0)
			snprintf(d->why, sizeof(d->why), "%s", strerror(errno));
	}
	freeaddrinfo(ais);
	return fd;
}

/* The user's proxy's answer to CONNECT: a 2xx status, or why not. */
static bool tunnel_open(int fd, struct tracer_proxy_dial *d)
{
	char req[1024], ans[PROXY_ANSWER_MAX], to[300];
	const struct proxy_up *u = &proxy.up[1];
	size_t got = 0;
	ssize_t n;
	int len;

	/* host:port, an IPv6 address in brackets */
	snprintf(to, sizeof(to), strchr(d->host, ':') ? "[%s]:%u" : "%s:%u",
		 d->host, d->port);
	len = snprintf(req, sizeof(req),
		       "CONNECT %s HTTP/1.1\r\nHost: %s\r\n%s%s%s\r\n", to, to,
		       u->auth[0] ? "Proxy-Authorization: " : "", u->auth,
		       u->auth[0] ? "\r\n" : "");
	if (send(fd, req, (size_t)len, MSG_NOSIGNAL) != len)
		goto fail;
	/* byte by byte: what follows the answer's head is the server's */
	while (got < sizeof(ans) - 1) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, PROXY_CONNECT_MS) <= 0)
			break;
		n = recv(fd, ans + got, 1, 0);
		if (n <= 0)
			break;
		got++;
		ans[got] = '\0';
		if (got >= 4 && !memcmp(ans + got - 4, "\r\n\r\n", 4)) {
			if (!strncmp(ans, "HTTP/1.", 7) && got > 12 &&
			    ans[9] == '2')
				return true;
			ans[strcspn(ans, "\r\n")] = '\0';
			snprintf(d->why, sizeof(d->why),
				 "the upstream proxy (%s) answered: %.120s",
				 u->var, ans);
			return false;
		}
	}
fail:
	snprintf(d->why, sizeof(d->why),
		 "the upstream proxy (%s) did not answer CONNECT", u->var);
	return false;
}

/* The name alone: the user's proxy resolves it, out of proctor's sight. */
static bool judge_host(struct tracer_proxy_dial *d, struct rules_verdict *v)
{
	struct addrinfo *ai;
	struct rules_addr ra;

	if (!d->ip) {
		rules_check_host(proxy.policy, d->host, d->port, v);
		if (v->action == RULES_ALLOW || answered(d, v))
			return true;
		return tracer_grant_host(d->grant, d->host, d->port, v);
	}
	if (resolve(d->host, "0", true, &ai, d->why, sizeof(d->why)))
		return false;
	rules_addr_decode(ai->ai_addr, ai->ai_addrlen, &ra);
	freeaddrinfo(ai);
	ra.port = d->port;
	return judge_addr(d, &ra, v);
}

/* Through the user's proxy: the name judged, then its connection. */
static int dial_via(struct tracer_proxy_dial *d)
{
	const struct proxy_up *u = &proxy.up[d->tunnel];
	struct addrinfo *ais, *ai;
	int fd = -1;

	d->via = true;
	d->auth = d->tunnel ? "" : u->auth;
	if (!judge_host(d, &d->verdict))
		return -1;
	d->allowed = true;
	if (resolve(u->host, u->port, false, &ais, d->why, sizeof(d->why)))
		return -1;
	for (ai = ais; ai && fd < 0; ai = ai->ai_next) {
		fd = dial_addr(ai);
		if (fd < 0)
			snprintf(d->why, sizeof(d->why),
				 "the upstream proxy (%s): %s", u->var,
				 strerror(errno));
		else
			rules_addr_decode(ai->ai_addr, ai->ai_addrlen,
					  &d->addr);
	}
	freeaddrinfo(ais);
	if (fd >= 0 && d->tunnel && !tunnel_open(fd, d)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

int tracer_proxy_dial(struct tracer_proxy_dial *d)
{
	d->allowed = false;
	d->why[0] = '\0';
	if (proxy.has_up[d->tunnel])
		return dial_via(d);
	return dial_direct(d);
}
