/* SPDX-License-Identifier: MIT */
/*
 * connect(2), carried out by the supervisor on the tracee's own socket
 * (pidfd_getfd(2)) with the supervisor's copy of the address, so the
 * address judged is the address used (THREATS.md 1, 13, 15).
 *
 * A refused connect fails with ECONNREFUSED: programs read it as "nobody
 * there" and try their next address, and the listener sees nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "tracer/tracer.h"

#define NET_DENY_ERRNO ECONNREFUSED

/* A duplicate of the tracee's descriptor fd in this process. */
int tracer_steal_fd(pid_t tgid, int fd)
{
	int pidfd = syscall(SYS_pidfd_open, tgid, 0);
	int dup, err;

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
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (a->kind != RULES_ADDR_IP)
		return false;
	return !memcmp(a->ip, v6, 16) ||
	       (!memcmp(a->ip, mapped, 12) && a->ip[12] == 127);
}

/* A blocking socket's connect can wait, except on this host's loopback. */
static bool may_wait(int sock, const struct rules_addr *a)
{
	int fl = fcntl(sock, F_GETFL);

	return fl >= 0 && !(fl & O_NONBLOCK) && !is_loopback(a);
}

static void judge(struct tracer_req *r, const struct rules_addr *ra, bool *ok)
{
	char text[300];

	rules_check_addr(r->sup->o->policy, ra, &r->verdict);
	rules_addr_format(ra, text, sizeof(text));
	r->addr = ra;
	*ok = tracer_req_decide(r, RULES_CONNECT, "addr", text,
				r->verdict.action == RULES_ALLOW);
}

void tracer_on_connect(struct tracer_req *r)
{
	struct sockaddr_storage ss;
	struct sockaddr_un sun;
	struct rules_addr ra;
	struct tracer_path p = { .parent = -1, .magic = -1 };
	socklen_t len = r->args[2];
	const struct sockaddr *use = (void *)&ss;
	int sock, err;
	bool ok;

	err = copy_sockaddr(r, &ss, len);
	if (err) {
		r->err = -err;
		return;
	}
	if (!tracer_req_valid(r))
		return;

	err = rules_addr_decode(&ss, len, &ra);
	if (err == -EAFNOSUPPORT && ss.ss_family == AF_NETLINK) {
		/* TODO(#3): families are judged where sockets are made. */
		err = 0;
		ra.kind = RULES_ADDR_UNNAMED;
	} else if (err == 0 && ra.kind == RULES_ADDR_UNIX_PATH) {
		err = tracer_unix_resolve(r, &ra, &sun, &len, &p);
		use = (void *)&sun;
	}
	if (err) {
		r->err = err == -EAFNOSUPPORT ? EAFNOSUPPORT : -err;
		return;
	}

	if (ra.kind == RULES_ADDR_UNNAMED) {
		ok = true; /* AF_UNSPEC dissolves an association */
	} else if (tracer_approve_refuses(r, &ra, &p)) {
		r->err = NET_DENY_ERRNO;
		goto out;
	} else {
		judge(r, &ra, &ok);
		if (!ok) {
			r->err = NET_DENY_ERRNO;
			goto out;
		}
	}

	sock = tracer_steal_fd(r->tgid, (int)r->args[0]);
	if (sock < 0) {
		r->err = -sock;
		goto out;
	}
	/* A blocking connect to another host may take a while. */
	if (!r->may_block && may_wait(sock, &ra)) {
		r->defer = true;
		r->log = false;
		close(sock);
		goto out;
	}
	if (connect(sock, use, len) < 0)
		r->err = errno;
	close(sock);
out:
	tracer_path_release(&p);
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

void tracer_on_bind(struct tracer_req *r)
{
	struct sockaddr_storage ss;
	struct rules_addr ra;
	struct tracer_path p = { .parent = -1, .magic = -1 };
	socklen_t len = r->args[2];
	bool override;
	int sock, err;

	err = copy_sockaddr(r, &ss, len);
	if (err) {
		r->err = -err;
		return;
	}
	if (rules_addr_decode(&ss, len, &ra) == 0 &&
	    ra.kind == RULES_ADDR_UNIX_PATH) {
		err = tracer_path_resolve(r->tid, r->tgid, AT_FDCWD, ra.path, 0,
					  &p);
		if (err) {
			r->err = -err;
			return;
		}
		if (!tracer_judge_write(r->sup, &p, &r->verdict, &override) &&
		    !tracer_req_decide(r, RULES_WRITE, "path", p.path, false)) {
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
		if (err) {
			r->err = -err;
			goto out;
		}
	}
	if (!tracer_req_valid(r))
		goto out;
	sock = tracer_steal_fd(r->tgid, (int)r->args[0]);
	if (sock < 0) {
		r->err = -sock;
		goto out;
	}
	if (bind(sock, (struct sockaddr *)&ss, len) < 0)
		r->err = errno;
	close(sock);
out:
	tracer_path_release(&p);
}
