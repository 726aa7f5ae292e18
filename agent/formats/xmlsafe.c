/* xmlsafe — libxml2 on untrusted XML (see xmlsafe.h). */
#include "formats/xmlsafe.h"

#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

struct parse_guard {
	bool doctype;
};

/* Called by libxml2 when it meets <!DOCTYPE ...>, before the internal subset. */
static void refuse_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id,
			   const xmlChar *system_id)
{
	xmlParserCtxtPtr parser = ctx;
	struct parse_guard *guard = parser->_private;
	(void)name;
	(void)external_id;
	(void)system_id;
	guard->doctype = true;
	xmlStopParser(parser);
}

static void quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void parse_error(xmlParserCtxtPtr parser, struct gerr *err)
{
	const xmlError *e = xmlCtxtGetLastError(parser);
	if (!e || !e->message) {
		gerr_set(err, "not well-formed XML");
		return;
	}
	size_t n = strlen(e->message);
	while (n > 0 && (e->message[n - 1] == '\n' || e->message[n - 1] == ' '))
		n--;
	gerr_set(err, "line %d: not well-formed XML: %.*s", e->line, (int)n, e->message);
}

xmlDocPtr xml_parse_untrusted(const void *data, size_t len, size_t max_len, struct gerr *err)
{
	if (len > max_len)
		return gerr_set(err, "%zu bytes, more than the %zu accepted", len, max_len), NULL;
	if (len == 0)
		return gerr_set(err, "empty"), NULL;
	xmlParserCtxtPtr parser = xmlNewParserCtxt();
	if (!parser)
		return gerr_set(err, "out of memory for the XML parser"), NULL;
	struct parse_guard guard = {0};
	parser->_private = &guard;
	parser->sax->internalSubset = refuse_doctype;
	xmlSetGenericErrorFunc(NULL, quiet);
	xmlDocPtr doc = xmlCtxtReadMemory(parser, data, (int)len, "untrusted.xml", NULL,
					  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
					  XML_PARSE_NOCDATA);
	if (guard.doctype) {
		gerr_set(err, "has a DOCTYPE, which is refused (no entity declarations are read)");
		xmlFreeDoc(doc);
		doc = NULL;
	} else if (!doc || !parser->wellFormed) {
		parse_error(parser, err);
		xmlFreeDoc(doc);
		doc = NULL;
	} else if (!xmlDocGetRootElement(doc)) {
		gerr_set(err, "no root element");
		xmlFreeDoc(doc);
		doc = NULL;
	}
	xmlFreeParserCtxt(parser);
	return doc;
}

bool xml_is(const xmlNode *n, const char *ns, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
	       strcmp((const char *)n->ns->href, ns) == 0 &&
	       strcmp((const char *)n->name, name) == 0;
}

xmlNode *xml_child(const xmlNode *parent, const char *ns, const char *name)
{
	for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
		if (xml_is(c, ns, name))
			return c;
	return NULL;
}

xmlNode *xml_next_same(const xmlNode *n)
{
	for (xmlNode *c = n->next; c; c = c->next)
		if (xml_is(c, (const char *)n->ns->href, (const char *)n->name))
			return c;
	return NULL;
}
