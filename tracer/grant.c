/* SPDX-License-Identifier: MIT */
/*
 * Grants held by process subtrees (#6).  An exec entry may carry a grant
 * (rules/grant.c): once the command it names runs, allowed by the policy
 * or by the user's answer, that process and every process it starts get
 * what the grant names beyond the policy.  The grant begins when the
 * exec is verified (ptrace.c), passes to children at fork and clone, and
 * ends with the last process holding it; each step is logged.
 *
 * A grant trusts the command, not the process that ran it: it is
 * withheld when its environment tells the loader, a shell, an
 * interpreter or git to run more than the command (LD_PRELOAD, BASH_ENV,
 * NODE_OPTIONS, GIT_SSH_COMMAND, ...: loader_told), and the
 * rest of the tree cannot reach into a process that holds one (its
 * /proc/PID entries: memory, descriptors, environment).  proctor's own
 * files stay out of reach of every grant (rules_policy_add_protected).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "tracer/tracer.h"

static __thread pid_t serving;

void tracer_grant_serving(pid_t tgid)
{
	serving = tgid;
}

/* A record of type "grant" or "grant-end"; fields made with cJSON. */
static void log_grant(const char *type, const struct tracer_grant_hold *h,
		      const char *withheld)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	if (!o)
		return;
	cJSON_AddNumberToObject(o, "pid", h->root);
	cJSON_AddStringToObject(o, "where", rules_grant_where(h->grant));
	cJSON_AddStringToObject(o, "origin", rules_grant_origin(h->grant));
	cJSON_AddStringToObject(o, "approved_by", h->by);
	if (withheld)
		cJSON_AddStringToObject(o, "withheld", withheld);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!s)
		return;
	s[strlen(s) - 1] = '\0'; /* the fields without their braces */
	tracer_log_raw(type, s + 1);
	free(s);
}

static const struct rules_policy *grant_policy;

void tracer_grant_set_policy(const struct rules_policy *p)
{
	grant_policy = p;
}

/* Whether the run may write path itself (or replace it, or rename it). */
bool tracer_grant_file_writable(const char *path)
{
	struct rules_verdict v;

	if (!grant_policy)
		return true;
	rules_check_path(grant_policy, RULES_WRITE, path, &v);
	return v.action == RULES_ALLOW || v.action == RULES_CREATE;
}

/* Whether the run may add, remove or rename entries of directory dir. */
static bool dir_writable(const char *dir)
{
	char probe[4200];

	snprintf(probe, sizeof(probe), "%s/proctor-probe",
		 strcmp(dir, "/") ? dir : "");
	return tracer_grant_file_writable(probe);
}

/*
 * A directory of PATH where the sandbox may put a program (relative
 * ones are the cwd's): a granted script that runs a program by name
 * would run the sandbox's.
 */
static bool path_writable(const char *path)
{
	char dir[4096];
	size_t len;

	for (;;) {
		len = strcspn(path, ":");
		snprintf(dir, sizeof(dir), "%.*s", (int)len, path);
		if (dir[0] != '/')
			return true; /* "", ".": the cwd */
		if (dir_writable(dir))
			return true;
		if (!path[len])
			return false;
		path += len + 1;
	}
}

/*
 * Walks name as the kernel will when the interpreter opens it: each
 * directory it passes, through links, must be one the run cannot write,
 * or the entry read there could be another by then.  /proc is never
 * fixed (/proc/self/cwd follows a chdir).  Returns the first directory
 * that is not, in dir; NULL when the name is fixed.
 */
