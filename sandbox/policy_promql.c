/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rows of the promql helper beyond base and client: curl's threaded
 * resolver starts threads.  No execve and no new processes: this helper
 * parses the upstream's JSON, the most exposed input of all.
 */
#include <sched.h>

#include "policy.h"

static const struct sbx_rule rows[] = {
	/* Process */
	SBX_ALLOW_MASK(clone, 0, CLONE_THREAD | SBX_NS_FLAGS, CLONE_THREAD,
	    "threads only (curl's resolver), never namespaces"),
	/* I/O */
	SBX_ALLOW(eventfd2, "curl's multi interface wake-up"),
};

SBX_POLICY(sbx_policy_promql, rows);
