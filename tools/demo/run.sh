#!/bin/sh
# `make demo`: copies the embedded project into a fresh workspace, gives it
# a fake home with a secret, and runs its build script under proctor.
set -eu
proctor=$(realpath "${1:-build/proctor}")
src=$(dirname "$(realpath "$0")")/project
top=$(mktemp -d /tmp/proctor-demo.XXXXXX)
mkdir -p "$top/home/.ssh" "$top/workspace"
echo "-----BEGIN OPENSSH PRIVATE KEY----- (demo)" > "$top/home/.ssh/id_ed25519"
cp -R "$src/." "$top/workspace/"
echo "workspace: $top/workspace   home: $top/home"
cd "$top/workspace"
status=0
# --log-reads: reads judged by proctor, so the refused read has a line;
# by default the kernel refuses it itself (README, "Reads in the kernel")
HOME="$top/home" XDG_STATE_HOME="$top/state" "$proctor" run --log-reads \
	--log "$top/decisions.jsonl" -- ./agent.sh || status=$?
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
