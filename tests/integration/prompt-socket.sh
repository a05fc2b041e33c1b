#!/bin/bash
# The approval socket (issue 6): `proctor run --approve-socket PATH`
# offers each question as a line of JSON; a client answers with the id
# and the answer.  A test client checks the request's facts, each answer,
# errors for malformed lines (the run goes on), two questions at once
# ("allow-run" answers the matching one too), the timeout when no client
# answers; the sandbox can neither connect to the socket (by its name, a
# symlink, its own thread) nor have it made where it can write; `proctor
# approve --answer` and `proctor approve` on a terminal answer too.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
. "$PT_TESTS/integration/prompt.bash"

O=$T/outside
mkdir -p "$O" "$T/sock"
for f in f1 f2 f3 fs fx; do echo before >"$O/$f"; done
printf '{"files": {"write": {"ask": ["%s"]}}}\n' "$O" >"$T/ask.json"
SOCK=$T/sock/approve.sock
RUN=(--policy "$T/ask.json" --approve-socket "$SOCK")

cat >"$T/client.py" <<'PY'
# client.py SOCK OUT SCRIPT: connects (waiting for the socket), records
# every line it gets in OUT, and follows SCRIPT, one step per argument:
#   answer:ANSWER     answer the next request
#   wait:N            wait until N requests are in hand, answer none
#   first:ANSWER      answer the first request in hand
#   send:TEXT         send TEXT and a newline as it is
#   long              send a line of 10000 bytes
#   expect:TYPE       wait for a line of that type
#   file:PATH         wait (up to 20 s) for PATH to exist
#   touch:PATH        create PATH
import json, os, socket, sys, time
sock, out, steps = sys.argv[1], sys.argv[2], sys.argv[3:]
log = open(out, "w", buffering=1)
for _ in range(200):
    try:
        s = socket.socket(socket.AF_UNIX)
        s.connect(sock)
        break
    except OSError:
        time.sleep(0.05)
else:
    log.write("NOCONNECT\n")
    sys.exit(1)
f = s.makefile("rb")
pending = []
def read_one():
    line = f.readline()
    if not line:
        log.write("EOF\n")
        sys.exit(0)
    log.write(line.decode())
    m = json.loads(line)
    if m.get("type") == "request":
        pending.append(m)
    return m
def send(obj):
    s.sendall((json.dumps(obj) + "\n").encode())
for step in steps:
    kind, _, arg = step.partition(":")
    if kind == "answer":
        while not pending:
            read_one()
        send({"id": pending.pop(0)["id"], "answer": arg})
    elif kind == "wait":
        while len(pending) < int(arg):
            read_one()
    elif kind == "first":
        send({"id": pending.pop(0)["id"], "answer": arg})
    elif kind == "send":
        s.sendall(arg.encode() + b"\n")
    elif kind == "long":
        s.sendall(b"{" + b"x" * 10000 + b"}\n")
    elif kind == "expect":
        while read_one().get("type") != arg:
            pass
    elif kind == "file":
        for _ in range(200):
            if os.path.exists(arg):
                break
            time.sleep(0.1)
        log.write("FILE %s\n" % os.path.exists(arg))
    elif kind == "touch":
        open(arg, "w").close()
while True:
    read_one()
PY
# client OUT STEP...: in the background
client() {
	local out=$1
	shift
	rm -f "$out"
	"$PT_PY" "$T/client.py" "$SOCK" "$out" "$@" </dev/null \
		>/dev/null 2>"$out.err" &
	CLIENT_PID=$!
	pt_at_exit "kill $CLIENT_PID"
}
# field OUT TYPE N KEY: KEY of the Nth line of TYPE that OUT has
field() {
	"$PT_PY" - "$@" <<'PY'
import json, sys
out, typ, n, key = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
rows = [json.loads(l) for l in open(out) if l.startswith("{")]
rows = [r for r in rows if r.get("type") == typ]
v = rows[n - 1].get(key) if len(rows) >= n else None
print("" if v is None else v)
PY
}
wait_client() {
	local i=0
	while kill -0 "$CLIENT_PID" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill "$CLIENT_PID" 2>/dev/null
}

