/* grapherr — Microsoft Graph's error answer, read for the graph source and the graph
 * delivery target: {"error": {"code", "message", "innerError": {"request-id"}}} (Graph's
 * "Error responses" page; the token endpoint's answers are core/oauth.h's).
 *
 * The body is untrusted bytes (not NUL-terminated): anything but the documented shape
 * leaves the fields NULL. Nothing here does I/O.
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

#endif
