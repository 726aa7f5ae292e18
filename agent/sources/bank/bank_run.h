/* bank_run — what the parts of the bank source share (internal to sources/bank/):
 *   bank.c          configuration, opening a provider, the run over the accounts
 *   bank_account.c  one account in a run: limits, balances, transactions, dedupe, filing
 *   bank_cli.c      `goniec bank link` / `accounts`, the consent's alerts, status details
 *
 * Ownership: struct bank_session owns everything in it; bank_open() fills it (also when it
 * fails: the consent is loaded anyway) and bank_close() releases it.
 */
#ifndef GONIEC_BANK_RUN_H
#define GONIEC_BANK_RUN_H

#include <jansson.h>

#include "sources/bank/bank.h"
#include "sources/bank/provider.h"

struct bank_session {
	const struct bank_conf *conf;
	const struct bank_provider *provider;
	const struct source_conf *src;
	struct bank_client *client;
	struct bank_http http;
	struct bank_consent consent;
	json_t *pending;
	char *state_dir;
};

extern const struct bank_provider *const bank_providers[];

int bank_open(struct bank_session *s, const struct config *cfg, const struct source_conf *src,
	      const char *state_dir, bool attended, struct gerr *err);
void bank_close(struct bank_session *s);
char *bank_state_dir(const struct config *cfg, const struct source_conf *src);

/* The consent has ended although its status looked usable (a provider said
 * BANK_CONSENT_ENDED): kept as not usable, status "ENDED", so that its alert is told once
 * (bank_attention) until it is renewed. */
void bank_consent_ended(struct bank_session *s);

/* The run's outcome of an error: needs a person, or failed (retried next run). */
enum run_outcome bank_outcome(const struct gerr *err);

/* Read one account into the spool; `accounts` is bank-accounts.json, updated in place. */
enum run_outcome bank_read_account(struct bank_session *s, struct source_run *run,
				   const struct bank_account *a, json_t *accounts);

/* source_type hooks (bank_cli.c) */
char *bank_attention(const struct config *cfg, const struct source_conf *src,
		     struct alert_stages *stages);
json_t *bank_details(const char *state_dir, const struct source_conf *src);

#endif
