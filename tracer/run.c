/* SPDX-License-Identifier: MIT */
/*
 * The launcher.  The child sets no_new_privs, installs the filter and
 * tells us its listener's number; we take the listener with pidfd_getfd
 * (a sendmsg from the child would itself pass the filter), attach with
 * PTRACE_SEIZE, and only then let the child exec CMD.  So every process
 * of the tree, CMD included, is filtered and traced from its first call.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arch/arch.h"
#include "tracer/tracer.h"

#define RUN_PTRACE_OPTS                                                   \
	(PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | \
	 PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD)

static const int forwarded[] = { SIGTERM, SIGHUP,  SIGINT,  SIGQUIT,
				 SIGUSR1, SIGUSR2, SIGWINCH };
static volatile pid_t forward_to;
static struct rlimit nofile_orig;

static void forward(int sig)
{
	if (forward_to > 0)
		kill(forward_to, sig);
	/* CMD would act on it only once its question is answered */
	if (sig == SIGTERM || sig == SIGHUP || sig == SIGINT || sig == SIGQUIT)
		tracer_prompt_ending_signal();
}

static void write_all(int fd, const void *buf, size_t len)
{
	while (write(fd, buf, len) < 0 && errno == EINTR)
		;
}

static int read_int(int fd, int *v)
{
	ssize_t n;

	do
		n = read(fd, v, sizeof(*v));
	while (n < 0 && errno == EINTR);
	return n == sizeof(*v) ? 0 : -EPIPE;
}

/*
 * Reads go to the kernel unless the run needs each one seen: logged
 * (--log-reads, proctor learn), asked (--ask), allowed and logged
 * (--permissive), or served (the trust store, with TLS interception).
 */
static const char *reads_kept_by(const struct tracer_opts *o)
{
	return o->log_reads	 ? "--log-reads"
	       : o->ask_defaults ? "--ask"
	       : o->permissive	 ? "--permissive"
	       : o->ca		 ? "TLS interception serves the trust store"
				 : NULL;
}

/* The Landlock rulesets the tracee takes (-errno: none). */
struct floors {
	int write;
	int scopes; /* without a write floor: its scopes alone */
	int reads;
	const char *reads_why; /* why reads stay with proctor */
	char **envp;	       /* CMD's environment */
	/*
	 * The filter, compiled ahead for a guess of reads_in_kernel (in
	 * filter.want); compiled is 0 or -errno.
	 */
	struct tracer_filter filter;
	int compiled;
};

/*
 * The filter is compiled by a thread while the rulesets are made, for
 * what reads_floor() will most likely say; compiled again before the
 * fork in the rare case it said otherwise, so that the supervisor holds
 * the program the child loads (interrupt.c runs it).
 */
struct compile_job {
	pthread_t t;
	bool started;
	struct floors *fl;
};

static void *compile_thread(void *arg)
{
	struct floors *fl = ((struct compile_job *)arg)->fl;

	fl->compiled = tracer_filter_compile(&fl->filter.want, &fl->filter);
	/* and the calls' names, which the first notification waits for */
	arch_syscall_name(0);
	return NULL;
}

static void compile_start(struct compile_job *j, const struct tracer_opts *o,
			  bool job, struct floors *fl)
{
	fl->filter.want = (struct tracer_filter_want){
		/* with or without a log: the kept cwd and umask need them */
		.ident = true,
		.reads_in_kernel = !reads_kept_by(o) &&
				   tracer_landlock_abi() >= 6,
		.ca_stats = o->ca != NULL,
		/* the child makes a group of its own (child_main) */
		.pgrp_guard = job ? getpgrp() : 0,
	};
	fl->compiled = -EAGAIN;
	j->fl = fl;
	j->started = pthread_create(&j->t, NULL, compile_thread, j) == 0;
}

/* Before the fork (the child must not inherit libseccomp mid-work). */
static void compile_join(struct compile_job *j)
{
	if (j->started)
		pthread_join(j->t, NULL);
	j->started = false;
}

