#!/usr/bin/env bash
# tools/bench.sh PROCTOR: how much proctor slows real work down.
#
# Runs each workload natively, under `proctor run --no-log` (default policy),
# under `proctor run --log FILE --stacks none` (every decision proctor
# takes logged; read-only opens the kernel answers are not), for the build
# and the opens also under `proctor run --log FILE` (logged, with the call
# stack of each denial: the default) and with `--log-reads` (every read
# judged and logged by proctor too), and under
# `strace -f --seccomp-bpf` on the same syscalls as a reference; fork+exec
# also under tools/bench/follow.c ("floor": a ptrace follower whose execve
# notifications go on at once, what any supervisor of this design pays
# before its own work), and the download through the relay also through
# tools/bench/splice.c ("floor": a bare splice relay, what any relay in
# user space pays).  Runs are
# interleaved (native, proctor, proctor+log, strace, native, ...), repeated,
# wall-clock timed, and summed up in a table: min / median / max seconds, the
# median ratio to native and, for the microbenchmarks, the microseconds each
# operation adds and proctor's added time as a fraction of strace's.
#
# Workloads (issue 9): startup (one /bin/true), a `make -j2` build of a
# generated tree of 200 C files, 100k open+close read-only and 100k
# open(O_WRONLY|O_CREAT)+close in the workspace, 5,000 such opens outside it
# (denied: what a stack costs), 1,000 live processes at once (the
# supervisor's peak memory, read from the log's closing record, is in the
# table for the logged modes), 2,000 fork+exec of /bin/true,
# git init/add/commit/status/log over 2,000 files, 20 python3 processes
# importing much of the standard library, 5,000 TCP connects to a listener on
# 127.0.0.1 that this script starts (and allows with --allow-net).  As
# root, in a network lab of its own (two network namespaces, the test name
# server tests/lib/dnsd.py, a listener; no route anywhere else): 500 name
# resolutions (getaddrinfo, A and AAAA) of an allowed name, and 2,000
# connects to the address of an allowed name (issue 5); through the HTTP
# relay (issue 8: the name's entry limits methods), a 1 GiB download with
# curl and 300 connections of one small GET each (python3 http.client),
# against tools/bench/blob.c in the lab; the same download and
# connections allowed by name without the relay, for the relay's own
# cost; and the 300 connections (python3 urllib) through proctor's proxy
# (--proxy), natively direct.
#
# Environment:
#   BENCH_ROUNDS=N   rounds per workload (default 5)
#   BENCH_QUICK=1    smoke run: 1 round (unless BENCH_ROUNDS is set), small sizes
#   BENCH_ONLY=a,b   only these workloads: startup build opens-read opens-write
#                    opens-denied procs forkexec git python connect resolve
#                    connect-name relay relay-plain relay-conns
#                    relay-conns-plain proxy-conns
#
# Exits 0 on success and 1, loudly, if any workload fails in any mode.  The
# table reports the issue-9 targets but missing one does not fail the run.
set -euo pipefail

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
	echo "usage: $0 PATH/TO/proctor" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)

for tool in python3 cc make git; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "bench: $tool is required" >&2
		exit 1
	fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/proctor-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# A private copy of proctor, so that a rebuild during the benchmark does not
