/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "flags.h"
#include "caps.h"
#include "err.h"
#include "log.h"

#define XSTR(x)		#x
#define STR(x)		XSTR(x)

#define DEF_PORT		9846
#define DEF_TIMEOUT		15
#define DEF_TIMERANGE		"1m"
#define DEF_TIMERANGE_S		60
#define DEF_TELEMETRY		"/metrics"
#define DEF_MAX_CONN		512
#define DEF_CACHE_TTL		"5m"
#define DEF_CACHE_TTL_S		300
#define DEF_USER		"nobody"
#define DEF_MIN_INTERVAL	"5s"
#define DEF_MIN_INTERVAL_MS	5000

/*
 * Budgets of each source (--source.max-records, --source.max-keys).  The
 * defaults hold 2.5 times a site sixteen times the size of one of 20 000
 * jobs and 100 000 metadata series (1.6 million series in one answer);
 * the key ceiling is what one hash table takes (caps.h).
 */
#define DEF_MAX_RECORDS		4000000
#define DEF_MAX_KEYS		4000000
#define MAX_MAX_RECORDS		100000000
#define MAX_MAX_KEYS		MAX_RECORDS

#define MAX_TIMEOUT		3600
#define MAX_MAX_CONN		10000
#define MAX_USER		32
/*
 * A result reused for longer than an hour would be stored by Prometheus
 * as current while it describes the past; the cap also keeps the
 * milliseconds within 32 bits.
 */
#define MAX_MIN_INTERVAL_MS	3600000

/* How much of a bad value an error message repeats. */
#define QUOTE_MAX		64

/*
 * Parse state: the config being built, plus what the twins need.  An old
 * flag and its new-style twin may both be given as long as they agree, so
 * both final values are kept until the end (the last of each wins, as in
 * Go's flag package).
 */
struct flag_state {
	struct config	 cfg;
	int		 log_seen;	/* -log */
	int		 log_level;
	const char	*log_arg;
	int		 level_seen;	/* --log.level */
	int		 level_level;
	const char	*level_arg;
	int		 port_seen;	/* -port */
	unsigned int	 port_port;
	/*
	 * --web.listen-address: every value is counted, the first
	 * FLAGS_MAX_LISTEN are kept in cfg.listen_addr and here as given
	 * (for messages); the count is checked once the line is read.
	 */
	size_t		 nlisten;
	const char	*listen_arg[FLAGS_MAX_LISTEN];
};

/*
 * One flag.  set() receives the value (NULL for a boolean given without
 * "=value") and returns 0, or -1 when the value is not of the form named
 * by want.
 */
struct flag_def {
	const char	*name;
	int		 is_bool;
	int		(*set)(struct flag_state *, const char *);
	const char	*want;
};

static void	errf(char *err, size_t errsz, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));

static void
errf(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errsz == 0)
		return;
	va_start(ap, fmt);
	/* A cut message still names the flag: that part comes first. */
	(void)vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

/* Buffer size quote() needs: each byte may become \xNN, then "...". */
#define QUOTE_BUF	(QUOTE_MAX * 4 + 3 + 1)

/*
 * Copies s for an error message: printable ASCII as is, '"' and '\' and
 * everything else escaped, so the message stays one line whatever argv
 * holds; values longer than QUOTE_MAX bytes are cut.
 */
static void
quote(char dst[QUOTE_BUF], const char *s)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c;
	size_t i, o = 0;

	for (i = 0; s[i] != '\0'; i++) {
		if (i == QUOTE_MAX) {
			memcpy(dst + o, "...", 3);
			o += 3;
			break;
		}
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			dst[o++] = '\\';
			dst[o++] = (char)c;
		} else if (c >= 0x20 && c < 0x7f)
			dst[o++] = (char)c;
		else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 0x0f];
		}
	}
	dst[o] = '\0';
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
eq_ci(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if (lower((unsigned char)*a) != lower((unsigned char)*b))
			return 0;
	return *a == *b;
}

