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
learn "$o/target" -- true
pt_status "learn -o FILE replaces a regular file" 0
pt_grep "-o FILE: the policy is written" "$o/target" '"builtin": false'
pt_proctor learn --from "$PT_TESTS/golden/learn/run.jsonl" -o "$o/fifo"
pt_status "learn --from LOG -o FIFO is refused" 125
pt_check "learn --from -o FIFO: the FIFO stays" test -p "$o/fifo"

pt_done
