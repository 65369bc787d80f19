/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

/* fail_at makes the n-th allocation of acache.c from now fail. */
#include "alloc_fail.h"

#include "../lib/acache.c"

static void
put_user(struct acache *c, uint32_t uid, const char *name, uint32_t gid,
    time_t now)
{
	assert_int_equal(acache_put_user(c, uid, name,
	    name == NULL ? 0 : strlen(name), gid, now), 0);
}

static void
test_hit_absent_miss(void **state)
{
	struct acache *c;
	const char *name;
	uint32_t gid;

	(void)state;
	assert_non_null(c = acache_new(300));
	name = "junk";
	gid = 9;
	assert_int_equal(acache_get_user(c, 1000, 0, &name, &gid),
	    ACACHE_MISS);
	assert_null(name);
	assert_int_equal(gid, 0);

	put_user(c, 1000, "alice", 100, 0);
	put_user(c, 1001, NULL, 55, 0);
	assert_int_equal(acache_put_group(c, 100, "staff", 5, 0), 0);
	assert_int_equal(acache_put_group(c, 101, NULL, 0, 0), 0);
	assert_int_equal(acache_count(c), 4);

	assert_int_equal(acache_get_user(c, 1000, 10, &name, &gid),
	    ACACHE_HIT);
	assert_string_equal(name, "alice");
	assert_int_equal(gid, 100);
	name = "junk";
	gid = 9;
	assert_int_equal(acache_get_user(c, 1001, 10, &name, &gid),
	    ACACHE_ABSENT);
	assert_null(name);
	assert_int_equal(gid, 0);
	assert_int_equal(acache_get_group(c, 100, 10, &name), ACACHE_HIT);
	assert_string_equal(name, "staff");
	assert_int_equal(acache_get_group(c, 101, 10, &name), ACACHE_ABSENT);
	assert_null(name);
	/* Users and groups are separate spaces. */
	assert_int_equal(acache_get_group(c, 1000, 10, &name), ACACHE_MISS);
	assert_int_equal(acache_get_user(c, 100, 10, &name, &gid),
	    ACACHE_MISS);
	acache_free(c);
	acache_free(NULL);
}

static void
test_ttl(void **state)
{
	struct acache *c;
	const char *name;
	uint32_t gid;

	(void)state;
	assert_non_null(c = acache_new(60));
	put_user(c, 1, "u", 1, 100);
	assert_int_equal(acache_get_user(c, 1, 100, &name, &gid), ACACHE_HIT);
	assert_int_equal(acache_get_user(c, 1, 159, &name, &gid), ACACHE_HIT);
	assert_int_equal(acache_get_user(c, 1, 160, &name, &gid),
	    ACACHE_MISS);
	assert_null(name);
	/* The clock went back: do not trust the entry. */
	assert_int_equal(acache_get_user(c, 1, 99, &name, &gid), ACACHE_MISS);
	/* A new answer restarts the lifetime. */
	put_user(c, 1, "v", 2, 200);
	assert_int_equal(acache_count(c), 1);
	assert_int_equal(acache_get_user(c, 1, 259, &name, &gid),
	    ACACHE_HIT);
	assert_string_equal(name, "v");
	assert_int_equal(gid, 2);

	/* Extreme times neither overflow nor hit. */
	put_user(c, 2, "x", 1, (time_t)INT64_MIN);
	assert_int_equal(acache_get_user(c, 2, (time_t)INT64_MAX, &name,
	    &gid), ACACHE_MISS);
	assert_int_equal(acache_get_user(c, 2, (time_t)INT64_MIN + 59,
	    &name, &gid), ACACHE_HIT);
	acache_free(c);
}

static void
test_ttl_zero(void **state)
{
	struct acache *c;
	const char *name;
	uint32_t gid;

	(void)state;
	assert_non_null(c = acache_new(0));
	put_user(c, 1, "u", 1, 100);
	put_user(c, 2, NULL, 0, 100);
	assert_int_equal(acache_put_group(c, 1, "g", 1, 100), 0);
	assert_int_equal(acache_count(c), 0);
	assert_int_equal(acache_get_user(c, 1, 100, &name, &gid),
	    ACACHE_MISS);
	assert_int_equal(acache_get_user(c, 2, 100, &name, &gid),
	    ACACHE_MISS);
	assert_int_equal(acache_get_group(c, 1, 100, &name), ACACHE_MISS);
	acache_expire(c, 1000);
	acache_free(c);
}

