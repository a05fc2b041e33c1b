/* blob: a minimal HTTP/1.1 server of zeros, for the relay benchmark.
 *
 *   blob ADDR PORT
 *
 * Answers every request "GET /N" with N zero bytes (keep-alive), one
 * connection at a time, until killed.  The benchmark harness starts it
 * in its network lab, outside the supervisor. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char zeros[1 << 20];

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One request head read into buf; the size asked for, or -1 at EOF. */
static long long request(int fd, char *buf, size_t size)
{
	size_t len = 0;
	char *end;
	ssize_t n;

	while (!(end = memmem(buf, len, "\r\n\r\n", 4))) {
		if (len == size)
			return -1;
		n = recv(fd, buf + len, size - len, 0);
		if (n <= 0)
			return -1;
		len += (size_t)n;
	}
	return strncmp(buf, "GET /", 5) ? 0 : atoll(buf + 5);
}

static void serve(int c)
{
	char buf[8192], head[128];
	long long n;
	size_t chunk;

	while ((n = request(c, buf, sizeof(buf))) >= 0) {
		snprintf(head, sizeof(head),
			 "HTTP/1.1 200 OK\r\nContent-Length: %lld\r\n\r\n", n);
		if (send_all(c, head, strlen(head)) < 0)
			return;
		for (; n > 0; n -= (long long)chunk) {
			chunk = n < (long long)sizeof(zeros) ? (size_t)n
							      : sizeof(zeros);
			if (send_all(c, zeros, chunk) < 0)
				return;
		}
	}
}

int main(int argc, char **argv)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), c;
	struct sockaddr_in addr = { .sin_family = AF_INET };

	if (argc != 3 || inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) {
		fprintf(stderr, "usage: blob IPV4 PORT\n");
		return 2;
	}
	addr.sin_port = htons((unsigned short)atoi(argv[2]));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int));
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(fd, 128) < 0) {
		fprintf(stderr, "blob: %s\n", strerror(errno));
		return 1;
	}
	for (;;) {
		c = accept(fd, NULL, NULL);
		if (c < 0)
			continue;
		serve(c);
		close(c);
	}
}
