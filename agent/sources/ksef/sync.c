/* ksef/sync — incremental download of one subject's invoices (see sync.h). */
#include "sources/ksef/sync.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/dedupe.h"
#include "core/log.h"
#include "core/statefile.h"
#include "sources/filing.h"
#include "sources/ksef/crypto.h"
#include "sources/ksef/isotime.h"

#define CODE_BEYOND_HWM 21183
#define DAY_MS (24LL * 3600 * 1000)

/* One subject's walk through its windows. */
struct walk {
	struct ksef_sync *s;
	const char *subject;         /* purchase | sales */
	const char *subject_type;    /* Subject2 | Subject1 */
	json_t *st;                  /* state[subject] */
	bool stalled;                /* an invoice failed: the mark stays before it */
	unsigned long filed, known;
};

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- requests ------------------------------------------------------------------------ */

/* A request with the access token kept fresh; a 401 renews it once. */
static int call(struct ksef_sync *s, enum ksef_group g, const char *method, const char *path,
		const char *body, struct ksef_resp *r, struct gerr *err)
{
	for (int attempt = 0;; attempt++) {
		if (ksef_keep_access(s->client, s->session, attempt > 0, err) < 0)
			return -1;
		if (ksef_request(s->client, g, method, path, s->session->access, body, r, err) < 0)
			return -1;
		if (r->status != 401 || attempt > 0)
			return 0;
		log_info("%s: KSeF no longer takes the access token; renewing it", s->run->src->name);
		ksef_resp_free(r);
	}
}

static int answer_error(const struct ksef_resp *r, const char *what, struct gerr *err)
{
	char *why = ksef_error_text(r);
	gerr_set(err, "%s: %s", what, why);
	free(why);
	return -1;
}

/* One page of metadata; 1 when KSeF has nothing stored yet from `from` on (21183). */
static int query_page(struct walk *w, int64_t from, int64_t to, int page, json_t **out,
		      struct gerr *err)
{
	char f[KSEF_TIME_LEN + 1], t[KSEF_TIME_LEN + 1];
	ksef_time_format(from, f);
	ksef_time_format(to, t);
	json_t *q = json_pack("{s:s, s:{s:s, s:s, s:s, s:b}}", "subjectType", w->subject_type,
			      "dateRange", "dateType", "PermanentStorage", "from", f, "to", t,
			      "restrictToPermanentStorageHwmDate", 1);
	char *body = json_dumps(q, JSON_COMPACT);
	char *path = xasprintf("/invoices/query/metadata?sortOrder=Asc&pageOffset=%d&pageSize=%d",
			       page, KSEF_PAGE_SIZE);
	struct ksef_resp r;
	int rc = call(w->s, KSEF_METADATA, "POST", path, body, &r, err);
	*out = NULL;
	if (rc == 0 && r.status == 400 && ksef_error_code(&r) == CODE_BEYOND_HWM) {
		rc = 1;
	} else if (rc == 0 && r.status != 200) {
		rc = answer_error(&r, "listing invoices (POST /invoices/query/metadata)", err);
	} else if (rc == 0) {
		/* (json_is_object() is a macro that reads its argument twice.) */
		*out = json_loadb(r.body.data, r.body.len, 0, NULL);
		if (!json_is_object(*out)) {
			json_decref(*out);
			*out = NULL;
			rc = gerr_set(err, "listing invoices: KSeF's answer is not a JSON object");
		}
	}
	ksef_resp_free(&r);
	free(path);
	free(body);
	json_decref(q);
	return rc;
}

/* ---- one invoice ---------------------------------------------------------------------- */

bool ksef_number_ok(const char *n)
{
	size_t len = n ? strlen(n) : 0;
	if (len < 35 || len > 36)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char)n[i]) && !(n[i] >= 'A' && n[i] <= 'F') && n[i] != '-')
			return false;
	return true;
}

static json_t *given_invoice(const struct walk *w, const char *number)
{
	char why[48];
	snprintf(why, sizeof(why), "subjectType %s", w->subject_type);
	return json_pack("{s:s, s:s, s:{s:{s:s, s:s}, s:{s:s, s:s}}}", "ksef_number", number,
			 "direction", strcmp(w->subject, "sales") == 0 ? "sales" : "purchase",
			 "found", "ksef_number", "by", "ksef", "at", "ksefNumber",
			 "direction", "by", "source", "at", why);
}

