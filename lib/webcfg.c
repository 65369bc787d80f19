/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "webcfg.h"
#include "err.h"
#include "yamlcfg.h"

/*
 * The file is walked as libyaml events against a fixed schema
 * (lib/yamlcfg.h), never built into a tree: a node where the schema has
 * none is an error at once, so nesting is bounded by the schema, not by
 * the input.
 */

#define FAIL(x, ...)	YAMLCFG_FAIL(&(x)->y, __VA_ARGS__)
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Every string of a struct webcfg is made and freed with these. */
YAMLCFG_MEM(mem);

/*
 * Go's path functions by the names tests/test_webcfg.c checks them under,
 * from when they were this module's.
 */
#define clean(s)	yamlcfg_clean(&mem, (s))
#define join_dir(d, p)	yamlcfg_join_dir(&mem, (d), (p))
#define dir_of(p)	yamlcfg_dir_of(&mem, (p))

/* In the order of the toolkit's TLSConfig (web/tls_config.go). */
enum {
	T_CERT, T_KEY, T_CLIENT_CA, T_CERT_FILE, T_KEY_FILE, T_CLIENT_AUTH,
	T_CLIENT_CA_FILE, T_CIPHERS, T_CURVES, T_MIN, T_MAX, T_PREFER, T_SANS,
	T_NFIELDS
};

struct ctx {
	struct yamlcfg	 y;
	struct webcfg	*c;
	int		 auth_given;	/* client_auth_type set, non-empty */
	yaml_mark_t	 tls_mark;	/* the tls_server_config key */
	yaml_mark_t	 tls_marks[T_NFIELDS]; /* each key of tls_fields[] */
};

static const struct yamlcfg_field top_fields[] = {
	{ "tls_server_config", NULL },
	{ "http_server_config", NULL },
	{ "basic_auth_users", NULL },
	{ "rate_limit", "not supported by this exporter" },
};

#define GNUTLS_WHY	"the exporter's TLS (libmicrohttpd, GnuTLS) takes " \
	"GnuTLS priorities, not Go's settings"

static const struct yamlcfg_field tls_fields[T_NFIELDS] = {
	[T_CERT] = { "cert", NULL },
	[T_KEY] = { "key", NULL },
	[T_CLIENT_CA] = { "client_ca", NULL },
	[T_CERT_FILE] = { "cert_file", NULL },
	[T_KEY_FILE] = { "key_file", NULL },
	[T_CLIENT_AUTH] = { "client_auth_type", NULL },
	[T_CLIENT_CA_FILE] = { "client_ca_file", NULL },
	[T_CIPHERS] = { "cipher_suites", "not supported: " GNUTLS_WHY },
	[T_CURVES] = { "curve_preferences", "not supported: " GNUTLS_WHY },
	[T_MIN] = { "min_version", NULL },
	[T_MAX] = { "max_version", NULL },
	[T_PREFER] = { "prefer_server_cipher_suites",
	    "not supported: " GNUTLS_WHY },
	[T_SANS] = { "client_allowed_sans", NULL },
};

static const struct yamlcfg_field http_fields[] = {
	{ "http2", NULL },
	{ "headers", NULL },
};

/*
 * The toolkit's extraHTTPHeaders (web/handler.go): the only headers a file
 * may set, by exact name, and for two of them the only values.
 */
static const struct {
	const char	*name;
	const char	*values[2];	/* NULL: any value */
} allowed_headers[WEBCFG_MAX_HEADERS] = {
	{ "Strict-Transport-Security", { NULL, NULL } },
	{ "X-Content-Type-Options", { "nosniff", NULL } },
	{ "X-Frame-Options", { "deny", "sameorigin" } },
	{ "X-XSS-Protection", { NULL, NULL } },
	{ "Content-Security-Policy", { NULL, NULL } },
};

