/* source — running one source once (see source.h). */
#include "sources/source.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "core/dedupe.h"
#include "core/log.h"
#include "core/spool.h"

const char *run_outcome_name(enum run_outcome o)
{
	static const char *const names[] = {"ok", "partial", "failed", "needs-person"};
	return (unsigned)o < ARRAY_LEN(names) ? names[o] : "unknown";
}

/* The per-source lock: a file in the source's state directory held with flock() for the
 * whole run, by whichever process runs it (a daemon worker or `goniec fetch`). */
static int take_lock(const char *state_dir, struct gerr *err)
{
	char *path = path_join(state_dir, "run.lock");
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(path);
	if (fd < 0)
		return gerr_sys(err, "cannot open the run lock in %s", state_dir);
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		close(fd);
		if (e == EWOULDBLOCK)
			return gerr_set(err, "already running (another run of this source holds its lock)");
		errno = e;
		return gerr_sys(err, "cannot lock %s", state_dir);
	}
	return fd;
}

static enum run_outcome prepare_and_run(struct source_run *run, struct spool *spool)
{
	const struct config *cfg = run->cfg;
	const struct source_conf *src = run->src;
	char *index = path_join(run->state_dir, "filed.idx");
	enum run_outcome outcome = RUN_FAILED;
	if (spool_open(spool, cfg->agent.spool_dir, cfg->agent.state_dir, src->max_document_size,
		       &run->err) != 0)
		goto out;
	long removed = spool_cleanup(spool, src->name, &run->err);
	if (removed > 0)
		log_notice("%s: removed %ld leftover file(s) of an interrupted run", src->name, removed);
	run->spool = spool;
	run->dedupe = dedupe_open(index, spool->root, &run->err);
	if (!run->dedupe)
		goto out;
	outcome = src->type->run(run);
out:
	dedupe_close(run->dedupe);
	run->dedupe = NULL;
	spool_close(spool);
	free(index);
	return outcome;
}

static void (*run_progress)(const struct source_run *run);
static volatile sig_atomic_t stop_requested;

void source_run_request_stop(void) { stop_requested = 1; }
bool source_run_stopping(void) { return stop_requested != 0; }

void source_run_hold(struct source_run *run, const char *what, const char *why)
{
	log_warn("%s: %s: %s; the message is left where it is for a person", run->src->name, what,
		 why);
	if (!run->stats.held++)
		gerr_set(&run->held, "%s: %s", what, why);
}

/* Held messages make a run partial, and its error names the first of them first. */
static enum run_outcome report_held(struct source_run *run, enum run_outcome outcome)
{
	if (!run->stats.held)
		return outcome;
	struct gerr e;
	unsigned long more = run->stats.held - 1;
	char also[64] = "";
	if (more)
		snprintf(also, sizeof also, " (and %lu more: see the log)", more);
	gerr_set(&e, "%lu message(s) left where they are for a person: %s%s%s%s", run->stats.held,
		 run->held.msg, also, outcome != RUN_OK && run->err.msg[0] ? "; also: " : "",
		 outcome != RUN_OK ? run->err.msg : "");
	run->err = e;
	return outcome == RUN_OK ? RUN_PARTIAL : outcome;
}

void source_run_set_progress(void (*fn)(const struct source_run *run))
{
	run_progress = fn;
}

enum run_outcome source_run_once(const struct config *cfg, const struct source_conf *src,
				 struct run_stats *stats, struct gerr *err)
{
	struct source_run run = {.cfg = cfg, .src = src, .progress = run_progress};
	struct spool spool = {0};
	run.state_dir = xasprintf("%s/sources/%s", cfg->agent.state_dir, src->name);
	enum run_outcome outcome = RUN_FAILED;
	int lock = -1;
	if (mkdir_p(run.state_dir, 0700, &run.err) == 0)
		lock = take_lock(run.state_dir, &run.err);
	if (lock >= 0) {
		outcome = report_held(&run, prepare_and_run(&run, &spool));
		close(lock);
	}
	if (outcome != RUN_OK)
		log_error("%s: %s: %s", src->name, run_outcome_name(outcome), run.err.msg);
	if (stats)
		*stats = run.stats;
	if (err)
		*err = run.err;
	free(run.state_dir);
	return outcome;
}
