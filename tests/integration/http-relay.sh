#!/bin/bash
# The HTTP relay (issue #8): connections to a domain whose entry limits
# methods or the name on the wire pass through proctor, which judges
# each request (plain HTTP) or the TLS server name before any byte goes
# upstream.  In the lab (pt_dns_lab): request-logging servers of the
# test's own on 10.77.0.3 (HTTP on 8081, HTTPS on 443 with a certificate
# the test makes) and the lab's HTTP server on 10.77.0.2:80.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

pt_dns_lab "safe.test A 10.77.0.3 300
other.test A 10.77.0.3 300
front.test A 10.77.0.3 300
big.test A 10.77.0.2 300
up.test A 10.77.0.3 300
sibling.test A 10.77.0.3 300
granted.test A 10.77.0.3 300
plain.test A 10.77.0.4 300" || pt_done
pt_need "openssl and curl" openssl curl || pt_done

C=$PT_TESTS/lib/relay_client.py
SRV=$LAB/srv.log
TLS=$LAB/tls.log
pt_lab_cert safe.test other.test
pt_lab_serve httpd httpd.py 10.77.0.3 8081 "$SRV"
pt_lab_serve tls httpd.py 10.77.0.3 443 "$TLS" "$LAB/cert.pem" "$LAB/key.pem"
pt_wait_for 10 grep -qs ready "$SRV" && pt_wait_for 10 grep -qs ready "$TLS" ||
	pt_fail "the test's servers start"
: >"$SRV"
: >"$TLS"

cat >"$T/policy.json" <<'JSON'
{"network": {"allow": [
  {"pattern": "safe.test", "methods": ["GET", "HEAD", "OPTIONS"],
   "wire_name": "match"},
  {"pattern": "big.test", "methods": ["GET"]},
  {"pattern": "up.test", "methods": ["GET", "PUT"]},
  "other.test", "plain.test", "sibling.test"
]}}
JSON
P="--policy $T/policy.json"

# --- policy --------------------------------------------------------------

pt_proctor policy check "$T/policy.json"
pt_status "the policy checks" 0
pt_grep "policy check warns: no methods over HTTPS without interception" \
	"$PT_OUT" "allow\[0\] safe.test: warning: its method limits are not enforceable"
echo '{"network": {"allow": [{"pattern": "10.0.0.1", "methods": ["GET"]}]}}' \
	>"$T/bad.json"
pt_proctor policy check "$T/bad.json"
pt_grep "methods on an address are refused" "$PT_ERR" \
	'network.allow\[0\]: "methods" and "wire_name" need a domain name'
echo '{"network": {"allow": [{"pattern": "a.test", "methods": ["GET", "FETCH"]}]}}' \
	>"$T/bad.json"
pt_proctor policy check "$T/bad.json"
pt_grep "an unknown method is named with its place" "$PT_ERR" \
	'network.allow\[0\].methods\[1\]: expected one of GET'
echo '{"network": {"allow": [{"pattern": "a.test", "wire_name": "yes"}]}}' \
	>"$T/bad.json"
pt_proctor policy check "$T/bad.json"
pt_grep "wire_name takes match or any" "$PT_ERR" \
	'network.allow\[0\].wire_name: expected "match"'

# --- plain HTTP ------------------------------------------------------------

pt_lab_run $P -- curl -sS -m 10 http://safe.test:8081/hello
pt_status "curl GETs through the relay" 0
pt_grep "curl got the answer" "$PT_OUT" "^GET /hello"
pt_grep "the server saw the GET" "$SRV" "^GET safe.test:8081 /hello"
pt_check "the request is logged" grep -q '"class":"http".*"decision":"allow".*"method":"GET"' "$PT_LOG"

: >"$SRV"
pt_lab_run $P -- curl -sS -m 10 -d data http://safe.test:8081/upload
pt_grep "a POST gets 403 naming the rule" "$PT_OUT" \
	"proctor refused POST safe.test/upload: network.allow\[0\] safe.test"
