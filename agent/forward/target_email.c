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

#include "core/curltls.h"
#include "core/log.h"
#include "core/net.h"
#include "core/secret.h"
#include "forward/mailmsg.h"
#include "forward/mailparts.h"
#include "forward/route.h"
#include "forward/smtpreply.h"
#include "forward/target.h"
#include "core/template.h"

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

/* The server's lines of a session (libcurl hands SMTP replies to the debug callback as
 * CURLINFO_HEADER_IN); what is sent is never kept (it holds AUTH). */
#define REPLY_LOG_MAX (16 * 1024)

static int keep_replies(CURL *c, curl_infotype type, char *data, size_t size, void *arg)
{
	struct buf *b = arg;

	(void)c;
	if (type != CURLINFO_HEADER_IN)
		return 0;
	if (b->len + size > REPLY_LOG_MAX)
		b->len = 0; /* a chatty server: the replies that matter come last */
	if (size <= REPLY_LOG_MAX)
		buf_append(b, data, size);
	return 0;
}

/* What the server's reply says (see forward/smtpreply.h); *window_ms for a quota. */
static enum deliver_status reply_outcome(const char *server, const struct smtp_reply *r,
					 int64_t *window_ms, struct gerr *err)
{
	int64_t window_s;
	const char *what;
	char code[16] = "";

	if (r->cls)
		snprintf(code, sizeof(code), " %d.%d.%d", r->cls, r->subject, r->detail);
	switch (smtp_reply_classify(r, &window_s, &what)) {
	case SMTP_VERDICT_QUOTA:
		*window_ms = window_s * 1000;
		gerr_setk(err, GERR_TEMPORARY,
			  "SMTP %s: server replied %d%s %s: %s; retried after the provider's window (%lld min)",
			  server, r->code, code, r->text, what, (long long)window_s / 60);
		return DELIVER_RETRY;
	case SMTP_VERDICT_TEMPORARY:
	case SMTP_VERDICT_OK: /* a failure after a good reply: the connection broke */
		gerr_setk(err, GERR_TEMPORARY, "SMTP %s: server replied %d%s %s", server, r->code,
			  code, r->text);
		return DELIVER_RETRY;
	case SMTP_VERDICT_PERMANENT:
		break;
	}
	gerr_setk(err, GERR_PERMANENT, "SMTP %s: server replied %d%s %s", server, r->code, code,
		  r->text);
	return DELIVER_FAILED;
}

/* A failed session: by the server's last failure reply when there is one, else by what
 * libcurl says. TLS handshake and certificate failures are permanent: they do not pass by
 * waiting, and the message says which setting to change. */
static enum deliver_status session_outcome(const struct route_email_target *e, CURL *c,
					   CURLcode rc, const char *errbuf,
					   const struct buf *replies, int64_t *window_ms,
					   struct gerr *err)
{
	struct smtp_reply r;
	char *server = xasprintf("%s:%ld", e->server, e->port);
	char why[512]; /* a refused certificate says why (core/curltls.h) */
	const char *cause = curl_failure_text(c, rc, errbuf, why, sizeof why);
	enum deliver_status st = DELIVER_FAILED;

	smtp_reply_parse(replies->data, replies->len, &r);
	if (r.code >= 400 && rc != CURLE_SSL_CONNECT_ERROR)
		st = reply_outcome(server, &r, window_ms, err);
	else if (rc == CURLE_SSL_CONNECT_ERROR && e->security == EMAIL_SSL)
		gerr_setk(err, GERR_PERMANENT, "SMTP %s: TLS handshake failed (%s): `security: ssl` speaks TLS from the first byte, as port 465 does; a server that begins in plain text (ports 587 and 25) needs `security: starttls`",
			  server, cause);
	else if (rc == CURLE_SSL_CONNECT_ERROR)
		gerr_setk(err, GERR_PERMANENT, "SMTP %s: TLS handshake after STARTTLS failed (%s); port 465 needs `security: ssl`",
			  server, cause);
	else if (rc == CURLE_USE_SSL_FAILED)
		gerr_setk(err, GERR_PERMANENT, "SMTP %s: the server offers no STARTTLS, and goniec never sends mail unencrypted (port 465 needs `security: ssl`)",
			  server);
	else if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
		 rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_SSL_ISSUER_ERROR)
		gerr_setk(err, GERR_PERMANENT, "SMTP %s: the server's certificate is refused (%s); trust its CA with `ca_file`, or name the server as its certificate does",
			  server, cause);
	else if (rc == CURLE_LOGIN_DENIED)
		gerr_setk(err, GERR_PERMANENT, "SMTP %s: login refused (%s); check `user` and the password",
			  server, cause);
	else {
		char *what = xasprintf("SMTP %s", server);
		net_error(err, c, rc, errbuf, what);
		free(what);
		st = err->kind == GERR_TEMPORARY ? DELIVER_RETRY : DELIVER_FAILED;
	}
	free(server);
	return st;
}

