/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* fail_at makes the n-th allocation of names.c from now fail. */
#include "alloc_fail.h"

#include "../lib/names.c"

#define BIG	(64 * 1024 * 1024)

static uint32_t
intern_ok(struct names *n, const char *p, size_t len)
{
	uint32_t id;

	assert_int_equal(names_intern(n, p, len, &id, NULL), 0);
	return id;
}

static void
is_name(struct names *n, uint32_t id, const char *p, size_t len)
{
	const char *s;
	size_t got;

	assert_non_null(s = names_str(n, id, &got));
	assert_int_equal(got, len);
	assert_memory_equal(s, p, len);
	assert_int_equal(s[len], '\0');
}

static void
test_same_bytes_one_id(void **state)
{
	struct names *n = names_new(BIG);
	char copy[8];
	uint32_t a, b;
	size_t added;

	(void)state;
	assert_non_null(n);
	assert_int_equal(names_count(n), 1);
	assert_int_equal(names_intern(n, "alice", 5, &a, &added), 0);
	assert_int_equal(a, 1);
	assert_int_equal(added, NAMES_COST(5));
	/* Other memory, same bytes: the same id, nothing added. */
	memcpy(copy, "alice", 6);
	assert_int_equal(names_intern(n, copy, 5, &b, &added), 0);
	assert_int_equal(b, a);
	assert_int_equal(added, 0);
	assert_int_equal(names_count(n), 2);
	assert_int_equal(names_bytes(n), NAMES_COST(5));
	is_name(n, a, "alice", 5);
	names_free(n);
	names_free(NULL);
}

static void
test_distinct_bytes_distinct_ids(void **state)
{
	static const struct {
		const char	*p;
		size_t		 len;
	} in[] = {
		{ "a", 1 },
		{ "a\0", 2 },		/* differs in length only */
		{ "a\0b", 3 },		/* after a NUL */
		{ "a\0c", 3 },
		{ "ab", 2 },
		{ "b", 1 },
		{ "A", 1 },
		{ "\xff\xfe", 2 },
		{ "a\",evil=\"x", 11 },
		{ "new\nline", 8 },
	};
	const size_t nin = sizeof(in) / sizeof(in[0]);
	struct names *n = names_new(BIG);
	uint32_t ids[16];
	size_t i, k;

	(void)state;
	assert_non_null(n);
	for (i = 0; i < nin; i++)
		ids[i] = intern_ok(n, in[i].p, in[i].len);
	for (i = 0; i < nin; i++) {
		assert_int_equal(ids[i], i + 1);
		for (k = 0; k < i; k++)
			assert_int_not_equal(ids[i], ids[k]);
		is_name(n, ids[i], in[i].p, in[i].len);
		/* Again, in any order: the first id. */
		assert_int_equal(intern_ok(n, in[i].p, in[i].len), ids[i]);
	}
	assert_int_equal(names_count(n), nin + 1);
	names_free(n);
}

/* The empty name is id 0 from the start, with or without a pointer. */
static void
test_empty_is_zero(void **state)
{
	struct names *n = names_new(BIG);
	size_t added = 1;
	uint32_t id = 7;

	(void)state;
	assert_non_null(n);
	is_name(n, 0, "", 0);
	assert_int_equal(names_intern(n, NULL, 0, &id, &added), 0);
	assert_int_equal(id, 0);
	assert_int_equal(added, 0);
	assert_int_equal(intern_ok(n, "x", 0), 0);
	assert_int_equal(names_count(n), 1);
	assert_int_equal(names_bytes(n), 0);
	names_free(n);
}

static void
test_caps(void **state)
{
	char big[MAX_LABEL + 1];
	struct names *n = names_new(2 * NAMES_COST(MAX_LABEL));
	size_t added = 1;
	uint32_t id = 7, a;

	(void)state;
	assert_non_null(n);
	memset(big, 'x', sizeof(big));
	assert_int_equal(names_intern(n, big, MAX_LABEL + 1, &id, &added),
	    ERR_TOOBIG);
	assert_int_equal(id, 0);
	assert_int_equal(added, 0);
	a = intern_ok(n, big, MAX_LABEL);
	big[0] = 'y';
	intern_ok(n, big, MAX_LABEL);
	/* The byte cap: known names still answer, new ones do not fit. */
	big[0] = 'z';
	assert_int_equal(names_intern(n, big, 1, &id, &added), ERR_OVERFLOW);
	assert_int_equal(id, 0);
	assert_int_equal(names_count(n), 3);
	big[0] = 'x';
	assert_int_equal(intern_ok(n, big, MAX_LABEL), a);
	assert_int_equal(names_bytes(n), 2 * NAMES_COST(MAX_LABEL));
	/* Ids never handed out have no name. */
	assert_null(names_str(n, 3, &added));
	assert_int_equal(added, 0);
	assert_null(names_str(n, UINT32_MAX, NULL));
	names_free(n);
}

