/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "http.h"
#include "buf.h"
#include "collect.h"
#include "deadline.h"
#include "err.h"
#include "flags.h"
#include "caps.h"
#include "log.h"
#include "metrics.h"

/* A client that sends nothing for this long is dropped. */
#define HTTP_IDLE_TIMEOUT_S	10
/* Request line plus headers; Prometheus sends well under 1 KiB. */
#define HTTP_MEMORY_LIMIT	(32 * 1024)

/* Answer this long before the scraper's own timeout... */
#define HTTP_SCRAPER_MARGIN_S	0.5
/* ...but give a scrape at least this long. */
#define HTTP_MIN_SCRAPE_S	0.1

#define CONTENT_TYPE_METRICS	"text/plain; version=0.0.4; charset=utf-8"

struct http_ctx {
	const struct config	*cfg;
	struct collector	*col;
};

static struct http_ctx http_ctx;

static int
http_bind(int family, const struct sockaddr *sa, socklen_t salen)
{
	int fd, one = 1, zero = 0, saved;

	if ((fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* ":port" means every address, IPv4 and IPv6, as the original. */
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, sa, salen) == 0 && listen(fd, 128) == 0)
		return fd;
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int
http_listen(const struct config *cfg, char *err, size_t errsz)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	char port[16];
	int fd = -1, r;

	snprintf(port, sizeof(port), "%u", cfg->port);
	if (cfg->listen_host[0] == '\0') {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_addr = in6addr_any;
		sin6.sin6_port = htons((uint16_t)cfg->port);
		fd = http_bind(AF_INET6, (struct sockaddr *)&sin6,
		    sizeof(sin6));
		/* A host without IPv6 still gets IPv4. */
		if (fd == -1 && errno != EADDRINUSE) {
			memset(&sin, 0, sizeof(sin));
			sin.sin_family = AF_INET;
			sin.sin_addr.s_addr = htonl(INADDR_ANY);
			sin.sin_port = htons((uint16_t)cfg->port);
			fd = http_bind(AF_INET, (struct sockaddr *)&sin,
			    sizeof(sin));
		}
		if (fd == -1)
			snprintf(err, errsz, "listening on :%s: %s", port,
			    strerror(errno));
		return fd;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((r = getaddrinfo(cfg->listen_host, port, &hints, &res)) != 0) {
		snprintf(err, errsz, "--web.listen-address: %s: %s",
		    cfg->listen_host, gai_strerror(r));
		return -1;
	}
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next) {
		fd = http_bind(ai->ai_family, ai->ai_addr, ai->ai_addrlen);
		if (fd == -1)
			snprintf(err, errsz, "listening on %s:%s: %s",
			    cfg->listen_host, port, strerror(errno));
	}
	freeaddrinfo(res);
	return fd;
}

static enum MHD_Result
http_send(struct MHD_Connection *conn, unsigned int status,
    const char *type, char *body, size_t len)
{
	struct MHD_Response *resp;
	enum MHD_Result r;

	resp = MHD_create_response_from_buffer(len, body,
	    MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
		    "GET, HEAD");
	r = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result
http_text(struct MHD_Connection *conn, unsigned int status, const char *msg)
{
	char *body = strdup(msg);

	if (body == NULL)
		return MHD_NO;
	return http_send(conn, status, "text/plain; charset=utf-8", body,
	    strlen(body));
}

static enum MHD_Result
http_landing(struct MHD_Connection *conn)
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
	    "</body></html>\n", PCE_VERSION,
	    http_ctx.cfg->telemetry_path) != 0 ||
	    (body = buf_take(&b, &len)) == NULL) {
		buf_cleanup(&b);
		return MHD_NO;
	}
	return http_send(conn, MHD_HTTP_OK, "text/html; charset=utf-8", body,
	    len);
}

/*
 * The scrape's one deadline, from the moment its request arrived:
 * -timeout, or the scraper's own timeout (as Prometheus announces it)
 * minus half a second when that is sooner, so the answer reaches the
 * scraper before it gives up.
 */
static struct deadline
http_scrape_deadline(struct MHD_Connection *conn)
{
	double seconds = (double)http_ctx.cfg->timeout_s, d;
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
	return deadline_in(seconds);
}

/*
 * A scrape in progress.  The connection is suspended while the collector
 * thread works, so the one HTTP thread keeps serving every other client
 * (an overlapping scrape gets its immediate answer) and idle connections
 * cost a descriptor, not a thread.
 */
struct scrape {
	struct MHD_Connection	*conn;
	struct deadline		 deadline;
	struct buf		 out;
	int			 ret;
	int			 done;
};

static pthread_mutex_t scrape_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t scrape_cv = PTHREAD_COND_INITIALIZER;
static struct scrape *scrape_next;	/* handed to the collector */
static int scrape_busy;			/* a collection is queued or running */

