#!/bin/bash
# An allowed call goes on before its record is written (tracer/log.c,
# places): the log must still hold each record after those of the calls
# answered before it.  Four threads each make 300 files one after the
# other, a tenth of their tries refused (outside the workspace), while
# a child process makes files of its own; in the log, each thread's
# files come in the order it made them, every refusal sits in its
# place among them, a parent's file made before the fork comes before
# the child's start and the child's files before its exit, sequence
# numbers run 1, 2, 3 with times that never go back, and the MAC
# chain holds.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
pt_need "log order" cc || { pt_done; exit 0; }

cat >"$T/maker.c" <<'C'
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *ws, *outside;

/* Thread k makes ws/tK-I for I = 0..299; every tenth try first tries
 * outside/tK-I, which is refused. */
static void *maker(void *arg)
{
	long k = (long)arg;
	char name[4096];

	for (int i = 0; i < 300; i++) {
		if (i % 10 == 0) {
			snprintf(name, sizeof(name), "%s/t%ld-%d", outside, k, i);
			if (open(name, O_WRONLY | O_CREAT, 0600) >= 0)
				exit(3);
		}
		snprintf(name, sizeof(name), "%s/t%ld-%d", ws, k, i);
		int fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0600);
		if (fd < 0)
			exit(2);
		close(fd);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[4];
	char name[4096];
	pid_t child;

	ws = argv[1];
	outside = argv[2];
	snprintf(name, sizeof(name), "%s/before-fork", ws);
	close(open(name, O_WRONLY | O_CREAT, 0600));
	child = fork();
	if (child == 0) {
		for (int i = 0; i < 200; i++) {
			snprintf(name, sizeof(name), "%s/c-%d", ws, i);
			close(open(name, O_WRONLY | O_CREAT, 0600));
		}
		_exit(0);
	}
	for (long k = 0; k < 4; k++)
		pthread_create(&t[k], NULL, maker, (void *)k);
	for (int k = 0; k < 4; k++)
		pthread_join(t[k], NULL);
	waitpid(child, NULL, 0);
	return 0;
}
C
cc -O2 -pthread -o "$T/maker" "$T/maker.c" || { pt_fail "compile maker"; pt_done; exit 0; }
mkdir -p "$T/outside"

for round in 1 2 3; do
	rm -f "$WS"/t*-* "$WS"/c-* "$WS/before-fork"
	PT_TIMEOUT=120 pt_run --quiet -- "$T/maker" "$WS" "$T/outside"
	pt_status "round $round: four threads and a child make their files" 0

	"$PT_PY" - "$PT_LOG" "$WS" "$T/outside" >"$T/order.txt" <<'PY'
import json, re, sys
from datetime import datetime

log, ws, outside = sys.argv[1:4]
recs = [json.loads(l) for l in open(log)]
bad = []
seen = {}        # thread -> the tries it made, in log order
child_files = []
child_pid = None
before_fork = start = exit_at = None
last_seq, last_time = 0, None

for n, r in enumerate(recs):
    if r["seq"] != last_seq + 1:
        bad.append("seq %d after %d" % (r["seq"], last_seq))
    last_seq = r["seq"]
    t = datetime.strptime(r["time"], "%Y-%m-%dT%H:%M:%S.%fZ")
    if last_time and t < last_time:
        bad.append("time goes back at seq %d" % r["seq"])
    last_time = t
    path = r.get("path", "")
    if r.get("type") == "decision" and path == ws + "/before-fork":
        before_fork = n
    if r.get("type") == "start" and before_fork is not None and \
            start is None and r.get("pid") != recs[before_fork]["pid"]:
        start, child_pid = n, r["pid"]
    if r.get("type") == "exit" and r.get("pid") == child_pid:
        exit_at = n
    if r.get("type") != "decision" or r.get("class") != "write":
        continue
    m = re.fullmatch(r"(.*)/t(\d)-(\d+)", path)
    if m and m.group(1) in (ws, outside):
        where = "in" if m.group(1) == ws else "out"
        want = "allow" if where == "in" else "deny"
        if r["decision"] != want:
            bad.append("%s: %s" % (path, r["decision"]))
        seen.setdefault(m.group(2), []).append((int(m.group(3)), where))
    elif re.fullmatch(re.escape(ws) + r"/c-(\d+)", path):
        child_files.append((n, int(path.rsplit("-", 1)[1])))

