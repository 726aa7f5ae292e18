/* bank — the `bank` source type: bank accounts read through an open-banking aggregator
 * (provider: enablebanking or gocardless; sources/bank/provider.h), three times a day.
 *
 * Connecting a bank is a person's step (`goniec bank link NAME`, then `--code`); the
 * consent (session / requisition) is kept in <state>/sources/<name>/bank-consent.json
 * (0600). Each run reads, for every account taken (`accounts:` all or a list of IBANs),
 * the balances and the transactions since the last booked day less `overlap` (or
 * `history` back on the first run), every page; drops what was recorded before (the
 * bank's id, else a fingerprint of date, amount, direction, counterparty and title);
 * keeps pending transactions out of the record until they are booked; and files, when
 * something is new, one goniec.transactions/1 document with the statement and balances
 * in its sidecar, plus MT940 and/or CAMT.053 renderings when `export:` asks.
 * Per-account state (last booked day, ids seen, reads counted per day against the PSD2
 * limit, a 429's wait, the last balance) is in bank-accounts.json (0600).
 *
 * Ownership: the conf belongs to the config; functions here own nothing across calls.
 * Errors: command functions print for a person and return EXIT_* codes; the run reports
 * through run->err (no secrets).
 */
#ifndef GONIEC_BANK_H
#define GONIEC_BANK_H

#include <stdio.h>

#include "core/confschema.h"
#include "sources/source.h"

enum bank_provider_id { BANK_ENABLEBANKING, BANK_GOCARDLESS };
enum bank_psu_type { BANK_PSU_BUSINESS, BANK_PSU_PERSONAL };

struct bank_conf {
	int provider;                 /* enum bank_provider_id */
	char *application_id;         /* Enable Banking */
	struct secret private_key;    /* Enable Banking: PEM (private_key_file: path) */
	char *secret_id;              /* GoCardless */
	struct secret secret_key;     /* GoCardless */
	char *bank;                   /* ASPSP name / institution id; NULL: not chosen yet */
	char *country;
	int psu_type;                 /* enum bank_psu_type */
	char *redirect_url;
	int64_t consent_validity;     /* seconds asked for (capped by the bank) */
	struct strlist accounts;      /* IBANs taken; empty: all */
	int64_t history;              /* seconds back on the first run */
	int64_t overlap;              /* seconds re-read before the last booked day */
	struct strlist types;         /* incoming, outgoing */
	struct strlist export;        /* mt940, camt053 */
	int mt940_encoding;           /* enum mt940_charset */
	long daily_reads;             /* unattended reads per account per day */
	char *api_url;                /* base URL (default per provider) */
	char *ca_file;
};

extern const struct source_type source_type_bank;

/* `goniec bank link NAME [--code URL-or-code]` (without `bank:`, or with one the country
 * does not have: the banks of the country), `goniec bank accounts NAME`. */
int bank_command_link(const struct config *cfg, const struct source_conf *src, const char *code);
int bank_command_accounts(const struct config *cfg, const struct source_conf *src);

#endif
