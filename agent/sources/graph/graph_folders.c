/* graph_folders — see graph_run.h: folders by well-known name or display path, the
 * move_to folder, the folder tree, the access check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/net.h"
#include "core/log.h"
#include "formats/mime.h"
#include "sources/graph/graph_run.h"

/* OData string literal in a $filter, URL-encoded: displayName eq '<name>'. */
static char *name_filter(const char *name)
{
	struct buf b = {0};
	char *lit, *esc;

	buf_puts(&b, "displayName eq '");
	for (const char *p = name; *p; p++)
		buf_puts(&b, *p == '\'' ? "''" : (char[]){*p, 0});
	buf_puts(&b, "'");
	lit = buf_take(&b);
	esc = net_escape(lit);
	free(lit);
	return esc;
}

/* Find a folder by display name among the children of parent_id (NULL: the root). */
static int find_child(struct grun *gr, const char *parent_id, const char *name,
		      struct graph_folder *out)
{
	char *what = xasprintf("folder \"%s\"", name);
	struct sync_call c = {gr, what, NULL, false, false, {0}};
	char *filter = name_filter(name), *path;
	struct gerr err;
	int rc;

	memset(out, 0, sizeof(*out));
	/* hidden folders too: a hidden folder of the name is the one Exchange means when it
	 * refuses to create another (ErrorFolderExists) */
	if (parent_id)
		path = xasprintf("%s/mailFolders/%s/childFolders?includeHiddenFolders=true"
				 "&$filter=%s&$select=id,displayName,isHidden",
				 gr->user_path, parent_id, filter);
	else
		path = xasprintf("%s/mailFolders?includeHiddenFolders=true&$filter=%s"
				 "&$select=id,displayName,isHidden", gr->user_path, filter);
	free(filter);
	rc = gr_call(&c, "GET", path, NULL);
	free(path);
	free(what);
	if (rc == 0 && graph_parse_folder_find(c.body.data, c.body.len, name, out, &err) < 0) {
		gr_note_error(gr, err.msg);
		rc = -1;
	}
	buf_free(&c.body);
	return rc;
}

static const char *const well_known[] = {
	"inbox", "junkemail", "archive", "deleteditems", "drafts", "sentitems", "outbox",
	"msgfolderroot", NULL,
};

/* "Junk Email" -> "junkemail" when it is a well-known folder's name, else NULL. */
static const char *well_known_name(const char *seg, size_t len)
{
	char norm[32];
	size_t n = 0;

	for (size_t i = 0; i < len && n + 1 < sizeof(norm); i++)
		if (seg[i] != ' ')
			norm[n++] = (char)(seg[i] >= 'A' && seg[i] <= 'Z' ? seg[i] + 32 : seg[i]);
	norm[n] = 0;
	for (size_t i = 0; well_known[i]; i++)
		if (!strcmp(norm, well_known[i]))
			return well_known[i];
	return NULL;
}

int gr_get_well_known(struct grun *gr, const char *wk, struct graph_folder *out)
{
	char *what = xasprintf("folder %s", wk);
	struct sync_call c = {gr, what, NULL, false, false, {0}};
	char *path = xasprintf("%s/mailFolders/%s?$select=id,displayName", gr->user_path, wk);
	struct gerr err;
	int rc = gr_call(&c, "GET", path, NULL);

	free(path);
	free(what);
	if (rc == 0 && graph_parse_folder(c.body.data, c.body.len, out, &err) < 0) {
		gr_note_error(gr, err.msg);
		rc = -1;
	}
	buf_free(&c.body);
	return rc;
}

