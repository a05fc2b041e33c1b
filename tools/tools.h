/* SPDX-License-Identifier: MIT */
/* tools: the proctor command's subcommands beyond `run` and `policy`. */
#ifndef PROCTOR_TOOLS_H
#define PROCTOR_TOOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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

/* A whole small file as a string (malloc'd), or NULL with errno. */
char *tools_read_file(const char *path);

/* mkdir -p; 0 or -errno. */
int tools_mkdirs(const char *path, mode_t mode);

/*
 * Calls fn with every line of file, without its newline; cut tells that
 * the last line had none.  Returns 0, or 2 when the file cannot be read
 * (said on stderr).
 */
int tools_each_line(const char *file,
		    void (*fn)(char *line, size_t len, bool cut, void *arg),
		    void *arg);

/* `proctor learn ...` and `proctor policy diff ...`; exit statuses. */
int proctor_learn_main(int argc, char **argv);
struct rules_policy;
struct rules_vars;
/* The user's policy.json and the workspaces' approved .proctor.json, as a
 * run layers them (tools/proctor.c). */
int tools_user_layers(struct rules_policy *p, const struct rules_vars *v);
int proctor_policy_diff(int argc, char **argv);

#endif
