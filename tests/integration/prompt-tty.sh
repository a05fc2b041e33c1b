#!/bin/bash
# Questions on the terminal (issue 6), in a real terminal (tmux): each
# key's effect on the program's pending call (allow once, for this run,
# always, deny once, always, details, Ctrl-C), the timeout, questions
# queued from two threads at once, type-ahead discarded, the program
# cannot read the keys, and questions about a command (git push) and a
# connect (--ask).  Spoofing the prompt (a fake one, "y" pre-typed or
# pushed with TIOCSTI, escape sequences in a name) is class 20 of the
# escape suite (tests/escape/20-prompt-spoofing.sh).
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
. "$PT_TESTS/integration/prompt.bash"
pr_need "questions on the terminal" || pt_done

O=$T/outside
mkdir -p "$O"
# files that exist before the runs: what a run makes is its own, and
# would not be asked about again
for f in f1 f2 f5 f6 f7 f9 fa fb fs; do echo before >"$O/$f"; done
printf '{"files": {"write": {"ask": ["%s"]}}}\n' "$O" >"$T/ask.json"
ASK=(--policy "$T/ask.json")
ANSWERS=$XDG_CONFIG_HOME/proctor/answers.jsonl

# ---- y: allow once; the next call asks again; n: deny once
R=$WS/once.res
pr_start once "${ASK[@]}" -- bash -c "echo one >'$O/f1'; echo \"w1=\$?\" >>'$R'
	echo two >'$O/f1'; echo \"w2=\$?\" >>'$R'"
pr_wait "a write to an ask path shows one question" \
	'proctor asks \(question 1 of 1, #1\)' &&
	pr_wait "it names the program, the call and the rule" \
		"wants to: WRITE $O/f1" 1 &&
	pr_wait "it names the rule that asked" 'rule: +files.write.ask\[0\]' 1
pr_keys y
pr_wait "after y (allow once) the next write asks again" '#2\)'
pr_keys n
pr_end
pt_is "y: the pending write completed" "$(sed -n 1p "$R" 2>/dev/null)" w1=0
pt_is "n: the pending write failed" "$(sed -n 2p "$R" 2>/dev/null)" w2=1
pt_is "the file holds only the allowed write" "$(cat "$O/f1" 2>&1)" one
pt_is "after n the question is over" "$(pr_count 'proctor asks')" 2
pt_is "the log records each answer and who gave it" \
	"$(pr_log_asked "$T/once.jsonl" | tr '\n' ' ')" \
	"allow/allow-once/terminal ask-denied/deny-once/terminal "
pt_is "proctor exits with the command's status" "$PR_RC" 0

# ---- r: allow for this run; the same write later is not asked again
R=$WS/run.res
pr_start run "${ASK[@]}" -- bash -c "echo a >'$O/f2'; echo \"w1=\$?\" >>'$R'
	echo b >'$O/f2'; echo \"w2=\$?\" >>'$R'"
pr_wait "r: the question is shown" 'wants to: WRITE .*/f2'
pr_keys r
pr_end
pt_is "r: both writes completed" "$(tr '\n' ' ' <"$R" 2>/dev/null)" \
	"w1=0 w2=0 "
pt_is "r: one question for both" "$(pr_count 'proctor asks')" 1
pt_is "r: the second was answered by the run's answer" \
	"$(pr_log_asked "$T/run.jsonl" | tr '\n' ' ')" \
	"allow/allow-run/terminal allow/allow-run/this run "

# ---- A: allow always: saved; the next run does not ask; removable
R=$WS/always.res
pr_start always "${ASK[@]}" -- bash -c "echo a >'$O/f3'; echo \"w=\$?\" >>'$R'"
pr_wait "A: the question is shown" 'wants to: WRITE .*/f3'
pr_keys A
pr_end
pt_is "A: the write completed" "$(pr_res)" w=0
pt_grep "A: the answer is saved in the user's answers file" "$ANSWERS" \
	"\"answer\":\"allow\",\"class\":\"write\",\"path\":\"$O/f3\""
pt_run "${ASK[@]}" -- bash -c "echo again >'$O/f3'"
pt_status "A: a later run (no terminal) writes without a question" 0
pt_is "A: ... allowed by the saved answer" \
	"$(pt_count_decisions "$PT_LOG" path "$O/f3" allow)" 1
pt_grep "A: ... whose rule names the answers file" "$PT_LOG" \
	"\"origin\":\"$ANSWERS\",\"where\":\"line [0-9]+\""
