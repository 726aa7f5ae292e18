/* trace — a record of every request and answer of a portal run, for whoever fixes a
 * recipe, and its replay against a recipe with no network.
 *
 * A trace is a directory (mode 0700): trace.json (mode 0600) —
 *   {"format": "goniec.trace/1", "recipe": "<provider>", "recorded": "<ISO time>",
 *    "base_url": "<the portal address of the run>",
 *    "exchanges": [{"method", "url", "request": {"headers": [...], "body": "..."},
 *                   "status", "url_after", "content_type", "headers": [...],
 *                   "body": "<text>" | "body_file": "NNNN.bin"}, ...]}
 * — and NNNN.bin files for answers that are not text (PDFs). Recording (`goniec fetch
 * NAME --trace DIR`) replaces an older trace.json in DIR.
 *
 * Masking: before trace.json is written every secret the run knew is replaced, wherever
 * it appears (URLs, headers, bodies), by «masked:<name>»: the password, one-time codes,
 * PKCE values, every captured value whose name says it is a secret (token, code,
 * session, …) or that the recipe marks `secret: true`, a submitted form's own fields so
 * named (a CSRF token), and the values of request URLs' parameters so named that look
 * like credentials (12 characters or more with a digit: a Keycloak session_code). A JWT keeps its header and payload
 * (so a replay can read its claims) and loses its signature. Independently of what was
 * registered: Authorization and Cookie request headers, Set-Cookie values, and form or
 * JSON request fields named like a secret (password, pin, code, token, …) are masked, and
 * so are the string members of JSON answers named like a credential (token, secret,
 * password, session, ticket, cookie: a refresh token no step captured).
 * Binary answers (NNNN.bin) are kept as they are: they are the documents.
 *
 * Replay: each request the engine makes takes the next exchange; its method and URL
 * must be the recorded ones («masked:…» in a recorded URL matches any value), else the
 * replay stops with an error naming both (the recipe and the site disagree).
 *
 * Ownership: struct trace is opaque; trace_free() releases it. Errors: -1 with err naming
 * the file and the exchange.
 */
#ifndef GONIEC_PORTAL_TRACE_H
#define GONIEC_PORTAL_TRACE_H

#include "sources/portal/http.h"

#define TRACE_FORMAT "goniec.trace/1"

struct trace;

/* Start recording into dir (created 0700) a run of recipe_id against base_url. */
struct trace *trace_start(const char *dir, const char *recipe_id, const char *base_url,
			  struct gerr *err);
/* Load dir/trace.json for a replay. */
struct trace *trace_load(const char *dir, struct gerr *err);
/* Parse a trace's text (dir: where its body files are, may be NULL). */
struct trace *trace_parse(const char *text, size_t len, const char *dir, struct gerr *err);
void trace_free(struct trace *t);
/* The portal address the trace was recorded against (a test instance's, say), or NULL. */
const char *trace_base_url(const struct trace *t);
/* When it was recorded ("YYYY-MM-DDTHH:MM:SS+hh:mm"), or NULL. */
const char *trace_recorded(const struct trace *t);

bool trace_replaying(const struct trace *t);
/* Does a variable's or field's name say it holds a secret (password, pin, token, code,
 * session, …)? */
bool trace_secret_name(const char *name);
/* A secret to mask (recording), under a name that says what it was. */
void trace_secret(struct trace *t, const char *value, const char *name);
/* Record one exchange; the answer's body is in r->body, or in fd (a download). */
int trace_record(struct trace *t, const struct http_call *c, const struct http_response *r,
		 int fd, struct gerr *err);
/* Replay the next exchange for c: fills r (the body into fd when fd >= 0). */
int trace_replay(struct trace *t, const struct http_call *c, int fd, struct http_response *r,
		 struct gerr *err);
/* Exchanges recorded or replayed so far, and in the trace. */
size_t trace_position(const struct trace *t);
size_t trace_length(const struct trace *t);
/* Recording: mask and write trace.json. */
int trace_finish(struct trace *t, struct gerr *err);

#endif
