/* SPDX-License-Identifier: MIT */
/*
 * `proctor learn`: from a run to a policy.
 *
 *   proctor learn [-o FILE] [--base POLICY] [--permissive] [-w DIR]... -- CMD
 *   proctor learn --from LOG [-o FILE] [--base POLICY]
 *
 * The first runs CMD with `proctor run` (this same binary), logging every
 * decision into a run log of its own, then learns from that log as the
 * second does.  The generalisation is rules/learn.c's; this file reads
 * the log, says what each record means, and writes the policy.
 *
 * `proctor policy diff OLD NEW` is here too: it compares two policies as
 * learning writes them.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rules/learn.h"
#include "rules/rules.h"
#include "tools/tools.h"
#include "tracer/tracer.h"

#define EXIT_FAIL 125
#define MAX_WS	  64

struct learn_opts {
	const char *out;
	const char *base;
	const char *from;
	const char *ws[MAX_WS];
	size_t n_ws;
	bool permissive, quiet;
};

/* ---- reading the log ------------------------------------------------------ */

/* An exec judged for pid, waiting for the record of what it loaded. */
struct pending {
	long pid;
	char *command;
};

struct reader {
	const struct learn_opts *o;
	const char *file;
	long line;
	bool failed, cut;
	struct rules_learn *learn;
	struct rules_policy *base;
	char *ws[MAX_WS];
	size_t n_ws;
	struct pending pend[256];
	size_t n_pend;
	unsigned long decisions, runs;
};

static void bad(struct reader *r, const char *fmt, const char *detail)
{
	if (r->failed)
		return;
	fprintf(stderr, "proctor: %s:%ld: ", r->file, r->line);
	fprintf(stderr, fmt, detail);
	fputc('\n', stderr);
	r->failed = true;
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const char *home_of(const cJSON *rec)
{
	static char real[PATH_MAX];
	const char *h = str(rec, "home");

	/* logs before the "home" field: the reader's home */
	if (!h)
		h = getenv("HOME");
	if (!h || h[0] != '/')
		return NULL;
	return realpath(h, real) ? real : h;
}

/* The base policy for one run: the built-in, then --base. */
static struct rules_policy *base_policy(struct reader *r,
					const struct rules_vars *v)
{
	struct rules_policy *p;
	char err[1024];

	if (rules_policy_new(&p, v) < 0)
		return NULL;
	if (rules_policy_add_json(p, rules_default_json, "built-in", NULL, err,
				  sizeof(err)) < 0 ||
	    (r->o->base &&
	     rules_policy_add_file(p, r->o->base,
				   v->n_workspaces ? v->workspaces[0] : NULL,
				   err, sizeof(err)) < 0)) {
		fprintf(stderr, "proctor: %s\n", err);
		rules_policy_free(p);
		return NULL;
	}
	return p;
}

static void free_ws(struct reader *r)
{
	while (r->n_ws)
		free(r->ws[--r->n_ws]);
}

/* A "run" record: the names of this run, and its base policy. */
static void on_run(struct reader *r, const cJSON *rec)
{
	const cJSON *ws = cJSON_GetObjectItemCaseSensitive(rec, "workspaces");
	const cJSON *w;
	struct rules_vars v = { 0 };
	bool permissive;

	free_ws(r);
	cJSON_ArrayForEach(w, ws)
	{
		if (!cJSON_IsString(w) || w->valuestring[0] != '/' ||
		    r->n_ws == MAX_WS)
			return bad(r, "%s",
				   "a workspace that is not an "
				   "absolute path");
		r->ws[r->n_ws++] = strdup(w->valuestring);
	}
	v.home = home_of(rec);
	v.tmpdir = str(rec, "tmpdir");
	if (v.tmpdir && v.tmpdir[0] != '/')
		return bad(r, "%s", "\"tmpdir\" is not an absolute path");
	v.workspaces = (const char *const *)r->ws;
	v.n_workspaces = r->n_ws;
	permissive = cJSON_IsTrue(
		cJSON_GetObjectItemCaseSensitive(rec, "permissive"));

	rules_policy_free(r->base);
	r->base = base_policy(r, &v);
	if (!r->base) {
		r->failed = true;
		return;
	}
	if (r->learn ? rules_learn_set_run(r->learn, &v, r->base, permissive)
		     : rules_learn_new(&r->learn, &v, r->base, permissive))
		return bad(r, "%s", "out of memory");
	r->runs++;
}

static enum rules_class class_of(const char *s, bool *skip)
{
	*skip = false;
	if (!strcmp(s, "read"))
		return RULES_READ;
	if (!strcmp(s, "write"))
		return RULES_WRITE;
	if (!strcmp(s, "exec"))
		return RULES_EXEC;
	if (!strcmp(s, "connect") || !strcmp(s, "resolve"))
		return RULES_CONNECT;
	*skip = true; /* "signal": nothing a policy file grants */
	return RULES_NCLASS;
}

static unsigned long long arg_of(const cJSON *rec, int i)
{
	const cJSON *args = cJSON_GetObjectItemCaseSensitive(rec, "args");
	const cJSON *a = cJSON_GetArrayItem(args, i);

	return cJSON_IsString(a) ? strtoull(a->valuestring, NULL, 16) : 0;
}

/*
 * Whether a write also read: an open for reading and writing is judged
 * on both, but logged once, as a write.
 */
static bool also_read(const cJSON *rec)
{
	const char *sc = str(rec, "syscall");
	unsigned long long flags;

	if (!sc)
		return false;
	if (!strcmp(sc, "openat2"))
		return true; /* the flags are behind a pointer */
	if (!strcmp(sc, "open"))
		flags = arg_of(rec, 1);
	else if (!strcmp(sc, "openat"))
		flags = arg_of(rec, 2);
	else
		return false;
	return (flags & O_ACCMODE) != O_WRONLY || flags & O_PATH;
}

static void remember_exec(struct reader *r, long pid, const char *command)
{
	size_t i;

	for (i = 0; i < r->n_pend && r->pend[i].pid != pid; i++)
		;
	if (i == r->n_pend) {
		if (r->n_pend == sizeof(r->pend) / sizeof(*r->pend))
			return; /* TODO(#7): only the last 256 pending execs */
		r->n_pend++;
	} else {
		free(r->pend[i].command);
	}
	r->pend[i].pid = pid;
	r->pend[i].command = strdup(command);
}

/* argv as a vector of the record's strings. */
static const char **argv_of(const cJSON *rec, size_t *n)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(rec, "argv"), *w;
	const char **v;

	*n = 0;
	if (!cJSON_IsArray(a))
		return NULL;
	v = calloc((size_t)cJSON_GetArraySize(a) + 1, sizeof(*v));
	if (!v)
		return NULL;
	cJSON_ArrayForEach(w, a)
	{
		if (!cJSON_IsString(w)) {
			free(v);
			return NULL;
		}
		v[(*n)++] = w->valuestring;
	}
	return v;
}

