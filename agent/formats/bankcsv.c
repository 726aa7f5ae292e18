/* bankcsv — see bankcsv.h. */
#include "formats/bankcsv.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/money.h"
#include "formats/csvrows.h"
#include "formats/stmtenc.h"

#define SNIFF_ROWS 80
#define ENCODING_SAMPLE (1024 * 1024)
#define MAP_FILE_MAX (256 * 1024)

/* ---- the maps ------------------------------------------------------------------------- */

/* The keys of "columns:", in enum bankcsv_col order. */
#define COLUMN(i, key)                                                                   \
	{key, CF_STRING, (i) * sizeof(char *), 0, NULL, 0, 0, NULL, NULL, NULL, NULL, NULL}
static const struct cf_field column_fields[] = {
	COLUMN(BANKCSV_BOOKING_DATE, "booking_date"),
	COLUMN(BANKCSV_VALUE_DATE, "value_date"),
	COLUMN(BANKCSV_AMOUNT, "amount"),
	COLUMN(BANKCSV_DEBIT, "debit"),
	COLUMN(BANKCSV_CREDIT, "credit"),
	COLUMN(BANKCSV_HOLD, "hold"),
	COLUMN(BANKCSV_CURRENCY, "currency"),
	COLUMN(BANKCSV_BALANCE, "balance"),
	COLUMN(BANKCSV_TITLE, "title"),
	COLUMN(BANKCSV_DESCRIPTION, "description"),
	COLUMN(BANKCSV_COUNTERPARTY_NAME, "counterparty_name"),
	COLUMN(BANKCSV_COUNTERPARTY_NAME_DEBIT, "counterparty_name_debit"),
	COLUMN(BANKCSV_COUNTERPARTY_ACCOUNT, "counterparty_account"),
	COLUMN(BANKCSV_COUNTERPARTY_ACCOUNT_DEBIT, "counterparty_account_debit"),
	COLUMN(BANKCSV_ACCOUNT, "account"),
	COLUMN(BANKCSV_BANK_REF, "bank_ref"),
	COLUMN(BANKCSV_TRANSACTION_ID, "transaction_id"),
	COLUMN(BANKCSV_TYPE, "type"),
	CF_END,
};
_Static_assert(ARRAY_LEN(column_fields) == BANKCSV_COLS + 1, "one field per column");

/* What a preamble cell can be read into. */
static const char *const rule_cells[] = {
	"skip", "account", "currency", "period_from", "period_to", "opening", "closing",
	"credits_sum", "debits_sum", NULL,
};

static const struct cf_field rule_fields[] = {
	{"after", CF_STRING, offsetof(struct bankcsv_rule, after), 0, NULL, 0, 0, NULL, NULL, NULL,
	 NULL, "the first cell of the row before the values"},
	{"row", CF_INT, offsetof(struct bankcsv_rule, row), 0, NULL, 1, 1000, NULL, NULL, NULL,
	 NULL, "the row (1-based) that holds the values"},
	{"cells", CF_STRLIST, offsetof(struct bankcsv_rule, cells), CF_REQUIRED, NULL, 0, 0, NULL,
	 NULL, NULL, NULL, "what each cell of that row is"},
	CF_END,
};

static void free_rules(void *p);

static int parse_rules(struct cf_ctx *ctx, yaml_node_t *node, void *dst,
		       const struct cf_field *field)
{
	(void)field;
	struct bankcsv_map *m = (struct bankcsv_map *)((char *)dst - offsetof(struct bankcsv_map, rules));
	if (node->type != YAML_SEQUENCE_NODE)
		return cf_error(ctx, node, "preamble: expected a list of {after|row, cells}");
	int rc = 0;
	for (yaml_node_item_t *it = node->data.sequence.items.start;
	     it < node->data.sequence.items.top; it++) {
		yaml_node_t *item = yaml_document_get_node(ctx->doc, *it);
		struct bankcsv_rule r = {0};
		if (cf_map(ctx, item, rule_fields, NULL, &r) < 0) {
			cf_free(rule_fields, &r);
			rc = -1;
			continue;
		}
		if (!r.after == !r.row)
			rc = cf_error(ctx, item, "preamble: give either 'after' or 'row'");
		for (size_t i = 0; i < r.cells.len; i++) {
			bool known = false;
			for (size_t k = 0; rule_cells[k]; k++)
				known |= !strcmp(r.cells.items[i], rule_cells[k]);
			if (!known) {
				const char *hint = cf_suggest(r.cells.items[i], rule_cells);
				rc = cf_error(ctx, item, "preamble: unknown cell '%s'%s%s%s",
					      r.cells.items[i], hint ? " (did you mean '" : "",
					      hint ? hint : "", hint ? "'?)" : "");
			}
		}
		m->rules = xrealloc(m->rules, (m->nrules + 1) * sizeof(*m->rules));
		m->rules[m->nrules++] = r;
	}
	return rc;
}

static void free_rules(void *p)
{
	struct bankcsv_map *m = (struct bankcsv_map *)((char *)p - offsetof(struct bankcsv_map, rules));
	for (size_t i = 0; i < m->nrules; i++)
		cf_free(rule_fields, &m->rules[i]);
	free(m->rules);
	m->rules = NULL;
	m->nrules = 0;
}

