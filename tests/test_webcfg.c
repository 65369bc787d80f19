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
 * The module's allocations go through alloc_fail.h, and fail_at makes the
 * n-th one from now fail once.  libyaml's own allocations are not seen.
 */
#include "alloc_fail.h"

/*
 * Every explicit_bzero() of the module is recorded, so that a test can
 * see which secrets were wiped before their memory was freed.
 */
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

#include "../lib/webcfg.c"

#define FIXTURES	"tests/fixtures/webcfg/"

/* Hashes of alice123, bob123, carol123 (tests/fixtures/webcfg/full.yml). */
#define H_Y	"$2y$10$0CZJeFa.uP9yeY54l9OLyuk0A.Qeau6CHLnEovijsLaKJx/i1NlAS"
#define H_A	"$2a$10$InxD5YlVQ5pJhQkcc8YW5.hTDQ3AAfWqmkLUI.oMR.2p6K1aa6oxa"
#define H_B	"$2b$10$/xtt6gScihiOiBlv7YRp4OOE66eCkIT4fiL4s3ZmsZUpQqCLb8pMO"
/* 53 characters of salt and hash, to build hashes around. */
#define H_BODY	"0CZJeFa.uP9yeY54l9OLyuk0A.Qeau6CHLnEovijsLaKJx/i1NlAS"

/* Sixteen bytes, for a key longer than a message shows. */
#define A16	"aaaaaaaaaaaaaaaa"
/* The headers mapping, to put header lines after. */
#define HDRS	"http_server_config:\n  headers:\n"

/* The smallest TLS section the toolkit serves. */
#define TLS_OK	"tls_server_config:\n  cert_file: c\n  key_file: k\n"
/* TLS that verifies client certificates, as client_allowed_sans needs. */
#define TLS_VERIFY	TLS_OK "  client_auth_type: RequireAndVerifyClientCert\n" \
	"  client_ca_file: ca\n"

static const struct webcfg zero;

/*
 * A struct webcfg per test.  A test frees what it holds before it returns
 * (cmocka counts the blocks left at the end of each test function); the
 * teardown releases it when an assertion has ended the test early.
 */
static int
setup(void **state)
{
	if ((*state = calloc(1, sizeof(struct webcfg))) == NULL)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	webcfg_free(*state);
	free(*state);
	return 0;
}

static int
parse(const char *yaml, struct webcfg *c, char *err, size_t errsz)
{
	return webcfg_parse(yaml, strlen(yaml), "/etc/pce", c, err, errsz);
}

/* Parses yaml, which must succeed; c is freed first. */
static void
parse_ok(const char *yaml, struct webcfg *c)
{
	char err[512];
	int r;

	webcfg_free(c);
	if ((r = parse(yaml, c, err, sizeof(err))) != 0)
		fail_msg("%s\n  got %d \"%s\", want 0", yaml, r, err);
	assert_string_equal(err, "");
}

/*
 * A refusal: the code, a message containing want, on one line, and *out
 * zeroed though it held garbage.
 */
static void
expect_bad_n(const char *yaml, size_t len, int ret, const char *want)
{
	struct webcfg c;
	char err[512];
	int r;

	memset(&c, 0x5a, sizeof(c));
	memcpy(err, "garbage", 8);
	r = webcfg_parse(yaml, len, "/etc/pce", &c, err, sizeof(err));
	if (r == 0)
		webcfg_free(&c);
	if (r != ret || strstr(err, want) == NULL)
		fail_msg("%s\n  got %d \"%s\"\n  want %d \"%s\"", yaml, r, err,
		    ret, want);
	assert_null(strchr(err, '\n'));
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
	struct webcfg c;
	char err[512];
	int r;

	memset(&c, 0x5a, sizeof(c));
	r = webcfg_load(path, &c, err, sizeof(err));
	if (r == 0)
		webcfg_free(&c);
	if (r != ret || strstr(err, want) == NULL)
		fail_msg("%s: got %d \"%s\", want %d \"%s\"", path, r, err,
		    ret, want);
	assert_memory_equal(&c, &zero, sizeof(c));
}

static void
check_full(const struct webcfg *c, const char *dir)
{
	char want[PATH_MAX];

	assert_int_equal(c->tls.enabled, 1);
	(void)snprintf(want, sizeof(want), "%s/server.crt", dir);
	assert_string_equal(c->tls.cert_file, want);
	(void)snprintf(want, sizeof(want), "%s/keys/server.key", dir);
	assert_string_equal(c->tls.key_file, want);
	/* "../webcfg/./ca//clients.pem", cleaned as Go does. */
	(void)snprintf(want, sizeof(want), "%s/ca/clients.pem", dir);
	assert_string_equal(c->tls.client_ca_file, want);
	assert_null(c->tls.cert_pem);
	assert_null(c->tls.key_pem);
	assert_null(c->tls.client_ca_pem);
	assert_int_equal(c->tls.client_auth, WEBCFG_REQUIRE_AND_VERIFY);
	assert_int_equal(c->tls.allowed_sans_given, 1);
	assert_int_equal(c->tls.nallowed_sans, 3);
	assert_string_equal(c->tls.allowed_sans[0], "prometheus.example.net");
	assert_string_equal(c->tls.allowed_sans[1], "192.0.2.10");
	assert_string_equal(c->tls.allowed_sans[2],
	    "spiffe://example.net/prometheus");
	assert_int_equal(c->tls.min_version, WEBCFG_TLS13);
	assert_int_equal(c->tls.max_version, WEBCFG_TLS13);
	assert_int_equal(c->http2, 0);
	assert_int_equal(c->http2_given, 1);
	assert_int_equal(c->nheaders, 5);
	assert_string_equal(c->headers[0].name, "X-Frame-Options");
	assert_string_equal(c->headers[0].value, "deny");
	assert_string_equal(c->headers[1].name, "Strict-Transport-Security");
	assert_string_equal(c->headers[1].value,
	    "max-age=31536000; includeSubDomains");
	assert_string_equal(c->headers[2].name, "X-Content-Type-Options");
	assert_string_equal(c->headers[2].value, "nosniff");
	/* A plain 1 is a string's text, as yaml.v2 gives a string field. */
	assert_string_equal(c->headers[3].name, "X-XSS-Protection");
	assert_string_equal(c->headers[3].value, "1");
	assert_string_equal(c->headers[4].name, "Content-Security-Policy");
	assert_string_equal(c->headers[4].value,
	    "default-src 'self' *.test.example.net");
	assert_int_equal(c->nusers, 3);
	assert_string_equal(c->users[0].name, "alice");
	assert_string_equal(c->users[0].hash, H_Y);
	assert_string_equal(c->users[1].name, "bob");
	assert_string_equal(c->users[1].hash, H_A);
	assert_string_equal(c->users[2].name, "carol");
	assert_string_equal(c->users[2].hash, H_B);
}

/* Every key, relative paths taken from the file's directory. */
static void
test_full(void **state)
{
	struct webcfg *c = *state;
	char err[512], cwd[PATH_MAX - 64], dir[PATH_MAX - 32], path[PATH_MAX];

	assert_int_equal(webcfg_load(FIXTURES "full.yml", c, err,
	    sizeof(err)), 0);
	assert_string_equal(err, "");
	check_full(c, "tests/fixtures/webcfg");
	webcfg_free(c);
	/* CRLF line ends change nothing. */
	assert_int_equal(webcfg_load(FIXTURES "full_crlf.yml", c, err,
	    sizeof(err)), 0);
	check_full(c, "tests/fixtures/webcfg");
	webcfg_free(c);
	/* Named by an absolute path, and by an uncleaned one. */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	(void)snprintf(dir, sizeof(dir), "%s/tests/fixtures/webcfg", cwd);
	(void)snprintf(path, sizeof(path), "%s/full.yml", dir);
	assert_int_equal(webcfg_load(path, c, err, sizeof(err)), 0);
	check_full(c, dir);
	webcfg_free(c);
	assert_int_equal(webcfg_load("./tests//fixtures/../fixtures/webcfg/"
	    "full.yml", c, err, sizeof(err)), 0);
	check_full(c, "tests/fixtures/webcfg");
	webcfg_free(c);
}

