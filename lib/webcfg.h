/* SPDX-License-Identifier: Apache-2.0 */
#ifndef WEBCFG_H
#define WEBCFG_H

#include <stddef.h>

/*
 * The web configuration file (--web.config.file) of the Prometheus
 * exporter toolkit, as node_exporter and Prometheus read it
 * (exporter-toolkit docs/web-configuration.md, web/tls_config.go,
 * web/handler.go), parsed with libyaml:
 *
 *	tls_server_config:
 *	  cert_file, key_file, client_ca_file	paths; a relative one is
 *						taken from the file's directory
 *	  cert, key, client_ca			the same, inline PEM
 *	  client_auth_type	NoClientCert (default), VerifyClientCertIfGiven,
 *				RequireAndVerifyClientCert
 *	  client_allowed_sans	list of strings
 *	  min_version		TLS10..TLS13, default TLS12
 *	  max_version		TLS10..TLS13, default TLS13
 *	http_server_config:
 *	  http2			boolean, default true
 *	  headers		Strict-Transport-Security,
 *				X-Content-Type-Options (nosniff),
 *				X-Frame-Options (deny, sameorigin),
 *				X-XSS-Protection, Content-Security-Policy
 *	basic_auth_users	user: bcrypt hash ($2a$, $2b$, $2y$)
 *
 * As in the toolkit (yaml.v2 UnmarshalStrict): an unknown key or a repeated
 * one is an error, a plain null (nothing, ~, null) is the zero value (an
 * unset string, false, an empty list or map), an empty string is an unset
 * one, an empty file (or comments only, or a null document) is a valid
 * configuration without TLS or users, and TLS is on as soon as one of
 * cert, cert_file, key, key_file, client_ca, client_ca_file or
 * client_auth_type is set.
 *
 * Refused by name although the toolkit takes them: cipher_suites,
 * curve_preferences and prefer_server_cipher_suites (Go names; the server
 * takes GnuTLS priorities), rate_limit, and the client_auth_type values
 * RequestClientCert, RequireAnyClientCert and RequireClientCert (a client
 * certificate that is not verified authenticates nobody).
 *
 * Stricter than the toolkit, which would serve: a path and its inline twin
 * both given (cert_file and cert, ...: the toolkit quietly takes the file),
 * a verifying client_auth_type without a CA (Go falls back to the system
 * roots), client_allowed_sans with NoClientCert (never checked),
 * min_version above max_version (every handshake would fail), a control
 * character in a header value (Go turns CR and LF into spaces),
 * YAML anchors, aliases and tags, and a second YAML document.
 */

/* The file, read whole before parsing; a real one is a few kB. */
#define WEBCFG_MAX_FILE		(1024 * 1024)
/*
 * basic_auth_users entries.  The toolkit's docs advise basic auth for "a
 * few users"; every check of a password costs a bcrypt run.
 */
#define WEBCFG_MAX_USERS	1024
/* client_allowed_sans entries: each is compared with each SAN of a cert. */
#define WEBCFG_MAX_SANS		256
/* headers: the toolkit's allow-list has five names, each given once. */
#define WEBCFG_MAX_HEADERS	5

/* client_auth_type */
enum webcfg_client_auth {
	WEBCFG_NO_CLIENT_CERT = 0,	/* no certificate is requested */
	WEBCFG_VERIFY_IF_GIVEN = 1,	/* requested; verified if sent */
	WEBCFG_REQUIRE_AND_VERIFY = 2,	/* required and verified */
};

/* min_version and max_version: the protocol's version numbers. */
enum webcfg_tls_version {
	WEBCFG_TLS10 = 0x0301,
	WEBCFG_TLS11 = 0x0302,
	WEBCFG_TLS12 = 0x0303,
	WEBCFG_TLS13 = 0x0304,
};

/*
 * Strings are NUL-terminated, without NUL inside, owned by the struct; NULL
 * when not given (or given empty).  Of each path and inline pair at most
 * one is set.
 */
