/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for TLS interception (tracer/intercept.c): the CA that
 * proctor makes and keeps, its name constraints, the leaves it mints,
 * and whole handshakes over socket pairs: a program (an OpenSSL client
 * that trusts only the served bundle) through the interceptor to a
 * server with a certificate this test makes.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "rules/rules.h"
#include "tracer/intercept.h"
#include "tracer/tracer.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const char *const names[] = { "api.example.com", "*.example.org" };
static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/pt-intercept-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void rm_rf(const char *d)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	ck_assert_int_eq(system(cmd), 0);
}

static void teardown(void)
{
	rm_rf(dir);
}

static struct tracer_ca *open_ca(const char *upstream)
{
	struct tracer_ca *ca = NULL;
	char sub[128];

	snprintf(sub, sizeof(sub), "%s/proctor/ca", dir);
	ck_assert_int_eq(tracer_ca_open(sub, names, N(names), upstream, &ca),
			 0);
	return ca;
}

static X509 *read_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x;

	ck_assert_ptr_nonnull(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(x);
	return x;
}

/* ---- the CA ----------------------------------------------------------- */

START_TEST(test_ca_files)
{
	struct tracer_ca *ca = open_ca(NULL), *again, *other;
	const char *one[] = { "api.example.com" };
	char key[4096], sub[128];
	struct stat st;
	X509 *a, *b;

	ck_assert_int_eq(stat(tracer_ca_key_path(ca), &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	snprintf(sub, sizeof(sub), "%s/proctor/ca", dir);
	ck_assert_int_eq(stat(sub, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);

	/* the same set, in another order: the same CA, read back */
	snprintf(key, sizeof(key), "%s", tracer_ca_key_path(ca));
	ck_assert_int_eq(tracer_ca_open(sub,
					(const char *[]){ "*.example.org",
							  "api.example.com",
							  "api.example.com" },
					3, NULL, &again),
			 0);
	ck_assert_str_eq(tracer_ca_key_path(again), key);
	a = read_cert(tracer_ca_cert_path(ca));
	b = read_cert(tracer_ca_cert_path(again));
	ck_assert_int_eq(X509_cmp(a, b), 0);

	/* another set: another CA */
	ck_assert_int_eq(tracer_ca_open(sub, one, 1, NULL, &other), 0);
	ck_assert_str_ne(tracer_ca_key_path(other), key);

	tracer_ca_free(other);
	X509_free(a);
	X509_free(b);
	tracer_ca_free(ca);
	tracer_ca_free(again);
}
END_TEST

START_TEST(test_ca_empty_refused)
{
	struct tracer_ca *ca = NULL;

	ck_assert_int_eq(tracer_ca_open(dir, NULL, 0, NULL, &ca), -EINVAL);
	ck_assert_int_eq(tracer_ca_open(dir, (const char *[]){ "a,b" }, 1, NULL,
					&ca),
			 -EINVAL);
}
END_TEST

START_TEST(test_ca_constraints)
{
	struct tracer_ca *ca = open_ca(NULL);
	X509 *x = read_cert(tracer_ca_cert_path(ca));
	int crit = -1, i;
	NAME_CONSTRAINTS *nc =
		X509_get_ext_d2i(x, NID_name_constraints, &crit, NULL);
	BASIC_CONSTRAINTS *bc =
		X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL);
	EVP_PKEY *pk = X509_get0_pubkey(x);
	bool seen[2] = { false, false };

	ck_assert_ptr_nonnull(nc);
	ck_assert_int_eq(crit, 1);
	/* every address excluded: a DNS constraint binds no IP leaf */
	ck_assert_int_eq(sk_GENERAL_SUBTREE_num(nc->excludedSubtrees), 2);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(sk_GENERAL_SUBTREE_value(nc->excludedSubtrees,
							  i)
					 ->base->type,
				 GEN_IPADD);
	ck_assert_int_eq(sk_GENERAL_SUBTREE_num(nc->permittedSubtrees), 2);
	for (i = 0; i < 2; i++) {
		GENERAL_SUBTREE *t =
			sk_GENERAL_SUBTREE_value(nc->permittedSubtrees, i);
		const char *s;

		ck_assert_int_eq(t->base->type, GEN_DNS);
		s = (const char *)ASN1_STRING_get0_data(t->base->d.dNSName);
		if (!strcmp(s, "api.example.com"))
			seen[0] = true;
		if (!strcmp(s, "example.org"))
			seen[1] = true;
	}
	ck_assert(seen[0] && seen[1]);
	ck_assert(bc && bc->ca);
	ck_assert_int_eq(EVP_PKEY_get_base_id(pk), EVP_PKEY_EC);
	ck_assert_int_eq(EVP_PKEY_get_bits(pk), 256);
	ck_assert_int_eq(X509_check_issued(x, x), X509_V_OK);

	NAME_CONSTRAINTS_free(nc);
	BASIC_CONSTRAINTS_free(bc);
	X509_free(x);
	tracer_ca_free(ca);
}
END_TEST

static const struct {
	const char *name;
	bool covered;
} covers[] = {
	{ "api.example.com", true },	{ "API.Example.com", true },
	{ "x.api.example.com", false }, { "example.com", false },
	{ "www.example.org", true },	{ "a.b.example.org", true },
	{ "example.org", false },	{ "badexample.org", false },
	{ "example.org.evil", false },
};

START_TEST(test_covers)
{
	struct tracer_ca *ca = open_ca(NULL);

	ck_assert_msg(tracer_ca_covers(ca, covers[_i].name) ==
			      covers[_i].covered,
		      "%s", covers[_i].name);
	tracer_ca_free(ca);
}
END_TEST

/* ---- the bundle ---------------------------------------------------------- */

/* A store holding every certificate of PEM text. */
static X509_STORE *store_of(const char *pem, size_t len)
{
	X509_STORE *st = X509_STORE_new();
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	STACK_OF(X509_INFO) *infos =
		PEM_X509_INFO_read_bio(b, NULL, NULL, NULL);
	int i;

	ck_assert_ptr_nonnull(infos);
	for (i = 0; i < sk_X509_INFO_num(infos); i++) {
		X509_INFO *in = sk_X509_INFO_value(infos, i);

		if (in->x509)
			X509_STORE_add_cert(st, in->x509);
	}
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	BIO_free(b);
	return st;
}

START_TEST(test_bundle)
{
	struct tracer_ca *ca = open_ca(NULL);
	size_t len = 0;
	char *b = tracer_ca_bundle(ca, &len);
	int fd = -1;

	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(strlen(b), len);
	ck_assert_ptr_nonnull(strstr(b, "proctor interception CA"));
	ck_assert_ptr_nonnull(strstr(b, "-----BEGIN CERTIFICATE-----"));
	/* private key material never goes into it */
	ck_assert_ptr_null(strstr(b, "PRIVATE KEY"));

	ck_assert(!tracer_ca_bundle_open(ca, "/etc/passwd", O_RDONLY, &fd));
	if (access("/etc/ssl/certs/ca-certificates.crt", R_OK) == 0) {
		char head[64] = "";
		struct stat st;
		char *real =
			realpath("/etc/ssl/certs/ca-certificates.crt", NULL);

		ck_assert(!tracer_ca_bundle_open(ca, real, O_RDWR, &fd));
		ck_assert(tracer_ca_bundle_open(ca, real, O_RDONLY, &fd));
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(fstat(fd, &st), 0);
		ck_assert_int_eq(st.st_size, (off_t)len);
		ck_assert_int_gt(read(fd, head, sizeof(head) - 1), 0);
		/* sealed: the program cannot change what others read */
		ck_assert_int_lt(write(fd, "x", 1), 0);
		close(fd);
		free(real);
	}
	free(b);
	tracer_ca_free(ca);
}
END_TEST

/* ---- the CA by its hashed name (CApath) ---------------------------------- */

START_TEST(test_hashed)
{
	struct tracer_ca *ca = open_ca(NULL);
	X509 *x = read_cert(tracer_ca_cert_path(ca));
	char want[16], name[32], path[PATH_MAX], other[PATH_MAX];
	const char *certs = "/etc/ssl/certs";
	size_t len;
	const char *pem = tracer_ca_pem(ca, &len);
	struct stat st;
	char buf[4096];
	int dfd, fd = -1;

	snprintf(want, sizeof(want), "%08lx", X509_subject_name_hash(x));
	ck_assert_str_eq(tracer_ca_hash(ca), want);
	ck_assert_uint_eq(strlen(pem), len);
	ck_assert_ptr_null(strstr(pem, "PRIVATE KEY"));
	snprintf(name, sizeof(name), "%s.0", want);
	ck_assert(tracer_ca_hashed_name(ca, name));
	snprintf(name, sizeof(name), "%s.10", want);
	ck_assert(!tracer_ca_hashed_name(ca, name));
	ck_assert(!tracer_ca_hashed_name(ca, "00000000.0"));

	/* a directory that is no certs directory: never */
	dfd = open(dir, O_PATH | O_DIRECTORY);
	snprintf(name, sizeof(name), "%s.0", want);
	snprintf(other, sizeof(other), "%s/%s", dir, name);
	ck_assert(!tracer_ca_hashed_serves(ca, dfd, other, name));
	close(dfd);

	dfd = open(certs, O_PATH | O_DIRECTORY);
	if (dfd >= 0 && faccessat(dfd, name, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		char *real = realpath(certs, NULL);

		snprintf(path, sizeof(path), "%s/%s", real, name);
		ck_assert(tracer_ca_hashed_serves(ca, dfd, path, name));
		ck_assert_int_eq(tracer_ca_hashed_stat(ca, &st), 0);
		ck_assert(S_ISREG(st.st_mode));
		ck_assert_int_eq(st.st_mode & 0777, 0444);
		ck_assert_int_eq(st.st_size, (off_t)len);
		ck_assert(!tracer_ca_hashed_open(ca, dfd, path, name, O_RDWR,
						 &fd));
		ck_assert(tracer_ca_hashed_open(ca, dfd, path, name, O_RDONLY,
						&fd));
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(read(fd, buf, sizeof(buf)), (ssize_t)len);
		ck_assert(!memcmp(buf, pem, len));
		ck_assert_int_lt(write(fd, "x", 1), 0); /* sealed */
		close(fd);
		/* HASH.1 only after a HASH.0 that exists: the lookup ends */
		snprintf(name, sizeof(name), "%s.1", want);
		snprintf(path, sizeof(path), "%s/%s", real, name);
		ck_assert(!tracer_ca_hashed_serves(ca, dfd, path, name));
		free(real);
	}
	if (dfd >= 0)
		close(dfd);
	X509_free(x);
	tracer_ca_free(ca);
}
END_TEST

/* ---- the filter sends stats only with interception --------------------- */

struct listener {
	int fd;
	volatile int done;
	int stats; /* newfstatat calls seen */
};

/* Answers every notification with CONTINUE, counting the stats. */
static void *answer(void *arg)
{
	struct listener *l = arg;
	struct pollfd p = { .fd = l->fd, .events = POLLIN };

	while (!l->done || poll(&p, 1, 0) > 0) {
		struct seccomp_notif n;
		struct seccomp_notif_resp r;

		if (poll(&p, 1, 50) <= 0)
			continue;
		memset(&n, 0, sizeof(n));
		if (ioctl(l->fd, SECCOMP_IOCTL_NOTIF_RECV, &n) < 0)
			continue;
		if (n.data.nr == SYS_newfstatat)
			l->stats++;
		memset(&r, 0, sizeof(r));
		r.id = n.id;
		r.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		ioctl(l->fd, SECCOMP_IOCTL_NOTIF_SEND, &r);
	}
	return NULL;
}

/* In a child under the filter: how many stat() calls reached it. */
static int stats_notified(bool ca_stats)
{
	pid_t pid = fork();
	int status;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct listener l = { .fd = -1 };
		struct tracer_filter_want w = { .ca_stats = ca_stats };
		struct tracer_filter f;
		struct stat st;
		pthread_t t;
		bool killable;

		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		if (tracer_filter_compile(&w, &f) == 0)
			l.fd = tracer_filter_load(&f, &killable);
		if (l.fd < 0 || pthread_create(&t, NULL, answer, &l))
			_exit(100);
		syscall(SYS_newfstatat, AT_FDCWD, "/", &st, 0);
		syscall(SYS_newfstatat, AT_FDCWD, "/", &st,
			AT_SYMLINK_NOFOLLOW);
		l.done = 1;
		pthread_join(t, NULL);
		_exit(l.stats);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

START_TEST(test_filter_stats)
{
	ck_assert_int_eq(stats_notified(false), 0);
	/* stat() only: flags 0, not lstat's AT_SYMLINK_NOFOLLOW */
	ck_assert_int_eq(stats_notified(true), 1);
}
END_TEST

/* ---- leaves the CA did not mean ----------------------------------------- */

/* A leaf for name signed with the CA's own key, as a thief could. */
static X509 *forge(const struct tracer_ca *ca, const char *name)
{
	FILE *f = fopen(tracer_ca_key_path(ca), "r");
	EVP_PKEY *cakey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *cacert = read_cert(tracer_ca_cert_path(ca));
	X509 *x = X509_new();
	X509V3_CTX ctx;
	char san[256];
	X509_EXTENSION *e;

	fclose(f);
	ck_assert_ptr_nonnull(cakey);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)name, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(cacert));
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&ctx, cacert, x, NULL, NULL, 0);
	snprintf(san, sizeof(san), "DNS:%s", name);
	e = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	ck_assert(X509_sign(x, cakey, EVP_sha256()));
	EVP_PKEY_free(cakey);
	EVP_PKEY_free(key);
	X509_free(cacert);
	return x;
}

static int verify(X509_STORE *st, X509 *leaf, const char *host)
{
	X509_STORE_CTX *c = X509_STORE_CTX_new();
	int rc;

	X509_STORE_CTX_init(c, st, leaf, NULL);
	X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(c), host, 0);
	rc = X509_verify_cert(c) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(c);
	X509_STORE_CTX_free(c);
	return rc;
}

