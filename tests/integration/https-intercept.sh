#!/bin/bash
# TLS interception (issue #8): with "network": {"intercept": true},
# HTTPS to a domain whose entry limits methods is decrypted by proctor
# with a leaf from its per-user CA, so each request's method is judged as
# on plain HTTP.  In the lab (pt_dns_lab): request-logging HTTPS servers
# of the test's own on 10.77.0.3 (443: tests/lib/httpd.py; 8443: git's
# smart HTTP) with a certificate the test makes, trusted by proctor
# through PROCTOR_UPSTREAM_CA.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

pt_dns_lab "safe.test A 10.77.0.3 300
git.test A 10.77.0.3 300
deny.test A 10.77.0.3 300" || pt_done
pt_need "openssl, curl and git" openssl curl git || pt_done

TLS=$LAB/tls.log
GITLOG=$LAB/git.log
pt_lab_cert safe.test git.test deny.test
head -c $((64 << 20)) /dev/urandom >"$LAB/big.bin"
HTTPD_BIG=$LAB/big.bin pt_lab_serve tls httpd.py 10.77.0.3 443 "$TLS" \
	"$LAB/cert.pem" "$LAB/key.pem"
pt_lab_git_repo intercepted
pt_lab_serve git git_httpd.py 10.77.0.3 8443 "$LAB/git" "$LAB/cert.pem" \
	"$LAB/key.pem" "$GITLOG"
# a server that ends its answer with close_notify and then waits for
# the client's before it closes (HTTP/1.0, no Content-Length)
mkdir -p "$LAB/www10" && head -c 100000 /dev/urandom >"$LAB/www10/file"
(cd "$LAB/www10" && exec ip netns exec "$LAB_S" openssl s_server -quiet \
	-accept 10.77.0.3:4433 -WWW -cert "$LAB/cert.pem" -key "$LAB/key.pem" \
	</dev/null >"$LAB/s_server.err" 2>&1) &
pt_at_exit "kill $!"
pt_wait_for 10 grep -qs ready "$TLS" && pt_wait_for 10 grep -qs ready "$GITLOG" ||
	pt_fail "the test's servers start"
: >"$TLS"
: >"$GITLOG"

cat >"$T/policy.json" <<'JSON'
{"network": {"intercept": true, "allow": [
  {"pattern": "safe.test", "methods": ["GET", "HEAD", "OPTIONS"]},
  {"pattern": "git.test", "methods": ["GET", "POST"]},
  "deny.test"
]}}
JSON
P="--policy $T/policy.json"
export PROCTOR_UPSTREAM_CA=$LAB/cert.pem
unset SSL_CERT_DIR
CADIR=$XDG_CONFIG_HOME/proctor/ca

# --- policy ------------------------------------------------------------------

pt_proctor policy check "$T/policy.json"
pt_status "the policy checks" 0
pt_nogrep "with interception, method limits on HTTPS are enforceable" \
	"$PT_OUT" "not enforceable"
echo '{"network": {"intercept": "yes"}}' >"$T/bad.json"
pt_proctor policy check "$T/bad.json"
pt_grep "intercept takes true or false" "$PT_ERR" \
	'network.intercept: expected true'

# --- HTTPS, decrypted ----------------------------------------------------------

pt_lab_run $P -- curl -sS -m 10 https://safe.test/hello
pt_status "curl GETs over HTTPS through the interception" 0
pt_grep "curl got the answer" "$PT_OUT" "^GET /hello"
pt_grep "the server saw the GET" "$TLS" "^GET safe.test /hello"
pt_check "the request is logged with its method" grep -q \
	'"class":"http".*"decision":"allow".*"method":"GET"' "$PT_LOG"

: >"$TLS"
pt_lab_run $P -- curl -sS -m 10 -d data https://safe.test/upload
pt_grep "a POST over HTTPS gets 403 naming the rule" "$PT_OUT" \
	"proctor refused POST safe.test/upload: network.allow\[0\] safe.test"
