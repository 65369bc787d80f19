/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../lib/flags.c"

#define MAXARGS		32
#define PS		"-promserver=http://prom:9090"

/* What one flags_parse() call produced. */
struct run {
	struct config	 cfg;
	char		 err[512];
	int		 ret;
};

static int
run_setup(void **state)
{
	struct run *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -1;
	*state = r;
	return 0;
}

static int
run_teardown(void **state)
{
	free(*state);
	return 0;
}

/* strdup() bypasses cmocka's allocator, whose free() checks blocks. */
static char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p;

	if ((p = malloc(n)) == NULL)
		fail_msg("out of memory");
	memcpy(p, s, n);
	return p;
}

/* Parses args[0..n) as argv[1..]; copies them so nothing is shared. */
static int
run_v(struct run *r, int n, const char *const *args)
{
	char *argv[MAXARGS + 2];
	int i;

	assert_true(n <= MAXARGS);
	argv[0] = xstrdup("prometheus-cluster-exporter");
	for (i = 0; i < n; i++)
		argv[i + 1] = xstrdup(args[i]);
	argv[n + 1] = NULL;
	for (i = 0; i <= n; i++)
		assert_non_null(argv[i]);
	memset(r->err, 'X', sizeof(r->err));
	memset(&r->cfg, 0x5a, sizeof(r->cfg));
	r->ret = flags_parse(n + 1, argv, &r->cfg, r->err, sizeof(r->err));
	for (i = 0; i <= n; i++)
		free(argv[i]);
	/* Every message is one line; success leaves it empty. */
	assert_non_null(memchr(r->err, '\0', sizeof(r->err)));
	assert_null(strchr(r->err, '\n'));
	if (r->ret == 0)
		assert_string_equal(r->err, "");
	else {
		assert_int_equal(r->ret, ERR_USAGE);
		assert_true(strlen(r->err) > 0);
	}
	return r->ret;
}

/* Splits line at spaces, as the systemd unit splits $OPTIONS. */
static int
run_s(struct run *r, const char *line)
{
	const char *args[MAXARGS];
	char copy[2048], *p, *sp;
	int n = 0;

	assert_true(strlen(line) < sizeof(copy));
	memcpy(copy, line, strlen(line) + 1);
	for (p = copy; *p != '\0'; p = sp + 1) {
		assert_true(n < MAXARGS);
		args[n++] = p;
		if ((sp = strchr(p, ' ')) == NULL)
			break;
		*sp = '\0';
	}
	return run_v(r, n, args);
}

static void
expect_ok(struct run *r, const char *line)
{
	if (run_s(r, line) != 0)
		fail_msg("\"%s\": %s", line, r->err);
}

static void
expect_err(struct run *r, const char *line, const char *msg)
{
	struct config def;

	if (run_s(r, line) == 0)
		fail_msg("\"%s\" parsed", line);
	if (strcmp(r->err, msg) != 0)
		fail_msg("\"%s\": got \"%s\", want \"%s\"", line, r->err, msg);
	/* A failed parse leaves the defaults, not half a command line. */
	flags_defaults(&def);
	assert_memory_equal(&r->cfg, &def, sizeof(def));
}

/* Only the start of the message is fixed. */
static void
expect_err_prefix(struct run *r, const char *line, const char *prefix)
{
	if (run_s(r, line) == 0)
		fail_msg("\"%s\" parsed", line);
	if (strncmp(r->err, prefix, strlen(prefix)) != 0)
		fail_msg("\"%s\": got \"%s\", want \"%s...\"", line, r->err,
		    prefix);
}

static void
test_defaults(void **state)
{
	struct run *r = *state;
	struct config *c = &r->cfg;

	expect_ok(r, PS);
	assert_string_equal(c->promserver, "http://prom:9090");
	assert_string_equal(c->listen_host, "");
	assert_int_equal(c->port, 9846);
	assert_int_equal(c->nlisten_addr, 1);
	assert_string_equal(c->listen_addr[0].host, "");
	assert_int_equal(c->listen_addr[0].port, 9846);
	assert_int_equal(c->systemd_socket, 0);
	assert_int_equal(c->min_interval_ms, 5000);
	assert_int_equal(c->timeout_s, 15);
	assert_string_equal(c->timerange, "1m");
	assert_int_equal(c->timerange_s, 60);
	assert_int_equal(c->log_level, LOG_LEVEL_INFO);
	assert_int_equal(c->log_format, LOG_FORMAT_LOGFMT);
	assert_string_equal(c->telemetry_path, "/metrics");
	assert_int_equal(c->max_connections, 512);
	assert_string_equal(c->squeue_path, "");
	assert_string_equal(c->getent_path, "");
	assert_int_equal(c->cache_ttl_s, 300);
	assert_int_equal(c->sandbox_mode, SANDBOX_ENFORCE);
	assert_string_equal(c->user, "nobody");
	assert_int_equal(c->show_version, 0);
	assert_int_equal(c->show_help, 0);
}

