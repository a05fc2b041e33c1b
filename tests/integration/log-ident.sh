#!/bin/bash
# The uid and cwd of decision records follow the task (tracer/ident.c
# keeps them between changes): after cd, a rename of a directory above
# the cwd, removal of the cwd, a chdir by another thread, fchdir, and a
# change of user, each record says what /proc said at the time.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

pt_need "uid and cwd of records" python3 || pt_done

# q PYTHON-CONDITION: how many decision records of the run satisfy it.
q() {
	"$PT_PY" - "$PT_LOG" "$1" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("type") == "decision" and eval("(" + sys.argv[2] + ")"):
        n += 1
print(n)
PY
}

mkdir -p "$WS/a" "$WS/b"
echo 1 >"$WS/a/x"
echo 2 >"$WS/b/y"

# ---- cd, a rename above the cwd, a removed cwd
pt_run --log-reads -- bash -c 'cd a && cat x && cd ../b && cat y && cd .. &&
	mv b c && cd c && cat y && cd .. && mv c b &&
	mkdir gone && cd gone && rmdir ../gone && cat ../a/x'
pt_status "the run ends well" 0
pt_is "cat x reads in a" \
	"$(q 'r.get("path") == "'"$WS"'/a/x" and r["cwd"] == "'"$WS"'/a"')" 1
pt_is "cat y reads in b, then in c (renamed from b)" \
	"$(q 'r.get("path") in ("'"$WS"'/b/y", "'"$WS"'/c/y")
		and r["cwd"] == r["path"][:-2]')" 2
pt_is "the exec of mv after cd .. is in the workspace" \
	"$(q 'r.get("command", "").endswith("/mv") and r["cwd"] == "'"$WS"'"')" 2
pt_is "a removed cwd is shown as /proc shows it" \
	"$(q 'r.get("path") == "'"$WS"'/a/x"
		and r["cwd"] == "'"$WS"'/gone (deleted)"')" 1

# ---- another thread's chdir and fchdir: each open after the handover
cat >"$T/threads.py" <<'PY'
import os, queue, threading
dirs = [os.path.abspath(d) for d in ("a", "b")]
go, done = queue.Queue(), queue.Queue()
def mover():
    fds = [os.open(d, os.O_RDONLY) for d in dirs]
    for i in range(200):
        if i % 2:
            os.fchdir(fds[i % 4 // 2])
        else:
            os.chdir(dirs[i % 4 // 2])
        go.put(i)
        done.get()
threading.Thread(target=mover).start()
for i in range(200):
    go.get()
    with open("x" if i % 4 // 2 == 0 else "y") as f:
        f.read()
    done.put(i)
PY
pt_run --log-reads -- python3 "$T/threads.py"
pt_status "a thread that moves its process around ends well" 0
pt_is "every read names the cwd its path was resolved in" \
	"$(q 'r.get("path", "").startswith("'"$WS"'/") and
		r["path"][-2:] in ("/x", "/y") and r["cwd"] == r["path"][:-2]')" 200

# ---- a change of user (root only: setpriv needs it)
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 755 "$T" "$WS" "$WS/a"
	chmod 644 "$WS/a/x"
	pt_run --log-reads -- bash -c 'cat a/x && setpriv --reuid=65534 --regid=65534 \
		--clear-groups cat a/x'
	pt_status "setpriv runs" 0
	pt_is "the first cat reads as root" \
		"$(q 'r.get("path") == "'"$WS"'/a/x" and r["uid"] == 0')" 1
	pt_is "the second as the user it became" \
		"$(q 'r.get("path") == "'"$WS"'/a/x" and r["uid"] == 65534')" 1
else
	pt_skip "records follow a change of user" "needs root and setpriv"
fi

# ---- a program that makes itself undumpable stays judged and logged:
# root's supervisor reads it anyway; a user's refuses the prctl (EPERM)
mkdir -p "$HOME/.ssh"
echo key >"$HOME/.ssh/id_test"
pt_run --log-reads -- python3 -c '
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
rc = libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE
print("prctl", rc, ctypes.get_errno())
try:
    open(os.path.expanduser("~/.ssh/id_test")).read()
    print("read ALLOWED")
except OSError as e:
    print("read", e.errno)'
pt_grep "an undumpable program's read of a secret is denied" "$PT_OUT" \
	'^read 13$'
pt_is "and logged" "$(q 'r.get("path") == "'"$HOME"'/.ssh/id_test"
	and r["decision"] == "deny"')" 1
if [ "$(id -u)" = 0 ]; then
	pt_grep "as root, the program may make itself undumpable" "$PT_OUT" \
		'^prctl 0 0$'
else
	pt_grep "as a user, prctl(PR_SET_DUMPABLE, 0) is refused" "$PT_OUT" \
		'^prctl -1 1$'
fi

# ---- without a log nothing extra is sent to proctor: cd still works
timeout -k 5 "$PT_TIMEOUT" "$PROCTOR" run --log-reads -- bash -c 'cd a && cat x' \
	</dev/null >"$PT_OUT" 2>"$PT_ERR"
pt_is "without a log, cd and reads work as before" "$(cat "$PT_OUT")" 1

pt_done
