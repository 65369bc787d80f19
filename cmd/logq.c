/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/types.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "logq.h"
#include "err.h"
#include "log.h"

/*
 * Bytes of lines held while stderr does not take them: about 2000 lines
 * of logfmt, minutes of a busy -log=debug, hours at the default level.
 */
#ifndef LOGQ_BYTES
#define LOGQ_BYTES	(256 * 1024)
#endif
/* How often the writer, when idle, has lib/log write pending summaries. */
#define LOGQ_TICK_MS	1000
/* The most log_fatal() waits for its line before it exits anyway. */
#define LOGQ_LAST_MS	1000
/* How long the writer waits for a stderr that answers EAGAIN. */
#define LOGQ_POLL_MS	1000

/* Before each line in the ring. */
struct logq_hdr {
	uint32_t	 len;
	uint32_t	 dropped;	/* lines dropped just before this one */
};

/* Room only log_fatal()'s line may take, so a full queue cannot lose it. */
#define LOGQ_RESERVE	(sizeof(struct logq_hdr) + LOG_LINE_MAX)

/*
 * The ring: used bytes from head on, wrapping at LOGQ_BYTES.  gap counts
 * lines dropped since the last one queued; the writer says so before the
 * next line it takes, or by itself once the ring is empty.
 */
static struct {
	pthread_mutex_t	 mu;
	pthread_cond_t	 more;		/* lines queued; the writer waits */
	pthread_cond_t	 idle;		/* all written; logq_flush() waits */
	size_t		 head;
	size_t		 used;
	unsigned long	 gap;
	int		 busy;		/* the writer holds a line */
	int		 started;
	pid_t		 pid;
	pthread_t	 tid;
	char		 ring[LOGQ_BYTES];
} logq = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
};

static unsigned long logq_dropped;
/* Set once log_fatal()'s line had its wait: exit() does not wait again. */
static int logq_waited_last;

unsigned long
logq_dropped_total(void)
{
	return __atomic_load_n(&logq_dropped, __ATOMIC_RELAXED);
}

/* Counts a line that did not fit (queue lock held). */
static void
logq_count_dropped(void)
{
	__atomic_add_fetch(&logq_dropped, 1, __ATOMIC_RELAXED);
}

/* CLOCK_MONOTONIC in milliseconds. */
static uint64_t
logq_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The CLOCK_MONOTONIC time ms from now, for timed waits. */
static struct timespec
logq_abstime(uint64_t at_ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(at_ms / 1000);
	ts.tv_nsec = (long)(at_ms % 1000) * 1000000;
	return ts;
}

/* Copies n bytes in at the tail of the ring.  Called with logq.mu held. */
static void
logq_put(const void *p, size_t n)
{
	size_t tail = (logq.head + logq.used) % LOGQ_BYTES, k;

	k = LOGQ_BYTES - tail < n ? LOGQ_BYTES - tail : n;
	memcpy(logq.ring + tail, p, k);
	memcpy(logq.ring, (const char *)p + k, n - k);
	logq.used += n;
}

/* Takes n bytes out at the head of the ring.  Called with logq.mu held. */
static void
logq_get(void *p, size_t n)
{
	size_t k;

	k = LOGQ_BYTES - logq.head < n ? LOGQ_BYTES - logq.head : n;
	memcpy(p, logq.ring + logq.head, k);
	memcpy((char *)p + k, logq.ring, n - k);
	logq.head = (logq.head + n) % LOGQ_BYTES;
	logq.used -= n;
}

/*
 * All of p to stderr, however long that takes: this thread is the one
 * allowed to wait for it.  A line stderr refuses (EPIPE, EBADF, ENOSPC)
 * is dropped and counted.
 */
static void
logq_write(const char *p, size_t n)
{
	struct pollfd pfd;
	ssize_t w;

	while (n > 0) {
		w = write(STDERR_FILENO, p, n);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		/* Signals are blocked here, but a stop/continue may still. */
		if (w == -1 && errno == EINTR)
			continue;
		/* Another process made the shared description non-blocking. */
		if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			pfd.fd = STDERR_FILENO;
			pfd.events = POLLOUT;
			(void)poll(&pfd, 1, LOGQ_POLL_MS);
			continue;
		}
		logq_count_dropped();
		return;
	}
}

/* Says, in a line of its own, how many lines were dropped before now. */
static void
logq_notice(unsigned long n)
{
	char msg[160], line[LOG_LINE_MAX];

	snprintf(msg, sizeof(msg), "log lines dropped: %lu; stderr did not "
	    "take them in time and the queue (%u KiB) was full", n,
	    (unsigned int)(LOGQ_BYTES / 1024));
	logq_write(line, log_format(line, LOG_LEVEL_WARN, "logq_writer",
	    msg));
}

