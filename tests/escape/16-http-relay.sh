#!/bin/bash
# Class 16 (domain tricks), through the HTTP relay (#8): a program limited to GET on a domain
# tries to get a POST to its server anyway.  As root, in a network lab of
# the test's own (pt_dns_lab), with a request-logging server on
# 10.77.0.3:8081 and a policy that also allows all of loopback:
#  - it reaches proctor's relay listener directly (its address is the
#    peer of a relayed socket) and sends the POST there;
#  - it pipelines a POST behind an allowed GET in one write;
#  - it hides a body in a GET or an OPTIONS;
#  - it puts the POST in a chunk extension line or after a bare LF;
#  - it opens with a TLS ClientHello naming the allowed name, to the
#    plain HTTP server, and puts a POST right behind it;
#  - it keeps a duplicate of its socket from before the connect and
#    writes the POST through that (the socket proctor connected for it
#    must not be the upstream one).
# None reaches the server.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

pt_dns_lab "paste.test A 10.77.0.3 300" || pt_done
SRV=$LAB/srv.log
pt_lab_serve httpd httpd.py 10.77.0.3 8081 "$SRV"
pt_wait_for 10 grep -qs ready "$SRV" || pt_fail "the server starts"
cat >"$T/policy.json" <<'JSON'
{"network": {"allow": [
  {"pattern": "paste.test", "methods": ["GET", "HEAD", "OPTIONS"]},
  "127.0.0.0/8"
]}}
JSON

: >"$SRV"
pt_lab_run --policy "$T/policy.json" -- "$PT_PY" -c '
import socket
s = socket.create_connection(("paste.test", 8081), timeout=5)
relay = s.getpeername()
print("relay at", relay)
t = socket.create_connection(relay, timeout=5)
t.sendall(b"POST /direct HTTP/1.1\r\nHost: paste.test\r\n"
          b"Content-Length: 6\r\n\r\nsecret")
t.settimeout(5)
try:
    print("direct got", repr(t.recv(100)))
except OSError as e:
    print("direct failed", e)
'
pt_grep "class 16: the relay listener is reachable on loopback" "$PT_OUT" "relay at"
pt_grep "class 16: a stray connection to the relay is closed" "$PT_OUT" \
	"direct (got b''|failed)"
pt_nogrep "class 16: the direct POST never reaches the server" "$SRV" "POST"

: >"$SRV"
pt_lab_run --policy "$T/policy.json" -- "$PT_PY" -c '
import os, socket
s = socket.socket()
d = os.dup(s.fileno())
s.connect(("paste.test", 8081))
t = socket.socket(fileno=d)
try:
    t.settimeout(5)
    t.sendall(b"POST /dup HTTP/1.1\r\nHost: paste.test\r\n"
              b"Content-Length: 6\r\n\r\nsecret")
    print("dup got", repr(t.recv(100)))
except OSError as e:
    print("dup failed", e)
'
pt_grep "class 16: a duplicate of the socket from before the connect is not connected" \
	"$PT_OUT" "dup failed"
pt_nogrep "class 16: nothing sent through it reaches the server" "$SRV" \
	"POST|secret"

: >"$SRV"
pt_lab_run --policy "$T/policy.json" -- "$PT_PY" -c '
import os, socket, struct, time
name = b"paste.test"
sn = struct.pack("!BH", 0, len(name)) + name
exts = struct.pack("!HH", 0, len(sn) + 2) + struct.pack("!H", len(sn)) + sn
exts += struct.pack("!HH", 0xfafa, 2) + b"\r\n"  # the hello ends a "line"
body = (b"\x03\x03" + os.urandom(32) + b"\x00\x00\x02\x13\x01\x01\x00" +
        struct.pack("!H", len(exts)) + exts)
msg = b"\x01" + struct.pack("!I", len(body))[1:] + body
hello = b"\x16\x03\x01" + struct.pack("!H", len(msg)) + msg
s = socket.create_connection(("paste.test", 8081), timeout=5)
s.sendall(hello)
time.sleep(0.5)  # judged by then: what follows is no longer parsed
s.sendall(b"POST /behind-hello HTTP/1.1\r\nHost: paste.test\r\n"
          b"Content-Length: 6\r\n\r\nsecret")
s.settimeout(5)
try:
    print("got", repr(s.recv(100)))
except OSError as e:
    print("failed", e)
'
pt_nogrep "class 16: a POST behind a ClientHello to a plain server does not arrive" \
	"$SRV" "POST|secret"
pt_grep "class 16: the relay cuts it: the server did not answer TLS" "$PT_ERR" \
	"did not answer the ClientHello with TLS"

# raw NAME TEXT: sends TEXT (with \r\n escapes) to paste.test in one write
raw() {
	: >"$SRV"
	pt_lab_run --policy "$T/policy.json" -- "$PT_PY" \
		"$PT_TESTS/lib/relay_client.py" raw paste.test 8081 "$2"
	pt_nogrep "class 16: $1: no POST or body reaches the server" "$SRV" \
		"POST|secret"
}

raw "a POST pipelined behind a GET" \
	'GET /a HTTP/1.1\r\nHost: paste.test\r\nContent-Length: 0\r\n\r\nPOST /b HTTP/1.1\r\nHost: paste.test\r\nContent-Length: 6\r\n\r\nsecret'
pt_grep "class 16: the GET before it is answered" "$SRV" "GET paste.test /a"
raw "a body in a GET" \
	'GET /secret HTTP/1.1\r\nHost: paste.test\r\nContent-Length: 6\r\n\r\nsecret'
pt_grep "class 16: a GET with a body gets 403" "$PT_OUT" "403 Forbidden"
raw "a body in an OPTIONS" \
	'OPTIONS /secret HTTP/1.1\r\nHost: paste.test\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nsecret\r\n0\r\n\r\n'
pt_grep "class 16: an OPTIONS with a body gets 403" "$PT_OUT" "403 Forbidden"
raw "a POST after a bare LF" \
	'GET /a HTTP/1.1\nHost: paste.test\n\nPOST /b HTTP/1.1\nHost: paste.test\nContent-Length: 6\n\nsecret'
# a second request that cannot be read is named "request", not by the
# allowed GET before it (which reached the server)
raw "a bare LF in a second request" \
	'GET /first HTTP/1.1\r\nHost: paste.test\r\nContent-Length: 0\r\n\r\nDELETE /second HTTP/1.1\nHost: paste.test\n\n'
pt_grep "class 16: ... the refusal names a request, not the GET before it" \
	"$PT_ERR" 'denied http request \(.*a bare LF'
pt_nogrep "class 16: ... nor its record" "$PT_LOG" \
	'"decision":"deny".*"method":"GET","host":"paste.test","path":"/first"'
raw "a POST inside a chunked GET" \
	'GET /a HTTP/1.1\r\nHost: paste.test\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nPOST /b HTTP/1.1\r\nHost: paste.test\r\n\r\n'
raw "a POST behind a duplicated Content-Length" \
	'GET /a HTTP/1.1\r\nHost: paste.test\r\nContent-Length: 0\r\nContent-Length: 45\r\n\r\nPOST /b HTTP/1.1\r\nHost: paste.test\r\n\r\n'

pt_done
