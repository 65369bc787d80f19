/* SPDX-License-Identifier: Apache-2.0 */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>

struct buf;
struct join;

/*
 * The exporter's output: the original's eight families with their names,
 * label names and help texts kept, and the cluster_exporter_* families
 * added beside them.
 */

enum metrics_source {
	METRICS_SRC_SLURM = 0,
	METRICS_SRC_ACCOUNTS = 1,
	METRICS_SRC_METADATA = 2,
	METRICS_SRC_READ = 3,
	METRICS_SRC_WRITE = 4,
	METRICS_NSOURCES = 5,
};

enum metrics_stage {
	METRICS_STAGE_JOBS = 0,		/* retrieve_running_jobs */
	METRICS_STAGE_USERS = 1,	/* retrieve_user_name_info */
	METRICS_STAGE_GROUPS = 2,	/* retrieve_group_name_info */
	METRICS_STAGE_LUSTRE = 3,	/* retrieve_lustre_metrics */
	METRICS_STAGE_BUILD_METADATA = 4, /* build_metadata_metrics */
	METRICS_STAGE_BUILD_READ = 5,	/* build_read_throughput_metrics */
	METRICS_STAGE_BUILD_WRITE = 6,	/* build_write_throughput_metrics */
	METRICS_NSTAGES = 7,
};

#define METRICS_NHELPERS	3

struct metrics_scrape {
	int		 source_up[METRICS_NSOURCES];
	double		 stage_seconds[METRICS_NSTAGES];
	unsigned long	 helper_restarts[METRICS_NHELPERS];
	unsigned long	 dropped_series;	/* non-finite, no jobid, ... */
};

const char	*metrics_source_name(int source);
const char	*metrics_stage_name(int stage);

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
