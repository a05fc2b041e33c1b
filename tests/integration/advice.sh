#!/bin/bash
# Every denial line ends with the flag that would allow the object
# ("allow with --allow-read '...'"); pasted as it is, it must work: the
# same command, run again with the advice, is not denied.  Names with
# glob characters, blanks and non-ASCII bytes, a program started under
# another argv[0], a denying command entry, and a unix socket.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

# follow NAME PROCTOR-OPTION... -- CMD...: the last pt_run was denied;
# run the same again with the advice it printed added, and expect exit 0
# with no denial.
# The advice is pasted as a shell would read it (it is single-quoted;
# an exec judged twice, a script and its interpreter, may need two flags).
follow() {
	_name=$1
	shift
	_tail=$(sed -n 's/^proctor: denied.* allow with \(--.*\)$/\1/p' \
		"$PT_ERR" | head -n 1)
	if [ -z "$_tail" ]; then
		pt_fail "$_name: the denial gives advice"
		pt_diag_file "$PT_ERR" stderr
		return
	fi
	eval "_adv=($_tail)"
	pt_run "${_adv[@]}" "$@"
	if [ "$PT_RC" = 0 ] && ! grep -q '^proctor: denied' "$PT_ERR"; then
		pt_ok "$_name: the advice ($_tail) works"
	else
		pt_fail "$_name: the advice ($_tail) works" "exit $PT_RC"
		pt_diag_file "$PT_ERR" stderr
	fi
}

# ---- files: glob characters, blanks, non-ASCII --------------------------
# (the denials come from a policy file: a --deny-read beside the advice
# would be the user's word against the user's word, and deny wins that)
echo '{"files": {"read": {"deny": ["$WORKSPACE/a*", "$WORKSPACE/caf*",
	"$WORKSPACE/dollar"]}}}' >"$T/deny.json"
printf 'x\n' >"$WS/a[1]*?.txt"
pt_run --policy "$T/deny.json" -- cat "$WS/a[1]*?.txt"
pt_isnt "a read denied by a glob entry fails" "$PT_RC" 0
if grep -qF "allow with --allow-read '$WS/a[[]1][*][?].txt'" "$PT_ERR"; then
	pt_ok "its advice brackets the glob characters"
else
	pt_fail "its advice brackets the glob characters"
	pt_diag_file "$PT_ERR" stderr
fi
follow "read of a name with * ? [" --policy "$T/deny.json" -- \
	cat "$WS/a[1]*?.txt"

pt_run -- sh -c "echo x >'$CANARY/out put [2].txt'"
follow "write of a name with blanks and [" -- \
	sh -c "echo x >'$CANARY/out put [2].txt'"

printf 'x\n' >"$WS/caf$(printf '\303\251')"
pt_run --policy "$T/deny.json" -- cat "$WS/caf$(printf '\303\251')"
pt_isnt "a read of a UTF-8 name denied" "$PT_RC" 0
follow "read of a non-ASCII name" --policy "$T/deny.json" -- \
	cat "$WS/caf$(printf '\303\251')"

mkdir -p "$WS/dollar"
printf 'x\n' >"$WS/dollar/\$HOME"
pt_run --policy "$T/deny.json" -- cat "$WS/dollar/\$HOME"
follow "read of a name with a \$" --policy "$T/deny.json" -- \
	cat "$WS/dollar/\$HOME"

# ---- a temporary name: the advice is a glob a later run's name matches ----
# (mktemp's names are random, and a few look like a word: the denied
# one is made as mktemp makes it, with a name that looks chosen; the
# advice is then followed by mktemp itself, whatever name it chooses)
mkdir -p "$T/out"
echo hello >"$T/out/f"
pt_run -- python3 -c "import os; os.open('$T/out/tmp.jHTjIvF98B',
	os.O_WRONLY | os.O_CREAT | os.O_EXCL)"
pt_grep "a refused mktemp is advised its names' glob" "$PT_ERR" \
	"allow with --allow-write '$T/out/tmp[.][?]{10}'\$"
