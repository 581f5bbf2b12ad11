/*
 * email_addr.h - e-mail addresses in the one form Banditore hashes and stores.
 *
 * A citizen types "  Mario.Rossi@Example.ORG "; a bounce names "mario.rossi@example.org".
 * Both must find the same subscriber, so an address is trimmed and lower-cased (the
 * providers citizens use treat local parts without regard to case) before it is hashed.
 * Only plain ASCII addr-specs of the dot-atom form are accepted (RFC 5321 4.1.2 and
 * 4.5.3.1): no quoted local parts, no comments, no address literals, no SMTPUTF8. That
 * keeps every accepted address safe to put in a header and an SMTP command as it is.
 */
#ifndef BANDITORE_EMAIL_ADDR_H
#define BANDITORE_EMAIL_ADDR_H

#include <stddef.h>

#define EMAIL_ADDR_MAX 254 /* characters of an address (RFC 5321 4.5.3.1.3), without NUL */

/* Writes the canonical form of `in` into out[out_cap]: blanks around it removed,
 * ASCII lower-cased. BANDITORE_EINVAL when it is not a valid address (local part 1..64
 * characters of atext and single dots, domain of two or more labels of letters, digits
 * and inner hyphens, each 1..63 long, the last not all digits), BANDITORE_ETOOBIG when
 * out_cap is too small. */
int email_addr_canonical(const char *in, char *out, size_t out_cap);

/* The domain part of a canonical address (borrowed, inside `addr`), or NULL. */
const char *email_addr_domain(const char *addr);

#endif
