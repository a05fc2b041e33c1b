#!/bin/sh
# What an untrusted build script or coding agent might do: real work in
# the workspace, and a few reaches past it that proctor refuses.
echo "== build in the workspace"
make -s clean hello && ./hello
git init -q . && git add -A &&
	git -c user.name=demo -c user.email=demo@example.invalid \
		commit -qm "first build" && git log --oneline

echo "== reach past the workspace"
echo "ssh-rsa AAAA... attacker" >> "$HOME/.ssh/authorized_keys" ||
	echo "   (could not plant a key)"
cat "$HOME/.ssh/id_ed25519" 2>/dev/null || echo "   (could not read the key)"
python3 -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])))' "${DEMO_PORT:-9}" \
	2>/dev/null || echo "   (could not connect to the host's service)"
echo "== done"
