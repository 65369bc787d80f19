/* SPDX-License-Identifier: Apache-2.0 */
#ifndef UPSTREAM_H
#define UPSTREAM_H

#include <stddef.h>

#include "buf.h"
#include "flags.h"
#include "web.h"

/*
 * The parent's side of how the promql helper reaches the upstream: the
 * upstream configuration file (--promserver.config.file, lib/promcfg.h),
 * read at start and again on SIGHUP, and the files it names (passwords,
 * tokens, header files, TLS files), read at every collection as
 * Prometheus reads them per request, so that a rotated token works at
 * the next scrape.  Or, without the file, the user:password of
 * -promserver.  What a collection needs goes to the helper in its QUERY
 * request (lib/upclient.h), never in a command line or an environment.
 *
 * Return convention: 0 or a negative ERR_* (lib/err.h).
 */

/*
 * Start-up: splits the credentials off cfg->promserver (bare gets the URL
 * the helper is given) and loads the file.  Returns 0, or an ERR_* with
 * one line in err that names the flag, key or file and no secret.
 */
int	upstream_init(const struct config *cfg, char *bare, size_t baresz,
	    char *err, size_t errsz);

/*
 * The password of -promserver as it stands in the command line, to
 * overwrite copies of it; NULL when there is none.
 */
const char	*upstream_raw_password(size_t *len);

/* Reads the file again (SIGHUP); logs what came of it. */
void	upstream_reload(void);

/*
 * Appends the client settings of one collection to out (files read now).
 * Returns 0, or an ERR_* with why (naming the file, never its content);
 * any thread.
 */
int	upstream_client(struct buf *out, char *why, size_t whysz);

/*
 * The files the upstream configuration names, at most max: for the
 * parent's Landlock rules.  Returns how many.
 */
size_t	upstream_files(char files[][WEB_PATH_MAX], size_t max);

/*
 * What the promql helper's Landlock rules need beyond what it finds
 * itself: "port:N" for the proxy_url's port, and, with a libcurl without
 * blobs, "path:DIR" for the directories of the TLS files.  Returns how
 * many of out it filled.
 */
#define UPSTREAM_ALLOW_MAX	4
size_t	upstream_helper_allow(char out[][FLAGS_MAX_STR + 8], size_t max);

#endif /* UPSTREAM_H */
