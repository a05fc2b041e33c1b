#!/bin/bash
# Questions with nobody to ask (issue 6): without a terminal and without
# an approval socket an ask rule gets the policy's unattended answer
# (deny unless prompt.unattended says allow), said once on stderr; --ask
# turns default denials into questions but not explicit denies; saved
# answers are a layer of the policy that the next runs honour, shown and
# removed with `proctor policy answers`; a malformed answers file stops
# the run with its line number; the sandbox cannot write the answers.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
. "$PT_TESTS/integration/prompt.bash"

O=$T/outside
mkdir -p "$O"
printf '{"files": {"write": {"ask": ["%s"]}, "read": {"ask": ["%s/r"]}}}\n' \
	"$O" "$O" >"$T/ask.json"
echo secret >"$O/r"
ASK=(--policy "$T/ask.json")
ANSWERS=$XDG_CONFIG_HOME/proctor/answers.jsonl

# ---- deny, said once
pt_run "${ASK[@]}" -- bash -c "echo a >'$O/f1'; echo \"w1=\$?\"
	echo b >'$O/f2'; echo \"w2=\$?\"; cat '$O/r'; echo \"r=\$?\""
pt_is "unattended: both writes and the read are denied" \
	"$(grep -E '^(w1|w2|r)=' "$PT_OUT" | tr '\n' ' ')" "w1=1 w2=1 r=1 "
pt_is "unattended: said once on stderr" \
	"$(grep -c '^proctor: a question, but no terminal' "$PT_ERR")" 1
pt_grep "unattended: ... naming the answer and where it comes from" \
	"$PT_ERR" "unattended answer, deny \(prompt.unattended, proctor's default\)"
pt_grep "unattended: each denial still says how to allow it" "$PT_ERR" \
	"denied write $O/f1 .*a question, with no terminal.*allow with --allow-write"
pt_is "unattended: the log says who answered" \
	"$(pr_log_asked "$PT_LOG" | tr '\n' ' ')" \
	"ask-denied/deny/unattended ask-denied/deny/unattended ask-denied/deny/unattended "
pt_absent "unattended: nothing was written" "$O/f1" "$O/f2"

# ---- the policy says allow
printf '{"prompt": {"unattended": "allow"}}\n' >"$T/allow.json"
pt_run "${ASK[@]}" --policy "$T/allow.json" -- bash -c "echo a >'$O/f1'"
pt_status "prompt.unattended allow: the write goes" 0
pt_is "... the file" "$(cat "$O/f1" 2>&1)" a
pt_grep "... and stderr says so, once" "$PT_ERR" \
	"unattended answer, allow \(prompt.unattended, $T/allow.json\)"
rm -f "$O/f1"

# ---- --ask: default denials are questions, explicit denies are not
pt_run --ask -- bash -c "echo a >'$O/f1'; echo \"w=\$?\""
pt_grep "--ask: a write the default denies is asked (and denied)" "$PT_OUT" '^w=1$'
pt_is "--ask: the log records a question" "$(pr_log_asked "$PT_LOG")" \
	deny/deny/unattended
pt_run --ask --policy "$T/allow.json" -- bash -c "echo a >'$O/f1'; echo \"w=\$?\""
pt_grep "--ask with unattended allow: the write goes" "$PT_OUT" '^w=0$'
pt_grep "--ask: no Landlock floor (any write may be approved)" "$PT_LOG" \
	'"write_floor":"none: writes are unbounded"'
rm -f "$O/f1"
pt_run --ask --policy "$T/allow.json" --deny-write "$O" -- \
	bash -c "echo a >'$O/f1'; echo \"w=\$?\""
pt_grep "--ask: an explicit deny is not a question" "$PT_OUT" '^w=1$'
pt_is "--ask: ... the log has no question" "$(pr_log_asked "$PT_LOG")" ""
pt_run --ask --policy "$T/allow.json" -- cat "$XDG_CONFIG_HOME/proctor/log.key"
pt_isnt "--ask: proctor's own files are never a question" "$PT_RC" 0
# a directory in /tmp the run did not make: the built-in create entry
# lets the run make only names of its own there, and refuses the rest as
# a default would: a question under --ask
mine=$(mktemp -d /tmp/pt-mine.XXXXXX)
pt_cleanup_add "$mine"
chmod 777 "$mine"
pt_run -- bash -c "echo a >'$mine/f'"
pt_grep "a new file in a /tmp directory the run did not make: said why" \
	"$PT_ERR" "denied write $mine/f .*rule files.write.create\\[0\\] \"/tmp\" \\(built-in\\), which lets the run make names in it and in the directories it made there, and change only what it made; allow with"
