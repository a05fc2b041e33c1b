#!/bin/bash
# Emulated opens answer as the kernel does: one program makes opens with
# the shapes path.c and open.c take short cuts for (a name in the cwd,
# ".", "..", trailing slashes, symlinks, O_CREAT of what exists, a dirfd
# that is no directory, a removed cwd, the umask of a new file), natively
# and under proctor, and both print the same results.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
pt_need "open edge cases" cc || { pt_done; exit 0; }

cat >"$T/edges.c" <<'C'
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char top[4096];

/* Prints what opening p from dfd gives: the object's name below the
 * directory the program started in, and its mode; or the errno. */
static void try(const char *what, int dfd, const char *p, int flags)
{
	int fd = openat(dfd, p, flags, 0640);
	char link[64], name[4096] = "";
	struct stat st;
	size_t n = strlen(top);
	ssize_t len;

	if (fd < 0) {
		printf("%-22s %s\n", what, strerrorname_np(errno));
		return;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	len = readlink(link, name, sizeof(name) - 1);
	name[len > 0 ? len : 0] = '\0';
	fstat(fd, &st);
	printf("%-22s %s %o\n", what,
	       strncmp(name, top, n) ? name : name + n, st.st_mode);
	close(fd);
}

int main(void)
{
	int df, dd, dp;
	struct stat st;

	getcwd(top, sizeof(top));
	mkdir("d", 0755);
	close(open("f", O_CREAT | O_WRONLY, 0644));
	symlink("f", "lnk");
	symlink("d", "dlnk");
	try("name", AT_FDCWD, "f", O_RDONLY);
	try("dot", AT_FDCWD, ".", O_RDONLY);
	try("dot O_CREAT", AT_FDCWD, ".", O_RDONLY | O_CREAT);
	try("dir O_CREAT", AT_FDCWD, "d", O_RDONLY | O_CREAT);
	try("file slash", AT_FDCWD, "f/", O_RDONLY);
	try("dir slash", AT_FDCWD, "d/", O_RDONLY);
	try("link", AT_FDCWD, "lnk", O_RDONLY);
	try("link nofollow", AT_FDCWD, "lnk", O_RDONLY | O_NOFOLLOW);
	try("link creat excl", AT_FDCWD, "lnk", O_WRONLY | O_CREAT | O_EXCL);
	try("link creat", AT_FDCWD, "lnk", O_WRONLY | O_CREAT);
	try("dir link slash", AT_FDCWD, "dlnk/", O_RDONLY);
	try("file creat", AT_FDCWD, "f", O_WRONLY | O_CREAT);
	try("file creat excl", AT_FDCWD, "f", O_WRONLY | O_CREAT | O_EXCL);
	try("outside creat excl", AT_FDCWD, "/etc/hostname",
	    O_WRONLY | O_CREAT | O_EXCL);
	try("file creat trunc", AT_FDCWD, "f", O_WRONLY | O_CREAT | O_TRUNC);
	/* review2: open_existing drops O_CREAT, so EINVAL became ENOTDIR */
	try("file creat dir", AT_FDCWD, "f", O_WRONLY | O_CREAT | O_DIRECTORY);
	/* the kernel's EINVAL, before any lookup */
	try("dir creat dir", AT_FDCWD, "d", O_RDONLY | O_CREAT | O_DIRECTORY);
	try("new creat dir", AT_FDCWD, "new0", O_RDONLY | O_CREAT | O_DIRECTORY);
	try("tmpfile rdonly", AT_FDCWD, "d", O_RDONLY | O_TMPFILE);
	try("tmpfile creat", AT_FDCWD, "d", O_RDWR | O_TMPFILE | O_CREAT);
	try("tmpfile missing", AT_FDCWD, "nope", O_RDONLY | O_TMPFILE);
	try("file creat slash", AT_FDCWD, "f/", O_WRONLY | O_CREAT);
	try("new file", AT_FDCWD, "new1", O_WRONLY | O_CREAT);
	try("missing", AT_FDCWD, "nope", O_RDONLY);
	try("missing dir", AT_FDCWD, "nope/x", O_RDONLY);
	try("file as dir", AT_FDCWD, "f/x", O_RDONLY);
	df = open("f", O_RDONLY);
	dd = open("d", O_RDONLY | O_DIRECTORY);
	dp = open("d", O_PATH);
	try("dirfd file dot", df, ".", O_RDONLY);
	try("dirfd file name", df, "x", O_RDONLY);
	try("dirfd new file", dd, "n2", O_WRONLY | O_CREAT);
	try("dirfd dot", dd, ".", O_RDONLY);
	try("dir O_DIRECTORY", AT_FDCWD, "d", O_RDONLY | O_DIRECTORY);
	try("dir O_PATH|O_DIRECTORY", AT_FDCWD, "d", O_PATH | O_DIRECTORY);
	try("dirfd O_PATH dotdot", dp, "..", O_RDONLY);
	try("dirfd bad", 999, "x", O_RDONLY);
	{
		char self[64];

		snprintf(self, sizeof(self), "/proc/self/fd/%d", dd);
		try("fd link dir creat", AT_FDCWD, self, O_RDONLY | O_CREAT);
		try("fd link dir write", AT_FDCWD, self, O_WRONLY);
		try("fd link creat excl", AT_FDCWD, self,
		    O_WRONLY | O_CREAT | O_EXCL);
		snprintf(self, sizeof(self), "/proc/self/fd/%d", df);
		try("fd link file creat", AT_FDCWD, self, O_RDONLY | O_CREAT);
	}
	try("root", AT_FDCWD, "/", O_RDONLY);
	mkdir("gone", 0755);
	if (chdir("gone") == 0 && rmdir("../gone") == 0) {
		try("removed cwd dot", AT_FDCWD, ".", O_RDONLY);
		try("removed cwd name", AT_FDCWD, "x", O_RDONLY);
		try("removed cwd creat", AT_FDCWD, "x", O_WRONLY | O_CREAT);
	}
	if (chdir(top) < 0)
		return 1;
	umask(077);
	try("umask new file", AT_FDCWD, "new2", O_WRONLY | O_CREAT);
	try("umask old file", AT_FDCWD, "new2", O_WRONLY | O_CREAT);
	stat("new2", &st);
	printf("new file mode %o\n", st.st_mode);
	return 0;
}
C
cc -O2 -o "$T/edges" "$T/edges.c" || { pt_fail "compile edges"; pt_done; exit 0; }

mkdir -p "$T/native"
(cd "$T/native" && "$T/edges") >"$T/native.txt"
pt_run -- "$T/edges"
pt_status "the edge cases run under proctor" 0
if diff "$T/native.txt" "$PT_OUT" >"$T/diff.txt"; then
	pt_ok "every open answers as it does natively"
else
	pt_fail "every open answers as it does natively"
	pt_diag_file "$T/diff.txt"
fi
# again with every read-only open brought to proctor, not the kernel
rm -rf "$WS"/*
pt_run --log-reads -- "$T/edges"
pt_status "the edge cases run under proctor with --log-reads" 0
if diff "$T/native.txt" "$PT_OUT" >"$T/diff.txt"; then
	pt_ok "... every open answers as it does natively"
else
	pt_fail "... every open answers as it does natively"
	pt_diag_file "$T/diff.txt"
fi

# O_CREAT of a file that exists, only to read, makes nothing: a read, as
# flock(1) opens its lock file; one that does not exist is a write.
pt_run -- "$PT_PY" -c '
import os, sys
fd = os.open(sys.argv[1] + "/existing", os.O_RDONLY | os.O_CREAT)
print("existing", os.read(fd, 5).decode())
try:
    os.open(sys.argv[1] + "/new", os.O_RDONLY | os.O_CREAT)
    print("new made")
except OSError as e:
    print("new", e.errno)
' "$CANARY"
pt_status "O_RDONLY|O_CREAT of an existing file outside: opened to read" 0
pt_grep "... it reads it" "$PT_OUT" '^existing canar'
pt_grep "... and one that does not exist is refused" "$PT_OUT" '^new 13$'
pt_absent "... nothing made" "$CANARY/new"
if command -v flock >/dev/null; then
	pt_run -- flock "$CANARY/existing" true
	pt_status "flock on a file outside the workspace" 0
	lk=$(mktemp /tmp/pt-lock.XXXXXX)
	pt_at_exit "rm -f $lk"
	pt_run -- flock "$lk" true
	pt_status "flock on a file of one's own in /tmp" 0
fi
pt_run -- "$PT_PY" -c '
import os, sys
try:
    os.open(sys.argv[1], os.O_RDONLY | os.O_CREAT)
except OSError as e:
    print(e.strerror)
' "$CANARY"
pt_grep "O_CREAT of a directory: EISDIR, as natively" "$PT_OUT" '^Is a directory$'
# in a sticky directory (/tmp) O_CREAT of another's file is the kernel's
# to refuse (fs.protected_regular): proctor answers as the kernel does
if [ "$(id -u)" = 0 ] && [ -k /tmp ] && [ -w /proc/sys/fs/protected_regular ]; then
	f=$(mktemp /tmp/pt-sticky.XXXXXX)
	chown nobody "$f"
	was=$(cat /proc/sys/fs/protected_regular)
	pt_at_exit "rm -f $f; echo $was >/proc/sys/fs/protected_regular"
	cat >"$T/creat.py" <<'PY'
import os, sys
try:
    os.open(sys.argv[1], os.O_RDONLY | os.O_CREAT)
    print("opened")
except OSError as e:
    print(e.strerror)
PY
	for level in 0 1; do
		echo $level >/proc/sys/fs/protected_regular
		want=$("$PT_PY" "$T/creat.py" "$f")
		pt_run -- "$PT_PY" "$T/creat.py" "$f"
		pt_is "O_CREAT of another's file in /tmp, protected_regular=$level" \
			"$(cat "$PT_OUT")" "$want"
	done
	echo "$was" >/proc/sys/fs/protected_regular
fi

# A file system's own ioctls go to proctor: queries and a clone into a
# file open for writing go on (lsattr, cp's FICLONE), the rest are
# refused with EPERM and a record (tests/escape class 6 tries them).
echo data >"$WS/orig"
pt_run -- sh -c 'cp --reflink=auto orig copy && cat copy'
pt_status "cp --reflink=auto works (FICLONE)" 0
pt_grep "... the copy is whole" "$PT_OUT" '^data$'
if command -v lsattr >/dev/null && lsattr "$WS/orig" >/dev/null 2>&1; then
	pt_run -- lsattr orig
	pt_status "lsattr works (FS_IOC_GETFLAGS)" 0
fi
pt_run -- "$PT_PY" -c '
import ctypes, errno, os
libc = ctypes.CDLL(None, use_errno=True)
d = os.open(".", os.O_RDONLY)
buf = ctypes.create_string_buffer(4096)
# BTRFS_IOC_SUBVOL_CREATE
if libc.ioctl(d, ctypes.c_ulong(0x5000940e), buf) < 0:
    print("subvol", errno.errorcode[ctypes.get_errno()])
'
pt_grep "a btrfs subvolume is refused by proctor, whatever the file system" \
	"$PT_OUT" '^subvol EPERM$'
pt_grep "... and logged" "$PT_LOG" '"syscall":"ioctl".*"decision":"deny".*"where":"ioctl"'

# Calls on a descriptor by "" and AT_EMPTY_PATH change what it names, as
# natively (fchownat, utimensat; linkat, which needs root natively):
# in the workspace they work, outside they are refused.
echo x >"$WS/e1"
pt_run -- "$PT_PY" -c '
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
E = 0x1000  # AT_EMPTY_PATH
def say(what, r):
    print(what, "ok" if r == 0 else os.strerror(ctypes.get_errno()))
fd = os.open("e1", os.O_RDONLY)
say("fchownat", libc.fchownat(fd, b"", os.getuid(), os.getgid(), E))
say("utimensat", libc.utimensat(fd, b"", None, E))
if os.getuid() == 0:
    say("linkat", libc.linkat(fd, b"", -100, b"e2", E))
out = os.open(sys.argv[1] + "/existing", os.O_RDONLY)
say("outside utimensat", libc.utimensat(out, b"", None, E))
' "$CANARY"
pt_grep "fchownat of a descriptor by AT_EMPTY_PATH" "$PT_OUT" '^fchownat ok$'
pt_grep "utimensat of a descriptor by AT_EMPTY_PATH" "$PT_OUT" '^utimensat ok$'
if [ "$(id -u)" = 0 ]; then
	pt_grep "linkat of a descriptor by AT_EMPTY_PATH (root)" "$PT_OUT" \
		'^linkat ok$'
fi
pt_grep "... outside, refused" "$PT_OUT" '^outside utimensat Permission denied$'

# Paths through the task's own /proc/self: another of its threads
# (/proc/self/task/TID), a directory descriptor (/proc/self/fd/N/name,
# /dev/fd/N/name), which proctor's own /proc/self does not hold.
mkdir -p "$WS/sub" && echo inside >"$WS/sub/r.txt"
cat >"$T/own.py" <<'PY'
import os, sys, threading
d = os.dup2(os.open("sub", os.O_RDONLY | os.O_DIRECTORY), 37)
for path, flags in (("/proc/self/fd/37/r.txt", os.O_RDONLY),
                    ("/dev/fd/37/r.txt", os.O_RDONLY),
                    ("/proc/self/fd/37/w.txt", os.O_WRONLY | os.O_CREAT),
                    ("/dev/fd/37/w2.txt", os.O_WRONLY | os.O_CREAT)):
    try:
        os.close(os.open(path, flags, 0o644))
        print(path, "ok")
    except OSError as e:
        print(path, e.strerror)
ev = threading.Event()
th = threading.Thread(target=ev.wait)
th.start()
try:
    open("/proc/self/task/%d/stat" % th.native_id).read()
    print("task stat ok")
except OSError as e:
    print("task stat", e.strerror)
for name in ("task/%d/comm" % th.native_id, "coredump_filter"):
    try:
        path = "/proc/self/" + name
        was = open(path).read()
        open(path, "w").write("named" if name.endswith("comm") else was)
        print(name.split("/")[-1], "set")
    except OSError as e:
        print(name.split("/")[-1], e.strerror)
ev.set()
th.join()
PY
for reads in "" --log-reads; do
	pt_run $reads -- "$PT_PY" "$T/own.py"
	for p in /proc/self/fd/37/r.txt /dev/fd/37/r.txt \
		/proc/self/fd/37/w.txt /dev/fd/37/w2.txt; do
		pt_grep "$p, through a descriptor of the task's own ${reads:-}" \
			"$PT_OUT" "^$p ok$"
	done
	pt_grep "another thread's /proc/self/task/TID ${reads:-}" "$PT_OUT" \
		'^task stat ok$'
done
# A process's own settings: refused where the write floor stands, with
# that reason; set where it does not (--ask: no floor).
pt_grep "a thread's name under the write floor: refused" "$PT_OUT" \
	'^comm Permission denied$'
pt_grep "... with the floor as the reason" "$PT_ERR" \
	"^proctor: denied write /proc/[0-9]*/task/[0-9]*/comm by python3 .*: a setting of a process of the run, which the kernel's write floor \\(Landlock\\) keeps from everything in /proc$"
# each process's own setting refused: said once, not once a process
pt_run -- sh -c 'for i in 1 2 3; do sh -c "echo 5 >/proc/\$\$/oom_score_adj"
	done 2>/dev/null'
pt_is "three processes' oom_score_adj refused: one line" \
	"$(grep -c '^proctor: denied write /proc/[0-9]*/oom_score_adj' "$PT_ERR")" 1
pt_grep "... and the count of all three at the end" "$PT_ERR" \
	'^proctor: 3 denied'
pt_run --ask -- "$PT_PY" "$T/own.py"
pt_grep "a thread's name without the floor: set" "$PT_OUT" '^comm set$'
pt_grep "... and the process's coredump_filter" "$PT_OUT" \
	'^coredump_filter set$'
pt_nogrep "... without a question or a denial" "$PT_ERR" 'denied|\?'

# A name longer than NAME_MAX (255) is refused, ENAMETOOLONG, as natively,
# last or in the middle, never cut to 255 and made.
long=$(printf 'b%.0s' $(seq 300))
dir255=$(printf 'c%.0s' $(seq 255))
mkdir -p "$WS/$dir255"
script="echo hi >$long; echo open=\$?; mkdir $long; echo mkdir=\$?
	echo hi >${dir255}ccc/x; echo middle=\$?; echo hi >$dir255/$long
	echo deep=\$?"
native=$(cd "$WS" && sh -c "$script" 2>/dev/null)
pt_run -- sh -c "$script"
pt_is "a name longer than 255 bytes fails as natively (ENAMETOOLONG)" \
	"$(cat "$PT_OUT")" "$native"
pt_absent "... and nothing cut to 255 bytes is made" \
	"$WS/$(printf 'b%.0s' $(seq 255))"
# a process whose main thread has ended (pthread_exit in main): its
# other threads' calls that proctor makes with their descriptors work
# (the thread's own descriptor table, not the ended main thread's)
if command -v cc >/dev/null 2>&1; then
	cat >"$T/zl.c" <<'C'
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
static int dfd;
static void *work(void *a)
{
	usleep(200000);
	int fd = openat(dfd, "zl-out", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	printf("openat %s\n", fd >= 0 ? "ok" : strerror(errno));
	printf("fchmod %s\n", fchmod(fd, 0600) == 0 ? "ok" : strerror(errno));
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	strcpy(sun.sun_path, "zl-sock");
	unlink("zl-sock");
	printf("bind %s\n", bind(s, (void *)&sun, sizeof(sun)) == 0 ? "ok" : strerror(errno));
	printf("sendto %s\n", sendto(s, "x", 1, 0, (void *)&sun, sizeof(sun)) == 1 ? "ok" : strerror(errno));
	fflush(stdout);
	unlink("zl-sock");
	return a;
}
int main(void)
{
	pthread_t t;
	dfd = open(".", O_RDONLY | O_DIRECTORY);
	pthread_create(&t, 0, work, 0);
	pthread_exit(0);
}
C
	cc -pthread -o "$T/zl" "$T/zl.c"
	pt_run -- "$T/zl"
	pt_is "main thread ended: openat(dirfd), fchmod, bind, sendto of another thread" \
		"$(tr '\n' ' ' <"$PT_OUT")" "openat ok fchmod ok bind ok sendto ok "
fi

# at RLIMIT_NOFILE an open that would create fails with EMFILE and makes
# nothing, as natively (proctor made the file, then could not give it)
cat >"$T/emf.c" <<'C'
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
int main(void)
{
	struct rlimit rl = { 16, 16 };
	setrlimit(RLIMIT_NOFILE, &rl);
	while (open("/dev/null", O_RDONLY) >= 0)
		;
	int fd = open("emfile.lock", O_WRONLY | O_CREAT | O_EXCL, 0644), e = errno;
	printf("open %s; file %s\n", fd >= 0 ? "ok" : strerror(e),
	       access("emfile.lock", F_OK) == 0 ? "exists" : "absent");
	return 0;
}
C
cc -o "$T/emf" "$T/emf.c"
pt_run -- "$T/emf"
pt_grep "open(O_CREAT) at the descriptor limit: EMFILE, no file left" \
	"$PT_OUT" '^open Too many open files; file absent$'

# ---- O_CREAT | O_EXCL reads nothing that was there --------------------------
# (mkstemp opens its new file to read and write: under a policy that
# lists reads, as a learned one does, a read rule has nothing to say of
# it; O_PATH ignores both and opens what is there)
echo '{"files": {"read": {"default": "deny", "allow": ["/usr", "/etc",
	"/lib", "/lib64", "/proc", "/dev", "'"$T"'/excl"]}}}' >"$T/rd.json"
