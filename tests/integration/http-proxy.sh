#!/bin/bash
# proctor's HTTP proxy (issue #8): programs that honour HTTP_PROXY and
# HTTPS_PROXY name the site they want in the request to the proxy, and
# proctor judges that name (and, where the policy limits HTTP, what goes
# through) before anything leaves.  Directly (proctor resolves and
# connects), and through a proxy of the user's (tests/lib/proxyd.py on
# 10.77.0.3:3128, wanting the credentials u:p), which sees only names
# the policy allows.  In the lab (pt_dns_lab): the test's own HTTP
# server on 10.77.0.3:8081 and HTTPS on 10.77.0.3:443.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

pt_dns_lab "safe.test A 10.77.0.3 300
other.test A 10.77.0.3 300
denied.test A 10.77.0.3 300
git.test A 10.77.0.3 300" || pt_done
pt_need "openssl, curl and git" openssl curl git || pt_done

SRV=$LAB/srv.log
TLS=$LAB/tls.log
UP=$LAB/proxy.log
pt_lab_cert safe.test other.test denied.test git.test
pt_lab_serve httpd httpd.py 10.77.0.3 8081 "$SRV"
pt_lab_serve tls httpd.py 10.77.0.3 443 "$TLS" "$LAB/cert.pem" "$LAB/key.pem"
pt_lab_serve proxyd proxyd.py 10.77.0.3 3128 "$UP" safe.test=10.77.0.3 \
	other.test=10.77.0.3 denied.test=10.77.0.3 git.test=10.77.0.3
GITLOG=$LAB/git.log
pt_lab_git_repo proxied
pt_lab_serve git git_httpd.py 10.77.0.3 8443 "$LAB/git" "$LAB/cert.pem" \
	"$LAB/key.pem" "$GITLOG"
pt_wait_for 10 grep -qs ready "$SRV" && pt_wait_for 10 grep -qs ready "$TLS" &&
	pt_wait_for 10 grep -qs ready "$UP" &&
	pt_wait_for 10 grep -qs ready "$GITLOG" || pt_fail "the test's servers start"

cat >"$T/policy.json" <<'JSON'
{"network": {"allow": [
  {"pattern": "safe.test", "methods": ["GET", "HEAD"], "wire_name": "match"},
  "other.test", "git.test"
]}}
JSON
P="--policy $T/policy.json"
CA="--cacert $LAB/cert.pem"
# a proxy variable that does not name proctor's: the user's, untouched
ENVQ='import os; print(sorted(k + "=" + v for k, v in os.environ.items()
                              if k.lower().endswith("_proxy")))'

# --- offered without a proxy of the user's ---------------------------------

pt_lab_run $P -- "$PT_PY" -c "$ENVQ"
pt_grep "no proxy in the environment: none is offered" "$PT_OUT" '^\[\]$'

pt_lab_run $P --proxy -- "$PT_PY" -c "$ENVQ"
pt_grep "--proxy names proctor's in HTTP_PROXY and https_proxy" "$PT_OUT" \
	"'HTTPS_PROXY=http://127.0.0.1:[0-9]*'.*'http_proxy=http://127.0.0.1:[0-9]*'"

: >"$SRV"
pt_lab_run $P --proxy -- curl -sS -m 10 http://safe.test:8081/hello
pt_status "curl GETs through proctor's proxy" 0
pt_grep "curl got the answer" "$PT_OUT" "^GET /hello"
pt_grep "the server got the request in origin form" "$SRV" \
	"^GET safe.test:8081 /hello$"
pt_check "the request is logged" grep -q \
	'"class":"http".*"decision":"allow".*"method":"GET".*"host":"safe.test"' \
	"$PT_LOG"
pt_check "the kernel record names the proxy" grep -q \
	"\"type\":\"kernel\".*\"proxy\":\"http://127.0.0.1:[0-9]*; upstream: direct, direct\"" \
	"$PT_LOG"
cp "$PT_LOG" "$T/proxied.jsonl"
pt_check "the connect to the proxy is logged as proctor's" grep -q \
	'"class":"connect".*"decision":"allow".*proctor.s HTTP proxy' "$PT_LOG"

: >"$SRV"
pt_lab_run $P --proxy -- curl -sS -m 10 -d data http://safe.test:8081/upload
pt_grep "a POST through the proxy gets 403 naming the rule" "$PT_OUT" \
	"proctor refused POST safe.test/upload: network.allow\[0\] safe.test"