/* Resolve "inbox", "Junk Email" or "Inbox/Faktury/2026" to a folder id. */
int gr_resolve_folder(struct grun *gr, struct gfolder *f)
{
	const char *p = f->spec, *slash = strchr(p, '/');
	size_t len = slash ? (size_t)(slash - p) : strlen(p);
	const char *wk = well_known_name(p, len);
	struct graph_folder cur = {0}, next;
	char *seg;

	if (wk) {
		if (gr_get_well_known(gr, wk, &cur) < 0)
			return -1;
	} else {
		p = f->spec;
		slash = p - 1; /* the first segment is looked up at the root */
	}
	while (slash) {
		p = slash + 1;
		slash = strchr(p, '/');
		seg = slash ? xstrndup(p, (size_t)(slash - p)) : xstrdup(p);
		if (find_child(gr, cur.id, seg, &next) < 0) {
			free(seg);
			graph_folder_free(&cur);
			return -1;
		}
		if (!next.id) {
			char *msg = xasprintf("folder \"%s\" not found in mailbox %s (no \"%s\" there)",
					      f->spec, gr->conf->mailbox, seg);
			gr_note_error(gr, msg);
			free(msg);
			free(seg);
			graph_folder_free(&cur);
			return -1;
		}
		free(seg);
		graph_folder_free(&cur);
		cur = next;
	}
	f->id = cur.id;
	f->name = cur.name ? cur.name : xstrdup(f->spec);
	return 0;
}

/* The move target under the root: found, else created; an ErrorFolderExists answer
 * (another client was quicker, or a hidden folder) means it is there: look again. */
int gr_ensure_move_folder(struct grun *gr)
{
	struct sync_call c = {gr, "creating the move_to folder", "ErrorFolderExists", false, false, {0}};
	struct graph_folder f;
	json_t *body;
	char *text, *path;
	struct gerr err;
	int rc;

	if (gr->move_id)
		return 0;
	if (find_child(gr, NULL, gr->move_name, &f) < 0)
		return -1;
	if (!f.id) {
		body = json_pack("{s:s, s:b}", "displayName", gr->move_name, "isHidden", 0);
		text = json_dumps(body, JSON_COMPACT);
		json_decref(body);
		path = xasprintf("%s/mailFolders", gr->user_path);
		rc = gr_call(&c, "POST", path, text);
		free(path);
		free(text);
		if (rc == 0) {
			rc = graph_parse_folder(c.body.data, c.body.len, &f, &err);
			if (rc < 0)
				gr_note_error(gr, err.msg);
			else
				log_info("%s: created folder %s", gr->run->src->name, gr->move_name);
		} else if (c.got_expected) {
			rc = find_child(gr, NULL, gr->move_name, &f);
		}
		buf_free(&c.body);
		if (rc < 0 || !f.id) {
			if (rc == 0)
				gr_note_error(gr, "move_to folder reported as existing but not found");
			return -1;
		}
	}
	if (f.hidden)
		log_notice("%s: the move_to folder %s is a hidden folder: Outlook does not show the messages moved there",
			   gr->run->src->name, gr->move_name);
	gr->move_id = f.id;
	free(f.name);
	return 0;
}

enum run_outcome graph_check_access(const struct config *cfg, const struct source_conf *src,
				    struct gerr *err)
{
	struct source_run run = {.cfg = cfg, .src = src};
	struct grun gr = {0};
	struct graph_folder f = {0};
	enum run_outcome out = RUN_OK;

	if (gr_setup(&gr, &run, NULL) < 0 || gr_get_well_known(&gr, "inbox", &f) < 0)
		out = gr.needs_person ? RUN_NEEDS_PERSON : RUN_FAILED;
	graph_folder_free(&f);
	gr_teardown(&gr);
	*err = run.err;
	return out;
}

enum run_outcome graph_consent(const struct config *cfg, const struct source_conf *src,
			       FILE *out, struct gerr *err)
{
	const struct graph_conf *c = src->typed;
	char *url = graph_consent_url(src);

	fprintf(out, "An administrator of the tenant opens this link, signs in and accepts:\n\n  %s\n\n"
		"The app registration needs the Application permission Mail.ReadWrite\n"
		"(Microsoft Graph; Mail.Send too when a route sends through it), and %s\n"
		"registered as a redirect URI (Authentication > Add a platform > Web).\n"
		"After consenting, the browser is sent to %s?admin_consent=True&...:\n"
		"that page may not load, which is harmless; admin_consent=True says it worked.\n\n",
		url, c->app.redirect_uri, c->app.redirect_uri);
	free(url);
	enum run_outcome o = graph_check_access(cfg, src, err);
	if (o == RUN_OK)
		fprintf(out, "Access check: signed in and opened the mailbox: consent is in place.\n");
	else
		fprintf(out, "Access check: %s\n", err->msg);
	return o;
}

