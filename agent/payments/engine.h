/* engine — the rules that match a company's bank transactions to its invoices, in memory.
 *
 * The ledger (payments/ledger.h) loads a scope — invoices, transactions and a person's
 * decisions that can affect one another — and the engine decides every transaction of it;
 * the ledger stores what it decided. The engine reads no file and keeps nothing.
 *
 * A transaction's direction is its sign: money in (amount > 0) pays sales invoices, money
 * out (< 0) pays purchase invoices. Currencies must be the same. Pending transactions and
 * reversals are not matched (struct pm_txn.skip). Transactions are decided one by one in
 * a fixed order (date, then identity), so that any run over the same data decides the
 * same way; a person's pairs are applied first, whatever their date.
 *
 * What is open: an invoice asks its gross amount with the corrections of it (a correction
 * whose corrected invoice is known is folded into it and is no item of its own), less
 * what the register says was paid outside (cash, set-off), less what matches allocated.
 * An invoice the register or the invoice itself marks paid in full is closed. Only open
 * invoices take payments.
 *
 * The rules, in order (docs/payments.md has them with examples):
 *  person      a person paired the transaction with these invoices: so it is.
 *  number/mpp  the title names invoice numbers as whole tokens (formats/paytitle.h), or
 *              a split-payment message names one in /INV/. A number that two
 *              counterparties' invoices share is narrowed by the counterparty (below);
 *              if it stays two, a person decides. The amount must equal the open amount
 *              of the named invoice(s) together ("number", "mpp"); or the company
 *              allows partial payments and overpayments ("number-partial": the payment
 *              is allocated in due-date order, what is left over reported as overpaid);
 *              or several transfers naming one invoice together pay exactly what is open
 *              ("number-transfers"). A title naming a correction beside other invoices,
 *              or an invoice already paid, goes to a person; so does one whose numbers fit
 *              invoices in more than 32 places (they are not all looked at).
 *  counterparty  else the counterparty: a NIP (in the title, the counterparty's fields or
 *              the split-payment IDC; the company's own NIP is not a counterparty), else
 *              an account number (the counterparty's account, or one in the title), else
 *              the words of its name (every word of the name, without legal forms such as
 *              "Sp. z o.o.", in the counterparty's name or the title; the name with most
 *              words wins). Two counterparties found equally → a person. Of the
 *              counterparty's open invoices in the currency: the one whose open amount
 *              equals the payment ("counterparty-amount"); else the only set of them that
 *              sums to it exactly ("counterparty-sum"); else, with partial payments
 *              allowed, its only open invoice ("counterparty-partial").
 * Two invoices that fit equally are never chosen between: the transaction goes to a
 * person with both as candidates. What no rule decides is left for a person.
 * Certainty: "certain" (a number or split payment with the exact amount, a person's
 * pair), "likely" (counterparty and amount, or a partial payment allowed by the company).
 *
 * Ownership: the scope's arrays and strings are the caller's and must outlive the run;
 * the engine fills the caller's result (pm_result_free releases it). Never fails.
 */
#ifndef GONIEC_PAYMENTS_ENGINE_H
#define GONIEC_PAYMENTS_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/idnum.h"
#include "core/util.h"

#define PM_CANDIDATES_MAX 5   /* candidates kept for a person per transaction */
#define PM_SUBSET_MAX 24      /* open invoices of one counterparty tried for exact sums */

enum pm_dir { PM_SALES = 1, PM_PURCHASE = 2 };

struct pm_invoice {
	int64_t id;                 /* the caller's id */
	const char *ident;          /* unique and stable (orders ties the same in every run) */
	enum pm_dir dir;
	const char *number;         /* NULL or "" when it has none */
	const char *cp_name;        /* the counterparty: buyer of a sale, seller of a purchase */
	char cp_nip[NIP_LEN + 1];   /* "" when unknown */
	char *const *cp_accounts;   /* compact IBANs */
	size_t ncp_accounts;
	char currency[4];
	int64_t gross;              /* corrections of it included */
	int64_t paid_outside;       /* paid as the register says, not through these accounts */
	bool closed;                /* paid in full (register, or the invoice says so) */
	bool correction;
	bool corrects_known;        /* a correction folded into the invoice it corrects */
	char issue_date[11], due_date[11];
};

