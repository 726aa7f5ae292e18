/* grapherr — Microsoft Graph's error answer, read for the graph source and the graph
 * delivery target: {"error": {"code", "message", "innerError": {"request-id"}}} (Graph's
 * "Error responses" page; the token endpoint's answers are core/oauth.h's); and the small
 * answers of sending mail the target reads: a created draft's "id", an upload session's
 * "uploadUrl" and "nextExpectedRanges" ("Attach large files to Outlook messages").
 *
 * The body is untrusted bytes (not NUL-terminated): anything but the documented shape
 * leaves the fields NULL (or gives NULL / -1). Nothing here does I/O.
 *
 * Ownership: struct graph_error owns its strings; graph_error_free() releases them.
 * Errors: none — what cannot be read stays NULL.
 */
#ifndef GONIEC_FORMATS_GRAPHERR_H
#define GONIEC_FORMATS_GRAPHERR_H

#include <stdbool.h>
#include <stddef.h>

struct graph_error {
	char *code;        /* "ErrorAccessDenied" */
	char *message;
	char *request_id;
};
void graph_parse_error(const char *body, size_t len, struct graph_error *out);
void graph_error_free(struct graph_error *e);
/* Is e's code this one (case-insensitive, as Graph's codes are compared)? */
bool graph_error_is(const struct graph_error *e, const char *code);

/* A string member of a JSON object answer, copied (owned); NULL when absent or no string. */
char *graph_answer_string(const char *body, size_t len, const char *key);
/* The first offset of an upload session's nextExpectedRanges ("2097152" or "2097152-");
 * -1 when there is none or it is malformed. */
long long graph_next_expected(const char *body, size_t len);

#endif
