/* e-mail target — see target.h. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/net.h"
#include "core/secret.h"
#include "forward/target.h"

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

enum deliver_status email_send(const struct route_email_target *e, const char *message,
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
