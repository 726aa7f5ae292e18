/* ksef/auth — signing in to KSeF with a KSeF token, and the session that gives.
 *
 * As CIRFMF/ksef-docs uwierzytelnianie.md describes it:
 *   1. POST /auth/challenge → challenge and timestampMs (a challenge lives 10 minutes);
 *   2. KSeF's public-key certificate for KsefTokenEncryption, from
 *      GET /security/public-key-certificates, kept in the state directory
 *      (ksef-key.json) and fetched again once its validTo has passed;
 *   3. POST /auth/ksef-token with "<token>|<timestampMs>" encrypted (ksef/crypto.h) and
 *      the context {type: Nip, value: <the company's NIP>};
 *   4. GET /auth/{referenceNumber} polled until the operation ends: 200 succeeds, any
 *      other code ends the sign-in with KSeF's description and details;
 *   5. POST /auth/token/redeem → access token (minutes) and refresh token (days).
 * The tokens are kept in the state directory (ksef-session.json, mode 0600) for as long
 * as the session lasts, so that an interrupted run can go on with them. The access token
 * is renewed with POST /auth/token/refresh a minute before it expires, or when KSeF
 * answers 401; a refresh that is refused means signing in again. ksef_sign_out() ends the
 * session (DELETE /auth/sessions/current, so the refresh token is dead) and removes the
 * file: a run leaves no live session behind.
 *
 * Needing a person: a sign-in that KSeF ends with status 415 (no permissions), 425
 * (revoked), 450 (bad token: wrong, revoked, inactive), 460, 470 or 480 (blocked) is not
 * repeated: err is of kind GERR_NEEDS_PERSON and holds KSeF's reason. 500 and 550 pass.
 * The state files go through core/statefile.h (a damaged one is set aside: a new
 * sign-in, a new key).
 *
 * Ownership: struct ksef_session owns its strings (ksef_session_free() wipes them).
 * Errors: -1 with err for a person; the token never appears in a message or a log.
 */
#ifndef GONIEC_KSEF_AUTH_H
#define GONIEC_KSEF_AUTH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "sources/ksef/client.h"

#define KSEF_SESSION_FILE "ksef-session.json"
#define KSEF_KEY_FILE "ksef-key.json"
#define KSEF_RENEW_BEFORE_MS 60000   /* renew the access token this long before it ends */
#define KSEF_AUTH_POLL_MAX_MS 120000 /* give up on an operation still in progress */

struct ksef_session {
	const char *state_dir;   /* borrowed */
	const char *nip;         /* borrowed: the context */
	const char *token;       /* borrowed: the KSeF token */
	char *access, *refresh;
	int64_t access_until, refresh_until;   /* ms since 1970 */
	unsigned long refreshed, signins;
};

/* Have a valid access token: the saved session's, refreshed, or a new sign-in. */
int ksef_sign_in(struct ksef_client *c, struct ksef_session *s, struct gerr *err);
/* Before a request: renew the access token when it ends within KSEF_RENEW_BEFORE_MS, or
 * always when `expired` (KSeF answered 401). */
int ksef_keep_access(struct ksef_client *c, struct ksef_session *s, bool expired,
		     struct gerr *err);
/* End the session at KSeF and forget it. Failures are logged, not returned. */
void ksef_sign_out(struct ksef_client *c, struct ksef_session *s);
void ksef_session_free(struct ksef_session *s);

/* Readers of KSeF's sign-in answers (no I/O; tests/fuzz/fuzz_ksef.c feeds them anything).
 * ksef_pick_key(): of GET /security/public-key-certificates' list, the certificate for
 * KsefTokenEncryption in force at `now` (ms) that stays valid the longest, as
 * {certificate, publicKeyId, validTo} (the caller's; certificate and validTo strings,
 * validTo after now); NULL when there is none.
 * ksef_take_token(): a {token, validUntil} answer member into *token (the old one wiped)
 * and *until; -1, both untouched, when either is missing or validUntil is no date-time.
 * ksef_status_text(): an operation's {code, description, details} in words (the caller's). */
json_t *ksef_pick_key(const json_t *list, int64_t now);
int ksef_take_token(const json_t *info, char **token, int64_t *until);
char *ksef_status_text(const json_t *status);

#endif
