/* SPDX-License-Identifier: MIT */
/*
 * `proctor learn`: from a run to a policy.
 *
 *   proctor learn [-o FILE] [--base POLICY] [--permissive] [-w DIR]...
 *                 [--force] -- CMD
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
#include <openssl/evp.h>
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
	bool permissive, quiet, force;
};

/* ---- reading the log ------------------------------------------------------ */

/* An exec judged for pid, waiting for the record of what it loaded. */
struct pending {
	long pid;
	char *command; /* NULL: nothing waits */
	bool used;     /* the slot is pid's */
};

struct reader {
	const struct learn_opts *o;
	const char *file;
	long line;
	bool failed;
	/* the log is incomplete: a cut last line, a run without "end" */
	bool incomplete;
	long run_line; /* of the current run's record; 0: none or ended */
	struct rules_learn *learn;
	struct rules_policy *base;
	struct rules_policy *own; /* the user's policy.json alone, or NULL */
	char *ws[MAX_WS];
	size_t n_ws;
	/* the exec each process waits on, between its exec decision and
	 * its exec record (or exit): a table by pid, open addressing, so a
	 * lookup costs the same however many processes the run had */
	struct pending *pend;
	size_t n_pend, cap_pend; /* pids in it; slots (a power of two) */
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

/*
 * The exact bytes of a base64 field (schema 2's KEY_b64, beside a KEY
 * that shows them as readable text), malloc'd; NULL when it is not
 * base64 or holds a NUL (no name does).
 */
static char *unbase64(const char *b64)
{
	size_t len = strlen(b64), pad = 0;
	unsigned char *out;
	int n;

	if (len % 4)
		return NULL;
	out = malloc(len / 4 * 3 + 1);
	if (!out)
		return NULL;
	n = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)len);
	if (n < 0) {
		free(out);
		return NULL;
	}
	pad = len && b64[len - 1] == '=' ? 1 + (len > 1 && b64[len - 2] == '=')
					 : 0;
	n -= (int)pad;
	out[n] = '\0';
	if (memchr(out, '\0', (size_t)n)) {
		free(out);
		return NULL;
	}
	return (char *)out;
}

/*
 * KEY of rec as the run saw it: KEY_b64's bytes when the record has
 * them (a name that is not UTF-8), else KEY.  *keep is what to free.
 */
static const char *exact(const cJSON *rec, const char *key, char **keep,
			 bool *bad)
{
	char k[64];
	const char *b64;

	snprintf(k, sizeof(k), "%s_b64", key);
	b64 = str(rec, k);
	if (!b64)
		return str(rec, key);
	*keep = unbase64(b64);
	if (!*keep)
		*bad = true;
	return *keep;
}

static const char *home_of(const cJSON *rec, char **keep, bool *b64_bad)
{
	static char real[PATH_MAX];
	const char *h = exact(rec, "home", keep, b64_bad);

	/* logs before the "home" field: the reader's home */
	if (!h)
		h = getenv("HOME");
	if (!h || h[0] != '/')
		return NULL;
	return realpath(h, real) ? real : h;
}

/* The home of the user who learns (and will enforce the policy). */
static const char *reader_home(void)
{
	static char real[PATH_MAX];
	const char *h = getenv("HOME");

	if (!h || h[0] != '/')
		return NULL;
	return realpath(h, real) ? real : h;
}

/*
 * The user's own policy.json alone: its read denials are secrets too,
 * whatever --base says (its allows stand for the runs, not for what a
 * learned policy may say without review).
 */
static struct rules_policy *own_policy(const struct rules_vars *v)
{
	struct rules_policy *p;
	char file[PATH_MAX], err[1024];

	tools_xdg_dir(file, sizeof(file), "XDG_CONFIG_HOME", ".config");
	strncat(file, "/policy.json", sizeof(file) - strlen(file) - 1);
	if (access(file, F_OK) < 0 || rules_policy_new(&p, v) < 0)
		return NULL;
	if (rules_policy_add_file(p, file,
				  v->n_workspaces ? v->workspaces[0] : NULL,
				  err, sizeof(err)) < 0) {
		rules_policy_free(p);
		return NULL; /* proctor run says what is wrong with it */
	}
	return p;
}

