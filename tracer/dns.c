/* SPDX-License-Identifier: MIT */
/*
 * proctor as the sandbox's only resolver (issue #5, THREATS.md 12, 16).
 *
 * The C library asks a nameserver over UDP and drops an answer that does
 * not come from the address it asked, so a UDP query cannot be answered
 * by anyone else.  Over TCP it checks nothing of the peer.  So:
 *
 *  - a program that opens /etc/resolv.conf reads the host's file with
 *    "options use-vc" added, served from a sealed memfd; glibc then
 *    resolves over TCP;
 *  - its TCP connect() to a nameserver, port 53, is answered by
 *    replacing the socket with one end of a socketpair whose other end
 *    this answerer reads;
 *  - each query is judged by name (rules_check_name): a name the policy
 *    does not allow gets "no such name" and no query leaves the machine;
 *    a name a rule asks about is asked (prompt.c) before anything leaves,
 *    while the query waits here and the other queries go on;
 *    an allowed one is asked upstream with c-ares, under the host's
 *    resolver configuration, and the upstream answer goes back as it
 *    came, TTLs and all, after its addresses were noted (names.c) so
 *    that the connect that follows is judged by the name.
 *
 * A program that queries over UDP anyway (musl, a static binary with its
 * own stub) is refused at its connect or send to port 53: it fails, and
 * nothing leaves.  Only the query's name and type go upstream, in a
 * query proctor builds itself, so nothing else a program puts in its
 * query leaves either.
 *
 * One thread serves every client with poll(2); the receivers hand it new
 * clients through a list and an eventfd.
 */
#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tracer/tracer.h"

#define DNS_MAX_CLIENTS	  1024
#define DNS_MAX_PENDING	  32	       /* queries upstream per client */
#define DNS_MAX_OUT	  (256 * 1024) /* answers a client has not read */
#define DNS_MAX_QUERY	  4096
#define DNS_MAX_NS	  8
#define DNS_CACHE_SLOTS	  256
#define DNS_CACHE_MAX_TTL 300 /* seconds an answer is kept at most */
#define RCODE_SERVFAIL	  2
#define RCODE_NXDOMAIN	  3
#define RCODE_NOTIMP	  4
#define RCODE_REFUSED	  5

struct dns_client {
	int fd;
	pid_t tid;    /* who connected */
	pid_t writer; /* who wrote the last bytes read (SO_PASSCRED) */
	bool eof;     /* it will send no more: answer what it asked */
	uint8_t in[2 + DNS_MAX_QUERY];
	size_t in_len;
	uint8_t *out;
	size_t out_len;
	int pending;
	bool closed; /* the program hung up, or misbehaved */
	struct dns_client *next;
};

/* One question from a client, while upstream answers it. */
struct dns_query {
	struct dns_client *c;
	pid_t pid; /* the process that wrote the query */
	uint8_t id[2];
	char name[TRACER_NAME_MAX];
	int type;
	uint8_t question[DNS_MAX_QUERY]; /* as the client sent it */
	size_t qlen;
	struct timespec arrived;
	struct rules_verdict verdict;
	/* a question about the name (#6) */
	struct tracer_event asked; /* answer, answered_by, answer_ms */
	struct tracer_question *tq;
	int pidfd; /* the asking process, to notice it went away */
	struct dns_query *next;
};

static struct {
	const struct tracer_sup *sup;
	pthread_mutex_t lock;
	struct dns_client *incoming; /* handed over by receivers */
	struct dns_query *answered;  /* questions answered, by the prompt */
	int nclients;		     /* under lock */
	int wake;
	struct dns_client *clients;
	ares_channel ch;
	int resolv_fd; /* memfd: the resolv.conf programs read */
	char resolv_path[4096];
	uint8_t ns[DNS_MAX_NS][16];
	int nns;
	bool on;
} dns = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = -1, .resolv_fd = -1 };

/* --- what programs read as /etc/resolv.conf -------------------------- */

static void note_nameserver(const char *line)
{
	char addr[64];
	uint8_t v4[4];
	uint8_t *ip = dns.ns[dns.nns];

	if (dns.nns == DNS_MAX_NS ||
	    sscanf(line, " nameserver %63s", addr) != 1)
		return;
	if (inet_pton(AF_INET, addr, v4) == 1)
		rules_ip_map_v4(ip, v4);
	else if (inet_pton(AF_INET6, addr, ip) != 1)
		return;
	dns.nns++;
}

