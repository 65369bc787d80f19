/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "caps.h"

int log_current_level = LOG_LEVEL_INFO;

static int log_format = LOG_FORMAT_LOGFMT;
static const char *log_helper;
static log_sink_fn *log_sink;
static void *log_sink_arg;

static const char *const level_names[] = {
	"error", "warn", "info", "debug", "trace",
};

void
log_init(int level, int format, const char *helper)
{
	if (level >= LOG_LEVEL_ERROR && level <= LOG_LEVEL_TRACE)
		log_current_level = level;
	log_format = format;
	log_helper = helper;
}

void
log_set_sink(log_sink_fn *fn, void *arg)
{
	log_sink = fn;
	log_sink_arg = arg;
}

const char *
log_level_name(int level)
{
	if (level < LOG_LEVEL_ERROR || level > LOG_LEVEL_TRACE)
		return NULL;
	return level_names[level];
}

/*
 * Escapes s into dst for a quoted logfmt or JSON value: untrusted text
 * (helper messages carry process names) must not forge keys or lines.
 */
static void
log_escape(char *dst, size_t dstsz, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	unsigned char c;

	for (; *s != '\0' && o + 7 < dstsz; s++) {
		c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			dst[o++] = '\\';
			dst[o++] = (char)c;
		} else if (c == '\n') {
			dst[o++] = '\\';
			dst[o++] = 'n';
		} else if (c < 0x20 || c == 0x7f) {
			/* \u00XX reads correctly in both JSON and logfmt. */
			dst[o++] = '\\';
			dst[o++] = 'u';
			dst[o++] = '0';
			dst[o++] = '0';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 0xf];
		} else
			dst[o++] = (char)c;
	}
	dst[o] = '\0';
}

static void
log_write(int level, const char *caller, const char *helper, long pid,
    const char *msg)
{
	char esc[MAX_LOG_MSG * 2], ts[96], line[MAX_LOG_MSG * 2 + 256];
	struct timeval tv;
	struct tm tm;
	int n;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (long)(tv.tv_usec / 1000) % 1000);
	log_escape(esc, sizeof(esc), msg);
	if (log_format == LOG_FORMAT_JSON) {
		n = snprintf(line, sizeof(line),
		    "{\"ts\":\"%s\",\"level\":\"%s\",\"caller\":\"%s\","
		    "\"msg\":\"%s\"", ts, level_names[level], caller, esc);
		if (helper != NULL && n > 0 && (size_t)n < sizeof(line))
			n += snprintf(line + n, sizeof(line) - (size_t)n,
			    ",\"helper\":\"%s\",\"pid\":%ld", helper, pid);
		if (n > 0 && (size_t)n < sizeof(line))
			n += snprintf(line + n, sizeof(line) - (size_t)n,
			    "}\n");
	} else {
		n = snprintf(line, sizeof(line),
		    "ts=%s level=%s caller=%s msg=\"%s\"", ts,
		    level_names[level], caller, esc);
		if (helper != NULL && n > 0 && (size_t)n < sizeof(line))
			n += snprintf(line + n, sizeof(line) - (size_t)n,
			    " helper=%s pid=%ld", helper, pid);
		if (n > 0 && (size_t)n < sizeof(line))
			n += snprintf(line + n, sizeof(line) - (size_t)n,
			    "\n");
	}
	if (n <= 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		/* Keep the line a line even when cut. */
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	/* One write per line so concurrent threads do not interleave. */
	if (write(STDERR_FILENO, line, (size_t)n) == -1)
		return;
}

void
log_emitv(int level, const char *func, const char *fmt, va_list ap)
{
	char msg[MAX_LOG_MSG];
	int saved = errno;

	if (level < LOG_LEVEL_ERROR || level > LOG_LEVEL_TRACE)
		level = LOG_LEVEL_ERROR;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_sink != NULL)
		log_sink(level, msg, log_sink_arg);
	else
		log_write(level, func, log_helper, log_helper != NULL ?
		    (long)getpid() : 0, msg);
	errno = saved;
}

void
log_emit(int level, const char *func, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emitv(level, func, fmt, ap);
	va_end(ap);
}

void
log_relay(int level, const char *helper, long pid, const char *msg)
{
	if (level < LOG_LEVEL_ERROR || level > LOG_LEVEL_TRACE)
		level = LOG_LEVEL_ERROR;
	if (level > log_current_level)
		return;
	log_write(level, "helper", helper, pid, msg);
}

void
log_fatal(const char *func, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emitv(LOG_LEVEL_ERROR, func, fmt, ap);
	va_end(ap);
	exit(1);
}
