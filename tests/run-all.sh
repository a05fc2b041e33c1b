#!/bin/bash
# tests/run-all.sh PATH/TO/proctor
#
# Runs every tests/integration/*.sh and tests/escape/*.sh against the
# given binary: as root, then as the unprivileged user `proctortest`
# (created once, with a home, when missing); run by another user, only
# as that user.  Each test gets a fresh directory of its own ($PT_TMP),
# outside /tmp (where the default policy lets a run create files).
#
# Test scripts print `ok - NAME`, `not ok - NAME` and `skip - NAME: why`
# lines (see tests/lib.sh); a script that exits non-zero without a
# `not ok` line, or runs past its time, counts as one failure.  The last
# line is `N passed, N failed, N skipped`; the exit status is 1 if
# anything failed.
#
# Environment: PT_ONLY=GLOB runs only matching scripts (e.g. 'net*');
# PT_SCRIPT_TIMEOUT (default 180) bounds each script, in seconds;
# PT_KEEP=1 keeps the temporary directories; PROCTOR_TEST_USER names the
# unprivileged user (default proctortest).

set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 PATH/TO/proctor" >&2
	exit 2
fi

here=$(cd "$(dirname "$0")" && pwd)
bin=$1
case $bin in
/*) ;;
*) bin=$(pwd)/$bin ;;
esac
if [ ! -x "$bin" ]; then
	echo "run-all: $bin: no such executable; run make first" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

test_user=${PROCTOR_TEST_USER:-proctortest}
script_timeout=${PT_SCRIPT_TIMEOUT:-180}
sys_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

PASS=0
FAIL=0
SKIP=0
FAILED_NAMES=

scripts=()
for f in "$here"/integration/*.sh "$here"/escape/*.sh; do
	[ -f "$f" ] || continue
	if [ -n "${PT_ONLY:-}" ]; then
		# shellcheck disable=SC2254
		case $(basename "$f") in $PT_ONLY) ;; *) continue ;; esac
	fi
	scripts+=("$f")
done

# count FILE: adds its result lines to the totals; sets NF to the
# number of failures it had.
count() {
	local p s
	p=$(grep -c '^ok - ' "$1")
	NF=$(grep -c '^not ok - ' "$1")
	s=$(grep -c '^skip - ' "$1")
	PASS=$((PASS + p))
	FAIL=$((FAIL + NF))
	SKIP=$((SKIP + s))
}

# run_script MODE SCRIPT ROOTDIR RUNNER...: runs SCRIPT with RUNNER (a
# command prefix that starts it as the right user with the right
# environment) in a fresh directory under ROOTDIR.
run_script() {
	local mode=$1 script=$2 root=$3 name dir out rc shell=()
	shift 3
	name=${script#"$here"/}
	out=$(mktemp)
	dir=$root/$(basename "$script" .sh)
	"$@" mkdir -p "$dir"
	[ -x "$script" ] || shell=(bash)

	echo "# ---- $name ($mode)"
	(cd "$dir" && "$@" env PT_TMP="$dir" PT_MODE="$mode" \
		${PT_KEEP:+PT_KEEP=1} timeout -k 10 "$script_timeout" \
		"${shell[@]}" "$script" "$bin") </dev/null >"$out" 2>&1
	rc=$?
	cat "$out"
	count "$out"
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		echo "not ok - $name ($mode): finished within ${script_timeout} s"
		FAIL=$((FAIL + 1))
		NF=1
	elif [ "$rc" != 0 ] && [ "$NF" = 0 ]; then
		echo "not ok - $name ($mode): exited $rc without a failed test"
		FAIL=$((FAIL + 1))
		NF=1
	elif [ "$rc" = 0 ] && [ "$NF" != 0 ]; then
		echo "# note: $name exited 0 despite $NF failed test(s)"
	fi
	[ "$NF" != 0 ] && FAILED_NAMES="$FAILED_NAMES $name($mode)"
	rm -f "$out"
	[ -z "${PT_KEEP:-}" ] && "$@" rm -rf "$dir" 2>/dev/null
	return 0
}

# run_pass MODE ROOTDIR RUNNER...
run_pass() {
	local mode=$1 root=$2 s
	shift 2
	echo "# ==== as $mode (uid $("$@" id -u)), in $root"
	for s in "${scripts[@]}"; do
		run_script "$mode" "$s" "$root" "$@"
	done
	if [ -z "${PT_KEEP:-}" ]; then
		"$@" rm -rf "$root"
		"$@" rmdir "$(dirname "$root")" 2>/dev/null
	fi
	return 0
}

# A test directory for the user whose home is $1; not in /tmp.
make_root() {
	local base=${PROCTOR_TEST_TMPDIR:-$1/.proctor-tests}
	shift
	"$@" mkdir -p "$base" && "$@" mktemp -d "$base/run.XXXXXX"
}

# Makes the unprivileged user when missing.  useradd may race with a
# second suite doing the same: what counts is that the user exists.
ensure_user() {
	if ! id -u "$test_user" >/dev/null 2>&1; then
		useradd -m -s /bin/bash -c "proctor tests" "$test_user" \
			>/dev/null 2>&1
	fi
	id -u "$test_user" >/dev/null 2>&1
}

if [ "$(id -u)" = 0 ]; then
	# ---- as root, keeping the caller's environment
	root_home=$(getent passwd 0 | cut -d: -f6)
	root_dir=$(make_root "${root_home:-/root}" env) || {
		echo "run-all: cannot make a test directory for root" >&2
		exit 1
	}
	run_pass root "$root_dir" env

	# ---- as the unprivileged user, with a clean environment
	if ! command -v runuser >/dev/null 2>&1; then
		echo "not ok - unprivileged pass: runuser is not installed"
		FAIL=$((FAIL + 1))
	elif ! ensure_user; then
		echo "not ok - unprivileged pass: cannot create user $test_user"
		FAIL=$((FAIL + 1))
	else
		user_home=$(getent passwd "$test_user" | cut -d: -f6)
		as_user=(runuser -u "$test_user" -- env -i
			HOME="$user_home" USER="$test_user"
			LOGNAME="$test_user" SHELL=/bin/bash
			PATH="$sys_path" LANG=C.UTF-8 TERM="${TERM:-dumb}")
		if ! "${as_user[@]}" test -x "$bin" ||
			! "${as_user[@]}" test -r "$here/lib.sh"; then
			echo "not ok - unprivileged pass: $test_user cannot run" \
				"$bin or read $here (make the build and tests" \
				"directories and their parents readable)"
			FAIL=$((FAIL + 1))
		elif ! user_dir=$(make_root "$user_home" "${as_user[@]}"); then
			echo "not ok - unprivileged pass: cannot make a" \
				"test directory for $test_user"
			FAIL=$((FAIL + 1))
		else
			run_pass "$test_user" "$user_dir" "${as_user[@]}"
		fi
	fi
else
	echo "# not root: running as $(id -un) (uid $(id -u)) only;" \
		"the root and '$test_user' passes need root"
	user_dir=$(make_root "$HOME" env) || {
		echo "run-all: cannot make a test directory" >&2
		exit 1
	}
	run_pass "$(id -un)" "$user_dir" env
fi

if [ -n "$FAILED_NAMES" ]; then
	echo "# failed in:$FAILED_NAMES"
fi
if [ "$SKIP" -gt 0 ]; then
	echo "$PASS passed, $FAIL failed, $SKIP skipped"
else
	echo "$PASS passed, $FAIL failed"
fi
[ "$FAIL" -eq 0 ]
