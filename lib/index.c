/* SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "index.h"
#include "err.h"
#include "hash.h"

/*
 * Open addressing with linear probing over a power-of-two array of slots;
 * nothing is ever deleted, so no tombstones.  The load stays at most
 * INDEX_LOAD_NUM / INDEX_LOAD_DEN, so a probe always ends on a free slot.
 */
#define INDEX_MIN_SLOTS	64
#define INDEX_LOAD_NUM	6
#define INDEX_LOAD_DEN	10

int
index_init(struct index *x)
{
	memset(x, 0, sizeof(*x));
	if ((x->slots = calloc(INDEX_MIN_SLOTS, sizeof(*x->slots))) == NULL)
		return ERR_NOMEM;
	x->mask = INDEX_MIN_SLOTS - 1;
	hash_seed_key(x->key);
	return 0;
}

void
index_cleanup(struct index *x)
{
	free(x->slots);
	x->slots = NULL;
	x->mask = 0;
	x->n = 0;
	explicit_bzero(x->key, sizeof(x->key));
}

int
index_reserve(struct index *x, size_t n)
{
	struct index_slot *ns;
	size_t nslots, nmask, i, j;

	if (x->slots == NULL)
		return ERR_NOMEM;
	if (n > INDEX_MAX)
		return ERR_TOOBIG;
	nslots = x->mask + 1;
	while (n * INDEX_LOAD_DEN > nslots * INDEX_LOAD_NUM)
		nslots *= 2;
	if (nslots == x->mask + 1)
		return 0;
	if ((ns = calloc(nslots, sizeof(*ns))) == NULL)
		return ERR_NOMEM;
	nmask = nslots - 1;
	for (i = 0; i <= x->mask; i++) {
		if (x->slots[i].entry1 == 0)
			continue;
		for (j = x->slots[i].h32 & nmask; ns[j].entry1 != 0;
		    j = (j + 1) & nmask)
			;
		ns[j] = x->slots[i];
	}
	free(x->slots);
	x->slots = ns;
	x->mask = nmask;
	return 0;
}

uint32_t
index_hash(const struct index *x, const void *key, size_t len)
{
	return (uint32_t)hash_siphash(x->key, key, len);
}

/* From p->slot on: the next slot of hash p->h32, or the free slot. */
static uint32_t
index_scan(const struct index *x, struct index_probe *p)
{
	const struct index_slot *s;

	for (;; p->slot = (p->slot + 1) & x->mask) {
		s = &x->slots[p->slot];
		if (s->entry1 == 0)
			return INDEX_NONE;
		if (s->h32 == p->h32)
			return s->entry1 - 1;
	}
}

uint32_t
index_first(const struct index *x, uint32_t h, struct index_probe *p)
{
	p->h32 = h;
	p->slot = h & x->mask;
	return index_scan(x, p);
}

uint32_t
index_next(const struct index *x, struct index_probe *p)
{
	p->slot = (p->slot + 1) & x->mask;
	return index_scan(x, p);
}

void
index_add(struct index *x, const struct index_probe *p, uint32_t entry)
{
	x->slots[p->slot].entry1 = entry + 1;
	x->slots[p->slot].h32 = p->h32;
	x->n++;
}