pt_proctor policy answers
pt_grep "proctor policy answers lists it" "$PT_OUT" "allow +write +$O/f3"
n=$(sed -n "s|^ *\([0-9]*\)  allow *write *$O/f3\$|\1|p" "$PT_OUT")
pt_proctor policy answers remove "$n"
pt_status "proctor policy answers remove N removes it" 0
pt_nogrep "... it is gone from the file" "$ANSWERS" "$O/f3"
pt_run "${ASK[@]}" -- bash -c "echo again >'$O/f3'"
pt_isnt "... and the next run asks again (unattended: denied)" "$PT_RC" 0

# ---- D: deny always: the next run is denied without a question
R=$WS/never.res
pr_start never "${ASK[@]}" -- bash -c "echo a >'$O/f4'; echo \"w=\$?\" >>'$R'"
pr_wait "D: the question is shown" 'wants to: WRITE .*/f4'
pr_keys D
pr_end
pt_is "D: the write failed" "$(pr_res)" w=1
pt_grep "D: the answer is saved" "$ANSWERS" \
	"\"answer\":\"deny\",\"class\":\"write\",\"path\":\"$O/f4\""
R=$WS/never2.res
pr_start never2 "${ASK[@]}" -- bash -c "echo a >'$O/f4'; echo \"w=\$?\" >>'$R'"
pr_end
pt_is "D: in the next run the write fails" "$(pr_res)" w=1
pt_is "D: ... without a question" "$(pr_count 'proctor asks')" 0
pt_absent "D: nothing was written" "$O/f4"

# ---- i: details (the process chain); Ctrl-C: deny once
R=$WS/details.res
pr_start details "${ASK[@]}" -- bash -c "echo a >'$O/f5'; echo \"w=\$?\" >>'$R'"
pr_wait "i: the question is shown" 'wants to: WRITE .*/f5'
pr_keys i
pr_wait "i: the details show the process chain" 'process chain' 5 &&
	pr_wait "i: ... with the shell that runs the write" \
		'^ +[0-9]+  bash -c echo a' 1 &&
	pr_wait "i: ... and the asking thread's call stack" \
		'^ +#0 0x[0-9a-f]+ ' 1
sleep 0.7 # after a pause, as pr_keys
pr_tm send-keys -t details C-c
pr_end
pt_is "Ctrl-C: denies once" "$(pr_res)" w=1

# ---- the timeout: the default answer, deny
R=$WS/timeout.res
t0=$(date +%s)
pr_start timeout "${ASK[@]}" --prompt-timeout 2 -- \
	bash -c "echo a >'$O/f6'; echo \"w=\$?\" >>'$R'"
pr_wait "timeout: the question says when it ends" \
	'no answer in 2 s: deny\)'
pr_wait "timeout: no answer denies" 'no answer in 2 s: deny once' 8
pr_end
t1=$(date +%s)
pt_is "timeout: the write failed" "$(pr_res)" w=1
pt_check "timeout: not before 2 s" test $((t1 - t0)) -ge 2
pt_is "timeout: the log says so" \
	"$(pr_log_asked "$T/timeout.jsonl")" "ask-denied/deny-once/timeout"

# ---- type-ahead: keys typed before the question do not answer it
R=$WS/ahead.res
pr_start ahead "${ASK[@]}" -- bash -c "echo ready >>'$R'; sleep 2
	echo a >'$O/f7'; echo \"w=\$?\" >>'$R'"
pt_wait_for 10 grep -q ready "$R" 2>/dev/null
pr_tm send-keys -t ahead -l yyrA
pr_wait "type-ahead: the question comes after the keys" \
	'wants to: WRITE .*/f7'
sleep 1.5
pt_nogrep "type-ahead: the typed keys did not answer it" "$R" '^w='
pr_keys n
pr_end
pt_is "type-ahead: the write failed as answered" "$(sed -n 2p "$R")" w=1
pt_is "type-ahead: nothing was written" "$(cat "$O/f7")" before

# ---- typing on: keys that keep coming after the question appears (typed
# for the program, or had typed by it) never answer it
R=$WS/stream.res
pr_start stream "${ASK[@]}" -- bash -c "echo a >'$O/f7b'; echo \"w=\$?\" >>'$R'"
pr_wait "stream: the question is shown" 'wants to: WRITE .*/f7b'
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
	pr_tm send-keys -t stream -l y
	sleep 0.12
