#!/bin/bash
# Class 1, pointer races: a second thread rewrites what the supervisor
# read (a path, a sockaddr, the descriptor a number names) while the
# main thread calls in a loop.  No attempt may reach the canary or the
# denied listener.  ESCAPE_ATTEMPTS overrides the number of attempts of
# each race (the path flip defaults to 100000).
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
. "$PT_TESTS/escape/helpers.bash"
esc_init 1

n_path=${ESCAPE_ATTEMPTS:-100000}
n_other=${ESCAPE_ATTEMPTS:-20000}
PT_TIMEOUT=120

# the path flips between WS/pad/race1w and CANARY/race1w (O_WRONLY|O_CREAT)
esc_run -- "$T/attacks" race-open-write "$n_path"
esc_results "path flip, open for writing"
esc_canary_ok "path flip, open for writing"

# the same for reading: WS/pad/secret and the denied CANARY/secret
esc_run -- "$T/attacks" race-open-read "$n_other"
esc_results "path flip, open for reading"

# the port flips between an allowed and a denied listener
esc_serve allowed=tcp4 denied=tcp4 udp=udp4 ua=udp4 ud=udp4
allowed=$(esc_port allowed)
denied=$(esc_port denied)
esc_run --allow-net "127.0.0.1:$allowed" -- \
	"$T/attacks" race-connect "$n_other" "$allowed" "$denied"
esc_results "sockaddr flip, connect"
esc_no_traffic "sockaddr flip, connect" denied
c=$(esc_count allowed)
pt_diag "allowed listener: ${c% *} connections"
pt_isnt "class 1: the allowed port was reached during the race" "${c% *}" 0

# sendmsg while the port in msg_name flips between an allowed and a
# denied UDP listener
esc_run --allow-net "127.0.0.1:$(esc_port ua)" -- \
	"$T/attacks" race-sendmsg "$n_other" "$(esc_port ua)" "$(esc_port ud)"
esc_results "sockaddr flip, sendmsg"
sleep 0.2
esc_no_traffic "sockaddr flip, sendmsg" ud
c=$(esc_count ua)
pt_diag "allowed UDP listener: ${c% *} datagrams"

# openat2 while its struct's flags flip between read-only and append
esc_run -- "$T/attacks" race-openat2-how "$n_other"
esc_results "open_how flip, openat2"
esc_canary_ok "open_how flip, openat2"

# openat2 while its flags flip between O_PATH (which only the kernel can
# open) and a denied access, and its path between an allowed file and
# the canary: where the supervisor alone holds the file rules (no
# floor), and with reads judged by proctor (--log-reads)
esc_nofloor
esc_run --policy "$T/nofloor.json" -- \
	"$T/attacks" race-openat2-opath write "$n_other"
esc_results "open_how O_PATH flip, openat2, write"
esc_canary_ok "open_how O_PATH flip, openat2, write"
esc_run --log-reads -- "$T/attacks" race-openat2-opath read "$n_other"
esc_results "open_how O_PATH flip, openat2, read"
pt_nogrep "class 1: an openat2 O_PATH refusal is not said" "$PT_ERR" \
	'openat2'
pt_grep "... but logged" "$PT_LOG" '"syscall":"openat2".*"where":"openat2".*"errno":38'

# fchmod(N) while N flips between a workspace file and a read-only
# descriptor of the canary file
esc_run -- "$T/attacks" race-fchmod "$n_other"
esc_results "descriptor flip, fchmod"
esc_canary_ok "descriptor flip, fchmod"

# sendto(N, denied UDP address) while N flips between a TCP and a UDP
# socket: a stream socket's send ignores the address, a datagram's not
esc_run -- "$T/attacks" race-sendto "$n_other" "$(esc_port udp)"
esc_results "descriptor flip, sendto"
sleep 0.2
esc_no_traffic "descriptor flip, sendto" udp
esc_serve_stop

esc_summary
pt_done
