/* SPDX-License-Identifier: MIT */
/*
 * Listeners the run opened itself on this host's loopback (issue #5): a
 * test suite that starts its own server may reach it, while the host's
 * services on loopback (databases, daemons) stay out of reach unless the
 * policy names them.
 *
 * Every IP socket the run binds is noted by its inode.  A connect to a
 * loopback address that no rule allows is let through when every socket
 * bound to that port which could take the connection (found with
 * sock_diag(7), so the answer is what the kernel holds now, not what it
 * held at bind) is one of the run's.  A host service that later takes a
 * port the run let go is therefore not reached, and neither is one that
 * shares the port with SO_REUSEPORT.
 *
 * So is a socket that got its port from the kernel instead: a datagram
 * client that connected or sent (its server's answer reaches it), a
 * stream socket that listens without a bind.
 */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "tracer/tracer.h"

#define OWNED_BUCKETS 1024

struct owned {
	ino_t ino;
	struct owned *next;
};

static struct owned *buckets[OWNED_BUCKETS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* Under lock. */
static bool owned_locked(ino_t ino)
{
	struct owned *o;

	for (o = buckets[ino % OWNED_BUCKETS]; o; o = o->next)
		if (o->ino == ino)
			return true;
	return false;
}

static bool owned(ino_t ino)
{
	bool found;

	pthread_mutex_lock(&lock);
	found = owned_locked(ino);
	pthread_mutex_unlock(&lock);
	return found;
}

void tracer_owned_add(int sock)
{
	struct stat st;
	struct owned *o;

	if (fstat(sock, &st) < 0)
		return;
	pthread_mutex_lock(&lock);
	if (!owned_locked(st.st_ino) && (o = malloc(sizeof(*o)))) {
		o->ino = st.st_ino;
		o->next = buckets[st.st_ino % OWNED_BUCKETS];
		buckets[st.st_ino % OWNED_BUCKETS] = o;
	}
	pthread_mutex_unlock(&lock);
}

/*
 * A socket that got its port from the kernel: an IP datagram socket
 * that connected or sent (a client whose server answers it), or a TCP
 * one that listens without a bind.
 */
void tracer_owned_port(int sock, bool listening)
{
	int domain = 0, type = 0;
	socklen_t len = sizeof(int);

	if (getsockopt(sock, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0 ||
	    (domain != AF_INET && domain != AF_INET6))
		return;
	len = sizeof(int);
	if (getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return;
	if (listening ? type == SOCK_STREAM : type == SOCK_DGRAM)
		tracer_owned_add(sock);
}

/* What the sockets found so far say. */
struct verdict {
	int ours, theirs;
};

static bool any_or_same(const struct inet_diag_msg *m,
			const struct rules_addr *a)
{
	static const uint8_t zero[16];
	const uint8_t *src = (const uint8_t *)m->id.idiag_src;

	if (m->idiag_family == AF_INET)
		return !memcmp(src, zero, 4) || !memcmp(src, a->ip + 12, 4);
	return !memcmp(src, zero, 16) || !memcmp(src, a->ip, 16);
}

static void note(struct verdict *v, const struct inet_diag_msg *m,
		 const struct rules_addr *a)
{
	if (ntohs(m->id.idiag_sport) != a->port || !any_or_same(m, a))
		return;
	if (owned(m->idiag_inode))
		v->ours++;
	else
		v->theirs++;
}

/*
 * Sends a sock_diag dump request (len bytes at req) and hands each
 * socket's message to each; 0 or -errno.
 */
static int diag_dump(int nl, const void *req, size_t len,
		     void (*each)(struct nlmsghdr *h, void *arg), void *arg)
{
	char buf[16384];
	struct nlmsghdr *h;
	ssize_t n;

	if (send(nl, req, len, 0) < 0)
		return -errno;
	for (;;) {
		n = recv(nl, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		for (h = (void *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR)
				return -EIO;
			each(h, arg);
		}
	}
}

/* What a dump of IP sockets looks for, and what it found. */
struct ip_seek {
	const struct rules_addr *a;
	struct verdict v;
};

static void note_ip(struct nlmsghdr *h, void *arg)
{
	struct ip_seek *s = arg;

	note(&s->v, NLMSG_DATA(h), s->a);
}

/* Dumps the sockets of one family and protocol; 0 or -errno. */
static int dump(int nl, int family, int proto, struct ip_seek *s)
{
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 req;
	} q = {
		.nh = { .nlmsg_len = sizeof(q),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.req = { .sdiag_family = (uint8_t)family,
			 .sdiag_protocol = (uint8_t)proto,
			 .idiag_states = proto == IPPROTO_TCP ? 1u << TCP_LISTEN
							      : ~0u },
	};

	return diag_dump(nl, &q, sizeof(q), note_ip, s);
}

/* The sockets that could take a connection to a, in *v; 0 or -errno. */
static int listeners(const struct rules_addr *a, bool stream, struct verdict *v)
{
	struct ip_seek s = { .a = a };
	int proto = stream ? IPPROTO_TCP : IPPROTO_UDP;
	int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
			NETLINK_SOCK_DIAG);
	int err;

	if (nl < 0)
		return -errno;
	/* an IPv6 socket on [::] takes IPv4 too (without IPV6_V6ONLY) */
	err = dump(nl, AF_INET6, proto, &s);
	if (!err && rules_ip_is_v4(a->ip))
		err = dump(nl, AF_INET, proto, &s);
	close(nl);
	*v = s.v;
	return err;
}

bool tracer_owned_listener(const struct rules_addr *a, bool stream)
{
	struct verdict v;

	return listeners(a, stream, &v) == 0 && v.ours > 0 && v.theirs == 0;
}

bool tracer_owned_nobody(const struct rules_addr *a)
{
	struct verdict v;

	return listeners(a, true, &v) == 0 && v.ours == 0 && v.theirs == 0;
}

/* The bytes of an abstract name as rules_addr writes it ("\\0": NUL). */
static size_t abstract_bytes(const char *text, char *out, size_t size)
{
	size_t n = 0;

	out[n++] = '\0'; /* an abstract name starts with one */
	for (; *text && n < size; text++) {
		if (*text == '\\' && text[1]) {
			text++;
			out[n++] = *text == '0' ? '\0' : *text;
		} else {
			out[n++] = *text;
		}
	}
	return n;
}

/* The name a unix_diag message carries, or NULL. */
static const char *diag_name(struct nlmsghdr *h, size_t *len)
{
	struct unix_diag_msg *m = NLMSG_DATA(h);
	int left = (int)h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
	struct rtattr *a = (struct rtattr *)(m + 1);

	for (; RTA_OK(a, left); a = RTA_NEXT(a, left))
		if (a->rta_type == UNIX_DIAG_NAME) {
			*len = RTA_PAYLOAD(a);
			return RTA_DATA(a);
		}
	return NULL;
}

/* What a dump of unix sockets looks for, and what it found. */
struct name_seek {
	const char *name;
	size_t len;
	struct verdict v;
};

static void note_name(struct nlmsghdr *h, void *arg)
{
	struct name_seek *s = arg;
	const char *got;
	size_t glen;

	got = diag_name(h, &glen);
	if (!got || glen != s->len || memcmp(got, s->name, s->len))
		return;
	if (owned(((struct unix_diag_msg *)NLMSG_DATA(h))->udiag_ino))
		s->v.ours++;
	else
		s->v.theirs++;
}

bool tracer_owned_abstract(const struct rules_addr *a)
{
	struct {
		struct nlmsghdr nh;
		struct unix_diag_req req;
	} q = {
		.nh = { .nlmsg_len = sizeof(q),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.req = { .sdiag_family = AF_UNIX,
			 .udiag_states = ~0u,
			 .udiag_show = UDIAG_SHOW_NAME },
	};
	char name[sizeof(a->path)];
	struct name_seek s = { .name = name };
	int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
			NETLINK_SOCK_DIAG);
	int err;

	if (nl < 0)
		return false;
	s.len = abstract_bytes(a->path, name, sizeof(name));
	err = diag_dump(nl, &q, sizeof(q), note_name, &s);
	close(nl);
	/* one socket at most holds a name: it must be one the run bound */
	return !err && s.v.ours > 0 && s.v.theirs == 0;
}

bool tracer_unix_bound_file(int sock, dev_t *dev, ino_t *ino)
{
	struct {
		struct nlmsghdr nh;
		struct unix_diag_req req;
	} q = {
		.nh = { .nlmsg_len = sizeof(q),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST },
		.req = { .sdiag_family = AF_UNIX,
			 .udiag_states = ~0u,
			 .udiag_show = UDIAG_SHOW_VFS,
			 .udiag_cookie = { INET_DIAG_NOCOOKIE,
					   INET_DIAG_NOCOOKIE } },
	};
	struct unix_diag_vfs vfs;
	struct nlmsghdr *h;
	struct rtattr *a;
	struct stat st;
	char buf[1024];
	bool found = false;
	int nl, left;
	ssize_t n;

	if (fstat(sock, &st) < 0)
		return false;
	q.req.udiag_ino = (uint32_t)st.st_ino;
	nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nl < 0)
		return false;
	n = send(nl, &q, sizeof(q), 0) < 0 ? -1 : recv(nl, buf, sizeof(buf), 0);
	close(nl);
	h = (void *)buf;
	if (n <= 0 || !NLMSG_OK(h, (size_t)n) ||
	    h->nlmsg_type != SOCK_DIAG_BY_FAMILY)
		return false;
	left = (int)h->nlmsg_len - NLMSG_LENGTH(sizeof(struct unix_diag_msg));
	a = (struct rtattr *)((struct unix_diag_msg *)NLMSG_DATA(h) + 1);
	for (; RTA_OK(a, left) && !found; a = RTA_NEXT(a, left))
		if (a->rta_type == UNIX_DIAG_VFS &&
		    RTA_PAYLOAD(a) >= sizeof(vfs)) {
			memcpy(&vfs, RTA_DATA(a), sizeof(vfs));
			found = true;
		}
	if (!found)
		return false;
	/* the kernel's dev_t: 12 bits of major above 20 of minor */
	*dev = makedev(vfs.udiag_vfs_dev >> 20, vfs.udiag_vfs_dev & 0xfffff);
	*ino = vfs.udiag_vfs_ino;
	return true;
}
