/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Capabilities: none kept, whoever starts the exporter.  A user holding
 * ambient capabilities (setpriv --ambient-caps, a unit's
 * AmbientCapabilities=) would otherwise pass them to every process and
 * command: with CAP_DAC_READ_SEARCH a "read-only" open reads any file.
 * Plain syscalls, no libcap: capset(2) with the three sets zeroed, and
 * the prctl(2) calls for the ambient and bounding sets.
 */
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <linux/capability.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sandbox.h"

/* The process's effective, permitted and inheritable sets. */
static int
caps_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h;

	memset(&h, 0, sizeof(h));
	h.version = _LINUX_CAPABILITY_VERSION_3;
	memset(d, 0, 2 * sizeof(*d));
	return (int)syscall(SYS_capget, &h, d);
}

int
sbx_drop_bounding(char *err, size_t errsz)
{
	int c;

	/* PR_CAPBSET_READ fails past the kernel's last capability. */
	for (c = 0; prctl(PR_CAPBSET_READ, c, 0, 0, 0) >= 0; c++)
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) == -1) {
			snprintf(err, errsz, "dropping capability %d from the "
			    "bounding set: %s", c, strerror(errno));
			return -1;
		}
	return 0;
}

int
sbx_drop_capabilities(char *err, size_t errsz)
{
	struct __user_cap_header_struct h;
	struct __user_cap_data_struct d[2];

	/* Ambient first: it cannot outlive the inheritable set anyway. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 &&
	    errno != EINVAL) {
		snprintf(err, errsz, "clearing the ambient capabilities: %s",
		    strerror(errno));
		return -1;
	}
	/*
	 * Nothing held (the packaged unit's case): no capset(2), which its
	 * SystemCallFilter= refuses with the rest of @privileged.
	 */
	if (!sbx_has_capabilities())
		return 0;
	memset(&h, 0, sizeof(h));
	h.version = _LINUX_CAPABILITY_VERSION_3;
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capset, &h, d) == -1) {
		snprintf(err, errsz, "clearing the capabilities: %s",
		    strerror(errno));
		return -1;
	}
	if (sbx_has_capabilities()) {
		snprintf(err, errsz, "capabilities remain after clearing them");
		return -1;
	}
	return 0;
}

int
sbx_has_capabilities(void)
{
	struct __user_cap_data_struct d[2];
	int c, i;

	if (caps_get(d) == -1)
		return 1;
	for (i = 0; i < 2; i++)
		if (d[i].effective != 0 || d[i].permitted != 0 ||
		    d[i].inheritable != 0)
			return 1;
	for (c = 0; prctl(PR_CAPBSET_READ, c, 0, 0, 0) >= 0; c++)
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0) > 0)
			return 1;
	return 0;
}
