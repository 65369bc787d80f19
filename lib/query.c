/* SPDX-License-Identifier: Apache-2.0 */
#include <stddef.h>
#include <string.h>

#include "query.h"
#include "buf.h"
#include "err.h"
#include "source.h"

/* A PromQL duration is short: "1m", "999d", at most "1y2w3d4h5m6s7ms". */
#define QUERY_MAX_RANGE	32

/*
 * The queries of the original, split around the range.  Dashboards were
 * built on their results, so the text (spacing included) stays as it was.
 */
static const struct {
	const char	*head;
	const char	*tail;
} queries[QUERY_COUNT] = {
	[QUERY_METADATA] = {
	    "round(sum by(target,jobid)(irate(lustre_job_stats_total[",
	    "])>=1))" },
	[QUERY_READ] = {
	    "sum by(jobid)(irate(lustre_job_read_bytes_total[",
	    "])!=0)" },
	[QUERY_WRITE] = {
	    "sum by(jobid)(irate(lustre_job_write_bytes_total[",
	    "])!=0)" },
};

const char *
query_name(int source)
{
	return source_name(source_of_query(source));
}

/*
 * The range is spliced into PromQL, so it may hold only what a duration
 * can: digits and unit letters.  The flags check it more closely; this
 * keeps a caller's mistake from turning into a different query.
 */
static int
range_ok(const char *range)
{
	size_t i, n;

	if (range == NULL || (n = strlen(range)) == 0 || n > QUERY_MAX_RANGE)
		return 0;
	if (range[0] < '0' || range[0] > '9')
		return 0;
	for (i = 0; i < n; i++) {
		if ((range[i] < '0' || range[i] > '9') &&
		    (range[i] < 'a' || range[i] > 'z'))
			return 0;
	}
	return 1;
}

/* RFC 3986 unreserved characters pass; everything else is %XX. */
static int
is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

static int
append_encoded(struct buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;
	char esc[3];
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (is_unreserved(c)) {
			if ((r = buf_putc(out, (char)c)) != 0)
				return r;
			continue;
		}
		esc[0] = '%';
		esc[1] = hex[c >> 4];
		esc[2] = hex[c & 0x0f];
		if ((r = buf_append(out, esc, sizeof(esc))) != 0)
			return r;
	}
	return 0;
}

/* Builds the query into tmp, which the caller has initialised. */
static int
build_promql(struct buf *tmp, const char *range, int source)
{
	int r;

	if (source < 0 || source >= QUERY_COUNT || !range_ok(range))
		return ERR_INVAL;
	if ((r = buf_puts(tmp, queries[source].head)) != 0 ||
	    (r = buf_puts(tmp, range)) != 0 ||
	    (r = buf_puts(tmp, queries[source].tail)) != 0)
		return r;
	return 0;
}

/* Appends tmp to out in one step, so a failure leaves out as it was. */
int
query_promql(struct buf *out, const char *range, int source)
{
	struct buf tmp;
	int ret;

	buf_init(&tmp, buf_cap(out));
	if ((ret = build_promql(&tmp, range, source)) == 0)
		ret = buf_append(out, buf_ptr(&tmp), buf_len(&tmp));
	buf_cleanup(&tmp);
	return ret;
}

int
query_url(struct buf *out, const char *server, const char *range,
    int source)
{
	struct buf q, url;
	size_t n, i;
	int ret = ERR_INVAL;

	buf_init(&q, buf_cap(out));
	buf_init(&url, buf_cap(out));
	if (server == NULL)
		goto out;
	n = strlen(server);
	while (n > 0 && server[n - 1] == '/')
		n--;
	if (n == 0)
		goto out;
	/* A space or control byte would end or split the request line. */
	for (i = 0; i < n; i++) {
		if ((unsigned char)server[i] <= 0x20 ||
		    (unsigned char)server[i] == 0x7f)
			goto out;
	}
	if ((ret = build_promql(&q, range, source)) != 0 ||
	    (ret = buf_append(&url, server, n)) != 0 ||
	    (ret = buf_puts(&url, "/api/v1/query?query=")) != 0 ||
	    (ret = append_encoded(&url, buf_ptr(&q), buf_len(&q))) != 0)
		goto out;
	ret = buf_append(out, buf_ptr(&url), buf_len(&url));
 out:
	buf_cleanup(&q);
	buf_cleanup(&url);
	return ret;
}
