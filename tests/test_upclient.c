/* SPDX-License-Identifier: Apache-2.0 */
/* The upstream settings a QUERY carries, and -promserver's user:password. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Before cmocka.h: the module's strdup() and free() are libc's. */
#include "../lib/upclient.c"

/* What the module allocated, freed as it was allocated. */
static void
libc_free(void *p)
{
	free(p);
}

#include <cmocka.h>

/* Every field set, two headers of which one secret. */
static void
fill(struct upclient *c)
{
	upclient_defaults(c);
	assert_non_null(c->username = strdup("prom"));
	assert_non_null(c->password = strdup("pa:ss@word"));
	assert_non_null(c->auth_type = strdup("Bearer"));
	assert_non_null(c->credentials = strdup("tok"));
	assert_non_null(c->ca_pem = strdup("-----BEGIN CERTIFICATE-----\n"));
	assert_non_null(c->cert_file = strdup("/etc/c.pem"));
	assert_non_null(c->key_pem = strdup("KEY"));
	assert_non_null(c->server_name = strdup("prometheus.example"));
	assert_non_null(c->proxy_url = strdup("http://u:p@proxy:3128"));
	assert_non_null(c->no_proxy = strdup("localhost"));
	c->insecure = 1;
	c->min_version = 0x0303;
	c->max_version = 0x0304;
	c->proxy = UPCLIENT_PROXY_URL;
	c->follow_redirects = 0;
	assert_int_equal(upclient_add_header(c, "X-Scope-OrgID", "tenant",
	    0), 0);
	assert_int_equal(upclient_add_header(c, "X-Secret", "s3", 1), 0);
	assert_int_equal(upclient_add_header(c, "X-Empty", "", 0), 0);
}

static void
test_round_trip(void **state)
{
	struct upclient a, b;
	struct buf out;

	(void)state;
	fill(&a);
	buf_init(&out, UPCLIENT_MAX);
	assert_int_equal(upclient_put(&out, &a), 0);
	assert_int_equal(upclient_get((const unsigned char *)buf_ptr(&out),
	    buf_len(&out), &b), 0);
	assert_string_equal(b.username, "prom");
	assert_string_equal(b.password, "pa:ss@word");
	assert_string_equal(b.auth_type, "Bearer");
	assert_string_equal(b.credentials, "tok");
	assert_string_equal(b.ca_pem, "-----BEGIN CERTIFICATE-----\n");
	assert_null(b.ca_file);
	assert_string_equal(b.cert_file, "/etc/c.pem");
	assert_string_equal(b.key_pem, "KEY");
	assert_string_equal(b.server_name, "prometheus.example");
	assert_string_equal(b.proxy_url, "http://u:p@proxy:3128");
	assert_string_equal(b.no_proxy, "localhost");
	assert_int_equal(b.insecure, 1);
	assert_int_equal(b.min_version, 0x0303);
	assert_int_equal(b.max_version, 0x0304);
	assert_int_equal(b.proxy, UPCLIENT_PROXY_URL);
	assert_int_equal(b.follow_redirects, 0);
	assert_int_equal(b.nheaders, 3);
	assert_string_equal(b.headers[0].name, "X-Scope-OrgID");
	assert_string_equal(b.headers[0].value, "tenant");
	assert_int_equal(b.headers[0].secret, 0);
	assert_string_equal(b.headers[1].value, "s3");
	assert_int_equal(b.headers[1].secret, 1);
	assert_string_equal(b.headers[2].value, "");
	upclient_free(&a);
	upclient_free(&b);
	buf_cleanup(&out);
}

/* Nothing sent: the original's behaviour. */
static void
test_empty_is_defaults(void **state)
{
	struct upclient c;

	(void)state;
	assert_int_equal(upclient_get(NULL, 0, &c), 0);
	assert_int_equal(c.proxy, UPCLIENT_PROXY_ENV);
	assert_int_equal(c.follow_redirects, 1);
	assert_null(c.username);
	assert_int_equal(c.nheaders, 0);
	upclient_free(&c);
}

/* Decodes p, expecting ret, and that nothing is left allocated. */
static void
expect_bad(const unsigned char *p, size_t n, int ret)
{
	struct upclient c;

	assert_int_equal(upclient_get(p, n, &c), ret);
	assert_null(c.username);
	assert_null(c.headers);
}

