/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: any bytes as an upstream answer (`make fuzz`). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "json.h"
#include "utf8.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
touch_labels(const struct json_series *s, void *arg)
{
	volatile char c;

	(void)arg;
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char reason[256];

	json_parse_vector((const char *)data, size, touch_labels, NULL, reason,
	    sizeof(reason));
	if (memchr(reason, '\0', sizeof(reason)) == NULL)
		__builtin_trap();
	return 0;
}
