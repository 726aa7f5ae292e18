/* route — see route.h. */
#include "forward/route.h"

#include <grp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "forward/mailmsg.h"
#include "core/sidecar.h"
#include "forward/template.h"

/* ---- match ------------------------------------------------------------------------------- */

/* Shortcut keys of `match` and the sidecar paths they stand for. */
static const char *match_path(const char *key)
{
	if (strcmp(key, "source_type") == 0)
		return "source.type";
	return key;
}

static int add_patterns(struct cf_ctx *ctx, yaml_node_t *v, struct strlist *out)
{
	if (cf_scalar(v)) {
		strlist_add(out, cf_scalar(v));
		return 0;
	}
	if (v->type != YAML_SEQUENCE_NODE || v->data.sequence.items.start == v->data.sequence.items.top)
		return cf_error(ctx, v, "expected a pattern or a list of patterns");
	for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
		yaml_node_t *item = yaml_document_get_node(ctx->doc, *i);
		if (!cf_scalar(item))
			return cf_error(ctx, item, "expected a pattern");
		strlist_add(out, cf_scalar(item));
	}
	return 0;
}

static int match_parse(struct cf_ctx *ctx, yaml_node_t *node, void *dst,
		       const struct cf_field *field)
{
	struct route_match *m = dst;
	if (node->type != YAML_MAPPING_NODE)
		return cf_error(ctx, node, "%s: expected a mapping of sidecar fields to patterns",
				field->key);
	int rc = 0;
	for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(ctx->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(ctx->doc, p->value);
		const char *key = cf_scalar(k);
		if (!key || !*key) {
			rc = cf_error(ctx, k, "%s: each entry is `field: pattern`", field->key);
			continue;
		}
		const char *path = match_path(key);
		if (!sidecar_field_known(path)) {
			const char *hint = sidecar_field_suggest(path);
			diag_add(ctx->diag, cf_pos(ctx, k), true,
				 "match field '%s' is in no sidecar%s%s%s", key,
				 hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
		}
		m->paths = xrealloc(m->paths, (m->len + 1) * sizeof *m->paths);
		m->patterns = xrealloc(m->patterns, (m->len + 1) * sizeof *m->patterns);
		m->paths[m->len] = xstrdup(path);
		m->patterns[m->len] = (struct strlist){0};
		if (add_patterns(ctx, v, &m->patterns[m->len]) < 0)
			rc = -1;
		m->len++;
	}
	return rc;
}

static void match_release(void *dst)
{
	struct route_match *m = dst;
	for (size_t i = 0; i < m->len; i++) {
		free(m->paths[i]);
		strlist_free(&m->patterns[i]);
	}
	free(m->paths);
	free(m->patterns);
	memset(m, 0, sizeof(*m));
}

/* ---- targets ----------------------------------------------------------------------------- */

#define FOLDER(f) offsetof(struct route_folder_target, f)
static const struct cf_field folder_fields[] = {
	{.key = "path", .type = CF_STRING, .offset = FOLDER(path), .flags = CF_REQUIRED,
	 .help = "the destination directory (must exist: a missing one is a share not mounted)"},
	{.key = "name", .type = CF_STRING, .offset = FOLDER(name), .dflt = "{file}",
	 .help = "naming template over sidecar fields, '/' makes subdirectories"},
	{.key = "sidecar", .type = CF_BOOL, .offset = FOLDER(sidecar), .dflt = "false",
	 .help = "also deliver the sidecar as NAME.meta.json"},
	{.key = "require_mount", .type = CF_BOOL, .offset = FOLDER(require_mount), .dflt = "false",
	 .help = "wait while path is on the root file system (the share is not mounted)"},
	{.key = "group", .type = CF_STRING, .offset = FOLDER(group),
	 .help = "owner group of delivered files and created directories"},
	{.key = "mode", .type = CF_STRING, .offset = FOLDER(mode), .dflt = "0640",
	 .help = "mode of delivered files (octal)"},
	{.key = "dir_mode", .type = CF_STRING, .offset = FOLDER(dir_mode), .dflt = "0750",
	 .help = "mode of created directories (octal)"},
	CF_END,
};

static const char *const security_names[] = {"starttls", "ssl", "none", NULL};
static const char *const batch_names[] = {"document", "run", NULL};

#define EMAIL(f) offsetof(struct route_email_target, f)
static const struct cf_field email_fields[] = {
	{.key = "to", .type = CF_STRLIST, .offset = EMAIL(to), .flags = CF_REQUIRED,
	 .help = "recipient address(es)"},
	{.key = "from", .type = CF_STRING, .offset = EMAIL(from), .flags = CF_REQUIRED,
	 .help = "sender address"},
	{.key = "server", .type = CF_STRING, .offset = EMAIL(server), .flags = CF_REQUIRED,
	 .help = "SMTP server host name"},
	{.key = "port", .type = CF_INT, .offset = EMAIL(port), .dflt = "0", .min = 0, .max = 65535,
	 .help = "SMTP port (default 465 for ssl, else 587)"},
	{.key = "security", .type = CF_ENUM, .offset = EMAIL(security), .dflt = "starttls",
	 .enum_values = security_names,
	 .help = "starttls (required, never falls back), ssl (SMTPS), none (loopback only)"},
	{.key = "user", .type = CF_STRING, .offset = EMAIL(user), .help = "SMTP AUTH user"},
	{.key = "password", .type = CF_SECRET, .offset = EMAIL(password),
	 .help = "SMTP AUTH password (password, password_file, password_env, password_credential)"},
	{.key = "ca_file", .type = CF_STRING, .offset = EMAIL(ca_file),
	 .help = "CA bundle to verify the server with (default: the system's)"},
	{.key = "subject", .type = CF_STRING, .offset = EMAIL(subject),
	 .dflt = "[goniec] {company|} {kind|document} {file}", .help = "subject template"},
	{.key = "body", .type = CF_STRING, .offset = EMAIL(body),
	 .dflt = "{file} from {source|?} ({company|-}), fetched {fetched_at|?}.\n"
		 "Invoice {invoice.number|-} of {invoice.issue_date|-}, {invoice.gross|-} "
		 "{invoice.currency|}\n",
	 .help = "body template"},
	{.key = "batch", .type = CF_ENUM, .offset = EMAIL(batch), .dflt = "document",
	 .enum_values = batch_names,
	 .help = "document: one mail per document; run: one mail per forwarding pass"},
	{.key = "max_size", .type = CF_SIZE, .offset = EMAIL(max_size), .dflt = "20MB",
	 .help = "largest message to send (a larger document is a permanent failure)"},
	{.key = "timeout", .type = CF_DURATION, .offset = EMAIL(timeout), .dflt = "2m",
	 .help = "time limit of one SMTP session"},
	CF_END,
};

static int target_parse(struct cf_ctx *ctx, yaml_node_t *node, void **dst,
			const struct cf_field *fields, size_t size, const char *key)
{
	if (node->type != YAML_MAPPING_NODE)
		return cf_error(ctx, node, "%s: expected a mapping", key);
	*dst = xcalloc(1, size);
	cf_defaults(fields, *dst);
	return cf_map(ctx, node, fields, NULL, *dst);
}

static int folder_parse(struct cf_ctx *ctx, yaml_node_t *node, void *dst,
			const struct cf_field *field)
{
	return target_parse(ctx, node, (void **)dst, folder_fields, sizeof(struct route_folder_target),
			    field->key);
}

static void folder_release(void *dst)
{
	struct route_folder_target **f = dst;
	if (!*f)
		return;
	tmpl_free((*f)->name_t);
	cf_free(folder_fields, *f);
	free(*f);
	*f = NULL;
}

static int email_parse(struct cf_ctx *ctx, yaml_node_t *node, void *dst,
		       const struct cf_field *field)
{
	return target_parse(ctx, node, (void **)dst, email_fields, sizeof(struct route_email_target),
			    field->key);
}

static void email_release(void *dst)
{
	struct route_email_target **e = dst;
	if (!*e)
		return;
	tmpl_free((*e)->subject_t);
	tmpl_free((*e)->body_t);
	cf_free(email_fields, *e);
	free(*e);
	*e = NULL;
}

const struct cf_field route_fields[] = {
	{.key = "match", .type = CF_CUSTOM, .offset = offsetof(struct route, match),
	 .parse = match_parse, .release = match_release,
	 .help = "sidecar fields and the patterns they must match"},
	{.key = "folder", .type = CF_CUSTOM, .offset = offsetof(struct route, folder),
	 .parse = folder_parse, .release = folder_release, .help = "deliver into a folder"},
	{.key = "email", .type = CF_CUSTOM, .offset = offsetof(struct route, email),
	 .parse = email_parse, .release = email_release, .help = "deliver by e-mail (SMTP)"},
	{.key = "alerts", .type = CF_BOOL, .offset = offsetof(struct route, alerts),
	 .dflt = "false", .help = "also deliver the daemon's alerts (documents of kind alert)"},
	{.key = "enabled", .type = CF_BOOL, .offset = offsetof(struct route, enabled),
	 .dflt = "true", .help = "false: the route delivers nothing"},
	CF_END,
};

const size_t route_conf_size = sizeof(struct route);

/* ---- validation -------------------------------------------------------------------------- */

struct field_check {
	struct cf_ctx *ctx;
	struct conf_pos pos;
	const char *key;
};

static void warn_unknown_field(const char *path, void *arg)
{
	struct field_check *fc = arg;
	if (sidecar_field_known(path))
		return;
	const char *hint = sidecar_field_suggest(path);
	diag_add(fc->ctx->diag, fc->pos, true, "%s: template field '%s' is in no sidecar%s%s%s",
		 fc->key, path, hint ? " (did you mean '" : "", hint ? hint : "",
		 hint ? "'?)" : "");
}

/* Compile the template at `key` of the target mapping `tnode`. */
static struct tmpl *compile_at(struct cf_ctx *ctx, yaml_node_t *tnode, const char *key,
			       const char *text)
{
	yaml_node_t *at = cf_get(ctx, tnode, key);
	if (!at)
		at = tnode;
	struct gerr err;
	struct tmpl *t = tmpl_compile(text, &err);
	if (!t) {
		cf_error(ctx, at, "%s: %s", key, err.msg);
		return NULL;
	}
	struct field_check fc = {ctx, cf_pos(ctx, at), key};
	tmpl_each_field(t, warn_unknown_field, &fc);
	return t;
}

static int parse_mode(struct cf_ctx *ctx, yaml_node_t *tnode, const char *key, const char *s,
		      mode_t *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 8);
	if (!*s || *end || v > 07777)
		return cf_error(ctx, cf_get(ctx, tnode, key) ? cf_get(ctx, tnode, key) : tnode,
				"%s: '%s' is not an octal mode such as 0640", key, s);
	*out = (mode_t)v;
	return 0;
}

