/* route — see route.h. */
#include "forward/route.h"

#include <stddef.h>
#include <stdlib.h>

#include "core/config.h"

static int match_parse(struct cf_ctx *ctx, yaml_node_t *node, void *dst,
		       const struct cf_field *field)
{
	struct route_match *m = dst;
	if (node->type != YAML_MAPPING_NODE)
		return cf_error(ctx, node, "%s: expected a mapping of sidecar fields to patterns",
				field->key);
	int rc = 0;
	for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(ctx->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(ctx->doc, p->value);
		if (!cf_scalar(k) || !cf_scalar(v)) {
			rc = cf_error(ctx, k, "%s: each entry is `field: pattern`", field->key);
			continue;
		}
		m->paths = xrealloc(m->paths, (m->len + 1) * sizeof *m->paths);
		m->patterns = xrealloc(m->patterns, (m->len + 1) * sizeof *m->patterns);
		m->paths[m->len] = xstrdup(cf_scalar(k));
		m->patterns[m->len++] = xstrdup(cf_scalar(v));
	}
	return rc;
}

static void match_release(void *dst)
{
	struct route_match *m = dst;
	for (size_t i = 0; i < m->len; i++) {
		free(m->paths[i]);
		free(m->patterns[i]);
	}
	free(m->paths);
	free(m->patterns);
	m->paths = m->patterns = NULL;
	m->len = 0;
}

static const struct cf_field folder_fields[] = {
	{.key = "path", .type = CF_STRING, .offset = offsetof(struct route_folder_target, path),
	 .flags = CF_REQUIRED, .help = "the destination directory"},
	{.key = "name", .type = CF_STRING, .offset = offsetof(struct route_folder_target, name),
	 .dflt = "{file}", .help = "naming template over sidecar fields"},
	CF_END,
};

const struct cf_field route_fields[] = {
	{.key = "match", .type = CF_CUSTOM, .offset = offsetof(struct route, match),
	 .parse = match_parse, .release = match_release,
	 .help = "sidecar fields and the patterns they must match"},
	{.key = "folder", .type = CF_STRUCT, .offset = offsetof(struct route, folder),
	 .sub = folder_fields, .flags = CF_REQUIRED, .help = "deliver into a folder"},
	CF_END,
};

const size_t route_conf_size = sizeof(struct route);

int route_validate(struct cf_ctx *ctx, yaml_node_t *node, struct route_conf *r)
{
	(void)ctx;
	(void)node;
	(void)r;
	return 0;
}
