/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* fail_at makes the n-th allocation of sink.c from now fail. */
#include "alloc_fail.h"

#include "../lib/sink.c"

static struct sink_entry
ent(uint64_t id, uint32_t a, uint32_t b, double value)
{
	struct sink_entry e;

	memset(&e, 0, sizeof(e));
	e.id = id;
	e.name[0] = a;
	e.name[1] = b;
	e.value = value;
	return e;
}

static void
add_ok(struct sink *s, uint64_t id, uint32_t a, uint32_t b, double value)
{
	struct sink_entry e = ent(id, a, b, value);

	assert_int_equal(sink_add(s, &e, 0), 0);
}

static void
entry_is(const struct sink *s, uint32_t i, uint64_t id, uint32_t a,
    uint32_t b, double value)
{
	const struct sink_entry *e = sink_entry(s, i);

	assert_non_null(e);
	assert_true(e->id == id);
	assert_int_equal(e->name[0], a);
	assert_int_equal(e->name[1], b);
	assert_true(e->value == value);
}

/* Series: keyed by id and both names, values summed. */
static void
test_fold_by_all(void **state)
{
	struct proto_budget lim = { 100, 100 };
	struct sink *s = sink_new(&lim, 1 << 20, SINK_BY_ALL);

	(void)state;
	assert_non_null(s);
	add_ok(s, 1, 0, 5, 1.5);
	add_ok(s, 1, 0, 6, 10);		/* another target */
	add_ok(s, 1, 7, 5, 100);	/* a proc series of uid 1 */
	add_ok(s, 1, 0, 5, 2.25);
	assert_int_equal(sink_records(s), 4);
	assert_int_equal(sink_keys(s), 3);
	entry_is(s, 0, 1, 0, 5, 3.75);
	entry_is(s, 1, 1, 0, 6, 10);
	entry_is(s, 2, 1, 7, 5, 100);
	assert_null(sink_entry(s, 3));
	sink_free(s);
	sink_free(NULL);
}

/* Jobs: keyed by id alone; the first entry's names win. */
static void
test_first_entry_wins(void **state)
{
	struct proto_budget lim = { 100, 100 };
	struct sink *s = sink_new(&lim, 1 << 20, SINK_BY_ID);

	(void)state;
	assert_non_null(s);
	add_ok(s, 9, 1, 2, 0);
	add_ok(s, 8, 3, 4, 0);
	add_ok(s, 9, 5, 6, 0);
	assert_int_equal(sink_records(s), 3);
	assert_int_equal(sink_keys(s), 2);
	entry_is(s, 0, 9, 1, 2, 0);
	entry_is(s, 1, 8, 3, 4, 0);
	sink_free(s);
}

static void
test_budgets_fail_the_source(void **state)
{
	struct proto_budget lim = { 3, 2 };
	struct sink *s = sink_new(&lim, 1 << 20, SINK_BY_ALL);
	struct sink_entry c = ent(3, 0, 0, 1), a = ent(1, 0, 0, 1);
	char why[128];

	(void)state;
	assert_non_null(s);
	add_ok(s, 1, 0, 0, 1);
	add_ok(s, 2, 0, 0, 1);
	assert_int_equal(sink_add(s, &c, 0), ERR_RANGE);
	sink_explain(s, ERR_RANGE, why, sizeof(why));
	assert_non_null(strstr(why, "--source.max-keys"));
	add_ok(s, 1, 0, 0, 1);
	assert_int_equal(sink_add(s, &a, 0), ERR_TOOBIG);
	sink_explain(s, ERR_TOOBIG, why, sizeof(why));
	assert_non_null(strstr(why, "--source.max-records"));
	/* What was refused left no trace. */
	assert_int_equal(sink_keys(s), 2);
	assert_int_equal(sink_records(s), 3);
	entry_is(s, 0, 1, 0, 0, 2);
	sink_free(s);
}

/* The byte cap counts the entries and the names they brought. */
static void
test_byte_cap(void **state)
{
	struct proto_budget lim = { 100, 100 };
	const size_t es = sizeof(struct sink_entry);
	struct sink *s = sink_new(&lim, 3 * es + 10, SINK_BY_ALL);
	struct sink_entry e;
	char why[128];

	(void)state;
	assert_non_null(s);
	e = ent(1, 0, 0, 1);
	assert_int_equal(sink_add(s, &e, 10), 0);
	e = ent(2, 0, 0, 1);
	assert_int_equal(sink_add(s, &e, 0), 0);
	/* Full: even a known key may not bring names. */
	e = ent(1, 0, 0, 1);
	assert_int_equal(sink_add(s, &e, 1), ERR_OVERFLOW);
	e = ent(3, 0, 0, 1);
	assert_int_equal(sink_add(s, &e, 0), 0);
	e = ent(4, 0, 0, 1);
	assert_int_equal(sink_add(s, &e, 0), ERR_OVERFLOW);
	/* Names past any cap do not wrap around. */
	assert_int_equal(sink_add(s, &e, SIZE_MAX), ERR_OVERFLOW);
	assert_int_equal(sink_keys(s), 3);
	assert_int_equal(sink_records(s), 3);
	sink_explain(s, ERR_OVERFLOW, why, sizeof(why));
	assert_non_null(strstr(why, "byte budget"));
	sink_free(s);
}

static void
test_many_keys_grow(void **state)
{
	struct proto_budget lim = { 100000, 100000 };
	struct sink *s = sink_new(&lim, 16 << 20, SINK_BY_ALL);
	uint32_t i;

	(void)state;
	assert_non_null(s);
	for (i = 0; i < 50000; i++)
		add_ok(s, i, i % 7, i % 3, i);
	assert_int_equal(sink_keys(s), 50000);
	entry_is(s, 49999, 49999, 49999 % 7, 49999 % 3, 49999);
	sink_free(s);
}

/* A failed allocation refuses the record and leaves the sink whole. */
static void
test_alloc_failures(void **state)
{
	struct proto_budget lim = { 100000, 100000 };
	struct sink *s;
	struct sink_entry e;
	uint32_t i;
	long k;
	int r, hits = 0;

	(void)state;
	for (k = 0; k < 8; k++) {
		fail_at = k;
		if ((s = sink_new(&lim, 16 << 20, SINK_BY_ALL)) == NULL) {
			hits++;
			continue;
		}
		for (i = 0; i < 2000; i++) {
			e = ent(i % 1500, 0, 0, 1);
			if ((r = sink_add(s, &e, 0)) == ERR_NOMEM) {
				hits++;
				r = sink_add(s, &e, 0);
			}
			assert_int_equal(r, 0);
		}
		fail_at = -1;
		assert_int_equal(sink_keys(s), 1500);
		assert_int_equal(sink_records(s), 2000);
		entry_is(s, 0, 0, 0, 0, 2);
		entry_is(s, 1499, 1499, 0, 0, 1);
		sink_free(s);
	}
	assert_true(hits >= 4);
}

static void
test_bad_arguments(void **state)
{
	struct proto_budget lim = { 0, 1 }, ok = { 1, 1 };

	(void)state;
	assert_null(sink_new(&lim, 100, SINK_BY_ID));
	assert_null(sink_new(&ok, 100, 7));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold_by_all),
		cmocka_unit_test(test_first_entry_wins),
		cmocka_unit_test(test_budgets_fail_the_source),
		cmocka_unit_test(test_byte_cap),
		cmocka_unit_test(test_many_keys_grow),
		cmocka_unit_test(test_alloc_failures),
		cmocka_unit_test(test_bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
