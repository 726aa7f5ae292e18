/* ledger_match — a matching run: the scope new data can affect, the engine over it, what
 * it decided written back; and the rebuild. See ledger.h ("Matching"). */
#include "payments/ledger_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/fault.h"
#include "core/log.h"

/* ---- the scope ------------------------------------------------------------------------------ */

/* Grow the scope until nothing new joins it (CROSS JOIN, here and in every query of a
 * scope table: from the small scope table out, whatever the planner would guess — without
 * statistics it scans the big table and looks the scope up): the invoices the scope's transactions share
 * a key with, are matched to or paired with; whole counterparty groups; corrections with
 * what they correct; then the transactions that share a key with, are matched to or
 * paired with those invoices; again. */
static const char *const closure_steps[] = {
	"INSERT OR IGNORE INTO scope_inv SELECT ik.inv FROM scope_tx s CROSS JOIN tx_keys tk ON tk.tx = s.id "
	"CROSS JOIN inv_keys ik ON ik.kind = tk.kind AND ik.key = tk.key CROSS JOIN invoices i ON i.id = ik.inv "
	"WHERE i.company = ?1",
	"INSERT OR IGNORE INTO scope_inv SELECT m.inv FROM scope_tx s CROSS JOIN matches m ON m.tx = s.id",
	"INSERT OR IGNORE INTO scope_inv SELECT i.id FROM scope_tx s CROSS JOIN transactions t ON t.id = s.id "
	"CROSS JOIN decisions d ON d.company = t.company AND d.tx_ident = t.ident CROSS JOIN invoices i ON "
	"i.company = d.company AND i.ident = d.inv_ident",
	"INSERT OR IGNORE INTO scope_inv SELECT i.id FROM invoices i WHERE i.company = ?1 AND i.cp_key IN "
	"(SELECT x.cp_key FROM scope_inv s CROSS JOIN invoices x ON x.id = s.id WHERE x.cp_key <> '')",
	"INSERT OR IGNORE INTO scope_inv SELECT i.id FROM invoices i WHERE i.corrects_id IN "
	"(SELECT id FROM scope_inv)",
	"INSERT OR IGNORE INTO scope_inv SELECT i.corrects_id FROM scope_inv s CROSS JOIN invoices i ON "
	"i.id = s.id WHERE i.corrects_id IS NOT NULL",
	"INSERT OR IGNORE INTO scope_tx SELECT tk.tx FROM scope_inv s CROSS JOIN inv_keys ik ON ik.inv = s.id "
	"CROSS JOIN tx_keys tk ON tk.kind = ik.kind AND tk.key = ik.key CROSS JOIN transactions t ON t.id = tk.tx "
	"WHERE t.company = ?1",
	"INSERT OR IGNORE INTO scope_tx SELECT m.tx FROM scope_inv s CROSS JOIN matches m ON m.inv = s.id",
	"INSERT OR IGNORE INTO scope_tx SELECT t.id FROM scope_inv s CROSS JOIN invoices i ON i.id = s.id "
	"CROSS JOIN decisions d ON d.company = i.company AND d.inv_ident = i.ident CROSS JOIN transactions t ON "
	"t.company = d.company AND t.ident = d.tx_ident",
};

static int64_t count(struct ledger *lg, const char *sql, const char *company, struct gerr *err)
{
	sqlite3_stmt *st = ldb_stmt(lg, sql, err);
	if (!st)
		return -1;
	if (company)
		ldb_text(st, 1, company);
	int row = ldb_row(lg, st, "cannot count the rows of a run", err);
	return row < 0 ? -1 : row ? sqlite3_column_int64(st, 0) : 0;
}

static const char sql_scope_tx[] = "SELECT count(*) FROM scope_tx";

static int run_sql(struct ledger *lg, const char *sql, const char *company, struct gerr *err)
{
	sqlite3_stmt *st = ldb_stmt(lg, sql, err);
	if (!st)
		return -1;
	if (company && sqlite3_bind_parameter_count(st) >= 1)
		ldb_text(st, 1, company);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : ldb_error(lg, err, "cannot find the scope of a run");
}

/* Is a scope of ntx transactions more than LEDGER_FULL_PERCENT of the company's (and over
 * 1,000)? The company's transactions are counted once, and only when it could be. */
