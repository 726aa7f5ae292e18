/* yamlload — see yamlload.h. */
#include "core/yamlload.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/strset.h"
#include "core/util.h"

struct open_node {
	int id;
	int key; /* a mapping's key still waiting for its value; 0: none */
};

struct builder {
	yaml_document_t *doc;
	struct open_node open[YAML_LOAD_MAX_DEPTH];
	size_t depth;
	struct strset anchors; /* anchor name -> node id */
	struct yaml_load_error *err;
};

static int fail_at(struct yaml_load_error *err, yaml_mark_t mark, const char *fmt, ...)
	PRINTF_LIKE(3, 4);
static int fail_at(struct yaml_load_error *err, yaml_mark_t mark, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	err->line = (int)mark.line + 1;
	err->col = (int)mark.column + 1;
	return -1;
}

static int parser_failed(yaml_parser_t *parser, struct yaml_load_error *err)
{
	const char *problem = parser->problem ? parser->problem : "cannot parse";
	if (parser->context)
		return fail_at(err, parser->problem_mark, "YAML: %s %s", problem, parser->context);
	return fail_at(err, parser->problem_mark, "YAML: %s", problem);
}

/* Hang a finished node on the open collection it belongs to (none: it is the root). */
static int attach(struct builder *b, int id, yaml_mark_t mark)
{
	if (!b->depth)
		return 0;
	struct open_node *top = &b->open[b->depth - 1];
	int ok = 1;
	if (yaml_document_get_node(b->doc, top->id)->type == YAML_SEQUENCE_NODE) {
		ok = yaml_document_append_sequence_item(b->doc, top->id, id);
	} else if (!top->key) {
		top->key = id;
	} else {
		ok = yaml_document_append_mapping_pair(b->doc, top->id, top->key, id);
		top->key = 0;
	}
	return ok ? 0 : fail_at(b->err, mark, "YAML: out of memory");
}

static bool is_open(const struct builder *b, int id)
{
	for (size_t i = 0; i < b->depth; i++)
		if (b->open[i].id == id)
			return true;
	return false;
}

static int add_alias(struct builder *b, const yaml_event_t *ev)
{
	const char *anchor = (const char *)ev->data.alias.anchor;
	int id = (int)(intptr_t)strset_get(&b->anchors, anchor);
	if (!id)
		return fail_at(b->err, ev->start_mark, "YAML: found undefined alias '%s'", anchor);
	if (is_open(b, id))
		return fail_at(b->err, ev->start_mark,
			       "YAML: alias '%s' is inside the node it names", anchor);
	return attach(b, id, ev->start_mark);
}

/* "!" asks for the default tag, as with libyaml's loader. */
static const yaml_char_t *tag_of(const yaml_char_t *tag)
{
	return tag && strcmp((const char *)tag, "!") != 0 ? tag : NULL;
}

static int add_new_node(struct builder *b, const yaml_event_t *ev)
{
	const yaml_char_t *anchor = NULL;
	int id = 0;
	bool collection = ev->type != YAML_SCALAR_EVENT;
	if (collection && b->depth == YAML_LOAD_MAX_DEPTH)
		return fail_at(b->err, ev->start_mark,
			       "YAML: nested deeper than %d levels (lists and mappings inside each other); the rest is not read",
			       YAML_LOAD_MAX_DEPTH);
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		if (ev->data.scalar.length > INT_MAX)
			return fail_at(b->err, ev->start_mark, "YAML: a value is too long");
		id = yaml_document_add_scalar(b->doc, tag_of(ev->data.scalar.tag),
					      ev->data.scalar.value, (int)ev->data.scalar.length,
					      ev->data.scalar.style);
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		id = yaml_document_add_sequence(b->doc, tag_of(ev->data.sequence_start.tag),
						ev->data.sequence_start.style);
		break;
	default:
		anchor = ev->data.mapping_start.anchor;
		id = yaml_document_add_mapping(b->doc, tag_of(ev->data.mapping_start.tag),
					       ev->data.mapping_start.style);
		break;
	}
	if (!id)
		return fail_at(b->err, ev->start_mark, "YAML: out of memory");
	yaml_node_t *node = yaml_document_get_node(b->doc, id);
	node->start_mark = ev->start_mark;
	node->end_mark = ev->end_mark;
	if (anchor && !strset_put(&b->anchors, (const char *)anchor, (void *)(intptr_t)id))
		return fail_at(b->err, ev->start_mark, "YAML: found duplicate anchor '%s'", anchor);
	if (attach(b, id, ev->start_mark) < 0)
		return -1;
	if (collection)
		b->open[b->depth++] = (struct open_node){id, 0};
	return 0;
}

/* One event inside a document; sets *done at its end. */
static int take_event(struct builder *b, const yaml_event_t *ev, bool *done)
{
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		return add_alias(b, ev);
	case YAML_SCALAR_EVENT:
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return add_new_node(b, ev);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		yaml_document_get_node(b->doc, b->open[--b->depth].id)->end_mark = ev->end_mark;
		return 0;
	case YAML_DOCUMENT_END_EVENT:
		b->doc->end_mark = ev->end_mark;
		*done = true;
		return 0;
	default:
		return fail_at(b->err, ev->start_mark, "YAML: unexpected event in a document");
	}
}

/* Skip to the next document's start: 1 found (doc initialized), 0 end of stream. */
static int start_document(yaml_parser_t *parser, yaml_document_t *doc,
			  struct yaml_load_error *err)
{
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(parser, &ev))
			return parser_failed(parser, err);
		yaml_event_type_t type = ev.type;
		yaml_mark_t mark = ev.start_mark;
		yaml_event_delete(&ev);
		if (type == YAML_STREAM_END_EVENT || type == YAML_NO_EVENT)
			return 0;
		if (type != YAML_DOCUMENT_START_EVENT)
			continue; /* the stream's start */
		if (!yaml_document_initialize(doc, NULL, NULL, NULL, 1, 1))
			return fail_at(err, mark, "YAML: out of memory");
		doc->start_mark = mark;
		return 1;
	}
}

int yaml_load_next(yaml_parser_t *parser, yaml_document_t *doc, struct yaml_load_error *err)
{
	int started = start_document(parser, doc, err);
	if (started <= 0)
		return started;
	struct builder b = {.doc = doc, .err = err};
	bool done = false;
	int rc = 0;
	while (!done && rc == 0) {
		yaml_event_t ev;
		if (!yaml_parser_parse(parser, &ev)) {
			rc = parser_failed(parser, err);
			break;
		}
		rc = take_event(&b, &ev, &done);
		yaml_event_delete(&ev);
	}
	strset_free(&b.anchors);
	if (rc < 0) {
		yaml_document_delete(doc);
		return -1;
	}
	return 1;
}