/* The host's file, its nameservers noted, with "options use-vc" added. */
static int make_resolv_conf(void)
{
	static const char add[] = "\n# added by proctor: it answers over "
				  "TCP\noptions use-vc\n";
	char line[1024];
	FILE *f = fopen("/etc/resolv.conf", "re");
	int fd = memfd_create("resolv.conf", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0) {
		if (f)
			fclose(f);
		return -errno;
	}
	while (f && fgets(line, sizeof(line), f)) {
		note_nameserver(line);
		if (write(fd, line, strlen(line)) < 0)
			break;
	}
	if (f)
		fclose(f);
	if (write(fd, add, sizeof(add) - 1) < 0 || fchmod(fd, 0444) < 0 ||
	    fcntl(fd, F_ADD_SEALS,
		  F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) <
		    0) {
		close(fd);
		return -errno;
	}
	/* glibc's default when the file names none (resolv.conf(5)) */
	if (dns.nns == 0) {
		rules_ip_map_v4(dns.ns[0], (uint8_t[4]){ 127, 0, 0, 1 });
		dns.nns = 1;
	}
	if (!realpath("/etc/resolv.conf", dns.resolv_path))
		snprintf(dns.resolv_path, sizeof(dns.resolv_path), "%s",
			 "/etc/resolv.conf");
	return fd;
}

bool tracer_dns_resolv_conf(const struct tracer_path *p, int flags, int *fd)
{
	char link[64];

	if (!dns.on || (flags & O_ACCMODE) != O_RDONLY ||
	    flags & (O_CREAT | O_TRUNC | O_DIRECTORY) || p->magic >= 0 ||
	    strcmp(p->path, dns.resolv_path) != 0)
		return false;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", dns.resolv_fd);
	*fd = open(link, O_RDONLY | O_CLOEXEC | (flags & O_NONBLOCK));
	if (*fd < 0)
		*fd = -errno;
	return true;
}

bool tracer_dns_is_nameserver(const struct rules_addr *a)
{
	int i;

	if (!dns.on || a->kind != RULES_ADDR_IP || a->port != 53)
		return false;
	for (i = 0; i < dns.nns; i++)
		if (!memcmp(dns.ns[i], a->ip, 16))
			return true;
	return false;
}

struct hosts_name {
	uint8_t ip[16];
	char name[TRACER_NAME_MAX];
};

/* One line's address and names, appended to *all; false when out of memory. */
static bool hosts_line(char *line, struct hosts_name **all, size_t *n,
		       size_t *room)
{
	char *tok, *save;
	uint8_t ip[16], v4[4];
	struct hosts_name *more;

	line[strcspn(line, "#")] = '\0';
	tok = strtok_r(line, " \t\r\n", &save);
	if (!tok)
		return true;
	if (inet_pton(AF_INET, tok, v4) == 1)
		rules_ip_map_v4(ip, v4);
	else if (inet_pton(AF_INET6, tok, ip) != 1)
		return true;
	while ((tok = strtok_r(NULL, " \t\r\n", &save))) {
		if (*n == *room) {
			more = realloc(*all, (*room ? *room * 2 : 64) *
						     sizeof(**all));
			if (!more)
				return false;
			*all = more;
			*room = *room ? *room * 2 : 64;
		}
		memcpy((*all)[*n].ip, ip, 16);
		if (rules_name_canon(tok, (*all)[*n].name,
				     sizeof((*all)[*n].name)) == 0)
			(*n)++;
	}
	return true;
}

/*
 * Names of /etc/hosts count as answered for the whole run: glibc reads
 * them before it asks any server, so a connect to such an address is
 * judged by its name too.  Lines are read whole (a name cut at a buffer's
 * end would be another name) and may end in CR LF.  They are noted last
 * first: an address's names are found newest first, and a denial names
 * the first found, which should be the one glibc gives first (the
 * file's first).
 */
static void note_hosts_file(void)
{
	struct hosts_name *all = NULL;
	size_t n = 0, room = 0, cap = 0;
	char *line = NULL;
	FILE *f = fopen("/etc/hosts", "re");

	/* the first names, where a user's own entries are: not a block
	 * list's ten thousandth */
	while (f && n < TRACER_NAMES_LASTING && getline(&line, &cap, f) >= 0)
		if (!hosts_line(line, &all, &n, &room))
			break; /* those read so far */
	if (n > TRACER_NAMES_LASTING)
		n = TRACER_NAMES_LASTING;
	free(line);
	if (f)
		fclose(f);
	while (n-- > 0)
		if (!tracer_names_add_lasting(all[n].ip, all[n].name))
			break; /* the rest judged by their address alone */
	free(all);
}

/* --- taking a client ---------------------------------------------------- */

int tracer_dns_attach(pid_t tid, int *theirs)
{
	struct dns_client *c;
	uint64_t one = 1;
	int sv[2];

	if (!dns.on)
		return -ECONNREFUSED;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		free(c);
		return -errno;
	}
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	/* each read says which process wrote: a child may use the socket */
	setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &(int){ 1 }, sizeof(int));
	c->fd = sv[0];
	c->tid = tid;

	pthread_mutex_lock(&dns.lock);
	if (dns.nclients >= DNS_MAX_CLIENTS) {
		pthread_mutex_unlock(&dns.lock);
		close(sv[0]);
		close(sv[1]);
		free(c);
		return -ECONNREFUSED;
	}
	dns.nclients++;
	c->next = dns.incoming;
	dns.incoming = c;
	pthread_mutex_unlock(&dns.lock);
	/* EAGAIN: the counter is full, so the thread is awake anyway */
	(void)!write(dns.wake, &one, sizeof(one));
	*theirs = sv[1];
	return 0;
}

