/* SPDX-License-Identifier: Apache-2.0 */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>

#include "proto.h"
#include "source.h"

struct buf;
struct join;

/*
 * The exporter's output: the original's eight families with their names,
 * label names and help texts kept, and the cluster_exporter_* families
 * added beside them.
 */

/*
 * Why an upstream series of a job or a process matched no row (the reason
 * label of unmatched_series): its job is not in squeue (ended, or hidden
 * by Slurm's PrivateData=jobs), its uid or its primary group is unknown.
 */
enum metrics_unmatched {
	METRICS_NO_JOB = 0,
	METRICS_NO_USER = 1,
	METRICS_NO_GROUP = 2,
	METRICS_UNMATCHED = 3,
};

struct metrics_scrape {
	int		 source_up[SOURCE_COUNT];
	double		 stage_seconds[STAGE_COUNT];
	unsigned long	 helper_restarts[HELPER_COUNT];
	unsigned long	 dropped_series;	/* non-finite, no jobid, ... */
	/* Per upstream source (those with a query), per reason. */
	unsigned long	 unmatched[SOURCE_COUNT][METRICS_UNMATCHED];
	double		 duration_seconds;	/* the whole collection */
	/* Each helper's process figures, where have_helper_proc. */
	struct proto_procstat helper_proc[HELPER_COUNT];
	int		 have_helper_proc[HELPER_COUNT];
};

/*
 * Appends a whole scrape: scrape_ok (1 only when every source is up),
 * stage times, the six job/proc families from j (HELP and TYPE even when
 * empty; j may be NULL), source_up, helper restarts, the collection's
 * duration, build info (lib/version.h).
 * Returns 0, ERR_TOOBIG or ERR_NOMEM.
 */
int	metrics_write(struct buf *out, const struct metrics_scrape *s,
	    const struct join *j, const char *version);

/*
 * The answer to a scrape whose deadline came before the collection it
 * waited for ended: scrape_ok 0 and build info only.
 */
int	metrics_write_skipped(struct buf *out, const char *version);

/* How a scrape was answered (the result label of scrapes_total). */
enum metrics_answer {
	METRICS_COLLECTED = 0,	/* by a collection it started */
	METRICS_SHARED = 1,	/* by one another scrape started or recently */
	METRICS_SKIPPED = 2,	/* its deadline came first */
	METRICS_ANSWERS = 3,
};

/* Why a request was refused (the reason label of requests_rejected). */
enum metrics_reject {
	METRICS_REJECT_CREDENTIALS = 0,	/* basic auth missing or wrong: 401 */
	METRICS_REJECT_CERTIFICATE = 1,	/* client certificate: 403 */
	METRICS_REJECT_BUSY = 2,	/* no room to check in time: 503 */
	METRICS_REJECTS = 3,
};

/*
 * The exporter's front door, as of this response (not of the shared
 * collection): it follows the shared part of every answer.
 */
struct metrics_front {
	unsigned long	 collections;
	unsigned long	 scrapes[METRICS_ANSWERS];
	unsigned long	 connections;		/* open now */
	unsigned long	 evicted;		/* gave way to new ones */
	unsigned long	 timed_out;		/* header deadline, idle */
	unsigned long	 log_dropped;		/* log lines not written */
	unsigned long	 rejected[METRICS_REJECTS];
	/* The exporter's own process_* figures, when have_process. */
	int		 have_process;
	double		 cpu_seconds, resident_bytes, virtual_bytes;
	double		 open_fds, max_fds, start_time_seconds;
};

/* Appends the per-response families.  Returns 0, ERR_TOOBIG or ERR_NOMEM. */
int	metrics_write_front(struct buf *out, const struct metrics_front *f);

#endif /* METRICS_H */
