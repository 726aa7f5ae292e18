/* forward — see forward.h. */
#include "forward/forward.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/testhook.h"
#include "core/names.h"
#include "core/spool.h"
#include "core/strset.h"
#include "forward/journal.h"
#include "forward/retry.h"
#include "forward/route.h"
#include "forward/syncer.h"
#include "forward/target.h"
#include "core/template.h"
#include "forward/watch.h"

#define STATUS_EVERY_MS 1000
/* While a delivery waits for a person, how often the routes' token files are looked at
 * (a new sign-in, `goniec oauth ROUTE`, retries it at once), and how long it waits else. */
#define SIGNIN_LOOK_MS 2000
#define NEEDS_PERSON_WAIT_MS (3600 * 1000)

struct route_state {
	const struct route_conf *rc;
	const struct route *r;
	struct strlist batch;   /* relpaths waiting for a batch mail */
	struct strset batched;
	int64_t batch_last;     /* when the last one joined */
	char *last_error;
	char *state_dir;        /* <state>/routes/<name> */
	int64_t token_mtime;    /* its OAuth token file's mtime (ns); -1: none */
};

/* A delivery prepared, waiting for its group's commit and delivery (target types with a
 * commit step: the folder). */
struct pending_job {
	struct target_job job;
	struct route_state *rs;
	char *relpath, *file;
	json_t *root;           /* the sidecar, to settle the document afterwards */
};

/* A group of prepared deliveries of one target type: gathered while the previous group
 * is carried out (syncer.h), then handed over whole. */
struct group {
	struct pending_job *jobs;
	size_t n, cap;
	int64_t since;          /* when its first job was prepared */
	/* while carried out: */
	struct target_job **ptrs;
	enum deliver_status *st;
	struct gerr *errs;
};

/* Documents gathered while a group is carried out; at this many the forwarder waits for
 * it (memory and descriptors stay bounded: a few KB and at most one descriptor each). */
#define MAX_GATHERED 4096
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
	struct retry_book failures;
	struct strset bad;      /* sidecars already reported unreadable */
	int64_t next_rescan;
	bool need_rescan;
	bool status_dirty;
	int64_t status_at;
	long failed;            /* failed attempts of this pass */
	struct group gather;    /* the group being gathered */
	struct group carry;     /* the group being carried out */
	struct strset job_keys; /* "route\trelpath" of both groups: never prepared twice */
	struct syncer *syncer;  /* while watching: groups are carried out by a thread */
	bool in_flight;         /* posted to the syncer, not collected yet */
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

static const struct retry_entry *failure_get(struct forward *fw, const struct route_state *rs,
					     const char *relpath)
{
	return retry_get(&fw->failures, rs->rc->name, relpath);
}

static void failure_clear(struct forward *fw, const struct route_state *rs, const char *relpath)
{
	retry_clear(&fw->failures, rs->rc->name, relpath);
}

static void set_last_error(struct route_state *rs, const char *msg)
{
	free(rs->last_error);
	rs->last_error = msg ? xstrdup(msg) : NULL;
}

static void failure_record(struct forward *fw, struct route_state *rs, const char *relpath,
			   enum deliver_status st, int64_t after_ms, const struct gerr *why)
{
	if (fw->o.window_cap > 0 && after_ms > fw->o.window_cap)
		after_ms = fw->o.window_cap;
	set_last_error(rs, why->msg);
	fw->failed++;
	if (st == DELIVER_FAILED && why->kind == GERR_NEEDS_PERSON) {
		int64_t wait = NEEDS_PERSON_WAIT_MS;
		if (fw->o.window_cap > 0 && wait > fw->o.window_cap)
			wait = fw->o.window_cap;
		retry_needs_person(&fw->failures, rs->rc->name, relpath, wait, now_ms());
		log_error("route %s: %s: %s; needs a person: tried again in %lld %s, or at once when the route's sign-in changes",
			  rs->rc->name, relpath, why->msg,
			  (long long)(wait >= 60000 ? wait / 60000 : (wait + 999) / 1000),
			  wait >= 60000 ? "min" : "s");
		return;
	}
	int64_t delay = retry_failed(&fw->failures, rs->rc->name, relpath, st == DELIVER_FAILED,
				     fw->o.retry_base, after_ms, now_ms());
	if (st == DELIVER_FAILED)
		log_error("route %s: %s: %s; not retried until the configuration changes",
			  rs->rc->name, relpath, why->msg);
	else if (fw->o.watch)
		log_warn("route %s: %s: %s; retrying in %.1f s", rs->rc->name, relpath, why->msg,
			 (double)delay / 1000);
	else
		log_warn("route %s: %s: %s; retried on the next run", rs->rc->name, relpath, why->msg);
}

