/* graph_http — the HTTP side of the Graph source: an app-only access token and up to
 * four Graph requests in flight at once (libcurl multi).
 *
 * Token: client-credentials grant with the .default scope against
 * <login_url>/<tenant>/oauth2/v2.0/token, through core/oauth.h: kept in memory and in a
 * token file (mode 0600, in the source's state directory) until 5 minutes before it
 * expires, and fetched anew when Graph answers 401. The token request itself is tried
 * up to three times when it meets a passing failure (no answer, 429, 5xx).
 *
 * Requests: graph_submit() queues a request; graph_run() drives the queue until it is
 * empty, keeping at most GRAPH_MAX_INFLIGHT requests in flight (Graph's per-mailbox
 * concurrency limit). Every request carries the bearer token and
 * `Prefer: IdType="ImmutableId"`. 429, 503 and 504 are retried after the server's
 * Retry-After (else a growing delay) up to GRAPH_MAX_ATTEMPTS, unless the server asks for
 * more than GRAPH_MAX_RETRY_AFTER seconds; a passing connection
 * failure (refused, timed out, cut) before any byte of the answer reached a sink is
 * retried the same way, a refused certificate never. A request whose answer
 * is 2xx and has a sink streams the body to it as it arrives (nothing is held in memory);
 * any other body is collected (up to 1 MiB) in req->body. When a request is finished,
 * successful or not, its done() callback runs; done() may submit more requests.
 * Certificates are always verified (system store, or ca_file).
 *
 * Ownership: the client owns queued requests until done() has run, then frees them
 * (done() must not keep the pointer). Strings in the conf are borrowed and must outlive
 * the client. Errors: graph_token_get() returns -1 with a message for a person; request
 * failures are reported through req->status / req->curl_rc to done().
 */
#ifndef GONIEC_GRAPH_HTTP_H
#define GONIEC_GRAPH_HTTP_H

#include <curl/curl.h>
#include <stdbool.h>

#include "core/oauth.h"
#include "core/util.h"

#define GRAPH_MAX_INFLIGHT 4
#define GRAPH_MAX_ATTEMPTS 6
#define GRAPH_MAX_RETRY_AFTER 120  /* seconds; a longer wait is left to the next run */

struct graph_client_conf {
	const struct oauth_ms_app *app; /* URLs, tenant, client id, CA file (core/oauth.h) */
	const char *secret;
	const char *user_agent;
	const char *token_cache; /* path of the cache file, NULL: none */
};

struct graph_client;
struct graph_req;

/* Body bytes of a 2xx answer; return -1 to abort the transfer. */
typedef int (*graph_sink_fn)(struct graph_req *req, const char *data, size_t len);
typedef void (*graph_done_fn)(struct graph_client *gc, struct graph_req *req);

struct graph_req {
	/* set by the caller */
	const char *method;        /* "GET" (default), "POST" */
	char *url;                 /* full URL, owned */
	char *json_body;           /* POST body, owned, may be NULL */
	graph_sink_fn sink;        /* may be NULL */
	graph_done_fn done;        /* may be NULL */
	void *ctx;
	/* results */
	long status;               /* HTTP status of the final answer, 0 when none */
	CURLcode curl_rc;
	char curl_err[CURL_ERROR_SIZE];
	struct buf body;           /* non-streamed answer body */
	bool streamed;             /* bytes went to the sink */
	/* internal */
	int attempts, auth_retries;
	int64_t not_before;        /* now_ms() before which it is not sent */
	int64_t retry_after_ms;     /* the answer's Retry-After, -1: none */
	unsigned token_gen;        /* which token it carried */
	CURL *easy;
	struct curl_slist *headers;
	struct graph_client *gc;
	struct graph_req *next;
};

struct graph_client *graph_client_new(const struct graph_client_conf *conf);
void graph_client_free(struct graph_client *gc);

/* Make sure a valid token is at hand. Returns 0, or -1 with a message for a person in
 * err; *needs_person tells a configuration/consent problem from a passing failure. */
int graph_token_get(struct graph_client *gc, bool *needs_person, struct gerr *err);

/* A new request for a path below the Graph base ("/v1.0/users/..."), or for a full URL
 * (an @odata.nextLink) when path starts with "https://". */
struct graph_req *graph_req_new(struct graph_client *gc, const char *method, const char *path);
void graph_submit(struct graph_client *gc, struct graph_req *req);
/* Drive every queued request to its end. Returns -1 only when the token could not be
 * renewed (err says why); request failures go to each done(). */
int graph_run(struct graph_client *gc, bool *needs_person, struct gerr *err);

/* HTTP requests sent so far (retries included, token requests too). */
unsigned long graph_request_count(const struct graph_client *gc);
bool graph_req_ok(const struct graph_req *req);
/* A one-line description of a failed request for logs and run->err (owned): a transfer
 * that failed is worded by net_error() (core/net.h) from the request's handle, so call it
 * in done(). */
char *graph_req_error(const struct graph_req *req, const char *what);

#endif
