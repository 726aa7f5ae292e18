/* worker — one source run in a process of its own.
 *
 * The master starts a worker with fork, and no exec: the child has the master's
 * configuration, already loaded and validated, so a run costs the same whatever the
 * number of other sources (no conf.d is read again), and it runs with exactly the
 * configuration in force when it started (never an older one, nor a newer one that was
 * not yet checked). The child is in a process group of its own, stdin on /dev/null,
 * stdout/stderr shared with the master (log lines), every other descriptor of the
 * master's closed but the door of the shared PDF reader (formats/pdftext.h: the run reads
 * its PDFs through the daemon's one goniec-pdftext), and the write end of a pipe as fd 3. In a
 * thread of its own (a malloc arena of its own: no copy-on-write of the master's free
 * chunks; a SIGTERM for the child is passed on to that thread) it runs the source once with
 * source_run_once() (which holds the per-source lock, shared with a `goniec fetch`
 * started by hand), reports progress at most every WORKER_PROGRESS_MS as
 *   {"progress":{"looked_at":..,"filed":..,"bytes":..,...}}
 * and writes one JSON line as its result:
 *   {"outcome":"ok","stats":{"looked_at":..,"filed":..,...},"error":null}
 * The master reads the pipe, enforces the time limit (SIGTERM to the group, SIGKILL
 * WORKER_KILL_GRACE_MS later) and turns an exit without a result into "crashed".
 * Other children (the forwarder) are started by fork and exec with worker_spawn().
 *
 * Test hook (test builds only, core/testhook.h): with GONIEC_TEST_WORKER_HOOK=NAME:sleep:SECONDS (or
 * NAME:wait:PATH, NAME:abort; several separated by commas) in its environment, the worker of source NAME sleeps
 * (waits until PATH exists, or the daemon stops; crashes) after each document it files, inside the run and its
 * lock — for tests of time limits, overlap and crashes.
 *
 * Ownership: struct worker is owned by the master; worker_finish() releases its buffers.
 * Errors: worker_spawn() and worker_fork() return -1 with err set; results never
 * fail (they map to an
 * outcome with an error message).
 */
#ifndef GONIEC_DAEMON_WORKER_H
#define GONIEC_DAEMON_WORKER_H

#include <stdint.h>
#include <sys/types.h>

#include "core/config.h"
#include "daemon/control.h"
#include "sources/source.h"

#define WORKER_RESULT_FD 3
#define WORKER_KILL_GRACE_MS 5000
#define WORKER_PROGRESS_MS 200

struct worker {
	pid_t pid;           /* 0: no process */
	int fd;              /* read end of the result pipe, -1 when closed */
	struct line_buf out;
	int64_t started_ms;
	int64_t deadline_ms; /* SIGTERM at this time, SIGKILL WORKER_KILL_GRACE_MS later */
	int64_t timeout_s;
	bool term_sent, timed_out, stopped;
	char *result;               /* the result line, once it arrived */
	struct run_stats progress;  /* the latest progress report */
	bool progressed;            /* a report arrived that worker_take_progress() did not take */
};

struct worker_result {
	enum run_outcome outcome;
	struct run_stats stats;
	char *error;         /* NULL when none */
};

/* What a forked child runs: a source's run is worker_main(cfg, source name, fd); the
 * payments matcher's is matcher_main(cfg, company, fd) (daemon/matcher.h). It writes its
 * result line on fd and returns the exit status. */
typedef int worker_main_fn(const struct config *cfg, const char *name, int fd);

/* Master side. fn(cfg, name, WORKER_RESULT_FD) in a forked child, with the master's
 * configuration in force (nothing is loaded again). */
int worker_fork(struct worker *w, worker_main_fn *fn, const struct config *cfg, const char *name,
		int64_t timeout_s, struct gerr *err);
/* Ready in the master what every run needs and would otherwise set up again in each
 * forked child (OpenSSL's digests). */
void worker_preload(void);
/* Start this program again (execv of self, its path, with its own command line) with
 * LD_BIND_NOW=1, once, before the daemon loads anything: every library symbol is then
 * bound in the master, and no forked worker looks up and binds again (a copy-on-write
 * fault and a symbol search) each function the master never called — about 1.5 ms of CPU
 * a run (bench/RESULTS.md). In the image started again it only takes LD_BIND_NOW out of
 * the environment again, so that the programs the daemon starts (the forwarder, the PDF
 * reader, a source's helpers) start as they otherwise would. Nothing happens when
 * LD_BIND_NOW is set already; when the exec fails, a warning and the daemon goes on. */
void worker_bind_now(const char *self);
/* Another program: argv is the full command line (argv[0] the binary). */
int worker_spawn(struct worker *w, char *const *argv, int64_t timeout_s, struct gerr *err);
/* Read what is ready on w->fd (progress reports, the result); closes it at end of file. */
void worker_read(struct worker *w);
/* The latest progress report, once: false when none arrived since the last call. */
bool worker_take_progress(struct worker *w, struct run_stats *out);
/* Called when the time limit passes or the daemon stops: signal the group. */
void worker_terminate(struct worker *w, bool for_timeout);
void worker_kill(struct worker *w);
/* After waitpid() reported the exit: the run's result. Releases w's buffers. */
void worker_finish(struct worker *w, int wstatus, struct worker_result *res);
void worker_result_free(struct worker_result *res);

/* Parse a result line; -1 with err set when it is not one. */
int worker_parse_result(const char *line, struct worker_result *res, struct gerr *err);

/* Worker side (in the child): run the source and write its result to fd. Returns the
 * exit status. */
worker_main_fn worker_main;

#endif
