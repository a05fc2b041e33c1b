#!/bin/bash
# Shell plumbing under proctor: pipelines, redirections, here-documents,
# process substitution, extra descriptors, command substitution.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

pt_run -- bash -c 'printf "b\na\nc\n" | sort | tr a-z A-Z >sorted.txt 2>err.txt &&
	cat <sorted.txt | wc -l'
pt_status "a pipeline with redirections exits 0" 0
pt_grep "the pipeline's output file is right" "$WS/sorted.txt" '^A$'
pt_is "the pipeline's output file has every line" \
	"$(tr '\n' ' ' <"$WS/sorted.txt")" "A B C "
pt_grep "input redirection from a file works" "$PT_OUT" '^ *3$'

pt_run -- bash -c 'cat <(echo x)'
pt_status "bash -c 'cat <(echo x)' exits 0" 0
pt_is "process substitution <(...) gives its output" "$(cat "$PT_OUT")" x

pt_run -- bash -c 'echo y > >(cat >psub.txt); sleep 0.3; diff <(echo a) <(echo a)'
pt_status "process substitution >(...) and diff <() <() work" 0
pt_grep "the >(...) process wrote its file" "$WS/psub.txt" '^y$'

pt_run -- bash -c 'exec 3>fd3.txt; echo three >&3; exec 3>&-;
	exec 4<fd3.txt; read -r line <&4; echo "read: $line";
	echo err >&2; echo both 2>&1 >>fd3.txt'
pt_status "extra descriptors: exec 3>file, >&3, 4<file" 0
pt_grep "reading back through a descriptor works" "$PT_OUT" '^read: three$'
pt_grep "stderr passes through" "$PT_ERR" '^err$'
pt_grep "append (>>) works" "$WS/fd3.txt" '^both$'

pt_run -- bash -c 'cat <<EOT >heredoc.txt
here $((6 * 7))
EOT
cat heredoc.txt; cat <<<"herestring"'
pt_status "here-documents and here-strings work" 0
pt_grep "the here-document expanded" "$WS/heredoc.txt" '^here 42$'
pt_grep "the here-string arrived" "$PT_OUT" '^herestring$'

pt_run -- sh -c 'echo "$(echo inner $(echo nested))" | tee tee.txt >/dev/null;
	x=`echo backtick`; echo "$x" >>tee.txt; ls -d . >/dev/null 2>&1'
pt_status "command substitution and tee work" 0
pt_is "command substitution gives its output" "$(cat "$WS/tee.txt")" \
	"inner nested
backtick"

# stdin passes through to CMD.
printf 'line1\nline2\n' | timeout -k 5 "$PT_TIMEOUT" "$PROCTOR" run --no-log \
	-- wc -l >"$PT_OUT" 2>"$PT_ERR"
PT_RC=$?
pt_status "stdin reaches CMD" 0
pt_grep "CMD reads all of stdin" "$PT_OUT" '^ *2$'

# A long pipeline of many short processes.
pt_run -- sh -c 'seq 1 200 | while read -r i; do echo "$i"; done | grep -c .'
pt_status "a loop feeding a pipeline exits 0" 0
pt_grep "the loop's output is complete" "$PT_OUT" '^200$'

pt_nogrep "no denial in the loop pipeline" "$PT_ERR" '^proctor: denied'
pt_done
