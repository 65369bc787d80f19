/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "supervise.h"
#include "err.h"
#include "caps.h"
#include "log.h"
#include "spawner.h"

/* Bytes the parent accepts from one helper beyond its frames in flight. */
#define SUP_READ_CHUNK	65536

static struct spawner *sup_spawner;
/* Set at shutdown: helpers die on purpose then; nothing is restarted. */
static int sup_stopping;

uint64_t
sup_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/*
 * Without the spawner no helper can ever be started again: exit, so that
 * the service manager restarts the whole exporter (httpd's "lost child").
 */
static void
sup_lost_spawner(void)
{
	if (__atomic_load_n(&sup_stopping, __ATOMIC_SEQ_CST))
		return;
	fatal_f("the spawner process is gone; exiting so that the service "
	    "manager can restart the exporter");
}

static int
sup_start(struct helper *h)
{
	char err[256];
	int r;

	r = spawn_helper(sup_spawner, h->id, &h->pid, &h->to_fd, &h->from_fd,
	    err, sizeof(err));
	if (r == -2)
		sup_lost_spawner();
	if (r != 0) {
		error_f("helper %s: %s", h->name, err);
		h->pid = -1;
		return -1;
	}
	/* Never block on a helper: both ends are polled with a deadline. */
	fcntl(h->to_fd, F_SETFL, fcntl(h->to_fd, F_GETFL) | O_NONBLOCK);
	fcntl(h->from_fd, F_SETFL, fcntl(h->from_fd, F_GETFL) | O_NONBLOCK);
	buf_reset(&h->in);
	debug_f("helper %s started, pid %d", h->name, (int)h->pid);
	return 0;
}

static void
sup_describe(int wstatus, char *out, size_t outsz)
{
	if (WIFSIGNALED(wstatus)) {
		snprintf(out, outsz, "killed by signal %s%s",
		    sigabbrev_np(WTERMSIG(wstatus)) != NULL ?
		    sigabbrev_np(WTERMSIG(wstatus)) : "?",
		    WTERMSIG(wstatus) == SIGSYS ?
		    " (sandbox violation)" : "");
	} else if (WIFEXITED(wstatus))
		snprintf(out, outsz, "exited with status %d",
		    WEXITSTATUS(wstatus));
	else
		snprintf(out, outsz, "ended (status 0x%x)", wstatus);
}

/* Kills, reaps, logs how it ended, and starts a fresh one. */
static void
sup_restart(struct helper *h, const char *why)
{
	char how[96];
	int wstatus = 0, r;

	if (h->to_fd != -1)
		close(h->to_fd);
	if (h->from_fd != -1)
		close(h->from_fd);
	h->to_fd = h->from_fd = -1;
	if (__atomic_load_n(&sup_stopping, __ATOMIC_SEQ_CST)) {
		h->pid = -1;
		return;
	}
	r = spawn_kill(sup_spawner, h->id, &wstatus);
	if (r == 0) {
		sup_describe(wstatus, how, sizeof(how));
		/* Killed by us: SIGKILL is expected; say why we did it. */
		error_f("helper %s (pid %d) %s; %s; restarting", h->name,
		    (int)h->pid, why, how);
	} else {
		error_f("helper %s (pid %d) %s", h->name, (int)h->pid, why);
		sup_lost_spawner();
	}
	h->pid = -1;
	h->restarts++;
	(void)sup_start(h);
}

int
sup_init(struct helper *helpers, int n, struct spawner *sp)
{
	int i, ret = 0;

	sup_spawner = sp;
	for (i = 0; i < n; i++) {
		helpers[i].pid = -1;
		helpers[i].to_fd = helpers[i].from_fd = -1;
		buf_init(&helpers[i].in, PROTO_MAX_FRAME + SUP_READ_CHUNK + 8);
		if (helpers[i].enabled && sup_start(&helpers[i]) != 0)
			ret = -1;
	}
	return ret;
}

void
sup_stop(void)
{
	__atomic_store_n(&sup_stopping, 1, __ATOMIC_SEQ_CST);
}

