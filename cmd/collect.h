/* SPDX-License-Identifier: Apache-2.0 */
#ifndef COLLECT_H
#define COLLECT_H

#include <pthread.h>

struct acache;
struct buf;
struct config;
struct helper;

/*
 * One collection per scrape: squeue and the three upstream queries at once,
 * then the accounts of the uids seen (through the cache), then the join and
 * the exposition.  The overlap guard lets one collection run at a time.
 */
struct collector {
	const struct config	*cfg;
	struct helper		*helpers;	/* indexed by enum sbx_helper */
	struct acache		*cache;
	pthread_mutex_t		 guard;
	int			 fault_helper;	/* test builds: see main.c */
};

int	collect_init(struct collector *c, const struct config *cfg,
	    struct helper *helpers);
void	collect_cleanup(struct collector *c);

/*
 * Collects and appends the exposition to out.  limit_s is the scraper's
 * own timeout (X-Prometheus-Scrape-Timeout-Seconds) or 0.  A scrape that
 * arrives during another collection is answered at once with scrape_ok 0.
 * Returns 0, or an ERR_* when out could not be written.
 */
int	collect_scrape(struct collector *c, double limit_s, struct buf *out);

#endif /* COLLECT_H */
