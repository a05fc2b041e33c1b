#!/bin/bash
# The supervisor's receivers (tracer/notify.c): while calls come one at a
# time one receiver waits for them, the others are parked; once calls
# come from several tasks at once, all wait.  Whatever the mode, every
# call is answered once and logged once: one writer, then five writer
# processes and a process of eight threads at once, then one writer
# again, each open a write proctor carries out itself.  A call that waits
# (a FIFO open with no writer yet) does not hold up the writer meanwhile.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

pt_need "python3" python3 || pt_done

N=300
cat >writers.sh <<'SH'
# writers.sh N: the phases of the test's header.
n=$1
w() {
	i=0
	while [ "$i" -lt "$n" ]; do
		: >"$1.$i" || exit 1
		i=$((i + 1))
	done
}
w one
w p1 & w p2 & w p3 & w p4 & w p5 &
python3 threads.py "$n" || exit 1
wait
w again
echo done
SH
cat >threads.py <<'PY'
import sys, threading
n = int(sys.argv[1])
def write(t):
    for i in range(n):
        open("t%d.%d" % (t, i), "w").close()
threads = [threading.Thread(target=write, args=(t,)) for t in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
PY

PT_TIMEOUT=120 pt_run -- sh writers.sh "$N"
pt_status "one writer, then many at once, then one again: exits 0" 0
pt_grep "the writers finish" "$PT_OUT" '^done$'
made=$(find . -maxdepth 1 -name '*.*[0-9]' -newer writers.sh | wc -l)
pt_is "every file is made" "$made" $((N * 15))
logged=$("$PT_PY" - "$PT_LOG" "$WS" <<'PY'
import json, sys
seen = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("type") == "decision" and r.get("class") == "write" and \
       r.get("decision") == "allow" and r.get("path", "").startswith(sys.argv[2] + "/"):
        seen[r["path"]] = seen.get(r["path"], 0) + 1
print(len(seen), max(seen.values()) if seen else 0)
PY
)
pt_is "each open is logged, once" "$logged" "$((N * 15)) 1"

# A FIFO open waits for its writer on the pool, not on a receiver: the
# writer of files meanwhile is served.
mkfifo pipe
cat >fifo.sh <<'SH'
cat pipe >fifo.out &
i=0
while [ "$i" -lt 200 ]; do
	: >"f.$i" || exit 1
	i=$((i + 1))
done
echo late >pipe
wait
echo done
SH
pt_run -- sh fifo.sh
pt_status "writes while a FIFO open waits: exits 0" 0
pt_grep "the FIFO's reader gets its line" fifo.out '^late$'
pt_is "the writes while it waited are made" \
	"$(find . -maxdepth 1 -name 'f.*' | wc -l)" 200

pt_done
