/* spool — see spool.h. */
#include "core/spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/dedupe.h"
#include "core/fault.h"
#include "core/fsyncs.h"
#include "core/invkeys.h"
#include "core/log.h"
#include "core/names.h"
#include "core/sidecar.h"
#include "core/sniff.h"
#include "core/strset.h"

#define TMP_PREFIX ".goniec-tmp-"
#define HEAD_MAX 4096
#define TAIL_MAX 1024
#define DIR_MODE 0750
#define FILE_MODE 0640

struct spool_doc {
	struct spool *sp;
	struct dedupe *dd;
	char *source_name, *source_type, *company, *name_hint, *kind, *source_id, *point,
		*property;
	struct strlist accept;
	bool accept_any;
	json_t *origin, *invoice, *extra;
	struct spool_enricher enricher;
	json_t *enriched;  /* members the enricher added */
	bool deferred;     /* its enrichment and sidecar wait for the flush (kept by a pending) */
	time_t fetched;
	char date[11];
	char *dir;      /* final directory */
	char *tmp_path; /* temporary document */
	int fd;
	EVP_MD_CTX *sha;
	uint64_t size;
	bool too_large;
	unsigned char head[HEAD_MAX];
	size_t head_len;
	unsigned char tail[TAIL_MAX];
	size_t tail_len;
};

/* A committed document whose sidecar waits for the batch to be synced. A deferred one
 * (its enricher prepared, spool.h "Enrichment") has no sidecar yet: its doc, name, result
 * and first copy are kept to build it at the flush, and its index entry is staged then. */
struct spool_pending {
	struct dedupe *dd;
	char *doc_path, *side_tmp, *side_path, *dir;
	char *sha256, *source_id;
	struct spool_doc *deferred;
	char *name, *dup;
	struct spool_result res;
	unsigned long round;  /* sp->round at its commit */
};

static unsigned long tmp_counter;

void spool_date_dir(time_t t, char out[11])
{
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(out, 11, "%Y/%m/%d", &tm);
}

void spool_iso_time(time_t t, char out[32])
{
	struct tm tm;
	localtime_r(&t, &tm);
	char zone[8];
	strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof zone, "%z", &tm); /* +0100 -> +01:00 */
	size_t l = strlen(out);
	snprintf(out + l, 32 - l, "%.3s:%.2s", zone, zone + 3);
}

int spool_open(struct spool *sp, const char *root, const char *state_dir,
	       uint64_t max_document_size, struct gerr *err)
{
	memset(sp, 0, sizeof *sp);
	if (mkdir_p(root, DIR_MODE, err) != 0)
		return gerr_prefix(err, "spool");
	if (access(root, W_OK) != 0)
		return gerr_sys(err, "spool %s is not writable", root);
	sp->root = xstrdup(root);
	sp->state_dir = xstrdup(state_dir);
	sp->max_document_size = max_document_size;
	return 0;
}

void spool_close(struct spool *sp)
{
	struct gerr err;
	if ((sp->npending || sp->flight) && spool_flush(sp, &err) != 0)
		log_error("spool: %s", err.msg);
	free(sp->pending);
	free(sp->root);
	free(sp->state_dir);
	memset(sp, 0, sizeof *sp);
}

void spool_result_free(struct spool_result *r)
{
	free(r->path);
	free(r->reason);
	r->path = r->reason = NULL;
}

static char *dup_or_null(const char *s) { return s ? xstrdup(s) : NULL; }

static json_t *ref_or_null(json_t *j) { return j ? json_incref(j) : NULL; }

static void doc_free(struct spool_doc *doc)
{
	if (doc->fd >= 0)
		close(doc->fd);
	if (doc->tmp_path)
		unlink(doc->tmp_path);
	free(doc->tmp_path);
	free(doc->dir);
	char *strs[] = {doc->source_name, doc->source_type, doc->company, doc->name_hint,
			doc->kind, doc->source_id, doc->point, doc->property};
	for (size_t i = 0; i < ARRAY_LEN(strs); i++)
		free(strs[i]);
	strlist_free(&doc->accept);
	json_decref(doc->origin);
	json_decref(doc->invoice);
	json_decref(doc->extra);
	json_decref(doc->enriched);
	EVP_MD_CTX_free(doc->sha);
	free(doc);
}

static char *dir_for(struct spool *sp, const char *top, const char *date, const char *source)
{
	if (top)
		return xasprintf("%s/%s/%s/%s", sp->root, top, date, source);
	return xasprintf("%s/%s/%s", sp->root, date, source);
}

