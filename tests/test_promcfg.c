/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

/*
 * The module's allocations, and those lib/yamlcfg.c makes for it (through
 * its YAMLCFG_MEM), go through alloc_fail.h: fail_at makes the n-th one
 * from now fail once.  libyaml's own allocations are not seen.
 */
#include "alloc_fail.h"

/* Every explicit_bzero() made for the module is recorded. */
#define MAX_WIPED	4096

static struct {
	const void	*p;
	size_t		 n;
} wiped[MAX_WIPED];
static size_t nwiped;

static void
t_explicit_bzero(void *p, size_t n)
{
	if (nwiped < MAX_WIPED) {
		wiped[nwiped].p = p;
		wiped[nwiped].n = n;
		nwiped++;
	}
	explicit_bzero(p, n);
}

#define explicit_bzero(p, n)	t_explicit_bzero(p, n)

#include "../lib/promcfg.c"

#define FIXTURES	"tests/fixtures/promcfg/"
#define DIR		"/etc/pce"

/* A secret planted in refused files: no message may show it. */
#define SECRET		"Pl4nted-S3cret"

static const struct promcfg zero;

/*
 * A struct promcfg per test; a test frees what it holds before it returns
 * (cmocka counts the blocks left), the teardown when an assertion ended it.
 */
static int
setup(void **state)
{
	if ((*state = calloc(1, sizeof(struct promcfg))) == NULL)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	promcfg_free(*state);
	free(*state);
	return 0;
}

static int
parse(const char *yaml, struct promcfg *c, char *err, size_t errsz)
{
	return promcfg_parse(yaml, strlen(yaml), DIR, c, err, errsz);
}

/* Parses yaml, which must succeed; c is freed first. */
static void
parse_ok(const char *yaml, struct promcfg *c)
{
	char err[512];
	int r;

	promcfg_free(c);
	if ((r = parse(yaml, c, err, sizeof(err))) != 0)
		fail_msg("%s\n  got %d \"%s\", want 0", yaml, r, err);
	assert_string_equal(err, "");
}

/*
 * A refusal: the code, a message containing want, on one line, never the
 * planted secret, and *out zeroed though it held garbage.
 */
static void
expect_bad_n(const char *yaml, size_t len, int ret, const char *want)
{
	struct promcfg c;
	char err[512];
	int r;

	memset(&c, 0x5a, sizeof(c));
	memcpy(err, "garbage", 8);
	r = promcfg_parse(yaml, len, DIR, &c, err, sizeof(err));
	if (r == 0)
		promcfg_free(&c);
	if (r != ret || strstr(err, want) == NULL)
		fail_msg("%s\n  got %d \"%s\"\n  want %d \"%s\"", yaml, r, err,
		    ret, want);
	assert_null(strchr(err, '\n'));
	assert_null(strstr(err, SECRET));
	assert_memory_equal(&c, &zero, sizeof(c));
}

static void
expect_bad(const char *yaml, int ret, const char *want)
{
	expect_bad_n(yaml, strlen(yaml), ret, want);
}

static void
expect_load_bad(const char *path, int ret, const char *want)
{
	struct promcfg c;
	char err[512];
	int r;

	memset(&c, 0x5a, sizeof(c));
	r = promcfg_load(path, &c, err, sizeof(err));
	if (r == 0)
		promcfg_free(&c);
	if (r != ret || strstr(err, want) == NULL)
		fail_msg("%s: got %d \"%s\", want %d \"%s\"", path, r, err,
		    ret, want);
	assert_memory_equal(&c, &zero, sizeof(c));
}

static void
check_defaults(const struct promcfg *c)
{
	const struct promcfg *z = &zero;

	/* Everything zero but follow_redirects. */
	assert_int_equal(c->follow_redirects, 1);
	assert_memory_equal(c, z, offsetof(struct promcfg, follow_redirects));
	assert_int_equal(c->enable_http2_given, 0);
	assert_null(c->headers);
	assert_int_equal(c->nheaders, 0);
}

static void
check_full(const struct promcfg *c, const char *dir)
{
	const struct promcfg_header *h;
	char want[PATH_MAX];

	assert_int_equal(c->basic_auth, 1);
	assert_string_equal(c->username, "scraper");
	assert_null(c->password);
	(void)snprintf(want, sizeof(want), "%s/secrets/password", dir);
	assert_string_equal(c->password_file, want);
	assert_null(c->auth_type);
	assert_null(c->credentials);
	assert_null(c->credentials_file);
	/* "../promcfg/./tls//ca.pem", cleaned as Go does. */
	(void)snprintf(want, sizeof(want), "%s/tls/ca.pem", dir);
	assert_string_equal(c->ca_file, want);
	(void)snprintf(want, sizeof(want), "%s/tls/client.crt", dir);
	assert_string_equal(c->cert_file, want);
	(void)snprintf(want, sizeof(want), "%s/tls/client.key", dir);
	assert_string_equal(c->key_file, want);
	assert_null(c->ca_pem);
	assert_null(c->cert_pem);
	assert_null(c->key_pem);
	assert_string_equal(c->server_name, "prometheus.example.net");
	assert_int_equal(c->insecure_skip_verify, 0);
	assert_int_equal(c->min_version, PROMCFG_TLS12);
	assert_int_equal(c->max_version, PROMCFG_TLS13);
	assert_string_equal(c->proxy_url, "http://proxy.example.net:3128");
	assert_string_equal(c->no_proxy, "localhost,127.0.0.1,.example.net");
	assert_int_equal(c->proxy_from_environment, 0);
	assert_int_equal(c->follow_redirects, 0);
	assert_int_equal(c->enable_http2_given, 1);
	assert_int_equal(c->nheaders, 2);
	h = &c->headers[0];
	assert_string_equal(h->name, "X-Scope-OrgID");
	assert_int_equal(h->nvalues, 1);
	assert_string_equal(h->values[0], "tenant-1");
	assert_int_equal(h->nsecrets, 0);
	assert_int_equal(h->nfiles, 0);
	h = &c->headers[1];
	assert_string_equal(h->name, "X-Custom-Auth");
	assert_int_equal(h->nvalues, 1);
	assert_string_equal(h->values[0], "plain");
	assert_int_equal(h->nsecrets, 1);
	assert_string_equal(h->secrets[0], "s3cr3t value");
	assert_int_equal(h->nfiles, 2);
	(void)snprintf(want, sizeof(want), "%s/headers/token", dir);
	assert_string_equal(h->files[0], want);
	assert_string_equal(h->files[1], "/etc/pce/abs-token");
}

