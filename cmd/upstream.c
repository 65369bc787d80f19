/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curlver.h>

#include "upstream.h"
#include "caps.h"
#include "compat.h"
#include "err.h"
#include "log.h"
#include "promcfg.h"
#include "upclient.h"
#include "web.h"
#include "webcfg.h"

/*
 * libcurl 7.77 takes the CA as a blob, 7.71 the client certificate and
 * key: with them nothing but the parent opens the files.  An older
 * libcurl (RHEL 8's 7.61, RHEL 9's 7.76, or a build that pretends to
 * have one: make check-compat) gets the paths instead and the promql
 * helper's libcurl reads the files; PEM inline in the file is then
 * refused at start-up, naming the libcurl that would take it.
 */
#if PCE_CURL_HAS(BLOBS)
#define UP_BLOBS	1
#else
#define UP_BLOBS	0
#endif

/* A password, token or header file: a line, or a few. */
#define UP_MAX_SECRET	(64 * 1024)

static pthread_mutex_t up_mu = PTHREAD_MUTEX_INITIALIZER;
static struct promcfg up_cfg;		/* under up_mu */
static char up_path[FLAGS_MAX_STR];	/* "" without a file */
static char *up_url_user, *up_url_password;
static char *up_raw;			/* the password as given */
static size_t up_raw_len;
static unsigned long up_reloads;

/* The file's own checks, beyond its schema.  0, or ERR_INVAL with err. */
static int
up_check(const struct promcfg *p, char *err, size_t errsz)
{
	int auth = p->basic_auth || p->auth_type != NULL;

	if (auth && up_url_user != NULL) {
		(void)snprintf(err, errsz, "-promserver has a user and "
		    "password and %s sets %s: give one", up_path,
		    p->basic_auth ? "basic_auth" : "authorization");
		return ERR_INVAL;
	}
	if (!UP_BLOBS && (p->ca_pem != NULL || p->cert_pem != NULL ||
	    p->key_pem != NULL)) {
		(void)snprintf(err, errsz, "%s: tls_config.ca, cert and key "
		    "need libcurl 7.77 or later (built for %d.%d.%d): use "
		    "ca_file, cert_file and key_file", up_path,
		    PCE_CURL_VERSION >> 16, (PCE_CURL_VERSION >> 8) & 0xff,
		    PCE_CURL_VERSION & 0xff);
		return ERR_INVAL;
	}
	return 0;
}

/* Reads and checks up_path into *p.  0, or an ERR_* with err. */
static int
up_load(struct promcfg *p, char *err, size_t errsz)
{
	char why[512];
	int r;

	if ((r = promcfg_load(up_path, p, why, sizeof(why))) != 0) {
		(void)snprintf(err, errsz, "%s: %s%s", up_path, why,
		    r == ERR_SYSTEM ? " (read as the user the exporter runs "
		    "as)" : "");
		return r;
	}
	if ((r = up_check(p, err, errsz)) != 0) {
		promcfg_free(p);
		return r;
	}
	if (p->insecure_skip_verify)
		warn_kv(LOG_FIELDS({ "file", up_path }),
		    "tls_config.insecure_skip_verify: the upstream's "
		    "certificate is not verified");
	if (p->enable_http2_given)
		warn_kv(LOG_FIELDS({ "file", up_path }),
		    "enable_http2 is accepted but has no effect: libcurl "
		    "negotiates the HTTP version");
	return 0;
}

int
upstream_init(const struct config *cfg, char *bare, size_t baresz,
    char *err, size_t errsz)
{
	const char *raw;
	size_t rawlen;
	int r;

	if ((r = upclient_userinfo(cfg->promserver, bare, baresz,
	    &up_url_user, &up_url_password, &raw, &rawlen)) != 0) {
		(void)snprintf(err, errsz, "-promserver: %s in its user or "
		    "password", r == ERR_INVAL ? "a bad %XX escape" :
		    err_str(r));
		return r;
	}
	if (raw != NULL && rawlen > 0) {
		if ((up_raw = malloc(rawlen + 1)) == NULL) {
			(void)snprintf(err, errsz, "out of memory");
			return ERR_NOMEM;
		}
		memcpy(up_raw, raw, rawlen);
		up_raw[rawlen] = '\0';
		up_raw_len = rawlen;
	}
	if (up_url_user != NULL)
		warn_f("-promserver carries a user and password: they are "
		    "now hidden from the process list, but stay wherever the "
		    "flags are written; basic_auth in "
		    "--promserver.config.file keeps them in a file of their "
		    "own");
	if (cfg->promserver_config_file[0] == '\0')
		return 0;
	(void)snprintf(up_path, sizeof(up_path), "%s",
	    cfg->promserver_config_file);
	return up_load(&up_cfg, err, errsz);
}

