#!/bin/bash
# Questions and grants about names (issues 6 and 5), in a network of the
# test's own (pt_dns_lab).  A name an ask entry names exactly resolves,
# and the connect to it is the question, naming the name; "allow always"
# saves the name, which the next run honours; a wildcard ask entry
# resolves nothing unasked; a grant's names resolve and connect for the
# command's subtree only.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
. "$PT_TESTS/integration/prompt.bash"

pt_dns_lab "allowed.test A 10.77.0.2 300
other.test A 10.77.0.3 300
*.wild.test A 10.77.0.4 300" || pt_done

SOCK=$T/sock/a.sock
mkdir -p "$T/sock" "$T/bin"
printf '{"network": {"ask": ["allowed.test:80", "*.wild.test"]}}\n' \
	>"$T/ask.json"
client() { pt_answer_client "$1" "$SOCK" "${@:2}"; }
fetch() { echo "$PT_PY -c 'import urllib.request as u; print(u.urlopen(\"http://$1/\", timeout=5).read().decode().strip())'"; }

# ---- an exact ask name: resolved, and the connect is the question
client "$T/c1" allow-once
pt_lab_run --policy "$T/ask.json" --approve-socket "$SOCK" \
	--prompt-timeout 10 -- sh -c "$(fetch allowed.test)"
kill "$CPID" 2>/dev/null
pt_status "ask name: allowed once, the fetch works" 0
pt_grep "... it fetched the page" "$PT_OUT" '^hello from the lab$'
pt_grep "the question names the name" "$T/c1" \
	'"class":"connect","object":"10.77.0.2:80 \(allowed.test\)"'
pt_grep "... and the rule" "$T/c1" '"rule":"network.ask\[0\] \\"allowed.test:80\\"'

client "$T/c2" deny-once
pt_lab_run --policy "$T/ask.json" --approve-socket "$SOCK" \
	--prompt-timeout 10 -- sh -c "$(fetch allowed.test)"
kill "$CPID" 2>/dev/null
pt_isnt "ask name: denied once, the fetch fails" "$PT_RC" 0
pt_is "... nothing reached the server" "$(grep -c 'GET /' "$LAB/http-2.log")" 1

# ---- allow always saves the name; the next run needs no question
client "$T/c3" allow-always
pt_lab_run --policy "$T/ask.json" --approve-socket "$SOCK" \
	--prompt-timeout 10 -- sh -c "$(fetch allowed.test)"
kill "$CPID" 2>/dev/null
pt_status "allow always: the fetch works" 0
pt_grep "allow always: the name is saved, not the address" \
	"$XDG_CONFIG_HOME/proctor/answers.jsonl" \
	'"class":"connect","addr":"allowed.test:80"'
pt_lab_run --policy "$T/ask.json" -- sh -c "$(fetch allowed.test)"
pt_status "the next run, with nobody to ask, fetches by the saved name" 0
pt_is "... without a question" "$(pr_log_asked "$PT_LOG")" ""
"$PROCTOR" policy answers clear >/dev/null

# ---- a wildcard ask entry resolves nothing unasked
pt_lab_run --policy "$T/ask.json" -- sh -c "$(fetch secret-label.wild.test)"
pt_isnt "wildcard ask: the name does not resolve" "$PT_RC" 0
if pt_lab_queried secret-label.wild.test; then
	pt_fail "wildcard ask: no query left for it"
else
	pt_ok "wildcard ask: no query left for it"
fi

# ---- a grant by name: its command resolves and connects, a sibling not
cat >"$T/bin/fetcher" <<SH
#!/bin/sh
$(fetch other.test) >>'$WS/grant.res' 2>/dev/null; echo "tool=\$?" >>'$WS/grant.res'
SH
chmod +x "$T/bin/fetcher"
printf '{"exec": {"allow": [{"pattern": ["%s"], "grant": {"network": ["other.test:80"]}}]}}\n' \
	"$T/bin/fetcher" >"$T/grant.json"
pt_lab_run --policy "$T/grant.json" -- sh -c "'$T/bin/fetcher'
	$(fetch other.test) >/dev/null 2>&1; echo \"sibling=\$?\" >>'$WS/grant.res'"
pt_grep "grant by name: the command fetched the page" "$WS/grant.res" \
	'^hello from the lab$'
pt_grep "grant by name: ... and succeeded" "$WS/grant.res" '^tool=0$'
pt_grep "grant by name: the sibling cannot" "$WS/grant.res" '^sibling=1$'
pt_is "grant by name: the server saw one fetch" \
	"$(grep -c 'GET /' "$LAB/http-3.log")" 1
pt_grep "grant by name: the resolution names the grant" "$PT_LOG" \
	'"class":"resolve".*"name":"other.test".*"decision":"allow".*"where":"exec.allow\[0\].grant.network\[0\]"'

pt_done
