/* SPDX-License-Identifier: Apache-2.0 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "upclient.h"
#include "caps.h"
#include "err.h"

enum {
	UPC_USERNAME = 1,
	UPC_PASSWORD,
	UPC_AUTH_TYPE,
	UPC_CREDENTIALS,
	UPC_CA_PEM,
	UPC_CA_FILE,
	UPC_CERT_PEM,
	UPC_CERT_FILE,
	UPC_KEY_PEM,
	UPC_KEY_FILE,
	UPC_SERVER_NAME,
	UPC_PROXY_URL,
	UPC_NO_PROXY,
	UPC_INSECURE,		/* integers from here */
	UPC_MIN_VERSION,
	UPC_MAX_VERSION,
	UPC_PROXY,
	UPC_FOLLOW,
	UPC_HEADER,
	UPC_TAGS,
};

/* Where each string tag lives, and whether it is a secret. */
static const struct {
	size_t	 off;
	int	 secret;
} upc_strings[UPC_INSECURE] = {
	[UPC_USERNAME] = { offsetof(struct upclient, username), 0 },
	[UPC_PASSWORD] = { offsetof(struct upclient, password), 1 },
	[UPC_AUTH_TYPE] = { offsetof(struct upclient, auth_type), 0 },
	[UPC_CREDENTIALS] = { offsetof(struct upclient, credentials), 1 },
	[UPC_CA_PEM] = { offsetof(struct upclient, ca_pem), 0 },
	[UPC_CA_FILE] = { offsetof(struct upclient, ca_file), 0 },
	[UPC_CERT_PEM] = { offsetof(struct upclient, cert_pem), 0 },
	[UPC_CERT_FILE] = { offsetof(struct upclient, cert_file), 0 },
	[UPC_KEY_PEM] = { offsetof(struct upclient, key_pem), 1 },
	[UPC_KEY_FILE] = { offsetof(struct upclient, key_file), 0 },
	[UPC_SERVER_NAME] = { offsetof(struct upclient, server_name), 0 },
	[UPC_PROXY_URL] = { offsetof(struct upclient, proxy_url), 1 },
	[UPC_NO_PROXY] = { offsetof(struct upclient, no_proxy), 0 },
};

static char **
upc_str(struct upclient *c, int tag)
{
	return (char **)(void *)((char *)c + upc_strings[tag].off);
}

static const char *
upc_cstr(const struct upclient *c, int tag)
{
	return *(char *const *)(const void *)((const char *)c +
	    upc_strings[tag].off);
}

