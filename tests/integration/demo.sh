#!/bin/bash
# `make demo`, the README's first command, as a user runs it: the build
# and the commit succeed; planting a key, reading it and connecting to a
# service of the host's on loopback are refused, each with its line, and
# the service is offered no connection.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

pt_need "the demo" make cc git python3 || pt_done

TMPDIR=$T timeout -k 5 "$PT_TIMEOUT" "$PT_TESTS/../tools/demo/run.sh" \
	"$PROCTOR" </dev/null >"$PT_OUT" 2>&1
PT_RC=$?
pt_status "the demo runs" 0
pt_grep "its build runs" "$PT_OUT" '^hello from a build supervised by proctor$'
pt_grep "its commit is made" "$PT_OUT" ' first build$'
pt_grep "planting a key is refused, with a line" "$PT_OUT" \
	'^proctor: denied write .*/home/\.ssh/authorized_keys by agent\.sh'
pt_grep "reading the key is refused, with a line" "$PT_OUT" \
	'^proctor: denied read .*/home/\.ssh/id_ed25519 by cat'
pt_grep "connecting to the host's service is refused, with a line" \
	"$PT_OUT" '^proctor: denied connect 127\.0\.0\.1:[0-9]+ by python3'
pt_grep "... which was offered no connection" "$PT_OUT" \
	"^the host's service on 127\.0\.0\.1:[0-9]+ was offered 0 connections$"
pt_grep "the last line counts the three" "$PT_OUT" '^proctor: 3 denied '
rm -rf "$T"/proctor-demo.*
pt_done