static int too_big(struct ledger *lg, const char *company, int64_t ntx, int64_t *total, bool *full,
		   struct gerr *err)
{
	if (ntx <= 1000)
		return 0;
	if (*total < 0 && (*total = count(lg, "SELECT count(*) FROM transactions WHERE company = ?1", company, err)) < 0)
		return ldb_error(lg, err, "cannot count transactions");
	*full = ntx * 100 > *total * LEDGER_FULL_PERCENT;
	return 0;
}

/* Fill scope_tx and scope_inv — or set *full when the run is to decide everything of the
 * company (then what they hold is not used). The company's new rows are those waiting in
 * tx_pending and inv_pending. */
static int find_scope(struct ledger *lg, const char *company, bool *full, struct gerr *err)
{
	if (ldb_exec(lg, "CREATE TEMP TABLE IF NOT EXISTS scope_tx (id INTEGER PRIMARY KEY);"
			 "CREATE TEMP TABLE IF NOT EXISTS scope_inv (id INTEGER PRIMARY KEY);"
			 "DELETE FROM scope_tx; DELETE FROM scope_inv;", err) < 0)
		return -1;
	int64_t total = -1;
	if (!*full && too_big(lg, company, count(lg, "SELECT count(*) FROM tx_pending WHERE company = ?1", company, err),
			      &total, full, err) < 0)
		return -1; /* a first run: no closure, no scope tables */
	if (!*full) {
		if (run_sql(lg, "INSERT INTO scope_tx SELECT tx FROM tx_pending WHERE company = ?1", company, err) < 0 ||
		    run_sql(lg, "INSERT INTO scope_inv SELECT inv FROM inv_pending WHERE company = ?1", company, err) < 0)
			return -1;
		int64_t before = -1, now = 0;
		while (!*full && now != before) {
			before = now;
			for (size_t i = 0; i < ARRAY_LEN(closure_steps); i++)
				if (run_sql(lg, closure_steps[i], company, err) < 0)
					return -1;
			int64_t ntx = count(lg, sql_scope_tx, NULL, err), ninv = count(lg, "SELECT count(*) FROM scope_inv",
											NULL, err);
			now = ntx + ninv;
			if (too_big(lg, company, ntx, &total, full, err) < 0)
				return -1;
		}
	}
	return 0; /* a whole company's run reads its rows without the scope tables (company_rows) */
}

/* ---- loading it ------------------------------------------------------------------------------ */

/* The queries of a run's rows: over the scope tables, or for a run over the whole company
 * over its rows directly (in id order, as the scope tables give them). ?1 is the company. */
struct rows_sql {
	const char *ntxns, *ninvoices, *txns, *invoices, *corrections, *decisions, *old, *unmatch;
};

#define TXN_COLUMNS "SELECT t.id, t.ident, t.date, t.amount, t.currency, t.account, t.cp_name, t.cp_account, " \
		    "t.title, t.skip FROM "
#define INVOICE_COLUMNS "SELECT i.id, i.ident, i.dir, i.number, i.cp_name, i.cp_nip, i.cp_accounts, i.currency, " \
			"coalesce(i.gross, 0), i.reg_paid, i.reg_closed, i.paid_flag, i.correction, " \
			"i.corrects_id IS NOT NULL, i.issue_date, i.due_date, i.gross IS NULL FROM "
/* The corrections folded into the invoices they correct, whose gross is known (in C: SQLite's
 * sum() fails the whole query when a total passes int64, and its + turns into a
 * floating-point number). */
#define CORRECTION_COLUMNS "SELECT c.corrects_id, c.gross FROM "
#define DECISION_COLUMNS "SELECT d.kind, t.id, i.id FROM "
#define DECISION_INVOICE " LEFT JOIN invoices i ON i.company = d.company AND i.ident = d.inv_ident "
#define OLD_COLUMNS "SELECT o.tx, o.state, o.changed, m.inv, m.amount, m.rule FROM "

