/* SPDX-License-Identifier: MIT */
/*
 * The HTTP relay (#8): connections to a domain whose network entry
 * carries "methods" or "wire_name" pass through proctor, which judges
 * every request (plain HTTP/1.x) or the TLS server name before any byte
 * of it goes upstream.  Other connections are never relayed.
 *
 * At the connect (a worker, where waiting is allowed):
 *   1. a socket of proctor's own connects to the original destination,
 *      so a refusal or a timeout is the program's connect() error and
 *      its next address is tried as without proctor.  Not the program's
 *      own socket: a duplicate of it (dup, fork, SCM_RIGHTS) would reach
 *      upstream past the relay; it stays unconnected;
 *   2. proctor makes a TCP socket of the program's family, binds it to
 *      loopback, notes its port, connects it to the relay's loopback
 *      listener and puts it in the program's descriptor slot (seccomp
 *      ADDFD with SETFD), keeping close-on-exec and O_NONBLOCK.  The
 *      program holds a real TCP socket (TCP_NODELAY and the like work);
 *      its peer is proctor's listener, not the destination.
 *   3. the relay thread accepts, and takes the connection only when the
 *      peer's port is one a worker noted: anyone else who reaches the
 *      listener (a program allowed to loopback) is closed at once.
 *
 * The relay thread (epoll) then, per connection:
 *   - sniffs the first byte: 0x16 is TLS, anything else must be HTTP/1.x;
 *   - TLS: buffers the ClientHello, judges its server name (an allowed
 *     name at this address; the resolved name with "wire_name": "match";
 *     no Encrypted Client Hello), then passes both ways with splice(2);
 *   - HTTP: feeds each byte from the program to the request parser
 *     (rules/http.c); a request is sent on only after its head was
 *     judged (method, Host); a refused one gets a 403 once upstream has
 *     answered what went before, and the connection ends.  Answers pass
 *     with splice(2).
 *
 * The seam for TLS interception: struct relay_io moves bytes for one
 * side; plain_io uses the descriptors and splice.  The judge sees only
 * bytes (relay_judge_*), so a transport that terminates TLS can feed it
 * the plaintext.  With interception on (intercept.c), on_tls_hello()
 * hands a connection whose server name it covers to a thread that
 * completes both handshakes; it comes back with tls_io, and the HTTP
 * judge runs on the plaintext as on plain HTTP.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tracer/intercept.h"
#include "tracer/tracer.h"

#define RELAY_IN_MAX	  (80 * 1024) /* a ClientHello, a request head */
#define RELAY_PIPE_SIZE	  (1 << 20)
#define RELAY_CONNECT_MS  30000 /* a non-blocking program's connect */
#define RELAY_DRAIN_S	  5	/* a refusal waits this long for upstream */
#define RELAY_PENDING_MAX 256
#define RELAY_HANDSHAKE_S 15 /* both TLS handshakes, intercepting */
#define RELAY_TLS_BUF	  16384
#define RELAY_PROXY_MAX	  64 /* proxy requests read and dialed at once */
#define RELAY_PROXY_WAIT  15 /* seconds for a proxy request's head */
#define RELAY_PROXY_ASK	  16 /* of those threads, waiting for an answer */

enum side { DOWN, UP }; /* the program's side, the destination's */

enum mode {
	SNIFF, /* nothing read yet */
	TLS,   /* collecting the ClientHello */
	HTTP,  /* judging requests */
	PASS,  /* judged: both ways unread */
	DRAIN, /* refused: waiting for upstream's answers, then 403 */
	HELLO, /* the ClientHello went: waiting for the server's TLS */
	SHAKE, /* intercepting: a thread completes both handshakes */
};

struct relay_conn;

/* An intercepted connection's TLS and the plaintext on its way. */
struct relay_tls {
	struct tracer_tls *t;
	char sni[256];
	int rc;			       /* the handshakes' result */
	char why[320];		       /* why they failed, for the log */
	uint8_t buf[2][RELAY_TLS_BUF]; /* from each side */
	size_t len[2];
	bool ended[2]; /* close_notify sent to a side */
};

/*
 * How bytes move for one connection.  read/write: as recv/send on a
 * side.  pass: moves what side from has to the other side unread
 * (splice through pipe), -EAGAIN when stuck; 0 at end of stream.
 */
struct relay_io {
	ssize_t (*read)(struct relay_conn *c, enum side s, void *buf,
			size_t len);
	ssize_t (*write)(struct relay_conn *c, enum side s, const void *buf,
			 size_t len);
	ssize_t (*pass)(struct relay_conn *c, enum side from);
};

struct relay_end {
	int fd;
	int pipe[2];	  /* bytes from this side, on their way */
	size_t in_pipe;	  /* bytes in pipe */
	bool full;	  /* in_pipe took no more: wait until some leave */
	bool eof;	  /* this side sent its last byte */
	uint32_t watched; /* the epoll events asked for; 0: not in epoll */
	struct relay_conn *c;
};

struct relay_conn {
	struct relay_end end[2];
	const struct relay_io *io;
	enum mode mode;
	uint16_t port; /* the program-side socket's loopback port */
	int family;    /* and its family */
	time_t looked; /* its program end, last looked up (sweep) */
	pid_t tid, tgid;
	struct rules_addr addr;
	char host[256]; /* the name the address was resolved for */
	char sni[256];	/* the TLS server name judged */
	struct rules_http http;
	struct rules_verdict verdict; /* the connect's */
	/*
	 * The grant the connecting process held at the connect: the one
	 * names are judged by.  Not the one its pid holds later: a child
	 * sharing the socket would speak with a grant its parent took by
	 * exec after the connect (or a reused pid's).
	 */
	const struct rules_grant *grant;
	uint8_t in[RELAY_IN_MAX]; /* from the program, not yet sent */
	size_t in_len, ok;	  /* ok: judged, may go upstream */
	uint64_t sent_up;
	struct rules_http_parser *parser;
	char refusal[512]; /* the 403 body */
	time_t drain_since;
	time_t shake_since; /* SHAKE: cut when RELAY_HANDSHAKE_S is over */
	char out[1024];	    /* proctor's answer to the program, not yet sent */
	size_t out_len;
	time_t out_since;
	struct relay_tls *tls; /* intercepted (#8), or NULL */
	/*
	 * A connection to proctor's proxy (proxy.c): its first request is
	 * the proxy's (a thread reads it and dials), then to_port is the
	 * target's port; via: through the user's proxy, whose address is
	 * c->addr, so names are judged without one; absolute: plain
	 * requests in proxy form follow, each rewritten for the server (or
	 * given auth for the user's proxy).
	 */
	bool proxy, via, absolute;
	/* the user allowed the connect to host at a question */
	bool host_asked;
	uint16_t to_port;
	const char *auth;
	struct relay_conn *back; /* relay.back: from a thread */
	bool dead;		 /* dropped: freed after this round of events */
	bool owing;		 /* counted in relay.owing */
	struct relay_conn *next;
};

static struct {
	const struct tracer_sup *sup;
	pthread_mutex_t lock;
	struct relay_conn *pending; /* noted by workers, not yet accepted */
	int npending;
	struct relay_conn *conns; /* the thread's */
	struct relay_conn *dead;  /* dropped during this round */
	int ep, listener;
	int wake; /* eventfd: a thread is done with a connection */
	struct relay_conn *back; /* those connections */
	/* proxy connections waiting for one of RELAY_PROXY_MAX threads */
	struct relay_conn *waiting, **waiting_end;
	struct sockaddr_in at;
	atomic_int live; /* connections made and not yet freed */
	int most;	 /* of them at once (relay_most) */
	atomic_bool full_said;
	atomic_int owing;   /* connections with bytes still for upstream */
	atomic_int dialing; /* proxy_thread()s running */
	atomic_int asking;  /* of them, waiting for the user's answer */
	bool on;
} relay = {
	.lock = PTHREAD_MUTEX_INITIALIZER, .ep = -1, .listener = -1, .wake = -1
};

/*
 * A connect that finds the relay full asks the relay thread to look
 * again at once (a program that closed connections and opens new ones
 * would else race the thread's noticing), and waits for that look:
 * asked counts the asks, swept the last ask a look answered.
 */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t looked;
	uint64_t asked, swept;
} room = { .lock = PTHREAD_MUTEX_INITIALIZER,
	   .looked = PTHREAD_COND_INITIALIZER };

#define ROOM_WAIT_MS 200

/* epoll's tag for relay.wake (the listener's is NULL) */
static const int wake_tag;

/* --- moving bytes: the plain transport ------------------------------------ */

static ssize_t plain_read(struct relay_conn *c, enum side s, void *buf,
			  size_t len)
{
	ssize_t n = recv(c->end[s].fd, buf, len, MSG_DONTWAIT);

	return n < 0 ? -errno : n;
}

static ssize_t plain_write(struct relay_conn *c, enum side s, const void *buf,
			   size_t len)
{
	ssize_t n = send(c->end[s].fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);

	return n < 0 ? -errno : n;
}

/*
 * Moves what from sends to the other side through its pipe: out of the
 * pipe while the other side takes bytes, into it while it has room, so
 * that reading one side overlaps writing the other (waiting for an empty
 * pipe before reading again left the download idle half the time).
 * Returns 0 once the end of stream was read and the pipe is empty.
 */
static ssize_t plain_pass(struct relay_conn *c, enum side from)
{
	struct relay_end *e = &c->end[from], *to = &c->end[!from];
	unsigned int fl = SPLICE_F_NONBLOCK | SPLICE_F_MOVE;
	ssize_t n, moved = 0;
	bool more = true;

	for (int i = 0; i < 16 && more; i++) {
		more = false;
		if (e->in_pipe) {
			n = splice(e->pipe[0], NULL, to->fd, NULL, e->in_pipe,
				   fl);
			if (n < 0 && errno != EAGAIN)
				return -errno;
			if (n > 0) {
				e->in_pipe -= (size_t)n;
				e->full = false;
				moved += n;
				more = true;
			}
		}
		if (e->eof || e->full)
			continue;
		n = splice(e->fd, NULL, e->pipe[1], NULL, RELAY_PIPE_SIZE, fl);
		if (n == 0) {
			e->eof = true;
		} else if (n > 0) {
			e->in_pipe += (size_t)n;
			more = true;
		} else if (errno == EAGAIN) {
			/*
			 * Nothing to read, or no room in the pipe: not
			 * asking to read until bytes left it is safe, as
			 * bytes in it are waiting for the other side.
			 */
			e->full = e->in_pipe > 0;
		} else if (e->in_pipe) {
			/* a reset after bytes: they still go, then the end */
			e->eof = true;
		} else {
			return -errno;
		}
	}
	if (e->eof && !e->in_pipe)
		return 0;
	return moved ? moved : -EAGAIN;
}

