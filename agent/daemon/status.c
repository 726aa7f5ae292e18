/* status — per-source run status files; see status.h. */
#include "daemon/status.h"

#include "daemon/plan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *status_path(const char *state_dir, const char *name)
{
	return xasprintf("%s/sources/%s/status.json", state_dir, name);
}

json_t *status_stats_to_json(const struct run_stats *s)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "looked_at",
			 (json_int_t)s->looked_at, "filed", (json_int_t)s->filed, "duplicates",
			 (json_int_t)s->duplicates, "quarantined", (json_int_t)s->quarantined,
			 "failed", (json_int_t)s->failed, "held", (json_int_t)s->held, "unreadable",
			 (json_int_t)s->unreadable, "bytes", (json_int_t)s->bytes);
}

static unsigned long get_count(json_t *obj, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(obj, key));
	return v > 0 ? (unsigned long)v : 0;
}

void status_stats_from_json(json_t *j, struct run_stats *s)
{
	s->looked_at = get_count(j, "looked_at");
	s->filed = get_count(j, "filed");
	s->duplicates = get_count(j, "duplicates");
	s->quarantined = get_count(j, "quarantined");
	s->failed = get_count(j, "failed");
	s->held = get_count(j, "held");
	s->unreadable = get_count(j, "unreadable");
	s->bytes = get_count(j, "bytes");
}

static json_t *alerts_to_json(const struct source_status *st)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < st->nalerts; i++) {
		const struct alert *a = &st->alerts[i];
		json_array_append_new(arr, json_pack("{s:s,s:s,s:I,s:s,s:s}", "cause", a->cause,
						     "message", a->message, "since", (json_int_t)a->since,
						     "notified", a->notified, "stage", a->stage));
	}
	return arr;
}

json_t *status_to_json(const struct source_status *st)
{
	json_t *j = json_pack("{s:I,s:I,s:o,s:o,s:o,s:I,s:b,s:o}",
			      "last_start", (json_int_t)st->last_start, "last_end", (json_int_t)st->last_end,
			      "outcome", st->ran ? json_string(run_outcome_name(st->outcome)) : json_null(),
			      "error", st->error ? json_string(st->error) : json_null(),
			      "stats", status_stats_to_json(&st->stats), "failures", (json_int_t)st->failures,
			      "interrupted", st->interrupted, "alerts", alerts_to_json(st));
	return j;
}

static char *opt_string(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? xstrdup(s) : NULL;
}

static void alerts_from_json(json_t *arr, struct source_status *st)
{
	size_t i;
	json_t *a;
	json_array_foreach(arr, i, a) {
		const char *cause = json_string_value(json_object_get(a, "cause"));
		const char *msg = json_string_value(json_object_get(a, "message"));
		if (!cause || !msg)
			continue;
		struct alert *al = status_add_alert(st, cause, msg,
						    (time_t)json_integer_value(json_object_get(a, "since")));
		const char *day = json_string_value(json_object_get(a, "notified"));
		if (day && strlen(day) < sizeof(al->notified))
			strcpy(al->notified, day);
		const char *stage = json_string_value(json_object_get(a, "stage"));
		if (stage && strlen(stage) < sizeof(al->stage))
			strcpy(al->stage, stage);
	}
}

int status_load(const char *state_dir, const char *name, struct source_status *st,
		struct gerr *err)
{
	memset(st, 0, sizeof(*st));
	char *path = status_path(state_dir, name);
	json_error_t jerr;
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	int rc = 0;
	if (!j) {
		if (access(path, F_OK) == 0)
			rc = gerr_set(err, "%s: %s (starting afresh)", path, jerr.text);
		free(path);
		return rc;
	}
	free(path);
	st->last_start = (time_t)json_integer_value(json_object_get(j, "last_start"));
	st->last_end = (time_t)json_integer_value(json_object_get(j, "last_end"));
	st->ran = run_outcome_parse(json_string_value(json_object_get(j, "outcome")),
				    &st->outcome) == 0;
	st->error = opt_string(j, "error");
	status_stats_from_json(json_object_get(j, "stats"), &st->stats);
	st->failures = (unsigned)get_count(j, "failures");
	st->interrupted = json_is_true(json_object_get(j, "interrupted"));
	alerts_from_json(json_object_get(j, "alerts"), st);
	json_decref(j);
	return 0;
}

