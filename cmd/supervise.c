/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "supervise.h"
#include "caps.h"
#include "err.h"
#include "intake.h"
#include "log.h"
#include "relay.h"
#include "signame.h"
#include "spawner.h"
#include "threads.h"

/* Bytes the parent accepts from one helper beyond its frames in flight. */
#define SUP_READ_CHUNK		65536
/* Time one call to the spawner may take outside a scrape. */
#define SUP_SPAWN_SECONDS	2.0
/* A helper that dies sooner than this after its start died "quickly". */
#define SUP_QUICK_US		(10 * 1000000ULL)
/* Backoff after the second quick death, doubling up to the maximum. */
#define SUP_BACKOFF_MIN_US	(1000000ULL)
#define SUP_BACKOFF_MAX_US	(30 * 1000000ULL)
/* The supervisor looks at its helpers at least this often. */
#define SUP_TICK_MS		1000
/* Most calls one sup_run() serves (two fds each in the poll set). */
#define SUP_MAX_CALLS		8

static struct spawner *sup_spawner;
static struct helper *sup_helpers;
static int sup_nhelpers;
/* Written by a collection that needs the supervisor, read by it. */
static int sup_wake[2] = { -1, -1 };
/* Set at shutdown: helpers die on purpose then; nothing is restarted. */
static int sup_stopping;

/* 1 once sup_stop() was called. */
static int
sup_is_stopping(void)
{
	return __atomic_load_n(&sup_stopping, __ATOMIC_SEQ_CST);
}

/*
 * Without the spawner no helper can ever be started again: exit, so that
 * the service manager restarts the whole exporter (httpd's "lost child").
 */
static void
sup_lost_spawner(void)
{
	if (sup_is_stopping())
		return;
	fatal_f("the spawner process is gone; exiting so that the service "
	    "manager can restart the exporter");
}

/* Tells the supervisor thread to look at its helpers now. */
static void
sup_poke(void)
{
	char c = 1;

	/* A full pipe already holds a wake-up: nothing is lost. */
	if (sup_wake[1] != -1 && write(sup_wake[1], &c, 1) == -1 &&
	    errno != EAGAIN)
		debug_f("waking the supervisor: %s", strerror(errno));
}

/* How a wait status ended the process, in words. */
static void
sup_describe(int wstatus, char *out, size_t outsz)
{
	if (WIFSIGNALED(wstatus)) {
		snprintf(out, outsz, "killed by signal %s%s",
		    signame(WTERMSIG(wstatus)) != NULL ?
		    signame(WTERMSIG(wstatus)) : "?",
		    WTERMSIG(wstatus) == SIGSYS ?
		    " (sandbox violation)" : "");
	} else if (WIFEXITED(wstatus))
		snprintf(out, outsz, "exited with status %d",
		    WEXITSTATUS(wstatus));
	else
		snprintf(out, outsz, "ended (status 0x%x)", wstatus);
}

/* pid as the text of a log field, in buf (24 bytes). */
static const char *
sup_pid_text(pid_t pid, char *buf)
{
	snprintf(buf, 24, "%d", (int)pid);
	return buf;
}

