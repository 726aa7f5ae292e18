/* syncer — commits a group of prepared deliveries of one target type (its commit step,
 * target.h: for the folder, one syncfs per file system) in a thread of its own, so that the forwarder goes on copying the next documents while the disk
 * catches up. At most one group is in flight.
 *
 * syncer_post() hands a group over (the job array must stay untouched until the sync is
 * collected); syncer_fd() becomes readable when it is done; syncer_collect() returns its
 * result (0, or -1 with err) once done, waiting for it when `wait` is true.
 * The thread touches nothing but the jobs (the folder: their directory descriptors).
 *
 * Ownership: syncer_start() returns a syncer freed with syncer_stop() (which waits for a
 * sync in flight). Errors: NULL with err when the thread or eventfd cannot be made.
 */
#ifndef GONIEC_FORWARD_SYNCER_H
#define GONIEC_FORWARD_SYNCER_H

#include <stdbool.h>

#include "forward/target.h"

struct syncer;

struct syncer *syncer_start(struct gerr *err);
void syncer_stop(struct syncer *s);
int syncer_fd(const struct syncer *s);
bool syncer_busy(struct syncer *s);
void syncer_post(struct syncer *s, struct target_job *const *jobs, size_t n);
/* 1: not done yet (only when !wait); 0: synced; -1: failed (err). */
int syncer_collect(struct syncer *s, bool wait, struct gerr *err);

#endif
