/* SPDX-License-Identifier: MIT */
/*
 * The seccomp filter, generated with libseccomp.  Calls that can change
 * what the policy governs go to the supervisor (SECCOMP_RET_USER_NOTIF);
 * calls that no policy allows are refused in the kernel, which costs
 * nothing.  Foreign ABIs (x32, i386 through int 0x80) kill the process:
 * libseccomp puts that check first.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/fs.h>
#include <linux/keyctl.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/seccomp.h>
#include <linux/userfaultfd.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "arch/arch.h"
#include "tracer/tracer.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef CLONE_UNTRACED
#define CLONE_UNTRACED 0x00800000
#endif

/* Refused in the kernel with the errno given. */
static const struct {
	const char *name;
	int err;
} refused[] = {
	/* io_uring's operations never pass seccomp (class 11) */
	{ "io_uring_setup", EPERM },
	/* file handles skip path resolution (class 7) */
	{ "name_to_handle_at", EOPNOTSUPP },
	{ "open_by_handle_at", EPERM },
	/* flags in a struct the filter cannot read: libc falls back */
	{ "clone3", ENOSYS },
	/* the supervisor and the processes around it (class 17); ptrace
	 * is refused by proctor, which says why (tracer_on_ptrace) */
	{ "process_vm_writev", EPERM },
	/* and reading: a process holding a grant keeps what it read (#6) */
	{ "process_vm_readv", EPERM },
	{ "pidfd_getfd", EPERM },
	/* process accounting appends to a file named by path */
	{ "acct", EPERM },
	/*
	 * POSIX message queues: files of the kernel's mqueue mount, which no
	 * policy names; a receive takes the message away, and Landlock does
	 * not govern an unlink there (a run emptied and removed its user's
	 * queues, root's every user's).  As the write floor answers opens.
	 */
	{ "mq_open", EACCES },
	{ "mq_unlink", EACCES },
	/* and a queue opened as a file where the mqueue mount is seen
	 * (/dev/mqueue): an ordinary descriptor the queue calls take */
	{ "mq_timedsend", EACCES },
	{ "mq_timedreceive", EACCES },
	{ "mq_notify", EACCES },
	{ "mq_getsetattr", EACCES },
	/*
	 * A Landlock domain of the program's own binds only the calls it
	 * makes itself, not those proctor makes for it (opens that write,
	 * connects): it would hold less than it says.  Landlock is
	 * "disabled", so the program knows.
	 */
	{ "landlock_create_ruleset", EOPNOTSUPP },
	/*
	 * an O_PATH descriptor without a judged open; the mount API's other
	 * calls want CAP_SYS_ADMIN, and mount(8) falls back on ENOSYS
	 */
	{ "open_tree", ENOSYS },
};

/*
 * Opens that can only read (no write access, no O_CREAT, O_TRUNC or
 * O_TMPFILE) are answered in the kernel when the read rules live in a
 * Landlock ruleset on the tracee (tracer/landlock.c): the others still
 * come to proctor.  So does O_PATH, which Landlock does not govern: its
 * descriptor, reopened through /proc/self/fd, reaches what the ruleset
 * refuses (another window's terminal), so proctor judges it first.  The
 * flags are in a register, so nothing can swap them after the check.
 * Returns 1 when this handled name.
 */
static int add_open(scmp_filter_ctx ctx, const char *name, int nr)
{
	static const uint64_t notified[][2] = {
		{ O_ACCMODE, O_WRONLY },  { O_ACCMODE, O_RDWR },
		{ O_ACCMODE, O_ACCMODE }, { O_CREAT, O_CREAT },
		{ O_TRUNC, O_TRUNC },	  { __O_TMPFILE, __O_TMPFILE },
		{ O_PATH, O_PATH },
	};
	unsigned arg;
	size_t i;
	int rc;

	if (!strcmp(name, "open"))
		arg = 1;
	else if (!strcmp(name, "openat"))
		arg = 2;
	else
		return 0;
	for (i = 0; i < sizeof(notified) / sizeof(*notified); i++) {
		struct scmp_arg_cmp cmp = {
			.arg = arg,
			.op = SCMP_CMP_MASKED_EQ,
			.datum_a = notified[i][0],
			.datum_b = notified[i][1],
		};

		rc = seccomp_rule_add_array(ctx, SCMP_ACT_NOTIFY, nr, 1, &cmp);
		if (rc < 0)
			return rc;
	}
	return 1;
}

