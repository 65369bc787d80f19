/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "web.h"
#include "auth.h"
#include "doors.h"
#include "err.h"
#include "log.h"
#include "webcfg.h"
#include "webtls.h"

/* A loaded configuration, before it is put to use. */
struct web_next {
	struct webcfg	 cfg;
	struct webtls	*tls;		/* NULL: plain HTTP */
};

static char web_path[4096];
static int web_auth_started;
/* In the reload's log line: each says something new to the limiter. */
static unsigned long web_reloads;

/* The headers every answer gets, replaced whole on reload. */
static pthread_mutex_t web_mu = PTHREAD_MUTEX_INITIALIZER;
static struct webcfg_header *web_headers;
static size_t web_nheaders;

/* One line of why a load failed; who reads when a file is refused. */
static void
web_why(int r, const char *why, char *err, size_t errsz)
{
	if (r == ERR_SYSTEM)
		(void)snprintf(err, errsz, "%s: %s (read as uid %u)",
		    web_path, why, (unsigned int)geteuid());
	else
		(void)snprintf(err, errsz, "%s: %s", web_path, why);
}

/* Reads web_path and what it names.  0, or an ERR_* with err. */
static int
web_load(struct web_next *n, char *err, size_t errsz)
{
	char why[512];
	int r;

	memset(n, 0, sizeof(*n));
	if ((r = webcfg_load(web_path, &n->cfg, why, sizeof(why))) != 0) {
		web_why(r, why, err, errsz);
		return r;
	}
	if (n->cfg.tls.enabled && (r = webtls_load(&n->cfg.tls, &n->tls, why,
	    sizeof(why))) != 0) {
		web_why(r, why, err, errsz);
		webcfg_free(&n->cfg);
		return r;
	}
	if (n->cfg.nusers > 0 && !web_auth_started) {
		if (auth_start() != 0) {
			(void)snprintf(err, errsz, "starting the password "
			    "checker thread failed");
			webtls_free(n->tls);
			webcfg_free(&n->cfg);
			return ERR_SYSTEM;
		}
		web_auth_started = 1;
	}
	return 0;
}

/* Takes n's headers over (n keeps none). */
static void
web_take_headers(struct web_next *n)
{
	struct webcfg_header *old;
	size_t nold, i;

	pthread_mutex_lock(&web_mu);
	old = web_headers;
	nold = web_nheaders;
	web_headers = n->cfg.headers;
	web_nheaders = n->cfg.nheaders;
	pthread_mutex_unlock(&web_mu);
	n->cfg.headers = NULL;
	n->cfg.nheaders = 0;
	for (i = 0; i < nold; i++) {
		free(old[i].name);
		free(old[i].value);
	}
	free(old);
}

/*
 * Puts n to use: the daemons first (when TLS is or was on), which may
 * fail and leave everything as it was; then the users and the headers.
 */
static int
web_apply(struct web_next *n, int start, char *err, size_t errsz)
{
	struct webtls *tls = n->tls;
	int r;

	n->tls = NULL;
	if ((start || tls != NULL || doors_tls()) &&
	    (r = doors_open(tls, err, errsz)) != 0)
		return r;
	if ((r = auth_set_users(n->cfg.users, n->cfg.nusers)) != 0) {
		(void)snprintf(err, errsz, "out of memory for the users");
		return r;
	}
	web_take_headers(n);
	if (n->cfg.http2_given)
		warn_kv(LOG_FIELDS({ "file", web_path }),
		    "http_server_config.http2 is accepted but has no effect: "
		    "this exporter serves HTTP/1.1, which HTTP/2 clients fall "
		    "back to");
	return 0;
}

int
web_start(const char *path, char *err, size_t errsz)
{
	struct web_next n;
	int r;

	memset(&n, 0, sizeof(n));
	if (path[0] == '\0')
		return web_apply(&n, 1, err, errsz);
	if ((size_t)snprintf(web_path, sizeof(web_path), "%s", path) >=
	    sizeof(web_path)) {
		(void)snprintf(err, errsz, "--web.config.file: path too long");
		return ERR_INVAL;
	}
	if ((r = web_load(&n, err, errsz)) != 0)
		return r;
	if ((r = web_apply(&n, 1, err, errsz)) == 0)
		info_kv(LOG_FIELDS({ "file", web_path }),
		    "web configuration: %s, %zu basic auth user%s",
		    n.cfg.tls.enabled ? "TLS" : "plain HTTP", n.cfg.nusers,
		    n.cfg.nusers == 1 ? "" : "s");
	webcfg_free(&n.cfg);
	return r;
}

void
web_reload(void)
{
	struct web_next n;
	char err[1024];

	if (web_path[0] == '\0') {
		info_f("SIGHUP: no --web.config.file to read again; restart "
		    "the exporter to change its flags");
		return;
	}
	web_reloads++;
	if (web_load(&n, err, sizeof(err)) != 0 ||
	    web_apply(&n, 0, err, sizeof(err)) != 0) {
		error_kv(LOG_FIELDS({ "file", web_path }, { "err", err }),
		    "web configuration not reloaded (SIGHUP %lu), the "
		    "previous one stays", web_reloads);
		webtls_free(n.tls);
		webcfg_free(&n.cfg);
		return;
	}
	info_kv(LOG_FIELDS({ "file", web_path }),
	    "web configuration reloaded (SIGHUP %lu): %s, %zu basic auth "
	    "user%s", web_reloads, n.cfg.tls.enabled ? "TLS" : "plain HTTP",
	    n.cfg.nusers, n.cfg.nusers == 1 ? "" : "s");
	webcfg_free(&n.cfg);
}

void
web_add_headers(struct MHD_Response *resp)
{
	size_t i;

	pthread_mutex_lock(&web_mu);
	for (i = 0; i < web_nheaders; i++)
		(void)MHD_add_response_header(resp, web_headers[i].name,
		    web_headers[i].value);
	pthread_mutex_unlock(&web_mu);
}

size_t
web_files(const char *path, char files[][WEB_PATH_MAX], size_t max)
{
	struct webcfg c;
	const char *f[3];
	char err[256];
	size_t i, n = 0;

	if (path == NULL || path[0] == '\0' ||
	    webcfg_load(path, &c, err, sizeof(err)) != 0)
		return 0;
	f[0] = c.tls.cert_file;
	f[1] = c.tls.key_file;
	f[2] = c.tls.client_ca_file;
	for (i = 0; i < 3 && n < max; i++)
		if (f[i] != NULL && (size_t)snprintf(files[n], WEB_PATH_MAX,
		    "%s", f[i]) < WEB_PATH_MAX)
			n++;
	webcfg_free(&c);
	return n;
}
