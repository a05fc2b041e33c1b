#!/bin/bash
# The decision log: JSON Lines, one decision record per decision, in
# order, complete even when CMD is killed; --log FILE, --log -, --no-log
# and the default place under $XDG_STATE_HOME.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

pt_need "log" python3 || pt_done

echo "known content" >"$WS/known.txt"
N=7

# ---- one record per decision
pt_run --log-reads -- sh -c "for i in \$(seq $N); do cat '$WS/known.txt'; done >/dev/null"
pt_status "the logged run exits 0" 0
if pt_json_lines "$PT_LOG"; then
	pt_ok "every line of the log is a JSON object"
else
	pt_fail "every line of the log is a JSON object"
fi
n=$(pt_count_decisions "$PT_LOG" path "$WS/known.txt")
pt_is "one decision record per open of the file (cat $N times)" "$n" "$N"
n=$(pt_count_decisions "$PT_LOG" path "$WS/known.txt" allow)
pt_is "each of them says allow" "$n" "$N"
n=$("$PT_PY" - "$PT_LOG" <<'PY'
import json, sys
print(sum(1 for l in open(sys.argv[1])
          if (r := json.loads(l)).get("type") == "decision"
          and r.get("class") == "exec" and r.get("argv", [""])[0] == "cat"))
PY
)
pt_is "one exec decision record per cat" "$n" "$N"

# Fields of a decision record, and the kinds of records.
"$PT_PY" - "$PT_LOG" "$WS/known.txt" >"$T/fields" 2>&1 <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
types = {r.get("type") for r in recs}
bad = []
if recs[0].get("type") != "run":
    bad.append("the first record is not of type run")
for t in ("run", "exec", "decision", "exit"):
    if t not in types:
        bad.append("no record of type " + t)
for r in recs:
    if r.get("type") != "decision":
        continue
    for k in ("time", "pid", "syscall", "class", "decision", "rule", "errno"):
        if k not in r:
            bad.append("decision without %s: %s" % (k, r))
    # allow or deny; an ask rule with no one to ask may say so here
    d = r.get("decision", "")
    if d not in ("allow", "deny") and not d.startswith("ask"):
        bad.append("decision is %r" % r.get("decision"))
    if r.get("class") not in ("read", "write", "exec", "connect"):
        bad.append("class is %r" % r.get("class"))
    if r.get("class") in ("read", "write") and "path" not in r:
        bad.append("file decision without path: %s" % r)
    if r.get("class") == "exec" and "command" not in r:
        bad.append("exec decision without command: %s" % r)
seqs = [r["seq"] for r in recs if "seq" in r]
if len(seqs) != len(recs):
    bad.append("%d records without seq" % (len(recs) - len(seqs)))
if seqs != sorted(set(seqs)):
    bad.append("seq is not strictly increasing in file order")
for b in bad[:5]:
    print(b[:300])
PY
if [ -s "$T/fields" ]; then
	pt_fail "records carry their fields, in order" "$(cat "$T/fields")"
else
	pt_ok "records carry their fields, in order"
fi

# ---- denials: one record each, with the rule and the errno
mkdir -p "$HOME/.ssh"
echo "key" >"$HOME/.ssh/id_ed25519"
pt_run --log-reads -- sh -c 'for i in 1 2 3; do cat ~/.ssh/id_ed25519; done; exit 0'
pt_check "the log of a run with denials parses" pt_json_lines "$PT_LOG"
n=$(pt_count_decisions "$PT_LOG" path "$HOME/.ssh/id_ed25519" deny)
pt_is "one deny record per denied open (3)" "$n" 3
n=$("$PT_PY" - "$PT_LOG" "$HOME/.ssh/id_ed25519" <<'PY'
import json, sys
print(sum(1 for l in open(sys.argv[1])
          if (r := json.loads(l)).get("path") == sys.argv[2]
          and r.get("errno") == 13 and r.get("rule")))
PY
)
pt_is "deny records give errno 13 and the rule" "$n" 3
pt_grep "stderr names the log when something was denied" "$PT_ERR" \
	"$PT_LOG"

# ---- the log is complete when CMD is killed
pt_run --log-reads -- sh -c "cat '$WS/known.txt' >/dev/null; kill -KILL \$\$"
pt_status "a killed CMD: 128+9" 137
pt_check "the log of a killed run parses" pt_json_lines "$PT_LOG"
n=$(pt_count_decisions "$PT_LOG" path "$WS/known.txt")
pt_is "the killed run's decision was logged" "$n" 1

# ---- the log of a busy multi-process run is never torn
pt_run --log-reads -- sh -c "for j in 1 2 3 4; do
	(for i in \$(seq 25); do cat '$WS/known.txt'; done) & done;
	wait" >/dev/null
pt_check "the log of four parallel writers parses" pt_json_lines "$PT_LOG"
n=$(pt_count_decisions "$PT_LOG" path "$WS/known.txt")
pt_is "and holds each of their 100 decisions once" "$n" 100

# ---- where the log goes
runs=$XDG_STATE_HOME/proctor/runs
rm -rf "$XDG_STATE_HOME/proctor"
timeout -k 5 "$PT_TIMEOUT" "$PROCTOR" run --log-reads -- cat "$WS/known.txt" \
	</dev/null >"$PT_OUT" 2>"$PT_ERR"
f=$(ls "$runs"/*.jsonl 2>/dev/null | head -n 1)
if [ -n "$f" ]; then
	pt_ok "by default the log goes to \$XDG_STATE_HOME/proctor/runs"
	pt_check "the default log parses" pt_json_lines "$f"
	n=$(pt_count_decisions "$f" path "$WS/known.txt")
	pt_is "the default log holds the decision" "$n" 1
	pt_is "the default log is private (mode 600)" \
		"$(stat -c %a "$f")" 600
	# The program cannot rewrite its own record.
	pt_run --log-reads -- sh -c "echo forged >>'$f'"
	pt_isnt "the run cannot write into a log" "$PT_RC" 0
	pt_nogrep "and the log holds no forged line" "$f" '^forged$'
else
	pt_fail "by default the log goes to \$XDG_STATE_HOME/proctor/runs" \
		"$(ls -la "$runs" 2>&1)"
fi

rm -rf "$XDG_STATE_HOME/proctor"
timeout -k 5 "$PT_TIMEOUT" "$PROCTOR" run --log-reads --no-log -- cat ~/.ssh/id_ed25519 \
	</dev/null >"$PT_OUT" 2>"$PT_ERR"
pt_is "--no-log writes no log" "$(ls "$runs" 2>/dev/null)" ""

timeout -k 5 "$PT_TIMEOUT" "$PROCTOR" run --log-reads --log - -- cat "$WS/known.txt" \
	</dev/null >"$PT_OUT" 2>"$PT_ERR"
grep '^{' "$PT_ERR" >"$T/stderr-log"
pt_check "--log - writes JSON lines on stderr" test -s "$T/stderr-log"
pt_check "and they parse" pt_json_lines "$T/stderr-log"
pt_grep "and the program's output stays on stdout" "$PT_OUT" \
	'^known content$'


# of --log and --no-log, the last one given counts (pt_run gives --log)
rm -f "$T/last.jsonl"
pt_run --no-log --log "$T/last.jsonl" -- true
pt_check "--no-log then --log FILE: the log is kept" test -s "$T/last.jsonl"
pt_run --no-log -- true
pt_is "--log FILE then --no-log: none is kept" "$(wc -c <"$PT_LOG")" 0

pt_done
