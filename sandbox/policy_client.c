/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rows of a network client.  Used by promql (HTTP to the upstream, name
 * lookups over netlink and UDP), slurm (squeue: TCP to slurmctld, unix
 * socket to munged) and accounts (getent: unix sockets to nscd, sssd or
 * nslcd; TCP/UDP only for NSS modules that speak LDAP themselves).  Raw IP
 * and packet sockets are never allowed.
 */
#include <sys/socket.h>

#include <errno.h>

#include <linux/netlink.h>

#include "policy.h"

#define TYPE_MASK	0xf	/* SOCK_CLOEXEC and SOCK_NONBLOCK may be set */

static const struct sbx_rule rows[] = {
	/* Network */
	SBX_ALLOW(bind, "netlink address lookup binds its socket"),
	SBX_ALLOW(connect, "upstream, slurmctld, munged, NSS daemons"),
	SBX_ALLOW(getpeername, "libraries check their connection"),
	SBX_ALLOW(getsockname, "netlink lookup; connection checks"),
	SBX_ALLOW(getsockopt, "SO_ERROR after a non-blocking connect"),
	SBX_ALLOW(recvfrom, "socket reads"),
	SBX_ALLOW(recvmsg, "socket reads; netlink answers"),
	SBX_ALLOW(sendmmsg, "glibc's resolver sends A and AAAA at once"),
	SBX_ALLOW(sendmsg, "socket writes"),
	SBX_ALLOW(sendto, "socket writes; DNS over UDP"),
	SBX_ALLOW(setsockopt, "TCP_NODELAY, keepalive, timeouts"),
	SBX_ALLOW(shutdown, "closing connections"),
	SBX_ALLOW_EQ_MASK(socket, 0, AF_INET, 1, TYPE_MASK, SOCK_STREAM,
	    "TCP over IPv4"),
	SBX_ALLOW_EQ_MASK(socket, 0, AF_INET, 1, TYPE_MASK, SOCK_DGRAM,
	    "DNS over IPv4"),
	SBX_ALLOW_EQ_MASK(socket, 0, AF_INET6, 1, TYPE_MASK, SOCK_STREAM,
	    "TCP over IPv6"),
	SBX_ALLOW_EQ_MASK(socket, 0, AF_INET6, 1, TYPE_MASK, SOCK_DGRAM,
	    "DNS over IPv6"),
	SBX_ALLOW_EQ_MASK(socket, 0, AF_NETLINK, 2, ~0ULL, NETLINK_ROUTE,
	    "getaddrinfo asks which address families are configured"),
	SBX_ALLOW_EQ(socketpair, 0, AF_UNIX, "curl's resolver wake-up"),
};

SBX_POLICY(sbx_policy_client, rows);

/*
 * Unix sockets: squeue (munged), getent (nscd, sssd, nslcd), and the
 * promql helper only where its name resolution goes through a daemon.
 */
static const struct sbx_rule unix_rows[] = {
	SBX_ALLOW_EQ_MASK(socket, 0, AF_UNIX, 1, TYPE_MASK, SOCK_STREAM,
	    "munged, nscd, sssd, nslcd"),
	SBX_ALLOW_EQ_MASK(socket, 0, AF_UNIX, 1, TYPE_MASK, SOCK_DGRAM,
	    "syslog by libraries"),
};

SBX_POLICY(sbx_policy_unix, unix_rows);

/*
 * The promql helper otherwise: no unix socket (socketpair stays, for
 * curl).  EACCES, not death: glibc's nscd client, should it try, falls
 * back to resolving itself.
 */
static const struct sbx_rule nounix_rows[] = {
	SBX_DENY_EQ(socket, EACCES, 0, AF_UNIX, "name resolution here "
	    "needs no daemon (/etc/nsswitch.conf's hosts: line)"),
};

SBX_POLICY(sbx_policy_nounix, nounix_rows);
