/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PATHS_H
#define PATHS_H

#include <stddef.h>

/*
 * Where the exporter finds its helper binaries, decided at run time so
 * that no build directory is compiled into a binary (builds stay
 * reproducible whatever directory they ran in).
 *
 * The rule: the directory of the running binary (/proc/self/exe) is a
 * build tree when it holds PATHS_BUILD_MARKER, a regular file the
 * Makefile writes next to the exporter it links and `make install` never
 * copies.  Then the helpers are <that directory>/helpers, whether or not
 * they are there yet: an exporter from a build tree runs the helpers of
 * that build or fails naming them, never the installed ones, which may
 * speak another version of the protocol.  Otherwise (an installed binary,
 * or no /proc) they are PCE_LIBEXECDIR, fixed at build time.
 *
 * Return convention of this module: 0 or a negative ERR_* (lib/err.h).
 */

/* Written by the Makefile beside the exporter of every build tree. */
#define PATHS_BUILD_MARKER	".pce-build-tree"

/*
 * Writes the helper directory, without a trailing '/', to out (outsz
 * bytes, NUL-terminated).  Returns 0; ERR_TOOBIG if the path does not fit
 * in out or the binary's own path does not fit in PATH_MAX; ERR_SYSTEM
 * (errno set) if /proc/self/exe or the marker cannot be checked for
 * another reason than their absence.  On error out is the empty string
 * (when outsz > 0).  Call it before privileges are dropped: a build tree
 * may sit in a directory only root can search (/root is 0700).
 */
int	paths_helper_dir(char *out, size_t outsz);

#endif /* PATHS_H */
