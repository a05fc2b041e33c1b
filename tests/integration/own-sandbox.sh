#!/bin/bash
# A program that would sandbox itself with Landlock learns that it
# cannot (EOPNOTSUPP, "disabled"): its domain would bind only the calls
# it makes itself, not the opens and connects proctor makes for it.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
pt_need "a program's own Landlock" python3 || pt_done

if [ "$(uname -m)" = x86_64 ]; then
	pt_run -- "$PT_PY" -c '
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
# landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION)
rc = libc.syscall(444, None, 0, 1)
print(rc, os.strerror(ctypes.get_errno()) if rc < 0 else "")'
	pt_grep "landlock_create_ruleset answers EOPNOTSUPP" "$PT_OUT" \
		'^-1 Operation not supported$'
fi
pt_done
