#!/bin/bash
# Ways around the protections found by review (issue 3), each closed:
#  1. a repository's .git that existed before the run swapped for a copy
#     the run made (its hooks and config would be the run's, and run
#     outside the sandbox): a directory holding what a deny entry
#     protects does not move;
#  2. an argv longer than proctor keeps is still compared at the exec
#     event, on the whole words kept, so a thread that changes argv[1]
#     after the entry judgement does not get a command's grant;
#  3. as root, security.* extended attributes take the capability the
#     run holds, not proctor's;
#  4. reads in the kernel: a hard link or a mount beside a read rule does
#     not open what the rule denies (Landlock grants belong to objects).
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

# 1. .git swapped for a copy made by the run
git init -q "$WS/repo" && git -C "$WS/repo" commit -q --allow-empty -m init
pt_run -- sh -c 'cd repo && cp -a .git .git2 && mv .git .gitold && mv .git2 .git &&
	printf "#!/bin/sh\necho HOOK-RAN >&2\n" > .git/hooks/pre-commit &&
	chmod +x .git/hooks/pre-commit'
pt_absent "the run could not put a hook into the repository it found" \
	"$WS/repo/.git/hooks/pre-commit"
rm -rf "$WS/repo"

# 2. a grant for "cat SAFE" reaches "cat ~/.aws/credentials"
if command -v cc >/dev/null 2>&1; then
	mkdir -p "$HOME/.aws" && echo AWS-CANARY >"$HOME/.aws/credentials"
	cc -O1 -pthread -o "$WS/gcat" "$PT_TESTS/lib/argv-race.c"
	echo '{"exec": {"allow": [{"pattern": ["cat", "SAFE"], "grant": {"read": ["~/.aws"]}}]}}' >"$T/grant.json"
	pt_run --quiet --policy "$T/grant.json" -- ./gcat /bin/cat SAFE \
		"$HOME/.aws/credentials"
	pt_nogrep "a grant for 'cat SAFE' never reads for another argv (long argv)" \
		"$PT_OUT" AWS-CANARY
	rm -f "$WS/gcat"
else
	pt_skip "argv race on a long argv" "needs cc"
fi

# 3. security.* attributes as root
if [ "$(id -u)" = 0 ] && [ -n "$PT_PY" ]; then
	pt_run -- "$PT_PY" -c "
import os
open('x', 'w').close()
os.setxattr('x', 'security.review2', b'v')"
	pt_isnt "a security.* attribute is refused (CAP_SYS_ADMIN was dropped)" "$PT_RC" 0
	rm -f "$WS/x"
else
	pt_skip "security.* attributes" "needs root and python3"
fi
# 4. reads in the kernel: Landlock grants belong to inodes.  A hard link
#    of a denied file that is an entry of a listed directory (~) is
#    granted, and so is the denied name; a bind mount of ~ as an entry of
#    a listed directory grants ~ itself, every secret beneath included.
echo NETRC-CANARY >"$HOME/.netrc"
ln "$HOME/.netrc" "$HOME/netrc.orig"
pt_run -- cat "$HOME/.netrc"
pt_nogrep "~/.netrc stays unreadable when ~/netrc.orig is a hard link of it" \
	"$PT_OUT" NETRC-CANARY
rm -f "$HOME/netrc.orig" "$HOME/.netrc"
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1; then
	mkdir -p "$HOME/.ssh" "$T/homebind" && echo SSH-CANARY >"$HOME/.ssh/id_rsa"
	timeout 40 unshare -m sh -c 'mount --make-rprivate / &&
		mount --bind "$HOME" "$1" && "$PROCTOR" run --no-log -- cat "$HOME/.ssh/id_rsa"' \
		sh "$T/homebind" </dev/null >"$PT_OUT" 2>"$PT_ERR"
	pt_nogrep "~/.ssh stays unreadable when ~ is also bind-mounted beside it" \
		"$PT_OUT" SSH-CANARY
else
	pt_skip "a bind mount of ~" "needs root and unshare"
fi
# A long argv that nobody changes runs (it is compared, not refused).
pt_run -- sh -c '/bin/echo $(seq 1 3000) | wc -c'
pt_grep "a command line longer than proctor keeps runs" "$PT_OUT" '^13893$'

# A file a read rule denies does not move out of its rule's reach with a
# directory above it (renamed, it would be read under another name);
# nor one a read question asks about.
mkdir -p "$WS/sub/deeper"
echo PRIVATE >"$WS/sub/deeper/private.txt"
for m in "" --log-reads; do
	pt_run $m --deny-read "$WS/sub/deeper/private.txt" -- sh -c \
		'mv sub sub2; cat sub2/deeper/private.txt sub/deeper/private.txt'
	pt_nogrep "a read-denied file's directory does not move ${m:-(default)}" \
		"$PT_OUT" PRIVATE
	pt_check "... it is where it was" test -f "$WS/sub/deeper/private.txt"
done
pt_grep "... said so, without a flag that would not lift it" "$PT_ERR" \
	"^proctor: denied moving $WS/sub by mv .*: it holds what rule --deny-read .* names, which stays where it is; move what is inside it instead$"

printf '{"files": {"read": {"ask": ["%s"]}}}\n' "$WS/sub/deeper/private.txt" \
	>"$T/read-ask.json"
pt_run --policy "$T/read-ask.json" -- sh -c \
	'mv sub/deeper sub/d2; cat sub/d2/private.txt sub/deeper/private.txt'
pt_nogrep "nor one a read question asks about" "$PT_OUT" PRIVATE
mkdir -p "$WS/sec"
echo TOPSECRET >"$WS/sec/a.key"
pt_run --deny-read "$WS/sec/*.key" -- sh -c 'mv sec s2; cat s2/a.key'
pt_nogrep "nor the directory a rule ending in a wildcard names files of" \
	"$PT_OUT" TOPSECRET
mkdir -p "$WS/plain/sub"
pt_run --deny-read "$WS/**/*.key" -- mv plain plain2
pt_status "a rule that matches at any depth (**/*.key) lets a directory move within its reach" 0
mkdir -p "$WS/deep/sub"
echo DEEPSECRET >"$WS/deep/sub/a.key"
pt_run --deny-read "$WS/deep/**/*.key" -- sh -c 'mv deep/sub moved; cat moved/a.key'
pt_nogrep "... but not out of it" "$PT_OUT" DEEPSECRET

# A virtual console's screen (/dev/vcs1: what is typed and shown there)
# is somebody's session, like another window's pty: refused by default,
# whoever judges reads.
if [ "$(id -u)" = 0 ] && [ -c /dev/vcs1 ]; then
	for m in "" --log-reads; do
		pt_run $m -- sh -c 'head -c 1 /dev/vcs1 >/dev/null'
		pt_isnt "a virtual console's screen is refused ${m:-(default)}" \
			"$PT_RC" 0
	done
else
	pt_skip "a virtual console's screen" "needs root and /dev/vcs1"
fi

pt_done
