#!/bin/bash
# Network: by default a TCP connect to a loopback server fails with
# ECONNREFUSED and the server sees no connection; --allow-net for its
# address and port lets python and curl through.  Unix sockets work in
# the workspace and $TMPDIR, and nowhere else.
#
# The only TCP server contacted is pt_listen's, on 127.0.0.1.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

pt_need "network" python3 || pt_done
if ! pt_listen; then
	pt_fail "the loopback test server starts"
	pt_done
fi
addr=127.0.0.1:$PT_PORT

cat >client.py <<'PY'
import errno, socket, sys
host, port = sys.argv[1], int(sys.argv[2])
family = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(family, socket.SOCK_STREAM)
s.settimeout(10)
try:
    s.connect((host, port))
except OSError as e:
    print("connect failed:", errno.errorcode.get(e.errno, e.errno))
    sys.exit(3)
s.sendall(b"GET / HTTP/1.0\r\n\r\n")
data = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
print("reply:", data.split(b"\r\n\r\n", 1)[-1].decode().strip())
PY

# Accepts run asynchronously: give the server a moment before counting
# what must not have happened.
settle() { sleep 0.3; }

# ---- denied by default
pt_run -- python3 client.py 127.0.0.1 "$PT_PORT"
pt_status "default policy: the python client's connect fails" 3
pt_grep "default policy: connect fails with ECONNREFUSED" "$PT_OUT" \
	'^connect failed: ECONNREFUSED$'
pt_grep "default policy: the denial is on stderr" "$PT_ERR" \
	"^proctor: denied.*127\\.0\\.0\\.1"
settle
pt_is "default policy: the server saw no connection" "$(pt_listen_count)" 0

if command -v curl >/dev/null 2>&1; then
	pt_run -- curl --noproxy '*' -sS --max-time 10 "http://$addr/"
	pt_status "default policy: curl fails to connect (exit 7)" 7
	settle
	pt_is "default policy: curl did not reach the server" \
		"$(pt_listen_count)" 0
else
	pt_skip "default policy: curl" "curl is not installed"
fi

# IPv4 in IPv6 clothing is the same address.
pt_run -- python3 client.py "::ffff:127.0.0.1" "$PT_PORT"
pt_status "default policy: an IPv4-mapped IPv6 connect fails" 3
settle
pt_is "default policy: the server saw no mapped connection" \
	"$(pt_listen_count)" 0

# Another port is another address.
other=$((PT_PORT == 65535 ? PT_PORT - 1 : PT_PORT + 1))
pt_run --allow-net "127.0.0.1:$other" -- python3 client.py 127.0.0.1 \
	"$PT_PORT"
pt_status "--allow-net for another port does not open this one" 3
settle
pt_is "the server still saw no connection" "$(pt_listen_count)" 0

# ---- allowed
pt_run --allow-net "$addr" -- python3 client.py 127.0.0.1 "$PT_PORT"
pt_status "--allow-net 127.0.0.1:PORT: the python client connects" 0
pt_grep "--allow-net: the python client gets the reply" "$PT_OUT" \
	'^reply: proctor-pong$'
pt_is "--allow-net: the server saw one connection" "$(pt_listen_count)" 1
pt_nogrep "--allow-net: no denial" "$PT_ERR" '^proctor: denied'

if command -v curl >/dev/null 2>&1; then
	pt_run --allow-net "$addr" -- curl --noproxy '*' -sS --max-time 10 \
		"http://$addr/"
	pt_status "--allow-net: curl exits 0" 0
	pt_grep "--allow-net: curl gets the reply" "$PT_OUT" '^proctor-pong$'
	pt_is "--allow-net: the server saw curl's connection" \
		"$(pt_listen_count)" 2
else
	pt_skip "--allow-net: curl" "curl is not installed"
fi
seen=$(pt_listen_count)

pt_run --allow-net "$addr" -- python3 client.py "::ffff:127.0.0.1" \
	"$PT_PORT"
pt_status "--allow-net: the IPv4-mapped form of the address connects" 0
pt_is "--allow-net: the server saw the mapped connection" \
	"$(pt_listen_count)" $((seen + 1))
seen=$(pt_listen_count)

pt_run --allow-net 127.0.0.0/8 -- python3 client.py 127.0.0.1 "$PT_PORT"
pt_status "--allow-net 127.0.0.0/8 (a CIDR) connects" 0
pt_is "the CIDR grant reached the server" "$(pt_listen_count)" \
	$((seen + 1))
