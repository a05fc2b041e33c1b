#!/bin/bash
# Learning mode: `proctor learn` runs a C build, a python script that
# reads its config and writes output, and a git workflow; each learned
# policy passes `policy check`, lets the same work run again with no
# denial, and denies a variant that does one thing more.  Secrets are
# never learned as an allow; --permissive says it runs unconfined;
# `policy diff` shows what a second run adds; a damaged log is refused
# with its file and line, a cut one learned and said.  The learned policy
# stands in place of the built-in one (one more write in the workspace is
# denied; its protections are kept); a listed directory is learned alone;
# names that are not UTF-8 wait for review; -o - is the policy alone;
# many paths and many waiting execs.  Two hosts in a network namespace of
# the test's own (root only) round-trip too.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

# learn OUT [LEARN-OPTION]... -- CMD...: `proctor learn`, captured as
# pt_run captures.
learn() {
	_out=$1
	shift
	timeout -k 5 "$PT_TIMEOUT" "$PROCTOR" learn -o "$_out" "$@" \
		</dev/null >"$PT_OUT" 2>"$PT_ERR"
	PT_RC=$?
}

# no_denials NAME: the last pt_run denied nothing, in its log and on
# stderr.
no_denials() {
	_n=$(pt_count_decisions "$PT_LOG" decision deny)
	_a=$(pt_count_decisions "$PT_LOG" decision ask-denied)
	if [ "$_n" = 0 ] && [ "$_a" = 0 ]; then
		pt_ok "$1"
	else
		pt_fail "$1" "$_n denied, $_a ask-denied"
		grep '"decision":"deny' "$PT_LOG" | head -n 5 | cut -c1-400 |
			sed 's/^/# /'
	fi
}

# policy_ok NAME FILE: `proctor policy check` accepts it.
policy_ok() {
	pt_proctor policy check "$2"
	pt_status "$1" 0
}

# reviews FILE: how many entries of FILE wait for review.
reviews() {
	grep -c '"review": true' "$1"
}

# ---- a C build --------------------------------------------------------------
if pt_need "learn a C build" make cc; then
	c=$T/cbuild
	mkdir -p "$c/src"
	cat >"$c/src/greet.h" <<'C'
const char *greeting(void);
C
	cat >"$c/src/greet.c" <<'C'
#include "greet.h"
const char *greeting(void) { return "hello"; }
C
	cat >"$c/src/main.c" <<'C'
#include <stdio.h>
#include "greet.h"
int main(void) { puts(greeting()); return 0; }
C
	cat >"$c/Makefile" <<'MK'
CFLAGS = -O2 -Isrc
OBJ = build/main.o build/greet.o
prog: $(OBJ)
	$(CC) -o $@ $(OBJ)
build/%.o: src/%.c src/greet.h | build
	$(CC) $(CFLAGS) -c -o $@ $<
build:
	mkdir -p build
clean:
	rm -rf build prog
MK
	cd "$c" || exit 1
	learn "$T/c.json" -w "$c" -- make -j2
	pt_status "learn: the C build runs and exits 0" 0
	pt_check "learn: the C build made its program" test -x "$c/prog"
	pt_grep "learn: it says where the policy went" "$PT_ERR" \
		"into $T/c.json"
	policy_ok "learn: the C build's policy passes policy check" "$T/c.json"
	pt_is "learn: nothing in it waits for review" "$(reviews "$T/c.json")" 0
	pt_grep "learn: object files become a glob" "$T/c.json" \
		'"pattern": "\$WORKSPACE/build(/\*\.o)?"'
	pt_grep "learn: system reads collapse to /usr" "$T/c.json" \
		'"pattern": "/usr", "events": [0-9]+'
	pt_grep "learn: make is learned as a command" "$T/c.json" \
		'"pattern": \["make"'
	rm -rf build prog
	pt_run -w "$c" --policy "$T/c.json" -- make -j2
	pt_status "round trip: the C build exits 0 under its policy" 0
	no_denials "round trip: the C build is denied nothing"
	rm -rf build prog
	mkdir -p "$CANARY/inc"
	echo 'const char *greeting(void);' >"$CANARY/inc/extra.h"
	pt_run -w "$c" --policy "$T/c.json" -- make -j2 \
		CFLAGS="-O2 -Isrc -include $CANARY/inc/extra.h"
	pt_isnt "variant: the build that reads a header outside fails" \
		"$PT_RC" 0
	pt_grep "variant: the read outside is what was denied" "$PT_ERR" \
		"denied read $CANARY/inc/extra.h"
	cd "$WS" || exit 1
