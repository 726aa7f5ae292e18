/* invkeys — see invkeys.h. */
#include "core/invkeys.h"

#include <ctype.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/dedupe.h"
#include "core/sqlwal.h"

#define BUSY_MS 30000

struct invkeys {
	sqlite3 *db;
	char *path, *state_dir, *spool_root;
	sqlite3_stmt *by_ksef, *by_number, *copies, *insert, *merge;
	bool keep_wal;  /* invkeys_shared()'s in WAL mode: the WAL stays at close (PERSIST_WAL) */
};

/* This process's shared handle, and the WAL it has committed to (for the spool to sync;
 * kept after the handle closed for a fork, as the file is). */
static struct invkeys *shared;
static char *written_wal, *written_wal_state_dir;

static const char schema[] =
	"PRAGMA synchronous=NORMAL;"
	"PRAGMA cache_size=-8192;"
	"CREATE TABLE IF NOT EXISTS invoices ("
	"  id INTEGER PRIMARY KEY,"
	"  sha TEXT NOT NULL,"
	"  ksef TEXT,"
	"  nip TEXT,"
	"  number TEXT,"
	"  gross INTEGER,"
	"  currency TEXT,"
	"  of INTEGER);"
	"CREATE INDEX IF NOT EXISTS invoices_ksef ON invoices(ksef) "
	"  WHERE ksef IS NOT NULL AND of IS NULL;"
	"CREATE INDEX IF NOT EXISTS invoices_nip_number ON invoices(nip, number) "
	"  WHERE nip IS NOT NULL AND of IS NULL;"
	"CREATE INDEX IF NOT EXISTS invoices_of ON invoices(of) WHERE of IS NOT NULL;";

static int db_error(struct invkeys *ik, struct gerr *err, const char *what)
{
	return gerr_set(err, "invoice index %s: %s: %s", ik->path, what, sqlite3_errmsg(ik->db));
}

void invkeys_close(struct invkeys *ik)
{
	if (!ik)
		return;
	sqlite3_finalize(ik->by_ksef);
	sqlite3_finalize(ik->by_number);
	sqlite3_finalize(ik->copies);
	sqlite3_finalize(ik->merge);
	sqlite3_finalize(ik->insert);
	sqlite3_close(ik->db);
	free(ik->path);
	free(ik->spool_root);
	free(ik->state_dir);
	free(ik);
}

