/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "promcfg.h"
#include "err.h"
#include "yamlcfg.h"

/*
 * The file is walked as libyaml events against the schema of
 * prometheus/common's HTTPClientConfig (lib/yamlcfg.h).  Each value goes
 * straight into the struct promcfg being built, which owns it, so that one
 * promcfg_free() releases whatever a failure leaves; only bearer_token and
 * bearer_token_file wait in struct ctx until Validate()'s rules have seen
 * them beside authorization.
 */

#define FAIL(x, ...)	YAMLCFG_FAIL(&(x)->y, __VA_ARGS__)
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Every string of a struct promcfg is made and freed with these. */
YAMLCFG_MEM(mem);

/* In the order of HTTPClientConfig and ProxyConfig (http_config.go). */
enum {
	F_BASIC, F_AUTHZ, F_OAUTH2, F_BEARER, F_BEARER_FILE, F_TLS,
	F_PROXY_URL, F_NO_PROXY, F_PROXY_ENV, F_PROXY_HEADER, F_FOLLOW,
	F_HTTP2, F_HEADERS, F_NFIELDS
};
enum { B_USERNAME, B_PASSWORD, B_PASSWORD_FILE, B_NFIELDS };
enum { A_TYPE, A_CREDENTIALS, A_CREDENTIALS_FILE, A_NFIELDS };
enum {
	T_CA, T_CA_FILE, T_CERT, T_CERT_FILE, T_KEY, T_KEY_FILE,
	T_SERVER_NAME, T_INSECURE, T_MIN, T_MAX, T_NFIELDS
};
enum { H_VALUES, H_SECRETS, H_FILES, H_NFIELDS };

struct ctx {
	struct yamlcfg	 y;
	struct promcfg	*c;
	struct promcfg_header *h;	/* the header being read */
	char		*bearer;	/* bearer_token: a secret */
	char		*bearer_file;
	int		 authz;		/* authorization given, a mapping */
	yaml_mark_t	 marks[F_NFIELDS];	/* where each key was */
	yaml_mark_t	 basic_marks[B_NFIELDS];
	yaml_mark_t	 authz_marks[A_NFIELDS];
	yaml_mark_t	 tls_marks[T_NFIELDS];
	yaml_mark_t	 header_marks[H_NFIELDS];
};

static const struct yamlcfg_field top_fields[F_NFIELDS] = {
	[F_BASIC] = { "basic_auth", NULL },
	[F_AUTHZ] = { "authorization", NULL },
	[F_OAUTH2] = { "oauth2", "not supported by this exporter; use "
	    "authorization or basic_auth" },
	[F_BEARER] = { "bearer_token", NULL },
	[F_BEARER_FILE] = { "bearer_token_file", NULL },
	[F_TLS] = { "tls_config", NULL },
	[F_PROXY_URL] = { "proxy_url", NULL },
	[F_NO_PROXY] = { "no_proxy", NULL },
	[F_PROXY_ENV] = { "proxy_from_environment", NULL },
	[F_PROXY_HEADER] = { "proxy_connect_header", "not supported by this "
	    "exporter; put the proxy's credentials in proxy_url" },
	[F_FOLLOW] = { "follow_redirects", NULL },
	[F_HTTP2] = { "enable_http2", NULL },
	[F_HEADERS] = { "http_headers", NULL },
};

static const struct yamlcfg_field basic_fields[B_NFIELDS] = {
	[B_USERNAME] = { "username", NULL },
	[B_PASSWORD] = { "password", NULL },
	[B_PASSWORD_FILE] = { "password_file", NULL },
};

static const struct yamlcfg_field authz_fields[A_NFIELDS] = {
	[A_TYPE] = { "type", NULL },
	[A_CREDENTIALS] = { "credentials", NULL },
	[A_CREDENTIALS_FILE] = { "credentials_file", NULL },
};

static const struct yamlcfg_field tls_fields[T_NFIELDS] = {
	[T_CA] = { "ca", NULL },
	[T_CA_FILE] = { "ca_file", NULL },
	[T_CERT] = { "cert", NULL },
	[T_CERT_FILE] = { "cert_file", NULL },
	[T_KEY] = { "key", NULL },
	[T_KEY_FILE] = { "key_file", NULL },
	[T_SERVER_NAME] = { "server_name", NULL },
	[T_INSECURE] = { "insecure_skip_verify", NULL },
	[T_MIN] = { "min_version", NULL },
	[T_MAX] = { "max_version", NULL },
};

