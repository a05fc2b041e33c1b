#!/bin/bash
# Class 15, address aliases: a listener on [::] (dual stack, so it takes
# IPv4 too) on a port no rule allows, reached as ::ffff:127.0.0.1,
# 127.0.0.2, 127.1.2.3, 0.0.0.0, ::, ::1, ::ffff:0.0.0.0,
# ::ffff:127.0.0.2 and ::127.0.0.1; all refused, no connection arrives.
# As root, inside a network namespace of the test's own (only a
# loopback, no route out), listeners on 169.254.169.254:80 and
# 192.0.2.10:80 stand in for the metadata service and a public address.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
. "$PT_TESTS/escape/helpers.bash"
esc_init 15

esc_serve any=tcp6any ok=tcp4
p=$(esc_port any)
ok=$(esc_port ok)
esc_run --allow-net "127.0.0.1:$ok" -- "$T/attacks" connect "$p" \
	127.0.0.1 ::ffff:127.0.0.1 127.0.0.2 127.1.2.3 127.255.255.254 \
	0.0.0.0 :: ::1 ::ffff:0.0.0.0 ::ffff:127.0.0.2 ::127.0.0.1 \
	0:0:0:0:0:ffff:7f00:1 \
	"127.0.0.1@$ok+ok" "::ffff:127.0.0.1@$ok+ok"
esc_results
sleep 0.2
esc_no_traffic "loopback aliases" any

# A policy that allows the network but denies the loopback range: every
# other spelling of "this host" is still the loopback.
cat >"$T/net-deny-lo.json" <<JSON
{"network": {"default": "allow", "deny": ["127.0.0.0/8", "::1"]}}
JSON
esc_run --policy "$T/net-deny-lo.json" -- "$T/attacks" connect "$p" \
	127.0.0.1 ::ffff:127.0.0.1 127.0.0.2 0.0.0.0 :: ::1 ::ffff:0.0.0.0 \
	::ffff:127.0.0.2 0:0:0:0:0:ffff:7f00:1
esc_results "loopback denied by a rule"
sleep 0.2
esc_no_traffic "loopback denied by a rule" any
esc_serve_stop

if [ "$(id -u)" != 0 ]; then
	pt_skip "class 15: link-local and public addresses" \
		"needs root (a network namespace of the test's own)"
elif pt_need "class 15: link-local and public addresses" ip; then
	ns=proctor-esc15-$$
	if ip netns add "$ns" 2>"$T/out/netns.err"; then
		pt_at_exit "ip netns delete $ns"
		ip netns exec "$ns" ip link set lo up
		ip netns exec "$ns" ip addr add 169.254.169.254/32 dev lo
		ip netns exec "$ns" ip addr add 192.0.2.10/32 dev lo
		ESC_SRV=$T/srv
		rm -rf "$ESC_SRV"
		mkdir -p "$ESC_SRV"
		ip netns exec "$ns" "$T/attacks" serve "$ESC_SRV" \
			meta=tcpaddr:169.254.169.254:80 pub=tcpaddr:192.0.2.10:80 \
			</dev/null >"$ESC_SRV/log" 2>&1 &
		ESC_SRV_PID=$!
		pt_at_exit "kill $ESC_SRV_PID"
		pt_wait_for 5 test -e "$ESC_SRV/ready"
		# control, without proctor: the listeners answer
		ip netns exec "$ns" "$T/attacks" connect 80 169.254.169.254+ok \
			192.0.2.10+ok >"$T/out/control"
		pt_grep "class 15: in the namespace, without proctor, the listeners answer" \
			"$T/out/control" 'connect-192.0.2.10-80 ok=1'
		sleep 0.2
		meta0=$(esc_count meta)
		pub0=$(esc_count pub)
		: >"$PT_LOG"
		timeout -k 5 "$PT_TIMEOUT" ip netns exec "$ns" "$PROCTOR" run \
			--log "$PT_LOG" "${ESC_FLAGS[@]}" -- "$T/attacks" connect 80 \
			169.254.169.254 ::ffff:169.254.169.254 192.0.2.10 \
			::ffff:192.0.2.10 </dev/null >"$PT_OUT" 2>"$PT_ERR"
		PT_RC=$?
		esc_results "namespace"
		# the network allowed, those two denied by rules
		cat >"$T/net-deny-meta.json" <<JSON
{"network": {"default": "allow", "deny": ["169.254.0.0/16", "192.0.2.0/24"]}}
JSON
		: >"$PT_LOG"
		timeout -k 5 "$PT_TIMEOUT" ip netns exec "$ns" "$PROCTOR" run \
			--log "$PT_LOG" "${ESC_FLAGS[@]}" \
			--policy "$T/net-deny-meta.json" -- "$T/attacks" connect 80 \
			169.254.169.254 ::ffff:169.254.169.254 192.0.2.10 \
			::ffff:192.0.2.10 ::ffff:a9fe:a9fe </dev/null >"$PT_OUT" \
			2>"$PT_ERR"
		PT_RC=$?
		esc_results "namespace, denied by rules"
		sleep 0.2
		pt_is "class 15: 169.254.169.254:80 got nothing under proctor" \
			"$(esc_count meta)" "$meta0"
		pt_is "class 15: 192.0.2.10:80 got nothing under proctor" \
			"$(esc_count pub)" "$pub0"
		esc_serve_stop
		ip netns delete "$ns"
	else
		pt_skip "class 15: link-local and public addresses" \
			"ip netns add failed: $(head -c 200 "$T/out/netns.err")"
	fi
fi

esc_summary
pt_done
