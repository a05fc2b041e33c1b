#!/bin/bash
# Policy files: `proctor policy check` accepts a good file and rejects a
# bad one naming the file and the JSON path; a --policy layer adds a
# write grant; a project policy in the workspace counts only once
# approved; a path denied for reading is denied for writing too.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

extra=$T/extra
mkdir -p "$extra"

# ---- proctor policy check
cat >"$T/good.json" <<JSON
{
  "files": {
    "read":  {"deny": ["~/.secret-notes"]},
    "write": {"allow": ["$extra", "\$WORKSPACE/out"]}
  },
  "network": {"allow": ["127.0.0.1:8080", "10.0.0.0/8"]},
  "exec":    {"deny": ["rm -rf /", ["git", "push", "--force"]]}
}
JSON
pt_proctor policy check "$T/good.json"
pt_status "policy check accepts a good file" 0

# check_bad NAME JSON PATH-IN-MESSAGE
check_bad() {
	printf '%s\n' "$2" >"$T/bad.json"
	pt_proctor policy check "$T/bad.json"
	if [ "$PT_RC" != 0 ]; then
		pt_ok "policy check rejects $1"
	else
		pt_fail "policy check rejects $1" "exit 0 for: $2"
	fi
	pt_grep "policy check names the file ($1)" "$PT_ERR" "bad\\.json"
	[ -n "$3" ] && pt_grep "policy check names the JSON path ${3//\\/}" \
		"$PT_ERR" "$3"
}

check_bad "an unknown key" '{"files": {"write": {"alow": []}}}' \
	'files\.write\.alow'
check_bad "an unknown top-level key" '{"network": {}, "netwrok": {}}' \
	'netwrok'
check_bad "a wrong type in a list" '{"network": {"allow": ["1.2.3.4", 5]}}' \
	'network\.allow\[1\]'
check_bad "a bad action" '{"exec": {"default": "perhaps"}}' \
	'exec\.default'
check_bad "a list that is not a list" '{"files": {"read": {"deny": "~/.ssh"}}}' \
	'files\.read\.deny'
check_bad "a bad address" '{"network": {"allow": ["999.1.1.1"]}}' \
	'network\.allow\[0\]'
check_bad "malformed JSON" '{"files": {"read": {"deny": ["~/.ssh",]}}' ''
pt_grep "malformed JSON: the message gives a line" "$PT_ERR" 'line [0-9]'
check_bad "a JSON value that is not an object" '["files"]' ''

pt_proctor policy check "$T/no-such-policy.json"
pt_isnt "policy check rejects a missing file" "$PT_RC" 0
pt_grep "policy check names the missing file" "$PT_ERR" 'no-such-policy'

pt_proctor policy show
pt_status "policy show prints the merged policy" 0
pt_grep "policy show mentions the workspace" "$PT_OUT" "$WS"
# the tests' HOME is a fake one: a program that takes ~ from the password
# file (ssh, gpg) reads the owner's own, so the secrets are denied there too
owner=$(getent passwd "$(id -u)" | cut -d: -f6)
owner=$(realpath "$owner")
pt_grep "a fake HOME: ~/.ssh is denied in the owner's home too" "$PT_OUT" \
	"\"$HOME/.ssh\", \"$owner/.ssh\""
pt_run --workspace "$owner" -- true
pt_status "... the owner's home is no workspace without --force" 125
pt_grep "... said so" "$PT_ERR" "is (above )?your home directory"
if [ -r "$owner/.config/proctor/log.key" ]; then
	pt_run -- cat "$owner/.config/proctor/log.key"
	pt_isnt "... and proctor's own key there is out of reach" "$PT_RC" 0
	# the real home, XDG_CONFIG_HOME elsewhere, a policy without the
	# built-in one: the default ~/.config/proctor is still proctor's
	printf '{"builtin": false, "files": {"read": {"default": "allow"}}, "exec": {"default": "allow"}}\n' \
		>"$T/nobuiltin.json"
	HOME=$owner pt_run --policy "$T/nobuiltin.json" -- \
		cat "$owner/.config/proctor/log.key"
	pt_isnt "... and with XDG_CONFIG_HOME elsewhere, without the built-in policy" \
		"$PT_RC" 0
fi

