/* xmlsafe — parse XML that comes from outside (invoices, statements) with libxml2, safely.
 *
 * xml_parse_untrusted() reads a document from memory with no network access, no entity
 * substitution, no DTD loading, and refuses any document that carries a DOCTYPE: the
 * parser stops at the DOCTYPE before a single declaration in it is read, so external
 * entities, parameter entities and entity expansion ("billion laughs") never happen.
 * Documents longer than the caller's max_len are refused unread; libxml2's own limits
 * stay on (no XML_PARSE_HUGE: names, nesting depth).
 * libxml2 prints nothing; what went wrong comes back in err with its line.
 *
 * xml_is() and xml_child() look elements up by local name *and* namespace, so that an
 * element of another vocabulary with the same name is never taken for ours.
 *
 * Ownership: the document belongs to the caller (xmlFreeDoc()).
 * Errors: NULL with err set ("line 3: ..."; "has a DOCTYPE, which is refused").
 */
#ifndef GONIEC_FORMATS_XMLSAFE_H
#define GONIEC_FORMATS_XMLSAFE_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "core/util.h"

xmlDocPtr xml_parse_untrusted(const void *data, size_t len, size_t max_len, struct gerr *err);

/* Is n an element with this local name in namespace ns? */
bool xml_is(const xmlNode *n, const char *ns, const char *name);
/* The first child element of parent with this local name in ns, or NULL. */
xmlNode *xml_child(const xmlNode *parent, const char *ns, const char *name);
/* The next sibling element after n with the same name and namespace, or NULL. */
xmlNode *xml_next_same(const xmlNode *n);

#endif
