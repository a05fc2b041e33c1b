/* SPDX-License-Identifier: MIT */
/*
 * TLS interception (#8): the per-user CA, leaves minted on demand, the
 * trust bundle served to the program, and the termination of one
 * connection on both sides.  See intercept.h for the contract.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tracer/intercept.h"

#define CA_DAYS	  365
#define LEAF_SECS (24 * 3600)
/* a cached leaf is minted again once it is this old */
#define LEAF_REMINT (12 * 3600)
#define SKEW_SECS   3600

/* Encrypted Client Hello (draft-ietf-tls-esni) and its ESNI forerunner */
#define EXT_ECH	 0xfe0d
#define EXT_ESNI 0xffce

/*
 * Where distributions keep the system's bundle (the first that exists is
 * read): Debian and Ubuntu, Fedora and RHEL, openSUSE, Alpine and others.
 */
static const char *const system_bundles[] = {
	"/etc/ssl/certs/ca-certificates.crt",
	"/etc/pki/tls/certs/ca-bundle.crt",
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
	"/etc/ssl/ca-bundle.pem",
	"/etc/ssl/cert.pem",
};
#define N_BUNDLES (sizeof(system_bundles) / sizeof(system_bundles[0]))
/*
 * Where a program that trusts a CApath directory looks the CA up, as
 * DIR/HASH.N (OpenSSL's by_dir: stat, then open): the system's certs
 * directories, OpenSSL's default one, and those of the bundles.
 */
static const char *const system_dirs[] = {
	"/etc/ssl/certs",
	"/usr/lib/ssl/certs",
};
#define N_DIRS (sizeof(system_dirs) / sizeof(system_dirs[0]) + 1 + N_BUNDLES)

struct leaf {
	char *name;
	X509 *cert;
	time_t made;
	struct leaf *next;
};

struct tracer_ca {
	char **names; /* sorted, unique; "*.x" for wildcards */
	size_t n;
	char key_path[PATH_MAX];
	char cert_path[PATH_MAX];
	EVP_PKEY *key;
	X509 *cert;

	EVP_PKEY *leaf_key; /* one key for every leaf of the run */
	pthread_mutex_t lock;
	struct leaf *leaves;

	char *system; /* the system bundle's text, or "" */
	char *bundle; /* system + the CA */
	size_t bundle_len;
	int bundle_fd;		      /* sealed memfd holding bundle */
	char *bundle_real[N_BUNDLES]; /* canonical names served */

	char hash[9]; /* the subject hash, as CApath names it */
	char *pem;    /* the CA alone */
	size_t pem_len;
	int pem_fd;		 /* sealed memfd holding pem */
	char *dirs_real[N_DIRS]; /* canonical certs directories */

	SSL_CTX *server; /* towards the program */
	SSL_CTX *client; /* towards the server */
};

/* --- names -------------------------------------------------------------- */

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int copy_names(struct tracer_ca *ca, const char *const *names, size_t n)
{
	size_t i, j = 0;

	ca->names = calloc(n ? n : 1, sizeof(*ca->names));
	if (!ca->names)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		/* a name with a comma would break the constraint's text */
		if (!names[i][0] || strpbrk(names[i], ",:; \t\n"))
			return -EINVAL;
		ca->names[i] = strdup(names[i]);
		if (!ca->names[i])
			return -ENOMEM;
	}
	qsort(ca->names, n, sizeof(*ca->names), name_cmp);
	for (i = 0; i < n; i++) {
		if (j && !strcmp(ca->names[j - 1], ca->names[i])) {
			free(ca->names[i]);
			continue;
		}
		ca->names[j++] = ca->names[i];
	}
	ca->n = j;
	return 0;
}

/* The domain a name stands for in the constraint: "*.x" gives "x". */
static const char *constraint_of(const char *name)
{
	return !strncmp(name, "*.", 2) ? name + 2 : name;
}

bool tracer_ca_covers(const struct tracer_ca *ca, const char *name)
{
	size_t i, nl = strlen(name);

	for (i = 0; i < ca->n; i++) {
		const char *d = ca->names[i];

		if (strncmp(d, "*.", 2) == 0) {
			size_t dl = strlen(d + 1); /* ".x" */

			if (nl > dl && !strcasecmp(name + nl - dl, d + 1))
				return true;
		} else if (!strcasecmp(name, d)) {
			return true;
		}
	}
	return false;
}