static const struct relay_io plain_io = { plain_read, plain_write, plain_pass };

/* --- moving bytes: the intercepted transport ---------------------------- */

static enum tracer_tls_side tls_side(enum side s)
{
	return s == DOWN ? TRACER_TLS_PROGRAM : TRACER_TLS_UPSTREAM;
}

static ssize_t tls_read(struct relay_conn *c, enum side s, void *buf,
			size_t len)
{
	return tracer_tls_read(c->tls->t, tls_side(s), buf, len);
}

static ssize_t tls_write(struct relay_conn *c, enum side s, const void *buf,
			 size_t len)
{
	return tracer_tls_write(c->tls->t, tls_side(s), buf, len);
}

/*
 * Decrypts what from sends and encrypts it for the other side, through
 * buf[from] (counted in in_pipe, as the pipe is for plain_pass).  It
 * reads until the socket has nothing: a record OpenSSL already holds
 * would wake no epoll.
 */
static ssize_t tls_pass(struct relay_conn *c, enum side from)
{
	struct relay_tls *x = c->tls;
	struct relay_end *e = &c->end[from];
	ssize_t n, moved = 0;

	for (;;) {
		if (x->len[from]) {
			n = tracer_tls_write(x->t, tls_side(!from),
					     x->buf[from], x->len[from]);
			if (n < 0)
				return n == -EAGAIN && moved ? moved : n;
			x->len[from] -= (size_t)n;
			memmove(x->buf[from], x->buf[from] + n, x->len[from]);
			e->in_pipe = x->len[from];
			e->full = e->in_pipe > 0;
			moved += n;
			continue;
		}
		n = tracer_tls_read(x->t, tls_side(from), x->buf[from],
				    sizeof(x->buf[from]));
		/*
		 * The end, even after bytes moved: they are all written, and
		 * a close_notify read leaves nothing for epoll to wake us
		 * with (a TLS 1.3 peer may wait for ours before its FIN).
		 */
		if (n == 0 || (n < 0 && n != -EAGAIN))
			return n;
		if (n < 0)
			return moved ? moved : n;
		x->len[from] = (size_t)n;
		e->in_pipe = x->len[from];
		e->full = true; /* read again once it is written */
	}
}

static const struct relay_io tls_io = { tls_read, tls_write, tls_pass };

/* The end of what goes to side s: TLS says so before TCP does. */
static void end_write(struct relay_conn *c, enum side s)
{
	/* once: a second SSL_shutdown would read, and drop, data */
	if (c->tls && c->tls->t && !c->tls->ended[s]) {
		c->tls->ended[s] = true;
		tracer_tls_shutdown(c->tls->t, tls_side(s));
	}
	shutdown(c->end[s].fd, SHUT_WR);
}

/* --- connections ---------------------------------------------------------- */

static void conn_free(struct relay_conn *c)
{
	if (c->tls) {
		tracer_tls_free(c->tls->t);
		free(c->tls);
	}
	for (int s = DOWN; s <= UP; s++) {
		if (c->end[s].fd >= 0)
			close(c->end[s].fd);
		if (c->end[s].pipe[0] >= 0) {
			close(c->end[s].pipe[0]);
			close(c->end[s].pipe[1]);
		}
	}
	free(c->parser);
	free(c);
	atomic_fetch_sub(&relay.live, 1);
}

/* Takes over the place relay_has_room() kept: conn_free gives it back. */
static struct relay_conn *conn_new(int up)
{
	struct relay_conn *c = calloc(1, sizeof(*c));

	if (!c) {
		atomic_fetch_sub(&relay.live, 1);
		return NULL;
	}
	c->io = &plain_io;
	c->end[DOWN].fd = -1;
	c->end[UP].fd = up;
	for (int s = DOWN; s <= UP; s++) {
		c->end[s].c = c;
		c->end[s].pipe[0] = c->end[s].pipe[1] = -1;
		if (pipe2(c->end[s].pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
			c->end[UP].fd = -1; /* the caller closes it */
			conn_free(c);
			return NULL;
		}
		fcntl(c->end[s].pipe[0], F_SETPIPE_SZ, RELAY_PIPE_SIZE);
	}
	return c;
}

/* --- the log -------------------------------------------------------------- */

/*
 * The denial line: what was refused (a request, a server name) and the
 * rule, without advice: a wider entry would undo the limit.
 */
static void explain(const struct tracer_who *w, const char *cls,
		    const char *what, const char *addr,
		    const struct rules_verdict *v)
{
	char prog[64], pat[256];

	tracer_printable(prog, sizeof(prog), w->comm[0] ? w->comm : "?");
	tracer_printable(pat, sizeof(pat), v->pattern);
	/* the run's last line names it with the others */
	tracer_explain_remember(cls, what);
	if (!strcmp(v->origin, "proctor"))
		fprintf(stderr,
			"proctor: denied %s %s (%s) by %s (pid %d): %s\n", cls,
			what, addr, prog, w->tgid, pat);
	else if (v->is_default)
		fprintf(stderr,
			"proctor: denied %s %s (%s) by %s (pid %d): network is "
			"%s by default (%s)\n",
			cls, what, addr, prog, w->tgid,
			rules_action_name(v->action), v->origin);
	else
		fprintf(stderr,
			"proctor: denied %s %s (%s) by %s (pid %d): rule %s "
			"\"%s\" (%s)\n",
			cls, what, addr, prog, w->tgid, v->where, pat,
			v->origin);
}

/*
 * A decision record for a request or a ClientHello (what: "POST
 * a.test/x", "TLS server name a.test" for the denial line).
 */
static void record(struct relay_conn *c, const char *cls, const char *extra,
		   const struct rules_verdict *v, bool allowed,
		   const char *what)
{
	struct tracer_event ev = {
		.syscall = cls,
		.cls = RULES_CONNECT,
		.cls_name = cls,
		.object_key = "addr",
		.name = c->host,
		.extra = extra,
		.verdict = v,
		.allowed = allowed,
		.err = allowed ? 0 : EACCES,
	};
	struct tracer_who w;
	char addr[300];

	if (relay.sup->o->log_fd < 0 && allowed)
		return;
	rules_addr_format(&c->addr, addr, sizeof(addr));
	ev.object = addr;
	tracer_proc_who(c->tid, &w);
	tracer_log_decision(&w, &ev);
	if (!allowed && !relay.sup->o->quiet)
		explain(&w, cls, what, addr, v);
}

static void verdict_relay(struct rules_verdict *v, const char *why)
{
	*v = (struct rules_verdict){ .action = RULES_DENY,
				     .origin = "proctor",
				     .where = "relay",
				     .pattern = why };
}

/*
 * A name an entry asks about: the relay asks nobody (it serves every
 * connection on one thread), so it takes the answer the user gave for
 * this connection's own name at its connect, or one for the run.
 */
static bool answered(const struct relay_conn *c, const char *name,
		     const struct rules_verdict *v)
{
	if (!tracer_prompt_askable(relay.sup, v))
		return false;
	if (c->host_asked && !strcmp(name, c->host))
		return true;
	return tracer_prompt_name_allowed(name,
					  c->via ? c->to_port : c->addr.port);
}

/*
 * Through the user's proxy, which resolves names: a name alone is
 * judged by the name entries, an address literal (a Host such as
 * 10.0.0.1) by the address entries, as proctor's proxy judged its target.
 */
static bool judge_via(struct relay_conn *c, const char *name,
		      struct rules_verdict *v)
{
	const struct rules_policy *p = relay.sup->o->policy;
	struct rules_addr ra;
	char text[300];

	snprintf(text, sizeof(text), strchr(name, ':') ? "[%s]:%u" : "%s:%u",
		 name, c->to_port);
	if (rules_addr_parse(text, &ra) == 0 && ra.kind == RULES_ADDR_IP) {
		rules_check_addr(p, &ra, v);
		return v->action == RULES_ALLOW ||
		       tracer_grant_connect(c->grant, &ra, name, v) ||
		       answered(c, name, v);
	}
	rules_check_host(p, name, c->to_port, v);
	return v->action == RULES_ALLOW ||
	       tracer_grant_host(c->grant, name, c->to_port, v) ||
	       answered(c, name, v);
}

/*
 * Whether name may be spoken to this connection's address: an allowed
 * name there, and the resolved one when the connection's entry or the
 * name's own says "match".
 */
static bool judge_name(struct relay_conn *c, const char *name,
		       struct rules_verdict *v)
{
	const char *list[1] = { name };
	int which;

