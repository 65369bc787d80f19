/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: any bytes as an upstream answer (`make fuzz`). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "err.h"
#include "json.h"
#include "utf8.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
touch_labels(const struct json_series *s, void *arg)
{
	volatile char c;

	/* Counted, for the comparison of whole and pieces. */
	(*(size_t *)arg)++;
	/*
	 * Labels must be NUL-terminated where the length says, and clean
	 * whatever bytes the answer had (json.h: bad UTF-8 and lone
	 * surrogates decode to U+FFFD, controls are sanitized).
	 */
	if (s->jobid != NULL) {
		c = s->jobid[s->jobid_len];
		if (!utf8_is_clean(s->jobid, s->jobid_len))
			__builtin_trap();
	}
	if (s->target != NULL) {
		c = s->target[s->target_len];
		if (!utf8_is_clean(s->target, s->target_len))
			__builtin_trap();
	}
	(void)c;
	return 0;
}

/*
 * The answer fed in pieces whose sizes come from its own bytes: a stream
 * must read it as it reads the whole (lib/json.h), same result, same
 * count of series, same reason.
 */
static int
parse_pieces(const uint8_t *data, size_t size, size_t *count,
    char *reason, size_t reasonsz)
{
	struct json_stream *js;
	size_t i, k;
	int r = 0;

	if ((js = json_stream_new(touch_labels, count)) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < size && r == 0; i += k) {
		k = 1 + data[i] % 7;
		if (k > size - i)
			k = size - i;
		r = json_stream_feed(js, (const char *)data + i, k);
	}
	if (r == 0)
		r = json_stream_end(js);
	k = utf8_cut(json_stream_reason(js), strlen(json_stream_reason(js)),
	    reasonsz - 1);
	memcpy(reason, json_stream_reason(js), k);
	reason[k] = '\0';
	json_stream_free(js);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char reason[256], again[256];
	size_t whole = 0, pieces = 0;
	int r;

	r = json_parse_vector((const char *)data, size, touch_labels, &whole,
	    reason, sizeof(reason));
	if (memchr(reason, '\0', sizeof(reason)) == NULL)
		__builtin_trap();
	if (parse_pieces(data, size, &pieces, again, sizeof(again)) != r ||
	    pieces != whole || strcmp(reason, again) != 0)
		__builtin_trap();
	return 0;
}
