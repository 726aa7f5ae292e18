/* ledger_ingest — reading the spool into the ledger; see ledger.h ("What it holds"). */
#include "payments/ledger_db.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "core/fault.h"
#include "core/invkeys.h"
#include "core/log.h"
#include "core/sidecar.h"
#include "core/strset.h"
#include "formats/invoice.h"
#include "formats/paytitle.h"
#include "formats/register.h"
#include "formats/stmtfile.h"

#define BATCH_DOCS 500
#define TITLE_KEY_LEN 24
#define SCAN_SETTLE_S 10 /* a source folder changed this recently is read again next time */

struct ingest {
	struct ledger *lg;
	const char *spool;
	const struct ledger_company *companies;
	size_t ncompanies;
	struct ledger_ingest *st;
};

static const struct ledger_company *company_of(const struct ingest *in, const char *id)
{
	for (size_t i = 0; i < in->ncompanies; i++)
		if (strcmp(in->companies[i].id, id) == 0)
			return &in->companies[i];
	return NULL;
}

static const char *own_nip(const struct ingest *in, const char *company)
{
	const struct ledger_company *c = company_of(in, company);
	return c && c->nip[0] ? c->nip : NULL;
}

static int touch_company(struct ledger *lg, const char *company, struct gerr *err)
{
	sqlite3_stmt *st = ldb_stmt(lg, "INSERT OR IGNORE INTO companies(id) VALUES (?1)", err);
	if (!st)
		return -1;
	ldb_text(st, 1, company);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : ldb_error(lg, err, "cannot write");
}

/* ---- keys ------------------------------------------------------------------------------------ */

struct key_sink {
	struct ledger *lg;
	sqlite3_stmt *st;
	int64_t id;
	int rc;
};

static void put_key(void *ctx, char kind, const char *key)
{
	struct key_sink *k = ctx;
	char kinds[2] = {kind, '\0'};
	sqlite3_reset(k->st);
	ldb_text(k->st, 1, kinds);
	ldb_text(k->st, 2, key);
	sqlite3_bind_int64(k->st, 3, k->id);
	if (sqlite3_step(k->st) != SQLITE_DONE)
		k->rc = -1;
}

static const char sql_inv_pending[] = "INSERT OR IGNORE INTO inv_pending(company, inv) VALUES (?1, ?2)";

/* Mark a row as waiting for a matching run (tx_pending, inv_pending). */
static int pending(struct ledger *lg, const char *sql, const char *company, int64_t id, struct gerr *err)
{
	sqlite3_stmt *st = ldb_stmt(lg, sql, err);
	if (!st)
		return -1;
	ldb_text(st, 1, company);
	sqlite3_bind_int64(st, 2, id);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : ldb_error(lg, err, "cannot mark a row for matching");
}

/* ---- transactions ----------------------------------------------------------------------- */

struct stmt_ctx {
	struct ingest *in;
	const char *company, *doc;
	struct strset seen;          /* identity without occurrence → how many so far */
	struct gerr *err;
};

/* The title's first letters and digits, folded: what every reader of the same entry
 * agrees on (joiners, spaces and diacritics differ between a file and an API). */
static void title_key(const char *title, char out[TITLE_KEY_LEN + 1])
{
	char *f = paytitle_fold(title);
	size_t o = 0;
	for (const char *p = f; *p && o < TITLE_KEY_LEN; p++)
		if (isalnum((unsigned char)*p))
			out[o++] = *p;
	out[o] = '\0';
	free(f);
}