static int open_tmp(struct spool_doc *doc, struct gerr *err)
{
	if (mkdir_p_durable(doc->dir, DIR_MODE, err) != 0)
		return -1;
	free(doc->tmp_path);
	doc->tmp_path = xasprintf("%s/" TMP_PREFIX "%ld-%lu", doc->dir, (long)getpid(),
				  ++tmp_counter);
	doc->fd = open(doc->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, FILE_MODE);
	if (doc->fd < 0) {
		gerr_sys(err, "cannot create %s", doc->tmp_path);
		free(doc->tmp_path);
		doc->tmp_path = NULL;
		return -1;
	}
	return 0;
}

struct spool_doc *spool_begin(struct spool *sp, struct dedupe *dd, const struct doc_meta *meta,
			      struct gerr *err)
{
	struct spool_doc *doc = xcalloc(1, sizeof *doc);
	doc->fd = -1;
	doc->sp = sp;
	doc->dd = dd;
	doc->source_name = xstrdup(meta->source_name ? meta->source_name : "manual");
	doc->source_type = dup_or_null(meta->source_type);
	doc->company = dup_or_null(meta->company);
	doc->name_hint = dup_or_null(meta->name_hint);
	doc->kind = dup_or_null(meta->kind);
	doc->source_id = dup_or_null(meta->source_id);
	doc->point = dup_or_null(meta->point);
	doc->property = dup_or_null(meta->property);
	doc->accept_any = meta->accept == NULL;
	for (size_t i = 0; meta->accept && i < meta->accept->len; i++)
		strlist_add(&doc->accept, meta->accept->items[i]);
	doc->origin = ref_or_null(meta->origin);
	doc->invoice = ref_or_null(meta->invoice);
	doc->extra = ref_or_null(meta->extra);
	if (meta->enricher)
		doc->enricher = *meta->enricher;
	doc->fetched = time(NULL);
	spool_date_dir(doc->fetched, doc->date);
	doc->dir = dir_for(sp, NULL, doc->date, doc->source_name);
	doc->sha = EVP_MD_CTX_new();
	if (!doc->sha || EVP_DigestInit_ex(doc->sha, EVP_sha256(), NULL) != 1) {
		gerr_set(err, "cannot start SHA-256");
		doc_free(doc);
		return NULL;
	}
	if (open_tmp(doc, err) != 0) {
		doc_free(doc);
		return NULL;
	}
	return doc;
}

static void keep_tail(struct spool_doc *doc, const unsigned char *p, size_t len)
{
	if (len >= TAIL_MAX) {
		memcpy(doc->tail, p + len - TAIL_MAX, TAIL_MAX);
		doc->tail_len = TAIL_MAX;
		return;
	}
	size_t keep = doc->tail_len + len > TAIL_MAX ? TAIL_MAX - len : doc->tail_len;
	memmove(doc->tail, doc->tail + doc->tail_len - keep, keep);
	memcpy(doc->tail + keep, p, len);
	doc->tail_len = keep + len;
}

int spool_write(struct spool_doc *doc, const void *data, size_t len, struct gerr *err)
{
	const unsigned char *p = data;
	if (doc->head_len < HEAD_MAX) {
		size_t n = len < HEAD_MAX - doc->head_len ? len : HEAD_MAX - doc->head_len;
		memcpy(doc->head + doc->head_len, p, n);
		doc->head_len += n;
	}
	keep_tail(doc, p, len);
	EVP_DigestUpdate(doc->sha, p, len);
	doc->size += len;
	if (doc->sp->max_document_size && doc->size > doc->sp->max_document_size)
		doc->too_large = true;
	if (doc->too_large)
		return 0; /* keep hashing; the body is not kept */
	if (write_all(doc->fd, p, len) != 0)
		return gerr_sys(err, "cannot write %s", doc->tmp_path);
	fault_point("spool-write");
	return 0;
}

/* ---- publishing ------------------------------------------------------------------------ */

