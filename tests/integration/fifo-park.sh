#!/bin/bash
# A FIFO open that waits for its other end holds no thread of proctor's
# (tracer/fifo.c): it is parked with one waiter, as a question to the
# user is, while the pool's workers (at most 64) stay free for the calls
# that wait otherwise.  One program: 100 threads each open a FIFO of
# their own that has no partner (half the write end, half the read end);
# meanwhile 20 FIFO pairs that do meet, and a blocking loopback connect
# to a listener whose accept queue is full (the pool's), complete within
# a few seconds (before the waiter, the lonely opens took every worker
# and these waited forever); then each lonely FIFO gets its partner and
# every open completes, blocking as asked, on its own FIFO; then a
# signal to a thread, or to a process of one thread, waiting on a FIFO
# open is handled, and the open fails with EINTR or is restarted, as
# natively.  Each lonely open is logged once, with its descriptor.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
pt_need "a C compiler" cc || { pt_done; exit 0; }

N=100
cat >"$T/fifos.c" <<'C'
/*
 * fifos N: N threads each open a FIFO of their own that has no partner
 * (half the write end, half the read end); meanwhile calls that need
 * the pool (FIFO pairs that do meet, a blocking loopback connect to a
 * full accept queue) are timed; then every lonely FIFO gets its partner
 * and each open completes; then a signal to a thread waiting on a FIFO
 * open interrupts it.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAIRS 20

struct lonely {
	pthread_t t;
	char name[32];
	int reading, fd, err;
};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void *lonely_open(void *arg)
{
	struct lonely *l = arg;

	l->fd = open(l->name, l->reading ? O_RDONLY : O_WRONLY);
	l->err = l->fd < 0 ? errno : 0;
	return NULL;
}

static void *pair_reader(void *arg)
{
	char name[32];
	int fd;

	snprintf(name, sizeof(name), "pair.%ld", (long)arg);
	fd = open(name, O_RDONLY);
	return (void *)(long)fd;
}

/* PAIRS FIFO pairs that meet, both ends opened blocking: seconds. */
static double pairs(void)
{
	pthread_t t[PAIRS];
	char name[32];
	double a = now();
	long i;
	int fd;

	for (i = 0; i < PAIRS; i++) {
		snprintf(name, sizeof(name), "pair.%ld", i);
		mkfifo(name, 0600);
		pthread_create(&t[i], NULL, pair_reader, (void *)i);
	}
	for (i = 0; i < PAIRS; i++) {
		void *rfd;

		snprintf(name, sizeof(name), "pair.%ld", i);
		fd = open(name, O_WRONLY);
		if (fd < 0 || write(fd, "x", 1) != 1)
			return -1;
		close(fd);
		pthread_join(t[i], &rfd);
		if ((long)rfd < 0)
			return -1;
		close((int)(long)rfd);
	}
	return now() - a;
}

static void *accept_later(void *arg)
{
	int lis = *(int *)arg;

	usleep(300000);
	close(accept(lis, NULL, NULL));
	close(accept(lis, NULL, NULL));
	return NULL;
}

/* A blocking connect to a listener whose queue is full: seconds. */
static double full_queue_connect(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int lis = socket(AF_INET, SOCK_STREAM, 0), first, second, rc;
	pthread_t t;
	double a;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lis, (struct sockaddr *)&sa, len) || listen(lis, 0) ||
	    getsockname(lis, (struct sockaddr *)&sa, &len))
		return -1;
	first = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(first, (struct sockaddr *)&sa, len))
		return -1; /* the queue is full from here on */
	pthread_create(&t, NULL, accept_later, &lis);
	a = now();
	second = socket(AF_INET, SOCK_STREAM, 0);
	rc = connect(second, (struct sockaddr *)&sa, len);
	a = now() - a;
	pthread_join(t, NULL);
	close(first);
	close(second);
	close(lis);
	return rc ? -1 : a;
}

