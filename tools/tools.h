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

/* The user's saved answers: $XDG_CONFIG_HOME/proctor/answers.jsonl. */
void tools_answers_path(char *out, size_t size);

/* `proctor policy answers ...` and `proctor approve ...` (answers.c,
 * approve.c); return the exit status. */
int proctor_answers_main(int argc, char **argv);
int proctor_approve_main(int argc, char **argv);

#endif