/* The constraints' exclusions: every IPv4 and IPv6 address. */
#define CA_NO_IPS ",excluded;IP:0.0.0.0/0.0.0.0,excluded;IP:::/::"

/* First 16 hex digits of SHA-256 over the sorted names, one a line. */
static void names_hash(const struct tracer_ca *ca, char out[17])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned int len = 0, i;

	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	/* the constraints' kind: a CA made before addresses were excluded
	 * is not taken again */
	EVP_DigestUpdate(c, CA_NO_IPS, strlen(CA_NO_IPS));
	for (i = 0; i < ca->n; i++) {
		EVP_DigestUpdate(c, ca->names[i], strlen(ca->names[i]));
		EVP_DigestUpdate(c, "\n", 1);
	}
	EVP_DigestFinal_ex(c, md, &len);
	EVP_MD_CTX_free(c);
	for (i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* --- certificates ------------------------------------------------------- */

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok;

	if (!e)
		return -EINVAL;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok ? 0 : -ENOMEM;
}

static int random_serial(X509 *x)
{
	BIGNUM *bn = BN_new();
	int ok = bn && BN_rand(bn, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) &&
		 BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));

	BN_free(bn);
	return ok ? 0 : -ENOMEM;
}

/* Version, serial, validity, subject CN, key: what every cert has. */
static X509 *cert_start(EVP_PKEY *key, const char *cn, long secs)
{
	X509 *x = X509_new();
	X509_NAME *n = x ? X509_get_subject_name(x) : NULL;

	if (!x || !X509_set_version(x, 2) || random_serial(x) < 0 ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -SKEW_SECS) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), secs) ||
	    !X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
					(const unsigned char *)"proctor", -1,
					-1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
					(const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_pubkey(x, key)) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/*
 * "critical,permitted;DNS:a,permitted;DNS:b,excluded;IP:..." for the
 * CA's names.  A permitted DNS subtree says nothing of IP addresses,
 * which a leaf may name instead (RFC 5280: a constraint binds only its
 * own name form): every address is excluded, so that the key, were it
 * stolen, could sign for no address either (CA_NO_IPS).
 */
static char *constraints_text(const struct tracer_ca *ca)
{
	size_t i, len = 16 + sizeof(CA_NO_IPS);
	char *s;

	for (i = 0; i < ca->n; i++)
		len += strlen(ca->names[i]) + 20;
	s = malloc(len);
	if (!s)
		return NULL;
	strcpy(s, "critical");
	for (i = 0; i < ca->n; i++) {
		strcat(s, ",permitted;DNS:");
		strcat(s, constraint_of(ca->names[i]));
	}
	strcat(s, CA_NO_IPS);
	return s;
}

static X509 *make_ca_cert(const struct tracer_ca *ca, EVP_PKEY *key,
			  const char *hash)
{
	char cn[128], *nc = constraints_text(ca);
	X509V3_CTX ctx;
	X509 *x;

	snprintf(cn, sizeof(cn), "proctor interception CA %s", hash);
	x = nc ? cert_start(key, cn, (long)CA_DAYS * 86400) : NULL;
	if (!x)
		goto fail;
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if (add_ext(x, &ctx, NID_basic_constraints,
		    "critical,CA:TRUE,pathlen:0") < 0 ||
	    add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") <
		    0 ||
	    add_ext(x, &ctx, NID_subject_key_identifier, "hash") < 0 ||
	    add_ext(x, &ctx, NID_name_constraints, nc) < 0 ||
	    !X509_sign(x, key, EVP_sha256()))
		goto fail;
	free(nc);
	return x;
fail:
	free(nc);
	X509_free(x);
	return NULL;
}

/* Writes what fn writes into path, atomically, with mode. */
static int write_pem(const char *path, mode_t mode,
		     int (*fn)(FILE *, const void *), const void *arg)
{
	char tmp[PATH_MAX + 32];
	FILE *f;
	int fd, ok;

	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  mode);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		return -ENOMEM;
	}
	ok = fn(f, arg);
	if (fclose(f) != 0 || !ok || rename(tmp, path) < 0) {
		unlink(tmp);
		return -EIO;
	}
	return 0;
}

static int pem_key(FILE *f, const void *key)
{
	return PEM_write_PrivateKey(f, (EVP_PKEY *)key, NULL, NULL, 0, NULL,
				    NULL);
}

