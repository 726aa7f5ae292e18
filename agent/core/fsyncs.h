/* fsyncs — make many files and directories durable at once, bounded by their own work.
 *
 * syncfs(2) makes a whole file system durable: cheap when goniec is alone on the disk,
 * but it also waits for every other program's unwritten data (a backup writing gigabytes
 * next to the spool makes each sync take seconds). Syncing each file on its own is
 * bounded by goniec's own work, but one after the other every fdatasync waits for its own
 * journal commit and cache flush. fsync_all() syncs them in parallel from a small pool of
 * threads: the file system gathers the concurrent syncs into a few commits (group
 * commit), and nothing of other programs is waited for beyond what shares a commit.
 *
 * Each target is opened (openat on dirfd, or AT_FDCWD for a path) and fdatasync'ed, or
 * fsync'ed when it is a directory; a directory that cannot be synced (EINVAL, EROFS: some
 * network file systems, where a rename is durable once the server answered) is no error.
 *
 * Ownership: the targets are borrowed. Errors: -1 with err naming the first target that
 * failed (all are still tried); 0 when every one is durable.
 */
#ifndef GONIEC_FSYNCS_H
#define GONIEC_FSYNCS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/util.h"

#define FSYNC_THREADS 32

struct sync_target {
	int dirfd;        /* AT_FDCWD for a path */
	const char *path;
	bool dir;
};

int fsync_all(const struct sync_target *v, size_t n, struct gerr *err);

#endif
