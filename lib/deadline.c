/* SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>
#include <time.h>

#include "deadline.h"

uint64_t
deadline_now_us(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail with a valid pointer. */
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

struct deadline
deadline_in(double seconds)
{
	struct deadline d;

	/* Beyond a day is a caller's bug; keep the arithmetic in range. */
	if (!(seconds > 0))
		seconds = 0;
	if (seconds > 86400)
		seconds = 86400;
	d.at_us = deadline_now_us() + (uint64_t)(seconds * 1e6);
	return d;
}

struct deadline
deadline_in_ms(uint32_t ms)
{
	struct deadline d;

	d.at_us = deadline_now_us() + (uint64_t)ms * 1000;
	return d;
}

struct deadline
deadline_less(struct deadline d, double seconds)
{
	uint64_t now = deadline_now_us(), cut;

	cut = seconds > 0 ? (uint64_t)(seconds * 1e6) : 0;
	if (d.at_us <= now || d.at_us - now <= cut)
		d.at_us = now;
	else
		d.at_us -= cut;
	return d;
}

int
deadline_passed(struct deadline d)
{
	return deadline_now_us() >= d.at_us;
}

uint32_t
deadline_ms_left(struct deadline d)
{
	uint64_t now = deadline_now_us(), ms;

	if (now >= d.at_us)
		return 0;
	ms = (d.at_us - now) / 1000;
	return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

int
deadline_poll_ms(struct deadline d)
{
	uint64_t now = deadline_now_us(), ms;

	if (now >= d.at_us)
		return 0;
	ms = (d.at_us - now + 999) / 1000;
	return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

double
deadline_seconds_since(uint64_t start_us)
{
	uint64_t now = deadline_now_us();

	return now > start_us ? (double)(now - start_us) / 1e6 : 0;
}
