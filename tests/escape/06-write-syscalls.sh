#!/bin/bash
# Class 6, other syscalls that write: every call that can create,
# change or remove a file, aimed at the canary (by path, by dirfd, by a
# read-only or O_PATH descriptor), including the newer calls (fchmodat2,
# setxattrat, removexattrat, file_setattr) and the old ones (utime,
# utimes, futimesat), ioctl flags, and bind of a unix socket path.
# Also: the Landlock write floor is in force however proctor's output
# is connected.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
. "$PT_TESTS/escape/helpers.bash"
esc_init 6

esc_run -- "$T/attacks" write-calls
esc_results
esc_canary_ok "every write call"

# again where the policy leaves no Landlock floor (writes allowed by
# default, the canary denied): the supervisor alone
esc_nofloor
esc_run --policy "$T/nofloor.json" -- "$T/attacks" write-calls
esc_results "no floor"
esc_canary_ok "no floor, every write call"

# A core dump is a file the kernel writes in the cwd, judged by nobody:
# a crash in the canary's directory (no floor), and over an existing
# `core` in /tmp, where the floor lets the run make files of its own
crash='ulimit -c unlimited 2>/dev/null; cd "$1" && sh -c '"'"'kill -SEGV $$'"'"''
core_dir=$(mktemp -d /tmp/pt-core.XXXXXX)
pt_cleanup_add "$core_dir"
chmod 777 "$core_dir"
sh -c "$crash" sh "$core_dir" 2>/dev/null
if [ -s "$core_dir/core" ]; then
	echo precious >"$core_dir/core"
	chmod 666 "$core_dir/core"
	esc_run --policy "$T/nofloor.json" -- sh -c "$crash" sh "$CANARY/dir"
	esc_canary_ok "no floor, a core dump in the canary's directory"
	esc_run -- sh -c "$crash" sh "$core_dir"
	pt_is "class 6: a crash leaves an existing core file as it was" \
		"$(cat "$core_dir/core")" precious
else
	pt_skip "class 6: core dumps" "natively none here ($(cat /proc/sys/kernel/core_pattern))"
fi
esc_run -- sh -c 'ulimit -c; ulimit -Hc'
pt_is "class 6: the program starts with no room for a core" \
	"$(tr '\n' ' ' <"$PT_OUT")" "0 0 "

# A POSIX message queue made outside the run: not received from, not
# removed, in any mode (a receive takes the message away)
cat >"$T/mq.py" <<'PY'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.mq_open.restype = ctypes.c_int
name = sys.argv[2].encode()
def say(what, rc):
    print(what, "ok" if rc >= 0 else os.strerror(ctypes.get_errno()))
if sys.argv[1] == "make":
    q = libc.mq_open(name, os.O_CREAT | os.O_RDWR, 0o666, None)
    say("make", q)
    say("send", libc.mq_send(q, b"kept", 4, 0))
elif sys.argv[1] == "attack":
    say("open", libc.mq_open(name, os.O_RDONLY | os.O_NONBLOCK))
    say("unlink", libc.mq_unlink(name))
elif sys.argv[1] == "file":
    # a queue opened as a file of a mounted mqueue file system
    q = os.open(sys.argv[3], os.O_RDONLY | os.O_NONBLOCK)
    buf = ctypes.create_string_buffer(8192)
    say("receive", libc.mq_timedreceive(q, buf, 8192, None, None))
    say("notify", libc.mq_notify(q, None))
else:
    q = libc.mq_open(name, os.O_RDONLY | os.O_NONBLOCK)
    buf = ctypes.create_string_buffer(8192)
    n = libc.mq_receive(q, buf, 8192, None)
    print("left", buf.raw[:n].decode() if n > 0 else "nothing")
    libc.mq_unlink(name)
