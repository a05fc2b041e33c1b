#!/bin/bash
# Reading the log: `proctor log tree` of a `bash -c 'make && python3'`
# run matches the processes that ran; `proctor log summary` counts what
# the log holds; `proctor log verify` names the line of each kind of
# tampering; malformed lines get an error with their line number; every
# reader speaks JSON with --json.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

pt_need "log reading" python3 make || pt_done

# ---- the tree matches the processes that ran
# Each process writes down its own pid, its parent's and what it is.
# The system's python3, not a wrapper that would start more processes.
py3=python3
[ -x /usr/bin/python3 ] && py3=/usr/bin/python3
cat >Makefile <<'MK'
all:
	echo $$$$ $$PPID recipe >>pids.txt
MK
pt_run --log-reads -- bash -c 'echo $$ $PPID bash >>pids.txt; make -s &&
	'"$py3"' -c "import os; print(os.getpid(), os.getppid(), \"python\",
		file=open(\"pids.txt\", \"a\"))"'
pt_status "bash -c 'make && python3 ...' runs" 0
"$PROCTOR" log tree --json "$PT_LOG" >"$T/tree.json" 2>"$T/tree.err"
pt_is "proctor log tree --json reads the log" "$?" 0
"$PT_PY" - "$T/tree.json" pids.txt >"$T/tree.check" <<'PY'
import json, sys
flat = {}
def walk(n, parent):
    flat[n["pid"]] = (parent, " ".join([n["cmdline"]] + n["execs"]))
    for c in n["children"]:
        walk(c, n["pid"])
roots = json.load(open(sys.argv[1]))["roots"]
for r in roots:
    walk(r, r["ppid"])
ran = {}
for line in open(sys.argv[2]):
    pid, ppid, what = line.split()
    ran[int(pid)] = (int(ppid), what)
make = [ppid for ppid, what in ran.values() if what == "recipe"][0]
bad = []
if len(roots) != 1:
    bad.append("%d roots" % len(roots))
for pid, (ppid, what) in ran.items():
    if pid not in flat:
        bad.append("%s (pid %d) is not in the tree" % (what, pid))
        continue
    if flat[pid][0] != ppid:
        bad.append("%s (pid %d) is under %s, not %d" %
                   (what, pid, flat[pid][0], ppid))
    word = {"recipe": "echo", "bash": "bash", "python": "python3"}[what]
    if word not in flat[pid][1]:
        bad.append("%s (pid %d) ran %r" % (what, pid, flat[pid][1]))
if make not in flat or "make" not in flat[make][1]:
    bad.append("make (pid %d) is not in the tree" % make)
extra = set(flat) - set(ran) - {make}
if extra:
    bad.append("processes that did not run: %s" %
               [(p, flat[p][1]) for p in extra])
print("\n".join(bad) if bad else "ok %d" % len(flat))
PY
pt_grep "the tree holds exactly the processes that ran, under their parents" \
	"$T/tree.check" '^ok [0-9]+$'
make_pid=$(awk '$3 == "recipe" { print $2 }' pids.txt)
"$PROCTOR" log tree "$PT_LOG" >"$T/tree.txt" 2>&1
pt_grep "proctor log tree draws make one level under bash" "$T/tree.txt" \
	"^  $make_pid make -s  \\[exit 0; [0-9]+ allowed, 0 denied\\]\$"

# ---- summary: the counts of the log
pt_run --log-reads -- sh -c "cat /etc/hostname ~/.ssh/none >/dev/null 2>&1;
	echo x >'$CANARY/a'; echo x >'$CANARY/a'; echo y >'$CANARY/b'; true"
"$PROCTOR" log summary --json "$PT_LOG" >"$T/sum.json" 2>&1
pt_is "proctor log summary --json reads the log" "$?" 0
"$PT_PY" - "$PT_LOG" "$T/sum.json" >"$T/sum.check" <<'PY'
import collections, json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
d = [r for r in recs if r["type"] == "decision"]
s = json.load(open(sys.argv[2]))
bad = []
def eq(what, got, want):
    if got != want:
        bad.append("%s: %r, the log holds %r" % (what, got, want))
eq("decisions", s["decisions"], len(d))
eq("denied", s["denied"], sum(r["decision"] != "allow" for r in d))
eq("processes", s["processes"], sum(r["type"] == "start" for r in recs))
eq("runs", s["runs"], 1)
for key, field in (("by_class", "class"), ("by_decision", "decision")):
    want = collections.Counter(r[field] for r in d)
    eq(key, {e["name"]: e["decisions"] for e in s[key]}, dict(want))
paths = collections.Counter(r["path"] for r in d if "path" in r)
top = s["top"]["path"]
eq("top paths", len(top), min(10, len(paths)))
eq("top path counts", [e["decisions"] for e in top],
   sorted(paths.values(), reverse=True)[:10])
den = {e["name"]: e["denied"] for e in top}
eq("denials of a", den.get(sys.argv[1].rsplit("/out/", 1)[0] + "/canary/a"), 2)
print("\n".join(bad) if bad else "ok")
PY
pt_is "its counts are those of the log" "$(cat "$T/sum.check")" ok
"$PROCTOR" log summary --top 3 "$PT_LOG" >"$T/sum.txt" 2>&1
pt_grep "the summary for people counts the denials by object" "$T/sum.txt" \
	"^ +2 +2  $CANARY/a\$"
pt_grep "and says how many objects it left out" "$T/sum.txt" \
	'^paths \(top 3 of [0-9]+\)$'

# ---- verify names each kind of tampering, and where
for i in 1 2; do
	"$PROCTOR" run --log-reads --quiet --log "$T/good.jsonl" -- sh -c \
		"cat /etc/hostname >/dev/null; echo x >'$CANARY/v$i'" \
		</dev/null >/dev/null 2>&1
done
"$PROCTOR" log verify "$T/good.jsonl" >"$T/v.txt" 2>&1
pt_is "an untouched log of two runs verifies" "$?" 0
lines=$(wc -l <"$T/good.jsonl")

# tamper NAME PYTHON-ON-LINES WANT-LINE WANT-TEXT
tamper() {
	"$PT_PY" -c "
import sys
l = open(sys.argv[1]).readlines()
$2
open(sys.argv[2], 'w').write(''.join(l))" "$T/good.jsonl" "$T/bad.jsonl"
	"$PROCTOR" log verify "$T/bad.jsonl" >"$T/v.txt" 2>&1
	rc=$?
	if [ "$rc" = 1 ] && grep -q -E -e "^$T/bad.jsonl:$3: .*$4" "$T/v.txt"; then
		pt_ok "verify: $1"
	else
		pt_fail "verify: $1" "exit $rc, want 1 and line $3: /$4/"
		pt_diag_file "$T/v.txt" verify
	fi
}
tamper "a changed line is named" \
	'l[4] = l[4].replace("/etc/hostname", "/etc/hostnam3")' 5 'MAC mismatch'
tamper "a removed line is named by the one after it" 'del l[4]' 5 \
	'records are missing'
tamper "two swapped lines are named" 'l[4], l[5] = l[5], l[4]' 5 \
	'out of order'
tamper "a line added again is named" 'l.insert(5, l[4])' 6 \
	'out of order|MAC mismatch'
tamper "a truncated last line is named" 'l[-1] = l[-1][:40]' "$lines" \
	'the last line is cut'
tamper "a missing closing record is named" 'del l[-1]' "$((lines - 1))" \
	'has no closing record'
tamper "a changed first line does not hide a later change" \
	'l[0] = l[0].replace("\"stacks\":\"denied\"", "\"stacks\":\"none\"");
l[4] = l[4].replace("/etc/hostname", "/etc/hostnam3")' 5 'MAC mismatch'
tamper "a run without its end, followed by another, is named" \
	'del l[[i for i, x in enumerate(l) if "\"type\":\"end\"" in x][0]]' \
	'[0-9]+' 'has no closing record: its log was cut'
"$PT_PY" -c "
import sys
l = open(sys.argv[1]).readlines()
l[4] = l[4].replace('/etc/hostname', '/etc/hostnam3')
open(sys.argv[2], 'w').write(''.join(l))" "$T/good.jsonl" "$T/bad.jsonl"
"$PROCTOR" log verify --json "$T/bad.jsonl" >"$T/v.json" 2>&1
pt_is "verify --json gives the problems with their lines" "$("$PT_PY" -c '
import json, sys
v = json.load(open(sys.argv[1]))
print(v["ok"], [p["line"] for p in v["problems"]])' "$T/v.json")" \
	"False [5]"

# ---- filters with values a log cannot hold are refused, not empty
for bad in "--decision bogus" "--class nonsense" "--since yesterday" \
	"--until 2026-12-4" "--since 2025-13-45T99:00:00" \
	"--until 2025-12-01T24:00"; do
	# shellcheck disable=SC2086
	"$PROCTOR" log $bad "$T/good.jsonl" >"$T/bad.out" 2>&1
	pt_is "proctor log $bad is refused (exit 2)" "$?" 2
	pt_grep "and the message names it" "$T/bad.out" "${bad#* }: expected"
done

"$PROCTOR" log --since 2000-01-01T00:00:00Z "$T/good.jsonl" >"$T/z.out" 2>&1
pt_is "--since takes a time written with Z, as people write UTC" "$?" 0

# ---- --path: a glob as the policy reads one ('*' within a name), matching
# what lies beneath too, and the program an exec ran
: >"$T/path.jsonl"
"$PROCTOR" run --log-reads --log "$T/path.jsonl" -- sh -c \
	'cat /etc/hostname /usr/share/common-licenses/GPL-3 >/dev/null; true' \
	</dev/null >/dev/null 2>&1
paths() {
	"$PROCTOR" log --json --path "$1" "$T/path.jsonl" |
		sed -n 's/.*"\(path\|command\)":"\([^"]*\)".*/\2/p' | sort -u |
		tr '\n' ' '
}
pt_is "proctor log --path names the program an exec ran" \
	"$(paths "$(command -v cat)")" "$(command -v cat) "
pt_is "... a '*' stays within a name" "$(paths '/usr/*/GPL-3')" ""
pt_is "... and a directory takes what lies beneath it" \
	"$(paths '/usr/share/common-*')" "/usr/share/common-licenses/GPL-3 "
pt_is "... a '**' any number of names" "$(paths '/usr/**/GPL-3')" \
	"/usr/share/common-licenses/GPL-3 "
pt_is "... none too" "$(paths '/usr/share/common-licenses/**/GPL-3')" \
	"/usr/share/common-licenses/GPL-3 "

# ---- proctor goes on only with a log whose last record is its key's
printf '%s\n' '{"time":"x","v":2,"type":"end","run":"r","seq":1,"mac":"'"$(printf 'a%.0s' $(seq 64))"'"}' \
	>"$T/forged.jsonl"
"$PROCTOR" run --log-reads --log "$T/forged.jsonl" -- true </dev/null >"$T/f.out" 2>&1
pt_is "a log that ends in a record of another key is not appended to" \
	"$?" 125
pt_grep "and proctor says why" "$T/f.out" 'cannot vouch for'
pt_is "and the file is as it was" "$(wc -l <"$T/forged.jsonl")" 1
printf '%s\n' '{"type":"end"}' >"$T/nomac.jsonl"
"$PROCTOR" run --log-reads --log "$T/nomac.jsonl" -- true </dev/null >/dev/null 2>&1
pt_is "a log that ends in a record without a MAC is not appended to" "$?" 125
# proctor killed mid-record: the next run goes on, on a line of its own
head -c -40 "$T/good.jsonl" >"$T/cut.jsonl"
"$PROCTOR" run --log-reads --log "$T/cut.jsonl" -- true </dev/null >/dev/null 2>&1
pt_is "a log whose last line was cut is appended to" "$?" 0
"$PROCTOR" log verify "$T/cut.jsonl" >"$T/v.txt" 2>&1
pt_is "verify names only the cut line and the run it cut" \
	"$(grep -c "^$T/cut.jsonl:" "$T/v.txt")" 2
cp "$T/good.jsonl" "$T/more.jsonl"
"$PROCTOR" run --log-reads --log "$T/more.jsonl" -- true </dev/null >/dev/null 2>&1
"$PROCTOR" log verify "$T/more.jsonl" >"$T/v.txt" 2>&1
pt_is "a third run goes on with a log of its key, and it verifies" "$?" 0

# ---- malformed logs: each bad line named, the rest read
"$PT_PY" - "$T/good.jsonl" "$T/mal.jsonl" <<'PY'
import sys
l = open(sys.argv[1]).readlines()
l[2] = '{"time": "2024", broken\n'
l.insert(6, '[1, 2, 3]\n')
l.insert(7, '\n')
l[-1] = l[-1][:30]
open(sys.argv[2], "w").write("".join(l))
PY
mal_lines=$(wc -l <"$T/mal.jsonl")
for sub in "" tree summary; do
	"$PROCTOR" log $sub "$T/mal.jsonl" >"$T/mal.out" 2>"$T/mal.err"
	rc=$?
	pt_is "proctor log $sub: a malformed log exits 1" "$rc" 1
	pt_grep "proctor log $sub: a damaged line is named with its number" \
		"$T/mal.err" "^proctor: $T/mal.jsonl:3: not JSON.*\\(column [0-9]+\\)\$"
	pt_grep "proctor log $sub: a line that is not a record too" \
		"$T/mal.err" "^proctor: $T/mal.jsonl:7: not a proctor record"
	pt_grep "proctor log $sub: an empty line too" "$T/mal.err" \
		"^proctor: $T/mal.jsonl:8: not JSON"
	pt_grep "proctor log $sub: and a cut last line" "$T/mal.err" \
		"^proctor: $T/mal.jsonl:$((mal_lines + 1)): the last line is cut"
	pt_check "proctor log $sub: the rest is still read" test -s "$T/mal.out"
done
printf '\x7fELF\x02\x01\x01\0\0\0garbage\n' >"$T/binary.jsonl"
"$PROCTOR" log "$T/binary.jsonl" >/dev/null 2>"$T/mal.err"
pt_is "a file that is no log at all exits 1" "$?" 1
pt_grep "and its line is named" "$T/mal.err" "binary.jsonl:1: not JSON"
"$PROCTOR" log "$T/nonexistent.jsonl" >/dev/null 2>"$T/mal.err"
pt_is "a log that cannot be read exits 2" "$?" 2
pt_grep "and says why" "$T/mal.err" "nonexistent.jsonl: No such file"

# ---- --json everywhere
for sub in "" tree summary; do
	"$PROCTOR" log $sub --json "$T/good.jsonl" >"$T/j.out" 2>&1
	pt_check "proctor log $sub --json prints JSON" pt_json_lines "$T/j.out"
done

# ---- --decision ask: every question, whatever its answer
cat >"$T/asked.jsonl" <<'J'
{"time":"2026-01-01T00:00:00.000000Z","v":2,"type":"decision","seq":1,"pid":7,"comm":"sh","syscall":"openat","class":"write","path":"/o/a","decision":"allow","rule":{"origin":"built-in","where":"files.write.ask[0]","pattern":"/o","default":false},"asked":{"answer":"allow-once","by":"terminal"}}
{"time":"2026-01-01T00:00:01.000000Z","v":2,"type":"decision","seq":2,"pid":7,"comm":"sh","syscall":"openat","class":"write","path":"/o/b","decision":"ask-denied","rule":{"origin":"built-in","where":"files.write.ask[0]","pattern":"/o","default":false},"asked":{"answer":"deny-once","by":"timeout"}}
{"time":"2026-01-01T00:00:02.000000Z","v":2,"type":"decision","seq":3,"pid":7,"comm":"sh","syscall":"openat","class":"write","path":"/o/c","decision":"allow","rule":{"origin":"built-in","where":"files.write.allow[0]","pattern":"/o","default":false}}
J
"$PROCTOR" log --decision ask "$T/asked.jsonl" >"$T/asked.out" 2>&1
pt_is "--decision ask lists every question, allowed ones too" \
	"$(grep -c . "$T/asked.out")" 2
pt_grep "... and a line says what was answered, by whom" "$T/asked.out" \
	'allow +write +/o/a +\(asked: allow-once by terminal\)'
pt_done
