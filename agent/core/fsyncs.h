/* fsyncs — make many files and directories durable at once, bounded by their own work.
 *
 * syncfs(2) makes a whole file system durable: cheap when goniec is alone on the disk,
 * but it also waits for every other program's unwritten data (a backup writing gigabytes
 * next to the spool makes each sync take seconds). Syncing each file on its own is
 * bounded by goniec's own work, but one after the other every fdatasync waits for its own
 * journal commit and cache flush. fsync_all() syncs them in parallel from a small pool of
 * threads: the file system gathers the concurrent syncs into a few commits (group
 * commit), and nothing of other programs is waited for beyond what shares a commit.
 * The pool's threads are kept from one call to the next (starting ~30 threads for every
 * spool flush cost more CPU than the syncs on a quiet disk); each process has its own,
 * idle ones end after FSYNC_IDLE_MS, and a child forked meanwhile starts with none.
 *
 * Each target is opened (openat on dirfd, or AT_FDCWD for a path) and fdatasync'ed, or
 * fsync'ed when it is a directory; a directory that cannot be synced (EINVAL, EROFS: some
 * network file systems, where a rename is durable once the server answered) is no error.
 *
 * Measured on the development machine (bench/RESULTS.md): 1,000 new files synced with one
 * syncfs take 16-160 ms when the disk is quiet but 1.8 s while another program has 2 GB
 * unwritten; in parallel, each on its own, 160-200 ms either way; one after the other,
 * 5-11 s. fsync_group() therefore takes syncfs only while the system holds little
 * unwritten data besides the targets' own (FSYNC_FS_SLACK), when it costs no more than
 * that, and the parallel syncs otherwise: bounded by goniec's own work both ways.
 *
 * Ownership: the targets are borrowed. Errors: -1 with err naming the first target that
 * failed (all are still tried); 0 when every one is durable.
 */
#ifndef GONIEC_FSYNCS_H
#define GONIEC_FSYNCS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/util.h"

#define FSYNC_THREADS 32
/* The stack of a thread that syncs: small, so that glibc keeps the stacks of finished ones
 * for the next threads (its cache holds 40 MiB: 160 of these, five of the default 8 MiB)
 * instead of mapping and unmapping each. */
#define FSYNC_THREAD_STACK (256u << 10)
#define FSYNC_FS_SLACK (16u << 20) /* others' unwritten bytes a syncfs may carry along */
#define FSYNC_IDLE_MS 2000 /* an idle pool thread ends after this long */

struct sync_target {
	int dirfd;        /* AT_FDCWD for a path */
	const char *path;
	bool dir;
};

int fsync_all(const struct sync_target *v, size_t n, struct gerr *err);
/* End the pool's threads now and wait until they are gone (a daemon worker, before it looks
 * for threads a run left behind). Not while an fsync_all() runs in another thread. */
void fsync_pool_stop(void);
/* pthread_create() with a stack of FSYNC_THREAD_STACK and every signal blocked, for a
 * thread that makes files durable (fsync_all()'s workers, the spool's flush). Returns
 * pthread_create()'s result. */
int fsync_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg);
/* The same targets made durable the cheaper bounded way: one syncfs per file system they
 * are on while little else is unwritten, else fsync_all(). */
int fsync_group(const struct sync_target *v, size_t n, struct gerr *err);

#endif
