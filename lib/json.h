/* SPDX-License-Identifier: Apache-2.0 */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>

/*
 * Reader for Prometheus instant-query answers (/api/v1/query):
 *
 *   {"status":"success","data":{"resultType":"vector","result":[
 *	{"metric":{"jobid":"...","target":"..."},"value":[<time>,"<value>"]},
 *	...]}}
 *
 * jsmn (JSMN_STRICT, JSMN_PARENT_LINKS) only tokenizes; this module checks
 * what jsmn does not: primitives (true, false, null, numbers by the JSON
 * grammar), string escapes (\" \\ \/ \b \f \n \r \t \uXXXX with surrogate
 * pairs), and that no string holds a raw control character.  Bad text in
 * a well-formed string is not an error: in every string, keys and values
 * alike, each raw byte that is not part of valid UTF-8 decodes to U+FFFD,
 * one per byte as utf8_sanitize() does, and so does every \u escape of a
 * lone surrogate (a high one not followed by a \u escape of a low one, or
 * a low one alone).  Jobids that differ only in the values of such bytes
 * thus arrive as one label value, the same as a jobid that has U+FFFD
 * there.  A jobid or target longer than MAX_LABEL bytes after decoding and
 * sanitizing does not fail the answer either: that series comes with
 * label_too_long set.  Elements before a failing one have been passed to
 * the callback already.
 */

enum json_value_status {
	JSON_VALUE_OK = 0,		/* finite number */
	JSON_VALUE_NONFINITE = 1,	/* "NaN", "+Inf", "-Inf" (value set) */
	JSON_VALUE_BAD = 2,		/* not a number, or value missing */
};

/*
 * One element of data.result.  jobid and target are the decoded label
 * values passed through utf8_sanitize(), NUL-terminated, or NULL when the
 * label is absent; they are valid only during the callback.  For a label
 * given twice the last one counts.
 */
struct json_series {
	const char	*jobid;
	size_t		 jobid_len;
	const char	*target;
	size_t		 target_len;
	double		 value;
	int		 value_status;	/* enum json_value_status */
	int		 label_too_long; /* jobid or target above MAX_LABEL
					   bytes: left NULL; skip it */
};

/* Called once per element; a non-zero return stops parsing and is returned. */
typedef int json_series_fn(const struct json_series *s, void *arg);

/*
 * Parses body[0..len).  Returns 0 after calling fn for every element, or:
 *	ERR_JSON_INVAL	syntax, bad escape (\x, or \u without 4 hex
 *			digits), bad primitive, or a raw control character
 *			(below 0x20) in any string
 *	ERR_JSON_PART	truncated
 *	ERR_JSON_NOMEM	more than MAX_JSON_TOKENS tokens
 *	ERR_TOOBIG	len > MAX_JSON_BODY, or nesting deeper than 32 levels
 *			(jsmn's cost grows with the square of the depth)
 *	ERR_JSON_SCHEMA	status is not "success"; data.result missing or not
 *			an array; resultType given and not "vector"; an
 *			element not an object with a "metric" object
 *	ERR_UPSTREAM	status "error"
 *	ERR_NOMEM, or the callback's return value.
 * Unless reason is NULL, reason receives a short NUL-terminated
 * explanation on failure (for ERR_UPSTREAM: the upstream's errorType and
 * error, sanitized and truncated), else "".
 */
int	json_parse_vector(const char *body, size_t len, json_series_fn *fn,
	    void *arg, char *reason, size_t reasonsz);

#endif /* JSON_H */
