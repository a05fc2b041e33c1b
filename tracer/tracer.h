/* SPDX-License-Identifier: MIT */
/*
 * tracer: the supervisor.  The launcher starts CMD under a seccomp filter
 * whose listener this process holds; worker threads answer notifications
 * (notify.c), the thread that attached owns every ptrace call (ptrace.c).
 *
 * Below tracer_run(), functions return 0, a count or -errno.
 */
#ifndef PROCTOR_TRACER_H
#define PROCTOR_TRACER_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "rules/rules.h"

/* Which decisions carry the call stack of the thread that asked. */
enum tracer_stacks {
	TRACER_STACKS_NONE,
	TRACER_STACKS_DENIED, /* denials, and asks (which deny for now) */
	TRACER_STACKS_ALL,
};

/* What `proctor run` was asked to do; filled by tools/proctor.c. */
struct tracer_opts {
	struct rules_policy *policy;
	char *const *argv; /* CMD and its arguments */
	const char *exe;   /* CMD resolved through PATH */
	char **envp;
	const char *tmpdir;   /* the run's private TMPDIR */
	int log_fd;	      /* -1: no log */
	const char *log_path; /* shown to the user; may be NULL */
	const char *run_id;
	const char *policy_hash; /* hex SHA-256 of the merged policy */
	bool quiet;		 /* no denial lines on stderr */
	bool log_reads;		 /* reads come to proctor, to be logged */
	int verbose;
	bool wait_all;	/* wait for the whole tree */
	bool keep_caps; /* root keeps every capability */
	enum tracer_stacks stacks;

	/* asking the user (#6) */
	bool ask_defaults;	  /* --ask: default denials become questions */
	int prompt_timeout;	  /* seconds; 0: wait for the answer */
	int approve_fd;		  /* listening approval socket, or -1 */
	const char *approve_path; /* its name, for messages */
	dev_t approve_dev;	  /* its identity: the sandbox never */
	ino_t approve_ino;	  /* connects to it, whatever the name */
	int answers_fd;		  /* the user's answers file, or -1 */
	const char *workspace;	  /* the first one, saved with answers */

	/* --permissive: writes to what existed before the run, and is not
	 * its own, are logged as such ("preexisting"), for learning */
	bool permissive;

	/* TLS interception (#8): the CA, or NULL when it is off */
	struct tracer_ca *ca;

	/* proctor's proxy (#8): offered when the environment names one */
	enum tracer_proxy_offer {
		TRACER_PROXY_AUTO,
		TRACER_PROXY_ON,
		TRACER_PROXY_OFF
	} proxy;
};

/*
 * Runs the command to its end.  Returns the exit status proctor should
 * end with: CMD's own, 128+N for a signal, 125 when proctor failed,
 * 126/127 when CMD could not be run.
 */
int tracer_run(const struct tracer_opts *o);
/* The signal CMD died of in the last run, 0 when it exited. */
int tracer_run_signal(void);

/*
 * What an exec judged at entry must load: the file (or, for a script, its
 * interpreter) and the argv that was judged.  The names the table takes
 * once the exec is verified come with it, so that the exec event reads
 * no more of /proc than the check needs: exe[i] is the path of the file
 * whose identity is dev[i], ino[i]; comm is what the kernel names the
 * task (the last component of the path given to exec).
 */
struct tracer_exec_expect {
	dev_t dev[2];
	ino_t ino[2];
	bool script;
	char *exe[2]; /* malloc()ed by tracer_exec_expect() */
	char comm[16];
	char *argv; /* NUL-joined words */
	size_t argv_len;
	/* the grant the command gets once it runs, and who approved it */
	const struct rules_grant *grant;
	char grant_by[128];
	char grant_why[160]; /* why the grant is withheld, or "" */
	/*
	 * A script: what the kernel puts ahead of argv[1]: the words of
	 * each #! line (the last interpreter's first), then the name it
	 * hands the first interpreter (the path given to exec;
	 * /dev/fd/N[/PATH] for execveat from a descriptor), each ending in
	 * a NUL (malloc()ed).
	 */
	char *script_head;
	size_t script_head_len;
	/* a cut argv: bytes after its first word that the exec rules look at */
	size_t ruled;
};

/* --- process table (proc.c) ------------------------------------------- */

#define TRACER_ARGV_MAX 4096 /* bytes of argv kept per process */

struct tracer_grant_hold;
struct tracer_question;

struct tracer_proc {
	pid_t tid;
	pid_t tgid;
	pid_t ppid;	/* parent process (tgid) */
	bool seen_stop; /* its first ptrace stop arrived */
	/* a grant this task's subtree holds (grant.c), or NULL */
	struct tracer_grant_hold *grant;
	char comm[16];
	char exe[4096];
	char argv[TRACER_ARGV_MAX]; /* words joined by NUL */
	size_t argv_len;
	/* exec judged at entry, verified at PTRACE_EVENT_EXEC */
	struct tracer_exec_expect *exec;
	/* uid and cwd as last read, valid while ident_gen is current
	 * (ident.c); ident_pending: a call that changes them is under way */
	uint64_t ident_gen;
	bool ident_pending;
	uint64_t ident_seq; /* bumped by each changing call */
	long ident_uid;
	char *ident_cwd; /* malloc()ed */
	/*
	 * Kept the same way, for the supervisor's own work: an O_PATH
	 * descriptor of the cwd (-1: none) and the umask (-1: none).
	 */
	int cwd_fd;
	uint64_t cwd_gen;
	int umask;
	uint64_t umask_gen;
	/*
	 * Its credentials, for the calls proctor makes (cred.c): known once
	 * read, kept until its own set*id, setgroups, capset or exec; NULL
	 * while known means those a serving thread holds at rest.
	 */
	bool cred_known;
	struct tracer_cred *cred;
	struct tracer_proc *next; /* hash chain */
};

/* Snapshot of what a log record says about a task. */
struct tracer_who {
	pid_t tid, tgid, ppid;
	char comm[16];
	char exe[256];
	char cmdline[512]; /* argv joined by spaces, for people */
	long uid;	   /* -1: not read (lifecycle records) */
	char cwd[4096];
};

void tracer_proc_init(void);

/* Terminals (pts.c): proctor's own are noted at start; a pty slave (st,
 * by any path) is the run's when it is one of those or a process of the
 * run holds its master. */
void tracer_pts_init(void);
int tracer_pts_index(const char *path);
struct tracer_proc *tracer_proc_add(pid_t tid, pid_t tgid, pid_t ppid);
void tracer_proc_remove(pid_t tid);
/* The caller holds tracer_proc_lock() while using the pointer. */
struct tracer_proc *tracer_proc_find(pid_t tid);
void tracer_proc_lock(void);
void tracer_proc_unlock(void);
/* Rereads exe, comm and argv from /proc after an exec. */
void tracer_proc_refresh(struct tracer_proc *p);
/* Rereads argv from /proc/TID/cmdline; 0 or -errno (the task is gone). */
int tracer_proc_read_argv(struct tracer_proc *p);
/* The same at p's exec event, from the new image's stack. */
int tracer_proc_read_exec_argv(struct tracer_proc *p);
/*
 * At tid's exec event, its whole argv into buf (*len bytes); -1 when it
 * is longer than size or its stack is of another shape.
 */
