/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/random.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../lib/caps.h"

/*
 * A small cap, so the MAX_RECORDS refusal is tested without two million
 * inserts; caps.h is guarded, so hash.c sees this value.
 */
#undef MAX_RECORDS
#define MAX_RECORDS	150000

/*
 * The module's allocations go through alloc_fail.h, and fail_at makes the
 * n-th one from now fail once.  lib/buf.c (the key arena) is linked
 * separately and never fails here.
 */
#include "alloc_fail.h"

/* getrandom can be made to fail, as under a seccomp filter. */
static int getrandom_fails;

static ssize_t
t_getrandom(void *p, size_t n, unsigned int flags)
{
	if (getrandom_fails) {
		errno = ENOSYS;
		return -1;
	}
	return getrandom(p, n, flags);
}

#define getrandom(p, n, f)	t_getrandom(p, n, f)

#include "../lib/hash.c"

#undef getrandom

static const uint8_t refkey[16] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
};

static void
test_siphash_vectors(void **state)
{
	static const uint8_t zero[16];
	uint8_t msg[64], zeros[1535];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	memset(zeros, 0, sizeof(zeros));
	/* The SipHash paper, appendix A, and the reference vectors.h. */
	assert_true(hash_siphash(refkey, msg, 15) == 0xa129ca6149be45e5ULL);
	assert_true(hash_siphash(refkey, msg, 0) == 0x726fdb47dd0e0e31ULL);
	assert_true(hash_siphash(refkey, NULL, 0) == 0x726fdb47dd0e0e31ULL);
	assert_true(hash_siphash(refkey, msg, 1) == 0x74f839c593dc67fdULL);
	assert_true(hash_siphash(refkey, msg, 2) == 0x0d6c8009d9a94f5aULL);
	assert_true(hash_siphash(refkey, msg, 3) == 0x85676696d7fb7e2dULL);
	assert_true(hash_siphash(refkey, msg, 8) == 0x93f5f5799a932462ULL);
	/* Zero key, as in dchest/siphash's golden set. */
	assert_true(hash_siphash(zero, "", 0) == 0x1e924b9d737700d7ULL);
	assert_true(hash_siphash(zero, "Hello world", 11) ==
	    0xc9e8a3021f3822d9ULL);
	assert_true(hash_siphash(zero, "12345678123", 11) ==
	    0x0f95d77ccdb0649fULL);
	assert_true(hash_siphash(zero, zeros, 8) == 0xe849e8bb6ffe2567ULL);
	assert_true(hash_siphash(zero, zeros, sizeof(zeros)) ==
	    0xe74d1c0ab64b2afaULL);
}

