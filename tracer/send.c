/* SPDX-License-Identifier: MIT */
/*
 * Sends that can carry a destination (THREATS.md class 12): sendto with
 * an address, sendmsg and sendmmsg.  Each is carried out by the
 * supervisor on its own duplicate of the socket with its own copy of the
 * address, data and control messages (descriptors passed with SCM_RIGHTS
 * are the tracee's, taken with pidfd_getfd).  A stream send larger than
 * 256 KiB sends its first 256 KiB, as a stream send may.
 */
#include <errno.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <fcntl.h>
#include <unistd.h>

#include "tracer/tracer.h"

#define SEND_MAX_DATA (256 * 1024)
#define SEND_MAX_IOV  1024 /* the kernel's UIO_MAXIOV */
#define SEND_MAX_CTRL 4096
#define SEND_MAX_FDS  253 /* the kernel's SCM_MAX_FD */

struct send_copy {
	struct sockaddr_storage name;
	socklen_t namelen;
	struct iovec iov[1]; /* the copy is one piece */
	size_t niov;
	char *data;
	/* room for the sender's credentials too (add_sender) */
	char ctrl[SEND_MAX_CTRL + CMSG_SPACE(sizeof(struct ucred))];
	size_t ctrllen;
	int fds[SEND_MAX_FDS]; /* ours, to close */
	int nfds;
	bool stream;		     /* may send part of the data */
	struct tracer_path unix_dir; /* holds a unix destination's dir */
};

/* Reads what the n pieces hold into c->data, as one. */
static int gather(struct tracer_req *r, struct iovec *remote, size_t n,
		  struct send_copy *c)
{
	size_t i, total = 0, off = 0;
	int err;

	for (i = 0; i < n; i++) {
		size_t len = remote[i].iov_len;

		if (len > SEND_MAX_DATA - total) {
			if (!c->stream)
				return -EMSGSIZE;
			/* a stream may take part of it: send what fits */
			remote[i].iov_len = len = SEND_MAX_DATA - total;
		}
		total += len;
	}
	c->data = malloc(total ? total : 1);
	if (!c->data)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		err = tracer_mem_read(r->tid, (uintptr_t)remote[i].iov_base,
				      c->data + off, remote[i].iov_len);
		if (err)
			return err;
		off += remote[i].iov_len;
	}
	c->iov[0].iov_base = c->data;
	c->iov[0].iov_len = total;
	c->niov = 1;
	return 0;
}

/* Copies the data of the tracee's iovec array into c->data. */
static int copy_iov(struct tracer_req *r, uint64_t addr, size_t n,
		    struct send_copy *c)
{
	struct iovec *remote;
	int err;

	if (n > SEND_MAX_IOV)
		return -EMSGSIZE;
	remote = malloc((n ? n : 1) * sizeof(*remote));
	if (!remote)
		return -ENOMEM;
	err = tracer_mem_read(r->tid, addr, remote, n * sizeof(*remote));
	if (!err)
		err = gather(r, remote, n, c);
	free(remote);
	return err;
}

#ifndef SOL_TLS
#define SOL_TLS 282
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef SO_TIMESTAMPING_NEW
#define SO_TIMESTAMPING_NEW 65
#endif
#ifndef SCM_TXTIME
#define SCM_TXTIME 61
#endif

/*
 * The control messages passed on.  The supervisor sends with its own
 * privileges (root's CAP_NET_RAW and CAP_NET_ADMIN when run by root), and
 * some messages move the packet elsewhere than the judged destination:
 * IPv4 options (IP_RETOPTS, whose source route sends it to the first
 * hop), IPv6 routing headers, SCTP's destination (SCTP_DSTADDRV4), a
 * mark that policy routing reads (SO_MARK), credentials naming another
 * process (SCM_CREDENTIALS).  So only those a program needs, which change
 * neither who sends nor where.
 */
