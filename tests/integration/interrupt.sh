#!/bin/bash
# A signal that comes while a call waits for proctor's answer acts as it
# would natively (tracer/interrupt.c): an open that nothing interrupts
# natively is not made to fail with EINTR; a signal during an exec
# reaches the new image, not a handler of the image it replaces; a call
# that waits natively (a FIFO's open) still ends with EINTR.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
pt_need "signals during calls" cc || pt_done

cc -O1 -o "$WS/interrupt" "$PT_TESTS/lib/interrupt.c"

# 1. write opens under a 50 us timer without SA_RESTART
pt_run --no-log -- ./interrupt opens 5000
pt_status "5,000 opens under a timer: the run ends" 0
pt_grep "an open a signal interrupts before proctor takes it restarts (no EINTR)" \
	"$PT_OUT" '^eintr 0$'

# 1b. a timer faster than a call can restart under ptrace (each restart
#     is a signal-delivery-stop): the signal waits for the call's end, in
#     the task's mask, which is its own again after (the old bound let
#     the call fail EINTR: about one in ten of these under a 20 us timer)
pt_run --no-log -- ./interrupt storm 1000 20 norestart
pt_status "1,000 opens under a 20 us timer (5 s at most): the run ends" 0
pt_grep "... opens were made" "$PT_OUT" '^opens some$'
pt_grep "... no open fails EINTR, the mask is the program's after each, the \
handler ran" "$PT_OUT" '^eintr 0 masked 0 ticks T$'
pt_run --no-log -- ./interrupt storm 1000 20 restart
pt_grep "... and with SA_RESTART" "$PT_OUT" '^eintr 0 masked 0 ticks T$'

# ... and while another signal's handler runs during such a call (its
#     frame saves the mask: proctor's bit must not be in it), SIGALRM is
#     the program's again after, and its alarm comes
pt_run --no-log -- ./interrupt storm2 1000 20
pt_grep "a handler during a held signal: the mask is the program's, \
the alarm comes" "$PT_OUT" '^masked 0 alarm yes$'

# 2. a FIFO's read-only open waits natively: the signal ends it, with
#    the kernel holding reads and with proctor holding them
mkfifo "$WS/fifo"
pt_run --no-log -- ./interrupt fifo fifo
pt_grep "alarm() ends a FIFO open (reads in the kernel): EINTR" \
	"$PT_OUT" '^EINTR$'
pt_run --no-log --log-reads -- ./interrupt fifo fifo
pt_grep "alarm() ends a FIFO open (reads with proctor): EINTR" \
	"$PT_OUT" '^EINTR$'

# 3. SIGTERM while an exec waits for proctor, which is stopped so that
#    the exec's notification waits unread: natively the signal comes
#    after the exec and ends sleep; the old image's handler never runs
all_stopped() {
	! grep -h '^State:' /proc/"$1"/task/*/status | grep -qv '(stopped)'
}
mkfifo "$WS/go"
rm -f "$WS/pid" "$WS/handled"
"$PROCTOR" run --no-log -- ./interrupt exec go \
	</dev/null >"$PT_OUT" 2>"$PT_ERR" &
pid=$!
exec 3>"$WS/go"
if pt_wait_for 10 test -s "$WS/pid"; then
	child=$(cat "$WS/pid")
	kill -STOP "$pid"
	# every thread of proctor stopped: none can take the notification
	pt_wait_for 10 all_stopped "$pid"
	echo x >&3
	# the exec waits: its number in /proc/PID/syscall
	pt_wait_for 10 grep -q '^59 ' "/proc/$child/syscall"
	kill -TERM "$child"
	sleep 0.3
	kill -CONT "$pid"
fi
exec 3>&-
for _ in $(seq 100); do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
kill -KILL "$pid" 2>/dev/null
wait "$pid"
PT_RC=$?
pt_status "SIGTERM during an exec ends the new image: 128+15" 143
pt_absent "SIGTERM during an exec: the replaced image's handler did not run" \
	"$WS/handled"

pt_done
