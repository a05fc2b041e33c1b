#!/bin/bash
# Questions about names (issue 6), in a network of the test's own
# (pt_dns_lab, whose name server logs each query that reaches it).  A
# name a wildcard ask entry matches, or one no entry lists with --ask,
# is asked about before any query leaves: the question names the process
# that wrote the query, the name and the type; allow once lets that query
# go, allow for this run answers the other queries for the name and the
# connects to it, allow always (deny always) saves the name for later
# runs, deny sends "no such name" and nothing leaves.  While a question
# waits, the resolver answers the other programs.  Over the approval
# socket and on a terminal (tmux).
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
. "$PT_TESTS/integration/prompt.bash"

pt_dns_lab "other.test A 10.77.0.3 300
*.wild.test A 10.77.0.4 300" || pt_done

SOCK=$T/sock/a.sock
mkdir -p "$T/sock" "$T/bin"
printf '{"network": {"ask": ["*.wild.test"], "allow": ["other.test:80"]}}\n' \
	>"$T/ask.json"
cat >"$T/client.py" <<'PY'
# client.py SOCK OUT [ANSWER]...: answers each request in turn (then
# deny-once).  With HOLD=PATH, a request about a .wild.test name is
# answered only once PATH exists (up to 30 s): "held=ok" or
# "held=timeout" in OUT.
import json, os, socket, sys, time
sock, out, answers = sys.argv[1], sys.argv[2], sys.argv[3:]
hold = os.environ.get("HOLD")
for _ in range(200):
    try:
        s = socket.socket(socket.AF_UNIX); s.connect(sock); break
    except OSError:
        time.sleep(0.05)
log = open(out, "w", buffering=1)
for line in s.makefile("rb"):
    log.write(line.decode())
    m = json.loads(line)
    if m.get("type") != "request":
        continue
    if hold and ".wild.test" in m.get("object", ""):
        for _ in range(300):
            if os.path.exists(hold):
                break
            time.sleep(0.1)
        log.write("held=%s\n" % ("ok" if os.path.exists(hold) else "timeout"))
        hold = None
    a = answers.pop(0) if answers else "deny-once"
    s.sendall(b'{"id":%d,"answer":"%s"}\n' % (m["id"], a.encode()))
PY
client() {
	local out=$1
	shift
	ip netns exec "$LAB_C" "$PT_PY" "$T/client.py" "$SOCK" "$out" "$@" \
		</dev/null >/dev/null 2>&1 &
	CPID=$!
	pt_at_exit "kill $CPID"
}
fetch() { echo "$PT_PY -c 'import urllib.request as u; print(u.urlopen(\"http://$1/\", timeout=5).read().decode().strip())'"; }
asked() { # asked CLIENT-OUT: the objects of the requests, in order
	sed -n 's/.*"type":"request".*"object":"\([^"]*\)".*/\1/p' "$1"
}
RUN=(--policy "$T/ask.json" --approve-socket "$SOCK" --prompt-timeout 20)

# ---- allow once: each query and the connect are asked
client "$T/c1" allow-once allow-once allow-once allow-once
pt_lab_run "${RUN[@]}" -- sh -c "$(fetch one.wild.test)"
kill "$CPID" 2>/dev/null
pt_status "wildcard ask, allowed once: the fetch works" 0
pt_grep "... it fetched the page" "$PT_OUT" '^hello from the lab$'
pt_grep "the question is about the name and its type" "$T/c1" \
	'"class":"resolve","object":"one.wild.test \(A\)"'
pt_grep "... names the process that wrote the query" "$T/c1" \
	'"type":"request".*"cmdline":"[^"]*python3[^"]*urllib[^"]*".*"class":"resolve"'
pt_grep "... and the rule" "$T/c1" \
	'"class":"resolve".*"rule":"network.ask\[0\] \\"\*.wild.test\\"'
pt_grep "the connect is a question of its own" "$T/c1" \
	'"class":"connect","object":"10.77.0.4:80 \(one.wild.test\)"'
