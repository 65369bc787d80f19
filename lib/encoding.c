/* SPDX-License-Identifier: Apache-2.0 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "encoding.h"

/* Longest coding name looked at; longer ones are none of ours. */
#define ENCODING_NAME_MAX	16
#define ENCODING_Q_ONE		1000

static int
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* RFC 9110 tchar. */
static int
is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+-.^_`|~",
	    c) != NULL);
}

static const char *
skip_ows(const char *p)
{
	while (is_ows(*p))
		p++;
	return p;
}

/*
 * qvalue = "0" [ "." 0*3DIGIT ] / "1" [ "." 0*3"0" ], in thousandths, at
 * *pp; advances *pp past it.  -1 when it is none.
 */
static int
parse_q(const char **pp)
{
	const char *p = *pp;
	int q, scale = 100, n;

	if (*p != '0' && *p != '1')
		return -1;
	q = (*p++ - '0') * ENCODING_Q_ONE;
	if (*p == '.') {
		for (p++, n = 0; n < 3 && *p >= '0' && *p <= '9'; n++, p++) {
			q += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (q > ENCODING_Q_ONE || (*p >= '0' && *p <= '9'))
		return -1;
	*pp = p;
	return q;
}

/*
 * One list element at p: a coding, then an optional weight.  Returns
 * where the element ends (at ',' or the NUL); *q is its weight, or -1
 * when the element does not parse.  name gets the coding (cut at
 * ENCODING_NAME_MAX, which matches none of ours).
 */
static const char *
parse_element(const char *p, char *name, int *q)
{
	size_t n = 0;

	*q = ENCODING_Q_ONE;
	name[0] = '\0';
	for (; is_tchar(*p); p++)
		if (n < ENCODING_NAME_MAX)
			name[n++] = *p;
	name[n] = '\0';
	p = skip_ows(p);
	if (n == 0)
		*q = -1;
	else if (*p == ';') {
		p = skip_ows(p + 1);
		if ((*p != 'q' && *p != 'Q') || p[1] != '=')
			*q = -1;
		else {
			p += 2;
			*q = parse_q(&p);
			p = skip_ows(p);
		}
	}
	if (*p != ',' && *p != '\0')
		*q = -1;
	/* Whatever is left of a bad element, up to the next one. */
	while (*p != ',' && *p != '\0')
		p++;
	return p;
}

/* Notes weight q of coding name, keeping the higher of two. */
static void
note(struct encoding_accept *a, const char *name, int q)
{
	int *slot;

	if (strcasecmp(name, "gzip") == 0 || strcasecmp(name, "x-gzip") == 0)
		slot = &a->_gzip;
	else if (strcasecmp(name, "identity") == 0)
		slot = &a->_identity;
	else if (strcmp(name, "*") == 0)
		slot = &a->_any;
	else
		return;
	if (q > *slot)
		*slot = q;
}

void
encoding_init(struct encoding_accept *a)
{
	a->_gzip = a->_identity = a->_any = -1;
}

void
encoding_add(struct encoding_accept *a, const char *value)
{
	char name[ENCODING_NAME_MAX + 1];
	const char *p = value;
	int q;

	if (p == NULL)
		return;
	for (;;) {
		p = skip_ows(p);
		/* Empty elements (",,") are allowed in lists. */
		if (*p != ',' && *p != '\0') {
			p = parse_element(p, name, &q);
			if (q >= 0)
				note(a, name, q);
		}
		if (*p == '\0')
			return;
		p++;
	}
}

int
encoding_gzip(const struct encoding_accept *a)
{
	int gzip, identity;

	gzip = a->_gzip >= 0 ? a->_gzip : a->_any >= 0 ? a->_any : 0;
	identity = a->_identity >= 0 ? a->_identity : a->_any >= 0 ?
	    a->_any : 0;
	return gzip > 0 && gzip >= identity;
}
