/* ksef/client — HTTP requests to the KSeF API 2.0, paced under its rate limits.
 *
 * One libcurl handle per run (its connection is reused), TLS always verified (the system
 * store or ca_file). Every request asks for errors as problem+json
 * (`X-Error-Format: problem-details`), and ksef_error_text() words any error answer for
 * a person: the service's codes and texts as it gave them.
 *
 * Rate limits (CIRFMF/ksef-docs limity/limity-api.md): sliding windows per second,
 * minute and hour for each group of endpoints, counted per context and IP. The client
 * keeps the same windows itself (struct ksef_pace) and waits before a request that
 * would go over, so that limits are kept rather than hit; the limits are the documented
 * production ones until ksef_client_set_limits() gives those the service reports
 * (GET /rate-limits). A 429 is still honoured: the request waits the Retry-After seconds
 * and is sent again. Waits never run past the run's deadline: a request that cannot be
 * sent in time fails with `out_of_time` set, and the run leaves the rest for the next one.
 * Passing failures (no connection, a cut, 5xx) are tried up to KSEF_ATTEMPTS times.
 *
 * Ownership: the client owns its handle and pacing; struct ksef_resp is the caller's
 * (ksef_resp_free()). Errors: -1 with err for a person (no token or secret in it).
 */
#ifndef GONIEC_KSEF_CLIENT_H
#define GONIEC_KSEF_CLIENT_H

#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/util.h"

#define KSEF_ATTEMPTS 4
#define KSEF_MAX_BODY (16u << 20)

/* Groups of endpoints as GET /rate-limits names them (the auth endpoints have their own
 * per-second limit per IP). */
enum ksef_group { KSEF_AUTH, KSEF_METADATA, KSEF_DOWNLOAD, KSEF_OTHER, KSEF_GROUPS };

/* A limit above this many requests a window is kept as this many (the ring of send times
 * is as long as the largest limit, and GET /rate-limits may answer any int32; a run sends
 * far fewer, and the documented limits are at most a few hundred). */
#define KSEF_PACE_MAX 10000

struct ksef_pace {
	long per_second, per_minute, per_hour;
	int64_t *sent;         /* a ring of the last send times (ms), as many as the largest
				  limit */
	size_t head, len, cap;
};
/* How long to wait (ms) from `now` before one more request keeps every window. */
int64_t ksef_pace_wait(const struct ksef_pace *p, int64_t now);
void ksef_pace_note(struct ksef_pace *p, int64_t now);
/* Limits of 0 or less are none; above KSEF_PACE_MAX they count as KSEF_PACE_MAX. */
void ksef_pace_set(struct ksef_pace *p, long per_second, long per_minute, long per_hour);
void ksef_pace_free(struct ksef_pace *p);

struct ksef_client {
	CURL *curl;
	char *base;              /* ".../v2", no trailing slash */
	char *ca_file, *user_agent;
	int64_t deadline;        /* now_ms() after which nothing is sent */
	struct ksef_pace pace[KSEF_GROUPS];
	bool out_of_time;        /* a request gave up because of the deadline */
	unsigned long requests;  /* HTTP requests sent, repeats included */
	unsigned long throttled; /* 429 answers met */
	int64_t waited_ms;       /* time spent waiting for the limits */
	char errbuf[CURL_ERROR_SIZE];
};

struct ksef_resp {
	long status;
	struct buf body;
	char *content_type;
	char *hash;              /* x-ms-meta-hash, when given */
	int64_t retry_after_ms;  /* -1: none */
};
void ksef_resp_free(struct ksef_resp *r);

int ksef_client_init(struct ksef_client *c, const char *base, const char *ca_file,
		     const char *user_agent, int64_t deadline, struct gerr *err);
void ksef_client_free(struct ksef_client *c);
/* Take the limits GET /rate-limits answered ({"invoiceMetadata": {"perSecond": ...}}). */
void ksef_client_set_limits(struct ksef_client *c, const json_t *limits);

/* One request: path below the base ("/auth/challenge"), a bearer token or NULL, a JSON
 * body or NULL. 0 when the service answered (any status, in r), -1 when it could not be
 * reached in time or at all. */
int ksef_request(struct ksef_client *c, enum ksef_group g, const char *method, const char *path,
		 const char *bearer, const char *json_body, struct ksef_resp *r, struct gerr *err);
/* The same, parsing a 2xx JSON answer into *out; any other answer is an error worded by
 * ksef_error_text(), with *status (may be NULL) set to the HTTP status (0: none). */
int ksef_request_json(struct ksef_client *c, enum ksef_group g, const char *method,
		      const char *path, const char *bearer, const char *json_body, json_t **out,
		      long *status, struct gerr *err);

/* The first KSeF exception code of an error answer (21405, 21164, ...), 0 when none. */
long ksef_error_code(const struct ksef_resp *r);
/* The service's words for an error answer: "HTTP 400: 21405 Błąd walidacji danych
 * wejściowych. (details)". Owned by the caller. */
char *ksef_error_text(const struct ksef_resp *r);

#endif
