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

#include "yamlcfg.h"
#include "err.h"

/*
 * Nothing here calls malloc() or free() itself: every string a module
 * keeps is made with the module's allocator (struct yamlcfg_mem), which
 * frees it.
 */

#define FAIL	YAMLCFG_FAIL
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

const char yamlcfg_top[] = "top level";

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

/* Go's tls.VersionTLS1x, by the names Prometheus' configurations use. */
static const struct {
	const char	*name;
	int		 version;
} tls_versions[] = {
	{ "TLS10", 0x0301 },
	{ "TLS11", 0x0302 },
	{ "TLS12", 0x0303 },
	{ "TLS13", 0x0304 },
};

void
yamlcfg_seterr(struct yamlcfg *y, const yaml_mark_t *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (y->errsz == 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(y->err, y->errsz, fmt, ap);
	va_end(ap);
	if (n < 0) {
		y->err[0] = '\0';
		return;
	}
	/* A message cut by errsz stays cut: the caller chose the size. */
	if (m != NULL && (size_t)n < y->errsz)
		(void)snprintf(y->err + n, y->errsz - (size_t)n,
		    " (line %zu, column %zu)", m->line + 1, m->column + 1);
}

/* No line or key can be forged in a log with what this prints. */
void
yamlcfg_shown(const char *s, size_t max, char *out, size_t outsz)
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
drop(struct yamlcfg *y)
{
	if (!y->have_ev)
		return;
	if (y->ev.type == YAML_SCALAR_EVENT && y->ev.data.scalar.value != NULL)
		y->mem->wipe(y->ev.data.scalar.value,
		    y->ev.data.scalar.length);
	yaml_event_delete(&y->ev);
	y->have_ev = 0;
}

/*
 * What libyaml still holds of the text before yaml_parser_delete() frees
 * it: its input buffers and the scalars of tokens not yet made events.
 * Not the scratch strings its scanner resizes while it reads a scalar,
 * which it frees itself.
 */
static void
wipe_parser(struct yamlcfg *y)
{
	yaml_parser_t *p = &y->parser;
	yaml_token_t *t;

	if (p->raw_buffer.start != NULL)
		y->mem->wipe(p->raw_buffer.start,
		    (size_t)(p->raw_buffer.end - p->raw_buffer.start));
	if (p->buffer.start != NULL)
		y->mem->wipe(p->buffer.start,
		    (size_t)(p->buffer.end - p->buffer.start));
	for (t = p->tokens.head; t != NULL && t != p->tokens.tail; t++)
		if (t->type == YAML_SCALAR_TOKEN &&
		    t->data.scalar.value != NULL)
			y->mem->wipe(t->data.scalar.value,
			    t->data.scalar.length);
}

int
yamlcfg_begin(struct yamlcfg *y, const struct yamlcfg_mem *mem,
    const char *text, size_t len, const char *dir, size_t max,
    const char *maxname, char *err, size_t errsz)
{
	const char *nul;

	memset(y, 0, sizeof(*y));
	if (errsz > 0)
		err[0] = '\0';
	if (text == NULL)
		text = "";
	y->text = text;
	y->len = len;
	y->dir = dir != NULL ? dir : ".";
	y->err = err;
	y->errsz = errsz;
	y->mem = mem;
	if (len > max)
		return FAIL(y, ERR_TOOBIG, NULL, "larger than %zu bytes (%s)",
		    max, maxname);
	if ((nul = memchr(text, '\0', len)) != NULL)
		return FAIL(y, ERR_NUL, NULL, "NUL byte (line %zu, byte %zu)",
		    line_of(text, (size_t)(nul - text)),
		    (size_t)(nul - text) + 1);
	if (!yaml_parser_initialize(&y->parser))
		return FAIL(y, ERR_NOMEM, NULL, "YAML: out of memory");
	y->ready = 1;
	yaml_parser_set_input_string(&y->parser, (const unsigned char *)text,
	    len);
	return 0;
}

void
yamlcfg_end(struct yamlcfg *y)
{
	drop(y);
	if (y->ready) {
		wipe_parser(y);
		yaml_parser_delete(&y->parser);
		y->ready = 0;
	}
}

static int
syntax_error(struct yamlcfg *y)
{
	yaml_parser_t *p = &y->parser;
	const char *problem = p->problem != NULL ? p->problem : "error";
	size_t off;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return FAIL(y, ERR_NOMEM, NULL, "YAML: out of memory");
	case YAML_READER_ERROR:
		off = p->problem_offset < y->len ? p->problem_offset : y->len;
		return FAIL(y, ERR_INVAL, NULL, "YAML: %s (line %zu, byte "
		    "%zu)", problem, line_of(y->text, off), off + 1);
	default:
		break;
	}
	if (p->context != NULL)
		return FAIL(y, ERR_INVAL, NULL, "YAML: %s (line %zu, column "
		    "%zu): %s (line %zu, column %zu)", p->context,
		    p->context_mark.line + 1, p->context_mark.column + 1,
		    problem, p->problem_mark.line + 1,
		    p->problem_mark.column + 1);
	return FAIL(y, ERR_INVAL, &p->problem_mark, "YAML: %s", problem);
}

