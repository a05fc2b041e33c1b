#!/bin/bash
# Network policy by domain name (issue #5), in a network of the test's
# own (pt_dns_lab: a name server and HTTP servers on 10.77.0.1-4, no
# route anywhere else).  proctor answers the program's queries itself:
# allowed names resolve through the lab's server, others get "no such
# name" and never reach it; connects are judged by the name the address
# was answered for.  getent, curl, python3, git and ssh use the C
# library's resolver unchanged.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

pt_dns_lab "allowed.test A 10.77.0.2 300
allowed.test AAAA fd77::2 300
www.allowed.test A 10.77.0.2 120
deep.www.allowed.test A 10.77.0.2 120
denied.test A 10.77.0.3 300
*.denied.test A 10.77.0.3 300
shared-good.test A 10.77.0.4 300
shared-bad.test A 10.77.0.4 300
rebind.test A 127.0.0.1 300
short.test A 10.77.0.2 1
meta.test A 169.254.169.254 300
ns.allowed.test A 10.77.0.1 300
self.allowed.test A 10.77.0.100 300
cname.allowed.test CNAME evil.test 300
evil.test A 10.77.0.3 300
cdn.allowed.test CNAME edge.cdn-provider.test 300
edge.cdn-provider.test A 10.77.0.2 60
$(for i in $(seq 1 40); do
	echo "big6.allowed.test AAAA fd77:0:0:0:0:0:0:$i 300"
done)" || pt_done

# --- resolution ---------------------------------------------------------

pt_lab_run --allow-net allowed.test -- getent ahostsv4 allowed.test
pt_status "getent resolves an allowed name" 0
pt_grep "its address is the lab's" "$PT_OUT" "10\.77\.0\.2"
pt_check "the lab's server was asked for it" pt_lab_queried allowed.test
n=$("$PT_PY" - "$PT_LOG" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("class") == "resolve" and r.get("qtype") == "A":
        print(r["name"], r["decision"], r["answers"], r["ttl"],
              r["rule"]["pattern"])
PY
)
pt_is "the log records the name, answer and TTL" "$n" \
	"allowed.test allow ['10.77.0.2'] 300 allowed.test"

pt_lab_run --allow-net allowed.test -- getent hosts denied.test
pt_status "a denied name does not resolve" 2
pt_grep "the denial is explained" "$PT_ERR" \
	"^proctor: denied resolve denied.test by getent .*--allow-net 'denied.test'"
if pt_lab_queried denied.test; then
	pt_fail "no query for a denied name reaches the server"
else
	pt_ok "no query for a denied name reaches the server"
fi

pt_lab_run --allow-net allowed.test -- \
	getent hosts secret-data.denied.test
pt_status "secret-data.denied.test does not resolve" 2
if grep -q secret-data "$LAB/queries"; then
	pt_fail "the exfiltration query never reaches the server"
else
	pt_ok "the exfiltration query never reaches the server"
fi

pt_lab_run -- getent hosts allowed.test
pt_status "with the default policy no name resolves" 2

# --- connects judged by name ---------------------------------------------

pt_lab_run --allow-net allowed.test -- curl -sS -m 10 http://allowed.test/
pt_status "curl reaches an allowed name" 0
pt_grep "curl got the page" "$PT_OUT" "hello from the lab"
n=$(pt_count_decisions "$PT_LOG" name allowed.test allow)
pt_check "the connect records the name it was for ($n)" test "$n" -ge 1

pt_lab_run --allow-net allowed.test -- curl -sS -m 10 http://10.77.0.3/
pt_status "a hard-coded address of a denied name is refused" 7
sleep 0.2
pt_is "the denied host saw no request" "$(wc -l <"$LAB/http-3.log")" 0

pt_lab_run --allow-net allowed.test:443 -- curl -sS -m 10 \
	http://allowed.test/
pt_status "a name allowed on another port is refused on port 80" 7
pt_grep "the denial names the address and the name" "$PT_ERR" \
	"denied connect 10.77.0.2:80 \(allowed.test\) .*--allow-net 'allowed.test:80'"

