/* SPDX-License-Identifier: MIT */
/*
 * proctor: the command line.  `run` builds the policy from its layers,
 * prepares the run's log and private TMPDIR, and hands over to the
 * supervisor (tracer/).  `policy` checks, shows and approves policies.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "rules/rules.h"
#include "tools/tools.h"
#include "tracer/intercept.h"
#include "tracer/tracer.h"

#define PROCTOR_VERSION "0.1.0"
#define EXIT_FAIL	125
#define MAX_LIST	64

extern char **environ;

struct cli {
	const char *workspaces[MAX_LIST];
	size_t n_workspaces;
	const char *policies[MAX_LIST];
	size_t n_policies;
	struct grant {
		enum rules_class cls;
		enum rules_action act;
		const char *spec;
		const char *flag;
	} grants[256];
	size_t n_grants;
	const char *log;
	bool no_log, quiet, wait_all, force, keep_tmp, keep_caps, permissive;
	bool log_reads;
	bool syslog;
	bool intercept_tls;	       /* --intercept-tls */
	enum tracer_proxy_offer proxy; /* --proxy, --no-proxy-offer */
	enum tracer_stacks stacks;
	int verbose;
	bool ask;		    /* --ask */
	int prompt_timeout;	    /* -1: the policy's */
	const char *approve_socket; /* --approve-socket */
};

/* ---- options ------------------------------------------------------------ */

enum opt_kind {
	OPT_WORKSPACE = 256,
	OPT_POLICY,
	OPT_LOG,
	OPT_NO_LOG,
	OPT_GRANT,
	OPT_WAIT_ALL,
	OPT_FORCE,
	OPT_KEEP_TMP,
	OPT_HELP,
	OPT_VERBOSE,
	OPT_QUIET,
	OPT_KEEP_CAPS,
	OPT_ASK,
	OPT_PROMPT_TIMEOUT,
	OPT_APPROVE_SOCKET,
	OPT_PERMISSIVE,
	OPT_STACKS,
	OPT_SYSLOG,
	OPT_INTERCEPT_TLS,
	OPT_PROXY,
	OPT_NO_PROXY,
	OPT_LOG_READS,
};

static const struct run_opt {
	const char *name;
	int has_arg;
	enum opt_kind kind;
	enum rules_class cls;
	enum rules_action act;
	const char *help;
	char short_opt;
} run_opts[] = {
	{ "workspace", 1, OPT_WORKSPACE, 0, 0,
	  "DIR   writable project dir (default: .; repeatable)", 'w' },
	{ "policy", 1, OPT_POLICY, 0, 0, "FILE  add a policy layer" },
	{ "log", 1, OPT_LOG, 0, 0, "FILE  decision log ('-': stderr)" },
	{ "no-log", 0, OPT_NO_LOG, 0, 0, "      keep no log" },
	{ "log-reads", 0, OPT_LOG_READS, 0, 0,
	  "      judge and log every read-only open in proctor (else the "
	  "kernel answers them when it can hold the read rules)" },
	{ "stacks", 1, OPT_STACKS, 0, 0,
	  "WHICH none, denied (default) or all: which decisions carry a "
	  "call stack" },
	{ "log-syslog", 0, OPT_SYSLOG, 0, 0,
	  "      each record to syslog too (authpriv, ident proctor)" },
	{ "allow-read", 1, OPT_GRANT, RULES_READ, RULES_ALLOW, "PATH" },
	{ "allow-list", 1, OPT_GRANT, RULES_READ, RULES_ALLOW,
	  "DIR   list DIR's names, read nothing beneath it" },
	{ "deny-read", 1, OPT_GRANT, RULES_READ, RULES_DENY, "PATH" },
	{ "allow-write", 1, OPT_GRANT, RULES_WRITE, RULES_ALLOW, "PATH" },
	{ "allow-dir", 1, OPT_GRANT, RULES_WRITE, RULES_ALLOW,
	  "DIR   change DIR itself (its names, mode), nothing beneath it" },
	{ "deny-write", 1, OPT_GRANT, RULES_WRITE, RULES_DENY, "PATH" },
	{ "allow-net", 1, OPT_GRANT, RULES_CONNECT, RULES_ALLOW,
	  "ADDR  name, *.name, IP, CIDR, [IP]:PORT, unix:PATH" },
	{ "deny-net", 1, OPT_GRANT, RULES_CONNECT, RULES_DENY, "ADDR" },
	{ "allow-exec", 1, OPT_GRANT, RULES_EXEC, RULES_ALLOW,
	  "CMD   command prefix, e.g. 'git push'" },
	{ "deny-exec", 1, OPT_GRANT, RULES_EXEC, RULES_DENY, "CMD" },
	{ "intercept-tls", 0, OPT_INTERCEPT_TLS, 0, 0,
	  "      decrypt HTTPS to domains with \"methods\" to judge them" },
	{ "proxy", 0, OPT_PROXY, 0, 0,
	  "      offer CMD proctor's HTTP proxy (HTTP_PROXY, HTTPS_PROXY)" },
	{ "no-proxy-offer", 0, OPT_NO_PROXY, 0, 0,
	  "      leave the environment's proxy variables alone" },
	{ "wait-all", 0, OPT_WAIT_ALL, 0, 0,
	  "      wait for every process CMD started" },
	{ "force", 0, OPT_FORCE, 0, 0, "      allow / or ~ as workspace" },
	{ "keep-tmp", 0, OPT_KEEP_TMP, 0, 0, "      keep the run's TMPDIR" },
	{ "keep-caps", 0, OPT_KEEP_CAPS, 0, 0,
	  "      root keeps CAP_SYS_ADMIN, CAP_SYS_PTRACE, ..." },
	{ "ask", 0, OPT_ASK, 0, 0,
	  "      ask instead of denying by a default" },
	{ "prompt-timeout", 1, OPT_PROMPT_TIMEOUT, 0, 0,
	  "SECS  unanswered questions are denied after SECS" },
	{ "approve-socket", 1, OPT_APPROVE_SOCKET, 0, 0,
	  "PATH  also ask over a unix socket (see README)" },
	{ "permissive", 0, OPT_PERMISSIVE, 0, 0,
	  "      allow everything, log it (for proctor learn)" },
	{ "quiet", 0, OPT_QUIET, 0, 0, "      no denial lines on stderr", 'q' },
	{ "verbose", 0, OPT_VERBOSE, 0, 0, "      say more", 'v' },
	{ "help", 0, OPT_HELP, 0, 0, "      this text", 'h' },
};

#define N_RUN_OPTS (sizeof(run_opts) / sizeof(*run_opts))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: proctor run [OPTION]... -- CMD [ARG]...\n"
		"       proctor policy check FILE...\n"
		"       proctor policy show [--workspace DIR]...\n"
		"       proctor policy approve FILE\n"
		"       proctor policy answers [list | remove N... | clear]\n"
		"       proctor policy diff OLD NEW\n"
		"       proctor approve [--answer ANSWER] SOCKET\n"
		"       proctor log [tree|summary|verify] ...   "
		"(see proctor log --help)\n"
		"       proctor learn [-o FILE] [--base POLICY] "
		"[--permissive] [-w DIR]... [--force] -- CMD [ARG]...\n"
		"       proctor learn --from LOG [-o FILE]\n"
		"       proctor --version\n\nrun options:\n");
	for (i = 0; i < N_RUN_OPTS; i++)
		fprintf(f, "  --%-14s %s\n", run_opts[i].name,
			run_opts[i].help);
	fprintf(f, "\nExit status: CMD's; 128+N if it died of signal N; "
		   "125 if proctor failed;\n126 if CMD could not be run, "
		   "127 if it was not found.\n");
}

static int add_to(const char **list, size_t *n, const char *v, const char *flag)
{
	if (*n >= MAX_LIST) {
		fprintf(stderr, "proctor: too many --%s\n", flag);
		return -1;
	}
	list[(*n)++] = v;
	return 0;
}

static int parse_timeout(struct cli *c, const char *arg)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < 0 || v > 86400) {
		fprintf(stderr,
			"proctor: --prompt-timeout %s: expected a whole number "
			"of seconds from 0 (wait for the answer) to 86400\n",
			arg);
		return -1;
	}
	c->prompt_timeout = (int)v;
	return 0;
}

static int parse_stacks(struct cli *c, const char *arg)
{
	enum tracer_stacks s;

	for (s = TRACER_STACKS_NONE; s <= TRACER_STACKS_ALL; s++)
		if (!strcmp(arg, tracer_stacks_name(s))) {
			c->stacks = s;
			return 0;
		}
	fprintf(stderr, "proctor: --stacks %s: expected none, denied or all\n",
		arg);
	return -1;
}

static int apply_opt(struct cli *c, const struct run_opt *o, char *arg)
{
	switch (o->kind) {
	case OPT_WORKSPACE:
		return add_to(c->workspaces, &c->n_workspaces, arg, o->name);
	case OPT_POLICY:
		return add_to(c->policies, &c->n_policies, arg, o->name);
	case OPT_LOG: /* the last of --log and --no-log counts */
		c->log = arg;
		c->no_log = false;
		return 0;
	case OPT_NO_LOG:
		c->log = NULL;
		c->no_log = true;
		return 0;
	case OPT_LOG_READS:
		c->log_reads = true;
		return 0;
	case OPT_STACKS:
		return parse_stacks(c, arg);
	case OPT_SYSLOG:
		c->syslog = true;
		return 0;
	case OPT_GRANT:
		if (c->n_grants >= sizeof(c->grants) / sizeof(*c->grants))
			return -1;
		c->grants[c->n_grants].cls = o->cls;
		c->grants[c->n_grants].act = o->act;
		c->grants[c->n_grants].flag = o->name;
		c->grants[c->n_grants++].spec = arg;
		return 0;
	case OPT_WAIT_ALL:
		c->wait_all = true;
		return 0;
	case OPT_FORCE:
		c->force = true;
		return 0;
	case OPT_KEEP_TMP:
		c->keep_tmp = true;
		return 0;
	case OPT_PROXY:
		c->proxy = TRACER_PROXY_ON;
		return 0;
	case OPT_NO_PROXY:
		c->proxy = TRACER_PROXY_OFF;
		return 0;
	case OPT_INTERCEPT_TLS:
		c->intercept_tls = true;
		return 0;
	case OPT_KEEP_CAPS:
		c->keep_caps = true;
		return 0;
	case OPT_PERMISSIVE:
		c->permissive = true;
		return 0;
	case OPT_QUIET:
		c->quiet = true;
		return 0;
	case OPT_VERBOSE:
		c->verbose++;
		return 0;
	case OPT_ASK:
		c->ask = true;
		return 0;
	case OPT_PROMPT_TIMEOUT:
		return parse_timeout(c, arg);
	case OPT_APPROVE_SOCKET:
		c->approve_socket = arg;
		return 0;
	case OPT_HELP:
		usage(stdout);
		exit(0);
	}
	return -1;
}

