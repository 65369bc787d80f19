/* SPDX-License-Identifier: Apache-2.0 */
#include <stddef.h>
#include <stdint.h>

#include "decimal.h"

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
