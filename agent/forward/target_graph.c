/* target_graph — the `graph` delivery target (see target.h): documents sent as mail from
 * a Microsoft 365 mailbox through Microsoft Graph, with the app registration the graph
 * source uses (client-credentials flow, core/oauth.h; the token file in the route's
 * state directory), so an office on Microsoft 365 needs no SMTP.
 *
 * One delivery (a document, or a pass's batch) is one message (mailparts.h: documents,
 * body, subject), sent one of two ways, as Microsoft documents them:
 *   small  attachments under GRAPH_SMALL_MAX bytes in all: one POST /users/{from}/sendMail
 *          with the message and its fileAttachments as JSON (202 Accepted; needs the
 *          Application permission Mail.Send)
 *   large  "Attach large files to Outlook messages": a draft (POST /users/{from}/messages),
 *          each attachment under GRAPH_SMALL_MAX by POST .../messages/{id}/attachments,
 *          each larger one through an upload session (POST .../attachments/
 *          createUploadSession, then PUTs of GRAPH_CHUNK bytes with Content-Range to the
 *          pre-authenticated uploadUrl, which never gets the bearer token), then POST
 *          .../messages/{id}/send (Mail.ReadWrite for the draft, Mail.Send to send it); a
 *          draft left by a failure is deleted
 * Outcomes as for SMTP: DELIVERED on 202; DELIVER_RETRY on no answer, 429, 5xx, with the
 * server's Retry-After in job->retry_after_ms; DELIVER_FAILED when a person must act
 * (the sign-in or the permission refused: the message names the permission and the
 * admin-consent link; the mailbox unknown; a request Graph calls wrong). A token Graph
 * refuses is replaced once. */
#include <curl/curl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/base64.h"
#include "core/net.h"
#include "core/oauth.h"
#include "core/secret.h"
#include "core/template.h"
#include "formats/grapherr.h"
#include "forward/mailparts.h"
#include "forward/route.h"
#include "forward/target.h"

/* Attachments below this (bytes, in all for sendMail, each for the draft) go inside the
 * request: Base64 makes 3 MB into 4 MB, Graph's request limit. Larger ones go through an
 * upload session, which Graph refuses for less than 3 MB. */
#define GRAPH_SMALL_MAX 3000000
/* One PUT of an upload session: a multiple of 320 KiB (as the Graph SDKs slice) under the
 * 4 MB Microsoft advises for Outlook attachments. */
#define GRAPH_CHUNK (10 * 320 * 1024)
#define ANSWER_MAX (64 * 1024)

struct graph_target {
	struct strlist to;
	char *from;               /* the sending mailbox: address (UPN) or object id */
	struct oauth_ms_app app;  /* the app registration's keys (core/oauth.h) */
	char *subject, *body;
	int batch;                /* enum email_batch */
	bool save_to_sent;
	uint64_t max_size;
	int64_t timeout;
	/* set by validate */
	struct tmpl *subject_t, *body_t;
};

/* ---- one HTTP exchange ------------------------------------------------------------------ */

struct answer {
	long status;
	struct buf body;          /* up to ANSWER_MAX */
	int64_t retry_after_ms;   /* -1: none */
};

static size_t keep_body(char *data, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;
	if (b->len + size * n <= ANSWER_MAX)
		buf_append(b, data, size * n);
	return size * n;
}

static size_t keep_retry_after(char *data, size_t size, size_t n, void *arg)
{
	struct answer *a = arg;
	size_t len = size * n;
	if (len > 12 && strncasecmp(data, "Retry-After:", 12) == 0) {
		char *value = xstrndup(data + 12, len - 12);
		a->retry_after_ms = net_retry_after(value, time(NULL));
		free(value);
	}
	return len;
}

/* method url with body (may be NULL) of ctype; the bearer token when given (never to an
 * upload URL), a Content-Range when given. -1 with err (net_error) when no answer came. */
