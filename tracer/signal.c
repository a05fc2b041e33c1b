/* SPDX-License-Identifier: MIT */
/*
 * Signals may only reach the traced tree (THREATS.md class 17): not the
 * supervisor, not the user's other processes.  The target is a number in
 * a register, so a verdict taken here cannot be raced and the kernel may
 * carry the call out (CONTINUE).  Group targets (0, -PGRP, -1) are
 * carried out here, on the members of the tree only.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tracer/tracer.h"

struct group_kill {
	pid_t pgrp; /* 0: every process of the tree */
	pid_t caller;
	int sig;
	int hits;
};

static void kill_member(struct tracer_proc *p, void *arg)
{
	struct group_kill *g = arg;

	if (p->tid != p->tgid || p->tgid == g->caller)
		return;
	if (g->pgrp && getpgid(p->tgid) != g->pgrp)
		return;
	if (kill(p->tgid, g->sig) == 0)
		g->hits++;
}

static void refuse_named(struct tracer_req *r, const char *what)
{
	static const struct rules_verdict outside = {
		.action = RULES_DENY,
		.origin = "proctor",
		.where = "signals",
		.pattern = "a process outside the traced tree",
	};

	r->verdict = outside;
	tracer_req_decide(r, RULES_EXEC, "target", what, false);
	r->ev.cls_name = "signal";
	r->err = EPERM;
}

static void refuse(struct tracer_req *r, pid_t target)
{
	char what[64];

	snprintf(what, sizeof(what), "pid %d", target);
	refuse_named(r, what);
}

/* kill(2) with 0, -1 or -PGRP, with the caller's credentials. */
static void group(struct tracer_req *r, pid_t pid, int sig)
{
	struct group_kill g = { .caller = r->tgid, .sig = sig };
	int err;

	/* whether any process could be signalled: natively yes, proctor
	 * at least (its user's, or root's) */
	if (pid == -1 && sig == 0) {
		r->err = 0;
		return;
	}
	err = tracer_as_task(r->tid);

	if (err < 0) {
		tracer_as_self();
		r->err = -err;
		return;
	}
	g.pgrp = pid == 0 ? getpgid(r->tgid) : pid == -1 ? 0 : -pid;
	tracer_proc_lock();
	tracer_proc_each(kill_member, &g);
	tracer_proc_unlock();
	/* the caller is in its own group, but not in another one */
	if ((pid == 0 || pid < -1) && getpgid(r->tgid) == g.pgrp &&
	    kill(r->tgid, sig) == 0)
		g.hits++;
	tracer_as_self();
	if (g.hits == 0)
		r->err = ESRCH;
}

/*
 * Signal 0 to a process outside the tree only asks whether it is there
 * (`kill -0 $(cat server.pid)`), which the program may know natively;
 * the kernel's signal scope (Landlock) would refuse it, so proctor asks,
 * with the caller's credentials.  kill(2), tkill(2) and tgkill(2) take
 * their targets in registers.
 */
static bool probe(struct tracer_req *r, const char *n)
{
	long rc;
	int err;

	if (strcmp(n, "kill") && strcmp(n, "tkill") && strcmp(n, "tgkill"))
		return false;
	if ((err = tracer_as_task(r->tid)) < 0) {
		r->err = -err;
	} else {
		rc = !strcmp(n, "kill") ? kill((pid_t)r->args[0], 0)
		     : !strcmp(n, "tkill")
			     ? syscall(SYS_tkill, (pid_t)r->args[0], 0)
			     : syscall(SYS_tgkill, (pid_t)r->args[0],
				       (pid_t)r->args[1], 0);
		r->err = rc < 0 ? errno : 0;
	}
	tracer_as_self();
	return true;
}

enum former {
	OUTSIDER,
	GONE,	     /* ESRCH, as natively: a child the program reaped */
	TREE_ZOMBIE, /* a child of the tree that waits to be reaped */
};

/*
 * A target proctor does not count in the tree: gone, or a child of the
 * tree that has exited and waits for its parent (`timeout` kills its
 * child as it ends), which the kernel may signal; else an outsider.
 */
