/* SPDX-License-Identifier: MIT */
/*
 * arch: per-ABI facts.  One file per architecture fills struct arch_desc;
 * nothing else in the project knows a syscall number or a register name.
 * libseccomp supplies the numbers, so a new architecture is one more file
 * with its audit token and register accessors.
 */
#ifndef PROCTOR_ARCH_H
#define PROCTOR_ARCH_H

#include <stdbool.h>
#include <stdint.h>

struct arch_desc {
	const char *name;    /* "x86_64" */
	uint32_t audit_arch; /* AUDIT_ARCH_* in seccomp_data.arch */
	uint32_t scmp_arch;  /* SCMP_ARCH_* token for libseccomp */
	/*
	 * ABIs that share this kernel entry and must be refused by the
	 * filter's first instructions (x32, i386 on x86_64).
	 */
	const uint32_t *foreign_scmp;
	int n_foreign;
	/*
	 * Calls newer than libseccomp's tables that change files or
	 * processes in ways proctor does not judge (fchmodat2, the *xattrat
	 * family, file_setattr): refused with ENOSYS so libc falls back to
	 * the older calls, which are judged.  Numbers above last_known are
	 * refused too: proctor does not let through what it cannot know.
	 */
	const int *refused_new;
	int n_refused_new;
	int last_known;
	/*
	 * libunwind's numbers for the two registers that
	 * /proc/PID/task/TID/syscall shows of a thread waiting in a call:
	 * its stack pointer and program counter (tracer/stack.c).
	 */
	int unw_sp;
	int unw_pc;
	/*
	 * The frame pointer, which frame-pointer code computes its frame
	 * from; not readable then, so tracer/stack.c looks for it on the
	 * stack (arch_follows_call).
	 */
	int unw_fp;
};

/* The ABI proctor was built for. */
const struct arch_desc *arch_native(void);

/*
 * Syscall number for name on the native ABI, or -1 when this ABI lacks
 * it (open and creat do not exist on aarch64).
 */
int arch_syscall_nr(const char *name);

/*
 * True when the 8 bytes of code before an address end with a call
 * instruction: the address can be a return address.
 */
bool arch_follows_call(const uint8_t before[8]);

/*
 * The stack pointer of a task stopped at its exec event: where the new
 * image's argc, argv and envp begin.  False when the task's registers
 * are not this ABI's (a 32-bit image).  The caller is its tracer.
 */
bool arch_exec_stack(int pid, uint64_t *sp);

/*
 * A task in a signal-delivery-stop, as its call left it: the call's
 * number and arguments as a seccomp filter saw them (d), and the value
 * it returns (*ret).  False when the task made no call of this ABI.
 * The caller is its tracer.
 */
struct seccomp_data;
bool arch_stopped_call(int pid, struct seccomp_data *d, int64_t *ret);

/* Changes what that call returns. */
bool arch_set_return(int pid, int64_t ret);

/* Name of syscall nr on the native ABI; "?" when unknown. */
const char *arch_syscall_name(int nr);

#endif