static int exchange(const struct graph_target *g, const char *method, const char *url,
		    const char *token, const char *ctype, const char *body, size_t len,
		    const char *range, struct answer *a, struct gerr *err)
{
	CURL *c = curl_easy_init();
	if (!c)
		return gerr_setk(err, GERR_TEMPORARY, "cannot start libcurl");
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *h = curl_slist_append(NULL, "Expect:");
	if (token) {
		char *auth = xasprintf("Authorization: Bearer %s", token);
		h = curl_slist_append(h, auth);
		free_secret(auth);
	}
	char *hct = ctype ? xasprintf("Content-Type: %s", ctype) : NULL;
	char *hrange = range ? xasprintf("Content-Range: %s", range) : NULL;
	if (hct)
		h = curl_slist_append(h, hct);
	if (hrange)
		h = curl_slist_append(h, hrange);
	const struct net_opts o = {.protocols = "https", .ca_file = g->app.ca_file,
				   .timeout_s = (long)g->timeout, .stall_s = 60};
	net_setup(c, &o);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body || strcmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? len : 0));
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &a->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, keep_retry_after);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, a);
	a->status = 0;
	a->body.len = 0;
	a->retry_after_ms = -1;
	CURLcode rc = curl_easy_perform(c);
	int ret = 0;
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
	else
		ret = net_error(err, c, rc, errbuf, "Microsoft Graph");
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	free(hct);
	free(hrange);
	return ret;
}

/* ---- a sending: the token, requests, what their answers mean -------------------------------- */

struct sending {
	const struct graph_target *g;
	const char *route;
	struct oauth_client oc;
	struct oauth_owned own;
	char *secret;
	char *store;              /* the token file */
	char *token;
	bool fresh;               /* the token was asked for anew after a refusal */
	bool large;               /* a draft: Mail.ReadWrite needed too */
	char *base;               /* <graph_url>/v1.0/users/<from> */
	int64_t retry_after_ms;
};

static enum deliver_status by_kind(const struct gerr *err)
{
	return err->kind == GERR_TEMPORARY ? DELIVER_RETRY : DELIVER_FAILED;
}

static enum deliver_status sending_start(struct sending *s, const struct target_job *job,
					 struct gerr *err)
{
	const struct graph_target *g = job->conf;
	s->g = g;
	s->route = job->route;
	char *from = curl_easy_escape(NULL, g->from, 0);
	s->base = xasprintf("%s/v1.0/users/%s", g->app.graph_url, from);
	curl_free(from);
	if (secret_resolve(&g->app.client_secret, &s->secret, err) < 0) {
		gerr_prefix(err, "client_secret");
		return DELIVER_FAILED;
	}
	if (mkdir_p(job->state_dir, 0700, err) < 0)
		return DELIVER_RETRY;
	s->store = path_join(job->state_dir, OAUTH_TOKEN_FILE);
	oauth_ms_app_client(&g->app, s->secret, s->store, &s->oc, &s->own);
	return DELIVERED;
}

static void sending_end(struct sending *s)
{
	oauth_owned_free(&s->own);
	free_secret(s->secret);
	free_secret(s->token);
	free(s->store);
	free(s->base);
}

/* " [code] (message) request-id ..." of a Graph error answer. */
static void error_details(struct buf *b, const struct graph_error *e)
{
	if (e->code)
		buf_printf(b, " [%s]", e->code);
	if (e->message)
		buf_printf(b, " (%.300s)", e->message);
	if (e->request_id)
		buf_printf(b, " request-id %s", e->request_id);
}

/* What a refused request needs: the permission, consented by an administrator. */
static void permission_hint(struct buf *b, const struct sending *s)
{
	const struct oauth_ms_app *app = &s->g->app;
	char *consent = oauth_admin_consent_url(app->login_url, app->tenant, app->client_id,
						app->redirect_uri);
	buf_printf(b, "; the app registration %s needs the Application permission %s (Microsoft Graph) with admin consent: an administrator of the tenant opens %s and accepts; an application access policy may also exclude the mailbox %s",
		   app->client_id,
		   s->large ? "Mail.Send and, for a message over 3 MB, Mail.ReadWrite" : "Mail.Send",
		   consent, s->g->from);
	free(consent);
}

