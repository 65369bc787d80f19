/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RUNTIME_H
#define RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "deadline.h"
#include "sandbox.h"

struct buf;
struct proto_req;

/*
 * What every helper shares: requests arrive on stdin, records leave on
 * stdout, log lines become LOG records.  A helper is single-threaded (the
 * promql helper's resolver threads never log or write), so records are
 * written without locking.
 *
 * Errors.  Inside a helper, as in lib/, a function that can fail returns 0
 * or a negative ERR_* (lib/err.h), and one that ends a request also writes
 * the reason its END will carry.  A helper dies in one way only, through
 * hrt_die(), never through fatal_f(), exit() or _exit(): when a write to
 * the parent fails (it is gone or has given up on us), a request is
 * malformed, a record cannot be encoded, or a command must be abandoned
 * (command.h).  The parent then starts a fresh helper.  End of input is
 * the normal shutdown, and the one exit with status 0.  Not deaths: main()
 * refusing its command line (status 2) before anything else, and the
 * child of cmd_run() or cmd_set_start() giving up between fork and exec.
 */

/*
 * Logs the message at error level, as a LOG record once the log sink is
 * set (hrt_init()), and exits with status 1.  Best effort: a sandboxed
 * helper never writes stderr, so when the pipe to the parent is gone, as
 * when a write to it has just failed, nothing can be logged.
 */
void	hrt_die(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/* The helper's enum sandbox_mode (lib/flags.h), as hrt_init() got it. */
int	hrt_sandbox_mode(void);

/*
 * Adds argv[first..argc)'s "path:DIR" (read and run from) and "port:N"
 * (TCP connect) words to ll.  Returns 0, or -1 on another word.
 */
int	hrt_landlock_args(struct sbx_landlock *ll, int argc, char **argv,
	    int first);

/*
 * Names the helper in logs and confines it, with ll's Landlock rules
 * (sandbox.h); dies on failure.
 */
void	hrt_init(int helper, int sandbox_mode, const struct sbx_landlock *ll);

/*
 * Handles one request; it must end by sending END (hrt_end).  deadline is
 * the parent's, converted from the request's deadline_ms when it was read.
 */
typedef void hrt_request_fn(const struct proto_req *req,
    struct deadline deadline);

/*
 * The deadline of the helper's own commands: the parent's plus a second.
 * The parent acts first; this only backs it up should the parent stall.
 */
struct deadline	hrt_backstop(struct deadline deadline);

/*
 * Serves requests for ever: each one of a type listed in types (ending
 * with 0) goes to fn.  On end of input (the parent closed the pipe) the
 * helper exits 0; a malformed or unlisted request makes it die.
 */
void	hrt_serve(const uint8_t *types, hrt_request_fn *fn)
	    __attribute__((noreturn));

/*
 * The record buffer: append frames here, then call hrt_flush_maybe(),
 * which writes them out once a batch (32 KiB) is waiting, or hrt_flush(),
 * which writes them all now.  Both die if the write fails.
 */
struct buf	*hrt_out(void);
void		 hrt_flush_maybe(void);
void		 hrt_flush(void);

/*
 * Sends END and flushes; dies if END cannot be encoded.  reason may be
 * NULL or "".
 */
void	hrt_end(int status, uint32_t records, uint64_t start_us,
	    const char *reason);

/*
 * For quoting untrusted text in log messages: writes the first
 * MAX_LOG_MSG / 4 bytes of s[0..n) to out sanitized (utf8_sanitize()),
 * cut at a character boundary to fit outsz, and NUL-terminated.  out is
 * left empty if sanitizing fails, and untouched if outsz is 0.
 */
void	hrt_quote(char *out, size_t outsz, const char *s, size_t n);

#endif /* RUNTIME_H */
