/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HTTP_H
#define HTTP_H

struct collector;
struct config;
struct MHD_Daemon;

/*
 * The HTTP side: libmicrohttpd with one epoll thread, and one collector
 * thread that runs scrapes while their connection is suspended, so an
 * overlapping scrape is answered at once and idle connections cost no
 * thread.  GET and HEAD only, the landing page at /, the exposition at the
 * telemetry path, 404 elsewhere.  Bounded: connections in all and per
 * client address, request size, idle time per connection.
 */

/* Opens the listening socket (before privileges are dropped); fd or -1. */
int	http_listen(const struct config *cfg, char *err, size_t errsz);

/* Starts serving on fd.  Returns NULL with a reason in err. */
struct MHD_Daemon	*http_start(int fd, const struct config *cfg,
			    struct collector *col, char *err, size_t errsz);

#endif /* HTTP_H */
