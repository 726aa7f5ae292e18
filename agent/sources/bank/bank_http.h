/* bank_http — the HTTPS requests of the bank source's providers: one libcurl easy handle
 * per run (its connection kept alive between requests), certificates always verified
 * (system store, or ca_file), answers collected in memory up to BANK_HTTP_BODY_MAX.
 *
 * A passing connection failure (refused, reset, timed out, no answer) is tried twice more
 * after 1 and 2 seconds; HTTP answers of any status are returned as they are, with the
 * wait the server asked for (Retry-After, or GoCardless's
 * X-RateLimit-Account-Success-Reset / X-RateLimit-Reset) in seconds.
 *
 * (To move onto the one libcurl setup and retry policy of sources/ when they land.)
 *
 * Ownership: struct bank_http and struct bank_resp belong to the caller (bank_http_free,
 * bank_resp_free). Headers and bodies are borrowed for the call; they may hold secrets
 * (tokens), which are never logged. Errors: bank_http_call() returns -1 with err set when
 * no answer came; the message names the URL without its query.
 */
#ifndef GONIEC_BANK_HTTP_H
#define GONIEC_BANK_HTTP_H

#include <curl/curl.h>

#include "core/util.h"

#define BANK_HTTP_BODY_MAX (32u << 20)

struct bank_http {
	CURL *easy;
	char *ca_file;
	char *user_agent;
	unsigned long requests;   /* HTTP requests sent (attempts included) */
};

struct bank_resp {
	long status;
	struct buf body;
	long retry_after;         /* seconds the server asked to wait; 0: none said */
	bool truncated;           /* the body passed BANK_HTTP_BODY_MAX */
	long waits[3];            /* Retry-After, account reset, reset (seconds) as sent */
};

void bank_http_init(struct bank_http *h, const char *ca_file, const char *user_agent);
void bank_http_free(struct bank_http *h);

/* One request. method "GET" or "POST"; headers a NULL-terminated list of "Name: value"
 * (may be NULL); json a request body sent as application/json (NULL: none). */
int bank_http_call(struct bank_http *h, const char *method, const char *url,
		   const char *const *headers, const char *json, struct bank_resp *r,
		   struct gerr *err);
void bank_resp_free(struct bank_resp *r);

/* Percent-encode for a URL query or path (owned by the caller). */
char *bank_http_escape(const char *s);

#endif