/*
 * Parses run's options; returns the index of CMD in argv (argc when
 * there is none and none is needed) or -1.
 */
static int parse_run(struct cli *c, int argc, char **argv, bool need_cmd)
{
	struct option longs[N_RUN_OPTS + 1];
	size_t i;
	int ch, idx;

	memset(longs, 0, sizeof(longs));
	c->prompt_timeout = -1;
	for (i = 0; i < N_RUN_OPTS; i++) {
		longs[i].name = run_opts[i].name;
		longs[i].has_arg = run_opts[i].has_arg;
		longs[i].val = 1000 + (int)i;
	}
	optind = 1;
	opterr = 0; /* our own messages, which say "proctor" */
	while ((ch = getopt_long(argc, argv, "+vqhw:", longs, &idx)) != -1) {
		const struct run_opt *o = NULL;

		if (ch >= 1000)
			o = &run_opts[ch - 1000];
		for (i = 0; !o && ch != '?' && i < N_RUN_OPTS; i++)
			if (run_opts[i].short_opt == ch)
				o = &run_opts[i];
		if (!o) {
			fprintf(stderr,
				"proctor: %s: %s; see 'proctor run --help'\n",
				argv[optind - 1],
				ch == ':' || (optopt && ch == '?' &&
					      (optopt >= 1000 ||
					       strchr("w", optopt)))
					? "needs a value"
					: "unknown option");
			return -1;
		}
		if (apply_opt(c, o, optarg) < 0)
			return -1;
	}
	if (optind >= argc && need_cmd) {
		fprintf(stderr, "proctor: no command given: "
				"proctor run [OPTION]... -- CMD [ARG]...\n");
		return -1;
	}
	return optind;
}

/* A message that quotes a policy file: shown without its controls. */
static void print_error(const char *err)
{
	char safe[2048];

	tracer_printable(safe, sizeof(safe), err);
	fprintf(stderr, "proctor: %s\n", safe);
}

/* ---- paths and files ---------------------------------------------------- */

static char *read_all(const char *path, size_t *len);

static const char *home_dir(void)
{
	static bool said;
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h && h[0] == '/')
		return h;
	pw = getpwuid(getuid());
	/* set, but no place: the policy's ~ is said to be another */
	if (h && !said) {
		char safe[256];

		tracer_printable(safe, sizeof(safe), h);
		fprintf(stderr,
			"proctor: HOME is \"%s\", not an absolute path: ~ is "
			"the password file's home, %s\n",
			safe, pw ? pw->pw_dir : "/");
		said = true;
	}
	return pw ? pw->pw_dir : "/";
}

/*
 * The password file's home, resolved, when $HOME names another place
 * (a fake home a program is run with): else NULL.  ssh and gpg take ~
 * from the password file.
 */
static const char *owner_home(char out[PATH_MAX])
{
	struct passwd *pw = getpwuid(getuid());
	char home[PATH_MAX];

	if (!pw || pw->pw_dir[0] != '/' || !realpath(pw->pw_dir, out))
		return NULL;
	if (!realpath(home_dir(), home))
		snprintf(home, sizeof(home), "%s", home_dir());
	return strcmp(out, home) && strcmp(out, "/") ? out : NULL;
}

/* $XDG_<kind>_HOME or ~/<fallback>, then /proctor. */
void tools_xdg_dir(char *out, size_t size, const char *env,
		   const char *fallback)
{
	const char *x = getenv(env);

	if (x && x[0] == '/')
		snprintf(out, size, "%s/proctor", x);
	else
		snprintf(out, size, "%s/%s/proctor", home_dir(), fallback);
}

int tools_mkdirs(const char *path, mode_t mode)
{
	char buf[PATH_MAX], *s;

	snprintf(buf, sizeof(buf), "%s", path);
	for (s = buf + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

char *tools_read_file(const char *path)
{
	return read_all(path, NULL);
}

#define READ_ALL_MAX (16 << 20) /* policies, answers, the approved list */

/*
 * A whole regular file, NUL-terminated; NULL with errno.  A workspace's
 * .proctor.json comes with the repository: a FIFO there would hold the
 * run before it starts (O_NONBLOCK opens it at once), a link to
 * /dev/zero would fill memory (only a regular file, of bounded size).
 */
static char *read_all(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	char *buf = NULL;
	size_t cap = 0, n = 0, r;
	struct stat st;
	FILE *f;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0)
		st.st_mode = 0; /* errno says why */
	else if (S_ISDIR(st.st_mode))
		errno = EISDIR;
	else if (!S_ISREG(st.st_mode))
		errno = EINVAL;
	else if (st.st_size > READ_ALL_MAX)
		errno = EFBIG;
	if (!S_ISREG(st.st_mode) || st.st_size > READ_ALL_MAX) {
		close(fd);
		return NULL;
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return NULL;
	}
	do {
		if (n + 4096 > cap) {
			char *nb = realloc(buf, cap = cap * 2 + 8192);

			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
	} while (r > 0 && n <= READ_ALL_MAX); /* it may grow meanwhile */
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/*
 * OpenSSL's first digest loads its configuration and providers (about a
 * millisecond); a thread does it while the policy is read.  No exit
 * handler: an error path may exit while this runs, and the process's
 * end frees what a clean-up would.
 */
static void *warm_crypto(void *arg)
{
	unsigned char md[32];

	(void)arg;
	OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT | OPENSSL_INIT_LOAD_CONFIG,
			    NULL);
	EVP_Digest("", 0, md, NULL, EVP_sha256(), NULL);
	return NULL;
}

static void sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0, i;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* ---- policy layers ------------------------------------------------------ */

static void approved_path(char *out, size_t size)
{
	tools_xdg_dir(out, size, "XDG_CONFIG_HOME", ".config");
	strncat(out, "/approved", size - strlen(out) - 1);
}

void tools_answers_path(char *out, size_t size)
{
	tools_xdg_dir(out, size, "XDG_CONFIG_HOME", ".config");
	strncat(out, "/answers.jsonl", size - strlen(out) - 1);
}

/*
 * The user's saved answers ("allow always", "deny always"), one layer
 * after the policy files.  A line proctor cannot read stops the run: the
 * user decides what it meant.
 */
static int add_answers_layer(struct rules_policy *p)
{
	char path[PATH_MAX], err[1024], *text;

	tools_answers_path(path, sizeof(path));
	text = read_all(path, NULL);
	if (!text)
		return 0;
	if (rules_policy_add_answers(p, text, path, err, sizeof(err)) < 0) {
		print_error(err);
		fprintf(stderr, "proctor: see `proctor policy answers`; "
				"`proctor policy answers remove N` removes "
				"line N\n");
		free(text);
		return -1;
	}
	free(text);
	return 0;
}

static bool is_approved(const char *hash)
{
	char path[PATH_MAX], *list;
	bool ok;

	approved_path(path, sizeof(path));
	list = read_all(path, NULL);
	ok = list && strstr(list, hash);
	free(list);
	return ok;
}

/* Whether a content of file was approved once (a line "HASH  PATH"). */
static bool approved_before(const char *file)
{
	char path[PATH_MAX], *list, *real = realpath(file, NULL), *at;
	size_t n;
	bool seen = false;

	approved_path(path, sizeof(path));
	list = real ? read_all(path, NULL) : NULL;
	n = real ? strlen(real) : 0;
	for (at = list; at && !seen && (at = strstr(at, real)) != NULL; at++)
		seen = at >= list + 2 && at[-1] == ' ' && at[-2] == ' ' &&
		       (at[n] == '\n' || at[n] == '\0');
	free(list);
	free(real);
	return seen;
}

/* A policy file that says "builtin": false (unreadable: it says not). */
static bool drops_builtin(const char *file)
{
	size_t len;
	char *text = read_all(file, &len);
	bool drops = text && rules_json_drops_builtin(text);

	free(text);
	return drops;
}

/*
 * "builtin": false is the user's word, given on the command line: in
 * the user's own file or a project's it would silently take the
 * built-in protections from every run.
 */
static void builtin_ignored(const char *file)
{
	if (drops_builtin(file))
		fprintf(stderr,
			"proctor: %s: \"builtin\": false is honoured only in "
			"a file given with --policy; ignored here\n",
			file);
}

/*
 * The policy files the run uses (--policy, the project's, the user's):
 * the run must not rewrite what governs it, or the next run under it
 * (a learned policy in the workspace).  Denied for writing, like
 * proctor's own files, once the last layer is in.
 */
static char *used_files[MAX_LIST + 16];
static size_t n_used;

static int add_file_layer(struct rules_policy *p, const char *file,
			  const char *base)
{
	char err[1024], *real;

	if (rules_policy_add_file(p, file, base, err, sizeof(err)) < 0) {
		print_error(err);
		return -1;
	}
	real = realpath(file, NULL);
	if (real && n_used < sizeof(used_files) / sizeof(used_files[0]))
		used_files[n_used++] = real;
	else
		free(real);
	return 0;
}

static int protect_policy_files(struct rules_policy *p)
{
	char err[1024];
	int rc = 0;

	for (; n_used; free(used_files[--n_used]))
		if (rc == 0 &&
		    rules_policy_add_protected(p, used_files[n_used - 1], true,
					       err, sizeof(err)) < 0) {
			print_error(err);
			rc = -1;
		}
	return rc;
}

/*
 * A policy inside the workspace was written by whoever wrote the
 * repository: honoured only once the user approved its exact content.
 */
static int add_project_layer(struct rules_policy *p, const char *ws)
{
	char file[PATH_MAX], hash[65], *text;
	size_t len;

	snprintf(file, sizeof(file), "%s/.proctor.json", ws);
	text = read_all(file, &len);
	if (!text && errno != ENOENT)
		fprintf(stderr, "proctor: ignoring %s: %s\n", file,
			errno == EINVAL ? "not a regular file"
					: strerror(errno));
	if (!text)
		return 0;
	sha256_hex(text, len, hash);
	free(text);
	if (!is_approved(hash)) {
		fprintf(stderr,
			"proctor: ignoring %s: its content %s.\n"
			"proctor: review it, then: proctor policy approve %s\n",
			file,
			approved_before(file) ? "changed since you approved it"
					      : "is not approved",
			file);
		return 0;
	}
	builtin_ignored(file);
	return add_file_layer(p, file, ws);
}

/* A relative path on the command line is relative to where we run. */
static void grant_spec(const struct grant *g, char *out, size_t size)
{
	char cwd[PATH_MAX];
	bool file = g->cls == RULES_READ || g->cls == RULES_WRITE;

	if (!file || strchr("/~$", g->spec[0]) || !getcwd(cwd, sizeof(cwd)))
		snprintf(out, size, "%s", g->spec);
	else
		snprintf(out, size, "%s/%s", cwd, g->spec);
}

/*
 * proctor's own config (policy, approvals, the log key) and state (the
 * logs) are secrets to the sandbox wherever XDG_* puts them: the
 * built-in policy can only name the defaults under ~.
 */
static int protect_own_dirs(struct rules_policy *p)
{
	static const char *const dirs[][2] = {
		{ "XDG_CONFIG_HOME", ".config" },
		{ "XDG_STATE_HOME", ".local/state" },
	};
	char dir[PATH_MAX], real[PATH_MAX], err[1024], owner[PATH_MAX];
	const char *homes[] = { home_dir(), owner_home(owner) };
	size_t i, k;

	/*
	 * And the defaults in either home, which XDG_* or a fake $HOME may
	 * not name: a run without XDG_* set reads and writes them.
	 */
	for (i = 0; i < 2; i++)
		for (k = 0; k < 3; k++) {
			if (k > 0 && !homes[k - 1])
				continue;
			if (k == 0)
				tools_xdg_dir(dir, sizeof(dir), dirs[i][0],
					      dirs[i][1]);
			else
				snprintf(dir, sizeof(dir), "%s/%s/proctor",
					 homes[k - 1], dirs[i][1]);
			if (realpath(dir, real))
				snprintf(dir, sizeof(dir), "%s", real);
			if (rules_policy_add_protected(p, dir, false, err,
						       sizeof(err)) < 0) {
				print_error(err);
				return -1;
			}
		}
	return 0;
}

/*
 * An --allow-exec or --deny-exec whose words split a program's path at
 * a blank ("/w/b d/tool" is "/w/b", "d/tool"): the entry would name no
 * program, and a deny would deny nothing, silently.  Said instead.
 */
static bool exec_flag_ok(const char *flag, const char *spec)
{
	char path[PATH_MAX];
	size_t n = strcspn(spec, " \t");
	struct stat st;

	if (!memchr(spec, '/', n) || n >= sizeof(path))
		return true;
	memcpy(path, spec, n);
	path[n] = '\0';
	if (stat(path, &st) == 0)
		return true;
	/* a longer prefix that is a program: its path has a blank */
	while (spec[n] && n < sizeof(path) - 1) {
		n += strspn(spec + n, " \t");
		n += strcspn(spec + n, " \t");
		if (n >= sizeof(path))
			break;
		memcpy(path, spec, n);
		path[n] = '\0';
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			fprintf(stderr,
				"proctor: %s '%s': a flag's words split at "
				"blanks, and %s has one; name the program in a "
				"policy file, as an array: {\"exec\": "
				"{\"%s\": [[\"%s\"]]}}\n",
				flag, spec, path,
				strstr(flag, "deny") ? "deny" : "allow", path);
			return false;
		}
	}
	return true;
}

static int add_grants(struct rules_policy *p, const struct cli *c)
{
	char err[1024];
	size_t i;

	for (i = 0; i < c->n_grants; i++) {
		char spec[PATH_MAX + 256];

		grant_spec(&c->grants[i], spec, sizeof(spec));
		bool itself = !strcmp(c->grants[i].flag, "allow-list") ||
			      !strcmp(c->grants[i].flag, "allow-dir");
		char flag[32];

		snprintf(flag, sizeof(flag), "--%s", c->grants[i].flag);
		if (c->grants[i].cls == RULES_EXEC && !exec_flag_ok(flag, spec))
			return -1;
		if ((itself ? rules_policy_add_itself(p, c->grants[i].cls, flag,
						      spec, err, sizeof(err))
			    : rules_policy_add_entry(p, c->grants[i].cls,
						     c->grants[i].act, spec,
						     err, sizeof(err))) < 0) {
			print_error(err);
			return -1;
		}
	}
	return 0;
}

/*
 * --permissive: everything allowed (and logged), for `proctor learn`.
 * Only proctor's own directories and the log stay out of reach.
 */
static const char permissive_json[] =
	"{\"files\": {\"read\": {\"default\": \"allow\"},"
	" \"write\": {\"default\": \"allow\"}},"
	" \"network\": {\"default\": \"allow\"},"
	" \"exec\": {\"default\": \"allow\"}}";

/*
 * The user's layers, between the built-in policy and --policy files:
 * $XDG_CONFIG_HOME/proctor/policy.json and each workspace's approved
 * .proctor.json.  `proctor learn` judges a run against them too.
 */
int tools_user_layers(struct rules_policy *p, const struct rules_vars *v)
{
	char user[PATH_MAX];
	size_t i;

	tools_xdg_dir(user, sizeof(user), "XDG_CONFIG_HOME", ".config");
	strncat(user, "/policy.json", sizeof(user) - strlen(user) - 1);
	if (access(user, F_OK) == 0) {
		builtin_ignored(user);
		if (add_file_layer(p, user,
				   v->n_workspaces ? v->workspaces[0] : NULL) <
		    0)
			return -1;
	}
	for (i = 0; i < v->n_workspaces; i++)
		if (add_project_layer(p, v->workspaces[i]) < 0)
			return -1;
	return 0;
}

/* path with its "." and ".." components taken out, in out. */
static void lexical(const char *path, char *out, size_t size)
{
	char copy[PATH_MAX], *save, *c;
	size_t n = 0;

	snprintf(copy, sizeof(copy), "%s", path);
	out[0] = '\0';
	for (c = strtok_r(copy, "/", &save); c;
	     c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..")) {
			char *slash = strrchr(out, '/');

			n = slash ? (size_t)(slash - out) : 0;
			out[n] = '\0';
			continue;
		}
		n += snprintf(out + n, n < size ? size - n : 0, "/%s", c);
	}
	if (!out[0])
		snprintf(out, size, "/");
}

