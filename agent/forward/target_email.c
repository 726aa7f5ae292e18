/* target_email — the `email` delivery target (see target.h): the documents of one
 * delivery (one, or a pass's batch) are assembled into one message here (mailmsg.h
 * builds the MIME text; an alert's text becomes the body instead of an attachment) and
 * sent in one SMTP session through libcurl (core/net.h). prepare only checks that the
 * document fits in a message of max_size; deliver reads the documents and sends. */
#include <curl/curl.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/net.h"
#include "core/secret.h"
#include "forward/mailmsg.h"
#include "forward/route.h"
#include "forward/target.h"
#include "core/template.h"

#define ALERT_BODY_MAX (64 * 1024)

struct reader {
	const char *data;
	size_t len, off;
};

static size_t read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct reader *r = arg;
	size_t n = size * nitems;
	if (n > r->len - r->off)
		n = r->len - r->off;
	memcpy(buf, r->data + r->off, n);
	r->off += n;
	return n;
}

static enum deliver_status classify(CURLcode rc, long smtp_code)
{
	if (smtp_code >= 500)
		return DELIVER_FAILED;
	if (smtp_code >= 400)
		return DELIVER_RETRY;
	switch (rc) {
	case CURLE_LOGIN_DENIED:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_USE_SSL_FAILED:
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return DELIVER_FAILED;
	default:
		return DELIVER_RETRY;
	}
}

static enum deliver_status email_send(const struct route_email_target *e, const char *message,
				      size_t len, struct gerr *err)
{
	char *password = NULL;
	if (e->password.kind != SECRET_NONE && secret_resolve(&e->password, &password, err) < 0) {
		gerr_prefix(err, "SMTP password");
		return DELIVER_FAILED;
	}
	CURL *c = curl_easy_init();
	if (!c) {
		free_secret(password);
		gerr_set(err, "cannot start libcurl");
		return DELIVER_RETRY;
	}
	char errbuf[CURL_ERROR_SIZE] = "";
	char *url = xasprintf("%s://%s:%ld", e->security == EMAIL_SSL ? "smtps" : "smtp", e->server,
			      e->port);
	char *from = xasprintf("<%s>", e->from);
	struct curl_slist *rcpt = NULL;
	for (size_t i = 0; i < e->to.len; i++) {
		char *r = xasprintf("<%s>", e->to.items[i]);
		rcpt = curl_slist_append(rcpt, r);
		free(r);
	}
	struct reader rd = {message, len, 0};
	const struct net_opts o = {.protocols = "smtp,smtps", .ca_file = e->ca_file,
				   .timeout_s = (long)e->timeout};
	net_setup(c, &o);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	if (e->security == EMAIL_STARTTLS)
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (e->user) {
		curl_easy_setopt(c, CURLOPT_USERNAME, e->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, password ? password : "");
	}
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &rd);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	CURLcode rc = curl_easy_perform(c);
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	enum deliver_status st = DELIVERED;
	if (rc != CURLE_OK) {
		st = classify(rc, code);
		if (code)
			gerr_set(err, "SMTP %s:%ld: server replied %ld (%s)", e->server, e->port, code,
				 errbuf[0] ? errbuf : curl_easy_strerror(rc));
		else
			gerr_set(err, "SMTP %s:%ld: %s", e->server, e->port,
				 errbuf[0] ? errbuf : curl_easy_strerror(rc));
	}
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
	free(url);
	free(from);
	free_secret(password);
	return st;
}

/* ---- the message ----------------------------------------------------------------------------- */

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

static enum deliver_status load_parts(const struct route_email_target *e,
				      const struct sidecar *const *scs, size_t n,
				      struct mail_parts *p, struct gerr *err)
{
	const char *missing;
	p->att = xcalloc(n, sizeof(*p->att));
	p->data = xcalloc(n, sizeof(*p->data));
	p->hashes = xcalloc(n, sizeof(*p->hashes));
	p->inline_text = n == 1 && is_alert_text(scs[0]);
	for (size_t i = 0; i < n; i++) {
		size_t len = 0;
		if (read_file(scs[i]->docpath, e->max_size, &p->data[i], &len, err) < 0)
			return errno == ENOENT ? DELIVER_FAILED : DELIVER_RETRY;
		const char *mt = json_string_value(json_object_get(scs[i]->root, "media_type"));
		p->att[i] = (struct mail_attachment){scs[i]->file, mt ? mt : "application/octet-stream",
						     p->data[i], len};
		p->hashes[i] = doc_hash(scs[i]);
		char *b = p->inline_text ? xstrdup(p->data[i])
					 : tmpl_render(e->body_t, scs[i]->root, scs[i]->file, 0, &missing);
		buf_printf(&p->body, "%s%s", i ? "\r\n" : "", b);
		free(b);
	}
	return DELIVERED;
}

