/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TLS side of the web configuration: loading the PEM (files and
 * inline), the errors that name what failed, the priority strings, the
 * SAN check on a client's certificate and, over real handshakes on a
 * socketpair, the whole client check.  Every certificate and key is made
 * with GnuTLS when the group starts, in a temporary directory that the
 * group removes at its end: nothing is committed, no openssl is needed.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

/*
 * The module's strdup() and webcfg_read() (in lib/, built without cmocka)
 * allocate with libc, so its free() must be libc's too.  ASan and
 * valgrind see the leaks instead.
 */
#undef malloc
#undef calloc
#undef realloc
#undef free

#include "../cmd/webtls.c"

/* For a handshake that goes wrong: neither side waits longer. */
#define HANDSHAKE_MS	5000

#define PRIO_12_13	"NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.3"
#define PRIO_10_11	"NORMAL:-VERS-ALL:+VERS-TLS1.0:+VERS-TLS1.1"

/* The SANs of the client certificate, as Go prints them, in order. */
#define CLIENT_SANS	"scraper.example, a@b.c, spiffe://x/y, 10.1.2.3, " \
	"2001:db8::1"

/* A certificate block whose base64 is no certificate. */
#define BAD_CERT	"-----BEGIN CERTIFICATE-----\nAAAA\n" \
	"-----END CERTIFICATE-----\n"

/* SANs in the certificate with many. */
#define MANY_SANS	40

/* What a generated certificate is for. */
enum use {
	USE_CA,			/* signs the others */
	USE_SERVER,		/* TLS server (serverAuth) */
	USE_CLIENT,		/* TLS client (clientAuth) */
};

struct san {
	unsigned int	 type;		/* gnutls_x509_subject_alt_name_t */
	const char	*data;
	unsigned int	 size;		/* 0: strlen(data) */
};

struct cert {
	gnutls_x509_privkey_t	 key;
	gnutls_x509_crt_t	 crt;
	char			*pem;		/* the certificate */
	char			*key_pem;
	gnutls_datum_t		 der;		/* the certificate */
};

/* What the group makes once; the tests only read it. */
static struct {
	char		 dir[32];
	struct cert	 ca;		/* signs what the exporter trusts */
	struct cert	 other_ca;	/* another one nobody trusts */
	struct cert	 server;	/* the exporter's, from ca */
	struct cert	 stranger;	/* a key and certificate of no use */
	struct cert	 client;	/* from ca, with CLIENT_SANS */
	struct cert	 nosan;		/* from ca, without SAN */
	struct cert	 mapped;	/* from ca, ::ffff:10.9.8.7 */
	struct cert	 serveronly;	/* from ca, serverAuth only */
	struct cert	 foreign;	/* from other_ca */
	struct cert	 selfsigned;	/* signed by its own key */
	struct cert	 expired;	/* from ca, ended yesterday */
	struct cert	 odd;		/* SANs san_text() leaves out */
	struct cert	 many;		/* MANY_SANS SANs */
	char		 ca_file[64];
	char		 cert_file[64];
	char		 key_file[64];
	char		 other_key[64];	/* stranger's key */
	char		 garbage[64];	/* text, no PEM at all */
	char		 empty[64];	/* nothing */
	char		 keyonly[64];	/* a key, no certificate */
	char		 badca[64];	/* a certificate block that is not */
	char		 big[64];	/* WEBTLS_MAX_PEM bytes and one */
	char		 nul_cert[64];	/* a NUL, then the server's PEM */
	char		 subdir[64];
	char		 absent[64];
} fx;

static unsigned char serial;

/* A GnuTLS call that must succeed. */
#define GOK(call)	assert_int_equal((call), 0)

/* A copy of d with a NUL after it; gnutls_free()s d. */
static char *
text_of(gnutls_datum_t *d)
{
	char *s;

	assert_non_null(s = malloc(d->size + 1));
	memcpy(s, d->data, d->size);
	s[d->size] = '\0';
	gnutls_free(d->data);
	d->data = NULL;
	return s;
}

/* A fresh key and a certificate for it, still to sign: see cert_finish(). */
static void
cert_start(struct cert *c, const char *cn, int expired)
{
	time_t now = time(NULL);
	char dn[128];

	memset(c, 0, sizeof(*c));
	GOK(gnutls_x509_privkey_init(&c->key));
	GOK(gnutls_x509_privkey_generate(c->key, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0));
	GOK(gnutls_x509_crt_init(&c->crt));
	GOK(gnutls_x509_crt_set_version(c->crt, 3));
	/* Distinct serials: one CA signs several. */
	serial++;
	GOK(gnutls_x509_crt_set_serial(c->crt, &serial, 1));
	if (expired) {
		GOK(gnutls_x509_crt_set_activation_time(c->crt,
		    now - 2 * 86400));
		GOK(gnutls_x509_crt_set_expiration_time(c->crt, now - 86400));
	} else {
		GOK(gnutls_x509_crt_set_activation_time(c->crt, now - 3600));
		GOK(gnutls_x509_crt_set_expiration_time(c->crt,
		    now + 86400));
	}
	(void)snprintf(dn, sizeof(dn), "CN=%s,O=test_webtls", cn);
	GOK(gnutls_x509_crt_set_dn(c->crt, dn, NULL));
	GOK(gnutls_x509_crt_set_key(c->crt, c->key));
}

/* Signs c with issuer (NULL: its own key) and exports it. */
static void
cert_finish(struct cert *c, enum use use, const struct cert *issuer)
{
	gnutls_datum_t d;

	if (use == USE_CA) {
		GOK(gnutls_x509_crt_set_basic_constraints(c->crt, 1, -1));
		GOK(gnutls_x509_crt_set_key_usage(c->crt,
		    GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN));
	} else {
		GOK(gnutls_x509_crt_set_basic_constraints(c->crt, 0, -1));
		GOK(gnutls_x509_crt_set_key_usage(c->crt,
		    GNUTLS_KEY_DIGITAL_SIGNATURE));
		GOK(gnutls_x509_crt_set_key_purpose_oid(c->crt,
		    use == USE_SERVER ? GNUTLS_KP_TLS_WWW_SERVER :
		    GNUTLS_KP_TLS_WWW_CLIENT, 0));
	}
	GOK(gnutls_x509_crt_sign2(c->crt, issuer != NULL ? issuer->crt :
	    c->crt, issuer != NULL ? issuer->key : c->key, GNUTLS_DIG_SHA256,
	    0));
	GOK(gnutls_x509_crt_export2(c->crt, GNUTLS_X509_FMT_PEM, &d));
	c->pem = text_of(&d);
	GOK(gnutls_x509_crt_export2(c->crt, GNUTLS_X509_FMT_DER, &c->der));
	GOK(gnutls_x509_privkey_export2(c->key, GNUTLS_X509_FMT_PEM, &d));
	c->key_pem = text_of(&d);
}