/* Every key that goes with the others; relative paths joined. */
static void
test_full(void **state)
{
	struct promcfg *c = *state;
	char err[512], cwd[PATH_MAX - 64], dir[PATH_MAX - 32], path[PATH_MAX];

	assert_int_equal(promcfg_load(FIXTURES "full.yml", c, err,
	    sizeof(err)), 0);
	assert_string_equal(err, "");
	check_full(c, "tests/fixtures/promcfg");
	promcfg_free(c);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	(void)snprintf(dir, sizeof(dir), "%s/tests/fixtures/promcfg", cwd);
	(void)snprintf(path, sizeof(path), "%s/full.yml", dir);
	assert_int_equal(promcfg_load(path, c, err, sizeof(err)), 0);
	check_full(c, dir);
	promcfg_free(c);
	assert_int_equal(promcfg_load("./tests//fixtures/../fixtures/"
	    "promcfg/full.yml", c, err, sizeof(err)), 0);
	check_full(c, "tests/fixtures/promcfg");
	promcfg_free(c);
}

/* authorization, inline TLS material, the proxy from the environment. */
static void
test_authorization(void **state)
{
	struct promcfg *c = *state;
	char err[512];

	assert_int_equal(promcfg_load(FIXTURES "authorization.yml", c, err,
	    sizeof(err)), 0);
	assert_int_equal(c->basic_auth, 0);
	/* Trimmed as Go's strings.TrimSpace. */
	assert_string_equal(c->auth_type, "Token");
	assert_null(c->credentials);
	assert_string_equal(c->credentials_file, "/run/secrets/token");
	assert_string_equal(c->ca_pem, "-----BEGIN CERTIFICATE-----\n"
	    "cGxhY2Vob2xkZXIgY2E=\n-----END CERTIFICATE-----\n");
	assert_non_null(strstr(c->cert_pem,
	    "cGxhY2Vob2xkZXIgY2VydGlmaWNhdGU="));
	assert_non_null(strstr(c->key_pem, "PRIVATE KEY"));
	assert_null(c->ca_file);
	assert_null(c->cert_file);
	assert_null(c->key_file);
	assert_int_equal(c->proxy_from_environment, 1);
	assert_null(c->proxy_url);
	assert_int_equal(c->follow_redirects, 1);
	promcfg_free(c);
	/* Inline credentials; the type defaults to Bearer. */
	parse_ok("authorization:\n  credentials: tok\n", c);
	assert_string_equal(c->auth_type, "Bearer");
	assert_string_equal(c->credentials, "tok");
	parse_ok("authorization:\n  type: \" \\t\"\n  credentials: tok\n", c);
	assert_string_equal(c->auth_type, "Bearer");
	/* A mapping, even empty, is an authorization (Go's non-nil). */
	parse_ok("authorization: {}\n", c);
	assert_string_equal(c->auth_type, "Bearer");
	assert_null(c->credentials);
	assert_null(c->credentials_file);
	parse_ok("authorization:\n", c);
	assert_null(c->auth_type);
	parse_ok("authorization:\n  type: Digest-ish\n"
	    "  credentials_file: rel/tok\n", c);
	assert_string_equal(c->auth_type, "Digest-ish");
	assert_string_equal(c->credentials_file, DIR "/rel/tok");
	promcfg_free(c);
}

/* bearer_token(_file): the older form of authorization type Bearer. */
static void
test_bearer(void **state)
{
	struct promcfg *c = *state;
	char err[512];

	assert_int_equal(promcfg_load(FIXTURES "bearer.yml", c, err,
	    sizeof(err)), 0);
	assert_string_equal(c->auth_type, "Bearer");
	assert_null(c->credentials);
	assert_string_equal(c->credentials_file,
	    "tests/fixtures/promcfg/token");
	promcfg_free(c);
	parse_ok("bearer_token: abc.def\n", c);
	assert_string_equal(c->auth_type, "Bearer");
	assert_string_equal(c->credentials, "abc.def");
	assert_null(c->credentials_file);
	/* Empty is not given, as Go's len() == 0. */
	parse_ok("bearer_token: \"\"\nbearer_token_file:\nbasic_auth:\n"
	    "  username: u\n", c);
	assert_null(c->auth_type);
	assert_int_equal(c->basic_auth, 1);
	promcfg_free(c);
}

