#!/bin/bash
# A blocking TCP connect that waits (a host that does not answer, a
# loopback listener whose accept queue is full) is parked with proctor's
# waiter (tracer/park.c), not held by a worker in connect:
#   - a signal reaches the program as without proctor: Ctrl-C's handler
#     (python's KeyboardInterrupt) interrupts the connect, and one with
#     SA_RESTART lets it go on and finish;
#   - more waiting connects than the pool has workers (64) hold up
#     nothing: one more, with its own timeout, ends on time;
#   - the program's own timeout (SO_SNDTIMEO) ends it with EINPROGRESS;
#   - as root, in a network lab: a connect to the lab's server works, one
#     to a closed port is refused, one to an address that never answers
#     is interrupted, and each is logged with its outcome; so is one
#     through the HTTP relay (a name whose methods are limited), whose
#     upstream connect waits as parked.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

pt_need "python3" python3 || pt_done

cat >wait.py <<'PY'
import errno, os, signal, socket, struct, sys, threading, time
what = sys.argv[1]
to = (sys.argv[2], int(sys.argv[3])) if len(sys.argv) > 3 else None
start = time.time()

def full_listener():
    """A loopback listener whose queue is full: a connect's SYN is
    dropped and retried after 1 s, 3 s, ..."""
    lis = socket.socket()
    lis.bind(("127.0.0.1", 0))
    lis.listen(0)
    first = socket.socket()
    first.connect(lis.getsockname())
    return lis, first

def after(seconds, fn):
    def run():
        time.sleep(seconds)
        fn()
    threading.Thread(target=run, daemon=True).start()

if what == "sigint":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if to is None:
        lis, first = full_listener()
        to = lis.getsockname()
    after(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    try:
        socket.socket().connect(to)
        print("connected")
    except KeyboardInterrupt:
        print("interrupted after %.1f s" % (time.time() - start))
elif what == "restart":
    # a handler with SA_RESTART, for this thread alone: the connect goes
    # on after it, and finishes once the queue has room
    got = []
    signal.signal(signal.SIGUSR1, lambda s, f: got.append(s))
    signal.siginterrupt(signal.SIGUSR1, False)
    lis, first = full_listener()
    main = threading.get_ident()
    after(0.3, lambda: signal.pthread_kill(main, signal.SIGUSR1))
    after(0.6, lambda: lis.accept())
    socket.socket().connect(lis.getsockname())
    print("connected after the handler" if got else "no handler ran")
elif what == "threaded":
    # the main thread connects while another idles; a child's exit
    # (SIGCHLD, left to its default) and a handler with SA_RESTART for a
    # signal sent to the process interrupt nothing natively
    got = []
    signal.signal(signal.SIGUSR1, lambda s, f: got.append(s))
    signal.siginterrupt(signal.SIGUSR1, False)
    lis, first = full_listener()
    threading.Thread(target=time.sleep, args=(5,), daemon=True).start()
    after(0.3, lambda: os.waitpid(os.spawnv(os.P_NOWAIT, "/bin/true",
                                            ["true"]), 0))
    after(0.6, lambda: os.kill(os.getpid(), signal.SIGUSR1))
    after(0.9, lambda: lis.accept())
    try:
        socket.socket().connect(lis.getsockname())
        print("connected, handler ran" if got else "connected")
    except OSError as e:
        print("failed:", errno.errorcode[e.errno])
elif what == "timeout-signal":
    # with its own timeout a connect ends at a signal (EINTR), whatever
    # the handler's SA_RESTART: the handler's exception comes at once
    class Signalled(Exception):
        pass
    def handler(s, f):
        raise Signalled()
    signal.signal(signal.SIGUSR1, handler)
    signal.siginterrupt(signal.SIGUSR1, False)
    lis, first = full_listener()
    main = threading.get_ident()
    after(0.3, lambda: signal.pthread_kill(main, signal.SIGUSR1))
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO,
                 struct.pack("ll", 3, 0))
    t = time.time()
    try:
        s.connect(lis.getsockname())
        print("connected")
    except Signalled:
        print("signalled", "at once" if time.time() - t < 2 else "late")
    except OSError as e:
        print("ended:", errno.errorcode[e.errno])
elif what == "many":
    lis, first = full_listener()
    def stuck():
        try:
            socket.socket().connect(lis.getsockname())
        except OSError:
            pass
    for i in range(70):
        threading.Thread(target=stuck, daemon=True).start()
    time.sleep(1)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO,
                 struct.pack("ll", 0, 500000))
    t = time.time()
    try:
        s.connect(lis.getsockname())
        print("connected")
    except OSError as e:
        print("one more: %s after %.1f s" % (errno.errorcode[e.errno],
                                              time.time() - t))
    sys.stdout.flush()
    os._exit(0)
elif what == "timeout":
    lis, first = full_listener()
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO,
                 struct.pack("ll", 0, 300000))
    try:
        s.connect(lis.getsockname())
        print("connected")
    except OSError as e:
        print("timed out:", errno.errorcode[e.errno])
