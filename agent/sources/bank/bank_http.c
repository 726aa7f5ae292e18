/* bank_http — see bank_http.h. */
#include "sources/bank/bank_http.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/log.h"
#include "core/net.h"

void bank_http_init(struct bank_http *h, const char *ca_file, const char *user_agent)
{
	memset(h, 0, sizeof(*h));
	h->ca_file = ca_file ? xstrdup(ca_file) : NULL;
	h->user_agent = xstrdup(user_agent ? user_agent : "goniec");
}

void bank_http_free(struct bank_http *h)
{
	if (h->easy)
		curl_easy_cleanup(h->easy);
	free(h->ca_file);
	free(h->user_agent);
	memset(h, 0, sizeof(*h));
}

void bank_resp_free(struct bank_resp *r)
{
	buf_free(&r->body);
	memset(r, 0, sizeof(*r));
}

char *bank_http_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *out;

	if (!e) {
		log_error("bank: out of memory");
		abort();
	}
	out = xstrdup(e);
	curl_free(e);
	return out;
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

static long header_seconds(const char *data, size_t len, const char *name)
{
	size_t n = strlen(name);

	if (len <= n || strncasecmp(data, name, n) != 0)
		return -1;
	return strtol(data + n, NULL, 10);
}

static size_t on_header(char *data, size_t size, size_t n, void *userp)
{
	static const char *const waits[] = {"Retry-After:", "X-RateLimit-Account-Success-Reset:",
					    "X-RateLimit-Reset:"};
	struct bank_resp *r = userp;
	size_t len = size * n;

	if (len > 5 && strncmp(data, "HTTP/", 5) == 0)
		memset(r->waits, 0, sizeof(r->waits));
	for (size_t i = 0; i < ARRAY_LEN(waits); i++) {
		long s = header_seconds(data, len, waits[i]);
		if (s > 0)
			r->waits[i] = s;
	}
	return len;
}

static bool transient(CURLcode rc)
{
	return rc == CURLE_COULDNT_CONNECT || rc == CURLE_OPERATION_TIMEDOUT ||
	       rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING ||
	       rc == CURLE_PARTIAL_FILE || rc == CURLE_COULDNT_RESOLVE_HOST;
}

static void setup(struct bank_http *h, const char *method, const char *url,
		  struct curl_slist *hdrs, const char *json, struct bank_resp *r, char *errbuf)
{
	CURL *e = h->easy;

	curl_easy_reset(e);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	if (h->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, h->ca_file);
	curl_easy_setopt(e, CURLOPT_USERAGENT, h->user_agent);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 180L);
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

/* The URL without its query (which may hold dates and keys), for messages. */
static char *url_for_messages(const char *url)
{
	return xstrndup(url, strcspn(url, "?"));
}

int bank_http_call(struct bank_http *h, const char *method, const char *url,
		   const char *const *headers, const char *json, struct bank_resp *r,
		   struct gerr *err)
{
	struct curl_slist *hdrs = curl_slist_append(NULL, "Accept: application/json");
	char errbuf[CURL_ERROR_SIZE];
	CURLcode rc = CURLE_OK;

	memset(r, 0, sizeof(*r));
	if (json)
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	for (size_t i = 0; headers && headers[i]; i++)
		hdrs = curl_slist_append(hdrs, headers[i]);
	if (!h->easy && !(h->easy = curl_easy_init())) {
		log_error("bank: curl_easy_init failed");
		abort();
	}
	for (int attempt = 0; attempt < 3; attempt++) {
		if (attempt)
			sleep((unsigned)attempt);
		bank_resp_free(r);
		errbuf[0] = 0;
		setup(h, method, url, hdrs, json, r, errbuf);
		h->requests++;
		rc = curl_easy_perform(h->easy);
		if (rc == CURLE_OK || !transient(rc))
			break;
	}
	curl_slist_free_all(hdrs);
	if (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && r->truncated)) {
		curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &r->status);
		for (size_t i = 0; i < ARRAY_LEN(r->waits) && !r->retry_after; i++)
			r->retry_after = r->waits[i];
		if (!r->truncated)
			return 0;
	}
	char *shown = url_for_messages(url);
	if (r->truncated)
		gerr_set(err, "%s: the answer is larger than %u bytes", shown, BANK_HTTP_BODY_MAX);
	else
		net_error(err, h->easy, rc, errbuf, shown);
	free(shown);
	bank_resp_free(r);
	return -1;
}
