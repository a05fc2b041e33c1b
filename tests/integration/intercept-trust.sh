#!/bin/bash
# TLS interception (issue #8), what needs no network: the switch, the
# per-user CA (made under proctor's config dir, kept per set of domains,
# name-constrained), the trust the program gets (the system bundle as it
# opens it, the usual variables when unset) and the CA key out of the
# program's reach.  Runs as root and as an unprivileged user.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
pt_need "openssl" openssl || pt_done

unset SSL_CERT_FILE CURL_CA_BUNDLE REQUESTS_CA_BUNDLE GIT_SSL_CAINFO \
	NODE_EXTRA_CA_CERTS SSL_CERT_DIR
CADIR=$XDG_CONFIG_HOME/proctor/ca
SYS=/etc/ssl/certs/ca-certificates.crt

cat >"$T/on.json" <<'JSON'
{"network": {"intercept": true, "allow": [
  {"pattern": "api.test", "methods": ["GET"]},
  {"pattern": "*.files.test", "methods": ["GET", "HEAD"]},
  "plain.test"
]}}
JSON
sed 's/"intercept": true, //' "$T/on.json" >"$T/off.json"

# --- the switch ----------------------------------------------------------------

pt_proctor policy check "$T/off.json"
pt_grep "without interception, policy check warns" "$PT_OUT" \
	"allow\[0\] api.test: warning: its method limits are not enforceable"
pt_proctor policy check "$T/on.json"
pt_nogrep "with it, no warning" "$PT_OUT" "not enforceable"

pt_proctor policy diff "$T/off.json" "$T/on.json"
pt_grep "policy diff shows the switch" "$PT_OUT" \
	'^~ network.intercept \(unset\) -> true$'
pt_proctor policy show --policy "$T/on.json"
[ -n "$PT_PY" ] && pt_check "policy show names the switch and its file" \
	"$PT_PY" -c 'import json, sys
i = json.load(open(sys.argv[1]))["network"]["intercept"]
assert i["on"] is True and i["origin"].endswith("on.json"), i' "$PT_OUT"

pt_run --policy "$T/off.json" -- sh -c 'echo "[$SSL_CERT_FILE]"'
pt_grep "off by default: no CA variable" "$PT_OUT" '^\[\]$'
pt_check "and no CA made" test ! -e "$CADIR"

pt_run --policy "$T/off.json" --intercept-tls -- sh -c 'echo "[$SSL_CERT_FILE]"'
pt_grep "--intercept-tls turns it on" "$PT_OUT" '^\[.*/proctor-ca-bundle.pem\]$'
echo '{"network": {"intercept": true, "allow": ["plain.test"]}}' >"$T/none.json"
pt_run --policy "$T/none.json" -- true
pt_grep "on without a domain with methods: said so" "$PT_ERR" \
	'no network allow entry for a domain has "methods"'

# --- the CA ----------------------------------------------------------------------

pt_run --policy "$T/on.json" -- sh -c '
	for v in SSL_CERT_FILE CURL_CA_BUNDLE REQUESTS_CA_BUNDLE \
		GIT_SSL_CAINFO NODE_EXTRA_CA_CERTS; do
		eval "echo $v=\$$v"
	done
	echo "certs=$(grep -c "BEGIN CERTIFICATE" "$SSL_CERT_FILE")"
	echo "keys=$(grep -c "PRIVATE KEY" "$SSL_CERT_FILE")"'
pt_status "a run with interception on" 0
for v in SSL_CERT_FILE CURL_CA_BUNDLE REQUESTS_CA_BUNDLE GIT_SSL_CAINFO \
	NODE_EXTRA_CA_CERTS; do
	pt_grep "$v names the public bundle" "$PT_OUT" "^$v=.*/proctor-ca-bundle.pem$"
