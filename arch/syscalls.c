/* SPDX-License-Identifier: MIT */
/* Syscall names and numbers for the native ABI, from libseccomp's tables. */
#include <pthread.h>
#include <seccomp.h>
#include <stdlib.h>

#include "arch/arch.h"

#define ARCH_MAX_NR 1024

static char *names[ARCH_MAX_NR];
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

/* libseccomp hands out malloc'd names; resolve them once, keep them. */
static void names_load(void)
{
	uint32_t a = arch_native()->scmp_arch;
	int nr;

	for (nr = 0; nr < ARCH_MAX_NR; nr++)
		names[nr] = seccomp_syscall_resolve_num_arch(a, nr);
}

int arch_syscall_nr(const char *name)
{
	int nr = seccomp_syscall_resolve_name_arch(arch_native()->scmp_arch,
						   name);

	return nr < 0 ? -1 : nr;
}

const char *arch_syscall_name(int nr)
{
	pthread_once(&names_once, names_load);
	if (nr < 0 || nr >= ARCH_MAX_NR || !names[nr])
		return "?";
	return names[nr];
}