done
pt_nogrep "stream: a stream of y did not answer it" "$R" '^w='
sleep 0.7
pr_tm send-keys -t stream -l "Always yes"
sleep 0.7
pt_nogrep "stream: text pasted after a pause did not answer it" "$R" '^w='
pr_wait "stream: the user is told why" 'keys typed without a pause' 2
pr_keys n
pr_end
pt_is "stream: the write failed as answered after a pause" "$(pr_res)" w=1

# ---- an interactive shell whose job asks: the job is not reported
# stopped (the prompt stops and continues the tree), the shell goes on
pr_start shell "${ASK[@]}" -- bash --norc --noprofile -i
pr_wait "shell: it starts" '[$#] *$'
for i in 1 2 3; do
	pr_tm send-keys -t shell -l "sh -c \"echo $i >'$O/f9'\"; echo \"job$i=\$?\""
	pr_tm send-keys -t shell Enter
	pr_wait "shell: job $i asks" "#$i\\)" 10 && pr_keys y
	pr_wait "shell: job $i completes" "^job$i=0\$" 10
done
pr_tm send-keys -t shell -l "exit 4"
pr_tm send-keys -t shell Enter
pr_end
pt_is "shell: no job was reported stopped" "$(pr_count 'Stopped')" 0
pt_is "shell: proctor ends with the shell's status" "$PR_RC" 4
echo before >"$O/f9"

# ---- the program cannot read the keys meant for the question
cat >"$T/steal.py" <<'PY'
import os, sys, threading, time
res, target = sys.argv[1], sys.argv[2]
got = []
def reader():
    got.append(os.read(0, 100))
threading.Thread(target=reader, daemon=True).start()
time.sleep(0.5)
try:
    with open(target, "w") as f:
        f.write("ok\n")
    w = 0
except OSError:
    w = 1
time.sleep(1)
with open(res, "a") as f:
    f.write("w=%d stolen=%r\n" % (w, got))
os._exit(0)
PY
R=$WS/steal.res
pr_start steal "${ASK[@]}" -- python3 "$T/steal.py" "$R" "$O/f9"
pr_wait "reader: the question is shown" 'wants to: WRITE .*/f9'
pr_keys y
pr_end
pt_is "reader: the answer went to proctor, not to the program" \
	"$(pr_res)" "w=0 stolen=[]"

# ---- two questions at once: shown one at a time
cat >"$T/two.py" <<'PY'
import sys, threading
res, a, b = sys.argv[1:4]
bar = threading.Barrier(2)
out = {}
def write(path):
    bar.wait()
    try:
        with open(path, "w") as f:
            f.write("x\n")
        out[path] = 0
    except OSError:
        out[path] = 1
ts = [threading.Thread(target=write, args=(p,)) for p in (a, b)]
[t.start() for t in ts]
[t.join() for t in ts]
with open(res, "w") as f:
    f.write("%d %d\n" % (out[a], out[b]))
PY
R=$WS/two.res
pr_start two "${ASK[@]}" -- python3 "$T/two.py" "$R" "$O/fa" "$O/fb"
pr_wait "queue: the first question" '#1\)'
first=$(pr_screen | sed -n 's|.*wants to: WRITE .*/\(f[ab]\)$|\1|p' | head -n 1)
pr_on_screen 'question 1 of 2' && pt_diag "both were waiting at once"
pr_keys y
pr_wait "queue: then the second question" '#2\)'
pr_keys n
pr_end
if [ "$first" = fa ]; then want="0 1"; else want="1 0"; fi
pt_is "queue: each write got its own answer" "$(pr_res)" "$want"
pt_is "queue: two questions, asked one at a time" \
	"$(pr_count 'proctor asks')" 2

# ---- the same object twice at once: "for this run" answers both
R=$WS/same.res
pr_start same "${ASK[@]}" -- python3 "$T/two.py" "$R" "$O/fs" "$O/fs"
pr_wait "same: the question" 'wants to: WRITE .*/fs'
pr_keys r
pr_end
pt_is "same: both writes completed" "$(pr_res)" "0 0"
pt_is "same: one question" "$(pr_count 'proctor asks')" 1

# ---- a connect, with --ask (the network default denies)
if pt_listen; then
	R=$WS/net.res
	pr_start net --ask -- bash -c "exec 3<>/dev/tcp/127.0.0.1/$PT_PORT
		echo \"c=\$?\" >>'$R'"
	pr_wait "--ask: a connect the default denies is a question" \
		"wants to: CONNECT TO 127.0.0.1:$PT_PORT" &&
		pr_wait "--ask: the rule says it asks because of --ask" \
			'network.default: deny by default .*--ask' 1
	pr_keys y
	pr_end
	pt_is "--ask: the connect completed" "$(pr_res)" c=0
	pt_is "--ask: the server saw it" "$(pt_listen_count)" 1
	pt_listen_stop