pt_nogrep "the server never sees the POST" "$TLS" "POST"
pt_check "the refusal is logged" grep -q \
	'"class":"http".*"decision":"deny".*"method":"POST"' "$PT_LOG"

pt_lab_run $P -- curl -sS -m 10 --http2 -o /dev/null \
	-w '%{http_version}\n' https://safe.test/h2
pt_grep "HTTP/2 is never negotiated" "$PT_OUT" "^1.1$"

: >"$TLS"
pt_lab_run $P -- "$PT_PY" -c '
import urllib.request, urllib.error
print(urllib.request.urlopen("https://safe.test/py", timeout=10).read().decode())
try:
    urllib.request.urlopen("https://safe.test/py", data=b"x", timeout=10)
except urllib.error.HTTPError as e:
    print("refused", e.code)'
pt_status "python3 urllib works through the interception" 0
pt_grep "urllib got the answer" "$PT_OUT" "^GET /py"
pt_grep "urllib POST gets 403" "$PT_OUT" "^refused 403"
pt_nogrep "the server never sees urllib's POST" "$TLS" "POST"

: >"$TLS"
pt_lab_run $P -- "$PT_PY" -c '
import http.client
c = http.client.HTTPSConnection("safe.test", timeout=10)
c.request("GET", "/first")
r = c.getresponse()
print(r.status, r.read().decode().strip())
c.request("POST", "/second", body=b"x")
r = c.getresponse()
print(r.status, r.read().decode().strip())'
pt_grep "keep-alive over HTTPS: the first request is answered" "$PT_OUT" \
	"^200 GET /first"
pt_grep "the second, a POST on the same connection, gets 403" "$PT_OUT" \
	"^403 proctor refused POST"
pt_grep "the server saw the first" "$TLS" "GET safe.test /first"
pt_nogrep "and never the second" "$TLS" "second"

pt_lab_run $P -- "$PT_PY" -c '
import http.client
c = http.client.HTTPSConnection("safe.test", timeout=10)
c.request("GET", "/fronted", headers={"Host": "git.test"})
r = c.getresponse()
print(r.status, r.read().decode().strip())'
pt_grep "a decrypted request naming another Host than TLS did gets 403" \
	"$PT_OUT" "^403 .*Host header names another server"
pt_nogrep "and never reaches the server" "$TLS" "fronted"

want=$(sha256sum <"$LAB/www10/file" | cut -d' ' -f1)
pt_lab_run $P -- sh -c 'curl -sS -m 10 https://safe.test:4433/file | sha256sum'
pt_status "an answer that ends with close_notify ends" 0
pt_grep "and is whole" "$PT_OUT" "^$want"

want=$(sha256sum <"$LAB/big.bin" | cut -d' ' -f1)
PT_TIMEOUT=120 pt_lab_run $P -- sh -c \
	'curl -sS -m 100 https://safe.test/big | sha256sum'
pt_grep "64 MiB through the interception are byte-identical" "$PT_OUT" "^$want"

pt_lab_run $P -- git clone -q https://git.test:8443/repo.git "$WS/clone"
pt_status "git clone over HTTPS works through the interception" 0
pt_check "the clone has the file" grep -qx intercepted "$WS/clone/file"
pt_grep "git's POST went through, judged" "$GITLOG" "^POST /repo.git/git-upload-pack"

# --- trust ------------------------------------------------------------------

pt_lab_run $P -- sh -c 'grep -c "proctor interception CA" \
	/etc/ssl/certs/ca-certificates.crt; echo "file=$SSL_CERT_FILE"'
if [ -e /etc/ssl/certs/ca-certificates.crt ]; then
	pt_grep "the program's system bundle holds the CA" "$PT_OUT" "^1$"
	pt_check "the real bundle is unchanged" sh -c \
		'! grep -q "proctor interception" /etc/ssl/certs/ca-certificates.crt'
else
	pt_skip "the system bundle" "no /etc/ssl/certs/ca-certificates.crt"
