/* forward — see forward.h. */
#include "forward/forward.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/names.h"
#include "core/spool.h"
#include "core/strset.h"
#include "forward/journal.h"
#include "forward/mailmsg.h"
#include "forward/route.h"
#include "forward/syncer.h"
#include "forward/target.h"
#include "forward/template.h"
#include "forward/watch.h"

#define MAX_BACKOFF_MS (3600 * 1000)
#define STATUS_EVERY_MS 1000
#define ALERT_BODY_MAX (64 * 1024)

struct route_state {
	const struct route_conf *rc;
	const struct route *r;
	struct strlist batch;   /* relpaths waiting for a batch mail */
	struct strset batched;
	int64_t batch_last;     /* when the last one joined */
	char *last_error;
};

/* A folder delivery prepared, waiting for the group's sync and publication. */
struct pending_job {
	struct folder_job job;
	struct route_state *rs;
	char *relpath, *file;
	json_t *root;           /* the sidecar, to settle the document afterwards */
};

#define MAX_JOBS 256
#define COMMIT_DELAY_MS 25 /* while watching, a group waits this long for more members */

struct forward {
	const struct config *cfg;
	struct forward_opts o;
	struct journal *j;
	struct watch *w;
	char *gen;
	struct route_state *rs;
	struct forward_route_stats *stats;
	size_t nroutes;
	struct strlist queue;
	struct strset queued;
	json_t *failures;       /* "route\trelpath" -> {attempts, next, permanent, relpath} */
	struct strset bad;      /* sidecars already reported unreadable */
	int64_t next_rescan;
	bool need_rescan;
	bool status_dirty;
	int64_t status_at;
	long failed;            /* failed attempts of this pass */
	struct pending_job jobs[MAX_JOBS];   /* the group being gathered */
	size_t njobs;
	int64_t jobs_since;     /* when its first job was prepared */
	struct pending_job sjobs[MAX_JOBS];  /* the group being synced */
	struct folder_job *sptrs[MAX_JOBS];
	size_t nsjobs;
	struct strset job_keys; /* "route\trelpath" of both groups: never prepared twice */
	struct syncer *syncer;  /* while watching: groups are synced in a thread */
	int epfd;               /* while watching: inotify and the syncer, for forward_fd() */
};

/* ---- routes generation ---------------------------------------------------------------------- */

static char *generation(const struct config *cfg)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char h[EVP_MAX_MD_SIZE];
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (size_t i = 0; i < cfg->nroutes; i++) {
		char *fp = route_fingerprint(cfg->routes[i]);
		EVP_DigestUpdate(md, fp, strlen(fp) + 1);
		free(fp);
	}
	EVP_DigestFinal_ex(md, h, NULL);
	EVP_MD_CTX_free(md);
	hex_encode(h, 8, hex);
	return xstrdup(hex);
}

/* ---- the queue of documents to look at ------------------------------------------------------ */

static void enqueue(const char *relpath, void *arg)
{
	struct forward *fw = arg;
	if (journal_settled(fw->j, relpath))
		return;
	if (strset_add(&fw->queued, relpath))
		strlist_add(&fw->queue, relpath);
}

/* ---- failures and retries ------------------------------------------------------------------- */

static char *fkey(const struct route_state *rs, const char *relpath)
{
	return xasprintf("%s\t%s", rs->rc->name, relpath);
}

static json_t *failure_get(struct forward *fw, const struct route_state *rs, const char *relpath)
{
	char *k = fkey(rs, relpath);
	json_t *f = json_object_get(fw->failures, k);
	free(k);
	return f;
}

static void failure_clear(struct forward *fw, const struct route_state *rs, const char *relpath)
{
	char *k = fkey(rs, relpath);
	json_object_del(fw->failures, k);
	free(k);
}

static void set_last_error(struct route_state *rs, const char *msg)
{
	free(rs->last_error);
	rs->last_error = msg ? xstrdup(msg) : NULL;
}

