/* SPDX-License-Identifier: Apache-2.0 */
#ifndef THREADS_H
#define THREADS_H

#include <pthread.h>

#include "deadline.h"

/*
 * The parent's threads: every one starts with a small stack (the parent's
 * address space is bounded, see sandbox.c) and every signal blocked (the
 * main thread alone takes SIGTERM, SIGINT and SIGHUP, with sigwait()).
 */

/* Thread stacks: the threads keep buffers on the heap. */
#define THREADS_STACK	(256 * 1024)

/*
 * Starts fn(arg).  With tid NULL the thread is detached, else joinable
 * through *tid.  Returns 0 or ERR_SYSTEM.
 */
int	threads_start(pthread_t *tid, void *(*fn)(void *), void *arg);

/*
 * Locks mu (a default mutex), waiting until deadline at most; a free
 * mutex is taken even when the deadline has passed.  Returns 0 with mu
 * locked, else ERR_TIMEOUT or ERR_SYSTEM with mu as it was and errno set
 * (ETIMEDOUT, or pthread's error).
 */
int	threads_lock(pthread_mutex_t *mu, struct deadline deadline);

#endif /* THREADS_H */