pt_run --ask --policy "$T/allow.json" -- bash -c "echo a >'$mine/f'; echo \"w=\$?\""
pt_grep "--ask: what the create entry refuses is a question" "$PT_OUT" '^w=0$'
pt_is "... (the log has it)" "$(pr_log_asked "$PT_LOG")" allow/allow/unattended

# ---- saved answers are a layer; shown and removed
mkdir -p "$XDG_CONFIG_HOME/proctor"
cat >"$ANSWERS" <<JSON
{"time":"2025-01-01T00:00:00Z","answer":"allow","class":"write","path":"$O/f1","program":"bash","by":"terminal"}
{"answer":"deny","class":"read","path":"/etc/hostname"}

{"answer":"allow","class":"read","path":"$O/r"}
JSON
pt_run "${ASK[@]}" -- bash -c "echo a >'$O/f1'; echo \"w=\$?\"; cat '$O/r'
	cat /etc/hostname; echo \"h=\$?\""
pt_grep "a saved allow: the write goes" "$PT_OUT" '^w=0$'
pt_grep "a saved allow: the read goes" "$PT_OUT" '^secret$'
pt_grep "a saved deny: the read is denied" "$PT_OUT" '^h=1$'
pt_grep "the denial names the answers file and its line" "$PT_ERR" \
	"denied read /etc/hostname .*your saved answer, line 2 \($ANSWERS\); take it back with proctor policy answers remove 2"
pt_is "saved answers ask nothing" "$(pr_log_asked "$PT_LOG")" ""
pt_proctor policy show
pt_grep "proctor policy show includes the answers" "$PT_OUT" \
	"\"where\":[[:space:]]*\"line 4\""
pt_grep "proctor policy show includes the prompt settings" "$PT_OUT" \
	'"unattended":'
pt_proctor policy answers
pt_is "proctor policy answers lists three" "$(grep -c '^ *[0-9]\+  ' "$PT_OUT")" 3
pt_grep "... with what, when, who" "$PT_OUT" \
	'2025-01-01T00:00:00Z, by bash, answered at the terminal'
pt_proctor policy answers remove 2 4
pt_status "remove 2 4" 0
pt_is "... one is left" "$(grep -c . "$ANSWERS")" 1
pt_run "${ASK[@]}" -- cat "$O/r"
pt_isnt "... the removed allow no longer holds" "$PT_RC" 0
pt_proctor policy answers remove 9
pt_isnt "remove of a line that holds no answer fails" "$PT_RC" 0
pt_grep "... and says which" "$PT_ERR" '^proctor: no answer on line 9 '
pt_proctor policy answers remove x
pt_is "remove x: a usage error" "$PT_RC" 2
pt_proctor policy answers clear
pt_is "clear empties the file" "$(wc -c <"$ANSWERS")" 0

# ---- a malformed answers file stops the run and names the line
printf '{"answer":"allow","class":"write","path":"%s"}\n{"answer":"yes"}\n' \
	"$O/f1" >"$ANSWERS"
pt_run -- true
pt_status "a malformed answer: proctor does not run" 125
pt_grep "... the message names the file and line" "$PT_ERR" \
	"$ANSWERS: line 2: class: expected"
pt_grep "... and the way out" "$PT_ERR" 'proctor policy answers remove N'
pt_proctor policy answers
pt_grep "proctor policy answers shows the unreadable line" "$PT_OUT" \
	'^ *2  \(unreadable: class: expected'
pt_proctor policy answers remove 2
pt_run -- true
pt_status "... removed, runs again" 0

# ---- the sandbox cannot write (or read) the answers
pt_run --ask --policy "$T/allow.json" -- bash -c \
	"echo '{\"answer\":\"allow\",\"class\":\"write\",\"path\":\"/etc/x\"}' >>'$ANSWERS'; echo \"w=\$?\"
	cat '$ANSWERS' >/dev/null; echo \"r=\$?\""
pt_grep "the sandbox cannot add an answer (even with --ask and unattended allow)" \
	"$PT_OUT" '^w=1$'
pt_grep "... nor read them" "$PT_OUT" '^r=1$'
pt_nogrep "... the file has no such line" "$ANSWERS" '/etc/x'

pt_done