/* Starts h (lock held).  Returns 0, ERR_TIMEOUT or ERR_SYSTEM. */
static int
sup_start(struct helper *h, struct deadline deadline)
{
	char err[256], pid[24];
	int r, log_fd;

	r = spawn_helper(sup_spawner, h->id, deadline, &h->pid, &h->to_fd,
	    &h->from_fd, &log_fd, err, sizeof(err));
	if (r == ERR_EOF)
		sup_lost_spawner();
	if (r != 0) {
		error_kv(LOG_FIELDS({ "helper", h->name }, { "err",
		    r == ERR_TIMEOUT ? "the spawner did not answer in time" :
		    err }), "helper not started");
		h->pid = -1;
		h->to_fd = h->from_fd = -1;
		return r == ERR_TIMEOUT ? ERR_TIMEOUT : ERR_SYSTEM;
	}
	relay_attach(h->id, h->name, h->pid, log_fd);
	/* Never block on a helper: both ends are polled with a deadline. */
	if (fcntl(h->to_fd, F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(h->from_fd, F_SETFL, O_NONBLOCK) == -1)
		warn_kv(LOG_FIELDS({ "helper", h->name },
		    { "err", strerror(errno) }), "O_NONBLOCK failed");
	buf_reset(&h->in);
	h->dead = 0;
	__atomic_store_n(&h->exited_pid, 0, __ATOMIC_SEQ_CST);
	h->started_us = deadline_now_us();
	debug_kv(LOG_FIELDS({ "helper", h->name },
	    { "pid", sup_pid_text(h->pid, pid) }),
	    "helper started");
	return 0;
}

/*
 * Sets when h may start again (lock held): at once, unless it failed
 * quickly twice or more in a row; then after 1 s, 2 s, ... up to 30 s.
 */
static void
sup_backoff(struct helper *h, int quick)
{
	unsigned int n;

	h->quick_deaths = quick ? h->quick_deaths + 1 : 0;
	h->next_start_us = deadline_now_us();
	if (h->quick_deaths < 2)
		return;
	n = h->quick_deaths - 2;
	h->next_start_us += n >= 5 ? SUP_BACKOFF_MAX_US :
	    SUP_BACKOFF_MIN_US << n;
}

/*
 * Marks h dead (lock held): its pipes are closed at once, so nothing more
 * is read from it, and the supervisor kills what is left and restarts it.
 * on_purpose: we gave up on it (deadline, protocol); otherwise it died by
 * itself, which counts towards the backoff.
 */
static void
sup_bury(struct helper *h, const char *why, int on_purpose)
{
	uint64_t now = deadline_now_us();
	char pid[24];

	if (h->to_fd != -1)
		close(h->to_fd);
	if (h->from_fd != -1)
		close(h->from_fd);
	h->to_fd = h->from_fd = -1;
	buf_reset(&h->in);
	if (h->dead || sup_is_stopping())
		return;
	h->dead = 1;
	__atomic_add_fetch(&h->restarts, 1, __ATOMIC_SEQ_CST);
	sup_backoff(h, !on_purpose && now - h->started_us < SUP_QUICK_US);
	(void)sup_pid_text(h->pid, pid);
	if (h->quick_deaths >= 2) {
		error_kv(LOG_FIELDS({ "helper", h->name }, { "pid", pid },
		    { "err", why }), "helper lost; it died %u times in a row "
		    "within %llu s of its start: next start in %llu s",
		    h->quick_deaths, SUP_QUICK_US / 1000000ULL,
		    (h->next_start_us - now) / 1000000ULL);
	} else
		error_kv(LOG_FIELDS({ "helper", h->name }, { "pid", pid },
		    { "err", why }), "helper lost; restarting");
	sup_poke();
}

/*
 * Kills and reaps a dead helper's instance (lock held).  Returns 0 when
 * none is left; ERR_TIMEOUT leaves it for the next try.
 */
static int
sup_reap(struct helper *h, struct deadline deadline)
{
	char how[96], pid[24];
	int wstatus = 0, r;

	if (h->pid <= 0)
		return 0;
	r = spawn_kill(sup_spawner, h->id, h->pid, deadline, &wstatus);
	if (r == ERR_EOF)
		sup_lost_spawner();
	(void)sup_pid_text(h->pid, pid);
	if (r == ERR_TIMEOUT) {
		warn_kv(LOG_FIELDS({ "helper", h->name }, { "pid", pid }),
		    "the spawner did not answer in time; trying again");
		return r;
	}
	if (r == 0) {
		sup_describe(wstatus, how, sizeof(how));
		info_kv(LOG_FIELDS({ "helper", h->name }, { "pid", pid },
		    { "status", how }), "helper ended");
	}
	/* ERR_NOTFOUND: the spawner holds no such instance any more. */
	h->pid = -1;
	return 0;
}

/*
 * Whether a helper reported ended really is: its end of the record pipe
 * has closed.  An event names a pid, and a pid can come back for the next
 * instance (the kernel is free to reuse it once the old one is reaped).
 */
static int
sup_pipe_closed(const struct helper *h)
{
	struct pollfd pfd = { h->from_fd, POLLIN, 0 };

	return h->from_fd == -1 || (poll(&pfd, 1, 0) == 1 &&
	    (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0);
}

/*
 * Brings h up if it is dead or not running and its backoff has passed
 * (lock held).  Returns 0 when it runs, ERR_TIMEOUT, ERR_SYSTEM, or
 * ERR_RANGE while backing off.
 */
static int
sup_revive(struct helper *h, struct deadline deadline)
{
	pid_t ended = __atomic_load_n(&h->exited_pid, __ATOMIC_SEQ_CST);
	int r;

	if (h->pid > 0 && !h->dead && ended != h->pid)
		return 0;
	if (h->pid > 0 && !h->dead && !sup_pipe_closed(h)) {
		/* The event was about an earlier instance with this pid. */
		__atomic_store_n(&h->exited_pid, 0, __ATOMIC_SEQ_CST);
		return 0;
	}
	if (h->pid > 0 && !h->dead)
		sup_bury(h, "ended while idle", 0);
	if (deadline_now_us() < h->next_start_us)
		return ERR_RANGE;
	if ((r = sup_reap(h, deadline)) != 0)
		return r;
	/* A helper that cannot start is retried with the same backoff. */
	if ((r = sup_start(h, deadline)) == ERR_SYSTEM)
		sup_backoff(h, 1);
	return r;
}

int
sup_init(struct helper *helpers, int n, struct spawner *sp)
{
	int i, ret = 0;

	sup_spawner = sp;
	sup_helpers = helpers;
	sup_nhelpers = n;
	if (pipe2(sup_wake, O_CLOEXEC | O_NONBLOCK) == -1)
		return ERR_SYSTEM;
	for (i = 0; i < n; i++) {
		pthread_mutex_init(&helpers[i].lock, NULL);
		helpers[i].pid = -1;
		helpers[i].to_fd = helpers[i].from_fd = -1;
		buf_init(&helpers[i].in, PROTO_MAX_FRAME + SUP_READ_CHUNK + 8);
		if (helpers[i].enabled && sup_start(&helpers[i],
		    deadline_in(SUP_SPAWN_SECONDS)) != 0)
			ret = ERR_SYSTEM;
	}
	return ret;
}

/* Records what the spawner reported ended; the rest is done under lock. */
static void
sup_read_events(void)
{
	char num[24];
	pid_t pid;
	int id, r;

	while ((r = spawn_event(sup_spawner, &id, &pid)) == 1) {
		if (id < 0 || id >= sup_nhelpers)
			continue;
		__atomic_store_n(&sup_helpers[id].exited_pid, pid,
		    __ATOMIC_SEQ_CST);
		debug_kv(LOG_FIELDS({ "helper", sup_helpers[id].name },
		    { "pid", sup_pid_text(pid, num) }), "helper ended");
	}
	if (r == ERR_EOF)
		sup_lost_spawner();
}

/* Milliseconds until the supervisor should look again. */
static int
sup_next_tick(void)
{
	uint64_t now = deadline_now_us(), wait_us = SUP_TICK_MS * 1000ULL;
	int i;

	for (i = 0; i < sup_nhelpers; i++) {
		struct helper *h = &sup_helpers[i];

		if (!h->enabled || pthread_mutex_trylock(&h->lock) != 0)
			continue;
		if ((h->dead || h->pid <= 0) && h->next_start_us > now &&
		    h->next_start_us - now < wait_us)
			wait_us = h->next_start_us - now;
		pthread_mutex_unlock(&h->lock);
	}
	return (int)(wait_us / 1000) + 1;
}

/* The supervisor thread: deaths and restarts, for ever. */
static void *
sup_thread(void *arg)
{
	struct pollfd pfd[2];
	char drain[64];
	int i;

	(void)arg;
	for (;;) {
		pfd[0].fd = spawn_event_fd(sup_spawner);
		pfd[0].events = POLLIN;
		pfd[1].fd = sup_wake[0];
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, sup_next_tick()) == -1 && errno != EINTR)
			error_f("supervisor: poll: %s", strerror(errno));
		if (sup_is_stopping())
			return NULL;
		while (read(sup_wake[0], drain, sizeof(drain)) > 0)
			;
		sup_read_events();
		/*
		 * A helper in use by a collection is left to it: it sees the
		 * death itself and pokes us when it lets go.
		 */
		for (i = 0; i < sup_nhelpers; i++) {
			struct helper *h = &sup_helpers[i];

			if (!h->enabled ||
			    pthread_mutex_trylock(&h->lock) != 0)
				continue;
			(void)sup_revive(h, deadline_in(SUP_SPAWN_SECONDS));
			pthread_mutex_unlock(&h->lock);
		}
	}
	return NULL;
}

