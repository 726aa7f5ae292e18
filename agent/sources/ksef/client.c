/* ksef/client — paced HTTP requests to the KSeF API (see client.h). */
#include "sources/ksef/client.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/log.h"
#include "core/net.h"

#define PACE_MARGIN_MS 50    /* our clock and the service's windows are not the same */

/* The documented production limits (limity/limity-api.md): per second, minute, hour. */
static const long default_limits[KSEF_GROUPS][3] = {
	[KSEF_AUTH] = {60, 0, 0},
	[KSEF_METADATA] = {8, 16, 20},
	[KSEF_DOWNLOAD] = {8, 16, 64},
	[KSEF_OTHER] = {10, 30, 120},
};
/* The names GET /rate-limits gives the groups. */
static const char *const group_names[KSEF_GROUPS] = {
	[KSEF_AUTH] = NULL, [KSEF_METADATA] = "invoiceMetadata",
	[KSEF_DOWNLOAD] = "invoiceDownload", [KSEF_OTHER] = "other",
};

/* ---- pacing ------------------------------------------------------------------------- */

void ksef_pace_set(struct ksef_pace *p, long per_second, long per_minute, long per_hour)
{
	p->per_second = per_second < KSEF_PACE_MAX ? per_second : KSEF_PACE_MAX;
	p->per_minute = per_minute < KSEF_PACE_MAX ? per_minute : KSEF_PACE_MAX;
	p->per_hour = per_hour < KSEF_PACE_MAX ? per_hour : KSEF_PACE_MAX;
}

void ksef_pace_free(struct ksef_pace *p)
{
	free(p->sent);
	memset(p, 0, sizeof(*p));
}

/* The send time `k` requests back (1 = the latest). */
static int64_t sent_back(const struct ksef_pace *p, size_t k)
{
	return p->sent[(p->head + p->len - k) % p->cap];
}

/* The wait one window asks: when `limit` requests were sent within `span` ms before
 * now, until the oldest of those leaves the window. */
static int64_t window_wait(const struct ksef_pace *p, long limit, int64_t span, int64_t now)
{
	if (limit <= 0 || p->len < (size_t)limit)
		return 0;
	int64_t oldest = sent_back(p, (size_t)limit);
	return oldest + span > now ? oldest + span - now + PACE_MARGIN_MS : 0;
}

int64_t ksef_pace_wait(const struct ksef_pace *p, int64_t now)
{
	int64_t w = window_wait(p, p->per_second, 1000, now);
	int64_t m = window_wait(p, p->per_minute, 60000, now);
	int64_t h = window_wait(p, p->per_hour, 3600000, now);
	if (m > w)
		w = m;
	return h > w ? h : w;
}

/* A ring of the last max(limits) send times. */
void ksef_pace_note(struct ksef_pace *p, int64_t now)
{
	long keep = p->per_hour > p->per_minute ? p->per_hour : p->per_minute;
	if (p->per_second > keep)
		keep = p->per_second;
	if (keep <= 0)
		return;
	if (p->cap != (size_t)keep) {   /* (re)sized: keep the latest ones in order */
		int64_t *ring = xcalloc((size_t)keep, sizeof(*ring));
		size_t n = p->len < (size_t)keep ? p->len : (size_t)keep;
		for (size_t k = n; k > 0; k--)
			ring[n - k] = sent_back(p, k);
		free(p->sent);
		p->sent = ring;
		p->cap = (size_t)keep;
		p->head = 0;
		p->len = n;
	}
	if (p->len == p->cap) {
		p->sent[p->head] = now;
		p->head = (p->head + 1) % p->cap;
	} else {
		p->sent[(p->head + p->len++) % p->cap] = now;
	}
}

void ksef_client_set_limits(struct ksef_client *c, const json_t *limits)
{
	for (int g = 0; g < KSEF_GROUPS; g++) {
		json_t *v = group_names[g] ? json_object_get(limits, group_names[g]) : NULL;
		json_int_t s, m, h;
		if (json_unpack(v, "{s:I, s:I, s:I}", "perSecond", &s, "perMinute", &m,
				"perHour", &h) == 0 && s > 0 && m > 0 && h > 0)
			ksef_pace_set(&c->pace[g], (long)s, (long)m, (long)h);
	}
}

/* ---- the handle ---------------------------------------------------------------------- */

int ksef_client_init(struct ksef_client *c, const char *base, const char *ca_file,
		     const char *user_agent, int64_t deadline, struct gerr *err)
{
	static bool global;
	memset(c, 0, sizeof(*c));
	if (!global) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		global = true;
	}
	c->curl = curl_easy_init();
	if (!c->curl)
		return gerr_set(err, "cannot start libcurl");
	size_t n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		n--;
	c->base = xstrndup(base, n);
	c->ca_file = ca_file ? xstrdup(ca_file) : NULL;
	c->user_agent = xstrdup(user_agent ? user_agent : "goniec/" GONIEC_VERSION);
	c->deadline = deadline;
	for (int g = 0; g < KSEF_GROUPS; g++)
		ksef_pace_set(&c->pace[g], default_limits[g][0], default_limits[g][1],
			      default_limits[g][2]);
	return 0;
}

