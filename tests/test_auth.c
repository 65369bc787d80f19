/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Basic auth's checker: the cache, the bounded queue with its share per
 * client, the drop at a deadline.  Hashes are made here at bcrypt's
 * lowest cost (4), so a check takes about a millisecond.
 */
#include <crypt.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * Before cmocka.h: the module keeps its users and cache across tests, on
 * the real heap, out of cmocka's per-test leak check.
 */
#include "../cmd/auth.c"
#include "../cmd/threads.c"

#include <cmocka.h>

/* What a check's done() reported; a gate can hold the checker in it. */
struct answer {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 result;	/* -1 until done */
	int		 gated;		/* done() waits until opened */
	int		 open;
	int		 entered;	/* done() was called */
};

static char hash_secret[128], hash_other[128];
/* A gate holding the checker, opened by teardown if a test fails. */
static struct answer *gate;

static void
answer_init(struct answer *a, int gated)
{
	memset(a, 0, sizeof(*a));
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	a->result = -1;
	a->gated = gated;
}

static void
on_done(void *arg, int result)
{
	struct answer *a = arg;

	pthread_mutex_lock(&a->mu);
	a->entered = 1;
	pthread_cond_broadcast(&a->cv);
	while (a->gated && !a->open)
		pthread_cond_wait(&a->cv, &a->mu);
	a->result = result;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
}

/* Waits for done(); its result. */
static int
answer_wait(struct answer *a)
{
	int r;

	pthread_mutex_lock(&a->mu);
	while (a->result == -1)
		pthread_cond_wait(&a->cv, &a->mu);
	r = a->result;
	pthread_mutex_unlock(&a->mu);
	return r;
}

/* Waits until the checker sits in a's done(). */
static void
answer_wait_entered(struct answer *a)
{
	pthread_mutex_lock(&a->mu);
	while (!a->entered)
		pthread_cond_wait(&a->cv, &a->mu);
	pthread_mutex_unlock(&a->mu);
}

static void
answer_open(struct answer *a)
{
	pthread_mutex_lock(&a->mu);
	a->open = 1;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
}

/* A bcrypt hash of pw at cost 4. */
static void
make_hash(const char *pw, char *out, size_t outsz)
{
	struct crypt_data cd;
	const char *salt, *h;

	memset(&cd, 0, sizeof(cd));
	salt = crypt_gensalt("$2b$", 4, NULL, 0);
	assert_non_null(salt);
	h = crypt_r(pw, salt, &cd);
	assert_non_null(h);
	assert_int_equal(strncmp(h, "$2b$04$", 7), 0);
	assert_true(strlen(h) < outsz);
	(void)snprintf(out, outsz, "%s", h);
}

static void
set_user(const char *name, const char *hash)
{
	struct webcfg_user u;

	u.name = (char *)name;
	u.hash = (char *)hash;
	assert_int_equal(auth_set_users(&u, 1), 0);
}

/* One check from client, to its end. */
static int
check_now(const char *user, const char *pw, const char *client)
{
	struct answer a;
	int r;

	answer_init(&a, 0);
	r = auth_check(user, pw, client, deadline_in(5.0), on_done, &a);
	if (r == AUTH_PENDING)
		r = answer_wait(&a);
	return r;
}

static void
test_match_then_cached(void **state)
{
	unsigned long checked0, checked, dropped;
	struct answer a;

	(void)state;
	set_user("prom", hash_secret);
	assert_int_equal(auth_enabled(), 1);
	auth_stats(&checked0, &dropped);
	answer_init(&a, 0);
	/* Not known yet: the checker runs bcrypt. */
	assert_int_equal(auth_check("prom", "secret", "10.0.0.1",
	    deadline_in(5.0), on_done, &a), AUTH_PENDING);
	assert_int_equal(answer_wait(&a), AUTH_OK);
	/* Known now: answered at once, no bcrypt. */
	assert_int_equal(auth_check("prom", "secret", "10.0.0.2",
	    deadline_in(5.0), on_done, NULL), AUTH_OK);
	auth_stats(&checked, &dropped);
	assert_int_equal(checked, checked0 + 1);
}

static void
test_denied(void **state)
{
	char longpw[AUTH_FIELD_MAX + 2];

	(void)state;
	set_user("prom", hash_secret);
	assert_int_equal(check_now("prom", "Secret", "c"), AUTH_DENIED);
	assert_int_equal(check_now("prom", "", "c"), AUTH_DENIED);
	/* Unknown users cost a bcrypt run too: the answer's time tells
	 * nothing. */
	assert_int_equal(check_now("nobody", "secret", "c"), AUTH_DENIED);
	assert_int_equal(check_now("", "", "c"), AUTH_DENIED);
	/* A wrong password is never cached as right. */
	assert_int_equal(check_now("prom", "Secret", "c"), AUTH_DENIED);
	/* Decided at once: no credentials, or past the length bound. */
	assert_int_equal(auth_check(NULL, NULL, "c", deadline_in(5.0),
	    on_done, NULL), AUTH_DENIED);
	assert_int_equal(auth_check("prom", NULL, "c", deadline_in(5.0),
	    on_done, NULL), AUTH_DENIED);
	memset(longpw, 'x', sizeof(longpw) - 1);
	longpw[sizeof(longpw) - 1] = '\0';
	assert_int_equal(auth_check("prom", longpw, "c", deadline_in(5.0),
	    on_done, NULL), AUTH_DENIED);
}

