/* tools — providers catalogue and recipe tests. See tools.h. */
#include "sources/portal/tools.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/confschema.h"
#include "core/yamlload.h"
#include "sources/portal/engine.h"

#define CATALOGUE_FILE "catalogue.yaml"

/* ---- what a recipe can do --------------------------------------------------------- */

struct abilities {
	bool points, otp, paging, pkce, form, json, listed_only;
};

static void scan(const struct steps *l, struct abilities *a)
{
	for (size_t i = 0; i < l->len; i++) {
		const struct step *s = &l->v[i];
		a->points |= s->kind == ST_POINTS;
		a->otp |= s->kind == ST_OTP;
		a->paging |= s->next.set || s->page_var;
		a->pkce |= s->kind == ST_PKCE;
		a->form |= s->kind == ST_SUBMIT;
		a->json |= s->req.json != NULL;
		a->listed_only |= s->no_download;
		scan(&s->body, a);
		scan(&s->before, a);
	}
}

static const char *login_kind(const struct abilities *a)
{
	return a->pkce ? "OpenID Connect (PKCE)" : a->form ? "form" : a->json ? "JSON API" : "other";
}

static json_t *recipe_entry(const struct recipe *r, const char *path)
{
	struct abilities a = {0}, l = {0};
	scan(&r->login, &l);
	scan(&r->fetch, &a);
	a.otp = l.otp;
	json_t *follows = json_array();
	for (size_t i = 0; i < r->nfollows; i++)
		json_array_append_new(follows, json_pack("{s:s,s:s?}", "source", r->follows[i].source,
							 "version", r->follows[i].version));
	return json_pack("{s:s,s:s,s:s,s:s,s:b,s:b,s:b,s:b,s:o,s:s?,s:s?,s:s}", "provider",
			 r->id, "title", r->title ? r->title : r->id, "base_url", r->base_url,
			 "login", login_kind(&l), "points", a.points, "two_factor", a.otp, "paging",
			 a.paging, "downloads", !a.listed_only, "follows", follows, "checked",
			 r->checked, "live", r->live, "file", path);
}

/* Every recipe of a directory not seen yet (a conf.d copy hides a shipped one). */
static void add_dir(const char *dir, json_t *list, struct strlist *seen)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct strlist names = {0};
	while (d && (de = readdir(d)))
		if (str_ends_with(de->d_name, ".yaml") && strcmp(de->d_name, CATALOGUE_FILE) != 0)
			strlist_add(&names, de->d_name);
	if (d)
		closedir(d);
	strlist_sort(&names);
	for (size_t i = 0; i < names.len; i++) {
		char *path = path_join(dir, names.items[i]);
		struct diag diag = {0};
		struct recipe *r = strlist_contains(seen, names.items[i]) ? NULL :
				   recipe_load(path, &diag);
		if (r) {
			json_array_append_new(list, recipe_entry(r, path));
			strlist_add(seen, names.items[i]);
		} else if (diag.errors) {
			char *id = xstrndup(names.items[i], strlen(names.items[i]) - 5);
			json_array_append_new(list, json_pack("{s:s,s:s,s:s}", "provider", id,
							      "error",
							      "the recipe has errors (goniec check)",
							      "file", path));
			free(id);
		}
		recipe_free(r);
		diag_free(&diag);
		free(path);
	}
	strlist_free(&names);
}