int tracer_proc_exec_argv_whole(pid_t tid, char *buf, size_t size, size_t *len);
/* Fills w for tid; a task proctor does not know gets what /proc says. */
void tracer_proc_who(pid_t tid, struct tracer_who *w);
/* Adds the task's uid and cwd, for decision records (ident.c). */
void tracer_proc_who_now(pid_t tid, struct tracer_who *w);
/* The cache of uid and cwd: a call that changes them has ended
 * (settle), or something else may have changed them (changed). */
void tracer_ident_settle(pid_t tid);
void tracer_ident_settle_locked(struct tracer_proc *p);
void tracer_ident_changed(void);
void tracer_ident_changed_locked(void);
/* The i-th call that changes a task's uid or cwd, or NULL past the end. */
const char *tracer_ident_call(size_t i);
/*
 * A descriptor of tid's cwd for the caller to close, and its umask:
 * what /proc says, kept while nothing can have changed them.
 */
int tracer_ident_cwd(pid_t tid);
int tracer_ident_umask(pid_t tid);
/* With capabilities kept, a mount namespace can move a cwd: none kept. */
void tracer_ident_keep_cwd(bool keep);
/* Drops the cwd and umask kept for p; caller holds the lock. */
void tracer_ident_forget_locked(struct tracer_proc *p);
bool tracer_proc_in_tree(pid_t pid);
/* The thread group of task tid (tid itself when proctor does not know). */
pid_t tracer_proc_tgid(pid_t tid);
/* Reads a small /proc file into buf, NUL-terminated; bytes or -errno. */
ssize_t tracer_proc_read(const char *path, char *buf, size_t size);
size_t tracer_proc_count(void);
/* How many tasks of the table are threads, not a process's leader. */
size_t tracer_proc_threads(void);
/* Calls fn for every task; used to kill what is left at the end. */
void tracer_proc_each(void (*fn)(struct tracer_proc *, void *), void *arg);

/* --- files the run created (created.c) ---------------------------------- */

/* The object at dirfd/name ("": dirfd itself), links not followed. */
void tracer_created_add(int dirfd, const char *name);
bool tracer_created_has(int dirfd, const char *name);
void tracer_created_remove(dev_t dev, ino_t ino);

/* --- tracee memory (mem.c) ---------------------------------------------- */

/* Copies a NUL-terminated string; -EFAULT, -ENAMETOOLONG. */
int tracer_mem_string(pid_t tid, uint64_t addr, char *buf, size_t size);
/* Copies exactly len bytes; -EFAULT on a short read. */
int tracer_mem_read(pid_t tid, uint64_t addr, void *buf, size_t len);
int tracer_mem_write(pid_t tid, uint64_t addr, const void *buf, size_t len);
/*
 * Copies a NULL-terminated array of strings (argv) as NUL-joined words.
 * seen, if not NULL, is a string already copied from seen_addr: a word
 * within it is taken from it rather than read again.  Returns 0, 1 when
 * it did not fit (buf holds a prefix), or -errno.
 */
int tracer_mem_argv(pid_t tid, uint64_t addr, char *buf, size_t size,
		    size_t *len, uint64_t seen_addr, const char *seen);

/* --- path resolution from the tracee's point of view (path.c) ---------- */

/*
 * The object a path names.  parent is an O_PATH descriptor of the
 * directory that holds it (pinned: renames of its ancestors do not
 * change what it is), name the last component.  When the path went
 * through a procfs magic link (/proc/PID/fd/N and friends), magic holds
 * an O_PATH descriptor of that link and path is what it points to.
 * path_init() in path.c sets each field: one added is set there too.
 */
struct tracer_path {
	int parent;
	int magic; /* -1 unless via a magic link */
	char name[256];
	char path[4096]; /* absolute, canonical: what rules judge */
	bool exists;
	mode_t mode;	     /* its type, when it exists */
	uid_t uid;	     /* its owner, when it exists */
	pid_t via_pid;	     /* went through /proc/PID: that PID, else 0 */
	bool is_proc_object; /* a pipe:, socket:, anon_inode: object */
};

enum {
	TRACER_PATH_FOLLOW = 1, /* follow a symlink in the last part */
};

/*
 * Resolves path as task tid would, relative to dirfd (AT_FDCWD: its cwd).
 * Returns 0 with p filled (release with tracer_path_release), or -errno
 * as the kernel would have failed the lookup (ENOENT, ENOTDIR, ELOOP).
 */
int tracer_path_resolve(pid_t tid, pid_t tgid, int dirfd, const char *path,
			int flags, struct tracer_path *p);
/* Same, under openat2's RESOLVE_* flags. */
int tracer_path_resolve_how(pid_t tid, pid_t tgid, int dirfd, const char *path,
			    int flags, uint64_t resolve, struct tracer_path *p);
void tracer_path_release(struct tracer_path *p);
/* "/proc/1234/..." gives 1234; anything else 0. */
pid_t tracer_path_proc_pid(const char *path);
struct stat;
/*
 * The open flags of the descriptor a reopen goes through (p reached
 * through /proc/PID/fd/N: p->name in p->parent), from its fdinfo, while
 * it holds p's object, by mount and inode (else the tracee swapped it
 * after we took it); -1 where p is no such reopen.
 */
long tracer_path_reopen_flags(const struct tracer_path *p);
/*
 * Called by a thread with a filesystem context of its own (unshare
 * CLONE_FS): path.c may then move its cwd, which names a directory
 * faster than procfs.
 */
void tracer_path_own_fs(void);
bool tracer_pts_of_run(const struct tracer_path *p, const struct stat *st);
/* A reopen through a descriptor that reads or writes its terminal. */
bool tracer_pts_held(const struct tracer_path *p);
bool tracer_pts_is_slave(const struct stat *st);
/* A virtual console, its screen, or /dev/console. */
bool tracer_pts_is_console(const struct stat *st);
/* One of the terminals proctor was started on. */
bool tracer_pts_own(const struct stat *st);

/* --- call stacks (stack.c) ----------------------------------------------- */

#define TRACER_STACK_MAX 32

struct tracer_frame {
	uint64_t pc;
	uint64_t off;  /* the ELF address in obj (for addr2line), or 0 */
	char sym[128]; /* "name+0xN", or "" */
	char obj[256]; /* the mapped file, or "" */
};

struct tracer_stack {
	size_t n;
	const char *cut; /* why it ends before the outermost frame, or NULL */
	/*
	 * 0, or the first frame found through a frame pointer that was
	 * looked for on the stack rather than read (stack.c).
	 */
	size_t scanned_from;
	struct tracer_frame f[TRACER_STACK_MAX];
};

/*
 * Unwinds the user stack of task tid (of process tgid), which waits in
 * call nr for a decision.  0, or -errno (-ESRCH: it no longer waits).
 */
int tracer_stack_capture(pid_t tgid, pid_t tid, int nr, struct tracer_stack *s);

