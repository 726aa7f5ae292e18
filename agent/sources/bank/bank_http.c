/* bank_http — see bank_http.h. */
#include "sources/bank/bank_http.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/log.h"
#include "core/net.h"

/* Connection failures only: an answer of any status is the providers' to judge. */
static const struct net_retry bank_retry = {
	.max_attempts = BANK_HTTP_ATTEMPTS, .first_ms = 1000, .max_ms = 2000,
};

void bank_http_init(struct bank_http *h, const char *ca_file, const char *user_agent)
{
	memset(h, 0, sizeof(*h));
	h->ca_file = ca_file ? xstrdup(ca_file) : NULL;
	h->user_agent = user_agent ? xstrdup(user_agent) : NULL;
	h->retry_after_ms = -1;
}

void bank_http_free(struct bank_http *h)
{
	if (h->easy)
		curl_easy_cleanup(h->easy);
	free(h->ca_file);
	free(h->user_agent);
	memset(h, 0, sizeof(*h));
}

static void resp_reset(struct bank_resp *r)
{
	buf_free(&r->body);
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < ARRAY_LEN(r->waits); i++)
		r->waits[i] = -1;
}

void bank_resp_free(struct bank_resp *r)
{
	resp_reset(r);
}

static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
	struct bank_resp *r = userp;

	if (r->body.len + size * n > BANK_HTTP_BODY_MAX) {
		r->truncated = true;
		return 0;
	}
	buf_append(&r->body, data, size * n);
	return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *userp)
{
	static const char *const waits[] = {"Retry-After:", "X-RateLimit-Account-Success-Reset:",
					    "X-RateLimit-Reset:"};
	struct bank_resp *r = userp;
	size_t len = size * n;

	if (len > 5 && strncmp(data, "HTTP/", 5) == 0)   /* a new answer (after a redirect) */
		for (size_t i = 0; i < ARRAY_LEN(r->waits); i++)
			r->waits[i] = -1;
	for (size_t i = 0; i < ARRAY_LEN(waits); i++) {
		size_t k = strlen(waits[i]);
		if (len <= k || strncasecmp(data, waits[i], k) != 0)
			continue;
		char *value = xstrndup(data + k, len - k);
		int64_t ms = net_retry_after(value, time(NULL));
		free(value);
		if (ms > 0)
			r->waits[i] = ms;
	}
	return len;
}

static void setup(struct bank_http *h, const char *method, const char *url,
		  struct curl_slist *hdrs, const char *json, struct bank_resp *r, char *errbuf)
{
	const struct net_opts opts = {.protocols = "https", .ca_file = h->ca_file,
				      .user_agent = h->user_agent, .timeout_s = 180};
	CURL *e = h->easy;

	curl_easy_reset(e);
	net_setup(e, &opts);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
	if (json)
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, json);
	else if (strcmp(method, "POST") == 0)
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
}

/* The first wait the answer named: Retry-After, then the rate-limit resets. */
static int64_t asked_wait(const struct bank_resp *r)
{
	for (size_t i = 0; i < ARRAY_LEN(r->waits); i++)
		if (r->waits[i] > 0)
			return r->waits[i];
	return -1;
}

int bank_http_call(struct bank_http *h, const char *method, const char *url,
		   const char *const *headers, const char *json, struct bank_resp *r,
		   struct gerr *err)
{
	struct curl_slist *hdrs = curl_slist_append(NULL, "Accept: application/json");
	char errbuf[CURL_ERROR_SIZE];
	CURLcode rc = CURLE_OK;

	memset(r, 0, sizeof(*r));
	h->retry_after_ms = -1;
	if (json)
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	for (size_t i = 0; headers && headers[i]; i++)
		hdrs = curl_slist_append(hdrs, headers[i]);
	if (!h->easy && !(h->easy = curl_easy_init())) {
		log_error("bank: curl_easy_init failed");
		abort();
	}
	for (unsigned attempt = 1;; attempt++) {
		resp_reset(r);
		errbuf[0] = 0;
		setup(h, method, url, hdrs, json, r, errbuf);
		h->requests++;
		rc = curl_easy_perform(h->easy);
		int64_t wait = rc != CURLE_OK && net_transient(rc) ? net_retry_delay(&bank_retry, attempt + 1, -1) : -1;
		if (wait < 0)
			break;
		sleep_ms(wait);
	}
	curl_slist_free_all(hdrs);
	char *shown = xstrndup(url, strcspn(url, "?"));   /* the query may hold dates and keys */
	int ret = 0;
	if (r->truncated)
		ret = gerr_setk(err, GERR_PERMANENT, "%s: the answer is larger than %u bytes", shown,
				BANK_HTTP_BODY_MAX);
	else if (rc != CURLE_OK)
		ret = net_error(err, h->easy, rc, errbuf, shown);
	if (ret == 0) {
		curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &r->status);
		h->retry_after_ms = asked_wait(r);
	} else {
		bank_resp_free(r);
	}
	free(shown);
	return ret;
}
