/*
 * tests/lib/bind-race.c N [sticky]: binds a unix socket at "d/pre-commit"
 * N times while a thread swaps the symlink d between "sub" and
 * ".git/hooks" (both made by the caller; .git/hooks protected): the bind
 * is judged on one and could be made in the other.  Each socket it binds
 * is unlinked again through sub.  With "sticky", the thread stops as
 * soon as a socket is in .git/hooks, d pointing at sub: a search through
 * d finds nothing.  The caller checks that .git/hooks holds no socket.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static volatile int stop;
static int sticky;

static void *swap(void *arg)
{
	struct stat st;

	while (!stop) {
		symlink(".git/hooks", "d.b");
		rename("d.b", "d");
		symlink("sub", "d.a");
		rename("d.a", "d");
		if (sticky && lstat(".git/hooks/pre-commit", &st) == 0)
			break;
	}
	return arg;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int n = argc > 1 ? atoi(argv[1]) : 200, i, bound = 0;
	pthread_t t;

	sticky = argc > 2 && !strcmp(argv[2], "sticky");
	strcpy(sun.sun_path, "d/pre-commit");
	symlink("sub", "d");
	pthread_create(&t, NULL, swap, NULL);
	for (i = 0; i < n; i++) {
		int s = socket(AF_UNIX, SOCK_STREAM, 0);

		if (bind(s, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			bound++;
			unlink("sub/pre-commit");
		}
		close(s);
	}
	stop = 1;
	pthread_join(t, NULL);
	printf("bound %d of %d\n", bound, n);
	return 0;
}
