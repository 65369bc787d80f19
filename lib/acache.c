/* SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acache.h"
#include "err.h"
#include "hash.h"
#include "caps.h"

/*
 * Entries per table (users, groups).  One accounts request asks about at
 * most MAX_ACCOUNT_IDS ids, so a cache this size holds a whole scrape.
 */
#define ACACHE_MAX	MAX_ACCOUNT_IDS

struct acache_ent {
	char		*name;		/* NULL: known not to exist */
	time_t		 stored;
	uint32_t	 id;
	uint32_t	 gid;		/* users only */
};

/*
 * The hash maps an id to its index in ents.  hash has no delete, so
 * acache_expire() builds a new one over the live entries; that is O(n)
 * once per expiry, and lookups stay O(1).
 */
struct acache_tab {
	struct hash	*h;
	struct acache_ent *ents;
	size_t		 n;
	size_t		 alloc;
};

struct acache {
	unsigned long	 ttl;
	size_t		 max;		/* per table */
	struct acache_tab users;
	struct acache_tab groups;
};

/*
 * An entry is valid for ttl seconds from when it was stored.  One stored
 * "after" now means the clock went back: treat it as stale rather than
 * trust it for however long the jump was.
 */
static int
acache_fresh(const struct acache *c, const struct acache_ent *e, time_t now)
{
	if (now < e->stored)
		return 0;
	/* Unsigned: the difference of two extreme time_t cannot overflow. */
	return (uintmax_t)now - (uintmax_t)e->stored < (uintmax_t)c->ttl;
}

static void
tab_cleanup(struct acache_tab *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->ents[i].name);
	free(t->ents);
	hash_free(t->h);
	memset(t, 0, sizeof(*t));
}

struct acache *
acache_new(unsigned long ttl_s)
{
	struct acache *c = NULL, *ret = NULL;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto out;
	c->ttl = ttl_s;
	c->max = ACACHE_MAX;
	if ((c->users.h = hash_new(0)) == NULL ||
	    (c->groups.h = hash_new(0)) == NULL)
		goto out;
	ret = c;
	c = NULL;
 out:
	acache_free(c);
	return ret;
}

void
acache_free(struct acache *c)
{
	if (c == NULL)
		return;
	tab_cleanup(&c->users);
	tab_cleanup(&c->groups);
	free(c);
}

static int
tab_get(const struct acache *c, const struct acache_tab *t, uint32_t id,
    time_t now, const struct acache_ent **ep)
{
	unsigned char key[4];
	uint32_t idx;
	const struct acache_ent *e;

	*ep = NULL;
	if (c->ttl == 0)
		return ACACHE_MISS;
	hash_key_u32(key, id);
	if (hash_get(t->h, key, sizeof(key), &idx) != 0)
		return ACACHE_MISS;
	e = &t->ents[idx];
	if (!acache_fresh(c, e, now))
		return ACACHE_MISS;
	*ep = e;
	return e->name == NULL ? ACACHE_ABSENT : ACACHE_HIT;
}

int
acache_get_user(struct acache *c, uint32_t uid, time_t now,
    const char **name, uint32_t *gid)
{
	const struct acache_ent *e;
	int r;

	*name = NULL;
	*gid = 0;
	if ((r = tab_get(c, &c->users, uid, now, &e)) == ACACHE_HIT) {
		*name = e->name;
		*gid = e->gid;
	}
	return r;
}

int
acache_get_group(struct acache *c, uint32_t gid, time_t now,
    const char **name)
{
	const struct acache_ent *e;
	int r;

	*name = NULL;
	if ((r = tab_get(c, &c->groups, gid, now, &e)) == ACACHE_HIT)
		*name = e->name;
	return r;
}

/*
 * Drops the stale entries of t.  The new index is built first, so when
 * memory runs out nothing is dropped and t stays as it was.
 */