static const char *const layouts[] = {"none", "mbank", "labels", NULL};

static const struct cf_field map_fields[] = {
	{"id", CF_STRING, offsetof(struct bankcsv_map, id), CF_REQUIRED, NULL, 0, 0, NULL, NULL,
	 NULL, NULL, "the map's name"},
	{"bank", CF_STRING, offsetof(struct bankcsv_map, bank), CF_REQUIRED, NULL, 0, 0, NULL,
	 NULL, NULL, NULL, "the bank's name"},
	{"separator", CF_STRING, offsetof(struct bankcsv_map, separator), CF_REQUIRED, NULL, 0, 0,
	 NULL, NULL, NULL, NULL, "the cell separator (two characters: either)"},
	{"decimal", CF_STRING, offsetof(struct bankcsv_map, decimal), CF_REQUIRED, NULL, 0, 0,
	 NULL, NULL, NULL, NULL, "the decimal separator of amounts"},
	{"currency", CF_STRING, offsetof(struct bankcsv_map, currency), 0, NULL, 0, 0, NULL, NULL,
	 NULL, NULL, "the currency when the file does not say"},
	{"layout", CF_ENUM, offsetof(struct bankcsv_map, layout), 0, "none", 0, 0, layouts, NULL,
	 NULL, NULL, "how the description cell is split"},
	{"header", CF_STRLIST, offsetof(struct bankcsv_map, header), 0, NULL, 0, 0, NULL, NULL,
	 NULL, NULL, "the first cells of the header row"},
	{"columns", CF_STRUCT, offsetof(struct bankcsv_map, columns), CF_REQUIRED, NULL, 0, 0,
	 NULL, column_fields, NULL, NULL, "which column holds what"},
	{"preamble", CF_CUSTOM, offsetof(struct bankcsv_map, rules), 0, NULL, 0, 0, NULL, NULL,
	 parse_rules, free_rules, "values read from the rows before the header"},
	CF_END,
};

static struct bankcsv_map **maps;
static size_t nmaps;
static bool builtins_loaded;
static struct strlist loaded_dirs;
static struct strlist origins;	/* file names the maps point to */

static void map_free(struct bankcsv_map *m)
{
	cf_free(map_fields, m);
	free(m);
}

void bankcsv_maps_free(void)
{
	for (size_t i = 0; i < nmaps; i++)
		map_free(maps[i]);
	free(maps);
	maps = NULL;
	nmaps = 0;
	builtins_loaded = false;
	strlist_free(&loaded_dirs);
	strlist_free(&origins);
}

static bool positional(const struct bankcsv_map *m)
{
	return m->header.len == 0;
}

/* The node of a map's key, for an error's position; the map itself when the key is absent. */
static yaml_node_t *at(struct cf_ctx *ctx, yaml_node_t *node, const char *key)
{
	yaml_node_t *v = cf_get(ctx, node, key);
	return v ? v : node;
}

/* What a map must have beyond its keys' types. */
static int check_map(struct cf_ctx *ctx, yaml_node_t *node, const struct bankcsv_map *m)
{
	int rc = 0;
	yaml_node_t *columns = at(ctx, node, "columns");
	size_t seps = m->separator ? strlen(m->separator) : 0;
	if (seps < 1 || seps > 2 || strspn(m->separator, ";,\t|") != seps)
		rc = cf_error(ctx, at(ctx, node, "separator"),
			      "separator must be one or two of ; , | and a tab");
	if (m->decimal && strcmp(m->decimal, ",") != 0 && strcmp(m->decimal, ".") != 0)
		rc = cf_error(ctx, at(ctx, node, "decimal"), "decimal must be \",\" or \".\"");
	if (m->currency && (strlen(m->currency) != STMT_CCY_LEN || !stmt_is_currency(m->currency)))
		rc = cf_error(ctx, at(ctx, node, "currency"), "currency must be a code like PLN");
	if (!m->columns[BANKCSV_AMOUNT] && !m->columns[BANKCSV_DEBIT] && !m->columns[BANKCSV_CREDIT])
		rc = cf_error(ctx, columns, "columns: name 'amount', or 'debit' and 'credit'");
	if (!m->columns[BANKCSV_BOOKING_DATE] && !m->columns[BANKCSV_VALUE_DATE])
		rc = cf_error(ctx, columns, "columns: name 'booking_date' or 'value_date'");
	for (int i = 0; positional(m) && i < BANKCSV_COLS; i++) {
		char *end;
		if (m->columns[i] && (strtol(m->columns[i], &end, 10) < 1 || *end))
			rc = cf_error(ctx, at(ctx, columns, column_fields[i].key),
				      "columns: without a header, '%s' must be a position "
				      "(1, 2, ...), not \"%s\"",
				      column_fields[i].key, m->columns[i]);
	}
	if (positional(m)) {
		bool detect = false;
		for (size_t i = 0; i < m->nrules; i++)
			detect |= m->rules[i].row > 0 && strlist_contains(&m->rules[i].cells, "account");
		if (!detect)
			rc = cf_error(ctx, at(ctx, node, "preamble"),
				      "a map without a header needs a preamble rule "
				      "{row: N, cells: [..., account, ...]} to be recognised");
	}
	return rc;
}

