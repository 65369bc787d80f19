/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../lib/sink.c"

static void
entry_is(const struct sink *s, uint32_t i, const char *body, double value)
{
	const unsigned char *b;
	size_t n;
	double v;

	sink_entry(s, i, &b, &n, &v);
	assert_int_equal(n, strlen(body));
	assert_memory_equal(b, body, n);
	assert_true(v == value);
}

static void
test_fold_by_key(void **state)
{
	struct proto_budget lim = { 100, 100 };
	struct sink *s = sink_new(&lim, 1 << 20);

	(void)state;
	assert_non_null(s);
	assert_int_equal(sink_add(s, "k1", 2, "first", 5, 1.5), 0);
	assert_int_equal(sink_add(s, "k2", 2, "other", 5, 10), 0);
	/* Same key: the first body stays, the values add up. */
	assert_int_equal(sink_add(s, "k1", 2, "second", 6, 2.25), 0);
	assert_int_equal(sink_records(s), 3);
	assert_int_equal(sink_keys(s), 2);
	entry_is(s, 0, "first", 3.75);
	entry_is(s, 1, "other", 10);
	sink_free(s);
	sink_free(NULL);
}

static void
test_budgets_fail_the_source(void **state)
{
	struct proto_budget lim = { 3, 2 };
	struct sink *s = sink_new(&lim, 1 << 20);
	char why[128];

	(void)state;
	assert_non_null(s);
	assert_int_equal(sink_add(s, "a", 1, "A", 1, 1), 0);
	assert_int_equal(sink_add(s, "b", 1, "B", 1, 1), 0);
	assert_int_equal(sink_add(s, "c", 1, "C", 1, 1), ERR_RANGE);
	sink_explain(s, ERR_RANGE, why, sizeof(why));
	assert_non_null(strstr(why, "--source.max-keys"));
	assert_int_equal(sink_add(s, "a", 1, "A", 1, 1), 0);
	assert_int_equal(sink_add(s, "a", 1, "A", 1, 1), ERR_TOOBIG);
	sink_explain(s, ERR_TOOBIG, why, sizeof(why));
	assert_non_null(strstr(why, "--source.max-records"));
	/* What was refused left no trace. */
	assert_int_equal(sink_keys(s), 2);
	entry_is(s, 0, "A", 2);
	sink_free(s);
}

static void
test_byte_cap(void **state)
{
	struct proto_budget lim = { 100, 100 };
	struct sink *s = sink_new(&lim, 2 * (4 + 10));
	char why[128];

	(void)state;
	assert_non_null(s);
	assert_int_equal(sink_add(s, "a", 1, "0123456789", 10, 1), 0);
	assert_int_equal(sink_add(s, "b", 1, "0123456789", 10, 1), 0);
	assert_int_equal(sink_add(s, "c", 1, "0", 1, 1), ERR_OVERFLOW);
	assert_int_equal(sink_keys(s), 2);
	assert_int_equal(sink_records(s), 2);
	sink_explain(s, ERR_OVERFLOW, why, sizeof(why));
	assert_non_null(strstr(why, "byte budget"));
	sink_free(s);
}

static void
test_many_keys_grow(void **state)
{
	struct proto_budget lim = { 100000, 100000 };
	struct sink *s = sink_new(&lim, 16 << 20);
	char key[16];
	uint32_t i;
	const unsigned char *b;
	size_t n;
	double v;

	(void)state;
	assert_non_null(s);
	for (i = 0; i < 50000; i++) {
		snprintf(key, sizeof(key), "%u", i);
		assert_int_equal(sink_add(s, key, strlen(key), key,
		    strlen(key), i), 0);
	}
	assert_int_equal(sink_keys(s), 50000);
	sink_entry(s, 49999, &b, &n, &v);
	assert_memory_equal(b, "49999", 5);
	assert_true(v == 49999);
	sink_free(s);
}

static void
test_zero_budget(void **state)
{
	struct proto_budget lim = { 0, 1 };

	(void)state;
	assert_null(sink_new(&lim, 100));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold_by_key),
		cmocka_unit_test(test_budgets_fail_the_source),
		cmocka_unit_test(test_byte_cap),
		cmocka_unit_test(test_many_keys_grow),
		cmocka_unit_test(test_zero_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