/* cert, key and client_ca inline; every value of the other kind. */
static void
test_inline(void **state)
{
	struct webcfg *c = *state;
	char err[512];

	assert_int_equal(webcfg_load(FIXTURES "inline.yml", c, err,
	    sizeof(err)), 0);
	assert_int_equal(c->tls.enabled, 1);
	assert_null(c->tls.cert_file);
	assert_null(c->tls.key_file);
	assert_null(c->tls.client_ca_file);
	assert_string_equal(c->tls.cert_pem, "-----BEGIN CERTIFICATE-----\n"
	    "cGxhY2Vob2xkZXIgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
	assert_string_equal(c->tls.key_pem, "-----BEGIN PRIVATE KEY-----\n"
	    "cGxhY2Vob2xkZXIga2V5\n-----END PRIVATE KEY-----\n");
	assert_string_equal(c->tls.client_ca_pem,
	    "-----BEGIN CERTIFICATE-----\ncGxhY2Vob2xkZXIgY2E=\n"
	    "-----END CERTIFICATE-----\n");
	assert_int_equal(c->tls.client_auth, WEBCFG_VERIFY_IF_GIVEN);
	assert_int_equal(c->tls.min_version, WEBCFG_TLS10);
	assert_int_equal(c->tls.max_version, WEBCFG_TLS11);
	assert_int_equal(c->tls.allowed_sans_given, 0);
	assert_int_equal(c->http2, 1);
	assert_int_equal(c->http2_given, 0);
	/* Absolute paths are kept as given, not cleaned (JoinDir). */
	parse_ok("tls_server_config:\n  cert_file: /etc//pce/./c.pem\n"
	    "  key_file: /k\n  client_ca_file: /ca\n"
	    "  client_auth_type: RequireAndVerifyClientCert\n", c);
	assert_string_equal(c->tls.cert_file, "/etc//pce/./c.pem");
	assert_string_equal(c->tls.key_file, "/k");
	assert_string_equal(c->tls.client_ca_file, "/ca");
	/* A file and an inline value of different kinds mix. */
	parse_ok("tls_server_config:\n  cert_file: c\n  key: |\n    k\n", c);
	assert_string_equal(c->tls.cert_file, "/etc/pce/c");
	assert_string_equal(c->tls.key_pem, "k\n");
	webcfg_free(c);
}

static void
check_defaults(const struct webcfg *c)
{
	assert_int_equal(c->tls.enabled, 0);
	assert_null(c->tls.cert_file);
	assert_null(c->tls.key_file);
	assert_null(c->tls.cert_pem);
	assert_null(c->tls.key_pem);
	assert_null(c->tls.client_ca_file);
	assert_null(c->tls.client_ca_pem);
	assert_int_equal(c->tls.client_auth, WEBCFG_NO_CLIENT_CERT);
	assert_null(c->tls.allowed_sans);
	assert_int_equal(c->tls.nallowed_sans, 0);
	assert_int_equal(c->tls.allowed_sans_given, 0);
	assert_int_equal(c->tls.min_version, WEBCFG_TLS12);
	assert_int_equal(c->tls.max_version, WEBCFG_TLS13);
	assert_null(c->users);
	assert_int_equal(c->nusers, 0);
	assert_null(c->headers);
	assert_int_equal(c->nheaders, 0);
	assert_int_equal(c->http2, 1);
	assert_int_equal(c->http2_given, 0);
}

/*
 * The toolkit's defaults, and what it takes as no configuration: an empty
 * file (its web_config_empty.yml), comments, a null document, empty
 * sections.  Without a TLS key there is no TLS, whatever else is set.
 */
static void
test_defaults(void **state)
{
	static const char *const empty[] = {
		"",
		"\n\n",
		"# nothing\n",
		"---\n",
		"--- ~\n",
		"null\n",
		"{}\n",
		"%YAML 1.1\n---\n{}\n...\n",
		"tls_server_config:\nhttp_server_config:\nbasic_auth_users:\n",
		"tls_server_config: {}\nhttp_server_config: {}\n"
		    "basic_auth_users: {}\n",
		"http_server_config:\n  headers:\n",
		"tls_server_config:\n  client_allowed_sans:\n",
		"tls_server_config:\n  cert_file: \"\"\n  key: ''\n"
		    "  client_auth_type: \"\"\n  client_ca_file:\n"
		    "  min_version: ~\n",
	};
	struct webcfg *c = *state;
	char err[512];
	size_t i;

	for (i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		parse_ok(empty[i], c);
		check_defaults(c);
	}
	webcfg_free(c);
	assert_int_equal(webcfg_load(FIXTURES "empty.yml", c, err,
	    sizeof(err)), 0);
	check_defaults(c);
	webcfg_free(c);
	assert_int_equal(webcfg_load(FIXTURES "comments.yml", c, err,
	    sizeof(err)), 0);
	check_defaults(c);
	webcfg_free(c);
	/* Basic auth without TLS. */
	assert_int_equal(webcfg_load(FIXTURES "users_notls.yml", c, err,
	    sizeof(err)), 0);
	assert_int_equal(c->tls.enabled, 0);
	assert_int_equal(c->nusers, 1);
	assert_string_equal(c->users[0].hash, H_Y);
	/* Only a certificate and a key: every TLS default. */
	webcfg_free(c);
	assert_int_equal(webcfg_load(FIXTURES "minimal.yml", c, err,
	    sizeof(err)), 0);
	assert_int_equal(c->tls.enabled, 1);
	assert_string_equal(c->tls.cert_file,
	    "tests/fixtures/webcfg/server.crt");
	assert_string_equal(c->tls.key_file,
	    "tests/fixtures/webcfg/server.key");
	assert_int_equal(c->tls.client_auth, WEBCFG_NO_CLIENT_CERT);
	assert_int_equal(c->tls.min_version, WEBCFG_TLS12);
	assert_int_equal(c->tls.max_version, WEBCFG_TLS13);
	assert_int_equal(c->http2, 1);
	/* The same after a byte order mark. */
	webcfg_free(c);
	assert_int_equal(webcfg_load(FIXTURES "bom.yml", c, err,
	    sizeof(err)), 0);
	assert_int_equal(c->tls.enabled, 1);
	assert_string_equal(c->tls.key_file,
	    "tests/fixtures/webcfg/server.key");
	/* TLS settings without a TLS key are kept, and TLS stays off. */
	parse_ok("tls_server_config:\n  min_version: TLS13\n"
	    "  max_version: TLS12\n  client_allowed_sans: [a]\n", c);
	assert_int_equal(c->tls.enabled, 0);
	assert_int_equal(c->tls.min_version, WEBCFG_TLS13);
	assert_int_equal(c->tls.nallowed_sans, 1);
	webcfg_free(c);
}

/* A plain null is the zero value, as in yaml.v2; a quoted "" is a string. */
static void
test_nulls(void **state)
{
	struct webcfg *c = *state;

	parse_ok("http_server_config:\n  http2:\n", c);
	assert_int_equal(c->http2, 0);
	assert_int_equal(c->http2_given, 1);
	parse_ok("http_server_config:\n  http2: ~\n", c);
	assert_int_equal(c->http2, 0);
	parse_ok(TLS_VERIFY "  client_allowed_sans: []\n", c);
	assert_int_equal(c->tls.allowed_sans_given, 1);
	assert_int_equal(c->tls.nallowed_sans, 0);
	parse_ok(TLS_VERIFY "  client_allowed_sans: [~, '', x]\n", c);
	assert_int_equal(c->tls.nallowed_sans, 3);
	assert_string_equal(c->tls.allowed_sans[0], "");
	assert_string_equal(c->tls.allowed_sans[1], "");
	assert_string_equal(c->tls.allowed_sans[2], "x");
	parse_ok(TLS_OK "  min_version:\n  max_version: Null\n", c);
	assert_int_equal(c->tls.min_version, WEBCFG_TLS12);
	assert_int_equal(c->tls.max_version, WEBCFG_TLS13);
	/* Only plain scalars are null: a quoted "null" is a path. */
	parse_ok("tls_server_config:\n  cert_file: \"null\"\n  key_file: "
	    "'~'\n", c);
	assert_string_equal(c->tls.cert_file, "/etc/pce/null");
	assert_string_equal(c->tls.key_file, "/etc/pce/~");
	/* A null or empty user name is the name "". */
	parse_ok("basic_auth_users:\n  ~: " H_Y "\n", c);
	assert_int_equal(c->nusers, 1);
	assert_string_equal(c->users[0].name, "");
	parse_ok("basic_auth_users:\n  \"\": " H_Y "\n  1: " H_A "\n", c);
	assert_int_equal(c->nusers, 2);
	assert_string_equal(c->users[0].name, "");
	assert_string_equal(c->users[1].name, "1");
	/* A header given blank is left out ("Unset if blank"). */
	parse_ok(HDRS
	    "    Strict-Transport-Security:\n"
	    "    Content-Security-Policy: \"\"\n"
	    "    X-XSS-Protection: '0'\n", c);
	assert_int_equal(c->nheaders, 1);
	assert_string_equal(c->headers[0].name, "X-XSS-Protection");
	assert_string_equal(c->headers[0].value, "0");
	webcfg_free(c);
}

/* yaml.v2's booleans, plain only. */
static void
test_bools(void **state)
{
	static const char *const t[] = {
		"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE",
		"on", "On", "ON",
	};
	static const char *const f[] = {
		"n", "N", "no", "No", "NO", "false", "False", "FALSE",
		"off", "Off", "OFF",
	};
	static const char *const bad[] = {
		"\"true\"", "'false'", "1", "0", "tRUE", "enabled", "[]", "{}",
	};
	struct webcfg *c = *state;
	char yaml[128];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		(void)snprintf(yaml, sizeof(yaml),
		    "http_server_config:\n  http2: %s\n", t[i]);
		parse_ok(yaml, c);
		assert_int_equal(c->http2, 1);
		assert_int_equal(c->http2_given, 1);
	}
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		(void)snprintf(yaml, sizeof(yaml),
		    "http_server_config:\n  http2: %s\n", f[i]);
		parse_ok(yaml, c);
		assert_int_equal(c->http2, 0);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		(void)snprintf(yaml, sizeof(yaml),
		    "http_server_config:\n  http2: %s\n", bad[i]);
		expect_bad(yaml, ERR_INVAL, "http_server_config.http2: "
		    "expected true or false (line 2, column 10)");
	}
	webcfg_free(c);
}

