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
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "tracer/tracer.h"

static int tty = -1;
static pid_t child_pgrp;
/* bits: SIGINT, SIGQUIT whose last one to CMD the terminal sent */
static atomic_int tty_signals;

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

void tracer_job_child_stopped(pid_t child, int sig)
{
	if (tty < 0)
		return;
	tracer_job_give_terminal(getpgrp());
	/*
	 * Stopped by the same signal, so that the shell says the same (and
	 * $? is 148 after a Ctrl-Z, not 147); a terminal's stop signal does
	 * not stop an orphaned group, which then goes on, as natively.
	 */
	kill(getpid(), sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU
			       ? sig
			       : SIGSTOP);

	/* Continued: by `fg` when we have the terminal again, else `bg`. */
	if (tcgetpgrp(tty) == getpgrp())
		tracer_job_give_terminal(child_pgrp);
	kill(-child_pgrp, SIGCONT);
}

/*
 * A terminal in exclusive mode (TIOCEXCL) refuses every later open of
 * it but root's: left so by the run, the user's sudo, ssh, less and next
 * proctor would fail on it (EBUSY) after the run.  So the mode is put
 * back as it was.  (Its line discipline, which could drop all input,
 * cannot be changed: the filter refuses TIOCSETD.)
 */
/* terminals that were not exclusive, to mend: /dev/tty, fds 0 to 2 */
static int excl_fds[4] = { -1, -1, -1, -1 };

static void note_one(int fd, int slot)
{
	int excl = 1;

	if (fd >= 0 && isatty(fd) && ioctl(fd, TIOCGEXCL, &excl) == 0 && !excl)
		excl_fds[slot] = fd;
	else if (fd >= 0)
		close(fd);
}

void tracer_job_tty_note(void)
{
	int i;

	note_one(open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY | O_NONBLOCK),
		 0);
	/* a terminal CMD was given without proctor's having one (setsid) */
	for (i = 0; i < 3; i++)
		note_one(fcntl(i, F_DUPFD_CLOEXEC, 3), i + 1);
}

void tracer_job_tty_mend(void)
{
	int excl, i;

	for (i = 0; i < 4; i++) {
		excl = 0;
		if (excl_fds[i] < 0)
			continue;
		if (ioctl(excl_fds[i], TIOCGEXCL, &excl) == 0 && excl)
			ioctl(excl_fds[i], TIOCNXCL);
		close(excl_fds[i]);
		excl_fds[i] = -1;
	}
}

void tracer_job_restore(void)
{
	if (tty < 0)
		return;
	tracer_job_give_terminal(getpgrp());
	close(tty);
	tty = -1;
}

/*
 * A Ctrl-C or Ctrl-\ reaches the terminal's foreground group, CMD's: in
 * a script that runs proctor, the script's shell does not get it, and
 * a shell goes on after a child killed by SIGINT unless it got the
 * signal too.  So whether CMD's last one came from the terminal is
 * noted (the kernel's si_code), to be passed on to proctor's group as
 * CMD dies of it.
 */
void tracer_job_signal_seen(pid_t pid, int sig, const siginfo_t *si)
{
	if ((sig != SIGINT && sig != SIGQUIT) || pid != child_pgrp)
		return;
	if (si->si_code == SI_KERNEL)
		atomic_fetch_or(&tty_signals, 1 << sig);
	else
		atomic_fetch_and(&tty_signals, ~(1 << sig));
}

bool tracer_job_from_terminal(int sig)
{
	return (sig == SIGINT || sig == SIGQUIT) &&
	       atomic_load(&tty_signals) & (1 << sig);
}
