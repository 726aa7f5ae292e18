/* graph_mail — see graph_run.h: pages listed, messages taken, attachments streamed into
 * the spool (file attachments from $value, forwarded mail walked as MIME), moves. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/net.h"
#include "core/dedupe.h"
#include "core/log.h"
#include "formats/mime.h"
#include "sources/filing.h"
#include "sources/graph/graph_run.h"

#define PAGE_SIZE_MSGS 100
#define MOVE_BATCH 500

/* A message being taken. */
struct gmsg {
	struct grun *gr;
	struct gfolder *f;
	struct graph_message m;
	json_t *origin;
	unsigned pending;
	unsigned taken, failed;
	char *held;              /* why it is left for a person (a forwarded one over a limit) */
	struct gmsg *next;
};

/* One attachment being fetched. */
struct gatt {
	struct gmsg *gm;
	const struct graph_attachment *a;
	struct filing *doc;      /* file attachment being filed */
	int fd;                  /* item attachment: temporary MIME file */
	struct gerr err;
	bool write_failed;
};

/* ---- filing ------------------------------------------------------------------------- */

static json_t *origin_of(const struct grun *gr, const struct gfolder *f, const struct graph_message *m)
{
	json_t *g = json_object();

	json_object_set_new(g, "mailbox", json_string(gr->conf->mailbox));
	json_object_set_new(g, "folder", json_string(f->name));
	json_object_set_new(g, "id", json_string(m->id));
	if (m->internet_id)
		json_object_set_new(g, "message_id", json_string(m->internet_id));
	if (m->from) { /* "Name <address>" as in imap sidecars */
		bool named = m->from_name && *m->from_name && strcasecmp(m->from_name, m->from);
		char *from = named ? xasprintf("%s <%s>", m->from_name, m->from) : xstrdup(m->from);

		json_object_set_new(g, "from", json_string(from));
		free(from);
	}
	if (m->subject)
		json_object_set_new(g, "subject", json_string(m->subject));
	if (m->sent)
		json_object_set_new(g, "date", json_string(m->sent));
	json_object_set_new(g, "received", json_string(m->received));
	return json_pack("{s:o}", "graph", g);
}

static struct filing *begin_doc(struct gatt *ga, const char *name, const char *source_id)
{
	const struct filing_doc doc = {
		.name_hint = name,
		.source_id = source_id,
		.origin = ga->gm->origin,
	};

	return filing_begin(ga->gm->gr->run, &doc, &ga->err);
}

static int commit_doc(struct gatt *ga, struct filing *doc)
{
	enum spool_status status;

	if (filing_commit(doc, &status, &ga->err) < 0)
		return -1;
	if (status != SPOOL_QUARANTINED)
		ga->gm->taken++;
	return 0;
}

static int file_sink(struct graph_req *req, const char *data, size_t len)
{
	struct gatt *ga = req->ctx;

	if (!ga->doc) {
		char *sid = xasprintf("%s/%s", ga->gm->m.id, ga->a->id);

		ga->doc = begin_doc(ga, ga->a->name, sid);
		free(sid);
	}
	if (!ga->doc || filing_write(ga->doc, data, len, &ga->err) < 0) {
		ga->write_failed = true;
		return -1;
	}
	return 0;
}

static int item_sink(struct graph_req *req, const char *data, size_t len)
{
	struct gatt *ga = req->ctx;

	if (ga->fd < 0) {
		char *tmpl = path_join(ga->gm->gr->run->state_dir, ".item-XXXXXX");

		ga->fd = mkstemp(tmpl);
		if (ga->fd >= 0)
			unlink(tmpl); /* nothing is left behind whatever happens */
		else
			gerr_sys(&ga->err, "%s", tmpl);
		free(tmpl);
	}
	if (ga->fd < 0 || write_all(ga->fd, data, len) < 0) {
		if (ga->fd >= 0)
			gerr_sys(&ga->err, "writing a forwarded message");
		ga->write_failed = true;
		return -1;
	}
	return 0;
}

/* One candidate file inside a forwarded message. */
static int item_part(void *ctx, const struct mime_part *part, const struct mime_body *body,
		     struct gerr *err)
{
	struct gatt *ga = ctx;
	char *sid = xasprintf("%s/%s/%s", ga->gm->m.id, ga->a->id, part->section);
	struct filing *doc = begin_doc(ga, part->filename, sid);

