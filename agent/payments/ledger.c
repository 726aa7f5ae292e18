/* ledger — opening, schema and migrations, decisions, what the ledger says; see ledger.h. */
#include "payments/ledger_db.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/money.h"
#include "core/spool.h"
#include "core/testhook.h"
#include "formats/paytitle.h"

#define BUSY_MS 30000

/* ---- statements ------------------------------------------------------------------------- */

int ldb_error(struct ledger *lg, struct gerr *err, const char *what)
{
	return gerr_set(err, "ledger %s: %s: %s", lg->path, what, sqlite3_errmsg(lg->db));
}

int ldb_rows_end(struct ledger *lg, int rc, const char *what, struct gerr *err)
{
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : ldb_error(lg, err, what);
}

int ldb_row(struct ledger *lg, sqlite3_stmt *st, const char *what, struct gerr *err)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return 1;
	return ldb_rows_end(lg, rc, what, err);
}

sqlite3_stmt *ldb_stmt(struct ledger *lg, const char *sql, struct gerr *err)
{
	for (size_t i = 0; i < lg->nstmts; i++)
		if (lg->stmts[i].sql == sql) {
			sqlite3_reset(lg->stmts[i].st);
			sqlite3_clear_bindings(lg->stmts[i].st);
			return lg->stmts[i].st;
		}
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(lg->db, sql, -1, &st, NULL) != SQLITE_OK) {
		ldb_error(lg, err, "cannot prepare a query");
		return NULL;
	}
	if (lg->nstmts < LDB_STMTS_MAX) {
		lg->stmts[lg->nstmts].sql = sql;
		lg->stmts[lg->nstmts++].st = st;
	}
	return st;
}

