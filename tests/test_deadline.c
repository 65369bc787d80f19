/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "../lib/deadline.c"

static void
test_in_and_left(void **state)
{
	struct deadline d = deadline_in(2.0);
	uint32_t ms = deadline_ms_left(d);

	(void)state;
	assert_true(ms > 1900 && ms <= 2000);
	assert_true(deadline_poll_ms(d) >= (int)ms);
	assert_false(deadline_passed(d));
}

static void
test_passed(void **state)
{
	struct deadline d = deadline_in(0);

	(void)state;
	assert_true(deadline_passed(d));
	assert_int_equal(deadline_ms_left(d), 0);
	assert_int_equal(deadline_poll_ms(d), 0);
	/* Negative and NaN durations are "now", not a wrap-around. */
	assert_true(deadline_passed(deadline_in(-5)));
	assert_true(deadline_passed(deadline_in(0.0 / 0.0)));
}

static void
test_less_never_before_now(void **state)
{
	struct deadline d = deadline_in(1.0), e;

	(void)state;
	e = deadline_less(d, 0.25);
	assert_int_equal(d.at_us - e.at_us, 250000);
	e = deadline_less(d, 5.0);
	assert_true(deadline_passed(e));
	assert_true(e.at_us >= d.at_us - 1000000);
}

static void
test_ms_and_caps(void **state)
{
	struct deadline a = deadline_in_ms(100), b = deadline_in_ms(5000);

	(void)state;
	assert_true(deadline_ms_left(b) > 4900);
	/* A poll timeout rounds up, so a poll never returns early. */
	a.at_us = deadline_now_us() + 1500;
	assert_int_equal(deadline_poll_ms(a), 2);
	/* Far deadlines are capped, not wrapped. */
	a.at_us = UINT64_MAX;
	assert_int_equal(deadline_ms_left(a), UINT32_MAX);
	assert_int_equal(deadline_poll_ms(a), INT32_MAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_and_left),
		cmocka_unit_test(test_passed),
		cmocka_unit_test(test_less_never_before_now),
		cmocka_unit_test(test_ms_and_caps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
