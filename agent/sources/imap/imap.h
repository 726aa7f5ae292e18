/* imap — the `imap` source type: invoices and statements from IMAP mailboxes.
 *
 * What a run does (details in docs/imap.md): connect (IMAPS, STARTTLS or plain), verify
 * the server certificate and name (core/tlsverify), log in, and for each folder (default:
 * INBOX and the junk folder) SELECT it, fetch the ENVELOPE of the UIDs not seen yet and
 * the BODYSTRUCTURE of those from whitelisted senders, take the ones that have accepted
 * attachments, fetch just those body sections (large ones in bounded chunks), file each
 * attachment through the spool (streamed, type confirmed by content), then move the
 * message to `move_to` (UID MOVE, or UID COPY + \Deleted + UID EXPUNGE) — or leave it
 * and remember it. UIDVALIDITY, the last UID looked at and moves still to do are kept per
 * folder in the source's state directory.
 *
 * This header is the source's face to the rest of goniec: the type for the registry and
 * the folder listing behind `goniec folders NAME`.
 */
#ifndef GONIEC_IMAP_H
#define GONIEC_IMAP_H

#include <stdio.h>

#include "sources/source.h"

extern const struct source_type source_type_imap;

/* Its `folders` hook connects and logs in as the source says, and prints the server's
 * folders (decoded, one a line, with the ones a run reads by default marked). */

#endif