/* The toolkit's web_config_headers.good.yml, and the values it takes. */
static void
test_headers(void **state)
{
	struct webcfg *c = *state;

	parse_ok(HDRS
	    "    X-Frame-Options: sameorigin\n"
	    "    X-XSS-Protection: 1; mode=block\n"
	    "    Content-Security-Policy: \"a\\tb\"\n", c);
	assert_int_equal(c->nheaders, 3);
	assert_string_equal(c->headers[0].value, "sameorigin");
	assert_string_equal(c->headers[1].value, "1; mode=block");
	/* HTAB is field content (RFC 9110); UTF-8 is taken as it is. */
	assert_string_equal(c->headers[2].value, "a\tb");
	parse_ok(HDRS
	    "    Content-Security-Policy: \"caf\\u00e9\"\n", c);
	assert_string_equal(c->headers[0].value, "caf\xc3\xa9");
	webcfg_free(c);
}

/* Go's filepath.Clean, Join and Dir, after Go's own test tables. */
static void
test_paths(void **state)
{
	static const struct {
		const char	*in, *out;
	} cleans[] = {
		{ "", "." },
		{ "abc", "abc" },
		{ "abc/def", "abc/def" },
		{ "a/b/c", "a/b/c" },
		{ ".", "." },
		{ "..", ".." },
		{ "../..", "../.." },
		{ "../../abc", "../../abc" },
		{ "/abc", "/abc" },
		{ "/", "/" },
		{ "abc/", "abc" },
		{ "abc/def/", "abc/def" },
		{ "a/b/c/", "a/b/c" },
		{ "./", "." },
		{ "../", ".." },
		{ "../../", "../.." },
		{ "/abc/", "/abc" },
		{ "abc//def//ghi", "abc/def/ghi" },
		{ "//abc", "/abc" },
		{ "///abc", "/abc" },
		{ "//abc//", "/abc" },
		{ "abc//", "abc" },
		{ "abc/./def", "abc/def" },
		{ "/./abc/def", "/abc/def" },
		{ "abc/.", "abc" },
		{ "abc/def/ghi/../jkl", "abc/def/jkl" },
		{ "abc/def/../ghi/../jkl", "abc/jkl" },
		{ "abc/def/..", "abc" },
		{ "abc/def/../..", "." },
		{ "/abc/def/../..", "/" },
		{ "abc/def/../../..", ".." },
		{ "/abc/def/../../..", "/" },
		{ "abc/def/../../../ghi/jkl/../../../mno", "../../mno" },
		{ "/../abc", "/abc" },
		{ "a/../b:/../../c", "../c" },
		{ "abc/./../def", "def" },
		{ "abc//./../def", "def" },
		{ "abc/../../././../def", "../../def" },
		{ "...", "..." },
		{ ".../..", "." },
		{ "..a", "..a" },
	};
	static const struct {
		const char	*dir, *p, *out;
	} joins[] = {
		{ "/etc/pce", "server.crt", "/etc/pce/server.crt" },
		{ "/etc/pce", "../tls/./c.pem", "/etc/tls/c.pem" },
		{ "/etc/pce", "../../../c", "/c" },
		{ "/etc/pce", "/abs//c", "/abs//c" },
		{ ".", "c", "c" },
		{ ".", "../c", "../c" },
		{ "conf", "../c", "c" },
		{ "/", "c", "/c" },
		{ "", "a//b", "a/b" },
		{ NULL, "./a", "a" },
	};
	static const struct {
		const char	*path, *dir;
	} dirs[] = {
		{ "web.yml", "." },
		{ "/etc/web.yml", "/etc" },
		{ "/web.yml", "/" },
		{ "a/b/../c/web.yml", "a/c" },
		{ "a//b/web.yml", "a/b" },
		{ "./web.yml", "." },
		{ "../web.yml", ".." },
		{ "a/", "a" },
	};
	struct webcfg *c = *state;
	char *s;
	size_t i;

	for (i = 0; i < sizeof(cleans) / sizeof(cleans[0]); i++) {
		assert_non_null(s = clean(cleans[i].in));
		if (strcmp(s, cleans[i].out) != 0)
			fail_msg("Clean(%s) = %s, want %s", cleans[i].in, s,
			    cleans[i].out);
		free(s);
	}
	for (i = 0; i < sizeof(joins) / sizeof(joins[0]); i++) {
		assert_non_null(s = join_dir(joins[i].dir, joins[i].p));
		if (strcmp(s, joins[i].out) != 0)
			fail_msg("JoinDir(%s, %s) = %s, want %s",
			    joins[i].dir != NULL ? joins[i].dir : "NULL",
			    joins[i].p, s, joins[i].out);
		free(s);
	}
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		assert_non_null(s = dir_of(dirs[i].path));
		if (strcmp(s, dirs[i].dir) != 0)
			fail_msg("Dir(%s) = %s, want %s", dirs[i].path, s,
			    dirs[i].dir);
		free(s);
	}
	/* Every path key, through webcfg_parse() with a dir and without. */
	parse_ok("tls_server_config:\n  cert_file: ../tls/c.pem\n"
	    "  key_file: k\n  client_ca_file: ./ca/../ca.pem\n"
	    "  client_auth_type: RequireAndVerifyClientCert\n", c);
	assert_string_equal(c->tls.cert_file, "/etc/tls/c.pem");
	assert_string_equal(c->tls.key_file, "/etc/pce/k");
	assert_string_equal(c->tls.client_ca_file, "/etc/pce/ca.pem");
	webcfg_free(c);
	assert_int_equal(webcfg_parse(TLS_OK, strlen(TLS_OK), NULL, c, NULL,
	    0), 0);
	assert_string_equal(c->tls.cert_file, "c");
	/* Inline PEM is no path. */
	parse_ok("tls_server_config:\n  cert: c\n  key: k\n", c);
	assert_string_equal(c->tls.cert_pem, "c");
	assert_string_equal(c->tls.key_pem, "k");
	webcfg_free(c);
}

