/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DECIMAL_H
#define DECIMAL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Canonical decimal numbers (job ids, uids, gids) as the exporter's inputs
 * print them.  Two spellings of one number ("7", "07") would be two
 * series, or let one account answer for another, so only one is accepted.
 */

/* Outcomes of dec_parse(); callers map each to their own reason text. */
enum dec_result {
	DEC_OK = 0,
	DEC_EMPTY,
	DEC_SIGN,
	DEC_NOTDIGIT,
	DEC_LEADZERO,
	DEC_RANGE,
};

/*
 * Parses s[0..n): digits only, no sign, no leading zero ("0" itself is
 * canonical), value at most max.  Returns DEC_OK with *v set, or another
 * enum dec_result with *v 0.
 */
int	dec_parse(const char *s, size_t n, uint64_t max, uint64_t *v);

#endif /* DECIMAL_H */
