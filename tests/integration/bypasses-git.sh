#!/bin/bash
# Ways around the protections found by review (issue 3); all closed:
#  1. .git/commondir written into the workspace's .git points git at a
#     directory the run made: its config (core.fsmonitor) and hooks run
#     at the user's next git command; so does .git/config.worktree when
#     extensions.worktreeConfig is on;
#  2. a directory two levels above a nested repository's .git moves
#     (rules_denied_beneath asks only right under the moved directory);
#  3. .git/modules moves (the modules/**/hooks entry is asked only at
#     .git/modules/X/hooks);
#  4. a submodule's (or linked worktree's) .git file is rewritten to
#     "gitdir: " a copy the run made (a .git file that existed before
#     the run is now protected);
#  5. reads in the kernel: ~ a bind mount of a directory that is itself
#     an entry of a listed directory; a listed directory that is a bind
#     of an ancestor of ~ (a rule's path through a bind now keeps reads
#     with proctor);
#  6. a long judged argv against a short loaded one: the loaded argv's
#     last word is never compared, so a grant for "cat SAFE" reaches
#     "cat c";
#  7. a script's long argv is not compared (a grant is then refused); a grant on
#     a script by path reaches another script through a symlink flipped
#     between the judgement and the interpreter's open (a script named
#     through a directory the run may change now gets no grant);
#  8. as root, the block device holding ~ is read whole.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

mark=$T/out/ran
hook='#!/bin/sh
echo ran >>'"$mark"'
'
fsmon="echo ran >>$mark; false"

# ---- 1. .git/commondir
git init -q "$WS/r1" && git -C "$WS/r1" commit -q --allow-empty -m init
pt_run -- sh -c 'cd r1 && cp -a .git ../evil1 &&
	git --git-dir=../evil1 config core.fsmonitor "$1" &&
	echo "$PWD/../evil1" >.git/commondir' sh "$fsmon"
rm -f "$mark"
git -C "$WS/r1" status >/dev/null 2>&1
pt_absent "a .git/commondir the run wrote does not give the user's git the run's config" "$mark"
rm -rf "$WS/r1" "$WS/evil1"
# ... and .git/config.worktree, which git reads when the repository has
# extensions.worktreeConfig (set by the user, or by git sparse-checkout)
git init -q "$WS/r1" && git -C "$WS/r1" commit -q --allow-empty -m init &&
	git -C "$WS/r1" config extensions.worktreeConfig true
pt_run -- sh -c 'git config -f r1/.git/config.worktree core.fsmonitor "$1"' sh "$fsmon"
rm -f "$mark"
git -C "$WS/r1" status >/dev/null 2>&1
pt_absent "a .git/config.worktree the run wrote does not give the user's git the run's config" "$mark"
rm -rf "$WS/r1"

# ---- 2. the parent of a nested repository's parent
mkdir -p "$WS/sub" && git init -q "$WS/sub/repo" &&
	git -C "$WS/sub/repo" commit -q --allow-empty -m init
pt_run -- sh -c 'mv sub sub.old && mkdir sub && cp -a sub.old/repo sub/repo &&
	git -C sub/repo config core.fsmonitor "$1"' sh "$fsmon"
rm -f "$mark"
git -C "$WS/sub/repo" status >/dev/null 2>&1
pt_absent "a directory two levels above a nested .git does not move (its config stays the user's)" "$mark"
rm -rf "$WS/sub" "$WS/sub.old"

# ---- 3. .git/modules moved, and 4. a submodule's .git file rewritten
mkrepo() {
	rm -rf "$WS/r3" && git init -q "$WS/r3" &&
		git -C "$WS/r3" commit -q --allow-empty -m init &&
		mkdir -p "$WS/r3/.git/modules" &&
		git init -q --separate-git-dir "$WS/r3/.git/modules/sm" "$WS/r3/sm" &&
		git -C "$WS/r3/sm" commit -q --allow-empty -m sm
}
mkrepo
pt_run -- sh -c 'cd r3 && mv .git/modules .git/modules.old &&
	cp -a .git/modules.old .git/modules &&
	git -C sm config core.fsmonitor "$1"' sh "$fsmon"
rm -f "$mark"
git -C "$WS/r3/sm" status >/dev/null 2>&1
pt_absent ".git/modules does not move (a submodule's config stays the user's)" "$mark"
mkrepo
pt_run -- sh -c 'cd r3 && cp -a .git/modules/sm ../evil4 &&
	git config -f ../evil4/config --unset core.worktree;
	git config -f ../evil4/config core.fsmonitor "$1" &&
	echo "gitdir: $PWD/../evil4" >sm/.git' sh "$fsmon"