/* Where git's files are protected: the policy, and the workspaces. */
struct pins {
	struct rules_policy *p;
	const struct rules_vars *v;
};

/* path with the characters a pattern reads as globs bracketed. */
static void literal_pattern(const char *path, char *out, size_t size)
{
	size_t o = 0;

	for (; *path && o + 4 < size; path++) {
		if (strchr("*?[$", *path))
			o += (size_t)snprintf(out + o, size - o, "[%c]", *path);
		else
			out[o++] = *path;
	}
	out[o] = '\0';
}

/*
 * A deny entry of pattern, in a layer of its own: with itself, of the
 * path alone, not what lies beneath it ("beneath": false).  Said, not
 * fatal.
 */
static void deny_pattern_layer(struct rules_policy *p, const char *lit,
			       const char *origin, bool itself)
{
	cJSON *doc = cJSON_CreateObject(), *deny, *entry;
	char err[1024], *json;

	deny = cJSON_AddArrayToObject(
		cJSON_AddObjectToObject(cJSON_AddObjectToObject(doc, "files"),
					"write"),
		"deny");
	entry = itself ? cJSON_CreateObject() : cJSON_CreateString(lit);
	if (itself && entry) {
		cJSON_AddStringToObject(entry, "pattern", lit);
		cJSON_AddFalseToObject(entry, "beneath");
	}
	if (deny && entry)
		cJSON_AddItemToArray(deny, entry);
	else
		cJSON_Delete(entry);
	json = deny ? cJSON_PrintUnformatted(doc) : NULL;
	if (json &&
	    rules_policy_add_json(p, json, origin, NULL, err, sizeof(err)) < 0)
		fprintf(stderr, "proctor: cannot protect %s: %s\n", lit, err);
	free(json);
	cJSON_Delete(doc);
}

static int stat_at(const char *dir, const char *name, struct stat *st)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, st);
}

/* The same, of path taken literally. */
static void deny_write_layer(struct rules_policy *p, const char *path,
			     const char *origin, bool itself)
{
	char lit[PATH_MAX * 3];

	literal_pattern(path, lit, sizeof(lit));
	deny_pattern_layer(p, lit, origin, itself);
}

/* A git directory, as git's own test: HEAD, refs, and objects or a
 * commondir. */
static bool is_git_dir(const char *dir)
{
	struct stat st;

	return stat_at(dir, "HEAD", &st) == 0 && S_ISREG(st.st_mode) &&
	       stat_at(dir, "refs", &st) == 0 && S_ISDIR(st.st_mode) &&
	       (stat_at(dir, "objects", &st) == 0 ||
		stat_at(dir, "commondir", &st) == 0);
}

/*
 * A repository's git directory, whatever its name (MAIN/.git given as
 * a workspace, a bare one beside its worktrees): the built-in entries
 * name $WORKSPACE/.git/..., so its hooks and configs are protected
 * here, as they are in a .git.
 */
static void protect_git_dir(struct rules_policy *p, const char *dir)
{
	static const char *const protected[] = {
		"hooks",
		"config",
		"config.worktree",
		"commondir",
		"**/config.worktree",
		"**/commondir",
		"modules/**/hooks",
		"modules/**/config",
		"worktrees/*/modules/**/hooks",
		"worktrees/*/modules/**/config",
	};
	char lit[PATH_MAX * 3], pat[PATH_MAX * 3 + 64];
	size_t i;

	literal_pattern(dir, lit, sizeof(lit));
	for (i = 0; i < sizeof(protected) / sizeof(protected[0]); i++) {
		snprintf(pat, sizeof(pat), "%s/%s", lit, protected[i]);
		deny_pattern_layer(p, pat, "git directory", false);
	}
}

/*
 * Protects path, a file git will read or run, there or not yet: by its
 * name, and each directory above it inside a workspace (not the
 * workspace itself) alone, so that none can be made, moved, removed or
 * replaced by a link: path keeps leading where it leads now (a link
 * made where a directory was missing, cfg -> evil, took the run's file
 * for it).
 */
static void pin(const struct pins *g, const char *path, const char *origin)
{
	char above[PATH_MAX], *slash;
	size_t i, n;

	deny_write_layer(g->p, path, origin, false);
	for (i = 0; i < g->v->n_workspaces; i++) {
		n = strlen(g->v->workspaces[i]);
		if (strncmp(path, g->v->workspaces[i], n) || path[n] != '/')
			continue;
		snprintf(above, sizeof(above), "%s", path);
		while ((slash = strrchr(above, '/')) &&
		       (size_t)(slash - above) > n) {
			*slash = '\0';
			deny_write_layer(g->p, above, origin, true);
		}
	}
}

/* path, with base when relative, "~/" for the home, without "." or "..". */
static void git_path(const char *base, const char *path, char *out, size_t size)
{
	const char *home = getenv("HOME");
	char joined[PATH_MAX];

	if (!strncmp(path, "~/", 2) && home)
		snprintf(joined, sizeof(joined), "%s/%s", home, path + 2);
	else if (path[0] == '/')
		snprintf(joined, sizeof(joined), "%s", path);
	else
		snprintf(joined, sizeof(joined), "%s/%s", base, path);
	lexical(joined, out, size);
}

