/* listener: accept and close TCP connections on 127.0.0.1, forever.
 *
 * Binds an ephemeral port on the loopback address only, prints the port on
 * stdout, then accepts and closes every connection until killed.  The
 * benchmark harness starts it outside the supervisor and stops it. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_port = 0,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t len = sizeof(addr);
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