# ---- a request has the prompt's facts; allow-once lets the write go
client "$T/c1" answer:allow-once
pt_run "${RUN[@]}" -- bash -c "echo one >'$O/f1'"
wait_client
pt_status "allow-once over the socket: the run succeeds" 0
pt_is "... the write completed" "$(cat "$O/f1")" one
pt_is "the first line is a hello" "$(head -n 1 "$T/c1" | cut -c1-27)" \
	'{"type":"hello","protocol":'
pt_is "request: class" "$(field "$T/c1" request 1 class)" write
pt_is "request: object" "$(field "$T/c1" request 1 object)" "$O/f1"
pt_is "request: id" "$(field "$T/c1" request 1 id)" 1
pt_is "request: program" "$(field "$T/c1" request 1 program)" bash
pt_grep "request: the program's command line" "$T/c1" \
	'"cmdline":"bash -c echo one'
pt_grep "request: the rule that asked" "$T/c1" \
	'"rule":"files.write.ask\[0\] \\"'
pt_check "request: pid and tid" test -n "$(field "$T/c1" request 1 pid)"
pt_is "the answer is confirmed to the clients" \
	"$(field "$T/c1" answered 1 answer)/$(field "$T/c1" answered 1 by)" \
	allow-once/socket
pt_is "the log says who answered" \
	"$(pr_log_asked "$PT_LOG")" allow/allow-once/socket
pt_absent "the socket is removed at the end" "$SOCK"

# ---- deny-once
client "$T/c2" answer:deny-once
pt_run "${RUN[@]}" -- bash -c "echo two >'$O/f1' || exit 7"
wait_client
pt_status "deny-once over the socket: the write fails" 7
pt_is "... the file is unchanged" "$(cat "$O/f1")" one

# ---- malformed lines: an error each, the run goes on
client "$T/c3" wait:1 "send:not json" 'send:{"id":"one"}' \
	'send:{"id":999,"answer":"allow-once"}' \
	'send:{"id":1,"answer":"maybe"}' 'send:[1,2]' long \
	first:allow-once
pt_run "${RUN[@]}" -- bash -c "echo three >'$O/f2'"
wait_client
pt_status "after malformed lines a good answer still counts" 0
pt_is "... the write completed" "$(cat "$O/f2")" three
pt_is "six errors for six bad lines" \
	"$(grep -c '"type":"error"' "$T/c3")" 6
pt_grep "an error says what was expected (JSON)" "$T/c3" \
	'"error":"malformed JSON'
pt_grep "an error says what was expected (id)" "$T/c3" \
	'"error":"id: expected the number of a request"'
pt_grep "an error says what was expected (unknown id)" "$T/c3" \
	'"error":"id: no such question waits'
pt_grep "an error says what was expected (answer)" "$T/c3" \
	'"error":"answer: expected \\"allow-once\\"'
pt_grep "an error says what was expected (long line)" "$T/c3" \
	'"error":"line too long'

# ---- two questions at once; allow-run answers the matching one too
cat >"$T/two.py" <<'PY'
import sys, threading
res, a, b = sys.argv[1:4]
bar = threading.Barrier(2)
out = {}
def write(i, path):
    bar.wait()
    try:
        with open(path, "w") as f:
            f.write("x\n")
        out[i] = 0
    except OSError:
        out[i] = 1
ts = [threading.Thread(target=write, args=(i, p)) for i, p in enumerate((a, b))]
[t.start() for t in ts]
[t.join() for t in ts]
with open(res, "w") as f:
    f.write("%d %d\n" % (out[0], out[1]))
PY
client "$T/c4" wait:2 first:allow-once first:deny-once
pt_run "${RUN[@]}" -- python3 "$T/two.py" "$WS/two.res" "$O/f2" "$O/f3"
wait_client
pt_is "two at once: both were offered before either was answered" \
	"$(grep -c '"type":"request"' "$T/c4")" 2