fi

# ---- in-place editors: their temporary names differ from run to run -----
# (as sed -i and mktemp -d make them, with names given: a few random ones
# look like a word, and stay as they are)
if pt_need "learn in-place edits" python3 perl; then
	e=$T/edit
	mkdir -p "$e"
	echo abc >"$e/f.txt"
	cat >"$T/edit.py" <<'PY'
import os, shutil, sys
tmp, d = sys.argv[1], sys.argv[2]
fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
os.write(fd, open("f.txt").read().replace("a", "b").encode())
os.close(fd)
os.rename(tmp, "f.txt")
os.mkdir(d)
os.mkdir(d + "/sub")
open(d + "/sub/f", "w").write("x")
os.listdir(d + "/sub")
shutil.rmtree(d)
PY
	cd "$e" || exit 1
	learn "$T/edit.json" -w "$e" -- python3 "$T/edit.py" sedOmDv7I \
		tmp.jHTjIvF98B
	pt_status "learn: an edit in place and a directory made anew run" 0
	pt_grep "learn: sed -i's temporary file becomes sed??????" \
		"$T/edit.json" '"pattern": "\$WORKSPACE/sed\?{6}"'
	pt_grep "learn: mktemp -d's directory becomes tmp.??????????" \
		"$T/edit.json" '"pattern": "\$WORKSPACE/tmp\.\?{10}"'
	pt_grep "learn: ... and what the run made in it, beneath it" \
		"$T/edit.json" '"pattern": "\$WORKSPACE/tmp\.\?{10}/sub/f"'
	pt_nogrep "learn: no temporary name is learned as it was" \
		"$T/edit.json" '"\$WORKSPACE/(sed[^?"]|tmp\.[^?"])'
	pt_is "learn: the new file is learned as a write, not a read" \
		"$(grep -c '"\$WORKSPACE/sed??????"' "$T/edit.json")" 1
	pt_run -w "$e" --policy "$T/edit.json" -- python3 "$T/edit.py" \
		sedX4kPq2 tmp.Zq81mNx0Rt
	pt_status "round trip: the edits run again under their policy" 0
	no_denials "round trip: new temporary names are denied nothing"
	pt_is "round trip: the file is edited" "$(cat "$e/f.txt")" bbc
	# perl -i chooses its name whole ("XXuOBJZi"): no glob could say
	# whose it is without taking every name that long
	learn "$T/perl.json" -w "$e" -- perl -pi -e s/b/c/ f.txt
	pt_nogrep "learn: perl -pi's name, chosen whole, is no glob" \
		"$T/perl.json" '\?\?\?|"\$WORKSPACE/\*"'
	cd "$WS" || exit 1
fi

# ---- a python script: reads its config, writes its output ------------------
if pt_need "learn a python script" python3; then
	mkdir -p "$HOME/.config/tool" "$WS/py"
	echo '{"greeting": "hi"}' >"$WS/py/config.json"
	echo 'level = 3' >"$HOME/.config/tool/settings.ini"
	echo 'not for the tool' >"$HOME/notes.txt"
	cat >"$WS/py/tool.py" <<'PY'
import json, os, sys
home = os.path.expanduser("~")
cfg = json.load(open(os.path.join(os.path.dirname(__file__), "config.json")))
conf = os.path.join(home, ".config/tool")
names = sorted(os.listdir(conf))
level = open(os.path.join(conf, "settings.ini")).read().strip()
os.makedirs("out", exist_ok=True)
with open("out/result.txt", "w") as f:
    f.write("%s %s\n" % (cfg["greeting"], level))
if os.environ.get("EXTRA"):
    open(os.environ["EXTRA"], "w").write("one more\n")
