/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Times the promql helper's reader (lib/json.c) on an answer the size of
 * a large site's metadata query: 160 000 series, about 16 MB, fed in the
 * 16 KiB pieces libcurl hands over.  Not a test: it prints, it asserts
 * nothing but that every series came out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/buf.h"
#include "../lib/deadline.h"
#include "../lib/err.h"
#include "../lib/json.h"

#define NSERIES		160000
#define PIECE		16384
#define ROUNDS		5

/* The project's monotonic clock (lib/deadline.h), in ns. */
static double
now_ns(void)
{
	return (double)deadline_now_us() * 1e3;
}

/* Counts the series. */
static int
count(const struct json_series *s, void *arg)
{
	(void)s;
	(*(size_t *)arg)++;
	return 0;
}

/* The answer, as Prometheus writes it (irate values need 17 digits). */
static void
make_answer(struct buf *b)
{
	size_t i;
	int r;

	r = buf_puts(b, "{\"status\":\"success\",\"data\":{\"resultType\":"
	    "\"vector\",\"result\":[");
	for (i = 0; r == 0 && i < NSERIES; i++)
		r = buf_appendf(b, "%s{\"metric\":{\"jobid\":\"%zu\","
		    "\"target\":\"fs-MDT%04zx\"},\"value\":[1700000000.123,"
		    "\"%zu.5666666666667\"]}", i == 0 ? "" : ",",
		    1000000 + i, i % 4, i);
	if (r == 0)
		r = buf_puts(b, "]}}");
	if (r != 0) {
		fprintf(stderr, "bench_json: %s\n", err_str(r));
		exit(1);
	}
}

/* One pass over the answer in pieces; returns its ns. */
static double
one_pass(const char *p, size_t len)
{
	struct json_stream *js;
	size_t i, n = 0;
	double t0 = now_ns();
	int r = 0;

	if ((js = json_stream_new(count, &n)) == NULL)
		r = ERR_NOMEM;
	for (i = 0; r == 0 && i < len; i += PIECE)
		r = json_stream_feed(js, p + i, len - i < PIECE ? len - i :
		    PIECE);
	if (r == 0)
		r = json_stream_end(js);
	if (r != 0 || n != NSERIES) {
		fprintf(stderr, "bench_json: %s, %zu series\n", err_str(r), n);
		exit(1);
	}
	json_stream_free(js);
	return now_ns() - t0;
}

int
main(void)
{
	struct buf b;
	double best = 0, t;
	int i;

	buf_init(&b, 64 * 1024 * 1024);
	make_answer(&b);
	for (i = 0; i < ROUNDS; i++) {
		t = one_pass(buf_ptr(&b), buf_len(&b));
		if (i == 0 || t < best)
			best = t;
	}
	printf("bench_json: %zu bytes, %d series in %d KiB pieces: %.1f ms, "
	    "%.0f MB/s, %.0f ns per series (best of %d)\n", buf_len(&b),
	    NSERIES, PIECE / 1024, best / 1e6, (double)buf_len(&b) / best *
	    1e3, best / NSERIES, ROUNDS);
	buf_cleanup(&b);
	return 0;
}
