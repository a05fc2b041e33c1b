#!/bin/bash
# Class 12, sends whose packet goes elsewhere than the judged address: a
# route carried in the packet makes the kernel send it to the route's
# first hop.  IPv6 segment routing headers (setsockopt IPV6_RTHDR, no
# privilege needed), IPv4 source routes (IP_OPTIONS; and IP_RETOPTS as a
# control message of sendmsg, which proctor sends with its own
# privileges: root's CAP_NET_RAW), and the RFC 2292 and flow label forms,
# each aimed at the run's own loopback listener, which the default
# policy lets it reach.  In a network namespace of its own with only
# loopback (root only), where a sniffer on lo sees every packet: none may
# reach the first hop, an address of that namespace.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
. "$PT_TESTS/escape/helpers.bash"
esc_init 12

if [ "$(id -u)" != 0 ]; then
	pt_skip "class 12: rerouting options" "a network namespace needs root"
	esc_summary
	pt_done
fi
pt_need "class 12: rerouting options" unshare ip || {
	esc_summary
	pt_done
}
if [ -z "$PT_PY" ]; then
	pt_skip "class 12: rerouting options" "python3 is not installed"
	esc_summary
	pt_done
fi

cat >"$T/sniff.py" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind(("lo", 0))
s.settimeout(0.2)
open(sys.argv[1], "w").close()
while True:
    try:
        p = s.recv(65535)
    except socket.timeout:
        continue
    for m in (b"REROUTED-", ):
        i = p.find(m)
        if i >= 0:
            print(p[i:i + 40].split(b"\0")[0].decode(errors="replace"),
                  flush=True)
PY
cat >"$T/reroute.py" <<'PY'
import socket, struct, sys
hop6 = socket.inet_pton(socket.AF_INET6, "fd31::3")
hop4 = socket.inet_aton("10.231.0.3")
IPV6_RTHDR, IPV6_2292RTHDR, IPV6_2292PKTOPTIONS = 57, 5, 6
IPV6_FLOWLABEL_MGR, IPV6_FLOWINFO_SEND, IP_RETOPTS = 32, 33, 7
# a segment routing header: two segments, the first hop last
srh = bytes([0, 4, 4, 1, 1, 0, 0, 0]) + b"\0" * 16 + hop6
lsrr = bytes([0x83, 7, 4]) + hop4 + b"\x01"
l6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
l6.bind(("::1", 0))
p6 = l6.getsockname()[1]
l4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
l4.bind(("127.0.0.1", 0))
p4 = l4.getsockname()[1]

def attempt(name, f):
    try:
        f(("REROUTED-" + name).encode())
        print("CALL %s rc=0 errno=0 win=0" % name)
    except OSError as e:
        print("CALL %s rc=-1 errno=%s win=0" % (name, e.errno))

def udp6():
    return socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)

def srh_sendto(m):
    s = udp6()
    s.setsockopt(socket.IPPROTO_IPV6, IPV6_RTHDR, srh)
    s.sendto(m, ("::1", p6))

def srh_connected(m):
    s = udp6()
    s.setsockopt(socket.IPPROTO_IPV6, IPV6_RTHDR, srh)
    s.connect(("::1", p6))
    s.send(m)

def srh_2292(m):
    s = udp6()
    s.setsockopt(socket.IPPROTO_IPV6, IPV6_2292RTHDR, srh)
    s.sendto(m, ("::1", p6))

def srh_pktoptions(m):
    s = udp6()
    cm = struct.pack("QiI", 16 + len(srh), socket.IPPROTO_IPV6,
                     IPV6_RTHDR) + srh
    s.setsockopt(socket.IPPROTO_IPV6, IPV6_2292PKTOPTIONS, cm)
    s.sendto(m, ("::1", p6))

def srh_tcp(m):
    t = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    t.setsockopt(socket.IPPROTO_IPV6, IPV6_RTHDR, srh)
    t.settimeout(1)
    t.connect(("::1", p6))