static const struct rows_sql scope_rows = {
	.ntxns = "SELECT count(*) FROM scope_tx",
	.ninvoices = "SELECT count(*) FROM scope_inv",
	.txns = TXN_COLUMNS "scope_tx s CROSS JOIN transactions t ON t.id = s.id",
	.invoices = INVOICE_COLUMNS "scope_inv s CROSS JOIN invoices i ON i.id = s.id ORDER BY s.id",
	.corrections = CORRECTION_COLUMNS "scope_inv s CROSS JOIN invoices o ON o.id = s.id CROSS JOIN invoices c "
		       "ON c.corrects_id = o.id WHERE o.gross IS NOT NULL AND c.correction AND c.gross IS NOT NULL",
	.decisions = DECISION_COLUMNS "scope_tx s CROSS JOIN transactions t ON t.id = s.id CROSS JOIN decisions d "
		     "ON d.company = t.company AND d.tx_ident = t.ident" DECISION_INVOICE "ORDER BY d.id",
	.old = OLD_COLUMNS "scope_tx s CROSS JOIN tx_outcomes o ON o.tx = s.id LEFT JOIN matches m ON m.tx = o.tx "
	       "ORDER BY o.tx, m.seq",
	.unmatch = "DELETE FROM matches WHERE tx IN (SELECT id FROM scope_tx)",
};

static const struct rows_sql company_rows = {
	.ntxns = "SELECT count(*) FROM transactions WHERE company = ?1",
	.ninvoices = "SELECT count(*) FROM invoices WHERE company = ?1",
	.txns = TXN_COLUMNS "transactions t WHERE t.company = ?1 ORDER BY t.id",
	.invoices = INVOICE_COLUMNS "invoices i WHERE i.company = ?1 ORDER BY i.id",
	.corrections = CORRECTION_COLUMNS "invoices o CROSS JOIN invoices c ON c.corrects_id = o.id WHERE "
		       "o.company = ?1 AND o.gross IS NOT NULL AND c.correction AND c.gross IS NOT NULL",
	.decisions = DECISION_COLUMNS "decisions d CROSS JOIN transactions t ON t.company = d.company AND t.ident = "
		     "d.tx_ident" DECISION_INVOICE "WHERE d.company = ?1 ORDER BY d.id",
	.old = OLD_COLUMNS "tx_outcomes o LEFT JOIN matches m ON m.tx = o.tx WHERE o.company = ?1 ORDER BY o.tx, m.seq",
	.unmatch = "DELETE FROM matches WHERE tx IN (SELECT id FROM transactions WHERE company = ?1)",
};

/* The prepared statement of one of them, its company bound. */
static sqlite3_stmt *rows_stmt(struct ledger *lg, const char *sql, const char *company, struct gerr *err)
{
	sqlite3_stmt *st = ldb_stmt(lg, sql, err);
	if (st && sqlite3_bind_parameter_count(st) >= 1)
		ldb_text(st, 1, company);
	return st;
}

/* The strings of a loaded scope, copied into large blocks freed together (a scope of
 * 100,000 rows holds over half a million of them: one allocation each cost more than
 * reading them). */
#define TEXTS_BLOCK (1 << 20)

struct texts {
	char **blocks;
	size_t nblocks;
	size_t used, cap;            /* of the last block */
};

static void *texts_alloc(struct texts *t, size_t n)
{
	n = (n + 7) & ~(size_t)7;
	if (t->used + n > t->cap) {
		t->cap = n > TEXTS_BLOCK ? n : TEXTS_BLOCK;
		t->blocks = xrealloc(t->blocks, (t->nblocks + 1) * sizeof(*t->blocks));
		t->blocks[t->nblocks++] = xmalloc(t->cap);
		t->used = 0;
	}
	void *p = t->blocks[t->nblocks - 1] + t->used;
	t->used += n;
	return p;
}