static void compile_final(struct floors *fl)
{
	struct tracer_filter_want w = fl->filter.want;

	if (!fl->compiled && w.reads_in_kernel == (fl->reads >= 0))
		return;
	tracer_filter_free(&fl->filter);
	w.reads_in_kernel = fl->reads >= 0;
	fl->compiled = tracer_filter_compile(&w, &fl->filter);
}

static int load_filter(struct floors *fl, bool *killable)
{
	if (fl->compiled)
		return fl->compiled;
	return tracer_filter_load(&fl->filter, killable);
}

/*
 * A file with no #! line that the kernel will not run (ENOEXEC) is a
 * shell script to env(1) and execvp(3): run it with /bin/sh likewise.
 * On the child's stack: no malloc after fork in a threaded process.
 */
static void exec_shell(const struct tracer_opts *o, char *const envp[])
{
	size_t n = 0, i;

	while (o->argv[n])
		n++;
	{
		char *argv[n + 2];

		argv[0] = (char *)"/bin/sh";
		argv[1] = (char *)o->exe;
		for (i = 1; i <= n; i++)
			argv[i + 1] = o->argv[i];
		execve("/bin/sh", argv, envp);
	}
}

/* In the child: nothing returns; failures go up the pipes. */

static void child_main(const struct tracer_opts *o, int ready, int go, int fail,
		       bool job, struct floors *fl, pid_t parent)
{
	bool killable = false;
	sigset_t none;
	int listener, v, i;

	for (i = 0; i < (int)(sizeof(forwarded) / sizeof(*forwarded)); i++)
		signal(forwarded[i], SIG_DFL);
	signal(SIGTTOU, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setrlimit(RLIMIT_NOFILE, &nofile_orig);
	/*
	 * A core is a file the kernel writes in the cwd, unjudged: no room
	 * for one, and CAP_SYS_RESOURCE, which could make room, is dropped
	 * (caps.c).  Before the filter, whose kills skip the tracer.
	 */
	setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
	if (job)
		setpgid(0, 0);
	/* proctor gone already (killed at start): nobody will trace us */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(125);

	/*
	 * Started as root, the run could still become another user
	 * (CAP_SETUID, which programs that drop privileges need) and so
	 * reach that user's SysV IPC objects, which are not files: it gets
	 * an IPC namespace of its own.  A user's run cannot make one, and
	 * reaches its user's, as natively.
	 */
	if (!o->keep_caps && geteuid() == 0 && unshare(CLONE_NEWIPC) < 0 &&
	    !o->quiet)
		fprintf(stderr,
			"proctor: cannot give the run an IPC namespace of its "
			"own (%s): a program that becomes another user may "
			"reach that user's SysV IPC objects\n",
			strerror(errno));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		listener = -errno;
	else if (!o->keep_caps && (v = tracer_caps_drop()) < 0)
		listener = v;
	else if (fl->write >= 0 && (v = tracer_landlock_enforce(fl->write)) < 0)
		listener = v;
	else if (fl->scopes >= 0 &&
		 (v = tracer_landlock_enforce(fl->scopes)) < 0)
		listener = v;
	else if (fl->reads >= 0 && (v = tracer_landlock_enforce(fl->reads)) < 0)
		listener = v;
	else
		listener = load_filter(fl, &killable);
	v = killable;
	write_all(ready, &listener, sizeof(listener));
	write_all(ready, &v, sizeof(v));
	if (listener < 0 || read_int(go, &v) < 0)
		_exit(125);
	close(listener); /* the supervisor holds it now */

	execve(o->exe, o->argv, fl->envp);
	v = errno;
	if (v == ENOEXEC) {
		exec_shell(o, fl->envp); /* returns only if that fails */
		v = errno == ENOENT ? ENOEXEC : errno; /* CMD itself exists */
	}
	write_all(fail, &v, sizeof(v));
	_exit(v == ENOENT ? 127 : 126);
}

static void install_forwarding(pid_t child)
{
	struct sigaction sa = { .sa_handler = forward };
	size_t i;

	forward_to = child;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(forwarded) / sizeof(*forwarded); i++)
		sigaction(forwarded[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int take_listener(pid_t child, int ready, int *listener, bool *killable)
{
	int num, pidfd, err, k;

	if (read_int(ready, &num) < 0)
		return -EPIPE;
	if (num < 0)
		return num;
	if (read_int(ready, &k) < 0)
		return -EPIPE;
	*killable = k;
	pidfd = syscall(SYS_pidfd_open, child, 0);
	if (pidfd < 0)
		return -errno;
	*listener = syscall(SYS_pidfd_getfd, pidfd, num, 0);
	err = errno;
	close(pidfd);
	return *listener < 0 ? -err : 0;
}

static int reads_floor(const struct tracer_opts *o, bool scoped,
		       const char **why)
{
	*why = reads_kept_by(o);
	/*
	 * /proc/PID of another process then opens (its files that matter
	 * stay closed: Landlock's ptrace rule), and its directory works as a
	 * pidfd: Landlock's signal scope (ABI 6) keeps signals in the run.
	 */
	if (!*why && (tracer_landlock_abi() < 6 || !scoped))
		*why = "Landlock lacks the signal scope (ABI 6)";
	if (*why)
		return -EOPNOTSUPP;
	return tracer_landlock_reads(o->policy, why);
}

/*
 * With reads in the kernel, programs read the host's resolv.conf, not
 * the one proctor serves (tracer/dns.c); glibc takes "use-vc" from the
 * environment as well, and so asks proctor's answerer over TCP.
 */
static char **env_use_vc(char *const *envp)
{
	const char *old = NULL;
	size_t n = 0, i, j = 0;
	char **env;

	while (envp[n])
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (!env)
		return NULL;
	for (i = 0; i < n; i++) {
		if (!strncmp(envp[i], "RES_OPTIONS=", 12))
			old = envp[i] + 12;
		else
			env[j++] = envp[i];
	}
	if (asprintf(&env[j], "RES_OPTIONS=%s%suse-vc", old ? old : "",
		     old && *old ? " " : "") < 0) {
		free(env);
		return NULL;
	}
	return env;
}

/*
 * A short text for a JSON string: quotes, controls and bytes that are
 * not ASCII (a directory's name in it need not be UTF-8) become '?'.
 */
static void plain(char *out, size_t size, const char *in)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < size; i++)
		out[i] = in[i] == '"' || in[i] == '\\' ||
					 (unsigned char)in[i] < 0x20 ||
					 (unsigned char)in[i] >= 0x7f
				 ? '?'
				 : in[i];
	out[i] = '\0';
}

/* Optional kernel features: a missing one is said once, at start. */
static void report_features(const struct tracer_opts *o,
			    const struct tracer_sup *s, bool killable,
			    const struct floors *fl)
{
	int abi = tracer_landlock_abi(), floor = fl->write;
	char fields[1600], why[900], proxy[200];

	plain(why, sizeof(why), fl->reads_why ? fl->reads_why : "");
	tracer_proxy_describe(proxy, sizeof(proxy));
	snprintf(fields, sizeof(fields),
		 "\"features\":{\"sync_wakeup\":%s,\"wait_killable\":%s,"
		 "\"landlock_abi\":%d},\"write_floor\":%s,"
		 "\"reads\":\"%s%s\",\"proxy\":\"%s\"",
		 s->sync_wakeup ? "true" : "false", killable ? "true" : "false",
		 abi,
		 floor >= 0	    ? "\"landlock\""
		 : floor == -ERANGE ? "\"none: writes are unbounded\""
				    : "\"none\"",
		 fl->reads >= 0 ? "kernel: Landlock" : "proctor: ",
		 fl->reads >= 0 ? "" : why, proxy);
	tracer_log_raw("kernel", fields);
	if (o->verbose)
		fprintf(stderr,
			"proctor: run %s; log %s; Landlock ABI %d, "
			"write floor %s; reads judged by %s%s%s; synchronous "
			"wake-up %s\n",
			o->run_id, o->log_path ? o->log_path : "none", abi,
			floor >= 0 ? "on" : "off",
			fl->reads >= 0 ? "the kernel" : "proctor",
			fl->reads >= 0 ? "" : ": ", fl->reads >= 0 ? "" : why,
			s->sync_wakeup ? "on" : "off");
	if (o->quiet)
		return;
	if (abi == 0)
		fprintf(stderr, "proctor: this kernel lacks Landlock: the "
				"supervisor alone enforces the policy\n");
	else if (floor < 0 && floor != -ERANGE)
		fprintf(stderr,
			"proctor: cannot build the Landlock write "
			"floor (%s): the supervisor alone enforces "
			"the policy\n",
			strerror(-floor));
	if (!s->sync_wakeup)
		fprintf(stderr, "proctor: this kernel lacks the synchronous "
				"wake-up of user notifications (6.6+): "
				"supervised calls are slower\n");
	if (!killable)
		fprintf(stderr,
			"proctor: this kernel lacks "
			"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (5.19+): "
			"a signal can interrupt a call proctor "
			"carried out\n");
}

/*
 * CMD enters the table, and the log, as the first process: its start
 * record, like every other process's, names its parent (proctor).
 */
static void add_first_process(pid_t child, const struct tracer_opts *o)
{
	struct tracer_proc *p;
	struct tracer_who w;
	size_t i, len = 0;

	tracer_proc_lock();
	p = tracer_proc_add(child, child, getpid());
	if (p) {
		p->seen_stop = true; /* SEIZE does not stop it */
		snprintf(p->exe, sizeof(p->exe), "%s", o->exe);
		snprintf(p->comm, sizeof(p->comm), "%s",
			 strrchr(o->exe, '/') ? strrchr(o->exe, '/') + 1
					      : o->exe);
		for (i = 0; o->argv[i]; i++) {
			size_t n = strlen(o->argv[i]) + 1;

			if (len + n > sizeof(p->argv))
				break;
			memcpy(p->argv + len, o->argv[i], n);
			len += n;
		}
		p->argv_len = len;
	}
	tracer_proc_unlock();
	tracer_proc_who(child, &w);
	tracer_log_lifecycle("start", &w, NULL, NULL, -1);
}

static int killed_by;

int tracer_run_signal(void)
{
	return killed_by;
}

static int exit_code(const struct tracer_opts *o, int st, int fail)
{
	int err;

	if (st == -1)
		return 125;
	if (WIFSIGNALED(st)) {
		killed_by = WTERMSIG(st);
		return 128 + killed_by;
	}
	if (read_int(fail, &err) == 0) {
		fprintf(stderr, "proctor: cannot run %s: %s\n", o->argv[0],
			strerror(err));
		return err == ENOENT ? 127 : 126;
	}
	return WEXITSTATUS(st);
}

static int fail_setup(pid_t child, const char *what, int err)
{
	fprintf(stderr, "proctor: %s: %s\n", what, strerror(-err));
	if (err == -EPERM && !strcmp(what, "cannot trace the command"))
		fprintf(stderr, "proctor: ptrace is refused here (inside "
				"proctor or a container without it?)\n");
	kill(child, SIGKILL);
	waitpid(child, NULL, __WALL);
	return 125;
}

int tracer_run(const struct tracer_opts *o)
{
	int ready[2], go[2], fail[2], st = -1, err, one = 1;
	/*
	 * Static: the receivers keep a pointer to it, and one may still be
	 * answering a call of a process killed at the end when this returns.
	 */
	static struct tracer_sup sup;
	struct floors fl = { .scopes = -1,
			     .reads = -1,
			     .envp = (char **)o->envp };
	int tracee_floor;
	bool job = tracer_job_foreground(), killable = false;
	struct compile_job compile;
	struct rlimit rl;
	pid_t child, parent;

	sup = (struct tracer_sup){ .o = o, .listener = -1 };
	if (pipe2(ready, O_CLOEXEC) || pipe2(go, O_CLOEXEC) ||
	    pipe2(fail, O_CLOEXEC)) {
		perror("proctor: pipe");
		return 125;
	}
	/* The supervisor holds descriptors for many tracees at once. */
	getrlimit(RLIMIT_NOFILE, &nofile_orig);
	rl = nofile_orig;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	compile_start(&compile, o, job, &fl);
	tracer_ident_keep_cwd(!o->keep_caps);
	if (tracer_cred_init(o->keep_caps ? 0 : tracer_caps_dropped()) < 0) {
		fprintf(stderr,
			"proctor: root with more than %d supplementary groups: "
			"proctor could not make a program's calls with the "
			"program's own credentials; drop some groups first\n",
			TRACER_GROUPS_MAX);
		return 125;
	}
	tracer_proc_init();
	tracer_pts_init();
	tracer_grant_set_policy(o->policy);
	/*
	 * The floor holds for the supervisor's own threads, which carry out
	 * calls for the tracee, and, nested below with signal and socket
	 * scoping, for the tracee: Landlock lets a domain ptrace only its
	 * own or nested domains, so the supervisor's comes first.
	 */
	sup.floor = tracer_landlock_ruleset(o->policy, false);
	tracee_floor = tracer_landlock_ruleset(o->policy, true);
	/* with --ask any write the default denies may be approved */
	if (o->ask_defaults && sup.floor >= 0) {
		close(sup.floor);
		sup.floor = -ERANGE;
	}
	if (o->ask_defaults && tracee_floor >= 0) {
		close(tracee_floor);
		tracee_floor = -ERANGE;
	}
	fl.write = tracee_floor;
	fl.scopes = tracee_floor < 0 ? tracer_landlock_scopes() : -1;
	fl.reads = reads_floor(o, tracee_floor >= 0, &fl.reads_why);
	compile_join(&compile);
	compile_final(&fl);
	if (fl.reads >= 0 && !(fl.envp = env_use_vc(o->envp))) {
		fprintf(stderr, "proctor: out of memory\n");
		return 125;
	}
	err = tracer_proxy_prepare(o, &fl.envp);
	if (err) {
		fprintf(stderr, "proctor: cannot offer the proxy: %s\n",
			strerror(-err));
		return 125;
	}
	if (sup.floor >= 0 && (err = tracer_landlock_enforce(sup.floor))) {
		fprintf(stderr, "proctor: cannot enforce Landlock: %s\n",
			strerror(-err));
		return 125;
	}

	parent = getpid();
	child = fork();
	if (child < 0) {
		perror("proctor: fork");
		return 125;
	}
	if (child == 0) {
		/* so that a proctor gone shows as the end of go */
		close(ready[0]);
		close(go[1]);
		close(fail[0]);
		child_main(o, ready[1], go[0], fail[1], job, &fl, parent);
	}
	close(ready[1]);
	close(go[0]);
	close(fail[1]);
	install_forwarding(child);

	if (ptrace(PTRACE_SEIZE, child, 0, RUN_PTRACE_OPTS) < 0)
		return fail_setup(child, "cannot trace the command", -errno);
	err = take_listener(child, ready[0], &sup.listener, &killable);
	if (err)
		return fail_setup(child, "cannot install the seccomp filter",
				  err);
	tracer_interrupt_init(&fl.filter.prog, killable);
	/* Not dumpable: the tracee cannot attach to us or read our memory. */
	prctl(PR_SET_DUMPABLE, 0);

	add_first_process(child, o);
	err = tracer_notify_start(&sup);
	if (err)
		return fail_setup(child, "cannot start workers", err);
	err = tracer_dns_start(&sup);
	if (err)
		fprintf(stderr,
			"proctor: cannot start the resolver (%s): the command "
			"cannot resolve names\n",
			strerror(-err));
	err = tracer_relay_start(&sup);
	if (err)
		return fail_setup(child, "cannot start the HTTP relay", err);
	report_features(o, &sup, killable, &fl);
	if (job)
		tracer_job_setup(child);
	tracer_job_tty_note();
	err = tracer_prompt_start(&sup);
	if (err)
		return fail_setup(child, "cannot start the prompt", err);

	write_all(go[1], &one, sizeof(one));
	close(go[1]);
	tracer_ptrace_loop(child, o, &st);
	tracer_notify_drain(250);
	tracer_prompt_finish();
	tracer_relay_finish();
	tracer_prompt_stop();
	tracer_job_tty_mend();
	tracer_job_restore();
	return exit_code(o, st, fail[0]);
}