/* A certificate for use with the SANs given, signed by issuer or itself. */
static void
cert_make(struct cert *c, const char *cn, enum use use,
    const struct san *sans, size_t nsans, const struct cert *issuer,
    int expired)
{
	size_t i;

	cert_start(c, cn, expired);
	for (i = 0; i < nsans; i++)
		GOK(gnutls_x509_crt_set_subject_alt_name(c->crt,
		    (gnutls_x509_subject_alt_name_t)sans[i].type,
		    sans[i].data, sans[i].size != 0 ? sans[i].size :
		    (unsigned int)strlen(sans[i].data), GNUTLS_FSAN_APPEND));
	cert_finish(c, use, issuer);
}

static void
cert_free(struct cert *c)
{
	if (c->crt != NULL)
		gnutls_x509_crt_deinit(c->crt);
	if (c->key != NULL)
		gnutls_x509_privkey_deinit(c->key);
	free(c->pem);
	free(c->key_pem);
	gnutls_free(c->der.data);
	memset(c, 0, sizeof(*c));
}

/* One DER element: tag, length (up to 65535), value. */
static size_t
der_put(unsigned char *p, unsigned char tag, const void *v, size_t len)
{
	size_t n = 0;

	p[n++] = tag;
	if (len < 0x80)
		p[n++] = (unsigned char)len;
	else if (len < 0x100) {
		p[n++] = 0x81;
		p[n++] = (unsigned char)len;
	} else {
		p[n++] = 0x82;
		p[n++] = (unsigned char)(len >> 8);
		p[n++] = (unsigned char)len;
	}
	memcpy(p + n, v, len);
	return n + len;
}

/*
 * fx.odd: SANs that GnuTLS's own setter would not write, so the extension
 * is built by hand.  A DNS name with a NUL inside ("ok.example\0.evil",
 * which a C comparison would take for ok.example), an IP address of 8
 * bytes (an address and mask, the name-constraints form), a DNS name too
 * long for san_text()'s buffer, and last a plain one.
 */
static void
make_odd(void)
{
	static const char nul[] = "ok.example\0.evil";
	static const unsigned char ip8[8] = { 10, 0, 0, 1, 255, 0, 0, 0 };
	unsigned char list[1400], ext[1410];
	char longname[1100];
	size_t n = 0, len;

	memset(longname, 'a', sizeof(longname));
	n += der_put(list + n, 0x82, nul, sizeof(nul) - 1);
	n += der_put(list + n, 0x87, ip8, sizeof(ip8));
	n += der_put(list + n, 0x82, longname, sizeof(longname));
	n += der_put(list + n, 0x82, "fine.example", 12);
	len = der_put(ext, 0x30, list, n);
	cert_start(&fx.odd, "odd", 0);
	GOK(gnutls_x509_crt_set_extension_by_oid(fx.odd.crt, "2.5.29.17",
	    ext, len, 0));
	cert_finish(&fx.odd, USE_CLIENT, &fx.ca);
}

/* fx.many: host-00.example to host-39.example. */
static void
make_many(void)
{
	char name[32];
	int i;

	cert_start(&fx.many, "many", 0);
	for (i = 0; i < MANY_SANS; i++) {
		(void)snprintf(name, sizeof(name), "host-%02d.example", i);
		GOK(gnutls_x509_crt_set_subject_alt_name(fx.many.crt,
		    GNUTLS_SAN_DNSNAME, name, (unsigned int)strlen(name),
		    GNUTLS_FSAN_APPEND));
	}
	cert_finish(&fx.many, USE_CLIENT, &fx.ca);
}

static void
put_path(char *buf, size_t bufsz, const char *name)
{
	int n;

	n = snprintf(buf, bufsz, "%s/%s", fx.dir, name);
	assert_true(n > 0 && (size_t)n < bufsz);
}

static void
put_file(const char *path, const void *data, size_t len)
{
	int fd;

	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) != -1);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

static int
group_setup(void **state)
{
	static const unsigned char mapped[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0xff, 0xff, 10, 9, 8, 7 };
	static const unsigned char v4[4] = { 10, 1, 2, 3 };
	static const unsigned char v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	const struct san client[] = {
		{ GNUTLS_SAN_DNSNAME, "scraper.example", 0 },
		{ GNUTLS_SAN_RFC822NAME, "a@b.c", 0 },
		{ GNUTLS_SAN_URI, "spiffe://x/y", 0 },
		{ GNUTLS_SAN_IPADDRESS, (const char *)v4, sizeof(v4) },
		{ GNUTLS_SAN_IPADDRESS, (const char *)v6, sizeof(v6) },
	};
	const struct san server[] = {
		{ GNUTLS_SAN_DNSNAME, "localhost", 0 },
	};
	const struct san ip[] = {
		{ GNUTLS_SAN_IPADDRESS, (const char *)mapped,
		    sizeof(mapped) },
	};
	char *big;

	(void)state;
	(void)snprintf(fx.dir, sizeof(fx.dir), "/tmp/test_webtls.XXXXXX");
	assert_non_null(mkdtemp(fx.dir));
	cert_make(&fx.ca, "ca", USE_CA, NULL, 0, NULL, 0);
	cert_make(&fx.other_ca, "other ca", USE_CA, NULL, 0, NULL, 0);
	cert_make(&fx.server, "server", USE_SERVER, server, 1, &fx.ca, 0);
	cert_make(&fx.stranger, "stranger", USE_SERVER, server, 1, &fx.ca,
	    0);
	cert_make(&fx.client, "client", USE_CLIENT, client, 5, &fx.ca, 0);
	cert_make(&fx.nosan, "nosan", USE_CLIENT, NULL, 0, &fx.ca, 0);
	cert_make(&fx.mapped, "mapped", USE_CLIENT, ip, 1, &fx.ca, 0);
	cert_make(&fx.serveronly, "serveronly", USE_SERVER, client, 5,
	    &fx.ca, 0);
	cert_make(&fx.foreign, "foreign", USE_CLIENT, client, 5,
	    &fx.other_ca, 0);
	cert_make(&fx.selfsigned, "selfsigned", USE_CLIENT, client, 5, NULL,
	    0);
	cert_make(&fx.expired, "expired", USE_CLIENT, client, 5, &fx.ca, 1);
	make_odd();
	make_many();

	put_path(fx.ca_file, sizeof(fx.ca_file), "ca.pem");
	put_file(fx.ca_file, fx.ca.pem, strlen(fx.ca.pem));
	put_path(fx.cert_file, sizeof(fx.cert_file), "server.pem");
	put_file(fx.cert_file, fx.server.pem, strlen(fx.server.pem));
	put_path(fx.key_file, sizeof(fx.key_file), "server.key");
	put_file(fx.key_file, fx.server.key_pem, strlen(fx.server.key_pem));
	put_path(fx.other_key, sizeof(fx.other_key), "other.key");
	put_file(fx.other_key, fx.stranger.key_pem,
	    strlen(fx.stranger.key_pem));
	put_path(fx.garbage, sizeof(fx.garbage), "garbage.pem");
	put_file(fx.garbage, "not a certificate\n", 18);
	put_path(fx.empty, sizeof(fx.empty), "empty.pem");
	put_file(fx.empty, "", 0);
	put_path(fx.keyonly, sizeof(fx.keyonly), "keyonly.pem");
	put_file(fx.keyonly, fx.stranger.key_pem,
	    strlen(fx.stranger.key_pem));
	put_path(fx.badca, sizeof(fx.badca), "badca.pem");
	put_file(fx.badca, BAD_CERT, strlen(BAD_CERT));
	put_path(fx.big, sizeof(fx.big), "big.pem");
	assert_non_null(big = malloc(WEBTLS_MAX_PEM + 1));
	memset(big, 'x', WEBTLS_MAX_PEM + 1);
	put_file(fx.big, big, WEBTLS_MAX_PEM + 1);
	free(big);
	put_path(fx.nul_cert, sizeof(fx.nul_cert), "nul.pem");
	assert_non_null(big = malloc(strlen(fx.server.pem) + 1));
	big[0] = '\0';
	memcpy(big + 1, fx.server.pem, strlen(fx.server.pem));
	put_file(fx.nul_cert, big, strlen(fx.server.pem) + 1);
	free(big);
	put_path(fx.subdir, sizeof(fx.subdir), "subdir");
	assert_int_equal(mkdir(fx.subdir, 0700), 0);
	put_path(fx.absent, sizeof(fx.absent), "absent.pem");
	return 0;
}

