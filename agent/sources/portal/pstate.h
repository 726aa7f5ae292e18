/* pstate — what a portal source keeps between runs in its state directory (mode 0700):
 *
 *   session.json  the portal session: cookies (Netscape lines), the values captured at
 *                 login (tokens, ids), and, while a one-time code is awaited, the otp step
 *                 to resume at, when the code was asked for, and the code once a person
 *                 gave it (`goniec otp`). Written 0600, atomically.
 *   points.json   every consumption point ever seen: {"<id>": {"name", "first_seen",
 *                 "last_seen"}}.
 *
 * Ownership: the structs own their strings; release with pstate_session_free() / json_decref().
 * Errors: -1 with err naming the file. A missing file is not an error (empty result).
 */
#ifndef GONIEC_PORTAL_PSTATE_H
#define GONIEC_PORTAL_PSTATE_H

#include <jansson.h>
#include <time.h>

#include "sources/portal/vars.h"

struct session {
	bool present;
	struct strlist cookies;
	struct vars vars;          /* VAR_SESSION values */
	bool pending;              /* waiting for a one-time code */
	long resume_at;            /* the otp step's index in login */
	char *otp_var;
	time_t asked_at;
	int64_t ttl;
	char *code;                /* given by a person, not used yet */
};

int pstate_session_load(const char *state_dir, struct session *s, struct gerr *err);
int pstate_session_save(const char *state_dir, const struct session *s, struct gerr *err);
int pstate_session_remove(const char *state_dir, struct gerr *err);
void pstate_session_free(struct session *s);
/* Store a code for the pending login (goniec otp NAME CODE). */
int pstate_give_code(const char *state_dir, const char *code, struct gerr *err);

/* points.json as a JSON object (a new empty one when missing). */
json_t *pstate_points_load(const char *state_dir, struct gerr *err);
int pstate_points_save(const char *state_dir, json_t *points, struct gerr *err);

#endif
