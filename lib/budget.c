/* SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "err.h"
#include "hash.h"

int
budget_init(struct budget *b, const struct proto_budget *limit)
{
	memset(b, 0, sizeof(*b));
	if (limit->max_records == 0 || limit->max_keys == 0)
		return ERR_INVAL;
	b->limit = *limit;
	/* Sized for a small answer; the table grows with the keys. */
	if ((b->keys = hash_new(1024)) == NULL)
		return ERR_NOMEM;
	return 0;
}

/* Slots of a fingerprint table to start with; it doubles at half full. */
#define BUDGET_PRINTS_START	1024

int
budget_init_prints(struct budget *b, const struct proto_budget *limit)
{
	memset(b, 0, sizeof(*b));
	if (limit->max_records == 0 || limit->max_keys == 0)
		return ERR_INVAL;
	b->limit = *limit;
	hash_seed_key(b->pkey);
	/* calloc: cmocka's test allocator wraps it. */
	if ((b->prints = calloc(BUDGET_PRINTS_START, sizeof(*b->prints))) ==
	    NULL)
		return ERR_NOMEM;
	b->pmask = BUDGET_PRINTS_START - 1;
	return 0;
}

/* Files fingerprint fp (not 0) in table t of mask + 1 slots: 1 if new. */
static int
budget_print_put(uint64_t *t, size_t mask, uint64_t fp)
{
	size_t i;

	for (i = (size_t)fp & mask; t[i] != 0; i = (i + 1) & mask)
		if (t[i] == fp)
			return 0;
	t[i] = fp;
	return 1;
}

/* Doubles the fingerprint table; 0 or ERR_NOMEM (b unchanged). */
static int
budget_prints_grow(struct budget *b)
{
	size_t n = (b->pmask + 1) * 2, i;
	uint64_t *t;

	if ((t = calloc(n, sizeof(*t))) == NULL)
		return ERR_NOMEM;
	for (i = 0; i <= b->pmask; i++)
		if (b->prints[i] != 0)
			(void)budget_print_put(t, n - 1, b->prints[i]);
	free(b->prints);
	b->prints = t;
	b->pmask = n - 1;
	return 0;
}

/* budget_count() of a fingerprint budget. */
static int
budget_count_print(struct budget *b, const void *key, size_t klen,
    int *fresh)
{
	uint64_t fp = hash_siphash(b->pkey, key, klen);
	size_t i;
	int r;

	fp += fp == 0;		/* 0 marks a free slot */
	if (b->pcount >= b->limit.max_keys) {
		/* Full: only keys already counted may come again. */
		for (i = (size_t)fp & b->pmask; b->prints[i] != 0;
		    i = (i + 1) & b->pmask)
			if (b->prints[i] == fp)
				goto counted;
		return ERR_RANGE;
	}
	if ((b->pcount + 1) * 2 > b->pmask + 1 &&
	    (r = budget_prints_grow(b)) != 0)
		return r;
	if ((*fresh = budget_print_put(b->prints, b->pmask, fp)) != 0)
		b->pcount++;
 counted:
	b->records++;
	return 0;
}

int
budget_init_known(struct budget *b, const struct proto_budget *limit)
{
	memset(b, 0, sizeof(*b));
	if (limit->max_records == 0 || limit->max_keys == 0)
		return ERR_INVAL;
	b->limit = *limit;
	return 0;
}

int
budget_count_known(struct budget *b, int fresh)
{
	if (b->limit.max_records == 0)
		return ERR_INVAL;
	if (b->records >= b->limit.max_records)
		return ERR_TOOBIG;
	if (fresh && b->nkeys >= b->limit.max_keys)
		return ERR_RANGE;
	b->records++;
	if (fresh)
		b->nkeys++;
	return 0;
}

int
budget_count(struct budget *b, const void *key, size_t klen, uint32_t *idx,
    int *fresh)
{
	uint32_t n;
	int r;

	*idx = 0;
	*fresh = 0;
	if (b->keys == NULL && b->prints == NULL)
		return ERR_NOMEM;
	if (b->records >= b->limit.max_records)
		return ERR_TOOBIG;
	if (b->prints != NULL)
		return budget_count_print(b, key, klen, fresh);
	n = (uint32_t)hash_count(b->keys);
	if (n >= b->limit.max_keys) {
		/* Full: only keys already counted may come again. */
		if (hash_get(b->keys, key, klen, idx) != 0)
			return ERR_RANGE;
	} else if ((r = hash_put(b->keys, key, klen, n, idx, fresh)) != 0) {
		return r == ERR_TOOBIG ? ERR_RANGE : r;
	}
	b->records++;
	return 0;
}

void
budget_explain(const struct budget *b, int err, char *out, size_t outsz)
{
	if (err == ERR_TOOBIG)
		snprintf(out, outsz, "more than %u records, its budget "
		    "(--source.max-records)", b->limit.max_records);
	else if (err == ERR_RANGE)
		snprintf(out, outsz, "more than %u distinct keys, its budget "
		    "(--source.max-keys)", b->limit.max_keys);
	else
		snprintf(out, outsz, "counting records: %s", err_str(err));
}

void
budget_cleanup(struct budget *b)
{
	hash_free(b->keys);
	b->keys = NULL;
	free(b->prints);
	b->prints = NULL;
}