static int
prefix_ci(const char *s, const char *prefix)
{
	for (; *prefix != '\0'; s++, prefix++)
		if (*s == '\0' || lower((unsigned char)*s) != *prefix)
			return 0;
	return 1;
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_alnum(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * Whole decimal number in [min, max], digits only.  A leading zero is
 * refused because Go's flag package read "010" as octal: the value would
 * silently differ between the two programs.
 */
static int
parse_uint(const char *s, unsigned long min, unsigned long max,
    unsigned long *v)
{
	unsigned long x = 0;
	size_t i;

	*v = 0;
	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (!is_digit((unsigned char)s[i]))
			return -1;
		if (x > (max - (unsigned long)(s[i] - '0')) / 10)
			return -1;
		x = x * 10 + (unsigned long)(s[i] - '0');
	}
	if (x < min)
		return -1;
	*v = x;
	return 0;
}

/* The spellings Go's strconv.ParseBool accepts. */
static int
parse_bool(const char *s, int *v)
{
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true",
	    "True" };
	static const char *const no[] = { "0", "f", "F", "FALSE", "false",
	    "False" };
	size_t i;

	if (s == NULL) {
		*v = 1;
		return 0;
	}
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*v = 1;
			return 0;
		}
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		if (strcmp(s, no[i]) == 0) {
			*v = 0;
			return 0;
		}
	}
	return -1;
}

/* Copies s into dst[dstsz]; -1 if it does not fit. */
static int
copy_str(char *dst, size_t dstsz, const char *s)
{
	size_t n = strlen(s);

	if (n >= dstsz)
		return -1;
	memcpy(dst, s, n + 1);
	return 0;
}

int
flags_parse_range(const char *s, unsigned long *secs)
{
	unsigned long v = 0, mult;
	size_t i;

	*secs = 0;
	if (s == NULL)
		return ERR_INVAL;
	for (i = 0; i < 3 && is_digit((unsigned char)s[i]); i++)
		v = v * 10 + (unsigned long)(s[i] - '0');
	if (i == 0 || s[i] == '\0' || s[i + 1] != '\0')
		return ERR_INVAL;
	switch (s[i]) {
	case 's':
		mult = 1;
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'd':
		mult = 86400;
		break;
	default:
		return ERR_INVAL;
	}
	/* irate() over an empty window has no answer. */
	if (v == 0)
		return ERR_INVAL;
	*secs = v * mult;
	return 0;
}

/*
 * http:// or https://, then a host (name, IPv4, or [IPv6]) with an
 * optional user part and port, then an optional path.  The URL is handed
 * to libcurl and "/api/v1/query?..." is appended to it, so a query or
 * fragment, spaces and non-ASCII bytes are refused here.
 */
static int
promserver_ok(const char *s)
{
	const char *auth, *end, *host, *after, *p;
	unsigned long port;
	char digits[8];
	size_t n, i;

	n = strlen(s);
	if (n == 0 || n >= FLAGS_MAX_STR)
		return 0;
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] <= 0x20 ||
		    (unsigned char)s[i] >= 0x7f || s[i] == '?' || s[i] == '#')
			return 0;
	}
	if (prefix_ci(s, "http://"))
		auth = s + 7;
	else if (prefix_ci(s, "https://"))
		auth = s + 8;
	else
		return 0;
	end = auth + strcspn(auth, "/");
	host = auth;
	for (p = auth; p < end; p++)
		if (*p == '@')
			host = p + 1;
	if (host == end)
		return 0;
	if (*host == '[') {
		if ((after = memchr(host, ']', (size_t)(end - host))) == NULL ||
		    after == host + 1)
			return 0;
		for (p = host + 1; p < after; p++)
			if (!is_alnum((unsigned char)*p) && *p != ':' &&
			    *p != '.' && *p != '%')
				return 0;
		after++;
	} else {
		for (after = host; after < end && *after != ':'; after++)
			if (!is_alnum((unsigned char)*after) &&
			    strchr(".-_~%", *after) == NULL)
				return 0;
		if (after == host)
			return 0;
	}
	if (after == end)
		return 1;
	if (*after != ':' || end - after - 1 <= 0 ||
	    (size_t)(end - after - 1) >= sizeof(digits))
		return 0;
	memcpy(digits, after + 1, (size_t)(end - after - 1));
	digits[end - after - 1] = '\0';
	return parse_uint(digits, 1, 65535, &port) == 0;
}

static int
set_promserver(struct flag_state *st, const char *v)
{
	if (!promserver_ok(v))
		return -1;
	return copy_str(st->cfg.promserver, sizeof(st->cfg.promserver), v);
}

static int
set_port(struct flag_state *st, const char *v)
{
	unsigned long port;

	if (parse_uint(v, 1, 65535, &port) != 0)
		return -1;
	st->cfg.port = (unsigned int)port;
	st->port_seen = 1;
	st->port_port = (unsigned int)port;
	return 0;
}