pt_ok_if() { if "$@"; then pt_ok "$T_NAME"; else pt_fail "$T_NAME"; fi; }
T_NAME="... the query left once answered" pt_ok_if pt_lab_queried one.wild.test
pt_grep "the log records the answered resolution" "$PT_LOG" \
	'"class":"resolve","name":"one.wild.test".*"asked":\{"answer":"allow-once","by":"socket"'

# ---- deny: no such name, and nothing leaves
client "$T/c2"
pt_lab_run "${RUN[@]}" -- sh -c "$(fetch two.wild.test)"
kill "$CPID" 2>/dev/null
pt_isnt "denied: the fetch fails" "$PT_RC" 0
pt_grep "... it was asked" "$T/c2" '"object":"two.wild.test \(A'
if pt_lab_queried two.wild.test; then
	pt_fail "... and no query left"
else
	pt_ok "... and no query left"
fi
pt_is "... nothing reached the server" "$(grep -c 'GET /' "$LAB/http-4.log")" 1

# ---- allow for this run: the name's other queries and its connects
client "$T/c3" allow-run
pt_lab_run "${RUN[@]}" -- sh -c "$(fetch three.wild.test); $(fetch three.wild.test)"
kill "$CPID" 2>/dev/null
pt_status "allow for this run: both fetches work" 0
pt_is "... both fetched" "$(grep -c '^hello from the lab$' "$PT_OUT")" 2
pt_is "... after one answer" "$(grep -c '"type":"answered".*"by":"socket"' "$T/c3")" 1
pt_grep "... which answered the name's other query" "$T/c3" \
	'"type":"answered","id":2,"answer":"allow-run","by":"this run"'

pt_grep "... the connect took the name's answer" "$PT_LOG" \
	'"class":"connect".*"name":"three.wild.test".*"asked":\{"answer":"allow-run","by":"this run"'

# ---- allow always: saved as the name, honoured by the next run
client "$T/c4" allow-always
pt_lab_run "${RUN[@]}" -- sh -c "$(fetch four.wild.test)"
kill "$CPID" 2>/dev/null
pt_status "allow always: the fetch works" 0
pt_grep "... the name is saved" "$XDG_CONFIG_HOME/proctor/answers.jsonl" \
	'"answer":"allow","class":"connect","addr":"four.wild.test"'
pt_lab_run --policy "$T/ask.json" -- sh -c "$(fetch four.wild.test)"
pt_status "the next run, with nobody to ask, resolves and fetches it" 0
pt_is "... without a question" "$(pr_log_asked "$PT_LOG")" ""
"$PROCTOR" policy answers clear >/dev/null

# ---- deny always: saved, and the next run refuses the name unasked
printf '{"network": {"ask": ["*.wild.test"]}, "prompt": {"unattended": "allow"}}\n' \
	>"$T/ask-lenient.json"
client "$T/c7" deny-always
pt_lab_run "${RUN[@]}" -- sh -c "$(fetch eight.wild.test)"
kill "$CPID" 2>/dev/null
pt_isnt "deny always: the fetch fails" "$PT_RC" 0
pt_grep "... the name's denial is saved" "$XDG_CONFIG_HOME/proctor/answers.jsonl" \
	'"answer":"deny","class":"connect","addr":"eight.wild.test"'
pt_lab_run --policy "$T/ask-lenient.json" -- sh -c "$(fetch nine.wild.test); $(fetch eight.wild.test)"
pt_grep "the next run: an unsaved name gets the unattended allow" "$PT_OUT" \
	'^hello from the lab$'
pt_is "... the saved one is refused (one fetch only)" \
	"$(grep -c '^hello from the lab$' "$PT_OUT")" 1
if pt_lab_queried eight.wild.test; then
	pt_fail "... and no query left for it"
else
	pt_ok "... and no query left for it"
