# tests/escape/helpers.bash: what the escape scripts share, on top of
# tests/lib.sh.  Sourced after pt_init (not a test: run-all.sh runs only
# *.sh).  Each script:
#
#	. "$(dirname "$0")/../lib.sh"
#	pt_init "$@"
#	. "$PT_TESTS/escape/helpers.bash"
#	esc_init N			# class N; compiles attacks.c
#	esc_run [RUN-OPTION]... -- $T/attacks SUBCOMMAND ...
#	esc_results			# one ok/not ok per attempt
#	...
#	esc_summary			# "# class N: A attempts, W wins"
#	pt_done
#
# The canary ($CANARY, from pt_init) holds `existing` (with a user.keep
# xattr where the filesystem has them), `dir/` and `secret`, which every
# run is denied to read (--deny-read).  Forbidden programs write
# $ESC_MARKER when they run.

ESC_DIR=$PT_TESTS/escape
ESC_ATTEMPTS=0
ESC_WINS=0
ESC_SRV_PID=

# esc_init CLASS: the canary contents, and the attack program in $T.
esc_init() {
	ESC_CLASS=$1
	ESC_MARKER=$WS/FORBIDDEN-RAN
	export ESC_WS=$WS ESC_CANARY=$CANARY ESC_T=$T ESC_EXTRA=
	mkdir -p "$CANARY/dir"
	echo "canary dir entry" >"$CANARY/dir/inner"
	echo "SECRET-canary-$$" >"$CANARY/secret"
	"$PT_PY" -c 'import os, sys
try:
    os.setxattr(sys.argv[1], "user.keep", b"1")
except OSError:
    pass' "$CANARY/existing" 2>/dev/null
	chmod 644 "$CANARY/existing"
	ESC_FLAGS=(--deny-read "$CANARY/secret")
	if ! command -v cc >/dev/null 2>&1; then
		pt_fail "class $ESC_CLASS: a C compiler (cc) is installed"
		pt_done
	fi
	if ! cc -O2 -pthread -DMARKER="\"$ESC_MARKER\"" \
		-o "$T/attacks" "$ESC_DIR/attacks.c" 2>"$T/out/cc.err"; then
		pt_fail "class $ESC_CLASS: attacks.c compiles"
		pt_diag_file "$T/out/cc.err" "cc" 20
		pt_done
	fi
	esc_baseline
}

# esc_progs: $T/prog-no (the denied program: writes $ESC_MARKER, exits
# 42) and $T/prog-ok (exits 0; with --evil acts like prog-no).
esc_progs() {
	cc -O2 -DFORBIDDEN -DMARKER="\"$ESC_MARKER\"" \
		-o "$T/prog-no" "$ESC_DIR/attacks.c" &&
		cc -O2 -DALLOWED -DMARKER="\"$ESC_MARKER\"" \
			-o "$T/prog-ok" "$ESC_DIR/attacks.c" || {
		pt_fail "class $ESC_CLASS: the test programs compile"
		pt_done
	}
}

# The state of the canary (and of $ESC_EXTRA), seen from outside.
esc_snapshot() {
	local d
	for d in "$CANARY" ${ESC_EXTRA:+"$ESC_EXTRA"}; do
		(cd "$d" && find . -printf '%p %y %m %U %G %s %T@ %C@ %n %i %l\n' |
			sort && find . -type f ! -name secret -exec md5sum {} + |
			sort)
	done
}

esc_baseline() {
	ESC_BEFORE=$(esc_snapshot)
}

# esc_canary_ok NAME: the canary is as it was at the last baseline.  On a
# change, says what changed and puts the canary's files back.
esc_canary_ok() {
	local now
	now=$(esc_snapshot)
	if [ "$now" = "$ESC_BEFORE" ]; then
		pt_ok "class $ESC_CLASS: $1: canary untouched"
		return 0
	fi
	pt_fail "class $ESC_CLASS: $1: canary untouched" \
		"$(diff <(echo "$ESC_BEFORE") <(echo "$now") | grep '^[<>]' |
			head -n 12 | cut -c1-200)"
	# put back what later attempts need
	[ -f "$CANARY/existing" ] ||
		echo "canary: must stay as it is" >"$CANARY/existing"
	chmod 644 "$CANARY/existing" 2>/dev/null
	mkdir -p "$CANARY/dir"
	[ -f "$CANARY/dir/inner" ] || echo "canary dir entry" >"$CANARY/dir/inner"
	esc_baseline
	return 1
}

# esc_marker_ok NAME: no forbidden program ran.
esc_marker_ok() {
	if [ -e "$ESC_MARKER" ] || ls "$ESC_MARKER".* >/dev/null 2>&1; then
		pt_fail "class $ESC_CLASS: $1: the denied program did not run" \
			"$(cat "$ESC_MARKER" "$ESC_MARKER".* 2>/dev/null | head -n 5)"
		mkdir -p "$T/out/markers"
		mv "$ESC_MARKER" "$ESC_MARKER".* "$T/out/markers/" 2>/dev/null
		return 1
	fi
	pt_ok "class $ESC_CLASS: $1: the denied program did not run"
	return 0
}

# esc_nofloor: $T/nofloor.json, a policy under which writes are allowed
# by default and only the canary is denied.  proctor then has no Landlock
# floor ("writes are unbounded"), so the supervisor alone must hold.
esc_nofloor() {
	printf '{"files": {"write": {"default": "allow", "deny": ["%s"]}}}\n' \
		"$CANARY" >"$T/nofloor.json"
}

