/* status — what the daemon remembers of each source between runs and restarts.
 *
 * One small JSON file per source, <state>/sources/<name>/status.json, replaced by rename
 * (not synced: losing the last ones to a power cut costs at most a repeated run) by the
 * master after each run: when the last run started and ended, its outcome and
 * counts, the error a person should read, how many runs in a row failed, whether a run
 * was cut short by a stop (the next start repeats it), and the open alerts (alert.h).
 *
 * Outcomes are enum run_outcome (source.h), written to the file by name: those of a
 * run ("ok", "partial", "failed", "needs-person", "busy": a run by hand held the source's
 * lock, not a failure) and those the master adds ("timeout", "crashed", "interrupted").
 *
 * Ownership: a struct source_status owns its strings and alert array; release it with
 * status_release(). Errors: -1 with err set; a missing file is a source that never ran.
 */
#ifndef GONIEC_DAEMON_STATUS_H
#define GONIEC_DAEMON_STATUS_H

#include <jansson.h>
#include <time.h>

#include "core/util.h"
#include "sources/source.h"

struct alert {
	char *cause;       /* "needs-person", "failing", "quarantined" */
	char *message;
	time_t since;
	char notified[11]; /* local date (YYYY-MM-DD) of the last notice sent, "" if none */
	char stage[16];    /* a staged attention's stage last told, "" if none */
};

struct source_status {
	time_t last_start, last_end;  /* 0: never ran */
	bool ran;                     /* false: never ran (outcome meaningless) */
	enum run_outcome outcome;
	char *error;                  /* NULL when the run was fine */
	struct run_stats stats;
	unsigned failures;            /* runs in a row that failed */
	bool interrupted;
	struct alert *alerts;
	size_t nalerts;
};

int status_load(const char *state_dir, const char *name, struct source_status *st,
		struct gerr *err);
int status_save(const char *state_dir, const char *name, const struct source_status *st,
		struct gerr *err);
void status_release(struct source_status *st);

/* Record a finished run (outcome, counts, error or NULL). */
void status_record(struct source_status *st, enum run_outcome outcome,
		   const struct run_stats *stats, const char *error, time_t start, time_t end);

json_t *status_to_json(const struct source_status *st);
json_t *status_stats_to_json(const struct run_stats *s);
void status_stats_from_json(json_t *j, struct run_stats *s);

struct alert *status_find_alert(struct source_status *st, const char *cause);
struct alert *status_add_alert(struct source_status *st, const char *cause, const char *message,
			       time_t since);
void status_remove_alert(struct source_status *st, const char *cause);


/* One source's entry in the status document (`goniec status --json`): name, type,
 * company, schedule, running, next_run (epoch seconds or null), last run, alerts, and
 * "details" when the source type gives them (source_type.details). */
struct source_conf;
json_t *status_entry(const char *state_dir, const struct source_conf *src,
		     const struct source_status *st, time_t next_run, bool running);

/* The forwarder's status file (<state>/forward/status.json, see forward.h), or NULL. */
json_t *status_forward_file(const char *state_dir);

#endif
