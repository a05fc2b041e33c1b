#!/bin/bash
# Class 9, indirect exec: the denied program ($T/prog-no) run as the
# interpreter of a script (#!), nested scripts, as the argument of the
# dynamic loader (with its options, through a symlink to it, from a
# shebang line), and through env and sh.  It must never run.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"
. "$PT_TESTS/escape/helpers.bash"
esc_init 9
esc_progs

deny=(--deny-exec "$T/prog-no")
ld=/lib64/ld-linux-x86-64.so.2
[ -x "$ld" ] || ld=$(ls /lib*/ld-linux-x86-64.so.2 2>/dev/null | head -n 1)

script() {
	printf '%s\n' "$2" 'echo script body ran' >"$WS/$1"
	chmod +x "$WS/$1"
}
script s-shebang "#!$T/prog-no"
script s-shebang-space-arg "#! $T/prog-no -x"
script s-nested "#!$WS/s-shebang"
script s-nested2 "#!$WS/s-nested"
script s-ld-shebang "#!$ld $T/prog-no"
script s-env-shebang "#!/usr/bin/env $T/prog-no"
ln -s "$ld" "$WS/ld-link"
ln -s "$T/prog-no" "$WS/prog-link"

# try NAME CMD...: under proctor, the denied program must not run
try() {
	local name=$1
	shift
	esc_run "${deny[@]}" -- "$@"
	if [ -e "$ESC_MARKER" ]; then
		esc_attempt 1
	else
		esc_attempt 0
	fi
	if esc_marker_ok "$name"; then
		:
	else
		pt_diag "command: $*" "exit status $PT_RC"
		pt_diag_file "$PT_ERR" stderr 3
	fi
}

try "script with #!denied" "$WS/s-shebang"
try "script with #! denied -x" "$WS/s-shebang-space-arg" a b
try "script run from a shell" bash -c "'$WS/s-shebang'; exit 0"
try "script whose interpreter is a script with #!denied" "$WS/s-nested"
try "three levels of scripts" "$WS/s-nested2"
try "#!/usr/bin/env denied" "$WS/s-env-shebang"
try "sh -c 'exec denied'" sh -c "exec '$T/prog-no'"
try "sh running a script with #!denied" sh -c "'$WS/s-shebang'"
if [ -n "$ld" ]; then
	try "ld.so denied" "$ld" "$T/prog-no"
	try "ld.so --argv0 x denied" "$ld" --argv0 x "$T/prog-no"
	try "ld.so --library-path DIR denied" "$ld" --library-path /lib "$T/prog-no"
	try "ld.so --preload '' denied" "$ld" --preload "" "$T/prog-no"
	try "ld.so --inhibit-cache denied" "$ld" --inhibit-cache "$T/prog-no"
	try "ld.so --inhibit-rpath LIST denied" \
		"$ld" --inhibit-rpath /bin/true "$T/prog-no"
	try "ld.so --glibc-hwcaps-prepend LIST denied" \
		"$ld" --glibc-hwcaps-prepend x86-64-v2 "$T/prog-no"
	try "ld.so --glibc-hwcaps-mask LIST denied" \
		"$ld" --glibc-hwcaps-mask x86-64-v2 "$T/prog-no"
	try "ld.so -- denied" "$ld" -- "$T/prog-no"
	# the loader takes the first word it does not know as the program,
	# even one that starts with "-"
	mkdir -p "$WS/-d"
	ln -s "$T/prog-no" "$WS/-d/p"
	try "ld.so -d/p (a dash-named path to denied) /bin/true" \
		"$ld" -d/p /bin/true
	try "ld.so --inhibit-cache -d/p /bin/true" \
		"$ld" --inhibit-cache -d/p /bin/true
	script s-ld-dash "#!$ld -d/p"
	try "#!ld.so -d/p" "$WS/s-ld-dash"
	try "ld.so through a workspace symlink" "$WS/ld-link" "$T/prog-no"
	try "ld.so with the program through a workspace symlink" \
		"$ld" "$WS/prog-link"
	try "ld.so with the program as a relative path" \
		"$ld" "../prog-no"
	try "ld.so with the program through /proc/self/root" \
		"$ld" "/proc/self/root$T/prog-no"
	try "ld.so running ld.so running denied" "$ld" "$ld" "$T/prog-no"
	try "ld.so from a shell" bash -c "'$ld' '$T/prog-no'; exit 0"
	try "#!ld.so denied (loader and program on the shebang line)" \
		"$WS/s-ld-shebang"

	# Not counted: a copy of the loader under another name is, like a
	# copy of the denied program, outside what names can catch (command
	# rules are a convenience); shown for the record.
	cp "$ld" "$WS/myloader"
	esc_run "${deny[@]}" -- "$WS/myloader" "$T/prog-no"
	if [ -e "$ESC_MARKER" ]; then
		pt_diag "note: a copy of ld.so under another name ran the denied" \
			"program (not counted: names are a convenience)"
		rm -f "$ESC_MARKER"
	fi

	# what is allowed still runs
	esc_run "${deny[@]}" -- "$ld" /bin/true
	pt_status "class 9: ld.so running an allowed program works" 0
else
	pt_skip "class 9: the dynamic loader cases" "no ld-linux-x86-64.so.2"
fi
script s-ok "#!/bin/sh"
esc_run "${deny[@]}" -- "$WS/s-ok"
pt_status "class 9: a script with an allowed interpreter runs" 0

esc_summary
pt_done
