#!/bin/bash
# Reading a denied secret fails, by whatever path, and its content never
# appears in the output, the workspace or the log.  HOME points at a fake
# home under the test's directory: proctor reads HOME from the
# environment.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

secret="SECRET-$$-$RANDOM-$RANDOM-do-not-print"
mkdir -p "$HOME/.ssh" "$HOME/.aws"
chmod 700 "$HOME/.ssh"
printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n' "$secret" \
	>"$HOME/.ssh/id_rsa"
printf '[default]\naws_secret_access_key = %s\n' "$secret" \
	>"$HOME/.aws/credentials"
chmod 600 "$HOME/.ssh/id_rsa"

# Links made before the run, in the workspace, pointing at the secret.
ln -s "$HOME/.ssh/id_rsa" "$WS/symlink-to-key"
ln -s "$HOME/.ssh" "$WS/symlink-to-ssh"

leaked() {
	grep -rqs -e "$secret" "$PT_OUT" "$PT_ERR" "$PT_LOG" "$WS"
}

# try NAME COMMAND: must fail and must not leak.
try() {
	pt_run -- bash -c "$2"
	if [ "$PT_RC" = 0 ]; then
		pt_fail "$1: fails" "it exited 0: $2"
	else
		pt_ok "$1: fails"
	fi
	if leaked; then
		pt_fail "$1: the secret does not appear" \
			"$(grep -rls -e "$secret" "$PT_OUT" "$PT_ERR" "$PT_LOG" \
				"$WS")"
		find "$WS" -mindepth 1 ! -name 'symlink-to-*' -delete
	else
		pt_ok "$1: the secret does not appear"
	fi
}

try "cat ~/.ssh/id_rsa" 'cat ~/.ssh/id_rsa'
try "cat ~/.aws/credentials" 'cat ~/.aws/credentials'
try "a path with .. in it" 'cat ~/.ssh/../.ssh/id_rsa'
try "a relative path from inside ~/.ssh" 'cd ~/.ssh && cat id_rsa'
try "a symlink in the workspace" 'cat symlink-to-key'
try "a symlink to the directory" 'cat symlink-to-ssh/id_rsa'
try "/proc/self/root" 'cat /proc/self/root$HOME/.ssh/id_rsa'
try "python open()" \
	'python3 -c "import os; print(open(os.path.expanduser(\"~/.ssh/id_rsa\")).read())"'
try "cp into the workspace" 'cp ~/.ssh/id_rsa ./stolen && cat stolen'
try "tar of the directory" 'set -o pipefail; tar cf - -C ~ .ssh | tar xOf -'
try "grep -r over the home" 'grep -r SECRET ~'
try "a hard link made in the workspace" 'ln ~/.ssh/id_rsa ./hard && cat hard'
try "a symlink made by the run" 'ln -s ~/.ssh/id_rsa ./soft && cat soft'
try "dd if=" 'dd if=$HOME/.ssh/id_rsa status=none'
try "an open file descriptor via /dev/fd" 'exec 3< ~/.ssh/id_rsa; cat /dev/fd/3'

# The program sees EACCES; with the read judged by proctor
# (--log-reads) the denial is explained on stderr too.  Reads the kernel
# refuses (Landlock, the default) are not explained: see the README.
pt_run --log-reads -- python3 -c "
import errno, os
try:
    open(os.path.expanduser('~/.ssh/id_rsa'))
except OSError as e:
    print('errno', errno.errorcode.get(e.errno))
"
pt_grep "reading a secret gives EACCES" "$PT_OUT" '^errno EACCES$'
pt_grep "the denial is on stderr" "$PT_ERR" \
	"^proctor: denied.*$HOME/.ssh/id_rsa"

