#!/bin/bash
# Learning, after review (#7): -o refuses a target that is not a regular
# file; a learned directory never overrides a copied protection beneath
# it; secrets wait for review whatever --base says; the learned policy is
# out of the run's reach; --permissive learns a change under a create
# directory for review.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

learn() {
	_out=$1
	shift
	timeout -k 5 "$PT_TIMEOUT" "$PROCTOR" learn -q -o "$_out" "$@" \
		</dev/null >"$PT_OUT" 2>"$PT_ERR"
	PT_RC=$?
}

# ---- -o: a regular file or a new name, nothing else --------------------------
o=$T/o
mkdir -p "$o"
mkfifo "$o/fifo"
echo target >"$o/target"
ln -s "$o/target" "$o/link"
learn "$o/fifo" -- true
pt_status "learn -o FIFO is refused" 125
pt_grep "-o FIFO: says it is a FIFO" "$PT_ERR" "is a FIFO, not a regular file"
pt_check "-o FIFO: the FIFO stays a FIFO" test -p "$o/fifo"
learn "$o/link" -- true
pt_status "learn -o SYMLINK is refused" 125
pt_grep "-o SYMLINK: says it is a symbolic link" "$PT_ERR" "symbolic link"
pt_check "-o SYMLINK: the link stays a link" test -L "$o/link"
pt_is "-o SYMLINK: its target is unchanged" "$(cat "$o/target")" target
learn "$o/" -- true
pt_status "learn -o DIR/ is refused" 125
pt_grep "-o DIR/: says it names a directory" "$PT_ERR" "names a directory"
learn "$o" -- true
pt_status "learn -o DIR is refused" 125
pt_grep "-o DIR: says it is a directory" "$PT_ERR" "is a directory"
learn "$o/missing/p.json" -- touch "$WS/ran"
pt_status "learn -o in a missing directory is refused" 125
pt_grep "... before the run, saying where" "$PT_ERR" \
	"cannot make it in $o/missing: No such file or directory"
pt_absent "... and the command did not run" "$WS/ran"
learn "$o/target" -- true
pt_status "learn -o FILE replaces a regular file" 0
pt_grep "-o FILE: the policy is written" "$o/target" '"builtin": false'
pt_proctor learn --from "$PT_TESTS/golden/learn/run.jsonl" -o "$o/fifo"
pt_status "learn --from LOG -o FIFO is refused" 125
pt_check "learn --from -o FIFO: the FIFO stays" test -p "$o/fifo"

# ---- a learned directory never beats a protection beneath it ----------------
# plant.sh is learned doing one thing, then run (under the learned policy)
# doing another: what the base protects beneath the learned directory
# stays denied.
if pt_need "learned directory and protections" git; then
	cat >plant.sh <<'SH'
git init -q repo && cd repo &&
for i in 1 2 3 4 5 6 7 8 9; do echo $i >f$i; done &&
git add . && git commit -qm one && git branch b && git log --oneline
SH
	learn "$T/git.json" -- sh plant.sh
	pt_status "learn the git workflow" 0
	pt_grep "the git workflow learned \$WORKSPACE/repo" "$T/git.json" \
		'"pattern": "\$WORKSPACE/repo",'
	pt_grep "the hooks protection is copied beneath it" "$T/git.json" \
		'"pattern": "\$WORKSPACE/repo/\*\*/.git/hooks"'
	cat >plant.sh <<'SH'
echo evil >repo/.git/hooks/post-commit; echo '[evil]' >>repo/.git/config
echo ok >>repo/f1
SH
	pt_run --policy "$T/git.json" -- sh plant.sh
	pt_absent "learned repo: .git/hooks/post-commit is not planted" \
		"$WS/repo/.git/hooks/post-commit"
	pt_nogrep "learned repo: .git/config is not changed" \
		"$WS/repo/.git/config" evil
	pt_grep "learned repo: its files are writable" "$WS/repo/f1" ok
fi

