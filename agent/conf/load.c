/* load — see load.h. */
#include "conf/load.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/fileperm.h"
#include "core/yamlload.h"
#include "forward/route.h"
#include "sources/source.h"

#define CONFIG_FILE_MAX (4u << 20)
#define SHARDS_MAX 4096

static const struct cf_field shard_fields[] = {
	{.key = "index", .type = CF_INT, .offset = offsetof(struct shard_conf, index), .min = 0,
	 .max = SHARDS_MAX - 1, .help = "this daemon's shard, 0 to of-1"},
	{.key = "of", .type = CF_INT, .offset = offsetof(struct shard_conf, of), .dflt = "1",
	 .min = 1, .max = SHARDS_MAX, .help = "how many shards share the sources"},
	CF_END,
};

static const struct cf_field agent_pdf_fields[] = {
	{.key = "time", .type = CF_DURATION, .offset = offsetof(struct agent_pdf, time),
	 .dflt = "20s", .min = 1, .max = 3600,
	 .help = "longest the reading of one PDF may take (wall clock and CPU)"},
	{.key = "memory", .type = CF_SIZE, .offset = offsetof(struct agent_pdf, memory),
	 .dflt = "512MiB", .min = 16L << 20, .max = 64L << 30,
	 .help = "memory (address space) of the reader of one PDF"},
	{.key = "pages", .type = CF_INT, .offset = offsetof(struct agent_pdf, pages),
	 .dflt = "100", .min = 1, .max = 100000, .help = "pages read from the start of a PDF"},
	{.key = "text", .type = CF_SIZE, .offset = offsetof(struct agent_pdf, text),
	 .dflt = "4MiB", .min = 4096, .max = 256L << 20, .help = "bytes of a PDF's text kept"},
	CF_END,
};

static const struct cf_field agent_fields[] = {
	{.key = "spool", .type = CF_STRING, .offset = offsetof(struct agent_conf, spool_dir),
	 .help = "the spool directory"},
	{.key = "state", .type = CF_STRING, .offset = offsetof(struct agent_conf, state_dir),
	 .help = "the state directory"},
	{.key = "timezone", .type = CF_TIMEZONE, .offset = offsetof(struct agent_conf, timezone),
	 .dflt = "Europe/Warsaw", .help = "time zone of schedules and spool dates"},
	{.key = "max_document_size", .type = CF_SIZE,
	 .offset = offsetof(struct agent_conf, max_document_size), .dflt = "100MB",
	 .help = "largest document filed"},
	{.key = "worker_timeout", .type = CF_DURATION,
	 .offset = offsetof(struct agent_conf, worker_timeout), .dflt = "30m",
	 .help = "longest a source run may take"},
	{.key = "stop_grace", .type = CF_DURATION, .offset = offsetof(struct agent_conf, stop_grace),
	 .dflt = "10s", .min = 0, .max = 80,
	 .help = "how long runs in progress may go on when the daemon stops"},
	{.key = "workers", .type = CF_INT, .offset = offsetof(struct agent_conf, workers),
	 .dflt = "4", .min = 1, .max = 256, .help = "source runs at once"},
	{.key = "jitter", .type = CF_DURATION, .offset = offsetof(struct agent_conf, jitter),
	 .dflt = "10m", .help = "random delay of scheduled starts without a jitter of their own"},
	{.key = "user_agent", .type = CF_STRING, .offset = offsetof(struct agent_conf, user_agent),
	 .dflt = "goniec/" GONIEC_VERSION, .help = "HTTP User-Agent"},
	{.key = "shard", .type = CF_STRUCT, .offset = offsetof(struct agent_conf, shard),
	 .sub = shard_fields, .help = "this daemon's share of the sources: {index: K, of: N}"},
	{.key = "pdf", .type = CF_STRUCT, .offset = offsetof(struct agent_conf, pdf),
	 .sub = agent_pdf_fields, .help = "limits of reading a PDF's text (invoice fields)"},
	CF_END,
};