pt_nogrep "the server never sees the POST" "$SRV" "POST"

pt_lab_run $P --proxy -- curl -sS -m 10 http://denied.test:8081/x
pt_grep "a name the policy does not allow gets 403" "$PT_OUT" \
	"proctor refused GET denied.test/x: network"
pt_grep "and is explained" "$PT_ERR" "denied http GET denied.test/x"
pt_nogrep "the server never sees it" "$SRV" "denied"

pt_lab_run $P --proxy -- curl -sS -m 10 $CA https://secret-data.exfil.test/
pt_grep "CONNECT to a name no entry allows gets 403" "$PT_ERR" \
	"denied http CONNECT secret-data.exfil.test:443"
pt_nogrep "proctor never asks the nameserver about it (DNS leak)" \
	"$LAB/queries" "secret-data"

: >"$TLS"
pt_lab_run $P --proxy -- curl -sS -m 10 $CA https://safe.test/tls
pt_status "curl over HTTPS works through proctor's proxy (CONNECT)" 0
pt_grep "curl got the HTTPS answer" "$PT_OUT" "^GET /tls"
pt_check "CONNECT and the server name are logged" grep -q \
	'"class":"tls".*"decision":"allow".*"sni":"safe.test"' "$PT_LOG"

pt_lab_run $P --proxy -- curl -sS -m 10 $CA https://denied.test/tls
pt_isnt "CONNECT to a name the policy does not allow fails" "$PT_RC" 0
pt_grep "and is explained" "$PT_ERR" "denied http CONNECT denied.test:443"
pt_nogrep "the TLS server never sees it" "$TLS" "denied"

: >"$TLS"
pt_lab_run $P --proxy -- "$PT_PY" -c '
import os, socket, ssl, sys
port = int(os.environ["https_proxy"].rsplit(":", 1)[1])
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(b"CONNECT safe.test:443 HTTP/1.1\r\n\r\n")
print(s.recv(100).decode().splitlines()[0])
c = ssl.create_default_context(cafile=sys.argv[1])
c.check_hostname = False
try:
    t = c.wrap_socket(s, server_hostname="other.test")
    t.sendall(b"GET /front HTTP/1.1\r\nHost: safe.test\r\n\r\n")
    print(t.recv(100))
except (OSError, ssl.SSLError) as e:
    print("cut", type(e).__name__)' "$LAB/cert.pem"
pt_grep "a tunnel to safe.test is opened" "$PT_OUT" "200 Connection established"
pt_grep "but a TLS name other than safe.test is cut (wire_name match)" \
	"$PT_OUT" "^cut"
pt_nogrep "the server never sees the fronted request" "$TLS" "front"

: >"$SRV"
pt_lab_run $P --proxy -- "$PT_PY" -c '
import os, socket
port = int(os.environ["http_proxy"].rsplit(":", 1)[1])
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(b"GET http://other.test:8081/a HTTP/1.1\r\nHost: other.test\r\n\r\n"
          b"GET http://denied.test:8081/b HTTP/1.1\r\nHost: denied.test\r\n\r\n")
s.settimeout(10)
while True:
    b = s.recv(4000)
    if not b:
        break
    print(b.decode("latin-1"))'
pt_grep "keep-alive: the first request is answered" "$PT_OUT" "^GET /a"
pt_grep "another server on the same proxy connection gets 403" "$PT_OUT" \
	"another server than the first"
pt_nogrep "and never reaches any server" "$SRV" "/b"

: >"$SRV"
pt_lab_run $P --proxy -- "$PT_PY" -c '
import os, socket
port = int(os.environ["http_proxy"].rsplit(":", 1)[1])
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(b"GET http://other.test:8081/h HTTP/1.1\r\nHost: denied.test\r\n\r\n")
print(s.makefile("rb").read().decode("latin-1"))'
pt_grep "a Host other than the target is refused" "$PT_OUT" \
	"names another server than the proxy target"
pt_nogrep "and never reaches the server" "$SRV" "/h"

# without Host (HTTP/1.0), the server gets the target's: left to pick its
# default site, it could answer for another one than the one judged
: >"$SRV"
pt_lab_run $P --proxy -- "$PT_PY" -c '
import os, socket
port = int(os.environ["http_proxy"].rsplit(":", 1)[1])
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(b"GET http://other.test:8081/nohost HTTP/1.0\r\n\r\n")
print(s.makefile("rb").read().decode("latin-1"))'
pt_grep "a request without Host reaches the server with the target's" \
	"$SRV" "^GET other.test:8081 /nohost$"