	free(sid);
	if (!doc || mime_body_decode(body, filing_sink, doc, &ga->err) < 0) {
		filing_abort(doc);
		return gerr_set(err, "%s", ga->err.msg);
	}
	if (commit_doc(ga, doc) < 0)
		return gerr_set(err, "%s", ga->err.msg);
	return 0;
}

/* What an item attachment's $value is: Graph answers a message with its MIME text, an
 * attached contact with a vCard and a calendar item with an iCalendar object. NULL for
 * a message, else the kind of item ("contact", "calendar item"). */
static const char *item_kind(const char *data, size_t len)
{
	while (len && (*data == ' ' || *data == '\t' || *data == '\r' || *data == '\n'))
		data++, len--;
	if (len >= 11 && !strncasecmp(data, "BEGIN:VCARD", 11))
		return "contact";
	if (len >= 15 && !strncasecmp(data, "BEGIN:VCALENDAR", 15))
		return "calendar item";
	return NULL;
}

static int walk_item(struct gatt *ga)
{
	struct gerr werr;
	struct stat st;
	const char *kind;
	void *map;
	int rc;

	if (ga->fd < 0)
		return 0; /* an empty forwarded message holds nothing */
	if (fstat(ga->fd, &st) < 0)
		return gerr_sys(&ga->err, "forwarded message");
	if (st.st_size == 0)
		return 0;
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, ga->fd, 0);
	if (map == MAP_FAILED)
		return gerr_sys(&ga->err, "forwarded message");
	kind = item_kind(map, (size_t)st.st_size);
	if (kind) {
		log_notice("%s: \"%s\": attached %s \"%s\" skipped; no document is taken from it",
			   ga->gm->gr->run->src->name, ga->gm->m.subject ? ga->gm->m.subject : "", kind,
			   ga->a->name ? ga->a->name : "");
		munmap(map, (size_t)st.st_size);
		return 0;
	}
	/* item_part() reports into ga->err, the walk into werr */
	rc = mime_walk_raw(map, (size_t)st.st_size, &ga->gm->gr->run->src->accept, item_part, ga,
			   &werr);
	munmap(map, (size_t)st.st_size);
	if (rc > 0 && !ga->gm->held) {
		ga->gm->held = xasprintf("attached message \"%s\": %s", ga->a->name ? ga->a->name : "",
					 werr.msg);
		return 0;
	}
	if (rc < 0 && werr.kind == GERR_PERMANENT) {
		log_warn("%s: forwarded message \"%s\" is not MIME; nothing taken from it",
			 ga->gm->gr->run->src->name, ga->a->name ? ga->a->name : "");
		return 0;
	}
	if (rc < 0)
		gerr_set(&ga->err, "%s", werr.msg);
	return rc;
}

/* The watermark must not pass this message: it is not done. */
static void hold_watermark(struct gfolder *f, const char *received)
{
	if (!f->first_failed || strcmp(received, f->first_failed) < 0) {
		free(f->first_failed);
		f->first_failed = xstrdup(received);
	}
}

/* A message is done: it is never looked at again. Its id is known at once and written
 * with the next ones (remembered_durable()); one lost in a crash before that only has
 * the message looked at again. */
static void remember(struct grun *gr, struct gmsg *gm)
{
	dedupe_stage(gr->run->dedupe, NULL, gm->m.id, NULL);
}

/* The ids remembered so far written and synced, at once. */
static void remembered_durable(struct grun *gr)
{
	struct gerr err;

	if (dedupe_commit(gr->run->dedupe, true, &err) < 0)
		gr_note_error(gr, err.msg);
}

static void msg_free(struct gmsg *gm)
{
	json_decref(gm->origin);
	free(gm->held);
	free(gm->m.id);
	free(gm->m.internet_id);
	free(gm->m.subject);
	free(gm->m.from);
	free(gm->m.from_name);
	free(gm->m.received);
	free(gm->m.sent);
	for (size_t i = 0; i < gm->m.natts; i++) {
		free(gm->m.atts[i].id);
		free(gm->m.atts[i].name);
		free(gm->m.atts[i].content_type);
	}
	free(gm->m.atts);
	free(gm);
}

/* Not done: looked at again next run (and skipped for the rest of this one). */
static void msg_again(struct gmsg *gm)
{
	strset_add(&gm->gr->failed, gm->m.id);
	hold_watermark(gm->f, gm->m.received);
	msg_free(gm);
}