static int
tls_client_auth(struct ctx *x, const char *path)
{
	char v[YAMLCFG_VALUE_SHOWN + 4];
	yaml_mark_t mark;
	char *s = NULL;
	int r, ret = ERR_INVAL;

	if ((r = yamlcfg_read_string(&x->y, path, &s)) != 0)
		return r;
	mark = x->y.ev.start_mark;
	/* The toolkit's IsEnabled(): any non-empty value turns TLS on. */
	x->auth_given = s[0] != '\0';
	if (s[0] == '\0' || strcmp(s, "NoClientCert") == 0)
		x->c->tls.client_auth = WEBCFG_NO_CLIENT_CERT;
	else if (strcmp(s, "VerifyClientCertIfGiven") == 0)
		x->c->tls.client_auth = WEBCFG_VERIFY_IF_GIVEN;
	else if (strcmp(s, "RequireAndVerifyClientCert") == 0)
		x->c->tls.client_auth = WEBCFG_REQUIRE_AND_VERIFY;
	else if (strcmp(s, "RequestClientCert") == 0 ||
	    strcmp(s, "RequireAnyClientCert") == 0 ||
	    strcmp(s, "RequireClientCert") == 0) {
		/* RequireClientCert: the toolkit's old name of the second. */
		ret = FAIL(x, ERR_INVAL, &mark, "%s: %s is not supported by "
		    "this exporter: it takes a client certificate without "
		    "verifying it; use RequireAndVerifyClientCert", path, s);
		goto out;
	} else {
		yamlcfg_shown(s, YAMLCFG_VALUE_SHOWN, v, sizeof(v));
		ret = FAIL(x, ERR_INVAL, &mark, "%s: invalid value %s: "
		    "expected NoClientCert, VerifyClientCertIfGiven or "
		    "RequireAndVerifyClientCert", path, v);
		goto out;
	}
	ret = 0;
 out:
	free(s);
	return ret;
}

static int
tls_field(void *arg, size_t i, const char *path)
{
	struct ctx *x = arg;
	struct webcfg_tls *t = &x->c->tls;
	struct yamlcfg *y = &x->y;

	switch (i) {
	case T_CERT:
		return yamlcfg_read_opt(y, path, 0, &t->cert_pem);
	case T_KEY:
		return yamlcfg_read_opt(y, path, 0, &t->key_pem);
	case T_CLIENT_CA:
		return yamlcfg_read_opt(y, path, 0, &t->client_ca_pem);
	case T_CERT_FILE:
		return yamlcfg_read_opt(y, path, 1, &t->cert_file);
	case T_KEY_FILE:
		return yamlcfg_read_opt(y, path, 1, &t->key_file);
	case T_CLIENT_CA_FILE:
		return yamlcfg_read_opt(y, path, 1, &t->client_ca_file);
	case T_CLIENT_AUTH:
		return tls_client_auth(x, path);
	case T_MIN:
		return yamlcfg_read_tls_version(y, path, &t->min_version);
	case T_MAX:
		return yamlcfg_read_tls_version(y, path, &t->max_version);
	case T_SANS:
		return yamlcfg_read_strings(y, path, 0, WEBCFG_MAX_SANS,
		    "WEBCFG_MAX_SANS", &t->allowed_sans, &t->nallowed_sans,
		    &t->allowed_sans_given);
	default:
		/* Refused in yamlcfg_walk_map() before it calls here. */
		return FAIL(x, ERR_INVAL, NULL, "%s: not supported", path);
	}
}

/*
 * A bcrypt hash as crypt(3) and Go's bcrypt write it: "$2a$", "$2b$" or
 * "$2y$", a two-digit cost from 04 to 31 (Go's bcrypt.Cost() range), "$",
 * then 22 characters of salt and 31 of hash in bcrypt's base64.
 */
static int
is_bcrypt(const char *s, size_t len)
{
	size_t i;
	int cost;

	if (len != 60 || s[0] != '$' || s[1] != '2' ||
	    (s[2] != 'a' && s[2] != 'b' && s[2] != 'y') || s[3] != '$' ||
	    s[4] < '0' || s[4] > '9' || s[5] < '0' || s[5] > '9' ||
	    s[6] != '$')
		return 0;
	cost = (s[4] - '0') * 10 + (s[5] - '0');
	if (cost < 4 || cost > 31)
		return 0;
	for (i = 7; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '/'))
			return 0;
	return 1;
}