/* --- answers ------------------------------------------------------------- */

static void send_msg(struct dns_client *c, const uint8_t *msg, size_t len)
{
	uint8_t *out;

	if (c->closed)
		return;
	if (c->out_len + len + 2 > DNS_MAX_OUT || len > 65535) {
		c->closed = true; /* it asks and does not read */
		return;
	}
	out = realloc(c->out, c->out_len + len + 2);
	if (!out) {
		c->closed = true;
		return;
	}
	c->out = out;
	out[c->out_len] = (uint8_t)(len >> 8);
	out[c->out_len + 1] = (uint8_t)len;
	memcpy(out + c->out_len + 2, msg, len);
	c->out_len += len + 2;
}

/* An answer with no records: the question back with rcode set. */
static void send_rcode(struct dns_client *c, const uint8_t *q, size_t qlen,
		       int rcode)
{
	uint8_t m[DNS_MAX_QUERY];

	memcpy(m, q, qlen);
	m[2] = (uint8_t)((q[2] & 0x79) | 0x80); /* QR, opcode, RD kept */
	m[3] = (uint8_t)(0x80 | rcode);		/* RA */
	memset(m + 6, 0, 6);			/* no other sections */
	if (qlen == 12)
		m[4] = m[5] = 0; /* nor the question we could not read */
	send_msg(c, m, qlen);
}

static const char *type_name(int type)
{
	static char other[16];

	switch (type) {
	case ns_t_a:
		return "A";
	case ns_t_aaaa:
		return "AAAA";
	case ns_t_cname:
		return "CNAME";
	case ns_t_mx:
		return "MX";
	case ns_t_txt:
		return "TXT";
	case ns_t_srv:
		return "SRV";
	case ns_t_ptr:
		return "PTR";
	case 65:
		return "HTTPS";
	}
	snprintf(other, sizeof(other), "TYPE%d", type);
	return other;
}

/*
 * The query types passed upstream for an allowed name: what programs
 * ask.  Any other type would let a program choose 16 bits of each query
 * that leaves.
 */
static bool type_served(int type)
{
	static const int served[] = { ns_t_a,	     ns_t_ns,	     ns_t_cname,
				      ns_t_soa,	     ns_t_ptr,	     ns_t_mx,
				      ns_t_txt,	     ns_t_aaaa,	     ns_t_srv,
				      ns_t_naptr,    ns_t_sshfp,     ns_t_tlsa,
				      64 /* SVCB */, 65 /* HTTPS */, ns_t_caa };
	size_t i;

	for (i = 0; i < sizeof(served) / sizeof(served[0]); i++)
		if (served[i] == type)
			return true;
	return false;
}

static const char *rcode_name(int rcode)
{
	static const char *const names[] = { "NOERROR",	 "FORMERR", "SERVFAIL",
					     "NXDOMAIN", "NOTIMP",  "REFUSED" };

	return rcode >= 0 && rcode < 6 ? names[rcode] : "OTHER";
}

/* The decision record, and the line on stderr for a refused name. */
static void record(struct dns_query *q, bool allowed, int rcode,
		   const char *more)
{
	struct tracer_event ev = {
		.syscall = "resolve",
		.cls = RULES_CONNECT,
		.cls_name = "resolve",
		.object = q->name,
		.object_key = "name",
		.verdict = &q->verdict,
		.allowed = allowed,
		.answer = q->asked.answer,
		.answered_by = q->asked.answered_by,
		.answer_ms = q->asked.answer_ms,
	};
	struct tracer_who w;
	struct timespec t;
	char *extra = NULL;

	if (dns.sup->o->log_fd < 0 && allowed)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t);
	ev.latency_us = (t.tv_sec - q->arrived.tv_sec) * 1000000 +
			(t.tv_nsec - q->arrived.tv_nsec) / 1000;
	if (asprintf(&extra, "\"qtype\":\"%s\",\"rcode\":\"%s\"%s",
		     type_name(q->type), rcode_name(rcode),
		     more ? more : "") < 0)
		extra = NULL;
	ev.extra = extra;
	ev.err = allowed ? 0 : ENOENT;
	tracer_proc_who(q->pid, &w);
	if (dns.sup->o->log_fd >= 0)
		tracer_proc_who_now(q->pid, &w);
	tracer_log_decision(&w, &ev);
	if (!allowed && !dns.sup->o->quiet)
		tracer_explain_denial(&w, &ev);
	free(extra);
}

/* What an A or AAAA answer holds: its addresses and its CNAME chain. */
struct answer {
	int n;
	uint8_t (*ip)[16]; /* IPv4-mapped for A */
	uint32_t *ttl;
	struct hostent *host; /* h_name and h_aliases: the chain */
};

static void answer_free(struct answer *a)
{
	free(a->ip);
	free(a->ttl);
	if (a->host)
		ares_free_hostent(a->host);
}