	if (!name[0]) {
		verdict_relay(v, "no server name to judge");
		return false;
	}
	if (c->via) {
		if (!judge_via(c, name, v))
			return false;
	} else {
		rules_check_connect(relay.sup->o->policy, &c->addr, list, 1, v,
				    &which);
		if (v->action != RULES_ALLOW &&
		    !tracer_grant_connect(c->grant, &c->addr, name, v) &&
		    !answered(c, name, v))
			return false;
	}
	if (strcmp(name, c->host) == 0)
		return true;
	if (c->http.wire_match) {
		*v = c->verdict;
		return false;
	}
	return !(v->http && v->http->wire_match);
}

/* --- TLS ------------------------------------------------------------------ */

static void refuse_tls(struct relay_conn *c, const struct rules_verdict *v,
		       const char *sni)
{
	char extra[400], what[300];

	snprintf(extra, sizeof(extra), "\"sni\":\"%s\"", sni);
	snprintf(what, sizeof(what), "TLS server name \"%s\"", sni);
	record(c, "tls", extra, v, false, what);
	c->end[DOWN].eof = c->end[UP].eof = true; /* closes the connection */
	c->mode = DRAIN;
	c->drain_since = 0;
}

/*
 * The addresses of the limited names, as proctor resolves them itself.
 * A program that resolves only another allowed name at the same address
 * (a CDN's) and sends "Host:" the limited site, in plain HTTP or inside
 * TLS naming the other, must meet the relay too: so the limited names
 * are resolved at the start and every RELAY_KNOWN_S, and a connection to
 * one of their addresses is relayed whatever name it was made by.  Kept
 * apart from the names the program was answered, which grant: these
 * only mark an address as one whose HTTP is judged.  Answers rotate
 * (a CDN's pool): what is marked is what the resolver said lately.
 */
#define RELAY_KNOWN_MAX 4096
#define RELAY_KNOWN_S	60

struct known_addr {
	uint8_t ip[16];
	char name[TRACER_NAME_MAX];
	uint64_t round; /* the round that last found it */
};

/* what a connect waits at most for the first round (the run's start) */
#define RELAY_KNOWN_WAIT_MS 2000

static struct {
	pthread_mutex_t lock;
	pthread_cond_t done;
	bool wanted, ready; /* limited names to resolve; a round is done */
	bool full_said;
	struct timespec until; /* the first round's wait ends (realtime) */
	uint64_t round;
	struct known_addr v[RELAY_KNOWN_MAX];
	int n;
} known = { .lock = PTHREAD_MUTEX_INITIALIZER,
	    .done = PTHREAD_COND_INITIALIZER };

/* Marks ip as name's, found this round; under known.lock. */
static void known_put(const uint8_t ip[16], const char *name)
{
	int i;

	for (i = 0; i < known.n; i++)
		if (!memcmp(known.v[i].ip, ip, 16) &&
		    !strcmp(known.v[i].name, name)) {
			known.v[i].round = known.round;
			return;
		}
	if (known.n == RELAY_KNOWN_MAX) {
		if (!known.full_said)
			fprintf(stderr,
				"proctor: the limited names have more than %d "
				"addresses: those past it are not relayed "
				"unless the program resolves their names\n",
				RELAY_KNOWN_MAX);
		known.full_said = true;
		return;
	}
	memcpy(known.v[known.n].ip, ip, 16);
	snprintf(known.v[known.n].name, sizeof(known.v[0].name), "%s", name);
	known.v[known.n++].round = known.round;
}

/*
 * Marks name's addresses of one family, as they come: a resolver that
 * lets AAAA queries time out (a common breakage) must not hold the A
 * answers back.
 */
static void resolve_family(const char *name, int family)
{
	struct addrinfo hints = { .ai_family = family,
				  .ai_socktype = SOCK_STREAM },
			*res, *a;
	uint8_t ip[16];

	if (getaddrinfo(name, NULL, &hints, &res) != 0)
		return;
	pthread_mutex_lock(&known.lock);
	for (a = res; a; a = a->ai_next) {
		memset(ip, 0, sizeof(ip));
		if (a->ai_family == AF_INET) {
			ip[10] = ip[11] = 0xff;
			memcpy(ip + 12,
			       &((struct sockaddr_in *)a->ai_addr)->sin_addr,
			       4);
		} else if (a->ai_family == AF_INET6) {
			memcpy(ip,
			       &((struct sockaddr_in6 *)a->ai_addr)->sin6_addr,
			       16);
		} else {
			continue;
		}
		known_put(ip, name);
	}
	pthread_mutex_unlock(&known.lock);
	freeaddrinfo(res);
}

static void resolve_limited(const char *name, void *arg)
{
	(void)arg;
	resolve_family(name, AF_INET);
	resolve_family(name, AF_INET6);
}

static void *known_thread(void *arg)
{
	int i, j;

	(void)arg;
	for (;;) {
		rules_limited_names(relay.sup->o->policy, resolve_limited,
				    NULL);
		/* what this round did not find again goes (after a round,
		 * an address the name left keeps its mark no longer) */
		pthread_mutex_lock(&known.lock);
		for (i = j = 0; i < known.n; i++)
			if (known.v[i].round == known.round)
				known.v[j++] = known.v[i];
		known.n = j;
		known.round++;
		known.ready = true;
		pthread_cond_broadcast(&known.done);
		pthread_mutex_unlock(&known.lock);
		sleep(RELAY_KNOWN_S);
	}
	return NULL;
}

/*
 * The limited names proctor found at ip itself, but skip, into names
 * (at most max); how many.
 */
static size_t known_at(const uint8_t ip[16], const char *skip,
		       char (*names)[TRACER_NAME_MAX], size_t max)
{
	size_t found = 0;
	int i;

	pthread_mutex_lock(&known.lock);
	/* at the run's start: the first round, unless the resolver lags
	 * (then no connect waits for it again) */
	while (known.wanted && !known.ready &&
	       pthread_cond_timedwait(&known.done, &known.lock, &known.until) ==
		       0)
		;
	for (i = 0; i < known.n && found < max; i++)
		if (!memcmp(known.v[i].ip, ip, 16) &&
		    (!skip || strcasecmp(known.v[i].name, skip)))
			snprintf(names[found++], TRACER_NAME_MAX, "%s",
				 known.v[i].name);
	pthread_mutex_unlock(&known.lock);
	return found;
}

/* --- TLS interception ------------------------------------------------- */

/* Whether TLS naming sni, allowed by v, is decrypted and judged. */
static bool intercepts(const struct rules_verdict *v, const char *sni)
{
	const struct tracer_ca *ca = relay.sup->o->ca;

	return ca && rules_http_intercepted(relay.sup->o->policy, v->http) &&
	       tracer_ca_covers(ca, sni);
}

/*
 * A name proctor answered for c's address, not sni, whose TLS is
 * decrypted: TLS naming another name there is not, and the server
 * behind it may route the requests inside by their Host to the
 * intercepted site (domain fronting), unjudged.  In out.
 */
static bool fronts_intercepted(const struct relay_conn *c, const char *sni,
			       char *out, size_t size)
{
	const struct tracer_ca *ca = relay.sup->o->ca;
	char names[16][TRACER_NAME_MAX];
	const char *list[1];
	struct rules_verdict v;
	size_t n, i;
	int which;

	if (!ca || c->via || c->addr.kind != RULES_ADDR_IP)
		return false;
	n = tracer_names_find(c->addr.ip, names, 8);
	/* and those proctor found there itself */
	n += known_at(c->addr.ip, sni, names + n, 16 - n);
	for (i = 0; i < n; i++) {
		if (!strcasecmp(names[i], sni))
			continue;
		list[0] = names[i];
		rules_check_connect(relay.sup->o->policy, &c->addr, list, 1, &v,
				    &which);
		if (which >= 0 && v.action == RULES_ALLOW &&
		    intercepts(&v, names[i])) {
			snprintf(out, size, "%s", names[i]);
			return true;
		}
	}
	return false;
}

static void set_blocking(int fd, bool on)
{
	struct timeval tv = { .tv_sec = RELAY_HANDSHAKE_S };
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		fcntl(fd, F_SETFL, on ? fl & ~O_NONBLOCK : fl | O_NONBLOCK);
	if (on) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
}

/* A thread is done with c: the relay thread takes it back (on_back). */
static void hand_back(struct relay_conn *c)
{
	pthread_mutex_lock(&relay.lock);
	c->back = relay.back;
	relay.back = c;
	pthread_mutex_unlock(&relay.lock);
	/* a full eventfd holds wake-ups already: one is enough */
	eventfd_write(relay.wake, 1);
}

/*
 * Both handshakes, away from the relay thread: a slow server must not
 * hold the other connections.  The relay thread does not touch c until
 * it comes back on relay.back.
 */
static void *shake_thread(void *arg)
{
	struct relay_conn *c = arg;
	struct relay_tls *x = c->tls;

	set_blocking(c->end[DOWN].fd, true);
	set_blocking(c->end[UP].fd, true);
	/*
	 * Records go out as written: Nagle would hold the request behind
	 * the unacknowledged Finished for a delayed ACK (40 ms).
	 */
	setsockopt(c->end[DOWN].fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 },
		   sizeof(int));
	setsockopt(c->end[UP].fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 },
		   sizeof(int));
	x->rc = tracer_tls_open(relay.sup->o->ca, c->end[DOWN].fd,
				c->end[UP].fd, c->in, c->in_len, x->sni, &x->t,
				x->why, sizeof(x->why));
	set_blocking(c->end[DOWN].fd, false);
	set_blocking(c->end[UP].fd, false);

	hand_back(c);
	return NULL;
}

static void refuse_tls(struct relay_conn *c, const struct rules_verdict *v,
		       const char *sni);

/* Hands c to a handshake thread; the ClientHello stays in c->in. */
static void start_shake(struct relay_conn *c, const char *sni)
{
	struct rules_verdict v;
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	c->tls = calloc(1, sizeof(*c->tls));
	if (!c->tls) {
		verdict_relay(&v, "out of memory");
		refuse_tls(c, &v, sni);
		return;
	}
	snprintf(c->tls->sni, sizeof(c->tls->sni), "%s", sni);
	epoll_ctl(relay.ep, EPOLL_CTL_DEL, c->end[DOWN].fd, NULL);
	epoll_ctl(relay.ep, EPOLL_CTL_DEL, c->end[UP].fd, NULL);
	c->mode = SHAKE;
	c->shake_since = time(NULL);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, shake_thread, c);
	pthread_attr_destroy(&attr);
	if (rc) {
		c->tls->rc = -rc;
		snprintf(c->tls->why, sizeof(c->tls->why),
			 "no thread for the TLS handshakes: %s", strerror(rc));
		hand_back(c);
	}
}

/*
 * The ClientHello is whole: judge its server name.  With interception
 * on for that name, TLS is terminated (start_shake) and the HTTP judge
 * runs on the plaintext.
 */