/* Unknown and refused keys, at each level. */
static void
test_keys(void **state)
{
	(void)state;
	expect_bad("foo: 1\n", ERR_INVAL,
	    "foo: unknown key (line 1, column 1)");
	expect_bad("tls_server_config:\n  cert_file: a\n  cipher_suits: [x]\n",
	    ERR_INVAL, "tls_server_config.cipher_suits: unknown key (line 3, "
	    "column 3)");
	expect_bad("http_server_config:\n  http3: true\n", ERR_INVAL,
	    "http_server_config.http3: unknown key (line 2, column 3)");
	expect_bad("tls_server_config:\n  Cert_File: a\n", ERR_INVAL,
	    "tls_server_config.Cert_File: unknown key");
	expect_bad("Tls_Server_Config: {}\n", ERR_INVAL,
	    "Tls_Server_Config: unknown key");
	expect_bad("<<: {tls_server_config: {}}\n", ERR_INVAL,
	    "<<: unknown key");
	expect_bad("web:\n  config: 1\n", ERR_INVAL, "web: unknown key");
	/* Keys are printed without control bytes, and cut. */
	expect_bad("\"a\\nb\\u00e9\": 1\n", ERR_INVAL, "a?b??: unknown key");
	expect_bad(A16 A16 A16 A16 "Z: 1\n", ERR_INVAL,
	    A16 A16 A16 A16 "...: unknown key");
	expect_bad("\"\": 1\n", ERR_INVAL, "\"\": unknown key");
	/* The toolkit's keys this exporter does not take, by name. */
	expect_bad(TLS_OK "  cipher_suites:\n    - TLS_AES_128_GCM_SHA256\n",
	    ERR_INVAL, "tls_server_config.cipher_suites: not supported: the "
	    "exporter's TLS (libmicrohttpd, GnuTLS) takes GnuTLS priorities, "
	    "not Go's settings (line 4, column 3)");
	expect_bad(TLS_OK "  curve_preferences: [X25519]\n", ERR_INVAL,
	    "tls_server_config.curve_preferences: not supported: ");
	expect_bad(TLS_OK "  prefer_server_cipher_suites: false\n", ERR_INVAL,
	    "tls_server_config.prefer_server_cipher_suites: not supported: ");
	expect_bad("rate_limit:\n  interval: 1s\n  burst: 20\n", ERR_INVAL,
	    "rate_limit: not supported by this exporter (line 1, column 1)");
	/* A key that is no string. */
	expect_bad("? [a, b]\n: c\n", ERR_INVAL,
	    "top level: a key must be a string (line 1, column 3)");
	expect_bad("tls_server_config:\n  ? {a: b}\n  : c\n", ERR_INVAL,
	    "tls_server_config: a key must be a string");
	expect_bad("basic_auth_users:\n  [a]: " H_Y "\n", ERR_INVAL,
	    "basic_auth_users: a key must be a string");
	expect_bad(HDRS "    [a]: b\n", ERR_INVAL,
	    "http_server_config.headers: a key must be a string");
}

/* Values of the wrong YAML kind. */
static void
test_types(void **state)
{
	(void)state;
	expect_bad("- a\n- b\n", ERR_INVAL,
	    "top level: expected a mapping (line 1, column 1)");
	expect_bad("junk\n", ERR_INVAL, "top level: expected a mapping");
	expect_bad("\"\"\n", ERR_INVAL, "top level: expected a mapping");
	expect_bad("42\n", ERR_INVAL, "top level: expected a mapping");
	expect_bad("tls_server_config: x\n", ERR_INVAL,
	    "tls_server_config: expected a mapping (line 1, column 20)");
	expect_bad("tls_server_config: []\n", ERR_INVAL,
	    "tls_server_config: expected a mapping");
	expect_bad("http_server_config: []\n", ERR_INVAL,
	    "http_server_config: expected a mapping");
	expect_bad("tls_server_config:\n  cert_file: [a]\n", ERR_INVAL,
	    "tls_server_config.cert_file: expected a string (line 2, "
	    "column 14)");
	expect_bad("tls_server_config:\n  key: {a: b}\n", ERR_INVAL,
	    "tls_server_config.key: expected a string");
	expect_bad("tls_server_config:\n  client_auth_type: []\n", ERR_INVAL,
	    "tls_server_config.client_auth_type: expected a string");
	expect_bad("tls_server_config:\n  client_allowed_sans: a\n", ERR_INVAL,
	    "tls_server_config.client_allowed_sans: expected a list of "
	    "strings (line 2, column 24)");
	expect_bad("tls_server_config:\n  client_allowed_sans: {a: b}\n",
	    ERR_INVAL, "client_allowed_sans: expected a list of strings");
	expect_bad("tls_server_config:\n  client_allowed_sans: [a, [b]]\n",
	    ERR_INVAL, "tls_server_config.client_allowed_sans[1]: expected a "
	    "string (line 2, column 28)");
	expect_bad("basic_auth_users: [alice]\n", ERR_INVAL,
	    "basic_auth_users: expected a mapping of user names to bcrypt "
	    "hashes");
	expect_bad("basic_auth_users:\n  alice: [x]\n", ERR_INVAL,
	    "basic_auth_users.alice: expected a bcrypt hash");
	expect_bad("http_server_config:\n  headers: [a]\n", ERR_INVAL,
	    "http_server_config.headers: expected a mapping of header names "
	    "to values");
	expect_bad(HDRS "    X-Frame-Options: [deny]\n", ERR_INVAL,
	    "http_server_config.headers.X-Frame-Options: expected a string");
}