/* The outcome of a Graph answer that is not 2xx. */
static enum deliver_status refused(struct sending *s, const struct answer *a, const char *what,
				   struct gerr *err)
{
	struct graph_error e;
	struct buf b = {0};
	enum gerr_kind kind = GERR_NEEDS_PERSON;

	graph_parse_error(a->body.data, a->body.len, &e);
	buf_printf(&b, "Microsoft Graph %s: HTTP %ld", what, a->status);
	error_details(&b, &e);
	if (net_status_transient(a->status)) {
		kind = GERR_TEMPORARY;
		s->retry_after_ms = a->retry_after_ms > 0 ? a->retry_after_ms : 0;
		buf_puts(&b, a->retry_after_ms >= 0 ? "; retried after the server's Retry-After"
						    : "; retried later");
	} else if (a->status == 401) {
		buf_puts(&b, "; a new access token was refused too");
		permission_hint(&b, s);
	} else if (a->status == 403) {
		permission_hint(&b, s);
	} else if (a->status == 404 && (graph_error_is(&e, "ErrorInvalidUser") ||
					graph_error_is(&e, "MailboxNotEnabledForRESTAPI") ||
					graph_error_is(&e, "MailboxNotFound"))) {
		buf_printf(&b, "; set `from` to the sending mailbox's address (UPN) or object id (now %s); the user needs an Exchange Online licence",
			   s->g->from);
	} else {
		kind = GERR_PERMANENT;
	}
	gerr_setk(err, kind, "%s", b.data);
	buf_free(&b);
	graph_error_free(&e);
	return kind == GERR_TEMPORARY ? DELIVER_RETRY : DELIVER_FAILED;
}

/* A Graph request below the user (path "/sendMail") with the bearer token, once more
 * with a new token when Graph refuses it. DELIVERED for a 2xx answer (in a). */
static enum deliver_status api(struct sending *s, const char *method, const char *path,
			       const json_t *body, const char *what, struct answer *a,
			       struct gerr *err)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	char *url = xasprintf("%s%s", s->base, path);
	enum deliver_status st;

	for (;;) {
		if (!s->token && oauth_access_token(&s->oc, s->fresh, &s->token, NULL, err) < 0) {
			gerr_prefix(err, "Microsoft Graph sign-in (tenant %s, app %s)", s->g->app.tenant,
				    s->g->app.client_id);
			st = by_kind(err);
			break;
		}
		if (exchange(s->g, method, url, s->token, text ? "application/json" : NULL, text,
			     text ? strlen(text) : 0, NULL, a, err) < 0) {
			st = by_kind(err);
			break;
		}
		if (a->status == 401 && !s->fresh) {
			s->fresh = true;
			free_secret(s->token);
			s->token = NULL;
			continue;
		}
		st = a->status >= 200 && a->status < 300 ? DELIVERED : refused(s, a, what, err);
		break;
	}
	free(url);
	free(text);
	return st;
}

/* ---- the message as Graph's JSON ------------------------------------------------------------ */

static json_t *file_attachment(const struct mail_attachment *att)
{
	char *bytes = b64_encode(att->data, att->len);
	json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "@odata.type", "#microsoft.graph.fileAttachment",
			      "name", att->filename, "contentType", att->media_type, "contentBytes",
			      bytes);
	free(bytes);
	return j;
}

