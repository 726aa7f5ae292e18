/* graph — see graph.h. */
#include "sources/graph/graph.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/oauth.h"
#include "core/secret.h"
#include "core/spool.h"
#include "core/statefile.h"
#include "core/template.h"
#include "sources/graph/graph_run.h"

#define FIRST_WATERMARK "1900-01-01T00:00:00Z"

/* ---- configuration ------------------------------------------------------------------ */

#define OFF(f) offsetof(struct graph_conf, f)
static const struct cf_field graph_fields[] = {
	OAUTH_MS_APP_FIELDS(OFF(app)),
	{.key = "mailbox", .type = CF_STRING, .offset = OFF(mailbox), .flags = CF_REQUIRED,
	 .help = "the mailbox: user address (UPN) or object id"},
	{.key = "folders", .type = CF_STRLIST, .offset = OFF(folders), .dflt = "inbox junkemail",
	 .help = "folders to check: well-known names (inbox, junkemail) or display paths (\"Inbox/Faktury\")"},
	{.key = "senders", .type = CF_WILDCARDS, .offset = OFF(senders), .flags = CF_REQUIRED,
	 .help = "From addresses whose mail is taken, '*' wildcards ('*@pge.pl'); others' mail is left alone"},
	{.key = "move_to", .type = CF_STRING, .offset = OFF(move_to), .flags = CF_NULLABLE,
	 .dflt = "eksiegowy{year}",
	 .help = "folder under the mailbox root that taken mail is moved to; null: leave it"},
	CF_END,
};

static const char *const graph_default_times[] = {"05:00", "12:00", "14:00", NULL};

char *graph_consent_url(const struct source_conf *src)
{
	const struct graph_conf *c = src->typed;
	return oauth_admin_consent_url(c->app.login_url, c->app.tenant, c->app.client_id,
				      c->app.redirect_uri);
}

/* OData string literal in a $filter, URL-encoded: displayName eq '<name>'. */
static json_t *folder_state(struct grun *gr, const struct gfolder *f)
{
	json_t *folders = json_object_get(gr->state, "folders");

	if (!json_is_object(folders)) {
		folders = json_object();
		json_object_set_new(gr->state, "folders", folders);
	}
	return json_object_get(folders, f->spec);
}

static void process_folder(struct grun *gr, struct gfolder *f)
{
	json_t *st;
	const char *wm;

	if (gr_resolve_folder(gr, f) < 0)
		return;
	st = folder_state(gr, f);
	wm = json_string_value(json_object_get(st, "watermark"));
	if (!gr_is_timestamp(wm) || strcmp(json_string_value(json_object_get(st, "id")) ?: "", f->id))
		wm = FIRST_WATERMARK; /* new, the folder was recreated, or the file was damaged */
	f->watermark = xstrdup(wm);
	gr_list_and_take(gr, f);
	json_object_set_new(json_object_get(gr->state, "folders"), f->spec,
			    json_pack("{s:s, s:s}", "id", f->id, "watermark", f->watermark));
}

static char *state_path(const struct grun *gr)
{
	return path_join(gr->run->state_dir, "graph-folders.json");
}

static void state_load(struct grun *gr)
{
	char *path = state_path(gr);
	struct gerr err;

	if (statefile_load(path, &gr->state, &err) < 0) {
		/* unreadable: this run starts afresh and does not overwrite it */
		gr_note_error(gr, err.msg);
		gr->state = json_object();
		gr->state_unreadable = true;
	}
	free(path);
}

static void state_save(struct grun *gr)
{
	char *path = state_path(gr);
	struct gerr err;

	if (!gr->state_unreadable && statefile_save(path, gr->state, &err) < 0)
		gr_note_error(gr, err.msg);
	free(path);
}

/* ---- the run ------------------------------------------------------------------------ */

static enum run_outcome graph_run_source(struct source_run *run)
{
	const struct graph_conf *c = run->src->typed;
	struct grun gr = {0};
	enum run_outcome out;
	struct gfolder *folders;

	char *cache = path_join(run->state_dir, "graph-token.json");
	int rc = gr_setup(&gr, run, cache);

	free(cache);
	if (rc < 0) {
		out = gr.needs_person ? RUN_NEEDS_PERSON : RUN_FAILED;
		gr_teardown(&gr);
		return out;
	}
	state_load(&gr);
	folders = xcalloc(c->folders.len + 1, sizeof(*folders));
	bool a_folder_read = false; /* to its end, without an error */
	spool_batch(run->spool, true, NULL);
	for (size_t i = 0; i < c->folders.len && !gr.fatal; i++) {
		unsigned long errors_before = gr.errors;
		folders[i].spec = c->folders.items[i];
		process_folder(&gr, &folders[i]);
		a_folder_read |= gr.errors == errors_before;
	}
	gr_end_filing(&gr);
	state_save(&gr);
	for (size_t i = 0; i < c->folders.len; i++) {
		free(folders[i].id);
		free(folders[i].name);
		free(folders[i].watermark);
		free(folders[i].first_failed);
		free(folders[i].last_listed);
	}
	free(folders);
	log_debug("%s: %lu HTTP requests", run->src->name, graph_request_count(gr.gc));
	if (gr.fatal)
		out = gr.needs_person ? RUN_NEEDS_PERSON : RUN_FAILED;
	else
		out = source_run_end(run, a_folder_read);
	gr_teardown(&gr);
	return out;
}

static int graph_validate(struct cf_ctx *ctx, yaml_node_t *node, struct source_conf *src)
{
	struct graph_conf *c = src->typed;
	int rc = oauth_ms_app_validate(ctx, node, &c->app);

	if (c->senders.len == 0 && cf_get(ctx, node, "senders"))
		rc = cf_error(ctx, cf_get(ctx, node, "senders"),
			      "senders: list the addresses whose mail goes to goniec, e.g. '*@pge.pl' ('*' takes everyone's)");
	struct gerr err;
	char *folder = c->move_to ? tmpl_expand_date(c->move_to, time(NULL), &err) : NULL;
	if (c->move_to && (!*c->move_to || strchr(c->move_to, '/') || !folder))
		rc = cf_error(ctx, cf_get(ctx, node, "move_to"),
			      "move_to: '%s' must be one folder name (made under the mailbox root); %s",
			      c->move_to, folder ? "no '/'" : err.msg);
	free(folder);
	return rc;
}

const struct source_type source_type_graph = {
	.name = "graph",
	.fields = graph_fields,
	.conf_size = sizeof(struct graph_conf),
	.validate = graph_validate,
	.default_accept = "pdf",
	.default_times = graph_default_times,
	.run = graph_run_source,
	.folders = graph_print_folders,
	.consent = graph_consent,
};