static void msg_failed(struct gmsg *gm)
{
	gm->gr->run->stats.failed++;
	msg_again(gm);
}

/* Over a limit: left where it is, for a person. */
static void msg_held(struct gmsg *gm)
{
	char *what = xasprintf("%s message from %s, \"%s\" (received %s)", gm->f->spec,
			       gm->m.from ? gm->m.from : "?", gm->m.subject ? gm->m.subject : "",
			       gm->m.received);
	source_run_hold(gm->gr->run, what, gm->held);
	free(what);
	msg_again(gm);
}

/* Every transfer of a message has ended. */
static void msg_done(struct gmsg *gm)
{
	struct grun *gr = gm->gr;

	if (gm->failed) {
		msg_failed(gm);
	} else if (gm->held) {
		msg_held(gm);
	} else if (gm->taken) { /* moved, or remembered, once its files are durable */
		gm->next = gr->to_move;
		gr->to_move = gm;
		gr->nto_move++;
	} else {
		remember(gr, gm);
		msg_free(gm);
	}
}

static void att_done(struct graph_client *gc, struct graph_req *req)
{
	struct gatt *ga = req->ctx;
	struct gmsg *gm = ga->gm;
	int rc = -1;

	(void)gc;
	if (graph_req_ok(req) && !ga->write_failed) {
		if (ga->a->kind == GRAPH_ATT_ITEM) {
			rc = walk_item(ga);
		} else {
			if (!ga->doc)
				file_sink(req, "", 0); /* an empty file: the spool says so */
			rc = ga->doc ? commit_doc(ga, ga->doc) : -1;
			ga->doc = NULL;
		}
		if (rc < 0)
			gr_note_error(gm->gr, ga->err.msg);
	} else if (ga->write_failed) {
		gr_note_error(gm->gr, ga->err.msg);
	} else {
		char *what = xasprintf("attachment \"%s\" of \"%s\"", ga->a->name ? ga->a->name : "",
				       gm->m.subject ? gm->m.subject : "");
		gr_req_failed(gm->gr, req, what);
		free(what);
	}
	filing_abort(ga->doc);
	if (ga->fd >= 0)
		close(ga->fd);
	if (rc < 0)
		gm->failed++;
	free(ga);
	if (--gm->pending == 0)
		msg_done(gm);
}

/* ---- messages ----------------------------------------------------------------------- */

static bool sender_ok(const struct graph_conf *c, const char *from)
{
	for (size_t i = 0; from && i < c->senders.len; i++)
		if (wildcard_match(c->senders.items[i], from))
			return true;
	return false;
}

static void fetch_attachment(struct grun *gr, struct gmsg *gm, const struct graph_attachment *a)
{
	struct gatt *ga = xcalloc(1, sizeof(*ga));
	char *mid = net_escape(gm->m.id), *aid = net_escape(a->id);
	char *path = xasprintf("%s/messages/%s/attachments/%s/$value", gr->user_path, mid, aid);
	struct graph_req *req = graph_req_new(gr->gc, "GET", path);

	free(mid);
	free(aid);
	free(path);
	ga->gm = gm;
	ga->a = a;
	ga->fd = -1;
	req->sink = a->kind == GRAPH_ATT_ITEM ? item_sink : file_sink;
	req->done = att_done;
	req->ctx = ga;
	gm->pending++;
	graph_submit(gr->gc, req);
}

/* Look at one listed message; queue the transfers it needs. Takes over m's contents. */
static void take_message(struct grun *gr, struct gfolder *f, struct graph_message *m)
{
	const struct source_conf *src = gr->run->src;
	struct gmsg *gm;

	if (dedupe_has_id(gr->run->dedupe, m->id) || strset_has(&gr->failed, m->id))
		return; /* seen in an earlier run, or failed in this one */
	gr->run->stats.looked_at++;
	gm = xcalloc(1, sizeof(*gm));
	gm->gr = gr;
	gm->f = f;
	gm->m = *m;
	memset(m, 0, sizeof(*m));
	if (sender_ok(gr->conf, gm->m.from)) {
		gm->origin = origin_of(gr, f, &gm->m);
		gm->pending = 1; /* held until every transfer is queued */
		for (size_t i = 0; i < gm->m.natts; i++) {
			const struct graph_attachment *a = &gm->m.atts[i];

			if (a->kind == GRAPH_ATT_REFERENCE)
				log_notice("%s: \"%s\": attachment \"%s\" is a link to a cloud file; "
					   "not followed", src->name, gm->m.subject ? gm->m.subject : "",
					   a->name ? a->name : "");
			else if (a->kind == GRAPH_ATT_ITEM ||
				 (a->kind == GRAPH_ATT_FILE &&
				  mime_candidate(a->content_type, a->name, &src->accept)))
				fetch_attachment(gr, gm, a);
		}
		if (--gm->pending > 0)
			return;
	}
	msg_done(gm);
}

