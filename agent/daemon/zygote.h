/* zygote — the process that forks the workers of source runs.
 *
 * Forking a worker from the master made every run pay for the master's size and
 * activity: the fork copied the page tables of all its memory (the slots and statuses of
 * every source beside the configuration), and while up to `workers` children shared its
 * pages, each page the master wrote afterwards (its allocations, a slot, a reply) was a
 * copy-on-write fault — about a fifth of a run's CPU in the master (bench/RESULTS.md). The
 * zygote is forked from the master with the configuration in force (a generation) and
 * the shared PDF reader's door, and does nothing else: it waits on its socket, forks one
 * worker per request (worker_child(): the same child a direct fork runs), answers the
 * worker's pid, and reaps its workers, sending the master each exit status. It allocates
 * nothing and writes almost none of its pages, so its forks copy fewer page tables and
 * nobody pays copy-on-write faults for it.
 *
 * The master sets itself as the child subreaper: when the zygote ends (stopped for a new
 * generation or a new door, at the daemon's stop, or dead), its running workers become
 * the master's children, which the master reaps itself. zygote_stop() ends the input to the
 * zygote, reads the exit notices it sent before it ended, and reaps it; so no exit is
 * lost. A worker is started with the configuration of the generation the zygote was
 * forked with: the master starts a new zygote (zygote_fits() is false) after each reload,
 * never handing a run to an older one.
 *
 *   master → zygote   the source's name (a packet), the write end of the run's result
 *                     pipe (SCM_RIGHTS)
 *   zygote → master   struct zygote_note: ZYGOTE_STARTED with the worker's pid (or
 *                     -errno when fork failed), ZYGOTE_EXITED with a pid and its wait status
 *
 * Ownership: struct zygote is owned by the master. Errors: zygote_start() and
 * zygote_fork() return -1 with err set (the master then forks the worker itself); the
 * zygote ends when its socket ends, and dies with a signal as any process.
 */
#ifndef GONIEC_DAEMON_ZYGOTE_H
#define GONIEC_DAEMON_ZYGOTE_H

#include "daemon/worker.h"

#define ZYGOTE_NAME_MAX 4096 /* a longer source name is forked by the master itself */

struct zygote_exit {
	pid_t pid;
	int wstatus;
};

struct zygote {
	pid_t pid;                 /* 0: none */
	int fd;                    /* the master's end of its socket, -1: none */
	unsigned gen;              /* the configuration generation it forks with */
	int door;                  /* the PDF reader's door it passes on (-1: none) */
	struct zygote_exit *exits; /* exit notices read and not yet taken */
	size_t nexits;
};

void zygote_init(struct zygote *z);
/* Fork the zygote with cfg, generation gen and the current PDF door; fn runs in each
 * worker. The master must be the child subreaper (zygote_become_subreaper()). */
int zygote_start(struct zygote *z, worker_main_fn *fn, const struct config *cfg, unsigned gen,
		 struct gerr *err);
/* Make this process the subreaper of its descendants (the zygote's orphaned workers). */
void zygote_become_subreaper(void);
/* Does the running zygote fork with generation gen and the current door? */
bool zygote_fits(const struct zygote *z, unsigned gen);
/* A worker for source name, as worker_fork() would start it. */
int zygote_fork(struct zygote *z, struct worker *w, const char *name, int64_t timeout_s,
		struct gerr *err);
/* Read the notices that arrived (never blocks). */
void zygote_read(struct zygote *z);
/* The next exit notice read, false when none. */
bool zygote_take_exit(struct zygote *z, pid_t *pid, int *wstatus);
/* End the zygote (nothing when there is none): its last notices are read, it is reaped;
 * its running workers become this process's children. */
void zygote_stop(struct zygote *z);
/* For the process that reaps its children: true when pid was the zygote (it died); its
 * last notices are read. */
bool zygote_reaped(struct zygote *z, pid_t pid);
void zygote_free(struct zygote *z);

#endif
