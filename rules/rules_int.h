/* SPDX-License-Identifier: MIT */
/*
 * rules internals, shared by the files of rules/ and by nothing else.
 *
 * A policy is one list of entries per class plus a default per class.
 * Every entry is compiled once, when its layer is added, so a check only
 * compares: it never allocates and never fails.
 */
#ifndef PROCTOR_RULES_INT_H
#define PROCTOR_RULES_INT_H

#include <limits.h>

#include "rules/rules.h"

/* Specificity of "no entry matched": below every entry's. */
#define RULES_SPEC_DEFAULT (-1)

#define RULES_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum rules_comp_kind {
	RULES_COMP_LIT,	 /* matched with strcmp */
	RULES_COMP_GLOB, /* matched with fnmatch: * ? [...] */
	RULES_COMP_ANY,	 /* "**": zero or more whole components */
};

struct rules_comp {
	const char *s;
	enum rules_comp_kind kind;
};

/* A path pattern after expansion of ~ and $VARS and normalisation. */
struct rules_glob {
	char *text; /* "/w/ws/.git/hooks", for dumps */
	char *buf;  /* the components, NUL-separated */
	struct rules_comp *comp;
	size_t ncomp;
	int spec;
};

/* A canonical path cut into components once per check. */
struct rules_pathv {
	char buf[PATH_MAX];
	const char *comp[PATH_MAX / 2];
	size_t n;
};

enum rules_entry_kind {
	RULES_ENTRY_PATH, /* files, and unix: paths for network */
	RULES_ENTRY_IP,
	RULES_ENTRY_ABSTRACT, /* unix:@name */
	RULES_ENTRY_EXEC,
	RULES_ENTRY_HOST, /* a domain name, or "*." and one */
};

struct rules_entry {
	enum rules_entry_kind kind;
	enum rules_action action;
	const char *origin; /* interned in the policy */
	char *where;	    /* "files.read.deny[3]" */
	char *pattern;	    /* as written; exec words joined by blanks */

	/* PATH; EXEC whose first word has a '/'.  $WORKSPACE gives one
	 * glob per workspace, possibly none. */
	struct rules_glob *globs;
	size_t nglobs;

	/* ABSTRACT: the name glob.  EXEC: the base name glob, or NULL. */
	char *name;

	/* EXEC: every word as written; words[0] names the program. */
	char **words;
	size_t nwords;
	bool from_array; /* written as a JSON array (for dumps) */

	/* A saved answer: names exactly its object, and wins ties like
	 * the command line (answer.c). */
	bool answer;
	/* PATH: "beneath": false, the object itself (a directory's
	 * entries, not what lies beneath them) */
	bool itself;
	/* EXEC: what the command's subtree gets beyond the policy. */
	struct rules_grant *grant;

	/* HOST: name is the canonical name; wild for "*.NAME"; prefix
	 * counts its labels; port as for IP. */
	bool wild;
	/* HOST in an allow list: its HTTP limits (#8), if written */
	struct rules_http http;
	bool has_http;

	/* IP: ip[] in IPv4-mapped form for IPv4, prefix over 128 bits. */
	uint8_t ip[16];
	unsigned int prefix;
	uint16_t port;
	bool has_port;
};

struct rules_list {
	struct rules_entry *v;
	size_t n, cap;
	enum rules_action def;
	const char *def_origin;
};

struct rules_policy {
	char *home;
	char *owner_home; /* rules_vars' */
	char *tmpdir;
	char **workspaces;
	size_t n_workspaces;

	struct rules_list cls[RULES_NCLASS];
	struct rules_prompt prompt;
	bool intercept;		      /* TLS interception on (#8) */
	const char *intercept_origin; /* the layer that set it, or NULL */

	char **origins; /* layer names, shared by their entries */
	size_t n_origins;

	/* entries written with "review": true: checked, never matched */
	struct rules_review *reviews;
	size_t n_reviews, cap_reviews;
};