static int parse_answer(const struct dns_query *q, const uint8_t *abuf,
			int alen, struct answer *a)
{
	int max = alen / 16 + 1, i, rc = ARES_ENODATA;
	struct ares_addrttl *a4 = calloc((size_t)max, sizeof(*a4));
	struct ares_addr6ttl *a6 = calloc((size_t)max, sizeof(*a6));

	memset(a, 0, sizeof(*a));
	a->ip = calloc((size_t)max, sizeof(*a->ip));
	a->ttl = calloc((size_t)max, sizeof(*a->ttl));
	a->n = max;
	if (a4 && a6 && a->ip && a->ttl && q->type == ns_t_a)
		rc = ares_parse_a_reply(abuf, alen, &a->host, a4, &a->n);
	else if (a4 && a6 && a->ip && a->ttl && q->type == ns_t_aaaa)
		rc = ares_parse_aaaa_reply(abuf, alen, &a->host, a6, &a->n);
	if (rc != ARES_SUCCESS)
		a->n = 0;
	for (i = 0; i < a->n; i++) {
		if (q->type == ns_t_a) {
			rules_ip_map_v4(a->ip[i], &a4[i].ipaddr);
			a->ttl[i] = (uint32_t)a4[i].ttl;
		} else {
			memcpy(a->ip[i], &a6[i].ip6addr, 16);
			a->ttl[i] = (uint32_t)a6[i].ttl;
		}
	}
	free(a4);
	free(a6);
	return rc;
}

/*
 * A name of the CNAME chain that an entry denies (not merely one no
 * entry allows: CDN names are rarely listed), or NULL.  Fills v.
 */
static bool asked_at_connect(const struct dns_query *q);

/*
 * Whether an entry denies name.  A grant of the asking process may allow
 * it, and the name asked about, on an ask list, was allowed by the
 * user's answer or is asked about at the connect (#6).
 */
static bool name_denied(const struct dns_query *q, const char *name,
			struct rules_verdict *v)
{
	char canon[TRACER_NAME_MAX];

	rules_check_name(dns.sup->o->policy, name, v);
	if (v->is_default || v->action == RULES_ALLOW ||
	    tracer_grant_name(q->pid, name, v))
		return false;
	return !((asked_at_connect(q) || q->asked.answer) &&
		 rules_name_canon(name, canon, sizeof(canon)) == 0 &&
		 !strcmp(canon, q->name));
}

static const char *chain_denied(const struct dns_query *q,
				const struct answer *a, struct rules_verdict *v)
{
	char **alias;

	if (!a->host)
		return NULL;
	for (alias = a->host->h_aliases; alias && *alias; alias++)
		if (name_denied(q, *alias, v))
			return *alias;
	if (name_denied(q, a->host->h_name, v))
		return a->host->h_name;
	return NULL;
}

/*
 * A name from an upstream answer as a JSON string: c-ares escapes odd
 * bytes its own way, so anything but a name's own characters is '?'.
 */
static void put_name(FILE *f, const char *name)
{
	fputc('"', f);
	for (; *name; name++)
		fputc(isalnum((unsigned char)*name) || strchr("-_.*", *name)
			      ? *name
			      : '?',
		      f);
	fputc('"', f);
}

/* The log's view of an answer: addresses, TTL and the CNAME chain. */
static char *describe(const struct dns_query *q, const struct answer *a,
		      bool cached)
{
	char text[INET6_ADDRSTRLEN], *out = NULL, **alias;
	uint32_t ttl = UINT32_MAX;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);
	int i;

	if (!f)
		return NULL;
	fputs(",\"answers\":[", f);
	for (i = 0; i < a->n; i++) {
		bool v4 = q->type == ns_t_a;

		inet_ntop(v4 ? AF_INET : AF_INET6, a->ip[i] + (v4 ? 12 : 0),
			  text, sizeof(text));
		fprintf(f, "%s\"%s\"", i ? "," : "", text);
		if (a->ttl[i] < ttl)
			ttl = a->ttl[i];
	}
	fputs("]", f);
	if (a->n)
		fprintf(f, ",\"ttl\":%u", ttl);
	if (a->host && a->host->h_aliases && a->host->h_aliases[0]) {
		fputs(",\"cname\":[", f);
		for (alias = a->host->h_aliases; *alias; alias++) {
			put_name(f, *alias);
			fputc(',', f);
		}
		put_name(f, a->host->h_name);
		fputc(']', f);
	}
	if (cached)
		fputs(",\"cached\":true", f);
	fclose(f);
	return out;
}

static void client_release(struct dns_client *c)
{
	c->pending--;
}

static void cache_put(const struct dns_query *q, const uint8_t *m, size_t len);

/*
 * Passes an answer on, or "no such name" when its chain names what an
 * entry denies; cached: it came from the cache, not from upstream.
 */
static void relay(struct dns_query *q, unsigned char *abuf, int alen,
		  bool cached)
{
	struct rules_verdict v;
	struct answer a;
	const char *denied;
	char *more;
	int i;

	parse_answer(q, abuf, alen, &a);
	more = describe(q, &a, cached);
	denied = chain_denied(q, &a, &v);
	if (denied) {
		q->verdict = v;
		record(q, false, RCODE_NXDOMAIN, more);
		send_rcode(q->c, q->question, q->qlen, RCODE_NXDOMAIN);
	} else {
		/* addresses first: the connect may come right after */
		for (i = 0; i < a.n; i++)
			tracer_names_add(a.ip[i], q->name, a.ttl[i]);
		if (!cached)
			cache_put(q, abuf, (size_t)alen);
		record(q, true, abuf[3] & 0x0f, more);
		abuf[0] = q->id[0];
		abuf[1] = q->id[1];
		send_msg(q->c, abuf, (size_t)alen);
	}
	free(more);
	answer_free(&a);
}