/* An empty file, comments, a null document, empty sections. */
static void
test_defaults(void **state)
{
	static const char *const empty[] = {
		"",
		"\n\n",
		"# nothing\n",
		"---\n",
		"--- ~\n",
		"{}\n",
		"tls_config:\nhttp_headers:\nbasic_auth:\nauthorization:\n",
		"tls_config: {}\nhttp_headers: {}\n",
		"bearer_token: ''\nproxy_url: \"\"\nno_proxy:\n",
		/* One element: clang asks for parentheses when it is cut. */
		("tls_config:\n  ca_file: \"\"\n  server_name: ~\n"
		    "  min_version:\n  max_version: null\n"),
	};
	struct promcfg *c = *state;
	char err[512];
	size_t i;

	for (i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		parse_ok(empty[i], c);
		check_defaults(c);
	}
	promcfg_free(c);
	assert_int_equal(promcfg_load(FIXTURES "empty.yml", c, err,
	    sizeof(err)), 0);
	check_defaults(c);
	promcfg_free(c);
	/* text NULL with no length is an empty file. */
	assert_int_equal(promcfg_parse(NULL, 0, NULL, c, err, sizeof(err)),
	    0);
	check_defaults(c);
	promcfg_free(c);
}

/* A plain null is the zero value; a quoted one is a string. */
static void
test_nulls(void **state)
{
	struct promcfg *c = *state;

	parse_ok("follow_redirects:\n", c);
	assert_int_equal(c->follow_redirects, 0);
	parse_ok("follow_redirects: ~\nenable_http2:\n", c);
	assert_int_equal(c->follow_redirects, 0);
	assert_int_equal(c->enable_http2_given, 1);
	parse_ok("tls_config:\n  insecure_skip_verify: yes\n"
	    "proxy_from_environment: on\n", c);
	assert_int_equal(c->insecure_skip_verify, 1);
	assert_int_equal(c->proxy_from_environment, 1);
	parse_ok("basic_auth: {username: \"null\", password: '~'}\n", c);
	assert_string_equal(c->username, "null");
	assert_string_equal(c->password, "~");
	/* Null entries of a list are "" values. */
	parse_ok("http_headers:\n  X-A:\n    values: [~, '', x]\n"
	    "    secrets:\n    files: []\n", c);
	assert_int_equal(c->headers[0].nvalues, 3);
	assert_string_equal(c->headers[0].values[0], "");
	assert_string_equal(c->headers[0].values[2], "x");
	assert_int_equal(c->headers[0].nsecrets, 0);
	assert_int_equal(c->headers[0].nfiles, 0);
	/* A scalar is a string's text, as yaml.v2 gives a string field. */
	parse_ok("basic_auth:\n  username: 1234\n  password: true\n", c);
	assert_string_equal(c->username, "1234");
	assert_string_equal(c->password, "true");
	promcfg_free(c);
}

/* Validate()'s rules on authorization, one test a rule. */
static void
test_auth_exclusive(void **state)
{
	(void)state;
	expect_bad("bearer_token: a\nbearer_token_file: f\n", ERR_INVAL,
	    "at most one of bearer_token and bearer_token_file may be "
	    "configured (line 2, column 1)");
	expect_bad("basic_auth: {username: u}\nbearer_token: a\n", ERR_INVAL,
	    "at most one of basic_auth, authorization, bearer_token and "
	    "bearer_token_file may be configured (line 2, column 1)");
	expect_bad("bearer_token_file: f\nbasic_auth: {}\n", ERR_INVAL,
	    "at most one of basic_auth, authorization, bearer_token and "
	    "bearer_token_file may be configured (line 2, column 1)");
	expect_bad("authorization: {credentials: a}\nbasic_auth:\n"
	    "  username: u\n", ERR_INVAL, "at most one of basic_auth, "
	    "authorization");
	expect_bad("authorization: {}\nbearer_token: a\n", ERR_INVAL,
	    "at most one of basic_auth, authorization");
	expect_bad("bearer_token_file: f\nauthorization:\n"
	    "  credentials_file: g\n", ERR_INVAL, "at most one of basic_auth, "
	    "authorization");
}

static void
test_auth_pairs(void **state)
{
	(void)state;
	expect_bad("basic_auth:\n  password: " SECRET "\n"
	    "  password_file: p\n", ERR_INVAL, "basic_auth: at most one of "
	    "password and password_file may be configured (line 3, column "
	    "3)");
	expect_bad("authorization:\n  credentials_file: p\n"
	    "  credentials: " SECRET "\n", ERR_INVAL, "authorization: at "
	    "most one of credentials and credentials_file may be configured "
	    "(line 3, column 3)");
}

static void
test_auth_type(void **state)
{
	static const char *const basic[] = {
		"Basic", "basic", "BASIC", "bAsIc", "\" Basic \"",
	};
	char yaml[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(basic) / sizeof(basic[0]); i++) {
		(void)snprintf(yaml, sizeof(yaml), "authorization:\n"
		    "  type: %s\n  credentials: " SECRET "\n", basic[i]);
		expect_bad(yaml, ERR_INVAL, "authorization.type: \"Basic\" is "
		    "not allowed; use basic_auth (line 2, column 3)");
	}
	expect_bad("authorization:\n  type: \"Bearer\\r\\nX-Evil: 1\"\n",
	    ERR_INVAL, "authorization.type: control character in the value");
	expect_bad("authorization:\n  credentials: \"" SECRET "\\n\"\n",
	    ERR_INVAL, "authorization.credentials: control character in the "
	    "value (line 2, column 3)");
	expect_bad("bearer_token: \"" SECRET "\\r\"\n", ERR_INVAL,
	    "bearer_token: control character in the value (line 1, column "
	    "1)");
}

