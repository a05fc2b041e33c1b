/* SPDX-License-Identifier: MIT */
/*
 * The built-in policy for a coding agent working in a repository: read
 * anything but the usual credential stores, proctor's own state and the
 * password hashes (which only a run as root could read); write
 * only in the workspace, the run's temporary directory and the harmless
 * devices, and create in the shared temporary directories; no network
 * (the supervisor still lets a run reach the sockets it made itself);
 * run any program, but ask before "git push".
 *
 * Inside the workspace, writes to what runs code on the user's behalf
 * later (git hooks and config, of nested repositories and submodules too,
 * and the files that point git at another repository's config: commondir,
 * config.worktree),
 * direnv, editor settings, proctor's own project policy and the policy
 * `proctor learn` writes there by default) are denied:
 * changing them would outlive the sandbox.  /dev/shm is shared like /tmp.
 */
#include "rules/rules.h"

const char rules_default_json[] =
	"{\n"
	"  \"files\": {\n"
	"    \"read\": {\n"
	"      \"default\": \"allow\",\n"
	"      \"deny\": [\"~/.ssh\", \"~/.gnupg\", \"~/.aws\", \"~/.azure\",\n"
	"               \"~/.kube\", \"~/.config/gcloud\", \"~/.config/gh\",\n"
	"               \"~/.docker/config.json\", \"~/.netrc\",\n"
	"               \"~/.git-credentials\", \"~/.npmrc\", \"~/.pypirc\",\n"
	"               \"~/.config/proctor\", \"~/.local/state/proctor\",\n"
	"               \"/etc/shadow\", \"/etc/gshadow\", \"/etc/shadow-\",\n"
	"               \"/etc/gshadow-\"]\n"
	"    },\n"
	"    \"write\": {\n"
	"      \"default\": \"deny\",\n"
	"      \"allow\": [\"$WORKSPACE\", \"$TMPDIR\", \"/dev/null\",\n"
	"                \"/dev/zero\", \"/dev/full\", \"/dev/tty\",\n"
	"                \"/dev/ptmx\", \"/dev/pts/ptmx\",\n"
	"                \"/dev/stdout\", \"/dev/stderr\"],\n"
	"      \"create\": [\"/tmp\", \"/var/tmp\", \"/dev/shm\"],\n"
	"      \"deny\": [\"$WORKSPACE/.git/hooks\",\n"
	"               \"$WORKSPACE/.git/config\",\n"
	"               \"$WORKSPACE/**/.git/hooks\",\n"
	"               \"$WORKSPACE/**/.git/config\",\n"
	"               \"$WORKSPACE/.git/modules/**/hooks\",\n"
	"               \"$WORKSPACE/.git/modules/**/config\",\n"
	"               \"$WORKSPACE/.envrc\", \"$WORKSPACE/.vscode\",\n"
	"               \"$WORKSPACE/.proctor.json\",\n"
	"               \"$WORKSPACE/proctor-learned.json\",\n"
	"               \"$WORKSPACE/**/.git/**/commondir\",\n"
	"               \"$WORKSPACE/**/.git/**/config.worktree\",\n"
	"               \"$WORKSPACE/**/.git/modules/**/hooks\",\n"
	"               \"$WORKSPACE/**/.git/modules/**/config\"]\n"
	"    }\n"
	"  },\n"
	"  \"network\": {\n"
	"    \"default\": \"deny\"\n"
	"  },\n"
	"  \"exec\": {\n"
	"    \"default\": \"allow\",\n"
	"    \"ask\": [[\"git\", \"push\"]]\n"
	"  }\n"
	"}\n";