# a Content-Length of 300 zeros and "20": read cut short, it would be 0
# and hide the DELETE in the next request's head from the judge
: >"$SRV"
pt_lab_run $P --proxy -- "$PT_PY" -c '
import os, socket
port = int(os.environ["http_proxy"].rsplit(":", 1)[1])
s = socket.create_connection(("127.0.0.1", port), timeout=5)
n = len(b"GET /b HTTP/1.1\r\nX: ")
s.sendall(b"GET http://safe.test:8081/a HTTP/1.1\r\nHost: safe.test\r\n"
          b"Content-Length: %s%d\r\n\r\n" % (b"0" * 300, n) +
          b"GET http://safe.test:8081/b HTTP/1.1\r\n"
          b"X: DELETE /smuggled HTTP/1.1\r\nHost: safe.test\r\n\r\n")
print(s.makefile("rb").read().decode("latin-1"))'
pt_grep "a Content-Length too long to hold is refused" "$PT_OUT" \
	"malformed Content-Length"
pt_nogrep "and nothing hidden behind it reaches the server" "$SRV" \
	"DELETE|/a"

# a tunnel to other.test, behind safe.test's address, which proctor's
# proxy resolved: relayed and judged, as a direct connect is
: >"$SRV"
pt_lab_run $P --proxy -- "$PT_PY" -c '
import os, socket
port = int(os.environ["http_proxy"].rsplit(":", 1)[1])
def tunnel(name, req):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"CONNECT " + name + b":8081 HTTP/1.1\r\n\r\n" + req)
    s.settimeout(2)
    out = b""
    try:
        while True:
            b = s.recv(4000)
            if not b:
                break
            out += b
    except OSError:
        pass
    print(out.decode("latin-1"))
tunnel(b"safe.test", b"GET /first HTTP/1.1\r\nHost: safe.test\r\n\r\n")
tunnel(b"other.test", b"POST /fronted HTTP/1.1\r\nHost: safe.test\r\n"
                      b"Content-Length: 2\r\n\r\nab")'
pt_grep "a tunnel to safe.test works" "$PT_OUT" "^GET /first"
pt_grep "a POST for safe.test in a tunnel to other.test gets 403" "$PT_OUT" \
	"proctor refused POST safe.test/fronted"
pt_nogrep "and never reaches the server" "$SRV" "fronted"

pt_lab_run $P --proxy -- "$PT_PY" -c '
import urllib.request
print(urllib.request.urlopen("http://other.test:8081/py", timeout=10).read().decode())'
pt_status "python3 urllib works through proctor's proxy" 0
pt_grep "urllib got the answer" "$PT_OUT" "^GET /py"

pt_lab_run $P --proxy -- env GIT_SSL_CAINFO="$LAB/cert.pem" git clone -q \
	https://git.test:8443/repo.git "$WS/clone"
pt_status "git clone over HTTPS works through proctor's proxy" 0
pt_is "and the clone holds the file" "$(cat "$WS/clone/file" 2>/dev/null)" \
	"proxied"

pt_proctor learn --from "$T/proxied.jsonl" -o -
pt_grep "learning from a proxied run learns the name the program reached" \
	"$PT_OUT" '"safe.test"'
pt_nogrep "... not proctor's proxy" "$PT_OUT" "127.0.0.1"

# --- through the user's proxy -----------------------------------------------

USERP=http://u:p@10.77.0.3:3128
: >"$UP"
: >"$TLS"
HTTPS_PROXY=$USERP http_proxy=$USERP pt_lab_run $P -- \
	curl -sS -m 10 $CA https://safe.test/via
pt_status "curl over HTTPS works through the user's proxy" 0
pt_grep "curl got the answer" "$PT_OUT" "^GET /via"
pt_grep "the user's proxy got CONNECT with its credentials" "$UP" \
	"^CONNECT safe.test:443 auth=Basic dTpw$"
pt_check "the kernel record names the upstreams' variables" grep -q \
	'"proxy":"http://127.0.0.1:[0-9]*; upstream: http_proxy, HTTPS_PROXY"' \
	"$PT_LOG"
pt_nogrep "... never the password" "$PT_LOG" "u:p@"