/* Gives each lonely FIFO its partner; returns how many opens completed. */
static int partners(struct lonely *l, int n)
{
	int i, *fd = calloc(n, sizeof(int)), done = 0;
	char c;

	for (i = 0; i < n; i++) {
		/* a read end was opened by the supervisor: a writer may come */
		fd[i] = open(l[i].name, (l[i].reading ? O_WRONLY : O_RDONLY) |
						O_NONBLOCK);
		if (fd[i] < 0)
			printf("partner %s: %s\n", l[i].name, strerror(errno));
		else if (l[i].reading && write(fd[i], "r", 1) != 1)
			printf("partner %s: no write\n", l[i].name);
	}
	for (i = 0; i < n; i++) {
		pthread_join(l[i].t, NULL);
		if (l[i].fd < 0) {
			printf("lonely %s: %s\n", l[i].name,
			       strerror(l[i].err));
		} else if (fcntl(l[i].fd, F_GETFL) & O_NONBLOCK) {
			printf("lonely %s: O_NONBLOCK\n", l[i].name);
		} else if (l[i].reading && (read(l[i].fd, &c, 1) != 1 ||
					    c != 'r')) {
			printf("lonely %s: not its FIFO\n", l[i].name);
		} else if (!l[i].reading && (write(l[i].fd, "w", 1) != 1 ||
					     read(fd[i], &c, 1) != 1 ||
					     c != 'w')) {
			printf("lonely %s: not its FIFO\n", l[i].name);
		} else {
			done++;
		}
		close(fd[i]);
		close(l[i].fd);
	}
	free(fd);
	return done;
}

static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
	handled++;
}

/* A signal to a thread waiting to open a FIFO: what its open returns. */
static void interrupted(int restart, int reading)
{
	struct sigaction sa = { .sa_handler = on_usr1,
				.sa_flags = restart ? SA_RESTART : 0 };
	struct lonely l = { .reading = reading, .fd = -1 };
	int fd;

	snprintf(l.name, sizeof(l.name), "sig.%d%d", restart, reading);
	mkfifo(l.name, 0600);
	sigaction(SIGUSR1, &sa, NULL);
	handled = 0;
	pthread_create(&l.t, NULL, lonely_open, &l);
	usleep(300000);
	pthread_kill(l.t, SIGUSR1);
	/* restarted, the open still waits: its partner ends it */
	usleep(700000);
	fd = open(l.name, (reading ? O_WRONLY : O_RDONLY) | O_NONBLOCK);
	if (reading && fd >= 0 && write(fd, "s", 1) != 1)
		printf("no write\n");
	pthread_join(l.t, NULL);
	printf("signal %s %s: handled %d, %s\n",
	       restart ? "SA_RESTART" : "plain", reading ? "read" : "write",
	       (int)handled, l.fd >= 0 ? "restarted" : strerror(l.err));
	close(fd);
	close(l.fd);
}

/*
 * The same for a process of one thread, its signal sent to the process
 * (kill): a handler with or without SA_RESTART, or SIGSTOP then SIGCONT
 * (natively the open goes on waiting).
 */
static void interrupted_process(const char *how, int reading)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	char name[32];
	int fd, st;
	pid_t pid;

	snprintf(name, sizeof(name), "proc.%s%d", how, reading);
	mkfifo(name, 0600);
	pid = fork();
	if (pid == 0) {
		if (!strcmp(how, "restart"))
			sa.sa_flags = SA_RESTART;
		sigaction(SIGUSR1, &sa, NULL);
		handled = 0;
		fd = open(name, reading ? O_RDONLY : O_WRONLY);
		printf("process %s %s: handled %d, %s\n", how,
		       reading ? "read" : "write", (int)handled,
		       fd >= 0 ? "restarted" : strerror(errno));
		_exit(0);
	}
	usleep(300000);
	if (!strcmp(how, "stop")) {
		kill(pid, SIGSTOP);
		usleep(300000);
		kill(pid, SIGCONT);
	} else {
		kill(pid, SIGUSR1);
	}
	usleep(700000);
	fd = open(name, (reading ? O_WRONLY : O_RDONLY) | O_NONBLOCK);
	if (reading && fd >= 0 && write(fd, "p", 1) != 1)
		printf("no write\n");
	waitpid(pid, &st, 0);
	close(fd);
}