int
sup_start_thread(void)
{
	return threads_start(NULL, sup_thread, NULL);
}

void
sup_stop(void)
{
	__atomic_store_n(&sup_stopping, 1, __ATOMIC_SEQ_CST);
}

unsigned long
sup_restarts(const struct helper *h)
{
	return __atomic_load_n(&h->restarts, __ATOMIC_SEQ_CST);
}

static void sup_fail(struct sup_call *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* Fails c with a reason (the first reason stays). */
static void
sup_fail(struct sup_call *c, const char *fmt, ...)
{
	va_list ap;

	if (c->failed)
		return;
	c->failed = 1;
	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
}

/*
 * Relayed LOG records, tagged with the helper's name and pid, within the
 * helper's log budget per collection (cmd/relay.h).
 */
static void
sup_log(void *arg, int level, const char *msg)
{
	const struct helper *h = arg;

	if (relay_admit(h->id, strlen(msg) + 1))
		log_relay(level, h->name, (long)h->pid, msg);
}

/*
 * Reads what the helper has sent and hands it to the trust boundary.
 * Returns 0 (more may come), ERR_EOF when the helper is gone, ERR_INVAL
 * on a protocol violation; c is failed with the reason then.
 */
static int
sup_read(struct sup_call *c)
{
	struct helper *h = c->helper;
	char *p;
	ssize_t n;

	for (;;) {
		if (buf_space(&h->in, SUP_READ_CHUNK, &p) != 0) {
			sup_fail(c, "protocol violation: %s",
			    "frame larger than PROTO_MAX_FRAME");
			return ERR_INVAL;
		}
		n = read(h->from_fd, p, SUP_READ_CHUNK);
		/* A signal may interrupt a read of a pipe. */
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return 0;
		if (n <= 0) {
			sup_fail(c, "%s", n == 0 ? "helper closed its pipe" :
			    strerror(errno));
			return ERR_EOF;
		}
		buf_commit(&h->in, (size_t)n);
		if (intake_feed(c->intake, c->answer, &h->in) != 0) {
			sup_fail(c, "%s", c->answer->reason);
			return ERR_INVAL;
		}
		if (c->answer->ends == c->answer->nrequests)
			return 0;
	}
}

/* Writes what the pipe takes of the request; 0, or ERR_EOF (c failed). */
static int
sup_write(struct sup_call *c)
{
	struct helper *h = c->helper;
	ssize_t n;

	while (c->sent < buf_len(c->request)) {
		n = write(h->to_fd, buf_ptr(c->request) + c->sent,
		    buf_len(c->request) - c->sent);
		/* A signal may interrupt a write to a full pipe. */
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return 0;
		if (n == -1) {
			/* EPIPE: the helper is gone. */
			sup_fail(c, "writing request: %s", strerror(errno));
			return ERR_EOF;
		}
		c->sent += (size_t)n;
	}
	return 0;
}

/* 1 while c waits for END records. */
static int
sup_active(const struct sup_call *c)
{
	return !c->failed && c->answer->ends < c->answer->nrequests;
}

/*
 * Takes c's helper for the call and makes sure it runs.  On failure the
 * call is failed with a reason.
 */
static void
sup_begin(struct sup_call *c, struct deadline deadline)
{
	struct helper *h = c->helper;
	uint64_t now;
	int r;

	memset(&c->failed, 0, sizeof(*c) - offsetof(struct sup_call,
	    failed));
	c->answer->log = sup_log;
	c->answer->log_arg = h;
	if (!h->enabled) {
		sup_fail(c, "%s", "helper not enabled");
		return;
	}
	if (threads_lock(&h->lock, deadline) != 0) {
		sup_fail(c, "%s", "helper busy until the deadline");
		return;
	}
	c->locked = 1;
	if ((r = sup_revive(h, deadline)) == ERR_RANGE) {
		now = deadline_now_us();
		sup_fail(c, "helper is backing off after repeated deaths; "
		    "next start in %llu ms", (unsigned long long)
		    ((h->next_start_us - now) / 1000));
	} else if (r != 0)
		sup_fail(c, "%s", "helper could not start");
	else if (buf_len(&h->in) != 0) {
		/* Bytes while idle: the helper is out of step. */
		sup_fail(c, "protocol violation: %s", "bytes between requests");
		sup_bury(h, c->reason, 1);
	} else
		c->restarts = sup_restarts(h);
}

/* Lets go of c's helper; a helper at fault is buried first. */
static void
sup_finish(struct sup_call *c, int at_fault, int on_purpose)
{
	struct helper *h = c->helper;

	if (!c->locked)
		return;
	if (at_fault)
		sup_bury(h, c->reason, on_purpose);
	c->locked = 0;
	pthread_mutex_unlock(&h->lock);
}

/*
 * Fills pfd with what the active calls wait for, owner[k] naming the call
 * of pfd[k].  Returns how many; 0 when every call is done.
 */
static size_t
sup_wants(struct sup_call *calls, size_t n, struct pollfd *pfd,
    size_t *owner)
{
	size_t i, np = 0;

	for (i = 0; i < n; i++) {
		if (!sup_active(&calls[i]))
			continue;
		pfd[np].fd = calls[i].helper->from_fd;
		pfd[np].events = POLLIN;
		pfd[np].revents = 0;
		owner[np++] = i;
		if (calls[i].sent < buf_len(calls[i].request)) {
			pfd[np].fd = calls[i].helper->to_fd;
			pfd[np].events = POLLOUT;
			pfd[np].revents = 0;
			owner[np++] = i;
		}
	}
	return np;
}

/* Fails every call still active at the deadline. */
static void
sup_expire(struct sup_call *calls, size_t n, struct deadline deadline,
    uint64_t start_us)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!sup_active(&calls[i]))
			continue;
		sup_fail(&calls[i], "no answer within the deadline (%llu ms)",
		    (unsigned long long)((deadline.at_us - start_us) / 1000));
		/* Asked nothing yet: it is not at fault. */
		sup_finish(&calls[i], calls[i].sent > 0, 1);
	}
}

