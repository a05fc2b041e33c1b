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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tracer/tracer.h"

struct loop {
	pid_t child;
	const struct tracer_opts *o;
	bool child_done;
	int status;
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

/* A task seen for the first time: from a fork event or its first stop. */
static struct tracer_proc *meet(pid_t tid)
{
	struct tracer_proc *p, *parent;
	struct tracer_who w;
	pid_t tgid, ppid;
	bool is_new;

	tracer_proc_lock();
	p = tracer_proc_find(tid);
	is_new = !p;
	if (is_new) {
		task_ids(tid, &tgid, &ppid);
		p = tracer_proc_add(tid, tgid, ppid);
		parent = p ? tracer_proc_find(tgid == tid ? ppid : tgid) : NULL;
		/* A fork runs the parent's image until it execs. */
		if (p && parent) {
			memcpy(p->comm, parent->comm, sizeof(p->comm));
			memcpy(p->exe, parent->exe, sizeof(p->exe));
			memcpy(p->argv, parent->argv, parent->argv_len);
			p->argv_len = parent->argv_len;
		} else if (p) {
			tracer_proc_refresh(p);
		}
	}
	tracer_proc_unlock();
	if (is_new && p && p->tgid == tid) {
		who_of(p, &w);
		tracer_log_lifecycle("start", &w, NULL, NULL, -1);
	}
	return p;
}

void tracer_exec_expect(pid_t tid, dev_t dev, ino_t ino, dev_t dev2,
			ino_t ino2)
{
	struct tracer_proc *p;

	tracer_proc_lock();
	p = tracer_proc_find(tid);
	if (p) {
		p->exec_pending = true;
		p->exec_dev[0] = dev;
		p->exec_ino[0] = ino;
		p->exec_dev[1] = dev2;
		p->exec_ino[1] = ino2;
	}
	tracer_proc_unlock();
}

/*
 * After an exec the task has the process's id; the thread that called
 * exec is gone.  The image loaded must be the file judged at entry, or
 * the interpreter named by its "#!" line.
 */
static void on_exec(pid_t pid, unsigned long former)
{
	struct tracer_proc *p, *old;
	struct tracer_who w;
	char path[64];
	struct stat st;
	bool ok = false;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	tracer_proc_lock();
	old = tracer_proc_find((pid_t)former);
	if (old && stat(path, &st) == 0 && old->exec_pending)
		ok = (st.st_dev == old->exec_dev[0] &&
		      st.st_ino == old->exec_ino[0]) ||
		     (old->exec_ino[1] && st.st_dev == old->exec_dev[1] &&
		      st.st_ino == old->exec_ino[1]);
	if (old && (pid_t)former != pid) {
		pid_t ppid = old->ppid;

		tracer_proc_remove((pid_t)former);
		p = tracer_proc_add(pid, pid, ppid);
	} else {
		p = old ? old : tracer_proc_add(pid, pid, 0);
	}
	if (p) {
		p->exec_pending = false;
		tracer_proc_refresh(p);
	}
	tracer_proc_unlock();

	tracer_proc_who(pid, &w);
	if (!ok) {
		/* Not what was judged: a swapped path or a missed exec. */
		kill(pid, SIGKILL);
		tracer_log_lifecycle("exec-mismatch", &w, NULL, NULL, -1);
		fprintf(stderr, "proctor: killed pid %d: the program it loaded "
				"is not the one that was checked\n", pid);
		return;
	}
	tracer_log_lifecycle("exec", &w, NULL, NULL, -1);
}

static void on_exit_status(struct loop *l, pid_t pid, int st)
{
	struct tracer_proc *p;
	struct tracer_who w;
	bool leader;

	tracer_proc_who(pid, &w);
	tracer_proc_lock();
	p = tracer_proc_find(pid);
	leader = p && p->tgid == pid;
	tracer_proc_remove(pid);
	tracer_proc_unlock();

	if (leader)
		tracer_log_lifecycle("exit", &w, NULL, NULL,
				     WIFEXITED(st) ? WEXITSTATUS(st) :
						     256 + WTERMSIG(st));
	if (pid == l->child) {
		l->child_done = true;
		l->status = st;
	}
}

static void kill_one(struct tracer_proc *p, void *arg)
{
	(void)arg;
	kill(p->tid, SIGKILL);
}

static bool is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN ||
	       sig == SIGTTOU;
}

static void on_event_stop(struct loop *l, pid_t pid, int sig)
{
	struct tracer_proc *p;
	bool first;

	tracer_proc_lock();
	p = tracer_proc_find(pid);
	first = !p || !p->seen_stop;
	if (p)
		p->seen_stop = true;
	tracer_proc_unlock();

	if (first) {
		p = meet(pid);
		tracer_proc_lock();
		if (p)
			p->seen_stop = true;
		tracer_proc_unlock();
		ptrace(PTRACE_CONT, pid, 0, 0);
		return;
	}
	if (is_stop_signal(sig)) {
		/* group-stop: stay stopped, but hear about SIGCONT */
		ptrace(PTRACE_LISTEN, pid, 0, 0);
		if (pid == l->child)
			tracer_job_child_stopped(l->child);
		return;
	}
	ptrace(PTRACE_CONT, pid, 0, 0);
}

static void on_stop(struct loop *l, pid_t pid, int st)
{
	int sig = WSTOPSIG(st), event = (st >> 16) & 0xff;
	unsigned long msg = 0;

	switch (event) {
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
	case PTRACE_EVENT_CLONE:
		ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg);
		meet((pid_t)msg);
		ptrace(PTRACE_CONT, pid, 0, 0);
		break;
	case PTRACE_EVENT_EXEC:
		ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg);
		on_exec(pid, msg);
		ptrace(PTRACE_CONT, pid, 0, 0);
		break;
	case PTRACE_EVENT_STOP:
		on_event_stop(l, pid, sig);
		break;
	default:
		/* signal-delivery-stop: deliver it */
		ptrace(PTRACE_CONT, pid, 0, sig);
	}
}

int tracer_ptrace_loop(pid_t child, const struct tracer_opts *o, int *status)
{
	struct loop l = { .child = child, .o = o, .status = -1 };
	bool killed = false;

	for (;;) {
		int st;
		pid_t pid = waitpid(-1, &st, __WALL);

		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;	/* ECHILD: the whole tree is gone */
		}
		if (WIFEXITED(st) || WIFSIGNALED(st))
			on_exit_status(&l, pid, st);
		else if (WIFSTOPPED(st))
			on_stop(&l, pid, st);

		/* CMD ended: end what it left running, unless asked to wait. */
		if (l.child_done && !o->wait_all && tracer_proc_count() > 0) {
			tracer_proc_lock();
			tracer_proc_each(kill_one, NULL);
			tracer_proc_unlock();
			killed = true;
		}
	}
	(void)killed;
	*status = l.status;
	return 0;
}