struct due {
	struct forward *fw;
	int64_t now;
};

static void enqueue_if_due(const struct retry_entry *e, void *arg)
{
	const struct due *d = arg;
	if (!retry_waiting(e, d->now))
		enqueue(e->relpath, d->fw);
}

static void enqueue_due_retries(struct forward *fw, int64_t now)
{
	struct due d = {fw, now};
	retry_each(&fw->failures, enqueue_if_due, &d);
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

static struct target_job job_for(const struct route_state *rs, const struct sidecar *sc)
{
	return (struct target_job){.type = rs->r->target, .conf = rs->r->target_conf,
				   .route = rs->rc->name, .state_dir = rs->state_dir, .sc = sc};
}

/* A delivered document: journal it, log where it went, settle it when it is done. */
static void report(struct forward *fw, struct route_state *rs, const struct target_job *job,
		   const char *relpath, enum deliver_status st, const struct gerr *why)
{
	if (st != DELIVERED) {
		failure_record(fw, rs, relpath, st, job->retry_after_ms, why);
		return;
	}
	log_info("route %s: %s -> %s", rs->rc->name, relpath, job->where ? job->where : "?");
	delivered(fw, rs, relpath);
}

/* Prepare a delivery into the group (a type with a commit step). */
static void prepare_group_job(struct forward *fw, struct route_state *rs, struct sidecar *sc)
{
	struct group *g = &fw->gather;
	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 64;
		g->jobs = xrealloc(g->jobs, g->cap * sizeof(*g->jobs));
	}
	struct pending_job *pj = &g->jobs[g->n];
	struct gerr err;
	char *key = fkey(rs, sc->relpath);
	if (!strset_add(&fw->job_keys, key)) { /* in the group already (found again) */
		free(key);
		return;
	}
	pj->job = job_for(rs, sc);
	enum deliver_status st = rs->r->target->prepare(&pj->job, &err);
	pj->job.sc = NULL; /* borrowed for prepare only */
	if (st != DELIVERED)
		strset_remove(&fw->job_keys, key);
	free(key);
	if (st != DELIVERED) {
		target_job_release(&pj->job);
		failure_record(fw, rs, sc->relpath, st, 0, &err);
		return;
	}
	pj->rs = rs;
	pj->relpath = xstrdup(sc->relpath);
	pj->file = xstrdup(sc->file);
	pj->root = json_incref(sc->root);
	if (g->n++ == 0)
		g->since = now_ms();
}

/* Deliver n loaded documents of one route at once (one by one, or a batch); relpaths
 * are enqueued again to be settled when `requeue`. */
static void deliver_now(struct forward *fw, struct route_state *rs, struct sidecar *scs, size_t n,
			bool requeue)
{
	struct target_job *jobs = xcalloc(n, sizeof(*jobs));
	struct target_job **ptrs = xcalloc(n, sizeof(*ptrs));
	enum deliver_status *st = xcalloc(n, sizeof(*st));
	struct gerr *errs = xcalloc(n, sizeof(*errs));
	size_t taken = 0;
	for (size_t i = 0; i < n; i++) {
		jobs[i] = job_for(rs, &scs[i]);
		enum deliver_status s = rs->r->target->prepare(&jobs[i], &errs[i]);
		if (s == DELIVERED)
			ptrs[taken++] = &jobs[i];
		else
			report(fw, rs, &jobs[i], scs[i].relpath, s, &errs[i]);
	}
	if (taken) {
		rs->r->target->deliver(ptrs, taken, st, errs);
		for (size_t i = 0; i < taken; i++)
			report(fw, rs, ptrs[i], ptrs[i]->sc->relpath, st[i], &errs[i]);
	}
	for (size_t i = 0; i < n; i++) {
		if (requeue)
			enqueue(scs[i].relpath, fw); /* to settle it */
		target_job_release(&jobs[i]);
	}
	free(errs);
	free(st);
	free(ptrs);
	free(jobs);
}

