/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>

#include "version.h"

/* The Makefile defines these for this file alone (a stamp rebuilds it). */
#ifndef PCE_REVISION
#define PCE_REVISION	"unknown"
#endif
#ifndef PCE_BRANCH
#define PCE_BRANCH	"unknown"
#endif
#ifndef PCE_BUILD_DATE
#define PCE_BUILD_DATE	"unknown"
#endif

static char version_libs[256] = "unknown";

const char *
version_number(void)
{
	return PCE_VERSION;
}

const char *
version_revision(void)
{
	return PCE_REVISION;
}

const char *
version_branch(void)
{
	return PCE_BRANCH;
}

const char *
version_date(void)
{
	return PCE_BUILD_DATE;
}

const char *
version_compiler(void)
{
#if defined(__clang__)
	return "clang " __clang_version__;
#elif defined(__GNUC__)
	return "gcc " __VERSION__;
#else
	return "unknown";
#endif
}

void
version_set_libraries(const char *s)
{
	snprintf(version_libs, sizeof(version_libs), "%s", s);
}

const char *
version_libraries(void)
{
	return version_libs;
}

const char *
version_platform(void)
{
#if defined(__x86_64__)
	return "linux/amd64";
#elif defined(__aarch64__)
	return "linux/arm64";
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
	return "linux/ppc64le";
#elif defined(__i386__)
	return "linux/386";
#else
	return "linux/unknown";
#endif
}
