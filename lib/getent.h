/* SPDX-License-Identifier: Apache-2.0 */
#ifndef GETENT_H
#define GETENT_H

#include <stddef.h>
#include <stdint.h>

/*
 * getent output, one entry per line without the newline:
 *	passwd	name:passwd:uid:gid:gecos:dir:shell	(exactly 7 fields)
 *	group	name:passwd:gid:members			(exactly 4 fields)
 * ids are canonical decimal below 4294967295; names are non-empty, at most
 * MAX_LABEL bytes, without NUL.  Strings point into the line.
 */
struct getent_passwd {
	const char	*name;
	size_t		 name_len;
	uint32_t	 uid;
	uint32_t	 gid;
};

struct getent_group {
	const char	*name;
	size_t		 name_len;
	uint32_t	 gid;
};

/* Return 0, or ERR_INVAL / ERR_TOOBIG with *why a static reason. */
int	getent_parse_passwd(const char *line, size_t n,
	    struct getent_passwd *pw, const char **why);
int	getent_parse_group(const char *line, size_t n,
	    struct getent_group *gr, const char **why);

#endif /* GETENT_H */