static const struct yamlcfg_field header_fields[H_NFIELDS] = {
	[H_VALUES] = { "values", NULL },
	[H_SECRETS] = { "secrets", NULL },
	[H_FILES] = { "files", NULL },
};

/*
 * prometheus/common's reservedHeaders (config/headers.go): the client sets
 * them itself, or they carry what other keys configure.
 */
static const char *const reserved_headers[] = {
	"Authorization", "Host", "Content-Encoding", "Content-Length",
	"Content-Type", "User-Agent", "Connection", "Keep-Alive",
	"Proxy-Authenticate", "Proxy-Authorization", "WWW-Authenticate",
	"Accept-Encoding", "X-Prometheus-Remote-Write-Version",
	"X-Prometheus-Remote-Read-Version",
	"X-Prometheus-Scrape-Timeout-Seconds", "X-Amz-Date",
	"X-Amz-Security-Token", "X-Amz-Content-Sha256",
};

/* The schemes a proxy_url may have: what Go's http.Transport dials. */
static const char *const proxy_schemes[] = {
	"http://", "https://", "socks5://", "socks5h://",
};

/* The one of two keys given later in the file, for a message. */
static const yaml_mark_t *
later(const yaml_mark_t *a, const yaml_mark_t *b)
{
	return a->index > b->index ? a : b;
}

/*
 * A value that goes into a request header as it is (credentials,
 * authorization type): no CR or LF could add a header of its own.  The
 * message names the key only: the value may be a secret.
 */
static int
check_header_value(struct ctx *x, const char *s, const char *path,
    const yaml_mark_t *m)
{
	if (s != NULL && !yamlcfg_header_value_ok(s))
		return FAIL(x, ERR_INVAL, m, "%s: control character in the "
		    "value", path);
	return 0;
}

static int
basic_field(void *arg, size_t i, const char *path)
{
	struct ctx *x = arg;
	struct promcfg *c = x->c;

	switch (i) {
	case B_USERNAME:
		return yamlcfg_read_opt(&x->y, path, 0, &c->username);
	case B_PASSWORD:
		return yamlcfg_read_opt(&x->y, path, 0, &c->password);
	default:
		return yamlcfg_read_opt(&x->y, path, 1, &c->password_file);
	}
}

static int
authz_field(void *arg, size_t i, const char *path)
{
	struct ctx *x = arg;
	struct promcfg *c = x->c;
	int r;

	switch (i) {
	case A_TYPE:
		return yamlcfg_read_opt(&x->y, path, 0, &c->auth_type);
	case A_CREDENTIALS:
		if ((r = yamlcfg_read_opt(&x->y, path, 0,
		    &c->credentials)) != 0)
			return r;
		return check_header_value(x, c->credentials, path,
		    &x->authz_marks[A_CREDENTIALS]);
	default:
		return yamlcfg_read_opt(&x->y, path, 1, &c->credentials_file);
	}
}

static int
tls_field(void *arg, size_t i, const char *path)
{
	struct ctx *x = arg;
	struct promcfg *c = x->c;
	struct yamlcfg *y = &x->y;

	switch (i) {
	case T_CA:
		return yamlcfg_read_opt(y, path, 0, &c->ca_pem);
	case T_CA_FILE:
		return yamlcfg_read_opt(y, path, 1, &c->ca_file);
	case T_CERT:
		return yamlcfg_read_opt(y, path, 0, &c->cert_pem);
	case T_CERT_FILE:
		return yamlcfg_read_opt(y, path, 1, &c->cert_file);
	case T_KEY:
		return yamlcfg_read_opt(y, path, 0, &c->key_pem);
	case T_KEY_FILE:
		return yamlcfg_read_opt(y, path, 1, &c->key_file);
	case T_SERVER_NAME:
		return yamlcfg_read_opt(y, path, 0, &c->server_name);
	case T_INSECURE:
		return yamlcfg_read_bool(y, path, &c->insecure_skip_verify);
	case T_MIN:
		return yamlcfg_read_tls_version(y, path, &c->min_version);
	default:
		return yamlcfg_read_tls_version(y, path, &c->max_version);
	}
}