int ldb_exec(struct ledger *lg, const char *sql, struct gerr *err)
{
	if (sqlite3_exec(lg->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return ldb_error(lg, err, "cannot write");
	return 0;
}

int ldb_begin(struct ledger *lg, struct gerr *err)
{
	return ldb_exec(lg, "BEGIN IMMEDIATE", err);
}

int ldb_commit(struct ledger *lg, struct gerr *err)
{
	return ldb_exec(lg, "COMMIT", err);
}

void ldb_rollback(struct ledger *lg)
{
	sqlite3_exec(lg->db, "ROLLBACK", NULL, NULL, NULL);
}

void ldb_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s && *s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

const char *ldb_col(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);
	return s ? s : "";
}

void ldb_ref(const char *company, const char *ident, char out[11])
{
	unsigned char md[32];
	unsigned int len = 0;
	char *text = xasprintf("%s|%s", company, ident);
	EVP_Digest(text, strlen(text), md, &len, EVP_sha256(), NULL);
	free(text);
	char hex[65];
	hex_encode(md, 32, hex);
	memcpy(out, hex, 10);
	out[10] = '\0';
}

void ldb_now(char out[32])
{
	spool_iso_time(time(NULL), out);
}

/* ---- schema --------------------------------------------------------------------------------- */

/* Each step takes the schema from version i to i + 1 (steps[0]: from nothing to 1). */
static const char *const steps[] = {
	/* 1: invoices, transactions, their linking keys, matches, decisions, documents */
	"CREATE TABLE docs ("
	"  relpath TEXT PRIMARY KEY, company TEXT, what TEXT, error TEXT, invoice INTEGER);"
	"CREATE TABLE invoices ("
	"  id INTEGER PRIMARY KEY, company TEXT NOT NULL, dir INTEGER NOT NULL,"
	"  ident TEXT NOT NULL, ref TEXT NOT NULL, number TEXT, number_norm TEXT, ksef TEXT,"
	"  kind TEXT, correction INTEGER NOT NULL DEFAULT 0, corrects TEXT, corrects_id INTEGER,"
	"  issue_date TEXT, due_date TEXT, cp_name TEXT, cp_nip TEXT, cp_key TEXT NOT NULL,"
	"  cp_accounts TEXT, currency TEXT, gross INTEGER, paid_flag INTEGER NOT NULL DEFAULT 0,"
	"  reg_paid INTEGER NOT NULL DEFAULT 0, reg_closed INTEGER NOT NULL DEFAULT 0,"
	"  rank INTEGER NOT NULL DEFAULT 0, source TEXT, doc TEXT,"
	"  open INTEGER, dirty INTEGER NOT NULL DEFAULT 1, UNIQUE(company, ident));"
	"CREATE INDEX invoices_cp ON invoices(company, cp_key);"
	"CREATE INDEX invoices_number ON invoices(company, dir, number_norm);"
	"CREATE INDEX invoices_ksef ON invoices(company, ksef) WHERE ksef IS NOT NULL;"
	"CREATE INDEX invoices_ref ON invoices(company, ref);"
	"CREATE INDEX invoices_dirty ON invoices(company) WHERE dirty;"
	"CREATE INDEX invoices_corrects ON invoices(company, corrects) WHERE corrects IS NOT NULL;"
	"CREATE TABLE inv_keys (kind TEXT, key TEXT, inv INTEGER, PRIMARY KEY(kind, key, inv)) WITHOUT ROWID;"
	"CREATE INDEX inv_keys_inv ON inv_keys(inv);"
	"CREATE TABLE transactions ("
	"  id INTEGER PRIMARY KEY, company TEXT NOT NULL, ident TEXT NOT NULL, ref TEXT NOT NULL,"
	"  account TEXT, currency TEXT, booking_date TEXT, value_date TEXT, date TEXT, amount INTEGER,"
	"  cp_name TEXT, cp_account TEXT, title TEXT, bank_ref TEXT, skip INTEGER NOT NULL DEFAULT 0,"
	"  doc TEXT, state TEXT, reason TEXT, candidates TEXT, overpaid INTEGER NOT NULL DEFAULT 0,"
	"  changed INTEGER NOT NULL DEFAULT 0, dirty INTEGER NOT NULL DEFAULT 1, UNIQUE(company, ident));"
	"CREATE INDEX tx_ref ON transactions(company, ref);"
	"CREATE INDEX tx_dirty ON transactions(company) WHERE dirty;"
	"CREATE INDEX tx_changed ON transactions(company, changed);"
	"CREATE TABLE tx_keys (kind TEXT, key TEXT, tx INTEGER, PRIMARY KEY(kind, key, tx)) WITHOUT ROWID;"
	"CREATE INDEX tx_keys_tx ON tx_keys(tx);"
	"CREATE TABLE matches ("
	"  tx INTEGER NOT NULL, inv INTEGER NOT NULL, seq INTEGER NOT NULL, amount INTEGER NOT NULL,"
	"  rule TEXT NOT NULL, certainty TEXT NOT NULL);"
	"CREATE INDEX matches_tx ON matches(tx);"
	"CREATE INDEX matches_inv ON matches(inv);"
	"CREATE TABLE decisions ("
	"  id INTEGER PRIMARY KEY, company TEXT NOT NULL, kind TEXT NOT NULL, tx_ident TEXT NOT NULL,"
	"  inv_ident TEXT, made_at TEXT, made_by TEXT);"
	"CREATE INDEX decisions_tx ON decisions(company, tx_ident);"
	"CREATE INDEX decisions_inv ON decisions(company, inv_ident);"
	"CREATE TABLE companies ("
	"  id TEXT PRIMARY KEY, generation INTEGER NOT NULL DEFAULT 0, report_due INTEGER NOT NULL DEFAULT 0,"
	"  last_run TEXT);"
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);",
	/* 2: balances per account; open invoices by amount (a person's candidates) */
	"CREATE TABLE balances ("
	"  company TEXT NOT NULL, account TEXT NOT NULL, currency TEXT NOT NULL, date TEXT,"
	"  amount INTEGER, bank TEXT, PRIMARY KEY(company, account, currency));"
	"CREATE INDEX invoices_open ON invoices(company, dir, currency, open) WHERE open > 0;",
	/* 3: an invoice's corrections by what they correct (what is open, without a scan each);
	 * open invoices by amount in an index the planner takes for open = ? (it used the
	 * partial one for the range open > 0 only) */
	"CREATE INDEX invoices_corrected ON invoices(corrects_id);"
	"DROP INDEX invoices_open;"
	"CREATE INDEX invoices_amount ON invoices(company, dir, currency, open);",
	/* 4: what a matching run decides, in narrow tables of their own: a run writes these
	 * instead of rewriting every wide row of transactions and invoices (title, names)
	 * for a few columns — a transaction's outcome, an invoice's open amount, and the rows
	 * waiting for a run */
	"CREATE TABLE tx_outcomes ("
	"  tx INTEGER PRIMARY KEY, company TEXT NOT NULL, state TEXT NOT NULL, reason TEXT, candidates TEXT,"
	"  overpaid INTEGER NOT NULL DEFAULT 0, changed INTEGER NOT NULL DEFAULT 0);"
	"INSERT INTO tx_outcomes SELECT id, company, state, reason, candidates, overpaid, changed FROM transactions "
	"  WHERE state IS NOT NULL;"
	"CREATE INDEX tx_outcomes_state ON tx_outcomes(company, state);"
	"CREATE INDEX tx_outcomes_changed ON tx_outcomes(company, changed);"
	"CREATE TABLE inv_open (inv INTEGER PRIMARY KEY, company TEXT NOT NULL, open INTEGER NOT NULL);"
	"INSERT INTO inv_open SELECT id, company, open FROM invoices WHERE open IS NOT NULL;"
	"CREATE INDEX inv_open_amount ON inv_open(company, open);"
	"CREATE TABLE tx_pending (company TEXT NOT NULL, tx INTEGER NOT NULL, PRIMARY KEY(company, tx)) WITHOUT ROWID;"
	"INSERT INTO tx_pending SELECT company, id FROM transactions WHERE dirty;"
	"CREATE TABLE inv_pending (company TEXT NOT NULL, inv INTEGER NOT NULL, PRIMARY KEY(company, inv)) "
	"  WITHOUT ROWID;"
	"INSERT INTO inv_pending SELECT company, id FROM invoices WHERE dirty;"
	"DROP INDEX tx_dirty; DROP INDEX tx_changed; DROP INDEX invoices_dirty; DROP INDEX invoices_amount;"
	"ALTER TABLE transactions DROP COLUMN state; ALTER TABLE transactions DROP COLUMN reason;"
	"ALTER TABLE transactions DROP COLUMN candidates; ALTER TABLE transactions DROP COLUMN overpaid;"
	"ALTER TABLE transactions DROP COLUMN changed; ALTER TABLE transactions DROP COLUMN dirty;"
	"ALTER TABLE invoices DROP COLUMN open; ALTER TABLE invoices DROP COLUMN dirty;"
	/* a company's rows in id order (a run over the whole company reads them so) */
	"CREATE INDEX tx_company ON transactions(company);"
	"CREATE INDEX invoices_company ON invoices(company);",
	/* 5: each source folder read to the end, with its modification time then (a folder
	 * whose time has not changed since holds no document the ledger has not read) */
	"CREATE TABLE scanned (dir TEXT PRIMARY KEY, mtime INTEGER NOT NULL) WITHOUT ROWID;",
};