static void on_tls_hello(struct relay_conn *c, const struct rules_tls_hello *h)
{
	char extra[400], other[TRACER_NAME_MAX], why[1200];
	struct rules_verdict v;

	if (h->ech) {
		verdict_relay(&v,
			      "Encrypted Client Hello hides the server name");
		refuse_tls(c, &v, h->sni);
		return;
	}
	if (!judge_name(c, h->sni, &v)) {
		refuse_tls(c, &v, h->sni);
		return;
	}
	if (!intercepts(&v, h->sni) &&
	    fronts_intercepted(c, h->sni, other, sizeof(other))) {
		snprintf(why, sizeof(why),
			 "TLS naming %s to an address that also serves %s, "
			 "whose requests proctor decrypts and judges: the "
			 "requests inside could name %s (domain fronting); "
			 "give %s a \"methods\" list too, to have its TLS "
			 "decrypted",
			 h->sni, other, other, h->sni);
		verdict_relay(&v, why);
		refuse_tls(c, &v, h->sni);
		return;
	}
	snprintf(extra, sizeof(extra), "\"sni\":\"%s\"", h->sni);
	record(c, "tls", extra, &v, true, h->sni);
	if (intercepts(&v, h->sni)) {
		start_shake(c, h->sni);
		return;
	}
	snprintf(c->sni, sizeof(c->sni), "%s", h->sni);
	c->ok = h->len; /* what follows waits for the server's answer */
	c->mode = HELLO;
}

static bool flush_up(struct relay_conn *c);

/*
 * The ClientHello has gone upstream: what the program sends after it
 * goes only once the server answers with TLS (a handshake record, or
 * an alert).  Otherwise a ClientHello to a plain HTTP server would carry
 * the requests after it past the judge.
 */
static void await_server_hello(struct relay_conn *c)
{
	struct rules_verdict v;
	uint8_t b;
	ssize_t n;

	if (!flush_up(c))
		return;
	n = recv(c->end[UP].fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == 1 && (b == 0x16 || b == 0x15)) {
		c->ok = c->in_len;
		c->mode = PASS;
		return;
	}
	verdict_relay(&v, "the server did not answer the ClientHello with TLS");
	refuse_tls(c, &v, c->sni);
}

static void judge_tls(struct relay_conn *c)
{
	struct rules_tls_hello h;
	struct rules_verdict v;
	int rc = rules_tls_hello(c->in, c->in_len, &h);

	if (rc == -EAGAIN && c->in_len < sizeof(c->in))
		return;
	if (rc < 0) {
		verdict_relay(&v,
			      h.error ? h.error : "a ClientHello too large");
		refuse_tls(c, &v, "");
		return;
	}
	on_tls_hello(c, &h);
}

/* --- HTTP ----------------------------------------------------------------- */

static void http_extra(char *buf, size_t len, const struct rules_http_req *q)
{
	snprintf(buf, len, "\"method\":\"%s\",\"host\":\"%s\",\"path\":\"%s\"",
		 q->method, q->host, q->path);
}

/* Refuses the request q (or what could not be parsed): a 403 follows. */
static void refuse_http(struct relay_conn *c, const struct rules_verdict *v,
			const struct rules_http_req *q)
{
	char extra[1024], what[600];

	http_extra(extra, sizeof(extra), q);
	/* CONNECT's target is host:port, already; what could not be
	 * parsed has neither method nor target */
	if (!q->method[0])
		snprintf(what, sizeof(what), "request");
	else
		snprintf(what, sizeof(what), "%s %s%s", q->method,
			 q->target == RULES_HTTP_AUTHORITY ? "" : q->host,
			 q->path);
	record(c, "http", extra, v, false, what);
	snprintf(c->refusal, sizeof(c->refusal),
		 "proctor refused %s: %s %s (%s)\n", what, v->where, v->pattern,
		 v->origin);
	c->mode = DRAIN;
	c->drain_since = time(NULL);
	c->in_len = c->ok; /* nothing past the refused request goes */
}

static bool judge_request(struct relay_conn *c, const struct rules_http_req *q,
			  struct rules_verdict *v)
{
	/* through proctor's proxy: the server dialed for the first, only */
	if (c->absolute &&
	    (strcmp(q->to_host, c->host) != 0 || q->to_port != c->to_port)) {
		verdict_relay(v, "a request for another server than the first "
				 "on this proxy connection");
		return false;
	}
	/*
	 * TRACE is answered by the message as received: by the user's
	 * proxy itself with Max-Forwards: 0 (RFC 9110 9.3.8), with the
	 * credentials proctor added to it
	 */
	if (c->via && c->auth && c->auth[0] &&
	    q->method_bit & RULES_HTTP_TRACE) {
		verdict_relay(v, "a TRACE through the user's proxy, which may "
				 "echo its credentials");
		return false;
	}
	/* decrypted: the request is for the server TLS named, no other */
	if (c->tls && q->host[0] && strcmp(q->host, c->tls->sni) != 0) {
		verdict_relay(v, "the Host header names another server than "
				 "the TLS server name");
		return false;
	}
	if (!judge_name(c, q->host, v))
		return false;
	if (!v->http || !v->http->methods)
		return true;
	if (!(q->method_bit & v->http->methods))
		return false; /* the verdict names the entry that limits */
	/* a body on a safe method means nothing to a server: data going out */
	if (q->body &&
	    q->method_bit & (RULES_HTTP_GET | RULES_HTTP_HEAD |
			     RULES_HTTP_OPTIONS | RULES_HTTP_TRACE)) {
		verdict_relay(v, "a body on a GET, HEAD, OPTIONS or TRACE "
				 "request");
		return false;
	}
	return true;
}

/* Replaces remove bytes at at in c->in with add; false without room. */
static bool replace_in(struct relay_conn *c, size_t at, size_t remove,
		       const char *add, size_t *fed)
{
	size_t n = strlen(add);

	if (c->in_len - remove + n > sizeof(c->in))
		return false;
	memmove(c->in + at + n, c->in + at + remove, c->in_len - at - remove);
	memcpy(c->in + at, add, n);
	c->in_len = c->in_len - remove + n;
	*fed = *fed - remove + n;
	return true;
}

/*
 * A judged request in proxy form, whose head starts at start: for the
 * server, its target loses "http://host:port" (RFC 9112 3.2.1) and,
 * without a Host, gets the target's (3.2.2): a server left to pick its
 * default site could pick another than the one judged.  For the user's
 * proxy, it gets the proxy's credentials, and its target starts with
 * the server judged, written by proctor, and "/": a proxy that takes
 * all up to the first "/" for the authority would read
 * "http://a.test?@b.test/" as b.test's.
 */
static bool proxy_rewrite(struct relay_conn *c, size_t start, size_t *fed)
{
	const struct rules_http_req *q = &c->parser->req;
	char add[600], url[300];
	const char *slash;
	uint8_t *l = c->in + start, *sp, *nl;
	bool v6 = strchr(q->to_host, ':') != NULL;

	sp = memchr(l, ' ', (size_t)(c->in + *fed - l));
	nl = memchr(l, '\n', (size_t)(c->in + *fed - l));
	if (!sp || !nl)
		return false;
	snprintf(url, sizeof(url), "http://%s%s%s:%u", v6 ? "[" : "",
		 q->to_host, v6 ? "]" : "", q->to_port);
	if (c->via)
		snprintf(add, sizeof(add), "Proxy-Authorization: %s\r\n",
			 c->auth);
	else
		snprintf(add, sizeof(add), "Host: %s\r\n", url + 7);
	/* after the request line first: the target before it stays put */
	if ((c->via ? c->auth[0] != '\0' : q->no_host) &&
	    !replace_in(c, (size_t)(nl + 1 - c->in), 0, add, fed))
		return false;
	slash = sp[1 + q->prefix_len] == '/' ? "" : "/";
	if (c->via)
		strcat(url, slash);
	return replace_in(c, (size_t)(sp + 1 - c->in), q->prefix_len,
			  c->via ? url : slash, fed);
}

/* Feeds what came from the program; moves ok past judged requests. */
static void judge_http(struct relay_conn *c)
{
	struct rules_http_parser *p = c->parser;
	struct rules_verdict v;
	size_t fed = c->ok + p->head_len, used;
	char extra[1024];
	enum rules_http_event ev;

	while (c->mode == HTTP && fed < c->in_len) {
		ev = rules_http_feed(p, c->in + fed, c->in_len - fed, &used);
		fed += used;
		/*
		 * One feed may take the body of the request before with this
		 * head: that body is judged (its head was); the head starts
		 * after it, where it is rewritten or, refused, cut off.
		 */
		if (ev == RULES_HTTP_REQUEST)
			c->ok = fed - p->req.head_size;
		if (ev == RULES_HTTP_BAD) {
			/* p->req is the request before, if any: this one
			 * could not be read, and is named "request" */
			verdict_relay(&v, p->error);
			refuse_http(c, &v, &(struct rules_http_req){ 0 });
		} else if (ev == RULES_HTTP_REQUEST &&
			   !judge_request(c, &p->req, &v)) {
			refuse_http(c, &v, &p->req);
		} else if (ev == RULES_HTTP_REQUEST && c->absolute &&
			   !proxy_rewrite(c, c->ok, &fed)) {
			verdict_relay(&v, "no room to rewrite the request");
			refuse_http(c, &v, &p->req);
		} else if (ev == RULES_HTTP_REQUEST) {
			http_extra(extra, sizeof(extra), &p->req);
			record(c, "http", extra, &v, true, "");
		}
		if (c->mode == HTTP)
			c->ok = fed - p->head_len;
	}
}

/* --- the per-connection loop ---------------------------------------------- */

static void sniff(struct relay_conn *c)
{
	if (c->in_len == 0)
		return;
	if (c->in[0] == 0x16) {
		c->mode = TLS;
		return;
	}
	c->parser = malloc(sizeof(*c->parser));
	if (!c->parser) {
		c->end[DOWN].eof = c->end[UP].eof = true;
		return;
	}
	rules_http_init(c->parser);
	c->mode = HTTP;
}

/* Sends what was judged; false while upstream is full. */
static bool flush_up(struct relay_conn *c)
{
	ssize_t n;

	while (c->ok) {
		n = c->io->write(c, UP, c->in, c->ok);
		if (n == -EAGAIN)
			return false;
		if (n < 0) {
			c->end[DOWN].eof = c->end[UP].eof = true;
			return false;
		}
		memmove(c->in, c->in + n, c->in_len - (size_t)n);
		c->in_len -= (size_t)n;
		c->ok -= (size_t)n;
		c->sent_up += (uint64_t)n;
	}
	return true;
}