static int
group_teardown(void **state)
{
	char *files[] = { fx.ca_file, fx.cert_file, fx.key_file,
	    fx.other_key, fx.garbage, fx.empty, fx.keyonly, fx.badca,
	    fx.big, fx.nul_cert };
	struct cert *certs[] = { &fx.ca, &fx.other_ca, &fx.server,
	    &fx.stranger, &fx.client, &fx.nosan, &fx.mapped, &fx.serveronly,
	    &fx.foreign, &fx.selfsigned, &fx.expired, &fx.odd, &fx.many };
	size_t i;
	int ret = 0;

	(void)state;
	for (i = 0; i < sizeof(certs) / sizeof(certs[0]); i++)
		cert_free(certs[i]);
	/* Whatever the setup got to: a name not filled in is empty. */
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (files[i][0] != '\0' && unlink(files[i]) == -1)
			ret = -1;
	if (fx.subdir[0] != '\0' && rmdir(fx.subdir) == -1)
		ret = -1;
	if (fx.dir[0] != '\0' && rmdir(fx.dir) == -1)
		ret = -1;
	return ret;
}

/* The server's pair from files, TLS 1.2 to 1.3, no client certificate. */
static struct webcfg_tls
tls_files(char *cert, char *key)
{
	struct webcfg_tls t;

	memset(&t, 0, sizeof(t));
	t.enabled = 1;
	t.cert_file = cert;
	t.key_file = key;
	t.client_auth = WEBCFG_NO_CLIENT_CERT;
	t.min_version = WEBCFG_TLS12;
	t.max_version = WEBCFG_TLS13;
	return t;
}

/* As tls_files() with the server's pair, verifying with ca_file. */
static struct webcfg_tls
tls_verify(int client_auth)
{
	struct webcfg_tls t;

	t = tls_files(fx.cert_file, fx.key_file);
	t.client_auth = client_auth;
	t.client_ca_file = fx.ca_file;
	return t;
}

static struct webtls *
load_ok(const struct webcfg_tls *t)
{
	struct webtls *w;
	char err[512];
	int r;

	memcpy(err, "garbage", 8);
	if ((r = webtls_load(t, &w, err, sizeof(err))) != 0)
		fail_msg("webtls_load: %d \"%s\"", r, err);
	assert_non_null(w);
	assert_string_equal(err, "");
	return w;
}

/*
 * A refusal: the code, one line that contains want, and *out NULL
 * though it held something.
 */
static void
expect_load_bad(const struct webcfg_tls *t, int ret, const char *want)
{
	struct webtls junk, *w = &junk;
	char err[512];
	int r;

	r = webtls_load(t, &w, err, sizeof(err));
	if (r == 0)
		webtls_free(w);
	if (r != ret || strstr(err, want) == NULL)
		fail_msg("got %d \"%s\"\n  want %d \"%s\"", r, err, ret, want);
	assert_null(w);
	assert_null(strchr(err, '\n'));
}

static void
test_load_files_gives_their_bytes(void **state)
{
	struct webcfg_tls t;
	struct webtls_pems p;
	struct webtls *w;

	(void)state;
	t = tls_files(fx.cert_file, fx.key_file);
	w = load_ok(&t);
	webtls_pems(w, &p);
	assert_string_equal(p.cert, fx.server.pem);
	assert_string_equal(p.key, fx.server.key_pem);
	assert_int_equal(w->cert_len, strlen(fx.server.pem));
	assert_int_equal(w->key_len, strlen(fx.server.key_pem));
	assert_null(p.trust);
	assert_string_equal(p.priorities, PRIO_12_13);
	/* No client certificate asked: every client passes. */
	assert_int_equal(w->client_auth, WEBCFG_NO_CLIENT_CERT);
	assert_null(w->sans);
	assert_int_equal(w->sans_given, 0);
	webtls_free(w);
}

static void
test_load_verifying_reads_ca(void **state)
{
	const int auths[] = { WEBCFG_VERIFY_IF_GIVEN,
	    WEBCFG_REQUIRE_AND_VERIFY };
	struct webcfg_tls t;
	struct webtls_pems p;
	struct webtls *w;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(auths) / sizeof(auths[0]); i++) {
		t = tls_verify(auths[i]);
		w = load_ok(&t);
		webtls_pems(w, &p);
		assert_string_equal(p.cert, fx.server.pem);
		assert_string_equal(p.key, fx.server.key_pem);
		assert_non_null(p.trust);
		assert_string_equal(p.trust, fx.ca.pem);
		assert_int_equal(w->client_auth, auths[i]);
		webtls_free(w);
	}
	/* With NoClientCert a CA given is not read: it would not be used. */
	t = tls_verify(WEBCFG_NO_CLIENT_CERT);
	t.client_ca_file = fx.absent;
	w = load_ok(&t);
	webtls_pems(w, &p);
	assert_null(p.trust);
	webtls_free(w);
}

