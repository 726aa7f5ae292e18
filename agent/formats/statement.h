/* statement — the one model of bank statements and transactions, whatever they came from.
 *
 * Every reader of bank data (MT940/MT942 files, CAMT.052/053/054 XML, bank CSV exports,
 * bank APIs, goniec's own goniec.transactions/1 JSON) produces the same two things:
 *
 *   struct txn   one transaction: the statement's account and currency, booking and value
 *                dates, a signed amount in integer minor units (credit > 0, debit < 0;
 *                never floating point), the counterparty's name and account, the title as
 *                one string, the bank's references, type codes, status booked/pending, the
 *                raw fields as the file wrote them, and where in the file it was read.
 *   struct stmt  one statement (one account, one currency, one period): its number,
 *                opening and closing balances, counts and sums of credits and debits, and
 *                whether opening + transactions = closing ("reconciles"), with the
 *                problems found while reading it.
 *
 * A struct stmt_file describes a whole file (format, version, dialect, encoding, bank) and
 * keeps the summaries of its statements; it may also keep every transaction (keep_txns)
 * for a caller that wants them all in memory (a bank API source rendering them, a test).
 * Readers stream: they hand each transaction to a struct stmt_sink as it is read and keep
 * only summaries, so memory does not grow with the file.
 *
 * JSON (jansson):
 *   stmt_sidecar_json()  the sidecar's "statement" object (goniec-sidecar(5)): format,
 *                        dialect, encoding, bank, account, currency, period, balances,
 *                        counts, sums, reconciles, problems, and one summary per statement.
 *   stmt_transactions_json()  a goniec.transactions/1 document: the statements with their
 *                        transactions (see below); stmt_from_transactions_json() reads one
 *                        back into the model.
 *   txn_json()           one transaction as it appears in goniec.transactions/1 (also what
 *                        `goniec statement --json` prints).
 * Amounts in JSON are the decimal strings of money_format() ("-1788.32") beside their
 * currency code; dates are "YYYY-MM-DD"; absent values are left out, never null.
 *
 * goniec.transactions/1:
 *   {"schema": "goniec.transactions/1", "format": "...", "bank": "...",
 *    "statements": [{"account", "currency", "number", "id", "period": {"from", "to"},
 *                    "opening_balance": {"amount", "currency", "date"}, "closing_balance",
 *                    "closing_available", "forward_available", "count", "credits": {"count",
 *                    "sum"}, "debits": {"count", "sum"}, "reconciles", "problems": [...],
 *                    "transactions": [txn, ...]}],
 *    "unreadable": [{"why", "transaction"}, ...]}   (only when a bank's API sent some)
 *   txn: {"booking_date", "value_date", "amount", "currency", "status", "reversal",
 *         "counterparty": {"name", "account"}, "title", "refs": {"bank", "transaction",
 *         "customer"}, "type": {"code", "swift", "text"}, "origin": {"line", "statement",
 *         "entry", "detail"}, "raw": [[key, value], ...]}
 *
 * Ownership: every char * in these structs is owned by the struct (xstrdup'd) and freed by
 * txn_clear()/stmt_clear()/stmt_file_free(); setters copy their argument. JSON results are
 * new references the caller releases with json_decref().
 * Errors: functions that read outside data return -1 with a message in struct gerr that
 * names the file and the line or item; model functions cannot fail (the x* allocators
 * abort on exhaustion). Overflowing sums are reported as a problem, never wrapped.
 */
#ifndef GONIEC_FORMATS_STATEMENT_H
#define GONIEC_FORMATS_STATEMENT_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/idnum.h"
#include "core/util.h"

#define TRANSACTIONS_SCHEMA "goniec.transactions/1"

#define STMT_DATE_LEN 10	/* "YYYY-MM-DD" */
#define STMT_CCY_LEN 3		/* ISO 4217 */
/* Per-statement summaries a stmt_file keeps; past this, statements are still read and
 * counted in the file's totals, and a problem says how many were not listed. */
#define STMT_KEEP_MAX 200
/* Problems kept per statement and per file; more are counted, not kept. */
#define STMT_PROBLEMS_MAX 20
/* A stated total whose count the file does not give (only its sum). */
#define STMT_COUNT_UNSTATED ULONG_MAX