_Static_assert(ARRAY_LEN(steps) == LEDGER_SCHEMA, "one migration step per schema version");

int ledger_schema(struct ledger *lg)
{
	sqlite3_stmt *st = NULL;
	int v = -1;
	if (sqlite3_prepare_v2(lg->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Bring the schema to LEDGER_SCHEMA in one transaction, so that a reader (goniec status)
 * sees the ledger as it was or as it is to be, never between two steps. Tests may stop at
 * an older version (GONIEC_LEDGER_SCHEMA, read in test builds only: core/testhook.h). */
static int migrate(struct ledger *lg, struct gerr *err)
{
	int v = ledger_schema(lg);
	int want = LEDGER_SCHEMA;
	const char *env = test_hook_env("GONIEC_LEDGER_SCHEMA");
	if (env && atoi(env) >= 1 && atoi(env) < LEDGER_SCHEMA)
		want = atoi(env);
	if (v < 0)
		return ldb_error(lg, err, "cannot read the schema version");
	if (v > LEDGER_SCHEMA)
		return gerr_set(err, "ledger %s: schema version %d is newer than this goniec knows (%d): "
			       "it was written by a newer version", lg->path, v, LEDGER_SCHEMA);
	if (v >= want)
		return 0;
	struct buf sql = {0};
	buf_printf(&sql, "BEGIN IMMEDIATE;");
	for (; v < want; v++)
		buf_printf(&sql, " %s", steps[v]);
	buf_printf(&sql, " PRAGMA user_version = %d; COMMIT;", want);
	int rc = sqlite3_exec(lg->db, sql.data, NULL, NULL, NULL);
	buf_free(&sql);
	if (rc != SQLITE_OK) {
		ldb_error(lg, err, "cannot migrate the schema");
		ldb_rollback(lg);
		return -1;
	}
	return 0;
}

/* ---- opening ------------------------------------------------------------------------------ */

static int take_lock(const char *state_dir, int *fd_out, struct gerr *err)
{
	char *path = path_join(state_dir, LEDGER_LOCK_FILE);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		gerr_sys(err, "%s", path);
		free(path);
		return -1;
	}
	int64_t until = now_ms() + (int64_t)LEDGER_LOCK_WAIT * 1000;
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if ((errno != EWOULDBLOCK && errno != EINTR) || now_ms() >= until) {
			gerr_setk(err, GERR_BUSY, "%s: another matcher run holds the ledger", path);
			close(fd);
			free(path);
			return -1;
		}
		sleep_ms(50);
	}
	free(path);
	*fd_out = fd;
	return 0;
}

void ledger_close(struct ledger *lg)
{
	if (!lg)
		return;
	for (size_t i = 0; i < lg->nstmts; i++)
		sqlite3_finalize(lg->stmts[i].st);
	sqlite3_close(lg->db);
	if (lg->lock_fd >= 0)
		close(lg->lock_fd);
	free(lg->path);
	free(lg);
}

int ledger_open(const char *state_dir, enum ledger_mode mode, struct ledger **out, struct gerr *err)
{
	*out = NULL;
	struct ledger *lg = xcalloc(1, sizeof(*lg));
	lg->lock_fd = -1;
	lg->mode = mode;
	lg->path = path_join(state_dir, LEDGER_FILE);
	if (mode == LEDGER_WRITE &&
	    (mkdir_p(state_dir, 0700, err) < 0 || take_lock(state_dir, &lg->lock_fd, err) < 0)) {
		ledger_close(lg);
		return -1;
	}
	int flags = mode == LEDGER_WRITE ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
	mode_t old = umask(077);
	int rc = sqlite3_open_v2(lg->path, &lg->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
	umask(old);
	if (rc != SQLITE_OK) {
		if (lg->db)
			ldb_error(lg, err, "cannot open");
		else
			gerr_set(err, "ledger %s: cannot open", lg->path);
		ledger_close(lg);
		return -1;
	}
	sqlite3_busy_timeout(lg->db, BUSY_MS);
	if (mode == LEDGER_WRITE &&
	    (ldb_exec(lg, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA temp_store=MEMORY;", err) < 0 ||
	     migrate(lg, err) < 0)) {
		ledger_close(lg);
		return -1;
	}
	if (mode == LEDGER_READ && ledger_schema(lg) == 0) {
		gerr_setk(err, GERR_BUSY, "ledger %s: being created by the first matcher run", lg->path);
		ledger_close(lg);
		return -1;
	}
	if (mode == LEDGER_READ && ledger_schema(lg) != LEDGER_SCHEMA) {
		gerr_set(err, "ledger %s: schema version %d, this goniec reads %d (a matcher run "
			 "migrates it)", lg->path, ledger_schema(lg), LEDGER_SCHEMA);
		ledger_close(lg);
		return -1;
	}
	*out = lg;
	return 0;
}

/* ---- decisions -------------------------------------------------------------------------------- */

/* The transaction a person's reference names (in the company, or in any when NULL): its
 * id, identity and company. */
static int find_tx(struct ledger *lg, const char *company, const char *ref, int64_t *id, char **ident,
		   char **company_out, struct gerr *err)
{
	if (strlen(ref) < 6 || strspn(ref, "0123456789abcdef") != strlen(ref))
		return gerr_setk(err, GERR_PERMANENT, "'%s' is no transaction reference (the ref "
				 "column of goniec payments, at least 6 characters)", ref);
	sqlite3_stmt *st = ldb_stmt(lg, "SELECT id, ident, company FROM transactions WHERE (?1 IS NULL OR "
				    "company = ?1) AND ref >= ?2 AND ref < ?2 || 'g' LIMIT 2", err);
	if (!st)
		return -1;
	ldb_text(st, 1, company);
	ldb_text(st, 2, ref);
	int n = 0, rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n++ == 0) {
			*id = sqlite3_column_int64(st, 0);
			*ident = xstrdup(ldb_col(st, 1));
			*company_out = xstrdup(ldb_col(st, 2));
		}
	}
	bool failed = ldb_rows_end(lg, rc, "cannot look the transaction up", err) < 0;
	if (n == 1 && !failed)
		return 0;
	if (n > 0) {
		free(*ident);
		free(*company_out);
		*ident = *company_out = NULL;
	}
	if (failed)
		return -1;
	return gerr_setk(err, GERR_PERMANENT, n ? "transaction reference '%s' is not unique: give more "
				 "of it" : "no transaction '%s'%s%s", ref, company && !n ? " in " : "",
			 company && !n ? company : "");
}

/* The invoice a person names by reference or by number: its identity. */
static int find_invoice(struct ledger *lg, const char *company, const char *what, char **ident,
			struct gerr *err)
{
	char norm[PAYTITLE_KEY_MAX + 1] = "";
	struct paytitle_key k;
	if (paytitle_number_key(what, &k))
		snprintf(norm, sizeof(norm), "%s", k.full);
	sqlite3_stmt *st = ldb_stmt(lg, "SELECT ident, ref, number FROM invoices WHERE company = ?1 AND "
				    "((length(?2) >= 6 AND ref >= ?2 AND ref < ?2 || 'g') OR number = ?2 OR "
				    "number_norm = ?3) AND NOT (correction AND corrects_id IS NOT NULL) "
				    "ORDER BY ident LIMIT 5", err);
	if (!st)
		return -1;
	ldb_text(st, 1, company);
	ldb_text(st, 2, what);
	ldb_text(st, 3, norm);
	int n = 0, rc;
	struct buf refs = {0};
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n++ == 0)
			*ident = xstrdup(ldb_col(st, 0));
		buf_printf(&refs, "%s%s (%s)", refs.len ? ", " : "", ldb_col(st, 1), ldb_col(st, 2));
	}
	bool failed = ldb_rows_end(lg, rc, "cannot look the invoice up", err) < 0;
	if (n == 1 && !failed) {
		buf_free(&refs);
		return 0;
	}
	if (n > 0) {
		free(*ident);
		*ident = NULL;
	}
	if (failed) {
		buf_free(&refs);
		return -1;
	}
	gerr_setk(err, GERR_PERMANENT, n ? "'%s' names several invoices of %s: %s; give the "
				     "reference" : "no invoice '%s' in %s%s", what, company,
		  n ? refs.data : "");
	buf_free(&refs);
	return -1;
}

