/* SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sink.h"
#include "err.h"
#include "hash.h"
#include "index.h"

struct sink {
	struct budget	 budget;	/* counted with the index's answers */
	struct index	 index;		/* of ents, by key */
	struct sink_entry *ents;	/* in first-seen order */
	uint32_t	 n;
	uint32_t	 alloc;
	int		 keying;
	size_t		 bytes;		/* entries and names held */
	size_t		 max_bytes;
};

/* Longest key: id and both names. */
#define SINK_KEY_MAX	16

struct sink *
sink_new(const struct proto_budget *limit, size_t max_bytes, int keying)
{
	struct sink *s = NULL, *ret = NULL;

	if (keying != SINK_BY_ID && keying != SINK_BY_ALL)
		goto out;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		goto out;
	s->keying = keying;
	s->max_bytes = max_bytes;
	if (budget_init_known(&s->budget, limit) != 0 ||
	    index_init(&s->index) != 0)
		goto out;
	ret = s;
	s = NULL;
 out:
	sink_free(s);
	return ret;
}

void
sink_free(struct sink *s)
{
	if (s == NULL)
		return;
	budget_cleanup(&s->budget);
	index_cleanup(&s->index);
	free(s->ents);
	free(s);
}

/* Room for one more entry, in the array and the index. */
static int
sink_grow(struct sink *s)
{
	uint32_t na = s->alloc == 0 ? 256 : s->alloc * 2;
	struct sink_entry *e;
	int r;

	/* At the key budget no entry is added: known keys need no room. */
	if (s->n >= s->budget.limit.max_keys)
		return 0;
	if ((r = index_reserve(&s->index, (size_t)s->n + 1)) != 0)
		return r;
	if (s->n < s->alloc)
		return 0;
	/* na stays far below SIZE_MAX / 24: it counts budgeted keys. */
	if (na < s->alloc)
		return ERR_NOMEM;
	/* realloc, not reallocarray: cmocka's test allocator wraps realloc. */
	if ((e = realloc(s->ents, (size_t)na * sizeof(*e))) == NULL)
		return ERR_NOMEM;
	s->ents = e;
	s->alloc = na;
	return 0;
}

/* Whether a and b have one key. */
static int
sink_same(const struct sink *s, const struct sink_entry *a,
    const struct sink_entry *b)
{
	return a->id == b->id && (s->keying == SINK_BY_ID ||
	    (a->name[0] == b->name[0] && a->name[1] == b->name[1]));
}

/* The hash of e's key, from its fixed little-endian form. */
static uint32_t
sink_hash(const struct sink *s, const struct sink_entry *e)
{
	unsigned char key[SINK_KEY_MAX];
	size_t klen = 8;

	hash_key_u64(key, e->id);
	if (s->keying == SINK_BY_ALL) {
		hash_key_u32(key + 8, e->name[0]);
		hash_key_u32(key + 12, e->name[1]);
		klen = 16;
	}
	return index_hash(&s->index, key, klen);
}

int
sink_add(struct sink *s, const struct sink_entry *e, size_t name_bytes)
{
	struct index_probe p;
	uint32_t i;
	int r;

	/* Room first, so that a refused record leaves no trace. */
	if ((r = sink_grow(s)) != 0)
		return r;
	if (name_bytes > s->max_bytes || s->bytes + sizeof(*e) >
	    s->max_bytes - name_bytes)
		return ERR_OVERFLOW;
	for (i = index_first(&s->index, sink_hash(s, e), &p);
	    i != INDEX_NONE; i = index_next(&s->index, &p))
		if (sink_same(s, &s->ents[i], e))
			break;
	if ((r = budget_count_known(&s->budget, i == INDEX_NONE)) != 0)
		return r;
	s->bytes += name_bytes;
	if (i != INDEX_NONE) {
		s->ents[i].value += e->value;
		return 0;
	}
	index_add(&s->index, &p, s->n);
	s->ents[s->n++] = *e;
	s->bytes += sizeof(*e);
	return 0;
}

uint32_t
sink_records(const struct sink *s)
{
	return s->budget.records;
}

uint32_t
sink_keys(const struct sink *s)
{
	return s->n;
}

const struct sink_entry *
sink_entry(const struct sink *s, uint32_t i)
{
	return i < s->n ? &s->ents[i] : NULL;
}

void
sink_explain(const struct sink *s, int err, char *out, size_t outsz)
{
	if (err == ERR_OVERFLOW)
		snprintf(out, outsz, "more than %zu MiB of records, its byte "
		    "budget", s->max_bytes >> 20);
	else
		budget_explain(&s->budget, err, out, outsz);
}