START_TEST(test_outside_constraints)
{
	struct tracer_ca *ca = open_ca(NULL);
	size_t len;
	char *b = tracer_ca_bundle(ca, &len);
	X509_STORE *st = store_of(b, len);
	X509 *in = forge(ca, "www.example.org");
	X509 *out = forge(ca, "bank.example.net");

	ck_assert_int_eq(verify(st, in, "www.example.org"), X509_V_OK);
	ck_assert_int_eq(verify(st, out, "bank.example.net"),
			 X509_V_ERR_PERMITTED_VIOLATION);
	X509_free(in);
	X509_free(out);
	X509_STORE_free(st);
	free(b);
	tracer_ca_free(ca);
}
END_TEST

/* ---- handshakes ---------------------------------------------------------- */

/* The real server: a self-signed certificate for api.example.com. */
struct upstream {
	int fd;
	char ca_file[128];
	EVP_PKEY *key;
	X509 *cert;
	char got[256];
	bool handshake_ok;
	char alpn[32];
};

static void upstream_cert(struct upstream *u)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;
	FILE *f;

	u->key = EVP_EC_gen("P-256");
	u->cert = X509_new();
	X509_set_version(u->cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(u->cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(u->cert), -60);
	X509_gmtime_adj(X509_getm_notAfter(u->cert), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(u->cert), "CN",
				   MBSTRING_ASC,
				   (const unsigned char *)"api.example.com", -1,
				   -1, 0);
	X509_set_issuer_name(u->cert, X509_get_subject_name(u->cert));
	X509_set_pubkey(u->cert, u->key);
	X509V3_set_ctx(&ctx, u->cert, u->cert, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
				"DNS:api.example.com");
	X509_add_ext(u->cert, e, -1);
	X509_EXTENSION_free(e);
	ck_assert(X509_sign(u->cert, u->key, EVP_sha256()));
	snprintf(u->ca_file, sizeof(u->ca_file), "%s/upstream.pem", dir);
	f = fopen(u->ca_file, "w");
	PEM_write_X509(f, u->cert);
	fclose(f);
}

