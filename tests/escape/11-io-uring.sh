#!/bin/bash
# Class 11, io_uring: its operations (OPENAT, CONNECT, SEND, SOCKET)
# never pass seccomp, so io_uring_setup itself is refused.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
. "$PT_TESTS/escape/helpers.bash"
esc_init 11

esc_run -- "$T/attacks" io-uring
esc_results
esc_canary_ok "io_uring"

esc_summary
pt_done