: >"$UP"
HTTPS_PROXY=$USERP pt_lab_run $P -- env GIT_SSL_CAINFO="$LAB/cert.pem" git \
	clone -q https://git.test:8443/repo.git "$WS/clone2"
pt_status "git clone over HTTPS works through the user's proxy" 0
pt_grep "which opened the tunnel" "$UP" "^CONNECT git.test:8443 auth=Basic"

HTTPS_PROXY=$USERP http_proxy=$USERP ftp_proxy=$USERP Https_Proxy=$USERP \
	npm_config_proxy=$USERP pt_lab_run $P -- "$PT_PY" -c "$ENVQ"
pt_nogrep "the program never sees the user's proxy or its password" \
	"$PT_OUT" "u:p|3128"
pt_grep "not in other variables either (ftp_proxy, another case, npm's)" \
	"$PT_ERR" "^proctor: ftp_proxy holds the password of the proxy in"

: >"$UP"
HTTPS_PROXY=$USERP http_proxy=$USERP pt_lab_run $P -- \
	curl -sS -m 10 $CA https://denied.test/x
pt_isnt "a name the policy does not allow fails" "$PT_RC" 0
pt_grep "and is explained" "$PT_ERR" "denied http CONNECT denied.test:443"
pt_nogrep "the user's proxy never hears of it" "$UP" "denied"

: >"$UP"
: >"$SRV"
HTTPS_PROXY=$USERP http_proxy=$USERP pt_lab_run $P -- \
	curl -sS -m 10 http://safe.test:8081/plain
pt_grep "plain HTTP through the user's proxy is answered" "$PT_OUT" \
	"^GET /plain"
pt_grep "the user's proxy got the request in proxy form, with credentials" \
	"$UP" "^GET http://safe.test:8081/plain auth=Basic dTpw$"

: >"$UP"
HTTPS_PROXY=$USERP http_proxy=$USERP pt_lab_run $P -- \
	curl -sS -m 10 -d x http://safe.test:8081/post
pt_grep "a POST the entry does not allow gets 403" "$PT_OUT" \
	"proctor refused POST safe.test/post"
pt_nogrep "the user's proxy never sees it" "$UP" "POST"

# the user's proxy gets the target as proctor judged it: a proxy that
# takes all up to the first "/" for the authority would read this one as
# denied.test's (user "safe.test:8081?")
: >"$UP"
HTTPS_PROXY=$USERP http_proxy=$USERP pt_lab_run $P -- "$PT_PY" -c '
import os, socket
port = int(os.environ["http_proxy"].rsplit(":", 1)[1])
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(b"GET http://safe.test:8081?@denied.test/ HTTP/1.1\r\n"
          b"Host: safe.test\r\n\r\n")
s.settimeout(3)
try:
    print(s.recv(4000).decode("latin-1"))
except OSError:
    pass'
pt_grep "the user's proxy gets the target with the judged authority and /" \
	"$UP" "^GET http://safe.test:8081/\?@denied.test/ auth=Basic dTpw$"

# a request head that comes a byte a second: the proxy's thread waits
# 15 s for it in all, not 15 s a byte (64 such would hold every thread)
pt_lab_run $P --proxy -- "$PT_PY" -c '
import os, socket, time
port = int(os.environ["http_proxy"].rsplit(":", 1)[1])
s = socket.create_connection(("127.0.0.1", port), timeout=5)
t = time.time()
for b in b"GET http://other.test:8081/" + b"x" * 40:
    try:
        s.send(bytes([b]))
        s.setblocking(False)
        if s.recv(100) == b"":
            break
    except BlockingIOError:
        pass
    except OSError:
        break
    s.setblocking(True)
    time.sleep(1)
print("closed after %d s" % (time.time() - t))'
pt_grep "a head dripped byte by byte is cut off after 15 s" "$PT_OUT" \
	"^closed after 1[5-7] s$"

# 64 connections that send nothing hold every thread that reads proxy
# requests for 15 s: the requests after them wait their turn, and are
# answered then (not closed at once)
pt_lab_run $P --proxy -- "$PT_PY" -c '
import os, socket, time
port = int(os.environ["http_proxy"].rsplit(":", 1)[1])
idle = [socket.create_connection(("127.0.0.1", port)) for i in range(64)]
time.sleep(0.5)
real = []
for i in range(10):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(b"GET http://other.test:8081/q%d HTTP/1.1\r\n"
              b"Host: other.test\r\n\r\n" % i)
    real.append(s)
