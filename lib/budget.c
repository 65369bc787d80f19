/* SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>
#include <stdio.h>
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

int
budget_count(struct budget *b, const void *key, size_t klen, uint32_t *idx,
    int *fresh)
{
	uint32_t n;
	int r;

	*idx = 0;
	*fresh = 0;
	if (b->keys == NULL)
		return ERR_NOMEM;
	if (b->records >= b->limit.max_records)
		return ERR_TOOBIG;
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
}