/* Sends call nr to the supervisor when its command (argument 1) is a or b. */
static int notify_on_cmd(scmp_filter_ctx ctx, int nr, uint32_t a, uint32_t b)
{
	int rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 1,
				  SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, a));

	return rc ? rc
		  : seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 1,
				     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu,
					     b));
}

/* The ioctls the supervisor judges; the command's upper bits aside. */
static int notify_who(scmp_filter_ctx ctx, int nr, uint64_t process)
{
	int rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 1,
				  SCMP_A1(SCMP_CMP_NE, 0));

	return rc ? rc
		  : seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 1,
				     SCMP_A0(SCMP_CMP_NE, process));
}

static int notify_ioctl(scmp_filter_ctx ctx, int nr)
{
	int rc = notify_on_cmd(ctx, nr, FIOSETOWN, SIOCSPGRP);

	for (int i = 0; rc == 0 && i < TRACER_FS_IOCTL_TYPES; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 1,
				      SCMP_A1(SCMP_CMP_MASKED_EQ, 0xff00,
					      tracer_fs_ioctl_types[i] << 8));
	return rc;
}

static int add_notify(scmp_filter_ctx ctx, bool reads_in_kernel)
{
	const char *name;
	size_t i;

	for (i = 0; (name = tracer_notified_call(i)) != NULL; i++) {
		int nr = arch_syscall_nr(name);
		int rc;

		if (nr < 0)
			continue; /* this ABI lacks it */
		/* only a new user namespace's: add_namespaces() */
		if (!strcmp(name, "clone") || !strcmp(name, "unshare"))
			continue;
		if (reads_in_kernel && (rc = add_open(ctx, name, nr)) != 0) {
			if (rc < 0)
				return rc;
			continue;
		}
		/* sendto without an address goes to the socket's peer */
		if (!strcmp(name, "sendto"))
			rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 1,
					      SCMP_A4(SCMP_CMP_NE, 0));
		/* fcntl only when it names a process to signal */
		else if (!strcmp(name, "fcntl"))
			rc = notify_on_cmd(ctx, nr, F_SETOWN, F_SETOWN_EX);
		/*
		 * ioctl only for FIOSETOWN and SIOCSPGRP, F_SETOWN's twins,
		 * and a file system's own (fsioctl.c)
		 */
		else if (!strcmp(name, "ioctl"))
			rc = notify_ioctl(ctx, nr);
		/* setpriority and ioprio_set: a group or user, or a
		 * process other than the caller */
		else if (!strcmp(name, "setpriority") ||
			 !strcmp(name, "ioprio_set"))
			rc = notify_who(ctx, nr, !strcmp(name, "ioprio_set"));
		/* the caller itself (0) needs no judge */
		else if (tracer_targets_process(name))
			rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 1,
					      SCMP_A0(SCMP_CMP_NE, 0));
		else
			rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 0);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The calls that change what proctor keeps of a task: a record's uid
 * and cwd, the cwd and umask it works with (tracer/ident.c). */
static int add_ident(scmp_filter_ctx ctx)
{
	const char *name;
	size_t i;

	for (i = 0; (name = tracer_ident_call(i)) != NULL; i++) {
		int nr = arch_syscall_nr(name);
		int rc;

		if (nr < 0)
			continue;
		/* PR_SET_DUMPABLE; to 0 a user's supervisor refuses it */
		if (!strcmp(name, "prctl") && geteuid() != 0)
			rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 2,
					      SCMP_A0(SCMP_CMP_MASKED_EQ,
						      0xffffffffu,
						      PR_SET_DUMPABLE),
					      SCMP_A1(SCMP_CMP_NE, 0));
		else if (!strcmp(name, "prctl"))
			rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 1,
					      SCMP_A0(SCMP_CMP_MASKED_EQ,
						      0xffffffffu,
						      PR_SET_DUMPABLE));
		else
			rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 0);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/*
 * With TLS interception: stats, for the CApath lookup of proctor's CA
 * (tracer/castat.c); newfstatat only as stat() makes it (flags 0), not
 * lstat, fstat or a directory walk's AT_SYMLINK_NOFOLLOW.
 */