static const char *texts_copy(struct texts *t, const char *s, size_t n)
{
	char *p = texts_alloc(t, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static void texts_free(struct texts *t)
{
	for (size_t i = 0; i < t->nblocks; i++)
		free(t->blocks[i]);
	free(t->blocks);
}

struct loaded {
	struct pm_scope scope;
	struct texts texts;          /* every string the scope points to, and the account lists */
	struct pm_decision *decisions;
};

/* Column i kept for the run ("" for NULL). */
static const char *keep(struct loaded *l, sqlite3_stmt *st, int i)
{
	const char *s = ldb_col(st, i);
	return texts_copy(&l->texts, s, (size_t)sqlite3_column_bytes(st, i));
}

/* Column i into a fixed field of cap bytes, cut to fit. */
static void copy_col(char *out, size_t cap, sqlite3_stmt *st, int i)
{
	const char *s = ldb_col(st, i);
	size_t n = (size_t)sqlite3_column_bytes(st, i);
	n = n < cap ? n : cap - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

/* The invoice's accounts (one space between each) as a list kept for the run. */
static char *const *keep_accounts(struct loaded *l, sqlite3_stmt *st, int i, size_t *n)
{
	const char *s = ldb_col(st, i);
	size_t count = 0;
	for (const char *p = s; *p;) {
		size_t len = strcspn(p, " ");
		count += len > 0;
		p += len + strspn(p + len, " ");
	}
	*n = count;
	if (!count)
		return NULL;
	const char **items = texts_alloc(&l->texts, count * sizeof(*items));
	size_t k = 0;
	for (const char *p = s; *p;) {
		size_t len = strcspn(p, " ");
		if (len)
			items[k++] = texts_copy(&l->texts, p, len);
		p += len + strspn(p + len, " ");
	}
	return (char *const *)items;
}

static struct pm_invoice *loaded_invoice(struct loaded *l, int64_t id)
{
	size_t lo = 0, hi = l->scope.ninvoices;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (l->scope.invoices[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < l->scope.ninvoices && l->scope.invoices[lo].id == id ? &l->scope.invoices[lo] : NULL;
}

/* Each correction's gross added to the invoice it corrects (loaded in id order). An invoice
 * whose corrected gross does not fit in int64 has no gross the engine can use (as one whose
 * gross is unknown): it is left for a person. */
static int fold_corrections(struct ledger *lg, const struct rows_sql *q, const char *company,
			    struct loaded *l, struct gerr *err)
{
	sqlite3_stmt *st = rows_stmt(lg, q->corrections, company, err);
	if (!st)
		return -1;
	bool *too_big = xcalloc(l->scope.ninvoices + 1, sizeof *too_big);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct pm_invoice *v = loaded_invoice(l, sqlite3_column_int64(st, 0));
		size_t k = v ? (size_t)(v - l->scope.invoices) : 0;
		if (v && !too_big[k])
			too_big[k] = __builtin_add_overflow(v->gross, sqlite3_column_int64(st, 1), &v->gross);
	}
	for (size_t i = 0; i < l->scope.ninvoices; i++)
		if (too_big[i])
			l->scope.invoices[i].gross = 0;
	free(too_big);
	return ldb_rows_end(lg, rc, "cannot read the ledger's corrections", err);
}

static int load_txns(struct ledger *lg, const struct rows_sql *q, const char *company, struct loaded *l,
		     struct gerr *err)
{
	int64_t n = count(lg, q->ntxns, company, err);
	sqlite3_stmt *st = rows_stmt(lg, q->txns, company, err);
	if (!st || n < 0)
		return -1;
	l->scope.txns = xcalloc((size_t)n + 1, sizeof(struct pm_txn));
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && l->scope.ntxns < (size_t)n) {
		struct pm_txn *t = &l->scope.txns[l->scope.ntxns++];
		t->id = sqlite3_column_int64(st, 0);
		t->ident = keep(l, st, 1);
		copy_col(t->date, sizeof(t->date), st, 2);
		t->amount = sqlite3_column_int64(st, 3);
		copy_col(t->currency, sizeof(t->currency), st, 4);
		t->account = keep(l, st, 5);
		t->cp_name = keep(l, st, 6);
		t->cp_account = keep(l, st, 7);
		t->title = keep(l, st, 8);
		t->skip = sqlite3_column_int(st, 9);
	}
	return ldb_rows_end(lg, rc, "cannot read the ledger's transactions", err);
}

static int load_invoices(struct ledger *lg, const struct rows_sql *q, const char *company, struct loaded *l,
			 struct gerr *err)
{
	int64_t n = count(lg, q->ninvoices, company, err);
	sqlite3_stmt *st = rows_stmt(lg, q->invoices, company, err);
	if (!st || n < 0)
		return -1;
	l->scope.invoices = xcalloc((size_t)n + 1, sizeof(struct pm_invoice));
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && l->scope.ninvoices < (size_t)n) {
		size_t k = l->scope.ninvoices++;
		struct pm_invoice *v = &l->scope.invoices[k];
		v->id = sqlite3_column_int64(st, 0);
		v->ident = keep(l, st, 1);
		v->dir = sqlite3_column_int(st, 2) == PM_SALES ? PM_SALES : PM_PURCHASE;
		v->number = keep(l, st, 3);
		v->cp_name = keep(l, st, 4);
		copy_col(v->cp_nip, sizeof(v->cp_nip), st, 5);
		v->cp_accounts = keep_accounts(l, st, 6, &v->ncp_accounts);
		copy_col(v->currency, sizeof(v->currency), st, 7);
		v->gross = sqlite3_column_int(st, 16) ? 0 : sqlite3_column_int64(st, 8);
		v->closed = sqlite3_column_int(st, 10) || sqlite3_column_int(st, 11);
		v->paid_outside = v->closed ? 0 : sqlite3_column_int64(st, 9);
		v->correction = sqlite3_column_int(st, 12);
		v->corrects_known = v->correction && sqlite3_column_int(st, 13);
		copy_col(v->issue_date, sizeof(v->issue_date), st, 14);
		copy_col(v->due_date, sizeof(v->due_date), st, 15);
	}
	if (ldb_rows_end(lg, rc, "cannot read the ledger's invoices", err) < 0)
		return -1;
	return fold_corrections(lg, q, company, l, err);
}

static int load_decisions(struct ledger *lg, const struct rows_sql *q, const char *company, struct loaded *l,
			  struct gerr *err)
{
	sqlite3_stmt *st = rows_stmt(lg, q->decisions, company, err);
	if (!st)
		return -1;
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *kind = ldb_col(st, 0);
		if (strcmp(kind, "dismiss") != 0 && sqlite3_column_type(st, 2) == SQLITE_NULL)
			continue; /* its invoice is not (or no longer) in the ledger */
		if (l->scope.ndecisions == cap) {
			cap = cap ? cap * 2 : 16;
			l->decisions = xrealloc(l->decisions, cap * sizeof(*l->decisions));
		}
		struct pm_decision *d = &l->decisions[l->scope.ndecisions++];
		d->kind = !strcmp(kind, "pair") ? PM_PAIR : !strcmp(kind, "reject") ? PM_REJECT : PM_DISMISS;
		d->tx = sqlite3_column_int64(st, 1);
		d->inv = sqlite3_column_int64(st, 2);
	}
	l->scope.decisions = l->decisions;
	return ldb_rows_end(lg, rc, "cannot read the ledger's decisions", err);
}

static void loaded_free(struct loaded *l)
{
	free(l->scope.invoices);
	free(l->scope.txns);
	free(l->decisions);
	texts_free(&l->texts);
}

/* ---- a whole company's write ------------------------------------------------------------------- */

/* The indexes on what a run rewrites (the migration steps in ledger.c create them). A run
 * over the whole company rewrites every row of its outcomes, open amounts and matches;
 * keeping these indexes up to date row by row costs more than building them again from a
 * sort, so such a run drops them before its writes and creates them again after, in the
 * same transaction: a reader or a crash sees them as they were or as they are after. */
static const struct {
	const char *name, *create;
} rewritten_indexes[] = {
	{"tx_outcomes_state", "CREATE INDEX tx_outcomes_state ON tx_outcomes(company, state)"},
	{"tx_outcomes_changed", "CREATE INDEX tx_outcomes_changed ON tx_outcomes(company, changed)"},
	{"matches_tx", "CREATE INDEX matches_tx ON matches(tx)"},
	{"matches_inv", "CREATE INDEX matches_inv ON matches(inv)"},
	{"inv_open_amount", "CREATE INDEX inv_open_amount ON inv_open(company, open)"},
};

/* DROP and CREATE refuse while a statement of this handle is still active. */
static void reset_all(struct ledger *lg)
{
	for (size_t i = 0; i < lg->nstmts; i++)
		sqlite3_reset(lg->stmts[i].st);
}

static int drop_rewritten_indexes(struct ledger *lg, struct gerr *err)
{
	reset_all(lg);
	for (size_t i = 0; i < ARRAY_LEN(rewritten_indexes); i++) {
		char sql[64];
		snprintf(sql, sizeof(sql), "DROP INDEX %s", rewritten_indexes[i].name);
		if (ldb_exec(lg, sql, err) < 0)
			return -1;
	}
	return 0;
}

static int create_rewritten_indexes(struct ledger *lg, struct gerr *err)
{
	reset_all(lg);
	for (size_t i = 0; i < ARRAY_LEN(rewritten_indexes); i++)
		if (ldb_exec(lg, rewritten_indexes[i].create, err) < 0)
			return -1;
	return 0;
}

/* ---- storing what was decided ------------------------------------------------------------------ */

/* What a transaction's outcome was, as one string: state and matches. */
static void signature(struct buf *b, const char *state, sqlite3_int64 inv, sqlite3_int64 amount, const char *rule)
{
	if (!b->len && state)
		buf_puts(b, state);
	if (inv)
		buf_printf(b, ";%lld:%lld:%s", (long long)inv, (long long)amount, rule);
}

/* The signatures before the run and the generation that last changed each, in
 * transaction id order. */
struct old_sig {
	int64_t tx;
	int64_t changed;
	char *sig;
};

struct old_sigs {
	struct old_sig *v;
	size_t n, cap;
};

static void old_sig_add(struct old_sigs *o, int64_t tx, int64_t changed, struct buf *b)
{
	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 1024;
		o->v = xrealloc(o->v, o->cap * sizeof(*o->v));
	}
	o->v[o->n++] = (struct old_sig){tx, changed, buf_take(b)};
}

