/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SINK_H
#define SINK_H

#include <stddef.h>
#include <stdint.h>

#include "budget.h"

/*
 * The records of one source in one scrape, held until the source ends:
 * committed (read back into the join) when it ended cleanly, dropped when
 * it failed, so a source that fails halfway never leaves a partial sum.
 * Records are folded by key as they arrive: the first record of a key is
 * kept and the values of all its records are summed, so memory follows
 * the distinct keys, not the bytes received.  The source's budget
 * (records, distinct keys) and a byte cap are checked on every add.
 */
struct sink;

/*
 * A sink counting against limit, holding at most max_bytes of record
 * bodies.  NULL on ERR_NOMEM or a zero budget.
 */
struct sink	*sink_new(const struct proto_budget *limit, size_t max_bytes);
void		 sink_free(struct sink *s);

/*
 * Adds a record body under key with value.  Returns 0; ERR_TOOBIG past the
 * record budget, ERR_RANGE past the key budget, ERR_OVERFLOW past the byte
 * cap, or ERR_NOMEM: the source has then failed, and the sink keeps what it
 * had (drop it).
 */
int	sink_add(struct sink *s, const void *key, size_t klen,
	    const void *body, size_t blen, double value);

/* Records added (not keys). */
uint32_t	sink_records(const struct sink *s);

/* Distinct keys, i.e. entries, in first-seen order 0..sink_keys()-1. */
uint32_t	sink_keys(const struct sink *s);

/*
 * Entry i: the first body added under its key (borrowed, valid until the
 * sink is freed) and the sum of its values.
 */
void	sink_entry(const struct sink *s, uint32_t i,
	    const unsigned char **body, size_t *blen, double *value);

/* Why a sink_add() error stopped the source, naming the limit. */
void	sink_explain(const struct sink *s, int err, char *out, size_t outsz);

#endif /* SINK_H */
