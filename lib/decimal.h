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

/* Outcomes of dec_parse(); dec_reason() words them. */
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

/* What a number stands for, so that a reason names its field. */
enum dec_what {
	DEC_JOBID = 0,		/* "job id" */
	DEC_UID,		/* "uid" */
	DEC_GID,		/* "gid" */
};

/*
 * The static reason text for a dec_parse() result other than DEC_OK, naming
 * what (enum dec_what): "empty uid", "job id has a sign", "gid not numeric",
 * "uid has a leading zero", "job id out of range".  NULL for DEC_OK, and
 * "not a canonical number" for a result or what that is not in the enums.
 * A caller that words one case differently tests for that case first.
 */
const char	*dec_reason(int result, int what);

#endif /* DECIMAL_H */
