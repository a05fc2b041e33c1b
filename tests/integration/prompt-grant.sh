#!/bin/bash
# Escalation (issue 6): an exec entry may grant its command, and every
# process the command starts, named writes, reads and addresses beyond
# the policy, or full access; automatically (allow) or after a question
# (ask).  The grant covers that subtree only and ends with it: a sibling
# gets nothing, nor can it reach into the holder's /proc entries; the
# loader being told to load more (LD_LIBRARY_PATH) withholds it; the
# Landlock floor covers what grants may write; the log says who approved
# it; proctor's own files stay out of reach even of a full grant.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
. "$PT_TESTS/integration/prompt.bash"

GD=$T/granted
mkdir -p "$GD" "$T/bin" "$PT_HOME/.ssh" "$T/sock"
echo key >"$PT_HOME/.ssh/id_test"
pt_listen || { pt_fail "the test server starts"; pt_done; }
export GD PORT=$PT_PORT

# the tool: writes, starts a child that writes, reads a secret, connects
cat >"$T/bin/tool" <<'SH'
#!/bin/bash
echo "tool-pid=$$" >>"$RES"
echo tool >"$GD/by-tool"; echo "tool-w=$?" >>"$RES"
bash -c 'echo child >"$GD/by-child"; echo "child-w=$?"' >>"$RES"
cat ~/.ssh/id_test >/dev/null 2>&1; echo "tool-r=$?" >>"$RES"
(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; echo "tool-c=$?" >>"$RES"
sleep "${HOLD:-0}"
SH
cp "$T/bin/tool" "$T/bin/asked-tool"
cp "$T/bin/tool" "$T/bin/full-tool"
chmod +x "$T/bin/"*
cat >"$T/grant.json" <<JSON
{"exec": {
  "allow": [{"pattern": ["$T/bin/tool"],
             "grant": {"write": ["$GD"], "read": ["~/.ssh/id_test"],
                       "network": ["127.0.0.1:$PORT"]}},
            {"pattern": ["$T/bin/full-tool"], "grant": "full"}],
  "ask": [{"pattern": ["$T/bin/asked-tool"], "grant": {"write": ["$GD"]}}]}}
JSON
# full-tool's grant makes writes unbounded: that policy is separate
jq_free() { "$PT_PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
d["exec"]["allow"] = d["exec"]["allow"][:1]
json.dump(d, open(sys.argv[2], "w"))' "$@"; }
jq_free "$T/grant.json" "$T/named.json"
RUN=(--policy "$T/named.json")

# ---- the subtree gets the grant; the sibling does not
export RES=$WS/sub.res HOLD=2
pt_run "${RUN[@]}" -- bash -c "'$T/bin/tool' &
	sleep 1
	echo sib >'$GD/by-sibling'; echo \"sib-w=\$?\" >>'$RES'
	tp=\$(sed -n 's/^tool-pid=//p' '$RES')
	cat /proc/\$tp/environ >/dev/null 2>&1; echo \"sib-proc=\$?\" >>'$RES'
	cat ~/.ssh/id_test >/dev/null 2>&1; echo \"sib-r=\$?\" >>'$RES'
	wait
	echo after >'$GD/by-parent'; echo \"after-w=\$?\" >>'$RES'"
unset HOLD
pt_grep "grant: the command writes where it grants" "$RES" '^tool-w=0$'
pt_grep "grant: so does the child it starts" "$RES" '^child-w=0$'
pt_grep "grant: the command reads the granted secret" "$RES" '^tool-r=0$'
pt_grep "grant: the command reaches the granted address" "$RES" '^tool-c=0$'
pt_is "grant: the server saw one connection" "$(pt_listen_count)" 1
pt_grep "grant: a sibling may not write there" "$RES" '^sib-w=1$'
pt_grep "grant: a sibling may not read the secret" "$RES" '^sib-r=1$'
pt_grep "grant: a sibling cannot reach into the holder's /proc" \
	"$RES" '^sib-proc=1$'
pt_grep "grant: it ends with the subtree" "$RES" '^after-w=1$'
pt_absent "grant: nothing of the sibling's or parent's was written" \
	"$GD/by-sibling" "$GD/by-parent"
pt_is "grant: the tool's files are there" \
	"$(cat "$GD/by-tool" "$GD/by-child" 2>&1 | tr '\n' ' ')" "tool child "
pt_grep "the log has the grant, and who approved it" "$PT_LOG" \
	"\"type\":\"grant\".*\"where\":\"exec.allow\[0\].grant\",\"origin\":\"$T/named.json\",\"approved_by\":\"rule exec.allow\[0\] \($T/named.json\)\""
pt_grep "the log has its end" "$PT_LOG" '"type":"grant-end"'
pt_grep "a decision allowed by the grant names it" "$PT_LOG" \
	"\"path\":\"$GD/by-child\".*\"decision\":\"allow\".*\"grant\":\{\"pid\":[0-9]+,\"approved_by\":\"rule exec.allow"
if [ "$(tracer_abi=$(grep -o '"landlock_abi":[0-9]*' "$PT_LOG" | cut -d: -f2); echo "${tracer_abi:-0}")" -gt 0 ]; then
	pt_grep "the Landlock floor holds, and covers what the grant writes" \
		"$PT_LOG" '"write_floor":"landlock"'
else
	pt_skip "the Landlock floor covers grants" "no Landlock here"
fi

# ---- the loader told to load more: no grant
rm -f "$GD"/*
export RES=$WS/ld.res
pt_run "${RUN[@]}" -- env LD_LIBRARY_PATH=/nonexistent "$T/bin/tool"
pt_grep "LD_LIBRARY_PATH: the grant is withheld" "$RES" '^tool-w=1$'
pt_grep "... and stderr says why" "$PT_ERR" \
	'runs without the grant of exec.allow\[0\].grant: LD_LIBRARY_PATH= is set'
pt_grep "... the log too" "$PT_LOG" '"type":"grant".*"withheld":"LD_LIBRARY_PATH="'

# ---- the dynamic loader run directly opens the program by name after
# the check and takes options that load other code: no grant, whether
# it runs a granted program or a granted script's #! line names it
LD=$(ls /lib64/ld-linux-x86-64.so.2 /lib/ld-linux-aarch64.so.1 2>/dev/null |
	head -n 1)
if [ -n "$LD" ]; then
	cp /bin/true "$T/bin/gtrue"
	{ echo "#!$LD /bin/bash"; tail -n +2 "$T/bin/tool"; } >"$T/bin/ltool"
	chmod +x "$T/bin/ltool"
	cat >"$T/loader.json" <<JSON
{"exec": {"allow": [{"pattern": ["$T/bin/gtrue"], "grant": {"write": ["$GD"]}},
                    {"pattern": ["$T/bin/ltool"], "grant": {"write": ["$GD"]}}]}}
JSON
	rm -f "$GD"/*
	export RES=$WS/ld2.res
	pt_run --policy "$T/loader.json" -- sh -c \
		"'$LD' --preload /nonexistent.so '$T/bin/gtrue'; '$T/bin/ltool'"
	pt_grep "the loader run directly: the grant is withheld, and stderr says why" \
		"$PT_ERR" 'runs without the grant of exec.allow\[0\].grant: it runs through the dynamic loader'
	pt_grep "a script whose #! line names the loader: withheld too" "$RES" \
		'^tool-w=1$'
	pt_grep "... and stderr says why" "$PT_ERR" \
		'runs without the grant of exec.allow\[1\].grant: it runs through the dynamic loader'
else
	pt_skip "the loader run directly gets no grant" "no dynamic loader found"
fi

# ---- an argv longer than proctor keeps: the script's words past that
# were not seen, so it runs without the grant
rm -f "$GD"/*
rm -f "$RES"
pt_run "${RUN[@]}" -- sh -c "'$T/bin/tool' \$(seq 1 1500)"
pt_grep "a long argv: the grant is withheld" "$RES" '^tool-w=1$'
pt_grep "... and stderr says why" "$PT_ERR" \
	"runs without the grant of exec.allow\[0\].grant: the script's argv is longer than proctor keeps"

# ---- a shell told to run more (BASH_ENV), git told to (GIT_SSH_COMMAND):
# no grant either
for v in BASH_ENV=$WS/evil.sh GIT_SSH_COMMAND=$WS/evil.sh NODE_OPTIONS=-r \
	"PATH=$WS/bin:$PATH"; do
	rm -f "$GD"/*
	export RES=$WS/env.res
	rm -f "$RES"
	pt_run "${RUN[@]}" -- env "$v" "$T/bin/tool"
	pt_grep "${v%%=*}: the grant is withheld" "$RES" '^tool-w=1$'
	pt_grep "... the log says so" "$PT_LOG" \
		"\"type\":\"grant\".*\"withheld\":\"${v%%=*}"
done
# the last was PATH: a reason, not a variable that "is set"
pt_grep "PATH: stderr gives the reason as it is" "$PT_ERR" \
	'without the grant of exec.allow\[0\].grant: PATH \(a directory of it the sandbox may write\)$'

# ---- after a question: the grant shows in it
SOCK=$T/sock/a.sock
export RES=$WS/ask.res
pt_answer_client "$T/client.out" "$SOCK" --all allow-once
pt_run "${RUN[@]}" --approve-socket "$SOCK" --prompt-timeout 10 -- \
	"$T/bin/asked-tool"
kill "$CPID" 2>/dev/null
pt_grep "ask + grant: the question shows the grant" "$T/client.out" \
	"\"grant\":\"write $GD\""
pt_grep "ask + grant: allowed, the command writes" "$RES" '^tool-w=0$'
pt_grep "ask + grant: ... and its child" "$RES" '^child-w=0$'
pt_grep "ask + grant: the grant names no read" "$RES" '^tool-r=1$'
pt_grep "ask + grant: the log says the user approved it" "$PT_LOG" \
	'"type":"grant".*"approved_by":"the user: allow-once \(socket\)"'

# ---- full access, and what it never reaches
export RES=$WS/full.res
mkdir -p "$T/anywhere"
pt_run --policy "$T/grant.json" -- bash -c "'$T/bin/full-tool'
	'$T/bin/full-tool' -c x 2>/dev/null
	echo hi >'$T/anywhere/by-parent'; echo \"parent-w=\$?\" >>'$RES'"
pt_grep "full: the command may write anywhere" "$RES" '^tool-w=0$'
pt_grep "full: ... connect anywhere" "$RES" '^tool-c=0$'
pt_grep "full: the parent still may not" "$RES" '^parent-w=1$'
pt_grep "full: a full grant means no write floor, and the log says so" \
	"$PT_LOG" '"write_floor":"none: writes are unbounded"'
cat >"$T/bin/full-tool" <<SH
#!/bin/bash
echo x >>'$XDG_CONFIG_HOME/proctor/answers.jsonl'; echo "ans-w=\$?" >>"\$RES"
cat '$XDG_CONFIG_HOME/proctor/log.key' >/dev/null; echo "key-r=\$?" >>"\$RES"
SH
pt_run --policy "$T/grant.json" -- "$T/bin/full-tool"
pt_grep "full: proctor's answers stay out of reach" "$RES" '^ans-w=1$'
pt_grep "full: so does proctor's log key" "$RES" '^key-r=1$'

# ---- policy errors about grants name the place
printf '{"exec": {"deny": [{"pattern": "x", "grant": "full"}]}}\n' >"$T/bad.json"
pt_proctor policy check "$T/bad.json"
pt_grep "a grant on a deny entry is an error that names it" "$PT_ERR" \
	'bad.json: exec.deny\[0\].grant: a deny entry grants nothing'

# ---- on a terminal: y gives the command's subtree the grant, not a sibling
if pr_need "terminal: ask + grant"; then
	rm -f "$GD"/* "$WS/tty.res"
	pr_start gt --policy "$T/grant.json" -- env RES="$WS/tty.res" GD="$GD" \
		PORT="$PORT" bash -c "'$T/bin/asked-tool'
		echo sib >'$GD/by-sibling' 2>/dev/null; echo \"sibling-w=\$?\" >>'$WS/tty.res'"
	pr_wait "terminal: the question names the command" \
		"wants to: RUN .*asked-tool"
	pr_wait "terminal: ... and the grant it would get" \
		"grant: +write $GD, for it and what it starts"
	pr_keys y
	pr_end 30
	pt_is "terminal: proctor ends well" "$PR_RC" 0
	pt_grep "terminal: y: the command writes where it is granted" \
		"$WS/tty.res" '^tool-w=0$'
	pt_grep "terminal: ... so does its child" "$WS/tty.res" '^child-w=0$'
	pt_grep "terminal: ... a sibling may not" "$WS/tty.res" '^sibling-w=1$'
	pt_is "terminal: ... nothing of the sibling's is there" \
		"$(ls "$GD" | grep -c sibling)" 0
	pt_grep "terminal: the log says the user approved it on the terminal" \
		"$T/gt.jsonl" '"type":"grant".*"approved_by":"the user: allow-once \(terminal\)"'
fi

# a grant to a bare name goes to any program of that name: check warns
printf '{"exec": {"ask": [{"pattern": "git push", "grant": {"network": ["example.org:22"]}}], "allow": [{"pattern": ["/opt/deploy/run"], "grant": "full"}, {"pattern": "make"}]}}\n' \
	>"$T/bare.json"
pt_proctor policy check "$T/bare.json"
pt_status "a grant to a bare name: the policy is valid" 0
pt_grep "... and check warns, naming the entry and the way out" "$PT_OUT" \
	'bare.json: warning: exec.ask\[0\] "git push" grants to a program named by its base name: any program of that name gets the grant.*name it by its path'
pt_is "... only about that one (not a path, not an entry without grant)" \
	"$(grep -c warning "$PT_OUT")" 1

pt_done
