/* graph_http — see graph_http.h. */
#include "sources/graph/graph_http.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/net.h"
#include "core/oauth.h"
#include "sources/graph/graph_json.h"

#define BODY_CAP (1 << 20)

struct graph_client {
	struct graph_client_conf conf;
	CURLM *multi;
	struct oauth_client oauth;  /* the app registration's client credentials */
	struct oauth_owned oauth_own;
	char *token;
	time_t token_valid_until;   /* renew at this time */
	unsigned token_gen;
	bool token_refused;         /* Graph answered 401: the stored token is not asked for again */
	struct graph_req *queue;    /* waiting, in submission order */
	unsigned active;
	unsigned long requests;
};

/* Graph's share of the one retry policy (core/net.h). */
static const struct net_retry graph_retry = {
	.max_attempts = GRAPH_MAX_ATTEMPTS, .first_ms = 1000, .max_ms = 32000,
	.max_after_ms = GRAPH_MAX_RETRY_AFTER * 1000,
};

static void set_common(const struct graph_client *gc, CURL *easy)
{
	/* A stalled transfer (no byte for a minute) is cut; big ones may take long. */
	const struct net_opts o = {.protocols = "https", .ca_file = gc->conf.app->ca_file,
				   .user_agent = gc->conf.user_agent, .stall_s = 60};
	net_setup(easy, &o);
}

struct graph_client *graph_client_new(const struct graph_client_conf *conf)
{
	struct graph_client *gc = xcalloc(1, sizeof(*gc));

	gc->conf = *conf;
	gc->multi = curl_multi_init();
	if (!gc->multi) {
		log_error("graph: curl_multi_init failed");
		abort();
	}
	/* The in-flight limit is kept here, not by CURLMOPT_MAX_HOST_CONNECTIONS: with that,
	 * a request queued behind an idle cached connection waits for the next poll timeout. */
	curl_multi_setopt(gc->multi, CURLMOPT_MAXCONNECTS, (long)GRAPH_MAX_INFLIGHT + 1);
	oauth_ms_app_client(conf->app, conf->secret, conf->token_cache, &gc->oauth, &gc->oauth_own);
	return gc;
}

static void req_free(struct graph_req *req)
{
	if (req->easy)
		curl_easy_cleanup(req->easy);
	curl_slist_free_all(req->headers);
	free(req->url);
	free(req->json_body);
	buf_free(&req->body);
	free(req);
}

void graph_client_free(struct graph_client *gc)
{
	struct graph_req *r, *next;

	if (!gc)
		return;
	for (r = gc->queue; r; r = next) {
		next = r->next;
		req_free(r);
	}
	curl_multi_cleanup(gc->multi);
	free_secret(gc->token);
	oauth_owned_free(&gc->oauth_own);
	free(gc);
}

unsigned long graph_request_count(const struct graph_client *gc)
{
	return gc->requests;
}

static size_t collect(char *data, size_t size, size_t n, void *userp)
{
	struct buf *b = userp;

	if (b->len + size * n <= BODY_CAP)
		buf_append(b, data, size * n);
	return size * n;
}

int graph_token_get(struct graph_client *gc, bool *needs_person, struct gerr *err)
{
	char *token = NULL;
	time_t until = 0;

	*needs_person = false;
	if (gc->token && time(NULL) < gc->token_valid_until)
		return 0;
	if (oauth_access_token(&gc->oauth, gc->token_refused, &token, &until, err) < 0) {
		*needs_person = err->kind == GERR_NEEDS_PERSON;
		return -1;
	}
	free_secret(gc->token);
	gc->token = token;
	gc->token_valid_until = until;
	gc->token_refused = false;
	gc->token_gen++;
	return 0;
}

struct graph_req *graph_req_new(struct graph_client *gc, const char *method, const char *path)
{
	struct graph_req *req = xcalloc(1, sizeof(*req));

	req->gc = gc;
	req->method = method ? method : "GET";
	if (str_starts_with(path, "https://"))
		req->url = xstrdup(path);
	else
		req->url = xasprintf("%s%s", gc->conf.app->graph_url, path);
	return req;
}

