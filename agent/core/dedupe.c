/* dedupe — see dedupe.h. */
#include "core/dedupe.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/sidecar.h"
#include "core/sqlwal.h"
#include "core/strset.h"

#define INDEX_MAX ((size_t)1 << 30)

struct dedupe {
	char *path;
	int fd;
	struct strset hashes;
	struct strset ids;
	struct buf staged;          /* lines not yet written */
	struct strlist staged_keys; /* "h:<hash>" / "i:<id>" added to the sets by them */
	bool forgot;                /* an entry on disk was forgotten: no more checkpoints */
};

/* Fields are separated by spaces: escape what would break a line apart. */
static char *escape_field(const char *s)
{
	if (!s || !*s)
		return xstrdup("-");
	struct buf b = {0};
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p <= ' ' || *p == '%' || *p == 0x7f ||
		    (p == (const unsigned char *)s && (*p == '-' || *p == '#')))
			buf_printf(&b, "%%%02X", *p);
		else
			buf_append(&b, p, 1);
	}
	return buf_take(&b);
}

static char *unescape_field(const char *s)
{
	if (strcmp(s, "-") == 0)
		return NULL;
	struct buf b = {0};
	for (const char *p = s; *p; p++) {
		unsigned v;
		if (*p == '%' && sscanf(p + 1, "%2x", &v) == 1) {
			char c = (char)v;
			buf_append(&b, &c, 1);
			p += 2;
		} else {
			buf_append(&b, p, 1);
		}
	}
	return buf_take(&b);
}

struct entry {
	char *hash, *id, *relpath;
};

static bool parse_line(const char *line, struct entry *e)
{
	char *copy = xstrdup(line), *save = NULL;
	char *f[3];
	bool ok = true;
	for (int i = 0; i < 3 && ok; i++)
		ok = (f[i] = strtok_r(i ? NULL : copy, " ", &save)) != NULL;
	if (ok) {
		e->hash = unescape_field(f[0]);
		e->id = unescape_field(f[1]);
		e->relpath = unescape_field(f[2]);
	}
	free(copy);
	return ok;
}

static void entry_free(struct entry *e)
{
	free(e->hash);
	free(e->id);
	free(e->relpath);
}

static void remember(struct dedupe *dd, const char *hash, const char *id)
{
	if (hash)
		strset_add(&dd->hashes, hash);
	if (id)
		strset_add(&dd->ids, id);
}

static bool sidecar_exists(const char *spool_root, const char *relpath)
{
	char *p = xasprintf("%s/%s" SIDECAR_SUFFIX, spool_root, relpath);
	bool ok = access(p, F_OK) == 0;
	free(p);
	return ok;
}

static bool is_checkpoint(const char *line) { return strcmp(line, "#") == 0; }

/* Load the index text (its lines are cut in place). Entries after the last checkpoint
 * whose sidecar is missing are left out; returns the offset of that tail and, in `tail`,
 * the lines of it to keep; *clean is false when the file must be rewritten from there. */
static size_t load_entries(struct dedupe *dd, char *text, size_t len, const char *spool_root,
			   struct buf *tail, bool *clean)
{
	size_t pos = 0, tail_start = 0, complete = 0;
	for (size_t p = 0; p < len; p++) /* where the last checkpoint ends */
		if (text[p] == '\n' && p >= 1 && text[p - 1] == '#' && (p == 1 || text[p - 2] == '\n'))
			tail_start = p + 1;
	*clean = true;
	while (pos < len) {
		char *nl = memchr(text + pos, '\n', len - pos);
		if (!nl) {
			*clean = false; /* torn last line */
			break;
		}
		*nl = '\0';
		complete = (size_t)(nl - text) + 1;
		struct entry e = {0};
		const char *line = text + pos;
		if (!is_checkpoint(line) && parse_line(line, &e)) {
			bool unsure = pos >= tail_start && spool_root && e.relpath;
			if (unsure && !sidecar_exists(spool_root, e.relpath)) {
				*clean = false;
			} else {
				remember(dd, e.hash, e.id);
				if (pos >= tail_start)
					buf_printf(tail, "%s\n", line);
			}
		}
		entry_free(&e);
		pos = complete;
	}
	return tail_start;
}

