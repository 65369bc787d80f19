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
 * Numbers.  The output is that of the first of "%.15g", "%.16g" and
 * "%.17g" that reads back as the same double: dashboards diff it, so it
 * stays exactly that.  Three printf and strtod rounds per sample were most
 * of an exposition's cost; now integers (round() answers) take neither
 * (fmt_integer), nor do other values from 10^-4 to 10^19 (fmt_exact, in
 * integer arithmetic).  The rest go through the loop itself (fmt_loop).
 * The exporter never calls setlocale(), so printf and strtod use the C
 * locale's '.', as the format requires.
 */

/* 2^53: up to here every integer is a double, and exact in a uint64_t. */
#define EXPO_EXACT_INT		9007199254740992.0

static const uint64_t exp_p10[] = {
	UINT64_C(1), UINT64_C(10), UINT64_C(100), UINT64_C(1000),
	UINT64_C(10000), UINT64_C(100000), UINT64_C(1000000),
	UINT64_C(10000000), UINT64_C(100000000), UINT64_C(1000000000),
	UINT64_C(10000000000), UINT64_C(100000000000),
	UINT64_C(1000000000000), UINT64_C(10000000000000),
	UINT64_C(100000000000000), UINT64_C(1000000000000000),
	UINT64_C(10000000000000000), UINT64_C(100000000000000000),
	UINT64_C(1000000000000000000), UINT64_C(10000000000000000000),
};
#define EXPO_P10_LAST		19

