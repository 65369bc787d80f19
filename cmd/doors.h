/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DOORS_H
#define DOORS_H

#include <stddef.h>

#include <microhttpd.h>

#include "webtls.h"

/*
 * The libmicrohttpd daemons on the listening sockets: one per socket,
 * plain HTTP or TLS.  A new TLS configuration (a renewed certificate, new
 * CAs or versions) takes new daemons: doors_open() starts them on the same
 * sockets, then quiesces the old ones, which stop accepting but serve the
 * connections they have (nothing in flight is dropped), answer each with
 * "Connection: close", and are stopped by doors_reap() once empty.  The
 * TLS key is in no daemon's credentials once its last daemon has stopped.
 *
 * Return convention: 0 or a negative ERR_* (lib/err.h).  doors_open() and
 * doors_reap() are called from one thread at a time (start-up and the
 * main thread's reloads; the janitor); the rest from any.
 */

/* What every daemon calls: http.c's. */
struct doors_calls {
	MHD_AccessHandlerCallback	 handle;
	MHD_RequestCompletedCallback	 completed;
	MHD_NotifyConnectionCallback	 notify;
	MHD_LogCallback			 log;
	unsigned int			 max_connections;	/* each */
	unsigned int			 idle_s;	/* keep-alive limit */
	size_t				 memory_limit;	/* per connection */
};

/* Remembers the sockets and the callbacks.  Call once, first. */
void	doors_init(const int *fds, size_t n, const struct doors_calls *calls);

/*
 * Starts a daemon on every socket, serving TLS with tls (taken over,
 * whatever the outcome; NULL: plain HTTP), and retires the daemons that
 * served before.  On failure the old daemons go on serving, the new ones
 * are gone, and err says why.  Returns 0 or ERR_SYSTEM.
 */
int	doors_open(struct webtls *tls, char *err, size_t errsz);

/* 1 when the old daemons serve TLS. */
int	doors_tls(void);

/*
 * Stops retired daemons that have no connection left.  Returns how many
 * retired daemons are still draining.
 */
size_t	doors_reap(void);

/*
 * For a request's handler, given its cls: whether its client may be
 * served (webtls_check_client() against that daemon's CAs), and whether
 * the daemon is retired (its answers then close the connection).
 */
int	doors_check_client(void *cls, struct MHD_Connection *conn, char *err,
	    size_t errsz);
int	doors_retired(void *cls);

#endif /* DOORS_H */
