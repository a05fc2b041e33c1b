/* SPDX-License-Identifier: MIT */
/*
 * The ptrace side: this thread attached, so it alone makes ptrace calls.
 * It follows fork, vfork, clone and exec, keeps the process table, checks
 * that an exec loaded the image judged at entry, passes signals on, and
 * reports group-stops to the job control code.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tracer/tracer.h"

#define LOOP_EARLY_MAX	32
#define LOOP_EARLY_WAIT 64

struct loop {
	pid_t child;
	const struct tracer_opts *o;
	bool child_done;
	int status;
	/*
	 * New tasks whose first stop came before their creator's fork or
	 * clone event (the kernel reports a tracer's newest tracees first):
	 * they wait, stopped, for that event, which says who they are
	 * without a read of /proc/PID/status.
	 */
	pid_t early[LOOP_EARLY_MAX];
	int n_early;
	int early_waits; /* reports since the first of them came */
	/* what CMD left running, once it ended (end_left) */
	enum { LEFT_NONE, LEFT_QUIET, LEFT_TERM, LEFT_KILL } left;
	int64_t left_until; /* tracer_now_ms() */
};

/* Reads "Tgid:" and "PPid:" of a task from /proc. */
static void task_ids(pid_t tid, pid_t *tgid, pid_t *ppid)
{
	char path[64], buf[1024], *s;
	FILE *f;

	*tgid = tid;
	*ppid = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(buf, sizeof(buf), f)) {
		if ((s = strchr(buf, ':')) == NULL)
			continue;
		if (!strncmp(buf, "Tgid:", 5))
			*tgid = atoi(s + 1);
		else if (!strncmp(buf, "PPid:", 5))
			*ppid = atoi(s + 1);
	}
	fclose(f);
}

static void who_of(struct tracer_proc *p, struct tracer_who *w)
{
	tracer_proc_who(p->tid, w);
}

/*
 * A task seen for the first time: from a fork or clone event or its
 * first stop.  An event says the task's process and parent (tgid > 0),
 * which saves reading them from /proc.
 */
static struct tracer_proc *meet(pid_t tid, pid_t tgid, pid_t ppid)
{
	struct tracer_proc *p, *parent;
	struct tracer_who w;
	bool is_new;

	tracer_proc_lock();
	p = tracer_proc_find(tid);
	is_new = !p;
	if (is_new) {
		if (tgid <= 0)
			task_ids(tid, &tgid, &ppid);
		p = tracer_proc_add(tid, tgid, ppid);
		parent = p ? tracer_proc_find(tgid == tid ? ppid : tgid) : NULL;
		/* A fork runs the parent's image until it execs. */
		if (p && parent) {
			memcpy(p->comm, parent->comm, sizeof(p->comm));
			memcpy(p->exe, parent->exe, sizeof(p->exe));
			memcpy(p->argv, parent->argv, parent->argv_len);
			p->argv_len = parent->argv_len;
			tracer_grant_inherit(p, parent);
		} else if (p) {
			tracer_proc_refresh(p);
		}
	}
	tracer_proc_unlock();
	if (is_new && p && p->tgid == tid && tracer_log_on()) {
		who_of(p, &w);
		tracer_log_lifecycle("start", &w, NULL, NULL, -1);
	}
	return p;
}

void tracer_exec_expect(pid_t tid, const struct tracer_exec_expect *ex)
{
	struct tracer_exec_expect *copy = malloc(sizeof(*copy));
	struct tracer_proc *p;

	if (!copy)
		return; /* no expectation: the exec event kills it */
	*copy = *ex;
	copy->argv = malloc(ex->argv_len + 1);
	copy->exe[0] = strdup(ex->exe[0] ? ex->exe[0] : "");
	copy->exe[1] = strdup(ex->exe[1] ? ex->exe[1] : "");
	copy->script_head = malloc(ex->script_head_len + 1);
	if (!copy->argv || !copy->exe[0] || !copy->exe[1] ||
	    !copy->script_head) {
		tracer_exec_expect_free(copy);
		return;
	}
	memcpy(copy->argv, ex->argv, ex->argv_len);
	if (ex->script_head_len)
		memcpy(copy->script_head, ex->script_head, ex->script_head_len);
	tracer_proc_lock();
	p = tracer_proc_find(tid);
	if (p) {
		tracer_exec_expect_free(p->exec);
		p->exec = copy;
		copy = NULL;
	}
	tracer_proc_unlock();
	tracer_exec_expect_free(copy);
}