static int add_txn(void *ctx, const struct stmt_file *f, const struct stmt *stm, const struct txn *t,
		   struct gerr *err)
{
	(void)f;
	struct stmt_ctx *c = ctx;
	struct ledger *lg = c->in->lg;
	if (t->status != TXN_BOOKED)
		return 0; /* a pending entry comes again booked */
	const char *account = t->account[0] ? t->account : stm->account;
	const char *date = t->booking_date[0] ? t->booking_date : t->value_date;
	char tk[TITLE_KEY_LEN + 1];
	title_key(t->title, tk);
	char *base = xasprintf("%s|%s|%lld|%s", account, date, (long long)t->amount, tk);
	uintptr_t n = (uintptr_t)strset_get(&c->seen, base) + 1;
	strset_remove(&c->seen, base);
	strset_put(&c->seen, base, (void *)n);
	char *ident = xasprintf("%s#%lu", base, (unsigned long)n);
	free(base);
	char ref[11];
	ldb_ref(c->company, ident, ref);
	sqlite3_stmt *st = ldb_stmt(lg, "INSERT OR IGNORE INTO transactions(company, ident, ref, account, "
				    "currency, booking_date, value_date, date, amount, cp_name, cp_account, "
				    "title, bank_ref, skip, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
				    "?10, ?11, ?12, ?13, ?14, ?15)", err);
	int rc = st ? 0 : -1;
	if (st) {
		ldb_text(st, 1, c->company);
		ldb_text(st, 2, ident);
		ldb_text(st, 3, ref);
		ldb_text(st, 4, account);
		ldb_text(st, 5, t->currency);
		ldb_text(st, 6, t->booking_date);
		ldb_text(st, 7, t->value_date);
		sqlite3_bind_text(st, 8, date, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 9, t->amount);
		ldb_text(st, 10, t->counterparty_name);
		ldb_text(st, 11, t->counterparty_account);
		ldb_text(st, 12, t->title);
		ldb_text(st, 13, t->bank_ref ? t->bank_ref : t->transaction_id);
		sqlite3_bind_int(st, 14, t->reversal);
		ldb_text(st, 15, c->doc);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : ldb_error(lg, err, "cannot add a transaction");
	}
	if (rc == 0 && sqlite3_changes(lg->db) == 1) {
		struct key_sink ks = {lg, ldb_stmt(lg, "INSERT OR IGNORE INTO tx_keys(kind, key, tx) "
						   "VALUES (?1, ?2, ?3)", err),
				      sqlite3_last_insert_rowid(lg->db), 0};
		if (ks.st && pending(lg, "INSERT INTO tx_pending(company, tx) VALUES (?1, ?2)", c->company, ks.id,
				     err) < 0)
			rc = -1;
		struct pm_txn pt = {.title = t->title, .cp_name = t->counterparty_name,
				    .cp_account = t->counterparty_account, .account = account};
		if (!ks.st)
			rc = -1;
		else
			pm_txn_keys(&pt, own_nip(c->in, c->company), put_key, &ks);
		if (ks.rc < 0)
			rc = ldb_error(lg, err, "cannot add a transaction's keys");
		c->in->st->transactions++;
	}
	free(ident);
	return rc;
}

/* The latest closing balance of each account. */
static int statement_end(void *ctx, const struct stmt_file *f, const struct stmt *stm, struct gerr *err)
{
	struct stmt_ctx *c = ctx;
	const struct stmt_balance *b = stm->closing.present ? &stm->closing : NULL;
	if (!b || !stm->account[0])
		return 0;
	sqlite3_stmt *st = ldb_stmt(c->in->lg, "INSERT INTO balances(company, account, currency, date, amount, "
				    "bank) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(company, account, "
				    "currency) DO UPDATE SET date = excluded.date, amount = excluded.amount, "
				    "bank = coalesce(excluded.bank, bank) WHERE excluded.date >= "
				    "coalesce(date, '')", err);
	if (!st)
		return -1;
	ldb_text(st, 1, c->company);
	ldb_text(st, 2, stm->account);
	ldb_text(st, 3, b->currency[0] ? b->currency : stm->currency);
	ldb_text(st, 4, b->date);
	sqlite3_bind_int64(st, 5, b->amount);
	ldb_text(st, 6, f->bank ? f->bank : stmt_bank_of_account(stm->account));
	return sqlite3_step(st) == SQLITE_DONE ? 0 : ldb_error(c->in->lg, err, "cannot record a balance");
}

static int read_statement(struct ingest *in, const char *company, const char *relpath, struct gerr *err)
{
	char *path = path_join(in->spool, relpath);
	struct stmt_ctx c = {.in = in, .company = company, .doc = relpath, .err = err};
	struct stmt_file f;
	stmt_file_init(&f, path);
	struct stmt_sink sink = {&c, add_txn, statement_end};
	int rc = stmt_read_path(path, &f, &sink, err);
	stmt_file_free(&f);
	strset_free(&c.seen);
	free(path);
	return rc;
}

/* ---- invoices -------------------------------------------------------------------------------- */

/* One invoice as a document or a register row tells it. */
struct inv_row {
	const char *company;
	enum pm_dir dir;
	const char *number;
	char norm[INVKEYS_NUMBER_MAX + 1];
	const char *ksef;
	const char *kind;
	bool correction, kind_known;
	char corrects[INVKEYS_NUMBER_MAX + 1];
	const char *issue_date, *due_date;
	const char *cp_name;
	char cp_nip[NIP_LEN + 1];
	struct buf accounts;         /* compact IBANs separated by spaces */
	char currency[4];
	bool has_gross;
	int64_t gross;
	bool paid_flag;
	bool has_reg_paid;
	int64_t reg_paid;
	int rank;
	const char *source, *doc, *duplicate_of;
};

static void row_add_account(struct inv_row *r, const char *written)
{
	char acc[IBAN_MAX_LEN + 1];
	if (!written || !account_normalise(written, acc) || (r->accounts.data && strstr(r->accounts.data, acc)))
		return;
	buf_printf(&r->accounts, "%s%s", r->accounts.len ? " " : "", acc);
}

/* The id in the first row of a lookup: 0 for none, -1 on an error (err set). */
static int64_t looked_up(struct ledger *lg, sqlite3_stmt *st, struct gerr *err)
{
	int row = ldb_row(lg, st, "cannot look an invoice up", err);
	return row < 0 ? -1 : row ? sqlite3_column_int64(st, 0) : 0;
}

