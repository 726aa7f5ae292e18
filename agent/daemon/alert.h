/* alert — notices for a person when a source needs one.
 *
 * Causes, looked at after every run of a source:
 *   needs-person  the source said so (credentials rejected, one-time code, consent)
 *   failing       ALERT_FAILURES or more runs in a row failed (timeouts and crashes count),
 *                 the last not needing a person (needs-person tells that one)
 *   quarantined   the last run put documents into quarantine
 *   attention     the source type says something needs a person although runs succeed
 *                 (source_type.attention: an unmapped consumption point, ...)
 *   held          the last run left messages where they are because they go over a limit
 *                 (source_run_hold: nested too deep); the run's error names them
 *   unreadable    the last run filed documents that could not be read (a statement with
 *                 statement.error: filed all the same, for a person to look at)
 * An alert opens with a notice, repeats the notice at most once per local day while the
 * cause lasts, and closes with one "resolved" notice when a run no longer shows it. Open
 * alerts live in the source's status (status.h) and so survive restarts.
 *
 * Staged alerts are told once per stage instead of daily: a notice when the alert opens
 * and one when the stage changes (the stage told is kept in the status, so a restart
 * repeats nothing), and "resolved" when it goes away. The source type's attention hook
 * names the stages (struct alert_stages in sources/source.h): its message's (a bank
 * consent "14d" before it expires, then "3d") and the runs' — of the needs-person alert
 * ("ended": the consent expired or was revoked, told once, not every day until a person
 * renews it) and of the failing alert (a portal whose site no longer fits its recipe:
 * told at the first failed run, then a reminder when the hook moves to the next stage,
 * every 7 days). An attention or failing alert that goes away in a run that ended
 * needing a person closes without a "resolved" notice: it was not fixed, the
 * needs-person alert now tells what to do.
 *
 * A notice is a short plain-text document filed into the spool with kind "alert" (and a
 * sidecar "alert" object: source, cause, state), so a route with `kind: alert` delivers
 * it like any other document, e.g. by e-mail.
 *
 * Ownership: notices own their strings; alert_notices_free() releases them.
 * Errors: alert_file() returns -1 with err set; the alert stays recorded either way.
 */
#ifndef GONIEC_DAEMON_ALERT_H
#define GONIEC_DAEMON_ALERT_H

#include "core/config.h"
#include "daemon/status.h"

#define ALERT_FAILURES 3
#define ALERT_MAX_NOTICES 6

struct alert_notice {
	char *cause;
	char *message;
	bool resolved;
	time_t since;
};

/* Update st->alerts after a run recorded in st; `attention` is the source type's
 * message (or NULL), `stages` the stages its hook named (NULL or NULL members: repeated
 * daily; see above). Fill `out` with the notices now due; returns how many. */
size_t alert_decide(struct source_status *st, const char *attention,
		    const struct alert_stages *stages, time_t now,
		    struct alert_notice out[ALERT_MAX_NOTICES]);
void alert_notices_free(struct alert_notice *n, size_t count);

/* The notice's text (owned by the caller). */
char *alert_text(const struct source_conf *src, const struct alert_notice *n);
/* File a notice into the spool of cfg. */
int alert_file(const struct config *cfg, const struct source_conf *src,
	       const struct alert_notice *n, struct gerr *err);

#endif
