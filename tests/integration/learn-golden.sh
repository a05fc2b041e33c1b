#!/bin/bash
# The generalisations on a fixed recorded log match the expected policy
# exactly (tests/golden/learn, which says what the log holds).
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

g=$PT_TESTS/golden/learn
pt_proctor learn --from "$g/run.jsonl" -o "$T/learned.json"
pt_status "learn --from the recorded log exits 0" 0
if diff -u "$g/expected.json" "$T/learned.json" >"$T/diff"; then
	pt_ok "the learned policy is the expected one, byte for byte"
else
	pt_fail "the learned policy is the expected one, byte for byte"
	pt_diag_file "$T/diff" "diff expected learned" 40
fi
pt_proctor learn --from "$g/run.jsonl" -o - -q
pt_is "-o - writes the same to stdout" "$(cat "$PT_OUT")" \
	"$(cat "$g/expected.json")"
pt_done