static void
test_versions(void **state)
{
	struct webcfg *c = *state;

	parse_ok(TLS_OK "  min_version: TLS10\n  max_version: TLS12\n", c);
	assert_int_equal(c->tls.min_version, WEBCFG_TLS10);
	assert_int_equal(c->tls.max_version, WEBCFG_TLS12);
	parse_ok(TLS_OK "  min_version: \"TLS11\"\n  max_version: TLS11\n", c);
	assert_int_equal(c->tls.min_version, WEBCFG_TLS11);
	assert_int_equal(c->tls.max_version, WEBCFG_TLS11);
	parse_ok(TLS_OK "  min_version: TLS13\n", c);
	assert_int_equal(c->tls.min_version, WEBCFG_TLS13);
	assert_int_equal(c->tls.max_version, WEBCFG_TLS13);
	/* The toolkit's web_config_noAuth_wrongTLSVersion.bad.yml. */
	expect_bad(TLS_OK "  min_version: TLS111\n", ERR_INVAL,
	    "tls_server_config.min_version: unknown TLS version TLS111: "
	    "expected TLS10, TLS11, TLS12 or TLS13 (line 4, column 16)");
	expect_bad(TLS_OK "  max_version: tls12\n", ERR_INVAL,
	    "tls_server_config.max_version: unknown TLS version tls12");
	expect_bad(TLS_OK "  min_version: \"\"\n", ERR_INVAL,
	    "min_version: unknown TLS version \"\"");
	expect_bad(TLS_OK "  min_version: 1.2\n", ERR_INVAL,
	    "min_version: unknown TLS version 1.2");
	expect_bad(TLS_OK "  min_version: TLS12 \n  max_version: TLS1.3\n",
	    ERR_INVAL, "max_version: unknown TLS version TLS1.3");
	expect_bad(TLS_OK "  min_version: TLS13\n  max_version: TLS12\n",
	    ERR_INVAL, "tls_server_config: min_version TLS13 is above "
	    "max_version TLS12 (line 4, column 3)");
	expect_bad(TLS_OK "  max_version: TLS11\n", ERR_INVAL,
	    "min_version TLS12 is above max_version TLS11");
	/* Stricter than the toolkit: SANs nobody would check. */
	expect_bad(TLS_OK "  client_allowed_sans: [a]\n", ERR_INVAL,
	    "tls_server_config.client_allowed_sans: needs a "
	    "client_auth_type that verifies client certificates, not "
	    "NoClientCert (line 4, column 3)");
	webcfg_free(c);
}

static void
test_client_auth(void **state)
{
	struct webcfg *c = *state;

	parse_ok(TLS_OK "  client_auth_type: NoClientCert\n", c);
	assert_int_equal(c->tls.client_auth, WEBCFG_NO_CLIENT_CERT);
	assert_int_equal(c->tls.enabled, 1);
	parse_ok(TLS_OK "  client_auth_type: VerifyClientCertIfGiven\n"
	    "  client_ca: x\n", c);
	assert_int_equal(c->tls.client_auth, WEBCFG_VERIFY_IF_GIVEN);
	parse_ok(TLS_OK "  client_auth_type: RequireAndVerifyClientCert\n"
	    "  client_ca_file: ca.pem\n", c);
	assert_int_equal(c->tls.client_auth, WEBCFG_REQUIRE_AND_VERIFY);
	assert_string_equal(c->tls.client_ca_file, "/etc/pce/ca.pem");
	/* Refused by name: a certificate nobody verifies. */
	expect_bad(TLS_OK "  client_auth_type: RequestClientCert\n", ERR_INVAL,
	    "tls_server_config.client_auth_type: RequestClientCert is not "
	    "supported by this exporter: it takes a client certificate "
	    "without verifying it; use RequireAndVerifyClientCert (line 4, "
	    "column 21)");
	/* The toolkit's tls_config_noAuth.requireanyclientcert.good.yml. */
	expect_bad(TLS_OK "  client_auth_type: \"RequireAnyClientCert\"\n",
	    ERR_INVAL, "client_auth_type: RequireAnyClientCert is not "
	    "supported by this exporter");
	expect_bad(TLS_OK "  client_auth_type: RequireClientCert\n"
	    "  client_ca_file: ca\n", ERR_INVAL,
	    "client_auth_type: RequireClientCert is not supported");
	expect_bad(TLS_OK "  client_auth_type: requireandverifyclientcert\n",
	    ERR_INVAL, "tls_server_config.client_auth_type: invalid value "
	    "requireandverifyclientcert: expected NoClientCert, "
	    "VerifyClientCertIfGiven or RequireAndVerifyClientCert");
	/* The toolkit's certPath_keyPath_empty: no cert comes first there. */
	expect_bad(TLS_OK "  client_auth_type: x\n", ERR_INVAL,
	    "invalid value x: expected");
	/* The toolkit's web_config_noAuth.bad.yml: a CA without a policy. */
	expect_bad(TLS_OK "  client_ca_file: /dev/null\n", ERR_INVAL,
	    "tls_server_config: client CA's have been configured without a "
	    "Client Auth Policy (client_auth_type is NoClientCert) (line 4, "
	    "column 3)");
	expect_bad(TLS_OK "  client_ca: x\n  client_auth_type: NoClientCert\n",
	    ERR_INVAL, "client CA's have been configured without a Client "
	    "Auth Policy");
	/*
	 * The toolkit's web_config_auth_clientCAs_missing.bad.yml, which it
	 * serves against the system roots: refused here.
	 */
	expect_bad(TLS_OK "  client_auth_type: RequireAndVerifyClientCert\n",
	    ERR_INVAL, "tls_server_config.client_auth_type: "
	    "RequireAndVerifyClientCert needs client_ca_file or client_ca, "
	    "the CA to verify client certificates with (line 4, column 3)");
	expect_bad(TLS_OK "  client_auth_type: VerifyClientCertIfGiven\n"
	    "  client_ca_file: \"\"\n", ERR_INVAL,
	    "VerifyClientCertIfGiven needs client_ca_file or client_ca");
	webcfg_free(c);
}

/* A certificate and a key, each once. */
static void
test_cert_key(void **state)
{
	(void)state;
	expect_bad("tls_server_config:\n  cert_file: c\n  cert: x\n"
	    "  key_file: k\n", ERR_INVAL, "tls_server_config: cert_file and "
	    "cert are both given: give one (line 3, column 3)");
	expect_bad("tls_server_config:\n  cert: x\n  key_file: k\n"
	    "  key: y\n", ERR_INVAL, "key_file and key are both given");
	expect_bad(TLS_OK "  client_auth_type: RequireAndVerifyClientCert\n"
	    "  client_ca: x\n  client_ca_file: y\n", ERR_INVAL,
	    "client_ca_file and client_ca are both given");
	/* Key without a certificate, and the reverse. */
	expect_bad("tls_server_config:\n  key_file: k\n", ERR_INVAL,
	    "tls_server_config: missing one of cert or cert_file (line 1, "
	    "column 1)");
	expect_bad("tls_server_config:\n  key: |\n    k\n", ERR_INVAL,
	    "missing one of cert or cert_file");
	expect_bad("tls_server_config:\n  cert_file: c\n", ERR_INVAL,
	    "tls_server_config: missing one of key or key_file");
	expect_bad("tls_server_config:\n  cert: c\n", ERR_INVAL,
	    "missing one of key or key_file");
	/* The toolkit's certPath_empty, cert_empty and keyPath_empty. */
	expect_bad("tls_server_config:\n  cert_file: \"\"\n  key_file: k\n",
	    ERR_INVAL, "missing one of cert or cert_file");
	expect_bad("tls_server_config:\n  cert: \"\"\n  key_file: k\n",
	    ERR_INVAL, "missing one of cert or cert_file");
	expect_bad("tls_server_config:\n  cert_file: c\n  key_file: \"\"\n",
	    ERR_INVAL, "missing one of key or key_file");
	expect_bad("tls_server_config:\n  cert_file: c\n  key:\n", ERR_INVAL,
	    "missing one of key or key_file");
	/* Any TLS key turns TLS on, and then both are needed. */
	expect_bad("tls_server_config:\n  client_auth_type: NoClientCert\n",
	    ERR_INVAL, "missing one of cert or cert_file");
	expect_bad("tls_server_config:\n  client_ca_file: ca\n", ERR_INVAL,
	    "missing one of cert or cert_file");
	expect_bad("tls_server_config:\n  client_ca: ca\n", ERR_INVAL,
	    "missing one of cert or cert_file");
}