if len(sys.argv) > 1:
    print(open(os.path.join(home, sys.argv[1])).read())
PY
	cd "$WS/py" || exit 1
	learn "$T/py.json" -w "$WS/py" -- python3 tool.py
	pt_status "learn: the python script exits 0" 0
	policy_ok "learn: the python policy passes policy check" "$T/py.json"
	pt_grep "learn: the home directory becomes ~" "$T/py.json" \
		'"pattern": "~/\.config/tool/settings\.ini"'
	pt_grep "learn: the directory it listed is learned alone" \
		"$T/py.json" '"pattern": "~/\.config/tool", "beneath": false'
	pt_grep "learn: the policy stands in place of the built-in one" \
		"$T/py.json" '^  "builtin": false,$'
	pt_grep "learn: it keeps the built-in's protections" "$T/py.json" \
		'"pattern": "~/\.ssh", "why": "kept from the base: built-in'
	echo 'other = 1' >"$HOME/.config/tool/other.ini"
	pt_grep "learn: the command is python3 and its script" "$T/py.json" \
		'"pattern": \["([^"]*/)?python3(\.[0-9]+)?", "tool\.py"\]'
	rm -rf out
	pt_run -w "$WS/py" --policy "$T/py.json" -- python3 tool.py
	pt_status "round trip: the python script exits 0 under its policy" 0
	no_denials "round trip: the python script is denied nothing"
	pt_grep "round trip: it wrote its output" "$WS/py/out/result.txt" \
		'^hi level = 3$'
	pt_run -w "$WS/py" --policy "$T/py.json" -- python3 tool.py notes.txt
	pt_isnt "variant: reading one more file in ~ fails" "$PT_RC" 0
	pt_grep "variant: the read of ~/notes.txt was denied" "$PT_ERR" \
		'denied read .*/notes\.txt'
	pt_run -w "$WS/py" --policy "$T/py.json" -- python3 tool.py \
		.config/tool/other.ini
	pt_grep "variant: the listed directory grants no file in it" \
		"$PT_ERR" 'denied read .*/\.config/tool/other\.ini'
	EXTRA=$WS/py/extra.txt pt_run -w "$WS/py" --policy "$T/py.json" -- \
		python3 tool.py
	pt_grep "variant: one more file written in the workspace is denied" \
		"$PT_ERR" 'denied write .*/py/extra\.txt'
	pt_absent "variant: ... and the file was not made" "$WS/py/extra.txt"
	cd "$WS" || exit 1
fi

# ---- a git workflow -----------------------------------------------------------
if pt_need "learn a git workflow" git; then
	g=$T/gitws
	mkdir -p "$g"
	cd "$g" || exit 1
	workflow='git init -q && git add . && git commit -q -m first &&
		echo more >>README && git commit -q -am second &&
		git log --oneline >/dev/null'
	reset() { rm -rf .git && echo "# demo" >README && echo x >main.c; }
	reset
	learn "$T/git.json" -w "$g" -- sh -c "$workflow"
	pt_status "learn: the git workflow exits 0" 0
	policy_ok "learn: the git policy passes policy check" "$T/git.json"
	pt_grep "learn: git subcommands are learned apart" "$T/git.json" \
		'"pattern": \["git", "commit"\]'
	reset
	pt_run -w "$g" --policy "$T/git.json" -- sh -c "$workflow"
	pt_status "round trip: the git workflow exits 0 under its policy" 0
	no_denials "round trip: the git workflow is denied nothing"
	reset
	pt_run -w "$g" --policy "$T/git.json" -- sh -c "$workflow && git gc -q"
	pt_isnt "variant: a git subcommand not learned (gc) is denied" \
		"$PT_RC" 0
	pt_grep "variant: git gc was the denial" "$PT_ERR" 'denied exec git gc'
	cd "$WS" || exit 1
fi

