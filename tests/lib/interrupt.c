/*
 * tests/lib/interrupt.c: signals that come while a call waits for
 * proctor's answer (tracer/interrupt.c).
 *
 *   interrupt opens N      N write opens of ./f under a 1 ms timer whose
 *                          handler has no SA_RESTART; prints "eintr K"
 *                          (natively 0: nothing interrupts such an open)
 *   interrupt storm N US R N write opens of ./f under a timer every US
 *                          microseconds, faster than a call restarts under
 *                          ptrace, with SA_RESTART when R is "restart";
 *                          prints "eintr K masked M ticks T", M the opens
 *                          after which SIGALRM was left blocked (natively
 *                          0, 0, and T > 0), then "opens some" (5 s at
 *                          most)
 *   interrupt storm2 N US  the same with SA_RESTART, while a child sends
 *                          SIGTSTP, whose handler makes a call, every
 *                          200 us; then with the timer off, alarm(1):
 *                          prints "masked M alarm yes" (natively 0, yes)
 *   interrupt fifo PATH    a read-only open of a FIFO nobody writes, with
 *                          alarm(1) and no SA_RESTART; prints its errno's
 *                          name (natively EINTR)
 *   interrupt exec FIFO    writes its pid to ./pid, reads a byte from FIFO,
 *                          and execs sleep 5 with a SIGTERM handler that
 *                          writes ./handled: a SIGTERM that comes during
 *                          the exec ends sleep, as natively
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/*
 * The timer: a one-shot every `period` microseconds, armed again by its
 * handler up to TICKS_MAX times, so that a storm faster than ptrace's
 * stops (which leave a busy host no headway) still ends.
 */
#define TICKS_MAX 20000

static volatile sig_atomic_t ticks;
static long period;

static void arm(void)
{
	struct itimerval it = { { 0, 0 }, { 0, period } };

	setitimer(ITIMER_REAL, &it, NULL);
}

static void on_timer(int sig)
{
	(void)sig;
	if (++ticks < TICKS_MAX)
		arm();
}

static void on_term(int sig)
{
	int fd = open("handled", O_WRONLY | O_CREAT | O_APPEND, 0644);

	(void)sig;
	if (fd >= 0) {
		write(fd, "old image\n", 10);
		close(fd);
	}
}

static void handle(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigaction(sig, &sa, NULL);
}

/*
 * n write opens under a timer every us microseconds, for 5 s at most (a
 * timer that fast under ptrace leaves a busy host little headway);
 * counts those that failed EINTR and those after which SIGALRM was left
 * blocked.  The opens made, or -1 on another failure.
 */
static int open_many(int n, long us, int flags, int *eintr, int *masked)
{
	struct timespec start, now_ts;
	sigset_t now;
	int i;

	handle(SIGALRM, on_timer, flags);
	clock_gettime(CLOCK_MONOTONIC, &start);
	period = us;
	arm();
	for (i = 0; i < n; i++) {
		clock_gettime(CLOCK_MONOTONIC, &now_ts);
		if (now_ts.tv_sec - start.tv_sec >= 5)
			break;
		int fd = open("f", O_WRONLY | O_CREAT, 0644);

		if (fd >= 0)
			close(fd);
		else if (errno == EINTR)
			(*eintr)++;
		else
			return perror("open"), -1;
		sigprocmask(SIG_BLOCK, NULL, &now);
		*masked += sigismember(&now, SIGALRM);
	}
	return i;
}

static int opens(int n)
{
	int eintr = 0, masked = 0;

	if (open_many(n, 1000, 0, &eintr, &masked) < 0)
		return 1;
	printf("eintr %d\n", eintr);
	return 0;
}

static int storm(int n, long us, bool restart)
{
	int eintr = 0, masked = 0, done;

	done = open_many(n, us, restart ? SA_RESTART : 0, &eintr, &masked);
	if (done < 0)
		return 1;
	printf("eintr %d masked %d ticks %s\n", eintr, masked,
	       ticks ? "T" : "0");
	printf("opens %s\n", done > 0 ? "some" : "none");
	return 0;
}

static volatile sig_atomic_t tstps, alarmed;

static void on_tstp(int sig)
{
	(void)sig;
	tstps++;
	getppid(); /* a call of the handler's own */
}

static void on_alarm(int sig)
{
	(void)sig;
	alarmed = 1;
}

static int storm2(int n, long us)
{
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	int eintr = 0, masked = 0, rc;
	pid_t parent = getpid(), kid;

	handle(SIGTSTP, on_tstp, SA_RESTART);
	kid = fork();
	if (kid == 0) {
		for (;;) {
			usleep(200);
			if (kill(parent, SIGTSTP) < 0)
				_exit(0);
		}
	}
	rc = open_many(n, us, SA_RESTART, &eintr, &masked);
	kill(kid, SIGKILL);
	ticks = TICKS_MAX; /* armed no more */
	setitimer(ITIMER_REAL, &off, NULL);
	handle(SIGALRM, on_alarm, 0);
	alarm(1);
	sleep(2);
	printf("masked %d alarm %s\n", masked, alarmed ? "yes" : "no");
	return rc < 0;
}

static int fifo(const char *path)
{
	handle(SIGALRM, on_timer, 0);
	alarm(1);
	if (open(path, O_RDONLY) >= 0)
		return puts("opened"), 1;
	puts(errno == EINTR ? "EINTR" : strerror(errno));
	return 0;
}

static int exec_sleep(const char *path)
{
	int fd = open(path, O_RDONLY);
	FILE *f = fopen("pid", "w");
	char c;

	if (fd < 0 || !f)
		return perror(path), 1;
	fprintf(f, "%d\n", getpid());
	fclose(f);
	handle(SIGTERM, on_term, SA_RESTART);
	if (read(fd, &c, 1) != 1)
		return 1;
	execl("/bin/sleep", "sleep", "5", (char *)NULL);
	return perror("exec"), 1;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "opens"))
		return opens(atoi(argv[2]));
	if (argc == 5 && !strcmp(argv[1], "storm"))
		return storm(atoi(argv[2]), atol(argv[3]),
			     !strcmp(argv[4], "restart"));
	if (argc == 4 && !strcmp(argv[1], "storm2"))
		return storm2(atoi(argv[2]), atol(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "fifo"))
		return fifo(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "exec"))
		return exec_sleep(argv[2]);
	fprintf(stderr,
		"usage: interrupt opens N | storm N US restart|norestart |"
		" fifo PATH | exec FIFO\n");
	return 2;
}