done
pt_grep "the public bundle holds certificates" "$PT_OUT" "^certs=[1-9]"
pt_grep "and no key" "$PT_OUT" "^keys=0$"
key=$(ls "$CADIR"/ca-*.key 2>/dev/null | head -n1)
pt_check "the CA key is under proctor's config dir" test -n "$key"
pt_check "mode 0600" test "$(stat -c %a "$key")" = 600
pt_check "in a directory of mode 0700" test "$(stat -c %a "$CADIR")" = 700
openssl x509 -in "${key%.key}.pem" -noout -text >"$T/ca.txt"
pt_grep "the CA is P-256" "$T/ca.txt" "NIST CURVE: P-256|prime256v1"
pt_grep "its name constraints are critical" "$T/ca.txt" "Name Constraints: critical"
pt_grep "they permit api.test" "$T/ca.txt" "DNS:api.test"
pt_grep "and files.test (for *.files.test)" "$T/ca.txt" "DNS:files.test"
pt_nogrep "and not plain.test (no methods)" "$T/ca.txt" "plain.test"
pt_grep "they exclude every IPv4 address" "$T/ca.txt" "IP:0.0.0.0/0.0.0.0"
pt_grep "and every IPv6 one" "$T/ca.txt" "IP:0:0:0:0:0:0:0:0/0:0:0:0:0:0:0:0"
# a leaf for an address, signed with the key (as a thief would): refused
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/leaf.key" -out "$T/leaf.csr" -subj /CN=x 2>/dev/null
printf 'subjectAltName=IP:192.0.2.7\n' >"$T/ip.ext"
openssl x509 -req -in "$T/leaf.csr" -CA "${key%.key}.pem" -CAkey "$key" \
	-out "$T/ip.pem" -extfile "$T/ip.ext" 2>/dev/null
pt_check "a leaf the CA's key signs for an address does not verify" \
	sh -c "! openssl verify -CAfile '${key%.key}.pem' -purpose sslserver \
		-verify_ip 192.0.2.7 '$T/ip.pem' >/dev/null 2>&1"

SSL_CERT_FILE=/elsewhere.pem pt_run --policy "$T/on.json" -- \
	sh -c 'echo "$SSL_CERT_FILE"'
pt_grep "a variable the user set is kept" "$PT_OUT" "^/elsewhere.pem$"

pt_run --policy "$T/on.json" -- true
pt_check "the same domains: the same CA" test "$(ls "$CADIR"/*.key)" = "$key"
sed 's/"api.test"/"api2.test"/' "$T/on.json" >"$T/other.json"
pt_run --policy "$T/other.json" -- true
pt_check "other domains: another CA" test "$(ls "$CADIR"/*.key | wc -l)" = 2

# --- the system bundle as the program opens it --------------------------------

if [ -r "$SYS" ]; then
	SSL_CERT_FILE=$SYS pt_run --policy "$T/on.json" -- sh -c "
		grep -c 'proctor interception CA' '$SYS'
		echo x >>'$SYS' && echo appended"
	pt_grep "the system bundle, opened by the program, holds the CA" \
		"$PT_OUT" "^1$"
	pt_nogrep "and cannot be changed through it" "$PT_OUT" "appended"
	pt_check "the real bundle is untouched" sh -c "! grep -q 'proctor interception' '$SYS'"
	if [ -n "$PT_PY" ]; then
		pt_run --policy "$T/on.json" -- env -u SSL_CERT_FILE "$PT_PY" -c '
import ssl
c = ssl.create_default_context()
print(any("proctor interception" in str(x["subject"]) for x in c.get_ca_certs()))'
		pt_grep "python's default context trusts the CA" "$PT_OUT" "^True$"
	fi
	pt_run --policy "$T/off.json" -- grep -c 'proctor interception CA' "$SYS"
	pt_grep "without interception the bundle is the system's" "$PT_OUT" "^0$"
else
	pt_skip "the system bundle" "no $SYS on this machine"
fi

# --- the CA by its hashed name (a CApath lookup) ------------------------------------

sysdir=$(openssl version -d | sed 's/.*"\(.*\)"/\1/')/certs
pt_run --policy "$T/on.json" -- sh -c '
	echo "dir=$SSL_CERT_DIR"
	d=${SSL_CERT_DIR%%:*}
	for f in "$d"/*; do echo "file=${f##*/}"; done
	echo "certs=$(cat "$d"/* | grep -c "BEGIN CERTIFICATE")"
	echo "keys=$(cat "$d"/* | grep -c "PRIVATE KEY")"
	echo "subject=$(openssl x509 -in "$d"/*.0 -noout -subject)"
	echo "hash=$(openssl x509 -in "$d"/*.0 -noout -subject_hash)"'
pt_grep "SSL_CERT_DIR names the run's CA dir, then OpenSSL's" "$PT_OUT" \
	"^dir=.*/proctor-ca-certs:$sysdir$"
hash=$(sed -n 's/^hash=//p' "$PT_OUT")
pt_grep "it holds the CA as HASH.0, its subject hash" "$PT_OUT" \
	"^file=$hash\.0$"
pt_grep "one certificate" "$PT_OUT" "^certs=1$"
pt_grep "no key" "$PT_OUT" "^keys=0$"
pt_grep "proctor's CA" "$PT_OUT" "^subject=.*proctor interception CA"
SSL_CERT_DIR=/elsewhere pt_run --policy "$T/on.json" -- \
	sh -c 'echo "$SSL_CERT_DIR"'
