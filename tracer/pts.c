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
 * A terminal is known by what it is, not by its name: a pty slave
 * (character device, majors 136-143) reached by any path, /dev/pts/N or
 * a bind mount of /dev/pts in a chroot.  The master side is what makes
 * one the run's: a pty lives as long as its master, and the slave a
 * master of the run opens (TIOCGPTPEER, as O_PATH: no side effect) is
 * compared with the object by device and inode.  Masters are found by
 * their tty-index in /proc/PID/fdinfo; that walk happens only when a
 * terminal that is not proctor's own is opened, which is rare
 * (openpty(3) gets its slave from the master, without a path).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
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

bool tracer_pts_is_slave(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && major(st->st_rdev) >= 136 &&
	       major(st->st_rdev) <= 143;
}

/*
 * A virtual console (/dev/ttyN, /dev/tty0), its screen (/dev/vcs*) or
 * /dev/console: somebody's session too, like a pty that is not the
 * run's.  /dev/tty (5,0), the caller's own, is not one.
 */
bool tracer_pts_is_console(const struct stat *st)
{
	unsigned maj = major(st->st_rdev), min = minor(st->st_rdev);

	return S_ISCHR(st->st_mode) &&
	       ((maj == 4 && min < 64) || maj == 7 || (maj == 5 && min == 1));
}

/* The pty index of a slave device. */
static int slave_index(const struct stat *st)
{
	unsigned maj = major(st->st_rdev), min = minor(st->st_rdev);

	return maj == 136 ? (int)min : (int)((maj - 136) * 256 + min);
}

/* The slave that master fd (ours) opens is the object st. */
static bool peer_is(int master, const struct stat *st)
{
	struct stat peer;
	int fd = ioctl(master, TIOCGPTPEER, O_PATH | O_CLOEXEC);
	bool same;

	if (fd < 0)
		return false;
	same = fstat(fd, &peer) == 0 && peer.st_dev == st->st_dev &&
	       peer.st_ino == st->st_ino;
	close(fd);
	return same;
}

/* Descriptor fd of process pid is the master of the pty st. */
static bool master_of(pid_t pid, const char *fd, int n, const struct stat *st)
{
	char path[64], buf[512], *at;
	bool same;
	int ours;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", pid, fd);
	if (tracer_proc_read(path, buf, sizeof(buf)) <= 0)
		return false;
	at = strstr(buf, "\ntty-index:");
	if (!at || atoi(at + 11) != n)
		return false;
	ours = tracer_steal_fd(pid, pid, atoi(fd));
	if (ours < 0)
		return false;
	same = peer_is(ours, st);
	close(ours);
	return same;
}

static bool holds_master(pid_t pid, int n, const struct stat *st)
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
		found = e->d_name[0] != '.' && master_of(pid, e->d_name, n, st);
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

static bool run_holds_master(const struct stat *st)
{
	struct pids s = { 0 };
	bool found = false;
	size_t i;

	tracer_proc_lock();
	tracer_proc_each(add_leader, &s);
	tracer_proc_unlock();
	for (i = 0; i < s.n && !found; i++)
		found = holds_master(s.v[i], slave_index(st), st);
	free(s.v);
	return found;
}

bool tracer_pts_own(const struct stat *st)
{
	int i;

	for (i = 0; i < n_own; i++)
		if (own[i].dev == st->st_dev && own[i].ino == st->st_ino)
			return true;
	return false;
}

/*
 * Whether the descriptor a reopen goes through reads or writes its
 * terminal.  One that does was had through proctor, or with the
 * terminal, so the run may open it again.  An O_PATH one grants
 * neither, and is had without proctor (open_tree(2), an O_PATH open
 * whose path changed after it was judged): it makes nobody's terminal
 * the run's.
 */
bool tracer_pts_held(const struct tracer_path *p)
{
	long flags = tracer_path_reopen_flags(p);

	return flags >= 0 && !(flags & O_PATH);
}

bool tracer_pts_of_run(const struct tracer_path *p, const struct stat *st)
{
	/* a reopen of a descriptor of it a process of the run holds */
	if (p->magic >= 0 && tracer_pts_held(p))
		return true;
	return tracer_pts_own(st) || run_holds_master(st);
}