/* TLSConfig.Validate(), and min_version above max_version. */
static void
test_tls_rules(void **state)
{
	struct promcfg *c = *state;

	expect_bad("tls_config:\n  ca: x\n  ca_file: f\n", ERR_INVAL,
	    "tls_config: at most one of ca and ca_file may be configured "
	    "(line 3, column 3)");
	expect_bad("tls_config:\n  cert_file: f\n  cert: x\n  key_file: k\n",
	    ERR_INVAL, "tls_config: at most one of cert and cert_file may be "
	    "configured (line 3, column 3)");
	expect_bad("tls_config:\n  key: " SECRET "\n  key_file: f\n"
	    "  cert_file: c\n", ERR_INVAL, "tls_config: at most one of key "
	    "and key_file may be configured (line 3, column 3)");
	expect_bad("tls_config:\n  cert_file: c\n", ERR_INVAL, "tls_config: "
	    "a client certificate needs its key: key or key_file (line 2, "
	    "column 3)");
	expect_bad("tls_config:\n  key: " SECRET "\n", ERR_INVAL,
	    "tls_config: a client key needs its certificate: cert or "
	    "cert_file (line 2, column 3)");
	expect_bad("tls_config:\n  min_version: TLS13\n"
	    "  max_version: TLS12\n", ERR_INVAL, "tls_config: min_version "
	    "TLS13 is above max_version TLS12 (line 2, column 3)");
	expect_bad("tls_config:\n  min_version: TLS14\n", ERR_INVAL,
	    "tls_config.min_version: unknown TLS version TLS14: expected "
	    "TLS10, TLS11, TLS12 or TLS13 (line 2, column 16)");
	expect_bad("tls_config:\n  max_version: \"\"\n", ERR_INVAL,
	    "unknown TLS version \"\"");
	expect_bad("tls_config:\n  insecure_skip_verify: 1\n", ERR_INVAL,
	    "tls_config.insecure_skip_verify: expected true or false");
	/* One side alone, or equal, is fine. */
	parse_ok("tls_config:\n  min_version: TLS13\n", c);
	assert_int_equal(c->min_version, PROMCFG_TLS13);
	assert_int_equal(c->max_version, 0);
	parse_ok("tls_config:\n  max_version: TLS10\n", c);
	assert_int_equal(c->max_version, PROMCFG_TLS10);
	parse_ok("tls_config:\n  min_version: TLS11\n  max_version: TLS11\n"
	    "  cert: c\n  key_file: /k\n", c);
	assert_int_equal(c->min_version, PROMCFG_TLS11);
	assert_string_equal(c->key_file, "/k");
	promcfg_free(c);
}

/* ProxyConfig.Validate() and the shape of proxy_url. */
static void
test_proxy_rules(void **state)
{
	static const char *const good[] = {
		"http://p", "https://p:8443/", "socks5://u:pw@p:1080",
		"socks5h://p", "HTTP://P", "http://[::1]:3128",
		"http://user@p?x#y",
	};
	static const char *const bad[] = {
		"p:3128", "ftp://p", "http://", "http:///path", "http://u@",
		"http://:80", "http://[]", "http://p q", "//p", "http:/p",
	};
	struct promcfg *c = *state;
	char yaml[128];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		(void)snprintf(yaml, sizeof(yaml), "proxy_url: \"%s\"\n",
		    good[i]);
		parse_ok(yaml, c);
		assert_string_equal(c->proxy_url, good[i]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		(void)snprintf(yaml, sizeof(yaml), "proxy_url: \"%s\"\n",
		    bad[i]);
		expect_bad(yaml, ERR_INVAL, "proxy_url: expected an "
		    "http://, https://, socks5:// or socks5h:// URL with a "
		    "host (line 1, column 1)");
	}
	/* The URL may hold a password: never in a message. */
	expect_bad("proxy_url: ftp://u:" SECRET "@p\n", ERR_INVAL,
	    "proxy_url: expected");
	expect_bad("proxy_url: \"http://u:" SECRET "@p\\n\"\n", ERR_INVAL,
	    "proxy_url: expected");
	expect_bad("proxy_url: http://u:" SECRET "@p\n"
	    "proxy_from_environment: true\n", ERR_INVAL, "at most one of "
	    "proxy_url and proxy_from_environment may be configured (line 2, "
	    "column 1)");
	expect_bad("proxy_from_environment: true\nno_proxy: a\n", ERR_INVAL,
	    "no_proxy: not with proxy_from_environment");
	expect_bad("no_proxy: localhost\n", ERR_INVAL, "no_proxy: needs "
	    "proxy_url (line 1, column 1)");
	parse_ok("proxy_url: http://p\nno_proxy: localhost\n", c);
	assert_string_equal(c->no_proxy, "localhost");
	/* false is not configured. */
	parse_ok("proxy_url: http://p\nproxy_from_environment: false\n", c);
	assert_int_equal(c->proxy_from_environment, 0);
	promcfg_free(c);
}

#define HDRS	"http_headers:\n"

static void
test_headers(void **state)
{
	struct promcfg *c = *state;

	parse_ok(HDRS "  x-lower.case_~!#$%&'*+^`|:\n    values: [a]\n"
	    "  X-Tab:\n    values: [\"a\\tb\", \"caf\\u00e9\"]\n"
	    "  X-Only-Secret:\n    secrets: [s]\n"
	    "  X-Only-File:\n    files: [../f]\n", c);
	assert_int_equal(c->nheaders, 4);
	assert_string_equal(c->headers[0].name, "x-lower.case_~!#$%&'*+^`|");
	assert_string_equal(c->headers[1].values[0], "a\tb");
	assert_string_equal(c->headers[1].values[1], "caf\xc3\xa9");
	assert_string_equal(c->headers[2].secrets[0], "s");
	assert_string_equal(c->headers[3].files[0], "/etc/f");
	promcfg_free(c);
}