/* Option files written for the original keep working. */
static void
test_original_options(void **state)
{
	struct run *r = *state;

	expect_ok(r, "-promserver=http://localhost:9090 -port=9846 "
	    "-timeout=15 -timerange=1m -log=INFO");
	assert_string_equal(r->cfg.promserver, "http://localhost:9090");
	assert_int_equal(r->cfg.port, 9846);
	assert_int_equal(r->cfg.timeout_s, 15);
	assert_string_equal(r->cfg.timerange, "1m");
	assert_int_equal(r->cfg.log_level, LOG_LEVEL_INFO);

	expect_ok(r, "-promserver http://10.1.2.3:9090 -port 9000 "
	    "-timeout 30 -timerange 5m -log DEBUG");
	assert_string_equal(r->cfg.promserver, "http://10.1.2.3:9090");
	assert_int_equal(r->cfg.port, 9000);
	assert_int_equal(r->cfg.timeout_s, 30);
	assert_string_equal(r->cfg.timerange, "5m");
	assert_int_equal(r->cfg.timerange_s, 300);
	assert_int_equal(r->cfg.log_level, LOG_LEVEL_DEBUG);
}

/* -name=v, -name v, --name=v, --name v: all the same. */
static void
test_forms(void **state)
{
	static const char *const forms[] = {
		"-promserver=http://h -timeout=42 --web.max-connections=7",
		"-promserver http://h -timeout 42 --web.max-connections 7",
		"--promserver=http://h --timeout=42 -web.max-connections=7",
		"--promserver http://h --timeout 42 -web.max-connections 7",
	};
	struct run *r = *state;
	size_t i;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		expect_ok(r, forms[i]);
		assert_string_equal(r->cfg.promserver, "http://h");
		assert_int_equal(r->cfg.timeout_s, 42);
		assert_int_equal(r->cfg.max_connections, 7);
	}
	/* The value is the next argument, whatever it looks like. */
	expect_err(r, "-promserver -port", "-promserver: invalid value "
	    "\"-port\": want http:// or https:// followed by a host, e.g. "
	    "http://prometheus:9090");
	/* "=" splits at the first one; the value may hold more. */
	expect_ok(r, "-promserver=http://u:p=w@h/a=b");
	assert_string_equal(r->cfg.promserver, "http://u:p=w@h/a=b");
}

static void
test_bools(void **state)
{
	struct run *r = *state;

	expect_ok(r, "-version");
	assert_int_equal(r->cfg.show_version, 1);
	expect_ok(r, "--version");
	assert_int_equal(r->cfg.show_version, 1);
	expect_ok(r, "-version=true");
	assert_int_equal(r->cfg.show_version, 1);
	expect_ok(r, "-version=1 " PS);
	assert_int_equal(r->cfg.show_version, 1);
	expect_ok(r, "-version=false " PS);
	assert_int_equal(r->cfg.show_version, 0);
	expect_ok(r, "-version -version=F " PS);
	assert_int_equal(r->cfg.show_version, 0);
	expect_err(r, "-version=yes", "-version: invalid value \"yes\": "
	    "want true or false");
	/* A boolean never takes the next argument. */
	expect_err(r, "-version false", "unexpected argument \"false\": the "
	    "exporter takes only flags, e.g. -promserver=URL");
	/* -version skips the check for -promserver, not the others. */
	expect_err(r, "-version -port=0", "-port: invalid value \"0\": want "
	    "a port number from 1 to 65535");
	/* -version=false does not. */
	expect_err(r, "-version=false", "-promserver: required, e.g. "
	    "-promserver=http://prometheus:9090");
}

/* Like Go's flag package, -help and -h stop the parse. */
static void
test_help(void **state)
{
	struct run *r = *state;

	expect_ok(r, "-help");
	assert_int_equal(r->cfg.show_help, 1);
	expect_ok(r, "-h");
	assert_int_equal(r->cfg.show_help, 1);
	expect_ok(r, "--help");
	assert_int_equal(r->cfg.show_help, 1);
	expect_ok(r, "-h -nosuchflag stray");
	assert_int_equal(r->cfg.show_help, 1);
	expect_ok(r, "-help=false " PS);
	assert_int_equal(r->cfg.show_help, 0);
	expect_err(r, "-nosuchflag -h", "unknown flag -nosuchflag");
}

static void
test_syntax(void **state)
{
	struct run *r = *state;

	expect_err(r, PS " stray", "unexpected argument \"stray\": the "
	    "exporter takes only flags, e.g. -promserver=URL");
	expect_err(r, "- " PS, "unexpected argument \"-\": the exporter "
	    "takes only flags, e.g. -promserver=URL");
	expect_err(r, "---x", "bad flag syntax: ---x: want -name, "
	    "-name=value or -name value");
	expect_err(r, "-=x", "bad flag syntax: -=x: want -name, "
	    "-name=value or -name value");
	expect_err(r, "--=x", "bad flag syntax: --=x: want -name, "
	    "-name=value or -name value");
	expect_err(r, "-foo", "unknown flag -foo");
	expect_err(r, "--foo=bar", "unknown flag --foo");
	expect_err(r, "-Port=1", "unknown flag -Port");
	expect_err(r, "-foo\x01=1", "unknown flag -foo\\x01");
	expect_err(r, "-port", "-port: missing value: want a port number "
	    "from 1 to 65535");
	expect_err(r, PS " --log.level", "--log.level: missing value: want "
	    "error, warn, info, debug or trace");
	/* "--" ends the flags; nothing may follow. */
	expect_ok(r, PS " --");
	expect_err(r, PS " -- -port=1", "unexpected argument \"-port=1\": "
	    "the exporter takes only flags, e.g. -promserver=URL");
	assert_int_equal(run_v(r, 2, (const char *const[]){ PS, "" }),
	    ERR_USAGE);
	assert_string_equal(r->err, "unexpected argument \"\": the exporter "
	    "takes only flags, e.g. -promserver=URL");
}