ok = 0
for s in real:
    try:
        ok += s.recv(100).startswith(b"HTTP/1.1 200")
    except OSError:
        pass
print("answered %d of 10" % ok)'
pt_grep "requests past 64 idle proxy connections wait and are answered" \
	"$PT_OUT" "^answered 10 of 10$"

# a body, then the next request in the same write: the body reaches the
# server as it was sent (not rewritten as if it were the next head, which
# put the user's credentials in it), and the next request is answered
BODY='one two
three four five six seven eight nine'
SUM=$(printf '%s' "$BODY" | sha256sum | cut -d' ' -f1)
PIPE='
import os, socket, sys
port = int(os.environ["http_proxy"].rsplit(":", 1)[1])
s = socket.create_connection(("127.0.0.1", port), timeout=5)
body = sys.argv[1].encode()
s.sendall(b"POST http://other.test:8081/b HTTP/1.1\r\nHost: other.test\r\n"
          b"Content-Length: %d\r\n\r\n" % len(body) + body +
          b"GET http://other.test:8081/next HTTP/1.1\r\n"
          b"Host: other.test\r\n\r\n")
s.settimeout(3)
try:
    while s.recv(4000):
        pass
except OSError:
    pass'
for how in direct via; do
	: >"$SRV"
	if [ $how = via ]; then
		http_proxy=$USERP pt_lab_run $P -- "$PT_PY" -c "$PIPE" "$BODY"
	else
		pt_lab_run $P --proxy -- "$PT_PY" -c "$PIPE" "$BODY"
	fi
	pt_grep "$how: a body before a pipelined request reaches the server whole" \
		"$SRV" "^body ${#BODY} $SUM$"
	pt_grep "$how: and the next request is the server's next" "$SRV" \
		"^GET other.test (http://other.test:8081)?/next$"
done

# through the user's proxy, a tunnel to a sibling name carrying Host:
# the limited site: judged (the tunnel's target is the proxy's to know)
: >"$SRV"
HTTPS_PROXY=$USERP http_proxy=$USERP pt_lab_run $P -- \
	curl -sS -m 10 -p -H "Host: safe.test" -d x http://other.test:8081/tunnelled
pt_grep "a POST for the limited site in a tunnel to a sibling gets 403" \
	"$PT_OUT" "proctor refused POST safe.test/tunnelled"
pt_nogrep "... and never arrives" "$SRV" "tunnelled"

: >"$UP"
HTTPS_PROXY=$USERP http_proxy=$USERP pt_lab_run $P -- \
	curl -sS -m 10 -X TRACE -H "Max-Forwards: 0" http://other.test:8081/t
pt_grep "a TRACE, which the user's proxy may echo with its credentials, gets 403" \
	"$PT_OUT" "proctor refused TRACE other.test/t: relay a TRACE"
pt_nogrep "and the user's proxy never sees it" "$UP" "TRACE"

: >"$UP"
HTTPS_PROXY=$USERP http_proxy=$USERP pt_lab_run $P --allow-net 10.77.0.3:8081 \
	-- curl -sS -m 10 http://10.77.0.3:8081/literal
pt_grep "an address an entry allows is reached through the user's proxy" \
	"$PT_OUT" "^GET /literal"
HTTPS_PROXY=$USERP http_proxy=$USERP pt_lab_run $P -- \
	curl -sS -m 10 http://10.77.0.3:8081/literal-no
pt_grep "... and one no entry allows is refused" "$PT_OUT" \
	"proctor refused GET 10.77.0.3/literal-no"
pt_nogrep "... before the user's proxy hears of it" "$UP" "literal-no"

HTTPS_PROXY=$USERP pt_lab_run $P --no-proxy-offer -- \
	curl -sS -m 10 $CA https://safe.test/direct-to-proxy
pt_isnt "with --no-proxy-offer, the user's proxy is an address like any" \
	"$PT_RC" 0
pt_grep "and the policy refuses it" "$PT_ERR" "denied connect 10.77.0.3:3128"

HTTPS_PROXY=socks5://10.77.0.3:1080 pt_lab_run $P -- "$PT_PY" -c "$ENVQ"
pt_grep "a proxy proctor cannot speak to is reported" "$PT_ERR" \
	"HTTPS_PROXY=socks5://10.77.0.3:1080: proctor's proxy speaks to an http:// proxy only"
pt_grep "and left as it is" "$PT_OUT" "HTTPS_PROXY=socks5://10.77.0.3:1080"

pt_done