static int old_signatures(struct ledger *lg, const struct rows_sql *q, const char *company, struct old_sigs *out,
			  struct gerr *err)
{
	sqlite3_stmt *st = rows_stmt(lg, q->old, company, err);
	if (!st)
		return -1;
	int64_t last = 0, changed = 0;
	struct buf b = {0};
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		if (id != last && last)
			old_sig_add(out, last, changed, &b);
		last = id;
		changed = sqlite3_column_int64(st, 2);
		signature(&b, ldb_col(st, 1), sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4), ldb_col(st, 5));
	}
	if (last)
		old_sig_add(out, last, changed, &b);
	buf_free(&b);
	return ldb_rows_end(lg, rc, "cannot read the ledger's outcomes", err);
}

/* What transaction tx had before the run, or NULL. */
static const struct old_sig *old_sig_of(const struct old_sigs *o, int64_t tx)
{
	size_t lo = 0, hi = o->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (o->v[mid].tx < tx)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < o->n && o->v[lo].tx == tx ? &o->v[lo] : NULL;
}

static void old_sigs_free(struct old_sigs *o)
{
	for (size_t i = 0; i < o->n; i++)
		free(o->v[i].sig);
	free(o->v);
}

/* Matches ordered by transaction, each transaction's in the order they were made. */
struct ordered {
	struct pm_match m;
	size_t made;
};