static int rewrite_tail(struct dedupe *dd, size_t at, const struct buf *tail, struct gerr *err)
{
	if (ftruncate(dd->fd, (off_t)at) != 0 || lseek(dd->fd, 0, SEEK_END) < 0 ||
	    (tail->len && write_all(dd->fd, tail->data, tail->len) != 0) ||
	    write_all(dd->fd, "#\n", 2) != 0 || fdatasync(dd->fd) != 0)
		return gerr_sys(err, "cannot repair index %s", dd->path);
	return 0;
}

struct dedupe *dedupe_open(const char *index_path, const char *spool_root, struct gerr *err)
{
	int fd = open(index_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		gerr_sys(err, "cannot open index %s", index_path);
		return NULL;
	}
	char *text = NULL;
	size_t len = 0;
	if (read_file(index_path, INDEX_MAX, &text, &len, err) != 0) {
		close(fd);
		return NULL;
	}
	struct dedupe *dd = xcalloc(1, sizeof *dd);
	dd->path = xstrdup(index_path);
	dd->fd = fd;
	struct buf tail = {0};
	bool clean;
	size_t at = load_entries(dd, text, len, spool_root, &tail, &clean);
	free(text);
	int rc = clean ? 0 : rewrite_tail(dd, at, &tail, err);
	buf_free(&tail);
	if (rc == 0 && lseek(fd, 0, SEEK_END) < 0)
		rc = gerr_sys(err, "cannot seek in %s", index_path);
	if (rc != 0) {
		dedupe_close(dd);
		return NULL;
	}
	return dd;
}

void dedupe_close(struct dedupe *dd)
{
	if (!dd)
		return;
	close(dd->fd);
	buf_free(&dd->staged);
	strlist_free(&dd->staged_keys);
	strset_free(&dd->hashes);
	strset_free(&dd->ids);
	free(dd->path);
	free(dd);
}

bool dedupe_has_hash(const struct dedupe *dd, const char *sha256_hex)
{
	return strset_has(&dd->hashes, sha256_hex);
}

bool dedupe_has_id(const struct dedupe *dd, const char *source_id)
{
	return source_id && strset_has(&dd->ids, source_id);
}

size_t dedupe_count(const struct dedupe *dd) { return dd->hashes.len; }

static void stage_key(struct dedupe *dd, struct strset *set, char kind, const char *key)
{
	if (!key || !strset_add(set, key))
		return;
	char *k = xasprintf("%c:%s", kind, key);
	strlist_add(&dd->staged_keys, k);
	free(k);
}

void dedupe_stage(struct dedupe *dd, const char *sha256_hex, const char *source_id,
		  const char *relpath)
{
	char *f[3] = {escape_field(sha256_hex), escape_field(source_id), escape_field(relpath)};
	buf_printf(&dd->staged, "%s %s %s\n", f[0], f[1], f[2]);
	for (int i = 0; i < 3; i++)
		free(f[i]);
	stage_key(dd, &dd->hashes, 'h', sha256_hex);
	stage_key(dd, &dd->ids, 'i', source_id);
}

static void drop_staged(struct dedupe *dd, bool forget)
{
	for (size_t i = 0; forget && i < dd->staged_keys.len; i++) {
		const char *k = dd->staged_keys.items[i];
		strset_remove(k[0] == 'h' ? &dd->hashes : &dd->ids, k + 2);
	}
	strlist_free(&dd->staged_keys);
	buf_free(&dd->staged);
}

const char *dedupe_path(const struct dedupe *dd)
{
	return dd->path;
}

int dedupe_commit(struct dedupe *dd, bool sync, struct gerr *err)
{
	if (!dd->staged.len)
		return 0;
	off_t start = lseek(dd->fd, 0, SEEK_END);
	int rc = 0;
	if (start < 0 || write_all(dd->fd, dd->staged.data, dd->staged.len) != 0 ||
	    (sync && fdatasync(dd->fd) != 0)) {
		rc = gerr_sys(err, "cannot append to index %s", dd->path);
		if (start >= 0 && ftruncate(dd->fd, start) != 0)
			log_warn("cannot cut a failed append off %s; it is checked at the next start",
				 dd->path);
	}
	drop_staged(dd, rc != 0);
	return rc;
}

