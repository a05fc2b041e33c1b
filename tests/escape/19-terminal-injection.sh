#!/bin/bash
# Class 19, terminal injection: TIOCSTI (push bytes into the terminal's
# input, to be run by the shell after the program ends) and TIOCLINUX,
# also with bits set above the 32 the kernel reads, on the program's own
# terminal.  The command runs in a pseudo-terminal of its own (script(1));
# without one the test is skipped.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
. "$PT_TESTS/escape/helpers.bash"
esc_init 19

if ! command -v script >/dev/null 2>&1; then
	pt_skip "class 19: terminal injection" "script(1) is not installed"
	esc_summary
	pt_done
fi
q() { printf '%q' "$1"; }

# for the record: does the kernel let a program do it without proctor?
script -qec "$(q "$T/attacks") probe tiocsti" /dev/null </dev/null 2>&1 |
	tr -d '\r' >"$T/out/native"
pt_diag "without proctor: $(grep PROBE "$T/out/native")"

: >"$PT_LOG"
timeout -k 5 "$PT_TIMEOUT" script -qec "$(q "$PROCTOR") run --log $(q "$PT_LOG") \
	--deny-read $(q "$CANARY/secret") -- $(q "$T/attacks") tiocsti" /dev/null \
	</dev/null 2>&1 | tr -d '\r' >"$PT_OUT"
PT_RC=${PIPESTATUS[0]}
if grep -q '^INFO NOTTY' "$PT_OUT" || ! grep -q '^CALL' "$PT_OUT"; then
	pt_skip "class 19: terminal injection" "no terminal for the command"
	pt_diag_file "$PT_OUT" output 5
else
	esc_results
fi
esc_canary_ok "terminal injection"

esc_summary
pt_done