static int upstream_alpn(SSL *s, const unsigned char **out,
			 unsigned char *outlen, const unsigned char *in,
			 unsigned int inlen, void *arg)
{
	struct upstream *u = arg;

	(void)s;
	snprintf(u->alpn, sizeof(u->alpn), "%.*s", in[0], in + 1);
	*out = in + 1;
	*outlen = in[0];
	return inlen > 1 ? SSL_TLSEXT_ERR_OK : SSL_TLSEXT_ERR_NOACK;
}

static void *upstream_main(void *arg)
{
	struct upstream *u = arg;
	SSL_CTX *c = SSL_CTX_new(TLS_server_method());
	SSL *s = SSL_new(c);
	size_t n = 0;

	SSL_CTX_set_alpn_select_cb(c, upstream_alpn, u);
	SSL_use_certificate(s, u->cert);
	SSL_use_PrivateKey(s, u->key);
	SSL_set_fd(s, u->fd);
	if (SSL_accept(s) == 1) {
		u->handshake_ok = true;
		if (SSL_read_ex(s, u->got, sizeof(u->got) - 1, &n))
			u->got[n] = '\0';
		SSL_write_ex(s, "HTTP/1.1 200 OK\r\n\r\nhello", 24, &n);
		SSL_shutdown(s);
	}
	SSL_free(s);
	SSL_CTX_free(c);
	close(u->fd);
	return NULL;
}

