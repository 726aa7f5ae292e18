/* pkce — Proof Key for Code Exchange (RFC 7636) for OAuth2 / OpenID Connect logins: a
 * random code verifier, its S256 challenge (base64url of the verifier's SHA-256, without
 * padding), and a random state and nonce for the authorisation request.
 *
 * The verifier is 32 random bytes in base64url (43 characters, inside RFC 7636's 43..128);
 * state and nonce are 16 random bytes each. Randomness from libcrypto's RAND_bytes.
 *
 * Ownership: struct pkce holds its strings inline; pkce_wipe() clears them.
 * Errors: pkce_new() returns -1 with err when no randomness is to be had.
 */
#ifndef GONIEC_PORTAL_PKCE_H
#define GONIEC_PORTAL_PKCE_H

#include "core/util.h"

struct pkce {
	char verifier[64];
	char challenge[64];
	char state[32];
	char nonce[32];
};

int pkce_new(struct pkce *k, struct gerr *err);
/* The S256 challenge of a verifier (owned by the caller). */
char *pkce_challenge(const char *verifier);
void pkce_wipe(struct pkce *k);

#endif