static void failure_record(struct forward *fw, struct route_state *rs, const char *relpath,
			   enum deliver_status st, const char *why)
{
	char *k = fkey(rs, relpath);
	json_t *f = json_object_get(fw->failures, k);
	if (!f) {
		f = json_object();
		json_object_set_new_nocheck(fw->failures, k, f);
		json_object_set_new_nocheck(f, "relpath", json_string_nocheck(relpath));
	}
	json_int_t attempts = json_integer_value(json_object_get(f, "attempts")) + 1;
	int64_t delay = fw->o.retry_base;
	for (json_int_t i = 1; i < attempts && delay < MAX_BACKOFF_MS; i++)
		delay *= 2;
	if (delay > MAX_BACKOFF_MS)
		delay = MAX_BACKOFF_MS;
	json_object_set_new(f, "attempts", json_integer(attempts));
	json_object_set_new(f, "next", json_integer(now_ms() + delay));
	json_object_set_new(f, "permanent", json_boolean(st == DELIVER_FAILED));
	free(k);
	set_last_error(rs, why);
	fw->failed++;
	if (st == DELIVER_FAILED)
		log_error("route %s: %s: %s; not retried until the configuration changes",
			  rs->rc->name, relpath, why);
	else if (fw->o.watch)
		log_warn("route %s: %s: %s; retrying in %.1f s", rs->rc->name, relpath, why,
			 (double)delay / 1000);
	else
		log_warn("route %s: %s: %s; retried on the next run", rs->rc->name, relpath, why);
}

/* Is the failed delivery still waiting (permanent, or not due)? */
static bool failure_waiting(const json_t *f, int64_t now)
{
	return f && (json_is_true(json_object_get(f, "permanent")) ||
		     json_integer_value(json_object_get(f, "next")) > now);
}

static void enqueue_due_retries(struct forward *fw, int64_t now)
{
	const char *key;
	json_t *f;
	json_object_foreach(fw->failures, key, f)
		if (!failure_waiting(f, now))
			enqueue(json_string_value(json_object_get(f, "relpath")), fw);
}

/* ---- e-mail --------------------------------------------------------------------------------- */

static const char *doc_hash(const struct sidecar *sc)
{
	const char *h = json_string_value(json_object_get(sc->root, "sha256"));
	return h && strlen(h) == 64 ? h : sc->relpath;
}

static bool is_alert_text(const struct sidecar *sc)
{
	const char *kind = json_string_value(json_object_get(sc->root, "kind"));
	const char *mt = json_string_value(json_object_get(sc->root, "media_type"));
	return kind && strcmp(kind, "alert") == 0 && mt && str_starts_with(mt, "text/") &&
	       sc->st.st_size <= ALERT_BODY_MAX;
}

/* What one message carries: the documents, their bodies, their hashes. */
struct mail_parts {
	struct mail_attachment *att;
	char **data;
	const char **hashes;
	struct buf body;
	bool inline_text;       /* an alert: its text is the body, nothing attached */
};

static void mail_parts_free(struct mail_parts *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(p->data[i]);
	free(p->data);
	free(p->att);
	free(p->hashes);
	buf_free(&p->body);
}

static enum deliver_status load_parts(const struct route_email_target *e, struct sidecar *scs,
				      size_t n, struct mail_parts *p, struct gerr *err)
{
	const char *missing;
	p->att = xcalloc(n, sizeof(*p->att));
	p->data = xcalloc(n, sizeof(*p->data));
	p->hashes = xcalloc(n, sizeof(*p->hashes));
	p->inline_text = n == 1 && is_alert_text(&scs[0]);
	for (size_t i = 0; i < n; i++) {
		size_t len = 0;
		if (read_file(scs[i].docpath, e->max_size, &p->data[i], &len, err) < 0)
			return errno == ENOENT ? DELIVER_FAILED : DELIVER_RETRY;
		const char *mt = json_string_value(json_object_get(scs[i].root, "media_type"));
		p->att[i] = (struct mail_attachment){scs[i].file, mt ? mt : "application/octet-stream",
						     p->data[i], len};
		p->hashes[i] = doc_hash(&scs[i]);
		char *b = p->inline_text ? xstrdup(p->data[i])
					 : tmpl_render(e->body_t, scs[i].root, scs[i].file, 0, &missing);
		buf_printf(&p->body, "%s%s", i ? "\r\n" : "", b);
		free(b);
	}
	return DELIVERED;
}

