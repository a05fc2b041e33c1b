/* SPDX-License-Identifier: MIT */
/*
 * tests/escape/attacks.c: the attacks of the escape suite, one
 * subcommand each (THREATS.md classes 1-20).  Every script in
 * tests/escape compiles this file into its $T with `cc -O2 -pthread`
 * and runs a subcommand under proctor.
 *
 * Built with -DFORBIDDEN (the program the tests deny) or -DALLOWED (its
 * allowed twin), it is instead a tiny program: FORBIDDEN appends a line
 * to MARKER and exits 42; ALLOWED exits 0, unless its first argument is
 * "--evil", which it treats like FORBIDDEN (for the argv races).
 *
 * The environment names the places: ESC_WS (the workspace), ESC_CANARY
 * (the canary directory), ESC_T (the test's directory), ESC_EXTRA (an
 * optional second directory that must stay untouched).
 *
 * Output, one line each, read by tests/escape/helpers.bash:
 *	CALL NAME rc=RC errno=E win=0|1	one attempt; win=1 when the
 *					forbidden effect happened
 *	RACE NAME attempts=N wins=W	a race run N times, won W times
 *	GOOD NAME ok=0|1		an allowed thing that must work
 *	INFO ...			anything else worth showing
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>
#include <linux/btrfs.h>
#include <linux/fs.h>
#include <linux/fsverity.h>
#include <linux/netlink.h>

#ifndef MARKER
#define MARKER "/nonexistent/FORBIDDEN-RAN"
#endif

#if defined(FORBIDDEN) || defined(ALLOWED)
/* ---- the denied program and its allowed twin -------------------------- */
static int ran(int argc, char **argv)
{
	int fd = open(MARKER, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	char line[512];
	int n;

	n = snprintf(line, sizeof(line), "ran pid=%d argc=%d argv0=%s\n",
		     getpid(), argc, argc > 0 ? argv[0] : "");
	if (fd >= 0) {
		if (write(fd, line, n) < 0)
			;
		close(fd);
	}
	fprintf(stderr, "FORBIDDEN PROGRAM RAN (%s)\n", MARKER);
	return 42;
}

int main(int argc, char **argv)
{
#ifdef FORBIDDEN
	return ran(argc, argv);
#else
	if (argc > 1 && !strcmp(argv[1], "--evil"))
		return ran(argc, argv);
	return 0;
#endif
}
#else

/* ---- common ------------------------------------------------------------ */

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef SYS_setxattrat
#define SYS_setxattrat 463
#endif
#ifndef SYS_removexattrat
#define SYS_removexattrat 466
#endif
#ifndef SYS_file_setattr
#define SYS_file_setattr 469
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#endif
#ifndef SYS_execveat
#define SYS_execveat 322
#endif
#ifndef CLONE_UNTRACED
#define CLONE_UNTRACED 0x00800000
#endif
#ifndef O_TMPFILE
#define O_TMPFILE (020000000 | O_DIRECTORY)
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_WHITEOUT
#define RENAME_WHITEOUT (1 << 2)
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_RET_USER_NOTIF
#define SECCOMP_RET_USER_NOTIF 0x7fc00000U
#endif
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef AF_ALG
#define AF_ALG 38
#endif
#ifndef MSG_FASTOPEN
#define MSG_FASTOPEN 0x20000000
#endif
#ifndef TIOCLINUX
#define TIOCLINUX 0x541C
#endif
#ifndef FS_IOC_GETVERSION
#define FS_IOC_GETVERSION _IOR('v', 1, long)
#endif

static const char *WS, *CANARY, *T, *EXTRA;
static char PROG_NO[4096], PROG_OK[4096];

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "attacks: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(3);
}

static void setup(void)
{
	WS = getenv("ESC_WS");
	CANARY = getenv("ESC_CANARY");
	T = getenv("ESC_T");
	EXTRA = getenv("ESC_EXTRA");
	if (!WS || !CANARY || !T)
		die("ESC_WS, ESC_CANARY and ESC_T must be set");
	snprintf(PROG_NO, sizeof(PROG_NO), "%s/prog-no", T);
	snprintf(PROG_OK, sizeof(PROG_OK), "%s/prog-ok", T);
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
}

/* A formatted path; the memory is never freed (a short-lived program). */
static char *pathf(const char *fmt, ...)
{
	char *b = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&b, fmt, ap) < 0)
		die("out of memory");
	va_end(ap);
	return b;
}

static const char *ename(int e)
{
	const char *n = e ? strerrorname_np(e) : "0";

	return n ? n : "?";
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Everything about a directory tree that a write could change. */
static void snap_tree(FILE *out, const char *dir, int depth)
{
	struct stat st;
	char *names[512];
	int n = 0, i;
	DIR *d;
	struct dirent *e;

	if (lstat(dir, &st) == 0)
		fprintf(out,
			"%s m%o u%d g%d s%lld M%ld.%09ld C%ld.%09ld n%ld\n",
			dir, st.st_mode, st.st_uid, st.st_gid,
			(long long)st.st_size, st.st_mtim.tv_sec,
			st.st_mtim.tv_nsec, st.st_ctim.tv_sec,
			st.st_ctim.tv_nsec, (long)st.st_nlink);
	else
		fprintf(out, "%s missing\n", dir);
	d = opendir(dir);
	if (!d)
		return;
	while ((e = readdir(d)) && n < 512) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		char p[4096], xl[1024];
		ssize_t xn;

		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		if (lstat(p, &st) < 0) {
			fprintf(out, "%s gone\n", p);
			continue;
		}
		fprintf(out,
			"%s m%o u%d g%d s%lld M%ld.%09ld "
			"C%ld.%09ld n%ld i%lu\n",
			p, st.st_mode, st.st_uid, st.st_gid,
			(long long)st.st_size, st.st_mtim.tv_sec,
			st.st_mtim.tv_nsec, st.st_ctim.tv_sec,
			st.st_ctim.tv_nsec, (long)st.st_nlink,
			(unsigned long)st.st_ino);
		xn = llistxattr(p, xl, sizeof(xl));
		if (xn > 0) {
			fprintf(out, " x:");
			fwrite(xl, 1, xn, out);
			fprintf(out, "\n");
		}
		if (S_ISDIR(st.st_mode) && depth < 2)
			snap_tree(out, p, depth + 1);
		free(names[i]);
	}
}

static char *snap(void)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	snap_tree(f, CANARY, 0);
	if (EXTRA && *EXTRA)
		snap_tree(f, EXTRA, 0);
	fclose(f);
	return s;
}

/* The canary as it was when the subcommand started, or at the last call. */
static char *canary_state;
static int total_attempts, total_wins;

static void snap_reset(void)
{
	free(canary_state);
	canary_state = snap();
}

/* The first line that differs between two snapshots, for the report. */
static char changed_line[1024];

static bool canary_changed(void)
{
	char *now = snap();
	bool changed = strcmp(now, canary_state) != 0;

	changed_line[0] = '\0';
	if (changed) {
		const char *a = canary_state, *b = now;
		size_t skip = strlen(T);

		while (*a && *a == *b)
			a++, b++;
		while (a > canary_state && a[-1] != '\n')
			a--;
		while (b > now && b[-1] != '\n')
			b--;
		if (!strncmp(a, T, skip))
			a += skip;
		if (!strncmp(b, T, skip))
			b += skip;
		snprintf(changed_line, sizeof(changed_line),
			 "canary changed: was '%.*s' now '%.*s'",
			 (int)strcspn(a, "\n"), a, (int)strcspn(b, "\n"), b);
	}
	free(canary_state);
	canary_state = now;
	return changed;
}

/*
 * Reports one attempt.  rc is the call's result (errno taken from err);
 * success_is_win: a call that succeeded is itself the forbidden effect.
 */
static const char *errno_text; /* instead of the errno name, once */

static void call_report(const char *name, long rc, int err, bool success_is_win,
			bool extra_win)
{
	bool changed = canary_changed();
	bool win = (success_is_win && rc >= 0) || changed || extra_win;

	total_attempts++;
	total_wins += win;
	printf("CALL %s rc=%ld errno=%s win=%d\n", name, rc,
	       errno_text ? errno_text
	       : rc < 0	  ? ename(err)
			  : "0",
	       win);
	errno_text = NULL;
	if (changed_line[0])
		printf("INFO %s\n", changed_line);
}

/* Whether a listing of /proc/PID/fd tells what a descriptor is. */
static bool fd_dir_reveals(int dirfd)
{
	DIR *d = fdopendir(dup(dirfd));
	struct dirent *e;
	char l[256];
	bool told = false;

	while (d && !told && (e = readdir(d)) != NULL)
		told = e->d_name[0] != '.' &&
		       readlinkat(dirfd, e->d_name, l, sizeof(l)) >= 0;
	if (d)
		closedir(d);
	return told;
}

/* Whether a /proc/PID directory works as a pidfd (signal 0: no harm). */
static bool signals_through(int fd)
{
	return syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0) == 0;
}

#define TRY(name, expr)                                     \
	do {                                                \
		long rc_;                                   \
		errno = 0;                                  \
		rc_ = (long)(expr);                         \
		call_report(name, rc_, errno, true, false); \
	} while (0)

/*
 * A file system's own ioctls through read-only descriptors of what lies
 * outside: on btrfs a subvolume made in, or removed from, a directory
 * there (or a snapshot of a home into the workspace); an encryption
 * policy on a directory there (nobody can make files in it after); verity
 * on a file there (its content fixed for good), its attributes or its
 * inode's generation.  Each fails whatever
 * the file system, but on one that has them only proctor refuses them.
 */
static void fs_ioctls(const char *cfile)
{
	struct btrfs_ioctl_vol_args va = { .fd = -1 };
	struct fsverity_enable_arg fv = { .version = 1,
					  .hash_algorithm = 1,
					  .block_size = 4096 };
	struct fscrypt_policy_v1 fp = { .version = 0 };
	struct fsxattr fsx = { .fsx_xflags = FS_XFLAG_NODUMP };
	long gen = 7;
	int d = open(CANARY, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int f = open(cfile, O_RDONLY | O_CLOEXEC);

	snprintf(va.name, sizeof(va.name), "sub6");
	TRY("ioctl-btrfs-subvol-create-rdonly-dir",
	    ioctl(d, BTRFS_IOC_SUBVOL_CREATE, &va));
	snprintf(va.name, sizeof(va.name), "existing-dir");
	TRY("ioctl-btrfs-snap-destroy-rdonly-dir",
	    ioctl(d, BTRFS_IOC_SNAP_DESTROY, &va));
	TRY("ioctl-set-encryption-policy-rdonly-dir",
	    ioctl(d, FS_IOC_SET_ENCRYPTION_POLICY, &fp));
	TRY("ioctl-enable-verity-rdonly-fd",
	    ioctl(f, FS_IOC_ENABLE_VERITY, &fv));
	TRY("ioctl-fssetxattr-rdonly-fd", ioctl(f, FS_IOC_FSSETXATTR, &fsx));
	TRY("ioctl-setversion-rdonly-fd", ioctl(f, FS_IOC_SETVERSION, &gen));
	close(d);
	close(f);
}

static void good(const char *name, bool ok)
{
	printf("GOOD %s ok=%d\n", name, ok);
}

static void race_report(const char *name, long attempts, long wins)
{
	printf("RACE %s attempts=%ld wins=%ld\n", name, attempts, wins);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	long n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static bool exists(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0;
}

/* Does fd name something under the canary (or EXTRA)? */
static bool fd_in_canary(int fd)
{
	char link[64], target[4096];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	if (!strncmp(target, CANARY, strlen(CANARY)) &&
	    (target[strlen(CANARY)] == '/' || !target[strlen(CANARY)]))
		return true;
	return EXTRA && *EXTRA && !strncmp(target, EXTRA, strlen(EXTRA));
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		die("cannot write %s: %s", path, strerror(errno));
	if (write(fd, text, strlen(text)) < 0)
		die("write %s: %s", path, strerror(errno));
	close(fd);
}

static long attempts_arg(int argc, char **argv, int i, long dflt)
{
	const char *env = getenv("ESCAPE_ATTEMPTS");

	if (argc > i)
		return atol(argv[i]);
	if (env && *env)
		return atol(env);
	return dflt;
}

static int read_secret(int fd)
{
	char buf[256];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strstr(buf, "SECRET") != NULL;
}

/* Waits for a child; "exit N", "signal N". */
static int wait_child(pid_t pid, char *how, size_t size)
{
	int st = 0;

	while (waitpid(pid, &st, __WALL) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st))
		snprintf(how, size, "exit%d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(how, size, "signal%d", WTERMSIG(st));
	else
		snprintf(how, size, "status%d", st);
	return st;
}

static struct sockaddr_in sin4(const char *ip, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port) };

	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

static struct sockaddr_in6 sin6(const char *ip, int port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_port = htons(port) };

	inet_pton(AF_INET6, ip, &a.sin6_addr);
	return a;
}