/*
 * No alias can multiply the input (a billion laughs), and every value is
 * read as yaml.v2 reads it untagged.
 */
int
yamlcfg_next(struct yamlcfg *y, const char *path)
{
	const yaml_char_t *anchor = NULL, *tag = NULL;

	drop(y);
	if (!yaml_parser_parse(&y->parser, &y->ev))
		return syntax_error(y);
	y->have_ev = 1;
	switch (y->ev.type) {
	case YAML_ALIAS_EVENT:
		return FAIL(y, ERR_INVAL, &y->ev.start_mark,
		    "%s: YAML aliases are not supported", path);
	case YAML_SCALAR_EVENT:
		anchor = y->ev.data.scalar.anchor;
		tag = y->ev.data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = y->ev.data.sequence_start.anchor;
		tag = y->ev.data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = y->ev.data.mapping_start.anchor;
		tag = y->ev.data.mapping_start.tag;
		break;
	default:
		break;
	}
	if (anchor != NULL)
		return FAIL(y, ERR_INVAL, &y->ev.start_mark,
		    "%s: YAML anchors are not supported", path);
	if (tag != NULL)
		return FAIL(y, ERR_INVAL, &y->ev.start_mark,
		    "%s: YAML tags are not supported", path);
	return 0;
}

/*
 * A plain scalar holds no NUL (the text has none; only a double-quoted
 * escape makes one), so strcmp() sees all of it.
 */