static void sup_fail(struct sup_call *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

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

/* Handles every complete frame buffered for c.  Returns -1 on violation. */
static int
sup_dispatch(struct sup_call *c)
{
	struct helper *h = c->helper;
	const struct sup_handler *t;
	const unsigned char *body;
	struct proto_log lg;
	struct proto_end end;
	char msg[MAX_LOG_MSG + 1], why[256];
	uint8_t type;
	size_t len;
	int r;

	for (;;) {
		r = proto_next(&h->in, &type, &body, &len);
		if (r == 0)
			return 0;
		if (r < 0) {
			sup_fail(c, "protocol violation: bad frame length (%s)",
			    err_str(r));
			return -1;
		}
		if (c->ends >= c->nrequests) {
			sup_fail(c, "protocol violation: %s after END",
			    "record");
			return -1;
		}
		why[0] = '\0';
		if (type == PROTO_LOG) {
			if ((r = proto_get_log(body, len, &lg)) != 0) {
				sup_fail(c, "protocol violation: bad LOG "
				    "record (%s)", err_str(r));
				return -1;
			}
			memcpy(msg, lg.msg.p, lg.msg.len);
			msg[lg.msg.len] = '\0';
			log_relay(lg.level, h->name, (long)h->pid, msg);
		} else if (type == PROTO_END) {
			if ((r = proto_get_end(body, len, &end)) != 0) {
				sup_fail(c, "protocol violation: bad END "
				    "record (%s)", err_str(r));
				return -1;
			}
			c->ends++;
			c->elapsed_us += end.elapsed_us;
			if (end.status != 0 && c->end_status == 0) {
				c->end_status = end.status;
				memcpy(msg, end.reason.p, end.reason.len);
				msg[end.reason.len] = '\0';
				snprintf(c->reason, sizeof(c->reason), "%.500s",
				    msg);
			}
		} else {
			for (t = c->table; t->type != 0; t++)
				if (t->type == type)
					break;
			if (t->type == 0) {
				snprintf(why, sizeof(why), "0x%02x", type);
				sup_fail(c, "protocol violation: record type "
				    "%s not permitted", why);
				return -1;
			}
			if (t->fn(c->ctx, body, len, why, sizeof(why)) != 0) {
				sup_fail(c, "protocol violation: %s", why);
				return -1;
			}
		}
		buf_consume(&h->in, proto_frame_size(len));
	}
}

/* Reads what the helper has sent.  Returns -1 on EOF or error. */
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
			return -1;
		}
		n = read(h->from_fd, p, SUP_READ_CHUNK);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return 0;
		if (n <= 0) {
			sup_fail(c, "%s", n == 0 ? "helper closed its pipe" :
			    strerror(errno));
			return -1;
		}
		buf_commit(&h->in, (size_t)n);
		if (sup_dispatch(c) != 0)
			return -1;
		if (c->ends == c->nrequests)
			return 0;
	}
}

static int
sup_write(struct sup_call *c)
{
	struct helper *h = c->helper;
	ssize_t n;

	while (c->_sent < buf_len(c->request)) {
		n = write(h->to_fd, buf_ptr(c->request) + c->_sent,
		    buf_len(c->request) - c->_sent);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return 0;
		if (n == -1) {
			sup_fail(c, "writing request: %s", strerror(errno));
			return -1;
		}
		c->_sent += (size_t)n;
	}
	return 0;
}

static int
sup_active(const struct sup_call *c)
{
	return !c->failed && c->ends < c->nrequests;
}

void
sup_run(struct sup_call *calls, size_t n, uint64_t deadline_us)
{
	struct pollfd pfd[2 * 8];
	size_t i, k, np;
	uint64_t now, start = sup_now_us();
	int timeout, r;
	short ev;

	for (i = 0; i < n; i++) {
		calls[i].failed = 0;
		calls[i].reason[0] = '\0';
		calls[i].ends = 0;
		calls[i].elapsed_us = 0;
		calls[i].end_status = 0;
		calls[i]._sent = 0;
		if (!calls[i].helper->enabled) {
			sup_fail(&calls[i], "%s", "helper not enabled");
			continue;
		}
		/* Dead since the last scrape: start afresh first. */
		if (calls[i].helper->pid <= 0)
			sup_restart(calls[i].helper, "was not running");
		if (calls[i].helper->pid <= 0)
			sup_fail(&calls[i], "%s", "helper could not start");
	}
	for (;;) {
		np = 0;
		for (i = 0; i < n && i < 8; i++) {
			if (!sup_active(&calls[i]))
				continue;
			ev = POLLIN;
			pfd[np].fd = calls[i].helper->from_fd;
			pfd[np].events = ev;
			pfd[np++].revents = 0;
			if (calls[i]._sent < buf_len(calls[i].request)) {
				pfd[np].fd = calls[i].helper->to_fd;
				pfd[np].events = POLLOUT;
				pfd[np++].revents = 0;
			}
		}
		if (np == 0)
			break;
		now = sup_now_us();
		if (now >= deadline_us) {
			for (i = 0; i < n; i++) {
				if (!sup_active(&calls[i]))
					continue;
				snprintf(calls[i].reason,
				    sizeof(calls[i].reason), "no answer "
				    "within the deadline (%llu ms)",
				    (unsigned long long)
				    ((deadline_us - start) / 1000));
				calls[i].failed = 1;
				sup_restart(calls[i].helper,
				    "missed its deadline");
			}
			break;
		}
		timeout = (int)((deadline_us - now + 999) / 1000);
		if ((r = poll(pfd, (nfds_t)np, timeout)) == -1) {
			if (errno == EINTR)
				continue;
			error_f("poll: %s", strerror(errno));
			timeout = 10;
			continue;
		}
		for (k = 0; k < np; k++) {
			if (pfd[k].revents == 0)
				continue;
			for (i = 0; i < n; i++)
				if (sup_active(&calls[i]) &&
				    (pfd[k].fd == calls[i].helper->from_fd ||
				    pfd[k].fd == calls[i].helper->to_fd))
					break;
			if (i == n)
				continue;
			if (pfd[k].fd == calls[i].helper->to_fd)
				r = sup_write(&calls[i]);
			else
				r = sup_read(&calls[i]);
			if (r != 0) {
				sup_restart(calls[i].helper, calls[i].reason);
				/* Keep the reason the caller sees specific. */
			}
		}
	}
	/* Anything left after END means the helper is out of step. */
	for (i = 0; i < n; i++) {
		if (!calls[i].failed && buf_len(&calls[i].helper->in) != 0) {
			sup_fail(&calls[i], "protocol violation: %s",
			    "bytes after END");
			sup_restart(calls[i].helper, calls[i].reason);
		}
	}
}
