/* SPDX-License-Identifier: MIT */
/*
 * The task's credentials for the calls proctor makes on its behalf.
 *
 * An open, a mkdir or a connect carried out here is checked by the
 * kernel against the credentials of the thread that makes it: the
 * supervisor's.  For a run by a user that is the run's own user, and
 * nothing is done.  For a run by root, a process of the run may have
 * become another user (setpriv, su without setuid, a daemon dropping
 * privileges) or dropped capabilities; its calls must be checked as
 * that user's, or the supervisor lends it root's file permissions, and
 * a unix-socket server would see root as its peer (SO_PEERCRED holds
 * the connecting thread's effective ids).
 *
 * So around each such call the serving thread takes the task's
 * effective and filesystem ids, supplementary groups and effective
 * capabilities, and gives them back after: credentials are per thread
 * in the kernel, and the raw calls below change only the calling
 * thread's (glibc's setgroups and setresuid would change every
 * thread's).  The real and saved uid stay 0: that lets the thread become
 * root again without any capability, and leaves the supervisor's threads
 * out of reach of the signals of that user's other processes.  What a
 * unix socket's receiver is told of its sender, from the real ids
 * (SCM_CREDENTIALS under SO_PASSCRED), send.c passes explicitly.
 *
 * At rest a serving thread holds the capabilities a process of the run
 * starts with (caps.c's list is not theirs either), plus CAP_SYS_PTRACE,
 * which reading the tracees' memory and /proc needs: so the common case,
 * a task still root with the run's capabilities, costs nothing but the
 * lookup.  Within a task's credentials CAP_SYS_PTRACE is not held (it
 * would open other processes' /proc entries to the task), but lent for
 * a read of the task's memory (mem.c); so are CAP_SETUID and CAP_SETGID
 * for a send that says the task's real ids (send.c).  A switch there
 * and back is about seven changes of the thread's credentials, each a
 * copy (4.6 us for the seven here), paid only by tasks whose
 * credentials differ.
 *
 * A task's credentials change only by its own calls (set*id, setgroups,
 * capset: the filter sends them to ident.c) and by its exec: what was
 * read from /proc/TID/status is kept until one of those.
 */
#include <errno.h>
#include <stdatomic.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tracer/tracer.h"

#define CAP_BIT(c) (1ull << (c))

static bool switching;
static struct tracer_cred rest;
static uint64_t permitted;
/* what a serving thread keeps that the tracee does not */
static const uint64_t worker_own = CAP_BIT(CAP_SYS_PTRACE);
/* whether this thread holds a task's credentials now */
static __thread bool as_task;
static __thread pid_t me;
/* this thread's credentials, once tracer_cred_thread_rest() ran */
static __thread struct tracer_cred now;

static int caps_get(uint64_t *eff, uint64_t *perm)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	*eff = d[0].effective | (uint64_t)d[1].effective << 32;
	*perm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	return 0;
}

/* This thread's effective set; the permitted set is never changed. */
static int caps_set(uint64_t eff)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = { 0 };

	eff &= permitted;
	d[0].effective = (uint32_t)eff;
	d[1].effective = (uint32_t)(eff >> 32);
	d[0].permitted = (uint32_t)permitted;
	d[1].permitted = (uint32_t)(permitted >> 32);
	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

int tracer_cred_init(uint64_t dropped)
{
	uid_t r, e, s;
	gid_t rg, eg, sg;
	uint64_t eff = 0;
	int n;

	if (getresuid(&r, &e, &s) < 0 || r || e || s ||
	    getresgid(&rg, &eg, &sg) < 0 || caps_get(&eff, &permitted) < 0 ||
	    !(permitted & CAP_BIT(CAP_SETUID)) ||
	    !(permitted & CAP_BIT(CAP_SETGID)))
		return 0; /* a user's run: the tracee's credentials are ours */
	n = getgroups(TRACER_GROUPS_MAX, rest.groups);
	if (n < 0)
		return -errno; /* EINVAL: more groups than a task may keep */
	rest.ngroups = n;
	rest.ruid = rest.euid = rest.fsuid = 0;
	rest.rgid = rg;
	rest.egid = rest.fsgid = eg;
	rest.caps = eff & ~(dropped & ~worker_own);
	switching = true;
	return 0;
}

