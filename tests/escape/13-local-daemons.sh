#!/bin/bash
# Class 13, local daemons: unix sockets the test listens on in the canary
# directory (stream and datagram) and in the abstract namespace, reached
# directly, through symlinks in the workspace, "..", relative paths,
# /proc/self/root and a directory descriptor.  Nothing may arrive.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
. "$PT_TESTS/escape/helpers.bash"
esc_init 13

abs=proctor-escape-$$-$RANDOM
esc_serve "usock=unix:$CANARY/daemon.sock" "dgram=unixdgram:$CANARY/dgram.sock" \
	"abs=abstract:$abs" "absd=abstractdgram:$abs-d"
esc_baseline
esc_run -- "$T/attacks" local-daemons "$CANARY/daemon.sock" \
	"$CANARY/dgram.sock" "$abs" "$abs-d"
esc_results
# and where the policy leaves no Landlock floor (nor its abstract
# socket scope): the supervisor alone
esc_nofloor
esc_run --policy "$T/nofloor.json" -- "$T/attacks" local-daemons \
	"$CANARY/daemon.sock" "$CANARY/dgram.sock" "$abs" "$abs-d"
esc_results "no floor"
sleep 0.2
esc_no_traffic "unix stream socket in the canary" usock
esc_no_traffic "unix datagram socket in the canary" dgram
esc_no_traffic "abstract stream socket" abs
esc_no_traffic "abstract datagram socket" absd
esc_serve_stop
rm -f "$CANARY/daemon.sock" "$CANARY/dgram.sock"

# A host listener on loopback that shares its port with SO_REUSEPORT:
# the run binds the same port itself, hoping its "own listener" lets it
# through, and connects twenty times (the kernel spreads connections
# over both sockets).
cat >"$T/reuse.py" <<'PY'
import os, socket, sys, time
mode, arg = sys.argv[1], sys.argv[2]
def listener(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(("127.0.0.1", port))
    s.listen(64)
    return s
if mode == "host":
    s = listener(0)
    open(arg + ".tmp", "w").write(str(s.getsockname()[1]))
    os.rename(arg + ".tmp", arg)
    n = 0
    s.settimeout(1)
    end = time.time() + 30
    while time.time() < end:
        try:
            s.accept()
            n += 1
            open(arg + ".count", "w").write(str(n))
        except OSError:
            pass
else:
    port = int(arg)
    mine = listener(port)
    won = 0
    for i in range(20):
        try:
            socket.create_connection(("127.0.0.1", port), 2).close()
            won += 1
        except OSError:
            pass
    print("connected", won)
PY
rm -f "$T/reuse-port"*
"$PT_PY" "$T/reuse.py" host "$T/reuse-port" </dev/null >/dev/null 2>&1 &
pt_at_exit "kill $!"
if pt_wait_for 10 test -s "$T/reuse-port"; then
	esc_run -- "$PT_PY" "$T/reuse.py" run "$(cat "$T/reuse-port")"
	if grep -q "^connected 0$" "$PT_OUT"; then
		pt_ok "class 13: a port shared with a host listener is refused"
		esc_attempt 0
	else
		pt_fail "class 13: a port shared with a host listener is refused" \
			"$(cat "$PT_OUT" "$PT_ERR" | head -n 3)"
		esc_attempt 1
	fi
	sleep 0.2
	pt_absent "class 13: the host listener saw nothing" "$T/reuse-port.count"
fi

esc_summary
pt_done