/* --- the log (log.c) ------------------------------------------------------ */

struct tracer_event {
	const char *syscall;
	const uint64_t *args; /* six raw arguments, or NULL */
	enum rules_class cls;
	const char *cls_name;	 /* overrides cls in the log */
	const char *object;	 /* path, address or command */
	const char *object_key;	 /* "path", "addr" or "command" */
	const char *object2;	 /* rename and link: the new name */
	const char *name;	 /* connect: the name the address is for */
	const char *extra;	 /* more fields, already JSON */
	const char *const *argv; /* exec: the new argv */
	bool argv_cut;		 /* argv is a prefix of what the call had */
	size_t argc;
	const struct rules_verdict *verdict;
	const struct tracer_stack *stack; /* or NULL */
	bool allowed;
	bool created_override; /* allowed: the run made the object */
	/* the object is a directory, or the call makes one (for learning:
	 * an entry for the directory itself, not what is beneath it) */
	bool is_dir;
	/* --permissive: a write to an object that existed before the run
	 * and is not its own (what a create rule does not allow) */
	bool preexisting;
	/* rename and link: the new name holds a symlink, FIFO or socket
	 * (for learning: what a create rule does not let a run make there,
	 * tracer_judge_kind) */
	bool to_special;
	/* a directory's move refused: beneath it lies what a rule names */
	bool holds_protected;
	/* exec: the prefixes to allow (one a line), or NULL */
	const char *advice;
	long latency_us; /* from the call's arrival to its answer */
	int err;	 /* errno returned, 0 on success */
	long result;
	bool unfinished; /* still carried out when the run ended */
	bool continued;	 /* carried out by the kernel after the answer */
	/*
	 * A datagram socket aimed at 0.0.0.0 or :: (a loopback address):
	 * glibc sorting the addresses of a passive lookup, as
	 * `python3 -m http.server` makes: emulated (net.c sort_probe).
	 */
	bool sort_probe;
	/*
	 * A TCP connect refused to a loopback port nobody listens on (a
	 * script polling for the server it started): refused as natively,
	 * with nothing withheld; logged, not said nor counted (net.c).
	 */
	bool no_listener;
	/*
	 * A read refused of a name with nothing there: answered ENOENT, as
	 * the kernel answers it when reads are its own, with no question
	 * and no line (nothing was withheld), but logged (a probe for
	 * ~/.aws/credentials is worth a record) (open.c).
	 */
	bool absent;
	/*
	 * A call proctor cannot carry out safely and refuses as a kernel
	 * without it would (openat2 with O_PATH: ENOSYS): the program
	 * falls back to another call; logged, not said (open.c).
	 */
	bool unsupported;
	/* a question: the answer ("allow-once"...), who gave it
	 * ("terminal", "socket", "timeout", "unattended", "this run") */
	const char *answer;
	const char *answered_by;
	long answer_ms;
	/* allowed by a grant: the process that holds it, who approved */
	pid_t grant_root;
	const char *grant_by;
};

/*
 * fd: the log file, or -1; key: the user's 32-byte log key, or NULL for
 * records without MACs; to_syslog: each record to syslog(3) as well.
 */
int tracer_log_open(int fd, const char *run_id, const uint8_t *key,
		    bool to_syslog);
/* True when records go somewhere. */
bool tracer_log_on(void);
/* The run's first record: version, policy hash, workspaces, TMPDIR. */
void tracer_log_run(const struct tracer_opts *o, const char *version,
		    char *const *workspaces, size_t n, const char *home,
		    bool permissive);
const char *tracer_stacks_name(enum tracer_stacks s);
/* HMAC-SHA-256 of prev (the last record's MAC) and the line's text. */
void tracer_log_mac(const uint8_t key[32], const uint8_t prev[32],
		    const char *line, size_t len, uint8_t out[32]);
void tracer_log_decision(const struct tracer_who *w,
			 const struct tracer_event *e);
/*
 * A place in the log's order, taken when a call is answered, for its
 * record written after (0: none, or no log); a place taken must be
 * filled, by tracer_log_decision_at.
 */
uint64_t tracer_log_turn(void);
void tracer_log_decision_at(const struct tracer_who *w,
			    const struct tracer_event *e, uint64_t turn);
/* status: an exit code 0..255, 256 + N for signal N; -1 for none. */
void tracer_log_lifecycle(const char *event, const struct tracer_who *w,
			  const char *detail_key, const char *detail,
			  int status);
/* A record of the given type whose fields are already JSON. */
void tracer_log_raw(const char *type, const char *json_fields);
uint64_t tracer_log_denials(void);
/* Records that could not be written (the disk full, say). */
uint64_t tracer_log_lost(void);
/* Ends the run's records with proctor's exit status. */
void tracer_log_end(int status);

/*
 * Appends to out (a line each) the command prefix that allows the exec
 * of exe with words, judged v: the entry's own prefix when an entry
 * decided, else the program's base name and the first arguments.
 */
void tracer_exec_advice(char *out, size_t size, const char *exe,
			const char *const *words, size_t n,
			const struct rules_verdict *v);

/* Copies s for a terminal: controls and non-ASCII bytes become '?'. */
void tracer_printable(char *out, size_t size, const char *s);

enum {
	/* such bytes become \xNN, and a backslash \\: two different
	 * names never look the same (prompts) */
	TRACER_PRINT_ESCAPE = 1,
};
void tracer_printable_ex(char *out, size_t size, const char *s, int flags);

/* An open that makes its name or fails: O_CREAT | O_EXCL, not O_PATH
 * (which ignores both and opens what is there). */
bool tracer_open_makes_new(uint64_t flags);

/* Explains a denial on stderr, once per object. */
void tracer_explain_denial(const struct tracer_who *w,
			   const struct tracer_event *e);

/*
 * A denial that is logged but neither said nor counted: glibc's probes
 * of the addresses it sorts, a read of a name with nothing there.
 */
bool tracer_event_unsaid(const struct tracer_event *e);

/* The first objects explained ("write /etc/x, read ~/.netrc and 2
 * more"), for the run's last line; "" if none. */
/* Notes a denial said elsewhere (the relay's) for the run's last line. */
void tracer_explain_remember(const char *what, const char *obj);
void tracer_explain_said(char *out, size_t size);

/* --- names proctor answered for addresses (names.c) -------------------- */

#define TRACER_NAME_MAX 256

/* Notes that name resolved to ip (IPv4-mapped for IPv4) for ttl seconds. */
void tracer_names_add(const uint8_t ip[16], const char *name, uint32_t ttl);
/*
 * A name for the whole run (/etc/hosts), up to TRACER_NAMES_LASTING of
 * them; false when no room is left.
 */
#define TRACER_NAMES_LASTING 32768
bool tracer_names_add_lasting(const uint8_t ip[16], const char *name);
/* Copies up to max live names of ip into names; returns how many. */
size_t tracer_names_find(const uint8_t ip[16], char (*names)[TRACER_NAME_MAX],
			 size_t max);

/* --- the sandbox's resolver (dns.c) ------------------------------------- */

