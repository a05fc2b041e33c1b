/*
 * tests/lib/script-race.c: ways to run a script other than the one an
 * exec was judged on, with the same interpreter (so that the exec checks
 * out).  The tests that use it check that a granted script's grant never
 * reaches the other one.
 *   fs DIR OTHER NAME ARG: from cwd DIR, execs NAME ARG while a process
 *     sharing our cwd (CLONE_FS) moves it to OTHER once the exec is done,
 *     before the interpreter opens NAME again;
 *   flip GOOD OTHER N ARG: N times, execs GOOD ARG while a thread flips
 *     the path between GOOD and OTHER.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char *other, *name;
static pid_t execer;
static char stack[65536];

/* Waits for execer to become NAME (its exec is done), then moves the cwd. */
static int move_cwd(void *unused)
{
	char path[64], comm[32];
	long i;

	snprintf(path, sizeof(path), "/proc/%d/comm", execer);
	for (i = 0; i < 10000000; i++) {
		int fd = open(path, O_RDONLY);
		ssize_t n = fd >= 0 ? read(fd, comm, sizeof(comm) - 1) : -1;

		if (fd >= 0)
			close(fd);
		if (n > 0 && !strncmp(comm, name, strlen(name)))
			break;
	}
	return chdir(other) != 0;
}

static char buf[4096], good[4096], bad[4096];
static volatile int stop;

static void *flip(void *unused)
{
	while (!stop) {
		memcpy(buf, bad, strlen(bad) + 1);
		memcpy(buf, good, strlen(good) + 1);
	}
	return unused;
}

static void flip_once(char *arg)
{
	char *av[] = { "tool", arg, NULL };
	pthread_t t;

	strcpy(buf, good);
	pthread_create(&t, NULL, flip, NULL);
	syscall(SYS_execve, buf, av, environ);
	_exit(127);
}

int main(int argc, char **argv)
{
	int i;

	if (argc == 6 && !strcmp(argv[1], "fs")) {
		other = argv[3];
		name = argv[4];
		execer = getpid();
		if (chdir(argv[2]) || clone(move_cwd, stack + sizeof(stack),
					    CLONE_FS | SIGCHLD, NULL) < 0)
			return 1;
		execl(name, name, argv[5], (char *)NULL);
		return 1;
	}
	if (argc == 6 && !strcmp(argv[1], "flip")) {
		snprintf(good, sizeof(good), "%s", argv[2]);
		snprintf(bad, sizeof(bad), "%s", argv[3]);
		for (i = 0; i < atoi(argv[4]); i++) {
			pid_t c = fork();

			if (c == 0)
				flip_once(argv[5]);
			waitpid(c, NULL, 0);
		}
		return 0;
	}
	return 2;
}
