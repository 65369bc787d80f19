/* SPDX-License-Identifier: Apache-2.0 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "utf8.h"
#include "buf.h"
#include "err.h"

#define UTF8_REPL	"\xef\xbf\xbd"	/* U+FFFD */
#define UTF8_REPL_LEN	3

/*
 * Length of the sequence that starts at s[0] (n > 0 bytes available) if it
 * is one utf8_sanitize() keeps, else 0.  The lead byte fixes the range of
 * the second byte (Unicode, table 3-7 "well-formed UTF-8 byte sequences"),
 * which is what rules out overlong forms, surrogates and values above
 * U+10FFFF without decoding the code point.
 */
static size_t
utf8_seqlen(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c < 0x80) {
		if (c == '\t' || c == '\n')
			return 1;
		return c >= 0x20 && c != 0x7f ? 1 : 0;
	}
	if (c < 0xc2)		/* continuation byte, or overlong C0/C1 */
		return 0;
	if (c < 0xe0)
		len = 2;
	else if (c < 0xf0) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c < 0xf5) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/*
 * Bytes of s[0..n) that are printable ASCII, the common case: checked
 * without a call per byte.
 */
static size_t
utf8_ascii_run(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i] >= 0x20 && s[i] < 0x7f)
		i++;
	return i;
}

int
utf8_sanitize(struct buf *out, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, k, need = 0;
	char *p;
	int r;

	if (n == 0)
		return 0;
	if (n > SIZE_MAX / UTF8_REPL_LEN)
		return ERR_TOOBIG;
	/*
	 * Size the result first: one buf_space() either reserves all of it or
	 * fails with out untouched, so no partial append has to be undone.
	 */
	need = utf8_ascii_run(u, n);
	for (i = need; i < n; i += k > 0 ? k : 1) {
		k = utf8_seqlen(u + i, n - i);
		need += k > 0 ? k : UTF8_REPL_LEN;
	}
	if (need == n)
		return buf_append(out, s, n);
	if ((r = buf_space(out, need, &p)) != 0)
		return r;
	for (i = 0; i < n; i += k > 0 ? k : 1) {
		k = utf8_seqlen(u + i, n - i);
		if (k > 0) {
			memcpy(p, s + i, k);
			p += k;
		} else {
			memcpy(p, UTF8_REPL, UTF8_REPL_LEN);
			p += UTF8_REPL_LEN;
		}
	}
	buf_commit(out, need);
	return 0;
}

int
utf8_is_clean(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, k;

	for (i = utf8_ascii_run(u, n); i < n; i += k) {
		k = utf8_seqlen(u + i, n - i);
		if (k == 0)
			return 0;
	}
	return 1;
}

int
utf8_put(struct buf *out, uint32_t cp)
{
	unsigned char b[4];
	size_t n;

	if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		cp = 0xfffd;
	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | (cp >> 6));
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | (cp >> 12));
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | (cp >> 18));
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return buf_append(out, b, n);
}

size_t
utf8_cut(const char *s, size_t n, size_t max)
{
	if (n <= max)
		return n;
	/* s[max] exists (n > max): a cut is good if it starts a character. */
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}