/* Judges what in[] holds past ok, as far as it goes. */
static void judge_in(struct relay_conn *c)
{
	if (c->mode == SNIFF)
		sniff(c);
	if (c->mode == TLS)
		judge_tls(c);
	else if (c->mode == HTTP)
		judge_http(c);
}

/* Reads from the program into in[] and judges it, while not PASS. */
static void read_down(struct relay_conn *c)
{
	ssize_t n;

	while (c->mode < PASS && c->in_len < sizeof(c->in) && flush_up(c)) {
		n = c->io->read(c, DOWN, c->in + c->in_len,
				sizeof(c->in) - c->in_len);
		if (n == -EAGAIN)
			return;
		if (n <= 0) {
			/* step() passes the end on once ok has gone */
			c->end[DOWN].eof = true;
			if (c->mode != HTTP || c->parser->head_len)
				c->in_len = c->ok; /* a part never judged */
			break;
		}
		c->in_len += (size_t)n;
		judge_in(c);
	}
	flush_up(c);
}

/* Passes one direction unread; notes end of stream and a full side. */
static void pass(struct relay_conn *c, enum side from)
{
	struct relay_end *e = &c->end[from];
	ssize_t n;

	if (e->eof && !e->in_pipe)
		return;
	n = c->io->pass(c, from);
	if (n > 0 && c->mode == DRAIN && c->drain_since)
		c->drain_since = time(NULL); /* upstream still answers */
	if (n < 0 && n != -EAGAIN) {
		/* the other side is gone: what waits for it never leaves */
		e->in_pipe = 0;
		e->full = false;
	}
	if (n == 0 || (n < 0 && n != -EAGAIN)) {
		e->eof = true;
		if (c->mode != DRAIN) /* the 403 is still to come */
			end_write(c, !from);
	}
}

/* Sends what is left of proctor's answer; true once it has all gone. */
static bool answer_flush(struct relay_conn *c)
{
	ssize_t n;

	while (c->out_len) {
		n = c->io->write(c, DOWN, c->out, c->out_len);
		if (n == -EAGAIN && time(NULL) - c->out_since < RELAY_DRAIN_S)
			return false; /* the program reads slowly: wait */
		if (n <= 0) {
			c->out_len = 0; /* gone, or never reading: give up */
			break;
		}
		c->out_len -= (size_t)n;
		memmove(c->out, c->out + n, c->out_len);
	}
	return true;
}

/*
 * An answer of proctor's own to the program: status and a text body.
 * Kept until the program's socket takes it: after a large answer from
 * upstream it may be full, and the refusal's text must not be lost.
 */
static void answer(struct relay_conn *c, const char *status, const char *body)
{
	int hl = snprintf(c->out, sizeof(c->out),
			  "HTTP/1.1 %s\r\nContent-Type: text/plain\r\n"
			  "Content-Length: %zu\r\nConnection: close\r\n"
			  "\r\n%s",
			  status, strlen(body), body);

	c->out_len = hl < (int)sizeof(c->out) ? (size_t)hl : sizeof(c->out) - 1;
	c->out_since = time(NULL);
	answer_flush(c);
}

/*
 * Refused: once upstream has answered (or after a while), the 403.  A
 * program that has not taken what upstream answered by then has its
 * connection cut instead: the 403 would land in the middle of that
 * answer, to be read as part of its body.
 */
static void drain(struct relay_conn *c)
{
	if (!c->drain_since)
		return;
	/* its answers, to the last byte in the pipe, before the 403 */
	if ((c->sent_up || c->ok) && (!c->end[UP].eof || c->end[UP].in_pipe) &&
	    time(NULL) - c->drain_since < RELAY_DRAIN_S) {
		uint64_t sent = c->sent_up;

		if (flush_up(c)) /* what went before the refused request */
			end_write(c, UP);
		if (c->sent_up != sent)
			c->drain_since = time(NULL); /* an upload still moves */
		return;
	}
	if (!c->end[UP].in_pipe)
		answer(c, "403 Forbidden", c->refusal);
	c->end[UP].eof = true;
	c->drain_since = 0;
	/* nothing more goes up: no wake-up asked for a side that takes it */
	c->in_len = c->ok = 0;
}

static bool finished(const struct relay_conn *c)
{
	if (c->mode == DRAIN)
		return !c->drain_since && c->end[UP].eof && !c->out_len;
	return c->end[DOWN].eof && c->end[UP].eof && !c->end[DOWN].in_pipe &&
	       !c->end[UP].in_pipe;
}

/*
 * What to wait for on side s: to read when there is room for what it
 * sends, to write when what is bound for it waits.  Level-triggered, so
 * nothing is asked for that would not be acted on.
 */
static uint32_t interest(const struct relay_conn *c, enum side s)
{
	const struct relay_end *e = &c->end[s], *o = &c->end[!s];
	bool rd, wr;

	if (s == UP) {
		rd = !e->full;
		wr = c->ok > 0 || o->in_pipe > 0;
	} else {
		rd = c->mode < PASS ? c->in_len < sizeof(c->in) && !c->ok
				    : c->mode == PASS && !e->full && !c->ok;
		wr = o->in_pipe > 0 || c->out_len > 0;
	}
	return (rd && !e->eof ? EPOLLIN : 0) | (wr ? EPOLLOUT : 0);
}

/*
 * Nothing to wait for takes the descriptor out of epoll, which would
 * otherwise report a hang-up on it again and again.
 */
static void watch(struct relay_conn *c)
{
	for (int s = DOWN; s <= UP; s++) {
		struct relay_end *e = &c->end[s];
		struct epoll_event ev = { .events = interest(c, s),
					  .data.ptr = e };
		int op = !ev.events   ? EPOLL_CTL_DEL
			 : e->watched ? EPOLL_CTL_MOD
				      : EPOLL_CTL_ADD;

		if (ev.events == e->watched)
			continue; /* a syscall saved per event */
		e->watched = ev.events;
		epoll_ctl(relay.ep, op, e->fd, &ev);
	}
}

/* Everything that can move now, on either side. */
static void step(struct relay_conn *c)
{
	if (c->mode == HELLO) {
		await_server_hello(c);
		if (c->mode == HELLO)
			return;
	}
	if (c->mode < PASS)
		read_down(c);
	if (c->mode == SHAKE)
		return; /* the handshake thread's until it is back */
	if (c->mode == HELLO)
		return; /* the server's first byte is await_server_hello's */
	/* the program's end of stream, once all it sent has gone */
	if (c->mode < PASS && c->end[DOWN].eof && !c->ok)
		end_write(c, UP);
	if (c->mode == PASS && flush_up(c))
		pass(c, DOWN);
	pass(c, UP);
	if (c->mode == DRAIN)
		drain(c);
	if (c->mode == DRAIN && !c->drain_since && answer_flush(c))
		c->end[DOWN].eof = true;
}

/* --- the thread ----------------------------------------------------------- */

/*
 * Whether the program may still send c something for upstream: what it
 * sent before it exited must leave before proctor does.
 */
static void note_owing(struct relay_conn *c)
{
	bool owing = !c->dead &&
		     (!c->end[DOWN].eof || c->ok || c->end[DOWN].in_pipe);

	if (owing != c->owing)
		atomic_fetch_add(&relay.owing, owing ? 1 : -1);
	c->owing = owing;
}

