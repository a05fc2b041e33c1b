/* SPDX-License-Identifier: MIT */
/*
 * connect(2), carried out by the supervisor on the tracee's own socket
 * (pidfd_getfd(2)) with the supervisor's copy of the address, so the
 * address judged is the address used (THREATS.md 1, 13, 15).
 *
 * A refused connect fails with ECONNREFUSED: programs read it as "nobody
 * there" and try their next address, and the listener sees nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/netlink.h>

#include "tracer/tracer.h"

/*
 * A refused connect: a stream one's peer refused it, so a program moves
 * on to its next address; a datagram one has no peer to refuse it (a
 * datagram connect sends nothing), and finds no way there: a resolver
 * (gpg's dirmngr) took ECONNREFUSED for a server that may be back at
 * once and asked again, thousands of times a second.
 */
#define NET_DENY_ERRNO	     ECONNREFUSED
#define NET_DENY_DGRAM_ERRNO ENETUNREACH

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL /* linux/pidfd.h, 6.9 */
#endif

/*
 * A duplicate of the descriptor fd of thread tid (of process tgid) in
 * this process: from the thread's own table, which is another than the
 * process's main thread's after unshare(CLONE_FILES), and the only one
 * left once the main thread has ended (pthread_exit in main).  Before
 * 6.9 a pidfd names a process: its main thread's table.
 */
int tracer_steal_fd(pid_t tid, pid_t tgid, int fd)
{
	int pidfd = syscall(SYS_pidfd_open, tid, PIDFD_THREAD);
	int dup, err;

	if (pidfd < 0 && errno == EINVAL)
		pidfd = syscall(SYS_pidfd_open, tgid, 0);
	if (pidfd < 0)
		return -errno;
	dup = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	err = errno;
	close(pidfd);
	return dup < 0 ? -err : dup;
}

/*
 * A unix socket path is resolved like any path, from the tracee's cwd;
 * we then connect or send through our own descriptor of its directory,
 * so a symlink swapped in cannot move it (class 13).
 */
int tracer_unix_resolve(struct tracer_req *r, struct rules_addr *ra,
			struct sockaddr_un *sun, socklen_t *len,
			struct tracer_path *p)
{
	int err = tracer_path_resolve(r->tid, r->tgid, AT_FDCWD, ra->path,
				      TRACER_PATH_FOLLOW, p);

	if (err)
		return err;
	/* nothing there: nothing to judge, and natively ENOENT, which a
	 * program probing for a daemon's socket takes as "start it" */
	if (!p->exists && p->magic < 0) {
		tracer_path_release(p);
		return -ENOENT;
	}
	snprintf(ra->path, sizeof(ra->path), "%s", p->path);
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (p->magic >= 0)
		snprintf(sun->sun_path, sizeof(sun->sun_path),
			 "/proc/self/fd/%d", p->magic);
	else if ((size_t)snprintf(sun->sun_path, sizeof(sun->sun_path),
				  "/proc/self/fd/%d/%s", p->parent,
				  p->name) >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	*len = sizeof(*sun);
	return 0;
}

int tracer_netlink_kernel(const struct sockaddr_storage *ss, socklen_t len)
{
	const struct sockaddr_nl *nl = (const void *)ss;

	if (len < sizeof(*nl))
		return -EINVAL;
	return nl->nl_pid == 0 && !nl->nl_groups ? 0 : -EPERM;
}

/* Our own copy of the address argument (args[1], length len). */
static int copy_sockaddr(struct tracer_req *r, struct sockaddr_storage *ss,
			 socklen_t len)
{
	if (len > sizeof(*ss))
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	return tracer_mem_read(r->tid, r->args[1], ss, len);
}

static bool is_loopback(const struct rules_addr *a)
{
	static const uint8_t v6[16] = { [15] = 1 };

	if (a->kind != RULES_ADDR_IP)
		return false;
	return !memcmp(a->ip, v6, 16) ||
	       (rules_ip_is_v4(a->ip) && a->ip[12] == 127);
}

/*
 * A blocking socket's connect can wait, on this host's loopback too: a
 * listener whose accept queue is full drops the SYN, and the connect
 * waits for its retries (up to tcp_syn_retries, about two minutes).
 */
static bool may_wait(int sock)
{
	int fl = fcntl(sock, F_GETFL);

	return fl >= 0 && !(fl & O_NONBLOCK);
}

#define LOOPBACK_CONNECT_MS 20

/* A connect whose SYN is out: EALREADY when the call is restarted. */
static bool on_its_way(int err)
{
	return err == EINPROGRESS || err == EALREADY;
}

/*
 * A TCP connect on loopback is done at once unless the listener's queue
 * is full: tried here for LOOPBACK_CONNECT_MS (SO_SNDTIMEO bounds a
 * connect's wait), it spares the common case the waiter's hand-over.
 * Returns false when the connect still waits (its SYN is out: the
 * waiter watches it), or the socket has a timeout of its own (untried:
 * the waiter keeps that).  The program's own timeout is put back.
 */
static bool connect_briefly(int sock, const struct sockaddr *sa, socklen_t len,
			    int *err)
{
	struct timeval was, brief = { 0, LOOPBACK_CONNECT_MS * 1000 };
	socklen_t wl = sizeof(was);
	int rc;

	if (getsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &was, &wl) < 0 ||
	    was.tv_sec || was.tv_usec ||
	    setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &brief, sizeof(brief)) <
		    0)
		return false;
	rc = connect(sock, sa, len);
	*err = rc < 0 ? errno : 0;
	setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &was, sizeof(was));
	return !on_its_way(*err);
}

