/* ledger — what goniec knows of each company's invoices, bank transactions and payments:
 * an SQLite database in the state directory (<state>/ledger.db), kept by the matcher.
 *
 * What it holds:
 *   invoices      from the sidecars of invoice documents (KSeF XML, PDFs read by the field
 *                 rules, portals) and from invoice registers (goniec.register/1
 *                 documents the `register` source files); one row per invoice, however
 *                 many documents carry it: a document that names another as its original
 *                 (duplicate_of), or has the same KSeF number, or the same direction,
 *                 counterparty NIP and invoice number, is merged into it (values read from
 *                 XML, KSeF, a portal or a register win over values read from PDF text).
 *                 Corrections are linked to the invoice they correct.
 *   transactions  from statement documents (MT940, CAMT, bank CSV, goniec.transactions/1),
 *                 read through formats/stmtfile.h; booked ones only (a pending one comes
 *                 again booked). One row per transaction however many statements carry it
 *                 (overlapping bank runs, a file and the API): identified by the account,
 *                 the date, the amount, the title's first letters and digits, and which of
 *                 that day's identical entries it is — never by a bank's id, which
 *                 differs between a file and an API and changes when a provider re-issues
 *                 them (bank.md §6.3).
 *   matches       transaction ↔ invoice with the amount, rule and certainty
 *                 (payments/engine.h); what a run decided in narrow tables of their own,
 *                 which a run rewrites instead of the wide rows above: each transaction's
 *                 outcome (tx_outcomes: state, reason, candidates), each invoice's open
 *                 amount (inv_open), and the rows new or changed since the last run
 *                 (tx_pending, inv_pending).
 *   decisions     a person's pairs, rejections and dismissals, by the transaction's and
 *                 invoice's identities (kept through a rebuild; never overridden).
 *   balances      each account's latest closing balance from its statements.
 *   scanned       each source folder of the spool read to the end, with its modification
 *                 time then: a folder whose time is unchanged is not read again
 *                 (ledger_ingest_spool; a time younger than a few seconds is not kept).
 *
 * One writer: ledger_open(LEDGER_WRITE) takes <state>/ledger.lock (flock) for the handle's
 * life, waiting at most LEDGER_LOCK_WAIT seconds; the daemon's matcher and a person's
 * `goniec payments` take turns. The database is in WAL mode, so readers
 * (LEDGER_READ: `goniec status`) never block the writer nor wait for it. Every step that
 * changes the ledger (reading new documents, a matching run, a decision) is one SQLite
 * transaction: a crash leaves the ledger as it was before the step, and the next run
 * does the step again. A decision is durable when ledger_decide() returns. Creating or
 * migrating the schema is one transaction too; LEDGER_READ of a ledger still being
 * created (its file made, its schema not yet committed) fails with GERR_BUSY.
 *
 * Matching (ledger_match): the engine decides again every transaction that new or changed
 * data can affect — the new transactions, those linked (payments/engine.h, keys) to new or
 * changed invoices or decisions, and everything linked to those in turn — so an
 * incremental run gives what a run over everything gives, and `goniec ledger rebuild`
 * (drop all but the decisions, read the spool again, match everything) gives the same
 * matches.
 *
 * The schema is versioned (PRAGMA user_version = LEDGER_SCHEMA); an older ledger is
 * migrated step by step when opened for writing; a newer one (a downgrade) is refused.
 *
 * Ownership: struct ledger is the caller's until ledger_close(); JSON results are new
 * references. Errors: -1 with err naming the database or the document; kind
 * GERR_BUSY when the lock could not be had in time.
 */
#ifndef GONIEC_PAYMENTS_LEDGER_H
#define GONIEC_PAYMENTS_LEDGER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/idnum.h"
#include "core/util.h"
#include "payments/engine.h"

#define LEDGER_FILE "ledger.db"
#define PAYMENTS_SCHEMA "goniec.payments/1"
#define LEDGER_LOCK_FILE "ledger.lock"
#define LEDGER_SCHEMA 5
#define LEDGER_LOCK_WAIT 120
/* A run that would re-decide more than this share (percent) of a company's transactions
 * decides all of them at once instead (one pass is cheaper than the closure then). */
#define LEDGER_FULL_PERCENT 20

struct ledger;

enum ledger_mode { LEDGER_READ, LEDGER_WRITE };

/* A company as the matcher needs it (from conf.d). */
struct ledger_company {
	const char *id;
	char nip[NIP_LEN + 1];     /* "" when conf.d gives none */
	bool partial;              /* payments.partial: partial payments and overpayments */
};