/* Journal the group that was carried out, settle its documents and free it. */
static void finish_group(struct forward *fw, struct group *g)
{
	for (size_t i = 0; i < g->n; i++) {
		struct pending_job *pj = &g->jobs[i];
		report(fw, pj->rs, &pj->job, pj->relpath, g->st[i], &g->errs[i]);
		if (g->st[i] == DELIVERED)
			settle_if_done(fw, pj->relpath, pj->root, pj->file);
		char *key = fkey(pj->rs, pj->relpath);
		strset_remove(&fw->job_keys, key);
		free(key);
		target_job_release(&pj->job);
		free(pj->relpath);
		free(pj->file);
		json_decref(pj->root);
	}
	if (g->n)
		fw->status_dirty = true;
	g->n = 0;
	free(g->ptrs);
	free(g->st);
	free(g->errs);
	g->ptrs = NULL;
	g->st = NULL;
	g->errs = NULL;
}

/* Collect the group in flight (waiting for it when `wait`); true when none is left. */
static bool collect_group(struct forward *fw, bool wait)
{
	if (!fw->in_flight)
		return true;
	struct gerr err;
	int rc = syncer_collect(fw->syncer, wait, &err);
	if (rc > 0)
		return false;
	if (rc < 0)
		log_error("%s", err.msg);
	fw->in_flight = false;
	finish_group(fw, &fw->carry);
	return true;
}

/* Hand the gathered group over to be carried out once the one in flight is done: to the
 * syncer's thread with the journal's records written so far, or here and now. */
static void hand_over(struct forward *fw)
{
	if (fw->syncer)
		collect_group(fw, true);
	struct group g = fw->carry; /* empty: its arrays are reused for gathering */
	fw->carry = fw->gather;
	fw->gather = g;
	g = fw->carry;
	g.ptrs = xcalloc(g.n, sizeof(*g.ptrs));
	g.st = xcalloc(g.n, sizeof(*g.st));
	g.errs = xcalloc(g.n, sizeof(*g.errs));
	for (size_t i = 0; i < g.n; i++)
		g.ptrs[i] = &g.jobs[i].job;
	fw->carry = g;
	if (fw->syncer) {
		syncer_post(fw->syncer, g.ptrs, g.n, g.st, g.errs, journal_sync_fd(fw->j));
		fw->in_flight = true;
	} else {
		group_carry_out(g.ptrs, g.n, g.st, g.errs);
		finish_group(fw, &fw->carry);
	}
}

/* Hand the gathered group over; with `wait`, also see it through. */
static void commit_jobs(struct forward *fw, bool wait)
{
	if (fw->gather.n)
		hand_over(fw);
	if (wait && fw->syncer)
		collect_group(fw, true);
}

/* While watching: collect the group the syncer is done with, and hand over the gathered
 * one once it has gathered COMMIT_DELAY_MS and nothing is in flight. */
static void keep_syncing(struct forward *fw)
{
	if (fw->syncer && !collect_group(fw, false))
		return;
	if (fw->gather.n && now_ms() - fw->gather.since >= COMMIT_DELAY_MS)
		hand_over(fw);
}

