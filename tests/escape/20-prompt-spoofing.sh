#!/bin/bash
# Class 20, prompt spoofing.  What proctor shows on stderr about a denied
# path, socket name, program name or argument, and about a policy file,
# carries none of the bytes that draw on a terminal (ESC, other C0
# controls, DEL, C1 controls, bidi overrides and isolates), no line of
# its own can be forged with a newline, the "allow with" advice stays one
# shell word, and the log stays valid JSON.  On a real terminal (tmux),
# while proctor asks (issue 6): a program that draws a fake prompt, has
# "y" typed ahead and pushes "y" with TIOCSTI does not get its write of
# the canary; escape sequences and bidi marks in the name asked about
# are shown as bytes, not obeyed; concealed or black-on-black text and
# the line-drawing character set, left by the program, do not hide the
# question.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
. "$PT_TESTS/escape/helpers.bash"
esc_init 20
esc_progs

# bad_bytes FILE: the lines of FILE written by proctor that hold a byte
# a terminal would act on.
bad_bytes() {
	LC_ALL=C grep -a '^proctor:' "$1" |
		LC_ALL=C grep -a -n -P '[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]|\xe2\x80\x8f|\xe2\x80\x8e' |
		cut -c1-160 | cat -v
}

esc_run --deny-exec "$T/prog-no" -- "$T/attacks" spoof
esc_results
esc_canary_ok "spoofed names"
esc_marker_ok "spoofed names"
n=$(grep -a -c '^proctor: denied' "$PT_ERR")
esc_attempt "$([ -n "$(bad_bytes "$PT_ERR")" ] && echo 1 || echo 0)"
pt_diag "$n denial lines"
pt_check "class 20: the denials are explained on stderr" test "$n" -ge 10
bad=$(bad_bytes "$PT_ERR")
if [ -z "$bad" ]; then
	pt_ok "class 20: no terminal control or bidi bytes in proctor's lines"
else
	pt_fail "class 20: no terminal control or bidi bytes in proctor's lines" "$bad"
fi
pt_nogrep "class 20: no forged line from a newline in a path" "$PT_ERR" \
	'^proctor: all good'
pt_nogrep "class 20: no forged line from a newline in a path (any prefix)" \
	"$PT_ERR" '^proctor: all good, nothing denied'
if pt_json_lines "$PT_LOG"; then
	pt_ok "class 20: the log is valid JSON, one object a line"
else
	pt_fail "class 20: the log is valid JSON, one object a line"
fi

