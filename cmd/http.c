/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <microhttpd.h>

#include "http.h"
#include "auth.h"
#include "buf.h"
#include "caps.h"
#include "collect.h"
#include "compat.h"
#include "conns.h"
#include "deadline.h"
#include "doors.h"
#include "encoding.h"
#include "err.h"
#include "flags.h"
#include "gzip.h"
#include "listen.h"
#include "log.h"
#include "logq.h"
#include "metrics.h"
#include "procstat.h"
#include "sockets.h"
#include "threads.h"
#include "web.h"

/* A request must be complete this long after its connection opened. */
#define HTTP_HEADER_MS		5000
/* A kept-alive connection may idle this long between requests. */
#define HTTP_IDLE_MS		120000
/* Request line plus headers; Prometheus sends well under 1 KiB. */
#define HTTP_MEMORY_LIMIT	(32 * 1024)
/* Descriptors kept for everything but connections (helpers, logs). */
#define HTTP_FD_RESERVE		64
/* Fewer connections than this is not a front door. */
#define HTTP_MIN_CONNECTIONS	8
/* The janitor looks at deadlines at least this often. */
#define HTTP_TICK_MS		100
/* What libmicrohttpd asks of a plain answer at a time. */
#define HTTP_PLAIN_BLOCK	(64 * 1024)
/* The overlap guard's line is logged at most once per this long. */
#define HTTP_SKIP_LOG_S		10
/* A failed compression is logged at most once per this long. */
#define HTTP_GZIP_LOG_S		60
/*
 * zlib's level for gzip answers.  The e2e scale test's answer (885 kB)
 * compresses, once per shared result, to 97 kB in 2-3 ms at level 1; to
 * 84 kB in 3-5 ms at level 4, 73 kB in 12-14 ms at level 6.  At site
 * scale the exporter's cost is CPU and the bytes cost nothing: level 1.
 */
#define HTTP_GZIP_LEVEL		1
/* The per-response families (and a skipped scrape's answer) fit this. */
#define HTTP_TAIL_MAX		16384
/* Answer this long before the scraper's own timeout... */
#define HTTP_SCRAPER_MARGIN_S	0.5
/* ...but give a scrape at least this long. */
#define HTTP_MIN_SCRAPE_S	0.1

#define CONTENT_TYPE_METRICS	"text/plain; version=0.0.4; charset=utf-8"
#define CONTENT_TYPE_TEXT	"text/plain; charset=utf-8"
/* http_send()'s flags: the headers of a scrape's answer. */
#define HTTP_VARY		0x1	/* Vary: Accept-Encoding */
#define HTTP_GZIP		0x2	/* Content-Encoding: gzip */
/* The realm of basic auth's challenge. */
#define HTTP_REALM		"prometheus-cluster-exporter"
/* request.auth before the credentials were looked at. */
#define HTTP_AUTH_UNASKED	(-1)

/* A finished collection, shared by the scrapes that take it. */
struct result {
	unsigned int	 refs;		/* under front_mu */
	int		 ret;		/* collect_scrape()'s */
	int		 all_up;	/* every source answered */
	uint64_t	 budget_us;	/* of the scrape it was run for */
	char		*body;		/* the shared part of every answer */
	size_t		 len;
	uint64_t	 done_us;
	/*
	 * body compressed by the first gzip answer, for every other one;
	 * NULL until then, and after a failure (gz_tried).
	 */
	pthread_mutex_t	 gz_mu;
	struct gzip_part *gz;		/* under gz_mu */
	int		 gz_tried;	/* under gz_mu */
};

/*
 * One request, from its headers to its answer: the web configuration's
 * checks, then, for a scrape, its wait for a collection.
 */
struct request {
	struct MHD_Connection	*conn;
	void			*door;	/* its daemon's (doors.h) */
	struct deadline		 deadline;
	uint64_t		 budget_us;	/* deadline less arrival */
	int			 cert_ok;	/* the client may be served */
	int			 auth;	/* enum auth_result, or
					 * HTTP_AUTH_UNASKED; under front_mu */
	int			 orphan;	/* ended while a password check
					 * ran: the check frees it */
	int			 scrape;	/* a scrape, started */
	struct result		*res;	/* NULL when skipped */
	int			 answer;	/* enum metrics_answer */
	int			 done;	/* answered; the connection resumed */
	int			 waiting;	/* in front.waiters */
	struct request		*next;
};

