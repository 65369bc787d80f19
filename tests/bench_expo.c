/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Times number formatting, the larger part of an exposition's cost, on a
 * million values of the kinds PromQL answers this exporter: metadata
 * operations from round() (integers) and throughputs from irate()
 * (counter differences over a scrape interval, most needing 17 digits:
 * 1234.5666666666667).  "before" is the three-try loop alone (fmt_loop,
 * kept in lib/expo.c as the fallback), "after" expo_format_double().  Not
 * a test: it prints, it asserts nothing but that both agree.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/deadline.h"
#include "../lib/expo.c"

#define NVALUES		1000000
#define ROUNDS		5

static double values[NVALUES];

/* The project's monotonic clock (lib/deadline.h), in ns. */
static double
now_ns(void)
{
	return (double)deadline_now_us() * 1e3;
}

static uint64_t
next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Even indexes integers, odd ones rates over 15, 30 or 60 s, or 14.9 s. */
static void
make_values(void)
{
	static const double interval[] = { 15, 30, 60, 14.9 };
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	size_t i;

	for (i = 0; i < NVALUES; i++) {
		if (i % 2 == 0)
			values[i] = (double)(1 + next(&x) % 200000);
		else
			values[i] = (double)(next(&x) % 4000000000ULL) /
			    interval[next(&x) % 4];
	}
}

/* ns per value over values[from, NVALUES) by step, best of ROUNDS. */
static double
time_one(int after, size_t from, size_t step)
{
	char s[32];
	double best = 0, t0, t;
	size_t i, n = 0, sink = 0;
	int r;

	for (r = 0; r < ROUNDS; r++) {
		n = 0;
		t0 = now_ns();
		for (i = from; i < NVALUES; i += step, n++) {
			if (after)
				expo_format_double(s, sizeof(s), values[i]);
			else
				fmt_loop(s, sizeof(s), values[i]);
			sink += (size_t)s[0];
		}
		t = now_ns() - t0;
		if (r == 0 || t < best)
			best = t;
	}
	/* Keeps the loop from being optimised away. */
	if (sink == 1)
		printf(" ");
	return best / (double)n;
}

int
main(void)
{
	static const struct {
		const char	*what;
		size_t		 from, step;
	} sets[] = {
		{ "mixed", 0, 1 },
		{ "integers", 0, 2 },
		{ "rates", 1, 2 },
	};
	char a[32], b[32];
	double before, after;
	size_t i;

	make_values();
	for (i = 0; i < NVALUES; i++) {
		expo_format_double(a, sizeof(a), values[i]);
		fmt_loop(b, sizeof(b), values[i]);
		if (strcmp(a, b) != 0) {
			fprintf(stderr, "bench_expo: %a: %s, loop %s\n",
			    values[i], a, b);
			return 1;
		}
	}
	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		before = time_one(0, sets[i].from, sets[i].step);
		after = time_one(1, sets[i].from, sets[i].step);
		printf("format %-8s (%d values): before %.1f ns/value, "
		    "after %.1f ns/value, %.1fx\n", sets[i].what,
		    NVALUES / (int)sets[i].step, before, after,
		    before / after);
	}
	return 0;
}