/* The subject: the first document's sidecar, with {count} and {files} of the message. */
static char *message_subject(const struct route_email_target *e, const struct sidecar *const *scs,
			     size_t n, char **files_out)
{
	struct buf files = {0};
	const char *missing;
	for (size_t i = 0; i < n; i++)
		buf_printf(&files, "%s%s", i ? ", " : "", scs[i]->file);
	json_t *first = json_deep_copy(scs[0]->root);
	json_object_set_new(first, "count", json_integer((json_int_t)n));
	json_object_set_new(first, "files", json_string_nocheck(files.data));
	char *subject = tmpl_render(e->subject_t, first, scs[0]->file, 0, &missing);
	json_decref(first);
	*files_out = buf_take(&files);
	return subject;
}

/* Assemble and send one message carrying the n documents; *where names its recipient
 * and Message-ID. */
static enum deliver_status send_mail(const char *route, const struct route_email_target *e,
				     const struct sidecar *const *scs, size_t n, char **where,
				     struct gerr *err)
{
	struct mail_parts p = {0};
	enum deliver_status st = load_parts(e, scs, n, &p, err);
	if (st == DELIVERED) {
		char *files;
		char *subject = message_subject(e, scs, n, &files);
		char *mid = mail_message_id(route, p.hashes, n, e->from);
		struct mail_spec m = {e->from, &e->to, subject, p.body.data ? p.body.data : "", mid,
				      time(NULL), p.att, p.inline_text ? 0 : n};
		size_t len;
		char *msg = mail_build(&m, &len);
		st = email_send(e, msg, len, err);
		if (st == DELIVERED)
			*where = xasprintf("%s (%s, %zu document%s in %s)", e->to.items[0], mid, n,
					   n == 1 ? "" : "s", files);
		free(msg);
		free(mid);
		free(subject);
		free(files);
	}
	mail_parts_free(&p, n);
	return st;
}

/* ---- settings ------------------------------------------------------------------------------ */

static const char *const security_names[] = {"starttls", "ssl", "none", NULL};
static const char *const batch_names[] = {"document", "run", NULL};

#define EMAIL(f) offsetof(struct route_email_target, f)
static const struct cf_field email_fields[] = {
	{.key = "to", .type = CF_STRLIST, .offset = EMAIL(to), .flags = CF_REQUIRED,
	 .help = "recipient address(es)"},
	{.key = "from", .type = CF_STRING, .offset = EMAIL(from), .flags = CF_REQUIRED,
	 .help = "sender address"},
	{.key = "server", .type = CF_STRING, .offset = EMAIL(server), .flags = CF_REQUIRED,
	 .help = "SMTP server host name"},
	{.key = "port", .type = CF_INT, .offset = EMAIL(port), .dflt = "0", .min = 0, .max = 65535,
	 .help = "SMTP port (default 465 for ssl, else 587)"},
	{.key = "security", .type = CF_ENUM, .offset = EMAIL(security), .dflt = "starttls",
	 .enum_values = security_names,
	 .help = "starttls (required, never falls back), ssl (SMTPS), none (loopback only)"},
	{.key = "user", .type = CF_STRING, .offset = EMAIL(user), .help = "SMTP AUTH user"},
	{.key = "password", .type = CF_SECRET, .offset = EMAIL(password),
	 .help = "SMTP AUTH password (password, password_file, password_env, password_credential)"},
	{.key = "ca_file", .type = CF_STRING, .offset = EMAIL(ca_file),
	 .help = "CA bundle to verify the server with (default: the system's)"},
	{.key = "subject", .type = CF_STRING, .offset = EMAIL(subject),
	 .dflt = "[goniec] {company|} {kind|document} {file}", .help = "subject template"},
	{.key = "body", .type = CF_STRING, .offset = EMAIL(body),
	 .dflt = "{file} from {source|?} ({company|-}), fetched {fetched_at|?}.\n"
		 "Invoice {invoice.number|-} of {invoice.issue_date|-}, {invoice.gross|-} "
		 "{invoice.currency|}\n",
	 .help = "body template"},
	{.key = "batch", .type = CF_ENUM, .offset = EMAIL(batch), .dflt = "document",
	 .enum_values = batch_names,
	 .help = "document: one mail per document; run: one mail per forwarding pass"},
	{.key = "max_size", .type = CF_SIZE, .offset = EMAIL(max_size), .dflt = "20MB",
	 .help = "largest message to send (a larger document is a permanent failure)"},
	{.key = "timeout", .type = CF_DURATION, .offset = EMAIL(timeout), .dflt = "2m",
	 .help = "time limit of one SMTP session"},
	CF_END,
};

