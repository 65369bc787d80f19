/* SPDX-License-Identifier: Apache-2.0 */
#ifndef THREADS_H
#define THREADS_H

#include <pthread.h>

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

#endif /* THREADS_H */
