/* provider — what the bank source asks of an open-banking aggregator, one file per
 * aggregator (enablebanking.c, gocardless.c). A third one (Kontomatik, Salt Edge, Tink) is
 * one more file implementing struct bank_provider (with its default API address and the
 * conf.d keys it needs), one line in bank_providers[] and its name in provider_names[]
 * (bank.c), and, if it signs in with other credentials than an id and a key, their keys
 * in bank_fields.
 *
 * A provider turns the aggregator's API into: the banks of a country; a consent started
 * (a URL for the person, its validity, and what finishing it needs, kept in the state
 * directory) and finished with the code the bank's redirect carried; the consent's status,
 * expiry and accounts; an account's balances; its transactions of a date range, each
 * handed over as a struct txn of the one transaction model (formats/statement.h) with the
 * best id the aggregator gives (or none: the source then uses a fingerprint); one the
 * model cannot take is handed over as it came (struct bank_txn_sink's unreadable), so
 * that one bad transaction neither stops its account's reading nor is lost.
 *
 * Ownership: a struct bank_client is made by open() and released by close(); strings in
 * the structs below are owned by them (bank_consent_clear, bank_link_clear).
 * Errors: -1 with a struct gerr whose kind says what follows, and a message for a person
 * that never holds a secret:
 *   GERR_TEMPORARY     no answer, the bank down (ASPSP_ERROR/ASPSP_TIMEOUT), 5xx, a garbled
 *                      answer: tried again next run
 *   GERR_BUSY          429 / the bank's limit of reads: this account waits until the time
 *                      the answer named (bank_http.retry_after_ms; not said: tomorrow)
 *   GERR_NEEDS_PERSON  consent expired or revoked, account inactive, application inactive
 *                      or refused: a person acts (goniec bank link)
 *   GERR_PERMANENT     a request the aggregator refuses as wrong (a bug or conf.d)
 * link_start() returns BANK_NO_SUCH_BANK (a GERR_PERMANENT error) when the configured
 * `bank:` is not one of the country's: the command then lists them.
 * transactions() returns BANK_PERIOD_REFUSED (a GERR_PERMANENT error) when the bank refuses
 * the period asked for (WRONG_TRANSACTIONS_PERIOD): a shorter one may pass. balances() and
 * transactions() return BANK_CONSENT_ENDED (a GERR_NEEDS_PERSON error) when the answer
 * says the consent itself has ended (expired or revoked) although its status looked
 * usable: the run marks the consent so.
 */
#ifndef GONIEC_BANK_PROVIDER_H
#define GONIEC_BANK_PROVIDER_H

#include <jansson.h>
#include <stdio.h>
#include <time.h>

#include "formats/statement.h"
#include "sources/bank/bank_http.h"

struct bank_conf;

#define BANK_PERIOD_REFUSED (-2)
#define BANK_CONSENT_ENDED (-3)
#define BANK_NO_SUCH_BANK (-4)

struct bank_account {
	char *id;        /* the aggregator's account id (uid; GoCardless: per requisition) */
	char *iban;      /* compact */
	char *currency;
	char *name;
};

struct bank_consent {
	char *id;            /* Enable Banking session id, GoCardless requisition id */
	char *bank;          /* ASPSP name / institution id */
	char *status;        /* the aggregator's word: AUTHORIZED, EXPIRED, LN, EX, ... */
	bool usable;         /* the status allows reading accounts */
	time_t valid_until;  /* 0: unknown */
	struct bank_account *accounts;
	size_t naccounts;
};

struct bank_link {
	char *url;           /* for the person's browser */
	time_t valid_until;  /* the consent asked for */
	json_t *pending;     /* what link_finish() needs (kept in the state dir, 0600) */
};

struct bank_balance {
	char type[16];       /* ISO 20022 code: CLBD, ITAV, ... (GoCardless's names mapped) */
	int64_t amount;      /* minor units */
	char currency[STMT_CCY_LEN + 1];
	char date[STMT_DATE_LEN + 1];   /* reference date; "" when not given */
};

struct bank_balances {
	struct bank_balance items[8];
	size_t n;
};

/* A transaction read; id is the aggregator's best id of it or NULL. Return -1 (err set)
 * to stop. */
struct bank_txn_sink {
	void *ctx;
	int (*txn)(void *ctx, const struct txn *t, const char *id, struct gerr *err);
	/* One transaction of the answer the model cannot take (no amount, an amount with too
	 * many decimals, a bad credit/debit indicator), as the API sent it and what is wrong
	 * with it (naming its place in the answer); the reading goes on with the next one. */
	void (*unreadable)(void *ctx, const json_t *raw, const char *why);
};

