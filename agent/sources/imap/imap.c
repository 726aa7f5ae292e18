/* imap — the source type: configuration and one run (see imap.h, fetch.h). */
#include "sources/imap/imap.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/template.h"
#include "core/spool.h"
#include "formats/utf7.h"
#include "sources/imap/fetch.h"
#include "sources/imap/session.h"
#include "sources/imap/state.h"

static const char *const tls_values[] = {"ssl", "starttls", "none", NULL};

static const struct cf_field imap_fields[] = {
	{.key = "host", .type = CF_STRING, .offset = offsetof(struct imap_conf, host),
	 .flags = CF_REQUIRED, .help = "the IMAP server's host name (checked against its certificate)"},
	{.key = "port", .type = CF_INT, .offset = offsetof(struct imap_conf, port), .min = 1,
	 .max = 65535, .help = "default 993 with tls: ssl, 143 otherwise"},
	{.key = "tls", .type = CF_ENUM, .offset = offsetof(struct imap_conf, tls),
	 .enum_values = tls_values, .dflt = "ssl",
	 .help = "ssl (TLS from the start), starttls (never falls back to plain), none"},
	{.key = "user", .type = CF_STRING, .offset = offsetof(struct imap_conf, user),
	 .flags = CF_REQUIRED, .help = "the login name"},
	{.key = "password", .type = CF_SECRET, .offset = offsetof(struct imap_conf, password),
	 .help = "the password (or password_file, password_env, password_credential); or oauth"},
	{.key = "oauth", .type = CF_STRUCT, .offset = offsetof(struct imap_conf, oauth),
	 .sub = oauth_fields,
	 .help = "sign in with OAuth 2.0 (XOAUTH2) instead of a password: Microsoft 365, Outlook.com, Gmail"},
	{.key = "ca_file", .type = CF_STRING, .offset = offsetof(struct imap_conf, ca_file),
	 .help = "PEM file of the CA(s) to trust instead of the system store"},
	{.key = "folders", .type = CF_STRLIST, .offset = offsetof(struct imap_conf, folders),
	 .help = "folders to read (UTF-8 names); default INBOX and the junk folder"},
	{.key = "senders", .type = CF_WILDCARDS, .offset = offsetof(struct imap_conf, senders),
	 .flags = CF_REQUIRED,
	 .help = "From addresses whose mail is taken, '*' wildcards ('*@pge.pl'); others' mail is left alone"},
	{.key = "move_to", .type = CF_STRING, .offset = offsetof(struct imap_conf, move_to),
	 .flags = CF_NULLABLE, .dflt = "eksiegowy{year}",
	 .help = "folder for taken messages, {year} = the year of the run; null: leave them and remember"},
	{.key = "io_timeout", .type = CF_DURATION, .offset = offsetof(struct imap_conf, io_timeout),
	 .dflt = "60s", .help = "how long one network read or write may wait"},
	CF_END,
};

static int imap_validate(struct cf_ctx *ctx, yaml_node_t *node, struct source_conf *src)
{
	const struct imap_conf *c = src->typed;
	int rc = 0;
	if (c->senders.len == 0 && cf_get(ctx, node, "senders"))
		rc = cf_error(ctx, cf_get(ctx, node, "senders"),
			      "senders: list the addresses whose mail goes to goniec, e.g. '*@pge.pl' ('*' takes everyone's)");
	for (size_t i = 0; i < c->folders.len; i++) {
		char *raw = imap_utf7_encode(c->folders.items[i]);
		if (!raw)
			rc = cf_error(ctx, cf_get(ctx, node, "folders"),
				      "folders: '%s' is not valid UTF-8", c->folders.items[i]);
		free(raw);
	}
	struct gerr err;
	char *folder = c->move_to ? tmpl_expand_date(c->move_to, time(NULL), &err) : NULL;
	if (c->move_to && (!*c->move_to || !folder))
		rc = cf_error(ctx, cf_get(ctx, node, "move_to"), "move_to: '%s' must be a folder name; %s",
			      c->move_to, folder ? "it is empty" : err.msg);
	free(folder);
	bool oauth = c->oauth.client_id != NULL;
	if (oauth == (c->password.kind != SECRET_NONE))
		rc = cf_error(ctx, node, "give either a password or an oauth: mapping (not %s)",
			      oauth ? "both" : "neither");
	if (oauth && oauth_validate(ctx, cf_get(ctx, node, "oauth"), &c->oauth) < 0)
		rc = -1;
	if (c->tls == IMAP_TLS_NONE)
		diag_add(ctx->diag, cf_pos(ctx, node), true,
			 "tls: none sends the password unencrypted; use ssl or starttls unless the server is local");
	return rc;
}

/* "eksiegowy{year}" -> "eksiegowy2026" (the year of the run, local time). */
/* The move_to folder of this year (checked when the configuration was loaded). */
static char *expand_target(const char *tmpl)
{
	struct gerr err;
	char *name = tmpl_expand_date(tmpl, time(NULL), &err);
	return name ? name : xstrdup(tmpl);
}

/* The folders to read, as names for people and raw names for the server: the configured
 * ones, else INBOX and the junk folder of `all` (NULL when LIST failed: INBOX only). */