const char *
upstream_raw_password(size_t *len)
{
	*len = up_raw_len;
	return up_raw;
}

void
upstream_reload(void)
{
	struct promcfg p, old;
	char err[1024];

	if (up_path[0] == '\0')
		return;
	up_reloads++;
	if (up_load(&p, err, sizeof(err)) != 0) {
		error_kv(LOG_FIELDS({ "file", up_path }, { "err", err }),
		    "upstream configuration not reloaded (SIGHUP %lu), the "
		    "previous one stays", up_reloads);
		return;
	}
	pthread_mutex_lock(&up_mu);
	old = up_cfg;
	up_cfg = p;
	pthread_mutex_unlock(&up_mu);
	promcfg_free(&old);
	info_kv(LOG_FIELDS({ "file", up_path }),
	    "upstream configuration reloaded (SIGHUP %lu)", up_reloads);
}

/*
 * A secret from a file, its surrounding white space trimmed as
 * Prometheus trims it.  0, or an ERR_* with why naming key and file.
 */
static int
up_read_secret(const char *key, const char *path, char **out, char *why,
    size_t whysz)
{
	char err[256], *buf;
	size_t len, a = 0;
	int r;

	*out = NULL;
	if ((r = webcfg_read(path, UP_MAX_SECRET, &buf, &len, err,
	    sizeof(err))) != 0) {
		(void)snprintf(why, whysz, "%s %s: %s", key, path, err);
		return r;
	}
	if (memchr(buf, '\0', len) != NULL) {
		(void)snprintf(why, whysz, "%s %s: a NUL byte in the file",
		    key, path);
		explicit_bzero(buf, len);
		free(buf);
		return ERR_NUL;
	}
	while (len > 0 && strchr(" \t\r\n\v\f", buf[len - 1]) != NULL)
		buf[--len] = '\0';
	while (a < len && strchr(" \t\r\n\v\f", buf[a]) != NULL)
		a++;
	memmove(buf, buf + a, len - a + 1);
	*out = buf;
	return 0;
}

/* A PEM: the file's content with blobs, else its path. */
static int
up_pem(const char *key, const char *inline_, const char *path,
    char **pem, char **file, char *why, size_t whysz)
{
	char err[256];
	size_t len;
	int r;

	if (inline_ != NULL)
		return (*pem = strdup(inline_)) == NULL ? ERR_NOMEM : 0;
	if (path == NULL)
		return 0;
	if (!UP_BLOBS)
		return (*file = strdup(path)) == NULL ? ERR_NOMEM : 0;
	if ((r = webcfg_read(path, UPCLIENT_MAX / 2, pem, &len, err,
	    sizeof(err))) != 0)
		(void)snprintf(why, whysz, "%s %s: %s", key, path, err);
	return r;
}

/* Copies s (may be NULL) into *out.  0 or ERR_NOMEM. */
static int
up_dup(const char *s, char **out)
{
	*out = NULL;
	if (s == NULL)
		return 0;
	return (*out = strdup(s)) == NULL ? ERR_NOMEM : 0;
}

/* The credentials: basic auth, an Authorization header, or the URL's. */
static int
up_auth(const struct promcfg *p, struct upclient *c, char *why,
    size_t whysz)
{
	int r;

	if (p->basic_auth) {
		if ((r = up_dup(p->username != NULL ? p->username : "",
		    &c->username)) != 0)
			return r;
		if (p->password_file != NULL)
			return up_read_secret("basic_auth.password_file",
			    p->password_file, &c->password, why, whysz);
		return up_dup(p->password != NULL ? p->password : "",
		    &c->password);
	}
	if (p->auth_type != NULL) {
		if ((r = up_dup(p->auth_type, &c->auth_type)) != 0)
			return r;
		if (p->credentials_file != NULL)
			return up_read_secret("credentials_file",
			    p->credentials_file, &c->credentials, why, whysz);
		return up_dup(p->credentials != NULL ? p->credentials : "",
		    &c->credentials);
	}
	if (up_url_user == NULL)
		return 0;
	if ((r = up_dup(up_url_user, &c->username)) != 0)
		return r;
	return up_dup(up_url_password != NULL ? up_url_password : "",
	    &c->password);
}

/* http_headers: values, secrets, and files read now. */
static int
up_headers(const struct promcfg *p, struct upclient *c, char *why,
    size_t whysz)
{
	const struct promcfg_header *h;
	char key[320], *v;
	size_t i, k;
	int r = 0;

	for (i = 0; r == 0 && i < p->nheaders; i++) {
		h = &p->headers[i];
		for (k = 0; r == 0 && k < h->nvalues; k++)
			r = upclient_add_header(c, h->name, h->values[k], 0);
		for (k = 0; r == 0 && k < h->nsecrets; k++)
			r = upclient_add_header(c, h->name, h->secrets[k], 1);
		for (k = 0; r == 0 && k < h->nfiles; k++) {
			(void)snprintf(key, sizeof(key), "http_headers.%s."
			    "files", h->name);
			if ((r = up_read_secret(key, h->files[k], &v, why,
			    whysz)) != 0)
				break;
			r = upclient_add_header(c, h->name, v, 1);
			explicit_bzero(v, strlen(v));
			free(v);
		}
	}
	return r;
}