struct tracer_sup;
/* Starts the answerer; without it, programs cannot resolve (fail closed). */
int tracer_dns_start(const struct tracer_sup *s);
/*
 * For a read-only open of the host's resolv.conf: true, with *fd a
 * descriptor of the copy programs read ("options use-vc" added) or
 * -errno.  False for any other open.
 */
bool tracer_dns_resolv_conf(const struct tracer_path *p, int flags, int *fd);
/* True for a nameserver of resolv.conf, port 53. */
bool tracer_dns_is_nameserver(const struct rules_addr *a);
/* A new client for task tid: *theirs is the socket to give it. */
int tracer_dns_attach(pid_t tid, int *theirs);

/* --- the task's credentials for proctor's calls (cred.c) ---------------- */

#define TRACER_GROUPS_MAX 1024

struct tracer_cred {
	uid_t ruid, euid, fsuid;
	gid_t rgid, egid, fsgid;
	uint64_t caps; /* effective */
	int ngroups;   /* -1: more than TRACER_GROUPS_MAX */
	gid_t groups[TRACER_GROUPS_MAX];
};

/*
 * Run as root, proctor makes a task's calls with the task's ids, groups
 * and capabilities; dropped: the capabilities the tracee lost (caps.c).
 * Called once, before any serving thread starts; -errno when root's own
 * credentials cannot be kept (more than TRACER_GROUPS_MAX groups).
 */
int tracer_cred_init(uint64_t dropped);
/* A serving thread's credentials at rest, whatever it inherited. */
void tracer_cred_thread_rest(void);
/*
 * This thread takes tid's credentials for a call carried out for it, up
 * to tracer_as_self(); -errno when it cannot (the call is not made).
 */
int tracer_as_task(pid_t tid);
void tracer_as_self(void);
/*
 * Within a task's credentials, capabilities (1 << CAP_*) the serving
 * thread needs for what it does there beyond the task's call: a read of
 * its memory (a process that changed its uid is not dumpable), a send
 * that says its real ids.  Returns those lent, to be taken back with
 * tracer_cred_lend_end().
 */
uint64_t tracer_cred_lend(uint64_t caps);
void tracer_cred_lend_end(uint64_t lent);
/*
 * tid's real uid and gid when its calls are made with credentials other
 * than a serving thread's at rest (what a unix socket's receiver is
 * told of its sender, SCM_CREDENTIALS): false when they are the same.
 */
bool tracer_cred_real(pid_t tid, uid_t *uid, gid_t *gid);
/* Whether proctor may lend cap (CAP_*) at all: root's are permitted. */
bool tracer_cred_may(int cap);
/* From /proc/TID/status; -EIO when a field is missing. */
int tracer_cred_parse(const char *status, struct tracer_cred *c);
/* Whether c is what a serving thread holds at rest (nothing to switch). */
bool tracer_cred_is_rest(const struct tracer_cred *c);
/* tid's credentials (ident.c): 1 when at rest's, 0 with *c, -errno. */
int tracer_ident_cred(pid_t tid, struct tracer_cred *c);
/* Forgets p's credentials; caller holds the lock. */
void tracer_ident_cred_forget_locked(struct tracer_proc *p);
/* child, just made by creator, has its credentials (a clone event). */
void tracer_ident_cred_inherit(pid_t child, pid_t creator);

/* --- capabilities (caps.c) ---------------------------------------------- */

/* Drops what would undo supervision; 0 or -errno. */
int tracer_caps_drop(void);
/* What tracer_caps_drop() drops, as a mask of 1 << CAP_*. */
uint64_t tracer_caps_dropped(void);

/* --- Landlock, the kernel floor (landlock.c) ------------------------------ */

/* The kernel's Landlock ABI version, 0 without Landlock. */
int tracer_landlock_abi(void);
/*
 * A ruleset fd allowing writes only under the policy's write roots;
 * scopes adds signal and abstract-socket scoping (ABI 6).  -ERANGE when
 * the policy's writes are unbounded, -EOPNOTSUPP without Landlock.
 */
int tracer_landlock_ruleset(const struct rules_policy *p, bool scopes);
int tracer_landlock_scopes(void);
int tracer_landlock_enforce(int ruleset);
/*
 * The read rules as a ruleset for the tracee, when they can be: then
 * read-only opens are answered in the kernel (tracer_filter_load).
 * Otherwise -errno, and *why says what keeps reads with proctor.
 */
int tracer_landlock_reads(const struct rules_policy *p, const char **why);

/* --- the filter (filter.c) ----------------------------------------------- */

/* What a filter is compiled for. */
struct tracer_filter_want {
	bool ident;	      /* the identity calls notified too */
	bool reads_in_kernel; /* read-only opens answered in the kernel */
	bool ca_stats;	      /* stats sent (interception serves CApath) */
	pid_t pgrp_guard;     /* a process group setpgid may not join, or 0 */
};

struct tracer_filter {
	struct sock_fprog prog;
	struct tracer_filter_want want;
};

/*
 * Generating the program takes about a millisecond, so the supervisor
 * compiles it while it prepares the rest; the child only loads it.
 * Depends on w alone, not on who compiles it.
 */
int tracer_filter_compile(const struct tracer_filter_want *w,
			  struct tracer_filter *f);
void tracer_filter_free(struct tracer_filter *f);
/*
 * Installs the filter in the calling process; returns the listener fd.
 * *killable tells whether the kernel took WAIT_KILLABLE_RECV (5.19+).
 */
int tracer_filter_load(struct tracer_filter *f, bool *killable);
/*
 * What prog answers for the call d, run as the kernel runs it: the
 * SECCOMP_RET_* action and its data.
 */
uint32_t tracer_filter_run(const struct sock_fprog *prog,
			   const struct seccomp_data *d);

/* --- calls a signal interrupts before proctor takes them (interrupt.c) --- */

/*
 * The kernel's restart codes, not in uapi: a call answered ERESTARTSYS is
 * restarted after a handler with SA_RESTART (or a stop), else fails with
 * EINTR; one that returns ERESTARTNOINTR is restarted whatever the handler.
 */
#define TRACER_ERESTARTSYS	     512
#define TRACER_ERESTARTNOINTR	     513
#define TRACER_ERESTARTNOHAND	     514
#define TRACER_ERESTART_RESTARTBLOCK 516

struct tracer_req;

/* The filter the tracee runs; nothing is done without WAIT_KILLABLE_RECV. */
void tracer_interrupt_init(const struct sock_fprog *prog, bool killable);
/*
 * At tid's signal-delivery-stop for sig: the signal to deliver (0: kept
 * back until its exec is answered).  The caller is the tracer.
 */
int tracer_interrupt_stop(pid_t tid, int sig);
/*
 * How the tracer resumes tid: PTRACE_SYSCALL while signals wait for its
 * call to end (the end is a syscall-stop), else PTRACE_CONT.
 */
