/* SPDX-License-Identifier: Apache-2.0 */
#ifndef AUTH_H
#define AUTH_H

#include <stddef.h>

#include "deadline.h"
#include "webcfg.h"

/*
 * Basic authentication against bcrypt hashes ($2a$, $2b$, $2y$), as the
 * exporter-toolkit's basic_auth_users.  A bcrypt check costs tens of ms
 * at cost 10, so it never runs on an HTTP thread: checks queue for one
 * checker thread, in a bounded queue with a share per client address, and
 * a check that cannot be served before its request's deadline is dropped.
 * Successful checks are cached (as the toolkit does), keyed by a SHA-256
 * of user, password and hash, so an authenticated scraper costs no bcrypt
 * and a wrong-password loop from a local user cannot delay it.  The cache
 * survives a reload for every user whose hash did not change.
 *
 * Return convention: 0 or a negative ERR_* (lib/err.h), or enum
 * auth_result where stated.  Every function may be called from any thread.
 */

/* Checks waiting, in all and per client address. */
#define AUTH_QUEUE_MAX		32
#define AUTH_PER_CLIENT		4
/* Successful checks remembered; past this the cache starts afresh. */
#define AUTH_CACHE_MAX		1024
/* A user name or password longer than this never matches. */
#define AUTH_FIELD_MAX		1024
/* A client address as text, e.g. "2001:db8::1". */
#define AUTH_CLIENT_MAX		64

enum auth_result {
	AUTH_OK = 0,		/* the password matches */
	AUTH_DENIED = 1,	/* unknown user or wrong password */
	AUTH_PENDING = 2,	/* done() will tell, from the checker thread */
	AUTH_BUSY = 3,		/* no room, or dropped at its deadline */
};

/* Called once with AUTH_OK, AUTH_DENIED or AUTH_BUSY. */
typedef void auth_done_fn(void *arg, int result);

/* Starts the checker thread.  Returns 0 or ERR_SYSTEM. */
int	auth_start(void);

/*
 * Replaces the users with copies of users[0..n); n 0 turns authentication
 * off.  Returns 0, or ERR_NOMEM with the old users kept.
 */
int	auth_set_users(const struct webcfg_user *users, size_t n);

/* 1 when users are configured, else 0. */
int	auth_enabled(void);

/*
 * Checks user and password (NULL: none sent) for a request from client
 * (its address, for the per-address share of the queue) due by deadline.
 * Returns AUTH_OK or AUTH_DENIED when the cache or the user table decides
 * at once, AUTH_BUSY when the queue has no room for this client, or
 * AUTH_PENDING: done(arg, r) then follows exactly once, from the checker
 * thread, no later than one bcrypt run after the deadline.  The password
 * is not kept.
 */
int	auth_check(const char *user, const char *password, const char *client,
	    struct deadline deadline, auth_done_fn *done, void *arg);

/* Checks run with bcrypt since start, and dropped at their deadline. */
void	auth_stats(unsigned long *checked, unsigned long *dropped);

#endif /* AUTH_H */
