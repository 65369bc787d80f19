/* SPDX-License-Identifier: Apache-2.0 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "getent.h"
#include "decimal.h"
#include "err.h"
#include "caps.h"

#define PASSWD_NFIELDS	7
#define GROUP_NFIELDS	4

/*
 * Parses a uid or gid (what is DEC_UID or DEC_GID).  Returns 0, or
 * ERR_INVAL with *reason set and *id 0.
 */
static int
id_parse(const char *s, size_t n, int what, uint32_t *id,
    const char **reason)
{
	uint64_t v;
	int r;

	*id = 0;
	if ((r = dec_parse(s, n, UINT32_MAX, &v)) != DEC_OK) {
		*reason = dec_reason(r, what);
		return ERR_INVAL;
	}
	/* (uid_t)-1 and (gid_t)-1 mean "unchanged" to the kernel. */
	if (v == UINT32_MAX) {
		*reason = what == DEC_UID ? "uid 4294967295 is reserved" :
		    "gid 4294967295 is reserved";
		return ERR_INVAL;
	}
	*id = (uint32_t)v;
	return 0;
}

/*
 * Splits line[0..n) at ':' into exactly want fields.  Checks what every
 * entry shares: no NUL, no CR, the field count, and a usable name in the
 * first field.  Returns 0, or ERR_INVAL / ERR_TOOBIG with *reason set.
 */
static int
split_entry(const char *line, size_t n, size_t want, const char **f,
    size_t *flen, const char **reason)
{
	const char *p, *end, *d;
	size_t nf;

	if (line == NULL || n == 0) {
		*reason = "empty line";
		return ERR_INVAL;
	}
	if (memchr(line, '\0', n) != NULL) {
		*reason = "NUL byte in line";
		return ERR_INVAL;
	}
	/* getent never prints CRLF: a stray CR means the stream is not its. */
	if (line[n - 1] == '\r') {
		*reason = "carriage return at end of line";
		return ERR_INVAL;
	}
	end = line + n;
	p = line;
	for (nf = 0;; nf++) {
		if (nf == want) {
			*reason = "too many fields";
			return ERR_INVAL;
		}
		d = memchr(p, ':', (size_t)(end - p));
		f[nf] = p;
		flen[nf] = (size_t)((d != NULL ? d : end) - p);
		if (d == NULL)
			break;
		p = d + 1;
	}
	if (nf + 1 < want) {
		*reason = "too few fields";
		return ERR_INVAL;
	}
	if (flen[0] == 0) {
		*reason = "empty name";
		return ERR_INVAL;
	}
	if (flen[0] > MAX_LABEL) {
		*reason = "name longer than MAX_LABEL bytes";
		return ERR_TOOBIG;
	}
	return 0;
}

int
getent_parse_passwd(const char *line, size_t n, struct getent_passwd *pw,
    const char **why)
{
	const char *reason = NULL, *f[PASSWD_NFIELDS];
	size_t flen[PASSWD_NFIELDS];
	uint32_t uid, gid;
	int ret;

	memset(pw, 0, sizeof(*pw));
	if (why != NULL)
		*why = NULL;
	if ((ret = split_entry(line, n, PASSWD_NFIELDS, f, flen,
	    &reason)) != 0 ||
	    (ret = id_parse(f[2], flen[2], DEC_UID, &uid, &reason)) != 0 ||
	    (ret = id_parse(f[3], flen[3], DEC_GID, &gid, &reason)) != 0)
		goto out;
	pw->name = f[0];
	pw->name_len = flen[0];
	pw->uid = uid;
	pw->gid = gid;
 out:
	if (ret != 0 && why != NULL)
		*why = reason;
	return ret;
}

int
getent_parse_group(const char *line, size_t n, struct getent_group *gr,
    const char **why)
{
	const char *reason = NULL, *f[GROUP_NFIELDS];
	size_t flen[GROUP_NFIELDS];
	uint32_t gid;
	int ret;

	memset(gr, 0, sizeof(*gr));
	if (why != NULL)
		*why = NULL;
	/* The member list (field 4) may be empty and is not needed. */
	if ((ret = split_entry(line, n, GROUP_NFIELDS, f, flen,
	    &reason)) != 0 ||
	    (ret = id_parse(f[2], flen[2], DEC_GID, &gid, &reason)) != 0)
		goto out;
	gr->name = f[0];
	gr->name_len = flen[0];
	gr->gid = gid;
 out:
	if (ret != 0 && why != NULL)
		*why = reason;
	return ret;
}