# ---- secrets are never learned as an allow -----------------------------------
mkdir -p "$HOME/.ssh"
echo "PRIVATE KEY" >"$HOME/.ssh/id_ed25519"
# secret_held NAME FILE: every entry naming ~/.ssh waits for review.
secret_held() {
	"$PT_PY" - "$2" <<'EOF'
import json, sys
p = json.load(open(sys.argv[1]))
bad = [e for c in (p["files"]["read"], p["files"]["write"])
       for a in ("allow", "create") for e in c.get(a, [])
       if ".ssh" in json.dumps(e.get("pattern") if isinstance(e, dict) else e)
       and not (isinstance(e, dict) and e.get("review") is True)]
found = [e for c in (p["files"]["read"],) for e in c.get("allow", [])
         if isinstance(e, dict) and ".ssh" in e["pattern"]]
if bad or not found:
    print("# granted:", bad, "held:", found)
    sys.exit(1)
EOF
}
learn "$T/secret.json" -- sh -c 'cat ~/.ssh/id_ed25519; cat README 2>/dev/null; true'
pt_status "learn: a run that reads a secret exits as its command does" 0
pt_check "learn: the secret's entry waits for review, nothing grants it" \
	secret_held x "$T/secret.json"
pt_grep "learn: the review entry says it is a secret" "$T/secret.json" \
	'"pattern": "~/\.ssh/id_ed25519".*secret.*"review": true'
pt_proctor policy check "$T/secret.json"
pt_grep "policy check lists the entries that wait for review" "$PT_OUT" \
	'files\.read\.allow\[[0-9]+\] ~/\.ssh/id_ed25519'
pt_run --policy "$T/secret.json" -- cat "$HOME/.ssh/id_ed25519"
pt_isnt "a held entry grants nothing: the secret stays unreadable" \
	"$PT_RC" 0

learn "$T/perm.json" --permissive -- cat "$HOME/.ssh/id_ed25519"
pt_status "learn --permissive: the command runs and exits 0" 0
pt_grep "learn --permissive: the command really read the secret" \
	"$PT_OUT" 'PRIVATE KEY'
pt_grep "learn --permissive: it says the run is unconfined" "$PT_ERR" \
	'runs unconfined'
first=$(grep -n 'unconfined' "$PT_ERR" | head -n 1 | cut -d: -f1)
pt_is "learn --permissive: it says so before the command starts" \
	"$(grep -n 'PRIVATE' "$PT_OUT" >/dev/null && echo "${first:-none}")" 1
pt_check "learn --permissive: the secret still waits for review" \
	secret_held x "$T/perm.json"

# a directory collapsed around a secret does not grant the secret: the
# built-in's denials are kept in the learned policy, and more specific
mkdir -p "$HOME/.config/gh"
echo "oauth_token: x" >"$HOME/.config/gh/hosts.yml"
for i in 1 2 3 4 5 6 7 8; do
	mkdir -p "$HOME/.config/app$i"
	echo "v=$i" >"$HOME/.config/app$i/conf"
done
learn "$T/around.json" --permissive -- sh -c \
	'cat ~/.config/app*/conf ~/.config/gh/hosts.yml >/dev/null'
pt_status "learn --permissive: reads around a secret" 0
pt_grep "learn: eight directories of ~/.config collapse to it" \
	"$T/around.json" '"pattern": "~/\.config", "events"'
pt_grep "learn: the secret inside waits for review" "$T/around.json" \
	'"pattern": "~/\.config/gh/hosts\.yml", .*"review": true'
pt_grep "learn: the built-in's denial of it is kept" "$T/around.json" \
	'"pattern": "~/\.config/gh", "why": "kept from the base'
pt_run --policy "$T/around.json" -- cat "$HOME/.config/app3/conf"
pt_status "round trip: a file of the collapsed directory is read" 0
pt_run --policy "$T/around.json" -- cat "$HOME/.config/gh/hosts.yml"
pt_isnt "round trip: the secret inside it is not" "$PT_RC" 0
pt_grep "... denied by the kept entry" "$PT_ERR" \
	'denied read .*/\.config/gh/hosts\.yml.*"~/\.config/gh"'

# ---- what the base denies is learned as needed ------------------------------
learn "$T/needed.json" -- sh -c "echo x >'$CANARY/out.txt'"
pt_grep "learn: a write the base denied is an entry for review" \
	"$T/needed.json" "\"pattern\": \"$CANARY/out.txt\".*needed.*\"review\": true"
