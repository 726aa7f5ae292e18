/* graph_json — see graph_json.h. */
#include "sources/graph/graph_json.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static json_t *load(const char *body, size_t len, struct gerr *err)
{
	json_error_t je;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);

	if (!root) {
		gerr_set(err, "answer is not JSON (line %d: %s)", je.line, je.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		gerr_set(err, "answer is not a JSON object");
		return NULL;
	}
	return root;
}

/* A string member copied, or NULL when absent or not a string. */
static char *opt_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? xstrdup(s) : NULL;
}

static enum graph_att_kind att_kind(const char *odata_type)
{
	if (!odata_type)
		return GRAPH_ATT_OTHER;
	if (strcmp(odata_type, "#microsoft.graph.fileAttachment") == 0)
		return GRAPH_ATT_FILE;
	if (strcmp(odata_type, "#microsoft.graph.itemAttachment") == 0)
		return GRAPH_ATT_ITEM;
	if (strcmp(odata_type, "#microsoft.graph.referenceAttachment") == 0)
		return GRAPH_ATT_REFERENCE;
	return GRAPH_ATT_OTHER;
}

static int parse_attachments(const json_t *arr, struct graph_message *m, struct gerr *err)
{
	size_t i;
	json_t *a;

	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return gerr_set(err, "message %s: attachments is not a list", m->id);
	m->atts = xcalloc(json_array_size(arr) + 1, sizeof(*m->atts));
	json_array_foreach(arr, i, a) {
		struct graph_attachment *at = &m->atts[m->natts];
		json_t *size = json_object_get(a, "size");

		if (!json_is_object(a) || !json_is_string(json_object_get(a, "id")))
			return gerr_set(err, "message %s: attachment %zu has no id", m->id, i + 1);
		at->kind = att_kind(json_string_value(json_object_get(a, "@odata.type")));
		at->id = opt_str(a, "id");
		at->name = opt_str(a, "name");
		at->content_type = opt_str(a, "contentType");
		at->size = json_is_integer(size) ? json_integer_value(size) : -1;
		at->is_inline = json_is_true(json_object_get(a, "isInline"));
		m->natts++;
	}
	return 0;
}

static int parse_message(const json_t *v, struct graph_message *m, struct gerr *err)
{
	const json_t *addr;

	if (!json_is_object(v))
		return gerr_set(err, "a message entry is not an object");
	m->id = opt_str(v, "id");
	m->received = opt_str(v, "receivedDateTime");
	if (!m->id || !*m->id)
		return gerr_set(err, "a message has no id");
	if (!m->received)
		return gerr_set(err, "message %s has no receivedDateTime", m->id);
	m->internet_id = opt_str(v, "internetMessageId");
	m->sent = opt_str(v, "sentDateTime");
	m->subject = opt_str(v, "subject");
	addr = json_object_get(json_object_get(v, "from"), "emailAddress");
	m->from = opt_str(addr, "address");
	m->from_name = opt_str(addr, "name");
	return parse_attachments(json_object_get(v, "attachments"), m, err);
}

/* A collection answer ({"value": [...], "@odata.nextLink": ...}): its root and its
 * "value" array, or NULL (err set) when the body is not one. The caller frees *root. */
static json_t *load_collection(const char *body, size_t len, const char *what, json_t **root,
			       struct gerr *err)
{
	*root = load(body, len, err);
	if (!*root)
		return NULL;
	json_t *value = json_object_get(*root, "value");
	if (json_is_array(value))
		return value;
	json_decref(*root);
	*root = NULL;
	gerr_set(err, "%s has no \"value\" list", what);
	return NULL;
}

int graph_parse_messages(const char *body, size_t len, struct graph_page *out, struct gerr *err)
{
	json_t *root, *v;
	size_t i;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	json_t *value = load_collection(body, len, "message list", &root, err);
	if (!value)
		return -1;
	out->msgs = xcalloc(json_array_size(value) + 1, sizeof(*out->msgs));
	json_array_foreach(value, i, v) {
		rc = parse_message(v, &out->msgs[out->nmsgs++], err);
		if (rc < 0)
			break;
	}
	if (rc == 0)
		out->next_link = opt_str(root, "@odata.nextLink");
	json_decref(root);
	if (rc < 0)
		graph_page_free(out);
	return rc;
}

static void message_free(struct graph_message *m)
{
	size_t i;

	for (i = 0; i < m->natts; i++) {
		free(m->atts[i].id);
		free(m->atts[i].name);
		free(m->atts[i].content_type);
	}
	free(m->atts);
	free(m->id);
	free(m->internet_id);
	free(m->subject);
	free(m->from);
	free(m->from_name);
	free(m->received);
	free(m->sent);
}