struct tree_walk {
	struct grun *gr;
	FILE *out;
	struct strlist read_ids;
	char *junk_id;
	size_t count;
};

static const char folder_select[] =
	"includeHiddenFolders=true&$top=250&$select=id,displayName,childFolderCount,isHidden";

/* Print the folders under parent_id (NULL: the root) with their display paths. */
static int print_tree(struct tree_walk *w, const char *parent_id, const char *prefix, int depth)
{
	struct grun *gr = w->gr;
	char *url = parent_id ? xasprintf("%s/mailFolders/%s/childFolders?%s", gr->user_path,
					  parent_id, folder_select)
			      : xasprintf("%s/mailFolders?%s", gr->user_path, folder_select);
	int rc = 0;

	while (url && rc == 0) {
		struct sync_call c = {gr, "folder list", NULL, false, false, {0}};
		struct graph_folder_list l = {0};
		struct gerr err;

		rc = gr_call(&c, "GET", url, NULL);
		free(url);
		url = NULL;
		if (rc == 0 && (rc = graph_parse_folder_list(c.body.data, c.body.len, &l, &err)) < 0)
			gr_note_error(gr, err.msg);
		buf_free(&c.body);
		for (size_t i = 0; rc == 0 && i < l.len; i++) {
			const struct graph_folder *f = &l.items[i];
			char *path = prefix ? xasprintf("%s/%s", prefix, f->name ? f->name : "?")
					    : xstrdup(f->name ? f->name : "?");

			fprintf(w->out, "%s %s%s%s\n", strlist_contains(&w->read_ids, f->id) ? "*" : " ",
				path, w->junk_id && !strcmp(f->id, w->junk_id) ? "  (junk)" : "",
				f->hidden ? "  (hidden)" : "");
			w->count++;
			if (f->children > 0 && depth < MIME_MAX_DEPTH)
				rc = print_tree(w, f->id, path, depth + 1);
			free(path);
		}
		if (rc == 0 && l.next_link && str_starts_with(l.next_link, gr->conf->app.graph_url))
			url = xstrdup(l.next_link);
		graph_folder_list_free(&l);
	}
	free(url);
	return rc;
}

enum run_outcome graph_print_folders(const struct config *cfg, const struct source_conf *src,
				     FILE *out, struct gerr *err)
{
	const struct graph_conf *c = src->typed;
	struct source_run run = {.cfg = cfg, .src = src};
	struct grun gr = {0};
	struct tree_walk w = {.gr = &gr, .out = out};
	struct graph_folder junk = {0};
	enum run_outcome o = RUN_OK;

	if (gr_setup(&gr, &run, NULL) < 0) {
		o = gr.needs_person ? RUN_NEEDS_PERSON : RUN_FAILED;
	} else {
		for (size_t i = 0; i < c->folders.len && !gr.fatal; i++) {
			struct gfolder f = {.spec = c->folders.items[i]};

			if (gr_resolve_folder(&gr, &f) == 0)
				strlist_add(&w.read_ids, f.id);
			free(f.id);
			free(f.name);
		}
		if (!gr.fatal && gr_get_well_known(&gr, "junkemail", &junk) == 0)
			w.junk_id = junk.id;
		if (!gr.fatal && print_tree(&w, NULL, NULL, 0) == 0)
			fprintf(out, "(%zu folders; * = read by %s)\n", w.count, src->name);
		if (gr.fatal || gr.errors)
			o = gr.needs_person ? RUN_NEEDS_PERSON : RUN_FAILED;
	}
	strlist_free(&w.read_ids);
	graph_folder_free(&junk);
	gr_teardown(&gr);
	*err = run.err;
	return o;
}

