#!/bin/bash
# Class 18, escaping the tree: clone3 answers ENOSYS (flags in a struct
# the filter cannot read), clone with CLONE_UNTRACED or CLONE_PARENT (a
# child given to another process, one that may hold a grant) is refused,
# so is reading another process's memory, a vfork child is supervised
# like any other, and daemons that outlive the command (double fork with
# setsid, fork from a vfork child) cannot write the canary and are ended
# when the command ends.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
. "$PT_TESTS/escape/helpers.bash"
esc_init 18
esc_progs

esc_run --deny-exec "$T/prog-no" -- "$T/attacks" tree
esc_results
esc_marker_ok "vfork child execs the denied program"

# the daemons: each writes its pid and appends to TAG.count every 20 ms
sleep 0.3
# gone PID: no such process, or only its zombie
gone() {
	! kill -0 "$1" 2>/dev/null ||
		[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]
}

for tag in daemon-dfork daemon-vfork; do
	if [ ! -s "$WS/$tag.pid" ]; then
		pt_fail "class 18: $tag started"
		continue
	fi
	c1=$(stat -c %s "$WS/$tag.count" 2>/dev/null || echo 0)
	sleep 0.5
	c2=$(stat -c %s "$WS/$tag.count" 2>/dev/null || echo 0)
	pt_is "class 18: $tag stopped when the command ended" "$c2" "$c1"
	p=$(cat "$WS/$tag.pid")
	# a killed process may take a moment to finish dying on a loaded
	# machine; it has stopped counting already
	if ! pt_wait_for 3 gone "$p"; then
		pt_fail "class 18: $tag (pid $p) is gone" \
			"$(ps -o pid,ppid,stat,cmd -p "$p" | tail -n 1)"
		kill -KILL "$p"
		esc_attempt 1
	else
		pt_ok "class 18: $tag (pid $p) is gone"
		esc_attempt 0
	fi
done
esc_canary_ok "escaping the tree"

esc_summary
pt_done
