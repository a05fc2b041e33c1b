#!/bin/bash
# Class 7, file handles: name_to_handle_at and open_by_handle_at skip
# path resolution, so both are refused; a handle made by hand (ext4's
# inode and generation) opens nothing either.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
. "$PT_TESTS/escape/helpers.bash"
esc_init 7

esc_run -- "$T/attacks" handles
esc_results
esc_canary_ok "file handles"

esc_summary
pt_done
