/* portal — the `portal` source type. See portal.h. */
#include "sources/portal/portal.h"

#include <libgen.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/dedupe.h"
#include "core/log.h"
#include "core/secret.h"
#include "core/statefile.h"
#include "sources/filing.h"
#include "sources/portal/engine.h"
#include "sources/portal/pstate.h"
#include "sources/portal/tools.h"

/* ---- configuration ---------------------------------------------------------------- */

static void points_release(void *dst)
{
	struct point_map *m = dst;
	for (size_t i = 0; i < m->len; i++) {
		free(m->v[i].id);
		free(m->v[i].property);
	}
	free(m->v);
	memset(m, 0, sizeof(*m));
}

static int parse_point(struct cf_ctx *ctx, yaml_node_t *k, yaml_node_t *v, struct point_conf *p)
{
	static const char *const keys[] = {"property", "enabled", NULL};
	int rc = 0;
	p->id = xstrdup(cf_scalar(k));
	p->enabled = true;
	p->pos = cf_pos(ctx, k);
	if (!v || v->type != YAML_MAPPING_NODE)
		return cf_error(ctx, v ? v : k, "point %s: expected {property: \"<id>\"} or "
				"{enabled: false}", p->id);
	for (yaml_node_pair_t *pr = v->data.mapping.pairs.start; pr < v->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *kk = yaml_document_get_node(ctx->doc, pr->key);
		yaml_node_t *vv = yaml_document_get_node(ctx->doc, pr->value);
		const char *key = cf_scalar(kk), *val = cf_scalar(vv);
		if (key && strcmp(key, "property") == 0) {
			if (!val || !*val) {
				rc = cf_error(ctx, vv, "point %s: property must be a non-empty string",
					      p->id);
			} else {
				free(p->property);
				p->property = xstrdup(val);
			}
		} else if (key && strcmp(key, "enabled") == 0) {
			if (!val || (strcmp(val, "true") && strcmp(val, "false")))
				rc = cf_error(ctx, vv, "point %s: enabled must be true or false", p->id);
			else
				p->enabled = strcmp(val, "true") == 0;
		} else {
			const char *hint = key ? cf_suggest(key, keys) : NULL;
			rc = cf_error(ctx, kk, "point %s: unknown key '%s'%s%s%s", p->id,
				      key ? key : "?", hint ? " (did you mean '" : "", hint ? hint : "",
				      hint ? "'?)" : "");
		}
	}
	return rc;
}

