/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "doors.h"
#include "err.h"
#include "http.h"

/* The daemons started together, with the TLS material they share. */
struct gen {
	struct webtls	*tls;		/* NULL: plain HTTP */
	unsigned int	 daemons;	/* not yet stopped */
};

/* One daemon: the cls its callbacks get. */
struct door {
	struct MHD_Daemon	*d;
	struct gen		*gen;
	int			 retired;	/* atomic: quiesced */
	struct door		*next;
};

static struct {
	int			 fds[HTTP_MAX_LISTEN];
	size_t			 nfds;
	struct doors_calls	 calls;
	struct door		*live;		/* one per socket */
	struct door		*retired;	/* draining */
	struct gen		*gen;		/* the live ones' */
} doors;

static pthread_mutex_t doors_mu = PTHREAD_MUTEX_INITIALIZER;

void
doors_init(const int *fds, size_t n, const struct doors_calls *calls)
{
	size_t i;

	for (i = 0; i < n && i < HTTP_MAX_LISTEN; i++)
		doors.fds[i] = fds[i];
	doors.nfds = i;
	doors.calls = *calls;
}

/* One daemon on fd for door; NULL if it did not start. */
static struct MHD_Daemon *
doors_start(int fd, struct door *door)
{
	const struct doors_calls *c = &doors.calls;
	struct MHD_OptionItem tls[5];
	struct webtls_pems p;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	size_t k = 0;

	if (door->gen->tls != NULL) {
		flags |= MHD_USE_TLS;
		webtls_pems(door->gen->tls, &p);
		tls[k++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY,
		    0, (void *)p.key };
		tls[k++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT,
		    0, (void *)p.cert };
		tls[k++] = (struct MHD_OptionItem){
		    MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)p.priorities };
		/* With CAs libmicrohttpd asks each client for a certificate. */
		if (p.trust != NULL)
			tls[k++] = (struct MHD_OptionItem){
			    MHD_OPTION_HTTPS_MEM_TRUST, 0, (void *)p.trust };
	}
	tls[k] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	return MHD_start_daemon(flags, 0, NULL, NULL, c->handle, door,
	    MHD_OPTION_EXTERNAL_LOGGER, c->log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_CONNECTION_LIMIT, c->max_connections,
	    MHD_OPTION_CONNECTION_TIMEOUT, c->idle_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, c->memory_limit,
	    MHD_OPTION_NOTIFY_COMPLETED, c->completed, NULL,
	    MHD_OPTION_NOTIFY_CONNECTION, c->notify, NULL,
	    MHD_OPTION_ARRAY, tls,
	    MHD_OPTION_END);
}

/*
 * Stops a daemon that shares its socket: quiesced first, so that
 * libmicrohttpd leaves the socket open for the others.
 */
static void
doors_stop(struct door *door)
{
	if (!__atomic_load_n(&door->retired, __ATOMIC_ACQUIRE))
		(void)MHD_quiesce_daemon(door->d);
	MHD_stop_daemon(door->d);
}

/* Drops door's share of its generation (doors_mu held), then door. */
static void
doors_free(struct door *door)
{
	struct gen *g = door->gen;

	if (--g->daemons == 0) {
		webtls_free(g->tls);
		free(g);
	}
	free(door);
}

int
doors_open(struct webtls *tls, char *err, size_t errsz)
{
	struct door *fresh = NULL, *door, *old;
	struct gen *g;
	size_t i;

	/* Nothing to listen on (none in practice): nothing to hold tls. */
	if (doors.nfds == 0) {
		webtls_free(tls);
		return 0;
	}
	if ((g = calloc(1, sizeof(*g))) == NULL) {
		webtls_free(tls);
		(void)snprintf(err, errsz, "out of memory");
		return ERR_SYSTEM;
	}
	g->tls = tls;
	for (i = 0; i < doors.nfds; i++) {
		if ((door = calloc(1, sizeof(*door))) == NULL)
			goto fail;
		door->gen = g;
		g->daemons++;
		door->next = fresh;
		fresh = door;
		if ((door->d = doors_start(doors.fds[i], door)) == NULL)
			goto fail;
	}
	/* The daemons hold the key, parsed: no other copy is kept. */
	if (tls != NULL)
		webtls_forget_key(tls);
	pthread_mutex_lock(&doors_mu);
	old = doors.live;
	doors.live = fresh;
	doors.gen = g;
	/* Both accept until this: neither loses a connection. */
	while ((door = old) != NULL) {
		old = door->next;
		(void)MHD_quiesce_daemon(door->d);
		__atomic_store_n(&door->retired, 1, __ATOMIC_RELEASE);
		door->next = doors.retired;
		doors.retired = door;
	}
	pthread_mutex_unlock(&doors_mu);
	return 0;
 fail:
	(void)snprintf(err, errsz, "libmicrohttpd could not start on "
	    "listening socket %zu%s", i + 1, tls != NULL ? " with TLS" : "");
	/* Never published: no lock, and the generation goes whole. */
	while ((door = fresh) != NULL) {
		fresh = door->next;
		if (door->d != NULL)
			doors_stop(door);
		free(door);
	}
	webtls_free(tls);
	free(g);
	return ERR_SYSTEM;
}

int
doors_tls(void)
{
	int tls;

	pthread_mutex_lock(&doors_mu);
	tls = doors.gen != NULL && doors.gen->tls != NULL;
	pthread_mutex_unlock(&doors_mu);
	return tls;
}

size_t
doors_reap(void)
{
	const union MHD_DaemonInfo *di;
	struct door **pp, *door, *empty = NULL;
	size_t draining = 0;

	pthread_mutex_lock(&doors_mu);
	for (pp = &doors.retired; (door = *pp) != NULL; ) {
		di = MHD_get_daemon_info(door->d,
		    MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
		if (di != NULL && di->num_connections == 0) {
			*pp = door->next;
			door->next = empty;
			empty = door;
		} else {
			pp = &door->next;
			draining++;
		}
	}
	pthread_mutex_unlock(&doors_mu);
	/* Unlocked: stopping joins the daemon's thread. */
	while ((door = empty) != NULL) {
		empty = door->next;
		MHD_stop_daemon(door->d);
		pthread_mutex_lock(&doors_mu);
		doors_free(door);
		pthread_mutex_unlock(&doors_mu);
	}
	return draining;
}

int
doors_check_client(void *cls, struct MHD_Connection *conn, char *err,
    size_t errsz)
{
	const union MHD_ConnectionInfo *ci;
	struct door *door = cls;

	if (door->gen->tls == NULL)
		return 0;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	return webtls_check_client(door->gen->tls, ci != NULL ?
	    (gnutls_session_t)ci->tls_session : NULL, err, errsz);
}

int
doors_retired(void *cls)
{
	struct door *door = cls;

	return __atomic_load_n(&door->retired, __ATOMIC_ACQUIRE);
}
