/* libFuzzer target: a portal trace as `goniec recipe test` reads it (trace_parse(), then
 * trace_replay() of its exchanges). A trace comes from another machine (a customer's run
 * sent to whoever fixes the recipe), so it is outside data.
 *
 * Checks sources/portal/trace.h's promises: a refusal says why; a trace that parses
 * replays each exchange to the request with its method and URL — «masked:…» standing for
 * any value without '&', '#', '/' or '?' — giving its status and its body; one request
 * more than the trace holds is refused. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sources/portal/trace.h"

#define MASK_OPEN "\xc2\xab" "masked:"
#define MASK_CLOSE "\xc2\xbb"

/* The recorded URL with each «masked:…» given a value; NULL when a mask is not closed. */
static char *concrete_url(const char *pat)
{
	struct buf b = {0};
	const char *m;
	while ((m = strstr(pat, MASK_OPEN))) {
		const char *end = strstr(m, MASK_CLOSE);
		if (!end) {
			buf_free(&b);
			return NULL;
		}
		buf_append(&b, pat, (size_t)(m - pat));
		buf_puts(&b, "v1");
		pat = end + strlen(MASK_CLOSE);
	}
	buf_puts(&b, pat);
	return buf_take(&b);
}

/* Replay x; false when the check cannot go on (a body in a file, an open mask). */
static bool replay_one(struct trace *t, const json_t *x)
{
	const char *method = json_string_value(json_object_get(x, "method"));
	char *url = concrete_url(json_string_value(json_object_get(x, "url")));
	const json_t *body = json_object_get(x, "body");
	if (!url || json_object_get(x, "body_file")) {
		free(url);
		return false;
	}
	/* Another URL first (it may match too: then the check stops here). */
	char *other = xasprintf("%sZ", url);
	struct http_call c = {.method = method, .url = other};
	struct http_response r = {0};
	struct gerr err = {0};
	bool matched = trace_replay(t, &c, -1, &r, &err) == 0;
	http_response_free(&r);
	free(other);
	if (matched) {
		free(url);
		return false;
	}
	c.url = url;
	if (trace_replay(t, &c, -1, &r, &err) < 0)
		abort();
	if (r.status != json_integer_value(json_object_get(x, "status")) ||
	    r.body.len != (body ? json_string_length(body) : 0) ||
	    (body && memcmp(r.body.data, json_string_value(body), r.body.len) != 0))
		abort();
	http_response_free(&r);
	free(url);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gerr err = {0};
	struct trace *t = trace_parse((const char *)data, size, NULL, &err);
	if (!t) {
		if (!err.msg[0])
			abort();
		return 0;
	}
	(void)trace_base_url(t);
	(void)trace_recorded(t);
	json_t *root = json_loadb((const char *)data, size, 0, NULL), *x;
	size_t i;
	bool whole = true;
	json_array_foreach(json_object_get(root, "exchanges"), i, x)
		if (!(whole = replay_one(t, x)))
			break;
	if (whole) {
		struct http_call c = {.method = "GET", .url = "https://example.com/one-more"};
		struct http_response r = {0};
		if (trace_replay(t, &c, -1, &r, &err) == 0)
			abort();
		http_response_free(&r);
	}
	json_decref(root);
	trace_free(t);
	return 0;
}