/*
 * What the threads share, under front_mu: the collector runs one
 * collection at a time for the scrapes waiting; the janitor answers those
 * whose deadline comes first; the daemons' threads take recent results.
 */
static struct {
	const struct config	*cfg;
	struct collector	*col;
	struct result		*latest;
	int			 collecting;
	int			 wanted;	/* a collection is asked for */
	struct deadline		 want_deadline;
	uint64_t		 want_budget_us;
	struct request		*waiters;
	unsigned long		 collections;
	unsigned long		 answers[METRICS_ANSWERS];
	unsigned long		 rejected[METRICS_REJECTS];
} front;

static pthread_mutex_t front_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t front_cv;

/*
 * Drops a reference to r (front_mu held); the last one frees it.  A large
 * answer is a mapping of its own (main.c's M_MMAP_THRESHOLD): freeing it
 * gives its pages back without a trim.
 */
static void
result_put(struct result *r)
{
	if (r == NULL || --r->refs > 0)
		return;
	pthread_mutex_destroy(&r->gz_mu);
	gzip_part_free(r->gz);
	free(r->body);
	free(r);
}

/* The descriptor of a connection, or -1. */
static int
http_conn_fd(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	return ci == NULL ? -1 : ci->connect_fd;
}

/* Makes libmicrohttpd see the peer gone: it then closes the connection. */
static void
http_shut(int fd, void *arg)
{
	debug_f("closing connection %d: %s", fd, (const char *)arg);
	(void)shutdown(fd, SHUT_RDWR);
}

/*
 * Queues resp (its reference stays the caller's) with the configured
 * headers and those of flags (HTTP_VARY, HTTP_GZIP).  A 401 carries basic
 * auth's challenge.
 */
static PCE_MHD_RESULT
http_queue(struct request *rq, unsigned int status, const char *type,
    struct MHD_Response *resp, unsigned int flags)
{
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (flags & HTTP_GZIP)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING,
		    "gzip");
	/* Caches keep the two forms of a scrape's answer apart. */
	if (flags & HTTP_VARY)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY,
		    MHD_HTTP_HEADER_ACCEPT_ENCODING);
	web_add_headers(resp);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
		    "GET, HEAD");
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER,
		    "1");
	/* A daemon that gave way to a new configuration drains. */
	if (doors_retired(rq->door))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION,
		    "close");
	if (status == MHD_HTTP_UNAUTHORIZED)
		return MHD_queue_basic_auth_fail_response(rq->conn,
		    HTTP_REALM, resp);
	return MHD_queue_response(rq->conn, status, resp);
}

/* http_queue() of an answer whose body the response takes over (freed). */
static PCE_MHD_RESULT
http_send(struct request *rq, unsigned int status, const char *type,
    char *body, size_t len, unsigned int flags)
{
	struct MHD_Response *resp;
	PCE_MHD_RESULT r;

	resp = MHD_create_response_from_buffer(len, body,
	    MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(body);
		return MHD_NO;
	}
	r = http_queue(rq, status, type, resp, flags);
	MHD_destroy_response(resp);
	return r;
}

/* A short plain-text answer. */
static PCE_MHD_RESULT
http_text(struct request *rq, unsigned int status, const char *msg)
{
	char *body = strdup(msg);

	if (body == NULL)
		return MHD_NO;
	return http_send(rq, status, CONTENT_TYPE_TEXT, body, strlen(body), 0);
}

/* The landing page at /: name, version and a link to the metrics. */
static PCE_MHD_RESULT
http_landing(struct request *rq)
{
	struct buf b;
	char *body;
	size_t len;

	buf_init(&b, 4096);
	if (buf_appendf(&b, "<!DOCTYPE html>\n<html><head><meta "
	    "charset=\"utf-8\"><title>Prometheus Cluster Exporter</title>"
	    "</head>\n<body><h1>Prometheus Cluster Exporter</h1>\n"
	    "<p>Lustre I/O per SLURM account, user, group and process "
	    "name. Version %s.</p>\n<p><a href=\"%s\">Metrics</a></p>\n"
	    "</body></html>\n", PCE_VERSION, front.cfg->telemetry_path) != 0 ||
	    (body = buf_take(&b, &len)) == NULL) {
		buf_cleanup(&b);
		return MHD_NO;
	}
	return http_send(rq, MHD_HTTP_OK, "text/html; charset=utf-8", body,
	    len, 0);
}

/*
 * The scrape's one deadline, from the moment its request arrived:
 * -timeout, or the scraper's own timeout (as Prometheus announces it)
 * minus half a second when that is sooner, so the answer reaches the
 * scraper before it gives up.
 */