/* Move src to dst unless dst exists. Returns 0, or -1 with errno (EEXIST: taken). */
static int rename_noreplace(const char *src, const char *dst)
{
	if (syscall(SYS_renameat2, AT_FDCWD, src, AT_FDCWD, dst, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* File systems without RENAME_NOREPLACE: link() never replaces either. */
	if (link(src, dst) != 0)
		return -1;
	unlink(src);
	return 0;
}

static bool name_taken(const char *dir, const char *name)
{
	char *doc = xasprintf("%s/%s", dir, name);
	char *side = xasprintf("%s/%s" SIDECAR_SUFFIX, dir, name);
	bool taken = access(doc, F_OK) == 0 || access(side, F_OK) == 0;
	free(doc);
	free(side);
	return taken;
}

/* Extensions that already fit a sniffed type and are kept as they are. */
static bool extension_fits(const char *name, const char *type)
{
	static const char *const fits[][5] = {
		{"pdf", ".pdf", NULL},
		{"xml", ".xml", NULL},
		{"camt", ".xml", ".camt", ".053", NULL},
		{"mt940", ".sta", ".mt940", ".940", ".txt"},
		{"csv", ".csv", ".txt", NULL},
		{"zip", ".zip", NULL},
	};
	const char *dot = strrchr(name, '.');
	for (size_t i = 0; dot && i < ARRAY_LEN(fits); i++)
		if (strcmp(fits[i][0], type) == 0)
			for (size_t j = 1; j < 5 && fits[i][j]; j++)
				if (strcasecmp(dot, fits[i][j]) == 0)
					return true;
	return false;
}

static char *final_base_name(const struct spool_doc *doc, const char *type, const char *sha)
{
	char fallback[32];
	snprintf(fallback, sizeof fallback, "document-%.12s", sha);
	char *clean = sanitize_filename_max(doc->name_hint, fallback, NAME_MAX_BYTES - 16);
	if (extension_fits(clean, type) || strcmp(type, "unknown") == 0 ||
	    strcmp(type, "empty") == 0)
		return clean;
	char *fixed = name_with_extension(clean, sniff_extension(type));
	free(clean);
	return fixed;
}

/* Publish the temporary document under a free name; the chosen name is returned. */
static char *publish_document(struct spool_doc *doc, const char *base, struct gerr *err)
{
	for (unsigned n = 1; n < 10000; n++) {
		char *name = n == 1 ? xstrdup(base) : name_with_suffix(base, n);
		char *path = xasprintf("%s/%s", doc->dir, name);
		bool taken = name_taken(doc->dir, name);
		if (!taken && rename_noreplace(doc->tmp_path, path) == 0) {
			free(path);
			free(doc->tmp_path);
			doc->tmp_path = NULL;
			return name;
		}
		int e = taken ? EEXIST : errno; /* errno is stale when the name was taken */
		free(path);
		free(name);
		if (e != EEXIST && e != 0) {
			errno = e;
			gerr_sys(err, "cannot publish %s in %s", base, doc->dir);
			return NULL;
		}
	}
	gerr_set(err, "no free name for %s in %s", base, doc->dir);
	return NULL;
}

static json_t *build_sidecar(const struct spool_doc *doc, const char *name,
			     const struct spool_result *res, const char *duplicate_of)
{
	char when[32];
	spool_iso_time(doc->fetched, when);
	const struct sidecar_doc d = {
		.file = name, .sha256 = res->sha256, .size = res->size,
		.media_type = res->media_type, .type = res->type, .kind = doc->kind,
		.company = doc->company, .source_name = doc->source_name,
		.source_type = doc->source_type, .point = doc->point, .property = doc->property,
		.fetched_at = when, .original_name = doc->name_hint, .origin = doc->origin,
		.invoice = doc->invoice, .duplicate_of = duplicate_of,
		.quarantine_reason = res->status == SPOOL_QUARANTINED ? res->reason : NULL,
		.content_kept = !doc->too_large, .enriched = doc->enriched, .extra = doc->extra,
	};
	return sidecar_build(&d);
}

/* Write the sidecar under a temporary name; returns that name or NULL. It is synced with
 * the rest of its batch in spool_flush(). */
static char *prepare_sidecar(struct spool_doc *doc, json_t *sidecar, struct gerr *err)
{
	char *text = json_dumps(sidecar, JSON_INDENT(2) | JSON_ENSURE_ASCII | JSON_SORT_KEYS);
	char *tmp = xasprintf("%s/" TMP_PREFIX "%ld-%lu" SIDECAR_SUFFIX, doc->dir, (long)getpid(),
			      ++tmp_counter);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, FILE_MODE);
	bool ok = fd >= 0 && write_all(fd, text, strlen(text)) == 0 &&
		  write_all(fd, "\n", 1) == 0;
	if (!ok) {
		gerr_sys(err, "cannot write the sidecar %s", tmp);
		unlink(tmp);
		free(tmp);
		tmp = NULL;
	}
	if (fd >= 0)
		close(fd);
	free(text);
	return tmp;
}

/* Decide whether the content may be filed; NULL when it may, else why not (owned). */
static char *judge(const struct spool_doc *doc, const struct sniff_result *r)
{
	if (doc->too_large)
		return xasprintf("larger than the limit of %llu bytes (%llu bytes); only this sidecar is kept",
				 (unsigned long long)doc->sp->max_document_size,
				 (unsigned long long)doc->size);
	const char *problem = sniff_problem(r, doc->tail, doc->tail_len, doc->size);
	if (problem)
		return xstrdup(problem);
	if (doc->accept_any || strlist_contains(&doc->accept, r->type))
		return NULL;
	struct buf b = {0};
	for (size_t i = 0; i < doc->accept.len; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", doc->accept.items[i]);
	char *why = xasprintf("content is %s (%s), not an accepted type (%s)%s%s%s", r->type,
			      r->media_type, b.data ? b.data : "none",
			      doc->name_hint ? "; it was named '" : "",
			      doc->name_hint ? doc->name_hint : "", doc->name_hint ? "'" : "");
	buf_free(&b);
	return why;
}

static int finish_digest(struct spool_doc *doc, struct spool_result *res, struct gerr *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (EVP_DigestFinal_ex(doc->sha, md, &mdlen) != 1 || mdlen != 32)
		return gerr_set(err, "cannot finish SHA-256");
	hex_encode(md, 32, res->sha256);
	res->size = doc->size;
	return 0;
}

static int move_to_quarantine(struct spool_doc *doc, struct gerr *err)
{
	char *qdir = dir_for(doc->sp, "quarantine", doc->date, doc->source_name);
	if (mkdir_p_durable(qdir, DIR_MODE, err) != 0) {
		free(qdir);
		return -1;
	}
	char *qtmp = xasprintf("%s/%s", qdir, strrchr(doc->tmp_path, '/') + 1);
	if (doc->too_large && ftruncate(doc->fd, 0) != 0) {
		free(qdir);
		free(qtmp);
		return gerr_sys(err, "cannot truncate %s", doc->tmp_path);
	}
	if (rename(doc->tmp_path, qtmp) != 0) {
		gerr_sys(err, "cannot move %s to quarantine", doc->tmp_path);
		free(qdir);
		free(qtmp);
		return -1;
	}
	free(doc->tmp_path);
	doc->tmp_path = qtmp;
	free(doc->dir);
	doc->dir = qdir;
	return 0;
}

static void add_pending(struct spool_doc *doc, const struct spool_result *res,
			const char *relpath, char *side_tmp, const char *name)
{
	struct spool *sp = doc->sp;
	if (sp->npending == sp->cap_pending) {
		sp->cap_pending = sp->cap_pending ? 2 * sp->cap_pending : 16;
		sp->pending = xrealloc(sp->pending, sp->cap_pending * sizeof *sp->pending);
	}
	sp->pending[sp->npending++] = (struct spool_pending){
		.dd = doc->dd,
		.doc_path = xstrdup(res->path),
		.side_tmp = side_tmp,
		.side_path = xasprintf("%s/%s" SIDECAR_SUFFIX, doc->dir, name),
		.dir = xstrdup(doc->dir),
		.sha256 = xstrdup(res->sha256),
		.source_id = dup_or_null(doc->source_id),
	};
	if (doc->dd && side_tmp)
		dedupe_stage(doc->dd, res->sha256, doc->source_id, relpath);
}

/* Keep a document whose enricher was prepared: its sidecar is built at the flush. */
static void add_deferred(struct spool_doc *doc, const struct spool_result *res, char *name,
			 char *dup)
{
	add_pending(doc, res, NULL, NULL, name);
	struct spool_pending *p = &doc->sp->pending[doc->sp->npending - 1];
	p->deferred = doc;
	p->name = name;
	p->dup = dup;
	p->res = (struct spool_result){.status = res->status, .size = res->size,
				       .media_type = res->media_type, .type = res->type};
	memcpy(p->res.sha256, res->sha256, sizeof p->res.sha256);
	p->round = doc->sp->round;
	doc->deferred = true;
}

/* Is this content, or this source's id, filed in the batch and waiting for its enricher? */
static bool deferred_has(const struct spool *sp, const struct dedupe *dd, const char *sha256,
			 const char *source_id)
{
	for (size_t i = 0; i < sp->npending; i++) {
		const struct spool_pending *p = &sp->pending[i];
		if (p->deferred && p->dd == dd &&
		    (!strcmp(p->sha256, sha256) ||
		     (source_id && p->source_id && !strcmp(p->source_id, source_id))))
			return true;
	}
	return false;
}

static void doc_free(struct spool_doc *doc);

static void pending_free(struct spool_pending *p)
{
	if (p->deferred)
		doc_free(p->deferred);
	free(p->name);
	free(p->dup);
	free(p->doc_path);
	free(p->side_tmp);
	free(p->side_path);
	free(p->dir);
	free(p->sha256);
	free(p->source_id);
}

/* ---- flushing ------------------------------------------------------------------------------ */

/* A batch of pending commits being made durable, by the caller (spool_flush) or by a
 * thread while the caller goes on filing (spool_flush_start). The thread touches only
 * what is here: paths, and the files they name. */
struct spool_flight {
	struct spool_pending *items;
	size_t n;
	struct strlist files, dirs; /* to sync before the sidecars appear; dirs again after */
	pthread_t thread;
	int rc;
	size_t published;           /* sidecars renamed into place */
	struct gerr err;
	char *checkpoint;           /* the content index to checkpoint after the syncs, or NULL */
	_Atomic bool done;          /* the thread has finished */
};

static struct sync_target *targets(const struct strlist *a, const struct strlist *b, bool b_dirs,
				   size_t *n)
{
	struct sync_target *v = xcalloc(a->len + b->len + 1, sizeof *v);
	*n = 0;
	for (size_t i = 0; i < a->len; i++)
		v[(*n)++] = (struct sync_target){AT_FDCWD, a->items[i], false};
	for (size_t i = 0; i < b->len; i++)
		v[(*n)++] = (struct sync_target){AT_FDCWD, b->items[i], b_dirs};
	return v;
}

static int sync_list(const struct strlist *files, const struct strlist *dirs, struct gerr *err)
{
	size_t n;
	struct sync_target *v = targets(files, dirs, true, &n);
	int rc = fsync_group(v, n, err);
	free(v);
	return rc;
}

/* Documents, temporary sidecars, index entries and the names of the documents durable;
 * then the sidecars published, and their names durable. Only these files are synced,
 * never the whole file system (see fsyncs.h). */
static void fly(struct spool_flight *f)
{
	static const struct strlist none;
	f->rc = sync_list(&f->files, &f->dirs, &f->err);
	fault_point("spool-synced");
	for (; f->rc == 0 && f->published < f->n; f->published++) {
		const struct spool_pending *p = &f->items[f->published];
		if (rename_noreplace(p->side_tmp, p->side_path) != 0)
			f->rc = gerr_sys(&f->err, "cannot publish %s", p->side_path);
	}
	fault_point("spool-sidecars-renamed");
	if (f->rc == 0)
		f->rc = sync_list(&none, &f->dirs, &f->err);
	struct gerr cerr;
	if (f->rc == 0 && f->checkpoint && dedupe_content_index_checkpoint(f->checkpoint, &cerr) != 0)
		log_warn("%s (tried again at a later flush; what was recorded is safe in the write-ahead log)", cerr.msg);
}

static void *fly_thread(void *arg)
{
	struct spool_flight *f = arg;
	fly(f);
	f->done = true;
	return NULL;
}

/* Undo one pending commit: its document and temporary sidecar go, the index forgets it. */
static void drop_pending(struct spool_pending *p)
{
	if (p->side_tmp)
		unlink(p->side_tmp);
	unlink(p->doc_path);
	if (p->dd)
		dedupe_forget(p->dd, p->sha256, p->source_id);
}

/* Take the pending commits into a flight. Index entries are appended here (synced by the
 * flight, before the sidecars: a crash before a sidecar is published leaves an entry after
 * the last checkpoint without its sidecar, which dedupe_open() drops; see dedupe.h). */
static struct spool_flight *seal(struct spool *sp)
{
	struct spool_flight *f = xcalloc(1, sizeof *f);
	f->items = xcalloc(sp->npending + 1, sizeof *f->items);
	size_t waiting = 0; /* deferred ones stay pending */
	for (size_t i = 0; i < sp->npending; i++) {
		if (sp->pending[i].deferred)
			sp->pending[waiting++] = sp->pending[i];
		else
			f->items[f->n++] = sp->pending[i];
	}
	sp->npending = waiting;
	const char *content = dedupe_content_index_wal(sp->state_dir);
	if (content && f->n) { /* their content index entries */
		strlist_add(&f->files, content);
		f->checkpoint = dedupe_content_index_checkpoint_due(sp->state_dir);
	}
	const char *keys = invkeys_wal(sp->state_dir);
	if (keys && f->n) /* their invoices' keys (core/invkeys.h) */
		strlist_add(&f->files, keys);
	for (size_t i = 0; i < f->n; i++) {
		struct spool_pending *p = &f->items[i];
		strlist_add(&f->files, p->doc_path);
		strlist_add(&f->files, p->side_tmp);
		if (!strlist_contains(&f->dirs, p->dir))
			strlist_add(&f->dirs, p->dir);
		if (p->dd && (i == 0 || p->dd != f->items[i - 1].dd)) {
			if (f->rc == 0 && dedupe_commit(p->dd, false, &f->err) != 0)
				f->rc = -1;
			if (!strlist_contains(&f->files, dedupe_path(p->dd)))
				strlist_add(&f->files, dedupe_path(p->dd));
		}
	}
	return f;
}

/* After the flight: its index entries checkpointed, or what it could not make durable
 * undone (and counted as lost). */
static int land(struct spool *sp, struct spool_flight *f, struct gerr *err)
{
	for (size_t i = 0; i < f->n; i++) {
		struct spool_pending *p = &f->items[i];
		if (f->rc == 0 && p->dd && (i == 0 || p->dd != f->items[i - 1].dd))
			dedupe_checkpoint(p->dd);
		if (f->rc != 0 && i >= f->published) {
			drop_pending(p);
			sp->lost++;
		}
		pending_free(p);
	}
	int rc = f->rc;
	if (rc != 0)
		*err = f->err;
	free(f->items);
	strlist_free(&f->files);
	strlist_free(&f->dirs);
	free(f->checkpoint);
	free(f);
	return rc;
}

static int finish_deferred(struct spool *sp, bool all, struct gerr *err);

/* Pending commits that a flight would take now (not waiting for their enricher). */
static bool any_ready(const struct spool *sp)
{
	for (size_t i = 0; i < sp->npending; i++)
		if (!sp->pending[i].deferred)
			return true;
	return false;
}

/* A flight of what is ready, after the flight before it. The documents deferred before the
 * last flush_start are finished first (their readers had the time since), or all of them. */
static int flush_start(struct spool *sp, bool all, struct gerr *err)
{
	if (sp->flight && spool_flush_wait(sp, err) != 0)
		return -1;
	struct gerr ferr = {0};
	int frc = finish_deferred(sp, all, &ferr);
	sp->round++;
	int rc = 0;
	if (any_ready(sp)) {
		struct spool_flight *f = seal(sp);
		if (f->rc == 0 && fsync_thread_start(&f->thread, fly_thread, f) == 0) {
			sp->flight = f;
		} else {
			if (f->rc == 0)
				fly(f); /* no thread: made durable here and now */
			rc = land(sp, f, err);
		}
	}
	if (frc != 0 && rc == 0) {
		*err = ferr;
		rc = -1;
	}
	return rc;
}

/* Those of this round wait for the next flush, reading meanwhile. */
int spool_flush_start(struct spool *sp, struct gerr *err)
{
	return flush_start(sp, false, err);
}

int spool_flush_start_all(struct spool *sp, struct gerr *err)
{
	return flush_start(sp, true, err);
}

bool spool_flush_running(const struct spool *sp)
{
	return sp->flight && !sp->flight->done;
}

int spool_flush_wait(struct spool *sp, struct gerr *err)
{
	struct spool_flight *f = sp->flight;
	if (!f)
		return 0;
	pthread_join(f->thread, NULL);
	sp->flight = NULL;
	return land(sp, f, err);
}

int spool_flush(struct spool *sp, struct gerr *err)
{
	int rc = spool_flush_wait(sp, err);
	struct gerr e = {0};
	if (finish_deferred(sp, true, &e) != 0 && rc == 0) {
		*err = e;
		rc = -1;
	}
	if (!sp->npending)
		return rc;
	struct spool_flight *f = seal(sp);
	if (f->rc == 0)
		fly(f);
	if (land(sp, f, &e) != 0 && rc == 0) {
		*err = e;
		rc = -1;
	}
	return rc;
}

int spool_batch(struct spool *sp, bool on, struct gerr *err)
{
	sp->batch = on;
	return on ? 0 : spool_flush(sp, err);
}

/* Let the caller's enricher add to the sidecar of a document to be filed (see spool.h).
 * Bad content (a permanent error) becomes the reason to quarantine. */
static struct spool_view view_of(const struct spool_doc *doc, const char *path,
				   const struct spool_result *res)
{
	return (struct spool_view){
		.path = path, .type = res->type, .media_type = res->media_type,
		.kind = doc->kind, .sha256 = res->sha256, .size = res->size,
		.source_name = doc->source_name, .name_hint = doc->name_hint,
		.origin = doc->origin, .invoice = doc->invoice, .extra = doc->extra,
	};
}

/* In a batch, let an enricher that can begin its work early do so; true when it did (the
 * rest of its work waits for the flush: add_deferred). */
static bool prepare(struct spool_doc *doc, const struct spool_result *res)
{
	if (!doc->sp->batch || !doc->enricher.prepare)
		return false;
	const struct spool_view view = view_of(doc, doc->tmp_path, res);
	return doc->enricher.prepare(doc->enricher.ctx, &view);
}

static int enrich(struct spool_doc *doc, const char *path, struct spool_result *res,
		  struct gerr *err)
{
	if (!doc->enricher.enrich)
		return 0;
	const struct spool_view view = view_of(doc, path, res);
	struct gerr e = {0};
	doc->enriched = json_object();
	if (doc->enricher.enrich(doc->enricher.ctx, &view, doc->enriched, &e) == 0)
		return 0;
	json_decref(doc->enriched);
	doc->enriched = NULL;
	if (e.kind == GERR_PERMANENT) {
		res->reason = xstrdup(e.msg);
		return 0;
	}
	*err = e;
	return gerr_prefix(err, "%s", doc->name_hint ? doc->name_hint : "document");
}

static int commit_file(struct spool_doc *doc, struct spool_result *res, struct gerr *err)
{
	struct sniff_result r = sniff_type(doc->head, doc->head_len, doc->tail, doc->tail_len,
					   doc->size);
	res->media_type = r.media_type;
	res->type = r.type;
	if (!doc->kind)
		doc->kind = xstrdup(r.kind);
	if (doc->dd && (dedupe_has_hash(doc->dd, res->sha256) ||
			dedupe_has_id(doc->dd, doc->source_id) ||
			deferred_has(doc->sp, doc->dd, res->sha256, doc->source_id))) {
		res->status = SPOOL_DUPLICATE;
		return 0;
	}
	res->reason = judge(doc, &r);
	bool later = !res->reason && prepare(doc, res);
	if (!res->reason && !later && enrich(doc, doc->tmp_path, res, err) != 0)
		return -1;
	res->status = res->reason ? SPOOL_QUARANTINED : SPOOL_FILED;
	if (res->status == SPOOL_QUARANTINED && move_to_quarantine(doc, err) != 0)
		return -1;
	close(doc->fd);
	doc->fd = -1;

	fault_point("spool-written");
	char *base = final_base_name(doc, r.type, res->sha256);
	char *name = publish_document(doc, base, err);
	free(base);
	if (!name)
		return -1;
	fault_point("spool-published");
	res->path = xasprintf("%s/%s", doc->dir, name);
	const char *relpath = res->path + strlen(doc->sp->root) + 1;
	char *dup = NULL;
	if (res->status == SPOOL_FILED) {
		struct gerr e = {0};
		dup = dedupe_content_index_add(doc->sp->state_dir, res->sha256, relpath, &e);
		if (e.msg[0]) /* filed all the same, only without duplicate_of */
			log_warn("spool: %s", e.msg);
		if (dup && strcmp(dup, relpath) == 0) {
			free(dup);
			dup = NULL;
		}
	}
	if (later) {
		add_deferred(doc, res, name, dup);
		return 0;
	}
	json_t *sidecar = build_sidecar(doc, name, res, dup);
	char *side_tmp = prepare_sidecar(doc, sidecar, err);
	json_decref(sidecar);
	free(dup);
	fault_point("spool-sidecar-written");
	if (!side_tmp) {
		free(name);
		unlink(res->path); /* a document without sidecar would be an orphan */
		return -1;
	}
	add_pending(doc, res, relpath, side_tmp, name);
	free(name);
	return 0;
}

int spool_commit(struct spool_doc *doc, struct spool_result *res, struct gerr *err)
{
	memset(res, 0, sizeof *res);
	int rc = finish_digest(doc, res, err);
	if (rc == 0)
		rc = commit_file(doc, res, err);
	if (rc == 0 && !doc->sp->batch)
		rc = spool_flush(doc->sp, err);
	if (rc != 0)
		spool_result_free(res);
	if (!doc->deferred)
		doc_free(doc);
	return rc;
}

/* A deferred document's enrichment and sidecar, now; its index entry staged. A failure of
 * any kind removes it (counted in sp->lost, like a failed flush): an enricher that
 * prepares never quarantines (spool.h). */
static int finish_one(struct spool *sp, struct spool_pending *p, struct gerr *err)
{
	struct spool_doc *doc = p->deferred;
	p->deferred = NULL;
	int rc = enrich(doc, p->doc_path, &p->res, err);
	if (rc == 0 && p->res.reason) {
		rc = gerr_set(err, "%s: %s", doc->name_hint ? doc->name_hint : "document",
			      p->res.reason);
		log_error("spool: %s: an enricher that prepared its work refused the document; "
			  "it is read again next time", p->doc_path);
	}
	if (rc == 0) {
		json_t *sidecar = build_sidecar(doc, p->name, &p->res, p->dup);
		p->side_tmp = prepare_sidecar(doc, sidecar, err);
		json_decref(sidecar);
		rc = p->side_tmp ? 0 : -1;
	}
	if (rc == 0 && p->dd)
		dedupe_stage(p->dd, p->sha256, p->source_id, p->doc_path + strlen(sp->root) + 1);
	free(p->res.reason);
	p->res.reason = NULL;
	doc_free(doc);
	return rc;
}

/* Finish the deferred documents (all, or those of earlier rounds); the ones that fail are
 * removed. -1 with the first failure. */
static int finish_deferred(struct spool *sp, bool all, struct gerr *err)
{
	int rc = 0;
	size_t kept = 0;
	for (size_t i = 0; i < sp->npending; i++) {
		struct spool_pending *p = &sp->pending[i];
		struct gerr e = {0};
		if (p->deferred && (all || p->round < sp->round) && finish_one(sp, p, &e) != 0) {
			unlink(p->doc_path); /* no sidecar, no index entry yet */
			pending_free(p);
			sp->lost++;
			if (rc == 0)
				*err = e;
			rc = -1;
			continue;
		}
		sp->pending[kept++] = *p;
	}
	sp->npending = kept;
	return rc;
}

void spool_abort(struct spool_doc *doc)
{
	if (doc)
		doc_free(doc);
}

int spool_file_buffer(struct spool *sp, struct dedupe *dd, const struct doc_meta *meta,
		      const void *data, size_t len, struct spool_result *res, struct gerr *err)
{
	struct spool_doc *doc = spool_begin(sp, dd, meta, err);
	if (!doc)
		return -1;
	if (spool_write(doc, data, len, err) != 0) {
		spool_abort(doc);
		return -1;
	}
	return spool_commit(doc, res, err);
}

/* ---- cleanup ------------------------------------------------------------------------------ */

static long clean_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct strset names = {0};
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' || str_starts_with(e->d_name, TMP_PREFIX))
			strset_add(&names, e->d_name);
	closedir(d);
	long removed = 0;
	for (size_t i = 0; i < names.cap; i++) {
		const char *n = names.slots[i];
		if (!n)
			continue;
		bool orphan = str_starts_with(n, TMP_PREFIX);
		if (!orphan && !str_ends_with(n, SIDECAR_SUFFIX)) {
			char *side = xasprintf("%s" SIDECAR_SUFFIX, n);
			orphan = !strset_has(&names, side);
			free(side);
		}
		if (!orphan)
			continue;
		char *path = xasprintf("%s/%s", dir, n);
		if (unlink(path) == 0)
			removed++;
		free(path);
	}
	strset_free(&names);
	return removed;
}

/* Visit <root>/YYYY/MM/DD/<source> for every date folder. */
static long clean_tree(const char *root, const char *source)
{
	long removed = 0;
	DIR *years = opendir(root);
	if (!years)
		return 0;
	struct dirent *y, *m, *dd;
	while ((y = readdir(years))) {
		if (strlen(y->d_name) != 4 || y->d_name[0] < '0' || y->d_name[0] > '9')
			continue;
		char *ydir = xasprintf("%s/%s", root, y->d_name);
		DIR *months = opendir(ydir);
		while (months && (m = readdir(months))) {
			if (m->d_name[0] == '.')
				continue;
			char *mdir = xasprintf("%s/%s", ydir, m->d_name);
			DIR *days = opendir(mdir);
			while (days && (dd = readdir(days))) {
				if (dd->d_name[0] == '.')
					continue;
				char *sdir = xasprintf("%s/%s/%s", mdir, dd->d_name, source);
				removed += clean_dir(sdir);
				free(sdir);
			}
			if (days)
				closedir(days);
			free(mdir);
		}
		if (months)
			closedir(months);
		free(ydir);
	}
	closedir(years);
	return removed;
}

long spool_cleanup(struct spool *sp, const char *source_name, struct gerr *err)
{
	(void)err;
	char *q = xasprintf("%s/quarantine", sp->root);
	long removed = clean_tree(sp->root, source_name) + clean_tree(q, source_name);
	free(q);
	return removed;
}
