/* SPDX-License-Identifier: MIT */
/* x86_64: the only ABI decoded.  x32 and i386 share its entry point. */
#if defined(__x86_64__)

#include <linux/audit.h>
#include <seccomp.h>

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
};

const struct arch_desc *arch_native(void)
{
	return &x86_64_desc;
}

#endif
