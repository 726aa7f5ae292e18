/* http — the portal engine's polite HTTP client (libcurl).
 *
 * One client per run, one request at a time. Politeness: before each request the client
 * takes an exclusive lock on <lock_dir>/<host>.lock (so workers of other sources talking
 * to the same portal host wait their turn) and waits until `delay_ms` have passed since
 * the last request anyone made to that host (the time is kept in the lock file). 5xx,
 * 429, time-outs and dropped connections are retried `retries` times, waiting
 * retry_delay_ms, then twice that, and so on. Every request names goniec in its
 * User-Agent. Certificates are always verified (system store, or `ca_file`); an https
 * request is never redirected to plain http. Each request is logged at debug level
 * (method, URL without its query, status). Cookies
 * live in libcurl's cookie engine and can be exported and imported (Netscape lines) to
 * keep a session between runs.
 *
 * Ownership: struct http and struct http_response are the caller's; release them with
 * http_cleanup() / http_response_free(). Errors: -1 with a message in err (URL without
 * its query, never bodies, cookies or headers).
 *
 * Limits: a page (an answer kept in memory) is cut at max_page, a download (written to a
 * file) at max_body: a bigger answer is an error, read no further than the limit.
 */
#ifndef GONIEC_PORTAL_HTTP_H
#define GONIEC_PORTAL_HTTP_H

#include <curl/curl.h>

#include "core/util.h"

struct http_opts {
	const char *user_agent;
	int64_t delay_ms;
	int retries;
	int64_t retry_delay_ms;
	long timeout_s;            /* whole request */
	const char *ca_file;       /* NULL: the system's CA store */
	const char *lock_dir;      /* NULL: no cross-process host lock */
	uint64_t max_body;         /* bytes of a download written at most */
	uint64_t max_page;         /* bytes of a page held in memory at most (0: 32 MB) */
};


struct http {
	CURL *curl;
	struct http_opts o;
	char *user_agent, *ca_file, *lock_dir;
	int64_t last_ms;
	unsigned long requests;
};

struct http_call {
	const char *method;        /* NULL: GET, or POST with a body */
	const char *url;           /* absolute */
	const struct strlist *headers; /* "Name: value" lines, may be NULL */
	const char *body;
	size_t body_len;
	const char *content_type;
	bool no_follow;            /* give a redirect back as it is, not followed */
};

struct http_response {
	long status;
	char *url;                 /* after redirects */
	char *content_type;
	struct strlist headers;    /* "Name: value" of the last response */
	struct buf body;           /* when no fd was given */
};

int http_init(struct http *h, const struct http_opts *o, struct gerr *err);
void http_cleanup(struct http *h);
/* Send a request. The body goes to `fd` (truncated first; -1: into resp->body). Returns 0
 * when a response came (any status below 500 after retries), -1 otherwise. */
int http_send(struct http *h, const struct http_call *call, int fd, struct http_response *resp,
	      struct gerr *err);
void http_response_free(struct http_response *r);

/* A response header's value (first match, case-insensitive name), or NULL. */
const char *http_header(const struct http_response *r, const char *name);
/* A cookie's value from the jar (owned by the caller), or NULL. */
char *http_cookie(struct http *h, const char *name);
void http_cookies_export(struct http *h, struct strlist *out);
void http_cookies_import(struct http *h, const struct strlist *lines);

/* `ref` resolved against `base` (absolute http(s) URL, owned by the caller), or NULL. */
char *http_url_resolve(const char *base, const char *ref);
/* Do two absolute URLs have the same scheme, host and port? */
bool http_url_same_origin(const char *a, const char *b);
/* The URL without query and fragment, for messages (owned by the caller). */
char *http_url_for_message(const char *url);

#endif
