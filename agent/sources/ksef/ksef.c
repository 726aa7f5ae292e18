/* ksef — the `ksef` source type (see ksef.h). */
#include "sources/ksef/ksef.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/secret.h"
#include "core/statefile.h"
#include "core/spool.h"
#include "sources/ksef/isotime.h"
#include "sources/ksef/sync.h"

#define DEADLINE_MARGIN_MS 60000   /* left of the run's time limit for signing out */

static const char *const environments[] = {"prod", "demo", "test", NULL};
/* CIRFMF/ksef-docs srodowiska.md; CIRFMF/ksef-client-csharp KsefEnviromentsUris.cs. */
static const char *const environment_urls[] = {
	"https://api.ksef.mf.gov.pl/v2",
	"https://api-demo.ksef.mf.gov.pl/v2",
	"https://api-test.ksef.mf.gov.pl/v2",
};
static const char *const subject_names[] = {"purchase", "sales", NULL};

#define OFF(f) offsetof(struct ksef_conf, f)
static const struct cf_field ksef_fields[] = {
	{.key = "nip", .type = CF_NIP, .offset = OFF(nip), .flags = CF_REQUIRED,
	 .help = "the company's NIP (\"526-025-09-95\" or \"5260250995\"): the KSeF context"},
	{.key = "token", .type = CF_SECRET, .offset = OFF(token), .flags = CF_REQUIRED,
	 .help = "the KSeF token with InvoiceRead for this NIP (or token_file / _env / _credential)"},
	{.key = "environment", .type = CF_ENUM, .offset = OFF(environment),
	 .enum_values = environments, .dflt = "prod",
	 .help = "prod, demo (pre-production) or test: KSeF's environments"},
	{.key = "base_url", .type = CF_STRING, .offset = OFF(base_url),
	 .help = "the API base URL instead of the environment's (https://.../v2)"},
	{.key = "subjects", .type = CF_STRLIST, .offset = OFF(subjects), .dflt = "purchase",
	 .help = "purchase (the company as buyer), sales (as seller), or both"},
	{.key = "history", .type = CF_STRING, .offset = OFF(history),
	 .help = "where the first run begins: a date (2026-02-01) or a span back (90d); "
		 "default: the first day of the previous month"},
	{.key = "ca_file", .type = CF_STRING, .offset = OFF(ca_file),
	 .help = "PEM file of CA certificates to trust instead of the system store"},
	CF_END,
};

static const char *const ksef_default_times[] = {"06:30", "12:30", "18:30", NULL};

const char *ksef_base_url(const struct ksef_conf *c)
{
	return c->base_url ? c->base_url : environment_urls[c->environment];
}

/* ---- validation --------------------------------------------------------------------- */

static int check_subjects(struct cf_ctx *ctx, yaml_node_t *node, const struct ksef_conf *c)
{
	int rc = 0;
	if (!c->subjects.len)
		return cf_error(ctx, cf_get(ctx, node, "subjects"), "subjects: name purchase, sales or both");
	for (size_t i = 0; i < c->subjects.len; i++) {
		bool known = strcmp(c->subjects.items[i], "purchase") == 0 ||
			     strcmp(c->subjects.items[i], "sales") == 0;
		for (size_t j = 0; j < i && known; j++)
			if (strcmp(c->subjects.items[i], c->subjects.items[j]) == 0)
				rc = cf_error(ctx, cf_get(ctx, node, "subjects"), "subjects: '%s' twice",
					      c->subjects.items[i]);
		if (!known) {
			const char *hint = cf_suggest(c->subjects.items[i], subject_names);
			rc = cf_error(ctx, cf_get(ctx, node, "subjects"),
				      "subjects: unknown subject '%s'%s%s%s (purchase, sales)",
				      c->subjects.items[i], hint ? " (did you mean '" : "",
				      hint ? hint : "", hint ? "'?)" : "");
		}
	}
	return rc;
}

/* A date "YYYY-MM-DD" as local midnight, or a span ("90d") back from now; -1 when the
 * text is neither, -2 when the span is longer than any duration taken (confschema.h). */