static void drop(struct relay_conn *c)
{
	struct relay_conn **pp;

	for (pp = &relay.conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	epoll_ctl(relay.ep, EPOLL_CTL_DEL, c->end[DOWN].fd, NULL);
	epoll_ctl(relay.ep, EPOLL_CTL_DEL, c->end[UP].fd, NULL);
	/* an event of this round may still name it */
	c->dead = true;
	note_owing(c);
	c->next = relay.dead;
	relay.dead = c;
}

static void bury(void)
{
	struct relay_conn *c;

	while ((c = relay.dead)) {
		relay.dead = c->next;
		conn_free(c);
	}
}

/* The noted connection whose program-side port is port, taken out. */
static struct relay_conn *take_pending(uint16_t port)
{
	struct relay_conn **pp, *c = NULL;

	pthread_mutex_lock(&relay.lock);
	for (pp = &relay.pending; *pp; pp = &(*pp)->next) {
		if ((*pp)->port == port) {
			c = *pp;
			*pp = c->next;
			relay.npending--;
			break;
		}
	}
	pthread_mutex_unlock(&relay.lock);
	return c;
}

static void on_event(struct relay_end *e);
static void start_ends(struct relay_conn *c);
static void start_proxy(struct relay_conn *c);

static void on_accept(void)
{
	struct sockaddr_in peer; /* the listener is AF_INET */
	socklen_t len = sizeof(peer);
	struct relay_conn *c = NULL;
	int fd = accept4(relay.listener, (struct sockaddr *)&peer, &len,
			 SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	/*
	 * The port alone names a socket of proctor's only at the address
	 * it bound: a program's socket bound to 127.0.0.2 and that port,
	 * reaching the listener by TCP Fast Open, would take its place.
	 */
	if (peer.sin_addr.s_addr == relay.at.sin_addr.s_addr)
		c = take_pending(ntohs(peer.sin_port));
	if (!c) {
		close(fd); /* not one proctor made: nobody's relay */
		return;
	}
	c->end[DOWN].fd = fd;
	if (c->proxy) {
		start_proxy(c);
		return;
	}
	c->next = relay.conns;
	relay.conns = c;
	start_ends(c);
}

/* Both ends into the epoll set, and a first step: bytes may be there. */
static void start_ends(struct relay_conn *c)
{
	for (int s = DOWN; s <= UP; s++) {
		struct epoll_event ev = { .events = EPOLLIN,
					  .data.ptr = &c->end[s] };

		c->end[s].watched = EPOLLIN;
		epoll_ctl(relay.ep, EPOLL_CTL_ADD, c->end[s].fd, &ev);
	}
	on_event(&c->end[DOWN]);
}

static void on_event(struct relay_end *e)
{
	struct relay_conn *c = e->c;

	if (c->dead)
		return;
	step(c);
	note_owing(c);
	if (c->mode == SHAKE)
		return;
	if (finished(c))
		drop(c);
	else
		watch(c);
}

/* Back from the handshakes: judge the plaintext, or close and log. */
static void on_shaken_one(struct relay_conn *c)
{
	struct relay_tls *x = c->tls;
	struct rules_verdict v;

	if (x->rc < 0) {
		verdict_relay(&v, x->why);
		refuse_tls(c, &v, x->sni);
		drop(c);
		return;
	}
	c->parser = malloc(sizeof(*c->parser));
	if (!c->parser) {
		drop(c);
		return;
	}
	rules_http_init(c->parser);
	c->io = &tls_io;
	c->in_len = c->ok = 0; /* the ClientHello, spent */
	c->mode = HTTP;
	start_ends(c);
}

/* --- proctor's proxy (proxy.c) ------------------------------------------ */

/*
 * The program's request to the proxy, its head whole in in[0, *head),
 * within RELAY_PROXY_WAIT seconds in all: a byte now and then must not
 * hold one of the few threads for good.
 */
static enum rules_http_event proxy_read(struct relay_conn *c, size_t *head)
{
	enum rules_http_event ev = RULES_HTTP_MORE;
	struct pollfd pfd = { .fd = c->end[DOWN].fd, .events = POLLIN };
	struct timespec t0, t;
	long left;
	size_t used;
	ssize_t n;

	*head = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (ev == RULES_HTTP_MORE && c->in_len < sizeof(c->in)) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = RELAY_PROXY_WAIT * 1000L -
		       ((t.tv_sec - t0.tv_sec) * 1000L +
			(t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return RULES_HTTP_BAD; /* silent: no error */
		n = recv(c->end[DOWN].fd, c->in + c->in_len,
			 sizeof(c->in) - c->in_len, MSG_DONTWAIT);
		if (n <= 0)
			return RULES_HTTP_BAD; /* gone: no error */
		c->in_len += (size_t)n;
		ev = rules_http_feed(c->parser, c->in + *head,
				     c->in_len - *head, &used);
		*head += used;
	}
	return ev;
}

/*
 * Allowed and connected: CONNECT gets its 200 and the tunnel is judged
 * as any relayed connection (its server name, its requests) where the
 * policy limits HTTP there, else passed; a plain request is judged
 * again with those after it, in proxy form.
 */
static void proxy_ready(struct relay_conn *c, struct tracer_proxy_dial *d,
			int up, size_t head)
{
	/* no header: a 2xx to CONNECT is the tunnel, nothing else */
	static const char tunnel_open[] =
		"HTTP/1.1 200 Connection established\r\n\r\n";
	const struct rules_http_req *q = &c->parser->req;
	char extra[1024];

	fcntl(up, F_SETFL, O_NONBLOCK);
	c->end[UP].fd = up;
	c->addr = d->addr;
	c->verdict = d->verdict;
	if (d->verdict.http)
		c->http = *d->verdict.http;
	c->via = d->via;
	c->auth = d->auth;
	if (!d->tunnel) {
		c->absolute = true;
		rules_http_init(c->parser);
		c->parser->proxy = true;
		c->mode = HTTP;
		return;
	}
	http_extra(extra, sizeof(extra), q);
	record(c, "http", extra, &d->verdict, true, "");
	c->io->write(c, DOWN, tunnel_open, sizeof(tunnel_open) - 1);
	memmove(c->in, c->in + head, c->in_len - head);
	c->in_len -= head;
	free(c->parser);
	c->parser = NULL;
	/*
	 * Through the user's proxy the target's address is the proxy's
	 * to know: with limits in the policy, every tunnel is judged
	 * (its requests' Host by name), or one to a sibling name of a
	 * limited site would carry requests for it.
	 */
	if (d->verdict.http ||
	    (d->via ? rules_policy_relays(relay.sup->o->policy)
		    : tracer_relay_limits(&d->addr))) {
		c->mode = SNIFF;
	} else {
		c->mode = PASS;
		c->ok = c->in_len;
	}
}

/* A proxy thread waiting for the user's answer about a name. */
struct proxy_wait {
	pthread_mutex_t lock;
	pthread_cond_t done;
	struct tracer_question *q;
	int fd; /* the program's side: its hang-up settles the question */
};

/*
 * The program has not hung up.  Its end of stream is seen, not read: a
 * body it sent after the request may wait unread before it (a peek
 * would find those bytes, and the question would outlive the program).
 */
static bool wait_alive(void *arg)
{
	struct proxy_wait *w = arg;
	struct pollfd pfd = { .fd = w->fd, .events = POLLRDHUP };

	return poll(&pfd, 1, 0) == 0;
}

static void wait_resume(void *arg, struct tracer_question *q)
{
	struct proxy_wait *w = arg;

	pthread_mutex_lock(&w->lock);
	w->q = q;
	pthread_cond_signal(&w->done);
	pthread_mutex_unlock(&w->lock);
}

/*
 * A name an entry asks about, asked to a proxy: this thread may wait, so
 * the user is asked (as for a query of the name) before proctor resolves
 * or dials it.  True when the answer allows.
 */
static bool proxy_ask(struct relay_conn *c, struct tracer_proxy_dial *d)
{
	struct proxy_wait w = { .lock = PTHREAD_MUTEX_INITIALIZER,
				.done = PTHREAD_COND_INITIALIZER,
				.fd = c->end[DOWN].fd };
	struct tracer_waiter tw = { wait_alive, wait_resume, &w };
	struct tracer_event ev = { 0 };
	bool ok;
	int rc;

	/* questions left waiting must not hold every reader of the proxy */
	if (atomic_fetch_add(&relay.asking, 1) >= RELAY_PROXY_ASK) {
		atomic_fetch_sub(&relay.asking, 1);
		verdict_relay(&d->verdict, "too many questions from proctor's "
					   "proxy wait for an answer");
		return false;
	}
	rc = tracer_prompt_resolve(c->tid, d->host, "proxy", &d->verdict, &tw,
				   &ev);
	if (rc != -EINPROGRESS) {
		atomic_fetch_sub(&relay.asking, 1);
		return rc > 0;
	}
	pthread_mutex_lock(&w.lock);
	while (!w.q)
		pthread_cond_wait(&w.done, &w.lock);
	pthread_mutex_unlock(&w.lock);
	ok = tracer_prompt_resolved(w.q, &ev);
	tracer_prompt_release(w.q);
	atomic_fetch_sub(&relay.asking, 1);
	return ok;
}

/*
 * Reads the proxy request and dials its target, away from the relay
 * thread: resolving and connecting may take seconds.
 */
static void *proxy_thread(void *arg)
{
	struct relay_conn *c = arg;
	struct rules_http_parser *p = c->parser;
	struct tracer_proxy_dial d = { .grant = c->grant };
	struct rules_verdict v;
	size_t head;
	int up;

	set_blocking(c->end[DOWN].fd, true);
	if (proxy_read(c, &head) != RULES_HTTP_REQUEST) {
		if (p->error) {
			verdict_relay(&v, p->error);
			refuse_http(c, &v, &p->req);
			answer(c, "400 Bad Request", c->refusal);
		}
		goto back;
	}
	d.host = p->req.to_host;
	d.ip = p->req.to_ip;
	d.port = p->req.to_port;
	d.tunnel = p->req.target == RULES_HTTP_AUTHORITY;
	snprintf(c->host, sizeof(c->host), "%s", d.host);
	c->to_port = d.port;
	up = tracer_proxy_dial(&d);
	if (!d.allowed && !d.why[0] &&
	    tracer_prompt_askable(relay.sup, &d.verdict) && proxy_ask(c, &d)) {
		d.asked = c->host_asked = true;
		up = tracer_proxy_dial(&d);
	}
	if (!d.allowed && !d.why[0]) {
		refuse_http(c, &d.verdict, &p->req);
		answer(c, "403 Forbidden", c->refusal);
	} else if (up < 0) {
		snprintf(c->refusal, sizeof(c->refusal),
			 "proctor's proxy reached no server for %s:%u: %s\n",
			 d.host, d.port, d.why);
		answer(c, "502 Bad Gateway", c->refusal);
	} else {
		proxy_ready(c, &d, up, head);
	}
back:
	set_blocking(c->end[DOWN].fd, false);
	atomic_fetch_sub(&relay.dialing, 1);
	hand_back(c);
	return NULL;
}

static void start_proxy(struct relay_conn *c)
{
	pthread_attr_t attr;
	pthread_t t;
	int rc = ENOMEM;

	/*
	 * Each thread may wait 15 s for a request: a program holds few, and
	 * the others wait their turn (on_back starts them).  Only this
	 * thread adds to dialing, so it cannot grow past the check.
	 */
	if (atomic_load(&relay.dialing) >= RELAY_PROXY_MAX) {
		c->next = NULL;
		if (!relay.waiting_end)
			relay.waiting_end = &relay.waiting;
		*relay.waiting_end = c;
		relay.waiting_end = &c->next;
		return;
	}
	atomic_fetch_add(&relay.dialing, 1);
	c->parser = malloc(sizeof(*c->parser));
	if (c->parser) {
		rules_http_init(c->parser);
		c->parser->proxy = c->parser->tunnel = true;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		rc = pthread_create(&t, &attr, proxy_thread, c);
		pthread_attr_destroy(&attr);
	}
	if (rc) {
		atomic_fetch_sub(&relay.dialing, 1);
		drop(c);
	}
}

/* Back from proxy_thread: relayed from now on, or closed. */
static void on_proxied(struct relay_conn *c)
{
	if (c->end[UP].fd < 0) {
		drop(c);
		return;
	}
	c->next = relay.conns;
	relay.conns = c;
	judge_in(c); /* what came with the request */
	start_ends(c);
}

/* Connections threads are done with: handshakes, proxy requests. */
static void on_back(void)
{
	struct relay_conn *c, *next;
	eventfd_t n;

	eventfd_read(relay.wake, &n);
	pthread_mutex_lock(&relay.lock);
	c = relay.back;
	relay.back = NULL;
	pthread_mutex_unlock(&relay.lock);
	for (; c; c = next) {
		next = c->back;
		if (c->mode == SHAKE)
			on_shaken_one(c);
		else
			on_proxied(c);
	}
	while (relay.waiting && atomic_load(&relay.dialing) < RELAY_PROXY_MAX) {
		c = relay.waiting;
		relay.waiting = c->next;
		if (!relay.waiting)
			relay.waiting_end = &relay.waiting;
		start_proxy(c);
	}
}

/*
 * Whether the program's socket of c is closed for good: no descriptor
 * holds it (sock_diag(7): an orphan has inode 0), or it is gone.  Its
 * end of stream alone cannot tell, since shutdown(SHUT_WR) then waiting
 * for the answer looks the same.
 */
static bool program_end_closed(const struct relay_conn *c)
{
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 req;
	} q = {
		.nh = { .nlmsg_len = sizeof(q),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST },
		.req = { .sdiag_family = (uint8_t)c->family,
			 .sdiag_protocol = IPPROTO_TCP,
			 .idiag_states = ~0u,
			 .id = { .idiag_sport = htons(c->port),
				 .idiag_dport = relay.at.sin_port,
				 .idiag_cookie = { INET_DIAG_NOCOOKIE,
						   INET_DIAG_NOCOOKIE } } },
	};
	union {
		struct nlmsghdr nh;
		char buf[1024];
	} a;
	struct inet_diag_msg *m = NLMSG_DATA(&a.nh);
	struct nlmsgerr *e = NLMSG_DATA(&a.nh);
	int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
			NETLINK_SOCK_DIAG);
	ssize_t n = -1;

	if (c->family == AF_INET6) {
		rules_ip_map_v4((uint8_t *)q.req.id.idiag_src,
				&relay.at.sin_addr);
		rules_ip_map_v4((uint8_t *)q.req.id.idiag_dst,
				&relay.at.sin_addr);
	} else {
		q.req.id.idiag_src[0] = q.req.id.idiag_dst[0] =
			relay.at.sin_addr.s_addr;
	}
	if (nl >= 0 && send(nl, &q, sizeof(q), 0) == sizeof(q))
		n = recv(nl, &a, sizeof(a), 0);
	if (nl >= 0)
		close(nl);
	if (n < (ssize_t)sizeof(a.nh) || !NLMSG_OK(&a.nh, (size_t)n))
		return false; /* cannot tell: kept */
	if (a.nh.nlmsg_type == NLMSG_ERROR)
		return e->error == -ENOENT;
	return a.nh.nlmsg_type == SOCK_DIAG_BY_FAMILY && m->idiag_inode == 0;
}

/*
 * Refusals whose upstream never hung up get their 403 anyway.  A
 * connection whose program end was closed for good ends, whatever
 * upstream does: a server that keeps it open past the program's end of
 * stream (waiting out an idle timeout, or for good) would otherwise
 * hold it, and its place under relay_most, after the program is gone.
 */
static void sweep(bool now_asked)
{
	struct relay_conn *c, *next;
	time_t now = time(NULL);

	for (c = relay.conns; c; c = next) {
		next = c->next;
		if (c->mode == DRAIN && (c->drain_since || c->out_len))
			on_event(&c->end[DOWN]);
		/*
		 * The handshakes' time is counted per read by the socket
		 * timeouts: a byte every few seconds would hold a thread for
		 * ever.  Over all, they get RELAY_HANDSHAKE_S: then both
		 * ends are shut, which fails them (the thread's alone now).
		 */
		if (c->mode == SHAKE && c->shake_since &&
		    now - c->shake_since > RELAY_HANDSHAKE_S) {
			shutdown(c->end[DOWN].fd, SHUT_RDWR);
			shutdown(c->end[UP].fd, SHUT_RDWR);
			c->shake_since = 0;
		}
		if (c->dead || !c->end[DOWN].eof || c->end[UP].eof ||
		    c->mode == SHAKE || (c->looked == now && !now_asked))
			continue;
		c->looked = now;
		if (program_end_closed(c))
			drop(c);
	}
}

static void *relay_thread(void *arg)
{
	struct epoll_event evs[64];
	sigset_t all;
	uint64_t ask;
	int n, i;

	(void)arg;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		n = epoll_wait(relay.ep, evs, 64, 1000);
		if (n < 0 && errno != EINTR)
			break;
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL)
				on_accept();
			else if (evs[i].data.ptr == &wake_tag)
				on_back();
			else
				on_event(evs[i].data.ptr);
		}
		pthread_mutex_lock(&room.lock);
		ask = room.asked;
		pthread_mutex_unlock(&room.lock);
		sweep(ask != room.swept);
		bury();
		if (ask != room.swept) {
			pthread_mutex_lock(&room.lock);
			room.swept = ask;
			pthread_cond_broadcast(&room.looked);
			pthread_mutex_unlock(&room.lock);
		}
	}
	return NULL;
}