/*
 * A URL Go's http.Transport can use as a proxy: a scheme it dials, then a
 * host (after any user:password@), and no byte a URL cannot hold.
 */
static int
proxy_url_ok(const char *s)
{
	const char *host = NULL, *end, *p;
	size_t i, n;

	for (i = 0; i < NELEM(proxy_schemes) && host == NULL; i++) {
		n = strlen(proxy_schemes[i]);
		if (strncasecmp(s, proxy_schemes[i], n) == 0)
			host = s + n;
	}
	if (host == NULL)
		return 0;
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return 0;
	end = host + strcspn(host, "/?#");
	for (p = end; p > host; p--)
		if (p[-1] == '@')
			break;
	if (p > host)
		host = p;
	if (host == end || *host == ':')
		return 0;
	/* An IPv6 literal: "[", something, "]". */
	if (*host == '[')
		return (p = memchr(host, ']', (size_t)(end - host))) != NULL &&
		    p > host + 1;
	return 1;
}

static int
proxy_url(struct ctx *x, const char *path)
{
	int r;

	if ((r = yamlcfg_read_opt(&x->y, path, 0, &x->c->proxy_url)) != 0)
		return r;
	/* Not quoted: the URL may hold a password. */
	if (x->c->proxy_url != NULL && !proxy_url_ok(x->c->proxy_url))
		return FAIL(x, ERR_INVAL, &x->marks[F_PROXY_URL], "%s: "
		    "expected an http://, https://, socks5:// or socks5h:// "
		    "URL with a host", path);
	return 0;
}

/* RFC 9110 token: what a header name is made of. */
static int
header_name_ok(const char *s)
{
	if (s[0] == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') ||
		    strchr("!#$%&'*+-.^_`|~", *s) != NULL))
			return 0;
	return 1;
}

/*
 * A list of the header being read, x->h; the values and secrets read are
 * checked as they will go into a request.
 */
static int
header_field(void *arg, size_t i, const char *path)
{
	struct ctx *x = arg;
	struct promcfg_header *h = x->h;
	char ***list;
	size_t *n, first, k;
	int r;

	list = i == H_VALUES ? &h->values : i == H_SECRETS ? &h->secrets :
	    &h->files;
	n = i == H_VALUES ? &h->nvalues : i == H_SECRETS ? &h->nsecrets :
	    &h->nfiles;
	first = *n;
	if ((r = yamlcfg_read_strings(&x->y, path, i == H_FILES,
	    PROMCFG_MAX_VALUES, "PROMCFG_MAX_VALUES", list, n, NULL)) != 0)
		return r;
	if (i == H_FILES)
		return 0;
	for (k = first; k < *n; k++)
		if (!yamlcfg_header_value_ok((*list)[k]))
			return FAIL(x, ERR_INVAL, &x->header_marks[i],
			    "%s[%zu]: control character in the value", path,
			    k);
	return 0;
}

/*
 * One entry of http_headers, whose key is the current event: the name
 * checked, an entry appended to c->headers, then its lists read into it.
 */