int
yamlcfg_is_null(const struct yamlcfg *y)
{
	size_t i;

	if (y->ev.type != YAML_SCALAR_EVENT ||
	    y->ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	for (i = 0; i < NELEM(nulls); i++)
		if (strcmp((const char *)y->ev.data.scalar.value,
		    nulls[i]) == 0)
			return 1;
	return 0;
}

/* A C string must mean what the file says: no NUL inside. */
int
yamlcfg_scalar(struct yamlcfg *y, const char *path, const char **s,
    size_t *len)
{
	*s = (const char *)y->ev.data.scalar.value;
	*len = y->ev.data.scalar.length;
	if (strlen(*s) != *len)
		return FAIL(y, ERR_NUL, &y->ev.start_mark,
		    "%s: NUL byte in a string", path);
	return 0;
}

char *
yamlcfg_dup(const struct yamlcfg_mem *mem, const char *s, size_t len)
{
	char *p;

	if ((p = mem->alloc(len + 1)) == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void
yamlcfg_free_secret(const struct yamlcfg_mem *mem, char *s)
{
	if (s == NULL)
		return;
	mem->wipe(s, strlen(s));
	mem->free(s);
}

int
yamlcfg_key(struct yamlcfg *y, const char *path, const char **key,
    size_t *klen, char *sub, size_t subsz)
{
	char name[YAMLCFG_KEY_SHOWN + 4];
	int r;

	*key = NULL;
	*klen = 0;
	if (y->ev.type != YAML_SCALAR_EVENT)
		return FAIL(y, ERR_INVAL, &y->ev.start_mark,
		    "%s: a key must be a string", path);
	if ((r = yamlcfg_scalar(y, path, key, klen)) != 0)
		return r;
	yamlcfg_shown(*key, YAMLCFG_KEY_SHOWN, name, sizeof(name));
	/* Not cut in the schemas of this exporter: see YAMLCFG_PATH_LEN. */
	(void)snprintf(sub, subsz, "%s%s%s", path == yamlcfg_top ? "" : path,
	    path == yamlcfg_top ? "" : ".", name);
	return 0;
}

int
yamlcfg_open(struct yamlcfg *y, const char *path, yaml_event_type_t start,
    const char *what)
{
	int r;

	if ((r = yamlcfg_next(y, path)) != 0)
		return r;
	if (yamlcfg_is_null(y))
		return 0;
	if (y->ev.type != start)
		return FAIL(y, ERR_INVAL, &y->ev.start_mark,
		    "%s: expected %s", path, what);
	return 1;
}

int
yamlcfg_next_key(struct yamlcfg *y, const char *path, const char **key,
    size_t *klen, char *sub, size_t subsz)
{
	int r;

	*key = NULL;
	*klen = 0;
	if ((r = yamlcfg_next(y, path)) != 0)
		return r;
	if (y->ev.type == YAML_MAPPING_END_EVENT)
		return 0;
	if ((r = yamlcfg_key(y, path, key, klen, sub, subsz)) != 0)
		return r;
	return 1;
}

/* yaml.v2 sets a string field from any scalar's text. */
int
yamlcfg_dup_scalar(struct yamlcfg *y, const char *path, char **out)
{
	const char *s;
	size_t len;
	int r;

	*out = NULL;
	if (y->ev.type != YAML_SCALAR_EVENT)
		return FAIL(y, ERR_INVAL, &y->ev.start_mark,
		    "%s: expected a string", path);
	if ((r = yamlcfg_scalar(y, path, &s, &len)) != 0)
		return r;
	if (yamlcfg_is_null(y))
		len = 0;
	if ((*out = yamlcfg_dup(y->mem, s, len)) == NULL)
		return FAIL(y, ERR_NOMEM, NULL, "%s: out of memory", path);
	return 0;
}

int
yamlcfg_read_string(struct yamlcfg *y, const char *path, char **out)
{
	int r;

	*out = NULL;
	if ((r = yamlcfg_next(y, path)) != 0)
		return r;
	return yamlcfg_dup_scalar(y, path, out);
}

int
yamlcfg_read_opt(struct yamlcfg *y, const char *path, int is_path,
    char **dst)
{
	char *s = NULL, *p;
	int r;

	if ((r = yamlcfg_read_string(y, path, &s)) != 0)
		return r;
	if (s[0] == '\0') {
		y->mem->free(s);
		return 0;
	}
	if (is_path) {
		p = yamlcfg_join_dir(y->mem, y->dir, s);
		y->mem->free(s);
		if (p == NULL)
			return FAIL(y, ERR_NOMEM, NULL, "%s: out of memory",
			    path);
		s = p;
	}
	*dst = s;
	return 0;
}

int
yamlcfg_read_strings(struct yamlcfg *y, const char *path, int is_path,
    size_t max, const char *maxname, char ***list, size_t *n, int *given)
{
	char sub[YAMLCFG_PATH_LEN];
	char **l, *s = NULL, *p;
	int r;

	if ((r = yamlcfg_open(y, path, YAML_SEQUENCE_START_EVENT,
	    "a list of strings")) <= 0)
		return r;
	if (given != NULL)
		*given = 1;
	for (;;) {
		(void)snprintf(sub, sizeof(sub), "%s[%zu]", path, *n);
		if ((r = yamlcfg_next(y, sub)) != 0)
			return r;
		if (y->ev.type == YAML_SEQUENCE_END_EVENT)
			return 0;
		if (*n == max)
			return FAIL(y, ERR_TOOBIG, &y->ev.start_mark,
			    "%s: more than %zu entries (%s)", path, max,
			    maxname);
		if ((r = yamlcfg_dup_scalar(y, sub, &s)) != 0)
			return r;
		if (is_path && s[0] == '\0') {
			y->mem->free(s);
			return FAIL(y, ERR_INVAL, &y->ev.start_mark,
			    "%s: empty path", sub);
		}
		if (is_path) {
			p = yamlcfg_join_dir(y->mem, y->dir, s);
			y->mem->free(s);
			if ((s = p) == NULL)
				return FAIL(y, ERR_NOMEM, NULL,
				    "%s: out of memory", sub);
		}
		if ((l = y->mem->resize(*list, (*n + 1) * sizeof(*l))) ==
		    NULL) {
			/* The entry may be a secret (a header's). */
			yamlcfg_free_secret(y->mem, s);
			return FAIL(y, ERR_NOMEM, NULL, "%s: out of memory",
			    sub);
		}
		*list = l;
		(*list)[(*n)++] = s;
	}
}

int
yamlcfg_read_bool(struct yamlcfg *y, const char *path, int *dst)
{
	const char *s;
	size_t i;
	int r;

	if ((r = yamlcfg_next(y, path)) != 0)
		return r;
	if (y->ev.type == YAML_SCALAR_EVENT &&
	    y->ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		s = (const char *)y->ev.data.scalar.value;
		for (i = 0; i < NELEM(bool_true); i++)
			if (strcmp(s, bool_true[i]) == 0) {
				*dst = 1;
				return 0;
			}
		for (i = 0; i < NELEM(bool_false); i++)
			if (strcmp(s, bool_false[i]) == 0) {
				*dst = 0;
				return 0;
			}
		/* yaml.v2 sets a null bool to its zero value, false. */
		if (yamlcfg_is_null(y)) {
			*dst = 0;
			return 0;
		}
	}
	return FAIL(y, ERR_INVAL, &y->ev.start_mark,
	    "%s: expected true or false", path);
}

int
yamlcfg_read_tls_version(struct yamlcfg *y, const char *path, int *dst)
{
	char v[YAMLCFG_VALUE_SHOWN + 4];
	const char *s;
	size_t i, len;
	int r;

	if ((r = yamlcfg_next(y, path)) != 0)
		return r;
	if (y->ev.type != YAML_SCALAR_EVENT)
		return FAIL(y, ERR_INVAL, &y->ev.start_mark,
		    "%s: expected a string", path);
	/*
	 * A null never reaches Go's TLSVersion.UnmarshalYAML: it leaves 0,
	 * Go's TLS default.  A quoted "" does reach it, and is an unknown
	 * version.
	 */
	if (yamlcfg_is_null(y))
		return 0;
	if ((r = yamlcfg_scalar(y, path, &s, &len)) != 0)
		return r;
	for (i = 0; i < NELEM(tls_versions); i++)
		if (strcmp(s, tls_versions[i].name) == 0) {
			*dst = tls_versions[i].version;
			return 0;
		}
	yamlcfg_shown(s, YAMLCFG_VALUE_SHOWN, v, sizeof(v));
	return FAIL(y, ERR_INVAL, &y->ev.start_mark, "%s: unknown TLS "
	    "version %s: expected TLS10, TLS11, TLS12 or TLS13", path, v);
}

const char *
yamlcfg_tls_version_name(int version)
{
	size_t i;

	for (i = 0; i < NELEM(tls_versions); i++)
		if (tls_versions[i].version == version)
			return tls_versions[i].name;
	return "?";
}

int
yamlcfg_header_value_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			return 0;
	return 1;
}

int
yamlcfg_walk_map(struct yamlcfg *y, const char *path,
    const struct yamlcfg_field *f, size_t nf, yamlcfg_field_fn *fn,
    void *arg, yaml_mark_t *marks)
{
	char sub[YAMLCFG_PATH_LEN];
	const char *key;
	yaml_mark_t mark;
	uint32_t seen = 0;
	size_t i, klen;
	int r;

	for (;;) {
		if ((r = yamlcfg_next_key(y, path, &key, &klen, sub,
		    sizeof(sub))) <= 0)
			return r;
		mark = y->ev.start_mark;
		/* yamlcfg_next_key() sets key when it returns 1. */
		for (i = 0; key != NULL && i < nf; i++)
			if (strcmp(key, f[i].name) == 0)
				break;
		if (i == nf)
			return FAIL(y, ERR_INVAL, &mark, "%s: unknown key",
			    sub);
		if ((seen & (UINT32_C(1) << i)) != 0)
			return FAIL(y, ERR_INVAL, &mark, "%s: duplicate key",
			    sub);
		seen |= UINT32_C(1) << i;
		if (f[i].refused != NULL)
			return FAIL(y, ERR_INVAL, &mark, "%s: %s", sub,
			    f[i].refused);
		if (marks != NULL)
			marks[i] = mark;
		if ((r = fn(arg, i, sub)) != 0)
			return r;
	}
}

int
yamlcfg_read_map(struct yamlcfg *y, const char *path,
    const struct yamlcfg_field *f, size_t nf, yamlcfg_field_fn *fn,
    void *arg, yaml_mark_t *marks, int *given)
{
	int r;

	if ((r = yamlcfg_open(y, path, YAML_MAPPING_START_EVENT,
	    "a mapping")) <= 0)
		return r;
	if (given != NULL)
		*given = 1;
	return yamlcfg_walk_map(y, path, f, nf, fn, arg, marks);
}

/*
 * An empty file, or comments only, is no configuration at all, as in Go.
 * A second document is refused where yaml.v2 would ignore it: what an
 * operator appends should not be lost.
 */
int
yamlcfg_document(struct yamlcfg *y, const struct yamlcfg_field *f,
    size_t nf, yamlcfg_field_fn *fn, void *arg, yaml_mark_t *marks)
{
	const char *top = yamlcfg_top;
	int r;

	if ((r = yamlcfg_next(y, top)) != 0)
		return r;
	/* STREAM_START, then a document or the end. */
	if ((r = yamlcfg_next(y, top)) != 0)
		return r;
	if (y->ev.type == YAML_STREAM_END_EVENT)
		return 0;
	if ((r = yamlcfg_next(y, top)) != 0)
		return r;
	if (y->ev.type == YAML_MAPPING_START_EVENT) {
		if ((r = yamlcfg_walk_map(y, top, f, nf, fn, arg,
		    marks)) != 0)
			return r;
	} else if (!yamlcfg_is_null(y))
		return FAIL(y, ERR_INVAL, &y->ev.start_mark,
		    "%s: expected a mapping", top);
	/* DOCUMENT_END, which the grammar guarantees, then the end. */
	if ((r = yamlcfg_next(y, top)) != 0 ||
	    (r = yamlcfg_next(y, top)) != 0)
		return r;
	if (y->ev.type != YAML_STREAM_END_EVENT)
		return FAIL(y, ERR_INVAL, &y->ev.start_mark,
		    "%s: more than one YAML document", top);
	return 0;
}

/*
 * No "." and no "name/.." element, no ".." right under the root, one
 * slash between elements, "." for nothing.  The result is never longer
 * than s, or 1 byte when s is empty.
 */
char *
yamlcfg_clean(const struct yamlcfg_mem *mem, const char *s)
{
	size_t n = strlen(s), r = 0, w = 0, dotdot = 0;
	int rooted = n > 0 && s[0] == '/';
	char *o;

	if ((o = mem->alloc(n + 2)) == NULL)
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

char *
yamlcfg_join_dir(const struct yamlcfg_mem *mem, const char *dir,
    const char *p)
{
	char *j, *o;
	size_t dl, pl;

	if (p[0] == '/')
		return yamlcfg_dup(mem, p, strlen(p));
	if (dir == NULL || dir[0] == '\0')
		return yamlcfg_clean(mem, p);
	dl = strlen(dir);
	pl = strlen(p);
	if ((j = mem->alloc(dl + pl + 2)) == NULL)
		return NULL;
	memcpy(j, dir, dl);
	j[dl] = '/';
	memcpy(j + dl + 1, p, pl + 1);
	o = yamlcfg_clean(mem, j);
	mem->free(j);
	return o;
}

/* All but the last element, cleaned; "." for none. */
char *
yamlcfg_dir_of(const struct yamlcfg_mem *mem, const char *path)
{
	const char *slash;
	char *p, *d;

	if ((slash = strrchr(path, '/')) == NULL)
		return yamlcfg_clean(mem, "");
	if ((p = yamlcfg_dup(mem, path, (size_t)(slash - path) + 1)) == NULL)
		return NULL;
	d = yamlcfg_clean(mem, p);
	mem->free(p);
	return d;
}

int
yamlcfg_read_file(const struct yamlcfg_mem *mem, const char *path,
    size_t max, char **out, size_t *outlen, char *err, size_t errsz)
{
	struct yamlcfg y;
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd = -1, saved, ret = ERR_INVAL;

	*out = NULL;
	*outlen = 0;
	if (errsz > 0)
		err[0] = '\0';
	/* For yamlcfg_seterr() only. */
	memset(&y, 0, sizeof(y));
	y.err = err;
	y.errsz = errsz;
	if (path == NULL || path[0] == '\0')
		return FAIL(&y, ERR_INVAL, NULL, "no file name");
	/* O_NONBLOCK: a FIFO must not block the start; fstat refuses it. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) == -1) {
		ret = FAIL(&y, ERR_SYSTEM, NULL, "cannot open: %s",
		    strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		ret = FAIL(&y, ERR_SYSTEM, NULL, "cannot stat: %s",
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = FAIL(&y, ERR_INVAL, NULL, "not a regular file");
		goto out;
	}
	if ((uintmax_t)st.st_size > max) {
		ret = FAIL(&y, ERR_TOOBIG, NULL, "larger than %zu bytes", max);
		goto out;
	}
	/* One byte more than the cap: a file that grew is seen to. */
	if ((buf = mem->alloc(max + 2)) == NULL) {
		ret = FAIL(&y, ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	while (len <= max) {
		n = read(fd, buf + len, max + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			ret = FAIL(&y, ERR_SYSTEM, NULL, "cannot read: %s",
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		ret = FAIL(&y, ERR_TOOBIG, NULL, "larger than %zu bytes", max);
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
		mem->wipe(buf, len);
		mem->free(buf);
	}
	errno = saved;
	return ret;
}

int
yamlcfg_load(const struct yamlcfg_mem *mem, const char *path, size_t max,
    yamlcfg_parse_fn *parse, void *out, char *err, size_t errsz)
{
	char *buf = NULL, *dir = NULL;
	size_t len = 0;
	int ret;

	if ((ret = yamlcfg_read_file(mem, path, max, &buf, &len, err,
	    errsz)) != 0)
		return ret;
	if ((dir = yamlcfg_dir_of(mem, path)) == NULL) {
		if (errsz > 0)
			(void)snprintf(err, errsz, "out of memory");
		ret = ERR_NOMEM;
	} else
		ret = parse(buf, len, dir, out, err, errsz);
	mem->wipe(buf, len);
	mem->free(buf);
	mem->free(dir);
	return ret;
}