int tracer_interrupt_resume(pid_t tid);
/* At tid's syscall-stop: at its call's end, the signals go out. */
void tracer_interrupt_syscall_stop(pid_t tid);
/* A worker answers r with error (before the answer goes out). */
void tracer_interrupt_answering(const struct tracer_req *r, int error);
/* And after: the signals an exec kept back are sent. */
void tracer_interrupt_answered(const struct tracer_req *r);
/* tid is gone. */
void tracer_interrupt_forget(pid_t tid);

/* --- notification workers (notify.c) ------------------------------------- */

struct tracer_sup {
	const struct tracer_opts *o;
	int listener;
	bool sync_wakeup;
	int floor; /* Landlock ruleset for workers, or -1 */
};

int tracer_notify_start(struct tracer_sup *s);

/*
 * One notification.  Handlers copy the arguments, judge, carry the call
 * out on their copy and fill ev and the response; the loop in notify.c
 * injects a descriptor, logs and answers, in that order, so that the
 * log holds a decision before the program sees it.
 */
struct tracer_req {
	struct tracer_sup *sup;
	uint64_t id;
	pid_t tid;
	pid_t tgid;
	int nr;
	const char *name;
	uint64_t args[6];

	bool may_block; /* false on the receiver: set defer instead */
	struct timespec arrived;
	bool defer; /* run again where waiting is fine */
	/*
	 * A question: with defer set, the call is parked until it is
	 * answered (no thread waits), then run again with the answer in
	 * answered.
	 */
	struct tracer_question *question;
	struct tracer_question *answered;
	/*
	 * The call waits (a FIFO open for its other end, a connect): parked
	 * with the waiter (park.c), no thread waits.
	 */
	struct tracer_park *park;

	/* connect and send: the address judged (grants check it) */
	const struct rules_addr *addr;

	/* filled by the handler */
	struct tracer_event ev;
	struct rules_verdict verdict;
	bool log; /* false: nothing worth a record */
	/* response */
	int64_t val;
	int err;	 /* positive errno, 0 for success */
	bool cont;	 /* let the kernel run the call */
	int addfd;	 /* >= 0: inject this fd, val becomes its number */
	int addfd_flags; /* O_CLOEXEC or 0 */
	int addfd_at;	 /* >= 0: replace this fd; the result stays val */
	/*
	 * The open made its file (made_name in made_dir, a copy of its
	 * directory), removed again when the descriptor cannot be given:
	 * natively a process at RLIMIT_NOFILE makes nothing (EMFILE).
	 */
	int made_dir;
	/*
	 * With err EINTR: a signal waits that is sure to be delivered as
	 * the call returns; the kernel restarts it after a handler with
	 * SA_RESTART (ERESTARTSYS), as it would natively.
	 */
	bool restart;
	/* its record is taken, by its worker or by the end */
	atomic_bool recorded;
	/* who made it, kept before a wait its task may not outlive */
	struct tracer_who *held_who;

	/*
	 * Strings, last: a request starts with each of them empty, not
	 * zeroed (TRACER_REQ_HEAD), 10 KiB less to clear per call.
	 */
	char object[4096 + 16];
	char object2[4096];
	/* exec: the command prefixes that would allow it, one a line */
	char advice[2048];
	char host[256]; /* connect: the name the address was for */
	char made_name[256];
};

/* What a new request zeroes: all but its strings. */
#define TRACER_REQ_HEAD offsetof(struct tracer_req, object)

typedef void (*tracer_handler)(struct tracer_req *r);

/* Answers r as its handler left it: the descriptor, the log record. */
void tracer_req_answer(struct tracer_req *r);
/*
 * Keeps who made r before a wait (a blocking connect): a record written
 * at the end, when its task is gone, still names it.
 */
void tracer_req_hold_who(struct tracer_req *r);
/* At the end: waits (ms at most) until no call is being served. */
void tracer_notify_drain(int ms);
/* Starts a detached thread with a stack for the per-thread buffers. */
int tracer_thread_start(void *(*fn)(void *), void *arg);

/*
 * Writes the record of r, an allowed call still carried out (or waited
 * for) at the end, as unfinished; nothing if its record was written.
 */
void tracer_req_record_unfinished(struct tracer_req *r);

/* --- calls that wait, parked with one thread (park.c) ------------------- */

/* What a parked call is waiting for. */
struct tracer_park_kind {
	/* One try: 1 done, 0 it waits on, or -errno. */
	int (*try)(void *what);
	/*
	 * Puts the outcome (try's, or -EINTR, or the deadline's) into r's
	 * answer and frees what.
	 */
	void (*finish)(struct tracer_req *r, void *what, int rc);
	/* tried on the waiter's timer while its descriptor is not watched */
	bool retried;
};

/*
 * A place with the waiter, taken before the call is set up; NULL past
 * the bound of parked calls (4096, or a quarter of the descriptors) or
 * without a waiter: the call waits on a pool worker.
 */
struct tracer_park *tracer_park_reserve(void);
/* Gives a place back unused (or the waiter's, once answered). */
void tracer_park_release(struct tracer_park *pk);
/*
 * What pk waits for: kind's try is asked when fd (>= 0) wakes an epoll
 * for events, and on a timer when kind->retried; at deadline
 * (tracer_now_ms's clock, INT64_MAX: none) it ends with expired, a
 * -errno.  The handler then sets r->park = pk and returns.
 */
void tracer_park_set(struct tracer_park *pk, const struct tracer_park_kind *k,
		     void *what, int fd, uint32_t events, int64_t deadline,
		     int expired);
/* Hands r->park, with a copy of r, to the waiter, which answers it. */
void tracer_park_hand(struct tracer_req *r);
/* At the end: a record of each parked call, allowed and unfinished. */
void tracer_park_record_waiting(void);

/* What a signal does to a call that waits (tracer_task_signal). */
enum {
	TRACER_SIG_NONE,    /* none waits: the call waits on */
	TRACER_SIG_EINTR,   /* it fails with EINTR (or the task is gone) */
	TRACER_SIG_RESTART, /* as natively: restarted after SA_RESTART */
};

/*
 * What a signal pending for the task (proc(5) status: SigPnd, ShdPnd,
 * SigBlk, SigIgn, SigCgt) does to a call of its that waits for us.  A
 * traced task waiting for us cannot act on it, not even on SIGINT's
 * default; so the call ends, as natively: TRACER_SIG_RESTART lets the
 * kernel restart it after a handler with SA_RESTART, or a stop and
 * SIGCONT, or fail it with EINTR.  But only as the task returns with a
 * signal to take (the kernel marks one thread of a process for a
 * signal sent to the process), else the program would see errno 512.
 * So: a signal sent to the task, or a group stop (every thread takes
 * part), or one sent to a process of one thread, or to one whose other
 * threads all block it: RESTART.  One that another thread takes (the
 * main thread, which the kernel offers it first): NONE, the call goes
 * on, as natively.  One another thread may take: EINTR.  A signal that
 * interrupts nothing natively (SIGCHLD, SIGWINCH left to their
 * default) is none.  The task gone or a zombie (killed): EINTR.
 */
int tracer_task_signal(pid_t tid);
/* CLOCK_MONOTONIC in milliseconds. */
int64_t tracer_now_ms(void);