/*
 * Decided by proctor rather than by the policy: a pipe or socket object,
 * another process's /proc, a query it cannot answer, a socket the run
 * made (which it will be let reach again).
 */
static bool by_proctor(const cJSON *rec)
{
	const cJSON *rule = cJSON_GetObjectItemCaseSensitive(rec, "rule");
	const char *origin = str(rule, "origin");

	return origin && !strcmp(origin, "proctor");
}

/* "files.read.deny[0] \"~/.ssh\" (built-in)": the rule a record names. */
static const char *rule_text(const cJSON *rec, char *out, size_t size)
{
	const cJSON *rule = cJSON_GetObjectItemCaseSensitive(rec, "rule");
	const char *where = str(rule, "where"), *pat = str(rule, "pattern");
	const char *origin = str(rule, "origin");

	if (!where || !origin)
		return NULL;
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rule, "default")))
		snprintf(out, size, "%s %s, %s", where, pat ? pat : "?",
			 origin);
	else
		snprintf(out, size, "%s \"%s\", %s", where, pat ? pat : "?",
			 origin);
	return out;
}

static void on_decision(struct reader *r, const cJSON *rec)
{
	const char *cls = str(rec, "class"), *dec = str(rec, "decision");
	const char *obj = str(rec, "path");
	struct rules_learn_event e = { 0 };
	const char **argv = NULL;
	const cJSON *pid = cJSON_GetObjectItemCaseSensitive(rec, "pid");
	char rule[1024];
	bool skip;
	int rc;

	if (!cls || !dec)
		return bad(r, "%s",
			   "a decision without \"class\" and "
			   "\"decision\"");
	e.cls = class_of(cls, &skip);
	if (skip)
		return;
	if (!r->learn)
		return bad(r, "%s", "a decision before the \"run\" record");
	if (by_proctor(rec))
		return; /* proctor's own limits: no policy grants or needs */
	if (!strcmp(cls, "resolve"))
		obj = str(rec, "name");
	else if (e.cls == RULES_CONNECT)
		obj = str(rec, "addr");
	else if (e.cls == RULES_EXEC)
		obj = str(rec, "command");
	if (!obj)
		return bad(r, "a %s decision without its object", cls);
	e.object = obj;
	e.to = str(rec, "to");
	e.name = str(rec, "name");
	e.denied = strcmp(dec, "allow") != 0;
	e.created = cJSON_IsTrue(
		cJSON_GetObjectItemCaseSensitive(rec, "created_by_run"));
	e.also_read = e.cls == RULES_WRITE && also_read(rec);
	if (e.denied)
		e.rule = rule_text(rec, rule, sizeof(rule));
	if (e.cls == RULES_EXEC) {
		argv = argv_of(rec, &e.argc);
		e.argv = argv;
		if (!argv || !e.argc) {
			free(argv);
			return bad(r, "%s",
				   "an exec decision without \"argv\"");
		}
		if (!e.denied && cJSON_IsNumber(pid))
			remember_exec(r, (long)pid->valuedouble, obj);
	}
	rc = rules_learn_add(r->learn, &e);
	free(argv);
	if (rc == -EINVAL)
		return bad(r, "a %s decision the learner cannot read", cls);
	if (rc < 0)
		return bad(r, "%s", "out of memory");
	r->decisions++;
}