/*
 * Protects what path (relative to base when not absolute) names: by
 * the name, by the name from where base really is (the kernel takes a
 * relative link's target, and git an include's ".." from there, not
 * from the name that led there), and where its links lead; for husky's
 * "_" (.husky/_), the parent too, which holds the scripts its hooks run.
 */
static void protect_git_path(const struct pins *g, const char *base,
			     const char *path, const char *origin)
{
	char name[PATH_MAX], phys[PATH_MAX], real[PATH_MAX], *last;

	git_path(base, path, name, sizeof(name));
	pin(g, name, origin);
	if (realpath(base, real)) {
		git_path(real, path, phys, sizeof(phys));
		if (strcmp(phys, name))
			pin(g, phys, origin);
	}
	if (realpath(name, real) && strcmp(real, name))
		pin(g, real, origin);
	last = strrchr(name, '/');
	if (last && last != name && !strcmp(last, "/_")) {
		*last = '\0';
		deny_write_layer(g->p, name, origin, false);
	}
}

/*
 * A file git reads or runs that is a link: each link of its chain, and
 * where the chain ends, there or not (a hook or include whose target is
 * missing is what the run puts there), each protected as
 * protect_git_path does.  A relative target is taken from where the
 * link's directory really is, as the kernel takes it.
 */
static void protect_link_chain(const struct pins *g, const char *link,
			       const char *origin)
{
	char cur[PATH_MAX], target[PATH_MAX], dir[PATH_MAX], *slash;
	struct stat st;
	ssize_t n;
	int hops;

	snprintf(cur, sizeof(cur), "%s", link);
	for (hops = 0; hops < 40 && lstat(cur, &st) == 0 && S_ISLNK(st.st_mode);
	     hops++) {
		n = readlink(cur, target, sizeof(target) - 1);
		if (n < 0)
			return;
		target[n] = '\0';
		slash = strrchr(cur, '/');
		if (slash)
			*slash = '\0'; /* the link's directory */
		if (!realpath(slash ? cur : "/", dir))
			snprintf(dir, sizeof(dir), "%s", slash ? cur : "/");
		protect_git_path(g, dir, target, origin);
		git_path(dir, target, cur, sizeof(cur));
	}
}

/* protect_git_path, and the chain of links path may be. */
static void protect_git_file(const struct pins *g, const char *base,
			     const char *path, const char *origin)
{
	char name[PATH_MAX];

	protect_git_path(g, base, path, origin);
	git_path(base, path, name, sizeof(name));
	protect_link_chain(g, name, origin);
}

/*
 * A hooks directory's hooks that are links (a hook kept with the
 * tracked scripts: .git/hooks/pre-commit -> ../../scripts/hook.sh), and
 * the directory if it is one: what they lead to is the hook git runs,
 * wherever it lies.  dir is absolute.
 */
static void protect_hook_links(const struct pins *g, const char *dir,
			       const char *origin)
{
	char entry[PATH_MAX];
	struct dirent *d;
	DIR *dp;

	protect_link_chain(g, dir, origin);
	dp = opendir(dir);
	while (dp && (d = readdir(dp)) != NULL)
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, "..") &&
		    (size_t)snprintf(entry, sizeof(entry), "%s/%s", dir,
				     d->d_name) < sizeof(entry))
			protect_link_chain(g, entry, origin);
	if (dp)
		closedir(dp);
}

/*
 * git reading a config that never ends (a FIFO made in place of
 * .git/config, in a repository from a tarball), or one that takes long
 * (includes of megabytes, in each of many submodules), would hold the
 * run before CMD starts: git gets GIT_CONFIG_WAIT_MS over all its calls,
 * then is ended and not asked again, and proctor reads the configs
 * itself.
 */
#define GIT_CONFIG_WAIT_MS 5000
static bool git_hung;

/* Whether git's output fd has more to read before the wait is over. */
static bool git_answers(int fd, const char *ws)
{
	static long long deadline;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	long long left;
	int rc;

	if (!deadline)
		deadline = tracer_now_ms() + GIT_CONFIG_WAIT_MS;
	do {
		left = deadline - tracer_now_ms();
		rc = left > 0 ? poll(&pfd, 1, (int)left) : 0;
	} while (rc < 0 && errno == EINTR);
	if (rc == 0 && !git_hung) {
		git_hung = true;
		fprintf(stderr,
			"proctor: git config in %s did not finish in %d s (a "
			"config there a FIFO, or very large?); proctor reads "
			"the configs itself\n",
			ws, GIT_CONFIG_WAIT_MS / 1000);
	}
	return rc > 0;
}

/*
 * What `git -C ws config ARGS` prints (git reads every config as it
 * would: includes, conditional includes, the worktree's, the
 * environment's; a repository another user owns too, which git would
 * read for that user), its length; -1 when git cannot say (none
 * installed, not a repository).
 */
static ssize_t git_config(const char *ws, const char *const *args, char *out,
			  size_t size)
{
	const char *argv[18] = { "git", "-c", "safe.directory=*",
				 "-C",	ws,   "config" };
	int fds[2], st, i, devnull;
	size_t n = 0;
	ssize_t got;
	pid_t pid;

	if (git_hung)
		return -1;
	for (i = 0; args[i] && i < 11; i++)
		argv[6 + i] = args[i];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		devnull = open("/dev/null", O_RDWR);
		dup2(fds[1], 1);
		dup2(devnull, 2);
		dup2(devnull, 0);
		execvp("git", (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	while (pid > 0 && n + 1 < size && git_answers(fds[0], ws) &&
	       (got = read(fds[0], out + n, size - n - 1)) > 0)
		n += (size_t)got;
	out[n] = '\0';
	close(fds[0]);
	if (pid > 0 && git_hung)
		kill(pid, SIGKILL);
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || git_hung)
		return -1;
	/* 1: the key is not set */
	return WIFEXITED(st) && (WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 1)
		       ? (ssize_t)n
		       : -1;
}

/* core.hooksPath as proctor reads it where git cannot say. */
static void hooks_path_read(const char *ws, char *hp, size_t size)
{
	const char *global = getenv("GIT_CONFIG_GLOBAL");
	char config[PATH_MAX];

	hp[0] = '\0';
	if (global) {
		tracer_gitrisk_hooks_path(global, hp, size);
	} else {
		tools_xdg_dir(config, sizeof(config), "XDG_CONFIG_HOME",
			      ".config");
		strncat(config, "/git/config",
			sizeof(config) - strlen(config) - 1);
		tracer_gitrisk_hooks_path(config, hp, size);
		snprintf(config, sizeof(config), "%s/.gitconfig",
			 getenv("HOME") ? getenv("HOME") : "");
		tracer_gitrisk_hooks_path(config, hp, size);
	}
	snprintf(config, sizeof(config), "%s/.git/config", ws);
	tracer_gitrisk_hooks_path(config, hp, size);
	snprintf(config, sizeof(config), "%s/.git/config.worktree", ws);
	tracer_gitrisk_hooks_path(config, hp, size);
}

/*
 * Config files a repository's config includes (include.path,
 * includeIf.*.path), which are its config as much as .git/config: with
 * --null, `--show-origin` prints "file:ORIGIN", NUL, "KEY\nVALUE", NUL
 * (names as they are: spaces, bytes that are not ASCII), a relative
 * VALUE relative to ORIGIN's directory, and a relative ORIGIN (the
 * repository's own ".git/config") relative to the workspace ws.
 */
static void protect_includes(const struct pins *g, const char *ws,
			     const char *out, size_t len)
{
	const char *end = out + len, *origin, *key, *value;
	char dir[PATH_MAX];

	while (out < end) {
		origin = out;
		key = origin + strlen(origin) + 1;
		if (key >= end)
			return;
		out = key + strlen(key) + 1;
		value = strchr(key, '\n');
		if (strncmp(origin, "file:", 5) || !value)
			continue;
		origin += 5;
		snprintf(dir, sizeof(dir), "%s%s%s", origin[0] == '/' ? "" : ws,
			 origin[0] == '/' ? "" : "/", origin);
		if (strrchr(dir, '/'))
			*strrchr(dir, '/') = '\0';
		protect_git_file(g, dir, value + 1, "git include.path");
	}
}

/*
 * A small file of a repository's (.git, commondir, a worktree's gitdir,
 * .gitmodules) to read by lines, or NULL: a FIFO in its place (a run
 * can make .gitmodules one) would hold every later run before CMD
 * starts, a device or a file of gigabytes without a line break would
 * be read for ever.  Regular files of 1 MiB at most.
 */
#define REPO_FILE_MAX (1 << 20)

static FILE *fopen_repo_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	FILE *f;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > REPO_FILE_MAX || !(f = fdopen(fd, "re"))) {
		close(fd);
		return NULL;
	}
	return f;
}

/*
 * A workspace that is a linked worktree (.git: "gitdir: REPO/.git/
 * worktrees/NAME") keeps its index, objects and refs in REPO's .git,
 * outside it: git there is refused every write, commit and stash, and
 * the advice for each (index.lock, then objects, refs...) never ends.
 * Said once, with the way that works.
 */
static void say_linked_worktree(const struct rules_vars *v, const char *ws)
{
	char dotgit[PATH_MAX], line[PATH_MAX + 16], common[PATH_MAX];
	char *gitdir, *end;
	size_t i, n;
	FILE *f;

	snprintf(dotgit, sizeof(dotgit), "%s/.git", ws);
	f = fopen_repo_file(dotgit);
	if (!f)
		return;
	gitdir = fgets(line, sizeof(line), f) && !strncmp(line, "gitdir: ", 8)
			 ? line + 8
			 : NULL;
	fclose(f);
	if (!gitdir)
		return;
	gitdir[strcspn(gitdir, "\n")] = '\0';
	end = strstr(gitdir, "/.git/worktrees/");
	if (!end || !realpath(gitdir, common))
		return;
	for (i = 0; i < v->n_workspaces; i++) {
		n = strlen(v->workspaces[i]);
		if (!strncmp(common, v->workspaces[i], n) &&
		    (common[n] == '/' || !common[n]))
			return; /* its git directory is a workspace's */
	}
	*end = '\0';
	fprintf(stderr,
		"proctor: %s is a linked worktree of %s, whose .git is "
		"outside the workspace: git cannot commit or stash here; to "
		"let it, add --workspace %s (its hooks and config stay "
		"protected)\n",
		ws, gitdir, gitdir);
}

/* Repositories looked at in one workspace, and how deep submodules go. */
#define REPOS_MAX	32
#define SUBMODULE_DEPTH 3