static int insert_decision(struct ledger *lg, const char *company, const char *kind, const char *tx_ident,
			   const char *inv_ident, const char *by, struct gerr *err)
{
	sqlite3_stmt *st = ldb_stmt(lg, "INSERT INTO decisions(company, kind, tx_ident, inv_ident, made_at, "
				    "made_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", err);
	if (!st)
		return -1;
	char now[32];
	ldb_now(now);
	ldb_text(st, 1, company);
	ldb_text(st, 2, kind);
	ldb_text(st, 3, tx_ident);
	ldb_text(st, 4, inv_ident);
	ldb_text(st, 5, now);
	ldb_text(st, 6, by);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : ldb_error(lg, err, "cannot record the decision");
}

static int forget_decisions(struct ledger *lg, const char *company, const char *tx_ident, bool all,
			    struct gerr *err)
{
	sqlite3_stmt *st = ldb_stmt(lg, "DELETE FROM decisions WHERE company = ?1 AND tx_ident = ?2 AND "
				    "(?3 OR kind IN ('pair', 'dismiss'))", err);
	if (!st)
		return -1;
	ldb_text(st, 1, company);
	ldb_text(st, 2, tx_ident);
	sqlite3_bind_int(st, 3, all);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : ldb_error(lg, err, "cannot change decisions");
}

static int mark_tx(struct ledger *lg, int64_t id, struct gerr *err)
{
	sqlite3_stmt *st = ldb_stmt(lg, "INSERT OR IGNORE INTO tx_pending(company, tx) SELECT company, id FROM "
				    "transactions WHERE id = ?1", err);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : ldb_error(lg, err, "cannot write");
}

static const char *decision_kind_name(enum pm_decision_kind k)
{
	return k == PM_PAIR ? "pair" : k == PM_REJECT ? "reject" : "dismiss";
}

