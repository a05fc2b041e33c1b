/* splice: a bare TCP relay, the floor of the relay benchmark.
 *
 *   splice ADDR PORT UPADDR UPPORT
 *
 * Listens on ADDR:PORT; for each connection (one at a time) connects to
 * UPADDR:UPPORT and moves bytes both ways with splice(2) through a pipe
 * of 1 MiB per direction, as proctor's relay does, and nothing else: no
 * judging, no epoll set, no other connections.  What a download through
 * it costs over a direct one is what any relay in user space pays on
 * this machine: a second TCP connection (over loopback) and the wake-ups
 * to move the bytes.  The benchmark harness starts it in its network
 * lab, outside the supervisor. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* splice */
#endif
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define PIPE_SIZE (1 << 20)

/* One direction: a socket to read, the other to write, a pipe between. */
struct way {
	int from, to;
	int pipe[2];
	size_t in_pipe;
	bool eof;
};

static bool way_done(const struct way *w)
{
	return w->eof && !w->in_pipe;
}

/* Out of the pipe while the other side takes bytes, then into it. */
static void way_move(struct way *w)
{
	unsigned int fl = SPLICE_F_NONBLOCK | SPLICE_F_MOVE;
	ssize_t n;

	if (w->in_pipe) {
		n = splice(w->pipe[0], NULL, w->to, NULL, w->in_pipe, fl);
		if (n > 0)
			w->in_pipe -= (size_t)n;
	}
	if (w->eof)
		return;
	n = splice(w->from, NULL, w->pipe[1], NULL, PIPE_SIZE, fl);
	if (n > 0)
		w->in_pipe += (size_t)n;
	else if (n == 0)
		w->eof = true;
}

static int addr_of(const char *host, const char *port, struct sockaddr_in *a)
{
	a->sin_family = AF_INET;
	a->sin_port = htons((unsigned short)atoi(port));
	return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

static void relay(int down, int up)
{
	struct way w[2] = { { .from = down, .to = up },
			    { .from = up, .to = down } };
	bool shut[2] = { false, false };

	for (int i = 0; i < 2; i++) {
		if (pipe2(w[i].pipe, O_NONBLOCK | O_CLOEXEC) < 0)
			return;
		fcntl(w[i].pipe[0], F_SETPIPE_SZ, PIPE_SIZE);
	}
	fcntl(down, F_SETFL, O_NONBLOCK);
	fcntl(up, F_SETFL, O_NONBLOCK);

	while (!way_done(&w[0]) || !way_done(&w[1])) {
		struct pollfd pf[2] = { { .fd = down }, { .fd = up } };

		for (int i = 0; i < 2; i++) {
			if (!w[i].eof)
				pf[i].events |= POLLIN;
			if (w[!i].in_pipe)
				pf[i].events |= POLLOUT;
		}
		if (poll(pf, 2, 5000) <= 0)
			break;
		for (int i = 0; i < 2; i++) {
			way_move(&w[i]);
			if (way_done(&w[i]) && !shut[i]) {
				shutdown(w[i].to, SHUT_WR);
				shut[i] = true;
			}
		}
	}
	for (int i = 0; i < 2; i++) {
		close(w[i].pipe[0]);
		close(w[i].pipe[1]);
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in at, to;
	int one = 1, l;

	if (argc != 5 || addr_of(argv[1], argv[2], &at) < 0 ||
	    addr_of(argv[3], argv[4], &to) < 0) {
		fprintf(stderr, "usage: splice ADDR PORT UPADDR UPPORT\n");
		return 2;
	}
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l < 0 || bind(l, (struct sockaddr *)&at, sizeof(at)) < 0 ||
	    listen(l, 64) < 0) {
		perror("splice: listen");
		return 1;
	}
	for (;;) {
		int down = accept4(l, NULL, NULL, SOCK_CLOEXEC);
		int up = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (down >= 0 && up >= 0 &&
		    connect(up, (struct sockaddr *)&to, sizeof(to)) == 0)
			relay(down, up);
		if (down >= 0)
			close(down);
		if (up >= 0)
			close(up);
	}
}