seen=$(pt_listen_count)

pt_run --allow-net 127.0.0.0/8 --deny-net "$addr" -- python3 client.py \
	127.0.0.1 "$PT_PORT"
pt_status "--deny-net 127.0.0.1:PORT beats the wider --allow-net 127.0.0.0/8" 3
settle
pt_is "the more specific deny kept the server unreached" \
	"$(pt_listen_count)" "$seen"

pt_listen_stop

# ---- unix sockets
cat >unix.py <<'PY'
import errno, os, socket, sys, threading
path = sys.argv[1]
mode = sys.argv[2]
if mode == "both":
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    def serve():
        c, _ = srv.accept()
        c.sendall(b"unix-pong")
        c.close()
    threading.Thread(target=serve, daemon=True).start()
c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
c.settimeout(10)
try:
    c.connect(path)
except OSError as e:
    print("connect failed:", errno.errorcode.get(e.errno, e.errno))
    sys.exit(3)
print("reply:", c.recv(100).decode())
PY

pt_run -- python3 unix.py "$WS/sock" both
pt_status "a unix socket in the workspace works" 0
pt_grep "the unix socket in the workspace answers" "$PT_OUT" \
	'^reply: unix-pong$'

pt_run -- sh -c 'python3 unix.py "$TMPDIR/sock" both'
pt_status "a unix socket in \$TMPDIR works" 0

# The address a socket was bound to is what getsockname() reports:
# programs pass it on to their children (multiprocessing does).
pt_run -- python3 -c '
import socket
s = socket.socket(socket.AF_UNIX)
s.bind("named.sock")
print("name:", s.getsockname())'
pt_status "binding a unix socket in the workspace works" 0
pt_grep "getsockname() gives the address the program bound" "$PT_OUT" \
	'^name: named\.sock$'

# A unix socket outside both, served from outside proctor.
"$PT_PY" - "$CANARY/outside.sock" "$T/outside.count" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(4)
s.settimeout(30)
n = 0
try:
    while True:
        c, _ = s.accept()
        n += 1
        open(sys.argv[2], "w").write("%d\n" % n)
        c.sendall(b"outside")
        c.close()
except OSError:
    pass
PY
usrv=$!
pt_wait_for 5 test -S "$CANARY/outside.sock"
pt_run -- python3 unix.py "$CANARY/outside.sock" client
pt_status "a unix socket outside the workspace and \$TMPDIR is refused" 3
settle
pt_absent "the outside unix server saw no connection" "$T/outside.count"
pt_run --allow-net "unix:$CANARY/outside.sock" -- python3 unix.py \
	"$CANARY/outside.sock" client
pt_status "--allow-net unix:PATH lets it through" 0
kill "$usrv" 2>/dev/null
wait "$usrv" 2>/dev/null

# glibc sorts a passive lookup's addresses (0.0.0.0 and ::, as
# `python3 -m http.server` asks) by aiming a datagram socket at each and
# reading its name: answered as natively (connected to loopback's port
# 0), so the order is native, nothing is denied, and it is logged
python3 -c 'import socket
print([a[4][0] for a in socket.getaddrinfo(None, 8000, flags=socket.AI_PASSIVE,
                                           type=socket.SOCK_STREAM)])' \
	>"$T/native-order.txt"
pt_run -- python3 -c 'import socket
print([a[4][0] for a in socket.getaddrinfo(None, 8000, flags=socket.AI_PASSIVE,
                                           type=socket.SOCK_STREAM)])'
pt_status "a passive lookup works" 0
pt_is "... and its addresses come in the native order" "$(cat "$PT_OUT")" \
	"$(cat "$T/native-order.txt")"
pt_nogrep "its sorting probes are not said" "$PT_ERR" 'denied'
pt_grep "... but logged, refused (answered as natively)" "$PT_LOG" \
	'"addr":"0\.0\.0\.0:8000","decision":"deny".*"sort_probe":true'
# a datagram socket aimed at port 0 of an address (glibc's sorting of
# what a lookup found): refused and logged, neither said nor counted
pt_run -- python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.connect(("127.0.0.9", 0))
except OSError as e:
    print(e.errno)'
pt_nogrep "a datagram probe of port 0: not said, not counted" "$PT_ERR" \
	'denied'