static struct deadline
http_scrape_deadline(struct MHD_Connection *conn, uint64_t *budget_us)
{
	double seconds = (double)front.cfg->timeout_s, d;
	const char *v;
	char *end;

	v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "X-Prometheus-Scrape-Timeout-Seconds");
	if (v != NULL) {
		errno = 0;
		d = strtod(v, &end);
		/* A value that is not a positive number is ignored. */
		if (errno == 0 && end != v && *end == '\0' && isfinite(d) &&
		    d > 0 && d - HTTP_SCRAPER_MARGIN_S < seconds) {
			d -= HTTP_SCRAPER_MARGIN_S;
			seconds = d > HTTP_MIN_SCRAPE_S ? d : HTTP_MIN_SCRAPE_S;
		}
	}
	/* One budget per announced timeout, to the microsecond. */
	*budget_us = (uint64_t)(seconds * 1e6);
	return deadline_in(seconds);
}

/* Counts sc's answer and resumes its connection (front_mu held). */
static void
http_settle(struct request *sc, struct result *r, int answer)
{
	sc->res = r;
	if (r != NULL)
		r->refs++;
	sc->answer = answer;
	sc->done = 1;
	sc->waiting = 0;
	front.answers[answer]++;
	MHD_resume_connection(sc->conn);
}

/* Takes sc off the waiters (front_mu held). */
static void
http_unwait(struct request *sc)
{
	struct request **pp;

	for (pp = &front.waiters; *pp != NULL; pp = &(*pp)->next)
		if (*pp == sc) {
			*pp = sc->next;
			break;
		}
	sc->waiting = 0;
}

/*
 * Whether r answers sc: when every source answered, or when the scrape
 * it was collected for had as long as sc gives a collection of its own.
 */
static int
http_result_fits(const struct result *r, const struct request *sc)
{
	return r == NULL || r->all_up || r->budget_us >= sc->budget_us;
}

/* Runs one collection to deadline; the result has one reference. */
static struct result *
http_collect(struct deadline deadline, uint64_t budget_us)
{
	struct result *r;
	struct buf out;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	pthread_mutex_init(&r->gz_mu, NULL);
	buf_init(&out, MAX_EXPOSITION);
	r->refs = 1;
	r->budget_us = budget_us;
	r->ret = collect_scrape(front.col, deadline, &out, &r->all_up);
	if (r->ret == 0 && (r->body = buf_take(&out, &r->len)) == NULL)
		r->ret = ERR_NOMEM;
	buf_cleanup(&out);
	r->done_us = deadline_now_us();
	return r;
}

/*
 * The collector thread: one collection at a time, when a scrape asks; its
 * result answers every scrape waiting and is kept for the next ones.
 */
static void *
http_collector(void *arg)
{
	struct deadline deadline;
	struct request *sc, *next, *pending;
	struct result *r;
	uint64_t budget;
	int first;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&front_mu);
		while (!front.wanted)
			pthread_cond_wait(&front_cv, &front_mu);
		front.wanted = 0;
		front.collecting = 1;
		deadline = front.want_deadline;
		budget = front.want_budget_us;
		front.collections++;
		pthread_mutex_unlock(&front_mu);

		r = http_collect(deadline, budget);

		pthread_mutex_lock(&front_mu);
		result_put(front.latest);
		front.latest = r;
		front.collecting = 0;
		/*
		 * One scrape counts as "collected", the others "shared".  A
		 * result cut short by a deadline sooner than a waiter's own
		 * (a client announcing a tiny timeout) does not answer that
		 * waiter: it waits for the next collection, with its deadline.
		 */
		first = 1;
		pending = NULL;
		for (sc = front.waiters; sc != NULL; sc = next) {
			next = sc->next;
			if (http_result_fits(r, sc)) {
				http_settle(sc, r, first ? METRICS_COLLECTED :
				    METRICS_SHARED);
				first = 0;
				continue;
			}
			sc->next = pending;
			pending = sc;
			if (!front.wanted || front.want_budget_us <
			    sc->budget_us) {
				front.want_deadline = sc->deadline;
				front.want_budget_us = sc->budget_us;
			}
			front.wanted = 1;
		}
		front.waiters = pending;
		/* Nothing may reuse it: only the scrapes it answers hold it. */
		if (front.cfg->min_interval_ms == 0) {
			result_put(front.latest);
			front.latest = NULL;
		}
		pthread_mutex_unlock(&front_mu);
	}
	return NULL;
}

