/* alert — deciding and filing alert notices; see alert.h. */
#include "daemon/alert.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/spool.h"

static void local_day(time_t t, char out[11])
{
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static bool needs_person(const struct source_status *st)
{
	return st->ran && st->outcome == RUN_NEEDS_PERSON;
}

/* The failing alert's message: after ALERT_FAILURES runs in a row failed, or after the
 * first when the source type staged it (the failure lasts until a person acts). */
static char *failing_message(const struct source_status *st, bool staged, const char *err)
{
	if (needs_person(st) || st->failures < (staged ? 1u : ALERT_FAILURES))
		return NULL;
	if (st->failures == 1)
		return xasprintf("the last run failed: %s", err);
	return xasprintf("%u runs in a row failed; the last: %s", st->failures, err);
}

/* The message of each cause for the run in st, or NULL when the cause is absent; `staged`:
 * the source type named the cause's stage. */
static char *cause_message(const struct source_status *st, const char *attention,
			   const char *cause, bool staged)
{
	const char *err = st->error ? st->error : "no details";
	if (!strcmp(cause, "needs-person"))
		return needs_person(st) ? xstrdup(err) : NULL;
	if (!strcmp(cause, "failing"))
		return failing_message(st, staged, err);
	if (!strcmp(cause, "attention"))
		return attention ? xstrdup(attention) : NULL;
	if (!strcmp(cause, "held"))
		return st->stats.held > 0 ? xstrdup(err) : NULL;
	if (!strcmp(cause, "unreadable"))
		return st->stats.unreadable > 0
			       ? xasprintf("the last run filed %lu statement(s) that could not be "
					   "read; their sidecars say why (statement.error)",
					   st->stats.unreadable)
			       : NULL;
	if (st->stats.quarantined > 0)
		return xasprintf("the last run put %lu document(s) into quarantine",
				 st->stats.quarantined);
	return NULL;
}

static void add_notice(struct alert_notice *out, size_t *n, const char *cause, const char *msg,
		       bool resolved, time_t since)
{
	out[*n] = (struct alert_notice){xstrdup(cause), xstrdup(msg), resolved, since};
	(*n)++;
}

/* The stage a cause's notices follow (NULL: daily): the attention's for its message,
 * the runs' for the alerts the runs open (needs-person, failing). */
static const char *stage_of(const char *cause, const char *attention,
			    const struct alert_stages *stages)
{
	const char *stage = NULL;
	if (stages && !strcmp(cause, "attention"))
		stage = attention ? stages->attention : NULL;
	else if (stages && (!strcmp(cause, "needs-person") || !strcmp(cause, "failing")))
		stage = stages->runs;
	return stage && *stage ? stage : NULL;
}

/* Is a notice of this open alert due now: once per stage for a staged one, else once per
 * local day. */
static bool notice_due(const struct alert *a, const char *stage, const char *today)
{
	return stage ? strcmp(a->stage, stage) != 0 : strcmp(a->notified, today) != 0;
}

size_t alert_decide(struct source_status *st, const char *attention,
		    const struct alert_stages *stages, time_t now,
		    struct alert_notice out[ALERT_MAX_NOTICES])
{
	static const char *const causes[] = {"needs-person", "failing", "quarantined", "attention",
					     "held", "unreadable"};
	char today[11];
	local_day(now, today);
	size_t n = 0;
	for (size_t i = 0; i < ARRAY_LEN(causes); i++) {
		const char *staged = stage_of(causes[i], attention, stages);
		char *msg = cause_message(st, attention, causes[i], staged != NULL);
		struct alert *a = status_find_alert(st, causes[i]);
		if (msg && !a)
			a = status_add_alert(st, causes[i], msg, now);
		if (msg) {
			free(a->message);
			a->message = msg;
			if (notice_due(a, staged, today)) {
				add_notice(out, &n, a->cause, a->message, false, a->since);
				strcpy(a->notified, today);
			}
			snprintf(a->stage, sizeof(a->stage), "%s", staged ? staged : "");
		} else if (a) {
			/* a warning or failure streak that turned into "needs a person": not
			 * fixed, the needs-person alert tells now */
			bool superseded = needs_person(st) && (!strcmp(causes[i], "attention") ||
								!strcmp(causes[i], "failing"));
			if (!superseded)
				add_notice(out, &n, a->cause, a->message, true, a->since);
			status_remove_alert(st, causes[i]);
		}
	}
	return n;
}

void alert_notices_free(struct alert_notice *n, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(n[i].cause);
		free(n[i].message);
	}
}

char *alert_text(const struct source_conf *src, const struct alert_notice *n)
{
	char since[32];
	spool_iso_time(n->since, since);
	return xasprintf("goniec: %s: source %s%s%s (%s)\n"
			 "cause: %s\nsince: %s\n\n%s%s\n",
			 n->resolved ? "resolved" : "needs attention", src->name,
			 src->company ? " of company " : "", src->company ? src->company->id : "",
			 src->type_name, n->cause, since,
			 n->resolved ? "This is fixed now. It was: " : "", n->message);
}

int alert_file(const struct config *cfg, const struct source_conf *src,
	       const struct alert_notice *n, struct gerr *err)
{
	struct spool sp;
	if (spool_open(&sp, cfg->agent.spool_dir, cfg->agent.state_dir,
		       cfg->agent.max_document_size, err) < 0)
		return -1;
	struct strlist accept = {0};
	strlist_add(&accept, "text");
	char *hint = xasprintf("alert-%s-%s%s.txt", src->name, n->cause, n->resolved ? "-resolved" : "");
	json_t *extra = json_pack("{s:{s:s,s:s,s:s}}", "alert", "source", src->name, "cause", n->cause,
				  "state", n->resolved ? "resolved" : "open");
	json_t *origin = json_pack("{s:{s:I}}", "daemon", "pid", (json_int_t)getpid());
	struct doc_meta meta = {
		.source_name = src->name, .source_type = src->type_name,
		.company = src->company ? src->company->id : NULL, .name_hint = hint,
		.kind = "alert", .accept = &accept, .extra = extra, .origin = origin,
	};
	char *text = alert_text(src, n);
	struct spool_result res = {0};
	int rc = spool_file_buffer(&sp, NULL, &meta, text, strlen(text), &res, err);
	spool_result_free(&res);
	free(text);
	json_decref(extra);
	json_decref(origin);
	free(hint);
	strlist_free(&accept);
	spool_close(&sp);
	return rc;
}
