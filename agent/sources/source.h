/* source — the interface every source type implements (folder, imap, graph, portal,
 * bank, ksef, register), and the registry of types.
 *
 * A source type describes its own conf.d keys (a confschema table), may check them
 * across fields, names its default schedule, and fetches: run() is called in a process
 * of its own with a prepared `struct source_run` (spool, dedupe index, state directory).
 * It files documents through sources/filing.h and reports progress in run->stats.
 *
 * Ownership: the run context and everything in it belong to the caller; a type keeps
 * nothing across runs except files in run->state_dir.
 *
 * Errors: run() returns a `enum run_outcome`; on anything but RUN_OK it leaves a message
 * for a person in run->err (no secrets in it). One rule for every source: report each
 * error with source_run_error(), which logs it and keeps the first one of the run in
 * run->err — except that an error needing a person replaces an earlier one of another
 * kind (it decides the outcome, and its message says what the person must do).
 * How a run that reported errors ends is one rule too, source_run_end(): needs-person
 * when the kept error needs a person, partial when the run still got something done,
 * failed when it got nothing done. The run's closing line repeats no error already
 * logged.
 * Outcomes travel as the enum; run_outcome_name() is for where JSON or text is written.
 * A message that goes over a limit (see mime.h) is held with source_run_hold(): left
 * where it is, and the run made partial with an error that names it.
 */
#ifndef GONIEC_SOURCE_H
#define GONIEC_SOURCE_H

#include <jansson.h>
#include <stdio.h>

#include "core/config.h"

struct spool;
struct dedupe;

enum run_outcome {
	RUN_OK = 0,
	RUN_PARTIAL,       /* some documents failed; the rest is filed, next run retries */
	RUN_FAILED,        /* nothing could be done this time (server gone, disk full) */
	RUN_NEEDS_PERSON,  /* credentials rejected, one-time code needed, consent expired */
	RUN_BUSY,          /* another run of the source holds its lock: nobody's failure */
	/* Given by the daemon only: */
	RUN_TIMEOUT,       /* killed at its time limit */
	RUN_CRASHED,       /* the worker died without a result */
	RUN_INTERRUPTED,   /* stopped by the daemon's stop; repeated at the next start */
	RUN_NOT_RUN,       /* a waiting fetch's source left the configuration before it ran */
};
/* "ok", "partial", "failed", "needs-person", "busy", "timeout", "crashed", "interrupted",
 * "not-run". */
const char *run_outcome_name(enum run_outcome o);
/* The outcome of a name; -1 when the name is unknown (*o untouched). */
int run_outcome_parse(const char *name, enum run_outcome *o);
/* Does the outcome count as a failure (towards "failures in a row")? */
bool run_outcome_failed(enum run_outcome o);

/* The stages a source type names for a source's alerts (its attention hook; daemon/alert.h):
 * static words, each stage told once; NULL: the notice repeats daily. */
struct alert_stages {
	const char *attention; /* of the hook's message: a consent "14d", then "3d" before it
				* ends */
	const char *runs;      /* of the alert the runs open themselves: needs-person ("ended": a
				* consent that ended) or failing ("changed": a portal's site no
				* longer fits its recipe; a staged failing alert opens at the first
				* failed run, not after ALERT_FAILURES) */
};

/* The outcome a run ends with when this error stopped it: needs-person, busy or failed. */
enum run_outcome run_outcome_of(const struct gerr *err);

struct run_stats {
	unsigned long looked_at;   /* messages / files / invoices examined (the source) */
	unsigned long filed;       /* documents filed (filing.h) */
	unsigned long duplicates;  /* already had them (filing.h, or the source by its id) */
	unsigned long quarantined; /* (filing.h) */
	unsigned long failed;      /* what the source could not take (the source) */
	unsigned long held;        /* messages left where they are for a person (over a limit) */
	unsigned long unreadable;  /* filed, but saying they could not be read: a statement
				      with statement.error (an enricher, filing.h); a person looks */
	uint64_t bytes;            /* bytes of the documents filed (filing.h) */
};

struct source_run {
	const struct config *cfg;
	const struct source_conf *src;
	struct spool *spool;
	struct dedupe *dedupe;     /* this source's index */
	char *state_dir;           /* <state>/sources/<name>, created, mode 0700 */
	struct run_stats stats;
	struct gerr err;
	unsigned errors;           /* errors reported with source_run_error() */
	struct gerr held;          /* the first held message and why (source_run_hold) */
	/* Called after each document or step when a terminal shows progress; may be NULL. */
	void (*progress)(const struct source_run *run);
	/* `goniec fetch NAME --trace DIR`: where to record every request and answer of the
	 * run, secrets masked (types that talk HTTP to a portal: portal), or NULL. */
	const char *trace_dir;
};

struct source_type {
	const char *name;
	const struct cf_field *fields;   /* the type's own keys */
	size_t conf_size;                /* sizeof its struct */
	/* Cross-field checks after cf_map(); report with cf_error(). May be NULL. */
	int (*validate)(struct cf_ctx *ctx, yaml_node_t *node, struct source_conf *src);
	const char *default_accept;      /* e.g. "pdf" */
	const char *const *default_times;/* e.g. {"05:00", "12:00", "14:00", NULL}, or NULL */
	int64_t default_every;           /* seconds between runs when default_times is NULL */
	enum run_outcome (*run)(struct source_run *run);
	/* What needs a person although runs succeed (a new consumption point without a
	 * property, a consent about to expire), as a message owned by the caller, or NULL.
	 * Looked at by the daemon after each run; may be NULL. The notice repeats daily while
	 * the message lasts, unless the hook names stages in *stages (struct alert_stages):
	 * then one notice per stage. daemon/alert.h. */
	char *(*attention)(const struct config *cfg, const struct source_conf *src,
			   struct alert_stages *stages);

