/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>

struct collector;
struct config;

/*
 * The front door.  One libmicrohttpd daemon (an epoll thread) per
 * listening socket (doors.h), one connection ledger across all of them
 * (conns.h), one collector thread and one janitor thread.  Every request
 * first passes the web configuration's checks (web.h): a client
 * certificate, then basic auth; one that fails them starts nothing.
 *
 * Scrapes share collections: at most one runs at a time; a scrape that
 * arrives while one runs waits for it, suspended, within its own deadline,
 * and a finished result is reused for --collector.min-interval.  Only a
 * scrape whose deadline comes first gets the original's "skipped" answer
 * (scrape_ok 0).  Every answer is the collection's exposition, byte for
 * byte the same for the scrapes that share it, followed by the
 * per-response families (metrics_write_front()); in gzip when the
 * scraper's Accept-Encoding takes it, the shared part compressed once per
 * result (gzip.h).
 *
 * Return convention: 0 or a negative ERR_* (lib/err.h); functions that
 * return a descriptor or a count return it, or a negative ERR_*.
 */

#define HTTP_MAX_LISTEN		16

/*
 * Opens the listening sockets of cfg (before privileges are dropped) into
 * fds.  Returns how many, or a negative ERR_* with a reason in err.
 */
int	http_listen(const struct config *cfg, int *fds, size_t maxfds,
	    char *err, size_t errsz);

/*
 * Fits the connection limit to the open-file limit (raising the soft
 * limit to the hard one first).  Returns the number of connections to
 * serve, never above wanted, logging when it is lower.
 */
unsigned int	http_fit_connections(unsigned int wanted);

/*
 * Starts serving on fds[0..n) with at most max_connections connections
 * in all, with the web configuration cfg names (web.h).  Returns 0, or an
 * ERR_* with a reason in err.
 */
int	http_start(const int *fds, size_t n, unsigned int max_connections,
	    const struct config *cfg, struct collector *col, char *err,
	    size_t errsz);

#endif /* HTTP_H */