follow "mktemp outside" -- mktemp -p "$T/out"
# (a glob that would take a name there now is no advice: the literal)
pt_run -- python3 -c "import os; os.mkdir('$T/out/tmp.xB3kQ9vLz2')"
pt_grep "... a glob that takes a name there now is not advised" "$PT_ERR" \
	"allow with --allow-dir '$T/out/tmp[.]xB3kQ9vLz2'\$"
rm -f "$T/out"/tmp.*
pt_run -- python3 -c "import os; os.mkdir('$T/out/tmp.xB3kQ9vLz2')"
follow "mktemp -d outside" -- mktemp -d -p "$T/out"
# (sed's own name is random: one such name, made as mkstemp makes it)
pt_run -- python3 -c "import os; os.open('$T/out/sedOm7vQb',
	os.O_WRONLY | os.O_CREAT | os.O_EXCL)"
pt_grep "sed -i's temporary file is advised as sed??????" "$PT_ERR" \
	"allow with --allow-write '$T/out/sed[?]{6}'\$"
pt_run --allow-write "$T/out/sed??????" -- sed -i s/hello/bye/ "$T/out/f"
pt_grep "... which lets it make one; the rename over the file is next" \
	"$PT_ERR" "denied write $T/out/f .*allow with --allow-write '$T/out/f'\$"
pt_run --allow-write "$T/out/sed??????" --allow-write "$T/out/f" -- \
	sed -i s/hello/bye/ "$T/out/f"
pt_status "... and with both, sed -i edits it" 0
pt_is "... as it does natively" "$(cat "$T/out/f")" bye
pt_run -- sh -c "echo x >'$T/out/new.txt'"
pt_grep "a name made without O_EXCL is advised as it is" "$PT_ERR" \
	"allow with --allow-write '$T/out/new.txt'\$"

# ... and so is a name with the caller's pid in it (the JVM's perf data
# file and attach socket); a socket in /tmp too, which the create entry
# alone does not let a run make
cat >"$T/pidname.py" <<'PY'
import os, socket, sys
if sys.argv[1] == "file":
    os.close(os.open("%s/%d" % (sys.argv[2], os.getpid()),
                     os.O_RDWR | os.O_CREAT, 0o600))
else:
    s = socket.socket(socket.AF_UNIX)
    s.bind("/tmp/.pt_pid%d.tmp" % os.getpid())
    os.unlink("/tmp/.pt_pid%d.tmp" % os.getpid())
PY
pt_run -- python3 "$T/pidname.py" file "$T/out"
pt_grep "a file named by the caller's pid is advised [0-9]*" "$PT_ERR" \
	"allow with --allow-write '$T/out/\[0-9\]\*'\$"
follow "a pid-named file" -- python3 "$T/pidname.py" file "$T/out"
pt_run -- python3 "$T/pidname.py" socket
pt_grep "a socket in /tmp, with the pid in its name, gets a flag" "$PT_ERR" \
	"allow with --allow-write '/tmp/.pt_pid\\[0-9\\]\\*.tmp'\$"
follow "a socket in /tmp" -- python3 "$T/pidname.py" socket
# a shell's "$$" in a name made by a command it started (not its own pid)
pt_run -- bash -c "touch '$T/out/made.'\$\$; true"
pt_grep "a name with the shell's pid, made by its child, is advised [0-9]*" \
	"$PT_ERR" "allow with --allow-write '$T/out/made.\[0-9\]\*'\$"
follow "a name with the shell's pid" -- bash -c "touch '$T/out/made.'\$\$; true"
# a UUID (npm's cache names its temporary files so): each digit a "?"
pt_run -- python3 -c 'import os, sys, uuid
os.close(os.open(sys.argv[1] + "/" + str(uuid.uuid4()), os.O_CREAT | os.O_EXCL | os.O_WRONLY))' "$T/out"
pt_grep "a UUID name is advised as the glob of UUIDs" "$PT_ERR" \
	"allow with --allow-write '$T/out/\?{8}-\?{4}-\?{4}-\?{4}-\?{12}'\$"