/* The subject: the first document's sidecar, with {count} and {files} of the message. */
static char *message_subject(const struct route_email_target *e, struct sidecar *scs, size_t n,
			   char **files_out)
{
	struct buf files = {0};
	const char *missing;
	for (size_t i = 0; i < n; i++)
		buf_printf(&files, "%s%s", i ? ", " : "", scs[i].file);
	json_t *first = json_deep_copy(scs[0].root);
	json_object_set_new(first, "count", json_integer((json_int_t)n));
	json_object_set_new(first, "files", json_string_nocheck(files.data));
	char *subject = tmpl_render(e->subject_t, first, scs[0].file, 0, &missing);
	json_decref(first);
	*files_out = buf_take(&files);
	return subject;
}

static enum deliver_status send_mail(const struct route_conf *rc, struct sidecar *scs, size_t n,
				     struct gerr *err)
{
	const struct route_email_target *e = ((const struct route *)rc->typed)->email;
	struct mail_parts p = {0};
	enum deliver_status st = load_parts(e, scs, n, &p, err);
	if (st == DELIVERED) {
		char *files;
		char *subject = message_subject(e, scs, n, &files);
		char *mid = mail_message_id(rc->name, p.hashes, n, e->from);
		struct mail_spec m = {e->from, &e->to, subject, p.body.data ? p.body.data : "", mid,
				      time(NULL), p.att, p.inline_text ? 0 : n};
		size_t len;
		char *msg = mail_build(&m, &len);
		st = email_send(e, msg, len, err);
		if (st == DELIVERED)
			log_info("route %s: mailed %s to %s (%s)", rc->name, files, e->to.items[0], mid);
		free(msg);
		free(mid);
		free(subject);
		free(files);
	}
	mail_parts_free(&p, n);
	return st;
}

static bool too_large(const struct route_email_target *e, const struct sidecar *sc,
		      struct gerr *err)
{
	if (mail_size_estimate((size_t)sc->st.st_size, 1) <= e->max_size)
		return false;
	gerr_set(err, "%s (%lld bytes) does not fit in a message of max_size %llu bytes", sc->file,
		 (long long)sc->st.st_size, (unsigned long long)e->max_size);
	return true;
}

/* ---- delivering one document ---------------------------------------------------------------- */

static void delivered(struct forward *fw, struct route_state *rs, const char *relpath)
{
	struct gerr err;
	if (journal_mark_delivered(fw->j, rs->rc->name, relpath, &err) < 0)
		log_error("%s", err.msg);
	failure_clear(fw, rs, relpath);
	set_last_error(rs, NULL);
	fw->stats[rs - fw->rs].delivered++;
}

static void batch_add(struct route_state *rs, const char *relpath)
{
	if (strset_add(&rs->batched, relpath)) {
		strlist_add(&rs->batch, relpath);
		rs->batch_last = now_ms();
	}
}

/* Mark the document settled when every route that wants it has it. */
static void settle_if_done(struct forward *fw, const char *relpath, const json_t *root,
			   const char *file)
{
	bool matched = false;
	for (size_t i = 0; i < fw->nroutes; i++) {
		if (!route_matches(fw->rs[i].rc, root, file))
			continue;
		matched = true;
		if (!journal_delivered(fw->j, fw->rs[i].rc->name, relpath))
			return;
	}
	struct gerr err;
	if (journal_mark_settled(fw->j, relpath, matched, &err) < 0)
		log_error("%s", err.msg);
}

static void prepare_folder_job(struct forward *fw, struct route_state *rs, struct sidecar *sc)
{
	struct pending_job *pj = &fw->jobs[fw->njobs];
	struct gerr err;
	char *key = fkey(rs, sc->relpath);
	if (!strset_add(&fw->job_keys, key)) { /* in the group already (found again) */
		free(key);
		return;
	}
	enum deliver_status st = folder_prepare(rs->r->folder, sc, &pj->job, &err);
	if (st != DELIVERED)
		strset_remove(&fw->job_keys, key);
	free(key);
	if (st != DELIVERED) {
		folder_job_release(&pj->job);
		failure_record(fw, rs, sc->relpath, st, err.msg);
		return;
	}
	pj->rs = rs;
	pj->relpath = xstrdup(sc->relpath);
	pj->file = xstrdup(sc->file);
	pj->root = json_incref(sc->root);
	if (fw->njobs++ == 0)
		fw->jobs_since = now_ms();
}

