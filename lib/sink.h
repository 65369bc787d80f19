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
 * A record comes in decoded, as a fixed-size entry of integers (its
 * strings are ids of the collection's names, lib/names.h), and is folded
 * by key as it arrives: the first entry of a key is kept and the values
 * of all its entries are summed, so memory follows the distinct keys, not
 * the bytes received.  The source's budget (records, distinct keys) and a
 * byte cap are checked on every add.
 */
struct sink;

/* One decoded record; intake.h says what each source puts in it. */
struct sink_entry {
	uint64_t	 id;
	uint32_t	 name[2];	/* ids in the collection's names */
	double		 value;
};

/* What the key of an entry is made of. */
enum sink_keying {
	SINK_BY_ID = 0,		/* id alone */
	SINK_BY_ALL = 1,	/* id and both names */
};

/*
 * A sink keyed by keying, counting against limit, holding at most
 * max_bytes: its entries and the names they brought.  NULL on ERR_NOMEM,
 * a zero budget or an unknown keying.
 */
struct sink	*sink_new(const struct proto_budget *limit, size_t max_bytes,
		    int keying);
void		 sink_free(struct sink *s);

/*
 * Adds e, whose names were new to the collection for name_bytes
 * (names_intern()'s *added, summed).  Returns 0; ERR_TOOBIG past the
 * record budget, ERR_RANGE past the key budget, ERR_OVERFLOW past the byte
 * cap, or ERR_NOMEM: the source has then failed, and the sink keeps what
 * it had (drop it).
 */
int	sink_add(struct sink *s, const struct sink_entry *e,
	    size_t name_bytes);

/* Records added (not keys). */
uint32_t	sink_records(const struct sink *s);

/* Distinct keys, i.e. entries, in first-seen order 0..sink_keys()-1. */
uint32_t	sink_keys(const struct sink *s);

/*
 * Entry i: the first entry of its key, with the sum of the values of all
 * its entries.  Borrowed: valid until the next sink_add() or sink_free().
 */
const struct sink_entry	*sink_entry(const struct sink *s, uint32_t i);

/* Why a sink_add() error stopped the source, naming the limit. */
void	sink_explain(const struct sink *s, int err, char *out, size_t outsz);

#endif /* SINK_H */
