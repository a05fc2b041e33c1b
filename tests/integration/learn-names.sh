#!/bin/bash
# Learning hosts by name, in the test's own network (pt_dns_lab, root
# only): a program that fetches from two named hosts is learned under a
# base that allows "*.test"; the learned policy names the two hosts, lets
# the same fetches through with no denial, and refuses a third host.
# Learned unconfined, the names wait for review until the user removes
# the flag.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

pt_dns_lab "one.test A 10.77.0.2 300
two.test A 10.77.0.3 300
three.test A 10.77.0.4 300" || pt_done

mkdir -p "$WS/net"
cat >"$WS/net/fetch.py" <<'PY'
import sys, urllib.request
for host in sys.argv[1:]:
    with urllib.request.urlopen("http://%s/" % host, timeout=5) as r:
        print(host, r.read().decode().strip())
PY
echo '{"network": {"allow": ["*.test"]}}' >"$T/base.json"

# lab_learn OUT [LEARN-OPTION]... -- CMD...: proctor learn on the client.
lab_learn() {
	_out=$1
	shift
	timeout -k 5 "$PT_TIMEOUT" ip netns exec "$LAB_C" "$PROCTOR" learn \
		-o "$_out" "$@" </dev/null >"$PT_OUT" 2>"$PT_ERR"
	PT_RC=$?
}

lab_learn "$T/names.json" --base "$T/base.json" -- \
	python3 "$WS/net/fetch.py" one.test two.test
pt_status "learn: the fetch from two named hosts exits 0" 0
pt_grep "learn: it fetched from both" "$PT_OUT" '^two\.test hello from the lab$'
pt_proctor policy check "$T/names.json"
pt_status "learn: the policy with names passes policy check" 0
pt_grep "learn: the first host by name" "$T/names.json" \
	'"pattern": "one\.test", "events": [0-9]+, "why": "the run looked it up'
pt_grep "learn: the second host by name" "$T/names.json" \
	'"pattern": "two\.test"'
pt_nogrep "learn: no wildcard for two names" "$T/names.json" '"\*\.'
pt_nogrep "learn: hosts are not learned by address" "$T/names.json" \
	'"pattern": "10\.77\.'

pt_lab_run --policy "$T/names.json" -- \
	python3 "$WS/net/fetch.py" one.test two.test
pt_status "round trip: the fetch exits 0 under the learned policy" 0
n=$(pt_count_decisions "$PT_LOG" decision deny)
pt_is "round trip: nothing was denied" "$n" 0

pt_lab_run --policy "$T/names.json" -- \
	python3 "$WS/net/fetch.py" one.test two.test three.test
pt_isnt "variant: a third host fails" "$PT_RC" 0
pt_grep "variant: its name was refused" "$PT_ERR" \
	'denied resolve three\.test'
if pt_lab_queried three.test; then
	pt_fail "variant: the third name never reached the name server"
else
	pt_ok "variant: the third name never reached the name server"
fi

lab_learn "$T/held.json" --permissive -- \
	python3 "$WS/net/fetch.py" one.test two.test
pt_status "learn --permissive: the fetch exits 0" 0
pt_grep "learn --permissive: names the base refuses wait for review" \
	"$T/held.json" '"pattern": "two\.test".*"review": true'
pt_lab_run --policy "$T/held.json" -- python3 "$WS/net/fetch.py" one.test
pt_isnt "held names grant nothing" "$PT_RC" 0
sed 's/, "review": true//' "$T/held.json" >"$T/approved.json"
pt_lab_run --policy "$T/approved.json" -- \
	python3 "$WS/net/fetch.py" one.test two.test
pt_status "with the review flags removed, the fetch exits 0" 0

pt_done
