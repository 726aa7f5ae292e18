/* utf8 — reading and checking UTF-8 text.
 *
 * goniec's own text (sidecars, logs, error messages, JSON it writes) is UTF-8; outside
 * data is checked with these before it is taken as such, and an error message that quotes
 * outside bytes is made valid with utf8_scrub() (core/util.h's gerr functions do it).
 *
 * Ownership: nothing is allocated. Errors: none beyond the return values.
 */
#ifndef GONIEC_CORE_UTF8_H
#define GONIEC_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* The next code point of UTF-8 text at *p (at most `left` bytes), advancing *p;
 * -1 for an invalid, overlong or truncated sequence (then *p is not moved). */
long utf8_next(const unsigned char **p, size_t left);
bool utf8_valid(const char *s, size_t len);
/* Make the string valid UTF-8 in place: each byte that does not begin a valid sequence
 * becomes '?'. Returns how many were replaced. */
size_t utf8_scrub(char *s);

#endif