static void
test_required(void **state)
{
	struct run *r = *state;

	expect_err(r, "-port=9846", "-promserver: required, e.g. "
	    "-promserver=http://prometheus:9090");
	assert_int_equal(run_v(r, 0, NULL), ERR_USAGE);
	assert_string_equal(r->err, "-promserver: required, e.g. "
	    "-promserver=http://prometheus:9090");
}

/* Each value flag: accepted values and refused ones, exact messages. */
static void
test_numbers(void **state)
{
	struct run *r = *state;

	expect_ok(r, PS " -port=1");
	assert_int_equal(r->cfg.port, 1);
	expect_ok(r, PS " -port=65535");
	assert_int_equal(r->cfg.port, 65535);
	expect_err(r, PS " -port=65536", "-port: invalid value \"65536\": "
	    "want a port number from 1 to 65535");
	expect_err_prefix(r, PS " -port=0", "-port: invalid value \"0\"");
	expect_err_prefix(r, PS " -port=09846", "-port: invalid value");
	expect_err_prefix(r, PS " -port=+1", "-port: invalid value");
	expect_err_prefix(r, PS " -port=-1", "-port: invalid value");
	expect_err_prefix(r, PS " -port=", "-port: invalid value \"\"");
	expect_err_prefix(r, PS " -port=0x10", "-port: invalid value");
	expect_err_prefix(r, PS " -port=99999999999999999999999",
	    "-port: invalid value");

	expect_ok(r, PS " -timeout=1");
	assert_int_equal(r->cfg.timeout_s, 1);
	expect_ok(r, PS " -timeout=3600");
	assert_int_equal(r->cfg.timeout_s, 3600);
	expect_err(r, PS " -timeout=0", "-timeout: invalid value \"0\": "
	    "want whole seconds from 1 to 3600");
	expect_err(r, PS " -timeout=3601", "-timeout: invalid value "
	    "\"3601\": want whole seconds from 1 to 3600");
	expect_err_prefix(r, PS " -timeout=1.5", "-timeout: invalid value");
	expect_err_prefix(r, PS " -timeout=15s", "-timeout: invalid value");

	expect_ok(r, PS " --web.max-connections=10000");
	assert_int_equal(r->cfg.max_connections, 10000);
	expect_err(r, PS " --web.max-connections=0", "--web.max-connections: "
	    "invalid value \"0\": want a number from 1 to 10000");
	expect_err_prefix(r, PS " --web.max-connections=10001",
	    "--web.max-connections: invalid value");

	expect_ok(r, PS);
	assert_int_equal(r->cfg.max_records, 4000000);
	assert_int_equal(r->cfg.max_keys, 4000000);
	expect_ok(r, PS " --source.max-records=1 --source.max-keys 8000000");
	assert_int_equal(r->cfg.max_records, 1);
	assert_int_equal(r->cfg.max_keys, 8000000);
	expect_err(r, PS " --source.max-records=0", "--source.max-records: "
	    "invalid value \"0\": want a number from 1 to 100000000");
	expect_err(r, PS " --source.max-keys=8000001", "--source.max-keys: "
	    "invalid value \"8000001\": want a number from 1 to 8000000");
}

static void
test_timerange(void **state)
{
	struct run *r = *state;

	expect_ok(r, PS " -timerange=30s");
	assert_string_equal(r->cfg.timerange, "30s");
	assert_int_equal(r->cfg.timerange_s, 30);
	expect_ok(r, PS " -timerange=999d");
	assert_string_equal(r->cfg.timerange, "999d");
	assert_int_equal(r->cfg.timerange_s, 999UL * 86400);
	expect_ok(r, PS " -timerange=2h");
	assert_int_equal(r->cfg.timerange_s, 7200);
	expect_err(r, PS " -timerange=5x", "-timerange: invalid value "
	    "\"5x\": want 1-3 digits followed by s, m, h or d");
	expect_err_prefix(r, PS " -timerange=1000s", "-timerange: invalid");
	expect_err_prefix(r, PS " -timerange=1ms", "-timerange: invalid");
	expect_err_prefix(r, PS " -timerange=0m", "-timerange: invalid");
	expect_err_prefix(r, PS " -timerange=", "-timerange: invalid");
}

static void
test_parse_range(void **state)
{
	static const struct {
		const char	*s;
		int		 ret;
		unsigned long	 secs;
	} t[] = {
		{ "1s", 0, 1 }, { "1m", 0, 60 }, { "1h", 0, 3600 },
		{ "1d", 0, 86400 }, { "90s", 0, 90 }, { "999d", 0, 86313600 },
		{ "01m", 0, 60 }, { "001s", 0, 1 },
		{ "", ERR_INVAL, 0 }, { "m", ERR_INVAL, 0 },
		{ "1", ERR_INVAL, 0 }, { "1000s", ERR_INVAL, 0 },
		{ "1M", ERR_INVAL, 0 }, { "1w", ERR_INVAL, 0 },
		{ "1y", ERR_INVAL, 0 }, { "1ms", ERR_INVAL, 0 },
		{ "1m ", ERR_INVAL, 0 }, { " 1m", ERR_INVAL, 0 },
		{ "-1m", ERR_INVAL, 0 }, { "+1m", ERR_INVAL, 0 },
		{ "0s", ERR_INVAL, 0 }, { "000d", ERR_INVAL, 0 },
		{ "1h30m", ERR_INVAL, 0 }, { "1.5h", ERR_INVAL, 0 },
	};
	unsigned long secs;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		secs = 12345;
		if (flags_parse_range(t[i].s, &secs) != t[i].ret)
			fail_msg("\"%s\"", t[i].s);
		assert_int_equal(secs, t[i].secs);
	}
	secs = 1;
	assert_int_equal(flags_parse_range(NULL, &secs), ERR_INVAL);
	assert_int_equal(secs, 0);
}