/*
 * An exec entry's grant: a policy of its own (deny by default, or allow
 * everything when full) with the same variables as the one holding it.
 */
struct rules_grant {
	struct rules_policy *p;
	bool full;
	char *where; /* "exec.ask[0].grant" */
	const char *origin;
	char *text; /* for prompts: "write ~/x; network 10.0.0.1" */
};

/* What a pattern may refer to while its layer is being added. */
struct rules_env {
	const struct rules_policy *p;
	const char *base_dir;
};

/* path.c */
int rules_glob_compile(struct rules_entry *e, const char *pat,
		       const struct rules_env *env, char *msg, size_t len);
void rules_glob_free(struct rules_glob *g);
int rules_pathv_split(struct rules_pathv *pv, const char *path);
bool rules_glob_match(const struct rules_glob *g, const struct rules_pathv *pv,
		      bool beneath);
int rules_path_entry_match(const struct rules_entry *e,
			   const struct rules_pathv *pv, bool beneath);
/* A path taken as it is: no variables, every component literal. */
/* For a deny or ask: the globs again where links in them lead. */
int rules_glob_add_resolved(struct rules_entry *e, char *msg, size_t len);
/* For a deny or ask of ~ or $HOME: a glob in the owner's home too. */
int rules_glob_add_home(struct rules_entry *e, const char *pat,
			const char *owner_home, char *msg, size_t len);
int rules_glob_literal(struct rules_entry *e, const char *path, char *msg,
		       size_t len);
/* Whether JSON text holds an escaped NUL, which cJSON ends strings at. */
bool rules_json_has_nul(const char *json);

/* http.c: each (true when it counts) over the network entries of p and
 * of its commands' grants; how many counted. */
size_t rules_each_network_entry(const struct rules_policy *p,
				bool (*each)(const struct rules_entry *e,
					     void *arg),
				void *arg);
/* An absolute path meant as it is, normalised: proctor's own files. */
int rules_glob_compile_literal(struct rules_entry *e, const char *path,
			       char *msg, size_t len);
int rules_name_spec(const char *glob);

/* addr.c */
int rules_addr_entry(struct rules_entry *e, const char *spec,
		     const struct rules_env *env, char *msg, size_t len);
int rules_addr_entry_match(const struct rules_entry *e,
			   const struct rules_addr *a,
			   const struct rules_pathv *pv);

/* host.c */
int rules_host_entry(struct rules_entry *e, const char *spec, char *msg,
		     size_t len);

/* match.c: the best entry so far of one check */
struct rules_best {
	const struct rules_entry *e;
	int spec;
};

void rules_consider(struct rules_best *b, const struct rules_entry *e,
		    int spec);
void rules_decide(const struct rules_policy *p, enum rules_class c,
		  const struct rules_best *b, struct rules_verdict *out);
void rules_refuse(struct rules_verdict *out, const char *why);

/* exec.c */
int rules_exec_entry(struct rules_entry *e, const char *const *words, size_t n,
		     const struct rules_env *env, char *msg, size_t len);
int rules_exec_split(const char *spec, char ***words, size_t *n);
int rules_exec_entry_literal(struct rules_entry *e, const char *const *words,
			     size_t n, char *msg, size_t len);
int rules_exec_entry_match(const struct rules_entry *e, const char *exe,
			   const struct rules_pathv *pv,
			   const char *const *argv, size_t argc);

/* policy.c */
void rules_entry_free(struct rules_entry *e);
void rules_grant_free(struct rules_grant *g);
/* Interns s among the policy's layer names; NULL without memory. */
const char *rules_intern(struct rules_policy *p, const char *s);
/* Appends a copy of e to the class's list; 0 or -ENOMEM. */
int rules_list_append(struct rules_list *list, const struct rules_entry *e);
extern const char *const rules_class_where[RULES_NCLASS];

#endif
