/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../lib/encoding.c"

/* encoding_gzip() for one Accept-Encoding field (NULL: none sent). */
static int
gzip_for(const char *field)
{
	struct encoding_accept a;

	encoding_init(&a);
	encoding_add(&a, field);
	return encoding_gzip(&a);
}

static void
test_plain_lists(void **state)
{
	(void)state;
	assert_int_equal(gzip_for(NULL), 0);
	assert_int_equal(gzip_for(""), 0);
	/* Prometheus' own request, and the usual browser lists. */
	assert_int_equal(gzip_for("gzip"), 1);
	assert_int_equal(gzip_for("gzip, deflate, br"), 1);
	assert_int_equal(gzip_for("deflate, gzip;q=1.0, *;q=0.5"), 1);
	assert_int_equal(gzip_for("GZIP"), 1);
	assert_int_equal(gzip_for("x-gzip"), 1);
	assert_int_equal(gzip_for("identity"), 0);
	assert_int_equal(gzip_for("deflate, br"), 0);
	assert_int_equal(gzip_for("*"), 1);
	assert_int_equal(gzip_for(" ,, gzip ,"), 1);
	assert_int_equal(gzip_for("gzip-like, gzipx"), 0);
	assert_int_equal(gzip_for("gzip\t;\tq=0.5"), 1);
}

static void
test_weights(void **state)
{
	(void)state;
	assert_int_equal(gzip_for("gzip;q=0"), 0);
	assert_int_equal(gzip_for("gzip;Q=0.000"), 0);
	assert_int_equal(gzip_for("gzip;q=0.001"), 1);
	assert_int_equal(gzip_for("gzip;q=1.000"), 1);
	assert_int_equal(gzip_for("gzip;q=1."), 1);
	/* "*" counts, but not over gzip's own weight. */
	assert_int_equal(gzip_for("gzip;q=0, *"), 0);
	assert_int_equal(gzip_for("*, gzip;q=0"), 0);
	assert_int_equal(gzip_for("*;q=0"), 0);
	assert_int_equal(gzip_for("identity;q=0, *;q=0.1"), 1);
	/* Identity weighed above gzip wins; a tie goes to gzip. */
	assert_int_equal(gzip_for("gzip;q=0.5, identity"), 0);
	assert_int_equal(gzip_for("gzip;q=0.5, *"), 0);
	assert_int_equal(gzip_for("gzip;q=0.5, identity;q=0.5"), 1);
	assert_int_equal(gzip_for("gzip;q=0.5, identity;q=0.2"), 1);
	/* Listed twice: the higher weight. */
	assert_int_equal(gzip_for("gzip;q=0, gzip;q=0.3"), 1);
}

/* An element that does not parse is as if not sent; the others count. */
static void
test_bad_elements(void **state)
{
	(void)state;
	assert_int_equal(gzip_for("gzip;q=2"), 0);
	assert_int_equal(gzip_for("gzip;q=1.5"), 0);
	assert_int_equal(gzip_for("gzip;q=1.001"), 0);
	assert_int_equal(gzip_for("gzip;q=0.0001"), 0);
	assert_int_equal(gzip_for("gzip;q="), 0);
	assert_int_equal(gzip_for("gzip;q=-1"), 0);
	assert_int_equal(gzip_for("gzip;q = 0.5"), 0);
	assert_int_equal(gzip_for("gzip;level=1"), 0);
	assert_int_equal(gzip_for("gzip x"), 0);
	assert_int_equal(gzip_for("\"gzip\""), 0);
	assert_int_equal(gzip_for("gzip;q=0.5x, deflate"), 0);
	/* A bad gzip;q=0 refuses nothing; a good one later does. */
	assert_int_equal(gzip_for("gzip;q=0x, *"), 1);
	assert_int_equal(gzip_for("br;q=oops, gzip"), 1);
	assert_int_equal(gzip_for("gzip;q=0.5;q=0, identity;q=0.1"), 0);
	/* A long name is no name of ours. */
	assert_int_equal(gzip_for("gzipgzipgzipgzipgzip"), 0);
	assert_int_equal(gzip_for("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, gzip"), 1);
}

/* Fields add up, as a list split over several header lines. */
static void
test_fields(void **state)
{
	struct encoding_accept a;

	(void)state;
	encoding_init(&a);
	encoding_add(&a, "identity");
	assert_int_equal(encoding_gzip(&a), 0);
	encoding_add(&a, "gzip");
	assert_int_equal(encoding_gzip(&a), 1);
	encoding_add(&a, "gzip;q=0");
	assert_int_equal(encoding_gzip(&a), 1);
	encoding_init(&a);
	encoding_add(&a, "gzip;q=0.4");
	encoding_add(&a, "identity;q=0.9");
	assert_int_equal(encoding_gzip(&a), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_lists),
		cmocka_unit_test(test_weights),
		cmocka_unit_test(test_bad_elements),
		cmocka_unit_test(test_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
