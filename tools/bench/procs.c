/* SPDX-License-Identifier: MIT */
/*
 * procs N: N live processes at once (issue 9's memory bound): forks N
 * children that wait on a pipe, holds them half a second, then lets them
 * all go and reaps them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000, fds[2], i;
	char c;

	if (pipe(fds) < 0)
		return 1;
	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("procs: fork");
			return 1;
		}
		if (pid == 0) {
			close(fds[1]);
			_exit(read(fds[0], &c, 1) < 0);
		}
	}
	close(fds[0]);
	usleep(500000);
	close(fds[1]); /* every child's read returns 0 */
	while (wait(NULL) > 0)
		;
	return 0;
}
