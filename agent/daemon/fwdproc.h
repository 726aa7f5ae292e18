/* fwdproc — the forwarder as a child process of the daemon.
 *
 * The master runs `goniec forward --watch` (forward.h: deliveries by the routes,
 * exactly once per route, safe to kill at any point) as a supervised child, started
 * like a worker (worker.h) but without a time limit. A delivery can block for a route's
 * whole timeout (an SMTP server that does not answer); in a child it cannot hold up
 * schedules, worker limits, the control socket or the systemd watchdog.
 *
 * The child is restarted when it exits (after FWDPROC_BACKOFF_MIN_MS, doubling up to
 * FWDPROC_BACKOFF_MAX_MS while it keeps dying young), restarted at once after a reload
 * (so it reads the new routes), and stopped with the daemon (SIGTERM, then SIGKILL
 * WORKER_KILL_GRACE_MS later). Its counters reach `goniec status` through the status
 * file it writes (<state>/forward/status.json).
 *
 * Ownership: struct fwdproc is owned by the master. Errors: a failed start is logged and
 * retried like an exit.
 */
#ifndef GONIEC_DAEMON_FWDPROC_H
#define GONIEC_DAEMON_FWDPROC_H

#include "daemon/worker.h"

#define FWDPROC_BACKOFF_MIN_MS 5000
#define FWDPROC_BACKOFF_MAX_MS (5 * 60 * 1000)
#define FWDPROC_STABLE_MS (10 * 60 * 1000) /* ran this long: the next restart is quick */

struct fwdproc {
	struct worker w;        /* w.pid != 0 while it runs */
	int64_t restart_at_ms;  /* when to start it (INT64_MAX: not planned) */
	int64_t backoff_ms;
	bool restart_now;       /* terminated for a reload: start again when it is gone */
	bool wanted;            /* there are routes to deliver by */
	unsigned restarts;
};

void fwdproc_init(struct fwdproc *f);
/* Start it when due (argv: the full command line). */
void fwdproc_start(struct fwdproc *f, char *const *argv);
bool fwdproc_due(const struct fwdproc *f, int64_t now_ms);
/* After waitpid() reported its exit; plans the restart unless the daemon stops. */
void fwdproc_exited(struct fwdproc *f, int wstatus, bool stopping);
/* Whether it should run (the configuration has routes): starts it at once when it becomes
 * wanted, stops it (without a restart) when it no longer is. */
void fwdproc_want(struct fwdproc *f, bool wanted);
/* A reload: restart it so it reads the new routes (when it is wanted). */
void fwdproc_reload(struct fwdproc *f);
/* The daemon stops: terminate it, plan nothing. */
void fwdproc_stop(struct fwdproc *f);
/* SIGKILL when its grace after SIGTERM is over. */
void fwdproc_check_deadline(struct fwdproc *f, int64_t now_ms);
/* The next time it needs attention (restart or kill), INT64_MAX if none. */
int64_t fwdproc_next_ms(const struct fwdproc *f);

#endif