follow "a UUID name" -- python3 -c 'import os, sys, uuid
os.close(os.open(sys.argv[1] + "/" + str(uuid.uuid4()), os.O_CREAT | os.O_EXCL | os.O_WRONLY))' "$T/out"
# a name an entry denies gets no glob: it would hand over what it protects
mkdir -p "$WS/.vscode"
pt_run -- sh -c 'exec sh -c "echo x >.vscode/tasks.json\$\$"'
pt_grep "a pid-named file in .vscode is advised as it is" "$PT_ERR" \
	"allow with --allow-write '$WS/.vscode/tasks.json[0-9]+'\$"
pt_run -- sh -c "exec sh -c 'echo x >$T/out/conf\$\$'"
pt_nogrep "... and no glob takes the name without the pid" "$PT_ERR" \
	"'$T/out/conf\\*'"

# a stream's address of no family (AF_UNSPEC with MSG_FASTOPEN) names no
# destination: the kernel refuses it (EOPNOTSUPP), as natively, and proctor
# has nothing to say
if command -v cc >/dev/null 2>&1; then
	cat >"$T/unspec.c" <<'C'
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
int main(void)
{
	struct sockaddr_in a = { .sin_family = AF_UNSPEC };
	int s = socket(AF_INET, SOCK_STREAM, 0);

	if (sendto(s, "x", 1, MSG_FASTOPEN, (struct sockaddr *)&a,
		   sizeof(a)) == 0)
		return 1;
	return errno == EOPNOTSUPP ? 0 : 2;
}
C
	cc -o "$T/unspec" "$T/unspec.c"
	pt_run -- "$T/unspec"
	pt_is "a stream's unnamed address fails as natively" "$PT_RC" 0
	pt_nogrep "... and is not said" "$PT_ERR" 'denied connect'
fi

# ---- the run's last line names the first objects denied ----------------------
# (a line drawn on a full-screen program's screen is gone when it ends)
pt_run -- sh -c 'for f in a b c d; do echo x >"$0/$f.txt"; done; :' "$T/out"
pt_grep "the last line counts the denials and names the first three" \
	"$PT_ERR" "^proctor: 4 denied \\(write $T/out/a.txt, write $T/out/b.txt, write $T/out/c.txt and 1 more\\); log: "
pt_run --no-log -- sh -c "echo x >'$T/out/a.txt'; :"
pt_grep "... with no log too" "$PT_ERR" \
	"^proctor: 1 denied \\(write $T/out/a.txt\\)\$"

# ---- commands --------------------------------------------------------------
echo '{"exec": {"default": "deny", "allow": ["sh", "dash", "python3*"]}}' \
	>"$T/exec.json"
pt_run --policy "$T/exec.json" -- sh -c "ls -d '$WS' >/dev/null"
pt_isnt "an exec denied by the default fails" "$PT_RC" 0
pt_grep "its advice is a command prefix, not the display" "$PT_ERR" \
	"allow with --allow-exec 'ls -d $WS'\$"
follow "exec denied by the default" --policy "$T/exec.json" -- \
	sh -c "ls -d '$WS' >/dev/null"

if pt_need "exec under another argv[0]" /usr/bin/python3; then
	cat >"$T/argv0.py" <<'PY'
import os, sys
os.execv("/bin/ls", ["fancy-name", "-d", sys.argv[1]])
PY
	pt_run --policy "$T/exec.json" -- /usr/bin/python3 "$T/argv0.py" "$WS"
	pt_grep "advice names the program, not its argv[0]" "$PT_ERR" \
		"allow with --allow-exec 'ls -d $WS'\$"
	follow "exec under another argv[0]" --policy "$T/exec.json" -- \
		/usr/bin/python3 "$T/argv0.py" "$WS"
fi

# a program whose path has a blank: no flag can name it (its words split
# there), so the line says how a policy file does, and such a flag is an
# error rather than an entry that names nothing
mkdir -p "$T/b d" && cp "$(type -P true)" "$T/b d/my tool"
pt_run --policy "$T/exec.json" -- sh -c '"$1" arg1' sh "$T/b d/my tool"
pt_grep "a program with a blank in its path: no flag, the policy file's way" \
	"$PT_ERR" "denied exec my tool arg1 .*a flag cannot name a program whose path has a blank.*\[\[\"PATH\", \"ARG\"\]\]"