void ksef_client_free(struct ksef_client *c)
{
	if (c->curl)
		curl_easy_cleanup(c->curl);
	for (int g = 0; g < KSEF_GROUPS; g++)
		ksef_pace_free(&c->pace[g]);
	free(c->base);
	free(c->ca_file);
	free(c->user_agent);
	memset(c, 0, sizeof(*c));
}

void ksef_resp_free(struct ksef_resp *r)
{
	buf_free(&r->body);
	free(r->content_type);
	free(r->hash);
	memset(r, 0, sizeof(*r));
	r->retry_after_ms = -1;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	struct ksef_resp *r = ud;
	size_t len = size * nmemb;
	if (r->body.len + len > KSEF_MAX_BODY)
		return 0;
	buf_append(&r->body, data, len);
	return len;
}

static char *header_value(const char *line, size_t n, const char *name)
{
	size_t k = strlen(name);
	if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
		return NULL;
	const char *v = line + k + 1, *end = line + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	return xstrndup(v, (size_t)(end - v));
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
	struct ksef_resp *r = ud;
	size_t len = size * nmemb;
	char *v;
	if ((v = header_value(data, len, "Retry-After"))) {
		r->retry_after_ms = net_retry_after(v, time(NULL));
		free(v);
	} else if ((v = header_value(data, len, "x-ms-meta-hash"))) {
		free(r->hash);
		r->hash = v;
	}
	return len;
}

/* The handle for one request: the one libcurl setup (core/net.h), then this request's. */
static void setup_handle(struct ksef_client *c, const char *url, struct ksef_resp *r)
{
	CURL *h = c->curl;
	const struct net_opts opts = {.protocols = "https", .ca_file = c->ca_file,
				      .user_agent = c->user_agent, .stall_s = 120};
	curl_easy_reset(h);
	net_setup(h, &opts);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
}

static CURLcode perform(struct ksef_client *c, const char *method, const char *path,
			const char *bearer, const char *json_body, struct ksef_resp *r)
{
	char *url = xasprintf("%s%s", c->base, path);
	struct curl_slist *hdr = curl_slist_append(NULL, "X-Error-Format: problem-details");
	hdr = curl_slist_append(hdr, "Accept: application/json, application/xml");
	char *auth = bearer ? xasprintf("Authorization: Bearer %s", bearer) : NULL;
	if (auth)
		hdr = curl_slist_append(hdr, auth);
	if (json_body)
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
	setup_handle(c, url, r);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
	if (json_body)
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, json_body);
	else if (strcmp(method, "POST") == 0)
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, "");
	c->errbuf[0] = '\0';
	CURLcode rc = curl_easy_perform(c->curl);
	c->requests++;
	if (rc == CURLE_OK) {
		char *ct = NULL;
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &r->status);
		curl_easy_getinfo(c->curl, CURLINFO_CONTENT_TYPE, &ct);
		r->content_type = ct ? xstrdup(ct) : NULL;
	}
	curl_slist_free_all(hdr);
	free_secret(auth);
	free(url);
	return rc;
}

/* Wait `ms`, unless that passes the deadline. */
static bool wait_within(struct ksef_client *c, int64_t ms)
{
	if (now_ms() + ms > c->deadline) {
		c->out_of_time = true;
		return false;
	}
	sleep_ms(ms);
	c->waited_ms += ms;
	return true;
}

/* Passing failures (no connection, a cut, 429, 5xx) are tried again on the one retry
 * policy (core/net.h), with KSeF's Retry-After when it gave one. */
static const struct net_retry retry_policy = {.max_attempts = KSEF_ATTEMPTS, .first_ms = 1000,
					      .max_ms = 8000};

/* "<method> <path>: <cause>", of the kind core/net.h gives it. */
static int transfer_error(struct ksef_client *c, CURLcode rc, const char *method,
			  const char *path, struct gerr *err)
{
	char *what = xasprintf("%s %s", method, path);
	net_error(err, c->curl, rc, c->errbuf, what);
	free(what);
	return -1;
}

int ksef_request(struct ksef_client *c, enum ksef_group g, const char *method, const char *path,
		 const char *bearer, const char *json_body, struct ksef_resp *r, struct gerr *err)
{
	memset(r, 0, sizeof(*r));
	for (unsigned attempt = 1;; attempt++) {
		if (!wait_within(c, ksef_pace_wait(&c->pace[g], now_ms())))
			return gerr_set(err, "%s %s: KSeF's rate limits leave no room before the run's "
					"time limit; the rest is left for the next run", method, path);
		ksef_resp_free(r);
		CURLcode rc = perform(c, method, path, bearer, json_body, r);
		/* Noted when the answer is in: KSeF received the request before that, so the
		 * windows the service counts are never fuller than ours. */
		ksef_pace_note(&c->pace[g], now_ms());
		bool again = rc == CURLE_OK ? net_status_transient(r->status) : net_transient(rc);
		if (!again)
			return rc == CURLE_OK ? 0 : transfer_error(c, rc, method, path, err);
		int64_t delay = net_retry_delay(&retry_policy, attempt + 1,
						rc == CURLE_OK ? r->retry_after_ms : -1);
		if (rc == CURLE_OK && r->status == 429) {
			c->throttled++;
			log_notice("KSeF: %s %s: too many requests, waiting %lld s as asked", method,
				   path, (long long)((delay >= 0 ? delay : 0) / 1000));
		} else if (rc != CURLE_OK) {
			struct gerr e = {0};
			transfer_error(c, rc, method, path, &e);
			log_notice("KSeF: %s; trying again", e.msg);
		} else {
			log_notice("KSeF: %s %s: server error; trying again", method, path);
		}
		/* Given up: the last answer (429, 5xx) is the caller's to word. */
		if (delay < 0 || !wait_within(c, delay))
			return rc == CURLE_OK ? 0 : transfer_error(c, rc, method, path, err);
	}
}