static int add_ca_stats(scmp_filter_ctx ctx)
{
	const char *name;
	size_t i;

	for (i = 0; (name = tracer_ca_stat_call(i)) != NULL; i++) {
		int nr = arch_syscall_nr(name);
		int rc;

		if (nr < 0)
			continue;
		if (!strcmp(name, "newfstatat"))
			rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 1,
					      SCMP_A3(SCMP_CMP_MASKED_EQ,
						      0xffffffffu, 0));
		else
			rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 0);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int add_refused(scmp_filter_ctx ctx)
{
	size_t i;

	for (i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
		int nr = arch_syscall_nr(refused[i].name);
		int rc;

		if (nr < 0)
			continue;
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(refused[i].err), nr,
				      0);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Calls newer than proctor knows: ENOSYS, so libc uses the older ones. */
static int add_refused_new(scmp_filter_ctx ctx)
{
	const struct arch_desc *a = arch_native();
	int i, nr, rc = 0;

	for (i = 0; i < a->n_refused_new && rc == 0; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
				      a->refused_new[i], 0);
	for (nr = a->last_known + 1; nr < 512 && rc == 0; nr++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
	return rc;
}

/* Refuses call nr with err when argument arg, its lower half, is value. */
static int refuse_eq(scmp_filter_ctx ctx, int err, int nr, unsigned int arg,
		     uint32_t value)
{
	struct scmp_arg_cmp cmp = {
		.arg = arg,
		.op = SCMP_CMP_MASKED_EQ,
		.datum_a = 0xffffffffu,
		.datum_b = value,
	};

	return seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(err), nr, 1, &cmp);
}

/*
 * The user's keyrings are not files, but hold secrets (a Kerberos cache,
 * a token) and are shared with the user's other processes: the run may
 * neither read a key (KEYCTL_READ; DH_COMPUTE and the PKEY operations
 * answer with what a key's secret does) nor change, link (a search can
 * link what it finds), move or re-permission one, nor put one in a
 * keyring but its thread's or process's own (-1, -2: add_key replaces a
 * key of the same name).  request_key may start /sbin/request-key, a
 * program outside the run.
 */
static const uint32_t keyctl_refused[] = {
	KEYCTL_UPDATE,
	KEYCTL_REVOKE,
	KEYCTL_CHOWN,
	KEYCTL_SETPERM,
	KEYCTL_CLEAR,
	KEYCTL_LINK,
	KEYCTL_UNLINK,
	KEYCTL_READ,
	KEYCTL_INSTANTIATE,
	KEYCTL_NEGATE,
	KEYCTL_SET_TIMEOUT,
	KEYCTL_SESSION_TO_PARENT, /* the parent's keyring: proctor's */
	KEYCTL_REJECT,
	KEYCTL_INSTANTIATE_IOV,
	KEYCTL_INVALIDATE,
	KEYCTL_GET_PERSISTENT, /* links it into a keyring given */
	KEYCTL_DH_COMPUTE,
	KEYCTL_PKEY_ENCRYPT, /* with a key's private half */
	KEYCTL_PKEY_DECRYPT,
	KEYCTL_PKEY_SIGN,
	KEYCTL_RESTRICT_KEYRING,
	KEYCTL_MOVE,
};

/* add_key's keyrings other than the thread's (-1) and process's (-2):
 * the session's and the user's (-3 .. -8), and any by its id (>= 0),
 * compared on the lower half, as the kernel reads the int */
static int refuse_add_key(scmp_filter_ctx ctx)
{
	int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
				  SCMP_SYS(add_key), 1,
				  SCMP_A4(SCMP_CMP_MASKED_EQ, 0x80000000u, 0));
	uint32_t k;

	for (k = (uint32_t)-8; rc == 0 && k <= (uint32_t)-3; k++)
		rc = seccomp_rule_add(
			ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(add_key), 1,
			SCMP_A4(SCMP_CMP_MASKED_EQ, 0xffffffffu, k));
	return rc;
}