static void
test_replace(void **state)
{
	struct acache *c;
	const char *name;
	uint32_t gid;

	(void)state;
	assert_non_null(c = acache_new(10));
	put_user(c, 5, "old", 1, 0);
	put_user(c, 5, NULL, 0, 1);
	assert_int_equal(acache_get_user(c, 5, 1, &name, &gid),
	    ACACHE_ABSENT);
	put_user(c, 5, "new", 3, 2);
	assert_int_equal(acache_get_user(c, 5, 2, &name, &gid), ACACHE_HIT);
	assert_string_equal(name, "new");
	assert_int_equal(gid, 3);
	assert_int_equal(acache_count(c), 1);
	acache_free(c);
}

static void
test_bad_names(void **state)
{
	struct acache *c;
	const char *name;
	char big[MAX_LABEL + 1];
	uint32_t gid;

	(void)state;
	memset(big, 'a', sizeof(big));
	assert_non_null(c = acache_new(10));
	put_user(c, 1, "keep", 1, 0);
	assert_int_equal(acache_put_user(c, 1, big, sizeof(big), 2, 0),
	    ERR_TOOBIG);
	assert_int_equal(acache_put_user(c, 1, "a\0b", 3, 2, 0), ERR_NUL);
	assert_int_equal(acache_put_group(c, 1, big, sizeof(big), 0),
	    ERR_TOOBIG);
	/* A refused put changes nothing. */
	assert_int_equal(acache_get_user(c, 1, 0, &name, &gid), ACACHE_HIT);
	assert_string_equal(name, "keep");
	assert_int_equal(gid, 1);
	assert_int_equal(acache_count(c), 1);
	/* Longest allowed, and the empty name, are fine. */
	assert_int_equal(acache_put_user(c, 2, big, MAX_LABEL, 2, 0), 0);
	assert_int_equal(acache_get_user(c, 2, 0, &name, &gid), ACACHE_HIT);
	assert_int_equal(strlen(name), MAX_LABEL);
	assert_int_equal(acache_put_group(c, 3, "", 0, 0), 0);
	assert_int_equal(acache_get_group(c, 3, 0, &name), ACACHE_HIT);
	assert_string_equal(name, "");
	acache_free(c);
}

static void
test_expire(void **state)
{
	struct acache *c;
	const char *name;
	char want[32];
	uint32_t gid, i;

	(void)state;
	assert_non_null(c = acache_new(100));
	/* Even uids stored at 0, odd at 50. */
	for (i = 0; i < 1000; i++) {
		snprintf(want, sizeof(want), "user%u", i);
		put_user(c, i, i % 3 == 0 ? NULL : want, i + 7,
		    i % 2 ? 50 : 0);
	}
	assert_int_equal(acache_count(c), 1000);
	acache_expire(c, 99);
	assert_int_equal(acache_count(c), 1000);
	acache_expire(c, 100);
	assert_int_equal(acache_count(c), 500);
	/* The index was rebuilt: every survivor answers for itself. */
	for (i = 0; i < 1000; i++) {
		snprintf(want, sizeof(want), "user%u", i);
		if (i % 2 == 0) {
			assert_int_equal(acache_get_user(c, i, 100, &name,
			    &gid), ACACHE_MISS);
			continue;
		}
		if (i % 3 == 0) {
			assert_int_equal(acache_get_user(c, i, 100, &name,
			    &gid), ACACHE_ABSENT);
			continue;
		}
		assert_int_equal(acache_get_user(c, i, 100, &name, &gid),
		    ACACHE_HIT);
		assert_string_equal(name, want);
		assert_int_equal(gid, i + 7);
	}
	acache_expire(c, 150);
	assert_int_equal(acache_count(c), 0);
	assert_null(c->users.ents);	/* memory given back */
	/* Usable again afterwards. */
	put_user(c, 3, "back", 1, 200);
	assert_int_equal(acache_get_user(c, 3, 200, &name, &gid), ACACHE_HIT);
	assert_string_equal(name, "back");
	acache_free(c);
}

