/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rows of the helpers that run a command (slurm: squeue; accounts:
 * getent).  The filter survives execve, so these rows also bind the
 * command and any site wrapper in front of it: a wrapper may fork, exec,
 * wait and use pipes; it may not ptrace, mount, create namespaces, load
 * modules or BPF, touch keyrings, or signal processes (none is listed).
 */
#include <errno.h>
#include <sched.h>

#include "policy.h"

static const struct sbx_rule rows[] = {
	/* Process */
	SBX_ALLOW_MASK(clone, 0, SBX_NS_FLAGS, 0, "fork of the command and of "
	    "a wrapper's children; never with namespace flags"),
	SBX_ALLOW(execve, "what a wrapper runs"),
	SBX_ALLOW(execveat, "the command itself, from the descriptor that "
	    "was checked (fexecve)"),
	SBX_ALLOW(getpgrp, "shells read their process group"),
	SBX_ALLOW(rt_sigsuspend, "dash waits for its children with it"),
	SBX_ALLOW(setpgid, "shells set process groups of pipelines"),
	SBX_ALLOW(sigaltstack, "coreutils install a stack-overflow handler"),
	SBX_ALLOW(umask, "shells read the umask"),
	SBX_ALLOW(vfork, "posix_spawn and shells start commands"),
	SBX_ALLOW(wait4, "reaping the command"),
	SBX_ALLOW(waitid, "reaping the command"),

	/* I/O */
	SBX_ALLOW(chdir, "shell wrappers may cd"),
	SBX_ALLOW(fadvise64, "cat and other tools hint sequential reads"),
	SBX_ALLOW(pipe, "older shells create pipes with it"),
};

SBX_POLICY(sbx_policy_command, rows);