printf '{"exec": {"allow": [["%s", "arg1"]]}}\n' "$T/b d/my tool" >"$T/blank.json"
pt_run --policy "$T/exec.json" --policy "$T/blank.json" -- \
	sh -c '"$1" arg1' sh "$T/b d/my tool"
pt_status "... which, followed, works" 0
pt_run --deny-exec "$T/b d/my tool" -- true
pt_status "a --deny-exec whose words split a program's path is an error" 125
pt_grep "... that says why and what to write instead" "$PT_ERR" \
	"a flag's words split at blanks, and $T/b d/my tool has one"

# a script whose interpreter the policy does not allow: both are judged
printf '#!/bin/cat\nhello\n' >"$WS/hello.sh"
chmod +x "$WS/hello.sh"
pt_run --policy "$T/exec.json" -- sh -c "'$WS/hello.sh' >/dev/null"
pt_isnt "a script whose program and interpreter are denied fails" \
	"$PT_RC" 0
pt_grep "both get a flag" "$PT_ERR" \
	"allow with --allow-exec 'hello.sh' --allow-exec 'cat $WS/hello.sh'\$"
follow "a script and its interpreter" --policy "$T/exec.json" -- \
	sh -c "'$WS/hello.sh' >/dev/null"

echo '{"exec": {"deny": [["ls", "-d"]]}}' >"$T/deny-ls.json"
pt_run --policy "$T/deny-ls.json" -- ls -d "$WS"
pt_isnt "an exec denied by an entry fails" "$PT_RC" 0
follow "exec denied by an entry" --policy "$T/deny-ls.json" -- ls -d "$WS"

# ---- a saved "deny always": no flag could win against it -----------------
mkdir -p "$XDG_CONFIG_HOME/proctor"
printf 'x\n' >"$WS/saved.txt"
echo "{\"answer\":\"deny\",\"class\":\"read\",\"path\":\"$WS/saved.txt\"}" \
	>"$XDG_CONFIG_HOME/proctor/answers.jsonl"
pt_run -- cat "$WS/saved.txt"
pt_isnt "a read a saved answer denies fails" "$PT_RC" 0
pt_grep "its line says how to take the answer back" "$PT_ERR" \
	'your saved answer, line 1 .*; take it back with proctor policy answers remove 1$'
pt_proctor policy answers remove 1
pt_run -- cat "$WS/saved.txt"
pt_status "... and that works" 0

# ---- a unix socket of the host, at a path with a glob character ----------
if pt_need "advice for a unix socket" python3; then
	sock="$T/s[1].sock"
	python3 - "$sock" <<'PY' &
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(8)
s.settimeout(30)
try:
    while True:
        c, _ = s.accept()
        c.sendall(b"hi\n")
        c.close()
except Exception:
    pass
PY
	srv=$!
	pt_cleanup_add "kill $srv 2>/dev/null"
	pt_wait_for 10 test -S "$sock"
	cat >"$T/cli.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
print(s.recv(10).decode().strip())
PY
	pt_run -- python3 "$T/cli.py" "$sock"
	pt_isnt "a connect to a host socket is denied" "$PT_RC" 0
	follow "connect to a unix socket" -- python3 "$T/cli.py" "$sock"
	kill "$srv" 2>/dev/null
fi

# ---- a listing: the directory alone, not its files --------------------------
mkdir -p "$HOME/.ssh"
echo KEY >"$HOME/.ssh/id_ed25519"
# (with reads in the kernel, a listing is not judged: see the README)
pt_run --log-reads -- ls "$HOME/.ssh"
pt_grep "a denied listing is advised --allow-list" "$PT_ERR" \
	"allow with --allow-list '.*/.ssh'\$"
follow "list ~/.ssh" --log-reads -- ls "$HOME/.ssh"
pt_run --allow-list "$HOME/.ssh" -- cat "$HOME/.ssh/id_ed25519"
pt_nogrep "--allow-list ~/.ssh: its files stay unreadable" "$PT_OUT" KEY

