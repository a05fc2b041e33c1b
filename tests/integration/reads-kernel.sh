#!/bin/bash
# Reads in the kernel (issue 9): when the read rules are literal paths,
# a Landlock ruleset on the tracee holds them and read-only opens never
# reach proctor.  The secrets stay unreadable, what the run makes stays
# readable, and whatever needs each read seen (--log-reads, a glob in a
# read rule, a secret where the run writes) brings reads back to proctor.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

secret="SECRET-$$-$RANDOM-do-not-print"
mkdir -p "$HOME/.ssh" "$HOME/.config/gh" "$HOME/.config/other"
printf '%s\n' "$secret" >"$HOME/.ssh/id_rsa"
echo "github.com ssh-ed25519 AAAA" >"$HOME/.ssh/known_hosts"
printf '%s\n' "$secret" >"$HOME/.config/gh/hosts.yml"
echo "an ordinary file" >"$HOME/.bashrc"
echo "settings" >"$HOME/.config/other/conf"

# reads_mode: what the log's kernel record says of reads.
reads_mode() {
	sed -n 's/.*"type":"kernel".*"reads":"\([^"]*\)".*/\1/p' "$PT_LOG"
}

pt_run -- true
case $(reads_mode) in
kernel*) ;;
"")
	pt_fail "the kernel record says who judges reads" \
		"$(grep '"kernel"' "$PT_LOG")"
	pt_done ;;
*)
	# Landlock missing, or this test's directory lies where the
	# default policy lets a run write (/tmp): reads stay with proctor.
	pt_skip "reads in the kernel" "$(reads_mode)"
	pt_done ;;
esac
pt_ok "with the default policy the kernel judges reads"

# ---- the secrets stay unreadable, by any path
for how in 'cat ~/.ssh/id_rsa' 'cat ~/.config/gh/hosts.yml' \
	'cd ~/.ssh && cat id_rsa' 'cat /proc/self/root$HOME/.ssh/id_rsa' \
	'exec 3<~/.ssh/id_rsa && cat <&3' 'grep -r SECRET ~' \
	'python3 -c "print(open(\"'"$HOME"'/.ssh/id_rsa\").read())"'; do
	pt_run -- bash -c "$how"
	pt_isnt "$how: fails" "$PT_RC" 0
	pt_nogrep "$how: the secret does not appear" "$PT_OUT" "$secret"
done

# ---- everything else reads as before
pt_run -- sh -c 'cat ~/.bashrc ~/.config/other/conf /etc/hostname >/dev/null &&
	echo made >new.txt && cat new.txt &&
	echo tmp >"$TMPDIR/t" && cat "$TMPDIR/t" &&
	mkdir -p sub/deeper && echo deep >sub/deeper/f && cat sub/deeper/f'
pt_status "files around the secrets and files the run made read back" 0
pt_grep "a file made in the workspace reads back" "$PT_OUT" '^made$'
pt_grep "a file made in a new directory reads back" "$PT_OUT" '^deep$'

# ---- reads are not logged; writes and executions are
pt_run -- sh -c 'cat /etc/hostname >/dev/null; echo x >w.txt'
pt_nogrep "a read-only open leaves no record" "$PT_LOG" \
	'"syscall":"openat".*"path":"/etc/hostname"'
pt_grep "a write leaves its record" "$PT_LOG" '"path":"'"$WS"'/w.txt"'
pt_grep "an execution leaves its record" "$PT_LOG" '"syscall":"execve"'

# ---- glibc asks proctor's answerer over TCP, as with the served file
pt_run -- sh -c 'echo "$RES_OPTIONS"'
pt_grep "RES_OPTIONS asks glibc for TCP" "$PT_OUT" 'use-vc'

# ---- another process's secrets in /proc stay out of reach
sleep 30 &
outsider=$!
pt_at_exit "kill $outsider 2>/dev/null"
pt_run -- sh -c "cat /proc/$outsider/environ"
pt_isnt "/proc/PID/environ of a process outside the run: refused" \
	"$PT_RC" 0

# ---- an allow entry inside a denied directory
pt_run --allow-read "$HOME/.ssh/known_hosts" -- \
	sh -c 'cat ~/.ssh/known_hosts; cat ~/.ssh/id_rsa'
pt_grep "an allowed file inside a denied directory reads" "$PT_OUT" \
	'^github.com'
pt_nogrep "its neighbour stays denied" "$PT_OUT" "$secret"

# ---- a read default of deny, with allowed places
cat >"$T/strict.json" <<EOF
{"files": {"read": {"default": "deny",
  "allow": ["/usr", "/lib", "/lib64", "/bin", "/etc", "/proc", "/dev",
            "\$WORKSPACE", "\$TMPDIR"]}}}
EOF
echo "outside the allowed places" >"$CANARY/plain"
pt_run --policy "$T/strict.json" -- \
	sh -c 'cat /etc/hostname >/dev/null && echo etc-ok;
	cat "$1" || echo canary-refused' sh "$CANARY/plain"