/*
 * Sends a blocking socket's SYN without waiting: O_NONBLOCK is set on
 * the socket for the call and taken off after.  The program's thread
 * that called waits for our answer meanwhile; another of its threads
 * could see the flag for those microseconds, on a socket that is not
 * connected yet.  Returns 0 or the connect's errno (EINPROGRESS: on its
 * way; a restarted call finds it connected, failed, or EALREADY).
 */
static int connect_start(int sock, const struct sockaddr *sa, socklen_t len)
{
	int fl = fcntl(sock, F_GETFL), err;

	if (fl < 0 || fcntl(sock, F_SETFL, fl | O_NONBLOCK) < 0)
		return errno;
	err = connect(sock, sa, len) < 0 ? errno : 0;
	fcntl(sock, F_SETFL, fl);
	return err;
}

int tracer_connect_result(int sock)
{
	struct pollfd pfd = { .fd = sock, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int err = 0;

	if (poll(&pfd, 1, 0) <= 0)
		return 0;
	if (getsockopt(sock, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -errno;
	return err ? -err : 1;
}

static int connect_try(void *what)
{
	return tracer_connect_result(*(int *)what);
}

static void connect_finish(struct tracer_req *r, void *what, int rc)
{
	int *sock = what;

	r->err = rc < 0 ? -rc : 0;
	close(*sock);
	free(sock);
}

static const struct tracer_park_kind connect_kind = {
	.try = connect_try,
	.finish = connect_finish,
};

int64_t tracer_connect_deadline(const struct tracer_req *r, int sock)
{
	struct timeval own;
	socklen_t len = sizeof(own);

	if (getsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &own, &len) < 0 ||
	    (!own.tv_sec && !own.tv_usec))
		return INT64_MAX;
	return (int64_t)r->arrived.tv_sec * 1000 +
	       r->arrived.tv_nsec / 1000000 + (int64_t)own.tv_sec * 1000 +
	       own.tv_usec / 1000;
}

/*
 * A blocking TCP connect, which can wait long: for a host that does not
 * answer (two minutes of SYN retries), or a loopback listener whose
 * queue is full.  Its SYN is sent without waiting and the call parked
 * with the waiter, which answers once the socket says how it went, or
 * with EINTR for a signal (a worker waiting in connect could not: the
 * program's Ctrl-C handler would wait as long), or EINPROGRESS at the
 * program's own timeout.  Takes sock and returns true, done or parked;
 * false, sock kept, when nothing can be parked (the pool waits).
 */
static bool connect_parked(struct tracer_req *r, int sock,
			   const struct sockaddr *sa, socklen_t len,
			   const struct rules_addr *ra)
{
	struct tracer_park *pk;
	int err = 0, *what;
	bool started = false;

	if ((err = tracer_as_task(r->tid)) < 0) {
		r->err = -err;
		goto done;
	}
	if (is_loopback(ra) && connect_briefly(sock, sa, len, &err))
		goto done;
	started = on_its_way(err);
	pk = tracer_park_reserve();
	what = pk ? malloc(sizeof(*what)) : NULL;
	if (!what) {
		/* the pool's connect waits, for the rest if the SYN is out */
		if (pk)
			tracer_park_release(pk);
		tracer_as_self();
		return false;
	}
	if (!started && !on_its_way(err = connect_start(sock, sa, len))) {
		free(what);
		tracer_park_release(pk);
		goto done;
	}
	*what = sock;
	tracer_req_hold_who(r); /* it may outlive its task */
	/* a blocking connect that timed out says EINPROGRESS (EALREADY:
	 * the socket was connecting before this call) */
	tracer_park_set(pk, &connect_kind, what, sock, EPOLLOUT,
			tracer_connect_deadline(r, sock),
			err == EALREADY ? -EALREADY : -EINPROGRESS);
	r->park = pk;
	tracer_as_self();
	return true;
done:
	tracer_as_self();
	r->err = r->err ? r->err : err;
	close(sock);
	return true;
}

/*
 * A blocking connect of a unix stream socket to a listener whose queue
 * is full waits until the listener accepts one.  Nothing tells when:
 * the waiter tries again on its timer (a try that finds the queue full
 * says EAGAIN), so that a signal ends it as natively, with the program's
 * credentials (the listener reads them: SO_PEERCRED) and through a copy
 * of the socket file's directory (tracer_unix_resolve).
 */
struct unix_wait {
	int sock;
	int at; /* the socket file's directory, or -1 (an abstract name) */
	struct sockaddr_storage to;
	socklen_t len;
	pid_t tid;
};

static int unix_try(void *what)
{
	struct unix_wait *u = what;
	int err = tracer_as_task(u->tid);

	err = err < 0 ? -err
		      : connect_start(u->sock, (struct sockaddr *)&u->to,
				      u->len);
	tracer_as_self();
	if (err == 0 || err == EISCONN)
		return 1;
	return err == EAGAIN ? 0 : -err;
}

static void unix_finish(struct tracer_req *r, void *what, int rc)
{
	struct unix_wait *u = what;

	r->err = rc < 0 ? -rc : 0;
	close(u->sock);
	if (u->at >= 0)
		close(u->at);
	free(u);
}

static const struct tracer_park_kind unix_kind = {
	.try = unix_try,
	.finish = unix_finish,
	.retried = true,
};

/* u, made from the connect's address, through a directory of its own. */
static bool unix_wait_init(struct unix_wait *u, int sock,
			   const struct sockaddr *sa, socklen_t len,
			   const struct tracer_path *p, pid_t tid)
{
	struct sockaddr_un *sun = (void *)&u->to;

	*u = (struct unix_wait){
		.sock = sock, .at = -1, .len = len, .tid = tid
	};
	memcpy(&u->to, sa, len);
	if (p->parent < 0)
		return true; /* an abstract name */
	u->at = fcntl(p->parent, F_DUPFD_CLOEXEC, 0);
	return u->at >= 0 &&
	       (size_t)snprintf(sun->sun_path, sizeof(sun->sun_path),
				"/proc/self/fd/%d/%s", u->at,
				p->name) < sizeof(sun->sun_path);
}

/* Takes sock and returns true, done or parked; false: the pool waits. */
static bool unix_parked(struct tracer_req *r, int sock,
			const struct sockaddr *sa, socklen_t len,
			const struct tracer_path *p)
{
	struct tracer_park *pk;
	struct unix_wait *u;
	int err = tracer_as_task(r->tid);

	err = err < 0 ? -err : connect_start(sock, sa, len);
	tracer_as_self();
	if (err != EAGAIN) {
		r->err = err;
		close(sock);
		return true;
	}
	pk = tracer_park_reserve();
	u = pk ? malloc(sizeof(*u)) : NULL;
	if (!u || !unix_wait_init(u, sock, sa, len, p, r->tid)) {
		if (u && u->at >= 0)
			close(u->at);
		free(u);
		if (pk)
			tracer_park_release(pk);
		return false;
	}
	tracer_req_hold_who(r); /* it may outlive its task */
	/* a blocking unix connect that timed out says EAGAIN */
	tracer_park_set(pk, &unix_kind, u, -1, 0,
			tracer_connect_deadline(r, sock), -EAGAIN);
	r->park = pk;
	return true;
}

/* 0.0.0.0 or ::, before the decoding made it a loopback address */
static bool unspecified(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *in = (const void *)ss;
	const struct sockaddr_in6 *in6 = (const void *)ss;

	if (ss->ss_family == AF_INET)
		return in->sin_addr.s_addr == htonl(INADDR_ANY);
	return ss->ss_family == AF_INET6 &&
	       IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr);
}

static void verdict_proctor(struct rules_verdict *v, enum rules_action a,
			    const char *where, const char *why)
{
	*v = (struct rules_verdict){
		.action = a,
		.origin = "proctor",
		.where = where,
		.pattern = why,
	};
}

/*
 * The nameserver, port 53, is proctor's resolver's, unless an address
 * entry names it and port 53 (a user testing a DNS server): a network
 * that happens to hold it ("10.0.0.0/8") or a name that answers with its
 * address does not turn the resolver off.
 */
static bool resolver_owns(const struct tracer_req *r,
			  const struct rules_addr *ra)
{
	return tracer_dns_is_nameserver(ra) &&
	       !rules_addr_port_allowed(r->sup->o->policy, ra);
}

/*
 * A query to the nameserver over UDP, which proctor cannot answer: the C
 * library only takes an answer from the address it asked.  Refused with
 * a reason of proctor's own.
 */
static void udp_to_nameserver(struct tracer_req *r, const struct rules_addr *ra)
{
	if (resolver_owns(r, ra))
		verdict_proctor(&r->verdict, RULES_DENY, "dns",
				"names are resolved through proctor over TCP "
				"(resolv.conf options use-vc); this program "
				"asks over UDP, which proctor cannot answer");
}

/*
 * A datagram socket aimed at 0.0.0.0 or :: that the policy refuses (a
 * loopback address): glibc sorting a passive lookup's addresses
 * (getaddrinfo with AI_PASSIVE, as `python3 -m http.server` makes),
 * which reads the socket's name and sends nothing.  Natively the connect
 * succeeds, and the name is the loopback address of the socket's family
 * (::ffff:127.0.0.1 on an IPv6 socket aimed at 0.0.0.0): so here, the
 * socket connected to loopback's port 0, where no one can listen, so
 * that the sort comes out as natively and a send reaches no one.  The
 * refusal is logged, not said, nor counted.
 */
static void sort_probe(struct tracer_req *r, int sock,
		       const struct sockaddr_storage *ss, socklen_t len)
{
	struct sockaddr_storage to = *ss;
	struct sockaddr_in *in = (void *)&to;
	struct sockaddr_in6 *in6 = (void *)&to;
	int err;

	if (to.ss_family == AF_INET) {
		snprintf(r->object, sizeof(r->object), "0.0.0.0:%u",
			 ntohs(in->sin_port));
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		in->sin_port = 0;
	} else {
		snprintf(r->object, sizeof(r->object), "[::]:%u",
			 ntohs(in6->sin6_port));
		in6->sin6_addr = in6addr_loopback;
		in6->sin6_port = 0;
	}
	if ((err = tracer_as_task(r->tid)) == 0 &&
	    connect(sock, (struct sockaddr *)&to, len) < 0)
		err = -errno;
	tracer_as_self();
	r->err = err < 0 ? -err : 0;
	r->ev.sort_probe = true;
}

/* A unix socket file the run made by binding it (its identity). */
static bool run_made_socket(const struct tracer_path *p)
{
	struct stat st;
	int rc;

	if (!p || (p->parent < 0 && p->magic < 0))
		return false;
	if (p->magic >= 0)
		rc = fstat(p->magic, &st);
	else
		rc = fstatat(p->parent, p->name, &st, AT_SYMLINK_NOFOLLOW);
	return rc == 0 && S_ISSOCK(st.st_mode) &&
	       (p->magic >= 0 ? tracer_created_has(p->magic, "")
			      : tracer_created_has(p->parent, p->name));
}

/*
 * What the run made itself is reachable when no rule says otherwise: a
 * loopback listener it bound, a unix socket it created.  A deny or ask
 * entry still stands.
 */
static void own_sockets(struct rules_verdict *v, const struct rules_addr *ra,
			bool stream, const struct tracer_path *p)
{
	if (!v->is_default || v->action == RULES_ALLOW)
		return;
	if (ra->kind == RULES_ADDR_IP && is_loopback(ra) &&
	    tracer_owned_listener(ra, stream))
		verdict_proctor(v, RULES_ALLOW, "own listener",
				"a loopback listener this run opened");
	else if (ra->kind == RULES_ADDR_UNIX_PATH && run_made_socket(p))
		verdict_proctor(v, RULES_ALLOW, "own socket",
				"a unix socket this run created");
	else if (ra->kind == RULES_ADDR_UNIX_ABSTRACT &&
		 tracer_owned_abstract(ra))
		verdict_proctor(v, RULES_ALLOW, "own socket",
				"an abstract unix socket this run bound");
}

bool tracer_judge_addr(struct tracer_req *r, const struct rules_addr *ra,
		       bool stream, const struct tracer_path *p)
{
	char names[8][TRACER_NAME_MAX], text[300];
	const char *list[8];
	size_t n = 0, i;
	int which = -1;

	if (tracer_approve_refuses(r, ra, p))
		return false; /* proctor's approval socket (#6) */
	if (ra->kind == RULES_ADDR_IP)
		n = tracer_names_find(ra->ip, names, 8);
	for (i = 0; i < n; i++)
		list[i] = names[i];
	rules_check_connect(r->sup->o->policy, ra, list, n, &r->verdict,
			    &which);
	if (which >= 0 && r->verdict.action == RULES_ALLOW &&
	    tracer_address_is_local(ra)) {
		rules_check_addr(r->sup->o->policy, ra, &r->verdict);
		which = -1;
	}
	own_sockets(&r->verdict, ra, stream, p);
	if (!stream)
		udp_to_nameserver(r, ra);
	/* an allowed name that answered such an address: said so */
	if (which < 0 && r->verdict.is_default &&
	    r->verdict.action == RULES_DENY &&
	    (which = rules_name_barred(r->sup->o->policy, ra, list, n)) >= 0)
		verdict_proctor(&r->verdict, RULES_DENY, "names",
				"a name never grants a loopback, link-local or "
				"metadata address, nor one of this host's own "
				"(DNS rebinding)");
	/* asked or allowed: the answer could not let them past the relay,
	 * which takes a stream at its connect, not one a send connects */
	if ((!stream || strcmp(r->name, "connect")) &&
	    r->verdict.action != RULES_DENY &&
	    (r->verdict.http || tracer_relay_limits(ra)))
		verdict_proctor(&r->verdict, RULES_DENY, "relay",
				stream ? "TCP Fast Open (a send that connects) "
					 "to a domain whose HTTP proctor "
					 "judges: the relay takes connect() "
					 "only"
				       : "datagrams (QUIC) to a domain whose "
					 "HTTP proctor judges: the relay takes "
					 "TCP only");

	/*
	 * The name that decided, else one the address was answered for if
	 * a name could grant it (the log, and the advice on a denial).
	 */
	r->host[0] = '\0';
	if (which >= 0 ||
	    (n && r->verdict.is_default && !rules_name_cannot_grant(ra) &&
	     !tracer_address_is_local(ra)))
		snprintf(r->host, sizeof(r->host), "%s",
			 names[which >= 0 ? which : 0]);
	if (stream && !strcmp(r->name, "connect") &&
	    r->verdict.action != RULES_ALLOW && ra->kind == RULES_ADDR_IP &&
	    is_loopback(ra) && tracer_owned_nobody(ra))
		r->ev.absent = r->ev.no_listener = true;
	rules_addr_format(ra, text, sizeof(text));
	r->ev.name = r->host;
	r->addr = ra; /* for a grant's check (#6) */
	return tracer_req_decide(r, RULES_CONNECT, "addr", text,
				 r->verdict.action == RULES_ALLOW);
}

/*
 * Whether ra is an address of this host (any interface).  The kernel
 * answers: a socket binds only to a local address.  A name that answers
 * with the host's own address must not reach its services (rebinding).
 */
bool tracer_address_is_local(const struct rules_addr *ra)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in = (void *)&ss;
	struct sockaddr_in6 *in6 = (void *)&ss;
	bool v4 = rules_ip_is_v4(ra->ip);
	socklen_t len;
	int s, rc;

	if (v4) {
		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, ra->ip + 12, 4);
		len = sizeof(*in);
	} else {
		in6->sin6_family = AF_INET6;
		memcpy(&in6->sin6_addr, ra->ip, 16);
		len = sizeof(*in6);
	}
	s = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return true; /* cannot tell: the name grants nothing */
	rc = bind(s, (struct sockaddr *)&ss, len);
	close(s);
	return rc == 0 || errno != EADDRNOTAVAIL;
}