/* Strings stay where they are while the table grows around them. */
static void
test_many_names_stay(void **state)
{
	struct names *n = names_new(BIG);
	const char *first;
	char name[32];
	uint32_t i;
	int len;

	(void)state;
	assert_non_null(n);
	first = names_str(n, intern_ok(n, "first", 5), NULL);
	for (i = 0; i < 100000; i++) {
		len = snprintf(name, sizeof(name), "name-%u", i);
		assert_int_equal(intern_ok(n, name, (size_t)len), i + 2);
	}
	assert_ptr_equal(names_str(n, 1, NULL), first);
	assert_string_equal(first, "first");
	for (i = 0; i < 100000; i += 997) {
		len = snprintf(name, sizeof(name), "name-%u", i);
		assert_int_equal(intern_ok(n, name, (size_t)len), i + 2);
		is_name(n, i + 2, name, (size_t)len);
	}
	names_free(n);
}

/*
 * Fails each allocation in turn: names_new() returns NULL, and an intern
 * returns ERR_NOMEM with the table unchanged, so that retrying it gives
 * the ids of a run without failures.
 */
static void
test_alloc_failures(void **state)
{
	struct names *n;
	char name[600];
	uint32_t i, id;
	size_t added;
	long k;
	int r, hits = 0;

	(void)state;
	for (k = 0; k < 40; k++) {
		fail_at = k;
		if ((n = names_new(BIG)) == NULL) {
			hits++;
			continue;
		}
		for (i = 0; i < 800; i++) {
			/* Long names fill chunks; i % 500 repeats some. */
			memset(name, 'n', sizeof(name));
			snprintf(name, sizeof(name), "%u", i % 500);
			name[strlen(name)] = 'n';
			r = names_intern(n, name, 300, &id, &added);
			if (r == ERR_NOMEM) {
				hits++;
				assert_int_equal(id, 0);
				assert_int_equal(added, 0);
				assert_int_equal(names_count(n),
				    (i < 500 ? i : 500) + 1);
				r = names_intern(n, name, 300, &id, &added);
			}
			assert_int_equal(r, 0);
			assert_int_equal(id, i % 500 + 1);
		}
		fail_at = -1;
		assert_int_equal(names_count(n), 501);
		assert_int_equal(names_bytes(n), 500 * NAMES_COST(300));
		names_free(n);
	}
	/* names_new, the index, the entries and the chunks were all hit. */
	assert_true(hits >= 10);
}

/* Two threads interning the same names agree on every id. */
#define RACE_NAMES	20000

struct racer {
	struct names	*n;
	uint32_t	 ids[RACE_NAMES];
	int		 failed;
};

static void *
race(void *arg)
{
	struct racer *r = arg;
	char name[32];
	uint32_t i;
	int len;

	for (i = 0; i < RACE_NAMES; i++) {
		len = snprintf(name, sizeof(name), "proc-%u", i);
		if (names_intern(r->n, name, (size_t)len, &r->ids[i],
		    NULL) != 0)
			r->failed = 1;
	}
	return NULL;
}

static void
test_threads(void **state)
{
	static struct racer a, b;
	pthread_t ta, tb;
	struct names *n = names_new(BIG);
	char name[32];
	uint32_t i;
	int len;

	(void)state;
	assert_non_null(n);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.n = b.n = n;
	assert_int_equal(pthread_create(&ta, NULL, race, &a), 0);
	assert_int_equal(pthread_create(&tb, NULL, race, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	assert_false(a.failed || b.failed);
	assert_int_equal(names_count(n), RACE_NAMES + 1);
	assert_memory_equal(a.ids, b.ids, sizeof(a.ids));
	for (i = 0; i < RACE_NAMES; i += 101) {
		len = snprintf(name, sizeof(name), "proc-%u", i);
		is_name(n, a.ids[i], name, (size_t)len);
	}
	names_free(n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_bytes_one_id),
		cmocka_unit_test(test_distinct_bytes_distinct_ids),
		cmocka_unit_test(test_empty_is_zero),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_many_names_stay),
		cmocka_unit_test(test_alloc_failures),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