/*
 * The queue: AUTH_PER_CLIENT checks per address, AUTH_QUEUE_MAX in all;
 * the checker is held in the done() of a first check meanwhile.
 */
static void
test_shares(void **state)
{
	static struct answer held, q[AUTH_QUEUE_MAX + 1];
	char client[32];
	size_t i, n = 0;
	int r, denied = 0;

	(void)state;
	set_user("prom", hash_secret);
	/* Make sure "secret" is known. */
	assert_int_equal(check_now("prom", "secret", "c"), AUTH_OK);
	answer_init(&held, 1);
	gate = &held;
	assert_int_equal(auth_check("prom", "wrong", "holder",
	    deadline_in(5.0), on_done, &held), AUTH_PENDING);
	answer_wait_entered(&held);
	/* One address: its share, then no more. */
	for (i = 0; i < AUTH_PER_CLIENT; i++) {
		answer_init(&q[n], 0);
		assert_int_equal(auth_check("prom", "wrong", "192.0.2.1",
		    deadline_in(5.0), on_done, &q[n]), AUTH_PENDING);
		n++;
	}
	assert_int_equal(auth_check("prom", "wrong", "192.0.2.1",
	    deadline_in(5.0), on_done, NULL), AUTH_BUSY);
	/* Other addresses until the queue is full. */
	while (n < AUTH_QUEUE_MAX) {
		(void)snprintf(client, sizeof(client), "198.51.100.%zu", n);
		answer_init(&q[n], 0);
		r = auth_check("prom", n % 2 ? "wrong" : "wrong2", client,
		    deadline_in(5.0), on_done, &q[n]);
		assert_int_equal(r, AUTH_PENDING);
		n++;
	}
	assert_int_equal(auth_check("prom", "wrong3", "203.0.113.9",
	    deadline_in(5.0), on_done, NULL), AUTH_BUSY);
	/* A cached check needs no room. */
	assert_int_equal(auth_check("prom", "secret", "203.0.113.9",
	    deadline_in(5.0), on_done, NULL), AUTH_OK);
	answer_open(&held);
	assert_int_equal(answer_wait(&held), AUTH_DENIED);
	for (i = 0; i < n; i++)
		denied += answer_wait(&q[i]) == AUTH_DENIED;
	assert_int_equal(denied, AUTH_QUEUE_MAX);
}

/* A check whose request's deadline passed while it waited is dropped. */
static void
test_deadline_drop(void **state)
{
	unsigned long checked0, dropped0, checked, dropped;
	static struct answer held, late;

	(void)state;
	set_user("prom", hash_secret);
	answer_init(&held, 1);
	gate = &held;
	answer_init(&late, 0);
	assert_int_equal(auth_check("prom", "wrong", "a", deadline_in(5.0),
	    on_done, &held), AUTH_PENDING);
	answer_wait_entered(&held);
	auth_stats(&checked0, &dropped0);
	assert_int_equal(auth_check("prom", "secret-late", "b",
	    deadline_in(0.001), on_done, &late), AUTH_PENDING);
	(void)usleep(5000);
	answer_open(&held);
	assert_int_equal(answer_wait(&held), AUTH_DENIED);
	assert_int_equal(answer_wait(&late), AUTH_BUSY);
	auth_stats(&checked, &dropped);
	assert_int_equal(dropped, dropped0 + 1);
	assert_int_equal(checked, checked0);
}

/* A reload keeps what was learnt of an unchanged hash, not of a new one. */
static void
test_reload(void **state)
{
	(void)state;
	set_user("prom", hash_secret);
	assert_int_equal(check_now("prom", "secret", "c"), AUTH_OK);
	set_user("prom", hash_secret);
	assert_int_equal(auth_check("prom", "secret", "c", deadline_in(5.0),
	    on_done, NULL), AUTH_OK);
	set_user("prom", hash_other);
	assert_int_equal(check_now("prom", "secret", "c"), AUTH_DENIED);
	assert_int_equal(check_now("prom", "other", "c"), AUTH_OK);
	/* Another user with the same password and hash is not "prom". */
	set_user("prom2", hash_other);
	assert_int_equal(check_now("prom", "other", "c"), AUTH_DENIED);
	assert_int_equal(auth_set_users(NULL, 0), 0);
	assert_int_equal(auth_enabled(), 0);
}

/* A failed test must not leave the checker held for the next ones. */
static int
teardown(void **state)
{
	(void)state;
	if (gate != NULL)
		answer_open(gate);
	gate = NULL;
	return 0;
}

static int
group_setup(void **state)
{
	(void)state;
	make_hash("secret", hash_secret, sizeof(hash_secret));
	make_hash("other", hash_other, sizeof(hash_other));
	return auth_start();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_match_then_cached, teardown),
		cmocka_unit_test_teardown(test_denied, teardown),
		cmocka_unit_test_teardown(test_shares, teardown),
		cmocka_unit_test_teardown(test_deadline_drop, teardown),
		cmocka_unit_test_teardown(test_reload, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
