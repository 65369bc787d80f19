/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One heap struct buf as the cmocka state of a test, for the modules that
 * write into a caller's buffer (proto, query): a fresh, empty buffer per
 * test, released even when the test fails.
 *
 * Include after <cmocka.h> and buf.h, with BUF_STATE_CAP defined as the
 * buffer's cap.
 */
#ifndef TESTS_BUF_STATE_H
#define TESTS_BUF_STATE_H

#include <stdlib.h>

#ifndef BUF_STATE_CAP
#error "define BUF_STATE_CAP before including buf_state.h"
#endif

static inline int
buf_state_setup(void **state)
{
	struct buf *b;

	if ((b = malloc(sizeof(*b))) == NULL)
		return -1;
	buf_init(b, BUF_STATE_CAP);
	*state = b;
	return 0;
}

static inline int
buf_state_teardown(void **state)
{
	struct buf *b = *state;

	buf_cleanup(b);
	free(b);
	return 0;
}

#endif /* TESTS_BUF_STATE_H */
