/* SPDX-License-Identifier: Apache-2.0 */
#ifndef INDEX_H
#define INDEX_H

#include <stddef.h>
#include <stdint.h>

/*
 * A hash index over entries the caller keeps in an array of its own
 * (lib/hash keeps a copy of every key; this keeps none).  Per entry it
 * holds the entry's number and 32 bits of its key's hash in a slot of 8
 * bytes; the caller compares each candidate with its own entry.  So a
 * table of small fixed-size entries (a sink's, the join's) costs its
 * entries and about 16 bytes of index per entry.  Keys are hashed with
 * SipHash under a random key per index: they derive from job ids and
 * user-chosen process names, and must not collide at will.
 *
 * A lookup that may add:
 *
 *	if (index_reserve(x, n + 1) != 0) ...		(room first)
 *	h = index_hash(x, key, klen);
 *	for (i = index_first(x, h, &p); i != INDEX_NONE;
 *	    i = index_next(x, &p))
 *		if (the key of entry i is key) break;
 *	if (i == INDEX_NONE) index_add(x, &p, n++);	(cannot fail)
 */
struct index_slot {
	uint32_t	 entry1;	/* entry + 1; 0 = free */
	uint32_t	 h32;
};

struct index {
	uint8_t		 key[16];	/* SipHash key */
	struct index_slot *slots;
	size_t		 mask;		/* slots - 1 */
	size_t		 n;		/* entries filed */
};

/* Where a lookup stands: the slot it looks at, the hash it looks for. */
struct index_probe {
	size_t		 slot;
	uint32_t	 h32;
};

#define INDEX_NONE	UINT32_MAX
/*
 * Entries of one index at most: beyond every budget (the callers cap
 * their tables), and far from overflow in the slot arithmetic.
 */
#define INDEX_MAX	((size_t)1 << 30)

/* An empty index.  Returns 0 or ERR_NOMEM; index_cleanup() is safe. */
int	index_init(struct index *x);
void	index_cleanup(struct index *x);

/*
 * Room for n entries in all, so that index_add() cannot fail until then.
 * Returns 0, ERR_NOMEM or ERR_TOOBIG (n past INDEX_MAX) with the index
 * unchanged.  Growing moves the slots: a probe started before is stale.
 */
int	index_reserve(struct index *x, size_t n);

/* The hash of key under x's own key. */
uint32_t	index_hash(const struct index *x, const void *key, size_t len);

/*
 * The first (index_first) or next (index_next) entry whose hash is h, for
 * the caller to compare; INDEX_NONE when there is none left, and p then
 * rests where index_add() files a new entry of that hash.
 */
uint32_t	index_first(const struct index *x, uint32_t h,
		    struct index_probe *p);
uint32_t	index_next(const struct index *x, struct index_probe *p);

/*
 * Files entry where the probe p, which found no match, ended; room must
 * have been reserved (index_reserve) before the probe started.
 */
void	index_add(struct index *x, const struct index_probe *p,
	    uint32_t entry);

#endif /* INDEX_H */
