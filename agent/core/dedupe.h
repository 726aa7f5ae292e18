/* dedupe — what a source has filed already, by content hash and by the source's own id.
 *
 * One index per source, <state>/sources/<name>/filed.idx: an append-only text log, one
 * line per filed document ("<sha256> <id or -> <spool-relative path>"), loaded into hash
 * tables at open (100,000 entries load in tens of milliseconds). Only one process writes a
 * source's index at a time (the per-source run lock).
 *
 * The spool stages entries while it files (dedupe_stage: known at once in memory), makes
 * them durable (dedupe_commit: appended and synced) before it publishes their sidecars, and
 * then appends a checkpoint line ("#", dedupe_checkpoint). At open, the entries after the
 * last checkpoint are checked: one whose sidecar is missing (a crash between the two) is
 * dropped, so the index never claims a document the spool does not have. A torn last line
 * is ignored and cut off.
 *
 * A second, cross-source index maps a hash to the first spool path that held it, for the
 * sidecar's duplicate_of: <state>/content.db, one SQLite table shared by every process
 * (WAL, mode 0600; the first INSERT of a hash wins, so concurrent workers agree on the
 * first). A process keeps one connection to it, opened at first use and closed before the
 * process forks (a child opens its own; not thread-safe: one thread uses it). A recorded entry is durable once the file
 * dedupe_content_index_wal() names is synced: the spool syncs it with its batch. Hashes
 * recorded before the index was one database (<state>/content/<2 hex>/<sha>, one file
 * each) are still found, and move into the database when recorded again.
 *
 * Ownership: dedupe_open() returns an index the caller frees with dedupe_close().
 * Errors: -1 / NULL with err set.
 */
#ifndef GONIEC_DEDUPE_H
#define GONIEC_DEDUPE_H

#include "core/util.h"

struct dedupe;

/* spool_root is used to check the entries after the last checkpoint; may be NULL to skip
 * that check. */
struct dedupe *dedupe_open(const char *index_path, const char *spool_root, struct gerr *err);
void dedupe_close(struct dedupe *dd);

/* The index file's path (to sync it with other files, see spool.h). */
const char *dedupe_path(const struct dedupe *dd);
bool dedupe_has_hash(const struct dedupe *dd, const char *sha256_hex);
bool dedupe_has_id(const struct dedupe *dd, const char *source_id);
size_t dedupe_count(const struct dedupe *dd);
/* Record a filed document at once (stage and commit). id may be NULL. */
int dedupe_add(struct dedupe *dd, const char *sha256_hex, const char *source_id,
	       const char *relpath, struct gerr *err);
/* Stage an entry: known to dedupe_has_* at once, written by dedupe_commit(). */
void dedupe_stage(struct dedupe *dd, const char *sha256_hex, const char *source_id,
		  const char *relpath);
/* Append the staged entries, and sync them unless the caller syncs the whole file system
 * next. On failure nothing staged is kept (not on disk, not in memory). */
int dedupe_commit(struct dedupe *dd, bool sync, struct gerr *err);
/* Forget an entry in memory (its sidecar could not be published; the line on disk is
 * dropped at the next open, being after the last checkpoint: no checkpoint is written
 * after it by this index any more). */
void dedupe_forget(struct dedupe *dd, const char *sha256_hex, const char *source_id);
/* Mark that every entry so far has its sidecar. Not synced: a lost checkpoint only
 * makes the next open check a few more entries. */
void dedupe_checkpoint(struct dedupe *dd);
/* Record an id as seen without a document (looked at, nothing to take). */
int dedupe_add_id(struct dedupe *dd, const char *source_id, struct gerr *err);

/* Cross-source index: the first spool-relative path that held this hash, or NULL
 * (owned by the caller): not recorded, or err set when the lookup failed (err->msg is
 * "" otherwise). */
char *dedupe_content_index_first(const char *state_dir, const char *sha256_hex, struct gerr *err);
/* Look the hash up as dedupe_content_index_first(); when it is new, record it with relpath
 * (and return NULL). NULL with err set when the index cannot be opened, written or read. */
char *dedupe_content_index_add(const char *state_dir, const char *sha256_hex,
				  const char *relpath, struct gerr *err);
/* The file to sync to make what this process recorded in state_dir's content index durable;
 * NULL when this process has not opened that index in WAL mode (otherwise each record is
 * synced as it is made). */
const char *dedupe_content_index_wal(const char *state_dir);
/* Checkpoints (copying the WAL into the database: two more syncs, seconds behind a busy
 * disk) are not made by the commits of the filing thread. When this process's last commit
 * left CONTENT_CHECKPOINT_PAGES or more in the WAL, dedupe_content_index_checkpoint_due()
 * gives the database's path (owned by the caller) once, and the spool's flight, after it
 * synced the WAL, hands it to dedupe_content_index_checkpoint(), which may run on any
 * thread (a connection of its own, closed again). A WAL that reaches CONTENT_WAL_MAX_PAGES
 * all the same (no flight took the turn) is checkpointed at the commit, as SQLite would. */
#define CONTENT_CHECKPOINT_PAGES 1000
#define CONTENT_WAL_MAX_PAGES (8 * CONTENT_CHECKPOINT_PAGES)
char *dedupe_content_index_checkpoint_due(const char *state_dir);
int dedupe_content_index_checkpoint(const char *db_path, struct gerr *err);

#endif