/*
 * A script's argv as the kernel hands it to its interpreter: the words
 * of the #! lines (as read at the check: a #! line rewritten meanwhile
 * runs another command), the script's name as given to exec, then the
 * judged words after the first, each at its place.  A thread that
 * changed the path or argv during the exec (classes 1 and 8) loaded
 * another name or other words, which the interpreter would run: a word
 * added ahead of the judged ones too.  A judged argv longer than we
 * keep is compared as far as both sides kept it, the words the rules
 * look at included; a loaded one longer than we keep while the judged
 * one was whole (the #! words pushed it past) is read whole again.
 */
static bool script_argv_whole(pid_t tid, const struct tracer_exec_expect *ex,
			      const char *rest, size_t rlen)
{
	size_t nlen = ex->script_head_len, len;
	char *got = malloc(nlen + rlen);
	bool same;

	same = got &&
	       tracer_proc_exec_argv_whole(tid, got, nlen + rlen, &len) == 0 &&
	       len == nlen + rlen && !memcmp(got, ex->script_head, nlen) &&
	       !memcmp(got + nlen, rest, rlen);
	free(got);
	return same;
}

static bool script_argv_matches(const struct tracer_exec_expect *ex, pid_t tid,
				const char *got, size_t len, bool got_cut)
{
	const char *first = memchr(ex->argv, '\0', ex->argv_len);
	const char *rest = first ? first + 1 : ex->argv + ex->argv_len;
	size_t rlen = ex->argv_len - (size_t)(rest - ex->argv);
	size_t nlen = ex->script_head_len, n;
	bool cut = ex->argv_len >= TRACER_ARGV_MAX - 1;

	if (got_cut && !cut)
		return script_argv_whole(tid, ex, rest, rlen);
	if (!cut)
		return len == nlen + rlen &&
		       !memcmp(got, ex->script_head, nlen) &&
		       !memcmp(got + nlen, rest, rlen);
	/* as far as both kept it, and at least what the rules looked at */
	if (len < nlen + (ex->ruled < rlen ? ex->ruled : rlen) ||
	    memcmp(got, ex->script_head, nlen))
		return false;
	n = len - nlen < rlen ? len - nlen : rlen;
	return !memcmp(got + nlen, rest, n);
}

static bool argv_matches(const struct tracer_exec_expect *ex,
			 const struct tracer_proc *now)
{
	size_t len = now->argv_len;
	size_t common = len < ex->argv_len ? len : ex->argv_len;

	if (ex->script)
		return script_argv_matches(ex, now->tid, now->argv, len,
					   len >= TRACER_ARGV_MAX - 1);
	/* execve(path, NULL, ...): since 5.18 the kernel loads argv [""] */
	if (ex->argv_len == 0)
		return len == 0 || (len == 1 && now->argv[0] == '\0');
	/*
	 * Longer than we keep: the part kept holds the words the rules
	 * judged (command prefixes), and it must be what got loaded.
	 */
	/* longer than we keep on one side only: not the same argv */
	if ((ex->argv_len >= TRACER_ARGV_MAX - 1) !=
	    (len >= TRACER_ARGV_MAX - 1))
		return false;
	if (ex->argv_len >= TRACER_ARGV_MAX - 1) {
		/* the whole words both kept: the last one may be cut */
		common -= common > 0;
		while (common > 0 && ex->argv[common - 1] != '\0')
			common--;
		return !memcmp(now->argv, ex->argv, common);
	}
	return len == ex->argv_len && !memcmp(now->argv, ex->argv, len);
}

/*
 * The image and argv the kernel loaded must be those judged at entry; a
 * thread could have changed the path or argv in between (classes 1, 8).
 * The image is one stat of /proc/PID/exe, the argv read from the new
 * image's stack (as /proc/PID/cmdline has it), which also fills the
 * table.  A kept argv is a
 * prefix when it was longer than we keep.  Returns which file of ex was
 * loaded (0, or 1 for a script's interpreter), -1 for a mismatch.
 */
static int exec_matches(const struct tracer_exec_expect *ex, pid_t pid,
			struct tracer_proc *now)
{
	char path[64];
	struct stat st;
	int which;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	if (!ex || stat(path, &st) < 0)
		return -1;
	if (st.st_dev == ex->dev[0] && st.st_ino == ex->ino[0])
		which = 0;
	else if (ex->script && st.st_dev == ex->dev[1] &&
		 st.st_ino == ex->ino[1])
		which = 1;
	else
		return -1;
	if (tracer_proc_read_exec_argv(now) < 0)
		return -1;
	return argv_matches(ex, now) ? which : -1;
}

