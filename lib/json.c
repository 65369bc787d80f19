/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * jsmn is header-only and this is its one user: JSMN_STATIC keeps
 * jsmn_init() and jsmn_parse() out of the symbol table.
 */
#define JSMN_STATIC
#include <jsmn.h>

#include "json.h"
#include "buf.h"
#include "caps.h"
#include "err.h"
#include "utf8.h"

/*
 * A Prometheus answer nests five deep; "stats" and "warnings" add a few
 * levels.  jsmn closes a container by walking parent links up from the
 * last token, so [[[...]]] costs it depth squared: refuse deep input
 * before jsmn sees it.
 */
#define JSON_MAX_DEPTH	32
/* Longest key or enum string we ever compare with, decoded, plus margin. */
#define JSON_SHORT_MAX	64

struct json_ctx {
	const char	*js;
	size_t		 len;
	jsmntok_t	*tok;
	int		 ntok;
	char		*reason;
	size_t		 reasonsz;
	/* A decoded short string (json_short), in shortb if it had escapes. */
	const char	*sp;
	size_t		 sn;
	struct buf	 shortb;
	struct buf	 str;		/* a decoded string */
	struct buf	 lab;		/* a decoded label value */
	/* The current series' labels, decoded and sanitized. */
	struct buf	 jobid;
	struct buf	 target;
};

