#!/bin/bash
# proctor keeps each task's cwd (a descriptor) and umask between the
# calls that change them (tracer/ident.c): files made relative to the cwd
# land where they do natively and take the umask the task has, after
# chdir, fchdir, umask, a chdir by another thread that shares the cwd,
# a thread with a cwd of its own (unshare(CLONE_FS)), a fork that
# changes both, and an exec.  One program prints what it made, natively
# and under proctor, with and without a log; the outputs must agree.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
pt_need "kept cwd and umask" cc || { pt_done; exit 0; }

cat >"$T/kept.c" <<'C'
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char top[4096];

/* Makes name (a file, or a directory when dir) and prints where it
 * landed, below top, with its mode. */
static void make(const char *what, const char *name, int dir)
{
	char real[4096];
	struct stat st;
	int fd = -1;

	if (dir ? mkdir(name, 0777) : (fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0666)) < 0) {
		printf("%s: failed\n", what);
		return;
	}
	if (fd >= 0)
		close(fd);
	if (!realpath(name, real) || stat(name, &st) < 0) {
		printf("%s: lost\n", what);
		return;
	}
	printf("%s: %s %o\n", what, real + strlen(top), st.st_mode & 07777);
}

static void *chdir_b(void *arg)
{
	(void)arg;
	if (chdir("b") < 0)
		printf("thread chdir failed\n");
	return NULL;
}

static void *own_cwd(void *arg)
{
	(void)arg;
	if (unshare(CLONE_FS) < 0 || chdir("c") < 0) {
		printf("own cwd: failed\n");
		return NULL;
	}
	umask(027);
	make("thread with its own cwd", "t1", 0);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	int dfd, i, st;

	if (argc > 2) { /* after an exec */
		snprintf(top, sizeof(top), "%s", argv[2]);
		make("after exec", "e1", 0);
		return 0;
	}
	getcwd(top, sizeof(top));
	mkdir("a", 0755);
	mkdir("b", 0755);
	mkdir("c", 0755);
	umask(022);
	make("start", "f0", 0);
	for (i = 0; i < 3; i++) {
		char n[16];

		snprintf(n, sizeof(n), "a%d", i);
		if (chdir(i % 2 ? top : "a") < 0)
			return 1;
		umask(i % 2 ? 077 : 002);
		make("chdir + umask, file", n, 0);
		snprintf(n, sizeof(n), "d%d", i);
		make("chdir + umask, dir", n, 1);
	}
	if (chdir(top) < 0)
		return 1;
	umask(022);
	dfd = open("c", O_RDONLY | O_DIRECTORY);
	if (fchdir(dfd) < 0)
		return 1;
	make("fchdir", "g1", 0);
	if (chdir(top) < 0)
		return 1;

	/* another thread moves the cwd both share */
	make("before the thread", "h1", 0);
	pthread_create(&t, NULL, chdir_b, NULL);
	pthread_join(t, NULL);
	make("after the thread's chdir", "h2", 0);
	if (chdir(top) < 0)
		return 1;

	/* a thread with a cwd and umask of its own leaves ours alone */
	pthread_create(&t, NULL, own_cwd, NULL);
	pthread_join(t, NULL);
	make("after the thread with its own cwd", "h3", 0);

	/* a child changes its own, not ours */
	fflush(stdout);
	if (fork() == 0) {
		umask(0);
		if (chdir("a") < 0)
			_exit(1);
		make("child", "k1", 0);
		fflush(stdout);
		_exit(0);
	}
	wait(&st);
	make("parent after the child", "k2", 0);

	/* an exec keeps both */
	umask(077);
	if (chdir("b") < 0)
		return 1;
	fflush(stdout);
	if (fork() == 0) {
		execl("/proc/self/exe", "kept", "again", top, (char *)NULL);
		_exit(1);
	}
	wait(&st);
	return 0;
}
C
cc -O2 -pthread -o "$T/kept" "$T/kept.c" ||
	{ pt_fail "compile kept"; pt_done; exit 0; }

mkdir -p "$T/native"
(cd "$T/native" && "$T/kept") >"$T/native.txt" 2>&1
pt_grep "natively, the program ran to its end" "$T/native.txt" '^after exec: /b/e1 600$'
pt_grep "natively, the child made its file" "$T/native.txt" '^child: /a/k1 666$'

for mode in --no-log --log-reads; do
	rm -rf "${WS:?}"/*
	pt_run "$mode" -- "$T/kept"
	pt_status "$mode: the program runs under proctor" 0
	if diff "$T/native.txt" "$PT_OUT" >"$T/diff.txt"; then
		pt_ok "$mode: every file lands where and as it does natively"
	else
		pt_fail "$mode: every file lands where and as it does natively"
		pt_diag_file "$T/diff.txt"
	fi
done
# a shell that changes both and then waits for its children: its change
# is done while it waits (tracer/ident.c settle_done)
rm -rf "${WS:?}"/*
mkdir -p "$WS/sub"
pt_run --no-log -- bash -c 'cd sub && umask 077 && touch f1 && mkdir d1 &&
	sleep 0.2 && touch f2; cd .. && umask 022 && touch f3; true'
pt_status "shell: the run ends well" 0
pt_is "shell: each file where the shell's cwd was, with its umask" \
	"$(cd "$WS" && stat -c '%n %a' sub/f1 sub/d1 sub/f2 f3 | tr '\n' ' ')" \
	"sub/f1 600 sub/d1 700 sub/f2 600 f3 644 "

# a unix socket bound just after umask(0177), as ssh, ssh-agent and tmux
# bind theirs: its file has that umask's mode, not an earlier one's
if [ -n "$PT_PY" ]; then
	rm -rf "${WS:?}"/*
	(umask 000 && pt_run --no-log -- "$PT_PY" -c '
import os, socket
os.umask(0o177)
socket.socket(socket.AF_UNIX).bind("s1")')
	pt_is "a bound socket takes the umask set just before" \
		"$(stat -c %a "$WS/s1" 2>&1)" 600
fi
pt_done