int tracer_relay_listen(uint16_t *port)
{
	socklen_t len = sizeof(relay.at);

	relay.listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	relay.at.sin_family = AF_INET;
	relay.at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (relay.listener < 0 ||
	    bind(relay.listener, (struct sockaddr *)&relay.at, len) < 0 ||
	    getsockname(relay.listener, (struct sockaddr *)&relay.at, &len) <
		    0 ||
	    listen(relay.listener, 128) < 0)
		return -errno;
	fcntl(relay.listener, F_SETFL, O_NONBLOCK);
	*port = ntohs(relay.at.sin_port);
	return 0;
}

/*
 * Each connection holds six descriptors (two sockets, two pipes); the
 * relay takes at most half of proctor's, so that a program opening
 * connections by the thousand cannot starve the opens proctor makes for
 * it (at 20,000 descriptors: 1,666 connections at once).
 */
#define RELAY_FDS_PER_CONN 6

static int relay_most(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur > (1 << 24))
		return (1 << 24) / 2 / RELAY_FDS_PER_CONN;
	return rl.rlim_cur < 2 * 2 * RELAY_FDS_PER_CONN
		       ? 2
		       : (int)(rl.rlim_cur / 2 / RELAY_FDS_PER_CONN);
}

/*
 * Whether one more connection fits (to name, at ra, for the message),
 * keeping its place at once, so that connects on several threads cannot
 * all pass; conn_new() takes the place over.  When it does not fit, the
 * program's connect gets ENOBUFS (a resource of proctor's, not a refusal by the
 * policy) and stderr says so once a run.  Not EAGAIN: from a non-blocking
 * connect event loops (asyncio, curl) read it as "in progress", as for a unix
 * socket, and then take the socket, writable and unconnected with SO_ERROR 0,
 * for connected.
 */
static bool take_place(void)
{
	if (atomic_fetch_add(&relay.live, 1) < relay.most)
		return true;
	atomic_fetch_sub(&relay.live, 1);
	return false;
}

/*
 * Full: the relay thread looks at once for connections whose program
 * end was closed (sweep), and the caller, which may wait, waits for that
 * look, ROOM_WAIT_MS at most.
 */
static void room_look(void)
{
	struct timespec until;
	uint64_t ask;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += ROOM_WAIT_MS * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&room.lock);
	ask = ++room.asked;
	pthread_mutex_unlock(&room.lock);
	eventfd_write(relay.wake, 1);
	pthread_mutex_lock(&room.lock);
	while (room.swept < ask &&
	       pthread_cond_timedwait(&room.looked, &room.lock, &until) == 0)
		;
	pthread_mutex_unlock(&room.lock);
}

bool tracer_relay_full(void)
{
	return atomic_load(&relay.live) >= relay.most;
}

static bool relay_has_room(const struct tracer_req *r,
			   const struct rules_addr *ra, const char *name)
{
	char addr[96], host[96];

	/*
	 * Two looks: a connection the thread accepts in one (the proxy's)
	 * shows its end of stream only in the next.
	 */
	for (int look = 0; !take_place(); look++) {
		if (!r->may_block || look == 2)
			goto full;
		room_look();
	}
	return true;

full:
	if (!atomic_exchange(&relay.full_said, true) && !relay.sup->o->quiet) {
		rules_addr_format(ra, addr, sizeof(addr));
		tracer_printable(host, sizeof(host), name);
		fprintf(stderr,
			"proctor: the relay carries %d connections, its most "
			"(half of proctor's descriptors); a connect to %s%s%s%s "
			"by pid %d gets ENOBUFS, as will others until some "
			"end\n",
			relay.most, host, host[0] ? " (" : "", addr,
			host[0] ? ")" : "", r->tgid);
	}
	return false;
}

static void count_name(const char *name, void *arg)
{
	(void)name;
	(void)arg;
}

int tracer_relay_start(const struct tracer_sup *s)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	pthread_attr_t attr;
	pthread_t t;
	uint16_t port;
	int rc;

	relay.sup = s;
	relay.most = relay_most();
	/* nothing to relay: no thread, no listener */
	if (!rules_policy_relays(s->o->policy) && !tracer_proxy_on())
		return 0;
	if (relay.listener < 0 && (rc = tracer_relay_listen(&port)))
		return rc;
	relay.ep = epoll_create1(EPOLL_CLOEXEC);
	if (relay.ep < 0 ||
	    epoll_ctl(relay.ep, EPOLL_CTL_ADD, relay.listener, &ev) < 0)
		return -errno;
	relay.wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ev.data.ptr = (void *)&wake_tag;
	if (relay.wake < 0 ||
	    epoll_ctl(relay.ep, EPOLL_CTL_ADD, relay.wake, &ev) < 0)
		return -errno;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, relay_thread, NULL);
	/* a lookup may take the resolver's timeouts: not the start's */
	known.wanted = rules_limited_names(s->o->policy, count_name, NULL);
	clock_gettime(CLOCK_REALTIME, &known.until);
	known.until.tv_sec += RELAY_KNOWN_WAIT_MS / 1000;
	if (!rc && known.wanted &&
	    pthread_create(&t, &attr, known_thread, NULL)) {
		known.wanted = false;
		fprintf(stderr, "proctor: cannot resolve the limited names: "
				"no thread\n");
	}
	pthread_attr_destroy(&attr);
	if (rc)
		return -rc;
	relay.on = true;
	return 0;
}