for k in "0123":
    want = []
    for i in range(300):
        if i % 10 == 0:
            want.append((i, "out"))
        want.append((i, "in"))
    if seen.get(k) != want:
        got = seen.get(k, [])
        first = next((j for j, (a, b) in enumerate(zip(got, want)) if a != b),
                     min(len(got), len(want)))
        bad.append("thread %s: %d tries logged, out of order from try %d"
                   % (k, len(got), first))
if [i for _, i in child_files] != list(range(200)):
    bad.append("the child's files are not in the order it made them")
if before_fork is None or start is None or before_fork > start:
    bad.append("the parent's file made before the fork is not before "
               "the child's start")
if child_files and (start is None or child_files[0][0] < start):
    bad.append("a file of the child's before its start")
if child_files and (exit_at is None or child_files[-1][0] > exit_at):
    bad.append("a file of the child's after its exit")
if recs[-1].get("type") != "end":
    bad.append("the last record is not the end")
print("\n".join(bad[:10]) if bad else "ok")
PY
	pt_is "round $round: the log holds every call after those answered before it" \
		"$(head -n 1 "$T/order.txt")" ok
	[ "$(head -n 1 "$T/order.txt")" = ok ] || pt_diag_file "$T/order.txt" order 10
	if "$PROCTOR" log verify "$PT_LOG" >"$T/verify.txt" 2>&1; then
		pt_ok "round $round: proctor log verify accepts the log"
	else
		pt_fail "round $round: proctor log verify accepts the log"
		pt_diag_file "$T/verify.txt" verify 3
	fi
done

# ---- killed mid-call: what proctor did for a task is in the log
# 64 threads make files as fast as they can until the program is killed
# (or proctor is told to stop, and ends it): a file proctor made for a
# call whose task died meanwhile still has its record, before the end.
cat >"$T/flood.c" <<'C'
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static const char *ws, *outside;

/* a tenth of the tries outside the workspace, refused */
static void *flood(void *arg)
{
	char name[4096];

	for (int i = 0;; i++) {
		snprintf(name, sizeof(name), "%s/f%ld-%d",
			 i % 10 ? ws : outside, (long)arg, i);
		close(open(name, O_WRONLY | O_CREAT | O_EXCL, 0600));
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;

	ws = argv[1];
	outside = argv[2];
	for (long k = 0; k < 64; k++)
		pthread_create(&t, NULL, flood, (void *)k);
	pause();
	return 0;
}
C
cc -O2 -pthread -o "$T/flood" "$T/flood.c" || { pt_fail "compile flood"; pt_done; exit 0; }
mkdir -p "$WS/flood"
for how in KILL-program INT-proctor KILL-program INT-proctor; do
	rm -f "$WS"/flood/*
	: >"$T/flood.log"
	"$PROCTOR" run --quiet --stacks none --log "$T/flood.log" -- \
		"$T/flood" "$WS/flood" "$T/outside" </dev/null >/dev/null 2>&1 &
	pid=$!
	pt_wait_for 10 sh -c "ls '$WS/flood' | grep -q ."
	sleep 0.5
	case $how in
	KILL-program) pkill -KILL -f "^$T/flood " ;;
	INT-proctor) kill -INT "$pid" ;;
	esac
	wait "$pid"
	missing=$("$PT_PY" - "$T/flood.log" "$WS/flood" <<'PY'
import json, os, sys
log, d = sys.argv[1:3]
recs = [json.loads(l) for l in open(log)]
seen = {r.get("path") for r in recs if r.get("type") == "decision"}
made = {os.path.join(d, f) for f in os.listdir(d)}
end = recs[-1].get("type") == "end"
print(len(made - seen), len(made), "end" if end else "no-end")
PY
)
	pt_is "$how: every file made has its record, and the end comes last" \
		"$(echo "$missing" | awk '{print $1, $3}')" "0 end"
	pt_diag "$how: $missing"
done

pt_done
