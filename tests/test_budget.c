/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../lib/budget.c"

static void
test_records_then_refused(void **state)
{
	struct proto_budget lim = { 3, 10 };
	struct budget b;
	uint32_t idx;
	int fresh;

	(void)state;
	assert_int_equal(budget_init(&b, &lim), 0);
	assert_int_equal(budget_count(&b, "a", 1, &idx, &fresh), 0);
	assert_int_equal(idx, 0);
	assert_int_equal(fresh, 1);
	assert_int_equal(budget_count(&b, "b", 1, &idx, &fresh), 0);
	assert_int_equal(idx, 1);
	/* A key seen before is a record, not a new key. */
	assert_int_equal(budget_count(&b, "a", 1, &idx, &fresh), 0);
	assert_int_equal(idx, 0);
	assert_int_equal(fresh, 0);
	/* The fourth record is one past the budget, whatever its key. */
	assert_int_equal(budget_count(&b, "a", 1, &idx, &fresh), ERR_TOOBIG);
	assert_int_equal(b.records, 3);
	assert_int_equal(hash_count(b.keys), 2);
	budget_cleanup(&b);
}

static void
test_keys_then_refused(void **state)
{
	struct proto_budget lim = { 100, 2 };
	struct budget b;
	uint32_t idx;
	int fresh;
	char why[128];

	(void)state;
	assert_int_equal(budget_init(&b, &lim), 0);
	assert_int_equal(budget_count(&b, "a", 1, &idx, &fresh), 0);
	assert_int_equal(budget_count(&b, "b", 1, &idx, &fresh), 0);
	/* The third distinct key is refused; known keys still count. */
	assert_int_equal(budget_count(&b, "c", 1, &idx, &fresh), ERR_RANGE);
	assert_int_equal(b.records, 2);
	assert_int_equal(budget_count(&b, "b", 1, &idx, &fresh), 0);
	assert_int_equal(idx, 1);
	assert_int_equal(fresh, 0);
	budget_explain(&b, ERR_RANGE, why, sizeof(why));
	assert_non_null(strstr(why, "more than 2 distinct keys"));
	assert_non_null(strstr(why, "--source.max-keys"));
	budget_explain(&b, ERR_TOOBIG, why, sizeof(why));
	assert_non_null(strstr(why, "more than 100 records"));
	assert_non_null(strstr(why, "--source.max-records"));
	budget_cleanup(&b);
	budget_cleanup(&b);
}

static void
test_zero_budget_refused(void **state)
{
	struct proto_budget lim = { 0, 2 };
	struct budget b;
	uint32_t idx;
	int fresh;

	(void)state;
	assert_int_equal(budget_init(&b, &lim), ERR_INVAL);
	assert_int_equal(budget_count(&b, "a", 1, &idx, &fresh), ERR_NOMEM);
	budget_cleanup(&b);
}

/* Fingerprints count as the exact table does, in far less memory. */
static void
test_prints(void **state)
{
	struct proto_budget lim = { 1000000, 200000 };
	struct budget b;
	unsigned char key[8];
	uint32_t i, idx;
	int fresh;

	(void)state;
	assert_int_equal(budget_init_prints(&b, &lim), 0);
	for (i = 0; i < 150000; i++) {
		hash_key_u32(key, i);
		hash_key_u32(key + 4, i * 7u);
		assert_int_equal(budget_count(&b, key, sizeof(key), &idx,
		    &fresh), 0);
		assert_int_equal(fresh, 1);
		assert_int_equal(idx, 0);
	}
	/* Every key again: a record each, no new key. */
	for (i = 0; i < 150000; i++) {
		hash_key_u32(key, i);
		hash_key_u32(key + 4, i * 7u);
		assert_int_equal(budget_count(&b, key, sizeof(key), &idx,
		    &fresh), 0);
		assert_int_equal(fresh, 0);
	}
	assert_int_equal(b.pcount, 150000);
	assert_int_equal(b.records, 300000);
	/* At most half full, and no more than twice what that needs. */
	assert_true(b.pmask + 1 >= 2 * b.pcount);
	assert_true(b.pmask + 1 <= 4 * b.pcount + 1024);
	budget_cleanup(&b);
	budget_cleanup(&b);
}

/* The limits hold for fingerprints too. */
static void
test_prints_limits(void **state)
{
	struct proto_budget lim = { 5, 2 };
	struct budget b;
	uint32_t idx;
	int fresh;

	(void)state;
	assert_int_equal(budget_init_prints(&b, &lim), 0);
	assert_int_equal(budget_count(&b, "a", 1, &idx, &fresh), 0);
	assert_int_equal(budget_count(&b, "b", 1, &idx, &fresh), 0);
	assert_int_equal(budget_count(&b, "c", 1, &idx, &fresh), ERR_RANGE);
	assert_int_equal(budget_count(&b, "a", 1, &idx, &fresh), 0);
	assert_int_equal(fresh, 0);
	assert_int_equal(budget_count(&b, "b", 1, &idx, &fresh), 0);
	assert_int_equal(budget_count(&b, "b", 1, &idx, &fresh), 0);
	assert_int_equal(budget_count(&b, "b", 1, &idx, &fresh), ERR_TOOBIG);
	assert_int_equal(b.records, 5);
	budget_cleanup(&b);
	assert_int_equal(budget_init_prints(&b, &(struct proto_budget){ 0, 1 }),
	    ERR_INVAL);
	assert_int_equal(budget_count(&b, "a", 1, &idx, &fresh), ERR_NOMEM);
	budget_cleanup(&b);
}

/* A caller with its own table of keys says which records are new. */
static void
test_known_keys(void **state)
{
	struct proto_budget lim = { 4, 2 }, zero = { 3, 0 };
	struct budget b;
	char why[128];

	(void)state;
	assert_int_equal(budget_init_known(&b, &lim), 0);
	assert_null(b.keys);
	assert_int_equal(budget_count_known(&b, 1), 0);
	assert_int_equal(budget_count_known(&b, 1), 0);
	/* The third new key is refused; known ones still count. */
	assert_int_equal(budget_count_known(&b, 1), ERR_RANGE);
	assert_int_equal(budget_count_known(&b, 0), 0);
	assert_int_equal(b.records, 3);
	assert_int_equal(b.nkeys, 2);
	assert_int_equal(budget_count_known(&b, 0), 0);
	assert_int_equal(budget_count_known(&b, 0), ERR_TOOBIG);
	assert_int_equal(b.records, 4);
	budget_explain(&b, ERR_RANGE, why, sizeof(why));
	assert_non_null(strstr(why, "more than 2 distinct keys"));
	budget_cleanup(&b);
	assert_int_equal(budget_init_known(&b, &zero), ERR_INVAL);
	assert_int_equal(budget_count_known(&b, 0), ERR_INVAL);
	budget_cleanup(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_records_then_refused),
		cmocka_unit_test(test_keys_then_refused),
		cmocka_unit_test(test_zero_budget_refused),
		cmocka_unit_test(test_prints),
		cmocka_unit_test(test_prints_limits),
		cmocka_unit_test(test_known_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