/*
 * Lets go of the latest result once no scrape may reuse it any more
 * (front_mu held): a large site's answer is not held between scrapes.
 */
static void
http_drop_stale(uint64_t now)
{
	if (front.latest != NULL && now >= front.latest->done_us &&
	    now - front.latest->done_us >= front.cfg->min_interval_ms *
	    1000ULL) {
		result_put(front.latest);
		front.latest = NULL;
	}
}

/*
 * The janitor thread: answers waiting scrapes whose deadline came before
 * their collection ended, and closes connections past their deadlines.
 */
static void *
http_janitor(void *arg)
{
	struct request *sc, *next;
	struct timespec ts;
	uint64_t now, wake;

	(void)arg;
	pthread_mutex_lock(&front_mu);
	for (;;) {
		now = deadline_now_us();
		wake = now + HTTP_TICK_MS * 1000ULL;
		for (sc = front.waiters; sc != NULL; sc = next) {
			next = sc->next;
			if (deadline_passed(sc->deadline)) {
				http_unwait(sc);
				/* At most once per 10 s, with a count. */
				log_limited(LOG_LEVEL_WARN, 1,
				    HTTP_SKIP_LOG_S, "Collect is still "
				    "active... - Skipping now");
				http_settle(sc, NULL, METRICS_SKIPPED);
			} else if (sc->deadline.at_us < wake)
				wake = sc->deadline.at_us;
		}
		http_drop_stale(now);
		pthread_mutex_unlock(&front_mu);
		conns_sweep(deadline_now_us(), http_shut, "past its deadline");
		(void)doors_reap();
		pthread_mutex_lock(&front_mu);
		ts.tv_sec = (time_t)(wake / 1000000);
		ts.tv_nsec = (long)(wake % 1000000) * 1000;
		(void)pthread_cond_timedwait(&front_cv, &front_mu, &ts);
	}
	return NULL;
}

/* The per-response families' figures, as of now. */
static void
http_front_now(struct metrics_front *f)
{
	struct conns_stats cs;
	struct procstat ps;

	memset(f, 0, sizeof(*f));
	conns_stats(&cs);
	pthread_mutex_lock(&front_mu);
	f->collections = front.collections;
	memcpy(f->scrapes, front.answers, sizeof(f->scrapes));
	memcpy(f->rejected, front.rejected, sizeof(f->rejected));
	pthread_mutex_unlock(&front_mu);
	f->connections = cs.open;
	f->evicted = cs.evicted;
	f->timed_out = cs.timed_out;
	f->log_dropped = logq_dropped_total();
	if (procstat_read(&ps) == 0) {
		f->have_process = 1;
		f->cpu_seconds = ps.cpu_seconds;
		f->resident_bytes = ps.resident_bytes;
		f->virtual_bytes = ps.virtual_bytes;
		f->open_fds = ps.open_fds;
		f->max_fds = ps.max_fds;
		f->start_time_seconds = ps.start_time_seconds;
	}
}

/* Adds one request header to a's codings when it is Accept-Encoding. */
static PCE_MHD_RESULT
http_accept_field(void *a, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	(void)kind;
	if (key != NULL && value != NULL &&
	    strcasecmp(key, MHD_HTTP_HEADER_ACCEPT_ENCODING) == 0)
		encoding_add(a, value);
	return MHD_YES;
}

/* Whether rq's answer goes in gzip: every Accept-Encoding field counts. */
static int
http_wants_gzip(struct request *rq)
{
	struct encoding_accept a;

	encoding_init(&a);
	(void)MHD_get_connection_values(rq->conn, MHD_HEADER_KIND,
	    http_accept_field, &a);
	return encoding_gzip(&a);
}

/* A compression failed: that answer goes plain (logged, rate-limited). */
static void
http_gzip_failed(int err)
{
	log_limited(LOG_LEVEL_WARN, 1, HTTP_GZIP_LOG_S, "gzip failed: %s; "
	    "answering uncompressed", err_str(err));
}

/*
 * r's shared part compressed: by the first gzip answer of r, under r's
 * lock, then kept for every later one.  NULL when that failed.
 */