fi
# A program that trusts only a CApath directory: OpenSSL's by_dir stats
# DIR/HASH.N and opens it.  The bundle is kept out of it: s_client loads
# no file, curl one that holds an unrelated CA.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-days 1 -subj "/CN=unrelated test CA" -keyout "$T/other.key" \
	-out "$T/other.pem" 2>/dev/null
for dir in /etc/ssl/certs /usr/lib/ssl/certs; do
	[ -d "$dir" ] || continue
	pt_lab_run $P -- sh -c "echo | openssl s_client -connect safe.test:443 \
		-servername safe.test -verify_hostname safe.test \
		-verify_return_error -no-CAfile -no-CAstore -CApath $dir 2>&1"
	pt_grep "openssl s_client -CApath $dir verifies the intercepted server" \
		"$PT_OUT" "Verify return code: 0 \(ok\)"
done
pt_lab_run $P -- curl -sS -m 10 --cacert "$T/other.pem" \
	--capath /etc/ssl/certs https://safe.test/capath
pt_status "curl --capath /etc/ssl/certs (its --cacert unrelated) works" 0
pt_grep "and gets the answer" "$PT_OUT" "^GET /capath"
pt_lab_run $P -- curl -sS -m 10 --cacert "$T/other.pem" --capath "$T" \
	https://safe.test/elsewhere
pt_check "a directory not a certs directory is not served the CA" \
	test "$PT_RC" != 0
pt_lab_run $P -- env -u SSL_CERT_FILE sh -c "echo "'"dir=$SSL_CERT_DIR"'";
	echo | openssl s_client -connect safe.test:443 -servername safe.test \
		-verify_return_error -no-CAfile -no-CAstore 2>&1"
pt_grep "SSL_CERT_DIR names the run's CA dir, then OpenSSL's" "$PT_OUT" \
	"^dir=.*/proctor-ca-certs:$(openssl version -d | sed 's/.*"\(.*\)"/\1/')/certs$"
pt_grep "a program with only the default CApath verifies" "$PT_OUT" \
	"Verify return code: 0 \(ok\)"
if [ -n "$PT_PY" ]; then
	pt_lab_run $P -- env -u SSL_CERT_FILE "$PT_PY" -c '
import ssl, urllib.request
c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
c.load_verify_locations(capath="/etc/ssl/certs")
print(urllib.request.urlopen("https://safe.test/py-capath", context=c,
                             timeout=10).read().decode())'
	pt_grep "python with only capath=/etc/ssl/certs works" "$PT_OUT" \
		"^GET /py-capath"
fi
pt_lab_run -- sh -c 'echo "dir=$SSL_CERT_DIR"'
pt_nogrep "without interception SSL_CERT_DIR is left alone" "$PT_OUT" \
	"proctor-ca-certs"

key=$(ls "$CADIR"/ca-*.key 2>/dev/null | head -n1)
pt_check "the CA key is kept under the config dir" test -n "$key"
pt_check "the CA key is mode 0600" test "$(stat -c %a "$key")" = 600
pt_check "the CA is constrained to the intercepted names" sh -c \
	"openssl x509 -in '${key%.key}.pem' -noout -text |
	 grep -A3 'Name Constraints: critical' | grep -q 'DNS:git.test'"

# --- what is refused ----------------------------------------------------------

: >"$TLS"
# (the limited name elsewhere: no limited name is at deny.test's address)
cat >"$T/solo.json" <<'JSON'
{"network": {"intercept": true, "allow": [
  {"pattern": "elsewhere.test", "methods": ["GET"]}, "deny.test"]}}
JSON
pt_lab_run --policy "$T/solo.json" -- curl -sS -m 10 -d x \
	--cacert "$LAB/cert.pem" https://deny.test/x
pt_grep "a domain without methods is not decrypted (the program sees the real certificate)" \
	"$PT_OUT" "^POST /x"
# domain fronting: TLS naming the unlimited deny.test to the address that
# also serves safe.test, whose requests are decrypted, would carry a POST
# with Host: safe.test to a server that routes by Host, unjudged
: >"$TLS"
pt_lab_run $P -- sh -c 'getent hosts safe.test >/dev/null &&
	curl -sS -m 10 -d x -H "Host: safe.test" --cacert "$1" \
	https://deny.test/fronted' sh "$LAB/cert.pem"
