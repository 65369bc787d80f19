/* SPDX-License-Identifier: Apache-2.0 */
#include <crypt.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "auth.h"
#include "err.h"
#include "hash.h"
#include "threads.h"

/*
 * Unknown users are checked against this hash (cost 10, of a random
 * string), so that the time an answer takes does not tell whether a user
 * exists.
 */
static const char auth_dummy_hash[] =
    "$2b$10$AQ14pTsEnfa9Grpfrr.fMuZEBqOEXTceO0vwx0QQd/0Tv.L/i/sdC";

struct auth_job {
	char		*user;
	char		*password;
	char		*hash;		/* NULL: unknown user */
	char		 client[AUTH_CLIENT_MAX];
	struct deadline	 deadline;
	auth_done_fn	*done;
	void		*arg;
};

static pthread_mutex_t auth_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t auth_cv = PTHREAD_COND_INITIALIZER;
static char **auth_names;
static char **auth_hashes;
static size_t auth_nusers;
static struct hash *auth_cache;
static struct auth_job auth_queue[AUTH_QUEUE_MAX];
static size_t auth_head, auth_len;
static unsigned long auth_checked, auth_dropped;

/* Frees a string that may hold a secret, zeroing it first. */
static void
auth_burn(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/* Frees a table of n strings, zeroed. */
static void
auth_burn_all(char **v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		auth_burn(v[i]);
	free(v);
}

/* The cache key of a check: SHA-256 of user, password and hash. */
static int
auth_key(const char *user, const char *password, const char *hash,
    unsigned char key[32])
{
	gnutls_hash_hd_t h;

	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) != 0)
		return ERR_SYSTEM;
	/* The NULs keep "ab"+"c" apart from "a"+"bc". */
	(void)gnutls_hash(h, user, strlen(user) + 1);
	(void)gnutls_hash(h, password, strlen(password) + 1);
	(void)gnutls_hash(h, hash, strlen(hash) + 1);
	gnutls_hash_deinit(h, key);
	return 0;
}