static const struct gzip_part *
http_result_gzip(struct result *r)
{
	const struct gzip_part *p;
	uint64_t t0;
	int ret;

	pthread_mutex_lock(&r->gz_mu);
	if (!r->gz_tried) {
		r->gz_tried = 1;
		t0 = deadline_now_us();
		ret = gzip_part_new(r->body, r->len, HTTP_GZIP_LEVEL, &r->gz);
		if (ret != 0)
			http_gzip_failed(ret);
		else
			debug_f("answer compressed once: %zu bytes to %zu in "
			    "%llu us", r->len, gzip_part_size(r->gz),
			    (unsigned long long)(deadline_now_us() - t0));
	}
	p = r->gz;
	pthread_mutex_unlock(&r->gz_mu);
	return p;
}

/*
 * The gzip answer: one member of the result's shared part, compressed
 * once, and tail, the per-response part (a skipped scrape's whole
 * answer).  NULL when compression failed: the answer goes plain.
 */
static char *
http_gzip_body(struct request *sc, const struct buf *tail, size_t *len)
{
	const struct gzip_part *p = NULL;
	struct buf b;
	char *body = NULL;
	int r;

	if (sc->res != NULL && (p = http_result_gzip(sc->res)) == NULL)
		return NULL;
	buf_init(&b, MAX_EXPOSITION);
	r = gzip_member(p, buf_ptr(tail), buf_len(tail), HTTP_GZIP_LEVEL, &b);
	if (r == 0 && (body = buf_take(&b, len)) == NULL)
		r = ERR_NOMEM;
	if (r != 0)
		http_gzip_failed(r);
	buf_cleanup(&b);
	return body;
}

/*
 * A plain answer read straight from the shared result (a reference held
 * until the answer is sent): a large site's answer is not copied per
 * scrape.
 */
struct http_plain {
	struct result	*res;		/* NULL for a skipped scrape */
	char		*tail;		/* the per-response part, owned */
	size_t		 tlen;
};

/* The MHD_ContentReaderCallback of a plain answer. */
static ssize_t
http_plain_read(void *cls, uint64_t pos, char *out, size_t max)
{
	const struct http_plain *a = cls;
	size_t hlen = a->res != NULL ? a->res->len : 0, n;
	const char *from;

	if (pos >= hlen + a->tlen)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (pos < hlen) {
		from = a->res->body + pos;
		n = hlen - (size_t)pos;
	} else {
		from = a->tail + (pos - hlen);
		n = hlen + a->tlen - (size_t)pos;
	}
	if (n > max)
		n = max;
	memcpy(out, from, n);
	return (ssize_t)n;
}

/* The MHD_ContentReaderFreeCallback of a plain answer. */
static void
http_plain_free(void *cls)
{
	struct http_plain *a = cls;

	pthread_mutex_lock(&front_mu);
	result_put(a->res);
	pthread_mutex_unlock(&front_mu);
	free(a->tail);
	free(a);
}

/* Queues sc's plain answer: its result's shared part, if any, then tail. */
static PCE_MHD_RESULT
http_plain_answer(struct request *sc, struct buf *tail, unsigned int flags)
{
	struct MHD_Response *resp;
	struct http_plain *a;
	PCE_MHD_RESULT r;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return MHD_NO;
	if ((a->tail = buf_take(tail, &a->tlen)) == NULL) {
		free(a);
		return MHD_NO;
	}
	pthread_mutex_lock(&front_mu);
	if ((a->res = sc->res) != NULL)
		a->res->refs++;
	pthread_mutex_unlock(&front_mu);
	resp = MHD_create_response_from_callback((a->res != NULL ?
	    a->res->len : 0) + a->tlen, HTTP_PLAIN_BLOCK, http_plain_read, a,
	    http_plain_free);
	if (resp == NULL) {
		http_plain_free(a);
		return MHD_NO;
	}
	r = http_queue(sc, MHD_HTTP_OK, CONTENT_TYPE_METRICS, resp, flags);
	MHD_destroy_response(resp);
	return r;
}

/*
 * The answer: the shared part, then the per-response families, in gzip
 * when the scraper takes it.
 */