/* "Uid:\tR\tE\tS\tF": the real, effective and filesystem ids. */
static bool ids(const char *status, const char *key, unsigned *r, unsigned *e,
		unsigned *f)
{
	const char *at = strstr(status, key);
	unsigned s;

	return at && sscanf(at + strlen(key), "%u %u %u %u", r, e, &s, f) == 4;
}

static bool groups(const char *status, struct tracer_cred *c)
{
	const char *at = strstr(status, "\nGroups:");
	char *end;

	if (!at)
		return false;
	at += 8;
	c->ngroups = 0;
	for (;;) {
		unsigned long g;

		while (*at == ' ' || *at == '\t')
			at++;
		if (*at == '\n' || *at == '\0')
			return *at == '\n';
		g = strtoul(at, &end, 10);
		if (end == at)
			return false;
		if (c->ngroups == TRACER_GROUPS_MAX) {
			c->ngroups = -1;
			return true;
		}
		c->groups[c->ngroups++] = (gid_t)g;
		at = end;
	}
}

int tracer_cred_parse(const char *status, struct tracer_cred *c)
{
	const char *cap = strstr(status, "\nCapEff:");

	if (!ids(status, "\nUid:", &c->ruid, &c->euid, &c->fsuid) ||
	    !ids(status, "\nGid:", &c->rgid, &c->egid, &c->fsgid) ||
	    !groups(status, c))
		return -EIO;
	/* too many groups: the rest may lie past what was read */
	if (c->ngroups < 0)
		return c->caps = 0, 0;
	if (!cap)
		return -EIO;
	c->caps = strtoull(cap + 8, NULL, 16);
	return 0;
}

static bool same_groups(const struct tracer_cred *a,
			const struct tracer_cred *b)
{
	return a->ngroups == b->ngroups &&
	       !memcmp(a->groups, b->groups,
		       sizeof(gid_t) *
			       (size_t)(a->ngroups > 0 ? a->ngroups : 0));
}

bool tracer_cred_is_rest(const struct tracer_cred *c)
{
	return !switching ||
	       (c->ruid == rest.ruid && c->euid == rest.euid &&
		c->fsuid == rest.fsuid && c->rgid == rest.rgid &&
		c->egid == rest.egid && c->fsgid == rest.fsgid &&
		(c->caps | worker_own) == (rest.caps | worker_own) &&
		same_groups(c, &rest));
}

/* This thread's ids and groups as the kernel has them now. */
static int read_own(struct tracer_cred *c)
{
	uid_t s;
	gid_t sg;
	int n = (int)syscall(SYS_getgroups, TRACER_GROUPS_MAX, c->groups);

	if (n < 0 || syscall(SYS_getresuid, &c->ruid, &c->euid, &s) < 0 ||
	    syscall(SYS_getresgid, &c->rgid, &c->egid, &sg) < 0)
		return -errno;
	c->ngroups = n;
	c->fsuid = (uid_t)syscall(SYS_setfsuid, -1);
	c->fsgid = (gid_t)syscall(SYS_setfsgid, -1);
	return 0;
}

/* CAP_SETUID and CAP_SETGID in this thread's effective set, raised. */
static int may_set_ids(void)
{
	const uint64_t both = CAP_BIT(CAP_SETUID) | CAP_BIT(CAP_SETGID);
	uint64_t eff, perm;

	if (caps_get(&eff, &perm) < 0)
		return -errno;
	return (eff & both) == both ? 0 : caps_set(permitted);
}

/*
 * This thread from its credentials now (cur) to c's, in as few changes
 * as may be (each copies the thread's credentials: about 0.6 us), and
 * only what differs: setgroups fails in a user namespace that denies it,
 * where the groups never differ.  Root again first (real uid 0 allows
 * it, and the kernel refills the effective set); then groups and gids,
 * which need CAP_SETGID; then another euid, which needs CAP_SETUID and
 * empties the effective set; an fsuid apart from the euid; and last the
 * effective set, where the kernel did not leave it as c has it.
 */
