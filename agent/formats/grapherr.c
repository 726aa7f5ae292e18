/* grapherr — see grapherr.h. */
#include "formats/grapherr.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"

/* A string member copied, or NULL when absent or not a string. */
static char *opt_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? xstrdup(s) : NULL;
}

void graph_parse_error(const char *body, size_t len, struct graph_error *out)
{
	json_t *root, *e;

	memset(out, 0, sizeof(*out));
	root = body && len ? json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
	if (!root)
		return;
	e = json_object_get(root, "error");
	if (json_is_object(e)) {
		out->code = opt_str(e, "code");
		out->message = opt_str(e, "message");
		out->request_id = opt_str(json_object_get(e, "innerError"), "request-id");
	}
	json_decref(root);
}

void graph_error_free(struct graph_error *e)
{
	free(e->code);
	free(e->message);
	free(e->request_id);
	memset(e, 0, sizeof(*e));
}

bool graph_error_is(const struct graph_error *e, const char *code)
{
	return e->code && strcasecmp(e->code, code) == 0;
}