static void move_done(struct graph_client *gc, struct graph_req *req)
{
	struct gmsg *gm = req->ctx;
	struct graph_error e;

	(void)gc;
	graph_parse_error(req->body.data, req->body.len, &e);
	if (graph_req_ok(req) || (req->status == 404 && e.code && !strcmp(e.code, "ErrorItemNotFound"))) {
		remember(gm->gr, gm); /* filed; gone from the folder either way */
		msg_free(gm);
	} else {
		gr_req_failed(gm->gr, req, "moving a message");
		msg_failed(gm);
	}
	graph_error_free(&e);
}

/* Each taken message handed to done (which releases it); none is waiting after. */
static void drain_taken(struct grun *gr, void (*done)(struct gmsg *))
{
	struct gmsg *gm, *next;

	for (gm = gr->to_move; gm; gm = next) {
		next = gm->next;
		done(gm);
	}
	gr->to_move = NULL;
	gr->nto_move = 0;
}

/* Every taken message fails: none of its files counts as durable. */
static void fail_taken(struct grun *gr)
{
	drain_taken(gr, msg_failed);
}

static void remember_and_free(struct gmsg *gm)
{
	remember(gm->gr, gm);
	msg_free(gm);
}

/* A flush of the run's batch (spool_flush, or spool_batch off): when it fails, the
 * documents it removed no longer count as filed and the failure is reported. */
static int flush_off(struct spool *sp, struct gerr *err)
{
	return spool_batch(sp, false, err);
}

static int flush_batch(struct grun *gr, int (*flush)(struct spool *, struct gerr *))
{
	struct spool *sp = gr->run->spool;
	unsigned long lost = sp->lost;
	struct gerr err;

	if (flush(sp, &err) == 0)
		return 0;
	gr->run->stats.filed -= sp->lost - lost;
	gr_note_error(gr, err.msg);
	return -1;
}

/* The taken messages' files made durable, all at once (spool.h): when that fails, the
 * files not yet published are gone and every taken message fails (looked at again next
 * run; what was filed is recognised). */
static int flush_taken(struct grun *gr)
{
	if (flush_batch(gr, spool_flush) == 0)
		return 0;
	fail_taken(gr);
	return -1;
}

static int move_taken(struct grun *gr)
{
	struct gmsg *gm, *next;
	struct gerr err;
	json_t *body;
	bool np;

	if (gr_ensure_move_folder(gr) < 0) {
		fail_taken(gr);
		return -1;
	}
	body = json_pack("{s:s}", "destinationId", gr->move_id);
	for (gm = gr->to_move; gm; gm = next) {
		char *mid = net_escape(gm->m.id), *path = xasprintf("%s/messages/%s/move", gr->user_path, mid);
		struct graph_req *req = graph_req_new(gr->gc, "POST", path);

		next = gm->next;
		free(mid);
		free(path);
		req->json_body = json_dumps(body, JSON_COMPACT);
		req->done = move_done;
		req->ctx = gm;
		graph_submit(gr->gc, req);
	}
	json_decref(body);
	gr->to_move = NULL;
	gr->nto_move = 0;
	if (graph_run(gr->gc, &np, &err) < 0) {
		gr->needs_person |= np;
		gr->fatal = true;
		gr_note_error(gr, err.msg);
		return -1;
	}
	return 0;
}

/* The taken messages, once their files are durable: moved (move_to), or remembered. */
static int settle_taken(struct grun *gr)
{
	int rc = 0;

	if (gr->to_move && flush_taken(gr) < 0)
		rc = -1;
	else if (gr->to_move && gr->move_name)
		rc = move_taken(gr);
	drain_taken(gr, remember_and_free); /* move_to null: nothing was moved */
	remembered_durable(gr);
	return rc;
}