/* The program: trusts only the bundle proctor serves. */
struct program {
	int fd;
	const char *sni;
	X509_STORE *store;
	bool ech;
	bool handshake_ok;
	long verify;
	char alpn[32];
	char got[256];
};

static int add_ech(SSL *s, unsigned int type, unsigned int ctx,
		   const unsigned char **out, size_t *outlen, X509 *x,
		   size_t chainidx, int *al, void *arg)
{
	static const unsigned char body[] = { 0, 1, 2, 3 };

	*out = body;
	*outlen = sizeof(body);
	return 1;
}

static void *program_main(void *arg)
{
	struct program *p = arg;
	SSL_CTX *c = SSL_CTX_new(TLS_client_method());
	static const unsigned char protos[] = "\x02h2\x08http/1.1";
	const unsigned char *a;
	unsigned int alen = 0;
	SSL *s;
	size_t n = 0;

	X509_STORE_up_ref(p->store);
	SSL_CTX_set_cert_store(c, p->store);
	SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
	if (p->ech)
		SSL_CTX_add_custom_ext(c, 0xfe0d, SSL_EXT_CLIENT_HELLO, add_ech,
				       NULL, NULL, NULL, NULL);
	s = SSL_new(c);
	SSL_set_tlsext_host_name(s, p->sni);
	SSL_set1_host(s, p->sni);
	SSL_set_alpn_protos(s, protos, sizeof(protos) - 1);
	SSL_set_fd(s, p->fd);
	if (SSL_connect(s) == 1) {
		p->handshake_ok = true;
		SSL_get0_alpn_selected(s, &a, &alen);
		snprintf(p->alpn, sizeof(p->alpn), "%.*s", (int)alen, a);
		SSL_write_ex(s, "GET / HTTP/1.1\r\n\r\n", 18, &n);
		if (SSL_read_ex(s, p->got, sizeof(p->got) - 1, &n))
			p->got[n] = '\0';
	}
	p->verify = SSL_get_verify_result(s);
	SSL_free(s);
	SSL_CTX_free(c);
	close(p->fd);
	return NULL;
}

