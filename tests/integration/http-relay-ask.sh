#!/bin/bash
# Questions and the relay (issues #6, #8): a connect the user allowed at
# a question is relayed like one the policy allows, so the HTTP limits
# of an address hold whoever answered; on it, the name the user allowed
# may be spoken, and a name the user allowed for the run too.  Through
# proctor's proxy, a name an ask entry names is asked about before
# proctor resolves or dials it.  In the lab (pt_dns_lab): a
# request-logging server of the test's own on 10.77.0.3:8081 under three
# names; the answers come over the approval socket.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

pt_dns_lab "safe.test A 10.77.0.3 300
sib.test A 10.77.0.3 300
run.test A 10.77.0.3 300
none.test A 10.77.0.3 300" || pt_done

SRV=$LAB/srv.log
pt_lab_serve httpd httpd.py 10.77.0.3 8081 "$SRV"
pt_wait_for 10 grep -qs ready "$SRV" || pt_fail "the test's server starts"

cat >"$T/policy.json" <<'JSON'
{"network": {"allow": [{"pattern": "safe.test", "methods": ["GET"]}],
             "ask": ["sib.test", "run.test"]}}
JSON
SOCK=$T/sock/a.sock
mkdir -p "$T/sock"
client() { pt_answer_client "$1" "$SOCK" "${@:2}"; }
RUN=(--policy "$T/policy.json" --approve-socket "$SOCK" --prompt-timeout 20)
# send NAME HOST METHOD: resolves safe.test (so that proctor knows the
# address is limited), connects to NAME:8081, sends METHOD / with Host
# HOST, prints the status line
cat >"$T/send.py" <<'PY'
import socket, sys
name, host, method = sys.argv[1:4]
socket.getaddrinfo("safe.test", 8081)
s = socket.create_connection((name, 8081), timeout=10)
s.sendall(b"%s /%s HTTP/1.1\r\nHost: %s\r\nContent-Length: 0\r\n"
          b"Connection: close\r\n\r\n" % (method.encode(), method.lower().encode(),
                                        host.encode()))
print(s.makefile("rb").readline().decode().strip())
PY

: >"$SRV"
client "$T/c1" allow-once allow-once
pt_lab_run "${RUN[@]}" -- "$PT_PY" "$T/send.py" sib.test sib.test GET
kill "$CPID" 2>/dev/null
pt_grep "a name the user allowed is spoken on its relayed connection" \
	"$PT_OUT" "200 OK"
pt_grep "... and reaches the server" "$SRV" "^GET sib.test /get"

: >"$SRV"
client "$T/c2" allow-once allow-once
pt_lab_run "${RUN[@]}" -- "$PT_PY" "$T/send.py" sib.test safe.test POST
kill "$CPID" 2>/dev/null
pt_grep "an answered connect is relayed: the address's limits hold" \
	"$PT_OUT" "403 Forbidden"
pt_nogrep "... the POST to the limited name never arrives" "$SRV" "POST"

: >"$SRV"
client "$T/c3" allow-run allow-run
pt_lab_run "${RUN[@]}" -- "$PT_PY" "$T/send.py" sib.test run.test GET
kill "$CPID" 2>/dev/null
pt_grep "a Host asked about is refused unless answered for the run" \
	"$PT_OUT" "403 Forbidden"
pt_nogrep "... and never reaches the server" "$SRV" "run.test"

: >"$SRV"
client "$T/c4" allow-run allow-run
pt_lab_run "${RUN[@]}" -- sh -c "$PT_PY $T/send.py run.test run.test GET
	$PT_PY $T/send.py sib.test run.test GET"
kill "$CPID" 2>/dev/null
pt_is "a name allowed for the run may be spoken on a sibling's connection" \
	"$(grep -c "200 OK" "$PT_OUT")" 2
pt_is "... and reaches the server" "$(grep -c "^GET run.test /get" "$SRV")" 2

: >"$SRV"
client "$T/c5" allow-once
pt_lab_run "${RUN[@]}" --proxy -- curl -sS -m 10 http://sib.test:8081/proxied
kill "$CPID" 2>/dev/null
pt_grep "through proctor's proxy, an asked name is asked about" "$T/c5" \
	'"type":"request".*sib.test'
pt_grep "... and once allowed, the request is answered" "$PT_OUT" \
	"^GET /proxied"