static PCE_MHD_RESULT
http_metrics_answer(struct request *sc)
{
	struct metrics_front f;
	struct buf tail;
	char *body = NULL;
	size_t len = 0;
	unsigned int flags = HTTP_VARY;
	PCE_MHD_RESULT ret;
	int r = 0;

	if (sc->res != NULL && sc->res->ret != 0) {
		if ((body = strdup("collection failed; see the exporter's "
		    "log\n")) == NULL)
			return MHD_NO;
		return http_send(sc, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    CONTENT_TYPE_TEXT, body, strlen(body), flags);
	}
	/* The per-response families are as of this response. */
	http_front_now(&f);
	buf_init(&tail, HTTP_TAIL_MAX);
	if (sc->res == NULL)
		r = metrics_write_skipped(&tail, PCE_VERSION);
	if (r != 0 || metrics_write_front(&tail, &f) != 0) {
		buf_cleanup(&tail);
		return MHD_NO;
	}
	if (http_wants_gzip(sc) &&
	    (body = http_gzip_body(sc, &tail, &len)) != NULL) {
		buf_cleanup(&tail);
		return http_send(sc, MHD_HTTP_OK, CONTENT_TYPE_METRICS, body,
		    len, flags | HTTP_GZIP);
	}
	ret = http_plain_answer(sc, &tail, flags);
	buf_cleanup(&tail);
	return ret;
}

/*
 * A scrape: a recent enough result answers at once; else it waits for
 * the running collection, or asks for one.
 */
static PCE_MHD_RESULT
http_metrics(struct request *sc)
{
	uint64_t min_us = front.cfg->min_interval_ms * 1000ULL;

	if (sc->scrape)
		/* Called again once resumed. */
		return sc->done ? http_metrics_answer(sc) : MHD_YES;
	sc->scrape = 1;
	pthread_mutex_lock(&front_mu);
	/*
	 * A recent result answers, unless it was cut short by a deadline
	 * sooner than this scrape's while a source failed: a client that
	 * announces a tiny timeout must not decide what the others get.
	 */
	if (front.latest != NULL && front.latest->ret == 0 && min_us > 0 &&
	    deadline_now_us() - front.latest->done_us < min_us &&
	    http_result_fits(front.latest, sc)) {
		sc->res = front.latest;
		sc->res->refs++;
		sc->answer = METRICS_SHARED;
		sc->done = 1;
		front.answers[METRICS_SHARED]++;
		pthread_mutex_unlock(&front_mu);
		return http_metrics_answer(sc);
	}
	MHD_suspend_connection(sc->conn);
	sc->waiting = 1;
	sc->next = front.waiters;
	front.waiters = sc;
	if (!front.collecting && !front.wanted) {
		front.wanted = 1;
		front.want_deadline = sc->deadline;
		front.want_budget_us = sc->budget_us;
	}
	pthread_cond_broadcast(&front_cv);
	pthread_mutex_unlock(&front_mu);
	return MHD_YES;
}

/* A request ended (answered or not): its connection idles. */
static void
http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *con_cls;
	int orphan = 0;

	(void)cls;
	(void)toe;
	conns_set(http_conn_fd(conn), CONNS_IDLE, deadline_now_us());
	if (rq == NULL)
		return;
	*con_cls = NULL;
	pthread_mutex_lock(&front_mu);
	if (rq->waiting)
		http_unwait(rq);
	result_put(rq->res);
	rq->res = NULL;
	/* Only when its daemon stops: the checker still holds it. */
	if (rq->auth == AUTH_PENDING)
		orphan = rq->orphan = 1;
	pthread_mutex_unlock(&front_mu);
	if (!orphan)
		free(rq);
}

/* A password check ended (the checker thread): the request goes on. */
static void
http_auth_done(void *arg, int result)
{
	struct request *rq = arg;
	int orphan;

	pthread_mutex_lock(&front_mu);
	rq->auth = result;
	if (!(orphan = rq->orphan))
		MHD_resume_connection(rq->conn);
	pthread_mutex_unlock(&front_mu);
	if (orphan)
		free(rq);
}

/* Counts a refusal. */
static void
http_count_reject(int reason)
{
	pthread_mutex_lock(&front_mu);
	front.rejected[reason]++;
	pthread_mutex_unlock(&front_mu);
}

/* The client's address as text, for its share of the password checks. */
static void
http_client(struct MHD_Connection *conn, char *out, size_t outsz)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	(void)snprintf(out, outsz, "?");
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return;
	if (sa->sa_family == AF_INET)
		(void)inet_ntop(AF_INET, &((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr, out, (socklen_t)outsz);
	else if (sa->sa_family == AF_INET6)
		(void)inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)
		    (const void *)sa)->sin6_addr, out, (socklen_t)outsz);
}

/*
 * Asks the checker about the request's credentials (none: denied at
 * once).  Returns the enum auth_result; with AUTH_PENDING the connection
 * is suspended until http_auth_done().
 */
