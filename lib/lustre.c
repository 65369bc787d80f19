/* SPDX-License-Identifier: Apache-2.0 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lustre.h"
#include "decimal.h"
#include "err.h"

/* memrchr() is a GNU extension; this is all we need of it. */
static const char *
last_dot(const char *s, size_t n)
{
	while (n > 0) {
		n--;
		if (s[n] == '.')
			return s + n;
	}
	return NULL;
}

int
lustre_parse_jobid(const char *s, size_t n, struct lustre_jobid *out,
    const char **why)
{
	const char *reason = NULL, *dot, *u;
	size_t ulen;
	uint64_t v;
	int r, ret = ERR_INVAL;

	memset(out, 0, sizeof(*out));
	if (why != NULL)
		*why = NULL;
	if (s == NULL || n == 0) {
		reason = "empty jobid";
		goto out;
	}

	if ((dot = last_dot(s, n)) == NULL) {
		r = dec_parse(s, n, UINT64_MAX, &v);
		switch (r) {
		case DEC_OK:
			out->kind = LUSTRE_JOBID_JOB;
			out->jobid = v;
			ret = 0;
			break;
		case DEC_SIGN:
		case DEC_NOTDIGIT:
			/* Neither a job id nor procname.uid. */
			reason = "no dot before uid";
			break;
		default:
			reason = dec_reason(r, DEC_JOBID);
			break;
		}
		goto out;
	}

	/*
	 * procname.uid: the process name is chosen by whoever runs it and may
	 * hold dots, quotes or newlines, so only the text after the last dot
	 * is interpreted.
	 */
	u = dot + 1;
	ulen = n - (size_t)(u - s);
	if (dot == s) {
		reason = "empty process name";
		goto out;
	}
	if ((r = dec_parse(u, ulen, UINT32_MAX, &v)) != DEC_OK) {
		reason = dec_reason(r, DEC_UID);
		goto out;
	}
	/* (uid_t)-1 means "no uid" to the kernel; no process runs as it. */
	if (v == UINT32_MAX) {
		reason = "uid 4294967295 is reserved";
		goto out;
	}
	out->kind = LUSTRE_JOBID_PROC;
	out->uid = (uint32_t)v;
	out->proc = s;
	out->proc_len = (size_t)(dot - s);
	ret = 0;
 out:
	if (ret != 0 && why != NULL)
		*why = reason;
	return ret;
}

static int
is_xdigit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/*
 * The original matched ^.*-MDT[[:xdigit:]]{4}$ with Go's regexp, where "."
 * matches any byte except a newline and "$" is the end of the text.  The
 * same test by hand: the fixed suffix, and no newline in front of it.
 */
int
lustre_is_mdt_target(const char *s, size_t n)
{
	const char *sfx;
	size_t i;

	if (s == NULL || n < 8)
		return 0;
	sfx = s + n - 8;
	if (memcmp(sfx, "-MDT", 4) != 0)
		return 0;
	for (i = 4; i < 8; i++)
		if (!is_xdigit(sfx[i]))
			return 0;
	if (memchr(s, '\n', n - 8) != NULL)
		return 0;
	return 1;
}
