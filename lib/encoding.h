/* SPDX-License-Identifier: Apache-2.0 */
#ifndef ENCODING_H
#define ENCODING_H

/*
 * Which content coding a request's Accept-Encoding fields allow (RFC
 * 9110, 12.5.3).  A field is a comma-separated list of codings, each with
 * an optional weight ";q=" from 0 to 1 with up to three decimals; names
 * and "q" are case-insensitive; "*" stands for every coding not listed;
 * "x-gzip" is gzip.  An element that does not parse is left out, as if
 * not sent.  A request may send several fields: they add up.
 */

/* Weights in thousandths, or -1 while not listed.  Fields are private. */
struct encoding_accept {
	int	_gzip;
	int	_identity;
	int	_any;
};

/* Nothing listed yet (a request without Accept-Encoding). */
void	encoding_init(struct encoding_accept *a);

/* Adds one field's value; a coding listed twice keeps its higher weight. */
void	encoding_add(struct encoding_accept *a, const char *value);

/*
 * 1 when the answer should be gzip: gzip's weight (its own, else that of
 * "*", else 0) is above 0 and at least identity's (its own, else that of
 * "*", else 0: always acceptable, preferred only when weighed higher).
 * 0 otherwise, and without any field.
 */
int	encoding_gzip(const struct encoding_accept *a);

#endif /* ENCODING_H */
