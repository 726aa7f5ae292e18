/* journal — what the forwarder has delivered, per route and document, crash-safe.
 *
 * One append-only text file, <state>/forward/journal (mode 0600), one record a line:
 *     d <TAB> route <TAB> relpath      delivered by this route
 *     s <TAB> generation <TAB> relpath every route of this routes generation has
 *                                      settled the document (delivered or not wanted)
 *     u <TAB> generation <TAB> relpath the same, and no route wanted it (unrouted)
 * relpath is the document's spool-relative path. A record is written with one write(2)
 * after the delivery it records, so a kill -9 can lose at most the record of the last
 * delivery (the folder target recognises its own file on the retry; e-mail is sent
 * again with the same Message-ID). A torn last line is cut off at open. journal_sync()
 * makes the records durable (fdatasync); the forwarder calls it after each batch, or,
 * while watching, hands journal_sync_fd() to its sync thread (syncer.h).
 * "settled" lets a rescan skip documents without reading their sidecars; a new routes
 * generation (the routes' configuration changed) makes every document be looked at
 * again, while "delivered" records still prevent repeats. Only the settled records of the
 * generation given at open are kept in memory (about 80 bytes a record); when most lines
 * are stale the file is rewritten (atomically) at open.
 *
 * The journal is locked (flock) while open: one forwarder per state directory.
 * Ownership: journal_open() returns a journal freed with journal_close().
 * Errors: -1 / NULL with err naming the file.
 */
#ifndef GONIEC_FORWARD_JOURNAL_H
#define GONIEC_FORWARD_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/util.h"

struct journal;

struct journal *journal_open(const char *state_dir, const char *generation, struct gerr *err);
void journal_close(struct journal *j);

bool journal_delivered(const struct journal *j, const char *route, const char *relpath);
int journal_mark_delivered(struct journal *j, const char *route, const char *relpath,
			   struct gerr *err);
/* Settled in the journal's generation? */
bool journal_settled(const struct journal *j, const char *relpath);
int journal_mark_settled(struct journal *j, const char *relpath, bool routed, struct gerr *err);
/* Documents settled in this generation that no route wanted. */
size_t journal_unrouted(const struct journal *j);
int journal_sync(struct journal *j, struct gerr *err);
/* For a sync in another thread: the descriptor to fdatasync for the records written so
 * far, or -1 when they are durable already; from now on the journal counts them durable
 * (the caller reports a failed fdatasync). */
int journal_sync_fd(struct journal *j);
/* Number of documents delivered by a route. */
size_t journal_delivered_by(const struct journal *j, const char *route);
/* Does this relpath fit in a record (no TAB, no newline, not empty)? */
bool journal_key_ok(const char *relpath);

#endif
