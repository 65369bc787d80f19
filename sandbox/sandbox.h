/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SANDBOX_H
#define SANDBOX_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "source.h"

/*
 * Process confinement.  Every helper calls sbx_helper_enter() at start-up,
 * before it reads its first input byte; the order inside mirrors OpenSSH's
 * ssh_sandbox_child: close stray fds, rlimits, no_new_privs and
 * non-dumpable, then the helper's filter.
 */

/*
 * Policy indexes: a helper's is its enum source_helper (lib/source.h); the
 * parent's comes after them.
 */
#define SBX_PARENT	HELPER_COUNT
#define SBX_SPAWNER	(HELPER_COUNT + 1)

struct sbx_landlock;

struct sbx_policy;

/* "enforce", "log", "off" -> enum sandbox_mode, or -1. */
int		 sbx_mode_parse(const char *s);
const char	*sbx_mode_name(int mode);

/*
 * Confines the calling helper, in the order of OpenSSH's sandbox child:
 * close stray descriptors, rlimits (no core, no file writes, bounded
 * descriptors and, unless mode is off, address space), refuse root,
 * non-dumpable, no_new_privs, Landlock (ll, with -sandbox=enforce; NULL:
 * none), then the helper's seccomp filter.  mode is enum sandbox_mode
 * (lib/flags.h).  Returns 0, or -1 with a reason in err.
 */
int	sbx_helper_enter(int helper, int mode, const struct sbx_landlock *ll,
	    char *err, size_t errsz);

/*
 * Confines the parent once it is initialised and before its HTTP threads
 * start (they inherit the filter): core and descriptor limits,
 * no_new_privs, non-dumpable, the parent's filter.  Returns 0 or -1.
 */
int	sbx_parent_enter(int mode, unsigned int max_connections,
	    const struct sbx_landlock *ll, char *err, size_t errsz);

/*
 * Whether the promql helper's filter lets it create unix sockets: only
 * where its name resolution goes through a daemon (nscd, sssd,
 * systemd-resolved), or without -sandbox=enforce.  Call before
 * sbx_helper_enter().
 */
void	sbx_promql_unix(int ok);

/*
 * Confines the spawner with its deny-list (sandbox/policy_spawner.c),
 * which every helper and command inherits.  Returns 0 or -1.
 */
int	sbx_spawner_enter(int mode, char *err, size_t errsz);

/*
 * The NULL-terminated list of tables of a process (SBX_HELPER_* or
 * SBX_PARENT), and its filter built but not loaded (seccomp_release() it);
 * for tests and `make policy-dump`.
 */
const struct sbx_policy *const	*sbx_tables(int who);
void	*sbx_build(int who, int mode, char *err, size_t errsz);

/*
 * Started as root: empty the bounding set, switch to user (clearing
 * supplementary groups) and verify that root cannot be regained.  Then,
 * root or not, empty every capability set (sbx_drop_capabilities()).
 * Returns 0 or -1 with a reason in err.
 */
int	sbx_drop_privileges(const char *user, char *err, size_t errsz);

/*
 * Landlock (sandbox/landlock.c): what a process may still open after
 * confinement, and where it may connect.  Paths are read-only (files and
 * directories beneath them), exec also executable; a path that does not
 * exist is left out.  With net set, TCP connect() goes only to ports and
 * bind() nowhere (Landlock ABI 4).  Abstract unix sockets and signals
 * outside the process's own domain are out of reach where the kernel
 * scopes them (ABI 6).
 */
#define SBX_LL_MAX_PATHS	64
#define SBX_LL_MAX_PORTS	16

struct sbx_landlock {
	struct {
		char	 path[512];
		int	 exec;
	}		 paths[SBX_LL_MAX_PATHS];
	size_t		 npaths;
	uint16_t	 ports[SBX_LL_MAX_PORTS];
	size_t		 nports;
	int		 net;
};

/* Adds a path (absolute; others are ignored), or a TCP port. */
void	sbx_landlock_path(struct sbx_landlock *l, const char *path, int exec);
void	sbx_landlock_port(struct sbx_landlock *l, unsigned int port);
/*
 * Adds the directory of path (relative: to the working directory) and
 * the directory where it really is, its links followed: a file replaced
 * by rename or through a swapped link (certbot's live/) stays readable.
 */
void	sbx_landlock_dirs_of(struct sbx_landlock *l, const char *path,
	    int exec);
/* The kernel's Landlock ABI version, 0 without Landlock. */
int	sbx_landlock_abi(void);
/*
 * Restricts the calling thread (and what it starts) to l; no_new_privs
 * must be set.  Returns 0, 1 where the kernel has no Landlock, or -1 with
 * a reason in err.
 */
int	sbx_landlock_apply(const struct sbx_landlock *l, char *err,
	    size_t errsz);

/*
 * Memory-deny-write-execute (PR_SET_MDWE, Linux 6.3), which every
 * confining function sets in -sandbox=enforce before the filter.  Returns
 * 0, 1 where the kernel lacks it (the filters alone then stand), or -1.
 */
int	sbx_mdwe(void);
/* 1 when the kernel has PR_SET_MDWE, else 0. */
int	sbx_mdwe_supported(void);

/*
 * Capabilities (sandbox/caps.c).  sbx_drop_capabilities() empties the
 * effective, permitted, inheritable and ambient sets of the calling
 * process, whoever started it, and checks that they stay empty;
 * sbx_drop_bounding() empties the bounding set, which needs
 * CAP_SETPCAP (root, before the switch of user).  Both return 0 or -1
 * with a reason in err.  sbx_has_capabilities() is 1 when any of the
 * four sets holds one, else 0.
 */
int	sbx_drop_capabilities(char *err, size_t errsz);
int	sbx_drop_bounding(char *err, size_t errsz);
int	sbx_has_capabilities(void);

#endif /* SANDBOX_H */