static const struct cf_field company_payments_fields[] = {
	{.key = "partial", .type = CF_BOOL, .offset = offsetof(struct company_payments, partial), .dflt = "false",
	 .help = "allow partial payments (they accumulate) and overpayments (reported)"},
	CF_END,
};

static const struct cf_field company_fields[] = {
	{.key = "id", .type = CF_STRING, .offset = offsetof(struct company_conf, id),
	 .flags = CF_REQUIRED, .help = "short id used in the spool and sidecars, e.g. acme"},
	{.key = "name", .type = CF_STRING, .offset = offsetof(struct company_conf, name)},
	{.key = "nip", .type = CF_NIP, .offset = offsetof(struct company_conf, nip),
	 .help = "the company's tax number (NIP); its checksum is verified"},
	{.key = "payments", .type = CF_STRUCT, .offset = offsetof(struct company_conf, payments),
	 .sub = company_payments_fields, .help = "how payments are matched to invoices"},
	CF_END,
};

static const struct cf_field source_common_fields[] = {
	{.key = "name", .type = CF_STRING, .offset = offsetof(struct source_conf, name),
	 .flags = CF_REQUIRED, .help = "a unique name, e.g. acme-mail"},
	{.key = "type", .type = CF_STRING, .offset = offsetof(struct source_conf, type_name),
	 .flags = CF_REQUIRED, .help = "folder, imap, graph, portal, ..."},
	{.key = "accept", .type = CF_STRLIST, .offset = offsetof(struct source_conf, accept),
	 .help = "document types to take: pdf xml mt940 camt csv zip"},
	{.key = "schedule", .type = CF_CUSTOM, .offset = offsetof(struct source_conf, schedule),
	 .parse = schedule_parse, .release = schedule_release},
	{.key = "enabled", .type = CF_BOOL, .offset = offsetof(struct source_conf, enabled),
	 .dflt = "true"},
	{.key = "timeout", .type = CF_DURATION, .offset = offsetof(struct source_conf, timeout)},
	{.key = "max_document_size", .type = CF_SIZE,
	 .offset = offsetof(struct source_conf, max_document_size)},
	CF_END,
};

static const struct cf_field route_common_fields[] = {
	{.key = "name", .type = CF_STRING, .offset = offsetof(struct route_conf, name),
	 .flags = CF_REQUIRED, .help = "a unique name"},
	CF_END,
};

static const char *const document_keys[] = {"agent", "company", "sources", "routes", NULL};

/* ---- loading state ---------------------------------------------------------------------- */

struct loader {
	struct config *cfg;
	struct diag *diag;
	struct conf_pos agent_pos;
	struct strset route_names;  /* name -> struct route_conf */
	struct strset company_ids;  /* id -> struct company_conf */
};

/* Room for one more pointer after `len`: the array doubles at each power of two. */
static void *grow(void *arr, size_t len)
{
	if (len & (len - 1))
		return arr;
	return xrealloc(arr, (len ? 2 * len : 1) * sizeof(void *));
}