static int
set_timeout(struct flag_state *st, const char *v)
{
	unsigned long t;

	if (parse_uint(v, 1, MAX_TIMEOUT, &t) != 0)
		return -1;
	st->cfg.timeout_s = (unsigned int)t;
	return 0;
}

static int
set_timerange(struct flag_state *st, const char *v)
{
	unsigned long secs;

	if (flags_parse_range(v, &secs) != 0 ||
	    copy_str(st->cfg.timerange, sizeof(st->cfg.timerange), v) != 0)
		return -1;
	st->cfg.timerange_s = secs;
	return 0;
}

/* The original's level names, and what --log.level calls them. */
static const struct {
	const char	*old;
	const char	*new;
	int		 level;
} levels[] = {
	{ "ERROR", "error", LOG_LEVEL_ERROR },
	{ "WARNING", "warn", LOG_LEVEL_WARN },
	{ "INFO", "info", LOG_LEVEL_INFO },
	{ "DEBUG", "debug", LOG_LEVEL_DEBUG },
	{ "TRACE", "trace", LOG_LEVEL_TRACE },
};

static int
set_log(struct flag_state *st, const char *v)
{
	size_t i;

	/* The original compared case-insensitively. */
	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (eq_ci(v, levels[i].old)) {
			st->cfg.log_level = levels[i].level;
			st->log_seen = 1;
			st->log_level = levels[i].level;
			st->log_arg = v;
			return 0;
		}
	}
	return -1;
}

static int
set_log_level(struct flag_state *st, const char *v)
{
	size_t i;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (strcmp(v, levels[i].new) == 0) {
			st->cfg.log_level = levels[i].level;
			st->level_seen = 1;
			st->level_level = levels[i].level;
			st->level_arg = v;
			return 0;
		}
	}
	return -1;
}

static int
set_log_format(struct flag_state *st, const char *v)
{
	if (strcmp(v, "logfmt") == 0)
		st->cfg.log_format = LOG_FORMAT_LOGFMT;
	else if (strcmp(v, "json") == 0)
		st->cfg.log_format = LOG_FORMAT_JSON;
	else
		return -1;
	return 0;
}

static int
set_version(struct flag_state *st, const char *v)
{
	return parse_bool(v, &st->cfg.show_version);
}

static int
set_help(struct flag_state *st, const char *v)
{
	return parse_bool(v, &st->cfg.show_help);
}

/*
 * [HOST]:PORT.  HOST is empty (every address), a name or IPv4 address, or
 * an IPv6 address in brackets; a bare IPv6 address is refused because its
 * last group could not be told from the port.  Each value adds an address,
 * as kingpin's repeatable flags do; the first replaces the default.
 */
static int
set_listen(struct flag_state *st, const char *v)
{
	struct flags_listen *la;
	const char *colon, *host, *hend, *p;
	unsigned long port;
	size_t hl;
	int v6 = 0;

	if ((colon = strrchr(v, ':')) == NULL)
		return -1;
	host = v;
	hend = colon;
	if (host < hend && *host == '[') {
		if (hend - host < 3 || hend[-1] != ']')
			return -1;
		host++;
		hend--;
		v6 = 1;
	}
	for (p = host; p < hend; p++) {
		if (is_alnum((unsigned char)*p) || *p == '.' || *p == '-' ||
		    *p == '_')
			continue;
		if (v6 && (*p == ':' || *p == '%'))
			continue;
		return -1;
	}
	if (v6 && memchr(host, ':', (size_t)(hend - host)) == NULL)
		return -1;
	hl = (size_t)(hend - host);
	if (hl >= FLAGS_MAX_HOST || parse_uint(colon + 1, 1, 65535, &port) != 0)
		return -1;
	if (st->nlisten < FLAGS_MAX_LISTEN) {
		la = &st->cfg.listen_addr[st->nlisten];
		memcpy(la->host, host, hl);
		la->host[hl] = '\0';
		la->port = (unsigned int)port;
		st->listen_arg[st->nlisten] = v;
	}
	st->nlisten++;
	return 0;
}

static int
set_systemd_socket(struct flag_state *st, const char *v)
{
	return parse_bool(v, &st->cfg.systemd_socket);
}

