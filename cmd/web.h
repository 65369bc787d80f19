/* SPDX-License-Identifier: Apache-2.0 */
#ifndef WEB_H
#define WEB_H

#include <stddef.h>

#include <microhttpd.h>

/*
 * The web configuration (--web.config.file, lib/webcfg.h) as the front
 * door uses it: TLS on the daemons (doors.h), the users of basic auth
 * (auth.h) and the response headers.  It is read after the spawner was
 * forked and privileges dropped, so no helper or spawner ever holds a
 * key or a hash, and it is read the same way again on SIGHUP: as the
 * user the exporter runs as.  A reload is all or nothing: one that fails
 * keeps the whole previous configuration and says why.
 *
 * Return convention: 0 or a negative ERR_* (lib/err.h).
 */

/*
 * Loads path ("" for none: plain HTTP, no authentication) and opens the
 * doors (doors_init() first).  Returns 0, or an ERR_* with one line in
 * err naming the file and the key.
 */
int	web_start(const char *path, char *err, size_t errsz);

/* Reads the configuration again (SIGHUP); logs what came of it. */
void	web_reload(void);

/*
 * The files the web configuration at path names (certificate, key, CA),
 * at most max: for the parent's Landlock rules.  Returns how many.
 */
#define WEB_PATH_MAX	4096
size_t	web_files(const char *path, char files[][WEB_PATH_MAX], size_t max);

/* Adds the configured headers to resp (every answer gets them). */
void	web_add_headers(struct MHD_Response *resp);

#endif /* WEB_H */