pt_nogrep "the server never sees the POST" "$SRV" "POST"
pt_grep "the refusal is explained" "$PT_ERR" \
	"^proctor: denied http POST safe.test/upload \(10.77.0.3:8081\) by curl .*rule network.allow\[0\]"
pt_check "the refusal is logged" grep -q \
	'"class":"http".*"decision":"deny".*"method":"POST"' "$PT_LOG"
pt_grep "... and the run's last line names it" "$PT_ERR" \
	'^proctor: 1 denied \(http POST safe.test/upload\)'

: >"$SRV"
pt_lab_run $P -- "$PT_PY" "$C" keepalive safe.test 8081
pt_grep "keep-alive: the first request is answered" "$PT_OUT" "^GET /first"
pt_grep "keep-alive: the second, a POST, gets 403" "$PT_OUT" "403 Forbidden"
pt_grep "the server saw the first request" "$SRV" "GET safe.test /first"
pt_nogrep "the server never sees the second" "$SRV" "second"

: >"$SRV"
pt_lab_run $P -- "$PT_PY" "$C" raw safe.test 8081 \
	'GET /a HTTP/1.1\r\nHost: other.test\r\n\r\n'
pt_grep "wire_name match: another Host is refused" "$PT_OUT" "403 Forbidden"
pt_nogrep "the server never sees it" "$SRV" "/a"

pt_lab_run $P -- "$PT_PY" "$C" raw safe.test 8081 \
	'GET /a HTTP/1.1\r\nHost: safe.test\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'
pt_grep "an ambiguous body (smuggling) is refused" "$PT_OUT" "403 Forbidden"

pt_lab_run $P -- "$PT_PY" "$C" raw safe.test 8081 'SSH-2.0-x\r\n\r\n'
pt_grep "what is not HTTP is refused" "$PT_OUT" "403 Forbidden"
pt_nogrep "and never reaches the server" "$SRV" "SSH"

pt_lab_run $P -- "$PT_PY" -c '
import urllib.request
print(urllib.request.urlopen("http://safe.test:8081/py", timeout=10).read().decode())'
pt_status "python3 urllib works through the relay" 0
pt_grep "urllib got the answer" "$PT_OUT" "^GET /py"

: >"$SRV"
pt_lab_run $P -- curl -sS -m 10 http://up.test:8081/a http://up.test:8081/b
pt_grep "curl reuses the connection: both requests are answered" "$PT_OUT" "^GET /b"
n=$(grep -c '"class":"http".*"decision":"allow".*"host":"up.test"' "$PT_LOG")
pt_is "both requests are judged" "$n" 2

head -c $((20 << 20)) /dev/urandom >"$T/upload.bin"
want=$(sha256sum <"$T/upload.bin" | cut -d' ' -f1)
: >"$SRV"
pt_lab_run $P -- curl -sS -m 60 -T "$T/upload.bin" \
	http://up.test:8081/up http://up.test:8081/after
pt_grep "a 20 MiB PUT an entry allows arrives whole" "$SRV" \
	"^body $((20 << 20)) $want"
pt_grep "and the request after its body is found and answered" "$PT_OUT" \
	"^GET /after"
rm -f "$T/upload.bin"

: >"$SRV"
pt_lab_run $P -- "$PT_PY" -c '
import os, socket
s = socket.create_connection(("safe.test", 8081), timeout=5)
s.sendall(b"GET /last-words HTTP/1.1\r\nHost: safe.test\r\n\r\n")
os._exit(0)'
pt_wait_for 5 grep -q last-words "$SRV"
pt_grep "a request sent just before the program exits still leaves" "$SRV" \
	"GET safe.test /last-words"