static bool loopback(const char *host)
{
	return strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 ||
	       str_starts_with(host, "127.");
}

static void email_validate(struct cf_ctx *ctx, yaml_node_t *tnode, void *conf)
{
	struct route_email_target *e = conf;
	for (size_t i = 0; i < e->to.len; i++)
		if (!mail_address_ok(e->to.items[i]))
			cf_error(ctx, cf_get(ctx, tnode, "to"), "to: '%s' is not an e-mail address",
				 e->to.items[i]);
	if (e->from && !mail_address_ok(e->from))
		cf_error(ctx, cf_get(ctx, tnode, "from"), "from: '%s' is not an e-mail address",
			 e->from);
	if (e->server && e->security == EMAIL_PLAIN && !loopback(e->server))
		cf_error(ctx, cf_get(ctx, tnode, "security"),
			 "security: none is only allowed for a server on this machine (127.0.0.1)");
	if (e->password.kind != SECRET_NONE && !e->user)
		cf_error(ctx, tnode, "a password needs a `user`");
	if (e->port == 0)
		e->port = e->security == EMAIL_SSL ? 465 : 587;
	if (e->subject)
		e->subject_t = route_template(ctx, tnode, "subject", e->subject);
	if (e->body)
		e->body_t = route_template(ctx, tnode, "body", e->body);
}

static void email_release_conf(void *conf)
{
	struct route_email_target *e = conf;
	tmpl_free(e->subject_t);
	tmpl_free(e->body_t);
}

static void email_fingerprint(const void *conf, struct buf *b)
{
	const struct route_email_target *e = conf;
	buf_printf(b, "E%s|%s|%ld|%d|", e->from, e->server, e->port, e->batch);
	for (size_t i = 0; i < e->to.len; i++)
		buf_printf(b, "%s,", e->to.items[i]);
}

static char *email_describe(const void *conf)
{
	const struct route_email_target *e = conf;
	return xasprintf("email to %s via %s:%ld", e->to.len ? e->to.items[0] : "?", e->server,
			 e->port);
}

/* ---- the steps ----------------------------------------------------------------------------- */

static bool email_batched(const void *conf)
{
	return ((const struct route_email_target *)conf)->batch == BATCH_RUN;
}

static bool email_fits(const void *conf, const struct sidecar *scs, size_t n)
{
	size_t payload = 0;
	for (size_t i = 0; i < n; i++)
		payload += (size_t)scs[i].st.st_size;
	return mail_size_estimate(payload, n) <= ((const struct route_email_target *)conf)->max_size;
}

static enum deliver_status email_prepare(struct target_job *job, struct gerr *err)
{
	const struct sidecar *sc = job->sc;
	if (email_fits(job->conf, sc, 1))
		return DELIVERED;
	gerr_set(err, "%s (%lld bytes) does not fit in a message of max_size %llu bytes", sc->file,
		 (long long)sc->st.st_size,
		 (unsigned long long)((const struct route_email_target *)job->conf)->max_size);
	return DELIVER_FAILED;
}

/* The jobs of one delivery go as one message. */
static void email_deliver(struct target_job *const *jobs, size_t n, enum deliver_status *st,
			  struct gerr *errs)
{
	const struct sidecar **scs = xcalloc(n, sizeof(*scs));
	for (size_t i = 0; i < n; i++)
		scs[i] = jobs[i]->sc;
	char *where = NULL;
	enum deliver_status s = send_mail(jobs[0]->route, jobs[0]->conf, scs, n, &where, &errs[0]);
	for (size_t i = 0; i < n; i++) {
		st[i] = s;
		errs[i] = errs[0];
		if (s == DELIVERED)
			jobs[i]->where = xstrdup(where);
	}
	free(where);
	free(scs);
}

const struct target_type target_email = {
	.key = "email",
	.help = "deliver by e-mail (SMTP)",
	.fields = email_fields,
	.conf_size = sizeof(struct route_email_target),
	.validate = email_validate,
	.release_conf = email_release_conf,
	.fingerprint = email_fingerprint,
	.describe = email_describe,
	.batched = email_batched,
	.fits = email_fits,
	.prepare = email_prepare,
	.deliver = email_deliver,
};
