/* SPDX-License-Identifier: Apache-2.0 */
/*
 * promql helper: runs the three upstream queries at once (libcurl multi),
 * reads each answer as its bytes arrive (lib/json's stream: one series
 * object at a time, nothing kept of the answer) and sends a SERIES record
 * per series at once, one SOURCE_END per query, then END.  Upstream JSON
 * carries user-chosen process names, so it is parsed here, confined.
 */
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>

#include <curl/curl.h>

#include "buf.h"
#include "budget.h"
#include "compat.h"
#include "err.h"
#include "flags.h"
#include "json.h"
#include "caps.h"
#include "log.h"
#include "lustre.h"
#include "proto.h"
#include "query.h"
#include "runtime.h"
#include "sandbox.h"
#include "upclient.h"
#include "upconn.h"

/* Per query, at most this many skipped series are logged one by one. */
#define PROMQL_LOG_SKIPS	5

struct query {
	int		 source;
	struct budget	 budget;
	char		 over[160];	/* why the budget stopped this query */
	CURL		*easy;
	struct upconn	 conn;
	const struct upclient *client;
	struct buf	 url;		/* the first request's */
	char		*first;		/* its effective URL, once known */
	int		 redirects;
	char		 refused[160];	/* why a redirect was not followed */
	struct json_stream *js;		/* reads the answer as it arrives */
	int		 good;		/* its HTTP status is 2xx */
	int		 stopped;	/* reading it failed: aborted */
	uint64_t	 start_us;
	uint32_t	 series;
	uint32_t	 dropped;
	uint32_t	 skipped;
	int		 done;
};

static const char *promql_server;
static const char *promql_range;
/*
 * The ports Landlock lets this helper connect to, for redirects, and the
 * kernel's Landlock ABI, asked before the filter (which forbids asking).
 */
static const struct sbx_landlock *promql_ll;
static int promql_ll_abi;
/* A proxy variable is set: queries may go through it (read once). */
static int promql_env_proxy;

static int	promql_follow(CURLM *, struct query *);

static json_series_fn promql_series, promql_ignore;

/*
 * q's reader, made on the first bytes of an answer: one that sends the
 * series of a 2xx answer, or one that only looks for the upstream's error
 * text in another.  NULL on ERR_NOMEM.
 */
static struct json_stream *
promql_stream(struct query *q)
{
	long code = 0;

	if (q->js != NULL)
		return q->js;
	curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &code);
	q->good = code >= 200 && code <= 299;
	q->js = json_stream_new(q->good ? promql_series : promql_ignore, q);
	return q->js;
}

/*
 * CURLOPT_WRITEFUNCTION: reads the bytes as they come.  Returns 0 (curl
 * aborts the transfer) once a 2xx answer cannot be used: bad JSON, the
 * budget used up, or no memory.
 */
static size_t
promql_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct query *q = arg;
	size_t n = size * nmemb;

	if (promql_stream(q) == NULL) {
		q->stopped = 1;
		return 0;
	}
	/* Another answer's body (an error, a redirect) is only skimmed. */
	if (json_stream_feed(q->js, p, n) != 0 && q->good) {
		q->stopped = 1;
		return 0;
	}
	return n;
}

/* Counts a skipped series; logs the first PROMQL_LOG_SKIPS of a query. */
static void
promql_skip(struct query *q, const char *what, const char *jobid,
    size_t len)
{
	char quoted[128];

	if (q->skipped++ >= PROMQL_LOG_SKIPS)
		return;
	hrt_quote(quoted, sizeof(quoted), jobid == NULL ? "" : jobid, len);
	debug_f("%s: skipping series with jobid \"%s\": %s",
	    query_name(q->source), quoted, what);
}

/* Counts a series as dropped and logs it (promql_skip()); returns 0. */
static int
promql_drop(struct query *q, const char *what, const char *jobid,
    size_t len)
{
	q->dropped++;
	promql_skip(q, what, jobid, len);
	return 0;
}

/* Counts rec against the query's budget, keyed as the parent keys it. */
static int
promql_count(struct query *q, const struct proto_series *rec)
{
	unsigned char key[PROTO_SERIES_KEY_MAX];
	uint32_t idx;
	int r, fresh;

	r = budget_count(&q->budget, key, proto_series_key(rec, key), &idx,
	    &fresh);
	if (r != 0)
		budget_explain(&q->budget, r, q->over, sizeof(q->over));
	return r;
}

