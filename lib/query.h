/* SPDX-License-Identifier: Apache-2.0 */
#ifndef QUERY_H
#define QUERY_H

struct buf;

/* The three upstream queries; also the `source` field of SERIES records. */
enum query_source {
	QUERY_METADATA = 0,
	QUERY_READ = 1,
	QUERY_WRITE = 2,
	QUERY_COUNT = 3,
};

/* "metadata", "read", "write"; NULL for anything else. */
const char	*query_name(int source);

/* Appends the PromQL of source with RANGE replaced by range ("1m"). */
int	query_promql(struct buf *out, const char *range, int source);

/*
 * Appends "<server>/api/v1/query?query=<promql, percent-encoded>", with any
 * trailing slashes of server dropped.  Returns 0, ERR_INVAL for a bad
 * source, ERR_TOOBIG or ERR_NOMEM.
 */
int	query_url(struct buf *out, const char *server, const char *range,
	    int source);

#endif /* QUERY_H */
