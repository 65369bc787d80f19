/* SPDX-License-Identifier: Apache-2.0 */
#ifndef COLLECT_H
#define COLLECT_H

struct acache;
struct buf;
struct config;
struct helper;

/*
 * One collection per scrape: squeue and the three upstream queries at once,
 * then the accounts of the uids seen (through the cache), then the join and
 * the exposition.  One collection at a time: the caller (http.c, which
 * holds the overlap guard) never calls it twice at once.
 */
struct collector {
	const struct config	*cfg;
	struct helper		*helpers;	/* indexed by enum sbx_helper */
	struct acache		*cache;
	int			 fault_helper;	/* test builds: see main.c */
	int			 fault_kind;	/* PROTO_FAULT_* */
};

int	collect_init(struct collector *c, const struct config *cfg,
	    struct helper *helpers);

/*
 * Collects and appends the exposition to out.  limit_s is the scraper's
 * own timeout (X-Prometheus-Scrape-Timeout-Seconds) or 0.  Returns 0, or an ERR_* when out could not be written.
 */
int	collect_scrape(struct collector *c, double limit_s, struct buf *out);

#endif /* COLLECT_H */
