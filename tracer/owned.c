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
 * A socket that gets its port from listen(2) without bind(2) is not
 * noted: such a listener is judged by the policy alone.
 */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tracer/tracer.h"

#define OWNED_BUCKETS 1024

struct owned {
	ino_t ino;
	struct owned *next;
};

static struct owned *buckets[OWNED_BUCKETS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void tracer_owned_add(int sock)
{
	struct stat st;
	struct owned *o;

	if (fstat(sock, &st) < 0 || !(o = malloc(sizeof(*o))))
		return;
	o->ino = st.st_ino;
	pthread_mutex_lock(&lock);
	o->next = buckets[st.st_ino % OWNED_BUCKETS];
	buckets[st.st_ino % OWNED_BUCKETS] = o;
	pthread_mutex_unlock(&lock);
}

static bool owned(ino_t ino)
{
	struct owned *o;
	bool found = false;

	pthread_mutex_lock(&lock);
	for (o = buckets[ino % OWNED_BUCKETS]; o && !found; o = o->next)
		found = o->ino == ino;
	pthread_mutex_unlock(&lock);
	return found;
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

/* Dumps the sockets of one family and protocol; 0 or -errno. */
static int dump(int nl, int family, int proto, const struct rules_addr *a,
		struct verdict *v)
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
	char buf[16384];
	struct nlmsghdr *h;
	ssize_t n;

	if (send(nl, &q, sizeof(q), 0) < 0)
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
			note(v, NLMSG_DATA(h), a);
		}
	}
}

bool tracer_owned_listener(const struct rules_addr *a, bool stream)
{
	struct verdict v = { 0 };
	int proto = stream ? IPPROTO_TCP : IPPROTO_UDP;
	int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
			NETLINK_SOCK_DIAG);
	bool v4 = rules_ip_is_v4(a->ip);
	int err;

	if (nl < 0)
		return false;
	/* an IPv6 socket on [::] takes IPv4 too (without IPV6_V6ONLY) */
	err = dump(nl, AF_INET6, proto, a, &v);
	if (!err && v4)
		err = dump(nl, AF_INET, proto, a, &v);
	close(nl);
	return !err && v.ours > 0 && v.theirs == 0;
}
