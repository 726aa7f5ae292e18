/* yamlload — YAML documents built from libyaml's event parser, with a nesting limit.
 *
 * libyaml's own loader (yaml_parser_load) takes any depth, and its scanner's cost grows
 * with the square of the depth: `[[[…]]]` 100,000 deep keeps it busy for minutes. This
 * loader builds the same yaml_document_t from the parser's events and stops at
 * YAML_LOAD_MAX_DEPTH with an error; libyaml reads at most about 1 KiB ahead of the
 * event it reports, so the rest of a hostile text is never scanned. An alias is the node
 * of its anchor, as with libyaml; an alias inside the node it names (a cycle) is refused.
 *
 * Ownership: a loaded document belongs to the caller (yaml_document_delete()); the
 * parser stays the caller's. Errors: yaml_load_next() returns -1 and fills *err with a
 * message ("YAML: ...") and its 1-based position; the parser is then of no further use.
 */
#ifndef GONIEC_YAMLLOAD_H
#define GONIEC_YAMLLOAD_H

#include <stddef.h>
#include <yaml.h>

#define YAML_LOAD_MAX_DEPTH 64

struct yaml_load_error {
	char msg[256];
	int line, col;
};

/* Load the next document of the parser's stream into doc: 1 when one was loaded, 0 at
 * the end of the stream (doc untouched), -1 on an error. */
int yaml_load_next(yaml_parser_t *parser, yaml_document_t *doc, struct yaml_load_error *err);

#endif
