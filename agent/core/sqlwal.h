/* sqlwal — turning a SQLite database to write-ahead logging when several processes may
 * open it for the first time at once (daemon workers filing at the same moment: the
 * content index, the invoice-key index).
 *
 * `PRAGMA journal_mode=WAL` on a database another connection is changing the same way is
 * refused at once with SQLITE_BUSY: SQLite calls no busy handler there, so
 * sqlite3_busy_timeout() does not help. sqlwal_enable() tries again every 10 ms for up to
 * busy_ms, as a busy wait would.
 *
 * Ownership: nothing allocated; db stays the caller's. Errors: the SQLite result code
 * (SQLITE_OK, or the last refusal); sqlite3_errmsg(db) says why.
 */
#ifndef GONIEC_CORE_SQLWAL_H
#define GONIEC_CORE_SQLWAL_H

#include <sqlite3.h>

/* The journal mode the database ends up in ("wal", or "delete" where WAL is impossible,
 * e.g. on some network file systems) goes to mode[8] when mode is not NULL. */
int sqlwal_enable(sqlite3 *db, int busy_ms, char mode[8]);

#endif