/* The message resource; attachments inside when `with_attachments`. */
static json_t *message_json(const struct graph_target *g, const char *subject,
			    const struct mail_parts *p, size_t natt, bool with_attachments)
{
	json_t *to = json_array();
	for (size_t i = 0; i < g->to.len; i++)
		json_array_append_new(to, json_pack("{s:{s:s}}", "emailAddress", "address",
						    g->to.items[i]));
	json_t *m = json_pack("{s:s, s:{s:s, s:s}, s:o}", "subject", subject, "body", "contentType",
			      "Text", "content", p->body.data ? p->body.data : "", "toRecipients", to);
	if (with_attachments && natt) {
		json_t *atts = json_array();
		for (size_t i = 0; i < natt; i++)
			json_array_append_new(atts, file_attachment(&p->att[i]));
		json_object_set_new(m, "attachments", atts);
	}
	return m;
}

/* ---- small: one sendMail ---------------------------------------------------------------------- */

static enum deliver_status send_small(struct sending *s, const char *subject,
				      const struct mail_parts *p, size_t natt, struct gerr *err)
{
	struct answer a = {0};
	json_t *req = json_pack("{s:o}", "message", message_json(s->g, subject, p, natt, true));
	if (!s->g->save_to_sent) /* "Specify it only if the parameter is false" */
		json_object_set_new(req, "saveToSentItems", json_false());
	enum deliver_status st = api(s, "POST", "/sendMail", req, "sendMail", &a, err);
	json_decref(req);
	buf_free(&a.body);
	return st;
}

/* ---- large: a draft, its attachments, send -------------------------------------------------- */

/* PUT the bytes to the upload URL in order, from where the server expects them. */
static enum deliver_status put_chunks(struct sending *s, const char *upload_url,
				      const struct mail_attachment *att, struct gerr *err)
{
	struct answer a = {0};
	enum deliver_status st = DELIVER_RETRY;
	size_t off = 0;

	while (off < att->len) {
		size_t n = att->len - off < GRAPH_CHUNK ? att->len - off : GRAPH_CHUNK;
		char range[96];
		snprintf(range, sizeof range, "bytes %zu-%zu/%zu", off, off + n - 1, att->len);
		if (exchange(s->g, "PUT", upload_url, NULL, "application/octet-stream",
			     (const char *)att->data + off, n, range, &a, err) < 0) {
			st = by_kind(err);
			break;
		}
		if (a.status == 201) { /* the last byte is in: the attachment is made */
			st = DELIVERED;
			break;
		}
		if (a.status == 401 || a.status == 404) { /* the session's URL expired */
			gerr_setk(err, GERR_TEMPORARY, "Microsoft Graph upload of %s: HTTP %ld, the upload session is gone; started again later",
				  att->filename, a.status);
			break;
		}
		if (a.status != 200) {
			st = refused(s, &a, "upload of an attachment", err);
			break;
		}
		long long next = graph_next_expected(a.body.data, a.body.len);
		if (next <= (long long)off || next >= (long long)att->len) {
			gerr_setk(err, GERR_TEMPORARY, "Microsoft Graph upload of %s: after bytes %zu-%zu the server expects %lld",
				  att->filename, off, off + n - 1, next);
			break;
		}
		off = (size_t)next;
	}
	buf_free(&a.body);
	return st;
}

static enum deliver_status attach_large(struct sending *s, const char *msg_path,
					const struct mail_attachment *att, struct gerr *err)
{
	struct answer a = {0};
	char *path = xasprintf("%s/attachments/createUploadSession", msg_path);
	json_t *req = json_pack("{s:{s:s, s:s, s:I, s:s}}", "AttachmentItem", "attachmentType",
				"file", "name", att->filename, "size", (json_int_t)att->len,
				"contentType", att->media_type);
	enum deliver_status st = api(s, "POST", path, req, "createUploadSession", &a, err);
	if (st == DELIVERED) {
		char *url = graph_answer_string(a.body.data, a.body.len, "uploadUrl");
		if (url && str_starts_with(url, "https://")) {
			st = put_chunks(s, url, att, err);
		} else {
			gerr_setk(err, GERR_TEMPORARY, "Microsoft Graph createUploadSession: the answer has no https uploadUrl");
			st = DELIVER_RETRY;
		}
		free(url);
	}
	json_decref(req);
	free(path);
	buf_free(&a.body);
	return st;
}

