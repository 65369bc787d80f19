/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SOCKETS_H
#define SOCKETS_H

#include <stddef.h>

/*
 * The listening sockets, opened before privileges are dropped: one per
 * --web.listen-address (":PORT" means every address, IPv6 and IPv4, as the
 * original did).  Return convention: a count or a negative ERR_*
 * (lib/err.h) with a reason in err.
 */

/* Binds and listens on HOST:PORT (HOST "" = every address); fd or ERR_*. */
int	sock_listen(const char *host, unsigned int port, char *err,
	    size_t errsz);

#endif /* SOCKETS_H */
