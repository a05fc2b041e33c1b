/* SPDX-License-Identifier: MIT */
/* tools: the proctor command's subcommands beyond `run` and `policy`. */
#ifndef PROCTOR_TOOLS_H
#define PROCTOR_TOOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* `proctor log ...`; returns the exit status. */
int proctor_log_main(int argc, char **argv);

/* $XDG_<env>_HOME/proctor or ~/<fallback>/proctor. */
void tools_xdg_dir(char *out, size_t size, const char *env,
		   const char *fallback);

#endif