static int add_keyrings(scmp_filter_ctx ctx)
{
	size_t i;
	int rc = 0;

	for (i = 0;
	     i < sizeof(keyctl_refused) / sizeof(*keyctl_refused) && rc == 0;
	     i++)
		rc = refuse_eq(ctx, EACCES, SCMP_SYS(keyctl), 0,
			       keyctl_refused[i]);
	/* a search that links what it finds into a keyring given */
	if (rc == 0)
		rc = seccomp_rule_add(
			ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(keyctl), 2,
			SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, KEYCTL_SEARCH),
			SCMP_A4(SCMP_CMP_NE, 0));
	if (rc == 0)
		rc = refuse_add_key(ctx);
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
				      SCMP_SYS(request_key), 0);
	return rc;
}

/* Argument checks: only registers, so the kernel can decide them. */
static int add_masked(scmp_filter_ctx ctx)
{
	int rc;

	/* TIOCSTI and TIOCLINUX, whatever the upper bits (class 19) */
	rc = refuse_eq(ctx, EPERM, SCMP_SYS(ioctl), 1, TIOCSTI);
	if (rc == 0)
		rc = refuse_eq(ctx, EPERM, SCMP_SYS(ioctl), 1, TIOCLINUX);
	/* a line discipline that drops all input (n_null) would leave the
	 * user's terminal dead after the run; Ctrl-C with it (job.c) */
	if (rc == 0)
		rc = refuse_eq(ctx, EPERM, SCMP_SYS(ioctl), 1, TIOCSETD);
	/* nor output suspended (TCXONC TCOOFF), which ^Q does not resume:
	 * the user's shell would hang on its next write */
	if (rc == 0)
		rc = seccomp_rule_add(
			ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 2,
			SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TCXONC),
			SCMP_A2(SCMP_CMP_MASKED_EQ, 0xffffffffu, TCOOFF));
	/* a lease on any file the run may read holds the user's writers
	 * of it outside up to lease-break-time (45 s) each */
	if (rc == 0)
		rc = refuse_eq(ctx, EACCES, SCMP_SYS(fcntl), 1, F_SETLEASE);
	/* a child that would escape the tracer (class 18) */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
				      SCMP_SYS(clone), 1,
				      SCMP_A0(SCMP_CMP_MASKED_EQ,
					      CLONE_UNTRACED, CLONE_UNTRACED));
	/*
	 * A userfaultfd that takes the kernel's faults (/dev/userfaultfd,
	 * or the call without UFFD_USER_MODE_ONLY where the sysctl lets it)
	 * holds our reads of the program's memory (a path, a sockaddr) until
	 * the program resolves the fault: a receiver per call, for as long
	 * as the program lives.  A user-mode-only one is left: a read of
	 * ours then fails (EFAULT).
	 */
	if (rc == 0)
		rc = refuse_eq(ctx, EPERM, SCMP_SYS(ioctl), 1,
			       USERFAULTFD_IOC_NEW);
	if (rc == 0)
		rc = seccomp_rule_add(
			ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(userfaultfd), 1,
			SCMP_A0(SCMP_CMP_MASKED_EQ, UFFD_USER_MODE_ONLY, 0));
	/* the user's keyrings (add_keyrings) */
	if (rc == 0)
		rc = add_keyrings(ctx);
	/* a listener of the program's own would answer for us (class 3) */
	if (rc == 0)
		rc = seccomp_rule_add(
			ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(seccomp), 1,
			SCMP_A1(SCMP_CMP_MASKED_EQ,
				SECCOMP_FILTER_FLAG_NEW_LISTENER,
				SECCOMP_FILTER_FLAG_NEW_LISTENER));
	return rc;
}

#ifndef IPV6_FLOWLABEL_MGR
#define IPV6_FLOWLABEL_MGR 32 /* linux/in6.h, which clashes with libc's */
#endif

/*
 * Socket options that send a packet elsewhere than the address judged at
 * connect or send: IPv4 options (a source route goes to its first hop;
 * the kernel wants CAP_NET_RAW for it, which --keep-caps keeps), IPv6
 * routing headers (a segment routing header needs no privilege), and the
 * RFC 2292 and flow label forms that carry them.
 */
