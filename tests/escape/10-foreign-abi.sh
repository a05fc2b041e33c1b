#!/bin/bash
# Class 10, foreign ABIs: i386 system calls through int 0x80 from a
# 64-bit program (open, creat, mkdir, chmod of the canary, execve of the
# denied program) and x32 numbers (nr | 0x40000000).  The filter's first
# instructions must kill the process (or the kernel refuse the call);
# the canary stays as it is and nothing runs.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
. "$PT_TESTS/escape/helpers.bash"
esc_init 10
esc_progs

esc_run --deny-exec "$T/prog-no" -- "$T/attacks" foreign-abi
esc_results
esc_canary_ok "foreign ABIs"
esc_marker_ok "foreign ABIs"
# the i386 calls: the process was killed, not answered
n=$(grep -c '^INFO i386-int80-.*child signal' "$PT_OUT")
pt_is "class 10: every int 0x80 call killed its process" "$n" 5

esc_summary
pt_done
