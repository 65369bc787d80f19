/* SPDX-License-Identifier: Apache-2.0 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../lib/err.c"

#define E(x)	{ x, #x }

static const struct {
	int		 code;
	const char	*name;
} codes[] = {
	E(ERR_OK), E(ERR_NOMEM), E(ERR_TOOBIG), E(ERR_INVAL),
	E(ERR_TRUNCATED), E(ERR_RANGE), E(ERR_UTF8), E(ERR_NUL), E(ERR_TYPE),
	E(ERR_TRAILING), E(ERR_JSON_NOMEM), E(ERR_JSON_INVAL),
	E(ERR_JSON_PART), E(ERR_JSON_SCHEMA), E(ERR_UPSTREAM), E(ERR_SYSTEM),
	E(ERR_EOF), E(ERR_TIMEOUT), E(ERR_NOTFOUND), E(ERR_USAGE),
	E(ERR_OVERFLOW), E(ERR_UNSAFE),
};

#define NCODES	(sizeof(codes) / sizeof(codes[0]))

static int
known(int code)
{
	size_t i;

	for (i = 0; i < NCODES; i++)
		if (codes[i].code == code)
			return 1;
	return 0;
}

static void
test_texts_distinct(void **state)
{
	const char *a, *b;
	size_t i, k;

	(void)state;
	for (i = 0; i < NCODES; i++) {
		a = err_str(codes[i].code);
		assert_non_null(a);
		if (a[0] == '\0' || strcmp(a, "unknown error") == 0)
			fail_msg("%s has no text of its own", codes[i].name);
		for (k = 0; k < i; k++) {
			assert_int_not_equal(codes[i].code, codes[k].code);
			b = err_str(codes[k].code);
			if (strcmp(a, b) == 0)
				fail_msg("%s and %s share \"%s\"",
				    codes[i].name, codes[k].name, a);
		}
	}
	/* Errors are negative, success is 0. */
	assert_int_equal(codes[0].code, 0);
	for (i = 1; i < NCODES; i++)
		assert_true(codes[i].code < 0);
}

static void
test_unknown(void **state)
{
	static const int odd[] = { 1, 2, 100, -22, -100, -1000, INT_MAX,
	    INT_MIN, INT_MIN + 1 };
	size_t i;
	int c;

	(void)state;
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
		assert_string_equal(err_str(odd[i]), "unknown error");
	/* Any code with a text of its own is in the table above. */
	for (c = -1000; c <= 1000; c++)
		if (!known(c))
			assert_string_equal(err_str(c), "unknown error");
}

/*
 * The table above against lib/err.h itself, so a code added there without
 * a text (or without a row here) is caught.  The header is found next to
 * this file (tests run from the source tree); not finding it is a failure.
 */
static void
test_header_complete(void **state)
{
	char path[4096], line[256], name[64];
	const char *slash;
	size_t i, n = 0;
	FILE *fp;
	int found, r;

	(void)state;
	slash = strrchr(__FILE__, '/');
	r = snprintf(path, sizeof(path), "%.*s../lib/err.h",
	    slash == NULL ? 0 : (int)(slash - __FILE__ + 1), __FILE__);
	assert_true(r > 0 && (size_t)r < sizeof(path));
	if ((fp = fopen(path, "r")) == NULL)
		fail_msg("cannot open %s: the test runs from the source tree",
		    path);
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (sscanf(line, " %63[A-Z0-9_] =", name) != 1 ||
		    strncmp(name, "ERR_", 4) != 0)
			continue;
		found = 0;
		for (i = 0; i < NCODES; i++)
			if (strcmp(codes[i].name, name) == 0)
				found = 1;
		if (!found)
			fail_msg("%s from err.h is not tested", name);
		n++;
	}
	fclose(fp);
	assert_int_equal(n, NCODES);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_texts_distinct),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_header_complete),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