/* ---- answers --------------------------------------------------------------------------- */

static void add_details(struct buf *b, const json_t *details)
{
	size_t i;
	const json_t *d;
	json_array_foreach(details, i, d)
		if (json_is_string(d) && json_string_length(d))
			buf_printf(b, "%s%s", i ? "; " : " (", json_string_value(d));
	if (json_array_size(details) && json_is_string(json_array_get(details, 0)) &&
	    json_string_length(json_array_get(details, 0)))
		buf_puts(b, ")");
}

/* problem+json ({title, detail, errors[{code, description, details}]}), the older
 * ExceptionResponse, or the 429 body {status: {code, description, details}}. */
static void describe_body(struct buf *b, const json_t *j)
{
	const json_t *errors = json_object_get(j, "errors"), *e;
	const json_t *list = json_object_get(json_object_get(j, "exception"), "exceptionDetailList");
	const json_t *status = json_object_get(j, "status");
	size_t i;
	if (json_array_size(errors)) {
		json_array_foreach(errors, i, e) {
			buf_printf(b, "%s%lld %s", i ? "; " : "", json_integer_value(json_object_get(e, "code")),
				   json_string_value(json_object_get(e, "description")) ?: "");
			add_details(b, json_object_get(e, "details"));
		}
	} else if (json_array_size(list)) {
		json_array_foreach(list, i, e) {
			buf_printf(b, "%s%lld %s", i ? "; " : "",
				   json_integer_value(json_object_get(e, "exceptionCode")),
				   json_string_value(json_object_get(e, "exceptionDescription")) ?: "");
			add_details(b, json_object_get(e, "details"));
		}
	} else if (json_is_object(status)) {
		buf_puts(b, json_string_value(json_object_get(status, "description")) ?: "");
		add_details(b, json_object_get(status, "details"));
	} else {
		const char *title = json_string_value(json_object_get(j, "title"));
		const char *detail = json_string_value(json_object_get(j, "detail"));
		buf_printf(b, "%s%s%s", title ? title : "", title && detail ? ": " : "",
			   detail ? detail : "");
	}
}

long ksef_error_code(const struct ksef_resp *r)
{
	json_t *j = r->body.len ? json_loadb(r->body.data, r->body.len, 0, NULL) : NULL;
	const json_t *first = json_array_get(json_object_get(j, "errors"), 0);
	long code = (long)json_integer_value(json_object_get(first, "code"));
	if (!first) {
		first = json_array_get(json_object_get(json_object_get(j, "exception"),
						       "exceptionDetailList"), 0);
		code = (long)json_integer_value(json_object_get(first, "exceptionCode"));
	}
	json_decref(j);
	return code;
}

char *ksef_error_text(const struct ksef_resp *r)
{
	struct buf b = {0};
	json_t *j = r->body.len ? json_loadb(r->body.data, r->body.len, 0, NULL) : NULL;
	buf_printf(&b, "HTTP %ld", r->status);
	if (json_is_object(j)) {
		buf_puts(&b, ": ");
		describe_body(&b, j);
	}
	json_decref(j);
	return buf_take(&b);
}

int ksef_request_json(struct ksef_client *c, enum ksef_group g, const char *method,
		      const char *path, const char *bearer, const char *json_body, json_t **out,
		      long *status, struct gerr *err)
{
	struct ksef_resp r;
	*out = NULL;
	if (status)
		*status = 0;
	if (ksef_request(c, g, method, path, bearer, json_body, &r, err) < 0) {
		ksef_resp_free(&r);
		return -1;
	}
	if (status)
		*status = r.status;
	int rc = 0;
	if (r.status < 200 || r.status > 299) {
		char *why = ksef_error_text(&r);
		rc = gerr_set(err, "%s %s: %s", method, path, why);
		free(why);
	} else if (r.status != 204) {
		json_error_t je;
		*out = json_loadb(r.body.data ? r.body.data : "", r.body.len, 0, &je);
		if (!*out)
			rc = gerr_set(err, "%s %s: the answer is not JSON (line %d: %s)", method, path,
				      je.line, je.text);
	}
	ksef_resp_free(&r);
	return rc;
}
