/* target — where a route delivers, as a table of target types (OpenSMTPD's delivery
 * backends are the model). A route has exactly one target: the conf.d key of one type
 * (`folder:`, `email:`) with that type's settings. Each type is one file and one entry
 * of target_types[] (targets.c):
 *   folder  target_folder.c  a (shared) folder: copied, synced in groups, linked in place
 *   email   target_email.c   SMTP through libcurl, the message assembled there (mailmsg.h)
 *   graph   target_graph.c   mail from a Microsoft 365 mailbox through Microsoft Graph
 *                            (sendMail; large attachments through an upload session)
 * A new type is one new file and one table entry — see HACKING.md, "Adding a delivery
 * target". The mail-like types share forward/mailparts.h.
 *
 * A type describes its settings (a confschema table checked by validate, a fingerprint
 * so that a changed route counts as new, a describe() line for logs) and delivers a
 * document in up to four steps, driven by the forwarder:
 *   prepare   take one document: check it, stage it (the folder copies it under a
 *             temporary name; e-mail checks it fits in a message)
 *   commit    make a group of prepared documents durable at once (the folder: its
 *             files synced together, fsyncs.h; NULL: nothing to do). While watching it
 *             runs in the syncer's thread (syncer.h), and so does deliver after it: for a
 *             type with commit, both touch nothing but their jobs (and may log).
 *   deliver   carry the group out (the folder links each into place and syncs the
 *             directories; e-mail sends the documents as one message) and say per
 *             document DELIVERED, DELIVER_RETRY or DELIVER_FAILED; job->where names
 *             where it went
 *   release   free what prepare made (always, also after a failure)
 * Types with commit are gathered in groups across routes and documents; others are
 * delivered one by one, or — when batched() says so — together at the end of a pass,
 * as many per delivery as fits() allows.
 *
 * Results: DELIVERED; DELIVER_RETRY for what may pass later (network, SMTP 4xx, a
 * sending quota, share not mounted, disk full), with job->retry_after_ms when the server
 * named the wait; DELIVER_FAILED for what needs a person (SMTP 5xx, a refused
 * certificate, permission denied, document too large). err says why, naming file or
 * server.
 *
 * Ownership: a job belongs to the forwarder; job->data to the type until release; the
 * settings to the route (freed with target_conf_release()).
 */
#ifndef GONIEC_FORWARD_TARGET_H
#define GONIEC_FORWARD_TARGET_H

#include <jansson.h>

#include "core/confschema.h"
#include "core/sidecar.h"
#include "core/util.h"

enum deliver_status { DELIVERED = 0, DELIVER_RETRY = 1, DELIVER_FAILED = 2 };

struct target_type;

/* One document on its way to a target. */
struct target_job {
	const struct target_type *type;
	const void *conf;           /* the route's target settings */
	const char *route;          /* the route's name */
	const char *state_dir;      /* <state>/routes/<route>: the route's own files (created
				     * when a type needs it) */
	/* The document: types with commit may use it in prepare only; others until deliver
	 * returns. */
	const struct sidecar *sc;
	void *data;                 /* the type's own, from prepare */
	char *where;                /* after deliver: where it went, for the log (owned) */
	int64_t retry_after_ms;     /* after DELIVER_RETRY: the wait the server asked for (a
				     * sending quota's window); 0: the usual growing delays */
};

struct target_type {
	const char *key;                /* the route's key in conf.d */
	const char *help;
	const struct cf_field *fields;  /* its settings */
	size_t conf_size;
	/* After cf_map(): check the settings, compile templates; report with cf_error(). */
	void (*validate)(struct cf_ctx *ctx, yaml_node_t *node, void *conf);
	/* Free what validate made (may be NULL); cf_free() frees the rest. */
	void (*release_conf)(void *conf);
	/* Append what identifies the settings: a change makes every document new to it. */
	void (*fingerprint)(const void *conf, struct buf *b);
	/* "folder /srv/import", "email to a@b.pl" (owned by the caller). */
	char *(*describe)(const void *conf);
	/* Do documents wait for the end of a pass (NULL: no)? */
	bool (*batched)(const void *conf);
	/* May these n documents go in one delivery (NULL: yes)? */
	bool (*fits)(const void *conf, const struct sidecar *scs, size_t n);
	/* The settings' OAuth sign-in (`goniec oauth ROUTE`), or NULL (may be NULL). */
	const struct oauth_conf *(*oauth)(const void *conf);
	enum deliver_status (*prepare)(struct target_job *job, struct gerr *err);
	int (*commit)(struct target_job *const *jobs, size_t n, struct gerr *err);
	/* st[i] and errs[i] for each job. */
	void (*deliver)(struct target_job *const *jobs, size_t n, enum deliver_status *st,
			struct gerr *errs);
	void (*release)(struct target_job *job);
};

/* Every type, NULL-terminated (targets.c). */
extern const struct target_type *const target_types[];
const struct target_type *target_type_find(const char *key);
/* Free a route's target settings (NULL is fine). */
void target_conf_release(const struct target_type *t, void *conf);
/* Release a job: the type's part, and where. */
void target_job_release(struct target_job *job);

/* The folder target's name for a document below its path (components made safe). */
struct route_folder_target;
char *target_folder_name(const struct route_folder_target *f, const struct sidecar *sc);

/* The types, for the table. */
extern const struct target_type target_folder;
extern const struct target_type target_email;
extern const struct target_type target_graph;

#endif
