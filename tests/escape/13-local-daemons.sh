#!/bin/bash
# Class 13, local daemons: unix sockets the test listens on in the canary
# directory (stream and datagram) and in the abstract namespace, reached
# directly, through symlinks in the workspace, "..", relative paths,
# /proc/self/root and a directory descriptor.  Nothing may arrive.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
. "$PT_TESTS/escape/helpers.bash"
esc_init 13

abs=proctor-escape-$$-$RANDOM
esc_serve "usock=unix:$CANARY/daemon.sock" "dgram=unixdgram:$CANARY/dgram.sock" \
	"abs=abstract:$abs" "absd=abstractdgram:$abs-d"
esc_baseline
esc_run -- "$T/attacks" local-daemons "$CANARY/daemon.sock" \
	"$CANARY/dgram.sock" "$abs" "$abs-d"
esc_results
# and where the policy leaves no Landlock floor (nor its abstract
# socket scope): the supervisor alone
esc_nofloor
esc_run --policy "$T/nofloor.json" -- "$T/attacks" local-daemons \
	"$CANARY/daemon.sock" "$CANARY/dgram.sock" "$abs" "$abs-d"
esc_results "no floor"
sleep 0.2
esc_no_traffic "unix stream socket in the canary" usock
esc_no_traffic "unix datagram socket in the canary" dgram
esc_no_traffic "abstract stream socket" abs
esc_no_traffic "abstract datagram socket" absd
esc_serve_stop
rm -f "$CANARY/daemon.sock" "$CANARY/dgram.sock"

esc_summary
pt_done
