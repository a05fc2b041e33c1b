#!/bin/bash
# Writing outside the workspace fails, whatever the way of writing, and
# nothing appears in (or changes in, or goes from) the canary directory.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

snapshot() {
	(cd "$CANARY" && find . -printf '%p %y %m %s %T@ %n\n' | sort &&
		cat existing)
}
before=$(snapshot)

# try NAME COMMAND: the command, run under proctor, must fail, must not
# change the canary directory, and must be explained on stderr.
try() {
	pt_run -- bash -c "$2"
	if [ "$PT_RC" = 0 ]; then
		pt_fail "$1: the command fails" "it exited 0: $2"
		pt_diag_file "$PT_ERR" stderr 5
	else
		pt_ok "$1: the command fails"
	fi
	now=$(snapshot)
	if [ "$now" = "$before" ]; then
		pt_ok "$1: the canary directory is unchanged"
	else
		pt_fail "$1: the canary directory is unchanged" \
			"$(diff <(echo "$before") <(echo "$now") | grep '^[<>]')"
		# Put it back so that the next case is judged on its own.
		find "$CANARY" -mindepth 1 -delete
		echo "canary: must stay as it is" >"$CANARY/existing"
		before=$(snapshot)
	fi
}

try "shell redirection to a new file" "echo x > '$CANARY/new'"
try "append to an existing file" "echo x >> '$CANARY/existing'"
try "truncate an existing file" "truncate -s 0 '$CANARY/existing'"
try "touch a new file" "touch '$CANARY/touched'"
try "cp into the canary" "cp /etc/hostname '$CANARY/copied'"
try "mkdir in the canary" "mkdir '$CANARY/dir'"
try "mv a workspace file into the canary" \
	"echo x > mine && mv mine '$CANARY/moved'"
try "mv a canary file into the workspace" \
	"mv '$CANARY/existing' ./stolen"
try "rm a canary file" "rm -f '$CANARY/existing'"
try "relative path with .." \
	"echo x > ../canary/relative"
try "through a symlink the run made in the workspace" \
	"ln -s '$CANARY' ws-link && echo x > ws-link/via-link"
try "python open() for writing" \
	"python3 -c 'open(\"$CANARY/py\", \"w\").write(\"x\")'"
try "dd of=" "dd if=/dev/zero of='$CANARY/dd' bs=1 count=1"
try "tee" "echo x | tee '$CANARY/teed'"
try "symlink in the canary" "ln -s /etc/passwd '$CANARY/symlink'"
try "hard link in the canary" \
	"ln '$CANARY/existing' '$CANARY/hardlink'"
try "mkfifo in the canary" "mkfifo '$CANARY/fifo'"
try "mknod of a regular file in the canary" \
	"python3 -c 'import os; os.mknod(\"$CANARY/node\")'"
try "chmod of a canary file" "chmod 777 '$CANARY/existing'"
try "touch -d (set times) of a canary file" \
	"touch -d 2001-01-01 '$CANARY/existing'"

# A symlink in the workspace made before the run, pointing outside.
ln -s "$CANARY" "$WS/pre-link"
try "through a symlink that was in the workspace before the run" \
	"echo x > pre-link/via-pre-link"

# The denial is explained on stderr, one line, and the program sees
# EACCES.
pt_run -- python3 -c "
import errno
try:
    open('$CANARY/eacces', 'w')
except OSError as e:
    print('errno', errno.errorcode.get(e.errno))
"
pt_grep "the program sees EACCES" "$PT_OUT" '^errno EACCES$'
pt_grep "stderr has a line starting 'proctor: denied'" "$PT_ERR" \
	"^proctor: denied.*$CANARY/eacces"
n=$(grep -c "^proctor: denied.*$CANARY/eacces" "$PT_ERR")
pt_is "the denial is explained once" "$n" 1
pt_run --quiet -- sh -c "echo x > '$CANARY/quiet'"
pt_nogrep "--quiet silences the denial line" "$PT_ERR" '^proctor: denied'

# Writing inside the workspace still works, after all that.
pt_run -- sh -c 'echo fine > inside && cat inside'
pt_status "writing inside the workspace works" 0
pt_grep "and the file holds what was written" "$WS/inside" '^fine$'
pt_run -- sh -c 'echo l >l1 && ln l1 l2 && ln -s l1 l3 && mv l2 l4 &&
	mkdir d && rmdir d && cat l3 l4'
pt_status "ln, ln -s, mv, mkdir, rmdir inside the workspace work" 0
if command -v perl >/dev/null 2>&1; then
	# perl's link() is link(2), not linkat(2) as in coreutils
	pt_run -- perl -e 'link("l1", "l5") or die "link: $!\n"'
	pt_status "link(2) inside the workspace works" 0
	pt_check "link(2) made the new name" test -f "$WS/l5"
else
	pt_skip "link(2) inside the workspace works" "perl is not installed"
fi

# chattr: attribute flags are a change of the file, through a descriptor
# of any mode: set in the workspace, refused outside it, with advice.
echo f >"$WS/attrs"
if ! command -v chattr >/dev/null || ! chattr +d "$WS/attrs" 2>/dev/null; then
	pt_skip "chattr in the workspace" "no chattr, or flags not supported here"