static int points_parse(struct cf_ctx *ctx, yaml_node_t *node, void *dst,
			const struct cf_field *field)
{
	struct point_map *m = dst;
	int rc = 0;
	(void)field;
	if (node->type != YAML_MAPPING_NODE)
		return cf_error(ctx, node, "points: expected a mapping of point ids, such as "
				"\"590243000000123456\": {property: \"17\"}");
	for (yaml_node_pair_t *pr = node->data.mapping.pairs.start;
	     pr < node->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(ctx->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(ctx->doc, pr->value);
		if (!cf_scalar(k) || !*cf_scalar(k)) {
			rc = cf_error(ctx, k, "points: a point id must be a string");
			continue;
		}
		m->v = xrealloc(m->v, (m->len + 1) * sizeof(*m->v));
		memset(&m->v[m->len], 0, sizeof(*m->v));
		rc |= parse_point(ctx, k, v, &m->v[m->len++]);
	}
	return rc;
}

#define PF(field) offsetof(struct portal_conf, field)
static const struct cf_field portal_fields[] = {
	{.key = "provider", .type = CF_STRING, .offset = PF(provider), .flags = CF_REQUIRED,
	 .help = "the provider recipe (conf.d/providers/<provider>.yaml or a shipped one)"},
	{.key = "login", .type = CF_STRING, .offset = PF(login),
	 .help = "the portal login (customer number, e-mail)"},
	{.key = "password", .type = CF_SECRET, .offset = PF(password),
	 .help = "the portal password"},
	{.key = "phone", .type = CF_STRING, .offset = PF(phone),
	 .help = "phone number for portals that log in with an SMS code"},
	{.key = "points", .type = CF_CUSTOM, .offset = PF(points), .parse = points_parse,
	 .release = points_release,
	 .help = "consumption points: \"<id>\": {property: \"<id>\"} or {enabled: false}"},
	{.key = "base_url", .type = CF_STRING, .offset = PF(base_url),
	 .help = "another address of the portal (test instance); default: the recipe's"},
	{.key = "ca_file", .type = CF_STRING, .offset = PF(ca_file),
	 .help = "extra CA certificates (PEM) to trust for this portal"},
	{.key = "delay", .type = CF_STRING, .offset = PF(delay),
	 .help = "pause between requests (\"1s\", \"250ms\"); default: the recipe's"},
	{.key = "retries", .type = CF_INT, .offset = PF(retries), .dflt = "3", .min = 0,
	 .max = 10, .help = "retries after a 5xx or a time-out"},
	{.key = "retry_delay", .type = CF_DURATION, .offset = PF(retry_delay), .dflt = "2s",
	 .help = "wait before the first retry (doubled each time)"},
	{.key = "request_timeout", .type = CF_DURATION, .offset = PF(request_timeout),
	 .dflt = "60s", .help = "time limit of one request"},
	CF_END,
};

static char *confdir_of(const char *file)
{
	char *copy = xstrdup(file), *dir = xstrdup(dirname(copy));
	free(copy);
	return dir;
}

/* Is the recipe at path valid? Each recipe file (as it is now: same size and time) is
 * loaded once per process, so that 500 services of one provider report its problems
 * once and cost one parse. */
static bool recipe_valid(const char *path, struct diag *diag)
{
	static struct { char *path; struct stat st; bool ok; } *seen;
	static size_t nseen;
	struct stat st;
	struct recipe *r;
	bool have = stat(path, &st) == 0, ok;

	for (size_t i = 0; have && i < nseen; i++)
		if (!strcmp(seen[i].path, path) && seen[i].st.st_size == st.st_size &&
		    seen[i].st.st_mtim.tv_sec == st.st_mtim.tv_sec &&
		    seen[i].st.st_mtim.tv_nsec == st.st_mtim.tv_nsec)
			return seen[i].ok;
	r = recipe_load(path, diag);
	ok = r != NULL;
	recipe_free(r);
	if (have) {
		seen = xrealloc(seen, (nseen + 1) * sizeof(*seen));
		seen[nseen].path = xstrdup(path);
		seen[nseen].st = st;
		seen[nseen++].ok = ok;
	}
	return ok;
}

static int portal_validate(struct cf_ctx *ctx, yaml_node_t *node, struct source_conf *src)
{
	const struct portal_conf *pc = src->typed;
	char *confdir, *path;
	int64_t ms;
	int rc = 0;

	if (pc->delay && recipe_parse_delay(pc->delay, &ms) < 0)
		rc = cf_error(ctx, cf_get(ctx, node, "delay"),
			      "delay: '%s' is not a duration such as 1s or 250ms", pc->delay);
	if (pc->base_url && !str_starts_with(pc->base_url, "https://") &&
	    !str_starts_with(pc->base_url, "http://"))
		rc = cf_error(ctx, cf_get(ctx, node, "base_url"), "base_url must be an https:// URL");
	if (!pc->provider)
		return -1;
	confdir = confdir_of(ctx->file);
	path = recipe_find(confdir, pc->provider);
	if (!path) {
		rc = cf_error(ctx, cf_get(ctx, node, "provider"),
			      "no recipe for provider '%s' (looked in %s/providers and the "
			      "shipped providers)", pc->provider, confdir);
	} else if (!recipe_valid(path, ctx->diag)) {
		rc = cf_error(ctx, cf_get(ctx, node, "provider"),
			      "the recipe of provider '%s' (%s) has errors", pc->provider, path);
	}
	free(path);
	free(confdir);
	return rc;
}

/* ---- a run ------------------------------------------------------------------------ */

struct prun {
	struct source_run *run;
	const struct portal_conf *pc;
	const struct recipe *recipe;
	json_t *points;
	char now[32];
	unsigned new_unmapped;
};

static const struct point_conf *point_conf(const struct portal_conf *pc, const char *id)
{
	for (size_t i = 0; i < pc->points.len; i++)
		if (strcmp(pc->points.v[i].id, id) == 0)
			return &pc->points.v[i];
	return NULL;
}

static bool on_point(void *ud, const char *id, const char *name)
{
	struct prun *pr = ud;
	const struct point_conf *cf = point_conf(pr->pc, id);
	json_t *p = json_object_get(pr->points, id);
	bool is_new = p == NULL;

	if (is_new) {
		p = json_object();
		json_object_set_new(p, "first_seen", json_string(pr->now));
		json_object_set_new(pr->points, id, p);
	}
	if (name && *name)
		json_object_set_new(p, "name", json_string(name));
	json_object_set_new(p, "last_seen", json_string(pr->now));
	if (cf && !cf->enabled)
		return false;
	if (is_new && !(cf && cf->property)) {
		pr->new_unmapped++;
		log_warn("%s: new point %s%s%s%s is not mapped to a property; its documents are "
			 "filed marked unmapped (map it under points: in conf.d)", pr->run->src->name,
			 id, name ? " (" : "", name ? name : "", name ? ")" : "");
	}
	return true;
}

static char *doc_source_id(const struct doc_info *d)
{
	return xasprintf("%s:%s", d->point ? d->point : "-", d->id);
}

static bool on_want(void *ud, const struct doc_info *d)
{
	struct prun *pr = ud;
	char *id;
	bool have;

	if (d->point && !on_point(ud, d->point, NULL))
		return false;
	pr->run->stats.looked_at++;
	if (pr->run->trace_dir) /* a traced run downloads everything: the trace shows it all */
		return true;
	id = doc_source_id(d);
	have = dedupe_has_id(pr->run->dedupe, id);
	free(id);
	if (have)
		pr->run->stats.duplicates++;
	return !have;
}

static void put(json_t *o, const char *k, const char *v)
{
	if (v)
		json_object_set_new(o, k, json_string(v));
}

/* The invoice's field k was found on the portal's list page, by the recipe's field `at`. */
static void mark_found(json_t *inv, const char *k, const char *at)
{
	json_t *found = json_object_get(inv, "found");
	if (!found)
		json_object_set_new(inv, "found", found = json_object());
	json_object_set_new(found, k, json_pack("{s:s, s:s}", "by", "portal", "at", at));
}

static void put_found(json_t *inv, const char *k, const char *v, const char *at)
{
	if (!v)
		return;
	json_object_set_new(inv, k, json_string(v));
	mark_found(inv, k, at);
}

/* The sidecar's invoice: what the portal's list says (formats/invoice.h, by "portal");
 * the PDF's text adds what it does not (sources/invoice_enrich.h). */
static json_t *invoice_json(const struct doc_info *d)
{
	json_t *inv = json_object();
	put_found(inv, "number", d->number, "number");
	put_found(inv, "issue_date", d->issue_date, "issue_date");
	put_found(inv, "due_date", d->due_date, "due_date");
	put_found(inv, "gross", d->gross, "gross");
	put_found(inv, "net", d->net, "net");
	put_found(inv, "currency", d->currency ? d->currency : d->gross ? "PLN" : NULL,
		  d->currency ? "currency" : "gross");
	if (d->period_from || d->period_to) {
		json_t *per = json_object();
		put(per, "from", d->period_from);
		put(per, "to", d->period_to);
		json_object_set_new(inv, "period", per);
		mark_found(inv, "period", "period_from");
	}
	return inv;
}

static int on_file(void *ud, const struct doc_info *d, int fd, struct gerr *err)
{
	struct prun *pr = ud;
	const struct point_conf *cf = d->point ? point_conf(pr->pc, d->point) : NULL;
	json_t *pt = d->point ? json_object_get(pr->points, d->point) : NULL;
	char *id = doc_source_id(d);
	char *hint = d->name ? xstrdup(d->name) : xasprintf("%s.pdf", d->number ? d->number : d->id);
	char *where = d->link ? http_url_for_message(d->link) : NULL;
	json_t *origin = json_pack("{s:{s:s, s:s, s:s?}}", "portal", "provider", pr->recipe->id,
				   "document_id", d->id, "url", where);
	json_t *inv = invoice_json(d), *extra = json_object();
	int rc;

	if (d->point && !(cf && cf->property))
		json_object_set_new(extra, "unmapped", json_true());
	if (pt && json_is_string(json_object_get(pt, "name")))
		json_object_set(extra, "point_name", json_object_get(pt, "name"));
	{
		const struct filing_doc doc = {
			.name_hint = hint, .kind = "invoice", .source_id = id, .point = d->point,
			.property = cf ? cf->property : NULL, .origin = origin, .invoice = inv,
			.extra = extra,
		};
		rc = filing_fd(pr->run, &doc, fd, NULL, err);
	}
	json_decref(origin);
	json_decref(inv);
	json_decref(extra);
	free(where);
	free(hint);
	free(id);
	return rc;
}

static void set_builtins(struct engine *e, const struct portal_conf *pc, const char *password)
{
	char today[11];
	time_t t = time(NULL);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	vars_set(&e->vars, "today", today, 0);
	vars_set(&e->vars, "base_url", e->recipe->base_url, 0);
	if (pc->login)
		vars_set(&e->vars, "login", pc->login, 0);
	if (password) {
		vars_set(&e->vars, "password", password, VAR_SECRET);
		engine_note_secret(e, "password", password, true);
	}
	if (pc->phone)
		vars_set(&e->vars, "phone", pc->phone, 0);
}

static void import_session(struct engine *e, const struct session *s)
{
	http_cookies_import(&e->http, &s->cookies);
	for (size_t i = 0; i < s->vars.len; i++)
		vars_set(&e->vars, s->vars.v[i].name, s->vars.v[i].value, VAR_SESSION);
}

/* Forget the session: cookies, captured values, page. */
static void drop_session(struct engine *e, const struct portal_conf *pc, const char *password,
			 const char *state_dir)
{
	struct gerr err;
	curl_easy_setopt(e->http.curl, CURLOPT_COOKIELIST, "ALL");
	vars_free(&e->vars);
	set_builtins(e, pc, password);
	engine_reset_page(e);
	if (pstate_session_remove(state_dir, &err) < 0)
		log_warn("%s", err.msg);
}

static void save_session(struct engine *e, const char *state_dir, const struct step *otp)
{
	struct session s = {0};
	struct gerr err;
	http_cookies_export(&e->http, &s.cookies);
	for (size_t i = 0; i < e->vars.len; i++)
		if (e->vars.v[i].flags & VAR_SESSION)
			vars_set(&s.vars, e->vars.v[i].name, e->vars.v[i].value, VAR_SESSION);
	if (otp) {
		s.pending = true;
		s.resume_at = (long)e->resume_at;
		s.otp_var = xstrdup(otp->otp_var);
		s.asked_at = time(NULL);
		s.ttl = otp->otp_ttl;
	}
	if (pstate_session_save(state_dir, &s, &err) < 0)
		log_warn("%s", err.msg);
	pstate_session_free(&s);
}

#define SITE_CHANGED_FILE "site-changed.json"
#define SITE_REMIND_DAYS 7

/* Remember (or forget) that the recipe no longer fits the site, and since when: the
 * stages of the daemon's alert (portal_attention()). */
static void mark_site(const struct source_run *run, const struct engine *e, enum portal_error pe)
{
	char *path = path_join(run->state_dir, SITE_CHANGED_FILE);
	struct gerr err = {0};
	json_t *was = NULL;
	if (pe == PE_SITE_CHANGED || pe == PE_SESSION_EXPIRED || pe == PE_NEEDS_JAVASCRIPT) {
		json_int_t since = (json_int_t)time(NULL);
		if (statefile_load(path, &was, &err) == 0 &&
		    json_is_integer(json_object_get(was, "since")))
			since = json_integer_value(json_object_get(was, "since"));
		json_t *o = json_pack("{s:s,s:s,s:I}", "provider", e->recipe->id, "message",
				      e->err.msg, "since", since);
		if (statefile_save(path, o, &err) < 0)
			log_warn("%s", err.msg);
		json_decref(o);
	} else if (pe == PE_NONE) {
		unlink(path);
	}
	json_decref(was);
	free(path);
}

static enum run_outcome outcome_of(struct source_run *run, struct engine *e,
				   enum portal_error pe)
{
	const char *name = run->src->name;
	struct gerr err;
	switch (pe) {
	case PE_NONE:
		if (e->listed_only)
			log_warn("%s: %lu invoice(s) listed but not downloaded: recipe %s cannot "
				 "download documents (see goniec providers)", name, e->listed_only,
				 e->recipe->id);
		if (!e->doc_failures)
			return RUN_OK;
		gerr_set(&err, "%lu document(s) could not be downloaded (see the log)",
			 e->doc_failures);
		run->stats.failed += e->doc_failures;
		source_run_error(run, &err);
		return RUN_PARTIAL;
	case PE_CODE_NEEDED:
		gerr_setk(&err, GERR_NEEDS_PERSON, "code needed: %s; give it with `goniec otp %s`",
			  e->err.msg, name);
		break;
	case PE_BAD_CREDENTIALS:
		gerr_setk(&err, GERR_NEEDS_PERSON, "bad credentials: %s", e->err.msg);
		break;
	case PE_CAPTCHA:
		gerr_setk(&err, GERR_NEEDS_PERSON,
			  "captcha: the portal wants a person to log in in a browser: %s", e->err.msg);
		break;
	case PE_ACTION_NEEDED:
		gerr_setk(&err, GERR_NEEDS_PERSON, "action needed on the portal: %s", e->err.msg);
		break;
	case PE_UNAVAILABLE:
		gerr_set(&err, "unavailable: %s", e->err.msg);
		break;
	case PE_NEEDS_JAVASCRIPT:
		gerr_setk(&err, GERR_PERMANENT, "the portal needs a browser (provider %s): %s",
			  e->recipe->id, e->err.msg);
		break;
	case PE_SESSION_EXPIRED:
	case PE_SITE_CHANGED:
	default:
		gerr_setk(&err, GERR_PERMANENT, "the site changed (provider %s): %s; its recipe no "
			  "longer fits: record what the portal answers with `goniec fetch %s --trace "
			  "DIR` for whoever maintains the recipe", e->recipe->id, e->err.msg, name);
		break;
	}
	source_run_error(run, &err);
	return run_outcome_of(&err);
}

struct login_state {
	struct engine *e;
	struct prun *pr;
	const char *password;
	const char *state_dir;
	bool fresh;  /* logged in during this run */
};

static const struct step *otp_step(const struct recipe *r, size_t i)
{
	return i < r->login.len && r->login.v[i].kind == ST_OTP ? &r->login.v[i] : NULL;
}

static enum portal_error login(struct login_state *ls)
{
	enum portal_error pe;
	ls->e->resume_at = SIZE_MAX;
	pe = engine_run(ls->e, &ls->e->recipe->login, 0);
	ls->fresh = true;
	if (pe == PE_CODE_NEEDED && ls->e->resume_at != SIZE_MAX)
		save_session(ls->e, ls->state_dir, otp_step(ls->e->recipe, ls->e->resume_at));
	return pe;
}

/* Get a working session: a code given for a pending login, the kept one, or a new login. */
static enum portal_error start(struct login_state *ls)
{
	struct engine *e = ls->e;
	struct session s;
	struct gerr err;
	enum portal_error pe;

	if (pstate_session_load(ls->state_dir, &s, &err) < 0) {
		log_warn("%s: %s; logging in anew", ls->pr->run->src->name, err.msg);
		memset(&s, 0, sizeof(s));
	}
	if (s.pending && s.code && otp_step(e->recipe, (size_t)s.resume_at)) {
		import_session(e, &s);
		vars_set(&e->vars, s.otp_var, s.code, 0);
		engine_note_secret(e, s.otp_var, s.code, true);
		/* a code is tried once: refused, the login waits for another one */
		free_secret(s.code);
		s.code = NULL;
		if (pstate_session_save(ls->state_dir, &s, &err) < 0)
			log_warn("%s", err.msg);
		e->resume_at = SIZE_MAX;
		pe = engine_run(e, &e->recipe->login, (size_t)s.resume_at);
		ls->fresh = true;
		/* a later otp step waits now; a refused code leaves the login waiting as it was */
		if (pe == PE_CODE_NEEDED && e->resume_at != SIZE_MAX)
			save_session(e, ls->state_dir, otp_step(e->recipe, e->resume_at));
	} else if (s.pending && time(NULL) - s.asked_at < s.ttl) {
		gerr_set(&e->err, "the portal sent a code at login; it has not been given yet");
		pe = PE_CODE_NEEDED;
	} else if (s.present && !s.pending && !e->trace) { /* a traced run logs in afresh */
		import_session(e, &s);
		pe = engine_run(e, &e->recipe->check, 0);
		if (pe == PE_SESSION_EXPIRED) {
			log_info("%s: the kept session was rejected; logging in", ls->pr->run->src->name);
			drop_session(e, ls->pr->pc, ls->password, ls->state_dir);
			pe = login(ls);
		}
	} else {
		pe = login(ls);
	}
	pstate_session_free(&s);
	return pe;
}

static enum portal_error fetch(struct login_state *ls)
{
	enum portal_error pe = start(ls);
	if (pe == PE_NONE) {
		if (ls->fresh) /* a code given or a login made is not to be used twice */
			save_session(ls->e, ls->state_dir, NULL);
		pe = engine_run(ls->e, &ls->e->recipe->fetch, 0);
	}
	if (pe == PE_SESSION_EXPIRED && !ls->fresh) {
		log_info("%s: the kept session was rejected; logging in", ls->pr->run->src->name);
		drop_session(ls->e, ls->pr->pc, ls->password, ls->state_dir);
		pe = login(ls);
		if (pe == PE_NONE)
			pe = engine_run(ls->e, &ls->e->recipe->fetch, 0);
	}
	switch (pe) {
	case PE_CODE_NEEDED:
		break; /* saved (pending) or left as it was */
	case PE_BAD_CREDENTIALS:
	case PE_SESSION_EXPIRED:
	case PE_CAPTCHA:
	case PE_ACTION_NEEDED:
		drop_session(ls->e, ls->pr->pc, ls->password, ls->state_dir);
		break;
	default: /* worked, or failed later on: the session itself is fine */
		save_session(ls->e, ls->state_dir, NULL);
		break;
	}
	return pe;
}

static int prepare(struct source_run *run, const struct portal_conf *pc, struct recipe **rp,
		   char **password, struct http_opts *o, char **lock_dir)
{
	struct diag diag = {0};
	char *path = recipe_find(run->cfg->confdir, pc->provider);
	int64_t delay;

	*rp = path ? recipe_load(path, &diag) : NULL;
	free(path);
	if (!*rp) {
		gerr_set(&run->err, "the recipe of provider '%s' is missing or has errors (run goniec "
			 "check)", pc->provider);
		diag_free(&diag);
		return -1;
	}
	diag_free(&diag);
	if (pc->base_url) {
		free((*rp)->base_url);
		(*rp)->base_url = xstrdup(pc->base_url);
	}
	*password = NULL;
	if (pc->password.kind != SECRET_NONE && secret_resolve(&pc->password, password, &run->err) < 0)
		return -1;
	delay = (*rp)->delay_ms;
	if (pc->delay)
		recipe_parse_delay(pc->delay, &delay);
	*lock_dir = path_join(run->cfg->agent.state_dir, "portal-hosts");
	if (mkdir_p(*lock_dir, 0700, &run->err) < 0)
		return -1;
	*o = (struct http_opts){
		.user_agent = run->cfg->agent.user_agent, .delay_ms = delay,
		.retries = (int)pc->retries,
		.retry_delay_ms = (pc->retry_delay > 3600 ? 3600 : pc->retry_delay) * 1000,
		.timeout_s = (long)pc->request_timeout, .ca_file = pc->ca_file,
		.lock_dir = *lock_dir, .max_body = run->src->max_document_size,
	};
	return 0;
}

static enum run_outcome portal_run(struct source_run *run)
{
	const struct portal_conf *pc = run->src->typed;
	struct recipe *r = NULL;
	char *password = NULL, *lock_dir = NULL;
	struct http_opts o;
	struct engine e;
	struct prun pr = {.run = run, .pc = pc};
	struct engine_hooks hooks = {&pr, on_point, on_want, on_file};
	struct login_state ls = {.e = &e, .pr = &pr, .state_dir = run->state_dir};
	enum run_outcome out = RUN_FAILED;
	enum portal_error pe;
	struct gerr err;

	if (prepare(run, pc, &r, &password, &o, &lock_dir) < 0)
		goto out;
	pr.recipe = r;
	pr.points = pstate_points_load(run->state_dir, &err);
	if (!pr.points) {
		log_warn("%s: %s; starting a new list of points", run->src->name, err.msg);
		pr.points = json_object();
	}
	spool_iso_time(time(NULL), pr.now);
	if (engine_init(&e, r, &o, &hooks, run->state_dir, &run->err) < 0)
		goto out;
	set_builtins(&e, pc, password);
	ls.password = password;
	if (run->trace_dir && !(e.trace = trace_start(run->trace_dir, r->id, r->base_url, &run->err))) {
		engine_free(&e);
		goto out;
	}
	set_builtins(&e, pc, password); /* again: the password is now a secret of the trace */
	pe = fetch(&ls);
	mark_site(run, &e, pe);
	out = outcome_of(run, &e, pe);
	if (e.trace) {
		if (trace_finish(e.trace, &err) < 0)
			log_warn("%s: %s", run->src->name, err.msg);
		else
			log_info("%s: %zu requests recorded in %s/trace.json (secrets masked)",
				 run->src->name, trace_position(e.trace), run->trace_dir);
		trace_free(e.trace);
		e.trace = NULL;
	}
	log_debug("%s: %lu requests, %lu documents listed", run->src->name, e.http.requests,
		  e.documents);
	engine_free(&e);
	if (pstate_points_save(run->state_dir, pr.points, &err) < 0)
		log_warn("%s: %s", run->src->name, err.msg);
out:
	json_decref(pr.points);
	free_secret(password);
	free(lock_dir);
	recipe_free(r);
	return out;
}

/* ---- for the command line --------------------------------------------------------- */

char *portal_state_dir(const struct config *cfg, const struct source_conf *src)
{
	return xasprintf("%s/sources/%s", cfg->agent.state_dir, src->name);
}

int portal_print_points(const struct config *cfg, const struct source_conf *src, FILE *out,
			struct gerr *err)
{
	const struct portal_conf *pc = src->typed;
	char *dir = portal_state_dir(cfg, src);
	json_t *pts = pstate_points_load(dir, err), *p;
	const char *id;

	free(dir);
	if (!pts)
		return -1;
	fprintf(out, "%-24s %-36s %-10s %s\n", "POINT", "NAME", "PROPERTY", "STATE");
	json_object_foreach(pts, id, p) {
		const struct point_conf *cf = point_conf(pc, id);
		const char *name = json_string_value(json_object_get(p, "name"));
		fprintf(out, "%-24s %-36s %-10s %s\n", id, name ? name : "-",
			cf && cf->property ? cf->property : "-",
			cf && !cf->enabled ? "disabled" : cf && cf->property ? "mapped" : "unmapped");
	}
	for (size_t i = 0; i < pc->points.len; i++)
		if (!json_object_get(pts, pc->points.v[i].id))
			fprintf(out, "%-24s %-36s %-10s %s\n", pc->points.v[i].id, "-",
				pc->points.v[i].property ? pc->points.v[i].property : "-",
				"not seen yet");
	json_decref(pts);
	return 0;
}

char *portal_unmapped_points(const struct config *cfg, const struct source_conf *src)
{
	const struct portal_conf *pc = src->typed;
	char *dir = portal_state_dir(cfg, src);
	struct gerr err;
	json_t *pts = pstate_points_load(dir, &err), *p;
	struct buf b = {0};
	const char *id;

	free(dir);
	json_object_foreach(pts, id, p) {
		const struct point_conf *cf = point_conf(pc, id);
		(void)p;
		if (!cf || (cf->enabled && !cf->property))
			buf_printf(&b, "%s%s", b.len ? " " : "", id);
	}
	json_decref(pts);
	return b.len ? buf_take(&b) : (buf_free(&b), NULL);
}

bool portal_waiting_for_code(const struct config *cfg, const struct source_conf *src)
{
	char *dir = portal_state_dir(cfg, src);
	struct session s;
	struct gerr err;
	bool waiting = pstate_session_load(dir, &s, &err) == 0 && s.pending &&
		       time(NULL) - s.asked_at < s.ttl;
	pstate_session_free(&s);
	free(dir);
	return waiting;
}

static int portal_give_code(const struct config *cfg, const struct source_conf *src,
			    const char *code, struct gerr *err)
{
	char *dir = portal_state_dir(cfg, src);
	int rc = pstate_give_code(dir, code, err);
	free(dir);
	return rc;
}

static const char *portal_code_sent_to(const struct source_conf *src)
{
	const struct portal_conf *pc = src->typed;
	return pc->phone;
}

static const char *const portal_times[] = {"05:00", NULL};

/* The stage of the failing alert of a site that no longer fits the recipe (NULL: it
 * fits): "changed" when found, then a reminder every SITE_REMIND_DAYS while it lasts —
 * the words alternate, for a new stage is what makes the daemon tell again. */
static const char *site_stage(const struct config *cfg, const struct source_conf *src,
			      time_t now)
{
	char *dir = portal_state_dir(cfg, src), *path = path_join(dir, SITE_CHANGED_FILE);
	json_t *o = NULL;
	struct gerr err = {0};
	const char *stage = NULL;
	if (statefile_load(path, &o, &err) == 0 && json_is_integer(json_object_get(o, "since"))) {
		json_int_t days = (now - json_integer_value(json_object_get(o, "since"))) / 86400;
		json_int_t reminders = days / SITE_REMIND_DAYS;
		stage = reminders < 1 ? "changed" : reminders % 2 ? "reminder" : "reminder again";
	}
	json_decref(o);
	free(path);
	free(dir);
	return stage;
}

/* What a person must do although runs succeed: map new points (told daily); and the stage
 * of the failing alert while the site no longer fits the recipe (the runs' error names
 * the provider and the step). */
static char *portal_attention(const struct config *cfg, const struct source_conf *src,
			       struct alert_stages *stages)
{
	char *points = portal_unmapped_points(cfg, src), *msg = NULL;
	stages->runs = site_stage(cfg, src, time(NULL));
	if (points)
		msg = xasprintf("consumption point(s) %s are mapped to no property; map them under "
				"points: in conf.d (their documents are filed marked unmapped)",
				points);
	free(points);
	return msg;
}

const struct source_type source_type_portal = {
	.name = "portal",
	.fields = portal_fields,
	.conf_size = sizeof(struct portal_conf),
	.validate = portal_validate,
	.default_accept = "pdf",
	.default_times = portal_times,
	.run = portal_run,
	.attention = portal_attention,
	.points = portal_print_points,
	.waiting_for_code = portal_waiting_for_code,
	.give_code = portal_give_code,
	.code_sent_to = portal_code_sent_to,
	.catalogue = portal_catalogue,
	.recipe_test = portal_recipe_test,
};