/*
 * An "exec" record tells what the kernel loaded.  When it is not the
 * program judged, the program was a script and this its interpreter,
 * which the run judged too (but logged only here).
 */
static void on_exec(struct reader *r, const cJSON *rec)
{
	const cJSON *pid = cJSON_GetObjectItemCaseSensitive(rec, "pid");
	const char *exe = str(rec, "exe");
	struct rules_learn_event e = { .cls = RULES_EXEC, .interpreter = true };
	size_t i;

	if (!cJSON_IsNumber(pid) || !exe || !r->learn)
		return;
	for (i = 0; i < r->n_pend; i++)
		if (r->pend[i].pid == (long)pid->valuedouble)
			break;
	if (i == r->n_pend)
		return;
	if (r->pend[i].command && strcmp(r->pend[i].command, exe) &&
	    exe[0] == '/') {
		e.object = exe;
		if (rules_learn_add(r->learn, &e) < 0)
			bad(r, "%s", "out of memory");
	}
	free(r->pend[i].command);
	r->pend[i] = r->pend[--r->n_pend];
}

static void on_line(char *line, size_t len, bool cut, void *arg)
{
	struct reader *r = arg;
	const cJSON *v;
	const char *type;
	cJSON *rec;

	r->line++;
	if (r->failed)
		return;
	if (cut) {
		/* proctor was stopped while writing it: the rest is whole */
		fprintf(stderr,
			"proctor: %s:%ld: the last line is cut; learning "
			"from the records before it\n",
			r->file, r->line);
		r->cut = true;
		return;
	}
	rec = cJSON_ParseWithLength(line, len);
	if (!cJSON_IsObject(rec)) {
		cJSON_Delete(rec);
		return bad(r, "%s",
			   "not a JSON object: is this a proctor log?");
	}
	v = cJSON_GetObjectItemCaseSensitive(rec, "v");
	type = str(rec, "type");
	if (!type || !cJSON_IsNumber(v))
		bad(r, "%s",
		    "a record without \"type\" and \"v\": is this a "
		    "proctor log?");
	else if (v->valuedouble != 1 && v->valuedouble != 2)
		bad(r, "%s",
		    "a record of another log schema (\"v\" is not 1 or 2)");
	/*
	 * TODO(#7): schema 2's *_b64 fields hold names that are not UTF-8
	 * exactly; learning uses the readable field, so such a name is
	 * learned as shown (with U+FFFD) and will not match.
	 */
	else if (!strcmp(type, "run"))
		on_run(r, rec);
	else if (!strcmp(type, "decision"))
		on_decision(r, rec);
	else if (!strcmp(type, "exec"))
		on_exec(r, rec);
	cJSON_Delete(rec);
}

/* ---- writing the policy
 * ------------------------------------------------------ */

