/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CONNS_H
#define CONNS_H

#include <stddef.h>
#include <stdint.h>

/*
 * The front door's ledger: every open HTTP connection, across all
 * listening sockets, with what it is doing.  libmicrohttpd closes a
 * connection only by its own rules, so the ledger decides which to close
 * and the caller shuts its socket down (shutdown(2), which libmicrohttpd
 * then sees as the peer going away).  The rules:
 *
 *  - a connection must deliver a complete request within the header
 *    deadline of being accepted, however slowly it trickles bytes;
 *  - a kept-alive connection may idle between requests up to the idle
 *    limit;
 *  - when the ledger is full, a new connection makes the oldest
 *    connection that is waiting for a request (new or idle) give way;
 *    connections being answered are never closed.
 *
 * So no number of slow or idle connections, from any address, keeps a
 * complete request out.  All functions are safe from any thread; fn
 * callbacks run with the ledger locked, before the connection can be
 * forgotten, so the descriptor they get is still that connection's.
 */

enum conns_state {
	CONNS_WAITING = 0,	/* accepted; no complete request yet */
	CONNS_BUSY = 1,		/* a request is being answered */
	CONNS_IDLE = 2,		/* kept alive between requests */
};

struct conns_stats {
	unsigned long	 open;
	unsigned long	 evicted;	/* given way to new connections */
	unsigned long	 timed_out;	/* header deadline or idle limit */
};

/* Called with a descriptor to shut down, under the ledger's lock. */
typedef void conns_close_fn(int fd, void *arg);

/*
 * Sets the limits: at most max connections, header_ms for a request to
 * arrive, idle_ms between requests.  Returns 0 or ERR_NOMEM.
 */
int	conns_init(size_t max, uint64_t header_ms, uint64_t idle_ms);

/*
 * Records a new connection at now_us.  When the ledger is full, the
 * oldest waiting or idle connection is handed to fn first; when none can
 * give way, the new one itself is (and is not recorded).
 */
void	conns_open(int fd, uint64_t now_us, conns_close_fn *fn, void *arg);

/* State changes; fds the ledger does not hold are ignored. */
void	conns_set(int fd, int state, uint64_t now_us);
void	conns_close(int fd);

/* Hands fn every connection past its deadline or idle limit at now_us. */
void	conns_sweep(uint64_t now_us, conns_close_fn *fn, void *arg);

void	conns_stats(struct conns_stats *st);

/* Forgets every connection and frees the ledger. */
void	conns_cleanup(void);

#endif /* CONNS_H */
