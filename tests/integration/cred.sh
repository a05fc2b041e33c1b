#!/bin/bash
# Run as root, proctor makes a task's calls with the task's credentials:
# a process of the run that became another user, or dropped a
# capability, gets the kernel's answers that user would get natively
# (file permissions, owners of what it makes, a unix socket's peer
# credentials), not root's.  Root only: changing users needs it.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

if [ "$(id -u)" != 0 ] || ! pt_need "credentials" setpriv python3; then
	[ "$(id -u)" != 0 ] && pt_skip "credentials" "needs root"
	pt_done
fi

# Debian's python: another user cannot reach one under root's home.
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)

# Everything is reached relative to the workspace: the test's directory
# sits under root's home, which another user cannot search.
chmod 755 "$T" "$WS"
echo root-only >rootonly
chmod 600 rootonly
mkdir -m 700 private
echo inside >private/f
chmod 644 private/f
mkdir -m 777 shared
echo group >grouped
chgrp 4242 grouped
chmod 660 grouped
mkfifo -m 600 rootfifo
echo mine >nobodys
chown 65534:65534 nobodys
chmod 600 nobodys

# A unix stream server, as root, saying each peer's credentials.
cat >"$T/server.py" <<'PY'
import os, socket, struct, sys
for name, mode in (("open.sock", 0o666), ("closed.sock", 0o600)):
    s = socket.socket(socket.AF_UNIX)
    s.bind(name)
    os.chmod(name, mode)
    s.listen(8)
    if name == "open.sock":
        srv = s
