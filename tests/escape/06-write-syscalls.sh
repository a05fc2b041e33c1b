#!/bin/bash
# Class 6, other syscalls that write: every call that can create,
# change or remove a file, aimed at the canary (by path, by dirfd, by a
# read-only or O_PATH descriptor), including the newer calls (fchmodat2,
# setxattrat, removexattrat, file_setattr) and the old ones (utime,
# utimes, futimesat), ioctl flags, and bind of a unix socket path.
# Also: the Landlock write floor is in force however proctor's output
# is connected.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
. "$PT_TESTS/escape/helpers.bash"
esc_init 6

esc_run -- "$T/attacks" write-calls
esc_results
esc_canary_ok "every write call"

# again where the policy leaves no Landlock floor (writes allowed by
# default, the canary denied): the supervisor alone
esc_nofloor
esc_run --policy "$T/nofloor.json" -- "$T/attacks" write-calls
esc_results "no floor"
esc_canary_ok "no floor, every write call"

# A core dump is a file the kernel writes in the cwd, judged by nobody:
# a crash in the canary's directory (no floor), and over an existing
# `core` in /tmp, where the floor lets the run make files of its own
crash='ulimit -c unlimited 2>/dev/null; cd "$1" && sh -c '"'"'kill -SEGV $$'"'"''
core_dir=$(mktemp -d /tmp/pt-core.XXXXXX)
pt_cleanup_add "$core_dir"
chmod 777 "$core_dir"
sh -c "$crash" sh "$core_dir" 2>/dev/null
if [ -s "$core_dir/core" ]; then
	echo precious >"$core_dir/core"
	chmod 666 "$core_dir/core"
	esc_run --policy "$T/nofloor.json" -- sh -c "$crash" sh "$CANARY/dir"
	esc_canary_ok "no floor, a core dump in the canary's directory"
	esc_run -- sh -c "$crash" sh "$core_dir"
	pt_is "class 6: a crash leaves an existing core file as it was" \
		"$(cat "$core_dir/core")" precious
else
	pt_skip "class 6: core dumps" "natively none here ($(cat /proc/sys/kernel/core_pattern))"
fi
esc_run -- sh -c 'ulimit -c; ulimit -Hc'
pt_is "class 6: the program starts with no room for a core" \
	"$(tr '\n' ' ' <"$PT_OUT")" "0 0 "

# The floor is the kernel's backstop under every class: it must not
# depend on where stdout and stderr go.
floor() {
	grep '"type":"kernel"' "$PT_LOG" | sed -n 's/.*"write_floor":"\([^"]*\)".*/\1/p'
}
esc_run -- true
want=$(floor)
pt_diag "write floor with output to files: ${want:-?}"
: >"$PT_LOG"
"$PROCTOR" run --log "$PT_LOG" -- true </dev/null 2>&1 | cat >/dev/null
pt_is "class 6: the write floor with stdout and stderr to a pipe" \
	"$(floor)" "$want"
: >"$PT_LOG"
"$PROCTOR" run --log "$PT_LOG" -- true </dev/null 2>&1 >/dev/null | cat >/dev/null
pt_is "class 6: the write floor with stderr to a pipe" "$(floor)" "$want"

esc_summary
pt_done
