/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "webcfg.h"
#include "err.h"

/*
 * The file is walked as libyaml events against a fixed schema, never built
 * into a tree: a node where the schema has none is an error at once, so
 * nesting is bounded by the schema, not by the input.
 */

/*
 * A key as shown in a path: cut, so that the deepest path
 * ("http_server_config.headers." and a key) always fits in PATH_LEN.
 */
#define KEY_SHOWN	64
#define PATH_LEN	256
/* A refused value quoted in a message. */
#define VALUE_SHOWN	64

/* In the order of the toolkit's TLSConfig (web/tls_config.go). */
enum {
	T_CERT, T_KEY, T_CLIENT_CA, T_CERT_FILE, T_KEY_FILE, T_CLIENT_AUTH,
	T_CLIENT_CA_FILE, T_CIPHERS, T_CURVES, T_MIN, T_MAX, T_PREFER, T_SANS,
	T_NFIELDS
};

struct ctx {
	yaml_parser_t	 parser;
	yaml_event_t	 ev;
	int		 have_ev;	/* ev holds an event to delete */
	const char	*text;
	size_t		 len;
	const char	*dir;
	struct webcfg	*c;
	char		*err;
	size_t		 errsz;
	int		 auth_given;	/* client_auth_type set, non-empty */
	yaml_mark_t	 tls_mark;	/* the tls_server_config key */
	yaml_mark_t	 tls_marks[T_NFIELDS]; /* each key of tls_fields[] */
};

struct field {
	const char	*name;
	const char	*refused;	/* NULL, or why the key is refused */
};

typedef int	field_fn(struct ctx *, size_t, const char *);

/*
 * The path of the top-level mapping, for messages about the document
 * itself; compared by address, as keys of the top level have no prefix.
 */
static const char top[] = "top level";

static const struct field top_fields[] = {
	{ "tls_server_config", NULL },
	{ "http_server_config", NULL },
	{ "basic_auth_users", NULL },
	{ "rate_limit", "not supported by this exporter" },
};

#define GNUTLS_WHY	"the exporter's TLS (libmicrohttpd, GnuTLS) takes " \
	"GnuTLS priorities, not Go's settings"