static int
header(struct ctx *x, const char *key, const char *path)
{
	struct promcfg *c = x->c;
	struct promcfg_header *n;
	yaml_mark_t mark = x->y.ev.start_mark;
	size_t i;
	int r;

	if (!header_name_ok(key))
		return FAIL(x, ERR_INVAL, &mark, "%s: not a header name "
		    "(letters, digits and !#$%%&'*+-.^_`|~ only)", path);
	for (i = 0; i < NELEM(reserved_headers); i++)
		if (strcasecmp(key, reserved_headers[i]) == 0)
			return FAIL(x, ERR_INVAL, &mark, "%s: setting header "
			    "\"%s\" is not allowed", path,
			    reserved_headers[i]);
	for (i = 0; i < c->nheaders; i++)
		if (strcasecmp(key, c->headers[i].name) == 0)
			return FAIL(x, ERR_INVAL, &mark, "%s: duplicate key "
			    "(header names are compared without case)", path);
	if (c->nheaders == PROMCFG_MAX_HEADERS)
		return FAIL(x, ERR_TOOBIG, &mark, "%s: more than %d headers "
		    "(PROMCFG_MAX_HEADERS)", path, PROMCFG_MAX_HEADERS);
	if ((n = realloc(c->headers, (c->nheaders + 1) * sizeof(*n))) ==
	    NULL)
		return FAIL(x, ERR_NOMEM, NULL, "%s: out of memory", path);
	c->headers = n;
	x->h = &c->headers[c->nheaders];
	memset(x->h, 0, sizeof(*x->h));
	if ((x->h->name = yamlcfg_dup(&mem, key, strlen(key))) == NULL)
		return FAIL(x, ERR_NOMEM, NULL, "%s: out of memory", path);
	c->nheaders++;
	memset(x->header_marks, 0, sizeof(x->header_marks));
	if ((r = yamlcfg_read_map(&x->y, path, header_fields,
	    NELEM(header_fields), header_field, x, x->header_marks,
	    NULL)) != 0)
		return r;
	if (x->h->nvalues + x->h->nsecrets + x->h->nfiles == 0)
		return FAIL(x, ERR_INVAL, &mark, "%s: no value: give values, "
		    "secrets or files", path);
	if (x->h->nvalues + x->h->nsecrets + x->h->nfiles >
	    PROMCFG_MAX_VALUES)
		return FAIL(x, ERR_TOOBIG, &mark, "%s: more than %d values, "
		    "secrets and files (PROMCFG_MAX_VALUES)", path,
		    PROMCFG_MAX_VALUES);
	return 0;
}

static int
headers(struct ctx *x, const char *path)
{
	char sub[YAMLCFG_PATH_LEN];
	const char *key;
	size_t klen;
	int r;

	if ((r = yamlcfg_open(&x->y, path, YAML_MAPPING_START_EVENT,
	    "a mapping of header names to values")) <= 0)
		return r;
	for (;;) {
		if ((r = yamlcfg_next_key(&x->y, path, &key, &klen, sub,
		    sizeof(sub))) <= 0)
			return r;
		/* A null name is yaml.v2's zero string: no header name. */
		if (yamlcfg_is_null(&x->y))
			key = "";
		if ((r = header(x, key, sub)) != 0)
			return r;
	}
}

static int
top_field(void *arg, size_t i, const char *path)
{
	struct ctx *x = arg;
	struct promcfg *c = x->c;
	struct yamlcfg *y = &x->y;
	int http2;

	switch (i) {
	case F_BASIC:
		return yamlcfg_read_map(y, path, basic_fields,
		    NELEM(basic_fields), basic_field, x, x->basic_marks,
		    &c->basic_auth);
	case F_AUTHZ:
		return yamlcfg_read_map(y, path, authz_fields,
		    NELEM(authz_fields), authz_field, x, x->authz_marks,
		    &x->authz);
	case F_BEARER:
		return yamlcfg_read_opt(y, path, 0, &x->bearer);
	case F_BEARER_FILE:
		return yamlcfg_read_opt(y, path, 1, &x->bearer_file);
	case F_TLS:
		return yamlcfg_read_map(y, path, tls_fields,
		    NELEM(tls_fields), tls_field, x, x->tls_marks, NULL);
	case F_PROXY_URL:
		return proxy_url(x, path);
	case F_NO_PROXY:
		return yamlcfg_read_opt(y, path, 0, &c->no_proxy);
	case F_PROXY_ENV:
		return yamlcfg_read_bool(y, path, &c->proxy_from_environment);
	case F_FOLLOW:
		return yamlcfg_read_bool(y, path, &c->follow_redirects);
	case F_HTTP2:
		/* Checked as Go would; the value is not used. */
		c->enable_http2_given = 1;
		return yamlcfg_read_bool(y, path, &http2);
	case F_HEADERS:
		return headers(x, path);
	default:
		/* Refused in yamlcfg_walk_map() before it calls here. */
		return FAIL(x, ERR_INVAL, NULL, "%s: not supported", path);
	}
}

/*
 * HTTPClientConfig.Validate(): the authorization settings, one kind at
 * most, and bearer_token(_file) made an authorization of type Bearer.
 */