static void
test_log(void **state)
{
	static const struct {
		const char	*arg;
		int		 level;
	} ok[] = {
		{ "-log=ERROR", LOG_LEVEL_ERROR },
		{ "-log=WARNING", LOG_LEVEL_WARN },
		{ "-log=INFO", LOG_LEVEL_INFO },
		{ "-log=DEBUG", LOG_LEVEL_DEBUG },
		{ "-log=TRACE", LOG_LEVEL_TRACE },
		{ "-log=debug", LOG_LEVEL_DEBUG },
		{ "-log=Warning", LOG_LEVEL_WARN },
		{ "--log.level=error", LOG_LEVEL_ERROR },
		{ "--log.level=warn", LOG_LEVEL_WARN },
		{ "--log.level=info", LOG_LEVEL_INFO },
		{ "--log.level=debug", LOG_LEVEL_DEBUG },
		{ "--log.level=trace", LOG_LEVEL_TRACE },
	};
	struct run *r = *state;
	char line[128];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(line, sizeof(line), PS " %s", ok[i].arg);
		expect_ok(r, line);
		assert_int_equal(r->cfg.log_level, ok[i].level);
	}
	expect_err(r, PS " -log=WARN", "-log: invalid value \"WARN\": want "
	    "ERROR, WARNING, INFO, DEBUG or TRACE");
	expect_err_prefix(r, PS " -log=", "-log: invalid value \"\"");
	expect_err(r, PS " --log.level=warning", "--log.level: invalid "
	    "value \"warning\": want error, warn, info, debug or trace");
	expect_err_prefix(r, PS " --log.level=INFO", "--log.level: invalid");

	expect_ok(r, PS " --log.format=json");
	assert_int_equal(r->cfg.log_format, LOG_FORMAT_JSON);
	expect_ok(r, PS " --log.format=logfmt");
	assert_int_equal(r->cfg.log_format, LOG_FORMAT_LOGFMT);
	expect_err(r, PS " --log.format=JSON", "--log.format: invalid value "
	    "\"JSON\": want logfmt or json");
}

/* An old flag and its twin: fine when they agree, an error if not. */
static void
test_twins(void **state)
{
	struct run *r = *state;

	expect_ok(r, PS " -log=WARNING --log.level=warn");
	assert_int_equal(r->cfg.log_level, LOG_LEVEL_WARN);
	expect_ok(r, PS " --log.level=debug -log=debug");
	assert_int_equal(r->cfg.log_level, LOG_LEVEL_DEBUG);
	expect_err(r, PS " -log=DEBUG --log.level=info", "-log=DEBUG and "
	    "--log.level=info name different levels: give only one of them");
	/* The last of each wins before they are compared. */
	expect_ok(r, PS " -log=DEBUG --log.level=info -log=INFO");
	assert_int_equal(r->cfg.log_level, LOG_LEVEL_INFO);

	/* -port N means ":N": beside it, only ":N" says the same. */
	expect_ok(r, PS " -port=9846 --web.listen-address=:9846");
	assert_int_equal(r->cfg.port, 9846);
	assert_string_equal(r->cfg.listen_host, "");
	assert_int_equal(r->cfg.nlisten_addr, 1);
	expect_ok(r, PS " --web.listen-address=:9000 -port 9000");
	assert_int_equal(r->cfg.port, 9000);
	assert_int_equal(r->cfg.listen_addr[0].port, 9000);
	expect_err(r, PS " -port=9000 --web.listen-address=:9846", "-port=9000 "
	    "and --web.listen-address=:9846 name different addresses "
	    "(-port=9000 means :9000): give only one of them");
	expect_err(r, PS " --web.listen-address=:9846 -port=9000", "-port=9000 "
	    "and --web.listen-address=:9846 name different addresses "
	    "(-port=9000 means :9000): give only one of them");
	/* The same port on one host is still a different address. */
	expect_err(r, PS " -port=9846 --web.listen-address=127.0.0.1:9846",
	    "-port=9846 and --web.listen-address=127.0.0.1:9846 name "
	    "different addresses (-port=9846 means :9846): give only one of "
	    "them");
	expect_err(r, PS " --web.listen-address=[::1]:9000 -port 9000",
	    "-port=9000 and --web.listen-address=[::1]:9000 name different "
	    "addresses (-port=9000 means :9000): give only one of them");
	/* Every address is compared, not only the first. */
	expect_err(r, PS " -port=9846 --web.listen-address=:9846 "
	    "--web.listen-address=10.0.0.1:9000", "-port=9846 and "
	    "--web.listen-address=10.0.0.1:9000 name different addresses "
	    "(-port=9846 means :9846): give only one of them");
	/* The last -port is the one compared. */
	expect_ok(r, PS " -port=1 --web.listen-address=:2 -port=2");
	assert_int_equal(r->cfg.port, 2);
	expect_err(r, PS " -port=2 --web.listen-address=:2 -port=1", "-port=1 "
	    "and --web.listen-address=:2 name different addresses (-port=1 "
	    "means :1): give only one of them");
	/* -port alone moves the default address. */
	expect_ok(r, PS " -port=9000");
	assert_int_equal(r->cfg.nlisten_addr, 1);
	assert_string_equal(r->cfg.listen_addr[0].host, "");
	assert_int_equal(r->cfg.listen_addr[0].port, 9000);
	assert_int_equal(r->cfg.port, 9000);
}