/* A configuration file's path: no control characters; "" for none. */
static int
config_path_ok(const char *v)
{
	size_t i;

	for (i = 0; v[i] != '\0'; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return 0;
	return 1;
}

/* "" (as in exporter-toolkit) means no web configuration. */
static int
set_web_config(struct flag_state *st, const char *v)
{
	if (!config_path_ok(v))
		return -1;
	return copy_str(st->cfg.web_config_file,
	    sizeof(st->cfg.web_config_file), v);
}

static int
set_promserver_config(struct flag_state *st, const char *v)
{
	if (!config_path_ok(v))
		return -1;
	return copy_str(st->cfg.promserver_config_file,
	    sizeof(st->cfg.promserver_config_file), v);
}

/* The path is compared with request paths: printable, no query part. */
static int
set_telemetry(struct flag_state *st, const char *v)
{
	size_t i;

	if (v[0] != '/' || v[1] == '\0')
		return -1;
	for (i = 0; v[i] != '\0'; i++)
		if ((unsigned char)v[i] <= 0x20 ||
		    (unsigned char)v[i] >= 0x7f || v[i] == '?' || v[i] == '#')
			return -1;
	return copy_str(st->cfg.telemetry_path,
	    sizeof(st->cfg.telemetry_path), v);
}

static int
set_max_conn(struct flag_state *st, const char *v)
{
	unsigned long n;

	if (parse_uint(v, 1, MAX_MAX_CONN, &n) != 0)
		return -1;
	st->cfg.max_connections = (unsigned int)n;
	return 0;
}

static int
set_max_records(struct flag_state *st, const char *v)
{
	unsigned long n;

	if (parse_uint(v, 1, MAX_MAX_RECORDS, &n) != 0)
		return -1;
	st->cfg.max_records = (uint32_t)n;
	return 0;
}

static int
set_max_keys(struct flag_state *st, const char *v)
{
	unsigned long n;

	if (parse_uint(v, 1, MAX_MAX_KEYS, &n) != 0)
		return -1;
	st->cfg.max_keys = (uint32_t)n;
	return 0;
}

/*
 * A command's path: absolute (no PATH search once the exporter runs), not
 * a directory name, and free of control bytes that would garble logs.
 */
static int
path_ok(const char *v)
{
	size_t i, n;

	n = strlen(v);
	if (n < 2 || v[0] != '/' || v[n - 1] == '/')
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] == 0x7f)
			return 0;
	return 1;
}

static int
set_squeue(struct flag_state *st, const char *v)
{
	if (!path_ok(v))
		return -1;
	return copy_str(st->cfg.squeue_path, sizeof(st->cfg.squeue_path), v);
}

static int
set_getent(struct flag_state *st, const char *v)
{
	if (!path_ok(v))
		return -1;
	return copy_str(st->cfg.getent_path, sizeof(st->cfg.getent_path), v);
}

static int
set_read_path(struct flag_state *st, const char *v)
{
	if (!path_ok(v) || st->cfg.nread_path >= FLAGS_MAX_READ_PATHS)
		return -1;
	return copy_str(st->cfg.read_path[st->cfg.nread_path++],
	    sizeof(st->cfg.read_path[0]), v);
}

static int
set_cache_ttl(struct flag_state *st, const char *v)
{
	unsigned long secs;

	if (strcmp(v, "0") == 0)
		secs = 0;
	else if (flags_parse_range(v, &secs) != 0)
		return -1;
	st->cfg.cache_ttl_s = secs;
	return 0;
}

/*
 * "0", or 1-4 digits then ms, s, m or h, at most max milliseconds: the
 * -timerange grammar with milliseconds added and days left out.  One unit
 * only ("90s", not "1m30s"), which keeps the grammar easy to state.
 */
static int
parse_ms(const char *s, unsigned long max, unsigned long *ms)
{
	unsigned long v = 0, mult;
	size_t i;

	*ms = 0;
	if (strcmp(s, "0") == 0)
		return 0;
	for (i = 0; i < 4 && is_digit((unsigned char)s[i]); i++)
		v = v * 10 + (unsigned long)(s[i] - '0');
	if (i == 0)
		return -1;
	if (strcmp(s + i, "ms") == 0)
		mult = 1;
	else if (strcmp(s + i, "s") == 0)
		mult = 1000;
	else if (strcmp(s + i, "m") == 0)
		mult = 60 * 1000;
	else if (strcmp(s + i, "h") == 0)
		mult = 3600 * 1000;
	else
		return -1;
	if (v > max / mult)
		return -1;
	*ms = v * mult;
	return 0;
}

static int
set_min_interval(struct flag_state *st, const char *v)
{
	unsigned long ms;

	if (parse_ms(v, MAX_MIN_INTERVAL_MS, &ms) != 0)
		return -1;
	st->cfg.min_interval_ms = ms;
	return 0;
}

