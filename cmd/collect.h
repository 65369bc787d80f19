/* SPDX-License-Identifier: Apache-2.0 */
#ifndef COLLECT_H
#define COLLECT_H

#include "deadline.h"
#include "proto.h"
#include "source.h"

struct acache;
struct buf;
struct config;
struct helper;

/*
 * One collection: every source of lib/source.h against one deadline.
 * squeue and the three upstream queries start at once; the accounts of
 * the uids seen are looked up (through the cache) as soon as the first
 * series bring them, while the queries still run.  Each source's records
 * go to its own sink, committed into the join when the source ended
 * cleanly and dropped when it failed.  One collection at a time: the
 * caller (http.c, which holds the overlap guard) never calls it twice at
 * once.
 *
 * Return convention of this module: 0 or a negative ERR_* (lib/err.h).
 */
struct collector {
	const struct config	*cfg;
	struct helper		*helpers;	/* by enum source_helper */
	struct acache		*cache;
	int			 fault_helper;	/* test builds: see main.c */
	int			 fault_kind;	/* PROTO_FAULT_* */
	/*
	 * Each helper's last PROCSTAT, kept across collections: a helper
	 * not asked this time still shows its figures, as long as it is the
	 * instance that sent them (its restart count then).  One collection
	 * at a time, one thread per helper: no lock.
	 */
	struct proto_procstat	 helper_proc[HELPER_COUNT];
	int			 have_helper_proc[HELPER_COUNT];
	unsigned long		 helper_proc_restarts[HELPER_COUNT];
};

/* Returns 0 or ERR_NOMEM. */
int	collect_init(struct collector *c, const struct config *cfg,
	    struct helper *helpers);

/*
 * Collects until deadline (the scrape's: see http.c) and appends the
 * exposition to out; a fixed reserve of it is kept for the join and the
 * exposition.  *all_up says whether every source answered.  Returns 0, or
 * an ERR_* when out could not be written.
 */
int	collect_scrape(struct collector *c, struct deadline deadline,
	    struct buf *out, int *all_up);

#endif /* COLLECT_H */
