/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"

#include "err.h"

#ifndef PCE_LIBEXECDIR
#error "PCE_LIBEXECDIR must be defined (the Makefile passes it)"
#endif

/*
 * out = the first len bytes of head, then tail.  0, or ERR_TOOBIG with
 * out empty: a truncated path would name another file.
 */
static int
put_path(char *out, size_t outsz, const char *head, size_t len,
    const char *tail)
{
	int n;

	n = snprintf(out, outsz, "%.*s%s", (int)len, head, tail);
	if (n < 0 || (size_t)n >= outsz) {
		if (outsz > 0)
			out[0] = '\0';
		return ERR_TOOBIG;
	}
	return 0;
}

/*
 * self = the running binary's path, *dirlen = the length of its directory
 * part.  0; ERR_NOTFOUND without /proc; ERR_TOOBIG; ERR_SYSTEM.
 */
static int
exe_dir(char *self, size_t selfsz, size_t *dirlen)
{
	const char *slash;
	ssize_t n;

	*dirlen = 0;
	if ((n = readlink("/proc/self/exe", self, selfsz)) == -1)
		return errno == ENOENT ? ERR_NOTFOUND : ERR_SYSTEM;
	/* readlink() does not terminate, and truncates silently. */
	if ((size_t)n >= selfsz)
		return ERR_TOOBIG;
	self[n] = '\0';
	/*
	 * Always absolute.  A binary replaced while it runs reads
	 * "/dir/name (deleted)": the suffix is in the last component, so the
	 * directory part is still right.
	 */
	if ((slash = strrchr(self, '/')) == NULL) {
		errno = EINVAL;
		return ERR_SYSTEM;
	}
	*dirlen = (size_t)(slash - self);
	return 0;
}

/*
 * *yes = whether the directory (the first dirlen bytes of dir) holds the
 * marker as a regular file.  Only its absence means no: any other failure
 * (EACCES, ELOOP...) would make either answer a guess, and a build tree's
 * exporter must not fall back to installed helpers of another version.
 */
static int
has_marker(const char *dir, size_t dirlen, int *yes)
{
	char marker[PATH_MAX];
	struct stat st;
	int r;

	*yes = 0;
	if ((r = put_path(marker, sizeof(marker), dir, dirlen,
	    "/" PATHS_BUILD_MARKER)) != 0)
		return r;
	if (stat(marker, &st) == -1)
		return errno == ENOENT || errno == ENOTDIR ? 0 : ERR_SYSTEM;
	*yes = S_ISREG(st.st_mode);
	return 0;
}

int
paths_helper_dir(char *out, size_t outsz)
{
	char self[PATH_MAX];
	size_t dirlen;
	int ret = -1, build = 0;

	if (outsz > 0)
		out[0] = '\0';
	if ((ret = exe_dir(self, sizeof(self), &dirlen)) == 0)
		ret = has_marker(self, dirlen, &build);
	else if (ret == ERR_NOTFOUND)
		ret = 0;	/* no /proc: nothing tells a build tree */
	if (ret != 0)
		goto out;
	if (build)
		ret = put_path(out, outsz, self, dirlen, "/helpers");
	else
		ret = put_path(out, outsz, PCE_LIBEXECDIR,
		    strlen(PCE_LIBEXECDIR), "");
 out:
	return ret;
}
