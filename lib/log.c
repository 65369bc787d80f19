/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "caps.h"

_Static_assert(LOG_LINE_MAX == MAX_LOG_MSG * 2 + LOG_FIELDS_MAX + 256,
    "LOG_LINE_MAX in log.h follows MAX_LOG_MSG");

/*
 * Repeats in flight at once.  Past that many, a new text takes the slot
 * of one that held nothing back yet; with every slot holding lines back,
 * it is written unlimited: a bound on repeats must never cost a line
 * that says something new.
 */
#define LOG_SLOTS		64
/*
 * Text kept in a summary line: the lines before it showed the whole
 * text, and a short one leaves room for the count even when every byte
 * needs an escape.
 */
#define LOG_SUMMARY_TEXT	256

int log_current_level = LOG_LEVEL_INFO;

static int log_format_kind = LOG_FORMAT_LOGFMT;
static const char *log_helper;
static log_sink_fn *log_sink;
static void *log_sink_arg;
static log_writer_fn *log_writer;
static void *log_writer_arg;

static const char *const level_names[] = {
	"error", "warn", "info", "debug", "trace",
};

/*
 * One line being held back: a text (hash != 0) or a call site
 * (site_func != NULL), the interval it is counted in, and what its
 * summary line will say.
 */
struct log_slot {
	int		 used;
	uint64_t	 hash;
	const char	*site_func;
	const char	*site_fmt;
	uint64_t	 start_ms;
	uint64_t	 interval_ms;
	unsigned int	 burst;
	unsigned int	 passed;	/* written in this interval */
	unsigned long	 held;		/* held back in this interval */
	int		 level;
	int		 relayed;	/* from log_relay(): helper, pid */
	long		 pid;
	char		 caller[64];
	char		 helper[32];
	char		 fields[LOG_FIELDS_MAX];	/* rendered */
	char		 text[MAX_LOG_MSG];
};

/* Guards the slots; the rest is set while the process has one thread. */
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static struct log_slot log_slots[LOG_SLOTS];
static unsigned long log_held_total;
/*
 * Set while this thread holds log_mu: a sink or writer that logs (it
 * should not) is written unlimited instead of deadlocking.
 */
static _Thread_local int log_inside;

static uint64_t
log_monotonic_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The clock of the intervals; the unit test sets its own. */
static uint64_t (*log_now_ms)(void) = log_monotonic_ms;

void
log_init(int level, int format, const char *helper)
{
	if (level >= LOG_LEVEL_ERROR && level <= LOG_LEVEL_TRACE)
		log_current_level = level;
	log_format_kind = format;
	log_helper = helper;
}

void
log_set_sink(log_sink_fn *fn, void *arg)
{
	log_sink = fn;
	log_sink_arg = arg;
}

void
log_set_writer(log_writer_fn *fn, void *arg)
{
	log_writer = fn;
	log_writer_arg = arg;
}

const char *
log_level_name(int level)
{
	if (level < LOG_LEVEL_ERROR || level > LOG_LEVEL_TRACE)
		return NULL;
	return level_names[level];
}

unsigned long
log_suppressed_total(void)
{
	return __atomic_load_n(&log_held_total, __ATOMIC_RELAXED);
}

/*
 * Escapes s into dst for a quoted logfmt or JSON value: untrusted text
 * (helper messages carry process names) must not forge keys or lines.
 * Returns 0, or -1 when dst held only part of s (cut before an escape,
 * never inside one).
 */
static int
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
	return *s == '\0' ? 0 : -1;
}

/* A logfmt value is quoted when it is empty or a byte would end it. */
static int
log_needs_quotes(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (*p == '\0')
		return 1;
	for (; *p != '\0'; p++)
		if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' ||
		    *p == 0x7f)
			return 1;
	return 0;
}

/*
 * Renders fields for the current format into dst (LOG_FIELDS_MAX bytes):
 * " key=value ..." or ",\"key\":\"value\"...".  A field that does not fit
 * is left out, and so are those after it: a line never carries half a
 * value.
 */
static void
log_render_fields(char *dst, const struct log_field *fields, int format)
{
	char esc[LOG_FIELDS_MAX];
	size_t o = 0;
	int n;

	dst[0] = '\0';
	for (; fields != NULL && fields->key != NULL; fields++) {
		if (fields->value == NULL)
			continue;
		if (log_escape(esc, sizeof(esc), fields->value) != 0)
			break;
		if (format == LOG_FORMAT_JSON)
			n = snprintf(dst + o, LOG_FIELDS_MAX - o,
			    ",\"%s\":\"%s\"", fields->key, esc);
		else if (log_needs_quotes(fields->value))
			n = snprintf(dst + o, LOG_FIELDS_MAX - o, " %s=\"%s\"",
			    fields->key, esc);
		else
			n = snprintf(dst + o, LOG_FIELDS_MAX - o, " %s=%s",
			    fields->key, esc);
		if (n < 0 || (size_t)n >= LOG_FIELDS_MAX - o) {
			dst[o] = '\0';
			return;
		}
		o += (size_t)n;
	}
}

