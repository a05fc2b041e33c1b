#!/bin/bash
# The log's schema (README.md, "The log"), checked record by record on
# real runs: a C build, a denied write, a denied connect to a loopback
# server, an exec chain, names that are not UTF-8 and a workspace whose
# name needs escaping.  Every key must be a documented one.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

pt_need "log schema" python3 make cc || pt_done

cat >"$T/schema.py" <<'PY'
# schema.py LOG: prints one line per problem; nothing when the log fits.
import base64, json, re, sys

HEX64 = re.compile(r"^[0-9a-f]{64}$")
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
COMMON = {"time", "v", "type", "run", "seq", "mac"}
WHO = {"pid", "tid", "ppid", "comm", "exe"}
KEYS = {
    "run": {"proctor", "policy_sha256", "workspaces", "tmpdir", "home",
            "permissive", "stacks", "prompt"},
    "kernel": {"features", "write_floor", "reads", "proxy"},
    "start": WHO | {"cmdline"},
    "exec": WHO | {"cmdline"},
    "exec-mismatch": WHO | {"cmdline"},
    "exit": WHO | {"cmdline", "status", "signal"},
    "decision": WHO | {"uid", "cwd", "syscall", "args", "class", "path",
                       "addr", "command", "target", "to", "argv",
                       "decision", "rule", "created_by_run", "dir", "preexisting", "latency_us",
                       "errno", "result", "continued", "stack", "stack_cut",
                       "stack_scanned_from", "argv_cut", "name", "qtype",
                       "rcode",
                       "answers", "ttl", "cname", "cached", "asked",
                       "grant",
                       "method", "host", "path", "sni"},
    "grant": {"pid", "where", "origin", "approved_by", "withheld"},
    "grant-end": {"pid", "where", "origin", "approved_by"},
    "end": {"exit", "decisions", "denials", "peak_rss_kib"},
}
OBJECTS = {"read": "path", "write": "path", "exec": "command",
           "connect": "addr", "signal": "target", "namespace": "target",
           "ptrace": "target",
           "resolve": "name",
           "http": "addr", "tls": "addr"}
bad = []


def need(r, n, cond, what):
    if not cond:
        bad.append("line %d (%s): %s" % (n, r.get("type"), what))


def strings_ok(r, n, obj):
    """Every KEY_b64 decodes, and KEY shows the same name."""
    for k, v in obj.items():
        if not k.endswith("_b64"):
            continue
        base = k[:-4]
        need(r, n, base in obj, "%s without %s" % (k, base))
        vals = v if isinstance(v, list) else [v]
        shown = obj.get(base)
        shown = shown if isinstance(shown, list) else [shown]
        for raw, s in zip(vals, shown):
            b = base64.b64decode(raw, validate=True)
            need(r, n, b.decode("utf-8", "replace") == s,
                 "%s does not show %s" % (base, k))


def check_decision(r, n):
    need(r, n, all(isinstance(r.get(k), int) for k in
                   ("pid", "tid", "ppid", "uid", "latency_us", "errno",
                    "result")), "a number is missing")
    need(r, n, isinstance(r.get("cwd"), str), "no cwd")
    a = r.get("args")
    need(r, n, isinstance(a, list) and len(a) == 6 and
         all(re.match(r"^0x[0-9a-f]+$", x) for x in a), "args: %r" % a)
    need(r, n, r.get("decision") in ("allow", "deny", "ask-denied"),
         "decision %r" % r.get("decision"))
    key = OBJECTS.get(r.get("class"))
    need(r, n, key is not None, "class %r" % r.get("class"))
    need(r, n, key is None or isinstance(r.get(key), str),
         "class %s without %s" % (r.get("class"), key))
    rule = r.get("rule", {})
    need(r, n, {"origin", "where", "pattern", "default"} <=
         set(rule) <= {"origin", "where", "pattern", "default",
                       "where_b64", "pattern_b64"}, "rule %r" % rule)
    if r.get("class") == "exec":
        need(r, n, isinstance(r.get("argv"), list), "exec without argv")
    # a denial fails the call; an allowed call may fail too (ENOENT)
    need(r, n, r["decision"] == "allow" or r.get("errno") != 0,
         "errno 0 for %s" % r["decision"])
    # the kernel's own answer after proctor's: an exec, an O_PATH open
    need(r, n, not r.get("continued") or
         (r["decision"] == "allow" and r["errno"] == 0),
         "continued: %r" % r)
    for f in r.get("stack", []):
        need(r, n, set(f) <= {"pc", "obj", "off", "sym", "obj_b64",
                              "sym_b64"} and
             re.match(r"^0x[0-9a-f]+$", f.get("pc", "")), "frame %r" % f)