pt_lab_run --allow-net allowed.test -- "$PT_PY" -c '
import urllib.request
print(urllib.request.urlopen("http://allowed.test/", timeout=10).read().decode())'
pt_status "python3 urllib reaches an allowed name" 0
pt_grep "python3 got the page" "$PT_OUT" "hello from the lab"

# A name from /etc/hosts is a name too.
printf '127.0.0.1 localhost\n10.77.0.2 fromhosts.test\n' \
	>"/etc/netns/$LAB_C/hosts"
pt_lab_run --allow-net fromhosts.test -- curl -sS -m 10 http://fromhosts.test/
pt_status "a name of /etc/hosts allowed by the policy connects" 0
pt_lab_run --allow-net allowed.test -- curl -sS -m 10 http://fromhosts.test/
pt_status "and is refused when the policy does not name it" 7
# two names on one address: a denial names the file's first, as glibc
# gives it, not the last one read
printf '127.0.0.1 localhost\n10.77.0.2 fromhosts.test\n10.77.0.2 alias.test\n' \
	>"/etc/netns/$LAB_C/hosts"
pt_lab_run --allow-net allowed.test -- curl -sS -m 10 http://fromhosts.test/
pt_grep "two names on one address: the denial names the first" "$PT_ERR" \
	'denied connect 10\.77\.0\.2:80 \(fromhosts\.test\)'
# lines read whole and CR LF ends: a line longer than any buffer is one
# line, whose last words are names of its address, not another line
{
	printf '127.0.0.1 localhost\r\n10.77.0.2 crlf.test\r\n'
	printf '10.77.0.9 %s 10.77.0.2 longline.test\n' "$(printf 'a%.0s' $(seq 1 1020))"
} >"/etc/netns/$LAB_C/hosts"
pt_lab_run --allow-net crlf.test -- curl -sS -m 10 http://crlf.test/
pt_status "a name on a CR LF line of /etc/hosts is its address's" 0
pt_lab_run --allow-net longline.test -- curl -sS -m 10 http://10.77.0.2/
pt_status "a long line's last words are not a line of their own" 7
rm -f "/etc/netns/$LAB_C/hosts"

# --- wildcards and deny over allow ----------------------------------------

pt_lab_run --allow-net '*.allowed.test' -- sh -c '
getent hosts deep.www.allowed.test && getent hosts www.allowed.test &&
! getent hosts allowed.test'
pt_status "*.allowed.test: names below it, not allowed.test itself" 0

pt_lab_run --allow-net '*.denied.test' --deny-net evil.denied.test -- \
	sh -c 'getent hosts ok.denied.test && ! getent hosts evil.denied.test'
pt_status "a deny entry beats a wildcard allow" 0
if grep -q "evil.denied.test" "$LAB/queries"; then
	pt_fail "the denied name under the wildcard was not queried"
else
	pt_ok "the denied name under the wildcard was not queried"
fi

cat >"$T/names.json" <<'JSON'
{"network": {"allow": ["*.denied.test"], "deny": ["bad.denied.test"]}}
JSON
pt_lab_run --policy "$T/names.json" -- sh -c '
getent hosts a.denied.test && ! getent hosts bad.denied.test'
pt_status "policy files take names, wildcards and deny lists" 0

# --- one address, two names ----------------------------------------------

pt_lab_run --allow-net shared-good.test -- sh -c '
! getent hosts shared-bad.test &&
curl -sS -m 10 -H "Host: shared-bad.test" http://shared-good.test/'
pt_status "an address shared with a denied name: reached by the allowed name" 0
if grep -q "shared-bad" "$LAB/queries"; then
	pt_fail "the denied name of the shared address was not queried"
else
	pt_ok "the denied name of the shared address was not queried"
fi

pt_lab_run --allow-net shared-bad.test:22 -- curl -sS -m 10 http://10.77.0.4/
pt_status "the shared address, hard-coded, is judged by address" 7

# --- names never grant this host or link-local addresses (rebinding) ------