/* One SMTP session: log in with the password or the OAuth token (either may be NULL),
 * send. *denied: the server refused the login. */
static enum deliver_status smtp_session(const struct route_email_target *e, const char *message,
					size_t len, const char *password, const char *token,
					bool *denied, int64_t *window_ms, struct gerr *err)
{
	CURL *c = curl_easy_init();
	if (!c) {
		gerr_set(err, "cannot start libcurl");
		return DELIVER_RETRY;
	}
	char errbuf[CURL_ERROR_SIZE] = "";
	struct buf replies = {0};
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
	curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, keep_replies);
	curl_easy_setopt(c, CURLOPT_DEBUGDATA, &replies);
	curl_easy_setopt(c, CURLOPT_VERBOSE, 1L); /* to keep_replies, never to stderr */
	if (e->security == EMAIL_STARTTLS)
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (e->user) {
		curl_easy_setopt(c, CURLOPT_USERNAME, e->user);
		if (token) /* SASL XOAUTH2 (or OAUTHBEARER when the server offers it) */
			curl_easy_setopt(c, CURLOPT_XOAUTH2_BEARER, token);
		else
			curl_easy_setopt(c, CURLOPT_PASSWORD, password ? password : "");
	}
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &rd);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	CURLcode rc = curl_easy_perform(c);
	enum deliver_status st = DELIVERED;
	*denied = rc == CURLE_LOGIN_DENIED;
	if (rc != CURLE_OK)
		st = session_outcome(e, c, rc, errbuf, &replies, window_ms, err);
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
	buf_free(&replies);
	free(url);
	free(from);
	return st;
}

/* Send with a token: the kept one, and once more with a new one when the server refuses
 * it. A refused sign-in needs a person (DELIVER_FAILED with what to do). */
static enum deliver_status send_oauth(const struct target_job *job, const char *message, size_t len,
				      int64_t *window_ms, struct gerr *err)
{
	const struct route_email_target *e = job->conf;
	struct oauth_client oc;
	struct oauth_owned own;
	char *store = path_join(job->state_dir, OAUTH_TOKEN_FILE);
	char *fix = xasprintf("goniec oauth %s", job->route);
	enum deliver_status st = DELIVER_FAILED;
	bool denied = false;

	if (mkdir_p(job->state_dir, 0700, err) == 0 &&
	    oauth_client_from_conf(&e->oauth, OAUTH_SMTP, store, fix, &oc, &own, err) == 0) {
		for (int attempt = 0; attempt < 2; attempt++) {
			char *token = NULL;
			if (oauth_access_token(&oc, attempt > 0, &token, NULL, err) < 0) {
				st = err->kind == GERR_TEMPORARY ? DELIVER_RETRY : DELIVER_FAILED;
				denied = false;
				break;
			}
			st = smtp_session(e, message, len, NULL, token, &denied, window_ms, err);
			free_secret(token);
			if (!denied)
				break;
		}
		if (denied)
			gerr_setk(err, GERR_NEEDS_PERSON,
				  "SMTP %s: the server refused the OAuth sign-in of %s with a new token too: check that the mailbox may send by SMTP AUTH (%s), or sign in again with `%s`",
				  e->server, e->user,
				  oc.app ? "Authenticated SMTP on, and the app's SMTP.SendAsApp permission with the Exchange service principal"
					 : "Authenticated SMTP on for it, and a scope allowing SMTP",
				  fix);
		oauth_owned_free(&own);
	}
	free(store);
	free(fix);
	return st;
}

static enum deliver_status email_send(const struct target_job *job, const char *message, size_t len,
				      int64_t *window_ms, struct gerr *err)
{
	const struct route_email_target *e = job->conf;
	if (e->oauth.client_id)
		return send_oauth(job, message, len, window_ms, err);
	char *password = NULL;
	if (e->password.kind != SECRET_NONE && secret_resolve(&e->password, &password, err) < 0) {
		gerr_prefix(err, "SMTP password");
		return DELIVER_FAILED;
	}
	bool denied;
	enum deliver_status st = smtp_session(e, message, len, password, NULL, &denied, window_ms, err);
	free_secret(password);
	return st;
}

