/* route — the conf.d schema of a forwarding route (the typed part of struct route_conf).
 *
 * A route names what it wants (`match`: sidecar field -> wildcard) and where it goes
 * (`folder:` a destination directory and a naming template). The config loader maps
 * each route's YAML onto struct route with route_fields and calls route_validate().
 * Ownership: struct route belongs to its route_conf; cf_free(route_fields, r) frees it.
 */
#ifndef GONIEC_ROUTE_H
#define GONIEC_ROUTE_H

#include "core/confschema.h"

struct route_match {
	char **paths;    /* sidecar field paths, e.g. "company", "invoice.number" */
	char **patterns; /* wildcard each must match */
	size_t len;
};

struct route_folder_target {
	char *path;
	char *name;      /* naming template, e.g. "{company}/{file}" */
};

struct route {
	struct route_match match;
	struct route_folder_target folder;
};

extern const struct cf_field route_fields[];
extern const size_t route_conf_size;
struct route_conf;
int route_validate(struct cf_ctx *ctx, yaml_node_t *node, struct route_conf *r);

#endif