static void
test_users(void **state)
{
	static const char *const bad[] = {
		"doe",
		"\"\"",
		"",
		"~",
		"$2x$10$" H_BODY,
		"$2$10$" H_BODY,
		"$1$10$" H_BODY,
		"$2y$03$" H_BODY,
		"$2y$32$" H_BODY,
		"$2y$1a$" H_BODY,
		"$2y$10$" H_BODY "A",
		/* One short, a '!', a '+' (standard base64, not bcrypt's). */
		"'$2y$10$0CZJeFa.uP9yeY54l9OLyuk0A.Qeau6CHLnEovijsLaKJx/"
		    "i1NlA'",
		"'$2y$10$0CZJeFa.uP9yeY54l9OLyuk0A.Qeau6CHLnEovijsLaKJx/"
		    "i1Nl!S'",
		"'$2y$10$0CZJeFa+uP9yeY54l9OLyuk0A.Qeau6CHLnEovijsLaKJx/"
		    "i1NlAS'",
		"$2y$10x" H_BODY,
		"$2Y$10$" H_BODY,
		"'{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g='",
		"$apr1$zL3NJx5I$hZG0ThLrcV7OBbSj1J0mM/",
	};
	struct webcfg *c = *state;
	char yaml[256];
	size_t i;

	parse_ok("basic_auth_users:\n  alice: " H_Y "\n  bob: " H_A "\n"
	    "  carol: " H_B "\n  dave: $2y$04$" H_BODY "\n"
	    "  erin: $2y$31$" H_BODY "\n", c);
	assert_int_equal(c->nusers, 5);
	assert_string_equal(c->users[3].name, "dave");
	assert_string_equal(c->users[4].hash, "$2y$31$" H_BODY);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		(void)snprintf(yaml, sizeof(yaml), "basic_auth_users:\n"
		    "  alice: " H_Y "\n  john: %s\n", bad[i]);
		expect_bad(yaml, ERR_INVAL, "basic_auth_users.john: not a "
		    "bcrypt hash (60 characters, $2a$, $2b$ or $2y$, cost 04 "
		    "to 31) (line 3, column ");
	}
	/* The toolkit's web_config_auth_user_list_invalid.bad.yml. */
	expect_bad(TLS_OK "basic_auth_users:\n  john: doe\n", ERR_INVAL,
	    "basic_auth_users.john: not a bcrypt hash");
	/* The name is printed safely; the hash never is. */
	expect_bad("basic_auth_users:\n  \"j\\x1b[0m\": secretpassword\n",
	    ERR_INVAL, "basic_auth_users.j?[0m: not a bcrypt hash");
	webcfg_free(c);
}

static void
test_header_refusals(void **state)
{
	(void)state;
	/* The toolkit's web_config_headers_extra_header.bad.yml. */
	expect_bad(HDRS "    Content-Type: foo\n", ERR_INVAL,
	    "http_server_config.headers.Content-Type: HTTP header can not be "
	    "configured (allowed: Strict-Transport-Security, "
	    "X-Content-Type-Options, X-Frame-Options, X-XSS-Protection, "
	    "Content-Security-Policy) (line 3, column 5)");
	/* Names are compared exactly, as the toolkit's map lookup does. */
	expect_bad(HDRS "    x-frame-options: deny\n", ERR_INVAL,
	    "headers.x-frame-options: HTTP header can not be configured");
	expect_bad(HDRS "    Set-Cookie: a=b\n", ERR_INVAL,
	    "headers.Set-Cookie: HTTP header can not be configured");
	expect_bad(HDRS "    WWW-Authenticate: Basic\n", ERR_INVAL,
	    "headers.WWW-Authenticate: HTTP header can not be configured");
	/* The toolkit's web_config_headers_frame_options.bad.yml. */
	expect_bad(HDRS "    X-Frame-Options: foo\n", ERR_INVAL,
	    "http_server_config.headers.X-Frame-Options: invalid value foo: "
	    "expected deny or sameorigin (line 3, column 22)");
	expect_bad(HDRS "    X-Frame-Options: DENY\n", ERR_INVAL,
	    "X-Frame-Options: invalid value DENY");
	expect_bad(HDRS "    X-Frame-Options:\n", ERR_INVAL,
	    "X-Frame-Options: invalid value \"\"");
	expect_bad(HDRS "    X-Frame-Options: allow-from https://a.example\n",
	    ERR_INVAL, "X-Frame-Options: invalid value allow-from "
	    "https://a.example");
	/* The toolkit's web_config_headers_content_type_options.bad.yml. */
	expect_bad(HDRS "    X-Content-Type-Options: sniff\n", ERR_INVAL,
	    "headers.X-Content-Type-Options: invalid value sniff: expected "
	    "nosniff");
	expect_bad(HDRS "    X-Content-Type-Options: \"nosniff \"\n",
	    ERR_INVAL, "invalid value nosniff : expected nosniff");
	/* No header of the file's own making, no control byte. */
	expect_bad(HDRS "    Content-Security-Policy: \"a\\r\\nSet-Cookie: "
	    "x=y\"\n", ERR_INVAL, "http_server_config.headers."
	    "Content-Security-Policy: control character in the value (line 3, "
	    "column 30)");
	expect_bad(HDRS "    Strict-Transport-Security: \"max-age=1\\n\"\n",
	    ERR_INVAL, "Strict-Transport-Security: control character in the "
	    "value");
	expect_bad(HDRS "    X-XSS-Protection: \"1\\u007f\"\n", ERR_INVAL,
	    "X-XSS-Protection: control character in the value");
	/* A value quoted in a message is shown safely too. */
	expect_bad(HDRS "    X-Frame-Options: \"de\\nny\"\n", ERR_INVAL,
	    "invalid value de?ny: expected");
}

