#!/bin/bash
# Exit statuses: CMD's own; 128+N when CMD died of signal N; 126 when CMD
# cannot be executed (or its exec is denied); 127 when it is not found;
# 125 when proctor itself fails, with a message, and CMD never runs.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

pt_run -- true
pt_status "exit status 0 passes through" 0
pt_run -- sh -c 'exit 7'
pt_status "exit status 7 passes through" 7
pt_run -- sh -c 'exit 255'
pt_status "exit status 255 passes through" 255
pt_run -- sh -c 'kill -TERM $$'
pt_status "CMD killed by SIGTERM gives 128+15" 143
pt_run -- sh -c 'kill -KILL $$'
pt_status "CMD killed by SIGKILL gives 128+9" 137
pt_run -- sh -c 'sh -c "kill -SEGV \$\$"; exit $?'
pt_status "a child's death by signal, reported by CMD as 139, passes through" 139
pt_run -- python3 -c 'import os, signal; os.kill(os.getpid(), signal.SIGABRT)'
pt_status "CMD killed by SIGABRT gives 128+6" 134

# ---- a file with no #! line is a shell script, as to env(1)
printf 'echo "no #! line:" "$@"\nexit 7\n' >"$WS/plain-script"
chmod +x "$WS/plain-script"
pt_run -- "$WS/plain-script" a b
pt_status "a script with no #! line runs with /bin/sh, with its status" 7
pt_grep "... and its arguments" "$PT_OUT" '^no #! line: a b$'

# ---- 126: found but cannot be executed
printf '#!/bin/sh\necho should not run\n' >noexec.sh
chmod 644 noexec.sh
pt_run -- ./noexec.sh
pt_status "a file without the x bit gives 126" 126
pt_nogrep "and it did not run" "$PT_OUT" 'should not run'
mkdir -p adir
pt_run -- ./adir
pt_status "a directory as CMD gives 126" 126
pt_run --deny-exec true -- true
pt_status "CMD whose exec is denied gives 126" 126
pt_grep "the denied exec is explained" "$PT_ERR" '^proctor: denied'

# ---- 127: not found
pt_run -- no-such-command-for-proctor-tests
pt_status "a command not in PATH gives 127" 127
pt_grep "not found is explained" "$PT_ERR" 'no-such-command-for-proctor-tests'
pt_run -- ./no-such-file
pt_status "a missing path gives 127" 127

# ---- 125: proctor's own failures; CMD must not run
marker=$WS/cmd-ran
# bad NAME EXPECTED-IN-MESSAGE PROCTOR-RUN-ARGS...
bad() {
	_n=$1
	_msg=$2
	shift 2
	rm -f "$marker"
	timeout -k 5 "$PT_TIMEOUT" "$PROCTOR" run "$@" </dev/null \
		>"$PT_OUT" 2>"$PT_ERR"
	PT_RC=$?
	pt_status "$_n: exit status 125" 125
	pt_absent "$_n: CMD did not run" "$marker"
	if [ -n "$_msg" ]; then
		pt_grep "$_n: the message names ${_msg//\\/}" "$PT_ERR" \
			"$_msg"
	fi
}

bad "missing policy file" "missing\\.json" \
	--policy "$T/missing.json" -- touch "$marker"
printf '{"files": {"write": {"allow": ["x"]}' >"$T/malformed.json"
bad "malformed JSON" "malformed\\.json" \
	--policy "$T/malformed.json" -- touch "$marker"
printf '{"files": {"write": {"alow": ["/x"]}}}\n' >"$T/unknown.json"
bad "unknown key" "files\\.write\\.alow" \
	--policy "$T/unknown.json" -- touch "$marker"
printf '{"network": {"default": "maybe"}}\n' >"$T/badaction.json"
bad "bad action" "network\\.default" \
	--policy "$T/badaction.json" -- touch "$marker"
bad "nonexistent workspace" "no-such-workspace" \
	--workspace "$T/no-such-workspace" -- touch "$marker"
echo file >"$T/plainfile"
bad "workspace that is a file" "plainfile" \
	--workspace "$T/plainfile" -- touch "$marker"
if [ "$(id -u)" != 0 ]; then
	mkdir -p "$T/shut" && chmod 000 "$T/shut"
	bad "a workspace the user cannot enter" \
		"shut: Permission denied \\(you cannot list or enter it\\)" \
		--workspace "$T/shut" -- touch "$marker"
	chmod 700 "$T/shut"
fi
bad "no command" "" --
bad "no command and no --" ""
bad "unknown option" "" --no-such-option -- touch "$marker"
bad "bad --allow-net address" "not!an-address" \
	--allow-net 'not!an-address' -- touch "$marker"
bad "workspace /" "" --workspace / -- touch "$marker"
bad "workspace = home directory" "" --workspace "$HOME" -- \
	touch "$marker"

pt_done
