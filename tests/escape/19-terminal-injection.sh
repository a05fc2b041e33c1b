#!/bin/bash
# Class 19, terminal injection: TIOCSTI (push bytes into the terminal's
# input, to be run by the shell after the program ends) and TIOCLINUX,
# also with bits set above the 32 the kernel reads, on the program's own
# terminal.  The command runs in a pseudo-terminal of its own (script(1));
# without one the test is skipped.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
. "$PT_TESTS/escape/helpers.bash"
esc_init 19

if ! command -v script >/dev/null 2>&1; then
	pt_skip "class 19: terminal injection" "script(1) is not installed"
	esc_summary
	pt_done
fi
q() { printf '%q' "$1"; }

# for the record: does the kernel let a program do it without proctor?
script -qec "$(q "$T/attacks") probe tiocsti" /dev/null </dev/null 2>&1 |
	tr -d '\r' >"$T/out/native"
pt_diag "without proctor: $(grep PROBE "$T/out/native")"

: >"$PT_LOG"
timeout -k 5 "$PT_TIMEOUT" script -qec "$(q "$PROCTOR") run --log $(q "$PT_LOG") \
	--deny-read $(q "$CANARY/secret") -- $(q "$T/attacks") tiocsti" /dev/null \
	</dev/null 2>&1 | tr -d '\r' >"$PT_OUT"
PT_RC=${PIPESTATUS[0]}
if grep -q '^INFO NOTTY' "$PT_OUT" || ! grep -q '^CALL' "$PT_OUT"; then
	pt_skip "class 19: terminal injection" "no terminal for the command"
	pt_diag_file "$PT_OUT" output 5
else
	esc_results
fi
esc_canary_ok "terminal injection"

# ---- the terminal left exclusive (TIOCEXCL): the user's later opens of
# it fail (EBUSY) but root's, so it is put back at the end
if [ -n "$PT_PY" ]; then
	excl='import fcntl, os, struct, sys
fd = os.open("/dev/tty", os.O_RDONLY | os.O_NOCTTY)
if sys.argv[1] == "set":
    fcntl.ioctl(fd, 0x540C)
got = fcntl.ioctl(fd, 0x80045440, b"\0\0\0\0")
print(sys.argv[1], "excl", struct.unpack("i", got)[0])'
	# excl_case NAME PREFIX SETTER: the run sets its terminal exclusive
	# (SETTER: the script that opens it so), then a program after it looks
	excl_case() {
		timeout -k 5 "$PT_TIMEOUT" script -qec "$2 $(q "$PROCTOR") run --no-log -- \
			$(q "$PT_PY") -c $(q "$3") set; $(q "$PT_PY") -c $(q "$excl") after" \
			/dev/null </dev/null 2>&1 | tr -d '\r' >"$T/out/excl"
		if grep -q '^set excl 1$' "$T/out/excl"; then
			pt_grep "class 19: $1" "$T/out/excl" '^after excl 0$'
		else
			pt_skip "class 19: $1" "$(head -c 200 "$T/out/excl")"
		fi
	}
	excl_case "a terminal the run made exclusive is not so after it" "" \
		"$excl"
	# ... also where proctor has no terminal of its own (setsid) and the
	# run was given it as its stdin
	excl_case "... and so when proctor has no terminal (setsid)" \
		"setsid -w" "${excl//\/dev\/tty/\/proc\/self\/fd\/0}"
fi

# ---- another terminal of the user: a pty made here, outside the run,
# stands for another window; the run writes to it and reads from it by
# path.  Its own pty (openpty, then the slave by path) stays usable.
if [ -n "$PT_PY" ]; then
	cat >"$T/other-tty.py" <<'PY'