static void
test_priorities_from_versions(void **state)
{
	static const struct {
		int		 min, max;
		const char	*want;
	} cases[] = {
		{ WEBCFG_TLS12, WEBCFG_TLS13, PRIO_12_13 },
		{ WEBCFG_TLS10, WEBCFG_TLS11, PRIO_10_11 },
		{ WEBCFG_TLS13, WEBCFG_TLS13, "NORMAL:-VERS-ALL:+VERS-TLS1.3" },
		{ WEBCFG_TLS10, WEBCFG_TLS13, "NORMAL:-VERS-ALL:+VERS-TLS1.0:"
		    "+VERS-TLS1.1:+VERS-TLS1.2:+VERS-TLS1.3" },
	};
	struct webcfg_tls t;
	struct webtls_pems p;
	struct webtls *w;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t = tls_files(fx.cert_file, fx.key_file);
		t.min_version = cases[i].min;
		t.max_version = cases[i].max;
		w = load_ok(&t);
		webtls_pems(w, &p);
		assert_string_equal(p.priorities, cases[i].want);
		webtls_free(w);
	}
	/*
	 * min above max (webcfg refuses it) leaves no version: GnuTLS
	 * refuses the string, and the error says which.
	 */
	t = tls_files(fx.cert_file, fx.key_file);
	t.min_version = WEBCFG_TLS13;
	t.max_version = WEBCFG_TLS12;
	expect_load_bad(&t, ERR_INVAL, "tls_server_config: min_version and "
	    "max_version: GnuTLS refuses \"NORMAL:-VERS-ALL\": ");
}

static void
test_load_inline(void **state)
{
	struct webcfg_tls t;
	struct webtls_pems p;
	struct webtls *w;

	(void)state;
	t = tls_files(NULL, NULL);
	t.cert_pem = fx.server.pem;
	t.key_pem = fx.server.key_pem;
	t.client_auth = WEBCFG_REQUIRE_AND_VERIFY;
	t.client_ca_pem = fx.ca.pem;
	w = load_ok(&t);
	webtls_pems(w, &p);
	assert_string_equal(p.cert, fx.server.pem);
	assert_string_equal(p.key, fx.server.key_pem);
	assert_string_equal(p.trust, fx.ca.pem);
	assert_string_equal(p.priorities, PRIO_12_13);
	/* Copies: the configuration is freed while the daemon runs. */
	assert_ptr_not_equal(p.cert, fx.server.pem);
	assert_ptr_not_equal(p.key, fx.server.key_pem);
	assert_ptr_not_equal(p.trust, fx.ca.pem);
	webtls_free(w);
	/* A file and an inline text together. */
	t = tls_files(fx.cert_file, NULL);
	t.key_pem = fx.server.key_pem;
	w = load_ok(&t);
	webtls_pems(w, &p);
	assert_string_equal(p.cert, fx.server.pem);
	assert_string_equal(p.key, fx.server.key_pem);
	webtls_free(w);
}

static void
test_load_copies_sans(void **state)
{
	char *sans[] = { "scraper.example", "10.1.2.3" };
	struct webcfg_tls t;
	struct webtls *w;

	(void)state;
	t = tls_verify(WEBCFG_REQUIRE_AND_VERIFY);
	t.allowed_sans = sans;
	t.nallowed_sans = 2;
	t.allowed_sans_given = 1;
	w = load_ok(&t);
	assert_int_equal(w->sans_given, 1);
	assert_int_equal(w->nsans, 2);
	assert_string_equal(w->sans[0], "scraper.example");
	assert_string_equal(w->sans[1], "10.1.2.3");
	assert_ptr_not_equal(w->sans[0], sans[0]);
	webtls_free(w);
	/* Given empty: remembered, so that nobody gets in. */
	t.nallowed_sans = 0;
	t.allowed_sans = NULL;
	w = load_ok(&t);
	assert_int_equal(w->sans_given, 1);
	assert_int_equal(w->nsans, 0);
	assert_null(w->sans);
	webtls_free(w);
}

static void
test_forget_key_keeps_the_rest(void **state)
{
	struct webcfg_tls t;
	struct webtls_pems before, after;
	struct webtls *w;

	(void)state;
	t = tls_verify(WEBCFG_REQUIRE_AND_VERIFY);
	w = load_ok(&t);
	webtls_pems(w, &before);
	assert_non_null(before.key);
	webtls_forget_key(w);
	webtls_pems(w, &after);
	assert_null(after.key);
	assert_int_equal(w->key_len, 0);
	assert_ptr_equal(after.cert, before.cert);
	assert_ptr_equal(after.trust, before.trust);
	assert_ptr_equal(after.priorities, before.priorities);
	assert_string_equal(after.cert, fx.server.pem);
	assert_string_equal(after.trust, fx.ca.pem);
	assert_string_equal(after.priorities, PRIO_12_13);
	/* Twice does no harm, and the free after it neither. */
	webtls_forget_key(w);
	webtls_pems(w, &after);
	assert_null(after.key);
	webtls_free(w);
	webtls_free(NULL);
}

static void
test_pem_take(void **state)
{
	char err[512], *out = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(pem_take("cert_file", fx.cert_file, NULL, &out, &len,
	    err, sizeof(err)), 0);
	assert_string_equal(out, fx.server.pem);
	assert_int_equal(len, strlen(fx.server.pem));
	free(out);
	/* The file wins over an inline text (webcfg never gives both). */
	assert_int_equal(pem_take("cert_file", fx.cert_file, "inline", &out,
	    &len, err, sizeof(err)), 0);
	assert_string_equal(out, fx.server.pem);
	free(out);
	assert_int_equal(pem_take("key_file", NULL, "inline text", &out,
	    &len, err, sizeof(err)), 0);
	assert_string_equal(out, "inline text");
	assert_int_equal(len, 11);
	free(out);
	assert_int_equal(pem_take("key_file", fx.absent, NULL, &out, &len,
	    err, sizeof(err)), ERR_SYSTEM);
	assert_null(out);
	assert_non_null(strstr(err, "tls_server_config.key_file "));
}

static void
test_load_errors_name_the_file(void **state)
{
	struct webcfg_tls t;
	char want[512];

	(void)state;
	/* Missing files, each under its key. */
	t = tls_files(fx.absent, fx.key_file);
	(void)snprintf(want, sizeof(want), "tls_server_config.cert_file %s: "
	    "cannot open: No such file or directory", fx.absent);
	expect_load_bad(&t, ERR_SYSTEM, want);
	t = tls_files(fx.cert_file, fx.absent);
	(void)snprintf(want, sizeof(want), "tls_server_config.key_file %s: "
	    "cannot open: No such file or directory", fx.absent);
	expect_load_bad(&t, ERR_SYSTEM, want);
	t = tls_verify(WEBCFG_REQUIRE_AND_VERIFY);
	t.client_ca_file = fx.absent;
	(void)snprintf(want, sizeof(want), "tls_server_config.client_ca_file "
	    "%s: cannot open: No such file or directory", fx.absent);
	expect_load_bad(&t, ERR_SYSTEM, want);
	/* Not a regular file; too big. */
	t = tls_files(fx.subdir, fx.key_file);
	(void)snprintf(want, sizeof(want), "tls_server_config.cert_file %s: "
	    "not a regular file", fx.subdir);
	expect_load_bad(&t, ERR_INVAL, want);
	t = tls_files(fx.cert_file, fx.big);
	(void)snprintf(want, sizeof(want), "tls_server_config.key_file %s: "
	    "larger than %d bytes", fx.big, WEBTLS_MAX_PEM);
	expect_load_bad(&t, ERR_TOOBIG, want);
	/* A NUL before the PEM: libmicrohttpd would see an empty string. */
	t = tls_files(fx.nul_cert, fx.key_file);
	(void)snprintf(want, sizeof(want), "tls_server_config.cert_file %s: "
	    "a NUL byte in the file", fx.nul_cert);
	expect_load_bad(&t, ERR_NUL, want);
}