# ---- a change of a directory itself: the directory alone, not its files ----
pt_run -- chmod 700 "$HOME/.ssh"
pt_grep "a denied chmod of a directory is advised --allow-dir" "$PT_ERR" \
	"allow with --allow-dir '.*/.ssh'\$"
follow "chmod ~/.ssh" -- chmod 700 "$HOME/.ssh"
pt_run --allow-dir "$HOME/.ssh" -- sh -c "echo pwn >>'$HOME/.ssh/id_ed25519'"
pt_isnt "--allow-dir ~/.ssh: its files stay unwritable" "$PT_RC" 0
pt_is "and the key is as it was" "$(cat "$HOME/.ssh/id_ed25519")" KEY

# ---- a lock file: the advice names the file it is renamed over too -----
if command -v git >/dev/null 2>&1; then
	pt_run -- git config --global proctor.test yes
	pt_grep "a lock file's advice names its target too" "$PT_ERR" \
		"allow with --allow-write '.*/.gitconfig.lock' --allow-write '.*/.gitconfig'\$"
	follow "git config --global" -- git config --global proctor.test yes
	pt_is "... and the setting is made" \
		"$(git config --global proctor.test)" yes
fi

# ... but not a directory's: an entry for it would allow all beneath it.
pt_run -- sh -c ': >/etc.lock'
pt_grep "the lock file of a directory is advised alone" "$PT_ERR" \
	"allow with --allow-write '/etc.lock'\$"

# The run's own --deny-* flag: an --allow-* of the same would tie and
# lose, one of something narrower undo what the user asked: none is advised
pt_run --deny-exec ls -- ls -d .
pt_grep "a --deny-exec flag's denial says the flag asked it" "$PT_ERR" \
	'denied exec ls .*rule --deny-exec "ls" \(command line\), as this run.s flag asks$'
pt_nogrep "... and advises no --allow-exec, which would tie and lose" \
	"$PT_ERR" 'allow with --allow-exec'
mkdir -p "$WS/flagged"
pt_run --deny-write "$WS/flagged" -- sh -c 'echo x >flagged/f'
pt_grep "a write beneath a --deny-write directory: the flag asked it" \
	"$PT_ERR" "denied write $WS/flagged/f .*, as this run.s flag asks\$"
pt_run --deny-write '$WORKSPACE//flagged/f' -- sh -c 'echo x >flagged/f'
pt_grep "... and of the file itself, the flag written otherwise" "$PT_ERR" \
	"denied write $WS/flagged/f .*, as this run.s flag asks\$"
pt_run --deny-read "$WS/flagged/f" -- sh -c 'echo x >>flagged/f'
pt_grep "... a write its --deny-read refuses" "$PT_ERR" \
	"denied write $WS/flagged/f .*, as this run.s flag asks\$"
(cd "$WS" && pt_run --deny-read ./flagged/f -- sh -c 'echo x >>flagged/f')
pt_grep "... written relative, ./" "$PT_ERR" \
	"denied write $WS/flagged/f .*, as this run.s flag asks\$"
pt_run --deny-exec git -- git --version
pt_grep "... an exec beneath a --deny-exec prefix" "$PT_ERR" \
	'denied exec git .*, as this run.s flag asks$'
pt_nogrep "... with no advice" "$PT_ERR" 'allow with --allow'
# A link refused as its old name says what it would have made, and its
# record has the new name too (git's local clone tries a link per object)
echo outside >"$T/linked-src"
chmod 644 "$T/linked-src"
pt_run --deny-write "$T/linked-src" -- ln "$T/linked-src" "$WS/linked"
pt_grep "a refused link names the new name" "$PT_ERR" \
	"denied write $T/linked-src \(linked as $WS/linked\) by ln"
pt_grep "... and its record has it as to" "$PT_LOG" \
	"\"path\":\"$T/linked-src\",\"to\":\"$WS/linked\",\"decision\":\"deny\""
pt_done