/* --- FIFO opens that wait for their other end (fifo.c) ------------------ */

/*
 * Opens the FIFO p names (a blocking open: flags without O_NONBLOCK)
 * without holding a thread while it waits.  Returns the descriptor,
 * made blocking, or -errno; or sets r->park (the open waits, to be
 * parked: returns -EINPROGRESS) or, past the bound of parked calls on
 * a receiver, r->defer (the pool's worker waits, as it can).
 */
int tracer_fifo_open(struct tracer_req *r, const struct tracer_path *p,
		     uint64_t flags);

/* --- the HTTP relay (relay.c, #8) ------------------------------------ */

/*
 * The relay's listener, made before CMD starts so that its port can be
 * offered as a proxy (proxy.c); tracer_relay_start() uses it.
 */
int tracer_relay_listen(uint16_t *port);

struct sockaddr;
/* Starts the relay when some network entry carries HTTP limits. */
int tracer_relay_start(const struct tracer_sup *s);
/*
 * At the end of the run: waits (1 s at most) until what programs sent
 * through the relay has gone upstream.
 */
void tracer_relay_finish(void);
/* Whether the relay carries its most connections now. */
bool tracer_relay_full(void);
/* Whether some name answered with ra has HTTP limits (#8). */
bool tracer_relay_limits(const struct rules_addr *ra);
/* Whether this allowed connect to ra goes through the relay. */
bool tracer_relay_wants(const struct tracer_req *r,
			const struct rules_addr *ra);
/*
 * Connects a socket of proctor's own to sa, then gives the program a
 * socket connected to the relay in place of sock's descriptor
 * (r->addfd), or fails the call with the upstream connect's error.
 * sock (the program's, stolen) is closed.  May wait: a worker only.
 */
/*
 * A connect to proctor's proxy: the program's descriptor gets a socket
 * connected to the relay, which reads the proxy request (relay.c).
 */
void tracer_relay_proxy_connect(struct tracer_req *r, int sock,
				const struct rules_addr *ra);
void tracer_relay_connect(struct tracer_req *r, int sock,
			  const struct sockaddr *sa, unsigned int len,
			  const struct rules_addr *ra);
/* O_CLOEXEC when the tracee's descriptor fd has it, else 0. */
int tracer_fd_cloexec(pid_t tid, int fd);

void tracer_on_open(struct tracer_req *r);
void tracer_on_connect(struct tracer_req *r);
void tracer_on_exec(struct tracer_req *r);
void tracer_on_mkdir(struct tracer_req *r);
void tracer_on_unlink(struct tracer_req *r);
void tracer_on_rename(struct tracer_req *r);
void tracer_on_link(struct tracer_req *r);
void tracer_on_meta(struct tracer_req *r);
/* What follows key ("\nUid:") in /proc/TID/status, read into buf. */
const char *tracer_task_status(pid_t tid, const char *key, char *buf,
			       size_t size);
/* Whether the task holds cap in its effective set (/proc/TID/status). */
bool tracer_task_has_cap(pid_t tid, int cap);
void tracer_on_identity(struct tracer_req *r);
/*
 * setpriority, ioprio_set, sched_set*, migrate_pages, move_pages: a
 * process's scheduling, its I/O priority, where its memory lies, only
 * for the tree (an outsider keeps its own: `renice` of proctor itself,
 * `ionice -c3` of the user's editor).
 */
void tracer_on_sched(struct tracer_req *r);
/* Calls whose first argument is a process, 0 for the caller. */
bool tracer_targets_process(const char *name);
void tracer_on_signal(struct tracer_req *r);
/* unshare or clone of a new user namespace, setns: refused, said (caps.c) */
void tracer_on_ptrace(struct tracer_req *r);
void tracer_on_namespace(struct tracer_req *r);
void tracer_on_fcntl(struct tracer_req *r);
void tracer_on_ioctl(struct tracer_req *r);
/*
 * Git settings that run commands (gitrisk.c): a write allowed to path
 * is noted when it is a git config or hook, or, moved set (a rename's
 * names), when a directory is there now; at the end, those that would
 * run a command are named on stderr.  tracer_gitrisk_begin() as the run
 * starts: what a commondir names that has not changed since is the
 * user's own.
 */
void tracer_gitrisk_begin(void);
void tracer_gitrisk_note(const char *path, bool moved);
void tracer_gitrisk_report(bool quiet);
/*
 * core.hooksPath as the git config file config sets it (its last value),
 * into out; out is left as it was when config sets none, so that files
 * read in git's order leave the one that counts.
 */
void tracer_gitrisk_hooks_path(const char *config, char *out, size_t size);

/* A file system's own ioctl (fsioctl.c): the command's type is one. */
#define TRACER_FS_IOCTL_TYPES 5
extern const uint32_t tracer_fs_ioctl_types[TRACER_FS_IOCTL_TYPES];
bool tracer_fs_ioctl_type(uint32_t cmd);
void tracer_on_fs_ioctl(struct tracer_req *r);
/* With TLS interception: a stat that may be a CApath lookup (castat.c). */
void tracer_on_ca_stat(struct tracer_req *r);
/* The i-th call tracer_on_ca_stat answers, or NULL past the end. */
const char *tracer_ca_stat_call(size_t i);

struct sockaddr_un;
/*
 * Resolves the unix path in ra as task r would, rewrites ra->path to the
 * canonical path and fills sun with a name through our own descriptor of
 * its directory, held in p.
 */
int tracer_unix_resolve(struct tracer_req *r, struct rules_addr *ra,
			struct sockaddr_un *sun, unsigned int *len,
			struct tracer_path *p);

/*
 * Judges a connect or send to ra by the names proctor answered for it,
 * then its address, then whether the run made the socket (stream: a
 * TCP-like socket; p: the resolved unix path, or NULL); records the
 * decision in r.  Returns true when it allows.
 */
bool tracer_judge_addr(struct tracer_req *r, const struct rules_addr *ra,
		       bool stream, const struct tracer_path *p);

/* An address of this host's own interfaces (or one that cannot be told). */
bool tracer_address_is_local(const struct rules_addr *ra);

/* --- sockets the run owns (owned.c) -------------------------------------- */

/* Notes an IP socket the run bound. */
void tracer_owned_add(int sock);
/* Notes one whose port the kernel chose: a datagram client that
 * connected or sent, a stream socket that listens (listening). */
void tracer_owned_port(int sock, bool listening);
/* Every socket on a's port that could take a connect to a is the run's. */
bool tracer_owned_listener(const struct rules_addr *a, bool stream);
/* No TCP socket listens where a (a loopback address) names. */
bool tracer_owned_nobody(const struct rules_addr *a);
/* The unix socket bound to abstract name a (autobound ones included) is
 * one the run bound, found with unix_diag as listeners are. */