/* A copy that does not know the counterparty's NIP: the invoice of its number, if only one has it. */
static int64_t find_by_number(struct ledger *lg, const struct inv_row *r, struct gerr *err)
{
	sqlite3_stmt *st = ldb_stmt(lg, "SELECT id FROM invoices WHERE company = ?1 AND dir = ?2 AND "
				    "number_norm = ?3 AND (?4 IS NULL OR ksef IS NULL OR ksef = ?4) LIMIT 2", err);
	if (!st)
		return -1;
	ldb_text(st, 1, r->company);
	sqlite3_bind_int(st, 2, r->dir);
	ldb_text(st, 3, r->norm);
	ldb_text(st, 4, r->ksef);
	int64_t id = 0;
	int n = 0, rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (n++ == 0)
			id = sqlite3_column_int64(st, 0);
	if (ldb_rows_end(lg, rc, "cannot look an invoice up", err) < 0)
		return -1;
	return n == 1 ? id : 0;
}

/* The invoice a document is a copy of: its id, 0 for a new one, -1 on an error (err set). */
static int64_t find_invoice_id(struct ledger *lg, const struct inv_row *r, const char *ident, struct gerr *err)
{
	sqlite3_stmt *st;
	int64_t id = 0;
	if (r->duplicate_of) {
		if (!(st = ldb_stmt(lg, "SELECT invoice FROM docs WHERE relpath = ?1 AND invoice IS NOT NULL", err)))
			return -1;
		ldb_text(st, 1, r->duplicate_of);
		if ((id = looked_up(lg, st, err)) != 0)
			return id;
	}
	if (r->ksef) {
		if (!(st = ldb_stmt(lg, "SELECT id FROM invoices WHERE company = ?1 AND ksef = ?2", err)))
			return -1;
		ldb_text(st, 1, r->company);
		ldb_text(st, 2, r->ksef);
		if ((id = looked_up(lg, st, err)) != 0)
			return id;
	}
	if (!(st = ldb_stmt(lg, "SELECT id FROM invoices WHERE company = ?1 AND ident = ?2", err)))
		return -1;
	ldb_text(st, 1, r->company);
	ldb_text(st, 2, ident);
	if ((id = looked_up(lg, st, err)) != 0)
		return id;
	return !r->cp_nip[0] && r->norm[0] ? find_by_number(lg, r, err) : 0;
}

/* The identity a new invoice gets: direction, counterparty and number when known (so two
 * copies agree whichever comes first), else its KSeF number, else its document. */
static char *invoice_ident(const struct inv_row *r)
{
	char *cp = pm_counterparty_key(r->cp_nip, r->cp_name);
	char *ident = cp[0] && r->norm[0] ? xasprintf("%c:%s:%s", r->dir == PM_SALES ? 's' : 'p', cp, r->norm)
		      : r->ksef		   ? xasprintf("ksef:%s", r->ksef)
					   : xasprintf("doc:%s", r->doc);
	free(cp);
	return ident;
}

/* Columns merged by rank: a value is taken when the row has it and the invoice has none,
 * or the row ranks at least as high as what the invoice was made of. */
#define MERGE(col, n) col " = CASE WHEN ?" #n " IS NOT NULL AND (" col " IS NULL OR ?1 >= rank) THEN ?" #n \
		      " ELSE " col " END"

static int write_invoice(struct ledger *lg, const struct inv_row *r, int64_t id, const char *ident, struct gerr *err)
{
	sqlite3_stmt *st;
	if (!id) {
		st = ldb_stmt(lg, "INSERT INTO invoices(rank, number, number_norm, ksef, kind, correction, corrects, "
			      "issue_date, due_date, cp_name, cp_nip, cp_accounts, currency, gross, paid_flag, "
			      "reg_paid, company, dir, ident, ref, cp_key, source, doc) VALUES (?1, ?2, ?3, ?4, ?5, "
			      "coalesce(?6, 0), ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, coalesce(?16, 0), ?17, ?18, "
			      "?19, ?20, '', ?21, ?22)", err);
	} else {
		st = ldb_stmt(lg, "UPDATE invoices SET " MERGE("number", 2) ", " MERGE("number_norm", 3) ", "
			      MERGE("ksef", 4) ", " MERGE("kind", 5) ", " MERGE("correction", 6) ", "
			      MERGE("corrects", 7) ", " MERGE("issue_date", 8) ", " MERGE("due_date", 9) ", "
			      MERGE("cp_name", 10) ", " MERGE("cp_nip", 11) ", " MERGE("cp_accounts", 12) ", "
			      MERGE("currency", 13) ", " MERGE("gross", 14) ", paid_flag = max(paid_flag, ?15), "
			      "reg_paid = coalesce(?16, reg_paid), rank = max(rank, ?1) WHERE id = ?23",
			      err);
	}
	if (!st)
		return -1;
	sqlite3_bind_int(st, 1, r->rank);
	ldb_text(st, 2, r->number);
	ldb_text(st, 3, r->norm);
	ldb_text(st, 4, r->ksef);
	ldb_text(st, 5, r->kind);
	if (r->kind_known)
		sqlite3_bind_int(st, 6, r->correction);
	ldb_text(st, 7, r->corrects);
	ldb_text(st, 8, r->issue_date);
	ldb_text(st, 9, r->due_date);
	ldb_text(st, 10, r->cp_name);
	ldb_text(st, 11, r->cp_nip);
	ldb_text(st, 12, r->accounts.data);
	ldb_text(st, 13, r->currency);
	if (r->has_gross)
		sqlite3_bind_int64(st, 14, r->gross);
	sqlite3_bind_int(st, 15, r->paid_flag);
	if (r->has_reg_paid)
		sqlite3_bind_int64(st, 16, r->reg_paid);
	if (!id) {
		char ref[11];
		ldb_ref(r->company, ident, ref);
		ldb_text(st, 17, r->company);
		sqlite3_bind_int(st, 18, r->dir);
		ldb_text(st, 19, ident);
		ldb_text(st, 20, ref);
		ldb_text(st, 21, r->source);
		ldb_text(st, 22, r->doc);
	} else {
		sqlite3_bind_int64(st, 23, id);
	}
	return sqlite3_step(st) == SQLITE_DONE ? 0 : ldb_error(lg, err, "cannot write an invoice");
}