static int
set_sandbox(struct flag_state *st, const char *v)
{
	if (strcmp(v, "enforce") == 0)
		st->cfg.sandbox_mode = SANDBOX_ENFORCE;
	else if (strcmp(v, "log") == 0)
		st->cfg.sandbox_mode = SANDBOX_LOG;
	else if (strcmp(v, "off") == 0)
		st->cfg.sandbox_mode = SANDBOX_OFF;
	else
		return -1;
	return 0;
}

/* The portable user name set of POSIX, plus the usual length limit. */
static int
set_user(struct flag_state *st, const char *v)
{
	size_t i;

	if (v[0] == '\0' || v[0] == '-')
		return -1;
	for (i = 0; v[i] != '\0'; i++) {
		if (i == MAX_USER)
			return -1;
		if (!is_alnum((unsigned char)v[i]) && v[i] != '.' &&
		    v[i] != '_' && v[i] != '-')
			return -1;
	}
	return copy_str(st->cfg.user, sizeof(st->cfg.user), v);
}

static const struct flag_def flag_defs[] = {
	{ "promserver", 0, set_promserver,
	    "http:// or https:// followed by a host, e.g. "
	    "http://prometheus:9090" },
	{ "sandbox.read-path", 0, set_read_path,
	    "an absolute directory, at most " STR(FLAGS_MAX_READ_PATHS)
	    " times" },
	{ "promserver.config.file", 0, set_promserver_config,
	    "a path to a YAML file without control characters" },
	{ "port", 0, set_port, "a port number from 1 to 65535" },
	{ "timeout", 0, set_timeout,
	    "whole seconds from 1 to " STR(MAX_TIMEOUT) },
	{ "timerange", 0, set_timerange,
	    "1-3 digits followed by s, m, h or d" },
	{ "log", 0, set_log, "ERROR, WARNING, INFO, DEBUG or TRACE" },
	{ "version", 1, set_version, "true or false" },
	{ "help", 1, set_help, "true or false" },
	{ "h", 1, set_help, "true or false" },
	{ "web.listen-address", 0, set_listen,
	    "[HOST]:PORT, e.g. :9846, 127.0.0.1:9846 or [::1]:9846" },
	{ "web.systemd-socket", 1, set_systemd_socket, "true or false" },
	{ "web.config.file", 0, set_web_config,
	    "a path to a YAML file without control characters" },
	{ "web.telemetry-path", 0, set_telemetry,
	    "a path starting with / other than /, e.g. /metrics" },
	{ "web.max-connections", 0, set_max_conn,
	    "a number from 1 to " STR(MAX_MAX_CONN) },
	{ "log.level", 0, set_log_level,
	    "error, warn, info, debug or trace" },
	{ "log.format", 0, set_log_format, "logfmt or json" },
	{ "path.squeue", 0, set_squeue,
	    "an absolute path, e.g. /usr/bin/squeue" },
	{ "path.getent", 0, set_getent,
	    "an absolute path, e.g. /usr/bin/getent" },
	{ "collector.min-interval", 0, set_min_interval,
	    "0, or 1-4 digits followed by ms, s, m or h, at most 1h, e.g. "
	    "500ms or 5s" },
	{ "accounts.cache-ttl", 0, set_cache_ttl,
	    "1-3 digits followed by s, m, h or d, or 0 to disable caching" },
	{ "source.max-records", 0, set_max_records,
	    "a number from 1 to " STR(MAX_MAX_RECORDS) },
	{ "source.max-keys", 0, set_max_keys,
	    "a number from 1 to " STR(MAX_MAX_KEYS) },
	{ "sandbox", 0, set_sandbox, "enforce, log or off" },
	{ "user", 0, set_user,
	    "a user name of 1-" STR(MAX_USER) " letters, digits, '.', '_' "
	    "or '-', not starting with '-'" },
};

static const struct flag_def *
flag_lookup(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(flag_defs) / sizeof(flag_defs[0]); i++) {
		if (strlen(flag_defs[i].name) == len &&
		    memcmp(flag_defs[i].name, name, len) == 0)
			return &flag_defs[i];
	}
	return NULL;
}

/* Messages use each flag's documented spelling: -old or --new.style. */
static const char *
dashes(const struct flag_def *def)
{
	return strchr(def->name, '.') != NULL ? "--" : "-";
}