static const struct {
	int level, name;
} rerouting_opts[] = {
	{ IPPROTO_IP, IP_OPTIONS },
	{ IPPROTO_IPV6, IPV6_RTHDR },
	{ IPPROTO_IPV6, IPV6_2292RTHDR },
	{ IPPROTO_IPV6, IPV6_2292PKTOPTIONS },
	{ IPPROTO_IPV6, IPV6_FLOWLABEL_MGR },
};

static int add_sockopts(scmp_filter_ctx ctx)
{
	size_t i, n = sizeof(rerouting_opts) / sizeof(*rerouting_opts);
	int rc = 0;

	for (i = 0; rc == 0 && i < n; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
				      SCMP_SYS(setsockopt), 2,
				      SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu,
					      rerouting_opts[i].level),
				      SCMP_A2(SCMP_CMP_MASKED_EQ, 0xffffffffu,
					      rerouting_opts[i].name));
	return rc;
}

/* Socket families proctor judges; netlink only to read routes (14). */
static bool family_allowed(int af)
{
	return af == AF_UNIX || af == AF_INET || af == AF_INET6 ||
	       af == AF_NETLINK;
}

/*
 * One rule per refused family: libseccomp takes one comparison per
 * argument in a rule, so "not in the list" is spelled out.
 */
static int add_families(scmp_filter_ctx ctx)
{
	const int eaf = SCMP_ACT_ERRNO(EAFNOSUPPORT);
	const int eperm = SCMP_ACT_ERRNO(EPERM);
	int af, rc = 0;

	for (af = 0; af < AF_MAX && rc == 0; af++) {
		if (family_allowed(af))
			continue;
		rc = seccomp_rule_add(ctx, eaf, SCMP_SYS(socket), 1,
				      SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu,
					      af));
		if (rc == 0)
			rc = seccomp_rule_add(ctx, eaf, SCMP_SYS(socketpair), 1,
					      SCMP_A0(SCMP_CMP_MASKED_EQ,
						      0xffffffffu, af));
	}
	if (rc == 0)
		rc = seccomp_rule_add(ctx, eaf, SCMP_SYS(socket), 1,
				      SCMP_A0(SCMP_CMP_GE, AF_MAX));
	/* netlink: NETLINK_ROUTE, which getaddrinfo reads, and no other */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, eperm, SCMP_SYS(socket), 2,
				      SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu,
					      AF_NETLINK),
				      SCMP_A2(SCMP_CMP_NE, NETLINK_ROUTE));
	/* raw and ICMP sockets reach past the connect judgment */
	for (af = AF_INET; rc == 0 && af <= AF_INET6;
	     af += AF_INET6 - AF_INET) {
		rc = seccomp_rule_add(
			ctx, eperm, SCMP_SYS(socket), 2,
			SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, af),
			SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_RAW));
		if (rc == 0)
			rc = seccomp_rule_add(
				ctx, eperm, SCMP_SYS(socket), 2,
				SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, af),
				SCMP_A2(SCMP_CMP_MASKED_EQ, 0xffffffffu,
					af == AF_INET ? IPPROTO_ICMP
						      : IPPROTO_ICMPV6));
	}
	return rc;
}

/*
 * New user namespaces hand the program capabilities again (14): refused
 * by proctor (tracer_on_namespace), which says why: a program that makes
 * its own sandbox (bwrap, unshare -r) otherwise fails with no word.
 */
static int add_namespaces(scmp_filter_ctx ctx)
{
	const int eperm = SCMP_ACT_ERRNO(EPERM);
	int rc;

	rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(unshare), 1,
			      SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER,
				      CLONE_NEWUSER));
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(clone), 1,
				      SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER,
					      CLONE_NEWUSER));
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(setns), 0);
	/*
	 * CLONE_PARENT makes the child a sibling of its maker: a process
	 * could give a child to a command that holds a grant (#6), which
	 * its subtree gets.  Refused, as clone3 is.
	 */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, eperm, SCMP_SYS(clone), 1,
				      SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_PARENT,
					      CLONE_PARENT));
	return rc;
}