first=$(field "$T/c4" request 1 object)
if [ "$first" = "$O/f2" ]; then want="0 1"; else want="1 0"; fi
pt_is "two at once: each got its own answer" "$(cat "$WS/two.res")" "$want"

# two processes: both questions wait at once; the rest goes on meanwhile
client "$T/c6" wait:2 "file:$WS/others-done" first:deny-once first:allow-once
pt_run "${RUN[@]}" -- bash -c "(echo p >'$O/f2'; echo \"p1=\$?\" >>'$WS/procs.res') &
	(echo q >'$O/f3'; echo \"p2=\$?\" >>'$WS/procs.res') &
	sleep 0.5
	for i in 1 2 3 4 5 6 7 8; do echo \$i >'$WS/other-'\$i; done
	touch '$WS/others-done'
	wait"
wait_client
pt_is "two processes: both questions waited at once" \
	"$(grep -c '"type":"request"' "$T/c6")" 2
pt_grep "while they waited, the other calls were decided" "$T/c6" \
	'^FILE True$'
pt_is "... all of them" "$(cat "$WS"/other-* 2>/dev/null | wc -l)" 8
pt_is "two processes: one denied, one allowed" \
	"$(sed 's/p[12]=//' "$WS/procs.res" | sort | tr '\n' ' ')" "0 1 "

client "$T/c5" wait:2 first:allow-run
pt_run "${RUN[@]}" -- python3 "$T/two.py" "$WS/same.res" "$O/fs" "$O/fs"
wait_client
pt_is "the same object twice: both writes completed" \
	"$(cat "$WS/same.res")" "0 0"
pt_is "... allow-run answered the second one too" \
	"$(field "$T/c5" answered 2 answer)/$(field "$T/c5" answered 2 by)" \
	"allow-run/this run"

# ---- the answer is about its object: a path changed while the question
# waited is a question of its own (the call is judged again, answered)
cat >"$T/flip.py" <<'PY'
import ctypes, os, sys, threading, time
ws, a, b = sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode()
libc = ctypes.CDLL(None, use_errno=True)
buf = ctypes.create_string_buffer(a, 4096)
res = {}
def opener():
    fd = libc.open(buf, os.O_WRONLY | os.O_CREAT, 0o644)
    res["fd"], res["errno"] = fd, ctypes.get_errno()
t = threading.Thread(target=opener)
t.start()
for _ in range(300):
    if os.path.exists(ws + "/flip-now"):
        break
    time.sleep(0.05)
ctypes.memmove(buf, b + b"\0", len(b) + 1)
open(ws + "/flipped", "w").close()
t.join()
open(ws + "/flip.res", "w").write("fd=%d errno=%d\n" % (res["fd"], res["errno"]))
PY
client "$T/c9" wait:1 "touch:$WS/flip-now" "file:$WS/flipped" \
	first:allow-once answer:deny-once
pt_run "${RUN[@]}" -- python3 "$T/flip.py" "$WS" "$O/flip-a" "$O/flip-b"
wait_client
pt_is "a path changed while asked: asked again, about the new path" \
	"$(field "$T/c9" request 1 object) $(field "$T/c9" request 2 object)" \
	"$O/flip-a $O/flip-b"
pt_grep "... the second answer (deny) counts" "$WS/flip.res" '^fd=-1 errno=13$'
pt_check "... neither file was made" test ! -e "$O/flip-a" -a ! -e "$O/flip-b"

# ---- nobody answers: the timeout denies
t0=$(date +%s)
pt_run "${RUN[@]}" --prompt-timeout 1 -- bash -c "echo x >'$O/fx' || exit 7"
t1=$(date +%s)
pt_status "no client: the timeout denies" 7
pt_check "no client: after the timeout, not at once" test $((t1 - t0)) -ge 1
pt_is "no client: the log says timeout" \
	"$(pr_log_asked "$PT_LOG")" ask-denied/deny-once/timeout

# the policy's prompt.timeout does the same; --prompt-timeout overrides it
printf '{"files": {"write": {"ask": ["%s"]}}, "prompt": {"timeout": 1}}\n' \
	"$O" >"$T/ask-timeout.json"
pt_run --policy "$T/ask-timeout.json" --approve-socket "$SOCK" -- \
	bash -c "echo x >'$O/fx' || exit 7"
pt_status "prompt.timeout in the policy: no answer denies" 7
pt_is "... the log says timeout" \
	"$(pr_log_asked "$PT_LOG")" ask-denied/deny-once/timeout

# ---- SIGTERM to proctor while a question waits: the question is denied
#      (CMD, which waits for the answer, would act on it only after),
#      and the run ends as CMD does on SIGTERM
rm -f "$T/term.out"
: >"$PT_LOG"
"$PT_PY" "$T/client.py" "$SOCK" "$T/term.out" wait:1 &
client=$!
timeout -k 5 "$PT_TIMEOUT" "$PROCTOR" run --log "$PT_LOG" "${RUN[@]}" -- \
	bash -c "echo x >'$O/fx'; sleep 5" >"$PT_OUT" 2>"$PT_ERR" &
run=$!
pt_wait_for 10 grep -qs '"request"' "$T/term.out"
t0=$(date +%s)
kill -TERM "$run"
wait "$run"
rc=$?
t1=$(date +%s)
kill "$client" 2>/dev/null
wait "$client" 2>/dev/null
pt_is "SIGTERM during a question: the run ends as CMD does on it (143)" "$rc" 143
pt_check "... at once, not when someone answers" test $((t1 - t0)) -le 3
pt_grep "... the question denied, and said why" "$PT_ERR" \
	'denied write .*fx.*proctor was told to end'
pt_is "... the log says signal" \
	"$(pr_log_asked "$PT_LOG")" ask-denied/deny-once/signal
pt_is "... nothing written" "$(cat "$O/fx")" before

# a signal that came while no question waited leaves later ones alone
# (a program that traps SIGTERM and goes on)
rm -f "$T/term2.out" "$T/term-ready"
"$PT_PY" "$T/client.py" "$SOCK" "$T/term2.out" answer:allow-once &
client=$!
timeout -k 5 "$PT_TIMEOUT" "$PROCTOR" run --no-log "${RUN[@]}" -- \
	bash -c "trap 'echo trapped' TERM; : >'$T/term-ready'; sleep 1; echo after >'$O/ft'" \
	>"$PT_OUT" 2>"$PT_ERR" &
run=$!
pt_wait_for 10 test -e "$T/term-ready"
kill -TERM "$run"
wait "$run"
rc=$?
wait "$client" 2>/dev/null
pt_is "SIGTERM before a question: the question is asked, and answered" \
	"$rc/$(cat "$O/ft" 2>/dev/null)" 0/after

# ---- the sandbox cannot reach the socket, nor answer itself
cat >"$T/self.py" <<'PY'
import json, os, socket, sys, threading, time
sock, link, res, target = sys.argv[1:5]
def note(s):
    with open(res, "a") as f:
        f.write(s + "\n")
for name, path in (("direct", sock), ("symlink", link)):
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path)
        note("%s=connected" % name)
    except OSError as e:
        note("%s=%s" % (name, os.strerror(e.errno)))
