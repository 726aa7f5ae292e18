/* ledger_db — the ledger's insides, shared by its files (ledger.c: opening, schema,
 * decisions, queries; ledger_ingest.c: reading the spool; ledger_match.c: matching runs).
 * Nothing outside payments/ledger*.c includes this; the public interface is ledger.h.
 *
 * Statements are prepared once per handle (ldb_stmt, keyed by the SQL text's address) and
 * reset by ldb_stmt before each use. Errors: ldb_error() fills err with SQLite's message
 * and the database path and returns -1.
 */
#ifndef GONIEC_PAYMENTS_LEDGER_DB_H
#define GONIEC_PAYMENTS_LEDGER_DB_H

#include <sqlite3.h>

#include "payments/ledger.h"

#define LDB_STMTS_MAX 64


struct ledger {
	sqlite3 *db;
	char *path;
	int lock_fd;
	enum ledger_mode mode;
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} stmts[LDB_STMTS_MAX];
	size_t nstmts;
};

/* The prepared statement of this SQL text (a string literal), reset and unbound; NULL
 * with err set when it cannot be prepared. */
sqlite3_stmt *ldb_stmt(struct ledger *lg, const char *sql, struct gerr *err);
int ldb_error(struct ledger *lg, struct gerr *err, const char *what);
/* How a loop over a query's rows ended, given the last sqlite3_step() result: SQLITE_DONE
 * (past the last row) or SQLITE_ROW (a loop that stops early on purpose) is 0; anything
 * else (SQLITE_CORRUPT, SQLITE_IOERR, SQLITE_BUSY, sum()'s "integer overflow", ...) is an
 * error, -1 with err set through ldb_error: the rows read so far are not all of them. */
int ldb_rows_end(struct ledger *lg, int rc, const char *what, struct gerr *err);
/* One step of a query read for a single row: 1 a row, 0 no (more) rows, -1 an error (err set). */
int ldb_row(struct ledger *lg, sqlite3_stmt *st, const char *what, struct gerr *err);
int ldb_exec(struct ledger *lg, const char *sql, struct gerr *err);
int ldb_begin(struct ledger *lg, struct gerr *err);   /* BEGIN IMMEDIATE */
int ldb_commit(struct ledger *lg, struct gerr *err);
void ldb_rollback(struct ledger *lg);

/* Binding: NULL or "" binds NULL. */
void ldb_text(sqlite3_stmt *st, int i, const char *s);
const char *ldb_col(sqlite3_stmt *st, int i);  /* "" for NULL */

/* A stable reference shown to people: the first 10 hex digits of SHA-256(company|ident). */
void ldb_ref(const char *company, const char *ident, char out[11]);
/* The time now as the ledger writes it (ISO 8601, local). */
void ldb_now(char out[32]);

#endif
