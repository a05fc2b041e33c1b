#!/bin/bash
# A call that waits must not hold up the other tasks' calls
# (tracer/notify.c, the receivers): while calls come one at a time one
# receiver alone waits for them, so one that waits inside a call would
# hold up every other task.  Each phase below makes one call wait about
# HOLD seconds while a second process times its own file writes; its
# slowest write stays well under HOLD.
#   connect: a blocking connect to a loopback listener of the run's own
#     whose accept queue is full (the SYN is dropped, retried after 1 s);
#   open, truncate: a write to a file under a read lease (fcntl
#     F_SETLEASE), which waits for the holder to give it up;
#   exec: a script under a write lease.
# A loopback connect is tried on the receiver for 20 ms first, with its
# own SO_SNDTIMEO set and put back: one of the program's own runs out as
# without proctor (EINPROGRESS, not a second connect's EALREADY), and
# the program finds its timeout as it set it.
# Then a wait proctor cannot hand to the pool, since it reads the
# program's memory first: a userfaultfd's, refused (below).
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

pt_need "python3" python3 || pt_done

HOLD=4
cat >stall.py <<'PY'
import fcntl, os, signal, socket, subprocess, sys, threading, time
what, hold = sys.argv[1], float(sys.argv[2])
signal.signal(signal.SIGIO, signal.SIG_IGN)  # a lease's break notice

def timed_writer():
    return subprocess.Popen([sys.executable, "-c", """
import time
worst = 0
for i in range(150):
    a = time.time()
    open("w.%d" % i, "w").close()
    worst = max(worst, time.time() - a)
    time.sleep(0.02)
print("worst %.2f" % worst)
"""])

def lease(path, kind, flags):
    fd = os.open(path, flags)
    try:
        fcntl.fcntl(fd, fcntl.F_SETLEASE, kind)
    except OSError as e:
        print("no lease:", e)
        sys.exit(0)
    return fd

def after(seconds, fn):
    def run():
        time.sleep(seconds)
        fn()
    threading.Thread(target=run, daemon=True).start()

if what == "connect":
    lis = socket.socket()
    lis.bind(("127.0.0.1", 0))
    lis.listen(0)
    to = lis.getsockname()
    first = socket.socket()
    first.connect(to)  # the queue is full from here on
    after(hold, lambda: [lis.accept() for _ in range(2)])
elif what == "exec":
    with open("prog.sh", "w") as f:
        f.write("#!/bin/sh\necho ran\n")
    os.chmod("prog.sh", 0o755)
    # a process of its own: a copy of the descriptor, open for writing,
    # in the process that execs would make the exec ETXTBSY
    holder = subprocess.Popen([sys.executable, "-c", """
import fcntl, os, signal, sys, time
signal.signal(signal.SIGIO, signal.SIG_IGN)
fd = os.open("prog.sh", os.O_WRONLY)
try:
    fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_WRLCK)
except OSError as e:
    print("no lease:", e, flush=True)
    sys.exit(0)
print("held", flush=True)
time.sleep(float(sys.argv[1]))
""", str(hold)], stdout=subprocess.PIPE, text=True)
    said = holder.stdout.readline()
    if not said.startswith("held"):
        print(said.strip() or "no lease: the holder failed")
        sys.exit(0)
else:
    with open("leased", "w") as f:
        f.write("0123456789" * 10)
    fd = lease("leased", fcntl.F_RDLCK, os.O_RDONLY)
    after(hold, lambda: fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_UNLCK))

w = timed_writer()
time.sleep(0.3)
t = time.time()
if what == "connect":
    socket.socket().connect(to)
elif what == "open":
    open("leased", "w").close()
elif what == "truncate":
    os.truncate("leased", 10)
else:
    subprocess.run(["./prog.sh"], check=True, stdout=subprocess.DEVNULL)
print("%s waited %.1f" % (what, time.time() - t))
w.wait()
PY