/* ---- folders, pages, state ---------------------------------------------------------- */

static const char list_select[] =
	"$select=id,internetMessageId,subject,from,receivedDateTime,sentDateTime"
	"&$expand=attachments($select=id,name,contentType,size,isInline)";

static char *first_page(const struct grun *gr, const struct gfolder *f)
{
	char *filter = xasprintf("receivedDateTime ge %s", f->watermark);
	char *ef = net_escape(filter);
	char *path = xasprintf("%s/mailFolders/%s/messages?$filter=%s"
			       "&$orderby=receivedDateTime%%20asc&%s&$top=%d",
			       gr->user_path, f->id, ef, list_select, PAGE_SIZE_MSGS);

	free(filter);
	free(ef);
	return path;
}

/* "2026-11-01T06:00:01Z", as Graph writes receivedDateTime (fractions allowed). */
bool gr_is_timestamp(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	size_t i;

	if (!s)
		return false;
	for (i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != shape[i])
			return false;
	if (s[i] == '.')
		for (i++; s[i] >= '0' && s[i] <= '9'; i++)
			;
	return s[i] == 'Z' && s[i + 1] == 0;
}

/* After the moves: the watermark goes up to the first message that failed, else to the
 * last one listed (listing is by receivedDateTime ge watermark, so a message received in
 * the same second as the last is listed again and skipped as seen). */
static void advance_watermark(struct gfolder *f)
{
	const char *wm = f->first_failed ? f->first_failed : f->last_listed;

	if (gr_is_timestamp(wm) && strcmp(wm, f->watermark) > 0) {
		free(f->watermark);
		f->watermark = xstrdup(wm);
	}
}

/* One page: take its messages (their moves wait). Returns the next link or NULL. */
static char *do_page(struct grun *gr, struct gfolder *f, const char *url, bool *ok)
{
	struct sync_call c = {gr, "message list", NULL, false, false, {0}};
	struct graph_page page;
	struct gerr err;
	char *next = NULL;
	bool np;

	*ok = false;
	if (gr_call(&c, "GET", url, NULL) < 0)
		return NULL;
	if (graph_parse_messages(c.body.data, c.body.len, &page, &err) < 0) {
		char *msg = xasprintf("message list of %s: %s", f->spec, err.msg);

		gr_note_error(gr, msg);
		free(msg);
		buf_free(&c.body);
		return NULL;
	}
	buf_free(&c.body);
	if (page.nmsgs) {
		free(f->last_listed);
		f->last_listed = xstrdup(page.msgs[page.nmsgs - 1].received);
	}
	for (size_t i = 0; i < page.nmsgs; i++)
		take_message(gr, f, &page.msgs[i]);
	if (graph_run(gr->gc, &np, &err) < 0) {
		gr->needs_person |= np;
		gr->fatal = true;
		gr_note_error(gr, err.msg);
	} else {
		*ok = true;
		next = page.next_link ? xstrdup(page.next_link) : NULL;
	}
	graph_page_free(&page);
	if (next && !str_starts_with(next, gr->conf->app.graph_url)) {
		char *msg = xasprintf("message list of %s: next page link outside %s refused", f->spec,
				      gr->conf->app.graph_url);

		gr_note_error(gr, msg);
		free(msg);
		free(next);
		*ok = false;
		next = NULL;
	}
	return next;
}

/* List from the watermark, page by page as @odata.nextLink says. Moves wait until the
 * listing is done, since a move shifts the pages still to come; when MOVE_BATCH messages
 * are waiting they are moved and the listing starts again from the watermark. */
void gr_list_and_take(struct grun *gr, struct gfolder *f)
{
	bool ok = true, again = true;

	while (again && ok && !gr->fatal) {
		char *url = first_page(gr, f);

		again = false;
		while (url && ok && !gr->fatal && !again) {
			char *next = do_page(gr, f, url, &ok);

			free(url);
			url = next;
			again = url && gr->nto_move >= MOVE_BATCH;
		}
		free(url);
		if (!gr->fatal && settle_taken(gr) < 0)
			ok = false;
		if (!gr->fatal)
			advance_watermark(f);
	}
}

void gr_end_filing(struct grun *gr)
{
	drain_taken(gr, msg_free);
	(void)flush_batch(gr, flush_off);
	remembered_durable(gr);
}