static const char *name_changeable(const char *name, char *dir, size_t size)
{
	char cur[4096], rest[8192], link[4096], part[256], entry[4352];
	size_t len;
	int hops = 0;
	ssize_t n;

	snprintf(cur, sizeof(cur), "/");
	snprintf(rest, sizeof(rest), "%s", name);
	for (;;) {
		const char *p = rest + strspn(rest, "/");

		len = strcspn(p, "/");
		if (len == 0)
			return NULL; /* every directory on the way is fixed */
		if (len >= sizeof(part))
			break;
		memcpy(part, p, len);
		part[len] = '\0';
		memmove(rest, p + len, strlen(p + len) + 1);
		if (!strcmp(part, "."))
			continue;
		if (!strcmp(part, "..")) {
			char *slash = strrchr(cur, '/');

			slash[slash == cur] = '\0';
			continue;
		}
		if (!strncmp(cur, "/proc", 5) || dir_writable(cur))
			break;
		snprintf(entry, sizeof(entry), "%s/%s",
			 strcmp(cur, "/") ? cur : "", part);
		/* an entry the policy lets the run write or rename itself */
		if (tracer_grant_file_writable(entry)) {
			snprintf(cur, sizeof(cur), "%s", entry);
			break;
		}
		n = readlink(entry, link, sizeof(link) - 1);
		if (n < 0 && errno != EINVAL)
			break; /* gone since the exec was checked */
		if (n < 0) {
			snprintf(cur, sizeof(cur), "%s", entry);
			continue;
		}
		/* a link: its target's parts come first */
		if (++hops > 40 || (size_t)n + strlen(rest) + 2 > sizeof(rest))
			break;
		memmove(rest + n + 1, rest, strlen(rest) + 1);
		memcpy(rest, link, (size_t)n);
		rest[n] = '/';
		if (link[0] == '/')
			snprintf(cur, sizeof(cur), "/");
	}
	snprintf(dir, size, "%s", cur);
	return dir;
}

const char *tracer_grant_name_changeable(const char *name)
{
	static __thread char dir[4096];

	return name_changeable(name, dir, sizeof(dir));
}

/*
 * A process's environment, NUL-terminated; NULL with *why set when it
 * cannot be read whole.
 */
static char *read_environ(pid_t pid, size_t *len, const char **why)
{
	const size_t size = 65536;
	char path[64], *env = malloc(size);
	ssize_t n;
	int fd;

	*len = 0;
	snprintf(path, sizeof(path), "/proc/%d/environ", pid);
	fd = env ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0) {
		*why = "its environment is unreadable";
		free(env);
		return NULL;
	}
	while ((n = read(fd, env + *len, size - 1 - *len)) > 0)
		*len += (size_t)n;
	close(fd);
	if (*len == size - 1) {
		*why = "its environment is too large to check";
		free(env);
		return NULL;
	}
	env[*len] = '\0';
	return env;
}

/* "NAME=value" is set, non-empty, for the name (or prefix, "NAME*"). */
static bool env_names(const char *entry, const char *name)
{
	size_t n = strlen(name);
	const char *eq = strchr(entry, '=');

	if (!eq || !eq[1])
		return false;
	if (name[n - 1] == '*')
		return !strncmp(entry, name, n - 1);
	return (size_t)(eq - entry) == n && !strncmp(entry, name, n);
}

/*
 * What in the new program's environment would load code the grant did
 * not name; NULL if nothing.  Read after the exec, from the new image:
 * the program has not run a single instruction of it yet.  The loader's
 * variables, and those with which a shell, an interpreter or git runs
 * code of the caller's choosing (a name ending in '*' is a prefix),
 * and a PATH with a directory the sandbox may write.  EDITOR, PAGER and
 * the like, which name programs a script may run, are not judged.
 */