struct run {
	struct upstream u;
	struct program p;
	pthread_t ut, pt;
	int prog_fd, up_fd;
};

static void start(struct run *r, struct tracer_ca *ca, const char *sni,
		  bool ech)
{
	int a[2], b[2];
	size_t len;
	char *bundle = tracer_ca_bundle(ca, &len);

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
	r->p.fd = a[0];
	r->prog_fd = a[1];
	r->u.fd = b[0];
	r->up_fd = b[1];
	r->p.sni = sni;
	r->p.ech = ech;
	r->p.store = store_of(bundle, len);
	free(bundle);
	pthread_create(&r->ut, NULL, upstream_main, &r->u);
	pthread_create(&r->pt, NULL, program_main, &r->p);
}

static void finish(struct run *r)
{
	close(r->prog_fd);
	close(r->up_fd);
	pthread_join(r->pt, NULL);
	pthread_join(r->ut, NULL);
	X509_STORE_free(r->p.store);
	X509_free(r->u.cert);
	EVP_PKEY_free(r->u.key);
}

/* The ClientHello, read by the relay before it hands over. */
static ssize_t take_hello(int fd, char *buf, size_t len)
{
	ssize_t n = read(fd, buf, len);

	ck_assert_int_gt(n, 5);
	ck_assert_int_eq(buf[0], 0x16); /* a handshake record */
	return n;
}