ip netns exec "$LAB_C" "$PT_PY" -m http.server --bind 127.0.0.1 8080 \
	</dev/null >"$LAB/host-lo.log" 2>&1 &
pt_at_exit "kill $!"
pt_wait_for 10 ip netns exec "$LAB_C" "$PT_PY" -c '
import socket; socket.create_connection(("127.0.0.1", 8080), 1).close()' \
	2>/dev/null
: >"$LAB/host-lo.log"
pt_lab_run --allow-net rebind.test -- curl -sS -m 10 http://rebind.test:8080/
pt_status "an allowed name answering 127.0.0.1 does not reach the host" 7
pt_grep "... and the line names the name and why" "$PT_ERR" \
	"denied connect 127.0.0.1:8080 \\(rebind.test\\) by curl .*a name never grants a loopback, link-local or metadata address.*allow with --allow-net '127.0.0.1:8080'"
pt_lab_run --allow-net meta.test -- curl -sS -m 5 http://meta.test/
pt_status "an allowed name answering 169.254.169.254 is refused" 7
sleep 0.2
pt_is "the host's loopback listener saw nothing" \
	"$(wc -l <"$LAB/host-lo.log")" 0

# --- what cannot be served fails closed ----------------------------------

cat >"$T/udp.py" <<'PY'
import socket, struct
q = struct.pack("!HHHHHH", 7, 0x0100, 1, 0, 0, 0)
for label in b"udp-leak.denied.test".split(b"."):
    q += bytes([len(label)]) + label
q += b"\0\0\1\0\1"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
try:
    s.sendto(q, ("10.77.0.1", 53))
    s.recv(512)
    print("answered")
except OSError as e:
    print("failed:", e)
PY
pt_lab_run --allow-net allowed.test -- "$PT_PY" "$T/udp.py"
pt_grep "a UDP query of its own fails" "$PT_OUT" "failed:"
pt_grep "and is explained" "$PT_ERR" "proctor cannot answer"
if grep -q "udp-leak" "$LAB/queries"; then
	pt_fail "the UDP query never left"
else
	pt_ok "the UDP query never left"
fi

# The nameserver's own address, reached through an allowed name or inside
# an allowed network, is still not a way to send queries past proctor.
cat >"$T/udpns.py" <<'PY'
import socket, struct, sys
host, leak = sys.argv[1], sys.argv[2]
addr = socket.getaddrinfo(host, 53, socket.AF_INET)[0][4][0]
q = struct.pack("!HHHHHH", 7, 0x0100, 1, 0, 0, 0)
for label in leak.encode().split(b"."):
    q += bytes([len(label)]) + label
q += b"\0\0\1\0\1"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
try:
    s.sendto(q, (addr, 53))
    s.recv(512)
    print("answered")
except OSError as e:
    print("failed:", e)
PY
pt_lab_run --allow-net '*.allowed.test' -- "$PT_PY" "$T/udpns.py" \
	ns.allowed.test udp-via-name.denied.test
pt_grep "UDP to the nameserver, reached through an allowed name, fails" \
	"$PT_OUT" "failed:"
pt_lab_run --allow-net 10.77.0.0/24 -- sh -c '
getent hosts cidr-leak.denied.test; curl -sS -m 10 -o /dev/null http://10.77.0.2/'
pt_status "a network holding the nameserver keeps proctor's resolver" 0
if grep -E -q "udp-via-name|cidr-leak" "$LAB/queries"; then
	pt_fail "neither query reached the server" "$(cat "$LAB/queries")"
else
	pt_ok "neither query reached the server"
fi

# A name that answers with this host's own address (not loopback).
ip netns exec "$LAB_C" "$PT_PY" -m http.server --bind 10.77.0.100 7003 \
	</dev/null >"$LAB/host-if.log" 2>&1 &
pt_at_exit "kill $!"
pt_wait_for 10 ip netns exec "$LAB_C" "$PT_PY" -c '
import socket; socket.create_connection(("10.77.0.100", 7003), 1).close()' \
	2>/dev/null
: >"$LAB/host-if.log"
pt_lab_run --allow-net '*.allowed.test' -- curl -sS -m 5 \
	http://self.allowed.test:7003/