static void on_upstream(void *arg, int status, int timeouts,
			unsigned char *abuf, int alen)
{
	struct dns_query *q = arg;

	(void)timeouts;
	if (status == ARES_EDESTRUCTION) {
		client_release(q->c);
		free(q);
		return;
	}
	if (!abuf || alen < 12) {
		record(q, true, RCODE_SERVFAIL, NULL);
		send_rcode(q->c, q->question, q->qlen, RCODE_SERVFAIL);
	} else {
		relay(q, abuf, alen, false);
	}
	client_release(q->c);
	free(q);
}

/* --- questions ---------------------------------------------------------- */

/*
 * The name of a query's one question as text, and the offset past its
 * type and class.  Labels must be letters, digits, '-' and '_' (a NUL, a
 * dot or a control byte inside a label is refused by rules_name_canon
 * after this turns them into text); compression is refused: a query has
 * nothing to point back to.
 */
static int parse_question(const uint8_t *m, size_t len, char *name, size_t size,
			  int *type, int *class)
{
	size_t off = 12, o = 0;

	while (off < len && m[off] != 0) {
		size_t l = m[off];

		if (l > 63 || off + 1 + l >= len || o + l + 2 > size)
			return -1;
		if (o)
			name[o++] = '.';
		memcpy(name + o, m + off + 1, l);
		if (memchr(name + o, '\0', l) || memchr(name + o, '.', l))
			return -1;
		o += l;
		off += 1 + l;
	}
	if (off + 5 > len)
		return -1;
	name[o] = '\0';
	*type = m[off + 1] << 8 | m[off + 2];
	*class = m[off + 3] << 8 | m[off + 4];
	return (int)(off + 5);
}

/*
 * A name an ask entry names exactly resolves: the question comes at the
 * connect, which is judged by that name (#6), and the query carries
 * nothing the policy's own text did not.  A wildcard ask entry, or a
 * default that --ask makes a question, would let labels out unasked: those
 * are asked here, before any query leaves (ask_name).
 */
static bool asked_at_connect(const struct dns_query *q)
{
	const struct rules_verdict *v = &q->verdict;

	return v->action == RULES_ASK && !v->is_default &&
	       strncmp(v->pattern, "*.", 2) != 0;
}

/* "No such name", and nothing leaves. */
static void refuse(struct dns_query *q)
{
	record(q, false, RCODE_NXDOMAIN, NULL);
	send_rcode(q->c, q->question, q->qlen, RCODE_NXDOMAIN);
	free(q);
}

/* --- answers kept ------------------------------------------------------- */

/*
 * Answers are kept for their TTL (at most DNS_CACHE_MAX_TTL), so that a
 * program resolving one name again and again (a package manager, a
 * crawler) is not answered after a round trip upstream each time, as
 * the C library, which keeps nothing, would otherwise make it.  A kept
 * answer is judged again as it is served (its chain, by the policy of
 * that moment), its TTLs lowered by the time it was kept, and its
 * addresses noted again for the connects that follow.  One slot per hash
 * of name and type: a collision replaces.  Only the resolver's thread
 * uses it.
 */
static struct dns_kept {
	char name[TRACER_NAME_MAX]; /* as rules_name_canon made it */
	int type;
	uint8_t *msg;
	size_t len;
	time_t at;    /* CLOCK_MONOTONIC seconds it came */
	uint32_t ttl; /* the smallest of its records' */
} kept[DNS_CACHE_SLOTS];

static time_t mono_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec;
}

static struct dns_kept *kept_slot(const char *name, int type)
{
	uint32_t h = 2166136261u ^ (uint32_t)type;

	for (; *name; name++)
		h = (h ^ (uint8_t)*name) * 16777619u;
	return &kept[h % DNS_CACHE_SLOTS];
}

/* The offset past the (maybe compressed) name at off, or 0. */
static size_t skip_name(const uint8_t *m, size_t len, size_t off)
{
	while (off < len) {
		uint8_t l = m[off];

		if (l == 0)
			return off + 1;
		if ((l & 0xc0) == 0xc0)
			return off + 2 <= len ? off + 2 : 0;
		if (l & 0xc0)
			return 0;
		off += 1 + (size_t)l;
	}
	return 0;
}

/*
 * Walks an answer's records: the smallest TTL into *min and, when age
 * is not 0, each TTL lowered by age.  OPT's TTL field holds flags, not a
 * time: it is left alone.  False when the message does not parse.
 */