static void
test_listen(void **state)
{
	static const struct {
		const char	*arg;
		const char	*host;
		unsigned int	 port;
	} ok[] = {
		{ ":9846", "", 9846 },
		{ "127.0.0.1:9846", "127.0.0.1", 9846 },
		{ "[::1]:9846", "::1", 9846 },
		{ "localhost:9846", "localhost", 9846 },
		{ "[::]:1", "::", 1 },
		{ "[fe80::1%eth0]:65535", "fe80::1%eth0", 65535 },
		{ "node-1.example.org:80", "node-1.example.org", 80 },
	};
	static const char *const bad[] = {
		"9846", ":", ":0", ":65536", "::1:9846", "[::1]", "[]:1",
		"host:port", "a b:1", "[::1]x:1", "[127.0.0.1]:1", "h:+1",
		"[::1:1", "::1]:1", "",
	};
	struct run *r = *state;
	char line[512];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(line, sizeof(line), PS " --web.listen-address=%s",
		    ok[i].arg);
		expect_ok(r, line);
		assert_string_equal(r->cfg.listen_host, ok[i].host);
		assert_int_equal(r->cfg.port, ok[i].port);
		assert_int_equal(r->cfg.nlisten_addr, 1);
		assert_string_equal(r->cfg.listen_addr[0].host, ok[i].host);
		assert_int_equal(r->cfg.listen_addr[0].port, ok[i].port);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), PS " --web.listen-address=%s",
		    bad[i]);
		expect_err_prefix(r, line, "--web.listen-address: invalid "
		    "value");
	}
	expect_err(r, PS " --web.listen-address=9846", "--web.listen-address: "
	    "invalid value \"9846\": want [HOST]:PORT, e.g. :9846, "
	    "127.0.0.1:9846 or [::1]:9846");
	/* The host must fit listen_host. */
	memset(line, 'a', sizeof(line));
	memcpy(line, "--web.listen-address=", 21);
	memcpy(line + 21 + 255, ":1", 3);
	assert_int_equal(run_v(r, 2, (const char *const[]){ PS, line }), 0);
	assert_int_equal(strlen(r->cfg.listen_host), 255);
	memcpy(line + 21 + 256, ":1", 3);
	assert_int_equal(run_v(r, 2, (const char *const[]){ PS, line }),
	    ERR_USAGE);
}

/* Repeated --web.listen-address adds addresses, in order. */
static void
test_listen_many(void **state)
{
	struct run *r = *state;
	char line[2048];
	size_t i, n;

	expect_ok(r, PS " --web.listen-address=127.0.0.1:9846 "
	    "--web.listen-address [::1]:9846 --web.listen-address=:9000");
	assert_int_equal(r->cfg.nlisten_addr, 3);
	assert_string_equal(r->cfg.listen_addr[0].host, "127.0.0.1");
	assert_int_equal(r->cfg.listen_addr[0].port, 9846);
	assert_string_equal(r->cfg.listen_addr[1].host, "::1");
	assert_int_equal(r->cfg.listen_addr[1].port, 9846);
	assert_string_equal(r->cfg.listen_addr[2].host, "");
	assert_int_equal(r->cfg.listen_addr[2].port, 9000);
	/* The single-address fields repeat the first. */
	assert_string_equal(r->cfg.listen_host, "127.0.0.1");
	assert_int_equal(r->cfg.port, 9846);

	/* Up to FLAGS_MAX_LISTEN, then an error. */
	n = (size_t)snprintf(line, sizeof(line), "%s", PS);
	for (i = 0; i < FLAGS_MAX_LISTEN; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n,
		    " --web.listen-address=:%zu", 1000 + i);
	assert_true(n < sizeof(line));
	expect_ok(r, line);
	assert_int_equal(r->cfg.nlisten_addr, FLAGS_MAX_LISTEN);
	assert_int_equal(r->cfg.listen_addr[FLAGS_MAX_LISTEN - 1].port,
	    1000 + FLAGS_MAX_LISTEN - 1);
	snprintf(line + n, sizeof(line) - n, " --web.listen-address=:2000");
	expect_err(r, line, "--web.listen-address: given 17 times: at most 16 "
	    "addresses");

	/* Duplicates. */
	expect_err(r, PS " --web.listen-address=:9846 "
	    "--web.listen-address=:9846", "--web.listen-address=:9846 given "
	    "twice: give each address once");
	expect_err(r, PS " --web.listen-address=[::1]:1 "
	    "--web.listen-address=10.0.0.1:1 --web.listen-address=[::1]:1",
	    "--web.listen-address=[::1]:1 given twice: give each address "
	    "once");
	expect_err(r, PS " --web.listen-address=localhost:80 "
	    "--web.listen-address=LocalHost:80", "--web.listen-address="
	    "localhost:80 and --web.listen-address=LocalHost:80 name the same "
	    "address: give each address once");
	expect_err(r, PS " --web.listen-address=[fe80::A]:80 "
	    "--web.listen-address=[FE80::a]:80", "--web.listen-address="
	    "[fe80::A]:80 and --web.listen-address=[FE80::a]:80 name the same "
	    "address: give each address once");
	/* ":P" binds every address: nothing else fits on port P. */
	expect_err(r, PS " --web.listen-address=:9846 "
	    "--web.listen-address=127.0.0.1:9846", "--web.listen-address=:9846 "
	    "and --web.listen-address=127.0.0.1:9846 overlap: :9846 already "
	    "listens on every address");
	expect_err(r, PS " --web.listen-address=[::]:9846 "
	    "--web.listen-address=:9846", "--web.listen-address=[::]:9846 "
	    "and --web.listen-address=:9846 overlap: :9846 already listens on "
	    "every address");
	/* Same host, other port; other host, same port: both fine. */
	expect_ok(r, PS " --web.listen-address=:9846 "
	    "--web.listen-address=127.0.0.1:9000 "
	    "--web.listen-address=127.0.0.2:9000");
	assert_int_equal(r->cfg.nlisten_addr, 3);
	/* A bad value is reported as such, whatever came before. */
	expect_err(r, PS " --web.listen-address=:1 --web.listen-address=:x",
	    "--web.listen-address: invalid value \":x\": want [HOST]:PORT, "
	    "e.g. :9846, 127.0.0.1:9846 or [::1]:9846");
}