/*
 * 1 if s is to be sent, with its jobid parsed into id; else 0.  A series
 * without a usable value, label, jobid or (metadata) target is dropped;
 * one whose jobid does not parse is only logged, and one on an OST is
 * ignored.
 */
static int
promql_wanted(struct query *q, const struct json_series *s,
    struct lustre_jobid *id)
{
	const char *why = NULL;

	if (s->value_status != JSON_VALUE_OK)
		return promql_drop(q, s->value_status ==
		    JSON_VALUE_NONFINITE ? "non-finite value" :
		    "value is not a number", s->jobid, s->jobid_len);
	if (s->label_too_long)
		return promql_drop(q, "label longer than MAX_LABEL bytes",
		    s->jobid, s->jobid_len);
	if (s->jobid == NULL)
		return promql_drop(q, "no jobid label", NULL, 0);
	if (lustre_parse_jobid(s->jobid, s->jobid_len, id, &why) != 0) {
		promql_skip(q, why, s->jobid, s->jobid_len);
		return 0;
	}
	if (q->source != QUERY_METADATA)
		return 1;
	if (s->target == NULL)
		return promql_drop(q, "no target label", s->jobid,
		    s->jobid_len);
	/* OST series are the bulk and never exported: drop early. */
	return lustre_is_mdt_target(s->target, s->target_len);
}

/* Fills rec with the series s of q, whose jobid is id. */
static void
promql_record(const struct query *q, const struct json_series *s,
    const struct lustre_jobid *id, struct proto_series *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->source = (uint8_t)q->source;
	rec->value = s->value;
	if (q->source == QUERY_METADATA) {
		rec->target.p = s->target;
		rec->target.len = s->target_len;
	}
	if (id->kind == LUSTRE_JOBID_JOB) {
		rec->kind = PROTO_KIND_JOB;
		rec->jobid = id->jobid;
	} else {
		rec->kind = PROTO_KIND_PROC;
		rec->uid = id->uid;
		rec->proc.p = id->proc;
		rec->proc.len = id->proc_len;
	}
}

/*
 * The json_series_fn of an answer: sends a SERIES record per wanted
 * series.  Returns 0, or the budget's error once it is used up.
 */
static int
promql_series(const struct json_series *s, void *arg)
{
	struct query *q = arg;
	struct proto_series rec;
	struct lustre_jobid id;
	int r;

	if (!promql_wanted(q, s, &id))
		return 0;
	promql_record(q, s, &id, &rec);
	if ((r = promql_count(q, &rec)) != 0)
		return r;
	if (proto_put_series(hrt_out(), &rec) != 0)
		return promql_drop(q, "series does not fit a record",
		    s->jobid, s->jobid_len);
	q->series++;
	hrt_flush_maybe();
	return 0;
}

/* A json_series_fn that takes nothing, for parsing an error answer. */
static int
promql_ignore(const struct json_series *s, void *arg)
{
	(void)s;
	(void)arg;
	return 0;
}

/* The reason of q's reader: "what: why" into reason. */
static void
promql_json_reason(struct query *q, int r, char *reason, size_t reasonsz)
{
	const char *why = q->js == NULL ? "" : json_stream_reason(q->js);

	if (q->js == NULL)
		snprintf(reason, reasonsz, "%s", err_str(r));
	else
		snprintf(reason, reasonsz, "%s%s%s", err_str(r),
		    why[0] != '\0' ? ": " : "", why);
}

/*
 * Why the finished transfer of q (curl's result cc) failed, into reason;
 * "" if it did not.  Its series have been sent while it arrived.
 */