static int
users(struct ctx *x, const char *path)
{
	struct webcfg *c = x->c;
	struct webcfg_user *n;
	char sub[YAMLCFG_PATH_LEN];
	char *name = NULL, *hash = NULL;
	const char *key, *v;
	yaml_mark_t mark;
	size_t i, klen, len, cap = 0;
	int r, ret = ERR_INVAL;

	if ((r = yamlcfg_open(&x->y, path, YAML_MAPPING_START_EVENT,
	    "a mapping of user names to bcrypt hashes")) <= 0)
		return r;
	for (;;) {
		if ((ret = yamlcfg_next_key(&x->y, path, &key, &klen, sub,
		    sizeof(sub))) < 0)
			goto out;
		if (ret == 0)
			break;
		mark = x->y.ev.start_mark;
		/* yaml.v2 makes a null key the zero string. */
		if (yamlcfg_is_null(&x->y))
			klen = 0;
		for (i = 0; i < c->nusers; i++)
			if (strlen(c->users[i].name) == klen &&
			    memcmp(c->users[i].name, key, klen) == 0)
				break;
		if (i < c->nusers) {
			ret = FAIL(x, ERR_INVAL, &mark, "%s: duplicate key",
			    sub);
			goto out;
		}
		if (c->nusers == WEBCFG_MAX_USERS) {
			ret = FAIL(x, ERR_TOOBIG, &mark, "%s: more than %d "
			    "users (WEBCFG_MAX_USERS)", path,
			    WEBCFG_MAX_USERS);
			goto out;
		}
		if ((name = yamlcfg_dup(&mem, key, klen)) == NULL) {
			ret = FAIL(x, ERR_NOMEM, NULL, "%s: out of memory",
			    sub);
			goto out;
		}
		if ((ret = yamlcfg_next(&x->y, sub)) != 0)
			goto out;
		if (x->y.ev.type != YAML_SCALAR_EVENT) {
			ret = FAIL(x, ERR_INVAL, &x->y.ev.start_mark,
			    "%s: expected a bcrypt hash", sub);
			goto out;
		}
		if ((ret = yamlcfg_scalar(&x->y, sub, &v, &len)) != 0)
			goto out;
		/* The value is a secret: the message never quotes it. */
		if (!is_bcrypt(v, len)) {
			ret = FAIL(x, ERR_INVAL, &x->y.ev.start_mark,
			    "%s: not a bcrypt hash (60 characters, $2a$, $2b$ "
			    "or $2y$, cost 04 to 31)", sub);
			goto out;
		}
		if ((hash = yamlcfg_dup(&mem, v, len)) == NULL) {
			ret = FAIL(x, ERR_NOMEM, NULL, "%s: out of memory",
			    sub);
			goto out;
		}
		if (c->nusers == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			if ((n = realloc(c->users, cap * sizeof(*n))) == NULL) {
				ret = FAIL(x, ERR_NOMEM, NULL,
				    "%s: out of memory", sub);
				goto out;
			}
			c->users = n;
		}
		c->users[c->nusers].name = name;
		c->users[c->nusers].hash = hash;
		c->nusers++;
		name = hash = NULL;
	}
	ret = 0;
 out:
	free(name);
	yamlcfg_free_secret(&mem, hash);
	return ret;
}

static int
headers(struct ctx *x, const char *path)
{
	struct webcfg *c = x->c;
	char sub[YAMLCFG_PATH_LEN], v[YAMLCFG_VALUE_SHOWN + 4];
	char *value = NULL, *name = NULL;
	const char *key;
	yaml_mark_t mark;
	unsigned int seen = 0;
	size_t i, klen;
	int r, ret = ERR_INVAL;

	if ((r = yamlcfg_open(&x->y, path, YAML_MAPPING_START_EVENT,
	    "a mapping of header names to values")) <= 0)
		return r;
	for (;;) {
		if ((ret = yamlcfg_next_key(&x->y, path, &key, &klen, sub,
		    sizeof(sub))) < 0)
			goto out;
		if (ret == 0)
			break;
		mark = x->y.ev.start_mark;
		for (i = 0; i < NELEM(allowed_headers); i++)
			if (strcmp(key, allowed_headers[i].name) == 0)
				break;
		if (i == NELEM(allowed_headers)) {
			ret = FAIL(x, ERR_INVAL, &mark, "%s: HTTP header "
			    "can not be configured (allowed: "
			    "Strict-Transport-Security, "
			    "X-Content-Type-Options, X-Frame-Options, "
			    "X-XSS-Protection, Content-Security-Policy)", sub);
			goto out;
		}
		if ((seen & (1U << i)) != 0) {
			ret = FAIL(x, ERR_INVAL, &mark, "%s: duplicate key",
			    sub);
			goto out;
		}
		seen |= 1U << i;
		if ((ret = yamlcfg_read_string(&x->y, sub, &value)) != 0)
			goto out;
		mark = x->y.ev.start_mark;
		if (allowed_headers[i].values[0] != NULL) {
			if (strcmp(value, allowed_headers[i].values[0]) != 0 &&
			    (allowed_headers[i].values[1] == NULL ||
			    strcmp(value, allowed_headers[i].values[1]) != 0)) {
				yamlcfg_shown(value, YAMLCFG_VALUE_SHOWN, v,
				    sizeof(v));
				ret = FAIL(x, ERR_INVAL, &mark, "%s: invalid "
				    "value %s: expected %s%s%s", sub, v,
				    allowed_headers[i].values[0],
				    allowed_headers[i].values[1] != NULL ?
				    " or " : "",
				    allowed_headers[i].values[1] != NULL ?
				    allowed_headers[i].values[1] : "");
				goto out;
			}
		} else if (!yamlcfg_header_value_ok(value)) {
			ret = FAIL(x, ERR_INVAL, &mark, "%s: control "
			    "character in the value", sub);
			goto out;
		}
		/* The toolkit's docs: "Unset if blank." */
		if (value[0] == '\0') {
			free(value);
			value = NULL;
			continue;
		}
		if ((name = yamlcfg_dup(&mem, allowed_headers[i].name,
		    strlen(allowed_headers[i].name))) == NULL) {
			ret = FAIL(x, ERR_NOMEM, NULL, "%s: out of memory",
			    sub);
			goto out;
		}
		/* At most WEBCFG_MAX_HEADERS: allocated once. */
		if (c->headers == NULL && (c->headers = calloc(
		    WEBCFG_MAX_HEADERS, sizeof(*c->headers))) == NULL) {
			ret = FAIL(x, ERR_NOMEM, NULL, "%s: out of memory",
			    sub);
			goto out;
		}
		c->headers[c->nheaders].name = name;
		c->headers[c->nheaders].value = value;
		c->nheaders++;
		name = value = NULL;
	}
	ret = 0;
 out:
	free(name);
	free(value);
	return ret;
}