static void add_map(struct bankcsv_map *m)
{
	for (size_t i = 0; i < nmaps; i++)
		if (!strcmp(maps[i]->id, m->id)) {
			map_free(maps[i]);
			maps[i] = m;
			return;
		}
	maps = xrealloc(maps, (nmaps + 1) * sizeof(*maps));
	maps[nmaps++] = m;
}

static const char *origin_name(const char *name)
{
	for (size_t i = 0; i < origins.len; i++)
		if (!strcmp(origins.items[i], name))
			return origins.items[i];
	strlist_add(&origins, name);
	return origins.items[origins.len - 1];
}

static void ensure_builtins(void);

int bankcsv_load_string(const char *name, const char *text, size_t len, struct diag *diag)
{
	ensure_builtins();
	const char *file = origin_name(name);
	yaml_parser_t parser;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	int loaded = 0;
	for (;;) {
		yaml_document_t doc;
		if (!yaml_parser_load(&parser, &doc)) {
			diag_add(diag, (struct conf_pos){file, (int)parser.problem_mark.line + 1,
							 (int)parser.problem_mark.column + 1},
				 false, "YAML: %s", parser.problem ? parser.problem : "error");
			break;
		}
		yaml_node_t *root = yaml_document_get_root_node(&doc);
		if (!root) {
			yaml_document_delete(&doc);
			break;
		}
		struct cf_ctx ctx = {.doc = &doc, .file = file, .diag = diag};
		struct bankcsv_map *m = xcalloc(1, sizeof(*m));
		cf_defaults(map_fields, m);
		m->origin = file;
		int rc = cf_map(&ctx, root, map_fields, NULL, m);
		if (check_map(&ctx, root, m) < 0) /* every mistake at once */
			rc = -1;
		if (rc == 0) {
			add_map(m);
			loaded++;
		} else {
			map_free(m);
		}
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	return loaded;
}

static void ensure_builtins(void)
{
	if (builtins_loaded)
		return;
	builtins_loaded = true;
	struct diag diag = {0};
	bankcsv_load_string("built-in", bankcsv_builtin_yaml, strlen(bankcsv_builtin_yaml), &diag);
	if (diag.errors) { /* a bug in bankmaps.c; the unit tests catch it */
		diag_print(&diag, stderr);
		abort();
	}
	diag_free(&diag);
}

int bankcsv_load_dir(const char *dir, struct diag *diag)
{
	ensure_builtins();
	if (strlist_contains(&loaded_dirs, dir))
		return 0;
	struct strlist names = {0};
	struct gerr err;
	if (yaml_files_of(dir, &names, &err) < 0) { /* not marked loaded: tried again next time */
		diag_add(diag, (struct conf_pos){origin_name(dir), 0, 0}, false, "%s", err.msg);
		return 0;
	}
	strlist_add(&loaded_dirs, dir);
	int loaded = 0;
	for (size_t i = 0; i < names.len; i++) {
		char *path = path_join(dir, names.items[i]);
		char *text;
		size_t len;
		if (read_file(path, MAP_FILE_MAX, &text, &len, &err) < 0) {
			diag_add(diag, (struct conf_pos){origin_name(path), 0, 0}, false, "%s", err.msg);
		} else {
			loaded += bankcsv_load_string(path, text, len, diag);
			free(text);
		}
		free(path);
	}
	strlist_free(&names);
	return loaded;
}

int bankcsv_load_confdir(const char *confdir, struct diag *diag)
{
	char *dir = path_join(confdir, "banks");
	int n = bankcsv_load_dir(dir, diag);
	free(dir);
	return n;
}

const struct bankcsv_map *const *bankcsv_maps(size_t *n)
{
	ensure_builtins();
	*n = nmaps;
	return (const struct bankcsv_map *const *)maps;
}

/* ---- cells ---------------------------------------------------------------------------- */

/* Strip ING's ' wrapping and spaces from a number-like cell (copy). */
static char *unwrap(const char *s)
{
	while (*s == '\'' || *s == ' ')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\'' || s[n - 1] == ' '))
		n--;
	return xstrndup(s, n);
}

/* An account number somewhere in a cell ("mBiznes konto Standard - 4811…0685"): the
 * longest run of digits and spaces (with an optional country code) that normalises to a
 * valid IBAN; else NULL. */
static bool find_account(const char *s, char out[IBAN_MAX_LEN + 1])
{
	for (const char *p = s; *p; p++) {
		if (!isdigit((unsigned char)*p) && !(isupper((unsigned char)p[0]) &&
						     isupper((unsigned char)p[1]) && isdigit((unsigned char)p[2])))
			continue;
		if (p > s && isalnum((unsigned char)p[-1]))
			continue;
		size_t n = 0;
		while (p[n] && (isalnum((unsigned char)p[n]) || p[n] == ' '))
			n++;
		while (n > 0) {
			char *cand = xstrndup(p, n);
			bool ok = account_normalise(cand, out) && iban_valid(out);
			free(cand);
			if (ok)
				return true;
			n--;
			while (n > 0 && p[n - 1] == ' ')
				n--;
		}
	}
	return false;
}

/* ---- reading -------------------------------------------------------------------------- */

