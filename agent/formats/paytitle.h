/* paytitle — what a bank transfer's title and counterparty fields say about the invoices
 * it pays: invoice numbers as whole tokens, a split-payment (MPP) message, NIPs, account
 * numbers and name words. The matcher (payments/engine.h) decides with these; this module
 * only reads text.
 *
 * Folding: every comparison is made on folded text (paytitle_fold): upper case, the
 * Polish letters without their marks (Ł → L, Ż → Z, ...), typographic dashes, quotes and
 * ellipses as their ASCII forms, control characters and no-break spaces as spaces, runs
 * of white space as one space, trimmed. Banks drop diacritics and change case at
 * will, so both sides of a comparison are folded the same way.
 *
 * Invoice numbers in titles (the rule of the product description): a number counts only
 * where it stands as a whole token of exactly its length. Characters are of three
 * classes:
 *   glue  letters, digits, '/', '\\', '_' and any non-ASCII byte: part of a token;
 *   soft  '-' and '.': they separate ("FV-210F1033", "ZAPL.FV") but may also stand
 *         inside a number ("FV-2026-1"), so a number may begin or end at them;
 *   hard  everything else (space, ',', ';', ':', brackets, quotes, ...): they separate.
 * So "1/2007" is not in "FV 11/2007" (glued '1') nor in "1/20071", and a number glued to
 * other text by '/' ("/FV1/2026", "FV1/2026/") does not count. An invoice number is
 * looked for in two forms (struct paytitle_key): as written, folded ("FVT 2368/2989284/
 * 2006"), and its core: without leading words of letters only ("FV 1/2007" → "1/2007",
 * "Faktura nr 12/2026" → "12/2026"), so that "FV", "nr", "Faktura" and case do not
 * matter. A core shorter than PAYTITLE_KEY_MIN or without a digit is not looked for
 * (such numbers, "1" or "A", stand in too many titles); those invoices are still paid by
 * their counterparty and amount.
 *
 * Finding is two steps so that a caller can look numbers up in an index: paytitle_spans()
 * gives each one-word candidate (a span bounded by separators, with a digit, of a
 * searchable length) and paytitle_key_at() checks whether an invoice whose key's last word
 * equals that span stands there whole (a number with spaces is checked backwards from its
 * last word), giving where its longest form begins. Among the numbers found in one title
 * a caller drops those that stand inside a longer one found there (paytitle_contained).
 *
 * Split payment (MPP): "/VAT/23,00/IDC/5231242681/INV/PM1253/2018/TXT/..." gives the VAT
 * part, the identifier (a NIP when it is one), the invoice number (the whole INV value:
 * slashes included) and the free text.
 *
 * Ownership: paytitle_fold() returns a string the caller frees; everything else writes
 * into the caller's buffers or structs and allocates nothing (paytitle_words adds copies
 * to the caller's list).
 * Errors: none; text that says nothing gives empty results. Every function takes any
 * bytes (titles are outside data) and never reads past the terminating NUL.
 */
#ifndef GONIEC_FORMATS_PAYTITLE_H
#define GONIEC_FORMATS_PAYTITLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/idnum.h"
#include "core/util.h"

#define PAYTITLE_KEY_MIN 3    /* shortest core of a number looked for in titles */
#define PAYTITLE_KEY_MAX 64   /* longest number (folded) looked for */
#define PAYTITLE_SPANS_MAX 256 /* candidates read from one title, at most */

/* Folded copy of text (see above); NULL gives "". */
char *paytitle_fold(const char *text);

/* An invoice number's two forms for finding it in titles. */
struct paytitle_key {
	char full[PAYTITLE_KEY_MAX + 1];  /* as written, folded */
	char core[PAYTITLE_KEY_MAX + 1];  /* without leading words of letters only */
	char last[PAYTITLE_KEY_MAX + 1];  /* the last word of both: what an index holds */
};
/* The keys of an invoice number; false when it is not looked for in titles. */
bool paytitle_number_key(const char *number, struct paytitle_key *k);

/* Call fn for each one-word candidate span [start, end) of a folded title: bounded by a
 * separator (or the text's ends) on both sides, beginning and ending with a glue
 * character, with a digit, PAYTITLE_KEY_MIN to PAYTITLE_KEY_MAX bytes long; at most
 * PAYTITLE_SPANS_MAX of them. */
typedef void (*paytitle_span_fn)(void *ctx, const char *folded, size_t start, size_t end);
void paytitle_spans(const char *folded, paytitle_span_fn fn, void *ctx);

/* Does the number stand whole in the folded title, ending at `end` (where a span equal to
 * its last word ends)? Returns where its longest matching form (full, else core) begins,
 * or -1. */
long paytitle_key_at(const char *folded, size_t end, const struct paytitle_key *k);

/* Is [start, end) strictly inside [ostart, oend)? */
static inline bool paytitle_contained(size_t start, size_t end, size_t ostart, size_t oend)
{
	return ostart <= start && end <= oend && (oend - ostart) > (end - start);
}

/* A split-payment (MPP) message. */
struct paytitle_mpp {
	bool has_vat;
	int64_t vat;                          /* grosze */
	char idc[32];                         /* the IDC value as written (trimmed, cut) */
	char nip[NIP_LEN + 1];                /* the IDC when it is a valid NIP, else "" */
	char inv[PAYTITLE_KEY_MAX + 1];       /* the INV value (trimmed, cut) */
	size_t txt;                           /* offset of the TXT value in the folded title,
					 * or 0 when there is none */
};
/* Read a folded title as an MPP message: true when it is one ("/VAT/" first, then "/IDC/"
 * and "/INV/" in order, "/TXT/" optional). */
bool paytitle_mpp(const char *folded, struct paytitle_mpp *m);

/* Valid NIPs standing as tokens in folded text ("5260250274", "526-025-02-74",
 * "PL5260250274", "NIP: 526 025 02 74"); up to max, each once. Returns how many. */
size_t paytitle_nips(const char *folded, char (*out)[NIP_LEN + 1], size_t max);
/* Valid Polish account numbers standing in folded text (26 digits, spaces allowed between
 * groups, "PL" optional), as compact IBANs; up to max, each once. Returns how many. */
size_t paytitle_accounts(const char *folded, char (*out)[IBAN_MAX_LEN + 1], size_t max);

/* The words of a name or title, folded, each once, in order: split at anything but
 * letters and digits; words of one letter, words of digits only, legal forms ("Sp. z
 * o.o." → nothing, "S.A.", "sp.k.", "spółka", "GmbH", ...) and the usual words of a
 * transfer title ("faktura", "zapłata", "przelew", ...) left out. Added to out. */
void paytitle_words(const char *text, struct strlist *out);

#endif