static enum deliver_status attach(struct sending *s, const char *msg_path,
				  const struct mail_attachment *att, struct gerr *err)
{
	if (att->len >= GRAPH_SMALL_MAX)
		return attach_large(s, msg_path, att, err);
	struct answer a = {0};
	char *path = xasprintf("%s/attachments", msg_path);
	json_t *req = file_attachment(att);
	enum deliver_status st = api(s, "POST", path, req, "add attachment", &a, err);
	json_decref(req);
	free(path);
	buf_free(&a.body);
	return st;
}

static enum deliver_status send_large(struct sending *s, const char *subject,
				      const struct mail_parts *p, size_t natt, struct gerr *err)
{
	struct answer a = {0};
	s->large = true;
	json_t *draft = message_json(s->g, subject, p, natt, false);
	enum deliver_status st = api(s, "POST", "/messages", draft, "create draft", &a, err);
	json_decref(draft);
	char *id = st == DELIVERED ? graph_answer_string(a.body.data, a.body.len, "id") : NULL;
	if (st == DELIVERED && !id) {
		gerr_setk(err, GERR_TEMPORARY, "Microsoft Graph create draft: the answer has no id");
		st = DELIVER_RETRY;
	}
	if (id) {
		char *esc = curl_easy_escape(NULL, id, 0);
		char *msg_path = xasprintf("/messages/%s", esc);
		curl_free(esc);
		for (size_t i = 0; st == DELIVERED && i < natt; i++)
			st = attach(s, msg_path, &p->att[i], err);
		if (st == DELIVERED) {
			char *send = xasprintf("%s/send", msg_path);
			st = api(s, "POST", send, NULL, "send draft", &a, err);
			free(send);
		}
		if (st != DELIVERED) { /* leave no half-made draft behind */
			struct gerr ignored = {0};
			api(s, "DELETE", msg_path, NULL, "delete draft", &a, &ignored);
		}
		free(msg_path);
	}
	free(id);
	buf_free(&a.body);
	return st;
}

/* ---- one delivery ----------------------------------------------------------------------------- */

static enum deliver_status send_graph(const struct target_job *job,
				      const struct sidecar *const *scs, size_t n, char **where,
				      int64_t *window_ms, struct gerr *err)
{
	const struct graph_target *g = job->conf;
	struct mail_parts p = {0};
	struct sending s = {0};
	enum deliver_status st = mail_parts_load(scs, n, g->max_size, g->body_t, &p, err);
	if (st == DELIVERED)
		st = sending_start(&s, job, err);
	if (st == DELIVERED) {
		char *files;
		char *subject = mail_parts_subject(g->subject_t, scs, n, &files);
		size_t natt = p.inline_text ? 0 : n, total = 0;
		for (size_t i = 0; i < natt; i++)
			total += p.att[i].len;
		st = total < GRAPH_SMALL_MAX ? send_small(&s, subject, &p, natt, err)
					     : send_large(&s, subject, &p, natt, err);
		if (st == DELIVERED)
			*where = xasprintf("%s via Microsoft Graph from %s (%zu document%s in %s%s)",
					   g->to.items[0], g->from, n, n == 1 ? "" : "s", files,
					   s.large ? ", upload session" : "");
		*window_ms = s.retry_after_ms;
		free(subject);
		free(files);
	}
	sending_end(&s);
	mail_parts_free(&p, n);
	return st;
}

/* ---- settings ------------------------------------------------------------------------------ */

static const char *const batch_names[] = {"document", "run", NULL};