/*
 * The git directory a work tree's .git names: itself when a directory,
 * else its "gitdir: PATH" (relative to the work tree).  For a linked
 * worktree's, common is its commondir's, where the config and hooks are.
 */
static bool git_dir_of(const char *top, char *gitdir, char *common, size_t size)
{
	char path[PATH_MAX], line[PATH_MAX + 16], *v;
	struct stat st;
	FILE *f;

	snprintf(path, sizeof(path), "%s/.git", top);
	if (lstat(path, &st) < 0)
		return false;
	if (!S_ISREG(st.st_mode)) {
		snprintf(line, sizeof(line), "%s", path);
	} else {
		f = fopen_repo_file(path);
		v = f && fgets(line, sizeof(line), f) &&
				    !strncmp(line, "gitdir: ", 8)
			    ? line + 8
			    : NULL;
		if (f)
			fclose(f);
		if (!v)
			return false;
		v[strcspn(v, "\r\n")] = '\0';
		git_path(top, v, line, sizeof(line));
	}
	if (!realpath(line, gitdir))
		return false;
	snprintf(path, sizeof(path), "%s/commondir", gitdir);
	f = fopen_repo_file(path);
	if (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		git_path(gitdir, line, path, sizeof(path));
		if (!realpath(path, common))
			snprintf(common, size, "%s", gitdir);
	} else {
		snprintf(common, size, "%s", gitdir);
	}
	if (f)
		fclose(f);
	return true;
}

static void protect_repo(const struct pins *g, const char *top,
			 const char *gitdir, int depth, int *budget);

/*
 * The repository's other work trees in the workspace, each a
 * repository of its own to git (its config.worktree, its core.hooksPath
 * from its own top): its linked worktrees (each worktrees/NAME/gitdir
 * of common names a worktree's .git file) and its submodules (each
 * path of .gitmodules), down to SUBMODULE_DEPTH.
 */
#define WORKTREES_MAX 1024

static void protect_other_tops(const struct pins *g, const char *top,
			       const char *common, int depth, int *budget)
{
	int looked = 0;
	char path[PATH_MAX], line[PATH_MAX + 32], gd[PATH_MAX], *v, *slash;
	struct dirent *d;
	DIR *dp;
	FILE *f;

	snprintf(path, sizeof(path), "%s/worktrees", common);
	dp = depth ? NULL : opendir(path);
	/* the budget spent, or WORKTREES_MAX names read, the rest is not
	 * looked at (a run may fill worktrees/ with names for every later
	 * start to read) */
	while (dp && *budget > 0 && looked++ < WORKTREES_MAX &&
	       (d = readdir(dp)) != NULL) {
		snprintf(path, sizeof(path), "%s/worktrees/%s/gitdir", common,
			 d->d_name);
		if (d->d_name[0] == '.' || !(f = fopen_repo_file(path)))
			continue;
		if (fgets(line, sizeof(line), f) &&
		    (slash = strrchr(line, '/'))) {
			*slash = '\0'; /* the worktree's top */
			snprintf(gd, sizeof(gd), "%s/worktrees/%s", common,
				 d->d_name);
			protect_repo(g, line, gd, depth + 1, budget);
		}
		fclose(f);
	}
	if (dp)
		closedir(dp);
	snprintf(path, sizeof(path), "%s/.gitmodules", top);
	f = depth < SUBMODULE_DEPTH ? fopen_repo_file(path) : NULL;
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		v = line + strspn(line, " \t");
		if (strncmp(v, "path", 4) || !(v = strchr(v, '=')))
			continue;
		v += 1 + strspn(v + 1, " \t");
		git_path(top, v, path, sizeof(path));
		if (git_dir_of(path, gd, line, sizeof(line)))
			protect_repo(g, path, gd, depth + 1, budget);
	}
	if (f)
		fclose(f);
}

/*
 * One repository: top its work tree's top (or, bare, its git
 * directory), gitdir its git directory.  The files that make git run
 * code, in its git directory (and its common one) whatever their name;
 * its core.hooksPath, taken from top; the hooks there and in the git
 * directory that are links; the config files its config includes; and
 * the same of its worktrees and submodules in the workspace.  git is
 * asked in top, as a user's git there would read.
 */
static void protect_repo(const struct pins *g, const char *top,
			 const char *gitdir, int depth, int *budget)
{
	static const char *const get_hooks[] = { "--null", "--path", "--get",
						 "core.hooksPath", NULL };
	static const char *const get_includes[] = {
		"--null", "--show-origin", "--get-regexp",
		"^(include|includeif\\..*)\\.path$", NULL
	};
	char hp[PATH_MAX], out[16384], dir[PATH_MAX], gd[PATH_MAX];
	char common[PATH_MAX];
	ssize_t len;

	if (--*budget < 0)
		return;
	/* (a bare one, or MAIN/.git as the workspace: top has no .git) */
	if (!git_dir_of(top, gd, common, sizeof(common)) &&
	    !realpath(gitdir, common))
		snprintf(common, sizeof(common), "%s", gitdir);
	if (is_git_dir(common))
		protect_git_dir(g->p, common);
	if (git_config(top, get_hooks, hp, sizeof(hp)) < 0)
		hooks_path_read(top, hp, sizeof(hp));
	if (hp[0]) {
		/* (a relative one is relative to the work tree's top) */
		protect_git_file(g, top, hp, "git core.hooksPath");
		git_path(top, hp, dir, sizeof(dir));
		protect_hook_links(g, dir, "git hook link");
	}
	snprintf(dir, sizeof(dir), "%s/hooks", common);
	protect_hook_links(g, dir, "git hook link");
	len = git_config(top, get_includes, out, sizeof(out));
	if (len > 0)
		protect_includes(g, top, out, (size_t)len);
	protect_other_tops(g, top, common, depth, budget);
}

/*
 * A repository whose git runs its hooks from a directory of the work
 * tree (core.hooksPath: husky's .husky/_, a .githooks) has its hooks
 * there: protected as .git/hooks is, by a deny entry of a layer of its
 * own, which a user's entry may override; and so are the config files
 * its config includes, which could set one, and the files its hooks
 * that are links lead to.  git says what it reads; where it cannot,
 * proctor reads the user's configs and the repository's.  A workspace
 * that is a git directory is its repository's too.
 */
static void protect_hooks_paths(struct rules_policy *p,
				const struct rules_vars *v, bool quiet)
{
	const struct pins g = { p, v };
	char top[PATH_MAX], gitdir[PATH_MAX], common[PATH_MAX], *slash;
	struct stat st;
	int budget;
	size_t i;

	for (i = 0; i < v->n_workspaces; i++) {
		const char *ws = v->workspaces[i];

		budget = REPOS_MAX;
		if (is_git_dir(ws)) {
			/* MAIN/.git: the work tree is MAIN; bare: itself */
			snprintf(top, sizeof(top), "%s", ws);
			slash = strrchr(top, '/');
			if (slash && !strcmp(slash, "/.git") && slash != top)
				*slash = '\0';
			protect_repo(&g, top, ws, 0, &budget);
			continue;
		}
		if (!git_dir_of(ws, gitdir, common, sizeof(common)))
			continue; /* not a repository's top */
		snprintf(top, sizeof(top), "%s/.git", ws);
		if (lstat(top, &st) == 0 && S_ISREG(st.st_mode) && !quiet)
			say_linked_worktree(v, ws);
		protect_repo(&g, ws, gitdir, 0, &budget);
	}
}

static struct rules_policy *build_policy(const struct cli *c,
					 const struct rules_vars *v)
{
	char err[1024];
	struct rules_policy *p;
	size_t i;

	if (rules_policy_new(&p, v) < 0)
		return NULL;
	if (c->permissive) {
		if (rules_policy_add_json(p, permissive_json, "--permissive",
					  NULL, err, sizeof(err)) < 0 ||
		    protect_own_dirs(p) < 0)
			goto fail;
		return p;
	}
	/* a --policy file that stands in place of the built-in one */
	for (i = 0; i < c->n_policies && !drops_builtin(c->policies[i]); i++)
		;
	if (i == c->n_policies &&
	    rules_policy_add_json(p, rules_default_json, "built-in", NULL, err,
				  sizeof(err)) < 0) {
		print_error(err);
		goto fail;
	}
	/* (a learned policy stands in place of the built-in one: the
	 * repository's own protections hold under it too) */
	protect_hooks_paths(p, v, c->quiet);
	if (tools_user_layers(p, v) < 0)
		goto fail;
	for (i = 0; i < c->n_policies; i++)
		if (add_file_layer(p, c->policies[i], v->workspaces[0]) < 0)
			goto fail;
	if (add_answers_layer(p) < 0 || add_grants(p, c) < 0 ||
	    protect_own_dirs(p) < 0 || protect_policy_files(p) < 0)
		goto fail;
	return p;
fail:
	rules_policy_free(p);
	return NULL;
}

/* ---- workspaces, TMPDIR, log -------------------------------------------- */

/* "/", the home directory, or a directory that holds it. */
static bool holds_home(const char *ws, const char *home)
{
	size_t n = strlen(ws);

	return !strcmp(ws, "/") ||
	       (!strncmp(home, ws, n) && (home[n] == '\0' || home[n] == '/'));
}

static int resolve_workspaces(struct cli *c, char **out, size_t *n)
{
	char home[PATH_MAX], owner[PATH_MAX] = "";
	size_t i;

	if (c->n_workspaces == 0)
		c->workspaces[c->n_workspaces++] = ".";
	if (!realpath(home_dir(), home))
		snprintf(home, sizeof(home), "%s", home_dir());
	for (i = 0; i < c->n_workspaces; i++) {
		struct stat st;
		char *r = realpath(c->workspaces[i], NULL);

		if (!r || stat(r, &st) < 0 || !S_ISDIR(st.st_mode)) {
			fprintf(stderr, "proctor: workspace %s: %s\n",
				c->workspaces[i],
				r ? "not a directory" : strerror(errno));
			free(r);
			return -1;
		}
		/* CMD would work where it cannot enter or list */
		if (access(r, R_OK | X_OK) < 0) {
			fprintf(stderr,
				"proctor: workspace %s: %s (you cannot list or "
				"enter it)\n",
				c->workspaces[i], strerror(errno));
			free(r);
			return -1;
		}
		/* the password file's home too: $HOME may be a fake one */
		if (!c->force &&
		    (holds_home(r, home) ||
		     (owner_home(owner) && holds_home(r, owner)))) {
			fprintf(stderr,
				"proctor: workspace %s is %s; every file there "
				"would be writable.\nproctor: choose a project "
				"directory, or pass --force\n",
				r,
				!strcmp(r, "/") ? "the root"
				: !strcmp(r, home) || !strcmp(r, owner)
					? "your home directory"
					: "above your home directory");
			free(r);
			return -1;
		}
		out[i] = r;
	}
	*n = c->n_workspaces;
	return 0;
}