static struct invkeys *open_index(const char *state_dir, const char *spool_root, bool share,
				  struct gerr *err)
{
	struct invkeys *ik = xcalloc(1, sizeof *ik);
	char mode[8] = "";
	ik->path = path_join(state_dir, INVKEYS_FILE);
	ik->spool_root = xstrdup(spool_root);
	ik->state_dir = xstrdup(state_dir);
	mode_t old = umask(077);
	int rc = sqlite3_open_v2(ik->path, &ik->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	umask(old);
	if (rc != SQLITE_OK ||
	    (sqlite3_busy_timeout(ik->db, BUSY_MS), sqlwal_enable(ik->db, BUSY_MS, mode)) != SQLITE_OK ||
	    sqlite3_exec(ik->db, schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(ik->db,
			       "SELECT sha, id FROM invoices WHERE ksef = ?1 AND of IS NULL "
			       "ORDER BY id", -1, &ik->by_ksef, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(ik->db,
			       "SELECT sha, ksef, gross, currency, id FROM invoices "
			       "WHERE nip = ?1 AND number = ?2 AND of IS NULL ORDER BY id", -1,
			       &ik->by_number, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(ik->db, "SELECT sha FROM invoices WHERE of = ?1 ORDER BY id", -1,
			       &ik->copies, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(ik->db,
			       "INSERT INTO invoices(sha, ksef, nip, number, gross, currency, of) "
			       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", -1, &ik->insert, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(ik->db,
			       "UPDATE invoices SET ksef = coalesce(ksef, ?2), nip = coalesce(nip, ?3), "
			       "number = coalesce(number, ?4), "
			       "currency = CASE WHEN gross IS NULL THEN ?6 ELSE currency END, "
			       "gross = coalesce(gross, ?5) WHERE id = ?7", -1, &ik->merge,
			       NULL) != SQLITE_OK) {
		if (ik->db)
			db_error(ik, err, "cannot open");
		else
			gerr_set(err, "invoice index %s: cannot open", ik->path);
		invkeys_close(ik);
		return NULL;
	}
	ik->keep_wal = share && strcmp(mode, "wal") == 0;
	if (ik->keep_wal) {
		int keep = 1;
		sqlite3_file_control(ik->db, "main", SQLITE_FCNTL_PERSIST_WAL, &keep);
	}
	return ik;
}

struct invkeys *invkeys_open(const char *state_dir, const char *spool_root, struct gerr *err)
{
	return open_index(state_dir, spool_root, false, err);
}

/* Also before every fork (pthread_atfork): a child must not inherit the connection. */
static void shared_close(void)
{
	invkeys_close(shared);
	shared = NULL;
}

struct invkeys *invkeys_shared(const char *state_dir, const char *spool_root, struct gerr *err)
{
	static bool at_fork;
	if (shared && strcmp(shared->state_dir, state_dir) == 0 &&
	    strcmp(shared->spool_root, spool_root) == 0)
		return shared;
	if (!at_fork)
		at_fork = pthread_atfork(shared_close, NULL, NULL) == 0;
	shared_close();
	shared = open_index(state_dir, spool_root, true, err);
	return shared;
}

const char *invkeys_wal(const char *state_dir)
{
	return written_wal && strcmp(written_wal_state_dir, state_dir) == 0 ? written_wal : NULL;
}

/* A commit of the shared handle in WAL mode: its WAL is now a file the spool syncs. */
static void note_written(const struct invkeys *ik)
{
	if (!ik->keep_wal || invkeys_wal(ik->state_dir))
		return;
	free(written_wal);
	free(written_wal_state_dir);
	written_wal = xasprintf("%s-wal", ik->path);
	written_wal_state_dir = xstrdup(ik->state_dir);
}

void invkeys_normalise_number(const char *number, char *out)
{
	size_t o = 0;
	bool in_digits = false;
	for (const char *p = number; *p && o < INVKEYS_NUMBER_MAX; p++) {
		unsigned char c = (unsigned char)*p;
		if (isspace(c))
			continue;
		bool digit = isdigit(c) != 0;
		/* a leading zero of a run of digits goes, unless the run is only zeros */
		if (digit && c == '0' && !in_digits && isdigit((unsigned char)p[1])) {
			continue;
		}
		in_digits = digit;
		out[o++] = (char)toupper(c);
	}
	out[o] = '\0';
}

/* Where the document with this content is in the spool (the cross-source content index
 * of core/dedupe.h knows the first path that held it), if it is still there: 0, *rel NULL
 * when it is not; -1 when the index could not be read (not taken for "not there": the copy
 * would be recorded as an invoice of its own). */
static int spool_path(const struct invkeys *ik, const char *sha256, char **rel, struct gerr *err)
{
	*rel = dedupe_content_index_first(ik->state_dir, sha256, err);
	if (!*rel)
		return err->msg[0] ? -1 : 0;
	char *p = path_join(ik->spool_root, *rel);
	bool there = access(p, F_OK) == 0;
	free(p);
	if (!there) {
		free(*rel);
		*rel = NULL;
	}
	return 0;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s && *s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static const char *column(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* How a lookup's loop over its rows ended (rc, the last sqlite3_step()): past the last row
 * or stopped at what it looked for, 0; an error, -1 with err set: the rows not read may
 * hold the original, and a copy taken for one must not be recorded as an original. */
static int rows_end(struct invkeys *ik, int rc, struct gerr *err)
{
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : db_error(ik, err, "cannot look up");
}

/* *first: the spool path of the first copy of the original `id` (content `sha`) still in
 * the spool: the original itself, or (when it is gone) the earliest copy of it there. */
static int present(struct invkeys *ik, sqlite3_int64 id, const char *sha, char **first, struct gerr *err)
{
	if (spool_path(ik, sha, first, err) < 0)
		return -1;
	if (*first)
		return 0;
	sqlite3_reset(ik->copies);
	sqlite3_bind_int64(ik->copies, 1, id);
	int rc = SQLITE_DONE, found = 0;
	while (!*first && found == 0 && (rc = sqlite3_step(ik->copies)) == SQLITE_ROW)
		found = spool_path(ik, column(ik->copies, 0), first, err);
	rc = found < 0 ? -1 : rows_end(ik, rc, err);
	sqlite3_reset(ik->copies);
	return rc;
}

static int find_by_ksef(struct invkeys *ik, const char *ksef, sqlite3_int64 *id, char **first, struct gerr *err)
{
	sqlite3_stmt *st = ik->by_ksef;
	sqlite3_reset(st);
	bind_text(st, 1, ksef);
	int rc = SQLITE_DONE, found = 0;
	while (!*first && found == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((found = present(ik, sqlite3_column_int64(st, 1), column(st, 0), first, err)) == 0 && *first)
			*id = sqlite3_column_int64(st, 1);
	rc = found < 0 ? -1 : rows_end(ik, rc, err);
	sqlite3_reset(st);
	return rc;
}

/* Do the gross amounts of two copies disagree? Only when both are known. */
static bool gross_disagrees(const struct invkey_doc *d, sqlite3_stmt *row)
{
	if (!d->has_gross || sqlite3_column_type(row, 2) == SQLITE_NULL)
		return false;
	const char *cur = column(row, 3);
	if (d->currency && cur && strcmp(d->currency, cur) != 0)
		return true;
	return sqlite3_column_int64(row, 2) != d->gross;
}

static int find_by_number(struct invkeys *ik, const struct invkey_doc *d, const char *number,
			  sqlite3_int64 *id, char **first, struct gerr *err)
{
	sqlite3_stmt *st = ik->by_number;
	sqlite3_reset(st);
	bind_text(st, 1, d->seller_nip);
	bind_text(st, 2, number);
	int rc = SQLITE_DONE, found = 0;
	while (!*first && found == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *ksef = column(st, 1);
		if (d->ksef_number && ksef && strcmp(ksef, d->ksef_number) != 0)
			continue; /* two KSeF numbers: two invoices */
		if (gross_disagrees(d, st))
			continue;
		if ((found = present(ik, sqlite3_column_int64(st, 4), column(st, 0), first, err)) == 0 && *first)
			*id = sqlite3_column_int64(st, 4);
	}
	rc = found < 0 ? -1 : rows_end(ik, rc, err);
	sqlite3_reset(st);
	return rc;
}

static void bind_doc(sqlite3_stmt *st, const struct invkey_doc *d, const char *number,
		     sqlite3_int64 of)
{
	bind_text(st, 1, d->sha256);
	bind_text(st, 2, d->ksef_number);
	bind_text(st, 3, d->seller_nip);
	bind_text(st, 4, number);
	if (d->has_gross)
		sqlite3_bind_int64(st, 5, d->gross);
	else
		sqlite3_bind_null(st, 5);
	bind_text(st, 6, d->has_gross ? d->currency : NULL);
	if (of)
		sqlite3_bind_int64(st, 7, of);
	else
		sqlite3_bind_null(st, 7);
}

/* Record a document; `of` is its original's id, or 0 for an original. A copy's keys the
 * original lacks (a KSeF number that only the XML carries, a gross) join the original's,
 * so that later copies are found by any of them. */
static int record(struct invkeys *ik, const struct invkey_doc *d, const char *number,
		  sqlite3_int64 of, struct gerr *err)
{
	sqlite3_reset(ik->insert);
	bind_doc(ik->insert, d, number, of);
	int rc = sqlite3_step(ik->insert) == SQLITE_DONE ? 0 : db_error(ik, err, "cannot record");
	sqlite3_reset(ik->insert);
	if (rc == 0 && of) {
		sqlite3_reset(ik->merge);
		bind_doc(ik->merge, d, number, of);
		rc = sqlite3_step(ik->merge) == SQLITE_DONE ? 0 : db_error(ik, err, "cannot record");
		sqlite3_reset(ik->merge);
	}
	return rc;
}

/* The document's normalised number when it can be looked up by seller NIP and number. */
static bool number_key(const struct invkey_doc *d, char number[INVKEYS_NUMBER_MAX + 1])
{
	number[0] = '\0';
	if (d->number)
		invkeys_normalise_number(d->number, number);
	return d->seller_nip && *d->seller_nip && *number;
}

bool invkeys_has_key(const struct invkey_doc *d)
{
	char number[INVKEYS_NUMBER_MAX + 1];
	return (d->ksef_number && *d->ksef_number) || number_key(d, number);
}

int invkeys_check_and_add(struct invkeys *ik, const struct invkey_doc *d, char **first,
			  char **reason, struct gerr *err)
{
	*first = *reason = NULL;
	char number[INVKEYS_NUMBER_MAX + 1];
	bool by_number = number_key(d, number);
	bool by_ksef = d->ksef_number && *d->ksef_number;
	if (!by_ksef && !by_number)
		return 0;
	if (sqlite3_exec(ik->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return db_error(ik, err, "cannot begin");
	sqlite3_int64 of = 0;
	int rc = by_ksef ? find_by_ksef(ik, d->ksef_number, &of, first, err) : 0;
	if (rc == 0 && *first)
		*reason = xasprintf("same KSeF number %s", d->ksef_number);
	else if (rc == 0 && by_number && (rc = find_by_number(ik, d, number, &of, first, err)) == 0 && *first)
		*reason = xasprintf("same seller NIP %s and invoice number %s", d->seller_nip,
				    d->number);
	if (rc == 0)
		rc = record(ik, d, by_number ? number : NULL, of, err);
	if (rc == 0 && sqlite3_exec(ik->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = db_error(ik, err, "cannot commit");
	if (rc == 0)
		note_written(ik);
	if (rc != 0) {
		sqlite3_exec(ik->db, "ROLLBACK", NULL, NULL, NULL);
		free(*first);
		free(*reason);
		*first = *reason = NULL;
	}
	return rc;
}

long invkeys_count(struct invkeys *ik)
{
	sqlite3_stmt *st;
	long n = -1;
	if (sqlite3_prepare_v2(ik->db, "SELECT count(*) FROM invoices", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}
