/* connects: N x (socket + connect + close) to 127.0.0.1:PORT.
 *
 *   connects N PORT
 *
 * Loopback only, by construction.  Each socket is closed with SO_LINGER 0
 * (a reset, no TIME_WAIT) so that repeated runs cannot run out of local
 * ports.  Exits non-zero on the first failure. */
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
	if (argc != 3) {
		fprintf(stderr, "usage: %s COUNT PORT\n", argv[0]);
		return 2;
	}
	long count = strtol(argv[1], NULL, 10);
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_port = htons((unsigned short)atoi(argv[2])),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};

	for (long i = 0; i < count; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			fprintf(stderr, "connects: socket: %s\n",
				strerror(errno));
			return 1;
		}
		struct linger reset = { .l_onoff = 1, .l_linger = 0 };
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
		if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
			fprintf(stderr,
				"connects: connect 127.0.0.1:%s #%ld: %s\n",
				argv[2], i, strerror(errno));
			return 1;
		}
		close(fd);
	}
	return 0;
}
