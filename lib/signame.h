/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SIGNAME_H
#define SIGNAME_H

/*
 * Signal names for logs, as kill -l writes them ("HUP", "SYS").  glibc
 * has sigabbrev_np() for this only since 2.32, and RHEL 8 has 2.28.
 */

/*
 * The abbreviation of sig without "SIG" (static, never freed), the same
 * as glibc's sigabbrev_np(): SIGIO is "POLL", and the real-time signals,
 * 0 and anything out of range give NULL.
 */
const char	*signame(int sig);

#endif /* SIGNAME_H */
