/* graph — see graph.h. */
#include "sources/graph/graph.h"

#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/dedupe.h"
#include "core/log.h"
#include "core/secret.h"
#include "core/spool.h"
#include "formats/mime.h"
#include "sources/graph/graph_http.h"
#include "sources/graph/graph_json.h"

#define PAGE_SIZE_MSGS 100
#define FIRST_WATERMARK "1900-01-01T00:00:00Z"

/* ---- configuration ------------------------------------------------------------------ */

#define OFF(f) offsetof(struct graph_conf, f)
static const struct cf_field graph_fields[] = {
	{.key = "tenant", .type = CF_STRING, .offset = OFF(tenant), .flags = CF_REQUIRED,
	 .help = "Directory (tenant) ID of the Microsoft 365 organisation"},
	{.key = "client_id", .type = CF_STRING, .offset = OFF(client_id), .flags = CF_REQUIRED,
	 .help = "Application (client) ID of the app registration"},
	{.key = "client_secret", .type = CF_SECRET, .offset = OFF(client_secret), .flags = CF_REQUIRED,
	 .help = "client secret value (or client_secret_file / _env / _credential)"},
	{.key = "mailbox", .type = CF_STRING, .offset = OFF(mailbox), .flags = CF_REQUIRED,
	 .help = "the mailbox: user address (UPN) or object id"},
	{.key = "folders", .type = CF_STRLIST, .offset = OFF(folders), .dflt = "inbox junkemail",
	 .help = "folders to check: well-known names (inbox, junkemail) or display paths (\"Inbox/Faktury\")"},
	{.key = "senders", .type = CF_WILDCARDS, .offset = OFF(senders),
	 .help = "sender addresses to take mail from, '*' wildcards (empty: anyone)"},
	{.key = "move_to", .type = CF_STRING, .offset = OFF(move_to), .flags = CF_NULLABLE,
	 .dflt = "eksiegowy{year}",
	 .help = "folder under the mailbox root that taken mail is moved to; null: leave it"},
	{.key = "login_url", .type = CF_STRING, .offset = OFF(login_url),
	 .dflt = "https://login.microsoftonline.com", .help = "Entra ID sign-in base URL (national clouds)"},
	{.key = "graph_url", .type = CF_STRING, .offset = OFF(graph_url),
	 .dflt = "https://graph.microsoft.com", .help = "Microsoft Graph base URL (national clouds)"},
	{.key = "ca_file", .type = CF_STRING, .offset = OFF(ca_file),
	 .help = "PEM file of CA certificates to trust instead of the system store"},
	CF_END,
};

static const char *const graph_default_times[] = {"05:00", "12:00", "14:00", NULL};

char *graph_move_folder_name(const char *tmpl, time_t now)
{
	struct buf b = {0};
	struct tm tm;
	const char *p;

	localtime_r(&now, &tm);
	for (p = tmpl; *p; p++) {
		if (str_starts_with(p, "{year}")) {
			buf_printf(&b, "%04d", tm.tm_year + 1900);
			p += 5;
		} else {
			buf_append(&b, p, 1);
		}
	}
	return buf_take(&b);
}

char *graph_consent_url(const struct source_conf *src)
{
	const struct graph_conf *c = src->typed;
	char *tenant = graph_escape(c->tenant), *id = graph_escape(c->client_id);
	char *url = xasprintf("%s/%s/adminconsent?client_id=%s", c->login_url, tenant, id);

	free(tenant);
	free(id);
	return url;
}

/* ---- run context -------------------------------------------------------------------- */

struct gfolder {
	const char *spec;      /* as configured */
	char *id;
	char *name;            /* display name for sidecars */
	char *watermark;       /* list messages received at or after this */
	char *done_until;      /* receivedDateTime of the last message fully done */
	char *first_failed;    /* receivedDateTime of the first message that failed */
};

struct grun {
	struct source_run *run;
	const struct graph_conf *conf;
	struct graph_client *gc;
	char *user_path;       /* "/v1.0/users/<mailbox>" */
	char *move_name;
	char *move_id;
	char *secret;
	char *token_cache;
	json_t *state;         /* graph-folders.json */
	struct gmsg *to_move;  /* messages whose files are all in the spool */
	bool needs_person;
	bool fatal;            /* stop: credentials or mailbox problem */
	unsigned long errors;
};

