/* fetch — one folder of one imap run: look at the UIDs not seen yet, file the accepted
 * attachments of whitelisted senders' messages, and move the taken messages.
 *
 * The wire pattern per folder: SELECT; UID FETCH <last+1>:<last+500> (UID ENVELOPE
 * BODYSTRUCTURE) per chunk of 500 UIDs; then, for messages with candidates, one UID FETCH
 * of just the wanted sections for every group of messages whose sections are alike (up
 * to 1 MiB of them per command), and BODY.PEEK[n]<offset.1MiB> chunks for a part larger
 * than 1 MiB; one UID MOVE (or COPY + STORE + UID EXPUNGE) per chunk. Whole messages are
 * never fetched, and memory stays bounded by those sizes (two chunks' structures at most).
 *
 * Durability: what a chunk files is made durable in the background as it goes (a flush
 * begun after each FETCH, unless one is running), the rest at the chunk's end; the next chunk's structures are
 * fetched while that last flush runs, and the chunk's messages are moved (and the folder's
 * state saved past them) only after it.
 *
 * A message is taken (moved) when every candidate attachment it has is filed or was
 * filed before; a message whose candidates were all refused by type (quarantined) stays
 * where it is. A failure (connection lost, disk full) stops the folder: last_uid stays
 * below the first message not finished, so the next run retries exactly that — a
 * section already filed is known by its source id "<uidvalidity>/<uid>/<section>" and
 * is not fetched again.
 *
 * A BODYSTRUCTURE libetpan cannot parse leaves the stream out of sync: the session is
 * re-opened and the UID range halved until that message is found; it is left alone with
 * a warning so that it cannot block the folder on every run.
 *
 * Errors: -1 with err set; the session's `broken` flag says whether it can go on.
 */
#ifndef GONIEC_IMAP_FETCH_H
#define GONIEC_IMAP_FETCH_H

#include "sources/imap/session.h"
#include "sources/imap/state.h"

struct imap_target {
	char *raw;          /* the move_to folder, modified UTF-7; NULL: leave messages */
	char *name;         /* UTF-8, for messages */
	bool ready;         /* known to exist */
};

/* folder: the name in UTF-8 (for people and sidecars); raw: as the server spells it. */
int imap_fetch_folder(struct source_run *run, struct imap_session *s, struct imap_state *st,
		      const char *folder, const char *raw, struct imap_target *target,
		      struct gerr *err);

#endif