/* File the XML through the one filing path (sources/filing.h). The sidecar's `invoice`
 * is the "xml" enricher's work (sources/invoice_xml.h reads the FA(3)); the source gives
 * what only KSeF knows: the number and the direction. */
static int file_invoice(struct walk *w, const json_t *meta, const char *number,
			const struct ksef_resp *r, struct gerr *err)
{
	json_t *given = given_invoice(w, number);
	json_t *origin = json_pack("{s:{s:s, s:s, s:s, s:O?, s:O?}}", "ksef", "ksef_number", number,
				   "subject", w->subject, "environment", w->s->environment,
				   "permanent_storage_date", json_object_get(meta, "permanentStorageDate"),
				   "invoice_hash", json_object_get(meta, "invoiceHash"));
	char *name = xasprintf("%s.xml", number);
	const struct filing_doc doc = {.name_hint = name, .label = number, .source_id = number,
				       .kind = "invoice", .origin = origin, .invoice = given};
	enum spool_status status;
	int rc = filing_buffer(w->s->run, &doc, r->body.data, r->body.len, &status, err);
	if (rc == 0 && status == SPOOL_FILED) {
		w->filed++;
		json_object_set_new(w->st, "filed", json_integer(
			json_integer_value(json_object_get(w->st, "filed")) + 1));
	}
	free(name);
	json_decref(origin);
	json_decref(given);
	return rc;
}

static int download(struct walk *w, const json_t *meta, const char *number, struct gerr *err)
{
	char *path = xasprintf("/invoices/ksef/%s", number);
	struct ksef_resp r;
	int rc = call(w->s, KSEF_DOWNLOAD, "GET", path, NULL, &r, err);
	const char *want = json_string_value(json_object_get(meta, "invoiceHash"));
	char got[KSEF_HASH_B64_LEN + 1];
	if (rc == 0 && r.status != 200) {
		char *what = xasprintf("downloading %s", number);
		rc = answer_error(&r, what, err);
		free(what);
	} else if (rc == 0) {
		ksef_sha256_b64(r.body.data ? r.body.data : "", r.body.len, got);
		if (want && strcmp(want, got) != 0)
			rc = gerr_set(err, "downloading %s: its SHA-256 is not the one KSeF lists "
				      "(%s, listed %s)", number, got, want);
		else
			rc = file_invoice(w, meta, number, &r, err);
	}
	ksef_resp_free(&r);
	free(path);
	return rc;
}

static void note_dates(struct walk *w, const json_t *meta)
{
	static const char *const keys[][2] = {{"issueDate", "last_issue_date"},
					      {"permanentStorageDate", "last_storage"}};
	for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
		const char *v = json_string_value(json_object_get(meta, keys[i][0]));
		const char *old = json_string_value(json_object_get(w->st, keys[i][1]));
		if (v && (!old || strcmp(v, old) > 0))
			json_object_set_new(w->st, keys[i][1], json_string(v));
	}
}

bool ksef_mark_ok(const char *date, int64_t now_ms)
{
	int64_t ms;
	return date && ksef_time_parse(date, &ms) == 0 && ms <= now_ms + KSEF_MARK_AHEAD_MS;
}

/* Move the mark to what KSeF says is stored; a value that is no date-time, or lies ahead
 * of this machine's clock, leaves it where it was (the next listing starts from there). */
static void set_mark(struct walk *w, const char *date)
{
	if (w->stalled || !date)
		return;
	if (ksef_mark_ok(date, (int64_t)time(NULL) * 1000))
		json_object_set_new(w->st, "hwm", json_string(date));
	else
		log_warn("%s: %s: KSeF gave \"%.40s\" as a storage date: not a date-time, or ahead of this machine's clock by more than an hour; the listing mark stays where it was",
			 w->s->run->src->name, w->subject, date);
}

/* Download and file one listed invoice unless it was filed before. A failure is counted
 * and holds the mark; only a stop (deadline, sign-in refused) returns -1. */