void graph_page_free(struct graph_page *p)
{
	size_t i;

	for (i = 0; i < p->nmsgs; i++)
		message_free(&p->msgs[i]);
	free(p->msgs);
	free(p->next_link);
	memset(p, 0, sizeof(*p));
}

static int folder_from(const json_t *v, struct graph_folder *out, struct gerr *err)
{
	json_t *n = json_object_get(v, "childFolderCount");

	out->id = opt_str(v, "id");
	out->name = opt_str(v, "displayName");
	out->children = json_is_integer(n) ? (long)json_integer_value(n) : 0;
	out->hidden = json_is_true(json_object_get(v, "isHidden"));
	if (!out->id || !*out->id) {
		graph_folder_free(out);
		return gerr_set(err, "folder answer has no id");
	}
	return 0;
}

int graph_parse_folder(const char *body, size_t len, struct graph_folder *out, struct gerr *err)
{
	json_t *root = load(body, len, err);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!root)
		return -1;
	rc = folder_from(root, out, err);
	json_decref(root);
	return rc;
}

int graph_parse_folder_list(const char *body, size_t len, struct graph_folder_list *out,
			    struct gerr *err)
{
	json_t *root, *v;
	struct gerr skip;
	size_t i;

	memset(out, 0, sizeof(*out));
	json_t *value = load_collection(body, len, "folder list", &root, err);
	if (!value)
		return -1;
	out->items = xcalloc(json_array_size(value) + 1, sizeof(*out->items));
	json_array_foreach(value, i, v)
		if (folder_from(v, &out->items[out->len], &skip) == 0)
			out->len++;
	out->next_link = opt_str(root, "@odata.nextLink");
	json_decref(root);
	return 0;
}

void graph_folder_list_free(struct graph_folder_list *l)
{
	for (size_t i = 0; i < l->len; i++)
		graph_folder_free(&l->items[i]);
	free(l->items);
	free(l->next_link);
	memset(l, 0, sizeof(*l));
}

int graph_parse_folder_find(const char *body, size_t len, const char *name,
			    struct graph_folder *out, struct gerr *err)
{
	struct graph_folder_list l;

	memset(out, 0, sizeof(*out));
	if (graph_parse_folder_list(body, len, &l, err) < 0)
		return -1;
	for (size_t i = 0; i < l.len; i++) {
		if (l.items[i].name && strcasecmp(l.items[i].name, name) == 0) {
			*out = l.items[i];
			memset(&l.items[i], 0, sizeof(l.items[i]));
			break;
		}
	}
	graph_folder_list_free(&l);
	return 0;
}

void graph_folder_free(struct graph_folder *f)
{
	free(f->id);
	free(f->name);
	memset(f, 0, sizeof(*f));
}

char *graph_explain(long status, const struct graph_error *e, const char *what)
{
	struct buf b = {0};

	buf_printf(&b, "%s: ", what);
	if (status == 403 || graph_error_is(e, "ErrorAccessDenied") ||
		 graph_error_is(e, "Authorization_RequestDenied"))
		buf_puts(&b, "access denied: give the app registration the Application permission "
			     "Mail.ReadWrite (Microsoft Graph) and grant admin consent (`goniec "
			     "consent NAME` prints the link); an application access policy may "
			     "also exclude this mailbox");
	else if (graph_error_is(e, "ErrorInvalidUser") || graph_error_is(e, "MailboxNotEnabledForRESTAPI") ||
		 graph_error_is(e, "ResourceNotFound") || graph_error_is(e, "MailboxNotFound"))
		buf_puts(&b, "mailbox not found: set `mailbox` to the user's address (UPN) or "
			     "object id; the user needs an Exchange Online licence");
	else if (status == 401)
		buf_puts(&b, "access token refused");
	else if (status == 429 || status == 503 || status == 504)
		buf_puts(&b, "Microsoft Graph is throttling or unavailable; retrying later");
	else
		buf_printf(&b, "HTTP %ld", status);
	if (e->code)
		buf_printf(&b, " [%s]", e->code);
	if (e->message)
		buf_printf(&b, " (%.300s)", e->message);
	if (e->request_id)
		buf_printf(&b, " request-id %s", e->request_id);
	return buf_take(&b);
}

bool graph_error_needs_person(long status, const struct graph_error *e)
{
	if (status == 403)
		return true;
	return status == 404 && (graph_error_is(e, "ErrorInvalidUser") ||
				 graph_error_is(e, "MailboxNotEnabledForRESTAPI") ||
				 graph_error_is(e, "MailboxNotFound"));
}
