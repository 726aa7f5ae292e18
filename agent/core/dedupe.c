/* dedupe — see dedupe.h. */
#include "core/dedupe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/strset.h"

#define INDEX_MAX ((size_t)1 << 30)

struct dedupe {
	char *path;
	int fd;
	off_t last_start;       /* where the last appended line begins */
	char *last_hash, *last_id;
	struct strset hashes;
	struct strset ids;
};

/* Fields are separated by spaces: escape what would break a line apart. */
static char *escape_field(const char *s)
{
	if (!s || !*s)
		return xstrdup("-");
	struct buf b = {0};
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p <= ' ' || *p == '%' || *p == 0x7f || (p == (const unsigned char *)s && *p == '-'))
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

static bool parse_line(char *line, struct entry *e)
{
	char *save = NULL;
	char *f[3];
	for (int i = 0; i < 3; i++)
		if (!(f[i] = strtok_r(i ? NULL : line, " ", &save)))
			return false;
	e->hash = unescape_field(f[0]);
	e->id = unescape_field(f[1]);
	e->relpath = unescape_field(f[2]);
	return true;
}

static void entry_free(struct entry *e)
{
	free(e->hash);
	free(e->id);
	free(e->relpath);
}

static void remember(struct dedupe *dd, const struct entry *e)
{
	if (e->hash)
		strset_add(&dd->hashes, e->hash);
	if (e->id)
		strset_add(&dd->ids, e->id);
}

static bool sidecar_exists(const char *spool_root, const char *relpath)
{
	char *p = xasprintf("%s/%s.meta.json", spool_root, relpath);
	bool ok = access(p, F_OK) == 0;
	free(p);
	return ok;
}

/* Load every complete line; return the offset where the index should end (a torn last
 * line, or a last entry whose sidecar never appeared, is cut off). */
static size_t load_entries(struct dedupe *dd, char *text, size_t len, const char *spool_root)
{
	size_t pos = 0, keep = 0;
	while (pos < len) {
		char *nl = memchr(text + pos, '\n', len - pos);
		if (!nl)
			break; /* torn last line */
		*nl = '\0';
		size_t next = (size_t)(nl - text) + 1;
		struct entry e = {0};
		if (parse_line(text + pos, &e)) {
			bool last = !memchr(text + next, '\n', len - next);
			if (last && spool_root && e.relpath && !sidecar_exists(spool_root, e.relpath)) {
				entry_free(&e);
				break;
			}
			remember(dd, &e);
		}
		entry_free(&e);
		keep = pos = next;
	}
	return keep;
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
	size_t keep = load_entries(dd, text, len, spool_root);
	free(text);
	if (keep != len && ftruncate(fd, (off_t)keep) != 0) {
		gerr_sys(err, "cannot repair index %s", index_path);
		dedupe_close(dd);
		return NULL;
	}
	if (lseek(fd, 0, SEEK_END) < 0) {
		gerr_sys(err, "cannot seek in %s", index_path);
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
	free(dd->last_hash);
	free(dd->last_id);
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

int dedupe_add(struct dedupe *dd, const char *sha256_hex, const char *source_id,
	       const char *relpath, struct gerr *err)
{
	char *f[3] = {escape_field(sha256_hex), escape_field(source_id), escape_field(relpath)};
	char *line = xasprintf("%s %s %s\n", f[0], f[1], f[2]);
	int rc = 0;
	off_t start = lseek(dd->fd, 0, SEEK_END);
	if (start < 0 || write_all(dd->fd, line, strlen(line)) != 0 || fdatasync(dd->fd) != 0) {
		rc = gerr_sys(err, "cannot append to index %s", dd->path);
		if (start >= 0 && ftruncate(dd->fd, start) != 0)
			rc = gerr_sys(err, "cannot repair index %s", dd->path);
	} else {
		dd->last_start = start;
		free(dd->last_hash);
		free(dd->last_id);
		dd->last_hash = sha256_hex && !strset_has(&dd->hashes, sha256_hex) ? xstrdup(sha256_hex) : NULL;
		dd->last_id = source_id && !strset_has(&dd->ids, source_id) ? xstrdup(source_id) : NULL;
		remember(dd, &(struct entry){(char *)sha256_hex, (char *)source_id, NULL});
	}
	free(line);
	for (int i = 0; i < 3; i++)
		free(f[i]);
	return rc;
}

void dedupe_undo_last(struct dedupe *dd)
{
	if (ftruncate(dd->fd, dd->last_start) != 0)
		log_warn("cannot take back the last line of %s: a document may be skipped until the index is rebuilt",
			 dd->path);
	if (dd->last_hash)
		strset_remove(&dd->hashes, dd->last_hash);
	if (dd->last_id)
		strset_remove(&dd->ids, dd->last_id);
	free(dd->last_hash);
	free(dd->last_id);
	dd->last_hash = dd->last_id = NULL;
}

int dedupe_add_id(struct dedupe *dd, const char *source_id, struct gerr *err)
{
	return dedupe_add(dd, NULL, source_id, NULL, err);
}

/* content/<2 hex>/<sha>: one small file per hash holding the first path. Published with
 * link(), which never replaces, so concurrent workers agree on the first. */
char *content_index_check_and_add(const char *state_dir, const char *sha256_hex,
				  const char *relpath, struct gerr *err)
{
	char *dir = xasprintf("%s/content/%.2s", state_dir, sha256_hex);
	char *path = xasprintf("%s/%s", dir, sha256_hex);
	char *first = NULL;
	if (read_file(path, 4096, &first, NULL, NULL) == 0)
		goto out;
	if (mkdir_p(dir, 0700, err) != 0)
		goto out;
	char *tmp = xasprintf("%s.tmp-%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write_all(fd, relpath, strlen(relpath)) != 0) {
		gerr_sys(err, "cannot write %s", tmp);
	} else if (link(tmp, path) != 0 && errno == EEXIST) {
		read_file(path, 4096, &first, NULL, NULL);
	}
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
out:
	free(dir);
	free(path);
	return first;
}
