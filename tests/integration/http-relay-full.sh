#!/bin/bash
# The relay at its most (relay_has_room, issue #8), seen by programs that
# connect without blocking: an event loop (asyncio) and curl read EAGAIN
# from a non-blocking connect as "in progress" (for a unix socket it
# means that), wait for the socket to be writable and take SO_ERROR 0 as
# connected: proctor's answer must be one they report as a failure.
# proctor runs with 200 descriptors (16 connections at once); the lab's
# HTTP server on 10.77.0.2:80 holds the other ends.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

pt_dns_lab "full.test A 10.77.0.2 300" || pt_done

cat >"$T/policy.json" <<'JSON'
{"network": {"allow": [{"pattern": "full.test", "methods": ["GET"]}]},
 "exec": {"allow": ["curl"]}}
JSON

cat >full.py <<'PY'
import asyncio, socket, subprocess, sys
held = []
while len(held) < 40:
    s = socket.socket()
    try:
        s.connect(("full.test", 80))
    except OSError:
        s.close()
        break
    held.append(s)
print("held", len(held))

async def fetch():
    try:
        r, w = await asyncio.wait_for(
            asyncio.open_connection("full.test", 80), 10)
    except (OSError, asyncio.TimeoutError) as e:
        return "connect failed: %s" % type(e).__name__
    w.write(b"GET / HTTP/1.1\r\nHost: full.test\r\nConnection: close\r\n\r\n")
    try:
        await w.drain()
        line = await asyncio.wait_for(r.readline(), 10)
    except (OSError, asyncio.TimeoutError) as e:
        return "connected, then: %s" % type(e).__name__
    return "connected, then: %r" % line[:20]
print("asyncio", asyncio.run(fetch()))
c = subprocess.run(["curl", "-sS", "--max-time", "10", "http://full.test/"],
                   capture_output=True, text=True)
print("curl", c.returncode, c.stderr.strip()[:120])
PY

(
	ulimit -n 200 || exit 1
	pt_lab_run --policy "$T/policy.json" -- "$PT_PY" full.py
	echo "$PT_RC" >"$T/rc"
) || pt_fail "a hard limit of 200 descriptors can be set"
pt_is "the program exits 0" "$(cat "$T/rc")" 0
pt_grep "16 connections are relayed at once" "$PT_OUT" '^held 16$'
pt_grep "asyncio's connect fails at once" "$PT_OUT" '^asyncio connect failed'
pt_grep "curl says it could not connect (7)" "$PT_OUT" '^curl 7 '

pt_done
