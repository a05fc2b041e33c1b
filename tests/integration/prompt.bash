# tests/integration/prompt.bash: what the prompt tests share (issue 6).
# Sourced after pt_init; not a test itself (run-all.sh runs *.sh only).
#
# Terminal tests run proctor in a detached tmux session on a server of
# their own ($T/prompt-tmux.sock, so parallel runs never meet), one
# session per scenario:
#
#	pr_start NAME [RUN-OPTION]... -- CMD...	proctor run in a new session
#	pr_wait NAME ERE [SECONDS]		until a screen line matches
#	pr_keys KEYS...				tmux send-keys -l, one by one
#	pr_end NAME [SECONDS]			until proctor ends; PR_RC
#	pr_screen				the screen and its history
#
# Each scenario's CMD writes what it saw to $WS/NAME.res (the workspace
# is writable; the screen is for the questions).

PR_SOCK=$T/prompt-tmux.sock
pt_at_exit "tmux -S '$PR_SOCK' kill-server"

pr_tm() { tmux -S "$PR_SOCK" "$@"; }

# pr_need NAME: false, with a skip line for NAME, without tmux or a
# working server.
pr_need() {
	pt_need "$1" tmux || return 1
	# the first session stays for the whole test: a server whose last
	# session ends exits, and one started meanwhile may meet it dying
	if ! pr_tm -f /dev/null new-session -d -s keep -x 80 -y 10 \
		"sleep 3600" 2>"$T/out/tmux.err"; then
		pt_skip "$1" "tmux cannot start a session: $(head -n 1 "$T/out/tmux.err")"
		return 1
	fi
}

# pr_start NAME [RUN-OPTION]... -- CMD...
pr_start() {
	local name=$1 q='' a
	shift
	for a in "$@"; do q="$q $(printf '%q' "$a")"; done
	PR_NAME=$name
	rm -f "$T/$name.status" "$T/$name.screen" "$WS/$name.res"
	cat >"$T/$name.sh" <<SH
#!/bin/bash
cd $(printf '%q' "$WS") || exit 1
$(printf '%q' "$PROCTOR") run --log $(printf '%q' "$T/$name.jsonl") $q
echo "\$?" >$(printf '%q' "$T/$name.status")
sleep 600
SH
	pr_tm kill-session -t "$name" 2>/dev/null
	pr_tm -f /dev/null new-session -d -s "$name" -x 160 -y 50 \
		"bash $(printf '%q' "$T/$name.sh")"
}

# pr_screen [NAME]: the screen with its history; once the session is
# gone, what it last showed.
pr_screen() {
	local n=${1:-$PR_NAME}
	pr_tm capture-pane -p -J -S -1000 -t "$n" 2>/dev/null ||
		cat "$T/$n.screen" 2>/dev/null
}

pr_on_screen() {
	pr_screen "$2" | grep -E -q -e "$1"
}

# pr_count ERE: screen lines that match.
pr_count() {
	pr_screen | grep -E -c -e "$1"
}

pr_show() {
	pr_screen | grep -v '^$' | tail -n "${1:-14}" | cut -c1-150 |
		sed 's/^/#   | /'
}

# pr_wait TEST-NAME ERE [SECONDS]: ok when ERE shows up in time.
pr_wait() {
	if pt_wait_for "${3:-10}" pr_on_screen "$2"; then
		pt_ok "$1"
		return 0
	fi
	pt_fail "$1" "not on the screen: /$2/"
	pr_show
	return 1
}

# A person reads before answering: proctor takes a key as an answer only
# after half a second without keys (tracer/terminal.c), so each key
# comes after a pause.
pr_keys() {
	local k
	for k in "$@"; do
		sleep 0.7
		pr_tm send-keys -t "$PR_NAME" -l "$k"
	done
}

# pr_end [SECONDS]: waits for proctor to end; PR_RC its status ("" if
# it did not end).
pr_end() {
	PR_RC=
	pt_wait_for "${1:-15}" test -s "$T/$PR_NAME.status" &&
		PR_RC=$(cat "$T/$PR_NAME.status")
	pr_tm capture-pane -p -J -S -1000 -t "$PR_NAME" >"$T/$PR_NAME.screen" \
		2>/dev/null
	pr_tm kill-session -t "$PR_NAME" 2>/dev/null
	return 0
}

# pr_res: what the scenario's command wrote.
pr_res() {
	cat "$WS/$PR_NAME.res" 2>/dev/null
}

# pr_log_asked LOG: "answer/by" of each decision that asked, in order.
pr_log_asked() {
	"$PT_PY" - "$1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    a = r.get("asked")
    if r.get("type") == "decision" and a:
        print("%s/%s/%s" % (r.get("decision"), a.get("answer"), a.get("by")))
PY
}
