/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Adds squeue and getent rows to a struct join, asserting success; shared
 * by the join tests and the metrics tests that build a join to expose.
 * Include after <cmocka.h> and after join.h has been seen.
 */
#ifndef TESTS_JOIN_ADD_H
#define TESTS_JOIN_ADD_H

#include <stdint.h>
#include <string.h>

static inline void
add_job(struct join *j, uint64_t id, const char *a, const char *u)
{
	assert_int_equal(join_add_job(j, id, a, strlen(a), u, strlen(u)), 0);
}

static inline void
add_user(struct join *j, uint32_t uid, const char *name, uint32_t gid)
{
	assert_int_equal(join_add_user(j, uid, name, strlen(name), gid), 0);
}

static inline void
add_group(struct join *j, uint32_t gid, const char *name)
{
	assert_int_equal(join_add_group(j, gid, name, strlen(name)), 0);
}

#endif /* TESTS_JOIN_ADD_H */