rm -f "$mark"
git -C "$WS/r3/sm" status >/dev/null 2>&1
pt_absent "a submodule's .git file is not pointed at a git directory the run made" "$mark"
rm -rf "$WS/r3" "$WS/evil4"

# ---- 5. reads in the kernel: aliases through mounts
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1; then
	mkdir -p "$T/real/.ssh" "$T/h2" && echo BIND-CANARY >"$T/real/.ssh/id_rsa"
	timeout 40 unshare -m sh -c 'mount --make-rprivate / &&
		mount --bind "$1" "$2" &&
		HOME=$2 "$PROCTOR" run --no-log -- cat "$2/.ssh/id_rsa"' \
		sh "$T/real" "$T/h2" </dev/null >"$PT_OUT" 2>"$PT_ERR"
	pt_nogrep "~/.ssh stays unreadable when ~ is a bind of a directory beside it" \
		"$PT_OUT" BIND-CANARY
	mkdir -p "$HOME/.ssh" "$HOME/.config" && echo LOOP-CANARY >"$HOME/.ssh/id_rsa"
	timeout 40 unshare -m sh -c 'mount --make-rprivate / &&
		mount --bind "$1" "$HOME/.config" &&
		"$PROCTOR" run --no-log -- cat "$HOME/.ssh/id_rsa"' \
		sh "$(dirname "$HOME")" </dev/null >"$PT_OUT" 2>"$PT_ERR"
	pt_nogrep "~/.ssh stays unreadable when ~/.config is a bind of ~'s parent" \
		"$PT_OUT" LOOP-CANARY
else
	pt_skip "reads in the kernel through bind mounts" "needs root and unshare"
fi