# A secret's name with nothing there: ENOENT, as the kernel answers it in
# the default mode; no line and no count (nothing was withheld), but a
# record of the probe, and nothing for learning to review.
for m in "" --log-reads; do
	pt_run $m -- sh -c 'cat ~/.ssh/id_none 2>&1; cat ~/.npmrc 2>&1'
	pt_is "a secret's name with nothing there ${m:-(default)}: ENOENT" \
		"$(grep -c 'No such file' "$PT_OUT")" 2
	pt_nogrep "... and no line on stderr ${m:-(default)}" "$PT_ERR" \
		'denied|[0-9]+ denied'
done
pt_grep "... the probe is in the log (--log-reads)" "$PT_LOG" \
	'"path":"[^"]*/.ssh/id_none","decision":"deny".*"errno":2,'
pt_proctor learn --from "$PT_LOG" -o "$T/absent.json"
pt_nogrep "... which learning does not put up for review" "$T/absent.json" \
	'id_none|\.npmrc", "events'

# A quick grant makes a file a secret for one run.
echo "not for the program" >"$WS/private.txt"
pt_run --deny-read "$WS/private.txt" -- cat private.txt
pt_isnt "--deny-read PATH: reading it fails" "$PT_RC" 0
pt_nogrep "--deny-read PATH: its content does not appear" "$PT_OUT" \
	'not for the program'

# Files around the secrets stay readable.
echo "plain" >"$HOME/plain.txt"
pt_run -- cat "$HOME/plain.txt"
pt_status "an ordinary file in the home is readable" 0

# A secret directory that is a link (dotfiles managers): the rule names
# ~/.gnupg, the files live where the link points, and reads by either
# name are refused, whoever judges them.
mkdir -p "$HOME/dotfiles/gnupg"
printf '%s\n' "$secret" >"$HOME/dotfiles/gnupg/private.key"
ln -s dotfiles/gnupg "$HOME/.gnupg"
for m in "" --log-reads; do
	pt_run $m -- sh -c 'cat ~/.gnupg/private.key; cat ~/dotfiles/gnupg/private.key'
	pt_nogrep "a secret directory behind a link ${m:-(default)}: refused" \
		"$PT_OUT" "$secret"
done

# A write refused by a read rule says why (the documented precedence).
pt_run -- sh -c 'echo key >~/.ssh/authorized_keys'
pt_check "a write into a read-denied directory fails" \
	test ! -e "$HOME/.ssh/authorized_keys"
pt_grep "its line says the read rule also denies writes" "$PT_ERR" \
	'denied write .*rule files.read.deny\[[0-9]+\] "~/.ssh" \(built-in\): what may not be read may not be written'
# its advice gives the read too (ssh reads the known_hosts it wrote), and
# followed, the program writes and reads it back
pt_grep "... its advice allows the read of that file too" "$PT_ERR" \
	"allow with --allow-write '$HOME/.ssh/authorized_keys' --allow-read '$HOME/.ssh/authorized_keys'\$"
pt_run --allow-write "$HOME/.ssh/authorized_keys" \
	--allow-read "$HOME/.ssh/authorized_keys" -- \
	sh -c 'echo key >~/.ssh/authorized_keys && cat ~/.ssh/authorized_keys'
pt_grep "... followed, the file is written and read back" "$PT_OUT" '^key$'
rm -f "$HOME/.ssh/authorized_keys"

# The password hashes: only root could read them, and a run as root
# cannot under the default policy.
if [ "$(id -u)" = 0 ] && [ -r /etc/shadow ]; then
	pt_run -- cat /etc/shadow
	pt_isnt "as root, /etc/shadow cannot be read" "$PT_RC" 0
	pt_is "and nothing of it reaches the program" "$(wc -c <"$PT_OUT")" 0
else
	pt_skip "/etc/shadow" "only root can read it natively"
fi


