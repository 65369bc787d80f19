/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sockets.h"
#include "err.h"

/* Backlog of each listening socket: a burst of scrapers, not a flood. */
#define SOCK_BACKLOG	128

/* A listening socket on sa; the descriptor, or -1 with errno set. */
static int
sock_bind(int family, const struct sockaddr *sa, socklen_t salen)
{
	int fd, one = 1, zero = 0, saved;

	if ((fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* ":port" means every address, IPv4 and IPv6, as the original. */
	if (family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
		    sizeof(zero));
	if (bind(fd, sa, salen) == 0 && listen(fd, SOCK_BACKLOG) == 0)
		return fd;
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* Every address on port: IPv6 with IPv4 mapped, or IPv4 alone. */
static int
sock_listen_any(unsigned int port, char *err, size_t errsz)
{
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	int fd;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_any;
	sin6.sin6_port = htons((uint16_t)port);
	fd = sock_bind(AF_INET6, (struct sockaddr *)&sin6, sizeof(sin6));
	/* A host without IPv6 still gets IPv4. */
	if (fd == -1 && errno != EADDRINUSE) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_ANY);
		sin.sin_port = htons((uint16_t)port);
		fd = sock_bind(AF_INET, (struct sockaddr *)&sin, sizeof(sin));
	}
	if (fd == -1) {
		snprintf(err, errsz, "listening on :%u: %s", port,
		    strerror(errno));
		return ERR_SYSTEM;
	}
	return fd;
}

int
sock_listen(const char *host, unsigned int port, char *err, size_t errsz)
{
	struct addrinfo hints, *res = NULL, *ai;
	char ports[16];
	int fd = -1, r;

	if (host[0] == '\0')
		return sock_listen_any(port, err, errsz);
	snprintf(ports, sizeof(ports), "%u", port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((r = getaddrinfo(host, ports, &hints, &res)) != 0) {
		snprintf(err, errsz, "--web.listen-address: %s: %s", host,
		    gai_strerror(r));
		return ERR_INVAL;
	}
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next) {
		fd = sock_bind(ai->ai_family, ai->ai_addr, ai->ai_addrlen);
		if (fd == -1)
			snprintf(err, errsz, "listening on %s:%s: %s", host,
			    ports, strerror(errno));
	}
	freeaddrinfo(res);
	return fd == -1 ? ERR_SYSTEM : fd;
}