#define GRAPH(f) offsetof(struct graph_target, f)
static const struct cf_field graph_fields[] = {
	{.key = "to", .type = CF_STRLIST, .offset = GRAPH(to), .flags = CF_REQUIRED,
	 .help = "recipient address(es)"},
	{.key = "from", .type = CF_STRING, .offset = GRAPH(from), .flags = CF_REQUIRED,
	 .help = "the Microsoft 365 mailbox that sends: user address (UPN) or object id"},
	OAUTH_MS_APP_FIELDS(GRAPH(app)),
	{.key = "subject", .type = CF_STRING, .offset = GRAPH(subject),
	 .dflt = MAIL_DEFAULT_SUBJECT, .help = "subject template"},
	{.key = "body", .type = CF_STRING, .offset = GRAPH(body),
	 .dflt = MAIL_DEFAULT_BODY, .help = "body template"},
	{.key = "batch", .type = CF_ENUM, .offset = GRAPH(batch), .dflt = "document",
	 .enum_values = batch_names,
	 .help = "document: one mail per document; run: one mail per forwarding pass"},
	{.key = "save_to_sent", .type = CF_BOOL, .offset = GRAPH(save_to_sent), .dflt = "true",
	 .help = "keep a copy in the mailbox's Sent Items"},
	{.key = "max_size", .type = CF_SIZE, .offset = GRAPH(max_size), .dflt = "35MB",
	 .help = "largest message to send (Exchange Online's default limit is 35 MB; a larger document is a permanent failure)"},
	{.key = "timeout", .type = CF_DURATION, .offset = GRAPH(timeout), .dflt = "5m",
	 .help = "time limit of one request to Microsoft Graph"},
	CF_END,
};

static void graph_validate(struct cf_ctx *ctx, yaml_node_t *tnode, void *conf)
{
	struct graph_target *g = conf;
	mail_settings_validate(ctx, tnode, &g->to, g->subject, g->body, &g->subject_t,
			       &g->body_t);
	if (g->from && (!*g->from || strchr(g->from, '/') || strpbrk(g->from, " \t\r\n")))
		cf_error(ctx, cf_get(ctx, tnode, "from"),
			 "from: '%s' is neither a mailbox address (UPN) nor an object id", g->from);
	oauth_ms_app_validate(ctx, tnode, &g->app);
}

static void graph_release_conf(void *conf)
{
	struct graph_target *g = conf;
	tmpl_free(g->subject_t);
	tmpl_free(g->body_t);
}

static void graph_fingerprint(const void *conf, struct buf *b)
{
	const struct graph_target *g = conf;
	buf_printf(b, "G%s|%s|%s|%d|", g->from, g->app.tenant, g->app.client_id, g->batch);
	mail_recipients_fingerprint(b, &g->to);
}

static char *graph_describe(const void *conf)
{
	const struct graph_target *g = conf;
	return xasprintf("graph to %s from %s", g->to.len ? g->to.items[0] : "?", g->from);
}

/* ---- the steps ----------------------------------------------------------------------------- */

static bool graph_batched(const void *conf)
{
	return ((const struct graph_target *)conf)->batch == BATCH_RUN;
}

static bool graph_fits(const void *conf, const struct sidecar *scs, size_t n)
{
	return mail_parts_fit(scs, n, ((const struct graph_target *)conf)->max_size);
}

static enum deliver_status graph_prepare(struct target_job *job, struct gerr *err)
{
	return mail_parts_check(job->sc, ((const struct graph_target *)job->conf)->max_size, err);
}

static void graph_deliver(struct target_job *const *jobs, size_t n, enum deliver_status *st,
			  struct gerr *errs)
{
	mail_deliver_as_one(jobs, n, st, errs, send_graph);
}

const struct target_type target_graph = {
	.key = "graph",
	.help = "deliver by e-mail from a Microsoft 365 mailbox (Microsoft Graph sendMail)",
	.fields = graph_fields,
	.conf_size = sizeof(struct graph_target),
	.validate = graph_validate,
	.release_conf = graph_release_conf,
	.fingerprint = graph_fingerprint,
	.describe = graph_describe,
	.batched = graph_batched,
	.fits = graph_fits,
	.prepare = graph_prepare,
	.deliver = graph_deliver,
};
