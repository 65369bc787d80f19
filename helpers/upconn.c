/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "upconn.h"
#include "compat.h"
#include "err.h"

/* As cmd/upstream.c decides: blobs, or the files by path. */
#if PCE_CURL_HAS(BLOBS)
#define UPCONN_BLOBS	1
#else
#define UPCONN_BLOBS	0
#endif

/* A URL's origin, lower-cased, with its port made explicit. */
struct origin {
	char	scheme[8];
	char	host[256];	/* [v6] keeps its brackets */
	char	port[8];
	size_t	rest;		/* offset of the path in the URL */
	size_t	auth;		/* offset of the authority */
};

/* Splits url into its origin.  0, or ERR_INVAL. */
static int
origin_of(const char *url, struct origin *o)
{
	const char *a, *end, *h, *colon = NULL, *p;
	size_t n;

	memset(o, 0, sizeof(*o));
	if ((a = strstr(url, "://")) == NULL || (size_t)(a - url) >=
	    sizeof(o->scheme))
		return ERR_INVAL;
	for (n = 0; url + n < a; n++)
		o->scheme[n] = (char)tolower((unsigned char)url[n]);
	a += 3;
	end = a + strcspn(a, "/?#");
	o->auth = (size_t)(a - url);
	o->rest = (size_t)(end - url);
	/* Past any user:password@ (the last @ of the authority). */
	for (h = a, p = a; p < end; p++)
		if (*p == '@')
			h = p + 1;
	if (*h == '[') {
		if ((p = memchr(h, ']', (size_t)(end - h))) == NULL)
			return ERR_INVAL;
		colon = p + 1 < end && p[1] == ':' ? p + 1 : NULL;
		n = (size_t)(p + 1 - h);
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
		n = (size_t)((colon != NULL ? colon : end) - h);
	}
	if (n == 0 || n >= sizeof(o->host))
		return ERR_INVAL;
	for (p = h; p < h + n; p++)
		o->host[p - h] = (char)tolower((unsigned char)*p);
	if (colon != NULL && (size_t)(end - colon - 1) < sizeof(o->port) &&
	    end - colon - 1 > 0)
		memcpy(o->port, colon + 1, (size_t)(end - colon - 1));
	else if (colon != NULL)
		return ERR_INVAL;
	else
		(void)snprintf(o->port, sizeof(o->port), "%s",
		    strcmp(o->scheme, "https") == 0 ? "443" : "80");
	return 0;
}

int
upconn_same_origin(const char *a, const char *b)
{
	struct origin x, y;

	if (origin_of(a, &x) != 0 || origin_of(b, &y) != 0)
		return 0;
	return strcmp(x.scheme, y.scheme) == 0 &&
	    strcmp(x.host, y.host) == 0 && strcmp(x.port, y.port) == 0;
}

/* Standard base64 of n bytes into out (4 * ceil(n / 3) + 1 bytes). */
static void
base64(const unsigned char *p, size_t n, char *out)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t v;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*out++ = a[v >> 18];
		*out++ = a[(v >> 12) & 63];
		*out++ = a[(v >> 6) & 63];
		*out++ = a[v & 63];
	}
	if (i < n) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		*out++ = a[v >> 18];
		*out++ = a[(v >> 12) & 63];
		*out++ = i + 1 < n ? a[(v >> 6) & 63] : '=';
		*out++ = '=';
	}
	*out = '\0';
}

/* Appends "name: value" (or "name;" for an empty value) to *l. */
static int
add_header(struct curl_slist **l, const char *name, const char *value)
{
	struct curl_slist *n;
	size_t len = strlen(name) + strlen(value) + 3;
	char *line;

	if ((line = malloc(len)) == NULL)
		return ERR_NOMEM;
	if (value[0] == '\0')
		(void)snprintf(line, len, "%s;", name);
	else
		(void)snprintf(line, len, "%s: %s", name, value);
	n = curl_slist_append(*l, line);
	explicit_bzero(line, len);
	free(line);
	if (n == NULL)
		return ERR_NOMEM;
	*l = n;
	return 0;
}

