/* Unit tests of the spool writer: sidecars, names, quarantine, limits, and crash safety
 * (an interrupted write at each step leaves no visible partial file, and a restart files
 * the document exactly once). */
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "core/dedupe.h"
#include "core/spool.h"

static const char PDF[] = "%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

struct fixture {
	char *dir, *root, *state, *index;
	struct spool sp;
	struct dedupe *dd;
	struct strlist accept;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	f->dir = scratch_dir();
	f->root = path_join(f->dir, "spool");
	f->state = path_join(f->dir, "state");
	f->index = path_join(f->dir, "filed.idx");
	struct gerr err;
	assert_int_equal(mkdir_p(f->state, 0700, &err), 0);
	assert_int_equal(spool_open(&f->sp, f->root, f->state, 1 << 20, &err), 0);
	f->dd = dedupe_open(f->index, f->root, &err);
	assert_non_null(f->dd);
	strlist_add(&f->accept, "pdf");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	dedupe_close(f->dd);
	spool_close(&f->sp);
	strlist_free(&f->accept);
	rm_rf(f->dir);
	free(f->dir);
	free(f->root);
	free(f->state);
	free(f->index);
	free(f);
	return 0;
}

static struct doc_meta meta_for(struct fixture *f, const char *name)
{
	return (struct doc_meta){.source_name = "acme-mail", .source_type = "imap",
				 .company = "acme", .name_hint = name, .accept = &f->accept};
}

static int file_buf(struct fixture *f, const char *name, const void *data, size_t len,
		    struct spool_result *res)
{
	struct doc_meta m = meta_for(f, name);
	struct gerr err;
	int rc = spool_file_buffer(&f->sp, f->dd, &m, data, len, res, &err);
	if (rc != 0)
		print_error("spool: %s\n", err.msg);
	return rc;
}

static json_t *load_sidecar(const char *doc_path)
{
	char *p = xasprintf("%s.meta.json", doc_path);
	json_error_t e;
	json_t *j = json_load_file(p, 0, &e);
	free(p);
	assert_non_null(j);
	return j;
}

static void test_files_document_then_sidecar(void **state)
{
	struct fixture *f = *state;
	struct spool_result res;
	assert_int_equal(file_buf(f, "FV 1/2026.pdf", PDF, sizeof PDF - 1, &res), 0);
	assert_int_equal(res.status, SPOOL_FILED);
	assert_true(str_ends_with(res.path, "/acme-mail/FV 1_2026.pdf"));
	json_t *j = load_sidecar(res.path);
	assert_string_equal(json_string_value(json_object_get(j, "schema")), "goniec.document/1");
	assert_string_equal(json_string_value(json_object_get(j, "file")), "FV 1_2026.pdf");
	assert_string_equal(json_string_value(json_object_get(j, "original_name")), "FV 1/2026.pdf");
	assert_string_equal(json_string_value(json_object_get(j, "media_type")), "application/pdf");
	assert_string_equal(json_string_value(json_object_get(j, "sha256")), res.sha256);
	assert_int_equal(json_integer_value(json_object_get(j, "size")), sizeof PDF - 1);
	assert_string_equal(json_string_value(json_object_get(j, "company")), "acme");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "source"), "type")),
			    "imap");
	assert_true(json_is_null(json_object_get(j, "duplicate_of")));
	json_decref(j);
	struct stat st;
	assert_int_equal(stat(res.path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	spool_result_free(&res);
}

static void test_same_name_other_content_gets_suffix(void **state)
{
	struct fixture *f = *state;
	struct spool_result a, b, c;
	char other[sizeof PDF + 8];
	snprintf(other, sizeof other, "%s%s", "%PDF-1.5", PDF + 8);
	assert_int_equal(file_buf(f, "faktura.pdf", PDF, sizeof PDF - 1, &a), 0);
	assert_int_equal(file_buf(f, "faktura.pdf", other, strlen(other), &b), 0);
	assert_int_equal(b.status, SPOOL_FILED);
	assert_true(str_ends_with(b.path, "/faktura-2.pdf"));
	/* The same content again is a duplicate: nothing is written. */
	assert_int_equal(file_buf(f, "copy.pdf", PDF, sizeof PDF - 1, &c), 0);
	assert_int_equal(c.status, SPOOL_DUPLICATE);
	assert_null(c.path);
	spool_result_free(&a);
	spool_result_free(&b);
	spool_result_free(&c);
}

static void expect_quarantine(struct fixture *f, const char *name, const void *data, size_t len,
			      const char *reason_part, const char *suffix)
{
	struct spool_result res;
	assert_int_equal(file_buf(f, name, data, len, &res), 0);
	assert_int_equal(res.status, SPOOL_QUARANTINED);
	assert_non_null(strstr(res.path, "/spool/quarantine/"));
	assert_true(str_ends_with(res.path, suffix));
	if (!strstr(res.reason, reason_part))
		fail_msg("reason '%s' lacks '%s'", res.reason, reason_part);
	json_t *j = load_sidecar(res.path);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "quarantine"), "reason")),
			    res.reason);
	json_decref(j);
	spool_result_free(&res);
}

