/* SPDX-License-Identifier: Apache-2.0 */
#ifndef ACACHE_H
#define ACACHE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/*
 * Cache of account lookups (uid -> name, gid; gid -> name), positive and
 * negative, each entry valid for ttl seconds from when it was stored.  The
 * exporter asks getent only about ids that miss, so directories that do not
 * enumerate (SSSD's default) still resolve every user, and a scrape costs
 * no lookup while the cache is warm.  ttl 0 disables caching (every get
 * misses).  Time is passed in, so tests need no clock.
 */

enum acache_result {
	ACACHE_HIT = 0,		/* known, fields set */
	ACACHE_ABSENT = 1,	/* known not to exist */
	ACACHE_MISS = 2,	/* not cached or expired: look it up */
};

struct acache;

struct acache	*acache_new(unsigned long ttl_s);
void		 acache_free(struct acache *c);

/*
 * *name is NUL-terminated, owned by the cache, valid until the next put or
 * expire.
 */
int	acache_get_user(struct acache *c, uint32_t uid, time_t now,
	    const char **name, uint32_t *gid);
int	acache_get_group(struct acache *c, uint32_t gid, time_t now,
	    const char **name);

/* Store an answer; name NULL records absence.  Return 0 or ERR_*. */
int	acache_put_user(struct acache *c, uint32_t uid, const char *name,
	    size_t nlen, uint32_t gid, time_t now);
int	acache_put_group(struct acache *c, uint32_t gid, const char *name,
	    size_t nlen, time_t now);

/* Drops expired entries (memory stays bounded by live ids). */
void	acache_expire(struct acache *c, time_t now);
size_t	acache_count(const struct acache *c);

#endif /* ACACHE_H */