open("ready", "w").close()
while True:
    c, _ = srv.accept()
    pid, uid, gid = struct.unpack("3i", c.getsockopt(
        socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
    with open("peers", "a") as f:
        f.write("%d %d\n" % (uid, gid))
    c.close()
PY
python3 "$T/server.py" &
server=$!
pt_at_exit "kill $server 2>/dev/null"
pt_wait_for 10 test -e ready || pt_fail "the server starts"

# What the task tries; each line: NAME ERRNO (0: done).
cat >"$T/try.py" <<'PY'
import ctypes, errno, os, socket, sys

def attempt(name, fn):
    try:
        fn()
        print(name, 0)
    except OSError as e:
        print(name, e.errno)

def append(path):
    with open(path, "a") as f:
        f.write("x\n")

def connect(path):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.close()

def bind(path):
    socket.socket(socket.AF_UNIX).bind(path)

attempt("append-rootonly", lambda: append("rootonly"))
attempt("read-private", lambda: open("private/f").read())
attempt("write-fifo", lambda: os.open("rootfifo", os.O_WRONLY | os.O_NONBLOCK))
attempt("create", lambda: open("shared/made", "w").close())
attempt("mkdir", lambda: os.mkdir("shared/dir"))
attempt("bind", lambda: bind("shared/s.sock"))
attempt("append-grouped", lambda: append("grouped"))
attempt("connect-open", lambda: connect("open.sock"))
attempt("connect-closed", lambda: connect("closed.sock"))
attempt("chmod-rootonly", lambda: os.chmod("rootonly", 0o666))
attempt("link-rootonly", lambda: os.link("rootonly", "shared/hard"))
attempt("rename-rootonly", lambda: os.rename("rootonly", "shared/moved"))
PY

as_nobody() {
	setpriv --reuid 65534 --regid 65534 --clear-groups "$@"
}

# The same attempts natively and under proctor: the same answers.
# (python makes a script's path absolute, through root's home: -c)
try=$(cat "$T/try.py")
native=$(as_nobody "$py" -c "$try" 2>&1)
rm -rf shared/* peers
pt_run --allow-net unix:"$WS"/open.sock --allow-net unix:"$WS"/closed.sock \
	-- setpriv --reuid 65534 --regid 65534 --clear-groups "$py" -c "$try"
pt_status "the run as another user ends well" 0
pt_is "another user gets the kernel's answers, as natively" \
	"$(cat "$PT_OUT")" "$native"
pt_is "the root-only file is unchanged" "$(cat rootonly)" root-only
pt_is "what it made is its own" \
	"$(stat -c '%u:%g' shared/made shared/dir shared/s.sock | sort -u)" \
	"65534:65534"
pt_is "a unix socket's server sees the user it became" "$(cat peers)" \
	"65534 65534"

# A path through /proc is walked with the task's credentials too, but
# within its own /proc/PID (its descriptors, after the change of uid
# left them root's, as natively).
pt_run -- setpriv --reuid 65534 --regid 65534 --clear-groups sh -c \
	'echo x >>/proc/self/root'"$WS"'/private/g; echo rc=$?
	mkdir /proc/self/root'"$WS"'/private/d; echo rc=$?
	ls /proc/self/fd >/dev/null && echo own-fd'
pt_is "through /proc/self/root: refused as natively, its own fds listed" \
	"$(cat "$PT_OUT")" "rc=2
rc=1
own-fd"
pt_absent "... nothing made" private/g private/d

# A process that changed its uid without an exec is not dumpable: calls
# that proctor reads arguments of still work, as that user.
pt_run -- "$py" -c '
import os
os.setgroups([])
os.setresgid(65534, 65534, 65534)
os.setresuid(65534, 65534, 65534)
os.symlink("target", "shared/link")
os.utime("shared/link", (1, 1), follow_symlinks=False)
os.setxattr("shared", "user.k", b"v")
print("done")'
pt_grep "a process not dumpable after setresuid: symlink, utime, setxattr" \
	"$PT_OUT" '^done$'
pt_is "... as that user" "$(stat -c %u shared/link)" 65534

# A receiver under SO_PASSCRED is told the sending process's pid, not
# the supervisor's (Chromium's zygote tells its browser its children so)
pt_run -- "$py" -c '
import os, socket, struct
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
b.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
pid = os.fork()
if pid == 0:
    a.sendmsg([b"x"])
    os._exit(0)
msg, anc, flags, addr = b.recvmsg(16, socket.CMSG_SPACE(12))
os.waitpid(pid, 0)
p, u, g = struct.unpack("3i", anc[0][2][:12])
print("pid", "the child" if p == pid else p, "uid", u == os.getuid())'
pt_grep "SO_PASSCRED: a sendmsg names the sending process and its uid" \
	"$PT_OUT" '^pid the child uid True$'

# A datagram's receiver under SO_PASSCRED is told the sender's uid.
cat >"$T/dgram.py" <<'PY'
import os, socket, struct
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("dgram.sock")
os.chmod("dgram.sock", 0o666)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
open("dgram.ready", "w").close()
for i in range(2):
    msg, anc, flags, addr = s.recvmsg(16, socket.CMSG_SPACE(12))
    with open("dgram.peer", "a") as f:
        for level, kind, data in anc:
            f.write("%d %d\n" % struct.unpack("3i", data)[1:])
PY
python3 "$T/dgram.py" &
pt_at_exit "kill $! 2>/dev/null"
pt_wait_for 10 test -e dgram.ready || pt_fail "the datagram server starts"
pt_run --allow-net unix:"$WS"/dgram.sock -- setpriv --reuid 65534 \
	--regid 65534 --clear-groups "$py" -c '
import socket
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"x", "dgram.sock")'
pt_wait_for 10 test -s dgram.peer
pt_is "a datagram's receiver is told the uid and gid it became" \
	"$(cat dgram.peer 2>&1)" "65534 65534"
# a real uid apart from the effective one: the real one, as natively
pt_run --allow-net unix:"$WS"/dgram.sock -- "$py" -c '
import os, socket
os.setresgid(65534, 65533, 0)
os.setresuid(65534, 65533, 0)
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"x", "dgram.sock")'
pt_status "... a send with a real uid apart from the effective one" 0
pt_wait_for 10 test "$(wc -l <dgram.peer)" -ge 2
pt_is "... is told the real uid and gid" "$(sed -n 2p dgram.peer 2>&1)" \
	"65534 65534"

# Its supplementary groups count; a group it left does not.
pt_run -- setpriv --reuid 65534 --regid 65534 --groups 4242 \
	sh -c 'echo more >>grouped'
pt_status "a supplementary group lets it write" 0
pt_run -- setpriv --reuid 65534 --regid 65534 --clear-groups \
	sh -c 'echo more >>grouped'
pt_status "without the group it cannot" 2

# Only the filesystem uid changed (setfsuid): files are checked as that
# uid's, though the effective uid is still root's.
pt_run -- python3 -c '
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.setfsuid(65534)
for name in ("rootonly", "nobodys"):
    try:
        open(name, "a").close()
        print(name, 0)
    except OSError as e:
        print(name, e.errno)'
pt_is "setfsuid alone: checked as the filesystem uid" "$(cat "$PT_OUT")" \
	"rootonly 13
nobodys 0"

# Credentials are a thread's: one thread that became another user (a raw
# setresuid, not glibc's, which changes every thread) is refused what
# the others, still root, may do; and each call is made as its own
# thread, however the calls of both interleave.
pt_run -- python3 -c '
import ctypes, threading
libc = ctypes.CDLL(None, use_errno=True)
out = {}
def other():
    libc.syscall(117, 65534, 65534, 65534)  # SYS_setresuid
    for i in range(50):
        try:
            open("rootonly", "a").close()
            out["thread"] = "opened"
        except OSError as e:
            out.setdefault("thread", e.errno)
t = threading.Thread(target=other)
t.start()
for i in range(50):
    open("rootonly", "a").close()
t.join()
print("thread", out["thread"])'
pt_status "a root thread beside one that is not opens root's file" 0
pt_is "... and the other thread is refused, every time" "$(cat "$PT_OUT")" \
	"thread 13"

# Root that gave up CAP_DAC_OVERRIDE (and the run's CAP_DAC_READ_SEARCH
# is gone already): another user's private file is closed to it.
pt_run -- setpriv --inh-caps=-all --bounding-set -dac_override \
	sh -c 'echo x >>nobodys'
pt_status "root without CAP_DAC_OVERRIDE cannot write another's file" 2
pt_is "that file is unchanged" "$(cat nobodys)" mine

# Root keeps root's permissions: nothing is taken from an ordinary run.
pt_run -- sh -c 'echo more >>rootonly && cat private/f >/dev/null &&
	echo x >>nobodys'
pt_status "root still writes root's files and reads private ones" 0

# Root's run cannot hang up the user's terminal (vhangup(2) wants
# CAP_SYS_TTY_CONFIG, which the run has not)
pt_run -- grep '^CapEff:' /proc/self/status
cap=$(awk '{print $2}' "$PT_OUT")
if [ -n "$cap" ] && [ $((0x$cap >> 26 & 1)) = 0 ]; then
	pt_ok "root's run lacks CAP_SYS_TTY_CONFIG"
else
	pt_fail "root's run lacks CAP_SYS_TTY_CONFIG" "CapEff $cap"
fi
# nor take the host's CPUs with a real-time priority (CAP_SYS_NICE)
if [ -n "$cap" ] && [ $((0x$cap >> 23 & 1)) = 0 ]; then
	pt_ok "root's run lacks CAP_SYS_NICE"
else
	pt_fail "root's run lacks CAP_SYS_NICE" "CapEff $cap"
fi
# where the kernel refuses a new IPC namespace (systemd's
# RestrictNamespaces=ipc, a container's root), the run says what it lacks
if command -v cc >/dev/null 2>&1; then
	cat >"$T/noipc.c" <<'C'
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_unshare, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x08000000, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog p = { sizeof(f) / sizeof(*f), f };

	(void)argc;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &p))
		return 1;
	execv(argv[1], argv + 1);
	return 127;
}
C
	cc -o "$T/noipc" "$T/noipc.c" &&
		timeout -k 5 "$PT_TIMEOUT" "$T/noipc" "$PROCTOR" run --no-log -- true \
			</dev/null >"$PT_OUT" 2>"$PT_ERR"
	pt_grep "a root run without an IPC namespace of its own says so" \
		"$PT_ERR" "cannot give the run an IPC namespace of its own"
fi
if command -v chrt >/dev/null; then
	pt_run -- chrt -f 10 true
	pt_isnt "... so chrt -f fails" "$PT_RC" 0
fi

pt_done
