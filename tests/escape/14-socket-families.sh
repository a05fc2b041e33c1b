#!/bin/bash
# Class 14, other socket families: packet, raw, netlink other than
# NETLINK_ROUTE, ICMP ping sockets, vsock, AF_ALG, AF_KEY, new user and
# network namespaces, setns: refused, also with high bits set in the
# 64-bit argument registers (the kernel reads ints); name resolution
# still works.  As root, ping sockets are also tried inside a network
# namespace of the test's own (only a loopback) where the kernel allows
# them, so that a refusal there is proctor's.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
. "$PT_TESTS/escape/helpers.bash"
esc_init 14

# what the kernel itself allows here, for the record
native=$("$T/attacks" probe icmp; "$T/attacks" probe packet; "$T/attacks" probe userns)
pt_diag "without proctor:" "$native"

esc_run -- "$T/attacks" families
esc_results
pt_grep "class 14: a new user namespace refused is said, with why" "$PT_ERR" \
	"denied namespace unshare\\(CLONE_NEWUSER\\) by attacks .*: a sandbox of the program's own"
esc_canary_ok "socket families"

if pt_need "class 14: getent hosts localhost" getent; then
	esc_run -- getent hosts localhost
	pt_status "class 14: getent hosts localhost works" 0
fi
if [ -n "$PT_PY" ]; then
	esc_run -- "$PT_PY" -c 'import socket; print(socket.getaddrinfo("localhost", 80)[0][4][0])'
	pt_status "class 14: python getaddrinfo('localhost') works" 0
fi

# ping sockets where the kernel allows them: a network namespace of our
# own, with only a loopback, whose ping_group_range admits everyone
if [ "$(id -u)" != 0 ]; then
	pt_skip "class 14: ping sockets in a namespace of the test's own" \
		"needs root (ip netns)"
elif ! pt_need "class 14: ping sockets in a namespace of the test's own" ip; then
	:
else
	ns=proctor-esc14-$$
	if ip netns add "$ns" 2>"$T/out/netns.err"; then
		pt_at_exit "ip netns delete $ns"
		ip netns exec "$ns" ip link set lo up
		ip netns exec "$ns" sysctl -q -w net.ipv4.ping_group_range="0 2147483647"
		p=$(ip netns exec "$ns" "$T/attacks" probe icmp)
		pt_diag "in the namespace, without proctor: $p"
		: >"$PT_LOG"
		timeout -k 5 "$PT_TIMEOUT" ip netns exec "$ns" "$PROCTOR" run \
			--log "$PT_LOG" "${ESC_FLAGS[@]}" -- "$T/attacks" families \
			</dev/null >"$PT_OUT" 2>"$PT_ERR"
		PT_RC=$?
		esc_results "namespace with ping allowed"
		ip netns delete "$ns"
	else
		pt_skip "class 14: ping sockets in a namespace of the test's own" \
			"ip netns add failed: $(head -c 200 "$T/out/netns.err")"
	fi
fi

esc_summary
pt_done