pt_absent "learn: the denied write did not happen" "$CANARY/out.txt"
pt_run --policy "$T/needed.json" -- sh -c "echo x >'$CANARY/out.txt'"
pt_grep "a run with it says, before CMD, that an entry waits for review" \
	"$PT_ERR" "^proctor: 1 policy entry waits for review and grants nothing until its \"review\" is removed \\($T/needed.json files.write.allow\\[[0-9]+\\] \"$CANARY/out.txt\"\\); .proctor policy check $T/needed.json. lists them\$"
pt_absent "... and the write is still refused" "$CANARY/out.txt"

# ---- policy diff ------------------------------------------------------------------
echo a >"$WS/a.txt"
echo b >"$WS/b.txt"
learn "$T/d1.json" -- cat a.txt
learn "$T/d2.json" -- sh -c 'cat a.txt; cat b.txt'
pt_proctor policy diff "$T/d1.json" "$T/d2.json"
pt_status "policy diff: differences exit 1" 1
pt_grep "policy diff: the read a second run adds" "$PT_OUT" \
	'^\+ files\.read\.allow \$WORKSPACE/b\.txt'
pt_grep "policy diff: the command it adds" "$PT_OUT" \
	'^\+ exec\.allow \["cat","b\.txt"\]'
pt_proctor policy diff "$T/d2.json" "$T/d1.json"
pt_grep "policy diff: what a new run no longer needs is a removal" \
	"$PT_OUT" '^- files\.read\.allow \$WORKSPACE/b\.txt'
pt_proctor policy diff "$T/d1.json" "$T/d1.json"
pt_status "policy diff: a policy and itself: exit 0" 0
pt_is "policy diff: ... and nothing printed" "$(cat "$PT_OUT")" ""
grep -v '"builtin": false' "$T/d1.json" >"$T/layered.json"
pt_proctor policy diff "$T/layered.json" "$T/d1.json"
pt_grep "policy diff: standing in place of the built-in one shows" \
	"$PT_OUT" '^~ builtin true -> false$'
learn "$T/ls1.json" -- ls "$WS"
sed 's/, "beneath": false//' "$T/ls1.json" >"$T/ls2.json"
pt_proctor policy diff "$T/ls2.json" "$T/ls1.json"
pt_grep "policy diff: an entry for a directory alone is not the same" \
	"$PT_OUT" '^\+ files\.read\.allow \$WORKSPACE \(itself, not beneath\)'
pt_grep "policy diff: ... as the entry covering it" "$PT_OUT" \
	'^- files\.read\.allow \$WORKSPACE  '
pt_proctor policy check "$T/ls1.json"
pt_status "policy check accepts an entry for a directory alone" 0

# ---- learn --from: a damaged log names its file and line ---------------------
pt_run --log-reads -- cat a.txt
cp "$PT_LOG" "$T/bad.jsonl"
sed -i '2s/.*/{"type": "decision", this is not json/' "$T/bad.jsonl"
pt_proctor learn --from "$T/bad.jsonl" -o "$T/bad.json"
pt_isnt "learn --from: a damaged log fails" "$PT_RC" 0
pt_grep "learn --from: the error names the file and line" "$PT_ERR" \
	'bad\.jsonl:2: not a JSON object'
pt_absent "learn --from: nothing is written from a damaged log" \
	"$T/bad.json"
pt_proctor learn --from "$PT_LOG" -o "$T/from.json"
pt_status "learn --from a good log exits 0" 0
policy_ok "learn --from: its policy passes policy check" "$T/from.json"

# ---- -o -: the policy alone on stdout ----------------------------------------
learn - -- sh -c 'echo from-the-command; cat a.txt'
pt_status "learn -o -: exits as its command" 0
if "$PT_PY" -c 'import json, sys; json.load(open(sys.argv[1]))' "$PT_OUT"; then
	pt_ok "learn -o -: stdout is the policy alone, as JSON"
else
	pt_fail "learn -o -: stdout is the policy alone, as JSON"
	pt_diag_file "$PT_OUT" stdout
