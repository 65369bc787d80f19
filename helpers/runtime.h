/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RUNTIME_H
#define RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "deadline.h"

struct buf;
struct proto_req;

/*
 * What every helper shares: requests arrive on stdin, records leave on
 * stdout, log lines become LOG records.  A helper is single-threaded (the
 * promql helper's resolver threads never log or write), so records are
 * written without locking.  Any write failure means the parent is gone or
 * has given up on us: the helper exits.
 */

/* Names the helper in logs and confines it; exits on failure. */
void	hrt_init(int helper, int sandbox_mode);

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
 * helper exits 0; a malformed or unlisted request ends it with status 1.
 */
void	hrt_serve(const uint8_t *types, hrt_request_fn *fn)
	    __attribute__((noreturn));

/* The record buffer: append frames here, then call hrt_flush_maybe(). */
struct buf	*hrt_out(void);
void		 hrt_flush_maybe(void);
void		 hrt_flush(void);

/* Sends END (and flushes).  reason may be NULL or "". */
void	hrt_end(int status, uint32_t records, uint64_t start_us,
	    const char *reason);

/*
 * Writes s[0..n) to out sanitized (UTF-8, controls), cut at a character
 * boundary to fit outsz, for quoting untrusted text in log messages.
 * Always NUL-terminates.
 */
void	hrt_quote(char *out, size_t outsz, const char *s, size_t n);

#endif /* RUNTIME_H */
