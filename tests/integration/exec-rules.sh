#!/bin/bash
# Command rules: --deny-exec by bare name (matching any path to the
# program) and by argv prefix (`git push` but not `git status`); the
# built-in policy asks before `git push` (ask is deny with no one to ask)
# and --allow-exec grants it.  A local bare repository is the remote:
# no network is involved.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

# ---- bare name
pt_run --deny-exec cat -- sh -c 'cat /etc/hostname; echo "rc=$?"'
pt_grep "--deny-exec cat: cat inside a shell is refused" "$PT_OUT" \
	'^rc=126$'
pt_grep "--deny-exec cat: the denial is explained" "$PT_ERR" \
	'^proctor: denied.*cat'
cat_path=$(command -v cat)
pt_run --deny-exec cat -- sh -c "$cat_path /etc/hostname; echo \"rc=\$?\""
pt_grep "--deny-exec cat: $cat_path by full path is refused too" \
	"$PT_OUT" '^rc=126$'
pt_run --deny-exec cat -- "$cat_path" /etc/hostname
pt_status "--deny-exec cat: CMD $cat_path itself gives 126" 126
n=$(pt_count_decisions "$PT_LOG" class exec deny)
pt_is "--deny-exec cat: the log has the exec deny record" "$n" 1
pt_run --deny-exec cat -- sh -c 'echo still-runs | tr a-z A-Z'
pt_status "--deny-exec cat: other programs run" 0
pt_grep "--deny-exec cat: their output is there" "$PT_OUT" '^STILL-RUNS$'

# ---- exec from a thread: the kernel gives the task the process's id
if command -v cc >/dev/null 2>&1; then
	cc -O1 -pthread -o "$T/thread-exec" "$PT_TESTS/lib/thread-exec.c"
	for who in thread leader; do
		pt_run -- "$T/thread-exec" "$who" /bin/echo "exec-by-$who"
		pt_status "an exec by the $who (another thread alive) runs" 0
		pt_grep "an exec by the $who: the program's output is there" \
			"$PT_OUT" "^exec-by-$who\$"
		pt_nogrep "an exec by the $who: not taken for a mismatch" \
			"$PT_LOG" '"type":"exec-mismatch"'
	done
	# the path and argv[0] one string, rewritten while the exec is
	# judged: what runs is what was judged, or nothing
	cc -O1 -pthread -o "$T/path-race" "$PT_TESTS/lib/path-race.c"
	pt_run --quiet --deny-exec echo -- "$T/path-race" /bin/true /bin/echo \
		RACE-WON
	pt_nogrep "a path rewritten as argv[0] during the exec: never run" \
		"$PT_OUT" RACE-WON
else
	pt_skip "exec from a thread" "needs cc"
fi

pt_need "git exec rules" git || pt_done

# ---- prefixes: git push vs git status
remote=$T/remote.git
git init -q --bare "$remote" || exit 1
git init -q && echo a >a && git add a && git commit -q -m one &&
	git remote add origin "$remote" || exit 1
branch=$(git symbolic-ref --short HEAD)
head=$(git rev-parse HEAD)

remote_has_head() {
	[ "$(git --git-dir="$remote" rev-parse -q --verify \
		"refs/heads/$branch" 2>/dev/null)" = "$head" ]
}

pt_run --deny-exec 'git push' -- sh -c \
	"git status --short; echo \"status=\$?\"; git push -q origin $branch; echo \"push=\$?\""
pt_grep "--deny-exec 'git push': git status runs" "$PT_OUT" '^status=0$'
pt_grep "--deny-exec 'git push': git push is refused" "$PT_OUT" \
	'^push=126$'
pt_grep "--deny-exec 'git push': the denial names the rule" "$PT_ERR" \
	'^proctor: denied.*git push'
if remote_has_head; then
	pt_fail "--deny-exec 'git push': nothing reached the remote"
else
	pt_ok "--deny-exec 'git push': nothing reached the remote"
fi

pt_run --deny-exec 'git push' -- git push -q origin "$branch"
pt_status "--deny-exec 'git push': as CMD it gives 126" 126
pt_run --deny-exec 'git push' -- git --version
pt_status "--deny-exec 'git push': git --version as CMD runs" 0

# ---- the built-in policy asks before git push; no one is asked here
pt_run -- git push -q origin "$branch"
pt_isnt "built-in policy: git push is not run without a prompt" "$PT_RC" 0
n=$("$PT_PY" - "$PT_LOG" <<'PY'
import json, sys
print(sum(1 for l in open(sys.argv[1])
          if (r := json.loads(l)).get("type") == "decision"
          and r.get("class") == "exec"
          and r.get("argv", [])[:2] == ["git", "push"]
          and r.get("decision") != "allow"
          and ("ask" in r.get("decision", "")
               or ".ask" in (r.get("rule") or {}).get("where", ""))))
PY
)
pt_is "built-in policy: the log says an ask rule refused git push" "$n" 1
if remote_has_head; then
	pt_fail "built-in policy: nothing reached the remote"