/*
 * One line into line (LOG_LINE_MAX bytes); returns its length.  fields
 * are rendered for this format already, or NULL.
 */
static size_t
log_format_tagged(char *line, int level, const char *caller,
    const char *helper, long pid, const char *msg, const char *fields)
{
	char esc[MAX_LOG_MSG * 2], ts[96];
	const size_t linesz = LOG_LINE_MAX;
	struct timeval tv;
	struct tm tm;
	int n;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (long)(tv.tv_usec / 1000) % 1000);
	/* A message is text, and may be cut (at MAX_LOG_MSG already). */
	(void)log_escape(esc, sizeof(esc), msg);
	if (fields == NULL)
		fields = "";
	if (log_format_kind == LOG_FORMAT_JSON) {
		n = snprintf(line, linesz,
		    "{\"ts\":\"%s\",\"level\":\"%s\",\"caller\":\"%s\","
		    "\"msg\":\"%s\"%s", ts, level_names[level], caller, esc,
		    fields);
		if (helper != NULL && n > 0 && (size_t)n < linesz)
			n += snprintf(line + n, linesz - (size_t)n,
			    ",\"helper\":\"%s\",\"pid\":\"%ld\"", helper, pid);
		if (n > 0 && (size_t)n < linesz)
			n += snprintf(line + n, linesz - (size_t)n, "}\n");
	} else {
		n = snprintf(line, linesz,
		    "ts=%s level=%s caller=%s msg=\"%s\"%s", ts,
		    level_names[level], caller, esc, fields);
		if (helper != NULL && n > 0 && (size_t)n < linesz)
			n += snprintf(line + n, linesz - (size_t)n,
			    " helper=%s pid=%ld", helper, pid);
		if (n > 0 && (size_t)n < linesz)
			n += snprintf(line + n, linesz - (size_t)n, "\n");
	}
	if (n <= 0) {
		line[0] = '\0';
		return 0;
	}
	if ((size_t)n >= linesz) {
		/* Keep the line a line even when cut. */
		n = (int)linesz - 1;
		line[n - 1] = '\n';
		line[n] = '\0';
	}
	return (size_t)n;
}

size_t
log_format(char *line, int level, const char *caller, const char *msg)
{
	if (level < LOG_LEVEL_ERROR || level > LOG_LEVEL_TRACE)
		level = LOG_LEVEL_ERROR;
	return log_format_tagged(line, level, caller, log_helper,
	    log_helper != NULL ? (long)getpid() : 0, msg, NULL);
}

/* To the writer, else to stderr: one write per line, never interleaved. */
static void
log_out(const char *line, size_t n, int last)
{
	if (n == 0)
		return;
	if (log_writer != NULL) {
		log_writer(line, n, last, log_writer_arg);
		return;
	}
	if (write(STDERR_FILENO, line, n) == -1)
		return;
}

static void
log_write(int level, const char *caller, const char *helper, long pid,
    const char *msg, const char *fields)
{
	char line[LOG_LINE_MAX];

	log_out(line, log_format_tagged(line, level, caller, helper, pid,
	    msg, fields), 0);
}

/*
 * A line of this process: to the sink of a helper, else written.  A sink
 * takes text only: rendered logfmt fields are appended to it.
 */
static void
log_local(int level, const char *func, const char *msg, const char *fields)
{
	char joined[MAX_LOG_MSG];
	size_t ml, fl;

	if (log_sink != NULL) {
		/* Fields that would not fit whole are left out. */
		ml = strlen(msg);
		fl = fields != NULL ? strlen(fields) : 0;
		if (fl > 0 && ml + fl < sizeof(joined)) {
			memcpy(joined, msg, ml);
			memcpy(joined + ml, fields, fl + 1);
			msg = joined;
		}
		log_sink(level, msg, log_sink_arg);
	} else
		log_write(level, func, log_helper, log_helper != NULL ?
		    (long)getpid() : 0, msg, fields);
}

