#!/bin/bash
# A C build inside the workspace: a few .c files, a header and a Makefile,
# built with `make -j2` under proctor; the program it makes runs.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

pt_need "c build" make cc || pt_done

mkdir -p src
cat >src/greet.h <<'C'
int add(int a, int b);
const char *greeting(void);
C
cat >src/add.c <<'C'
#include "greet.h"
int add(int a, int b) { return a + b; }
C
cat >src/greet.c <<'C'
#include "greet.h"
const char *greeting(void) { return "hello from the workspace"; }
C
cat >src/main.c <<'C'
#include <stdio.h>
#include "greet.h"
int main(void)
{
	printf("%s: %d\n", greeting(), add(40, 2));
	return 0;
}
C
cat >Makefile <<'MK'
CFLAGS = -O2 -Wall -Isrc
OBJ = build/main.o build/add.o build/greet.o

prog: $(OBJ)
	$(CC) -o $@ $(OBJ)

build/%.o: src/%.c src/greet.h | build
	$(CC) $(CFLAGS) -c -o $@ $<

build:
	mkdir -p build

clean:
	rm -rf build prog
MK

pt_run -- make -j2
pt_status "make -j2 in the workspace exits 0" 0
pt_check "the build made the program" test -x prog
pt_nogrep "no denial during the build" "$PT_ERR" '^proctor: denied'

pt_run -- ./prog
pt_status "the built program runs under proctor" 0
pt_grep "the built program prints its result" "$PT_OUT" \
	'^hello from the workspace: 42$'

out=$(./prog)
pt_is "the built program runs without proctor too" "$out" \
	"hello from the workspace: 42"

# An incremental rebuild and a clean, which unlink in the workspace.
touch src/add.c
pt_run -- make -j2
pt_status "an incremental rebuild exits 0" 0
pt_run -- make clean
pt_status "make clean exits 0" 0
pt_absent "make clean removed the build" prog build/main.o

pt_absent "the build left nothing in the canary directory" \
	"$CANARY/prog" "$CANARY/build"
pt_done