static void linger0(int s)
{
	struct linger l = { 1, 0 };

	setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

/* ---- class 1: pointer races -------------------------------------------- */

static atomic_int stop_flag;

struct flip {
	char *buf;
	const char *a, *b;
	size_t len;
};

static void *flipper(void *arg)
{
	struct flip *f = arg;

	while (!atomic_load_explicit(&stop_flag, memory_order_relaxed)) {
		memcpy(f->buf, f->a, f->len);
		memcpy(f->buf, f->b, f->len);
	}
	return NULL;
}

/*
 * Two paths of the same length: WS/<pad>/NAME and CANARY/NAME, so every
 * state the buffer passes through is one or the other (or a mix, which
 * names nothing).
 */
static void race_paths(const char *name, char *allowed, char *denied,
		       size_t size)
{
	size_t cl = strlen(CANARY), wl = strlen(WS);
	char pad[4096];

	if (cl > wl + 1) {
		memset(pad, 'p', cl - wl - 1);
		pad[cl - wl - 1] = '\0';
		snprintf(allowed, size, "%s/%s", WS, pad);
		mkdir(allowed, 0755);
		snprintf(allowed, size, "%s/%s/%s", WS, pad, name);
		snprintf(denied, size, "%s/%s", CANARY, name);
	} else {
		/* a longer canary name: pad the canary side with ./ */
		snprintf(allowed, size, "%s/%s", WS, name);
		memset(pad, 0, sizeof(pad));
		snprintf(denied, size, "%s/", CANARY);
		while (strlen(denied) + strlen(name) < strlen(allowed))
			strcat(denied, "/");
		strcat(denied, name);
	}
	if (strlen(allowed) != strlen(denied))
		die("race paths differ in length: %s %s", allowed, denied);
}

static void cmd_race_open(long n, bool write_mode)
{
	char allowed[4096], denied[4096], buf[4096];
	struct flip f = { buf, allowed, denied, 0 };
	long wins = 0, ok = 0, i;
	pthread_t th;
	double t0;

	race_paths(write_mode ? "race1w" : "secret", allowed, denied,
		   sizeof(allowed));
	/* reads: a workspace twin of the secret, so that side succeeds */
	if (!write_mode)
		write_file(allowed, "not the secret\n");
	f.len = strlen(allowed) + 1;
	memcpy(buf, allowed, f.len);
	atomic_store(&stop_flag, 0);
	pthread_create(&th, NULL, flipper, &f);
	t0 = now_s();
	for (i = 0; i < n; i++) {
		int fd = write_mode ? open(buf, O_WRONLY | O_CREAT | O_CLOEXEC,
					   0644)
				    : open(buf, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			continue;
		ok++;
		if (fd_in_canary(fd) || (!write_mode && read_secret(fd)))
			wins++;
		close(fd);
	}
	atomic_store(&stop_flag, 1);
	pthread_join(th, NULL);
	printf("INFO race-open-%s: %ld opens succeeded (workspace side), "
	       "%.0f attempts/s\n",
	       write_mode ? "write" : "read", ok, n / (now_s() - t0));
	if (write_mode && exists(denied))
		wins += wins == 0;
	race_report(write_mode ? "race-open-write" : "race-open-read", n, wins);
}

struct port_flip {
	struct sockaddr_in *sa;
	uint16_t a, b;
};

static void *port_flipper(void *arg)
{
	struct port_flip *f = arg;
	volatile uint16_t *p = &f->sa->sin_port;

	while (!atomic_load_explicit(&stop_flag, memory_order_relaxed)) {
		*p = f->a;
		*p = f->b;
	}
	return NULL;
}

static void cmd_race_connect(long n, int allowed, int denied)
{
	struct sockaddr_in sa = sin4("127.0.0.1", allowed);
	struct port_flip f = { &sa, htons(allowed), htons(denied) };
	long wins = 0, ok = 0, i;
	pthread_t th;
	double t0;

	atomic_store(&stop_flag, 0);
	pthread_create(&th, NULL, port_flipper, &f);
	t0 = now_s();
	for (i = 0; i < n; i++) {
		int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in peer;
		socklen_t pl = sizeof(peer);

		if (s < 0)
			die("socket: %s", strerror(errno));
		linger0(s);
		if (connect(s, (void *)&sa, sizeof(sa)) == 0) {
			ok++;
			if (getpeername(s, (void *)&peer, &pl) == 0 &&
			    ntohs(peer.sin_port) == denied)
				wins++;
		}
		close(s);
	}
	atomic_store(&stop_flag, 1);
	pthread_join(th, NULL);
	printf("INFO race-connect: %ld connects to the allowed port, "
	       "%.0f attempts/s\n",
	       ok, n / (now_s() - t0));
	race_report("race-connect", n, wins);
}

struct fd_flip {
	int target, a, b;
};

static void *fd_flipper(void *arg)
{
	struct fd_flip *f = arg;

	while (!atomic_load_explicit(&stop_flag, memory_order_relaxed)) {
		dup3(f->a, f->target, O_CLOEXEC);
		dup3(f->b, f->target, O_CLOEXEC);
	}
	return NULL;
}

/*
 * fchmod(N) while another thread swaps what descriptor N is: a workspace
 * file, or a read-only descriptor of a canary file.  A win changes the
 * canary file's mode.
 */
static void cmd_race_fchmod(long n)
{
	int wfd = open(pathf("%s/race1-fchmod", WS),
		       O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	int cfd = open(pathf("%s/existing", CANARY), O_RDONLY | O_CLOEXEC);
	struct fd_flip f = { 100, wfd, cfd };
	struct stat st;
	mode_t last;
	long wins = 0, ok = 0, i;
	pthread_t th;

	if (wfd < 0 || cfd < 0)
		die("race-fchmod setup: %s", strerror(errno));
	fstat(cfd, &st);
	last = st.st_mode & 07777;
	dup3(wfd, f.target, O_CLOEXEC);
	atomic_store(&stop_flag, 0);
	pthread_create(&th, NULL, fd_flipper, &f);
	for (i = 0; i < n; i++) {
		mode_t want = (i & 1) ? 0600 : 0640;

		if (want == last)
			want = 0604;
		if (fchmod(f.target, want) == 0)
			ok++;
		fstat(cfd, &st);
		if ((st.st_mode & 07777) != last) {
			wins++;
			last = st.st_mode & 07777;
		}
	}
	atomic_store(&stop_flag, 1);
	pthread_join(th, NULL);
	printf("INFO race-fchmod: %ld calls succeeded\n", ok);
	race_report("race-fchmod-fd", n, wins);
}

/*
 * sendto(N, ..., denied UDP address) while N flips between a TCP socket
 * (whose sends ignore the address) and a UDP socket.
 */
static void cmd_race_sendto(long n, int denied)
{
	struct sockaddr_in sa = sin4("127.0.0.1", denied);
	int tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct fd_flip f = { 101, tcp, udp };
	long sent = 0, i;
	pthread_t th;

	dup3(tcp, f.target, O_CLOEXEC);
	atomic_store(&stop_flag, 0);
	pthread_create(&th, NULL, fd_flipper, &f);
	for (i = 0; i < n; i++)
		if (sendto(f.target, "R", 1, MSG_NOSIGNAL, (void *)&sa,
			   sizeof(sa)) == 1)
			sent++;
	atomic_store(&stop_flag, 1);
	pthread_join(th, NULL);
	/* the listener counts the datagrams: the script reads its count */
	race_report("race-sendto-fd", n, sent);
}

struct word_flip {
	volatile uint64_t *w;
	uint64_t a, b;
};

static void *word_flipper(void *arg)
{
	struct word_flip *f = arg;

	while (!atomic_load_explicit(&stop_flag, memory_order_relaxed)) {
		*f->w = f->a;
		*f->w = f->b;
	}
	return NULL;
}

/*
 * openat2 on the canary file while another thread flips how.flags
 * between O_RDONLY (allowed) and O_WRONLY|O_APPEND (denied): a win is a
 * descriptor that can write.
 */
static void cmd_race_openat2_how(long n)
{
	struct {
		uint64_t flags, mode, resolve;
	} how = { O_RDONLY, 0, 0 };
	struct word_flip f = { &how.flags, O_RDONLY | O_CLOEXEC,
			       O_WRONLY | O_APPEND | O_CLOEXEC };
	const char *cfile = pathf("%s/existing", CANARY);
	long wins = 0, ok = 0, i;
	pthread_t th;

	atomic_store(&stop_flag, 0);
	pthread_create(&th, NULL, word_flipper, &f);
	for (i = 0; i < n; i++) {
		int fd = syscall(SYS_openat2, AT_FDCWD, cfile, &how,
				 sizeof(how));

		if (fd < 0)
			continue;
		ok++;
		if ((fcntl(fd, F_GETFL) & O_ACCMODE) != O_RDONLY)
			wins++;
		close(fd);
	}
	atomic_store(&stop_flag, 1);
	pthread_join(th, NULL);
	printf("INFO race-openat2-how: %ld read-only opens\n", ok);
	race_report("race-openat2-how-flags", n, wins);
}

/*
 * openat2 while another thread flips how.flags between O_PATH (an open
 * the kernel alone can make) and a denied access, and the path between
 * an allowed file and the target: a win is a descriptor of the target
 * that reads or writes.  mode "write": O_WRONLY|O_APPEND of the canary
 * file; "read": O_RDONLY of the canary's secret.
 */
static bool same_file(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

struct path_flip {
	char *buf;
	const char *a, *b;
};

static void *path_flipper(void *arg)
{
	struct path_flip *f = arg;

	while (!atomic_load_explicit(&stop_flag, memory_order_relaxed)) {
		strcpy(f->buf, f->a);
		strcpy(f->buf, f->b);
	}
	return NULL;
}

static void cmd_race_openat2_opath(long n, const char *mode)
{
	bool write = !strcmp(mode, "write");
	uint64_t denied = write ? O_WRONLY | O_APPEND | O_CLOEXEC
				: O_RDONLY | O_CLOEXEC;
	static struct {
		uint64_t flags, mode, resolve;
	} how = { O_PATH | O_CLOEXEC, 0, 0 };
	static char path[PATH_MAX];
	const char *target =
		pathf("%s/%s", CANARY, write ? "existing" : "secret");
	struct word_flip wf = { &how.flags, O_PATH | O_CLOEXEC, denied };
	struct path_flip pf = { path, "/etc/hostname", target };
	long wins = 0, enosys = 0, i;
	pthread_t t1, t2;
	char buf[64];

	strcpy(path, "/etc/hostname");
	atomic_store(&stop_flag, 0);
	pthread_create(&t1, NULL, word_flipper, &wf);
	pthread_create(&t2, NULL, path_flipper, &pf);
	for (i = 0; i < n; i++) {
		int fd =
			syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
		int fl;

		if (fd < 0) {
			enosys += errno == ENOSYS;
			continue;
		}
		fl = fcntl(fd, F_GETFL);
		if (!(fl & O_PATH) && write && (fl & O_ACCMODE) != O_RDONLY)
			wins += same_file(fd, target);
		if (!(fl & O_PATH) && !write &&
		    read(fd, buf, sizeof(buf)) > 0 &&
		    !strncmp(buf, "SECRET-canary", 13))
			wins++;
		close(fd);
	}
	atomic_store(&stop_flag, 1);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	printf("INFO race-openat2-opath-%s: %ld ENOSYS\n", mode, enosys);
	race_report(write ? "race-openat2-opath-write"
			  : "race-openat2-opath-read",
		    n, wins);
}

/*
 * sendmsg on a UDP socket while another thread flips the port in
 * msg_name between an allowed and a denied listener.
 */
static void cmd_race_sendmsg(long n, int allowed, int denied)
{
	struct sockaddr_in sa = sin4("127.0.0.1", allowed);
	struct port_flip f = { &sa, htons(allowed), htons(denied) };
	struct iovec iov = { "N", 1 };
	struct msghdr mh = { .msg_name = &sa,
			     .msg_namelen = sizeof(sa),
			     .msg_iov = &iov,
			     .msg_iovlen = 1 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	long sent = 0, i;
	pthread_t th;

	atomic_store(&stop_flag, 0);
	pthread_create(&th, NULL, port_flipper, &f);
	for (i = 0; i < n; i++)
		if (sendmsg(s, &mh, 0) == 1)
			sent++;
	atomic_store(&stop_flag, 1);
	pthread_join(th, NULL);
	printf("INFO race-sendmsg: %ld datagrams sent (the allowed port)\n",
	       sent);
	/* the denied listener's count is the script's measure */
	race_report("race-sendmsg-name", n, 0);
}

/* ---- class 2: stale notifications -------------------------------------- */

static void cmd_stale_children(long n)
{
	long wins = 0, i;

	for (i = 0; i < n; i++) {
		pid_t pid = fork();
		char how[32];
		int st;

		if (pid == 0) {
			int fd = open(pathf("%s/stale-%ld", CANARY, i),
				      O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

			_exit(fd >= 0 ? 99 : 0);
		}
		if (pid < 0)
			die("fork: %s", strerror(errno));
		/* every other child dies in the middle of its call */
		if (i & 1) {
			if (i & 2)
				sched_yield();
			kill(pid, SIGKILL);
		}
		st = wait_child(pid, how, sizeof(how));
		if (WIFEXITED(st) && WEXITSTATUS(st) == 99)
			wins++;
	}
	if (count_entries(CANARY) != 3)
		wins += wins == 0;
	race_report("stale-children", n, wins);
}

static void on_usr1(int sig)
{
	(void)sig;
}

struct storm {
	pid_t tid;
	long sent;
};

static void *stormer(void *arg)
{
	struct storm *s = arg;

	while (!atomic_load_explicit(&stop_flag, memory_order_relaxed)) {
		syscall(SYS_tgkill, getpid(), s->tid, SIGUSR1);
		s->sent++;
	}
	return NULL;
}

static void cmd_signal_storm(long n)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct storm s = { .tid = gettid() };
	long wins = 0, eintr = 0, ok = 0, i;
	pthread_t th;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL); /* no SA_RESTART */
	atomic_store(&stop_flag, 0);
	pthread_create(&th, NULL, stormer, &s);
	for (i = 0; i < n; i++) {
		int fd = open(pathf("%s/storm", CANARY),
			      O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

		if (fd >= 0) {
			wins++;
			close(fd);
		}
		fd = open(pathf("%s/storm-%ld", WS, i % 16),
			  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0) {
			ok++;
			close(fd);
		} else if (errno == EINTR) {
			eintr++;
		}
	}
	atomic_store(&stop_flag, 1);
	pthread_join(th, NULL);
	printf("INFO signal-storm: %ld signals, workspace opens: %ld ok, "
	       "%ld EINTR\n",
	       s.sent, ok, eintr);
	race_report("signal-storm", n, wins);
}

/* ---- class 3: nested listener ----------------------------------------- */

static struct sock_filter notify_openat[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 2, 0),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_open, 1, 0),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
};

static struct sock_filter allow_all[] = {
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};

/* Answers every notification of listener fd with CONTINUE. */
static void *continue_all(void *arg)
{
	int fd = (int)(intptr_t)arg;
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;

	for (;;) {
		memset(&req, 0, sizeof(req));
		if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		memset(&resp, 0, sizeof(resp));
		resp.id = req.id;
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
}

static void nested_try(const char *name, unsigned long flags)
{
	struct sock_fprog prog = {
		sizeof(notify_openat) / sizeof(*notify_openat), notify_openat
	};
	int p[2];
	pid_t pid;
	char how[32], line[256] = "";
	ssize_t n;

	if (pipe(p) < 0)
		die("pipe");
	pid = fork();
	if (pid == 0) {
		long fd;
		int cfd = -1, e;
		pthread_t th;

		close(p[0]);
		errno = 0;
		fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags,
			     &prog);
		e = errno;
		if (fd >= 0) {
			/* it worked: answer CONTINUE to our own open */
			pthread_create(&th, NULL, continue_all,
				       (void *)(intptr_t)fd);
			cfd = open(pathf("%s/nested-%s", CANARY, name),
				   O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		}
		n = snprintf(line, sizeof(line), "%ld %d %d", fd, e, cfd >= 0);
		if (write(p[1], line, n) < 0)
			;
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], line, sizeof(line) - 1);
	close(p[0]);
	line[n > 0 ? n : 0] = '\0';
	wait_child(pid, how, sizeof(how));
	{
		long fd = -1;
		int e = 0, opened = 0;

		sscanf(line, "%ld %d %d", &fd, &e, &opened);
		call_report(name, fd, e, true, opened);
	}
}

static void cmd_nested_listener(void)
{
	struct sock_fprog all = { 1, allow_all };
	struct sock_fprog notif = {
		sizeof(notify_openat) / sizeof(*notify_openat), notify_openat
	};
	pid_t pid;
	char how[32];
	int st;

	nested_try("seccomp-new-listener", SECCOMP_FILTER_FLAG_NEW_LISTENER);
	nested_try("seccomp-new-listener-tsync",
		   SECCOMP_FILTER_FLAG_NEW_LISTENER |
			   SECCOMP_FILTER_FLAG_TSYNC |
			   SECCOMP_FILTER_FLAG_TSYNC_ESRCH);
	nested_try("seccomp-new-listener-killable",
		   SECCOMP_FILTER_FLAG_NEW_LISTENER |
			   SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV);
	nested_try("seccomp-new-listener-high-bits",
		   SECCOMP_FILTER_FLAG_NEW_LISTENER | (1UL << 40));

	/* A permissive filter of our own on top changes nothing. */
	pid = fork();
	if (pid == 0) {
		int fd;

		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &all) < 0)
			_exit(10);
		fd = open(pathf("%s/nested-allow-all", CANARY),
			  O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		_exit(fd >= 0 ? 99 : 0);
	}
	st = wait_child(pid, how, sizeof(how));
	printf("INFO allow-all filter child: %s\n", how);
	call_report("stacked-allow-all-then-open", -1, EACCES, false,
		    WIFEXITED(st) && WEXITSTATUS(st) == 99);

	/* prctl: a USER_NOTIF filter without a listener, then an open. */
	pid = fork();
	if (pid == 0) {
		int fd;

		if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &notif) < 0)
			_exit(10);
		fd = open(pathf("%s/nested-prctl", CANARY),
			  O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		_exit(fd >= 0 ? 99 : 0);
	}
	st = wait_child(pid, how, sizeof(how));
	printf("INFO prctl filter child: %s\n", how);
	call_report("prctl-notify-filter-then-open", -1, EACCES, false,
		    WIFEXITED(st) && WEXITSTATUS(st) == 99);
}

/* ---- class 4: links and renames --------------------------------------- */

static void *exchanger(void *arg)
{
	char **names = arg;

	while (!atomic_load_explicit(&stop_flag, memory_order_relaxed))
		syscall(SYS_renameat2, AT_FDCWD, names[0], AT_FDCWD, names[1],
			RENAME_EXCHANGE);
	return NULL;
}

/* A directory symlink flipped between a workspace dir and the canary. */
static void cmd_race_dirlink(long n)
{
	char *names[2] = { strdup(pathf("%s/r4d", WS)),
			   strdup(pathf("%s/r4e", WS)) };
	char target[4096];
	long wins = 0, ok = 0, i;
	pthread_t th;

	mkdir(pathf("%s/r4real", WS), 0755);
	unlink(names[0]);
	unlink(names[1]);
	if (symlink(pathf("%s/r4real", WS), names[0]) < 0 ||
	    symlink(CANARY, names[1]) < 0)
		die("race-dirlink setup: %s", strerror(errno));
	snprintf(target, sizeof(target), "%s/r4d/race4", WS);
	atomic_store(&stop_flag, 0);
	pthread_create(&th, NULL, exchanger, names);
	for (i = 0; i < n; i++) {
		int fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

		if (fd < 0)
			continue;
		ok++;
		if (fd_in_canary(fd))
			wins++;
		close(fd);
	}
	atomic_store(&stop_flag, 1);
	pthread_join(th, NULL);
	if (exists(pathf("%s/race4", CANARY)))
		wins += wins == 0;
	printf("INFO race-dirlink: %ld opens succeeded\n", ok);
	race_report("race-dirlink", n, wins);
}

/* Symlinks, FIFOs and sockets in dir (class 19: none may be made there). */
static long count_traps(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	long n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += e->d_type == DT_LNK || e->d_type == DT_SOCK ||
		     e->d_type == DT_FIFO;
	closedir(d);
	return n;
}

/*
 * Class 19: a bind, link or rename into dir (in /tmp, where only a
 * create entry allows writes) of a name in the workspace that another
 * thread exchanges meanwhile: for bind a directory with a symlink to
 * dir, for link and rename a file with a symlink.  Checked, the name is
 * harmless; carried out, it must not plant a trap in dir.
 */
static void cmd_race_kind(const char *op, const char *dir, long n)
{
	bool bind_op = !strcmp(op, "bind");
	char *names[2] = { strdup(pathf("%s/k19a-%s", WS, op)),
			   strdup(pathf("%s/k19b-%s", WS, op)) };
	char from[4096], to[4096];
	long i, ok = 0;
	pthread_t th;

	unlink(names[1]);
	if (bind_op ? mkdir(names[0], 0700) < 0 || symlink(dir, names[1]) < 0
		    : symlink("/etc/passwd", names[1]) < 0)
		die("race-kind setup: %s", strerror(errno));
	if (!bind_op)
		write_file(names[0], "a file\n");
	atomic_store(&stop_flag, 0);
	pthread_create(&th, NULL, exchanger, names);
	for (i = 0; i < n && (i % 32 || !count_traps(dir)); i++) {
		snprintf(from, sizeof(from), "%s", names[0]);
		snprintf(to, sizeof(to), "%s/k19-%ld", dir, i);
		if (bind_op) {
			struct sockaddr_un sa = { .sun_family = AF_UNIX };
			int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

			snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/s%ld",
				 names[0], i);
			ok += bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0;
			close(s);
		} else if (!strcmp(op, "link")) {
			ok += link(from, to) == 0;
		} else if (rename(from, to) == 0) {
			ok++;
			rename(to, from); /* back, for the next attempt */
		}
	}
	atomic_store(&stop_flag, 1);
	pthread_join(th, NULL);
	printf("INFO race-kind-%s: %ld calls succeeded\n", op, ok);
	race_report(pathf("race-kind-%s", op), i, count_traps(dir));
}

