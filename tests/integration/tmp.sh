#!/bin/bash
# Temporary files: mktemp, /dev/null, /dev/shm; the run's $TMPDIR is
# private to it and removed after the run; in /tmp a run may create
# files and then use them, but not change files it did not create.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

outer=$TMPDIR

# ---- $TMPDIR is private, and goes away with the run
pt_run -- sh -c 'echo "$TMPDIR"; stat -c "%a %u" "$TMPDIR";
	echo data >"$TMPDIR/file" && cat "$TMPDIR/file"'
pt_status "the run can write into its \$TMPDIR" 0
run_tmp=$(sed -n 1p "$PT_OUT")
pt_isnt "the run's \$TMPDIR is not the outer one" "$run_tmp" "$outer"
case $run_tmp in
/*) pt_ok "the run's \$TMPDIR is an absolute path" ;;
*) pt_fail "the run's \$TMPDIR is an absolute path" "got '$run_tmp'" ;;
esac
pt_is "the run's \$TMPDIR is mode 700 and owned by the user" \
	"$(sed -n 2p "$PT_OUT")" "700 $(id -u)"
pt_grep "a file in \$TMPDIR reads back" "$PT_OUT" '^data$'
pt_absent "the run's \$TMPDIR is removed after the run" "$run_tmp"
pt_is "nothing is left in the outer TMPDIR" "$(ls -A "$outer")" ""

pt_run -- sh -c 'echo "$TMPDIR"'
other=$(cat "$PT_OUT")
pt_isnt "each run gets a \$TMPDIR of its own" "$other" "$run_tmp"

# One run cannot reach into another's: a second proctor, outside the
# first, holds its TMPDIR open while the first tries to write there.
"$PROCTOR" run --no-log -- sh -c 'echo "$TMPDIR" >"$1"; sleep 5' sh \
	"$WS/holder" </dev/null >/dev/null 2>&1 &
holder=$!
pt_wait_for 5 test -s "$WS/holder"
held=$(cat "$WS/holder")
if [ -n "$held" ]; then
	pt_run -- sh -c 'echo x >"$1/intruder"' sh "$held"
	pt_isnt "a run cannot write into another run's \$TMPDIR" "$PT_RC" 0
	pt_absent "nothing appears in the other run's \$TMPDIR" \
		"$held/intruder"
else
	pt_fail "a run cannot write into another run's \$TMPDIR" \
		"the holder run did not start"
fi
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null

pt_run --keep-tmp -- sh -c 'echo kept >"$TMPDIR/k"; echo "$TMPDIR"'
kept=$(tail -n 1 "$PT_OUT")
pt_check "--keep-tmp keeps the run's \$TMPDIR" test -f "$kept/k"
pt_grep "... and says where" "$PT_ERR" \
	"^proctor: --keep-tmp: the run's TMPDIR is kept: $kept\$"
[ -n "$kept" ] && rm -rf -- "$kept"

# ---- a run that cannot start, or is killed, leaves nothing behind
# (the cleaner starts as soon as the TMPDIR exists)
echo '{"bogus": 1}' >"$T/bad.json"
pt_run --policy "$T/bad.json" -- true
pt_status "a policy with an unknown key: exit 125" 125
pt_is "it leaves nothing in the outer TMPDIR" "$(ls -A "$outer")" ""
: >"$T/taken"
pt_run --approve-socket "$T/taken" -- true
pt_status "an approval socket where a file is: exit 125" 125
pt_is "it leaves nothing in the outer TMPDIR" "$(ls -A "$outer")" ""
pt_check "and the file there stays" test -f "$T/taken"
echo '{"not":"proctor'"'"'s"}' >"$T/foreign.jsonl"
"$PROCTOR" run --log "$T/foreign.jsonl" -- true </dev/null >/dev/null \
	2>"$T/foreign.err"
pt_is "a log proctor cannot vouch for: exit 125" "$?" 125
pt_is "it leaves nothing in the outer TMPDIR" "$(ls -A "$outer")" ""
"$PROCTOR" run --no-log --approve-socket "$T/sock" -- sleep 30 \
	</dev/null >/dev/null 2>&1 &
victim=$!
pt_wait_for 10 test -S "$T/sock"
kill -KILL "$victim"
wait "$victim" 2>/dev/null
pt_wait_for 10 sh -c "[ -z \"\$(ls -A '$outer')\" ] && [ ! -e '$T/sock' ]"
pt_is "proctor killed mid-run: nothing left in the outer TMPDIR" \
	"$(ls -A "$outer")" ""
pt_absent "nor its approval socket" "$T/sock"

# ---- mktemp
pt_run -- sh -c 'f=$(mktemp) && echo one >"$f" && cat "$f" && echo "$f" &&
	d=$(mktemp -d) && echo two >"$d/x" && cat "$d/x" &&
	rm -r "$f" "$d"'
pt_status "mktemp and mktemp -d work" 0
pt_grep "mktemp makes its file in the run's \$TMPDIR" "$PT_OUT" \
	"^$outer/[^/]+/tmp\\."
pt_run -- python3 -c '
import tempfile
with tempfile.NamedTemporaryFile("w+") as f:
    f.write("py"); f.flush(); f.seek(0); print(f.read())
with tempfile.TemporaryDirectory() as d:
    open(d + "/x", "w").write("y")
print("done")'
pt_status "python tempfile works" 0

# ---- /dev/null, /dev/zero, /dev/shm
pt_run -- sh -c 'echo x >/dev/null && cat /dev/null && head -c 4 /dev/zero |
	wc -c && ls nonexistent 2>/dev/null; echo done'
pt_status "/dev/null and /dev/zero work" 0
pt_grep "/dev/null and /dev/zero read as expected" "$PT_OUT" '^4$'

shm=/dev/shm/proctor-test-$(id -u)-$$-$RANDOM
pt_cleanup_add "$shm"
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	pt_run -- sh -c "echo shared >'$shm' && cat '$shm' && rm '$shm'"
	pt_status "a file in /dev/shm can be made, read and removed" 0
	pt_grep "the /dev/shm file reads back" "$PT_OUT" '^shared$'
else
	pt_skip "/dev/shm" "/dev/shm is not a writable directory here"
fi

# ---- /tmp: create and then use; leave alone what the run did not create
mine=/tmp/proctor-test-$(id -u)-$$-$RANDOM
theirs=$mine.theirs
pt_cleanup_add "$mine" "$mine.2" "$theirs"
echo "not the run's" >"$theirs"
pt_run -- sh -c "echo new >'$mine' && echo more >>'$mine' &&
	mv '$mine' '$mine.2' && cat '$mine.2' && rm '$mine.2'"
pt_status "a run creates, appends to, renames and removes its own /tmp file" 0
pt_grep "its own /tmp file reads back" "$PT_OUT" '^more$'
pt_absent "and it is gone" "$mine" "$mine.2"

pt_run -- sh -c "echo x >>'$theirs'"
pt_isnt "appending to a /tmp file the run did not create fails" "$PT_RC" 0
pt_run -- sh -c "echo x >'$theirs'"
pt_isnt "truncating a /tmp file the run did not create fails" "$PT_RC" 0
pt_run -- rm -f "$theirs"
pt_isnt "removing a /tmp file the run did not create fails" "$PT_RC" 0
pt_is "the /tmp file the run did not create is unchanged" \
	"$(cat "$theirs" 2>&1)" "not the run's"

# A file the run created is the run's only during that run.
pt_run -- sh -c "echo first >'$mine'"
pt_run -- sh -c "echo second >'$mine'"
pt_isnt "a /tmp file made by an earlier run cannot be overwritten" \
	"$PT_RC" 0
pt_is "it keeps the first run's content" "$(cat "$mine" 2>&1)" "first"

pt_done
