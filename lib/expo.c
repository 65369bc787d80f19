/* SPDX-License-Identifier: Apache-2.0 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expo.h"
#include "buf.h"
#include "err.h"

/*
 * Every writer computes its exact output length first and fills space
 * reserved with buf_space(): an append either happens whole or not at all,
 * so a failure (cap, memory) never leaves half a line in the exposition.
 */

/* [a-zA-Z_:][a-zA-Z0-9_:]* for metrics; labels do not allow ':'. */
static int
valid_name(const char *s, int colon)
{
	const char *p;

	if (s == NULL || *s == '\0' || (*s >= '0' && *s <= '9'))
		return 0;
	for (p = s; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' ||
		    (colon && *p == ':'))
			continue;
		return 0;
	}
	return 1;
}

static int
valid_type(const char *t)
{
	static const char *const types[] = {
		"counter", "gauge", "histogram", "summary", "untyped",
	};
	size_t i;

	if (t == NULL)
		return 0;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(t, types[i]) == 0)
			return 1;
	return 0;
}

/* Adds n to *total; 0, or ERR_TOOBIG rather than wrap around. */
static int
add_len(size_t *total, size_t n)
{
	if (n > SIZE_MAX - *total)
		return ERR_TOOBIG;
	*total += n;
	return 0;
}

/*
 * Escaped length of s[0..n): backslash and line feed always, the double
 * quote only inside label values (HELP text leaves it alone).
 */
static int
esc_len(const char *s, size_t n, int quote, size_t *total)
{
	size_t i, extra = 0;

	for (i = 0; i < n; i++)
		if (s[i] == '\\' || s[i] == '\n' || (quote && s[i] == '"'))
			extra++;
	if (add_len(total, n) != 0 || add_len(total, extra) != 0)
		return ERR_TOOBIG;
	return 0;
}

static char *
esc_put(char *p, const char *s, size_t n, int quote)
{
	size_t i;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '\\':
			*p++ = '\\';
			*p++ = '\\';
			break;
		case '\n':
			*p++ = '\\';
			*p++ = 'n';
			break;
		case '"':
			if (quote)
				*p++ = '\\';
			*p++ = '"';
			break;
		default:
			*p++ = s[i];
			break;
		}
	}
	return p;
}

static char *
put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

int
expo_escape(struct buf *out, const char *s, size_t n)
{
	size_t total = 0;
	char *p, *start;
	int ret = -1;

	if (n == 0) {
		ret = 0;
		goto out;
	}
	if ((ret = esc_len(s, n, 1, &total)) != 0 ||
	    (ret = buf_space(out, total, &start)) != 0)
		goto out;
	p = esc_put(start, s, n, 1);
	buf_commit(out, (size_t)(p - start));
	ret = 0;
 out:
	return ret;
}

/*
 * help NULL leaves the HELP line out (the format allows a TYPE line
 * alone).
 */
int
expo_family(struct buf *out, const char *name, const char *help,
    const char *type)
{
	static const char h[] = "# HELP ", t[] = "# TYPE ";
	size_t nlen, hlen = 0, tlen, total = 0;
	char *p, *start;
	int ret = -1;

	if (!valid_name(name, 1) || !valid_type(type)) {
		ret = ERR_INVAL;
		goto out;
	}
	nlen = strlen(name);
	tlen = strlen(type);
	if (help != NULL) {
		hlen = strlen(help);
		/* "# HELP " name ' ' help '\n' */
		if ((ret = add_len(&total, sizeof(h) - 1 + nlen + 2)) != 0 ||
		    (ret = esc_len(help, hlen, 0, &total)) != 0)
			goto out;
	}
	/* "# TYPE " name ' ' type '\n' */
	if ((ret = add_len(&total, sizeof(t) - 1 + nlen + 2)) != 0 ||
	    (ret = add_len(&total, tlen)) != 0 ||
	    (ret = buf_space(out, total, &start)) != 0)
		goto out;
	p = start;
	if (help != NULL) {
		p = put(p, h, sizeof(h) - 1);
		p = put(p, name, nlen);
		*p++ = ' ';
		p = esc_put(p, help, hlen, 0);
		*p++ = '\n';
	}
	p = put(p, t, sizeof(t) - 1);
	p = put(p, name, nlen);
	*p++ = ' ';
	p = put(p, type, tlen);
	*p++ = '\n';
	buf_commit(out, (size_t)(p - start));
	ret = 0;
 out:
	return ret;
}

int
expo_sample(struct buf *out, const char *name,
    const struct expo_label *labels, size_t nlabels, double value)
{
	char num[32], *p, *start;
	size_t i, nlen, vlen, total = 0;
	int ret = -1;

	if (!valid_name(name, 1) || (nlabels > 0 && labels == NULL)) {
		ret = ERR_INVAL;
		goto out;
	}
	for (i = 0; i < nlabels; i++) {
		if (!valid_name(labels[i].name, 0) ||
		    (labels[i].value == NULL && labels[i].len > 0)) {
			ret = ERR_INVAL;
			goto out;
		}
	}
	expo_format_double(num, sizeof(num), value);
	nlen = strlen(name);
	vlen = strlen(num);
	/* name ['{' (label '="' value '"'),* '}'] ' ' value '\n' */
	if ((ret = add_len(&total, nlen + 1 + vlen + 1)) != 0)
		goto out;
	if (nlabels > 0 && (ret = add_len(&total, 2 + nlabels - 1)) != 0)
		goto out;
	for (i = 0; i < nlabels; i++) {
		if ((ret = add_len(&total, strlen(labels[i].name) + 3)) != 0 ||
		    (ret = esc_len(labels[i].value, labels[i].len, 1,
		    &total)) != 0)
			goto out;
	}
	if ((ret = buf_space(out, total, &start)) != 0)
		goto out;
	p = put(start, name, nlen);
	if (nlabels > 0) {
		*p++ = '{';
		for (i = 0; i < nlabels; i++) {
			if (i > 0)
				*p++ = ',';
			p = put(p, labels[i].name, strlen(labels[i].name));
			*p++ = '=';
			*p++ = '"';
			p = esc_put(p, labels[i].value, labels[i].len, 1);
			*p++ = '"';
		}
		*p++ = '}';
	}
	*p++ = ' ';
	p = put(p, num, vlen);
	*p++ = '\n';
	buf_commit(out, (size_t)(p - start));
	ret = 0;
 out:
	return ret;
}

/*
 * The exporter never calls setlocale(), so printf and strtod use the C
 * locale's '.' as the decimal point, as the format requires.
 */
void
expo_format_double(char *dst, size_t dstsz, double v)
{
	char tmp[32];
	int prec;

	if (dstsz == 0)
		return;
	if (isnan(v)) {
		snprintf(dst, dstsz, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(dst, dstsz, "%s", v > 0 ? "+Inf" : "-Inf");
		return;
	}
	/* %.17g always reads back exactly; shorter forms are nicer. */
	for (prec = 15; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	snprintf(dst, dstsz, "%s", tmp);
}