static void
promql_outcome(struct query *q, CURLcode cc, char *reason, size_t reasonsz)
{
	long code = 0;
	int r;

	reason[0] = '\0';
	curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &code);
	/* Answered with no body at all: the reader says what is missing. */
	if (cc == CURLE_OK && promql_stream(q) == NULL) {
		snprintf(reason, reasonsz, "%s", err_str(ERR_NOMEM));
		return;
	}
	if (q->refused[0] != '\0') {
		snprintf(reason, reasonsz, "%s", q->refused);
	} else if (q->over[0] != '\0') {
		snprintf(reason, reasonsz, "the answer has %s", q->over);
	} else if (q->stopped && q->good) {
		promql_json_reason(q, q->js == NULL ? ERR_NOMEM :
		    json_stream_end(q->js), reason, reasonsz);
	} else if (q->stopped) {
		snprintf(reason, reasonsz, "%s", err_str(ERR_NOMEM));
	} else if (cc != CURLE_OK) {
		snprintf(reason, reasonsz, "%s", curl_easy_strerror(cc));
	} else if (code < 200 || code > 299) {
		/* Read only for the upstream's own error text. */
		r = q->js == NULL ? ERR_JSON_PART : json_stream_end(q->js);
		snprintf(reason, reasonsz, "HTTP status %ld%s%s",
		    code, r == ERR_UPSTREAM ? ": " : "",
		    r == ERR_UPSTREAM ? json_stream_reason(q->js) : "");
	} else if ((r = json_stream_end(q->js)) != 0) {
		/*
		 * The parent keeps a source's series only when its
		 * SOURCE_END says ok, so a failure halfway is harmless.
		 */
		promql_json_reason(q, r, reason, reasonsz);
	}
}

/*
 * Ends query q, whose transfer finished with cc: sends its SERIES records
 * and its SOURCE_END, then frees its answer.  Dies if SOURCE_END cannot be
 * encoded.
 */
static void
promql_finish(struct query *q, CURLcode cc)
{
	struct proto_source_end e;
	char reason[512];

	promql_outcome(q, cc, reason, sizeof(reason));
	memset(&e, 0, sizeof(e));
	e.source = (uint8_t)q->source;
	e.status = reason[0] != '\0';
	e.series = q->series;
	e.dropped = q->dropped;
	e.elapsed_us = deadline_now_us() - q->start_us;
	e.reason.p = reason;
	e.reason.len = strlen(reason);
	if (q->dropped > 0)
		warn_f("%s: %u series dropped (no jobid, target or finite "
		    "value)", query_name(q->source), q->dropped);
	if (proto_put_source_end(hrt_out(), &e) != 0)
		hrt_die("encoding source end failed");
	hrt_flush();
	q->done = 1;
	json_stream_free(q->js);
	q->js = NULL;
	budget_cleanup(&q->budget);
}

/*
 * Prepares query q of source with its own curl handle.  Returns 0, or an
 * ERR_* with q to be released all the same (promql_release()).
 */