def answer_myself():
    for _ in range(40):
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(sock)
        except OSError:
            time.sleep(0.05)
            continue
        for line in s.makefile("rb"):
            m = json.loads(line)
            if m.get("type") == "request":
                s.sendall(b'{"id":%d,"answer":"allow-always"}\n' % m["id"])
        return
threading.Thread(target=answer_myself, daemon=True).start()
try:
    with open(target, "w") as f:
        f.write("self-approved\n")
    note("w=0")
except OSError:
    note("w=1")
PY
ln -s "$SOCK" "$WS/link.sock"
pt_run "${RUN[@]}" --prompt-timeout 2 -- \
	python3 "$T/self.py" "$SOCK" "$WS/link.sock" "$WS/self.res" "$O/fx"
pt_grep "the sandbox cannot connect to the socket" "$WS/self.res" \
	'^direct=Connection refused$'
pt_grep "... nor through a symlink in the workspace" "$WS/self.res" \
	'^symlink=Connection refused$'
pt_grep "... nor answer its own question (the timeout denied it)" \
	"$WS/self.res" '^w=1$'
pt_is "... the file is unchanged" "$(cat "$O/fx")" before
pt_grep "the log names proctor's approval socket" "$PT_LOG" \
	'"origin":"proctor","where":"approve"'
