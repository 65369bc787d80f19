/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PROMCFG_H
#define PROMCFG_H

#include <stddef.h>

/*
 * The upstream client configuration (--promserver.config.file): the
 * client side of Prometheus' http_config, as sites write it in scrape and
 * remote-read configurations (prometheus/common config/http_config.go),
 * parsed with libyaml:
 *
 *	basic_auth:		username, password | password_file
 *	authorization:		type (default Bearer),
 *				credentials | credentials_file
 *	bearer_token, bearer_token_file		the older form of
 *				authorization: type Bearer
 *	tls_config:		ca | ca_file, cert | cert_file,
 *				key | key_file, server_name,
 *				insecure_skip_verify, min_version,
 *				max_version (TLS10..TLS13)
 *	proxy_url, no_proxy, proxy_from_environment
 *	follow_redirects	default true
 *	enable_http2		accepted (the caller warns)
 *	http_headers:		NAME: {values: [..], secrets: [..],
 *				files: [..]}
 *
 * As in Prometheus: an unknown key or a repeated one is an error, a plain
 * null is the zero value, an empty file is a valid configuration (no
 * credentials, no proxy, redirects followed), relative paths are joined
 * with the file's directory, and Validate()'s rules hold: at most one of
 * basic_auth, authorization and bearer_token(_file); an inline value and
 * its _file twin never both; authorization type "Basic" (any case) is
 * refused for basic_auth; a client cert needs its key and the reverse;
 * proxy_url and proxy_from_environment not both; no_proxy only with
 * proxy_url; the reserved headers (Authorization, Host, User-Agent,
 * Content-Type, Content-Length, Content-Encoding, Accept-Encoding,
 * Connection, Keep-Alive, Proxy-Authenticate, Proxy-Authorization,
 * WWW-Authenticate, X-Prometheus-Remote-Read-Version,
 * X-Prometheus-Remote-Write-Version, X-Prometheus-Scrape-Timeout-Seconds,
 * X-Amz-Date, X-Amz-Security-Token, X-Amz-Content-Sha256; compared
 * without case) are refused in http_headers.  Refused by name: oauth2 and
 * proxy_connect_header.
 *
 * Stricter than Prometheus, which would take the file and fail later or
 * send something else: a header name that is not an RFC 9110 token, two
 * http_headers names that differ only in case, a header without any
 * value, an empty path in files; a control character other than HTAB in
 * a header value or secret, in authorization credentials or type, or in
 * bearer_token; a proxy_url that is not an http, https, socks5 or socks5h
 * URL with a host; min_version above max_version; YAML anchors, aliases
 * and tags, and a second YAML document (as webcfg).  authorization.type
 * is trimmed of white space as in Go, then "Bearer" when empty.
 *
 * Nothing on disk but the file itself is read here: the files it names
 * are read by the caller, when it needs them.
 */

#define PROMCFG_MAX_FILE	(1024 * 1024)
/* http_headers entries, and values of one header (values + secrets +
 * files). */
#define PROMCFG_MAX_HEADERS	64
#define PROMCFG_MAX_VALUES	16

/* min_version, max_version: 0 when not given. */
enum promcfg_tls_version {
	PROMCFG_TLS10 = 0x0301,
	PROMCFG_TLS11 = 0x0302,
	PROMCFG_TLS12 = 0x0303,
	PROMCFG_TLS13 = 0x0304,
};

struct promcfg_header {
	char		 *name;		/* as given; not reserved */
	char		**values;	/* plain values */
	size_t		  nvalues;
	char		**secrets;	/* secret values */
	size_t		  nsecrets;
	char		**files;	/* paths: each file's content is a
					 * value, a secret */
	size_t		  nfiles;
};

/*
 * Strings are NUL-terminated, without NUL inside, owned by the struct,
 * NULL when not given (or given empty); of each inline value and its
 * _file twin at most one is set.  Paths are joined and cleaned.
 */
struct promcfg {
	int		 basic_auth;		/* basic_auth given */
	char		*username;
	char		*password;		/* secret */
	char		*password_file;
	/*
	 * authorization, or bearer_token(_file) as type Bearer: auth_type
	 * is set ("Bearer" when not given) when either is.
	 */
	char		*auth_type;
	char		*credentials;		/* secret */
	char		*credentials_file;
	char		*ca_pem;		/* tls_config.ca */
	char		*ca_file;
	char		*cert_pem;
	char		*cert_file;
	char		*key_pem;		/* secret */
	char		*key_file;
	char		*server_name;
	int		 insecure_skip_verify;
	int		 min_version;		/* enum promcfg_tls_version */
	int		 max_version;		/* or 0 */
	char		*proxy_url;		/* secret: may hold one */
	char		*no_proxy;
	int		 proxy_from_environment;
	int		 follow_redirects;	/* 1 unless false */
	int		 enable_http2_given;	/* for the caller to warn */
	struct promcfg_header *headers;		/* in file order */
	size_t		 nheaders;
};

/*
 * As webcfg_parse() and webcfg_load() (lib/webcfg.h), same conventions:
 * *out zeroed on entry, 0 or ERR_INVAL / ERR_NUL / ERR_TOOBIG / ERR_NOMEM
 * / ERR_SYSTEM with one line in err naming the key by its path
 * ("tls_config.ca_fil: unknown key (line 3, column 3)"), never a secret,
 * not the file's name.  Copies of the text are zeroed before they are
 * freed.
 */
int	promcfg_parse(const char *text, size_t len, const char *dir,
	    struct promcfg *out, char *err, size_t errsz);
int	promcfg_load(const char *path, struct promcfg *out, char *err,
	    size_t errsz);

/* Releases what c holds, zeroing the secrets first; zeroes *c. */
void	promcfg_free(struct promcfg *c);

#endif /* PROMCFG_H */
