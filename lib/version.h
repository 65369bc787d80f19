/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VERSION_H
#define VERSION_H

/*
 * The build's identity, for --version and cluster_exporter_build_info:
 * the release, and the git revision and branch the tree was built from
 * ("unknown" in a tarball build), the date of its last change
 * (SOURCE_DATE_EPOCH, or the last commit's; never the clock, nor who
 * built it: builds stay reproducible), and the compiler.
 */

const char	*version_number(void);
const char	*version_revision(void);
const char	*version_branch(void);
const char	*version_date(void);
const char	*version_compiler(void);
/* "linux/amd64" and the like, as Go names platforms. */
const char	*version_platform(void);
/*
 * The libraries and their versions ("libmicrohttpd 0.9.75, GnuTLS ...").
 * lib/ links none of them: the exporter sets the text once, before any
 * thread starts, and it is "unknown" until then.  s is copied (cut at 255
 * bytes).
 */
void		 version_set_libraries(const char *s);
const char	*version_libraries(void);

#endif /* VERSION_H */