/* Publish and journal the group that was synced (rc: the sync's result). */
static void finish_group(struct forward *fw, int rc, const struct gerr *sync_err)
{
	enum deliver_status st[MAX_JOBS];
	struct gerr err;
	for (size_t i = 0; i < fw->nsjobs; i++) {
		struct pending_job *pj = &fw->sjobs[i];
		st[i] = rc == 0 ? folder_publish(&pj->job, &err) : DELIVER_RETRY;
		if (st[i] != DELIVERED)
			failure_record(fw, pj->rs, pj->relpath, st[i], rc == 0 ? err.msg : sync_err->msg);
	}
	folder_sync_dirs(fw->sptrs, fw->nsjobs);
	for (size_t i = 0; i < fw->nsjobs; i++) {
		struct pending_job *pj = &fw->sjobs[i];
		if (st[i] == DELIVERED) {
			log_info("route %s: %s -> %s/%s", pj->rs->rc->name, pj->relpath,
				 pj->job.f->path, pj->job.where);
			delivered(fw, pj->rs, pj->relpath);
			settle_if_done(fw, pj->relpath, pj->root, pj->file);
		}
		char *key = fkey(pj->rs, pj->relpath);
		strset_remove(&fw->job_keys, key);
		free(key);
		folder_job_release(&pj->job);
		free(pj->relpath);
		free(pj->file);
		json_decref(pj->root);
	}
	fw->nsjobs = 0;
}

/* Collect the group in flight (waiting for it when `wait`); true when none is left. */
static bool collect_group(struct forward *fw, bool wait)
{
	if (!fw->nsjobs)
		return true;
	struct gerr err;
	int rc = syncer_collect(fw->syncer, wait, &err);
	if (rc > 0)
		return false;
	finish_group(fw, rc, &err);
	return true;
}

/* Hand the gathered group to the sync (the thread, or here and now) after the one in
 * flight; with `wait`, also see it through. */
static void commit_jobs(struct forward *fw, bool wait)
{
	if (fw->syncer)
		collect_group(fw, true);
	if (fw->njobs) {
		memcpy(fw->sjobs, fw->jobs, fw->njobs * sizeof(*fw->jobs));
		fw->nsjobs = fw->njobs;
		fw->njobs = 0;
		for (size_t i = 0; i < fw->nsjobs; i++)
			fw->sptrs[i] = &fw->sjobs[i].job;
		if (fw->syncer) {
			syncer_post(fw->syncer, fw->sptrs, fw->nsjobs);
		} else {
			struct gerr err;
			finish_group(fw, folder_sync_data(fw->sptrs, fw->nsjobs, &err), &err);
		}
	}
	if (wait && fw->syncer)
		collect_group(fw, true);
}

static void process_doc(struct forward *fw, const char *relpath)
{
	if (journal_settled(fw->j, relpath))
		return;
	struct sidecar sc;
	struct gerr err;
	if (sidecar_load(fw->cfg->agent.spool_dir, relpath, &sc, &err) < 0) {
		if (errno != ENOENT && strset_add(&fw->bad, relpath))
			log_warn("spool: %s; skipped (looked at again at each rescan)", err.msg);
		return;
	}
	int64_t now = now_ms();
	bool pending = false;
	for (size_t i = 0; i < fw->nroutes; i++) {
		struct route_state *rs = &fw->rs[i];
		if (!route_matches(rs->rc, sc.root, sc.file) ||
		    journal_delivered(fw->j, rs->rc->name, relpath) ||
		    failure_waiting(failure_get(fw, rs, relpath), now))
			continue;
		if (rs->r->folder) {
			if (fw->njobs == MAX_JOBS)
				commit_jobs(fw, false);
			prepare_folder_job(fw, rs, &sc);
			pending = true;
		} else if (too_large(rs->r->email, &sc, &err)) {
			failure_record(fw, rs, relpath, DELIVER_FAILED, err.msg);
		} else if (rs->r->email->batch == BATCH_RUN) {
			batch_add(rs, relpath);
		} else {
			enum deliver_status st = send_mail(rs->rc, &sc, 1, &err);
			if (st == DELIVERED)
				delivered(fw, rs, relpath);
			else
				failure_record(fw, rs, relpath, st, err.msg);
		}
	}
	if (!pending)
		settle_if_done(fw, relpath, sc.root, sc.file);
	fw->status_dirty = true;
	sidecar_release(&sc);
}

