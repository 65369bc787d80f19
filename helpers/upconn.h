/* SPDX-License-Identifier: Apache-2.0 */
#ifndef UPCONN_H
#define UPCONN_H

#include <stddef.h>

#include <curl/curl.h>

#include "upclient.h"

/*
 * The promql helper's side of lib/upclient.h: a libcurl handle set up to
 * reach the upstream as the settings say (credentials as headers, TLS,
 * proxy), and the redirect rule: libcurl follows no redirect itself; the
 * helper follows one when the settings allow, and a request to another
 * origin (scheme, host and port) than the first one carries no
 * Authorization and no secret header.
 *
 * Return convention: 0 or a negative ERR_* (lib/err.h).
 */

/* Redirects followed per query, as Go's http.Client. */
#define UPCONN_MAX_REDIRECTS	10

/* What libcurl uses without copying, until the transfer ends. */
struct upconn {
	struct curl_slist	*headers;
	struct curl_slist	*connect_to;
};

/*
 * Sets e up for url with c; first is the query's first URL, and trusted
 * is 0 when url's origin is not the first request's.  u receives what
 * must outlive the transfer: release it with upconn_release() once the
 * transfer ended (also after an error).
 * Returns 0, or ERR_NOMEM or ERR_INVAL with why.
 */
int	upconn_setup(CURL *e, const struct upclient *c, const char *url,
	    const char *first, int trusted, struct upconn *u, char *why,
	    size_t whysz);

/* Zeroes (the headers hold credentials) and frees u's lists. */
void	upconn_release(struct upconn *u);

/* 1 when a and b have the same scheme, host and port, else 0. */
int	upconn_same_origin(const char *a, const char *b);

#endif /* UPCONN_H */