def flowlabel(m):
    s = udp6()
    s.setsockopt(socket.IPPROTO_IPV6, IPV6_FLOWINFO_SEND, 1)
    req = (socket.inet_pton(socket.AF_INET6, "::1") +
           struct.pack(">IBBHHHI", 0x12345, 0, 3, 1, 0, 0, 0))
    s.setsockopt(socket.IPPROTO_IPV6, IPV6_FLOWLABEL_MGR, req)
    s.sendto(m, ("::1", p6, 0x12345, 0))

def lsrr_sockopt(m):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, lsrr)
    s.sendto(m, ("127.0.0.1", p4))

def lsrr_cmsg(m):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendmsg([m], [(socket.IPPROTO_IP, IP_RETOPTS, lsrr)], 0,
              ("127.0.0.1", p4))

for n, f in (("srh-sendto", srh_sendto), ("srh-connected", srh_connected),
             ("srh-2292", srh_2292), ("srh-pktoptions", srh_pktoptions),
             ("srh-tcp", srh_tcp), ("flowlabel", flowlabel),
             ("lsrr-sockopt", lsrr_sockopt), ("lsrr-cmsg", lsrr_cmsg)):
    attempt(n, f)
# control: a plain send to the run's own listener still goes
c6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
c6.bind(("::1", 0))
c6.settimeout(2)
udp6().sendto(b"plain", ("::1", c6.getsockname()[1]))
print("GOOD own-listener-send ok=%d" % (c6.recv(16) == b"plain"))
print("TOTAL attempts=8 wins=0")
PY

# run MODE: the attempts in a namespace whose lo holds the first hops;
# stdout to $PT_OUT, what reached lo to $T/out/sniffed-MODE
run() {
	local mode=$1 cmd
	shift
	cmd=$(printf '%q ' "$@")
	: >"$T/out/sniffed-$mode"
	timeout -k 5 "$PT_TIMEOUT" unshare -n sh -c "
		ip link set lo up &&
		ip addr add fd31::3/128 dev lo nodad &&
		ip addr add 10.231.0.3/32 dev lo || exit 99
		$(printf '%q ' "$PT_PY" "$T/sniff.py" "$T/out/sniff-ready") \
			>$(printf '%q' "$T/out/sniffed-$mode") 2>&1 &
		s=\$!
		i=0
		while [ ! -e $(printf '%q' "$T/out/sniff-ready") ] &&
			[ \$i -lt 50 ]; do sleep 0.1; i=\$((i + 1)); done
		$cmd
		sleep 0.5
		kill \$s" </dev/null >"$PT_OUT" 2>"$PT_ERR"
	PT_RC=$?
	rm -f "$T/out/sniff-ready"
}

# for the record: which of them reroute without proctor
run native "$PT_PY" "$T/reroute.py"
pt_diag "without proctor, reached the first hop: $(tr '\n' ' ' \
	<"$T/out/sniffed-native")"

run proctor "$PROCTOR" run --log "$PT_LOG" -- "$PT_PY" "$T/reroute.py"
if [ "$PT_RC" = 99 ]; then
	pt_skip "class 12: rerouting options" "cannot set up the namespace"
else
	esc_results
	for n in srh-sendto srh-connected srh-2292 srh-pktoptions srh-tcp \
		flowlabel lsrr-sockopt lsrr-cmsg; do
		if grep -q "^REROUTED-$n" "$T/out/sniffed-proctor"; then
			pt_fail "class 12: $n: nothing reached the first hop" \
				"$(grep "^REROUTED-$n" "$T/out/sniffed-proctor" | head -n 1)"
			esc_attempt 1
		else
			pt_ok "class 12: $n: nothing reached the first hop"
			esc_attempt 0
		fi
	done
	# the TCP SYN carries no marker: any packet to the first hop counts
fi

esc_summary
pt_done