elif what == "connect":
    try:
        s = socket.socket()
        s.connect(to)
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        print(s.recv(100).split(b"\r\n")[0].decode())
    except OSError as e:
        print("failed:", errno.errorcode[e.errno])
PY

# Ctrl-C's handler ends the wait, as natively.
pt_run -- python3 wait.py sigint
pt_grep "SIGINT's handler interrupts a connect that waits" "$PT_OUT" \
	'^interrupted after [0-4]\.'
pt_status "and the program ends as it chose" 0
pt_grep "the interrupted connect is logged with EINTR" "$PT_LOG" \
	'"syscall":"connect".*"errno":4,'

# A handler with SA_RESTART: the call goes on, and finishes.
pt_run -- python3 wait.py restart
pt_grep "after an SA_RESTART handler the connect goes on and finishes" \
	"$PT_OUT" '^connected after the handler$'

# Signals that natively interrupt nothing, in a program of two threads.
python3 wait.py threaded >native.out 2>&1
pt_run -- python3 wait.py threaded
pt_is "a child's exit and an SA_RESTART handler, two threads: as natively" \
	"$(cat "$PT_OUT")" "$(cat native.out)"
pt_grep "... which is: connected" "$PT_OUT" '^connected, handler ran$'

# With its own timeout, a signal ends the connect (no restart).
python3 wait.py timeout-signal >native.out 2>&1
pt_run -- python3 wait.py timeout-signal
pt_is "a connect with its own timeout ends at a signal, as natively" \
	"$(cat "$PT_OUT")" "$(cat native.out)"

# 70 connects wait; one more with its own timeout is not held up.
pt_run -- python3 wait.py many
pt_grep "70 waiting connects hold up no other (its timeout runs out)" \
	"$PT_OUT" '^one more: EINPROGRESS after 0\.[4-9]'
pt_grep "every waiting connect was logged, with how it ended" "$PT_LOG" \
	'"syscall":"connect".*"errno":115,'

# The program's own timeout: EINPROGRESS, as natively.
python3 wait.py timeout >native.out 2>&1
pt_run -- python3 wait.py timeout
pt_is "SO_SNDTIMEO ends a waiting connect as natively" "$(cat "$PT_OUT")" \
	"$(cat native.out)"

if pt_dns_lab "quiet.test A 10.77.0.9 300"; then
	# an address in the lab's network that nothing answers for
	ip -n "$LAB_C" neigh add 10.77.0.9 lladdr 02:00:00:00:00:09 dev vc \
		nud permanent
	pt_lab_run --allow-net 10.77.0.2 -- python3 "$WS/wait.py" connect \
		10.77.0.2 80
	pt_grep "a connect to the lab's server works" "$PT_OUT" '^HTTP/1'
	pt_grep "and is logged as done" "$PT_LOG" \
		'"addr":"10.77.0.2:80".*"result":0,'

	pt_lab_run --allow-net 10.77.0.2 -- python3 "$WS/wait.py" connect \
		10.77.0.2 81
	pt_grep "one to a closed port is refused by the host" "$PT_OUT" \
		'^failed: ECONNREFUSED$'

	pt_lab_run --allow-net 10.77.0.9 -- python3 "$WS/wait.py" sigint \
		10.77.0.9 80
	pt_grep "one to a host that never answers ends with Ctrl-C" "$PT_OUT" \
		'^interrupted after [0-4]\.'

	cat >"$T/relayed.json" <<'JSON'
{"network": {"allow": [{"pattern": "quiet.test", "methods": ["GET"]}]}}
JSON
	pt_lab_run --policy "$T/relayed.json" -- python3 "$WS/wait.py" \
		sigint quiet.test 80
	pt_grep "through the relay, too" "$PT_OUT" '^interrupted after [0-4]\.'
fi

# a unix stream connect to a listener whose queue is full waits as
# natively and gives way as natively: to a signal, to an accept, to the
# socket's own timeout (EAGAIN); it held a worker that nothing ended
mkdir -p "$WS/uq"
pt_run -- "$PT_PY" "$PT_TESTS/lib/unix-queue.py" "$WS/uq"
pt_grep "unix connect to a full queue: a signal's handler ends it" \
	"$PT_OUT" '^interrupted 0\.[5-9]$'
pt_grep "... an accept lets it through" "$PT_OUT" \
	'^connected after accept 0\.[3-9]$'
pt_grep "... its SO_SNDTIMEO ends it with EAGAIN" "$PT_OUT" \
	'^timeout Resource temporarily unavailable 0\.[3-9]$'

# so does a blocking datagram send to a unix receiver whose queue is full
mkdir -p "$WS/dq"
pt_run -- "$PT_PY" "$PT_TESTS/lib/unix-dgram-queue.py" "$WS/dq"
pt_grep "unix datagram send to a full queue: a signal's handler ends it" \
	"$PT_OUT" '^interrupted 0\.[5-9]$'
pt_grep "... a read lets it through" "$PT_OUT" '^sent after read 0\.[3-9]$'
pt_grep "... its SO_SNDTIMEO ends it with EAGAIN" "$PT_OUT" \
	'^timeout Resource temporarily unavailable 0\.[3-9]$'

pt_done
