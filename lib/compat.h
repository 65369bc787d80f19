/* SPDX-License-Identifier: Apache-2.0 */
#ifndef COMPAT_H
#define COMPAT_H

/*
 * The versions of glibc, libcurl, libmicrohttpd and libseccomp the code is
 * built for, in one place.  Sites run it on RHEL 8 and 9 as well as
 * Debian 12:
 *
 *			libcurl		libmicrohttpd	libseccomp	glibc
 *	RHEL 8		7.61.1		0.9.59		2.5.2		2.28
 *	RHEL 9		7.76.1		0.9.72		2.5.2		2.34
 *	Debian 12	7.88.1		0.9.75		2.5.4		2.36
 *
 * RHEL 8 is the floor, and a build for anything older stops with an
 * #error below.  The earlier RHEL 8 minors had libseccomp 2.4.1: it is
 * below the floor, neither built nor tested.
 *
 * Every test of a version reads PCE_GLIBC_VERSION, PCE_CURL_VERSION,
 * PCE_MHD_VERSION or PCE_SECCOMP_VERSION, never the library's own macro,
 * so that a build can pretend to have an older library than its headers:
 * `make check-compat` builds on Debian with RHEL 8's numbers given with
 * -D, and the fallback branches are compiled and tested where only Debian
 * is at hand.  A build can pretend to be older, never newer: the headers would
 * lack what the newer branch uses.
 *
 * Include it after the headers of the libraries the file uses: each part
 * below is there only if its library's header was seen first.  The tests
 * are function-like macros (`#if PCE_CURL_HAS(BLOBS)`), so where a part
 * is missing the test does not compile, rather than read an undefined
 * version as 0 and take the fallback unnoticed.
 */

/* The numbers of a version, as the libraries write theirs (0xXXYYZZ). */
#define PCE_V3(x, y, z)		(((x) << 16) | ((y) << 8) | (z))
/* glibc's, which has no micro number (0xXXYY: 2.28 is 0x021c). */
#define PCE_V2(x, y)		(((x) << 8) | (y))

/*
 * glibc, from __GLIBC__ and __GLIBC_MINOR__ (<features.h>, which every
 * libc header includes).  Most of what glibc added after 2.28 is not used
 * at all, or has a table or a syscall number of our own in every build
 * (lib/signame.c, SBX_NR_pidfd_open): `make check-compat` fails on any
 * function of a later glibc that a binary calls (tests/glibc_check.py).
 * What is left is tested here.
 */
#ifdef __GLIBC__
#ifndef PCE_GLIBC_VERSION
#define PCE_GLIBC_VERSION	PCE_V2(__GLIBC__, __GLIBC_MINOR__)
#endif
#if PCE_GLIBC_VERSION < PCE_V2(2, 28)
#error "glibc older than 2.28 (RHEL 8's) is not supported"
#endif
#if PCE_GLIBC_VERSION > PCE_V2(__GLIBC__, __GLIBC_MINOR__)
#error "PCE_GLIBC_VERSION is newer than the glibc headers"
#endif
#define PCE_GLIBC_HAS(f)	(PCE_GLIBC_VERSION >= PCE_GLIBC_##f)
/* pthread_mutex_clocklock(): a mutex wait on CLOCK_MONOTONIC. */
#define PCE_GLIBC_CLOCKLOCK	PCE_V2(2, 30)
#endif

/*
 * libcurl, as LIBCURL_VERSION_NUM (curl/curlver.h).  What it lacks is
 * below each threshold.
 */
#ifdef LIBCURL_VERSION_NUM
#ifndef PCE_CURL_VERSION
#define PCE_CURL_VERSION	LIBCURL_VERSION_NUM
#endif
#if PCE_CURL_VERSION < PCE_V3(7, 61, 1)
#error "libcurl older than 7.61.1 (RHEL 8's) is not supported"
#endif
#if PCE_CURL_VERSION > LIBCURL_VERSION_NUM
#error "PCE_CURL_VERSION is newer than the libcurl headers"
#endif
#define PCE_CURL_HAS(f)		(PCE_CURL_VERSION >= PCE_CURL_##f)
/* CURLOPT_CAINFO_BLOB (7.77; the certificate and key blobs are 7.71). */
#define PCE_CURL_BLOBS		PCE_V3(7, 77, 0)
/* curl_multi_poll(), which waits even with no descriptor to watch. */
#define PCE_CURL_MULTI_POLL	PCE_V3(7, 66, 0)
/* CURLOPT_PROTOCOLS_STR, CURLOPT_REDIR_PROTOCOLS_STR. */
#define PCE_CURL_PROTOCOLS_STR	PCE_V3(7, 85, 0)
#endif

/*
 * libmicrohttpd, as MHD_VERSION (0xXXYYZZ00).  Nothing the code uses is
 * newer than 0.9.59 but the type its callbacks return.
 */
#ifdef MHD_VERSION
#ifndef PCE_MHD_VERSION
#define PCE_MHD_VERSION		MHD_VERSION
#endif
#if PCE_MHD_VERSION < 0x00095900
#error "libmicrohttpd older than 0.9.59 (RHEL 8's) is not supported"
#endif
#if PCE_MHD_VERSION > MHD_VERSION
#error "PCE_MHD_VERSION is newer than the libmicrohttpd headers"
#endif
/*
 * What the callbacks return (a macro: the house style keeps typedefs
 * for function types): enum MHD_Result since 0.9.71 (MHD_VERSION
 * 0x00097002, as its own documentation tests), int before, with MHD_YES
 * and MHD_NO alike in both.  This one follows the header, not
 * PCE_MHD_VERSION: a callback must have the type the header declares, or
 * passing it to libmicrohttpd is an error.  A build pretending to be older
 * than its header therefore still returns the enum; the int is compiled
 * only against a header older than 0.9.71.
 */
#if MHD_VERSION >= 0x00097002
#define PCE_MHD_RESULT		enum MHD_Result
#else
#define PCE_MHD_RESULT		int
#endif
#endif

/*
 * libseccomp, from SCMP_VER_MAJOR, _MINOR and _MICRO (seccomp.h).  Only
 * the floor is tested: what 2.5.2 cannot name (openat2, pidfd_getfd,
 * mount_setattr) goes by number in every build (sandbox/policy.h), one
 * path for all rather than a branch per version.
 */
#ifdef SCMP_VER_MAJOR
#ifndef PCE_SECCOMP_VERSION
#define PCE_SECCOMP_VERSION						\
	PCE_V3(SCMP_VER_MAJOR, SCMP_VER_MINOR, SCMP_VER_MICRO)
#endif
#if PCE_SECCOMP_VERSION < PCE_V3(2, 5, 2)
#error "libseccomp older than 2.5.2 (RHEL 8's) is not supported"
#endif
#if PCE_SECCOMP_VERSION > PCE_V3(SCMP_VER_MAJOR, SCMP_VER_MINOR, SCMP_VER_MICRO)
#error "PCE_SECCOMP_VERSION is newer than the libseccomp headers"
#endif
#endif

#endif /* COMPAT_H */