/* Whole or not at all: a temporary file beside it, then a rename. */
static int write_file(const char *path, const char *text)
{
	char tmp[PATH_MAX];
	size_t len = strlen(text);
	int fd, err = 0;

	if (!strcmp(path, "-"))
		return fputs(text, stdout) < 0 ? -EIO : 0;
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len || fchmod(fd, 0644) < 0 ||
	    fsync(fd) < 0)
		err = errno ? -errno : -EIO;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

/*
 * The learned text must read back as a policy, or nothing is written: a
 * log can hold what no policy can say (a crafted one: ".." in a path, a
 * name with a blank).  0, or -EINVAL said on stderr.
 */
static int check_learned(const char *text)
{
	const char *ws[] = { "/workspace" };
	struct rules_vars v = { "/home/user", "/tmp/proctor-run", ws, 1 };
	struct rules_policy *p;
	char err[1024];
	int rc;

	if (rules_policy_new(&p, &v) < 0)
		return -ENOMEM;
	rc = rules_policy_add_json(p, text, "the learned policy", "/workspace",
				   err, sizeof(err));
	if (rc < 0)
		fprintf(stderr,
			"proctor: %s\nproctor: the log holds what no policy "
			"can say; nothing was written\n",
			err);
	rules_policy_free(p);
	return rc;
}

static int learn_from(const struct learn_opts *o, const char *log)
{
	struct reader r = { .o = o, .file = log };
	size_t n_review = 0;
	char *text;
	int rc;

	rc = tools_each_line(log, on_line, &r);
	if (rc)
		return 2;
	if (!r.failed && !r.learn)
		bad(&r, "%s", "no \"run\" record: is this a proctor log?");
	if (r.failed) {
		rules_learn_free(r.learn);
		rules_policy_free(r.base);
		free_ws(&r);
		return 2;
	}

	text = rules_learn_policy(r.learn, &n_review);
	if (text && check_learned(text) < 0) {
		free(text);
		text = NULL;
		rc = EXIT_FAIL;
		goto out;
	}
	if (text)
		rc = write_file(o->out, text);
	if (!text || rc) {
		fprintf(stderr, "proctor: cannot write %s: %s\n", o->out,
			strerror(text ? -rc : ENOMEM));
		rc = EXIT_FAIL;
	} else if (!o->quiet) {
		fprintf(stderr,
			"proctor: learned from %lu decisions of %lu run%s "
			"into %s; %zu entr%s wait for review (\"review\": "
			"true)\n",
			r.decisions, r.runs, r.runs == 1 ? "" : "s",
			strcmp(o->out, "-") ? o->out : "stdout", n_review,
			n_review == 1 ? "y" : "ies");
	}
out:
	free(text);
	for (size_t i = 0; i < r.n_pend; i++)
		free(r.pend[i].command);
	rules_learn_free(r.learn);
	rules_policy_free(r.base);
	free_ws(&r);
	return rc;
}

/* ---- running the command ----------------------------------------------------
 */