static void process_doc(struct forward *fw, const char *relpath)
{
	if (journal_settled(fw->j, relpath))
		return;
	struct sidecar sc;
	struct gerr err = {0};
	if (sidecar_load(fw->cfg->agent.spool_dir, relpath, &sc, &err) < 0) {
		/* by the error's own errno: a sidecar that is no JSON leaves errno as it was */
		if (err.sys_errno != ENOENT && strset_add(&fw->bad, relpath))
			log_warn("spool: %s; skipped (looked at again at each rescan)", err.msg);
		return;
	}
	int64_t now = now_ms();
	bool pending = false;
	for (size_t i = 0; i < fw->nroutes; i++) {
		struct route_state *rs = &fw->rs[i];
		if (!route_matches(rs->rc, sc.root, sc.file) ||
		    journal_delivered(fw->j, rs->rc->name, relpath) ||
		    retry_waiting(failure_get(fw, rs, relpath), now))
			continue;
		const struct target_type *t = rs->r->target;
		if (t->commit) {
			if (fw->gather.n == MAX_GATHERED ||
			    (fw->gather.n && fw->gather.jobs[0].job.type != t))
				hand_over(fw); /* waits for the group in flight */
			prepare_group_job(fw, rs, &sc);
			pending = true;
		} else if (t->batched && t->batched(rs->r->target_conf)) {
			struct target_job check = job_for(rs, &sc);
			enum deliver_status st = t->prepare(&check, &err);
			target_job_release(&check);
			if (st == DELIVERED)
				batch_add(rs, relpath);
			else
				failure_record(fw, rs, relpath, st, 0, &err);
		} else {
			deliver_now(fw, rs, &sc, 1, false);
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
		for (size_t i = 0; i < q.len; i++) {
			process_doc(fw, q.items[i]);
			if (fw->syncer)
				keep_syncing(fw);
		}
		log_debug("forward: looked at %zu document(s) in %lld ms", q.len,
			  (long long)(now_ms() - t0));
		strlist_free(&q);
	}
}

/* ---- batches -------------------------------------------------------------------------------- */

/* Deliver a batch: as many documents at once as the target's fits() allows. */
static void flush_batch(struct forward *fw, struct route_state *rs)
{
	const struct target_type *t = rs->r->target;
	struct sidecar *scs = xcalloc(rs->batch.len + 1, sizeof(*scs));
	size_t n = 0;
	struct gerr err;
	for (size_t i = 0; i < rs->batch.len; i++) {
		if (sidecar_load(fw->cfg->agent.spool_dir, rs->batch.items[i], &scs[n], &err) < 0)
			continue; /* gone meanwhile */
		if (n > 0 && t->fits && !t->fits(rs->r->target_conf, scs, n + 1)) {
			struct sidecar next = scs[n];
			deliver_now(fw, rs, scs, n, true);
			for (size_t k = 0; k < n; k++)
				sidecar_release(&scs[k]);
			scs[0] = next;
			n = 0;
		}
		n++;
	}
	if (n)
		deliver_now(fw, rs, scs, n, true);
	for (size_t k = 0; k < n; k++)
		sidecar_release(&scs[k]);
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

static void count_failure(const struct retry_entry *e, void *arg)
{
	struct forward *fw = arg;
	for (size_t i = 0; i < fw->nroutes; i++) {
		if (strcmp(e->route, fw->rs[i].rc->name) != 0)
			continue;
		if (e->permanent)
			fw->stats[i].failing++;
		else
			fw->stats[i].pending++;
	}
}

const struct forward_route_stats *forward_stats(struct forward *fw, size_t *count)
{
	for (size_t i = 0; i < fw->nroutes; i++) {
		fw->stats[i].pending = fw->rs[i].batch.len;
		fw->stats[i].failing = 0;
		fw->stats[i].last_error = fw->rs[i].last_error;
	}
	retry_each(&fw->failures, count_failure, fw);
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
	spool_iso_time(time(NULL), when);
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
	if (!fw->syncer) {
		if (journal_sync(fw->j, &err) < 0)
			log_error("%s", err.msg);
	} else if (!fw->in_flight && !fw->gather.n) {
		/* nothing to carry out: the journal's records alone (else with the next group) */
		int fd = journal_sync_fd(fw->j);
		if (fd >= 0) {
			syncer_post(fw->syncer, NULL, 0, NULL, NULL, fd);
			fw->in_flight = true;
		}
	}
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

/* The mtime (ns) of the route's OAuth token file, -1 when there is none. */
static int64_t token_mtime(const struct route_state *rs)
{
	struct stat st;
	char *path = path_join(rs->state_dir, OAUTH_TOKEN_FILE);
	int rc = stat(path, &st);
	free(path);
	return rc < 0 ? -1 : (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
}

/* A route whose token file changed (a person signed in) tries what waited for a person. */
static void look_at_sign_ins(struct forward *fw, int64_t now)
{
	for (size_t i = 0; i < fw->nroutes; i++) {
		struct route_state *rs = &fw->rs[i];
		int64_t m = token_mtime(rs);
		if (m == rs->token_mtime)
			continue;
		rs->token_mtime = m;
		if (retry_wake(&fw->failures, rs->rc->name, now))
			log_info("route %s: its sign-in changed; trying again what waited for a person",
				 rs->rc->name);
	}
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
	if (retry_any_person(&fw->failures))
		look_at_sign_ins(fw, now);
	enqueue_due_retries(fw, now);
	process_queue(fw);
	flush_batches(fw, false);
	process_queue(fw);
	/* a group is synced at once (its files in parallel): let it gather a little while watching, and
	 * while the previous one is still being carried out */
	keep_syncing(fw);
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

static void earliest_retry(const struct retry_entry *e, void *arg)
{
	int64_t *next = arg;
	if ((!e->permanent || e->person) && e->next_ms < *next)
		*next = e->next_ms;
}

int forward_timeout_ms(const struct forward *fw)
{
	if (fw->queue.len || fw->need_rescan)
		return 0;
	int64_t now = now_ms(), next = fw->next_rescan;
	retry_each(&fw->failures, earliest_retry, &next);
	for (size_t i = 0; i < fw->nroutes; i++)
		if (fw->rs[i].batch.len && fw->rs[i].batch_last + fw->o.batch_settle < next)
			next = fw->rs[i].batch_last + fw->o.batch_settle;
	if (fw->gather.n && !fw->in_flight && fw->gather.since + COMMIT_DELAY_MS < next)
		next = fw->gather.since + COMMIT_DELAY_MS;
	if (fw->status_dirty && fw->status_at + STATUS_EVERY_MS < next)
		next = fw->status_at + STATUS_EVERY_MS;
	if (retry_any_person(&fw->failures) && now + SIGNIN_LOOK_MS < next)
		next = now + SIGNIN_LOOK_MS;
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
	const char *env = test_hook_env("GONIEC_FORWARD_RETRY_MS");
	if (!o->retry_base)
		o->retry_base = env && atoll(env) > 0 ? atoll(env) : 30 * 1000;
	if (!o->window_cap && env && atoll(env) > 0)
		o->window_cap = atoll(env);
}

struct forward *forward_open(const struct config *cfg, const struct forward_opts *opts,
			     struct gerr *err)
{
	struct forward *fw = xcalloc(1, sizeof(*fw));
	fw->cfg = cfg;
	fw->o = *opts;
	default_opts(&fw->o);
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
		fw->rs[i].state_dir = route_state_dir(cfg, cfg->routes[i]->name);
		fw->rs[i].token_mtime = token_mtime(&fw->rs[i]);
		fw->stats[i].name = cfg->routes[i]->name;
		fw->stats[i].target = fw->rs[i].r->target->key;
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
		free(fw->rs[i].state_dir);
	}
	free(fw->rs);
	free(fw->stats);
	strlist_free(&fw->queue);
	strset_free(&fw->queued);
	strset_free(&fw->bad);
	strset_free(&fw->job_keys);
	free(fw->gather.jobs);
	free(fw->carry.jobs);
	retry_book_free(&fw->failures);
	journal_close(fw->j);
	watch_close(fw->w);
	free(fw->gen);
	free(fw);
}
