#!/bin/bash
# Signals sent to proctor reach CMD; proctor ends when CMD ends, after
# ending what CMD left running, unless --wait-all.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

# forward SIG STATUS: proctor runs a shell that traps SIG, writes a
# marker and exits with STATUS; SIG is sent to proctor's own pid.
forward() {
	sig=$1
	rm -f "$WS/ready" "$WS/got"
	"$PROCTOR" run --no-log -- bash -c "
		trap 'echo $sig >got; exit $2' $sig
		echo ready >ready
		for i in \$(seq 300); do sleep 0.1; done
		exit 99" </dev/null >"$PT_OUT" 2>"$PT_ERR" &
	pid=$!
	if ! pt_wait_for 10 test -s "$WS/ready"; then
		pt_fail "SIG$sig to proctor: CMD starts" "no ready marker"
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return
	fi
	kill -"$sig" "$pid"
	# bounded wait for proctor to end
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		pt_fail "SIG$sig to proctor: proctor ends within 10 s"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid"
	PT_RC=$?
	pt_grep "SIG$sig to proctor reaches CMD (its trap ran)" "$WS/got" \
		"^$sig\$"
	pt_status "SIG$sig to proctor: proctor exits with CMD's status" "$2"
}

forward TERM 3
forward HUP 4
forward INT 5

# SIGTERM to proctor when CMD does not catch it: 128+15.
rm -f "$WS/ready"
"$PROCTOR" run --no-log -- sh -c 'echo ready >ready; exec sleep 30' \
	</dev/null >/dev/null 2>&1 &
pid=$!
pt_wait_for 10 test -s "$WS/ready"
sleep 0.2
kill -TERM "$pid"
pt_wait_for 10 eval '! kill -0 $pid 2>/dev/null'
kill -KILL "$pid" 2>/dev/null
wait "$pid"
PT_RC=$?
pt_status "SIGTERM to proctor kills an uncatching CMD: 128+15" 143

# CMD killed by a signal: proctor ends by it too, after its log, so a
# parent's wait reads the signal (python: -11), as it would of CMD
if [ -n "$PT_PY" ]; then
	"$PT_PY" -c '
import subprocess, sys
r = subprocess.run(sys.argv[1:])
print("returncode", r.returncode)' "$PROCTOR" run --log "$T/sig.jsonl" \
		-- sh -c 'kill -SEGV $$' >"$T/sig.out" 2>&1
	pt_grep "CMD died of SIGSEGV: proctor dies of it too" "$T/sig.out" \
		'^returncode -11$'
	pt_grep "... after the log's last record" "$T/sig.jsonl" '"end"'
fi

# ---- what CMD leaves running is ended when CMD ends
start=$(date +%s)
pt_run -- sh -c 'sleep 60 & echo $! >bg.pid; exit 0'
end=$(date +%s)
pt_status "CMD that leaves a background job: proctor exits 0" 0
if [ $((end - start)) -lt 15 ]; then
	pt_ok "proctor does not wait for the leftover job"
else
	pt_fail "proctor does not wait for the leftover job" \
		"it took $((end - start)) s"
fi
bg=$(cat "$WS/bg.pid" 2>/dev/null)
if [ -n "$bg" ] && pt_wait_for 5 eval '! kill -0 $bg 2>/dev/null'; then
	pt_ok "the leftover job was ended"
else
	pt_fail "the leftover job was ended" "pid '$bg' is still alive"
	[ -n "$bg" ] && kill -KILL "$bg" 2>/dev/null
fi

pt_grep "... and said so, with the way to keep it" "$PT_ERR" \
	'^proctor: ended 1 process CMD left running \(.*\); --wait-all waits for them$'

