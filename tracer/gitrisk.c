/* SPDX-License-Identifier: MIT */
/*
 * Git settings that run commands.  The protected paths keep the run from
 * changing the hooks and config of a repository that was there before it
 * (rules/default.c), but a repository the run makes is its own, and the
 * user's git, run later in the workspace, can reach one: a nested
 * repository staged in the outer one has its core.fsmonitor run by the
 * outer `git status`; a directory made to look like a repository (HEAD,
 * objects, refs, config) is one to git's discovery.  So proctor notes the
 * git config files and hooks the run wrote and, at the end, names those
 * that would run a command: the user reads them before running git
 * there.  A note, not a boundary: what the run writes in the workspace
 * is the run's.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tracer/tracer.h"

#define GITRISK_MAX	 64	     /* files noted */
#define GITRISK_READ_MAX (64 * 1024) /* of a config read at the end */
#define GITRISK_SAY_MAX	 512	     /* the keys named, for people */

static struct {
	pthread_mutex_t lock;
	char *path[GITRISK_MAX];
	int n;
} noted = { .lock = PTHREAD_MUTEX_INITIALIZER };

/*
 * A git config by its name ("config", "config.worktree"; git writes
 * NAME.lock and renames it), or a hook; *keep: the length that names it.
 */
static bool git_kind(const char *path, size_t *keep)
{
	const char *base = strrchr(path, '/');
	size_t n = strlen(path), b;

	*keep = n > 5 && !strcmp(path + n - 5, ".lock") ? n - 5 : n;
	base = base ? base + 1 : path;
	b = (size_t)(path + *keep - base);
	if ((b == 6 && !strncmp(base, "config", 6)) ||
	    (b == 15 && !strncmp(base, "config.worktree", 15)))
		return true;
	return strstr(path, "/hooks/") && !strstr(base, ".sample");
}

void tracer_gitrisk_note(const char *path)
{
	size_t keep;
	int i;

	if (!path || !path[0] || !git_kind(path, &keep))
		return;
	pthread_mutex_lock(&noted.lock);
	for (i = 0; i < noted.n; i++)
		if (!strncmp(noted.path[i], path, keep) && !noted.path[i][keep])
			break;
	if (i == noted.n && noted.n < GITRISK_MAX &&
	    (noted.path[noted.n] = strndup(path, keep)))
		noted.n++;
	pthread_mutex_unlock(&noted.lock);
}

/* section[.sub].key of git's that runs a command ("" for a value's "!") */
static const char *const runs[] = {
	"core.fsmonitor",
	"core.hookspath",
	"core.sshcommand",
	"core.editor",
	"core.pager",
	"core.askpass",
	"core.gitproxy",
	"core.worktree",
	"sequence.editor",
	"diff.external",
	"diff.*.textconv",
	"diff.*.command",
	"merge.*.driver",
	"filter.*.clean",
	"filter.*.smudge",
	"filter.*.process",
	"credential.helper",
	"credential.*.helper",
	"gpg.program",
	"gpg.*.program",
	"include.path",
	"includeif.*.path",
	"uploadpack.packobjectshook",
	"remote.*.uploadpack",
	"remote.*.receivepack",
	"pager.*",
	"interactive.difffilter",
	"web.browser",
	"browser.*.cmd",
	"alias.*",
};

static bool key_runs(const char *section, bool sub, const char *key,
		     const char *value)
{
	char name[256];
	size_t i;

	snprintf(name, sizeof(name), "%s%s.%s", section, sub ? ".*" : "", key);
	if (!strcmp(section, "pager") && !sub)
		return true; /* pager.<command> */
	if (!strcmp(section, "alias"))
		return value[0] == '!'; /* a shell command, not a git one */
	for (i = 0; i < sizeof(runs) / sizeof(runs[0]); i++)
		if (!strcmp(runs[i], name))
			return true;
	return false;
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* Appends "section.key" to say (up to its size) when the line runs one. */
static void scan_line(char *line, char *section, size_t ssize, bool *sub,
		      char *say, size_t size)
{
	char *k = line + strspn(line, " \t"), *v, *e;
	size_t len;

	if (*k == '[') {
		k++;
		len = strcspn(k, " \t].");
		snprintf(section, ssize, "%.*s", (int)len, k);
		lower(section);
		/* [section "sub"], or the old [section.sub] */
		*sub = k[len] == ' ' || k[len] == '\t' || k[len] == '.';
		return;
	}
	if (!isalpha((unsigned char)*k) || !section[0])
		return;
	e = k + strspn(k, "abcdefghijklmnopqrstuvwxyz"
			  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");
	v = e + strspn(e, " \t");
	v = *v == '=' ? v + 1 + strspn(v + 1, " \t\"") : v;
	*e = '\0';
	lower(k);
	if (!key_runs(section, *sub, k, v))
		return;
	len = strlen(say);
	snprintf(say + len, size - len, "%s%s.%s", len ? ", " : "", section, k);
}

/* The keys of path's that run a command, in say; "" for none. */
static void scan_config(const char *path, char *say, size_t size)
{
	char section[128] = "", *buf, *line, *save;
	bool sub = false;
	ssize_t n;
	FILE *f;

	say[0] = '\0';
	f = fopen(path, "re");
	buf = malloc(GITRISK_READ_MAX + 1);
	if (!f || !buf) {
		if (f)
			fclose(f);
		free(buf);
		return;
	}
	n = (ssize_t)fread(buf, 1, GITRISK_READ_MAX, f);
	fclose(f);
	buf[n > 0 ? n : 0] = '\0';
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		scan_line(line, section, sizeof(section), &sub, say, size);
	free(buf);
}

void tracer_gitrisk_report(bool quiet)
{
	char say[GITRISK_SAY_MAX];
	struct stat st;
	int i;

	pthread_mutex_lock(&noted.lock);
	for (i = 0; i < noted.n; i++) {
		const char *p = noted.path[i];

		if (stat(p, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (strstr(p, "/hooks/"))
			snprintf(say, sizeof(say), "%s",
				 st.st_mode & 0111 ? "a hook" : "");
		else
			scan_config(p, say, sizeof(say));
		if (say[0] && !quiet)
			fprintf(stderr,
				"proctor: the run wrote what git will run when "
				"you use git there: %s (%s); read it first\n",
				p, say);
	}
	for (i = 0; i < noted.n; i++)
		free(noted.path[i]);
	noted.n = 0;
	pthread_mutex_unlock(&noted.lock);
}
