"""
tests/lib/unix-queue.py DIR: blocking unix stream connects to a listener
whose queue is full (tracer/net.c, unix_parked): a signal ends one (its
handler raises), an accept lets one through, SO_SNDTIMEO ends one with
EAGAIN.  Prints what each did and when.
"""
import socket, signal, time, os, sys, threading
os.chdir(sys.argv[1])
try: os.unlink("q.sock")
except OSError: pass
s = socket.socket(socket.AF_UNIX); s.bind("q.sock"); s.listen(0)
fill = []
for i in range(3):
    a = socket.socket(socket.AF_UNIX); a.setblocking(False)
    try: a.connect("q.sock"); fill.append(a)
    except BlockingIOError: break
class T(Exception): pass
def h(*_): raise T()
signal.signal(signal.SIGALRM, h)
signal.setitimer(signal.ITIMER_REAL, 0.5)
t = time.time()
b = socket.socket(socket.AF_UNIX)
try: b.connect("q.sock"); print("connected")
except T: print("interrupted %.1f" % (time.time() - t))
# accept frees the queue: a waiting connect completes
def acc():
    time.sleep(0.3); s.accept()
threading.Thread(target=acc).start()
c = socket.socket(socket.AF_UNIX); t = time.time()
c.connect("q.sock"); print("connected after accept %.1f" % (time.time() - t))
# SO_SNDTIMEO: EAGAIN at the program's timeout
d = socket.socket(socket.AF_UNIX)
d.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO,
             (0).to_bytes(8, "little") + (300000).to_bytes(8, "little"))
t = time.time()
try: d.connect("q.sock"); print("d connected")
except OSError as e: print("timeout", e.strerror, "%.1f" % (time.time() - t))
