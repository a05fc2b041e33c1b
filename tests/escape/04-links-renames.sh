#!/bin/bash
# Class 4, links and renames: a directory symlink swapped between the
# workspace and the canary while opening through it; a file swapped with
# a symlink to the canary while changing its mode; hard links to and
# from the canary; O_TMPFILE linked into the canary; the prefix trap
# (a sibling WS-evil of the workspace is not the workspace).
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
. "$PT_TESTS/escape/helpers.bash"
esc_init 4

PT_TIMEOUT=90
n=${ESCAPE_ATTEMPTS:-20000}

esc_run -- "$T/attacks" race-dirlink "$n"
esc_results "directory symlink swap"
esc_canary_ok "directory symlink swap"

for op in chmod truncate setxattr utimes; do
	esc_run -- "$T/attacks" race-linkswap "$op" "$((n / 4))"
	esc_results "file/symlink swap, $op"
	esc_canary_ok "file/symlink swap, $op"
done

# the prefix trap: a sibling of the workspace, made outside the run
export ESC_EXTRA=$WS-evil
mkdir -p "$ESC_EXTRA"
echo "sibling of the workspace" >"$ESC_EXTRA/file"
# a symlink in the workspace, from before the run, to the canary; and a
# dangling one that names a new canary file
ln -s "$CANARY" "$WS/pre4"
ln -s "$CANARY/dangling-target" "$WS/dang4"
esc_baseline
esc_run -- "$T/attacks" links
esc_results
esc_canary_ok "links, tmpfile, prefix"
pt_absent "class 4: no WS2 sibling was made" "${WS}2"

esc_summary
pt_done
