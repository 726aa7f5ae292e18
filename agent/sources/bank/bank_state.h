/* bank_state — what the bank source keeps between runs, in its state directory (0600):
 *
 *   bank-consent.json   the consent: aggregator, id (session / requisition), bank, status,
 *                       valid_until, the accounts in it; and a consent being started
 *                       ("pending": what finishing it needs)
 *   bank-accounts.json  per IBAN: last booked day, the keys of transactions recorded in
 *                       the current window (id or fingerprint, with their booking day),
 *                       keys of the pending ones last reported, reads counted today,
 *                       when a 429 lets it be read again, the last balances and the last
 *                       transaction booked
 *
 * Both are state files of core/statefile.h, with its one behaviour: a missing file is
 * empty state; a damaged one is moved aside to "<name>.damaged", a warning names it, and
 * the source starts afresh (an account is then read from `history` again, and dedupe by
 * the spool's index keeps anything from being filed twice; a lost consent is linked
 * again); an unreadable one (permissions, I/O) stops the caller.
 *
 * Ownership: loaders return new JSON references / fill structs the caller clears.
 * Errors: -1 with err set (unreadable, or not saved).
 */
#ifndef GONIEC_BANK_STATE_H
#define GONIEC_BANK_STATE_H

#include <jansson.h>

#include "sources/bank/provider.h"

/* The consent (zeroed when there is none: c->id == NULL) and the pending start (NULL).
 * On -1 both are empty too. */
int bank_consent_load(const char *state_dir, struct bank_consent *c, json_t **pending,
		      struct gerr *err);
int bank_consent_save(const char *state_dir, const char *provider, const struct bank_consent *c,
		      const json_t *pending, struct gerr *err);

/* *out: the accounts' state, an empty object on a first run (NULL on -1). */
int bank_accounts_load(const char *state_dir, json_t **out, struct gerr *err);
int bank_accounts_save(const char *state_dir, const json_t *accounts, struct gerr *err);

#endif
