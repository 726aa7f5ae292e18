/* bank_http — the HTTPS requests of the bank source's providers: one libcurl easy handle
 * per run (its connection kept alive between requests), set up by the one libcurl setup
 * of core/net.h (certificates always verified: system store, or ca_file), answers
 * collected in memory up to BANK_HTTP_BODY_MAX.
 *
 * Retries follow the one policy of core/net.h: a connection failure that may pass
 * (net_transient: refused, reset, timed out, no answer) is tried again, at most
 * BANK_HTTP_ATTEMPTS times in all, after net_retry_delay()'s waits. An HTTP answer of any
 * status is returned as it is — the providers decide what a status means, and a 429 stops
 * only that account (PSD2 counts every read) — with the wait the server asked for
 * (Retry-After, or GoCardless's X-RateLimit-Account-Success-Reset / X-RateLimit-Reset),
 * read by net_retry_after(), in retry_after_ms.
 *
 * Ownership: struct bank_http and struct bank_resp belong to the caller (bank_http_free,
 * bank_resp_free). Headers and bodies are borrowed for the call; they may hold secrets
 * (tokens), which are never logged. Errors: bank_http_call() returns -1 with err set by
 * net_error() when no answer came (GERR_TEMPORARY when it may pass, GERR_PERMANENT for a
 * refused certificate or an answer over the size limit); the message names the URL
 * without its query.
 */
#ifndef GONIEC_BANK_HTTP_H
#define GONIEC_BANK_HTTP_H

#include <curl/curl.h>
#include <stdint.h>

#include "core/util.h"

#define BANK_HTTP_BODY_MAX (32u << 20)
#define BANK_HTTP_ATTEMPTS 3

struct bank_http {
	CURL *easy;
	char *ca_file;
	char *user_agent;
	unsigned long requests;   /* HTTP requests sent (attempts included) */
	int64_t retry_after_ms;   /* the wait the last answer asked for; -1: none said */
};

struct bank_resp {
	long status;
	struct buf body;
	bool truncated;           /* the body passed BANK_HTTP_BODY_MAX */
	int64_t waits[3];         /* Retry-After, account reset, reset (ms; -1: not sent) */
};

void bank_http_init(struct bank_http *h, const char *ca_file, const char *user_agent);
void bank_http_free(struct bank_http *h);

/* One request. method "GET" or "POST"; headers a NULL-terminated list of "Name: value"
 * (may be NULL); json a request body sent as application/json (NULL: none). Sets
 * h->retry_after_ms from the answer. */
int bank_http_call(struct bank_http *h, const char *method, const char *url,
		   const char *const *headers, const char *json, struct bank_resp *r,
		   struct gerr *err);
void bank_resp_free(struct bank_resp *r);

#endif
