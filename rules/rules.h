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
	RULES_ASK, /* the user is asked (tracer/prompt.c) */
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
	/*
	 * The password file's home, where $HOME names another (a program
	 * takes ~ from either): a deny or ask entry of ~ holds there too.
	 */
	const char *owner_home;
};

/*
 * What decided a verdict, for the log and for messages to people.
 * Strings point into the policy and live as long as it does.
 */
struct rules_grant;
struct rules_http;

/* The "where" of the entries that keep proctor's own files out of reach. */
#define RULES_WHERE_OWN "proctor's own files"

struct rules_verdict {
	enum rules_action action;
	const char *origin;  /* "built-in", a file name, "command line" */
	const char *where;   /* JSON path, e.g. "files.write.deny[2]" */
	const char *pattern; /* the entry as written, e.g. "~/.ssh" */
	bool is_default;     /* no entry matched; the class default */
	/* exec: what the command and its descendants get beyond the
	 * policy, when the entry that matched carries a grant */
	const struct rules_grant *grant;
	/* network: the entry's HTTP limits (#8), or NULL: not relayed */
	const struct rules_http *http;
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

/*
 * Whether a policy's JSON says "builtin": false: it stands in place of
 * the built-in policy, whose layer the caller then leaves out (only for
 * a file the user names with --policy; see README, "The policy").
 */
bool rules_json_drops_builtin(const char *json);

/* Policy files are small; a bigger file is a mistake, not a policy. */
#define RULES_MAX_POLICY_FILE (1 << 20)

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
 * --allow-list DIR: a read allow for the directory alone ("beneath":
 * false): its list of names, nothing beneath it.
 */
int rules_policy_add_list(struct rules_policy *p, const char *spec, char *err,
			  size_t errlen);
/* The same for class c (read or write), named flag in verdicts. */
int rules_policy_add_itself(struct rules_policy *p, enum rules_class c,
			    const char *flag, const char *spec, char *err,
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
/*
 * The index of the name whose entry would allow a connect to a, were a
 * an address a name can grant, or -1: why an allowed name's connect was
 * refused (an answer of loopback, of the host's own).
 */
int rules_name_barred(const struct rules_policy *p, const struct rules_addr *a,
		      const char *const *names, size_t n);
/*
 * A connect to name (canonical) and port, whose address is the business
 * of a proxy proctor does not run: name entries, else "*" or the default.
 */
void rules_check_host(const struct rules_policy *p, const char *name,
		      uint16_t port, struct rules_verdict *out);
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

/*
 * The most words an exec entry names, the program included (grants'
 * policies too): an argv cut before that many whole words cannot be
 * judged against the entries.
 */
size_t rules_exec_words_most(const struct rules_policy *p);
/* exe: resolved path of the program; argv[0] is not used for matching. */
void rules_check_exec(const struct rules_policy *p, const char *exe,
		      const char *const *argv, size_t argc,
		      struct rules_verdict *out);

/* IPv4 in its IPv4-mapped form (::ffff:a.b.c.d), as rules keep it. */
bool rules_ip_is_v4(const uint8_t ip[16]);
void rules_ip_map_v4(uint8_t ip[16], const void *v4);

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
 * could grant a write (the literal part before any glob); create: the
 * entry is a create entry, which makes no symlink, FIFO or socket
 * (tracer_judge_kind).  Returns 0, or 1 when writes are unbounded (the
 * write default is not deny).
 */
int rules_write_roots(const struct rules_policy *p,
		      void (*fn)(const char *root, bool create, void *arg),
		      void *arg);

/*
 * Calls fn with every path a write entry (not create) names exactly
 * whose parent may get the right to remove names at the floor: removing
 * a path is a write to it, which the kernel asks of the directory
 * holding it.  Not a workspace or TMPDIR, nor a path whose parent is /,
 * a top-level directory, ~ or above ~.
 */
void rules_remove_roots(const struct rules_policy *p,
			void (*fn)(const char *root, void *arg), void *arg);

/*
 * Reads in the kernel: NULL when every files.read entry names literal
 * paths and allows or denies, and no command's grant widens reads (the
 * kernel can then hold the read rules); otherwise the "where" of the
 * first entry that stops it.  rules_read_points calls fn with each path
 * a files.read entry names, and whether it names the object alone.
 */
const char *rules_reads_static(const struct rules_policy *p);
void rules_read_points(const struct rules_policy *p,
		       void (*fn)(const char *path, bool itself, void *arg),
		       void *arg);

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

/*
 * Length of the valid UTF-8 sequence at s (RFC 3629: no overlong forms,
 * no surrogates, nothing past U+10FFFF), or 0.
 */
size_t rules_utf8_len(const unsigned char *s);

const char *rules_action_name(enum rules_action a);
const char *rules_class_name(enum rules_class c);
/* "read" gives RULES_READ; -EINVAL for a name it does not know. */
int rules_class_parse(const char *name, enum rules_class *out);

/* --- prompts (#6) -------------------------------------------------------- */

/*
 * The policy's "prompt" settings, merged over its layers: how long a
 * question waits before the default answer (deny) applies, and what an
 * ask rule decides when there is nobody to ask.
 */
struct rules_prompt {
	int timeout; /* seconds; 0: wait for the answer */
	const char *timeout_origin;
	enum rules_action unattended; /* RULES_ALLOW or RULES_DENY */
	const char *unattended_origin;
};

void rules_prompt_settings(const struct rules_policy *p,
			   struct rules_prompt *out);

/*
 * A saved answer: one line of the user's answers file.  object is the
 * canonical path, the address as rules_addr_format writes it, or the
 * program's path; argv is the whole command (exec only).  An answer
 * names exactly its object: nothing beneath a path, no more arguments.
 */
struct rules_answer {
	enum rules_class cls;
	enum rules_action action; /* RULES_ALLOW or RULES_DENY */
	const char *object;
	const char *const *argv;
	size_t argc;
	/* for people; may be NULL */
	const char *time, *program, *by, *workspace;
	void *priv; /* what rules_answer_parse allocated */
};

/*
 * Parses one line of an answers file into a (release with
 * rules_answer_free).  On error returns -EINVAL with the reason in err.
 */
int rules_answer_parse(const char *line, struct rules_answer *a, char *err,
		       size_t errlen);
void rules_answer_free(struct rules_answer *a);
/* The answer as one line of JSON, without the newline; malloc'd. */
char *rules_answer_format(const struct rules_answer *a);

/*
 * Adds every line of an answers file (text) as a layer named origin; its
 * entries are "answers:LINE".  An answer wins over an equally specific
 * entry of another layer, as the command line does.  On error returns
 * -EINVAL with "ORIGIN: line N: what was expected" in err.
 */
int rules_policy_add_answers(struct rules_policy *p, const char *text,
			     const char *origin, char *err, size_t errlen);

/*
 * Denies writing path (proctor's own files), and reading it unless
 * write_only, in the policy and in every grant it holds, so that no
 * grant reaches them.  Call it after the last layer.
 */
int rules_policy_add_protected(struct rules_policy *p, const char *path,
			       bool write_only, char *err, size_t errlen);
/* Something protected lies beneath dir (moving dir would move it). */
bool rules_protected_beneath(const struct rules_policy *p, const char *dir,
			     struct rules_verdict *v);
/*
 * Whether a write or read entry that denies or asks names, with a
 * literal path, something strictly beneath dir for which there(path)
 * holds (it exists and the run did not make it): moving dir (to to, or
 * NULL: anywhere) would move it out of its rule's reach.  Fills v with
 * that entry.
 */
bool rules_denied_beneath(const struct rules_policy *p, const char *dir,
			  const char *to,
			  bool (*there)(const char *path, void *arg), void *arg,
			  struct rules_verdict *v);

/* --- grants: escalation for a command's process subtree (#6) ------------ */

/* The grant's own policy: deny by default, allow what it names. */
const struct rules_policy *rules_grant_policy(const struct rules_grant *g);
bool rules_grant_full(const struct rules_grant *g);
/* Where the grant is written ("exec.ask[0].grant") and in which layer. */
const char *rules_grant_where(const struct rules_grant *g);
const char *rules_grant_origin(const struct rules_grant *g);
/* "full access", or "write ~/.cache/x; network 10.0.0.1:443" */
void rules_grant_describe(const struct rules_grant *g, char *buf, size_t len);
/*
 * Calls fn for each exec entry of p that carries a grant and names its
 * program by a bare name (any program of that name gets the grant);
 * returns how many.
 */
/*
 * Calls fn for each allow entry "*.SUFFIX" whose suffix is a public one
 * ("*.com", "*.co.uk"): every site under it, anyone's.  Returns how many.
 */
size_t rules_policy_suffix_wildcards(const struct rules_policy *p,
				     void (*fn)(const char *where,
						const char *pattern, void *arg),
				     void *arg);
size_t rules_policy_bare_grants(const struct rules_policy *p,
				void (*fn)(const char *where,
					   const char *pattern, void *arg),
				void *arg);

/* --- HTTP limits of domain entries (#8) -------------------------------- */

/*
 * A network allow entry for a domain written as an object may carry
 *   "methods": ["GET", "HEAD", "OPTIONS"]   the only methods allowed
 *   "wire_name": "match"                    the name in the TLS
 *       ClientHello (SNI) or the HTTP Host header must be the name the
 *       address was resolved for ("any", the default: any name the
 *       policy allows for that address)
 * Connections it decides are relayed by proctor (tracer/relay.c).
 */
enum rules_http_method {
	RULES_HTTP_GET = 1 << 0,
	RULES_HTTP_HEAD = 1 << 1,
	RULES_HTTP_OPTIONS = 1 << 2,
	RULES_HTTP_POST = 1 << 3,
	RULES_HTTP_PUT = 1 << 4,
	RULES_HTTP_DELETE = 1 << 5,
	RULES_HTTP_PATCH = 1 << 6,
	RULES_HTTP_TRACE = 1 << 7,
	RULES_HTTP_CONNECT = 1 << 8,
};

struct rules_http {
	unsigned int methods; /* rules_http_method bits; 0: any method */
	bool wire_match;      /* "wire_name": "match" */
	bool has_port;	      /* the entry names a port */
	uint16_t port;
};

/*
 * A streaming parser of HTTP/1.x requests, as a client sends them: fed
 * bytes in order, it stops after each request head so that the caller
 * judges the request before any byte of it goes on, then skips the body
 * (Content-Length or chunked) to find the next request (keep-alive,
 * pipelining).  Pure: no descriptors, so a TLS transport can feed it
 * the plaintext.  What it cannot delimit for certain is an error, never
 * a guess: a smuggled request must not pass unjudged.
 */
#define RULES_HTTP_HEAD_MAX 16384

enum rules_http_event {
	RULES_HTTP_MORE,    /* all bytes taken; no new request head */
	RULES_HTTP_REQUEST, /* a head ends at *used: judge it */
	RULES_HTTP_BAD,	    /* not HTTP/1.x proctor can delimit: p->error */
};

enum rules_http_target {
	RULES_HTTP_ORIGIN,    /* "/path": to a server */
	RULES_HTTP_ABSOLUTE,  /* "http://host:port/path": to a proxy */
	RULES_HTTP_AUTHORITY, /* "host:port" of CONNECT: a tunnel */
};

struct rules_http_req {
	char method[16];
	unsigned int method_bit; /* 0: a method proctor does not know */
	char host[256];		 /* canonical, port dropped; "" if none */
	char path[256];		 /* the target, cut short, printable */
	bool body;		 /* a Content-Length over 0, or chunked */

	/* a request to a proxy (parser's proxy set): where it goes */
	enum rules_http_target target;
	char to_host[256]; /* canonical name, or an IP address literal */
	bool to_ip;	   /* to_host is an IP address */
	uint16_t to_port;
	size_t prefix_len; /* "http://host:port" in the request line */
	bool no_host;	   /* absolute, without Host: the proxy adds one */
	/*
	 * The head's bytes, request line to empty line: it ends where the
	 * feed that found it stopped, and starts that much before.
	 */
	size_t head_size;
};

struct rules_http_parser {
	int state;
	char head[RULES_HTTP_HEAD_MAX];
	size_t head_len;
	uint64_t left; /* body or chunk bytes still to skip */
	char line[80]; /* a chunk size line, a trailer */
	size_t line_len;
	struct rules_http_req req;
	const char *error;
	/*
	 * Requests to a proxy (set after rules_http_init): targets must be
	 * absolute ("http://host/path"), and CONNECT too when tunnel is set.
	 * An absolute request's Host header names its target's host.
	 */
	bool proxy, tunnel;
};

void rules_http_init(struct rules_http_parser *p);
/* Takes bytes from buf (len); *used says how many it took. */
enum rules_http_event rules_http_feed(struct rules_http_parser *p,
				      const uint8_t *buf, size_t len,
				      size_t *used);

/*
 * A TLS ClientHello at the start of a stream, possibly over several
 * records.  Returns 0 when whole (out filled), -EAGAIN when more bytes
 * are needed, -EINVAL when it is not one (out->error says why).
 */
struct rules_tls_hello {
	char sni[256]; /* canonical; "" when none */
	bool ech;      /* Encrypted Client Hello (extension 0xfe0d) */
	size_t len;    /* the bytes of the records that hold it */
	const char *error;
};

int rules_tls_hello(const uint8_t *buf, size_t len,
		    struct rules_tls_hello *out);

/* Whether some network entry carries HTTP limits: a relay is needed. */
bool rules_policy_relays(const struct rules_policy *p);
/*
 * Calls fn with each domain name (no wildcard) whose allow entry, the
 * policy's or a grant's, carries HTTP limits.  Returns how many.
 */
size_t rules_limited_names(const struct rules_policy *p,
			   void (*fn)(const char *name, void *arg), void *arg);

/* The bit of a method token ("GET"), or 0 for one proctor does not know. */
unsigned int rules_http_method(const char *tok, size_t len);

/*
 * Whether TLS interception is on for the policy's runs: without it,
 * method limits on HTTPS cannot be judged.  Set from the policy's
 * "intercept" and from --intercept-tls (tools/proctor.c).
 */
void rules_policy_set_intercept(struct rules_policy *p, bool on);
bool rules_policy_intercept(const struct rules_policy *p);

/*
 * With interception on, calls fn with each domain whose TLS is
 * decrypted: allow entries for a domain ("name", or "*.name" for a
 * wildcard) with "methods", on any port, the policy's and its grants'.
 * Returns how many (names may repeat).
 */
size_t rules_intercept_names(const struct rules_policy *p,
			     void (*fn)(const char *name, void *arg),
			     void *arg);
/* Whether TLS under the entry whose limits are h is decrypted. */
bool rules_http_intercepted(const struct rules_policy *p,
			    const struct rules_http *h);

/*
 * Calls fn for each entry whose method limits cannot be enforced: one
 * that may meet TLS (any port but 80) while interception is off.
 * Returns how many.
 */
size_t rules_http_unenforceable(const struct rules_policy *p,
				void (*fn)(const char *origin,
					   const char *where,
					   const char *pattern, void *arg),
				void *arg);

#endif
