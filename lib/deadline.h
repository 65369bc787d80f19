/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DEADLINE_H
#define DEADLINE_H

#include <stdint.h>

/*
 * The one deadline of a scrape, from the HTTP request to each helper's
 * poll().  A deadline is an absolute point on CLOCK_MONOTONIC, so it can be
 * handed from thread to thread and process to process (as milliseconds
 * left) without drifting; every conversion is in deadline.c.
 */
struct deadline {
	uint64_t	at_us;		/* CLOCK_MONOTONIC, microseconds */
};

/* CLOCK_MONOTONIC now, in microseconds. */
uint64_t	deadline_now_us(void);

/* The deadline seconds (>= 0; fractions allowed) from now. */
struct deadline	deadline_in(double seconds);

/* The deadline ms milliseconds from now. */
struct deadline	deadline_in_ms(uint32_t ms);

/* The deadline moved earlier by seconds, but never before now. */
struct deadline	deadline_less(struct deadline d, double seconds);

/* 1 once the deadline has passed, else 0. */
int		deadline_passed(struct deadline d);

/*
 * Milliseconds left, rounded down (what a request tells a helper), and
 * rounded up and capped at INT32_MAX (a poll() timeout; 0 when passed).
 */
uint32_t	deadline_ms_left(struct deadline d);
int		deadline_poll_ms(struct deadline d);

/* Seconds since start_us (a deadline_now_us() reading). */
double		deadline_seconds_since(uint64_t start_us);

#endif /* DEADLINE_H */