static void test_quarantine(void **state)
{
	struct fixture *f = *state;
	expect_quarantine(f, "invoice.pdf", "\xFF\xD8\xFF\xE0JFIF", 8, "content is jpeg",
			  "invoice.pdf.jpg");
	expect_quarantine(f, "empty.pdf", "", 0, "the file is empty", "empty.pdf");
	expect_quarantine(f, "cut.pdf", "%PDF-1.4\nstream\n", 16, "truncated PDF", "cut.pdf");
	expect_quarantine(f, "page.pdf", "<html><body>Login</body></html>", 31, "content is html",
			  "page.pdf.html");
}

static void test_size_limit(void **state)
{
	struct fixture *f = *state;
	f->sp.max_document_size = 100;
	char big[4096];
	memset(big, 'x', sizeof big);
	memcpy(big, "%PDF-1.4\n", 9);
	memcpy(big + sizeof big - 6, "%%EOF\n", 6);
	struct spool_result res;
	assert_int_equal(file_buf(f, "big.pdf", big, sizeof big, &res), 0);
	assert_int_equal(res.status, SPOOL_QUARANTINED);
	assert_non_null(strstr(res.reason, "larger than the limit of 100 bytes"));
	struct stat st;
	assert_int_equal(stat(res.path, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(res.size, sizeof big); /* hashed whole, kept not */
	spool_result_free(&res);
}

/* Collect the visible (non-temporary) files below dir. */
static void visible_files(const char *dir, struct strlist *out)
{
	char *cmd = xasprintf("find '%s' -type f ! -name '.goniec-tmp-*' | sort", dir);
	FILE *p = popen(cmd, "r");
	char line[4096];
	while (fgets(line, sizeof line, p)) {
		line[strcspn(line, "\n")] = '\0';
		strlist_add(out, line);
	}
	pclose(p);
	free(cmd);
}

static void test_crash_at_each_step(void **state)
{
	struct fixture *f = *state;
	/* The last point comes after the sidecar is published: the document is complete
	 * and the restart finds it filed already. */
	static const char *const points[] = {"spool-write", "spool-written", "spool-published",
					     "spool-sidecar-written", "spool-synced",
					     "spool-sidecars-renamed"};
	for (size_t i = 0; i < ARRAY_LEN(points); i++) {
		pid_t pid = fork();
		if (pid == 0) {
			setenv("GONIEC_CRASH_AT", points[i], 1);
			struct spool_result res;
			file_buf(f, "crash.pdf", PDF, sizeof PDF - 1, &res);
			_exit(0);
		}
		int status;
		waitpid(pid, &status, 0);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 99);

		/* After the crash: any visible document must be complete with its sidecar or be
		 * removed by the cleanup of the next run. */
		struct gerr err;
		spool_cleanup(&f->sp, "acme-mail", &err);
		struct strlist files = {0};
		visible_files(f->root, &files);
		for (size_t k = 0; k < files.len; k++)
			if (!str_ends_with(files.items[k], ".meta.json")) {
				char *side = xasprintf("%s.meta.json", files.items[k]);
				assert_true(access(side, F_OK) == 0);
				free(side);
			}
		bool complete = i + 1 == ARRAY_LEN(points);
		assert_int_equal(files.len, complete ? 2 : 0);
		strlist_free(&files);

		/* The restart: reopen the index and file again: exactly one document. */
		dedupe_close(f->dd);
		f->dd = dedupe_open(f->index, f->root, &err);
		assert_non_null(f->dd);
		struct spool_result res;
		assert_int_equal(file_buf(f, "crash.pdf", PDF, sizeof PDF - 1, &res), 0);
		enum spool_status want = complete ? SPOOL_DUPLICATE : SPOOL_FILED;
		if (res.status != want)
			fail_msg("after a crash at %s the document is not filed exactly once", points[i]);
		visible_files(f->root, &files);
		assert_int_equal(files.len, 2);
		strlist_free(&files);
		/* Clean slate for the next step. */
		char *cmd = xasprintf("rm -rf '%s'/* '%s'", f->root, f->index);
		assert_int_equal(system(cmd), 0);
		free(cmd);
		dedupe_close(f->dd);
		f->dd = dedupe_open(f->index, f->root, &err);
		spool_result_free(&res);
	}
}

static int count_sidecars(const char *root)
{
	struct strlist files = {0};
	visible_files(root, &files);
	int n = 0;
	for (size_t i = 0; i < files.len; i++)
		n += str_ends_with(files.items[i], ".meta.json");
	strlist_free(&files);
	return n;
}

/* Documents from..to-1 of a batch (distinct bodies by number). */
static void file_range(struct fixture *f, int from, int to, enum spool_status want)
{
	struct gerr err;
	assert_int_equal(spool_batch(&f->sp, true, &err), 0);
	for (int i = from; i < to; i++) {
		char name[32], body[64];
		snprintf(name, sizeof name, "batch-%d.pdf", i);
		snprintf(body, sizeof body, "%%PDF-1.4\n%d\n%%%%EOF\n", i);
		struct spool_result res;
		assert_int_equal(file_buf(f, name, body, strlen(body), &res), 0);
		assert_int_equal(res.status, want);
		spool_result_free(&res);
	}
}

/* A batch: documents are known at once (a second copy is a duplicate), sidecars appear at
 * the flush, and a crash in the flush leaves nothing half-done: all are filed again. */
static void test_batch(void **state)
{
	struct fixture *f = *state;
	file_range(f, 0, 20, SPOOL_FILED);
	struct spool_result dup;
	assert_int_equal(file_buf(f, "again.pdf", "%PDF-1.4\n3\n%%EOF\n", 17, &dup), 0);
	assert_int_equal(dup.status, SPOOL_DUPLICATE);
	assert_int_equal(count_sidecars(f->root), 0);
	struct gerr err;
	assert_int_equal(spool_flush(&f->sp, &err), 0);
	assert_int_equal(count_sidecars(f->root), 20);

	static const char *const points[] = {"spool-synced", "spool-sidecars-renamed"};
	static const int sidecars_after_crash[] = {0, 20};
	for (size_t i = 0; i < ARRAY_LEN(points); i++) {
		char *cmd = xasprintf("rm -rf '%s'/* '%s'", f->root, f->index);
		assert_int_equal(system(cmd), 0);
		free(cmd);
		dedupe_close(f->dd);
		f->dd = dedupe_open(f->index, f->root, &err);
		pid_t pid = fork();
		if (pid == 0) {
			file_range(f, 0, 20, SPOOL_FILED);
			setenv("GONIEC_CRASH_AT", points[i], 1);
			spool_flush(&f->sp, &err);
			_exit(0);
		}
		int status;
		waitpid(pid, &status, 0);
		assert_int_equal(WEXITSTATUS(status), 99);
		spool_cleanup(&f->sp, "acme-mail", &err);
		assert_int_equal(count_sidecars(f->root), sidecars_after_crash[i]);
		struct strlist left = {0};
		visible_files(f->root, &left);
		assert_int_equal(left.len, 2 * sidecars_after_crash[i]);
		strlist_free(&left);
		dedupe_close(f->dd);
		f->dd = dedupe_open(f->index, f->root, &err);
		file_range(f, 0, 20, i == 0 ? SPOOL_FILED : SPOOL_DUPLICATE);
		assert_int_equal(spool_flush(&f->sp, &err), 0);
		assert_int_equal(count_sidecars(f->root), 20);
	}
	assert_int_equal(spool_batch(&f->sp, false, &err), 0);
}

/* A flush in a thread: the next documents are filed meanwhile (and those in flight are
 * known as duplicates at once); each flush publishes just its own sidecars. */
static void test_flush_overlaps_filing(void **state)
{
	struct fixture *f = *state;
	struct gerr err;
	file_range(f, 0, 30, SPOOL_FILED);
	assert_int_equal(spool_flush_start(&f->sp, &err), 0);
	file_range(f, 30, 60, SPOOL_FILED);
	file_range(f, 0, 1, SPOOL_DUPLICATE);
	assert_int_equal(spool_flush_wait(&f->sp, &err), 0);
	assert_false(spool_flush_running(&f->sp));
	assert_int_equal(count_sidecars(f->root), 30);
	assert_int_equal(spool_flush_start(&f->sp, &err), 0);
	assert_int_equal(spool_flush(&f->sp, &err), 0); /* waits for the one in flight */
	assert_int_equal(count_sidecars(f->root), 60);
	assert_int_equal(f->sp.lost, 0);
	/* a crash in the thread leaves nothing half-done either */
	pid_t pid = fork();
	if (pid == 0) {
		file_range(f, 60, 80, SPOOL_FILED);
		setenv("GONIEC_CRASH_AT", "spool-synced", 1);
		spool_flush_start(&f->sp, &err);
		file_range(f, 80, 90, SPOOL_FILED);
		spool_flush_wait(&f->sp, &err);
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	assert_int_equal(WEXITSTATUS(status), 99);
	spool_cleanup(&f->sp, "acme-mail", &err);
	struct strlist left = {0};
	visible_files(f->root, &left);
	assert_int_equal(left.len, 2 * 60);
	strlist_free(&left);
	assert_int_equal(spool_batch(&f->sp, false, &err), 0);
}

/* A flush that fails removes what it could not publish, counts it lost, and the index
 * forgets it — also after a restart, although later batches were checkpointed. */
static void test_failed_flush_forgets(void **state)
{
	struct fixture *f = *state;
	struct gerr err;
	file_range(f, 0, 3, SPOOL_FILED);
	char *cmd = xasprintf("find '%s' -name '.goniec-tmp-*.meta.json' -delete", f->root);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	assert_int_equal(spool_flush(&f->sp, &err), -1);
	assert_int_equal(f->sp.lost, 3);
	assert_int_equal(count_sidecars(f->root), 0);
	struct strlist left = {0};
	visible_files(f->root, &left);
	assert_int_equal(left.len, 0);
	strlist_free(&left);
	file_range(f, 10, 12, SPOOL_FILED); /* a later batch, flushed fine */
	assert_int_equal(spool_flush(&f->sp, &err), 0);
	dedupe_close(f->dd);
	f->dd = dedupe_open(f->index, f->root, &err);
	file_range(f, 0, 3, SPOOL_FILED);   /* not "already had" */
	file_range(f, 10, 12, SPOOL_DUPLICATE);
	assert_int_equal(spool_batch(&f->sp, false, &err), 0);
	assert_int_equal(count_sidecars(f->root), 5);
}

/* An enricher that begins its work at the commit (prepare) and ends it at the flush. */
static struct {
	int prepared, enriched;
	bool fail;            /* enrich() fails (a reader that could not run) */
	char last_path[512];  /* what enrich() was given */
} later;

static bool later_prepare(void *ctx, const struct spool_view *doc)
{
	(void)ctx;
	later.prepared++;
	return strcmp(doc->type, "pdf") == 0;
}

static int later_enrich(void *ctx, const struct spool_view *doc, json_t *fields, struct gerr *err)
{
	(void)ctx;
	later.enriched++;
	snprintf(later.last_path, sizeof later.last_path, "%s", doc->path);
	if (later.fail)
		return gerr_set(err, "the PDF reader ended while reading it");
	char *data = NULL;
	size_t len = 0;
	struct gerr e;
	assert_int_equal(read_file(doc->path, 1 << 20, &data, &len, &e), 0);
	json_object_set_new(fields, "invoice", json_pack("{s:s}", "number", data + 9));
	free(data);
	return 0;
}

static void file_later(struct fixture *f, int i, enum spool_status want)
{
	static const struct spool_enricher enricher = {later_enrich, NULL, later_prepare};
	char name[32], body[64];
	snprintf(name, sizeof name, "later-%d.pdf", i);
	snprintf(body, sizeof body, "%%PDF-1.4\nFV/%d\n%%%%EOF\n", i);
	struct doc_meta m = meta_for(f, name);
	m.enricher = &enricher;
	struct spool_result res;
	struct gerr err;
	assert_int_equal(spool_file_buffer(&f->sp, f->dd, &m, body, strlen(body), &res, &err), 0);
	assert_int_equal(res.status, want);
	spool_result_free(&res);
}

/* A batch begun, two PDFs committed in it with the enricher that prepares. */
static void batch_of_two_later(struct fixture *f)
{
	struct gerr err;
	memset(&later, 0, sizeof later);
	assert_int_equal(spool_batch(&f->sp, true, &err), 0);
	file_later(f, 1, SPOOL_FILED);
	file_later(f, 2, SPOOL_FILED);
}

/* In a batch, an enricher that prepares finishes at the flush: spool_flush_start() finishes
 * what was committed before the previous one, spool_flush() the rest; every sidecar
 * carries what it added; a copy committed meanwhile is a duplicate all the same. */
static void test_deferred_enrichment(void **state)
{
	struct fixture *f = *state;
	struct gerr err;
	batch_of_two_later(f);
	file_later(f, 1, SPOOL_DUPLICATE);
	assert_int_equal(later.prepared, 2);
	assert_int_equal(later.enriched, 0);
	assert_int_equal(spool_flush_start(&f->sp, &err), 0); /* this round's wait */
	assert_int_equal(spool_flush_wait(&f->sp, &err), 0);
	assert_int_equal(later.enriched, 0);
	assert_int_equal(count_sidecars(f->root), 0);
	file_later(f, 3, SPOOL_FILED);
	assert_int_equal(spool_flush_start(&f->sp, &err), 0); /* the first round's end */
	assert_int_equal(spool_flush_wait(&f->sp, &err), 0);
	assert_int_equal(later.enriched, 2);
	assert_true(strstr(later.last_path, "/later-2.pdf") != NULL); /* published already */
	assert_int_equal(count_sidecars(f->root), 2);
	assert_int_equal(spool_flush(&f->sp, &err), 0);
	assert_int_equal(later.enriched, 3);
	assert_int_equal(count_sidecars(f->root), 3);
	char *doc = xasprintf("%s", later.last_path);
	json_t *side = load_sidecar(doc);
	assert_string_equal(json_string_value(json_object_get(json_object_get(side, "invoice"), "number")),
			    "FV/3\n%%EOF\n");
	json_decref(side);
	free(doc);
	assert_int_equal(spool_batch(&f->sp, false, &err), 0);
	/* outside a batch nothing is deferred */
	file_later(f, 4, SPOOL_FILED);
	assert_int_equal(later.enriched, 4);
	assert_int_equal(count_sidecars(f->root), 4);
	assert_int_equal(f->sp.lost, 0);
}

/* spool_flush_start_all(): this round's deferred documents are finished too, and what was
 * pending is made durable in the flight, so that waiting for it leaves nothing pending. */
static void test_flush_start_all(void **state)
{
	struct fixture *f = *state;
	struct gerr err;
	batch_of_two_later(f);
	assert_int_equal(spool_flush_start_all(&f->sp, &err), 0);
	assert_int_equal(later.enriched, 2);
	assert_int_equal(spool_flush_wait(&f->sp, &err), 0);
	assert_int_equal(count_sidecars(f->root), 2);
	assert_int_equal(f->sp.npending, 0);
	file_later(f, 3, SPOOL_FILED); /* committed while a flight could be in the air */
	assert_int_equal(spool_flush_start_all(&f->sp, &err), 0);
	assert_int_equal(spool_flush(&f->sp, &err), 0);
	assert_int_equal(later.enriched, 3);
	assert_int_equal(count_sidecars(f->root), 3);
	assert_int_equal(f->sp.lost, 0);
}

/* A deferred enrichment that fails at the flush: that document is removed (nothing filed
 * without its enrichment), counted lost, the flush fails; filed again later. */
static void test_deferred_enrichment_fails(void **state)
{
	struct fixture *f = *state;
	struct gerr err;
	memset(&later, 0, sizeof later);
	assert_int_equal(spool_batch(&f->sp, true, &err), 0);
	file_range(f, 0, 2, SPOOL_FILED); /* no enricher: not deferred */
	file_later(f, 1, SPOOL_FILED);
	later.fail = true;
	assert_int_equal(spool_flush(&f->sp, &err), -1);
	assert_non_null(strstr(err.msg, "ended while reading it"));
	assert_int_equal(f->sp.lost, 1);
	assert_int_equal(count_sidecars(f->root), 2);
	struct strlist left = {0};
	visible_files(f->root, &left);
	assert_int_equal(left.len, 4); /* the two others and their sidecars, no orphan */
	strlist_free(&left);
	later.fail = false;
	file_later(f, 1, SPOOL_FILED); /* not known as filed */
	assert_int_equal(spool_batch(&f->sp, false, &err), 0);
	assert_int_equal(count_sidecars(f->root), 3);
}

static void test_cross_source_duplicate_marked(void **state)
{
	struct fixture *f = *state;
	struct spool_result a, b;
	assert_int_equal(file_buf(f, "a.pdf", PDF, sizeof PDF - 1, &a), 0);
	struct gerr err;
	char *idx2 = path_join(f->dir, "other.idx");
	struct dedupe *other = dedupe_open(idx2, f->root, &err);
	struct doc_meta m = meta_for(f, "b.pdf");
	m.source_name = "acme-portal";
	assert_int_equal(spool_file_buffer(&f->sp, other, &m, PDF, sizeof PDF - 1, &b, &err), 0);
	assert_int_equal(b.status, SPOOL_FILED);
	json_t *j = load_sidecar(b.path);
	const char *dup = json_string_value(json_object_get(j, "duplicate_of"));
	assert_non_null(dup);
	assert_true(str_ends_with(a.path, dup));
	json_decref(j);
	dedupe_close(other);
	free(idx2);
	spool_result_free(&a);
	spool_result_free(&b);
}

static void test_streaming_many_chunks(void **state)
{
	struct fixture *f = *state;
	struct doc_meta m = meta_for(f, "stream.pdf");
	struct gerr err;
	struct spool_doc *doc = spool_begin(&f->sp, f->dd, &m, &err);
	assert_non_null(doc);
	assert_int_equal(spool_write(doc, "%PDF-1.4\n", 9, &err), 0);
	char chunk[1000];
	memset(chunk, 'a', sizeof chunk);
	for (int i = 0; i < 500; i++)
		assert_int_equal(spool_write(doc, chunk, sizeof chunk, &err), 0);
	assert_int_equal(spool_write(doc, "\n%%EOF\n", 7, &err), 0);
	f->sp.max_document_size = 0;
	struct spool_result res;
	assert_int_equal(spool_commit(doc, &res, &err), 0);
	assert_int_equal(res.status, SPOOL_FILED);
	assert_int_equal(res.size, 9 + 500000 + 7);
	spool_result_free(&res);
}

int main(void)
{
	setenv("TZ", "Europe/Warsaw", 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_files_document_then_sidecar, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_name_other_content_gets_suffix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quarantine, setup, teardown),
		cmocka_unit_test_setup_teardown(test_size_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_at_each_step, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cross_source_duplicate_marked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_overlaps_filing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_flush_forgets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deferred_enrichment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_start_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deferred_enrichment_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_streaming_many_chunks, setup, teardown),
	};
	return cmocka_run_group_tests_name("spool", tests, NULL, NULL);
}
