/* forward — the forwarder: finds new documents in the spool and delivers each by every
 * route that wants it, exactly once per route (see journal.h, target.h, watch.h).
 *
 * A document counts as new when its sidecar appears. The spool is rescanned at start,
 * after an inotify queue overflow, and every `rescan_interval`; between rescans inotify
 * events say where to look (events are hints, the directory is the truth). On a spool
 * on a network file system (NFS, SMB/CIFS; found with statfs) the spool is polled
 * every `poll_interval` instead. Failed deliveries are retried with growing delays
 * (retry_base, doubling up to an hour); permanent failures wait for a configuration
 * change (a new forward_open()), except those that need a person (a refused sign-in or
 * permission: GERR_NEEDS_PERSON), which are counted failing and tried again after an
 * hour, or at once when the route's OAuth token file changes (`goniec oauth ROUTE`
 * signed in; looked at every 2 s while such a failure waits) — no reload needed. Documents of `batch: run` e-mail routes are collected
 * and sent together at the end of a one-shot pass, or once no new document has come for
 * `batch_settle` while watching. Folder deliveries are synced in groups (fsyncs.h);
 * while watching, a group gathers for at least 25 ms and is carried out (synced, linked
 * into place, its directories synced) by a thread of its own (syncer.h) while the next
 * group is copied; the next one is handed over whole when the thread is done, so a slow
 * disk makes groups larger, not documents wait (up to 4,096 copied documents; then the
 * forwarder waits for the thread). A group's deliveries are journaled after the thread is
 * done with them, and the journal is made durable by the thread too, before the next
 * group. Everything else runs in the caller's thread.
 *
 * Use from the daemon's event loop:
 *     struct forward *fw = forward_open(cfg, &opts, &err);   // rescans the spool
 *     poll on forward_fd(fw) (POLLIN: inotify events or a finished sync) with
 *     forward_timeout_ms(fw);
 *     forward_handle_events(fw);     // after either: reads events, delivers, retries
 *     forward_rescan_soon(fw);       // optional: a worker filed documents
 *     forward_stats(fw) ...          // counters for `goniec status`
 *     forward_close(fw);             // on reload (then open again) and at exit
 * One-shot: forward_open() then forward_pass(). An e-mail delivery blocks (an SMTP session
 * has the route's timeout).
 *
 * Status is also written to <state>/forward/status.json after every round that changed
 * something, for `goniec status` in another process:
 *   {"updated": ISO time, "mode": "inotify"|"poll"|"once", "unrouted": N,
 *    "routes": [{"name", "target", "delivered", "pending", "failing", "last_error"}]}
 *
 * Ownership: forward_open() borrows cfg (it must outlive the forwarder) and returns a
 * forwarder freed with forward_close(). Errors: NULL / -1 with err (journal locked by
 * another forwarder, spool missing); delivery failures are never errors of these
 * functions: they are logged, counted and retried.
 */
#ifndef GONIEC_FORWARD_H
#define GONIEC_FORWARD_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"

struct forward_opts {
	bool watch;               /* keep watching (inotify / polling); false: one pass */
	bool force_poll;          /* poll even on a local file system */
	int64_t rescan_interval;  /* ms; default 5 minutes */
	int64_t poll_interval;    /* ms; default 10 s */
	int64_t retry_base;       /* ms; default 30 s (GONIEC_FORWARD_RETRY_MS in a test build) */
	int64_t window_cap;       /* ms; the longest wait a server may name (a sending quota's
				   * window); 0: none (GONIEC_FORWARD_RETRY_MS in a test build) */
	int64_t batch_settle;     /* ms; default 30 s */
};

struct forward_route_stats {
	const char *name;
	const char *target;        /* "folder" or "email" */
	unsigned long delivered;   /* deliveries recorded in the journal */
	unsigned long pending;     /* matched, not delivered yet (retrying or batched) */
	unsigned long failing;     /* permanent failures waiting for a person */
	const char *last_error;    /* NULL when the last attempt worked */
};

struct forward;

struct forward *forward_open(const struct config *cfg, const struct forward_opts *opts,
			     struct gerr *err);
void forward_close(struct forward *fw);

/* One whole pass (rescan, deliver, send batches). Returns the number of failed
 * deliveries (0: everything wanted was delivered). */
long forward_pass(struct forward *fw);

int forward_fd(const struct forward *fw);
/* Milliseconds until forward_handle_events() should run even without events. */
int forward_timeout_ms(const struct forward *fw);
/* Read pending events (non-blocking), run due rescans and retries, deliver. */
void forward_handle_events(struct forward *fw);

/* Ask for a rescan at the next forward_handle_events() (forward_timeout_ms() becomes 0):
 * the daemon calls it when a worker has filed documents, so that a polled spool (NFS)
 * need not wait for the next poll. */
void forward_rescan_soon(struct forward *fw);

/* Per-route counters: an array of *count entries (cfg->routes order), owned by fw. */
const struct forward_route_stats *forward_stats(struct forward *fw, size_t *count);
/* Documents no route wants. */
unsigned long forward_unrouted(const struct forward *fw);
/* "inotify", "poll" or "once". */
const char *forward_mode(const struct forward *fw);

#endif