static void process_queue(struct forward *fw)
{
	while (fw->queue.len) {
		int64_t t0 = now_ms();
		struct strlist q = fw->queue;
		fw->queue = (struct strlist){0};
		strset_free(&fw->queued);
		fw->queued = (struct strset){0};
		for (size_t i = 0; i < q.len; i++)
			process_doc(fw, q.items[i]);
		log_debug("forward: looked at %zu document(s) in %lld ms", q.len,
			  (long long)(now_ms() - t0));
		strlist_free(&q);
	}
}

/* ---- batches -------------------------------------------------------------------------------- */

/* Send n loaded documents as one message; releases their sidecars. */
static void send_batch(struct forward *fw, struct route_state *rs, struct sidecar *scs,
		       size_t n)
{
	struct gerr err;
	if (n == 0)
		return;
	enum deliver_status st = send_mail(rs->rc, scs, n, &err);
	for (size_t i = 0; i < n; i++) {
		if (st == DELIVERED)
			delivered(fw, rs, scs[i].relpath);
		else
			failure_record(fw, rs, scs[i].relpath, st, err.msg);
		enqueue(scs[i].relpath, fw); /* to settle it */
		sidecar_release(&scs[i]);
	}
}

static void flush_batch(struct forward *fw, struct route_state *rs)
{
	const struct route_email_target *e = rs->r->email;
	struct sidecar *scs = xcalloc(rs->batch.len, sizeof(*scs));
	size_t n = 0, payload = 0;
	struct gerr err;
	for (size_t i = 0; i < rs->batch.len; i++) {
		struct sidecar sc;
		if (sidecar_load(fw->cfg->agent.spool_dir, rs->batch.items[i], &sc, &err) < 0)
			continue; /* gone meanwhile */
		size_t size = (size_t)sc.st.st_size;
		if (n > 0 && mail_size_estimate(payload + size, n + 1) > e->max_size) {
			send_batch(fw, rs, scs, n);
			n = payload = 0;
		}
		scs[n++] = sc;
		payload += size;
	}
	send_batch(fw, rs, scs, n);
	free(scs);
	strlist_free(&rs->batch);
	strset_free(&rs->batched);
	rs->batched = (struct strset){0};
}

static void flush_batches(struct forward *fw, bool force)
{
	int64_t now = now_ms();
	for (size_t i = 0; i < fw->nroutes; i++) {
		struct route_state *rs = &fw->rs[i];
		if (rs->batch.len && (force || now - rs->batch_last >= fw->o.batch_settle))
			flush_batch(fw, rs);
	}
}

/* ---- status --------------------------------------------------------------------------------- */

const struct forward_route_stats *forward_stats(struct forward *fw, size_t *count)
{
	for (size_t i = 0; i < fw->nroutes; i++) {
		fw->stats[i].pending = fw->rs[i].batch.len;
		fw->stats[i].failing = 0;
		fw->stats[i].last_error = fw->rs[i].last_error;
	}
	const char *key;
	json_t *f;
	json_object_foreach(fw->failures, key, f) {
		for (size_t i = 0; i < fw->nroutes; i++) {
			size_t n = strlen(fw->rs[i].rc->name);
			if (strncmp(key, fw->rs[i].rc->name, n) != 0 || key[n] != '\t')
				continue;
			if (json_is_true(json_object_get(f, "permanent")))
				fw->stats[i].failing++;
			else
				fw->stats[i].pending++;
		}
	}
	*count = fw->nroutes;
	return fw->stats;
}

unsigned long forward_unrouted(const struct forward *fw)
{
	return journal_unrouted(fw->j);
}

