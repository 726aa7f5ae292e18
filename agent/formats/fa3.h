/* fa3 — read a KSeF FA(3) e-invoice (XML) into the invoice model (formats/invoice.h).
 *
 * FA(3) is the Ministry of Finance's structured invoice, schema "FA (3)" version 1-0E,
 * namespace FA3_NAMESPACE (../shared/samples/ksef/schemat_FA3_v1-0E.xsd). What is read,
 * each field's `found` naming its element path ("Fa/P_15"):
 *   invoice number P_2, kind RodzajFaktury, issue date P_1, sale date P_6 (or the one
 *   date every line's P_6A gives), period OkresFa, due dates Platnosc/TerminPlatnosci;
 *   seller Podmiot1 and buyer Podmiot2 (name, NIP or EU VAT/other id, address);
 *   currency KodWaluty; per VAT group the net P_13_x and VAT P_14_x (and P_14_xW, the
 *   VAT in PLN, for a foreign currency), their sums as net and vat, gross P_15;
 *   the exchange rate (KursWalutyZ, or the one every line's KursWaluty gives);
 *   payment form, paid / partly paid, the seller's and factor's bank accounts, the
 *   split-payment mark Adnotacje/P_18A; corrected invoices DaneFaKorygowanej, advance
 *   invoices FakturaZaliczkowa. Lists keep at most FA3_MAX_LIST entries.
 * The KSeF number and the direction are not in the XML: the caller adds them.
 *
 * Safety: libxml2 without network access, without entity substitution; a document with
 * a DOCTYPE (where entities would be declared) is refused before its declarations are
 * read; documents over FA3_MAX_BYTES and names or numbers over FA3_MAX_TEXT bytes are
 * refused. Every element is looked up in the FA(3) namespace; an XML whose root is not
 * FA(3)'s <Faktura> (another schema, FA(2), a namespace-less copy) is refused by name.
 *
 * Ownership: fa3_read() fills an empty invoice the caller frees with invoice_free().
 * Errors: -1 with err saying why, with the line and element path where there is one
 * ("line 48: Fa/P_15: amount \"12,5\" is not an FA(3) amount"); inv is left empty.
 */
#ifndef GONIEC_FORMATS_FA3_H
#define GONIEC_FORMATS_FA3_H

#include <stddef.h>

#include "formats/invoice.h"

#define FA3_NAMESPACE "http://crd.gov.pl/wzor/2025/06/25/13775/"
#define FA3_MAX_BYTES (16u * 1024 * 1024)
#define FA3_MAX_LIST 100
#define FA3_MAX_TEXT 2048   /* bytes: FA(3)'s longest text type is 512 characters */

int fa3_read(const void *xml, size_t len, struct invoice *inv, struct gerr *err);

#endif