fi

# ---- a command: the built-in policy asks before git push
if command -v git >/dev/null; then
	remote=$T/remote.git
	git init -q --bare "$remote" && git init -q && echo a >a &&
		git add a && git commit -q -m one &&
		git remote add origin "$remote"
	br=$(git symbolic-ref --short HEAD)
	R=$WS/push.res
	pr_start push --allow-write "$remote" -- \
		bash -c "git push -q origin $br; echo \"p=\$?\" >>'$R'"
	pr_wait "git push: the question names the command" \
		"wants to: RUN git push -q origin $br" 15
	pr_keys y
	pr_end 20
	pt_is "git push: allowed once, it ran" "$(pr_res)" p=0
	pt_is "git push: the commit reached the remote" \
		"$(git --git-dir="$remote" rev-parse -q --verify "refs/heads/$br")" \
		"$(git rev-parse HEAD)"
fi

# ---- escape sequences answer nothing: an arrow key (ESC [ A), and the
# terminal's reply to a colour query the program left open just before
# its call (ESC ] 11 ; rgb:..., whose r would be "allow for this run")
echo before >"$O/fe"
pr_tm set -g window-style 'fg=white,bg=black'
R=$WS/esc.res
pr_start esc "${ASK[@]}" -- bash -c "printf '\\033]11;?'
	echo x >'$O/fe'; echo \"w=\$?\" >>'$R'"
pr_wait "esc: the question is shown" 'wants to: WRITE .*/fe'
pr_tm send-keys -t esc Up Left
sleep 1
pt_is "esc: neither the reply nor arrow keys answered" \
	"$(cat "$R" 2>/dev/null)" ""
pr_keys n
pr_end
pt_is "esc: n answered it" "$(cat "$R" 2>/dev/null)" w=1
pr_tm set -gu window-style

# ---- the program cannot join proctor's process group, which holds the
# terminal while a question is asked
R=$WS/pgrp.res
pr_start pgrp -- python3 -c "
import os
try:
    os.setpgid(0, os.getpgid(os.getppid()))
    r = 'joined'
except OSError as e:
    r = 'refused %d' % e.errno
open('$R', 'w').write(r)"
pr_end
pt_is "pgrp: joining proctor's process group is refused" \
	"$(cat "$R" 2>/dev/null)" "refused 1"

# ---- processes born while a question waits stop too: children forked
# in a loop, ignoring SIGTTOU, try to draw on the terminal
echo before >"$O/ff"
cat >"$T/forker.py" <<'PY'
import os, signal, sys, threading, time
def forker():
    for i in range(150):
        if os.fork() == 0:
            signal.signal(signal.SIGTTOU, signal.SIG_IGN)
            time.sleep(0.3)
            try:
                with open("/dev/tty", "w") as t:
                    t.write("FAKE-LINE-%d\n" % i)
            except OSError:
                pass
            os._exit(0)
for _ in range(4):
    threading.Thread(target=forker, daemon=True).start()
time.sleep(0.5)
try:
    open(sys.argv[1], "w").write("x")
except OSError:
    pass
PY
pr_start forker "${ASK[@]}" -- python3 "$T/forker.py" "$O/ff"
pr_wait "forker: the question is shown" 'wants to: WRITE .*/ff'
sleep 1.5
pt_is "forker: nothing drew below the question while it waited" \
	"$(pr_screen | sed -n '/proctor asks/,$p' | grep -c FAKE-LINE)" 0
pr_keys n
pr_end 20

# ---- a job started with & under job control: the terminal is another
# job's to read, so the question gets the unattended answer, and the line
# says why (not "no terminal")
cat >"$T/bg.sh" <<SH
#!/bin/bash
set -m
cd $(printf '%q' "$WS") || exit 1
$(printf '%q' "$PROCTOR") run --no-log ${ASK[*]} -- sh -c "echo x >'$O/fbg'" &
wait
echo done >$(printf '%q' "$T/bg.status")
sleep 600
SH
pr_tm kill-session -t bg 2>/dev/null
pr_tm -f /dev/null new-session -d -s bg -x 160 -y 20 "bash $(printf '%q' "$T/bg.sh")"
PR_NAME=bg
pt_wait_for 15 test -s "$T/bg.status"
pr_wait "a background job's question is said as such" \
	'a question, but proctor runs in the background of its terminal'
pr_tm kill-session -t bg 2>/dev/null

pt_done