static int history_start(const char *history, time_t now, int64_t *ms)
{
	struct tm tm;
	int64_t span;
	int rc;
	localtime_r(&now, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	if (!history) {
		tm.tm_mday = 1;
		tm.tm_mon -= 1;
	} else if ((rc = cf_parse_duration(history, &span)) == 0 && span > 0) {
		*ms = ((int64_t)now - span) * 1000;
		return 0;
	} else if (rc == -2) {
		return -2;
	} else {
		int y, m, d;
		char end;
		if (sscanf(history, "%4d-%2d-%2d%c", &y, &m, &d, &end) != 3 || m < 1 || m > 12 ||
		    d < 1 || d > 31)
			return -1;
		tm.tm_year = y - 1900;
		tm.tm_mon = m - 1;
		tm.tm_mday = d;
	}
	*ms = (int64_t)mktime(&tm) * 1000;
	return 0;
}

/* KSeF: "no more often than every 15 minutes per subject". */
static int check_schedule(struct cf_ctx *ctx, yaml_node_t *node, const struct schedule_conf *s)
{
	yaml_node_t *at = cf_get(ctx, node, "schedule");
	if (!s->set || s->manual)
		return 0;
	if (s->every && s->every < KSEF_MIN_INTERVAL)
		return cf_error(ctx, at, "schedule: KSeF asks to be queried no more often than every "
				"15 minutes; every %llds is too often", (long long)s->every);
	for (size_t i = 0; i < s->times.len; i++) {
		int a = s->times.minutes[i], b = s->times.minutes[(i + 1) % s->times.len];
		int gap = ((b - a) % 1440 + 1440) % 1440;
		if (s->times.len > 1 && gap < KSEF_MIN_INTERVAL / 60)
			return cf_error(ctx, at, "schedule: runs at %02d:%02d and %02d:%02d are closer than "
					"the 15 minutes KSeF asks for", a / 60, a % 60, b / 60, b % 60);
	}
	return 0;
}

static int ksef_validate(struct cf_ctx *ctx, yaml_node_t *node, struct source_conf *src)
{
	struct ksef_conf *c = src->typed;
	int64_t ms;
	int rc = check_subjects(ctx, node, c);
	if (c->base_url && !str_starts_with(c->base_url, "https://"))
		rc = cf_error(ctx, cf_get(ctx, node, "base_url"), "base_url must be an https:// URL");
	int hr = c->history ? history_start(c->history, time(NULL), &ms) : 0;
	if (hr == -2)
		rc = cf_error(ctx, cf_get(ctx, node, "history"), "history: '%s' is longer than goniec "
			      "waits for anything (%s at most)", c->history, CF_DURATION_MAX_TEXT);
	else if (hr < 0)
		rc = cf_error(ctx, cf_get(ctx, node, "history"), "history: '%s' is neither a date "
			      "(2026-02-01) nor a span back (90d)", c->history);
	if (check_schedule(ctx, node, &src->schedule) < 0)
		rc = -1;
	return rc;
}

/* ---- a run --------------------------------------------------------------------------- */

/* The high-water marks (core/statefile.h: a damaged file is set aside, and the subjects
 * start from the history again; the dedupe index keeps anything from being filed twice). */
static json_t *load_state(const char *dir, struct gerr *err)
{
	char *path = path_join(dir, KSEF_STATE_FILE);
	json_t *j = NULL;
	if (statefile_load(path, &j, err) < 0)
		j = NULL;
	free(path);
	return j;
}

/* The limits KSeF says are in force for this context (TEST may differ from PRD). */
static void take_limits(struct ksef_client *c, struct ksef_session *s)
{
	json_t *limits = NULL;
	struct gerr err = {0};
	if (ksef_request_json(c, KSEF_OTHER, "GET", "/rate-limits", s->access, NULL, &limits, NULL,
			      &err) == 0)
		ksef_client_set_limits(c, limits);
	else
		log_notice("KSeF: the rate limits in force are unknown (%s); keeping the documented ones",
			   err.msg);
	json_decref(limits);
}

static enum run_outcome sync_subjects(struct source_run *run, struct ksef_sync *sync,
				      int64_t history)
{
	const struct ksef_conf *c = run->src->typed;
	unsigned failed_subjects = 0;
	bool stop = false;
	for (size_t i = 0; i < c->subjects.len && !stop; i++) {
		struct gerr err = {0};
		if (ksef_sync_subject(sync, c->subjects.items[i], history, &err) < 0) {
			failed_subjects++;
			gerr_prefix(&err, "%s", c->subjects.items[i]);
			source_run_error(run, &err);
			stop = err.kind == GERR_NEEDS_PERSON;
		}
		stop |= sync->client->out_of_time;
	}
	if (sync->client->out_of_time && !source_run_has_error(run)) {
		struct gerr err;
		gerr_set(&err, "KSeF's rate limits left no room for the rest before the run's time "
			 "limit; the next run goes on from here");
		source_run_error(run, &err);
	}
	/* progress: a subject synced to its end */
	return source_run_end(run, failed_subjects < c->subjects.len);
}

/* Signed in: the subjects, then signing out (with a minute past the deadline for it). */
static enum run_outcome signed_in(struct source_run *run, struct ksef_client *client,
				  struct ksef_session *session, int64_t history)
{
	const struct ksef_conf *c = run->src->typed;
	struct ksef_sync sync = {.run = run, .client = client, .session = session,
				 .environment = environments[c->environment]};
	struct gerr err = {0};
	enum run_outcome outcome = RUN_FAILED;
	if (!(sync.state = load_state(run->state_dir, &err))) {
		source_run_error(run, &err);
	} else {
		take_limits(client, session);
		spool_batch(run->spool, true, NULL);
		outcome = sync_subjects(run, &sync, history);
		spool_batch(run->spool, false, NULL);
		json_decref(sync.state);
	}
	client->deadline += DEADLINE_MARGIN_MS;
	ksef_sign_out(client, session);
	log_info("%s: %lu request(s) to KSeF, %lu answered 429, %lld s waited for its limits",
		 run->src->name, client->requests, client->throttled,
		 (long long)(client->waited_ms / 1000));
	return outcome;
}

static enum run_outcome ksef_run(struct source_run *run)
{
	const struct source_conf *src = run->src;
	const struct ksef_conf *c = src->typed;
	struct ksef_client client;
	struct ksef_session session = {.state_dir = run->state_dir, .nip = c->nip};
	struct gerr err = {0};
	char *token = NULL;
	int64_t history = 0;
	enum run_outcome outcome;
	history_start(c->history, time(NULL), &history);
	if (secret_resolve(&c->token, &token, &err) < 0) {
		gerr_mark(&err, GERR_NEEDS_PERSON);
		source_run_error(run, &err);
		return RUN_NEEDS_PERSON;
	}
	session.token = token;
	if (ksef_client_init(&client, ksef_base_url(c), c->ca_file, run->cfg->agent.user_agent,
			     now_ms() + src->timeout * 1000 - DEADLINE_MARGIN_MS, &err) < 0) {
		source_run_error(run, &err);
		free_secret(token);
		return RUN_FAILED;
	}
	if (ksef_sign_in(&client, &session, &err) < 0) {
		source_run_error(run, &err);
		outcome = run_outcome_of(&err);
	} else {
		outcome = signed_in(run, &client, &session, history);
	}
	ksef_session_free(&session);
	ksef_client_free(&client);
	free_secret(token);
	return outcome;
}

/* ---- status --------------------------------------------------------------------------- */

json_t *ksef_details(const char *state_dir, const struct source_conf *src)
{
	char *path = xasprintf("%s/sources/%s/%s", state_dir, src->name, KSEF_STATE_FILE);
	json_t *state = json_load_file(path, 0, NULL), *subjects;
	free(path);
	if (!json_is_object(state)) {
		json_decref(state);
		return NULL;
	}
	subjects = json_object();
	for (size_t i = 0; subject_names[i]; i++) {
		json_t *st = json_object_get(state, subject_names[i]);
		if (!json_is_object(st))
			continue;
		json_t *stored = json_object_get(st, "last_storage");
		int64_t stored_ms;
		json_t *subject = json_pack(
			"{s:O?, s:O?, s:I}", "last_issue_date", json_object_get(st, "last_issue_date"),
			"last_stored", stored, "filed", json_integer_value(json_object_get(st, "filed")));
		if (json_is_string(stored) && ksef_time_parse(json_string_value(stored), &stored_ms) == 0)
			json_object_set_new(subject, "last_stored_at", json_integer(stored_ms / 1000));
		json_object_set_new(subjects, subject_names[i], subject);
	}
	json_decref(state);
	return json_pack("{s:o}", "subjects", subjects);
}

const struct source_type source_type_ksef = {
	.name = "ksef",
	.fields = ksef_fields,
	.conf_size = sizeof(struct ksef_conf),
	.validate = ksef_validate,
	.default_accept = "xml",
	.default_times = ksef_default_times,
	.run = ksef_run,
	.details = ksef_details,
};
