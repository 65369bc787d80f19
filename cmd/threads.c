/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <signal.h>

#include "threads.h"
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
