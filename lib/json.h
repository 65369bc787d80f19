/* SPDX-License-Identifier: Apache-2.0 */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>

/*
 * Reader for Prometheus instant-query answers (/api/v1/query), fed as the
 * bytes arrive:
 *
 *   {"status":"success","data":{"resultType":"vector","result":[
 *	{"metric":{"jobid":"...","target":"..."},"value":[<time>,"<value>"]},
 *	...]}}
 *
 * The reader walks the answer's object, data and data.result itself and
 * hands each other value whole (an element of data.result, or a member
 * such as status or warnings) to jsmn (JSMN_STRICT, JSMN_PARENT_LINKS),
 * which only tokenizes it; so memory follows the largest single value
 * (at most JSON_MAX_VALUE bytes), never the answer, and each element is
 * passed to the callback as soon as it is complete.  This module checks
 * what jsmn does not: the grammar between tokens, primitives (true,
 * false, null, numbers by the JSON grammar), string escapes (\" \\ \/ \b
 * \f \n \r \t \uXXXX with surrogate pairs), and that no string holds a
 * raw control character.  Bad text in a well-formed string is not an
 * error: in every string, keys and values alike, each raw byte that is
 * not part of valid UTF-8 decodes to U+FFFD, one per byte as
 * utf8_sanitize() does, and so does every \u escape of a lone surrogate
 * (a high one not followed by a \u escape of a low one, or a low one
 * alone).  Jobids that differ only in the values of such bytes thus arrive
 * as one label value, the same as a jobid that has U+FFFD there.  A jobid
 * or target longer than MAX_LABEL bytes after decoding and sanitizing does
 * not fail the answer either: that series comes with label_too_long set.
 *
 * Members may come in any order, and for a repeated key the last one
 * counts, except data and data.result: their elements are passed on as
 * they arrive, so a second one is refused.  Elements before a failure
 * (a bad element, bad JSON further on, or a status other than "success"
 * after them) have been passed to the callback already: a caller keeps
 * them only when the answer ends well.
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

struct json_stream;

/* A reader that calls fn(series, arg) per element; NULL on ERR_NOMEM. */
struct json_stream	*json_stream_new(json_series_fn *fn, void *arg);
void			 json_stream_free(struct json_stream *s);

/*
 * Reads the next n bytes of the answer.  Returns 0, or the failure, which
 * every later call returns too:
 *	ERR_JSON_INVAL	syntax, bad escape (\x, or \u without 4 hex
 *			digits), bad primitive, a NUL byte, or a raw control
 *			character (below 0x20) in any string
 *	ERR_TOOBIG	one value (an element, or a member other than data
 *			and data.result) or key longer than JSON_MAX_VALUE
 *			bytes, or nesting deeper than 32 levels (jsmn's cost
 *			grows with the square of the depth)
 *	ERR_JSON_SCHEMA	an element not an object with a "metric" object of
 *			strings, or a bad "value"; data or data.result given
 *			twice; data.result given after a resultType other
 *			than "vector"
 *	ERR_NOMEM, or the callback's return value.
 */
int	json_stream_feed(struct json_stream *s, const char *p, size_t n);

/*
 * The answer has ended: returns 0, the failure json_stream_feed() returned,
 * or:
 *	ERR_JSON_PART	empty or truncated
 *	ERR_JSON_SCHEMA	not an object; status missing or neither "success"
 *			nor "error"; data missing or not an object;
 *			data.result missing or not an array; resultType
 *			given and not "vector"
 *	ERR_UPSTREAM	status "error"
 */
int	json_stream_end(struct json_stream *s);

/*
 * Why the stream failed, a short NUL-terminated text ("" while it has
 * not); for ERR_UPSTREAM, the upstream's errorType and error, sanitized
 * and cut.  Valid until the next call on s.
 */
const char	*json_stream_reason(const struct json_stream *s);

/*
 * A whole answer body[0..len) at once: json_stream_new(), _feed(), _end().
 * Unless reason is NULL, reason receives the stream's reason, cut at a
 * character boundary to fit reasonsz, or "" on success.
 */
int	json_parse_vector(const char *body, size_t len, json_series_fn *fn,
	    void *arg, char *reason, size_t reasonsz);

#endif /* JSON_H */
