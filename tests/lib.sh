# tests/lib.sh: helpers for the integration and escape tests.
#
# A test is a shell script that starts with
#
#	. "$(dirname "$0")/../lib.sh"
#	pt_init "$@"
#
# and ends with `pt_done`.  It is called as `SCRIPT PATH/TO/proctor`; the
# binary may also come from $PROCTOR.  tests/run-all.sh hands each test a
# fresh directory of its own in $PT_TMP; run alone, a test makes one.
#
# pt_init gives the test, under $T:
#	$WS	the workspace, and the current directory
#	$CANARY	a directory outside the workspace that must stay untouched
#	$HOME	a fake home (proctor reads HOME from the environment)
#	$TMPDIR	an outer TMPDIR: proctor makes the run's private one in it
#	XDG_STATE_HOME, XDG_CONFIG_HOME pointing under $T, so no test
#	touches the real user's proctor state or policy
#
# Results are TAP-like lines, which run-all.sh counts:
#	ok - NAME / not ok - NAME / skip - NAME: reason
# Diagnostics start with "# ".
#
# Network: the only server a test may talk to is pt_listen's, on
# 127.0.0.1 and a port the kernel chose; proxies are unset so that no
# client goes anywhere else.

PT_PASS=0
PT_FAIL=0
PT_SKIP=0
PT_SRV_PID=
PT_NRUN=0
PT_CLEANUP_FILES=
PT_OWN_TMP=

# ---- results ---------------------------------------------------------------

pt_diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

# Shows the tail of a file as diagnostics.
pt_diag_file() {
	[ -s "$1" ] || return 0
	echo "# --- $2"
	tail -n "${3:-15}" "$1" | cut -c1-300 | sed 's/^/#   /'
}

pt_ok() {
	PT_PASS=$((PT_PASS + 1))
	echo "ok - $1"
}