struct gmsg {
	struct grun *gr;
	struct gfolder *f;
	struct graph_message m;
	json_t *origin;
	unsigned pending;
	unsigned taken, failed;
	struct gmsg *next;
};

struct gatt {
	struct gmsg *gm;
	const struct graph_attachment *a;
	struct spool_doc *doc;   /* file attachment being filed */
	int fd;                  /* item attachment: temporary MIME file */
	char *tmp;
	struct gerr err;
	bool write_failed;
};

static void note_error(struct grun *gr, const char *msg)
{
	log_error("%s: %s", gr->run->src->name, msg);
	if (!gr->errors++)
		gerr_set(&gr->run->err, "%s", msg);
}

/* Record a failed request; a credentials/consent/mailbox answer stops the run. */
static void req_failed(struct grun *gr, const struct graph_req *req, const char *what)
{
	struct graph_error e;
	char *msg = graph_req_error(req, what);

	graph_parse_error(req->body.data, req->body.len, &e);
	if (req->curl_rc == CURLE_OK && graph_error_needs_person(req->status, &e)) {
		gr->needs_person = gr->fatal = true;
		gerr_set(&gr->run->err, "%s", msg);
		gr->errors++;
		log_error("%s: %s", gr->run->src->name, msg);
	} else {
		note_error(gr, msg);
	}
	graph_error_free(&e);
	free(msg);
}

/* ---- synchronous calls (folders) ---------------------------------------------------- */

struct sync_call {
	struct grun *gr;
	const char *what;
	const char *expected_error;  /* a Graph error code that is an answer, not a failure */
	bool ok, got_expected;
	struct buf body;
};

static void sync_done(struct graph_client *gc, struct graph_req *req)
{
	struct sync_call *c = req->ctx;
	struct graph_error e;

	(void)gc;
	c->ok = graph_req_ok(req);
	if (c->ok) {
		c->body = req->body;
		memset(&req->body, 0, sizeof(req->body));
		return;
	}
	graph_parse_error(req->body.data, req->body.len, &e);
	c->got_expected = c->expected_error && e.code && !strcmp(e.code, c->expected_error);
	if (!c->got_expected)
		req_failed(c->gr, req, c->what);
	graph_error_free(&e);
}

/* Run one request to its end. 0 with the answer in c->body (caller frees), else -1. */
static int call(struct sync_call *c, const char *method, const char *path, const char *json_body)
{
	struct graph_req *req = graph_req_new(c->gr->gc, method, path);
	struct gerr err;
	bool np;

	req->json_body = json_body ? xstrdup(json_body) : NULL;
	req->done = sync_done;
	req->ctx = c;
	graph_submit(c->gr->gc, req);
	if (graph_run(c->gr->gc, &np, &err) < 0) {
		c->gr->needs_person |= np;
		c->gr->fatal = true;
		note_error(c->gr, err.msg);
		return -1;
	}
	return c->ok ? 0 : -1;
}

/* OData string literal in a $filter, URL-encoded: displayName eq '<name>'. */
static char *name_filter(const char *name)
{
	struct buf b = {0};
	char *lit, *esc;

	buf_puts(&b, "displayName eq '");
	for (const char *p = name; *p; p++)
		buf_puts(&b, *p == '\'' ? "''" : (char[]){*p, 0});
	buf_puts(&b, "'");
	lit = buf_take(&b);
	esc = graph_escape(lit);
	free(lit);
	return esc;
}

/* Find a folder by display name among the children of parent_id (NULL: the root). */
static int find_child(struct grun *gr, const char *parent_id, const char *name,
		      struct graph_folder *out)
{
	struct sync_call c = {gr, "folder list", NULL, false, false, {0}};
	char *filter = name_filter(name), *path;
	struct gerr err;
	int rc;

	memset(out, 0, sizeof(*out));
	if (parent_id)
		path = xasprintf("%s/mailFolders/%s/childFolders?$filter=%s&$select=id,displayName",
				 gr->user_path, parent_id, filter);
	else
		path = xasprintf("%s/mailFolders?$filter=%s&$select=id,displayName", gr->user_path,
				 filter);
	free(filter);
	rc = call(&c, "GET", path, NULL);
	free(path);
	if (rc == 0 && graph_parse_folder_find(c.body.data, c.body.len, name, out, &err) < 0) {
		note_error(gr, err.msg);
		rc = -1;
	}
	buf_free(&c.body);
	return rc;
}