/* As in exporter-toolkit: the addresses are checked, then unused. */
static void
test_systemd_socket(void **state)
{
	struct run *r = *state;

	expect_ok(r, PS " --web.systemd-socket");
	assert_int_equal(r->cfg.systemd_socket, 1);
	assert_int_equal(r->cfg.nlisten_addr, 1);
	assert_int_equal(r->cfg.port, 9846);
	expect_ok(r, PS " -web.systemd-socket=true");
	assert_int_equal(r->cfg.systemd_socket, 1);
	expect_ok(r, PS " --web.systemd-socket --web.systemd-socket=false");
	assert_int_equal(r->cfg.systemd_socket, 0);
	expect_ok(r, PS " --web.systemd-socket --web.listen-address=:9000 "
	    "--web.listen-address=127.0.0.1:80");
	assert_int_equal(r->cfg.systemd_socket, 1);
	assert_int_equal(r->cfg.nlisten_addr, 2);
	expect_ok(r, PS " --web.systemd-socket -port=9000");
	assert_int_equal(r->cfg.systemd_socket, 1);
	assert_int_equal(r->cfg.port, 9000);
	expect_err(r, PS " --web.systemd-socket=yes", "--web.systemd-socket: "
	    "invalid value \"yes\": want true or false");
	/* A boolean never takes the next argument. */
	expect_err(r, PS " --web.systemd-socket true", "unexpected argument "
	    "\"true\": the exporter takes only flags, e.g. -promserver=URL");
	expect_err(r, PS " --web.systemd-socket -port=1 "
	    "--web.listen-address=:2", "-port=1 and --web.listen-address=:2 "
	    "name different addresses (-port=1 means :1): give only one of "
	    "them");
	expect_err(r, PS " --web.systemd-socket --web.listen-address=:2 "
	    "--web.listen-address=:2", "--web.listen-address=:2 given twice: "
	    "give each address once");
}

static void
test_min_interval(void **state)
{
	static const struct {
		const char	*arg;
		unsigned long	 ms;
	} ok[] = {
		{ "0", 0 }, { "0s", 0 }, { "0ms", 0 }, { "1ms", 1 },
		{ "500ms", 500 }, { "9999ms", 9999 }, { "5s", 5000 },
		{ "05s", 5000 }, { "90s", 90000 }, { "3600s", 3600000 },
		{ "1m", 60000 }, { "60m", 3600000 }, { "1h", 3600000 },
	};
	static const char *const bad[] = {
		"", "5", "s", "ms", "5x", "5S", "5M", "5us", "5ns", "1d",
		"1w", "10000ms", "3601s", "61m", "2h", "1h1m", "1m30s", "1.5s",
		"-1s", "+1s", " 5s", "5s ", "00", "5 s", "0x5s",
	};
#define PFX	"--collector.min-interval: invalid value \""
	struct run *r = *state;
	char line[128];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(line, sizeof(line), PS " --collector.min-interval=%s",
		    ok[i].arg);
		expect_ok(r, line);
		if (r->cfg.min_interval_ms != ok[i].ms)
			fail_msg("\"%s\": %lu ms", ok[i].arg,
			    r->cfg.min_interval_ms);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (run_v(r, 3, (const char *const[]){ PS,
		    "--collector.min-interval", bad[i] }) == 0)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_memory_equal(r->err, PFX, strlen(PFX));
	}
	expect_err(r, PS " --collector.min-interval=2h",
	    "--collector.min-interval: invalid value \"2h\": want 0, or 1-4 "
	    "digits followed by ms, s, m or h, at most 1h, e.g. 500ms or 5s");
	expect_err(r, PS " --collector.min-interval", "--collector.min-interval: "
	    "missing value: want 0, or 1-4 digits followed by ms, s, m or h, "
	    "at most 1h, e.g. 500ms or 5s");
	/* The last one wins. */
	expect_ok(r, PS " --collector.min-interval 0 "
	    "--collector.min-interval=250ms");
	assert_int_equal(r->cfg.min_interval_ms, 250);