# What may not be read may not be run either: the kernel would map it
# into the program, which reads its own memory (an LD_PRELOAD that dumps
# it).  Refused as a read, with its flag; through the loader too.
mkdir -p "$T/bin"
cp /bin/echo "$T/bin/secret-echo"
for m in "" --log-reads; do
	pt_run $m --deny-read "$T/bin/secret-echo" -- "$T/bin/secret-echo" ran
	pt_nogrep "a read-denied program does not run ${m:-(default)}" \
		"$PT_OUT" '^ran$'
	pt_grep "... refused as a read, by its flag (an --allow-read would tie)" "$PT_ERR" \
		"denied read .*rule --deny-read \"$T/bin/secret-echo\" \(command line\), as this run's flag asks"
done
LD=$(ls /lib64/ld-linux-x86-64.so.2 2>/dev/null)
if [ -n "$LD" ]; then
	pt_run --deny-read "$T/bin/secret-echo" -- "$LD" "$T/bin/secret-echo" ran
	pt_nogrep "... nor through the loader" "$PT_OUT" '^ran$'
fi

# The user's keyring holds secrets too: a key put there outside the run
# is found inside, but its contents are not read (x86_64 call numbers).
if [ "$(uname -m)" = x86_64 ]; then
	cat >"$T/key.py" <<'PY'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
ADD_KEY, KEYCTL = 248, 250
SEARCH, READ, INVALIDATE = 10, 11, 21
name = b"proctor-test-%d" % int(sys.argv[2])
if sys.argv[1] == "add":
    print(libc.syscall(ADD_KEY, b"user", name, b"sekrit", 6, -4) > 0)
elif sys.argv[1] == "read":
    k = libc.syscall(KEYCTL, SEARCH, -4, b"user", name, 0)
    buf = ctypes.create_string_buffer(64)
    n = libc.syscall(KEYCTL, READ, k, buf, 64)
    print("found" if k > 0 else "missing",
          buf.value.decode() if n > 0 else os.strerror(ctypes.get_errno()))
elif sys.argv[1] == "change":
    # update it, re-permission it, replace it by add_key, plant one:
    # each refused; a key in the process's own keyring (-2) is made
    k = libc.syscall(KEYCTL, SEARCH, -4, b"user", name, 0)
    out = [libc.syscall(KEYCTL, 2, k, b"evil", 4),
           libc.syscall(KEYCTL, 5, k, 0x3f3f3f3f),
           libc.syscall(ADD_KEY, b"user", name, b"evil", 4, -4),
           libc.syscall(ADD_KEY, b"user", b"planted", b"x", 1, -5),
           libc.syscall(ADD_KEY, b"user", b"own", b"x", 1, -2) > 0,
           # -2 zero-extended, as an int through syscall() may come
           libc.syscall(ADD_KEY, b"user", b"own2", b"x", 1,
                        ctypes.c_ulong(0xfffffffe)) > 0]
    # a search that would link what it finds into the user's keyring
    out.append(libc.syscall(KEYCTL, SEARCH, -2, b"user", b"own", -4))
    print(*out)
else:
    k = libc.syscall(KEYCTL, SEARCH, -4, b"user", name, 0)
    libc.syscall(KEYCTL, INVALIDATE, k)
PY
	if [ "$("$PT_PY" "$T/key.py" add $$)" = True ]; then
		pt_run -- "$PT_PY" "$T/key.py" read $$
		pt_grep "a key in the user's keyring is not read" "$PT_OUT" \
			'^found Permission denied$'
		pt_run -- "$PT_PY" "$T/key.py" change $$
		pt_grep "nor changed, re-permissioned, replaced; none planted; the process's own made" \
			"$PT_OUT" '^-1 -1 -1 -1 True True -1$'
		"$PT_PY" "$T/key.py" read $$ >"$T/key.txt"
		pt_grep "... and it still holds what it held" "$T/key.txt" \
			'^found sekrit$'
		"$PT_PY" "$T/key.py" drop $$
	else
		pt_skip "the user's keyring" "no key could be added"
	fi
fi
pt_done
