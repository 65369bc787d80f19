/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conns.h"
#include "err.h"

struct conn {
	int		 fd;		/* -1: free slot */
	int		 state;
	uint64_t	 since_us;	/* accepted, or idle since */
};

static pthread_mutex_t conns_mu = PTHREAD_MUTEX_INITIALIZER;
static struct conn *conns;
static size_t conns_max;
static size_t conns_open_n;
static uint64_t conns_header_us;
static uint64_t conns_idle_us;
static struct conns_stats conns_st;

int
conns_init(size_t max, uint64_t header_ms, uint64_t idle_ms)
{
	size_t i;

	pthread_mutex_lock(&conns_mu);
	free(conns);
	conns_max = 0;
	conns_open_n = 0;
	if ((conns = calloc(max, sizeof(*conns))) != NULL) {
		conns_max = max;
		for (i = 0; i < max; i++)
			conns[i].fd = -1;
	}
	conns_header_us = header_ms * 1000;
	conns_idle_us = idle_ms * 1000;
	memset(&conns_st, 0, sizeof(conns_st));
	pthread_mutex_unlock(&conns_mu);
	return conns == NULL ? ERR_NOMEM : 0;
}

/* The slot of fd, or NULL (lock held). */
static struct conn *
conns_find(int fd)
{
	size_t i;

	for (i = 0; i < conns_max; i++)
		if (conns[i].fd == fd)
			return &conns[i];
	return NULL;
}

/* The waiting or idle connection open longest, or NULL (lock held). */
static struct conn *
conns_victim(void)
{
	struct conn *v = NULL;
	size_t i;

	for (i = 0; i < conns_max; i++) {
		if (conns[i].fd == -1 || conns[i].state == CONNS_BUSY)
			continue;
		if (v == NULL || conns[i].since_us < v->since_us)
			v = &conns[i];
	}
	return v;
}

/* Forgets c after handing its descriptor to fn (lock held). */
static void
conns_drop(struct conn *c, conns_close_fn *fn, void *arg)
{
	fn(c->fd, arg);
	c->fd = -1;
	conns_open_n--;
}

void
conns_open(int fd, uint64_t now_us, conns_close_fn *fn, void *arg)
{
	struct conn *c;

	pthread_mutex_lock(&conns_mu);
	if (conns_open_n == conns_max && (c = conns_victim()) != NULL) {
		conns_drop(c, fn, arg);
		conns_st.evicted++;
	}
	if ((c = conns_find(-1)) == NULL) {
		/* Every slot is busy answering: this one cannot be served. */
		fn(fd, arg);
		conns_st.evicted++;
	} else {
		c->fd = fd;
		c->state = CONNS_WAITING;
		c->since_us = now_us;
		conns_open_n++;
	}
	conns_st.open = conns_open_n;
	pthread_mutex_unlock(&conns_mu);
}

void
conns_set(int fd, int state, uint64_t now_us)
{
	struct conn *c;

	pthread_mutex_lock(&conns_mu);
	if ((c = conns_find(fd)) != NULL) {
		c->state = state;
		if (state == CONNS_IDLE)
			c->since_us = now_us;
	}
	pthread_mutex_unlock(&conns_mu);
}

void
conns_close(int fd)
{
	struct conn *c;

	pthread_mutex_lock(&conns_mu);
	if (fd != -1 && (c = conns_find(fd)) != NULL) {
		c->fd = -1;
		conns_open_n--;
	}
	conns_st.open = conns_open_n;
	pthread_mutex_unlock(&conns_mu);
}

void
conns_sweep(uint64_t now_us, conns_close_fn *fn, void *arg)
{
	uint64_t limit;
	size_t i;

	pthread_mutex_lock(&conns_mu);
	for (i = 0; i < conns_max; i++) {
		if (conns[i].fd == -1 || conns[i].state == CONNS_BUSY)
			continue;
		limit = conns[i].state == CONNS_WAITING ? conns_header_us :
		    conns_idle_us;
		/*
		 * A connection recorded after the caller read its clock is
		 * younger than now_us: never past anything.
		 */
		if (conns[i].since_us >= now_us ||
		    now_us - conns[i].since_us < limit)
			continue;
		conns_drop(&conns[i], fn, arg);
		conns_st.timed_out++;
	}
	conns_st.open = conns_open_n;
	pthread_mutex_unlock(&conns_mu);
}

void
conns_cleanup(void)
{
	pthread_mutex_lock(&conns_mu);
	free(conns);
	conns = NULL;
	conns_max = conns_open_n = 0;
	pthread_mutex_unlock(&conns_mu);
}

void
conns_stats(struct conns_stats *st)
{
	pthread_mutex_lock(&conns_mu);
	*st = conns_st;
	pthread_mutex_unlock(&conns_mu);
}