/* Names become directory names and appear in commands: keep them plain. */
static bool valid_name(const char *s)
{
	if (!*s || *s == '.' || *s == '-' || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return false;
	return true;
}

/* Every key the tables take, with the _file/_env/_credential forms of secrets. The strings
 * of the secret forms are owned by a static list (they are few and live for the process). */
static const char *secret_key(const char *key, const char *suffix)
{
	static struct strlist made;
	char *k = xasprintf("%s%s", key, suffix);
	for (size_t i = 0; i < made.len; i++)
		if (strcmp(made.items[i], k) == 0) {
			free(k);
			return made.items[i];
		}
	strlist_add(&made, k);
	free(k);
	return made.items[made.len - 1];
}

static const char **keys_of(const struct cf_field *a, const struct cf_field *b)
{
	static const char *const suffixes[] = {"_file", "_env", "_credential"};
	const struct cf_field *tables[] = {a, b};
	size_t n = 0;
	for (size_t t = 0; t < 2; t++)
		for (const struct cf_field *f = tables[t]; f && f->key; f++)
			n += f->type == CF_SECRET ? 4 : 1;
	const char **keys = xcalloc(n + 1, sizeof *keys);
	n = 0;
	for (size_t t = 0; t < 2; t++)
		for (const struct cf_field *f = tables[t]; f && f->key; f++) {
			keys[n++] = f->key;
			for (size_t i = 0; f->type == CF_SECRET && i < ARRAY_LEN(suffixes); i++)
				keys[n++] = secret_key(f->key, suffixes[i]);
		}
	return keys;
}

/* keys followed by more (a NULL-terminated list), in a new list. */
static const char **with_keys(const char **keys, const char *const *more)
{
	size_t n = 0, m = 0;
	while (keys[n])
		n++;
	while (more[m])
		m++;
	keys = xrealloc(keys, (n + m + 1) * sizeof *keys);
	memcpy(keys + n, more, (m + 1) * sizeof *keys);
	return keys;
}

static const char *const *type_hint_list(void) { return source_type_names(); }

/* Record `name` of an item (a struct holding a struct conf_pos at pos_off) in `names`;
 * report it when an earlier item has it already. */
static void check_unique_name(struct cf_ctx *ctx, yaml_node_t *node, const char *what,
			      const char *name, struct strset *names, void *item, size_t pos_off)
{
	if (strset_put(names, name, item))
		return;
	const struct conf_pos *pos =
		(const void *)((const char *)strset_get(names, name) + pos_off);
	cf_error(ctx, node, "%s name '%s' is already used at %s:%d:%d", what, name, pos->file,
		 pos->line, pos->col);
}

/* A `*_file` secret that others may read is refused, as ssh refuses such a key. */
static void check_secret_file(const struct secret *s, const char *key, void *arg)
{
	struct cf_ctx *ctx = arg;
	struct gerr err;
	if (s->kind == SECRET_FILE && perm_check_secret_file(s->value, &err) != 0)
		diag_add(ctx->diag, s->pos, false, "%s: %s", key, err.msg);
}

/* ---- sources ------------------------------------------------------------------------------ */

static void apply_source_defaults(struct source_conf *src, const struct source_type *type)
{
	if (!src->accept.len && type->default_accept) {
		char *copy = xstrdup(type->default_accept), *save = NULL;
		for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
			strlist_add(&src->accept, w);
		free(copy);
	}
}

static void check_accept(struct cf_ctx *ctx, yaml_node_t *node, struct source_conf *src)
{
	for (size_t i = 0; i < src->accept.len; i++) {
		bool known = false;
		for (size_t j = 0; document_type_names[j]; j++)
			known |= strcmp(src->accept.items[i], document_type_names[j]) == 0;
		if (!known) {
			const char *hint = cf_suggest(src->accept.items[i], document_type_names);
			cf_error(ctx, cf_get(ctx, node, "accept") ? cf_get(ctx, node, "accept") : node,
				 "accept: unknown document type '%s'%s%s%s (known: pdf xml mt940 camt csv zip transactions)",
				 src->accept.items[i], hint ? " (did you mean '" : "",
				 hint ? hint : "", hint ? "'?)" : "");
		}
	}
}

static void source_free(struct source_conf *src)
{
	if (!src)
		return;
	if (src->type && src->typed)
		cf_free(src->type->fields, src->typed);
	free(src->typed);
	cf_free(source_common_fields, src);
	free(src);
}

static void load_source(struct loader *ld, struct cf_ctx *ctx, yaml_node_t *node,
			const struct company_conf *company)
{
	struct config *cfg = ld->cfg;
	if (node->type != YAML_MAPPING_NODE) {
		cf_error(ctx, node, "each source is a mapping with at least `name` and `type`");
		return;
	}
	struct source_conf *src = xcalloc(1, sizeof *src);
	src->pos = cf_pos(ctx, node);
	src->company = company;
	cf_defaults(source_common_fields, src);

	const char *type_name = cf_scalar(cf_get(ctx, node, "type"));
	const struct source_type *type = type_name ? source_type_find(type_name) : NULL;
	if (type_name && !type) {
		/* Without its type the other keys cannot be judged: report the type only. */
		const char *hint = cf_suggest(type_name, type_hint_list());
		cf_error(ctx, cf_get(ctx, node, "type"), "unknown source type '%s'%s%s%s", type_name,
			 hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
		const char *name = cf_scalar(cf_get(ctx, node, "name"));
		src->name = name ? xstrdup(name) : NULL;
	} else {
		const char **type_keys = keys_of(type ? type->fields : NULL, NULL);
		cf_map(ctx, node, source_common_fields, type_keys, src);
		free(type_keys);
	}
	if (src->name && !valid_name(src->name))
		cf_error(ctx, cf_get(ctx, node, "name"),
			 "name '%s' may hold only letters, digits, '.', '_' and '-' (64 at most)",
			 src->name);
	if (type) {
		src->type = type;
		src->typed = xcalloc(1, type->conf_size);
		cf_defaults(type->fields, src->typed);
		const char **common_keys = keys_of(source_common_fields, NULL);
		ctx->unknown_reported = true;
		cf_map(ctx, node, type->fields, common_keys, src->typed);
		ctx->unknown_reported = false;
		free(common_keys);
		apply_source_defaults(src, type);
		check_accept(ctx, node, src);
		if (type->validate)
			type->validate(ctx, node, src);
		cf_each_secret(type->fields, src->typed, check_secret_file, ctx);
	}
	if (src->name)
		check_unique_name(ctx, cf_get(ctx, node, "name"), "source", src->name,
				  &cfg->source_index, src, offsetof(struct source_conf, pos));
	cfg->sources = grow(cfg->sources, cfg->nsources);
	cfg->sources[cfg->nsources++] = src;
}

/* ---- routes ---------------------------------------------------------------------------------- */

static void route_free(struct route_conf *r)
{
	if (!r)
		return;
	if (r->typed)
		route_release(r->typed);
	cf_free(route_fields, r->typed);
	free(r->typed);
	cf_free(route_common_fields, r);
	free(r);
}

static void load_route(struct loader *ld, struct cf_ctx *ctx, yaml_node_t *node,
		       const struct company_conf *company)
{
	struct config *cfg = ld->cfg;
	if (node->type != YAML_MAPPING_NODE) {
		cf_error(ctx, node, "each route is a mapping with at least `name`");
		return;
	}
	struct route_conf *r = xcalloc(1, sizeof *r);
	r->pos = cf_pos(ctx, node);
	r->company = company;
	r->typed = xcalloc(1, route_conf_size);
	cf_defaults(route_fields, r->typed);
	const char **typed_keys = with_keys(keys_of(route_fields, NULL), route_target_keys());
	cf_map(ctx, node, route_common_fields, typed_keys, r);
	free(typed_keys);
	const char **common_keys = with_keys(keys_of(route_common_fields, NULL), route_target_keys());
	ctx->unknown_reported = true;
	cf_map(ctx, node, route_fields, common_keys, r->typed);
	ctx->unknown_reported = false;
	free(common_keys);
	if (r->name && !valid_name(r->name))
		cf_error(ctx, cf_get(ctx, node, "name"),
			 "name '%s' may hold only letters, digits, '.', '_' and '-' (64 at most)",
			 r->name);
	route_validate(ctx, node, r);
	route_each_secret(r, check_secret_file, ctx);
	if (r->name)
		check_unique_name(ctx, cf_get(ctx, node, "name"), "route", r->name, &ld->route_names,
				  r, offsetof(struct route_conf, pos));
	cfg->routes = grow(cfg->routes, cfg->nroutes);
	cfg->routes[cfg->nroutes++] = r;
}

/* ---- documents ------------------------------------------------------------------------------- */

static const struct company_conf *load_company(struct loader *ld, struct cf_ctx *ctx,
					       yaml_node_t *node)
{
	struct config *cfg = ld->cfg;
	struct company_conf *c = xcalloc(1, sizeof *c);
	c->pos = cf_pos(ctx, node);
	if (cf_scalar(node))
		c->id = xstrdup(cf_scalar(node));
	else
		cf_map(ctx, node, company_fields, NULL, c);
	if (c->id && !valid_name(c->id))
		cf_error(ctx, node, "company id '%s' may hold only letters, digits, '.', '_' and '-'",
			 c->id);
	const struct company_conf *earlier = NULL;
	if (c->id && !strset_put(&ld->company_ids, c->id, c))
		earlier = strset_get(&ld->company_ids, c->id);
	if (earlier)
		cf_error(ctx, node, "company '%s' is already defined at %s:%d:%d", c->id,
			 earlier->pos.file, earlier->pos.line, earlier->pos.col);
	cfg->companies = grow(cfg->companies, cfg->ncompanies);
	cfg->companies[cfg->ncompanies++] = c;
	return c;
}

static void load_list(struct loader *ld, struct cf_ctx *ctx, yaml_node_t *list,
		      const struct company_conf *company,
		      void (*load_one)(struct loader *, struct cf_ctx *, yaml_node_t *,
				       const struct company_conf *))
{
	if (!list || cf_is_null(list))
		return;
	if (list->type != YAML_SEQUENCE_NODE) {
		cf_error(ctx, list, "expected a list (items start with '- ')");
		return;
	}
	for (yaml_node_item_t *it = list->data.sequence.items.start;
	     it < list->data.sequence.items.top; it++)
		load_one(ld, ctx, yaml_document_get_node(ctx->doc, *it), company);
}

static void check_shard(struct cf_ctx *ctx, yaml_node_t *agent, struct shard_conf *sh)
{
	yaml_node_t *node = cf_get(ctx, agent, "shard");
	sh->index_set = node && cf_get(ctx, node, "index");
	if (sh->index_set && sh->index >= sh->of)
		cf_error(ctx, node, "shard: index %ld is not below of (%ld): shards are numbered 0 to %ld",
			 sh->index, sh->of, sh->of - 1);
}

static void load_document(struct loader *ld, struct cf_ctx *ctx, yaml_node_t *root)
{
	if (!root)
		return;
	if (cf_is_null(root))
		return;
	if (root->type != YAML_MAPPING_NODE) {
		cf_error(ctx, root, "a conf.d document is a mapping with agent:, company:, sources: or routes:");
		return;
	}
	static const struct cf_field no_fields[] = {CF_END};
	cf_map(ctx, root, no_fields, document_keys, NULL);

	yaml_node_t *agent = cf_get(ctx, root, "agent");
	if (agent) {
		if (ld->cfg->agent_seen)
			cf_error(ctx, agent, "agent: is already set at %s:%d:%d; give it once in conf.d",
				 ld->agent_pos.file, ld->agent_pos.line, ld->agent_pos.col);
		else if (cf_map(ctx, agent, agent_fields, NULL, &ld->cfg->agent) == 0)
			check_shard(ctx, agent, &ld->cfg->agent.shard);
		ld->cfg->agent_seen = true;
		ld->agent_pos = cf_pos(ctx, agent);
	}
	yaml_node_t *company_node = cf_get(ctx, root, "company");
	const struct company_conf *company = company_node ? load_company(ld, ctx, company_node) : NULL;
	load_list(ld, ctx, cf_get(ctx, root, "sources"), company, load_source);
	load_list(ld, ctx, cf_get(ctx, root, "routes"), company, load_route);
}

/* Parse every YAML document of one text. Returns whether an inline secret was seen. */
static bool load_text(struct loader *ld, const char *file, const char *text, size_t len)
{
	yaml_parser_t parser;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	bool inline_secret = false;
	yaml_document_t doc;
	struct yaml_load_error yerr;
	int rc;
	while ((rc = yaml_load_next(&parser, &doc, &yerr)) > 0) {
		struct cf_ctx ctx = {.doc = &doc, .file = file, .diag = ld->diag};
		load_document(ld, &ctx, yaml_document_get_root_node(&doc));
		inline_secret |= ctx.inline_secret_seen;
		yaml_document_delete(&doc);
	}
	if (rc < 0)
		diag_add(ld->diag, (struct conf_pos){file, yerr.line, yerr.col}, false, "%s", yerr.msg);
	yaml_parser_delete(&parser);
	return inline_secret;
}

/* ---- files ----------------------------------------------------------------------------------- */

static bool wanted_file(const char *name)
{
	static const char *const skipped[] = {".dpkg-dist", ".dpkg-old", ".dpkg-new", ".dpkg-tmp",
					      ".rpmnew", ".rpmsave", ".rpmorig", "~", ".bak",
					      ".swp", NULL};
	if (name[0] == '.' || name[0] == '#')
		return false;
	for (size_t i = 0; skipped[i]; i++)
		if (str_ends_with(name, skipped[i]))
			return false;
	return str_ends_with(name, ".yaml") || str_ends_with(name, ".yml");
}

static int list_conf_files(const char *dir, struct strlist *out, struct gerr *err)
{
	DIR *d = opendir(dir);
	if (!d)
		return gerr_sys(err, "cannot read configuration directory %s", dir);
	struct dirent *e;
	int error = 0;
	while ((e = dir_next(d, &error)))
		if (wanted_file(e->d_name))
			strlist_add(out, e->d_name);
	closedir(d);
	if (error) { /* the files past it would be left out: sources missing without a word */
		errno = error;
		return gerr_sys(err, "cannot read configuration directory %s", dir);
	}
	strlist_sort(out);
	return 0;
}

/* A file that holds a secret must not be readable by others nor writable by the group
 * (group read is fine: root:goniec 0640). */
static void check_secret_file_mode(struct loader *ld, const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0 || !perm_secret_too_open(st.st_mode))
		return;
	diag_add(ld->diag, (struct conf_pos){path, 0, 0}, false,
		 "holds an inline secret but its mode %04o lets others read or change it: run `chmod 0640 %s` (or 0600), or move the secret to a *_file, *_env or *_credential",
		 (unsigned)(st.st_mode & 07777), path);
}

static void load_file(struct loader *ld, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	struct gerr err;
	strlist_add(&ld->cfg->files, path);
	const char *file = ld->cfg->files.items[ld->cfg->files.len - 1];
	struct stat st;
	if (stat(path, &st) == 0 && perm_check_config(file, &st, &err) != 0)
		diag_add(ld->diag, (struct conf_pos){file, 0, 0}, false, "%s", err.msg);
	if (read_file(path, CONFIG_FILE_MAX, &text, &len, &err) != 0) {
		diag_add(ld->diag, (struct conf_pos){file, 0, 0}, false, "%s", err.msg);
		return;
	}
	if (load_text(ld, file, text, len))
		check_secret_file_mode(ld, path);
	free(text);
}

/* Relative paths in agent: are relative to the directory that holds conf.d. */
static char *resolve_path(const char *confdir, const char *path)
{
	if (path[0] == '/')
		return xstrdup(path);
	char *base = xstrdup(confdir);
	char *slash = strrchr(base, '/');
	if (slash && slash != base)
		*slash = '\0';
	else if (slash)
		slash[1] = '\0';
	else
		strcpy(base, ".");
	char *out = path_join(base, path);
	free(base);
	return out;
}

static void set_dir(char **field, const char *forced, const char *confdir, const char *dflt)
{
	char *v;
	if (forced)
		v = xstrdup(forced);
	else if (*field)
		v = confdir ? resolve_path(confdir, *field) : xstrdup(*field);
	else
		v = xstrdup(dflt);
	free(*field);
	*field = v;
}

/* --shard K/N or --shard K (N from agent.shard.of) over agent.shard. */
static void apply_shard_option(struct loader *ld, const char *text)
{
	struct shard_conf *sh = &ld->cfg->agent.shard;
	long k, n = sh->of;
	int used = 0;
	bool ok = sscanf(text, "%ld%n/%ld%n", &k, &used, &n, &used) >= 1 &&
		  text[used] == '\0' && k >= 0 && n >= 1 && n <= SHARDS_MAX;
	if (ok && n == 1 && !strchr(text, '/'))
		diag_add(ld->diag, (struct conf_pos){"--shard", 0, 0}, false,
			 "'%s' gives the shard but not how many there are: give --shard K/N, or agent.shard.of in conf.d",
			 text);
	else if (!ok || k >= n)
		diag_add(ld->diag, (struct conf_pos){"--shard", 0, 0}, false,
			 "'%s' is not a shard: give K/N, K from 0 to N-1 (N at most %d)", text, SHARDS_MAX);
	else
		*sh = (struct shard_conf){.index = k, .of = n, .index_set = true};
}

/* Each shard has a subfolder of the spool and state directories given in conf.d. */
static void shard_dir(char **dir, const struct shard_conf *sh, const char *forced)
{
	if (forced || sh->of <= 1 || !sh->index_set)
		return;
	char *sub = xasprintf("%s/shard-%ld", *dir, sh->index);
	free(*dir);
	*dir = sub;
}

static void finish(struct loader *ld, const char *confdir, const struct config_overrides *ov)
{
	static const struct config_overrides none = {0};
	struct config *cfg = ld->cfg;
	if (!ov)
		ov = &none;
	if (ov->shard)
		apply_shard_option(ld, ov->shard);
	set_dir(&cfg->agent.spool_dir, ov->spool_dir, confdir,
		ov->default_spool_dir ? ov->default_spool_dir : GONIEC_LOCALSTATEDIR "/spool/goniec");
	set_dir(&cfg->agent.state_dir, ov->state_dir, confdir,
		ov->default_state_dir ? ov->default_state_dir : GONIEC_LOCALSTATEDIR "/lib/goniec");
	shard_dir(&cfg->agent.spool_dir, &cfg->agent.shard, ov->spool_dir);
	shard_dir(&cfg->agent.state_dir, &cfg->agent.shard, ov->state_dir);
	for (size_t i = 0; i < cfg->nsources; i++) {
		struct source_conf *s = cfg->sources[i];
		if (!s->timeout)
			s->timeout = cfg->agent.worker_timeout;
		if (!s->max_document_size)
			s->max_document_size = cfg->agent.max_document_size;
		if (!s->schedule.jitter_set)
			s->schedule.jitter = cfg->agent.jitter;
	}
}

static struct config *config_new(void)
{
	struct config *cfg = xcalloc(1, sizeof *cfg);
	cf_defaults(agent_fields, &cfg->agent);
	return cfg;
}

static struct config *done(struct loader *ld)
{
	strset_free(&ld->route_names);
	strset_free(&ld->company_ids);
	if (ld->diag->errors == 0)
		return ld->cfg;
	config_free(ld->cfg);
	return NULL;
}

struct config *config_load(const char *confdir, const struct config_overrides *ov,
			   struct diag *diag)
{
	struct config *cfg = config_new();
	struct loader ld = {.cfg = cfg, .diag = diag};
	struct strlist names = {0};
	struct gerr err;
	cfg->confdir = xstrdup(confdir);
	if (perm_check_config_dir(confdir, &err) != 0 || list_conf_files(confdir, &names, &err) != 0)
		diag_add(diag, (struct conf_pos){0}, false, "%s", err.msg);
	for (size_t i = 0; i < names.len; i++) {
		char *path = path_join(confdir, names.items[i]);
		load_file(&ld, path);
		free(path);
	}
	strlist_free(&names);
	finish(&ld, confdir, ov);
	return done(&ld);
}

struct config *config_load_string(const char *name, const char *text, size_t len,
				  struct diag *diag)
{
	struct config *cfg = config_new();
	struct loader ld = {.cfg = cfg, .diag = diag};
	strlist_add(&cfg->files, name);
	load_text(&ld, cfg->files.items[0], text, len);
	finish(&ld, NULL, NULL);
	return done(&ld);
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->nsources; i++)
		source_free(cfg->sources[i]);
	for (size_t i = 0; i < cfg->nroutes; i++)
		route_free(cfg->routes[i]);
	for (size_t i = 0; i < cfg->ncompanies; i++) {
		cf_free(company_fields, cfg->companies[i]);
		free(cfg->companies[i]);
	}
	free(cfg->sources);
	free(cfg->routes);
	free(cfg->companies);
	cf_free(agent_fields, &cfg->agent);
	strlist_free(&cfg->files);
	strset_free(&cfg->source_index);
	free(cfg->confdir);
	free(cfg);
}
