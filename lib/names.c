/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "caps.h"
#include "err.h"
#include "index.h"

/*
 * Layout: strings in chunks that never move, an entry per id (pointer and
 * length), and an index of the entries (lib/index.h).
 */
#define NAMES_CHUNK	(64 * 1024)

struct names_chunk {
	struct names_chunk *next;
	size_t		 used;
	size_t		 size;
	char		 data[];
};

struct names_ent {
	const char	*p;
	size_t		 len;
};

struct names {
	pthread_mutex_t	 mu;
	struct index	 index;
	struct names_ent *ents;		/* by id */
	uint32_t	 n;
	uint32_t	 alloc;
	struct names_chunk *chunks;	/* the newest first */
	size_t		 bytes;
	size_t		 max_bytes;
};

/* The empty string of id 0: no chunk needed. */
static const char names_empty[1] = "";

struct names *
names_new(size_t max_bytes)
{
	struct names *n = NULL, *ret = NULL;
	struct index_probe p;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		goto out;
	pthread_mutex_init(&n->mu, NULL);
	n->max_bytes = max_bytes;
	n->alloc = 16;
	if (index_init(&n->index) != 0 || index_reserve(&n->index, 1) != 0 ||
	    (n->ents = calloc(n->alloc, sizeof(*n->ents))) == NULL)
		goto out;
	/* Id 0 is the empty string, filed like any other name. */
	(void)index_first(&n->index, index_hash(&n->index, names_empty, 0),
	    &p);
	index_add(&n->index, &p, 0);
	n->ents[0].p = names_empty;
	n->ents[0].len = 0;
	n->n = 1;
	ret = n;
	n = NULL;
 out:
	names_free(n);
	return ret;
}

void
names_free(struct names *n)
{
	struct names_chunk *c;

	if (n == NULL)
		return;
	while ((c = n->chunks) != NULL) {
		n->chunks = c->next;
		free(c);
	}
	index_cleanup(&n->index);
	free(n->ents);
	pthread_mutex_destroy(&n->mu);
	free(n);
}

/* Room for one more entry; the table is unchanged on failure. */
static int
names_grow_ents(struct names *n)
{
	struct names_ent *ne;
	uint32_t na;

	if (n->n < n->alloc)
		return 0;
	/* The byte cap keeps n far below UINT32_MAX / 2 (NAMES_COST). */
	na = n->alloc * 2;
	/* realloc, not reallocarray: cmocka's test allocator wraps realloc. */
	if ((ne = realloc(n->ents, (size_t)na * sizeof(*ne))) == NULL)
		return ERR_NOMEM;
	n->ents = ne;
	n->alloc = na;
	return 0;
}

/* A NUL-terminated copy of p[0..len) in a chunk, or NULL on ERR_NOMEM. */
static const char *
names_copy(struct names *n, const char *p, size_t len)
{
	struct names_chunk *c = n->chunks;
	char *d;

	if (c == NULL || c->size - c->used < len + 1) {
		/* len is at most MAX_LABEL, far below a chunk. */
		if ((c = malloc(sizeof(*c) + NAMES_CHUNK)) == NULL)
			return NULL;
		c->next = n->chunks;
		c->used = 0;
		c->size = NAMES_CHUNK;
		n->chunks = c;
	}
	d = c->data + c->used;
	if (len > 0)
		memcpy(d, p, len);
	d[len] = '\0';
	c->used += len + 1;
	return d;
}

int
names_intern(struct names *n, const char *p, size_t len, uint32_t *id,
    size_t *added)
{
	const struct names_ent *e;
	struct index_probe probe;
	const char *copy;
	uint32_t h, i;
	int ret = -1;

	*id = 0;
	if (added != NULL)
		*added = 0;
	if (len > MAX_LABEL)
		return ERR_TOOBIG;
	/* The key never changes after names_new(): hash outside the lock. */
	h = index_hash(&n->index, p, len);
	pthread_mutex_lock(&n->mu);
	for (i = index_first(&n->index, h, &probe); i != INDEX_NONE;
	    i = index_next(&n->index, &probe)) {
		e = &n->ents[i];
		/* len 0 may come with p NULL, which memcmp must not see. */
		if (e->len == len && (len == 0 || memcmp(e->p, p, len) == 0)) {
			*id = i;
			ret = 0;
			goto out;
		}
	}
	if (NAMES_COST(len) > n->max_bytes - n->bytes) {
		ret = ERR_OVERFLOW;
		goto out;
	}
	/*
	 * Every step that can fail comes before the name is filed: a grown
	 * index or entry array, or a new chunk, change no answer.  A grown
	 * index moves the slots, so the probe starts again.
	 */
	if ((ret = names_grow_ents(n)) != 0 ||
	    (ret = index_reserve(&n->index, (size_t)n->n + 1)) != 0)
		goto out;
	if ((copy = names_copy(n, p, len)) == NULL) {
		ret = ERR_NOMEM;
		goto out;
	}
	for (i = index_first(&n->index, h, &probe); i != INDEX_NONE;
	    i = index_next(&n->index, &probe))
		;
	index_add(&n->index, &probe, n->n);
	n->ents[n->n].p = copy;
	n->ents[n->n].len = len;
	*id = n->n++;
	n->bytes += NAMES_COST(len);
	if (added != NULL)
		*added = NAMES_COST(len);
	ret = 0;
 out:
	pthread_mutex_unlock(&n->mu);
	return ret;
}

const char *
names_str(const struct names *n, uint32_t id, size_t *len)
{
	if (len != NULL)
		*len = 0;
	if (id >= n->n)
		return NULL;
	if (len != NULL)
		*len = n->ents[id].len;
	return n->ents[id].p;
}

uint32_t
names_count(struct names *n)
{
	uint32_t c;

	pthread_mutex_lock(&n->mu);
	c = n->n;
	pthread_mutex_unlock(&n->mu);
	return c;
}

size_t
names_bytes(struct names *n)
{
	size_t b;

	pthread_mutex_lock(&n->mu);
	b = n->bytes;
	pthread_mutex_unlock(&n->mu);
	return b;
}