static int
check_auth(struct ctx *x)
{
	struct promcfg *c = x->c;
	const yaml_mark_t *m = x->marks;
	const yaml_mark_t *bm = x->basic_marks, *am = x->authz_marks;
	const char *s;
	size_t n, len;
	char *t;
	int r;

	if (x->bearer != NULL && x->bearer_file != NULL)
		return FAIL(x, ERR_INVAL, later(&m[F_BEARER],
		    &m[F_BEARER_FILE]), "at most one of bearer_token and "
		    "bearer_token_file may be configured");
	n = (c->basic_auth != 0) + (x->authz != 0) + (x->bearer != NULL ||
	    x->bearer_file != NULL);
	if (n > 1)
		return FAIL(x, ERR_INVAL, later(&m[F_BASIC], later(&m[F_AUTHZ],
		    later(&m[F_BEARER], &m[F_BEARER_FILE]))), "at most one of "
		    "basic_auth, authorization, bearer_token and "
		    "bearer_token_file may be configured");
	if (c->password != NULL && c->password_file != NULL)
		return FAIL(x, ERR_INVAL, later(&bm[B_PASSWORD],
		    &bm[B_PASSWORD_FILE]), "basic_auth: at most one of "
		    "password and password_file may be configured");
	if (c->credentials != NULL && c->credentials_file != NULL)
		return FAIL(x, ERR_INVAL, later(&am[A_CREDENTIALS],
		    &am[A_CREDENTIALS_FILE]), "authorization: at most one of "
		    "credentials and credentials_file may be configured");
	if (x->bearer != NULL) {
		if ((r = check_header_value(x, x->bearer, "bearer_token",
		    &m[F_BEARER])) != 0)
			return r;
		c->credentials = x->bearer;
		x->bearer = NULL;
	}
	if (x->bearer_file != NULL) {
		c->credentials_file = x->bearer_file;
		x->bearer_file = NULL;
	}
	if (!x->authz && c->credentials == NULL &&
	    c->credentials_file == NULL)
		return 0;
	/* Go's strings.TrimSpace, for the ASCII white space. */
	s = c->auth_type != NULL ? c->auth_type : "";
	s += strspn(s, " \t\n\v\f\r");
	for (len = strlen(s); len > 0 && strchr(" \t\n\v\f\r", s[len - 1]) !=
	    NULL; len--)
		;
	if (len == 0) {
		s = "Bearer";
		len = strlen(s);
	}
	if (len == 5 && strncasecmp(s, "basic", 5) == 0)
		return FAIL(x, ERR_INVAL, &am[A_TYPE], "authorization.type: "
		    "\"Basic\" is not allowed; use basic_auth");
	if ((t = yamlcfg_dup(&mem, s, len)) == NULL)
		return FAIL(x, ERR_NOMEM, NULL, "authorization.type: out of "
		    "memory");
	free(c->auth_type);
	c->auth_type = t;
	return check_header_value(x, t, "authorization.type", &am[A_TYPE]);
}

/* TLSConfig.Validate(), and versions that leave no protocol. */
static int
check_tls(struct ctx *x)
{
	const struct promcfg *c = x->c;
	const yaml_mark_t *m = x->tls_marks;
	const struct {
		const char	*inline_, *file;
		int		 i, f;
	} pairs[] = {
		{ c->ca_pem, c->ca_file, T_CA, T_CA_FILE },
		{ c->cert_pem, c->cert_file, T_CERT, T_CERT_FILE },
		{ c->key_pem, c->key_file, T_KEY, T_KEY_FILE },
	};
	size_t i;
	int cert, key;

	for (i = 0; i < NELEM(pairs); i++)
		if (pairs[i].inline_ != NULL && pairs[i].file != NULL)
			return FAIL(x, ERR_INVAL, later(&m[pairs[i].i],
			    &m[pairs[i].f]), "tls_config: at most one of %s "
			    "and %s may be configured",
			    tls_fields[pairs[i].i].name,
			    tls_fields[pairs[i].f].name);
	cert = c->cert_pem != NULL || c->cert_file != NULL;
	key = c->key_pem != NULL || c->key_file != NULL;
	if (cert && !key)
		return FAIL(x, ERR_INVAL, later(&m[T_CERT], &m[T_CERT_FILE]),
		    "tls_config: a client certificate needs its key: key or "
		    "key_file");
	if (key && !cert)
		return FAIL(x, ERR_INVAL, later(&m[T_KEY], &m[T_KEY_FILE]),
		    "tls_config: a client key needs its certificate: cert or "
		    "cert_file");
	if (c->min_version != 0 && c->max_version != 0 &&
	    c->min_version > c->max_version)
		return FAIL(x, ERR_INVAL, &m[T_MIN], "tls_config: min_version "
		    "%s is above max_version %s",
		    yamlcfg_tls_version_name(c->min_version),
		    yamlcfg_tls_version_name(c->max_version));
	return 0;
}