/* ---- the message ----------------------------------------------------------------------------- */

/* Assemble and send one message carrying the n documents; *where names its recipient
 * and Message-ID. */
static enum deliver_status send_mail(const struct target_job *job,
				     const struct sidecar *const *scs, size_t n, char **where,
				     int64_t *window_ms, struct gerr *err)
{
	const struct route_email_target *e = job->conf;
	struct mail_parts p = {0};
	enum deliver_status st = mail_parts_load(scs, n, e->max_size, e->body_t, &p, err);
	if (st == DELIVERED) {
		char *files;
		char *subject = mail_parts_subject(e->subject_t, scs, n, &files);
		char *mid = mail_message_id(job->route, p.hashes, n, e->from);
		struct mail_spec m = {e->from, &e->to, subject, p.body.data ? p.body.data : "", mid,
				      time(NULL), p.att, p.inline_text ? 0 : n};
		size_t len;
		char *msg = mail_build(&m, &len);
		st = email_send(job, msg, len, window_ms, err);
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
	{.key = "oauth", .type = CF_STRUCT, .offset = EMAIL(oauth), .sub = oauth_fields,
	 .help = "SMTP AUTH with OAuth 2.0 (XOAUTH2) instead of a password: Microsoft 365, Outlook.com, Gmail"},
	{.key = "ca_file", .type = CF_STRING, .offset = EMAIL(ca_file),
	 .help = "CA bundle to verify the server with (default: the system's)"},
	{.key = "subject", .type = CF_STRING, .offset = EMAIL(subject),
	 .dflt = MAIL_DEFAULT_SUBJECT, .help = "subject template"},
	{.key = "body", .type = CF_STRING, .offset = EMAIL(body),
	 .dflt = MAIL_DEFAULT_BODY, .help = "body template"},
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
	mail_settings_validate(ctx, tnode, &e->to, e->subject, e->body, &e->subject_t,
			       &e->body_t);
	if (e->from && !mail_address_ok(e->from))
		cf_error(ctx, cf_get(ctx, tnode, "from"), "from: '%s' is not an e-mail address",
			 e->from);
	if (e->server && e->security == EMAIL_PLAIN && !loopback(e->server))
		cf_error(ctx, cf_get(ctx, tnode, "security"),
			 "security: none is only allowed for a server on this machine (127.0.0.1)");
	if (e->password.kind != SECRET_NONE && !e->user)
		cf_error(ctx, tnode, "a password needs a `user`");
	if (e->oauth.client_id && (!e->user || e->password.kind != SECRET_NONE))
		cf_error(ctx, cf_get(ctx, tnode, "oauth"),
			 "oauth: needs a `user` (the mailbox that signs in) and no password");
	if (e->oauth.client_id)
		oauth_validate(ctx, cf_get(ctx, tnode, "oauth"), &e->oauth);
	if (e->port == 465 && e->security == EMAIL_STARTTLS)
		cf_error(ctx, cf_get(ctx, tnode, "security") ? cf_get(ctx, tnode, "security")
							      : cf_get(ctx, tnode, "port"),
			 "port 465 needs `security: ssl` (TLS from the first byte); STARTTLS is for ports 587 and 25");
	if (e->port == 0)
		e->port = e->security == EMAIL_SSL ? 465 : 587;
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
	mail_recipients_fingerprint(b, &e->to);
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
	return mail_parts_fit(scs, n, ((const struct route_email_target *)conf)->max_size);
}

static enum deliver_status email_prepare(struct target_job *job, struct gerr *err)
{
	return mail_parts_check(job->sc, ((const struct route_email_target *)job->conf)->max_size, err);
}

static const struct oauth_conf *email_oauth(const void *conf)
{
	const struct route_email_target *e = conf;
	return e->oauth.client_id ? &e->oauth : NULL;
}

/* The jobs of one delivery go as one message. */
static void email_deliver(struct target_job *const *jobs, size_t n, enum deliver_status *st,
			  struct gerr *errs)
{
	mail_deliver_as_one(jobs, n, st, errs, send_mail);
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
	.oauth = email_oauth,
	.prepare = email_prepare,
	.deliver = email_deliver,
};
