/* SPDX-License-Identifier: MIT */
/*
 * Between the questions (prompt.c) and the terminal that shows them
 * (terminal.c); nothing else includes this.
 */
#ifndef PROCTOR_PROMPT_INT_H
#define PROCTOR_PROMPT_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "tracer/tracer.h"

/* The first question waiting and how many wait; with wait, blocks
 * until there is one. */
bool tracer_prompt_next(struct tracer_ask_facts *f, int *count, bool wait);
/* True once question id is settled: its answer and who gave it. */
bool tracer_prompt_ended(uint64_t id, const char **answer, const char **by);
/* The timeout of a question starts when the terminal shows it. */
void tracer_prompt_start_deadline(uint64_t id);
/* The terminal hung up: its questions go elsewhere. */
void tracer_prompt_terminal_lost(void);
/* "allow once" for "allow-once". */
const char *tracer_prompt_label(const char *answer);
/* Readable when a question was settled or asked: wakes the terminal. */
int tracer_prompt_wake_fd(void);
int tracer_prompt_timeout(void);

/* terminal.c: the thread that owns the terminal. */
void *tracer_prompt_terminal(void *arg);

#endif
