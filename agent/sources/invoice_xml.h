/* invoice_xml — the `invoice` a sidecar gets for an e-invoice XML, whoever fetched it.
 *
 * One place for every source: the KSeF source, a mailbox's XML attachment, a folder.
 * The document is read with the FA(3) reader (formats/fa3.h); what the source already
 * knows (`given`: KSeF's number and the direction for a KSeF download) fills what the XML
 * does not say (invoice_merge(): the XML's own values win). When no direction is known,
 * the company's NIP decides it: the company as seller makes it a sale, as buyer a
 * purchase (found by "source", at "company.nip").
 * An XML that claims to be an invoice (`is_invoice`: the sniffer's kind, or the source's
 * word) but is not a readable FA(3) gets `invoice.error` saying why, with whatever the
 * source knew; it is filed all the same. Other XML gets nothing (NULL).
 *
 * Ownership: the returned object is the caller's (json_decref); `given` is borrowed.
 * Errors: none; a malformed `given` is logged and left out.
 */
#ifndef GONIEC_SOURCES_INVOICE_XML_H
#define GONIEC_SOURCES_INVOICE_XML_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

json_t *invoice_xml_json(const void *xml, size_t len, bool is_invoice, const json_t *given,
			 const char *company_nip);

#endif
