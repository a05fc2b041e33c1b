#!/bin/sh
# Installs the Debian packages proctor builds and tests with, if missing.
# Called by `make`; safe to run again.  Needs root (or sudo) only when
# something is missing.
set -eu

pkgs="gcc make pkg-config libseccomp-dev libunwind-dev libcjson-dev
check libssl-dev libc-ares-dev libpsl-dev git python3 iproute2 util-linux tmux
strace clang-format curl"

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "proctor: installing missing packages:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
	sudo=""
elif command -v sudo >/dev/null 2>&1; then
	sudo="sudo"
else
	echo "proctor: cannot install$missing: not root and no sudo." >&2
	echo "proctor: install them with apt-get, then run make again." >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2 || true
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >&2
