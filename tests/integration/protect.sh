#!/bin/bash
# What outlives the run stays out of its reach: other people's
# directories in /tmp, the git directories of nested repositories and
# submodules, proctor's own config and state wherever XDG_* puts them,
# and the log file however --log names it.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

# /tmp: new files at its top and in what the run made; not in another
# checkout that happens to live there.
victim=$(mktemp -d /tmp/pt-victim.XXXXXX)
pt_cleanup_add "$victim"
mkdir -p "$victim/.git/hooks"
pt_run -- sh -c "echo evil >'$victim/.git/hooks/pre-commit'"
pt_isnt "no new file in another directory under /tmp" "$PT_RC" 0
pt_absent "the other checkout's hook was not planted" \
	"$victim/.git/hooks/pre-commit"
pt_run -- sh -c 'd=$(mktemp -d /tmp/pt-own.XXXXXX) && mkdir "$d/sub" &&
	echo x >"$d/sub/f" && cat "$d/sub/f" && rm -rf "$d"'
pt_status "a directory the run made in /tmp is its own" 0

# Nested repositories and submodules: their hooks and config too.
pt_run -- sh -c 'git init -q inner && echo ok'
pt_status "a repository made by the run" 0
git -C "$WS" init -q vendored
pt_run -- sh -c 'echo evil >vendored/.git/hooks/post-checkout'
pt_isnt "a nested repository's hooks are protected" "$PT_RC" 0
pt_run -- git -C vendored config core.fsmonitor "touch $CANARY/fsmon"
pt_isnt "a nested repository's config is protected" "$PT_RC" 0
mkdir -p "$WS/.git/modules/sub/hooks"
pt_run -- sh -c 'echo evil >.git/modules/sub/hooks/pre-commit'
pt_isnt "a submodule's hooks under .git/modules are protected" "$PT_RC" 0
pt_run -- sh -c 'git init -q inner2 && git -C inner2 config user.name x &&
	echo "#!/bin/sh" >inner2/.git/hooks/pre-commit'
pt_status "a repository the run makes stays writable to that run" 0

# proctor's config and state, wherever XDG_* says they are.
mkdir -p "$XDG_CONFIG_HOME/proctor"
echo '{}' >"$XDG_CONFIG_HOME/proctor/policy.json"
pt_run -- sh -c 'cat "$XDG_CONFIG_HOME/proctor/log.key" >/dev/null'
pt_isnt "the log key is unreadable" "$PT_RC" 0
pt_run -- sh -c 'echo "{\"files\":{\"write\":{\"default\":\"allow\"}}}" \
	>"$XDG_CONFIG_HOME/proctor/policy.json"'
pt_is "the user's policy cannot be rewritten" \
	"$(cat "$XDG_CONFIG_HOME/proctor/policy.json")" '{}'
pt_run -- sh -c 'ls "$XDG_STATE_HOME/proctor/runs"'
pt_isnt "the logs are unreadable" "$PT_RC" 0

# --log never follows a link, and never writes where the run could.
ln -s "$CANARY/target" "$WS/link.jsonl"
"$PROCTOR" run --log "$WS/link.jsonl" -- true </dev/null >/dev/null \
	2>"$T/err.txt"
pt_is "a --log that is a symlink is refused" "$?" 125
pt_absent "nothing was written through it" "$CANARY/target"
pt_run --log "$WS/own.jsonl" -- sh -c 'echo junk >>own.jsonl'
pt_isnt "the run cannot write its own log" "$PT_RC" 0

# A log file holding several runs is one chain: dropping a run shows.
rm -f "$T/multi.jsonl"
for i in 1 2 3; do
	"$PROCTOR" run --quiet --log "$T/multi.jsonl" -- true </dev/null
done
"$PROCTOR" log verify "$T/multi.jsonl" >/dev/null 2>&1
pt_is "three runs in one log verify" "$?" 0
"$PT_PY" - "$T/multi.jsonl" "$T/dropped.jsonl" <<'PY'
import json, sys
runs = []
for line in open(sys.argv[1]):
    if json.loads(line)["type"] == "run":
        runs.append([])
    runs[-1].append(line)
open(sys.argv[2], "w").write("".join(runs[0] + runs[2]))
PY
"$PROCTOR" log verify "$T/dropped.jsonl" >"$T/v.txt" 2>&1
pt_is "a whole run removed is caught" "$?" 1

# Names as they are: "[" and "*" in the name of a policy file or a
# workspace are characters, not globs (p[1].json is not p1.json).
echo '{}' >"$WS/p[1].json"
pt_run --policy "$WS/p[1].json" -- sh -c 'echo hacked >"p[1].json"'
pt_is "a policy file with glob characters in its name cannot be rewritten" \
	"$(cat "$WS/p[1].json")" '{}'
mkdir -p "$T/ws[1]" "$T/ws1"
pt_run --workspace "$T/ws[1]" -- sh -c "echo a >'$T/ws[1]/f'"
pt_status "a workspace with glob characters in its name is writable" 0
pt_run --workspace "$T/ws[1]" -- sh -c "echo b >'$T/ws1/f'"
pt_isnt "and its glob-matching sibling is not" "$PT_RC" 0
pt_absent "nothing was written there" "$T/ws1/f"

# Making a name that exists is EEXIST, as without proctor.
pt_run -- python3 -c '
import os
try:
    os.mkdir("/usr")
except FileExistsError:
    print("EEXIST")'
pt_grep "mkdir of an existing outside directory is EEXIST" "$PT_OUT" \
	'^EEXIST$'
pt_nogrep "and no denial is reported for it" "$PT_ERR" 'denied'

pt_done
