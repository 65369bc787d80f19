/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/random.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hash.h"
#include "buf.h"
#include "err.h"
#include "caps.h"

/*
 * Layout: a power-of-two array of slots, each holding the entry index plus
 * one (0 marks a free slot) and the low 32 bits of the key's hash, so most
 * probes that do not match are rejected without touching the entry.  The
 * entries live in a dense array in insertion order and point at their key
 * bytes in one arena.  Nothing is ever deleted, so no tombstones.
 */
struct hash_slot {
	uint32_t	 idx1;		/* entry index + 1; 0 = free */
	uint32_t	 h32;
};

struct hash_ent {
	size_t		 off;		/* key bytes in the arena */
	uint32_t	 klen;
	uint32_t	 val;
};

struct hash {
	uint8_t		 key[16];	/* SipHash key of this table */
	struct hash_slot *slots;
	size_t		 mask;		/* slots - 1 */
	struct hash_ent	*ents;
	size_t		 nents;
	size_t		 aents;
	struct buf	 arena;
};

/* Smallest table, and the load factor (in 1/10) past which it doubles. */
#define HASH_MIN_SLOTS	16
#define HASH_LOAD_NUM	6
#define HASH_LOAD_DEN	10

/*
 * Keys are bounded by their callers (label tuples, ids); the arena cap
 * only keeps size arithmetic far from overflow.
 */
#define HASH_ARENA_CAP	(SIZE_MAX / 4)

