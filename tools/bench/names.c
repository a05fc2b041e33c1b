/* names: name resolution and connects by name, for the network lab.
 *
 *   names resolve N NAME        N x getaddrinfo(NAME), A and AAAA
 *   names connect N NAME PORT   one getaddrinfo, then N x connect to its
 *                               first IPv4 address
 *
 * Only run inside the benchmark's own network namespace, against its own
 * name server and listener.  Exits non-zero on the first failure. */
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct addrinfo *lookup(const char *name, const char *port, int family)
{
	struct addrinfo hints = { .ai_family = family,
				  .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(name, port, &hints, &res);

	if (rc) {
		fprintf(stderr, "names: %s: %s\n", name, gai_strerror(rc));
		exit(1);
	}
	return res;
}

static int connects(long count, struct addrinfo *ai)
{
	for (long i = 0; i < count; i++) {
		int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct linger reset = { .l_onoff = 1, .l_linger = 0 };

		if (fd < 0)
			return 1;
		/* a reset, no TIME_WAIT: repeated runs keep their ports */
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			perror("names: connect");
			return 1;
		}
		close(fd);
	}
	return 0;
}

int main(int argc, char **argv)
{
	long count = argc > 2 ? strtol(argv[2], NULL, 10) : 0;

	if (argc == 4 && !strcmp(argv[1], "resolve")) {
		for (long i = 0; i < count; i++)
			freeaddrinfo(lookup(argv[3], "80", AF_UNSPEC));
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "connect"))
		return connects(count, lookup(argv[3], argv[4], AF_INET));
	fprintf(stderr, "usage: names resolve N NAME | connect N NAME PORT\n");
	return 2;
}