for what in connect open truncate exec; do
	rm -f w.* leased prog.sh
	PT_TIMEOUT=60 pt_run -- "$PT_PY" stall.py "$what" "$HOLD"
	if grep -q '^no lease' "$PT_OUT"; then
		pt_skip "$what under a lease" "$(head -n 1 "$PT_OUT")"
		continue
	fi
	pt_status "$what: exits 0" 0
	pt_grep "$what: the call waits" "$PT_OUT" "^$what waited [3-9]"
	worst=$(sed -n 's/^worst //p' "$PT_OUT")
	if [ -n "$worst" ] && awk "BEGIN { exit !($worst < 1.5) }"; then
		pt_ok "$what: the other process's writes go on (slowest ${worst}s)"
	else
		pt_fail "$what: the other process's writes go on" \
			"slowest write: '${worst}' s, the call waits ${HOLD} s"
	fi
done

# A path in a page under a userfaultfd that takes the kernel's faults
# would hold proctor's read of it until the program resolves the fault,
# which it need never do: one receiver per such call, all of them with
# as many threads.  /dev/userfaultfd (root's, 0600) makes one from a
# read-only descriptor; the call itself does without UFFD_USER_MODE_ONLY
# where vm.unprivileged_userfaultfd allows.  Both are refused; a
# user-mode-only one (our reads fail with EFAULT) is not.
cat >sndtimeo.py <<'PY'
import errno, socket, struct, sys
fam, host = (socket.AF_INET6, "::1") if sys.argv[1] == "6" else \
    (socket.AF_INET, "127.0.0.1")
lis = socket.socket(fam)
lis.bind((host, 0))
lis.listen(0)
to = lis.getsockname()[:2]
first = socket.socket(fam)
first.connect(to)  # the queue is full from here on
s = socket.socket(fam)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", 0, 200000))
try:
    s.connect(to)
    print("connected")
except OSError as e:
    print("connect:", errno.errorcode.get(e.errno, e.errno))
got = s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, 16)
print("timeout kept:", struct.unpack("ll", got)[1] // 10000 == 20)
PY
for v in 4 6; do
	pt_run -- "$PT_PY" sndtimeo.py "$v"
	pt_status "connect with SO_SNDTIMEO (IPv$v): exits 0" 0
	pt_grep "connect with SO_SNDTIMEO (IPv$v): runs out with EINPROGRESS" \
		"$PT_OUT" '^connect: EINPROGRESS$'
	pt_grep "connect with SO_SNDTIMEO (IPv$v): the timeout is kept" \
		"$PT_OUT" '^timeout kept: True$'
done

cat >uffd.py <<'PY'
import ctypes, errno, fcntl, os
libc = ctypes.CDLL(None, use_errno=True)
NR_userfaultfd = 323  # x86_64
try:
    dev = os.open("/dev/userfaultfd", os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.close(fcntl.ioctl(dev, 0xAA00, os.O_CLOEXEC))  # ..._IOC_NEW
        print("dev made one")
    except OSError as e:
        print("dev", errno.errorcode[e.errno])
except OSError as e:
    print("dev unopened", errno.errorcode[e.errno])
fd = libc.syscall(NR_userfaultfd, os.O_CLOEXEC)
print("call", "made one" if fd >= 0 else errno.errorcode[ctypes.get_errno()])
fd = libc.syscall(NR_userfaultfd, os.O_CLOEXEC | 1)  # UFFD_USER_MODE_ONLY
print("user-mode-only", "made one" if fd >= 0 else
      errno.errorcode[ctypes.get_errno()])
PY
if [ "$(uname -m)" = x86_64 ]; then
	pt_run -- "$PT_PY" uffd.py
	pt_status "userfaultfd: exits 0" 0
	if grep -q '^dev unopened' "$PT_OUT"; then
		pt_skip "userfaultfd: /dev/userfaultfd" "$(head -n 1 "$PT_OUT")"
	else
		pt_grep "userfaultfd: /dev/userfaultfd makes none" "$PT_OUT" \
			'^dev EPERM$'
	fi
	pt_grep "userfaultfd: the call without UFFD_USER_MODE_ONLY makes none" \
		"$PT_OUT" '^call EPERM$'
	pt_grep "userfaultfd: a user-mode-only one is made" "$PT_OUT" \
		'^user-mode-only (made one|ENOSYS)$'
else
	pt_skip "userfaultfd" "the test knows the call's number on x86_64"
fi

pt_done