START_TEST(test_handshake_relay)
{
	struct run r = { 0 };
	struct tracer_ca *ca;
	struct tracer_tls *t = NULL;
	char hello[4096], buf[256], why[256] = "";
	ssize_t n, hl;

	setup();
	upstream_cert(&r.u);
	ca = open_ca(r.u.ca_file);
	start(&r, ca, "api.example.com", false);
	hl = take_hello(r.prog_fd, hello, sizeof(hello));
	ck_assert_msg(tracer_tls_open(ca, r.prog_fd, r.up_fd, hello, (size_t)hl,
				      "api.example.com", &t, why,
				      sizeof(why)) == 0,
		      "%s", why);

	/* plaintext both ways, as the relay's judge sees it */
	n = tracer_tls_read(t, TRACER_TLS_PROGRAM, buf, sizeof(buf));
	ck_assert_int_eq(n, 18);
	ck_assert(!memcmp(buf, "GET / HTTP/1.1\r\n", 16));
	ck_assert_int_eq(
		tracer_tls_write(t, TRACER_TLS_UPSTREAM, buf, (size_t)n), n);
	n = tracer_tls_read(t, TRACER_TLS_UPSTREAM, buf, sizeof(buf));
	ck_assert_int_eq(n, 24);
	ck_assert_int_eq(
		tracer_tls_write(t, TRACER_TLS_PROGRAM, buf, (size_t)n), n);
	ck_assert_int_eq(tracer_tls_read(t, TRACER_TLS_UPSTREAM, buf,
					 sizeof(buf)),
			 0); /* close_notify: a clean end */
	tracer_tls_shutdown(t, TRACER_TLS_PROGRAM);
	tracer_tls_free(t);
	finish(&r);

	ck_assert(r.p.handshake_ok);
	ck_assert_int_eq(r.p.verify, X509_V_OK);
	ck_assert_str_eq(r.p.got, "HTTP/1.1 200 OK\r\n\r\nhello");
	/* HTTP/2 was asked for by the program and never offered on */
	ck_assert_str_eq(r.p.alpn, "http/1.1");
	ck_assert_str_eq(r.u.alpn, "http/1.1");
	ck_assert_str_eq(r.u.got, "GET / HTTP/1.1\r\n\r\n");
	tracer_ca_free(ca);
	teardown();
}
END_TEST

