/* state — what the imap source remembers per folder between runs.
 *
 * One JSON file, <state_dir>/imap-folders.json, keyed by the folder's raw (wire) name:
 *   {"INBOX": {"uidvalidity": 1700000000, "last_uid": 4711, "pending_move": [4702],
 *              "held": [4650]}}
 * last_uid: every UID up to it has been looked at (taken, or not for us); pending_move:
 * messages whose documents are filed but whose move failed (retried next run); held:
 * messages left for a person because they go over a limit (looked at again every run,
 * until they are gone). When the
 * server's UIDVALIDITY differs, the folder starts over from UID 1 (the spool's content
 * dedupe keeps that from filing anything twice). Written with write_file_atomic(),
 * mode 0600. A missing or unreadable file means "nothing seen yet" (with a warning).
 *
 * Ownership: struct imap_state owns its JSON; release with imap_state_free().
 * Errors: imap_state_save() returns -1 with err set.
 */
#ifndef GONIEC_IMAP_STATE_H
#define GONIEC_IMAP_STATE_H

#include <stdint.h>

#include <jansson.h>

#include "core/util.h"

struct imap_state {
	char *path;
	json_t *root;
};

struct uid_list {
	uint32_t *uids;      /* owned */
	size_t len;
};
/* Add a UID unless it is there already. */
void uid_list_add(struct uid_list *l, uint32_t uid);

struct folder_state {
	uint32_t uidvalidity;
	uint32_t last_uid;
	struct uid_list pending; /* "pending_move" */
	struct uid_list held;
};

/* Load <state_dir>/imap-folders.json (core/statefile.h: missing or damaged is a fresh
 * start, every folder read from the beginning; nothing is filed twice). */
int imap_state_load(struct imap_state *st, const char *state_dir, struct gerr *err);
/* A copy of the folder's state (zeros when unknown); free with folder_state_free(). */
void imap_state_get(const struct imap_state *st, const char *folder, struct folder_state *out);
void imap_state_set(struct imap_state *st, const char *folder, const struct folder_state *fs);
int imap_state_save(struct imap_state *st, struct gerr *err);
void imap_state_free(struct imap_state *st);

void folder_state_free(struct folder_state *fs);

#endif