/* The portals without a recipe, from catalogue.yaml. */
static void add_missing(const char *dir, json_t *list)
{
	char *path = path_join(dir, CATALOGUE_FILE), *text = NULL;
	size_t len;
	struct gerr err = {0};
	yaml_parser_t parser;
	yaml_document_t doc;
	struct yaml_load_error yerr;
	if (access(path, R_OK) != 0 || read_file(path, 1 << 20, &text, &len, &err) < 0) {
		free(path);
		return;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (yaml_load_next(&parser, &doc, &yerr) > 0) {
		struct diag diag = {0};
		struct cf_ctx cf = {.doc = &doc, .file = path, .diag = &diag};
		yaml_node_t *root = yaml_document_get_root_node(&doc);
		yaml_node_t *seq = root ? cf_get(&cf, root, "providers") : NULL;
		for (yaml_node_item_t *it = seq && seq->type == YAML_SEQUENCE_NODE ?
					    seq->data.sequence.items.start : NULL;
		     it && it < seq->data.sequence.items.top; it++) {
			yaml_node_t *e = yaml_document_get_node(&doc, *it), *v;
			if (!e || e->type != YAML_MAPPING_NODE)
				continue;
			json_t *o = json_object(), *srcs = json_array();
			static const char *const keys[] = {"name", "title", "why", "checked"};
			for (size_t k = 0; k < ARRAY_LEN(keys); k++)
				if ((v = cf_get(&cf, e, keys[k])) && cf_scalar(v))
					json_object_set_new(o, keys[k] == keys[0] ? "provider" : keys[k],
							    json_string(cf_scalar(v)));
			if ((v = cf_get(&cf, e, "sources")) && v->type == YAML_SEQUENCE_NODE)
				for (yaml_node_item_t *s = v->data.sequence.items.start;
				     s < v->data.sequence.items.top; s++)
					if (cf_scalar(yaml_document_get_node(&doc, *s)))
						json_array_append_new(srcs, json_string(cf_scalar(
							yaml_document_get_node(&doc, *s))));
			json_object_set_new(o, "sources", srcs);
			json_object_set_new(o, "recipe", json_false());
			if (json_object_get(o, "provider"))
				json_array_append_new(list, o);
			else
				json_decref(o);
		}
		diag_free(&diag);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	free(text);
	free(path);
}

static const char *yes(json_t *o, const char *k)
{
	return json_is_true(json_object_get(o, k)) ? "yes" : "no";
}

static void print_table(const json_t *list, FILE *out)
{
	size_t i;
	json_t *o;
	fprintf(out, "%-14s %-34s %-22s %-6s %-4s %-6s %-4s %s\n", "PROVIDER", "PORTAL", "LOGIN",
		"POINTS", "2FA", "PAGING", "PDFS", "CHECKED");
	json_array_foreach(list, i, o) {
		if (json_object_get(o, "recipe"))
			continue;
		fprintf(out, "%-14s %-34s %-22s %-6s %-4s %-6s %-4s %s\n",
			json_string_value(json_object_get(o, "provider")),
			json_string_value(json_object_get(o, "title")) ?
			json_string_value(json_object_get(o, "title")) :
			json_string_value(json_object_get(o, "error")),
			json_string_value(json_object_get(o, "login")) ?
			json_string_value(json_object_get(o, "login")) : "-",
			yes(o, "points"), yes(o, "two_factor"), yes(o, "paging"), yes(o, "downloads"),
			json_string_value(json_object_get(o, "checked")) ?
			json_string_value(json_object_get(o, "checked")) : "-");
		size_t k;
		json_t *f;
		json_array_foreach(json_object_get(o, "follows"), k, f)
			fprintf(out, "%14s follows %s%s%s\n", "",
				json_string_value(json_object_get(f, "source")),
				json_object_get(f, "version") ? " @ " : "",
				json_object_get(f, "version") ?
				json_string_value(json_object_get(f, "version")) : "");
		if (json_string_value(json_object_get(o, "live")))
			fprintf(out, "%14s tried on the live site: %s\n", "",
				json_string_value(json_object_get(o, "live")));
	}
	bool header = false;
	json_array_foreach(list, i, o) {
		if (!json_object_get(o, "recipe"))
			continue;
		if (!header)
			fprintf(out, "\nno recipe (yet):\n");
		header = true;
		fprintf(out, "%-14s %s: %s%s%s%s\n", json_string_value(json_object_get(o, "provider")),
			json_string_value(json_object_get(o, "title")) ?
			json_string_value(json_object_get(o, "title")) : "",
			json_string_value(json_object_get(o, "why")) ?
			json_string_value(json_object_get(o, "why")) : "",
			json_object_get(o, "checked") ? " (public clients looked for on " : "",
			json_string_value(json_object_get(o, "checked")) ?
			json_string_value(json_object_get(o, "checked")) : "",
			json_object_get(o, "checked") ? ")" : "");
	}
}

int portal_catalogue(const char *confdir, bool json, FILE *out)
{
	const char *env = getenv("GONIEC_PROVIDERS_DIR");
	char *dirs[2] = {path_join(confdir, "providers"),
			 env ? xstrdup(env) : xasprintf("%s/goniec/providers", GONIEC_DATADIR)};
	json_t *list = json_array();
	struct strlist seen = {0};
	for (size_t i = 0; i < ARRAY_LEN(dirs); i++)
		add_dir(dirs[i], list, &seen);
	add_missing(access(dirs[0], F_OK) == 0 ? dirs[0] : dirs[1], list);
	if (json) {
		json_dumpf(list, out, JSON_INDENT(2));
		fputc('\n', out);
	} else {
		print_table(list, out);
	}
	json_decref(list);
	strlist_free(&seen);
	free(dirs[0]);
	free(dirs[1]);
	return 0;
}

/* ---- a recipe against a trace ---------------------------------------------------- */

struct tally {
	FILE *out;
	unsigned long points, documents;
};

static bool test_point(void *ud, const char *id, const char *name)
{
	struct tally *t = ud;
	t->points++;
	fprintf(t->out, "point %s%s%s\n", id, name ? "  " : "", name ? name : "");
	return true;
}

/* "ID  number N  issued D  gross G" (the fields it has) */
static void print_doc(FILE *out, const char *what, const struct doc_info *d)
{
	fprintf(out, "%s %s%s%s%s%s%s%s", what, d->id, d->number ? "  number " : "",
		d->number ? d->number : "", d->issue_date ? "  issued " : "",
		d->issue_date ? d->issue_date : "", d->gross ? "  gross " : "",
		d->gross ? d->gross : "");
}

static bool test_want(void *ud, const struct doc_info *d)
{
	struct tally *t = ud;
	print_doc(t->out, "listed", d);
	fprintf(t->out, "%s%s\n", d->point ? "  point " : "", d->point ? d->point : "");
	return true;
}

static int test_file(void *ud, const struct doc_info *d, int fd, struct gerr *err)
{
	struct tally *t = ud;
	off_t size = lseek(fd, 0, SEEK_END);
	(void)err;
	t->documents++;
	print_doc(t->out, "document", d);
	fprintf(t->out, ": %lld bytes, a PDF\n", (long long)size);
	return 0;
}

/* Stand-ins for what a person gives: the otp steps' codes. */
static void stand_ins(struct engine *e, const struct steps *l)
{
	for (size_t i = 0; i < l->len; i++)
		if (l->v[i].kind == ST_OTP)
			vars_set(&e->vars, l->v[i].otp_var, "\xc2\xab" "masked:code" "\xc2\xbb", 0);
}

int portal_recipe_test(const char *file, const char *trace_dir, FILE *out)
{
	struct diag diag = {0};
	struct gerr err = {0};
	struct recipe *r = recipe_load(file, &diag);
	struct trace *t = r ? trace_load(trace_dir, &err) : NULL;
	struct tally tally = {.out = out};
	struct engine_hooks hooks = {&tally, test_point, test_want, test_file};
	struct http_opts o = {.user_agent = "goniec-recipe-test"};
	struct engine e;
	int rc = 2;

	diag_print(&diag, stderr);
	if (!r || !t) {
		if (r)
			fprintf(stderr, "goniec: %s\n", err.msg);
		goto out;
	}
	if (trace_base_url(t)) { /* replayed against the address it was recorded from */
		free(r->base_url);
		r->base_url = xstrdup(trace_base_url(t));
	}
	if (engine_init(&e, r, &o, &hooks, NULL, &err) < 0) {
		fprintf(stderr, "goniec: %s\n", err.msg);
		goto out;
	}
	e.trace = t;
	vars_set(&e.vars, "login", "test-login", 0);
	vars_set(&e.vars, "password", "\xc2\xab" "masked:password" "\xc2\xbb", VAR_SECRET);
	vars_set(&e.vars, "phone", "+48000000000", 0);
	vars_set(&e.vars, "base_url", r->base_url, 0);
	char today[11] = "2026-01-01"; /* the day it was recorded: the recipe asked for it */
	if (trace_recorded(t) && strlen(trace_recorded(t)) >= 10)
		snprintf(today, sizeof today, "%.10s", trace_recorded(t));
	vars_set(&e.vars, "today", today, 0);
	stand_ins(&e, &r->login);
	enum portal_error pe = engine_run(&e, &r->login, 0);
	if (pe == PE_NONE)
		pe = engine_run(&e, &r->fetch, 0);
	if (pe == PE_NONE) {
		fprintf(out, "ok: %lu point(s), %lu document(s) listed, %lu downloaded as PDFs, "
			"%lu failed; %zu of %zu requests of the trace replayed\n", tally.points,
			e.documents, tally.documents, e.doc_failures, trace_position(t),
			trace_length(t));
		rc = e.doc_failures ? 1 : 0;
	} else {
		fprintf(out, "failed: %s: %s (after %zu of %zu requests of the trace)\n",
			portal_error_names[pe], e.err.msg, trace_position(t), trace_length(t));
		rc = 1;
	}
	engine_free(&e);
out:
	trace_free(t);
	recipe_free(r);
	diag_free(&diag);
	return rc;
}