/* Serves the ready descriptors; a helper at fault is buried. */
static void
sup_serve(struct sup_call *calls, const struct pollfd *pfd,
    const size_t *owner, size_t np)
{
	struct sup_call *c;
	size_t k;
	int r;

	for (k = 0; k < np; k++) {
		c = &calls[owner[k]];
		/* An earlier descriptor of the same call may have ended it. */
		if (pfd[k].revents == 0 || !sup_active(c))
			continue;
		r = pfd[k].events == POLLOUT ? sup_write(c) : sup_read(c);
		/* Died by itself, or we give up on it (a violation). */
		if (r != 0)
			sup_finish(c, 1, r != ERR_EOF);
	}
}

/* Bytes after the last END are a violation; every helper is let go. */
static void
sup_close(struct sup_call *calls, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (calls[i].locked && !calls[i].failed &&
		    intake_close(calls[i].answer,
		    &calls[i].helper->in) != 0) {
			sup_fail(&calls[i], "%s", calls[i].answer->reason);
			sup_finish(&calls[i], 1, 1);
		}
		sup_finish(&calls[i], 0, 0);
	}
}

void
sup_run(struct sup_call *calls, size_t n, struct deadline deadline)
{
	struct pollfd pfd[2 * SUP_MAX_CALLS];
	size_t owner[2 * SUP_MAX_CALLS], i, np;
	uint64_t start = deadline_now_us();

	for (i = 0; i < n; i++) {
		if (i >= SUP_MAX_CALLS)
			sup_fail(&calls[i], "%s", "too many calls at once");
		else
			sup_begin(&calls[i], deadline);
	}
	while ((np = sup_wants(calls, n, pfd, owner)) > 0) {
		if (deadline_passed(deadline)) {
			sup_expire(calls, n, deadline, start);
			break;
		}
		if (poll(pfd, (nfds_t)np, deadline_poll_ms(deadline)) == -1) {
			if (errno != EINTR)
				error_f("poll: %s", strerror(errno));
			continue;
		}
		sup_serve(calls, pfd, owner, np);
	}
	sup_close(calls, n);
}