struct webcfg_tls {
	int		 enabled;	/* 1: serve HTTPS; then a certificate
					 * and a key are set */
	char		*cert_file;
	char		*key_file;
	char		*cert_pem;	/* inline cert */
	char		*key_pem;	/* inline key: a secret */
	char		*client_ca_file;
	char		*client_ca_pem;	/* inline client_ca */
	int		 client_auth;	/* enum webcfg_client_auth; when it
					 * verifies, a CA is set */
	/*
	 * client_allowed_sans: a verified client certificate must carry one
	 * of these as a DNS, e-mail, IP or URI SAN.  allowed_sans_given is 1
	 * when the key was given, even as an empty list (which then lets no
	 * client in, as in the toolkit).
	 */
	char		**allowed_sans;
	size_t		 nallowed_sans;
	int		 allowed_sans_given;
	int		 min_version;	/* enum webcfg_tls_version */
	int		 max_version;	/* enum webcfg_tls_version, >= min */
};

struct webcfg_user {
	char		*name;		/* may be "" */
	char		*hash;		/* bcrypt, 60 bytes: a secret */
};

struct webcfg_header {
	char		*name;		/* one of the five of the allow-list */
	char		*value;		/* non-empty, no control character
					 * other than HTAB */
};

struct webcfg {
	struct webcfg_tls	 tls;
	struct webcfg_user	*users;		/* in file order; none: no
						 * basic auth */
	size_t			 nusers;
	struct webcfg_header	*headers;	/* in file order; a header
						 * given blank is left out */
	size_t			 nheaders;
	int			 http2;		/* 1 unless http2: false; only
						 * meaningful with TLS */
	int			 http2_given;	/* 1: the key was in the file,
						 * for the caller to warn */
};

/*
 * webcfg_parse() reads the len bytes of text (no NUL needed; one inside
 * is refused), one YAML document.  dir is the directory relative paths are
 * joined with, then cleaned lexically like Go's filepath.Join ("." when
 * NULL); absolute paths are kept as given.  Nothing on disk is read: that
 * the files exist, and that the PEM and hashes work, is for the caller.
 *
 * webcfg_load() reads the file at path (a regular file of at most
 * WEBCFG_MAX_FILE bytes) and parses it with dir the directory part of path
 * (as Go's filepath.Dir).  The buffer is zeroed before it is freed.
 *
 * Both clear *out and err (when errsz > 0) on entry.  They return 0 with
 * *out filled, to release with webcfg_free().  Otherwise *out stays zeroed
 * (webcfg_free() on it does nothing), err holds one line naming the key by
 * its path ("tls_server_config.cipher_suits: unknown key") and the line
 * and column in the file where there is one (cut to errsz; it never
 * includes a secret; keys are printed with control and non-ASCII bytes as
 * '?'; it does not name the file, which the caller does), and:
 *	ERR_INVAL	YAML syntax error, a refused or unknown key or value,
 *			an inconsistent combination, a file that is not a
 *			regular one
 *	ERR_NUL		a NUL byte in the text or in a string
 *	ERR_TOOBIG	past WEBCFG_MAX_FILE, WEBCFG_MAX_USERS or
 *			WEBCFG_MAX_SANS
 *	ERR_NOMEM	allocation failed
 *	ERR_SYSTEM	(webcfg_load) open, fstat or read failed; errno is
 *			kept
 * The text's copies are zeroed before they are freed: libyaml's input
 * buffers, its events and queued tokens, and ours; not the scratch
 * strings libyaml's scanner resizes while it reads a scalar, which it
 * frees itself.  A key is safest in key_file.  Any thread; no state is
 * shared.
 */
int	webcfg_parse(const char *text, size_t len, const char *dir,
	    struct webcfg *out, char *err, size_t errsz);
int	webcfg_load(const char *path, struct webcfg *out, char *err,
	    size_t errsz);

/*
 * webcfg_read() reads the regular file at path whole, at most max bytes,
 * into *out (NUL-terminated, *outlen bytes before the NUL; free() it,
 * after explicit_bzero() when it holds a secret).  Symbolic links are
 * followed.  Returns 0, or ERR_INVAL (not a regular file), ERR_TOOBIG,
 * ERR_NOMEM or ERR_SYSTEM (errno kept) with *out NULL and one line in err
 * that does not name the file.  What it read before failing is zeroed.
 */
int	webcfg_read(const char *path, size_t max, char **out, size_t *outlen,
	    char *err, size_t errsz);

/*
 * Releases what c holds, zeroing the secrets (key_pem, hashes) first, and
 * zeroes *c.  NULL or a zeroed struct does nothing.
 */
void	webcfg_free(struct webcfg *c);

#endif /* WEBCFG_H */