# (refused reads are then the common case: each is explained)
pt_is "read default deny: proctor judges reads" "$(reads_mode)" \
	"proctor: files.read.default is not allow"
pt_grep "read default deny: the refusal is explained" "$PT_ERR" \
	'^proctor: denied read'
pt_grep "read default deny: an allowed place reads" "$PT_OUT" '^etc-ok$'
pt_grep "read default deny: another place is refused" "$PT_OUT" \
	'^canary-refused$'

# ---- what brings reads back to proctor
pt_run --log-reads -- sh -c 'cat ~/.ssh/id_rsa; cat /etc/hostname'
pt_is "--log-reads: proctor judges reads" "$(reads_mode)" \
	"proctor: --log-reads"
pt_grep "--log-reads: the denial is explained" "$PT_ERR" \
	'^proctor: denied read .*id_rsa'
pt_grep "--log-reads: a read-only open is logged" "$PT_LOG" \
	'"path":"/etc/hostname"'

cat >"$T/glob.json" <<'EOF'
{"files": {"read": {"deny": ["$WORKSPACE/**/*.pem"]}}}
EOF
echo "key" >"$WS/a.pem"
pt_run --policy "$T/glob.json" -- cat a.pem
pt_isnt "a glob in a read rule: the rule holds" "$PT_RC" 0
case $(reads_mode) in
proctor:*) pt_ok "a glob in a read rule: proctor judges reads" ;;
*) pt_fail "a glob in a read rule: proctor judges reads" \
	"reads: $(reads_mode)" ;;
esac

# A secret in a directory the run writes to: a new file there would have
# no grant, so the kernel cannot hold the rule without breaking the run.
pt_run --deny-read "$WS/.env" -- sh -c 'echo n >fresh && cat fresh'
pt_status "a secret in the workspace: new files still read back" 0
case $(reads_mode) in
proctor:*) pt_ok "a secret in the workspace: proctor judges reads" ;;
*) pt_fail "a secret in the workspace: proctor judges reads" \
	"reads: $(reads_mode)" ;;
esac
pt_is "... and says which directory made it so" "$(reads_mode)" \
	"proctor: a read rule names a path in $WS, a directory the run may write to"

# A rule under /proc: the run's own processes appear after the listing.
pt_run --deny-read /proc/kcore -- sh -c 'head -n 1 /proc/self/status'
pt_grep "a rule under /proc: /proc/self still reads" "$PT_OUT" '^Name:'
case $(reads_mode) in
proctor:*) pt_ok "a rule under /proc: proctor judges reads" ;;
*) pt_fail "a rule under /proc: proctor judges reads" \
	"reads: $(reads_mode)" ;;
esac

# O_PATH opens come to proctor: Landlock does not govern them.
pt_run -- python3 -c "
import os
try:
    os.open(os.path.expanduser('~/.ssh/id_rsa'), os.O_PATH)
    print('opath opened')
except OSError:
    print('opath refused')"
pt_grep "an O_PATH open of a secret is judged by proctor" "$PT_OUT" \
	'^opath refused$'

# A denied directory of root's that another user may search but not
# list (0711): its files still open by name, so the floor must keep
# them out, as the user the run is (root's pass only: it makes the
# directory and runs proctor as the unprivileged test user).
u=${PROCTOR_TEST_USER:-proctortest}
if [ "$(id -u)" = 0 ] && id "$u" >/dev/null 2>&1 &&
	uhome=$(getent passwd "$u" | cut -d: -f6) && [ -d "$uhome" ]; then
	priv=/srv/pt-rk-$$ # outside what the run may write
	uw=$uhome/pt-rk-$$
	pt_at_exit "rm -rf '$priv' '$uw'"
	mkdir -p "$priv/private" "$uw/ws" "$uw/home" &&
		echo PRIVATE >"$priv/private/data.txt" &&
		chmod 711 "$priv" "$priv/private" &&
		chmod 644 "$priv/private/data.txt" && chown -R "$u" "$uw"
	runuser -u "$u" -- sh -c "cd '$uw/ws' && exec env -i HOME='$uw/home' \
		PATH=/usr/bin:/bin XDG_CONFIG_HOME='$uw/home/.config' \
		XDG_STATE_HOME='$uw/home/.local/state' '$PROCTOR' run \
		--log '$uw/log' --deny-read '$priv/private' -- \
		cat '$priv/private/data.txt'" </dev/null >"$T/search.out" 2>&1
	pt_nogrep "a search-only denied directory: its file is not read" \
		"$T/search.out" '^PRIVATE$'
	pt_diag "search-only: reads: $(sed -n 's/.*"reads":"\([^"]*\)".*/\1/p' "$uw/log")"
else
	pt_skip "a search-only denied directory" \
		"needs root and the unprivileged test user"
fi

pt_done
