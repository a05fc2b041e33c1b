#!/bin/bash
# Emulated calls must not break ordinary programs: a FIFO followed with
# tail -f, a python venv and a pip install of a local wheel, git with a
# linked worktree, a slow open that must not stall the others.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

# tail -f on a FIFO: the open waits for the writer, which another
# process of the tree opens while the first open is still pending.
pt_run -- bash -c 'mkfifo f; (sleep 0.5; echo from-the-fifo >f) &
	timeout 3 tail -f f; true'
pt_status "tail -f on a FIFO runs" 0
pt_grep "tail -f on a FIFO sees the line" "$PT_OUT" '^from-the-fifo$'

# A FIFO open that waits must not hold up other calls: while a reader
# waits for a writer, the rest of the tree goes on opening files.
pt_run -- bash -c 'mkfifo g; (cat g >/dev/null) & sleep 0.2;
	for i in $(seq 50); do cat /etc/hostname >/dev/null; done;
	echo done >g; wait; echo all-done'
pt_status "a waiting FIFO open stalls nothing" 0
pt_grep "the others finished while it waited" "$PT_OUT" '^all-done$'

# A program waiting to open a FIFO still dies of Ctrl-C (SIGINT).
mkfifo "$WS/lonely"
"$PROCTOR" run --quiet --log "$PT_LOG" -- cat lonely </dev/null \
	>/dev/null 2>&1 &
sup=$!
sleep 1
kill -INT "$sup"
for i in $(seq 30); do kill -0 "$sup" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$sup" 2>/dev/null; then
	pt_fail "SIGINT ends a program waiting on a FIFO open"
	kill -KILL "$sup"
else
	pt_ok "SIGINT ends a program waiting on a FIFO open"
fi
wait "$sup" 2>/dev/null
pt_is "and proctor exits with 128+SIGINT" "$?" 130

# python3 venv and pip install of a wheel built here, offline (the
# distribution's python, which has setuptools).
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
if "$py" -c 'import venv, ensurepip, setuptools' 2>/dev/null &&
	"$py" -m pip --version >/dev/null 2>&1; then
	mkdir -p "$T/pkg/demo_pkg"
	printf 'from setuptools import setup\nsetup(name="demo_pkg", version="0.1", packages=["demo_pkg"])\n' \
		>"$T/pkg/setup.py"
	echo 'X = 42' >"$T/pkg/demo_pkg/__init__.py"
	if (cd "$T/pkg" && "$py" -m pip wheel -q --no-deps \
		--no-build-isolation -w "$WS/dist" . >/dev/null 2>&1); then
		PT_TIMEOUT=120 pt_run -- sh -c "$py"' -m venv venv &&
			venv/bin/pip install -q --no-index dist/*.whl &&
			venv/bin/python -c "import demo_pkg; print(demo_pkg.X)"'
		pt_status "venv and pip install of a local wheel" 0
		pt_grep "the installed package imports" "$PT_OUT" '^42$'
	else
		pt_skip "venv and pip install" "cannot build a wheel here"
	fi
else
	pt_skip "venv and pip install" "python3 venv or pip missing"
fi

# git with a linked worktree (its .git is a file naming the main repo)
pt_run -- sh -c 'git init -q repo && cd repo && echo a >a && git add a &&
	git -c user.email=t@t -c user.name=t commit -qm a &&
	git worktree add -q ../wt && cd ../wt && echo b >b && git add b &&
	git -c user.email=t@t -c user.name=t commit -qm b &&
	git log --oneline | wc -l'
pt_status "git worktree add, commit in the worktree" 0
pt_grep "the worktree has both commits" "$PT_OUT" '^2$'

pt_done
