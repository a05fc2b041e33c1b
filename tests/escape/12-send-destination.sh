#!/bin/bash
# Class 12, sends with a destination: UDP sendto, sendmsg with msg_name,
# sendmmsg, v4-mapped IPv6, and TCP fast open (sendto, sendmsg and
# sendmmsg with MSG_FASTOPEN, TCP_FASTOPEN_CONNECT), all to loopback
# listeners the test started and no rule allows.  No byte may arrive.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
. "$PT_TESTS/escape/helpers.bash"
esc_init 12

esc_serve udp=udp4 tcp=tcp4 ok=tcp4
esc_run --allow-net "127.0.0.1:$(esc_port ok)" -- \
	"$T/attacks" send-dest "$(esc_port udp)" "$(esc_port tcp)"
esc_results
sleep 0.3
esc_no_traffic "UDP sends" udp
esc_no_traffic "TCP fast open" tcp

# control: a send to the allowed port arrives
esc_run --allow-net "127.0.0.1:$(esc_port ok)" -- \
	"$T/attacks" connect "$(esc_port ok)" "127.0.0.1+ok"
esc_results "control"
sleep 0.2
c=$(esc_count ok)
pt_is "class 12: the allowed listener got the control connection" "${c% *}" 1
esc_serve_stop

esc_summary
pt_done
