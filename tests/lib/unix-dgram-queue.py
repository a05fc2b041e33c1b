"""
tests/lib/unix-dgram-queue.py DIR: blocking datagram sends to a unix
receiver whose queue is full (tracer/send.c, send_parked): a signal ends
one (its handler raises), a read lets one through, SO_SNDTIMEO ends one
with EAGAIN.  Prints what each did and when.
"""
import socket, signal, time, os, sys
os.chdir(sys.argv[1])
for n in ("r.sock",):
    try: os.unlink(n)
    except OSError: pass
r = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); r.bind("r.sock")
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.setblocking(False)
sent = 0
while True:
    try: s.sendto(b"x" * 100, "r.sock"); sent += 1
    except BlockingIOError: break
class T(Exception): pass
def h(*_): raise T()
signal.signal(signal.SIGALRM, h)
b = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
signal.setitimer(signal.ITIMER_REAL, 0.5); t = time.time()
try: b.sendto(b"y", "r.sock"); print("sent")
except T: print("interrupted %.1f" % (time.time() - t))
signal.setitimer(signal.ITIMER_REAL, 0)
# the receiver reads: a waiting send goes
import threading
def rd():
    time.sleep(0.3); r.recv(200)
threading.Thread(target=rd).start(); t = time.time()
b.sendto(b"z", "r.sock"); print("sent after read %.1f" % (time.time() - t))
d = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
d.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO,
             (0).to_bytes(8, "little") + (300000).to_bytes(8, "little"))
t = time.time()
try: d.sendto(b"w", "r.sock"); print("d sent")
except OSError as e: print("timeout", e.strerror, "%.1f" % (time.time() - t))