int main(int argc, char **argv)
{
	int n = atoi(argv[1]), i;
	struct lonely *l = calloc(n, sizeof(*l));
	double took;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < n; i++) {
		snprintf(l[i].name, sizeof(l[i].name), "lonely.%d", i);
		l[i].reading = i % 2;
		mkfifo(l[i].name, 0600);
		pthread_create(&l[i].t, NULL, lonely_open, &l[i]);
	}
	usleep(500000);
	took = pairs();
	printf("pairs %s %.2f\n", took < 0 ? "failed" : "met", took);
	took = full_queue_connect();
	printf("connect %s %.2f\n", took < 0 ? "failed" : "made", took);
	took = now();
	i = partners(l, n);
	printf("completed %d of %d in %.2f\n", i, n, now() - took);
	for (i = 0; i < 2; i++) {
		interrupted(0, i);
		interrupted(1, i);
		interrupted_process("plain", i);
		interrupted_process("restart", i);
		interrupted_process("stop", i);
	}
	return 0;
}
C
cc -O2 -pthread -o "$T/fifos" "$T/fifos.c" ||
	{ pt_fail "compile fifos.c"; pt_done; exit 0; }

# --log-reads: reads stay with proctor (else Landlock may take them)
PT_TIMEOUT=60 pt_run --log-reads -- "$T/fifos" "$N"
pt_status "lonely FIFO opens, then their partners: exits 0" 0
# pt_faster NAME WHAT MOST: the seconds on the line "WHAT met|made S"
pt_faster() {
	_s=$(sed -n "s/^$2 [a-z]* //p" "$PT_OUT")
	if [ -n "$_s" ] && awk "BEGIN { exit !($_s < $3) }"; then
		pt_ok "$1 (${_s}s)"
	else
		pt_fail "$1" "'$(grep "^$2" "$PT_OUT")', want under $3 s"
	fi
}
pt_grep "FIFO pairs meet while $N opens wait" "$PT_OUT" '^pairs met '
pt_faster "FIFO pairs meet within seconds" pairs 3
# the SYN is retried after 1 s: a worker of the pool waits that long
pt_grep "a blocking connect to a full queue completes meanwhile" \
	"$PT_OUT" '^connect made '
pt_faster "the connect completes within seconds" connect 4
pt_grep "every lonely open completes on its partner's arrival" "$PT_OUT" \
	"^completed $N of $N in "
pt_nogrep "each gets its own FIFO, blocking" "$PT_OUT" '^(lonely|partner) '
# as natively: EINTR after a handler, restarted after one with SA_RESTART
# or a stop and SIGCONT
for end in write read; do
	pt_grep "a thread's signal ends a waiting $end-end open: EINTR" \
		"$PT_OUT" "^signal plain $end: handled 1, Interrupted system call$"
	pt_grep "with SA_RESTART the $end-end open is restarted" "$PT_OUT" \
		"^signal SA_RESTART $end: handled 1, restarted$"
	pt_grep "a process's signal ends a waiting $end-end open: EINTR" \
		"$PT_OUT" "^process plain $end: handled 1, Interrupted system call$"
	pt_grep "with SA_RESTART the $end-end open is restarted" "$PT_OUT" \
		"^process restart $end: handled 1, restarted$"
	pt_grep "a $end-end open goes on after SIGSTOP and SIGCONT" "$PT_OUT" \
		"^process stop $end: handled 0, restarted$"
done

logged=$("$PT_PY" - "$PT_LOG" "$WS" <<'PY'
import json, sys
seen, bad = {}, 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    p = r.get("path", "")
    if r.get("type") != "decision" or r.get("syscall") not in ("open", "openat") \
       or not p.startswith(sys.argv[2] + "/lonely."):
        continue
    # the program's open: blocking, so no O_NONBLOCK (its partner's has)
    if int(r["args"][1 if r["syscall"] == "open" else 2], 16) & 0o4000:
        continue
    seen[p] = seen.get(p, 0) + 1
    bad += r.get("decision") != "allow" or r.get("result", -1) < 0
print(len(seen), max(seen.values()) if seen else 0, bad)
PY
)
pt_is "each lonely open is logged once, allowed, with its descriptor" \
	"$logged" "$N 1 0"

pt_done