/*
 * A verified exec: the table takes the names judged at entry, which are
 * those of what got loaded, instead of reading them again from /proc.
 * Caller holds the lock.
 */
static void took_image(struct tracer_proc *p,
		       const struct tracer_exec_expect *ex, int which)
{
	tracer_ident_changed_locked();
	snprintf(p->exe, sizeof(p->exe), "%s", ex->exe[which]);
	memcpy(p->comm, ex->comm, sizeof(p->comm));
	p->comm[sizeof(p->comm) - 1] = '\0';
}

/*
 * After an exec the task has the process's id; the thread that called
 * exec is gone.
 */
static void on_exec(pid_t pid, unsigned long former)
{
	struct tracer_exec_expect *ex = NULL;
	struct tracer_proc *p, *old;
	struct tracer_who w;
	pid_t ppid = 0;
	int which;
	bool ok;

	tracer_proc_lock();
	old = tracer_proc_find((pid_t)former);
	if (old) {
		ex = old->exec;
		old->exec = NULL;
		ppid = old->ppid;
	}
	if (old && (pid_t)former != pid)
		tracer_proc_remove((pid_t)former);
	p = tracer_proc_find(pid);
	if (!p)
		p = tracer_proc_add(pid, pid, ppid);
	if (p)
		tracer_ident_cred_forget_locked(p); /* root's exec refills */
	which = p ? exec_matches(ex, pid, p) : -1;
	ok = which >= 0;
	if (ok) {
		took_image(p, ex, which);
		tracer_grant_on_exec(p, ex);
	} else if (p) {
		tracer_proc_refresh(p); /* what it did load, for the record */
	}
	tracer_proc_unlock();
	tracer_exec_expect_free(ex);

	if (ok && !tracer_log_on())
		return;
	tracer_proc_who(pid, &w);
	if (!ok) {
		kill(pid, SIGKILL);
		tracer_log_lifecycle("exec-mismatch", &w, NULL, NULL, -1);
		fprintf(stderr,
			"proctor: killed pid %d: the program or "
			"arguments it loaded are not those that were "
			"checked\n",
			pid);
		return;
	}
	tracer_log_lifecycle("exec", &w, NULL, NULL, -1);
}

static bool early_take(struct loop *l, pid_t pid)
{
	int i;

	for (i = 0; i < l->n_early; i++)
		if (l->early[i] == pid) {
			l->early[i] = l->early[--l->n_early];
			return true;
		}
	return false;
}

static void on_exit_status(struct loop *l, pid_t pid, int st)
{
	struct tracer_proc *p;
	struct tracer_who w;
	bool leader, logged = tracer_log_on();

	if (logged)
		tracer_proc_who(pid, &w);
	tracer_proc_lock();
	p = tracer_proc_find(pid);
	leader = p && p->tgid == pid;
	tracer_proc_remove(pid);
	tracer_proc_unlock();
	tracer_interrupt_forget(pid);

	if (leader && logged)
		tracer_log_lifecycle("exit", &w, NULL, NULL,
				     WIFEXITED(st) ? WEXITSTATUS(st)
						   : 256 + WTERMSIG(st));
	early_take(l, pid);
	if (pid == l->child) {
		l->child_done = true;
		l->status = st;
	}
}

/* What CMD left running when it ended: how many, and the first names. */
struct left {
	int n;
	char names[64];
};

static void term_one(struct tracer_proc *p, void *arg)
{
	struct left *left = arg;
	size_t at = strlen(left->names);

	if (p->tid != p->tgid)
		return;
	if (left->n < 3)
		snprintf(left->names + at, sizeof(left->names) - at, "%s%s",
			 at ? ", " : "", p->comm[0] ? p->comm : "?");
	left->n++;
	kill(p->tgid, SIGTERM);
	kill(p->tgid, SIGCONT); /* a stopped one would not act on it */
}

static void kill_one(struct tracer_proc *p, void *arg)
{
	(void)arg;
	kill(p->tid, SIGKILL);
}

#define LEFT_QUIET_MS 250  /* to end by itself: a helper that saw EOF */
#define LEFT_TERM_MS  1000 /* to end on SIGTERM: git removes its locks */

/*
 * CMD ended and left processes running: natively they would go on; here
 * nothing may outlive the supervisor.  They get a moment to end by
 * themselves (a pool's helpers end on their pipe's EOF, Python's
 * resource tracker unlinks what was left in /dev/shm), then SIGTERM (a
 * background git gc removes its locks and temporary pack), then
 * SIGKILL.  Those still there after the first moment are said.
 */
