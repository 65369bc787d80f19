/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/eventfd.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "relay.h"
#include "err.h"
#include "log.h"
#include "threads.h"

/* One helper: its stderr pipe, the line being read, its budget. */
struct relay_slot {
	int		 fd;		/* -1: none */
	char		 name[32];
	pid_t		 pid;
	char		 line[RELAY_LINE_MAX + 1];
	size_t		 len;
	int		 cut;		/* the line went past RELAY_LINE_MAX */
	unsigned long	 lines, bytes;	/* this collection */
	unsigned long	 dropped_lines, dropped_bytes;
};

static pthread_mutex_t relay_mu = PTHREAD_MUTEX_INITIALIZER;
static struct relay_slot relay_slots[RELAY_MAX_HELPERS];
static int relay_wake = -1;		/* eventfd: the set changed */
static int relay_ready;			/* relay_slots' fds set to -1 */

/* Static storage starts at fd 0: every slot empty first (relay_mu held). */
static void
relay_init_locked(void)
{
	int i;

	if (relay_ready)
		return;
	for (i = 0; i < RELAY_MAX_HELPERS; i++)
		relay_slots[i].fd = -1;
	relay_ready = 1;
}

/* Counts bytes against s's budget (relay_mu held): 1 if within it. */
static int
relay_admit_locked(struct relay_slot *s, size_t bytes)
{
	if (s->lines + 1 > RELAY_MAX_LINES || s->bytes + bytes >
	    RELAY_MAX_BYTES) {
		s->dropped_lines++;
		s->dropped_bytes += bytes;
		return 0;
	}
	s->lines++;
	s->bytes += bytes;
	return 1;
}

/* The line read so far, escaped and tagged, if the budget allows. */
static void
relay_emit(struct relay_slot *s)
{
	char msg[RELAY_LINE_MAX + 32];

	if (s->len == 0 && !s->cut)
		return;
	s->line[s->len] = '\0';
	if (relay_admit_locked(s, s->len + 1)) {
		(void)snprintf(msg, sizeof(msg), "stderr: %s%s", s->line,
		    s->cut ? " [cut]" : "");
		log_relay(LOG_LEVEL_WARN, s->name, (long)s->pid, msg);
	}
	s->len = 0;
	s->cut = 0;
}

/* Takes n bytes of s's stderr (relay_mu held). */
static void
relay_feed(struct relay_slot *s, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		/* A NUL would end the message early: shown as an escape. */
		if (p[i] == '\n')
			relay_emit(s);
		else if (s->len < RELAY_LINE_MAX)
			s->line[s->len++] = p[i] == '\0' ? '\x1b' : p[i];
		else
			s->cut = 1;
	}
}

/*
 * Reads what s's pipe holds now (relay_mu held); at its end closes it.
 * Returns 1 when the pipe ended.
 */
static int
relay_drain(struct relay_slot *s)
{
	char buf[4096];
	ssize_t n;

	for (;;) {
		n = read(s->fd, buf, sizeof(buf));
		if (n > 0) {
			relay_feed(s, buf, (size_t)n);
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		relay_emit(s);
		close(s->fd);
		s->fd = -1;
		return 1;
	}
}

/* The reading thread: polls every pipe, and the wake-up eventfd. */
static void *
relay_thread(void *arg)
{
	struct pollfd pfd[RELAY_MAX_HELPERS + 1];
	int slot[RELAY_MAX_HELPERS + 1];
	uint64_t v;
	int i, n;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&relay_mu);
		pfd[0].fd = relay_wake;
		pfd[0].events = POLLIN;
		for (i = 0, n = 1; i < RELAY_MAX_HELPERS; i++) {
			if (relay_slots[i].fd == -1)
				continue;
			pfd[n].fd = relay_slots[i].fd;
			pfd[n].events = POLLIN;
			slot[n++] = i;
		}
		pthread_mutex_unlock(&relay_mu);
		if (poll(pfd, (nfds_t)n, -1) == -1)
			continue;
		if (pfd[0].revents != 0)
			(void)!read(relay_wake, &v, sizeof(v));
		pthread_mutex_lock(&relay_mu);
		for (i = 1; i < n; i++) {
			/* Replaced meanwhile: the next round polls it. */
			if (pfd[i].revents == 0 ||
			    relay_slots[slot[i]].fd != pfd[i].fd)
				continue;
			(void)relay_drain(&relay_slots[slot[i]]);
		}
		pthread_mutex_unlock(&relay_mu);
	}
	return NULL;
}

int
relay_start(void)
{
	pthread_mutex_lock(&relay_mu);
	relay_init_locked();
	pthread_mutex_unlock(&relay_mu);
	if ((relay_wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1 ||
	    threads_start(NULL, relay_thread, NULL) != 0)
		return ERR_SYSTEM;
	return 0;
}

void
relay_attach(int id, const char *name, pid_t pid, int fd)
{
	struct relay_slot *s;
	uint64_t one = 1;

	if (id < 0 || id >= RELAY_MAX_HELPERS) {
		close(fd);
		return;
	}
	(void)fcntl(fd, F_SETFL, O_NONBLOCK);
	pthread_mutex_lock(&relay_mu);
	relay_init_locked();
	s = &relay_slots[id];
	/* The instance before: dead, so what its pipe holds is all. */
	if (s->fd != -1 && !relay_drain(s)) {
		relay_emit(s);
		close(s->fd);
	}
	s->fd = fd;
	s->pid = pid;
	s->len = 0;
	s->cut = 0;
	(void)snprintf(s->name, sizeof(s->name), "%s", name);
	pthread_mutex_unlock(&relay_mu);
	if (relay_wake != -1)
		(void)!write(relay_wake, &one, sizeof(one));
}

int
relay_admit(int id, size_t bytes)
{
	int ok;

	if (id < 0 || id >= RELAY_MAX_HELPERS)
		return 0;
	pthread_mutex_lock(&relay_mu);
	ok = relay_admit_locked(&relay_slots[id], bytes);
	pthread_mutex_unlock(&relay_mu);
	return ok;
}

void
relay_scrape(void)
{
	struct relay_slot *s;
	int i;

	pthread_mutex_lock(&relay_mu);
	for (i = 0; i < RELAY_MAX_HELPERS; i++) {
		s = &relay_slots[i];
		if (s->dropped_lines > 0)
			warn_kv(LOG_FIELDS({ "helper", s->name }),
			    "%lu log lines (%lu bytes) past the helper's "
			    "budget of %d lines and %d bytes per collection "
			    "dropped", s->dropped_lines, s->dropped_bytes,
			    RELAY_MAX_LINES, RELAY_MAX_BYTES);
		s->lines = s->bytes = 0;
		s->dropped_lines = s->dropped_bytes = 0;
	}
	pthread_mutex_unlock(&relay_mu);
}