echo KEY >"$WS/old"
cat >"$T/excl.c" <<'C'
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>

int main(void)
{
	static const struct { const char *name; int flags; } t[] = {
		{ "new", O_RDWR | O_CREAT | O_EXCL },
		{ "old", O_RDWR | O_CREAT | O_EXCL },
		{ "old", O_RDWR | O_CREAT },
		{ "old", O_PATH | O_CREAT | O_EXCL },
	};
	unsigned i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int fd = open(t[i].name, t[i].flags, 0600);

		printf("%s %s\n", t[i].name, fd >= 0 ? "opened" : strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	return 0;
}
C
cc -o "$T/excl" "$T/excl.c"
(cd "$WS" && pt_run --policy "$T/rd.json" -- "$T/excl")
pt_grep "O_RDWR|O_CREAT|O_EXCL of a new name no read rule allows: made" \
	"$PT_OUT" '^new opened$'
pt_grep "... of an existing one: EEXIST, as natively" "$PT_OUT" \
	'^old File exists$'
pt_is "... O_RDWR|O_CREAT of the existing one, and O_PATH with O_EXCL: denied" \
	"$(grep -c '^old Permission denied$' "$PT_OUT")" 2

# openat2's own refusals, before the path: as the kernel's
cat >"$T/how.c" <<'C'
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
struct how { uint64_t flags, mode, resolve; uint64_t more[4]; };
static void try(const char *what, struct how h, size_t size)
{
	long fd = syscall(SYS_openat2, AT_FDCWD, "/etc/hostname", &h, size);
	printf("%s %s\n", what, fd < 0 ? strerror(errno) : "opened");
}
int main(void)
{
	try("plain", (struct how){ O_RDONLY }, 24);
	try("zero-tail", (struct how){ O_RDONLY }, 32);
	try("tail", (struct how){ O_RDONLY, .more = { 1 } }, 32);
	try("huge", (struct how){ O_RDONLY }, 8192);
	try("mode", (struct how){ O_RDONLY, 0644 }, 24);
	try("bigmode", (struct how){ O_RDWR | O_CREAT, 070000 }, 24);
	try("flag", (struct how){ O_RDONLY | 0x4000000 }, 24);
	try("resolve", (struct how){ O_RDONLY, 0, 0x80 }, 24);
	try("path-rdwr", (struct how){ O_PATH | O_RDWR }, 24);
	return 0;
}
C
if cc -o "$T/how" "$T/how.c" 2>/dev/null; then
	"$T/how" >"$T/how.native" 2>&1
	pt_run -- "$T/how"
	pt_is "openat2's refusals before the path are the kernel's" \
		"$(cat "$PT_OUT")" "$(cat "$T/how.native")"
fi
pt_done

