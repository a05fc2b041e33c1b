#!/bin/bash
# OPEN (not fixed; not run by run-all.sh): a run squats a rendezvous path
# in /tmp that programs outside the run trust, here tmux's
# /tmp/tmux-UID/default: the `create` rule on /tmp lets it make the
# directory (mode 0700, the user's own, as tmux checks) and bind a socket
# in it.  A tmux client started outside the run, in another terminal,
# connects and passes that terminal's descriptors (SCM_RIGHTS): the run
# then writes to (and could read the keys of) a terminal that is not its
# own.  Run as: tests/repro/tmp-rendezvous.sh build/proctor
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
pt_need "tmp rendezvous" tmux script || pt_done
dir=/tmp/tmux-$(id -u)
if [ -e "$dir" ]; then
	pt_skip "tmp rendezvous" "$dir exists (a tmux of this user ran)"
	pt_done
fi
pt_cleanup_add "$dir"
cat >"$T/fake.py" <<'PY'
import array, os, socket, sys, time
d = "/tmp/tmux-%d" % os.getuid()
os.mkdir(d, 0o700)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(d + "/default")
s.listen(1)
s.settimeout(20)
c, _ = s.accept()
c.settimeout(0.5)
fds, end = [], time.time() + 3
while time.time() < end:
    try:
        msg, anc, _, _ = c.recvmsg(65536, socket.CMSG_SPACE(64))
    except socket.timeout:
        continue
    if not msg:
        break
    for lvl, typ, data in anc:
        if lvl == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
            a = array.array("i")
            a.frombytes(data[:len(data) - len(data) % 4])
            fds += list(a)
for fd in fds:
    print("got", os.readlink("/proc/self/fd/%d" % fd), flush=True)
    try:
        os.write(fd, b"\r\nWRITTEN-BY-THE-RUN\r\n")
    except OSError:
        pass
PY
"$PROCTOR" run --log "$PT_LOG" -- "$PT_PY" "$T/fake.py" </dev/null \
	>"$PT_OUT" 2>"$PT_ERR" &
run=$!
pt_wait_for 10 test -S "$dir/default"
script -qec 'tmux ls' /dev/null </dev/null >"$T/out/client" 2>&1
wait "$run"
pt_nogrep "the run got no descriptor of a process outside it" "$PT_OUT" '^got'
pt_nogrep "the run wrote nothing into another terminal" "$T/out/client" \
	WRITTEN-BY-THE-RUN
pt_done