/* The base policy for one run: the built-in, then --base. */
static struct rules_policy *base_policy(struct reader *r,
					const struct rules_vars *v)
{
	struct rules_policy *p;
	char err[1024];

	char *text = r->o->base ? tools_read_file(r->o->base) : NULL;
	bool builtin = !text || !rules_json_drops_builtin(text);

	free(text);
	if (rules_policy_new(&p, v) < 0)
		return NULL;
	/* as `proctor run --policy BASE` builds it, the user's layers
	 * between (they say what went wrong themselves) */
	if (builtin && rules_policy_add_json(p, rules_default_json, "built-in",
					     NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "proctor: %s\n", err);
		rules_policy_free(p);
		return NULL;
	}
	if (tools_user_layers(p, v) < 0) {
		rules_policy_free(p);
		return NULL;
	}
	if ((r->o->base &&
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

/* The slot of pid, or the free slot where it would go. */
static struct pending *slot_of(struct pending *t, size_t cap, long pid)
{
	size_t i = ((unsigned long)pid * 2654435761UL) & (cap - 1);

	while (t[i].used && t[i].pid != pid)
		i = (i + 1) & (cap - 1);
	return &t[i];
}

static struct pending *find_pending(struct reader *r, long pid)
{
	struct pending *p;

	if (!r->cap_pend)
		return NULL;
	p = slot_of(r->pend, r->cap_pend, pid);
	return p->used && p->command ? p : NULL;
}

static void drop_pending(struct reader *r, struct pending *p)
{
	free(p->command);
	p->command = NULL; /* the slot stays pid's */
}

static void clear_pending(struct reader *r)
{
	size_t i;

	for (i = 0; i < r->cap_pend; i++)
		free(r->pend[i].command);
	if (r->pend)
		memset(r->pend, 0, r->cap_pend * sizeof(*r->pend));
	r->n_pend = 0;
}

/* Twice the slots, every pid moved to its place in them. */
static int grow_pending(struct reader *r)
{
	size_t cap = r->cap_pend ? r->cap_pend * 2 : 256, i;
	struct pending *t = calloc(cap, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (i = 0; i < r->cap_pend; i++)
		if (r->pend[i].used)
			*slot_of(t, cap, r->pend[i].pid) = r->pend[i];
	free(r->pend);
	r->pend = t;
	r->cap_pend = cap;
	return 0;
}

/* An exec judged for pid: the next exec record of pid tells what ran. */
static void remember_exec(struct reader *r, long pid, const char *command)
{
	struct pending *p;

	if (2 * (r->n_pend + 1) > r->cap_pend && grow_pending(r) < 0)
		return bad(r, "%s", "out of memory");
	p = slot_of(r->pend, r->cap_pend, pid);
	if (!p->used) {
		p->used = true;
		p->pid = pid;
		r->n_pend++;
	}
	free(p->command);
	p->command = strdup(command);
	if (!p->command)
		bad(r, "%s", "out of memory");
}

/*
 * A run whose "end" record never came was cut short: proctor was killed,
 * the machine stopped, or the file was cut.  What it logged is learned,
 * and the user is told, with the line of its "run" record.
 */
static void run_unended(struct reader *r)
{
	if (!r->run_line)
		return;
	fprintf(stderr,
		"proctor: %s:%ld: this run has no \"end\" record (it was cut "
		"short); learned from what it logged\n",
		r->file, r->run_line);
	r->incomplete = true;
	r->run_line = 0;
}

/*
 * A run whose reads the kernel judged (tracer/landlock.c) logged none of
 * them: a policy learned from it would list no reads.
 */
static void on_kernel(struct reader *r, const cJSON *rec)
{
	const char *reads = str(rec, "reads");

	if (!reads || strncmp(reads, "kernel", 6))
		return;
	fprintf(stderr,
		"proctor: %s:%ld: this run's reads were judged by the kernel "
		"and are not in the log (run with --log-reads, or use "
		"`proctor learn -- CMD`); learned from the rest\n",
		r->file, r->line);
	r->incomplete = true;
}

/* A "run" record: the names of this run, and its base policy. */
static void on_run(struct reader *r, const cJSON *rec)
{
	const cJSON *ws =
		cJSON_GetObjectItemCaseSensitive(rec, "workspaces_b64");
	const cJSON *w;
	struct rules_vars v = { 0 };
	bool permissive, b64 = ws != NULL, b64_bad = false;
	char *keep_home = NULL, *keep_tmp = NULL;

	run_unended(r);
	r->run_line = r->line;
	free_ws(r);
	clear_pending(r); /* pids of another run */
	if (!b64)
		ws = cJSON_GetObjectItemCaseSensitive(rec, "workspaces");
	cJSON_ArrayForEach(w, ws)
	{
		char *one = !cJSON_IsString(w) ? NULL
			    : b64	       ? unbase64(w->valuestring)
					       : strdup(w->valuestring);

		if (!one || one[0] != '/' || r->n_ws == MAX_WS) {
			free(one);
			return bad(r, "%s",
				   "a workspace that is not an "
				   "absolute path");
		}
		r->ws[r->n_ws++] = one;
	}
	v.home = home_of(rec, &keep_home, &b64_bad);
	v.tmpdir = exact(rec, "tmpdir", &keep_tmp, &b64_bad);
	if (b64_bad || (v.tmpdir && v.tmpdir[0] != '/')) {
		free(keep_home);
		free(keep_tmp);
		return bad(r, "%s", "\"tmpdir\" is not an absolute path");
	}
	v.workspaces = (const char *const *)r->ws;
	v.n_workspaces = r->n_ws;
	permissive = cJSON_IsTrue(
		cJSON_GetObjectItemCaseSensitive(rec, "permissive"));

	rules_policy_free(r->base);
	rules_policy_free(r->own);
	r->base = base_policy(r, &v);
	r->own = own_policy(&v);
	if (!r->base)
		r->failed = true;
	else if ((r->learn ? rules_learn_set_run(r->learn, &v, r->base,
						 permissive)
			   : rules_learn_new(&r->learn, &v, r->base,
					     permissive)) ||
		 rules_learn_set_reader(r->learn, reader_home(), r->own))
		bad(r, "%s", "out of memory");
	else
		r->runs++;
	free(keep_home);
	free(keep_tmp);
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
	/*
	 * A request or a server name the relay judged: through proctor's
	 * proxy, the only record of the name the program reached (its
	 * connect was to the proxy).
	 */
	if (!strcmp(s, "connect") || !strcmp(s, "resolve") ||
	    !strcmp(s, "http") || !strcmp(s, "tls"))
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

static int err_of(const cJSON *rec)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(rec, "errno");

	return cJSON_IsNumber(e) ? (int)e->valuedouble : 0;
}

/* An open's or openat's flags, from the record's raw arguments. */
static bool open_flags(const cJSON *rec, const char *sc,
		       unsigned long long *flags)
{
	if (!strcmp(sc, "open"))
		*flags = arg_of(rec, 1);
	else if (!strcmp(sc, "openat"))
		*flags = arg_of(rec, 2);
	else
		return false;
	return true;
}

/* O_CREAT | O_EXCL (O_PATH ignores both): the file is new or the open
 * fails, so nothing there is read (tracer/open.c) */
static bool exclusive(unsigned long long flags)
{
	return (flags & (O_CREAT | O_EXCL | O_PATH)) == (O_CREAT | O_EXCL);
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
	if (!open_flags(rec, sc, &flags) || exclusive(flags))
		return false;
	return (flags & O_ACCMODE) != O_WRONLY || flags & O_PATH;
}

/* Whether a write made its name anew: O_CREAT | O_EXCL, or mkdir. */
static bool made_anew(const cJSON *rec)
{
	const char *sc = str(rec, "syscall");
	unsigned long long flags;

	if (!sc)
		return false;
	if (!strcmp(sc, "mkdir") || !strcmp(sc, "mkdirat"))
		return true;
	return open_flags(rec, sc, &flags) && exclusive(flags);
}

/*
 * Whether the object is a directory: the record says so ("dir"), or,
 * in logs written before it did, the call asked for one (O_DIRECTORY,
 * mkdir, rmdir).
 */
static bool is_dir(const cJSON *rec)
{
	const char *sc = str(rec, "syscall");
	unsigned long long flags;

	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "dir")))
		return true;
	if (!sc)
		return false;
	if (!strcmp(sc, "mkdir") || !strcmp(sc, "mkdirat") ||
	    !strcmp(sc, "rmdir"))
		return true;
	return open_flags(rec, sc, &flags) && flags & O_DIRECTORY;
}

/*
 * Whether a write made a symlink, FIFO or socket (a create rule lets a
 * run make none): a unix bind, symlink, or mknod of one of the two.
 */
static bool makes_special(const cJSON *rec)
{
	const char *sc = str(rec, "syscall");
	unsigned long long mode;

	if (!sc)
		return false;
	if (!strcmp(sc, "bind") || !strcmp(sc, "symlink") ||
	    !strcmp(sc, "symlinkat"))
		return true;
	if (!strcmp(sc, "mknod"))
		mode = arg_of(rec, 1);
	else if (!strcmp(sc, "mknodat"))
		mode = arg_of(rec, 2);
	else
		return false;
	return (mode & S_IFMT) == S_IFIFO || (mode & S_IFMT) == S_IFSOCK;
}

/*
 * argv as a vector of the record's strings, or of argv_b64's exact
 * words when it has them (kept in *words, to free).
 */
static const char **argv_of(const cJSON *rec, size_t *n, char ***words)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(rec, "argv_b64"), *w;
	bool b64 = a != NULL;
	const char **v;
	size_t len;

	*n = 0;
	*words = NULL;
	if (!b64)
		a = cJSON_GetObjectItemCaseSensitive(rec, "argv");
	if (!cJSON_IsArray(a))
		return NULL;
	len = (size_t)cJSON_GetArraySize(a) + 1;
	v = calloc(len, sizeof(*v));
	if (!v || (b64 && !(*words = calloc(len, sizeof(**words))))) {
		free(v);
		return NULL;
	}
	cJSON_ArrayForEach(w, a)
	{
		if (!cJSON_IsString(w) ||
		    (b64 && !((*words)[*n] = unbase64(w->valuestring)))) {
			free(v);
			return NULL;
		}
		v[*n] = b64 ? (*words)[*n] : w->valuestring;
		(*n)++;
	}
	return v;
}

