#!/bin/bash
# An interactive shell under proctor, in a terminal (a detached tmux
# session): typed commands run, /dev/tty works, Ctrl-C ends a `sleep 100`
# and not the shell or proctor, Ctrl-Z stops a job and `fg` resumes it,
# and proctor exits with the shell's status; a script looping over
# `proctor run` stops at Ctrl-C.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

pt_need "interactive terminal" tmux bash || pt_done

sock=$T/tmux.sock
tm() { tmux -S "$sock" "$@"; }
pt_at_exit "tmux -S '$sock' kill-server"

status=$T/tty.status
cat >"$T/tty-run.sh" <<SH
#!/bin/sh
cd '$WS' || exit 1
'$PROCTOR' run --log '$T/tty.jsonl' -- bash --norc --noprofile
echo "\$?" >'$status'
SH

if ! tm -f /dev/null new-session -d -s pt -x 120 -y 40 \
	"sh '$T/tty-run.sh'" 2>"$T/tmux.err"; then
	pt_skip "interactive terminal" "tmux cannot start a session: $(head -n 1 "$T/tmux.err")"
	pt_done
fi

screen() { tm capture-pane -p -t pt -S -200 2>/dev/null; }
on_screen() { screen | grep -E -q -e "$1"; }
# type TEXT: types TEXT and Enter.
type_line() { tm send-keys -t pt -l "$1" && tm send-keys -t pt Enter; }
# expect NAME ERE [SECONDS]
expect() {
	if pt_wait_for "${3:-10}" on_screen "$2"; then
		pt_ok "$1"
	else
		pt_fail "$1" "not on the screen: /$2/"
		screen | tail -n 12 | sed 's/^/#   | /'
	fi
}

type_line 'echo "typed-$((6 * 7))"'
expect "a typed command runs in the shell under proctor" '^typed-42$' 15

type_line 'tty; echo hi >/dev/tty && echo "dev-tty-$((2 + 2))"'
expect "the shell has a terminal, and /dev/tty is writable" '^dev-tty-4$'
expect "tty names a pseudo-terminal" '^/dev/pts/[0-9]+$' 2

type_line 'echo "sleeping-$((3 + 3))"; sleep 100'
expect "sleep 100 starts" '^sleeping-6$'
sleep 0.5
t0=$(date +%s)
tm send-keys -t pt C-c
type_line 'echo "survived-$((4 + 4))"'
expect "Ctrl-C ends sleep 100, and the shell survives" '^survived-8$'
t1=$(date +%s)
if [ $((t1 - t0)) -lt 10 ]; then
	pt_ok "Ctrl-C ended the sleep at once"
else
	pt_fail "Ctrl-C ended the sleep at once" "it took $((t1 - t0)) s"
fi

type_line 'sleep 100'
sleep 0.5
tm send-keys -t pt C-z
expect "Ctrl-Z stops the job" 'Stopped.*sleep 100'
type_line 'fg'
sleep 0.5
tm send-keys -t pt C-c
type_line 'echo "jobs-left-$(jobs | wc -l)"'
expect "fg resumes it, and Ctrl-C then ends it" '^jobs-left-0$'

type_line 'exit 3'
if pt_wait_for 10 test -s "$status"; then
	pt_is "proctor exits with the shell's status" "$(cat "$status")" 3
else
	pt_fail "proctor exits with the shell's status" \
		"proctor did not end within 10 s"
	screen | tail -n 12 | sed 's/^/#   | /'
fi

# A script that runs proctor in a loop stops at Ctrl-C, as natively: the
# terminal's SIGINT reached CMD alone, and the script's shell goes on
# after a child killed by it unless it got the signal too.
cat >"$T/loop.sh" <<SH
for i in 1 2 3; do
	'$PROCTOR' run --no-log -- sleep 5
	echo "next-\$i"
done
SH
tm kill-session -t pt 2>/dev/null
tm new-session -d -s pt -x 120 -y 40 "bash --norc --noprofile -i"
type_line "cd '$WS' && bash '$T/loop.sh'; echo \"after-loop-\$?\""
sleep 1.5
tm send-keys -t pt C-c
type_line 'echo "prompt-$((5 + 5))"'
expect "Ctrl-C in a script's proctor run: the shell is back" '^prompt-10$'
if on_screen 'next-1'; then
	pt_fail "... and the script stopped, as natively (no next round)"
	screen | tail -n 12 | sed 's/^/#   | /'
else
	pt_ok "... and the script stopped, as natively (no next round)"
fi

# Ctrl-Z on proctor run as a job of an interactive shell: stopped as by
# Ctrl-Z natively (SIGTSTP: $? is 148, jobs says Stopped), fg resumes it
type_line "'$PROCTOR' run --no-log -- sh -c 'sleep 2; echo \"resumed-\$((3 * 3))\"'"
sleep 1
tm send-keys -t pt C-z
type_line 'echo "stopped-$?"; jobs'
expect "Ctrl-Z on a proctor job: \$? is 148, as natively" '^stopped-148$'
expect "... and jobs says Stopped, not Stopped (signal)" 'Stopped  +[^( ].*proctor.? run'
type_line 'fg'
expect "... fg resumes it" '^resumed-9$'

pt_done