static void validate_folder(struct cf_ctx *ctx, yaml_node_t *tnode, struct route_folder_target *f)
{
	if (f->path && f->path[0] != '/')
		cf_error(ctx, cf_get(ctx, tnode, "path"), "path: '%s' must be absolute", f->path);
	if (f->name)
		f->name_t = compile_at(ctx, tnode, "name", f->name);
	f->gid = (gid_t)-1;
	if (f->group) {
		struct group *g = getgrnam(f->group);
		if (g)
			f->gid = g->gr_gid;
		else
			cf_error(ctx, cf_get(ctx, tnode, "group"), "group: no group '%s' on this system",
				 f->group);
	}
	parse_mode(ctx, tnode, "mode", f->mode, &f->fmode);
	parse_mode(ctx, tnode, "dir_mode", f->dir_mode, &f->dmode);
}

static bool loopback(const char *host)
{
	return strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 ||
	       str_starts_with(host, "127.");
}

static void validate_email(struct cf_ctx *ctx, yaml_node_t *tnode, struct route_email_target *e)
{
	for (size_t i = 0; i < e->to.len; i++)
		if (!mail_address_ok(e->to.items[i]))
			cf_error(ctx, cf_get(ctx, tnode, "to"), "to: '%s' is not an e-mail address",
				 e->to.items[i]);
	if (e->from && !mail_address_ok(e->from))
		cf_error(ctx, cf_get(ctx, tnode, "from"), "from: '%s' is not an e-mail address",
			 e->from);
	if (e->server && e->security == EMAIL_PLAIN && !loopback(e->server))
		cf_error(ctx, cf_get(ctx, tnode, "security"),
			 "security: none is only allowed for a server on this machine (127.0.0.1)");
	if (e->password.kind != SECRET_NONE && !e->user)
		cf_error(ctx, tnode, "a password needs a `user`");
	if (e->port == 0)
		e->port = e->security == EMAIL_SSL ? 465 : 587;
	if (e->subject)
		e->subject_t = compile_at(ctx, tnode, "subject", e->subject);
	if (e->body)
		e->body_t = compile_at(ctx, tnode, "body", e->body);
}