static int
http_field(void *arg, size_t i, const char *path)
{
	struct ctx *x = arg;

	if (i == 0) {
		x->c->http2_given = 1;
		return yamlcfg_read_bool(&x->y, path, &x->c->http2);
	}
	return headers(x, path);
}

static int
top_field(void *arg, size_t i, const char *path)
{
	struct ctx *x = arg;

	switch (i) {
	case 0:
		return yamlcfg_read_map(&x->y, path, tls_fields,
		    NELEM(tls_fields), tls_field, x, x->tls_marks, NULL);
	case 1:
		return yamlcfg_read_map(&x->y, path, http_fields,
		    NELEM(http_fields), http_field, x, NULL, NULL);
	default:
		return users(x, path);
	}
}

/*
 * The toolkit's ConfigToTLSConfig() checks, in its order where it has
 * them, once the whole file is read.
 */
static int
check_tls(struct ctx *x)
{
	static const struct {
		int	 file, inline_;
	} pairs[] = {
		{ T_CERT_FILE, T_CERT },
		{ T_KEY_FILE, T_KEY },
		{ T_CLIENT_CA_FILE, T_CLIENT_CA },
	};
	struct webcfg_tls *t = &x->c->tls;
	const char *have[T_NFIELDS] = { NULL };
	const yaml_mark_t *m;
	size_t i;
	int ca;

	have[T_CERT] = t->cert_pem;
	have[T_KEY] = t->key_pem;
	have[T_CLIENT_CA] = t->client_ca_pem;
	have[T_CERT_FILE] = t->cert_file;
	have[T_KEY_FILE] = t->key_file;
	have[T_CLIENT_CA_FILE] = t->client_ca_file;
	/* IsEnabled(): otherwise the toolkit serves plain HTTP. */
	if (t->cert_pem == NULL && t->key_pem == NULL &&
	    t->client_ca_pem == NULL && t->cert_file == NULL &&
	    t->key_file == NULL && t->client_ca_file == NULL &&
	    !x->auth_given)
		return 0;
	for (i = 0; i < NELEM(pairs); i++) {
		if (have[pairs[i].file] == NULL ||
		    have[pairs[i].inline_] == NULL)
			continue;
		m = &x->tls_marks[pairs[i].inline_];
		return FAIL(x, ERR_INVAL, m, "tls_server_config: %s and %s "
		    "are both given: give one", tls_fields[pairs[i].file].name,
		    tls_fields[pairs[i].inline_].name);
	}
	if (t->cert_file == NULL && t->cert_pem == NULL)
		return FAIL(x, ERR_INVAL, &x->tls_mark, "tls_server_config: "
		    "missing one of cert or cert_file");
	if (t->key_file == NULL && t->key_pem == NULL)
		return FAIL(x, ERR_INVAL, &x->tls_mark, "tls_server_config: "
		    "missing one of key or key_file");
	ca = t->client_ca_file != NULL || t->client_ca_pem != NULL;
	if (ca && t->client_auth == WEBCFG_NO_CLIENT_CERT) {
		m = &x->tls_marks[t->client_ca_file != NULL ?
		    T_CLIENT_CA_FILE : T_CLIENT_CA];
		return FAIL(x, ERR_INVAL, m, "tls_server_config: client "
		    "CA's have been configured without a Client Auth Policy "
		    "(client_auth_type is NoClientCert)");
	}
	/* Stricter than the toolkit: no system roots to fall back on. */
	if (!ca && t->client_auth != WEBCFG_NO_CLIENT_CERT)
		return FAIL(x, ERR_INVAL, &x->tls_marks[T_CLIENT_AUTH],
		    "tls_server_config.client_auth_type: %s needs "
		    "client_ca_file or client_ca, the CA to verify client "
		    "certificates with", t->client_auth ==
		    WEBCFG_VERIFY_IF_GIVEN ? "VerifyClientCertIfGiven" :
		    "RequireAndVerifyClientCert");
	/* Stricter than the toolkit: a list that could never be checked. */
	if (t->allowed_sans_given && t->client_auth == WEBCFG_NO_CLIENT_CERT)
		return FAIL(x, ERR_INVAL, &x->tls_marks[T_SANS],
		    "tls_server_config.client_allowed_sans: needs a "
		    "client_auth_type that verifies client certificates, "
		    "not NoClientCert");
	if (t->min_version > t->max_version)
		return FAIL(x, ERR_INVAL, &x->tls_marks[T_MIN],
		    "tls_server_config: min_version %s is above max_version "
		    "%s", yamlcfg_tls_version_name(t->min_version),
		    yamlcfg_tls_version_name(t->max_version));
	t->enabled = 1;
	return 0;
}