/*
 * chmod("ws/r4f") while another thread exchanges r4f (a file) with r4g
 * (a symlink to the canary file): the mode must only ever land on the
 * workspace file.
 */
static void cmd_race_linkswap(long n, const char *op)
{
	char *names[2] = { strdup(pathf("%s/r4f", WS)),
			   strdup(pathf("%s/r4g", WS)) };
	const char *cfile = pathf("%s/existing", CANARY);
	char *before = snap();
	struct stat st;
	mode_t last;
	long wins = 0, ok = 0, i;
	pthread_t th;

	unlink(names[0]);
	unlink(names[1]);
	write_file(names[0], "workspace file\n");
	if (symlink(cfile, names[1]) < 0)
		die("race-linkswap setup: %s", strerror(errno));
	stat(cfile, &st);
	last = st.st_mode & 07777;
	free(canary_state);
	canary_state = before;
	atomic_store(&stop_flag, 0);
	pthread_create(&th, NULL, exchanger, names);
	for (i = 0; i < n; i++) {
		int rc;

		if (!strcmp(op, "chmod")) {
			mode_t want = (i & 1) ? 0600 : 0640;

			if (want == last)
				want = 0604;
			rc = chmod(names[0], want);
		} else if (!strcmp(op, "truncate")) {
			rc = truncate(names[0], 0);
		} else if (!strcmp(op, "setxattr")) {
			rc = setxattr(names[0], "user.escape", "1", 1, 0);
		} else if (!strcmp(op, "utimes")) {
			struct timespec ts[2] = { { 1000000000, 0 },
						  { 1000000000, 0 } };

			rc = utimensat(AT_FDCWD, names[0], ts, 0);
		} else {
			die("unknown op %s", op);
		}
		if (rc == 0)
			ok++;
		if (stat(cfile, &st) == 0 && (st.st_mode & 07777) != last) {
			wins++;
			last = st.st_mode & 07777;
		}
	}
	atomic_store(&stop_flag, 1);
	pthread_join(th, NULL);
	if (canary_changed())
		wins += wins == 0;
	printf("INFO race-linkswap-%s: %ld calls succeeded\n", op, ok);
	race_report(pathf("race-linkswap-%s", op), n, wins);
}

