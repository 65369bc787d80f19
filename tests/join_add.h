/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Adds squeue and getent rows to a struct join, interning their names in
 * the join's names table first, asserting success; shared by the join
 * tests and the metrics tests that build a join to expose.  Include after
 * <cmocka.h> and after join.h has been seen.
 */
#ifndef TESTS_JOIN_ADD_H
#define TESTS_JOIN_ADD_H

#include <stdint.h>
#include <string.h>

#include "../lib/caps.h"
#include "../lib/names.h"

/* A names table as a collection makes one. */
static inline struct names *
new_names(void)
{
	struct names *nm = names_new(MAX_NAMES_BYTES);

	assert_non_null(nm);
	return nm;
}

/* The id of s[0..len) in nm. */
static inline uint32_t
name_idn(struct names *nm, const char *s, size_t len)
{
	uint32_t id;

	assert_int_equal(names_intern(nm, s, len, &id, NULL), 0);
	return id;
}

/* The id of NUL-terminated s in nm; NULL is the empty name. */
static inline uint32_t
name_id(struct names *nm, const char *s)
{
	return s == NULL ? 0 : name_idn(nm, s, strlen(s));
}

static inline void
add_job(struct names *nm, struct join *j, uint64_t id, const char *a,
    const char *u)
{
	assert_int_equal(join_add_job(j, id, name_id(nm, a), name_id(nm, u)),
	    0);
}

static inline void
add_user(struct names *nm, struct join *j, uint32_t uid, const char *name,
    uint32_t gid)
{
	assert_int_equal(join_add_user(j, uid, name_id(nm, name), gid), 0);
}

static inline void
add_group(struct names *nm, struct join *j, uint32_t gid, const char *name)
{
	assert_int_equal(join_add_group(j, gid, name_id(nm, name)), 0);
}

#endif /* TESTS_JOIN_ADD_H */
