/* SPDX-License-Identifier: MIT */
/*
 * TLS interception (#8): proctor's per-user CA, the leaves it mints, and
 * the termination of one intercepted connection, so that the relay can
 * judge HTTP methods on the plaintext of an HTTPS connection.
 *
 * The CA is an EC P-256 key with a self-signed certificate whose Name
 * Constraints permit only the intercepted domains (RFC 5280 4.2.1.10: a
 * DNS constraint covers the name and every name below it).  It lives in
 * DIR/ca-HASH.key (mode 0600) and DIR/ca-HASH.pem, HASH naming the sorted
 * set of domains, so a new set gets a new CA.  DIR is under proctor's
 * config dir, which the sandbox can neither read nor write.
 *
 * Functions return 0 or -errno unless their comment says otherwise.
 */
#ifndef PROCTOR_TRACER_INTERCEPT_H
#define PROCTOR_TRACER_INTERCEPT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct tracer_ca;

/*
 * Loads the CA for the n names ("host.example" or "*.example"; canonical,
 * as rules_name_canon writes them) from dir, or makes one there.  Also
 * prepares the upstream side: the system trust store (read now, before
 * the supervisor confines itself) plus upstream_ca (a PEM file, or NULL)
 * for servers whose certificates a test CA signed.
 */
int tracer_ca_open(const char *dir, const char *const *names, size_t n,
		   const char *upstream_ca, struct tracer_ca **out);
void tracer_ca_free(struct tracer_ca *ca);

/* The file names of the CA's key and certificate (for messages). */
const char *tracer_ca_key_path(const struct tracer_ca *ca);
const char *tracer_ca_cert_path(const struct tracer_ca *ca);

/* True when name (canonical) is one the CA may mint a leaf for. */
bool tracer_ca_covers(const struct tracer_ca *ca, const char *name);

/*
 * The system bundle with the CA appended, as PEM text (malloc'd, *len
 * bytes).  NULL with errno set on failure.
 */
char *tracer_ca_bundle(const struct tracer_ca *ca, size_t *len);

/*
 * The same bundle in a sealed memfd, for a program that opens path
 * (canonical) read-only when path is one of the system's bundles:
 * returns true and sets *fd (a new descriptor, or -errno).  False when
 * path is not a bundle this serves.
 */
bool tracer_ca_bundle_open(const struct tracer_ca *ca, const char *path,
			   int flags, int *fd);

/*
 * The CA under the name a CApath lookup gives it (OpenSSL's by_dir:
 * DIR/HASH.N, stat first, then open).  HASH is the CA's subject hash
 * (X509_subject_name_hash, "%08lx"); the CA alone as PEM text (*len
 * bytes, the CA's own memory); OpenSSL's default certs directory.
 */
const char *tracer_ca_hash(const struct tracer_ca *ca);
const char *tracer_ca_pem(const struct tracer_ca *ca, size_t *len);
const char *tracer_ca_system_dir(void);

/* Whether name, a last component, reads HASH.D: cheap, for each stat. */
bool tracer_ca_hashed_name(const struct tracer_ca *ca, const char *name);
/*
 * Whether proctor serves the CA as name in the directory dirfd, path
 * being the canonical path of name there: a certs directory (the
 * system's, OpenSSL's default, or a bundle's), name HASH.N missing (not
 * even a dangling link), and HASH.N-1 found unless N is 0, so that a
 * lookup ends after it.
 */
bool tracer_ca_hashed_serves(const struct tracer_ca *ca, int dirfd,
			     const char *path, const char *name);
/* What stat says of the name served: a read-only file of the PEM's size. */
struct stat;
int tracer_ca_hashed_stat(const struct tracer_ca *ca, struct stat *st);
/*
 * As tracer_ca_bundle_open, for the name served: the CA alone in a
 * sealed memfd.  False when it is not served (or not opened read-only).
 */
bool tracer_ca_hashed_open(const struct tracer_ca *ca, int dirfd,
			   const char *path, const char *name, int flags,
			   int *fd);

/* --- one intercepted connection ----------------------------------------- */

enum tracer_tls_side {
	TRACER_TLS_PROGRAM,  /* the program's socket: we are its server */
	TRACER_TLS_UPSTREAM, /* the real server: we are its client */
};

struct tracer_tls;

/*
 * Terminates TLS between the program and the server it connected to.
 * prog_fd and up_fd are connected stream sockets (the upstream one to
 * the original destination), blocking during this call, which waits for
 * both handshakes (the caller sets a timeout); blocking or not after it.
 * The structure takes neither (the caller closes them after
 * tracer_tls_free).  hello is
 * what the caller already read from prog_fd (the ClientHello, for its
 * SNI check), hello_len bytes of it; sni is the server name it named.
 *
 * In order: the upstream handshake naming sni, verified against the
 * system store (and upstream_ca); then the program's handshake, answered
 * with a leaf for sni signed by the CA.  Both sides offer only ALPN
 * http/1.1, so HTTP/2 is never spoken.  A ClientHello carrying Encrypted
 * Client Hello, naming another name, or naming none is refused.
 *
 * Returns 0 and *out, or -EPERM (refused: not ours to intercept, or
 * ECH), -EPROTO (a handshake failed; upstream verification failures
 * included) with why filled in for the log.  On failure nothing of the
 * program's request has reached the server.
 */
int tracer_tls_open(struct tracer_ca *ca, int prog_fd, int up_fd,
		    const void *hello, size_t hello_len, const char *sni,
		    struct tracer_tls **out, char *why, size_t whylen);

/*
 * Plaintext from a side: a count, 0 at its end, -EAGAIN when the socket
 * is non-blocking and nothing is there, -EPROTO or -errno on error.
 */
ssize_t tracer_tls_read(struct tracer_tls *t, enum tracer_tls_side side,
			void *buf, size_t len);

/*
 * Writes buf to a side: all of it on a blocking socket; on a
 * non-blocking one what it could (call again with the rest, from the
 * same or a moved buffer), -EAGAIN when nothing; -errno on error.
 */
ssize_t tracer_tls_write(struct tracer_tls *t, enum tracer_tls_side side,
			 const void *buf, size_t len);

/*
 * Whether plaintext is already decrypted and waiting on a side: poll()
 * on the socket would not see it.
 */
bool tracer_tls_pending(const struct tracer_tls *t, enum tracer_tls_side side);

/* Sends close_notify to a side (its end of stream); returns 0. */
int tracer_tls_shutdown(struct tracer_tls *t, enum tracer_tls_side side);

void tracer_tls_free(struct tracer_tls *t);

#endif
