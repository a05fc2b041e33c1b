#!/bin/bash
# The relay's bound (issue #8): each relayed connection holds six of
# proctor's descriptors, and the relay takes at most half of them, so a
# program that opens connections by the hundred gets ENOBUFS past that
# (one stderr line says why) while proctor goes on making its opens; as
# connections end, new ones are relayed again.  proctor runs with 200
# descriptors here (its most: 200 / 2 / 6 = 16 connections); the lab's
# HTTP server on 10.77.0.2:80 holds the other ends.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

pt_dns_lab "many.test A 10.77.0.2 300" || pt_done

cat >"$T/policy.json" <<'JSON'
{"network": {"allow": [{"pattern": "many.test", "methods": ["GET"]}]}}
JSON

cat >many.py <<'PY'
import errno, socket, sys
held, refused = [], []
for i in range(30):
    s = socket.socket()
    try:
        s.connect(("many.test", 80))
        held.append(s)
    except OSError as e:
        refused.append(errno.errorcode.get(e.errno, str(e.errno)))
        s.close()
print("held", len(held))
print("refused", len(refused), " ".join(sorted(set(refused))))
# proctor's own opens for the program still work meanwhile
for i in range(20):
    open("file.%d" % i, "w").close()
print("files ok")
for s in held[:5]:
    s.close()
del held[:5]
again = 0
for i in range(5):
    s = socket.socket()
    try:
        s.connect(("many.test", 80))
        s.sendall(b"GET / HTTP/1.1\r\nHost: many.test\r\nConnection: close\r\n\r\n")
        if s.recv(100).startswith(b"HTTP/1.0 200"):
            again += 1
        held.append(s)
    except OSError as e:
        print("again:", e)
print("again", again)
# closing one and at once opening another, over and over: the relay
# makes room for the new one even before it has noticed the close
swaps = 0
for i in range(20):
    held.pop(0).close()
    s = socket.socket()
    try:
        s.connect(("many.test", 80))
        held.append(s)
        swaps += 1
    except OSError as e:
        print("swap:", e)
print("swaps", swaps)
PY

(
	ulimit -n 200 || exit 1
	pt_lab_run --policy "$T/policy.json" -- "$PT_PY" many.py
	echo "$PT_RC" >"$T/rc"
) || pt_fail "a hard limit of 200 descriptors can be set"
pt_is "the program exits 0" "$(cat "$T/rc")" 0
pt_grep "16 connections are relayed at once" "$PT_OUT" '^held 16$'
pt_grep "the rest get ENOBUFS" "$PT_OUT" '^refused 14 ENOBUFS$'
pt_grep "proctor's opens for the program go on" "$PT_OUT" '^files ok$'
pt_grep "once five end, five more are relayed and answered" "$PT_OUT" \
	'^again 5$'
pt_grep "a connection closed and another opened at once, 20 times: each relayed" \
	"$PT_OUT" '^swaps 20$'
pt_grep "stderr says why, naming the relay's most" "$PT_ERR" \
	"the relay carries 16 connections, its most .*many\.test \(10\.77\.0\.2:80\)"
pt_is "... once" "$(grep -c 'the relay carries' "$PT_ERR")" 1

# The same through proctor's proxy: 16 CONNECT tunnels, all closed at
# once and 16 opened again at once, five times; the proxy's connections
# show their end one look later than the relay's (accepted, then read).
cat >many-proxy.py <<'PY'
import os, socket
host, port = os.environ["HTTPS_PROXY"].rsplit("/", 1)[1].split(":")
refused = 0
for round in range(5):
    held = []
    for i in range(16):
        try:
            s = socket.create_connection((host, int(port)))
            s.sendall(b"CONNECT many.test:80 HTTP/1.1\r\nHost: many.test:80\r\n\r\n")
            if not s.recv(100).startswith(b"HTTP/1.1 200"):
                refused += 1
            held.append(s)
        except OSError:
            refused += 1
    for s in held:
        s.close()
print("proxy refused", refused)
PY
(
	ulimit -n 200 || exit 1
	pt_lab_run --policy "$T/policy.json" --proxy -- "$PT_PY" many-proxy.py
	echo "$PT_RC" >"$T/rc"
) || pt_fail "a hard limit of 200 descriptors can be set"
pt_is "proxy: the program exits 0" "$(cat "$T/rc")" 0
pt_grep "proxy: 16 tunnels closed and 16 opened at once, five times: none refused" \
	"$PT_OUT" '^proxy refused 0$'

pt_done