void
flags_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->listen_addr[0].port = DEF_PORT;
	cfg->nlisten_addr = 1;
	cfg->port = DEF_PORT;
	cfg->min_interval_ms = DEF_MIN_INTERVAL_MS;
	cfg->timeout_s = DEF_TIMEOUT;
	memcpy(cfg->timerange, DEF_TIMERANGE, sizeof(DEF_TIMERANGE));
	cfg->timerange_s = DEF_TIMERANGE_S;
	cfg->log_level = LOG_LEVEL_INFO;
	cfg->log_format = LOG_FORMAT_LOGFMT;
	memcpy(cfg->telemetry_path, DEF_TELEMETRY, sizeof(DEF_TELEMETRY));
	cfg->max_connections = DEF_MAX_CONN;
	cfg->cache_ttl_s = DEF_CACHE_TTL_S;
	cfg->max_records = DEF_MAX_RECORDS;
	cfg->max_keys = DEF_MAX_KEYS;
	cfg->sandbox_mode = SANDBOX_ENFORCE;
	memcpy(cfg->user, DEF_USER, sizeof(DEF_USER));
}

/*
 * Two addresses that cannot both be bound: the same host (names and IPv6
 * digits compared without case) and port, or ":P" beside any other
 * address on port P, which ":P" already covers (it binds the IPv6 and IPv4
 * wildcard).  Other overlaps, such as a name and the address it resolves
 * to, only show when binding.
 */
static int
check_listen_pair(const struct flag_state *st, size_t i, size_t j,
    char *err, size_t errsz)
{
	const struct flags_listen *a = &st->cfg.listen_addr[i];
	const struct flags_listen *b = &st->cfg.listen_addr[j];
	char qa[QUOTE_BUF], qb[QUOTE_BUF];

	if (a->port != b->port)
		return 0;
	quote(qa, st->listen_arg[i]);
	quote(qb, st->listen_arg[j]);
	if (strcmp(st->listen_arg[i], st->listen_arg[j]) == 0) {
		errf(err, errsz, "--web.listen-address=%s given twice: give "
		    "each address once", qa);
		return ERR_USAGE;
	}
	if (eq_ci(a->host, b->host)) {
		errf(err, errsz, "--web.listen-address=%s and "
		    "--web.listen-address=%s name the same address: give each "
		    "address once", qa, qb);
		return ERR_USAGE;
	}
	if (a->host[0] == '\0' || b->host[0] == '\0') {
		errf(err, errsz, "--web.listen-address=%s and "
		    "--web.listen-address=%s overlap: :%u already listens on "
		    "every address", qa, qb, a->port);
		return ERR_USAGE;
	}
	return 0;
}

/*
 * The listen addresses, checked, then the compatibility fields: -port N
 * means ":N", so beside --web.listen-address only ":N" says the same.
 */
static int
check_listen(struct flag_state *st, char *err, size_t errsz)
{
	struct config *cfg = &st->cfg;
	const struct flags_listen *la;
	char q[QUOTE_BUF];
	size_t i, j;
	int r;

	if (st->nlisten > FLAGS_MAX_LISTEN) {
		errf(err, errsz, "--web.listen-address: given %zu times: at "
		    "most %d addresses", st->nlisten, FLAGS_MAX_LISTEN);
		return ERR_USAGE;
	}
	for (i = 0; i < st->nlisten; i++)
		for (j = i + 1; j < st->nlisten; j++)
			if ((r = check_listen_pair(st, i, j, err, errsz)) != 0)
				return r;
	for (i = 0; st->port_seen && i < st->nlisten; i++) {
		la = &cfg->listen_addr[i];
		if (la->host[0] == '\0' && la->port == st->port_port)
			continue;
		quote(q, st->listen_arg[i]);
		errf(err, errsz, "-port=%u and --web.listen-address=%s name "
		    "different addresses (-port=%u means :%u): give only one "
		    "of them", st->port_port, q, st->port_port, st->port_port);
		return ERR_USAGE;
	}
	return 0;
}

/*
 * Fills the derived listen fields from what was given; also run on the
 * -help path, so that cfg is coherent whatever the caller reads.
 */
static void
finish_listen(struct flag_state *st)
{
	struct config *cfg = &st->cfg;
	size_t n;

	if (st->nlisten == 0) {
		cfg->listen_addr[0].host[0] = '\0';
		cfg->listen_addr[0].port = cfg->port;
		cfg->nlisten_addr = 1;
	} else {
		n = st->nlisten;
		cfg->nlisten_addr = n < FLAGS_MAX_LISTEN ? n : FLAGS_MAX_LISTEN;
	}
	memcpy(cfg->listen_host, cfg->listen_addr[0].host,
	    sizeof(cfg->listen_host));
	cfg->port = cfg->listen_addr[0].port;
}

