#!/bin/bash
# A call still carried out when the run ends: a blocking connect to an
# address nobody answers (proctor makes it on the program's socket, on
# its pool) outlives the program, killed meanwhile.  Its record is in
# the log, allowed and "unfinished", naming who made it, before the
# closing record; nothing comes after that, and the log verifies.  And
# calls whose question was answered but which wait for a worker when
# the program ends have their records too.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

pt_dns_lab "lab.test A 10.77.0.2 300" || pt_done

# 10.77.0.50 is on the lab's link and answers no ARP: the connect waits
# about three seconds for EHOSTUNREACH
cat >"$T/conn.py" <<'PY'
import socket
s = socket.socket()
open("connecting", "w").close()
s.connect(("10.77.0.50", 80))
PY
pt_lab_run --allow-net 10.77.0.50:80 -- sh -c "
	'$PT_PY' '$T/conn.py' & p=\$!
	i=0
	while [ ! -e connecting ] && [ \$i -lt 100 ]; do sleep 0.05; i=\$((i + 1)); done
	sleep 0.5
	kill -9 \$p
	exit 3"
pt_status "the run ends with its command" 3
n=$("$PT_PY" - "$PT_LOG" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
types = [r.get("type") for r in recs]
end = types.index("end") if "end" in types else len(recs)
mine = [i for i, r in enumerate(recs)
        if r.get("type") == "decision" and r.get("syscall") == "connect"
        and r.get("addr", "").startswith("10.77.0.50")]
ok = (len(mine) == 1 and mine[0] < end and end == len(recs) - 1 and
      recs[mine[0]].get("unfinished") is True and
      recs[mine[0]].get("decision") == "allow" and
      recs[mine[0]].get("comm", "").startswith("python") and
      recs[mine[0]].get("ppid", 0) > 0)
print("ok" if ok else "bad %r %r" % (mine, [recs[i] for i in mine]))
PY
)
pt_is "the connect has one record, allowed and unfinished, before the end" \
	"$n" ok
pt_proctor log verify "$PT_LOG"
pt_status "the log verifies" 0

# 100 connects asked about and answered: more than proctor has workers
# (64), so answered calls still wait in its queue when the program ends;
# each has its record, with its answer
cat >"$T/many.py" <<'PY'
import os, socket, sys, threading, time
def go(i):
    try:
        socket.socket().connect(("10.77.0.%d" % (50 + i % 100), 80))
    except OSError:
        pass
for i in range(100):
    threading.Thread(target=go, args=(i,), daemon=True).start()
time.sleep(2.5)
os._exit(0)
PY
printf '{"network": {"ask": ["10.77.0.0/24"]}}\n' >"$T/ask.json"
mkdir -p "$T/sock"
(sleep 0.5; ip netns exec "$LAB_C" "$PROCTOR" approve --answer allow-once \
	"$T/sock/s" >/dev/null 2>&1) &
pt_at_exit "kill $! 2>/dev/null"
pt_lab_run --policy "$T/ask.json" --approve-socket "$T/sock/s" -- \
	"$PT_PY" "$T/many.py"
pt_is "100 answered connects, 100 records with their answer" \
	"$(grep '"syscall":"connect"' "$PT_LOG" |
		grep -c '"asked":{"answer":"allow-once","by":"socket"')" 100

pt_done
