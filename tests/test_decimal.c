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

static void
test_reasons(void **state)
{
	(void)state;
	assert_null(dec_reason(DEC_OK, DEC_UID));
	assert_string_equal(dec_reason(DEC_EMPTY, DEC_JOBID), "empty job id");
	assert_string_equal(dec_reason(DEC_SIGN, DEC_JOBID),
	    "job id has a sign");
	assert_string_equal(dec_reason(DEC_NOTDIGIT, DEC_JOBID),
	    "job id not numeric");
	assert_string_equal(dec_reason(DEC_LEADZERO, DEC_JOBID),
	    "job id has a leading zero");
	assert_string_equal(dec_reason(DEC_RANGE, DEC_JOBID),
	    "job id out of range");
	assert_string_equal(dec_reason(DEC_EMPTY, DEC_UID), "empty uid");
	assert_string_equal(dec_reason(DEC_SIGN, DEC_UID), "uid has a sign");
	assert_string_equal(dec_reason(DEC_NOTDIGIT, DEC_UID),
	    "uid not numeric");
	assert_string_equal(dec_reason(DEC_LEADZERO, DEC_UID),
	    "uid has a leading zero");
	assert_string_equal(dec_reason(DEC_RANGE, DEC_UID), "uid out of range");
	assert_string_equal(dec_reason(DEC_EMPTY, DEC_GID), "empty gid");
	assert_string_equal(dec_reason(DEC_RANGE, DEC_GID), "gid out of range");
	/* Outside the enums: a text all the same, never a bad index. */
	assert_string_equal(dec_reason(-1, DEC_UID), "not a canonical number");
	assert_string_equal(dec_reason(DEC_RANGE + 1, DEC_UID),
	    "not a canonical number");
	assert_string_equal(dec_reason(DEC_SIGN, -1), "not a canonical number");
	assert_string_equal(dec_reason(DEC_SIGN, DEC_GID + 1),
	    "not a canonical number");
}

/* Each refusal of dec_parse() has its own reason, for every field. */
static void
test_every_result_worded(void **state)
{
	/* One input per result, DEC_EMPTY to DEC_RANGE in enum order. */
	static const char *const in[] = { "", "-1", "1x", "01", "99999" };
	uint64_t v;
	size_t i;
	int r, w;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		r = parse(in[i], 9999, &v);
		assert_int_equal(r, DEC_EMPTY + (int)i);
		for (w = DEC_JOBID; w <= DEC_GID; w++)
			assert_string_not_equal(dec_reason(r, w),
			    "not a canonical number");
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
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_every_result_worded),
	};

	return cmocka_run_group_tests_name("decimal", tests, NULL, NULL);
}