else
	chattr -d "$WS/attrs"
	was=$(lsattr -d "$CANARY/existing" 2>&1)
	pt_run -- sh -c "chattr +d attrs && lsattr attrs"
	pt_status "chattr in the workspace works" 0
	pt_grep "... and the flag is set" "$PT_OUT" '^-*d.* attrs$'
	pt_run -- chattr +d "$CANARY/existing"
	pt_isnt "chattr of a file outside fails" "$PT_RC" 0
	pt_is "... its flags unchanged" "$(lsattr -d "$CANARY/existing" 2>&1)" \
		"$was"
	pt_grep "... said, with the flag that would allow it" "$PT_ERR" \
		"^proctor: denied write $CANARY/existing by chattr .* allow with --allow-write '$CANARY/existing'$"
fi

# A descriptor opened with O_PATH changes nothing: EBADF, as natively,
# inside the workspace or out.
cat >"$T/opath.py" <<'PY'
import fcntl, os, struct, sys
for path in sys.argv[1:]:
    fd = os.open(path, os.O_PATH)
    for name, call in (
        ("fchmod", lambda: os.fchmod(fd, 0o644)),
        ("fchown", lambda: os.fchown(fd, -1, -1)),
        ("fsetxattr", lambda: os.setxattr(fd, "user.x", b"1")),
        ("setflags", lambda: fcntl.ioctl(fd, 0x40086602, struct.pack("l", 0))),
    ):
        try:
            call()
            print(name, 0)
        except OSError as e:
            print(name, e.errno)
PY
native=$("$PT_PY" "$T/opath.py" "$WS/attrs" "$CANARY/existing")
pt_run -- "$PT_PY" "$T/opath.py" "$WS/attrs" "$CANARY/existing"
pt_is "calls on an O_PATH descriptor answer as natively (EBADF)" \
	"$(cat "$PT_OUT")" "$native"

# A descriptor the run holds may be opened again for what it does:
# output sent to a file outside the workspace (the harness's own
# stdout and stderr files) takes `echo >>/dev/stderr` and a reopen of
# /proc/self/fd/1; one that only reads a file outside is no way to
# write it (the canary is unchanged, said).
pt_run -- bash -c 'echo to-stderr >>/dev/stderr; echo to-stdout >>/dev/stdout
	"$0" -c "open(\"/proc/self/fd/1\", \"a\").write(\"python\\n\")"' "$PT_PY"
pt_status "output redirected outside the workspace reopens" 0
pt_grep "... /dev/stdout" "$PT_OUT" '^to-stdout$'
pt_grep "... /proc/self/fd/1" "$PT_OUT" '^python$'
pt_grep "... /dev/stderr" "$PT_ERR" '^to-stderr$'
pt_nogrep "... with no denial" "$PT_ERR" 'denied'
try "a read-only descriptor reopened to write" \
	"exec 3<'$CANARY/existing'; echo x >>/proc/self/fd/3"
pt_grep "... said" "$PT_ERR" "^proctor: denied write $CANARY/existing"

# ... for its content only: its mode, owner, times and names stay the
# policy's (chmod, link through /proc/self/fd/N of an output file).
echo kept >"$T/held.log"
chmod 644 "$T/held.log"
pt_run -- sh -c 'chmod 4755 /proc/self/fd/5; echo chmod=$?
	ln -L /proc/self/fd/5 linked 2>/dev/null; echo link=$?' 5>>"$T/held.log"
pt_grep "a descriptor that writes a file gives no chmod of it" "$PT_OUT" \
	'^chmod=1$'
pt_grep "... nor a link of it" "$PT_OUT" '^link=1$'
pt_is "... its mode is as it was" "$(stat -c %a "$T/held.log")" 644
pt_absent "... and no link was made" "$WS/linked"

# /dev/null may be written, but its mode, owner and name are the
# system's (a chmod to its own mode, harmless were it carried out).
pt_run -- sh -c 'echo x >/dev/null && echo written; chmod 666 /dev/null'
pt_grep "/dev/null is written" "$PT_OUT" '^written$'
pt_isnt "... but not chmod-ed" "$PT_RC" 0
pt_grep "... said so" "$PT_ERR" \
	'^proctor: denied write /dev/null by chmod .*: a device node'

# A name not there has nothing to remove or move: ENOENT, as the kernel
# answers whoever may write (`rm -f` exits 0; `make clean`, `set -e`)
pt_run -- sh -c "rm -f '$T/none'; echo rm=\$?; rmdir '$T/none' 2>/dev/null
	echo rmdir=\$?; python3 -c 'import errno, os, sys
for f in (os.unlink, lambda p: os.rename(p, p + \"2\")):
    try:
        f(sys.argv[1])
    except OSError as e:
        print(errno.errorcode[e.errno])' '$T/none'"
pt_is "rm -f, rmdir, unlink and rename of a name not there outside: ENOENT" \
	"$(tr '\n' ' ' <"$PT_OUT")" "rm=0 rmdir=1 ENOENT ENOENT "
pt_nogrep "... with no denial line" "$PT_ERR" 'denied'

pt_done
