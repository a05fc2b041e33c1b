/* SPDX-License-Identifier: MIT */
/* x86_64: the only ABI decoded.  x32 and i386 share its entry point. */
#if defined(__x86_64__)

#include <elf.h>
#include <libunwind-x86_64.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <seccomp.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>

#include "arch/arch.h"

static const uint32_t x86_64_foreign[] = {
	SCMP_ARCH_X32,
	SCMP_ARCH_X86,
};

/* fchmodat2, setxattrat .. removexattrat, open_tree_attr, file_*attr */
static const int x86_64_refused_new[] = {
	452, 463, 464, 465, 466, 467, 468, 469
};

static const struct arch_desc x86_64_desc = {
	.name = "x86_64",
	.audit_arch = AUDIT_ARCH_X86_64,
	.scmp_arch = SCMP_ARCH_X86_64,
	.foreign_scmp = x86_64_foreign,
	.n_foreign = 2,
	.refused_new = x86_64_refused_new,
	.n_refused_new = 8,
	.last_known = 469,
	.unw_sp = UNW_X86_64_RSP,
	.unw_pc = UNW_X86_64_RIP,
	.unw_fp = UNW_X86_64_RBP,
};

const struct arch_desc *arch_native(void)
{
	return &x86_64_desc;
}

/* An i386 image's registers come out shorter. */
bool arch_exec_stack(int pid, uint64_t *sp)
{
	struct user_regs_struct regs;
	struct iovec iov = { &regs, sizeof(regs) };

	if (ptrace(PTRACE_GETREGSET, pid, (void *)NT_PRSTATUS, &iov) < 0 ||
	    iov.iov_len != sizeof(regs))
		return false;
	*sp = regs.rsp;
	return true;
}

/* The user code segment of 64-bit mode: a 32-bit task's is 0x23. */
#define X86_64_USER_CS 0x33

bool arch_stopped_call(int pid, struct seccomp_data *d, int64_t *ret)
{
	struct user_regs_struct regs;
	struct iovec iov = { &regs, sizeof(regs) };

	if (ptrace(PTRACE_GETREGSET, pid, (void *)NT_PRSTATUS, &iov) < 0 ||
	    iov.iov_len != sizeof(regs) || regs.cs != X86_64_USER_CS ||
	    (int64_t)regs.orig_rax < 0)
		return false;
	d->nr = (int)regs.orig_rax;
	d->arch = AUDIT_ARCH_X86_64;
	d->instruction_pointer = regs.rip;
	d->args[0] = regs.rdi;
	d->args[1] = regs.rsi;
	d->args[2] = regs.rdx;
	d->args[3] = regs.r10;
	d->args[4] = regs.r8;
	d->args[5] = regs.r9;
	*ret = (int64_t)regs.rax;
	return true;
}

bool arch_set_return(int pid, int64_t ret)
{
	return ptrace(PTRACE_POKEUSER, pid,
		      (void *)offsetof(struct user_regs_struct, rax),
		      (void *)ret) == 0;
}

/*
 * An indirect call, ff /2, whose ModRM byte is at m and that ends at end
 * (a REX prefix before ff changes no length).
 */
static bool indirect_call(const uint8_t *m, const uint8_t *end)
{
	unsigned mod = m[0] >> 6, rm = m[0] & 7;
	size_t len = 1; /* ModRM */

	if ((m[0] & 0x38) != 0x10 || m >= end)
		return false;
	if (mod != 3 && rm == 4) {
		if (m + 1 >= end)
			return false;
		len++; /* SIB */
		if (mod == 0 && (m[1] & 7) == 5)
			len += 4; /* no base: disp32 */
	}
	if (mod == 1)
		len += 1;
	else if (mod == 2 || (mod == 0 && rm == 5))
		len += 4;
	return m + len == end;
}

/* call rel32 (e8), or call through a register or memory (ff /2). */
bool arch_follows_call(const uint8_t before[8])
{
	const uint8_t *end = before + 8;
	int i;

	if (before[3] == 0xe8)
		return true;
	for (i = 0; i < 7; i++)
		if (before[i] == 0xff && indirect_call(before + i + 1, end))
			return true;
	return false;
}

#endif
