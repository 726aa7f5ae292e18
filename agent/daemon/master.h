/* master — `goniec run`: the long-running daemon.
 *
 * One master process schedules the sources of conf.d (plan.h), runs each source run in
 * a worker process (worker.h) — at most agent.workers at once, each with its time
 * limit — keeps each source's status (status.h) and alerts (alert.h), serves the control
 * socket (control.h), supervises the forwarder process (fwdproc.h), and talks to systemd
 * (notify.h). Nothing the master does blocks for long: fetching and delivering happen in
 * child processes.
 *
 * Signals: SIGHUP re-reads conf.d (a configuration with errors is rejected, its errors
 * logged, the last good one stays in force); SIGTERM/SIGINT stop: no new runs, running
 * workers get agent.stop_grace (10 s unless set) to finish, then are terminated (at their
 * next safe point); their runs are recorded as interrupted and repeated at the next start.
 *
 * Workers and the forwarder never load conf.d itself but a copy of the configuration in
 * force (<state>/daemon/conf.d.good.N, a new N at each reload): an edit of conf.d counts
 * from a reload on, and a rejected reload leaves them on the last good one.
 *
 * Errors: daemon_run() returns the process exit status (0 after a clean stop, 1 when it
 * could not start); everything after start is logged and the daemon keeps running.
 */
#ifndef GONIEC_DAEMON_MASTER_H
#define GONIEC_DAEMON_MASTER_H

#include "core/config.h"

struct daemon_opts {
	const char *confdir;
	const char *self;        /* the goniec binary, exec'd for workers */
};

/* Run until stopped. cfg is the configuration loaded at start (taken over: freed by the
 * daemon). Its spool and state directories stay in force for the daemon's life: a
 * reload does not move them. */
int daemon_run(const struct daemon_opts *o, struct config *cfg);

#endif
