#!/bin/bash
# Reads in the kernel: another window's terminal stays out of reach.
# An O_PATH open is answered by the kernel (Landlock does not govern
# O_PATH), and a read-write reopen through /proc/self/fd then reaches
# proctor, which takes any reopen of a descriptor the run holds as one
# of the run's own terminals (tracer_pts_of_run, p->magic >= 0).
# Fails while that holds (review1).
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
pt_need "another window's terminal" python3 || pt_done

pt_run -- true
case $(sed -n 's/.*"type":"kernel".*"reads":"\([^"]*\)".*/\1/p' "$PT_LOG") in
kernel*) ;;
*)
	pt_skip "another window's terminal, reads in the kernel" \
		"reads stay with proctor here"
	pt_done ;;
esac

# another window: a pseudo-terminal held by a process outside the run
typed="TYPED-$$-$RANDOM"
python3 -c '
import os, sys, time
m, s = os.openpty()
open(sys.argv[1], "w").write(os.ttyname(s))
os.write(m, (sys.argv[2] + "\n").encode())
time.sleep(30)' "$PT_TMP/tty.name" "$typed" </dev/null >/dev/null 2>&1 &
holder=$!
pt_at_exit "kill $holder 2>/dev/null"
pt_wait_for 10 test -s "$PT_TMP/tty.name"
other=$(cat "$PT_TMP/tty.name")

pt_run -- python3 -c '
import os, sys
fd = os.open(sys.argv[1], os.O_PATH)
fd2 = os.open("/proc/self/fd/%d" % fd, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
print("OPENED", os.ttyname(fd2))
print(os.read(fd2, 100))' "$other"
pt_nogrep "another window's terminal: no reopen of an O_PATH descriptor" \
	"$PT_OUT" '^OPENED'
pt_nogrep "another window's terminal: what was typed there stays there" \
	"$PT_OUT" "$typed"
pt_done