static int
http_ask_auth(struct request *rq)
{
	char client[AUTH_CLIENT_MAX], *user, *pass = NULL;
	int r;

	user = MHD_basic_auth_get_username_password(rq->conn, &pass);
	http_client(rq->conn, client, sizeof(client));
	/* Held until suspended: the answer may come at once. */
	pthread_mutex_lock(&front_mu);
	r = auth_check(user, pass, client, rq->deadline, http_auth_done, rq);
	rq->auth = r;
	if (r == AUTH_PENDING)
		MHD_suspend_connection(rq->conn);
	pthread_mutex_unlock(&front_mu);
	if (user != NULL) {
		explicit_bzero(user, strlen(user));
		MHD_free(user);
	}
	if (pass != NULL) {
		explicit_bzero(pass, strlen(pass));
		MHD_free(pass);
	}
	return r;
}

/*
 * The web configuration's checks, before anything else runs for a
 * request: the client certificate (403), then basic auth (401, or 503
 * when no check fits before the request's deadline).  Returns 1 to go
 * on; else 0 with *ret the handler's answer: a refusal queued, or
 * MHD_YES while a password check runs.
 */
static int
http_admit(struct request *rq, PCE_MHD_RESULT *ret)
{
	char why[512];
	int r;

	if (!rq->cert_ok) {
		if (doors_check_client(rq->door, rq->conn, why,
		    sizeof(why)) != 0) {
			debug_f("client refused: %s", why);
			http_count_reject(METRICS_REJECT_CERTIFICATE);
			*ret = http_text(rq, MHD_HTTP_FORBIDDEN, "a client "
			    "certificate this exporter trusts is required\n");
			return 0;
		}
		rq->cert_ok = 1;
	}
	pthread_mutex_lock(&front_mu);
	r = rq->auth;
	pthread_mutex_unlock(&front_mu);
	if (r == HTTP_AUTH_UNASKED)
		r = auth_enabled() ? http_ask_auth(rq) : AUTH_OK;
	*ret = MHD_YES;
	switch (r) {
	case AUTH_OK:
		return 1;
	case AUTH_PENDING:
		return 0;
	case AUTH_BUSY:
		http_count_reject(METRICS_REJECT_BUSY);
		*ret = http_text(rq, MHD_HTTP_SERVICE_UNAVAILABLE, "too many "
		    "password checks waiting; try again\n");
		return 0;
	default:
		http_count_reject(METRICS_REJECT_CREDENTIALS);
		*ret = http_text(rq, MHD_HTTP_UNAUTHORIZED, "unauthorized\n");
		return 0;
	}
}

/* Connections enter and leave the ledger. */
static void
http_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	int fd = http_conn_fd(conn);

	(void)cls;
	(void)socket_context;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		conns_open(fd, deadline_now_us(), http_shut, "full");
	else
		conns_close(fd);
}

/* libmicrohttpd's access handler: every request comes here. */
static PCE_MHD_RESULT
http_handle(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct request *rq = *con_cls;
	PCE_MHD_RESULT ret;

	(void)version;
	(void)upload_data;
	/*
	 * The first call comes with the headers: the connection is busy
	 * until answered.  Answering only from the next call, once any body
	 * is read, keeps the connection alive (libmicrohttpd closes one
	 * answered from the first call).
	 */
	if (rq == NULL) {
		conns_set(http_conn_fd(conn), CONNS_BUSY, 0);
		if ((rq = calloc(1, sizeof(*rq))) == NULL)
			return MHD_NO;
		rq->conn = conn;
		rq->door = cls;
		rq->auth = HTTP_AUTH_UNASKED;
		rq->deadline = http_scrape_deadline(conn, &rq->budget_us);
		*con_cls = rq;
		return MHD_YES;
	}
	/* We take no request bodies: drop whatever a client sends. */
	if (*upload_data_size != 0) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	/* No collection starts for a request that fails these. */
	if (!http_admit(rq, &ret))
		return ret;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return http_text(rq, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "method not allowed\n");
	if (strcmp(url, front.cfg->telemetry_path) == 0)
		return http_metrics(rq);
	if (strcmp(url, "/") == 0)
		return http_landing(rq);
	return http_text(rq, MHD_HTTP_NOT_FOUND, "not found\n");
}

static void	http_log(void *, const char *, va_list)
    __attribute__((format(printf, 2, 0)));

/* libmicrohttpd's own messages, at debug level. */
static void
http_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	if (LOG_LEVEL_DEBUG <= log_current_level)
		log_emitv(LOG_LEVEL_DEBUG, "libmicrohttpd", fmt, ap);
}

