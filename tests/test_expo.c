/* SPDX-License-Identifier: Apache-2.0 */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../lib/expo.c"

static const char *
fmt(double v)
{
	static char s[32];

	memset(s, 'X', sizeof(s));
	expo_format_double(s, sizeof(s), v);
	return s;
}

static void
test_format_double(void **state)
{
	char small[4];

	(void)state;
	assert_string_equal(fmt(43), "43");
	assert_string_equal(fmt(0), "0");
	assert_string_equal(fmt(-0.0), "-0");
	assert_string_equal(fmt(1), "1");
	assert_string_equal(fmt(-27), "-27");
	assert_string_equal(fmt(0.1), "0.1");
	assert_string_equal(fmt(126566.4), "126566.4");
	assert_string_equal(fmt(1388406.6749207885), "1388406.6749207885");
	assert_string_equal(fmt(894839.4666666666), "894839.4666666666");
	assert_string_equal(fmt(319215.8800539506), "319215.8800539506");
	assert_string_equal(fmt(1.0 / 3), "0.3333333333333333");
	assert_string_equal(fmt(123456789012345.0), "123456789012345");
	assert_string_equal(fmt(1e15), "1e+15");
	assert_string_equal(fmt(1e-7), "1e-07");
	assert_string_equal(fmt(DBL_MAX), "1.7976931348623157e+308");
	/* The smallest denormal: 15 digits already read back exactly. */
	assert_string_equal(fmt(5e-324), "4.94065645841247e-324");
	assert_string_equal(fmt(0.30000000000000004), "0.30000000000000004");
	assert_string_equal(fmt(NAN), "NaN");
	assert_string_equal(fmt(-NAN), "NaN");
	assert_string_equal(fmt(INFINITY), "+Inf");
	assert_string_equal(fmt(-INFINITY), "-Inf");

	/* A short destination truncates and stays terminated. */
	expo_format_double(small, sizeof(small), 1388406.5);
	assert_string_equal(small, "138");
	expo_format_double(small, 0, 1);
}

/* Every finite double reads back exactly, in at most 17 digits. */
static void
test_format_roundtrip(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL, bits;
	double v;
	const char *s;
	int i;

	(void)state;
	for (i = 0; i < 200000; i++) {
		/* xorshift64: every exponent and mantissa pattern. */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		bits = x;
		memcpy(&v, &bits, sizeof(v));
		if (!isfinite(v))
			continue;
		s = fmt(v);
		assert_true(strlen(s) <= 24);
		assert_true(strtod(s, NULL) == v);
		/* Integers below 1e15 print plainly. */
		v = (double)(x % 1000000000000000ULL);
		s = fmt(v);
		assert_null(strchr(s, 'e'));
		assert_true(strtod(s, NULL) == v);
	}
}

static void
test_escape(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 1024);
	assert_int_equal(expo_escape(&b, "plain", 5), 0);
	assert_string_equal(buf_ptr(&b), "plain");
	buf_reset(&b);
	assert_int_equal(expo_escape(&b, "a\\b\"c\nd", 7), 0);
	assert_string_equal(buf_ptr(&b), "a\\\\b\\\"c\\nd");
	buf_reset(&b);
	assert_int_equal(expo_escape(&b, "a\",evil=\"x", 10), 0);
	assert_string_equal(buf_ptr(&b), "a\\\",evil=\\\"x");
	buf_reset(&b);
	/* Carriage return and tab are no line break here; kept as is. */
	assert_int_equal(expo_escape(&b, "\r\t", 2), 0);
	assert_string_equal(buf_ptr(&b), "\r\t");
	buf_reset(&b);
	assert_int_equal(expo_escape(&b, NULL, 0), 0);
	assert_int_equal(buf_len(&b), 0);
	buf_cleanup(&b);
}

