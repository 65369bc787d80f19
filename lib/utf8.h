/* SPDX-License-Identifier: Apache-2.0 */
#ifndef UTF8_H
#define UTF8_H

#include <stddef.h>
#include <stdint.h>

struct buf;

/*
 * Label values are data.  utf8_sanitize() makes any byte string safe to
 * carry as a label: every byte that does not start a valid, shortest-form
 * UTF-8 sequence of a scalar value (no surrogates, <= U+10FFFF) becomes
 * U+FFFD, one per byte, and so does every C0 control except tab and line
 * feed, and DEL.  Line feed stays (the exposition escapes it); NUL never
 * survives.  Appends to out; returns 0, ERR_TOOBIG or ERR_NOMEM (out is
 * unchanged on error).
 */
int	utf8_sanitize(struct buf *out, const char *s, size_t n);

/* 1 if utf8_sanitize() would return s unchanged, else 0. */
int	utf8_is_clean(const char *s, size_t n);

/*
 * Appends the UTF-8 encoding of code point cp (U+FFFD for a surrogate or a
 * value above U+10FFFF).  Returns 0, ERR_TOOBIG or ERR_NOMEM.
 */
int	utf8_put(struct buf *out, uint32_t cp);

/*
 * Where to cut s[0..n) to keep at most max bytes without splitting a
 * character: n if n <= max, else the largest k <= max where s[k] is not a
 * continuation byte (10xxxxxx), or 0 if there is none.  Only bytes up to
 * s[max] are read.  On text utf8_sanitize() produced, s[0..k) is whole
 * characters.
 */
size_t	utf8_cut(const char *s, size_t n, size_t max);

#endif /* UTF8_H */
