#!/bin/bash
# A call still carried out when the run ends: a blocking connect to an
# address nobody answers (proctor makes it on the program's socket, on
# its pool) outlives the program, killed meanwhile.  Its record is in
# the log, allowed and "unfinished", naming who made it, before the
# closing record; nothing comes after that, and the log verifies.
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

pt_done