/* A run log of its own, named like the runs of `proctor run`. */
static int log_name(char *out, size_t size)
{
	char dir[PATH_MAX], t[32];
	struct tm tm;
	time_t now = time(NULL);

	tools_xdg_dir(dir, sizeof(dir), "XDG_STATE_HOME", ".local/state");
	strncat(dir, "/runs", sizeof(dir) - strlen(dir) - 1);
	if (tools_mkdirs(dir, 0700) < 0) {
		fprintf(stderr, "proctor: cannot create %s: %s\n", dir,
			strerror(errno));
		return -1;
	}
	gmtime_r(&now, &tm);
	strftime(t, sizeof(t), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(out, size, "%s/%s-%d-learn.jsonl", dir, t, getpid());
	return 0;
}

/* Runs `proctor run` on CMD; returns its exit status. */
static int run_cmd(const struct learn_opts *o, char **cmd, const char *log)
{
	const char *av[MAX_WS * 2 + 16];
	char self[PATH_MAX];
	size_t n = 0, i;
	ssize_t len;
	int st;
	pid_t pid;

	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len < 0)
		return EXIT_FAIL;
	self[len] = '\0';
	av[n++] = "proctor";
	av[n++] = "run";
	av[n++] = "--log";
	av[n++] = log;
	for (i = 0; i < o->n_ws; i++) {
		av[n++] = "--workspace";
		av[n++] = o->ws[i];
	}
	if (o->base) {
		av[n++] = "--policy";
		av[n++] = o->base;
	}
	if (o->permissive)
		av[n++] = "--permissive";
	if (o->quiet)
		av[n++] = "--quiet";
	av[n++] = "--";
	av[n] = NULL;

	pid = fork();
	if (pid < 0)
		return EXIT_FAIL;
	if (pid == 0) {
		const char **all = calloc(n + 1024, sizeof(*all));

		for (i = 0; all && i < n; i++)
			all[i] = av[i];
		for (i = 0; all && cmd[i] && i < 1023; i++)
			all[n + i] = cmd[i];
		if (all)
			execv(self, (char *const *)all);
		_exit(EXIT_FAIL);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return EXIT_FAIL;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: proctor learn [-o FILE] [--base POLICY] [--permissive] "
		"[-w DIR]... -- CMD [ARG]...\n"
		"       proctor learn --from LOG [-o FILE] [--base POLICY]\n"
		"\n"
		"  -o, --output FILE  where the policy goes (default: "
		"proctor-learned.json;\n"
		"                     with --from, stdout; '-': stdout)\n"
		"  --base POLICY      run under the built-in policy and "
		"POLICY; what they\n"
		"                     deny is denied and learned as needed, "
		"for review\n"
		"  --permissive       let CMD do everything (it runs "
		"unconfined), and learn\n"
		"                     what the base would deny as needed\n"
		"  --from LOG         learn from the log of a run\n"
		"  -w, --workspace DIR  as for proctor run\n"
		"  -q, --quiet        no summary\n");
}

static int parse(struct learn_opts *o, int argc, char **argv)
{
	static const struct option longs[] = {
		{ "output", 1, 0, 'o' },     { "base", 1, 0, 'b' },
		{ "permissive", 0, 0, 'p' }, { "from", 1, 0, 'f' },
		{ "workspace", 1, 0, 'w' },  { "quiet", 0, 0, 'q' },
		{ "help", 0, 0, 'h' },	     { 0, 0, 0, 0 },
	};
	int ch;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+o:w:qh", longs, NULL)) != -1) {
		switch (ch) {
		case 'o':
			o->out = optarg;
			break;
		case 'b':
			o->base = optarg;
			break;
		case 'p':
			o->permissive = true;
			break;
		case 'f':
			o->from = optarg;
			break;
		case 'w':
			if (o->n_ws == MAX_WS)
				return -1;
			o->ws[o->n_ws++] = optarg;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			fprintf(stderr,
				"proctor: learn: %s: unknown option or "
				"missing value; see 'proctor learn --help'\n",
				argv[optind - 1]);
			return -1;
		}
	}
	return optind;
}

/* A bad --base is said before anything runs, with its file and path. */
static int check_base(const struct learn_opts *o)
{
	const char *ws[] = { "/workspace" };
	struct rules_vars v = { "/home/user", "/tmp/proctor-run", ws, 1 };
	struct rules_policy *p;
	char err[1024];
	int rc;

	if (!o->base)
		return 0;
	if (rules_policy_new(&p, &v) < 0)
		return -1;
	rc = rules_policy_add_file(p, o->base, "/workspace", err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "proctor: %s\n", err);
	rules_policy_free(p);
	return rc < 0 ? -1 : 0;
}

int proctor_learn_main(int argc, char **argv)
{
	struct learn_opts o = { 0 };
	char log[PATH_MAX];
	int first, status, rc;

	first = parse(&o, argc + 1, argv - 1);
	if (first < 0)
		return EXIT_FAIL;
	first--; /* an index into argv */
	if (o.from) {
		if (first < argc || o.permissive || o.n_ws) {
			fprintf(stderr, "proctor: learn --from LOG takes no "
					"command, --permissive or "
					"--workspace\n");
			return EXIT_FAIL;
		}
		if (!o.out)
			o.out = "-";
		if (check_base(&o) < 0)
			return EXIT_FAIL;
		return learn_from(&o, o.from) ? EXIT_FAIL : 0;
	}
	if (first >= argc) {
		fprintf(stderr, "proctor: no command given: proctor learn "
				"[OPTION]... -- CMD [ARG]...\n");
		return EXIT_FAIL;
	}
	if (!o.out)
		o.out = "proctor-learned.json";
	if (check_base(&o) < 0 || log_name(log, sizeof(log)) < 0)
		return EXIT_FAIL;

	status = run_cmd(&o, argv + first, log);
	if (access(log, F_OK) < 0) {
		/* proctor run said why: no command, a bad workspace, ... */
		fprintf(stderr, "proctor: the run left no log: nothing "
				"learned\n");
		return status ? status : EXIT_FAIL;
	}
	if (!o.quiet)
		fprintf(stderr, "proctor: %s exited %d; learning from %s\n",
			argv[first], status, log);
	rc = learn_from(&o, log);
	/* like run: CMD's status, unless proctor failed */
	return rc ? EXIT_FAIL : status;
}

