#!/bin/bash
# Call stacks in the log: a small C program writes outside the workspace
# from a function of its own; the denial's stack names that function and
# its callers, whether the program was built with frame pointers (-O0:
# the frame pointer is found on the stack) or without (-O2: the unwind
# tables alone), from the main thread or another.  --stacks none, denied
# (the default) and all choose which decisions carry one; `proctor log`
# shows them under the decision.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

pt_need "stacks" cc python3 || pt_done

cat >"$T/secret.c" <<'C'
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * Through syscall(3), which saves no register: at -O0 the frame pointer
 * this function computes its frame from is the one at the call.
 */
__attribute__((noinline)) int write_secret_outside(const char *path)
{
	int fd = syscall(SYS_openat, AT_FDCWD, path,
			 O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd >= 0) {
		write(fd, "secret\n", 7);
		close(fd);
	}
	return fd < 0;
}

__attribute__((noinline)) int exfiltrate(const char *path)
{
	return write_secret_outside(path) + 1;
}

static void *from_thread(void *path)
{
	exfiltrate(path);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;

	if (argc > 2 && !strcmp(argv[2], "thread")) {
		pthread_create(&t, NULL, from_thread, argv[1]);
		pthread_join(t, NULL);
		return 0;
	}
	return exfiltrate(argv[1]) - 1;
}
C
for o in O0 O2; do
	cc -"$o" -g -pthread -o "$T/secret-$o" "$T/secret.c" ||
		pt_fail "compile secret.c with -$o"
done
cp "$T/secret-O2" "$T/secret-stripped"
strip "$T/secret-stripped"

# frames LOG PATH: the stack of the denial of PATH, one frame a line:
# SYMBOL-WITHOUT-OFFSET OBJECT-BASENAME; then "cut: ..." when it ends
# early and "scanned: N" when it rests on a frame pointer search.
frames() {
	"$PT_PY" - "$1" "$2" <<'PY'
import json, os, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["type"] != "decision" or r.get("path") != sys.argv[2]:
        continue
    for f in r.get("stack", []):
        print(f.get("sym", "?").split("+")[0],
              os.path.basename(f.get("obj", "?")))
    if "stack_cut" in r:
        print("cut:", r["stack_cut"])
    if "stack_scanned_from" in r:
        print("scanned:", r["stack_scanned_from"])
    break
PY
}

for o in O0 O2; do
	pt_run -- "$T/secret-$o" "$CANARY/leak-$o"
	pt_absent "-$o: the write outside was denied" "$CANARY/leak-$o"
	frames "$PT_LOG" "$CANARY/leak-$o" >"$T/frames-$o"
	pt_grep "-$o: the stack names write_secret_outside in the program" \
		"$T/frames-$o" "^write_secret_outside secret-$o\$"
	pt_is "-$o: and below it its callers, in order" \
		"$(grep -A2 '^write_secret_outside' "$T/frames-$o" |
			cut -d' ' -f1 | tr '\n' ' ')" \
		"write_secret_outside exfiltrate main "
	pt_grep "-$o: the innermost frame is in the C library" \
		"$T/frames-$o" '^[^ ]+ libc\.so'
	pt_nogrep "-$o: the stack reaches the program's start" \
		"$T/frames-$o" '^cut:'
done
pt_grep "-O0: frame-pointer code: the stack says it searched" \
	"$T/frames-O0" '^scanned: [0-9]+$'
pt_nogrep "-O2: unwind tables alone: no search" "$T/frames-O2" '^scanned:'

pt_run -- "$T/secret-O2" "$CANARY/leak-thread" thread
frames "$PT_LOG" "$CANARY/leak-thread" >"$T/frames-thread"
pt_is "another thread's stack: its own functions" \
	"$(grep -A2 '^write_secret_outside' "$T/frames-thread" |
		cut -d' ' -f1 | tr '\n' ' ')" \
	"write_secret_outside exfiltrate from_thread "

pt_run -- "$T/secret-stripped" "$CANARY/leak-stripped"
"$PT_PY" - "$PT_LOG" "$CANARY/leak-stripped" >"$T/stripped" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("path") == sys.argv[2]:
        f = r["stack"][1]
        print(f["obj"].endswith("secret-stripped"), "sym" in f,
              f.get("off", "").startswith("0x"))
PY
pt_is "a stripped program: its frames give the object and the address" \
	"$(cat "$T/stripped")" "True False True"

# ---- which decisions carry a stack
# nstacks LOG: decisions with a stack, allowed and denied.
nstacks() {
	"$PT_PY" - "$1" <<'PY'
import json, sys
a = d = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["type"] == "decision" and "stack" in r:
        a += r["decision"] == "allow"
        d += r["decision"] != "allow"
print(a, d)
PY
}
pt_run -- "$T/secret-O2" "$CANARY/leak-default"
pt_is "by default only denials carry a stack" "$(nstacks "$PT_LOG")" "0 1"
pt_grep "and the run record says so" "$PT_LOG" '"stacks":"denied"'
pt_run --stacks none -- "$T/secret-O2" "$CANARY/leak-none"
pt_is "--stacks none: no stacks" "$(nstacks "$PT_LOG")" "0 0"
pt_run --stacks all -- "$T/secret-O2" "$CANARY/leak-all"
n=$(nstacks "$PT_LOG")
pt_isnt "--stacks all: allowed decisions carry one too" "${n%% *}" 0
pt_is "--stacks all: and the denial" "${n##* }" 1
pt_run --stacks some -- true
pt_status "--stacks with another value is refused" 125
pt_grep "and says what it expects" "$PT_ERR" \
	'--stacks some: expected none, denied or all'

# ---- shown by proctor log
pt_run -- "$T/secret-O0" "$CANARY/leak-shown"
"$PROCTOR" log --decision deny "$PT_LOG" >"$T/shown.txt" 2>&1
pt_grep "proctor log shows the frames under the denial" "$T/shown.txt" \
	'^      at write_secret_outside\+0x[0-9a-f]+ \(secret-O0\)$'
pt_grep "and says which frames rest on a search" "$T/shown.txt" \
	'found through a frame pointer'
"$PROCTOR" log --json --decision deny "$PT_LOG" >"$T/shown.json" 2>&1
pt_is "proctor log --json passes the stack through" "$("$PT_PY" -c '
import json, sys
r = json.loads(open(sys.argv[1]).readline())
print(any(f.get("sym", "").startswith("write_secret_outside+")
          for f in r["stack"]))' "$T/shown.json")" True

pt_done