# sibling NAME HOST [RESOLVE]: resolves RESOLVE (safe.test; "-": none),
# connects by NAME and POSTs with Host HOST
sibling() {
	: >"$SRV"
	pt_lab_run $P -- "$PT_PY" -c '
import socket, sys
if sys.argv[3] != "-":
    socket.getaddrinfo(sys.argv[3], 8081)
s = socket.create_connection((sys.argv[1], 8081), timeout=5)
s.sendall(b"POST /sib HTTP/1.1\r\nHost: %s\r\nContent-Length: 0\r\n"
          b"Connection: close\r\n\r\n" % sys.argv[2].encode())
print(s.recv(1000).decode().splitlines()[0])' "$1" "$2" "${3:-safe.test}"
}
sibling sibling.test safe.test
pt_grep "a limited site reached through a sibling name is still limited" \
	"$PT_OUT" "403 Forbidden"
pt_nogrep "and its POST never arrives" "$SRV" "POST"
# ... though the program never asked for the limited name: proctor
# resolves the policy's limited names itself
sibling sibling.test safe.test -
pt_grep "... even when the program never resolved the limited name" \
	"$PT_OUT" "403 Forbidden"
pt_nogrep "... and its POST never arrives" "$SRV" "POST"
sibling sibling.test sibling.test
pt_grep "the sibling's own requests keep its own rule" "$PT_OUT" "200 OK"
pt_lab_run $P -- "$PT_PY" -c '
import socket
socket.getaddrinfo("safe.test", 443)
try:
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(
        b"\xc0" + bytes(1200), ("sibling.test", 443))
    print("sent")
except OSError as e:
    import errno
    print(errno.errorcode[e.errno])'
pt_grep "QUIC to the shared address is refused too" "$PT_OUT" "ENETUNREACH"

# --- TLS -----------------------------------------------------------------------

: >"$TLS"
pt_lab_run $P -- curl -sS -m 10 --cacert "$LAB/cert.pem" https://safe.test/tls
pt_status "curl over HTTPS works through the relay" 0
pt_grep "curl got the HTTPS answer" "$PT_OUT" "^GET /tls"
pt_check "the server name is logged" grep -q '"class":"tls".*"decision":"allow".*"sni":"safe.test"' "$PT_LOG"

: >"$TLS"
pt_lab_run $P -- "$PT_PY" "$C" hello safe.test 443 other.test
pt_grep "a ClientHello naming another name is cut (wire_name match)" \
	"$PT_OUT" "^closed"
pt_lab_run $P -- "$PT_PY" "$C" hello safe.test 443 denied.example
pt_grep "a ClientHello naming a denied name is cut" "$PT_OUT" "^closed"
pt_check "the cut is logged" grep -q \
	'"class":"tls".*"decision":"deny".*"sni":"denied.example"' "$PT_LOG"
pt_lab_run $P -- "$PT_PY" "$C" hello safe.test 443 safe.test ech
pt_grep "Encrypted Client Hello is refused" "$PT_OUT" "^closed"
pt_grep "and explained" "$PT_ERR" "Encrypted Client Hello"
pt_nogrep "the TLS server saw no request" "$TLS" "."

pt_lab_run $P -- "$PT_PY" "$C" quic safe.test 443
pt_grep "QUIC to a relayed domain is refused" "$PT_OUT" "ENETUNREACH"
# a TCP Fast Open send connects without a connect the relay could take
pt_lab_run $P -- "$PT_PY" -c '
import errno, socket
s = socket.socket()
try:
    s.sendto(b"GET / HTTP/1.1\r\nHost: safe.test\r\n\r\n", 0x20000000,
             (socket.gethostbyname("safe.test"), 80))
    print("sent")
except OSError as e:
    print(errno.errorcode[e.errno])'
pt_grep "TCP Fast Open to a relayed domain fails as with Fast Open off" \
	"$PT_OUT" "^(EOPNOTSUPP|ENOTSUP)$"