/* The socket's type (SOCK_STREAM, SOCK_DGRAM...), or -errno. */
static int sock_type(int sock)
{
	socklen_t len = sizeof(int);
	int type;

	if (getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return -errno;
	return type;
}

/* A connect proctor itself answers: allowed by a rule of its own. */
static void decide_by_proctor(struct tracer_req *r, const struct rules_addr *ra,
			      const char *where, const char *why)
{
	char text[300];

	verdict_proctor(&r->verdict, RULES_ALLOW, where, why);
	rules_addr_format(ra, text, sizeof(text));
	tracer_req_decide(r, RULES_CONNECT, "addr", text, true);
}

/* A connect to the nameserver goes to proctor's resolver (dns.c). */
static bool answered_by_proctor(struct tracer_req *r,
				const struct rules_addr *ra)
{
	if (!resolver_owns(r, ra))
		return false;
	decide_by_proctor(r, ra, "dns", "answered by proctor's resolver");
	return true;
}

/* A connect to proctor's proxy (proxy.c): the relay reads its request. */
static bool to_proxy(struct tracer_req *r, const struct rules_addr *ra)
{
	if (!tracer_proxy_is(ra))
		return false;
	decide_by_proctor(r, ra, "proxy",
			  "proctor's HTTP proxy: each request is judged");
	return true;
}

/* The descriptor flag O_CLOEXEC of task tid's fd, or 0. */
int tracer_fd_cloexec(pid_t tid, int fd)
{
	char info[64], line[128];
	unsigned long flags;
	int rc = 0;
	FILE *f;

	snprintf(info, sizeof(info), "/proc/%d/fdinfo/%d", tid, fd);
	f = fopen(info, "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "flags: %lo", &flags) == 1 &&
		    flags & O_CLOEXEC)
			rc = O_CLOEXEC;
	if (f)
		fclose(f);
	return rc;
}

/*
 * A TCP connect to the nameserver: the socket is replaced by one end of
 * a socketpair that proctor's resolver answers (dns.c).  The program's
 * descriptor number, close-on-exec and non-blocking flags stay.
 */
static void attach_resolver(struct tracer_req *r, int sock)
{
	int fd = (int)r->args[0], theirs, err, fl;

	err = tracer_dns_attach(r->tid, &theirs);
	if (err) {
		r->err = -err;
		r->ev.allowed = false;
		return;
	}
	fl = fcntl(sock, F_GETFL);
	if (fl >= 0 && fl & O_NONBLOCK)
		fcntl(theirs, F_SETFL, O_NONBLOCK);
	r->addfd_flags = tracer_fd_cloexec(r->tid, fd);
	r->addfd = theirs;
	r->addfd_at = fd;
	r->val = 0;
}

void tracer_on_connect(struct tracer_req *r)
{
	struct sockaddr_storage ss;
	struct sockaddr_un sun;
	struct rules_addr ra;
	struct tracer_path p = { .parent = -1, .magic = -1 };
	socklen_t len = r->args[2];
	const struct sockaddr *use = (void *)&ss;
	int sock, err, type;

	err = copy_sockaddr(r, &ss, len);
	if (err) {
		r->err = -err;
		return;
	}
	if (!tracer_req_valid(r))
		return;

	err = rules_addr_decode(&ss, len, &ra);
	if (err == -EAFNOSUPPORT && ss.ss_family == AF_NETLINK) {
		/* the filter let this family's socket be made; to the
		 * kernel only, as its sends (send.c) */
		err = tracer_netlink_kernel(&ss, len);
		ra.kind = RULES_ADDR_UNNAMED;
	} else if (err == 0 && ra.kind == RULES_ADDR_UNIX_PATH) {
		err = tracer_unix_resolve(r, &ra, &sun, &len, &p);
		use = (void *)&sun;
	}
	if (err) {
		r->err = err == -EAFNOSUPPORT ? EAFNOSUPPORT : -err;
		return;
	}

	sock = tracer_steal_fd(r->tid, r->tgid, (int)r->args[0]);
	if (sock < 0) {
		r->err = -sock;
		goto out;
	}
	type = sock_type(sock);
	if (type == SOCK_STREAM && answered_by_proctor(r, &ra)) {
		attach_resolver(r, sock);
		close(sock);
		goto out;
	}
	if (type == SOCK_STREAM && to_proxy(r, &ra)) {
		/* a full relay may have room in a moment: the pool waits */
		if (!r->may_block && tracer_relay_full()) {
			r->defer = true;
			r->log = false;
			close(sock);
		} else {
			tracer_relay_proxy_connect(r, sock, &ra);
		}
		goto out;
	}
	/* AF_UNSPEC dissolves an association: nothing to judge */
	if (ra.kind != RULES_ADDR_UNNAMED &&
	    !tracer_judge_addr(r, &ra, type == SOCK_STREAM, &p)) {
		if (type == SOCK_DGRAM && unspecified(&ss))
			sort_probe(r, sock, &ss, len);
		else if (type == SOCK_DGRAM && ra.kind == RULES_ADDR_IP)
			r->err = NET_DENY_DGRAM_ERRNO;
		else
			r->err = NET_DENY_ERRNO;
		close(sock);
		goto out;
	}
	/*
	 * A connection the policy limits to some HTTP: through the relay,
	 * which connects upstream first and so may wait.
	 */
	if (type == SOCK_STREAM && tracer_relay_wants(r, &ra)) {
		if (!r->may_block) {
			r->defer = true;
			r->log = false;
			close(sock);
		} else {
			tracer_req_hold_who(r); /* it may outlive its task */
			tracer_relay_connect(r, sock, use, len, &ra);
		}
		goto out;
	}
	/* A blocking connect may take a while. */
	if (may_wait(sock) && type == SOCK_STREAM && ra.kind == RULES_ADDR_IP &&
	    connect_parked(r, sock, use, len, &ra))
		goto out;
	if (may_wait(sock) && type == SOCK_STREAM &&
	    (ra.kind == RULES_ADDR_UNIX_PATH ||
	     ra.kind == RULES_ADDR_UNIX_ABSTRACT) &&
	    unix_parked(r, sock, use, len, &p))
		goto out;
	if (!r->may_block && may_wait(sock)) {
		r->defer = true;
		r->log = false;
		close(sock);
		goto out;
	}
	if (r->may_block)
		tracer_req_hold_who(r); /* it may outlive its task */
	if ((err = tracer_as_task(r->tid)) < 0)
		r->err = -err;
	else if (connect(sock, use, len) < 0)
		r->err = errno;
	tracer_as_self();
	if (!r->err && type == SOCK_DGRAM)
		tracer_owned_port(sock, false);
	close(sock);
out:
	tracer_path_release(&p);
}

/* listen(2) without a bind takes a port: the run's own (owned.c). */
void tracer_on_listen(struct tracer_req *r)
{
	int sock = tracer_steal_fd(r->tid, r->tgid, (int)r->args[0]);

	r->cont = true;
	if (sock < 0)
		return;
	tracer_owned_port(sock, true);
	close(sock);
}

/*
 * bind(2).  A unix path creates a file: judged as a write of that path
 * (class 6).  Every bind is carried out here on the supervisor's copy of
 * the address, since a copy checked as AF_INET could become a path.
 */
/* Moves this worker (it has its own fs context) into the task's cwd. */
static int enter_cwd(pid_t tid)
{
	char link[64];
	int fd, rc;

	snprintf(link, sizeof(link), "/proc/%d/cwd", tid);
	fd = open(link, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = fchdir(fd) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

/* What the run binds, it may reach (own_sockets()). */
static void note_bound(int sock, const struct rules_addr *ra,
		       const struct tracer_path *p)
{
	struct stat st;

	/* an IP address, an abstract name or one the kernel chose
	 * (autobind: an empty unix address) */
	if (ra->kind == RULES_ADDR_IP || ra->kind == RULES_ADDR_UNIX_ABSTRACT ||
	    ra->kind == RULES_ADDR_UNNAMED)
		tracer_owned_add(sock);
	else if (ra->kind == RULES_ADDR_UNIX_PATH && p->parent >= 0 &&
		 fstatat(p->parent, p->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		 S_ISSOCK(st.st_mode))
		tracer_created_add(p->parent, p->name);
}

/*
 * An address the run takes for a service of its own (a port, an
 * address of an interface, an abstract unix name, which the user's
 * programs outside could take for a service of theirs not running, an
 * X display's): in the log, as a forensic record of where others could
 * reach it.  Inbound connections are not judged (README);
 * a client's bind to port 0 of loopback or any address is not recorded.
 */
static void record_listening(struct tracer_req *r,
			     const struct sockaddr_storage *ss,
			     const struct rules_addr *ra)
{
	bool any = unspecified(ss);
	char text[300];

	if (ra->port == 0 && (any || is_loopback(ra)))
		return;
	verdict_proctor(&r->verdict, RULES_ALLOW, "bind",
			"an address the run serves on (inbound connections "
			"are not judged)");
	/* the decoding made the any-address a loopback one */
	if (any)
		snprintf(text, sizeof(text), "%s:%u",
			 ss->ss_family == AF_INET ? "0.0.0.0" : "[::]",
			 ra->port);
	else
		rules_addr_format(ra, text, sizeof(text));
	tracer_req_decide(r, RULES_CONNECT, "addr", text, true);
	r->ev.cls_name = "bind";
}

/* Whether the socket file at (dir, name) is dev and ino. */
static bool is_file(int dir, const char *name, dev_t dev, ino_t ino)
{
	struct stat st;

	return fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISSOCK(st.st_mode) && st.st_dev == dev && st.st_ino == ino;
}

/*
 * The bind, made with the program's own string (tracer_on_bind), made
 * its file where the string was judged to lead, unless a directory of
 * it was swapped meanwhile: then the file is elsewhere (a protected
 * .git/hooks, within the Landlock floor), found again by the string
 * while it leads there, else by its name in the workspace, and removed;
 * the program gets EACCES.
 */
#define BIND_SEEK_TRIES 64
#define BIND_SEEK_DIRS	100000

/* Looks through dir (an fd, taken) and beneath for name as dev, ino. */
static bool seek_made(int dir, const char *name, dev_t dev, ino_t ino,
		      int *budget)
{
	struct dirent *d;
	struct stat st;
	bool found = false;
	DIR *dp;

	if (is_file(dir, name, dev, ino)) {
		unlinkat(dir, name, 0);
		close(dir);
		return true;
	}
	if (--*budget < 0 || !(dp = fdopendir(dir))) {
		close(dir);
		return false;
	}
	while (!found && (d = readdir(dp)) != NULL) {
		int sub;

		if (d->d_type != DT_DIR || !strcmp(d->d_name, ".") ||
		    !strcmp(d->d_name, ".."))
			continue;
		sub = openat(dirfd(dp), d->d_name,
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0 && fstat(sub, &st) == 0 && st.st_dev == dev)
			found = seek_made(sub, name, dev, ino, budget);
		else if (sub >= 0)
			close(sub);
	}
	closedir(dp);
	return found;
}

static bool bound_as_judged(struct tracer_req *r, int sock,
			    const struct rules_addr *ra,
			    const struct tracer_path *p)
{
	struct tracer_path again;
	dev_t dev;
	ino_t ino;
	int i;

	if (!tracer_unix_bound_file(sock, &dev, &ino) ||
	    is_file(p->parent, p->name, dev, ino))
		return true; /* where judged (or cannot tell) */
	for (i = 0; i < BIND_SEEK_TRIES; i++) {
		again = (struct tracer_path){ .parent = -1, .magic = -1 };
		if (tracer_path_resolve(r->tid, r->tgid, AT_FDCWD, ra->path, 0,
					&again) == 0 &&
		    again.parent >= 0 &&
		    is_file(again.parent, again.name, dev, ino)) {
			unlinkat(again.parent, again.name, 0);
			tracer_path_release(&again);
			break;
		}
		tracer_path_release(&again);
		sched_yield();
	}
	if (i == BIND_SEEK_TRIES && r->sup->o->workspace) {
		int budget = BIND_SEEK_DIRS,
		    top = open(r->sup->o->workspace,
			       O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (top >= 0)
			seek_made(top, p->name, dev, ino, &budget);
	}
	verdict_proctor(&r->verdict, RULES_DENY, "bind",
			"a directory of the path changed while it was bound");
	r->ev.allowed = false;
	return false;
}

void tracer_on_bind(struct tracer_req *r)
{
	struct sockaddr_storage ss;
	struct rules_addr ra;
	struct tracer_path p = { .parent = -1, .magic = -1 };
	socklen_t len = r->args[2];
	bool override, ok;
	int sock, err;

	err = copy_sockaddr(r, &ss, len);
	if (err) {
		r->err = -err;
		return;
	}
	if (rules_addr_decode(&ss, len, &ra) < 0)
		ra.kind = RULES_ADDR_UNNAMED; /* the kernel will say why */
	if (ra.kind == RULES_ADDR_UNIX_PATH) {
		err = tracer_path_resolve(r->tid, r->tgid, AT_FDCWD, ra.path, 0,
					  &p);
		if (err) {
			r->err = -err;
			return;
		}
		ok = tracer_judge_write(r->sup, &p, &r->verdict, &override);
		ok = tracer_judge_kind(ok, S_IFSOCK, &r->verdict, &override);
		r->ev.created_override = override;
		r->ev.preexisting = tracer_preexisting(r->sup, &p);
		/* logged allowed too: a socket file is a write like mknod's */
		if (!tracer_req_decide(r, RULES_WRITE, "path", p.path, ok)) {
			r->err = EACCES;
			goto out;
		}
		if (p.exists || p.magic >= 0) {
			r->err = EADDRINUSE;
			goto out;
		}
		/*
		 * The socket keeps the name it was bound with, and programs
		 * hand it to others (getsockname): bind with the program's
		 * own string from the program's cwd.  A swap of a directory
		 * in between cannot reach past the Landlock floor.
		 */
		err = enter_cwd(r->tid);
		/* the socket file's mode is the umask's, as set just now */
		if (!err)
			err = tracer_take_umask(r->tid);
		if (err) {
			r->err = -err;
			goto out;
		}
	}
	if (!tracer_req_valid(r))
		goto out;
	sock = tracer_steal_fd(r->tid, r->tgid, (int)r->args[0]);
	if (sock < 0) {
		r->err = -sock;
		goto out;
	}
	if ((err = tracer_as_task(r->tid)) < 0)
		r->err = -err;
	else if (bind(sock, (struct sockaddr *)&ss, len) < 0)
		r->err = errno;
	tracer_as_self();
	if (!r->err && ra.kind == RULES_ADDR_UNIX_PATH &&
	    !bound_as_judged(r, sock, &ra, &p))
		r->err = EACCES;
	else if (!r->err)
		note_bound(sock, &ra, &p);
	if (!r->err &&
	    (ra.kind == RULES_ADDR_IP || ra.kind == RULES_ADDR_UNIX_ABSTRACT))
		record_listening(r, &ss, &ra);
	close(sock);
out:
	tracer_path_release(&p);
}