fi
"$PROCTOR" policy answers clear >/dev/null

# ---- nobody to ask: the unattended answer, and nothing leaves
pt_lab_run --policy "$T/ask.json" -- sh -c "$(fetch secret.wild.test)"
pt_isnt "nobody to ask: the name does not resolve" "$PT_RC" 0
pt_grep "... stderr says why, once" "$PT_ERR" 'no terminal and no approval socket'
if pt_lab_queried secret.wild.test; then
	pt_fail "... and no query left"
else
	pt_ok "... and no query left"
fi

# ---- --ask: a name no entry lists is asked too
printf '{"network": {"allow": ["other.test:80"]}}\n' >"$T/plain.json"
client "$T/c5"
pt_lab_run --policy "$T/plain.json" --ask --approve-socket "$SOCK" \
	--prompt-timeout 20 -- sh -c "$(fetch unlisted.wild.test)"
kill "$CPID" 2>/dev/null
pt_isnt "--ask: an unlisted name is asked about (and denied)" "$PT_RC" 0
pt_grep "... the question says --ask asked it" "$T/c5" \
	'"class":"resolve","object":"unlisted.wild.test \(A.*asked because of --ask'
if pt_lab_queried unlisted.wild.test; then
	pt_fail "... and no query left"
else
	pt_ok "... and no query left"
fi

# ---- while a question waits, the resolver serves the others
rm -f "$WS/flag" "$WS/other.res"
HOLD=$WS/flag client "$T/c6" allow-once allow-once allow-once allow-once
pt_lab_run "${RUN[@]}" -- sh -c "($(fetch other.test) >'$WS/other.res' 2>&1; touch '$WS/flag') &
	$(fetch five.wild.test); wait"
kill "$CPID" 2>/dev/null
pt_grep "a question waits while another program resolves and fetches" \
	"$T/c6" '^held=ok$'
pt_grep "... the other fetched its page" "$WS/other.res" '^hello from the lab$'
pt_grep "... and the asked one, allowed, fetched too" "$PT_OUT" \
	'^hello from the lab$'

# ---- on a terminal
if pr_need "terminal: a name question"; then
	cat >"$T/bin/lab-proctor" <<SH
#!/bin/sh
exec ip netns exec '$LAB_C' '$PROCTOR' "\$@"
SH
	chmod +x "$T/bin/lab-proctor"
	REAL=$PROCTOR
	PROCTOR=$T/bin/lab-proctor
	pr_start tr --policy "$T/ask.json" -- \
		sh -c "$(fetch six.wild.test) >'$WS/tr.res' 2>&1"
	pr_wait "terminal: the question names the name and its type" \
		'wants to: RESOLVE six\.wild\.test \((A|AAAA)\)'
	pr_wait "... and the rule" 'rule: +network\.ask\[0\] "\*\.wild\.test"'
	pr_keys r
	pr_end 30
	pt_is "[r] allow for this run: proctor ends well" "$PR_RC" 0
	pt_grep "... the fetch worked" "$WS/tr.res" '^hello from the lab$'
	pt_is "... one question for the name, its other query and its connect" \
		"$(pr_screen | grep -c 'wants to:')" 1

	pr_start tn --policy "$T/ask.json" -- \
		sh -c "$(fetch seven.wild.test) >'$WS/tn.res' 2>&1"
	pr_wait "terminal: a second name question" 'RESOLVE seven\.wild\.test'
	pr_keys n
	pt_wait_for 10 pr_on_screen 'RESOLVE seven\.wild\.test \(AAAA|proctor asks \(question 1 of 1, #2\)' ||
		true
	pr_keys n
	pr_end 30
	pt_isnt "[n] deny: the fetch fails" "$(cat "$WS/tn.res" | grep -c hello)" 1
	if pt_lab_queried seven.wild.test; then
		pt_fail "... and no query left"
	else
		pt_ok "... and no query left"
	fi
	PROCTOR=$REAL
fi

pt_done
