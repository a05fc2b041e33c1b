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

# A debugger or tracer inside: ptrace is proctor's, refused and said
cat >"$T/traceme.py" <<'PY'
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
pid = os.fork()
if pid == 0:
    rc = libc.ptrace(0, 0, None, None)  # PTRACE_TRACEME
    os._exit(0 if rc < 0 and ctypes.get_errno() == 1 else 1)
print("traceme", "EPERM" if os.waitpid(pid, 0)[1] == 0 else "went")
PY
pt_run -- "$PT_PY" "$T/traceme.py"
pt_grep "ptrace inside fails with EPERM" "$PT_OUT" '^traceme EPERM$'
pt_grep "... and is said, with why" "$PT_ERR" \
	'^proctor: denied ptrace PTRACE_TRACEME by python3.*: proctor traces the run itself'
pt_grep "... and logged (class ptrace)" "$PT_LOG" \
	'"class":"ptrace","target":"PTRACE_TRACEME","decision":"deny"'
pt_done
