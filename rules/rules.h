/* SPDX-License-Identifier: MIT */
/*
 * rules: the policy model.  Parsing (cJSON), matching of paths, addresses
 * and commands, and the verdicts.  Pure: no syscalls and no I/O beyond
 * reading a policy file, so every function here is unit-testable.
 *
 * Functions return 0 or -errno unless their comment says otherwise.
 */
#ifndef PROCTOR_RULES_H
#define PROCTOR_RULES_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

enum rules_action {
	RULES_ALLOW,
	RULES_ASK, /* behaves as deny until prompts exist: TODO(#6) */
	RULES_DENY,
	/* files.write only: may create new objects and change those. */
	RULES_CREATE,
};

enum rules_class {
	RULES_READ,
	RULES_WRITE,
	RULES_EXEC,
	RULES_CONNECT,
	RULES_NCLASS,
};

/*
 * Values substituted into patterns.  All paths are absolute and canonical
 * (the caller resolves symlinks); workspaces may hold several entries.
 */
struct rules_vars {
	const char *home;
	const char *tmpdir; /* the run's private temporary dir */
	const char *const *workspaces;
	size_t n_workspaces;
};

/*
 * What decided a verdict, for the log and for messages to people.
 * Strings point into the policy and live as long as it does.
 */
struct rules_verdict {
	enum rules_action action;
	const char *origin;  /* "built-in", a file name, "command line" */
	const char *where;   /* JSON path, e.g. "files.write.deny[2]" */
	const char *pattern; /* the entry as written, e.g. "~/.ssh" */
	bool is_default;     /* no entry matched; the class default */
};

/*
 * A decoded socket address.  IPv4 is stored IPv4-mapped in ip[]
 * (::ffff:a.b.c.d) so that both families match the same rules.
 */
enum rules_addr_kind {
	RULES_ADDR_IP,
	RULES_ADDR_UNIX_PATH,
	RULES_ADDR_UNIX_ABSTRACT,
	RULES_ADDR_UNNAMED, /* AF_UNSPEC or an empty AF_UNIX address */
};

struct rules_addr {
	enum rules_addr_kind kind;
	uint8_t ip[16];
	uint16_t port;	/* host byte order */
	char path[256]; /* unix path (resolved) or abstract name */
};

struct rules_policy;

/* An empty policy: every class defaults to deny. */
int rules_policy_new(struct rules_policy **out, const struct rules_vars *v);
void rules_policy_free(struct rules_policy *p);

/* The built-in policy for a coding agent working in a repository. */
extern const char rules_default_json[];

/*
 * Adds one layer from JSON text.  origin names the layer in messages and
 * verdicts; base_dir resolves relative paths (NULL: relative paths are an
 * error).  A layer's "default" replaces earlier ones; lists add up.
 * On error returns -EINVAL and writes "ORIGIN: JSON.PATH: what was
 * expected" into err.
 */
int rules_policy_add_json(struct rules_policy *p, const char *json,
			  const char *origin, const char *base_dir, char *err,
			  size_t errlen);

/* Same, reading the file at path; origin is the path. */
int rules_policy_add_file(struct rules_policy *p, const char *path,
			  const char *base_dir, char *err, size_t errlen);

/*
 * Quick grants from the command line (origin "command line").  spec is as
 * in a policy file: a path pattern, an address, or a command prefix
 * ("git push" is split on blanks).
 */
int rules_policy_add_entry(struct rules_policy *p, enum rules_class c,
			   enum rules_action a, const char *spec, char *err,
			   size_t errlen);

/*
 * Verdicts.  path is absolute and canonical.  For RULES_WRITE, a read deny
 * that is at least as specific as the best write match also denies (see
 * README, "Precedence").  Never fails: no match gives the class default.
 */
void rules_check_path(const struct rules_policy *p, enum rules_class c,
		      const char *path, struct rules_verdict *out);
void rules_check_addr(const struct rules_policy *p, const struct rules_addr *a,
		      struct rules_verdict *out);
/*
 * Whether a program may resolve name (any spelling: case and a final dot
 * do not matter; a name that is not one is refused).  Allowed names are
 * answered by proctor, others get "no such name".
 */
void rules_check_name(const struct rules_policy *p, const char *name,
		      struct rules_verdict *out);
/*
 * A connect to a, which proctor answered for the n names (canonical).
 * Name entries decide first, then address entries, except that an
 * address entry that denies or asks always stands and that a name never
 * grants a loopback or link-local address.  *which is the index of the
 * name whose entry decided, or -1.
 */
void rules_check_connect(const struct rules_policy *p,
			 const struct rules_addr *a, const char *const *names,
			 size_t n, struct rules_verdict *out, int *which);
/* True when an address entry naming a's port allows a. */
bool rules_addr_port_allowed(const struct rules_policy *p,
			     const struct rules_addr *a);
/*
 * Addresses no name grants: loopback, link-local (169.254.0.0/16 and
 * fe80::/10, where metadata services live), unspecified, and the
 * metadata addresses outside those (fd00:ec2::254, 100.100.100.200,
 * 168.63.129.16).
 */
bool rules_name_cannot_grant(const struct rules_addr *a);
/*
 * The canonical form of a domain name (lower case, no final dot) into
 * out; -EINVAL when it is not a name of letters, digits, '-' and '_'.
 */
int rules_name_canon(const char *name, char *out, size_t size);

/* exe: resolved path of the program; argv[0] is not used for matching. */
void rules_check_exec(const struct rules_policy *p, const char *exe,
		      const char *const *argv, size_t argc,
		      struct rules_verdict *out);

/*
 * Decodes a struct sockaddr (as copied from the tracee) into a.
 * Returns 0, -EAFNOSUPPORT for a family it does not know, -EINVAL for a
 * malformed address.  Unix paths are copied as given; the caller resolves
 * relative ones.
 */
int rules_addr_decode(const void *sa, size_t len, struct rules_addr *a);

/* Writes a printable form ("127.0.0.1:80", "[::1]:22", "unix:/x",
 * "unix:@name") into buf. */
void rules_addr_format(const struct rules_addr *a, char *buf, size_t len);

/* Reads back what rules_addr_format() wrote: 0 or -EINVAL. */
int rules_addr_parse(const char *text, struct rules_addr *a);

/*
 * Calls fn with every directory or file under which some write entry
 * could grant a write (the literal part before any glob).  Returns 0, or
 * 1 when writes are unbounded (the write default is not deny).
 */
int rules_write_roots(const struct rules_policy *p,
		      void (*fn)(const char *root, void *arg), void *arg);

/*
 * An entry held back for review.  A list entry may be written as an
 * object: {"pattern": ..., "events": N, "why": "...", "review": true}
 * ("events" and "why" are notes for people, as `proctor learn` writes
 * them).  One with "review": true is checked like any other but grants
 * nothing until the user removes the flag; only entries that grant
 * (allow, create) may carry it.  Strings live as long as the policy.
 */
struct rules_review {
	enum rules_class cls;
	enum rules_action action;
	const char *origin;
	const char *where;   /* "files.read.allow[3]" */
	const char *pattern; /* exec words joined by blanks */
	const char *why;     /* may be NULL */
};

/* The entries held back, in the order they were added; sets *out. */
size_t rules_policy_reviews(const struct rules_policy *p,
			    const struct rules_review **out);

/* The policy as one JSON document with every layer merged, for
 * `proctor policy show`.  Returns a malloc'd string or NULL. */
char *rules_policy_dump(const struct rules_policy *p);

const char *rules_action_name(enum rules_action a);
const char *rules_class_name(enum rules_class c);

#endif
