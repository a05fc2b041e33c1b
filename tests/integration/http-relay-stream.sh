#!/bin/bash
# The HTTP relay's byte streams (issue #8): a slow reader gets every byte
# of a large answer; a server's end (FIN or reset) reaches the program
# only after what was read before it; a refusal's 403 comes after the
# answer before it, not in its middle.  Servers of the test's own
# (tests/lib/stream_srv.py) on 10.77.0.3:8082; the reader is
# tests/lib/stream_client.py.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

pt_dns_lab "stream.test A 10.77.0.3 300" || pt_done

C=$PT_TESTS/lib/stream_client.py
ip netns exec "$LAB_S" "$PT_PY" "$PT_TESTS/lib/stream_srv.py" 10.77.0.3 8082 \
	"$LAB/srv.ready" </dev/null >"$LAB/srv.err" 2>&1 &
pt_at_exit "kill $!"
pt_wait_for 10 test -s "$LAB/srv.ready" || pt_fail "the test's server starts"

cat >"$T/policy.json" <<'JSON'
{"network": {"allow": [{"pattern": "stream.test", "methods": ["GET"]}]}}
JSON
P="--policy $T/policy.json"
# get PATH: the request, escaped as stream_client.py takes it
# shellcheck disable=SC2028 # the escapes are for stream_client.py
get() { echo "GET /$1 HTTP/1.1\\r\\nHost: stream.test\\r\\n\\r\\n"; }

pt_lab_run $P -- "$PT_PY" "$C" stream.test 8082 "$(get big/8388608)"
pt_grep "a slow reader gets 8 MiB whole, the server closing at once" \
	"$PT_OUT" "body 8388608 whole yes"

pt_lab_run $P -- "$PT_PY" "$C" stream.test 8082 "$(get rst/6291456)"
pt_grep "a reset after the answer comes after every byte read before it" \
	"$PT_OUT" "body 6291456 whole yes"

pt_lab_run $P -- "$PT_PY" "$C" stream.test 8082 \
	"$(get big/16777216)" \
	'POST /no HTTP/1.1\r\nHost: stream.test\r\nContent-Length: 0\r\n\r\n'
pt_grep "a refused request after a large answer: the answer comes whole" \
	"$PT_OUT" "body 16777216 whole yes"
pt_grep "and the 403 after it" "$PT_OUT" "403-after-body yes"

# the program takes nothing for 7 s: a 403 then would land in the
# middle of the answer (read as its body), so the connection is cut
pt_lab_run $P -- "$PT_PY" "$C" --pause 7 stream.test 8082 \
	"$(get big/33554432)" \
	'POST /no HTTP/1.1\r\nHost: stream.test\r\nContent-Length: 0\r\n\r\n'
pt_grep "a reader that stalls: its answer's end not reached" "$PT_OUT" \
	"body 33554432 whole no"
pt_nogrep "... and no 403 in the middle of it" "$PT_OUT" \
	"403 yes 403-after-body no"

# cpu PID: the CPU time of PID so far, in clock ticks
cpu() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
pt_lab_run $P -- "$PT_PY" "$C" --abort stream.test 8082 "$(get big/16777216)" &
run=$!
pt_wait_for 10 grep -qs closed "$PT_OUT"
sup=$(awk '{ sub(/.*\) /, ""); print $2 }' \
	"/proc/$(sed -n 's/^closed //p' "$PT_OUT")/stat")
t0=$(cpu "$sup")
sleep 2
t1=$(cpu "$sup")
wait $run
pt_check "a program that hangs up mid-answer leaves the relay idle ($((t1 - t0)) ticks in 2 s)" \
	test $((t1 - t0)) -lt 50
pt_done