/* What the file says, files read now, into c (up_mu held). */
static int
up_settings(const struct promcfg *p, struct upclient *c, char *why,
    size_t whysz)
{
	int r;

	c->proxy = p->proxy_url != NULL ? UPCLIENT_PROXY_URL :
	    p->proxy_from_environment ? UPCLIENT_PROXY_ENV :
	    UPCLIENT_PROXY_NONE;
	c->follow_redirects = p->follow_redirects;
	c->insecure = p->insecure_skip_verify;
	c->min_version = p->min_version;
	c->max_version = p->max_version;
	if ((r = up_auth(p, c, why, whysz)) != 0 ||
	    (r = up_dup(p->proxy_url, &c->proxy_url)) != 0 ||
	    (r = up_dup(p->no_proxy, &c->no_proxy)) != 0 ||
	    (r = up_dup(p->server_name, &c->server_name)) != 0 ||
	    (r = up_pem("tls_config.ca_file", p->ca_pem, p->ca_file,
	    &c->ca_pem, &c->ca_file, why, whysz)) != 0 ||
	    (r = up_pem("tls_config.cert_file", p->cert_pem, p->cert_file,
	    &c->cert_pem, &c->cert_file, why, whysz)) != 0 ||
	    (r = up_pem("tls_config.key_file", p->key_pem, p->key_file,
	    &c->key_pem, &c->key_file, why, whysz)) != 0)
		return r;
	return up_headers(p, c, why, whysz);
}

int
upstream_client(struct buf *out, char *why, size_t whysz)
{
	struct upclient c;
	int r;

	upclient_defaults(&c);
	why[0] = '\0';
	pthread_mutex_lock(&up_mu);
	if (up_path[0] != '\0')
		r = up_settings(&up_cfg, &c, why, whysz);
	else
		r = up_auth(&up_cfg, &c, why, whysz);
	pthread_mutex_unlock(&up_mu);
	if (r == 0 && (r = upclient_put(out, &c)) != 0)
		(void)snprintf(why, whysz, "the upstream settings: %s",
		    err_str(r));
	else if (r != 0 && why[0] == '\0')
		(void)snprintf(why, whysz, "the upstream settings: %s",
		    err_str(r));
	upclient_free(&c);
	return r;
}

/* Appends path to files when there is room.  1 if added. */
static size_t
up_file(char files[][WEB_PATH_MAX], size_t n, size_t max, const char *path)
{
	if (path == NULL || n >= max || (size_t)snprintf(files[n],
	    WEB_PATH_MAX, "%s", path) >= WEB_PATH_MAX)
		return 0;
	return 1;
}

size_t
upstream_files(char files[][WEB_PATH_MAX], size_t max)
{
	const struct promcfg *p = &up_cfg;
	size_t i, k, n = 0;

	n += up_file(files, n, max, p->password_file);
	n += up_file(files, n, max, p->credentials_file);
	n += up_file(files, n, max, p->ca_file);
	n += up_file(files, n, max, p->cert_file);
	n += up_file(files, n, max, p->key_file);
	for (i = 0; i < p->nheaders; i++)
		for (k = 0; k < p->headers[i].nfiles; k++)
			n += up_file(files, n, max, p->headers[i].files[k]);
	return n;
}

size_t
upstream_helper_allow(char out[][FLAGS_MAX_STR + 8], size_t max)
{
	const struct promcfg *p = &up_cfg;
	const char *tls[3];
	size_t i, n = 0;
	char *slash;

	if (p->proxy_url != NULL && n < max &&
	    upclient_url_port(p->proxy_url) != 0)
		(void)snprintf(out[n++], sizeof(out[0]), "port:%u",
		    upclient_url_port(p->proxy_url));
	/* Without blobs the helper's libcurl opens the TLS files. */
	tls[0] = UP_BLOBS ? NULL : p->ca_file;
	tls[1] = UP_BLOBS ? NULL : p->cert_file;
	tls[2] = UP_BLOBS ? NULL : p->key_file;
	for (i = 0; i < 3 && n < max; i++) {
		if (tls[i] == NULL || tls[i][0] != '/')
			continue;
		(void)snprintf(out[n], sizeof(out[0]), "path:%s", tls[i]);
		if ((slash = strrchr(out[n], '/')) != NULL &&
		    slash > out[n] + 5)
			*slash = '\0';
		n++;
	}
	return n;
}
