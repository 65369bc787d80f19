/* SPDX-License-Identifier: Apache-2.0 */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>

#include "source.h"

struct buf;
struct join;

/*
 * The exporter's output: the original's eight families with their names,
 * label names and help texts kept, and the cluster_exporter_* families
 * added beside them.
 */

struct metrics_scrape {
	int		 source_up[SOURCE_COUNT];
	double		 stage_seconds[STAGE_COUNT];
	unsigned long	 helper_restarts[HELPER_COUNT];
	unsigned long	 dropped_series;	/* non-finite, no jobid, ... */
};

/*
 * Appends a whole scrape: scrape_ok (1 only when every source is up),
 * stage times, the six job/proc families from j (HELP and TYPE even when
 * empty; j may be NULL), source_up, helper restarts, build info.
 * Returns 0, ERR_TOOBIG or ERR_NOMEM.
 */
int	metrics_write(struct buf *out, const struct metrics_scrape *s,
	    const struct join *j, const char *version);

/*
 * The answer to a scrape that overlaps a running collection: scrape_ok 0
 * and build info only.
 */
int	metrics_write_skipped(struct buf *out, const char *version);

#endif /* METRICS_H */