/* Writes the summary of s's ended interval.  Called with log_mu held. */
static void
log_summary(const struct log_slot *s)
{
	char msg[LOG_SUMMARY_TEXT + 128];
	size_t len = strlen(s->text), keep = len;

	if (len > LOG_SUMMARY_TEXT) {
		/* Cut before a character, not inside one (UTF-8). */
		keep = LOG_SUMMARY_TEXT - 3;
		while (keep > 0 && ((unsigned char)s->text[keep] & 0xc0) ==
		    0x80)
			keep--;
	}
	snprintf(msg, sizeof(msg), "%.*s%s (%lu similar line%s suppressed "
	    "in %llus)", (int)keep, s->text, keep < len ? "..." : "",
	    s->held, s->held == 1 ? "" : "s",
	    (unsigned long long)(s->interval_ms / 1000));
	if (s->relayed)
		log_write(s->level, "helper", s->helper, s->pid, msg, NULL);
	else
		log_local(s->level, s->caller, msg, s->fields);
}

/*
 * Ends the intervals that are over: one that held lines back writes its
 * summary, which opens the next interval as its first line; one that held
 * nothing back frees its slot.  Called with log_mu held.
 */
static void
log_sweep(uint64_t now)
{
	struct log_slot *s;
	size_t i;

	for (i = 0; i < LOG_SLOTS; i++) {
		s = &log_slots[i];
		if (!s->used || now - s->start_ms < s->interval_ms)
			continue;
		if (s->held == 0) {
			s->used = 0;
			continue;
		}
		log_summary(s);
		s->start_ms = now;
		s->passed = 1;
		s->held = 0;
	}
}

void
log_tick(void)
{
	int saved = errno;

	if (log_inside)
		return;
	pthread_mutex_lock(&log_mu);
	log_inside = 1;
	log_sweep(log_now_ms());
	log_inside = 0;
	pthread_mutex_unlock(&log_mu);
	errno = saved;
}

/* FNV-1a, over each string and its NUL. */
static uint64_t
log_hash(uint64_t h, const char *s)
{
	do {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	} while (*s++ != '\0');
	return h;
}

/* What a line is counted as, and where its summary goes. */
struct log_key {
	uint64_t	 hash;		/* 0: a call site */
	const char	*site_func;
	const char	*site_fmt;
	int		 level;
	int		 relayed;
	const char	*caller;
	const char	*helper;
	const char	*fields;	/* rendered, "" for none */
	long		 pid;
	unsigned int	 burst;
	uint64_t	 interval_ms;
};

static int
log_same(const struct log_slot *s, const struct log_key *k,
    const char *text)
{
	if (k->hash == 0)
		return s->hash == 0 && s->site_func == k->site_func &&
		    s->site_fmt == k->site_fmt;
	/* A relayed text may be longer than what a slot keeps of it. */
	return s->hash == k->hash && s->level == k->level &&
	    s->relayed == k->relayed &&
	    strncmp(s->text, text, sizeof(s->text) - 1) == 0 &&
	    strcmp(s->fields, k->fields) == 0 &&
	    strcmp(s->caller, k->caller) == 0 &&
	    strcmp(s->helper, k->helper != NULL ? k->helper : "") == 0;
}

/*
 * A free slot, else the oldest that held nothing back, a text before a
 * call site (whose burst may be a single line); or NULL.
 */
static struct log_slot *
log_slot_take(void)
{
	struct log_slot *s, *best = NULL;
	size_t i;

	for (i = 0; i < LOG_SLOTS; i++) {
		s = &log_slots[i];
		if (!s->used)
			return s;
		if (s->held != 0)
			continue;
		if (best == NULL || (s->hash != 0 && best->hash == 0) ||
		    ((s->hash != 0) == (best->hash != 0) &&
		    s->start_ms < best->start_ms))
			best = s;
	}
	return best;
}

/*
 * Counts one line against its key.  Returns 1 if it is to be written, 0
 * if it is held back.
 */
static int
log_admit(const struct log_key *k, const char *text)
{
	struct log_slot *s = NULL;
	uint64_t now;
	size_t i;
	int pass = 1;

	if (log_inside)
		return 1;
	pthread_mutex_lock(&log_mu);
	log_inside = 1;
	now = log_now_ms();
	log_sweep(now);
	for (i = 0; i < LOG_SLOTS && s == NULL; i++)
		if (log_slots[i].used && log_same(&log_slots[i], k, text))
			s = &log_slots[i];
	if (s == NULL) {
		if ((s = log_slot_take()) != NULL) {
			memset(s, 0, offsetof(struct log_slot, text));
			s->used = 1;
			s->hash = k->hash;
			s->site_func = k->site_func;
			s->site_fmt = k->site_fmt;
			s->start_ms = now;
			s->interval_ms = k->interval_ms;
			s->burst = k->burst;
			s->level = k->level;
			s->relayed = k->relayed;
			snprintf(s->caller, sizeof(s->caller), "%s",
			    k->caller);
			snprintf(s->helper, sizeof(s->helper), "%s",
			    k->helper != NULL ? k->helper : "");
			snprintf(s->text, sizeof(s->text), "%s", text);
			snprintf(s->fields, sizeof(s->fields), "%s",
			    k->fields);
			s->passed = 1;
		}
	} else if (s->passed < s->burst)
		s->passed++;
	else {
		/* The summary shows the last line held back. */
		s->held++;
		s->level = k->level;
		s->pid = k->pid;
		if (k->hash == 0) {
			snprintf(s->text, sizeof(s->text), "%s", text);
			snprintf(s->fields, sizeof(s->fields), "%s",
			    k->fields);
		}
		__atomic_add_fetch(&log_held_total, 1, __ATOMIC_RELAXED);
		pass = 0;
	}
	log_inside = 0;
	pthread_mutex_unlock(&log_mu);
	return pass;
}