static int pem_cert(FILE *f, const void *x)
{
	return PEM_write_X509(f, (X509 *)x);
}

/* The stored CA when it is whole, still valid for a day, and matches. */
static int load_ca(struct tracer_ca *ca)
{
	FILE *kf = fopen(ca->key_path, "re");
	FILE *cf = fopen(ca->cert_path, "re");
	time_t soon = time(NULL) + 86400;

	if (kf)
		ca->key = PEM_read_PrivateKey(kf, NULL, NULL, NULL);
	if (cf)
		ca->cert = PEM_read_X509(cf, NULL, NULL, NULL);
	if (kf)
		fclose(kf);
	if (cf)
		fclose(cf);
	if (ca->key && ca->cert && X509_check_private_key(ca->cert, ca->key) &&
	    X509_cmp_time(X509_get0_notAfter(ca->cert), &soon) > 0)
		return 0;
	EVP_PKEY_free(ca->key);
	X509_free(ca->cert);
	ca->key = NULL;
	ca->cert = NULL;
	return -ENOENT;
}

static int make_ca(struct tracer_ca *ca, const char *hash)
{
	int rc;

	ca->key = EVP_EC_gen("P-256");
	if (!ca->key)
		return -ENOMEM;
	ca->cert = make_ca_cert(ca, ca->key, hash);
	if (!ca->cert)
		return -EINVAL;
	/* the key first: a certificate never stands without its key */
	rc = write_pem(ca->key_path, 0600, pem_key, ca->key);
	if (rc == 0)
		rc = write_pem(ca->cert_path, 0644, pem_cert, ca->cert);
	return rc;
}

