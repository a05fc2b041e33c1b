#!/bin/bash
# A file in /tmp that the run did not make stays closed to it, also when
# it has the inode number of a file the run made and freed: ext4 hands
# out the lowest free number, so a run that fills the holes below, then
# frees files it made (a rename over them, which no unlink shows), can
# have the next file made in /tmp by someone else take one of its
# numbers.  The run writes the numbers it freed; the test then makes
# files in /tmp, as another program of the user would, and the run tries
# to append to them.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

pre=/tmp/pt-inode-$$
cat >"$T/reuse.sh" <<'SH'
pre=$1
i=0
while [ $i -lt 3000 ]; do : >"$pre-fill-$i"; i=$((i + 1)); done
for i in 1 2 3 4 5 6 7 8 9 10; do : >"$pre-own-$i"; done
for i in 1 2 3 4 5 6 7 8 9 10; do : >"$pre-rep-$i"; done
ls -i "$pre"-rep-* | awk '{print $1}' >numbers
for i in 1 2 3 4 5 6 7 8 9 10; do mv -f "$pre-own-$i" "$pre-rep-$i"; done
: >freed
n=0
while [ ! -e ready ] && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
for f in "$pre"-victim-*; do
	echo CHANGED >>"$f" 2>/dev/null && echo "wrote $f"
done
exit 0
SH
cleanup_tmp() {
	rm -f "$pre"-fill-* "$pre"-own-* "$pre"-rep-* "$pre"-victim-*
}
pt_at_exit cleanup_tmp

timeout -k 5 "$PT_TIMEOUT" "$PROCTOR" run --log "$PT_LOG" \
	-- sh "$T/reuse.sh" "$pre" </dev/null >"$PT_OUT" 2>"$PT_ERR" &
run=$!
pt_wait_for 60 test -e "$WS/freed"
for i in 1 2 3 4 5 6 7 8 9 10; do echo theirs >"$pre-victim-$i"; done
: >"$WS/ready"
wait "$run"

reused=0
for f in "$pre"-victim-*; do
	grep -qx "$(stat -c %i "$f")" "$WS/numbers" 2>/dev/null &&
		reused=$((reused + 1))
done
pt_diag "victim files with an inode number the run freed: $reused of 10"
changed=$(grep -l CHANGED "$pre"-victim-* 2>/dev/null | wc -l)
pt_is "no file the run did not make in /tmp was changed" "$changed" 0
pt_nogrep "the run reports no write to them" "$PT_OUT" '^wrote'
if [ "$reused" = 0 ]; then
	pt_skip "inode numbers came back" \
		"the filesystem gave the new files other numbers"
fi
pt_done