static void free_words(char **words)
{
	size_t i;

	for (i = 0; words && words[i]; i++)
		free(words[i]);
	free(words);
}

/*
 * Decided by proctor rather than by the policy: a pipe or socket object,
 * another process's /proc, a query it cannot answer, a socket the run
 * made (which it will be let reach again), a terminal (the run's own
 * are the run's; an entry for /dev/pts/N in an older log would open
 * another window's, tracer/pts.c).
 */
static bool by_proctor(const cJSON *rec)
{
	const cJSON *rule = cJSON_GetObjectItemCaseSensitive(rec, "rule");
	const char *origin = str(rule, "origin");
	const char *path = str(rec, "path");

	if (path && tracer_pts_index(path) >= 0)
		return true;
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

/* The record's names, exact (KEY_b64) where it has them; to free. */
struct names {
	char *obj, *to, *name, **words;
	const char **argv;
};

static void free_names(struct names *n)
{
	free(n->obj);
	free(n->to);
	free(n->name);
	free_words(n->words);
	free(n->argv);
}

/* The object of a decision of class cls: its key in the record. */
static const char *object_key(const char *cls, enum rules_class c)
{
	if (!strcmp(cls, "resolve"))
		return "name";
	if (c == RULES_CONNECT)
		return "addr";
	if (c == RULES_EXEC)
		return "command";
	return "path";
}

/* Fills e's names from rec; false (said) when one is missing or bad. */
static bool read_names(struct reader *r, const cJSON *rec, const char *cls,
		       struct rules_learn_event *e, struct names *n)
{
	bool b64_bad = false;

	e->object = exact(rec, object_key(cls, e->cls), &n->obj, &b64_bad);
	e->to = exact(rec, "to", &n->to, &b64_bad);
	e->name = exact(rec, "name", &n->name, &b64_bad);
	if (b64_bad) {
		bad(r, "%s", "a _b64 field that is not base64 of a name");
		return false;
	}
	if (!e->object) {
		bad(r, "a %s decision without its object", cls);
		return false;
	}
	if (e->cls != RULES_EXEC)
		return true;
	n->argv = argv_of(rec, &e->argc, &n->words);
	e->argv = n->argv;
	if (!n->argv || !e->argc) {
		bad(r, "%s", "an exec decision without \"argv\"");
		return false;
	}
	return true;
}

/*
 * A schema 1 log wrote a byte that is not UTF-8 as \u00XX, the
 * character U+00XX: a name with U+0080..U+00FF (UTF-8 C2 or C3 and one
 * more byte) may stand for another name, so its entries wait for review.
 */
static bool latin(const char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s == 0xc2 || (unsigned char)*s == 0xc3)
			return true;
	return false;
}