# ---- a --policy layer adds a write grant
pt_run -- sh -c "echo x >'$extra/granted'"
pt_isnt "without the layer, writing to $(basename "$extra") fails" \
	"$PT_RC" 0
pt_absent "without the layer, nothing was written" "$extra/granted"
pt_run --policy "$T/good.json" -- sh -c "echo x >'$extra/granted'"
pt_status "with --policy, the granted directory is writable" 0
pt_grep "with --policy, the file was written" "$extra/granted" '^x$'
pt_run --policy "$T/good.json" -- sh -c "echo x >'$CANARY/new'"
pt_isnt "the layer grants nothing else" "$PT_RC" 0
pt_run --allow-write "$extra" -- sh -c "echo y >'$extra/quick'"
pt_status "--allow-write grants the same for one run" 0

# ---- a project policy counts only once its content is approved
extra2=$T/extra2
mkdir -p "$extra2"
printf '{"files": {"write": {"allow": ["%s"]}}}\n' "$extra2" \
	>"$WS/.proctor.json"
pt_run -- sh -c "echo x >'$extra2/f'"
pt_isnt "an unapproved project policy grants nothing" "$PT_RC" 0
pt_grep "proctor says the project policy is not approved" "$PT_ERR" \
	'approve'
pt_proctor policy approve "$WS/.proctor.json"
pt_status "policy approve accepts it" 0
pt_run -- sh -c "echo x >'$extra2/f'"
pt_status "the approved project policy grants its write" 0
pt_run -- sh -c 'echo "{}" >.proctor.json'
pt_isnt "the run cannot rewrite the project policy" "$PT_RC" 0
printf '{"files": {"write": {"allow": ["%s", "/"]}}}\n' "$extra2" \
	>"$WS/.proctor.json"
rm -f "$extra2/f"
pt_run -- sh -c "echo x >'$extra2/f'"
pt_isnt "a changed project policy needs approving again" "$PT_RC" 0
pt_grep "... and says it changed since it was approved" "$PT_ERR" \
	"ignoring $WS/.proctor.json: its content changed since you approved it"
cp "$WS/.proctor.json" "$T/copy.json"
pt_proctor policy approve "$T/copy.json"
pt_grep "approving another name says runs read only .proctor.json" \
	"$PT_OUT" '^note: a run reads a project.s policy only as WORKSPACE/.proctor.json'
rm -f "$WS/.proctor.json"
pt_run -- sh -c "echo x >>'$XDG_CONFIG_HOME/proctor/approved'"
pt_isnt "the run cannot approve anything itself" "$PT_RC" 0

# ---- denied for reading means denied for writing
# (a directory denied for reading; a strictly more specific write entry,
# which the denial's advice names, makes one file in it writable)
mkdir -p "$WS/private"
echo "original" >"$WS/private/f.txt"
pt_run --deny-read "$WS/private" -- sh -c 'echo changed >private/f.txt'
pt_isnt "a path denied for reading cannot be written" "$PT_RC" 0
pt_is "it keeps its content" "$(cat "$WS/private/f.txt")" original
flag=$(pt_advice "$PT_ERR" | sed -n 1p)
value=$(pt_advice "$PT_ERR" | sed -n 2p)
if [ -z "$flag" ]; then
	pt_fail "the denial says how to allow the write"
	pt_diag_file "$PT_ERR" stderr
else
	pt_ok "the denial says how to allow the write"
	pt_run --deny-read "$WS/private" "$flag" "$value" -- \
		sh -c 'echo changed >private/f.txt'
	pt_status "the denial's advice ($flag PATH) makes it writable" 0
fi

# The advice for a plain write outside the workspace works too.
pt_run -- sh -c "echo x >'$CANARY/advised'"
flag=$(pt_advice "$PT_ERR" | sed -n 1p)
value=$(pt_advice "$PT_ERR" | sed -n 2p)
if [ -n "$flag" ]; then
	pt_run "$flag" "$value" -- sh -c "echo x >'$CANARY/advised'"
	pt_status "the advice for a write outside ($flag PATH) works" 0
else
	pt_fail "the advice for a write outside ($flag PATH) works" \
		"no advice in the denial"
	pt_diag_file "$PT_ERR" stderr
fi

# A wildcard over a public suffix allows anyone's sites: warned about
echo '{"network": {"allow": ["*.com", "*.example.com", "*.co.uk"]}}' \
	>"$T/suffix.json"
