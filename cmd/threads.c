/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>

#include "threads.h"
#include "compat.h"
#include "err.h"

int
threads_start(pthread_t *tid, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	sigset_t all, old;
	pthread_t t;
	int r;

	if (pthread_attr_init(&attr) != 0)
		return ERR_SYSTEM;
	(void)pthread_attr_setstacksize(&attr, THREADS_STACK);
	if (tid == NULL)
		(void)pthread_attr_setdetachstate(&attr,
		    PTHREAD_CREATE_DETACHED);
	/* A new thread inherits the mask of the one that creates it. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(tid != NULL ? tid : &t, &attr, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return r == 0 ? 0 : ERR_SYSTEM;
}

#if PCE_GLIBC_HAS(CLOCKLOCK)
static int
threads_lock_until(pthread_mutex_t *mu, struct deadline deadline)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(deadline.at_us / 1000000);
	ts.tv_nsec = (long)(deadline.at_us % 1000000) * 1000;
	return pthread_mutex_clocklock(mu, CLOCK_MONOTONIC, &ts);
}
#else
/*
 * Before glibc 2.30 a mutex waits on CLOCK_REALTIME only: the time left
 * to the monotonic deadline is added to the wall clock's now.  A step of
 * the wall clock while waiting moves that point.  Forward, the wait ends
 * early, and is taken up again here for what is left; back, the wait is
 * longer by the step, which only polling the mutex could avoid.
 */
static int
threads_lock_until(pthread_mutex_t *mu, struct deadline deadline)
{
	struct timespec ts;
	uint64_t now, left;
	int r;

	for (;;) {
		now = deadline_now_us();
		if (now >= deadline.at_us) {
			/* As the timed lock does at a past deadline. */
			r = pthread_mutex_trylock(mu);
			return r == EBUSY ? ETIMEDOUT : r;
		}
		left = deadline.at_us - now;
		/* CLOCK_REALTIME cannot fail with a valid pointer. */
		(void)clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += (time_t)(left / 1000000);
		ts.tv_nsec += (long)(left % 1000000) * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		if ((r = pthread_mutex_timedlock(mu, &ts)) != ETIMEDOUT)
			return r;
	}
}
#endif

int
threads_lock(pthread_mutex_t *mu, struct deadline deadline)
{
	int r;

	if ((r = threads_lock_until(mu, deadline)) == 0)
		return 0;
	errno = r;
	return r == ETIMEDOUT ? ERR_TIMEOUT : ERR_SYSTEM;
}
