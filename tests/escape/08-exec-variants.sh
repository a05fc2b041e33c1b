#!/bin/bash
# Class 8, exec variants: a denied program ($T/prog-no, --deny-exec by
# path) run through execveat(AT_EMPTY_PATH), fexecve, /proc/self/fd/N,
# /dev/fd/N, a symlink made in the workspace, a dirfd, "..", /proc/self
# and PATH.  Then the image check: a thread swaps the exec path (or
# argv[1]) between an allowed and the denied program while the main
# thread execs in a loop; the denied one must never run, and an exec that
# loaded something other than what was judged is killed.  The same for a
# script whose argv gains a word during the exec.
# (A memfd or other copy of a denied program is not caught by name: the
# README says command rules are a convenience, so that is not tested.)
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
. "$PT_TESTS/escape/helpers.bash"
esc_init 8
esc_progs

PT_TIMEOUT=90
deny=(--deny-exec "$T/prog-no" --deny-exec "$T/prog-ok --evil")

# control: the denied program itself, as the command
esc_run "${deny[@]}" -- "$T/prog-no"
pt_status "class 8: the denied program as the command exits 126" 126
esc_attempt "$([ -e "$ESC_MARKER" ] && echo 1 || echo 0)"
esc_marker_ok "the denied program as the command"

esc_run "${deny[@]}" -- "$T/attacks" exec-variants
esc_results
esc_marker_ok "exec variants"

n=${ESCAPE_ATTEMPTS:-1000}
esc_run "${deny[@]}" -- "$T/attacks" exec-race "$n"
esc_results "path swapped during exec"
esc_marker_ok "path swapped during exec"
if grep -q '"type":"exec-mismatch"' "$PT_LOG"; then
	pt_diag "exec-mismatch records: $(grep -c '"type":"exec-mismatch"' "$PT_LOG")"
fi

esc_run "${deny[@]}" -- "$T/attacks" exec-race-argv "$n"
esc_results "argv swapped during exec"
esc_marker_ok "argv swapped during exec"

# a script denied with one argument: a word added to argv during the
# exec lands behind the script's name, where the interpreter reads it
cat >"$T/tool.sh" <<SH
#!/bin/sh
[ "\$1" = --evil ] || exit 0
echo ran >>"$ESC_MARKER"
exit 42
SH
chmod +x "$T/tool.sh"
esc_run --deny-exec "$T/tool.sh --evil" -- "$T/attacks" exec-race-script \
	"$T/tool.sh" "$n"
esc_results "a word added to a script's argv during exec"
esc_marker_ok "a word added to a script's argv during exec"

# a script's #! line rewritten during its exec: "sh -e" judged, "sh -u"
# read by the kernel
printf '#!/bin/sh -e\ncase $- in *u*) echo ran >>"%s"; exit 42;; esac\n' \
	"$ESC_MARKER" >"$WS/flag.sh"
chmod +x "$WS/flag.sh"
esc_run --deny-exec "sh -u" -- "$T/attacks" exec-race-shebang "$WS/flag.sh" \
	"$n"
esc_results "a script's #! line rewritten during exec"
esc_marker_ok "a script's #! line rewritten during exec"

# the word a rule denies pushed past what proctor keeps of an argv by
# a long argv[0]: a program and a script
esc_run --deny-exec "$T/prog-ok --evil" --deny-exec "$T/tool.sh --evil" \
	-- "$T/attacks" long-argv0 "$T/prog-ok" "$T/tool.sh"
esc_results "a denied word behind a long argv[0]"
esc_marker_ok "a denied word behind a long argv[0]"

esc_summary
pt_done
