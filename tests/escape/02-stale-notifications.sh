#!/bin/bash
# Class 2, stale notifications: processes that die or are signalled in
# the middle of a supervised call.  Many short-lived children try to
# write the canary (half of them are killed right away), and a signal
# storm interrupts a loop of opens; nothing may reach the canary.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
. "$PT_TESTS/escape/helpers.bash"
esc_init 2

PT_TIMEOUT=90
esc_run -- "$T/attacks" stale-children "${ESCAPE_ATTEMPTS:-1000}"
esc_results "short-lived children"
esc_canary_ok "short-lived children"

# (millions of signals: 20 to 70 s on a 2-core machine, the host's load
# deciding; the time is not what is tested)
PT_TIMEOUT=120 esc_run -- "$T/attacks" signal-storm "${ESCAPE_ATTEMPTS:-5000}"
esc_results "signal storm"
esc_canary_ok "signal storm"

# SIGSTOP/SIGCONT and SIGKILL from outside while a loop opens the canary
esc_run -- bash -c '
	"$0" signal-storm 20000 &
	pid=$!
	for i in $(seq 40); do
		kill -STOP $pid 2>/dev/null; kill -CONT $pid 2>/dev/null
	done
	sleep 0.3; kill -KILL $pid 2>/dev/null; wait $pid
	echo "TOTAL killed"' "$T/attacks"
esc_results "stop, continue and kill mid-call"
n=$(pt_count_decisions "$PT_LOG" path "$CANARY/storm")
pt_diag "stop, continue and kill: $n opens of the canary were decided"
if esc_canary_ok "stop, continue and kill mid-call"; then
	ESC_ATTEMPTS=$((ESC_ATTEMPTS + n))
else
	esc_attempt 1
fi

esc_summary
pt_done