struct pm_txn {
	int64_t id;
	const char *ident;
	char date[11];              /* booking date, else value date */
	int64_t amount;             /* signed minor units */
	char currency[4];
	const char *account;        /* the company's own account */
	const char *cp_name, *cp_account, *title;
	bool skip;                  /* pending or a reversal: not matched */
};

enum pm_decision_kind {
	PM_PAIR,     /* the transaction pays this invoice (several: in the order given) */
	PM_REJECT,   /* it does not pay this invoice */
	PM_DISMISS,  /* it pays no invoice (a fee, a salary, a tax): off the list */
};

struct pm_decision {
	int64_t tx, inv;            /* inv unused for PM_DISMISS */
	enum pm_decision_kind kind;
};

enum pm_rule {
	PM_RULE_PERSON, PM_RULE_MPP, PM_RULE_NUMBER, PM_RULE_NUMBER_PARTIAL,
	PM_RULE_NUMBER_TRANSFERS, PM_RULE_COUNTERPARTY_AMOUNT, PM_RULE_COUNTERPARTY_SUM,
	PM_RULE_COUNTERPARTY_PARTIAL,
};
enum pm_certainty { PM_CERTAIN, PM_LIKELY };

struct pm_settings {
	bool partial;               /* the company allows partial payments and overpayments */
	char own_nip[NIP_LEN + 1];  /* the company's NIP: never a counterparty */
};

struct pm_scope {
	struct pm_invoice *invoices;
	size_t ninvoices;
	struct pm_txn *txns;
	size_t ntxns;
	const struct pm_decision *decisions;
	size_t ndecisions;
	struct pm_settings settings;
};

struct pm_match {
	int64_t tx, inv;
	int64_t amount;             /* allocated to the invoice, > 0 */
	enum pm_rule rule;
	enum pm_certainty certainty;
};

enum pm_state {
	PM_MATCHED,     /* fully allocated by matches */
	PM_PERSON,      /* candidates found, a person must decide (reason says why) */
	PM_UNMATCHED,   /* nothing found */
	PM_DISMISSED,   /* a person said it pays no invoice */
	PM_SKIPPED,     /* pending, reversal, zero */
};

struct pm_outcome {
	int64_t tx;
	enum pm_state state;
	char *reason;               /* for a person: what was found and why it was not taken;
				     * for a match: how it was found */
	int64_t candidates[PM_CANDIDATES_MAX];
	size_t ncandidates;
	int64_t overpaid;           /* left over after the invoices were paid (partial rule) */
};

struct pm_result {
	struct pm_match *matches;
	size_t nmatches, cap;
	struct pm_outcome *outcomes;  /* one per scope transaction, in the scope's order */
	int64_t *allocated;           /* per scope invoice: what matches allocated to it */
	int64_t *open;                /* per scope invoice: what is open after the run (0 when
				       * it takes no payment); both stay at INT64_MAX/MIN where
				       * a person's pairs take them past int64 */
};

void pm_run(const struct pm_scope *scope, struct pm_result *res);
void pm_result_free(struct pm_result *res, size_t ntxns);

/* The counterparty group an invoice belongs to: "nip:<NIP>", else "name:<words>" of its
 * name (paytitle_words), else "" (an invoice of its own). Caller frees. */
char *pm_counterparty_key(const char *nip, const char *name);

/* The keys that link a transaction and an invoice that could affect each other: an
 * invoice's number (last word of its key), NIP, accounts and its name's longest word; a
 * transaction's one-word title spans, NIPs, accounts and words. A transaction can only
 * be matched to an invoice of a counterparty it shares a key with, so the ledger finds a
 * scope to re-decide from them (payments/ledger.h). kind: 'n' number, 't' NIP,
 * 'a' account, 'w' word. */
typedef void (*pm_key_fn)(void *ctx, char kind, const char *key);
void pm_invoice_keys(const struct pm_invoice *inv, pm_key_fn fn, void *ctx);
void pm_txn_keys(const struct pm_txn *t, const char *own_nip, pm_key_fn fn, void *ctx);

/* Names for JSON and text: "person", "mpp", "number", ...; "certain", "likely";
 * "matched", "person", "unmatched", "dismissed", "skipped"; "sales", "purchase". */
const char *pm_rule_name(enum pm_rule r);
const char *pm_certainty_name(enum pm_certainty c);
const char *pm_state_name(enum pm_state s);
const char *pm_dir_name(enum pm_dir d);

#endif
