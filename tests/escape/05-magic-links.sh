#!/bin/bash
# Class 5, magic links: /proc/self/root, /proc/thread-self, /proc/self/cwd
# after chdir into the canary, a read-only descriptor of a canary file
# reopened for writing through /proc/self/fd/N and /dev/fd/N, "self"
# that must mean the program and not the supervisor; and calls on
# /proc/self/fd/N while another thread swaps what N is.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
. "$PT_TESTS/escape/helpers.bash"
esc_init 5

PT_TIMEOUT=90
n=${ESCAPE_ATTEMPTS:-20000}

esc_run -- "$T/attacks" magic
esc_results
esc_canary_ok "magic links"

for op in chmod utimens open; do
	esc_run -- "$T/attacks" race-magic "$op" "$n"
	esc_results "descriptor swap under /proc/self/fd/N, $op"
	esc_canary_ok "descriptor swap under /proc/self/fd/N, $op"
done

# again where the policy leaves no Landlock floor: the supervisor alone
esc_nofloor
esc_run --policy "$T/nofloor.json" -- "$T/attacks" magic
esc_results "no floor"
esc_canary_ok "no floor, magic links"
for op in chmod open; do
	esc_run --policy "$T/nofloor.json" -- "$T/attacks" race-magic "$op" "$n"
	esc_results "no floor, descriptor swap under /proc/self/fd/N, $op"
	esc_canary_ok "no floor, descriptor swap under /proc/self/fd/N, $op"
done

# The same reopen race with proctor's output going to a pipe, as when a
# caller captures it (the write floor must hold there too).
esc_run_piped -- "$T/attacks" race-magic open "$n"
esc_results "output to a pipe, descriptor swap, open"
esc_canary_ok "output to a pipe, descriptor swap, open"

esc_summary
pt_done