static enum former former_member(pid_t target)
{
	char path[64], buf[512], *s;
	int ppid = 0, n, fd;
	char state = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", target);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? GONE : OUTSIDER;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return OUTSIDER;
	buf[n] = '\0';
	/* "PID (COMM) S PPID ...": COMM may hold ") " itself */
	s = strrchr(buf, ')');
	if (!s || sscanf(s + 1, " %c %d", &state, &ppid) != 2)
		return OUTSIDER;
	return state == 'Z' && tracer_proc_in_tree(ppid) ? TREE_ZOMBIE
							 : OUTSIDER;
}

void tracer_on_signal(struct tracer_req *r)
{
	const char *n = r->name;
	pid_t target;
	int sig;

	if (!strcmp(n, "kill") || !strcmp(n, "rt_sigqueueinfo") ||
	    !strcmp(n, "tkill")) {
		target = (pid_t)r->args[0];
		sig = (int)r->args[1];
	} else if (!strcmp(n, "pidfd_open")) {
		target = (pid_t)r->args[0];
		sig = -1;
	} else if (!strcmp(n, "prlimit64")) {
		/* 0 is the caller; another process's limits are its own */
		target = (pid_t)r->args[0];
		sig = target == 0 ? 0 : -1;
	} else {
		/* tgkill, rt_tgsigqueueinfo: the thread decides */
		target = (pid_t)r->args[1];
		sig = (int)r->args[2];
	}

	if (!strcmp(n, "kill") && target <= 0) {
		group(r, target, sig);
		return;
	}
	if (tracer_proc_in_tree(target)) {
		r->cont = true;
		return;
	}
	/* Probing for a process (signal 0) is harmless and common. */
	if (sig == 0 && !probe(r, n))
		r->cont = true;
	if (sig == 0)
		return;
	switch (target > 0 ? former_member(target) : OUTSIDER) {
	case GONE:
		r->err = ESRCH;
		break;
	case TREE_ZOMBIE:
		r->cont = true;
		break;
	case OUTSIDER:
		refuse(r, target);
	}
}

/* Calls whose first argument is a process (0: the caller). */
static const char *const process_calls[] = {
	"prlimit64",	 "sched_setscheduler", "sched_setparam",
	"sched_setattr", "sched_setaffinity",  "migrate_pages",
	"move_pages",
};

bool tracer_targets_process(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(process_calls) / sizeof(*process_calls); i++)
		if (!strcmp(process_calls[i], name))
			return true;
	return false;
}

/* setpriority's and ioprio_set's kinds of target (each call's own
 * numbers: PRIO_PROCESS is 0, IOPRIO_WHO_PROCESS 1) */
enum sched_who { WHO_PROCESS, WHO_GROUP, WHO_USER };

struct group_sched {
	bool io;
	pid_t pgrp;
	int value;
	int hits, err;
};

static void sched_member(struct tracer_proc *p, void *arg)
{
	struct group_sched *g = arg;
	long rc;

	if (getpgid(p->tgid) != g->pgrp)
		return;
	rc = g->io ? syscall(SYS_ioprio_set, 1, p->tid, g->value)
		   : setpriority(PRIO_PROCESS, p->tid, g->value);
	if (rc == 0)
		g->hits++;
	else
		g->err = errno;
}

/* A group's: carried out on its members in the tree, as kill() is. */
static void sched_group(struct tracer_req *r, bool io, pid_t pgrp)
{
	struct group_sched g = { .io = io, .value = (int)r->args[2] };
	int err = tracer_as_task(r->tid);

	if (err < 0) {
		tracer_as_self();
		r->err = -err;
		return;
	}
	g.pgrp = pgrp ? pgrp : getpgid(r->tgid);
	tracer_proc_lock();
	tracer_proc_each(sched_member, &g);
	tracer_proc_unlock();
	tracer_as_self();
	r->err = g.hits ? 0 : g.err ? g.err : ESRCH;
}

