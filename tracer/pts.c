/* SPDX-License-Identifier: MIT */
/*
 * Terminals: which /dev/pts/N are the run's.
 *
 * A pseudo-terminal is somebody's session.  The run may use its own: the
 * terminals proctor was started on, and those whose master a process of
 * the run holds (a terminal multiplexer, `script`, an expect-style test
 * made them).  Another one belongs to another window of the user: a read
 * takes keys typed there, a write draws on that screen, and escape
 * sequences some terminals answer become typed input.  Those are denied
 * unless an entry of the policy names them; a default does not.
 *
 * The master side is what makes a terminal the run's: a pty lives as
 * long as its master, and while a process of the run holds the master
 * of index N, /dev/pts/N is that pty and no other.  Masters are found by
 * their name (/dev/ptmx, /dev/pts/ptmx) and tty-index in /proc/PID/fd
 * and fdinfo; that walk happens only when a /dev/pts/N that is not
 * proctor's own is opened, which is rare (openpty(3) gets its slave
 * from the master, without a path).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tracer/tracer.h"

#define PTS_OWN_MAX 4

/* proctor's own terminals, as (device, inode) of the pts node */
static struct {
	dev_t dev;
	ino_t ino;
} own[PTS_OWN_MAX];
static int n_own;

static void add_own(int fd)
{
	struct stat st;
	int i;

	if (!isatty(fd) || fstat(fd, &st) < 0)
		return;
	for (i = 0; i < n_own; i++)
		if (own[i].dev == st.st_dev && own[i].ino == st.st_ino)
			return;
	if (n_own < PTS_OWN_MAX) {
		own[n_own].dev = st.st_dev;
		own[n_own].ino = st.st_ino;
		n_own++;
	}
}

void tracer_pts_init(void)
{
	int fd;

	n_own = 0;
	add_own(STDIN_FILENO);
	add_own(STDOUT_FILENO);
	add_own(STDERR_FILENO);
	fd = open("/dev/tty", O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0) {
		add_own(fd);
		close(fd);
	}
}

/* N of "/dev/pts/N", or -1. */
int tracer_pts_index(const char *path)
{
	char *end;
	long n;

	if (strncmp(path, "/dev/pts/", 9) || path[9] < '0' || path[9] > '9')
		return -1;
	n = strtol(path + 9, &end, 10);
	return *end == '\0' && n <= 0xfffff ? (int)n : -1;
}

/* fd of process pid is a pty master of index n. */
static bool master_of(pid_t pid, const char *fd, int n)
{
	char path[64], buf[512], *at;
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/%d/fd/%s", pid, fd);
	len = readlink(path, buf, sizeof(buf) - 1);
	if (len < 0)
		return false;
	buf[len] = '\0';
	if (strcmp(buf, "/dev/ptmx") && strcmp(buf, "/dev/pts/ptmx"))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", pid, fd);
	if (tracer_proc_read(path, buf, sizeof(buf)) <= 0)
		return false;
	at = strstr(buf, "\ntty-index:");
	return at && atoi(at + 11) == n;
}

static bool holds_master(pid_t pid, int n)
{
	char dir[64];
	struct dirent *e;
	bool found = false;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	d = opendir(dir);
	if (!d)
		return false;
	while (!found && (e = readdir(d)))
		found = e->d_name[0] != '.' && master_of(pid, e->d_name, n);
	closedir(d);
	return found;
}

struct pids {
	pid_t *v;
	size_t n, cap;
};

static void add_leader(struct tracer_proc *p, void *arg)
{
	struct pids *s = arg;
	pid_t *nv;

	if (p->tid != p->tgid)
		return; /* threads share the process's descriptors */
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		nv = realloc(s->v, s->cap * sizeof(*nv));
		if (!nv)
			return;
		s->v = nv;
	}
	s->v[s->n++] = p->tgid;
}

static bool run_holds_master(int n)
{
	struct pids s = { 0 };
	bool found = false;
	size_t i;

	tracer_proc_lock();
	tracer_proc_each(add_leader, &s);
	tracer_proc_unlock();
	for (i = 0; i < s.n && !found; i++)
		found = holds_master(s.v[i], n);
	free(s.v);
	return found;
}

bool tracer_pts_of_run(const struct tracer_path *p, const struct stat *st)
{
	int i, n = tracer_pts_index(p->path);

	if (n < 0)
		return false;
	/* a reopen of a descriptor a process of the run holds */
	if (p->magic >= 0)
		return true;
	for (i = 0; i < n_own; i++)
		if (st && own[i].dev == st->st_dev && own[i].ino == st->st_ino)
			return true;
	return run_holds_master(n);
}