void dedupe_forget(struct dedupe *dd, const char *sha256_hex, const char *source_id)
{
	dd->forgot = true;
	if (sha256_hex)
		strset_remove(&dd->hashes, sha256_hex);
	if (source_id)
		strset_remove(&dd->ids, source_id);
}

void dedupe_checkpoint(struct dedupe *dd)
{
	if (dd->forgot)
		return; /* a checkpoint would vouch for the forgotten entry's line too */
	if (write_all(dd->fd, "#\n", 2) != 0)
		log_debug("cannot append a checkpoint to %s", dd->path);
}

int dedupe_add(struct dedupe *dd, const char *sha256_hex, const char *source_id,
	       const char *relpath, struct gerr *err)
{
	dedupe_stage(dd, sha256_hex, source_id, relpath);
	return dedupe_commit(dd, true, err);
}

int dedupe_add_id(struct dedupe *dd, const char *source_id, struct gerr *err)
{
	return dedupe_add(dd, NULL, source_id, NULL, err);
}

/* ---- the cross-source content index ---------------------------------------------------- */

#define CONTENT_DB "content.db"
#define CONTENT_BUSY_MS 30000

/* This process's connection to <state>/content.db (see dedupe.h). */
static struct {
	sqlite3 *db;
	char *state_dir;
	sqlite3_stmt *find, *insert;
} ci;
/* The WAL of the last index opened in WAL mode, and its state directory: the file to sync,
 * also after the connection closed for a fork (it is kept at close: PERSIST_WAL). */
static char *wal_path, *wal_state_dir;
/* Pages in the WAL after this process's last commit, until a checkpoint is asked for. */
static int wal_pages;

/* In place of SQLite's automatic checkpoint at the commit (see dedupe.h). */
static int note_wal_pages(void *arg, sqlite3 *db, const char *name, int pages)
{
	(void)arg;
	wal_pages = pages;
	if (pages >= CONTENT_WAL_MAX_PAGES && sqlite3_wal_checkpoint(db, name) == SQLITE_OK)
		wal_pages = 0;
	return SQLITE_OK;
}

/* Also before every fork (pthread_atfork): a child must not inherit a SQLite connection,
 * nor SQLite's state of the file's locks; each process opens its own. */
static void content_index_close(void)
{
	sqlite3_finalize(ci.find);
	sqlite3_finalize(ci.insert);
	sqlite3_close(ci.db);
	free(ci.state_dir);
	memset(&ci, 0, sizeof ci);
}