void graph_submit(struct graph_client *gc, struct graph_req *req)
{
	struct graph_req **p = &gc->queue;

	while (*p)
		p = &(*p)->next;
	req->next = NULL;
	*p = req;
}

static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
	struct graph_req *req = userp;
	long status = 0;

	curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &status);
	if (req->sink && status >= 200 && status < 300) {
		req->streamed = true;
		return req->sink(req, data, size * n) < 0 ? 0 : size * n;
	}
	return collect(data, size, n, &req->body);
}

static size_t on_header(char *data, size_t size, size_t n, void *userp)
{
	struct graph_req *req = userp;
	size_t len = size * n;

	if (len > 5 && strncmp(data, "HTTP/", 5) == 0) {
		req->retry_after_ms = -1;
	} else if (len > 12 && strncasecmp(data, "Retry-After:", 12) == 0) {
		char *value = xstrndup(data + 12, len - 12);
		req->retry_after_ms = net_retry_after(value, time(NULL));
		free(value);
	}
	return len;
}

static void start(struct graph_client *gc, struct graph_req *req)
{
	char *auth = xasprintf("Authorization: Bearer %s", gc->token);

	req->easy = curl_easy_init();
	set_common(gc, req->easy);
	req->headers = curl_slist_append(NULL, auth);
	free_secret(auth);
	req->headers = curl_slist_append(req->headers, "Prefer: IdType=\"ImmutableId\"");
	/* raw $value answers are no JSON */
	req->headers = curl_slist_append(req->headers, req->sink ? "Accept: */*" : "Accept: application/json");
	if (req->json_body) {
		req->headers = curl_slist_append(req->headers, "Content-Type: application/json");
		curl_easy_setopt(req->easy, CURLOPT_POSTFIELDS, req->json_body);
	} else if (strcmp(req->method, "POST") == 0) {
		curl_easy_setopt(req->easy, CURLOPT_POSTFIELDS, "");
	}
	curl_easy_setopt(req->easy, CURLOPT_URL, req->url);
	curl_easy_setopt(req->easy, CURLOPT_HTTPHEADER, req->headers);
	curl_easy_setopt(req->easy, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(req->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(req->easy, CURLOPT_WRITEDATA, req);
	curl_easy_setopt(req->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(req->easy, CURLOPT_HEADERDATA, req);
	curl_easy_setopt(req->easy, CURLOPT_ERRORBUFFER, req->curl_err);
	curl_easy_setopt(req->easy, CURLOPT_PRIVATE, req);
	req->curl_err[0] = 0;
	req->attempts++;
	req->token_gen = gc->token_gen;
	gc->requests++;
	gc->active++;
	curl_multi_add_handle(gc->multi, req->easy);
}

/* Take the first request whose time has come off the queue (NULL: none ready). */
static struct graph_req *take_ready(struct graph_client *gc, int64_t now)
{
	struct graph_req **p;

	for (p = &gc->queue; *p; p = &(*p)->next) {
		struct graph_req *r = *p;

		if (r->not_before <= now) {
			*p = r->next;
			r->next = NULL;
			return r;
		}
	}
	return NULL;
}

static void requeue(struct graph_client *gc, struct graph_req *req, int64_t delay_ms)
{
	curl_easy_cleanup(req->easy);
	req->easy = NULL;
	curl_slist_free_all(req->headers);
	req->headers = NULL;
	req->body.len = 0;
	req->status = 0;
	req->not_before = now_ms() + delay_ms;
	graph_submit(gc, req);
}

/* Whether a finished attempt is tried again (and when). */
static bool retry(struct graph_client *gc, struct graph_req *req)
{
	int64_t backoff = net_retry_delay(&graph_retry, req->attempts + 1, -1);

	if (req->streamed || backoff < 0)
		return false;
	if (req->curl_rc != CURLE_OK) {
		if (!net_transient(req->curl_rc))
			return false;
		log_debug("graph: %s: %s, retrying", req->url, req->curl_err);
		requeue(gc, req, backoff);
		return true;
	}
	if (req->status == 401 && req->auth_retries++ < 1) {
		if (req->token_gen == gc->token_gen) { /* the token it carried is the current one */
			free_secret(gc->token);
			gc->token = NULL;
			gc->token_refused = true;
		}
		requeue(gc, req, 0);
		return true;
	}
	if (req->status == 429 || req->status == 503 || req->status == 504) {
		int64_t wait = net_retry_delay(&graph_retry, req->attempts + 1,
					       req->retry_after_ms > 0 ? req->retry_after_ms : -1);
		if (wait < 0)
			return false;
		log_debug("graph: HTTP %ld, retry after %lld ms", req->status, (long long)wait);
		requeue(gc, req, wait);
		return true;
	}
	return false;
}

static void finished(struct graph_client *gc, CURLMsg *m)
{
	struct graph_req *req = NULL;

	curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&req);
	curl_multi_remove_handle(gc->multi, m->easy_handle);
	gc->active--;
	req->curl_rc = m->data.result;
	curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &req->status);
	if (retry(gc, req))
		return;
	if (req->done)
		req->done(gc, req);
	req_free(req);
}

/* Every waiting request ends unsent (the token is gone); their done() is told. */
static void fail_queue(struct graph_client *gc, const char *why)
{
	struct graph_req *r;

	while ((r = gc->queue)) {
		gc->queue = r->next;
		r->curl_rc = CURLE_LOGIN_DENIED;
		snprintf(r->curl_err, sizeof(r->curl_err), "%.200s", why);
		if (r->done)
			r->done(gc, r);
		req_free(r);
	}
}

static int start_ready(struct graph_client *gc, bool *needs_person, struct gerr *err)
{
	struct graph_req *req;
	int64_t now = now_ms();

	while (gc->active < GRAPH_MAX_INFLIGHT && (req = take_ready(gc, now))) {
		if (graph_token_get(gc, needs_person, err) < 0) {
			graph_submit(gc, req);
			return -1;
		}
		start(gc, req);
	}
	return 0;
}

/* How long to wait for transfers: until a free slot can take the next due request. */
static int poll_timeout(const struct graph_client *gc)
{
	int64_t now = now_ms(), wait = 1000;

	if (gc->active >= GRAPH_MAX_INFLIGHT)
		return 1000;
	for (const struct graph_req *r = gc->queue; r; r = r->next)
		if (r->not_before - now < wait)
			wait = r->not_before - now;
	return wait < 0 ? 0 : (int)wait;
}

int graph_run(struct graph_client *gc, bool *needs_person, struct gerr *err)
{
	CURLMsg *m;
	int running, left;

	*needs_person = false;
	while (gc->queue || gc->active) {
		if (start_ready(gc, needs_person, err) < 0) {
			/* wait for what is in flight, then give up on the rest */
			while (gc->active) {
				curl_multi_perform(gc->multi, &running);
				while ((m = curl_multi_info_read(gc->multi, &left)))
					if (m->msg == CURLMSG_DONE)
						finished(gc, m);
				curl_multi_poll(gc->multi, NULL, 0, 100, NULL);
			}
			fail_queue(gc, err->msg);
			return -1;
		}
		curl_multi_perform(gc->multi, &running);
		while ((m = curl_multi_info_read(gc->multi, &left)))
			if (m->msg == CURLMSG_DONE)
				finished(gc, m);
		if (gc->queue || gc->active)
			curl_multi_poll(gc->multi, NULL, 0, poll_timeout(gc), NULL);
	}
	return 0;
}

bool graph_req_ok(const struct graph_req *req)
{
	return req->curl_rc == CURLE_OK && req->status >= 200 && req->status < 300;
}

char *graph_req_error(const struct graph_req *req, const char *what)
{
	struct graph_error e;
	char *msg;

	if (req->curl_rc != CURLE_OK) {
		struct gerr err = {0};
		net_error(&err, req->easy, req->curl_rc, req->curl_err, what);
		return xstrdup(err.msg);
	}
	graph_parse_error(req->body.data, req->body.len, &e);
	msg = graph_explain(req->status, &e, what);
	graph_error_free(&e);
	return msg;
}