int ledger_open(const char *state_dir, enum ledger_mode mode, struct ledger **out, struct gerr *err);
void ledger_close(struct ledger *lg);
/* The schema version of the open database. */
int ledger_schema(struct ledger *lg);

/* ---- reading the spool -------------------------------------------------------------------- */

struct ledger_ingest {
	unsigned long documents;     /* documents read */
	unsigned long transactions;  /* new transactions */
	unsigned long invoices;      /* new or changed invoices */
	unsigned long problems;      /* documents that could not be read (logged, recorded) */
};

/* Read the documents filed since the last call (every company's: the date folders from
 * the day before the newest one read last time on, in them the source folders changed since
 * they were last read to the end; each document once). Companies not in the list are read
 * too, with no NIP. */
int ledger_ingest_spool(struct ledger *lg, const char *spool_root, const struct ledger_company *companies,
			size_t ncompanies, struct ledger_ingest *st, struct gerr *err);

/* ---- matching ------------------------------------------------------------------------------- */

struct ledger_run {
	bool full;                   /* every transaction was decided */
	unsigned long scope_txns, scope_invoices;
	unsigned long changed;       /* transactions whose matches or state changed */
	unsigned long matched, person, unmatched;   /* of the changed ones, now */
	int64_t generation;          /* the company's run number, when something changed */
	double seconds;              /* wall clock */
	double cpu_seconds;          /* of this process (clock()) */
};

/* Decide what new data can affect (full: everything) for one company. When something
 * changed, the company's generation goes up and a report is due (ledger_report_due).
 * With nothing new (and not full) the ledger is not written at all (run->scope_txns 0). */
int ledger_match(struct ledger *lg, const struct ledger_company *c, bool full, struct ledger_run *run,
		 struct gerr *err);

/* Drop everything but the decisions and read the whole spool again, then match every
 * company in the list (and every other company found) in full. */
int ledger_rebuild(struct ledger *lg, const char *spool_root, const struct ledger_company *companies,
		   size_t ncompanies, struct gerr *err);

/* ---- a person's decisions ------------------------------------------------------------------ */

/* tx: a transaction's reference (a prefix of its ref, at least 6 characters), in company
 * (NULL: in whichever company has it); invs: the invoices' references or numbers (a
 * number that is not unique is refused, naming the references to use). PM_PAIR: the
 * transaction pays these invoices (replacing earlier pairs and dismissals of it);
 * PM_REJECT: it pays none of them; PM_DISMISS: it pays no invoice (invs empty). The
 * transaction is decided again at the next ledger_match. *tx_company (may be NULL) gets
 * the transaction's company (the caller frees it). */
int ledger_decide(struct ledger *lg, const char *company, enum pm_decision_kind kind, const char *tx,
		  const char *const *invs, size_t ninvs, const char *by, char **tx_company, struct gerr *err);
/* Remove a person's decisions of a transaction ("undo"); the rules decide it again. */
int ledger_undecide(struct ledger *lg, const char *company, const char *tx, char **tx_company,
		    struct gerr *err);
/* Every company the ledger knows, by id. */
int ledger_companies(struct ledger *lg, struct strlist *out, struct gerr *err);
/* The companies with something new to decide (new or changed transactions, invoices or a
 * person's decisions since their last run), by id: the others need no run. */
int ledger_companies_pending(struct ledger *lg, struct strlist *out, struct gerr *err);

/* ---- what the ledger says ------------------------------------------------------------------- */

/* The goniec.payments/1 document of a company (docs/payments.md): its matches of the
 * latest run that changed something ("matched"), every transaction left for a person
 * with its candidates ("unmatched"), open and overdue invoices (as of `today`,
 * "YYYY-MM-DD"), balances per account, counts. all_matches: every match, not only the
 * latest run's. */
json_t *ledger_payments_json(struct ledger *lg, const char *company, const char *today, bool all_matches,
			     struct gerr *err);
/* Per company: transactions left for a person, open and overdue invoices, the oldest
 * transaction left ({date, amount, currency, title, ref}), the last run's time. */
json_t *ledger_status_json(struct ledger *lg, const char *today, struct gerr *err);

/* Is a report of the company's latest changes still to be filed? Mark it filed. */
bool ledger_report_due(struct ledger *lg, const char *company);
int ledger_report_filed(struct ledger *lg, const char *company, struct gerr *err);
/* Companies with a report due. */
int ledger_reports_due(struct ledger *lg, struct strlist *out, struct gerr *err);

#endif