static char *make_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char tmpl[PATH_MAX], *real;

	if (!base || base[0] != '/')
		base = "/tmp";
	snprintf(tmpl, sizeof(tmpl), "%s/proctor-XXXXXX", base);
	if (!mkdtemp(tmpl)) {
		fprintf(stderr, "proctor: cannot create %s: %s\n", tmpl,
			strerror(errno));
		return NULL;
	}
	real = realpath(tmpl, NULL);
	return real ? real : strdup(tmpl);
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/*
 * The run's TMPDIR is removed by a small process started before the
 * directory is made, and before the supervisor confines itself with
 * Landlock (whose floor does not hold the TMPDIR's parent).  proctor
 * tells it the directory's name as soon as it exists, and the approval
 * socket's; it waits for the end of the run (its pipe closes, also if
 * proctor fails or is killed), removes both, and then closes its own
 * pipe so that proctor can wait for it.  It is a grandchild, so the
 * supervisor's wait for the traced tree never sees it.
 */
struct reaper {
	int go;	  /* closed by proctor at the end; messages on the way */
	int done; /* closed by the reaper when it is done */
};

/* What proctor tells the reaper, each whole or not at all. */
struct reaper_msg {
	/* 'd': the TMPDIR at path; 's': the approval socket at path;
	 * 'k': keep the TMPDIR (--keep-tmp) */
	char what;
	dev_t dev;
	ino_t ino;
	char path[PATH_MAX];
};

/* Reads messages until the pipe closes: the last of each kind counts. */
static void reaper_listen(int go, struct reaper_msg *dir,
			  struct reaper_msg *sock, bool *keep)
{
	struct reaper_msg m;
	size_t got = 0;
	ssize_t n;

	while ((n = read(go, (char *)&m + got, sizeof(m) - got)) > 0) {
		got += (size_t)n;
		if (got < sizeof(m))
			continue;
		if (m.what == 'd')
			*dir = m;
		else if (m.what == 's')
			*sock = m;
		else if (m.what == 'k')
			*keep = true;
		got = 0;
	}
}

