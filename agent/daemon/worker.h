/* worker — source runs in worker processes that take run after run.
 *
 * The master starts a worker with fork, and no exec: the child has the master's
 * configuration, already loaded and validated, so a run costs the same whatever the
 * number of other sources (no conf.d is read again), and it runs with exactly the
 * configuration in force when it started (never an older one, nor a newer one that was
 * not yet checked). The child is in a process group of its own, stdin on /dev/null,
 * stdout/stderr shared with the master (log lines), every other descriptor of the
 * master's closed but the door of the shared PDF reader (formats/pdftext.h: its runs read
 * their PDFs through the daemon's one goniec-pdftext) and its end of the master's
 * connection as fd 3.
 *
 * A source worker (worker_fork_runner) serves run after run of the configuration
 * generation it was forked with: the master hands it the next due source over that
 * connection (worker_hand: one line {"run":NAME,"gen":N}); a request of another
 * generation is refused (outcome not-run, and the worker ends). Each run is in a new thread
 * (a malloc arena of its own, no copy-on-write of the master's free chunks, fresh
 * thread-local state; a SIGTERM for the child is passed on to that thread) and runs the
 * source once with source_run_once() (which holds the per-source lock, shared with a
 * `goniec fetch` started by hand); the worker reports progress at most every
 * WORKER_PROGRESS_MS as
 *   {"progress":{"looked_at":..,"filed":..,"bytes":..,...}}
 * and one JSON line as the run's result:
 *   {"outcome":"ok","stats":{"looked_at":..,"filed":..,...},"error":null,"last":false}
 * "last": true when the worker ends after this run: after WORKER_MAX_RUNS runs, after a
 * SIGTERM, or when the run left something behind that the next one would inherit
 * (daemon/leftover.h: a descriptor or thread left, the environment, the working directory,
 * signal handling changed, memory grown past its bound). The master retires it too
 * (worker_retire: its end of the connection shut, the worker exits at end of file) when
 * it is idle for WORKER_IDLE_MS, older than WORKER_MAX_AGE_MS, of a configuration
 * generation a reload replaced, when the PDF reader's door it inherited has ended, or the
 * daemon stops. The master enforces each run's time
 * limit (SIGTERM to the group, SIGKILL WORKER_KILL_GRACE_MS later): a run past it, or
 * stopped, is recorded when its worker has exited, as it was with a process per run, and
 * the next run gets a fresh worker; an exit without a result is "crashed".
 * The payments matcher's runs are one-run children (worker_fork); other children (the
 * forwarder) are started by fork and exec with worker_spawn().
 *
 * Test hook (test builds only, core/testhook.h): with GONIEC_TEST_WORKER_HOOK=NAME:ACTION
 * (several separated by commas) in its environment, the worker of source NAME, after each
 * document it files, inside the run and its lock: sleep:SECONDS; wait:PATH (until PATH
 * exists, or the daemon stops); abort (crashes); note:PATH (appends a line "PID
 * DESCRIPTORS" to PATH: the process and how many descriptors it has open); leak:WHAT
 * (leaves behind, as a faulty run would: fds — LEFTOVER_FD_SLACK + 1 descriptors, thread,
 * env, cwd, memory) — for tests of time limits, overlap, crashes and workers that go on.
 *
 * Ownership: struct worker is owned by the master; worker_finish() releases its buffers.
 * Errors: worker_spawn(), worker_fork() and worker_fork_runner() return -1 with err set;
 * results never fail (they map to an outcome with an error message).
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
#define WORKER_MAX_RUNS 200
#define WORKER_IDLE_MS 10000
#define WORKER_MAX_AGE_MS (10 * 60 * 1000)

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
	/* a source worker's (worker_fork_runner) */
	unsigned gen;               /* the configuration generation it was forked with */
	bool busy;                  /* a run was handed to it and has no result yet */
	bool retiring;              /* it ends: it takes no more runs */
	unsigned long runs;         /* runs handed to it */
	int64_t born_ms, idle_since_ms;
};

struct worker_result {
	enum run_outcome outcome;
	struct run_stats stats;
	char *error;         /* NULL when none */
	bool last;           /* a source worker: it ends after this run */
};

/* What a one-run child runs: the payments matcher's is matcher_main(cfg, company, fd)
 * (daemon/matcher.h). It writes its result line on fd and returns the exit status. */
typedef int worker_main_fn(const struct config *cfg, const char *name, int fd);

/* Master side. fn(cfg, name, WORKER_RESULT_FD) in a forked child, with the master's
 * configuration in force (nothing is loaded again). */
int worker_fork(struct worker *w, worker_main_fn *fn, const struct config *cfg, const char *name,
		int64_t timeout_s, struct gerr *err);
/* A source worker with the configuration in force, generation gen; idle until handed a run. */
int worker_fork_runner(struct worker *w, const struct config *cfg, unsigned gen, struct gerr *err);
/* Hand an idle source worker the run of source name; -1 when it cannot take it (gone). */
int worker_hand(struct worker *w, const char *name, int64_t timeout_s);
/* A source worker's run has its result and the worker lives on (not one stopped at its
 * time limit or by the daemon: those are recorded at the exit). */
bool worker_run_ended(const struct worker *w);
/* That run's result; the worker is idle again (or retiring, when it said it ends). */
void worker_take_result(struct worker *w, struct worker_result *res);
/* No more runs: the worker ends at the end of its current run, or at once when idle. */
void worker_retire(struct worker *w);
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

#endif