static int ordered_cmp(const void *a, const void *b)
{
	const struct ordered *x = a, *y = b;
	if (x->m.tx != y->m.tx)
		return x->m.tx < y->m.tx ? -1 : 1;
	return x->made < y->made ? -1 : x->made > y->made;
}

/* The first of a transaction's matches in the ordered list (n when it has none). */
static size_t first_match(const struct ordered *m, size_t n, int64_t tx)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (m[mid].m.tx < tx)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int store(struct ledger *lg, const struct rows_sql *q, const char *company, const struct loaded *l,
		 struct pm_result *r, int64_t generation, struct ledger_run *run, struct gerr *err)
{
	struct old_sigs old = {0};
	sqlite3_stmt *unmatch = NULL;
	if (old_signatures(lg, q, company, &old, err) < 0 || !(unmatch = rows_stmt(lg, q->unmatch, company, err)) ||
	    (sqlite3_step(unmatch) != SQLITE_DONE && ldb_error(lg, err, "cannot write") < 0) ||
	    (run->full && drop_rewritten_indexes(lg, err) < 0)) {
		old_sigs_free(&old);
		return -1;
	}
	struct ordered *m = xmalloc((r->nmatches + 1) * sizeof(*m));
	for (size_t i = 0; i < r->nmatches; i++)
		m[i] = (struct ordered){r->matches[i], i};
	qsort(m, r->nmatches, sizeof(*m), ordered_cmp);
	int rc = 0;
	sqlite3_stmt *ins = ldb_stmt(lg, "INSERT INTO matches(tx, inv, seq, amount, rule, certainty) VALUES "
				     "(?1, ?2, ?3, ?4, ?5, ?6)", err);
	sqlite3_stmt *upd = NULL;
	if (!ins)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < r->nmatches; i++) {
		sqlite3_reset(ins);
		sqlite3_bind_int64(ins, 1, m[i].m.tx);
		sqlite3_bind_int64(ins, 2, m[i].m.inv);
		sqlite3_bind_int(ins, 3, (int)i);
		sqlite3_bind_int64(ins, 4, m[i].m.amount);
		ldb_text(ins, 5, pm_rule_name(m[i].m.rule));
		ldb_text(ins, 6, pm_certainty_name(m[i].m.certainty));
		if (sqlite3_step(ins) != SQLITE_DONE)
			rc = ldb_error(lg, err, "cannot write a match");
	}
	/* each transaction: state, reason, candidates; changed when its signature differs */
	for (size_t i = 0; rc == 0 && i < l->scope.ntxns; i++) {
		if (i == l->scope.ntxns / 2)
			fault_point("ledger-match-write"); /* the matches written, half the outcomes */
		const struct pm_outcome *o = &r->outcomes[i];
		struct buf sig = {0}, cand = {0};
		signature(&sig, pm_state_name(o->state), 0, 0, NULL);
		for (size_t k = first_match(m, r->nmatches, o->tx); k < r->nmatches && m[k].m.tx == o->tx; k++)
			signature(&sig, NULL, m[k].m.inv, m[k].m.amount, pm_rule_name(m[k].m.rule));
		for (size_t k = 0; k < o->ncandidates; k++)
			buf_printf(&cand, "%s%lld", k ? " " : "", (long long)o->candidates[k]);
		const struct old_sig *before = old_sig_of(&old, o->tx);
		bool changed = !before || strcmp(before->sig, sig.data) != 0;
		if (changed) {
			run->changed++;
			run->matched += o->state == PM_MATCHED;
			run->person += o->state == PM_PERSON;
			run->unmatched += o->state == PM_UNMATCHED;
		}
		if (!upd && !(upd = ldb_stmt(lg, "INSERT OR REPLACE INTO tx_outcomes(tx, company, state, reason, "
					     "candidates, overpaid, changed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", err)))
			rc = -1;
		if (rc == 0) {
			sqlite3_reset(upd);
			sqlite3_bind_int64(upd, 1, o->tx);
			sqlite3_bind_text(upd, 2, company, -1, SQLITE_STATIC);
			sqlite3_bind_text(upd, 3, pm_state_name(o->state), -1, SQLITE_STATIC);
			ldb_text(upd, 4, o->reason);
			ldb_text(upd, 5, cand.data);
			sqlite3_bind_int64(upd, 6, o->overpaid);
			sqlite3_bind_int64(upd, 7, changed ? generation : before->changed);
			if (sqlite3_step(upd) != SQLITE_DONE)
				rc = ldb_error(lg, err, "cannot write a transaction's state");
		}
		buf_free(&sig);
		buf_free(&cand);
	}
	sqlite3_stmt *inv = rc == 0 ? ldb_stmt(lg, "INSERT OR REPLACE INTO inv_open(inv, company, open) VALUES "
					       "(?1, ?2, ?3)", err) : NULL;
	if (rc == 0 && !inv)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < l->scope.ninvoices; i++) {
		sqlite3_reset(inv);
		sqlite3_bind_int64(inv, 1, l->scope.invoices[i].id);
		sqlite3_bind_text(inv, 2, company, -1, SQLITE_STATIC);
		sqlite3_bind_int64(inv, 3, r->open[i]);
		if (sqlite3_step(inv) != SQLITE_DONE)
			rc = ldb_error(lg, err, "cannot write an invoice's open amount");
	}
	if (rc == 0 && run->full)
		rc = create_rewritten_indexes(lg, err);
	free(m);
	old_sigs_free(&old);
	return rc;
}