# What is left gets a moment to end by itself (not said), then SIGTERM,
# which it may act on (git's background gc removes its locks), then
# SIGKILL: a job that ignores SIGTERM
rm -f "$WS/cleaned" "$WS/ready"
pt_run -- sh -c '
sleep 0.05 &
"$1" -c "
import signal, sys, time
def term(*_):
    open(\"cleaned\", \"w\").write(\"cleaned\\n\")
    sys.exit(0)
signal.signal(signal.SIGTERM, term)
open(\"ready\", \"w\").close()
time.sleep(30)" &
while [ ! -e ready ]; do sleep 0.01; done
exit 0' sh "$PT_PY"
pt_grep "a job that acts on SIGTERM gets it, and cleans up" "$WS/cleaned" \
	'^cleaned$'
pt_grep "... and only what was still running is said (not a job that ended by itself)" \
	"$PT_ERR" '^proctor: ended 1 process CMD left running \(python3\)'
start=$(date +%s)
pt_run -- sh -c '(trap "" TERM; sleep 30) & exit 0'
end=$(date +%s)
pt_is "a job that ignores SIGTERM is killed soon after" \
	"$([ $((end - start)) -lt 10 ] && echo soon)" soon

# --wait-all waits for it.
pt_run --wait-all -- sh -c '(sleep 1; echo late >late) & exit 0'
pt_status "--wait-all: proctor exits with CMD's status" 0
pt_grep "--wait-all: the background job finished its work" "$WS/late" \
	'^late$'

# kill -0 asks whether a process outside the run is there (a pid file's
# server), as natively; any other signal to it is refused, and it lives.
sleep 60 &
outside=$!
pt_at_exit "kill $outside"
pt_run -- bash -c "kill -0 $outside; echo probe=\$?; kill -0 2147483; echo gone=\$?
	kill -TERM $outside; echo term=\$?"
pt_grep "kill -0 of a process outside the run: it is there" "$PT_OUT" \
	'^probe=0$'
pt_grep "... and of one that is not: ESRCH" "$PT_ERR" 'No such process'
pt_grep "SIGTERM to it is refused" "$PT_OUT" '^term=1$'
pt_run -- "$PT_PY" -c 'import os; os.kill(-1, 0); print("any")'
pt_grep "kill(-1, 0) answers that some process is there, as natively" \
	"$PT_OUT" '^any$'
if kill -0 "$outside" 2>/dev/null; then
	pt_ok "... and it lives"
else
	pt_fail "... and it lives"
fi

# a child that has exited (and waits to be reaped), or is reaped, or a
# pid nobody has: kill answers as natively, 0 or ESRCH, with no denial
# (`timeout` kills its child as it ends)
if command -v cc >/dev/null 2>&1; then
	cat >"$T/zk.c" <<'C'
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void)
{
	pid_t c = fork();
	int a, b, z;

	if (c == 0)
		_exit(0);
	usleep(300000);
	z = kill(c, SIGTERM);
	waitpid(c, 0, 0);
	a = kill(c, SIGTERM) < 0 && errno == ESRCH;
	b = kill(2147483, SIGTERM) < 0 && errno == ESRCH;
	printf("zombie=%d reaped-esrch=%d none-esrch=%d\n", z, a, b);
	return 0;
}
C
	cc -o "$WS/zk" "$T/zk.c"
	pt_run -- ./zk
	pt_grep "SIGTERM to an exited child, a reaped one, none: 0, ESRCH, ESRCH" \
		"$PT_OUT" '^zombie=0 reaped-esrch=1 none-esrch=1$'
	pt_nogrep "... and no denial line" "$PT_ERR" 'denied'
fi

# a process's scheduling, I/O priority and CPUs: the run's own, not an
# outsider's (proctor itself included) nor every process of a user
if command -v renice >/dev/null && command -v taskset >/dev/null; then
	sleep 60 &
	out2=$!
	pt_at_exit "kill $out2"
	pt_run -- sh -c "renice -n 9 -p $out2; echo r=\$?; renice -n 9 -p \$PPID
		echo p=\$?; taskset -p 1 $out2 >/dev/null; echo t=\$?
		renice -n 9 -u $(id -u) >/dev/null; echo u=\$?
		sleep 1 & renice -n 9 -p \$! >/dev/null; echo own=\$?"
	pt_is "renice, taskset of outsiders and of a user refused; of its own child not" \
		"$(tr '\n' ' ' <"$PT_OUT")" "r=1 p=1 t=1 u=1 own=0 "
	pt_is "... and the outsider's nice is as it was" \
		"$(ps -o ni= -p "$out2" | tr -d ' ')" 0
	pt_grep "... said as a scheduling denial" "$PT_ERR" \
		"^proctor: denied scheduling pid $out2 "
fi

pt_done