/* 1 when a equals b, in time that depends on their lengths only. */
static int
auth_equal(const char *a, const char *b)
{
	size_t i, n = strlen(a);
	unsigned char d = 0;

	if (n != strlen(b))
		return 0;
	for (i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* The hash of user, or NULL (auth_mu held). */
static const char *
auth_hash_of(const char *user)
{
	size_t i;

	for (i = 0; i < auth_nusers; i++)
		if (strcmp(auth_names[i], user) == 0)
			return auth_hashes[i];
	return NULL;
}

/* One bcrypt check; AUTH_OK or AUTH_DENIED. */
static int
auth_bcrypt(struct crypt_data *cd, const struct auth_job *j)
{
	const char *out;
	int ok;

	memset(cd, 0, sizeof(*cd));
	out = crypt_r(j->password, j->hash != NULL ? j->hash :
	    auth_dummy_hash, cd);
	ok = j->hash != NULL && out != NULL && out[0] != '*' &&
	    auth_equal(out, j->hash);
	explicit_bzero(cd, sizeof(*cd));
	return ok ? AUTH_OK : AUTH_DENIED;
}

/* Remembers a successful check (auth_mu held). */
static void
auth_remember(const struct auth_job *j)
{
	unsigned char key[32];
	uint32_t v;
	int inserted;

	if (auth_key(j->user, j->password, j->hash, key) != 0)
		return;
	if (auth_cache != NULL && hash_count(auth_cache) >= AUTH_CACHE_MAX) {
		hash_free(auth_cache);
		auth_cache = NULL;
	}
	if (auth_cache == NULL && (auth_cache = hash_new(64)) == NULL)
		return;
	(void)hash_put(auth_cache, key, sizeof(key), 0, &v, &inserted);
}

/* The checker thread: one bcrypt at a time, dropping what is too late. */
static void *
auth_thread(void *arg)
{
	struct crypt_data *cd = arg;
	struct auth_job j;
	int r;

	pthread_mutex_lock(&auth_mu);
	for (;;) {
		while (auth_len == 0)
			pthread_cond_wait(&auth_cv, &auth_mu);
		j = auth_queue[auth_head];
		auth_head = (auth_head + 1) % AUTH_QUEUE_MAX;
		auth_len--;
		pthread_mutex_unlock(&auth_mu);
		if (deadline_passed(j.deadline))
			r = AUTH_BUSY;
		else
			r = auth_bcrypt(cd, &j);
		pthread_mutex_lock(&auth_mu);
		if (r == AUTH_BUSY)
			auth_dropped++;
		else
			auth_checked++;
		if (r == AUTH_OK)
			auth_remember(&j);
		pthread_mutex_unlock(&auth_mu);
		j.done(j.arg, r);
		auth_burn(j.user);
		auth_burn(j.password);
		auth_burn(j.hash);
		pthread_mutex_lock(&auth_mu);
	}
	return NULL;
}

int
auth_start(void)
{
	struct crypt_data *cd;

	/* About 32 KiB: on the heap, the thread's stack stays small. */
	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return ERR_NOMEM;
	if (threads_start(NULL, auth_thread, cd) != 0) {
		free(cd);
		return ERR_SYSTEM;
	}
	return 0;
}

int
auth_set_users(const struct webcfg_user *users, size_t n)
{
	char **nn = NULL, **hh = NULL;
	size_t i;

	if (n > 0 && ((nn = calloc(n, sizeof(*nn))) == NULL ||
	    (hh = calloc(n, sizeof(*hh))) == NULL))
		goto fail;
	for (i = 0; i < n; i++)
		if ((nn[i] = strdup(users[i].name)) == NULL ||
		    (hh[i] = strdup(users[i].hash)) == NULL)
			goto fail;
	pthread_mutex_lock(&auth_mu);
	auth_burn_all(auth_names, auth_nusers);
	auth_burn_all(auth_hashes, auth_nusers);
	auth_names = nn;
	auth_hashes = hh;
	auth_nusers = n;
	/* Keys hold the hash: a changed hash no longer finds its entries. */
	pthread_mutex_unlock(&auth_mu);
	return 0;
 fail:
	auth_burn_all(nn, n);
	auth_burn_all(hh, n);
	return ERR_NOMEM;
}

int
auth_enabled(void)
{
	int on;

	pthread_mutex_lock(&auth_mu);
	on = auth_nusers > 0;
	pthread_mutex_unlock(&auth_mu);
	return on;
}

/* Jobs queued for client (auth_mu held). */
static size_t
auth_queued_for(const char *client)
{
	size_t i, n = 0;

	for (i = 0; i < auth_len; i++)
		if (strcmp(auth_queue[(auth_head + i) %
		    AUTH_QUEUE_MAX].client, client) == 0)
			n++;
	return n;
}

/* Whether the cache knows this check succeeded (auth_mu held). */
static int
auth_cached(const char *user, const char *password, const char *hash)
{
	unsigned char key[32];
	uint32_t v;

	return auth_cache != NULL && auth_key(user, password, hash,
	    key) == 0 && hash_get(auth_cache, key, sizeof(key), &v) == 0;
}

int
auth_check(const char *user, const char *password, const char *client,
    struct deadline deadline, auth_done_fn *done, void *arg)
{
	struct auth_job *j;
	const char *hash;
	int r = AUTH_PENDING;

	if (user == NULL || password == NULL ||
	    strnlen(user, AUTH_FIELD_MAX + 1) > AUTH_FIELD_MAX ||
	    strnlen(password, AUTH_FIELD_MAX + 1) > AUTH_FIELD_MAX)
		return AUTH_DENIED;
	pthread_mutex_lock(&auth_mu);
	hash = auth_hash_of(user);
	if (hash != NULL && auth_cached(user, password, hash)) {
		r = AUTH_OK;
		goto out;
	}
	if (auth_len == AUTH_QUEUE_MAX ||
	    auth_queued_for(client) >= AUTH_PER_CLIENT) {
		auth_dropped++;
		r = AUTH_BUSY;
		goto out;
	}
	j = &auth_queue[(auth_head + auth_len) % AUTH_QUEUE_MAX];
	memset(j, 0, sizeof(*j));
	if ((j->user = strdup(user)) == NULL ||
	    (j->password = strdup(password)) == NULL ||
	    (hash != NULL && (j->hash = strdup(hash)) == NULL)) {
		auth_burn(j->user);
		auth_burn(j->password);
		r = AUTH_BUSY;
		goto out;
	}
	/* Cut, not refused: an address fits, and the share is a bound. */
	(void)snprintf(j->client, sizeof(j->client), "%s", client);
	j->deadline = deadline;
	j->done = done;
	j->arg = arg;
	auth_len++;
	pthread_cond_signal(&auth_cv);
 out:
	pthread_mutex_unlock(&auth_mu);
	return r;
}

void
auth_stats(unsigned long *checked, unsigned long *dropped)
{
	pthread_mutex_lock(&auth_mu);
	*checked = auth_checked;
	*dropped = auth_dropped;
	pthread_mutex_unlock(&auth_mu);
}
