#!/usr/bin/env python3
"""A small forward proxy standing in for a user's own (proctor's proxy tests).

    proxyd.py ADDR PORT LOG NAME=ADDR...

Takes CONNECT host:port (answers 200 and joins the two streams) and
requests in absolute form (GET http://host:port/path: sends them on in
origin form, one per connection).  Names resolve only through the
NAME=ADDR pairs given.  Appends "METHOD TARGET auth=VALUE" to LOG per
request (VALUE: the Proxy-Authorization header, or "-"), and "ready"
when it listens.
"""
import socket
import socketserver
import sys
import threading

ADDR, PORT, LOG = sys.argv[1], int(sys.argv[2]), sys.argv[3]
HOSTS = dict(a.split("=", 1) for a in sys.argv[4:])


def note(line):
    with open(LOG, "a") as f:
        f.write(line + "\n")


def pipe(a, b):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
        b.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def join(a, b):
    t = threading.Thread(target=pipe, args=(b, a), daemon=True)
    t.start()
    pipe(a, b)
    t.join(10)


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        head = b""
        while b"\r\n\r\n" not in head:
            data = s.recv(1)
            if not data:
                return
            head += data
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        auth = "-"
        for h in lines[1:]:
            if h.lower().startswith("proxy-authorization:"):
                auth = h.split(":", 1)[1].strip()
        note("%s %s auth=%s" % (method, target, auth))
        if method == "CONNECT":
            host, port = target.rsplit(":", 1)
        else:
            rest = target[len("http://"):]
            hostport, _, path = rest.partition("/")
            host, _, port = hostport.partition(":")
            port = port or "80"
        try:
            up = socket.create_connection((HOSTS.get(host, host), int(port)),
                                          timeout=5)
        except OSError:
            s.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        if method == "CONNECT":
            s.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        else:
            kept = [l for l in lines[1:]
                    if not l.lower().startswith("proxy-")]
            first = "%s /%s HTTP/1.1" % (method, path)
            up.sendall("\r\n".join([first] + kept).encode("latin-1"))
        join(s, up)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


srv = Server((ADDR, PORT), Handler)
note("ready")
srv.serve_forever()