int ledger_decide(struct ledger *lg, const char *company, enum pm_decision_kind kind, const char *tx,
		  const char *const *invs, size_t ninvs, const char *by, char **tx_company, struct gerr *err)
{
	if (kind != PM_DISMISS && !ninvs)
		return gerr_setk(err, GERR_PERMANENT, "name the invoice(s)");
	int64_t id = 0;
	char *tx_ident = NULL, *owner = NULL;
	char **inv_idents = xcalloc(ninvs + 1, sizeof(char *));
	int rc = ldb_begin(lg, err);
	if (rc == 0)
		rc = find_tx(lg, company, tx, &id, &tx_ident, &owner, err);
	company = owner;
	for (size_t i = 0; rc == 0 && i < ninvs; i++)
		rc = find_invoice(lg, company, invs[i], &inv_idents[i], err);
	if (rc == 0 && kind != PM_REJECT)
		rc = forget_decisions(lg, company, tx_ident, false, err);
	for (size_t i = 0; rc == 0 && i < (kind == PM_DISMISS ? 1 : ninvs); i++)
		rc = insert_decision(lg, company, decision_kind_name(kind), tx_ident,
				     kind == PM_DISMISS ? NULL : inv_idents[i], by, err);
	if (rc == 0)
		rc = mark_tx(lg, id, err);
	if (rc == 0)
		rc = ldb_commit(lg, err);
	if (rc < 0)
		ldb_rollback(lg);
	for (size_t i = 0; i < ninvs; i++)
		free(inv_idents[i]);
	free(inv_idents);
	free(tx_ident);
	if (rc == 0 && tx_company)
		*tx_company = owner;
	else
		free(owner);
	return rc;
}

int ledger_undecide(struct ledger *lg, const char *company, const char *tx, char **tx_company, struct gerr *err)
{
	int64_t id = 0;
	char *tx_ident = NULL, *owner = NULL;
	int rc = ldb_begin(lg, err);
	if (rc == 0)
		rc = find_tx(lg, company, tx, &id, &tx_ident, &owner, err);
	company = owner;
	if (rc == 0)
		rc = forget_decisions(lg, company, tx_ident, true, err);
	if (rc == 0)
		rc = mark_tx(lg, id, err);
	if (rc == 0)
		rc = ldb_commit(lg, err);
	if (rc < 0)
		ldb_rollback(lg);
	free(tx_ident);
	if (rc == 0 && tx_company)
		*tx_company = owner;
	else
		free(owner);
	return rc;
}

/* The companies a query names (its first column) added to out. */
static int companies_of(struct ledger *lg, const char *sql, struct strlist *out, struct gerr *err)
{
	sqlite3_stmt *st = ldb_stmt(lg, sql, err);
	if (!st)
		return -1;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		strlist_add(out, ldb_col(st, 0));
	return ldb_rows_end(lg, rc, "cannot read the ledger's companies", err);
}

int ledger_companies(struct ledger *lg, struct strlist *out, struct gerr *err)
{
	return companies_of(lg, "SELECT id FROM companies ORDER BY id", out, err);
}

int ledger_companies_pending(struct ledger *lg, struct strlist *out, struct gerr *err)
{
	return companies_of(lg, "SELECT company FROM tx_pending UNION SELECT company FROM inv_pending ORDER BY 1",
			    out, err);
}

/* ---- reports due ---------------------------------------------------------------------------- */

bool ledger_report_due(struct ledger *lg, const char *company)
{
	struct gerr err = {0};
	sqlite3_stmt *st = ldb_stmt(lg, "SELECT report_due FROM companies WHERE id = ?1", &err);
	if (!st)
		return false;
	ldb_text(st, 1, company);
	return sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
}

int ledger_report_filed(struct ledger *lg, const char *company, struct gerr *err)
{
	sqlite3_stmt *st = ldb_stmt(lg, "UPDATE companies SET report_due = 0 WHERE id = ?1", err);
	if (!st)
		return -1;
	ldb_text(st, 1, company);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : ldb_error(lg, err, "cannot write");
}

int ledger_reports_due(struct ledger *lg, struct strlist *out, struct gerr *err)
{
	return companies_of(lg, "SELECT id FROM companies WHERE report_due ORDER BY id", out, err);
}

/* ---- what the ledger says ----------------------------------------------------------------- */

static json_t *money_json(int64_t v, const char *currency)
{
	char text[MONEY_TEXT_MAX];
	money_format(v, currency_exponent(currency && *currency ? currency : "PLN"), text);
	return json_string(text);
}

static void set_text(json_t *o, const char *key, const char *v)
{
	if (v && *v)
		json_object_set_new(o, key, json_string(v));
}

/* Days from date a to date b ("YYYY-MM-DD"), b - a. */
static long days_between(const char *a, const char *b)
{
	struct tm ta = {0}, tb = {0};
	if (!strptime(a, "%Y-%m-%d", &ta) || !strptime(b, "%Y-%m-%d", &tb))
		return 0;
	return (long)((timegm(&tb) - timegm(&ta)) / 86400);
}

/* A transaction with its outcome: FROM TX_OUTCOMES */
#define TX_COLUMNS "t.id, t.ref, t.date, t.amount, t.currency, t.account, t.cp_name, t.cp_account, " \
		   "t.title, o.state, o.reason, o.candidates, o.overpaid"
#define TX_OUTCOMES "tx_outcomes o CROSS JOIN transactions t ON t.id = o.tx"

