/* SPDX-License-Identifier: MIT */
/*
 * tests/lib/path-race.c A B WORD: execs A 300 times, with argv[0] the
 * very string passed as the path (execv(p, {p, WORD})), while a thread
 * rewrites that string between A and B (the same length): proctor reads
 * the path and takes argv[0] from that copy (mem.c), and the kernel may
 * load B, or A with argv[0] B.  The test checks that B never runs.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char p[256];
static const char *a, *b;
static volatile int started;

static void *flip(void *x)
{
	size_t n = strlen(a);

	started = 1;
	for (;;) {
		memcpy(p, b, n);
		__asm__ volatile("" ::: "memory");
		for (volatile int i = 0; i < 2000; i++)
			;
		memcpy(p, a, n);
		__asm__ volatile("" ::: "memory");
		for (volatile int i = 0; i < 2000; i++)
			;
	}
	return x;
}

int main(int argc, char **argv)
{
	if (argc != 4 || strlen(argv[1]) != strlen(argv[2]) ||
	    strlen(argv[1]) >= sizeof(p)) {
		fprintf(stderr, "usage: %s A B WORD (A, B of one length)\n",
			argv[0]);
		return 2;
	}
	a = argv[1];
	b = argv[2];
	for (int i = 0; i < 300; i++) {
		pid_t c = fork();
		int st;

		if (c == 0) {
			char *av[] = { p, argv[3], NULL };
			pthread_t t;

			strcpy(p, a);
			pthread_create(&t, NULL, flip, NULL);
			while (!started)
				;
			for (volatile int j = 0; j < (i % 50) * 80; j++)
				;
			execv(p, av);
			_exit(99);
		}
		if (c > 0)
			waitpid(c, &st, 0);
	}
	return 0;
}