else
	pt_ok "built-in policy: nothing reached the remote"
fi

# The denial says how to allow it; following that advice must work.
pt_run -- git push -q origin "$branch"
flag=$(pt_advice "$PT_ERR" | sed -n 1p)
value=$(pt_advice "$PT_ERR" | sed -n 2p)
if [ -z "$flag" ]; then
	pt_fail "built-in policy: the git push denial says how to allow it"
	pt_diag_file "$PT_ERR" stderr
else
	pt_ok "built-in policy: the git push denial says how to allow it"
	# the remote lives outside the workspace: pushing writes there
	pt_run "$flag" "$value" --allow-write "$remote" -- \
		git push -q origin "$branch"
	pt_status "the advice ($flag '$value') lets git push run" 0
	if remote_has_head; then
		pt_ok "with the advice followed, the commit reached the remote"
	else
		pt_fail "with the advice followed, the commit reached the remote"
	fi
fi

# The argv an exec loaded is read from the new image's stack (proc.c),
# or from /proc when the stack is of another shape: every shape runs
# without being taken for a mismatch, and the log names the argv loaded.
printf '#!/bin/sh\nexit 0\n' >"$WS/script.sh"
chmod +x "$WS/script.sh"
long=$(seq 1 1500 | tr '\n' ' ')
pt_run -- sh -c "/bin/true a '' 'b c'; env -i /bin/true no-env; \
	/bin/true $long; '$WS/script.sh' x y; exec /bin/true last"
pt_status "execs of every shape run: empty words, no environment, a long argv, a script" 0
pt_nogrep "none of them is taken for a mismatch" "$PT_LOG" '"type":"exec-mismatch"'
n=$("$PT_PY" - "$PT_LOG" "$WS" <<'PY'
import json, sys
want = ["/bin/true a  b c", "/bin/true no-env", "/bin/true 1 2 3 4 5",
        "/bin/sh " + sys.argv[2] + "/script.sh x y", "/bin/true last"]
got = [r["cmdline"] for r in map(json.loads, open(sys.argv[1]))
       if r.get("type") == "exec"]
print(sum(1 for w in want if any(g.startswith(w) for g in got)))
PY
)
pt_is "the exec records name the argv each loaded" "$n" 5

# Scripts of every shape: a #! line with an argument, env, a long argv,
# by a relative name, and through execveat (a dirfd, a descriptor of the
# script itself): each runs, none is taken for a mismatch.
printf '#!/bin/sh -e\necho "e $#"\n' >"$WS/e.sh"
printf '#!/usr/bin/env python3\nimport sys\nprint("py", len(sys.argv))\n' \
	>"$WS/p.py"
chmod +x "$WS/e.sh" "$WS/p.py"
cd "$WS" || exit 1
pt_run -- sh -c "./e.sh 1 2 && ./p.py x && ./script.sh $long && \
	exec '$WS/e.sh' last"
pt_status "scripts of every shape run" 0
pt_grep "a #! line with an argument gets the script's arguments" "$PT_OUT" '^e 2$'
pt_grep "env runs python3 with the script" "$PT_OUT" '^py 2$'
pt_nogrep "no script is taken for a mismatch" "$PT_LOG" '"type":"exec-mismatch"'

# A script whose interpreter is a script, three deep: the kernel runs
# "/bin/sh -e inner.sh mid-arg mid top-arg ./top x"; it runs as without
# proctor, and each command in the chain is judged.
printf '#!/bin/sh -e\necho "inner $*"\n' >"$WS/inner.sh"
printf '#!%s mid-arg\n' "$WS/inner.sh" >"$WS/mid"
printf '#!%s top-arg\n' "$WS/mid" >"$WS/top"
chmod +x "$WS/inner.sh" "$WS/mid" "$WS/top"
pt_run -- ./top x
pt_status "a script whose interpreter is a script (three deep) runs" 0
pt_grep "... with the argv the kernel builds" "$PT_OUT" \
	"^inner mid-arg $WS/mid top-arg ./top x\$"