pt_grep "... but logged" "$PT_LOG" '"addr":"127\.0\.0\.9:0","decision":"deny"'
# an allowed datagram to 0.0.0.0 (this host) goes where natively
if [ -n "$PT_PY" ]; then
	"$PT_PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); sys.stdout.flush()
s.settimeout(10); print(s.recv(16).decode().strip())' >"$T/udp0.out" &
	u0=$!
	pt_wait_for 5 test -s "$T/udp0.out"
	port=$(head -1 "$T/udp0.out")
	pt_run --allow-net "127.0.0.1:$port" -- bash -c \
		"echo to-self >/dev/udp/0.0.0.0/$port"
	wait "$u0"
	pt_grep "an allowed datagram to 0.0.0.0 arrives" "$T/udp0.out" '^to-self$'
fi
pt_run -- python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("127.0.0.1", 8000))'
pt_grep "a datagram socket aimed at 127.0.0.1 itself is said" "$PT_ERR" \
	'^proctor: denied connect 127.0.0.1:8000'

# a TCP connect to a loopback port nobody listens on (a script polling
# for the server it starts): ECONNREFUSED as natively, logged, not said,
# nor counted, nor learned (nothing was withheld)
free=$("$PT_PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
pt_run -- "$PT_PY" client.py 127.0.0.1 "$free"
pt_grep "a loopback port nobody listens on: ECONNREFUSED" "$PT_OUT" \
	'^connect failed: ECONNREFUSED$'
pt_nogrep "... not said" "$PT_ERR" 'denied'
pt_grep "... logged as such" "$PT_LOG" \
	"\"addr\":\"127.0.0.1:$free\",\"decision\":\"deny\".*\"no_listener\":true"
pt_proctor learn -o "$T/nl.json" --from "$PT_LOG"
pt_nogrep "... and not learned" "$T/nl.json" "127.0.0.1:$free"

# a unix socket path with nothing there: ENOENT, as natively, and no
# denial (programs probe for a daemon's socket before they start it)
if [ -n "$PT_PY" ]; then
	pt_run -- "$PT_PY" -c '
import socket
for t in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
    s = socket.socket(socket.AF_UNIX, t)
    try:
        s.connect("gone.sock") if t == socket.SOCK_STREAM else s.sendto(b"x", "gone.sock")
    except OSError as e:
        print(e.strerror)'
	pt_is "connect and sendto to a socket path with nothing there: ENOENT" \
		"$(tr '\n' ' ' <"$PT_OUT")" "No such file or directory No such file or directory "
	pt_nogrep "... and no denial line" "$PT_ERR" 'denied'
fi

# an address the run serves on is in the log (inbound connections are
# not judged); a client's bind to port 0 of loopback is not
if [ -n "$PT_PY" ]; then
	pt_run --log "$PT_LOG" -- "$PT_PY" -c '
import socket
s = socket.socket(); s.bind(("0.0.0.0", 0)); port = s.getsockname()[1]
t = socket.socket(); t.bind(("0.0.0.0", port + 1 if port < 65535 else port - 1))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))'
	pt_is "a bind to a port of every address is recorded, one to port 0 not" \
		"$(grep -c '"class":"bind","addr":"0.0.0.0:[1-9]' "$PT_LOG")" 1
	# an abstract name, which the user's programs outside could take
	# for a service of theirs (an X display's), is recorded too; an
	# autobind's name, which nobody chose, is not
	pt_run --log "$PT_LOG" -- "$PT_PY" -c '
import os, socket
s = socket.socket(socket.AF_UNIX); s.bind("\0/tmp/.X11-unix/X%d" % (os.getpid() % 1000 + 1000))
t = socket.socket(socket.AF_UNIX); t.bind("")'
	pt_is "an abstract name bound is recorded, an autobind not" \
		"$(grep -c '"class":"bind","addr":"unix:@' "$PT_LOG")" 1
	pt_grep "... by the name it serves on" "$PT_LOG" \
		'"class":"bind","addr":"unix:@/tmp/.X11-unix/X1[0-9]+"'
fi


# ---- the host's interfaces, which getifaddrs asks the kernel for with a
#      NETLINK_ROUTE sendto (node's os.networkInterfaces, hostname -I)
if [ -n "$PT_PY" ]; then
	pt_run -- python3 -c 'import socket; print(len(socket.if_nameindex()) > 0)'
	pt_status "the interfaces are listed (a netlink sendto to the kernel)" 0
	pt_grep "... as natively" "$PT_OUT" '^True$'