static void reaper_main(int go, int done)
{
	struct reaper_msg dir = { .what = 0 }, sock = { .what = 0 };
	bool keep = false;
	struct stat st;
	sigset_t all;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	setsid();
	reaper_listen(go, &dir, &sock, &keep);
	if (dir.what && !keep)
		nftw(dir.path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	if (sock.what && lstat(sock.path, &st) == 0 && st.st_dev == sock.dev &&
	    st.st_ino == sock.ino)
		unlink(sock.path);
	close(done);
	_exit(0);
}

static int start_tmp_reaper(struct reaper *r)
{
	int go[2], done[2];
	pid_t pid;

	if (pipe2(go, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(done, O_CLOEXEC) < 0) {
		close(go[0]);
		close(go[1]);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		close(go[1]);
		close(done[0]);
		if (fork() == 0)
			reaper_main(go[0], done[1]);
		_exit(0);
	}
	close(go[0]);
	close(done[1]);
	/*
	 * Not waited for here (its fork and exit took a twentieth of the
	 * start): the supervisor's wait for any child collects it.
	 */
	if (pid < 0) {
		close(go[1]);
		close(done[0]);
		return -1;
	}
	r->go = go[1];
	r->done = done[0];
	return 0;
}

static void reaper_tell(struct reaper *r, char what, const char *path,
			dev_t dev, ino_t ino)
{
	struct reaper_msg m;

	memset(&m, 0, sizeof(m));
	m.what = what;
	m.dev = dev;
	m.ino = ino;
	snprintf(m.path, sizeof(m.path), "%s", path ? path : "");
	if (write(r->go, &m, sizeof(m)) != (ssize_t)sizeof(m))
		fprintf(stderr, "proctor: the cleaner of %s did not hear: %s\n",
			what == 'k' ? "TMPDIR" : path, strerror(errno));
}

/* The end of the run: the reaper does its work, and proctor waits. */
static void finish_tmp_reaper(struct reaper *r)
{
	char c;

	if (r->go < 0)
		return;
	close(r->go);
	while (read(r->done, &c, 1) > 0)
		;
	close(r->done);
	r->go = r->done = -1;
}

/*
 * CMD died of sig: proctor ends the same way, as timeout(1) does, so
 * that the shell that started it sees a death by that signal (a loop
 * stops at Ctrl-C; "Segmentation fault" is said) and a parent's wait
 * reads the signal, as it would of CMD; a Ctrl-C goes to the rest of
 * proctor's group too, which natively got it.  No core of proctor's own.
 */
static void end_by_signal(int sig)
{
	struct rlimit none = { 0, 0 };
	sigset_t one;

	fflush(NULL);
	setrlimit(RLIMIT_CORE, &none);
	/* the terminal's Ctrl-C, which natively the whole group gets (the
	 * script that runs proctor stops) */
	if (tracer_job_from_terminal(sig)) {
		signal(sig, SIG_IGN);
		kill(0, sig);
	}
	signal(sig, SIG_DFL);
	sigemptyset(&one);
	sigaddset(&one, sig);
	sigprocmask(SIG_UNBLOCK, &one, NULL);
	raise(sig);
}

static void run_id(char *out, size_t size)
{
	struct timespec ts;
	struct tm tm;
	char t[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(t, sizeof(t), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(out, size, "%s-%d", t, getpid());
}

/*
 * The user's key for the log's MACs, made on first use, kept where the
 * sandbox can neither read nor write it (~/.config/proctor is denied).
 */
static int load_log_key(uint8_t key[32])
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	int fd;

	tools_xdg_dir(dir, sizeof(dir), "XDG_CONFIG_HOME", ".config");
	snprintf(path, sizeof(path), "%s/log.key", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && tools_mkdirs(dir, 0700) == 0) {
		if (getrandom(key, 32, 0) != 32)
			return -EIO;
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0 && write(fd, key, 32) == 32) {
			close(fd);
			return 0;
		}
		if (fd >= 0)
			close(fd);
		fd = open(path, O_RDONLY | O_CLOEXEC); /* made meanwhile */
	}
	if (fd < 0 || read(fd, key, 32) != 32) {
		fprintf(stderr,
			"proctor: no log key (%s): the log will carry "
			"no MACs\n",
			path);
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	close(fd);
	return 0;
}

/* Opens the log; *path is what to tell the user.  -2: no log wanted. */
static int open_log(const struct cli *c, const char *id, char *path,
		    size_t size)
{
	char dir[PATH_MAX];
	struct stat st;
	int fd, err;

	if (c->no_log)
		return -2;
	if (c->log && !strcmp(c->log, "-")) {
		snprintf(path, size, "(stderr)");
		return fcntl(2, F_DUPFD_CLOEXEC, 3);
	}
	if (c->log) {
		snprintf(path, size, "%s", c->log);
	} else {
		tools_xdg_dir(dir, sizeof(dir), "XDG_STATE_HOME",
			      ".local/state");
		strncat(dir, "/runs", sizeof(dir) - strlen(dir) - 1);
		err = tools_mkdirs(dir, 0700);
		if (err) {
			fprintf(stderr, "proctor: cannot create %s: %s\n", dir,
				strerror(-err));
			return -1;
		}
		snprintf(path, size, "%s/%s.jsonl", dir, id);
	}
	/*
	 * Never through a symlink, and only into a regular file of ours:
	 * a repository could ship logs/run.jsonl -> ~/.bashrc.
	 */
	fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0) {
		fprintf(stderr, "proctor: cannot open log %s: %s\n", path,
			errno == ELOOP ? "it is a symlink" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid()) {
		fprintf(stderr,
			"proctor: log %s: not a regular file of "
			"yours; choose another --log\n",
			path);
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The sandbox never writes its own log, wherever --log put it: a deny
 * on that exact path beats any grant around it.
 */
static int protect_log(struct rules_policy *p, int fd, const char *path)
{
	char real[PATH_MAX], err[1024];
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    !realpath(path, real))
		return 0;
	if (rules_policy_add_protected(p, real, true, err, sizeof(err)) < 0) {
		print_error(err);
		return -1;
	}
	return 0;
}

/* ---- the command -------------------------------------------------------- */

/* Finds CMD as execvp(3) would.  Returns 0, 126 or 127. */
static int find_command(const char *cmd, char *out, size_t size)
{
	const char *path = getenv("PATH");
	bool seen = false;
	char *dirs, *d, *save;

	if (strchr(cmd, '/')) {
		snprintf(out, size, "%s", cmd);
		if (access(cmd, F_OK) < 0)
			return 127;
		return access(cmd, X_OK) < 0 ? 126 : 0;
	}
	dirs = strdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (d = strtok_r(dirs, ":", &save); d;
	     d = strtok_r(NULL, ":", &save)) {
		struct stat st;

		snprintf(out, size, "%s/%s", *d ? d : ".", cmd);
		if (stat(out, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (access(out, X_OK) == 0) {
			free(dirs);
			return 0;
		}
		seen = true;
	}
	free(dirs);
	return seen ? 126 : 127;
}

/*
 * CMD's environment: TMPDIR names the run's own directory, and so does
 * TMUX_TMPDIR unless set: a tmux server of the run cannot make its
 * socket in /tmp, where a socket is a trap for the user's own tmux
 * (tracer_judge_kind).
 */
static char **child_env(const char *tmpdir, const char *id)
{
	size_t n = 0, i, j = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 4, sizeof(*env));
	if (!env)
		return NULL;
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "TMPDIR=", 7) &&
		    strncmp(environ[i], "PROCTOR_RUN=", 12))
			env[j++] = environ[i];
	if (asprintf(&env[j++], "TMPDIR=%s", tmpdir) < 0 ||
	    asprintf(&env[j++], "PROCTOR_RUN=%s", id) < 0 ||
	    (!getenv("TMUX_TMPDIR") &&
	     asprintf(&env[j++], "TMUX_TMPDIR=%s", tmpdir) < 0))
		return NULL;
	return env;
}

/*
 * The approval socket must be out of the sandbox's reach: neither it
 * nor its directory may be writable under the policy (the sandbox could
 * put a socket of its own there), and it becomes a protected path.
 */
static int check_socket_place(struct rules_policy *p, const char *path,
			      char *real, size_t size)
{
	char dir[PATH_MAX], rdir[PATH_MAX], err[1024];
	const char *base = strrchr(path, '/');
	struct rules_verdict v, vd;

	snprintf(dir, sizeof(dir), "%.*s", base ? (int)(base - path) : 1,
		 base ? path : ".");
	if (base == path)
		snprintf(dir, sizeof(dir), "/");
	if (!realpath(dir, rdir)) {
		fprintf(stderr, "proctor: --approve-socket %s: %s: %s\n", path,
			dir, strerror(errno));
		return -1;
	}
	snprintf(real, size, "%s/%s", strcmp(rdir, "/") ? rdir : "",
		 base ? base + 1 : path);
	rules_check_path(p, RULES_WRITE, real, &v);
	rules_check_path(p, RULES_WRITE, rdir, &vd);
	if (v.action != RULES_DENY || vd.action != RULES_DENY) {
		fprintf(stderr,
			"proctor: --approve-socket %s: the sandbox may write "
			"there (%s); choose a place outside the workspace and "
			"the temporary directories, e.g. "
			"$XDG_RUNTIME_DIR/proctor.sock\n",
			real, v.action != RULES_DENY ? v.where : vd.where);
		return -1;
	}
	if (rules_policy_add_protected(p, real, false, err, sizeof(err)) < 0) {
		print_error(err);
		return -1;
	}
	return 0;
}

static int open_approve_socket(const struct cli *c, struct tracer_opts *o,
			       struct reaper *r)
{
	static char real[PATH_MAX];
	int fd;

	if (!c->approve_socket)
		return 0;
	if (check_socket_place(o->policy, c->approve_socket, real,
			       sizeof(real)) < 0)
		return -1;
	fd = tracer_approve_listen(real, &o->approve_dev, &o->approve_ino);
	if (fd < 0) {
		fprintf(stderr, "proctor: --approve-socket %s: %s\n", real,
			fd == -EEXIST	    ? "something else is there"
			: fd == -EADDRINUSE ? "another run listens there"
					    : strerror(-fd));
		return -1;
	}
	o->approve_fd = fd;
	o->approve_path = real;
	reaper_tell(r, 's', real, o->approve_dev, o->approve_ino);
	return 0;
}

/*
 * The answers file, opened for appending before the supervisor confines
 * itself (the Landlock floor does not hold proctor's config directory),
 * when a question can be asked at all.
 */
static int open_answers(const struct cli *c)
{
	char path[PATH_MAX], dir[PATH_MAX];
	int fd;

	if (!c->approve_socket && !tracer_job_foreground())
		return -1;
	tools_xdg_dir(dir, sizeof(dir), "XDG_CONFIG_HOME", ".config");
	tools_mkdirs(dir, 0700);
	tools_answers_path(path, sizeof(path));
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0)
		fprintf(stderr,
			"proctor: %s: %s: \"always\" answers will hold for "
			"this run only\n",
			path, strerror(errno));
	return fd;
}

static int prompt_timeout(const struct rules_policy *p)
{
	struct rules_prompt pr;

	rules_prompt_settings(p, &pr);
	return pr.timeout;
}

/* ---- TLS interception (#8) --------------------------------------------- */

struct names {
	const char *v[256];
	size_t n;
};

static void add_name(const char *name, void *arg)
{
	struct names *ns = arg;
	char *copy;

	if (ns->n < sizeof(ns->v) / sizeof(*ns->v) && (copy = strdup(name)))
		ns->v[ns->n++] = copy;
}

/* For programs that read these instead of the system store. */
static const char *const ca_vars[] = {
	"SSL_CERT_FILE",  "CURL_CA_BUNDLE",	 "REQUESTS_CA_BUNDLE",
	"GIT_SSL_CAINFO", "NODE_EXTRA_CA_CERTS",
};

/*
 * The bundle (the system's certificates and proctor's CA, no key) in
 * the run's TMPDIR, named by the usual variables the user has not set.
 */
static int publish_bundle(const struct tracer_ca *ca, const char *tmpdir)
{
	char path[PATH_MAX];
	size_t len, i;
	char *text = tracer_ca_bundle(ca, &len);
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/proctor-ca-bundle.pem", tmpdir);
	f = text ? fopen(path, "wxe") : NULL;
	ok = f && fwrite(text, 1, len, f) == len;
	if (f && fclose(f) != 0)
		ok = 0;
	free(text);
	if (!ok) {
		fprintf(stderr, "proctor: cannot write %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	for (i = 0; i < sizeof(ca_vars) / sizeof(*ca_vars); i++)
		setenv(ca_vars[i], path, 0);
	return 0;
}

/*
 * For programs that read SSL_CERT_DIR (OpenSSL's default CApath), when
 * you have not set it: a directory in the run's TMPDIR holding the CA
 * (no key) as HASH.0, then OpenSSL's own directory for the rest.
 */
static int publish_dir(const struct tracer_ca *ca, const char *tmpdir)
{
	char dir[PATH_MAX], path[PATH_MAX + 16], *val;
	size_t len;
	const char *pem = tracer_ca_pem(ca, &len);
	FILE *f = NULL;
	int ok;

	if (getenv("SSL_CERT_DIR"))
		return 0;
	snprintf(dir, sizeof(dir), "%s/proctor-ca-certs", tmpdir);
	snprintf(path, sizeof(path), "%s/%s.0", dir, tracer_ca_hash(ca));
	if (mkdir(dir, 0700) == 0)
		f = fopen(path, "wxe");
	ok = f && fwrite(pem, 1, len, f) == len;
	if (f && fclose(f) != 0)
		ok = 0;
	if (!ok || asprintf(&val, "%s:%s", dir, tracer_ca_system_dir()) < 0) {
		fprintf(stderr, "proctor: cannot write %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	setenv("SSL_CERT_DIR", val, 1);
	free(val);
	return 0;
}

/*
 * With interception on (--intercept-tls, or "network": {"intercept":
 * true}), the CA for the domains it covers, made or read before the
 * supervisor confines itself.  PROCTOR_UPSTREAM_CA names a PEM file of
 * more CAs to verify servers with (a test's own CA).
 */
static int setup_intercept(const struct cli *c, struct tracer_opts *o,
			   const char *tmpdir)
{
	struct names ns = { .n = 0 };
	char dir[PATH_MAX];
	size_t i;
	int rc;

	if (c->intercept_tls)
		rules_policy_set_intercept(o->policy, true);
	if (!rules_policy_intercept(o->policy))
		return 0;
	rules_intercept_names(o->policy, add_name, &ns);
	if (ns.n == 0) {
		fprintf(stderr, "proctor: TLS interception is on, but no "
				"network allow entry for a domain has "
				"\"methods\": nothing is decrypted\n");
		return 0;
	}
	tools_xdg_dir(dir, sizeof(dir), "XDG_CONFIG_HOME", ".config");
	strncat(dir, "/ca", sizeof(dir) - strlen(dir) - 1);
	rc = tracer_ca_open(dir, ns.v, ns.n, getenv("PROCTOR_UPSTREAM_CA"),
			    &o->ca);
	for (i = 0; i < ns.n; i++)
		free((char *)ns.v[i]);
	if (rc < 0) {
		fprintf(stderr,
			"proctor: TLS interception: cannot set up the CA in "
			"%s%s: %s\n",
			dir,
			rc == -EINVAL && getenv("PROCTOR_UPSTREAM_CA")
				? " or read PROCTOR_UPSTREAM_CA"
				: "",
			strerror(-rc));
		return -1;
	}
	if (publish_bundle(o->ca, tmpdir) < 0 || publish_dir(o->ca, tmpdir) < 0)
		return -1;
	return 0;
}

/*
 * The run's last line: how many calls were denied, the first objects
 * (their lines may have been drawn on a full-screen program's screen,
 * gone when it ended), and the log.
 */
static void say_denials(const char *log_path)
{
	char said[512];

	tracer_explain_said(said, sizeof(said));
	fprintf(stderr, "proctor: %llu denied",
		(unsigned long long)tracer_log_denials());
	if (said[0])
		fprintf(stderr, " (%s)", said);
	if (log_path)
		fprintf(stderr, "; log: %s", log_path);
	fputc('\n', stderr);
}

/*
 * A learned policy's entries for review grant nothing until the user
 * takes their flag off: a run that needs one is refused as if it were
 * not there.  Said before the run, so that such a refusal is read for
 * what it is.
 */
static void say_reviews(const struct rules_policy *p)
{
	const struct rules_review *r;
	size_t n = rules_policy_reviews(p, &r);
	char origin[1024], pat[1024];

	if (!n)
		return;
	tracer_printable(origin, sizeof(origin), r[0].origin);
	tracer_printable(pat, sizeof(pat), r[0].pattern);
	fprintf(stderr,
		"proctor: %zu policy %s for review and grant%s nothing until "
		"%s \"review\" is removed (%s %s \"%s\"%s); `proctor policy "
		"check %s` lists them\n",
		n, n == 1 ? "entry waits" : "entries wait", n == 1 ? "s" : "",
		n == 1 ? "its" : "their", origin, r[0].where, pat,
		n == 1 ? "" : ", ...", origin);
}

static int cmd_run(int argc, char **argv)
{
	static struct cli c;
	/* static: the supervisor's threads read it until proctor exits */
	static struct tracer_opts o = { .log_fd = -1,
					.approve_fd = -1,
					.answers_fd = -1 };
	char *ws[MAX_LIST], *tmpdir, exe[PATH_MAX], id[64], logpath[PATH_MAX];
	char home[PATH_MAX], owner[PATH_MAX], hash[65], *dump;
	struct reaper reaper = { .go = -1, .done = -1 };
	uint8_t key[32];
	struct rules_vars v;
	bool warming = false;
	pthread_t warm;
	int first, rc;
	size_t n_ws;

	c.stacks = TRACER_STACKS_DENIED;
	first = parse_run(&c, argc, argv, true);
	if (first < 0 || resolve_workspaces(&c, ws, &n_ws) < 0)
		return EXIT_FAIL;
	/*
	 * The cleaner first: forked while OpenSSL's warm-up thread maps and
	 * faults in memory, the fork waited for it (a millisecond a start).
	 * A cleaner gone (its fork failed) must not end proctor at a write.
	 */
	signal(SIGPIPE, SIG_IGN);
	if (start_tmp_reaper(&reaper) < 0) {
		fprintf(stderr, "proctor: cannot start: %s\n", strerror(errno));
		return EXIT_FAIL;
	}
	warming = pthread_create(&warm, NULL, warm_crypto, NULL) == 0;
	rc = find_command(argv[first], exe, sizeof(exe));
	if (rc) {
		fprintf(stderr, "proctor: %s: %s\n", argv[first],
			rc == 127 ? "command not found" : "not executable");
		finish_tmp_reaper(&reaper);
		return rc;
	}
	tmpdir = make_tmpdir();
	if (!tmpdir)
		goto fail;
	reaper_tell(&reaper, 'd', tmpdir, 0, 0);
	if (!realpath(home_dir(), home))
		snprintf(home, sizeof(home), "%s", home_dir());
	v = (struct rules_vars){ .home = home,
				 .tmpdir = tmpdir,
				 .workspaces = (const char *const *)ws,
				 .n_workspaces = n_ws,
				 .owner_home = owner_home(owner) };
	o.policy = build_policy(&c, &v);
	/* on failure, the reaper takes what it wrote in TMPDIR */
	if (!o.policy || setup_intercept(&c, &o, tmpdir) < 0)
		goto fail;
	if (c.permissive)
		fprintf(stderr,
			"proctor: --permissive: %s runs unconfined: every "
			"file, address and program is allowed, only logged\n",
			argv[first]);
	if (!c.quiet)
		say_reviews(o.policy);

	run_id(id, sizeof(id));
	o.log_fd = open_log(&c, id, logpath, sizeof(logpath));
	if (o.log_fd == -1 || protect_log(o.policy, o.log_fd, logpath) < 0 ||
	    open_approve_socket(&c, &o, &reaper) < 0)
		goto fail;
	/* joined before the command's fork: it never holds OpenSSL's locks */
	if (warming)
		pthread_join(warm, NULL);
	warming = false;
	dump = rules_policy_dump(o.policy);
	sha256_hex(dump ? dump : "", dump ? strlen(dump) : 0, hash);
	free(dump);

	o.argv = argv + first;
	o.exe = exe;
	o.envp = child_env(tmpdir, id);
	o.tmpdir = tmpdir;
	o.log_path = o.log_fd >= 0 ? logpath : NULL;
	o.run_id = id;
	o.policy_hash = hash;
	o.quiet = c.quiet;
	o.proxy = c.proxy;
	o.permissive = c.permissive;
	o.log_reads = c.log_reads;
	o.verbose = c.verbose;
	o.wait_all = c.wait_all;
	o.keep_caps = c.keep_caps;
	o.stacks = c.stacks;
	o.ask_defaults = c.ask;
	o.prompt_timeout = c.prompt_timeout >= 0 ? c.prompt_timeout
						 : prompt_timeout(o.policy);
	o.answers_fd = open_answers(&c);
	o.workspace = ws[0];
	if (o.log_fd >= 0 || c.syslog) {
		if (tracer_log_open(o.log_fd, id,
				    load_log_key(key) == 0 ? key : NULL,
				    c.syslog) < 0) {
			fprintf(stderr,
				"proctor: %s: its last record does not carry "
				"a MAC of your key (something else wrote it, "
				"or another XDG_CONFIG_HOME's proctor): proctor "
				"does not go on with a log it cannot vouch "
				"for; choose another --log\n",
				o.log_path ? o.log_path : "the log");
			goto fail;
		}
		tracer_log_run(&o, PROCTOR_VERSION, ws, n_ws, home,
			       c.permissive);
	}

	if (c.keep_tmp)
		reaper_tell(&reaper, 'k', NULL, 0, 0); /* set up: kept */
	tracer_gitrisk_begin();
	rc = tracer_run(&o);
	tracer_log_end(rc);
	tracer_gitrisk_report(c.quiet);

	if (tracer_log_denials() && !c.quiet)
		say_denials(o.log_path);
	if (tracer_log_lost())
		fprintf(stderr,
			"proctor: %llu records could not be written to %s; "
			"`proctor log verify` will report them missing\n",
			(unsigned long long)tracer_log_lost(),
			o.log_path ? o.log_path : "the log");
	if (c.keep_tmp && !c.quiet)
		fprintf(stderr,
			"proctor: --keep-tmp: the run's TMPDIR is "
			"kept: %s\n",
			tmpdir);
	finish_tmp_reaper(&reaper);
	if (tracer_run_signal())
		end_by_signal(tracer_run_signal());
	return rc;

fail:
	finish_tmp_reaper(&reaper);
	return EXIT_FAIL;
}

/* ---- proctor policy ----------------------------------------------------- */

/* Entries written with "review": true grant nothing: say which. */
static void print_reviews(const struct rules_policy *p)
{
	const struct rules_review *r;
	char safe[1024];
	size_t n = rules_policy_reviews(p, &r), i;

	if (n)
		printf("%s: %zu %s for review and grant%s nothing "
		       "until %s \"review\" is removed:\n",
		       r[0].origin, n, n == 1 ? "entry waits" : "entries wait",
		       n == 1 ? "s" : "", n == 1 ? "its" : "their");
	for (i = 0; i < n; i++) {
		tracer_printable(safe, sizeof(safe), r[i].pattern);
		printf("  %s %s", r[i].where, safe);
		if (r[i].why) {
			tracer_printable(safe, sizeof(safe), r[i].why);
			printf(": %s", safe);
		}
		putchar('\n');
	}
}

static void warn_bare_grant(const char *where, const char *pattern, void *arg)
{
	char safe[1024];

	tracer_printable(safe, sizeof(safe), pattern);
	printf("%s: warning: %s \"%s\" grants to a program named by its "
	       "base name: any program of that name gets the grant, one the "
	       "sandbox wrote included; name it by its path (e.g. \"/usr/bin/%s\")\n",
	       (const char *)arg, where, safe, safe);
}

static void warn_suffix(const char *where, const char *pattern, void *arg)
{
	char safe[1024];

	tracer_printable(safe, sizeof(safe), pattern);
	printf("%s: warning: %s \"%s\" allows every site under a public "
	       "suffix, anyone's; name the sites (\"*.example.com\")\n",
	       (const char *)arg, where, safe);
}

static void print_unenforceable(const char *origin, const char *where,
				const char *pattern, void *arg)
{
	char safe[1024];

	(void)arg;
	tracer_printable(safe, sizeof(safe), pattern);
	printf("%s: %s %s: warning: its method limits are not enforceable "
	       "over TLS (HTTPS) without TLS interception: such "
	       "connections are judged by their TLS server name only\n",
	       origin, where, safe);
}

static int policy_check(int argc, char **argv)
{
	const char *ws[] = { "/workspace" };
	struct rules_vars v = { "/home/user", "/tmp/proctor-run", ws, 1 };
	int i, bad = 0;

	if (argc < 1) {
		fprintf(stderr, "proctor: policy check FILE...\n");
		return 2;
	}
	for (i = 0; i < argc; i++) {
		struct rules_policy *p;
		char err[1024];

		if (rules_policy_new(&p, &v) < 0)
			return EXIT_FAIL;
		if (rules_policy_add_file(p, argv[i], "/workspace", err,
					  sizeof(err)) < 0) {
			print_error(err);
			bad = 1;
		} else {
			printf("%s: ok\n", argv[i]);
			print_reviews(p);
			rules_policy_bare_grants(p, warn_bare_grant, argv[i]);
			rules_policy_suffix_wildcards(p, warn_suffix, argv[i]);
			rules_http_unenforceable(p, print_unenforceable, NULL);
		}
		rules_policy_free(p);
	}
	return bad;
}

static int policy_approve(int argc, char **argv)
{
	char path[PATH_MAX], dir[PATH_MAX], hash[65], *text, *real;
	size_t len;
	FILE *f;

	if (argc != 1) {
		fprintf(stderr, "proctor: policy approve FILE\n");
		return 2;
	}
	text = read_all(argv[0], &len);
	if (!text) {
		fprintf(stderr, "proctor: %s: %s\n", argv[0], strerror(errno));
		return 1;
	}
	if (policy_check(1, argv) != 0) {
		free(text);
		return 1;
	}
	sha256_hex(text, len, hash);
	free(text);
	tools_xdg_dir(dir, sizeof(dir), "XDG_CONFIG_HOME", ".config");
	tools_mkdirs(dir, 0700);
	approved_path(path, sizeof(path));
	f = fopen(path, "ae");
	real = realpath(argv[0], NULL);
	if (!f || fprintf(f, "%s  %s\n", hash, real ? real : argv[0]) < 0) {
		fprintf(stderr, "proctor: cannot write %s\n", path);
		free(real);
		return 1;
	}
	fclose(f);
	printf("approved %s (sha256 %s)\n", real ? real : argv[0], hash);
	/* its content, wherever it is put: runs read only that name */
	if (strcmp(strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0],
		   ".proctor.json"))
		printf("note: a run reads a project's policy only as "
		       "WORKSPACE/.proctor.json; this content is approved "
		       "there\n");
	free(real);
	return 0;
}

static int policy_show(int argc, char **argv)
{
	static struct cli c;
	char *ws[MAX_LIST], home[PATH_MAX], owner[PATH_MAX], *dump;
	struct rules_policy *p;
	struct rules_vars v;
	size_t n;

	/* The same options as run; no command is needed here. */
	if (parse_run(&c, argc + 1, argv - 1, false) < 0)
		return EXIT_FAIL;
	if (resolve_workspaces(&c, ws, &n) < 0)
		return EXIT_FAIL;
	if (!realpath(home_dir(), home))
		snprintf(home, sizeof(home), "%s", home_dir());
	/* a run's TMPDIR does not exist yet: show where it would be */
	v = (struct rules_vars){ home, "/tmp/proctor-RUN",
				 (const char *const *)ws, n,
				 owner_home(owner) };
	p = build_policy(&c, &v);
	if (!p)
		return EXIT_FAIL;
	dump = rules_policy_dump(p);
	printf("%s\n", dump ? dump : "{}");
	free(dump);
	rules_policy_free(p);
	return 0;
}

static int cmd_policy(int argc, char **argv)
{
	if (argc >= 1 && !strcmp(argv[0], "check"))
		return policy_check(argc - 1, argv + 1);
	if (argc >= 1 && !strcmp(argv[0], "approve"))
		return policy_approve(argc - 1, argv + 1);
	if (argc >= 1 && !strcmp(argv[0], "show"))
		return policy_show(argc - 1, argv + 1);
	if (argc >= 1 && !strcmp(argv[0], "answers"))
		return proctor_answers_main(argc - 1, argv + 1);
	if (argc >= 1 && !strcmp(argv[0], "diff"))
		return proctor_policy_diff(argc - 1, argv + 1);
	fprintf(stderr, "proctor: policy check|show|approve|answers|diff\n");
	return 2;
}

int main(int argc, char **argv)
{
	/*
	 * No cleanup of OpenSSL at exit: the supervisor's threads may still
	 * be signing a record when main returns.
	 */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
	if (argc >= 2 && !strcmp(argv[1], "run")) {
		int rc = cmd_run(argc - 1, argv + 1);

		/* the receivers may still be running: end without cleanup */
		fflush(NULL);
		_exit(rc);
	}
	if (argc >= 2 && !strcmp(argv[1], "policy"))
		return cmd_policy(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "log"))
		return proctor_log_main(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "approve"))
		return proctor_approve_main(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "learn"))
		return proctor_learn_main(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "--version")) {
		printf("proctor %s\n", PROCTOR_VERSION);
		return 0;
	}
	if (argc >= 2 &&
	    (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc >= 2)
		fprintf(stderr, "proctor: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_FAIL;
}
