/* SPDX-License-Identifier: MIT */
/*
 * Capabilities that would undo the supervision, dropped from the child
 * before it execs CMD (for root, or a program with file capabilities):
 * from the bounding set, so no later exec brings them back, and from the
 * effective, permitted, inheritable and ambient sets.
 */
#include <errno.h>
#include <sys/ptrace.h>
#include <stdio.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tracer/tracer.h"

static const int dropped[] = {
	CAP_SYS_PTRACE,	     /* attach to the supervisor or outsiders */
	CAP_SYS_ADMIN,	     /* mount, namespaces, seccomp tricks */
	CAP_SYS_MODULE,	     /* load a kernel module */
	CAP_SYS_RAWIO,	     /* raw block and port I/O */
	CAP_MKNOD,	     /* make a device node for a raw disk */
	CAP_SYS_CHROOT,	     /* change the root under the supervisor */
	CAP_DAC_READ_SEARCH, /* open_by_handle_at(2) */
	CAP_NET_ADMIN,	     /* routes, firewall, interfaces */
	CAP_NET_RAW,	     /* raw and packet sockets */
	CAP_SYS_BOOT,	     /* reboot */
	CAP_SYS_PACCT,	     /* acct(2) appends to any file it is given */
	CAP_SYS_TIME,	     /* the clock */
	CAP_IPC_OWNER,	     /* every user's SysV shared memory, queues */
	CAP_LINUX_IMMUTABLE, /* undo immutable and append-only files */
	CAP_MAC_ADMIN,	     /* an LSM's policy */
	CAP_MAC_OVERRIDE,    /* an LSM's checks */
	CAP_AUDIT_CONTROL,   /* the audit rules */
	CAP_SYSLOG,	     /* the kernel's log, its addresses */
	CAP_BPF,	     /* BPF programs */
	CAP_PERFMON,	     /* perf events of other processes */
	CAP_SYS_TTY_CONFIG,  /* vhangup(2): hang up the user's terminal */
	CAP_SYS_RESOURCE,    /* raise a hard limit: the core size's 0 */
	CAP_SYS_NICE,	     /* real-time priority: the host's every CPU */
};

#define N_DROPPED (sizeof(dropped) / sizeof(*dropped))

uint64_t tracer_caps_dropped(void)
{
	uint64_t mask = 0;
	size_t i;

	for (i = 0; i < N_DROPPED; i++)
		mask |= 1ull << dropped[i];
	return mask;
}

int tracer_caps_drop(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	size_t i;

	if (syscall(SYS_capget, &hdr, data) < 0)
		return -errno;
	for (i = 0; i < N_DROPPED; i++) {
		int c = dropped[i];

		/* EINVAL: the kernel does not know this one. */
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL &&
		    errno != EPERM)
			return -errno;
		data[c / 32].effective &= ~(1u << (c % 32));
		data[c / 32].permitted &= ~(1u << (c % 32));
		data[c / 32].inheritable &= ~(1u << (c % 32));
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	return 0;
}

/*
 * A new user namespace would give the program back the capabilities
 * proctor took (and setns would move it into another process's
 * namespaces): refused with EPERM, as the filter did, but said and
 * logged, for a program that makes a sandbox of its own (bwrap,
 * unshare -r, Chromium's) tells of it only as its own failure.
 */
/* A call proctor refuses with EPERM, said and logged as class cls. */
static void refuse_said(struct tracer_req *r, const struct rules_verdict *v,
			const char *cls, const char *what)
{
	r->verdict = *v;
	tracer_req_decide(r, RULES_EXEC, "target", what, false);
	r->ev.cls_name = cls;
	r->err = EPERM;
}

void tracer_on_namespace(struct tracer_req *r)
{
	static const struct rules_verdict refused = {
		.action = RULES_DENY,
		.origin = "proctor",
		.where = "namespaces",
		.pattern = "a sandbox of the program's own (bwrap, unshare, "
			   "Chromium's) needs the capabilities proctor took; "
			   "run it with its sandbox off (Chromium: "
			   "--no-sandbox), proctor's is on",
	};
	char what[64];

	snprintf(what, sizeof(what), "%s%s", r->name,
		 strcmp(r->name, "setns") ? "(CLONE_NEWUSER)" : "");
	refuse_said(r, &refused, "namespace", what);
}

/*
 * ptrace is proctor's: a tracee may trace nothing (the supervisor, the
 * processes around it, its own children, which proctor traces already).
 * Refused with EPERM, as a second tracer is; said, since a debugger or
 * strace otherwise fails with no word from proctor (class 17).
 */
void tracer_on_ptrace(struct tracer_req *r)
{
	static const struct rules_verdict refused = {
		.action = RULES_DENY,
		.origin = "proctor",
		.where = "ptrace",
		.pattern = "proctor traces the run itself: a debugger or "
			   "strace cannot run under proctor; run it outside",
	};
	/* one line for a debugger's every attempt: the pid is in args */
	const char *what = r->args[0] == PTRACE_TRACEME ? "PTRACE_TRACEME"
							: "a process";

	refuse_said(r, &refused, "ptrace", what);
}