pt_isnt "TLS naming another name at an intercepted name's address is refused" \
	"$PT_RC" 0
pt_grep "... and said why" "$PT_ERR" \
	'TLS naming deny.test to an address that also serves safe.test.*domain fronting'
pt_nogrep "... the server saw no request" "$TLS" "fronted"
pt_lab_run $P -- curl -sS -m 10 -d x -H "Host: safe.test" \
	--cacert "$LAB/cert.pem" https://deny.test/unresolved
pt_grep "... also when the program never resolved the limited name" \
	"$PT_ERR" 'TLS naming deny.test to an address that also serves safe.test'
pt_nogrep "... and the server saw no request" "$TLS" "unresolved"
# a command's grant that limits methods is intercepted like the policy's
cat >"$T/grant.json" <<JSON
{"network": {"intercept": true, "allow": [
  {"pattern": "git.test", "methods": ["GET"]}]},
 "exec": {"allow": [{"pattern": ["$(command -v curl)"],
   "grant": {"network": [{"pattern": "safe.test", "methods": ["GET", "HEAD"]}]}}]}}
JSON
: >"$TLS"
pt_lab_run --policy "$T/grant.json" -- curl -sS -m 10 -d x \
	https://safe.test/granted
pt_grep "a grant's method limits hold over HTTPS: 403" "$PT_OUT" \
	"proctor refused POST safe.test/granted"
pt_nogrep "... the server saw no POST" "$TLS" "granted"
# a handshake dripped a byte at a time holds a thread no longer than the
# handshakes' time over all (15 s), though each read comes in time
cat >"$T/drip.py" <<'PY'
import socket, ssl, time
s = socket.create_connection((socket.gethostbyname("safe.test"), 443))
inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
o = ssl.create_default_context().wrap_bio(inc, out, server_hostname="safe.test")
try:
    o.do_handshake()
except ssl.SSLWantReadError:
    pass
s.sendall(out.read())
s.settimeout(0.5)
start, first = time.time(), True
while time.time() - start < 40:
    try:
        s.send(b"\x17\x03\x03\x40\x00" if first else b"\x00")
        first = False
        while s.recv(4096):
            pass
        print("closed by proctor")
        break
    except socket.timeout:
        time.sleep(3)
    except OSError:
        print("closed by proctor")
        break
else:
    print("still open after 40 s")
PY
pt_lab_run $P -- "$PT_PY" "$T/drip.py"
pt_grep "a dripped handshake is cut when the handshakes' time is over" \
	"$PT_OUT" "^closed by proctor$"
PROCTOR_UPSTREAM_CA= pt_lab_run $P -- curl -sS -m 10 https://safe.test/unverified
pt_check "an unverified server: the program's connection is closed" \
	test "$PT_RC" != 0
pt_check "and the reason is logged" grep -q \
	'"class":"tls".*"decision":"deny".*certificate not verified' "$PT_LOG"
pt_nogrep "the unverified server saw no request" "$TLS" "unverified"

# --- the key stays out of reach (escape-style) -----------------------------------

pt_lab_run $P -- sh -c "cat '$key'; cat $CADIR/*.key; ls '$CADIR'; \
	cp '$key' '$WS/stolen'"
pt_nogrep "the CA key cannot be read from inside" "$PT_OUT" "PRIVATE KEY"
pt_check "nor copied out" test ! -e "$WS/stolen"
pt_lab_run $P -- "$PT_PY" -c "
import os
for p in ('$key', '/proc/self/root$key', '/proc/1/root$key'):
    try:
        print(open(p).read())
    except OSError as e:
        print('refused', p, e.errno)"
pt_nogrep "nor through /proc/self/root" "$PT_OUT" "PRIVATE KEY"
pt_lab_run $P -- sh -c "echo x > '$key'"
pt_check "nor overwritten" grep -q "PRIVATE KEY" "$key"

pt_done
