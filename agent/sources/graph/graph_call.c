/* graph_call — the graph source's session, shared by the run (graph.c), folders
 * (graph_folders.c) and mail (graph_mail.c): sign-in and teardown, synchronous calls,
 * how failures are recorded. See graph_run.h. It calls none of those files. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/net.h"
#include "core/log.h"
#include "core/secret.h"
#include "core/template.h"
#include "sources/graph/graph_run.h"

char *graph_move_folder_name(const char *tmpl, time_t now)
{
	struct gerr err;
	char *name = tmpl_expand_date(tmpl, now, &err);
	return name ? name : xstrdup(tmpl); /* checked when the configuration was loaded */
}

/* ---- failures and synchronous requests --------------------------------------------- */

void gr_note_error(struct grun *gr, const char *msg)
{
	struct gerr e;
	gerr_set(&e, "%s", msg);
	gr->errors++;
	source_run_error(gr->run, &e);
}

void gr_req_failed(struct grun *gr, const struct graph_req *req, const char *what)
{
	struct graph_error e;
	char *msg = graph_req_error(req, what);

	graph_parse_error(req->body.data, req->body.len, &e);
	if (req->curl_rc == CURLE_OK && graph_error_needs_person(req->status, &e)) {
		struct gerr pe;
		gr->needs_person = gr->fatal = true;
		gerr_setk(&pe, GERR_NEEDS_PERSON, "%s", msg);
		gr->errors++;
		source_run_error(gr->run, &pe);
	} else {
		gr_note_error(gr, msg);
	}
	graph_error_free(&e);
	free(msg);
}

static void sync_done(struct graph_client *gc, struct graph_req *req)
{
	struct sync_call *c = req->ctx;
	struct graph_error e;

	(void)gc;
	c->ok = graph_req_ok(req);
	if (c->ok) {
		c->body = req->body;
		memset(&req->body, 0, sizeof(req->body));
		return;
	}
	graph_parse_error(req->body.data, req->body.len, &e);
	c->got_expected = c->expected_error && e.code && !strcmp(e.code, c->expected_error);
	if (!c->got_expected)
		gr_req_failed(c->gr, req, c->what);
	graph_error_free(&e);
}

int gr_call(struct sync_call *c, const char *method, const char *path, const char *json_body)
{
	struct graph_req *req = graph_req_new(c->gr->gc, method, path);
	struct gerr err;
	bool np;

	req->json_body = json_body ? xstrdup(json_body) : NULL;
	req->done = sync_done;
	req->ctx = c;
	graph_submit(c->gr->gc, req);
	if (graph_run(c->gr->gc, &np, &err) < 0) {
		c->gr->needs_person |= np;
		c->gr->fatal = true;
		gr_note_error(c->gr, err.msg);
		return -1;
	}
	return c->ok ? 0 : -1;
}

int gr_setup(struct grun *gr, struct source_run *run, const char *token_cache)
{
	const struct graph_conf *c = run->src->typed;
	struct graph_client_conf cc = {0};
	char *mb;
	bool np;

	gr->run = run;
	gr->conf = c;
	if (secret_resolve(&c->app.client_secret, &gr->secret, &run->err) < 0)
		return -1;
	cc.app = &c->app;
	cc.secret = gr->secret;
	cc.user_agent = run->cfg->agent.user_agent;
	gr->token_cache = token_cache ? xstrdup(token_cache) : NULL;
	cc.token_cache = gr->token_cache;
	gr->gc = graph_client_new(&cc);
	mb = net_escape(c->mailbox);
	gr->user_path = xasprintf("/v1.0/users/%s", mb);
	free(mb);
	if (c->move_to)
		gr->move_name = graph_move_folder_name(c->move_to, time(NULL));
	if (graph_token_get(gr->gc, &np, &run->err) < 0) {
		gr->needs_person = np;
		return -1;
	}
	return 0;
}

void gr_teardown(struct grun *gr)
{
	graph_client_free(gr->gc);
	free_secret(gr->secret);
	free(gr->token_cache);
	free(gr->user_path);
	free(gr->move_name);
	free(gr->move_id);
	json_decref(gr->state);
	strset_free(&gr->failed);
}