/* ---- proctor policy diff
 * ------------------------------------------------------ */

/* One entry of a policy file, as the diff compares them. */
struct pentry {
	const char *list; /* "files.read.allow" */
	char *pattern;	  /* a string's text, or an array as JSON */
	bool review;
	long events; /* -1: not given */
	const char *why;
};

struct pfile {
	cJSON *root;
	struct pentry *v;
	size_t n;
	const char *defaults[RULES_NCLASS];
};

static const char *const class_path[RULES_NCLASS][2] = {
	[RULES_READ] = { "files", "read" },
	[RULES_WRITE] = { "files", "write" },
	[RULES_CONNECT] = { "network", NULL },
	[RULES_EXEC] = { "exec", NULL },
};

static const char *const list_names[RULES_NCLASS][4] = {
	[RULES_READ] = { "files.read.allow", "files.read.deny",
			 "files.read.ask", NULL },
	[RULES_WRITE] = { "files.write.allow", "files.write.deny",
			  "files.write.ask", "files.write.create" },
	[RULES_CONNECT] = { "network.allow", "network.deny", "network.ask",
			    NULL },
	[RULES_EXEC] = { "exec.allow", "exec.deny", "exec.ask", NULL },
};

/*
 * A command's grant (#6) is part of what the entry says: "git push
 * grant {...}", so a diff shows a grant added, changed or dropped.
 */
static int with_grant(struct pentry *e, const cJSON *item)
{
	const cJSON *g = cJSON_GetObjectItemCaseSensitive(item, "grant");
	char *text, *both;

	if (!cJSON_IsObject(item) || !g)
		return 0;
	text = cJSON_PrintUnformatted(g);
	if (!text || asprintf(&both, "%s grant %s", e->pattern, text) < 0) {
		free(text);
		return -ENOMEM;
	}
	free(text);
	free(e->pattern);
	e->pattern = both;
	return 0;
}

static int add_pentry(struct pfile *f, const char *list, const cJSON *item)
{
	const cJSON *pat = item, *ev;
	struct pentry *e, *nv;

	nv = realloc(f->v, (f->n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	f->v = nv;
	e = &f->v[f->n];
	*e = (struct pentry){ .list = list, .events = -1 };
	if (cJSON_IsObject(item)) {
		pat = cJSON_GetObjectItemCaseSensitive(item, "pattern");
		ev = cJSON_GetObjectItemCaseSensitive(item, "events");
		e->review = cJSON_IsTrue(
			cJSON_GetObjectItemCaseSensitive(item, "review"));
		e->events = cJSON_IsNumber(ev) ? (long)ev->valuedouble : -1;
		e->why = str(item, "why");
	}
	e->pattern = cJSON_IsString(pat) ? strdup(pat->valuestring)
					 : cJSON_PrintUnformatted(pat);
	if (!e->pattern || with_grant(e, item) < 0)
		return -ENOMEM;
	f->n++;
	return 0;
}

static const char *action_keys[] = { "allow", "deny", "ask", "create" };

static int load_class(struct pfile *f, enum rules_class c)
{
	const cJSON *o =
		cJSON_GetObjectItemCaseSensitive(f->root, class_path[c][0]);
	const cJSON *item;
	size_t a;

	if (class_path[c][1])
		o = cJSON_GetObjectItemCaseSensitive(o, class_path[c][1]);
	if (!o)
		return 0;
	f->defaults[c] = str(o, "default");
	for (a = 0; a < 4; a++) {
		if (!list_names[c][a])
			continue;
		cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(
						 o, action_keys[a]))
		{
			if (add_pentry(f, list_names[c][a], item) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

/* Checks file as `policy check` does, then reads its entries. */
static int load_pfile(const char *file, struct pfile *f)
{
	const char *ws[] = { "/workspace" };
	struct rules_vars v = { "/home/user", "/tmp/proctor-run", ws, 1 };
	struct rules_policy *p;
	char err[1024], *text;
	int c, rc;

	memset(f, 0, sizeof(*f));
	if (rules_policy_new(&p, &v) < 0)
		return -ENOMEM;
	rc = rules_policy_add_file(p, file, "/workspace", err, sizeof(err));
	rules_policy_free(p);
	if (rc < 0) {
		fprintf(stderr, "proctor: %s\n", err);
		return rc;
	}
	text = tools_read_file(file);
	f->root = text ? cJSON_Parse(text) : NULL;
	free(text);
	if (!f->root)
		return -EIO;
	for (c = 0; c < RULES_NCLASS; c++)
		if (load_class(f, (enum rules_class)c) < 0)
			return -ENOMEM;
	return 0;
}

static void free_pfile(struct pfile *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->v[i].pattern);
	free(f->v);
	cJSON_Delete(f->root);
}

static const struct pentry *find_pentry(const struct pfile *f,
					const struct pentry *e)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].list, e->list) &&
		    !strcmp(f->v[i].pattern, e->pattern))
			return &f->v[i];
	return NULL;
}