static void end_left(struct loop *l, struct left *left)
{
	switch (l->left) {
	case LEFT_NONE:
		l->left = LEFT_QUIET;
		l->left_until = tracer_now_ms() + LEFT_QUIET_MS;
		return;
	case LEFT_QUIET:
		if (tracer_now_ms() < l->left_until)
			return;
		tracer_proc_lock();
		tracer_proc_each(term_one, left);
		tracer_proc_unlock();
		l->left = LEFT_TERM;
		l->left_until = tracer_now_ms() + LEFT_TERM_MS;
		return;
	case LEFT_TERM:
		if (tracer_now_ms() < l->left_until)
			return;
		l->left = LEFT_KILL;
		break;
	case LEFT_KILL:
		break;
	}
	tracer_proc_lock();
	tracer_proc_each(kill_one, NULL);
	tracer_proc_unlock();
}

/*
 * Says what was ended: natively a background job (nohup, setsid, a
 * daemon) outlives the command; here it would go without a word.
 */
static void say_left(const struct left *left, bool quiet)
{
	char names[sizeof(left->names)];

	if (quiet || left->n == 0)
		return;
	tracer_printable(names, sizeof(names), left->names);
	fprintf(stderr,
		"proctor: ended %d process%s CMD left running (%s%s); "
		"--wait-all waits for them\n",
		left->n, left->n == 1 ? "" : "es", names,
		left->n > 3 ? ", ..." : "");
}

static bool is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN ||
	       sig == SIGTTOU;
}

/* A new task's first stop: from here on it runs. */
static void first_stop(pid_t pid)
{
	struct tracer_proc *p = meet(pid, 0, 0);

	tracer_proc_lock();
	if (p)
		p->seen_stop = true;
	tracer_proc_unlock();
	/* born during a question: it stops with the rest (SIGSTOP) */
	tracer_prompt_hold_new(pid);
	ptrace(PTRACE_CONT, pid, 0, 0);
}

/*
 * Nothing else to report: the events of the early ones are not coming
 * (a creator killed between its fork and its event), so they are met
 * the slow way.
 */
static void early_release(struct loop *l)
{
	while (l->n_early > 0)
		first_stop(l->early[--l->n_early]);
}

static void on_event_stop(struct loop *l, pid_t pid, int sig)
{
	struct tracer_proc *p;
	bool first, known;

	tracer_proc_lock();
	p = tracer_proc_find(pid);
	known = p != NULL;
	first = !p || !p->seen_stop;
	tracer_proc_unlock();

	if (first) {
		if (!known && l->n_early < LOOP_EARLY_MAX) {
			if (l->n_early == 0)
				l->early_waits = 0;
			l->early[l->n_early++] = pid;
		} else
			first_stop(pid);
		return;
	}
	if (is_stop_signal(sig)) {
		/* group-stop: stay stopped, but hear about SIGCONT */
		ptrace(PTRACE_LISTEN, pid, 0, 0);
		/* a stop the prompt caused is not the user's Ctrl-Z */
		if (!tracer_prompt_own_stop(pid, sig) && pid == l->child)
			tracer_job_child_stopped(l->child, sig);
		return;
	}
	ptrace(tracer_interrupt_resume(pid), pid, 0, 0);
}

/*
 * Who a task made by a fork, vfork or clone event is, without /proc:
 * tgkill(creator's process, child, 0) succeeds when the child is a
 * thread of that process and fails with ESRCH when it is not.  A clone
 * with CLONE_THREAD and SIGCHLD as its exit signal is reported as a
 * fork, one without CLONE_THREAD as a clone; the parent of a process
 * made by a clone event (CLONE_PARENT) is left to /proc.  tgid stays 0
 * when /proc must tell.
 */
static void born(pid_t child, pid_t creator, bool fork_event, pid_t *tgid,
		 pid_t *ppid)
{
	struct tracer_proc *c;
	pid_t ctgid, cppid = 0;

	tracer_proc_lock();
	c = tracer_proc_find(creator);
	ctgid = c ? c->tgid : creator;
	if (c)
		cppid = c->ppid;
	tracer_proc_unlock();

	*tgid = 0;
	*ppid = 0;
	if (syscall(SYS_tgkill, ctgid, child, 0) == 0) {
		if (c) {
			*tgid = ctgid;
			*ppid = cppid;
		}
	} else if (errno == ESRCH && fork_event) {
		*tgid = child;
		*ppid = ctgid;
	}
}

