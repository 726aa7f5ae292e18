/* sniff — a document's type by its content (magic bytes), never by its name.
 *
 * Types: "pdf", "xml" (with a flavour: FA(3) e-invoice, CAMT.053, other), "mt940",
 * "csv", "zip", "transactions" (goniec.transactions/1 JSON, as the bank source files),
 * "register" (goniec.register/1, as the register source files), "payments"
 * (goniec.payments/1, the matcher's report), and "jpeg", "png", "gif", "html", "text",
 * "empty", "unknown" for what is
 * refused. sniff_check() also spots a truncated PDF (no %%EOF near its end).
 * All functions are pure: no allocation, no I/O.
 */
#ifndef GONIEC_SNIFF_H
#define GONIEC_SNIFF_H

#include <stdbool.h>
#include <stddef.h>

struct sniff_result {
	const char *type;        /* short name as above */
	const char *media_type;  /* "application/pdf", ... */
	const char *kind;        /* "invoice", "statement", "document" */
};

/* head: the first bytes (up to 4 KiB is plenty); tail: the last bytes (up to 1 KiB). */
struct sniff_result sniff_type(const unsigned char *head, size_t head_len,
			       const unsigned char *tail, size_t tail_len, size_t total);
/* Why a document of this type is not fit to file, or NULL when it is. */
const char *sniff_problem(const struct sniff_result *r, const unsigned char *tail,
			  size_t tail_len, size_t total);
/* File-name extension for a type ("pdf" -> ".pdf"). */
const char *sniff_extension(const char *type);

#endif
