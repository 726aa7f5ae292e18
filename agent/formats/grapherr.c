/* grapherr — see grapherr.h. */
#include "formats/grapherr.h"

#include <errno.h>
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

char *graph_answer_string(const char *body, size_t len, const char *key)
{
	json_t *root = body && len ? json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
	char *v = opt_str(root, key);

	json_decref(root);
	return v;
}

long long graph_next_expected(const char *body, size_t len)
{
	json_t *root = body && len ? json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
	const char *r = json_string_value(json_array_get(json_object_get(root, "nextExpectedRanges"), 0));
	char *end = NULL;
	long long v = -1;

	if (r && *r >= '0' && *r <= '9') {
		errno = 0;
		v = strtoll(r, &end, 10);
		if (errno || (*end && *end != '-'))
			v = -1;
	}
	json_decref(root);
	return v;
}