struct chain {			/* the balances-after of booked rows */
	unsigned long n;
	int64_t amount[2], balance[2];	/* first two rows */
	int64_t last_amount, last_balance;
	char first_date[STMT_DATE_LEN + 1], last_date[STMT_DATE_LEN + 1];
	bool broken;		/* a row without a balance */
	int64_t pending_sum;	/* card holds: in the bank's balances, not in the sums */
};

struct group {			/* one account's statement */
	char *key;		/* the account cell as written */
	struct stmt st;
	struct chain chain;
};

struct preamble {
	char account[IBAN_MAX_LEN + 1];
	char currency[STMT_CCY_LEN + 1];
	char period_from[STMT_DATE_LEN + 1], period_to[STMT_DATE_LEN + 1];
	struct stmt_balance opening, closing;
	bool credits_stated, debits_stated;
	int64_t credits_sum, debits_sum;
};

struct csvread {
	struct stmt_file *f;
	const struct stmt_sink *sink;
	struct gerr *err;
	const struct bankcsv_map *map;
	unsigned long rows;	/* rows seen */
	const struct bankcsv_rule *pending;	/* its values are in the next row */
	bool header_seen, footer;
	char **header;		/* header cells (copies) */
	size_t nheader;
	int col[BANKCSV_COLS];	/* 0-based index, -1 when absent */
	struct preamble pre;
	struct group *groups;
	size_t ngroups;
};

static const char *cell(char **cells, size_t n, int index)
{
	return index >= 0 && (size_t)index < n && cells[index][0] ? cells[index] : NULL;
}

static int bad_row(struct csvread *c, unsigned long line, const char *fmt, const char *what)
{
	return gerr_set(c->err, "%s: line %lu: %s%s (the row does not fit the %s map of %s)",
			c->f->name, line, fmt, what ? what : "", c->map->id, c->map->bank);
}

/* An amount cell: "-1 788,32 PLN", "+3.99", "'12'"; the currency suffix into ccy. */
static int read_amount(struct csvread *c, const char *text, const char *currency,
		       char ccy[STMT_CCY_LEN + 1], int64_t *out, struct gerr *why)
{
	char *s = unwrap(text);
	size_t n = strlen(s);
	if (n > 4 && s[n - 4] == ' ' && stmt_is_currency(s + n - 3)) {
		memcpy(ccy, s + n - 3, STMT_CCY_LEN + 1);
		s[n - 4] = '\0';
	}
	int rc = money_parse(s, c->map->decimal[0], currency_exponent(ccy[0] ? ccy : currency),
			     out, why);
	free(s);
	return rc;
}

static void apply_rule(struct csvread *c, const struct bankcsv_rule *r, char **cells, size_t n)
{
	struct preamble *p = &c->pre;
	for (size_t i = 0; i < r->cells.len && i < n; i++) {
		const char *what = r->cells.items[i], *v = cells[i];
		char ccy[STMT_CCY_LEN + 1] = "";
		int64_t amount;
		struct gerr why;
		if (!strcmp(what, "account")) {
			char *u = unwrap(v);
			if (!find_account(u, p->account))
				stmt_set_account(p->account, u, strlen(u));
			free(u);
		} else if (!strcmp(what, "currency") && strlen(v) == STMT_CCY_LEN &&
			   stmt_is_currency(v)) {
			memcpy(p->currency, v, STMT_CCY_LEN + 1);
		} else if (!strcmp(what, "period_from")) {
			csvrows_date(v, p->period_from);
		} else if (!strcmp(what, "period_to")) {
			csvrows_date(v, p->period_to);
		} else if (strcmp(what, "skip") != 0 && v[0]) {
			const char *currency = p->currency[0] ? p->currency : c->map->currency;
			if (read_amount(c, v, currency ? currency : "", ccy, &amount, &why) < 0) {
				stmt_file_problem(c->f, "%s in the preamble: %s", what, why.msg);
				continue;
			}
			if (!strcmp(what, "opening") || !strcmp(what, "closing")) {
				struct stmt_balance *b = what[0] == 'o' ? &p->opening : &p->closing;
				*b = (struct stmt_balance){.present = true, .amount = amount};
			} else if (!strcmp(what, "credits_sum")) {
				p->credits_stated = true;
				p->credits_sum = amount < 0 ? -amount : amount;
			} else if (!strcmp(what, "debits_sum")) {
				p->debits_stated = true;
				p->debits_sum = amount > 0 ? -amount : amount;
			}
		}
	}
}

