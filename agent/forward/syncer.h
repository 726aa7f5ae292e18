/* syncer — carries out a group of prepared deliveries of one target type with a commit
 * step (target.h; the folder) in a thread of its own: the group is committed (the folder:
 * its files synced together, fsyncs.h) and, once that worked, delivered (the folder:
 * linked into place, its directories synced), while a second thread makes the journal's
 * records written so far durable (fdatasync of the descriptor given; they are of groups
 * done before, so neither waits for the other: on a busy disk, where every sync waits in
 * the device's queue, that is one wait a group instead of two). Meanwhile the
 * forwarder goes on reading the spool and copying the next documents; it journals a
 * group's deliveries only after the thread is done with it, i.e. after their data and
 * links are durable. One group is in flight at a time.
 *
 * syncer_post() hands a group over (the jobs, st and errs must stay untouched until it is
 * collected); syncer_fd() becomes readable when it is done; syncer_collect() reports it
 * once done, waiting for it when `wait` is true. Each job's outcome is in st[i] / errs[i]
 * (a failed commit: DELIVER_RETRY for every job, with the commit's error).
 * The thread touches nothing but the jobs (the folder: their directory descriptors and
 * temporary names), st, errs and the descriptor it syncs.
 *
 * A test build waits before each group while the file named by GONIEC_FORWARD_SYNC_WAIT
 * is missing (core/testhook.h): a sync as slow as a test likes; and before the journal's
 * fdatasync that goes with a group while the file named by GONIEC_FORWARD_JOURNAL_WAIT is
 * missing (the journal's records alone, posted while idle, never wait).
 *
 * Ownership: syncer_start() returns a syncer freed with syncer_stop() (which waits for a
 * group in flight). Errors: NULL with err when the thread or eventfd cannot be made.
 */
#ifndef GONIEC_FORWARD_SYNCER_H
#define GONIEC_FORWARD_SYNCER_H

#include <stdbool.h>

#include "forward/target.h"

struct syncer;

/* Commit a group, and deliver it when the commit worked: what the syncer's thread does,
 * also called in the caller's thread when there is no syncer (a one-shot pass). */
void group_carry_out(struct target_job *const *jobs, size_t n, enum deliver_status *st,
		     struct gerr *errs);

struct syncer *syncer_start(struct gerr *err);
void syncer_stop(struct syncer *s);
int syncer_fd(const struct syncer *s);
/* Hand over a group of n jobs (n may be 0) and a descriptor to fdatasync before it (-1:
 * none). */
void syncer_post(struct syncer *s, struct target_job *const *jobs, size_t n,
		 enum deliver_status *st, struct gerr *errs, int datasync_fd);
/* 1: not done yet (only when !wait); 0: done, or nothing was in flight; -1: done, but
 * the fdatasync of datasync_fd failed (err; the group's own outcome is in st/errs). */
int syncer_collect(struct syncer *s, bool wait, struct gerr *err);

#endif