/* The old formatter: what the others must equal, and the answer else. */
static void
fmt_loop(char *out, size_t outsz, double v)
{
	int prec;

	for (prec = 15; prec <= 17; prec++) {
		snprintf(out, outsz, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			break;
	}
}

/*
 * What "%.<prec>g" prints for the value d[0].d[1]...d[n-1] x 10^x, given
 * its significant digits without trailing zeros (n >= 1): fixed notation
 * when -4 <= x < prec, else an exponent of at least two digits.  At most
 * 25 bytes with the NUL.
 */
static void
put_g(char *out, int neg, const char *d, int n, int x, int prec)
{
	char *p = out;
	int i, ax;

	if (neg)
		*p++ = '-';
	if (x < -4 || x >= prec) {
		*p++ = d[0];
		if (n > 1) {
			*p++ = '.';
			p = put(p, d + 1, (size_t)n - 1);
		}
		*p++ = 'e';
		*p++ = x < 0 ? '-' : '+';
		ax = x < 0 ? -x : x;
		if (ax >= 100)
			*p++ = (char)('0' + ax / 100);
		*p++ = (char)('0' + ax / 10 % 10);
		*p++ = (char)('0' + ax % 10);
	} else if (x < 0) {
		*p++ = '0';
		*p++ = '.';
		for (i = -1; i > x; i--)
			*p++ = '0';
		p = put(p, d, (size_t)n);
	} else {
		for (i = 0; i <= x; i++)
			*p++ = i < n ? d[i] : '0';
		if (n > x + 1) {
			*p++ = '.';
			p = put(p, d + x + 1, (size_t)(n - x - 1));
		}
	}
	*p = '\0';
}

/* Digits of u, at least one. */
static int
count_digits(uint64_t u)
{
	int n = 1;

	while (u >= 10) {
		u /= 10;
		n++;
	}
	return n;
}

/*
 * "%.<prec>g" of the integer q of nd digits, or nd + 1 when a rounding
 * carried (99.95 to 100.0), whose first digit is worth 10^x.
 */
static void
put_digits(char *out, int neg, uint64_t q, int nd, int x, int prec)
{
	char d[20];
	int n, i;

	if (count_digits(q) > nd) {
		q /= 10;
		x++;
	}
	for (i = nd; i > 0; i--) {
		d[i - 1] = (char)('0' + q % 10);
		q /= 10;
	}
	for (n = nd; n > 1 && d[n - 1] == '0'; n--)
		continue;
	put_g(out, neg, d, n, x, prec);
}

/*
 * v is an integer with |v| < 2^53.  Up to 15 digits "%.15g" prints it
 * plainly; a 16-digit one ending in 0 reads back from 15 digits, which
 * "%.15g" writes with an exponent (1e+15); any other needs "%.16g", plain.
 * signbit, not v < 0: -0.0 prints "-0", as printf does.
 */
static void
fmt_integer(char *out, double v)
{
	uint64_t u = (uint64_t)(v < 0 ? -v : v);
	int nd = count_digits(u);

	put_digits(out, signbit(v) != 0, u, nd, nd - 1,
	    nd == 16 && u % 10 != 0 ? 16 : 15);
}

#ifdef __SIZEOF_INT128__
/* __extension__: -Wpedantic knows no 128-bit type in ISO C. */
#define EXPO_U128	__extension__ unsigned __int128

/*
 * v finite, 10^-4 <= |v| < 10^19, not an integer below 2^53.  Exactly
 * v = m 2^k; scaled by 10^s, s = 18 - E with E v's decimal exponent, it
 * has 19 digits before the point: X = n 2^-sh with n = m 10^s 2^max(k, 0)
 * and sh = max(-k, 0), which 128 bits hold while 0 <= s <= 22.  For each
 * precision in turn the candidate is X rounded to prec digits, a multiple
 * of unit = 10^(19 - prec); the first that reads back is what the loop
 * would print.  All is exact, in units of 2^-sh.  Returns 0 for a value
 * out of that range and for a candidate half-way between two (printf
 * rounds a tie its way; the loop decides).
 */
static int
fmt_exact(char *out, double v)
{
	EXPO_U128 n, low, gap, r, half, dist;
	uint64_t bits, m, xf, unit;
	int k, sh, s, prec, up, below2, tries;

	memcpy(&bits, &v, sizeof(bits));
	m = (bits & ((UINT64_C(1) << 52) - 1)) | UINT64_C(1) << 52;
	k = (int)(bits >> 52 & 0x7ff) - 1075;
	sh = k < 0 ? -k : 0;
	/* 78913 / 2^18 is about log10(2): E is this, or the retry's. */
	s = 18 - (k + 52 >= 0 ? (k + 52) * 78913 / 262144 :
	    -((-(k + 52) * 78913 + 262143) / 262144));
	for (tries = 0; tries < 2; tries++) {
		if (s < 0 || s > 22)
			return 0;
		/* v's gap to its neighbours, 2^k, scaled as n (10^s 2^sh). */
		gap = exp_p10[s < EXPO_P10_LAST ? s : EXPO_P10_LAST];
		if (s > EXPO_P10_LAST)
			gap *= exp_p10[s - EXPO_P10_LAST];
		gap <<= k > 0 ? k : 0;
		n = gap * m;
		if ((n >> sh) < exp_p10[18] || (n >> sh) >= exp_p10[19]) {
			s += (n >> sh) < exp_p10[18] ? 1 : -1;
			continue;
		}
		xf = (uint64_t)(n >> sh);
		low = n - ((n >> sh) << sh);
		for (prec = 15, unit = 10000; prec <= 17; prec++, unit /= 10) {
			r = xf % unit;
			r = (r << sh) + low;
			half = unit / 2;
			half <<= sh;
			up = r > half;
			dist = unit;
			dist = up ? (dist << sh) - r : r;
			/* Twice the distance; below a power of two, where the
			 * gap is half as wide, four times. */
			below2 = m == UINT64_C(1) << 52 && !up && r != half;
			dist <<= below2 ? 2 : 1;
			/*
			 * Read back: nearer than half the gap, or as near, with
			 * v's mantissa even (strtod breaks ties to even).  A
			 * candidate half-way between two roundings is only
			 * printed by the loop: printf rounds that its way.
			 */
			if (prec < 17 && (dist > gap || (dist == gap &&
			    m % 2 != 0)))
				continue;
			if (r == half)
				return 0;
			put_digits(out, v < 0, xf / unit + (uint64_t)up, prec,
			    18 - s, prec);
			return 1;
		}
	}
	return 0;
}
#else
static int
fmt_exact(char *out, double v)
{
	(void)out;
	(void)v;
	return 0;
}
#endif

void
expo_format_double(char *dst, size_t dstsz, double v)
{
	char tmp[32];
	const char *s = tmp;
	size_t n;

	if (dstsz == 0)
		return;
	if (isnan(v))
		s = "NaN";
	else if (isinf(v))
		s = v > 0 ? "+Inf" : "-Inf";
	else if (v > -EXPO_EXACT_INT && v < EXPO_EXACT_INT &&
	    v == (double)(int64_t)v)
		fmt_integer(tmp, v);
	else if (!fmt_exact(tmp, v))
		fmt_loop(tmp, sizeof(tmp), v);
	n = strlen(s);
	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}