#undef PFX
}

static void
test_promserver(void **state)
{
	static const char *const ok[] = {
		"http://localhost:9090", "https://prom.example.org",
		"http://h/", "http://h/prefix/", "http://10.0.0.1:9090",
		"http://[::1]:9090", "HTTP://h", "Https://h:1",
		"http://user:pw@h:1/", "http://my_host.x-y:65535/a/b",
	};
	static const char *const bad[] = {
		"", "localhost:9090", "ftp://h", "http://", "http:///x",
		"http://h:", "http://h:0", "http://h:99999", "http://h:x",
		"http://h?x", "http://h/#f", "http://:9090", "http://[]:1",
		"http://[::1", "http://[::1]x", "http://u@", "//h",
		"http://h\xc3\xbc", "http:/h", "http//h", "http://h:1:2",
	};
	struct run *r = *state;
	char big[FLAGS_MAX_STR + 16];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(run_v(r, 2, (const char *const[]){
		    "-promserver", ok[i] }), 0);
		assert_string_equal(r->cfg.promserver, ok[i]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (run_v(r, 2, (const char *const[]){ "-promserver",
		    bad[i] }) == 0)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_memory_equal(r->err, "-promserver: invalid value", 26);
	}
	/* Spaces and control bytes are refused, and escaped in the message. */
	assert_int_equal(run_v(r, 1, (const char *const[]){
	    "-promserver=http://h x" }), ERR_USAGE);
	assert_int_equal(run_v(r, 1, (const char *const[]){
	    "-promserver=http://h\n\"x\\" }), ERR_USAGE);
	assert_string_equal(r->err, "-promserver: invalid value "
	    "\"http://h\\x0a\\\"x\\\\\": want http:// or https:// followed by "
	    "a host, e.g. http://prometheus:9090");
	/* At most FLAGS_MAX_STR - 1 bytes. */
	memcpy(big, "-promserver=http://", 19);
	memset(big + 19, 'a', sizeof(big) - 19);
	big[12 + FLAGS_MAX_STR - 1] = '\0';
	assert_int_equal(run_v(r, 1, (const char *const[]){ big }), 0);
	assert_int_equal(strlen(r->cfg.promserver), FLAGS_MAX_STR - 1);
	big[12 + FLAGS_MAX_STR - 1] = 'a';
	big[12 + FLAGS_MAX_STR] = '\0';
	assert_int_equal(run_v(r, 1, (const char *const[]){ big }),
	    ERR_USAGE);
	/* A long value is cut in the message. */
	assert_non_null(strstr(r->err, "aaa...\": want"));
}

static void
test_paths(void **state)
{
	static const char *const bad[] = {
		"", "squeue", "./squeue", "/", "/usr/bin/", "/a\nb", "/a\tb",
		"~/squeue",
	};
	struct run *r = *state;
	size_t i;

	expect_ok(r, PS " --path.squeue=/usr/bin/squeue "
	    "--path.getent /opt/x/getent");
	assert_string_equal(r->cfg.squeue_path, "/usr/bin/squeue");
	assert_string_equal(r->cfg.getent_path, "/opt/x/getent");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(run_v(r, 2, (const char *const[]){ PS,
		    "--path.squeue" }), ERR_USAGE);
		assert_int_equal(run_v(r, 3, (const char *const[]){ PS,
		    "--path.squeue", bad[i] }), ERR_USAGE);
		assert_memory_equal(r->err, "--path.squeue: invalid value",
		    28);
		assert_int_equal(run_v(r, 3, (const char *const[]){ PS,
		    "--path.getent", bad[i] }), ERR_USAGE);
		assert_memory_equal(r->err, "--path.getent: invalid value",
		    28);
	}
	assert_int_equal(run_v(r, 2, (const char *const[]){ PS,
	    "--path.squeue=/path with space/squeue" }), 0);
	assert_string_equal(r->cfg.squeue_path, "/path with space/squeue");
}

