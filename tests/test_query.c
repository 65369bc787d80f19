/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../lib/query.c"

/* One output buffer per test, built by the fixture. */
#define BUF_STATE_CAP	4096
#include "buf_state.h"

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(query_name(QUERY_METADATA), "metadata");
	assert_string_equal(query_name(QUERY_READ), "read");
	assert_string_equal(query_name(QUERY_WRITE), "write");
	assert_null(query_name(QUERY_COUNT));
	assert_null(query_name(-1));
	assert_null(query_name(1000));
}

/* The original's queries, character for character. */
static void
test_promql(void **state)
{
	struct buf *b = *state;

	assert_int_equal(query_promql(b, "1m", QUERY_METADATA), 0);
	assert_string_equal(buf_ptr(b),
	    "round(sum by(target,jobid)(irate(lustre_job_stats_total[1m])"
	    ">=1))");
	buf_reset(b);
	assert_int_equal(query_promql(b, "1m", QUERY_READ), 0);
	assert_string_equal(buf_ptr(b),
	    "sum by(jobid)(irate(lustre_job_read_bytes_total[1m])!=0)");
	buf_reset(b);
	assert_int_equal(query_promql(b, "1m", QUERY_WRITE), 0);
	assert_string_equal(buf_ptr(b),
	    "sum by(jobid)(irate(lustre_job_write_bytes_total[1m])!=0)");
	buf_reset(b);
	assert_int_equal(query_promql(b, "999d", QUERY_WRITE), 0);
	assert_string_equal(buf_ptr(b),
	    "sum by(jobid)(irate(lustre_job_write_bytes_total[999d])!=0)");
	/* It appends. */
	assert_int_equal(query_promql(b, "30s", QUERY_READ), 0);
	assert_string_equal(buf_ptr(b),
	    "sum by(jobid)(irate(lustre_job_write_bytes_total[999d])!=0)"
	    "sum by(jobid)(irate(lustre_job_read_bytes_total[30s])!=0)");
}

static void
test_promql_bad(void **state)
{
	struct buf *b = *state;

	assert_int_equal(buf_puts(b, "keep"), 0);
	assert_int_equal(query_promql(b, "1m", -1), ERR_INVAL);
	assert_int_equal(query_promql(b, "1m", QUERY_COUNT), ERR_INVAL);
	assert_int_equal(query_promql(b, NULL, QUERY_READ), ERR_INVAL);
	assert_int_equal(query_promql(b, "", QUERY_READ), ERR_INVAL);
	assert_int_equal(query_promql(b, "m", QUERY_READ), ERR_INVAL);
	assert_int_equal(query_promql(b, "1m])or(x", QUERY_READ), ERR_INVAL);
	assert_int_equal(query_promql(b, "1m ", QUERY_READ), ERR_INVAL);
	assert_int_equal(query_promql(b, "1M", QUERY_READ), ERR_INVAL);
	assert_int_equal(query_promql(b,
	    "1111111111111111111111111111111111m", QUERY_READ), ERR_INVAL);
	/* A failed call leaves the buffer as it was. */
	assert_string_equal(buf_ptr(b), "keep");
}

static void
test_url(void **state)
{
	struct buf *b = *state;

	assert_int_equal(query_url(b, "http://prom:9090", "1m",
	    QUERY_METADATA), 0);
	assert_string_equal(buf_ptr(b), "http://prom:9090/api/v1/query?"
	    "query=round%28sum%20by%28target%2Cjobid%29%28irate%28"
	    "lustre_job_stats_total%5B1m%5D%29%3E%3D1%29%29");
	buf_reset(b);
	assert_int_equal(query_url(b, "https://prom.example.org/", "1m",
	    QUERY_READ), 0);
	assert_string_equal(buf_ptr(b), "https://prom.example.org/api/v1/"
	    "query?query=sum%20by%28jobid%29%28irate%28"
	    "lustre_job_read_bytes_total%5B1m%5D%29%21%3D0%29");
	buf_reset(b);
	/* Every trailing slash goes; a path prefix stays. */
	assert_int_equal(query_url(b, "http://h/prometheus///", "5m",
	    QUERY_WRITE), 0);
	assert_string_equal(buf_ptr(b), "http://h/prometheus/api/v1/query?"
	    "query=sum%20by%28jobid%29%28irate%28"
	    "lustre_job_write_bytes_total%5B5m%5D%29%21%3D0%29");
}

