/*
 * tests/lib/argv-race.c PROG A B [short]: execs PROG 300 times with argv
 * PROG A and 600 more words, while a thread flips argv[1] between A and B
 * (and, with a fourth argument, ends argv right after it): what the exec
 * was judged on and what the kernel loads differ when the race is won.
 * The tests that use it check that no command's grant reaches B.
 */
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
#include <pthread.h>
static char *volatile *av;
static char *a, *b, *prog;
static int shorten;
static volatile int stop;
static void *flip(void *x)
{
	while (!stop) {
		if (shorten)
			av[2] = NULL;
		av[1] = b;
		for (volatile int i = 0; i < 3000; i++);
		av[1] = a;
		av[2] = "/dev/null";
		for (volatile int i = 0; i < 3000; i++);
	}
	return x;
}
int main(int c, char **v)
{
	pthread_t t;
	prog = v[1], a = v[2], b = v[3], shorten = c > 4;
	av = calloc(603, sizeof(*av));
	av[0] = prog;
	av[1] = a;
	for (int i = 0; i < 600; i++)
		av[2 + i] = "/dev/null";
	pthread_create(&t, 0, flip, 0);
	for (int i = 0; i < 300; i++) {
		pid_t p = vfork();
		if (!p) {
			execv(prog, (char **)av);
			_exit(99);
		}
		waitpid(p, 0, 0);
	}
	stop = 1;
	return 0;
}