/* Frees a string that may hold a secret, zeroed first. */
static void
upc_burn(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

void
upclient_defaults(struct upclient *c)
{
	memset(c, 0, sizeof(*c));
	c->proxy = UPCLIENT_PROXY_ENV;
	c->follow_redirects = 1;
}

static int
put_be32(struct buf *out, uint32_t v)
{
	unsigned char b[4];

	b[0] = (unsigned char)(v >> 24);
	b[1] = (unsigned char)(v >> 16);
	b[2] = (unsigned char)(v >> 8);
	b[3] = (unsigned char)v;
	return buf_append(out, b, 4);
}

/* One field: tag, length, then n bytes of p and m bytes of q. */
static int
put_field(struct buf *out, int tag, const void *p, size_t n, const void *q,
    size_t m)
{
	unsigned char t = (unsigned char)tag;
	int r;

	if (n + m > UPCLIENT_MAX)
		return ERR_TOOBIG;
	if ((r = buf_append(out, &t, 1)) != 0 ||
	    (r = put_be32(out, (uint32_t)(n + m))) != 0 ||
	    (n > 0 && (r = buf_append(out, p, n)) != 0) ||
	    (m > 0 && (r = buf_append(out, q, m)) != 0))
		return r;
	return 0;
}

static int
put_int(struct buf *out, int tag, int v)
{
	unsigned char b[4];

	b[0] = (unsigned char)((uint32_t)v >> 24);
	b[1] = (unsigned char)((uint32_t)v >> 16);
	b[2] = (unsigned char)((uint32_t)v >> 8);
	b[3] = (unsigned char)v;
	return put_field(out, tag, b, 4, NULL, 0);
}

/* A header: u8 secret, u32 name length, name, value. */
static int
put_header(struct buf *out, const struct upclient_header *h)
{
	unsigned char pre[5];
	size_t nl = strlen(h->name), vl = strlen(h->value);
	uint32_t n = (uint32_t)nl;
	struct buf tmp;
	int r;

	if (strpbrk(h->name, "\r\n") != NULL ||
	    strpbrk(h->value, "\r\n") != NULL || nl == 0)
		return ERR_INVAL;
	pre[0] = h->secret ? 1 : 0;
	pre[1] = (unsigned char)(n >> 24);
	pre[2] = (unsigned char)(n >> 16);
	pre[3] = (unsigned char)(n >> 8);
	pre[4] = (unsigned char)n;
	buf_init(&tmp, UPCLIENT_MAX);
	if ((r = buf_append(&tmp, pre, 5)) == 0 &&
	    (r = buf_append(&tmp, h->name, nl)) == 0)
		r = put_field(out, UPC_HEADER, buf_ptr(&tmp), buf_len(&tmp),
		    h->value, vl);
	buf_cleanup(&tmp);
	return r;
}

int
upclient_put(struct buf *out, const struct upclient *c)
{
	size_t start = buf_len(out), i;
	const char *s;
	int tag, r = 0;

	for (tag = UPC_USERNAME; r == 0 && tag < UPC_INSECURE; tag++)
		if ((s = upc_cstr(c, tag)) != NULL)
			r = put_field(out, tag, s, strlen(s), NULL, 0);
	if (r == 0)
		r = put_int(out, UPC_INSECURE, c->insecure);
	if (r == 0)
		r = put_int(out, UPC_MIN_VERSION, c->min_version);
	if (r == 0)
		r = put_int(out, UPC_MAX_VERSION, c->max_version);
	if (r == 0)
		r = put_int(out, UPC_PROXY, c->proxy);
	if (r == 0)
		r = put_int(out, UPC_FOLLOW, c->follow_redirects);
	for (i = 0; r == 0 && i < c->nheaders; i++)
		r = put_header(out, &c->headers[i]);
	if (r == 0 && buf_len(out) - start > UPCLIENT_MAX)
		r = ERR_TOOBIG;
	if (r != 0) {
		/* What was appended may hold a secret. */
		explicit_bzero((char *)(uintptr_t)buf_ptr(out) + start,
		    buf_len(out) - start);
		buf_truncate(out, start);
	}
	return r;
}

int
upclient_add_header(struct upclient *c, const char *name, const char *value,
    int secret)
{
	struct upclient_header *h;

	if (c->nheaders >= UPCLIENT_MAX_HEADERS)
		return ERR_TOOBIG;
	h = realloc(c->headers, (c->nheaders + 1) * sizeof(*h));
	if (h == NULL)
		return ERR_NOMEM;
	c->headers = h;
	h = &c->headers[c->nheaders];
	h->secret = secret != 0;
	if ((h->name = strdup(name)) == NULL)
		return ERR_NOMEM;
	if ((h->value = strdup(value)) == NULL) {
		free(h->name);
		return ERR_NOMEM;
	}
	c->nheaders++;
	return 0;
}

static uint32_t
get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* A copy of n bytes as a string; NUL inside is refused. */
static int
get_text(const unsigned char *p, size_t n, char **out)
{
	if (memchr(p, '\0', n) != NULL)
		return ERR_NUL;
	if ((*out = malloc(n + 1)) == NULL)
		return ERR_NOMEM;
	memcpy(*out, p, n);
	(*out)[n] = '\0';
	return 0;
}

/* An integer field's value, range-checked by its tag. */
static int
get_int(struct upclient *c, int tag, const unsigned char *p, size_t n)
{
	uint32_t v;

	if (n != 4)
		return ERR_INVAL;
	v = get_be32(p);
	switch (tag) {
	case UPC_INSECURE:
	case UPC_FOLLOW:
		if (v > 1)
			return ERR_INVAL;
		*(tag == UPC_INSECURE ? &c->insecure : &c->follow_redirects) =
		    (int)v;
		return 0;
	case UPC_MIN_VERSION:
	case UPC_MAX_VERSION:
		if (v != 0 && (v < 0x0301 || v > 0x0304))
			return ERR_INVAL;
		*(tag == UPC_MIN_VERSION ? &c->min_version :
		    &c->max_version) = (int)v;
		return 0;
	default:
		if (v > UPCLIENT_PROXY_URL)
			return ERR_INVAL;
		c->proxy = (int)v;
		return 0;
	}
}

/* A header field: u8 secret, u32 name length, name, value. */
static int
get_header(struct upclient *c, const unsigned char *p, size_t n)
{
	char *name = NULL, *value = NULL;
	uint32_t nl;
	int r;

	if (n < 5 || p[0] > 1)
		return ERR_INVAL;
	nl = get_be32(p + 1);
	if (nl == 0 || nl > n - 5)
		return ERR_INVAL;
	if ((r = get_text(p + 5, nl, &name)) != 0 ||
	    (r = get_text(p + 5 + nl, n - 5 - nl, &value)) != 0)
		goto out;
	if (strpbrk(name, "\r\n") != NULL || strpbrk(value, "\r\n") != NULL)
		r = ERR_INVAL;
	else
		r = upclient_add_header(c, name, value, p[0]);
 out:
	free(name);
	upc_burn(value);
	return r;
}

int
upclient_get(const unsigned char *p, size_t len, struct upclient *c)
{
	unsigned char seen[UPC_TAGS];
	size_t n;
	int tag, r = 0;

	upclient_defaults(c);
	memset(seen, 0, sizeof(seen));
	if (len > UPCLIENT_MAX)
		return ERR_TOOBIG;
	while (r == 0 && len > 0) {
		if (len < 5) {
			r = ERR_TRUNCATED;
			break;
		}
		tag = p[0];
		n = get_be32(p + 1);
		p += 5;
		len -= 5;
		if (n > len) {
			r = ERR_TRUNCATED;
			break;
		}
		if (tag < UPC_USERNAME || tag >= UPC_TAGS)
			r = ERR_TYPE;
		else if (tag != UPC_HEADER && seen[tag]++)
			r = ERR_INVAL;
		else if (tag < UPC_INSECURE)
			r = get_text(p, n, upc_str(c, tag));
		else if (tag < UPC_HEADER)
			r = get_int(c, tag, p, n);
		else
			r = get_header(c, p, n);
		p += n;
		len -= n;
	}
	if (r != 0)
		upclient_free(c);
	return r;
}

void
upclient_free(struct upclient *c)
{
	size_t i;
	int tag;

	if (c == NULL)
		return;
	for (tag = UPC_USERNAME; tag < UPC_INSECURE; tag++) {
		if (upc_strings[tag].secret)
			upc_burn(*upc_str(c, tag));
		else
			free(*upc_str(c, tag));
	}
	for (i = 0; i < c->nheaders; i++) {
		free(c->headers[i].name);
		upc_burn(c->headers[i].value);
	}
	free(c->headers);
	memset(c, 0, sizeof(*c));
}

/* Decodes %XX in n bytes of p into a new string. */
static int
url_decode(const char *p, size_t n, char **out)
{
	static const char hex[] = "0123456789abcdef0123456789ABCDEF";
	const char *h, *l;
	size_t i, k = 0;
	char *s;

	if ((s = malloc(n + 1)) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < n; i++) {
		if (p[i] != '%') {
			s[k++] = p[i];
			continue;
		}
		if (i + 2 >= n)
			goto bad;
		if ((h = memchr(hex, p[i + 1], 32)) == NULL ||
		    (l = memchr(hex, p[i + 2], 32)) == NULL)
			goto bad;
		s[k] = (char)(((h - hex) % 16) << 4 | (l - hex) % 16);
		if (s[k++] == '\0')
			goto bad;
		i += 2;
	}
	s[k] = '\0';
	*out = s;
	return 0;
 bad:
	explicit_bzero(s, n + 1);
	free(s);
	return ERR_INVAL;
}

int
upclient_userinfo(const char *url, char *bare, size_t baresz, char **user,
    char **password, const char **raw, size_t *rawlen)
{
	const char *auth, *end, *at = NULL, *colon, *p;
	size_t n;
	int r;

	*user = *password = NULL;
	*raw = NULL;
	*rawlen = 0;
	auth = strstr(url, "://");
	auth = auth == NULL ? url : auth + 3;
	end = auth + strcspn(auth, "/?#");
	/* The last @ of the authority: a password may hold an @. */
	for (p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	n = strlen(url);
	if (at == NULL) {
		if (n >= baresz)
			return ERR_TOOBIG;
		memcpy(bare, url, n + 1);
		return 0;
	}
	if (n - (size_t)(at + 1 - auth) >= baresz)
		return ERR_TOOBIG;
	memcpy(bare, url, (size_t)(auth - url));
	memcpy(bare + (auth - url), at + 1, strlen(at + 1) + 1);
	colon = memchr(auth, ':', (size_t)(at - auth));
	if ((r = url_decode(auth, (size_t)((colon != NULL ? colon : at) -
	    auth), user)) != 0)
		return r;
	if (colon != NULL) {
		if ((r = url_decode(colon + 1, (size_t)(at - colon - 1),
		    password)) != 0) {
			free(*user);
			*user = NULL;
			return r;
		}
		*raw = colon + 1;
		*rawlen = (size_t)(at - colon - 1);
	}
	return 0;
}

unsigned int
upclient_url_port(const char *url)
{
	const char *a, *end, *p;
	unsigned long port;
	char *e;

	if (url == NULL || (a = strstr(url, "://")) == NULL)
		return 0;
	a += 3;
	end = a + strcspn(a, "/?#");
	/* Past a user:password@, whose password may hold a ':'. */
	for (p = a; p < end; p++)
		if (*p == '@')
			a = p + 1;
	for (p = end; p > a && p[-1] != ':' && p[-1] != ']'; p--)
		;
	if (p > a && p[-1] == ':') {
		port = strtoul(p, &e, 10);
		return e == end && port > 0 && port < 65536 ?
		    (unsigned int)port : 0;
	}
	if (strncasecmp(url, "https:", 6) == 0)
		return 443;
	if (strncasecmp(url, "socks", 5) == 0)
		return 1080;
	return 80;
}