# The advice for a path with a quote in it: pasted into a shell, it is
# the flag and the path, and runs nothing.
line=$(grep -a "^proctor: denied .*advice-pwned" "$PT_ERR" | head -n 1)
advice=${line##* allow with }
mkdir -p "$T/paste"
if [ -n "$line" ]; then
	words=$(cd "$T/paste" && bash -c "set -- $advice; echo \$#" 2>&1)
	esc_attempt "$([ -e "$T/paste/advice-pwned" ] && echo 1 || echo 0)"
	pt_absent "class 20: pasting the advice runs nothing" \
		"$T/paste/advice-pwned"
	pt_is "class 20: the advice is two shell words" "$words" 2
else
	pt_fail "class 20: a denial line names the path with a quote"
fi

# A policy file is shown in error messages: its strings too.
printf '{"network": {"allow": ["127.0.0.1:1\\u001b[2J\\u001b]0;pwn\\u0007\\u202e"]}}\n' \
	>"$T/bad-policy.json"
pt_proctor policy check "$T/bad-policy.json"
pt_isnt "class 20: the bad policy is rejected" "$PT_RC" 0
bad=$(bad_bytes "$PT_ERR")
esc_attempt "$([ -n "$bad" ] && echo 1 || echo 0)"
if [ -z "$bad" ]; then
	pt_ok "class 20: policy errors show no terminal control or bidi bytes"
else
	pt_fail "class 20: policy errors show no terminal control or bidi bytes" "$bad"
fi
# the same file as the project's policy, not approved
cp "$T/bad-policy.json" "$WS/.proctor.json"
esc_run -- true
bad=$(bad_bytes "$PT_ERR")
esc_attempt "$([ -n "$bad" ] && echo 1 || echo 0)"
if [ -z "$bad" ]; then
	pt_ok "class 20: a project policy's errors show no terminal control or bidi bytes"
else
	pt_fail "class 20: a project policy's errors show no terminal control or bidi bytes" "$bad"
fi
rm -f "$WS/.proctor.json"

# ---- on the terminal, while proctor asks
. "$PT_TESTS/integration/prompt.bash"
if pr_need "class 20: spoofing the question on a terminal"; then
	printf '{"files": {"write": {"ask": ["%s"]}}}\n' "$CANARY" >"$T/ask.json"
	cat >"$T/spoof.py" <<'PY'
import errno, fcntl, os, sys, termios, time
res, target = sys.argv[1], sys.argv[2]
def note(s):
    with open(res, "a") as f:
        f.write(s + "\n")
sys.stdout.write("\n=== proctor asks (question 1 of 1, #1) ===\n"
                 "  program:  make (pid 1): make\n"
                 "  wants to: READ ./Makefile\n"
                 "  [y] allow once  [r] allow for this run  [A] allow always\n"
                 "proctor> ")
sys.stdout.flush()
note("fake-drawn")
time.sleep(2)
try:
    fd = os.open("/dev/tty", os.O_RDWR)
    for c in b"y\n":
        fcntl.ioctl(fd, termios.TIOCSTI, bytes([c]))
    note("tiocsti=injected")
except OSError as e:
    note("tiocsti=refused:" + errno.errorcode.get(e.errno, str(e.errno)))
try:
    with open(target, "a") as f:
        f.write("pwned\n")
    note("w=0")
except OSError:
    note("w=1")
PY
	R=$WS/spoof.res
	pr_start spoof --policy "$T/ask.json" -- \
		python3 "$T/spoof.py" "$R" "$CANARY/existing"
	pt_wait_for 10 grep -q fake-drawn "$R" 2>/dev/null
	pr_keys y
	pr_wait "class 20: the real question follows the fake one" \
		"wants to: WRITE $CANARY/existing" 10
	sleep 1.5
	esc_attempt "$(grep -q '^w=0' "$R" && echo 1 || echo 0)"
	pt_nogrep "class 20: neither the typed-ahead nor the pushed y answered" \
		"$R" '^w='
	pr_keys n
	pr_end
	esc_attempt "$(grep -q '^tiocsti=injected' "$R" && echo 1 || echo 0)"
	pt_grep "class 20: TIOCSTI at the prompt was refused" "$R" \
		'^tiocsti=refused'
	pt_grep "class 20: the write was denied as answered" "$R" '^w=1$'
	esc_canary_ok "a fake prompt and pre-typed answers"

	evil=$(printf 'evil\033[2J\033]2;pwned\007\342\200\256gnp.exe')
	# and the drawing state left to hide the question: concealed,
	# black on black, the line-drawing character set
	pr_start evil --policy "$T/ask.json" -- bash -c "echo MARKER-BEFORE-QUESTION
		printf '\033[8m\033[30;40m\016'
		echo a >'$CANARY/$evil'; echo \"w=\$?\" >>'$WS/evil.res'"
	pr_wait "class 20: the question about the evil name is shown" \
		'wants to: WRITE .*/evil'
	bad=0
	pr_on_screen 'evil\\x1b\[2J\\x1b\]2;pwned\\x07' || bad=1
	pt_check "class 20: ESC in a name is shown as \\x1b, not obeyed" \
		test $bad = 0
	pt_check "class 20: a bidi override is shown as bytes" \
		pr_on_screen '\\xe2\\x80\\xaegnp\.exe'
	pr_on_screen '^MARKER-BEFORE-QUESTION$' || bad=1
	pt_check "class 20: the screen was not cleared" \
		pr_on_screen '^MARKER-BEFORE-QUESTION$'
	shown=$(pr_tm capture-pane -p -e -t evil | grep -a '=== proctor asks')
	case $shown in
	*'[8m'* | *'[30m'* | '') bad=1 ;;
	esac
	pt_check "class 20: the question is drawn plain, whatever the program set" \
		test -n "$shown" -a "${shown#*\[8m}" = "$shown"
	title=$(pr_tm display -p -t evil '#{pane_title}')
	[ "$title" = pwned ] && bad=1
	pt_isnt "class 20: the window title was not set" "$title" pwned
	esc_attempt "$bad"
	pr_keys n
	pr_end
	pt_is "class 20: the write was denied" "$(cat "$WS/evil.res")" w=1
	esc_canary_ok "an evil name in a question"
fi

esc_summary
pt_done