import os, select, subprocess, sys
m, s = os.openpty()
other = os.ttyname(s)
inner = r'''
import os, sys
for mode, name in ((os.O_WRONLY, "write"), (os.O_RDONLY, "read")):
    try:
        fd = os.open(sys.argv[1], mode | os.O_NOCTTY)
        if mode == os.O_WRONLY:
            os.write(fd, b"\x1b]0;owned\x07INJECTED\n")
        os.close(fd)
        print("other", name, "ALLOWED")
    except OSError as e:
        print("other", name, "denied", e.errno)
# an O_PATH descriptor had without proctor (open_tree), then reopened
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
opath = libc.syscall(428, -100, sys.argv[1].encode(), 0)
print("open_tree", "refused" if opath < 0 else "ALLOWED")
if opath < 0:
    try:
        opath = os.open(sys.argv[1], os.O_PATH)
    except OSError as e:
        print("O_PATH open denied", e.errno)
# and one inherited from outside the run (argv[2])
for n, fdn in (("inherited", int(sys.argv[2])), ("own", opath)):
    if fdn < 0:
        continue
    try:
        fd = os.open("/proc/self/fd/%d" % fdn, os.O_WRONLY | os.O_NOCTTY)
        os.write(fd, b"INJECTED-BY-REOPEN\n")
        print("reopen", n, "O_PATH write ALLOWED")
    except OSError as e:
        print("reopen", n, "O_PATH write denied", e.errno)
for d in ("/proc/self/fd", "/dev/fd") if opath >= 0 else ():
    for mode, name in ((os.O_WRONLY, "write"), (os.O_RDWR, "read-write")):
        try:
            fd = os.open("%s/%d" % (d, opath), mode | os.O_NOCTTY)
            os.write(fd, b"INJECTED-BY-REOPEN\n")
            os.close(fd)
            print("reopen", d, name, "ALLOWED")
        except OSError as e:
            print("reopen", d, name, "denied", e.errno)
m, s = os.openpty()
try:
    os.close(os.open(os.ttyname(s), os.O_RDWR | os.O_NOCTTY))
    print("own pty allowed")
except OSError as e:
    print("own pty denied", e.errno)
# the run's own pty through a descriptor it holds
fd = os.open(os.ttyname(s), os.O_RDWR | os.O_NOCTTY)
try:
    os.close(os.open("/proc/self/fd/%d" % fd, os.O_WRONLY | os.O_NOCTTY))
    print("own pty reopen allowed")
except OSError as e:
    print("own pty reopen denied", e.errno)
'''
held = os.open(other, os.O_PATH)
r = subprocess.run([sys.argv[1], "run", "--log", sys.argv[2], "--",
                    sys.executable, "-c", inner, other, str(held)],
                   stdin=subprocess.DEVNULL, capture_output=True, text=True,
                   pass_fds=(held,))
print(r.stdout, end="")
got = b""
while select.select([m], [], [], 0.2)[0]:
    got += os.read(m, 4096)
print("other terminal received", len(got), "bytes")
PY
	"$PT_PY" "$T/other-tty.py" "$PROCTOR" "$PT_LOG" >"$T/out/other" 2>&1
	pt_grep "class 19: a write to another terminal of the user is denied" \
		"$T/out/other" '^other write denied 13$'
	pt_grep "class 19: and a read of it (its keys) too" "$T/out/other" \
		'^other read denied 13$'
	pt_grep "class 19: that terminal received nothing" "$T/out/other" \
		'^other terminal received 0 bytes$'
	pt_grep "class 19: the run's own pty opens by path" "$T/out/other" \
		'^own pty allowed$'
	pt_grep "class 19: and again through a descriptor it holds" \
		"$T/out/other" '^own pty reopen allowed$'
	pt_nogrep "class 19: an O_PATH descriptor of another terminal (open_tree) does not reopen" \
		"$T/out/other" '^reopen .* ALLOWED$'
	pt_grep "class 19: open_tree is refused" "$T/out/other" \
		'^open_tree refused$'
fi

# ---- the same terminal by another path: /dev/pts bound into a chroot
# (schroot, mock and pbuilder do that); root only
if [ -n "$PT_PY" ] && [ "$(id -u)" = 0 ] &&
	mkdir -p "$T/chroot/dev/pts" &&
	mount --bind /dev/pts "$T/chroot/dev/pts" 2>/dev/null; then
	pt_at_exit "umount $T/chroot/dev/pts"
	"$PT_PY" - "$PROCTOR" "$T/chroot/dev/pts" >"$T/out/bound" 2>&1 <<'PY'
import os, subprocess, sys
m, s = os.openpty()
path = os.path.join(sys.argv[2], os.path.basename(os.ttyname(s)))
os.write(m, b"typed-secret\n")
inner = ("import os, sys\ntry:\n"
         " fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NOCTTY)\n"
         " print('bound read ALLOWED', os.read(fd, 100))\n"
         "except OSError as e:\n print('bound read denied', e.errno)\n")
r = subprocess.run([sys.argv[1], "run", "--no-log", "--", sys.executable,
                    "-c", inner, path], stdin=subprocess.DEVNULL,
                   capture_output=True, text=True, timeout=30)
print(r.stdout, end="")
PY
	pt_grep "class 19: another terminal through a bind mount of /dev/pts is denied too" \
		"$T/out/bound" '^bound read denied 13$'
fi

esc_summary
pt_done