static bool walk_ttls(uint8_t *m, size_t len, uint32_t age, uint32_t *min)
{
	size_t off = 12, n;
	unsigned qd, rr;

	if (len < 12)
		return false;
	qd = (unsigned)(m[4] << 8 | m[5]);
	rr = (unsigned)(m[6] << 8 | m[7]) + (unsigned)(m[8] << 8 | m[9]) +
	     (unsigned)(m[10] << 8 | m[11]);
	*min = UINT32_MAX;
	for (; qd; qd--) {
		off = skip_name(m, len, off);
		if (!off || (off += 4) > len)
			return false;
	}
	for (; rr; rr--) {
		uint8_t *t;
		uint32_t ttl;

		off = skip_name(m, len, off);
		if (!off || off + 10 > len)
			return false;
		t = m + off + 4;
		n = (size_t)(m[off + 8] << 8 | m[off + 9]);
		if ((m[off] << 8 | m[off + 1]) != ns_t_opt) {
			ttl = (uint32_t)t[0] << 24 | (uint32_t)t[1] << 16 |
			      (uint32_t)t[2] << 8 | t[3];
			ttl = ttl > age ? ttl - age : 0;
			t[0] = (uint8_t)(ttl >> 24);
			t[1] = (uint8_t)(ttl >> 16);
			t[2] = (uint8_t)(ttl >> 8);
			t[3] = (uint8_t)ttl;
			if (ttl < *min)
				*min = ttl;
		}
		off += 10 + n;
		if (off > len)
			return false;
	}
	return true;
}

/*
 * Keeps an answer without error that holds records, for the shortest
 * TTL among them: an address, or no address with the zone's SOA (the
 * "no such type" that most AAAA questions get, kept for the SOA's TTL
 * as RFC 2308 has it).
 */
static void cache_put(const struct dns_query *q, const uint8_t *m, size_t len)
{
	struct dns_kept *k = kept_slot(q->name, q->type);
	uint32_t ttl;
	uint8_t *copy;

	if (len < 12 || (m[3] & 0x0f) != 0 || !(m[6] | m[7] | m[8] | m[9]) ||
	    (m[2] & 0x02) || !(copy = malloc(len)))
		return; /* an error, no record, or cut short (TC) */
	memcpy(copy, m, len);
	if (!walk_ttls(copy, len, 0, &ttl) || ttl == 0) {
		free(copy);
		return;
	}
	free(k->msg);
	snprintf(k->name, sizeof(k->name), "%s", q->name);
	k->type = q->type;
	k->msg = copy;
	k->len = len;
	k->at = mono_now();
	k->ttl = ttl < DNS_CACHE_MAX_TTL ? ttl : DNS_CACHE_MAX_TTL;
}

/*
 * Answers q from what is kept, if that is fresh: returns whether it
 * did (q is then freed).
 */
static bool cache_answer(struct dns_query *q)
{
	struct dns_kept *k = kept_slot(q->name, q->type);
	time_t age = mono_now() - k->at;
	uint32_t min;
	uint8_t *m;

	if (!k->msg || k->type != q->type || strcmp(k->name, q->name) ||
	    age >= (time_t)k->ttl || !(m = malloc(k->len)))
		return false;
	memcpy(m, k->msg, k->len);
	walk_ttls(m, k->len, (uint32_t)age, &min);
	relay(q, m, (int)k->len, true);
	free(m);
	free(q);
	return true;
}

/* Asks upstream, in a query built from the name and type alone. */
static void send_upstream(struct dns_query *q)
{
	unsigned char *buf;
	int blen;

	if (cache_answer(q))
		return;
	if (q->c->pending >= DNS_MAX_PENDING ||
	    ares_create_query(q->name, ns_c_in, q->type, 0, 1, &buf, &blen,
			      0) != ARES_SUCCESS) {
		record(q, true, RCODE_SERVFAIL, NULL);
		send_rcode(q->c, q->question, q->qlen, RCODE_SERVFAIL);
		free(q);
		return;
	}
	q->c->pending++;
	ares_send(dns.ch, buf, blen, on_upstream, q);
	ares_free_string(buf);
}

/* The asking process still runs (its pidfd is not readable). */
static bool query_alive(void *arg)
{
	struct dns_query *q = arg;
	struct pollfd pfd = { .fd = q->pidfd, .events = POLLIN };

	return q->pidfd < 0 || poll(&pfd, 1, 0) == 0;
}

/* On the prompt's thread: hands the answered query to ours. */
static void query_resume(void *arg, struct tracer_question *tq)
{
	struct dns_query *q = arg;
	uint64_t one = 1;

	q->tq = tq;
	pthread_mutex_lock(&dns.lock);
	q->next = dns.answered;
	dns.answered = q;
	pthread_mutex_unlock(&dns.lock);
	(void)!write(dns.wake, &one, sizeof(one));
}

/* The answer came: the query goes upstream or gets "no such name". */
static void finish_asked(struct dns_query *q)
{
	bool allowed = tracer_prompt_resolved(q->tq, &q->asked);
	bool gone = tracer_prompt_gone(q->tq);

	tracer_prompt_release(q->tq);
	q->tq = NULL;
	if (q->pidfd >= 0)
		close(q->pidfd);
	client_release(q->c);
	if (gone)
		free(q); /* nobody is left to read the answer */
	else if (allowed)
		send_upstream(q);
	else
		refuse(q);
}

