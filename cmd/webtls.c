/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "webtls.h"
#include "err.h"

/* A SAN as text: a DNS name, e-mail address, IP address or URI. */
#define WEBTLS_MAX_SAN		1024

struct webtls {
	char		*cert;
	size_t		 cert_len;
	char		*key;		/* NULL once forgotten */
	size_t		 key_len;
	char		*trust;		/* NULL: no client certificate asked */
	char		 priorities[96];
	int		 client_auth;	/* enum webcfg_client_auth */
	char		**sans;
	size_t		 nsans;
	int		 sans_given;
};

static void	say(char *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes one line into err, when there is room for one. */
static void
say(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (errsz == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

/* Frees a buffer of len bytes that may hold a secret, zeroed first. */
static void
burn(char *p, size_t len)
{
	if (p == NULL)
		return;
	explicit_bzero(p, len);
	free(p);
}

/*
 * The PEM of one key of tls_server_config: the file (read now) or the
 * inline text (copied).  name is the file key, e.g. "cert_file".
 */
static int
pem_take(const char *name, const char *file, const char *inline_,
    char **out, size_t *len, char *err, size_t errsz)
{
	char why[256];
	int r;

	if (file != NULL) {
		r = webcfg_read(file, WEBTLS_MAX_PEM, out, len, why,
		    sizeof(why));
		if (r != 0)
			say(err, errsz, "tls_server_config.%s %s: %s", name,
			    file, why);
		/*
		 * libmicrohttpd takes the PEM as a C string: GnuTLS would
		 * check what follows a NUL, the daemon would never see it.
		 */
		else if (memchr(*out, '\0', *len) != NULL) {
			say(err, errsz, "tls_server_config.%s %s: a NUL byte "
			    "in the file", name, file);
			burn(*out, *len);
			*out = NULL;
			r = ERR_NUL;
		}
		return r;
	}
	if ((*out = strdup(inline_)) == NULL) {
		say(err, errsz, "out of memory");
		return ERR_NOMEM;
	}
	*len = strlen(*out);
	return 0;
}

/* Where a PEM came from, for an error line. */
static const char *
pem_origin(const char *file, const char *inline_name, char *buf,
    size_t bufsz)
{
	if (file == NULL)
		(void)snprintf(buf, bufsz, "(inline %s)", inline_name);
	else
		(void)snprintf(buf, bufsz, "%s", file);
	return buf;
}

/*
 * Loads the pair and the CAs into throw-away credentials: GnuTLS parses
 * every certificate and the key and checks that they match, as
 * libmicrohttpd's daemon will when it starts with them.
 */
static int
webtls_try(const struct webtls *w, const struct webcfg_tls *t, char *err,
    size_t errsz)
{
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;
	gnutls_datum_t c, k, ca;
	const char *pos = NULL;
	char o1[WEBTLS_MAX_SAN], o2[WEBTLS_MAX_SAN];
	int r, ret = ERR_INVAL;

	if (gnutls_certificate_allocate_credentials(&cred) < 0) {
		say(err, errsz, "out of memory");
		return ERR_NOMEM;
	}
	c.data = (unsigned char *)w->cert;
	c.size = (unsigned int)w->cert_len;
	k.data = (unsigned char *)w->key;
	k.size = (unsigned int)w->key_len;
	r = gnutls_certificate_set_x509_key_mem2(cred, &c, &k,
	    GNUTLS_X509_FMT_PEM, NULL, 0);
	if (r < 0) {
		say(err, errsz, "tls_server_config: certificate %s and key "
		    "%s: %s", pem_origin(t->cert_file, "cert", o1, sizeof(o1)),
		    pem_origin(t->key_file, "key", o2, sizeof(o2)),
		    gnutls_strerror(r));
		goto out;
	}
	if (w->trust != NULL) {
		ca.data = (unsigned char *)w->trust;
		ca.size = (unsigned int)strlen(w->trust);
		r = gnutls_certificate_set_x509_trust_mem(cred, &ca,
		    GNUTLS_X509_FMT_PEM);
		if (r <= 0) {
			say(err, errsz, "tls_server_config: client CA %s: %s",
			    pem_origin(t->client_ca_file, "client_ca", o1,
			    sizeof(o1)), r < 0 ? gnutls_strerror(r) :
			    "no certificate in it");
			goto out;
		}
	}
	if ((r = gnutls_priority_init(&prio, w->priorities, &pos)) < 0) {
		say(err, errsz, "tls_server_config: min_version and "
		    "max_version: GnuTLS refuses \"%s\": %s", w->priorities,
		    gnutls_strerror(r));
		goto out;
	}
	gnutls_priority_deinit(prio);
	ret = 0;
 out:
	gnutls_certificate_free_credentials(cred);
	return ret;
}

/* "+VERS-TLS1.2" for 0x0303... */
static void
webtls_priorities(struct webtls *w, int min, int max)
{
	size_t n;
	int v;

	n = (size_t)snprintf(w->priorities, sizeof(w->priorities),
	    "NORMAL:-VERS-ALL");
	for (v = min; v <= max && n < sizeof(w->priorities); v++)
		n += (size_t)snprintf(w->priorities + n,
		    sizeof(w->priorities) - n, ":+VERS-TLS1.%d", v - 0x0301);
}

/* Copies the allowed SANs.  0 or ERR_NOMEM. */
static int
webtls_copy_sans(struct webtls *w, const struct webcfg_tls *t)
{
	char **v;
	size_t i;

	w->sans_given = t->allowed_sans_given;
	if (t->nallowed_sans == 0)
		return 0;
	if ((v = calloc(t->nallowed_sans, sizeof(*v))) == NULL)
		return ERR_NOMEM;
	/* Counted as they come: webtls_free() frees what there is. */
	w->sans = v;
	for (i = 0; i < t->nallowed_sans; i++) {
		if ((v[i] = strdup(t->allowed_sans[i])) == NULL)
			return ERR_NOMEM;
		w->nsans = i + 1;
	}
	return 0;
}

int
webtls_load(const struct webcfg_tls *t, struct webtls **out, char *err,
    size_t errsz)
{
	struct webtls *w;
	size_t len;
	int r;

	*out = NULL;
	if (errsz > 0)
		err[0] = '\0';
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		say(err, errsz, "out of memory");
		return ERR_NOMEM;
	}
	w->client_auth = t->client_auth;
	webtls_priorities(w, t->min_version, t->max_version);
	if ((r = pem_take("cert_file", t->cert_file, t->cert_pem, &w->cert,
	    &w->cert_len, err, errsz)) != 0 ||
	    (r = pem_take("key_file", t->key_file, t->key_pem, &w->key,
	    &w->key_len, err, errsz)) != 0)
		goto fail;
	if (t->client_auth != WEBCFG_NO_CLIENT_CERT && (r = pem_take(
	    "client_ca_file", t->client_ca_file, t->client_ca_pem, &w->trust,
	    &len, err, errsz)) != 0)
		goto fail;
	if ((r = webtls_copy_sans(w, t)) != 0) {
		say(err, errsz, "out of memory");
		goto fail;
	}
	if ((r = webtls_try(w, t, err, errsz)) != 0)
		goto fail;
	*out = w;
	return 0;
 fail:
	webtls_free(w);
	return r;
}

void
webtls_free(struct webtls *w)
{
	size_t i;

	if (w == NULL)
		return;
	free(w->cert);
	burn(w->key, w->key_len);
	free(w->trust);
	for (i = 0; i < w->nsans; i++)
		free(w->sans[i]);
	free(w->sans);
	free(w);
}

void
webtls_pems(const struct webtls *w, struct webtls_pems *p)
{
	p->cert = w->cert;
	p->key = w->key;
	p->trust = w->trust;
	p->priorities = w->priorities;
}

void
webtls_forget_key(struct webtls *w)
{
	burn(w->key, w->key_len);
	w->key = NULL;
	w->key_len = 0;
}

/*
 * The SAN at seq as Go prints it (DNS names, e-mail addresses and URIs as
 * they are, IP addresses in their usual text form).  Returns 1 with the
 * text in buf, 0 for a SAN of another kind or too long, -1 past the last.
 */
static int
san_text(gnutls_x509_crt_t crt, unsigned int seq, char *buf, size_t bufsz)
{
	unsigned char raw[WEBTLS_MAX_SAN];
	size_t size = sizeof(raw) - 1;
	unsigned int critical;
	int type;

	type = gnutls_x509_crt_get_subject_alt_name(crt, seq, raw, &size,
	    &critical);
	if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		return -1;
	if (type < 0)
		return 0;
	switch (type) {
	case GNUTLS_SAN_DNSNAME:
	case GNUTLS_SAN_RFC822NAME:
	case GNUTLS_SAN_URI:
		/* An embedded NUL would make the name compare short. */
		if (memchr(raw, '\0', size) != NULL || size >= bufsz)
			return 0;
		memcpy(buf, raw, size);
		buf[size] = '\0';
		return 1;
	case GNUTLS_SAN_IPADDRESS:
		/* Go prints an IPv4-mapped IPv6 address as IPv4. */
		if (size == 16 && memcmp(raw, "\0\0\0\0\0\0\0\0\0\0\xff\xff",
		    12) == 0)
			return inet_ntop(AF_INET, raw + 12, buf,
			    (socklen_t)bufsz) != NULL;
		if (size == 4 || size == 16)
			return inet_ntop(size == 4 ? AF_INET : AF_INET6, raw,
			    buf, (socklen_t)bufsz) != NULL;
		return 0;
	default:
		return 0;
	}
}

/* Whether the leaf certificate carries an allowed SAN.  0 or ERR_INVAL. */
static int
webtls_check_sans(const struct webtls *w, const gnutls_datum_t *leaf,
    char *err, size_t errsz)
{
	gnutls_x509_crt_t crt;
	char san[WEBTLS_MAX_SAN], seen[256];
	size_t i, n = 0;
	unsigned int seq;
	int r, found = 0;

	seen[0] = '\0';
	if (gnutls_x509_crt_init(&crt) < 0) {
		say(err, errsz, "out of memory");
		return ERR_INVAL;
	}
	if (gnutls_x509_crt_import(crt, leaf, GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(crt);
		say(err, errsz, "client certificate does not parse");
		return ERR_INVAL;
	}
	for (seq = 0; !found && (r = san_text(crt, seq, san,
	    sizeof(san))) >= 0; seq++) {
		if (r == 0)
			continue;
		for (i = 0; i < w->nsans && !found; i++)
			found = strcmp(san, w->sans[i]) == 0;
		if (n < sizeof(seen))
			n += (size_t)snprintf(seen + n, sizeof(seen) - n,
			    "%s%s", n > 0 ? ", " : "", san);
	}
	gnutls_x509_crt_deinit(crt);
	if (found)
		return 0;
	say(err, errsz, "client certificate has no allowed SAN (it has: %s)",
	    seen[0] != '\0' ? seen : "none");
	return ERR_INVAL;
}

int
webtls_check_client(const struct webtls *w, gnutls_session_t session,
    char *err, size_t errsz)
{
	const gnutls_datum_t *peers;
	gnutls_typed_vdata_st purpose;
	gnutls_datum_t why;
	unsigned int n = 0, status = 0;
	int r;

	if (errsz > 0)
		err[0] = '\0';
	if (w->client_auth == WEBCFG_NO_CLIENT_CERT)
		return 0;
	peers = session != NULL ? gnutls_certificate_get_peers(session, &n) :
	    NULL;
	if (peers == NULL || n == 0) {
		if (w->client_auth == WEBCFG_VERIFY_IF_GIVEN && !w->sans_given)
			return 0;
		say(err, errsz, "no client certificate");
		return ERR_INVAL;
	}
	/* For TLS client use, as Go's ExtKeyUsageClientAuth. */
	memset(&purpose, 0, sizeof(purpose));
	purpose.type = GNUTLS_DT_KEY_PURPOSE_OID;
	purpose.data = (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT;
	r = gnutls_certificate_verify_peers(session, &purpose, 1, &status);
	if (r < 0) {
		say(err, errsz, "client certificate: %s", gnutls_strerror(r));
		return ERR_INVAL;
	}
	if (status != 0) {
		if (gnutls_certificate_verification_status_print(status,
		    GNUTLS_CRT_X509, &why, 0) == 0) {
			say(err, errsz, "client certificate: %s", why.data);
			gnutls_free(why.data);
		} else
			say(err, errsz, "client certificate not verified");
		return ERR_INVAL;
	}
	if (w->sans_given)
		return webtls_check_sans(w, &peers[0], err, errsz);
	return 0;
}
