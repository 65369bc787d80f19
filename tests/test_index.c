/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* fail_at makes the n-th allocation of index.c from now fail. */
#include "alloc_fail.h"

#include "../lib/index.c"

/* A table as a caller keeps one: entries, and an index over them. */
struct table {
	struct index	 x;
	uint64_t	 keys[100000];
	uint32_t	 n;
};

static uint32_t
hash_of(const struct table *t, uint64_t key)
{
	return index_hash(&t->x, &key, sizeof(key));
}

/* The entry of key, or INDEX_NONE. */
static uint32_t
lookup(const struct table *t, uint64_t key)
{
	struct index_probe p;
	uint32_t i;

	for (i = index_first(&t->x, hash_of(t, key), &p); i != INDEX_NONE;
	    i = index_next(&t->x, &p))
		if (t->keys[i] == key)
			return i;
	return INDEX_NONE;
}

/* The entry of key, filed if new; 0 or what index_reserve() said. */
static int
find_or_add(struct table *t, uint64_t key, uint32_t *entry, int *fresh)
{
	struct index_probe p;
	uint32_t i;
	int r;

	*fresh = 0;
	if ((r = index_reserve(&t->x, (size_t)t->n + 1)) != 0)
		return r;
	for (i = index_first(&t->x, hash_of(t, key), &p); i != INDEX_NONE;
	    i = index_next(&t->x, &p))
		if (t->keys[i] == key) {
			*entry = i;
			return 0;
		}
	index_add(&t->x, &p, t->n);
	t->keys[t->n] = key;
	*entry = t->n++;
	*fresh = 1;
	return 0;
}

static struct table *
table_new(void)
{
	struct table *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	assert_int_equal(index_init(&t->x), 0);
	return t;
}

static void
table_free(struct table *t)
{
	index_cleanup(&t->x);
	index_cleanup(&t->x);
	free(t);
}

static void
test_find_and_add(void **state)
{
	struct table *t = table_new();
	uint32_t e, i;
	int fresh;

	(void)state;
	assert_int_equal(lookup(t, 7), INDEX_NONE);
	for (i = 0; i < 100000; i++) {
		assert_int_equal(find_or_add(t, (uint64_t)i * 977, &e,
		    &fresh), 0);
		assert_int_equal(e, i);
		assert_true(fresh);
	}
	/* Known keys keep their entry across every growth. */
	for (i = 0; i < 100000; i += 7) {
		assert_int_equal(find_or_add(t, (uint64_t)i * 977, &e,
		    &fresh), 0);
		assert_int_equal(e, i);
		assert_false(fresh);
	}
	assert_int_equal(lookup(t, 977 * 5), 5);
	assert_int_equal(lookup(t, 1), INDEX_NONE);
	assert_int_equal(t->x.n, 100000);
	/* The load stays below the limit, so a probe always ends. */
	assert_true(t->x.n * INDEX_LOAD_DEN <= (t->x.mask + 1) *
	    INDEX_LOAD_NUM);
	table_free(t);
}

/*
 * Entries whose hashes are equal are told apart by the caller: every
 * candidate comes up, in turn, until the probe ends on a free slot.
 */
static void
test_equal_hashes(void **state)
{
	struct table *t = table_new();
	struct index_probe p;
	uint32_t i, e, seen = 0;

	(void)state;
	assert_int_equal(index_reserve(&t->x, 10), 0);
	for (i = 0; i < 10; i++) {
		e = index_first(&t->x, 42, &p);
		assert_int_equal(e, i == 0 ? INDEX_NONE : 0);
		while (e != INDEX_NONE)
			e = index_next(&t->x, &p);
		index_add(&t->x, &p, i);
	}
	for (i = index_first(&t->x, 42, &p); i != INDEX_NONE;
	    i = index_next(&t->x, &p))
		seen |= 1u << i;
	assert_int_equal(seen, 0x3ff);
	/* Another hash meets none of them. */
	assert_int_equal(index_first(&t->x, 43, &p), INDEX_NONE);
	table_free(t);
}

/* Two indexes hash alike keys differently: their SipHash keys differ. */
static void
test_keys_random(void **state)
{
	struct table *a = table_new(), *b = table_new();

	(void)state;
	assert_memory_not_equal(a->x.key, b->x.key, sizeof(a->x.key));
	assert_int_not_equal(hash_of(a, 1) ^ hash_of(a, 2),
	    hash_of(b, 1) ^ hash_of(b, 2));
	table_free(a);
	table_free(b);
}

static void
test_caps_and_failures(void **state)
{
	struct table *t = table_new();
	struct index empty;
	uint32_t e, i;
	size_t mask;
	long k;
	int fresh, r, hits = 0;

	(void)state;
	/* Past the cap nothing is even tried. */
	assert_int_equal(index_reserve(&t->x, INDEX_MAX + 1), ERR_TOOBIG);
	assert_int_equal(index_reserve(&t->x, SIZE_MAX), ERR_TOOBIG);
	assert_int_equal(t->x.mask, INDEX_MIN_SLOTS - 1);
	table_free(t);

	/* A failed growth leaves every entry where it was. */
	for (k = 0; k < 12; k++) {
		t = table_new();
		fail_at = k;
		for (i = 0; i < 5000; i++) {
			mask = t->x.mask;
			if ((r = find_or_add(t, i, &e, &fresh)) == ERR_NOMEM) {
				hits++;
				assert_int_equal(t->x.mask, mask);
				assert_int_equal(lookup(t, i / 2), i / 2);
				r = find_or_add(t, i, &e, &fresh);
			}
			assert_int_equal(r, 0);
			assert_int_equal(e, i);
		}
		fail_at = -1;
		for (i = 0; i < 5000; i++)
			assert_int_equal(lookup(t, i), i);
		table_free(t);
	}
	assert_true(hits >= 6);

	/* An index whose init failed refuses to grow. */
	fail_at = 0;
	assert_int_equal(index_init(&empty), ERR_NOMEM);
	assert_int_equal(index_reserve(&empty, 1), ERR_NOMEM);
	index_cleanup(&empty);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_and_add),
		cmocka_unit_test(test_equal_hashes),
		cmocka_unit_test(test_keys_random),
		cmocka_unit_test(test_caps_and_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