client "$T/c7" allow-once allow-once
pt_lab_run "${RUN[@]}" -- "$PT_PY" -c '
import socket
socket.getaddrinfo("safe.test", 443)
try:
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(
        b"\xc0" + bytes(1200), ("sib.test", 443))
    print("sent")
except OSError as e:
    import errno
    print(errno.errorcode[e.errno])'
kill "$CPID" 2>/dev/null
pt_grep "QUIC to a limited address is refused, not asked about" "$PT_OUT" \
	"ENETUNREACH"
pt_nogrep "... no question" "$T/c7" '"type":"request"'

: >"$LAB/queries"
client "$T/c8" --none
pt_lab_run "${RUN[@]}" --proxy -- sh -c '
for i in $(seq 20); do curl -s -m 30 http://sib.test:8081/q$i >/dev/null & done
sleep 3
curl -sS -m 10 http://safe.test:8081/free'
kill "$CPID" 2>/dev/null
pt_grep "questions left waiting do not hold the proxy: an allowed name passes" \
	"$PT_OUT" "^GET /free"
pt_grep "... past 16 waiting questions, a request is refused at once" \
	"$PT_ERR" "too many questions from proctor's proxy wait for an answer"
pt_is "... after 16 questions" "$(grep -c '"type":"request"' "$T/c8")" 16

client "$T/c6"
pt_lab_run "${RUN[@]}" --proxy -- curl -sS -m 10 http://run.test:8081/no
kill "$CPID" 2>/dev/null
pt_grep "a denied answer: 403" "$PT_OUT" "proctor refused GET run.test/no"
pt_nogrep "... and the server never sees it" "$SRV" "/no"
if pt_lab_queried run.test; then
	pt_fail "... nor the nameserver the name"
else
	pt_ok "... nor the nameserver the name"
fi

# a program that hangs up while its question waits takes the question
# with it, though a body it sent waits unread before its end of stream
cat >"$T/silent.py" <<'PY'
import socket, sys, time
for _ in range(200):
    try:
        s = socket.socket(socket.AF_UNIX)
        s.connect(sys.argv[1])
        break
    except OSError:
        time.sleep(0.05)
out, t0 = open(sys.argv[2], "w", buffering=1), time.time()
for line in s.makefile("rb"):
    out.write("%.1f %s" % (time.time() - t0, line.decode()))
PY
cat >"$T/hangup.py" <<'PY'
import os, socket, time
port = int(os.environ["http_proxy"].rstrip("/").rsplit(":", 1)[1])
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"POST http://sib.test:8081/x HTTP/1.1\r\nHost: sib.test:8081\r\n"
          b"Content-Length: 100000\r\n\r\n" + b"a" * 100000)
time.sleep(0.5)
s.close()
time.sleep(6)
PY
"$PT_PY" "$T/silent.py" "$SOCK" "$T/c9" &
SP=$!
pt_at_exit "kill $SP"
pt_lab_run "${RUN[@]}" --proxy -- "$PT_PY" "$T/hangup.py"
kill "$SP" 2>/dev/null
pt_is "a program's hang-up settles its question (a body unread before it)" \
	"$(awk '/"answered"/ { print ($1 < 4 && /"by":"gone"/) ? "gone" : $0 }' \
		"$T/c9")" gone

# --ask: a name no entry names is asked about at proctor's proxy, and
# the answer lets it be dialed (the default's denial was the question)
: >"$SRV"
client "$T/c8" allow-once
pt_lab_run "${RUN[@]}" --ask --proxy -- curl -sS -m 10 \
	http://none.test:8081/asked
kill "$CPID" 2>/dev/null
pt_grep "--ask at proctor's proxy: the name is asked about" "$T/c8" \
	'"type":"request".*none\.test \(proxy\)'
pt_grep "... and once allowed, the request is answered" "$PT_OUT" \
	"^GET /asked"

# an address written as the host, which an address entry asks about:
# the answer is about that address
cat >"$T/ip.json" <<'JSON'
{"network": {"ask": ["10.77.0.4"]}}
JSON
client "$T/c10" allow-once
pt_lab_run --policy "$T/ip.json" --approve-socket "$SOCK" --prompt-timeout 20 \
	--proxy -- curl -sS -m 10 http://10.77.0.4/
kill "$CPID" 2>/dev/null
pt_grep "an address asked about at proctor's proxy, allowed, is reached" \
	"$PT_OUT" "hello from the lab"
pt_done