static bool schema1_latin(const cJSON *rec, const struct rules_learn_event *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, "v");

	if (!cJSON_IsNumber(v) || v->valuedouble != 1)
		return false;
	/* (arguments with them end a learned prefix: no plain words) */
	return latin(e->object) || latin(e->to);
}

static void on_decision(struct reader *r, const cJSON *rec)
{
	const char *cls = str(rec, "class"), *dec = str(rec, "decision");
	const cJSON *pid = cJSON_GetObjectItemCaseSensitive(rec, "pid");
	struct rules_learn_event e = { 0 };
	struct names n = { 0 };
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
	if (!read_names(r, rec, cls, &e, &n)) {
		free_names(&n);
		return;
	}
	e.denied = strcmp(dec, "allow") != 0;
	/* a refused request was refused by its method or shape, not name */
	if (e.denied && (!strcmp(cls, "http") || !strcmp(cls, "tls"))) {
		free_names(&n);
		return;
	}
	/* a read refused of a name with nothing there: nothing to grant,
	 * and a secret's name stays out of the review (tracer/open.c) */
	if (e.denied && e.cls == RULES_READ && err_of(rec) == ENOENT) {
		free_names(&n);
		return;
	}
	/* nor a connect to a loopback port nobody listened on yet (a
	 * script polling for its own server): nothing was withheld */
	if (e.denied && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
				rec, "no_listener"))) {
		free_names(&n);
		return;
	}
	e.created = cJSON_IsTrue(
		cJSON_GetObjectItemCaseSensitive(rec, "created_by_run"));
	e.also_read = e.cls == RULES_WRITE && also_read(rec);
	e.made_anew = e.cls == RULES_WRITE && made_anew(rec);
	e.dir = (e.cls == RULES_READ || e.cls == RULES_WRITE) && is_dir(rec);
	e.preexisting = cJSON_IsTrue(
		cJSON_GetObjectItemCaseSensitive(rec, "preexisting"));
	e.special = e.cls == RULES_WRITE && makes_special(rec);
	e.to_special = e.cls == RULES_WRITE &&
		       cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
			       rec, "to_special"));
	e.unsure = schema1_latin(rec, &e);
	if (e.denied)
		e.rule = rule_text(rec, rule, sizeof(rule));
	if (e.cls == RULES_EXEC && !e.denied && cJSON_IsNumber(pid))
		remember_exec(r, (long)pid->valuedouble, e.object);
	rc = rules_learn_add(r->learn, &e);
	free_names(&n);
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
	struct rules_learn_event e = { .cls = RULES_EXEC, .interpreter = true };
	char *keep = NULL;
	bool b64_bad = false;
	const char *exe = exact(rec, "exe", &keep, &b64_bad);
	struct pending *p;

	if (b64_bad)
		return bad(r, "%s",
			   "a _b64 field that is not base64 of a name");
	if (!cJSON_IsNumber(pid) || !exe || !r->learn) {
		free(keep);
		return;
	}
	p = find_pending(r, (long)pid->valuedouble);
	if (p && p->command && strcmp(p->command, exe) && exe[0] == '/') {
		e.object = exe;
		e.unsure = schema1_latin(rec, &e);
		if (rules_learn_add(r->learn, &e) < 0)
			bad(r, "%s", "out of memory");
	}
	if (p)
		drop_pending(r, p);
	free(keep);
}

