/* SPDX-License-Identifier: MIT */
/*
 * The process table: every task (thread or process) of the traced tree,
 * keyed by tid.  The ptrace thread adds and removes entries on fork,
 * clone, exec and exit events; workers read them to name who asked.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch/arch.h"
#include "tracer/tracer.h"

#define PROC_BUCKETS 1024

static struct tracer_proc *buckets[PROC_BUCKETS];
static size_t count;
static size_t threads; /* entries that are not their process's leader */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void tracer_proc_lock(void)
{
	pthread_mutex_lock(&lock);
}

void tracer_proc_unlock(void)
{
	pthread_mutex_unlock(&lock);
}

static struct tracer_proc **slot(pid_t tid)
{
	struct tracer_proc **pp = &buckets[(unsigned)tid % PROC_BUCKETS];

	while (*pp && (*pp)->tid != tid)
		pp = &(*pp)->next;
	return pp;
}

void tracer_proc_init(void)
{
	memset(buckets, 0, sizeof(buckets));
	count = 0;
	threads = 0;
}

struct tracer_proc *tracer_proc_find(pid_t tid)
{
	return *slot(tid);
}

/* Caller holds the lock. */
struct tracer_proc *tracer_proc_add(pid_t tid, pid_t tgid, pid_t ppid)
{
	struct tracer_proc **pp = slot(tid);
	struct tracer_proc *p = *pp;

	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p)
			return NULL;
		p->tid = tid;
		p->tgid = tid;
		p->cwd_fd = -1;
		p->umask = -1;
		*pp = p;
		count++;
	}
	threads -= p->tgid != p->tid;
	p->tgid = tgid;
	threads += p->tgid != p->tid;
	p->ppid = ppid;
	tracer_ident_forget_locked(p); /* a task met again keeps nothing */
	return p;
}

/* Caller holds the lock. */
void tracer_proc_remove(pid_t tid)
{
	struct tracer_proc **pp = slot(tid);
	struct tracer_proc *p = *pp;

	if (!p)
		return;
	*pp = p->next;
	threads -= p->tgid != p->tid;
	tracer_ident_settle_locked(p);
	tracer_ident_forget_locked(p);
	free(p->ident_cwd);
	tracer_exec_expect_free(p->exec);
	tracer_grant_release(p);
	free(p);
	count--;
}

size_t tracer_proc_count(void)
{
	return count;
}

/* Caller holds the lock. */
size_t tracer_proc_threads(void)
{
	return threads;
}

pid_t tracer_proc_tgid(pid_t tid)
{
	struct tracer_proc *p;
	pid_t tgid = tid;

	tracer_proc_lock();
	p = tracer_proc_find(tid);
	if (p)
		tgid = p->tgid;
	tracer_proc_unlock();
	return tgid;
}

/* Reads a small file of /proc into buf, NUL-terminated. */
ssize_t tracer_proc_read(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

bool tracer_proc_in_tree(pid_t pid)
{
	bool in;

	tracer_proc_lock();
	in = tracer_proc_find(pid) != NULL;
	tracer_proc_unlock();
	return in;
}

void tracer_proc_each(void (*fn)(struct tracer_proc *, void *), void *arg)
{
	unsigned i;

	for (i = 0; i < PROC_BUCKETS; i++) {
		struct tracer_proc *p = buckets[i], *next;

		for (; p; p = next) {
			next = p->next;
			fn(p, arg);
		}
	}
}

static ssize_t read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size);
	close(fd);
	return n;
}

/* Caller holds the lock.  The task may be gone: then fields stay. */
void tracer_proc_refresh(struct tracer_proc *p)
{
	char path[64];
	ssize_t n;

	tracer_ident_changed_locked();
	snprintf(path, sizeof(path), "/proc/%d/exe", p->tid);
	n = readlink(path, p->exe, sizeof(p->exe) - 1);
	if (n >= 0)
		p->exe[n] = '\0';

	snprintf(path, sizeof(path), "/proc/%d/comm", p->tid);
	n = read_file(path, p->comm, sizeof(p->comm) - 1);
	if (n > 0) {
		p->comm[n] = '\0';
		p->comm[strcspn(p->comm, "\n")] = '\0';
	}

	tracer_proc_read_argv(p);
}