fi
pt_grep "learn -o -: the command's stdout went to stderr" "$PT_ERR" \
	'^from-the-command$'

# ---- --force: the advice of a refused workspace works ---------------------
learn "$T/home.json" -w "$HOME" -- true
pt_status "learn -w ~ is refused" 125
pt_grep "learn -w ~: it says to pass --force" "$PT_ERR" 'pass --force'
learn "$T/home.json" --force -w "$HOME" -- true
pt_status "learn --force -w ~ runs" 0
policy_ok "learn --force -w ~ writes a policy" "$T/home.json"

# ---- "builtin": false only from --policy ------------------------------------
mkdir -p "$XDG_CONFIG_HOME/proctor"
echo '{"builtin": false}' >"$XDG_CONFIG_HOME/proctor/policy.json"
pt_run -- cat a.txt
pt_status "a policy.json that says builtin false: the run goes on" 0
pt_grep "... and proctor says it ignores the key there" "$PT_ERR" \
	'policy\.json: "builtin": false is honoured only in a file given with --policy'
rm -f "$XDG_CONFIG_HOME/proctor/policy.json"

# ---- names that are not UTF-8 -----------------------------------------------
latin=$(printf 'caf\351')
echo x >"$WS/$latin"
learn "$T/latin.json" -- cat "$latin"
pt_status "learn: a read of a name that is not UTF-8 runs" 0
pt_grep "learn: the name's byte is ? and the entry waits for review" \
	"$T/latin.json" '"pattern": "\$WORKSPACE/caf\?", .*not UTF-8.*"review": true'
pt_nogrep "learn: never the name as the log shows it (U+FFFD)" \
	"$T/latin.json" "$(printf '\357\277\275')"
sed 's/, "review": true//' "$T/latin.json" >"$T/latin-ok.json"
pt_run --policy "$T/latin-ok.json" -- cat "$latin"
pt_status "approved, it reads the file with that name" 0

# ---- a cut log: said, with where; the whole lines learned -------------------
pt_run --log-reads -- sh -c 'cat a.txt; cat b.txt'
head -c -40 "$PT_LOG" >"$T/cut.jsonl"
pt_proctor learn --from "$T/cut.jsonl" -o "$T/cut.json"
pt_status "learn --from a cut log exits 1" 1
last=$(wc -l <"$PT_LOG")
pt_grep "it names the cut line" "$PT_ERR" \
	"cut\.jsonl:$last: the last line is cut"
pt_grep "it says the run has no end record, at its run record" "$PT_ERR" \
	'cut\.jsonl:1: this run has no "end" record'
pt_grep "it says the policy misses what was lost" "$PT_ERR" \
	'the log is incomplete'
pt_grep "it learned from the whole lines" "$T/cut.json" \
	'"pattern": "\$WORKSPACE/b\.txt"'
grep -v '"type":"end"' "$PT_LOG" >"$T/noend.jsonl"
pt_run -- sh -c 'cat a.txt'
pt_proctor learn --from "$PT_LOG" -o "$T/noreads.json"
case $(grep -o '"reads":"[a-z]*' "$PT_LOG") in
*kernel)
	pt_status "learn --from a log without reads exits 1" 1
	pt_grep "it says the reads are not in the log" "$PT_ERR" \
		'reads were judged by the kernel and are not in the log' ;;
*) pt_skip "learn --from a log without reads" "reads judged by proctor" ;;
esac
pt_proctor learn --from "$T/noend.jsonl" -o "$T/noend.json"
pt_status "learn --from a log whose run has no end exits 1" 1
pt_grep "... and says so" "$PT_ERR" 'noend\.jsonl:1: this run has no "end"'

# ---- many distinct paths: learned in one pass ------------------------------
# 40,000 reads, each alone in a directory of /srv (nothing collapses):
# the policy would be bigger than a policy file may be, so it is refused
# with a message instead of written unusable.  (No time is asserted:
# make bench and the README give figures.)
"$PT_PY" - "$T/many.jsonl" <<'PY'
import json, sys
run = {"time": "2026-01-01T00:00:00.000000Z", "v": 2, "type": "run",
       "run": "r", "seq": 1, "workspaces": ["/w/ws"], "tmpdir": "/tmp/p",
       "home": "/home/u"}
