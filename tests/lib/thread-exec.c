/* SPDX-License-Identifier: MIT */
/*
 * tests/lib/thread-exec.c thread|leader PROG ARG: execs PROG ARG from a
 * thread that is not the process's leader (thread), or from the leader
 * while another thread lives (leader).  Either way the kernel gives the
 * task that called exec the process's id; proctor must match the exec
 * to the call it judged (ptrace.c, exec_former()).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;
static char *args[3];

static void *do_exec(void *unused)
{
	(void)unused;
	execve(args[0], args, environ);
	perror("thread-exec: execve");
	exit(127);
}

static void *wait_forever(void *unused)
{
	(void)unused;
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	bool leader;

	if (argc != 4) {
		fprintf(stderr, "usage: %s thread|leader PROG ARG\n", argv[0]);
		return 2;
	}
	leader = !strcmp(argv[1], "leader");
	args[0] = argv[2];
	args[1] = argv[3];
	if (pthread_create(&t, NULL, leader ? wait_forever : do_exec, NULL))
		return 1;
	if (leader) {
		usleep(10000); /* the other thread runs by now */
		do_exec(NULL);
	}
	for (;;)
		pause();
}