/*
 * The sockets systemd passed (LISTEN_FDS), checked and made close-on-exec
 * so that no helper or command inherits them.  Returns how many, or an
 * ERR_* with a reason in err.
 */
static int
http_systemd_fds(int *fds, size_t maxfds, char *err, size_t errsz)
{
	const char *why = NULL;
	int first, count, i, type, acc, r;
	socklen_t len;

	r = listen_systemd_fds(getenv("LISTEN_PID"), getenv("LISTEN_FDS"),
	    getpid(), &first, &count, &why);
	if (r != 0) {
		snprintf(err, errsz, "--web.systemd-socket: %s", why);
		return r;
	}
	for (i = 0; i < count && (size_t)i < maxfds; i++) {
		len = sizeof(type);
		if (getsockopt(first + i, SOL_SOCKET, SO_TYPE, &type,
		    &len) == -1 || type != SOCK_STREAM ||
		    getsockopt(first + i, SOL_SOCKET, SO_ACCEPTCONN, &acc,
		    &len) == -1 || !acc) {
			snprintf(err, errsz, "--web.systemd-socket: descriptor "
			    "%d is not a listening stream socket", first + i);
			return ERR_INVAL;
		}
		if (fcntl(first + i, F_SETFD, FD_CLOEXEC) == -1) {
			snprintf(err, errsz, "--web.systemd-socket: %s",
			    strerror(errno));
			return ERR_SYSTEM;
		}
		fds[i] = first + i;
	}
	(void)unsetenv("LISTEN_PID");
	(void)unsetenv("LISTEN_FDS");
	(void)unsetenv("LISTEN_FDNAMES");
	info_f("Listening on systemd activated listeners instead of port "
	    "listeners.");
	return i;
}

int
http_listen(const struct config *cfg, int *fds, size_t maxfds, char *err,
    size_t errsz)
{
	size_t i, n = 0;
	int fd;

	if (cfg->systemd_socket)
		return http_systemd_fds(fds, maxfds, err, errsz);
	for (i = 0; i < cfg->nlisten_addr && n < maxfds; i++) {
		fd = sock_listen(cfg->listen_addr[i].host,
		    cfg->listen_addr[i].port, err, errsz);
		if (fd < 0) {
			while (n > 0)
				close(fds[--n]);
			return fd;
		}
		fds[n++] = fd;
	}
	return (int)n;
}

unsigned int
http_fit_connections(unsigned int wanted)
{
	struct rlimit rl;
	rlim_t room;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return wanted;
	/* The soft limit may be raised to the hard one without privilege. */
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	room = rl.rlim_cur > HTTP_FD_RESERVE + HTTP_MIN_CONNECTIONS ?
	    rl.rlim_cur - HTTP_FD_RESERVE : HTTP_MIN_CONNECTIONS;
	if (room >= wanted)
		return wanted;
	warn_f("open-file limit %llu: serving at most %llu connections "
	    "instead of %u (--web.max-connections)", (unsigned long long)
	    rl.rlim_cur, (unsigned long long)room, wanted);
	return (unsigned int)room;
}


int
http_start(const int *fds, size_t n, unsigned int max_connections,
    const struct config *cfg, struct collector *col, char *err,
    size_t errsz)
{
	struct doors_calls calls = {
		.handle = http_handle,
		.completed = http_completed,
		.notify = http_notify,
		.log = http_log,
		/*
		 * libmicrohttpd's own limit sits above the ledger's: closed
		 * connections count against it until libmicrohttpd reaps
		 * them.
		 */
		.max_connections = max_connections + HTTP_FD_RESERVE / 2,
		.idle_s = HTTP_IDLE_MS / 1000,
		.memory_limit = HTTP_MEMORY_LIMIT,
	};
	pthread_condattr_t ca;

	front.cfg = cfg;
	front.col = col;
	pthread_condattr_init(&ca);
	/* Deadlines are on the monotonic clock. */
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&front_cv, &ca);
	pthread_condattr_destroy(&ca);
	if (conns_init(max_connections, HTTP_HEADER_MS, HTTP_IDLE_MS) != 0 ||
	    threads_start(NULL, http_collector, NULL) != 0 ||
	    threads_start(NULL, http_janitor, NULL) != 0) {
		snprintf(err, errsz, "starting the HTTP threads failed");
		return ERR_SYSTEM;
	}
	doors_init(fds, n, &calls);
	return web_start(cfg->web_config_file, err, errsz);
}
