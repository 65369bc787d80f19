/* SPDX-License-Identifier: Apache-2.0 */
#ifndef UPCLIENT_H
#define UPCLIENT_H

#include <stddef.h>

#include "buf.h"

/*
 * How the promql helper reaches the upstream: credentials, headers, TLS
 * and proxy.  The parent builds it for each collection, from
 * --promserver.config.file and the files that names (read then), or from
 * the user:password of -promserver, and sends it in the QUERY request
 * (lib/proto.h), so that no secret is in a command line, an environment
 * or a file the helper opens.
 *
 * Encoding, at most UPCLIENT_MAX bytes: fields one after another, each
 *
 *	u8 tag, u32 length (big-endian), byte value[length]
 *
 * strings without NUL; integers as u32 in 4 bytes; each tag at most once
 * but UPC_HEADER, whose value is u8 secret, u32 name length, name, then
 * the header's value.  Unknown tags, repeats, bad lengths, NUL bytes and
 * CR or LF in a header are refused whole.
 *
 * Return convention: 0 or a negative ERR_* (lib/err.h).
 */

/* Where the proxy comes from. */
enum upclient_proxy {
	UPCLIENT_PROXY_ENV = 0,		/* http_proxy... (no config file) */
	UPCLIENT_PROXY_NONE = 1,	/* none, whatever the environment */
	UPCLIENT_PROXY_URL = 2,		/* proxy_url (and no_proxy) */
};

/* Headers sent with every query. */
#define UPCLIENT_MAX_HEADERS	256

struct upclient_header {
	char	*name;
	char	*value;
	int	 secret;	/* dropped on a redirect to another host */
};

/*
 * NUL-terminated strings, NULL when not set.  A PEM set inline (ca_pem...)
 * and a path (ca_file...) are never both set: paths are for a libcurl
 * without the *_BLOB options, which then reads the files itself.
 */
struct upclient {
	char			*username;	/* basic auth: with password */
	char			*password;	/* secret */
	char			*auth_type;	/* Authorization: TYPE CRED */
	char			*credentials;	/* secret */
	char			*ca_pem;
	char			*ca_file;
	char			*cert_pem;
	char			*cert_file;
	char			*key_pem;	/* secret */
	char			*key_file;
	char			*server_name;
	int			 insecure;	/* insecure_skip_verify */
	int			 min_version;	/* 0x0301..0x0304, or 0 */
	int			 max_version;
	int			 proxy;		/* enum upclient_proxy */
	char			*proxy_url;	/* secret: may hold one */
	char			*no_proxy;
	int			 follow_redirects;
	struct upclient_header	*headers;
	size_t			 nheaders;
};

/* The settings without a config file: as the original, proxies from the
 * environment and redirects followed. */
void	upclient_defaults(struct upclient *c);

/*
 * Appends c's encoding to out.  Returns 0, or ERR_TOOBIG past
 * UPCLIENT_MAX (out then unchanged), ERR_NUL, ERR_INVAL (a header with CR
 * or LF) or ERR_NOMEM.
 */
int	upclient_put(struct buf *out, const struct upclient *c);

/*
 * Decodes len bytes into *c (copies; upclient_defaults() for what is not
 * there; len 0 is all defaults).  Returns 0, or ERR_TRUNCATED, ERR_TYPE
 * (unknown tag), ERR_INVAL (repeat, bad length or value), ERR_NUL,
 * ERR_TOOBIG or ERR_NOMEM with *c freed and zeroed.
 */
int	upclient_get(const unsigned char *p, size_t len, struct upclient *c);

/*
 * Adds a header (copies).  Returns 0, ERR_TOOBIG past
 * UPCLIENT_MAX_HEADERS or ERR_NOMEM.
 */
int	upclient_add_header(struct upclient *c, const char *name,
	    const char *value, int secret);

/*
 * The user:password@ of an http(s) URL, as Go's net/url reads it: *bare
 * gets url without it (bounded by baresz), *user and *password the
 * decoded (%XX) parts, malloc'd, NULL when absent; *raw and *rawlen where
 * the password stands in url as given (to overwrite copies of it).
 * Returns 0, or ERR_INVAL (a bad %XX, or a NUL it decodes to),
 * ERR_TOOBIG or ERR_NOMEM with nothing allocated.
 */
int	upclient_userinfo(const char *url, char *bare, size_t baresz,
	    char **user, char **password, const char **raw, size_t *rawlen);

/*
 * The TCP port an http(s) URL (or a proxy's, socks5 and the rest) names,
 * or its scheme's; 0 when it names none.  For Landlock's rules.
 */
unsigned int	upclient_url_port(const char *url);

/* Frees what c holds, zeroing the secrets; zeroes *c.  NULL is fine. */
void	upclient_free(struct upclient *c);

#endif /* UPCLIENT_H */