PY
mq=/pt-mq-$$
if "$PT_PY" "$T/mq.py" make "$mq" | grep -q '^send ok'; then
	for mode in --log-reads --policy; do
		if [ "$mode" = --policy ]; then
			set -- --policy "$T/nofloor.json"
		else
			set -- "$mode"
		fi
		esc_run "$@" -- "$PT_PY" "$T/mq.py" attack "$mq"
		pt_is "class 6: an outside message queue, $mode: not opened, not removed" \
			"$(tr '\n' ' ' <"$PT_OUT")" "open Permission denied unlink Permission denied "
	done
	if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
		mkdir -p "$T/mqueue"
		unshare -m sh -c 'mount -t mqueue none "$1" && shift &&
			"$@"' sh "$T/mqueue" "$PROCTOR" run --log "$PT_LOG" -- \
			"$PT_PY" "$T/mq.py" file "$mq" "$T/mqueue${mq}" \
			>"$PT_OUT" 2>"$PT_ERR"
		pt_is "class 6: a queue opened as a file: no receive, no notify" \
			"$(tr '\n' ' ' <"$PT_OUT")" "receive Permission denied notify Permission denied "
	fi
	pt_is "... and its message is still there" \
		"$("$PT_PY" "$T/mq.py" check "$mq")" "left kept"
else
	pt_skip "class 6: message queues" "none can be made here"
fi

# Another user's SysV shared memory: a run started as root may still
# become that user (CAP_SETUID stays, for programs that drop privileges),
# and SysV objects are not files: the run has an IPC namespace of its own
cat >"$T/sysv.py" <<'PY'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
key = int(sys.argv[2])
def err():
    return os.strerror(ctypes.get_errno())
if sys.argv[1] == "make":
    i = libc.shmget(key, 4096, 0o1000 | 0o600)
    ctypes.memmove(libc.shmat(i, None, 0), b"VICTIM", 6)
    print(i)
elif sys.argv[1] == "attack":
    os.setresuid(int(sys.argv[3]), int(sys.argv[3]), int(sys.argv[3]))
    i = libc.shmget(key, 0, 0)
    print("get", "ok" if i >= 0 else err())
    if i >= 0:
        print("rmid", "ok" if libc.shmctl(i, 0, None) == 0 else err())
else:
    i = libc.shmget(key, 0, 0)
    print("left" if i >= 0 else "gone")
    if i >= 0 and sys.argv[1] == "remove":
        libc.shmctl(i, 0, None)
PY
as_victim() {
	runuser -u proctortest -- /usr/bin/python3 - "$@" <"$T/sysv.py"
}
key=$((0x7e000000 + $$))
if [ "$(id -u)" = 0 ] && id proctortest >/dev/null 2>&1 &&
	[ -x /usr/bin/python3 ] && as_victim make "$key" >/dev/null &&
	[ "$(as_victim check "$key")" = left ]; then
	esc_run -- "$PT_PY" "$T/sysv.py" attack "$key" "$(id -u proctortest)"
	pt_is "class 6: a root run that becomes another user finds none of its SysV segments" \
		"$(tr '\n' ' ' <"$PT_OUT")" "get No such file or directory "
	pt_is "... and the segment is still there" \
		"$(as_victim remove "$key")" left
fi

# A lease on a file the run may read (the canary's, its own) would hold
# the user's writers of it outside up to lease-break-time (45 s) each
esc_run -- "$PT_PY" -c 'import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
try:
    fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
    print("leased")
except OSError as e:
    print(e.strerror)' "$CANARY/existing"
pt_is "class 6: no lease on a file outside, which would hold its writers" \
	"$(cat "$PT_OUT")" "Permission denied"

# The floor is the kernel's backstop under every class: it must not
# depend on where stdout and stderr go.
floor() {
	grep '"type":"kernel"' "$PT_LOG" | sed -n 's/.*"write_floor":"\([^"]*\)".*/\1/p'
}
esc_run -- true
want=$(floor)
pt_diag "write floor with output to files: ${want:-?}"
: >"$PT_LOG"
"$PROCTOR" run --log "$PT_LOG" -- true </dev/null 2>&1 | cat >/dev/null
pt_is "class 6: the write floor with stdout and stderr to a pipe" \
	"$(floor)" "$want"
: >"$PT_LOG"
"$PROCTOR" run --log "$PT_LOG" -- true </dev/null 2>&1 >/dev/null | cat >/dev/null
pt_is "class 6: the write floor with stderr to a pipe" "$(floor)" "$want"

esc_summary
pt_done
