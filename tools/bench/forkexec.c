/* forkexec: N x (fork + execve PROGRAM + waitpid).
 *
 *   forkexec N PROGRAM
 *
 * Exits non-zero as soon as a child cannot be started or does not exit 0. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s COUNT PROGRAM\n", argv[0]);
		return 2;
	}
	long count = strtol(argv[1], NULL, 10);
	char *child_argv[] = { argv[2], NULL };

	for (long i = 0; i < count; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			fprintf(stderr, "forkexec: fork #%ld: %s\n", i,
				strerror(errno));
			return 1;
		}
		if (pid == 0) {
			execve(argv[2], child_argv, environ);
			fprintf(stderr, "forkexec: execve %s: %s\n", argv[2],
				strerror(errno));
			_exit(127);
		}
		int status;
		if (waitpid(pid, &status, 0) < 0) {
			fprintf(stderr, "forkexec: waitpid: %s\n",
				strerror(errno));
			return 1;
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr,
				"forkexec: child #%ld ended with status 0x%x\n",
				i, status);
			return 1;
		}
	}
	return 0;
}