int status_save(const char *state_dir, const char *name, const struct source_status *st,
		struct gerr *err)
{
	char *dir = xasprintf("%s/sources/%s", state_dir, name);
	int rc = mkdir_p(dir, 0700, err);
	free(dir);
	if (rc < 0)
		return -1;
	json_t *j = status_to_json(st);
	char *text = json_dumps(j, JSON_INDENT(1));
	json_decref(j);
	char *path = status_path(state_dir, name);
	char *tmp = xasprintf("%s.tmp", path);
	/* Renamed into place but not synced: the master writes one after every run, and a
	 * power cut that loses the last ones costs at most a repeated run. */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	rc = fd >= 0 && write_all(fd, text, strlen(text)) == 0 ? 0 : -1;
	if (fd >= 0 && close(fd) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -1;
	if (rc < 0) {
		gerr_sys(err, "%s", path);
		unlink(tmp);
	}
	free(tmp);
	free(path);
	free(text);
	return rc;
}

static void alert_release(struct alert *a)
{
	free(a->cause);
	free(a->message);
}

void status_release(struct source_status *st)
{
	free(st->error);
	for (size_t i = 0; i < st->nalerts; i++)
		alert_release(&st->alerts[i]);
	free(st->alerts);
	memset(st, 0, sizeof(*st));
}

void status_record(struct source_status *st, enum run_outcome outcome,
		   const struct run_stats *stats, const char *error, time_t start, time_t end)
{
	free(st->error);
	st->ran = true;
	st->outcome = outcome;
	st->error = error && *error ? xstrdup(error) : NULL;
	st->stats = *stats;
	st->last_start = start;
	st->last_end = end;
	st->interrupted = outcome == RUN_INTERRUPTED;
	if (st->interrupted)
		return; /* a stop is nobody's failure */
	st->failures = run_outcome_failed(outcome) ? st->failures + 1 : 0;
}

struct alert *status_find_alert(struct source_status *st, const char *cause)
{
	for (size_t i = 0; i < st->nalerts; i++)
		if (strcmp(st->alerts[i].cause, cause) == 0)
			return &st->alerts[i];
	return NULL;
}

struct alert *status_add_alert(struct source_status *st, const char *cause, const char *message,
			       time_t since)
{
	st->alerts = xrealloc(st->alerts, (st->nalerts + 1) * sizeof(*st->alerts));
	struct alert *a = &st->alerts[st->nalerts++];
	memset(a, 0, sizeof(*a));
	a->cause = xstrdup(cause);
	a->message = xstrdup(message);
	a->since = since;
	return a;
}

void status_remove_alert(struct source_status *st, const char *cause)
{
	struct alert *a = status_find_alert(st, cause);
	if (!a)
		return;
	alert_release(a);
	size_t i = (size_t)(a - st->alerts);
	memmove(a, a + 1, (st->nalerts - i - 1) * sizeof(*a));
	st->nalerts--;
}

json_t *status_entry(const char *state_dir, const struct source_conf *src,
		     const struct source_status *st, time_t next_run, bool running)
{
	json_t *details = src->type->details ? src->type->details(state_dir, src) : NULL;
	char *sched = plan_describe(src);
	json_t *j = status_to_json(st);
	json_object_set_new(j, "name", json_string(src->name));
	json_object_set_new(j, "type", json_string(src->type_name));
	json_object_set_new(j, "company", src->company ? json_string(src->company->id) : json_null());
	json_object_set_new(j, "enabled", json_boolean(src->enabled));
	json_object_set_new(j, "schedule", json_string(sched));
	json_object_set_new(j, "running", json_boolean(running));
	json_object_set_new(j, "next_run", next_run == NEXTRUN_NEVER || !src->enabled
						   ? json_null() : json_integer((json_int_t)next_run));
	if (details)
		json_object_set_new(j, "details", details);
	free(sched);
	return j;
}

json_t *status_forward_file(const char *state_dir)
{
	char *path = xasprintf("%s/forward/status.json", state_dir);
	json_t *j = json_load_file(path, 0, NULL);
	free(path);
	return j;
}