static void
tab_expire(const struct acache *c, struct acache_tab *t, time_t now)
{
	struct hash *nh = NULL;
	struct acache_ent *ne;
	unsigned char key[4];
	uint32_t v;
	size_t i, live = 0;
	int ins;

	for (i = 0; i < t->n; i++)
		if (acache_fresh(c, &t->ents[i], now))
			live++;
	if (live == t->n)
		goto out;
	if ((nh = hash_new(live)) == NULL)
		goto out;
	for (i = 0, live = 0; i < t->n; i++) {
		if (!acache_fresh(c, &t->ents[i], now))
			continue;
		hash_key_u32(key, t->ents[i].id);
		if (hash_put(nh, key, sizeof(key), (uint32_t)live++, &v,
		    &ins) != 0)
			goto out;
	}
	for (i = 0, live = 0; i < t->n; i++) {
		if (!acache_fresh(c, &t->ents[i], now)) {
			free(t->ents[i].name);
			continue;
		}
		t->ents[live++] = t->ents[i];
	}
	t->n = live;
	hash_free(t->h);
	t->h = nh;
	nh = NULL;
	/* Give memory back after a large population has gone. */
	if (t->alloc > 64 && t->n < t->alloc / 4) {
		if (t->n == 0) {
			free(t->ents);
			t->ents = NULL;
			t->alloc = 0;
		} else if ((ne = realloc(t->ents,
		    t->alloc / 2 * sizeof(*ne))) != NULL) {
			t->ents = ne;
			t->alloc /= 2;
		}
	}
 out:
	hash_free(nh);
}

void
acache_expire(struct acache *c, time_t now)
{
	if (c == NULL)
		return;
	tab_expire(c, &c->users, now);
	tab_expire(c, &c->groups, now);
}

size_t
acache_count(const struct acache *c)
{
	if (c == NULL)
		return 0;
	return c->users.n + c->groups.n;
}

/*
 * Appends a new entry for id (other fields unset) and indexes it.  When t
 * is full, stale entries make room; it never grows past max.  On error t
 * is unchanged.
 */
static int
tab_add(struct acache *c, struct acache_tab *t, uint32_t id, time_t now,
    struct acache_ent **ep)
{
	struct acache_ent *ne;
	unsigned char key[4];
	uint32_t idx;
	size_t na;
	int ret = -1, ins;

	*ep = NULL;
	if (t->n >= c->max) {
		tab_expire(c, t, now);
		if (t->n >= c->max) {
			ret = ERR_TOOBIG;
			goto out;
		}
	}
	if (t->n == t->alloc) {
		na = t->alloc < 16 ? 16 : t->alloc * 2;
		if (na > c->max)
			na = c->max;
		if ((ne = realloc(t->ents, na * sizeof(*ne))) == NULL) {
			ret = ERR_NOMEM;
			goto out;
		}
		t->ents = ne;
		t->alloc = na;
	}
	hash_key_u32(key, id);
	if ((ret = hash_put(t->h, key, sizeof(key), (uint32_t)t->n, &idx,
	    &ins)) != 0)
		goto out;
	*ep = &t->ents[t->n++];
	memset(*ep, 0, sizeof(**ep));
	(*ep)->id = id;
	ret = 0;
 out:
	return ret;
}

/* Stores an answer (name NULL: absent); on error t is unchanged. */
static int
tab_put(struct acache *c, struct acache_tab *t, uint32_t id,
    const char *name, size_t nlen, uint32_t gid, time_t now)
{
	struct acache_ent *e;
	unsigned char key[4];
	char *copy = NULL;
	uint32_t idx;
	int ret = -1;

	if (c->ttl == 0) {
		ret = 0;	/* caching is off */
		goto out;
	}
	if (name != NULL) {
		if (nlen > MAX_LABEL) {
			ret = ERR_TOOBIG;
			goto out;
		}
		/* Names are handed out NUL-terminated: none inside. */
		if (memchr(name, '\0', nlen) != NULL) {
			ret = ERR_NUL;
			goto out;
		}
		if ((copy = malloc(nlen + 1)) == NULL) {
			ret = ERR_NOMEM;
			goto out;
		}
		memcpy(copy, name, nlen);
		copy[nlen] = '\0';
	}

	hash_key_u32(key, id);
	if (hash_get(t->h, key, sizeof(key), &idx) == 0) {
		e = &t->ents[idx];	/* a newer answer replaces the old */
		free(e->name);
	} else if ((ret = tab_add(c, t, id, now, &e)) != 0)
		goto out;
	e->name = copy;
	e->gid = name == NULL ? 0 : gid;
	e->stored = now;
	copy = NULL;
	ret = 0;
 out:
	free(copy);
	return ret;
}

int
acache_put_user(struct acache *c, uint32_t uid, const char *name,
    size_t nlen, uint32_t gid, time_t now)
{
	return tab_put(c, &c->users, uid, name, nlen, gid, now);
}

int
acache_put_group(struct acache *c, uint32_t gid, const char *name,
    size_t nlen, time_t now)
{
	return tab_put(c, &c->groups, gid, name, nlen, 0, now);
}