# pt_fail NAME [DIAGNOSTIC...]
pt_fail() {
	PT_FAIL=$((PT_FAIL + 1))
	echo "not ok - $1"
	shift
	[ $# -gt 0 ] && pt_diag "$@"
	return 0
}

pt_skip() {
	PT_SKIP=$((PT_SKIP + 1))
	echo "skip - $1: $2"
}

# pt_check NAME CMD...: ok when CMD succeeds.
pt_check() {
	_name=$1
	shift
	if "$@"; then
		pt_ok "$_name"
	else
		pt_fail "$_name" "failed: $*"
	fi
}

# pt_is NAME GOT WANT
pt_is() {
	if [ "$2" = "$3" ]; then
		pt_ok "$1"
	else
		pt_fail "$1" "got:  '$2'" "want: '$3'"
	fi
}

# pt_isnt NAME GOT UNWANTED
pt_isnt() {
	if [ "$2" != "$3" ]; then
		pt_ok "$1"
	else
		pt_fail "$1" "got '$2', which it must not be"
	fi
}

# pt_status NAME WANT: compares $PT_RC of the last pt_run, and shows
# what the run printed when it differs.
pt_status() {
	if [ "$PT_RC" = "$2" ]; then
		pt_ok "$1"
	else
		pt_fail "$1" "exit status $PT_RC, want $2"
		[ "$PT_RC" = 124 ] && pt_diag "(124: the run timed out)"
		pt_diag_file "$PT_OUT" stdout
		pt_diag_file "$PT_ERR" stderr
	fi
}

# pt_grep NAME FILE ERE: ok when a line of FILE matches.
pt_grep() {
	if grep -E -q -e "$3" "$2" 2>/dev/null; then
		pt_ok "$1"
	else
		pt_fail "$1" "no line matches /$3/ in $2"
		pt_diag_file "$2" "$(basename "$2")"
	fi
}

# pt_nogrep NAME FILE ERE: ok when no line of FILE matches (or no FILE).
pt_nogrep() {
	if grep -E -q -e "$3" "$2" 2>/dev/null; then
		pt_fail "$1" "a line matches /$3/ in $2:" \
			"$(grep -E -e "$3" "$2" | head -n 3 | cut -c1-300)"
	else
		pt_ok "$1"
	fi
}

# pt_absent NAME PATH...: none of the paths exists (not even a dangling
# symlink).
pt_absent() {
	_name=$1
	shift
	for _p in "$@"; do
		if [ -e "$_p" ] || [ -L "$_p" ]; then
			pt_fail "$_name" "$_p exists: $(ls -ld "$_p" 2>&1)"
			return 0
		fi
	done
	pt_ok "$_name"
}

# Ends the test: a summary comment, and the exit status run-all.sh
# cross-checks against the lines it counted.
pt_done() {
	echo "# $(basename "$0"): $PT_PASS passed, $PT_FAIL failed," \
		"$PT_SKIP skipped"
	[ "$PT_FAIL" -eq 0 ] && exit 0
	exit 1
}

# pt_need NAME TOOL...: true if all tools exist; otherwise prints a skip
# line for NAME and returns false.
pt_need() {
	_name=$1
	shift
	for _t in "$@"; do
		if ! command -v "$_t" >/dev/null 2>&1; then
			pt_skip "$_name" "$_t is not installed"
			return 1
		fi
	done
	return 0
}

# ---- set-up and clean-up ---------------------------------------------------

# Directory under which a test run alone makes its temporary directory.
# Not /tmp: the default policy lets a run create files in /tmp and
# /var/tmp, so a canary there would prove nothing.
pt_default_base() {
	if [ -n "${PROCTOR_TEST_TMPDIR:-}" ]; then
		echo "$PROCTOR_TEST_TMPDIR"
	else
		echo "$HOME/.proctor-tests"
	fi
}

pt_init() {
	PROCTOR=${1:-${PROCTOR:-}}
	PT_TESTS=$(cd "$(dirname "$0")/.." && pwd)
	[ -n "$PROCTOR" ] || PROCTOR=$PT_TESTS/../build/proctor
	case $PROCTOR in
	/*) ;;
	*) PROCTOR=$(pwd)/$PROCTOR ;;
	esac
	if [ ! -x "$PROCTOR" ]; then
		pt_fail "proctor binary is executable" "no binary at $PROCTOR"
		pt_done
	fi
	export PROCTOR

	if [ -n "${PT_TMP:-}" ]; then
		T=$PT_TMP
	else
		_base=$(pt_default_base)
		mkdir -p "$_base" || exit 1
		T=$(mktemp -d "$_base/$(basename "$0" .sh).XXXXXX") || exit 1
		PT_OWN_TMP=$T
	fi
	T=$(cd "$T" && pwd -P)
	case $T/ in
	/tmp/* | /var/tmp/*)
		pt_diag "warning: $T is in a directory where the default" \
			"policy lets a run create files; canary checks there" \
			"are meaningless. Set PROCTOR_TEST_TMPDIR elsewhere." ;;
	esac

	WS=$T/ws
	CANARY=$T/canary
	PT_HOME=$T/home
	mkdir -p "$WS" "$CANARY" "$PT_HOME" "$T/t" "$T/state" \
		"$T/config" "$T/out" || exit 1
	echo "canary: must stay as it is" >"$CANARY/existing"

	export HOME=$PT_HOME
	export TMPDIR=$T/t
	export XDG_STATE_HOME=$T/state
	export XDG_CONFIG_HOME=$T/config
	export GIT_CEILING_DIRECTORIES=$T
	export GIT_CONFIG_NOSYSTEM=1
	export GIT_AUTHOR_NAME="proctor test" GIT_AUTHOR_EMAIL=test@example.invalid
	export GIT_COMMITTER_NAME="proctor test"
	export GIT_COMMITTER_EMAIL=test@example.invalid
	export LC_ALL=C
	unset http_proxy https_proxy ftp_proxy all_proxy no_proxy \
		HTTP_PROXY HTTPS_PROXY FTP_PROXY ALL_PROXY NO_PROXY \
		PROCTOR_RUN CDPATH ENV BASH_ENV 2>/dev/null

	PT_PY=$(command -v python3 || true)
	PT_LOG=$T/out/run.jsonl
	PT_OUT=$T/out/stdout
	PT_ERR=$T/out/stderr
	PT_TIMEOUT=${PT_TIMEOUT:-40}

	trap pt_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	cd "$WS" || exit 1
}

# pt_cleanup_add PATH...: removed when the test ends (for files a test
# must put outside $T, e.g. in /tmp or /dev/shm).
pt_cleanup_add() {
	for _p in "$@"; do
		PT_CLEANUP_FILES="$PT_CLEANUP_FILES
$_p"
	done
}

# pt_at_exit CMD: run CMD (with eval) when the test ends, before the
# files go; for servers and sessions a test starts itself.
pt_at_exit() {
	PT_AT_EXIT="$1
${PT_AT_EXIT:-}"
}

pt_cleanup() {
	_rc=$?
	[ -n "${PT_AT_EXIT:-}" ] && eval "$PT_AT_EXIT" >/dev/null 2>&1
	pt_listen_stop
	printf '%s\n' "$PT_CLEANUP_FILES" | while IFS= read -r _p; do
		[ -n "$_p" ] && rm -rf -- "$_p"
	done
	cd / || true
	# A test's temporary directory goes with it, unless someone wants
	# to look: PT_KEEP=1.
	if [ -z "${PT_KEEP:-}" ]; then
		[ -n "$PT_OWN_TMP" ] && rm -rf -- "$PT_OWN_TMP"
		[ -n "${PT_TMP:-}" ] && rm -rf -- "${PT_TMP:?}"/* \
			"${PT_TMP:?}"/.[!.]* 2>/dev/null
	fi
	exit $_rc
}

# ---- running proctor -------------------------------------------------------

# pt_run [RUN-OPTION]... -- CMD [ARG]...
# Runs `proctor run` with a log of its own ($PT_LOG, fresh each call),
# stdin from /dev/null, stdout in $PT_OUT, stderr in $PT_ERR, exit
# status in $PT_RC, bounded by $PT_TIMEOUT seconds (status 124 then).
pt_run() {
	PT_NRUN=$((PT_NRUN + 1))
	: >"$PT_LOG"
	timeout -k 5 "$PT_TIMEOUT" "$PROCTOR" run --log "$PT_LOG" "$@" \
		</dev/null >"$PT_OUT" 2>"$PT_ERR"
	PT_RC=$?
	return 0
}

# pt_proctor ARG...: any proctor subcommand, same capture as pt_run.
pt_proctor() {
	timeout -k 5 "$PT_TIMEOUT" "$PROCTOR" "$@" \
		</dev/null >"$PT_OUT" 2>"$PT_ERR"
	PT_RC=$?
	return 0
}

# pt_advice FILE: the way out the first denial line in FILE gives, as
# two lines: the flag (e.g. --allow-write) and its value.  Nothing when
# there is no such advice.
pt_advice() {
	sed -n "s/^proctor: denied.* allow with \(--[a-z-]*\) '\(.*\)'\$/\1\n\2/p" \
		"$1" | head -n 2
}

# pt_json_lines FILE: every line of FILE is one JSON object.  Prints
# the first bad line on failure.
pt_json_lines() {
	"$PT_PY" - "$1" <<'EOF'
import json, sys
ok = True
with open(sys.argv[1], encoding="utf-8", errors="strict") as f:
    for n, line in enumerate(f, 1):
        try:
            if not isinstance(json.loads(line), dict):
                raise ValueError("not an object")
        except Exception as e:
            print("# line %d: %s: %.200s" % (n, e, line.rstrip("\n")))
            ok = False
            break
sys.exit(0 if ok else 1)
EOF
}

# pt_count_decisions FILE KEY VALUE [DECISION]: how many records of type
# "decision" have KEY equal to VALUE (and the given decision).
pt_count_decisions() {
	"$PT_PY" - "$@" <<'EOF'
import json, sys
path, key, value = sys.argv[1:4]
want = sys.argv[4] if len(sys.argv) > 4 else None
n = 0
with open(path) as f:
    for line in f:
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if r.get("type") != "decision" or r.get(key) != value:
            continue
        if want is None or r.get("decision") == want:
            n += 1
print(n)
EOF
}

# ---- a loopback TCP server -------------------------------------------------

# pt_listen: starts a TCP server on 127.0.0.1, on a port the kernel
# picks, that counts the connections it accepts and answers each with a
# small HTTP response whose body is "proctor-pong".  Sets PT_PORT.  It
# stops by itself after 120 s; pt_listen_stop (or the end of the test)
# stops it earlier.
pt_listen() {
	PT_SRV_DIR=$T/srv
	rm -rf "$PT_SRV_DIR"
	mkdir -p "$PT_SRV_DIR"
	cat >"$PT_SRV_DIR/server.py" <<'EOF'
import os, socket, sys, time
d = sys.argv[1]
def put(name, text):
    tmp = os.path.join(d, name + ".tmp")
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, os.path.join(d, name))
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
s.listen(16)
put("count", "0\n")
put("port", "%d\n" % s.getsockname()[1])
deadline = time.time() + 120
count = 0
while time.time() < deadline:
    s.settimeout(max(0.1, deadline - time.time()))
    try:
        c, _ = s.accept()
    except socket.timeout:
        break
    count += 1
    put("count", "%d\n" % count)
    try:
        c.settimeout(3)
        c.recv(4096)
        body = b"proctor-pong\n"
        c.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
                  b"Content-Length: %d\r\nConnection: close\r\n\r\n"
                  % len(body) + body)
    except OSError:
        pass
    c.close()
EOF
	"$PT_PY" "$PT_SRV_DIR/server.py" "$PT_SRV_DIR" \
		</dev/null >"$PT_SRV_DIR/log" 2>&1 &
	PT_SRV_PID=$!
	_i=0
	while [ ! -s "$PT_SRV_DIR/port" ] && [ $_i -lt 100 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	PT_PORT=$(cat "$PT_SRV_DIR/port" 2>/dev/null)
	if [ -z "$PT_PORT" ]; then
		pt_diag_file "$PT_SRV_DIR/log" "server log"
		pt_listen_stop
		return 1
	fi
	return 0
}

# Connections the server has accepted so far.
pt_listen_count() {
	cat "$PT_SRV_DIR/count" 2>/dev/null || echo "?"
}

pt_listen_stop() {
	[ -n "$PT_SRV_PID" ] || return 0
	kill "$PT_SRV_PID" 2>/dev/null
	wait "$PT_SRV_PID" 2>/dev/null
	PT_SRV_PID=
}

# pt_wait_for SECONDS CMD...: polls CMD every 0.1 s until it succeeds or
# the time is up.
pt_wait_for() {
	_n=$(($1 * 10))
	shift
	while [ "$_n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	return 1
}

# ---- a network of the test's own, with a name server ----------------------

# pt_dns_lab ZONE-LINES: two network namespaces joined by a veth pair.
# The server side holds 10.77.0.1 (a DNS server, tests/lib/dnsd.py,
# answering from ZONE-LINES, "NAME TYPE VALUE TTL" per line) and
# 10.77.0.2-4 (HTTP servers on port 80 serving $LAB/www, one access log
# each in $LAB/http-N.log).  The client side, where proctor runs, has
# 10.77.0.100, a loopback, no route anywhere else, and a resolv.conf
# naming 10.77.0.1.  Queries that reach the server are in $LAB/queries.
# Needs root; returns 1 (with a skip) otherwise.
pt_dns_lab() {
	if [ "$(id -u)" != 0 ]; then
		pt_skip "$(basename "$0" .sh): the network lab" \
			"needs root (network namespaces of the test's own)"
		return 1
	fi
	pt_need "the network lab" ip "$PT_PY" || return 1
	LAB=$T/lab
	LAB_S=pt-s-$$
	LAB_C=pt-c-$$
	mkdir -p "$LAB/www" || return 1
	printf '%s\n' "$1" >"$LAB/zone"
	: >"$LAB/queries"
	pt_at_exit "ip netns delete $LAB_S; ip netns delete $LAB_C; rm -rf /etc/netns/$LAB_C"
	ip netns add "$LAB_S" && ip netns add "$LAB_C" &&
		ip -n "$LAB_S" link set lo up && ip -n "$LAB_C" link set lo up &&
		ip link add vs netns "$LAB_S" type veth peer name vc \
			netns "$LAB_C" &&
		ip -n "$LAB_S" addr add 10.77.0.1/24 dev vs &&
		ip -n "$LAB_S" addr add 10.77.0.2/24 dev vs &&
		ip -n "$LAB_S" addr add 10.77.0.3/24 dev vs &&
		ip -n "$LAB_S" addr add 10.77.0.4/24 dev vs &&
		ip -n "$LAB_C" addr add 10.77.0.100/24 dev vc &&
		ip -n "$LAB_S" link set vs up && ip -n "$LAB_C" link set vc up ||
		{
			pt_fail "the network lab is set up"
			return 1
		}
	mkdir -p "/etc/netns/$LAB_C"
	echo "nameserver 10.77.0.1" >"/etc/netns/$LAB_C/resolv.conf"
	echo "hello from the lab" >"$LAB/www/index.html"
	ip netns exec "$LAB_S" "$PT_PY" "$PT_TESTS/lib/dnsd.py" 10.77.0.1 \
		"$LAB/zone" "$LAB/queries" "$LAB/dns-ready" \
		</dev/null >"$LAB/dnsd.log" 2>&1 &
	pt_at_exit "kill $!"
	for _n in 2 3 4; do
		ip netns exec "$LAB_S" "$PT_PY" -m http.server --bind \
			"10.77.0.$_n" --directory "$LAB/www" 80 \
			</dev/null >"$LAB/http-$_n.log" 2>&1 &
		pt_at_exit "kill $!"
	done
	if ! pt_wait_for 10 test -e "$LAB/dns-ready" ||
		! pt_wait_for 10 ip netns exec "$LAB_C" "$PT_PY" -c '
import socket, sys
for n in (2, 3, 4):
    socket.create_connection(("10.77.0.%d" % n, 80), timeout=1).close()
' 2>/dev/null; then
		pt_fail "the network lab's servers start"
		pt_diag_file "$LAB/dnsd.log" "dnsd"
		return 1
	fi
	# wait for the HTTP servers' own log lines of the probe, then start
	# from empty logs
	sleep 0.2
	for _n in 2 3 4; do : >"$LAB/http-$_n.log"; done
	return 0
}

# pt_lab_cert NAME...: a self-signed certificate for the names (the first
# is its subject) in $LAB/cert.pem, its key in $LAB/key.pem.
pt_lab_cert() {
	local san="" n
	for n; do san="$san${san:+,}DNS:$n"; done
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=$1" \
		-addext "subjectAltName=$san" -keyout "$LAB/key.pem" \
		-out "$LAB/cert.pem" 2>/dev/null
}

# pt_lab_serve NAME PROGRAM [ARG]...: tests/lib/PROGRAM on the lab's
# server side, in the background (its output in $LAB/NAME.err), stopped
# at the end.
pt_lab_serve() {
	local name=$1 prog=$2
	shift 2
	ip netns exec "$LAB_S" "$PT_PY" "$PT_TESTS/lib/$prog" "$@" \
		</dev/null >"$LAB/$name.err" 2>&1 &
	pt_at_exit "kill $!"
}

# pt_lab_git_repo TEXT: a bare repository $LAB/git/repo.git whose one
# commit holds a file "file" with TEXT.
pt_lab_git_repo() {
	mkdir -p "$LAB/git" && git init -q --bare "$LAB/git/repo.git" &&
		git init -q "$LAB/src" && echo "$1" >"$LAB/src/file" &&
		git -C "$LAB/src" add file && git -C "$LAB/src" commit -qm one &&
		git -C "$LAB/src" push -q "$LAB/git/repo.git" HEAD:master 2>/dev/null
}

# pt_answer_client OUT SOCK [ANSWER]...: answers the approval socket SOCK
# in the background (tests/lib/answer_client.py), logging what proctor
# says to OUT; its pid in CPID.
pt_answer_client() {
	local out=$1 sock=$2
	shift 2
	"$PT_PY" "$PT_TESTS/lib/answer_client.py" "$sock" "$out" "$@" \
		</dev/null >/dev/null 2>&1 &
	CPID=$!
	pt_at_exit "kill $CPID"
}

# pt_lab_run [RUN-OPTION]... -- CMD...: pt_run on the lab's client side.
pt_lab_run() {
	PT_NRUN=$((PT_NRUN + 1))
	: >"$PT_LOG"
	timeout -k 5 "$PT_TIMEOUT" ip netns exec "$LAB_C" "$PROCTOR" run \
		--log "$PT_LOG" "$@" </dev/null >"$PT_OUT" 2>"$PT_ERR"
	PT_RC=$?
	return 0
}

# pt_lab_queried NAME: the lab's name server was asked for NAME.
pt_lab_queried() {
	grep -q " $1 " "$LAB/queries"
}