static void *
http_collector(void *arg)
{
	struct scrape *sc;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&scrape_mu);
		while (scrape_next == NULL)
			pthread_cond_wait(&scrape_cv, &scrape_mu);
		sc = scrape_next;
		scrape_next = NULL;
		pthread_mutex_unlock(&scrape_mu);

		sc->ret = collect_scrape(http_ctx.col, sc->deadline, &sc->out);

		pthread_mutex_lock(&scrape_mu);
		sc->done = 1;
		scrape_busy = 0;
		pthread_mutex_unlock(&scrape_mu);
		MHD_resume_connection(sc->conn);
	}
	return NULL;
}

static enum MHD_Result
http_metrics_answer(struct MHD_Connection *conn, struct scrape *sc)
{
	char *body;
	size_t len;

	if (sc->ret != 0) {
		buf_cleanup(&sc->out);
		return http_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "collection failed; see the exporter's log\n");
	}
	if ((body = buf_take(&sc->out, &len)) == NULL)
		return MHD_NO;
	return http_send(conn, MHD_HTTP_OK, CONTENT_TYPE_METRICS, body, len);
}

static enum MHD_Result
http_metrics(struct MHD_Connection *conn, void **con_cls)
{
	struct scrape *sc = *con_cls;
	struct buf b;
	char *body;
	size_t len;
	int busy;

	if (sc != NULL) {
		/* Called again after the collector resumed us. */
		return sc->done ? http_metrics_answer(conn, sc) : MHD_YES;
	}
	pthread_mutex_lock(&scrape_mu);
	busy = scrape_busy;
	if (!busy)
		scrape_busy = 1;
	pthread_mutex_unlock(&scrape_mu);
	if (busy) {
		/* The overlap guard: answered at once, as the original does. */
		warn_f("Collect is still active... - Skipping now");
		buf_init(&b, 4096);
		if (metrics_write_skipped(&b, PCE_VERSION) != 0 ||
		    (body = buf_take(&b, &len)) == NULL) {
			buf_cleanup(&b);
			return MHD_NO;
		}
		return http_send(conn, MHD_HTTP_OK, CONTENT_TYPE_METRICS, body,
		    len);
	}
	if ((sc = calloc(1, sizeof(*sc))) == NULL) {
		pthread_mutex_lock(&scrape_mu);
		scrape_busy = 0;
		pthread_mutex_unlock(&scrape_mu);
		return MHD_NO;
	}
	sc->conn = conn;
	sc->deadline = http_scrape_deadline(conn);
	buf_init(&sc->out, MAX_EXPOSITION);
	*con_cls = sc;
	MHD_suspend_connection(conn);
	pthread_mutex_lock(&scrape_mu);
	scrape_next = sc;
	pthread_cond_signal(&scrape_cv);
	pthread_mutex_unlock(&scrape_mu);
	return MHD_YES;
}

static void
http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct scrape *sc = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (sc == NULL)
		return;
	buf_cleanup(&sc->out);
	free(sc);
	*con_cls = NULL;
}

static enum MHD_Result
http_handle(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	(void)cls;
	(void)version;
	(void)upload_data;
	/* We take no request bodies: drop whatever a client sends. */
	if (*upload_data_size != 0)
		*upload_data_size = 0;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return http_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "method not allowed\n");
	if (strcmp(url, http_ctx.cfg->telemetry_path) == 0)
		return http_metrics(conn, con_cls);
	if (strcmp(url, "/") == 0)
		return http_landing(conn);
	return http_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
}

static void
http_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	if (LOG_LEVEL_DEBUG <= log_current_level)
		log_emitv(LOG_LEVEL_DEBUG, "libmicrohttpd", fmt, ap);
}

struct MHD_Daemon *
http_start(int fd, const struct config *cfg, struct collector *col,
    char *err, size_t errsz)
{
	struct MHD_Daemon *d;
	pthread_t tid;
	unsigned int per_ip;

	http_ctx.cfg = cfg;
	http_ctx.col = col;
	if (pthread_create(&tid, NULL, http_collector, NULL) != 0) {
		snprintf(err, errsz, "starting the collector thread failed");
		return NULL;
	}
	/*
	 * Half the connections per client address: a local user flooding
	 * the port from a login node leaves room for a Prometheus that
	 * scrapes from elsewhere.
	 */
	per_ip = cfg->max_connections / 2;
	if (per_ip < 1)
		per_ip = 1;
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
	    0, NULL, NULL, http_handle, NULL,
	    MHD_OPTION_EXTERNAL_LOGGER, http_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_IDLE_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_MEMORY_LIMIT,
	    MHD_OPTION_NOTIFY_COMPLETED, http_completed, NULL,
	    MHD_OPTION_END);
	if (d == NULL)
		snprintf(err, errsz, "libmicrohttpd could not start on the "
		    "listening socket");
	return d;
}