bool tracer_owned_abstract(const struct rules_addr *a);
/* The file a bound unix socket made (unix_diag's UNIX_DIAG_VFS). */
bool tracer_unix_bound_file(int sock, dev_t *dev, ino_t *ino);
/* A duplicate of the tracee's descriptor fd (pidfd_getfd); or -errno. */
int tracer_steal_fd(pid_t tid, pid_t tgid, int fd);
/*
 * A NETLINK_ROUTE address: 0 for the kernel, which is all a program may
 * reach (the kernel's answer without CAP_NET_ADMIN), else -EPERM.
 */
struct sockaddr_storage;
int tracer_netlink_kernel(const struct sockaddr_storage *ss, socklen_t len);
/*
 * A TCP connect on its way on sock, once the socket is writable or in
 * error: 1 connected, 0 still on its way, or -errno, the error the
 * connect failed with (SO_ERROR, which taking clears, as a blocking
 * connect's return would have).
 */
int tracer_connect_result(int sock);
/* When r's task's own SO_SNDTIMEO on sock, counted from r, runs out. */
int64_t tracer_connect_deadline(const struct tracer_req *r, int sock);
void tracer_on_send(struct tracer_req *r);
/* listen(2): a port the kernel chose is the run's (owned.c). */
void tracer_on_listen(struct tracer_req *r);
void tracer_on_bind(struct tracer_req *r);

/* The name of the i-th call sent to the supervisor; NULL past the end. */
const char *tracer_notified_call(size_t i);

/* True while the notification is still live (the task did not die). */
bool tracer_req_valid(const struct tracer_req *r);

/*
 * Records the verdict in r->ev and settles it: a grant the process holds
 * may allow what the policy does not, and a question is asked when the
 * verdict asks (on the receiver that sets r->defer instead, unless an
 * answer is at hand).  Returns true when the call may go ahead.
 */
bool tracer_req_decide(struct tracer_req *r, enum rules_class cls,
		       const char *object_key, const char *object,
		       bool allowed);

/*
 * Judges a write of the object p names: the policy, then the rule that
 * the run's own files stay writable to it.  Fills v; returns true when
 * allowed.  *override tells that the run-created rule allowed it.
 */
bool tracer_preexisting(const struct tracer_sup *s,
			const struct tracer_path *p);
bool tracer_judge_write(const struct tracer_sup *s, const struct tracer_path *p,
			struct rules_verdict *v, bool *override);
/*
 * The same for a change of the object that is no write of its content:
 * its mode, owner, times, attributes, names (fsmeta.c, fsops.c).  A
 * device node the run did not make is the system's (its terminals
 * aside): an entry that lets the run write /dev/null does not let it
 * chmod or remove it.
 */
bool tracer_judge_change(const struct tracer_sup *s,
			 const struct tracer_path *p, struct rules_verdict *v,
			 bool *override);
/*
 * Narrows a write tracer_judge_write() allowed (ok) for the kind of
 * object the name will hold (S_IFLNK, S_IFIFO, S_IFSOCK; 0 or another:
 * no change): returns the new ok, with v the reason when it refuses.
 */
bool tracer_judge_kind(bool ok, mode_t kind, struct rules_verdict *v,
		       bool *override);
/* Policy plus proctor's own limits (other processes' /proc). */
bool tracer_judge_read(const struct tracer_sup *s, const struct tracer_path *p,
		       struct rules_verdict *v);

/*
 * Gives the calling thread (its filesystem context is its own) the
 * tracee's umask, for a call that creates; -errno if unknown.
 */
int tracer_take_umask(pid_t tid);

/* --- asking the user (prompt.c, approve.c) -------------------------------- */

/* What a question shows, on the terminal and over the approval socket. */
struct tracer_ask_facts {
	uint64_t id;
	pid_t pid, tid;
	char comm[16];
	char cmdline[512]; /* the asking program, argv joined by spaces */
	char what[16];	   /* "read", "write", "exec", "connect" */
	char object[4096 + 16];
	char command[1024]; /* exec: the new command line */
	char rule[700];	    /* which rule asked, for people */
	char grant[512];    /* exec: what the command would be granted */
	int timeout;	    /* seconds, 0: none */
	int nr;		    /* the call that waits (for its stack) */
};

/* Starts the prompt on the terminal and the approval socket, as set up. */
int tracer_prompt_start(struct tracer_sup *s);
/*
 * An ending signal (SIGTERM, SIGHUP, SIGINT, SIGQUIT) came to proctor:
 * the questions waiting are denied within a quarter second.  Safe in a
 * signal handler.
 */
void tracer_prompt_ending_signal(void);
/* Gives the terminal back as it was, if a question holds it. */
void tracer_prompt_stop(void);
/* True when the verdict is a question (ask, or a default with --ask). */
bool tracer_prompt_askable(const struct tracer_sup *s,
			   const struct rules_verdict *v);
/*
 * Settles r->verdict, a question, into an answer; see tracer_req_decide.
 * The answer of r->answered when it is about the same object, else one
 * for this run, else the unattended one; else sets r->question and
 * r->defer and returns false: the caller parks the call.
 */
bool tracer_prompt_decide(struct tracer_req *r);

/*
 * Whoever waits for a question's answer, without a thread: alive tells
 * whether the asker still waits (false settles the question as "gone");
 * resume gets the answered question, on the prompt's own thread, and
 * owns it from then on (tracer_prompt_release).
 */
struct tracer_waiter {
	bool (*alive)(void *arg);
	void (*resume)(void *arg, struct tracer_question *q);
	void *arg;
};

/* Queues q, made by tracer_prompt_decide, until it is answered. */
void tracer_prompt_park(struct tracer_question *q,
			const struct tracer_waiter *w);
void tracer_prompt_release(struct tracer_question *q);
/* True when q was settled because its asker went away. */
bool tracer_prompt_gone(const struct tracer_question *q);
/* Puts q's answer, who gave it and the wait into ev; true: it allows. */
bool tracer_prompt_answer_event(const struct tracer_question *q,
				struct tracer_event *ev);
/*
 * A query for name (type qtype) that v asks about, from process pid:
 * 1 or 0 when the answer is at hand (for this run, unattended), with
 * ev's answer filled; -EINPROGRESS when asked: w->resume comes later,
 * and tracer_prompt_resolved tells the answer.
 */
int tracer_prompt_resolve(pid_t pid, const char *name, const char *qtype,
			  const struct rules_verdict *v,
			  const struct tracer_waiter *w,
			  struct tracer_event *ev);
/*
 * Whether the user allowed, for the run (or always) in this run, the name
 * or a connect to name:port.
 */
bool tracer_prompt_name_allowed(const char *name, uint16_t port);
/* Whether q's answer allows; fills ev's answer and saves an "always". */
bool tracer_prompt_resolved(struct tracer_question *q, struct tracer_event *ev);
/* The run is over: what still waits is settled as "gone". */
void tracer_prompt_finish(void);
/*
 * A stop of pid by signal sig that the prompt caused (the tree is held
 * still while a question is on the terminal): job control ignores it.
 */
bool tracer_prompt_own_stop(pid_t pid, int sig);
/* A process born while a question holds the tree stops with it. */
bool tracer_prompt_hold_new(pid_t tid);
/* The answer a key gives ("allow-once" for 'y'...), or NULL. */
const char *tracer_prompt_key_answer(char key);
/*
 * The question on the terminal, as people read it (terminal or client);
 * details: whether [i] shows more (the run's own terminal: the process
 * chain and the stack, which the approval socket does not carry).
 */
