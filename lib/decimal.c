/* SPDX-License-Identifier: Apache-2.0 */
#include <stddef.h>
#include <stdint.h>

#include "decimal.h"

/* One wording for every field: only the name of the field differs. */
#define DEC_TEXTS(w) {							\
	[DEC_EMPTY] = "empty " w,					\
	[DEC_SIGN] = w " has a sign",					\
	[DEC_NOTDIGIT] = w " not numeric",				\
	[DEC_LEADZERO] = w " has a leading zero",			\
	[DEC_RANGE] = w " out of range",				\
}

static const char *const dec_texts[][DEC_RANGE + 1] = {
	[DEC_JOBID] = DEC_TEXTS("job id"),
	[DEC_UID] = DEC_TEXTS("uid"),
	[DEC_GID] = DEC_TEXTS("gid"),
};

int
dec_parse(const char *s, size_t n, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	unsigned int d;
	size_t i;

	*v = 0;
	if (n == 0)
		return DEC_EMPTY;
	if (s[0] == '+' || s[0] == '-')
		return DEC_SIGN;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return DEC_NOTDIGIT;
	if (n > 1 && s[0] == '0')
		return DEC_LEADZERO;
	for (i = 0; i < n; i++) {
		d = (unsigned int)(s[i] - '0');
		/* Checked before multiplying: no overflow, even near max. */
		if (d > max || x > (max - d) / 10)
			return DEC_RANGE;
		x = x * 10 + d;
	}
	*v = x;
	return DEC_OK;
}

const char *
dec_reason(int result, int what)
{
	if (result == DEC_OK)
		return NULL;
	if (result < DEC_EMPTY || result > DEC_RANGE || what < DEC_JOBID ||
	    what > DEC_GID)
		return "not a canonical number";
	return dec_texts[what][result];
}