static void
test_header_refusals(void **state)
{
	static const char *const reserved[] = {
		"Authorization", "authorization", "HOST", "user-agent",
		"Content-Type", "Content-Length", "Content-Encoding",
		"Accept-Encoding", "Connection", "Keep-Alive",
		"Proxy-Authenticate", "proxy-authorization",
		"WWW-Authenticate", "X-Prometheus-Remote-Read-Version",
		"X-Prometheus-Remote-Write-Version",
		"x-prometheus-scrape-timeout-seconds", "X-Amz-Date",
		"X-Amz-Security-Token", "x-amz-content-sha256",
	};
	char yaml[256], want[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		(void)snprintf(yaml, sizeof(yaml), HDRS "  %s:\n"
		    "    values: [x]\n", reserved[i]);
		(void)snprintf(want, sizeof(want), "http_headers.%s: setting "
		    "header \"", reserved[i]);
		expect_bad(yaml, ERR_INVAL, want);
		expect_bad(yaml, ERR_INVAL, "\" is not allowed (line 2, "
		    "column 3)");
	}
	expect_bad(HDRS "  user-agent: {values: [x]}\n", ERR_INVAL,
	    "setting header \"User-Agent\" is not allowed");
	/* Names: tokens only, not empty. */
	expect_bad(HDRS "  \"X Space\":\n    values: [x]\n", ERR_INVAL,
	    "http_headers.X Space: not a header name (letters, digits and "
	    "!#$%&'*+-.^_`|~ only) (line 2, column 3)");
	expect_bad(HDRS "  \"X:Colon\": {values: [x]}\n", ERR_INVAL,
	    "not a header name");
	expect_bad(HDRS "  \"X\\nY\": {values: [x]}\n", ERR_INVAL,
	    "http_headers.X?Y: not a header name");
	expect_bad(HDRS "  \"\": {values: [x]}\n", ERR_INVAL,
	    "http_headers.\"\": not a header name");
	expect_bad(HDRS "  ~: {values: [x]}\n", ERR_INVAL,
	    "not a header name");
	expect_bad(HDRS "  \"caf\\u00e9\": {values: [x]}\n", ERR_INVAL,
	    "http_headers.caf??: not a header name");
	/* No value at all. */
	expect_bad(HDRS "  X-A:\n", ERR_INVAL, "http_headers.X-A: no value: "
	    "give values, secrets or files (line 2, column 3)");
	expect_bad(HDRS "  X-A: {}\n", ERR_INVAL, "no value");
	expect_bad(HDRS "  X-A: {values: [], secrets: ~, files: []}\n",
	    ERR_INVAL, "no value");
	/* Values and secrets go into a request as they are. */
	expect_bad(HDRS "  X-A:\n    values: [ok, \"a\\r\\nX-Evil: 1\"]\n",
	    ERR_INVAL, "http_headers.X-A.values[1]: control character in the "
	    "value (line 3, column 5)");
	expect_bad(HDRS "  X-A:\n    secrets: [\"" SECRET "\\u007f\"]\n",
	    ERR_INVAL, "http_headers.X-A.secrets[0]: control character in "
	    "the value");
	expect_bad(HDRS "  X-A:\n    files: [\"\"]\n", ERR_INVAL,
	    "http_headers.X-A.files[0]: empty path (line 3, column 13)");
	expect_bad(HDRS "  X-A:\n    files: [~]\n", ERR_INVAL, "empty path");
	/* Go-only forms: the mapping is the only one. */
	expect_bad(HDRS "  X-A: value\n", ERR_INVAL, "http_headers.X-A: "
	    "expected a mapping (line 2, column 8)");
	expect_bad(HDRS "  X-A: [value]\n", ERR_INVAL, "expected a mapping");
	expect_bad(HDRS "  X-A:\n    values: value\n", ERR_INVAL,
	    "http_headers.X-A.values: expected a list of strings");
	expect_bad(HDRS "  X-A:\n    values: [[a]]\n", ERR_INVAL,
	    "http_headers.X-A.values[0]: expected a string");
	expect_bad("http_headers: [X-A]\n", ERR_INVAL, "http_headers: "
	    "expected a mapping of header names to values");
}