def check(r, n):
    t = r.get("type")
    extra = {k for k in r if not k.endswith("_b64")} - COMMON - \
        KEYS.get(t, set())
    need(r, n, t in KEYS, "unknown type")
    need(r, n, not extra, "undocumented keys %s" % sorted(extra))
    need(r, n, r.get("v") == 2, "v is %r" % r.get("v"))
    need(r, n, TIME.match(r.get("time", "")), "time %r" % r.get("time"))
    need(r, n, HEX64.match(r.get("mac", "")), "no MAC")
    strings_ok(r, n, r)
    if t == "run":
        need(r, n, HEX64.match(r.get("policy_sha256", "")), "policy hash")
        need(r, n, isinstance(r.get("workspaces"), list), "workspaces")
        need(r, n, r.get("stacks") in ("none", "denied", "all"), "stacks")
    elif t in ("start", "exec", "exit"):
        need(r, n, all(isinstance(r.get(k), int) for k in
                       ("pid", "tid", "ppid")), "ids")
        need(r, n, isinstance(r.get("cmdline"), str), "cmdline")
    if t == "exit":
        need(r, n, ("status" in r) != ("signal" in r), "status or signal")
    if t == "decision":
        check_decision(r, n)


runs = {}
last = None
for n, line in enumerate(open(sys.argv[1], "rb"), 1):
    r = json.loads(line)
    check(r, n)
    if r.get("type") == "run":
        runs[r["run"]] = [0, 0]
        last = 0
    need(r, n, r.get("seq") == (last or 0) + 1, "seq %r after %r" %
         (r.get("seq"), last))
    last = r.get("seq")
    if r.get("type") == "decision":
        runs[r["run"]][0] += 1
        runs[r["run"]][1] += r["decision"] != "allow"
    if r.get("type") == "end":
        need(r, n, [r["decisions"], r["denials"]] == runs[r["run"]],
             "end counts %r, the log holds %r" %
             ([r["decisions"], r["denials"]], runs[r["run"]]))
need({}, 0, runs, "no run record")
for b in bad[:8]:
    print(b[:300])
PY

# pt_schema NAME: the last run's log fits the schema.
pt_schema() {
	"$PT_PY" "$T/schema.py" "$PT_LOG" >"$T/schema.out" 2>&1
	if [ -s "$T/schema.out" ]; then
		pt_fail "$1" "$(cat "$T/schema.out")"
	else
		pt_ok "$1"
	fi
}

# q FIELD-TEST: how many decisions a python expression over r accepts.
q() {
	"$PT_PY" - "$PT_LOG" "$1" <<'PY'
import base64, json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
test = "(" + sys.argv[2] + ")"
print(sum(1 for r in rs if r["type"] == "decision" and eval(test)))
PY
}

# ---- a build
mkdir -p src
printf 'int add(int a, int b) { return a + b; }\n' >src/add.c
printf '#include <stdio.h>\nint add(int, int);\nint main(void) { printf("%%d\\n", add(40, 2)); return 0; }\n' >src/main.c
printf 'prog: src/main.c src/add.c\n\t$(CC) -O2 -o $@ $^\n' >Makefile
pt_run -- make
pt_status "the build runs" 0
pt_schema "a build's log fits the schema"
pt_is "the build's compiler ran, and is in the log" \
	"$(q 'r["class"] == "exec" and r["argv"][0] in ("cc", "gcc")')" 1
pt_isnt "the build wrote its program, and that is in the log" \
	"$(q 'r.get("path") == "'"$WS"'/prog" and r["class"] == "write"')" 0

# ---- an exec that fails after proctor let it go on: the kernel's answer
#      is not proctor's to know, and the record says so
printf 'not a program\n' >"$WS/notexec" && chmod 644 "$WS/notexec"
pt_run -- python3 -c 'import os
try:
    os.execv("./notexec", ["notexec"])
except PermissionError:
    print("EACCES")'
pt_grep "the exec fails" "$PT_OUT" '^EACCES$'
pt_schema "a failed exec's log fits the schema"
pt_is "its record is marked continued, not made a success" \
	"$(q 'r["class"] == "exec" and r["argv"] == ["notexec"]
		and r.get("continued") is True')" 1

# ---- a denied write
pt_run -- sh -c "echo x >'$CANARY/new'"
pt_isnt "the write outside fails" "$PT_RC" 0
pt_schema "a denied write's log fits the schema"
pt_is "one deny record with EACCES, the rule and a stack" \
	"$(q 'r.get("path") == "'"$CANARY"'/new" and r["decision"] == "deny"
		and r["errno"] == 13 and r["class"] == "write"
		and r["rule"]["where"] == "files.write.default"
		and len(r["stack"]) > 0')" 1

# ---- a question nobody can answer, and a grant (issue 6)
printf '{"files": {"write": {"ask": ["%s"]}}, "exec": {"allow": [{"pattern": ["%s"], "grant": {"write": ["%s"]}}]}}\n' \
	"$CANARY" "$(command -v touch)" "$CANARY" >"$T/ask.json"