# ---- 6 and 7. grants for another command line
if command -v cc >/dev/null 2>&1; then
	mkdir -p "$HOME/.aws" && echo AWS-CANARY >"$HOME/.aws/credentials"
	cc -O1 -pthread -o "$WS/race" "$PT_TESTS/lib/argv-race.c"
	ln -s "$HOME/.aws/credentials" "$WS/c"
	echo '{"exec": {"allow": [{"pattern": ["cat", "SAFE"], "grant": {"read": ["~/.aws"]}}]}}' >"$T/g1.json"
	PT_TIMEOUT=120 pt_run --quiet --policy "$T/g1.json" -- ./race /bin/cat SAFE c short
	pt_nogrep "a grant for 'cat SAFE' never reaches 'cat c' (long judged argv, short loaded)" \
		"$PT_OUT" AWS-CANARY
	mkdir -p "$T/bin"
	printf '#!/bin/sh\n[ "$1" = status ] && exit 0\ncat "$HOME/.aws/credentials"\n' >"$T/bin/tool"
	chmod 755 "$T/bin/tool" "$T/bin"
	echo '{"exec": {"allow": [{"pattern": ["'"$T"'/bin/tool", "status"], "grant": {"read": ["~/.aws"]}}]}}' >"$T/g2.json"
	PT_TIMEOUT=120 pt_run --quiet --policy "$T/g2.json" -- ./race "$T/bin/tool" status other
	pt_nogrep "a grant for 'tool status' (a script) never reaches 'tool other' (long argv)" \
		"$PT_OUT" AWS-CANARY
	# The interpreter opens a granted script again by the name given to
	# exec: a name through a directory the run may change (here a link
	# in the workspace, which could be flipped to another script between
	# the check and that open) gets no grant.
	ln -s "$T/bin/tool" "$WS/tool-link"
	echo '{"exec": {"allow": [{"pattern": ["'"$T"'/bin/tool", "show"], "grant": {"read": ["~/.aws"]}}]}}' >"$T/g3.json"
	pt_run --policy "$T/g3.json" -- "$WS/tool-link" show
	pt_nogrep "a grant on a script named through a link the run can flip is withheld" \
		"$PT_OUT" AWS-CANARY
	pt_grep "and stderr says why" "$PT_ERR" \
		"runs without the grant of exec.allow\[0\].grant: the script's name goes through $WS, which the run may change"
	mkdir -p "$WS/d" && ln -s "$T/bin" "$WS/d/bin"
	pt_run --policy "$T/g3.json" -- sh -c 'cd d && exec bin/tool show'
	pt_nogrep "so is one named relative to a directory the run may write" \
		"$PT_OUT" AWS-CANARY
	pt_run --policy "$T/g3.json" -- "$T/bin/tool" show
	pt_grep "the same script by a fixed name gets its grant" "$PT_OUT" AWS-CANARY
	# The kernel and the interpreter may also find the script by another
	# name than the one judged: a relative name read from a cwd another
	# process shares (CLONE_FS) and moves once the exec is done, or a path
	# a thread rewrites after the check.  "safe" is granted and harmless;
	# the workspace's "safe" reads the canary.
	printf '#!/bin/sh\necho SAFE\n' >"$T/bin/safe"
	printf '#!/bin/sh\ncat "$HOME/.aws/credentials"\n' >"$WS/safe"
	chmod 755 "$T/bin/safe" "$WS/safe"
	cc -O1 -pthread -o "$WS/srace" "$PT_TESTS/lib/script-race.c"
	echo '{"exec": {"allow": [{"pattern": ["'"$T"'/bin/safe", "show"], "grant": {"read": ["~/.aws"]}}]}}' >"$T/g4.json"
	pt_run --policy "$T/g4.json" -- ./srace fs "$T/bin" "$WS" safe show
	pt_nogrep "a script named relative to a cwd another process moves gets no grant" \
		"$PT_OUT" AWS-CANARY
	PT_TIMEOUT=120 pt_run --quiet --policy "$T/g4.json" -- \
		./srace flip "$T/bin/safe" "$WS/safe" 200 show
	pt_nogrep "a script path flipped by a thread after the check gets no grant" \
		"$PT_OUT" AWS-CANARY
	pt_grep "while the one judged still runs" "$PT_OUT" SAFE
	# A granted program the policy lets the run write is the run's code
	# by the time it runs: no grant.
	cp "$T/bin/tool" "$T/bin/tool2"
	echo '{"exec": {"allow": [{"pattern": ["'"$T"'/bin/tool2", "show"], "grant": {"read": ["~/.aws"]}}]}}' >"$T/g5.json"
	pt_run --policy "$T/g5.json" --allow-write "$T/bin/tool2" -- "$T/bin/tool2" show
	pt_nogrep "a granted script the run may write gets no grant" "$PT_OUT" AWS-CANARY
	pt_grep "and stderr says why" "$PT_ERR" "the run may write $T/bin/tool2"
	cp /bin/cat "$T/bin/cat2"
	echo '{"exec": {"allow": [{"pattern": ["'"$T"'/bin/cat2"], "grant": {"read": ["~/.aws"]}}]}}' >"$T/g6.json"
	pt_run --policy "$T/g6.json" -- "$T/bin/cat2" "$HOME/.aws/credentials"
	pt_grep "a granted binary gets its grant" "$PT_OUT" AWS-CANARY
	pt_run --policy "$T/g6.json" --allow-write "$T/bin/cat2" -- "$T/bin/cat2" "$HOME/.aws/credentials"
	pt_nogrep "but not when the run may write it" "$PT_OUT" AWS-CANARY
else
	pt_skip "grants for another command line" "needs cc"
fi

# ---- 8. as root, the block device that holds ~ reads (no capability is
#    needed to read a device node root owns; only path rules stand)
if [ "$(id -u)" = 0 ] && command -v losetup >/dev/null 2>&1 &&
	command -v mkfs.ext4 >/dev/null 2>&1; then
	truncate -s 8M "$T/img" && mkfs.ext4 -q -F "$T/img" && mkdir -p "$T/lh"
	timeout 60 unshare -m sh -c 'mount --make-rprivate / &&
		dev=$(losetup -f --show "$1") || exit 1
		mount "$dev" "$2" && mkdir -p "$2/.ssh" &&
		echo RAWDEV-CANARY >"$2/.ssh/id_rsa" && sync &&
		HOME=$2 "$PROCTOR" run --no-log -- grep -a -c RAWDEV-CANARY "$dev"
		umount "$2"; losetup -d "$dev"' sh "$T/img" "$T/lh" \
		</dev/null >"$PT_OUT" 2>"$PT_ERR"
	pt_nogrep "as root, ~/.ssh does not read through the block device under it" \
		"$PT_OUT" '^[1-9]'
else
	pt_skip "the block device under ~" "needs root, losetup and mkfs.ext4"
fi

pt_done