/* PROMCFG_MAX_HEADERS and PROMCFG_MAX_VALUES pass, one more does not. */
static void
test_caps(void **state)
{
	struct promcfg *c = *state;
	size_t cap = 8192, len, i;
	char *y;
	int n;

	assert_non_null(y = malloc(cap));
	len = (size_t)snprintf(y, cap, HDRS);
	for (i = 0; i < PROMCFG_MAX_HEADERS; i++) {
		n = snprintf(y + len, cap - len, "  X-%zu: {values: [v]}\n",
		    i);
		assert_true(n > 0 && (size_t)n < cap - len);
		len += (size_t)n;
	}
	parse_ok(y, c);
	assert_int_equal(c->nheaders, PROMCFG_MAX_HEADERS);
	promcfg_free(c);
	(void)snprintf(y + len, cap - len, "  X-More: {values: [v]}\n");
	expect_bad(y, ERR_TOOBIG, "http_headers.X-More: more than 64 headers "
	    "(PROMCFG_MAX_HEADERS) (line 66, column 3)");

	len = (size_t)snprintf(y, cap, HDRS "  X-A:\n    values:\n");
	for (i = 0; i < PROMCFG_MAX_VALUES; i++) {
		n = snprintf(y + len, cap - len, "      - v%zu\n", i);
		assert_true(n > 0 && (size_t)n < cap - len);
		len += (size_t)n;
	}
	parse_ok(y, c);
	assert_int_equal(c->headers[0].nvalues, PROMCFG_MAX_VALUES);
	promcfg_free(c);
	(void)snprintf(y + len, cap - len, "      - one.more\n");
	expect_bad(y, ERR_TOOBIG, "http_headers.X-A.values: more than 16 "
	    "entries (PROMCFG_MAX_VALUES)");
	/* The cap counts values, secrets and files together. */
	len = (size_t)snprintf(y, cap, HDRS "  X-A:\n    values: [");
	for (i = 0; i < PROMCFG_MAX_VALUES - 2; i++) {
		n = snprintf(y + len, cap - len, "v%zu, ", i);
		len += (size_t)n;
	}
	(void)snprintf(y + len, cap - len, "v]\n    secrets: [s]\n");
	parse_ok(y, c);
	promcfg_free(c);
	(void)snprintf(y + len, cap - len, "v]\n    secrets: [s]\n"
	    "    files: [f]\n");
	expect_bad(y, ERR_TOOBIG, "http_headers.X-A: more than 16 values, "
	    "secrets and files (PROMCFG_MAX_VALUES) (line 2, column 3)");
	free(y);
}

/* Unknown keys at each level; oauth2 and proxy_connect_header by name. */
static void
test_keys(void **state)
{
	(void)state;
	expect_bad("bearer_tokn: x\n", ERR_INVAL,
	    "bearer_tokn: unknown key (line 1, column 1)");
	expect_bad("tls_config:\n  ca_fil: x\n", ERR_INVAL,
	    "tls_config.ca_fil: unknown key (line 2, column 3)");
	expect_bad("basic_auth:\n  username_file: x\n", ERR_INVAL,
	    "basic_auth.username_file: unknown key (line 2, column 3)");
	expect_bad("authorization:\n  credential: " SECRET "\n", ERR_INVAL,
	    "authorization.credential: unknown key (line 2, column 3)");
	expect_bad(HDRS "  X-A:\n    value: [x]\n", ERR_INVAL,
	    "http_headers.X-A.value: unknown key (line 3, column 5)");
	expect_bad("oauth2:\n  client_id: x\n", ERR_INVAL,
	    "oauth2: not supported by this exporter; use authorization or "
	    "basic_auth (line 1, column 1)");
	expect_bad("proxy_url: http://p\nproxy_connect_header:\n"
	    "  X: [y]\n", ERR_INVAL, "proxy_connect_header: not supported by "
	    "this exporter");
	/* Scrape-config keys are not client keys. */
	expect_bad("scheme: https\n", ERR_INVAL, "scheme: unknown key");
	/* A long key is cut in the message. */
	expect_bad("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaa: 1\n", ERR_INVAL, "aaaa...: unknown key");
	expect_load_bad(FIXTURES "junk_key.yml", ERR_INVAL,
	    "tls_config.ca_fil: unknown key (line 2, column 3)");
}

/* The wrong kind of node where a key wants another. */
static void
test_types(void **state)
{
	(void)state;
	expect_bad("basic_auth: u\n", ERR_INVAL,
	    "basic_auth: expected a mapping (line 1, column 13)");
	expect_bad("tls_config: [a]\n", ERR_INVAL,
	    "tls_config: expected a mapping");
	expect_bad("authorization: true\n", ERR_INVAL,
	    "authorization: expected a mapping");
	expect_bad("bearer_token: [" SECRET "]\n", ERR_INVAL,
	    "bearer_token: expected a string (line 1, column 15)");
	expect_bad("basic_auth:\n  password: {a: " SECRET "}\n", ERR_INVAL,
	    "basic_auth.password: expected a string");
	expect_bad("follow_redirects: \"false\"\n", ERR_INVAL,
	    "follow_redirects: expected true or false");
	expect_bad("enable_http2: 0\n", ERR_INVAL,
	    "enable_http2: expected true or false");
	expect_bad("proxy_from_environment: []\n", ERR_INVAL,
	    "proxy_from_environment: expected true or false");
	expect_bad("[a, b]\n", ERR_INVAL, "top level: expected a mapping");
	expect_bad("{[a]: 1}\n", ERR_INVAL, "top level: a key must be a "
	    "string");
}

static void
test_duplicates(void **state)
{
	(void)state;
	expect_bad("bearer_token: a\nbearer_token: b\n", ERR_INVAL,
	    "bearer_token: duplicate key (line 2, column 1)");
	expect_bad("tls_config:\n  ca_file: a\n  \"ca_file\": b\n", ERR_INVAL,
	    "tls_config.ca_file: duplicate key (line 3, column 3)");
	expect_bad("basic_auth:\n  username: a\n  username: b\n", ERR_INVAL,
	    "basic_auth.username: duplicate key");
	expect_bad("authorization:\n  type: a\n  type: b\n", ERR_INVAL,
	    "authorization.type: duplicate key");
	expect_bad(HDRS "  X-A:\n    values: [a]\n    values: [b]\n",
	    ERR_INVAL, "http_headers.X-A.values: duplicate key (line 4, "
	    "column 5)");
	expect_bad(HDRS "  X-A: {values: [a]}\n  X-A: {values: [b]}\n",
	    ERR_INVAL, "http_headers.X-A: duplicate key (header names are "
	    "compared without case) (line 3, column 3)");
	expect_bad(HDRS "  X-A: {values: [a]}\n  x-a: {values: [b]}\n",
	    ERR_INVAL, "http_headers.x-a: duplicate key");
	expect_bad("http_headers: {}\nhttp_headers: {}\n", ERR_INVAL,
	    "http_headers: duplicate key");
}