static void
test_duplicates(void **state)
{
	(void)state;
	expect_bad("basic_auth_users:\nbasic_auth_users:\n", ERR_INVAL,
	    "basic_auth_users: duplicate key (line 2, column 1)");
	expect_bad("{tls_server_config: {}, tls_server_config: {}}\n",
	    ERR_INVAL, "tls_server_config: duplicate key (line 1, column 25)");
	expect_bad(TLS_OK "  cert_file: d\n", ERR_INVAL,
	    "tls_server_config.cert_file: duplicate key (line 4, column 3)");
	expect_bad("tls_server_config:\n  cert_file: c\n  \"cert_file\": c\n",
	    ERR_INVAL, "tls_server_config.cert_file: duplicate key");
	expect_bad("http_server_config:\n  http2: true\n  http2: false\n",
	    ERR_INVAL, "http_server_config.http2: duplicate key");
	expect_bad("basic_auth_users:\n  alice: " H_Y "\n  alice: " H_A "\n",
	    ERR_INVAL, "basic_auth_users.alice: duplicate key (line 3, "
	    "column 3)");
	/* yaml.v2 compares the decoded strings: 1 and "1" are one key. */
	expect_bad("basic_auth_users:\n  1: " H_Y "\n  \"1\": " H_A "\n",
	    ERR_INVAL, "basic_auth_users.1: duplicate key");
	expect_bad("basic_auth_users:\n  ~: " H_Y "\n  \"\": " H_A "\n",
	    ERR_INVAL, "basic_auth_users.\"\": duplicate key");
	expect_bad(HDRS "    X-Frame-Options: deny\n"
	    "    X-Frame-Options: sameorigin\n", ERR_INVAL,
	    "http_server_config.headers.X-Frame-Options: duplicate key (line "
	    "4, column 5)");
}

/* What YAML has and the toolkit's format does not need. */
static void
test_yaml_features(void **state)
{
	(void)state;
	expect_bad("tls_server_config: &t\n  cert_file: c\n", ERR_INVAL,
	    "tls_server_config: YAML anchors are not supported (line 1, "
	    "column 20)");
	expect_bad("tls_server_config:\n  cert_file: *c\n", ERR_INVAL,
	    "tls_server_config.cert_file: YAML aliases are not supported "
	    "(line 2, column 14)");
	expect_bad("basic_auth_users:\n  a: &h " H_Y "\n  b: *h\n", ERR_INVAL,
	    "basic_auth_users.a: YAML anchors are not supported");
	expect_bad("&k basic_auth_users: {}\n", ERR_INVAL,
	    "top level: YAML anchors are not supported");
	expect_bad("tls_server_config:\n  cert_file: !!str c\n", ERR_INVAL,
	    "tls_server_config.cert_file: YAML tags are not supported");
	expect_bad("!!map\ntls_server_config: {}\n", ERR_INVAL,
	    "top level: YAML tags are not supported");
	expect_bad("tls_server_config:\n  key: !!binary aGVsbG8=\n", ERR_INVAL,
	    "tls_server_config.key: YAML tags are not supported");
	expect_bad("{}\n---\n{}\n", ERR_INVAL,
	    "top level: more than one YAML document (line 2, column 1)");
	expect_bad("--- {}\n...\n--- {}\n", ERR_INVAL,
	    "more than one YAML document");
	/* Syntax errors carry libyaml's position. */
	expect_bad("tls_server_config:\n  cert_file: a\n bad: x\n", ERR_INVAL,
	    "YAML: ");
	expect_bad("tls_server_config:\n  cert_file: a\n bad: x\n", ERR_INVAL,
	    "(line 3, column 2)");
	expect_bad("tls_server_config: {cert_file: a\n", ERR_INVAL,
	    "YAML: while parsing a flow mapping (line 1, column 20): did not "
	    "find expected ',' or '}' (line 2, column 1)");
	expect_bad("tls_server_config:\n  cert_file: \"x\n", ERR_INVAL,
	    "YAML: while scanning a quoted scalar (line 2, column 14): found "
	    "unexpected end of stream (line 3, column 1)");
	expect_bad("\tfoo: 1\n", ERR_INVAL, "YAML: ");
	/* NUL: in the text, and made by an escape. */
	expect_bad_n("{}\n\n\0\n", 5, ERR_NUL, "NUL byte (line 3, byte 5)");
	expect_bad("tls_server_config:\n  cert_file: \"a\\0b\"\n"
	    "  key_file: k\n", ERR_NUL, "tls_server_config.cert_file: NUL "
	    "byte in a string (line 2, column 14)");
	expect_bad("\"tls_server_config\\0x\": {}\n", ERR_NUL,
	    "top level: NUL byte in a string (line 1, column 1)");
	expect_bad("basic_auth_users:\n  alice: \"" H_Y "\\0\"\n", ERR_NUL,
	    "basic_auth_users.alice: NUL byte in a string");
	expect_bad("tls_server_config:\n  client_allowed_sans: [\"\\0\"]\n",
	    ERR_NUL, "client_allowed_sans[0]: NUL byte in a string");
	/* Not UTF-8, and control characters. */
	expect_bad("a: \"\xff\"\n", ERR_INVAL, "YAML: invalid leading UTF-8 "
	    "octet (line 1, byte 5)");
	expect_bad("a: \x01\n", ERR_INVAL, "YAML: control characters are not "
	    "allowed");
}

/* The bad cases beside the good ones in tests/fixtures/webcfg/. */
static void
test_fixture_refusals(void **state)
{
	(void)state;
	/* The toolkit's web_config_junk.yml and web_config_junk_key.yml. */
	expect_load_bad(FIXTURES "junk.yml", ERR_INVAL,
	    "top level: expected a mapping (line 1, column 1)");
	expect_load_bad(FIXTURES "junk_key.yml", ERR_INVAL,
	    "tls_server_config.cert_filse: unknown key (line 2, column 3)");
	expect_load_bad(FIXTURES "nul.yml", ERR_NUL, "NUL byte (line 2, "
	    "byte 37)");
	expect_load_bad(FIXTURES "latin1.yml", ERR_INVAL, "YAML: invalid "
	    "trailing UTF-8 octet (line 3");
	expect_load_bad(FIXTURES "truncated.yml", ERR_INVAL,
	    "YAML: while scanning a quoted scalar (line 1, column 54): found "
	    "unexpected end of stream (line 1, column 63)");
}

static void
test_load_errors(void **state)
{
	char tmpl[] = "/tmp/test_webcfg.XXXXXX", path[64];
	struct webcfg *c = *state;
	char err[512], *big;
	int fd;

	expect_load_bad(FIXTURES "absent.yml", ERR_SYSTEM,
	    "cannot open: No such file or directory");
	assert_int_equal(errno, ENOENT);
	expect_load_bad("", ERR_INVAL, "no file name");
	expect_load_bad(NULL, ERR_INVAL, "no file name");
	expect_load_bad(FIXTURES, ERR_INVAL, "not a regular file");
	assert_non_null(mkdtemp(tmpl));
	/* A FIFO is refused without waiting for a writer. */
	(void)snprintf(path, sizeof(path), "%s/fifo", tmpl);
	assert_int_equal(mkfifo(path, 0600), 0);
	expect_load_bad(path, ERR_INVAL, "not a regular file");
	assert_int_equal(unlink(path), 0);
	/* WEBCFG_MAX_FILE bytes pass, one more does not. */
	(void)snprintf(path, sizeof(path), "%s/big.yml", tmpl);
	assert_non_null(big = malloc(WEBCFG_MAX_FILE + 1));
	memset(big, ' ', WEBCFG_MAX_FILE + 1);
	memcpy(big, "{}\n#", 4);
	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) !=
	    -1);
	assert_int_equal(write(fd, big, WEBCFG_MAX_FILE),
	    (ssize_t)WEBCFG_MAX_FILE);
	assert_int_equal(webcfg_load(path, c, err, sizeof(err)), 0);
	webcfg_free(c);
	assert_int_equal(write(fd, " ", 1), 1);
	assert_int_equal(close(fd), 0);
	expect_load_bad(path, ERR_TOOBIG, "larger than 1048576 bytes");
	expect_bad_n(big, WEBCFG_MAX_FILE + 1, ERR_TOOBIG,
	    "larger than 1048576 bytes");
	free(big);
	assert_int_equal(unlink(path), 0);
	/* Unreadable (when not root, who reads everything). */
	(void)snprintf(path, sizeof(path), "%s/noperm.yml", tmpl);
	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0)) != -1);
	assert_int_equal(close(fd), 0);
	if (geteuid() != 0)
		expect_load_bad(path, ERR_SYSTEM,
		    "cannot open: Permission denied");
	else
		print_message("running as root: the unreadable file is read\n");
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(tmpl), 0);
	webcfg_free(c);
}

