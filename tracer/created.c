/* SPDX-License-Identifier: MIT */
/*
 * Files and directories this run created, by device and inode.  They stay
 * writable to the run even where the policy protects the place (a
 * repository made with `git init`, a new file in /tmp): the policy
 * protects what existed before the run, not what the run made.
 *
 * An inode number outlives its file: one the run made may be freed by a
 * rename over it, the close of an O_TMPFILE, a process outside the run,
 * and come back for a file the run did not make (ext4 hands out the
 * lowest free number, so a run that fills the holes below can aim).  So
 * each entry keeps the birth time too (statx), where the filesystem has
 * one, and an object born later is another.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "tracer/tracer.h"

#define CREATED_BUCKETS 4096

struct created {
	dev_t dev;
	ino_t ino;
	bool born; /* btime holds the birth time */
	struct statx_timestamp btime;
	struct created *next;
};

/* The object at dirfd/name ("": dirfd itself), links not followed. */
static int identify(int dirfd, const char *name, struct created *id)
{
	struct statx sx;
	int flags = AT_SYMLINK_NOFOLLOW | (*name ? 0 : AT_EMPTY_PATH);

	if (statx(dirfd, name, flags, STATX_INO | STATX_BTIME, &sx) < 0)
		return -errno;
	id->dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
	id->ino = sx.stx_ino;
	id->born = sx.stx_mask & STATX_BTIME;
	id->btime = sx.stx_btime;
	return 0;
}

static bool same_birth(const struct created *a, const struct created *b)
{
	return !a->born || !b->born ||
	       (a->btime.tv_sec == b->btime.tv_sec &&
		a->btime.tv_nsec == b->btime.tv_nsec);
}

static struct created *buckets[CREATED_BUCKETS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static unsigned hash(dev_t dev, ino_t ino)
{
	return (unsigned)((ino * 2654435761u) ^ dev) % CREATED_BUCKETS;
}

static struct created **find(dev_t dev, ino_t ino)
{
	struct created **pp = &buckets[hash(dev, ino)];

	while (*pp && ((*pp)->dev != dev || (*pp)->ino != ino))
		pp = &(*pp)->next;
	return pp;
}

void tracer_created_add(int dirfd, const char *name)
{
	struct created id, **pp, *c;

	if (identify(dirfd, name, &id) < 0)
		return;
	pthread_mutex_lock(&lock);
	pp = find(id.dev, id.ino);
	if (!*pp) {
		c = calloc(1, sizeof(*c));
		if (c) {
			*c = id;
			c->next = NULL;
			*pp = c;
		}
	} else {
		/* a number the run had before, for its new object */
		(*pp)->born = id.born;
		(*pp)->btime = id.btime;
	}
	pthread_mutex_unlock(&lock);
}

bool tracer_created_has(int dirfd, const char *name)
{
	struct created id, *c;
	bool has;

	if (identify(dirfd, name, &id) < 0)
		return false;
	pthread_mutex_lock(&lock);
	c = *find(id.dev, id.ino);
	has = c && same_birth(c, &id);
	pthread_mutex_unlock(&lock);
	return has;
}

/* An unlinked inode number can be reused by a file the run did not make. */
void tracer_created_remove(dev_t dev, ino_t ino)
{
	struct created **pp, *c;

	pthread_mutex_lock(&lock);
	pp = find(dev, ino);
	c = *pp;
	if (c) {
		*pp = c->next;
		free(c);
	}
	pthread_mutex_unlock(&lock);
}