static json_t *tx_json(sqlite3_stmt *st)
{
	json_t *t = json_object();
	set_text(t, "ref", ldb_col(st, 1));
	set_text(t, "date", ldb_col(st, 2));
	json_object_set_new(t, "amount", money_json(sqlite3_column_int64(st, 3), ldb_col(st, 4)));
	set_text(t, "currency", ldb_col(st, 4));
	set_text(t, "account", ldb_col(st, 5));
	json_t *cp = json_object();
	set_text(cp, "name", ldb_col(st, 6));
	set_text(cp, "account", ldb_col(st, 7));
	if (json_object_size(cp))
		json_object_set(t, "counterparty", cp);
	json_decref(cp);
	set_text(t, "title", ldb_col(st, 8));
	return t;
}

/* An invoice with its open amount: FROM INV_OPEN (those a run decided) */
#define INV_COLUMNS "i.id, i.ref, i.number, i.ksef, i.dir, i.cp_name, i.cp_nip, i.issue_date, " \
		    "i.due_date, i.gross, n.open, i.currency, i.source, i.doc, i.correction"
#define INV_OPEN "inv_open n CROSS JOIN invoices i ON i.id = n.inv"

static json_t *inv_json(sqlite3_stmt *st, int at, const char *today)
{
	json_t *o = json_object();
	set_text(o, "ref", ldb_col(st, at + 1));
	set_text(o, "number", ldb_col(st, at + 2));
	set_text(o, "ksef_number", ldb_col(st, at + 3));
	set_text(o, "direction", pm_dir_name(sqlite3_column_int(st, at + 4)));
	json_t *cp = json_object();
	set_text(cp, "name", ldb_col(st, at + 5));
	set_text(cp, "nip", ldb_col(st, at + 6));
	json_object_set_new(o, "counterparty", cp);
	set_text(o, "issue_date", ldb_col(st, at + 7));
	set_text(o, "due_date", ldb_col(st, at + 8));
	const char *cur = ldb_col(st, at + 11);
	json_object_set_new(o, "gross", money_json(sqlite3_column_int64(st, at + 9), cur));
	json_object_set_new(o, "open", money_json(sqlite3_column_int64(st, at + 10), cur));
	set_text(o, "currency", cur);
	set_text(o, "source", ldb_col(st, at + 12));
	set_text(o, "document", ldb_col(st, at + 13));
	if (sqlite3_column_int(st, at + 14))
		json_object_set_new(o, "correction", json_true());
	const char *due = ldb_col(st, at + 8);
	if (today && *due && sqlite3_column_int64(st, at + 10) > 0 && strcmp(due, today) < 0)
		json_object_set_new(o, "overdue_days", json_integer(days_between(due, today)));
	return o;
}

/* The engine's candidates for a transaction (the ids it left in o.candidates), added to list. */
static int rule_candidates(struct ledger *lg, const char *ids, const char *today, json_t *list, struct gerr *err)
{
	sqlite3_stmt *st = ldb_stmt(lg, "SELECT " INV_COLUMNS " FROM invoices i LEFT JOIN inv_open n ON n.inv = i.id "
				    "WHERE i.id = ?1", err);
	if (!st)
		return -1;
	char *copy = xstrdup(ids);
	int row = 0;
	for (char *save = NULL, *tok = strtok_r(copy, " ", &save); row >= 0 && tok; tok = strtok_r(NULL, " ", &save)) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, strtoll(tok, NULL, 10));
		row = ldb_row(lg, st, "cannot read a transaction's candidates", err);
		if (row > 0) {
			json_t *c = inv_json(st, 0, today);
			json_object_set_new(c, "why", json_string("found by the rules"));
			json_array_append_new(list, c);
		}
	}
	free(copy);
	return row < 0 ? -1 : 0;
}

/* Open invoices of the transaction's amount, added to list. */
static int same_amount_candidates(struct ledger *lg, const char *company, sqlite3_stmt *tx, const char *today,
				  json_t *list, struct gerr *err)
{
	int64_t amount = sqlite3_column_int64(tx, 3);
	if (amount == 0)
		return 0; /* a closed invoice is open 0.00: no candidate */
	sqlite3_stmt *st = ldb_stmt(lg, "SELECT " INV_COLUMNS " FROM " INV_OPEN " WHERE n.company = ?1 AND "
				    "n.open = ?4 AND i.dir = ?2 AND i.currency = ?3 ORDER BY i.due_date, "
				    "i.ident LIMIT 3", err);
	if (!st)
		return -1;
	ldb_text(st, 1, company);
	sqlite3_bind_int(st, 2, amount > 0 ? PM_SALES : PM_PURCHASE);
	ldb_text(st, 3, ldb_col(tx, 4));
	sqlite3_bind_int64(st, 4, amount < 0 ? -amount : amount);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *c = inv_json(st, 0, today);
		json_object_set_new(c, "why", json_string("the same amount is open"));
		json_array_append_new(list, c);
	}
	return ldb_rows_end(lg, rc, "cannot read a transaction's candidates", err);
}

/* A person's candidates for a transaction: the engine's, else open invoices of the same
 * amount (never taken automatically: shown so that a person sees them). NULL on an error. */
static json_t *candidates_json(struct ledger *lg, const char *company, sqlite3_stmt *tx, const char *today,
			       struct gerr *err)
{
	json_t *list = json_array();
	const char *ids = ldb_col(tx, 11);
	if ((*ids ? rule_candidates(lg, ids, today, list, err)
		  : same_amount_candidates(lg, company, tx, today, list, err)) < 0) {
		json_decref(list);
		return NULL;
	}
	return list;
}