pt_status "a name answering the host's own address does not reach it" 7
sleep 0.2
pt_is "the host's service saw nothing" "$(wc -l <"$LAB/host-if.log")" 0

# CNAME chains: a denied target refuses the answer; an unlisted one not.
pt_lab_run --allow-net '*.allowed.test' --deny-net evil.test -- \
	getent hosts cname.allowed.test
pt_status "a CNAME to a denied name is refused" 2
pt_grep "the log names the chain" "$PT_LOG" '"cname":\["cname.allowed.test","evil.test"\]'
pt_lab_run --allow-net '*.allowed.test' -- curl -sS -m 10 \
	http://cdn.allowed.test/
pt_status "a CNAME to an unlisted name (a CDN) connects" 0

# Many addresses: all noted, and the log stays valid.
pt_lab_run --allow-net '*.allowed.test' -- getent ahostsv6 big6.allowed.test
pt_status "an answer with 40 addresses" 0
pt_is "all of them reach the program" \
	"$(awk '{print $1}' "$PT_OUT" | sort -u | wc -l)" 40
"$PROCTOR" log verify "$PT_LOG" >"$T/verify.out" 2>&1
pt_is "and the log verifies" "$?" 0

# Who asked: the process that wrote the query, not the one that
# connected; a half-closed socket still gets its answer; query types
# nobody needs do not leave.
cat >"$T/rawq.py" <<'PY'
import os, socket, struct, sys
def query(name, qtype):
    q = struct.pack("!HHHHHH", 5, 0x0100, 1, 0, 0, 0)
    for label in name.encode().split(b"."):
        q += bytes([len(label)]) + label
    return q + b"\0" + struct.pack("!HH", qtype, 1)
def ask(s, name, qtype=1):
    q = query(name, qtype)
    s.sendall(struct.pack("!H", len(q)) + q)
def answer(s):
    head = s.recv(2)
    if len(head) < 2:
        return "closed"
    n, = struct.unpack("!H", head)
    a = b""
    while len(a) < n:
        a += s.recv(n - len(a))
    return "rcode %d answers %d" % (a[3] & 15, a[7])
s = socket.create_connection(("10.77.0.1", 53), timeout=5)
mode = sys.argv[1]
if mode == "fork":
    pid = os.fork()
    if pid == 0:
        ask(s, "allowed.test")
        print("child", os.getpid(), answer(s))
        os._exit(0)
    os.waitpid(pid, 0)
elif mode == "half":
    ask(s, "allowed.test")
    s.shutdown(socket.SHUT_WR)
    print("half", answer(s))
elif mode == "type":
    ask(s, "allowed.test", 60956)
    print("type", answer(s))
PY
pt_lab_run --allow-net allowed.test -- "$PT_PY" "$T/rawq.py" fork
child=$(awk '/^child/ {print $2}' "$PT_OUT")
n=$("$PT_PY" - "$PT_LOG" "$child" <<'PY'
import json, sys
print(sum(1 for l in open(sys.argv[1]) if json.loads(l).get("class") ==
          "resolve" and json.loads(l).get("pid") == int(sys.argv[2])))
PY
)
pt_is "a query written by a child is recorded under the child" "$n" 1
pt_lab_run --allow-net allowed.test -- "$PT_PY" "$T/rawq.py" half
pt_grep "a half-closed resolver socket gets its answer" "$PT_OUT" \
	"^half rcode 0 answers 1"
pt_lab_run --allow-net allowed.test -- "$PT_PY" "$T/rawq.py" type
pt_grep "an unusual query type is refused" "$PT_OUT" "^type rcode 3"
if grep -q " 60956$" "$LAB/queries"; then
	pt_fail "and does not leave"
else
	pt_ok "and does not leave"
fi

# Per-command grants: curl (and what it starts) may reach allowed.test;
# nothing else in the run may even resolve it.
cat >"$T/grant.json" <<'JSON'
{"exec": {"allow": [{"pattern": "curl",
                     "grant": {"network": ["allowed.test"]}}]}}