/* ProxyConfig.Validate(), in its order. */
static int
check_proxy(struct ctx *x)
{
	const struct promcfg *c = x->c;
	const yaml_mark_t *m = x->marks;

	if (c->proxy_from_environment && c->proxy_url != NULL)
		return FAIL(x, ERR_INVAL, later(&m[F_PROXY_URL],
		    &m[F_PROXY_ENV]), "at most one of proxy_url and "
		    "proxy_from_environment may be configured");
	if (c->proxy_from_environment && c->no_proxy != NULL)
		return FAIL(x, ERR_INVAL, &m[F_NO_PROXY], "no_proxy: not with "
		    "proxy_from_environment, which takes NO_PROXY from the "
		    "environment");
	if (c->no_proxy != NULL && c->proxy_url == NULL)
		return FAIL(x, ERR_INVAL, &m[F_NO_PROXY], "no_proxy: needs "
		    "proxy_url");
	return 0;
}

int
promcfg_parse(const char *text, size_t len, const char *dir,
    struct promcfg *out, char *err, size_t errsz)
{
	struct promcfg c;
	struct ctx x;
	int ret;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	memset(&x, 0, sizeof(x));
	/* DefaultHTTPClientConfig. */
	c.follow_redirects = 1;
	x.c = &c;
	if ((ret = yamlcfg_begin(&x.y, &mem, text, len, dir,
	    PROMCFG_MAX_FILE, "PROMCFG_MAX_FILE", err, errsz)) != 0 ||
	    (ret = yamlcfg_document(&x.y, top_fields, NELEM(top_fields),
	    top_field, &x, x.marks)) != 0 ||
	    (ret = check_auth(&x)) != 0 || (ret = check_tls(&x)) != 0 ||
	    (ret = check_proxy(&x)) != 0)
		goto out;
	*out = c;
	memset(&c, 0, sizeof(c));
	ret = 0;
 out:
	yamlcfg_end(&x.y);
	yamlcfg_free_secret(&mem, x.bearer);
	free(x.bearer_file);
	promcfg_free(&c);
	return ret;
}

/* promcfg_parse() as yamlcfg_load() calls it. */
static int
parse_any(const char *text, size_t len, const char *dir, void *out,
    char *err, size_t errsz)
{
	return promcfg_parse(text, len, dir, out, err, errsz);
}

int
promcfg_load(const char *path, struct promcfg *out, char *err, size_t errsz)
{
	memset(out, 0, sizeof(*out));
	return yamlcfg_load(&mem, path, PROMCFG_MAX_FILE, parse_any, out, err,
	    errsz);
}

static void
free_list(char **l, size_t n, int secret)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (secret)
			yamlcfg_free_secret(&mem, l[i]);
		else
			free(l[i]);
	free(l);
}

void
promcfg_free(struct promcfg *c)
{
	size_t i;

	if (c == NULL)
		return;
	free(c->username);
	yamlcfg_free_secret(&mem, c->password);
	free(c->password_file);
	free(c->auth_type);
	yamlcfg_free_secret(&mem, c->credentials);
	free(c->credentials_file);
	free(c->ca_pem);
	free(c->ca_file);
	free(c->cert_pem);
	free(c->cert_file);
	yamlcfg_free_secret(&mem, c->key_pem);
	free(c->key_file);
	free(c->server_name);
	yamlcfg_free_secret(&mem, c->proxy_url);
	free(c->no_proxy);
	for (i = 0; i < c->nheaders; i++) {
		free(c->headers[i].name);
		free_list(c->headers[i].values, c->headers[i].nvalues, 0);
		free_list(c->headers[i].secrets, c->headers[i].nsecrets, 1);
		free_list(c->headers[i].files, c->headers[i].nfiles, 0);
	}
	free(c->headers);
	memset(c, 0, sizeof(*c));
}