/* ---- the run ------------------------------------------------------------------------------------- */

static int finish_run(struct ledger *lg, const char *company, const struct ledger_run *run, struct gerr *err)
{
	char now[32];
	ldb_now(now);
	sqlite3_stmt *st = ldb_stmt(lg, "UPDATE companies SET last_run = ?2, generation = CASE WHEN ?3 THEN ?4 "
				    "ELSE generation END, report_due = report_due OR ?3 WHERE id = ?1", err);
	if (!st)
		return -1;
	ldb_text(st, 1, company);
	ldb_text(st, 2, now);
	sqlite3_bind_int(st, 3, run->changed > 0);
	sqlite3_bind_int64(st, 4, run->generation);
	if (sqlite3_step(st) != SQLITE_DONE)
		return ldb_error(lg, err, "cannot write");
	/* every transaction waiting was in the scope; an invoice still waiting was not
	 * reachable from a transaction: nothing to decide */
	return run_sql(lg, "DELETE FROM tx_pending WHERE company = ?1", company, err) < 0 ? -1 :
	       run_sql(lg, "DELETE FROM inv_pending WHERE company = ?1", company, err);
}

int ledger_match(struct ledger *lg, const struct ledger_company *c, bool full, struct ledger_run *run,
		 struct gerr *err)
{
	memset(run, 0, sizeof(*run));
	int64_t t0 = now_ms();
	clock_t c0 = clock();
	int64_t pending = full ? 1 : count(lg, "SELECT EXISTS (SELECT 1 FROM tx_pending WHERE company = ?1) OR "
					   "EXISTS (SELECT 1 FROM inv_pending WHERE company = ?1)", c->id, err);
	if (pending <= 0)
		return pending < 0 ? ldb_error(lg, err, "cannot look for new data") : 0;
	if (ldb_begin(lg, err) < 0)
		return -1;
	int rc = run_sql(lg, "INSERT OR IGNORE INTO companies(id) VALUES (?1)", c->id, err);
	int64_t generation = rc == 0 ? count(lg, "SELECT generation FROM companies WHERE id = ?1", c->id, err) : -1;
	if (generation < 0)
		rc = -1;
	run->full = full;
	if (rc == 0)
		rc = find_scope(lg, c->id, &run->full, err);
	struct loaded l = {0};
	struct pm_result r = {0};
	const struct rows_sql *q = run->full ? &company_rows : &scope_rows;
	if (rc == 0)
		rc = load_txns(lg, q, c->id, &l, err);
	if (rc == 0)
		rc = load_invoices(lg, q, c->id, &l, err);
	if (rc == 0)
		rc = load_decisions(lg, q, c->id, &l, err);
	if (rc == 0) {
		run->scope_txns = l.scope.ntxns;
		run->scope_invoices = l.scope.ninvoices;
		l.scope.settings.partial = c->partial;
		snprintf(l.scope.settings.own_nip, sizeof(l.scope.settings.own_nip), "%s", c->nip);
		pm_run(&l.scope, &r);
		run->generation = generation + 1;
		rc = store(lg, q, c->id, &l, &r, run->generation, run, err);
	}
	if (rc == 0) {
		if (!run->changed)
			run->generation = generation;
		rc = finish_run(lg, c->id, run, err);
	}
	if (rc == 0)
		rc = ldb_commit(lg, err);
	if (rc < 0)
		ldb_rollback(lg);
	pm_result_free(&r, l.scope.ntxns);
	loaded_free(&l);
	run->seconds = (double)(now_ms() - t0) / 1000.0;
	run->cpu_seconds = (double)(clock() - c0) / CLOCKS_PER_SEC;
	return rc;
}