/* The connection for state_dir, opened at first use; NULL with err set. */
static sqlite3 *content_index(const char *state_dir, struct gerr *err)
{
	static bool at_fork;
	if (ci.db && strcmp(ci.state_dir, state_dir) == 0)
		return ci.db;
	if (!at_fork)
		at_fork = pthread_atfork(content_index_close, NULL, NULL) == 0;
	content_index_close();
	char *path = path_join(state_dir, CONTENT_DB);
	char mode[8] = "";
	mode_t old = umask(077);
	int rc = sqlite3_open_v2(path, &ci.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				 SQLITE_OPEN_NOMUTEX, NULL);
	umask(old);
	ci.state_dir = xstrdup(state_dir);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(ci.db, CONTENT_BUSY_MS);
		rc = sqlwal_enable(ci.db, CONTENT_BUSY_MS, mode);
	}
	/* In WAL mode a commit is durable once the WAL is synced (the spool syncs it with its
	 * batch); in any other mode each commit syncs. */
	bool wal = strcmp(mode, "wal") == 0;
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(ci.db, wal ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=FULL",
				  NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(ci.db, "CREATE TABLE IF NOT EXISTS content (sha TEXT PRIMARY KEY, "
				  "path TEXT NOT NULL) WITHOUT ROWID", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(ci.db, "SELECT path FROM content WHERE sha = ?1", -1, &ci.find, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(ci.db, "INSERT OR IGNORE INTO content VALUES (?1, ?2)", -1,
					&ci.insert, NULL);
	if (rc != SQLITE_OK) {
		gerr_set(err, "content index %s: cannot open: %s", path,
			 ci.db ? sqlite3_errmsg(ci.db) : "out of memory");
		content_index_close();
	} else if (wal) { /* kept when the connection closes: it is the file the spool syncs */
		int keep = 1;
		sqlite3_file_control(ci.db, "main", SQLITE_FCNTL_PERSIST_WAL, &keep);
		sqlite3_wal_hook(ci.db, note_wal_pages, NULL);
		wal_pages = 0;
		free(wal_path);
		free(wal_state_dir);
		wal_path = xasprintf("%s-wal", path);
		wal_state_dir = xstrdup(state_dir);
	}
	free(path);
	return ci.db;
}

static bool valid_hash(const char *sha256_hex)
{
	return strlen(sha256_hex) == 64 && strspn(sha256_hex, "0123456789abcdef") == 64;
}

/* The first path of a hash recorded before the index was one database: content/<2 hex>/<sha>,
 * one small file per hash. */
static char *legacy_first(const char *state_dir, const char *sha256_hex)
{
	char *path = xasprintf("%s/content/%.2s/%s", state_dir, sha256_hex, sha256_hex);
	char *first = NULL;
	if (read_file(path, 4096, &first, NULL, NULL) != 0)
		first = NULL;
	free(path);
	return first;
}

/* The first path of the hash, or NULL: not recorded, or (err set) the lookup failed — a
 * failed step is no "not found", or a copy would be taken for the first of its content. */
static char *find_first(const char *state_dir, const char *sha256_hex, struct gerr *err)
{
	char *first = NULL;
	sqlite3_reset(ci.find);
	sqlite3_bind_text(ci.find, 1, sha256_hex, -1, SQLITE_STATIC);
	int rc = sqlite3_step(ci.find);
	if (rc == SQLITE_ROW)
		first = xstrdup((const char *)sqlite3_column_text(ci.find, 0));
	else if (rc != SQLITE_DONE)
		gerr_set(err, "content index in %s: cannot look up %s: %s", state_dir, sha256_hex,
			 sqlite3_errmsg(ci.db));
	sqlite3_reset(ci.find);
	return first;
}

char *dedupe_content_index_first(const char *state_dir, const char *sha256_hex, struct gerr *err)
{
	err->msg[0] = 0;
	if (!valid_hash(sha256_hex))
		return NULL;
	char *first = content_index(state_dir, err) ? find_first(state_dir, sha256_hex, err) : NULL;
	return first || err->msg[0] ? first : legacy_first(state_dir, sha256_hex);
}

char *dedupe_content_index_add(const char *state_dir, const char *sha256_hex,
				  const char *relpath, struct gerr *err)
{
	if (!valid_hash(sha256_hex) || !content_index(state_dir, err))
		return NULL;
	char *legacy = legacy_first(state_dir, sha256_hex);
	bool migrated = legacy != NULL;
	sqlite3_reset(ci.insert);
	sqlite3_bind_text(ci.insert, 1, sha256_hex, -1, SQLITE_STATIC);
	sqlite3_bind_text(ci.insert, 2, legacy ? legacy : relpath, -1, SQLITE_STATIC);
	int rc = sqlite3_step(ci.insert);
	bool added = rc == SQLITE_DONE && sqlite3_changes(ci.db) > 0;
	sqlite3_reset(ci.insert);
	free(legacy);
	if (rc != SQLITE_DONE) {
		gerr_set(err, "content index in %s: cannot record %s: %s", state_dir, sha256_hex,
			 sqlite3_errmsg(ci.db));
		return NULL;
	}
	return added && !migrated ? NULL : find_first(state_dir, sha256_hex, err);
}

const char *dedupe_content_index_wal(const char *state_dir)
{
	return wal_state_dir && strcmp(wal_state_dir, state_dir) == 0 ? wal_path : NULL;
}

char *dedupe_content_index_checkpoint_due(const char *state_dir)
{
	if (wal_pages < CONTENT_CHECKPOINT_PAGES || !dedupe_content_index_wal(state_dir))
		return NULL;
	wal_pages = 0;
	return path_join(state_dir, CONTENT_DB);
}

int dedupe_content_index_checkpoint(const char *db_path, struct gerr *err)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK) {
		int keep = 1;
		sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &keep);
		sqlite3_busy_timeout(db, CONTENT_BUSY_MS);
		/* a new connection finds the WAL when it first reads: before that a checkpoint
		 * does nothing, and says SQLITE_OK */
		rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	if (rc != SQLITE_OK)
		gerr_set(err, "content index %s: cannot checkpoint: %s", db_path,
			 db ? sqlite3_errmsg(db) : "out of memory");
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}
