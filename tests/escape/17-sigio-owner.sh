#!/bin/bash
# Class 17, signals by I/O ownership: the kernel signals a descriptor's
# owner (SIGIO, or any signal F_SETSIG chose, SIGKILL included) when it
# becomes ready.  F_SETOWN is judged; these are its other doors:
#  - ioctl(FIOSETOWN) and ioctl(SIOCSPGRP) on a socket, the owner in
#    memory, naming a process outside the tree;
#  - O_ASYNC on the terminal, whose owner the kernel takes from the
#    terminal's foreground group: the run gives the foreground to the
#    session leader's group (its shell) and the next line typed kills it.
# Each in the runs without a write floor too (--ask, writes unbounded),
# which have no Landlock floor to carry the signal scope.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
. "$PT_TESTS/escape/helpers.bash"
esc_init 17
esc_nofloor

alive() {
	kill -0 "$1" 2>/dev/null &&
		[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

# ---- the socket ioctls, aimed at a sleep outside the tree
for mode in default ask nofloor; do
	case $mode in
	default) opts=() ;;
	ask) opts=(--ask) ;;
	nofloor) opts=(--policy "$T/nofloor.json") ;;
	esac
	setsid sleep 120 </dev/null >/dev/null 2>&1 &
	outside=$!
	pt_at_exit "kill $outside"
	esc_run "${opts[@]}" -- "$T/attacks" supervisor 0 "$outside"
	# only the ioctl lines: the rest is 17-attack-supervisor.sh's
	grep -E '^(CALL (fiosetown|siocspgrp)|GOOD fiosetown|TOTAL)' \
		"$PT_OUT" >"$T/out/ioctl.out"
	cp "$T/out/ioctl.out" "$PT_OUT"
	esc_results "$mode"
	sleep 0.2
	if alive "$outside"; then
		pt_ok "class 17: $mode: the process outside the tree survived"
		esc_attempt 0
	else
		pt_fail "class 17: $mode: the process outside the tree survived"
		esc_attempt 1
	fi
	kill "$outside" 2>/dev/null
done

# ---- O_ASYNC on the terminal, in a pseudo-terminal of its own whose
# session leader stands for the user's shell
if [ -z "$PT_PY" ]; then
	pt_skip "class 17: O_ASYNC on the terminal" "python3 is not installed"
	esc_summary
	pt_done
fi
cat >"$T/tty-async.py" <<'PY'
import os, pty, select, signal, sys, time
pid, fd = pty.fork()
if pid == 0:
    # the session leader, as a shell with job control: the command in a
    # process group of its own, in the foreground
    signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    job = os.fork()
    if job == 0:
        os.setpgid(0, 0)
        os.tcsetpgrp(0, os.getpgrp())
        os.execvp("sh", ["sh", "-c", sys.argv[1]])
    os.waitpid(job, 0)
    os._exit(0)
out, typed, end = b"", False, time.time() + 30
while time.time() < end:
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
        try:
            b = os.read(fd, 4096)
        except OSError:
            break
        if not b:
            break
        out += b
    if not typed and b"READY" in out:
        time.sleep(0.3)
        os.write(fd, b"typed\n")
        typed = True
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        break
else:
    os.kill(pid, 9)
    done, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
print("SHELL", "killed by %d" % os.WTERMSIG(st) if os.WIFSIGNALED(st)
      else "exited %d" % os.WEXITSTATUS(st))
PY
q() { printf '%q' "$1"; }
for mode in default ask nofloor; do
	case $mode in
	default) opts= ;;
	ask) opts=--ask ;;
	nofloor) opts="--policy $(q "$T/nofloor.json")" ;;
	esac
	: >"$PT_LOG"
	timeout -k 5 "$PT_TIMEOUT" "$PT_PY" "$T/tty-async.py" \
		"$(q "$PROCTOR") run --log $(q "$PT_LOG") $opts -- \
		$(q "$T/attacks") tty-async; echo after" \
		</dev/null >"$T/out/tty-$mode.out" 2>&1
	if ! grep -q '^READY' "$T/out/tty-$mode.out"; then
		pt_skip "class 17: $mode: O_ASYNC on the terminal" \
			"the command did not get a terminal"
		pt_diag_file "$T/out/tty-$mode.out" output 5
		continue
	fi
	pt_diag "$mode: $(grep '^INFO' "$T/out/tty-$mode.out" | tr '\n' ' ')"
	if grep -q '^SHELL exited' "$T/out/tty-$mode.out"; then
		pt_ok "class 17: $mode: O_ASYNC on the terminal: the session leader survived"
		esc_attempt 0
	else
		pt_fail "class 17: $mode: O_ASYNC on the terminal: the session leader survived" \
			"$(grep '^SHELL' "$T/out/tty-$mode.out")"
		esc_attempt 1
	fi
done

esc_summary
pt_done