/* The writer thread: drains the queue to fd 2, for ever. */
static void *
logq_writer(void *arg)
{
	char line[LOG_LINE_MAX];
	struct logq_hdr h;
	struct timespec ts;
	unsigned long gap;
	uint64_t now, last_tick = logq_now_ms();

	(void)arg;
	/* For top -H and the tests; prctl(PR_SET_NAME) on itself. */
	(void)pthread_setname_np(pthread_self(), "logq");
	pthread_mutex_lock(&logq.mu);
	for (;;) {
		/* Even while lines keep coming: summaries are due on time. */
		if ((now = logq_now_ms()) - last_tick >= LOGQ_TICK_MS) {
			/* log_tick() may queue a line: not under mu. */
			pthread_mutex_unlock(&logq.mu);
			log_tick();
			pthread_mutex_lock(&logq.mu);
			last_tick = now;
		}
		if (logq.used == 0 && logq.gap == 0) {
			logq.busy = 0;
			pthread_cond_broadcast(&logq.idle);
			ts = logq_abstime(last_tick + LOGQ_TICK_MS);
			(void)pthread_cond_timedwait(&logq.more, &logq.mu, &ts);
			continue;
		}
		logq.busy = 1;
		h.len = 0;
		if (logq.used > 0) {
			logq_get(&h, sizeof(h));
			logq_get(line, h.len);
			gap = h.dropped;
		} else {
			gap = logq.gap;
			logq.gap = 0;
		}
		pthread_mutex_unlock(&logq.mu);
		if (gap > 0)
			logq_notice(gap);
		logq_write(line, h.len);
		pthread_mutex_lock(&logq.mu);
	}
	return NULL;
}

/* lib/log's writer: queues the line, or drops and counts it. */
static void
logq_push(const char *line, size_t len, int last, void *arg)
{
	struct logq_hdr h;
	size_t room;

	(void)arg;
	if (getpid() != logq.pid) {
		/* A child of ours: no writer thread here. */
		if (write(STDERR_FILENO, line, len) == -1)
			return;
		return;
	}
	/* lib/log's lines are shorter; the writer's buffer is this long. */
	if (len > LOG_LINE_MAX)
		len = LOG_LINE_MAX;
	pthread_mutex_lock(&logq.mu);
	room = LOGQ_BYTES - logq.used;
	if (!last)
		room = room > LOGQ_RESERVE ? room - LOGQ_RESERVE : 0;
	if (sizeof(h) + len > room) {
		logq.gap++;
		logq_count_dropped();
	} else {
		h.len = (uint32_t)len;
		h.dropped = logq.gap > UINT32_MAX ? UINT32_MAX :
		    (uint32_t)logq.gap;
		logq.gap = 0;
		logq_put(&h, sizeof(h));
		logq_put(line, len);
		pthread_cond_signal(&logq.more);
	}
	pthread_mutex_unlock(&logq.mu);
	if (last) {
		(void)logq_flush(LOGQ_LAST_MS);
		__atomic_store_n(&logq_waited_last, 1, __ATOMIC_RELAXED);
	}
}

int
logq_flush(unsigned int timeout_ms)
{
	struct timespec ts;
	int ret;

	if (!logq.started || pthread_equal(pthread_self(), logq.tid) ||
	    getpid() != logq.pid)
		return 0;
	ts = logq_abstime(logq_now_ms() + timeout_ms);
	pthread_mutex_lock(&logq.mu);
	while (logq.used > 0 || logq.gap > 0 || logq.busy)
		if (pthread_cond_timedwait(&logq.idle, &logq.mu, &ts) ==
		    ETIMEDOUT)
			break;
	ret = logq.used > 0 || logq.gap > 0 || logq.busy ? ERR_TIMEOUT : 0;
	pthread_mutex_unlock(&logq.mu);
	return ret;
}

/* exit() gives the lines still queued the time log_fatal() gets. */
static void
logq_at_exit(void)
{
	if (!__atomic_load_n(&logq_waited_last, __ATOMIC_RELAXED))
		(void)logq_flush(LOGQ_LAST_MS);
}

int
logq_start(void)
{
	pthread_condattr_t ca;
	pthread_attr_t attr;
	sigset_t all, old;
	int r, have_ca = 0, have_more = 0, have_idle = 0, have_attr = 0;

	if (logq.started)
		return 0;
	/* Deadlines on CLOCK_MONOTONIC: a clock step does not stall us. */
	if ((r = pthread_condattr_init(&ca)) != 0)
		goto out;
	have_ca = 1;
	if ((r = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC)) != 0 ||
	    (r = pthread_cond_init(&logq.more, &ca)) != 0)
		goto out;
	have_more = 1;
	if ((r = pthread_cond_init(&logq.idle, &ca)) != 0)
		goto out;
	have_idle = 1;
	if ((r = pthread_attr_init(&attr)) != 0)
		goto out;
	have_attr = 1;
	/* It needs little stack; the parent's address space is bounded. */
	(void)pthread_attr_setstacksize(&attr, 256 * 1024);
	(void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	logq.pid = getpid();
	/*
	 * The thread starts with every signal blocked: SIGTERM is for the
	 * main thread's sigwait(), and a handler run there could log into
	 * the queue that thread drains.
	 */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&logq.tid, &attr, logq_writer, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0)
		goto out;
	logq.started = 1;
	log_set_writer(logq_push, NULL);
	(void)atexit(logq_at_exit);
 out:
	if (have_attr)
		pthread_attr_destroy(&attr);
	if (have_ca)
		pthread_condattr_destroy(&ca);
	if (r == 0)
		return 0;
	if (have_more)
		pthread_cond_destroy(&logq.more);
	if (have_idle)
		pthread_cond_destroy(&logq.idle);
	errno = r;
	return ERR_SYSTEM;
}
