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
#include "core/stdcapture.h"

static const char *const outcome_names[] = {
	[RUN_OK] = "ok", [RUN_PARTIAL] = "partial", [RUN_FAILED] = "failed",
	[RUN_NEEDS_PERSON] = "needs-person", [RUN_BUSY] = "busy", [RUN_TIMEOUT] = "timeout",
	[RUN_CRASHED] = "crashed", [RUN_INTERRUPTED] = "interrupted", [RUN_NOT_RUN] = "not-run",
};

const char *run_outcome_name(enum run_outcome o)
{
	return (unsigned)o < ARRAY_LEN(outcome_names) ? outcome_names[o] : "unknown";
}

int run_outcome_parse(const char *name, enum run_outcome *o)
{
	for (size_t i = 0; name && i < ARRAY_LEN(outcome_names); i++)
		if (strcmp(name, outcome_names[i]) == 0) {
			*o = (enum run_outcome)i;
			return 0;
		}
	return -1;
}

bool run_outcome_failed(enum run_outcome o)
{
	return o != RUN_OK && o != RUN_PARTIAL && o != RUN_BUSY;
}

enum run_outcome run_outcome_of(const struct gerr *err)
{
	switch (err->kind) {
	case GERR_NEEDS_PERSON: return RUN_NEEDS_PERSON;
	case GERR_BUSY: return RUN_BUSY;
	default: return RUN_FAILED;
	}
}

void source_run_error(struct source_run *run, const struct gerr *err)
{
	log_error("%s: %s", run->src->name, err->msg);
	bool replaces = !run->errors || (err->kind == GERR_NEEDS_PERSON &&
					 run->err.kind != GERR_NEEDS_PERSON);
	if (replaces && &run->err != err)
		run->err = *err;
	run->errors++;
}

bool source_run_has_error(const struct source_run *run)
{
	return run->errors != 0;
}

enum run_outcome source_run_end(const struct source_run *run, bool progressed)
{
	if (!run->errors)
		return RUN_OK;
	if (run->err.kind == GERR_NEEDS_PERSON)
		return RUN_NEEDS_PERSON;
	return run->stats.filed || progressed ? RUN_PARTIAL : RUN_FAILED;
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
			return gerr_setk(err, GERR_BUSY,
					 "already running (another run of this source holds its lock)");
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
static const char *run_trace_dir;
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

void source_run_set_trace(const char *dir)
{
	run_trace_dir = dir;
}

enum run_outcome source_run_once(const struct config *cfg, const struct source_conf *src,
				 struct run_stats *stats, struct gerr *err)
{
	struct source_run run = {.cfg = cfg, .src = src, .progress = run_progress,
				 .trace_dir = run_trace_dir};
	struct spool spool = {0};
	run.state_dir = xasprintf("%s/sources/%s", cfg->agent.state_dir, src->name);
	enum run_outcome outcome = RUN_FAILED;
	int lock = -1;
	if (mkdir_p(run.state_dir, 0700, &run.err) == 0)
		lock = take_lock(run.state_dir, &run.err);
	if (lock >= 0) {
		struct gerr cerr;
		/* what libraries print (libetpan's GnuTLS errors) is logged under the source's name */
		bool captured = stderr_capture_begin(src->name, &cerr) == 0;
		if (!captured)
			log_warn("%s: %s", src->name, cerr.msg);
		outcome = report_held(&run, prepare_and_run(&run, &spool));
		if (captured)
			stderr_capture_end();
		close(lock);
	} else if (run.err.kind == GERR_BUSY) {
		outcome = RUN_BUSY;
	}
	/* An error reported with source_run_error() was logged then; a held message's
	 * summary, or an error the source set without reporting it, is logged here. */
	if (outcome != RUN_OK && (!run.errors || run.stats.held))
		log_error("%s: %s: %s", src->name, run_outcome_name(outcome), run.err.msg);
	else if (outcome != RUN_OK)
		log_notice("%s: %s", src->name, run_outcome_name(outcome));
	if (stats)
		*stats = run.stats;
	if (err)
		*err = run.err;
	free(run.state_dir);
	return outcome;
}