static const char *loader_told(pid_t pid)
{
	static const char *const vars[] = {
		"LD_*",
		"BASH_ENV",
		"ENV",
		"BASH_FUNC_*",
		"SHELLOPTS",
		"BASHOPTS",
		"PS4",
		"PROMPT_COMMAND",
		"NODE_OPTIONS",
		"NODE_PATH",
		"PYTHONPATH",
		"PYTHONHOME",
		"PYTHONSTARTUP",
		"PERL5OPT",
		"PERL5LIB",
		"PERLLIB",
		"PERL5DB",
		"RUBYOPT",
		"RUBYLIB",
		"GIT_SSH",
		"GIT_SSH_COMMAND",
		"GIT_EXEC_PATH",
		"GIT_CONFIG",
		"GIT_CONFIG_COUNT",
		"GIT_CONFIG_KEY_*",
		"GIT_CONFIG_VALUE_*",
		"GIT_CONFIG_PARAMETERS",
		"GIT_CONFIG_GLOBAL",
		"GIT_CONFIG_SYSTEM",
		"GIT_ASKPASS",
		"SSH_ASKPASS",
		"GIT_PROXY_COMMAND",
		"GIT_EXTERNAL_DIFF",
		"GIT_TEMPLATE_DIR",
		"GCONV_PATH",
		"JAVA_TOOL_OPTIONS",
		"_JAVA_OPTIONS",
		"JDK_JAVA_OPTIONS",
		"LUA_INIT",
	};
	static __thread char found[128];
	const char *why = NULL;
	size_t i, off, n;
	char *env;

	/* on the heap, not per thread: every receiver would carry 64 KiB */
	env = read_environ(pid, &off, &why);
	for (n = 0; env && !why && n < off; n += strlen(env + n) + 1) {
		if (!strncmp(env + n, "PATH=", 5) && path_writable(env + n + 5))
			why = "PATH (a directory of it the sandbox may write)";
		for (i = 0; !why && i < sizeof(vars) / sizeof(*vars); i++)
			if (env_names(env + n, vars[i])) {
				/* "NAME=", as the log says it */
				snprintf(found, sizeof(found),
					 "%.*s=", (int)strcspn(env + n, "="),
					 env + n);
				why = found;
			}
	}
	free(env);
	return why;
}

static void drop_hold(struct tracer_grant_hold *h)
{
	if (h && --h->refs == 0) {
		log_grant("grant-end", h, NULL);
		free(h);
	}
}

/* Called with the table locked, at a verified exec. */
void tracer_grant_on_exec(struct tracer_proc *p,
			  const struct tracer_exec_expect *ex)
{
	struct tracer_grant_hold *h;
	const char *why;

	if (!ex || !ex->grant)
		return; /* a holder that runs another program still holds */
	h = calloc(1, sizeof(*h));
	if (!h)
		return;
	h->grant = ex->grant;
	h->root = p->tgid;
	h->refs = 1;
	snprintf(h->by, sizeof(h->by), "%s", ex->grant_by);
	why = ex->grant_why[0] ? ex->grant_why : loader_told(p->tgid);
	if (why) {
		size_t n = strlen(why);

		log_grant("grant", h, why);
		/* a variable is named "NAME=", as the log says it */
		fprintf(stderr,
			"proctor: pid %d runs without the grant of %s: %s%s\n",
			p->tgid, rules_grant_where(h->grant), why,
			n && why[n - 1] == '=' ? " is set" : "");
		free(h);
		return;
	}
	log_grant("grant", h, NULL);
	drop_hold(p->grant);
	p->grant = h;
}

void tracer_grant_inherit(struct tracer_proc *child,
			  const struct tracer_proc *parent)
{
	if (!parent->grant || child->grant == parent->grant)
		return;
	drop_hold(child->grant);
	child->grant = parent->grant;
	child->grant->refs++;
}

void tracer_grant_release(struct tracer_proc *p)
{
	drop_hold(p->grant);
	p->grant = NULL;
}

/* The grant tid holds, copied out under the lock; false if none. */
static bool held(pid_t tid, struct tracer_grant_hold *out)
{
	struct tracer_proc *p;
	bool found = false;

	tracer_proc_lock();
	p = tracer_proc_find(tid);
	if (p && p->grant) {
		*out = *p->grant;
		found = true;
	}
	tracer_proc_unlock();
	return found;
}