/* After a write: the counterparty group, the closed mark, the keys, the corrections. */
static int refresh_invoice(struct ledger *lg, int64_t id, struct gerr *err)
{
	sqlite3_stmt *st = ldb_stmt(lg, "SELECT company, dir, number, cp_name, cp_nip, cp_accounts, number_norm, "
				    "correction, corrects FROM invoices WHERE id = ?1", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW)
		return ldb_error(lg, err, "an invoice vanished");
	char *company = xstrdup(ldb_col(st, 0)), *number = xstrdup(ldb_col(st, 2)), *name = xstrdup(ldb_col(st, 3));
	char *accounts = xstrdup(ldb_col(st, 5)), *norm = xstrdup(ldb_col(st, 6)), *corrects = xstrdup(ldb_col(st, 8));
	struct pm_invoice p = {.id = id, .dir = sqlite3_column_int(st, 1), .number = number, .cp_name = name};
	snprintf(p.cp_nip, sizeof(p.cp_nip), "%s", ldb_col(st, 4));
	bool correction = sqlite3_column_int(st, 7);
	struct strlist accs = {0};
	for (char *save = NULL, *tok = strtok_r(accounts, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		strlist_add(&accs, tok);
	p.cp_accounts = accs.items;
	p.ncp_accounts = accs.len;
	char *cp_key = pm_counterparty_key(p.cp_nip, name);
	int rc = 0;
	if (pending(lg, sql_inv_pending, company, id, err) < 0)
		rc = -1;
	else if ((st = ldb_stmt(lg, "UPDATE invoices SET cp_key = ?2, reg_closed = (reg_paid > 0 AND reg_paid >= "
				"coalesce(gross, 0)) WHERE id = ?1", err))) {
		sqlite3_bind_int64(st, 1, id);
		ldb_text(st, 2, cp_key[0] ? cp_key : "");
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : ldb_error(lg, err, "cannot write an invoice");
	} else {
		rc = -1;
	}
	struct key_sink ks = {lg, NULL, id, 0};
	if (rc == 0 && (st = ldb_stmt(lg, "DELETE FROM inv_keys WHERE inv = ?1", err))) {
		sqlite3_bind_int64(st, 1, id);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : ldb_error(lg, err, "cannot write keys");
	}
	if (rc == 0 && !(ks.st = ldb_stmt(lg, "INSERT OR IGNORE INTO inv_keys(kind, key, inv) VALUES (?1, ?2, ?3)", err)))
		rc = -1;
	if (rc == 0) {
		pm_invoice_keys(&p, put_key, &ks);
		if (ks.rc < 0)
			rc = ldb_error(lg, err, "cannot write keys");
	}
	/* a correction and what it corrects find each other, whichever came first */
	if (rc == 0 && correction && *corrects &&
	    (st = ldb_stmt(lg, "UPDATE invoices SET corrects_id = (SELECT o.id FROM invoices o WHERE o.company "
			   "= ?2 AND o.dir = ?3 AND o.number_norm = ?4 AND NOT o.correction ORDER BY o.cp_nip "
			   "IS NOT ?5, o.ident LIMIT 1) WHERE id = ?1", err))) {
		sqlite3_bind_int64(st, 1, id);
		ldb_text(st, 2, company);
		sqlite3_bind_int(st, 3, p.dir);
		ldb_text(st, 4, corrects);
		ldb_text(st, 5, p.cp_nip);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : ldb_error(lg, err, "cannot link a correction");
	}
	static const char *const link_corrections[] = {
		"INSERT OR IGNORE INTO inv_pending(company, inv) SELECT company, id FROM invoices WHERE company = ?2 "
		"AND dir = ?3 AND correction AND corrects = ?4 AND corrects_id IS NULL",
		"UPDATE invoices SET corrects_id = ?1 WHERE company = ?2 AND dir = ?3 AND correction AND "
		"corrects = ?4 AND corrects_id IS NULL",
	};
	for (size_t i = 0; rc == 0 && !correction && *norm && i < ARRAY_LEN(link_corrections); i++) {
		if (!(st = ldb_stmt(lg, link_corrections[i], err))) {
			rc = -1;
			break;
		}
		sqlite3_bind_int64(st, 1, id);
		ldb_text(st, 2, company);
		sqlite3_bind_int(st, 3, p.dir);
		ldb_text(st, 4, norm);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : ldb_error(lg, err, "cannot link a correction");
	}
	free(cp_key);
	strlist_free(&accs);
	free(company);
	free(number);
	free(name);
	free(accounts);
	free(norm);
	free(corrects);
	return rc;
}

static int add_invoice(struct ingest *in, const struct inv_row *r, int64_t *id_out, struct gerr *err)
{
	char *ident = invoice_ident(r);
	int64_t id = find_invoice_id(in->lg, r, ident, err);
	int rc = id < 0 ? -1 : write_invoice(in->lg, r, id, ident, err);
	if (rc == 0 && !id)
		id = sqlite3_last_insert_rowid(in->lg->db);
	if (rc == 0)
		rc = refresh_invoice(in->lg, id, err);
	free(ident);
	if (rc == 0) {
		in->st->invoices++;
		*id_out = id;
	}
	return rc;
}

static bool is_correction(enum invoice_kind k)
{
	return k == INVOICE_CORRECTION || k == INVOICE_ADVANCE_CORRECTION || k == INVOICE_SETTLEMENT_CORRECTION;
}

static int rank_of(enum found_by by)
{
	return by == FOUND_FA3 || by == FOUND_KSEF ? 3 : invoice_found_exact(by) ? 2 : 1;
}

/* Which side of an invoice the company is: the invoice says, else the company's NIP on
 * it, else a purchase (what mailboxes and portals bring are costs). */
static enum pm_dir direction_of(const struct invoice *inv, const char *company_nip)
{
	if (inv->direction == INVOICE_SALES)
		return PM_SALES;
	if (inv->direction == INVOICE_PURCHASE)
		return PM_PURCHASE;
	if (company_nip && strcmp(inv->seller.nip, company_nip) == 0)
		return PM_SALES;
	return PM_PURCHASE;
}

static int read_invoice(struct ingest *in, const char *company, const char *relpath, const json_t *sc,
			int64_t *id, struct gerr *err)
{
	struct invoice inv = {0};
	if (invoice_from_json(json_object_get(sc, "invoice"), &inv, err) < 0)
		return -1;
	int rc = 1; /* not an invoice the ledger can keep */
	if ((invoice_has(&inv, INV_NUMBER) || invoice_has(&inv, INV_KSEF_NUMBER)) && invoice_has(&inv, INV_GROSS)) {
		struct inv_row r = {.company = company, .number = inv.number, .ksef = inv.ksef_number,
				    .doc = relpath, .issue_date = inv.issue_date,
				    .due_date = inv.ndue_dates ? inv.due_dates[0] : NULL,
				    .has_gross = true, .gross = inv.gross, .paid_flag = inv.paid && !inv.partly_paid,
				    .rank = rank_of(inv.found[INV_GROSS].by),
				    .duplicate_of = json_string_value(json_object_get(sc, "duplicate_of"))};
		r.dir = direction_of(&inv, own_nip(in, company));
		const struct invoice_party *cp = r.dir == PM_SALES ? &inv.buyer : &inv.seller;
		r.cp_name = cp->name;
		snprintf(r.cp_nip, sizeof(r.cp_nip), "%s", cp->nip);
		if (inv.number)
			invkeys_normalise_number(inv.number, r.norm);
		if (invoice_has(&inv, INV_KIND)) {
			r.kind_known = true;
			r.kind = invoice_kind_name(inv.kind);
			r.correction = is_correction(inv.kind);
		}
		if (r.correction && inv.ncorrects && inv.corrects[0].number)
			invkeys_normalise_number(inv.corrects[0].number, r.corrects);
		if (r.dir == PM_PURCHASE)
			for (size_t i = 0; i < inv.naccounts; i++)
				row_add_account(&r, inv.accounts[i].number);
		snprintf(r.currency, sizeof(r.currency), "%s", inv.currency[0] ? inv.currency : "PLN");
		json_t *src = json_object_get(sc, "source");
		r.source = json_string_value(json_object_get(src, "name"));
		rc = add_invoice(in, &r, id, err);
		buf_free(&r.accounts);
	}
	invoice_free(&inv);
	return rc;
}

/* ---- registers ------------------------------------------------------------------------------ */

struct register_ctx {
	struct ingest *in;
	const char *company, *doc, *source;
};

static int add_register_entry(void *ctx, const struct register_entry *e, struct gerr *err)
{
	struct register_ctx *c = ctx;
	struct inv_row r = {.company = c->company, .dir = e->direction == INVOICE_SALES ? PM_SALES : PM_PURCHASE,
			    .number = e->number, .ksef = e->ksef_number, .issue_date = e->issue_date,
			    .due_date = e->due_date, .cp_name = e->name, .has_gross = e->has_gross,
			    .gross = e->gross, .has_reg_paid = e->has_paid, .reg_paid = e->paid, .rank = 2,
			    .source = c->source, .doc = c->doc, .kind_known = true,
			    .correction = e->corrects != NULL, .kind = e->corrects ? "correction" : NULL};
	snprintf(r.cp_nip, sizeof(r.cp_nip), "%s", e->nip);
	snprintf(r.currency, sizeof(r.currency), "%s", e->currency[0] ? e->currency : "PLN");
	if (e->number)
		invkeys_normalise_number(e->number, r.norm);
	if (e->corrects)
		invkeys_normalise_number(e->corrects, r.corrects);
	row_add_account(&r, e->account);
	int64_t id;
	int rc = r.number || r.ksef ? add_invoice(c->in, &r, &id, err) : 0;
	buf_free(&r.accounts);
	return rc;
}

static int read_register(struct ingest *in, const char *company, const char *relpath, const json_t *sc,
			 struct gerr *err)
{
	char *path = path_join(in->spool, relpath);
	struct register_ctx c = {in, company, relpath,
				 json_string_value(json_object_get(json_object_get(sc, "source"), "name"))};
	int rc = register_doc_read_path(path, add_register_entry, &c, err);
	free(path);
	return rc;
}

/* ---- documents ---------------------------------------------------------------------------- */

static bool is_statement(const json_t *sc)
{
	const char *type = json_string_value(json_object_get(sc, "type"));
	const char *kind = json_string_value(json_object_get(sc, "kind"));
	if (!type)
		return false;
	return !strcmp(type, "mt940") || !strcmp(type, "camt") || !strcmp(type, "transactions") ||
	       (kind && !strcmp(kind, "statement"));
}

static int record_doc(struct ledger *lg, const char *relpath, const char *company, const char *what,
		      const char *error, int64_t invoice, struct gerr *err)
{
	sqlite3_stmt *st = ldb_stmt(lg, "INSERT OR REPLACE INTO docs(relpath, company, what, error, invoice) "
				    "VALUES (?1, ?2, ?3, ?4, ?5)", err);
	if (!st)
		return -1;
	ldb_text(st, 1, relpath);
	ldb_text(st, 2, company);
	ldb_text(st, 3, what);
	ldb_text(st, 4, error);
	if (invoice)
		sqlite3_bind_int64(st, 5, invoice);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : ldb_error(lg, err, "cannot record a document");
}

/* One document. A document that cannot be read is recorded with why (and logged): the
 * rest goes on; only the ledger failing stops the scan. */
static int ingest_doc(struct ingest *in, const char *relpath, const json_t *sc, struct gerr *err)
{
	const char *company = json_string_value(json_object_get(sc, "company"));
	const char *kind = json_string_value(json_object_get(sc, "kind"));
	const json_t *stmt = json_object_get(sc, "statement");
	if (!company || (kind && (!strcmp(kind, "payments") || !strcmp(kind, "alert"))) ||
	    json_object_get(sc, "quarantine"))
		return record_doc(in->lg, relpath, company, "ignored", NULL, 0, err);
	if (touch_company(in->lg, company, err) < 0)
		return -1;
	struct gerr doc_err = {0};
	const char *what = "ignored";
	int64_t invoice = 0;
	int rc = 0;
	if (kind && !strcmp(kind, "register")) {
		what = "register";
		rc = read_register(in, company, relpath, sc, &doc_err);
	} else if (is_statement(sc) && !json_object_get(stmt, "error")) {
		what = "statement";
		rc = ldb_exec(in->lg, "SAVEPOINT doc", err);
		if (rc == 0)
			rc = read_statement(in, company, relpath, &doc_err);
		if (rc < 0 && !doc_err.msg[0])
			return -1;
		sqlite3_exec(in->lg->db, rc < 0 ? "ROLLBACK TO doc; RELEASE doc" : "RELEASE doc", NULL, NULL, NULL);
	} else if (json_is_object(json_object_get(sc, "invoice"))) {
		what = "invoice";
		rc = read_invoice(in, company, relpath, sc, &invoice, &doc_err);
		if (rc > 0) {
			what = "ignored";
			rc = 0;
		}
	}
	if (rc < 0 && !doc_err.msg[0])
		return -1; /* the ledger itself failed */
	if (rc < 0) {
		log_warn("ledger: %s: %s", relpath, doc_err.msg);
		in->st->problems++;
	}
	in->st->documents++;
	return record_doc(in->lg, relpath, company, rc < 0 ? "error" : what, rc < 0 ? doc_err.msg : NULL, invoice, err);
}

/* ---- the scan --------------------------------------------------------------------------------- */

/* Entries of a folder (sorted), those accept() takes. A folder that is not there has none;
 * one that cannot be read to its end is an error: scan_from moves past its day at the end
 * of the scan, so what the listing left out would never be read. */
static int list_dir(const char *dir, bool (*accept)(const char *), struct strlist *out,
		    struct gerr *err)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : gerr_sys(err, "cannot read spool folder %s", dir);
	struct dirent *e;
	int error = 0;
	while ((e = dir_next(d, &error)))
		if (e->d_name[0] != '.' && accept(e->d_name))
			strlist_add(out, e->d_name);
	closedir(d);
	strlist_sort(out);
	if (!error)
		return 0;
	errno = error;
	return gerr_sys(err, "cannot read spool folder %s", dir);
}

static bool digits(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static bool year_name(const char *s) { return digits(s, 4); }
static bool day_name(const char *s) { return digits(s, 2); }
static bool any_name(const char *s) { (void)s; return true; }
static bool sidecar_name(const char *s) { return str_ends_with(s, SIDECAR_SUFFIX) && strlen(s) > strlen(SIDECAR_SUFFIX); }

/* The date folders ("YYYY/MM/DD") from `from` on, in order. */
static int date_dirs(const char *spool, const char *from, struct strlist *out, struct gerr *err)
{
	struct strlist years = {0};
	int rc = list_dir(spool, year_name, &years, err);
	for (size_t y = 0; rc == 0 && y < years.len; y++) {
		if (from[0] && strncmp(years.items[y], from, 4) < 0)
			continue;
		char *ydir = path_join(spool, years.items[y]);
		struct strlist months = {0};
		rc = list_dir(ydir, day_name, &months, err);
		for (size_t m = 0; rc == 0 && m < months.len; m++) {
			char *mdir = path_join(ydir, months.items[m]);
			struct strlist days = {0};
			rc = list_dir(mdir, day_name, &days, err);
			for (size_t d = 0; rc == 0 && d < days.len; d++) {
				char *rel = xasprintf("%s/%s/%s", years.items[y], months.items[m], days.items[d]);
				if (strcmp(rel, from) >= 0)
					strlist_add(out, rel);
				free(rel);
			}
			strlist_free(&days);
			free(mdir);
		}
		strlist_free(&months);
		free(ydir);
	}
	strlist_free(&years);
	return rc;
}

/* Has the ledger read this document? 1 yes, 0 no, -1 on an error (err set). */
static int known_doc(struct ledger *lg, const char *relpath, struct gerr *err)
{
	sqlite3_stmt *st = ldb_stmt(lg, "SELECT 1 FROM docs WHERE relpath = ?1", err);
	if (!st)
		return -1;
	ldb_text(st, 1, relpath);
	return ldb_row(lg, st, "cannot look a document up", err);
}

static char *meta_get(struct ledger *lg, const char *key, struct gerr *err)
{
	sqlite3_stmt *st = ldb_stmt(lg, "SELECT value FROM meta WHERE key = ?1", err);
	if (!st)
		return NULL;
	ldb_text(st, 1, key);
	int row = ldb_row(lg, st, "cannot read the ledger's settings", err);
	return row < 0 ? NULL : xstrdup(row ? ldb_col(st, 0) : "");
}

static int meta_set(struct ledger *lg, const char *key, const char *value, struct gerr *err)
{
	sqlite3_stmt *st = ldb_stmt(lg, "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)", err);
	if (!st)
		return -1;
	ldb_text(st, 1, key);
	ldb_text(st, 2, value);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : ldb_error(lg, err, "cannot write");
}

/* The day before a date folder "YYYY/MM/DD". */
static void day_before(const char *dir, char out[11])
{
	struct tm tm = {0};
	if (sscanf(dir, "%4d/%2d/%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3) {
		out[0] = '\0';
		return;
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm) - 86400;
	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y/%m/%d", &tm);
}

/* A source folder's modification time when the ledger last read it to the end; -1 when
 * it never did. */
static int64_t scanned_mtime(struct ledger *lg, const char *dir, struct gerr *err)
{
	sqlite3_stmt *st = ldb_stmt(lg, "SELECT mtime FROM scanned WHERE dir = ?1", err);
	if (!st)
		return -1;
	ldb_text(st, 1, dir);
	return sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
}

static int mark_scanned(struct ledger *lg, const char *dir, int64_t mtime, struct gerr *err)
{
	sqlite3_stmt *st = ldb_stmt(lg, "INSERT OR REPLACE INTO scanned(dir, mtime) VALUES (?1, ?2)", err);
	if (!st)
		return -1;
	ldb_text(st, 1, dir);
	sqlite3_bind_int64(st, 2, mtime);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : ldb_error(lg, err, "cannot write");
}

/* A folder's modification time as the one number the scanned table keeps. It is only
 * compared for equality, so it is taken modulo 2^64 (unsigned arithmetic): a time past
 * 2262 or before 1677 (set by a clock or a share's client) would overflow int64 in
 * nanoseconds; two times 584 years apart are the only ones that collide. */
static int64_t mtime_ns(const struct stat *st)
{
	return (int64_t)((uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec);
}

/* A document of a source folder, unless the ledger has it; commits every BATCH_DOCS. */
static int scan_doc(struct ingest *in, const char *dir, const char *sidecar, unsigned long *pending,
		    struct gerr *err)
{
	char *rel = xasprintf("%s/%.*s", dir, (int)(strlen(sidecar) - strlen(SIDECAR_SUFFIX)), sidecar);
	int rc = known_doc(in->lg, rel, err);
	if (rc == 0) {
		struct sidecar sc;
		struct gerr serr = {0};
		rc = sidecar_load(in->spool, rel, &sc, &serr) == 0 ? ingest_doc(in, rel, sc.root, err)
								   : record_doc(in->lg, rel, NULL, "error", serr.msg, 0, err);
		sidecar_release(&sc);
		fault_point("ledger-ingest-doc");
		if (rc == 0 && ++*pending >= BATCH_DOCS) {
			rc = ldb_commit(in->lg, err);
			if (rc == 0)
				rc = ldb_begin(in->lg, err);
			*pending = 0;
		}
	}
	free(rel);
	return rc < 0 ? -1 : 0; /* 1: the ledger has it */
}

/* One source folder ("YYYY/MM/DD/source"). A folder whose modification time is the one it
 * had when last read to the end is skipped: a document filed, renamed or removed since
 * would have changed it. That time is kept only once it is SCAN_SETTLE_S old, so that a
 * change made in the same clock tick as the reading (a file system's timestamps may be
 * coarse, up to 2 s on FAT) is never taken for the state that was read. */
static int scan_source(struct ingest *in, int day_fd, const char *day, const char *name, time_t started,
		       unsigned long *pending, struct gerr *err)
{
	char *dir = xasprintf("%s/%s", day, name);
	char *path = path_join(in->spool, dir);
	struct stat st;
	int rc = 0;
	if (fstatat(day_fd, name, &st, 0) == 0 && S_ISDIR(st.st_mode) &&
	    scanned_mtime(in->lg, dir, err) != mtime_ns(&st)) {
		struct strlist files = {0};
		rc = list_dir(path, sidecar_name, &files, err);
		for (size_t f = 0; rc == 0 && f < files.len; f++)
			rc = scan_doc(in, dir, files.items[f], pending, err);
		if (rc == 0 && st.st_mtim.tv_sec < started - SCAN_SETTLE_S)
			rc = mark_scanned(in->lg, dir, mtime_ns(&st), err);
		strlist_free(&files);
	}
	free(path);
	free(dir);
	return rc;
}

/* The documents of one date folder. */
static int scan_day(struct ingest *in, const char *day, unsigned long *pending, struct gerr *err)
{
	char *ddir = path_join(in->spool, day);
	struct strlist sources = {0};
	int rc = list_dir(ddir, any_name, &sources, err);
	int day_fd = rc == 0 && sources.len ? open(ddir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (rc == 0 && sources.len && day_fd < 0)
		rc = gerr_sys(err, "cannot read spool folder %s", ddir);
	time_t started = time(NULL);
	for (size_t s = 0; rc == 0 && s < sources.len; s++)
		rc = scan_source(in, day_fd, day, sources.items[s], started, pending, err);
	if (day_fd >= 0)
		close(day_fd);
	strlist_free(&sources);
	free(ddir);
	return rc;
}

int ledger_ingest_spool(struct ledger *lg, const char *spool_root, const struct ledger_company *companies,
			size_t ncompanies, struct ledger_ingest *st, struct gerr *err)
{
	memset(st, 0, sizeof(*st));
	struct ingest in = {lg, spool_root, companies, ncompanies, st};
	if (ldb_begin(lg, err) < 0)
		return -1;
	for (size_t i = 0; i < ncompanies; i++)
		if (touch_company(lg, companies[i].id, err) < 0) {
			ldb_rollback(lg);
			return -1;
		}
	char *from = meta_get(lg, "scan_from", err);
	if (!from) {
		ldb_rollback(lg);
		return -1;
	}
	struct strlist days = {0};
	int rc = date_dirs(spool_root, from, &days, err);
	unsigned long pending = 0;
	for (size_t d = 0; rc == 0 && d < days.len; d++)
		rc = scan_day(&in, days.items[d], &pending, err);
	if (rc == 0 && days.len) {
		char before[11];
		day_before(days.items[days.len - 1], before);
		rc = meta_set(lg, "scan_from", before, err);
	}
	if (rc == 0)
		rc = ldb_commit(lg, err);
	if (rc < 0)
		ldb_rollback(lg);
	strlist_free(&days);
	free(from);
	return rc;
}