static void take_answered(void)
{
	struct dns_query *q, *next, *fifo = NULL;

	pthread_mutex_lock(&dns.lock);
	q = dns.answered;
	dns.answered = NULL;
	pthread_mutex_unlock(&dns.lock);
	for (; q; q = next) { /* oldest first */
		next = q->next;
		q->next = fifo;
		fifo = q;
	}
	for (q = fifo; q; q = next) {
		next = q->next;
		finish_asked(q);
	}
}

/*
 * A name a rule asks about: the user is asked, naming the process that
 * wrote the query, the name and the type.  The query waits (the client
 * holds it as pending) while this thread serves the others.
 */
static void ask_name(struct dns_query *q)
{
	struct tracer_waiter w = { query_alive, query_resume, q };
	int rc;

	if (q->c->pending >= DNS_MAX_PENDING) {
		refuse(q);
		return;
	}
	q->pidfd = (int)syscall(SYS_pidfd_open, q->pid, 0);
	q->c->pending++;
	rc = tracer_prompt_resolve(q->pid, q->name, type_name(q->type),
				   &q->verdict, &w, &q->asked);
	if (rc == -EINPROGRESS)
		return;
	client_release(q->c);
	if (q->pidfd >= 0)
		close(q->pidfd);
	if (rc > 0)
		send_upstream(q);
	else
		refuse(q);
}

static void on_query(struct dns_client *c, const uint8_t *m, size_t len)
{
	struct dns_query *q;
	char raw[TRACER_NAME_MAX];
	int type = 0, class = 0, qend;

	if (len < 12 || (m[2] & 0x80) || m[4] != 0 || m[5] != 1) {
		c->closed = true; /* not a query with one question */
		return;
	}
	qend = parse_question(m, len, raw, sizeof(raw), &type, &class);
	q = calloc(1, sizeof(*q));
	if (!q) {
		c->closed = true;
		return;
	}
	q->c = c;
	q->pid = c->writer > 0 ? c->writer : c->tid;
	q->pidfd = -1;
	memcpy(q->id, m, 2);
	q->type = type;
	clock_gettime(CLOCK_MONOTONIC, &q->arrived);
	memcpy(q->question, m, len);
	q->qlen = qend > 0 ? (size_t)qend : len;

	if (qend < 0 || ((m[2] >> 3) & 0x0f) != 0 || class != ns_c_in) {
		send_rcode(c, m, qend < 0 ? 12 : (size_t)qend,
			   qend < 0 ? 1 : RCODE_NOTIMP);
		free(q);
		return;
	}
	if (rules_name_canon(raw, q->name, sizeof(q->name)) < 0)
		tracer_printable(q->name, sizeof(q->name), raw);
	rules_check_name(dns.sup->o->policy, raw, &q->verdict);
	/* a grant the asking process holds may name it (#6) */
	if (q->verdict.action != RULES_ALLOW)
		tracer_grant_name(q->pid, raw, &q->verdict);
	/* what would go out, asked or not, must be of a type that passes */
	if ((q->verdict.action == RULES_ALLOW || asked_at_connect(q) ||
	     tracer_prompt_askable(dns.sup, &q->verdict)) &&
	    !type_served(type))
		q->verdict = (struct rules_verdict){
			.action = RULES_DENY,
			.origin = "proctor",
			.where = "dns",
			.pattern = "a query type proctor does not pass on",
		};
	if (q->verdict.action == RULES_ALLOW || asked_at_connect(q))
		send_upstream(q);
	else if (tracer_prompt_askable(dns.sup, &q->verdict))
		ask_name(q);
	else
		refuse(q);
}

/* Reads what the client sent and answers each whole query. */
/* Reads up to len bytes, noting the writer's pid; as read(2). */
static ssize_t read_noting_writer(struct dns_client *c, void *buf, size_t len)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(struct ucred))];
	} ctl;
	struct iovec iov = { buf, len };
	struct msghdr m = { .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = &ctl,
			    .msg_controllen = sizeof(ctl) };
	struct cmsghdr *h;
	struct ucred cred;
	ssize_t n = recvmsg(c->fd, &m, MSG_CMSG_CLOEXEC);

	for (h = n > 0 ? CMSG_FIRSTHDR(&m) : NULL; h; h = CMSG_NXTHDR(&m, h)) {
		if (h->cmsg_level == SOL_SOCKET &&
		    h->cmsg_type == SCM_CREDENTIALS) {
			memcpy(&cred, CMSG_DATA(h), sizeof(cred));
			c->writer = cred.pid;
		}
	}
	return n;
}