/*
 * The supervisor's process group is the terminal's foreground while it
 * asks a question (tracer/terminal.c): a program that joined it could
 * read the keys.  sup: that group, when the program runs in a group of
 * its own (a job of a terminal); 0 otherwise.
 */
static int add_pgrp_guard(scmp_filter_ctx ctx, pid_t sup)
{
	if (sup <= 0)
		return 0; /* not a job of a terminal: nothing is asked there */
	return seccomp_rule_add(
		ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(setpgid), 1,
		SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, (uint32_t)sup));
}

/*
 * A process that is not dumpable is out of reach of a supervisor without
 * CAP_SYS_PTRACE: its memory cannot be read, so none of its calls could
 * be judged or logged.  Such a supervisor refuses to let it become so
 * (ssh-agent and gpg-agent go on without).  Root's supervisor reads it.
 */
static int add_dumpable_guard(scmp_filter_ctx ctx)
{
	if (geteuid() == 0)
		return 0;
	return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(prctl), 2,
				SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu,
					PR_SET_DUMPABLE),
				SCMP_A1(SCMP_CMP_EQ, 0));
}

static scmp_filter_ctx build(const struct tracer_filter_want *w)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);

	if (!ctx)
		return NULL;
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
			     SCMP_ACT_KILL_PROCESS) < 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) < 0 ||
	    /* a binary tree: every call of the program runs this filter */
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0 ||
	    add_notify(ctx, w->reads_in_kernel) < 0 || add_refused(ctx) < 0 ||
	    add_masked(ctx) < 0 || add_families(ctx) < 0 ||
	    add_sockopts(ctx) < 0 || add_refused_new(ctx) < 0 ||
	    add_namespaces(ctx) < 0 || add_pgrp_guard(ctx, w->pgrp_guard) < 0 ||
	    add_dumpable_guard(ctx) < 0 || (w->ident && add_ident(ctx) < 0) ||
	    (w->ca_stats && add_ca_stats(ctx) < 0)) {
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

/*
 * libseccomp 2.5 cannot ask for WAIT_KILLABLE_RECV, so the program is
 * exported and loaded with seccomp(2) directly.
 */
static int export(scmp_filter_ctx ctx, struct sock_fprog *prog)
{
	int fd = memfd_create("proctor-bpf", MFD_CLOEXEC);
	off_t len;
	void *buf;

	if (fd < 0)
		return -errno;
	if (seccomp_export_bpf(ctx, fd) < 0 ||
	    (len = lseek(fd, 0, SEEK_END)) <= 0) {
		close(fd);
		return -EINVAL;
	}
	buf = malloc(len);
	if (!buf || pread(fd, buf, len, 0) != len) {
		free(buf);
		close(fd);
		return -EIO;
	}
	close(fd);
	prog->len = len / sizeof(struct sock_filter);
	prog->filter = buf;
	return 0;
}

int tracer_filter_compile(const struct tracer_filter_want *w,
			  struct tracer_filter *f)
{
	scmp_filter_ctx ctx = build(w);
	int err;

	f->prog.filter = NULL;
	f->prog.len = 0;
	f->want = *w;
	if (!ctx)
		return -EINVAL;
	err = export(ctx, &f->prog);
	seccomp_release(ctx);
	return err;
}

void tracer_filter_free(struct tracer_filter *f)
{
	free(f->prog.filter);
	f->prog.filter = NULL;
	f->prog.len = 0;
}

int tracer_filter_load(struct tracer_filter *f, bool *killable)
{
	unsigned long flags = SECCOMP_FILTER_FLAG_NEW_LISTENER |
			      SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
	int fd;

	fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &f->prog);
	*killable = fd >= 0;
	if (fd < 0 && errno == EINVAL) {
		/* before 5.19: a signal can cancel a call we carried out */
		flags &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
		fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags,
			     &f->prog);
	}
	return fd < 0 ? -errno : fd;
}

/*
 * The classic BPF machine as seccomp runs it, over one struct
 * seccomp_data: the tracer asks it what the filter answered a call that
 * a signal interrupted (interrupt.c).  An instruction the kernel would
 * not have loaded ends the run with 0, SECCOMP_RET_KILL_THREAD.
 */
struct bpf_vm {
	uint32_t a, x;
	uint32_t mem[BPF_MEMWORDS];
	const struct seccomp_data *d;
};