with open(sys.argv[1], "w") as f:
    f.write(json.dumps(run) + "\n")
    for i in range(40000):
        f.write(json.dumps({"v": 2, "type": "decision", "seq": i + 2,
                            "class": "read", "decision": "allow",
                            "syscall": "openat",
                            "path": "/srv/d%d/file.txt" % i}) + "\n")
    f.write(json.dumps({"v": 2, "type": "end", "seq": 40002}) + "\n")
PY
pt_proctor learn --from "$T/many.jsonl" -o "$T/many.json"
pt_status "learn --from 40,000 distinct paths: too big a policy, refused" 125
pt_grep "... and it says why" "$PT_ERR" \
	'the learned policy is [0-9]+ bytes, more than a policy file may hold'
pt_absent "... and writes nothing" "$T/many.json"
sed -i 's|/srv/d\([0-9]*\)/|/srv/d/\1/|' "$T/many.jsonl"
pt_proctor learn --from "$T/many.jsonl" -o "$T/many.json"
pt_status "learn --from 40,000 paths in one directory exits 0" 0
pt_grep "... and they collapse to it" "$T/many.json" \
	'"pattern": "/srv/d", "events": 40000'

# ---- scripts: every interpreter, however many execs wait at once ----------
# 300 processes judged to exec a script before any of them loads it (a
# parallel build does that): each exec record names its interpreter,
# and each is learned; a process that exits before its exec waits no more.
"$PT_PY" - "$T/pend.jsonl" <<'PY'
import json, sys
seq = 0
def rec(**kw):
    global seq
    seq += 1
    kw.update({"v": 2, "seq": seq, "run": "r"})
    return json.dumps(kw)
out = [rec(type="run", workspaces=["/w/ws"], tmpdir="/tmp/p", home="/home/u")]
for i in range(300):
    out.append(rec(type="decision", pid=1000 + i, syscall="execve",
                   **{"class": "exec"}, command="/w/ws/bin/s%d" % i,
                   argv=["s%d" % i], decision="allow"))
out.append(rec(type="decision", pid=5000, syscall="execve",
               **{"class": "exec"}, command="/w/ws/bin/gone",
               argv=["gone"], decision="allow"))
out.append(rec(type="exit", pid=5000, status=1))
for i in range(300):
    out.append(rec(type="exec", pid=1000 + i, exe="/w/ws/interp/i%d" % i))
out.append(rec(type="exec", pid=5000, exe="/w/ws/interp/late"))
out.append(rec(type="end"))
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY
pt_proctor learn --from "$T/pend.jsonl" -o "$T/pend.json"
pt_status "learn --from 300 execs waiting at once exits 0" 0
pt_is "every one of the 300 interpreters is learned" \
	"$(grep -c '"pattern": \["\$WORKSPACE/interp/i[0-9]*"\]' "$T/pend.json")" 300
pt_nogrep "an exec record after its process exited is no interpreter" \
	"$T/pend.json" 'interp/late'

# ---- bad input: a bad base, a missing command, an unwritable output ------
echo '{"files": {"read": {"allow": [42]}}}' >"$T/badbase.json"
learn "$T/x.json" --base "$T/badbase.json" -- true
pt_status "learn: a bad --base fails before anything runs" 125
pt_grep "learn: the error names the base and the JSON path" "$PT_ERR" \
	'badbase\.json: files\.read\.allow\[0\]'
learn "$T/x.json" -- no-such-command-proctor
pt_status "learn: a command that is not found exits 127" 127
pt_grep "learn: it says nothing was learned" "$PT_ERR" 'nothing learned'
pt_absent "learn: no policy from a run that did not start" "$T/x.json"
learn "$T/no/such/dir/x.json" -- true
pt_status "learn: an output it cannot write fails" 125
pt_grep "learn: it names the output, before the run" "$PT_ERR" \
	'-o .*no/such/dir/x\.json: cannot make it in .*no/such/dir: No such file'

