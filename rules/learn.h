/* SPDX-License-Identifier: MIT */
/*
 * Learning: from what a run did to a policy that allows it.  Pure like
 * the rest of rules/: events go in, the policy's text comes out.
 *
 * Generalisation, in the order it is applied (README, "Learning"):
 *
 * - What the base policy denied ("needed") and what its read denials
 *   name (secrets) are written as they were, with only ~, $WORKSPACE and
 *   $TMPDIR put in, and "review": true: they grant nothing until the
 *   user removes the flag.
 * - The home directory becomes ~, a workspace $WORKSPACE; anything in the
 *   run's private temporary directory becomes $TMPDIR.
 * - Reads under /usr, /etc, /lib*, /bin, /sbin and /opt become that
 *   directory.
 * - Per-process and temporary names become globs: /proc/PID and
 *   /proc/PID/task/TID, /dev/pts/N, mkstemp-like names, long hex
 *   hashes, long numbers; build outputs (*.o, *.pyc, ...) become a glob
 *   of their extension in their directory.
 * - A directory the run listed, made or changed is an entry for it
 *   alone ("beneath": false), which grants nothing beneath it.
 * - Then, deepest directory first, a directory with at least
 *   RULES_LEARN_DIR_THRESHOLD entries beneath it becomes one entry
 *   (never /, a top-level directory, ~, or a directory above ~ or a
 *   workspace).
 * - Hosts keep their names (and loopback or link-local addresses, which a
 *   name never grants, their address too); at least
 *   RULES_LEARN_HOST_THRESHOLD names
 *   under one registrable domain (public suffix list) become
 *   "*.DOMAIN"; a public suffix never gets a wildcard.
 * - The policy stands in place of the base ("builtin": false), so the
 *   base's deny and ask entries are copied into it; an entry for review
 *   that names one exactly stands in for it.
 * - Commands: invocations of one program share a prefix; it grows while
 *   every invocation has the same next word, splits while they differ
 *   by at most RULES_LEARN_SPLIT_MAX plain words (subcommands), and
 *   stops at an option, a path, a per-run name, or RULES_LEARN_MAX_WORDS
 *   words after the program.
 */
#ifndef PROCTOR_RULES_LEARN_H
#define PROCTOR_RULES_LEARN_H

#include "rules/rules.h"

#define RULES_LEARN_DIR_THRESHOLD  8
#define RULES_LEARN_HOST_THRESHOLD 4
#define RULES_LEARN_SPLIT_MAX	   8
#define RULES_LEARN_MAX_WORDS	   3

struct rules_learn;

/* One decision of the run, as its log record tells it. */
struct rules_learn_event {
	enum rules_class cls;
	/* read, write: the path; connect: the address as the log prints
	 * it, or for a lookup the name; exec: the resolved program */
	const char *object;
	/* rename and link: the new name, or NULL */
	const char *to;
	/* connect: the name proctor answered for the address; a lookup:
	 * the name looked up; or NULL */
	const char *name;
	const char *const *argv; /* exec */
	size_t argc;
	bool denied; /* the run denied it */
	/* allowed because the run made the object (a file, a socket) */
	bool created;
	bool also_read;	  /* a write that also read (O_RDWR) */
	bool interpreter; /* exec: ran as a script's interpreter */
	/* read, write: the object is a directory (listed, made, changed),
	 * learned as an entry for it alone ("beneath": false) */
	bool dir;
	/* write: the object existed before the run and is not its own (a
	 * --permissive run logs it): a create rule would not allow it */
	bool preexisting;
	/* write: the call made a symlink, FIFO or socket, which a create
	 * rule does not let a run make (tracer_judge_kind) */
	bool special;
	/* write, rename and link: the new name (to) holds one of those */
	bool to_special;
	/* write: the call made the name anew (O_CREAT | O_EXCL, mkdir): a
	 * name a maker of temporary files chose is learned as their glob */
	bool made_anew;
	/* the names may not be the real ones (a schema 1 log wrote a byte
	 * that is not UTF-8 as the character of that number): the entries
	 * wait for review */
	bool unsure;
	/* denied: the rule that denied it, as people read it, or NULL */
	const char *rule;
};

/*
 * A learner for runs with these names; base is the policy that decides
 * what is "needed" and what is secret (it must outlive the learner, or
 * be replaced with rules_learn_set_run first).  permissive: the run was
 * unconfined, so base judges every event again.
 */
int rules_learn_new(struct rules_learn **out, const struct rules_vars *v,
		    const struct rules_policy *base, bool permissive);
void rules_learn_free(struct rules_learn *l);

/* The next events come from another run, with these names. */
int rules_learn_set_run(struct rules_learn *l, const struct rules_vars *v,
			const struct rules_policy *base, bool permissive);

/*
 * The home of the user who will enforce the policy: the built-in
 * secrets beneath it are secrets too (a log recorded with another
 * home); own, if given, is the user's own policy, whose read denials
 * are secrets too (it must outlive the learner, or be replaced first).
 * 0 or -ENOMEM.
 */
int rules_learn_set_reader(struct rules_learn *l, const char *home,
			   const struct rules_policy *own);

/* Returns 0, -EINVAL for an event without its object, -ENOMEM. */
int rules_learn_add(struct rules_learn *l, const struct rules_learn_event *e);

/*
 * The learned policy as JSON text (malloc'd), grouped by class, each
 * list sorted with the entries that wait for review last; NULL without
 * memory.  *n_review, if given, is how many entries wait for review.
 */
char *rules_learn_policy(struct rules_learn *l, size_t *n_review);

/*
 * One path as the learner writes it, before directories collapse;
 * for tests.  Returns 0 or -ENAMETOOLONG.
 */
int rules_learn_path(const struct rules_learn *l, enum rules_class c,
		     const char *path, char *out, size_t size);

/* The glob a file name becomes, or the name with globs escaped. */
void rules_learn_name(const char *name, char *out, size_t size);

/*
 * A name that a maker of temporary files chose (mkstemp's, mktemp's,
 * Python's), as a glob with a "?" for each chosen character ("sed??????"),
 * in out; false if the name does not look chosen, or too little of it
 * is left to say whose it is (a name chosen whole: perl -i's "XXuOBJZi").
 */
bool rules_learn_temp_name(const char *name, char *out, size_t size);

#endif