static void	json_reason(struct json_ctx *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/*
 * Our own explanations are short ASCII; one cut by a small reasonsz still
 * says enough, so truncation is accepted here without a check.
 */
static void
json_reason(struct json_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->reason == NULL || c->reasonsz == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(c->reason, c->reasonsz, fmt, ap);
	va_end(ap);
}

static int
json_is_ws(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* Not isdigit(): that one depends on the locale. */
static int
json_is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static int
json_hex4(const char *s, size_t n, uint32_t *cpp)
{
	uint32_t cp = 0, d;
	size_t i;

	if (n < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			d = (uint32_t)(s[i] - '0');
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = (uint32_t)(s[i] - 'a' + 10);
		else if (s[i] >= 'A' && s[i] <= 'F')
			d = (uint32_t)(s[i] - 'A' + 10);
		else
			return -1;
		cp = cp << 4 | d;
	}
	*cpp = cp;
	return 0;
}

/*
 * Checks the bytes between the quotes of a JSON string and, unless out is
 * NULL, appends their decoded form to out.  Only what makes the text
 * unreadable fails: an escape JSON does not define, and a raw control
 * character.  JSON forbids the latter, and Prometheus' encoder (jsoniter's
 * WriteString) escapes every byte below 0x20 while it copies bytes >= 0x80
 * unchecked, so a raw control byte says the body is broken, not that a
 * jobid is odd.  Bad text inside a well-formed string is a property of one
 * label, and failing the answer for it would drop every series of the
 * query: raw bytes that are not valid UTF-8 become U+FFFD, one
 * per byte, as utf8_sanitize() replaces them, and a \u escape of a lone
 * surrogate becomes U+FFFD, since it has no UTF-8 form.  No escape yields
 * a continuation byte, so no sequence forms across one, and out only ever
 * gets well-formed UTF-8 (controls from escapes such as \u0001 are left
 * to the caller's utf8_sanitize()).  Returns 0, ERR_JSON_INVAL, or
 * ERR_TOOBIG/ERR_NOMEM from out (which then holds a prefix).
 */
static int
json_unescape(const char *s, size_t n, struct buf *out)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run, hi = 0;
	uint32_t cp, lo;
	int r, dirty;
	char ch;

	while (i < n) {
		/*
		 * Raw bytes up to the next escape are checked and copied in
		 * one go.  Runs of non-ASCII bytes go to utf8_is_clean(): a
		 * valid sequence is made of such bytes only, and no control
		 * character is among them.  Clean text pays no more than
		 * that; a dirty run is sanitized below.
		 */
		run = i;
		dirty = 0;
		while (run < n && u[run] >= 0x20 && u[run] != '\\') {
			if (u[run] < 0x80) {
				run++;
				continue;
			}
			for (hi = run; hi < n && u[hi] >= 0x80; hi++)
				;
			if (!utf8_is_clean(s + run, hi - run)) {
				dirty = 1;
				break;
			}
			run = hi;
		}
		if (out != NULL && run > i &&
		    (r = buf_append(out, s + i, run - i)) != 0)
			return r;
		if (dirty) {
			/*
			 * Only bytes >= 0x80 in s[run..hi), bounded by ASCII
			 * or the string's end on both sides: sanitizing them
			 * alone replaces the same bytes as sanitizing the
			 * whole string would.
			 */
			if (out != NULL &&
			    (r = utf8_sanitize(out, s + run, hi - run)) != 0)
				return r;
			i = hi;
			continue;
		}
		i = run;
		if (i == n)
			break;
		if (u[i] < 0x20 || i + 1 == n)
			return ERR_JSON_INVAL;
		switch (s[i + 1]) {
		case '"':
		case '\\':
		case '/':
			ch = s[i + 1];
			break;
		case 'b':
			ch = '\b';
			break;
		case 'f':
			ch = '\f';
			break;
		case 'n':
			ch = '\n';
			break;
		case 'r':
			ch = '\r';
			break;
		case 't':
			ch = '\t';
			break;
		case 'u':
			if (json_hex4(s + i + 2, n - i - 2, &cp) != 0)
				return ERR_JSON_INVAL;
			i += 6;
			/* A high surrogate counts only with a low one next. */
			if (cp >= 0xd800 && cp <= 0xdbff && n - i >= 6 &&
			    s[i] == '\\' && s[i + 1] == 'u' &&
			    json_hex4(s + i + 2, 4, &lo) == 0 &&
			    lo >= 0xdc00 && lo <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				i += 6;
			}
			if (out != NULL && (r = utf8_put(out, cp)) != 0)
				return r;
			continue;
		default:
			return ERR_JSON_INVAL;
		}
		if (out != NULL && (r = buf_putc(out, ch)) != 0)
			return r;
		i += 2;
	}
	return 0;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, the whole of s[0..n). */
static int
json_is_number(const char *s, size_t n)
{
	size_t i = 0, d;

	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && s[i] >= '1' && s[i] <= '9') {
		while (i < n && json_is_digit(s[i]))
			i++;
	} else
		return 0;
	if (i < n && s[i] == '.') {
		d = ++i;
		while (i < n && json_is_digit(s[i]))
			i++;
		if (i == d)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		d = i;
		while (i < n && json_is_digit(s[i]))
			i++;
		if (i == d)
			return 0;
	}
	return i == n;
}

/* jsmn in strict mode takes any word that starts like one of these. */
static int
json_is_primitive(const char *s, size_t n)
{
	if (n == 4 && (memcmp(s, "true", 4) == 0 || memcmp(s, "null", 4) == 0))
		return 1;
	if (n == 5 && memcmp(s, "false", 5) == 0)
		return 1;
	return json_is_number(s, n);
}

static const char *
json_tok_ptr(const struct json_ctx *c, int i)
{
	return c->js + c->tok[i].start;
}

static size_t
json_tok_len(const struct json_ctx *c, int i)
{
	return (size_t)(c->tok[i].end - c->tok[i].start);
}

static int
json_is_container(const jsmntok_t *t)
{
	return t->type == JSMN_OBJECT || t->type == JSMN_ARRAY;
}

/* Where a token's text begins and ends, counting a string's quotes. */
static int
json_span_start(const jsmntok_t *t)
{
	return t->type == JSMN_STRING ? t->start - 1 : t->start;
}

static int
json_span_end(const jsmntok_t *t)
{
	return t->type == JSMN_STRING ? t->end + 1 : t->end;
}

/*
 * A linear scan before jsmn, skipping strings so that brackets inside them
 * do not count.  It refuses nesting deeper than JSON_MAX_DEPTH, and text
 * after the top-level container has closed: jsmn would call "{}1" truncated
 * (the 1 might go on), but no continuation can make it valid.
 */
static int
json_prescan(struct json_ctx *c)
{
	size_t i;
	int depth = 0, instr = 0, closed = 0;

	for (i = 0; i < c->len; i++) {
		if (instr) {
			if (c->js[i] == '\\')
				i++;
			else if (c->js[i] == '"')
				instr = 0;
			continue;
		}
		if (closed && !json_is_ws(c->js[i])) {
			json_reason(c, "data after the JSON value, at byte %zu",
			    i);
			return ERR_JSON_INVAL;
		}
		switch (c->js[i]) {
		case '"':
			instr = 1;
			break;
		case '[':
		case '{':
			if (++depth > JSON_MAX_DEPTH) {
				json_reason(c, "JSON nested deeper than %d "
				    "levels at byte %zu", JSON_MAX_DEPTH, i);
				return ERR_TOOBIG;
			}
			break;
		case ']':
		case '}':
			if (depth > 0 && --depth == 0)
				closed = 1;
			break;
		}
	}
	return 0;
}

static int
json_jsmn_error(struct json_ctx *c, int r, unsigned int pos)
{
	switch (r) {
	case JSMN_ERROR_PART:
		json_reason(c, "JSON truncated after %zu bytes", c->len);
		return ERR_JSON_PART;
	case JSMN_ERROR_NOMEM:
		json_reason(c, "more JSON tokens than expected");
		return ERR_JSON_NOMEM;
	default:
		json_reason(c, "invalid JSON near byte %u", pos);
		return ERR_JSON_INVAL;
	}
}

/*
 * Two jsmn passes: the first only counts, so that the token array is
 * allocated once and exactly as large as needed, and refused up front when
 * the count exceeds maxtok.
 */
static int
json_tokenize(struct json_ctx *c, int maxtok)
{
	jsmn_parser p;
	size_t i;
	int r;

	jsmn_init(&p);
	r = jsmn_parse(&p, c->js, c->len, NULL, 0);
	if (r < 0)
		return json_jsmn_error(c, r, p.pos);
	if (r == 0) {
		/* Counting, jsmn passes over stray brackets and commas. */
		for (i = 0; i < c->len && json_is_ws(c->js[i]); i++)
			;
		if (i < c->len) {
			json_reason(c, "invalid JSON near byte %zu", i);
			return ERR_JSON_INVAL;
		}
		json_reason(c, "empty body");
		return ERR_JSON_PART;
	}
	if (r > maxtok) {
		json_reason(c, "more than %d JSON tokens", maxtok);
		return ERR_JSON_NOMEM;
	}
	if ((c->tok = calloc((size_t)r, sizeof(*c->tok))) == NULL) {
		json_reason(c, "no memory for %d JSON tokens", r);
		return ERR_NOMEM;
	}
	c->ntok = r;
	jsmn_init(&p);
	r = jsmn_parse(&p, c->js, c->len, c->tok, (unsigned int)c->ntok);
	if (r < 0)
		return json_jsmn_error(c, r, p.pos);
	if (r != c->ntok)
		return json_jsmn_error(c, JSMN_ERROR_NOMEM, p.pos);
	return 0;
}

/*
 * The text js[from..to) between two tokens must be whitespace around
 * exactly one sep, or only whitespace when sep is '\0'.  This is the part
 * of the grammar jsmn leaves out: it takes [1 2], [1,,2], [1,], {"a" 1}.
 */
static int
json_gap(const struct json_ctx *c, int from, int to, char sep)
{
	int i = from;

	if (from < 0 || to < from || (size_t)to > c->len)
		return -1;
	while (i < to && json_is_ws(c->js[i]))
		i++;
	if (sep != '\0') {
		if (i == to || c->js[i] != sep)
			return -1;
		i++;
		while (i < to && json_is_ws(c->js[i]))
			i++;
	}
	return i == to ? 0 : -1;
}

/*
 * Pops finished containers and keys off the chain of open tokens until
 * parent p is the innermost, checking that only whitespace precedes each
 * closing bracket.
 */
static int
json_close(const struct json_ctx *c, int *open, int *pos, int p)
{
	const jsmntok_t *t;

	while (*open != p) {
		if (*open == -1)
			return -1;
		t = &c->tok[*open];
		if (json_is_container(t)) {
			if (json_gap(c, *pos, t->end - 1, '\0') != 0)
				return -1;
			*pos = t->end;
		}
		*open = t->parent;
	}
	return 0;
}

/*
 * Checks the whole document in one pass over the tokens, in document
 * order: the text between tokens against the grammar, and each string and
 * primitive.  jsmn's parent links give the tree (a value's parent is its
 * key, a key's parent its object); open is the innermost container or key
 * still expecting children, pos the end of the text checked so far.
 */
static int
json_validate(struct json_ctx *c)
{
	const jsmntok_t *t, *pt;
	int i, p, open = -1, pos = 0, at = 0;
	char sep;

	for (i = 0; i < c->ntok; i++) {
		t = &c->tok[i];
		p = t->parent;
		at = json_span_start(t);
		if (p >= i || json_close(c, &open, &pos, p) != 0)
			goto bad;
		if (p == -1) {
			if (i != 0) {
				json_reason(c, "more than one JSON value, "
				    "the second at byte %d", at);
				return ERR_JSON_INVAL;
			}
			sep = '\0';
		} else {
			pt = &c->tok[p];
			switch (pt->type) {
			case JSMN_OBJECT:
				/* A key, with exactly one value. */
				if (t->type != JSMN_STRING || t->size != 1)
					goto bad;
				sep = i == p + 1 ? '\0' : ',';
				break;
			case JSMN_ARRAY:
				sep = i == p + 1 ? '\0' : ',';
				break;
			case JSMN_STRING:
				if (pt->parent == -1 ||
				    c->tok[pt->parent].type != JSMN_OBJECT)
					goto bad;
				sep = ':';
				break;
			default:
				goto bad;
			}
		}
		if (json_gap(c, pos, at, sep) != 0)
			goto bad;
		switch (t->type) {
		case JSMN_OBJECT:
		case JSMN_ARRAY:
			pos = t->start + 1;
			open = i;
			break;
		case JSMN_STRING:
			if (json_unescape(json_tok_ptr(c, i),
			    json_tok_len(c, i), NULL) != 0) {
				json_reason(c, "invalid JSON string at byte "
				    "%d (escape or control character)", at);
				return ERR_JSON_INVAL;
			}
			pos = json_span_end(t);
			if (p != -1 && c->tok[p].type == JSMN_OBJECT)
				open = i;
			break;
		case JSMN_PRIMITIVE:
			if (!json_is_primitive(json_tok_ptr(c, i),
			    json_tok_len(c, i))) {
				json_reason(c, "invalid JSON literal at byte "
				    "%d", at);
				return ERR_JSON_INVAL;
			}
			pos = t->end;
			break;
		default:
			goto bad;
		}
	}
	at = pos;
	if (json_close(c, &open, &pos, -1) != 0 ||
	    json_gap(c, pos, (int)c->len, '\0') != 0)
		goto bad;
	return 0;
 bad:
	json_reason(c, "invalid JSON near byte %d", at);
	return ERR_JSON_INVAL;
}

/*
 * Index of the first token after the value at i and all it contains.
 * Tokens are in document order, so a container's contents are the run of
 * tokens that start before it ends: a binary search, no recursion.
 */
static int
json_next(const struct json_ctx *c, int i)
{
	int lo = i + 1, hi = c->ntok, mid, end = c->tok[i].end;

	if (!json_is_container(&c->tok[i]))
		return i + 1;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (c->tok[mid].start < end)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Sets c->sp, c->sn to the decoded text of string token i, for comparison
 * with key and enum names: "\u006aobid" is "jobid".  Text too long to be
 * any of those decodes to "", which matches none.  Text without escapes is
 * used as it stands, invalid UTF-8 and all: the names are ASCII, so such
 * text matches none of them, as its sanitized form would not either.
 */
static int
json_short(struct json_ctx *c, int i)
{
	const char *s = json_tok_ptr(c, i);
	size_t n = json_tok_len(c, i);
	int r;

	if (memchr(s, '\\', n) == NULL) {
		c->sp = s;
		c->sn = n;
		return 0;
	}
	buf_reset(&c->shortb);
	r = json_unescape(s, n, &c->shortb);
	if (r == ERR_TOOBIG) {
		buf_reset(&c->shortb);
		r = 0;
	}
	if (r != 0) {
		json_reason(c, "%s", err_str(r));
		return r;
	}
	c->sp = buf_ptr(&c->shortb);
	c->sn = buf_len(&c->shortb);
	return 0;
}

static int
json_short_is(const struct json_ctx *c, const char *lit)
{
	size_t n = strlen(lit);

	return c->sn == n && memcmp(c->sp, lit, n) == 0;
}

/*
 * Appends to rb the decoded, sanitized start of string token i (nothing if
 * i is not a string).  Only the first reasonsz + 3 decoded bytes are used:
 * more would be cut from the reason anyway, and sanitizing never shrinks
 * text, so a sequence split at that point lands beyond the cut.
 */
static int
json_reason_part(struct json_ctx *c, struct buf *rb, int i)
{
	size_t n;
	int r;

	if (i == -1 || c->tok[i].type != JSMN_STRING)
		return 0;
	buf_reset(&c->str);
	if ((r = json_unescape(json_tok_ptr(c, i), json_tok_len(c, i),
	    &c->str)) != 0)
		return r;
	n = buf_len(&c->str);
	if (n > 3 && n - 3 > c->reasonsz)
		n = c->reasonsz + 3;
	return utf8_sanitize(rb, buf_ptr(&c->str), n);
}

/*
 * status "error": the reason is "<errorType>: <error>", cut at a character
 * boundary.  ERR_UPSTREAM is what counts, so a reason that cannot be built
 * stays empty rather than turning the result into ERR_NOMEM.
 */
static int
json_upstream(struct json_ctx *c, int etype, int emsg)
{
	struct buf rb;
	const char *p;
	size_t n;

	if (c->reason == NULL || c->reasonsz == 0)
		return ERR_UPSTREAM;
	buf_init(&rb, MAX_JSON_BODY);
	if (json_reason_part(c, &rb, etype) != 0 ||
	    buf_puts(&rb, ": ") != 0 ||
	    json_reason_part(c, &rb, emsg) != 0)
		goto out;
	p = buf_ptr(&rb);
	n = buf_len(&rb);
	n = utf8_cut(p, n, c->reasonsz - 1);
	memcpy(c->reason, p, n);
	c->reason[n] = '\0';
 out:
	buf_cleanup(&rb);
	return ERR_UPSTREAM;
}

/* Decodes and sanitizes label value token i of element idx into out. */
static int
json_label(struct json_ctx *c, int i, struct buf *out, const char *name,
    int idx)
{
	int r;

	buf_reset(&c->lab);
	buf_reset(out);
	if ((r = json_unescape(json_tok_ptr(c, i), json_tok_len(c, i),
	    &c->lab)) != 0 ||
	    (r = utf8_sanitize(out, buf_ptr(&c->lab), buf_len(&c->lab))) != 0) {
		if (r == ERR_TOOBIG)
			json_reason(c, "data.result[%d].metric.%s is longer "
			    "than %d bytes", idx, name, MAX_LABEL);
		else
			json_reason(c, "%s", err_str(r));
		return r;
	}
	return 0;
}

/*
 * The sample value, a decimal string.  strtod() alone would also take
 * leading spaces, "inf", "nan(...)" and hex floats, none of which
 * Prometheus writes, so only decimal notation gets that far.  Nothing in
 * the process calls setlocale(), so strtod() reads '.' as the point.
 */
static void
json_number_value(const char *s, size_t n, struct json_series *out)
{
	char *end;
	double v;
	size_t i;

	out->value = NAN;
	out->value_status = JSON_VALUE_BAD;
	if ((n == 3 && memcmp(s, "NaN", 3) == 0)) {
		out->value_status = JSON_VALUE_NONFINITE;
		return;
	}
	if ((n == 3 && memcmp(s, "Inf", 3) == 0) ||
	    (n == 4 && memcmp(s, "+Inf", 4) == 0)) {
		out->value = INFINITY;
		out->value_status = JSON_VALUE_NONFINITE;
		return;
	}
	if (n == 4 && memcmp(s, "-Inf", 4) == 0) {
		out->value = -INFINITY;
		out->value_status = JSON_VALUE_NONFINITE;
		return;
	}
	if (n == 0)
		return;
	for (i = 0; i < n; i++)
		if (!json_is_digit(s[i]) && s[i] != '.' && s[i] != 'e' &&
		    s[i] != 'E' && s[i] != '+' && s[i] != '-')
			return;
	errno = 0;
	v = strtod(s, &end);
	if (end != s + n)
		return;
	out->value = v;
	/* Beyond DBL_MAX: strtod() gives HUGE_VAL, an infinity. */
	if (errno == ERANGE && isinf(v))
		out->value_status = JSON_VALUE_NONFINITE;
	else
		out->value_status = JSON_VALUE_OK;
}

/* One element of data.result, number idx, at token e. */
static int
json_series(struct json_ctx *c, int e, int idx, json_series_fn *fn,
    void *arg)
{
	struct json_series s;
	int k, v, n, r, metric = -1, value = -1, jobid = -1, target = -1;
	int t0, t1;

	if (c->tok[e].type != JSMN_OBJECT) {
		json_reason(c, "data.result[%d] is not an object", idx);
		return ERR_JSON_SCHEMA;
	}
	for (n = 0, k = e + 1; n < c->tok[e].size; n++, k = json_next(c, v)) {
		v = k + 1;
		if ((r = json_short(c, k)) != 0)
			return r;
		if (json_short_is(c, "metric"))
			metric = v;
		else if (json_short_is(c, "value"))
			value = v;
	}
	if (metric == -1 || c->tok[metric].type != JSMN_OBJECT) {
		json_reason(c, "data.result[%d].metric is missing or not an "
		    "object", idx);
		return ERR_JSON_SCHEMA;
	}
	for (n = 0, k = metric + 1; n < c->tok[metric].size;
	    n++, k = json_next(c, v)) {
		v = k + 1;
		if (c->tok[v].type != JSMN_STRING) {
			json_reason(c, "data.result[%d].metric has a label "
			    "value that is not a string", idx);
			return ERR_JSON_SCHEMA;
		}
		if ((r = json_short(c, k)) != 0)
			return r;
		if (json_short_is(c, "jobid"))
			jobid = v;
		else if (json_short_is(c, "target"))
			target = v;
	}

	/*
	 * An over-long label marks this series only: one hostile series
	 * must not cost the whole answer.
	 */
	memset(&s, 0, sizeof(s));
	if (jobid != -1) {
		r = json_label(c, jobid, &c->jobid, "jobid", idx);
		if (r == ERR_TOOBIG)
			s.label_too_long = 1;
		else if (r != 0)
			return r;
		else {
			s.jobid = buf_ptr(&c->jobid);
			s.jobid_len = buf_len(&c->jobid);
		}
	}
	if (target != -1) {
		r = json_label(c, target, &c->target, "target", idx);
		if (r == ERR_TOOBIG)
			s.label_too_long = 1;
		else if (r != 0)
			return r;
		else {
			s.target = buf_ptr(&c->target);
			s.target_len = buf_len(&c->target);
		}
	}
	if (c->reason != NULL && c->reasonsz > 0)
		c->reason[0] = '\0';

	if (value == -1) {
		s.value = NAN;
		s.value_status = JSON_VALUE_BAD;
	} else {
		/* [<unix time>, "<value>"]; the time itself is not used. */
		t0 = value + 1;
		t1 = value + 2;
		if (c->tok[value].type != JSMN_ARRAY ||
		    c->tok[value].size != 2 ||
		    c->tok[t0].type != JSMN_PRIMITIVE ||
		    !json_is_number(json_tok_ptr(c, t0), json_tok_len(c, t0)) ||
		    c->tok[t1].type != JSMN_STRING) {
			json_reason(c, "data.result[%d].value is not "
			    "[time, \"value\"]", idx);
			return ERR_JSON_SCHEMA;
		}
		buf_reset(&c->str);
		if ((r = json_unescape(json_tok_ptr(c, t1), json_tok_len(c, t1),
		    &c->str)) != 0) {
			json_reason(c, "%s", err_str(r));
			return r;
		}
		json_number_value(buf_ptr(&c->str), buf_len(&c->str), &s);
	}

	if (fn != NULL && (r = fn(&s, arg)) != 0) {
		json_reason(c, "stopped by the caller at data.result[%d]", idx);
		return r;
	}
	return 0;
}

/* Checks the validated token tree against the answer's schema. */
static int
json_walk(struct json_ctx *c, json_series_fn *fn, void *arg)
{
	int k, v, n, r, status = -1, data = -1, etype = -1, emsg = -1;
	int rtype = -1, result = -1;

	if (c->tok[0].type != JSMN_OBJECT) {
		json_reason(c, "the answer is not a JSON object");
		return ERR_JSON_SCHEMA;
	}
	/* Keys may come in any order; for a repeated key the last counts. */
	for (n = 0, k = 1; n < c->tok[0].size; n++, k = json_next(c, v)) {
		v = k + 1;
		if ((r = json_short(c, k)) != 0)
			return r;
		if (json_short_is(c, "status"))
			status = v;
		else if (json_short_is(c, "data"))
			data = v;
		else if (json_short_is(c, "errorType"))
			etype = v;
		else if (json_short_is(c, "error"))
			emsg = v;
	}
	if (status == -1 || c->tok[status].type != JSMN_STRING) {
		json_reason(c, "status is missing or not a string");
		return ERR_JSON_SCHEMA;
	}
	if ((r = json_short(c, status)) != 0)
		return r;
	if (json_short_is(c, "error"))
		return json_upstream(c, etype, emsg);
	if (!json_short_is(c, "success")) {
		json_reason(c, "status is neither \"success\" nor \"error\"");
		return ERR_JSON_SCHEMA;
	}
	if (data == -1 || c->tok[data].type != JSMN_OBJECT) {
		json_reason(c, "data is missing or not an object");
		return ERR_JSON_SCHEMA;
	}
	for (n = 0, k = data + 1; n < c->tok[data].size;
	    n++, k = json_next(c, v)) {
		v = k + 1;
		if ((r = json_short(c, k)) != 0)
			return r;
		if (json_short_is(c, "resultType"))
			rtype = v;
		else if (json_short_is(c, "result"))
			result = v;
	}
	/*
	 * Prometheus always names the type; a stand-in upstream that leaves
	 * it out is read as a vector, as the original did.  Any other type
	 * has a different shape and is refused.
	 */
	if (rtype != -1 && c->tok[rtype].type != JSMN_STRING) {
		json_reason(c, "data.resultType is not a string");
		return ERR_JSON_SCHEMA;
	}
	if (rtype != -1 && (r = json_short(c, rtype)) != 0)
		return r;
	if (rtype != -1 && !json_short_is(c, "vector")) {
		json_reason(c, "data.resultType is not \"vector\"");
		return ERR_JSON_SCHEMA;
	}
	if (result == -1) {
		json_reason(c, "data.result is missing");
		return ERR_JSON_SCHEMA;
	}
	if (c->tok[result].type != JSMN_ARRAY) {
		json_reason(c, "data.result is not an array");
		return ERR_JSON_SCHEMA;
	}
	for (n = 0, k = result + 1; n < c->tok[result].size;
	    n++, k = json_next(c, k))
		if ((r = json_series(c, k, n, fn, arg)) != 0)
			return r;
	return 0;
}

/* json_parse_vector() with the token cap as a parameter, for the tests. */
static int
json_parse_capped(const char *body, size_t len, int maxtok,
    json_series_fn *fn, void *arg, char *reason, size_t reasonsz)
{
	struct json_ctx c;
	int r = -1;

	memset(&c, 0, sizeof(c));
	c.js = body;
	c.len = len;
	c.reason = reason;
	c.reasonsz = reasonsz;
	buf_init(&c.shortb, JSON_SHORT_MAX);
	buf_init(&c.str, MAX_JSON_BODY);
	buf_init(&c.lab, MAX_LABEL);
	buf_init(&c.jobid, MAX_LABEL);
	buf_init(&c.target, MAX_LABEL);
	if (reason != NULL && reasonsz > 0)
		reason[0] = '\0';

	if (len > MAX_JSON_BODY) {
		json_reason(&c, "body of %zu bytes exceeds %d", len,
		    MAX_JSON_BODY);
		r = ERR_TOOBIG;
		goto out;
	}
	if (len == 0) {
		json_reason(&c, "empty body");
		r = ERR_JSON_PART;
		goto out;
	}
	/* jsmn stops at a NUL, and no NUL is valid anywhere in JSON. */
	if (memchr(body, '\0', len) != NULL) {
		json_reason(&c, "NUL byte at byte %zu",
		    (size_t)((const char *)memchr(body, '\0', len) - body));
		r = ERR_JSON_INVAL;
		goto out;
	}
	if ((r = json_prescan(&c)) != 0 ||
	    (r = json_tokenize(&c, maxtok)) != 0 ||
	    (r = json_validate(&c)) != 0)
		goto out;
	r = json_walk(&c, fn, arg);
 out:
	if (r != 0 && reason != NULL && reasonsz > 0 && reason[0] == '\0')
		json_reason(&c, "%s", err_str(r));
	free(c.tok);
	buf_cleanup(&c.shortb);
	buf_cleanup(&c.str);
	buf_cleanup(&c.lab);
	buf_cleanup(&c.jobid);
	buf_cleanup(&c.target);
	return r;
}

int
json_parse_vector(const char *body, size_t len, json_series_fn *fn,
    void *arg, char *reason, size_t reasonsz)
{
	return json_parse_capped(body, len, MAX_JSON_TOKENS, fn, arg, reason,
	    reasonsz);
}