static void folders_to_read(const struct imap_session *s, const struct imap_conf *c,
			    const struct imap_folder_list *all, struct strlist *names,
			    struct strlist *raws)
{
	for (size_t i = 0; i < c->folders.len; i++) {
		char *raw = imap_utf7_encode(c->folders.items[i]);
		if (!raw)
			continue; /* refused when the configuration was loaded */
		char *full = imap_in_namespace(s, raw);
		strlist_add(names, c->folders.items[i]);
		strlist_add(raws, full);
		free(full);
		free(raw);
	}
	if (c->folders.len)
		return;
	strlist_add(names, "INBOX");
	strlist_add(raws, "INBOX");
	const struct imap_folder *junk = all ? imap_find_junk(all) : NULL;
	if (junk) {
		strlist_add(names, junk->name);
		strlist_add(raws, junk->raw);
	}
}

static enum run_outcome imap_run(struct source_run *run)
{
	const struct imap_conf *c = run->src->typed;
	struct imap_session s;
	struct imap_state st;
	if (imap_state_load(&st, run->state_dir, &run->err) != 0)
		return RUN_FAILED;
	if (imap_session_open(&s, c, run->state_dir, run->src->name, &run->err) != 0) {
		imap_state_free(&st);
		return run_outcome_of(&run->err);
	}
	struct strlist names = {0}, raws = {0};
	struct imap_target target = {0};
	if (c->move_to) {
		target.name = expand_target(c->move_to);
		char *raw = imap_utf7_encode(target.name);
		target.raw = raw ? imap_in_namespace(&s, raw) : NULL;
		free(raw);
	}
	struct imap_folder_list all = {0};
	struct gerr lerr;
	bool listed = c->folders.len || imap_list_folders(&s, &all, &lerr) == 0;
	if (!listed)
		source_run_error(run, &lerr);
	folders_to_read(&s, c, listed ? &all : NULL, &names, &raws);
	imap_folders_free(&all);
	/* Documents are made durable a chunk at a time, before their messages move. */
	spool_batch(run->spool, true, NULL);
	unsigned failed = 0;
	for (size_t i = 0; i < names.len && !s.broken; i++) {
		struct gerr err = {0};
		if (imap_fetch_folder(run, &s, &st, names.items[i], raws.items[i], &target, &err) != 0) {
			failed++;
			source_run_error(run, &err);
		}
	}
	struct gerr ferr;
	if (s.broken && !failed) {
		gerr_set(&ferr, "%s: the connection broke; the rest is taken next time", s.label);
		source_run_error(run, &ferr);
		failed = 1;
	}
	if (spool_batch(run->spool, false, &ferr) != 0) {
		source_run_error(run, &ferr);
		failed++;
	}
	imap_state_free(&st);
	imap_session_close(&s);
	size_t nfolders = names.len;
	strlist_free(&names);
	strlist_free(&raws);
	free(target.name);
	free(target.raw);
	/* progress: a folder read to its end (a folder list refused: INBOX was read, but maybe
	 * not the junk folder) */
	return source_run_end(run, failed < nfolders);
}

static enum run_outcome imap_print_folders(const struct config *cfg,
					   const struct source_conf *src, FILE *out,
					   struct gerr *err)
{
	const struct imap_conf *c = src->typed;
	struct imap_session s;
	char *state_dir = xasprintf("%s/sources/%s", cfg->agent.state_dir, src->name);
	int rc = imap_session_open(&s, c, state_dir, src->name, err);
	free(state_dir);
	if (rc != 0)
		return run_outcome_of(err);
	struct imap_folder_list all;
	if (imap_list_folders(&s, &all, err) != 0) {
		imap_session_close(&s);
		return RUN_FAILED;
	}
	struct strlist names = {0}, raws = {0};
	folders_to_read(&s, c, &all, &names, &raws);
	const struct imap_folder *junk = imap_find_junk(&all);
	for (size_t i = 0; i < all.len; i++) {
		const struct imap_folder *f = &all.items[i];
		fprintf(out, "%s %s%s%s\n", strlist_contains(&raws, f->raw) ? "*" : " ", f->name,
			f == junk ? "  (junk)" : "", f->noselect ? "  (not selectable)" : "");
	}
	fprintf(out, "(%zu folders; * = read by %s", all.len, src->name);
	if (*s.ns_prefix)
		fprintf(out, "; personal namespace \"%s\", separator \"%c\": folders and move_to are put under it",
			s.ns_prefix, s.ns_delim ? s.ns_delim : '?');
	fprintf(out, ")\n");
	strlist_free(&names);
	strlist_free(&raws);
	imap_folders_free(&all);
	imap_session_close(&s);
	return RUN_OK;
}

static const struct oauth_conf *imap_oauth(const struct source_conf *src)
{
	const struct imap_conf *c = src->typed;
	return c->oauth.client_id ? &c->oauth : NULL;
}

static const char *const imap_times[] = {"05:00", "12:00", "14:00", NULL};

const struct source_type source_type_imap = {
	.name = "imap",
	.fields = imap_fields,
	.conf_size = sizeof(struct imap_conf),
	.validate = imap_validate,
	.default_accept = "pdf",
	.default_times = imap_times,
	.run = imap_run,
	.oauth = imap_oauth,
	.folders = imap_print_folders,
};
