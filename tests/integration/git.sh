#!/bin/bash
# git under proctor: a repository the run creates is its own (init, add,
# commit, hooks, config); in a repository that existed before the run,
# commits work but hooks and .git/config cannot be written.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

pt_need "git" git || pt_done

# ---- git init && git add && git commit, in a fresh workspace
echo "int main(void) { return 0; }" >main.c
echo "# demo" >README
pt_run -- sh -c 'git init -q && git add . && git commit -q -m first &&
	echo second >>README && git commit -q -am second &&
	git log --oneline | wc -l'
pt_status "git init && git add && git commit succeeds" 0
pt_grep "both commits are there" "$PT_OUT" '^ *2$'
pt_absent "no index.lock is left behind" "$WS/.git/index.lock"
n=$(git log --oneline 2>/dev/null | wc -l)
pt_is "the commits are visible after the run" "$n" 2
pt_nogrep "no denial in a run-created repository" "$PT_ERR" \
	'^proctor: denied'

# ---- a repository the run creates is its own, hooks and config included
# (in that run: to the next run, it is a repository that existed before)
ws1=$T/fresh
mkdir -p "$ws1"
pt_run --workspace "$ws1" -- sh -c 'cd "$1" && git init -q &&
	printf "#!/bin/sh\nexit 0\n" >.git/hooks/pre-commit &&
	chmod +x .git/hooks/pre-commit && git config core.demo yes &&
	echo x >x && git add x && git commit -q -m "with a hook"' sh "$ws1"
pt_status "a repository the run created: hooks and config are writable" 0
pt_check "its pre-commit hook was written" test -x "$ws1/.git/hooks/pre-commit"
pt_grep "its config was written" "$ws1/.git/config" 'demo = yes'

# ---- a repository that existed before the run
ws2=$T/existing
mkdir -p "$ws2"
cd "$ws2" || exit 1
git init -q && echo a >a && git add a && git commit -q -m init || exit 1
cfg_before=$(cksum <.git/config)
hook=.git/hooks/pre-commit

# try NAME COMMAND: must fail in the existing repository.
try() {
	pt_run --workspace "$ws2" -- sh -c "$2"
	if [ "$PT_RC" = 0 ]; then
		pt_fail "existing repository: $1 fails" "it exited 0: $2"
	else
		pt_ok "existing repository: $1 fails"
	fi
	pt_absent "existing repository: $1 leaves no hook" "$hook"
}

try "writing .git/hooks/pre-commit" \
	"printf '#!/bin/sh\necho pwned\n' > $hook"
try "cp into .git/hooks" "cp /bin/true $hook"
try "mv into .git/hooks" \
	"printf '#!/bin/sh\n' > h && chmod +x h && mv h $hook"
try "a symlink in .git/hooks" "ln -s /bin/true $hook"
try "replacing the hooks directory" \
	"mv .git/hooks .git/old-hooks && mkdir .git/hooks &&
	 printf '#!/bin/sh\n' > $hook"
pt_check "existing repository: the hooks directory is still there" \
	test -d "$ws2/.git/hooks"

pt_run --workspace "$ws2" -- git config core.hooksPath /tmp/evil-hooks
pt_isnt "existing repository: git config (writes .git/config) fails" \
	"$PT_RC" 0
pt_run --workspace "$ws2" -- sh -c 'echo "[core]" >> .git/config'
pt_isnt "existing repository: appending to .git/config fails" "$PT_RC" 0
pt_is "existing repository: .git/config is unchanged" \
	"$(cksum <.git/config)" "$cfg_before"

pt_run --workspace "$ws2" -- sh -c 'echo b >b && git add b &&
	git commit -q -m "second" && git status --short'
pt_status "existing repository: add and commit still work" 0
n=$(git log --oneline | wc -l)
pt_is "existing repository: the commit is there" "$n" 2


# A repository the run makes is its own, but the user's git reaches it
# later (a nested repository staged in the outer one runs its
# core.fsmonitor; a directory made to look like a repository): the git
# config files and hooks the run wrote that run commands are named at
# the end.  Its plain `git init` and commits say nothing.
pt_run --workspace "$ws2" -- sh -c 'mkdir quiet && cd quiet && git init -q &&
	git commit -q --allow-empty -m x'
