#!/bin/bash
# Class 20, prompt spoofing, as far as it exists before prompts (issue
# 6): what proctor shows on stderr about a denied path, socket name,
# program name or argument, and about a policy file, carries none of the
# bytes that draw on a terminal (ESC, other C0 controls, DEL, C1
# controls, bidi overrides and isolates), no line of its own can be
# forged with a newline, the "allow with" advice stays one shell word,
# and the log stays valid JSON.
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

esc_summary
pt_done