pt_run --policy "$T/ask.json" -- sh -c "echo x >'$CANARY/asked'; touch '$CANARY/granted'"
pt_schema "a log with a question and a grant fits the schema"
pt_is "the question's answer is recorded" \
	"$(q 'r.get("asked", {}).get("by") == "unattended"
		and r["decision"] == "ask-denied" and len(r["stack"]) > 0')" 1
pt_is "the grant's decision names it" \
	"$(q 'r.get("grant", {}).get("approved_by", "").startswith("rule exec.allow[0]")')" 1
rm -f "$CANARY/granted"

# ---- a denied connect to a loopback server
if pt_listen; then
	pt_run -- python3 -c "
import socket
s = socket.socket()
try:
    s.connect(('127.0.0.1', $PT_PORT))
except ConnectionRefusedError:
    print('refused')"
	pt_grep "the connect is refused" "$PT_OUT" '^refused$'
	pt_schema "a denied connect's log fits the schema"
	pt_is "one deny record with ECONNREFUSED for the address" \
		"$(q 'r.get("addr") == "127.0.0.1:'"$PT_PORT"'"
			and r["class"] == "connect" and r["errno"] == 111
			and r["decision"] == "deny"
			and r["syscall"] == "connect"')" 1
	sleep 0.3
	pt_is "and the server saw nothing" "$(pt_listen_count)" 0
	pt_listen_stop
else
	pt_fail "the loopback test server starts"
fi

# ---- an exec chain: one process, four programs
pt_run -- sh -c 'exec env sh -c "exec true"'
pt_status "the exec chain runs" 0
pt_schema "an exec chain's log fits the schema"
"$PT_PY" - "$PT_LOG" >"$T/chain.txt" <<'PY'
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
execs = [r for r in rs if r["type"] == "exec"]
print(len({r["pid"] for r in execs}))
print(" | ".join(r["cmdline"] for r in execs))
print(" | ".join(" ".join(r["argv"]) for r in rs
                 if r["type"] == "decision" and r["class"] == "exec"))
PY
pt_is "every exec record is of the same process" "$(sed -n 1p "$T/chain.txt")" 1
pt_is "the exec records name each program in turn" \
	"$(sed -n 2p "$T/chain.txt")" \
	'sh -c exec env sh -c "exec true" | env sh -c exec true | sh -c exec true | true'
pt_is "each exec was judged with its argv, in the same order" \
	"$(sed -n 3p "$T/chain.txt")" \
	'sh -c exec env sh -c "exec true" | env sh -c exec true | sh -c exec true | true'

# ---- names that are not UTF-8: shown with U+FFFD, exact in _b64
"$PT_PY" -c 'import os; open(os.fsencode("caf\udce9.txt"), "w").write("x\n")'
pt_run --log-reads -- sh -c "cat caf*.txt; for n in 'bad\\377' 'sur\\355\\240\\200' \\
	'long\\340\\200\\257'; do true >'$CANARY/'\$(printf \$n); done"
pt_schema "a log with names that are not UTF-8 fits the schema"
pt_is "the read of caf\\xe9.txt is shown with U+FFFD and exact in path_b64" \
	"$(q 'r.get("path") == "'"$WS"'/caf\ufffd.txt"
		and base64.b64decode(r["path_b64"]).endswith(b"caf\xe9.txt")')" 1
pt_is "the argv of cat is exact in argv_b64" \
	"$(q 'r["class"] == "exec" and r["argv"][0] == "cat"
		and base64.b64decode(r["argv_b64"][1]) == b"caf\xe9.txt"')" 1
pt_is "the denied write of bad\\xff too" \
	"$(q 'r["decision"] == "deny"
		and base64.b64decode(r["path_b64"]).endswith(b"/bad\xff")')" 1
pt_is "a surrogate and an overlong form are not UTF-8 either" \
	"$(q 'r["decision"] == "deny" and base64.b64decode(r.get("path_b64", ""))
		.split(b"/")[-1] in (b"sur\xed\xa0\x80", b"long\xe0\x80\xaf")')" 2
"$PROCTOR" log --json --path "$WS/caf$(printf '\351').txt" "$PT_LOG" \
	>"$T/sel.txt" 2>&1
pt_is "proctor log --path matches the exact bytes" \
	"$(grep -c '"path_b64"' "$T/sel.txt")" 1

# ---- a workspace whose name needs escaping
odd="$T/odd \"ws\" \\ x"
mkdir -p "$odd"
: >"$PT_LOG"
(cd "$odd" && timeout -k 5 "$PT_TIMEOUT" "$PROCTOR" run --log "$PT_LOG" \
	-- true </dev/null >/dev/null 2>&1)
pt_schema "a workspace named with quotes and a backslash fits the schema"
pt_is "and the run record names it exactly" "$("$PT_PY" -c '
import json, sys
print(json.loads(open(sys.argv[1]).readline())["workspaces"][0])' "$PT_LOG")" \
	"$odd"

pt_done