pt_nogrep "a repository the run makes and commits to: nothing said" \
	"$PT_ERR" 'what git will run'
pt_run --workspace "$ws2" -- sh -c 'mkdir lib2 && cd lib2 && git init -q &&
	git config core.fsmonitor "touch pwned; false" &&
	git config alias.st "!echo hi" && git config alias.co checkout &&
	printf "#!/bin/sh\n" >.git/hooks/pre-commit &&
	chmod +x .git/hooks/pre-commit && cd .. &&
	printf "[core]\n\tfsmonitor = x\n" >config &&
	echo "ref: refs/heads/main" >HEAD'
pt_status "a nested repository with a command in its config" 0
pt_grep "its config is named, with the keys that run commands" "$PT_ERR" \
	"wrote what git will run .*: $ws2/lib2/.git/config \\(core.fsmonitor, alias.st\\)"
pt_grep "... its hook" "$PT_ERR" \
	"wrote what git will run .*: $ws2/lib2/.git/hooks/pre-commit \\(a hook\\)"
pt_grep "... a config made where git may take it for a repository" \
	"$PT_ERR" "wrote what git will run .*: $ws2/config \\(core.fsmonitor\\)"
# a repository made elsewhere and moved in; a key on its section's line;
# a transport that is a command (ext::); a value after a backslash and
# a newline; a file named config that is no repository's (nothing said)
pt_run --workspace "$ws2" -- sh -c 'mkdir -p "$TMPDIR/stage/.git" &&
	printf "[core] fsmonitor = x\n" >"$TMPDIR/stage/.git/config" &&
	mv "$TMPDIR/stage" moved &&
	mkdir -p ext/.git && printf "[remote \"o\"]\n\turl = ext::sh\n" \
		>ext/.git/config &&
	mkdir -p cont/.git && printf "[alias]\n\tst = \\\\\n!touch x\n" \
		>cont/.git/config &&
	mkdir -p etc && printf "[core]\n\tpager = less\n" >etc/config &&
	mkdir -p esc/.git && printf "[core]\n\tx = a\\\\\\\\\n\tfsmonitor = x\n" \
		>esc/.git/config &&
	mkdir -p cmt/.git && printf "[core]\n# c \\\\\n\tfsmonitor = x\n" \
		>cmt/.git/config &&
	mkdir -p nul/.git && printf "#\0\n[core]\n\tfsmonitor = x\n" \
		>nul/.git/config &&
	mkdir -p long/.git && { i=0; while [ $i -lt 2100 ]; do printf ./;
		i=$((i + 1)); done; echo ../../cdir; } >long/.git/commondir'
pt_grep "a repository moved in is looked through" "$PT_ERR" \
	"wrote what git will run .*: $ws2/moved/.git/config \\(core.fsmonitor\\)"
pt_grep "... a transport that is a command" "$PT_ERR" \
	"wrote what git will run .*: $ws2/ext/.git/config \\(remote.url\\)"
pt_grep "... a value on the line after a backslash" "$PT_ERR" \
	"wrote what git will run .*: $ws2/cont/.git/config \\(alias.st\\)"
pt_nogrep "... not a file named config outside a repository" "$PT_ERR" \
	"$ws2/etc/config"
pt_grep "... a key after a line that ends in an escaped backslash" "$PT_ERR" \
	"wrote what git will run .*: $ws2/esc/.git/config \\(core.fsmonitor\\)"
pt_grep "... a key after a comment that ends in a backslash" "$PT_ERR" \
	"wrote what git will run .*: $ws2/cmt/.git/config \\(core.fsmonitor\\)"
pt_grep "... a key after a NUL in a comment (git reads on)" "$PT_ERR" \
	"wrote what git will run .*: $ws2/nul/.git/config \\(core.fsmonitor\\)"
pt_grep "... a commondir too long to follow" "$PT_ERR" \
	"wrote what git will run .*: $ws2/long/.git/commondir \\(a commondir longer"