/* A process that ended: an exec it was let try did not happen. */
static void on_exit_record(struct reader *r, const cJSON *rec)
{
	const cJSON *pid = cJSON_GetObjectItemCaseSensitive(rec, "pid");
	struct pending *p;

	if (cJSON_IsNumber(pid) &&
	    (p = find_pending(r, (long)pid->valuedouble)))
		drop_pending(r, p);
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
	rec = cJSON_ParseWithLength(line, len);
	if (cut && !cJSON_IsObject(rec)) {
		/* proctor was stopped while writing it: the rest is whole */
		fprintf(stderr,
			"proctor: %s:%ld: the last line is cut (proctor stopped "
			"while writing it); learned from the %ld lines before "
			"it\n",
			r->file, r->line, r->line - 1);
		r->incomplete = true;
		cJSON_Delete(rec);
		return;
	}
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
	/* names are read exact: KEY_b64 where a record has it (exact()) */
	else if (!strcmp(type, "run"))
		on_run(r, rec);
	else if (!strcmp(type, "kernel"))
		on_kernel(r, rec);
	else if (!strcmp(type, "decision"))
		on_decision(r, rec);
	else if (!strcmp(type, "exec"))
		on_exec(r, rec);
	else if (!strcmp(type, "exit"))
		on_exit_record(r, rec);
	else if (!strcmp(type, "end"))
		r->run_line = 0;
	cJSON_Delete(rec);
}