const char *forward_mode(const struct forward *fw)
{
	if (!fw->o.watch)
		return "once";
	return watch_polling(fw->w) ? "poll" : "inotify";
}

static void write_status(struct forward *fw)
{
	size_t n;
	const struct forward_route_stats *st = forward_stats(fw, &n);
	char when[32];
	format_iso_time(time(NULL), when);
	json_t *routes = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(routes, json_pack("{s:s, s:s, s:I, s:I, s:I, s:s?}", "name",
			st[i].name, "target", st[i].target, "delivered", (json_int_t)st[i].delivered,
			"pending", (json_int_t)st[i].pending, "failing", (json_int_t)st[i].failing,
			"last_error", st[i].last_error));
	json_t *root = json_pack("{s:s, s:s, s:I, s:o}", "updated", when, "mode", forward_mode(fw),
				 "unrouted", (json_int_t)forward_unrouted(fw), "routes", routes);
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
	char *dir = path_join(fw->cfg->agent.state_dir, "forward");
	char *path = path_join(dir, "status.json");
	struct gerr err;
	if (write_file_atomic(path, text, strlen(text), 0600, &err) < 0)
		log_warn("%s", err.msg);
	free(path);
	free(dir);
	free(text);
	json_decref(root);
	fw->status_dirty = false;
	fw->status_at = now_ms();
}

/* ---- the loop ------------------------------------------------------------------------------- */

static void rescan(struct forward *fw)
{
	watch_scan(fw->w, "", enqueue, fw);
	fw->need_rescan = false;
	fw->next_rescan = now_ms() + (watch_polling(fw->w) ? fw->o.poll_interval
							  : fw->o.rescan_interval);
}

static void finish_round(struct forward *fw, bool force_status)
{
	struct gerr err;
	if (journal_sync(fw->j, &err) < 0)
		log_error("%s", err.msg);
	if (fw->status_dirty && (force_status || now_ms() - fw->status_at >= STATUS_EVERY_MS))
		write_status(fw);
}

long forward_pass(struct forward *fw)
{
	fw->failed = 0;
	rescan(fw);
	process_queue(fw);
	commit_jobs(fw, true);
	flush_batches(fw, true);
	process_queue(fw);
	commit_jobs(fw, true);
	fw->status_dirty = true;
	finish_round(fw, true);
	return fw->failed;
}

void forward_handle_events(struct forward *fw)
{
	if (fw->syncer)
		collect_group(fw, false);
	if (watch_read(fw->w, enqueue, fw))
		fw->need_rescan = true;
	int64_t now = now_ms();
	if (fw->need_rescan || now >= fw->next_rescan)
		rescan(fw);
	enqueue_due_retries(fw, now);
	process_queue(fw);
	flush_batches(fw, false);
	process_queue(fw);
	/* a group is synced at once (its files in parallel): let it gather a little while watching, and
	 * while the previous one is still being synced */
	if (fw->njobs && now_ms() - fw->jobs_since >= COMMIT_DELAY_MS &&
	    (!fw->syncer || !syncer_busy(fw->syncer)))
		commit_jobs(fw, false);
	finish_round(fw, false);
}

void forward_rescan_soon(struct forward *fw)
{
	fw->need_rescan = true;
}

int forward_fd(const struct forward *fw)
{
	return fw->epfd;
}

int forward_timeout_ms(const struct forward *fw)
{
	if (fw->queue.len || fw->need_rescan)
		return 0;
	int64_t now = now_ms(), next = fw->next_rescan;
	const char *key;
	json_t *f;
	json_object_foreach(fw->failures, key, f)
		if (!json_is_true(json_object_get(f, "permanent")) &&
		    json_integer_value(json_object_get(f, "next")) < next)
			next = json_integer_value(json_object_get(f, "next"));
	for (size_t i = 0; i < fw->nroutes; i++)
		if (fw->rs[i].batch.len && fw->rs[i].batch_last + fw->o.batch_settle < next)
			next = fw->rs[i].batch_last + fw->o.batch_settle;
	if (fw->njobs && !fw->nsjobs && fw->jobs_since + COMMIT_DELAY_MS < next)
		next = fw->jobs_since + COMMIT_DELAY_MS;
	if (fw->status_dirty && fw->status_at + STATUS_EVERY_MS < next)
		next = fw->status_at + STATUS_EVERY_MS;
	return next <= now ? 0 : next - now > 3600000 ? 3600000 : (int)(next - now);
}

