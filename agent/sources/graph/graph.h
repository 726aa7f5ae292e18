/* graph — the `graph` source: a Microsoft 365 mailbox read through Microsoft Graph with
 * an app registration (client-credentials flow), behaving like the `imap` source.
 *
 * A run: token → each configured folder resolved (well-known name, or a display path
 * "Inbox/Faktury" walked through childFolders) → messages received since the folder's
 * watermark listed page by page (attachments expanded in the listing, so a message costs
 * no extra request to inspect) → messages not seen before, from a whitelisted sender,
 * with a candidate attachment (formats/mime.h's rule) are taken: file attachments are
 * streamed from /$value into the spool, item attachments (forwarded mail) fetched as MIME
 * and walked for their files, reference attachments reported and left → when every
 * candidate of a message is in the spool it is moved to the yearly folder (created under
 * the mailbox root when missing) → the message id is remembered in the dedupe index and
 * the watermark (state file graph-folders.json) moves past what is done. A message with a
 * failed transfer is not remembered and the watermark stops before it, so the next run
 * takes it again; what was filed already is a duplicate then, never filed twice.
 *
 * Ownership: graph_conf is filled by the config layer (graph_fields) and freed by it.
 * Errors: run() leaves a message for a person in run->err.
 */
#ifndef GONIEC_SOURCES_GRAPH_H
#define GONIEC_SOURCES_GRAPH_H

#include <stdio.h>

#include "core/config.h"
#include "core/oauth.h"
#include "sources/source.h"

struct graph_conf {
	struct oauth_ms_app app; /* the app registration's keys (core/oauth.h) */
	char *mailbox;
	struct strlist folders;
	struct strlist senders;
	char *move_to;           /* NULL: leave messages where they are */
};

extern const struct source_type source_type_graph;

/* The admin-consent link for a graph source's app registration (owned by the caller). */
char *graph_consent_url(const struct source_conf *src);
/* Sign in and open the mailbox's inbox, without a state directory: RUN_OK when the app
 * registration, its consent and the mailbox are all right; else a message in err. */
enum run_outcome graph_check_access(const struct config *cfg, const struct source_conf *src,
				    struct gerr *err);
/* Sign in and print the mailbox's folders as display paths, one a line ('*': read by
 * this source, "(junk)": the Junk Email folder). */
enum run_outcome graph_print_folders(const struct config *cfg, const struct source_conf *src,
				     FILE *out, struct gerr *err);
/* The `consent` hook: print the admin-consent link and what to grant, then check access
 * (graph_check_access) and print the result. */
enum run_outcome graph_consent(const struct config *cfg, const struct source_conf *src,
			       FILE *out, struct gerr *err);
/* The move_to template with {year} replaced (owned by the caller). */
char *graph_move_folder_name(const char *tmpl, time_t now);

#endif