static bool cmsg_passes(const struct cmsghdr *cm)
{
	int t = cm->cmsg_type;

	switch (cm->cmsg_level) {
	case SOL_SOCKET:
		/* not SCM_CREDENTIALS: root's proctor could claim any pid */
		return t == SCM_RIGHTS || t == SO_TIMESTAMPING ||
		       t == SO_TIMESTAMPING_NEW || t == SCM_TXTIME;
	case IPPROTO_IP:
		return t == IP_PKTINFO || t == IP_TTL || t == IP_TOS;
	case IPPROTO_IPV6:
		return t == IPV6_PKTINFO || t == IPV6_HOPLIMIT ||
		       t == IPV6_TCLASS || t == IPV6_DONTFRAG;
	case IPPROTO_UDP:
		return t == UDP_SEGMENT;
	case SOL_TLS:
		return true; /* kTLS: the record type of what is sent */
	}
	return false;
}

/*
 * Refuses control messages that do not pass (EPERM, as a program without
 * the privilege gets) and replaces the tracee's descriptor numbers in
 * SCM_RIGHTS with ours.
 */
static int translate_rights(struct tracer_req *r, struct send_copy *c)
{
	struct msghdr m = { .msg_control = c->ctrl,
			    .msg_controllen = c->ctrllen };
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
		int *fds = (int *)CMSG_DATA(cm);
		size_t i, n;

		if (!cmsg_passes(cm))
			return -EPERM;
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			int fd;

			if (c->nfds >= SEND_MAX_FDS)
				return -ETOOMANYREFS;
			fd = tracer_steal_fd(r->tid, r->tgid, fds[i]);
			if (fd < 0)
				return fd;
			c->fds[c->nfds++] = fd;
			fds[i] = fd;
		}
	}
	return 0;
}

static int copy_msghdr(struct tracer_req *r, uint64_t addr, struct send_copy *c)
{
	struct msghdr m;
	int err = tracer_mem_read(r->tid, addr, &m, sizeof(m));

	if (err)
		return err;
	if (m.msg_name && m.msg_namelen) {
		if (m.msg_namelen > sizeof(c->name))
			return -EINVAL;
		c->namelen = m.msg_namelen;
		err = tracer_mem_read(r->tid, (uintptr_t)m.msg_name, &c->name,
				      c->namelen);
		if (err)
			return err;
	}
	if (m.msg_control && m.msg_controllen) {
		if (m.msg_controllen > sizeof(c->ctrl))
			return -ENOBUFS;
		c->ctrllen = m.msg_controllen;
		err = tracer_mem_read(r->tid, (uintptr_t)m.msg_control, c->ctrl,
				      c->ctrllen);
		if (!err)
			err = translate_rights(r, c);
		if (err)
			return err;
	}
	return copy_iov(r, (uintptr_t)m.msg_iov, m.msg_iovlen, c);
}

static void release(struct send_copy *c)
{
	int i;

	if (c->unix_dir.parent > 0 || c->unix_dir.magic > 0)
		tracer_path_release(&c->unix_dir);
	for (i = 0; i < c->nfds; i++)
		close(c->fds[i]);
	free(c->data);
	memset(c, 0, sizeof(*c));
}

/*
 * A NETLINK_ROUTE message (the only netlink the filter lets a socket be
 * made for) to the kernel, as getifaddrs sends (node's
 * networkInterfaces, hostname -I): nothing to judge.  To another
 * process it is refused as the kernel refuses it without CAP_NET_ADMIN.
 */
static bool to_kernel(struct tracer_req *r, const struct send_copy *c)
{
	r->err = -tracer_netlink_kernel(&c->name, c->namelen);
	return r->err == 0;
}