/* The checks that need the whole command line. */
static int
check_final(struct flag_state *st, char *err, size_t errsz)
{
	char a[QUOTE_BUF], b[QUOTE_BUF];
	int r;

	if (st->log_seen && st->level_seen &&
	    st->log_level != st->level_level) {
		quote(a, st->log_arg);
		quote(b, st->level_arg);
		errf(err, errsz, "-log=%s and --log.level=%s name different "
		    "levels: give only one of them", a, b);
		return ERR_USAGE;
	}
	if ((r = check_listen(st, err, errsz)) != 0)
		return r;
	finish_listen(st);
	if (!st->cfg.show_version && st->cfg.promserver[0] == '\0') {
		errf(err, errsz, "-promserver: required, e.g. "
		    "-promserver=http://prometheus:9090");
		return ERR_USAGE;
	}
	return 0;
}

/*
 * Go's flag package rules: one or two dashes, "=value" or the next
 * argument as the value (booleans only take "="), "--" ends the flags.
 * Unlike Go, nothing may follow the flags: the exporter takes no
 * arguments, and a stray word is most likely a mangled option.
 */
int
flags_parse(int argc, char **argv, struct config *cfg, char *err,
    size_t errsz)
{
	struct flag_state st;
	const struct flag_def *def;
	const char *arg, *name, *eq, *val;
	char q[QUOTE_BUF], *cut;
	size_t len;
	int i, ndash, ret = ERR_USAGE;

	if (err != NULL && errsz > 0)
		err[0] = '\0';
	flags_defaults(cfg);
	memset(&st, 0, sizeof(st));
	flags_defaults(&st.cfg);

	for (i = 1; i < argc && argv[i] != NULL; i++) {
		arg = argv[i];
		if (strcmp(arg, "--") == 0) {
			if (i + 1 < argc && argv[i + 1] != NULL) {
				quote(q, argv[i + 1]);
				errf(err, errsz, "unexpected argument \"%s\": "
				    "the exporter takes only flags, e.g. "
				    "-promserver=URL", q);
				goto out;
			}
			break;
		}
		if (arg[0] != '-' || arg[1] == '\0') {
			quote(q, arg);
			errf(err, errsz, "unexpected argument \"%s\": the "
			    "exporter takes only flags, e.g. -promserver=URL",
			    q);
			goto out;
		}
		ndash = arg[1] == '-' ? 2 : 1;
		name = arg + ndash;
		if (name[0] == '\0' || name[0] == '-' || name[0] == '=') {
			quote(q, arg);
			errf(err, errsz, "bad flag syntax: %s: want -name, "
			    "-name=value or -name value", q);
			goto out;
		}
		eq = strchr(name, '=');
		len = eq != NULL ? (size_t)(eq - name) : strlen(name);
		if ((def = flag_lookup(name, len)) == NULL) {
			quote(q, arg);
			if ((cut = strchr(q, '=')) != NULL)
				*cut = '\0';
			/* cmd/main.c adds the pointer to -help. */
			errf(err, errsz, "unknown flag %s", q);
			goto out;
		}
		if (eq != NULL)
			val = eq + 1;
		else if (def->is_bool)
			val = NULL;
		else if (i + 1 < argc && argv[i + 1] != NULL)
			val = argv[++i];
		else {
			errf(err, errsz, "%s%s: missing value: want %s",
			    dashes(def), def->name, def->want);
			goto out;
		}
		if (def->set(&st, val) != 0) {
			quote(q, val != NULL ? val : "");
			errf(err, errsz, "%s%s: invalid value \"%s\": want %s",
			    dashes(def), def->name, q, def->want);
			goto out;
		}
		/* Go's flag package stops at -help and shows the usage. */
		if (def->set == set_help && st.cfg.show_help) {
			finish_listen(&st);
			*cfg = st.cfg;
			ret = 0;
			goto out;
		}
	}
	if ((ret = check_final(&st, err, errsz)) != 0)
		goto out;
	*cfg = st.cfg;
	ret = 0;
 out:
	return ret;
}