/* ---- writing the policy
 * ------------------------------------------------------ */

/*
 * -o names a regular file or a new name: the policy replaces it by a
 * rename, which would turn a device, a FIFO or a symlink into a regular
 * file (as root, -o /dev/null replaced /dev/null).  Said before anything
 * runs, and again before the rename.
 */
/*
 * A new name: its directory must be there and writable, said before the
 * run rather than after it (the log would hold the run; learn --from).
 */
static bool out_dir_ok(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (access(dir, W_OK | X_OK) == 0)
		return true;
	fprintf(stderr, "proctor: -o %s: cannot make it in %s: %s\n", path, dir,
		strerror(errno));
	return false;
}

static int check_out(const char *path)
{
	struct stat st;
	size_t n = strlen(path);

	if (!strcmp(path, "-"))
		return 0;
	if (n == 0 || path[n - 1] == '/') {
		fprintf(stderr,
			"proctor: -o %s: names a directory; give a file "
			"name (or - for stdout)\n",
			path);
		return -1;
	}
	if (lstat(path, &st) < 0)
		return out_dir_ok(path) ? 0 : -1; /* a new file */
	if (S_ISREG(st.st_mode))
		return 0;
	fprintf(stderr,
		"proctor: -o %s: exists and is %s, not a regular file: "
		"the policy would replace it; give a regular file or a new "
		"name (or - for stdout)\n",
		path,
		S_ISLNK(st.st_mode)			     ? "a symbolic link"
		: S_ISDIR(st.st_mode)			     ? "a directory"
		: S_ISFIFO(st.st_mode)			     ? "a FIFO"
		: S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
		: S_ISSOCK(st.st_mode)			     ? "a socket"
							     : "special");
	return -1;
}

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

	if (strlen(text) > RULES_MAX_POLICY_FILE) {
		fprintf(stderr,
			"proctor: the learned policy is %zu bytes, more than a "
			"policy file may hold (%d); nothing was written\n",
			strlen(text), RULES_MAX_POLICY_FILE);
		return -EINVAL;
	}
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
	if (!r.failed)
		run_unended(&r);
	if (!r.failed && !r.learn)
		bad(&r, "%s", "no \"run\" record: is this a proctor log?");
	if (r.failed) {
		rules_learn_free(r.learn);
		rules_policy_free(r.base);
		rules_policy_free(r.own);
		rules_policy_free(r.own);
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
	if (text && check_out(o->out) < 0) {
		rc = EXIT_FAIL;
		goto out;
	}
	if (text)
		rc = write_file(o->out, text);
	if (!text || rc) {
		fprintf(stderr, "proctor: cannot write %s: %s\n", o->out,
			strerror(text ? -rc : ENOMEM));
		rc = EXIT_FAIL;
	} else if (!o->quiet || r.incomplete) {
		fprintf(stderr,
			"proctor: learned from %lu decisions of %lu run%s "
			"into %s; %zu entr%s for review (\"review\": "
			"true)%s\n",
			r.decisions, r.runs, r.runs == 1 ? "" : "s",
			strcmp(o->out, "-") ? o->out : "stdout", n_review,
			n_review == 1 ? "y waits" : "ies wait",
			r.incomplete ? "; the log is incomplete (above): what "
				       "it lost is not in the policy"
				     : "");
	}
	if (rc == 0 && r.incomplete)
		rc = 1;
out:
	free(text);
	clear_pending(&r);
	free(r.pend);
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
	/* a policy lists what was read: every read must come to proctor */
	av[n++] = "--log-reads";
	if (o->permissive)
		av[n++] = "--permissive";
	if (o->quiet)
		av[n++] = "--quiet";
	if (o->force)
		av[n++] = "--force";
	av[n++] = "--";
	av[n] = NULL;

	pid = fork();
	if (pid < 0)
		return EXIT_FAIL;
	if (pid == 0) {
		const char **all = calloc(n + 1024, sizeof(*all));

		/* the policy alone goes to stdout: CMD's goes to stderr */
		if (!strcmp(o->out, "-") &&
		    dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
			_exit(EXIT_FAIL);

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
		"[-w DIR]... [--force] -- CMD [ARG]...\n"
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
		"  --force            as for proctor run: / or ~ as a "
		"workspace\n"
		"  -q, --quiet        no summary\n");
}

static int parse(struct learn_opts *o, int argc, char **argv)
{
	static const struct option longs[] = {
		{ "output", 1, 0, 'o' },
		{ "base", 1, 0, 'b' },
		{ "permissive", 0, 0, 'p' },
		{ "from", 1, 0, 'f' },
		{ "workspace", 1, 0, 'w' },
		{ "quiet", 0, 0, 'q' },
		{ "help", 0, 0, 'h' },
		{ "force", 0, 0, 'F' },
		{ 0, 0, 0, 0 },
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
		case 'F':
			o->force = true;
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

/*
 * A policy written into a workspace under another name than the one the
 * built-in policy protects ($WORKSPACE/proctor-learned.json) may be
 * rewritten by a later run there, before it is used: said.
 */
static void warn_in_workspace(const struct learn_opts *o)
{
	char dir[PATH_MAX], real[PATH_MAX], ws[PATH_MAX], *slash;
	size_t i, n = o->n_ws ? o->n_ws : 1, len;

	if (!strcmp(o->out, "-") || o->quiet)
		return;
	snprintf(dir, sizeof(dir), "%s", o->out);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	if (!realpath(slash ? (dir[0] ? dir : "/") : ".", real))
		return;
	for (i = 0; i < n; i++) {
		if (!realpath(o->n_ws ? o->ws[i] : ".", ws))
			continue;
		len = strlen(ws);
		if (strncmp(real, ws, len) ||
		    (real[len] && real[len] != '/' && strcmp(ws, "/")))
			continue;
		if (!real[len] &&
		    !strcmp(slash ? slash + 1 : o->out, "proctor-learned.json"))
			return; /* the built-in policy protects it */
		fprintf(stderr,
			"proctor: note: %s is in the workspace %s, where a "
			"later run may rewrite it; review it before use, or "
			"keep it elsewhere\n",
			o->out, ws);
		return;
	}
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
		if (first < argc || o.permissive || o.n_ws || o.force) {
			fprintf(stderr, "proctor: learn --from LOG takes no "
					"command, --permissive, --workspace "
					"or --force\n");
			return EXIT_FAIL;
		}
		if (!o.out)
			o.out = "-";
		if (check_out(o.out) < 0 || check_base(&o) < 0)
			return EXIT_FAIL;
		rc = learn_from(&o, o.from);
		/* 1: learned from an incomplete log, said on stderr */
		return rc == 1 ? 1 : rc ? EXIT_FAIL : 0;
	}
	if (first >= argc) {
		fprintf(stderr, "proctor: no command given: proctor learn "
				"[OPTION]... -- CMD [ARG]...\n");
		return EXIT_FAIL;
	}
	if (!o.out)
		o.out = "proctor-learned.json";
	if (check_out(o.out) < 0 || check_base(&o) < 0 ||
	    log_name(log, sizeof(log)) < 0)
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
	if (rc == 0 || rc == 1)
		warn_in_workspace(&o);
	/* like run: CMD's status, unless proctor failed */
	return rc && rc != 1 ? EXIT_FAIL : status;
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

/*
 * "beneath": false is part of what the entry says: "~ (itself)" is not
 * "~", which covers everything beneath it.
 */
static int itself_only(struct pentry *e, const cJSON *item)
{
	char *both;

	if (!cJSON_IsObject(item) ||
	    !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(item, "beneath")))
		return 0;
	if (asprintf(&both, "%s (itself, not beneath)", e->pattern) < 0)
		return -ENOMEM;
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
	if (!e->pattern || with_grant(e, item) < 0 || itself_only(e, item) < 0)
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

/* Whether the policy layers over the built-in one ("builtin" not false). */
static bool builtin_of(const struct pfile *f)
{
	return !cJSON_IsFalse(
		cJSON_GetObjectItemCaseSensitive(f->root, "builtin"));
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
	if (builtin_of(&a) != builtin_of(&b)) {
		printf("~ builtin %s -> %s\n",
		       builtin_of(&a) ? "true" : "false",
		       builtin_of(&b) ? "true" : "false");
		n++;
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
