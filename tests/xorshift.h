/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xorshift64, the generator of the randomised unit tests (getent, lines,
 * slurm): fixed seeds, so a failure can be replayed, and no libc state.
 */
#ifndef TESTS_XORSHIFT_H
#define TESTS_XORSHIFT_H

#include <stdint.h>

static inline uint64_t
xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

#endif /* TESTS_XORSHIFT_H */