# git makes config.lock and removes it when it has nothing to change
# (lib2's config is the last run's, with a command in it): nothing said;
# a config the run changes still is
pt_run --workspace "$ws2" -- sh -c 'cd lib2 && git config --unset none.here'
pt_is "a config whose lock was made and removed: git's answer" "$PT_RC" 5
pt_nogrep "... and it is not named as written" "$PT_ERR" 'what git will run'
pt_run --workspace "$ws2" -- sh -c 'git init -q lib3 &&
	git -C lib3 config core.fsmonitor x && git -C lib3 config --unset none'
pt_grep "... but a config changed, then locked again, is" "$PT_ERR" \
	"wrote what git will run .*: $ws2/lib3/.git/config \\(core.fsmonitor\\)"
# a CR as a blank, a "]" in a quoted subsection, a commondir pointing
# at another directory's config and hooks; and no alarm for booleans or
# for a hooks directory outside any repository
pt_run --workspace "$ws2" -- sh -c 'mkdir -p cr/.git qs/.git &&
	printf "[core]\r\tfsmonitor = x\n" >cr/.git/config &&
	printf "[filter \"a]b\"] clean = x\n" >qs/.git/config &&
	git init -q cd && mkdir -p common/hooks &&
	printf "[core]\n\tfsmonitor = x\n" >common/config &&
	printf "#!/bin/sh\n" >common/hooks/post-checkout &&
	chmod +x common/hooks/post-checkout &&
	echo ../../common >cd/.git/commondir &&
	mkdir -p bool/.git contrib/hooks &&
	printf "[pager]\n\tbranch = false\n[core]\n\tfsmonitor = false\n" \
		>bool/.git/config &&
	printf "#!/bin/sh\n" >contrib/hooks/post-receive &&
	chmod +x contrib/hooks/post-receive'
pt_grep "... a CR as a blank" "$PT_ERR" \
	"wrote what git will run .*: $ws2/cr/.git/config \\(core.fsmonitor\\)"
pt_grep "... a ] in a quoted subsection" "$PT_ERR" \
	"wrote what git will run .*: $ws2/qs/.git/config \\(filter.clean\\)"
pt_grep "... a commondir's config" "$PT_ERR" \
	"wrote what git will run .*: $ws2/cd/.git/commondir \\(its commondir's config: core.fsmonitor\\)"
pt_grep "... and its hooks" "$PT_ERR" \
	"wrote what git will run .*/common/hooks/post-checkout \\(a hook, by $ws2/cd/.git/commondir\\)"
pt_nogrep "... no alarm for booleans" "$PT_ERR" "$ws2/bool/"
pt_nogrep "... nor for hooks outside a repository" "$PT_ERR" "$ws2/contrib/"
# core.hooksPath in the work tree (husky's .husky/_, a .githooks): the
# hooks git runs from there are protected as .git/hooks is, husky's
# scripts in .husky too; other files of the repository are not
hp=$WS/hp
rm -rf "$hp" && mkdir -p "$hp/.husky/_" && (cd "$hp" && git init -q &&
	git config core.hooksPath .husky/_ && echo 'echo hi' >.husky/pre-commit)