static int take(struct walk *w, const json_t *meta, struct gerr *err)
{
	struct source_run *run = w->s->run;
	const char *number = json_string_value(json_object_get(meta, "ksefNumber"));
	const char *stored = json_string_value(json_object_get(meta, "permanentStorageDate"));
	struct gerr e = {0};
	run->stats.looked_at++;
	if (!ksef_number_ok(number)) {
		run->stats.failed++;
		w->stalled = true;
		gerr_setk(&e, GERR_PERMANENT, "KSeF listed an invoice without a valid ksefNumber");
		source_run_error(run, &e);
		return 0;
	}
	if (dedupe_has_id(run->dedupe, number)) {
		run->stats.duplicates++;
		w->known++;
	} else if (download(w, meta, number, &e) < 0) {
		if (w->s->client->out_of_time || e.kind == GERR_NEEDS_PERSON) {
			*err = e;
			return -1;
		}
		run->stats.failed++;
		w->stalled = true;
		source_run_error(run, &e);
		return 0;
	}
	note_dates(w, meta);
	set_mark(w, stored);
	return 0;
}

/* ---- windows and pages ------------------------------------------------------------------ */

static int save_state(struct ksef_sync *s, struct gerr *err)
{
	char *path = path_join(s->run->state_dir, KSEF_STATE_FILE);
	int rc = statefile_save(path, s->state, err);
	free(path);
	return rc;
}

int ksef_page_read(const json_t *ans, int64_t from, struct ksef_page *pg)
{
	const json_t *list = json_object_get(ans, "invoices");
	const char *last = json_string_value(json_object_get(
		json_array_get(list, json_array_size(list) - 1), "permanentStorageDate"));
	pg->more = json_is_true(json_object_get(ans, "hasMore"));
	pg->truncated = json_is_true(json_object_get(ans, "isTruncated"));
	pg->hwm = json_string_value(json_object_get(ans, "permanentStorageHwmDate"));
	pg->next = from;
	if (pg->more && pg->truncated &&
	    (!last || ksef_time_parse(last, &pg->next) < 0 || pg->next <= from))
		return -1;
	return 0;
}

/* One window [from, to]: its pages, restarting from the last record when truncated. */
static int walk_window(struct walk *w, int64_t from, int64_t to, struct gerr *err)
{
	int page = 0;
	for (;;) {
		json_t *ans = NULL;
		int rc = query_page(w, from, to, page, &ans, err);
		if (rc != 0)
			return rc > 0 ? 0 : -1;
		json_t *list = json_object_get(ans, "invoices"), *meta;
		size_t i;
		json_array_foreach(list, i, meta)
			if (take(w, meta, err) < 0 || source_run_stopping()) {
				json_decref(ans);
				return source_run_stopping() ? 0 : -1;
			}
		struct ksef_page pg;
		if (ksef_page_read(ans, from, &pg) < 0)
			rc = gerr_set(err, "KSeF truncated the list but its last record moves nothing on");
		else if (!pg.more)
			set_mark(w, pg.hwm);
		json_decref(ans);
		/* What the mark says is filed must be durable before the mark is. */
		if (rc < 0 || spool_flush(w->s->run->spool, err) < 0 || save_state(w->s, err) < 0)
			return -1;
		if (!pg.more)
			return 0;
		if (pg.truncated) {
			from = pg.next;
			page = 0;
		} else {
			page++;
		}
	}
}

/* Where this subject's listing starts: the mark less the overlap, or the history. */
static int64_t start_of(const struct walk *w, int64_t history_start)
{
	const char *hwm = json_string_value(json_object_get(w->st, "hwm"));
	int64_t ms;
	if (hwm && ksef_time_parse(hwm, &ms) == 0)
		return ms - KSEF_OVERLAP_MS;
	return history_start;
}

int ksef_sync_subject(struct ksef_sync *s, const char *subject, int64_t history_start,
		      struct gerr *err)
{
	struct walk w = {.s = s, .subject = subject,
			 .subject_type = strcmp(subject, "sales") == 0 ? "Subject1" : "Subject2"};
	w.st = json_object_get(s->state, subject);
	if (!json_is_object(w.st)) {
		w.st = json_object();
		json_object_set_new(s->state, subject, w.st);
	}
	int64_t now = wall_ms(), from = start_of(&w, history_start);
	int rc = 0;
	while (rc == 0 && from < now && !source_run_stopping()) {
		int64_t to = from + KSEF_WINDOW_DAYS * DAY_MS < now ? from + KSEF_WINDOW_DAYS * DAY_MS : now;
		rc = walk_window(&w, from, to, err);
		from = to;
	}
	struct gerr e;
	if (save_state(s, &e) < 0 && rc == 0) {
		*err = e;
		rc = -1;
	}
	log_info("%s: %s: %lu new invoice(s) filed, %lu known already", s->run->src->name, subject,
		 w.filed, w.known);
	return rc;
}