pt_absent "nothing was saved by the sandbox" \
	"$XDG_CONFIG_HOME/proctor/answers.jsonl.none"
pt_nogrep "... no answer in the answers file" \
	"$XDG_CONFIG_HOME/proctor/answers.jsonl" fx
rm -f "$WS/link.sock"

# ---- where the socket may be made
pt_run --approve-socket "$WS/approve.sock" -- true
pt_status "a socket in the workspace is refused" 125
pt_grep "... with a reason and a way out" "$PT_ERR" \
	'approve-socket .*: the sandbox may write there .*XDG_RUNTIME_DIR'
pt_absent "... and not made" "$WS/approve.sock"
echo x >"$T/sock/file"
pt_run --approve-socket "$T/sock/file" -- true
pt_status "a path that holds a file is refused" 125
pt_is "... the file stays" "$(cat "$T/sock/file")" x
pt_run "${RUN[@]}" -- sh -c "stat -c %a '$SOCK'"
pt_is "the socket is only for its user (no group or other bits)" \
	"$(cat "$PT_OUT")" 700

# ---- proctor approve --answer
(pt_wait_for 10 test -S "$SOCK" &&
	exec "$PROCTOR" approve --answer allow-once "$SOCK") \
	</dev/null >"$T/approve.out" 2>&1 &
apid=$!
pt_at_exit "kill $apid"
pt_run "${RUN[@]}" --prompt-timeout 10 -- \
	bash -c "sleep 0.5; echo four >'$O/f3'"
wait "$apid"
pt_status "proctor approve --answer answers: the write completed" 0
pt_is "... the file" "$(cat "$O/f3")" four
pt_grep "... it says what it answered" "$T/approve.out" \
	"^#1 bash \(pid [0-9]+\) write $O/f3: allow-once$"
"$PROCTOR" approve --answer sometimes "$SOCK" >/dev/null 2>&1
pt_is "proctor approve refuses an unknown answer" "$?" 2

# ---- proctor approve on a terminal: the question as the run shows it
pr_need "proctor approve on a terminal" || pt_done
cat >"$T/approve.sh" <<SH
#!/bin/bash
while [ ! -S '$SOCK' ]; do sleep 0.05; done
'$PROCTOR' approve '$SOCK'
echo "\$?" >'$T/approve.status'
sleep 600
SH
rm -f "$T/approve.status"
pr_tm -f /dev/null new-session -d -s approve -x 160 -y 40 "bash '$T/approve.sh'"
PR_NAME=approve
(timeout 30 "$PROCTOR" run --log "$PT_LOG" "${RUN[@]}" \
	--prompt-timeout 20 -- \
	bash -c "echo five >'$O/f1'" </dev/null >/dev/null 2>&1
echo $? >"$T/run.status") &
pr_wait "proctor approve shows the question" "wants to: WRITE $O/f1" 15
pt_check "... offering no details, which the socket does not carry" \
	sh -c "! tmux -S '$PR_SOCK' capture-pane -p -t approve | grep -q 'details'"
pr_keys y
pt_wait_for 15 test -s "$T/run.status"
pt_is "proctor approve: y answered allow-once" "$(cat "$T/run.status")" 0
pr_wait "... said as the run's terminal says it" 'allow once \(socket\)' 5
pt_is "... the file" "$(cat "$O/f1")" five
pt_wait_for 5 test -s "$T/approve.status"
pt_is "proctor approve ends with the run" "$(cat "$T/approve.status")" 0

pt_done
