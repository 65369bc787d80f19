/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../lib/decimal.c"

static int
parse(const char *s, uint64_t max, uint64_t *v)
{
	return dec_parse(s, strlen(s), max, v);
}

static void
test_canonical(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(parse("0", UINT64_MAX, &v), DEC_OK);
	assert_int_equal(v, 0);
	assert_int_equal(parse("35044931", UINT64_MAX, &v), DEC_OK);
	assert_int_equal(v, 35044931);
	assert_int_equal(parse("18446744073709551615", UINT64_MAX, &v),
	    DEC_OK);
	assert_true(v == UINT64_MAX);
	assert_int_equal(parse("4294967295", UINT32_MAX, &v), DEC_OK);
	assert_int_equal(v, UINT32_MAX);
}

static void
test_refused(void **state)
{
	uint64_t v = 7;

	(void)state;
	assert_int_equal(parse("", UINT64_MAX, &v), DEC_EMPTY);
	assert_int_equal(v, 0);
	assert_int_equal(parse("+1", UINT64_MAX, &v), DEC_SIGN);
	assert_int_equal(parse("-1", UINT64_MAX, &v), DEC_SIGN);
	assert_int_equal(parse("1a", UINT64_MAX, &v), DEC_NOTDIGIT);
	assert_int_equal(parse(" 1", UINT64_MAX, &v), DEC_NOTDIGIT);
	assert_int_equal(parse("1 ", UINT64_MAX, &v), DEC_NOTDIGIT);
	assert_int_equal(parse("007", UINT64_MAX, &v), DEC_LEADZERO);
	assert_int_equal(parse("00", UINT64_MAX, &v), DEC_LEADZERO);
	assert_int_equal(parse("18446744073709551616", UINT64_MAX, &v),
	    DEC_RANGE);
	assert_int_equal(parse("99999999999999999999999", UINT64_MAX, &v),
	    DEC_RANGE);
	assert_int_equal(parse("4294967296", UINT32_MAX, &v), DEC_RANGE);
	assert_int_equal(parse("10", 9, &v), DEC_RANGE);
	assert_int_equal(v, 0);
}

static void
test_length_is_respected(void **state)
{
	uint64_t v;

	(void)state;
	/* Only n bytes are read: "12" of "123x". */
	assert_int_equal(dec_parse("123x", 2, UINT64_MAX, &v), DEC_OK);
	assert_int_equal(v, 12);
}

static void
test_every_bound(void **state)
{
	char s[32];
	uint64_t v, max;
	int i;

	(void)state;
	/* max itself passes and max + 1 fails, for many maxima. */
	for (i = 0, max = 1; i < 19; i++, max = max * 10 + 3) {
		snprintf(s, sizeof(s), "%llu", (unsigned long long)max);
		assert_int_equal(parse(s, max, &v), DEC_OK);
		assert_true(v == max);
		snprintf(s, sizeof(s), "%llu", (unsigned long long)max + 1);
		assert_int_equal(parse(s, max, &v), DEC_RANGE);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_length_is_respected),
		cmocka_unit_test(test_every_bound),
	};

	return cmocka_run_group_tests_name("decimal", tests, NULL, NULL);
}