static void print_pentry(char sign, const struct pentry *e)
{
	char safe[2048];

	tracer_printable(safe, sizeof(safe), e->pattern);
	printf("%c %s %s", sign, e->list, safe);
	if (e->events >= 0)
		printf("  (%ld event%s)", e->events, e->events == 1 ? "" : "s");
	if (e->review)
		printf("  [review]");
	if (e->why) {
		tracer_printable(safe, sizeof(safe), e->why);
		printf("  %s", safe);
	}
	putchar('\n');
}

/* Lines of one sign: what b has that a has not (or changed review). */
static size_t diff_side(const struct pfile *a, const struct pfile *b, char sign)
{
	const struct pentry *other;
	size_t i, n = 0;

	for (i = 0; i < b->n; i++) {
		other = find_pentry(a, &b->v[i]);
		if (!other) {
			print_pentry(sign, &b->v[i]);
			n++;
		} else if (sign == '+' && other->review != b->v[i].review) {
			print_pentry('~', &b->v[i]);
			printf("    %s\n",
			       b->v[i].review ? "now waits for review"
					      : "no longer waits for review: "
						"it grants");
			n++;
		}
	}
	return n;
}

/* "network": {"intercept": ...} as written, or NULL (#8). */
static const char *intercept_of(const struct pfile *f)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(f->root, "network"),
		"intercept");

	return cJSON_IsBool(j) ? (cJSON_IsTrue(j) ? "true" : "false") : NULL;
}

int proctor_policy_diff(int argc, char **argv)
{
	struct pfile a, b;
	size_t n = 0;
	int c, rc;

	if (argc != 2) {
		fprintf(stderr, "usage: proctor policy diff OLD NEW\n");
		return 2;
	}
	rc = load_pfile(argv[0], &a);
	if (rc == 0)
		rc = load_pfile(argv[1], &b);
	else
		memset(&b, 0, sizeof(b));
	if (rc < 0) {
		if (rc == -EIO)
			fprintf(stderr, "proctor: cannot read %s\n",
				a.root ? argv[1] : argv[0]);
		free_pfile(&a);
		free_pfile(&b);
		return 2;
	}
	for (c = 0; c < RULES_NCLASS; c++) {
		const char *x = a.defaults[c], *y = b.defaults[c];

		if ((x || y) && (!x || !y || strcmp(x, y))) {
			printf("~ %s%s%s.default %s -> %s\n", class_path[c][0],
			       class_path[c][1] ? "." : "",
			       class_path[c][1] ? class_path[c][1] : "",
			       x ? x : "(unset)", y ? y : "(unset)");
			n++;
		}
	}
	if ((intercept_of(&a) || intercept_of(&b)) &&
	    (!intercept_of(&a) || !intercept_of(&b) ||
	     strcmp(intercept_of(&a), intercept_of(&b)))) {
		printf("~ network.intercept %s -> %s\n",
		       intercept_of(&a) ? intercept_of(&a) : "(unset)",
		       intercept_of(&b) ? intercept_of(&b) : "(unset)");
		n++;
	}
	n += diff_side(&b, &a, '-');
	n += diff_side(&a, &b, '+');
	free_pfile(&a);
	free_pfile(&b);
	return n ? 1 : 0;
}
