/* SPDX-License-Identifier: Apache-2.0 */
#ifndef ERR_H
#define ERR_H

/*
 * Error codes of lib/.  Every lib function returns 0 on success or one of
 * these negative values; err_str() gives a short, fixed text for logs.
 */
enum {
	ERR_OK = 0,
	ERR_NOMEM = -1,		/* allocation failed */
	ERR_TOOBIG = -2,	/* input or output exceeds a cap in caps.h */
	ERR_INVAL = -3,		/* malformed input */
	ERR_TRUNCATED = -4,	/* input ends before it is complete */
	ERR_RANGE = -5,		/* number out of the accepted range */
	ERR_UTF8 = -6,		/* invalid UTF-8 where it is not accepted */
	ERR_NUL = -7,		/* embedded NUL byte */
	ERR_TYPE = -8,		/* unknown or unexpected record type */
	ERR_TRAILING = -9,	/* bytes left after a complete item */
	ERR_JSON_NOMEM = -10,	/* no longer returned; kept for its number */
	ERR_JSON_INVAL = -11,	/* JSON syntax error */
	ERR_JSON_PART = -12,	/* JSON document is truncated */
	ERR_JSON_SCHEMA = -13,	/* valid JSON, not a Prometheus vector answer */
	ERR_UPSTREAM = -14,	/* upstream answered with status "error" */
	ERR_SYSTEM = -15,	/* a system call failed; see errno */
	ERR_EOF = -16,		/* peer closed the stream */
	ERR_TIMEOUT = -17,	/* deadline passed */
	ERR_NOTFOUND = -18,	/* key not present */
	ERR_USAGE = -19,	/* bad command line */
	ERR_OVERFLOW = -20,	/* a byte budget is used up */
	ERR_UNSAFE = -21,	/* a file others could change: not used */
};

/* Returns a static, NUL-terminated description of code; never NULL. */
const char	*err_str(int code);

#endif /* ERR_H */
