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

#endif /* VERSION_H */