static void
test_load_errors_bad_pem(void **state)
{
	struct webcfg_tls t;
	char want[512];

	(void)state;
	/* Garbage, or nothing, where the certificate should be. */
	t = tls_files(fx.garbage, fx.key_file);
	(void)snprintf(want, sizeof(want), "tls_server_config: certificate "
	    "%s and key %s: ", fx.garbage, fx.key_file);
	expect_load_bad(&t, ERR_INVAL, want);
	t = tls_files(fx.empty, fx.key_file);
	(void)snprintf(want, sizeof(want), "tls_server_config: certificate "
	    "%s and key %s: ", fx.empty, fx.key_file);
	expect_load_bad(&t, ERR_INVAL, want);
	/* Garbage for the key; the certificate given as the key. */
	t = tls_files(fx.cert_file, fx.garbage);
	(void)snprintf(want, sizeof(want), "tls_server_config: certificate "
	    "%s and key %s: ", fx.cert_file, fx.garbage);
	expect_load_bad(&t, ERR_INVAL, want);
	t = tls_files(fx.cert_file, fx.cert_file);
	(void)snprintf(want, sizeof(want), "tls_server_config: certificate "
	    "%s and key %s: ", fx.cert_file, fx.cert_file);
	expect_load_bad(&t, ERR_INVAL, want);
	/* Two good PEM that do not go together. */
	t = tls_files(fx.cert_file, fx.other_key);
	(void)snprintf(want, sizeof(want), "tls_server_config: certificate "
	    "%s and key %s: %s", fx.cert_file, fx.other_key,
	    gnutls_strerror(GNUTLS_E_CERTIFICATE_KEY_MISMATCH));
	expect_load_bad(&t, ERR_INVAL, want);
}

static void
test_load_errors_bad_ca(void **state)
{
	char *nocert[] = { fx.garbage, fx.empty, fx.keyonly };
	struct webcfg_tls t;
	char want[512];
	size_t i;

	(void)state;
	/* No certificate in it at all. */
	for (i = 0; i < sizeof(nocert) / sizeof(nocert[0]); i++) {
		t = tls_verify(WEBCFG_VERIFY_IF_GIVEN);
		t.client_ca_file = nocert[i];
		(void)snprintf(want, sizeof(want), "tls_server_config: "
		    "client CA %s: no certificate in it", nocert[i]);
		expect_load_bad(&t, ERR_INVAL, want);
	}
	/* A certificate block GnuTLS cannot parse: its error. */
	t = tls_verify(WEBCFG_REQUIRE_AND_VERIFY);
	t.client_ca_file = fx.badca;
	(void)snprintf(want, sizeof(want), "tls_server_config: client CA %s: ",
	    fx.badca);
	expect_load_bad(&t, ERR_INVAL, want);
}

static void
test_load_errors_inline_origins(void **state)
{
	struct webcfg_tls t;
	char want[512];

	(void)state;
	t = tls_files(NULL, NULL);
	t.cert_pem = "not a certificate";
	t.key_pem = fx.server.key_pem;
	expect_load_bad(&t, ERR_INVAL, "tls_server_config: certificate "
	    "(inline cert) and key (inline key): ");
	t.cert_pem = fx.server.pem;
	t.key_pem = fx.stranger.key_pem;
	(void)snprintf(want, sizeof(want), "tls_server_config: certificate "
	    "(inline cert) and key (inline key): %s",
	    gnutls_strerror(GNUTLS_E_CERTIFICATE_KEY_MISMATCH));
	expect_load_bad(&t, ERR_INVAL, want);
	/* A file and an inline text: each named as it came. */
	t = tls_files(fx.cert_file, NULL);
	t.key_pem = fx.stranger.key_pem;
	(void)snprintf(want, sizeof(want), "tls_server_config: certificate "
	    "%s and key (inline key): ", fx.cert_file);
	expect_load_bad(&t, ERR_INVAL, want);
	t = tls_verify(WEBCFG_REQUIRE_AND_VERIFY);
	t.client_ca_file = NULL;
	t.client_ca_pem = fx.stranger.key_pem;
	expect_load_bad(&t, ERR_INVAL, "tls_server_config: client CA "
	    "(inline client_ca): no certificate in it");
}

static void
test_load_error_buffer(void **state)
{
	struct webcfg_tls t;
	struct webtls *w;
	char err[16];

	(void)state;
	t = tls_files(fx.absent, fx.key_file);
	/* No room for a message: the code still says it. */
	assert_int_equal(webtls_load(&t, &w, NULL, 0), ERR_SYSTEM);
	assert_null(w);
	/* Cut to the buffer, terminated. */
	memset(err, 'x', sizeof(err));
	assert_int_equal(webtls_load(&t, &w, err, sizeof(err)), ERR_SYSTEM);
	assert_null(w);
	assert_string_equal(err, "tls_server_conf");
	t = tls_files(fx.cert_file, fx.other_key);
	memset(err, 'x', sizeof(err));
	assert_int_equal(webtls_load(&t, &w, err, sizeof(err)), ERR_INVAL);
	assert_string_equal(err, "tls_server_conf");
}

/* Loaded from the fixture's files, verifying, with these allowed SANs. */
static struct webtls *
load_auth(int client_auth, char **sans, size_t nsans, int given)
{
	struct webcfg_tls t;

	t = tls_verify(client_auth);
	if (client_auth == WEBCFG_NO_CLIENT_CERT)
		t.client_ca_file = NULL;
	t.allowed_sans = sans;
	t.nallowed_sans = nsans;
	t.allowed_sans_given = given;
	return load_ok(&t);
}

