#!/bin/bash
# Nothing lost under load: 8 processes making 100k decisions together
# leave exactly one record per decision, in sequence, with a valid MAC
# chain; a killed supervisor leaves at most its last line cut, and
# `proctor log verify` says so.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
pt_need "log under load" cc || { pt_done; exit 0; }

cat >"$T/opener.c" <<'C'
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* opener PROCS N FILE: PROCS processes open FILE N times each */
int main(int argc, char **argv)
{
	int procs = atoi(argv[1]), n = atoi(argv[2]), i, j;

	for (i = 0; i < procs; i++)
		if (fork() == 0) {
			for (j = 0; j < n; j++)
				close(open(argv[3], O_RDONLY));
			_exit(0);
		}
	while (wait(NULL) > 0)
		;
	return 0;
}
C
cc -O2 -o "$T/opener" "$T/opener.c" || { pt_fail "compile opener"; pt_done; exit 0; }
echo data >"$WS/target.txt"

PT_TIMEOUT=120 pt_run --quiet --log-reads -- "$T/opener" 8 12500 "$WS/target.txt"
pt_status "8 processes x 12500 opens run to the end" 0
pt_is "one decision record per open" \
	"$(pt_count_decisions "$PT_LOG" path "$WS/target.txt" allow)" 100000

"$PT_PY" - "$PT_LOG" >"$T/seq.txt" <<'PY'
import json, sys
last = 0
bad = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["seq"] != last + 1:
        bad += 1
    last = r["seq"]
print(bad)
PY
pt_is "sequence numbers without a gap or a swap" "$(cat "$T/seq.txt")" 0
"$PROCTOR" log verify "$PT_LOG" >"$T/verify.txt" 2>&1
pt_is "proctor log verify accepts the whole log" "$?" 0

# CMD ends while a job it left keeps making calls: the job is killed
# with calls in flight.  proctor exits cleanly, and no record of such a
# call follows the run's closing record.  (A race: each run has a
# chance to show it.)
: >"$T/ends.jsonl"
crashed=0
for i in $(seq 20); do
	"$PROCTOR" run --log-reads --quiet --log "$T/ends.jsonl" -- sh -c \
		"(while :; do cat '$WS/target.txt'; done) >/dev/null & sleep 0.05" \
		</dev/null >/dev/null 2>&1
	[ $? = 0 ] || crashed=$((crashed + 1))
done
pt_is "20 runs ending with calls in flight exit 0" "$crashed" 0
if "$PROCTOR" log verify "$T/ends.jsonl" >"$T/verify.txt" 2>&1; then
	pt_ok "and their log verifies: nothing after a closing record"
else
	pt_fail "and their log verifies: nothing after a closing record"
	pt_diag_file "$T/verify.txt" verify 3
fi

# Kill the supervisor in the middle: the tree dies with it, and verify
# names the cut.
: >"$PT_LOG"
"$PROCTOR" run --log-reads --quiet --log "$PT_LOG" -- "$T/opener" 2 1000000 \
	"$WS/target.txt" </dev/null >/dev/null 2>&1 &
sup=$!
sleep 1
kill -KILL "$sup"
wait "$sup" 2>/dev/null
sleep 0.5
pt_is "killing proctor ends the traced tree" \
	"$(pgrep -f "$T/opener" | wc -l)" 0
"$PROCTOR" log verify "$PT_LOG" >"$T/verify.txt" 2>&1
rc=$?
pt_is "verify reports the cut log" "$rc" 1
pt_grep "verify says the run has no closing record" "$T/verify.txt" \
	'no closing record'
pt_nogrep "no record before the cut is damaged" "$T/verify.txt" \
	'MAC mismatch|sequence'
"$PT_PY" - "$PT_LOG" >"$T/cut.txt" <<'PY'
import json, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
bad = 0
for l in lines[:-1]:
    try:
        json.loads(l)
    except ValueError:
        bad += 1
print(bad, "cut" if lines[-1] else "whole")
PY
pt_is "at most the last line is cut" "$(cut -d' ' -f1 "$T/cut.txt")" 0
if grep -q cut "$T/cut.txt"; then
	pt_grep "and verify says so" "$T/verify.txt" 'the last line is cut'
else
	pt_nogrep "the last line is whole, and verify does not call it cut" \
		"$T/verify.txt" 'the last line is cut'
fi

# ---- a log on a disk that fills up: the run goes on and says so
if [ "$(id -u)" = 0 ] && mkdir -p "$T/small" &&
	mount -t tmpfs -o size=128k tmpfs "$T/small"; then
	pt_at_exit "umount '$T/small' 2>/dev/null"
	"$PROCTOR" run --log "$T/small/log.jsonl" -- sh -c \
		"for i in \$(seq 400); do : >\"$WS/full-\$i\"; done" \
		</dev/null >/dev/null 2>"$T/full.err"
	pt_is "a full log disk: the run goes on to its end" "$?" 0
	pt_is "its files are all made" "$(ls "$WS" | grep -c '^full-')" 400
	pt_grep "stderr says at once which record the log could not take" \
		"$T/full.err" 'the log cannot take record [0-9]*: No space left on device'
	pt_grep "and at the end how many were lost, and where" "$T/full.err" \
		"records could not be written to $T/small/log.jsonl"
	if pt_json_lines "$T/small/log.jsonl"; then
		pt_ok "no half record is left in the full log"
	else
		pt_fail "no half record is left in the full log"
	fi
	umount "$T/small"
else
	pt_skip "a full log disk" "needs root to mount a small tmpfs"
fi

pt_done
