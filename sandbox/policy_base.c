/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rows every confined process needs: the C runtime, memory, signals, time
 * and plain descriptor I/O.  Syscall sets were taken with `strace -f -c`
 * of each helper, squeue (Slurm 22.05) and getent (glibc 2.36, NSS files)
 * during scrapes on Debian 12.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include <errno.h>
#include <fcntl.h>

#include "policy.h"

/* Any flag that can create, change or extend a file. */
#define OPEN_WRITE_FLAGS \
	(O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND)
#define WX	(PROT_WRITE | PROT_EXEC)

static const struct sbx_rule rows[] = {
	/* Non-fatal denials: callers fall back or handle the error. */
	SBX_DENY_NEW(clone3, ENOSYS, "flags live in a struct no filter can "
	    "read; glibc falls back to clone, which is checked"),
	SBX_DENY_NEW(openat2, ENOSYS, "how-struct unreadable by filters; glibc "
	    "falls back to openat"),
	SBX_DENY_MASK(openat, EACCES, 2, O_WRONLY, O_WRONLY, "no process of "
	    "ours writes files; shell wrappers get EACCES, not death"),
	SBX_DENY_MASK(openat, EACCES, 2, O_RDWR, O_RDWR, "as above: no file "
	    "is opened for writing"),
	SBX_DENY_MASK(openat, EACCES, 2, O_CREAT, O_CREAT, "as above: no "
	    "file is created"),
	SBX_DENY_MASK(openat, EACCES, 2, O_APPEND, O_APPEND, "as above"),
	SBX_DENY_MASK(openat, EACCES, 2, O_TRUNC, O_TRUNC, "as above"),
	SBX_DENY_EQ(ioctl, ENOTTY, 1, TCGETS, "isatty() on a pipe (awk, "
	    "stdio buffering); a pipe is no terminal"),
	SBX_DENY_EQ(ioctl, ENOTTY, 1, TIOCGPGRP, "bash asks stderr for its "
	    "terminal's process group; there is no terminal"),
	SBX_DENY_EQ(ioctl, ENOTTY, 1, TIOCGWINSZ, "tools ask for a window "
	    "size; there is no terminal"),

	/* Process */
	SBX_ALLOW(arch_prctl, "dynamic loader sets the TLS register"),
	SBX_ALLOW(exit, "thread exit"),
	SBX_ALLOW(exit_group, "process exit"),
	SBX_ALLOW(getegid, "identity read by libc and shells"),
	SBX_ALLOW(geteuid, "identity read by libc and shells"),
	SBX_ALLOW(getgid, "identity read by libc and shells"),
	SBX_ALLOW(getgroups, "identity read by libc"),
	SBX_ALLOW(getpid, "log records name the helper's pid"),
	SBX_ALLOW(getppid, "shells read it at start-up"),
	SBX_ALLOW(getresgid, "privilege checks by libraries"),
	SBX_ALLOW(getresuid, "privilege checks by libraries"),
	SBX_ALLOW(gettid, "threads (curl resolver, HTTP server)"),
	SBX_ALLOW(getuid, "identity read by libc and shells"),
	SBX_ALLOW_EQ(prctl, 0, PR_CAPBSET_READ, "NSS systemd module reads "
	    "the capability bounding set (Debian's default nsswitch.conf)"),
	SBX_ALLOW_EQ(prctl, 0, PR_SET_NAME, "thread names"),
	SBX_ALLOW_EQ(prctl, 0, PR_GET_NAME, "thread names"),
	SBX_ALLOW_EQ(prctl, 0, PR_SET_PDEATHSIG, "a command dies with its "
	    "helper"),
	SBX_ALLOW_EQ(prlimit64, 2, 0, "reading limits only: the new-limit "
	    "pointer must be NULL"),
	SBX_ALLOW(restart_syscall, "resumes an interrupted sleep"),
	SBX_ALLOW(rseq, "glibc registers restartable sequences per thread"),
	SBX_ALLOW(rt_sigaction, "signal handlers of libc, shells, curl"),
	SBX_ALLOW(rt_sigprocmask, "signal masks"),
	SBX_ALLOW(rt_sigreturn, "return from a signal handler"),
	SBX_ALLOW(sched_getaffinity, "glibc sizes thread pools with it"),
	SBX_ALLOW(sched_yield, "lock back-off in libraries"),
	SBX_ALLOW(set_robust_list, "glibc at thread start"),
	SBX_ALLOW(set_tid_address, "glibc at thread start"),
	SBX_ALLOW(sysinfo, "OpenSSL and glibc read memory totals"),
	SBX_ALLOW(uname, "libraries read the kernel release"),

	/* Memory: never writable and executable at once (W^X). */
	SBX_ALLOW(brk, "malloc"),
	SBX_ALLOW_EQ(madvise, 2, MADV_DONTNEED, "malloc and thread "
	    "stacks give memory back"),
	SBX_ALLOW_EQ(madvise, 2, MADV_FREE, "malloc gives memory "
	    "back"),
	SBX_ALLOW_MASK(mmap, 2, WX, 0, "read-only or inaccessible mappings"),
	SBX_ALLOW_MASK(mmap, 2, WX, PROT_WRITE, "heap and stacks"),
	SBX_ALLOW_MASK(mmap, 2, WX, PROT_EXEC, "the loader maps code of "
	    "libraries, NSS modules and Slurm plugins"),
	SBX_ALLOW_MASK(mprotect, 2, WX, 0, "guard pages, RELRO"),
	SBX_ALLOW_MASK(mprotect, 2, WX, PROT_WRITE, "the loader relocates"),
	SBX_ALLOW_MASK(mprotect, 2, WX, PROT_EXEC, "the loader seals code"),
	SBX_ALLOW(mremap, "realloc of large buffers"),
	SBX_ALLOW(munmap, "free of large buffers"),

	/* I/O on descriptors already open or opened read-only. */
	SBX_ALLOW(access, "libc and shells test files"),
	SBX_ALLOW(close, "every descriptor is closed"),
	SBX_ALLOW_NEW(close_range, "fd hygiene before exec"),
	SBX_ALLOW(dup, "shells redirect"),
	SBX_ALLOW(dup2, "stdio of a command"),
	SBX_ALLOW(dup3, "stdio of a command"),
	SBX_ALLOW(faccessat, "libc and shells test files"),
	SBX_ALLOW_NEW(faccessat2, "libc and shells test files"),
	SBX_ALLOW_EQ(fcntl, 1, F_GETFD, "close-on-exec checks"),
	SBX_ALLOW_EQ(fcntl, 1, F_SETFD, "close-on-exec"),
	SBX_ALLOW_EQ(fcntl, 1, F_GETFL, "non-blocking I/O"),
	SBX_ALLOW_EQ(fcntl, 1, F_SETFL, "non-blocking I/O"),
	SBX_ALLOW_EQ(fcntl, 1, F_DUPFD, "shells save descriptors"),
	SBX_ALLOW_EQ(fcntl, 1, F_DUPFD_CLOEXEC, "shells save descriptors"),
	SBX_ALLOW_EQ(fcntl, 1, F_GETPIPE_SZ, "bash sizes its here-documents"),
	SBX_ALLOW(fstat, "stdio and the loader"),
	SBX_ALLOW(futex, "locks and thread joins"),
	SBX_ALLOW(getcwd, "shells"),
	SBX_ALLOW(getdents64, "reading a directory (shell globs, NSS)"),
	SBX_ALLOW(getrandom, "hash table keys; TLS"),
	SBX_ALLOW(lseek, "stdio"),
	SBX_ALLOW(newfstatat, "stat by the loader, NSS, shells"),
	SBX_ALLOW_MASK(openat, 2, OPEN_WRITE_FLAGS, 0, "read-only opens: "
	    "libraries, NSS and Slurm configuration, CA bundle"),
	SBX_ALLOW(pipe2, "pipes to a command"),
	SBX_ALLOW(poll, "waiting for pipes and sockets"),
	SBX_ALLOW(ppoll, "waiting for pipes and sockets"),
	SBX_ALLOW(pread64, "the loader reads ELF headers"),
	SBX_ALLOW(read, "pipes, sockets, files opened read-only"),
	SBX_ALLOW(readlink, "libraries resolve /proc/self/exe"),
	SBX_ALLOW(readlinkat, "NSS systemd module resolves paths"),
	SBX_ALLOW(readv, "scatter reads"),
	SBX_ALLOW(statx, "stat by newer libraries"),
	SBX_ALLOW(write, "pipes and sockets; files cannot be opened for it"),
	SBX_ALLOW(writev, "gather writes"),

	/* Time */
	SBX_ALLOW(clock_getres, "timers"),
	SBX_ALLOW(clock_gettime, "deadlines (vDSO fallback)"),
	SBX_ALLOW(clock_nanosleep, "short sleeps while reaping"),
	SBX_ALLOW(gettimeofday, "log time stamps (vDSO fallback)"),
	SBX_ALLOW(nanosleep, "short sleeps"),
};

SBX_POLICY(sbx_policy_base, rows);
