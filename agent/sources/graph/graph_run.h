/* graph_run — what the parts of the graph source share during one run (internal to
 * sources/graph/):
 *   graph.c          configuration, the state file, the run itself
 *   graph_folders.c  folders: names and display paths resolved, the move_to folder found
 *                    or created, the folder tree for `goniec folders`, the access check
 *   graph_mail.c     pages listed, messages taken, attachments streamed into the spool,
 *                    moves
 *   graph_call.c     the session (sign-in, teardown), synchronous requests, failure
 *                    reporting
 * Calls point one way: graph.c -> graph_folders.c, graph_mail.c; graph_mail.c ->
 * graph_folders.c; all of them -> graph_call.c, which calls none of them.
 *
 * Ownership: struct grun owns every pointer in it; gr_setup() fills it (signing in) and
 * gr_teardown() releases it, also after a failed setup. struct gfolder owns its strings
 * (released by its user). Errors: gr_note_error() and gr_req_failed() log a failure and
 * keep the first for run->err; an answer that needs a person sets `fatal`, which stops
 * the run.
 */
#ifndef GONIEC_GRAPH_RUN_H
#define GONIEC_GRAPH_RUN_H

#include <jansson.h>

#include "core/strset.h"
#include "sources/graph/graph.h"
#include "sources/graph/graph_http.h"
#include "sources/graph/graph_json.h"

struct gmsg;

/* One configured folder during a run. */
struct gfolder {
	const char *spec;      /* as configured */
	char *id;
	char *name;            /* display name for sidecars */
	char *watermark;       /* list messages received at or after this */
	char *first_failed;    /* receivedDateTime of the first message that failed */
	char *last_listed;     /* receivedDateTime of the last message listed */
};

/* One run of a graph source. */
struct grun {
	struct source_run *run;
	const struct graph_conf *conf;
	struct graph_client *gc;
	char *user_path;       /* "/v1.0/users/<mailbox>" */
	char *move_name;
	char *move_id;
	char *secret;
	char *token_cache;
	json_t *state;         /* graph-folders.json */
	bool state_unreadable; /* then it is not overwritten */
	struct gmsg *to_move;  /* messages whose files are all in the spool */
	size_t nto_move;
	struct strset failed;  /* ids that failed in this run: not tried again in it */
	bool needs_person;
	bool fatal;            /* stop: credentials or mailbox problem */
	unsigned long errors;
};

/* One request run to its end (the queue must be empty). */
struct sync_call {
	struct grun *gr;
	const char *what;
	const char *expected_error;  /* a Graph error code that is an answer, not a failure */
	bool ok, got_expected;
	struct buf body;
};

/* graph_call.c (the session; it calls no other graph file, so that graph.c,
 * graph_folders.c and graph_mail.c point one way: run -> folders, mail -> call) */
void gr_note_error(struct grun *gr, const char *msg);
/* Record a failed request; a credentials/consent/mailbox answer stops the run. */
void gr_req_failed(struct grun *gr, const struct graph_req *req, const char *what);
/* 0 with the answer in c->body (the caller frees it), else -1 (reported, unless the answer
 * was c->expected_error: then c->got_expected). */
int gr_call(struct sync_call *c, const char *method, const char *path, const char *json_body);
/* Sign in as run->src says (token_cache may be NULL). */
int gr_setup(struct grun *gr, struct source_run *run, const char *token_cache);
/* Release what gr_setup() made (a run releases its waiting messages first). */
void gr_teardown(struct grun *gr);

/* graph_folders.c */
/* Resolve "inbox", "Junk Email" or "Inbox/Faktury/2026": fills f->id and f->name. */
int gr_resolve_folder(struct grun *gr, struct gfolder *f);
int gr_get_well_known(struct grun *gr, const char *wk, struct graph_folder *out);
int gr_ensure_move_folder(struct grun *gr);

/* graph_mail.c */
/* "2026-11-01T06:00:01Z", as Graph writes receivedDateTime (fractions allowed). */
bool gr_is_timestamp(const char *s);
/* List the folder from its watermark, take what is new, move it; advances f->watermark. */
void gr_list_and_take(struct grun *gr, struct gfolder *f);
/* Files are filed in one batch from gr_list_and_take() to here (spool.h): messages still
 * waiting for their move are released (a run that stopped early: looked at again next
 * run), what is pending made durable and the ids remembered written. */
void gr_end_filing(struct grun *gr);

#endif