int ledger_rebuild(struct ledger *lg, const char *spool_root, const struct ledger_company *companies,
		   size_t ncompanies, struct gerr *err)
{
	if (ldb_exec(lg, "BEGIN IMMEDIATE; DELETE FROM matches; DELETE FROM tx_keys; DELETE FROM inv_keys; "
			 "DELETE FROM tx_outcomes; DELETE FROM inv_open; DELETE FROM tx_pending; DELETE FROM inv_pending; "
			 "DELETE FROM transactions; DELETE FROM invoices; DELETE FROM docs; DELETE FROM balances; DELETE FROM scanned; "
			 "DELETE FROM meta WHERE key = 'scan_from'; COMMIT;", err) < 0) {
		ldb_rollback(lg);
		return -1;
	}
	struct ledger_ingest st;
	if (ledger_ingest_spool(lg, spool_root, companies, ncompanies, &st, err) < 0)
		return -1;
	struct strlist ids = {0};
	int rc = ledger_companies(lg, &ids, err);
	for (size_t i = 0; rc == 0 && i < ids.len; i++) {
		struct ledger_company c = {.id = ids.items[i]};
		for (size_t k = 0; k < ncompanies; k++)
			if (!strcmp(companies[k].id, ids.items[i]))
				c = companies[k];
		struct ledger_run run;
		rc = ledger_match(lg, &c, true, &run, err);
	}
	strlist_free(&ids);
	return rc;
}
