#!/bin/sh
# `make demo`: copies the embedded project into a fresh workspace, gives it
# a fake home with a secret, and runs its build script under proctor.
set -eu
proctor=$(realpath "${1:-build/proctor}")
src=$(dirname "$(realpath "$0")")/project
top=$(mktemp -d "${TMPDIR:-/tmp}/proctor-demo.XXXXXX")
mkdir -p "$top/home/.ssh" "$top/workspace"
echo "-----BEGIN OPENSSH PRIVATE KEY----- (demo)" > "$top/home/.ssh/id_ed25519"
cp -R "$src/." "$top/workspace/"
echo "workspace: $top/workspace   home: $top/home"
cd "$top/workspace"
# a service of the host's on loopback (a database, say), which the run
# may not reach: it counts the connections it is offered
port=0
if command -v python3 >/dev/null 2>&1; then
	python3 -c '
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
n = 0
while True:
    c, _ = s.accept(); n += 1; c.close()
    open(sys.argv[1], "w").write(str(n))' "$top/service.count" >"$top/service.port" &
	service=$!
	while [ ! -s "$top/service.port" ]; do sleep 0.05; done
	port=$(cat "$top/service.port")
fi
status=0
# --log-reads: reads judged by proctor, so the refused read has a line;
# by default the kernel refuses it itself (README, "Reads in the kernel")
HOME="$top/home" XDG_STATE_HOME="$top/state" DEMO_PORT=$port "$proctor" run \
	--log-reads --log "$top/decisions.jsonl" -- ./agent.sh || status=$?
if [ "$port" != 0 ]; then
	kill "$service" 2>/dev/null
	echo "the host's service on 127.0.0.1:$port was offered $(cat "$top/service.count" 2>/dev/null || echo 0) connections"
fi
echo
echo "proctor exited with $status; $(wc -l < "$top/decisions.jsonl") log records in $top/decisions.jsonl"
echo "denied:"
grep '"decision":"deny"' "$top/decisions.jsonl" |
	sed 's/.*"class":"\([a-z]*\)","[a-z]*":"\([^"]*\)".*/  \1 \2/' | sort -u
echo
echo "read it:   HOME=$top/home $proctor log tree $top/decisions.jsonl"
echo "verify it: HOME=$top/home $proctor log verify $top/decisions.jsonl"
echo "remove it: rm -r $top"
exit "$status"