/* Authorization: Basic, or TYPE CREDENTIALS. */
static int
add_auth(struct curl_slist **l, const struct upclient *c)
{
	size_t ul, pl, n;
	char *raw, *enc, *v;
	int r;

	if (c->auth_type != NULL) {
		n = strlen(c->auth_type) + strlen(c->credentials != NULL ?
		    c->credentials : "") + 2;
		if ((v = malloc(n)) == NULL)
			return ERR_NOMEM;
		(void)snprintf(v, n, "%s %s", c->auth_type,
		    c->credentials != NULL ? c->credentials : "");
		r = add_header(l, "Authorization", v);
		explicit_bzero(v, n);
		free(v);
		return r;
	}
	if (c->username == NULL && c->password == NULL)
		return 0;
	ul = c->username != NULL ? strlen(c->username) : 0;
	pl = c->password != NULL ? strlen(c->password) : 0;
	raw = malloc(ul + pl + 2);
	enc = malloc(4 * ((ul + pl + 3) / 3) + 8);
	if (raw == NULL || enc == NULL) {
		free(raw);
		free(enc);
		return ERR_NOMEM;
	}
	(void)snprintf(raw, ul + pl + 2, "%s:%s", c->username != NULL ?
	    c->username : "", c->password != NULL ? c->password : "");
	memcpy(enc, "Basic ", 6);
	base64((const unsigned char *)raw, ul + pl + 1, enc + 6);
	r = add_header(l, "Authorization", enc);
	explicit_bzero(raw, ul + pl + 2);
	explicit_bzero(enc, strlen(enc));
	free(raw);
	free(enc);
	return r;
}

/* The headers of one request; secrets only for a trusted origin. */
static int
make_headers(const struct upclient *c, int trusted, const char *host,
    struct curl_slist **l)
{
	size_t i;
	int r = 0;

	if (trusted)
		r = add_auth(l, c);
	for (i = 0; r == 0 && i < c->nheaders; i++)
		if (trusted || !c->headers[i].secret)
			r = add_header(l, c->headers[i].name,
			    c->headers[i].value);
	if (r == 0 && host != NULL)
		r = add_header(l, "Host", host);
	return r;
}

static long
tls_min(int v)
{
	switch (v) {
	case 0x0301: return CURL_SSLVERSION_TLSv1_0;
	case 0x0302: return CURL_SSLVERSION_TLSv1_1;
	case 0x0303: return CURL_SSLVERSION_TLSv1_2;
	case 0x0304: return CURL_SSLVERSION_TLSv1_3;
	default: return CURL_SSLVERSION_DEFAULT;
	}
}

static long
tls_max(int v)
{
	switch (v) {
	case 0x0301: return CURL_SSLVERSION_MAX_TLSv1_0;
	case 0x0302: return CURL_SSLVERSION_MAX_TLSv1_1;
	case 0x0303: return CURL_SSLVERSION_MAX_TLSv1_2;
	case 0x0304: return CURL_SSLVERSION_MAX_TLSv1_3;
	default: return CURL_SSLVERSION_MAX_DEFAULT;
	}
}

/* The CA, certificate and key: blobs, or files (an older libcurl). */
static int
set_tls_files(CURL *e, const struct upclient *c, char *why, size_t whysz)
{
#if UPCONN_BLOBS
	struct curl_blob b;

	b.flags = CURL_BLOB_COPY;
	if (c->ca_pem != NULL) {
		b.data = c->ca_pem;
		b.len = strlen(c->ca_pem);
		curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &b);
	}
	if (c->cert_pem != NULL) {
		b.data = c->cert_pem;
		b.len = strlen(c->cert_pem);
		curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &b);
		curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
	}
	if (c->key_pem != NULL) {
		b.data = c->key_pem;
		b.len = strlen(c->key_pem);
		curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &b);
		curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
	}
#else
	if (c->ca_pem != NULL || c->cert_pem != NULL || c->key_pem != NULL) {
		(void)snprintf(why, whysz, "inline PEM needs libcurl 7.77 or "
		    "later");
		return ERR_INVAL;
	}