# esc_run [RUN-OPTION]... -- CMD...: pt_run with the canary's secret
# denied for reading.
esc_run() {
	pt_run "${ESC_FLAGS[@]}" "$@"
}

# esc_run_piped [RUN-OPTION]... -- CMD...: the same with proctor's stdout
# and stderr each going to a pipe, as when a caller captures them.
esc_run_piped() {
	PT_NRUN=$((PT_NRUN + 1))
	: >"$PT_LOG"
	{
		timeout -k 5 "$PT_TIMEOUT" "$PROCTOR" run --log "$PT_LOG" \
			"${ESC_FLAGS[@]}" "$@" </dev/null 2>&1 >&3 3>&- |
			cat >"$PT_ERR"
		echo "${PIPESTATUS[0]}" >"$T/out/rc"
	} 3>&1 | cat >"$PT_OUT"
	PT_RC=$(cat "$T/out/rc")
}

# esc_results [PREFIX]: one result per CALL, RACE and GOOD line of the
# last run's stdout; adds attempts and wins to the class totals.  A run
# that did not reach its end (no TOTAL line) is a failure of its own.
esc_results() {
	local prefix=${1:+$1: } line name rc err win att wins ok
	while IFS= read -r line; do
		case $line in
		CALL\ *)
			set -- $line
			name=$2 rc=${3#rc=} err=${4#errno=} win=${5#win=}
			ESC_ATTEMPTS=$((ESC_ATTEMPTS + 1))
			if [ "$win" = 0 ]; then
				pt_ok "class $ESC_CLASS: $prefix$name: refused ($err)"
			else
				ESC_WINS=$((ESC_WINS + 1))
				pt_fail "class $ESC_CLASS: $prefix$name: refused" \
					"the forbidden effect happened: rc=$rc errno=$err"
			fi ;;
		RACE\ *)
			set -- $line
			name=$2 att=${3#attempts=} wins=${4#wins=}
			ESC_ATTEMPTS=$((ESC_ATTEMPTS + att))
			ESC_WINS=$((ESC_WINS + wins))
			pt_diag "$name: $att attempts, $wins wins"
			if [ "$wins" = 0 ]; then
				pt_ok "class $ESC_CLASS: $prefix$name: no win in $att attempts"
			else
				pt_fail "class $ESC_CLASS: $prefix$name: no win in $att attempts" \
					"won $wins times"
			fi ;;
		GOOD\ *)
			set -- $line
			name=$2 ok=${3#ok=}
			if [ "$ok" = 1 ]; then
				pt_ok "class $ESC_CLASS: $prefix$name works"
			else
				pt_fail "class $ESC_CLASS: $prefix$name works" \
					"an allowed operation failed"
			fi ;;
		INFO\ *)
			pt_diag "${line#INFO }" ;;
		esac
	done <"$PT_OUT"
	if ! grep -q '^TOTAL ' "$PT_OUT"; then
		pt_fail "class $ESC_CLASS: ${prefix}the attack program ran to its end" \
			"exit status $PT_RC"
		pt_diag_file "$PT_ERR" stderr 10
	fi
}

# esc_serve NAME=KIND...: the loopback and unix servers of attacks.c
# (serve), outside proctor.  esc_port NAME, esc_count NAME ("conns
# bytes"), esc_serve_stop.
esc_serve() {
	ESC_SRV=$T/srv
	rm -rf "$ESC_SRV"
	mkdir -p "$ESC_SRV"
	"$T/attacks" serve "$ESC_SRV" "$@" </dev/null >"$ESC_SRV/log" 2>&1 &
	ESC_SRV_PID=$!
	pt_at_exit "kill $ESC_SRV_PID 2>/dev/null"
	pt_wait_for 5 test -e "$ESC_SRV/ready" || {
		pt_fail "class $ESC_CLASS: the test's servers start"
		pt_diag_file "$ESC_SRV/log" "server log"
		pt_done
	}
}

esc_port() {
	cat "$ESC_SRV/$1.port"
}

esc_count() {
	cat "$ESC_SRV/$1.count" 2>/dev/null || echo "? ?"
}

# esc_no_traffic NAME LISTENER: nothing reached the listener.
esc_no_traffic() {
	local c
	c=$(esc_count "$2")
	if [ "$c" = "0 0" ]; then
		pt_ok "class $ESC_CLASS: $1: the denied listener got nothing"
	else
		pt_fail "class $ESC_CLASS: $1: the denied listener got nothing" \
			"connections/datagrams and bytes received: $c"
	fi
}

esc_serve_stop() {
	[ -n "$ESC_SRV_PID" ] || return 0
	kill "$ESC_SRV_PID" 2>/dev/null
	wait "$ESC_SRV_PID" 2>/dev/null
	ESC_SRV_PID=
}

# esc_attempt WON: counts one attempt the script judged itself (not a
# CALL line of the attack program); WON is 1 when it succeeded.
esc_attempt() {
	ESC_ATTEMPTS=$((ESC_ATTEMPTS + 1))
	[ "$1" = 1 ] && ESC_WINS=$((ESC_WINS + 1))
	return 0
}

esc_summary() {
	echo "# class $ESC_CLASS: $ESC_ATTEMPTS attempts, $ESC_WINS wins"
}