/* While watching: the sync thread, and one descriptor for the caller to poll. */
static int watch_events(struct forward *fw, struct gerr *err)
{
	fw->syncer = syncer_start(err);
	if (!fw->syncer)
		return -1;
	fw->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (fw->epfd < 0)
		return gerr_sys(err, "epoll");
	int fds[] = {watch_fd(fw->w), syncer_fd(fw->syncer)};
	for (size_t i = 0; i < ARRAY_LEN(fds); i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = fds[i]};
		if (fds[i] >= 0 && epoll_ctl(fw->epfd, EPOLL_CTL_ADD, fds[i], &ev) < 0)
			return gerr_sys(err, "epoll");
	}
	return 0;
}

static void default_opts(struct forward_opts *o)
{
	if (!o->rescan_interval)
		o->rescan_interval = 5 * 60 * 1000;
	if (!o->poll_interval)
		o->poll_interval = 10 * 1000;
	if (!o->batch_settle)
		o->batch_settle = 30 * 1000;
	const char *env = getenv("GONIEC_FORWARD_RETRY_MS");
	if (!o->retry_base)
		o->retry_base = env && atoll(env) > 0 ? atoll(env) : 30 * 1000;
}

struct forward *forward_open(const struct config *cfg, const struct forward_opts *opts,
			     struct gerr *err)
{
	struct forward *fw = xcalloc(1, sizeof(*fw));
	fw->cfg = cfg;
	fw->o = *opts;
	default_opts(&fw->o);
	fw->failures = json_object();
	fw->epfd = -1;
	if (mkdir_p(cfg->agent.spool_dir, 0750, err) < 0) {
		forward_close(fw);
		return NULL;
	}
	fw->w = watch_open(cfg->agent.spool_dir, opts->watch, opts->force_poll, err);
	fw->gen = generation(cfg);
	fw->j = fw->w ? journal_open(cfg->agent.state_dir, fw->gen, err) : NULL;
	if (!fw->j) {
		forward_close(fw);
		return NULL;
	}
	if (opts->watch && watch_events(fw, err) < 0) {
		forward_close(fw);
		return NULL;
	}
	fw->nroutes = cfg->nroutes;
	fw->rs = xcalloc(fw->nroutes + 1, sizeof(*fw->rs));
	fw->stats = xcalloc(fw->nroutes + 1, sizeof(*fw->stats));
	for (size_t i = 0; i < fw->nroutes; i++) {
		fw->rs[i].rc = cfg->routes[i];
		fw->rs[i].r = cfg->routes[i]->typed;
		fw->stats[i].name = cfg->routes[i]->name;
		fw->stats[i].target = fw->rs[i].r->folder ? "folder" : "email";
		fw->stats[i].delivered = journal_delivered_by(fw->j, cfg->routes[i]->name);
	}
	if (watch_polling(fw->w))
		log_notice("forward: the spool %s is polled every %lld s (%s)", cfg->agent.spool_dir,
			   (long long)(fw->o.poll_interval / 1000), watch_poll_reason(fw->w));
	fw->need_rescan = true;
	return fw;
}

void forward_close(struct forward *fw)
{
	if (!fw)
		return;
	if (fw->j)
		commit_jobs(fw, true);
	syncer_stop(fw->syncer);
	if (fw->epfd >= 0)
		close(fw->epfd);
	if (fw->j && fw->status_dirty)
		write_status(fw);
	for (size_t i = 0; i < fw->nroutes; i++) {
		strlist_free(&fw->rs[i].batch);
		strset_free(&fw->rs[i].batched);
		free(fw->rs[i].last_error);
	}
	free(fw->rs);
	free(fw->stats);
	strlist_free(&fw->queue);
	strset_free(&fw->queued);
	strset_free(&fw->bad);
	strset_free(&fw->job_keys);
	json_decref(fw->failures);
	journal_close(fw->j);
	watch_close(fw->w);
	free(fw->gen);
	free(fw);
}