pt_proctor policy check "$T/suffix.json"
pt_status "a wildcard over a public suffix checks" 0
pt_grep "... with a warning" "$PT_OUT" \
	'allow\[0\] "\*\.com" allows every site under a public suffix'
pt_grep "... a suffix of two labels too" "$PT_OUT" 'allow\[2\] "\*\.co\.uk"'
pt_nogrep "... not a registrable domain's" "$PT_OUT" 'allow\[1\]'

# HOME set to no place: ~ is the password file's home, and said
HOME=relative pt_run -- true
pt_grep "a HOME that is not an absolute path is said" "$PT_ERR" \
	'^proctor: HOME is "relative", not an absolute path: ~ is the password file.s home'

# HTTP limits of a domain entry (#8): checked, warned about, shown.
cat >"$T/http.json" <<'JSON'
{"network": {"allow": [
  {"pattern": "paste.test", "methods": ["GET", "HEAD"], "wire_name": "match"},
  {"pattern": "*.api.test:80", "methods": ["GET", "POST"]},
  {"pattern": "port.test:8443", "methods": ["GET"]}
]}}
JSON
pt_proctor policy check "$T/http.json"
pt_status "methods and wire_name check" 0
pt_grep "methods that may meet port 443 are warned about" "$PT_OUT" \
	'allow\[0\] paste.test: warning: its method limits are not enforceable'
pt_nogrep "an entry for port 80 is not" "$PT_OUT" 'allow\[1\].*warning'
pt_grep "an entry for another port is (TLS may meet it)" "$PT_OUT" \
	'allow\[2\] port.test:8443: warning: its method limits are not enforceable over TLS'
pt_proctor policy show --policy "$T/http.json"
shown=$("$PT_PY" -c 'import json, sys
for e in json.load(open(sys.argv[1]))["network"]["allow"]:
    if e.get("methods"):
        print(e["pattern"], ",".join(e["methods"]), e["wire_name"])' "$PT_OUT")
pt_is "policy show shows methods and wire_name" "$shown" \
	"paste.test GET,HEAD match
*.api.test:80 GET,POST any
port.test:8443 GET any"
for bad in '{"pattern": "a.test", "methods": []}' \
	'{"pattern": "a.test", "methods": ["GET", "GET"]}' \
	'{"pattern": "a.test", "methods": "GET"}' \
	'{"pattern": "a.test", "wire_name": true}' \
	'{"pattern": "unix:/x", "methods": ["GET"]}'; do
	echo "{\"network\": {\"allow\": [$bad]}}" >"$T/bad.json"
	pt_proctor policy check "$T/bad.json"
	pt_status "refused: $bad" 1
	pt_grep "the error names the entry: $bad" "$PT_ERR" \
		'bad.json: network.allow\[0\]'
done
echo '{"network": {"deny": [{"pattern": "a.test", "methods": ["GET"]}]}}' \
	>"$T/bad.json"
pt_proctor policy check "$T/bad.json"
pt_grep "methods on a deny entry are refused" "$PT_ERR" \
	'network.deny\[0\]: "methods" and "wire_name" limit what an allow'

# a directory given as a policy, and a command proctor does not know
pt_run --policy "$T" -- true
pt_status "a directory as --policy: proctor fails" 125
pt_grep "... and says it is a directory" "$PT_ERR" "$T: cannot read: Is a directory"
"$PROCTOR" bogus >/dev/null 2>"$T/bogus.err"
pt_grep "an unknown command is named" "$T/bogus.err" "^proctor: unknown command 'bogus'$"
# a workspace's .proctor.json that is no regular file (it comes with the
# repository): a FIFO would hold the run, /dev/zero would fill memory
mkdir -p "$T/oddws"
mkfifo "$T/oddws/.proctor.json"
pt_run --workspace "$T/oddws" -- true
pt_status "a FIFO as the project policy: the run goes on" 0
pt_grep "... and says it ignores it" "$PT_ERR" "ignoring $T/oddws/.proctor.json: not a regular file"
rm -f "$T/oddws/.proctor.json"
ln -s /dev/zero "$T/oddws/.proctor.json"
pt_run --workspace "$T/oddws" -- true
pt_status "a link to /dev/zero as the project policy: the run goes on" 0
rm -f "$T/oddws/.proctor.json"
pt_done
