#!/usr/bin/env python3
"""A server for the relay's stream tests: ADDR PORT READY-FILE.
One request per connection; the path says what it answers:
  /big/N    N bytes (stream_srv.body), then close at once
  /rst/N    N bytes, then, once all are acknowledged, a reset
"""
import socket, struct, sys, threading, time, fcntl, termios


def body(n):
    import random
    return random.Random(n).randbytes(n)


def handle(c):
    head = b""
    while b"\r\n\r\n" not in head:
        b = c.recv(4096)
        if not b:
            c.close()
            return
        head += b
    kind, n = head.split(b" ")[1].decode().strip("/").split("/")
    n = int(n)
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n"
              b"Connection: close\r\n\r\n" % n + body(n))
    if kind == "rst":
        for _ in range(500):  # until the peer acknowledged every byte
            q = struct.unpack("i", fcntl.ioctl(c, termios.TIOCOUTQ, b"\0" * 4))[0]
            if q == 0:
                break
            time.sleep(0.01)
        print("unacknowledged", q, file=sys.stderr, flush=True)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
    c.close()


s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(16)
open(sys.argv[3], "w").write("ready\n")
while True:
    c, _ = s.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