enum stmt_format {
	STMT_FORMAT_UNKNOWN = 0,
	STMT_FORMAT_MT940,	/* SWIFT MT940 customer statement */
	STMT_FORMAT_MT942,	/* SWIFT MT942 interim transaction report */
	STMT_FORMAT_CAMT053,	/* ISO 20022 BankToCustomerStatement */
	STMT_FORMAT_CAMT052,	/* ISO 20022 BankToCustomerAccountReport (intraday) */
	STMT_FORMAT_CAMT054,	/* ISO 20022 BankToCustomerDebitCreditNotification */
	STMT_FORMAT_CSV,	/* a bank's CSV export */
	STMT_FORMAT_TRANSACTIONS_JSON,	/* goniec.transactions/1 */
};

/* What a file is to a person: a statement, an interim report, a notification. */
enum stmt_kind {
	STMT_KIND_STATEMENT = 0,
	STMT_KIND_INTERIM,	/* MT942, camt.052 */
	STMT_KIND_NOTIFICATION,	/* camt.054 */
};

enum txn_status {
	TXN_BOOKED = 0,
	TXN_PENDING,	/* not final: may change or disappear (camt PDNG, API pending) */
	TXN_INFO,	/* camt INFO: information only, not on the account */
};

/* One field as the file wrote it, e.g. {"~20", "ZAPLATA ZA FAKTURE NR"} for MT940's
 * structured :86:, {"TYT.", "..."} for mBank's labels, {"Tytuł", "..."} for a CSV cell.
 * Keys may repeat. */
struct txn_raw {
	char *key;
	char *value;
};

/* Where a transaction was read. Lines are 1-based lines of the file (the first line of
 * the record: MT940 :61:, a CSV row, the XML element's start); indexes are 0-based. */
struct txn_origin {
	unsigned long line;
	unsigned statement;	/* statement within the file */
	unsigned long entry;	/* entry within the statement */
	unsigned detail;	/* transaction within a batch entry (camt TxDtls); else 0 */
};

struct txn {
	char account[IBAN_MAX_LEN + 1];	/* the statement's account (stmt.account) */
	char currency[STMT_CCY_LEN + 1];
	char booking_date[STMT_DATE_LEN + 1];	/* "" when the source has none */
	char value_date[STMT_DATE_LEN + 1];
	int64_t amount;		/* minor units of currency; credit > 0, debit < 0 */
	enum txn_status status;
	bool reversal;		/* MT940 RC/RD, camt RvslInd: a reversal of an earlier entry */

	char *counterparty_name;	/* the other party, as the bank wrote it (UTF-8) */
	char *counterparty_account;	/* compact IBAN when it is one, else as written */
	char *title;		/* remittance text, joined as the bank split it (UTF-8) */

	char *bank_ref;		/* the bank's reference of the entry: MT940 :61: after "//",
				 * camt AcctSvcrRef (or NtryRef), API entry reference */
	char *transaction_id;	/* the bank's unique id of the transaction where it gives
				 * one: mBank TNR:, camt TxDtls/Refs/TxId, API transaction id */
	char *customer_ref;	/* the account holder's reference: MT940 :61: customer
				 * reference (not NONREF), camt EndToEndId */

	char *type_code;	/* the bank's transaction code: MT940 :86: "020"/"911", camt
				 * BkTxCd "PMNT/RCDT/ESCT" or proprietary code, CSV type */
	char *type_swift;	/* MT940 :61: type ("NTRF", "NCHG", "S034") */
	char *type_text;	/* the bank's words for the type ("PRZELEW KRAJOWY") */

	struct txn_origin origin;
	struct txn_raw *raw;
	size_t nraw, raw_cap;
};

struct stmt_balance {
	bool present;
	int64_t amount;		/* minor units of currency, signed */
	char currency[STMT_CCY_LEN + 1];
	char date[STMT_DATE_LEN + 1];
};

struct stmt {
	unsigned index;		/* 0-based within the file */
	unsigned long line;	/* 1-based line where it starts */
	char account[IBAN_MAX_LEN + 1];	/* compact IBAN; else the identifier as written
					 * (an account's name in some CSVs), cut to
					 * IBAN_MAX_LEN bytes */
	char currency[STMT_CCY_LEN + 1];
	char *id;		/* MT940 :20:, camt Stmt/Id */
	char *number;		/* MT940 :28C:, camt ElctrncSeqNb/LglSeqNb */
	char period_from[STMT_DATE_LEN + 1];	/* first day covered ("" if unknown) */
	char period_to[STMT_DATE_LEN + 1];