static void
test_refusals(void **state)
{
	/* tag 1 (username), length 2, "ab" */
	static const unsigned char ok[] = { 1, 0, 0, 0, 2, 'a', 'b' };
	static const unsigned char twice[] = { 1, 0, 0, 0, 1, 'a',
	    1, 0, 0, 0, 1, 'b' };
	static const unsigned char nul[] = { 2, 0, 0, 0, 2, 'a', 0 };
	static const unsigned char unknown[] = { 99, 0, 0, 0, 0 };
	static const unsigned char zero_tag[] = { 0, 0, 0, 0, 0 };
	static const unsigned char bad_int[] = { 14, 0, 0, 0, 4, 0, 0, 0, 2 };
	static const unsigned char bad_len[] = { 14, 0, 0, 0, 3, 0, 0, 0 };
	static const unsigned char crlf[] = { 19, 0, 0, 0, 8, 0, 0, 0, 0, 1,
	    'X', 'a', '\n' };
	static const unsigned char noname[] = { 19, 0, 0, 0, 6, 0, 0, 0, 0,
	    0, 'v' };
	struct upclient c;

	(void)state;
	assert_int_equal(upclient_get(ok, sizeof(ok), &c), 0);
	assert_string_equal(c.username, "ab");
	upclient_free(&c);
	expect_bad(ok, sizeof(ok) - 1, ERR_TRUNCATED);
	expect_bad(ok, 3, ERR_TRUNCATED);
	expect_bad(twice, sizeof(twice), ERR_INVAL);
	expect_bad(nul, sizeof(nul), ERR_NUL);
	expect_bad(unknown, sizeof(unknown), ERR_TYPE);
	expect_bad(zero_tag, sizeof(zero_tag), ERR_TYPE);
	expect_bad(bad_int, sizeof(bad_int), ERR_INVAL);
	expect_bad(bad_len, sizeof(bad_len), ERR_INVAL);
	expect_bad(crlf, sizeof(crlf), ERR_INVAL);
	expect_bad(noname, sizeof(noname), ERR_INVAL);
}

/* A header that would split the request is never encoded. */
static void
test_put_refuses_crlf(void **state)
{
	struct upclient c;
	struct buf out;

	(void)state;
	upclient_defaults(&c);
	assert_int_equal(upclient_add_header(&c, "X-A", "a\r\nHost: x", 0),
	    0);
	buf_init(&out, UPCLIENT_MAX);
	assert_int_equal(buf_append(&out, "keep", 4), 0);
	assert_int_equal(upclient_put(&out, &c), ERR_INVAL);
	assert_int_equal(buf_len(&out), 4);
	upclient_free(&c);
	buf_cleanup(&out);
}

static void
expect_userinfo(const char *url, const char *bare, const char *user,
    const char *password, const char *raw)
{
	const char *rp;
	char b[256], *u, *p;
	size_t rl;

	assert_int_equal(upclient_userinfo(url, b, sizeof(b), &u, &p, &rp,
	    &rl), 0);
	assert_string_equal(b, bare);
	if (user == NULL)
		assert_null(u);
	else
		assert_string_equal(u, user);
	if (password == NULL)
		assert_null(p);
	else
		assert_string_equal(p, password);
	if (raw == NULL)
		assert_null(rp);
	else {
		assert_int_equal(rl, strlen(raw));
		assert_memory_equal(rp, raw, rl);
	}
	libc_free(u);
	libc_free(p);
}

static void
test_userinfo(void **state)
{
	const char *rp;
	char b[256], *u, *p;
	size_t rl;

	(void)state;
	expect_userinfo("http://prom:9090", "http://prom:9090", NULL, NULL,
	    NULL);
	expect_userinfo("http://u:p@prom:9090/prefix",
	    "http://prom:9090/prefix", "u", "p", "p");
	/* An @ in the password: the authority ends at the last one. */
	expect_userinfo("https://u:p@ss@h/x", "https://h/x", "u", "p@ss",
	    "p@ss");
	expect_userinfo("https://u%40x:p%3Aw@h", "https://h", "u@x", "p:w",
	    "p%3Aw");
	expect_userinfo("http://justuser@h", "http://h", "justuser", NULL,
	    NULL);
	/* An @ after the authority is the path's. */
	expect_userinfo("http://h/a@b", "http://h/a@b", NULL, NULL, NULL);
	assert_int_equal(upclient_userinfo("http://u:%zz@h", b, sizeof(b),
	    &u, &p, &rp, &rl), ERR_INVAL);
	assert_null(u);
	assert_int_equal(upclient_userinfo("http://u:%00@h", b, sizeof(b),
	    &u, &p, &rp, &rl), ERR_INVAL);
	assert_int_equal(upclient_userinfo("http://u:%4@h", b, sizeof(b),
	    &u, &p, &rp, &rl), ERR_INVAL);
	assert_int_equal(upclient_userinfo("http://u:p@hostname", b, 8,
	    &u, &p, &rp, &rl), ERR_TOOBIG);
}

static void
test_url_port(void **state)
{
	(void)state;
	assert_int_equal(upclient_url_port("http://h"), 80);
	assert_int_equal(upclient_url_port("HTTPS://h/p"), 443);
	assert_int_equal(upclient_url_port("http://h:8428/prometheus"), 8428);
	assert_int_equal(upclient_url_port("https://u:p:w@h:9443"), 9443);
	assert_int_equal(upclient_url_port("http://[::1]:9090/"), 9090);
	assert_int_equal(upclient_url_port("https://[::1]/"), 443);
	assert_int_equal(upclient_url_port("socks5://proxy"), 1080);
	assert_int_equal(upclient_url_port("http://h:0"), 0);
	assert_int_equal(upclient_url_port("http://h:70000"), 0);
	assert_int_equal(upclient_url_port("http://h:8x"), 0);
	assert_int_equal(upclient_url_port("no scheme"), 0);
	assert_int_equal(upclient_url_port(NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_empty_is_defaults),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_put_refuses_crlf),
		cmocka_unit_test(test_userinfo),
		cmocka_unit_test(test_url_port),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