static const char usage_text[] =
"Usage: prometheus-cluster-exporter -promserver=URL [flags]\n"
"\n"
"Every flag may be given as -name=value, -name value, --name=value or\n"
"--name value; a boolean flag as -name or -name=true|false.\n"
"\n"
"  -promserver URL\n"
"\tupstream Prometheus, http:// or https:// with a host (required)\n"
"  --promserver.config.file PATH\n"
"\tcredentials, TLS, proxy and headers toward the upstream, in the\n"
"\thttp_config YAML of Prometheus' scrape configurations; read again\n"
"\ton SIGHUP, the files it names at every collection (default: none)\n"
"  -port N\n"
"\tport to listen on, every address, 1 to 65535 (default "
    STR(DEF_PORT) ")\n"
"  -timeout N\n"
"\tseconds a scrape may take, 1 to " STR(MAX_TIMEOUT)
    " (default " STR(DEF_TIMEOUT) ")\n"
"  -timerange R\n"
"\tPromQL range: 1-3 digits then s, m, h or d (default "
    DEF_TIMERANGE ")\n"
"  -log LEVEL\n"
"\tERROR, WARNING, INFO, DEBUG or TRACE (default INFO)\n"
"  -version\n"
"\tprint the version and exit (default false)\n"
"  -help, -h\n"
"\tprint this text and exit (default false)\n"
"  --web.listen-address [HOST]:PORT\n"
"\taddress to listen on; HOST may be [v6addr]; repeat for up to "
    STR(FLAGS_MAX_LISTEN) "\n"
"\tdistinct addresses (default :" STR(DEF_PORT) ", every IPv6 and IPv4 "
    "address);\n"
"\twith -port N, only :N may be given\n"
"  --web.systemd-socket\n"
"\tlisten on the sockets systemd passes (LISTEN_FDS) and bind nothing;\n"
"\t--web.listen-address and -port are then checked but unused, as\n"
"\tnode_exporter does (default false)\n"
"  --web.config.file PATH\n"
"\tTLS, basic authentication and response headers, in the\n"
"\texporter-toolkit's YAML format; read again on SIGHUP (default: none,\n"
"\tplain HTTP without authentication)\n"
"  --web.telemetry-path PATH\n"
"\tpath of the metrics (default " DEF_TELEMETRY ")\n"
"  --web.max-connections N\n"
"\tconcurrent connections, 1 to " STR(MAX_MAX_CONN)
    " (default " STR(DEF_MAX_CONN) ")\n"
"  --collector.min-interval DURATION\n"
"\thow long a finished collection answers further scrapes: 0, or 1-4\n"
"\tdigits then ms, s, m or h, at most 1h; 0 collects once per scrape\n"
"\t(default " DEF_MIN_INTERVAL ")\n"
"  --log.level LEVEL\n"
"\terror, warn, info, debug or trace (default info); must agree\n"
"\twith -log\n"
"  --log.format FORMAT\n"
"\tlogfmt or json (default logfmt)\n"
"  --path.squeue PATH\n"
"\tabsolute path of squeue (default: found through PATH)\n"
"  --path.getent PATH\n"
"\tabsolute path of getent (default: found through PATH)\n"
"  --accounts.cache-ttl DURATION\n"
"\tlifetime of cached users and groups, like -timerange, or 0 to\n"
"\tdisable caching (default " DEF_CACHE_TTL ")\n"
"  --source.max-records N\n"
"\trecords one source (slurm, metadata, read, write) may send per\n"
"\tscrape; beyond it that source fails alone (default "
    STR(DEF_MAX_RECORDS) ")\n"
"  --source.max-keys N\n"
"\tdistinct job ids or series one source may send per scrape, 1 to\n"
"\t" STR(MAX_MAX_KEYS) " (default " STR(DEF_MAX_KEYS) ")\n"
"  -sandbox MODE\n"
"\tenforce, log or off (default enforce)\n"
"  --sandbox.read-path DIR\n"
"\ta directory squeue, getent and their wrappers may read and run from,\n"
"\tbeyond /etc, /usr, /opt, /run and the commands' own; repeatable\n"
"  -user NAME\n"
"\taccount to run as when started as root (default " DEF_USER ")\n";

void
flags_usage(char *buf, size_t bufsz)
{
	size_t n = sizeof(usage_text) - 1;

	if (buf == NULL || bufsz == 0)
		return;
	/* A short buffer receives the start of the text, cut and terminated. */
	if (n > bufsz - 1)
		n = bufsz - 1;
	memcpy(buf, usage_text, n);
	buf[n] = '\0';
}