static void
test_family(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 1024);
	assert_int_equal(expo_family(&b, "cluster_job_read_throughput_bytes",
	    "Read \"bytes\" per second\\\nof jobs", "gauge"), 0);
	assert_string_equal(buf_ptr(&b),
	    "# HELP cluster_job_read_throughput_bytes "
	    "Read \"bytes\" per second\\\\\\nof jobs\n"
	    "# TYPE cluster_job_read_throughput_bytes gauge\n");
	buf_reset(&b);
	assert_int_equal(expo_family(&b, "cluster_exporter_scrape_ok", NULL,
	    "gauge"), 0);
	assert_string_equal(buf_ptr(&b),
	    "# TYPE cluster_exporter_scrape_ok gauge\n");
	buf_reset(&b);
	assert_int_equal(expo_family(&b, "a:b_total", "", "counter"), 0);
	assert_string_equal(buf_ptr(&b),
	    "# HELP a:b_total \n# TYPE a:b_total counter\n");
	buf_reset(&b);

	assert_int_equal(expo_family(&b, "bad name", "h", "gauge"), ERR_INVAL);
	assert_int_equal(expo_family(&b, "9lives", "h", "gauge"), ERR_INVAL);
	assert_int_equal(expo_family(&b, "", "h", "gauge"), ERR_INVAL);
	assert_int_equal(expo_family(&b, NULL, "h", "gauge"), ERR_INVAL);
	assert_int_equal(expo_family(&b, "x", "h", "gauge\n"), ERR_INVAL);
	assert_int_equal(expo_family(&b, "x", "h", NULL), ERR_INVAL);
	assert_int_equal(buf_len(&b), 0);
	buf_cleanup(&b);
}

static void
test_sample(void **state)
{
	const struct expo_label l[] = {
		{ "account", "acc_a", 5 },
		{ "target", "hebe-MDT0002", 12 },
		{ "user", "u1", 2 },
	};
	struct expo_label bad[1];
	struct buf b;

	(void)state;
	buf_init(&b, 4096);
	assert_int_equal(expo_sample(&b, "cluster_exporter_scrape_ok", NULL, 0,
	    1), 0);
	assert_string_equal(buf_ptr(&b), "cluster_exporter_scrape_ok 1\n");
	buf_reset(&b);
	assert_int_equal(expo_sample(&b, "cluster_job_metadata_operations", l,
	    3, 1), 0);
	assert_string_equal(buf_ptr(&b), "cluster_job_metadata_operations"
	    "{account=\"acc_a\",target=\"hebe-MDT0002\",user=\"u1\"} 1\n");
	buf_reset(&b);
	assert_int_equal(expo_sample(&b, "cluster_job_read_throughput_bytes",
	    l, 1, 1388406.6749207885), 0);
	assert_string_equal(buf_ptr(&b), "cluster_job_read_throughput_bytes"
	    "{account=\"acc_a\"} 1388406.6749207885\n");
	buf_reset(&b);
	assert_int_equal(expo_sample(&b, "m", l, 1, NAN), 0);
	assert_int_equal(expo_sample(&b, "m", l, 1, -INFINITY), 0);
	assert_string_equal(buf_ptr(&b),
	    "m{account=\"acc_a\"} NaN\nm{account=\"acc_a\"} -Inf\n");
	buf_reset(&b);

	/* Empty and NULL-with-zero-length values are empty strings. */
	bad[0].name = "proc_name";
	bad[0].value = NULL;
	bad[0].len = 0;
	assert_int_equal(expo_sample(&b, "m", bad, 1, 2), 0);
	assert_string_equal(buf_ptr(&b), "m{proc_name=\"\"} 2\n");
	buf_reset(&b);

	/* Names are checked; nothing is written on error. */
	bad[0].value = NULL;
	bad[0].len = 1;
	assert_int_equal(expo_sample(&b, "m", bad, 1, 2), ERR_INVAL);
	bad[0].value = "v";
	bad[0].name = "a:b";
	assert_int_equal(expo_sample(&b, "m", bad, 1, 2), ERR_INVAL);
	bad[0].name = "a=\"x\"";
	assert_int_equal(expo_sample(&b, "m", bad, 1, 2), ERR_INVAL);
	bad[0].name = NULL;
	assert_int_equal(expo_sample(&b, "m", bad, 1, 2), ERR_INVAL);
	assert_int_equal(expo_sample(&b, "m{x=\"1\"}", NULL, 0, 2), ERR_INVAL);
	assert_int_equal(expo_sample(&b, "m", NULL, 1, 2), ERR_INVAL);
	assert_int_equal(buf_len(&b), 0);
	buf_cleanup(&b);
}