static void
test_misc_values(void **state)
{
	struct run *r = *state;

	expect_ok(r, PS " --web.telemetry-path=/cluster/metrics");
	assert_string_equal(r->cfg.telemetry_path, "/cluster/metrics");
	expect_err(r, PS " --web.telemetry-path=/", "--web.telemetry-path: "
	    "invalid value \"/\": want a path starting with / other than /, "
	    "e.g. /metrics");
	expect_err_prefix(r, PS " --web.telemetry-path=metrics",
	    "--web.telemetry-path: invalid");
	expect_err_prefix(r, PS " --web.telemetry-path=/a?b",
	    "--web.telemetry-path: invalid");
	expect_err_prefix(r, PS " --web.telemetry-path=",
	    "--web.telemetry-path: invalid");

	expect_ok(r, PS " --accounts.cache-ttl=0");
	assert_int_equal(r->cfg.cache_ttl_s, 0);
	expect_ok(r, PS " --accounts.cache-ttl=1h");
	assert_int_equal(r->cfg.cache_ttl_s, 3600);
	expect_err(r, PS " --accounts.cache-ttl=-1", "--accounts.cache-ttl: "
	    "invalid value \"-1\": want 1-3 digits followed by s, m, h or d, "
	    "or 0 to disable caching");
	expect_err_prefix(r, PS " --accounts.cache-ttl=00",
	    "--accounts.cache-ttl: invalid");

	expect_ok(r, PS " -sandbox=log");
	assert_int_equal(r->cfg.sandbox_mode, SANDBOX_LOG);
	expect_ok(r, PS " -sandbox off");
	assert_int_equal(r->cfg.sandbox_mode, SANDBOX_OFF);
	expect_ok(r, PS " --sandbox=enforce");
	assert_int_equal(r->cfg.sandbox_mode, SANDBOX_ENFORCE);
	expect_err(r, PS " -sandbox=Enforce", "-sandbox: invalid value "
	    "\"Enforce\": want enforce, log or off");

	expect_ok(r, PS " -user=prometheus");
	assert_string_equal(r->cfg.user, "prometheus");
	expect_ok(r, PS " -user=a.b_c-d");
	assert_string_equal(r->cfg.user, "a.b_c-d");
	expect_ok(r, PS " -user=abcdefghijklmnopqrstuvwxyz012345");
	expect_err_prefix(r, PS " -user=abcdefghijklmnopqrstuvwxyz0123456",
	    "-user: invalid value");
	expect_err_prefix(r, PS " -user=-x", "-user: invalid value");
	expect_err_prefix(r, PS " -user=", "-user: invalid value");
	expect_err_prefix(r, PS " -user=a/b", "-user: invalid value");
	expect_err(r, PS " -user=\xc3\xa9", "-user: invalid value "
	    "\"\\xc3\\xa9\": want a user name of 1-32 letters, digits, '.', "
	    "'_' or '-', not starting with '-'");
}

/* The last of a repeated flag wins, as in Go. */
static void
test_repeat(void **state)
{
	struct run *r = *state;

	expect_ok(r, "-promserver=http://a -promserver=http://b -port=1 "
	    "-port=2 -timerange=2m -timerange=30s");
	assert_string_equal(r->cfg.promserver, "http://b");
	assert_int_equal(r->cfg.port, 2);
	assert_string_equal(r->cfg.timerange, "30s");
	assert_int_equal(r->cfg.timerange_s, 30);
}

/* The error buffer may be missing or short. */
static void
test_err_buffer(void **state)
{
	char *argv[] = { "x", "-port=0", NULL };
	struct config cfg;
	char err[8];

	(void)state;
	assert_int_equal(flags_parse(2, argv, &cfg, NULL, 0), ERR_USAGE);
	assert_int_equal(flags_parse(2, argv, &cfg, err, 0), ERR_USAGE);
	memset(err, 'X', sizeof(err));
	assert_int_equal(flags_parse(2, argv, &cfg, err, sizeof(err)),
	    ERR_USAGE);
	assert_string_equal(err, "-port: ");
	assert_int_equal(flags_parse(0, NULL, &cfg, err, sizeof(err)),
	    ERR_USAGE);
}

static void
test_usage(void **state)
{
	static const char *const must[] = {
		"-promserver", "-port", "(default 9846)", "-timeout",
		"(default 15)", "-timerange", "(default 1m)", "-log",
		"(default INFO)", "-version", "-help", "-h",
		"--web.listen-address", "(default :9846",
		"--web.telemetry-path", "(default /metrics)",
		"--web.max-connections", "(default 512)",
		"--log.level", "(default info)", "--log.format",
		"(default logfmt)", "--path.squeue", "--path.getent",
		"--accounts.cache-ttl", "(default 5m)", "-sandbox",
		"(default enforce)", "-user", "(default nobody)",
		"--source.max-records", "(default 4000000)",
		"--source.max-keys", "(default 4000000)",
		"--web.systemd-socket", "--collector.min-interval",
		"(default 5s)", "repeat for up to 16",
	};
	char text[8192], small[16];
	const char *line, *nl;
	size_t i, len;

	(void)state;
	flags_usage(text, sizeof(text));
	assert_true(strlen(text) < sizeof(text) - 1);
	for (i = 0; i < sizeof(must) / sizeof(must[0]); i++)
		if (strstr(text, must[i]) == NULL)
			fail_msg("usage lacks \"%s\"", must[i]);
	/* Every flag of the table is documented. */
	for (i = 0; i < sizeof(flag_defs) / sizeof(flag_defs[0]); i++)
		assert_non_null(strstr(text, flag_defs[i].name));
	/* 80 columns, tabs counted as 8. */
	for (line = text; *line != '\0'; line = nl + 1) {
		assert_non_null(nl = strchr(line, '\n'));
		len = (size_t)(nl - line);
		assert_true(len + (line[0] == '\t' ? 7 : 0) <= 80);
	}
	flags_usage(small, sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	flags_usage(NULL, 0);
	flags_usage(small, 0);
}

#define R(t)	cmocka_unit_test_setup_teardown(t, run_setup, run_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		R(test_defaults),
		R(test_original_options),
		R(test_forms),
		R(test_bools),
		R(test_help),
		R(test_syntax),
		R(test_required),
		R(test_numbers),
		R(test_timerange),
		cmocka_unit_test(test_parse_range),
		R(test_log),
		R(test_twins),
		R(test_listen),
		R(test_listen_many),
		R(test_systemd_socket),
		R(test_min_interval),
		R(test_promserver),
		R(test_paths),
		R(test_misc_values),
		R(test_repeat),
		cmocka_unit_test(test_err_buffer),
		cmocka_unit_test(test_usage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
