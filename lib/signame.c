/* SPDX-License-Identifier: Apache-2.0 */
#include <signal.h>
#include <stddef.h>

#include "signame.h"

/*
 * Indexed by the macros, not by numbers, so that it is right on every
 * architecture (SIGBUS is 7 on x86 and 10 on SPARC).  The list and its
 * #ifdefs are glibc's (sysdeps/generic/siglist.h): where one number has
 * two names, the one glibc prints is kept (SIGIO is SIGPOLL's number and
 * prints as "POLL"; SIGIOT and SIGCLD are not listed).
 */
static const char *const signames[] = {
	[SIGHUP] = "HUP",
	[SIGINT] = "INT",
	[SIGQUIT] = "QUIT",
	[SIGILL] = "ILL",
	[SIGTRAP] = "TRAP",
	[SIGABRT] = "ABRT",
	[SIGFPE] = "FPE",
	[SIGKILL] = "KILL",
	[SIGBUS] = "BUS",
	[SIGSYS] = "SYS",
	[SIGSEGV] = "SEGV",
	[SIGPIPE] = "PIPE",
	[SIGALRM] = "ALRM",
	[SIGTERM] = "TERM",
	[SIGURG] = "URG",
	[SIGSTOP] = "STOP",
	[SIGTSTP] = "TSTP",
	[SIGCONT] = "CONT",
	[SIGCHLD] = "CHLD",
	[SIGTTIN] = "TTIN",
	[SIGTTOU] = "TTOU",
	[SIGPOLL] = "POLL",
	[SIGXCPU] = "XCPU",
	[SIGXFSZ] = "XFSZ",
	[SIGVTALRM] = "VTALRM",
	[SIGPROF] = "PROF",
	[SIGUSR1] = "USR1",
	[SIGUSR2] = "USR2",
	[SIGWINCH] = "WINCH",
#ifdef SIGEMT
	[SIGEMT] = "EMT",
#endif
#ifdef SIGSTKFLT
	[SIGSTKFLT] = "STKFLT",
#endif
#ifdef SIGPWR
	[SIGPWR] = "PWR",
#endif
#if defined(SIGINFO) && (!defined(SIGPWR) || SIGPWR != SIGINFO)
	[SIGINFO] = "INFO",
#endif
#if defined(SIGLOST) && (!defined(SIGPWR) || SIGPWR != SIGLOST)
	[SIGLOST] = "LOST",
#endif
};

const char *
signame(int sig)
{
	if (sig <= 0 || (size_t)sig >= sizeof(signames) / sizeof(signames[0]))
		return NULL;
	return signames[sig];
}