	struct stmt_balance opening;	/* :60F:/:60M:, OPBD/PRCD */
	struct stmt_balance closing;	/* :62F:/:62M:, CLBD */
	struct stmt_balance closing_available;	/* :64:, CLAV */
	struct stmt_balance forward_available;	/* first :65:, FWAV */

	unsigned long count;	/* transactions read, all statuses */
	unsigned long pending_count;	/* of which pending or info: not in the sums below */
	unsigned long credits_count, debits_count;	/* booked transactions */
	int64_t credits_sum;	/* >= 0 */
	int64_t debits_sum;	/* <= 0 */
	bool sums_overflow;	/* a sum left int64: totals and reconciles are not trusted */
	/* Booked entries as a bank counts them: a camt batch entry of several transactions
	 * (origin.detail 0, 1, ...) is one entry, counted by its first. Stated counts
	 * (camt TxsSummry NbOfNtries, MT942 :90C:/:90D:) are checked against these. */
	unsigned long credit_entries, debit_entries;
	/* Totals the file states (MT942 :90C:/:90D:, camt TxsSummry): checked against the
	 * entries read; an interim report without balances reconciles when they agree. */
	bool stated_credits, stated_debits;
	unsigned long stated_credits_count, stated_debits_count;	/* or STMT_COUNT_UNSTATED */
	int64_t stated_credits_sum;	/* >= 0 */
	int64_t stated_debits_sum;	/* <= 0 */
	bool reconciles;	/* set by stmt_finish() */

	struct strlist problems;	/* what is wrong with it, in words, naming lines */
	unsigned long problems_dropped;

	/* Only when the stmt_file keeps transactions (stmt_keep_txns). */
	struct txn *txns;
	size_t ntxns, txns_cap;
};

struct stmt_file {
	enum stmt_format format;
	enum stmt_kind kind;
	char *name;		/* the file as named in messages */
	char *version;		/* "camt.053.001.02"; NULL when the format has none */
	char *dialect;		/* MT940: "mbank", "structured-tilde" ("~NN"), "structured-lt"
				 * ("<NN"), "structured-caret" ("^NN"), "structured-question"
				 * ("?NN"), "plain"; CSV: the bank map's id */
	char *encoding;		/* "UTF-8", "ISO-8859-2", "WINDOWS-1250", "CP852", "ASCII" */
	char *bank;		/* "mBank", "PKO BP", ... from the account's sort code or the
				 * CSV map; NULL when unknown */

	struct stmt *statements;	/* at most STMT_KEEP_MAX summaries */
	size_t nstatements, statements_cap;
	unsigned long statements_total;	/* all statements read */
	unsigned long txns_total;	/* all transactions read */
	bool keep_txns;

	struct strlist problems;	/* problems of the file as a whole */
	unsigned long problems_dropped;
	/* Transactions a bank's API sent that the model cannot take, each kept as it came:
	 * [{"why": text, "transaction": the API's object}] (stmt_file_unreadable); NULL
	 * when none. Owned. */
	json_t *unreadable;
};

/* Where a reader hands what it reads, as it reads it. Any callback may be NULL. A
 * callback returning -1 (with err set) stops the reader, which returns -1. The structs
 * passed are the reader's and valid only during the call. */
struct stmt_sink {
	void *ctx;
	int (*transaction)(void *ctx, const struct stmt_file *f, const struct stmt *st,
			   const struct txn *t, struct gerr *err);
	/* The statement is complete: balances, totals, reconciles, problems. */
	int (*statement_end)(void *ctx, const struct stmt_file *f, const struct stmt *st,
			     struct gerr *err);
};

/* ---- names ------------------------------------------------------------------------- */

/* "mt940", "mt942", "camt.053", "camt.052", "camt.054", "csv", "goniec.transactions/1". */
const char *stmt_format_name(enum stmt_format format);
/* "statement", "interim", "notification". */
const char *stmt_kind_name(enum stmt_kind kind);
/* "booked", "pending", "info". */
const char *txn_status_name(enum txn_status status);
/* The bank that keeps a Polish account (by the sort code in digits 5–7 of a PL IBAN):
 * "PKO BP", "mBank", "ING Bank Śląski", ...; NULL for other accounts. */
const char *stmt_bank_of_account(const char *iban);

/* Three letters A–Z (the shape of an ISO 4217 code); reads at most 3 bytes of s. */
bool stmt_is_currency(const char *s);
/* A calendar date into "YYYY-MM-DD" if it exists (years 1–9999, leap years counted);
 * otherwise false and out is "". */
bool stmt_date_set(char out[STMT_DATE_LEN + 1], int year, int month, int day);

