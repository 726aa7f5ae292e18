/* invrules — see invrules.h. */
#include "formats/invrules.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/money.h"
#include "core/regexcost.h"
#include "core/yamlload.h"

#define RULES_FILE_MAX (1 << 20)
#define BLOCK_LINES 12
#define LABEL_MAX 1024

/* ---- the rule set ---------------------------------------------------------------------- */

/* What a rule reads: the fields of inv_tfield, and two that fan out (nip: the seller's
 * or buyer's by the party blocks; totals: net, VAT and gross of one row). */
enum rule_field {
	RF_NUMBER, RF_ISSUE_DATE, RF_SALE_DATE, RF_DUE_DATE, RF_NIP, RF_SELLER_NIP, RF_BUYER_NIP,
	RF_NET, RF_VAT, RF_GROSS, RF_TOTALS, RF_CURRENCY, RF_ACCOUNT, RF_SPLIT_PAYMENT,
	RF_KSEF_NUMBER, RF_VERIFY_URL, RF_KIND,
};
static const char *const rule_field_names[] = {
	"number", "issue_date", "sale_date", "due_date", "nip", "seller.nip", "buyer.nip", "net",
	"vat", "gross", "totals", "currency", "account", "split_payment", "ksef_number",
	"verify_url", "kind", NULL,
};
static const enum inv_tfield plain_field[] = {
	[RF_NUMBER] = TF_NUMBER, [RF_ISSUE_DATE] = TF_ISSUE_DATE, [RF_SALE_DATE] = TF_SALE_DATE,
	[RF_DUE_DATE] = TF_DUE_DATE, [RF_SELLER_NIP] = TF_SELLER_NIP, [RF_BUYER_NIP] = TF_BUYER_NIP,
	[RF_NET] = TF_NET, [RF_VAT] = TF_VAT, [RF_GROSS] = TF_GROSS, [RF_CURRENCY] = TF_CURRENCY,
	[RF_ACCOUNT] = TF_ACCOUNT, [RF_SPLIT_PAYMENT] = TF_SPLIT_PAYMENT,
	[RF_KSEF_NUMBER] = TF_KSEF_NUMBER, [RF_VERIFY_URL] = TF_VERIFY_URL, [RF_KIND] = TF_KIND,
};

enum take { TAKE_RIGHT, TAKE_BELOW, TAKE_RIGHT_OR_BELOW, TAKE_ANYWHERE, TAKE_QR };
static const char *const take_names[] = {"right", "below", "right-or-below", "anywhere", "qr",
					 NULL};

/* The payer ("Płatnik") stands for the buyer only on an invoice that names no buyer. */
enum role { ROLE_SELLER, ROLE_BUYER, ROLE_OTHER, ROLE_PAYER, ROLE_NONE };
static const char *const role_names[] = {"seller", "buyer", "other", "payer", NULL};

enum within { IN_ANY, IN_PARTY, IN_SELLER, IN_BUYER, IN_NONE };
static const char *const within_names[] = {"any", "party", "seller", "buyer", "none", NULL};

enum assign { ASSIGN_BLOCKS, ASSIGN_POSITION };
static const char *const assign_names[] = {"blocks", "position", NULL};

struct rule_conf {
	char *name, *label, *set, *when;
	int field, take, in, assign;
	long lines;
	bool bare, single;
};

static const struct cf_field rule_fields[] = {
	{"name", CF_STRING, offsetof(struct rule_conf, name), CF_REQUIRED, NULL, 0, 0, NULL,
	 NULL, NULL, NULL, "the rule's name, shown with what it found"},
	{"field", CF_ENUM, offsetof(struct rule_conf, field), CF_REQUIRED, NULL, 0, 0,
	 rule_field_names, NULL, NULL, NULL, "the field it reads"},
	{"label", CF_STRING, offsetof(struct rule_conf, label), 0, NULL, 0, 0, NULL, NULL, NULL,
	 NULL, "regex (POSIX extended) on folded text that comes before the value"},
	{"take", CF_ENUM, offsetof(struct rule_conf, take), 0, "right", 0, 0, take_names, NULL,
	 NULL, NULL, "where the value is: right, below, right-or-below, anywhere, qr"},
	{"lines", CF_INT, offsetof(struct rule_conf, lines), 0, "2", 1, 10, NULL, NULL, NULL,
	 NULL, "how many non-blank lines below to look at"},
	{"bare", CF_BOOL, offsetof(struct rule_conf, bare), 0, "false", 0, 0, NULL, NULL, NULL,
	 NULL, "the value is a whole segment on its own"},
	{"in", CF_ENUM, offsetof(struct rule_conf, in), 0, "any", 0, 0, within_names, NULL, NULL,
	 NULL, "only inside party blocks (party, seller, buyer) or outside them (none)"},
	{"assign", CF_ENUM, offsetof(struct rule_conf, assign), 0, "blocks", 0, 0, assign_names,
	 NULL, NULL, NULL, "whose NIP: by party blocks, or by position (seller first)"},
	{"single", CF_BOOL, offsetof(struct rule_conf, single), 0, "false", 0, 0, NULL, NULL,
	 NULL, NULL, "totals: the row below is the only row of amounts"},
	{"set", CF_STRING, offsetof(struct rule_conf, set), 0, NULL, 0, 0, NULL, NULL, NULL, NULL,
	 "the value to give the field when the label is found"},
	{"when", CF_STRING, offsetof(struct rule_conf, when), 0, NULL, 0, 0, NULL, NULL, NULL,
	 NULL, "regex the document must hold somewhere for the rule to apply"},
	CF_END,
};

struct party_conf {
	int role, beside, above;
	char *label;
};

static const struct cf_field party_fields[] = {
	{"role", CF_ENUM, offsetof(struct party_conf, role), CF_REQUIRED, NULL, 0, 0, role_names,
	 NULL, NULL, NULL, "seller, buyer or other"},
	{"label", CF_STRING, offsetof(struct party_conf, label), 0, NULL, 0, 0, NULL, NULL, NULL,
	 NULL, "regex that opens the party's block"},
	{"beside", CF_ENUM, offsetof(struct party_conf, beside), 0, NULL, 0, 0, role_names, NULL,
	 NULL, NULL, "no label: the columns beside this party's block"},
	{"above", CF_ENUM, offsetof(struct party_conf, above), 0, NULL, 0, 0, role_names, NULL,
	 NULL, NULL, "no label: the top of the page above this party's block"},
	CF_END,
};