/* The socket's family (AF_*), or -errno. */
static int sock_domain(int sock)
{
	int domain = 0;
	socklen_t len = sizeof(domain);

	return getsockopt(sock, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0
		       ? -errno
		       : domain;
}

/*
 * A datagram's destination of family AF_UNSPEC means what the socket's
 * family reads it as: an IPv4 socket takes it for an AF_INET address
 * (udp_sendmsg, raw_sendmsg), an IPv6 one for no address at all (its
 * peer), others refuse it.  The copy says so, and is judged and sent as
 * the kernel reads it.  1 for a stream's, which names no destination.
 */
static int unspec_name(int sock, struct send_copy *c)
{
	int domain;

	if (c->namelen < sizeof(sa_family_t) || c->name.ss_family != AF_UNSPEC)
		return 0;
	if (c->stream)
		return 1; /* see judge() */
	domain = sock_domain(sock);
	if (domain < 0)
		return domain;
	if (domain == AF_INET)
		c->name.ss_family = AF_INET;
	else if (domain == AF_INET6)
		c->namelen = 0;
	else
		return -EINVAL;
	return 0;
}

/* Judges the destination; true when the send may go. */
static bool judge(struct tracer_req *r, int sock, struct send_copy *c)
{
	struct rules_addr ra;
	int err;

	err = unspec_name(sock, c);
	if (err < 0) {
		r->err = -err;
		return false;
	}
	/*
	 * A stream goes nowhere by AF_UNSPEC: TCP's MSG_FASTOPEN refuses it
	 * (EOPNOTSUPP), a connected TCP socket ignores the name, a unix
	 * stream refuses any.  The kernel says which.
	 */
	if (err > 0)
		return true;
	if (c->namelen == 0)
		return true; /* the socket's own peer, judged at connect */
	if (c->name.ss_family == AF_NETLINK)
		return to_kernel(r, c);
	err = rules_addr_decode(&c->name, c->namelen, &ra);
	if (err == 0 && ra.kind == RULES_ADDR_UNIX_PATH)
		err = tracer_unix_resolve(r, &ra,
					  (struct sockaddr_un *)&c->name,
					  &c->namelen, &c->unix_dir);
	if (err) {
		r->err = err == -EAFNOSUPPORT ? EAFNOSUPPORT : -err;
		return false;
	}
	/*
	 * As a refused connect (net.c): an IP datagram finds no way.  A
	 * Fast Open send the relay cannot take fails as where the kernel
	 * has Fast Open off, and the program connects instead.
	 */
	if (!tracer_judge_addr(r, &ra, c->stream, &c->unix_dir))
		r->err = !c->stream && ra.kind == RULES_ADDR_IP ? ENETUNREACH
			 : !strcmp(r->verdict.where, "relay")	? EOPNOTSUPP
								: ECONNREFUSED;
	return r->ev.allowed;
}

static ssize_t send_one(int sock, struct send_copy *c, int flags)
{
	struct msghdr m = {
		.msg_name = c->namelen ? &c->name : NULL,
		.msg_namelen = c->namelen,
		.msg_iov = c->iov,
		.msg_iovlen = c->niov,
		.msg_control = c->ctrllen ? c->ctrl : NULL,
		.msg_controllen = c->ctrllen,
	};
	ssize_t n = sendmsg(sock, &m, flags | MSG_NOSIGNAL);

	return n < 0 ? -errno : n;
}

static bool is_stream(int sock)
{
	int type = 0;
	socklen_t len = sizeof(type);

	return getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
	       type == SOCK_STREAM;
}

/* sendmsg(fd, msg, flags); sendto and sendmmsg have it fourth. */
static int send_flags(const struct tracer_req *r)
{
	return (int)r->args[strcmp(r->name, "sendmsg") ? 3 : 2];
}

/* Whether the program's own control messages pass credentials. */
static bool has_credentials(const struct send_copy *c)
{
	struct msghdr m = { .msg_control = (void *)c->ctrl,
			    .msg_controllen = c->ctrllen };
	struct cmsghdr *cm;

	for (cm = c->ctrllen ? CMSG_FIRSTHDR(&m) : NULL; cm;
	     cm = CMSG_NXTHDR(&m, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_CREDENTIALS)
			return true;
	return false;
}

/*
 * A receiver under SO_PASSCRED is told the sender's pid, real uid and
 * gid, which the kernel takes from the sending thread: proctor's pid,
 * and root's real ids where the task's credentials differ (cred.c).  So
 * the task's own are said: its ids, and its pid where proctor may name
 * another pid (CAP_SYS_ADMIN, root's): Chromium's zygote tells its
 * browser its children's pids so, and hung when each was proctor's.
 * *caps: what the send must lend for that.  Not over the program's own.
 */
static bool add_sender(struct tracer_req *r, int sock, struct send_copy *c,
		       uint64_t *caps)
{
	struct ucred u = { .pid = getpid(), .uid = getuid(), .gid = getgid() };
	bool ids = tracer_cred_real(r->tid, &u.uid, &u.gid);
	bool pid = tracer_cred_may(CAP_SYS_ADMIN) && r->tgid != u.pid;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct cmsghdr *cm;
	size_t at = CMSG_ALIGN(c->ctrllen);

	*caps = 0;
	if ((!ids && !pid) ||
	    getsockname(sock, (struct sockaddr *)&ss, &len) < 0 ||
	    ss.ss_family != AF_UNIX || at > SEND_MAX_CTRL || has_credentials(c))
		return false;
	if (pid)
		u.pid = r->tgid;
	cm = (struct cmsghdr *)(c->ctrl + at);
	memset(cm, 0, CMSG_SPACE(sizeof(u)));
	cm->cmsg_len = CMSG_LEN(sizeof(u));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_CREDENTIALS;
	memcpy(CMSG_DATA(cm), &u, sizeof(u));
	c->ctrllen = at + CMSG_SPACE(sizeof(u));
	/* a real uid apart from the effective one, another pid */
	*caps = (ids ? 1ull << CAP_SETUID | 1ull << CAP_SETGID : 0) |
		(pid ? 1ull << CAP_SYS_ADMIN : 0);
	return true;
}

/* One send as task tid, with the capabilities its credentials need. */
static ssize_t send_as(pid_t tid, int sock, struct send_copy *c, int flags,
		       uint64_t caps)
{
	uint64_t lent = 0;
	ssize_t n = tracer_as_task(tid);

	if (n < 0) {
		tracer_as_self();
		return n;
	}
	/* what the credentials said need (add_sender) */
	if (caps)
		lent = tracer_cred_lend(caps);
	n = send_one(sock, c, flags);
	tracer_cred_lend_end(lent);
	tracer_as_self();
	return n;
}

/*
 * A blocking datagram send to a receiver whose queue is full (a unix
 * datagram socket's) waits until the receiver reads.  Nothing tells
 * when: it is parked with the waiter and tried again on its timer, so
 * that a signal ends it (EINTR, or restarted after SA_RESTART) and
 * SO_SNDTIMEO with EAGAIN, as natively.  The copy, its descriptors and
 * the socket go with it.
 */
struct send_wait {
	struct send_copy c;
	int sock, flags;
	pid_t tid;
	uint64_t caps; /* add_sender's */
	ssize_t n;
};

static int send_try(void *what)
{
	struct send_wait *w = what;

	w->n = send_as(w->tid, w->sock, &w->c, w->flags | MSG_DONTWAIT,
		       w->caps);
	return w->n == -EAGAIN ? 0 : 1;
}

static void send_finish(struct tracer_req *r, void *what, int rc)
{
	struct send_wait *w = what;

	if (rc == 1 && w->n < 0)
		r->err = (int)-w->n;
	else if (rc == 1)
		r->val = w->n;
	else
		r->err = -rc;
	release(&w->c);
	close(w->sock);
	free(w);
}

static const struct tracer_park_kind send_kind = {
	.try = send_try,
	.finish = send_finish,
	.retried = true,
};

/* Takes sock and c when parked (true); false: nothing could be. */
static bool send_parked(struct tracer_req *r, int sock, struct send_copy *c,
			int flags, uint64_t caps)
{
	struct tracer_park *pk = tracer_park_reserve();
	struct send_wait *w = pk ? malloc(sizeof(*w)) : NULL;

	if (!w) {
		if (pk)
			tracer_park_release(pk);
		return false;
	}
	*w = (struct send_wait){ .c = *c,
				 .sock = sock,
				 .flags = flags,
				 .tid = r->tid,
				 .caps = caps };
	memset(c, 0, sizeof(*c)); /* the waiter's now */
	tracer_req_hold_who(r);	  /* it may outlive its task */
	/* a blocking send that timed out says EAGAIN */
	tracer_park_set(pk, &send_kind, w, -1, 0,
			tracer_connect_deadline(r, sock), -EAGAIN);
	r->park = pk;
	return true;
}

/*
 * Sends what was copied, with the task's credentials (a unix socket's
 * file permissions and the credentials its receiver is passed).  A send
 * that would wait is tried without waiting first: a datagram one is
 * then parked (send_parked: -EINPROGRESS, sock and c taken), a stream
 * one waits on the pool (-EAGAIN back to the receiver, with r->defer).
 */
static ssize_t send_now(struct tracer_req *r, int sock, struct send_copy *c)
{
	int flags = send_flags(r);
	bool blocking = !(fcntl(sock, F_GETFL) & O_NONBLOCK) &&
			!(flags & MSG_DONTWAIT);
	uint64_t caps;
	ssize_t n;

	add_sender(r, sock, c, &caps);
	if (!blocking || (r->may_block && c->stream))
		return send_as(r->tid, sock, c, flags, caps);
	n = send_as(r->tid, sock, c, flags | MSG_DONTWAIT, caps);
	if (n != -EAGAIN)
		return n;
	/* sendmmsg's messages go one by one: not parked */
	if (!c->stream && strcmp(r->name, "sendmmsg") &&
	    send_parked(r, sock, c, flags, caps))
		return -EINPROGRESS;
	if (r->may_block)
		return send_as(r->tid, sock, c, flags, caps);
	r->defer = true;
	return n;
}

/* sendmmsg: each message in turn, as the kernel does, up to a refusal. */
static void send_many(struct tracer_req *r, int sock)
{
	unsigned i, n = r->args[2] > 64 ? 64 : (unsigned)r->args[2];
	struct send_copy c = { .stream = is_stream(sock) };
	int sent = 0;

	for (i = 0; i < n; i++) {
		uint64_t hdr = r->args[1] + i * sizeof(struct mmsghdr);
		ssize_t rc;
		int err = copy_msghdr(r, hdr, &c);

		if (err || !judge(r, sock, &c)) {
			if (err)
				r->err = -err;
			break;
		}
		rc = send_now(r, sock, &c);
		if (rc < 0) {
			r->err = -rc;
			break;
		}
		/* the kernel reports each message's length in msg_len */
		tracer_mem_write(r->tid,
				 hdr + offsetof(struct mmsghdr, msg_len),
				 &(unsigned){ (unsigned)rc }, sizeof(unsigned));
		release(&c);
		c.stream = is_stream(sock);
		sent++;
	}
	release(&c);
	if (sent) {
		r->err = 0;
		r->val = sent;
		r->defer = false;
	}
}

static int copy_sendto(struct tracer_req *r, struct send_copy *c)
{
	size_t len = r->args[2];

	c->namelen = r->args[5];
	if (c->namelen > sizeof(c->name))
		return -EINVAL;
	if (tracer_mem_read(r->tid, r->args[4], &c->name, c->namelen))
		return -EFAULT;
	if (len > SEND_MAX_DATA) {
		if (!c->stream)
			return -EMSGSIZE;
		len = SEND_MAX_DATA; /* a stream may take part of it */
	}
	c->data = malloc(len + 1);
	if (!c->data)
		return -ENOMEM;
	c->iov[0] = (struct iovec){ c->data, len };
	c->niov = 1;
	return tracer_mem_read(r->tid, r->args[1], c->data, len);
}

/* An IPv4 or IPv6 socket, whose datagram sends read any address given. */
static bool inet_socket(int sock)
{
	int domain = sock_domain(sock);

	return domain == AF_INET || domain == AF_INET6;
}

/*
 * Every send is carried out here, stream ones too: the kernel would look
 * the descriptor number up again, and a thread could have put a
 * datagram socket there meanwhile (class 1).
 */
void tracer_on_send(struct tracer_req *r)
{
	struct send_copy c = { 0 };
	int sock, err;
	ssize_t n;

	sock = tracer_steal_fd(r->tid, r->tgid, (int)r->args[0]);
	if (sock < 0) {
		r->err = -sock;
		return;
	}
	c.stream = is_stream(sock);
	if (!strcmp(r->name, "sendmmsg")) {
		send_many(r, sock);
		goto out;
	}
	if (!strcmp(r->name, "sendto"))
		err = copy_sendto(r, &c);
	else
		err = copy_msghdr(r, r->args[1], &c);
	if (!err && !strcmp(r->name, "sendto") && !c.namelen && !c.stream &&
	    inet_socket(sock))
		err = -EINVAL; /* an address of no length: udp_sendmsg's */
	if (err) {
		r->err = -err;
		goto out;
	}
	if (!tracer_req_valid(r) || !judge(r, sock, &c))
		goto out;
	n = send_now(r, sock, &c);
	if (r->park)
		return; /* the waiter has sock and c */
	if (n < 0)
		r->err = -n;
	else
		r->val = n;
	if (n >= 0 && !c.stream)
		tracer_owned_port(sock, false);
out:
	if (r->defer)
		r->log = false;
	release(&c);
	close(sock);
}