/* A fork, vfork or clone event: the child joins the table. */
static void on_birth(struct loop *l, pid_t pid, bool fork_event)
{
	unsigned long msg = 0;
	pid_t child, tgid, ppid;

	ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg);
	child = (pid_t)msg;
	born(child, pid, fork_event, &tgid, &ppid);
	meet(child, tgid, ppid);
	tracer_ident_cred_inherit(child, pid);
	if (early_take(l, child))
		first_stop(child);
	ptrace(tracer_interrupt_resume(pid), pid, 0, 0);
}

/*
 * The id of the task that called exec: the kernel gives it the
 * process's id, and PTRACE_GETEVENTMSG says which it had.  While the
 * table holds no thread besides leaders, it can only be the process's
 * own, pid: a ptrace call a fork + exec saves.  Every task that runs
 * is in the table (it waits in its first stop until met), and one that
 * called exec stays there under its former id until on_exec().
 */
static unsigned long exec_former(pid_t pid)
{
	unsigned long msg = 0;
	bool threads;

	tracer_proc_lock();
	threads = tracer_proc_threads() > 0;
	tracer_proc_unlock();
	if (!threads)
		return (unsigned long)pid;
	ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg);
	return msg;
}

static void note_terminal_signal(pid_t pid, int sig)
{
	siginfo_t si;

	if (ptrace(PTRACE_GETSIGINFO, pid, 0, &si) == 0)
		tracer_job_signal_seen(pid, sig, &si);
}

static void on_stop(struct loop *l, pid_t pid, int st)
{
	int sig = WSTOPSIG(st), event = (st >> 16) & 0xff;

	switch (event) {
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
		on_birth(l, pid, true);
		break;
	case PTRACE_EVENT_CLONE:
		on_birth(l, pid, false);
		break;
	case PTRACE_EVENT_EXEC:
		on_exec(pid, exec_former(pid));
		ptrace(tracer_interrupt_resume(pid), pid, 0, 0);
		break;
	case PTRACE_EVENT_STOP:
		on_event_stop(l, pid, sig);
		break;
	default:
		/* a call followed to its end (interrupt.c) */
		if (sig == (SIGTRAP | 0x80)) {
			tracer_interrupt_syscall_stop(pid);
			break;
		}
		/* signal-delivery-stop: deliver it, unless it interrupted
		 * a call proctor has not taken yet */
		if (sig == SIGINT || sig == SIGQUIT)
			note_terminal_signal(pid, sig);
		sig = tracer_interrupt_stop(pid, sig);
		ptrace(tracer_interrupt_resume(pid), pid, 0, sig);
	}
}

#define LOOP_NOTHING (-2) /* next_report: nothing to report yet */

/*
 * The next report.  While some new task waits for its creator's event,
 * a wait does not block: when nothing is left to report, or after
 * LOOP_EARLY_WAIT reports without that event, 0 says to let it go.
 */
static pid_t next_report(struct loop *l, int *st)
{
	/* while what CMD left has a moment, a look every 2 ms */
	if (l->left == LEFT_QUIET || l->left == LEFT_TERM) {
		pid_t pid = waitpid(-1, st, __WALL | WNOHANG);

		if (pid != 0 || l->n_early > 0)
			return pid;
		nanosleep(&(struct timespec){ 0, 2000000L }, NULL);
		return LOOP_NOTHING;
	}
	if (l->n_early == 0)
		return waitpid(-1, st, __WALL);
	if (++l->early_waits > LOOP_EARLY_WAIT)
		return 0;
	return waitpid(-1, st, __WALL | WNOHANG);
}

int tracer_ptrace_loop(pid_t child, const struct tracer_opts *o, int *status)
{
	struct loop l = { .child = child, .o = o, .status = -1 };
	struct left left = { 0 };

	for (;;) {
		int st;
		pid_t pid = next_report(&l, &st);

		if (pid == LOOP_NOTHING)
			; /* the time left is looked at below */
		else if (pid < 0 && errno == EINTR)
			continue;
		else if (pid < 0)
			break; /* ECHILD: the whole tree is gone */
		else if (pid == 0)
			early_release(&l);
		else if (WIFEXITED(st) || WIFSIGNALED(st))
			on_exit_status(&l, pid, st);
		else if (WIFSTOPPED(st))
			on_stop(&l, pid, st);

		/* CMD ended: end what it left running, unless asked to wait. */
		if (l.child_done && !o->wait_all && tracer_proc_count() > 0)
			end_left(&l, &left);
	}
	say_left(&left, o->quiet);
	*status = l.status;
	return 0;
}