(cd "$hp" && pt_run --workspace "$hp" -- sh -c 'echo evil >>.husky/pre-commit
	echo evil >.husky/_/pre-commit; echo ok >src.txt')
pt_is "core.hooksPath: husky's script and its hook unchanged; other files written" \
	"$(cat "$hp/.husky/pre-commit"; ls "$hp/.husky/_"; cat "$hp/src.txt")" \
	"echo hi
ok"
pt_grep "... the denial names the setting" "$PT_ERR" \
	'denied write .*/hp/\.husky/pre-commit .*\(git core\.hooksPath\)'
rm -rf "$hp" && mkdir -p "$hp" && (cd "$hp" && git init -q &&
	git config core.hooksPath .githooks)
(cd "$hp" && pt_run --workspace "$hp" -- sh -c 'mkdir .githooks
	echo evil >.githooks/pre-commit')
pt_absent "a hooks directory that does not exist yet is not made" \
	"$hp/.githooks/pre-commit"
# as git reads it: a path with "..", the worktree's config, a config file
# the repository's includes (which could set one during the run)
(cd "$hp" && git config core.hooksPath tools/../.githooks &&
	printf '[core]\n' >.gitconfig && git config include.path ../.gitconfig)
(cd "$hp" && pt_run --workspace "$hp" -- sh -c 'mkdir .githooks
	echo "[core] hooksPath = .evil" >>.gitconfig; echo ran')
pt_grep "core.hooksPath with '..' protects what it names, and the run goes on" \
	"$PT_OUT" '^ran$'
pt_absent "... its hooks directory is not made" "$hp/.githooks"
pt_nogrep "... a config the repository includes is not changed" \
	"$hp/.gitconfig" evil
# an include the repository names that is not there yet, by a path
# relative to .git (git's own), in the work tree and in .git
rm -rf "$hp" && mkdir -p "$hp" && (cd "$hp" && git init -q &&
	git config include.path ../local.gitconfig &&
	git config --add include.path more.gitconfig)
(cd "$hp" && pt_run --workspace "$hp" -- sh -c '
	printf "[core]\n\thooksPath = hk\n" >local.gitconfig
	printf "[core]\n\thooksPath = hk\n" >.git/more.gitconfig; echo ran')
pt_grep "a missing include, relative to .git: the run goes on" "$PT_OUT" \
	'^ran$'
pt_absent "... and cannot make it in the work tree" "$hp/local.gitconfig"
pt_absent "... nor in .git" "$hp/.git/more.gitconfig"
pt_grep "... the denial names the setting" "$PT_ERR" \
	'denied write .*/hp/local\.gitconfig .*\(git include\.path\)'
# a hook that is a link into the work tree (a tracked scripts folder):
# what it leads to is the hook
rm -rf "$hp" && mkdir -p "$hp/scripts" && (cd "$hp" && git init -q &&
	printf '#!/bin/sh\nexit 0\n' >scripts/hook.sh &&
	ln -s ../../scripts/hook.sh .git/hooks/pre-commit)
(cd "$hp" && pt_run --workspace "$hp" -- sh -c 'echo evil >>scripts/hook.sh
	echo ok >scripts/other.sh')
pt_nogrep "a hook linked into the work tree: its target unchanged" \
	"$hp/scripts/hook.sh" evil
pt_is "... other files beside it written" "$(cat "$hp/scripts/other.sh")" ok
pt_grep "... the denial names why" "$PT_ERR" \
	'denied write .*/hp/scripts/hook\.sh .*\(git hook link\)'
# a hook's chain of links (a link to a link, a directory that is a link)
# and a target not there yet: each link and where the chain ends are
# protected, and so is each directory above an include not there yet
rm -rf "$hp" && mkdir -p "$hp/scripts" "$hp/tools" "$hp/realdir" &&
	(cd "$hp" && git init -q && printf '#!/bin/sh\n' >tools/real.sh &&
	printf '#!/bin/sh\n' >realdir/h.sh && ln -s realdir linkdir &&
	ln -s ../tools/real.sh scripts/hook.sh &&
	ln -s ../../scripts/hook.sh .git/hooks/pre-commit &&
	ln -s ../../linkdir/h.sh .git/hooks/post-commit &&
	ln -s ../../scripts/missing.sh .git/hooks/pre-push &&
	git config include.path ../cfg/c.cfg)
(cd "$hp" && pt_run --workspace "$hp" -- sh -c '
	rm -f scripts/hook.sh; echo evil >scripts/hook.sh
	mkdir evildir; echo evil >evildir/h.sh; rm -f linkdir; ln -s evildir linkdir
	echo evil >scripts/missing.sh
	mkdir evil; printf "[core]\n\thooksPath = h\n" >evil/c.cfg; ln -s evil cfg
	mv evil cfg; echo ok >scripts/other.sh; echo ran')
pt_grep "a hook's chain of links: the run goes on" "$PT_OUT" '^ran$'
pt_is "... each link and target as it was, nothing at the missing ones" \
	"$(cd "$hp" && readlink scripts/hook.sh linkdir; cat tools/real.sh
		ls scripts; test -e cfg || echo no-cfg)" "../tools/real.sh
realdir
#!/bin/sh
hook.sh
other.sh
no-cfg"
# an includeIf whose condition has a space, a path that is not ASCII
# (git quotes it in its plain output), a repository another user owns
# (git will not read it for root unless told it is safe)
rm -rf "$hp" && mkdir -p "$hp/sp dir" && (cd "$hp/sp dir" && git init -q &&
	git config "includeIf.gitdir:$hp/sp dir/.path" ../team.gitconfig &&
	git config include.path "../$(printf '\303\251')/a.cfg")
(cd "$hp/sp dir" && pt_run --workspace "$hp/sp dir" -- sh -c '
	echo evil >team.gitconfig; mkdir -p "$(printf "\303\251")"
	echo evil >"$(printf "\303\251")/a.cfg"; echo ran')
pt_grep "an includeIf with a space, a name not ASCII: the run goes on" \
	"$PT_OUT" '^ran$'
pt_absent "... the includeIf's file is not made" "$hp/sp dir/team.gitconfig"
pt_absent "... nor the one with a name not ASCII" \
	"$hp/sp dir/$(printf '\303\251')/a.cfg"
if [ "$(id -u)" = 0 ] && id proctortest >/dev/null 2>&1; then
	rm -rf "$hp" && mkdir -p "$hp" && (cd "$hp" && git init -q &&
		git config core.hooksPath .githooks) &&
		chown -R proctortest "$hp"
	(cd "$hp" && pt_run --workspace "$hp" -- sh -c 'mkdir .githooks
		echo evil >.githooks/pre-commit; echo ran')
	pt_absent "a repository another user owns: its hooksPath is protected" \
		"$hp/.githooks/pre-commit"
fi

# a linked worktree as the workspace: said once, with the way that works;
# the main repository's .git as a workspace keeps its hooks and config
rm -rf "$hp" && mkdir -p "$hp" && (cd "$hp" && git init -q -b main main &&
	git -C main -c user.name=t -c user.email=t@t commit -q --allow-empty -m x &&
	git -C main worktree add -q ../wt -b agent)
(cd "$hp/wt" && pt_run --workspace "$hp/wt" -- git status)
pt_grep "a linked worktree as the workspace: the way is said" "$PT_ERR" \
	"is a linked worktree of $hp/main, .*add --workspace $hp/main "
(cd "$hp/wt" && pt_run --workspace "$hp/wt" --workspace "$hp/main/.git" -- \
	sh -c 'echo evil >../main/.git/hooks/pre-commit
	git config core.hooksPath /tmp; echo ran')
pt_grep "the main .git as a workspace: the run goes on" "$PT_OUT" '^ran$'
pt_absent "... its hooks are protected" "$hp/main/.git/hooks/pre-commit"
pt_nogrep "... and its config" "$hp/main/.git/config" hooksPath

# a relative core.hooksPath in a linked worktree of the workspace's; an
# include of the main .git as the workspace; a hooks directory that is a
# link, whose hook is a relative link (taken from where it really is); an
# include that is a link to a file not there yet; and under a learned
# policy (which stands in place of the built-in one)
rm -rf "$hp" && mkdir -p "$hp" && (cd "$hp" && git init -q -b main r &&
	cd r && git -c user.name=t -c user.email=t@t commit -q --allow-empty -m x &&
	git config core.hooksPath .githooks && git config include.path x.cfg &&
	git worktree add -q .worktrees/wt1 -b wt1 && mkdir githooks scripts &&
	printf '#!/bin/sh\n' >scripts/lint.sh &&
	ln -s ../scripts/lint.sh githooks/pre-commit && rm -rf .git/hooks &&
	ln -s ../githooks .git/hooks && git config --add include.path ../team.cfg &&
	ln -s shared/team.cfg team.cfg)
(cd "$hp/r" && pt_run --workspace "$hp/r" -- sh -c '
	mkdir -p .worktrees/wt1/.githooks; echo evil >.worktrees/wt1/.githooks/pre-commit
	echo evil >scripts/lint.sh; mkdir -p shared; echo evil >shared/team.cfg
	echo ran')
pt_grep "linked worktrees, hook and include links: the run goes on" \
	"$PT_OUT" '^ran$'
pt_absent "... a worktree's relative hooksPath is protected" \
	"$hp/r/.worktrees/wt1/.githooks/pre-commit"
pt_nogrep "... a relative link from a linked hooks directory" \
	"$hp/r/scripts/lint.sh" evil
pt_absent "... an include's link to a file not there yet" "$hp/r/shared/team.cfg"
(cd "$hp/r" && pt_run --workspace "$hp/r/.git" -- sh -c \
	"echo evil >'$hp/r/.git/x.cfg'; echo ran")
pt_absent "the main .git as the workspace: its includes are protected" \
	"$hp/r/.git/x.cfg"
echo '{"builtin": false, "files": {"write": {"allow": ["$WORKSPACE"]}}}' \
	>"$T/nobuiltin.json"
(cd "$hp/r" && pt_run --workspace "$hp/r" --policy "$T/nobuiltin.json" -- \
	sh -c 'echo evil >scripts/lint.sh; echo ran')
pt_nogrep "a policy without the built-in one keeps the repository's own" \
	"$hp/r/scripts/lint.sh" evil

# a git directory not named .git (a bare repository beside its worktrees,
# .git a file naming it), and a submodule's own core.hooksPath
rm -rf "$hp" && mkdir -p "$hp" && (cd "$hp" && git init -q -b main o &&
	git -C o -c user.name=t -c user.email=t@t commit -q --allow-empty -m x &&
	mkdir bw && cd bw && git clone -q --bare ../o .bare &&
	echo "gitdir: ./.bare" >.git && cd .. && git init -q -b main sup &&
	cd sup && git -c protocol.file.allow=always submodule -q add ../o sub &&
	git -C sub config core.hooksPath .husky/_ && mkdir -p sub/.husky/_)
(cd "$hp/bw" && pt_run --workspace "$hp/bw" -- sh -c '
	echo evil >>.bare/config; echo evil >.bare/hooks/pre-commit; echo ran')
pt_grep "a git directory not named .git: the run goes on" "$PT_OUT" '^ran$'
pt_nogrep "... its config is protected" "$hp/bw/.bare/config" evil
pt_absent "... and its hooks" "$hp/bw/.bare/hooks/pre-commit"
(cd "$hp/sup" && pt_run --workspace "$hp/sup" -- sh -c '
	echo evil >sub/.husky/_/pre-commit; echo ran')
pt_absent "a submodule's own core.hooksPath is protected" \
	"$hp/sup/sub/.husky/_/pre-commit"

# a rebase the run leaves stopped, with an exec line in what is left to
# do: named at the end (git rebase --continue would run it)
rm -rf "$hp" && mkdir -p "$hp" && (cd "$hp" && git init -q &&
	for i in 1 2; do echo $i >f; git add f;
		git -c user.name=t -c user.email=t@t commit -qm c$i; done)
(cd "$hp" && pt_run --workspace "$hp" -- sh -c '
	GIT_SEQUENCE_EDITOR="sed -i 1ibreak" git -c user.name=t \
		-c user.email=t@t rebase -q -i HEAD~1 2>/dev/null
	printf "exec touch pwned\n" >>.git/rebase-merge/git-rebase-todo')
pt_grep "a stopped rebase's exec line is named at the end" "$PT_ERR" \
	"wrote what git will run .*: $hp/.git/rebase-merge/git-rebase-todo \\(a stopped rebase's exec lines"
(cd "$hp" && git rebase --abort 2>/dev/null)

# a linked worktree in the workspace, made before the run: the directory
# holding its .git file cannot be moved away for one the run made
rm -rf "$hp" && mkdir -p "$hp" && (cd "$hp" && git init -q -b main &&
	git -c user.name=t -c user.email=t@t commit -q --allow-empty -m x &&
	git worktree add -q wt -b b1)
(cd "$hp" && pt_run --workspace "$hp" -- sh -c 'mv wt wt-moved
	mkdir -p sub && mv wt sub/; echo ran')
pt_grep "a linked worktree: the run goes on" "$PT_OUT" '^ran$'
pt_check "... and its directory stays where it was" test -f "$hp/wt/.git"
pt_grep "... the denial says why" "$PT_ERR" \
	'denied moving .*/hp/wt by mv .*: it holds a \.git file or link that existed before the run'
rm -rf "$hp"

# a bind whose directory is swapped between the check and the bind (a
# symlink flipped between a directory and the protected .git/hooks):
# the socket made in .git/hooks is found and removed, the bind refused
if command -v cc >/dev/null 2>&1; then
	br=$WS/br
	rm -rf "$br" && mkdir -p "$br/sub" "$br/.git/hooks"
	cc -O1 -pthread -o "$T/bind-race" "$PT_TESTS/lib/bind-race.c"
	(cd "$br" && pt_run --workspace "$br" --quiet -- "$T/bind-race" 300)
	pt_grep "the bind race ran" "$PT_OUT" '^bound [0-9]+ of 300$'
	pt_absent "... and left no socket in the protected .git/hooks" \
		"$br/.git/hooks/pre-commit"
	# the link left pointing away once a socket is in .git/hooks
	rm -rf "$br" && mkdir -p "$br/sub" "$br/.git/hooks"
	(cd "$br" && pt_run --workspace "$br" --quiet -- "$T/bind-race" 300 \
		sticky)
	pt_absent "... nor when the link is left pointing away" \
		"$br/.git/hooks/pre-commit"
	rm -rf "$br"
fi


# The end note, where a repository the run makes runs a command (each of
# these runs it at the user's next git natively): a directory exchanged
# in where a file was (RENAME_EXCHANGE, the file's name first), a hooks
# directory made a link (the hooks written through it, or before it),
# a commondir whose name has a line break in it, a quote in a section
# header, and an exec line in a todo list past 4 KiB of blanks
gw=$T/gitnote
rm -rf "$gw" && mkdir -p "$gw"
if command -v cc >/dev/null 2>&1; then
	printf '%s\n' '#define _GNU_SOURCE' '#include <fcntl.h>' '#include <stdio.h>' \
		'int main(int c, char **v) { (void)c; return renameat2(AT_FDCWD, v[1], AT_FDCWD, v[2], RENAME_EXCHANGE) != 0; }' \
		>"$T/xchg.c"
	cc -o "$T/xchg" "$T/xchg.c"
	pt_run --workspace "$gw" -- sh -c 'cd "$1" && git init -q --bare stage &&
		git -C stage config core.bare false &&
		git -C stage config core.fsmonitor "touch pwned; false #" &&
		mkdir repo && echo x >repo/.git && "$2" repo/.git stage' sh \
		"$gw" "$T/xchg"
	pt_grep "the note: a directory exchanged in for a file" "$PT_ERR" \
		"wrote what git will run .*: $gw/repo/.git/config \\(core.fsmonitor\\)"
fi
pt_run --workspace "$gw" -- sh -c 'cd "$1" && git init -q r2 &&
	rm -rf r2/.git/hooks && mkdir h2 && ln -s ../../h2 r2/.git/hooks &&
	printf "#!/bin/sh\n" >r2/.git/hooks/pre-commit &&
	chmod +x r2/.git/hooks/pre-commit &&
	git init -q r3 && rm -rf r3/.git/hooks && mkdir h3 &&
	printf "#!/bin/sh\n" >h3/post-checkout && chmod +x h3/post-checkout &&
	ln -s ../../h3 r3/.git/hooks' sh "$gw"
pt_grep "... a hook written through a hooks directory made a link" \
	"$PT_ERR" "wrote what git will run .*: $gw/r2/.git/hooks/pre-commit \\(a hook\\)"
pt_grep "... a hooks directory made a link to hooks written before" \
	"$PT_ERR" "wrote what git will run .*: $gw/r3/.git/hooks/post-checkout \\(a hook\\)"
pt_run --workspace "$gw" -- sh -c 'cd "$1" && C="$(printf "c\nm")" &&
	git init -q --bare "$C" && git -C "$C" config core.fsmonitor x &&
	mkdir -p r4/.git && printf "../../c\nm\n" >r4/.git/commondir &&
	git init -q r5 && printf "[x \"=\\\\\"\"] k = 1 ; \\\\\n[core]\n\tfsmonitor = x\n" \
	>>r5/.git/config' sh "$gw"
pt_grep "... a commondir with a line break in its name" "$PT_ERR" \
	"wrote what git will run .*: $gw/r4/.git/commondir \\(its commondir's config: core.fsmonitor\\)"
pt_is "... (git reads that config after the quote in a header)" \
	"$(git -C "$gw/r5" config --get core.fsmonitor)" x
pt_grep "... a key after a quote in a section header" "$PT_ERR" \
	"wrote what git will run .*: $gw/r5/.git/config \\(core.fsmonitor\\)"
pt_run --workspace "$gw" -- sh -c 'cd "$1" && git init -q r6 && cd r6 &&
	git -c user.name=a -c user.email=a@b commit -q --allow-empty -m 1 &&
	git -c user.name=a -c user.email=a@b commit -q --allow-empty -m 2 &&
	GIT_SEQUENCE_EDITOR="sed -i 1ibreak" git -c user.name=a \
		-c user.email=a@b rebase -q -i HEAD~1 >/dev/null 2>&1;
	{ printf "%4091s" ""; echo "exec true"; } >.git/rebase-merge/git-rebase-todo' \
	sh "$gw"
pt_grep "... an exec line past 4 KiB of blanks in a stopped rebase" \
	"$PT_ERR" "wrote what git will run .*: $gw/r6/.git/rebase-merge/git-rebase-todo"
# a todo list far larger than proctor reads (sparse: no line break in
# 2 GiB) is named as such at once, not read whole after CMD ends
pt_run --workspace "$gw" -- sh -c 'cd "$1" && mkdir -p r8/.git/rebase-merge &&
	truncate -s 2G r8/.git/rebase-merge/git-rebase-todo' sh "$gw"
pt_grep "... a sparse todo list of 2 GiB: named, not read" "$PT_ERR" \
	"wrote what git will run .*: $gw/r8/.git/rebase-merge/git-rebase-todo \\(a stopped rebase's todo list, larger than proctor reads of it: 1 MiB\\)"
rm -f "$gw/r8/.git/rebase-merge/git-rebase-todo"
# a .git/config that is a FIFO (a repository from a tarball) would hang
# git, and proctor's start with it: git is ended, the run goes on
rm -rf "$gw/fifo" && git init -q "$gw/fifo" && rm "$gw/fifo/.git/config" &&
	mkfifo "$gw/fifo/.git/config"
pt_run --workspace "$gw/fifo" -- true
pt_status "a workspace whose .git/config is a FIFO: the run goes on" 0
pt_grep "... and says why it waited" "$PT_ERR" \
	"git config in $gw/fifo did not finish in 5 s \\(a config there a FIFO, or very large\\?\\)"
rm -rf "$gw/fifo"
# a run may make .gitmodules a FIFO in its workspace: the next run's start
# reads it (submodules' configs are the repository's too) and must not wait
rm -rf "$gw/mods" && git init -q "$gw/mods"
pt_run --workspace "$gw/mods" -- sh -c "mkfifo '$gw/mods/.gitmodules'"
pt_run --workspace "$gw/mods" -- echo second
pt_status "a .gitmodules made a FIFO by one run does not hold the next" 0
pt_grep "... which runs" "$PT_OUT" '^second$'
rm -rf "$gw/mods"
# and no false alarm: a linked worktree's commondir names the user's
# own config and hooks, unchanged; a repository moved out and back is
# named once
rm -rf "$gw/own" && git init -q "$gw/own" &&
	git -C "$gw/own" config alias.lg '!git log' &&
	printf '#!/bin/sh\n' >"$gw/own/.git/hooks/pre-commit" &&
	chmod +x "$gw/own/.git/hooks/pre-commit" &&
	git -C "$gw/own" -c user.name=a -c user.email=a@b commit -q \
		--allow-empty -m 1 && touch -d '-1 hour' "$gw/own/.git/config" &&
	sleep 3
pt_run --workspace "$gw/own" -- sh -c 'cd "$1" && git worktree add -q wt &&
	git init -q r7 && git -C r7 config core.fsmonitor x &&
	mv r7/.git st && mv st r7/.git' sh "$gw/own"
pt_status "git worktree add in the user's own repository" 0
pt_nogrep "... its commondir, naming the user's own config, is not named" \
	"$PT_ERR" 'commondir'
pt_is "... a repository moved out and back is named once" \
	"$(grep -c "r7/.git/config" "$PT_ERR")" 1
rm -rf "$gw"

pt_done
