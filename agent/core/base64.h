/* base64 — Base64 (RFC 4648 §4) and base64url (§5) for what portals send and want: a
 * JWT's payload, a PDF delivered inside JSON, a PKCE challenge, a value a recipe encodes.
 *
 * Encoding: b64_encode() with padding ("+/", "="), b64url_encode() without ("-_").
 * Decoding: b64_decode() accepts either alphabet (not mixed in one text), with or without
 * padding, and ignores ASCII white space (line breaks of a wrapped PDF); anything else —
 * a stray character, padding in the middle, a length that cannot be Base64, leftover bits
 * that are not zero — is refused. The bytes come out through libcrypto's EVP decoder.
 *
 * Ownership: results are allocated (NUL-terminated for convenience) and the caller's.
 * Errors: b64_decode() returns -1 with err saying what is wrong and where (offset).
 */
#ifndef GONIEC_CORE_BASE64_H
#define GONIEC_CORE_BASE64_H

#include <stddef.h>

#include "core/util.h"

char *b64_encode(const void *data, size_t len);
char *b64url_encode(const void *data, size_t len);
/* Decode text[0..len) into *out (len in *out_len, NUL appended). */
int b64_decode(const char *text, size_t len, unsigned char **out, size_t *out_len,
	       struct gerr *err);

#endif