void tracer_relay_finish(void)
{
	int i, pending;

	for (i = 0; relay.on && i < 100; i++) {
		pthread_mutex_lock(&relay.lock);
		pending = relay.npending;
		pthread_mutex_unlock(&relay.lock);
		if (!pending && !atomic_load(&relay.owing))
			return;
		usleep(10000);
	}
}

/* --- the connect (workers) ------------------------------------------------ */

/*
 * Whether a name proctor answered with ra is allowed by an entry with
 * HTTP limits: then every connection to ra is relayed, whichever name
 * decided it, or the limited site would be reached through a sibling
 * name behind the same address.
 */
bool tracer_relay_limits(const struct rules_addr *ra)
{
	char names[8][TRACER_NAME_MAX];
	const char *list[1];
	struct rules_verdict v;
	size_t n, i;
	int which;

	if (!relay.on || ra->kind != RULES_ADDR_IP)
		return false;
	if (known_at(ra->ip, NULL, names, 1))
		return true;
	n = tracer_names_find(ra->ip, names, 8);
	for (i = 0; i < n; i++) {
		list[0] = names[i];
		rules_check_connect(relay.sup->o->policy, ra, list, 1, &v,
				    &which);
		if (which >= 0 && v.action == RULES_ALLOW && v.http)
			return true;
	}
	return false;
}

bool tracer_relay_wants(const struct tracer_req *r, const struct rules_addr *ra)
{
	/* allowed: by the policy, a grant, or the user at a question */
	if (!relay.on || !r->ev.allowed || ra->kind != RULES_ADDR_IP)
		return false;
	return r->verdict.http || tracer_relay_limits(ra);
}

/* A socket of family connected to the listener; its port in *port. */
static int connect_down(int family, uint16_t *port, struct relay_conn *c)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in a4 = relay.at;
	struct sockaddr *to = (void *)&a4;
	socklen_t len = sizeof(a4);
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (family == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &(int){ 0 },
			   sizeof(int));
		rules_ip_map_v4(a6.sin6_addr.s6_addr, &relay.at.sin_addr);
		a6.sin6_port = relay.at.sin_port;
		to = (void *)&a6;
		len = sizeof(a6);
	}
	a4.sin_port = 0;
	a6.sin6_port = 0;
	if (bind(fd, to, len) < 0 || getsockname(fd, to, &len) < 0)
		goto fail;
	*port = ntohs(family == AF_INET6 ? a6.sin6_port : a4.sin_port);
	c->port = *port;
	c->family = family;
	pthread_mutex_lock(&relay.lock);
	c->next = relay.pending;
	relay.pending = c;
	relay.npending++;
	pthread_mutex_unlock(&relay.lock);
	a4.sin_port = a6.sin6_port = relay.at.sin_port;
	if (connect(fd, to, len) == 0)
		return fd;
	take_pending(*port); /* frees nothing: the caller does */
fail:
	close(fd);
	return -errno;
}

static void fill_conn(struct relay_conn *c, const struct tracer_req *r,
		      const struct rules_addr *ra)
{
	c->tid = r->tid;
	c->tgid = r->tgid;
	c->addr = *ra;
	c->verdict = r->verdict;
	c->grant = tracer_grant_of(r->tgid);
	c->host_asked = r->ev.answer != NULL; /* allowed at a question */
	if (r->verdict.http)
		c->http = *r->verdict.http;
	snprintf(c->host, sizeof(c->host), "%s", r->host);
}

void tracer_relay_proxy_connect(struct tracer_req *r, int sock,
				const struct rules_addr *ra)
{
	struct relay_conn *c = NULL;
	socklen_t sl = sizeof(int);
	int family = AF_INET, fd, fl = fcntl(sock, F_GETFL);
	uint16_t port;

	getsockopt(sock, SOL_SOCKET, SO_DOMAIN, &family, &sl);
	close(sock); /* as for the relay: it stays unconnected */
	if (!relay_has_room(r, ra, "proctor's proxy")) {
		r->err = ENOBUFS;
		return;
	}
	c = conn_new(-1);
	if (!c) {
		r->err = ENOMEM;
		return;
	}
	c->proxy = true;
	fill_conn(c, r, ra);
	fd = connect_down(family, &port, c);
	if (fd < 0) {
		r->err = -fd;
		conn_free(c);
		return;
	}
	if (fl >= 0 && fl & O_NONBLOCK)
		fcntl(fd, F_SETFL, O_NONBLOCK);
	r->addfd = fd;
	r->addfd_at = (int)r->args[0];
	r->addfd_flags = tracer_fd_cloexec(r->tid, (int)r->args[0]);
	r->val = 0;
}

/*
 * The upstream connection, on a socket of proctor's own: never the
 * program's, of which the program may hold a duplicate (dup, fork,
 * SCM_RIGHTS) that would then reach upstream past the relay.  Its
 * connect waits as the program's would: non-blocking, RELAY_CONNECT_MS
 * at most; blocking, as the kernel does or for the program's own
 * SO_SNDTIMEO (ETIMEDOUT then: the relay has no connect left on its
 * way to hand over).  It waits parked with the waiter (park.c), so
 * that a signal reaches the program; on this pool worker only where
 * nothing more can be parked.
 */
struct relay_up {
	int up;
	int family;
	bool nonblock;	      /* the program's socket */
	struct stat sock;     /* which it is */
	struct rules_addr ra; /* judged */
};

/*
 * Whether the program's descriptor still holds its socket: another of
 * its threads may have put something else at that number while the
 * connect waited (dup2), which the relay's end must not replace.
 */
static bool still_theirs(const struct tracer_req *r, const struct relay_up *u)
{
	struct stat now;
	int fd = tracer_steal_fd(r->tid, r->tgid, (int)r->args[0]);
	bool same;

	if (fd < 0)
		return false;
	same = fstat(fd, &now) == 0 && now.st_dev == u->sock.st_dev &&
	       now.st_ino == u->sock.st_ino;
	close(fd);
	return same;
}

/*
 * Once connected upstream: the program's socket becomes the relay's.
 * One the program let go of meanwhile is connected as far as it knows
 * (natively the connect would end on the socket it dropped): 0.
 */
static void up_attach(struct tracer_req *r, const struct relay_up *u)
{
	struct relay_conn *c;
	uint16_t port;
	int fd;

	if (!still_theirs(r, u)) {
		close(u->up);
		atomic_fetch_sub(&relay.live, 1);
		r->val = 0;
		return;
	}
	c = conn_new(u->up);
	if (!c) {
		r->err = ENOMEM;
		close(u->up);
		return;
	}
	fill_conn(c, r, &u->ra);
	fd = connect_down(u->family, &port, c);
	if (fd < 0) {
		r->err = -fd;
		conn_free(c);
		return;
	}
	if (u->nonblock)
		fcntl(fd, F_SETFL, O_NONBLOCK);
	r->addfd = fd;
	r->addfd_at = (int)r->args[0];
	r->addfd_flags = tracer_fd_cloexec(r->tid, (int)r->args[0]);
	r->val = 0;
}

/* Without it: the upstream socket closed, the relay's place given back. */
static void up_fail(struct tracer_req *r, const struct relay_up *u, int err)
{
	if (u->up >= 0)
		close(u->up);
	atomic_fetch_sub(&relay.live, 1);
	r->err = err;
}

static int up_try(void *what)
{
	return tracer_connect_result(((struct relay_up *)what)->up);
}

static void up_finish(struct tracer_req *r, void *what, int rc)
{
	struct relay_up *u = what;

	if (rc > 0)
		up_attach(r, u);
	else
		up_fail(r, u, -rc);
	free(u);
}

static const struct tracer_park_kind up_kind = {
	.try = up_try,
	.finish = up_finish,
};

/* Parks the connect on its way: false where nothing can be parked. */
static bool up_park(struct tracer_req *r, const struct relay_up *u,
		    int64_t deadline)
{
	struct tracer_park *pk = tracer_park_reserve();
	struct relay_up *kept = pk ? malloc(sizeof(*kept)) : NULL;

	if (!kept) {
		if (pk)
			tracer_park_release(pk);
		return false;
	}
	*kept = *u;
	tracer_park_set(pk, &up_kind, kept, kept->up, EPOLLOUT, deadline,
			-ETIMEDOUT);
	r->park = pk;
	return true;
}

/* Waits here for the connect on its way: 0 or its errno. */
static int up_wait(int up, int64_t deadline)
{
	struct pollfd pfd = { .fd = up, .events = POLLOUT };
	int64_t left = deadline - tracer_now_ms();
	int rc;

	if (poll(&pfd, 1,
		 deadline == INT64_MAX ? -1
		 : left > 0	       ? (int)left
				       : 0) <= 0)
		return ETIMEDOUT;
	rc = tracer_connect_result(up);
	return rc > 0 ? 0 : -rc;
}

void tracer_relay_connect(struct tracer_req *r, int sock,
			  const struct sockaddr *sa, socklen_t len,
			  const struct rules_addr *ra)
{
	struct relay_up u = { .family = sa->sa_family, .ra = *ra };
	int fl = fcntl(sock, F_GETFL), err;
	int64_t deadline;

	u.nonblock = fl >= 0 && fl & O_NONBLOCK;
	fstat(sock, &u.sock);
	deadline = u.nonblock ? tracer_now_ms() + RELAY_CONNECT_MS
			      : tracer_connect_deadline(r, sock);
	close(sock); /* the program's socket stays unconnected */
	if (!relay_has_room(r, ra, r->host)) {
		r->err = ENOBUFS;
		return;
	}
	u.up = socket(u.family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (u.up < 0) {
		up_fail(r, &u, errno);
		return;
	}
	if (connect(u.up, sa, len) < 0) {
		err = errno;
		if (err == EINPROGRESS && up_park(r, &u, deadline))
			return;
		if (err == EINPROGRESS)
			err = up_wait(u.up, deadline);
		if (err) {
			up_fail(r, &u, err);
			return;
		}
	}
	up_attach(r, &u);
}
