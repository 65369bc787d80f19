/* SPDX-License-Identifier: Apache-2.0 */
/*
 * threads_lock(): a wait for a mutex bounded by a monotonic deadline.
 * The `make check-compat` tree builds it for glibc 2.28, where the wait
 * goes through pthread_mutex_timedlock() and the wall clock instead.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../cmd/threads.c"

/*
 * A second thread's attempt, and how long it took from when its deadline
 * was set (before the thread starts, which may take a while under TSan).
 */
struct attempt {
	pthread_mutex_t	*mu;
	uint64_t	 start_us;
	struct deadline	 deadline;
	int		 r;
	int		 err;
	uint64_t	 took_us;
};

static void
attempt_init(struct attempt *a, pthread_mutex_t *mu, uint32_t ms)
{
	memset(a, 0, sizeof(*a));
	a->mu = mu;
	a->start_us = deadline_now_us();
	a->deadline.at_us = a->start_us + (uint64_t)ms * 1000;
}

static void *
attempt_run(void *arg)
{
	struct attempt *a = arg;

	a->r = threads_lock(a->mu, a->deadline);
	a->err = errno;
	a->took_us = deadline_now_us() - a->start_us;
	if (a->r == 0)
		pthread_mutex_unlock(a->mu);
	return NULL;
}

static void
test_unheld(void **state)
{
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

	(void)state;
	assert_int_equal(threads_lock(&mu, deadline_in_ms(1000)), 0);
	assert_int_equal(pthread_mutex_trylock(&mu), EBUSY);
	pthread_mutex_unlock(&mu);
}

/* Past the deadline a free mutex is still taken, as a timed lock does. */
static void
test_unheld_after_deadline(void **state)
{
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	struct deadline d = deadline_in_ms(0);

	(void)state;
	usleep(2000);
	assert_int_equal(threads_lock(&mu, d), 0);
	pthread_mutex_unlock(&mu);
}

/* An attempt from another thread, with a deadline ms away, on mu held. */
static void
attempt_while_held(struct attempt *a, uint32_t ms)
{
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_t t;

	attempt_init(a, &mu, ms);
	pthread_mutex_lock(&mu);
	assert_int_equal(pthread_create(&t, NULL, attempt_run, a), 0);
	pthread_join(t, NULL);
	pthread_mutex_unlock(&mu);
	a->mu = NULL;		/* mu ends here */
	assert_int_equal(a->r, ERR_TIMEOUT);
	assert_int_equal(a->err, ETIMEDOUT);
}

/* Held throughout: the wait ends at the deadline, not before. */
static void
test_held(void **state)
{
	struct attempt a;

	(void)state;
	attempt_while_held(&a, 200);
	assert_true(a.took_us >= 200 * 1000);
	assert_true(a.took_us < 2000 * 1000);
}

/* Held past the deadline already: no wait at all. */
static void
test_held_after_deadline(void **state)
{
	struct attempt a;

	(void)state;
	attempt_while_held(&a, 0);
	assert_true(a.took_us < 500 * 1000);
}

/* Let go of before the deadline: taken then, long before it. */
static void
test_released(void **state)
{
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	struct attempt a;
	pthread_t t;

	(void)state;
	attempt_init(&a, &mu, 10 * 1000);
	pthread_mutex_lock(&mu);
	assert_int_equal(pthread_create(&t, NULL, attempt_run, &a), 0);
	usleep(50 * 1000);
	pthread_mutex_unlock(&mu);
	pthread_join(t, NULL);
	assert_int_equal(a.r, 0);
	assert_true(a.took_us < 5000 * 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unheld),
		cmocka_unit_test(test_unheld_after_deadline),
		cmocka_unit_test(test_held),
		cmocka_unit_test(test_held_after_deadline),
		cmocka_unit_test(test_released),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
