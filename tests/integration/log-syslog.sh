#!/bin/bash
# --log-syslog: every record also goes to syslog(3), ident proctor,
# facility authpriv, warning for denials and info for the rest.  Without
# a syslog daemon the run goes on as before.  As root, a private mount
# namespace gets a /dev of its own whose /dev/log is this test's
# listener, so records are seen arriving without touching the machine's
# /dev or any daemon; other users skip that part (it needs root).
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

pt_need "syslog" python3 || pt_done

# ---- accepted, and harmless without a listener (this machine may have
# a /dev/log: then the records go to its daemon, as asked)
pt_run --log-syslog -- sh -c "cat /etc/hostname >/dev/null; echo x >'$CANARY/s'"
pt_isnt "a run with --log-syslog runs (the denied write fails)" "$PT_RC" 0
pt_check "and its file log is complete" pt_json_lines "$PT_LOG"
pt_grep "with the closing record" "$PT_LOG" '"type":"end"'
: >"$PT_LOG"
timeout -k 5 "$PT_TIMEOUT" "$PROCTOR" run --no-log --log-syslog -- true \
	</dev/null >"$PT_OUT" 2>"$PT_ERR"
pt_is "--log-syslog with --no-log: syslog alone" "$?" 0
if [ ! -S /dev/log ]; then
	pt_grep "... and with no syslog socket, proctor says no record is kept" \
		"$PT_ERR" '^proctor: --log-syslog: no syslog socket at /dev/log .*no record of this run is kept$'
fi

# ---- records reach /dev/log
if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null 2>&1; then
	pt_skip "records reach /dev/log" "needs root and unshare (a private /dev)"
	pt_done
fi

cat >"$T/listen.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[2] + ".ready", "w").close()
s.settimeout(15)
with open(sys.argv[2], "wb") as out:
    while True:
        try:
            d = s.recv(1 << 20)
        except socket.timeout:
            break
        if d == b"stop":
            break
        out.write(d.rstrip(b"\n") + b"\n")
        out.flush()
PY
# In the namespace: a tmpfs on /dev with what a run uses bound back from
# the real one, and the listener at /dev/log.
cat >"$T/inner.sh" <<'SH'
set -e
T=$1 PROCTOR=$2 CANARY=$3
mkdir -p "$T/olddev"
mount --rbind /dev "$T/olddev"
mount -t tmpfs -o mode=755 pt-dev /dev
for n in null zero full random urandom tty ptmx; do
	touch "/dev/$n"
	mount --bind "$T/olddev/$n" "/dev/$n"
done
for d in pts shm; do
	mkdir "/dev/$d"
	mount --rbind "$T/olddev/$d" "/dev/$d"
done
ln -s /proc/self/fd /dev/fd
python3 "$T/listen.py" /dev/log "$T/got.txt" &
while [ ! -e "$T/got.txt.ready" ]; do sleep 0.05; done
cd "$T/ws"
"$PROCTOR" run --quiet --log-syslog --log "$T/sys.jsonl" -- \
	sh -c "cat /etc/hostname >/dev/null; echo x >'$CANARY/syslog'" \
	</dev/null || true
python3 -c 'import socket; socket.socket(socket.AF_UNIX,
	socket.SOCK_DGRAM).sendto(b"stop", "/dev/log")'
wait
SH
had_log=no
[ -e /dev/log ] && had_log=yes
timeout -k 5 60 unshare -m --propagation private bash "$T/inner.sh" \
	"$T" "$PROCTOR" "$CANARY" >"$T/inner.out" 2>&1
rc=$?
if [ "$rc" != 0 ] || [ ! -s "$T/got.txt" ]; then
	pt_fail "records reach /dev/log" "exit $rc"
	pt_diag_file "$T/inner.out" "namespace set-up"
	pt_done
fi
had=no
[ -e /dev/log ] && had=yes
pt_is "the machine's /dev/log is as it was" "$had" "$had_log"

"$PT_PY" - "$T/got.txt" "$T/sys.jsonl" >"$T/cmp.txt" <<'PY'
import json, re, sys
got = open(sys.argv[1], "rb").read().decode().splitlines()
want = open(sys.argv[2]).read().splitlines()
msg = re.compile(r"^<(\d+)>\w{3} [ \d]\d \d\d:\d\d:\d\d proctor\[\d+\]: (.*)$")
bad = []
if len(got) != len(want):
    bad.append("%d messages for %d records" % (len(got), len(want)))
for g, w in zip(got, want):
    m = msg.match(g)
    if not m:
        bad.append("not a syslog message from proctor: %.100s" % g)
        continue
    pri, text = int(m.group(1)), m.group(2)
    r = json.loads(w)
    level = 4 if r.get("decision", "allow") != "allow" else 6
    if text != w:
        bad.append("message %.60s is not record %d" % (text, r["seq"]))
    if pri != 10 * 8 + level:
        bad.append("record %d (%s): priority %d, want %d" %
                   (r["seq"], r["type"], pri, 10 * 8 + level))
print("\n".join(bad[:5]) if bad else "ok %d" % len(got))
PY
pt_grep "every record reaches syslog, in order, as written to the file" \
	"$T/cmp.txt" '^ok [0-9]+$'
pt_grep "the denial among them" "$T/got.txt" '^<84>.*"decision":"deny"'

pt_done
