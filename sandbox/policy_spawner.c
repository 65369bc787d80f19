/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The spawner's filter: a deny-list, not an allow-list.  Every filter is
 * inherited: an allow-list here would bound each helper and each squeue
 * and getent to the spawner's own few syscalls.  What it forbids no
 * process of the exporter needs, so the helpers and their commands carry
 * it harmlessly, under their own allow-lists.  Everything else is
 * allowed; a listed call kills the process (or is logged, -sandbox=log).
 */
#include <errno.h>
#include <sched.h>

#include "policy.h"

/* A clone that sets namespace flag f. */
#define SBX_KILL_CLONE_NS(f, why)					\
	{ SCMP_SYS(clone), "clone", SBX_KILL,				\
	  { { 0, SCMP_CMP_MASKED_EQ, f, f }, SBX_NOARG }, why }

static const struct sbx_rule rows[] = {
	/* Other processes' memory and tracing. */
	SBX_KILL_ROW(ptrace, "tracing another process of ours"),
	SBX_KILL_ROW(process_vm_readv, "reading another process's memory"),
	SBX_KILL_ROW(process_vm_writev, "writing another process's memory"),
	SBX_KILL_ROW(kcmp, "comparing other processes' resources"),
	SBX_KILL_NEW(pidfd_getfd, "taking another process's descriptors"),
	/* Kernel interfaces with a history of exploits. */
	SBX_KILL_ROW(bpf, "loading kernel programs"),
	SBX_KILL_ROW(perf_event_open, "kernel profiling"),
	SBX_KILL_ROW(userfaultfd, "stalling the kernel on a page fault"),
	SBX_KILL_NEW(io_uring_setup, "syscalls no filter sees"),
	SBX_KILL_NEW(io_uring_enter, "syscalls no filter sees"),
	SBX_KILL_NEW(io_uring_register, "syscalls no filter sees"),
	SBX_KILL_ROW(keyctl, "the kernel keyring"),
	SBX_KILL_ROW(add_key, "the kernel keyring"),
	SBX_KILL_ROW(request_key, "the kernel keyring"),
	/* Code from nowhere: anonymous executable files. */
	SBX_KILL_ROW(memfd_create, "an executable file without a path"),
	SBX_KILL_NEW(memfd_secret, "memory the kernel hides"),
	/* Namespaces and mounts: a world of one's own. */
	SBX_KILL_ROW(unshare, "new namespaces"),
	SBX_KILL_ROW(setns, "joining namespaces"),
	SBX_KILL_CLONE_NS(CLONE_NEWNS, "a mount namespace"),
	SBX_KILL_CLONE_NS(CLONE_NEWUTS, "a UTS namespace"),
	SBX_KILL_CLONE_NS(CLONE_NEWIPC, "an IPC namespace"),
	SBX_KILL_CLONE_NS(CLONE_NEWUSER, "a user namespace"),
	SBX_KILL_CLONE_NS(CLONE_NEWPID, "a PID namespace"),
	SBX_KILL_CLONE_NS(CLONE_NEWNET, "a network namespace"),
	SBX_KILL_CLONE_NS(CLONE_NEWCGROUP, "a cgroup namespace"),
	SBX_DENY_NEW(clone3, ENOSYS, "flags live in a struct no filter can "
	    "read; glibc falls back to clone, which is checked"),
	SBX_KILL_ROW(mount, "mounting"),
	SBX_KILL_ROW(umount2, "unmounting"),
	SBX_KILL_ROW(pivot_root, "changing the root"),
	SBX_KILL_ROW(chroot, "changing the root"),
	SBX_KILL_NEW(open_tree, "the new mount API"),
	SBX_KILL_NEW(move_mount, "the new mount API"),
	SBX_KILL_NEW(fsopen, "the new mount API"),
	SBX_KILL_NEW(fsconfig, "the new mount API"),
	SBX_KILL_NEW(fsmount, "the new mount API"),
	SBX_KILL_NEW(fspick, "the new mount API"),
	SBX_KILL_NEW(mount_setattr, "the new mount API"),
	/* The machine itself. */
	SBX_KILL_ROW(kexec_load, "another kernel"),
	SBX_KILL_ROW(kexec_file_load, "another kernel"),
	SBX_KILL_ROW(init_module, "kernel modules"),
	SBX_KILL_ROW(finit_module, "kernel modules"),
	SBX_KILL_ROW(delete_module, "kernel modules"),
	SBX_KILL_ROW(reboot, "rebooting"),
	SBX_KILL_ROW(swapon, "swap"),
	SBX_KILL_ROW(swapoff, "swap"),
	SBX_KILL_ROW(acct, "process accounting"),
	SBX_KILL_ROW(open_by_handle_at, "opening files by handle, past "
	    "directory permissions"),
};

SBX_POLICY_DENY(sbx_policy_spawner, rows);