/* Repeats of the same text: see log.h. */
static int
log_admit_text(int level, const char *caller, const char *helper,
    long pid, const char *text, const char *fields)
{
	struct log_key k;
	char lv[2] = { (char)('0' + level), '\0' };

	memset(&k, 0, sizeof(k));
	k.level = level;
	k.relayed = helper != NULL;
	k.caller = caller;
	k.helper = helper;
	k.fields = fields != NULL ? fields : "";
	k.pid = pid;
	k.burst = LOG_REPEAT_BURST;
	k.interval_ms = LOG_REPEAT_INTERVAL_S * 1000ULL;
	k.hash = log_hash(log_hash(log_hash(log_hash(log_hash(
	    0xcbf29ce484222325ULL, lv), caller), helper != NULL ? helper : ""),
	    text), k.fields);
	/* 0 marks a call site. */
	if (k.hash == 0)
		k.hash = 1;
	return log_admit(&k, text);
}

static void	log_emit_fields(int, const char *, const struct log_field *,
		    const char *, va_list)
		    __attribute__((format(printf, 4, 0)));

/* The body of log_emitv() and log_emit_kv(). */
static void
log_emit_fields(int level, const char *func, const struct log_field *kv,
    const char *fmt, va_list ap)
{
	char msg[MAX_LOG_MSG], fields[LOG_FIELDS_MAX];

	if (level < LOG_LEVEL_ERROR || level > LOG_LEVEL_TRACE)
		level = LOG_LEVEL_ERROR;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* A sink sends text, which the parent quotes: logfmt reads best. */
	log_render_fields(fields, kv, log_sink != NULL ? LOG_FORMAT_LOGFMT :
	    log_format_kind);
	/* A helper's lines are bounded by the parent, which relays them. */
	if (log_sink != NULL || level > LOG_LEVEL_INFO ||
	    log_admit_text(level, func, NULL, 0, msg, fields))
		log_local(level, func, msg, fields);
}

void
log_emitv(int level, const char *func, const char *fmt, va_list ap)
{
	int saved = errno;

	log_emit_fields(level, func, NULL, fmt, ap);
	errno = saved;
}

void
log_emit_kv(int level, const char *func, const struct log_field *fields,
    const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_emit_fields(level, func, fields, fmt, ap);
	va_end(ap);
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
log_emit_limited(int level, unsigned int burst, unsigned int interval_s,
    const char *func, const char *fmt, ...)
{
	struct log_key k;
	char msg[MAX_LOG_MSG];
	va_list ap;
	int saved = errno;

	if (level < LOG_LEVEL_ERROR || level > LOG_LEVEL_TRACE)
		level = LOG_LEVEL_ERROR;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memset(&k, 0, sizeof(k));
	k.site_func = func;
	k.site_fmt = fmt;
	k.level = level;
	k.caller = func;
	k.burst = burst > 0 ? burst : 1;
	k.interval_ms = (uint64_t)interval_s * 1000;
	k.fields = "";
	if (log_admit(&k, msg))
		log_local(level, func, msg, NULL);
	errno = saved;
}

void
log_relay(int level, const char *helper, long pid, const char *msg)
{
	int saved = errno;

	if (level < LOG_LEVEL_ERROR || level > LOG_LEVEL_TRACE)
		level = LOG_LEVEL_ERROR;
	if (level > log_current_level)
		return;
	if (level > LOG_LEVEL_INFO ||
	    log_admit_text(level, "helper", helper, pid, msg, NULL))
		log_write(level, "helper", helper, pid, msg, NULL);
	errno = saved;
}

void
log_fatal(const char *func, const char *fmt, ...)
{
	char msg[MAX_LOG_MSG], line[LOG_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_sink != NULL)
		log_sink(LOG_LEVEL_ERROR, msg, log_sink_arg);
	else
		log_out(line, log_format(line, LOG_LEVEL_ERROR, func, msg), 1);
	exit(1);
}
