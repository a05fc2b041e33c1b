/* follow: the least a supervisor built like proctor can cost.
 *
 *   follow PROGRAM [ARG...]
 *
 * Runs PROGRAM under a seccomp filter that sends its execve calls to a
 * listener, which lets each go on at once, while ptrace follows the whole
 * tree (fork, vfork, clone and exec events) and passes signals on, doing
 * nothing else.  `make bench` times the fork + exec workload under it: the
 * stops and the notification every supervisor of this design pays before
 * it does any work of its own.  Exits with PROGRAM's status.
 */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int listener = -1;

/* Lets every notified call go on, as soon as it arrives. */
static void *answer(void *arg)
{
	struct seccomp_notif n;
	struct seccomp_notif_resp r;

	(void)arg;
	for (;;) {
		memset(&n, 0, sizeof(n));
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &n) < 0)
			return NULL;
		memset(&r, 0, sizeof(r));
		r.id = n.id;
		r.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &r);
	}
}

/* In the child: the filter, its listener to the parent, then the exec. */
static void child(int sock, char **argv)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execve, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };
	int fd;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		_exit(125);
	fd = syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER,
		     SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	if (fd < 0 || write(sock, &fd, sizeof(fd)) != sizeof(fd))
		_exit(125);
	raise(SIGSTOP); /* until the parent has seized it */
	execvp(argv[0], argv);
	_exit(127);
}

/* Follows every task until the tree is gone; returns the first's status. */
static int follow(pid_t first)
{
	int st, status = 0;
	pid_t pid;

	while ((pid = waitpid(-1, &st, __WALL)) > 0) {
		if (WIFSTOPPED(st)) {
			int sig = WSTOPSIG(st);

			/* an event stop carries no signal to deliver */
			if (st >> 16 || sig == SIGCONT)
				sig = 0;
			ptrace(PTRACE_CONT, pid, 0, sig);
		} else if (pid == first) {
			status = WIFEXITED(st) ? WEXITSTATUS(st)
					       : 128 + WTERMSIG(st);
		}
	}
	return status;
}

int main(int argc, char **argv)
{
	int sock[2], fd, pidfd;
	pthread_t t;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: %s PROGRAM [ARG...]\n", argv[0]);
		return 2;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sock) < 0)
		return 125;
	pid = fork();
	if (pid == 0)
		child(sock[1], argv + 1);
	if (pid < 0 || read(sock[0], &fd, sizeof(fd)) != sizeof(fd))
		return 125;
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	listener = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	if (listener < 0 || pthread_create(&t, NULL, answer, NULL))
		return 125;
	waitpid(pid, NULL, WSTOPPED);
	if (ptrace(PTRACE_SEIZE, pid, 0,
		   PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
			   PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC |
			   PTRACE_O_EXITKILL) < 0)
		return 125;
	kill(pid, SIGCONT);
	return follow(pid);
}