fi


# ---- a refused datagram connect or send finds no way (ENETUNREACH, as
#      with no route): it has no peer to refuse it; a stream connect is
#      refused by its peer (ECONNREFUSED)
if [ -n "$PT_PY" ]; then
	pt_run -- python3 -c '
import errno, socket
for kind, how in ((socket.SOCK_DGRAM, "connect"), (socket.SOCK_DGRAM, "sendto"),
                  (socket.SOCK_STREAM, "connect")):
    s = socket.socket(socket.AF_INET, kind)
    try:
        if how == "connect":
            s.connect(("127.0.0.1", 9))
        else:
            s.sendto(b"x", ("127.0.0.1", 9))
        print(kind, how, "went")
    except OSError as e:
        print(kind, how, errno.errorcode[e.errno])'
	pt_grep "a refused datagram connect: ENETUNREACH" "$PT_OUT" \
		"^$(python3 -c 'import socket; print(int(socket.SOCK_DGRAM))') connect ENETUNREACH$"
	pt_grep "... and sendto" "$PT_OUT" 'sendto ENETUNREACH$'
	pt_grep "... a stream connect: ECONNREFUSED" "$PT_OUT" \
		"^$(python3 -c 'import socket; print(int(socket.SOCK_STREAM))') connect ECONNREFUSED$"
fi

# ---- a datagram's destination of family AF_UNSPEC: an IPv4 socket reads
#      it as an IPv4 address, an IPv6 one as none (its peer); judged so
if [ -n "$PT_PY" ]; then
	cat >"$T/unspec.py" <<'PY'
import ctypes, errno, socket, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
def send_unspec(s, ip, port):
    name = struct.pack("!HH4s8x", 0, port, socket.inet_aton(ip))
    name = struct.pack("=H", socket.AF_UNSPEC) + name[2:]
    n = libc.sendto(s.fileno(), b"unspec\n", 7, 0, name, len(name))
    return "sent" if n == 7 else errno.errorcode[ctypes.get_errno()]
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
r.bind(("127.0.0.1", 0)); r.settimeout(5)
port = r.getsockname()[1]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
print("allowed", send_unspec(s, "127.0.0.1", port), r.recv(16).decode().strip())
print("refused", send_unspec(s, "127.0.0.1", 9))
r6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
r6.bind(("::1", 0)); r6.settimeout(5)
s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s6.connect(("::1", r6.getsockname()[1]))
print("v6 peer", send_unspec(s6, "127.0.0.1", 9), r6.recv(16).decode().strip())
PY
	"$PT_PY" "$T/unspec.py" >"$T/unspec-native.out" 2>&1
	pt_run --allow-net 127.0.0.1 --allow-net '[::1]' -- "$PT_PY" "$T/unspec.py"
	pt_is "AF_UNSPEC destinations go where they go natively" \
		"$(cat "$PT_OUT")" "$(cat "$T/unspec-native.out")"
	pt_run --allow-net '[::1]' -- "$PT_PY" "$T/unspec.py"
	pt_grep "... an IPv4 socket's is judged as its IPv4 address" "$PT_OUT" \
		'^refused ENETUNREACH$'
	pt_grep "... and said as such" "$PT_ERR" 'denied .*127\.0\.0\.1:9 '
	pt_grep "... the run's own port still reached" "$PT_OUT" '^allowed sent unspec$'
fi

# ---- sendto with an address of no length: an IP datagram socket's
#      EINVAL (udp_sendmsg), a unix one's peer, as natively
if [ -n "$PT_PY" ]; then
	cat >"$T/nolen.py" <<'PY'
import ctypes, errno, socket
libc = ctypes.CDLL(None, use_errno=True)
buf = ctypes.create_string_buffer(16)
def send(s):
    n = libc.sendto(s.fileno(), b"x", 1, 0, buf, 0)
    return n if n >= 0 else errno.errorcode[ctypes.get_errno()]
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); r.bind(("127.0.0.1", 0))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(r.getsockname())
print("udp", send(s))
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
print("unix", send(a))
PY
	"$PT_PY" "$T/nolen.py" >"$T/nolen-native.out" 2>&1
	pt_run -- "$PT_PY" "$T/nolen.py"
	pt_is "sendto with an address of no length answers as natively" \
		"$(cat "$PT_OUT")" "$(cat "$T/nolen-native.out")"
fi

pt_done