static uint64_t
rd64le(const uint8_t *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	    (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 |
	    (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
	    (uint64_t)p[7] << 56;
}

#define ROTL64(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND do {							\
	v0 += v1; v1 = ROTL64(v1, 13); v1 ^= v0; v0 = ROTL64(v0, 32);	\
	v2 += v3; v3 = ROTL64(v3, 16); v3 ^= v2;			\
	v0 += v3; v3 = ROTL64(v3, 21); v3 ^= v0;			\
	v2 += v1; v1 = ROTL64(v1, 17); v1 ^= v2; v2 = ROTL64(v2, 32);	\
} while (0)

uint64_t
hash_siphash(const uint8_t key[16], const void *data, size_t n)
{
	const uint8_t *p = data;
	uint64_t k0 = rd64le(key), k1 = rd64le(key + 8);
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
	uint64_t v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
	uint64_t v3 = 0x7465646279746573ULL ^ k1;
	uint64_t m, b = (uint64_t)n << 56;
	size_t i, k, tail = n & 7;

	for (i = 0; i + 8 <= n; i += 8) {
		m = rd64le(p + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	/* The last 0..7 bytes, little-endian, under the length byte. */
	for (k = tail; k > 0; k--)
		b |= (uint64_t)p[i + k - 1] << (8 * (k - 1));
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/*
 * Fills key with random bytes.  GRND_NONBLOCK: early in boot the pool may
 * not be ready, and a scrape must not wait for it.  When getrandom is not
 * available (old kernel, or a seccomp filter that answers ENOSYS/EPERM) the
 * key is still made to differ per table and per process, so collisions
 * cannot be precomputed offline, though it is no longer secret.
 */
void
hash_seed_key(uint8_t key[16])
{
	static const uint8_t fixed[16] = {
		0x5c, 0x9e, 0x37, 0x79, 0xb9, 0x7f, 0x4a, 0x7c,
		0x15, 0xf3, 0x9c, 0xc0, 0x60, 0x5c, 0xed, 0xa1,
	};
	static uint64_t counter;
	struct timespec ts = { 0, 0 };
	uint64_t mix[5], a, b;
	ssize_t r;

	do {
		r = getrandom(key, 16, GRND_NONBLOCK);
	} while (r == -1 && errno == EINTR);	/* only while the pool blocks */
	if (r == 16)
		return;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	mix[0] = (uint64_t)ts.tv_sec;
	mix[1] = (uint64_t)ts.tv_nsec;
	mix[2] = (uint64_t)getpid();
	mix[3] = (uint64_t)(uintptr_t)key;
	mix[4] = ++counter;
	a = hash_siphash(fixed, mix, sizeof(mix));
	mix[4] ^= a;
	b = hash_siphash(fixed, mix, sizeof(mix));
	memcpy(key, &a, 8);
	memcpy(key + 8, &b, 8);
}

struct hash *
hash_new(size_t hint)
{
	struct hash *h = NULL, *ret = NULL;
	size_t nslots = HASH_MIN_SLOTS;

	if (hint > MAX_RECORDS)
		hint = MAX_RECORDS;
	/* Room for hint keys below the load limit, without a resize. */
	while (nslots / HASH_LOAD_DEN * HASH_LOAD_NUM < hint)
		nslots *= 2;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		goto out;
	buf_init(&h->arena, HASH_ARENA_CAP);
	if ((h->slots = calloc(nslots, sizeof(*h->slots))) == NULL)
		goto out;
	h->mask = nslots - 1;
	hash_seed_key(h->key);
	ret = h;
	h = NULL;
 out:
	hash_free(h);
	return ret;
}

void
hash_free(struct hash *h)
{
	if (h == NULL)
		return;
	buf_cleanup(&h->arena);
	free(h->slots);
	free(h->ents);
	explicit_bzero(h->key, sizeof(h->key));
	free(h);
}

size_t
hash_count(const struct hash *h)
{
	return h == NULL ? 0 : h->nents;
}

/*
 * Returns the slot holding key, or the free slot where it would go.  The
 * load limit guarantees a free slot, so the probe ends.
 */
static size_t
hash_find(const struct hash *h, const void *key, size_t klen, uint32_t h32)
{
	const char *arena = buf_ptr(&h->arena);
	const struct hash_slot *s;
	const struct hash_ent *e;
	size_t i = h32 & h->mask;

	for (;; i = (i + 1) & h->mask) {
		s = &h->slots[i];
		if (s->idx1 == 0)
			return i;
		if (s->h32 != h32)
			continue;
		e = &h->ents[s->idx1 - 1];
		/* klen 0 may come with key NULL, which memcmp must not see. */
		if (e->klen == klen &&
		    (klen == 0 || memcmp(arena + e->off, key, klen) == 0))
			return i;
	}
}

int
hash_get(const struct hash *h, const void *key, size_t klen, uint32_t *val)
{
	uint32_t h32;
	size_t i;

	*val = 0;
	if (h == NULL || klen > UINT32_MAX)
		return ERR_NOTFOUND;
	h32 = (uint32_t)hash_siphash(h->key, key, klen);
	i = hash_find(h, key, klen, h32);
	if (h->slots[i].idx1 == 0)
		return ERR_NOTFOUND;
	*val = h->ents[h->slots[i].idx1 - 1].val;
	return 0;
}

/* Doubles the slot array; the table is unchanged on failure. */
static int
hash_grow(struct hash *h)
{
	struct hash_slot *ns;
	size_t nslots = (h->mask + 1) * 2, nmask = nslots - 1, i, j;

	if ((ns = calloc(nslots, sizeof(*ns))) == NULL)
		return ERR_NOMEM;
	for (i = 0; i <= h->mask; i++) {
		if (h->slots[i].idx1 == 0)
			continue;
		for (j = h->slots[i].h32 & nmask; ns[j].idx1 != 0;
		    j = (j + 1) & nmask)
			;
		ns[j] = h->slots[i];
	}
	free(h->slots);
	h->slots = ns;
	h->mask = nmask;
	return 0;
}

int
hash_put(struct hash *h, const void *key, size_t klen, uint32_t val,
    uint32_t *out, int *inserted)
{
	struct hash_ent *ne;
	uint32_t h32;
	size_t i, na, off;
	int ret = -1;

	*out = 0;
	*inserted = 0;
	if (klen > UINT32_MAX) {
		ret = ERR_TOOBIG;
		goto out;
	}
	h32 = (uint32_t)hash_siphash(h->key, key, klen);
	i = hash_find(h, key, klen, h32);
	if (h->slots[i].idx1 != 0) {
		*out = h->ents[h->slots[i].idx1 - 1].val;
		ret = 0;
		goto out;
	}
	if (h->nents >= MAX_RECORDS) {
		ret = ERR_TOOBIG;
		goto out;
	}

	/*
	 * Every step that can fail comes before the slot is written: a grown
	 * slot or entry array, or arena bytes past the last entry, are
	 * invisible to lookups, so a failure leaves the table as it was.
	 */
	if ((h->nents + 1) * HASH_LOAD_DEN > (h->mask + 1) * HASH_LOAD_NUM) {
		if ((ret = hash_grow(h)) != 0)
			goto out;
		i = hash_find(h, key, klen, h32);
	}
	if (h->nents == h->aents) {
		na = h->aents < 16 ? 16 : h->aents * 2;
		/*
		 * realloc, not reallocarray: cmocka's test allocator only
		 * replaces the former.  na stays far below SIZE_MAX / 16.
		 */
		if ((ne = realloc(h->ents, na * sizeof(*ne))) == NULL) {
			ret = ERR_NOMEM;
			goto out;
		}
		h->ents = ne;
		h->aents = na;
	}
	off = buf_len(&h->arena);
	if ((ret = buf_append(&h->arena, key, klen)) != 0)
		goto out;

	h->ents[h->nents].off = off;
	h->ents[h->nents].klen = (uint32_t)klen;
	h->ents[h->nents].val = val;
	h->nents++;
	h->slots[i].idx1 = (uint32_t)h->nents;
	h->slots[i].h32 = h32;
	*out = val;
	*inserted = 1;
	ret = 0;
 out:
	return ret;
}

void
hash_key_u32(unsigned char k[4], uint32_t v)
{
	k[0] = (unsigned char)v;
	k[1] = (unsigned char)(v >> 8);
	k[2] = (unsigned char)(v >> 16);
	k[3] = (unsigned char)(v >> 24);
}

void
hash_key_u64(unsigned char k[8], uint64_t v)
{
	hash_key_u32(k, (uint32_t)v);
	hash_key_u32(k + 4, (uint32_t)(v >> 32));
}
