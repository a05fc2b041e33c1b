#!/usr/bin/env python3
"""tools/bench/learnlog.py N [DEPTH] > LOG: a run log for timing `proctor learn`.

One run of N decisions on N distinct paths (reads and writes, ten files
a directory, five levels deep), with N/20 command lines of one program
(50 subcommands) and N/20 connects to distinct names under 100
domains.  DEPTH (default 0) puts DEPTH more levels above each path, to
time deep trees.  The log has no MACs: `proctor learn --from` does not check
them.  Time it with:

    python3 tools/bench/learnlog.py 200000 >/tmp/l.jsonl
    time build/proctor learn -q --from /tmp/l.jsonl -o /tmp/l.json
"""
import json
import sys

n = int(sys.argv[1])
deep = "".join("/l%d" % k for k in range(int(sys.argv[2]))) \
    if len(sys.argv) > 2 else ""
run = "20260101T000000Z-1"
seq = 0


def rec(kind, **kw):
    global seq
    seq += 1
    r = {"time": "2026-01-01T00:00:01.000000Z", "v": 2, "type": kind,
         "run": run, "seq": seq}
    r.update(kw)
    return json.dumps(r, separators=(",", ":"))


def decision(cls, pid, **kw):
    return rec("decision", pid=pid, tid=pid, ppid=1, comm="t",
               exe="/usr/bin/t", args=["0x0"] * 6, **{"class": cls},
               decision="allow",
               rule={"origin": "built-in", "where": cls + ".default",
                     "pattern": "allow", "default": True},
               latency_us=3, errno=0, result=3, **kw)


out = [rec("run", proctor="bench", policy_sha256="0" * 64,
           workspaces=["/w/ws"], tmpdir="/tmp/proctor-x", home="/home/u")]
for i in range(n):
    d = "/".join("d%d" % int(c) for c in "%05d" % (i // 10))
    out.append(decision("read" if i % 3 else "write", 100,
                        syscall="openat",
                        path="/srv/data%s/%s/f%d.txt" % (deep, d, i % 10)))
for i in range(n // 20):
    out.append(decision("exec", 100 + i, syscall="execve",
                        command="/usr/bin/tool",
                        argv=["tool", "sub%d" % (i % 50), "arg%d" % i]))
    out.append(decision("connect", 100, syscall="connect",
                        addr="10.0.%d.%d:443" % (i // 250 % 250, i % 250),
                        name="h%d.example%d.com" % (i, i % 100)))
out.append(rec("end", exit=0, decisions=seq - 1, denials=0))
print("\n".join(out))
