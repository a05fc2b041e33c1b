#!/bin/bash
# Class 3, nested listener: the program installs a seccomp filter of its
# own with a listener and answers CONTINUE to its own open of the
# canary.  Installing it must fail; filters of its own stacked on top
# (allow everything, or notify without a listener) change nothing.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
. "$PT_TESTS/escape/helpers.bash"
esc_init 3

esc_run -- "$T/attacks" nested-listener
esc_results
esc_canary_ok "nested listener"

esc_summary
pt_done