JSON
pt_lab_run --policy "$T/grant.json" -- sh -c '
curl -sS -m 10 http://allowed.test/ && ! getent hosts allowed.test'
pt_status "a command's grant: curl reaches the name, getent cannot resolve it" 0
pt_grep "curl got the page under its grant" "$PT_OUT" "hello from the lab"

# --- answers kept for their TTL -------------------------------------------

# A name resolved again in one run is asked upstream once: the second
# answer is the one proctor kept (logged "cached", its TTL lowered by
# the time kept), and the connect after it is judged by the name as
# after the first.  A TTL of 1 s is asked upstream again once it ran out.
: >"$LAB/queries"
pt_lab_run --allow-net allowed.test --allow-net short.test -- sh -c '
getent ahostsv4 allowed.test >/dev/null && sleep 1.1 &&
getent ahostsv4 allowed.test >/dev/null &&
curl -sS -m 10 http://allowed.test/ &&
getent ahostsv4 short.test >/dev/null && sleep 2.1 &&
getent ahostsv4 short.test >/dev/null'
pt_status "two lookups of each name, a connect between: exits 0" 0
pt_grep "the connect after a kept answer is allowed by the name" "$PT_OUT" \
	"hello from the lab"
pt_is "allowed.test (TTL 300) is asked upstream once" \
	"$(grep -c ' allowed.test A$' "$LAB/queries")" 1
pt_is "short.test (TTL 1) is asked again after 2 s" \
	"$(grep -c ' short.test A$' "$LAB/queries")" 2
kept=$("$PT_PY" - "$PT_LOG" <<'PY'
import json, sys
out = []
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("class") == "resolve" and r.get("qtype") == "A":
        out.append("%s %s %s" % (r["name"], r.get("cached", False),
                                 r.get("ttl")))
print(",".join(out))
PY
)
# getent twice, then curl: the second and third answers are kept ones
if echo "$kept" | grep -Eq '^allowed.test False 300(,allowed.test True 29[0-9]){2},short.test False 1,short.test False 1$'; then
	pt_ok "the log marks the kept answers, their TTL lowered"
else
	pt_fail "the log marks the kept answers, their TTL lowered" "$kept"
fi

# "no such type" with the zone's SOA is kept too: an AAAA question for a
# name with an address only is asked upstream once
: >"$LAB/queries"
pt_lab_run --allow-net www.allowed.test -- sh -c '
getent ahosts www.allowed.test >/dev/null && getent ahosts www.allowed.test'
pt_status "a name without IPv6 resolves twice" 0
pt_is "its AAAA question (no such type) is asked upstream once" \
	"$(grep -c ' www.allowed.test AAAA$' "$LAB/queries")" 1

# --- programs --------------------------------------------------------------

if command -v git >/dev/null 2>&1; then
	git init -q --bare -b main "$LAB/www/repo.git"
	git -C "$LAB/www/repo.git" --bare update-server-info
	git init -q "$T/src" && (cd "$T/src" && echo hi >f &&
		git add f && git commit -qm one &&
		git push -q "$LAB/www/repo.git" HEAD:refs/heads/main) &&
		git -C "$LAB/www/repo.git" update-server-info
	pt_lab_run --allow-net allowed.test -- \
		git clone -q http://allowed.test/repo.git clone
	pt_status "git clones over http from an allowed name" 0
	pt_check "the clone has the file" test -f "$WS/clone/f"
fi

if command -v ssh >/dev/null 2>&1; then
	pt_lab_run --allow-net allowed.test -- ssh -4 -o BatchMode=yes \
		-o ConnectTimeout=5 -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -p 22 test@allowed.test true
	pt_grep "ssh resolves an allowed name (nobody listens on 22)" \
		"$PT_ERR" "Connection refused"
	pt_lab_run --allow-net allowed.test -- ssh -o BatchMode=yes \
		-o ConnectTimeout=5 test@denied.test true
	pt_grep "ssh cannot resolve a denied name" "$PT_ERR" \
		"Could not resolve hostname denied.test"
fi

pt_done