/* Caller holds the lock.  One read: the kernel copies out what fits. */
int tracer_proc_read_argv(struct tracer_proc *p)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", p->tid);
	n = read_file(path, p->argv, sizeof(p->argv));
	if (n < 0)
		return -ESRCH;
	p->argv_len = n;
	return 0;
}

/*
 * At its exec event nothing of the new image has run: its stack holds
 * argc, argv's pointers, NULL, then envp's, as the kernel laid them out,
 * and argv's strings lie end to end up to where the environment's
 * begin: the bytes /proc/PID/cmdline gives, read without its two
 * lookups in /proc.  Anything of another shape (no environment, no
 * argv, another ABI's layout) is left to /proc.  Caller holds the lock
 * and is the tracer.
 */
#define EXEC_ARGC_MOST (1 << 20)

/* Up to size bytes of the argv into buf (*len of them); *whole: all. */
static bool stack_argv(pid_t tid, char *buf, size_t size, size_t *len,
		       bool *whole)
{
	uint64_t sp, head[2], tail[2], argc, n, words = 0, i;

	/* head: argc, argv[0]; tail: argv[argc] (NULL), envp[0] */
	if (!arch_exec_stack(tid, &sp) ||
	    tracer_mem_read(tid, sp, head, sizeof(head)) < 0)
		return false;
	argc = head[0];
	if (argc == 0 || argc > EXEC_ARGC_MOST)
		return false;
	if (tracer_mem_read(tid, sp + 8 * (argc + 1), tail, sizeof(tail)) ||
	    tail[0] != 0 || tail[1] <= head[1])
		return false;

	n = tail[1] - head[1];
	*whole = n <= size;
	if (!*whole)
		n = size; /* as much as one read of cmdline */
	if (tracer_mem_read(tid, head[1], buf, n) < 0)
		return false;
	for (i = 0; i < n; i++)
		words += buf[i] == '\0';
	if (*whole && (words != argc || buf[n - 1] != '\0'))
		return false;
	*len = n;
	return true;
}

static bool exec_stack_argv(struct tracer_proc *p)
{
	bool whole;

	return stack_argv(p->tid, p->argv, sizeof(p->argv), &p->argv_len,
			  &whole);
}

int tracer_proc_exec_argv_whole(pid_t tid, char *buf, size_t size, size_t *len)
{
	bool whole;

	return stack_argv(tid, buf, size, len, &whole) && whole ? 0 : -1;
}

int tracer_proc_read_exec_argv(struct tracer_proc *p)
{
	return exec_stack_argv(p) ? 0 : tracer_proc_read_argv(p);
}

static void join_argv(const char *argv, size_t len, char *out, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 1 < size; i++)
		out[o++] = argv[i] ? argv[i] : ' ';
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

void tracer_proc_who(pid_t tid, struct tracer_who *w)
{
	struct tracer_proc *p;

	memset(w, 0, sizeof(*w));
	w->uid = -1;
	w->tid = tid;
	w->tgid = tid;
	tracer_proc_lock();
	p = tracer_proc_find(tid);
	if (p) {
		w->tgid = p->tgid;
		w->ppid = p->ppid;
	}
	/* Threads share their process's identity; the leader has it. */
	if (p && p->tgid != tid && tracer_proc_find(p->tgid))
		p = tracer_proc_find(p->tgid);
	if (p) {
		memcpy(w->comm, p->comm, sizeof(w->comm));
		snprintf(w->exe, sizeof(w->exe), "%s", p->exe);
		join_argv(p->argv, p->argv_len, w->cmdline, sizeof(w->cmdline));
	}
	tracer_proc_unlock();
}

void tracer_exec_expect_free(struct tracer_exec_expect *ex)
{
	if (ex) {
		free(ex->exe[0]);
		free(ex->exe[1]);
		free(ex->argv);
		free(ex->script_head);
		free(ex);
	}
}