/* At the cap, a sample is written whole or not at all. */
static void
test_cap_atomic(void **state)
{
	const struct expo_label l[] = { { "user", "\"\"\"\"", 4 } };
	const char *line = "metric{user=\"\\\"\\\"\\\"\\\"\"} 1\n";
	struct buf b;
	size_t n = strlen(line);

	(void)state;
	buf_init(&b, 2 * n - 1);
	assert_int_equal(expo_sample(&b, "metric", l, 1, 1), 0);
	assert_string_equal(buf_ptr(&b), line);
	assert_int_equal(expo_sample(&b, "metric", l, 1, 1), ERR_TOOBIG);
	assert_string_equal(buf_ptr(&b), line);
	assert_int_equal(expo_family(&b, "metric", "help text", "gauge"),
	    ERR_TOOBIG);
	/* 25 bytes are left: 12 quotes (24 escaped) fit, 13 do not. */
	assert_int_equal(expo_escape(&b, "\"\"\"\"\"\"\"\"\"\"\"\"\"", 13),
	    ERR_TOOBIG);
	assert_string_equal(buf_ptr(&b), line);
	buf_cleanup(&b);

	buf_init(&b, 2 * n);
	assert_int_equal(expo_sample(&b, "metric", l, 1, 1), 0);
	assert_int_equal(expo_sample(&b, "metric", l, 1, 1), 0);
	assert_int_equal(buf_len(&b), 2 * n);
	buf_cleanup(&b);
}

/*
 * Any byte string as a label value (process names are chosen by users)
 * gives exactly one line, and unescaping the quoted value gives it back.
 */
static void
test_adversarial_values(void **state)
{
	static const char *const fixed[] = {
		"a\",evil=\"x",
		"x\"} 1\nforged_metric 1\n#",
		"\\",
		"\\\"",
		"\n\n\n",
		"}{\",=",
	};
	struct expo_label l[2];
	struct buf b;
	char v[64], back[64];
	const char *s, *q;
	uint64_t x = 12345;
	size_t i, k, n, m;

	(void)state;
	buf_init(&b, 1 << 20);
	for (i = 0; i < 20000; i++) {
		if (i < sizeof(fixed) / sizeof(fixed[0])) {
			n = strlen(fixed[i]);
			memcpy(v, fixed[i], n);
		} else {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			n = x % sizeof(v);
			/* Mostly the bytes that matter, some of any kind. */
			for (k = 0; k < n; k++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				v[k] = "\\\"\n{}=,a "[x % 9];
				if (x % 5 == 0)
					v[k] = (char)(x >> 8);
			}
		}
		l[0].name = "proc_name";
		l[0].value = v;
		l[0].len = n;
		l[1].name = "user_name";
		l[1].value = "u";
		l[1].len = 1;
		buf_reset(&b);
		assert_int_equal(expo_sample(&b, "cluster_proc_x", l, 2, 7),
		    0);
		s = buf_ptr(&b);
		/* One line: the only line feed is the last byte. */
		assert_ptr_equal(memchr(s, '\n', buf_len(&b)),
		    s + buf_len(&b) - 1);
		assert_memory_equal(s, "cluster_proc_x{proc_name=\"", 26);
		/* Unescape up to the first unescaped quote. */
		for (q = s + 26, m = 0; *q != '"'; q++) {
			if (*q == '\\') {
				q++;
				assert_true(*q == '\\' || *q == '"' ||
				    *q == 'n');
				back[m++] = *q == 'n' ? '\n' : *q;
			} else
				back[m++] = *q;
			assert_true(m <= n);
		}
		assert_int_equal(m, n);
		assert_memory_equal(back, v, n);
		/* And what follows is exactly the second label. */
		assert_string_equal(q, "\",user_name=\"u\"} 7\n");
	}
	buf_cleanup(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_double),
		cmocka_unit_test(test_format_roundtrip),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_family),
		cmocka_unit_test(test_sample),
		cmocka_unit_test(test_cap_atomic),
		cmocka_unit_test(test_adversarial_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