static const char *const well_known[] = {
	"inbox", "junkemail", "archive", "deleteditems", "drafts", "sentitems", "outbox",
	"msgfolderroot", NULL,
};

/* "Junk Email" -> "junkemail" when it is a well-known folder's name, else NULL. */
static const char *well_known_name(const char *seg, size_t len)
{
	char norm[32];
	size_t n = 0;

	for (size_t i = 0; i < len && n + 1 < sizeof(norm); i++)
		if (seg[i] != ' ')
			norm[n++] = (char)(seg[i] >= 'A' && seg[i] <= 'Z' ? seg[i] + 32 : seg[i]);
	norm[n] = 0;
	for (size_t i = 0; well_known[i]; i++)
		if (!strcmp(norm, well_known[i]))
			return well_known[i];
	return NULL;
}

static int get_well_known(struct grun *gr, const char *wk, struct graph_folder *out)
{
	struct sync_call c = {gr, "folder", NULL, false, false, {0}};
	char *path = xasprintf("%s/mailFolders/%s?$select=id,displayName", gr->user_path, wk);
	struct gerr err;
	int rc = call(&c, "GET", path, NULL);

	free(path);
	if (rc == 0 && graph_parse_folder(c.body.data, c.body.len, out, &err) < 0) {
		note_error(gr, err.msg);
		rc = -1;
	}
	buf_free(&c.body);
	return rc;
}

/* Resolve "inbox", "Junk Email" or "Inbox/Faktury/2026" to a folder id. */
static int resolve_folder(struct grun *gr, struct gfolder *f)
{
	const char *p = f->spec, *slash = strchr(p, '/');
	size_t len = slash ? (size_t)(slash - p) : strlen(p);
	const char *wk = well_known_name(p, len);
	struct graph_folder cur = {0}, next;
	char *seg;

	if (wk) {
		if (get_well_known(gr, wk, &cur) < 0)
			return -1;
	} else {
		p = f->spec;
		slash = p - 1; /* the first segment is looked up at the root */
	}
	while (slash) {
		p = slash + 1;
		slash = strchr(p, '/');
		seg = slash ? xstrndup(p, (size_t)(slash - p)) : xstrdup(p);
		if (find_child(gr, cur.id, seg, &next) < 0) {
			free(seg);
			graph_folder_free(&cur);
			return -1;
		}
		if (!next.id) {
			char *msg = xasprintf("folder \"%s\" not found in mailbox %s (no \"%s\" there)",
					      f->spec, gr->conf->mailbox, seg);
			note_error(gr, msg);
			free(msg);
			free(seg);
			graph_folder_free(&cur);
			return -1;
		}
		free(seg);
		graph_folder_free(&cur);
		cur = next;
	}
	f->id = cur.id;
	f->name = cur.name ? cur.name : xstrdup(f->spec);
	return 0;
}

/* The move target under the root: found, else created; an ErrorFolderExists answer
 * (another client was quicker, or a hidden folder) means it is there: look again. */
static int ensure_move_folder(struct grun *gr)
{
	struct sync_call c = {gr, "creating the move_to folder", "ErrorFolderExists", false, false, {0}};
	struct graph_folder f;
	json_t *body;
	char *text, *path;
	struct gerr err;
	int rc;

	if (gr->move_id)
		return 0;
	if (find_child(gr, NULL, gr->move_name, &f) < 0)
		return -1;
	if (!f.id) {
		body = json_pack("{s:s, s:b}", "displayName", gr->move_name, "isHidden", 0);
		text = json_dumps(body, JSON_COMPACT);
		json_decref(body);
		path = xasprintf("%s/mailFolders", gr->user_path);
		rc = call(&c, "POST", path, text);
		free(path);
		free(text);
		if (rc == 0) {
			rc = graph_parse_folder(c.body.data, c.body.len, &f, &err);
			if (rc < 0)
				note_error(gr, err.msg);
			else
				log_info("%s: created folder %s", gr->run->src->name, gr->move_name);
		} else if (c.got_expected) {
			rc = find_child(gr, NULL, gr->move_name, &f);
		}
		buf_free(&c.body);
		if (rc < 0 || !f.id) {
			if (rc == 0)
				note_error(gr, "move_to folder reported as existing but not found");
			return -1;
		}
	}
	gr->move_id = f.id;
	free(f.name);
	return 0;
}