static void cmd_links(void)
{
	const char *cfile = pathf("%s/existing", CANARY);
	int rofd, tfd, fd, e;
	long rc;

	/* a hard link of a canary file into the workspace, then a write */
	errno = 0;
	rc = link(cfile, pathf("%s/hl4", WS));
	e = errno;
	fd = open(pathf("%s/hl4", WS), O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd >= 0 && write(fd, "pwned\n", 6) < 0)
		;
	call_report("link-canary-into-ws-then-write", rc, e, true, false);
	if (fd >= 0)
		close(fd);

	rofd = open(cfile, O_RDONLY | O_CLOEXEC);
	TRY("linkat-empty-path-of-canary-fd",
	    linkat(rofd, "", AT_FDCWD, pathf("%s/hl4b", WS), AT_EMPTY_PATH));
	TRY("linkat-proc-fd-of-canary-fd",
	    linkat(AT_FDCWD, pathf("/proc/self/fd/%d", rofd), AT_FDCWD,
		   pathf("%s/hl4c", WS), AT_SYMLINK_FOLLOW));
	TRY("link-ws-file-into-canary",
	    (write_file(pathf("%s/mine4", WS), "mine\n"),
	     link(pathf("%s/mine4", WS), pathf("%s/hl4d", CANARY))));

	/* O_TMPFILE in the workspace, then linked into the canary */
	tfd = open(WS, O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
	if (tfd < 0) {
		printf("INFO O_TMPFILE in the workspace: %s\n",
		       strerror(errno));
	} else {
		if (write(tfd, "tmpfile\n", 8) < 0)
			;
		TRY("tmpfile-linkat-proc-fd-into-canary",
		    linkat(AT_FDCWD, pathf("/proc/self/fd/%d", tfd), AT_FDCWD,
			   pathf("%s/tmp4", CANARY), AT_SYMLINK_FOLLOW));
		TRY("tmpfile-linkat-empty-path-into-canary",
		    linkat(tfd, "", AT_FDCWD, pathf("%s/tmp4b", CANARY),
			   AT_EMPTY_PATH));
		TRY("tmpfile-linkat-dev-fd-into-canary",
		    linkat(AT_FDCWD, pathf("/dev/fd/%d", tfd), AT_FDCWD,
			   pathf("%s/tmp4c", CANARY), AT_SYMLINK_FOLLOW));
		good("tmpfile-linkat-into-workspace",
		     linkat(AT_FDCWD, pathf("/proc/self/fd/%d", tfd), AT_FDCWD,
			    pathf("%s/tmp4-ok", WS), AT_SYMLINK_FOLLOW) == 0);
	}

	/* the prefix trap: WS-evil is not WS */
	if (EXTRA && *EXTRA) {
		const char *rel = strrchr(EXTRA, '/') + 1;

		TRY("prefix-sibling-create",
		    open(pathf("%s/p4", EXTRA), O_WRONLY | O_CREAT | O_CLOEXEC,
			 0644));
		TRY("prefix-sibling-relative",
		    open(pathf("../%s/p4b", rel),
			 O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
		TRY("prefix-sibling-append",
		    open(pathf("%s/file", EXTRA),
			 O_WRONLY | O_APPEND | O_CLOEXEC));
		TRY("prefix-sibling-mkdir", mkdir(pathf("%s/d4", EXTRA), 0755));
		TRY("prefix-sibling-rename-into",
		    (write_file(pathf("%s/mine4b", WS), "x\n"),
		     rename(pathf("%s/mine4b", WS), pathf("%s/m4", EXTRA))));
		TRY("prefix-new-sibling-mkdir", mkdir(pathf("%s2", WS), 0755));
		if (exists(pathf("%s2", WS)))
			rmdir(pathf("%s2", WS));
	}

	/* symlinks in the workspace that point out */
	TRY("write-through-pre-existing-dir-symlink",
	    open(pathf("%s/pre4/x", WS), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	TRY("write-through-dangling-symlink",
	    open(pathf("%s/dang4", WS), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	symlink(cfile, pathf("%s/fl4", WS));
	TRY("write-through-file-symlink-made-in-run",
	    open(pathf("%s/fl4", WS), O_WRONLY | O_APPEND | O_CLOEXEC));
	TRY("openat2-through-file-symlink",
	    syscall(SYS_openat2, AT_FDCWD, pathf("%s/fl4", WS),
		    &(struct { uint64_t f, m, r; }){ O_WRONLY | O_TRUNC, 0, 0 },
		    24));
	TRY("rename-ws-dir-symlink-target",
	    (symlink(CANARY, pathf("%s/dl4", WS)),
	     rename(pathf("%s/mine4", WS), pathf("%s/dl4/moved4", WS))));
	close(rofd);
}

/* ---- class 5: magic links --------------------------------------------- */

static void cmd_magic(void)
{
	const char *cfile = pathf("%s/existing", CANARY);
	const char *secret = pathf("%s/secret", CANARY);
	int rofd = open(cfile, O_RDONLY | O_CLOEXEC);
	int pfd = open(cfile, O_PATH | O_CLOEXEC);
	int dfd = open(CANARY, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int k, fd;
	pid_t pid;
	char how[32];
	const int wflags[] = { O_WRONLY, O_RDWR, O_WRONLY | O_TRUNC,
			       O_WRONLY | O_APPEND, O_RDONLY | O_TRUNC };
	const char *wnames[] = { "wronly", "rdwr", "trunc", "append",
				 "rdonly-trunc" };

	if (rofd < 0 || pfd < 0 || dfd < 0)
		die("magic setup: %s", strerror(errno));

	TRY("proc-self-root", open(pathf("/proc/self/root%s/m1", CANARY),
				   O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	TRY("proc-thread-self-root",
	    open(pathf("/proc/thread-self/root%s/m4", CANARY),
		 O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	TRY("proc-pid-root", open(pathf("/proc/%d/root%s/m5", getpid(), CANARY),
				  O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	TRY("proc-self-task-tid-root",
	    open(pathf("/proc/self/task/%d/root%s/m6", gettid(), CANARY),
		 O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	TRY("proc-self-root-root-dotdot",
	    open(pathf("/proc/self/root/proc/self/root/%s/../%s/m7", CANARY,
		       strrchr(CANARY, '/') + 1),
		 O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	TRY("proc-self-fd-dirfd-as-dir",
	    open(pathf("/proc/self/fd/%d/m8", dfd),
		 O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	TRY("openat-canary-dirfd",
	    openat(dfd, "m9", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	TRY("dev-fd-dirfd-as-dir", open(pathf("/dev/fd/%d/m10", dfd),
					O_WRONLY | O_CREAT | O_CLOEXEC, 0644));

	/* reopen a read-only (or O_PATH) descriptor for writing */
	for (k = 0; k < 5; k++) {
		TRY(pathf("reopen-proc-self-fd-%s", wnames[k]),
		    open(pathf("/proc/self/fd/%d", rofd),
			 wflags[k] | O_CLOEXEC));
		TRY(pathf("reopen-dev-fd-%s", wnames[k]),
		    open(pathf("/dev/fd/%d", rofd), wflags[k] | O_CLOEXEC));
	}
	TRY("reopen-proc-thread-self-fd-wronly",
	    open(pathf("/proc/thread-self/fd/%d", rofd), O_WRONLY | O_CLOEXEC));
	TRY("reopen-proc-pid-fd-wronly",
	    open(pathf("/proc/%d/fd/%d", getpid(), rofd),
		 O_WRONLY | O_CLOEXEC));
	TRY("reopen-opath-fd-wronly",
	    open(pathf("/proc/self/fd/%d", pfd), O_WRONLY | O_CLOEXEC));
	TRY("reopen-dev-stdin-style-path",
	    open(pathf("/dev/fd/%d", pfd), O_RDWR | O_CLOEXEC));
	TRY("openat2-reopen-wronly",
	    syscall(SYS_openat2, AT_FDCWD, pathf("/proc/self/fd/%d", rofd),
		    &(struct { uint64_t f, m, r; }){ O_WRONLY, 0, 0 }, 24));

	/* cwd in the canary */
	pid = fork();
	if (pid == 0) {
		int a = chdir(CANARY);
		int f1 = open("/proc/self/cwd/m2", O_WRONLY | O_CREAT, 0644);
		int f2 = open("m3", O_WRONLY | O_CREAT, 0644);
		int f3 = open("existing", O_WRONLY | O_APPEND);
		int f4 = mkdir("m3d", 0755);

		_exit(a < 0					   ? 10
		      : (f1 >= 0 || f2 >= 0 || f3 >= 0 || f4 == 0) ? 99
								   : 0);
	}
	{
		int st = wait_child(pid, how, sizeof(how));

		printf("INFO chdir-canary child: %s\n", how);
		call_report("chdir-canary-then-relative-and-proc-cwd", -1,
			    EACCES, false,
			    WIFEXITED(st) && WEXITSTATUS(st) == 99);
	}

	/* reads of the secret through magic links */
	fd = open(pathf("/proc/self/root%s", secret), O_RDONLY | O_CLOEXEC);
	call_report("read-secret-via-proc-self-root", fd, errno, true,
		    fd >= 0 && read_secret(fd));
	fd = open(pathf("/proc/self/fd/%d/secret", dfd), O_RDONLY | O_CLOEXEC);
	call_report("read-secret-via-proc-fd-dir", fd, errno, true,
		    fd >= 0 && read_secret(fd));
	fd = openat(dfd, "secret", O_RDONLY | O_CLOEXEC);
	call_report("read-secret-via-dirfd", fd, errno, true,
		    fd >= 0 && read_secret(fd));
	fd = open(pathf("/proc/thread-self/cwd/../%s/secret",
			strrchr(CANARY, '/') + 1),
		  O_RDONLY | O_CLOEXEC);
	call_report("read-secret-via-thread-self-cwd", fd, errno, true,
		    fd >= 0 && read_secret(fd));

	/* "self" must be us, not the supervisor: fds we do not have */
	{
		int wins = 0, tried = 0;

		for (k = 3; k < 128; k++) {
			if (fcntl(k, F_GETFD) >= 0)
				continue;
			tried++;
			fd = open(pathf("/proc/self/fd/%d", k),
				  O_RDONLY | O_CLOEXEC);
			if (fd >= 0) {
				printf("INFO /proc/self/fd/%d opened something "
				       "we do not have open\n",
				       k);
				wins++;
				close(fd);
			}
			fd = open(pathf("/dev/fd/%d", k), O_RDONLY | O_CLOEXEC);
			if (fd >= 0) {
				wins++;
				close(fd);
			}
		}
		call_report("proc-self-fd-of-numbers-we-lack", wins ? 0 : -1,
			    ENOENT, true, false);
		printf("INFO tried %d numbers\n", tried);
	}
	close(rofd);
	close(pfd);
	close(dfd);
}

/*
 * A call on "/proc/self/fd/N" while another thread swaps what N is: a
 * workspace file or a read-only descriptor of the canary file.  The
 * object judged must be the object changed.
 */
static void cmd_race_magic(const char *op, long n)
{
	int wfd = open(pathf("%s/race5-file", WS), O_RDWR | O_CREAT | O_CLOEXEC,
		       0644);
	int cfd = open(pathf("%s/existing", CANARY), O_RDONLY | O_CLOEXEC);
	struct fd_flip f = { 102, wfd, cfd };
	const char *path = pathf("/proc/self/fd/%d", f.target);
	struct timespec ts[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	struct stat st;
	mode_t last;
	time_t mlast;
	long wins = 0, ok = 0, i;
	pthread_t th;

	if (wfd < 0 || cfd < 0)
		die("race-magic setup: %s", strerror(errno));
	fstat(cfd, &st);
	last = st.st_mode & 07777;
	mlast = st.st_mtim.tv_sec;
	dup3(wfd, f.target, O_CLOEXEC);
	atomic_store(&stop_flag, 0);
	pthread_create(&th, NULL, fd_flipper, &f);
	for (i = 0; i < n; i++) {
		int rc;

		if (!strcmp(op, "chmod")) {
			mode_t want = (i & 1) ? 0600 : 0640;

			if (want == last)
				want = 0604;
			rc = chmod(path, want);
		} else if (!strcmp(op, "utimens")) {
			ts[0].tv_sec = ts[1].tv_sec = 1000000000 + i;
			rc = utimensat(AT_FDCWD, path, ts, 0);
		} else if (!strcmp(op, "open")) {
			rc = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
			if (rc >= 0) {
				if (fd_in_canary(rc) && write(rc, "X", 1) == 1)
					wins++;
				close(rc);
			}
		} else {
			die("unknown op %s", op);
		}
		if (rc >= 0)
			ok++;
		fstat(cfd, &st);
		if ((st.st_mode & 07777) != last ||
		    st.st_mtim.tv_sec != mlast) {
			wins++;
			last = st.st_mode & 07777;
			mlast = st.st_mtim.tv_sec;
		}
	}
	atomic_store(&stop_flag, 1);
	pthread_join(th, NULL);
	printf("INFO race-magic-%s: %ld calls succeeded\n", op, ok);
	race_report(pathf("race-proc-self-fd-%s", op), n, wins);
}

/* ---- class 6: other syscalls that write ------------------------------- */

static void cmd_write_calls(void)
{
	const char *cfile = pathf("%s/existing", CANARY);
	const char *cdir = pathf("%s/dir", CANARY);
	const char *mine = pathf("%s/mine6", WS);
	struct timespec ts[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	struct timeval tv[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	struct utimbuf ub = { 1000000000, 1000000000 };
	struct {
		uint64_t flags, mode, resolve;
	} how = { O_WRONLY | O_CREAT, 0644, 0 };
	struct {
		uint64_t value;
		uint32_t size, flags;
	} xa = { (uintptr_t) "1", 1, 0 };
	struct {
		uint64_t xflags;
		uint32_t extsize, nextents, projid, cowextsize;
	} fa = { 0 };
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int rofd = open(cfile, O_RDONLY | O_CLOEXEC);
	int pfd = open(cfile, O_PATH | O_CLOEXEC);
	int dfd = open(CANARY, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int s, flags;
	uid_t uid = getuid();
	gid_t gid = getgid();

	if (rofd < 0 || pfd < 0 || dfd < 0)
		die("write-calls setup: %s", strerror(errno));
	write_file(mine, "mine\n");

	TRY("creat", creat(pathf("%s/new6", CANARY), 0644));
	TRY("open-wronly-creat", open(pathf("%s/new6a", CANARY),
				      O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	TRY("open-rdwr", open(cfile, O_RDWR | O_CLOEXEC));
	TRY("open-append", open(cfile, O_WRONLY | O_APPEND | O_CLOEXEC));
	TRY("open-rdonly-trunc", open(cfile, O_RDONLY | O_TRUNC | O_CLOEXEC));
	TRY("open-creat-in-subdir",
	    open(pathf("%s/x", cdir), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	TRY("openat2-creat",
	    syscall(SYS_openat2, AT_FDCWD, pathf("%s/new6b", CANARY), &how,
		    sizeof(how)));
	how.flags = O_WRONLY | O_TRUNC;
	TRY("openat2-trunc",
	    syscall(SYS_openat2, AT_FDCWD, cfile, &how, sizeof(how)));
	how.flags = O_WRONLY | O_CREAT;
	how.resolve = 0x08; /* RESOLVE_BENEATH */
	TRY("openat2-dirfd-beneath",
	    syscall(SYS_openat2, dfd, "new6c", &how, sizeof(how)));
	TRY("openat-tmpfile-in-canary",
	    open(CANARY, O_TMPFILE | O_RDWR | O_CLOEXEC, 0644));
	TRY("truncate", truncate(cfile, 0));
	TRY("ftruncate-rdonly-fd", ftruncate(rofd, 0));
	TRY("fallocate-rdonly-fd", fallocate(rofd, 0, 0, 4096));
	TRY("rename-into", rename(mine, pathf("%s/moved6", CANARY)));
	TRY("rename-out-of", rename(cfile, pathf("%s/stolen6", WS)));
	TRY("renameat-dirfd-out-of",
	    renameat(dfd, "existing", AT_FDCWD, pathf("%s/stolen6b", WS)));
	TRY("renameat2-noreplace-into",
	    syscall(SYS_renameat2, AT_FDCWD, mine, AT_FDCWD,
		    pathf("%s/moved6b", CANARY), RENAME_NOREPLACE));
	TRY("renameat2-exchange", syscall(SYS_renameat2, AT_FDCWD, mine,
					  AT_FDCWD, cfile, RENAME_EXCHANGE));
	TRY("renameat2-whiteout",
	    syscall(SYS_renameat2, AT_FDCWD, cfile, AT_FDCWD,
		    pathf("%s/white6", WS), RENAME_WHITEOUT));
	TRY("rename-dir-out-of", rename(cdir, pathf("%s/stolen-dir6", WS)));
	TRY("link-into", link(mine, pathf("%s/link6", CANARY)));
	TRY("link-out-of", link(cfile, pathf("%s/link6", WS)));
	TRY("linkat-dirfd",
	    linkat(dfd, "existing", AT_FDCWD, pathf("%s/link6b", WS), 0));
	TRY("symlink", symlink("/etc/passwd", pathf("%s/sym6", CANARY)));
	TRY("symlinkat", symlinkat("/etc/passwd", dfd, "sym6b"));
	TRY("unlink", unlink(cfile));
	TRY("unlinkat", unlinkat(dfd, "existing", 0));
	TRY("unlinkat-removedir", unlinkat(dfd, "dir", AT_REMOVEDIR));
	TRY("mkdir", mkdir(pathf("%s/newdir6", CANARY), 0755));
	TRY("mkdirat", mkdirat(dfd, "newdir6b", 0755));
	TRY("rmdir", rmdir(cdir));
	TRY("mknod-fifo", mknod(pathf("%s/fifo6", CANARY), S_IFIFO | 0644, 0));
	TRY("mknodat-regular", mknodat(dfd, "node6", S_IFREG | 0644, 0));
	TRY("mkfifoat", mkfifoat(dfd, "fifo6b", 0644));
	TRY("chmod", chmod(cfile, 0600));
	TRY("fchmodat", fchmodat(AT_FDCWD, cfile, 0600, 0));
	TRY("fchmodat-dirfd", fchmodat(dfd, "existing", 0600, 0));
	TRY("fchmod-rdonly-fd", fchmod(rofd, 0600));
	TRY("fchmodat2", syscall(SYS_fchmodat2, AT_FDCWD, cfile, 0600, 0));
	TRY("fchmodat2-nofollow",
	    syscall(SYS_fchmodat2, AT_FDCWD, cfile, 0600, AT_SYMLINK_NOFOLLOW));
	TRY("fchmodat2-empty-path-opath-fd",
	    syscall(SYS_fchmodat2, pfd, "", 0600, AT_EMPTY_PATH));
	TRY("chown-own-ids", chown(cfile, uid, gid));
	TRY("lchown-own-ids", lchown(cfile, uid, gid));
	TRY("fchownat-own-ids", fchownat(AT_FDCWD, cfile, uid, gid, 0));
	TRY("fchownat-empty-path-opath-fd",
	    fchownat(pfd, "", uid, gid, AT_EMPTY_PATH));
	TRY("fchown-rdonly-fd", fchown(rofd, uid, gid));
	TRY("utimensat", utimensat(AT_FDCWD, cfile, ts, 0));
	TRY("utimensat-now", utimensat(AT_FDCWD, cfile, NULL, 0));
	TRY("utimensat-nofollow",
	    utimensat(AT_FDCWD, cfile, ts, AT_SYMLINK_NOFOLLOW));
	TRY("futimens-rdonly-fd", futimens(rofd, ts));
	TRY("utimensat-empty-path-opath-fd",
	    utimensat(pfd, "", ts, AT_EMPTY_PATH));
	TRY("utime", syscall(SYS_utime, cfile, &ub));
	TRY("utimes", syscall(SYS_utimes, cfile, tv));
	TRY("futimesat", syscall(SYS_futimesat, dfd, "existing", tv));
	TRY("setxattr", setxattr(cfile, "user.escape", "1", 1, 0));
	TRY("lsetxattr", lsetxattr(cfile, "user.escape", "1", 1, 0));
	TRY("fsetxattr-rdonly-fd", fsetxattr(rofd, "user.escape", "1", 1, 0));
	TRY("setxattrat", syscall(SYS_setxattrat, AT_FDCWD, cfile, 0,
				  "user.escape", &xa, sizeof(xa)));
	TRY("setxattrat-empty-path-opath-fd",
	    syscall(SYS_setxattrat, pfd, "", AT_EMPTY_PATH, "user.escape", &xa,
		    sizeof(xa)));
	TRY("removexattr", removexattr(cfile, "user.keep"));
	TRY("fremovexattr-rdonly-fd", fremovexattr(rofd, "user.keep"));
	TRY("removexattrat",
	    syscall(SYS_removexattrat, AT_FDCWD, cfile, 0, "user.keep"));
	flags = 0;
	if (ioctl(rofd, FS_IOC_GETFLAGS, &flags) == 0) {
		int nf = flags ^ FS_NODUMP_FL;

		TRY("ioctl-setflags-rdonly-fd",
		    ioctl(rofd, FS_IOC_SETFLAGS, &nf));
	} else {
		printf("INFO FS_IOC_GETFLAGS: %s\n", strerror(errno));
	}
	fs_ioctls(cfile);
	/* a whiteout is a device (0:0): CAP_MKNOD, which a root run lost */
	close(open(pathf("%s/wo6", WS), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	TRY("renameat2-whiteout-needs-mknod",
	    syscall(SYS_renameat2, AT_FDCWD, pathf("%s/wo6", WS), AT_FDCWD,
		    pathf("%s/wo6b", WS), RENAME_WHITEOUT));
	fa.xflags = 0x00000080; /* FS_XFLAG_NODUMP */
	TRY("file-setattr",
	    syscall(SYS_file_setattr, AT_FDCWD, cfile, &fa, sizeof(fa), 0));
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(un.sun_path, sizeof(un.sun_path), "%s/sock6", CANARY);
	TRY("bind-unix-path", bind(s, (void *)&un, sizeof(un)));
	close(s);
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	snprintf(un.sun_path, sizeof(un.sun_path), "../%s/sock6b",
		 strrchr(CANARY, '/') + 1);
	TRY("bind-unix-relative-path", bind(s, (void *)&un, sizeof(un)));
	close(s);
	if (getuid() == 0) {
		/* process accounting writes to the file from the kernel */
		long rc;

		errno = 0;
		rc = acct(cfile);
		call_report("acct", rc, errno, true, false);
		if (rc == 0)
			acct(NULL);
	}
	/* and nothing of the above broke the workspace */
	good("workspace-still-writable",
	     open(pathf("%s/after6", WS), O_WRONLY | O_CREAT | O_CLOEXEC,
		  0644) >= 0);
	good("chmod-in-workspace-works",
	     chmod(mine, 0600) == 0 ||
		     chmod(pathf("%s/after6", WS), 0600) == 0);
}

/* ---- class 7: file handles -------------------------------------------- */

struct handle_buf {
	struct file_handle h;
	unsigned char bytes[128];
};

static void cmd_handles(void)
{
	struct handle_buf hb;
	int mount_id, mfd, rofd, fd;
	long gen = 0;
	struct stat st;

	memset(&hb, 0, sizeof(hb));
	hb.h.handle_bytes = 128;
	TRY("name-to-handle-at-secret",
	    name_to_handle_at(AT_FDCWD, pathf("%s/secret", CANARY), &hb.h,
			      &mount_id, 0));
	memset(&hb, 0, sizeof(hb));
	hb.h.handle_bytes = 128;
	TRY("name-to-handle-at-existing",
	    name_to_handle_at(AT_FDCWD, pathf("%s/existing", CANARY), &hb.h,
			      &mount_id, 0));

	/* a handle made by hand: ext4's FILEID_INO32_GEN (inode, generation) */
	rofd = open(pathf("%s/existing", CANARY), O_RDONLY | O_CLOEXEC);
	if (rofd >= 0 && fstat(rofd, &st) == 0) {
		uint32_t *w = (uint32_t *)hb.h.f_handle;

		if (ioctl(rofd, FS_IOC_GETVERSION, &gen) < 0)
			gen = 0;
		hb.h.handle_bytes = 8;
		hb.h.handle_type = 1;
		w[0] = (uint32_t)st.st_ino;
		w[1] = (uint32_t)gen;
		mfd = open(CANARY, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		TRY("open-by-handle-at-canary-wronly",
		    open_by_handle_at(mfd, &hb.h, O_WRONLY | O_CLOEXEC));
		TRY("open-by-handle-at-canary-rdonly",
		    open_by_handle_at(mfd, &hb.h, O_RDONLY | O_CLOEXEC));
		close(mfd);
	}
	/* and the secret, read through a hand-made handle */
	fd = open(pathf("%s/secret", CANARY), O_PATH | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) == 0) {
		uint32_t *w = (uint32_t *)hb.h.f_handle;
		int got;

		hb.h.handle_bytes = 8;
		hb.h.handle_type = 1;
		w[0] = (uint32_t)st.st_ino;
		w[1] = 0;
		mfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		errno = 0;
		got = open_by_handle_at(mfd, &hb.h, O_RDONLY | O_CLOEXEC);
		call_report("open-by-handle-at-secret", got, errno, true,
			    got >= 0 && read_secret(got));
		close(mfd);
	} else {
		printf("INFO O_PATH of the secret: %s\n", strerror(errno));
	}
}

/* ---- class 8: exec variants -------------------------------------------- */

static char *const no_argv[] = { "prog-no", NULL };

/* Runs fn in a child; a run of the denied program leaves the marker. */
static void exec_case(const char *name, int (*fn)(void *), void *arg)
{
	const char *marker = MARKER;
	pid_t pid;
	char how[32];
	bool ran_before = exists(marker);

	pid = fork();
	if (pid == 0) {
		errno = 0;
		fn(arg);
		printf("INFO %s: exec failed: %s\n", name, ename(errno));
		fflush(stdout);
		_exit(errno == EACCES ? 13 : 12);
	}
	wait_child(pid, how, sizeof(how));
	printf("INFO %s: child %s\n", name, how);
	call_report(name, strcmp(how, "exit42") ? -1 : 0, EACCES, true,
		    !ran_before && exists(marker));
	if (exists(marker) && !ran_before) {
		/* keep a copy for the report, then start afresh */
		rename(marker, pathf("%s.%s", marker, name));
	}
}

static int ex_path(void *arg)
{
	return execve((const char *)arg, no_argv, environ);
}

static int ex_at_empty_opath(void *arg)
{
	int fd = open(PROG_NO, O_PATH | O_CLOEXEC);

	(void)arg;
	return syscall(SYS_execveat, fd, "", no_argv, environ, AT_EMPTY_PATH);
}

static int ex_at_empty_rdonly(void *arg)
{
	int fd = open(PROG_NO, O_RDONLY);

	(void)arg;
	return syscall(SYS_execveat, fd, "", no_argv, environ, AT_EMPTY_PATH);
}

static int ex_fexecve(void *arg)
{
	int fd = open(PROG_NO, O_RDONLY);

	(void)arg;
	return fexecve(fd, no_argv, environ);
}

static int ex_proc_fd(void *arg)
{
	int fd = open(PROG_NO, O_RDONLY);

	return execve(pathf("%s/%d", (const char *)arg, fd), no_argv, environ);
}

static int ex_at_dirfd(void *arg)
{
	int fd = open(T, O_PATH | O_DIRECTORY);

	return syscall(SYS_execveat, fd, "prog-no", no_argv, environ,
		       (int)(intptr_t)arg);
}

static int ex_symlink(void *arg)
{
	const char *l = pathf("%s/%s", WS, (const char *)arg);

	unlink(l);
	symlink(PROG_NO, l);
	return execve(l, no_argv, environ);
}

static int ex_symlink_chain(void *arg)
{
	const char *a = pathf("%s/chain8a", WS), *b = pathf("%s/chain8b", WS);

	(void)arg;
	unlink(a);
	unlink(b);
	symlink(PROG_NO, a);
	symlink("chain8a", b);
	return execve(b, no_argv, environ);
}

static int ex_execvp(void *arg)
{
	(void)arg;
	setenv("PATH", T, 1);
	return execvp("prog-no", no_argv);
}

static void cmd_exec_variants(void)
{
	exec_case("execve-direct", ex_path, PROG_NO);
	exec_case("execveat-empty-path-opath", ex_at_empty_opath, NULL);
	exec_case("execveat-empty-path-rdonly", ex_at_empty_rdonly, NULL);
	exec_case("fexecve", ex_fexecve, NULL);
	exec_case("execve-proc-self-fd", ex_proc_fd, "/proc/self/fd");
	exec_case("execve-dev-fd", ex_proc_fd, "/dev/fd");
	exec_case("execveat-dirfd", ex_at_dirfd, (void *)0);
	exec_case("execveat-dirfd-nofollow", ex_at_dirfd,
		  (void *)(intptr_t)AT_SYMLINK_NOFOLLOW);
	exec_case("execve-ws-symlink", ex_symlink, "link8");
	exec_case("execve-ws-symlink-chain", ex_symlink_chain, NULL);
	exec_case("execve-relative-dotdot", ex_path, "../prog-no");
	exec_case("execve-proc-self-root", ex_path,
		  pathf("/proc/self/root%s", PROG_NO));
	exec_case("execve-proc-self-cwd-dotdot", ex_path,
		  "/proc/self/cwd/../prog-no");
	exec_case("execvp-path-search", ex_execvp, NULL);
}

struct exec_flip {
	char *path;
	char **argv;
	const char *a, *b; /* path or argv[1] variants */
	size_t len;
	bool flip_argv;
};

static void *exec_flipper(void *arg)
{
	struct exec_flip *f = arg;
	char *dst = f->flip_argv ? f->argv[1] : f->path;

	for (;;) {
		memcpy(dst, f->a, f->len);
		memcpy(dst, f->b, f->len);
	}
	return NULL;
}

/* How the children of an exec race ended. */
struct exec_tally {
	long allowed, wins, killed, other;
};

static void exec_tally(struct exec_tally *t, pid_t pid)
{
	char how[32];
	int st = wait_child(pid, how, sizeof(how));

	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		t->allowed++;
	else if (WIFEXITED(st) && WEXITSTATUS(st) == 42)
		t->wins++;
	else if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
		t->killed++;
	else
		t->other++;
}

/* A marker left behind counts as a win even if no exit said so. */
static void exec_tally_report(const char *name, long n, struct exec_tally *t,
			      double secs)
{
	if (exists(MARKER) && t->wins == 0)
		t->wins = 1;
	printf("INFO %s: %ld allowed runs, %ld killed at the exec event, "
	       "%ld other, %.0f attempts/s\n",
	       name, t->allowed, t->killed, t->other, n / secs);
	race_report(name, n, t->wins);
}

/*
 * Each attempt is a child that execs script with argv in a loop while a
 * thread runs flip(arg); the exec that succeeds replaces the child.
 */
static void exec_race_run(const char *name, const char *script, char **argv,
			  void *(*flip)(void *), void *arg, long n)
{
	struct exec_tally t = { 0 };
	double t0 = now_s();
	long i;

	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			pthread_t th;
			int k;

			pthread_create(&th, NULL, flip, arg);
			for (k = 0; k < 10000; k++)
				execve(script, argv, environ);
			_exit(77);
		}
		exec_tally(&t, pid);
	}
	exec_tally_report(name, n, &t, now_s() - t0);
}

/*
 * The path (or argv[1]) flipped between the allowed and the denied
 * program by a thread while the child execs it.
 */
static void cmd_exec_race(long n, bool flip_argv)
{
	static char path[4096], a1[16];
	static char *argv[3] = { "prog", a1, NULL };
	static struct exec_flip f;

	strcpy(path, PROG_OK);
	strcpy(a1, "--good");
	f = (struct exec_flip){ path, argv, NULL, NULL, 0, flip_argv };
	if (flip_argv) {
		f.a = "--good";
		f.b = "--evil";
		f.len = 7;
	} else {
		f.a = PROG_OK;
		f.b = PROG_NO;
		f.len = strlen(PROG_OK) + 1;
	}
	exec_race_run(flip_argv ? "exec-race-argv" : "exec-race-path", path,
		      argv, exec_flipper, &f, n);
}

/*
 * A script named by a rule with its arguments: a thread adds a word to
 * argv (NULL, then "--evil", then NULL again) while the main thread execs
 * it in a loop, so that the word judged absent may be there when the
 * kernel copies argv; the interpreter then gets it behind the script's
 * name.  The script exits 42 (after writing the marker) for --evil.
 */
static char *volatile script_argv[3];

static void *script_flipper(void *arg)
{
	(void)arg;
	for (;;) {
		script_argv[1] = "--evil";
		script_argv[1] = NULL;
	}
	return NULL;
}

static void cmd_exec_race_script(const char *script, long n)
{
	script_argv[0] = (char *)script;
	exec_race_run("exec-race-script", script, (char **)script_argv,
		      script_flipper, NULL, n);
}

/*
 * A script whose #! line is rewritten during its exec: a thread flips
 * the letter of its interpreter's option (at offset 11, "e" and "u")
 * while the main thread execs it in a loop, so that the line judged
 * ("sh -e", allowed) may not be the line the kernel reads ("sh -u",
 * denied).  The script exits 42 (after writing the marker) under -u.
 * The thread opens it for each write: a script open for writing cannot
 * be run (ETXTBSY).
 */
static void *shebang_flipper(void *arg)
{
	const char *script = arg;
	int fd;

	for (int i = 0;; i++) {
		fd = open(script, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			continue; /* ETXTBSY: an exec holds it */
		pwrite(fd, i & 1 ? "e" : "u", 1, 11);
		close(fd);
	}
	return NULL;
}

static void cmd_exec_race_shebang(const char *script, long n)
{
	char *argv[] = { (char *)script, NULL };

	exec_race_run("exec-race-shebang", script, argv, shebang_flipper,
		      (void *)script, n);
}

/*
 * An argv[0] as long as what proctor keeps of an argv, so that the word
 * after it, which a rule denies, is not kept: each of PROGRAMs is run
 * with argv[0] of 4,000 to 5,000 bytes and "--evil" after it.
 */
static void cmd_long_argv0(int n, char **progs)
{
	static char zero[5001];
	long wins = 0, tries = 0;
	int i, len;

	for (i = 0; i < n; i++)
		for (len = 4000; len <= 5000; len += 8) {
			char *argv[] = { zero, "--evil", NULL };
			pid_t pid = fork();
			char how[32];
			int st;

			if (pid == 0) {
				memset(zero, 'A', (size_t)len);
				zero[len] = '\0';
				execve(progs[i], argv, environ);
				_exit(77);
			}
			st = wait_child(pid, how, sizeof(how));
			wins += WIFEXITED(st) && WEXITSTATUS(st) == 42;
			tries++;
		}
	if (exists(MARKER) && wins == 0)
		wins = 1;
	race_report("long-argv0", tries, wins);
}

/* ---- class 10: foreign ABIs ------------------------------------------- */

static long int80(long nr, long a, long b, long c)
{
	long ret;

	asm volatile("int $0x80"
		     : "=a"(ret)
		     : "a"(nr), "b"(a), "c"(b), "d"(c)
		     : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

static void abi_case(const char *name, int kind)
{
	char *low = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	pid_t pid;
	char how[32];
	int p[2];
	long rc = -99;

	if (low == MAP_FAILED)
		die("mmap MAP_32BIT: %s", strerror(errno));
	if (pipe(p) < 0)
		die("pipe");
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		switch (kind) {
		case 0: /* i386 open = 5 */
			strcpy(low, pathf("%s/i386-open", CANARY));
			rc = int80(5, (long)low, O_WRONLY | O_CREAT, 0644);
			break;
		case 1: /* i386 creat = 8 */
			strcpy(low, pathf("%s/i386-creat", CANARY));
			rc = int80(8, (long)low, 0644, 0);
			break;
		case 2: /* i386 mkdir = 39 */
			strcpy(low, pathf("%s/i386-mkdir", CANARY));
			rc = int80(39, (long)low, 0755, 0);
			break;
		case 3: /* i386 execve = 11 */
			strcpy(low, PROG_NO);
			rc = int80(11, (long)low, 0, 0);
			break;
		case 4: /* i386 chmod = 15 */
			strcpy(low, pathf("%s/existing", CANARY));
			rc = int80(15, (long)low, 0600, 0);
			break;
		case 5: /* x32 open (nr 2 with the x32 bit) */
			rc = syscall(0x40000000 | 2,
				     pathf("%s/x32-open", CANARY),
				     O_WRONLY | O_CREAT, 0644);
			break;
		case 6: /* x32 openat */
			rc = syscall(0x40000000 | 257, AT_FDCWD,
				     pathf("%s/x32-openat", CANARY),
				     O_WRONLY | O_CREAT, 0644);
			break;
		case 7: /* x32 execve = 520 */
			rc = syscall(0x40000000 | 520, PROG_NO, no_argv,
				     environ);
			break;
		}
		if (write(p[1], &rc, sizeof(rc)) < 0)
			;
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &rc, sizeof(rc)) != sizeof(rc))
		rc = -1000; /* the child died in the call */
	close(p[0]);
	wait_child(pid, how, sizeof(how));
	printf("INFO %s: child %s, call returned %ld\n", name, how, rc);
	if (rc == -1000)
		errno_text = pathf("killed-%s", how);
	/* int 0x80 returns -errno; syscall() returns -1 */
	call_report(name, rc == -1000 ? -1 : rc,
		    rc < 0 && rc > -4096 ? (int)-rc : errno, true,
		    exists(MARKER));
	munmap(low, 8192);
}

static void cmd_foreign_abi(void)
{
	abi_case("i386-int80-open", 0);
	abi_case("i386-int80-creat", 1);
	abi_case("i386-int80-mkdir", 2);
	abi_case("i386-int80-execve", 3);
	abi_case("i386-int80-chmod", 4);
	abi_case("x32-open", 5);
	abi_case("x32-openat", 6);
	abi_case("x32-execve", 7);
}

/* ---- class 11: io_uring ------------------------------------------------ */

static void cmd_io_uring(void)
{
	uint32_t params[30];

	memset(params, 0, sizeof(params));
	TRY("io-uring-setup", syscall(SYS_io_uring_setup, 8, params));
	memset(params, 0, sizeof(params));
	params[2] = 2; /* flags: IORING_SETUP_SQPOLL */
	TRY("io-uring-setup-sqpoll", syscall(SYS_io_uring_setup, 8, params));
}

/* ---- class 12: sends with a destination ------------------------------- */

static void cmd_send_dest(int udp_port, int tcp_port)
{
	struct sockaddr_in u = sin4("127.0.0.1", udp_port);
	struct sockaddr_in t = sin4("127.0.0.1", tcp_port);
	struct sockaddr_in6 u6 = sin6("::ffff:127.0.0.1", udp_port);
	struct iovec iov = { "M", 1 };
	struct msghdr mh = { .msg_name = &u,
			     .msg_namelen = sizeof(u),
			     .msg_iov = &iov,
			     .msg_iovlen = 1 };
	struct mmsghdr mm[2];
	int s;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	TRY("udp-sendto", sendto(s, "S", 1, 0, (void *)&u, sizeof(u)));
	TRY("udp-sendmsg-msg-name", sendmsg(s, &mh, 0));
	memset(mm, 0, sizeof(mm));
	mm[0].msg_hdr = mh;
	mm[1].msg_hdr = mh;
	TRY("udp-sendmmsg", sendmmsg(s, mm, 2, 0));
	TRY("udp-sendto-then-send",
	    (sendto(s, "S", 1, 0, (void *)&u, sizeof(u)), send(s, "S", 1, 0)));
	close(s);

	s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	TRY("udp6-sendto-v4-mapped",
	    sendto(s, "6", 1, 0, (void *)&u6, sizeof(u6)));
	close(s);

	/* a UDP socket connected to nothing allowed keeps nothing */
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	TRY("udp-connect", connect(s, (void *)&u, sizeof(u)));
	TRY("udp-write-after-refused-connect", write(s, "W", 1));
	close(s);

	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	linger0(s);
	TRY("tcp-sendto-fastopen",
	    sendto(s, "F", 1, MSG_FASTOPEN, (void *)&t, sizeof(t)));
	close(s);

	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	linger0(s);
	mh.msg_name = &t;
	mh.msg_namelen = sizeof(t);
	TRY("tcp-sendmsg-fastopen", sendmsg(s, &mh, MSG_FASTOPEN));
	close(s);

	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	linger0(s);
	memset(mm, 0, sizeof(mm));
	mm[0].msg_hdr = mh;
	TRY("tcp-sendmmsg-fastopen", sendmmsg(s, mm, 1, MSG_FASTOPEN));
	usleep(200000);
	close(s);

	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	linger0(s);
	{
		int one = 1;

		setsockopt(s, IPPROTO_TCP, 30 /* TCP_FASTOPEN_CONNECT */, &one,
			   sizeof(one));
	}
	TRY("tcp-fastopen-connect", connect(s, (void *)&t, sizeof(t)));
	TRY("tcp-write-after-fastopen-connect", write(s, "C", 1));
	close(s);
}

/* ---- class 13: local daemons ------------------------------------------ */

static long unix_connect(int type, const char *path, bool abstract)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	socklen_t len = sizeof(un);
	int s = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	long rc;
	int e;

	if (abstract) {
		un.sun_path[0] = '\0';
		strncpy(un.sun_path + 1, path, sizeof(un.sun_path) - 2);
		len = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(path);
	} else {
		strncpy(un.sun_path, path, sizeof(un.sun_path) - 1);
	}
	rc = connect(s, (void *)&un, len);
	e = errno;
	if (rc == 0 && write(s, "U", 1) < 0)
		;
	close(s);
	errno = e;
	return rc;
}

static long unix_sendto(const char *path, bool abstract, bool use_msg)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	socklen_t len = sizeof(un);
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct iovec iov = { "D", 1 };
	struct msghdr mh = { .msg_name = &un,
			     .msg_iov = &iov,
			     .msg_iovlen = 1 };
	long rc;
	int e;

	if (abstract) {
		un.sun_path[0] = '\0';
		strncpy(un.sun_path + 1, path, sizeof(un.sun_path) - 2);
		len = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(path);
	} else {
		strncpy(un.sun_path, path, sizeof(un.sun_path) - 1);
	}
	mh.msg_namelen = len;
	rc = use_msg ? sendmsg(s, &mh, 0)
		     : sendto(s, "D", 1, 0, (void *)&un, len);
	e = errno;
	close(s);
	errno = e;
	return rc;
}

static void cmd_local_daemons(const char *sock, const char *dgram,
			      const char *abs, const char *absd)
{
	const char *base = strrchr(CANARY, '/') + 1;
	int dfd = open(CANARY, O_PATH | O_DIRECTORY | O_CLOEXEC);

	symlink(sock, pathf("%s/l13", WS));
	symlink(dgram, pathf("%s/l13d", WS));
	symlink(CANARY, pathf("%s/l13dir", WS));
	snap_reset();

	TRY("unix-stream-connect", unix_connect(SOCK_STREAM, sock, false));
	TRY("unix-stream-connect-ws-symlink",
	    unix_connect(SOCK_STREAM, pathf("%s/l13", WS), false));
	TRY("unix-stream-connect-ws-dir-symlink",
	    unix_connect(SOCK_STREAM,
			 pathf("%s/l13dir/%s", WS, strrchr(sock, '/') + 1),
			 false));
	TRY("unix-stream-connect-relative",
	    unix_connect(SOCK_STREAM,
			 pathf("../%s/%s", base, strrchr(sock, '/') + 1),
			 false));
	TRY("unix-stream-connect-proc-self-root",
	    unix_connect(SOCK_STREAM, pathf("/proc/self/root%s", sock), false));
	TRY("unix-stream-connect-proc-fd-dir",
	    unix_connect(SOCK_STREAM,
			 pathf("/proc/self/fd/%d/%s", dfd,
			       strrchr(sock, '/') + 1),
			 false));
	TRY("unix-seqpacket-connect",
	    unix_connect(SOCK_SEQPACKET, sock, false));
	TRY("abstract-connect", unix_connect(SOCK_STREAM, abs, true));
	TRY("abstract-dgram-sendto", unix_sendto(absd, true, false));
	TRY("unix-dgram-sendto", unix_sendto(dgram, false, false));
	TRY("unix-dgram-sendmsg", unix_sendto(dgram, false, true));
	TRY("unix-dgram-connect", unix_connect(SOCK_DGRAM, dgram, false));
	TRY("unix-dgram-sendto-ws-symlink",
	    unix_sendto(pathf("%s/l13d", WS), false, false));
	TRY("unix-dgram-sendmsg-ws-symlink",
	    unix_sendto(pathf("%s/l13d", WS), false, true));
	TRY("unix-dgram-sendto-ws-dir-symlink",
	    unix_sendto(pathf("%s/l13dir/%s", WS, strrchr(dgram, '/') + 1),
			false, false));
	TRY("unix-dgram-sendto-ws-dotdot",
	    unix_sendto(pathf("%s/../%s/%s", WS, base, strrchr(dgram, '/') + 1),
			false, false));
	TRY("unix-dgram-sendto-relative",
	    unix_sendto(pathf("../%s/%s", base, strrchr(dgram, '/') + 1), false,
			false));
	TRY("unix-dgram-sendto-proc-self-root",
	    unix_sendto(pathf("/proc/self/root%s", dgram), false, false));
	close(dfd);
}

/* ---- class 14: other socket families ---------------------------------- */

static void cmd_families(void)
{
	struct addrinfo *ai = NULL, hints = { .ai_socktype = SOCK_STREAM };
	pid_t pid;
	char how[32];
	int st;

	TRY("af-packet-raw", socket(AF_PACKET, SOCK_RAW, htons(3)));
	TRY("af-packet-dgram", socket(AF_PACKET, SOCK_DGRAM, htons(3)));
	TRY("af-inet-raw", socket(AF_INET, SOCK_RAW, IPPROTO_RAW));
	TRY("af-inet6-raw", socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6));
	TRY("af-inet-raw-high-type-bits",
	    syscall(SYS_socket, AF_INET, SOCK_RAW | (1UL << 32), IPPROTO_RAW));
	TRY("netlink-audit", socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT));
	TRY("netlink-uevent",
	    socket(AF_NETLINK, SOCK_RAW, NETLINK_KOBJECT_UEVENT));
	TRY("netlink-sock-diag",
	    socket(AF_NETLINK, SOCK_RAW, NETLINK_SOCK_DIAG));
	TRY("netlink-generic", socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC));
	TRY("netlink-netfilter",
	    socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER));
	TRY("netlink-sock-diag-high-proto-bits",
	    syscall(SYS_socket, AF_NETLINK, SOCK_RAW,
		    NETLINK_SOCK_DIAG | (1UL << 32)));
	TRY("icmp-ping-socket", socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP));
	TRY("icmp6-ping-socket", socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6));
	TRY("icmp-ping-socket-high-proto-bits",
	    syscall(SYS_socket, AF_INET, SOCK_DGRAM,
		    IPPROTO_ICMP | (1UL << 32)));
	TRY("icmp6-ping-socket-high-proto-bits",
	    syscall(SYS_socket, AF_INET6, SOCK_DGRAM,
		    IPPROTO_ICMPV6 | (1UL << 32)));
	TRY("af-vsock", socket(AF_VSOCK, SOCK_STREAM, 0));
	TRY("af-vsock-high-bits",
	    syscall(SYS_socket, AF_VSOCK | (1UL << 32), SOCK_STREAM, 0));
	TRY("af-alg", socket(AF_ALG, SOCK_SEQPACKET, 0));
	TRY("af-key", socket(15 /* AF_KEY */, SOCK_RAW, 2));
	TRY("af-netlink-socketpair",
	    socketpair(AF_NETLINK, SOCK_RAW, 0, (int[2]){ 0 }));
	TRY("unshare-newuser", unshare(CLONE_NEWUSER));
	TRY("unshare-newuser-newns", unshare(CLONE_NEWUSER | CLONE_NEWNS));
	TRY("unshare-newuser-high-bits",
	    syscall(SYS_unshare, CLONE_NEWUSER | (1UL << 40)));
	TRY("unshare-newnet", unshare(CLONE_NEWNET));
	TRY("unshare-newns", unshare(CLONE_NEWNS));
	TRY("setns-own-net", setns(open("/proc/self/ns/net", O_RDONLY), 0));
	pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0)
		_exit(99);
	if (pid > 0) {
		st = wait_child(pid, how, sizeof(how));
		(void)st;
	}
	call_report("clone-newuser", pid, errno, true, false);

	/* name resolution keeps working */
	good("getaddrinfo-localhost",
	     getaddrinfo("localhost", "80", &hints, &ai) == 0 && ai);
	if (ai)
		freeaddrinfo(ai);
	ai = NULL;
	hints.ai_flags = AI_ADDRCONFIG;
	good("getaddrinfo-localhost-addrconfig",
	     getaddrinfo("localhost", "80", &hints, &ai) == 0 && ai);
	if (ai)
		freeaddrinfo(ai);
	good("netlink-route-socket",
	     socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE) >= 0);
}

/* ---- classes 15, 16: connect to a list of addresses ------------------- */

static long connect_addr(const char *ip, int port, unsigned scope)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int s;
	long rc;
	int e;

	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *a = (void *)&ss;

		*a = sin6(ip, port);
		a->sin6_scope_id = scope;
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (void *)&ss;

		*a = sin4(ip, port);
		len = sizeof(*a);
	}
	s = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	linger0(s);
	rc = connect(s, (void *)&ss, len);
	e = errno;
	if (rc == 0 && write(s, "A", 1) < 0)
		;
	close(s);
	errno = e;
	return rc;
}

/* connect PORT ADDR...: each must be refused ("-ok" suffix: must work). */
static void cmd_connect(int port, int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		char ip[128];
		const char *at = strchr(argv[i], '@');
		int p = port;
		bool want_ok = strstr(argv[i], "+ok") != NULL;
		long rc;

		snprintf(ip, sizeof(ip), "%.*s", (int)strcspn(argv[i], "@+"),
			 argv[i]);
		if (at)
			p = atoi(at + 1);
		errno = 0;
		rc = connect_addr(ip, p, 0);
		if (want_ok)
			good(pathf("connect-%s-%d", ip, p), rc == 0);
		else
			call_report(pathf("connect-%s-%d", ip, p), rc, errno,
				    true, false);
	}
}

/* ---- class 17: attacking the supervisor and neighbours ---------------- */

/*
 * Makes owner (a pid, or -pgid) the owner of a pipe with SIGKILL as its
 * I/O signal, then does I/O on it: the kernel would signal the owner.
 * cmd is F_SETOWN, or F_SETOWN_EX with the owner in a struct.
 */
static void setown_attempt(int cmd, pid_t owner, const char *label)
{
	struct f_owner_ex ox = { F_OWNER_PID, owner };
	long rc;
	int p[2], e;

	if (pipe2(p, O_CLOEXEC) < 0)
		die("pipe");
	errno = 0;
	rc = cmd == F_SETOWN_EX ? fcntl(p[0], cmd, &ox)
				: fcntl(p[0], cmd, owner);
	e = errno;
	if (rc == 0) {
		fcntl(p[0], F_SETSIG, SIGKILL);
		fcntl(p[0], F_SETFL, O_ASYNC | O_NONBLOCK);
		if (write(p[1], "x", 1) < 0)
			;
		usleep(100000);
	}
	printf("INFO %s + F_SETSIG(SIGKILL): %s\n", label,
	       rc == 0 ? "accepted, I/O done" : ename(e));
	close(p[0]);
	close(p[1]);
}
/*
 * ioctl(FIOSETOWN) and ioctl(SIOCSPGRP): F_SETOWN for sockets, the owner
 * in memory; then F_SETSIG(SIGKILL), FIOASYNC, and I/O on the socket.
 * Accepted for a process outside the tree is a win.
 */
static void setown_ioctl_attempt(unsigned long req, pid_t owner,
				 const char *name)
{
	int sv[2], on = 1, e;
	long rc;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair");
	errno = 0;
	rc = ioctl(sv[0], req, &owner);
	e = errno;
	if (rc == 0) {
		fcntl(sv[0], F_SETSIG, SIGKILL);
		ioctl(sv[0], FIOASYNC, &on);
		if (write(sv[1], "x", 1) < 0)
			;
		usleep(100000);
	}
	call_report(name, rc, e, true, false);
	close(sv[0]);
	close(sv[1]);
}

/* The same naming the caller: allowed, and F_GETOWN tells it. */
static bool setown_ioctl_self(void)
{
	int sv[2], me = getpid();
	bool ok;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair");
	ok = ioctl(sv[0], FIOSETOWN, &me) == 0 && fcntl(sv[0], F_GETOWN) == me;
	close(sv[0]);
	close(sv[1]);
	return ok;
}

/*
 * An outside process's /proc entries reached through a link of one's
 * own that lands in its /proc/PID: the cwd moved there, or a
 * descriptor of it (which the kernel opens where it answers reads).
 */
static void proc_outside_via_own(pid_t outside)
{
	int d = open(pathf("/proc/%d", outside),
		     O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char here[4096];

	if (getcwd(here, sizeof(here)) &&
	    chdir(pathf("/proc/%d", outside)) == 0) {
		TRY("open-proc-outside-environ-via-self-cwd",
		    open("/proc/self/cwd/environ", O_RDONLY | O_CLOEXEC));
		TRY("open-proc-outside-mem-via-self-cwd",
		    open("/proc/self/cwd/mem", O_RDONLY | O_CLOEXEC));
		/* relative, from the cwd there: its descriptors too */
		TRY("open-proc-outside-environ-relative",
		    open("environ", O_RDONLY | O_CLOEXEC));
		TRY("open-proc-outside-fd-relative",
		    open("fd/0", O_RDONLY | O_CLOEXEC));
		if (chdir(here) < 0)
			die("chdir back");
	}
	if (d >= 0) {
		TRY("openat-proc-outside-fd-by-dirfd",
		    openat(d, "fd/0", O_RDONLY | O_CLOEXEC));
		TRY("open-proc-outside-environ-via-fd-link",
		    open(pathf("/proc/self/fd/%d/environ", d),
			 O_RDONLY | O_CLOEXEC));
		close(d);
	}
}

static void cmd_supervisor(pid_t victim, pid_t outside)
{
	pid_t sup = getppid();
	struct iovec local, remote;
	char buf[64];
	struct rlimit rl;
	int k, wins, fd, pfd;

	printf("INFO supervisor pid %d\n", sup);
	TRY("ptrace-attach", ptrace(PTRACE_ATTACH, sup, 0, 0));
	TRY("ptrace-seize", ptrace(PTRACE_SEIZE, sup, 0, 0));
	TRY("ptrace-traceme-then-nothing", ptrace(PTRACE_TRACEME, 0, 0, 0));
	local.iov_base = buf;
	local.iov_len = sizeof(buf);
	remote.iov_base = (void *)0x10000;
	remote.iov_len = sizeof(buf);
	errno = 0;
	{
		long rc = process_vm_readv(sup, &local, 1, &remote, 1, 0);

		/* EFAULT: permission was granted, only the address was bad */
		call_report("process-vm-readv", rc, errno, true,
			    rc < 0 && errno == EFAULT);
		errno = 0;
		rc = process_vm_writev(sup, &local, 1, &remote, 1, 0);
		call_report("process-vm-writev", rc, errno, true,
			    rc < 0 && errno == EFAULT);
	}
	TRY("open-proc-sup-mem-rdonly",
	    open(pathf("/proc/%d/mem", sup), O_RDONLY | O_CLOEXEC));
	TRY("open-proc-sup-mem-rdwr",
	    open(pathf("/proc/%d/mem", sup), O_RDWR | O_CLOEXEC));
	TRY("open-proc-sup-environ",
	    open(pathf("/proc/%d/environ", sup), O_RDONLY | O_CLOEXEC));
	TRY("open-proc-sup-task-environ",
	    open(pathf("/proc/%d/task/%d/environ", sup, sup),
		 O_RDONLY | O_CLOEXEC));
	/*
	 * A /proc/PID directory of another process opens where the kernel
	 * judges reads (its names are public); what it leads to is the win:
	 * what the supervisor's descriptors are, or a signal through it.
	 */
	fd = open(pathf("/proc/%d/fd", sup),
		  O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	call_report("open-proc-sup-fd-dir", fd, errno, false,
		    fd >= 0 && fd_dir_reveals(fd));
	if (fd >= 0)
		close(fd);
	/* the supervisor's descriptors, reopened on our behalf */
	wins = 0;
	for (k = 0; k < 64; k++) {
		fd = open(pathf("/proc/%d/fd/%d", sup, k),
			  O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			char l[256] = "";
			ssize_t n = readlink(pathf("/proc/self/fd/%d", fd), l,
					     sizeof(l) - 1);

			l[n > 0 ? n : 0] = '\0';
			printf("INFO opened the supervisor's fd %d for reading:"
			       " %s\n",
			       k, l);
			wins++;
			close(fd);
		}
		fd = open(pathf("/proc/%d/fd/%d", sup, k),
			  O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			char l[256] = "";
			ssize_t n = readlink(pathf("/proc/self/fd/%d", fd), l,
					     sizeof(l) - 1);

			l[n > 0 ? n : 0] = '\0';
			printf("INFO opened the supervisor's fd %d for writing:"
			       " %s\n",
			       k, l);
			wins++;
			close(fd);
		}
	}
	call_report("open-proc-sup-fd-N", wins ? 0 : -1, EACCES, true, false);
	/* the same descriptors by other names */
	symlink(pathf("/proc/%d", sup), pathf("%s/sup17", WS));
	wins = 0;
	for (k = 0; k < 64; k++) {
		const char *names[] = {
			pathf("/proc/%d/task/%d/fd/%d", sup, sup, k),
			pathf("/proc/self/../%d/fd/%d", sup, k),
			pathf("%s/sup17/fd/%d", WS, k),
			pathf("/proc/%d/fdinfo/%d", sup, k),
		};
		size_t m;

		for (m = 0; m < sizeof(names) / sizeof(*names); m++) {
			fd = open(names[m], O_RDONLY | O_CLOEXEC);
			if (fd >= 0) {
				printf("INFO opened %s\n", names[m]);
				wins++;
				close(fd);
			}
		}
	}
	call_report("open-proc-sup-fd-N-other-names", wins ? 0 : -1, EACCES,
		    true, false);
	TRY("kill-sup-sigstop", kill(sup, SIGSTOP));
	kill(sup, SIGCONT);
	TRY("tgkill-sup-sigstop", syscall(SYS_tgkill, sup, sup, SIGSTOP));
	kill(sup, SIGCONT);
	TRY("tkill-sup-sigstop", syscall(SYS_tkill, sup, SIGSTOP));
	kill(sup, SIGCONT);
	{
		siginfo_t si = { .si_signo = SIGSTOP, .si_code = SI_QUEUE };

		TRY("rt-sigqueueinfo-sup-sigstop",
		    syscall(SYS_rt_sigqueueinfo, sup, SIGSTOP, &si));
		kill(sup, SIGCONT);
	}
	TRY("pidfd-open-sup", pfd = syscall(SYS_pidfd_open, sup, 0));
	if (pfd >= 0) {
		TRY("pidfd-getfd-sup", syscall(SYS_pidfd_getfd, pfd, 0, 0));
		close(pfd);
	}
	pfd = syscall(SYS_pidfd_open, getpid(), 0);
	TRY("pidfd-getfd-self", syscall(SYS_pidfd_getfd, pfd, 0, 0));
	close(pfd);
	fd = open(pathf("/proc/%d", sup), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	call_report("open-proc-sup-dir-as-pidfd", fd, errno, false,
		    fd >= 0 && signals_through(fd));
	if (fd >= 0)
		close(fd);
	if (prlimit(sup, RLIMIT_NOFILE, NULL, &rl) == 0) {
		/* the same values: permission is the win, no harm done */
		TRY("prlimit-sup-set-nofile",
		    prlimit(sup, RLIMIT_NOFILE, &rl, NULL));
	} else {
		printf("INFO prlimit read of the supervisor: %s\n",
		       strerror(errno));
	}
	errno = 0;
	printf("INFO setpriority(supervisor, current): %s\n",
	       setpriority(PRIO_PROCESS, sup, getpriority(PRIO_PROCESS, sup)) ==
			       0
		       ? "allowed"
		       : strerror(errno));

	/* a process outside the tree */
	if (outside > 0) {
		siginfo_t si = { .si_signo = SIGKILL, .si_code = SI_QUEUE };

		TRY("kill-outside", kill(outside, SIGKILL));
		/* in a child: a wrong answer could signal the caller */
		{
			pid_t c = fork();
			char how[32];
			int p[2], st;
			long rc = -1;
			int e = 0;

			if (pipe(p) < 0)
				die("pipe");
			if (c == 0) {
				errno = 0;
				rc = kill(-outside, SIGTERM);
				e = errno;
				if (write(p[1], &rc, sizeof(rc)) < 0 ||
				    write(p[1], &e, sizeof(e)) < 0)
					;
				_exit(0);
			}
			close(p[1]);
			if (read(p[0], &rc, sizeof(rc)) != sizeof(rc) ||
			    read(p[0], &e, sizeof(e)) != sizeof(e))
				rc = -1, e = 0;
			close(p[0]);
			st = wait_child(c, how, sizeof(how));
			call_report("kill-outside-group", rc, e, true, false);
			printf("INFO kill(-outside pgrp) caller: %s\n", how);
			good("kill-of-another-group-leaves-the-caller-alone",
			     WIFEXITED(st));
		}
		TRY("tgkill-outside",
		    syscall(SYS_tgkill, outside, outside, SIGKILL));
		TRY("tkill-outside", syscall(SYS_tkill, outside, SIGKILL));
		TRY("rt-sigqueueinfo-outside",
		    syscall(SYS_rt_sigqueueinfo, outside, SIGKILL, &si));
		pfd = syscall(SYS_pidfd_open, outside, 0);
		call_report("pidfd-open-outside", pfd, errno, true, false);
		if (pfd >= 0) {
			TRY("pidfd-send-signal-outside",
			    syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL,
				    0));
			close(pfd);
		}
		pfd = open(pathf("/proc/%d", outside),
			   O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		call_report("open-proc-outside-dir", pfd, errno, false,
			    pfd >= 0 && signals_through(pfd));
		if (pfd >= 0) {
			TRY("pidfd-send-signal-proc-dir-outside",
			    syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL,
				    0));
			close(pfd);
		}
		if (prlimit(outside, RLIMIT_NOFILE, NULL, &rl) == 0)
			TRY("prlimit-outside-set-nofile",
			    prlimit(outside, RLIMIT_NOFILE, &rl, NULL));
		/* F_SETOWN + F_SETSIG: the kernel signals the owner on I/O */
		setown_attempt(F_SETOWN, outside, "F_SETOWN(outside)");
		setown_attempt(F_SETOWN, -outside, "F_SETOWN(-outside)");
		/* F_SETOWN_EX: the owner is in a struct */
		setown_attempt(F_SETOWN_EX, outside, "F_SETOWN_EX(outside)");
		/* the same through the socket ioctls */
		setown_ioctl_attempt(FIOSETOWN, outside, "fiosetown-outside");
		setown_ioctl_attempt(SIOCSPGRP, -outside,
				     "siocspgrp-outside-group");
		good("fiosetown-self", setown_ioctl_self());
		TRY("open-proc-outside-environ",
		    open(pathf("/proc/%d/environ", outside),
			 O_RDONLY | O_CLOEXEC));
		proc_outside_via_own(outside);
	}
	/* a neighbour's pipe, reopened through /proc for writing */
	if (victim > 0) {
		long rc;

		errno = 0;
		fd = open(pathf("/proc/%d/fd/0", victim), O_WRONLY | O_CLOEXEC);
		rc = fd;
		if (fd >= 0) {
			if (write(fd, "INJECTED\n", 9) < 0)
				;
			close(fd);
		}
		call_report("write-neighbour-stdin-pipe", rc, errno, true,
			    false);
		errno = 0;
		fd = open(pathf("/proc/%d/fd/1", victim), O_RDONLY | O_CLOEXEC);
		call_report("read-neighbour-stdout", fd, errno, true, false);
		errno = 0;
		fd = open(pathf("/proc/%d/cwd/victim-cwd-file", victim),
			  O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		call_report("create-in-neighbour-cwd", fd, errno, true, false);
	}
}

/*
 * tty-async: the terminal's foreground given to the session leader's
 * group (outside the tree), then O_ASYNC with F_SETSIG(SIGKILL) on the
 * terminal, whose owner the kernel takes from the foreground group: the
 * next line typed would kill that group.  READY says when to type.
 */
static void cmd_tty_async(void)
{
	int fd = open("/dev/tty", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	long rc;

	if (fd < 0) {
		printf("INFO NOTTY %s\n", ename(errno));
		return;
	}
	signal(SIGTTOU, SIG_IGN);
	errno = 0;
	rc = tcsetpgrp(fd, getsid(0));
	printf("INFO tcsetpgrp(the session leader's group): %s\n",
	       rc == 0 ? "done" : ename(errno));
	fcntl(fd, F_SETSIG, SIGKILL);
	errno = 0;
	rc = fcntl(fd, F_SETFL, O_ASYNC | O_NONBLOCK);
	printf("INFO O_ASYNC on the terminal: %s\nREADY\n",
	       rc == 0 ? "set" : ename(errno));
	fflush(stdout);
	sleep(3);
	close(fd);
}

/* victim FILE: outside the tree, copies its stdin to FILE as it comes. */
static void cmd_victim(const char *file)
{
	char buf[256];
	int out = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	double end = now_s() + 60;

	while (now_s() < end) {
		ssize_t n = read(0, buf, sizeof(buf));

		if (n > 0) {
			if (write(out, buf, n) < 0)
				;
		} else {
			usleep(20000);
		}
	}
}

/* counter FILE: a loop that writes a growing counter, in two processes. */
static void cmd_counter(const char *file)
{
	long i;
	pid_t pid = fork();
	char f[4096];

	snprintf(f, sizeof(f), "%s%s", file, pid == 0 ? ".child" : "");
	write_file(pathf("%s.pid", f), pathf("%d\n", getpid()));
	for (i = 0; i < 6000; i++) {
		write_file(f, pathf("%ld\n", i));
		usleep(10000);
	}
}

/* ---- class 18: escaping the tree -------------------------------------- */

static void daemon_loop(const char *tag)
{
	long i;
	int wins = 0;

	write_file(pathf("%s/%s.pid", WS, tag), pathf("%d\n", getpid()));
	for (i = 0; i < 300; i++) {
		int fd = open(pathf("%s/%s.count", WS, tag),
			      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		if (fd >= 0) {
			if (write(fd, ".", 1) < 0)
				;
			close(fd);
		}
		fd = open(pathf("%s/%s", CANARY, tag),
			  O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0) {
			wins++;
			close(fd);
		}
		usleep(20000);
	}
	_exit(wins ? 99 : 0);
}

static void cmd_tree(void)
{
	struct {
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal,
			stack, stack_size, tls;
	} ca = { .exit_signal = SIGCHLD };
	long rc;
	pid_t pid;
	char how[32];
	int st;

	errno = 0;
	rc = syscall(SYS_clone3, &ca, sizeof(ca));
	if (rc == 0)
		_exit(0);
	if (rc > 0)
		wait_child(rc, how, sizeof(how));
	printf("CALL clone3-enosys rc=%ld errno=%s win=%d\n", rc,
	       rc < 0 ? ename(errno) : "0", !(rc < 0 && errno == ENOSYS));
	total_attempts++;
	total_wins += !(rc < 0 && errno == ENOSYS);
	ca.flags = CLONE_UNTRACED;
	errno = 0;
	rc = syscall(SYS_clone3, &ca, sizeof(ca));
	if (rc == 0) {
		int fd = open(pathf("%s/clone3-untraced", CANARY),
			      O_WRONLY | O_CREAT, 0644);
		_exit(fd >= 0 ? 99 : 0);
	}
	if (rc > 0)
		wait_child(rc, how, sizeof(how));
	call_report("clone3-untraced", rc, errno, true, false);

	errno = 0;
	rc = syscall(SYS_clone, CLONE_UNTRACED | SIGCHLD, 0, 0, 0, 0);
	if (rc == 0) {
		int fd = open(pathf("%s/clone-untraced", CANARY),
			      O_WRONLY | O_CREAT, 0644);
		_exit(fd >= 0 ? 99 : 0);
	}
	if (rc > 0)
		wait_child(rc, how, sizeof(how));
	call_report("clone-untraced", rc, errno, true, false);
	errno = 0;
	rc = syscall(SYS_clone,
		     CLONE_UNTRACED | CLONE_PARENT | SIGCHLD | (1UL << 40), 0,
		     0, 0, 0);
	if (rc == 0) {
		int fd = open(pathf("%s/clone-untraced2", CANARY),
			      O_WRONLY | O_CREAT, 0644);
		_exit(fd >= 0 ? 99 : 0);
	}
	call_report("clone-untraced-parent-high-bits", rc, errno, true, false);

	/* CLONE_PARENT: a child given to the parent (a command that may
	 * hold a grant) instead of to its maker: refused */
	errno = 0;
	rc = syscall(SYS_clone, CLONE_PARENT, 0, 0, 0, 0);
	if (rc == 0)
		_exit(0);
	call_report("clone-parent", rc, errno, true, false);

	/* reading another process's memory (one holding a grant): refused */
	{
		char got[8], from[8] = "secret";
		struct iovec l = { got, sizeof(got) },
			     r = { from, sizeof(from) };

		errno = 0;
		rc = process_vm_readv(getppid(), &l, 1, &r, 1, 0);
		call_report("process-vm-readv-parent", rc, errno, true, false);
	}

	/* vfork: the child writes the canary, then execs the denied program */
	pid = vfork();
	if (pid == 0) {
		int fd = open(pathf("%s/vfork", CANARY), O_WRONLY | O_CREAT,
			      0644);
		_exit(fd >= 0 ? 99 : 0);
	}
	st = wait_child(pid, how, sizeof(how));
	call_report("vfork-child-writes-canary", -1, EACCES, false,
		    WIFEXITED(st) && WEXITSTATUS(st) == 99);
	pid = vfork();
	if (pid == 0) {
		execve(PROG_NO, no_argv, environ);
		_exit(13);
	}
	wait_child(pid, how, sizeof(how));
	call_report("vfork-child-execs-denied", -1, EACCES, false,
		    exists(MARKER));

	/* a child that asks to be traced by its parent */
	pid = fork();
	if (pid == 0)
		_exit(ptrace(PTRACE_TRACEME, 0, 0, 0) == 0 ? 99 : 0);
	st = wait_child(pid, how, sizeof(how));
	call_report("child-ptrace-traceme", -1, EPERM, false,
		    WIFEXITED(st) && WEXITSTATUS(st) == 99);

	/* daemons that outlive the command (the script checks they end) */
	pid = fork();
	if (pid == 0) {
		setsid();
		if (fork() == 0)
			daemon_loop("daemon-dfork");
		_exit(0);
	}
	wait_child(pid, how, sizeof(how));
	pid = vfork();
	if (pid == 0) {
		if (fork() == 0)
			daemon_loop("daemon-vfork");
		_exit(0);
	}
	wait_child(pid, how, sizeof(how));
	usleep(300000);
	printf("INFO tree: the command exits, leaving its daemons\n");
}

/* ---- class 19: terminal injection ------------------------------------- */

static void cmd_tiocsti(void)
{
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	char c, got[64];
	int sub = 3; /* TIOCLINUX paste selection */
	int fl;
	ssize_t n;

	if (fd < 0 && isatty(0))
		fd = 0;
	if (fd < 0) {
		printf("INFO NOTTY: %s\n", strerror(errno));
		return;
	}
	c = '#';
	TRY("tiocsti", ioctl(fd, TIOCSTI, &c));
	TRY("tiocsti-high-bits",
	    syscall(SYS_ioctl, fd, (unsigned long)TIOCSTI | (1UL << 32), &c));
	TRY("tiocsti-high-bits-2",
	    syscall(SYS_ioctl, fd, (unsigned long)TIOCSTI | 0xdead00000000UL,
		    &c));
	/* n_null (27): the terminal would take no more input, after the
	 * run too */
	TRY("tiocsetd", ioctl(fd, TIOCSETD, &(int){ 27 }));
	TRY("tiocsetd-high-bits",
	    syscall(SYS_ioctl, fd, (unsigned long)TIOCSETD | (1UL << 32),
		    &(int){ 27 }));
	/* output suspended, which ^Q does not resume: the user's shell
	 * would hang at its next write (resumed here if it worked) */
	TRY("tcxonc-tcooff", ioctl(fd, TCXONC, TCOOFF));
	ioctl(fd, TCXONC, TCOON);
	TRY("tioclinux", ioctl(fd, TIOCLINUX, &sub));
	TRY("tioclinux-high-bits",
	    syscall(SYS_ioctl, fd, (unsigned long)TIOCLINUX | (1UL << 32),
		    &sub));
	/* whatever was injected is now in our own input */
	fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	usleep(100000);
	n = read(fd, got, sizeof(got));
	fcntl(fd, F_SETFL, fl);
	call_report("tty-input-injected", n > 0 ? 0 : -1, EAGAIN, true, false);
	if (n > 0)
		printf("INFO read back %zd injected bytes\n", n);
}

/* ---- class 20: prompt spoofing ---------------------------------------- */

static void cmd_spoof(void)
{
	static const char *names[] = {
		"\x1b[2J\x1b[Hproctor: allowed everything\x1b[8m",
		"\x1b]0;owned\x07title",
		"ctl\x01\x02\x08\x09\x0b\x0c\x0d\x7f-bytes",
		"bidi-\xe2\x80\xae"
		"fdp.exe",
		"isolate-\xe2\x81\xa7"
		"x\xe2\x81\xa9",
		"c1-\xc2\x9b"
		"31m-csi",
		"newline\nproctor: all good, nothing denied",
		"invalid-utf8-\xff\xfe-bytes",
	};
	size_t i;
	int fd;

	for (i = 0; i < sizeof(names) / sizeof(*names); i++) {
		fd = open(pathf("%s/%s", CANARY, names[i]),
			  O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		call_report(pathf("spoof-path-%zu", i), fd, errno, true, false);
	}
	/* a program name with an escape sequence */
	prctl(PR_SET_NAME, "\x1b[31mred\x1b[0m");
	fd = open(pathf("%s/spoof-comm", CANARY),
		  O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	call_report("spoof-comm", fd, errno, true, false);
	prctl(PR_SET_NAME, "attacks");
	/* socket names */
	TRY("spoof-unix-path",
	    unix_connect(SOCK_STREAM,
			 pathf("%s/\x1b[2Jsock\xe2\x80\xae", CANARY), false));
	TRY("spoof-abstract-name",
	    unix_connect(SOCK_STREAM, "\x1b[2Jabs\xe2\x80\xae\x07", true));
	/* the "allow with" advice must stay one quoted word */
	fd = open(pathf("%s/q'$(touch advice-pwned)'q", CANARY),
		  O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	call_report("spoof-quote-in-path", fd, errno, true, false);
	/* a denied exec whose arguments carry escapes */
	{
		pid_t pid = fork();
		char how[32];

		if (pid == 0) {
			char *argv[] = { "\x1b[2Jprog", "\x1b]0;t\x07",
					 "\xe2\x80\xae"
					 "arg",
					 NULL };

			execve(PROG_NO, argv, environ);
			_exit(13);
		}
		wait_child(pid, how, sizeof(how));
		call_report("spoof-exec-argv", -1, EACCES, false,
			    exists(MARKER));
	}
}

/* ---- the loopback server (run outside proctor by the scripts) --------- */

struct lsn {
	char name[64];
	int fd, type;
	long conns, bytes;
};

static void put_count(const char *dir, struct lsn *l)
{
	char tmp[4096], fin[4096], text[64];

	snprintf(tmp, sizeof(tmp), "%s/%s.count.tmp", dir, l->name);
	snprintf(fin, sizeof(fin), "%s/%s.count", dir, l->name);
	snprintf(text, sizeof(text), "%ld %ld\n", l->conns, l->bytes);
	write_file(tmp, text);
	rename(tmp, fin);
}

/*
 * serve DIR NAME=KIND[:ARG]...  KIND: tcp4 (127.0.0.1), tcp6any (::,
 * dual stack), udp4 (127.0.0.1), tcpaddr:IP:PORT, unix:PATH,
 * unixdgram:PATH, abstract:NAME, abstractdgram:NAME.  Writes DIR/NAME.port
 * and DIR/NAME.count ("connections bytes"), then DIR/ready.  Ends after
 * 150 s or on SIGTERM.
 */
static void cmd_serve(const char *dir, int argc, char **argv)
{
	struct lsn ls[16];
	struct pollfd pf[256];
	int owner[256];
	int nl = 0, np, i;
	double end = now_s() + 150;

	for (i = 0; i < argc && nl < 16; i++) {
		struct lsn *l = &ls[nl];
		char *eq = strchr(argv[i], '='), *kind, *arg;
		struct sockaddr_storage ss;
		socklen_t len = 0;
		int one = 1, zero = 0, fam, type;

		if (!eq)
			die("serve: NAME=KIND expected: %s", argv[i]);
		memset(l, 0, sizeof(*l));
		snprintf(l->name, sizeof(l->name), "%.*s", (int)(eq - argv[i]),
			 argv[i]);
		kind = eq + 1;
		arg = strchr(kind, ':');
		if (arg)
			*arg++ = '\0';
		memset(&ss, 0, sizeof(ss));
		if (!strcmp(kind, "tcp4") || !strcmp(kind, "udp4")) {
			*(struct sockaddr_in *)&ss = sin4("127.0.0.1", 0);
			len = sizeof(struct sockaddr_in);
			fam = AF_INET;
			type = kind[0] == 't' ? SOCK_STREAM : SOCK_DGRAM;
		} else if (!strcmp(kind, "tcp6any")) {
			*(struct sockaddr_in6 *)&ss = sin6("::", 0);
			len = sizeof(struct sockaddr_in6);
			fam = AF_INET6;
			type = SOCK_STREAM;
		} else if (!strcmp(kind, "tcpaddr")) {
			char *colon = strrchr(arg, ':');

			*colon = '\0';
			*(struct sockaddr_in *)&ss = sin4(arg, atoi(colon + 1));
			len = sizeof(struct sockaddr_in);
			fam = AF_INET;
			type = SOCK_STREAM;
		} else {
			struct sockaddr_un *un = (void *)&ss;
			bool abs = !strncmp(kind, "abstract", 8);

			un->sun_family = AF_UNIX;
			if (abs) {
				strncpy(un->sun_path + 1, arg,
					sizeof(un->sun_path) - 2);
				len = offsetof(struct sockaddr_un, sun_path) +
				      1 + strlen(arg);
			} else {
				strncpy(un->sun_path, arg,
					sizeof(un->sun_path) - 1);
				len = sizeof(*un);
				unlink(arg);
			}
			fam = AF_UNIX;
			type = strstr(kind, "dgram") ? SOCK_DGRAM : SOCK_STREAM;
		}
		l->type = type;
		l->fd = socket(fam, type | SOCK_CLOEXEC, 0);
		if (l->fd < 0)
			die("serve %s: socket: %s", l->name, strerror(errno));
		setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (fam == AF_INET6)
			setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
				   sizeof(zero));
		if (bind(l->fd, (void *)&ss, len) < 0)
			die("serve %s: bind: %s", l->name, strerror(errno));
		if (type == SOCK_STREAM && listen(l->fd, 4096) < 0)
			die("serve %s: listen: %s", l->name, strerror(errno));
		if (fam != AF_UNIX) {
			len = sizeof(ss);
			getsockname(l->fd, (void *)&ss, &len);
			write_file(pathf("%s/%s.port", dir, l->name),
				   pathf("%d\n",
					 ntohs(((struct sockaddr_in *)&ss)
						       ->sin_port)));
		}
		put_count(dir, l);
		nl++;
	}
	write_file(pathf("%s/ready", dir), "ready\n");
	np = nl;
	for (i = 0; i < nl; i++) {
		pf[i].fd = ls[i].fd;
		pf[i].events = POLLIN;
		owner[i] = i;
	}
	while (now_s() < end) {
		int r = poll(pf, np, 500);

		if (r <= 0)
			continue;
		for (i = 0; i < np; i++) {
			struct lsn *l = &ls[owner[i]];
			char buf[4096];

			if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (i < nl && l->type == SOCK_STREAM) {
				int c = accept4(pf[i].fd, NULL, NULL,
						SOCK_CLOEXEC | SOCK_NONBLOCK);

				if (c < 0)
					continue;
				l->conns++;
				put_count(dir, l);
				if (np < 256) {
					pf[np].fd = c;
					pf[np].events = POLLIN;
					pf[np].revents = 0;
					owner[np++] = owner[i];
				} else {
					close(c);
				}
			} else {
				ssize_t n = recv(pf[i].fd, buf, sizeof(buf),
						 MSG_DONTWAIT);

				if (n > 0) {
					l->bytes += n;
					if (i < nl)
						l->conns++; /* datagrams */
					put_count(dir, l);
				} else if (i >= nl &&
					   (n == 0 || errno != EAGAIN)) {
					close(pf[i].fd);
					pf[i] = pf[np - 1];
					owner[i] = owner[np - 1];
					np--;
					i--;
				}
			}
		}
	}
}

/* A native check: does the kernel itself allow NAME (used for context). */
static void cmd_probe(const char *what)
{
	long rc = -1;

	errno = 0;
	if (!strcmp(what, "tiocsti")) {
		int fd = open("/dev/tty", O_RDWR | O_NOCTTY);
		char c = ' ';

		if (fd >= 0) {
			rc = ioctl(fd, TIOCSTI, &c);
			if (rc == 0) {
				char got[8];

				fcntl(fd, F_SETFL, O_NONBLOCK);
				usleep(50000);
				if (read(fd, got, sizeof(got)) < 0)
					;
			}
		}
	} else if (!strcmp(what, "icmp")) {
		rc = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	} else if (!strcmp(what, "packet")) {
		rc = socket(AF_PACKET, SOCK_RAW, htons(3));
	} else if (!strcmp(what, "userns")) {
		pid_t pid = fork();
		int st = -1;

		if (pid == 0)
			_exit(unshare(CLONE_NEWUSER) == 0 ? 0 : errno);
		waitpid(pid, &st, 0);
		rc = WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
		errno = WIFEXITED(st) ? WEXITSTATUS(st) : 0;
	} else if (!strcmp(what, "fchmodat2")) {
		rc = syscall(SYS_fchmodat2, AT_FDCWD, ".", 0755, 0);
	} else if (!strcmp(what, "setxattrat")) {
		struct {
			uint64_t value;
			uint32_t size, flags;
		} xa = { (uintptr_t) "1", 1, 0 };

		rc = syscall(SYS_setxattrat, AT_FDCWD, ".", 0, "user.probe",
			     &xa, sizeof(xa));
	} else if (!strcmp(what, "file_setattr")) {
		struct {
			uint64_t x;
			uint32_t a, b, c, d;
		} fa = { 0 };

		rc = syscall(SYS_file_setattr, AT_FDCWD, ".", &fa, sizeof(fa),
			     0);
	} else if (!strcmp(what, "tcp_fastopen")) {
		rc = 0;
	}
	printf("PROBE %s rc=%ld errno=%s\n", what, rc,
	       rc < 0 ? ename(errno) : "0");
}

static void usage(void)
{
	fprintf(stderr, "usage: attacks SUBCOMMAND [ARG]...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *c;

	if (argc < 2)
		usage();
	c = argv[1];
	if (!strcmp(c, "serve")) {
		if (argc < 3)
			usage();
		cmd_serve(argv[2], argc - 3, argv + 3);
		return 0;
	}
	if (!strcmp(c, "victim")) {
		cmd_victim(argv[2]);
		return 0;
	}
	setup();
	if (!strcmp(c, "probe")) {
		cmd_probe(argv[2]);
		return 0;
	}
	canary_state = snap();

	if (!strcmp(c, "race-open-write"))
		cmd_race_open(attempts_arg(argc, argv, 2, 100000), true);
	else if (!strcmp(c, "race-open-read"))
		cmd_race_open(attempts_arg(argc, argv, 2, 20000), false);
	else if (!strcmp(c, "race-connect") && argc >= 5)
		cmd_race_connect(atol(argv[2]), atoi(argv[3]), atoi(argv[4]));
	else if (!strcmp(c, "race-fchmod"))
		cmd_race_fchmod(attempts_arg(argc, argv, 2, 20000));
	else if (!strcmp(c, "race-openat2-opath") && argc > 2)
		cmd_race_openat2_opath(attempts_arg(argc, argv, 3, 20000),
				       argv[2]);
	else if (!strcmp(c, "race-openat2-how"))
		cmd_race_openat2_how(attempts_arg(argc, argv, 2, 20000));
	else if (!strcmp(c, "race-sendmsg") && argc >= 5)
		cmd_race_sendmsg(atol(argv[2]), atoi(argv[3]), atoi(argv[4]));
	else if (!strcmp(c, "race-sendto") && argc >= 4)
		cmd_race_sendto(atol(argv[2]), atoi(argv[3]));
	else if (!strcmp(c, "stale-children"))
		cmd_stale_children(attempts_arg(argc, argv, 2, 500));
	else if (!strcmp(c, "signal-storm"))
		cmd_signal_storm(attempts_arg(argc, argv, 2, 5000));
	else if (!strcmp(c, "nested-listener"))
		cmd_nested_listener();
	else if (!strcmp(c, "race-dirlink"))
		cmd_race_dirlink(attempts_arg(argc, argv, 2, 20000));
	else if (!strcmp(c, "race-kind") && argc >= 5)
		cmd_race_kind(argv[2], argv[3], atol(argv[4]));
	else if (!strcmp(c, "race-linkswap") && argc >= 4)
		cmd_race_linkswap(atol(argv[3]), argv[2]);
	else if (!strcmp(c, "links"))
		cmd_links();
	else if (!strcmp(c, "magic"))
		cmd_magic();
	else if (!strcmp(c, "race-magic") && argc >= 4)
		cmd_race_magic(argv[2], atol(argv[3]));
	else if (!strcmp(c, "write-calls"))
		cmd_write_calls();
	else if (!strcmp(c, "handles"))
		cmd_handles();
	else if (!strcmp(c, "exec-variants"))
		cmd_exec_variants();
	else if (!strcmp(c, "exec-race"))
		cmd_exec_race(attempts_arg(argc, argv, 2, 1000), false);
	else if (!strcmp(c, "exec-race-argv"))
		cmd_exec_race(attempts_arg(argc, argv, 2, 1000), true);
	else if (!strcmp(c, "long-argv0") && argc >= 3)
		cmd_long_argv0(argc - 2, argv + 2);
	else if (!strcmp(c, "exec-race-shebang") && argc >= 3)
		cmd_exec_race_shebang(argv[2],
				      attempts_arg(argc, argv, 3, 1000));
	else if (!strcmp(c, "exec-race-script") && argc >= 3)
		cmd_exec_race_script(argv[2],
				     attempts_arg(argc, argv, 3, 1000));
	else if (!strcmp(c, "foreign-abi"))
		cmd_foreign_abi();
	else if (!strcmp(c, "io-uring"))
		cmd_io_uring();
	else if (!strcmp(c, "send-dest") && argc >= 4)
		cmd_send_dest(atoi(argv[2]), atoi(argv[3]));
	else if (!strcmp(c, "local-daemons") && argc >= 6)
		cmd_local_daemons(argv[2], argv[3], argv[4], argv[5]);
	else if (!strcmp(c, "families"))
		cmd_families();
	else if (!strcmp(c, "connect") && argc >= 3)
		cmd_connect(atoi(argv[2]), argc - 3, argv + 3);
	else if (!strcmp(c, "supervisor") && argc >= 4)
		cmd_supervisor(atoi(argv[2]), atoi(argv[3]));
	else if (!strcmp(c, "counter") && argc >= 3)
		cmd_counter(argv[2]);
	else if (!strcmp(c, "tree"))
		cmd_tree();
	else if (!strcmp(c, "tty-async"))
		cmd_tty_async();
	else if (!strcmp(c, "tiocsti"))
		cmd_tiocsti();
	else if (!strcmp(c, "spoof"))
		cmd_spoof();
	else
		usage();
	printf("TOTAL attempts=%d wins=%d\n", total_attempts, total_wins);
	return 0;
}
#endif