/* What YAML has and the format does not need; NUL bytes. */
static void
test_yaml_features(void **state)
{
	(void)state;
	expect_bad("basic_auth: &b\n  username: u\n", ERR_INVAL,
	    "basic_auth: YAML anchors are not supported (line 1, column 13)");
	expect_bad("bearer_token: *t\n", ERR_INVAL,
	    "bearer_token: YAML aliases are not supported");
	expect_bad("bearer_token: !!str a\n", ERR_INVAL,
	    "bearer_token: YAML tags are not supported");
	expect_bad("{}\n---\n{}\n", ERR_INVAL,
	    "top level: more than one YAML document (line 2, column 1)");
	expect_bad("tls_config: {ca_file: a\n", ERR_INVAL,
	    "YAML: while parsing a flow mapping (line 1, column 13)");
	expect_bad("a: \"\xff\"\n", ERR_INVAL, "YAML: invalid leading UTF-8 "
	    "octet (line 1, byte 5)");
	expect_bad_n("{}\n\0\n", 4, ERR_NUL, "NUL byte (line 2, byte 4)");
	expect_bad("basic_auth:\n  password: \"" SECRET "\\0\"\n", ERR_NUL,
	    "basic_auth.password: NUL byte in a string (line 2, column 13)");
	expect_bad(HDRS "  X-A:\n    secrets: [\"\\0\"]\n", ERR_NUL,
	    "http_headers.X-A.secrets[0]: NUL byte in a string");
	expect_bad("\"bearer_token\\0\": x\n", ERR_NUL,
	    "top level: NUL byte in a string");
	expect_load_bad(FIXTURES "nul.yml", ERR_NUL, "NUL byte (line 2, "
	    "byte 38)");
}

/* A secret in a refused file never reaches the message. */
static void
test_secret_not_in_errors(void **state)
{
	static const char *const bad[] = {
		"basic_auth:\n  password: " SECRET "\n  password_file: f\n",
		"basic_auth:\n  password: " SECRET "\nbearer_token: x\n",
		"basic_auth:\n  password: \"" SECRET "\\x01\"\n  oops: 1\n",
		"authorization:\n  credentials: " SECRET "\n  type: basic\n",
		"authorization:\n  credentials: \"" SECRET "\\n\"\n",
		"bearer_token: " SECRET "\nbearer_token_file: f\n",
		"bearer_token: \"" SECRET "\\u0085\"\nbearer_token: x\n",
		"tls_config:\n  key: " SECRET "\n",
		"tls_config:\n  key: " SECRET "\n  key_file: f\n",
		"proxy_url: http://u:" SECRET "@\n",
		"proxy_url: http://u:" SECRET "@p\nproxy_from_environment: y\n",
		HDRS "  X-A:\n    secrets: [\"" SECRET "\\r\"]\n",
		HDRS "  X-A:\n    secrets: [" SECRET "]\n    secrets: [x]\n",
		"bearer_token: " SECRET "\nfoo: 1\n",
	};
	size_t i;

	(void)state;
	/* expect_bad() asserts that SECRET is not in the message. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_bad(bad[i], ERR_INVAL, "");
}

static int
was_wiped(const void *p, size_t n)
{
	size_t i;

	for (i = 0; i < nwiped; i++)
		if (wiped[i].p == p && wiped[i].n == n)
			return 1;
	return 0;
}

/* The secrets are zeroed before their memory is freed. */
static void
test_secrets_wiped(void **state)
{
	struct promcfg *c = *state;
	const char *p[6];
	char err[512];
	size_t i, big;

	parse_ok("basic_auth: {password: pw1}\ntls_config:\n  cert: c\n"
	    "  key: key22\nproxy_url: http://u:pw333@p\n"
	    HDRS "  X-A: {secrets: [s4444, s55555]}\n", c);
	p[0] = c->password;
	p[1] = c->key_pem;
	p[2] = c->proxy_url;
	p[3] = c->headers[0].secrets[0];
	p[4] = c->headers[0].secrets[1];
	nwiped = 0;
	promcfg_free(c);
	assert_true(was_wiped(p[0], 3));
	assert_true(was_wiped(p[1], 5));
	assert_true(was_wiped(p[2], strlen("http://u:pw333@p")));
	assert_true(was_wiped(p[3], 5));
	assert_true(was_wiped(p[4], 6));
	parse_ok("authorization: {credentials: cred7}\n", c);
	p[5] = c->credentials;
	nwiped = 0;
	promcfg_free(c);
	assert_true(was_wiped(p[5], 5));
	/* bearer_token, moved to credentials, and left over on a refusal. */
	parse_ok("bearer_token: tok\n", c);
	p[0] = c->credentials;
	nwiped = 0;
	promcfg_free(c);
	assert_true(was_wiped(p[0], 3));
	nwiped = 0;
	expect_bad("bearer_token: 123456789abcdefghi\nbasic_auth: {}\n",
	    ERR_INVAL, "at most one");
	big = 0;
	for (i = 0; i < nwiped; i++)
		if (wiped[i].n == 18)
			big++;
	/* Once as libyaml's event, once as the copy. */
	assert_int_equal(big, 2);
	/* promcfg_load() zeroes its copy of the file. */
	nwiped = 0;
	assert_int_equal(promcfg_load(FIXTURES "authorization.yml", c, err,
	    sizeof(err)), 0);
	big = 0;
	for (i = 0; i < nwiped; i++)
		if (wiped[i].n == 511)
			big++;
	assert_int_equal(big, 1);
	promcfg_free(c);
}

static void
test_load_errors(void **state)
{
	char tmpl[] = "/tmp/test_promcfg.XXXXXX", path[64];
	struct promcfg *c = *state;
	char err[512], *big;
	int fd;

	expect_load_bad(FIXTURES "absent.yml", ERR_SYSTEM,
	    "cannot open: No such file or directory");
	assert_int_equal(errno, ENOENT);
	expect_load_bad("", ERR_INVAL, "no file name");
	expect_load_bad(NULL, ERR_INVAL, "no file name");
	expect_load_bad(FIXTURES, ERR_INVAL, "not a regular file");
	assert_non_null(mkdtemp(tmpl));
	(void)snprintf(path, sizeof(path), "%s/big.yml", tmpl);
	assert_non_null(big = malloc(PROMCFG_MAX_FILE + 1));
	memset(big, ' ', PROMCFG_MAX_FILE + 1);
	memcpy(big, "{}\n#", 4);
	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) !=
	    -1);
	assert_int_equal(write(fd, big, PROMCFG_MAX_FILE),
	    (ssize_t)PROMCFG_MAX_FILE);
	assert_int_equal(promcfg_load(path, c, err, sizeof(err)), 0);
	check_defaults(c);
	promcfg_free(c);
	assert_int_equal(write(fd, " ", 1), 1);
	assert_int_equal(close(fd), 0);
	expect_load_bad(path, ERR_TOOBIG, "larger than 1048576 bytes");
	expect_bad_n(big, PROMCFG_MAX_FILE + 1, ERR_TOOBIG,
	    "larger than 1048576 bytes (PROMCFG_MAX_FILE)");
	free(big);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(tmpl), 0);
}

