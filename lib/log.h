/* SPDX-License-Identifier: Apache-2.0 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>
#include <stddef.h>

/*
 * One line per event on stderr: logfmt (default) or JSON, with ts, level,
 * caller and msg, then the line's fields (source=, err=, duration=, ...:
 * log_kv()), plus helper= and pid= when a helper's record is re-emitted.
 * The level is tested before the arguments are evaluated.
 *
 * Repeats are bounded where lines are written (not in a process with a
 * sink: its parent bounds what it relays).  An error, warn or info line
 * whose level, caller, helper and text are all the same as one written
 * LOG_REPEAT_BURST times already in the last LOG_REPEAT_INTERVAL_S
 * seconds is not written but counted; when that interval ends, one line
 * carries the text with "(N similar lines suppressed in Ts)".  The same
 * text and not the same call site: two lines of one call site that differ
 * (two sources failing) both say something, and only a line that says
 * nothing new is held back.  Debug and trace lines are never held back:
 * whoever asked for them wants every one.  A line a client can trigger
 * at will is bounded per call site, whatever its text, by log_limited().
 */
enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN = 1,
	LOG_LEVEL_INFO = 2,
	LOG_LEVEL_DEBUG = 3,
	LOG_LEVEL_TRACE = 4,
};

enum log_format {
	LOG_FORMAT_LOGFMT = 0,
	LOG_FORMAT_JSON = 1,
};

#define LOG_REPEAT_BURST	5
#define LOG_REPEAT_INTERVAL_S	10

/*
 * Rendered fields of one line at most, escapes included; a field that
 * would not fit is left out whole, never cut.
 */
#define LOG_FIELDS_MAX		2048
/*
 * Longest line a process writes, '\n' included: the escaped message
 * (MAX_LOG_MSG * 2), the fields and the rest.
 */
#define LOG_LINE_MAX		(2048 + LOG_FIELDS_MAX + 256)

/*
 * A field of a line, after msg: key=value in logfmt, "key":"value" in
 * JSON.  Keys are this program's own words; values may hold anything and
 * are escaped (quoted in logfmt when they need it).  A NULL value leaves
 * the field out.  LOG_FIELDS({ "source", name }, { "err", why }) makes the
 * array, ended by a NULL key.
 */
struct log_field {
	const char	*key;
	const char	*value;
};

#define LOG_FIELDS(...)							\
	((const struct log_field []){ __VA_ARGS__, { NULL, NULL } })

/* Sender of log lines a process emits; helpers send LOG records instead. */
typedef void log_sink_fn(int level, const char *msg, void *arg);

/*
 * Taker of whole formatted lines instead of write(2) on stderr: line is
 * len bytes ending in '\n' (not NUL-terminated), borrowed for the call.
 * Called from any thread that logs; it must not block and must not log.
 * last is 1 for the line of log_fatal(), which exits when the writer
 * returns: the writer should try to get it out first, within a bound.
 */
typedef void log_writer_fn(const char *line, size_t len, int last,
    void *arg);

extern int log_current_level;

void	log_init(int level, int format, const char *helper);
/* Routes messages to fn instead of stderr (helpers after sandboxing). */
void	log_set_sink(log_sink_fn *fn, void *arg);
/*
 * Routes formatted lines to fn instead of stderr (the parent's queue,
 * cmd/logq.h); NULL puts stderr back.  Not synchronised with logging
 * threads: call while the process has one thread.
 */
void	log_set_writer(log_writer_fn *fn, void *arg);
/* Level name as used by --log.level ("error", "warn", ...), or NULL. */
const char	*log_level_name(int level);

void	log_emit(int level, const char *func, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	log_emitv(int level, const char *func, const char *fmt, va_list ap)
	    __attribute__((format(printf, 3, 0)));
/*
 * Like log_emit(), with fields after msg (NULL: none).  Repeats are
 * counted by message and fields together.  In a process with a sink (a
 * helper) the fields are appended to the message, as key=value.
 */
void	log_emit_kv(int level, const char *func,
	    const struct log_field *fields, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
/*
 * Like log_emit(), but at most burst lines per interval_s seconds come
 * from this call site (func and fmt, both string literals: they are kept
 * by address), whatever their arguments.  The others are counted; when
 * the interval ends one line carries the last of them with "(N similar
 * lines suppressed in Ts)", and counts as the first of the next interval.
 * So at most burst lines per interval, summaries included.  burst 0 is 1.
 */
void	log_emit_limited(int level, unsigned int burst,
	    unsigned int interval_s, const char *func, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
/* Re-emits a message received from a helper, escaped and tagged. */
void	log_relay(int level, const char *helper, long pid, const char *msg);
/*
 * Writes the summary line of every interval that has ended with lines
 * held back.  Logging calls this itself; a process that may go quiet
 * after a flood calls it now and then (the parent's log writer does, once
 * a second), so the count is not left waiting for the next line.
 */
void	log_tick(void);
/* Lines held back since start-up, for a metric; any thread. */
unsigned long	log_suppressed_total(void);
/*
 * Formats one line as log_emit() writes it (this process's helper tag
 * included) into line, which must hold LOG_LINE_MAX bytes.  Returns its
 * length; it ends in '\n' and is NUL-terminated.  For a writer that adds
 * lines of its own (how many it dropped).
 */
size_t	log_format(char *line, int level, const char *caller,
	    const char *msg);
/*
 * Writes the line (a writer may hold it for a second at most) and exits
 * with status 1.  Never held back.
 */
void	log_fatal(const char *func, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3), noreturn));

#define log_at(lvl, ...) do {						\
	if ((lvl) <= log_current_level)					\
		log_emit((lvl), __func__, __VA_ARGS__);			\
} while (0)

#define log_kv(lvl, fields, ...) do {					\
	if ((lvl) <= log_current_level)					\
		log_emit_kv((lvl), __func__, (fields), __VA_ARGS__);	\
} while (0)

#define log_limited(lvl, burst, interval_s, ...) do {			\
	if ((lvl) <= log_current_level)					\
		log_emit_limited((lvl), (burst), (interval_s),		\
		    __func__, __VA_ARGS__);				\
} while (0)

#define error_f(...)	log_at(LOG_LEVEL_ERROR, __VA_ARGS__)
#define warn_f(...)	log_at(LOG_LEVEL_WARN, __VA_ARGS__)
#define info_f(...)	log_at(LOG_LEVEL_INFO, __VA_ARGS__)
#define debug_f(...)	log_at(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define trace_f(...)	log_at(LOG_LEVEL_TRACE, __VA_ARGS__)
#define error_kv(fields, ...)	log_kv(LOG_LEVEL_ERROR, fields, __VA_ARGS__)
#define warn_kv(fields, ...)	log_kv(LOG_LEVEL_WARN, fields, __VA_ARGS__)
#define info_kv(fields, ...)	log_kv(LOG_LEVEL_INFO, fields, __VA_ARGS__)
#define debug_kv(fields, ...)	log_kv(LOG_LEVEL_DEBUG, fields, __VA_ARGS__)
#define fatal_f(...)	log_fatal(__func__, __VA_ARGS__)

#endif /* LOG_H */