static int move(struct tracer_cred *cur, const struct tracer_cred *c)
{
	bool groups = !same_groups(cur, c);
	bool gids = cur->egid != c->egid || cur->fsgid != c->fsgid;
	uint64_t eff, perm;

	if (cur->euid != c->euid && c->euid == 0 &&
	    syscall(SYS_setresuid, -1, 0, -1) < 0)
		return -errno;
	if ((groups || gids) && may_set_ids() < 0)
		return -errno;
	if (groups && syscall(SYS_setgroups, c->ngroups, c->groups) < 0)
		return -errno;
	if (gids && syscall(SYS_setresgid, -1, c->egid, -1) < 0)
		return -errno;
	if (gids && c->fsgid != c->egid)
		syscall(SYS_setfsgid, c->fsgid);
	if (cur->euid != c->euid && c->euid != 0 &&
	    (may_set_ids() < 0 || syscall(SYS_setresuid, -1, c->euid, -1) < 0))
		return -errno;
	if ((uid_t)syscall(SYS_setfsuid, -1) != c->fsuid) {
		if (may_set_ids() < 0)
			return -errno;
		syscall(SYS_setfsuid, c->fsuid);
	}
	/* setfs[ug]id say nothing of failure: asked again, they tell */
	if ((uid_t)syscall(SYS_setfsuid, -1) != c->fsuid ||
	    (gid_t)syscall(SYS_setfsgid, -1) != c->fsgid)
		return -EPERM;
	if (caps_get(&eff, &perm) < 0)
		return -errno;
	if (eff != (c->caps & permitted) && caps_set(c->caps) < 0)
		return -errno;
	*cur = *c;
	return 0;
}

static void back_to_rest(void)
{
	if (move(&now, &rest) < 0) {
		/*
		 * Cannot be (real uid 0 and the permitted set allow it); a
		 * thread left with a task's credentials would serve others
		 * with them.
		 */
		perror("proctor: cannot take back its credentials");
		abort();
	}
	as_task = false;
}

void tracer_cred_thread_rest(void)
{
	if (!switching)
		return;
	/* whatever it inherited: its creator may have been serving */
	if (read_own(&now) < 0) {
		perror("proctor: cannot read its credentials");
		abort();
	}
	now.caps = ~rest.caps; /* unknown: set them */
	back_to_rest();
}

/* Said once a task: its calls fail, and nothing else would say why. */
static void groups_refused(pid_t tid)
{
	static _Atomic pid_t last;

	if (atomic_exchange(&last, tid) != tid)
		fprintf(stderr,
			"proctor: pid %d has more than %d supplementary "
			"groups: the calls proctor makes for it are refused "
			"(EPERM)\n",
			tid, TRACER_GROUPS_MAX);
}

int tracer_as_task(pid_t tid)
{
	struct tracer_cred c;
	int err;

	if (!switching)
		return 0;
	if (!me)
		me = gettid();
	if (tid == me)
		return 0; /* a walk of our own (a descriptor's /proc link) */
	err = tracer_ident_cred(tid, &c);
	if (err < 0)
		return err;
	if (err > 0)
		return 0; /* as at rest */
	if (c.ngroups < 0) {
		groups_refused(tid);
		return -EPERM; /* more groups than kept: none is guessed */
	}
	as_task = true;
	err = move(&now, &c);
	if (err < 0)
		back_to_rest();
	return err;
}

void tracer_as_self(void)
{
	if (as_task)
		back_to_rest();
}

uint64_t tracer_cred_lend(uint64_t caps)
{
	uint64_t eff = 0, perm;

	/* at rest too: a send that names the task's pid (send.c) */
	if (!switching || caps_get(&eff, &perm) < 0)
		return 0;
	caps &= permitted & ~eff;
	return caps && caps_set(eff | caps) == 0 ? caps : 0;
}

void tracer_cred_lend_end(uint64_t lent)
{
	uint64_t eff = 0, perm;

	if (lent && caps_get(&eff, &perm) == 0)
		caps_set(eff & ~lent);
}

bool tracer_cred_may(int cap)
{
	return permitted & 1ull << cap;
}

bool tracer_cred_real(pid_t tid, uid_t *uid, gid_t *gid)
{
	struct tracer_cred c;

	if (!switching || tracer_ident_cred(tid, &c) != 0)
		return false;
	*uid = c.ruid;
	*gid = c.rgid;
	return true;
}