static int mkdir_p(const char *dir)
{
	char buf[PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "%s", dir);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* --- leaves ------------------------------------------------------------- */

static X509 *mint(struct tracer_ca *ca, const char *name)
{
	char san[300];
	X509V3_CTX ctx;
	X509 *x;

	snprintf(san, sizeof(san), "DNS:%s", name);
	x = cert_start(ca->leaf_key, name, LEAF_SECS);
	if (!x)
		return NULL;
	X509_set_issuer_name(x, X509_get_subject_name(ca->cert));
	X509V3_set_ctx(&ctx, ca->cert, x, NULL, NULL, 0);
	if (add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
	    add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature") < 0 ||
	    add_ext(x, &ctx, NID_ext_key_usage, "serverAuth") < 0 ||
	    add_ext(x, &ctx, NID_subject_alt_name, san) < 0 ||
	    add_ext(x, &ctx, NID_authority_key_identifier, "keyid") < 0 ||
	    !X509_sign(x, ca->key, EVP_sha256())) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/*
 * The leaf for name, minted once and kept (a new reference, or NULL).
 * Names outside the CA's set get none.
 */
static X509 *leaf_for(struct tracer_ca *ca, const char *name)
{
	time_t now = time(NULL);
	struct leaf *l;
	X509 *x = NULL;

	if (!tracer_ca_covers(ca, name) || strlen(name) > 253)
		return NULL;
	pthread_mutex_lock(&ca->lock);
	for (l = ca->leaves; l; l = l->next)
		if (!strcasecmp(l->name, name))
			break;
	if (l && now - l->made > LEAF_REMINT) {
		X509 *fresh = mint(ca, name);

		if (fresh) {
			X509_free(l->cert);
			l->cert = fresh;
			l->made = now;
		}
	}
	if (!l) {
		l = calloc(1, sizeof(*l));
		if (l && (l->name = strdup(name)) &&
		    (l->cert = mint(ca, name))) {
			l->made = now;
			l->next = ca->leaves;
			ca->leaves = l;
		} else if (l) {
			free(l->name);
			free(l);
			l = NULL;
		}
	}
	if (l && X509_up_ref(l->cert))
		x = l->cert;
	pthread_mutex_unlock(&ca->lock);
	return x;
}

/* --- trust bundle -------------------------------------------------------- */

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	char chunk[8192];
	size_t r;

	if (!f)
		return NULL;
	m = open_memstream(&buf, &len);
	while (m && (r = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, r, m);
	if (m)
		fclose(m);
	fclose(f);
	return buf;
}

static char *cert_pem(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long len;

	if (b && PEM_write_bio_X509(b, x)) {
		len = BIO_get_mem_data(b, &data);
		out = strndup(data, (size_t)len);
	}
	BIO_free(b);
	return out;
}

/* A sealed memfd holding len bytes of data: nobody can change it. */
static int sealed_memfd(const char *name, const char *data, size_t len)
{
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -errno;
	/* read-only to fstat as well, as the stat proctor answers says */
	if (fchmod(fd, 0444) < 0 || write(fd, data, len) != (ssize_t)len ||
	    fcntl(fd, F_ADD_SEALS,
		  F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) <
		    0) {
		int err = errno ? -errno : -EIO;

		close(fd);
		return err;
	}
	return fd;
}

static void add_dir(struct tracer_ca *ca, const char *dir)
{
	char *real = realpath(dir, NULL);
	size_t i;

	for (i = 0; real && i < N_DIRS && ca->dirs_real[i]; i++)
		if (!strcmp(ca->dirs_real[i], real))
			break;
	if (real && i < N_DIRS && !ca->dirs_real[i])
		ca->dirs_real[i] = real;
	else
		free(real);
}

/* The CA for a CApath lookup: its hashed name, its text, the dirs. */
static int make_hashed(struct tracer_ca *ca)
{
	char *slash;
	size_t i;

	snprintf(ca->hash, sizeof(ca->hash), "%08lx",
		 X509_subject_name_hash(ca->cert) & 0xffffffffUL);
	ca->pem = cert_pem(ca->cert);
	if (!ca->pem)
		return -ENOMEM;
	ca->pem_len = strlen(ca->pem);
	ca->pem_fd = sealed_memfd("proctor-ca", ca->pem, ca->pem_len);
	if (ca->pem_fd < 0)
		return ca->pem_fd;
	for (i = 0; i < sizeof(system_dirs) / sizeof(*system_dirs); i++)
		add_dir(ca, system_dirs[i]);
	add_dir(ca, X509_get_default_cert_dir());
	for (i = 0; i < N_BUNDLES; i++) {
		if (!ca->bundle_real[i])
			continue;
		slash = strrchr(ca->bundle_real[i], '/');
		*slash = '\0';
		add_dir(ca,
			slash == ca->bundle_real[i] ? "/" : ca->bundle_real[i]);
		*slash = '/';
	}
	return 0;
}

static int make_bundle(struct tracer_ca *ca)
{
	char *pem = cert_pem(ca->cert);
	size_t i;
	int rc;

	for (i = 0; i < N_BUNDLES && !ca->system; i++)
		ca->system = read_text(system_bundles[i]);
	if (!ca->system)
		ca->system = strdup("");
	if (!pem || !ca->system)
		goto nomem;
	rc = asprintf(&ca->bundle, "%s%s# proctor interception CA (%s)\n%s",
		      ca->system,
		      ca->system[0] &&
				      ca->system[strlen(ca->system) - 1] != '\n'
			      ? "\n"
			      : "",
		      ca->cert_path, pem);
	free(pem);
	if (rc < 0)
		return -ENOMEM;
	ca->bundle_len = (size_t)rc;

	ca->bundle_fd = sealed_memfd("ca-bundle", ca->bundle, ca->bundle_len);
	if (ca->bundle_fd < 0)
		return ca->bundle_fd;
	for (i = 0; i < N_BUNDLES; i++)
		ca->bundle_real[i] = realpath(system_bundles[i], NULL);
	return make_hashed(ca);
nomem:
	free(pem);
	return -ENOMEM;
}

char *tracer_ca_bundle(const struct tracer_ca *ca, size_t *len)
{
	char *out = malloc(ca->bundle_len + 1);

	if (!out)
		return NULL;
	memcpy(out, ca->bundle, ca->bundle_len + 1);
	if (len)
		*len = ca->bundle_len;
	return out;
}

bool tracer_ca_bundle_open(const struct tracer_ca *ca, const char *path,
			   int flags, int *fd)
{
	char link[64];
	size_t i;

	if (!ca || (flags & O_ACCMODE) != O_RDONLY ||
	    flags & (O_CREAT | O_TRUNC | O_DIRECTORY | O_PATH))
		return false;
	for (i = 0; i < N_BUNDLES; i++)
		if (ca->bundle_real[i] && !strcmp(path, ca->bundle_real[i]))
			break;
	if (i == N_BUNDLES)
		return false;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", ca->bundle_fd);
	*fd = open(link, O_RDONLY | O_CLOEXEC | (flags & O_NONBLOCK));
	if (*fd < 0)
		*fd = -errno;
	return true;
}

/* --- the CA by its hashed name ------------------------------------------- */

const char *tracer_ca_hash(const struct tracer_ca *ca)
{
	return ca->hash;
}

const char *tracer_ca_pem(const struct tracer_ca *ca, size_t *len)
{
	*len = ca->pem_len;
	return ca->pem;
}

const char *tracer_ca_system_dir(void)
{
	return X509_get_default_cert_dir();
}

/* The N of HASH.N, or -1 when name is not the CA's hashed name. */
static int hashed_suffix(const struct tracer_ca *ca, const char *name)
{
	if (!ca || strncmp(name, ca->hash, 8) || name[8] != '.' ||
	    name[9] < '0' || name[9] > '9' || name[10])
		return -1;
	return name[9] - '0';
}

bool tracer_ca_hashed_name(const struct tracer_ca *ca, const char *name)
{
	return hashed_suffix(ca, name) >= 0;
}

static bool certs_dir(const struct tracer_ca *ca, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t len, i;

	if (!slash)
		return false;
	len = slash == path ? 1 : (size_t)(slash - path);
	for (i = 0; i < N_DIRS && ca->dirs_real[i]; i++)
		if (strlen(ca->dirs_real[i]) == len &&
		    !strncmp(ca->dirs_real[i], path, len))
			return true;
	return false;
}

/*
 * A lookup tries HASH.0, HASH.1, ... until a stat fails: the CA is the
 * first of those names that is missing, so that the system's own (a
 * hash collision) still load, and the lookup ends after it.  A name
 * that exists, even as a dangling link, is never served.
 */
bool tracer_ca_hashed_serves(const struct tracer_ca *ca, int dirfd,
			     const char *path, const char *name)
{
	int n = hashed_suffix(ca, name);
	char prev[16];
	struct stat st;

	if (n < 0 || !certs_dir(ca, path))
		return false;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 ||
	    errno != ENOENT)
		return false;
	if (n == 0)
		return true;
	snprintf(prev, sizeof(prev), "%s.%d", ca->hash, n - 1);
	return fstatat(dirfd, prev, &st, 0) == 0;
}

int tracer_ca_hashed_stat(const struct tracer_ca *ca, struct stat *st)
{
	if (fstat(ca->pem_fd, st) < 0)
		return -errno;
	st->st_mode = S_IFREG | 0444;
	st->st_nlink = 1;
	return 0;
}

bool tracer_ca_hashed_open(const struct tracer_ca *ca, int dirfd,
			   const char *path, const char *name, int flags,
			   int *fd)
{
	char link[64];

	if (!ca || (flags & O_ACCMODE) != O_RDONLY ||
	    flags & (O_CREAT | O_TRUNC | O_DIRECTORY | O_PATH) ||
	    !tracer_ca_hashed_serves(ca, dirfd, path, name))
		return false;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", ca->pem_fd);
	*fd = open(link, O_RDONLY | O_CLOEXEC | (flags & O_NONBLOCK));
	if (*fd < 0)
		*fd = -errno;
	return true;
}

/* --- TLS contexts -------------------------------------------------------- */

static const unsigned char alpn_h1[] = "\x08http/1.1";

static int alpn_select(SSL *s, const unsigned char **out, unsigned char *outlen,
		       const unsigned char *in, unsigned int inlen, void *arg)
{
	unsigned char *o;

	(void)s;
	(void)arg;
	if (SSL_select_next_proto(&o, outlen, alpn_h1, sizeof(alpn_h1) - 1, in,
				  inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK; /* no h2, whatever it asks */
	*out = o;
	return SSL_TLSEXT_ERR_OK;
}

struct tracer_tls {
	SSL *s[2];
	const char *sni;
	const char *refused; /* why the ClientHello was refused */
};

/* The host_name in a server_name extension's body (RFC 6066 3). */
static bool sni_matches(const unsigned char *p, size_t len, const char *want)
{
	size_t list, nl;

	if (len < 5)
		return false;
	list = (size_t)p[0] << 8 | p[1];
	if (list + 2 != len || p[2] != 0)
		return false;
	nl = (size_t)p[3] << 8 | p[4];
	return nl + 5 <= len && nl == strlen(want) &&
	       !strncasecmp((const char *)p + 5, want, nl);
}

/*
 * Refuses what proctor cannot judge before any key is exchanged: an
 * encrypted inner hello, and a name other than the one the relay checked.
 */
static int hello_check(SSL *s, int *alert, void *arg)
{
	struct tracer_tls *t = SSL_get_app_data(s);
	const unsigned char *p;
	size_t len;

	(void)arg;
	if (SSL_client_hello_get0_ext(s, EXT_ECH, &p, &len) ||
	    SSL_client_hello_get0_ext(s, EXT_ESNI, &p, &len)) {
		t->refused = "Encrypted Client Hello";
	} else if (!SSL_client_hello_get0_ext(s, TLSEXT_TYPE_server_name, &p,
					      &len) ||
		   !sni_matches(p, len, t->sni)) {
		t->refused = "server name differs from the one checked";
	} else {
		return SSL_CLIENT_HELLO_SUCCESS;
	}
	*alert = SSL_AD_HANDSHAKE_FAILURE;
	return SSL_CLIENT_HELLO_ERROR;
}

/*
 * OpenSSL keeps only the extensions it knows or was told of, so the ECH
 * types are registered to be seen at all; one present ends the handshake.
 */
static int ech_seen(SSL *s, unsigned int type, unsigned int context,
		    const unsigned char *in, size_t inlen, X509 *x,
		    size_t chainidx, int *al, void *arg)
{
	struct tracer_tls *t = SSL_get_app_data(s);

	(void)type, (void)context, (void)in, (void)inlen, (void)x;
	(void)chainidx, (void)arg;
	if (t)
		t->refused = "Encrypted Client Hello";
	*al = SSL_AD_HANDSHAKE_FAILURE;
	return 0;
}

static int make_contexts(struct tracer_ca *ca, const char *upstream_ca)
{
	X509_STORE *store;
	size_t i;

	ca->server = SSL_CTX_new(TLS_server_method());
	ca->client = SSL_CTX_new(TLS_client_method());
	if (!ca->server || !ca->client)
		return -ENOMEM;
	SSL_CTX_set_min_proto_version(ca->server, TLS1_2_VERSION);
	SSL_CTX_set_min_proto_version(ca->client, TLS1_2_VERSION);
	/* a non-blocking relay sends what it can and comes back with the
	 * rest, from a buffer it may have moved */
	SSL_CTX_set_mode(ca->server,
			 SSL_MODE_ENABLE_PARTIAL_WRITE |
				 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_mode(ca->client,
			 SSL_MODE_ENABLE_PARTIAL_WRITE |
				 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_alpn_select_cb(ca->server, alpn_select, NULL);
	SSL_CTX_set_client_hello_cb(ca->server, hello_check, NULL);
	if (!SSL_CTX_add_custom_ext(ca->server, EXT_ECH, SSL_EXT_CLIENT_HELLO,
				    NULL, NULL, NULL, ech_seen, NULL) ||
	    !SSL_CTX_add_custom_ext(ca->server, EXT_ESNI, SSL_EXT_CLIENT_HELLO,
				    NULL, NULL, NULL, ech_seen, NULL))
		return -ENOMEM;
	/* no tickets: nothing to resume that proctor did not judge */
	SSL_CTX_set_options(ca->server, SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(ca->server, 0);
	SSL_CTX_set_session_cache_mode(ca->server, SSL_SESS_CACHE_OFF);

	/*
	 * The upstream store is read whole now: the supervisor confines
	 * itself later, and a lazy CApath lookup would then fail.
	 */
	store = SSL_CTX_get_cert_store(ca->client);
	for (i = 0; i < N_BUNDLES; i++)
		if (access(system_bundles[i], R_OK) == 0 &&
		    X509_STORE_load_file(store, system_bundles[i]))
			break;
	ERR_clear_error();
	if (upstream_ca && upstream_ca[0] &&
	    !X509_STORE_load_file(store, upstream_ca))
		return -EINVAL;
	SSL_CTX_set_verify(ca->client, SSL_VERIFY_PEER, NULL);
	return 0;
}

/* --- the CA -------------------------------------------------------------- */

int tracer_ca_open(const char *dir, const char *const *names, size_t n,
		   const char *upstream_ca, struct tracer_ca **out)
{
	struct tracer_ca *ca = calloc(1, sizeof(*ca));
	char hash[17];
	int rc;

	if (!ca)
		return -ENOMEM;
	ca->bundle_fd = -1;
	ca->pem_fd = -1;
	pthread_mutex_init(&ca->lock, NULL);
	rc = copy_names(ca, names, n);
	if (rc == 0 && ca->n == 0)
		rc = -EINVAL; /* a CA constrained to nothing is no CA */
	if (rc < 0)
		goto fail;

	names_hash(ca, hash);
	snprintf(ca->key_path, sizeof(ca->key_path), "%s/ca-%s.key", dir, hash);
	snprintf(ca->cert_path, sizeof(ca->cert_path), "%s/ca-%s.pem", dir,
		 hash);
	rc = mkdir_p(dir);
	if (rc == 0 && load_ca(ca) < 0)
		rc = make_ca(ca, hash);
	if (rc < 0)
		goto fail;

	ca->leaf_key = EVP_EC_gen("P-256");
	rc = ca->leaf_key ? make_bundle(ca) : -ENOMEM;
	if (rc == 0)
		rc = make_contexts(ca, upstream_ca);
	if (rc < 0)
		goto fail;
	*out = ca;
	return 0;
fail:
	tracer_ca_free(ca);
	return rc;
}

void tracer_ca_free(struct tracer_ca *ca)
{
	struct leaf *l, *next;
	size_t i;

	if (!ca)
		return;
	for (l = ca->leaves; l; l = next) {
		next = l->next;
		X509_free(l->cert);
		free(l->name);
		free(l);
	}
	for (i = 0; ca->names && i < ca->n; i++)
		free(ca->names[i]);
	for (i = 0; i < N_BUNDLES; i++)
		free(ca->bundle_real[i]);
	for (i = 0; i < N_DIRS; i++)
		free(ca->dirs_real[i]);
	free(ca->names);
	EVP_PKEY_free(ca->key);
	EVP_PKEY_free(ca->leaf_key);
	X509_free(ca->cert);
	free(ca->system);
	free(ca->bundle);
	if (ca->bundle_fd >= 0)
		close(ca->bundle_fd);
	free(ca->pem);
	if (ca->pem_fd >= 0)
		close(ca->pem_fd);
	SSL_CTX_free(ca->server);
	SSL_CTX_free(ca->client);
	pthread_mutex_destroy(&ca->lock);
	free(ca);
}

const char *tracer_ca_key_path(const struct tracer_ca *ca)
{
	return ca->key_path;
}

const char *tracer_ca_cert_path(const struct tracer_ca *ca)
{
	return ca->cert_path;
}

/* --- one connection ------------------------------------------------------ */

static void ssl_why(char *why, size_t len, const char *what, const char *sni)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "connection closed";

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(why, len, "%s %s: %s", what, sni, buf);
	ERR_clear_error();
}

static int connect_upstream(struct tracer_ca *ca, struct tracer_tls *t,
			    int up_fd, char *why, size_t whylen)
{
	SSL *s = SSL_new(ca->client);
	long v;

	t->s[TRACER_TLS_UPSTREAM] = s;
	if (!s || !SSL_set_fd(s, up_fd) ||
	    !SSL_set_tlsext_host_name(s, t->sni) || !SSL_set1_host(s, t->sni) ||
	    SSL_set_alpn_protos(s, alpn_h1, sizeof(alpn_h1) - 1) != 0) {
		ssl_why(why, whylen, "upstream setup for", t->sni);
		return -ENOMEM;
	}
	if (SSL_connect(s) == 1)
		return 0;
	v = SSL_get_verify_result(s);
	if (v != X509_V_OK) {
		snprintf(why, whylen,
			 "upstream %s: certificate not verified: %s", t->sni,
			 X509_verify_cert_error_string(v));
		ERR_clear_error();
	} else {
		ssl_why(why, whylen, "upstream handshake with", t->sni);
	}
	return -EPROTO;
}

/* Reads the bytes the relay already took first, then the socket. */
static BIO *program_rbio(int fd, const void *hello, size_t len)
{
	BIO *buf = BIO_new(BIO_f_buffer());
	BIO *sock = BIO_new_socket(fd, BIO_NOCLOSE);

	if (!buf || !sock ||
	    (len && !BIO_set_buffer_read_data(buf, (void *)hello, (long)len))) {
		BIO_free(buf);
		BIO_free(sock);
		return NULL;
	}
	return BIO_push(buf, sock);
}

static int accept_program(struct tracer_ca *ca, struct tracer_tls *t, int fd,
			  const void *hello, size_t len, char *why,
			  size_t whylen)
{
	X509 *leaf = leaf_for(ca, t->sni);
	SSL *s = SSL_new(ca->server);
	BIO *rb = program_rbio(fd, hello, len);
	BIO *wb = BIO_new_socket(fd, BIO_NOCLOSE);
	int ok;

	t->s[TRACER_TLS_PROGRAM] = s;
	ok = leaf && s && rb && wb && SSL_use_certificate(s, leaf) &&
	     SSL_use_PrivateKey(s, ca->leaf_key);
	X509_free(leaf);
	if (!ok) {
		BIO_free_all(rb);
		BIO_free(wb);
		ssl_why(why, whylen, "no certificate for", t->sni);
		return -ENOMEM;
	}
	SSL_set_bio(s, rb, wb);
	SSL_set_app_data(s, t);
	if (SSL_accept(s) == 1)
		return 0;
	if (t->refused) {
		snprintf(why, whylen, "TLS to %s refused: %s", t->sni,
			 t->refused);
		ERR_clear_error();
		return -EPERM;
	}
	ssl_why(why, whylen, "program's handshake for", t->sni);
	return -EPROTO;
}

int tracer_tls_open(struct tracer_ca *ca, int prog_fd, int up_fd,
		    const void *hello, size_t hello_len, const char *sni,
		    struct tracer_tls **out, char *why, size_t whylen)
{
	struct tracer_tls *t;
	int rc;

	if (!sni || !sni[0] || !tracer_ca_covers(ca, sni)) {
		snprintf(why, whylen, "TLS to %s is not intercepted",
			 sni && sni[0] ? sni : "a server without a name");
		return -EPERM;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->sni = strdup(sni);
	if (!t->sni) {
		free(t);
		return -ENOMEM;
	}
	/* the server's certificate first: a fake one meets no program */
	rc = connect_upstream(ca, t, up_fd, why, whylen);
	if (rc == 0)
		rc = accept_program(ca, t, prog_fd, hello, hello_len, why,
				    whylen);
	if (rc < 0) {
		tracer_tls_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

/* --- plaintext ----------------------------------------------------------- */

static int ssl_errno(SSL *s, int ret)
{
	switch (SSL_get_error(s, ret)) {
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return -EAGAIN;
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		return errno ? -errno : -ECONNRESET;
	default:
		/* a cut without close_notify too: the caller sees no clean
		 * end, and passes on none */
		ERR_clear_error();
		return -ECONNRESET;
	}
}

ssize_t tracer_tls_read(struct tracer_tls *t, enum tracer_tls_side side,
			void *buf, size_t len)
{
	SSL *s = t->s[side];
	size_t got = 0;
	int ret;

	ERR_clear_error();
	errno = 0;
	ret = SSL_read_ex(s, buf, len, &got);
	if (ret == 1)
		return (ssize_t)got;
	return ssl_errno(s, 0);
}

ssize_t tracer_tls_write(struct tracer_tls *t, enum tracer_tls_side side,
			 const void *buf, size_t len)
{
	SSL *s = t->s[side];
	size_t done = 0, n;
	int rc;

	while (done < len) {
		ERR_clear_error();
		errno = 0;
		if (SSL_write_ex(s, (const char *)buf + done, len - done, &n) !=
		    1)
			break;
		done += n;
	}
	if (done == len || done > 0)
		return (ssize_t)done;
	rc = ssl_errno(s, 0);
	return rc ? rc : -EPIPE;
}

bool tracer_tls_pending(const struct tracer_tls *t, enum tracer_tls_side side)
{
	SSL *s = t->s[side];

	return SSL_pending(s) > 0 || SSL_has_pending(s) ||
	       BIO_pending(SSL_get_rbio(s)) > 0;
}

int tracer_tls_shutdown(struct tracer_tls *t, enum tracer_tls_side side)
{
	ERR_clear_error();
	SSL_shutdown(t->s[side]);
	ERR_clear_error();
	return 0;
}

void tracer_tls_free(struct tracer_tls *t)
{
	if (!t)
		return;
	SSL_free(t->s[TRACER_TLS_PROGRAM]);
	SSL_free(t->s[TRACER_TLS_UPSTREAM]);
	free((char *)t->sni);
	free(t);
}
