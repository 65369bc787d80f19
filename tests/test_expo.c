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

/* The formatter before its fast paths, as it was: the reference. */
static const char *
ref_loop(double v)
{
	static char s[32];
	int prec;

	if (isnan(v))
		return "NaN";
	if (isinf(v))
		return v > 0 ? "+Inf" : "-Inf";
	for (prec = 15; prec <= 17; prec++) {
		snprintf(s, sizeof(s), "%.*g", prec, v);
		if (strtod(s, NULL) == v)
			break;
	}
	return s;
}

/* The shortest "%.<prec>g" of v, any precision, that reads back. */
static const char *
ref_shortest(double v)
{
	static char s[32];
	int prec;

	for (prec = 1; prec <= 17; prec++) {
		snprintf(s, sizeof(s), "%.*g", prec, v);
		if (strtod(s, NULL) == v)
			break;
	}
	return s;
}

/* The significant digits of a number as printed, without the zeros. */
static const char *
sig_digits(const char *s)
{
	static char d[32];
	size_t n = 0;

	for (; *s != '\0' && *s != 'e'; s++)
		if (*s >= '0' && *s <= '9' && (n > 0 || *s != '0'))
			d[n++] = *s;
	while (n > 0 && d[n - 1] == '0')
		n--;
	d[n] = '\0';
	return d;
}

/* The next double away from zero (sign 1) or towards it (-1). */
static double
neighbour(double v, int dir)
{
	uint64_t bits;

	memcpy(&bits, &v, sizeof(bits));
	if ((bits & ~(UINT64_C(1) << 63)) == 0 && dir < 0)
		return -v;
	bits = dir > 0 ? bits + 1 : bits - 1;
	memcpy(&v, &bits, sizeof(v));
	return v;
}

static uint64_t
xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/*
 * v and its neighbours print exactly as the old formatter printed them;
 * for normal values that is also the shortest round-trip's digits (the
 * notation may differ: "%.15g" writes 1e+14 in full).  Subnormals keep
 * the old, longer output (5e-324 prints as 4.94065645841247e-324).
 */
static void
check_value(double v, unsigned long *fast)
{
	char tmp[32];
	double n[3];
	const char *got, *want;
	int i;

	n[0] = v;
	n[1] = neighbour(v, -1);
	n[2] = neighbour(v, 1);
	for (i = 0; i < 3; i++) {
		got = fmt(n[i]);
		want = ref_loop(n[i]);
		if (strcmp(got, want) != 0)
			fail_msg("%a: got %s, want %s", n[i], got, want);
		if (!isfinite(n[i]))
			continue;
		assert_true(strtod(got, NULL) == n[i]);
		if (fabs(n[i]) >= DBL_MIN &&
		    strcmp(sig_digits(got), sig_digits(ref_shortest(n[i]))) !=
		    0)
			fail_msg("%a: %s, shortest %s", n[i], got,
			    ref_shortest(n[i]));
		if (fast != NULL && ((fabs(n[i]) < 9007199254740992.0 &&
		    n[i] == (double)(int64_t)n[i]) || fmt_exact(tmp, n[i])))
			(*fast)++;
	}
}

static void
test_format_reference(void **state)
{
	static const double edge[] = {
		0.0, 1.0, 0.1, 0.5, 0.3, 1.0 / 3, 2.0 / 3, 9.5, 0.95,
		1234.5666666666667, 0.30000000000000004, 126566.4,
		999999999999999.9, 99999999999999.99, 0.99999999999999989,
		1e-4, 1.2345e-4, 9.9999e-5, 1e-5, 1e14, 1e15, 1e15 + 1,
		1e15 + 10, 1234567890123450.0, 1234567890123456.0,
		1234567890123456.5, 1234567890123456.25, 9007199254740991.0,
		9007199254740992.0, 9007199254740994.0, 1e16, 1e17,
		123456789012345678.0, 1e21, 1e22, 1e23, 1e40, 1e41, 1e300,
		DBL_MAX, DBL_MIN, DBL_MIN / 2, DBL_TRUE_MIN, 5e-324, 1e-310,
		4.35, 2.675, 1.005, 0.125, 1e-7, 12345.25, 1388406.6749207885,
	};
	unsigned long fast = 0, total = 0;
	uint64_t x = 0x2545f4914f6cdd1dULL, bits;
	char num[16];
	double v;
	size_t i;
	int k;

	(void)state;
	for (i = 0; i < sizeof(edge) / sizeof(edge[0]); i++) {
		check_value(edge[i], NULL);
		check_value(-edge[i], NULL);
	}
	/* Every power of two and of ten, and their neighbours. */
	for (k = -1074; k <= 1023; k++)
		check_value(ldexp(1, k), NULL);
	for (k = -323; k <= 308; k++) {
		snprintf(num, sizeof(num), "1e%d", k);
		check_value(strtod(num, NULL), NULL);
	}
	/* Any bits: every exponent, mostly the loop's. */
	for (i = 0; i < 50000; i++) {
		bits = xorshift(&x);
		memcpy(&v, &bits, sizeof(v));
		check_value(v, NULL);
	}
	/*
	 * The fast paths' range, 10^-4 to 10^19: random mantissas, and what
	 * PromQL answers (rates are counts over seconds, sums of them).
	 */
	for (i = 0; i < 50000; i++) {
		bits = xorshift(&x);
		v = ldexp((double)(bits >> 11) / 9007199254740992.0 + 0.5,
		    (int)(xorshift(&x) % 75) - 12);
		check_value(v, &fast);
		check_value((double)(xorshift(&x) % 100000000) /
		    (double)(1 + xorshift(&x) % 120), &fast);
		check_value((double)(xorshift(&x) % 1000000) / 4.0 + 0.1 *
		    (double)(xorshift(&x) % 10), &fast);
		total += 9;
	}
	/* The loop stays the exception: ties in a rounding. */
	assert_true(fast > total * 99 / 100);
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
		cmocka_unit_test(test_format_reference),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_family),
		cmocka_unit_test(test_sample),
		cmocka_unit_test(test_cap_atomic),
		cmocka_unit_test(test_adversarial_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