/* ---- filing ------------------------------------------------------------------------- */

static json_t *origin_of(const struct grun *gr, const struct gfolder *f, const struct graph_message *m)
{
	json_t *g = json_object();

	json_object_set_new(g, "mailbox", json_string(gr->conf->mailbox));
	json_object_set_new(g, "folder", json_string(f->name));
	json_object_set_new(g, "id", json_string(m->id));
	if (m->internet_id)
		json_object_set_new(g, "message_id", json_string(m->internet_id));
	if (m->from)
		json_object_set_new(g, "from", json_string(m->from));
	if (m->subject)
		json_object_set_new(g, "subject", json_string(m->subject));
	json_object_set_new(g, "date", json_string(m->received));
	return json_pack("{s:o}", "graph", g);
}

static void account(struct grun *gr, struct gmsg *gm, const struct spool_result *res)
{
	struct run_stats *st = &gr->run->stats;

	switch (res->status) {
	case SPOOL_FILED:
		st->filed++;
		st->bytes += res->size;
		gm->taken++;
		log_info("%s: filed %s", gr->run->src->name, res->path);
		break;
	case SPOOL_DUPLICATE:
		st->duplicates++;
		gm->taken++;
		break;
	case SPOOL_QUARANTINED:
		st->quarantined++;
		log_warn("%s: quarantined %s: %s", gr->run->src->name, res->path,
			 res->reason ? res->reason : "refused");
		break;
	}
	if (gr->run->progress)
		gr->run->progress(gr->run);
}

static struct spool_doc *begin_doc(struct gatt *ga, const char *name, const char *source_id)
{
	struct grun *gr = ga->gm->gr;
	const struct source_conf *src = gr->run->src;
	struct doc_meta meta = {
		.source_name = src->name,
		.source_type = "graph",
		.company = src->company ? src->company->id : NULL,
		.name_hint = name,
		.source_id = source_id,
		.accept = &src->accept,
		.origin = ga->gm->origin,
	};

	return spool_begin(gr->run->spool, gr->run->dedupe, &meta, &ga->err);
}