static void
test_cap(void **state)
{
	struct acache *c;
	const char *name;
	uint32_t gid, i;

	(void)state;
	assert_non_null(c = acache_new(100));
	assert_int_equal(c->max, MAX_ACCOUNT_IDS);
	c->max = 10;
	for (i = 0; i < 10; i++)
		put_user(c, i, "u", 1, (time_t)i);
	/* Full of live entries: refused, not grown. */
	assert_int_equal(acache_put_user(c, 10, "u", 1, 1, 50), ERR_TOOBIG);
	assert_int_equal(acache_put_user(c, 10, NULL, 0, 1, 50), ERR_TOOBIG);
	assert_int_equal(acache_count(c), 10);
	assert_true(c->users.alloc <= 10);
	assert_int_equal(acache_get_user(c, 10, 50, &name, &gid),
	    ACACHE_MISS);
	/* Known ids are still refreshed. */
	put_user(c, 3, "w", 1, 50);
	/* The groups table has its own room. */
	assert_int_equal(acache_put_group(c, 1, "g", 1, 50), 0);
	/* Once some are stale (stored at 0..2), a put expires them. */
	assert_int_equal(acache_put_user(c, 10, "u", 1, 1, 102), 0);
	assert_int_equal(acache_count(c), (10 - 3) + 1 + 1);
	assert_int_equal(acache_get_user(c, 3, 102, &name, &gid),
	    ACACHE_HIT);
	assert_string_equal(name, "w");
	assert_int_equal(acache_get_user(c, 10, 102, &name, &gid),
	    ACACHE_HIT);
	acache_free(c);
}

/* The real cap, with absent entries (no name to allocate). */
static void
test_cap_default(void **state)
{
	struct acache *c;
	uint32_t i;

	(void)state;
	assert_non_null(c = acache_new(100));
	for (i = 0; i < MAX_ACCOUNT_IDS; i++)
		assert_int_equal(acache_put_group(c, i, NULL, 0, 0), 0);
	assert_int_equal(acache_put_group(c, i, NULL, 0, 0), ERR_TOOBIG);
	assert_int_equal(acache_count(c), MAX_ACCOUNT_IDS);
	acache_expire(c, 100);
	assert_int_equal(acache_count(c), 0);
	acache_free(c);
}

/*
 * Fails each allocation in turn: a failed put is ERR_NOMEM and leaves the
 * cache as it was.
 */
static void
test_alloc_failures(void **state)
{
	struct acache *c;
	const char *name;
	uint32_t gid, i;
	long k;
	int r, hits = 0;

	(void)state;
	for (k = 0; k < 80; k++) {
		fail_at = k;
		if ((c = acache_new(100)) == NULL) {
			hits++;
			continue;
		}
		for (i = 0; i < 40; i++) {
			r = acache_put_user(c, i, "name", 4, i, (time_t)i);
			if (r != 0) {
				assert_int_equal(r, ERR_NOMEM);
				hits++;
				assert_int_equal(acache_count(c), i);
				assert_int_equal(acache_get_user(c, i, 40,
				    &name, &gid), ACACHE_MISS);
				r = acache_put_user(c, i, "name", 4, i,
				    (time_t)i);
			}
			assert_int_equal(r, 0);
		}
		/* Replacing a name may fail too, and then keeps the old. */
		r = acache_put_user(c, 0, "other", 5, 0, 0);
		if (r != 0) {
			assert_int_equal(r, ERR_NOMEM);
			hits++;
			assert_int_equal(acache_get_user(c, 0, 40, &name,
			    &gid), ACACHE_HIT);
			assert_string_equal(name, "name");
		}
		fail_at = -1;
		acache_expire(c, 120);	/* stored at 0..20: stale */
		assert_int_equal(acache_count(c), 19);
		for (i = 21; i < 40; i++)
			assert_int_equal(acache_get_user(c, i, 120, &name,
			    &gid), ACACHE_HIT);
		acache_free(c);
	}
	fail_at = -1;
	assert_true(hits >= 6);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit_absent_miss),
		cmocka_unit_test(test_ttl),
		cmocka_unit_test(test_ttl_zero),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_expire),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_cap_default),
		cmocka_unit_test(test_alloc_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
