/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BUDGET_H
#define BUDGET_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

/*
 * What one source may bring in one scrape: records, and distinct keys
 * among them (job ids; jobid or procname.uid with the target for series).
 * Helpers count against it as they produce records and the parent counts
 * again as it receives them, so a source beyond its budget fails alone,
 * with a log line naming the flag, before it can crowd out the others.
 */
struct budget {
	struct proto_budget	 limit;
	uint32_t		 records;
	uint32_t		 nkeys;		/* budget_count_known() */
	struct hash		*keys;		/* budget_init() */
	/* budget_init_prints(): keyed fingerprints, 0 for a free slot. */
	uint64_t		*prints;
	size_t			 pmask;		/* slots - 1 */
	size_t			 pcount;
	uint8_t			 pkey[16];
};

/*
 * Starts counting against limit (both fields non-zero; ERR_INVAL else).
 * Returns 0 or ERR_NOMEM; b is usable by budget_cleanup() either way.
 */
int	budget_init(struct budget *b, const struct proto_budget *limit);

/*
 * The same for a producer that only needs the counts, not each key's
 * number: a key is held as a 64-bit keyed hash (SipHash), 8 to 16 bytes
 * a key instead of the key and its entry, so a helper's memory stays far
 * below the parent's, which folds the records.  Two keys whose hashes
 * collide count as one (odds of about n^2 / 2^65 for n keys): a source
 * at its key budget might then send one key more, which the parent's
 * exact count still refuses.  budget_count() gives *idx 0.
 */
int	budget_init_prints(struct budget *b, const struct proto_budget *limit);

/*
 * The same for a caller that keeps its own table of keys and counts with
 * budget_count_known(): no table here.  Returns 0 or ERR_INVAL.
 */
int	budget_init_known(struct budget *b, const struct proto_budget *limit);

/*
 * Counts one record of key.  Returns 0 with *idx, the key's number in
 * first-seen order, and *fresh 1 when the key is new; ERR_TOOBIG when the
 * record is one past max_records, ERR_RANGE when the key would be one past
 * max_keys, ERR_NOMEM.  On error nothing is counted.
 */
int	budget_count(struct budget *b, const void *key, size_t klen,
	    uint32_t *idx, int *fresh);

/*
 * Counts one record of a key the caller looked up itself: fresh when the
 * key is new.  Returns 0, ERR_TOOBIG or ERR_RANGE as budget_count(), or
 * ERR_INVAL on a budget budget_init_known() refused.  On error nothing is
 * counted.
 */
int	budget_count_known(struct budget *b, int fresh);

/*
 * Writes why a budget_count() error stopped the source, naming the limit
 * and the flag that sets it ("more than 5 records (--source.max-records)").
 */
void	budget_explain(const struct budget *b, int err, char *out,
	    size_t outsz);

void	budget_cleanup(struct budget *b);

#endif /* BUDGET_H */