struct rule {
	struct rule_conf c;
	regex_t label_re, when_re;
	bool has_label, has_when;
};

struct party {
	struct party_conf c;
	regex_t re;
	bool has_re, has_beside, has_above;
};

struct inv_rules {
	struct rule *rules;
	size_t nrules;
	struct party *parties;
	size_t nparties;
	struct strlist disabled;
	struct strlist files;     /* names of the files read, for messages */
};

const char *inv_tfield_name(enum inv_tfield f)
{
	static const char *const names[] = {
		"number", "issue_date", "sale_date", "due_date", "seller.nip", "buyer.nip", "net",
		"vat", "gross", "currency", "seller.account", "split_payment", "ksef_number",
		"verify_url", "kind",
	};
	return (size_t)f < ARRAY_LEN(names) ? names[f] : "?";
}

size_t inv_rules_count(const struct inv_rules *rs) { return rs->nrules; }

void inv_rules_free(struct inv_rules *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->nrules; i++) {
		struct rule *r = &rs->rules[i];
		if (r->has_label)
			regfree(&r->label_re);
		if (r->has_when)
			regfree(&r->when_re);
		cf_free(rule_fields, &r->c);
	}
	for (size_t i = 0; i < rs->nparties; i++) {
		if (rs->parties[i].has_re)
			regfree(&rs->parties[i].re);
		cf_free(party_fields, &rs->parties[i].c);
	}
	free(rs->rules);
	free(rs->parties);
	strlist_free(&rs->disabled);
	strlist_free(&rs->files);
	free(rs);
}

/* Compile a label: folded like the text it runs on, extended syntax. */
static int compile_label(struct cf_ctx *ctx, yaml_node_t *node, const char *label, regex_t *re)
{
	if (strlen(label) > LABEL_MAX)
		return cf_error(ctx, node, "regex longer than %d characters", LABEL_MAX);
	char *folded = inv_fold(label, NULL);
	if (regex_expanded_size(folded) > REGEX_EXPANDED_MAX) {
		free(folded);
		return cf_error(ctx, node, "bad regex '%s': repetition of a repetition", label);
	}
	int rc = regcomp(re, folded, REG_EXTENDED);
	free(folded);
	if (rc != 0) {
		char msg[128];
		regerror(rc, re, msg, sizeof msg);
		return cf_error(ctx, node, "bad regex '%s': %s", label, msg);
	}
	return 0;
}

static bool rule_named(const struct inv_rules *rs, const char *name)
{
	for (size_t i = 0; i < rs->nrules; i++)
		if (strcmp(rs->rules[i].c.name, name) == 0)
			return true;
	return false;
}

static bool needs_label(int field)
{
	return field != RF_NIP && field != RF_ACCOUNT && field != RF_KSEF_NUMBER &&
	       field != RF_VERIFY_URL && field != RF_SELLER_NIP && field != RF_BUYER_NIP;
}

static void add_rule(struct cf_ctx *ctx, struct inv_rules *rs, yaml_node_t *node)
{
	struct rule r = {0};
	cf_defaults(rule_fields, &r.c);
	if (cf_map(ctx, node, rule_fields, NULL, &r.c) != 0) {
		cf_free(rule_fields, &r.c);
		return;
	}
	int bad = 0;
	if (r.c.label)
		bad |= compile_label(ctx, cf_get(ctx, node, "label"), r.c.label, &r.label_re) != 0;
	r.has_label = r.c.label && !bad;
	if (r.c.when) {
		int w = compile_label(ctx, cf_get(ctx, node, "when"), r.c.when, &r.when_re);
		r.has_when = w == 0;
		bad |= w != 0;
	}
	if (!bad && r.c.take == TAKE_QR && (r.c.label || (r.c.field != RF_VERIFY_URL &&
							 r.c.field != RF_KSEF_NUMBER)))
		bad = cf_error(ctx, node, "take: qr reads a verify_url or ksef_number that is a QR "
				      "code's whole text (no label)") != 0;
	if (!bad && !r.c.label && r.c.take != TAKE_QR &&
	    (r.c.take != TAKE_ANYWHERE || needs_label(r.c.field)))
		bad = cf_error(ctx, node, "rule '%s' needs a label (or take: anywhere for a value "
				      "that shows what it is)", r.c.name) != 0;
	if (!bad && r.c.set && r.c.field != RF_KIND && r.c.field != RF_SPLIT_PAYMENT &&
	    r.c.field != RF_CURRENCY)
		bad = cf_error(ctx, node, "set: goes with kind, split_payment or currency") != 0;
	if (!bad && (r.c.field == RF_KIND || r.c.field == RF_SPLIT_PAYMENT) && !r.c.set)
		bad = cf_error(ctx, node, "a %s rule needs set:", rule_field_names[r.c.field]) != 0;
	if (bad || rule_named(rs, r.c.name)) { /* the first of a name wins: the user's */
		if (r.has_label)
			regfree(&r.label_re);
		if (r.has_when)
			regfree(&r.when_re);
		cf_free(rule_fields, &r.c);
		return;
	}
	rs->rules = xrealloc(rs->rules, (rs->nrules + 1) * sizeof *rs->rules);
	rs->rules[rs->nrules++] = r;
}

static void add_party(struct cf_ctx *ctx, struct inv_rules *rs, yaml_node_t *node)
{
	struct party p = {0};
	p.c.beside = -1;
	if (cf_map(ctx, node, party_fields, NULL, &p.c) != 0) {
		cf_free(party_fields, &p.c);
		return;
	}
	p.has_beside = cf_get(ctx, node, "beside") != NULL;
	p.has_above = cf_get(ctx, node, "above") != NULL;
	int bad = 0;
	if ((p.c.label != NULL) + p.has_beside + p.has_above != 1)
		bad = cf_error(ctx, node, "a party has one of label:, beside: or above:");
	else if (p.c.label)
		bad = compile_label(ctx, cf_get(ctx, node, "label"), p.c.label, &p.re);
	p.has_re = p.c.label && !bad;
	if (bad) {
		cf_free(party_fields, &p.c);
		return;
	}
	rs->parties = xrealloc(rs->parties, (rs->nparties + 1) * sizeof *rs->parties);
	rs->parties[rs->nparties++] = p;
}

