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
/* What a stream keeps of the reason of a failure, and of error texts. */
#define JSON_REASON_MAX	512
/* Tokens of the first window; the array grows with the largest one. */
#define JSON_TOKENS_START	64

struct json_ctx {
	/* The window: one whole value of the answer, and its tokens. */
	const char	*js;
	size_t		 len;
	size_t		 base;		/* the window's offset in the answer */
	jsmntok_t	*tok;
	int		 ntok;
	int		 tokalloc;
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

/* A jsmn failure in the window, as an ERR_* with the answer's offset. */
static int
json_jsmn_error(struct json_ctx *c, int r, unsigned int pos)
{
	if (r == JSMN_ERROR_PART) {
		json_reason(c, "JSON truncated after %zu bytes",
		    c->base + c->len);
		return ERR_JSON_PART;
	}
	json_reason(c, "invalid JSON near byte %zu", c->base + pos);
	return ERR_JSON_INVAL;
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
				    "the second at byte %zu", c->base +
				    (size_t)at);
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
				    "%zu (escape or control character)",
				    c->base + (size_t)at);
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
				    "%zu", c->base + (size_t)at);
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
	json_reason(c, "invalid JSON near byte %zu", c->base + (size_t)at);
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
 * Sets c->sp, c->sn to the decoded text of s[0..n), for comparison
 * with key and enum names: "\u006aobid" is "jobid".  Text too long to be
 * any of those decodes to "", which matches none.  Text without escapes is
 * used as it stands, invalid UTF-8 and all: the names are ASCII, so such
 * text matches none of them, as its sanitized form would not either.
 */