	/* Commands of the type, reached by the CLI through these hooks only (the CLI includes
	 * no sources/<type>/ header). NULL: the type has no such command, and the CLI says so.
	 * Each prints for a person to `out`; on failure err says why. */
	/* `goniec folders NAME`: log in and list the mailbox's folders. */
	enum run_outcome (*folders)(const struct config *cfg, const struct source_conf *src,
				    FILE *out, struct gerr *err);
	/* `goniec consent NAME`: how to grant access, and whether it works yet. */
	enum run_outcome (*consent)(const struct config *cfg, const struct source_conf *src,
				    FILE *out, struct gerr *err);
	/* `goniec points NAME`: the consumption points found, their properties. 0 or -1. */
	int (*points)(const struct config *cfg, const struct source_conf *src, FILE *out,
		      struct gerr *err);
	/* `goniec otp NAME [CODE]`: is a login waiting for a one-time code; hand it one (0 or
	 * -1); where the code was sent (may return NULL). */
	bool (*waiting_for_code)(const struct config *cfg, const struct source_conf *src);
	int (*give_code)(const struct config *cfg, const struct source_conf *src, const char *code,
			 struct gerr *err);
	const char *(*code_sent_to)(const struct source_conf *src);
	/* `goniec oauth NAME`: the source's OAuth sign-in settings, or NULL when it signs in
	 * otherwise (core/oauth.h). */
	const struct oauth_conf *(*oauth)(const struct source_conf *src);
	/* `goniec bank link NAME [--code ADDRESS]` and `goniec bank accounts NAME`: start or
	 * finish linking an account (the consent), list the accounts it covers. They return
	 * the command's exit status (0, 1 failed, 3 needs a person: goniec(8)). */
	int (*link)(const struct config *cfg, const struct source_conf *src, const char *code);
	int (*accounts)(const struct config *cfg, const struct source_conf *src);
	/* What `goniec status` shows of the source beyond its runs (a bank source: the
	 * consent's expiry, each account's balance and last transaction), from the files in
	 * the state directory; a new reference, or NULL. May be NULL. */
	json_t *(*details)(const char *state_dir, const struct source_conf *src);
	/* `goniec providers [--json]`: the catalogue of what the type can drive (portal: the
	 * recipes, what each can do, what it follows, and the portals without one). Returns
	 * the exit status. */
	int (*catalogue)(const char *confdir, bool json, FILE *out);
	/* `goniec recipe test FILE --trace DIR`: run a recipe against a recorded trace, with
	 * no network; prints what it found. Returns the exit status (0 worked, 1 failed,
	 * 2 the recipe or the trace has errors). */
	int (*recipe_test)(const char *recipe, const char *trace_dir, FILE *out);
};

/* Report an error of the run: logged as "<source>: <message>", and kept in run->err by
 * the rule above. */
void source_run_error(struct source_run *run, const struct gerr *err);
/* Has the run reported an error (since it began)? */
bool source_run_has_error(const struct source_run *run);
/* The outcome of a run that went to its end, by the one rule: RUN_OK when it reported no
 * error; RUN_NEEDS_PERSON when the error it keeps needs a person; RUN_PARTIAL when it
 * filed a document or `progressed` (the source finished one of its parts — a folder, a
 * subject, an account — in spite of the errors); else RUN_FAILED. */
enum run_outcome source_run_end(const struct source_run *run, bool progressed);

/* Hold a message (`what` names it: folder, UID or id, sender, subject) that could not be
 * taken whole because of `why` (a limit): the source leaves it where it is, neither moved
 * nor marked done, and goes on with the others. Logged; counted in stats.held; the run
 * ends partial with an error naming the first held message (the daemon alerts on it). */
void source_run_hold(struct source_run *run, const char *what, const char *why);

/* Find a type by name; NULL if unknown. */
const struct source_type *source_type_find(const char *name);
/* NULL-terminated list of every type's name (for hints). */
const char *const *source_type_names(void);

/* Prepare a run (open spool and dedupe, create state dir) and run the source once.
 * The per-source lock is taken here: a second run of the same source at the same time
 * returns RUN_BUSY (its error of kind GERR_BUSY says "already running"). */
enum run_outcome source_run_once(const struct config *cfg, const struct source_conf *src,
				 struct run_stats *stats, struct gerr *err);
/* The progress callback source_run_once() gives its runs (NULL: none; the default). */
void source_run_set_progress(void (*fn)(const struct source_run *run));
/* The trace directory source_run_once() gives its runs (NULL: none; the default). */
void source_run_set_trace(const char *dir);
/* Ask the run in progress to end at its next safe point: what it filed is made durable,
 * the rest is left for the next run. Async-signal-safe (a worker calls it on SIGTERM). */
void source_run_request_stop(void);
/* Has a stop been requested? Sources look between documents or batches. */
bool source_run_stopping(void);

#endif
