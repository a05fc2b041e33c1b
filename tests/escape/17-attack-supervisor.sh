#!/bin/bash
# Class 17, attacking the supervisor and the neighbours: from inside,
# ptrace, process_vm_readv/writev, /proc/PID/mem, environ and fd of the
# supervisor (its pid is the command's parent), signals to it, pidfd_open
# and pidfd_getfd, prlimit; signals and pidfds aimed at a process outside
# the tree (a sleep the test starts), which must survive; a neighbour's
# stdin pipe reopened through /proc.  From outside: killing proctor with
# SIGKILL ends the whole tree.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
. "$PT_TESTS/escape/helpers.bash"
esc_init 17

# alive PID: running (a zombie waiting to be reaped is dead)
alive() {
	kill -0 "$1" 2>/dev/null &&
		[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

dead() {
	! alive "$1"
}

# a process outside the tree, in a process group of its own
start_outside() {
	setsid sleep 120 </dev/null >/dev/null 2>&1 &
	outside=$!
	pt_at_exit "kill $outside"
}
start_outside
# a neighbour reading a pipe
mkdir -p "$T/victim"
{
	sleep 120 &
	echo $! >"$T/victim/feeder.pid"
	wait
} | (cd "$T/victim" && exec "$T/attacks" victim "$T/victim/got") &
victim_pid=$!
pt_wait_for 5 test -e "$T/victim/got"
pt_at_exit "kill $victim_pid \$(cat '$T/victim/feeder.pid')"

esc_run -- "$T/attacks" supervisor "${victim_pid:-0}" "$outside"
esc_results
esc_canary_ok "attacks on the supervisor"
sup=$(sed -n 's/^INFO supervisor pid //p' "$PT_OUT")
pt_isnt "class 17: the command's parent is proctor (not the test)" \
	"${sup:-0}" "$$"
sleep 0.2
# (among the attempts: F_SETOWN/F_SETSIG(SIGKILL) on a pipe it then
# writes, which has the kernel signal the owner)
if alive "$outside"; then
	pt_ok "class 17: the process outside the tree survived"
	esc_attempt 0
else
	pt_fail "class 17: the process outside the tree survived" \
		"$(grep '^INFO F_SETOWN' "$PT_OUT")"
	esc_attempt 1
fi
if [ -s "$T/victim/got" ]; then
	pt_fail "class 17: nothing was written into the neighbour's pipe" \
		"it received: $(head -c 100 "$T/victim/got")"
	esc_attempt 1
else
	pt_ok "class 17: nothing was written into the neighbour's pipe"
fi
pt_absent "class 17: nothing was created in the neighbour's cwd" \
	"$T/victim/victim-cwd-file"

# the same with proctor's output going to pipes, as when a caller
# captures it
alive "$outside" || start_outside
esc_run_piped -- "$T/attacks" supervisor "${victim_pid:-0}" "$outside"
esc_results "output to a pipe"
esc_canary_ok "output to a pipe, attacks on the supervisor"
if alive "$outside"; then
	pt_ok "class 17: output to a pipe: the process outside the tree survived"
	esc_attempt 0
else
	pt_fail "class 17: output to a pipe: the process outside the tree survived" \
		"$(grep '^INFO F_SETOWN' "$PT_OUT")"
	esc_attempt 1
fi
if [ -s "$T/victim/got" ]; then
	pt_fail "class 17: output to a pipe: nothing was written into the neighbour's pipe" \
		"it received: $(head -c 100 "$T/victim/got")"
	esc_attempt 1
else
	pt_ok "class 17: output to a pipe: nothing was written into the neighbour's pipe"
fi
pt_absent "class 17: output to a pipe: nothing was created in the neighbour's cwd" \
	"$T/victim/victim-cwd-file"

# and where the policy leaves no Landlock floor (nor its signal and
# abstract socket scopes): the supervisor alone
alive "$outside" || start_outside
esc_nofloor
esc_run --policy "$T/nofloor.json" -- "$T/attacks" supervisor \
	"${victim_pid:-0}" "$outside"
esc_results "no floor"
esc_canary_ok "no floor, attacks on the supervisor"
if alive "$outside"; then
	pt_ok "class 17: no floor: the process outside the tree survived"
	esc_attempt 0
else
	pt_fail "class 17: no floor: the process outside the tree survived" \
		"$(grep '^INFO F_SETOWN' "$PT_OUT")"
	esc_attempt 1
fi
if [ -s "$T/victim/got" ]; then
	pt_fail "class 17: no floor: nothing was written into the neighbour's pipe" \
		"it received: $(head -c 100 "$T/victim/got")"
	esc_attempt 1
else
	pt_ok "class 17: no floor: nothing was written into the neighbour's pipe"
fi

# Killing proctor from outside ends the tree: two processes that write a
# counter every 10 ms stop.
"$PROCTOR" run --log "$T/out/kill.jsonl" -- "$T/attacks" counter \
	"$WS/counter" </dev/null >"$T/out/kill.out" 2>&1 &
ppid=$!
if pt_wait_for 10 test -s "$WS/counter.child"; then
	sleep 0.2
	kill -KILL "$ppid"
	wait "$ppid" 2>/dev/null
	sleep 0.5
	a1=$(cat "$WS/counter" "$WS/counter.child" 2>/dev/null)
	sleep 0.6
	a2=$(cat "$WS/counter" "$WS/counter.child" 2>/dev/null)
	pt_is "class 17: after SIGKILL to proctor the counters stop" \
		"$(echo $a2)" "$(echo $a1)"
	for f in "$WS/counter.pid" "$WS/counter.child.pid"; do
		p=$(cat "$f" 2>/dev/null)
		# a killed process may take a moment to finish dying on a
		# loaded machine; it has stopped counting already
		if [ -n "$p" ] && ! pt_wait_for 3 dead "$p"; then
			pt_fail "class 17: counter process $p is gone" \
				"$(ps -o pid,ppid,stat,cmd -p "$p" | tail -n 1)"
			kill -KILL "$p" 2>/dev/null
		else
			pt_ok "class 17: counter process ${p:-?} is gone"
		fi
	done
else
	pt_fail "class 17: the counter started under proctor"
	pt_diag_file "$T/out/kill.out" output
	kill -KILL "$ppid" 2>/dev/null
fi

# ---- another process of the tree: its memory stays closed (a descriptor
# opened before it takes a grant would read what the grant reads); one's
# own is open.  A policy with a grant keeps reads with proctor; without
# one, the kernel judges reads and a process of the run may read its own
# child, with nothing to gain: --log-reads stands for the grant here.
: >"$PT_LOG"
timeout -k 5 "$PT_TIMEOUT" "$PROCTOR" run --log-reads --log "$PT_LOG" -- sh -c '
	sleep 5 & p=$!
	if (exec 3</proc/$p/mem) 2>/dev/null ||
		(exec 3</proc/$p/task/$p/mem) 2>/dev/null; then
		echo "other mem OPENED"
	else
		echo "other mem refused"
	fi
	(exec 4</proc/self/mem) && echo "own mem opened"
	kill $p' </dev/null >"$T/out/mem.out" 2>&1
pt_grep "class 17: another process's /proc/PID/mem is refused" \
	"$T/out/mem.out" '^other mem refused$'
pt_grep "class 17: a process's own /proc/self/mem opens" \
	"$T/out/mem.out" '^own mem opened$'

esc_summary
pt_done