START_TEST(test_upstream_unverified)
{
	struct run r = { 0 };
	struct tracer_ca *ca;
	struct tracer_tls *t = NULL;
	char hello[4096], why[256] = "";
	ssize_t hl;

	setup();
	upstream_cert(&r.u);
	ca = open_ca(NULL); /* the test server's certificate not trusted */
	start(&r, ca, "api.example.com", false);
	hl = take_hello(r.prog_fd, hello, sizeof(hello));
	ck_assert_int_eq(tracer_tls_open(ca, r.prog_fd, r.up_fd, hello,
					 (size_t)hl, "api.example.com", &t, why,
					 sizeof(why)),
			 -EPROTO);
	ck_assert_msg(strstr(why, "certificate not verified"), "%s", why);
	finish(&r);
	ck_assert(!r.p.handshake_ok);
	ck_assert_str_eq(r.u.got, "");
	tracer_ca_free(ca);
	teardown();
}
END_TEST

START_TEST(test_ech_refused)
{
	struct run r = { 0 };
	struct tracer_ca *ca;
	struct tracer_tls *t = NULL;
	char hello[4096], why[256] = "";
	ssize_t hl;

	setup();
	upstream_cert(&r.u);
	ca = open_ca(r.u.ca_file);
	start(&r, ca, "api.example.com", true);
	hl = take_hello(r.prog_fd, hello, sizeof(hello));
	ck_assert_int_eq(tracer_tls_open(ca, r.prog_fd, r.up_fd, hello,
					 (size_t)hl, "api.example.com", &t, why,
					 sizeof(why)),
			 -EPERM);
	ck_assert_msg(strstr(why, "Encrypted Client Hello"), "%s", why);
	finish(&r);
	ck_assert(!r.p.handshake_ok);
	/* the upstream handshake happened, the request never went */
	ck_assert_str_eq(r.u.got, "");
	tracer_ca_free(ca);
	teardown();
}
END_TEST

START_TEST(test_other_name_refused)
{
	struct run r = { 0 };
	struct tracer_ca *ca;
	struct tracer_tls *t = NULL;
	char hello[4096], why[256] = "";
	ssize_t hl;

	setup();
	upstream_cert(&r.u);
	ca = open_ca(r.u.ca_file);
	/* the relay checked api.example.com; the hello names another */
	start(&r, ca, "www.example.org", false);
	hl = take_hello(r.prog_fd, hello, sizeof(hello));
	ck_assert_int_eq(tracer_tls_open(ca, r.prog_fd, r.up_fd, hello,
					 (size_t)hl, "api.example.com", &t, why,
					 sizeof(why)),
			 -EPERM);
	ck_assert_msg(strstr(why, "differs"), "%s", why);
	finish(&r);
	ck_assert(!r.p.handshake_ok);

	/* and a name the CA does not cover is no interception at all */
	ck_assert_int_eq(tracer_tls_open(ca, -1, -1, NULL, 0,
					 "bank.example.net", &t, why,
					 sizeof(why)),
			 -EPERM);
	tracer_ca_free(ca);
	teardown();
}
END_TEST

/* ---- the switch and the names it covers (rules/intercept.c) ------------ */

static const struct {
	const char *json;
	const char *names; /* what rules_intercept_names gives, joined */
	int rc;
} switches[] = {
	/* off by default: nothing, whatever the entries say */
	{ "{\"network\": {\"allow\": [{\"pattern\": \"a.test\", "
	  "\"methods\": [\"GET\"]}]}}",
	  "", 0 },
	{ "{\"network\": {\"intercept\": true, \"allow\": ["
	  "{\"pattern\": \"a.test\", \"methods\": [\"GET\"]},"
	  "{\"pattern\": \"*.b.test\", \"methods\": [\"GET\"]},"
	  "{\"pattern\": \"c.test:443\", \"methods\": [\"GET\"]},"
	  "{\"pattern\": \"d.test:80\", \"methods\": [\"GET\"]},"
	  "{\"pattern\": \"e.test\", \"wire_name\": \"match\"},"
	  "\"f.test\"]}}",
	  "a.test *.b.test c.test d.test ", 0 },
	{ "{\"network\": {\"intercept\": false, \"allow\": ["
	  "{\"pattern\": \"a.test\", \"methods\": [\"GET\"]}]}}",
	  "", 0 },
	{ "{\"network\": {\"intercept\": \"yes\"}}", "", -EINVAL },
	{ "{\"network\": {\"intercept\": 1}}", "", -EINVAL },
	{ "{\"exec\": {\"intercept\": true}}", "", -EINVAL },
};