int route_validate(struct cf_ctx *ctx, yaml_node_t *node, struct route_conf *rc)
{
	struct route *r = rc->typed;
	if (!!r->folder + !!r->email != 1)
		return cf_error(ctx, node, "route %s: give exactly one target, `folder:` or `email:`",
				rc->name ? rc->name : "?");
	if (r->folder)
		validate_folder(ctx, cf_get(ctx, node, "folder"), r->folder);
	if (r->email)
		validate_email(ctx, cf_get(ctx, node, "email"), r->email);
	return 0;
}

void route_each_secret(const struct route_conf *rc,
		       void (*fn)(const struct secret *s, const char *key, void *arg), void *arg)
{
	const struct route *r = rc->typed;
	cf_each_secret(route_fields, r, fn, arg);
	if (r->email)
		cf_each_secret(email_fields, r->email, fn, arg);
}

/* ---- matching ---------------------------------------------------------------------------- */

static bool any_pattern(const struct strlist *pats, const char *value)
{
	for (size_t i = 0; i < pats->len; i++)
		if (wildcard_match(pats->items[i], value))
			return true;
	return false;
}

bool route_matches(const struct route_conf *rc, const json_t *sidecar, const char *file)
{
	const struct route *r = rc->typed;
	struct sidecar_scratch s;
	if (!r->enabled)
		return false;
	if (rc->company) {
		const char *c = sidecar_get(sidecar, "company", file, &s);
		if (!c || strcmp(c, rc->company->id) != 0)
			return false;
	}
	const char *kind = sidecar_get(sidecar, "kind", file, &s);
	bool alert = kind && strcmp(kind, "alert") == 0;
	bool kind_asked = false;
	for (size_t i = 0; i < r->match.len; i++) {
		const char *v = sidecar_get(sidecar, r->match.paths[i], file, &s);
		if (!v || !any_pattern(&r->match.patterns[i], v))
			return false;
		kind_asked |= strcmp(r->match.paths[i], "kind") == 0;
	}
	/* alerts go only where they are asked for */
	return !alert || r->alerts || kind_asked;
}

char *route_fingerprint(const struct route_conf *rc)
{
	const struct route *r = rc->typed;
	struct buf b = {0};
	buf_printf(&b, "%s|%s|%d%d|", rc->name, rc->company ? rc->company->id : "", r->alerts,
		   r->enabled);
	for (size_t i = 0; i < r->match.len; i++) {
		buf_printf(&b, "%s=", r->match.paths[i]);
		for (size_t k = 0; k < r->match.patterns[i].len; k++)
			buf_printf(&b, "%s,", r->match.patterns[i].items[k]);
		buf_puts(&b, ";");
	}
	if (r->folder)
		buf_printf(&b, "F%s|%s|%d%d", r->folder->path, r->folder->name, r->folder->sidecar,
			   r->folder->require_mount);
	if (r->email) {
		buf_printf(&b, "E%s|%s|%ld|%d|", r->email->from, r->email->server, r->email->port,
			   r->email->batch);
		for (size_t i = 0; i < r->email->to.len; i++)
			buf_printf(&b, "%s,", r->email->to.items[i]);
	}
	return buf_take(&b);
}