/* The count a query gives, -1 on an error. */
static int64_t count_of(struct ledger *lg, const char *sql, const char *company, const char *today,
			struct gerr *err)
{
	sqlite3_stmt *st = ldb_stmt(lg, sql, err);
	if (!st)
		return -1;
	ldb_text(st, 1, company);
	if (today)
		ldb_text(st, 2, today);
	int row = ldb_row(lg, st, "cannot count", err);
	return row < 0 ? -1 : row ? sqlite3_column_int64(st, 0) : 0;
}

/* o[key] = the count a query gives; -1 on an error. */
static int set_count(json_t *o, const char *key, struct ledger *lg, const char *sql, const char *company,
		     const char *today, struct gerr *err)
{
	int64_t n = count_of(lg, sql, company, today, err);
	if (n < 0)
		return -1;
	json_object_set_new(o, key, json_integer((json_int_t)n));
	return 0;
}

static const char sql_left[] = "SELECT count(*) FROM tx_outcomes WHERE company = ?1 AND "
			       "state IN ('person', 'unmatched')";
static const char sql_open[] = "SELECT count(*) FROM inv_open WHERE company = ?1 AND open > 0";
static const char sql_overdue[] = "SELECT count(*) FROM " INV_OPEN " WHERE n.company = ?1 AND n.open > 0 AND "
				  "i.due_date <> '' AND i.due_date < ?2";

static json_t *counts_json(struct ledger *lg, const char *company, const char *today, struct gerr *err)
{
	json_t *c = json_object();
	static const char *const states[] = {"matched", "person", "unmatched", "dismissed", "skipped"};
	static const char sql[] = "SELECT count(*) FROM tx_outcomes WHERE company = ?1 AND state = ?2";
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < ARRAY_LEN(states); i++)
		rc = set_count(c, states[i], lg, sql, company, states[i], err);
	if (rc < 0 || set_count(c, "open_invoices", lg, sql_open, company, NULL, err) < 0 ||
	    set_count(c, "overdue_invoices", lg, sql_overdue, company, today, err) < 0) {
		json_decref(c);
		return NULL;
	}
	return c;
}

static int matched_json(struct ledger *lg, const char *company, int64_t generation, bool all, json_t *out,
			const char *today, struct gerr *err)
{
	sqlite3_stmt *st = ldb_stmt(lg, "SELECT " TX_COLUMNS ", m.amount, m.rule, m.certainty, " INV_COLUMNS
				    " FROM " TX_OUTCOMES " CROSS JOIN matches m ON m.tx = o.tx CROSS JOIN invoices i ON "
				    "i.id = m.inv LEFT JOIN inv_open n ON n.inv = i.id WHERE o.company = ?1 AND o.state = 'matched' AND "
				    "(?2 OR o.changed = ?3) ORDER BY t.date, t.ident, m.seq", err);
	if (!st)
		return -1;
	ldb_text(st, 1, company);
	sqlite3_bind_int(st, 2, all);
	sqlite3_bind_int64(st, 3, generation);
	int64_t last = -1;
	json_t *entry = NULL;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_int64(st, 0) != last) {
			last = sqlite3_column_int64(st, 0);
			entry = json_object();
			json_object_set_new(entry, "transaction", tx_json(st));
			set_text(entry, "rule", ldb_col(st, 14));
			set_text(entry, "certainty", ldb_col(st, 15));
			set_text(entry, "reason", ldb_col(st, 10));
			if (sqlite3_column_int64(st, 12))
				json_object_set_new(entry, "overpaid",
						    money_json(sqlite3_column_int64(st, 12), ldb_col(st, 4)));
			json_object_set_new(entry, "invoices", json_array());
			json_array_append_new(out, entry);
		}
		json_t *inv = inv_json(st, 16, today);
		json_object_set_new(inv, "paid", money_json(sqlite3_column_int64(st, 13), ldb_col(st, 4)));
		json_array_append_new(json_object_get(entry, "invoices"), inv);
	}
	return ldb_rows_end(lg, rc, "cannot read the ledger's matches", err);
}

static int left_json(struct ledger *lg, const char *company, const char *today, json_t *out, struct gerr *err)
{
	sqlite3_stmt *st = ldb_stmt(lg, "SELECT " TX_COLUMNS " FROM " TX_OUTCOMES " WHERE o.company = ?1 AND "
				    "o.state IN ('person', 'unmatched') ORDER BY t.date, t.ident", err);
	if (!st)
		return -1;
	ldb_text(st, 1, company);
	/* the candidates' query is another statement: collect the rows first */
	json_t *rows = json_array(), *cands;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && (cands = candidates_json(lg, company, st, today, err))) {
		json_t *e = json_object();
		json_object_set_new(e, "transaction", tx_json(st));
		set_text(e, "state", ldb_col(st, 9));
		set_text(e, "reason", ldb_col(st, 10));
		json_object_set_new(e, "candidates", cands);
		json_array_append_new(rows, e);
	}
	/* stopped at a row: its candidates could not be read (err says why) */
	rc = rc == SQLITE_ROW ? -1 : ldb_rows_end(lg, rc, "cannot read the transactions left", err);
	if (rc == 0)
		json_array_extend(out, rows);
	json_decref(rows);
	return rc;
}

