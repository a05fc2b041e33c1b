#!/bin/bash
# Sockets the run made itself are reachable under the default policy: a
# TCP or UDP listener it bound on loopback (a test suite starting its
# own server, in the same process or a child), a unix socket it created
# anywhere it may make one.  The host's listeners on loopback and
# its unix sockets, even inside the workspace, are not, and neither is a
# port the run shares with a host listener through SO_REUSEPORT.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
pt_need "own sockets" python3 || pt_done

cat >own.py <<'PY'
import os, socket, sys, threading

def tcp(host):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    srv = socket.socket(family, socket.SOCK_STREAM)
    srv.bind((host, 0))
    srv.listen(4)
    threading.Thread(target=lambda: srv.accept()[0].sendall(b"own-pong"),
                     daemon=True).start()
    c = socket.create_connection((host, srv.getsockname()[1]), timeout=5)
    return c.recv(16).decode()

def udp():
    a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    a.bind(("127.0.0.1", 0))
    b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    b.sendto(b"own-pong", a.getsockname())
    a.settimeout(5)
    return a.recv(16).decode()

def unix(path):
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    threading.Thread(target=lambda: srv.accept()[0].sendall(b"own-pong"),
                     daemon=True).start()
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.settimeout(5)
    c.connect(path)
    return c.recv(16).decode()

what = sys.argv[1]
try:
    if what == "tcp4":
        print(tcp("127.0.0.1"))
    elif what == "tcp6":
        print(tcp("::1"))
    elif what == "udp":
        print(udp())
    elif what == "unix":
        print(unix(sys.argv[2]))
    elif what == "connect":
        c = socket.create_connection(("127.0.0.1", int(sys.argv[2])), 5)
        print("connected")
except OSError as e:
    print("failed:", e)
PY

pt_run -- python3 own.py tcp4
pt_grep "a TCP listener the run bound on 127.0.0.1 is reachable" "$PT_OUT" \
	'^own-pong$'
pt_grep "the log says why" "$PT_LOG" '"where":"own listener"'
pt_run -- python3 own.py tcp6
pt_grep "and on ::1" "$PT_OUT" '^own-pong$'
pt_run -- python3 own.py udp
pt_grep "a UDP socket the run bound is reachable" "$PT_OUT" '^own-pong$'

# The server in a child, the client in another.
cat >server.py <<'PY'
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.accept()[0].sendall(b"x")
PY
pt_run -- sh -c 'python3 server.py port & while [ ! -s port ]; do sleep 0.05; done
python3 own.py connect "$(cat port)"; wait'
pt_grep "a server started by a child is reachable from another" "$PT_OUT" \
	'^connected$'

# The host's loopback listener is not.
if pt_listen; then
	pt_run -- python3 own.py connect "$PT_PORT"
	pt_grep "the host's loopback listener is refused" "$PT_OUT" "^failed:"
	sleep 0.2
	pt_is "and saw no connection" "$(pt_listen_count)" 0
	pt_listen_stop
fi

# Unix sockets: the run's own anywhere it may make them (the workspace,
# $TMPDIR; not the shared /tmp, where a create entry makes files and
# directories only); the host's not, even in the workspace.
pt_run -- sh -c 'python3 own.py unix "$TMPDIR/s" && python3 own.py unix "$PWD/ws.sock"'
pt_is "unix sockets the run created (in \$TMPDIR and the workspace) are reachable" \
	"$(cat "$PT_OUT")" "own-pong
own-pong"

cat >host-unix.py <<'PY'
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(1)
open(sys.argv[1] + ".ready", "w").close()
s.settimeout(20)
try:
    s.accept()
    open(sys.argv[1] + ".reached", "w").close()
except OSError:
    pass
PY
python3 host-unix.py "$WS/host.sock" </dev/null >/dev/null 2>&1 &
pt_at_exit "kill $!"
pt_wait_for 10 test -e "$WS/host.sock.ready"
pt_run -- python3 -c '
import socket
c = socket.socket(socket.AF_UNIX)
try:
    c.connect("host.sock"); print("connected")
except OSError as e:
    print("failed:", e)'
pt_grep "a host's unix socket in the workspace is refused" "$PT_OUT" \
	"^failed:"
pt_run --allow-net "unix:$WS/host.sock" -- python3 -c '
import socket
c = socket.socket(socket.AF_UNIX); c.connect("host.sock"); print("connected")'
pt_grep "and reachable when listed" "$PT_OUT" "^connected$"

# sockets whose address the kernel chose, or an abstract name: a UDP
# client's port (from connect or from its first send) that its server
# answers, a TCP listener without a bind, an abstract name the run bound
# and an autobound one; a host's abstract name stays refused
cat >chosen.py <<'PY'
import socket, sys
def reply(connect):
    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind(("127.0.0.1", 0))
    cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    cli.settimeout(5)
    if connect:
        cli.connect(srv.getsockname()); cli.send(b"hi")
    else:
        cli.sendto(b"hi", srv.getsockname())
    d, a = srv.recvfrom(10)
    srv.sendto(b"re", a)
    return cli.recv(10).decode()
def nobind():
    l = socket.socket(); l.listen()
    socket.create_connection(("127.0.0.1", l.getsockname()[1]), timeout=5)
    return "re"
def abstract(name):
    c = socket.socket(socket.AF_UNIX)
    c.connect(name)
    return "re"
def autobind():
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    srv.bind("\0proctor-own-d-%d" % __import__("os").getpid())
    cl = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); cl.bind("")
    cl.settimeout(5)
    cl.sendto(b"hi", srv.getsockname()); d, a = srv.recvfrom(10)
    srv.sendto(b"re", a)
    return cl.recv(10).decode()
def own_abstract():
    s = socket.socket(socket.AF_UNIX)
    s.bind("\0proctor-own-x-%d" % __import__("os").getpid()); s.listen()
    return abstract(s.getsockname())
for name, f in [("udp-connect", lambda: reply(True)),
                ("udp-sendto", lambda: reply(False)),
                ("listen-nobind", nobind), ("abstract", own_abstract),
                ("autobind", autobind),
                ("host-abstract", lambda: abstract(sys.argv[1].encode().replace(b"@", b"\0", 1)))]:
    try:
        print(name, f())
    except OSError as e:
        print(name, e.strerror)
PY
"$PT_PY" -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1].replace("@", "\0", 1)); s.listen()
time.sleep(30)' "@proctor-host-$$" &
host=$!
pt_at_exit "kill $host"
sleep 0.3
pt_run -- "$PT_PY" chosen.py "@proctor-host-$$"
pt_is "the kernel's choice of address, an abstract name: the run's own reached, the host's not" \
	"$(tr '\n' ' ' <"$PT_OUT")" \
	"udp-connect re udp-sendto re listen-nobind re abstract re autobind re host-abstract Connection refused "
kill "$host" 2>/dev/null

pt_done