static void client_read(struct dns_client *c)
{
	size_t need, len;
	ssize_t n;

	for (;;) {
		need = c->in_len < 2 ? 2 : 2 + (c->in[0] << 8 | c->in[1]);
		if (need > sizeof(c->in)) {
			c->closed = true;
			return;
		}
		n = read_noting_writer(c, c->in + c->in_len, need - c->in_len);
		if (n == 0) {
			c->eof = true; /* half-closed: the answers still go */
			return;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			c->closed = true;
			return;
		}
		if (n < 0)
			return;
		c->in_len += (size_t)n;
		if (c->in_len < 2)
			continue;
		len = (size_t)(c->in[0] << 8 | c->in[1]);
		if (c->in_len < 2 + len)
			continue;
		c->in_len = 0;
		if (len == 0)
			continue;
		on_query(c, c->in + 2, len);
		if (c->closed)
			return;
	}
}

static void client_write(struct dns_client *c)
{
	ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);

	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		c->closed = true;
		return;
	}
	if (n > 0) {
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
}

/* --- the thread ----------------------------------------------------------- */

static void take_incoming(void)
{
	struct dns_client *c, *next;
	uint64_t v;

	(void)!read(dns.wake, &v, sizeof(v)); /* EAGAIN: nothing new */
	pthread_mutex_lock(&dns.lock);
	c = dns.incoming;
	dns.incoming = NULL;
	pthread_mutex_unlock(&dns.lock);
	for (; c; c = next) {
		next = c->next;
		c->next = dns.clients;
		dns.clients = c;
	}
}

/* Frees clients that hung up once upstream has answered them. */
static void reap(void)
{
	struct dns_client **pp = &dns.clients, *c;

	while ((c = *pp)) {
		if (c->eof && c->out_len == 0 && c->pending == 0)
			c->closed = true;
		if (!c->closed || c->pending > 0) {
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		close(c->fd);
		free(c->out);
		free(c);
		pthread_mutex_lock(&dns.lock);
		dns.nclients--;
		pthread_mutex_unlock(&dns.lock);
	}
}

static int fill_poll(struct pollfd *pfd, struct dns_client **who, int max,
		     int *timeout)
{
	ares_socket_t socks[ARES_GETSOCK_MAXNUM];
	struct timeval tv, *tvp;
	struct dns_client *c;
	int n = 0, bits, i;

	pfd[n].fd = dns.wake;
	pfd[n].events = POLLIN;
	who[n++] = NULL;
	for (c = dns.clients; c && n < max; c = c->next) {
		if (c->closed || (c->eof && !c->out_len))
			continue;
		pfd[n].fd = c->fd;
		pfd[n].events = (c->eof ? 0 : POLLIN) |
				(c->out_len ? POLLOUT : 0);
		who[n++] = c;
	}
	bits = ares_getsock(dns.ch, socks, ARES_GETSOCK_MAXNUM);
	for (i = 0; i < ARES_GETSOCK_MAXNUM && n < max; i++) {
		short ev = (ARES_GETSOCK_READABLE(bits, i) ? POLLIN : 0) |
			   (ARES_GETSOCK_WRITABLE(bits, i) ? POLLOUT : 0);

		if (!ev)
			continue;
		pfd[n].fd = socks[i];
		pfd[n].events = ev;
		who[n++] = NULL;
	}
	tvp = ares_timeout(dns.ch, NULL, &tv);
	*timeout = tvp ? (int)(tv.tv_sec * 1000 + tv.tv_usec / 1000) + 1 : -1;
	return n;
}

static void *dns_thread(void *arg)
{
	enum { MAX = 1 + DNS_MAX_CLIENTS + ARES_GETSOCK_MAXNUM };
	struct pollfd pfd[MAX];
	struct dns_client *who[MAX];
	sigset_t all;
	int n, i, timeout;

	(void)arg;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		reap();
		n = fill_poll(pfd, who, MAX, &timeout);
		if (poll(pfd, n, timeout) < 0 && errno != EINTR)
			break;
		for (i = 0; i < n; i++) {
			short re = pfd[i].revents;

			if (!re)
				continue;
			if (pfd[i].fd == dns.wake) {
				take_incoming();
				take_answered();
			} else if (who[i] && re & (POLLIN | POLLHUP | POLLERR))
				client_read(who[i]);
			else if (!who[i])
				ares_process_fd(dns.ch,
						re & (POLLIN | POLLHUP |
						      POLLERR)
							? pfd[i].fd
							: ARES_SOCKET_BAD,
						re & POLLOUT ? pfd[i].fd
							     : ARES_SOCKET_BAD);
			if (who[i] && re & POLLOUT && !who[i]->closed)
				client_write(who[i]);
		}
		ares_process_fd(dns.ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	}
	return NULL;
}

int tracer_dns_start(const struct tracer_sup *s)
{
	struct ares_options opts = { .timeout = 3000, .tries = 2 };
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	dns.sup = s;
	if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS ||
	    ares_init_options(&dns.ch, &opts,
			      ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES) !=
		    ARES_SUCCESS)
		return -EIO;
	note_hosts_file();
	dns.resolv_fd = make_resolv_conf();
	if (dns.resolv_fd < 0)
		return dns.resolv_fd;
	dns.wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (dns.wake < 0)
		return -errno;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, dns_thread, NULL);
	pthread_attr_destroy(&attr);
	if (rc)
		return -rc;
	dns.on = true;
	return 0;
}