void tracer_prompt_render(int fd, const struct tracer_ask_facts *f, int index,
			  int count, bool details);

/* Questions, for the approval socket (approve.c). */
int tracer_prompt_answer(uint64_t id, const char *answer, const char *by);
/* Calls fn for each question not yet answered, oldest first. */
void tracer_prompt_each(void (*fn)(const struct tracer_ask_facts *, void *),
			void *arg);

int tracer_approve_start(struct tracer_sup *s);
/* Tells the approval clients about a new question or an answer. */
void tracer_approve_kick(void);
void tracer_approve_answered(uint64_t id, const char *answer, const char *by);
/*
 * Waits (up to ms) until the clients have every notice given so far: the
 * run is ending, and what it settled last should reach them.
 */
void tracer_approve_drain(int ms);
/* The protocol's request line (no newline); malloc'd. */
char *tracer_approve_request_json(const struct tracer_ask_facts *f);
/* Reads a request line back (the client); 0 or -EINVAL. */
int tracer_approve_request_parse(const char *line, struct tracer_ask_facts *f);
/*
 * True when a connect of r reaches the approval socket (by its inode,
 * whatever the name): then refused, with a proctor verdict in r.
 */
bool tracer_approve_refuses(struct tracer_req *r, const struct rules_addr *ra,
			    const struct tracer_path *p);
/* Opens the listening socket at path, mode 0600; the fd or -errno. */
int tracer_approve_listen(const char *path, dev_t *dev, ino_t *ino);

/* --- grants held by process subtrees (grant.c) ---------------------------- */

/*
 * A grant one process got at exec (its subtree shares it).  Holds are
 * counted: the grant ends when the last process holding it ends.
 */
struct tracer_grant_hold {
	const struct rules_grant *grant;
	pid_t root; /* the process it was granted to */
	char by[128];
	int refs;
};

/* Gives tid the grant ex carries, once its exec is verified. */
/* The policy that says where the sandbox may write (grant.c judges a
 * granted command's PATH by it). */
void tracer_grant_set_policy(const struct rules_policy *p);
void tracer_grant_on_exec(struct tracer_proc *p,
			  const struct tracer_exec_expect *ex);
/* A new task shares its parent's grant; called with the table locked. */
void tracer_grant_inherit(struct tracer_proc *child,
			  const struct tracer_proc *parent);
/* Called with the table locked when p is removed. */
void tracer_grant_release(struct tracer_proc *p);
/*
 * Overrides r->verdict when the grant r's process holds allows the
 * object; returns true then.
 */
bool tracer_grant_allows(struct tracer_req *r, enum rules_class cls,
			 const char *object_key, const char *object);
/* A name the grant tid's process holds lets it resolve: v says so. */
bool tracer_grant_name(pid_t tid, const char *name, struct rules_verdict *v);
/*
 * A connect to a by name, as grant g (NULL: none) allows it (the relay's
 * judgement of a Host or server name): v says so.
 */
/* A connect to name:port whose address proctor does not see (proxy.c). */
bool tracer_grant_host(const struct rules_grant *g, const char *name,
		       uint16_t port, struct rules_verdict *v);
bool tracer_grant_connect(const struct rules_grant *g,
			  const struct rules_addr *a, const char *name,
			  struct rules_verdict *v);
/* The grant tid's process holds now, or NULL. */
const struct rules_grant *tracer_grant_of(pid_t tid);
/*
 * The first directory on the way of name (a full one) that the run may
 * change, links followed; NULL if none.  A granted script is opened
 * again by its name by the interpreter.
 */
const char *tracer_grant_name_changeable(const char *name);
/*
 * Whether the policy lets the run write path itself: a granted program
 * it may rewrite would carry the grant to the run's code.
 */
bool tracer_grant_file_writable(const char *path);
/* True when target holds a grant the task being served does not. */
bool tracer_grant_shields(pid_t target);
/* The task whose call this thread is serving (for grant checks). */
void tracer_grant_serving(pid_t tgid);

/* --- ptrace (ptrace.c) and the terminal (job.c) --------------------------- */

int tracer_ptrace_loop(pid_t child, const struct tracer_opts *o, int *status);
void tracer_exec_expect_free(struct tracer_exec_expect *ex);
/* Records what the exec of tid must load; copies ex. */
void tracer_exec_expect(pid_t tid, const struct tracer_exec_expect *ex);

void tracer_job_setup(pid_t child);
/* CMD stopped by sig: proctor stops too, and gives it the terminal back. */
void tracer_job_child_stopped(pid_t child, int sig);
void tracer_job_restore(void);
/* The terminal's exclusive mode, noted at the start, mended at the end */
void tracer_job_tty_note(void);
void tracer_job_tty_mend(void);
/* A signal a task of the run is about to get; whether the terminal
 * sent CMD its last sig (a Ctrl-C, a Ctrl-\\) */
void tracer_job_signal_seen(pid_t pid, int sig, const siginfo_t *si);
bool tracer_job_from_terminal(int sig);
bool tracer_job_foreground(void);
/* proctor's terminal when it runs in its foreground, else -1. */
int tracer_job_tty(void);
/* Makes pgrp the terminal's foreground group (SIGTTOU blocked). */
void tracer_job_give_terminal(pid_t pgrp);

/* --- proctor's HTTP proxy (proxy.c, #8) ------------------------------ */

/*
 * Offers the proxy when o says so or *envp names a proxy of the user's:
 * *envp then becomes a copy naming proctor's.  0 or -errno.
 */
int tracer_proxy_prepare(const struct tracer_opts *o, char ***envp);
bool tracer_proxy_on(void);
/* For the log and -v: where the proxy is, and its upstreams' variables. */
void tracer_proxy_describe(char *buf, size_t size);
/* Whether ra is proctor's proxy (127.0.0.1 and its port). */
bool tracer_proxy_is(const struct rules_addr *ra);

/* A target a program asked proctor's proxy for. */
struct tracer_proxy_dial {
	const char *host; /* canonical name, or an address literal */
	bool ip;	  /* host is an address */
	uint16_t port;
	bool tunnel; /* CONNECT; else plain requests in absolute form */
	const struct rules_grant *grant;
	bool asked; /* the user allowed host where an entry asks */

	bool allowed;		      /* the policy lets host:port be reached */
	struct rules_verdict verdict; /* which rule says so, or refuses */
	struct rules_addr addr;	      /* what proctor connected to */
	bool via;		      /* through the user's own proxy */
	const char *auth; /* to add to plain requests (via), or "" */
	char why[256];	  /* allowed, but no connection: why */
};

/*
 * Judges d's target and connects to it: directly, to an address of it
 * the policy allows, or through the user's proxy (a tunnel opened with
 * CONNECT).  Blocks (30 s at most per connect).  The socket, or -1.
 */
int tracer_proxy_dial(struct tracer_proxy_dial *d);

#endif