/* WEBCFG_MAX_USERS and WEBCFG_MAX_SANS pass, one more does not. */
static void
test_caps(void **state)
{
	struct webcfg *c = *state;
	size_t cap = (WEBCFG_MAX_USERS + 1) * 80 + 64, len, i;
	char *y;
	int n;

	assert_non_null(y = malloc(cap));
	len = (size_t)snprintf(y, cap, "basic_auth_users:\n");
	for (i = 0; i < WEBCFG_MAX_USERS; i++) {
		n = snprintf(y + len, cap - len, "  u%zu: " H_Y "\n", i);
		assert_true(n > 0 && (size_t)n < cap - len);
		len += (size_t)n;
	}
	parse_ok(y, c);
	assert_int_equal(c->nusers, WEBCFG_MAX_USERS);
	assert_string_equal(c->users[WEBCFG_MAX_USERS - 1].name, "u1023");
	webcfg_free(c);
	(void)snprintf(y + len, cap - len, "  one_more: " H_Y "\n");
	expect_bad(y, ERR_TOOBIG, "basic_auth_users: more than 1024 users "
	    "(WEBCFG_MAX_USERS) (line 1026, column 3)");

	len = (size_t)snprintf(y, cap, TLS_VERIFY "  client_allowed_sans:\n");
	for (i = 0; i < WEBCFG_MAX_SANS; i++) {
		n = snprintf(y + len, cap - len, "    - san%zu\n", i);
		assert_true(n > 0 && (size_t)n < cap - len);
		len += (size_t)n;
	}
	parse_ok(y, c);
	assert_int_equal(c->tls.nallowed_sans, WEBCFG_MAX_SANS);
	assert_string_equal(c->tls.allowed_sans[255], "san255");
	webcfg_free(c);
	(void)snprintf(y + len, cap - len, "    - one.more\n");
	expect_bad(y, ERR_TOOBIG, "tls_server_config.client_allowed_sans: "
	    "more than 256 entries (WEBCFG_MAX_SANS)");
	free(y);
	webcfg_free(c);
}

/* err may be absent or small; a cut message stays a string. */
static void
test_err_buffer(void **state)
{
	struct webcfg *c = *state;
	char err[32];

	assert_int_equal(parse("foo: 1\n", c, NULL, 0), ERR_INVAL);
	assert_memory_equal(c, &zero, sizeof(*c));
	memset(err, 'x', sizeof(err));
	assert_int_equal(parse("tls_server_config:\n  nope: 1\n", c, err,
	    16), ERR_INVAL);
	assert_string_equal(err, "tls_server_conf");
	assert_int_equal(err[16], 'x');
	assert_int_equal(parse("foo: 1\n", c, err, 1), ERR_INVAL);
	assert_string_equal(err, "");
	/* Exactly filled: no room left for the position. */
	assert_int_equal(parse("abcdefghij: 1\n", c, err, 24), ERR_INVAL);
	assert_string_equal(err, "abcdefghij: unknown key");
	assert_int_equal(webcfg_load(NULL, c, NULL, 0), ERR_INVAL);
	/* Success clears err. */
	memset(err, 'x', sizeof(err));
	assert_int_equal(parse("{}", c, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	/* text NULL with no length is an empty file. */
	assert_int_equal(webcfg_parse(NULL, 0, NULL, c, err, sizeof(err)), 0);
	check_defaults(c);
	/* webcfg_free() of a freed or zeroed struct, and of NULL. */
	webcfg_free(c);
	webcfg_free(c);
	webcfg_free(NULL);
	webcfg_free(c);
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

/* The key and the hashes are zeroed before their memory is freed. */
static void
test_secrets(void **state)
{
	struct webcfg *c = *state;
	const char *key, *h0, *h1;
	char err[512];
	size_t keylen, i, big = 0;

	parse_ok("tls_server_config:\n  cert: c\n  key: |\n    SECRET\n"
	    "basic_auth_users:\n  a: " H_Y "\n  b: " H_A "\n", c);
	key = c->tls.key_pem;
	keylen = strlen(key);
	h0 = c->users[0].hash;
	h1 = c->users[1].hash;
	nwiped = 0;
	webcfg_free(c);
	assert_true(was_wiped(key, keylen));
	assert_true(was_wiped(h0, 60));
	assert_true(was_wiped(h1, 60));
	/* Every scalar libyaml handed over, the key among them. */
	nwiped = 0;
	parse_ok("tls_server_config:\n  cert: c\n  key: |\n    SECRET\n", c);
	for (i = 0; i < nwiped; i++)
		if (wiped[i].n == strlen("SECRET\n"))
			big++;
	assert_true(big >= 1);
	webcfg_free(c);
	/* webcfg_load() zeroes its copy of the file. */
	nwiped = 0;
	assert_int_equal(webcfg_load(FIXTURES "inline.yml", c, err,
	    sizeof(err)), 0);
	big = 0;
	for (i = 0; i < nwiped; i++)
		if (wiped[i].n == 557)
			big++;
	assert_int_equal(big, 1);
	/* A refused hash is wiped too: it may be a typo of a real one. */
	nwiped = 0;
	expect_bad("basic_auth_users:\n  a: \"" H_Y "!\"\n", ERR_INVAL,
	    "not a bcrypt hash");
	big = 0;
	for (i = 0; i < nwiped; i++)
		if (wiped[i].n == 61)
			big++;
	assert_int_equal(big, 1);
	webcfg_free(c);
}

/*
 * Each allocation of the module fails in turn: ERR_NOMEM, *out zeroed,
 * nothing leaked (cmocka checks its allocations), until one run sees no
 * failure and succeeds.
 */
static void
alloc_torture(const char *what, int (*call)(struct webcfg *, char *,
    size_t))
{
	struct webcfg c;
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
			webcfg_free(&c);
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
	/* Each string of the result is one allocation at least. */
	assert_true(failures >= 5);
}

static int
load_full(struct webcfg *c, char *err, size_t errsz)
{
	return webcfg_load(FIXTURES "full.yml", c, err, errsz);
}

static int
load_inline(struct webcfg *c, char *err, size_t errsz)
{
	return webcfg_load(FIXTURES "inline.yml", c, err, errsz);
}

static void
test_alloc_failures(void **state)
{
	(void)state;
	alloc_torture("full.yml", load_full);
	alloc_torture("inline.yml", load_inline);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_defaults, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_nulls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bools, setup, teardown),
		cmocka_unit_test_setup_teardown(test_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paths, setup, teardown),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_types),
		cmocka_unit_test_setup_teardown(test_versions, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_client_auth, setup,
		    teardown),
		cmocka_unit_test(test_cert_key),
		cmocka_unit_test_setup_teardown(test_users, setup, teardown),
		cmocka_unit_test(test_header_refusals),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_yaml_features),
		cmocka_unit_test(test_fixture_refusals),
		cmocka_unit_test_setup_teardown(test_load_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_err_buffer, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_secrets, setup,
		    teardown),
		cmocka_unit_test(test_alloc_failures),
	};

	return cmocka_run_group_tests_name("webcfg", tests, NULL, NULL);
}
