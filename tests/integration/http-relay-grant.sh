#!/bin/bash
# The relay judges a name only a command's grant allows by the grant of
# the process that connected (issues #6, #8).  A process without the
# grant must not speak that name on a connection it shares with one that
# takes the grant later.  In the lab (pt_dns_lab): a request-logging
# server of the test's own on 10.77.0.3:8081, under two names.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

pt_dns_lab "safe.test A 10.77.0.3 300
granted.test A 10.77.0.3 300" || pt_done

SRV=$LAB/srv.log
pt_lab_serve httpd httpd.py 10.77.0.3 8081 "$SRV"
pt_wait_for 10 grep -qs ready "$SRV" || pt_fail "the test's server starts"
: >"$SRV"

cat >"$T/grant.json" <<'JSON'
{"network": {"allow": [{"pattern": "safe.test", "methods": ["GET"]}]},
 "exec": {"allow": [{"pattern": "sleep", "grant": {"network": [
  {"pattern": "granted.test", "methods": ["GET"]}]}}]}}
JSON
# connects to safe.test, forks; the child (no grant) asks for
# granted.test on that connection after its parent became "sleep", which
# holds the grant (with "none", the parent just waits)
cat >"$T/share.py" <<'PY'
import os, socket, sys, time
s = socket.create_connection(("safe.test", 8081), timeout=10)
if os.fork() == 0:
    time.sleep(1.5)
    s.sendall(b"GET /stolen HTTP/1.1\r\nHost: granted.test\r\n"
              b"Connection: close\r\n\r\n")
    print(s.recv(4096).decode(errors="replace"))
    os._exit(0)
if sys.argv[1] == "none":
    time.sleep(3)
    os.wait()
else:
    os.execvp("sleep", ["sleep", "3"])
PY

pt_lab_run --policy "$T/grant.json" -- "$PT_PY" "$T/share.py" none
pt_grep "a process without the grant is refused the granted name" \
	"$PT_OUT" "403 Forbidden"
pt_nogrep "and the server never sees it" "$SRV" "stolen"
: >"$SRV"
pt_lab_run --policy "$T/grant.json" -- "$PT_PY" "$T/share.py" exec
pt_grep "so it is when the process that connected takes the grant later" \
	"$PT_OUT" "403 Forbidden"
pt_nogrep "and the server never sees it" "$SRV" "stolen"
: >"$SRV"
pt_done