static bool names_equal(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

static bool is_header(const struct bankcsv_map *m, char **cells, size_t n)
{
	if (positional(m) || n < m->header.len)
		return false;
	for (size_t i = 0; i < m->header.len; i++)
		if (!names_equal(cells[i], m->header.items[i]))
			return false;
	return true;
}

static void set_columns(struct csvread *c, char **cells, size_t n)
{
	for (int k = 0; k < BANKCSV_COLS; k++) {
		c->col[k] = -1;
		const char *name = c->map->columns[k];
		if (!name)
			continue;
		if (positional(c->map)) {
			c->col[k] = atoi(name) - 1;
			continue;
		}
		for (size_t i = 0; i < n && c->col[k] < 0; i++)
			if (names_equal(cells[i], name))
				c->col[k] = (int)i;
	}
	c->nheader = n;
	c->header = xcalloc(n ? n : 1, sizeof(*c->header));
	for (size_t i = 0; i < n; i++)
		c->header[i] = xstrdup(cells[i]);
}

/* A preamble row: rules by position and by label, and the header. */
static int preamble_row(struct csvread *c, char **cells, size_t n)
{
	const struct bankcsv_map *m = c->map;
	if (c->pending) {
		apply_rule(c, c->pending, cells, n);
		c->pending = NULL;
	}
	long last_rule_row = 0;
	for (size_t i = 0; i < m->nrules; i++) {
		const struct bankcsv_rule *r = &m->rules[i];
		if (r->row > last_rule_row)
			last_rule_row = r->row;
		if (r->row == (long)c->rows)
			apply_rule(c, r, cells, n);
		else if (r->after && names_equal(cells[0], r->after))
			c->pending = r;
	}
	if (is_header(m, cells, n)) {
		c->header_seen = true;
		set_columns(c, cells, n);
		return 1;
	}
	if (positional(m) && (long)c->rows > last_rule_row) {
		c->header_seen = true;
		set_columns(c, NULL, 0);
		return 0; /* this row is data */
	}
	return 1;
}

static struct group *group_for(struct csvread *c, const char *key)
{
	for (size_t i = 0; i < c->ngroups; i++)
		if (!strcmp(c->groups[i].key, key ? key : ""))
			return &c->groups[i];
	c->groups = xrealloc(c->groups, (c->ngroups + 1) * sizeof(*c->groups));
	struct group *g = &c->groups[c->ngroups++];
	memset(g, 0, sizeof(*g));
	g->key = xstrdup(key ? key : "");
	char *u = key ? unwrap(key) : NULL;
	if (u && !find_account(u, g->st.account))
		stmt_set_account(g->st.account, u, strlen(u));
	if (!u)
		memcpy(g->st.account, c->pre.account, sizeof(g->st.account));
	free(u);
	return g;
}

static void chain_add(struct chain *ch, const struct txn *t, const char *balance_text,
		      struct csvread *c)
{
	int64_t balance;
	char ccy[STMT_CCY_LEN + 1] = "";
	struct gerr why;
	if (!balance_text || read_amount(c, balance_text, t->currency, ccy, &balance, &why) < 0) {
		ch->broken = true;
		return;
	}
	if (ch->n < 2) {
		ch->amount[ch->n] = t->amount;
		ch->balance[ch->n] = balance;
	}
	const char *date = t->booking_date[0] ? t->booking_date : t->value_date;
	if (ch->n == 0)
		memcpy(ch->first_date, date, sizeof(ch->first_date));
	memcpy(ch->last_date, date, sizeof(ch->last_date));
	/* Holds of 18 digits each can sum past int64: then no balances are derived (the
	 * sums of the booked rows overflow the same way and say so, statement.c). */
	if (t->status != TXN_BOOKED && __builtin_add_overflow(ch->pending_sum, t->amount, &ch->pending_sum))
		ch->broken = true;
	ch->last_amount = t->amount;
	ch->last_balance = balance;
	ch->n++;
}

/* Opening and closing from the balances after each row: newest first when the first
 * row's balance minus its amount is the second row's balance. The bank's balances count
 * card holds (ING), the sums do not: the closing balance is the file's last balance less
 * the holds of the period, so that opening + booked rows = closing checks every row. */
static void chain_balances(const struct chain *ch, struct stmt *st)
{
	if (ch->n == 0 || ch->broken || st->opening.present || st->closing.present)
		return;
	bool newest_first = ch->n >= 2 ? ch->balance[0] - ch->amount[0] == ch->balance[1]
					: true;
	if (ch->n >= 2 && !newest_first && ch->balance[1] - ch->amount[1] != ch->balance[0])
		newest_first = strcmp(ch->first_date, ch->last_date) > 0;
	/* a balance less an amount, each of at most 18 digits, fits in int64; a balance less
	 * the sum of the holds may not */
	int64_t closing = newest_first ? ch->balance[0] : ch->last_balance;
	if (__builtin_sub_overflow(closing, ch->pending_sum, &closing))
		return;
	st->closing.present = st->opening.present = true;
	st->closing.amount = closing;
	if (newest_first) {
		st->opening.amount = ch->last_balance - ch->last_amount;
		memcpy(st->closing.date, ch->first_date, sizeof(st->closing.date));
	} else {
		st->opening.amount = ch->balance[0] - ch->amount[0];
		memcpy(st->closing.date, ch->last_date, sizeof(st->closing.date));
	}
}

/* mBank's "#Opis operacji": "NAME, TITLE  ADDRESS  TYPE  ACCOUNT" (runs of spaces). */
static void layout_mbank(struct txn *t, const char *text)
{
	struct strlist parts = {0};
	for (const char *p = text; *p;) {
		while (*p == ' ')
			p++;
		const char *end = p;
		while (*end && !(end[0] == ' ' && end[1] == ' '))
			end++;
		if (end > p) {
			char *part = xstrndup(p, (size_t)(end - p));
			strlist_add(&parts, part);
			free(part);
		}
		p = end;
	}
	size_t n = parts.len;
	char iban[IBAN_MAX_LEN + 1];
	bool account = n > 1 && find_account(parts.items[n - 1], iban);
	if (account) {
		txn_set(&t->counterparty_account, iban);
		n--;
	}
	if (n > 1) {
		txn_set(&t->type_text, parts.items[n - 1]);
		n--;
	}
	if (n > 0) {
		const char *first = parts.items[0], *comma = strstr(first, ", ");
		if (comma) {
			txn_set_trimmed(&t->counterparty_name, first, (size_t)(comma - first));
			txn_set_trimmed(&t->title, comma + 2, strlen(comma + 2));
		} else if (account) {
			txn_set(&t->counterparty_name, first);
		} else {
			txn_set(&t->title, first);
		}
	}
	for (size_t i = 1; i < n; i++)
		txn_add_raw(t, "address", parts.items[i]);
	strlist_free(&parts);
}

/* PKO BP's "Label: value" cells. */
static void layout_labels(struct txn *t, const char *text)
{
	const char *colon = strstr(text, ": ");
	if (!colon)
		return;
	char *label = xstrndup(text, (size_t)(colon - text));
	const char *value = colon + 2;
	bool debit = t->amount < 0;
	if (!strcmp(label, "Tytuł"))
		txn_set(&t->title, value);
	else if (!strcmp(label, debit ? "Nazwa odbiorcy" : "Nazwa nadawcy"))
		txn_set(&t->counterparty_name, value);
	else if (!strcmp(label, debit ? "Rachunek odbiorcy" : "Rachunek nadawcy")) {
		char iban[IBAN_MAX_LEN + 1];
		txn_set(&t->counterparty_account,
			account_normalise(value, iban) && iban_valid(iban) ? iban : value);
	}
	free(label);
}

/* The amount of a row: signed column, debit/credit columns, or a hold (pending). */
static int row_amount(struct csvread *c, char **cells, size_t n, unsigned long line,
		      struct txn *t)
{
	static const int sources[] = {BANKCSV_AMOUNT, BANKCSV_DEBIT, BANKCSV_CREDIT, BANKCSV_HOLD};
	const char *fallback = c->pre.currency[0] ? c->pre.currency
			       : c->map->currency   ? c->map->currency
						    : "";
	for (size_t i = 0; i < ARRAY_LEN(sources); i++) {
		const char *text = cell(cells, n, c->col[sources[i]]);
		if (!text)
			continue;
		char ccy[STMT_CCY_LEN + 1] = "";
		struct gerr why;
		int64_t amount;
		const char *currency = t->currency[0] ? t->currency : fallback;
		if (read_amount(c, text, currency, ccy, &amount, &why) < 0)
			return bad_row(c, line, why.msg, NULL);
		if (ccy[0] && !t->currency[0])
			memcpy(t->currency, ccy, sizeof(ccy));
		if (sources[i] == BANKCSV_DEBIT)
			amount = amount > 0 ? -amount : amount;
		else if (sources[i] == BANKCSV_CREDIT)
			amount = amount < 0 ? -amount : amount;
		else if (sources[i] == BANKCSV_HOLD)
			t->status = TXN_PENDING;
		t->amount = amount;
		if (!t->currency[0])
			memcpy(t->currency, fallback, STMT_CCY_LEN + 1);
		return 0;
	}
	return bad_row(c, line, "no amount", NULL);
}

static void set_cell(char **field, char **cells, size_t n, int index)
{
	const char *v = cell(cells, n, index);
	if (v)
		txn_set_trimmed(field, v, strlen(v));
}

static void row_fields(struct csvread *c, char **cells, size_t n, struct txn *t)
{
	bool debit = t->amount < 0;
	int name = debit && c->col[BANKCSV_COUNTERPARTY_NAME_DEBIT] >= 0
			   ? BANKCSV_COUNTERPARTY_NAME_DEBIT
			   : BANKCSV_COUNTERPARTY_NAME;
	int acct = debit && c->col[BANKCSV_COUNTERPARTY_ACCOUNT_DEBIT] >= 0
			   ? BANKCSV_COUNTERPARTY_ACCOUNT_DEBIT
			   : BANKCSV_COUNTERPARTY_ACCOUNT;
	set_cell(&t->counterparty_name, cells, n, c->col[name]);
	const char *a = cell(cells, n, c->col[acct]);
	if (a) {
		char *u = unwrap(a);
		char iban[IBAN_MAX_LEN + 1];
		txn_set(&t->counterparty_account,
			!u[0] ? NULL : account_normalise(u, iban) && iban_valid(iban) ? iban : u);
		free(u);
	}
	set_cell(&t->title, cells, n, c->col[BANKCSV_TITLE]);
	set_cell(&t->bank_ref, cells, n, c->col[BANKCSV_BANK_REF]);
	const char *id = cell(cells, n, c->col[BANKCSV_TRANSACTION_ID]);
	if (id) {
		char *u = unwrap(id);
		txn_set(&t->transaction_id, u[0] ? u : NULL);
		free(u);
	}
	set_cell(&t->type_text, cells, n, c->col[BANKCSV_TYPE]);
	const char *desc = cell(cells, n, c->col[BANKCSV_DESCRIPTION]);
	if (c->map->layout == BANKCSV_LAYOUT_MBANK && desc)
		layout_mbank(t, desc);
	if (c->map->layout == BANKCSV_LAYOUT_LABELS) {
		if (desc)
			layout_labels(t, desc);
		for (size_t i = c->nheader; i < n; i++) /* the unnamed cells after the header */
			layout_labels(t, cells[i]);
		for (size_t i = 0; i < n && i < c->nheader; i++)
			if (!c->header[i][0])
				layout_labels(t, cells[i]);
	}
	if (!t->title && desc && c->map->layout == BANKCSV_LAYOUT_NONE)
		txn_set(&t->title, desc);
	for (size_t i = 0; i < n; i++) {
		if (!cells[i][0])
			continue;
		char key[24];
		snprintf(key, sizeof(key), "%zu", i + 1);
		txn_add_raw(t, i < c->nheader && c->header[i][0] ? c->header[i] : key, cells[i]);
	}
}

static int data_row(struct csvread *c, char **cells, size_t n, unsigned long line)
{
	struct txn t = {0};
	const char *booking = cell(cells, n, c->col[BANKCSV_BOOKING_DATE]);
	const char *value = cell(cells, n, c->col[BANKCSV_VALUE_DATE]);
	bool have_booking = booking && csvrows_date(booking, t.booking_date);
	bool have_value = value && csvrows_date(value, t.value_date);
	if (!have_booking && !have_value) {
		if (cells[0][0] == '#' || n < c->nheader || c->footer) {
			c->footer = true; /* a summary after the rows */
			return 0;
		}
		const char *shown = booking ? booking : value ? value : "";
		return bad_row(c, line, "no date in the date column: ", shown);
	}
	const char *currency = cell(cells, n, c->col[BANKCSV_CURRENCY]);
	if (currency && strlen(currency) == STMT_CCY_LEN && stmt_is_currency(currency))
		memcpy(t.currency, currency, STMT_CCY_LEN + 1);
	if (row_amount(c, cells, n, line, &t) < 0) {
		txn_clear(&t);
		return -1;
	}
	struct group *g = group_for(c, cell(cells, n, c->col[BANKCSV_ACCOUNT]));
	if (!g->st.currency[0])
		memcpy(g->st.currency, t.currency, sizeof(t.currency));
	memcpy(t.account, g->st.account, sizeof(t.account));
	row_fields(c, cells, n, &t);
	t.origin = (struct txn_origin){line, (unsigned)(g - c->groups), g->st.count, 0};
	chain_add(&g->chain, &t, cell(cells, n, c->col[BANKCSV_BALANCE]), c);
	int rc = stmt_emit_txn(c->f, &g->st, &t, c->sink, c->err);
	txn_clear(&t);
	return rc;
}

static int on_row(void *ctx, char **cells, size_t n, unsigned long line)
{
	struct csvread *c = ctx;
	c->rows++;
	bool empty = true;
	for (size_t i = 0; i < n && empty; i++)
		empty = !cells[i][0];
	if (empty)
		return 0;
	if (!c->header_seen && preamble_row(c, cells, n))
		return 0;
	return data_row(c, cells, n, line) < 0 ? -1 : 0;
}

/* Statements out, one per account, in the order they appeared. */
static int finish(struct csvread *c)
{
	int rc = 0;
	for (size_t i = 0; i < c->ngroups; i++) {
		struct group *g = &c->groups[i];
		struct stmt *st = &g->st;
		if (c->ngroups == 1) { /* what the preamble says belongs to the one account */
			const struct preamble *p = &c->pre;
			if (p->opening.present)
				st->opening = p->opening;
			if (p->closing.present)
				st->closing = p->closing;
			st->stated_credits = p->credits_stated;
			st->stated_credits_sum = p->credits_sum;
			st->stated_credits_count = STMT_COUNT_UNSTATED;
			st->stated_debits = p->debits_stated;
			st->stated_debits_sum = p->debits_sum;
			st->stated_debits_count = STMT_COUNT_UNSTATED;
			if (p->period_from[0]) {
				memcpy(st->period_from, p->period_from, sizeof(st->period_from));
				memcpy(st->period_to, p->period_to, sizeof(st->period_to));
			}
		}
		chain_balances(&g->chain, st);
		memcpy(st->opening.currency, st->currency, sizeof(st->currency));
		memcpy(st->closing.currency, st->currency, sizeof(st->currency));
		if (!st->account[0])
			stmt_problem(st, "the file does not say which account it is");
		if (rc == 0)
			rc = stmt_emit_end(c->f, st, c->sink, c->err);
		else
			stmt_clear(st);
		free(g->key);
	}
	return rc;
}

/* ---- recognising the bank --------------------------------------------------------------- */

struct probe {
	const struct bankcsv_map *map;
	unsigned long rows;
	bool found;
};

static int probe_row(void *ctx, char **cells, size_t n, unsigned long line)
{
	(void)line;
	struct probe *p = ctx;
	p->rows++;
	const struct bankcsv_map *m = p->map;
	if (!positional(m)) {
		p->found = is_header(m, cells, n);
		return p->found || p->rows >= SNIFF_ROWS ? 1 : 0;
	}
	for (size_t i = 0; i < m->nrules; i++) {
		const struct bankcsv_rule *r = &m->rules[i];
		if (r->row != (long)p->rows)
			continue;
		bool account = false, currency = true;
		for (size_t k = 0; k < r->cells.len && k < n; k++) {
			char iban[IBAN_MAX_LEN + 1];
			if (!strcmp(r->cells.items[k], "account"))
				account = find_account(cells[k], iban);
			if (!strcmp(r->cells.items[k], "currency"))
				currency = strlen(cells[k]) == STMT_CCY_LEN &&
					   stmt_is_currency(cells[k]);
		}
		p->found = account && currency && r->cells.len <= n;
	}
	return p->found || p->rows >= SNIFF_ROWS ? 1 : 0;
}

/* The map that recognises the sample, and its separator; NULL if none. */
static const struct bankcsv_map *find_map(const char *head, size_t len,
					  const struct stmt_enc *enc, char *separator)
{
	size_t n;
	const struct bankcsv_map *const *all = bankcsv_maps(&n);
	for (size_t i = 0; i < n; i++) {
		const struct bankcsv_map *m = all[i];
		for (const char *sep = m->separator; *sep; sep++) {
			struct probe p = {.map = m};
			struct csvrows r;
			csvrows_init(&r, enc, *sep, probe_row, &p);
			csvrows_feed(&r, head, len);
			if (!p.found && !r.stop)
				csvrows_end(&r);
			csvrows_free(&r);
			if (p.found) {
				*separator = *sep;
				return m;
			}
		}
	}
	return NULL;
}

bool bankcsv_sniff(const char *head, size_t len)
{
	struct stmt_enc enc;
	char sep;
	stmt_enc_detect(&enc, head, len, false);
	return find_map(head, len, &enc, &sep) != NULL;
}

static int rows_error(struct csvread *c, const struct csvrows *r, int rc)
{
	if (rc != -1 || !c->err->msg[0])
		csvrows_error(r, rc, c->f->name, c->err);
	return -1;
}

static void free_read(struct csvread *c)
{
	for (size_t i = 0; i < c->nheader; i++)
		free(c->header[i]);
	free(c->header);
	free(c->groups);
}

int bankcsv_read(struct stmt_input *in, struct stmt_file *f, const struct stmt_sink *sink,
		 struct gerr *err)
{
	const char *head;
	size_t len;
	if (stmt_input_peek(in, ENCODING_SAMPLE, &head, &len, err) < 0)
		return -1;
	struct stmt_enc enc;
	stmt_enc_detect(&enc, head, len, in->eof);
	char sep = ';';
	struct csvread c = {.f = f, .sink = sink, .err = err};
	err->msg[0] = '\0';
	c.map = find_map(head, len, &enc, &sep);
	if (!c.map)
		return gerr_set(err, "%s: not the CSV export of a bank goniec knows (see "
				     "conf.d/banks/)",
				f->name);
	f->format = STMT_FORMAT_CSV;
	stmt_file_set(&f->encoding, enc.name);
	stmt_file_set(&f->dialect, c.map->id);
	stmt_file_set(&f->bank, c.map->bank);
	struct csvrows r;
	csvrows_init(&r, &enc, sep, on_row, &c);
	char *chunk = xmalloc(65536);
	struct buf carry = {0};
	int rc = 0;
	for (;;) {
		ssize_t got = stmt_input_read(in, chunk, 65536, err);
		if (got < 0) {
			rc = -1;
			break;
		}
		if (got == 0)
			break;
		/* whole lines to the parser; a cut line waits for the next chunk */
		const char *last_nl = NULL;
		for (const char *p = chunk + got; p > chunk; p--)
			if (p[-1] == '\n') {
				last_nl = p;
				break;
			}
		if (!last_nl) {
			buf_append(&carry, chunk, (size_t)got);
			if (carry.len > CSVROWS_CELL_MAX * 4) {
				rc = rows_error(&c, &r, CSVROWS_TOO_LARGE);
				break;
			}
			continue;
		}
		buf_append(&carry, chunk, (size_t)(last_nl - chunk));
		rc = csvrows_feed(&r, carry.data, carry.len);
		carry.len = 0;
		buf_append(&carry, last_nl, (size_t)(chunk + got - last_nl));
		if (rc < 0) {
			rc = rows_error(&c, &r, rc);
			break;
		}
	}
	if (rc == 0 && carry.len)
		rc = csvrows_feed(&r, carry.data, carry.len);
	if (rc == 0)
		rc = csvrows_end(&r);
	if (rc < 0 && rc != -1)
		rc = rows_error(&c, &r, rc);
	else if (rc == -1 && !err->msg[0])
		rc = rows_error(&c, &r, rc);
	if (rc == 0 && r.bad_bytes)
		stmt_file_problem(f, "%lu bytes are not valid %s (shown as U+FFFD)", r.bad_bytes,
				  enc.name);
	if (rc == 0 && !c.header_seen)
		rc = gerr_set(err, "%s: the header row of the %s map was not found", f->name,
			      c.map->id);
	if (rc == 0)
		rc = finish(&c);
	else
		for (size_t i = 0; i < c.ngroups; i++) {
			stmt_clear(&c.groups[i].st);
			free(c.groups[i].key);
		}
	buf_free(&carry);
	free(chunk);
	csvrows_free(&r);
	free_read(&c);
	return rc < 0 ? -1 : 0;
}
