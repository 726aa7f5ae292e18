/* watch — where new sidecars appear in the spool: inotify over the whole tree, or
 * polling when the spool is on a network file system.
 *
 * watch_scan() walks a directory of the spool (recursively; dot files and the top-level
 * quarantine/ are skipped) and reports every sidecar found; with inotify it adds the
 * watch of each directory BEFORE reading it, so nothing created meanwhile is missed.
 * watch_read() reads the pending events without blocking: a sidecar renamed or written
 * into place is reported, a new directory is watched and scanned at once, and a queue
 * overflow is returned so the caller rescans everything (events are hints only).
 * Network file systems (NFS, SMB/CIFS, AFS, Ceph, 9p, and FUSE, which sshfs and rclone
 * use — statfs f_type) send no events for changes made by other machines: there watch_polling() is true and the caller
 * rescans on a timer. Running out of watches (max_user_watches) also falls back to
 * polling, with a log line naming the sysctl.
 *
 * Reported paths are the document's spool-relative path (sidecar path without
 * ".meta.json"). Ownership: watch_open() returns a watch freed with watch_close().
 * Errors: NULL / -1 with err.
 */
#ifndef GONIEC_FORWARD_WATCH_H
#define GONIEC_FORWARD_WATCH_H

#include <stdbool.h>

#include "core/util.h"

struct watch;
typedef void (*watch_doc_fn)(const char *relpath, void *ctx);

struct watch *watch_open(const char *root, bool watch, bool force_poll, struct gerr *err);
void watch_close(struct watch *w);

int watch_fd(const struct watch *w);       /* -1 when polling or not watching */
bool watch_polling(const struct watch *w);
/* Why polling was chosen ("nfs", "cifs", "fuse", "no more watches", "asked"), or NULL. */
const char *watch_poll_reason(const struct watch *w);

/* Walk reldir ("" for the whole spool). Returns the number of sidecars reported. */
long watch_scan(struct watch *w, const char *reldir, watch_doc_fn fn, void *ctx);
/* Handle pending events. Returns 1 when the queue overflowed (rescan!), else 0. */
int watch_read(struct watch *w, watch_doc_fn fn, void *ctx);

#endif
