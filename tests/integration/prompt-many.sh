#!/bin/bash
# Many questions at once (issue 6): a call that waits for an answer holds
# no thread of proctor's.  While 100 questions wait on the approval
# socket, another process of the run keeps making calls that may block
# (FIFO opens, which proctor carries out on its pool) and they complete;
# proctor's thread count stays small; every question is then answered.
# Processes killed while their question waits take it with them: the
# clients hear "gone" for each, the log records each as refused, and
# nothing waits any more.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

O=$T/outside
mkdir -p "$O" "$T/sock"
printf '{"files": {"write": {"ask": ["%s"]}}}\n' "$O" >"$T/ask.json"
SOCK=$T/sock/approve.sock
N=100
G=30

cat >"$T/client.py" <<'PY'
# client.py SOCK OUT WS N G: see the test's header.
import json, os, socket, sys, time
sock, out, ws, n, g = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
log = open(out, "w", buffering=1)
for _ in range(400):
    try:
        s = socket.socket(socket.AF_UNIX)
        s.connect(sock)
        break
    except OSError:
        time.sleep(0.05)
else:
    log.write("NOCONNECT\n")
    sys.exit(1)
s.settimeout(120)
f = s.makefile("rb")
pending, answered, hello = [], {}, {}
def read_one():
    line = f.readline()
    if not line:
        log.write("EOF\n")
        sys.exit(0)
    m = json.loads(line)
    if m.get("type") == "hello":
        hello.update(m)
    elif m.get("type") == "request":
        pending.append(m)
    elif m.get("type") == "answered":
        answered[m["id"]] = m["by"]
    return m
def wait_file(path, secs):
    end = time.time() + secs
    while time.time() < end:
        if os.path.exists(path):
            return True
        time.sleep(0.1)
    return False
while len(pending) < n:
    read_one()
log.write("waiting=%d\n" % len(pending))
with open("/proc/%d/status" % hello["pid"]) as st:
    for l in st:
        if l.startswith("Threads:"):
            log.write("threads=%d\n" % int(l.split()[1]))
log.write("ordinary=%s\n" % ("done" if wait_file(ws + "/ordinary.done", 90) else "stalled"))
first = [m["id"] for m in pending]
pending.clear()
for i in first:
    s.sendall(b'{"id":%d,"answer":"allow-once"}\n' % i)
while not all(i in answered for i in first):
    read_one()
log.write("answered=%d\n" % sum(1 for i in first if answered[i] == "socket"))
while len(pending) < g:
    read_one()
open(ws + "/go-kill", "w").close()
second = [m["id"] for m in pending]
pending.clear()  # the third round's are its own: wait for all of them
while not all(i in answered for i in second):
    read_one()
log.write("gone=%d\n" % sum(1 for i in second if answered[i] == "gone"))
# killed as the answer comes: each asker is killed, then answered
while len(pending) < g:
    read_one()
third = list(pending)
pending.clear()
for m in third:
    try:
        os.kill(m["pid"], 9)
    except OSError:
        pass
    s.sendall(b'{"id":%d,"answer":"allow-once"}\n' % m["id"])
open(ws + "/crossed", "w").close()
while True:
    read_one()
PY

cat >"$T/cmd.sh" <<SH
cd '$WS' || exit 9
i=0
while [ \$i -lt $N ]; do
	i=\$((i + 1))
	(echo x >'$O'/q\$i) 2>/dev/null &
done
# calls that may block, carried out on proctor's pool
mkfifo fifo
i=0
while [ \$i -lt 20 ]; do
	i=\$((i + 1))
	cat fifo >/dev/null &
	echo hi >fifo
	wait \$!
done
echo ok >ordinary.done
wait
pids=
i=0
while [ \$i -lt $G ]; do
	i=\$((i + 1))
	(echo x >'$O'/g\$i) 2>/dev/null &
	pids="\$pids \$!"
done
i=0
while [ ! -e go-kill ] && [ \$i -lt 1200 ]; do sleep 0.1; i=\$((i + 1)); done
# a signal (SIGCHLD of one killed) may interrupt a kill before proctor
# takes it (README, limits): try each again until it goes
for p in \$pids; do
	n=0
	until kill -9 \$p 2>/dev/null || [ \$n -ge 20 ]; do n=\$((n + 1)); done
done
wait
# killed as their answers come (the client kills, then answers)
i=0
while [ \$i -lt $G ]; do
	i=\$((i + 1))
	(echo x >'$O'/h\$i) 2>/dev/null &
done
i=0
while [ ! -e crossed ] && [ \$i -lt 1200 ]; do sleep 0.1; i=\$((i + 1)); done
wait
echo end >end.res
SH

"$PT_PY" "$T/client.py" "$SOCK" "$T/c.out" "$WS" "$N" "$G" \
	</dev/null >/dev/null 2>&1 &
CPID=$!
pt_at_exit "kill $CPID"
PT_TIMEOUT=200 pt_run --policy "$T/ask.json" --approve-socket "$SOCK" \
	-- sh "$T/cmd.sh"
pt_status "the run ends well" 0
wait "$CPID" 2>/dev/null
sed 's/^/# client: /' "$T/c.out"
pt_grep "$N questions wait at once" "$T/c.out" "^waiting=$N\$"
pt_grep "... while another process's FIFO opens complete" "$T/c.out" \
	'^ordinary=done$'
threads=$(sed -n 's/^threads=//p' "$T/c.out")
if [ -n "$threads" ] && [ "$threads" -lt 32 ]; then
	pt_ok "... and proctor holds $threads threads, not one a question"
else
	pt_fail "... and proctor holds few threads" "threads=$threads"
fi
pt_grep "each is answered by the client" "$T/c.out" "^answered=$N\$"
pt_is "... and each write went" "$(cat "$O"/q* 2>/dev/null | grep -c x)" "$N"
pt_grep "killed while asking: each question is gone" "$T/c.out" "^gone=$G\$"
pt_is "... and none wrote" "$(ls "$O" | grep -c '^g')" 0
pt_grep "the program went on to its end" "$WS/end.res" '^end$'
pt_is "the log has $N allowed questions, and $G for the killed" \
	"$(grep -c '"asked":{"answer":"allow-once","by":"socket"' "$PT_LOG")" \
	"$((N + G))"
pt_is "... and a refused record for each question whose asker was killed" \
	"$(grep '"asked":{"answer":"deny-once","by":"gone"' "$PT_LOG" |
		grep -c '"path":"'"$O"'/g[0-9]*","decision":"ask-denied"')" "$G"
pt_is "askers killed as their answers came: one record each" \
	"$(grep '"asked":{"answer":"allow-once","by":"socket"' "$PT_LOG" |
		grep -o '"path":"'"$O"'/h[0-9]*"' | sort -u | wc -l)" "$G"
pt_is "... and no more" "$(grep -c '"path":"'"$O"'/h[0-9]*"' "$PT_LOG")" "$G"

pt_done
