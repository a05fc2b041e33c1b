#!/bin/bash
# The relay's count (relay_has_room, issue #8) after the program is gone:
# a process holds the relay's most in connections to a server that
# keeps each open past the client's end (one that waits out an idle
# timeout), and is killed; its connections' program ends are closed, so
# they no longer count against the rest of the run.  A program that only
# ends its sending (shutdown SHUT_WR) still gets an answer that comes
# late.  The same through proctor's proxy (--proxy), with CONNECT
# tunnels.  proctor runs with 200 descriptors (16 relayed connections at
# once).
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

pt_dns_lab "hold.test A 10.77.0.3 300
full.test A 10.77.0.2 300" || pt_done
pt_lab_serve holdd holdd.py 10.77.0.3 81
pt_lab_serve lated holdd.py 10.77.0.3 82 late

cat >"$T/policy.json" <<'JSON'
{"network": {"allow": [{"pattern": "hold.test", "methods": ["GET"]},
		       {"pattern": "full.test", "methods": ["GET"]}]}}
JSON

cat >held.py <<'PY'
import os, signal, socket, sys, time
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    held = []
    for i in range(16):
        s = socket.socket()
        s.connect(("hold.test", 81))
        held.append(s)
    os.write(w, b"x")
    time.sleep(60)
    os._exit(0)
os.read(r, 1)
os.kill(pid, signal.SIGKILL)
os.waitpid(pid, 0)
time.sleep(1)
s = socket.socket()
try:
    s.connect(("full.test", 80))
    s.sendall(b"GET / HTTP/1.1\r\nHost: full.test\r\nConnection: close\r\n\r\n")
    print("after", s.recv(12).decode())
except OSError as e:
    print("after", e)
s = socket.socket()
s.connect(("hold.test", 82))
s.sendall(b"GET / HTTP/1.1\r\nHost: hold.test\r\n\r\n")
s.shutdown(socket.SHUT_WR)
print("half-closed", s.recv(100).split(b"\r\n")[0].decode())
PY

(
	ulimit -n 200 || exit 1
	PT_TIMEOUT=30 pt_lab_run --policy "$T/policy.json" -- "$PT_PY" held.py
	echo "$PT_RC" >"$T/rc"
) || pt_fail "a hard limit of 200 descriptors can be set"
pt_is "the program exits 0" "$(cat "$T/rc")" 0
pt_grep "a connection after the holder died is relayed" "$PT_OUT" \
	'^after HTTP/1.0 200'
pt_grep "a half-closed connection gets its late answer" "$PT_OUT" \
	'^half-closed HTTP/1.0 200'

cat >held-proxy.py <<'PY'
import os, signal, socket, sys, time
host, port = os.environ["HTTPS_PROXY"].rsplit("/", 1)[1].split(":")
to = (host, int(port))

def tunnel(target):
    s = socket.create_connection(to)
    s.sendall(b"CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target, target))
    return s, s.recv(100).split(b"\r\n")[0].decode()

r, w = os.pipe()
pid = os.fork()
if pid == 0:
    held = [tunnel(b"hold.test:81")[0] for i in range(16)]
    os.write(w, b"x")
    time.sleep(60)
    os._exit(0)
os.read(r, 1)
os.kill(pid, signal.SIGKILL)
os.waitpid(pid, 0)
time.sleep(1)
try:
    print("after", tunnel(b"full.test:80")[1])
except OSError as e:
    print("after", e)
PY

(
	ulimit -n 200 || exit 1
	PT_TIMEOUT=30 pt_lab_run --policy "$T/policy.json" --proxy -- \
		"$PT_PY" held-proxy.py
	echo "$PT_RC" >"$T/rc"
) || pt_fail "a hard limit of 200 descriptors can be set"
pt_is "proxy: the program exits 0" "$(cat "$T/rc")" 0
pt_grep "proxy: a tunnel after the holder died is made" "$PT_OUT" \
	'^after HTTP/1.1 200'

pt_done
