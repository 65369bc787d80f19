/* SPDX-License-Identifier: Apache-2.0 */
#ifndef WEBTLS_H
#define WEBTLS_H

#include <stddef.h>

#include <gnutls/gnutls.h>

#include "webcfg.h"

/*
 * The TLS side of the web configuration, loaded: the PEM of the server's
 * certificate chain, its key and the client CAs, read from the files
 * tls_server_config names (as the user the exporter runs as, following
 * symbolic links, as certbot's live/ links need) or taken inline, checked
 * with GnuTLS (every PEM parses, the key matches the certificate, the
 * versions make a priority string), and what a client must show.
 *
 * libmicrohttpd takes the PEM when a daemon starts (webtls_pems()); after
 * that the key is zeroed (webtls_forget_key()): the daemon's credentials
 * hold it, parsed, and no other copy is left in the parent.  libmicrohttpd
 * asks for a client certificate but does not verify it:
 * webtls_check_client() does, per request, against the CAs of the daemon
 * the connection came to.
 *
 * Return convention: 0 or a negative ERR_* (lib/err.h).
 */

/* A certificate, key or CA file: a chain of a few certificates. */
#define WEBTLS_MAX_PEM		(1024 * 1024)

struct webtls;

/* What libmicrohttpd is started with; NULL where not set. */
struct webtls_pems {
	const char	*cert;		/* chain, leaf first */
	const char	*key;		/* NULL once forgotten */
	const char	*trust;		/* client CAs: set when a client
					 * certificate is asked for */
	const char	*priorities;	/* GnuTLS, from the versions */
};

/*
 * Loads t (t->enabled must be 1).  Returns 0 with *out to release with
 * webtls_free(), or ERR_INVAL, ERR_TOOBIG, ERR_NOMEM or ERR_SYSTEM with
 * *out NULL and one line in err naming the key and the file
 * ("tls_server_config.cert_file /etc/x.pem: cannot open: ...").
 */
int	webtls_load(const struct webcfg_tls *t, struct webtls **out,
	    char *err, size_t errsz);

/* Zeroes and frees.  NULL does nothing. */
void	webtls_free(struct webtls *w);

void	webtls_pems(const struct webtls *w, struct webtls_pems *p);

/* Zeroes and frees the key's PEM: a daemon started with it holds it. */
void	webtls_forget_key(struct webtls *w);

/*
 * Whether the client of session may be served: always with
 * NoClientCert; else its certificate, when sent (required with
 * RequireAndVerifyClientCert, and whenever client_allowed_sans is given),
 * must verify against the client CAs for TLS client use and carry one of
 * the allowed SANs when a list is given.  Returns 0, or ERR_INVAL with why
 * in err (for the debug log; it quotes the client's SANs).
 */
int	webtls_check_client(const struct webtls *w, gnutls_session_t session,
	    char *err, size_t errsz);

#endif /* WEBTLS_H */