static int commit_doc(struct gatt *ga, struct spool_doc *doc)
{
	struct spool_result res = {0};

	if (spool_commit(doc, &res, &ga->err) < 0)
		return -1;
	account(ga->gm->gr, ga->gm, &res);
	spool_result_free(&res);
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
	if (!ga->doc || spool_write(ga->doc, data, len, &ga->err) < 0) {
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

static int doc_sink(void *ctx, const void *data, size_t len, struct gerr *err)
{
	return spool_write(ctx, data, len, err);
}

/* One candidate file inside a forwarded message. */
static int item_part(void *ctx, const struct mime_part *part, const struct mime_body *body,
		     struct gerr *err)
{
	struct gatt *ga = ctx;
	char *sid = xasprintf("%s/%s/%s", ga->gm->m.id, ga->a->id, part->section);
	struct spool_doc *doc = begin_doc(ga, part->filename, sid);

	free(sid);
	if (!doc || mime_body_decode(body, doc_sink, doc, &ga->err) < 0) {
		if (doc)
			spool_abort(doc);
		return gerr_set(err, "%s", ga->err.msg);
	}
	if (commit_doc(ga, doc) < 0)
		return gerr_set(err, "%s", ga->err.msg);
	return 0;
}

static int walk_item(struct gatt *ga)
{
	struct stat st;
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
	rc = mime_walk_raw(map, (size_t)st.st_size, &ga->gm->gr->run->src->accept, item_part, ga,
			   &ga->err);
	munmap(map, (size_t)st.st_size);
	if (rc < 0 && !strcmp(ga->err.msg, "not a MIME message")) {
		log_warn("%s: forwarded message \"%s\" is not MIME; nothing taken from it",
			 ga->gm->gr->run->src->name, ga->a->name ? ga->a->name : "");
		return 0;
	}
	return rc;
}

static void remember(struct grun *gr, struct gmsg *gm)
{
	struct gerr err;
	struct gfolder *f = gm->f;

	if (dedupe_add_id(gr->run->dedupe, gm->m.id, &err) < 0) {
		note_error(gr, err.msg);
		return;
	}
	if (!f->done_until || strcmp(gm->m.received, f->done_until) > 0) {
		free(f->done_until);
		f->done_until = xstrdup(gm->m.received);
	}
}

static void msg_free(struct gmsg *gm)
{
	json_decref(gm->origin);
	free(gm->m.id);
	free(gm->m.internet_id);
	free(gm->m.subject);
	free(gm->m.from);
	free(gm->m.from_name);
	free(gm->m.received);
	for (size_t i = 0; i < gm->m.natts; i++) {
		free(gm->m.atts[i].id);
		free(gm->m.atts[i].name);
		free(gm->m.atts[i].content_type);
	}
	free(gm->m.atts);
	free(gm);
}

static void msg_failed(struct gmsg *gm)
{
	struct gfolder *f = gm->f;

	gm->gr->run->stats.failed++;
	if (!f->first_failed || strcmp(gm->m.received, f->first_failed) < 0) {
		free(f->first_failed);
		f->first_failed = xstrdup(gm->m.received);
	}
	msg_free(gm);
}

/* Every transfer of a message has ended. */
static void msg_done(struct gmsg *gm)
{
	struct grun *gr = gm->gr;

	if (gm->failed) {
		msg_failed(gm);
	} else if (gm->taken && gr->move_name) {
		gm->next = gr->to_move;
		gr->to_move = gm;
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
			note_error(gm->gr, ga->err.msg);
	} else if (ga->write_failed) {
		note_error(gm->gr, ga->err.msg);
	} else {
		char *what = xasprintf("attachment \"%s\" of \"%s\"", ga->a->name ? ga->a->name : "",
				       gm->m.subject ? gm->m.subject : "");
		req_failed(gm->gr, req, what);
		free(what);
	}
	if (ga->doc)
		spool_abort(ga->doc);
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
	if (c->senders.len == 0)
		return true;
	for (size_t i = 0; from && i < c->senders.len; i++)
		if (wildcard_match(c->senders.items[i], from))
			return true;
	return false;
}

static void fetch_attachment(struct grun *gr, struct gmsg *gm, const struct graph_attachment *a)
{
	struct gatt *ga = xcalloc(1, sizeof(*ga));
	char *mid = graph_escape(gm->m.id), *aid = graph_escape(a->id);
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

	if (dedupe_has_id(gr->run->dedupe, m->id))
		return; /* seen in an earlier run */
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
		req_failed(gm->gr, req, "moving a message");
		msg_failed(gm);
	}
	graph_error_free(&e);
}

static int move_taken(struct grun *gr)
{
	struct gmsg *gm, *next;
	struct gerr err;
	json_t *body;
	bool np;

	if (!gr->to_move)
		return 0;
	if (ensure_move_folder(gr) < 0) {
		for (gm = gr->to_move; gm; gm = next) {
			next = gm->next;
			msg_failed(gm);
		}
		gr->to_move = NULL;
		return -1;
	}
	body = json_pack("{s:s}", "destinationId", gr->move_id);
	for (gm = gr->to_move; gm; gm = next) {
		char *mid = graph_escape(gm->m.id), *path = xasprintf("%s/messages/%s/move", gr->user_path, mid);
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
	if (graph_run(gr->gc, &np, &err) < 0) {
		gr->needs_person |= np;
		gr->fatal = true;
		note_error(gr, err.msg);
		return -1;
	}
	return 0;
}

/* ---- folders, pages, state ---------------------------------------------------------- */

static const char list_select[] =
	"$select=id,internetMessageId,subject,from,receivedDateTime"
	"&$expand=attachments($select=id,name,contentType,size,isInline)";

static char *first_page(const struct grun *gr, const struct gfolder *f)
{
	char *filter = xasprintf("receivedDateTime ge %s", f->watermark);
	char *ef = graph_escape(filter);
	char *path = xasprintf("%s/mailFolders/%s/messages?$filter=%s"
			       "&$orderby=receivedDateTime%%20asc&%s&$top=%d",
			       gr->user_path, f->id, ef, list_select, PAGE_SIZE_MSGS);

	free(filter);
	free(ef);
	return path;
}

/* The watermark after the pages done so far: before the first failure, else after the
 * last message listed. */
static void advance_watermark(struct gfolder *f, const char *last_listed)
{
	const char *wm = f->first_failed ? f->first_failed : last_listed;

	if (wm && strcmp(wm, f->watermark) > 0) {
		free(f->watermark);
		f->watermark = xstrdup(wm);
	}
}

/* One page: take its messages, move what was taken. Returns the next link or NULL. */
static char *do_page(struct grun *gr, struct gfolder *f, const char *url, bool *ok)
{
	struct sync_call c = {gr, "message list", NULL, false, false, {0}};
	struct graph_page page;
	struct gerr err;
	char *next = NULL;
	bool np;

	*ok = false;
	if (call(&c, "GET", url, NULL) < 0)
		return NULL;
	if (graph_parse_messages(c.body.data, c.body.len, &page, &err) < 0) {
		char *msg = xasprintf("message list of %s: %s", f->spec, err.msg);

		note_error(gr, msg);
		free(msg);
		buf_free(&c.body);
		return NULL;
	}
	buf_free(&c.body);
	for (size_t i = 0; i < page.nmsgs; i++)
		take_message(gr, f, &page.msgs[i]);
	if (graph_run(gr->gc, &np, &err) < 0) {
		gr->needs_person |= np;
		gr->fatal = true;
		note_error(gr, err.msg);
	} else if (move_taken(gr) == 0 && !gr->fatal) {
		*ok = true;
		if (page.nmsgs)
			advance_watermark(f, page.msgs[page.nmsgs - 1].received);
		next = page.next_link ? xstrdup(page.next_link) : NULL;
	}
	graph_page_free(&page);
	if (next && !str_starts_with(next, gr->conf->graph_url)) {
		char *msg = xasprintf("message list of %s: next page link outside %s refused", f->spec,
				      gr->conf->graph_url);

		note_error(gr, msg);
		free(msg);
		free(next);
		*ok = false;
		next = NULL;
	}
	return next;
}

static json_t *folder_state(struct grun *gr, const struct gfolder *f)
{
	json_t *folders = json_object_get(gr->state, "folders");

	if (!folders) {
		folders = json_object();
		json_object_set_new(gr->state, "folders", folders);
	}
	return json_object_get(folders, f->spec);
}

static void process_folder(struct grun *gr, struct gfolder *f)
{
	json_t *st;
	const char *wm;
	char *url;
	bool ok = true;

	if (resolve_folder(gr, f) < 0)
		return;
	st = folder_state(gr, f);
	wm = json_string_value(json_object_get(st, "watermark"));
	if (!wm || !st || strcmp(json_string_value(json_object_get(st, "id")) ?: "", f->id))
		wm = FIRST_WATERMARK; /* new, or the folder was recreated */
	f->watermark = xstrdup(wm);
	url = first_page(gr, f);
	while (url && ok && !gr->fatal) {
		char *next = do_page(gr, f, url, &ok);

		free(url);
		url = next;
	}
	free(url);
	json_object_set_new(json_object_get(gr->state, "folders"), f->spec,
			    json_pack("{s:s, s:s}", "id", f->id, "watermark", f->watermark));
}

static char *state_path(const struct grun *gr)
{
	return path_join(gr->run->state_dir, "graph-folders.json");
}

static void state_load(struct grun *gr)
{
	char *path = state_path(gr);

	gr->state = json_load_file(path, 0, NULL);
	if (!json_is_object(gr->state)) {
		json_decref(gr->state);
		gr->state = json_object();
	}
	free(path);
}

static void state_save(struct grun *gr)
{
	char *path = state_path(gr), *text = json_dumps(gr->state, JSON_INDENT(1) | JSON_SORT_KEYS);
	struct gerr err;

	if (write_file_atomic(path, text, strlen(text), 0600, &err) < 0)
		note_error(gr, err.msg);
	free(text);
	free(path);
}

/* ---- the run ------------------------------------------------------------------------ */

/* Sign in (token_cache may be NULL). */
static int setup(struct grun *gr, struct source_run *run, const char *token_cache)
{
	const struct graph_conf *c = run->src->typed;
	struct graph_client_conf cc = {0};
	char *mb;
	bool np;

	gr->run = run;
	gr->conf = c;
	if (secret_resolve(&c->client_secret, &gr->secret, &run->err) < 0)
		return -1;
	cc.login_url = c->login_url;
	cc.graph_url = c->graph_url;
	cc.tenant = c->tenant;
	cc.client_id = c->client_id;
	cc.secret = gr->secret;
	cc.ca_file = c->ca_file;
	cc.user_agent = run->cfg->agent.user_agent;
	gr->token_cache = token_cache ? xstrdup(token_cache) : NULL;
	cc.token_cache = gr->token_cache;
	gr->gc = graph_client_new(&cc);
	mb = graph_escape(c->mailbox);
	gr->user_path = xasprintf("/v1.0/users/%s", mb);
	free(mb);
	if (c->move_to)
		gr->move_name = graph_move_folder_name(c->move_to, time(NULL));
	if (graph_token_get(gr->gc, &np, &run->err) < 0) {
		gr->needs_person = np;
		return -1;
	}
	return 0;
}

static void teardown(struct grun *gr)
{
	graph_client_free(gr->gc);
	free_secret(gr->secret);
	free(gr->token_cache);
	free(gr->user_path);
	free(gr->move_name);
	free(gr->move_id);
	json_decref(gr->state);
}

static enum run_outcome graph_run_source(struct source_run *run)
{
	const struct graph_conf *c = run->src->typed;
	struct grun gr = {0};
	enum run_outcome out;
	struct gfolder *folders;

	char *cache = path_join(run->state_dir, "graph-token.json");
	int rc = setup(&gr, run, cache);

	free(cache);
	if (rc < 0) {
		out = gr.needs_person ? RUN_NEEDS_PERSON : RUN_FAILED;
		teardown(&gr);
		return out;
	}
	state_load(&gr);
	folders = xcalloc(c->folders.len + 1, sizeof(*folders));
	for (size_t i = 0; i < c->folders.len && !gr.fatal; i++) {
		folders[i].spec = c->folders.items[i];
		process_folder(&gr, &folders[i]);
	}
	state_save(&gr);
	for (size_t i = 0; i < c->folders.len; i++) {
		free(folders[i].id);
		free(folders[i].name);
		free(folders[i].watermark);
		free(folders[i].done_until);
		free(folders[i].first_failed);
	}
	free(folders);
	log_debug("%s: %lu HTTP requests", run->src->name, graph_request_count(gr.gc));
	if (gr.fatal)
		out = gr.needs_person ? RUN_NEEDS_PERSON : RUN_FAILED;
	else
		out = gr.errors ? RUN_PARTIAL : RUN_OK;
	teardown(&gr);
	return out;
}

enum run_outcome graph_check_access(const struct config *cfg, const struct source_conf *src,
				    struct gerr *err)
{
	struct source_run run = {.cfg = cfg, .src = src};
	struct grun gr = {0};
	struct graph_folder f = {0};
	enum run_outcome out = RUN_OK;

	if (setup(&gr, &run, NULL) < 0 || get_well_known(&gr, "inbox", &f) < 0)
		out = gr.needs_person ? RUN_NEEDS_PERSON : RUN_FAILED;
	graph_folder_free(&f);
	teardown(&gr);
	*err = run.err;
	return out;
}

static int graph_validate(struct cf_ctx *ctx, yaml_node_t *node, struct source_conf *src)
{
	const struct graph_conf *c = src->typed;

	int rc = 0;

	if (c->login_url && !str_starts_with(c->login_url, "https://"))
		rc = cf_error(ctx, cf_get(ctx, node, "login_url"), "login_url: '%s' must start with https://",
			      c->login_url);
	if (c->graph_url && !str_starts_with(c->graph_url, "https://"))
		rc = cf_error(ctx, cf_get(ctx, node, "graph_url"), "graph_url: '%s' must start with https://",
			      c->graph_url);
	if (c->move_to && (!*c->move_to || strchr(c->move_to, '/')))
		rc = cf_error(ctx, cf_get(ctx, node, "move_to"),
			      "move_to: '%s' must be one folder name (it is made under the mailbox root)",
			      c->move_to);
	return rc;
}

const struct source_type source_type_graph = {
	.name = "graph",
	.fields = graph_fields,
	.conf_size = sizeof(struct graph_conf),
	.validate = graph_validate,
	.default_accept = "pdf",
	.default_times = graph_default_times,
	.run = graph_run_source,
};