static void each_item(struct cf_ctx *ctx, yaml_node_t *seq, struct inv_rules *rs,
		      void (*add)(struct cf_ctx *, struct inv_rules *, yaml_node_t *))
{
	if (seq->type != YAML_SEQUENCE_NODE) {
		cf_error(ctx, seq, "expected a list");
		return;
	}
	for (yaml_node_item_t *it = seq->data.sequence.items.start;
	     it < seq->data.sequence.items.top; it++)
		add(ctx, rs, yaml_document_get_node(ctx->doc, *it));
}

static void add_disabled(struct cf_ctx *ctx, yaml_node_t *seq, struct inv_rules *rs)
{
	if (seq->type != YAML_SEQUENCE_NODE) {
		cf_error(ctx, seq, "expected a list of rule names");
		return;
	}
	for (yaml_node_item_t *it = seq->data.sequence.items.start;
	     it < seq->data.sequence.items.top; it++) {
		const char *name = cf_scalar(yaml_document_get_node(ctx->doc, *it));
		if (name)
			strlist_add(&rs->disabled, name);
		else
			cf_error(ctx, yaml_document_get_node(ctx->doc, *it), "expected a rule name");
	}
}

static void parse_top(struct cf_ctx *ctx, yaml_node_t *root, struct inv_rules *rs)
{
	static const char *const keys[] = {"parties", "rules", "disable", NULL};
	if (root->type != YAML_MAPPING_NODE) {
		cf_error(ctx, root, "expected a mapping with parties:, rules:, disable:");
		return;
	}
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(ctx->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(ctx->doc, p->value);
		const char *key = cf_scalar(k);
		if (key && strcmp(key, "parties") == 0) {
			each_item(ctx, v, rs, add_party);
		} else if (key && strcmp(key, "rules") == 0) {
			each_item(ctx, v, rs, add_rule);
		} else if (key && strcmp(key, "disable") == 0) {
			add_disabled(ctx, v, rs);
		} else {
			const char *hint = key ? cf_suggest(key, keys) : NULL;
			cf_error(ctx, k, "unknown key '%s'%s%s%s", key ? key : "?",
				 hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
		}
	}
}

static void load_text(struct inv_rules *rs, const char *name, const char *text, size_t len,
		      struct diag *diag)
{
	strlist_add(&rs->files, name);
	const char *file = rs->files.items[rs->files.len - 1];
	yaml_parser_t parser;
	yaml_document_t doc;
	struct yaml_load_error yerr;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	int loaded = yaml_load_next(&parser, &doc, &yerr);
	yaml_parser_delete(&parser);
	if (loaded < 0)
		diag_add(diag, (struct conf_pos){file, yerr.line, yerr.col}, false, "%s", yerr.msg);
	if (loaded <= 0)
		return;
	struct cf_ctx ctx = {.doc = &doc, .file = file, .diag = diag};
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (root)
		parse_top(&ctx, root, rs);
	yaml_document_delete(&doc);
}

/* Rules named in a disable: list go (only those that came from later files: a user may
 * disable shipped rules). */
static void drop_disabled(struct inv_rules *rs)
{
	size_t keep = 0;
	for (size_t i = 0; i < rs->nrules; i++) {
		struct rule *r = &rs->rules[i];
		if (strlist_contains(&rs->disabled, r->c.name)) {
			if (r->has_label)
				regfree(&r->label_re);
			if (r->has_when)
				regfree(&r->when_re);
			cf_free(rule_fields, &r->c);
		} else {
			rs->rules[keep++] = *r;
		}
	}
	rs->nrules = keep;
}

struct inv_rules *inv_rules_load_string(const char *name, const char *text, size_t len,
					struct diag *diag)
{
	struct inv_rules *rs = xcalloc(1, sizeof *rs);
	size_t before = diag->errors;
	load_text(rs, name, text, len, diag);
	drop_disabled(rs);
	if (diag->errors > before) {
		inv_rules_free(rs);
		return NULL;
	}
	return rs;
}

/* The .yaml files of a folder, sorted by name. A folder that cannot be read to its end is
 * an error: the rules of the files past the error would be missing, and invoices read
 * without them. */
static void list_yaml(const char *dir, struct strlist *out, struct diag *diag)
{
	struct gerr err;
	if (yaml_files_of(dir, out, &err) < 0)
		diag_add(diag, (struct conf_pos){0}, false, "%s", err.msg);
}

static bool same_dir(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static void load_file(struct inv_rules *rs, const char *path, struct diag *diag)
{
	char *text;
	size_t len;
	struct gerr err;
	if (read_file(path, RULES_FILE_MAX, &text, &len, &err) != 0) {
		strlist_add(&rs->files, path);
		diag_add(diag, (struct conf_pos){rs->files.items[rs->files.len - 1], 0, 0}, false,
			 "%s", err.msg);
		return;
	}
	load_text(rs, path, text, len, diag);
	free(text);
}

void inv_rules_folders(const char *confdir, char *out[2])
{
	const char *env = getenv("GONIEC_INVOICE_RULES_DIR");
	out[0] = xasprintf("%s/invoices", confdir);
	out[1] = env ? xstrdup(env) : xasprintf("%s/goniec/invoices", GONIEC_DATADIR);
}

struct inv_rules *inv_rules_load(const char *confdir, struct diag *diag)
{
	char *folders[2];
	inv_rules_folders(confdir, folders);
	char *user = folders[0], *shipped = folders[1];
	struct inv_rules *rs = xcalloc(1, sizeof *rs);
	size_t before = diag->errors;
	struct strlist unames = {0}, snames = {0};
	list_yaml(user, &unames, diag);
	if (!same_dir(user, shipped))
		list_yaml(shipped, &snames, diag);
	for (size_t i = 0; i < unames.len; i++) {
		char *p = path_join(user, unames.items[i]);
		load_file(rs, p, diag);
		free(p);
	}
	for (size_t i = 0; i < snames.len; i++) {
		if (strlist_contains(&unames, snames.items[i]))
			continue; /* the user's file of that name replaces it */
		char *p = path_join(shipped, snames.items[i]);
		load_file(rs, p, diag);
		free(p);
	}
	strlist_free(&unames);
	strlist_free(&snames);
	free(user);
	free(shipped);
	drop_disabled(rs);
	if (diag->errors > before) {
		inv_rules_free(rs);
		return NULL;
	}
	return rs;
}

/* ---- the text as lines and segments ------------------------------------------------------ */

struct seg {
	int col, end;       /* in characters */
	char *text, *fold;
	size_t *map;        /* fold offset -> text offset */
};

struct tline {
	int page, no;       /* 1-based */
	struct seg *segs;
	size_t n;
	char *fold;         /* the whole line folded, for when: */
};

struct layout {
	struct tline *lines;
	size_t n;
};

static int utf8_len(const char *s, size_t n)
{
	int c = 0;
	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

static void add_seg(struct tline *l, const char *line, size_t from, size_t to)
{
	l->segs = xrealloc(l->segs, (l->n + 1) * sizeof *l->segs);
	struct seg *s = &l->segs[l->n++];
	s->text = xstrndup(line + from, to - from);
	s->fold = inv_fold(s->text, &s->map);
	s->col = utf8_len(line, from);
	s->end = s->col + utf8_len(s->text, to - from);
}

/* Cut one printed line into segments at runs of two or more spaces. */
static void split_line(struct tline *l, const char *line, size_t len)
{
	size_t i = 0;
	while (i < len) {
		while (i < len && line[i] == ' ')
			i++;
		if (i >= len)
			break;
		size_t start = i, last = i;
		while (i < len && !(line[i] == ' ' && (i + 1 >= len || line[i + 1] == ' '))) {
			if (line[i] != ' ')
				last = i;
			i++;
		}
		add_seg(l, line, start, last + 1);
	}
	char *raw = xstrndup(line, len);
	l->fold = inv_fold(raw, NULL);
	free(raw);
}

static void layout_build(struct layout *lo, const char *text)
{
	memset(lo, 0, sizeof *lo);
	int page = 1, no = 0;
	const char *p = text;
	while (*p) {
		size_t len = strcspn(p, "\n\f");
		struct tline l = {.page = page, .no = ++no};
		split_line(&l, p, len);
		lo->lines = xrealloc(lo->lines, (lo->n + 1) * sizeof *lo->lines);
		lo->lines[lo->n++] = l;
		p += len;
		if (*p == '\f') {
			page++;
			no = 0;
		}
		if (*p)
			p++;
	}
}

static void layout_free(struct layout *lo)
{
	for (size_t i = 0; i < lo->n; i++) {
		for (size_t j = 0; j < lo->lines[i].n; j++) {
			free(lo->lines[i].segs[j].text);
			free(lo->lines[i].segs[j].fold);
			free(lo->lines[i].segs[j].map);
		}
		free(lo->lines[i].segs);
		free(lo->lines[i].fold);
	}
	free(lo->lines);
}

/* ---- party blocks ------------------------------------------------------------------------- */

struct block {
	int role;
	size_t first, last;  /* line indexes, inclusive */
	int col0, col1;      /* columns [col0, col1) */
	bool derived;        /* placed beside or above another party's (no label of its own) */
};

struct blocks {
	struct block *b;
	size_t n;
};

static void block_add(struct blocks *bs, struct block b)
{
	bs->b = xrealloc(bs->b, (bs->n + 1) * sizeof *bs->b);
	bs->b[bs->n++] = b;
}

static int party_at(const struct inv_rules *rs, const struct seg *s)
{
	for (size_t i = 0; i < rs->nparties; i++)
		if (rs->parties[i].has_re && regexec(&rs->parties[i].re, s->fold, 0, NULL, 0) == 0)
			return rs->parties[i].c.role;
	return -1;
}

static bool overlaps(int a0, int a1, int b0, int b1) { return a0 < b1 && b0 < a1; }

/* Where a block opened at line i ends: before the next party label that shares its
 * columns, before a row of three or more columns within them (a table), or after
 * BLOCK_LINES lines. */
static size_t block_end(const struct inv_rules *rs, const struct layout *lo, size_t i,
			int col0, int col1)
{
	size_t last = i;
	for (size_t k = i + 1; k < lo->n && k <= i + BLOCK_LINES; k++) {
		if (lo->lines[k].page != lo->lines[i].page)
			break;
		int within = 0;
		for (size_t j = 0; j < lo->lines[k].n; j++) {
			const struct seg *s = &lo->lines[k].segs[j];
			if (!overlaps(s->col, s->end, col0, col1))
				continue;
			if (party_at(rs, s) >= 0 || ++within >= 3)
				return last;
		}
		last = k;
	}
	return last;
}

static void find_blocks(const struct inv_rules *rs, const struct layout *lo, struct blocks *bs)
{
	for (size_t i = 0; i < lo->n; i++) {
		const struct tline *l = &lo->lines[i];
		for (size_t j = 0; j < l->n; j++) {
			int role = party_at(rs, &l->segs[j]);
			if (role < 0)
				continue;
			int col1 = 1 << 20;
			for (size_t k = j + 1; k < l->n && col1 == 1 << 20; k++)
				if (party_at(rs, &l->segs[k]) >= 0)
					col1 = l->segs[k].col;
			int col0 = l->segs[j].col - 4 > 0 ? l->segs[j].col - 4 : 0;
			if (j > 0 && col0 < l->segs[j - 1].end)
				col0 = l->segs[j - 1].end;
			block_add(bs, (struct block){role, i, block_end(rs, lo, i, col0, col1), col0,
						     col1, false});
		}
	}
	/* a party no label opened: the columns beside another party's block, on its lines,
	 * or the top of the page above it */
	for (size_t p = 0; p < rs->nparties; p++) {
		const struct party *pt = &rs->parties[p];
		if (!pt->has_beside && !pt->has_above)
			continue;
		bool have = false;
		for (size_t k = 0; k < bs->n; k++)
			have |= bs->b[k].role == pt->c.role;
		int other = pt->has_beside ? pt->c.beside : pt->c.above;
		size_t n = bs->n;
		for (size_t k = 0; k < n && !have; k++) {
			struct block o = bs->b[k];
			if (o.role != other)
				continue;
			size_t top = o.first;
			while (top > 0 && lo->lines[top - 1].page == lo->lines[o.first].page)
				top--;
			struct block b;
			if (pt->has_above)
				b = (struct block){pt->c.role, top, o.first ? o.first - 1 : 0, 0, 1 << 20, true};
			else if (o.col0 > 0)
				b = (struct block){pt->c.role, o.first >= 2 ? o.first - 2 : 0, o.last, 0, o.col0, true};
			else
				b = (struct block){pt->c.role, o.first >= 2 ? o.first - 2 : 0, o.last, o.col1, 1 << 20,
						   true};
			if (!pt->has_above || o.first > top)
				block_add(bs, b);
			have = true; /* one derived block: the first such party's */
		}
	}
}

/* The role of the party whose block holds (line, col): the block opened nearest above;
 * of two opened on one line, a labelled one before one placed beside or above another
 * (a recipient's column beside the seller's is the recipient's, not the buyer's). */
static int role_at(const struct blocks *bs, size_t line, int col)
{
	const struct block *best = NULL;
	for (size_t k = 0; k < bs->n; k++) {
		const struct block *b = &bs->b[k];
		if (line < b->first || line > b->last || col < b->col0 || col >= b->col1)
			continue;
		if (!best || b->first > best->first ||
		    (b->first == best->first && (best->derived || !b->derived)))
			best = b;
	}
	return best ? best->role : ROLE_NONE;
}

/* ---- reading values ------------------------------------------------------------------------ */

enum vkind { V_NUMBER, V_DATE, V_NIP, V_AMOUNT, V_CURRENCY, V_ACCOUNT, V_KSEF, V_URL, V_SET };

static enum vkind value_kind(int field)
{
	switch (field) {
	case RF_NUMBER: return V_NUMBER;
	case RF_ISSUE_DATE: case RF_SALE_DATE: case RF_DUE_DATE: return V_DATE;
	case RF_NIP: case RF_SELLER_NIP: case RF_BUYER_NIP: return V_NIP;
	case RF_NET: case RF_VAT: case RF_GROSS: case RF_TOTALS: return V_AMOUNT;
	case RF_CURRENCY: return V_CURRENCY;
	case RF_ACCOUNT: return V_ACCOUNT;
	case RF_KSEF_NUMBER: return V_KSEF;
	case RF_VERIFY_URL: return V_URL;
	default: return V_SET;
	}
}

/* Values that are searched for in the text after a label (a date may come after words);
 * the others must come first. */
static bool scanned(enum vkind k) { return k == V_DATE || k == V_AMOUNT || k == V_URL; }

struct value {
	char text[INV_URL_MAX + 1];
	int64_t amount;
	char currency[4];
	size_t len;
};

static size_t read_value(enum vkind k, const char *s, struct value *v)
{
	memset(v, 0, sizeof *v);
	switch (k) {
	case V_NUMBER: v->len = inv_read_number(s, v->text); break;
	case V_DATE: v->len = inv_read_date(s, v->text); break;
	case V_NIP: v->len = inv_read_nip(s, v->text); break;
	case V_AMOUNT:
		v->len = inv_read_amount(s, &v->amount, v->currency);
		if (v->len) {
			char t[MONEY_TEXT_MAX];
			money_format(v->amount, 2, t);
			snprintf(v->text, sizeof v->text, "%s", t);
		}
		break;
	case V_CURRENCY: v->len = inv_read_currency(s, v->text); break;
	case V_ACCOUNT: v->len = inv_read_account(s, v->text); break;
	case V_KSEF: v->len = inv_read_ksef(s, v->text); break;
	case V_URL: v->len = inv_read_url(s, v->text); break;
	case V_SET: break;
	}
	return v->len;
}

static bool token_start(const char *base, const char *p)
{
	return p == base || p[-1] == ' ' || p[-1] == ':' || p[-1] == '(' || p[-1] == '/';
}

/* A value that may go on on the next line: a number or link broken after '/' or '-'. */
static bool may_continue(enum vkind k, const char *text, size_t len)
{
	if (k != V_NUMBER && k != V_KSEF && k != V_URL)
		return false;
	return len && (text[len - 1] == '/' || text[len - 1] == '-');
}

/* The segment under (line i, from col) on the next non-blank line, for a broken value. */
static const struct seg *continuation(const struct layout *lo, size_t i, int col, int end)
{
	for (size_t k = i + 1; k < lo->n && k <= i + 2; k++) {
		const struct tline *l = &lo->lines[k];
		if (l->page != lo->lines[i].page)
			return NULL;
		for (size_t j = 0; j < l->n; j++)
			if (overlaps(l->segs[j].col, l->segs[j].end, col - 2, end + 2) &&
			    !strchr(l->segs[j].text, ' '))
				return &l->segs[j];
		if (l->n)
			return NULL;
	}
	return NULL;
}

/* Is s one token ending in '/' or '-' (the first part of a value broken across lines)? */
static bool broken_token(const char *s)
{
	size_t n = strlen(s);
	return n && (s[n - 1] == '/' || s[n - 1] == '-') && !strchr(s, ' ');
}

/* Read a value at s (the rest of segment seg of line i, starting at byte `off`); joins a
 * value broken across lines. *broken tells that the text there is the first part of a
 * value that could not be completed (nothing else may stand in for it). */
static size_t read_at(const struct layout *lo, size_t i, const struct seg *seg, size_t off,
		      enum vkind k, struct value *v, bool *broken)
{
	const char *s = seg->text + off;
	size_t n = read_value(k, s, v);
	size_t rest = strlen(s);
	bool joinable = k == V_NUMBER || k == V_KSEF || k == V_URL;
	*broken = joinable && (n ? n == rest && may_continue(k, v->text, strlen(v->text))
				 : broken_token(s));
	if (!*broken)
		return n;
	int col = seg->col + utf8_len(seg->text, off);
	const struct seg *next = continuation(lo, i, col, seg->end);
	if (!next)
		return n;
	char *joined = xasprintf("%s%s", s, next->text);
	struct value jv;
	size_t jn = read_value(k, joined, &jv);
	if (jn > rest) {
		*v = jv;
		n = jn;
		*broken = false;
	}
	free(joined);
	return n;
}

/* Look for a value in seg from byte off: at its first token, or (scanned kinds) at any
 * token start. *broken: see read_at(). */
static bool find_in_seg(const struct layout *lo, size_t i, const struct seg *seg, size_t off,
			enum vkind k, bool bare, bool scan, struct value *v, bool *broken)
{
	const char *base = seg->text;
	*broken = false;
	if (bare) {
		size_t n = read_at(lo, i, seg, 0, k, v, broken);
		return n && n == strlen(base);
	}
	while (base[off] == ' ' || base[off] == ':' || base[off] == '.' || base[off] == '#')
		off++;
	if (!scan && !scanned(k))
		return read_at(lo, i, seg, off, k, v, broken) > 0;
	for (const char *p = base + off; *p; p++)
		if (token_start(base, p) && read_at(lo, i, seg, (size_t)(p - base), k, v, broken))
			return true;
	return false;
}

/* ---- applying rules ----------------------------------------------------------------------- */

struct found {
	struct value v;
	size_t line;
	int col;
};

struct ctx {
	const struct inv_rules *rs;
	const struct layout *lo;
	struct blocks blocks;
	struct inv_reading *out;
	bool ambiguous[TF_COUNT];
	const struct pdftext_code *codes;
	size_t ncodes;
};

static bool rule_applies(const struct ctx *c, const struct rule *r)
{
	if (!r->has_when)
		return true;
	for (size_t i = 0; i < c->lo->n; i++)
		if (regexec(&r->when_re, c->lo->lines[i].fold, 0, NULL, 0) == 0)
			return true;
	return false;
}

static bool place_ok(const struct ctx *c, const struct rule *r, size_t line, int col)
{
	int role = role_at(&c->blocks, line, col);
	switch (r->c.in) {
	case IN_PARTY: return role == ROLE_SELLER || role == ROLE_BUYER || role == ROLE_PAYER;
	case IN_SELLER: return role == ROLE_SELLER;
	case IN_BUYER: return role == ROLE_BUYER;
	case IN_NONE: return role == ROLE_NONE;
	default: return true;
	}
}

/* The zone a label's value may sit in below it: from the end of the segment before the
 * label to the start of the one after it, on the label's line. */
static void label_zone(const struct tline *l, size_t j, int *z0, int *z1)
{
	*z0 = j > 0 ? l->segs[j - 1].end : 0;
	*z1 = j + 1 < l->n ? l->segs[j + 1].col : 1 << 20;
}

static bool blank(const struct tline *l) { return l->n == 0; }

/* The value below the label (segment j of line i) in its zone, within r->lines lines. */
static bool find_below(const struct ctx *c, const struct rule *r, size_t i, size_t j,
		       enum vkind k, struct found *f)
{
	const struct layout *lo = c->lo;
	int z0, z1;
	label_zone(&lo->lines[i], j, &z0, &z1);
	long seen = 0;
	for (size_t n = i + 1; n < lo->n && seen < r->c.lines; n++) {
		const struct tline *l = &lo->lines[n];
		if (l->page != lo->lines[i].page)
			break;
		if (blank(l))
			continue;
		seen++;
		for (size_t m = 0; m < l->n; m++) {
			const struct seg *s = &l->segs[m];
			if (!overlaps(s->col, s->end, z0, z1) || !place_ok(c, r, n, s->col))
				continue;
			bool broken;
			if (find_in_seg(lo, n, s, 0, k, r->c.bare, false, &f->v, &broken)) {
				f->line = n;
				f->col = s->col;
				return true;
			}
		}
	}
	return false;
}

static bool rest_empty(const char *s)
{
	return s[strspn(s, " :.#")] == '\0';
}

/* The value right of a label that ends at byte `off` of segment j: in the rest of the
 * segment, else in the next segment. *broken: the first part of a value stands there
 * that could not be completed, so no value may be looked for elsewhere. */
static bool find_right(const struct ctx *c, const struct rule *r, size_t i, size_t j,
		       size_t off, enum vkind k, struct found *f, bool *broken)
{
	const struct tline *l = &c->lo->lines[i];
	*broken = false;
	for (size_t m = j; m < l->n && m <= j + 1 && !*broken; m++) {
		const struct seg *s = &l->segs[m];
		/* a value that must come first comes first after the label: when other words
		 * follow the label in its segment, the next column is something else */
		if (m > j && !scanned(k) && !rest_empty(l->segs[j].text + off))
			break;
		if (!place_ok(c, r, i, s->col))
			continue;
		if (find_in_seg(c->lo, i, s, m == j ? off : 0, k, false, false, &f->v, broken)) {
			f->line = i;
			f->col = s->col;
			return true;
		}
	}
	return false;
}

/* Every value a rule finds, in document order; fn returns false to stop. */
static void each_value(struct ctx *c, const struct rule *r,
		       bool (*fn)(struct ctx *c, const struct rule *r, const struct found *f,
				  void *arg),
		       void *arg)
{
	enum vkind k = value_kind(r->c.field);
	const struct layout *lo = c->lo;
	for (size_t i = 0; i < lo->n; i++) {
		const struct tline *l = &lo->lines[i];
		for (size_t j = 0; j < l->n; j++) {
			const struct seg *s = &l->segs[j];
			struct found f = {.line = i, .col = s->col};
			regmatch_t m[1];
			if (r->has_label && regexec(&r->label_re, s->fold, 1, m, 0) != 0)
				continue;
			bool broken = false;
			if (!r->has_label) {
				if (place_ok(c, r, i, s->col) &&
				    find_in_seg(lo, i, s, 0, k, r->c.bare, true, &f.v, &broken) &&
				    !fn(c, r, &f, arg))
					return;
				continue;
			}
			if (k == V_SET) {
				snprintf(f.v.text, sizeof f.v.text, "%s", r->c.set);
				if (!fn(c, r, &f, arg))
					return;
				continue;
			}
			size_t off = s->map[m[0].rm_eo];
			bool got = false;
			if (r->c.take != TAKE_BELOW)
				got = find_right(c, r, i, j, off, k, &f, &broken);
			if (!got && !broken &&
			    (r->c.take == TAKE_BELOW || r->c.take == TAKE_RIGHT_OR_BELOW))
				got = find_below(c, r, i, j, k, &f);
			if (!got && r->c.take == TAKE_ANYWHERE)
				got = find_in_seg(lo, i, s, off, k, false, true, &f.v, &broken);
			if (got && !fn(c, r, &f, arg))
				return;
		}
	}
}

static void set_hit(struct ctx *c, enum inv_tfield tf, const struct rule *r, const char *rule,
		    const struct found *f)
{
	struct inv_hit *h = &c->out->f[tf];
	h->found = true;
	snprintf(h->value, sizeof h->value, "%s", f->v.text);
	h->amount = f->v.amount;
	h->rule = rule ? rule : r->c.name;
	h->page = c->lo->lines[f->line].page;
	h->line = c->lo->lines[f->line].no;
}

struct first {
	struct found f;
	bool got;
};

static bool first_value(struct ctx *c, const struct rule *r, const struct found *f, void *arg)
{
	(void)c;
	(void)r;
	struct first *first = arg;
	first->f = *f;
	first->got = true;
	return false;
}

/* A plain field: the first value the rule finds. */
static void apply_plain(struct ctx *c, const struct rule *r)
{
	enum inv_tfield tf = plain_field[r->c.field];
	const struct inv_hit *have = &c->out->f[tf];
	/* a gross found already may still show its currency here */
	bool for_currency = tf == TF_GROSS && have->found && !c->out->f[TF_CURRENCY].found;
	if ((have->found && !for_currency) || c->ambiguous[tf])
		return;
	struct first first = {.got = false};
	each_value(c, r, first_value, &first);
	if (!first.got || (for_currency && first.f.v.amount != have->amount))
		return;
	if (!for_currency)
		set_hit(c, tf, r, NULL, &first.f);
	if (tf == TF_GROSS && first.f.v.currency[0] && !c->out->f[TF_CURRENCY].found) {
		struct found cur = first.f;
		snprintf(cur.v.text, sizeof cur.v.text, "%s", first.f.v.currency);
		set_hit(c, TF_CURRENCY, r, "gross-currency", &cur);
	}
}

/* Whether a QR code's whole text is a value of kind k; a link must be to an invoice
 * (KSeF's "…/invoice/NIP/date/hash"; an offline invoice's second code, "…/certificate/…",
 * is not the invoice's link). */
static bool qr_value(enum vkind k, const char *text, struct value *v)
{
	if (read_value(k, text, v) != strlen(text))
		return false;
	const char *path = k == V_URL ? strchr(v->text + strlen("https://"), '/') : NULL;
	return k != V_URL || (path && strstr(path, "/invoice/"));
}

/* take: qr — the first QR code whose whole text is the field's value. */
static void apply_qr(struct ctx *c, const struct rule *r)
{
	enum inv_tfield tf = plain_field[r->c.field];
	if (c->out->f[tf].found || c->ambiguous[tf])
		return;
	for (size_t i = 0; i < c->ncodes; i++) {
		struct value v;
		if (!qr_value(value_kind(r->c.field), c->codes[i].text, &v))
			continue;
		struct inv_hit *h = &c->out->f[tf];
		*h = (struct inv_hit){.found = true, .rule = r->c.name, .page = c->codes[i].page};
		snprintf(h->value, sizeof h->value, "%s", v.text);
		return;
	}
}

/* ---- NIPs and accounts: whose they are ------------------------------------------------------ */

struct party_values {
	struct found seller, buyer, payer;
	bool has_seller, has_buyer, has_payer, seller_conflict, buyer_conflict, payer_conflict;
	struct found order[2];   /* the first two distinct values outside blocks */
	size_t norder;
	bool more;
};

static void note(struct found *slot, bool *has, bool *conflict, const struct found *f)
{
	if (!*has) {
		*slot = *f;
		*has = true;
	} else if (strcmp(slot->v.text, f->v.text) != 0) {
		*conflict = true;
	}
}

static bool collect_party(struct ctx *c, const struct rule *r, const struct found *f, void *arg)
{
	struct party_values *pv = arg;
	int role = role_at(&c->blocks, f->line, f->col);
	if (r->c.field == RF_SELLER_NIP)
		role = ROLE_SELLER;
	else if (r->c.field == RF_BUYER_NIP)
		role = ROLE_BUYER;
	else if (r->c.field == RF_ACCOUNT && role == ROLE_NONE)
		role = ROLE_SELLER; /* payment details are the seller's */
	if (r->c.assign == ASSIGN_POSITION && role == ROLE_NONE) {
		bool seen = false;
		for (size_t i = 0; i < pv->norder; i++)
			seen |= strcmp(pv->order[i].v.text, f->v.text) == 0;
		if (!seen && pv->norder < 2)
			pv->order[pv->norder++] = *f;
		else if (!seen)
			pv->more = true;
	} else if (role == ROLE_SELLER) {
		note(&pv->seller, &pv->has_seller, &pv->seller_conflict, f);
	} else if (role == ROLE_BUYER) {
		note(&pv->buyer, &pv->has_buyer, &pv->buyer_conflict, f);
	} else if (role == ROLE_PAYER) {
		note(&pv->payer, &pv->has_payer, &pv->payer_conflict, f);
	}
	return true;
}

static void settle(struct ctx *c, const struct rule *r, enum inv_tfield tf, const struct found *f,
		   bool has, bool conflict)
{
	if (c->out->f[tf].found || c->ambiguous[tf] || !has)
		return;
	if (conflict)
		c->ambiguous[tf] = true; /* two different values: neither is sure */
	else
		set_hit(c, tf, r, NULL, f);
}

/* Does a label on the invoice name its buyer ("Nabywca")? Then a payer's NIP is not the
 * buyer's. */
static bool names_buyer(const struct blocks *bs)
{
	for (size_t k = 0; k < bs->n; k++)
		if (bs->b[k].role == ROLE_BUYER && !bs->b[k].derived)
			return true;
	return false;
}

static void apply_party(struct ctx *c, const struct rule *r)
{
	bool account = r->c.field == RF_ACCOUNT;
	enum inv_tfield seller = account ? TF_ACCOUNT : TF_SELLER_NIP;
	if (r->c.assign == ASSIGN_POSITION &&
	    (c->out->f[TF_SELLER_NIP].found || c->out->f[TF_BUYER_NIP].found))
		return;
	struct party_values pv = {0};
	each_value(c, r, collect_party, &pv);
	if (r->c.assign == ASSIGN_POSITION) {
		if (pv.norder == 2 && !pv.more) {
			settle(c, r, TF_SELLER_NIP, &pv.order[0], true, false);
			settle(c, r, TF_BUYER_NIP, &pv.order[1], true, false);
		}
		return;
	}
	settle(c, r, seller, &pv.seller, pv.has_seller, pv.seller_conflict);
	if (account)
		return;
	if (pv.has_buyer || names_buyer(&c->blocks))
		settle(c, r, TF_BUYER_NIP, &pv.buyer, pv.has_buyer, pv.buyer_conflict);
	else
		settle(c, r, TF_BUYER_NIP, &pv.payer, pv.has_payer, pv.payer_conflict);
}

/* ---- totals ---------------------------------------------------------------------------- */

struct amounts {
	struct found a[16];
	size_t n;
};

static void amounts_in(const struct layout *lo, size_t i, size_t from_seg, size_t off,
		       struct amounts *out)
{
	const struct tline *l = &lo->lines[i];
	for (size_t j = from_seg; j < l->n; j++) {
		const char *base = l->segs[j].text;
		for (const char *p = base + (j == from_seg ? off : 0); *p && out->n < 16; p++) {
			struct found f = {.line = i, .col = l->segs[j].col};
			if (!token_start(base, p) || !read_value(V_AMOUNT, p, &f.v))
				continue;
			out->a[out->n++] = f;
			p += f.v.len - 1;
		}
	}
}

static size_t next_nonblank(const struct layout *lo, size_t i)
{
	size_t n = i + 1;
	while (n < lo->n && blank(&lo->lines[n]) && lo->lines[n].page == lo->lines[i].page)
		n++;
	return n < lo->n && lo->lines[n].page == lo->lines[i].page ? n : lo->n;
}

/* The last three amounts of a row, when net + VAT = gross. */
static bool totals_of(const struct amounts *a, struct found out[3])
{
	if (a->n < 3)
		return false;
	for (int k = 0; k < 3; k++)
		out[k] = a->a[a->n - 3 + k];
	return out[0].v.amount + out[1].v.amount == out[2].v.amount && out[2].v.amount != 0;
}

static bool totals_row(struct ctx *c, const struct rule *r, size_t i, size_t j, size_t off,
		       struct found out[3])
{
	const struct layout *lo = c->lo;
	struct amounts a = {0};
	if (r->c.take != TAKE_BELOW) {
		amounts_in(lo, i, j, off, &a);
		if (totals_of(&a, out))
			return true;
	}
	if (r->c.take == TAKE_RIGHT)
		return false;
	size_t n = next_nonblank(lo, i);
	if (n >= lo->n)
		return false;
	a.n = 0;
	amounts_in(lo, n, 0, 0, &a);
	if (!totals_of(&a, out))
		return false;
	if (r->c.single) {
		struct amounts after = {0};
		size_t m = next_nonblank(lo, n);
		if (m < lo->n)
			amounts_in(lo, m, 0, 0, &after);
		if (after.n)
			return false;
	}
	return true;
}

static void apply_totals(struct ctx *c, const struct rule *r)
{
	struct inv_reading *o = c->out;
	if (o->f[TF_NET].found || o->f[TF_VAT].found || o->f[TF_GROSS].found)
		return;
	const struct layout *lo = c->lo;
	for (size_t i = 0; i < lo->n; i++) {
		const struct tline *l = &lo->lines[i];
		for (size_t j = 0; j < l->n; j++) {
			regmatch_t m[1];
			if (regexec(&r->label_re, l->segs[j].fold, 1, m, 0) != 0)
				continue;
			struct found t[3];
			if (!totals_row(c, r, i, j, l->segs[j].map[m[0].rm_eo], t))
				continue;
			set_hit(c, TF_NET, r, NULL, &t[0]);
			set_hit(c, TF_VAT, r, NULL, &t[1]);
			set_hit(c, TF_GROSS, r, NULL, &t[2]);
			for (int k = 2; k >= 0 && !o->f[TF_CURRENCY].found; k--)
				if (t[k].v.currency[0]) {
					struct found cur = t[k];
					snprintf(cur.v.text, sizeof cur.v.text, "%s", t[k].v.currency);
					set_hit(c, TF_CURRENCY, r, "gross-currency", &cur);
				}
			return;
		}
	}
}

/* Totals read by separate rules must add up, or none of them is sure. */
static void check_totals(struct inv_reading *o)
{
	struct inv_hit *n = &o->f[TF_NET], *v = &o->f[TF_VAT], *g = &o->f[TF_GROSS];
	if (n->found && v->found && g->found && n->amount + v->amount != g->amount)
		n->found = v->found = g->found = false;
	if (!g->found && o->f[TF_CURRENCY].found &&
	    strcmp(o->f[TF_CURRENCY].rule, "gross-currency") == 0)
		o->f[TF_CURRENCY].found = false;
}

void inv_rules_read(const struct inv_rules *rs, const char *text, struct inv_reading *out)
{
	inv_rules_read_codes(rs, text, NULL, 0, out);
}

void inv_rules_read_codes(const struct inv_rules *rs, const char *text,
			  const struct pdftext_code *codes, size_t ncodes, struct inv_reading *out)
{
	memset(out, 0, sizeof *out);
	struct layout lo;
	layout_build(&lo, text);
	struct ctx c = {.rs = rs, .lo = &lo, .out = out, .codes = codes, .ncodes = ncodes};
	find_blocks(rs, &lo, &c.blocks);
	for (size_t i = 0; i < rs->nrules; i++) {
		const struct rule *r = &rs->rules[i];
		if (!rule_applies(&c, r))
			continue;
		if (r->c.take == TAKE_QR) {
			apply_qr(&c, r);
			continue;
		}
		switch (r->c.field) {
		case RF_TOTALS: apply_totals(&c, r); break;
		case RF_NIP: case RF_ACCOUNT: apply_party(&c, r); break;
		default: apply_plain(&c, r); break;
		}
	}
	check_totals(out);
	free(c.blocks.b);
	layout_free(&lo);
}