void tracer_on_sched(struct tracer_req *r)
{
	bool io = !strcmp(r->name, "ioprio_set");
	enum sched_who who = WHO_PROCESS;
	pid_t target = (pid_t)r->args[0];

	if (io || !strcmp(r->name, "setpriority")) {
		who = (enum sched_who)((int)r->args[0] - io);
		target = (pid_t)r->args[1];
	}
	if (who == WHO_GROUP) {
		sched_group(r, io, target);
		return;
	}
	if (who == WHO_PROCESS &&
	    (target == 0 || tracer_proc_in_tree(target))) {
		r->cont = true;
		return;
	}
	if (who == WHO_PROCESS && target > 0 &&
	    former_member(target) != OUTSIDER) {
		r->cont = true; /* the kernel says ESRCH, or 0 for a zombie */
		return;
	}
	/* a user's every process, or one outside the tree */
	if (who == WHO_USER) {
		char what[64];

		snprintf(what, sizeof(what), "every process of uid %d", target);
		refuse_named(r, what);
		r->verdict.pattern = "processes outside the traced tree";
	} else {
		refuse(r, target);
	}
	r->ev.cls_name = "scheduling";
}

/*
 * fcntl(F_SETOWN, F_SETOWN_EX) names the process that gets SIGIO (or the
 * signal F_SETSIG chose, SIGKILL included) when the descriptor is ready:
 * a signal by other means, so it too may only name the tree.
 */
void tracer_on_fcntl(struct tracer_req *r)
{
	struct f_owner_ex ex = { .type = F_OWNER_PID };
	int sock, err;

	if ((int)r->args[1] == F_SETOWN) {
		ex.pid = (int)r->args[2];
		if (ex.pid < 0)
			ex.pid = -ex.pid; /* a group, named by its leader */
		if (ex.pid == 0 || tracer_proc_in_tree(ex.pid))
			r->cont = true;
		else
			refuse(r, ex.pid);
		return;
	}
	/* F_SETOWN_EX: the owner lives in memory, so we carry it out */
	err = tracer_mem_read(r->tid, r->args[2], &ex, sizeof(ex));
	if (err) {
		r->err = -err;
		return;
	}
	if (ex.pid != 0 && !tracer_proc_in_tree(ex.pid)) {
		refuse(r, ex.pid);
		return;
	}
	sock = tracer_steal_fd(r->tid, r->tgid, (int)r->args[0]);
	if (sock < 0) {
		r->err = -sock;
		return;
	}
	if (fcntl(sock, F_SETOWN_EX, &ex) < 0)
		r->err = errno;
	close(sock);
}

/*
 * ioctl(FIOSETOWN) and ioctl(SIOCSPGRP) set a socket's owner as F_SETOWN
 * does (sock_ioctl calls f_setown), but read it from memory: judged the
 * same way and carried out here on our copy, like F_SETOWN_EX.  Without
 * Landlock's signal scope (--ask, no write floor, an older kernel) they
 * would otherwise send SIGIO, or the F_SETSIG signal, outside the tree.
 */
void tracer_on_ioctl(struct tracer_req *r)
{
	struct stat st;
	int owner, sock, err;
	pid_t who;

	if (tracer_fs_ioctl_type((uint32_t)r->args[1])) {
		tracer_on_fs_ioctl(r);
		return;
	}

	err = tracer_mem_read(r->tid, r->args[2], &owner, sizeof(owner));
	if (err) {
		r->err = -err;
		return;
	}
	if (owner == INT_MIN) {
		r->err = EINVAL; /* f_setown's answer: it has no group */
		return;
	}
	who = owner < 0 ? -owner : owner; /* a group, named by its leader */
	if (who != 0 && !tracer_proc_in_tree(who)) {
		refuse(r, who);
		return;
	}
	sock = tracer_steal_fd(r->tid, r->tgid, (int)r->args[0]);
	if (sock < 0) {
		r->err = -sock;
		return;
	}
	/* only sockets take them (the 0x89 ioctls are theirs) */
	if (fstat(sock, &st) < 0 || !S_ISSOCK(st.st_mode))
		r->err = ENOTTY;
	else if (ioctl(sock, (unsigned int)r->args[1], &owner) < 0)
		r->err = errno;
	close(sock);
}