/* What a provider is opened with. */
struct bank_ctx {
	const struct bank_conf *conf;
	const char *source_name;
	const char *state_dir;       /* the source's, for token caches (0600) */
	struct bank_http *http;
	bool attended;               /* a person is at the command line (bank link) */
};

struct bank_client;

struct bank_provider {
	const char *name;            /* provider: in conf.d */
	const char *default_api_url; /* its production API, when api_url is not set */
	/* What the source's conf.d lacks for this aggregator ("secret_id and secret_key"), or
	 * NULL when nothing. */
	const char *(*conf_missing)(const struct bank_conf *conf);
	struct bank_client *(*open)(const struct bank_ctx *ctx, struct gerr *err);
	void (*close)(struct bank_client *c);
	/* Print the banks of a country, one a line: the name to configure, then details. */
	int (*banks)(struct bank_client *c, const char *country, FILE *out, struct gerr *err);
	/* -1, or BANK_NO_SUCH_BANK. */
	int (*link_start)(struct bank_client *c, struct bank_link *out, struct gerr *err);
	/* code: the whole redirect URL or the code alone. */
	int (*link_finish)(struct bank_client *c, const json_t *pending, const char *code,
			   struct bank_consent *out, struct gerr *err);
	/* Status, expiry and the accounts now in the consent (details of new ones read); -1,
	 * or BANK_CONSENT_ENDED. */
	int (*refresh)(struct bank_client *c, struct bank_consent *consent, struct gerr *err);
	/* -1, or BANK_CONSENT_ENDED. */
	int (*balances)(struct bank_client *c, const struct bank_account *a,
			struct bank_balances *out, struct gerr *err);
	/* Booked and pending transactions of [from, to] (YYYY-MM-DD), every page; -1,
	 * BANK_PERIOD_REFUSED when the bank refuses the period, or BANK_CONSENT_ENDED. */
	int (*transactions)(struct bank_client *c, const struct bank_account *a, const char *from,
			    const char *to, const struct bank_txn_sink *sink, struct gerr *err);
};

extern const struct bank_provider bank_provider_enablebanking;
extern const struct bank_provider bank_provider_gocardless;

/* The answer readers, apart for tests and fuzzing: a page of transactions / balances as
 * the aggregator sends them (enablebanking.c, gocardless.c). */
int bank_eb_page(const json_t *ans, const struct bank_account *a, const struct bank_txn_sink *sink,
		 struct gerr *err);
void bank_eb_balances(const json_t *ans, struct bank_balances *out);
int bank_gc_transactions(const json_t *ans, const struct bank_account *a,
			 const struct bank_txn_sink *sink, struct gerr *err);
void bank_gc_balances(const json_t *ans, struct bank_balances *out);

/* ---- helpers the providers share (provider.c) ------------------------------------------ */

void bank_account_clear(struct bank_account *a);
void bank_consent_clear(struct bank_consent *c);
void bank_link_clear(struct bank_link *l);
/* Add an account (copies). */
void bank_consent_add(struct bank_consent *c, const char *id, const char *iban,
		      const char *currency, const char *name);
/* The consent's account with this aggregator id (iban NULL) or this IBAN (id NULL), or
 * NULL. */
const struct bank_account *bank_consent_account(const struct bank_consent *c, const char *id,
						const char *iban);
/* The answer parsed as JSON, or NULL with err set (GERR_TEMPORARY: a garbled answer). */
json_t *bank_json(const struct bank_resp *r, const char *what, struct gerr *err);
/* A decimal string amount ("-12.30", "5.2") into minor units of currency. */
int bank_amount(const char *text, const char *currency, int64_t *minor, struct gerr *err);
/* "2026-11-30T10:00:00.123Z" / "+01:00" into epoch seconds; -1 when it is none. */
time_t bank_parse_time(const char *s);
/* A fresh random hex string of n bytes (2n chars + NUL) for states and references. */
void bank_random_hex(char *out, size_t n);
/* The code from a redirect URL ("...?state=..&code=X" → X) or the text itself. */
char *bank_code_from(const char *url_or_code, const char *param);
/* The string or NULL. */
const char *bank_str(const json_t *obj, const char *key);
/* Copy a date "YYYY-MM-DD..." (first 10 chars) when it is one; else "". */
void bank_set_date(char out[STMT_DATE_LEN + 1], const char *s);

#endif
