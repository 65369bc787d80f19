/* SPDX-License-Identifier: Apache-2.0 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

/*
 * One line per event on stderr: logfmt (default) or JSON, with ts, level,
 * caller and msg, plus helper= when a helper's record is re-emitted.  The
 * level is tested before the arguments are evaluated.
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

/* Sender of log lines a process emits; helpers send LOG records instead. */
typedef void log_sink_fn(int level, const char *msg, void *arg);

extern int log_current_level;

void	log_init(int level, int format, const char *helper);
/* Routes messages to fn instead of stderr (helpers after sandboxing). */
void	log_set_sink(log_sink_fn *fn, void *arg);
/* Level name as used by --log.level ("error", "warn", ...), or NULL. */
const char	*log_level_name(int level);

void	log_emit(int level, const char *func, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	log_emitv(int level, const char *func, const char *fmt, va_list ap)
	    __attribute__((format(printf, 3, 0)));
/* Re-emits a message received from a helper, escaped and tagged. */
void	log_relay(int level, const char *helper, long pid, const char *msg);
void	log_fatal(const char *func, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3), noreturn));

#define log_at(lvl, ...) do {						\
	if ((lvl) <= log_current_level)					\
		log_emit((lvl), __func__, __VA_ARGS__);			\
} while (0)

#define error_f(...)	log_at(LOG_LEVEL_ERROR, __VA_ARGS__)
#define warn_f(...)	log_at(LOG_LEVEL_WARN, __VA_ARGS__)
#define info_f(...)	log_at(LOG_LEVEL_INFO, __VA_ARGS__)
#define debug_f(...)	log_at(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define trace_f(...)	log_at(LOG_LEVEL_TRACE, __VA_ARGS__)
#define fatal_f(...)	log_fatal(__func__, __VA_ARGS__)

#endif /* LOG_H */