static const struct field tls_fields[T_NFIELDS] = {
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

static const struct field http_fields[] = {
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

static const struct {
	const char	*name;
	int		 version;
} tls_versions[] = {
	{ "TLS10", WEBCFG_TLS10 },
	{ "TLS11", WEBCFG_TLS11 },
	{ "TLS12", WEBCFG_TLS12 },
	{ "TLS13", WEBCFG_TLS13 },
};

/*
 * yaml.v2's YAML 1.1 booleans (resolve.go), taken from plain scalars only:
 * there a quoted "true" is a string, and a string is no bool.
 */
static const char *const bool_true[] = {
	"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
};
static const char *const bool_false[] = {
	"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off",
	"OFF",
};
/* yaml.v2's nulls (resolve.go), plain scalars only as well. */
static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static void	seterr(struct ctx *, const yaml_mark_t *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/*
 * Sets the message, with the position of m when m is not NULL, and is
 * ret.  A macro, so that the analyzers see the code returned (they do not
 * follow a variadic function).
 */
#define FAIL(x, ret, m, ...)	(seterr((x), (m), __VA_ARGS__), (ret))

static void
seterr(struct ctx *x, const yaml_mark_t *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (x->errsz == 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(x->err, x->errsz, fmt, ap);
	va_end(ap);
	if (n < 0) {
		x->err[0] = '\0';
		return;
	}
	/* A message cut by errsz stays cut: the caller chose the size. */
	if (m != NULL && (size_t)n < x->errsz)
		(void)snprintf(x->err + n, x->errsz - (size_t)n,
		    " (line %zu, column %zu)", m->line + 1, m->column + 1);
}

/*
 * Text from the file for a message: printable ASCII, the rest as '?' (no
 * line or key can be forged in a log), cut at max bytes with "...".  s is
 * a string without NUL inside (scalar() checked).
 */
static void
shown(const char *s, size_t max, char *out, size_t outsz)
{
	size_t i;

	if (s[0] == '\0') {
		(void)snprintf(out, outsz, "\"\"");
		return;
	}
	if (max + 4 > outsz)
		max = outsz - 4;
	for (i = 0; i < max && s[i] != '\0'; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (s[i] != '\0')
		memcpy(out + i, "...", 4);
	else
		out[i] = '\0';
}

static size_t
line_of(const char *text, size_t off)
{
	size_t i, line = 1;

	for (i = 0; i < off; i++)
		if (text[i] == '\n')
			line++;
	return line;
}

/* Deletes the current event, zeroing a scalar first: it may be the key. */
static void
drop(struct ctx *x)
{
	if (!x->have_ev)
		return;
	if (x->ev.type == YAML_SCALAR_EVENT && x->ev.data.scalar.value != NULL)
		explicit_bzero(x->ev.data.scalar.value,
		    x->ev.data.scalar.length);
	yaml_event_delete(&x->ev);
	x->have_ev = 0;
}

/*
 * What libyaml still holds of the text before yaml_parser_delete() frees
 * it: its input buffers and the scalars of tokens not yet made events.
 */
static void
wipe_parser(yaml_parser_t *p)
{
	yaml_token_t *t;

	if (p->raw_buffer.start != NULL)
		explicit_bzero(p->raw_buffer.start,
		    (size_t)(p->raw_buffer.end - p->raw_buffer.start));
	if (p->buffer.start != NULL)
		explicit_bzero(p->buffer.start,
		    (size_t)(p->buffer.end - p->buffer.start));
	for (t = p->tokens.head; t != NULL && t != p->tokens.tail; t++)
		if (t->type == YAML_SCALAR_TOKEN &&
		    t->data.scalar.value != NULL)
			explicit_bzero(t->data.scalar.value,
			    t->data.scalar.length);
}

static int
syntax_error(struct ctx *x)
{
	yaml_parser_t *p = &x->parser;
	const char *problem = p->problem != NULL ? p->problem : "error";
	size_t off;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return FAIL(x, ERR_NOMEM, NULL, "YAML: out of memory");
	case YAML_READER_ERROR:
		off = p->problem_offset < x->len ? p->problem_offset : x->len;
		return FAIL(x, ERR_INVAL, NULL, "YAML: %s (line %zu, byte "
		    "%zu)", problem, line_of(x->text, off), off + 1);
	default:
		break;
	}
	if (p->context != NULL)
		return FAIL(x, ERR_INVAL, NULL, "YAML: %s (line %zu, column "
		    "%zu): %s (line %zu, column %zu)", p->context,
		    p->context_mark.line + 1, p->context_mark.column + 1,
		    problem, p->problem_mark.line + 1,
		    p->problem_mark.column + 1);
	return FAIL(x, ERR_INVAL, &p->problem_mark, "YAML: %s", problem);
}

/*
 * The next event, with anchors, aliases and tags refused: no alias can
 * multiply the input (a billion laughs), and every value is read as the
 * toolkit reads it untagged.
 */
static int
next(struct ctx *x, const char *path)
{
	const yaml_char_t *anchor = NULL, *tag = NULL;

	drop(x);
	if (!yaml_parser_parse(&x->parser, &x->ev))
		return syntax_error(x);
	x->have_ev = 1;
	switch (x->ev.type) {
	case YAML_ALIAS_EVENT:
		return FAIL(x, ERR_INVAL, &x->ev.start_mark,
		    "%s: YAML aliases are not supported", path);
	case YAML_SCALAR_EVENT:
		anchor = x->ev.data.scalar.anchor;
		tag = x->ev.data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = x->ev.data.sequence_start.anchor;
		tag = x->ev.data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = x->ev.data.mapping_start.anchor;
		tag = x->ev.data.mapping_start.tag;
		break;
	default:
		break;
	}
	if (anchor != NULL)
		return FAIL(x, ERR_INVAL, &x->ev.start_mark,
		    "%s: YAML anchors are not supported", path);
	if (tag != NULL)
		return FAIL(x, ERR_INVAL, &x->ev.start_mark,
		    "%s: YAML tags are not supported", path);
	return 0;
}

/*
 * The current event is a plain null scalar: yaml.v2's zero value.  A plain
 * scalar holds no NUL (the text has none; only a double-quoted escape
 * makes one), so strcmp() sees all of it.
 */
static int
is_null(const struct ctx *x)
{
	size_t i;

	if (x->ev.type != YAML_SCALAR_EVENT ||
	    x->ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	for (i = 0; i < NELEM(nulls); i++)
		if (strcmp((const char *)x->ev.data.scalar.value,
		    nulls[i]) == 0)
			return 1;
	return 0;
}

/*
 * The current scalar's text, checked for NUL (a double-quoted "\0" makes
 * one): a C string must mean what the file says.
 */
static int
scalar(struct ctx *x, const char *path, const char **s, size_t *len)
{
	*s = (const char *)x->ev.data.scalar.value;
	*len = x->ev.data.scalar.length;
	if (strlen(*s) != *len)
		return FAIL(x, ERR_NUL, &x->ev.start_mark,
		    "%s: NUL byte in a string", path);
	return 0;
}

static char *
dup_n(const char *s, size_t len)
{
	char *p;

	if ((p = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* Frees a string that may hold a secret. */
static void
free_secret(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/*
 * Reads a key: a scalar without NUL, *key its text, sub the path of its
 * value.
 */
static int
read_key(struct ctx *x, const char *path, const char **key, size_t *klen,
    char *sub, size_t subsz)
{
	char name[KEY_SHOWN + 4];
	int r;

	*key = NULL;
	*klen = 0;
	if (x->ev.type != YAML_SCALAR_EVENT)
		return FAIL(x, ERR_INVAL, &x->ev.start_mark,
		    "%s: a key must be a string", path);
	if ((r = scalar(x, path, key, klen)) != 0)
		return r;
	shown(*key, KEY_SHOWN, name, sizeof(name));
	/* Cannot be cut: PATH_LEN holds the deepest path (see above). */
	(void)snprintf(sub, subsz, "%s%s%s", path == top ? "" : path,
	    path == top ? "" : ".", name);
	return 0;
}

/*
 * The current scalar as a string into *out (malloc'd; "" for a null).  Any
 * scalar is a string, as yaml.v2 sets a string field from any scalar's
 * text.
 */
static int
dup_scalar(struct ctx *x, const char *path, char **out)
{
	const char *s;
	size_t len;
	int r;

	*out = NULL;
	if (x->ev.type != YAML_SCALAR_EVENT)
		return FAIL(x, ERR_INVAL, &x->ev.start_mark,
		    "%s: expected a string", path);
	if ((r = scalar(x, path, &s, &len)) != 0)
		return r;
	if (is_null(x))
		len = 0;
	if ((*out = dup_n(s, len)) == NULL)
		return FAIL(x, ERR_NOMEM, NULL, "%s: out of memory", path);
	return 0;
}

/* The next event as a string, as dup_scalar(). */
static int
read_string(struct ctx *x, const char *path, char **out)
{
	int r;

	*out = NULL;
	if ((r = next(x, path)) != 0)
		return r;
	return dup_scalar(x, path, out);
}

/*
 * Go's filepath.Clean, for Unix: one slash between elements, no "." and
 * no "name/.." element, no ".." right under the root, "." for nothing.
 * The result is never longer than s, or 1 byte when s is empty.
 */
static char *
clean(const char *s)
{
	size_t n = strlen(s), r = 0, w = 0, dotdot = 0;
	int rooted = n > 0 && s[0] == '/';
	char *o;

	if ((o = malloc(n + 2)) == NULL)
		return NULL;
	if (rooted) {
		o[w++] = '/';
		r = dotdot = 1;
	}
	while (r < n) {
		if (s[r] == '/')
			r++;
		else if (s[r] == '.' && (r + 1 == n || s[r + 1] == '/'))
			r++;
		else if (s[r] == '.' && s[r + 1] == '.' &&
		    (r + 2 == n || s[r + 2] == '/')) {
			r += 2;
			if (w > dotdot) {
				w--;
				while (w > dotdot && o[w] != '/')
					w--;
			} else if (!rooted) {
				if (w > 0)
					o[w++] = '/';
				o[w++] = '.';
				o[w++] = '.';
				dotdot = w;
			}
		} else {
			if ((rooted && w != 1) || (!rooted && w != 0))
				o[w++] = '/';
			while (r < n && s[r] != '/')
				o[w++] = s[r++];
		}
	}
	if (w == 0)
		o[w++] = '.';
	o[w] = '\0';
	return o;
}

/*
 * prometheus/common's config.JoinDir: an absolute path as it is, a
 * relative one filepath.Join'ed with dir (joined, then cleaned).
 */
static char *
join_dir(const char *dir, const char *p)
{
	char *j, *o;
	size_t dl, pl;

	if (p[0] == '/')
		return dup_n(p, strlen(p));
	if (dir == NULL || dir[0] == '\0')
		return clean(p);
	dl = strlen(dir);
	pl = strlen(p);
	if ((j = malloc(dl + pl + 2)) == NULL)
		return NULL;
	memcpy(j, dir, dl);
	j[dl] = '/';
	memcpy(j + dl + 1, p, pl + 1);
	o = clean(j);
	free(j);
	return o;
}

/*
 * Walks a mapping whose MAPPING_START is the current event, up to its
 * end: each key must be one of f[], once, and not refused; fn reads its
 * value.  marks[i] (when marks is not NULL) gets where key i was.
 */
static int
walk_map(struct ctx *x, const char *path, const struct field *f, size_t nf,
    field_fn *fn, yaml_mark_t *marks)
{
	char sub[PATH_LEN];
	const char *key;
	yaml_mark_t mark;
	uint32_t seen = 0;
	size_t i, klen;
	int r;

	for (;;) {
		if ((r = next(x, path)) != 0)
			return r;
		if (x->ev.type == YAML_MAPPING_END_EVENT)
			return 0;
		if ((r = read_key(x, path, &key, &klen, sub,
		    sizeof(sub))) != 0)
			return r;
		mark = x->ev.start_mark;
		for (i = 0; i < nf; i++)
			if (strcmp(key, f[i].name) == 0)
				break;
		if (i == nf)
			return FAIL(x, ERR_INVAL, &mark, "%s: unknown key",
			    sub);
		if ((seen & (UINT32_C(1) << i)) != 0)
			return FAIL(x, ERR_INVAL, &mark, "%s: duplicate key",
			    sub);
		seen |= UINT32_C(1) << i;
		if (f[i].refused != NULL)
			return FAIL(x, ERR_INVAL, &mark, "%s: %s", sub,
			    f[i].refused);
		if (marks != NULL)
			marks[i] = mark;
		if ((r = fn(x, i, sub)) != 0)
			return r;
	}
}

/*
 * Reads the next event as a mapping for walk_map(); a null is an empty
 * mapping.
 */
static int
read_map(struct ctx *x, const char *path, const struct field *f, size_t nf,
    field_fn *fn, yaml_mark_t *marks)
{
	int r;

	if ((r = next(x, path)) != 0)
		return r;
	if (is_null(x))
		return 0;
	if (x->ev.type != YAML_MAPPING_START_EVENT)
		return FAIL(x, ERR_INVAL, &x->ev.start_mark,
		    "%s: expected a mapping", path);
	return walk_map(x, path, f, nf, fn, marks);
}

/*
 * An optional string of tls_server_config: "" is unset (NULL), a path is
 * joined with the file's directory.  *dst is NULL: a key comes once.
 */
static int
tls_string(struct ctx *x, const char *path, char **dst, int is_path)
{
	char *s = NULL, *p;
	int r;

	if ((r = read_string(x, path, &s)) != 0)
		return r;
	if (s[0] == '\0') {
		free(s);
		return 0;
	}
	if (is_path) {
		p = join_dir(x->dir, s);
		free(s);
		if (p == NULL)
			return FAIL(x, ERR_NOMEM, NULL, "%s: out of memory",
			    path);
		s = p;
	}
	*dst = s;
	return 0;
}

static int
tls_client_auth(struct ctx *x, const char *path)
{
	char v[VALUE_SHOWN + 4];
	yaml_mark_t mark;
	char *s = NULL;
	int r, ret = ERR_INVAL;

	if ((r = read_string(x, path, &s)) != 0)
		return r;
	mark = x->ev.start_mark;
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
		shown(s, VALUE_SHOWN, v, sizeof(v));
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
tls_version(struct ctx *x, const char *path, int *dst)
{
	char v[VALUE_SHOWN + 4];
	const char *s;
	size_t i, len;
	int r;

	if ((r = next(x, path)) != 0)
		return r;
	if (x->ev.type != YAML_SCALAR_EVENT)
		return FAIL(x, ERR_INVAL, &x->ev.start_mark,
		    "%s: expected a string", path);
	/*
	 * A null never reaches the toolkit's UnmarshalYAML: it leaves 0,
	 * which Go's TLS takes as its default (TLS 1.2 to 1.3 for a server).
	 * A quoted "" does reach it, and is an unknown version.
	 */
	if (is_null(x))
		return 0;
	if ((r = scalar(x, path, &s, &len)) != 0)
		return r;
	for (i = 0; i < NELEM(tls_versions); i++)
		if (strcmp(s, tls_versions[i].name) == 0) {
			*dst = tls_versions[i].version;
			return 0;
		}
	shown(s, VALUE_SHOWN, v, sizeof(v));
	return FAIL(x, ERR_INVAL, &x->ev.start_mark, "%s: unknown TLS "
	    "version %s: expected TLS10, TLS11, TLS12 or TLS13", path, v);
}

static int
tls_sans(struct ctx *x, const char *path)
{
	struct webcfg_tls *t = &x->c->tls;
	char sub[PATH_LEN];
	char **n, *s = NULL;
	int r;

	if ((r = next(x, path)) != 0)
		return r;
	if (is_null(x))
		return 0;
	if (x->ev.type != YAML_SEQUENCE_START_EVENT)
		return FAIL(x, ERR_INVAL, &x->ev.start_mark,
		    "%s: expected a list of strings", path);
	t->allowed_sans_given = 1;
	for (;;) {
		(void)snprintf(sub, sizeof(sub), "%s[%zu]", path,
		    t->nallowed_sans);
		if ((r = next(x, sub)) != 0)
			return r;
		if (x->ev.type == YAML_SEQUENCE_END_EVENT)
			return 0;
		if (t->nallowed_sans == WEBCFG_MAX_SANS)
			return FAIL(x, ERR_TOOBIG, &x->ev.start_mark,
			    "%s: more than %d entries (WEBCFG_MAX_SANS)",
			    path, WEBCFG_MAX_SANS);
		if ((r = dup_scalar(x, sub, &s)) != 0)
			return r;
		n = realloc(t->allowed_sans,
		    (t->nallowed_sans + 1) * sizeof(*n));
		if (n == NULL) {
			free(s);
			return FAIL(x, ERR_NOMEM, NULL, "%s: out of memory",
			    sub);
		}
		t->allowed_sans = n;
		t->allowed_sans[t->nallowed_sans++] = s;
	}
}

static int
tls_field(struct ctx *x, size_t i, const char *path)
{
	struct webcfg_tls *t = &x->c->tls;

	switch (i) {
	case T_CERT:
		return tls_string(x, path, &t->cert_pem, 0);
	case T_KEY:
		return tls_string(x, path, &t->key_pem, 0);
	case T_CLIENT_CA:
		return tls_string(x, path, &t->client_ca_pem, 0);
	case T_CERT_FILE:
		return tls_string(x, path, &t->cert_file, 1);
	case T_KEY_FILE:
		return tls_string(x, path, &t->key_file, 1);
	case T_CLIENT_CA_FILE:
		return tls_string(x, path, &t->client_ca_file, 1);
	case T_CLIENT_AUTH:
		return tls_client_auth(x, path);
	case T_MIN:
		return tls_version(x, path, &t->min_version);
	case T_MAX:
		return tls_version(x, path, &t->max_version);
	case T_SANS:
		return tls_sans(x, path);
	default:
		/* Refused in walk_map() before it calls here. */
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
	char sub[PATH_LEN];
	char *name = NULL, *hash = NULL;
	const char *key, *v;
	yaml_mark_t mark;
	size_t i, klen, len, cap = 0;
	int r, ret = ERR_INVAL;

	if ((r = next(x, path)) != 0)
		return r;
	if (is_null(x))
		return 0;
	if (x->ev.type != YAML_MAPPING_START_EVENT)
		return FAIL(x, ERR_INVAL, &x->ev.start_mark,
		    "%s: expected a mapping of user names to bcrypt hashes",
		    path);
	for (;;) {
		if ((ret = next(x, path)) != 0)
			goto out;
		if (x->ev.type == YAML_MAPPING_END_EVENT)
			break;
		if ((ret = read_key(x, path, &key, &klen, sub,
		    sizeof(sub))) != 0)
			goto out;
		mark = x->ev.start_mark;
		/* yaml.v2 makes a null key the zero string. */
		if (is_null(x))
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
		if ((name = dup_n(key, klen)) == NULL) {
			ret = FAIL(x, ERR_NOMEM, NULL, "%s: out of memory",
			    sub);
			goto out;
		}
		if ((ret = next(x, sub)) != 0)
			goto out;
		if (x->ev.type != YAML_SCALAR_EVENT) {
			ret = FAIL(x, ERR_INVAL, &x->ev.start_mark,
			    "%s: expected a bcrypt hash", sub);
			goto out;
		}
		if ((ret = scalar(x, sub, &v, &len)) != 0)
			goto out;
		/* The value is a secret: the message never quotes it. */
		if (!is_bcrypt(v, len)) {
			ret = FAIL(x, ERR_INVAL, &x->ev.start_mark,
			    "%s: not a bcrypt hash (60 characters, $2a$, $2b$ "
			    "or $2y$, cost 04 to 31)", sub);
			goto out;
		}
		if ((hash = dup_n(v, len)) == NULL) {
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
	free_secret(hash);
	return ret;
}

/*
 * A header value goes into the response as it is: no CR or LF (a header
 * of the file's choosing), no other control byte (RFC 9110 field-value).
 */
static int
header_value_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			return 0;
	return 1;
}

static int
headers(struct ctx *x, const char *path)
{
	struct webcfg *c = x->c;
	char sub[PATH_LEN], v[VALUE_SHOWN + 4];
	char *value = NULL, *name = NULL;
	const char *key;
	yaml_mark_t mark;
	unsigned int seen = 0;
	size_t i, klen;
	int r, ret = ERR_INVAL;

	if ((r = next(x, path)) != 0)
		return r;
	if (is_null(x))
		return 0;
	if (x->ev.type != YAML_MAPPING_START_EVENT)
		return FAIL(x, ERR_INVAL, &x->ev.start_mark,
		    "%s: expected a mapping of header names to values", path);
	for (;;) {
		if ((ret = next(x, path)) != 0)
			goto out;
		if (x->ev.type == YAML_MAPPING_END_EVENT)
			break;
		if ((ret = read_key(x, path, &key, &klen, sub,
		    sizeof(sub))) != 0)
			goto out;
		mark = x->ev.start_mark;
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
		if ((ret = read_string(x, sub, &value)) != 0)
			goto out;
		mark = x->ev.start_mark;
		if (allowed_headers[i].values[0] != NULL) {
			if (strcmp(value, allowed_headers[i].values[0]) != 0 &&
			    (allowed_headers[i].values[1] == NULL ||
			    strcmp(value, allowed_headers[i].values[1]) != 0)) {
				shown(value, VALUE_SHOWN, v, sizeof(v));
				ret = FAIL(x, ERR_INVAL, &mark, "%s: invalid "
				    "value %s: expected %s%s%s", sub, v,
				    allowed_headers[i].values[0],
				    allowed_headers[i].values[1] != NULL ?
				    " or " : "",
				    allowed_headers[i].values[1] != NULL ?
				    allowed_headers[i].values[1] : "");
				goto out;
			}
		} else if (!header_value_ok(value)) {
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
		if ((name = dup_n(allowed_headers[i].name,
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
http_bool(struct ctx *x, const char *path, int *dst)
{
	size_t i;
	int r;

	if ((r = next(x, path)) != 0)
		return r;
	if (x->ev.type == YAML_SCALAR_EVENT &&
	    x->ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		for (i = 0; i < NELEM(bool_true); i++)
			if (strcmp((const char *)x->ev.data.scalar.value,
			    bool_true[i]) == 0) {
				*dst = 1;
				return 0;
			}
		for (i = 0; i < NELEM(bool_false); i++)
			if (strcmp((const char *)x->ev.data.scalar.value,
			    bool_false[i]) == 0) {
				*dst = 0;
				return 0;
			}
		/* yaml.v2 sets a null bool to its zero value, false. */
		if (is_null(x)) {
			*dst = 0;
			return 0;
		}
	}
	return FAIL(x, ERR_INVAL, &x->ev.start_mark,
	    "%s: expected true or false", path);
}

static int
http_field(struct ctx *x, size_t i, const char *path)
{
	if (i == 0) {
		x->c->http2_given = 1;
		return http_bool(x, path, &x->c->http2);
	}
	return headers(x, path);
}

static int
top_field(struct ctx *x, size_t i, const char *path)
{
	switch (i) {
	case 0:
		return read_map(x, path, tls_fields, NELEM(tls_fields),
		    tls_field, x->tls_marks);
	case 1:
		return read_map(x, path, http_fields, NELEM(http_fields),
		    http_field, NULL);
	default:
		return users(x, path);
	}
}

/*
 * One document, or none (an empty file, or comments only: the toolkit
 * takes it, as no TLS and no users).  A second document is refused where
 * yaml.v2 would ignore it: what an operator appends should not be lost.
 */
static int
document(struct ctx *x)
{
	yaml_mark_t marks[NELEM(top_fields)];
	int r;

	memset(marks, 0, sizeof(marks));
	if ((r = next(x, top)) != 0)
		return r;
	/* STREAM_START, then a document or the end. */
	if ((r = next(x, top)) != 0)
		return r;
	if (x->ev.type == YAML_STREAM_END_EVENT)
		return 0;
	if ((r = next(x, top)) != 0)
		return r;
	if (x->ev.type == YAML_MAPPING_START_EVENT) {
		if ((r = walk_map(x, top, top_fields, NELEM(top_fields),
		    top_field, marks)) != 0)
			return r;
	} else if (!is_null(x))
		return FAIL(x, ERR_INVAL, &x->ev.start_mark,
		    "%s: expected a mapping", top);
	x->tls_mark = marks[0];
	/* DOCUMENT_END, which the grammar guarantees, then the end. */
	if ((r = next(x, top)) != 0 || (r = next(x, top)) != 0)
		return r;
	if (x->ev.type != YAML_STREAM_END_EVENT)
		return FAIL(x, ERR_INVAL, &x->ev.start_mark,
		    "%s: more than one YAML document", top);
	return 0;
}

static const char *
version_name(int v)
{
	size_t i;

	for (i = 0; i < NELEM(tls_versions); i++)
		if (tls_versions[i].version == v)
			return tls_versions[i].name;
	return "?";
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
		    "%s", version_name(t->min_version),
		    version_name(t->max_version));
	t->enabled = 1;
	return 0;
}

int
webcfg_parse(const char *text, size_t len, const char *dir,
    struct webcfg *out, char *err, size_t errsz)
{
	struct webcfg c;
	struct ctx x;
	const char *nul;
	int parser_ready = 0, ret = ERR_INVAL;

	memset(out, 0, sizeof(*out));
	if (errsz > 0)
		err[0] = '\0';
	memset(&c, 0, sizeof(c));
	memset(&x, 0, sizeof(x));
	/* The toolkit's defaults (getConfig() in web/tls_config.go). */
	c.tls.client_auth = WEBCFG_NO_CLIENT_CERT;
	c.tls.min_version = WEBCFG_TLS12;
	c.tls.max_version = WEBCFG_TLS13;
	c.http2 = 1;
	if (text == NULL)
		text = "";
	x.text = text;
	x.len = len;
	x.dir = dir != NULL ? dir : ".";
	x.c = &c;
	x.err = err;
	x.errsz = errsz;
	if (len > WEBCFG_MAX_FILE) {
		ret = FAIL(&x, ERR_TOOBIG, NULL, "larger than %d bytes "
		    "(WEBCFG_MAX_FILE)", WEBCFG_MAX_FILE);
		goto out;
	}
	if ((nul = memchr(text, '\0', len)) != NULL) {
		ret = FAIL(&x, ERR_NUL, NULL, "NUL byte (line %zu, byte %zu)",
		    line_of(text, (size_t)(nul - text)),
		    (size_t)(nul - text) + 1);
		goto out;
	}
	if (!yaml_parser_initialize(&x.parser)) {
		ret = FAIL(&x, ERR_NOMEM, NULL, "YAML: out of memory");
		goto out;
	}
	parser_ready = 1;
	yaml_parser_set_input_string(&x.parser, (const unsigned char *)text,
	    len);
	if ((ret = document(&x)) != 0 || (ret = check_tls(&x)) != 0)
		goto out;
	*out = c;
	memset(&c, 0, sizeof(c));
	ret = 0;
 out:
	drop(&x);
	if (parser_ready) {
		wipe_parser(&x.parser);
		yaml_parser_delete(&x.parser);
	}
	webcfg_free(&c);
	return ret;
}

/* Go's filepath.Dir: all but the last element, cleaned; "." for none. */
static char *
dir_of(const char *path)
{
	const char *slash;
	char *p, *d;

	if ((slash = strrchr(path, '/')) == NULL)
		return clean("");
	if ((p = dup_n(path, (size_t)(slash - path) + 1)) == NULL)
		return NULL;
	d = clean(p);
	free(p);
	return d;
}

int
webcfg_read(const char *path, size_t max, char **out, size_t *outlen,
    char *err, size_t errsz)
{
	struct ctx x;
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd = -1, saved, ret = ERR_INVAL;

	*out = NULL;
	*outlen = 0;
	if (errsz > 0)
		err[0] = '\0';
	/* For seterr() only. */
	memset(&x, 0, sizeof(x));
	x.err = err;
	x.errsz = errsz;
	if (path == NULL || path[0] == '\0')
		return FAIL(&x, ERR_INVAL, NULL, "no file name");
	/* O_NONBLOCK: a FIFO must not block the start; fstat refuses it. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) == -1) {
		ret = FAIL(&x, ERR_SYSTEM, NULL, "cannot open: %s",
		    strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		ret = FAIL(&x, ERR_SYSTEM, NULL, "cannot stat: %s",
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = FAIL(&x, ERR_INVAL, NULL, "not a regular file");
		goto out;
	}
	if ((uintmax_t)st.st_size > max) {
		ret = FAIL(&x, ERR_TOOBIG, NULL, "larger than %zu bytes", max);
		goto out;
	}
	/* One byte more than the cap: a file that grew is seen to. */
	if ((buf = malloc(max + 2)) == NULL) {
		ret = FAIL(&x, ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	while (len <= max) {
		n = read(fd, buf + len, max + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			ret = FAIL(&x, ERR_SYSTEM, NULL, "cannot read: %s",
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		ret = FAIL(&x, ERR_TOOBIG, NULL, "larger than %zu bytes", max);
		goto out;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	buf = NULL;
	ret = 0;
 out:
	saved = errno;
	if (fd != -1)
		(void)close(fd);
	if (buf != NULL) {
		explicit_bzero(buf, len);
		free(buf);
	}
	errno = saved;
	return ret;
}

int
webcfg_load(const char *path, struct webcfg *out, char *err, size_t errsz)
{
	char *buf = NULL, *dir = NULL;
	size_t len = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	if ((ret = webcfg_read(path, WEBCFG_MAX_FILE, &buf, &len, err,
	    errsz)) != 0)
		return ret;
	if ((dir = dir_of(path)) == NULL) {
		if (errsz > 0)
			(void)snprintf(err, errsz, "out of memory");
		ret = ERR_NOMEM;
	} else
		ret = webcfg_parse(buf, len, dir, out, err, errsz);
	explicit_bzero(buf, len);
	free(buf);
	free(dir);
	return ret;
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
	free_secret(c->tls.key_pem);
	free(c->tls.client_ca_file);
	free(c->tls.client_ca_pem);
	for (i = 0; i < c->tls.nallowed_sans; i++)
		free(c->tls.allowed_sans[i]);
	free(c->tls.allowed_sans);
	for (i = 0; i < c->nusers; i++) {
		free(c->users[i].name);
		free_secret(c->users[i].hash);
	}
	free(c->users);
	for (i = 0; i < c->nheaders; i++) {
		free(c->headers[i].name);
		free(c->headers[i].value);
	}
	free(c->headers);
	memset(c, 0, sizeof(*c));
}