pt_grep "... and is said as what it is" "$PT_ERR" \
	"TCP Fast Open \\(a send that connects\\) to a domain whose HTTP proctor judges"

# --- connects ---------------------------------------------------------------------

pt_lab_run $P -- "$PT_PY" "$C" connect safe.test 9
pt_grep "a refusing destination refuses the program's connect" "$PT_OUT" \
	"^ECONNREFUSED"

pt_lab_run $P -- "$PT_PY" -c '
import socket
s = socket.create_connection(("plain.test", 80), timeout=5)
print(s.getpeername()[0])'
pt_grep "an unmarked connection is not relayed" "$PT_OUT" "^10.77.0.4$"

pt_lab_run $P -- "$PT_PY" -c '
import socket
s = socket.create_connection(("safe.test", 8081), timeout=5)
print(s.getpeername()[0])'
pt_grep "a marked one is" "$PT_OUT" "^127.0.0.1$"

pt_lab_run $P -- "$PT_PY" -c '
import socket
ip = socket.getaddrinfo("safe.test", 8081, socket.AF_INET)[0][4][0]
s = socket.socket(socket.AF_INET6)
s.setblocking(False)
try:
    s.connect(("::ffff:" + ip, 8081))
except BlockingIOError:
    pass
s.setblocking(True)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
print(s.getpeername()[0])
s.sendall(b"GET /v6 HTTP/1.1\r\nHost: safe.test\r\nConnection: close\r\n\r\n")
got = b""
while True:
    b = s.recv(1000)
    if not b:
        break
    got += b
print(got.decode().splitlines()[-1])'
pt_status "an IPv6 socket, non-blocking, with TCP_NODELAY, goes through" 0
pt_grep "its peer is the relay (IPv4-mapped)" "$PT_OUT" "^::ffff:127.0.0.1$"
pt_grep "and it is answered" "$PT_OUT" "^GET /v6$"

# --- a command's grant with method limits (#6) ---------------------------------

cat >"$T/grant.json" <<'JSON'
{"exec": {"allow": [{"pattern": "curl", "grant": {"network": [
  {"pattern": "granted.test", "methods": ["GET"]}]}}]}}
JSON
pt_proctor policy check "$T/grant.json"
pt_status "a grant's entry with methods checks" 0
pt_grep "and its methods over HTTPS are reported" "$PT_OUT" \
	"exec.allow\[0\].grant.network\[0\] granted.test: warning: its method limits"
: >"$SRV"
pt_lab_run --policy "$T/grant.json" -- curl -sS -m 10 http://granted.test:8081/g
pt_status "curl GETs what only its grant allows, through the relay" 0
pt_grep "the server saw the GET" "$SRV" "^GET granted.test:8081 /g"
pt_lab_run --policy "$T/grant.json" -- curl -sS -m 10 -d data \
	http://granted.test:8081/up
pt_grep "its POST gets 403 naming the grant's entry" "$PT_OUT" \
	"proctor refused POST granted.test/up: exec.allow\[0\].grant.network\[0\] granted.test"
pt_nogrep "the server never sees the POST" "$SRV" "POST"
pt_lab_run --policy "$T/grant.json" -- "$PT_PY" -c '
import urllib.request
urllib.request.urlopen("http://granted.test:8081/py", timeout=10)'
pt_check "a program without the grant does not reach the name" \
	test "$PT_RC" != 0
pt_nogrep "and the server never sees it" "$SRV" "/py"

# --- a large download ------------------------------------------------------------

head -c $((200 << 20)) /dev/urandom >"$LAB/www/big.bin"
want=$(sha256sum <"$LAB/www/big.bin" | cut -d' ' -f1)
PT_TIMEOUT=120 pt_lab_run $P -- sh -c \
	'curl -sS -m 100 http://big.test/big.bin | sha256sum'
pt_grep "200 MiB through the relay are byte-identical" "$PT_OUT" "^$want"
rm -f "$LAB/www/big.bin"

pt_done
