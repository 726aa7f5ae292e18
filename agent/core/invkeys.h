/* invkeys — the invoices already filed, by their keys, to recognise the same invoice
 * arriving again from another source (a PDF by mail, a PDF from a portal, XML from KSeF).
 *
 * One SQLite database in the state directory (<state>/invoices.db, WAL, mode 0600),
 * shared by every source's worker: each check-and-record is one IMMEDIATE transaction,
 * so two workers filing copies of one invoice at once agree on which came first.
 *
 * A document is a copy of one filed before when
 *   - their KSeF numbers are the same, or else
 *   - their seller NIPs and normalised invoice numbers are the same (upper case, no
 *     spaces, no leading zeros in runs of digits: "fv 001/05" = "FV1/5"), they do not
 *     carry two different KSeF numbers, and their gross amounts do not disagree (both
 *     known and different, or in different currencies, is a disagreement; one unknown
 *     is not).
 * Originals are matched, with the keys and gross they were filed with; every copy is
 * recorded with its original, and stands in for it when the original's document is no
 * longer in the spool (so the first copy named is always one that is there).
 *
 * Documents are recorded by their content hash, known before a document has its final
 * name; the spool path is the one the cross-source content index (core/dedupe.h) gives
 * that hash once the document is filed. A hash the content index does not know (its
 * filing never finished) names no first copy.
 *
 * Durability: commits are not synced one by one (opening and closing the index for each
 * invoice, each close a checkpoint, made every invoice filed wait for about four syncs in
 * the fetching thread). A filing process keeps one handle open (invkeys_shared()), whose write-ahead log
 * stays in place (PERSIST_WAL) and is synced by the spool with the batch whose documents
 * it records (invkeys_wal(), as the content index's is): an invoice's keys are durable
 * before its sidecar appears. Where WAL is impossible each commit syncs.
 *
 * Ownership: invkeys_open() returns a handle the caller closes with invkeys_close();
 * invkeys_shared()'s belongs to this module (closed before a fork, opened again at the next
 * call). Strings returned are the caller's. Errors: -1 with err (names the database).
 */
#ifndef GONIEC_CORE_INVKEYS_H
#define GONIEC_CORE_INVKEYS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/util.h"

#define INVKEYS_FILE "invoices.db"
#define INVKEYS_NUMBER_MAX 128

struct invkeys;

/* What identifies one filed document's invoice. Strings may be NULL (unknown). */
struct invkey_doc {
	const char *ksef_number;
	const char *seller_nip;     /* compact, ten digits */
	const char *number;         /* as written; normalised here */
	bool has_gross;
	int64_t gross;              /* minor units of currency */
	const char *currency;
	const char *sha256;         /* the document's content (its SHA-256, lower-case hex) */
};

struct invkeys *invkeys_open(const char *state_dir, const char *spool_root, struct gerr *err);
void invkeys_close(struct invkeys *ik);
/* This process's handle for state_dir (and spool_root), opened at first use and kept; NULL
 * with err set. Not to be closed by the caller. */
struct invkeys *invkeys_shared(const char *state_dir, const char *spool_root, struct gerr *err);
/* The write-ahead log that invkeys_shared()'s commits in state_dir went to, for the spool
 * to sync with its batch; NULL when nothing was committed there in WAL mode. */
const char *invkeys_wal(const char *state_dir);

/* Does the document have a key the index looks up (a KSeF number, or a seller NIP and an
 * invoice number)? Without one, invkeys_check_and_add() does nothing (no need to open). */
bool invkeys_has_key(const struct invkey_doc *d);

/* Is the document a copy of one filed before? If so *first gets that one's spool path
 * (relative to the spool root)
 * and *reason why ("same KSeF number ...", "same seller NIP and invoice number ...");
 * else both are NULL. Then the document is recorded. A document with neither a KSeF
 * number nor a seller NIP and number is neither looked up nor recorded. */
int invkeys_check_and_add(struct invkeys *ik, const struct invkey_doc *d, char **first,
			  char **reason, struct gerr *err);

/* "fv 001/05/2021" → "FV1/5/2021" (out holds INVKEYS_NUMBER_MAX + 1 bytes). */
void invkeys_normalise_number(const char *number, char *out);

/* How many documents are recorded (for tests and status). */
long invkeys_count(struct invkeys *ik);

#endif
