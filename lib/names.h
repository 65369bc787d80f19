/* SPDX-License-Identifier: Apache-2.0 */
#ifndef NAMES_H
#define NAMES_H

#include <stddef.h>
#include <stdint.h>

/*
 * The label values of one collection (accounts, users, groups, process
 * names, targets), each held once and known from then on by a small
 * integer id, so that the sinks and the join key, hash and compare
 * integers, never label bytes.  Ids are dense from 0 in first-seen order;
 * id 0 is the empty string.  Equal bytes get one id; any difference, in a
 * byte (NUL included) or in length, gets another.
 *
 * The strings live in chunks that never move, so a pointer from
 * names_str() stays valid until names_free().  The table hashes with
 * SipHash under a random key of its own: process names are chosen by
 * users, who must not be able to force collisions.
 *
 * Threads: names_intern() and names_count() may run in several threads at
 * once (a collection's slurm and query calls intern side by side).
 * names_str() reads an array that names_intern() may move: call it once
 * no intern can run any more, or from the thread that does them all.
 */
struct names;

/*
 * What a name counts against the table's byte cap, beyond its bytes and
 * its NUL: its entry and its share of the index.
 */
#define NAMES_ENTRY_BYTES	32
#define NAMES_COST(len)		((size_t)(len) + 1 + NAMES_ENTRY_BYTES)

/*
 * A table holding the empty string (id 0) and room for names costing at
 * most max_bytes in all (NAMES_COST each).  NULL on ERR_NOMEM.
 */
struct names	*names_new(size_t max_bytes);
void		 names_free(struct names *n);

/*
 * The id of p[0..len) (p may be NULL when len is 0), added if new.
 * Returns 0 with *id, and with *added (may be NULL) the bytes it now
 * counts against the cap: NAMES_COST(len) for a new name, 0 for a known
 * one.  ERR_TOOBIG beyond MAX_LABEL bytes, ERR_OVERFLOW past the byte
 * cap, ERR_NOMEM: the table is then unchanged, *id 0 and *added 0.
 */
int	names_intern(struct names *n, const char *p, size_t len, uint32_t *id,
	    size_t *added);

/*
 * Name id: NUL-terminated, *len (may be NULL) its length without the NUL.
 * NULL (and *len 0) when id was never handed out.  See "Threads" above.
 */
const char	*names_str(const struct names *n, uint32_t id, size_t *len);

/* Ids handed out so far, the empty string's included. */
uint32_t	names_count(struct names *n);

/* What the names hold against the cap (the empty string costs nothing). */
size_t		names_bytes(struct names *n);

#endif /* NAMES_H */