static int
json_short_text(struct json_ctx *c, const char *s, size_t n)
{
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

/* json_short_text() of string token i. */
static int
json_short(struct json_ctx *c, int i)
{
	return json_short_text(c, json_tok_ptr(c, i), json_tok_len(c, i));
}

static int
json_short_is(const struct json_ctx *c, const char *lit)
{
	size_t n = strlen(lit);

	return c->sn == n && memcmp(c->sp, lit, n) == 0;
}

/*
 * Keeps in out the decoded, sanitized start of the window's value when it
 * is a string (else nothing): an error text, kept until the answer ends.
 * Only the first JSON_REASON_MAX + 3 decoded bytes are used: more would be
 * cut from the reason anyway, and sanitizing never shrinks text, so a
 * sequence split at that point lands beyond the cut.
 */
static int
json_keep_text(struct json_ctx *c, struct buf *out)
{
	size_t n;
	int r;

	buf_reset(out);
	if (c->tok[0].type != JSMN_STRING)
		return 0;
	buf_reset(&c->str);
	if ((r = json_unescape(json_tok_ptr(c, 0), json_tok_len(c, 0),
	    &c->str)) != 0)
		return r;
	n = buf_len(&c->str);
	if (n > JSON_REASON_MAX + 3)
		n = JSON_REASON_MAX + 3;
	return utf8_sanitize(out, buf_ptr(&c->str), n);
}

/* Decodes and sanitizes label value token i of element idx into out. */
static int
json_label(struct json_ctx *c, int i, struct buf *out, const char *name,
    size_t idx)
{
	int r;

	buf_reset(&c->lab);
	buf_reset(out);
	if ((r = json_unescape(json_tok_ptr(c, i), json_tok_len(c, i),
	    &c->lab)) != 0 ||
	    (r = utf8_sanitize(out, buf_ptr(&c->lab), buf_len(&c->lab))) != 0) {
		if (r == ERR_TOOBIG)
			json_reason(c, "data.result[%zu].metric.%s is longer "
			    "than %d bytes", idx, name, MAX_LABEL);
		else
			json_reason(c, "%s", err_str(r));
		return r;
	}
	return 0;
}

/*
 * A decimal of at most 15 significant digits without an exponent, the
 * usual sample value, into *v without strtod(): its digits make an
 * integer below 2^53 and the power of ten (at most 1e22) is exact too, so
 * the one division rounds as strtod() would (Clinger's fast path).
 * Returns 0 for anything else, left to strtod().
 */
static int
json_fast_decimal(const char *s, size_t n, double *v)
{
	static const double pow10[] = {
		1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
		1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21,
		1e22,
	};
	uint64_t m = 0;
	size_t i = 0, digits = 0, frac = 0;
	int neg = 0, point = 0, any = 0;

	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	for (; i < n; i++) {
		if (s[i] == '.' && !point) {
			point = 1;
			continue;
		}
		if (!json_is_digit(s[i]))
			return 0;
		any = 1;
		frac += (size_t)point;
		/* Leading zeros are not significant. */
		if (m == 0 && s[i] == '0')
			continue;
		if (++digits > 15)
			return 0;
		m = m * 10 + (uint64_t)(s[i] - '0');
	}
	if (!any || frac >= sizeof(pow10) / sizeof(pow10[0]))
		return 0;
	*v = (double)m / pow10[frac];
	if (neg)
		*v = -*v;
	return 1;
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
	if (json_fast_decimal(s, n, &out->value)) {
		out->value_status = JSON_VALUE_OK;
		return;
	}
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
json_series(struct json_ctx *c, int e, size_t idx, json_series_fn *fn,
    void *arg)
{
	struct json_series s;
	int k, v, n, r, metric = -1, value = -1, jobid = -1, target = -1;
	int t0, t1;

	if (c->tok[e].type != JSMN_OBJECT) {
		json_reason(c, "data.result[%zu] is not an object", idx);
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
		json_reason(c, "data.result[%zu].metric is missing or not an "
		    "object", idx);
		return ERR_JSON_SCHEMA;
	}
	for (n = 0, k = metric + 1; n < c->tok[metric].size;
	    n++, k = json_next(c, v)) {
		v = k + 1;
		if (c->tok[v].type != JSMN_STRING) {
			json_reason(c, "data.result[%zu].metric has a label "
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
			json_reason(c, "data.result[%zu].value is not "
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
		json_reason(c, "stopped by the caller at data.result[%zu]",
		    idx);
		return r;
	}
	return 0;
}

/* -- the stream: a framer that hands the tokenizer one value at a time --- */

/*
 * The framer walks the answer's outer levels itself (its object, data,
 * data.result) and copies every other value whole into the window, which
 * jsmn then tokenizes and json_validate() checks: an element of
 * data.result, or a member such as status or warnings.  Memory thus
 * follows the largest single value, never the answer.
 */
enum json_state {
	JS_START,		/* before the answer's value */
	JS_FIRST_KEY,		/* after '{': a key or '}' */
	JS_NEXT_KEY,		/* after ',' in an object: a key */
	JS_KEY,			/* in a key */
	JS_COLON,		/* after a key */
	JS_VALUE,		/* after ':' */
	JS_AFTER_MEMBER,	/* ',' or '}' */
	JS_FIRST_ELEM,		/* after data.result's '[': a value or ']' */
	JS_NEXT_ELEM,		/* after ',' in data.result */
	JS_AFTER_ELEM,		/* ',' or ']' */
	JS_CAPTURE,		/* in a value the window takes whole */
	JS_DONE,		/* after the answer: white space only */
};

/* The levels the framer walks; anything deeper is inside a window. */
enum json_level {
	JL_NONE,		/* outside the answer's object */
	JL_ROOT,		/* the answer's object */
	JL_DATA,		/* data */
	JL_RESULT,		/* data.result */
};

/* What the value being read is, by the key it belongs to. */
enum json_what {
	JW_ROOT,		/* the answer itself, when not an object */
	JW_STATUS,
	JW_ERRTYPE,
	JW_ERROR,
	JW_DATA,		/* data, when not an object */
	JW_RTYPE,
	JW_RESULT,		/* data.result, when not an array */
	JW_ELEMENT,		/* an element of data.result */
	JW_OTHER,		/* any other member: checked, not used */
};

/* What came of an outer member (status, data, resultType, result). */
enum json_seen {
	SEEN_NONE,		/* not (yet) in the answer */
	SEEN_WRONG,		/* not of the type it must have */
	SEEN_GOOD,		/* "success", an object, "vector", an array */
	SEEN_OTHER,		/* status "error"; another resultType */
	SEEN_BAD,		/* status neither "success" nor "error" */
};

struct json_stream {
	struct json_ctx	 c;
	json_series_fn	*fn;
	void		*arg;
	int		 state;		/* enum json_state */
	int		 level;		/* enum json_level */
	int		 err;		/* the first failure; it sticks */
	char		 why[JSON_REASON_MAX];
	size_t		 off;		/* bytes of the answer read so far */
	struct buf	 key;		/* the key being read, raw */
	int		 kesc;		/* its last byte was a backslash */
	int		 what;		/* enum json_what of the next value */
	struct buf	 win;		/* the window */
	int		 wdepth;	/* brackets open in it */
	int		 wstr;		/* in a string in it */
	int		 wesc;		/* after a backslash in that string */
	int		 wclosed;	/* a string in it has just closed */
	int		 wprim;		/* it is a primitive: ends before a
					   delimiter */
	size_t		 elements;	/* of data.result so far */
	int		 withheld;	/* some came under a failed status */
	int		 root_object;
	/* The outer members so far (enum json_seen); the last one counts. */
	int		 status;
	int		 data;
	int		 rtype;
	int		 result;
	struct buf	 etype;		/* errorType and error, kept whole */
	struct buf	 emsg;		/* for the reason of status "error" */
};

static int
json_fail(struct json_stream *s, int r)
{
	if (s->err == 0) {
		s->err = r;
		if (s->why[0] == '\0')
			json_reason(&s->c, "%s", err_str(r));
	}
	return s->err;
}

/* Fails the stream with ERR_JSON_INVAL at byte at of the answer. */
static int
json_fail_at(struct json_stream *s, size_t at)
{
	json_reason(&s->c, "invalid JSON near byte %zu", at);
	return json_fail(s, ERR_JSON_INVAL);
}

/* Bytes that end a primitive: white space and JSON's punctuation. */
static int
json_ends_primitive(char ch)
{
	return json_is_ws(ch) || ch == ',' || ch == ':' || ch == '[' ||
	    ch == ']' || ch == '{' || ch == '}' || ch == '"';
}

/*
 * Tokenizes the window.  The token array is kept from one window to the
 * next and grows (jsmn starts over) until the largest value fits; a
 * token takes at least one byte, so it never outgrows the window.
 */
static int
json_tokenize(struct json_ctx *c)
{
	jsmn_parser p;
	jsmntok_t *t;
	int r, na;

	/* Without an array jsmn would only count: one is there first. */
	for (r = JSMN_ERROR_NOMEM; ; ) {
		if (c->tok != NULL) {
			jsmn_init(&p);
			r = jsmn_parse(&p, c->js, c->len, c->tok,
			    (unsigned int)c->tokalloc);
		}
		if (r != JSMN_ERROR_NOMEM)
			break;
		if ((size_t)c->tokalloc > c->len)
			return json_jsmn_error(c, JSMN_ERROR_INVAL, 0);
		na = c->tokalloc == 0 ? JSON_TOKENS_START : c->tokalloc * 2;
		/* realloc: cmocka's test allocator wraps realloc. */
		if ((t = realloc(c->tok, (size_t)na * sizeof(*t))) == NULL) {
			json_reason(c, "no memory for %d JSON tokens", na);
			return ERR_NOMEM;
		}
		c->tok = t;
		c->tokalloc = na;
	}
	if (r < 0)
		return json_jsmn_error(c, r, p.pos);
	if (r == 0) {
		json_reason(c, "invalid JSON near byte %zu", c->base);
		return ERR_JSON_INVAL;
	}
	c->ntok = r;
	return 0;
}

/* The decoded value of the window, when a string, compared with lit. */
static int
json_window_is(struct json_ctx *c, const char *lit, int *is)
{
	int r;

	*is = 0;
	if (c->tok[0].type != JSMN_STRING)
		return 0;
	if ((r = json_short(c, 0)) != 0)
		return r;
	*is = json_short_is(c, lit);
	return 0;
}

/* Notes what an outer member's window says (status, resultType...). */
static int
json_member(struct json_stream *s)
{
	struct json_ctx *c = &s->c;
	int r = 0, is = 0;

	switch (s->what) {
	case JW_STATUS:
		s->status = SEEN_WRONG;
		if (c->tok[0].type != JSMN_STRING)
			break;
		if ((r = json_window_is(c, "success", &is)) != 0 || is) {
			s->status = SEEN_GOOD;
			break;
		}
		r = json_window_is(c, "error", &is);
		s->status = is ? SEEN_OTHER : SEEN_BAD;
		break;
	case JW_RTYPE:
		s->rtype = c->tok[0].type != JSMN_STRING ? SEEN_WRONG :
		    SEEN_OTHER;
		if (s->rtype == SEEN_OTHER &&
		    (r = json_window_is(c, "vector", &is)) == 0 && is)
			s->rtype = SEEN_GOOD;
		break;
	case JW_ERRTYPE:
		r = json_keep_text(c, &s->etype);
		break;
	case JW_ERROR:
		r = json_keep_text(c, &s->emsg);
		break;
	case JW_DATA:
		s->data = SEEN_WRONG;
		break;
	case JW_RESULT:
		s->result = SEEN_WRONG;
		break;
	}
	return r;
}

/* The window holds a whole value: checks it and passes it on. */
static int
json_window(struct json_stream *s)
{
	struct json_ctx *c = &s->c;
	int r;

	/* jsmn (strict) wants a delimiter after a primitive. */
	if (s->wprim && (r = buf_putc(&s->win, ' ')) != 0)
		return r;
	c->js = buf_ptr(&s->win);
	c->len = buf_len(&s->win);
	if ((r = json_tokenize(c)) != 0 || (r = json_validate(c)) != 0)
		return r;
	if (s->what == JW_ELEMENT) {
		/* An answer that says it failed has no series to pass on. */
		if (s->status == SEEN_GOOD || s->status == SEEN_NONE)
			r = json_series(c, 0, s->elements, s->fn, s->arg);
		else
			s->withheld = 1;
		s->elements++;
		s->state = JS_AFTER_ELEM;
	} else {
		r = json_member(s);
		s->state = s->level == JL_NONE ? JS_DONE : JS_AFTER_MEMBER;
	}
	buf_reset(&s->win);
	return r;
}

/* The bytes that end a run of plain bytes inside a string. */
static const unsigned char json_stops_string[256] = {
	['\0'] = 1, ['"'] = 1, ['\\'] = 1,
};

/*
 * One byte of a container outside its strings: opens a string, or
 * counts a bracket (*done when the value closes).  ERR_TOOBIG past
 * JSON_MAX_DEPTH, counting the framer's own levels.
 */
static int
json_capture_byte(struct json_stream *s, char ch, int *done)
{
	if (ch == '"') {
		s->wstr = 1;
	} else if (ch == '{' || ch == '[') {
		if (s->level + ++s->wdepth > JSON_MAX_DEPTH)
			return ERR_TOOBIG;
	} else if ((ch == '}' || ch == ']') && --s->wdepth == 0) {
		*done = 1;
	}
	return 0;
}

/*
 * Copies the value being captured from p[0..n) into the window, up to its
 * end.  *taken receives the bytes consumed, *done 1 when the value ended.
 * Returns 0 or an ERR_*.
 */
static int
json_capture(struct json_stream *s, const char *p, size_t n, size_t *taken,
    int *done)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t i = 0;
	int r = 0;

	*done = 0;
	while (i < n && !*done && u[i] != '\0') {
		if (s->wesc) {
			s->wesc = 0;
			i++;
		} else if (s->wstr) {
			/* Most of an answer: skipped in a tight loop. */
			while (i < n && !json_stops_string[u[i]])
				i++;
			if (i == n || u[i] == '\0')
				continue;
			if (u[i] == '\\')
				s->wesc = 1;
			else if ((s->wstr = 0, s->wdepth == 0))
				*done = 1;
			else
				s->wclosed = 1;
			i++;
		} else if (s->wclosed && !json_is_ws(p[i])) {
			/*
			 * Only punctuation follows a string.  Checked here,
			 * not left to jsmn, so that a stray quote (a bad
			 * escape shifting every string after it) fails where
			 * it is, not as a value that never ends.
			 */
			s->wclosed = 0;
			if (p[i] != ',' && p[i] != ':' && p[i] != ']' &&
			    p[i] != '}') {
				json_reason(&s->c, "invalid JSON near byte %zu",
				    s->off + i);
				return ERR_JSON_INVAL;
			}
		} else if (s->wprim) {
			if (json_ends_primitive(p[i]))
				*done = 1;	/* the delimiter is not ours */
			else
				i++;
		} else if ((r = json_capture_byte(s, p[i], done)) != 0) {
			json_reason(&s->c, "JSON nested deeper than %d levels "
			    "at byte %zu", JSON_MAX_DEPTH, s->off + i);
			return r;
		} else {
			i++;
		}
	}
	*taken = i;
	if ((r = buf_append(&s->win, p, i)) == ERR_TOOBIG)
		json_reason(&s->c, "a JSON value of more than %d bytes at "
		    "byte %zu", JSON_MAX_VALUE, s->c.base);
	if (r == 0 && i < n && u[i] == '\0' && !*done) {
		json_reason(&s->c, "NUL byte at byte %zu", s->off + i);
		r = ERR_JSON_INVAL;
	}
	return r;
}

/* Starts capturing the value whose first byte is ch, at byte at. */
static int
json_begin(struct json_stream *s, char ch, size_t at, int what)
{
	if (ch == ',' || ch == ':' || ch == ']' || ch == '}')
		return json_fail_at(s, at);
	s->what = what;
	s->state = JS_CAPTURE;
	s->c.base = at;
	s->wdepth = 0;
	s->wstr = 0;
	s->wesc = 0;
	s->wclosed = 0;
	s->wprim = ch != '{' && ch != '[' && ch != '"';
	buf_reset(&s->win);
	return 0;
}

/* Which member a decoded key is at the framer's level. */
static int
json_key_what(const struct json_stream *s)
{
	static const struct {
		int		 level;
		const char	*name;
		int		 what;
	} keys[] = {
		{ JL_ROOT, "status", JW_STATUS },
		{ JL_ROOT, "errorType", JW_ERRTYPE },
		{ JL_ROOT, "error", JW_ERROR },
		{ JL_ROOT, "data", JW_DATA },
		{ JL_DATA, "resultType", JW_RTYPE },
		{ JL_DATA, "result", JW_RESULT },
	};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (keys[i].level == s->level &&
		    json_short_is(&s->c, keys[i].name))
			return keys[i].what;
	return JW_OTHER;
}

/*
 * The key has ended: checks its escapes and decodes it.  data and result
 * may come once only: their contents are passed on as they arrive, and a
 * second one could not take the first one's back.
 */
static int
json_key_done(struct json_stream *s, size_t at)
{
	struct json_ctx *c = &s->c;
	int r;

	c->js = buf_ptr(&s->key);
	c->len = buf_len(&s->key);
	if (json_unescape(c->js, c->len, NULL) != 0) {
		json_reason(c, "invalid JSON string at byte %zu (escape or "
		    "control character)", at);
		return ERR_JSON_INVAL;
	}
	if ((r = json_short_text(c, c->js, c->len)) != 0)
		return r;
	s->what = json_key_what(s);
	if ((s->what == JW_DATA && s->data != SEEN_NONE) ||
	    (s->what == JW_RESULT && s->result != SEEN_NONE)) {
		json_reason(c, "%s given twice", s->what == JW_DATA ? "data" :
		    "data.result");
		return ERR_JSON_SCHEMA;
	}
	s->state = JS_COLON;
	return 0;
}

/*
 * Copies key bytes from p[0..n) up to the closing quote.  *taken receives
 * the bytes consumed, the quote included.  Returns 0 or an ERR_*.
 */
static int
json_key_bytes(struct json_stream *s, const char *p, size_t n,
    size_t *taken)
{
	size_t i;
	int r, end = 0;

	for (i = 0; i < n && p[i] != '\0'; i++) {
		if (s->kesc)
			s->kesc = 0;
		else if (p[i] == '\\')
			s->kesc = 1;
		else if (p[i] == '"') {
			end = 1;
			break;
		}
	}
	if ((r = buf_append(&s->key, p, i)) == ERR_TOOBIG)
		json_reason(&s->c, "a JSON key of more than %d bytes at byte "
		    "%zu", JSON_MAX_VALUE, s->off);
	if (r != 0)
		return r;
	if (i < n && p[i] == '\0') {
		json_reason(&s->c, "NUL byte at byte %zu", s->off + i);
		return ERR_JSON_INVAL;
	}
	*taken = i + end;
	return end ? json_key_done(s, s->off + i) : 0;
}

/* A value starts at byte ch (at byte at) after a key: descend or capture. */
static int
json_value(struct json_stream *s, char ch, size_t at)
{
	if (s->what == JW_DATA && ch == '{') {
		s->data = SEEN_GOOD;
		s->level = JL_DATA;
		s->state = JS_FIRST_KEY;
		return 1;
	}
	if (s->what == JW_RESULT && ch == '[') {
		/* Another type has another shape: say so, not what breaks. */
		if (s->rtype == SEEN_WRONG || s->rtype == SEEN_OTHER) {
			json_reason(&s->c, "data.resultType is not \"vector\"");
			return ERR_JSON_SCHEMA;
		}
		s->result = SEEN_GOOD;
		s->level = JL_RESULT;
		s->state = JS_FIRST_ELEM;
		return 1;
	}
	return json_begin(s, ch, at, s->what);
}

/* Closes the object or array the framer is in. */
static void
json_close_level(struct json_stream *s)
{
	s->level--;
	s->state = s->level == JL_NONE ? JS_DONE : JS_AFTER_MEMBER;
}

/*
 * One byte ch (byte at of the answer) at the framer's own levels.
 * Returns 1 when it was consumed, 0 when a capture starts with it (not
 * consumed), or an ERR_*.
 */
static int
json_step(struct json_stream *s, char ch, size_t at)
{
	if (json_is_ws(ch))
		return 1;
	switch (s->state) {
	case JS_START:
		if (ch != '{')
			return json_begin(s, ch, at, JW_ROOT);
		s->root_object = 1;
		s->level = JL_ROOT;
		s->state = JS_FIRST_KEY;
		return 1;
	case JS_FIRST_KEY:
	case JS_NEXT_KEY:
		if (ch == '}' && s->state == JS_FIRST_KEY) {
			json_close_level(s);
			return 1;
		}
		if (ch != '"')
			break;
		buf_reset(&s->key);
		s->kesc = 0;
		s->state = JS_KEY;
		return 1;
	case JS_COLON:
		if (ch != ':')
			break;
		s->state = JS_VALUE;
		return 1;
	case JS_VALUE:
		return json_value(s, ch, at);
	case JS_AFTER_MEMBER:
		if (ch == ',')
			s->state = JS_NEXT_KEY;
		else if (ch == '}')
			json_close_level(s);
		else
			break;
		return 1;
	case JS_FIRST_ELEM:
	case JS_NEXT_ELEM:
		if (ch == ']' && s->state == JS_FIRST_ELEM) {
			json_close_level(s);
			return 1;
		}
		return json_begin(s, ch, at, JW_ELEMENT);
	case JS_AFTER_ELEM:
		if (ch == ',')
			s->state = JS_NEXT_ELEM;
		else if (ch == ']')
			json_close_level(s);
		else
			break;
		return 1;
	case JS_DONE:
		json_reason(&s->c, "data after the JSON value, at byte %zu",
		    at);
		return ERR_JSON_INVAL;
	}
	return json_fail_at(s, at);
}

struct json_stream *
json_stream_new(json_series_fn *fn, void *arg)
{
	struct json_stream *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->fn = fn;
	s->arg = arg;
	s->c.reason = s->why;
	s->c.reasonsz = sizeof(s->why);
	buf_init(&s->c.shortb, JSON_SHORT_MAX);
	buf_init(&s->c.str, JSON_MAX_VALUE);
	buf_init(&s->c.lab, MAX_LABEL);
	buf_init(&s->c.jobid, MAX_LABEL);
	buf_init(&s->c.target, MAX_LABEL);
	buf_init(&s->key, JSON_MAX_VALUE);
	buf_init(&s->win, JSON_MAX_VALUE + 1);
	buf_init(&s->etype, JSON_REASON_MAX * 3 + 8);
	buf_init(&s->emsg, JSON_REASON_MAX * 3 + 8);
	return s;
}

void
json_stream_free(struct json_stream *s)
{
	if (s == NULL)
		return;
	free(s->c.tok);
	buf_cleanup(&s->c.shortb);
	buf_cleanup(&s->c.str);
	buf_cleanup(&s->c.lab);
	buf_cleanup(&s->c.jobid);
	buf_cleanup(&s->c.target);
	buf_cleanup(&s->key);
	buf_cleanup(&s->win);
	buf_cleanup(&s->etype);
	buf_cleanup(&s->emsg);
	free(s);
}

/* Feeds p[0..n) through the framer and the windows; 0 or an ERR_*. */
static int
json_feed(struct json_stream *s, const char *p, size_t n)
{
	size_t i = 0, k;
	int r, done;

	while (i < n) {
		if (s->state == JS_CAPTURE) {
			if ((r = json_capture(s, p + i, n - i, &k,
			    &done)) != 0)
				return r;
			s->off += k;
			i += k;
			if (done && (r = json_window(s)) != 0)
				return r;
		} else if (s->state == JS_KEY) {
			if ((r = json_key_bytes(s, p + i, n - i, &k)) != 0)
				return r;
			s->off += k;
			i += k;
		} else if (p[i] == '\0') {
			json_reason(&s->c, "NUL byte at byte %zu", s->off);
			return ERR_JSON_INVAL;
		} else if ((r = json_step(s, p[i], s->off)) < 0) {
			return r;
		} else if (r == 1) {
			s->off++;
			i++;
		}
	}
	return 0;
}

int
json_stream_feed(struct json_stream *s, const char *p, size_t n)
{
	int r;

	if (s->err != 0)
		return s->err;
	if ((r = json_feed(s, p, n)) != 0)
		return json_fail(s, r);
	return 0;
}

/* status "error": the reason is "<errorType>: <error>", whole or cut. */
static int
json_upstream(struct json_stream *s)
{
	size_t n, m;

	n = utf8_cut(buf_ptr(&s->etype), buf_len(&s->etype),
	    sizeof(s->why) - 1);
	memcpy(s->why, buf_ptr(&s->etype), n);
	if (n + 2 < sizeof(s->why)) {
		memcpy(s->why + n, ": ", 2);
		n += 2;
		m = utf8_cut(buf_ptr(&s->emsg), buf_len(&s->emsg),
		    sizeof(s->why) - 1 - n);
		memcpy(s->why + n, buf_ptr(&s->emsg), m);
		n += m;
	}
	s->why[n] = '\0';
	return ERR_UPSTREAM;
}

/* The schema of a whole answer, checked once it has ended. */
static int
json_schema(struct json_stream *s)
{
	struct json_ctx *c = &s->c;

	if (!s->root_object)
		json_reason(c, "the answer is not a JSON object");
	else if (s->status == SEEN_NONE || s->status == SEEN_WRONG)
		json_reason(c, "status is missing or not a string");
	else if (s->status == SEEN_OTHER)
		return json_upstream(s);
	else if (s->status == SEEN_BAD)
		json_reason(c, "status is neither \"success\" nor \"error\"");
	else if (s->withheld)
		json_reason(c, "status \"success\" given after elements of "
		    "data.result under another status");
	else if (s->data != SEEN_GOOD)
		json_reason(c, "data is missing or not an object");
	else if (s->rtype == SEEN_WRONG)
		json_reason(c, "data.resultType is not a string");
	else if (s->rtype == SEEN_OTHER)
		json_reason(c, "data.resultType is not \"vector\"");
	else if (s->result == SEEN_NONE)
		json_reason(c, "data.result is missing");
	else if (s->result == SEEN_WRONG)
		json_reason(c, "data.result is not an array");
	else
		return 0;
	return ERR_JSON_SCHEMA;
}

int
json_stream_end(struct json_stream *s)
{
	int r;

	if (s->err != 0)
		return s->err;
	/* A primitive as the whole answer ends with it. */
	if (s->state == JS_CAPTURE && s->wprim && s->level == JL_NONE &&
	    (r = json_window(s)) != 0)
		return json_fail(s, r);
	if (s->state == JS_START) {
		json_reason(&s->c, "empty body");
		return json_fail(s, ERR_JSON_PART);
	}
	if (s->state != JS_DONE) {
		json_reason(&s->c, "JSON truncated after %zu bytes", s->off);
		return json_fail(s, ERR_JSON_PART);
	}
	if ((r = json_schema(s)) != 0)
		return json_fail(s, r);
	s->why[0] = '\0';
	return 0;
}

const char *
json_stream_reason(const struct json_stream *s)
{
	return s->err == 0 ? "" : s->why;
}

int
json_parse_vector(const char *body, size_t len, json_series_fn *fn,
    void *arg, char *reason, size_t reasonsz)
{
	struct json_stream *s;
	const char *why = "no memory for the JSON reader";
	size_t n;
	int r = ERR_NOMEM;

	if ((s = json_stream_new(fn, arg)) != NULL) {
		if ((r = json_stream_feed(s, body, len)) == 0)
			r = json_stream_end(s);
		why = json_stream_reason(s);
	}
	if (reason != NULL && reasonsz > 0) {
		n = r == 0 ? 0 : utf8_cut(why, strlen(why), reasonsz - 1);
		memcpy(reason, why, n);
		reason[n] = '\0';
	}
	json_stream_free(s);
	return r;
}