#endif
	(void)why;
	(void)whysz;
	if (c->ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
	if (c->cert_file != NULL)
		curl_easy_setopt(e, CURLOPT_SSLCERT, c->cert_file);
	if (c->key_file != NULL)
		curl_easy_setopt(e, CURLOPT_SSLKEY, c->key_file);
	/* The given CA alone, as Go's pool: not the system's as well. */
	if (c->ca_pem != NULL || c->ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	return 0;
}

/*
 * tls_config.server_name: the name checked in the certificate and sent
 * as SNI, while the connection goes to the first URL's host and Host
 * stays its authority (as Go's tls.Config.ServerName).  Applies to a
 * request to the first URL's origin, or to a redirect already resolved
 * against the renamed one; *alt gets the URL to ask, when it changes.
 */
static int
set_server_name(CURL *e, const struct upclient *c, const char *url,
    const char *first, char **alt, char *host, size_t hostsz,
    struct curl_slist **connect)
{
	struct origin o, f;
	size_t n;
	char map[600];
	int renamed;

	*alt = NULL;
	host[0] = '\0';
	if (c->server_name == NULL || origin_of(url, &o) != 0 ||
	    origin_of(first, &f) != 0 || strcmp(f.scheme, "https") != 0 ||
	    strcmp(o.scheme, "https") != 0 || strcmp(o.port, f.port) != 0)
		return 0;
	renamed = strcasecmp(o.host, c->server_name) == 0;
	if (!renamed && strcmp(o.host, f.host) != 0)
		return 0;
	(void)snprintf(host, hostsz, "%.*s", (int)(f.rest - f.auth),
	    first + f.auth);
	if (!renamed) {
		n = strlen(url) + strlen(c->server_name) + 16;
		if ((*alt = malloc(n)) == NULL)
			return ERR_NOMEM;
		(void)snprintf(*alt, n, "https://%s:%s%s", c->server_name,
		    o.port, url + o.rest);
	}
	(void)snprintf(map, sizeof(map), "%s:%s:%s:%s", c->server_name,
	    f.port, f.host, f.port);
	if ((*connect = curl_slist_append(NULL, map)) == NULL)
		return ERR_NOMEM;
	curl_easy_setopt(e, CURLOPT_CONNECT_TO, *connect);
	return 0;
}

int
upconn_setup(CURL *e, const struct upclient *c, const char *url,
    const char *first, int trusted, struct upconn *u, char *why,
    size_t whysz)
{
	char host[300], *alt = NULL;
	int r = 0;

	memset(u, 0, sizeof(*u));
	host[0] = '\0';
	why[0] = '\0';
	if (trusted && (r = set_server_name(e, c, url, first, &alt, host,
	    sizeof(host), &u->connect_to)) != 0)
		goto out;
	/* libcurl copies string options. */
	curl_easy_setopt(e, CURLOPT_URL, alt != NULL ? alt : url);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	if ((r = make_headers(c, trusted, host[0] != '\0' ? host : NULL,
	    &u->headers)) != 0)
		goto out;
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, u->headers);
	if ((r = set_tls_files(e, c, why, whysz)) != 0)
		goto out;
	if (c->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	curl_easy_setopt(e, CURLOPT_SSLVERSION, tls_min(c->min_version) |
	    tls_max(c->max_version));
	if (c->proxy == UPCLIENT_PROXY_NONE)
		curl_easy_setopt(e, CURLOPT_PROXY, "");
	else if (c->proxy == UPCLIENT_PROXY_URL) {
		curl_easy_setopt(e, CURLOPT_PROXY, c->proxy_url);
		curl_easy_setopt(e, CURLOPT_NOPROXY, c->no_proxy != NULL ?
		    c->no_proxy : "");
	}
 out:
	free(alt);
	if (r != 0 && why[0] == '\0')
		(void)snprintf(why, whysz, "setting up the request: %s",
		    err_str(r));
	return r;
}

void
upconn_release(struct upconn *u)
{
	struct curl_slist *l;

	for (l = u->headers; l != NULL; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(u->headers);
	curl_slist_free_all(u->connect_to);
	memset(u, 0, sizeof(*u));
}
