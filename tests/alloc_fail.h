/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Allocation failure injection (curl "torture") on top of cmocka's test
 * allocators, shared by the unit tests of the modules that allocate: the
 * allocations of the included module go through t_*, and fail_at makes the
 * n-th one from now fail once (-1: none fails).
 *
 * Include after <cmocka.h> (t_* call its test_malloc and friends) and
 * before "../lib/<module>.c" (the redefinitions below only reach code that
 * comes after them).
 */
#ifndef TESTS_ALLOC_FAIL_H
#define TESTS_ALLOC_FAIL_H

#include <stddef.h>
#include <string.h>

static long fail_at = -1;

static inline int
alloc_fails(void)
{
	if (fail_at < 0)
		return 0;
	return fail_at-- == 0;
}

static inline void *
t_malloc(size_t n)
{
	return alloc_fails() ? NULL : test_malloc(n);
}

static inline void *
t_calloc(size_t a, size_t b)
{
	return alloc_fails() ? NULL : test_calloc(a, b);
}

static inline void *
t_realloc(void *p, size_t n)
{
	return alloc_fails() ? NULL : test_realloc(p, n);
}

static inline char *
t_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p;

	if ((p = t_malloc(n)) != NULL)
		memcpy(p, s, n);
	return p;
}

#undef malloc
#undef calloc
#undef realloc
#undef strdup
#define malloc(n)	t_malloc(n)
#define calloc(a, b)	t_calloc(a, b)
#define realloc(p, n)	t_realloc(p, n)
#define strdup(s)	t_strdup(s)

#endif /* TESTS_ALLOC_FAIL_H */