/* A connect, by the names proctor answered for its address too. */
static void check_connect(const struct rules_policy *gp,
			  const struct rules_addr *a, struct rules_verdict *v)
{
	char names[8][TRACER_NAME_MAX];
	const char *list[8];
	size_t n = 0, i;
	int which;

	if (a->kind == RULES_ADDR_IP)
		n = tracer_names_find(a->ip, names, 8);
	for (i = 0; i < n; i++)
		list[i] = names[i];
	rules_check_connect(gp, a, list, n, v, &which);
}

static void check(const struct rules_grant *g, struct tracer_req *r,
		  enum rules_class cls, const char *key, const char *object,
		  struct rules_verdict *v)
{
	const struct rules_policy *gp = rules_grant_policy(g);

	v->action = RULES_DENY;
	if (!strcmp(key, "path"))
		rules_check_path(gp, cls, object, v);
	else if (!strcmp(key, "addr") && r->addr)
		check_connect(gp, r->addr, v);
	else if (!strcmp(key, "command"))
		rules_check_exec(gp, object, r->ev.argv, r->ev.argc, v);
}

/* "full" allows by its defaults: v names the grant, not a default. */
static void named_by(const struct rules_grant *g, struct rules_verdict *v)
{
	if (v->is_default) {
		v->where = rules_grant_where(g);
		v->pattern = "full";
		v->is_default = false;
	}
}

bool tracer_grant_name(pid_t tid, const char *name, struct rules_verdict *v)
{
	struct tracer_grant_hold h;
	struct rules_verdict gv;

	if (!held(tid, &h))
		return false;
	rules_check_name(rules_grant_policy(h.grant), name, &gv);
	if (gv.action != RULES_ALLOW)
		return false;
	named_by(h.grant, &gv);
	*v = gv;
	return true;
}

const struct rules_grant *tracer_grant_of(pid_t tid)
{
	struct tracer_grant_hold h;

	return held(tid, &h) ? h.grant : NULL;
}

bool tracer_grant_host(const struct rules_grant *g, const char *name,
		       uint16_t port, struct rules_verdict *v)
{
	struct rules_verdict gv;

	if (!g)
		return false;
	rules_check_host(rules_grant_policy(g), name, port, &gv);
	if (gv.action != RULES_ALLOW)
		return false;
	named_by(g, &gv);
	*v = gv;
	return true;
}

bool tracer_grant_connect(const struct rules_grant *g,
			  const struct rules_addr *a, const char *name,
			  struct rules_verdict *v)
{
	const char *list[1] = { name };
	struct rules_verdict gv;
	int which;

	if (!g)
		return false;
	rules_check_connect(rules_grant_policy(g), a, list, 1, &gv, &which);
	if (gv.action != RULES_ALLOW)
		return false;
	named_by(g, &gv);
	*v = gv;
	return true;
}

bool tracer_grant_allows(struct tracer_req *r, enum rules_class cls,
			 const char *key, const char *object)
{
	static __thread char by[160];
	struct tracer_grant_hold h;
	struct rules_verdict v;

	if (!strcmp(r->verdict.origin, "proctor") ||
	    !strcmp(r->verdict.origin, "rules") || !held(r->tid, &h))
		return false;
	check(h.grant, r, cls, key, object, &v);
	if (v.action != RULES_ALLOW)
		return false;
	named_by(h.grant, &v);
	v.grant = NULL;
	r->verdict = v;
	snprintf(by, sizeof(by), "%s", h.by);
	r->ev.grant_root = h.root;
	r->ev.grant_by = by;
	return true;
}

bool tracer_grant_shields(pid_t target)
{
	struct tracer_grant_hold theirs, mine;

	if (!held(target, &theirs))
		return false;
	return !held(serving, &mine) || mine.grant != theirs.grant ||
	       mine.root != theirs.root;
}