pt_nogrep "... and is not taken for a mismatch" "$PT_LOG" '"type":"exec-mismatch"'
# #! lines of odd shapes, read as the kernel reads them (a NUL, no
# newline, blanks and tabs at the end, an empty argument): each runs
# under proctor as it does without (the words are compared at the exec)
mkdir -p "$WS/odd"
printf '#!/bin/echo -x \0\n' >"$WS/odd/nul-after-blank"
printf '#!/bin/echo\t-x\t\0zz\n' >"$WS/odd/tabs-nul"
printf '#!/bin/echo -x ' >"$WS/odd/no-newline"
printf '#!/bin/echo \0\n' >"$WS/odd/empty-arg"
printf '#!/bin/echo ' >"$WS/odd/blank-no-newline"
printf '#!  /bin/echo   a b \t\n' >"$WS/odd/blanks"
printf '#!%s mid\n' "$WS/odd/nul-after-blank" >"$WS/odd/nested-odd"
printf '#!/bin/echo %s\n' "$(head -c 200 /dev/zero | tr '\0' a)" \
	>"$WS/odd/long-arg-near-4k"
chmod +x "$WS/odd/"*
bad=
for f in "$WS/odd/"*; do
	# a judged argv that fits in 4 KiB, pushed past it by the #! words
	q=q
	case $f in *near-4k) q=$(head -c 3900 /dev/zero | tr '\0' b) ;; esac
	want=$("$f" "$q" 2>&1 | od -c)
	pt_run -- "$f" "$q"
	[ "$PT_RC" = 0 ] && [ "$(od -c <"$PT_OUT")" = "$want" ] ||
		bad="$bad $(basename "$f")"
done
pt_is "odd #! lines run as without proctor" "${bad:-none}" none

pt_run --deny-exec "$WS/inner.sh mid-arg $WS/mid" -- ./top x
pt_status "a rule naming the middle interpreter's command denies it" 126
pt_run --deny-exec "sh -e $WS/inner.sh" -- ./top x
pt_status "... and one naming the last interpreter's" 126
if command -v cc >/dev/null; then
	cat >"$T/xat.c" <<'C'
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* execveat of e.sh three ways: from a dirfd, the script's own
 * descriptor (AT_EMPTY_PATH), AT_FDCWD; prints each exit status */
int main(void)
{
	for (int how = 0; how < 3; how++) {
		pid_t p = fork();
		int st;

		if (p == 0) {
			char *av[] = { "e.sh", "a", "b", NULL };
			int d = open(".", O_PATH | O_DIRECTORY);
			int f = open("e.sh", O_RDONLY);

			if (how == 0)
				syscall(SYS_execveat, d, "e.sh", av, environ, 0);
			else if (how == 1)
				syscall(SYS_execveat, f, "", av, environ,
					AT_EMPTY_PATH);
			else
				syscall(SYS_execveat, AT_FDCWD, "./e.sh", av,
					environ, 0);
			_exit(99);
		}
		waitpid(p, &st, 0);
		printf("execveat %d: %d\n", how, st);
	}
	return 0;
}
C
	cc -o "$T/xat" "$T/xat.c"
	pt_run -- "$T/xat"
	pt_is "a script through execveat three ways: each exits 0" \
		"$(grep -c ': 0$' "$PT_OUT")" 3
	pt_nogrep "none is taken for a mismatch" "$PT_LOG" '"type":"exec-mismatch"'
fi

# execve(path, NULL, envp): the kernel (5.18 on) loads argv [""]
if command -v cc >/dev/null; then
	cat >"$T/argc0.c" <<'C'
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char *env[] = { "A=1", NULL };
	int st, bad = 0;

	if (argc == 0 || !argv[0][0])
		return 0;
	for (int i = 0; i < 2; i++) {
		pid_t p = fork();

		if (p == 0) {
			execve("/proc/self/exe", NULL, i ? NULL : env);
			_exit(9);
		}
		waitpid(p, &st, 0);
		bad += st != 0;
	}
	printf("argc0 bad %d\n", bad);
	return bad;
}
C
	cc -o "$T/argc0" "$T/argc0.c"
	pt_run -- "$T/argc0"
	pt_status "an exec with no argv at all (with and without an environment) runs" 0
	pt_nogrep "it is not taken for a mismatch" "$PT_LOG" '"type":"exec-mismatch"'
fi

# a deny that names a link holds for the program it leads to, run by
# its own name too (--deny-exec /usr/bin/python3, python3.11 run)
mkdir -p "$T/lbin"
cp /bin/true "$T/lbin/real-true"
ln -sf real-true "$T/lbin/link-true"
pt_run --deny-exec "$T/lbin/link-true" -- "$T/lbin/real-true"
pt_status "a deny naming a link refuses the program it leads to" 126
pt_run --allow-exec "$T/lbin/link-true" --deny-exec "$T/lbin/*" -- \
	"$T/lbin/real-true"
pt_status "... an allow naming a link grants nothing to its target" 126

pt_done