pt_grep "an SSL_CERT_DIR the user set is kept" "$PT_OUT" "^/elsewhere$"

if [ -n "$PT_PY" ] && [ -n "$hash" ] && [ -d /etc/ssl/certs ] &&
	[ ! -e "/etc/ssl/certs/$hash.0" ]; then
	cat >"$T/lookup.py" <<'PY'
import os, stat, sys
for p in sys.argv[1:]:
    try:
        st = os.stat(p)
        with open(p) as f:
            text = f.read()
            fmode = oct(os.fstat(f.fileno()).st_mode)
        print(p, "size", st.st_size, len(text), "mode", oct(st.st_mode),
              "certs", text.count("BEGIN CERTIFICATE"), "fstat", fmode)
    except OSError as e:
        print(p, "errno", e.errno)
try:
    open(sys.argv[1], "r+")
    print(sys.argv[1], "writable")
except OSError as e:
    print(sys.argv[1], "write errno", e.errno)
PY
	pt_run --policy "$T/on.json" -- "$PT_PY" "$T/lookup.py" \
		"/etc/ssl/certs/$hash.0" "/etc/ssl/certs/$hash.1" \
		"$sysdir/$hash.0" "$WS/$hash.0" "/etc/ssl/certs/../certs/$hash.0"
	pt_grep "stat then open of CERTS/HASH.0 gives the CA, a read-only file of its size" \
		"$PT_OUT" "^/etc/ssl/certs/$hash.0 size ([0-9]+) \1 mode 0o100444 certs 1 fstat 0o100444$"
	pt_grep "it cannot be opened for writing" "$PT_OUT" \
		"^/etc/ssl/certs/$hash.0 write errno"
	pt_grep "HASH.1 is not served (the lookup ends)" "$PT_OUT" \
		"^/etc/ssl/certs/$hash.1 errno 2$"
	pt_grep "OpenSSL's own dir is served too" "$PT_OUT" \
		"^$sysdir/$hash.0 size"
	pt_grep "a directory that is no certs directory is not" "$PT_OUT" \
		"^$WS/$hash.0 errno 2$"
	pt_grep "another spelling of the directory is" "$PT_OUT" \
		"^/etc/ssl/certs/../certs/$hash.0 size"
	pt_check "the certs directory is unchanged" test ! -e "/etc/ssl/certs/$hash.0"
	pt_run --policy "$T/off.json" -- "$PT_PY" "$T/lookup.py" \
		"/etc/ssl/certs/$hash.0"
	pt_grep "without interception nothing is served" "$PT_OUT" \
		"^/etc/ssl/certs/$hash.0 errno 2$"
	pt_run --policy "$T/on.json" -- sh -c 'openssl verify -no-CAfile \
		-no-CAstore -CApath /etc/ssl/certs "${SSL_CERT_DIR%%:*}"/*.0'
	pt_grep "openssl verify -CApath /etc/ssl/certs finds the CA" "$PT_OUT" ": OK$"
else
	pt_skip "the hashed name" "no python3, no /etc/ssl/certs, or HASH.0 there"
fi

# --- the key stays out of reach -----------------------------------------------------

pt_run --policy "$T/on.json" -- sh -c "cat '$key'; cat '$CADIR'/*.key;
	ls '$CADIR'; cp '$key' '$WS/stolen'"
pt_nogrep "the CA key cannot be read" "$PT_OUT" "PRIVATE KEY"
pt_check "nor copied" test ! -e "$WS/stolen"
if [ -n "$PT_PY" ]; then
	pt_run --policy "$T/on.json" -- "$PT_PY" -c "
import os
for p in ('$key', '/proc/self/root$key', '/proc/self/cwd/../config/proctor/ca/' + os.path.basename('$key')):
    try:
        print(open(p).read())
    except OSError as e:
        print('refused', e.errno)"
	pt_nogrep "nor through /proc/self/root or a relative path" "$PT_OUT" "PRIVATE KEY"
fi
pt_run --policy "$T/on.json" -- sh -c "echo x >'$key'; rm -f '$key';
	mv '$CADIR' '$WS/ca'; ln -s /dev/null '$CADIR/new.key'"
pt_check "nor overwritten, removed or moved" grep -q "PRIVATE KEY" "$key"
pt_check "nor anything added beside it" test ! -e "$CADIR/new.key"
pt_run --permissive --policy "$T/on.json" -- cat "$key"
pt_nogrep "not even with --permissive" "$PT_OUT" "PRIVATE KEY"

pt_done