m=$WS/.git/modules/lib
mkdir -p "$m/hooks"
for i in 1 2 3 4 5 6 7 8 9; do echo $i >"$m/o$i"; done
cat >mod.sh <<'SH'
for f in .git/modules/lib/o*; do echo x >>"$f"; done
SH
learn "$T/mod.json" -- sh mod.sh
pt_status "learn writes under .git/modules/lib" 0
pt_grep "writes collapse to \$WORKSPACE/.git/modules/lib" "$T/mod.json" \
	'"pattern": "\$WORKSPACE/.git/modules/lib",'
cat >mod.sh <<'SH'
echo evil >.git/modules/lib/hooks/post-checkout
echo y >>.git/modules/lib/o1
SH
pt_run --policy "$T/mod.json" -- sh mod.sh
pt_absent "learned .git/modules/lib: hooks/post-checkout is not planted" \
	"$m/hooks/post-checkout"
pt_grep "learned .git/modules/lib: its files are writable" "$m/o1" y

mkdir -p certs
for i in 1 2 3 4 5 6 7 8 9; do echo "c$i" >"certs/c$i.txt"; done
echo PRIVATE >certs/server.pem
echo '{"files":{"read":{"deny":["$WORKSPACE/**/*.pem"]}}}' >"$T/pem.json"
cat >certs.sh <<'SH'
cat certs/*.txt
SH
learn "$T/certs.json" --base "$T/pem.json" -- sh certs.sh
pt_status "learn reads of certs/*.txt" 0
pt_grep "reads collapse to \$WORKSPACE/certs" "$T/certs.json" \
	'"pattern": "\$WORKSPACE/certs",'
echo 'cat certs/server.pem' >certs.sh
pt_run --policy "$T/certs.json" -- sh certs.sh
pt_nogrep "learned certs: the --base deny of *.pem holds" "$PT_OUT" PRIVATE
echo 'cat certs/c1.txt' >certs.sh
pt_run --policy "$T/certs.json" -- sh certs.sh
pt_grep "learned certs: the .txt files are readable" "$PT_OUT" c1

# ---- secrets wait for review whatever --base says ---------------------------
mkdir -p "$HOME/.aws" "$HOME/.ssh"
echo AWSKEY >"$HOME/.aws/credentials"
echo SSHKEY >"$HOME/.ssh/id_rsa"
# held: the entry for PATTERN waits for review
held() {
	if grep -F "\"pattern\": \"$2\"" "$3" | grep -q '"review": true'; then
		pt_ok "$1"
	else
		pt_fail "$1" "$2 is not held for review in $3"
		grep -F "$2" "$3" | sed 's/^/# /'
	fi
}
echo '{"files":{"read":{"allow":["~/.aws/credentials","~/.ssh/id_rsa"]}}}' \
	>"$T/letin.json"
learn "$T/sec.json" --base "$T/letin.json" -- \
	cat "$HOME/.aws/credentials" "$HOME/.ssh/id_rsa"
pt_status "learn with a --base that allows secrets" 0
held "--base allows ~/.aws/credentials: still held for review" \
	"~/.aws/credentials" "$T/sec.json"
held "--base allows ~/.ssh/id_rsa: still held for review" \
	"~/.ssh/id_rsa" "$T/sec.json"

echo '{"builtin": false, "files":{"read":{"default":"allow"}}, "exec":{"default":"allow"}}' \
	>"$T/nobuiltin.json"
learn "$T/nob.json" --base "$T/nobuiltin.json" -- cat "$HOME/.ssh/id_rsa"
pt_status "learn with a --base without the built-in policy" 0
held "\"builtin\": false base: ~/.ssh/id_rsa held for review" \
	"~/.ssh/id_rsa" "$T/nob.json"
pt_grep "\"builtin\": false base: the ~/.ssh denial is kept" "$T/nob.json" \
	'"pattern": "~/.ssh", "why": "kept'

# the user's own read denials are secrets too
mkdir -p "$HOME/private" "$XDG_CONFIG_HOME/proctor"
echo MINE >"$HOME/private/x"
echo '{"files":{"read":{"deny":["~/private"]}}}' \
	>"$XDG_CONFIG_HOME/proctor/policy.json"
echo '{"files":{"read":{"allow":["~/private/x"]}}}' >"$T/letx.json"
learn "$T/own.json" --base "$T/letx.json" -- cat "$HOME/private/x"
pt_status "learn with your own denial and a --base allow" 0
held "your policy.json denies ~/private: ~/private/x held for review" \
	"~/private/x" "$T/own.json"
rm -f "$XDG_CONFIG_HOME/proctor/policy.json"

# a log recorded with another home that read this user's key
real_home=$(cd "$HOME" && pwd -P)
r='"run":"20260101T000000Z-7"'
{
	printf '{"time":"2026-01-01T00:00:01Z","v":1,"type":"run",%s,"seq":1,"proctor":"0.1.0","workspaces":["/w/ws"],"tmpdir":"/tmp/proctor-x","home":"/home/u"}\n' "$r"
	printf '{"time":"2026-01-01T00:00:02Z","v":1,"type":"decision",%s,"seq":2,"pid":5,"tid":5,"ppid":4,"comm":"cat","exe":"/usr/bin/cat","syscall":"openat","class":"read","path":"%s/.ssh/id_rsa","decision":"allow","rule":{"origin":"built-in","where":"files.read.default","pattern":"allow","default":true},"errno":0,"result":3}\n' "$r" "$real_home"
	printf '{"time":"2026-01-01T00:00:03Z","v":1,"type":"end",%s,"seq":3,"exit":0,"decisions":1,"denials":0}\n' "$r"
} >"$T/otherhome.jsonl"
pt_proctor learn --from "$T/otherhome.jsonl" -o "$T/oh.json"
pt_status "learn --from a log with another home" 0
held "another home: this user's ~/.ssh/id_rsa is held for review" \
	"$real_home/.ssh/id_rsa" "$T/oh.json"

# ---- the policy a run uses is out of its reach ------------------------------
cat >pol.json <<'J'
{"files": {"write": {"allow": ["$WORKSPACE"]}}}
J
cp pol.json "$T/pol.orig"
pt_run --policy pol.json -- sh -c 'echo "{}" >pol.json'
pt_is "--policy FILE in the workspace: the run cannot rewrite it" \
	"$(cat pol.json)" "$(cat "$T/pol.orig")"
pt_run --policy pol.json -- sh -c 'rm -f pol.json; echo "{}" >pol.json'
pt_is "--policy FILE: the run cannot remove and remake it" \
	"$(cat pol.json)" "$(cat "$T/pol.orig")"
pt_run --policy pol.json -- sh -c 'echo "{}" >new.json; mv -f new.json pol.json'
pt_is "--policy FILE: the run cannot rename over it" \
	"$(cat pol.json)" "$(cat "$T/pol.orig")"
pt_run --policy pol.json -- sh -c 'echo ok >other.txt'
pt_grep "--policy FILE: the rest of the workspace stays writable" \
	other.txt ok

timeout -k 5 "$PT_TIMEOUT" "$PROCTOR" learn -q -- true </dev/null \
	>"$PT_OUT" 2>"$PT_ERR"
pt_check "learn writes proctor-learned.json by default" \
	test -s proctor-learned.json
pt_nogrep "the default output: no note (the built-in protects it)" \
	"$PT_ERR" "later run may rewrite"
timeout -k 5 "$PT_TIMEOUT" "$PROCTOR" learn -o mine.json -- true </dev/null \
	>"$PT_OUT" 2>"$PT_ERR"
pt_grep "-o FILE in the workspace: a note says a run may rewrite it" \
	"$PT_ERR" "mine.json is in the workspace .*later run may rewrite it"
cp proctor-learned.json "$T/learned.orig"
pt_run -- sh -c 'echo "{}" >proctor-learned.json'
pt_is "a default run cannot rewrite proctor-learned.json" \
	"$(cat proctor-learned.json)" "$(cat "$T/learned.orig")"
pt_run --policy proctor-learned.json -- sh -c 'echo "{}" >proctor-learned.json'
pt_is "a run under proctor-learned.json cannot rewrite it" \
	"$(cat proctor-learned.json)" "$(cat "$T/learned.orig")"

# ---- --permissive: a change under a create directory ------------------------
pre=/tmp/proctor-learn-review.$$
echo pre >"$pre"
pt_cleanup_add "$pre" "$pre.new"
learn "$T/perm.json" --permissive -- \
	sh -c "echo x >>$pre; echo n >$pre.new; cat $HOME/.ssh/id_rsa >/dev/null"
pt_status "learn --permissive a change to a file in /tmp" 0
held "--permissive: a change to a file that was in /tmp waits for review" \
	"$pre" "$T/perm.json"
pt_grep "--permissive: its why says it was there before" "$T/perm.json" \
	"it was there before the run"
pt_grep "--permissive: a new file in /tmp is learned as the create rule" \
	"$T/perm.json" '"create": \['
pt_nogrep "--permissive: no \"was denied\" when nothing was" "$T/perm.json" \
	"was denied"

# ---- a learned removal round-trips (the floor lets it remove) ---------------
mkdir -p rmt/repo
cd rmt || exit 1
echo old >old.log
for i in 1 2 3 4 5 6 7 8 9; do mkdir -p "repo/d$i" && echo $i >"repo/d$i/f"; done
learn "$T/rm.json" -- sh -c 'rm old.log && rm -rf repo'
pt_status "learn rm of a file and rm -rf of a tree" 0
echo old >old.log
mkdir -p repo/d1 && echo 1 >repo/d1/f
pt_run --policy "$T/rm.json" -- sh -c 'rm old.log && rm -rf repo'
pt_status "the learned rm round-trips" 0
pt_absent "the learned rm removed the file" "$WS/rmt/old.log"
pt_absent "the learned rm -rf removed the tree" "$WS/rmt/repo"
pt_is "the learned rm: no denial" \
	"$(pt_count_decisions "$PT_LOG" decision deny)" 0
cd "$WS" || exit 1

# ---- a learned rename to another directory round-trips (Landlock REFER) --------
mkdir -p "$WS/mvx/a" "$WS/mvx/b"
cd "$WS/mvx" || exit 1
: >a/f
learn "$T/mv.json" -- mv a/f b/f
rm -f b/f
: >a/f
pt_run --policy "$T/mv.json" -- mv a/f b/f
pt_status "a learned mv from one directory to another round-trips" 0
pt_check "and the file moved" test -e b/f
cd "$WS" || exit 1

# ---- writes in ~ stay file by file: ~/.config never becomes a write entry -------
echo '{"files":{"write":{"allow":["~"]}}}' >"$T/home-w.json"
learn "$T/cfgw.json" --base "$T/home-w.json" -- sh -c \
	'for i in 1 2 3 4 5 6 7 8 9; do mkdir -p ~/.config/d$i; echo x >~/.config/d$i/x; done'
pt_status "learn writes in ~/.config" 0
pt_nogrep "~/.config written in 9 places is not learned as one write entry" \
	"$T/cfgw.json" '"pattern": "~/.config", "events"'
pt_grep "its files are learned one by one" "$T/cfgw.json" \
	'"pattern": "~/.config/d9/x"'

# ---- the directory of a run's policy file cannot be moved away ------------------
mkdir -p "$WS/polmv/pol"
echo '{"files":{"write":{"allow":["$WORKSPACE"]}}}' >"$WS/polmv/pol/p.json"
cd "$WS/polmv" || exit 1
pt_run --policy pol/p.json -- sh -c \
	'mv pol pol.old && mkdir pol && echo "{}" >pol/p.json'
pt_isnt "renaming the directory of the run's --policy file fails" "$PT_RC" 0
pt_grep "and says why" "$PT_ERR" "proctor's own files"
pt_is "the policy file is where it was, as it was" \
	"$(cat pol/p.json)" '{"files":{"write":{"allow":["$WORKSPACE"]}}}'
cd "$WS" || exit 1

# ---- --permissive: a new file in a /tmp directory the run did not make ---------
pre=$(mktemp -d /tmp/pt-pre.XXXXXX)
pt_cleanup_add "$pre"
mkdir -p "$pre/sub"
learn "$T/made.json" --permissive -- sh -c \
	"echo >$pre/sub/nf; mkdir $pre/new; echo >$pre/new/f"
pt_status "learn --permissive makes files under /tmp" 0
held "--permissive: a file made in a directory the run did not make waits" \
	"$pre/sub/nf" "$T/made.json"
pt_nogrep "--permissive: a file in a directory the run made needs no entry" \
	"$T/made.json" "\"pattern\": \"$pre/new/f\""

# ---- --permissive: a socket, FIFO or symlink where only a create rule allows ----
# the learned policy would refuse it (a create entry makes files and
# directories): it waits for review, with why; a file there does not
learn "$T/special.json" --permissive -- sh -c \
	"mkdir $pre/sp && mkfifo $pre/sp/fifo && ln -s x $pre/sp/link &&
	python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind(\"$pre/sp/sock\")' &&
	echo >$pre/sp/file"
pt_status "learn --permissive makes a FIFO, a symlink and a socket under /tmp" 0
for what in fifo link sock; do
	held "--permissive: a $what where only a create rule allows waits" \
		"$pre/sp/$what" "$T/special.json"
done
pt_grep "... saying why" "$T/special.json" \
	"a symlink, FIFO or socket .or a directory moved in that may hold them"
pt_nogrep "--permissive: a file beside them needs no entry" "$T/special.json" \
	"\"pattern\": \"$pre/sp/file\""
# ... and so does one made in TMPDIR and renamed or linked in
learn "$T/moved.json" --permissive -- sh -c \
	"mkdir $pre/mv && ln -s x \$TMPDIR/l && mkfifo \$TMPDIR/f &&
	echo >\$TMPDIR/r && mv \$TMPDIR/l $pre/mv/link &&
	ln \$TMPDIR/f $pre/mv/fifo && mv \$TMPDIR/r $pre/mv/file &&
	mkdir \$TMPDIR/d && mv \$TMPDIR/d $pre/mv/dir &&
	mkdir $pre/mv/here && mv $pre/mv/here $pre/mv/there"
pt_status "learn --permissive renames and links them in" 0
for what in fifo link dir; do
	held "--permissive: a $what renamed or linked in waits" \
		"$pre/mv/$what" "$T/moved.json"
done
pt_nogrep "--permissive: a file renamed in needs no entry" "$T/moved.json" \
	"\"pattern\": \"$pre/mv/file\""
pt_nogrep "--permissive: a directory moved within /tmp needs no entry" \
	"$T/moved.json" "\"pattern\": \"$pre/mv/there\""

# ---- --permissive: the user's own policy.json is part of the base --------------
mkdir -p "$XDG_CONFIG_HOME/proctor" "$WS/perm"
cd "$WS/perm" || exit 1
echo '{"files":{"write":{"deny":["$WORKSPACE/mine"]}},"exec":{"deny":[["touch"]]}}' \
	>"$XDG_CONFIG_HOME/proctor/policy.json"
learn "$T/perm2.json" --permissive -- sh -c 'mkdir -p mine; echo >mine/x; touch y'
pt_status "learn --permissive with a policy.json that denies" 0
held "--permissive: a write policy.json denies waits for review" \
	'$WORKSPACE/mine/x' "$T/perm2.json"
if grep -F '"touch", "y"' "$T/perm2.json" | grep -q '"review": true'; then
	pt_ok "--permissive: an exec policy.json denies waits for review"
else
	pt_fail "--permissive: an exec policy.json denies waits for review"
fi
rm -f "$XDG_CONFIG_HOME/proctor/policy.json"
cd "$WS" || exit 1

# an allowed write that fails is said, not left silent
if [ "$(id -u)" != 0 ]; then
	echo ro >ro.txt
	chmod 444 ro.txt
	pt_run -- sh -c 'echo x >>ro.txt'
	pt_grep "an allowed write that fails with EACCES is explained" \
		"$PT_ERR" "the policy allowed writing .*ro.txt, but the call failed"
else
	pt_skip "an allowed write that fails is explained" "root bypasses modes"
fi

pt_done
