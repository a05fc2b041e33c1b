/* listener: accept and close TCP connections, forever.
 *
 *   listener [ADDR PORT]
 *
 * Binds an ephemeral port on the loopback address (or ADDR:PORT, inside
 * the benchmark's own network namespace), prints the port on stdout, then
 * accepts and closes every connection until killed.  The benchmark
 * harness starts it outside the supervisor and stops it. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_port = 0,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t len = sizeof(addr);

	if (argc == 3 &&
	    (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1 ||
	     !(addr.sin_port = htons((unsigned short)atoi(argv[2]))))) {
		fprintf(stderr, "usage: listener [IPV4 PORT]\n");
		return 2;
	}
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(fd, 4096) < 0 ||
	    getsockname(fd, (struct sockaddr *)&addr, &len) < 0) {
		fprintf(stderr, "listener: %s\n", strerror(errno));
		return 1;
	}
	printf("%u\n", ntohs(addr.sin_port));
	fflush(stdout);

	for (;;) {
		int conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (conn >= 0)
			close(conn);
		else if (errno != EINTR && errno != ECONNABORTED)
			return 1;
	}
}