static void join_name(const char *name, void *arg)
{
	strcat(arg, name);
	strcat(arg, " ");
}

START_TEST(test_switch)
{
	const char *ws[] = { "/w" };
	struct rules_vars v = { .home = "/h",
				.tmpdir = "/t",
				.workspaces = ws,
				.n_workspaces = 1 };
	struct rules_policy *p;
	char err[512], got[512] = "";

	ck_assert_int_eq(rules_policy_new(&p, &v), 0);
	ck_assert_int_eq(rules_policy_add_json(p, switches[_i].json, "t", NULL,
					       err, sizeof(err)),
			 switches[_i].rc);
	rules_intercept_names(p, join_name, got);
	ck_assert_str_eq(got, switches[_i].names);
	rules_policy_free(p);
}
END_TEST

/* A later layer replaces the switch; a failed layer leaves it alone. */
START_TEST(test_switch_layers)
{
	const char *ws[] = { "/w" };
	struct rules_vars v = { .home = "/h",
				.tmpdir = "/t",
				.workspaces = ws,
				.n_workspaces = 1 };
	struct rules_policy *p;
	char err[512];

	ck_assert_int_eq(rules_policy_new(&p, &v), 0);
	ck_assert(!rules_policy_intercept(p));
	ck_assert_int_eq(
		rules_policy_add_json(p, "{\"network\": {\"intercept\": true}}",
				      "one", NULL, err, sizeof(err)),
		0);
	ck_assert(rules_policy_intercept(p));
	ck_assert_int_lt(
		rules_policy_add_json(p,
				      "{\"network\": {\"intercept\": false, "
				      "\"allow\": [3]}}",
				      "bad", NULL, err, sizeof(err)),
		0);
	ck_assert(rules_policy_intercept(p));
	ck_assert_int_eq(rules_policy_add_json(
				 p, "{\"network\": {\"intercept\": false}}",
				 "two", NULL, err, sizeof(err)),
			 0);
	ck_assert(!rules_policy_intercept(p));
	rules_policy_set_intercept(p, true); /* --intercept-tls */
	ck_assert(rules_policy_intercept(p));
	rules_policy_free(p);
}
END_TEST

static Suite *intercept_suite(void)
{
	Suite *s = suite_create("intercept");
	TCase *ca = tcase_create("ca");
	TCase *tls = tcase_create("tls");
	TCase *sw = tcase_create("switch");

	tcase_add_checked_fixture(ca, setup, teardown);
	tcase_add_test(ca, test_ca_files);
	tcase_add_test(ca, test_ca_empty_refused);
	tcase_add_test(ca, test_ca_constraints);
	tcase_add_loop_test(ca, test_covers, 0, N(covers));
	tcase_add_test(ca, test_bundle);
	tcase_add_test(ca, test_hashed);
	tcase_add_test(ca, test_filter_stats);
	tcase_add_test(ca, test_outside_constraints);
	suite_add_tcase(s, ca);

	tcase_add_loop_test(sw, test_switch, 0, N(switches));
	tcase_add_test(sw, test_switch_layers);
	suite_add_tcase(s, sw);

	tcase_set_timeout(tls, 30);
	tcase_add_test(tls, test_handshake_relay);
	tcase_add_test(tls, test_upstream_unverified);
	tcase_add_test(tls, test_ech_refused);
	tcase_add_test(tls, test_other_name_refused);
	suite_add_tcase(s, tls);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(intercept_suite());
	int failed;

	/* as in the supervisor (tracer/run.c): a closed peer is an error */
	signal(SIGPIPE, SIG_IGN);

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
