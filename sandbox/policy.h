/* SPDX-License-Identifier: Apache-2.0 */
#ifndef POLICY_H
#define POLICY_H

#include <stddef.h>
#include <stdint.h>

#include <sched.h>
#include <seccomp.h>

/*
 * Seccomp policy tables.  A row allows a syscall (optionally only for
 * given argument values) or answers it with an errno; every row carries the
 * reason it is there.  Anything not listed kills the process (or is logged,
 * with -sandbox=log).  Policy files only declare tables; sandbox.c alone
 * talks to libseccomp.
 */

struct sbx_arg {
	unsigned int	 argno;
	int		 op;		/* enum scmp_compare; 0: none */
	uint64_t	 a;		/* value; SCMP_CMP_MASKED_EQ: mask */
	uint64_t	 b;		/* value for SCMP_CMP_MASKED_EQ */
};

struct sbx_rule {
	int		 nr;		/* SCMP_SYS(name) */
	const char	*name;
	int		 errnum;	/* 0: allow; else fail with it */
	struct sbx_arg	 arg[2];	/* on two different arguments */
	const char	*reason;
};

struct sbx_policy {
	const char		*name;
	const struct sbx_rule	*rules;
	size_t			 nrules;
	int			 deny_list;	/* 1: what is not listed is
						 * allowed (the spawner's) */
};

/* sbx_rule.errnum of a row that kills (or logs, -sandbox=log). */
#define SBX_KILL	(-1)

#define SBX_NOARG	{ 0, 0, 0, 0 }

/* clone flags that would create namespaces: never allowed. */
#define SBX_NS_FLAGS							\
	(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |	\
	 CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP)

#define SBX_ALLOW(sys, why)						\
	{ SCMP_SYS(sys), #sys, 0, { SBX_NOARG, SBX_NOARG }, why }
#define SBX_ALLOW_EQ(sys, n, v, why)					\
	{ SCMP_SYS(sys), #sys, 0,					\
	  { { n, SCMP_CMP_EQ, v, 0 }, SBX_NOARG }, why }
#define SBX_ALLOW_MASK(sys, n, mask, v, why)				\
	{ SCMP_SYS(sys), #sys, 0,					\
	  { { n, SCMP_CMP_MASKED_EQ, mask, v }, SBX_NOARG }, why }
#define SBX_ALLOW_EQ_MASK(sys, n1, v1, n2, mask, v2, why)		\
	{ SCMP_SYS(sys), #sys, 0,					\
	  { { n1, SCMP_CMP_EQ, v1, 0 },					\
	    { n2, SCMP_CMP_MASKED_EQ, mask, v2 } }, why }
#define SBX_DENY_EQ(sys, e, n, v, why)					\
	{ SCMP_SYS(sys), #sys, e,					\
	  { { n, SCMP_CMP_EQ, v, 0 }, SBX_NOARG }, why }
#define SBX_DENY(sys, e, why)						\
	{ SCMP_SYS(sys), #sys, e, { SBX_NOARG, SBX_NOARG }, why }
#define SBX_DENY_MASK(sys, e, n, mask, v, why)				\
	{ SCMP_SYS(sys), #sys, e,					\
	  { { n, SCMP_CMP_MASKED_EQ, mask, v }, SBX_NOARG }, why }

#define SBX_KILL_ROW(sys, why)						\
	{ SCMP_SYS(sys), #sys, SBX_KILL, { SBX_NOARG, SBX_NOARG }, why }

/*
 * Syscalls newer than Linux 4.18 go by number, not by SCMP_SYS().  That
 * gives the number of the build's kernel headers, and where they lack
 * the syscall (RHEL 8's are 4.18) a pseudo number that libseccomp
 * 2.5.2 drops without a word: a kill row of the spawner's deny-list
 * would then allow what it is there to stop, as soon as the exporter
 * runs on a newer kernel than it was built for (a RHEL 8 build in a
 * container on a RHEL 9 host).  And libseccomp has no name at all for
 * openat2, pidfd_getfd and mount_setattr before 2.5.3 (RHEL 8 and 9 have
 * 2.5.2), so SCMP_SYS() of them does not compile there.  Since Linux 5.1
 * new syscalls have one number on every architecture RHEL and Debian
 * build this for; libseccomp passes a number it does not know through to
 * the filter of the native architecture, the only one ours have.
 * sandbox.c checks each number below against the headers that have it.
 * The spawner calls two of them (cmd/spawner.c: glibc has no wrapper,
 * and RHEL 8's <sys/syscall.h> no SYS_ name for them either).
 */
/* x32 adds 0x40000000 to every number. */
#if defined(__alpha__) || defined(__ia64__) || defined(__mips__) || \
    (defined(__x86_64__) && defined(__ILP32__))
#error "the numbers of syscalls newer than Linux 5.0 differ here"
#endif
#define SBX_NR_pidfd_send_signal	424
#define SBX_NR_io_uring_setup		425
#define SBX_NR_io_uring_enter		426
#define SBX_NR_io_uring_register	427
#define SBX_NR_open_tree		428
#define SBX_NR_move_mount		429
#define SBX_NR_fsopen			430
#define SBX_NR_fsconfig			431
#define SBX_NR_fsmount			432
#define SBX_NR_fspick			433
#define SBX_NR_pidfd_open		434
#define SBX_NR_clone3			435
#define SBX_NR_close_range		436
#define SBX_NR_openat2			437
#define SBX_NR_pidfd_getfd		438
#define SBX_NR_faccessat2		439
#define SBX_NR_mount_setattr		442
#define SBX_NR_memfd_secret		447

/* SBX_ALLOW, SBX_DENY and SBX_KILL_ROW of the syscalls above. */
#define SBX_ALLOW_NEW(sys, why)						\
	{ SBX_NR_##sys, #sys, 0, { SBX_NOARG, SBX_NOARG }, why }
#define SBX_DENY_NEW(sys, e, why)					\
	{ SBX_NR_##sys, #sys, e, { SBX_NOARG, SBX_NOARG }, why }
#define SBX_KILL_NEW(sys, why)						\
	{ SBX_NR_##sys, #sys, SBX_KILL, { SBX_NOARG, SBX_NOARG }, why }

#define SBX_POLICY(id, rows)						\
	const struct sbx_policy id = { #id, rows,			\
	    sizeof(rows) / sizeof(rows[0]), 0 }
#define SBX_POLICY_DENY(id, rows)					\
	const struct sbx_policy id = { #id, rows,			\
	    sizeof(rows) / sizeof(rows[0]), 1 }

/*
 * The tables.  A process's filter is the union of its tables:
 *	slurm, accounts	base + command + client + unix
 *	promql		base + client + promql, and unix or nounix
 *	parent		base + parent
 *	spawner		spawner, a deny-list its children inherit
 */
extern const struct sbx_policy sbx_policy_base;
extern const struct sbx_policy sbx_policy_command;
extern const struct sbx_policy sbx_policy_client;
extern const struct sbx_policy sbx_policy_unix;
extern const struct sbx_policy sbx_policy_nounix;
extern const struct sbx_policy sbx_policy_promql;
extern const struct sbx_policy sbx_policy_parent;
extern const struct sbx_policy sbx_policy_spawner;

#endif /* POLICY_H */