static void
test_url_bad(void **state)
{
	struct buf *b = *state;

	assert_int_equal(query_url(b, "http://h", "1m", QUERY_COUNT),
	    ERR_INVAL);
	assert_int_equal(query_url(b, "http://h", "1m", -3), ERR_INVAL);
	assert_int_equal(query_url(b, NULL, "1m", QUERY_READ), ERR_INVAL);
	assert_int_equal(query_url(b, "", "1m", QUERY_READ), ERR_INVAL);
	assert_int_equal(query_url(b, "///", "1m", QUERY_READ), ERR_INVAL);
	assert_int_equal(query_url(b, "http://h x", "1m", QUERY_READ),
	    ERR_INVAL);
	assert_int_equal(query_url(b, "http://h\r\nX: y", "1m", QUERY_READ),
	    ERR_INVAL);
	assert_int_equal(query_url(b, "http://h", "1m;", QUERY_READ),
	    ERR_INVAL);
	assert_int_equal(buf_len(b), 0);
}

/* Only A-Z a-z 0-9 - . _ ~ pass unencoded. */
static void
test_encoding(void **state)
{
	struct buf *b = *state;
	char in[256], hx[3];
	const char *p;
	size_t i;

	for (i = 0; i < 256; i++)
		in[i] = (char)i;
	assert_int_equal(append_encoded(b, in, sizeof(in)), 0);
	p = buf_ptr(b);
	for (i = 0; i < 256; i++) {
		if ((i >= 'A' && i <= 'Z') || (i >= 'a' && i <= 'z') ||
		    (i >= '0' && i <= '9') || i == '-' || i == '.' ||
		    i == '_' || i == '~') {
			assert_int_equal((unsigned char)*p, i);
			p++;
		} else {
			assert_int_equal(*p, '%');
			hx[0] = p[1];
			hx[1] = p[2];
			hx[2] = '\0';
			assert_int_equal(strtoul(hx, NULL, 16), i);
			/* Upper-case hex digits, as RFC 3986 recommends. */
			assert_true(strchr("0123456789ABCDEF", p[1]) != NULL);
			assert_true(strchr("0123456789ABCDEF", p[2]) != NULL);
			p += 3;
		}
	}
	assert_int_equal(*p, '\0');
}

/* Past the buffer's cap: ERR_TOOBIG, and nothing half-written. */
static void
test_cap(void **state)
{
	struct buf small;

	(void)state;
	buf_init(&small, 40);
	assert_int_equal(query_url(&small, "http://prom:9090", "1m",
	    QUERY_READ), ERR_TOOBIG);
	assert_int_equal(buf_len(&small), 0);
	assert_int_equal(query_promql(&small, "1m", QUERY_METADATA),
	    ERR_TOOBIG);
	assert_int_equal(buf_len(&small), 0);
	buf_cleanup(&small);

	buf_init(&small, 70);
	assert_int_equal(buf_puts(&small, "0123456789"), 0);
	assert_int_equal(query_promql(&small, "1m", QUERY_METADATA),
	    ERR_TOOBIG);
	assert_string_equal(buf_ptr(&small), "0123456789");
	buf_cleanup(&small);
}

#define B(t)	cmocka_unit_test_setup_teardown(t, buf_state_setup, \
		    buf_state_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		B(test_promql),
		B(test_promql_bad),
		B(test_url),
		B(test_url_bad),
		B(test_encoding),
		cmocka_unit_test(test_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
