/* SPDX-License-Identifier: MIT */
/*
 * The names proctor answered for each address, so that a connect is
 * judged by the name the program asked for (issue #5).
 *
 * Scope: the whole run.  A name resolved by one process counts for every
 * process of the run, as a resolver cache shared by the tree would: a
 * parent often resolves and a child connects.  An entry lives for the
 * answer's TTL, but at least NAMES_TTL_MIN seconds, since programs keep
 * answers past short TTLs (curl keeps them 60 s); after that the address
 * is judged by its address entries alone until a program resolves the
 * name again.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tracer/tracer.h"

#define NAMES_BUCKETS 4096
#define NAMES_MAX     65536 /* entries; past it, the stalest go */
#define NAMES_TTL_MIN 60
#define NAMES_TTL_MAX 86400

struct name_entry {
	uint8_t ip[16];
	time_t expires; /* CLOCK_MONOTONIC seconds */
	char name[TRACER_NAME_MAX];
	struct name_entry *next;
};

static struct name_entry *buckets[NAMES_BUCKETS];
static size_t count;
static size_t lasting; /* of them, tracer_names_add_lasting()'s */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static time_t now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static unsigned int hash(const uint8_t ip[16])
{
	unsigned int h = 2166136261u;
	int i;

	for (i = 0; i < 16; i++)
		h = (h ^ ip[i]) * 16777619u;
	return h % NAMES_BUCKETS;
}

/* Drops the expired entries of one chain. */
static void sweep(struct name_entry **head, time_t t)
{
	struct name_entry **pp = head, *e;

	while ((e = *pp)) {
		if (e->expires > t) {
			pp = &e->next;
			continue;
		}
		*pp = e->next;
		free(e);
		count--;
	}
}

/* At the cap: sweep everything; if still full, drop a chain's head. */
static void make_room(unsigned int h, time_t t)
{
	struct name_entry *e;
	unsigned int i;

	if (count < NAMES_MAX)
		return;
	for (i = 0; i < NAMES_BUCKETS; i++)
		sweep(&buckets[i], t);
	for (i = h; count >= NAMES_MAX; i = (i + 1) % NAMES_BUCKETS) {
		e = buckets[i];
		if (!e)
			continue;
		buckets[i] = e->next;
		free(e);
		count--;
	}
}

void tracer_names_add(const uint8_t ip[16], const char *name, uint32_t ttl)
{
	unsigned int h = hash(ip);
	time_t t = now(), until;
	struct name_entry *e;

	if (ttl < NAMES_TTL_MIN)
		ttl = NAMES_TTL_MIN;
	if (ttl > NAMES_TTL_MAX)
		ttl = NAMES_TTL_MAX;
	until = t + ttl;

	pthread_mutex_lock(&lock);
	sweep(&buckets[h], t);
	for (e = buckets[h]; e; e = e->next) {
		if (!memcmp(e->ip, ip, 16) && !strcmp(e->name, name)) {
			if (e->expires < until)
				e->expires = until;
			goto out;
		}
	}
	make_room(h, t);
	e = calloc(1, sizeof(*e));
	if (!e)
		goto out; /* the connect will be judged by address alone */
	memcpy(e->ip, ip, 16);
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->expires = until;
	e->next = buckets[h];
	buckets[h] = e;
	count++;
out:
	pthread_mutex_unlock(&lock);
}

/*
 * For the whole run, with no look for a duplicate (a hosts file that
 * blocks 150,000 names on one address: each look would walk them all).
 * Up to half the table, so that answers keep room (make_room may drop
 * one still, as it drops any).
 */
bool tracer_names_add_lasting(const uint8_t ip[16], const char *name)
{
	unsigned int h = hash(ip);
	struct name_entry *e;
	bool added = false;

	pthread_mutex_lock(&lock);
	if (lasting < TRACER_NAMES_LASTING && (e = calloc(1, sizeof(*e)))) {
		memcpy(e->ip, ip, 16);
		snprintf(e->name, sizeof(e->name), "%s", name);
		e->expires = now() + 100L * 365 * 86400;
		e->next = buckets[h];
		buckets[h] = e;
		count++;
		lasting++;
		added = true;
	}
	pthread_mutex_unlock(&lock);
	return added;
}

size_t tracer_names_find(const uint8_t ip[16], char (*names)[TRACER_NAME_MAX],
			 size_t max)
{
	unsigned int h = hash(ip);
	time_t t = now();
	struct name_entry *e;
	size_t n = 0;

	pthread_mutex_lock(&lock);
	for (e = buckets[h]; e && n < max; e = e->next)
		if (!memcmp(e->ip, ip, 16) && e->expires > t)
			memcpy(names[n++], e->name, TRACER_NAME_MAX);
	pthread_mutex_unlock(&lock);
	return n;
}
