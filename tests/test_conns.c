/* SPDX-License-Identifier: Apache-2.0 */
/* The connection ledger: who gives way, who is past a deadline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../cmd/conns.c"

#define S	1000000ULL	/* seconds, in microseconds */

struct closed {
	int	 fds[16];
	size_t	 n;
};

static void
record(int fd, void *arg)
{
	struct closed *c = arg;

	if (c->n < 16)
		c->fds[c->n++] = fd;
}

static int
setup(void **state)
{
	(void)state;
	/* 3 connections, 5 s for a request, 120 s idle. */
	return conns_init(3, 5000, 120000);
}

static int
teardown(void **state)
{
	(void)state;
	conns_cleanup();
	return 0;
}

static void
test_oldest_waiting_gives_way(void **state)
{
	struct closed c = { { 0 }, 0 };
	struct conns_stats st;

	(void)state;
	conns_open(10, 1000 * S, record, &c);
	conns_open(11, 1001 * S, record, &c);
	conns_open(12, 1002 * S, record, &c);
	assert_int_equal(c.n, 0);
	/* Full: the oldest waiting one (10) makes room for 13. */
	conns_open(13, 1003 * S, record, &c);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.fds[0], 10);
	conns_stats(&st);
	assert_int_equal(st.open, 3);
	assert_int_equal(st.evicted, 1);
}

static void
test_busy_never_closed(void **state)
{
	struct closed c = { { 0 }, 0 };

	(void)state;
	conns_open(10, 1000 * S, record, &c);
	conns_open(11, 1001 * S, record, &c);
	conns_open(12, 1002 * S, record, &c);
	conns_set(10, CONNS_BUSY, 0);
	conns_set(11, CONNS_BUSY, 0);
	/* 12 gives way, not the older busy ones. */
	conns_open(13, 1003 * S, record, &c);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.fds[0], 12);
	conns_set(13, CONNS_BUSY, 0);
	/* Every one busy: the newcomer itself is turned away. */
	conns_open(14, 1004 * S, record, &c);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.fds[1], 14);
	/* Busy ones are never past a deadline either. */
	conns_sweep(9999 * S, record, &c);
	assert_int_equal(c.n, 2);
}

static void
test_idle_gives_way_by_age(void **state)
{
	struct closed c = { { 0 }, 0 };

	(void)state;
	conns_open(10, 1000 * S, record, &c);
	conns_open(11, 1001 * S, record, &c);
	conns_open(12, 1002 * S, record, &c);
	/* 10 was answered and idles since 1010 s: 11 is now the oldest. */
	conns_set(10, CONNS_BUSY, 0);
	conns_set(10, CONNS_IDLE, 1010 * S);
	conns_open(13, 1011 * S, record, &c);
	assert_int_equal(c.fds[0], 11);
}

static void
test_deadlines(void **state)
{
	struct closed c = { { 0 }, 0 };
	struct conns_stats st;

	(void)state;
	conns_open(10, 1000 * S, record, &c);
	conns_open(11, 1000 * S, record, &c);
	conns_set(11, CONNS_BUSY, 0);
	conns_set(11, CONNS_IDLE, 1001 * S);
	/* The request deadline is absolute: 5 s after the accept. */
	conns_sweep(1005 * S - 1, record, &c);
	assert_int_equal(c.n, 0);
	conns_sweep(1005 * S, record, &c);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.fds[0], 10);
	/* Idle: 120 s. */
	conns_sweep(1120 * S, record, &c);
	assert_int_equal(c.n, 1);
	conns_sweep(1121 * S, record, &c);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.fds[1], 11);
	conns_stats(&st);
	assert_int_equal(st.timed_out, 2);
	assert_int_equal(st.open, 0);
}

/* A connection recorded after the sweep read its clock is not old. */
static void
test_younger_than_now(void **state)
{
	struct closed c = { { 0 }, 0 };

	(void)state;
	conns_open(10, 2000 * S, record, &c);
	conns_sweep(1999 * S, record, &c);
	assert_int_equal(c.n, 0);
}

static void
test_close_forgets(void **state)
{
	struct closed c = { { 0 }, 0 };
	struct conns_stats st;

	(void)state;
	conns_open(10, 1000 * S, record, &c);
	conns_close(10);
	conns_close(10);
	conns_close(-1);
	conns_stats(&st);
	assert_int_equal(st.open, 0);
	conns_sweep(9999 * S, record, &c);
	assert_int_equal(c.n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_oldest_waiting_gives_way, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_busy_never_closed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_idle_gives_way_by_age, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_deadlines, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_younger_than_now, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_close_forgets, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
