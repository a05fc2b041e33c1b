#!/bin/bash
# python3 multiprocessing under proctor: a Pool with each start method
# (fork; spawn; forkserver, which talks over a unix socket in $TMPDIR),
# a Manager (a unix socket server in $TMPDIR) and a Queue (semaphores in
# /dev/shm).
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

pt_need "python3 multiprocessing" python3 || pt_done

cat >mp.py <<'PY'
import multiprocessing as mp
import sys

def square(x):
    return x * x

def produce(q):
    for i in range(10):
        q.put(i)

if __name__ == "__main__":
    method = sys.argv[1]
    ctx = mp.get_context(method)
    if len(sys.argv) > 2 and sys.argv[2] == "manager":
        with ctx.Manager() as m:
            d = m.dict()
            procs = [ctx.Process(target=d.__setitem__, args=(i, i * i))
                     for i in range(4)]
            for p in procs:
                p.start()
            for p in procs:
                p.join()
            print("manager", sum(d.values()))
    elif len(sys.argv) > 2 and sys.argv[2] == "queue":
        q = ctx.Queue()
        p = ctx.Process(target=produce, args=(q,))
        p.start()
        total = sum(q.get(timeout=20) for _ in range(10))
        p.join()
        print("queue", total, p.exitcode)
    else:
        with ctx.Pool(4) as pool:
            print("pool", sum(pool.map(square, range(100))))
PY

for method in fork spawn forkserver; do
	pt_run -- python3 mp.py "$method"
	pt_status "multiprocessing Pool ($method) exits 0" 0
	pt_grep "multiprocessing Pool ($method) computes the sum" "$PT_OUT" \
		'^pool 328350$'
done

pt_run -- python3 mp.py spawn manager
pt_status "multiprocessing Manager exits 0" 0
pt_grep "multiprocessing Manager shares a dict" "$PT_OUT" '^manager 14$'

pt_run -- python3 mp.py fork queue
pt_status "multiprocessing Queue exits 0" 0
pt_grep "multiprocessing Queue passes the items" "$PT_OUT" '^queue 45 0$'

pt_nogrep "no denial for multiprocessing" "$PT_ERR" '^proctor: denied'
pt_done
