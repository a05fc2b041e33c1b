/* SPDX-License-Identifier: MIT */
/*
 * Files and directories this run created, by device and inode.  They stay
 * writable to the run even where the policy protects the place (a
 * repository made with `git init`, a new file in /tmp): the policy
 * protects what existed before the run, not what the run made.
 */
#include <pthread.h>
#include <stdlib.h>

#include "tracer/tracer.h"

#define CREATED_BUCKETS 4096

struct created {
	dev_t dev;
	ino_t ino;
	struct created *next;
};

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

void tracer_created_add(dev_t dev, ino_t ino)
{
	struct created **pp, *c;

	pthread_mutex_lock(&lock);
	pp = find(dev, ino);
	if (!*pp) {
		c = calloc(1, sizeof(*c));
		if (c) {
			c->dev = dev;
			c->ino = ino;
			*pp = c;
		}
	}
	pthread_mutex_unlock(&lock);
}

bool tracer_created_has(dev_t dev, ino_t ino)
{
	bool has;

	pthread_mutex_lock(&lock);
	has = *find(dev, ino) != NULL;
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
