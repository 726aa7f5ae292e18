/* update — bring a company's payments up to date: read what is new in the spool into the
 * ledger, match, and file the report when something changed.
 *
 * The one way the matcher runs: the daemon runs it (`goniec payments update COMPANY`, a
 * process of its own, one company at a time) after a source of the company filed
 * something, and every `goniec payments` command runs it before it answers, so that a
 * person never sees a stale list (it waits its turn while the daemon's run holds the
 * ledger).
 *
 * The report: when a run changed anything of a company (new matches, matches revised by
 * new data, transactions left for a person) its goniec.payments/1 JSON, the CSV of the
 * payments matched and the HTML page (payments/report.h) are filed into the spool
 * through sources/filing.h as documents of kind "payments" of the pseudo-source
 * "payments" (folder <spool>/YYYY/MM/DD/payments/, names payments-COMPANY-GEN.{json,csv,
 * html}); routes forward them like any document (match: {kind: payments}). A report is
 * due until it is filed: a run that stops between matching and filing files it next time.
 * Its size is not limited by agent.max_document_size (a limit for outside documents).
 *
 * Ownership: struct payments_update holds copies the caller releases with
 * payments_update_free(). Errors: -1 with err (GERR_BUSY when the ledger stayed locked).
 */
#ifndef GONIEC_PAYMENTS_UPDATE_H
#define GONIEC_PAYMENTS_UPDATE_H

#include <jansson.h>
#include <stdbool.h>

#include "core/config.h"
#include "payments/ledger.h"

#define PAYMENTS_SOURCE "payments"

struct payments_update {
	struct ledger_ingest ingest;
	unsigned long changed, matched, person, unmatched;  /* over the companies run */
	double seconds;
	struct strlist reports;      /* spool-relative paths of the reports filed (HTML last) */
};

/* company NULL: every company with something new to decide (ledger_companies_pending) that
 * this configuration's shard runs — with full, every company of the ledger, each decided
 * again in full. A company with nothing new is not matched and its ledger not written.
 * On a shard (agent.shard) the ledger learns only of the companies of its share: the
 * others' sources, spool and ledger are another daemon's. */
int payments_update(const struct config *cfg, const char *company, bool full, struct payments_update *out,
		    struct gerr *err);
void payments_update_free(struct payments_update *u);

/* The matcher's view of a configured company (its NIP and payments settings). */
void payments_company(const struct company_conf *c, struct ledger_company *out);
/* Today in the configured time zone, "YYYY-MM-DD". */
void payments_today(char out[11]);
/* For goniec status: per company what is left for a person, open and overdue invoices,
 * the oldest transaction left (ledger_status_json), read without waiting for the
 * matcher; an empty list when there is no ledger yet (or the first matcher run is
 * creating it), NULL (after a warning) when it cannot be read. */
json_t *payments_status(const char *state_dir);

#endif
