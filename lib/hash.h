/* SPDX-License-Identifier: Apache-2.0 */
#ifndef HASH_H
#define HASH_H

#include <stddef.h>
#include <stdint.h>

/*
 * A map from byte-string keys to uint32_t values (typically an index into
 * the caller's array).  Keys are copied.  The hash is SipHash keyed with
 * random bytes per table, so keys chosen by users (process names) cannot
 * force collisions.  Open addressing; insert and lookup are O(1) expected.
 */
struct hash;

/* A table sized for about hint keys; NULL on ERR_NOMEM. */
struct hash	*hash_new(size_t hint);
void		 hash_free(struct hash *h);

/* Returns 0 and *val, or ERR_NOTFOUND. */
int	hash_get(const struct hash *h, const void *key, size_t klen,
	    uint32_t *val);

/*
 * Looks key up; if absent, inserts it with value val and sets *inserted to
 * 1.  Either way *out receives the value now stored.  Returns 0, ERR_NOMEM,
 * or ERR_TOOBIG past MAX_RECORDS keys.  On error the table is unchanged.
 */
int	hash_put(struct hash *h, const void *key, size_t klen, uint32_t val,
	    uint32_t *out, int *inserted);

size_t	hash_count(const struct hash *h);

/* Fixed little-endian key encodings, so a key never depends on the host. */
void	hash_key_u32(unsigned char k[4], uint32_t v);
void	hash_key_u64(unsigned char k[8], uint64_t v);

/*
 * Fills key with 16 random bytes for hash_siphash(), as every table gets
 * its own (not secret, but still per process and call, without
 * getrandom(2)).
 */
void	hash_seed_key(uint8_t key[16]);

/* SipHash-2-4 of data under a 16-byte key. */
uint64_t	hash_siphash(const uint8_t key[16], const void *data, size_t n);

#endif /* HASH_H */
