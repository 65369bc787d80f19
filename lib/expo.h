/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EXPO_H
#define EXPO_H

#include <stddef.h>

struct buf;

/*
 * Prometheus text exposition format 0.0.4.  Label values must already be
 * valid UTF-8 (utf8_sanitize); expo escapes backslash, double quote and
 * line feed, so no value can end a line or a label early.
 */

struct expo_label {
	const char	*name;
	const char	*value;
	size_t		 len;
};

/* Appends "# HELP name help\n# TYPE name type\n" (help escaped). */
int	expo_family(struct buf *out, const char *name, const char *help,
	    const char *type);

/* Appends `name{l1="v1",...} value\n` (no braces when nlabels is 0). */
int	expo_sample(struct buf *out, const char *name,
	    const struct expo_label *labels, size_t nlabels, double value);

/* Appends s with \\, \" and \n escaped. */
int	expo_escape(struct buf *out, const char *s, size_t n);

/*
 * Formats v as the first of "%.15g", "%.16g" and "%.17g" that reads back
 * as the same double: the shortest such digits for every normal value
 * ("NaN", "+Inf", "-Inf" for the non-finite).  dst needs 32 bytes; a
 * shorter one gets the output cut, NUL-terminated.
 */
void	expo_format_double(char *dst, size_t dstsz, double v);

#endif /* EXPO_H */