int
webcfg_parse(const char *text, size_t len, const char *dir,
    struct webcfg *out, char *err, size_t errsz)
{
	struct webcfg c;
	struct ctx x;
	yaml_mark_t marks[NELEM(top_fields)];
	int ret;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	memset(&x, 0, sizeof(x));
	memset(marks, 0, sizeof(marks));
	/* The toolkit's defaults (getConfig() in web/tls_config.go). */
	c.tls.client_auth = WEBCFG_NO_CLIENT_CERT;
	c.tls.min_version = WEBCFG_TLS12;
	c.tls.max_version = WEBCFG_TLS13;
	c.http2 = 1;
	x.c = &c;
	if ((ret = yamlcfg_begin(&x.y, &mem, text, len, dir, WEBCFG_MAX_FILE,
	    "WEBCFG_MAX_FILE", err, errsz)) != 0 ||
	    (ret = yamlcfg_document(&x.y, top_fields, NELEM(top_fields),
	    top_field, &x, marks)) != 0)
		goto out;
	x.tls_mark = marks[0];
	if ((ret = check_tls(&x)) != 0)
		goto out;
	*out = c;
	memset(&c, 0, sizeof(c));
	ret = 0;
 out:
	yamlcfg_end(&x.y);
	webcfg_free(&c);
	return ret;
}

int
webcfg_read(const char *path, size_t max, char **out, size_t *outlen,
    char *err, size_t errsz)
{
	return yamlcfg_read_file(&mem, path, max, out, outlen, err, errsz);
}

/* webcfg_parse() as yamlcfg_load() calls it. */
static int
parse_any(const char *text, size_t len, const char *dir, void *out,
    char *err, size_t errsz)
{
	return webcfg_parse(text, len, dir, out, err, errsz);
}

int
webcfg_load(const char *path, struct webcfg *out, char *err, size_t errsz)
{
	memset(out, 0, sizeof(*out));
	return yamlcfg_load(&mem, path, WEBCFG_MAX_FILE, parse_any, out, err,
	    errsz);
}

void
webcfg_free(struct webcfg *c)
{
	size_t i;

	if (c == NULL)
		return;
	free(c->tls.cert_file);
	free(c->tls.key_file);
	free(c->tls.cert_pem);
	yamlcfg_free_secret(&mem, c->tls.key_pem);
	free(c->tls.client_ca_file);
	free(c->tls.client_ca_pem);
	for (i = 0; i < c->tls.nallowed_sans; i++)
		free(c->tls.allowed_sans[i]);
	free(c->tls.allowed_sans);
	for (i = 0; i < c->nusers; i++) {
		free(c->users[i].name);
		yamlcfg_free_secret(&mem, c->users[i].hash);
	}
	free(c->users);
	for (i = 0; i < c->nheaders; i++) {
		free(c->headers[i].name);
		free(c->headers[i].value);
	}
	free(c->headers);
	memset(c, 0, sizeof(*c));
}