# ---- two hosts in a network namespace of our own (root only) ------------------
if [ "$(id -u)" != 0 ]; then
	pt_skip "learn: two hosts in a network namespace" "needs root"
elif ! command -v unshare >/dev/null || ! command -v ip >/dev/null; then
	pt_skip "learn: two hosts in a network namespace" "no unshare or ip"
else
	# the client lives in the workspace: its directory is read
	mkdir -p "$WS/net"
	cat >"$WS/net/srv.py" <<'PY'
import socket, sys, threading, time
def serve(host, port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(8)
    while True:
        c, _ = s.accept()
        c.sendall(b"pong\n")
        c.close()
for a in sys.argv[1:]:
    h, p = a.split(":")
    threading.Thread(target=serve, args=(h, int(p)), daemon=True).start()
time.sleep(60)
PY
	cat >"$WS/net/cli.py" <<'PY'
import socket, sys
for a in sys.argv[1:]:
    h, p = a.split(":")
    s = socket.create_connection((h, int(p)), timeout=5)
    print(a, s.recv(10).decode().strip())
PY
	cat >"$T/net.sh" <<'SH'
set -u
T=$1 P=$2 N=$3
ip link set lo up
ip addr add 10.77.0.1/32 dev lo
ip addr add 10.77.0.2/32 dev lo
ip addr add 10.77.0.3/32 dev lo
python3 "$N/srv.py" 10.77.0.1:8081 10.77.0.2:8082 10.77.0.3:8083 &
srv=$!
sleep 0.5
echo '{"network": {"allow": ["10.77.0.0/24"]}}' >"$T/netbase.json"
two="10.77.0.1:8081 10.77.0.2:8082"
"$P" learn -o "$T/net.json" --base "$T/netbase.json" -- \
	python3 "$N/cli.py" $two >"$T/net.learn" 2>&1
echo "learn=$?"
"$P" run --log "$T/net1.jsonl" --policy "$T/net.json" -- \
	python3 "$N/cli.py" $two >"$T/net.rt" 2>&1
echo "roundtrip=$?"
"$P" run --log "$T/net2.jsonl" --policy "$T/net.json" -- \
	python3 "$N/cli.py" $two 10.77.0.3:8083 >"$T/net.var" 2>&1
echo "variant=$?"
"$P" learn -o "$T/netreview.json" --permissive -- python3 "$N/cli.py" \
	$two >"$T/net.review" 2>&1
"$P" run --log "$T/net3.jsonl" --policy "$T/netreview.json" -- \
	python3 "$N/cli.py" $two >/dev/null 2>&1
echo "held=$?"
sed 's/, "review": true//' "$T/netreview.json" >"$T/netok.json"
"$P" run --log "$T/net4.jsonl" --policy "$T/netok.json" -- \
	python3 "$N/cli.py" $two >/dev/null 2>&1
echo "approved=$?"
kill $srv
SH
	timeout -k 5 120 unshare -n bash "$T/net.sh" "$T" "$PROCTOR" "$WS/net" \
		>"$T/net.out" 2>&1
	pt_grep "learn: the two-host client exits 0" "$T/net.out" '^learn=0$'
	pt_grep "learn: the first host is learned by address" "$T/net.json" \
		'"pattern": "10\.77\.0\.1:8081"'
	pt_grep "learn: the second host too" "$T/net.json" \
		'"pattern": "10\.77\.0\.2:8082"'
	pt_grep "round trip: the client reaches both hosts" "$T/net.out" \
		'^roundtrip=0$'
	pt_nogrep "round trip: no denial" "$T/net.rt" '^proctor: denied'
	pt_grep "variant: a third host is refused" "$T/net.var" \
		'denied connect 10\.77\.0\.3:8083'
	pt_grep "learn --permissive: hosts the base denies wait for review" \
		"$T/netreview.json" '"pattern": "10\.77\.0\.2:8082".*"review": true'
	pt_isnt "held network entries grant nothing" \
		"$(grep '^held=' "$T/net.out")" "held=0"
	pt_grep "with the review flags removed, the client connects" \
		"$T/net.out" '^approved=0$'
	pt_diag_file "$T/net.out" "network namespace run"
fi

pt_done