static void
test_put_get(void **state)
{
	struct hash *h;
	uint32_t v;
	int ins;

	(void)state;
	assert_non_null(h = hash_new(0));
	assert_int_equal(hash_count(h), 0);
	assert_int_equal(hash_get(h, "a", 1, &v), ERR_NOTFOUND);

	v = 99;
	assert_int_equal(hash_put(h, "alpha", 5, 7, &v, &ins), 0);
	assert_int_equal(ins, 1);
	assert_int_equal(v, 7);
	/* A second put keeps the first value and says so. */
	assert_int_equal(hash_put(h, "alpha", 5, 8, &v, &ins), 0);
	assert_int_equal(ins, 0);
	assert_int_equal(v, 7);
	assert_int_equal(hash_count(h), 1);

	/* Prefixes, embedded NULs and the empty key are distinct keys. */
	assert_int_equal(hash_put(h, "alph", 4, 1, &v, &ins), 0);
	assert_int_equal(ins, 1);
	assert_int_equal(hash_put(h, "a\0b", 3, 2, &v, &ins), 0);
	assert_int_equal(ins, 1);
	assert_int_equal(hash_put(h, "a\0c", 3, 3, &v, &ins), 0);
	assert_int_equal(ins, 1);
	assert_int_equal(hash_put(h, NULL, 0, 4, &v, &ins), 0);
	assert_int_equal(ins, 1);
	assert_int_equal(hash_put(h, "", 0, 5, &v, &ins), 0);
	assert_int_equal(ins, 0);
	assert_int_equal(v, 4);
	assert_int_equal(hash_count(h), 5);

	assert_int_equal(hash_get(h, "alpha", 5, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(hash_get(h, "alph", 4, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(hash_get(h, "a\0b", 3, &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(hash_get(h, "a\0c", 3, &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(hash_get(h, NULL, 0, &v), 0);
	assert_int_equal(v, 4);
	v = 1;
	assert_int_equal(hash_get(h, "alphab", 6, &v), ERR_NOTFOUND);
	assert_int_equal(v, 0);
	assert_int_equal(hash_get(h, "a", 1, &v), ERR_NOTFOUND);
	hash_free(h);
	hash_free(NULL);
}

static void
test_keys_copied(void **state)
{
	struct hash *h;
	char key[16];
	uint32_t v;
	int ins;

	(void)state;
	assert_non_null(h = hash_new(4));
	snprintf(key, sizeof(key), "%s", "jobid");
	assert_int_equal(hash_put(h, key, 5, 42, &v, &ins), 0);
	memset(key, 'x', sizeof(key));
	assert_int_equal(hash_get(h, "jobid", 5, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(hash_get(h, key, 5, &v), ERR_NOTFOUND);
	hash_free(h);
}

static void
test_grow_many(void **state)
{
	struct hash *h;
	char key[32];
	uint32_t v, i;
	int n, ins;

	(void)state;
	/* hint 1: every doubling from the smallest table is exercised. */
	assert_non_null(h = hash_new(1));
	for (i = 0; i < 100000; i++) {
		n = snprintf(key, sizeof(key), "proc%u.%u", i, i * 7);
		assert_int_equal(hash_put(h, key, (size_t)n, i, &v, &ins), 0);
		assert_int_equal(ins, 1);
	}
	assert_int_equal(hash_count(h), 100000);
	/* Load stays below the limit; the table grew by doubling. */
	assert_true(h->nents * HASH_LOAD_DEN <= (h->mask + 1) * HASH_LOAD_NUM);
	assert_true(((h->mask + 1) & h->mask) == 0);
	for (i = 0; i < 100000; i++) {
		n = snprintf(key, sizeof(key), "proc%u.%u", i, i * 7);
		assert_int_equal(hash_get(h, key, (size_t)n, &v), 0);
		assert_int_equal(v, i);
		n = snprintf(key, sizeof(key), "proc%u.%u", i, i * 7 + 1);
		assert_int_equal(hash_get(h, key, (size_t)n, &v),
		    ERR_NOTFOUND);
	}
	hash_free(h);
}

static void
test_binary_int_keys(void **state)
{
	struct hash *h;
	uint64_t k;
	uint32_t v;
	int ins;

	(void)state;
	/* Sequential integers, as jobids and uids arrive. */
	assert_non_null(h = hash_new(50000));
	for (k = 0; k < 50000; k++) {
		assert_int_equal(hash_put(h, &k, sizeof(k), (uint32_t)k, &v,
		    &ins), 0);
		assert_int_equal(ins, 1);
	}
	for (k = 0; k < 50000; k++) {
		assert_int_equal(hash_get(h, &k, sizeof(k), &v), 0);
		assert_int_equal(v, (uint32_t)k);
	}
	hash_free(h);
}

static void
test_cap(void **state)
{
	struct hash *h;
	uint32_t v, i;
	int ins;

	(void)state;
	/* A hint beyond the cap is clamped, not honoured. */
	assert_non_null(h = hash_new(SIZE_MAX));
	assert_true(h->mask + 1 <= 4 * (size_t)MAX_RECORDS);
	for (i = 0; i < MAX_RECORDS; i++)
		assert_int_equal(hash_put(h, &i, sizeof(i), i, &v, &ins), 0);
	assert_int_equal(hash_count(h), MAX_RECORDS);
	i = MAX_RECORDS;
	assert_int_equal(hash_put(h, &i, sizeof(i), i, &v, &ins), ERR_TOOBIG);
	assert_int_equal(ins, 0);
	assert_int_equal(hash_get(h, &i, sizeof(i), &v), ERR_NOTFOUND);
	assert_int_equal(hash_count(h), MAX_RECORDS);
	/* Existing keys still answer. */
	i = 17;
	assert_int_equal(hash_put(h, &i, sizeof(i), 0, &v, &ins), 0);
	assert_int_equal(ins, 0);
	assert_int_equal(v, 17);
	hash_free(h);
}

static void
test_seed(void **state)
{
	struct hash *a, *b;
	uint32_t v;
	int ins;

	(void)state;
	/* Each table has its own key (equal keys: p = 2^-128). */
	assert_non_null(a = hash_new(0));
	assert_non_null(b = hash_new(0));
	assert_memory_not_equal(a->key, b->key, sizeof(a->key));
	hash_free(a);
	hash_free(b);

	/* Without getrandom keys still differ, and the table works. */
	getrandom_fails = 1;
	assert_non_null(a = hash_new(0));
	assert_non_null(b = hash_new(0));
	getrandom_fails = 0;
	assert_memory_not_equal(a->key, b->key, sizeof(a->key));
	assert_int_equal(hash_put(a, "k", 1, 3, &v, &ins), 0);
	assert_int_equal(hash_get(a, "k", 1, &v), 0);
	assert_int_equal(v, 3);
	hash_free(a);
	hash_free(b);
}

/*
 * Fails each allocation in turn while filling a table: every failure is
 * ERR_NOMEM, and the table keeps exactly the keys inserted before.
 */
static void
test_alloc_failures(void **state)
{
	struct hash *h;
	uint32_t v, i, j, done;
	long k;
	int r, ins, failures = 0;

	(void)state;
	for (k = 0; k < 64; k++) {
		fail_at = k;
		if ((h = hash_new(0)) == NULL) {
			failures++;
			continue;
		}
		done = 0;
		for (i = 0; i < 200; i++) {
			r = hash_put(h, &i, sizeof(i), i + 1, &v, &ins);
			if (r != 0) {
				assert_int_equal(r, ERR_NOMEM);
				assert_int_equal(ins, 0);
				failures++;
				/* The failed put is retried and succeeds. */
				r = hash_put(h, &i, sizeof(i), i + 1, &v,
				    &ins);
				assert_int_equal(r, 0);
				assert_int_equal(ins, 1);
			}
			assert_int_equal(hash_count(h), i + 1);
			done = i + 1;
		}
		for (j = 0; j < done; j++) {
			assert_int_equal(hash_get(h, &j, sizeof(j), &v), 0);
			assert_int_equal(v, j + 1);
		}
		hash_free(h);
	}
	fail_at = -1;
	/* hash_new (2) plus growth of slots and entries were all hit. */
	assert_true(failures >= 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test(test_put_get),
		cmocka_unit_test(test_keys_copied),
		cmocka_unit_test(test_grow_many),
		cmocka_unit_test(test_binary_int_keys),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_seed),
		cmocka_unit_test(test_alloc_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