/* ---- transactions ------------------------------------------------------------------ */

/* Set a string field (replacing and freeing the old value; NULL clears it). */
void txn_set(char **field, const char *value);
/* Set a string field from n bytes, trimmed of surrounding ASCII spaces; empty → NULL. */
void txn_set_trimmed(char **field, const char *value, size_t n);
/* Keep a field as written. */
void txn_add_raw(struct txn *t, const char *key, const char *value);
/* A copy (deep) of src into dst, which must be cleared or zeroed. */
void txn_copy(struct txn *dst, const struct txn *src);
/* Free the strings and raw fields and zero the struct. */
void txn_clear(struct txn *t);

/* ---- statements -------------------------------------------------------------------- */

/* Set the account from a written form: compact IBAN when it is one (account_normalise),
 * else the text as written (trimmed; "Konto Active"), cut to IBAN_MAX_LEN bytes. */
void stmt_set_account(char out[IBAN_MAX_LEN + 1], const char *written, size_t n);
/* Add a problem ("printf" text); past STMT_PROBLEMS_MAX it is only counted. */
void stmt_problem(struct stmt *st, const char *fmt, ...) PRINTF_LIKE(2, 3);
void stmt_file_problem(struct stmt_file *f, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* Keep a transaction the model cannot take (`raw` as the API sent it, copied; `why` what
 * is wrong) under the file's "unreadable", with a problem of the file that says so. */
void stmt_file_unreadable(struct stmt_file *f, const json_t *raw, const char *why);
/* Count a transaction into the statement's totals (booked ones into the sums, pending and
 * info ones only into count and pending_count) and period (from its booking date, or
 * value date when there is none). */
void stmt_add_txn(struct stmt *st, const struct txn *t);
/* Complete a statement: reconciles = no overflow, stated totals (if any) agree with the
 * entries read, and either opening + credits + debits == closing (both present, same
 * currency) or, with neither balance, totals were stated; otherwise a problem says why. */
void stmt_finish(struct stmt *st);
void stmt_clear(struct stmt *st);

/* ---- files ------------------------------------------------------------------------- */

void stmt_file_init(struct stmt_file *f, const char *name);
void stmt_file_free(struct stmt_file *f);
/* Set the dialect, encoding, version or bank (copies; NULL clears). */
void stmt_file_set(char **field, const char *value);
/* The hand-over a reader does for each transaction: counts it into st (stmt_add_txn),
 * keeps a copy when the file keeps transactions, and calls the sink. */
int stmt_emit_txn(struct stmt_file *f, struct stmt *st, const struct txn *t,
		  const struct stmt_sink *sink, struct gerr *err);
/* The hand-over at the end of a statement: stmt_finish (for an interim report or a
 * notification, missing balances are no problem), keeps its summary (moving the
 * kept transactions with it) while fewer than STMT_KEEP_MAX are kept, sets the file's
 * bank from the first Polish account, calls the sink, and clears st for the next one. */
int stmt_emit_end(struct stmt_file *f, struct stmt *st, const struct stmt_sink *sink,
		  struct gerr *err);

/* ---- JSON -------------------------------------------------------------------------- */

/* The sidecar's "statement" object for a file read without error. With one statement its
 * fields are the top level; with several, the top level holds the totals (account and
 * currency only when all statements share them; sums only for one currency), "accounts"
 * lists every account, and "statements" has one summary each. */
json_t *stmt_sidecar_json(const struct stmt_file *f);
/* The sidecar's "statement" object for a file that claims to be a statement and cannot
 * be read: {"format": ..., "error": message}. format may be STMT_FORMAT_UNKNOWN. */
json_t *stmt_sidecar_error_json(enum stmt_format format, const char *message);
/* One statement's summary (no transactions), as in "statements" of either document. */
json_t *stmt_summary_json(const struct stmt *st);
json_t *txn_json(const struct txn *t);
/* A goniec.transactions/1 document of a file whose transactions were kept. */
json_t *stmt_transactions_json(const struct stmt_file *f);
/* Read a goniec.transactions/1 document into f like any reader (statements kept as
 * summaries, transactions handed to sink and kept when f->keep_txns), checking every
 * field's type and form; what goniec wrote reads back to the same model (balances,
 * totals and problems are recomputed, not taken from the document). Errors name the
 * statement and transaction. */
int stmt_from_transactions_json(const json_t *doc, struct stmt_file *f,
				const struct stmt_sink *sink, struct gerr *err);

#endif
