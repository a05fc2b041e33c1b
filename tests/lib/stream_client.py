#!/usr/bin/env python3
"""A slow reader for the relay's stream tests: [--abort] [--pause SECS]
HOST PORT REQ...  Sends the requests (with \\r\\n escapes) in one write,
waits a second (SECS),
then reads to the end and prints one line: "len L body N whole yes|no
403 yes|no 403-after-body yes|no", whether the body of the first answer
(N bytes, Content-Length, made as stream_srv.py makes it) arrived whole
and whether a 403 followed it.  --abort: reads a little, hangs up, prints
"closed PID" and stays four seconds."""
import os, random, socket, sys, time

abort = sys.argv[1] == "--abort"
if abort:
    del sys.argv[1]
pause = 1
if sys.argv[1] == "--pause":
    pause = float(sys.argv[2])
    del sys.argv[1:3]
host, port = sys.argv[1], int(sys.argv[2])
reqs = "".join(sys.argv[3:]).encode().decode("unicode_escape").encode()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.settimeout(20)
s.connect((host, port))
s.sendall(reqs)
time.sleep(pause)
if abort:
    # reads a little, hangs up with the rest unread (a reset), stays on
    # a while: the test watches proctor (our parent) meanwhile
    s.recv(100000)
    s.close()
    print("closed", os.getpid(), flush=True)
    time.sleep(4)
    sys.exit(0)
got = bytearray()
try:
    while True:
        b = s.recv(16384)
        if not b:
            break
        got += b
        time.sleep(0.001)
except OSError as e:
    print("error", e.__class__.__name__)
head, _, rest = bytes(got).partition(b"\r\n\r\n")
n = 0
for line in head.split(b"\r\n"):
    if line.lower().startswith(b"content-length:"):
        n = int(line.split(b":")[1])
want = random.Random(n).randbytes(n)
print("len", len(got), "body", n,
      "whole", "yes" if rest[:n] == want else "no",
      "403", "yes" if b"403 Forbidden" in got else "no",
      "403-after-body", "yes" if rest[n:].startswith(b"HTTP/1.1 403") else "no")
