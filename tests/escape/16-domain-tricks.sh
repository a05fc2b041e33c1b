#!/bin/bash
# Class 16, domain tricks, as far as they exist before names (issue 5):
# an empty allow list grants nothing; an allowed loopback port works
# while the same host on another port does not; entries with a NUL, a
# control byte, an empty string, port 0 or a port past 65535 either make
# the policy invalid or grant nothing more than they say.
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

esc_summary
pt_done