static int open_json(struct ledger *lg, const char *company, const char *today, json_t *out, struct gerr *err)
{
	sqlite3_stmt *st = ldb_stmt(lg, "SELECT " INV_COLUMNS " FROM " INV_OPEN " WHERE n.company = ?1 AND "
				    "n.open > 0 ORDER BY i.dir, i.due_date = '', i.due_date, i.ident", err);
	if (!st)
		return -1;
	ldb_text(st, 1, company);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(out, inv_json(st, 0, today));
	return ldb_rows_end(lg, rc, "cannot read the open invoices", err);
}

static int balances_json(struct ledger *lg, const char *company, json_t *out, struct gerr *err)
{
	sqlite3_stmt *st = ldb_stmt(lg, "SELECT account, currency, date, amount, bank FROM balances WHERE "
				    "company = ?1 ORDER BY account, currency", err);
	if (!st)
		return -1;
	ldb_text(st, 1, company);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *b = json_object();
		set_text(b, "account", ldb_col(st, 0));
		set_text(b, "currency", ldb_col(st, 1));
		set_text(b, "date", ldb_col(st, 2));
		json_object_set_new(b, "amount", money_json(sqlite3_column_int64(st, 3), ldb_col(st, 1)));
		set_text(b, "bank", ldb_col(st, 4));
		json_array_append_new(out, b);
	}
	return ldb_rows_end(lg, rc, "cannot read the balances", err);
}

static int company_run(struct ledger *lg, const char *company, int64_t *generation, char last_run[32],
		       struct gerr *err)
{
	*generation = 0;
	last_run[0] = '\0';
	sqlite3_stmt *st = ldb_stmt(lg, "SELECT generation, last_run FROM companies WHERE id = ?1", err);
	if (!st)
		return -1;
	ldb_text(st, 1, company);
	int row = ldb_row(lg, st, "cannot read the company's last run", err);
	if (row > 0) {
		*generation = sqlite3_column_int64(st, 0);
		snprintf(last_run, 32, "%s", ldb_col(st, 1));
	}
	return row < 0 ? -1 : 0;
}

json_t *ledger_payments_json(struct ledger *lg, const char *company, const char *today, bool all_matches,
			     struct gerr *err)
{
	int64_t generation;
	char last_run[32], now[32];
	if (company_run(lg, company, &generation, last_run, err) < 0)
		return NULL;
	json_t *counts = counts_json(lg, company, today, err);
	if (!counts)
		return NULL;
	ldb_now(now);
	json_t *doc = json_pack("{s:s,s:s,s:s,s:I,s:s}", "schema", PAYMENTS_SCHEMA, "company", company,
				"generated_at", now, "generation", (json_int_t)generation, "today", today);
	set_text(doc, "last_run", last_run);
	json_object_set_new(doc, "counts", counts);
	json_t *matched = json_array(), *left = json_array(), *open = json_array(), *bal = json_array();
	json_object_set_new(doc, "matched", matched);
	json_object_set_new(doc, "unmatched", left);
	json_object_set_new(doc, "open_invoices", open);
	json_object_set_new(doc, "balances", bal);
	if (matched_json(lg, company, generation, all_matches, matched, today, err) < 0 ||
	    left_json(lg, company, today, left, err) < 0 || open_json(lg, company, today, open, err) < 0 ||
	    balances_json(lg, company, bal, err) < 0) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* A company's line of the status: what is left, open and overdue, the oldest transaction left. */
static json_t *status_entry(struct ledger *lg, const char *company, const char *last_run, const char *today,
			    struct gerr *err)
{
	json_t *e = json_pack("{s:s}", "company", company);
	sqlite3_stmt *old = NULL;
	int row = -1;
	if (set_count(e, "unmatched", lg, sql_left, company, NULL, err) == 0 &&
	    set_count(e, "open_invoices", lg, sql_open, company, NULL, err) == 0 &&
	    set_count(e, "overdue_invoices", lg, sql_overdue, company, today, err) == 0 &&
	    (old = ldb_stmt(lg, "SELECT " TX_COLUMNS " FROM " TX_OUTCOMES " WHERE o.company = ?1 AND o.state IN "
			    "('person', 'unmatched') ORDER BY t.date, t.ident LIMIT 1", err))) {
		ldb_text(old, 1, company);
		row = ldb_row(lg, old, "cannot read the oldest transaction left", err);
	}
	if (row < 0) {
		json_decref(e);
		return NULL;
	}
	set_text(e, "last_run", last_run);
	if (row)
		json_object_set_new(e, "oldest_unmatched", tx_json(old));
	return e;
}

json_t *ledger_status_json(struct ledger *lg, const char *today, struct gerr *err)
{
	sqlite3_stmt *st = ldb_stmt(lg, "SELECT id, last_run FROM companies ORDER BY id", err);
	if (!st)
		return NULL;
	struct strlist ids = {0}, runs = {0};
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		strlist_add(&ids, ldb_col(st, 0));
		strlist_add(&runs, ldb_col(st, 1));
	}
	json_t *out = ldb_rows_end(lg, rc, "cannot read the ledger's companies", err) == 0 ? json_array() : NULL;
	for (size_t i = 0; out && i < ids.len; i++) {
		json_t *e = status_entry(lg, ids.items[i], runs.items[i], today, err);
		if (e) {
			json_array_append_new(out, e);
		} else {
			json_decref(out);
			out = NULL;
		}
	}
	strlist_free(&ids);
	strlist_free(&runs);
	return out;
}