static bool bpf_load(struct bpf_vm *m, const struct sock_filter *in)
{
	uint32_t v, k = in->k;

	switch (BPF_MODE(in->code)) {
	case BPF_ABS:
		if (BPF_SIZE(in->code) != BPF_W || k % 4 ||
		    k + 4 > sizeof(*m->d))
			return false;
		memcpy(&v, (const char *)m->d + k, 4);
		break;
	case BPF_IMM:
		v = k;
		break;
	case BPF_MEM:
		if (k >= BPF_MEMWORDS)
			return false;
		v = m->mem[k];
		break;
	case BPF_LEN:
		v = sizeof(*m->d);
		break;
	default:
		return false;
	}
	*(BPF_CLASS(in->code) == BPF_LD ? &m->a : &m->x) = v;
	return true;
}

static bool bpf_alu(struct bpf_vm *m, const struct sock_filter *in)
{
	uint32_t s = BPF_SRC(in->code) == BPF_X ? m->x : in->k;

	switch (BPF_OP(in->code)) {
	case BPF_ADD:
		m->a += s;
		break;
	case BPF_SUB:
		m->a -= s;
		break;
	case BPF_MUL:
		m->a *= s;
		break;
	case BPF_DIV:
		if (!s)
			return false;
		m->a /= s;
		break;
	case BPF_MOD:
		if (!s)
			return false;
		m->a %= s;
		break;
	case BPF_OR:
		m->a |= s;
		break;
	case BPF_AND:
		m->a &= s;
		break;
	case BPF_XOR:
		m->a ^= s;
		break;
	case BPF_LSH:
		m->a = s < 32 ? m->a << s : 0;
		break;
	case BPF_RSH:
		m->a = s < 32 ? m->a >> s : 0;
		break;
	case BPF_NEG:
		m->a = -m->a;
		break;
	default:
		return false;
	}
	return true;
}

/* How far past the next instruction a jump goes; -1: not a jump. */
static long bpf_jump(const struct bpf_vm *m, const struct sock_filter *in)
{
	uint32_t s = BPF_SRC(in->code) == BPF_X ? m->x : in->k;
	bool yes;

	switch (BPF_OP(in->code)) {
	case BPF_JA:
		return in->k;
	case BPF_JEQ:
		yes = m->a == s;
		break;
	case BPF_JGT:
		yes = m->a > s;
		break;
	case BPF_JGE:
		yes = m->a >= s;
		break;
	case BPF_JSET:
		yes = (m->a & s) != 0;
		break;
	default:
		return -1;
	}
	return yes ? in->jt : in->jf;
}

/* One instruction that neither jumps nor returns; false: invalid. */
static bool bpf_step(struct bpf_vm *m, const struct sock_filter *in)
{
	switch (BPF_CLASS(in->code)) {
	case BPF_LD:
	case BPF_LDX:
		return bpf_load(m, in);
	case BPF_ST:
	case BPF_STX:
		if (in->k >= BPF_MEMWORDS)
			return false;
		m->mem[in->k] = BPF_CLASS(in->code) == BPF_ST ? m->a : m->x;
		return true;
	case BPF_ALU:
		return bpf_alu(m, in);
	case BPF_MISC:
		if (BPF_MISCOP(in->code) == BPF_TAX)
			m->x = m->a;
		else
			m->a = m->x;
		return true;
	default:
		return false;
	}
}

uint32_t tracer_filter_run(const struct sock_fprog *prog,
			   const struct seccomp_data *d)
{
	struct bpf_vm m = { .d = d };
	size_t pc = 0;

	while (pc < prog->len) {
		const struct sock_filter *in = &prog->filter[pc++];
		long skip;

		if (BPF_CLASS(in->code) == BPF_RET)
			return BPF_RVAL(in->code) == BPF_A ? m.a : in->k;
		if (BPF_CLASS(in->code) != BPF_JMP) {
			if (!bpf_step(&m, in))
				return 0;
			continue;
		}
		skip = bpf_jump(&m, in);
		if (skip < 0)
			return 0;
		pc += (size_t)skip;
	}
	return 0; /* fell off the end: the kernel would not load it */
}
