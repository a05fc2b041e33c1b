#!/bin/bash
# Class 19, a trap at a shared name: the create entry on /tmp lets a run
# make new files there, and a program outside the run trusts what it
# finds at its own names.  tmux's client, finding a socket at
# /tmp/tmux-UID/default (in a 0700 directory of the user's), connects
# and hands that terminal's descriptors to whoever listens; a symlink or
# FIFO at a name another program writes sends its bytes elsewhere.  So
# where only a create entry allows it, the run makes files and
# directories, not symlinks, FIFOs or sockets: not by symlink, mknod or
# bind, not by renaming or linking one in, not inside a directory moved
# in from elsewhere, not by exchanging names.  In the run's TMPDIR (an
# allow entry) all of them work, and tmux inside the run keeps its
# socket there (TMUX_TMPDIR).
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
. "$PT_TESTS/escape/helpers.bash"
esc_init 19

R=/tmp/pt-rendezvous-$$
pt_cleanup_add "$R"

cat >"$T/trap.py" <<'PY'
import os, socket, sys
r, ws, tmp = sys.argv[1], sys.argv[2], os.environ["TMPDIR"]
def attempt(name, fn):
    try:
        fn()
        print("MADE", name)
    except OSError as e:
        print("REFUSED", name, e.errno)
def bind(path):
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
os.mkdir(r, 0o700)                       # a directory: allowed
open(r + "/file", "w").close()          # a file: allowed
attempt("symlink", lambda: os.symlink(os.environ["HOME"] + "/.bashrc", r + "/link"))
attempt("fifo", lambda: os.mkfifo(r + "/fifo"))
attempt("socket", lambda: bind(r + "/default"))
# made where the run may, then moved or linked in
os.symlink("/etc/passwd", ws + "/l")
os.mkfifo(ws + "/f")
bind(ws + "/s")
os.mkdir(ws + "/d")
bind(ws + "/d/default")
attempt("rename-symlink", lambda: os.rename(ws + "/l", r + "/l2"))
attempt("rename-fifo", lambda: os.rename(ws + "/f", r + "/f2"))
attempt("rename-socket", lambda: os.rename(ws + "/s", r + "/s2"))
attempt("rename-dir", lambda: os.rename(ws + "/d", r + "/d2"))
attempt("link-symlink", lambda: os.link(ws + "/l", r + "/l3", follow_symlinks=False))
# RENAME_EXCHANGE of the run's /tmp file with the workspace's symlink
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
def exchange():
    if libc.renameat2(-100, (r + "/file").encode(), -100, (ws + "/l").encode(), 2) < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
attempt("exchange", exchange)
# in TMPDIR, an allow entry, all of them work
attempt("tmpdir-symlink", lambda: os.symlink("x", tmp + "/link"))
attempt("tmpdir-fifo", lambda: os.mkfifo(tmp + "/fifo"))
attempt("tmpdir-socket", lambda: bind(tmp + "/sock"))
print("TMUX_TMPDIR", os.environ.get("TMUX_TMPDIR") == tmp)
PY
esc_run -- "$PT_PY" "$T/trap.py" "$R" "$WS"
pt_status "class 19: the run exits 0" 0
for what in symlink fifo socket rename-symlink rename-fifo rename-socket \
	rename-dir link-symlink exchange; do
	if grep -q "^REFUSED $what 13$" "$PT_OUT"; then
		pt_ok "class 19: a $what in /tmp is refused (EACCES)"
		esc_attempt 0
	else
		pt_fail "class 19: a $what in /tmp is refused (EACCES)" \
			"$(grep " $what" "$PT_OUT")"
		esc_attempt 1
	fi
done
for what in tmpdir-symlink tmpdir-fifo tmpdir-socket; do
	pt_grep "class 19: a ${what#tmpdir-} in TMPDIR is made" "$PT_OUT" \
		"^MADE $what$"
done
pt_grep "class 19: TMUX_TMPDIR names the run's TMPDIR" "$PT_OUT" \
	"^TMUX_TMPDIR True$"
pt_grep "class 19: stderr says why" "$PT_ERR" \
	"denied .*$R/default.*a link, FIFO or socket at a shared name is a trap"
pt_check "class 19: nothing but the directory and the file was made" \
	test "$(cd "$R" && ls -A | tr '\n' ' ')" = "file "

# The same through a race: a name in the workspace checked harmless and
# swapped before proctor carries out the call (a bind with the program's
# own path, a link or rename of a name).  The Landlock floor holds it.
for op in bind link rename; do
	pt_cleanup_add "$R-$op"
	esc_run -- sh -c 'mkdir "$1" && exec "$2" race-kind "$3" "$1" 300' \
		sh "$R-$op" "$T/attacks" "$op"
	esc_results "race"
done

# tmux itself: a server started in the run keeps its socket in TMPDIR
if command -v tmux >/dev/null 2>&1; then
	esc_run -- sh -c 'tmux new-session -d -s pt "sleep 30" &&
		tmux ls && tmux kill-server'
	pt_status "class 19: tmux runs inside the run" 0
	pt_grep "class 19: ... and lists its session" "$PT_OUT" '^pt: 1 windows'
fi

# The attack itself: a tmux client started outside the run finds the
# run's socket at its own name, and would hand over its terminal.
dir=/tmp/tmux-$(id -u)
if ! command -v tmux >/dev/null 2>&1 || ! command -v script >/dev/null 2>&1; then
	pt_skip "class 19: the tmux client outside" "tmux or script missing"
elif [ -e "$dir" ]; then
	pt_skip "class 19: the tmux client outside" "$dir exists (a tmux of this user ran)"
else
	pt_cleanup_add "$dir"
	cat >"$T/fake.py" <<'PY'
import os, socket
d = "/tmp/tmux-%d" % os.getuid()
os.mkdir(d, 0o700)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.bind(d + "/default")
except OSError as e:
    print("BIND", e.errno)
    raise SystemExit(0)
print("LISTENING", flush=True)
PY
	esc_run -- "$PT_PY" "$T/fake.py"
	if grep -q '^LISTENING' "$PT_OUT"; then
		pt_fail "class 19: the run cannot listen at tmux's socket"
		esc_attempt 1
	else
		pt_ok "class 19: the run cannot listen at tmux's socket"
		esc_attempt 0
	fi
	rm -rf "$dir"
fi

esc_canary_ok
esc_summary
pt_done