/* err may be absent or small; a cut message stays a string. */
static void
test_err_buffer(void **state)
{
	struct promcfg *c = *state;
	char err[32];

	assert_int_equal(parse("foo: 1\n", c, NULL, 0), ERR_INVAL);
	assert_memory_equal(c, &zero, sizeof(*c));
	memset(err, 'x', sizeof(err));
	assert_int_equal(parse("tls_config:\n  nope: 1\n", c, err, 11),
	    ERR_INVAL);
	assert_string_equal(err, "tls_config");
	assert_int_equal(err[11], 'x');
	assert_int_equal(promcfg_load(NULL, c, NULL, 0), ERR_INVAL);
	memset(err, 'x', sizeof(err));
	assert_int_equal(parse("{}", c, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	promcfg_free(c);
	promcfg_free(c);
	promcfg_free(NULL);
}

/*
 * Each allocation of the module fails in turn: ERR_NOMEM, *out zeroed,
 * nothing leaked (cmocka checks its allocations), until one run sees no
 * failure and succeeds.
 */
static void
alloc_torture(const char *what, int (*call)(struct promcfg *, char *,
    size_t))
{
	struct promcfg c;
	char err[512];
	long k;
	int r, failures = 0;

	for (k = 0; k < 10000; k++) {
		fail_at = k;
		r = call(&c, err, sizeof(err));
		if (fail_at >= 0) {
			/* No allocation failed: the run is complete. */
			fail_at = -1;
			if (r != 0)
				fail_msg("%s: %d \"%s\"", what, r, err);
			promcfg_free(&c);
			break;
		}
		if (r != ERR_NOMEM)
			fail_msg("%s, allocation %ld failing: %d \"%s\"", what,
			    k, r, err);
		assert_non_null(strstr(err, "out of memory"));
		assert_memory_equal(&c, &zero, sizeof(c));
		failures++;
	}
	fail_at = -1;
	print_message("%s: %d allocations failed in turn\n", what, failures);
	assert_true(failures >= 5);
}

static int
load_full(struct promcfg *c, char *err, size_t errsz)
{
	return promcfg_load(FIXTURES "full.yml", c, err, errsz);
}

static int
load_authorization(struct promcfg *c, char *err, size_t errsz)
{
	return promcfg_load(FIXTURES "authorization.yml", c, err, errsz);
}

static int
parse_bearer(struct promcfg *c, char *err, size_t errsz)
{
	return parse("bearer_token: t\nbearer_token_file:\nhttp_headers:\n"
	    "  X-A: {values: [a, b], secrets: [s], files: [f]}\n", c, err,
	    errsz);
}

static void
test_alloc_failures(void **state)
{
	(void)state;
	alloc_torture("full.yml", load_full);
	alloc_torture("authorization.yml", load_authorization);
	alloc_torture("bearer_token", parse_bearer);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_authorization, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bearer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_defaults, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_nulls, setup, teardown),
		cmocka_unit_test(test_auth_exclusive),
		cmocka_unit_test(test_auth_pairs),
		cmocka_unit_test(test_auth_type),
		cmocka_unit_test_setup_teardown(test_tls_rules, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_proxy_rules, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_headers, setup, teardown),
		cmocka_unit_test(test_header_refusals),
		cmocka_unit_test_setup_teardown(test_caps, setup, teardown),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_yaml_features),
		cmocka_unit_test(test_secret_not_in_errors),
		cmocka_unit_test_setup_teardown(test_secrets_wiped, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_load_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_err_buffer, setup,
		    teardown),
		cmocka_unit_test(test_alloc_failures),
	};

	return cmocka_run_group_tests_name("promcfg", tests, NULL, NULL);
}
