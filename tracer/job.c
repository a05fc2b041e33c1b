/* SPDX-License-Identifier: MIT */
/*
 * The terminal, as a shell would handle it.  When proctor runs in the
 * foreground of a terminal, CMD gets a process group of its own and the
 * terminal with it, so Ctrl-C and Ctrl-Z reach CMD and not the supervisor.
 * When CMD stops, proctor takes the terminal back and stops too, so the
 * user's shell sees the job stop; `fg` continues proctor, which hands the
 * terminal back to CMD and continues it.  A question (prompt.c) takes the
 * terminal for a while, the same way.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <termios.h>
#include <unistd.h>

#include "tracer/tracer.h"

static int tty = -1;
static pid_t child_pgrp;

bool tracer_job_foreground(void)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	bool fg;

	if (fd < 0)
		return false;
	fg = tcgetpgrp(fd) == getpgrp();
	close(fd);
	return fg;
}

int tracer_job_tty(void)
{
	return tty;
}

/* tcsetpgrp from a background group raises SIGTTOU unless it is blocked. */
void tracer_job_give_terminal(pid_t pgrp)
{
	sigset_t ttou, old;

	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	pthread_sigmask(SIG_BLOCK, &ttou, &old);
	tcsetpgrp(tty, pgrp);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Called in the parent once the child has its own group. */
void tracer_job_setup(pid_t child)
{
	tty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (tty < 0)
		return;
	child_pgrp = child;
	/* Both sides set the group: whichever runs first wins the race. */
	setpgid(child, child);
	tracer_job_give_terminal(child_pgrp);
}

void tracer_job_child_stopped(pid_t child)
{
	if (tty < 0)
		return;
	tracer_job_give_terminal(getpgrp());
	kill(getpid(), SIGSTOP);

	/* Continued: by `fg` when we have the terminal again, else `bg`. */
	if (tcgetpgrp(tty) == getpgrp())
		tracer_job_give_terminal(child_pgrp);
	kill(-child_pgrp, SIGCONT);
}

void tracer_job_restore(void)
{
	if (tty < 0)
		return;
	tracer_job_give_terminal(getpgrp());
	close(tty);
	tty = -1;
}