static int
promql_setup(struct query *q, int source, long timeout_ms,
    const struct proto_budget *budget, const struct upclient *client,
    char *why, size_t whysz)
{
	int r;

	memset(q, 0, sizeof(*q));
	q->source = source;
	q->client = client;
	if ((r = budget_init_prints(&q->budget, budget)) != 0)
		return r;
	buf_init(&q->url, 16384);
	if ((r = query_url(&q->url, promql_server, promql_range,
	    source)) != 0)
		return r;
	if ((q->easy = curl_easy_init()) == NULL)
		return ERR_NOMEM;
	if ((r = upconn_setup(q->easy, client, buf_ptr(&q->url),
	    buf_ptr(&q->url), 1, &q->conn, why, whysz)) != 0)
		return r;
	curl_easy_setopt(q->easy, CURLOPT_WRITEFUNCTION, promql_write);
	curl_easy_setopt(q->easy, CURLOPT_WRITEDATA, q);
	curl_easy_setopt(q->easy, CURLOPT_PRIVATE, q);
	curl_easy_setopt(q->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(q->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(q->easy, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
#if PCE_CURL_HAS(PROTOCOLS_STR)
	curl_easy_setopt(q->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(q->easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	/*
	 * Before 7.85: the same restriction as a bit mask, which every
	 * libcurl since 7.19.4 takes.  Headers of 7.85 or later mark it
	 * deprecated (a build pretending to be older: make check-compat);
	 * the warning is off for these two calls alone.
	 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	curl_easy_setopt(q->easy, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	curl_easy_setopt(q->easy, CURLOPT_REDIR_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#pragma GCC diagnostic pop
#endif
	curl_easy_setopt(q->easy, CURLOPT_USERAGENT,
	    "prometheus-cluster-exporter/" PCE_VERSION);
	curl_easy_setopt(q->easy, CURLOPT_ACCEPT_ENCODING, "");
	return 0;
}

/* Frees what promql_setup() made of q; q may be all zero. */
static void
promql_release(CURLM *multi, struct query *q)
{
	if (q->easy != NULL) {
		curl_multi_remove_handle(multi, q->easy);
		curl_easy_cleanup(q->easy);
	}
	upconn_release(&q->conn);
	free(q->first);
	buf_cleanup(&q->url);
	json_stream_free(q->js);
	budget_cleanup(&q->budget);
}

/*
 * Sets up the QUERY_COUNT queries of q on multi, all started at start.
 * Returns 0, or an ERR_* with reason set.
 */
static int
promql_start(CURLM *multi, struct query *q, const struct proto_req *req,
    const struct upclient *client, long timeout_ms, uint64_t start,
    char *reason, size_t reasonsz)
{
	char why[256];
	int i, r;

	for (i = 0; i < QUERY_COUNT; i++) {
		why[0] = '\0';
		if ((r = promql_setup(&q[i], i, timeout_ms, &req->budget,
		    client, why, sizeof(why))) == 0 &&
		    curl_multi_add_handle(multi, q[i].easy) != CURLM_OK)
			r = ERR_NOMEM;
		if (r != 0) {
			snprintf(reason, reasonsz, "setting up query %s "
			    "failed%s%s", query_name(i), why[0] != '\0' ?
			    ": " : "", why);
			return r;
		}
		q[i].start_us = start;
	}
	return 0;
}

/*
 * Whether Landlock lets this helper connect to port (always where it
 * does not restrict the network: -sandbox=log or off, an older kernel).
 */
static int
promql_port_allowed(unsigned int port)
{
	size_t i;

	if (promql_ll == NULL || !promql_ll->net || hrt_sandbox_mode() !=
	    SANDBOX_ENFORCE || promql_ll_abi < 4)
		return 1;
	/* Through a proxy only the proxy's port is connected to. */
	for (i = 0; i < promql_ll->nports; i++)
		if (promql_ll->ports[i] == port)
			return 1;
	return 0;
}

/* Whether the queries go through a proxy (whose port Landlock allows). */
static int
promql_proxied(const struct upclient *c)
{
	if (c->proxy == UPCLIENT_PROXY_URL)
		return 1;
	return c->proxy == UPCLIENT_PROXY_ENV && promql_env_proxy;
}

/* Whether an HTTP status is a redirect to follow (GET stays GET). */
static int
promql_is_redirect(long code)
{
	return code == 301 || code == 302 || code == 303 || code == 307 ||
	    code == 308;
}

/*
 * When q's finished transfer was a redirect: follows it (1: q goes on)
 * when the settings allow, with credentials only for the first request's
 * origin; else 0, with q->refused saying why not when it was one.
 */
static int
promql_follow(CURLM *multi, struct query *q)
{
	char *next = NULL, *eff = NULL, why[256];
	long code = 0;
	int trusted, r;

	curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(q->easy, CURLINFO_REDIRECT_URL, &next);
	if (!promql_is_redirect(code) || next == NULL)
		return 0;
	if (!q->client->follow_redirects) {
		snprintf(q->refused, sizeof(q->refused), "HTTP status %ld, a "
		    "redirect, and follow_redirects is false", code);
		return 0;
	}
	if (q->redirects >= UPCONN_MAX_REDIRECTS) {
		snprintf(q->refused, sizeof(q->refused), "more than %d "
		    "redirects", UPCONN_MAX_REDIRECTS);
		return 0;
	}
	if (!promql_proxied(q->client) &&
	    !promql_port_allowed(upclient_url_port(next))) {
		snprintf(q->refused, sizeof(q->refused), "a redirect to port "
		    "%u, where this helper may not connect (the upstream's and "
		    "the proxies' ports only)", upclient_url_port(next));
		return 0;
	}
	if (q->first == NULL) {
		curl_easy_getinfo(q->easy, CURLINFO_EFFECTIVE_URL, &eff);
		if (eff == NULL || (q->first = strdup(eff)) == NULL)
			return 0;
	}
	/* Ours: next lives until the handle is used again. */
	if ((next = strdup(next)) == NULL)
		return 0;
	trusted = upconn_same_origin(next, q->first);
	curl_multi_remove_handle(multi, q->easy);
	upconn_release(&q->conn);
	/* The redirect's own body was read for nothing. */
	json_stream_free(q->js);
	q->js = NULL;
	q->stopped = 0;
	q->redirects++;
	r = upconn_setup(q->easy, q->client, next, buf_ptr(&q->url),
	    trusted, &q->conn, why, sizeof(why));
	free(next);
	if (r != 0 || curl_multi_add_handle(multi, q->easy) != CURLM_OK) {
		snprintf(q->refused, sizeof(q->refused), "following a "
		    "redirect: %.100s", r != 0 ? why : "curl_multi_add_handle "
		    "failed");
		return 0;
	}
	return 1;
}

/*
 * Waits up to a second for the transfers: curl_multi_poll() since libcurl
 * 7.66.  Before (RHEL 8's 7.61), curl_multi_wait() returns at once when
 * it has no descriptor to watch, as while the threaded resolver looks a
 * name up, and the loop would spin on a core; then this sleeps instead,
 * for what libcurl asks (curl_multi_timeout()) but never over 100 ms, as
 * libcurl's documentation of curl_multi_wait() advises.
 */
static CURLMcode
promql_multi_wait(CURLM *multi)
{
#if PCE_CURL_HAS(MULTI_POLL)
	return curl_multi_poll(multi, NULL, 0, 1000, NULL);
#else
	CURLMcode mc;
	long ms = -1;
	int n = 0;

	if ((mc = curl_multi_wait(multi, NULL, 0, 1000, &n)) != CURLM_OK ||
	    n != 0)
		return mc;
	if ((mc = curl_multi_timeout(multi, &ms)) != CURLM_OK)
		return mc;
	if (ms < 0 || ms > 100)
		ms = 100;
	if (ms > 0)
		(void)poll(NULL, 0, (int)ms);
	return CURLM_OK;
#endif
}

/*
 * Runs the transfers of multi to their end, finishing each query as its
 * answer completes.  Returns 0, or ERR_SYSTEM with reason set if libcurl's
 * multi interface fails.
 */
static int
promql_run(CURLM *multi, char *reason, size_t reasonsz)
{
	struct query *qp;
	CURLMsg *msg;
	CURLcode cc;
	int running = 0, left;

	do {
		if (curl_multi_perform(multi, &running) != CURLM_OK) {
			snprintf(reason, reasonsz, "curl_multi_perform failed");
			return ERR_SYSTEM;
		}
		while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    (char **)&qp);
			/* msg is gone once the handle leaves multi. */
			cc = msg->data.result;
			if (cc != CURLE_OK || !promql_follow(multi, qp))
				promql_finish(qp, cc);
		}
		if (running > 0 && promql_multi_wait(multi) != CURLM_OK) {
			snprintf(reason, reasonsz, "waiting for the upstream "
			    "failed (libcurl)");
			return ERR_SYSTEM;
		}
		/* A redirect followed adds a transfer. */
		if (running == 0)
			curl_multi_perform(multi, &running);
	} while (running > 0);
	return 0;
}

/*
 * Answers one QUERY request: the three queries at once, each ended by its
 * SOURCE_END, then END, which fails only if libcurl could not set them up
 * or run them.
 */
static void
promql_query(const struct proto_req *req, struct deadline deadline)
{
	struct query q[QUERY_COUNT];
	struct upclient client;
	CURLM *multi = NULL;
	uint64_t start = deadline_now_us();
	uint32_t records = 0;
	long timeout_ms = (long)deadline_ms_left(deadline);
	char reason[256];
	int i;

	reason[0] = '\0';
	/* Leave a margin for parsing and for the parent to read END. */
	if (timeout_ms > 1000)
		timeout_ms -= 300;
	memset(q, 0, sizeof(q));
	upclient_defaults(&client);
	if ((i = upclient_get(req->client, req->clen, &client)) != 0)
		snprintf(reason, sizeof(reason), "bad upstream settings in "
		    "the request: %s", err_str(i));
	else if ((multi = curl_multi_init()) == NULL)
		snprintf(reason, sizeof(reason), "curl_multi_init failed");
	else if (promql_start(multi, q, req, &client, timeout_ms, start,
	    reason, sizeof(reason)) == 0)
		promql_run(multi, reason, sizeof(reason));
	for (i = 0; i < QUERY_COUNT; i++) {
		records += q[i].series;
		promql_release(multi, &q[i]);
	}
	if (multi != NULL)
		curl_multi_cleanup(multi);
	upclient_free(&client);
	hrt_end(reason[0] != '\0', records, start, reason);
}

/* The hrt_request_fn of this helper. */
static void
promql_request(const struct proto_req *req, struct deadline deadline)
{
	promql_query(req, deadline);
}

/* What TLS and name resolution read. */
static const char *const promql_read_paths[] = {
	"/etc/ssl", "/etc/pki", "/etc/ca-certificates",
	"/usr/share/ca-certificates", "/usr/local/share/ca-certificates",
	"/usr/lib/ssl", "/etc/resolv.conf", "/etc/hosts", "/etc/host.conf",
	"/etc/nsswitch.conf", "/etc/gai.conf", "/etc/services",
	"/etc/protocols", "/etc/ld.so.cache", "/run/systemd/resolve",
	"/var/lib/sss/mc", "/dev/urandom",
	/* Its own figures for the exporter (lib/procstat.h). */
	"/proc/self", "/proc/stat",
};
/* NSS modules are loaded on the first lookup, after confinement. */
static const char *const promql_lib_paths[] = {
	"/lib", "/lib64", "/usr/lib", "/usr/lib64",
};

/*
 * Whether name resolution here goes through a daemon over a unix socket:
 * a hosts: service in /etc/nsswitch.conf other than files, dns and
 * myhostname (resolve, sss, ldap...), or a running nscd.
 */
static int
promql_resolver_daemon(void)
{
	char line[1024], *w, *save;
	FILE *f;
	int daemon = access("/var/run/nscd/socket", F_OK) == 0;

	if ((f = fopen("/etc/nsswitch.conf", "re")) == NULL)
		return daemon;
	while (!daemon && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "hosts:", 6) != 0)
			continue;
		for (w = strtok_r(line + 6, " \t\n", &save); w != NULL;
		    w = strtok_r(NULL, " \t\n", &save)) {
			/* [NOTFOUND=return] and the like are actions. */
			if (w[0] == '[' || strchr(w, ']') != NULL)
				continue;
			if (strcmp(w, "files") != 0 && strcmp(w, "dns") != 0 &&
			    strcmp(w, "myhostname") != 0)
				daemon = 1;
		}
	}
	fclose(f);
	return daemon;
}

/*
 * The promql helper's Landlock rules: read what TLS and name resolution
 * need; connect to the upstream's port, the proxies' of the environment
 * (and, from argv, of proxy_url), and DNS over TCP.
 */
static void
promql_landlock(struct sbx_landlock *ll, int mode)
{
	static const char *const proxies[] = {
		"http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy",
		"ALL_PROXY",
	};
	size_t i;

	ll->net = 1;
	for (i = 0; i < sizeof(promql_read_paths) /
	    sizeof(promql_read_paths[0]); i++)
		sbx_landlock_path(ll, promql_read_paths[i], 0);
	for (i = 0; i < sizeof(promql_lib_paths) /
	    sizeof(promql_lib_paths[0]); i++)
		sbx_landlock_path(ll, promql_lib_paths[i], 1);
	sbx_landlock_port(ll, upclient_url_port(promql_server));
	sbx_landlock_port(ll, 53);
	for (i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++) {
		sbx_landlock_port(ll, upclient_url_port(getenv(proxies[i])));
		if (getenv(proxies[i]) != NULL)
			promql_env_proxy = 1;
	}
	promql_ll = ll;
	/* -sandbox=log and off set no Landlock (nor does valgrind know it). */
	promql_ll_abi = mode == SANDBOX_ENFORCE ? sbx_landlock_abi() : 0;
}

int
main(int argc, char **argv)
{
	static const uint8_t types[] = { PROTO_REQ_QUERY, 0 };
	static struct sbx_landlock ll;
	int mode;

	/*
	 * argv: promql MODE SERVER RANGE [port:N|path:DIR...], as the
	 * spawner builds it: the proxy_url's port, and the TLS files'
	 * directories of a libcurl without blobs, for Landlock.
	 */
	if (argc < 4 || (mode = sbx_mode_parse(argv[1])) == -1 ||
	    hrt_landlock_args(&ll, argc, argv, 4) != 0) {
		fprintf(stderr, "usage: promql enforce|log|off SERVER-URL "
		    "RANGE [port:N|path:DIR...]\n");
		return 2;
	}
	promql_server = argv[2];
	promql_range = argv[3];
	/* Before the sandbox: curl's init may open files (CA bundle). */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		hrt_die("promql: curl_global_init failed");
	promql_landlock(&ll, mode);
	sbx_promql_unix(mode != SANDBOX_ENFORCE || promql_resolver_daemon());
	hrt_init(HELPER_PROMQL, mode, &ll);
	hrt_serve(types, promql_request);
}