# change (or break) the binary being measured.  The helper programs are built
# here too, never in the source tree.
mkdir -p "$work/bin"
proctor=$work/bin/proctor
cp "$1" "$proctor"
measured="$(realpath "$1") (sha256 $(sha256sum "$proctor" | cut -c1-12))"
for src in "$here"/bench/*.c; do
	cc -O2 -Wall -Wextra -D_GNU_SOURCE -o "$work/bin/$(basename "$src" .c)" "$src"
done

# The harness proper.  Its stdin is this here-document; every workload gets
# /dev/null as stdin.
python3 - "$proctor" "$work" "$measured" "$here/../tests/lib/dnsd.py" \
	<<'PYTHON'
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

PROCTOR, WORK, MEASURED, DNSD = sys.argv[1:5]
BIN = os.path.join(WORK, "bin")
QUICK = os.environ.get("BENCH_QUICK") == "1"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "1" if QUICK else "5"))
ONLY = [w for w in os.environ.get("BENCH_ONLY", "").split(",") if w]
STRACE = shutil.which("strace")
STRACE_ARGS = ["-f", "--seccomp-bpf",
               "-e", "trace=open,openat,openat2,connect,execve",
               "-o", "/dev/null"]

SIZES = {  # full run, quick run
    "build_files": (200, 40),
    "opens": (100_000, 10_000),
    "denied": (5_000, 500),
    "forkexec": (2_000, 200),
    "procs": (1_000, 100),
    "git_files": (2_000, 200),
    "python_runs": (20, 3),
    "connects": (5_000, 500),
    "resolves": (500, 50),
    "name_connects": (2_000, 200),
    "relay_bytes": (1 << 30, 64 << 20),
    "relay_conns": (300, 30),
}
N = {key: quick if QUICK else full for key, (full, quick) in SIZES.items()}

MODES = ["native", "proctor", "proctor+log", "proctor+log+stacks",
         "proctor+log-reads"] + \
    (["strace"] if STRACE else []) + ["floor"]

# Workloads must not see the `make bench` that may have started us.
ENV = {k: v for k, v in os.environ.items()
       if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
ENV.update({
    "LC_ALL": "C",
    "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
})


def die(msg):
    print(f"bench: FAILED: {msg}", file=sys.stderr)
    sys.exit(1)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def native(argv, cwd):
    """Runs untimed set-up work; any failure ends the benchmark."""
    r = subprocess.run(argv, cwd=cwd, env=ENV, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        die(f"set-up {argv} exited {r.returncode}:\n{r.stdout.decode()}")
    return r.stdout.decode()


class Workload:
    """One thing to time.  `argv` runs with the workspace as cwd (which is
    proctor's default workspace); `prepare` restores the workspace before
    every run, untimed; `ops` is the operation count of a microbenchmark."""

    def __init__(self, key, label, argv, ops=None, target=None,
                 prepare=None, allow_net=None, netns=None, stacks=False,
                 memory=None, policy=None, args=(), floor=False):
        self.key, self.label, self.argv = key, label, argv
        self.floor = floor
        self.args = list(args)  # more options for proctor run
        self.netns = netns
        # stacks: also timed with the stacks of denials (proctor+log+stacks)
        # (and with every read logged: proctor+log-reads)
        # floor: also timed under tools/bench/follow.c, which follows the
        # tree with ptrace and lets execve's notification go on, no more;
        # or, given as a command, timed as that command (run natively)
        self.modes = [m for m in MODES
                      if (stacks or m not in ("proctor+log+stacks",
                                              "proctor+log-reads")) and
                      (floor or m != "floor")]
        self.ops, self.target = ops, target
        self.prepare = prepare or (lambda: None)
        self.allow_net = allow_net
        self.policy = policy  # a policy file's JSON text, or None
        self.cwd = os.path.join(WORK, "ws", key)
        self.log = os.path.join(WORK, "logs", key + ".jsonl")
        self.times = {mode: [] for mode in self.modes}
        self.log_lines = {}
        # issue 9's bound on the supervisor's peak resident size, in MiB
        self.memory = memory
        self.peak_kib = {}


# --- workload generators ---------------------------------------------------

HEADERS = ["stdio.h", "stdlib.h", "string.h", "ctype.h", "stdint.h",
           "errno.h", "limits.h", "time.h", "unistd.h", "fcntl.h"]


def make_c_tree(ws, files):
    """A program of `files` units, each with a few headers and functions,
    and a Makefile that compiles them and links them together."""
    for i in range(files):
        headers = "".join(f"#include <{HEADERS[(i + k) % len(HEADERS)]}>\n"
                          for k in range(4))
        write(f"{ws}/src/unit{i}.c", f"""{headers}#include "common.h"

static unsigned mix{i}(unsigned x)
{{
	for (int k = 0; k < {i % 7 + 3}; k++)
		x = x * 2654435761u + {i}u;
	return x;
}}

int count{i}(const char *s)
{{
	int n = 0;
	for (; s && *s; s++)
		n += (*s % {i % 5 + 2}) == 0;
	return n + (int)strlen("unit{i}");
}}

unsigned unit{i}(unsigned seed)
{{
	struct pair p = {{seed, mix{i}(seed)}};
	return mix{i}(p.a ^ p.b) + (unsigned)count{i}("unit{i}");
}}
""")
    write(f"{ws}/src/common.h",
          "struct pair { unsigned a, b; };\n" +
          "".join(f"unsigned unit{i}(unsigned);\n" for i in range(files)))
    write(f"{ws}/src/main.c",
          '#include <stdio.h>\n#include "common.h"\n\nint main(void)\n{\n'
          "\tunsigned x = 1;\n" +
          "".join(f"\tx = unit{i}(x);\n" for i in range(files)) +
          '\tprintf("%u\\n", x);\n\treturn 0;\n}\n')
    write(f"{ws}/Makefile", """CC = cc
CFLAGS = -O2 -Wall
OBJS := $(patsubst %.c,%.o,$(wildcard src/*.c))

prog: $(OBJS)
	$(CC) -o $@ $^

src/%.o: src/%.c src/common.h
	$(CC) $(CFLAGS) -c -o $@ $<

clean:
	rm -f prog $(OBJS)
""")


def make_file_tree(ws, files):
    for i in range(files):
        write(f"{ws}/d{i % 40}/f{i}.txt", f"file {i}\n" + "x" * (i % 300) + "\n")


STDLIB = """abc argparse array ast asyncio base64 bisect bz2 calendar cmath
codecs collections colorsys configparser contextlib copy csv ctypes dataclasses
datetime decimal difflib dis email enum filecmp fnmatch fractions ftplib
functools getopt gettext glob gzip hashlib heapq hmac html html.parser
http.client http.server imaplib importlib inspect io ipaddress itertools json
locale logging logging.handlers lzma mailbox math mimetypes multiprocessing
numbers operator optparse pathlib pickle pkgutil platform plistlib poplib
pprint queue quopri random re sched secrets selectors shelve shlex shutil
signal smtplib socket socketserver sqlite3 ssl statistics string struct
subprocess tarfile tempfile textwrap threading timeit tokenize traceback types
typing unittest unittest.mock urllib.parse urllib.request uuid warnings
weakref xml.dom.minidom xml.etree.ElementTree xml.sax zipfile zlib""".split()


def importable(modules):
    """The modules this python3 can import (run natively, once)."""
    code = ("import importlib\n"
            f"for m in {modules!r}:\n"
            "    try:\n        importlib.import_module(m); print(m)\n"
            "    except ImportError:\n        pass\n")
    return native([sys.executable, "-c", code], WORK).split()


def set_aside(path):
    """Moves path out of the way, to be deleted at the end: ext4 skips the
    inodes of files deleted in the last minute when it makes new ones, and
    that scan made a round after a deletion of 2,000 files five times
    slower than the first (perf: recently_deleted, in every mode)."""
    if os.path.exists(path):
        trash = os.path.join(WORK, "trash")
        os.makedirs(trash, exist_ok=True)
        os.rename(path, os.path.join(trash, str(len(os.listdir(trash)))))


def start_listener():
    listener = subprocess.Popen([f"{BIN}/listener"], stdout=subprocess.PIPE,
                                stdin=subprocess.DEVNULL)
    port = int(listener.stdout.readline())
    return listener, port


# --- the workloads ----------------------------------------------------------

def workloads(port):
    def ws(key):
        return os.path.join(WORK, "ws", key)

    modules = importable(STDLIB)
    python_loop = ('i=0; while [ "$i" -lt "$3" ]; do "$1" -c "$2" || exit 1; '
                   "i=$((i + 1)); done")
    git_steps = ("git -c init.defaultBranch=main init -q && git add -A && "
                 "git commit -q -m bench && git status --porcelain && "
                 "git log --oneline")
    return [
        Workload("startup", "startup (/bin/true once)", ["/bin/true"], ops=1),
        Workload("build", f"make -j2, {N['build_files']} C files",
                 ["make", "-j2", "-s"], target=("ratio", 1.05), memory=16,
                 prepare=lambda: native(["make", "-s", "clean"], ws("build")),
                 stacks=True),
        Workload("opens-read", f"{N['opens']} open O_RDONLY+close",
                 [f"{BIN}/opens", "read", str(N["opens"]), "data.txt"],
                 ops=N["opens"], target=("strace", 0.2), stacks=True),
        Workload("opens-write", f"{N['opens']} open O_WRONLY|O_CREAT+close",
                 [f"{BIN}/opens", "write", str(N["opens"]), "out.txt"],
                 ops=N["opens"], target=("strace", 0.2), stacks=True),
        Workload("opens-denied", f"{N['denied']} open O_WRONLY outside, "
                 "denied", [f"{BIN}/opens", "denied", str(N["denied"]),
                            os.path.join(WORK, "outside", "denied.txt")],
                 ops=N["denied"], stacks=True),
        Workload("procs", f"{N['procs']} live processes at once",
                 [f"{BIN}/procs", str(N["procs"])], ops=N["procs"],
                 memory=64),
        Workload("forkexec", f"{N['forkexec']} fork+exec /bin/true",
                 [f"{BIN}/forkexec", str(N["forkexec"]), "/bin/true"],
                 ops=N["forkexec"], target=("ratio", 1.25), floor=True),
        Workload("git", f"git init/add/commit/status/log, {N['git_files']} files",
                 ["sh", "-c", git_steps], target=("ratio", 1.10),
                 prepare=lambda: set_aside(f"{ws('git')}/.git")),
        Workload("python", f"{N['python_runs']} x python3 importing "
                 f"{len(modules)} stdlib modules",
                 ["sh", "-c", python_loop, "sh", sys.executable,
                  "import " + ", ".join(modules), str(N["python_runs"])],
                 target=("ratio", 1.10)),
        Workload("connect", f"{N['connects']} TCP connects to 127.0.0.1",
                 [f"{BIN}/connects", str(N["connects"]), str(port)],
                 ops=N["connects"], target=("strace", 0.2),
                 allow_net=f"127.0.0.1:{port}"),
        Workload("resolve", f"{N['resolves']} getaddrinfo, name server "
                 "in a netns", [f"{BIN}/names", "resolve", str(N["resolves"]),
                                "allowed.bench"],
                 ops=N["resolves"], allow_net="allowed.bench", netns=LAB_C),
        Workload("connect-name", f"{N['name_connects']} TCP connects by "
                 "name, in a netns",
                 [f"{BIN}/names", "connect", str(N["name_connects"]),
                  "allowed.bench", "80"],
                 ops=N["name_connects"], allow_net="allowed.bench",
                 netns=LAB_C),
        Workload("relay", f"{N['relay_bytes'] >> 20} MiB HTTP download "
                 "through the relay, in a netns",
                 ["curl", "-sS", "-o", "/dev/null", "--fail",
                  f"http://relay.bench:8080/{N['relay_bytes']}"],
                 target=("ratio", 1.25), netns=LAB_C, policy=RELAY_POLICY,
                 floor=["curl", "-sS", "-o", "/dev/null", "--fail",
                        "--connect-to", "relay.bench:8080:127.0.0.1:7070",
                        f"http://relay.bench:8080/{N['relay_bytes']}"]),
        Workload("relay-plain", f"{N['relay_bytes'] >> 20} MiB HTTP "
                 "download allowed by name, not relayed, in a netns",
                 ["curl", "-sS", "-o", "/dev/null", "--fail",
                  f"http://relay.bench:8080/{N['relay_bytes']}"],
                 netns=LAB_C, allow_net="relay.bench"),
        Workload("relay-conns", f"{N['relay_conns']} HTTP connections "
                 "through the relay, one GET each, in a netns",
                 [sys.executable, "-c", RELAY_CONNS, str(N["relay_conns"])],
                 ops=N["relay_conns"], netns=LAB_C, policy=RELAY_POLICY),
        Workload("relay-conns-plain", f"{N['relay_conns']} HTTP connections "
                 "allowed by name, not relayed, one GET each, in a netns",
                 [sys.executable, "-c", RELAY_CONNS, str(N["relay_conns"])],
                 ops=N["relay_conns"], netns=LAB_C,
                 allow_net="relay.bench"),
        Workload("proxy-conns", f"{N['relay_conns']} HTTP connections "
                 "through proctor's proxy (--proxy; natively direct), one "
                 "GET each, in a netns",
                 [sys.executable, "-c", PROXY_CONNS, str(N["relay_conns"])],
                 ops=N["relay_conns"], netns=LAB_C, allow_net="relay.bench",
                 args=["--proxy"]),
    ]


RELAY_POLICY = ('{"network": {"allow": [{"pattern": "relay.bench", '
                '"methods": ["GET", "HEAD"]}]}}')
RELAY_CONNS = '''import http.client, sys
for i in range(int(sys.argv[1])):
    c = http.client.HTTPConnection("relay.bench", 8080, timeout=10)
    c.request("GET", "/100")
    assert len(c.getresponse().read()) == 100
    c.close()
'''
# urllib honours http_proxy: under --proxy each GET goes through proctor's
PROXY_CONNS = '''import sys, urllib.request
for i in range(int(sys.argv[1])):
    with urllib.request.urlopen("http://relay.bench:8080/100", timeout=10) as r:
        assert len(r.read()) == 100
'''


def set_up(w):
    os.makedirs(w.cwd, exist_ok=True)
    if w.key == "build":
        make_c_tree(w.cwd, N["build_files"])
    elif w.key == "opens-denied":
        os.makedirs(os.path.join(WORK, "outside"), exist_ok=True)
    elif w.key.startswith("opens"):
        write(f"{w.cwd}/data.txt", "read me\n")
        write(f"{w.cwd}/out.txt", "")
    elif w.key == "git":
        make_file_tree(w.cwd, N["git_files"])
    if w.policy:
        write(f"{w.cwd}.policy.json", w.policy)


# --- running and timing ------------------------------------------------------

def command(w, mode):
    net = ["--allow-net", w.allow_net] if w.allow_net else []
    net += w.args
    if w.policy:
        net += ["--policy", f"{w.cwd}.policy.json"]
    ns = ["ip", "netns", "exec", w.netns] if w.netns else []
    if mode == "native":
        return [*ns, *w.argv]
    if mode == "proctor":
        return [*ns, PROCTOR, "run", "--no-log", *net, "--", *w.argv]
    if mode == "proctor+log":
        return [*ns, PROCTOR, "run", "--log", w.log, "--stacks", "none",
                *net, "--", *w.argv]
    if mode == "proctor+log+stacks":
        return [*ns, PROCTOR, "run", "--quiet", "--log", w.log, *net,
                "--", *w.argv]
    if mode == "proctor+log-reads":
        return [*ns, PROCTOR, "run", "--quiet", "--log", w.log,
                "--log-reads", "--stacks", "none", *net, "--", *w.argv]
    if mode == "floor" and isinstance(w.floor, list):
        return [*ns, *w.floor]
    if mode == "floor":
        return [*ns, f"{BIN}/follow", *w.argv]
    return [*ns, STRACE, *STRACE_ARGS, "--", *w.argv]


def run(w, mode, what):
    """Runs one workload in one mode and returns its wall-clock seconds."""
    w.prepare()
    if os.path.exists(w.log):
        os.remove(w.log)
    os.sync()  # the previous run's writeback is not charged to this one
    argv = command(w, mode)
    out = os.path.join(WORK, "output.txt")
    with open(out, "wb") as f:
        start = time.perf_counter()
        status = subprocess.call(argv, cwd=w.cwd, env=ENV,
                                 stdin=subprocess.DEVNULL, stdout=f,
                                 stderr=subprocess.STDOUT)
        seconds = time.perf_counter() - start
    if status != 0:
        with open(out, errors="replace") as f:
            tail = "".join(f.readlines()[-30:])
        how = (f"was killed by signal {-status}" if status < 0 else
               f"exited with status {status}")
        die(f"{w.key} ({what}, {mode}) {how}\n"
            f"  command: {' '.join(argv)}\n  cwd: {w.cwd}\n"
            f"--- last lines of its output ---\n{tail}")
    if mode.startswith("proctor+log"):
        with open(w.log, "rb") as f:
            lines = f.readlines()
        w.log_lines[mode] = len(lines)
        end = json.loads(lines[-1]) if lines else {}
        w.peak_kib[mode] = max(w.peak_kib.get(mode, 0),
                               end.get("peak_rss_kib", 0))
        os.remove(w.log)
        if w.log_lines[mode] == 0:
            die(f"{w.key}: proctor --log {w.log} wrote nothing")
    return seconds


def bench(w):
    set_up(w)
    run(w, "native", "warm-up")
    for r in range(1, ROUNDS + 1):
        for mode in w.modes:
            seconds = run(w, mode, f"round {r}/{ROUNDS}")
            w.times[mode].append(seconds)
            print(f"  {w.key:<12} round {r}/{ROUNDS}  {mode:<18}"
                  f"{seconds:9.4f} s", file=sys.stderr, flush=True)


# --- the table ----------------------------------------------------------------

def report(done):
    head = (f"{'workload':<46} {'mode':<18} {'min s':>8} {'median s':>9} "
            f"{'max s':>8} {'ratio':>7} {'+us/op':>8} {'/strace':>8} "
            f"{'target':>12} {'log lines':>10} {'peak MiB':>12}")
    print(f"\nproctor benchmark of {MEASURED}, kernel {os.uname().release}, "
          f"{os.cpu_count()} CPUs")
    print(f"{ROUNDS} round(s), interleaved; "
          f"{'QUICK sizes; ' if QUICK else ''}"
          f"ratio = median / native median; +us/op = (median - native "
          f"median) / ops; /strace = proctor's added time / strace's;")
    print("target: issue 9's bar for proctor with the default policy "
          "(x: ratio to native, st: fraction of strace's added time)")
    if not STRACE:
        print("strace not found: strace mode skipped")
    print(head)
    print("-" * len(head))
    for w in done:
        base = statistics.median(w.times["native"])
        strace_added = (statistics.median(w.times["strace"]) - base
                        if STRACE else None)
        for mode in w.modes:
            t = w.times[mode]
            med = statistics.median(t)
            ratio = us = frac = target = logs = ""
            if mode != "native":
                ratio = f"{med / base:.3f}x"
                if w.ops:
                    us = f"{(med - base) / w.ops * 1e6:.2f}"
                if w.ops and strace_added and mode != "strace":
                    frac = f"{(med - base) / strace_added:.3f}"
            if mode == "proctor" and w.target:
                kind, limit = w.target
                if kind == "ratio":
                    ok = med / base <= limit
                    target = f"<={limit:.2f}x "
                else:
                    ok = strace_added is not None and \
                        (med - base) / strace_added <= limit
                    target = f"<={limit:.2f}st "
                target += "ok" if ok else "MISS"
            peak = ""
            if mode.startswith("proctor+log"):
                logs = str(w.log_lines[mode])
                mib = w.peak_kib[mode] / 1024
                peak = f"{mib:.1f}"
                if w.memory:
                    peak += (f" <={w.memory} " +
                             ("ok" if mib <= w.memory else "MISS"))
            print(f"{w.label if mode == 'native' else '':<46} {mode:<18} "
                  f"{min(t):8.4f} {med:9.4f} {max(t):8.4f} {ratio:>7} "
                  f"{us:>8} {frac:>8} {target:>12} {logs:>10} {peak:>12}")
        print()


# --- the network lab (root only) ----------------------------------------------

LAB_S, LAB_C = f"proctor-bench-s-{os.getpid()}", f"proctor-bench-c-{os.getpid()}"
LAB = []  # processes to stop


def lab_up():
    """Two namespaces and a veth pair: the name server on 10.77.0.1 and a
    listener on 10.77.0.2:80 on one side; the client side, where the
    workloads run, has no route anywhere else."""
    if os.geteuid() != 0 or not shutil.which("ip"):
        return False
    zone = os.path.join(WORK, "zone")
    write(zone, "allowed.bench A 10.77.0.2 300\n"
          "allowed.bench AAAA fd77::2 300\n"
          "relay.bench A 10.77.0.2 300\n")
    for argv in (["ip", "netns", "add", LAB_S], ["ip", "netns", "add", LAB_C],
                 ["ip", "-n", LAB_S, "link", "set", "lo", "up"],
                 ["ip", "-n", LAB_C, "link", "set", "lo", "up"],
                 ["ip", "link", "add", "vs", "netns", LAB_S, "type", "veth",
                  "peer", "name", "vc", "netns", LAB_C],
                 ["ip", "-n", LAB_S, "addr", "add", "10.77.0.1/24", "dev",
                  "vs"],
                 ["ip", "-n", LAB_S, "addr", "add", "10.77.0.2/24", "dev",
                  "vs"],
                 ["ip", "-n", LAB_C, "addr", "add", "10.77.0.100/24", "dev",
                  "vc"],
                 ["ip", "-n", LAB_S, "link", "set", "vs", "up"],
                 ["ip", "-n", LAB_C, "link", "set", "vc", "up"]):
        native(argv, WORK)
    os.makedirs(f"/etc/netns/{LAB_C}", exist_ok=True)
    write(f"/etc/netns/{LAB_C}/resolv.conf", "nameserver 10.77.0.1\n")
    ready = os.path.join(WORK, "dns-ready")
    LAB.append(subprocess.Popen(
        ["ip", "netns", "exec", LAB_S, sys.executable, DNSD, "10.77.0.1",
         zone, os.devnull, ready], stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    LAB.append(subprocess.Popen(
        ["ip", "netns", "exec", LAB_S, f"{BIN}/listener", "10.77.0.2", "80"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL))
    LAB.append(subprocess.Popen(
        ["ip", "netns", "exec", LAB_S, f"{BIN}/blob", "10.77.0.2", "8080"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL))
    # the relay download's floor: a bare relay on the client's loopback
    LAB.append(subprocess.Popen(
        ["ip", "netns", "exec", LAB_C, f"{BIN}/splice", "127.0.0.1", "7070",
         "10.77.0.2", "8080"], stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL))
    for _ in range(100):
        if os.path.exists(ready):
            return True
        time.sleep(0.05)
    die("the lab's name server did not start")


def lab_down():
    for p in LAB:
        p.terminate()
        p.wait()
    for ns in (LAB_S, LAB_C):
        subprocess.call(["ip", "netns", "delete", ns],
                        stderr=subprocess.DEVNULL)
    shutil.rmtree(f"/etc/netns/{LAB_C}", ignore_errors=True)


def main():
    os.makedirs(os.path.join(WORK, "logs"))
    listener, port = start_listener()
    netns_work = {"resolve", "connect-name", "relay", "relay-plain",
                  "relay-conns", "relay-conns-plain"}
    lab = bool(not ONLY or netns_work & set(ONLY))
    try:
        lab = lab and lab_up()
        if not lab and (not ONLY or netns_work & set(ONLY)):
            print("bench: resolve, connect-name and relay* need root (a "
                  "network namespace of their own): skipped",
                  file=sys.stderr)
        chosen = [w for w in workloads(port) if not ONLY or w.key in ONLY]
        chosen = [w for w in chosen if lab or not w.netns]
        unknown = set(ONLY) - {w.key for w in chosen}
        if unknown:
            die(f"BENCH_ONLY names unknown workloads: {sorted(unknown)}")
        print(f"bench: {MEASURED}: {ROUNDS} round(s), modes: "
              f"{', '.join(MODES)}", file=sys.stderr)
        for w in chosen:
            bench(w)
    finally:
        listener.terminate()
        listener.wait()
        lab_down()
    report(chosen)


main()
PYTHON