static void
test_no_session_no_certificate(void **state)
{
	char *sans[] = { "scraper.example" };
	struct webtls *w;
	char err[512];

	(void)state;
	w = load_auth(WEBCFG_NO_CLIENT_CERT, NULL, 0, 0);
	memcpy(err, "garbage", 8);
	assert_int_equal(webtls_check_client(w, NULL, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	webtls_free(w);

	w = load_auth(WEBCFG_VERIFY_IF_GIVEN, NULL, 0, 0);
	memcpy(err, "garbage", 8);
	assert_int_equal(webtls_check_client(w, NULL, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	webtls_free(w);

	/* The SANs cannot be checked without a certificate. */
	w = load_auth(WEBCFG_VERIFY_IF_GIVEN, sans, 1, 1);
	assert_int_equal(webtls_check_client(w, NULL, err, sizeof(err)),
	    ERR_INVAL);
	assert_string_equal(err, "no client certificate");
	webtls_free(w);
	w = load_auth(WEBCFG_VERIFY_IF_GIVEN, NULL, 0, 1);
	assert_int_equal(webtls_check_client(w, NULL, err, sizeof(err)),
	    ERR_INVAL);
	assert_string_equal(err, "no client certificate");
	webtls_free(w);

	w = load_auth(WEBCFG_REQUIRE_AND_VERIFY, NULL, 0, 0);
	assert_int_equal(webtls_check_client(w, NULL, err, sizeof(err)),
	    ERR_INVAL);
	assert_string_equal(err, "no client certificate");
	/* Without room for why. */
	assert_int_equal(webtls_check_client(w, NULL, NULL, 0), ERR_INVAL);
	webtls_free(w);
}

/*
 * webtls_check_sans() on der with the space-separated names of allowed
 * as the list ("" for an empty list, which is given all the same).
 */
static int
check_sans(const gnutls_datum_t *der, const char *allowed, char *err,
    size_t errsz)
{
	struct webtls w;
	char buf[256], *list[16], *p, *sp;
	size_t n = 0;

	assert_true(strlen(allowed) < sizeof(buf));
	(void)snprintf(buf, sizeof(buf), "%s", allowed);
	for (p = buf; *p != '\0'; p = sp + 1) {
		assert_true(n < sizeof(list) / sizeof(list[0]));
		list[n++] = p;
		if ((sp = strchr(p, ' ')) == NULL)
			break;
		*sp = '\0';
	}
	memset(&w, 0, sizeof(w));
	w.sans = list;
	w.nsans = n;
	w.sans_given = 1;
	if (errsz >= 8)
		memcpy(err, "garbage", 8);
	return webtls_check_sans(&w, der, err, errsz);
}

static void
expect_sans_ok(const struct cert *c, const char *allowed)
{
	char err[512];
	int r;

	if ((r = check_sans(&c->der, allowed, err, sizeof(err))) != 0)
		fail_msg("allowed \"%s\": %d \"%s\", want 0", allowed, r, err);
}

static void
expect_sans_bad(const struct cert *c, const char *allowed,
    const char *want)
{
	char err[512];
	int r;

	r = check_sans(&c->der, allowed, err, sizeof(err));
	if (r != ERR_INVAL || strstr(err, want) == NULL)
		fail_msg("allowed \"%s\": %d \"%s\"\n  want %d \"%s\"",
		    allowed, r, err, ERR_INVAL, want);
}

static void
test_sans_each_kind_lets_in(void **state)
{
	(void)state;
	expect_sans_ok(&fx.client, "scraper.example");
	expect_sans_ok(&fx.client, "a@b.c");
	expect_sans_ok(&fx.client, "spiffe://x/y");
	expect_sans_ok(&fx.client, "10.1.2.3");
	expect_sans_ok(&fx.client, "2001:db8::1");
	/* Anywhere in the list. */
	expect_sans_ok(&fx.client, "nobody.example other.example a@b.c");
}

static void
test_sans_none_allowed_lists_them(void **state)
{
	(void)state;
	expect_sans_bad(&fx.client, "nobody.example 10.1.2.4",
	    "client certificate has no allowed SAN (it has: " CLIENT_SANS
	    ")");
	/*
	 * Compared as Go's strings are: exactly, IPv6 in its short form.
	 * The toolkit refuses each of these too.
	 */
	expect_sans_bad(&fx.client, "Scraper.example", "it has: " CLIENT_SANS);
	expect_sans_bad(&fx.client, "scraper.example.", "it has: ");
	expect_sans_bad(&fx.client, "A@B.C", "it has: ");
	expect_sans_bad(&fx.client, "spiffe://x/y/", "it has: ");
	expect_sans_bad(&fx.client, "10.1.2.3/32", "it has: ");
	expect_sans_bad(&fx.client, "2001:0db8::1", "it has: ");
	expect_sans_bad(&fx.client, "2001:db8:0:0:0:0:0:1", "it has: ");
	expect_sans_bad(&fx.client, "::ffff:10.1.2.3", "it has: ");
}

static void
test_sans_mapped_ipv4_as_go_prints_it(void **state)
{
	(void)state;
	expect_sans_ok(&fx.mapped, "10.9.8.7");
	expect_sans_bad(&fx.mapped, "::ffff:10.9.8.7",
	    "(it has: 10.9.8.7)");
	expect_sans_bad(&fx.mapped, "::ffff:a09:807", "(it has: 10.9.8.7)");
}

static void
test_sans_cert_without_any(void **state)
{
	(void)state;
	expect_sans_bad(&fx.nosan, "scraper.example", "(it has: none)");
	/* The CN is not a SAN (as in Go). */
	expect_sans_bad(&fx.nosan, "nosan", "(it has: none)");
}

static void
test_sans_empty_list_lets_nobody_in(void **state)
{
	(void)state;
	expect_sans_bad(&fx.client, "", "no allowed SAN (it has: "
	    CLIENT_SANS ")");
	expect_sans_bad(&fx.nosan, "", "(it has: none)");
}

/*
 * c's certificate as a session's peer list gives it: parsed from its DER.
 * GnuTLS finds no SAN in the crt it signed, only in one it imported.
 */
static gnutls_x509_crt_t
reimport(const struct cert *c)
{
	gnutls_x509_crt_t crt;

	GOK(gnutls_x509_crt_init(&crt));
	GOK(gnutls_x509_crt_import(crt, &c->der, GNUTLS_X509_FMT_DER));
	return crt;
}

static void
test_sans_odd_ones_left_out(void **state)
{
	gnutls_x509_crt_t crt;
	char san[WEBTLS_MAX_SAN];
	unsigned int seq;

	(void)state;
	/* NUL inside, 8-byte address, too long: skipped, not the end. */
	crt = reimport(&fx.odd);
	for (seq = 0; seq < 3; seq++)
		assert_int_equal(san_text(crt, seq, san, sizeof(san)), 0);
	assert_int_equal(san_text(crt, 3, san, sizeof(san)), 1);
	assert_string_equal(san, "fine.example");
	assert_int_equal(san_text(crt, 4, san, sizeof(san)), -1);
	gnutls_x509_crt_deinit(crt);
	expect_sans_ok(&fx.odd, "fine.example");
	/* The name before the NUL is no match. */
	expect_sans_bad(&fx.odd, "ok.example 10.0.0.1",
	    "(it has: fine.example)");
	/* A buffer too small for a SAN skips it too. */
	crt = reimport(&fx.client);
	assert_int_equal(san_text(crt, 0, san, 8), 0);
	assert_int_equal(san_text(crt, 1, san, 8), 1);
	assert_string_equal(san, "a@b.c");
	gnutls_x509_crt_deinit(crt);
}

static void
test_san_text_each_kind(void **state)
{
	static const char *const want[] = { "scraper.example", "a@b.c",
	    "spiffe://x/y", "10.1.2.3", "2001:db8::1" };
	gnutls_x509_crt_t crt;
	char san[WEBTLS_MAX_SAN];
	unsigned int seq;

	(void)state;
	crt = reimport(&fx.client);
	for (seq = 0; seq < 5; seq++) {
		assert_int_equal(san_text(crt, seq, san, sizeof(san)), 1);
		assert_string_equal(san, want[seq]);
	}
	assert_int_equal(san_text(crt, 5, san, sizeof(san)), -1);
	gnutls_x509_crt_deinit(crt);
	crt = reimport(&fx.nosan);
	assert_int_equal(san_text(crt, 0, san, sizeof(san)), -1);
	gnutls_x509_crt_deinit(crt);
	crt = reimport(&fx.mapped);
	assert_int_equal(san_text(crt, 0, san, sizeof(san)), 1);
	assert_string_equal(san, "10.9.8.7");
	gnutls_x509_crt_deinit(crt);
}

static void
test_sans_many_err_cut(void **state)
{
	char err[512], want[64];

	(void)state;
	/* Past what the message holds, the SANs are still compared. */
	(void)snprintf(want, sizeof(want), "host-%02d.example",
	    MANY_SANS - 1);
	expect_sans_ok(&fx.many, want);
	assert_int_equal(check_sans(&fx.many.der, "nobody.example", err,
	    sizeof(err)), ERR_INVAL);
	assert_non_null(strstr(err, "(it has: host-00.example, "
	    "host-01.example, "));
	/* The list is cut: not every name is in it. */
	assert_null(strstr(err, want));
	assert_true(strlen(err) < sizeof(err) - 1);
	/* A small err is cut and terminated. */
	assert_int_equal(check_sans(&fx.many.der, "nobody.example", err, 7),
	    ERR_INVAL);
	assert_string_equal(err, "client");
	assert_int_equal(check_sans(&fx.client.der, "nobody.example", NULL,
	    0), ERR_INVAL);
}

static void
test_sans_garbage_der(void **state)
{
	unsigned char junk[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	gnutls_datum_t der = { junk, sizeof(junk) };
	char err[512];

	(void)state;
	assert_int_equal(check_sans(&der, "scraper.example", err,
	    sizeof(err)), ERR_INVAL);
	assert_string_equal(err, "client certificate does not parse");
	/* PEM is not what a session's peer list holds. */
	der.data = (unsigned char *)fx.client.pem;
	der.size = (unsigned int)strlen(fx.client.pem);
	assert_int_equal(check_sans(&der, "scraper.example", err,
	    sizeof(err)), ERR_INVAL);
	assert_string_equal(err, "client certificate does not parse");
}

/*
 * Real handshakes.  The client, in a thread, shows its certificate
 * whatever CAs the server names (GNUTLS_FORCE_CLIENT_CERT, as a hostile
 * client may), and reads until the server closes.
 */
struct client {
	int			 fd;
	const struct cert	*cert;		/* NULL: none to show */
	int			 ret;		/* of its handshake */
};

static void *
client_run(void *arg)
{
	struct client *c = arg;
	gnutls_certificate_credentials_t cred = NULL;
	gnutls_session_t s = NULL;
	gnutls_datum_t cd, kd;
	char buf[64];
	int r;

	r = gnutls_certificate_allocate_credentials(&cred);
	if (r == 0 && c->cert != NULL) {
		cd.data = (unsigned char *)c->cert->pem;
		cd.size = (unsigned int)strlen(c->cert->pem);
		kd.data = (unsigned char *)c->cert->key_pem;
		kd.size = (unsigned int)strlen(c->cert->key_pem);
		r = gnutls_certificate_set_x509_key_mem(cred, &cd, &kd,
		    GNUTLS_X509_FMT_PEM);
	}
	if (r == 0)
		r = gnutls_init(&s, GNUTLS_CLIENT | GNUTLS_NO_SIGNAL |
		    GNUTLS_FORCE_CLIENT_CERT);
	if (r == 0)
		r = gnutls_set_default_priority(s);
	if (r == 0)
		r = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
	if (r == 0) {
		gnutls_transport_set_int(s, c->fd);
		gnutls_handshake_set_timeout(s, HANDSHAKE_MS);
		do
			r = gnutls_handshake(s);
		while (r < 0 && gnutls_error_is_fatal(r) == 0);
	}
	c->ret = r;
	/* Session tickets (TLS 1.3), then the server's close. */
	if (r == 0)
		while (gnutls_record_recv(s, buf, sizeof(buf)) > 0)
			continue;
	if (s != NULL)
		gnutls_deinit(s);
	if (cred != NULL)
		gnutls_certificate_free_credentials(cred);
	/* A server still in its handshake sees the end. */
	(void)shutdown(c->fd, SHUT_RDWR);
	return NULL;
}

/* The version the last handshake of check_over_tls() agreed on. */
static int tls_version;

static void
set_timeouts(int fd)
{
	struct timeval tv = { HANDSHAKE_MS / 1000, 0 };

	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
	    sizeof(tv)), 0);
}

/*
 * A handshake with the server as libmicrohttpd sets it up from
 * webtls_pems() (the pair, the client CAs as trust, the priorities,
 * GNUTLS_CERT_REQUEST when there are CAs), the client showing cert; then
 * webtls_check_client() on the server's session.  Returns what that
 * gave; the handshake itself must succeed.
 */
static int
check_over_tls(const struct webtls *w, const struct cert *cert, char *err,
    size_t errsz)
{
	gnutls_certificate_credentials_t cred;
	gnutls_session_t s = NULL;
	struct webtls_pems p;
	gnutls_datum_t cd, kd, td;
	struct client c;
	pthread_t th;
	int sv[2], r, ret = 1, started;

	webtls_pems(w, &p);
	assert_non_null(p.key);
	GOK(gnutls_certificate_allocate_credentials(&cred));
	cd.data = (unsigned char *)p.cert;
	cd.size = (unsigned int)strlen(p.cert);
	kd.data = (unsigned char *)p.key;
	kd.size = (unsigned int)strlen(p.key);
	r = gnutls_certificate_set_x509_key_mem(cred, &cd, &kd,
	    GNUTLS_X509_FMT_PEM);
	if (r == 0 && p.trust != NULL) {
		td.data = (unsigned char *)p.trust;
		td.size = (unsigned int)strlen(p.trust);
		r = gnutls_certificate_set_x509_trust_mem(cred, &td,
		    GNUTLS_X509_FMT_PEM) == 1 ? 0 : -1;
	}
	if (r != 0) {
		gnutls_certificate_free_credentials(cred);
		fail_msg("server credentials: %d", r);
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		gnutls_certificate_free_credentials(cred);
		fail_msg("socketpair: %s", strerror(errno));
	}
	set_timeouts(sv[0]);
	set_timeouts(sv[1]);
	r = gnutls_init(&s, GNUTLS_SERVER | GNUTLS_NO_SIGNAL);
	if (r == 0)
		r = gnutls_priority_set_direct(s, p.priorities, NULL);
	if (r == 0)
		r = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
	c.fd = sv[1];
	c.cert = cert;
	c.ret = 1;
	started = 0;
	if (r == 0) {
		if (p.trust != NULL)
			gnutls_certificate_server_set_request(s,
			    GNUTLS_CERT_REQUEST);
		gnutls_transport_set_int(s, sv[0]);
		gnutls_handshake_set_timeout(s, HANDSHAKE_MS);
		started = pthread_create(&th, NULL, client_run, &c) == 0;
		if (!started)
			r = -1;
	}
	if (r == 0) {
		do
			r = gnutls_handshake(s);
		while (r < 0 && gnutls_error_is_fatal(r) == 0);
	}
	if (r == 0) {
		tls_version = gnutls_protocol_get_version(s);
		ret = webtls_check_client(w, s, err, errsz);
	}
	if (s != NULL)
		gnutls_deinit(s);
	/* The client reads until this end is closed. */
	(void)close(sv[0]);
	if (started)
		(void)pthread_join(th, NULL);
	(void)close(sv[1]);
	gnutls_certificate_free_credentials(cred);
	if (r != 0 || c.ret != 0)
		fail_msg("handshake: server %d (%s), client %d (%s)", r,
		    gnutls_strerror(r), c.ret, gnutls_strerror(c.ret));
	return ret;
}

static void
expect_tls_ok(const struct webtls *w, const struct cert *cert)
{
	char err[512];
	int r;

	memcpy(err, "garbage", 8);
	if ((r = check_over_tls(w, cert, err, sizeof(err))) != 0)
		fail_msg("got %d \"%s\", want 0", r, err);
	assert_string_equal(err, "");
}

static void
expect_tls_bad(const struct webtls *w, const struct cert *cert,
    const char *want)
{
	char err[512];
	int r;

	r = check_over_tls(w, cert, err, sizeof(err));
	if (r != ERR_INVAL || strstr(err, want) == NULL)
		fail_msg("got %d \"%s\"\n  want %d \"%s\"", r, err, ERR_INVAL,
		    want);
}

static void
test_tls_right_client_in(void **state)
{
	char *ok[] = { "nobody.example", "spiffe://x/y" };
	char *no[] = { "nobody.example" };
	struct webtls *w;

	(void)state;
	w = load_auth(WEBCFG_REQUIRE_AND_VERIFY, NULL, 0, 0);
	expect_tls_ok(w, &fx.client);
	assert_int_equal(tls_version, GNUTLS_TLS1_3);
	expect_tls_ok(w, &fx.nosan);
	webtls_free(w);
	w = load_auth(WEBCFG_VERIFY_IF_GIVEN, NULL, 0, 0);
	expect_tls_ok(w, &fx.client);
	webtls_free(w);
	/* The SANs of the leaf the client sent. */
	w = load_auth(WEBCFG_REQUIRE_AND_VERIFY, ok, 2, 1);
	expect_tls_ok(w, &fx.client);
	expect_tls_bad(w, &fx.nosan, "(it has: none)");
	webtls_free(w);
	w = load_auth(WEBCFG_VERIFY_IF_GIVEN, no, 1, 1);
	expect_tls_bad(w, &fx.client, "client certificate has no allowed "
	    "SAN (it has: " CLIENT_SANS ")");
	webtls_free(w);
}

static void
test_tls_wrong_clients_out(void **state)
{
	const int auths[] = { WEBCFG_VERIFY_IF_GIVEN,
	    WEBCFG_REQUIRE_AND_VERIFY };
	struct webtls *w;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(auths) / sizeof(auths[0]); i++) {
		w = load_auth(auths[i], NULL, 0, 0);
		expect_tls_bad(w, &fx.foreign, "client certificate: The "
		    "certificate is NOT trusted");
		expect_tls_bad(w, &fx.selfsigned, "NOT trusted");
		expect_tls_bad(w, &fx.serveronly, "intended purpose");
		expect_tls_bad(w, &fx.expired, "expired");
		webtls_free(w);
	}
}

static void
test_tls_without_client_cert(void **state)
{
	char *sans[] = { "scraper.example" };
	struct webtls *w;

	(void)state;
	w = load_auth(WEBCFG_REQUIRE_AND_VERIFY, NULL, 0, 0);
	expect_tls_bad(w, NULL, "no client certificate");
	webtls_free(w);
	w = load_auth(WEBCFG_VERIFY_IF_GIVEN, NULL, 0, 0);
	expect_tls_ok(w, NULL);
	webtls_free(w);
	w = load_auth(WEBCFG_VERIFY_IF_GIVEN, sans, 1, 1);
	expect_tls_bad(w, NULL, "no client certificate");
	webtls_free(w);
	/* Nothing asked, nothing checked, whatever the client sends. */
	w = load_auth(WEBCFG_NO_CLIENT_CERT, NULL, 0, 0);
	expect_tls_ok(w, NULL);
	expect_tls_ok(w, &fx.foreign);
	webtls_free(w);
}

static void
test_tls12_same_checks(void **state)
{
	struct webcfg_tls t;
	struct webtls *w;

	(void)state;
	t = tls_verify(WEBCFG_REQUIRE_AND_VERIFY);
	t.min_version = WEBCFG_TLS12;
	t.max_version = WEBCFG_TLS12;
	w = load_ok(&t);
	expect_tls_ok(w, &fx.client);
	assert_int_equal(tls_version, GNUTLS_TLS1_2);
	expect_tls_bad(w, &fx.foreign, "NOT trusted");
	expect_tls_bad(w, &fx.serveronly, "intended purpose");
	expect_tls_bad(w, NULL, "no client certificate");
	webtls_free(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_files_gives_their_bytes),
		cmocka_unit_test(test_load_verifying_reads_ca),
		cmocka_unit_test(test_priorities_from_versions),
		cmocka_unit_test(test_load_inline),
		cmocka_unit_test(test_load_copies_sans),
		cmocka_unit_test(test_forget_key_keeps_the_rest),
		cmocka_unit_test(test_pem_take),
		cmocka_unit_test(test_load_errors_name_the_file),
		cmocka_unit_test(test_load_errors_bad_pem),
		cmocka_unit_test(test_load_errors_bad_ca),
		cmocka_unit_test(test_load_errors_inline_origins),
		cmocka_unit_test(test_load_error_buffer),
		cmocka_unit_test(test_no_session_no_certificate),
		cmocka_unit_test(test_sans_each_kind_lets_in),
		cmocka_unit_test(test_sans_none_allowed_lists_them),
		cmocka_unit_test(test_sans_mapped_ipv4_as_go_prints_it),
		cmocka_unit_test(test_sans_cert_without_any),
		cmocka_unit_test(test_sans_empty_list_lets_nobody_in),
		cmocka_unit_test(test_sans_odd_ones_left_out),
		cmocka_unit_test(test_san_text_each_kind),
		cmocka_unit_test(test_sans_many_err_cut),
		cmocka_unit_test(test_sans_garbage_der),
		cmocka_unit_test(test_tls_right_client_in),
		cmocka_unit_test(test_tls_wrong_clients_out),
		cmocka_unit_test(test_tls_without_client_cert),
		cmocka_unit_test(test_tls12_same_checks),
	};

	return cmocka_run_group_tests_name("webtls", tests, group_setup,
	    group_teardown);
}
