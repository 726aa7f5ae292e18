/* register — see register.h. */
#include "formats/register.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/money.h"
#include "formats/csvrows.h"
#include "formats/paytitle.h"
#include "formats/statement.h"
#include "formats/stmtenc.h"

#define CSV_SAMPLE (1024 * 1024)

void register_map_free(struct register_map *m)
{
	for (size_t i = 0; i < REG_COL_COUNT; i++)
		free(m->columns[i]);
	strlist_free(&m->sales);
	strlist_free(&m->purchases);
	free(m->encoding);
	memset(m, 0, sizeof(*m));
}

static void entry_free(struct register_entry *e)
{
	free(e->number);
	free(e->ksef_number);
	free(e->corrects);
	free(e->name);
	memset(e, 0, sizeof(*e));
}

static void problem(struct register_read *rd, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void problem(struct register_read *rd, const char *fmt, ...)
{
	if (rd->problems.len >= REGISTER_PROBLEMS_MAX)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	strlist_add(&rd->problems, m);
	free(m);
}

/* ---- values ----------------------------------------------------------------------------- */

static bool folded_in(const char *value, const struct strlist *list, const char *const *defaults)
{
	char *f = paytitle_fold(value);
	bool found = false;
	for (size_t i = 0; !found && i < list->len; i++) {
		char *g = paytitle_fold(list->items[i]);
		found = strcmp(f, g) == 0;
		free(g);
	}
	for (size_t i = 0; !found && !list->len && defaults[i]; i++)
		found = strcmp(f, defaults[i]) == 0;
	free(f);
	return found;
}

static const char *const sales_words[] = {"S", "SPRZEDAZ", "SALES", "SALE", NULL};
static const char *const purchase_words[] = {"Z", "K", "ZAKUP", "KOSZT", "PURCHASE", NULL};

static int set_direction(struct register_entry *e, const char *v, const struct register_map *m,
			 const char *where, struct gerr *err)
{
	if (!v || !*v) {
		e->direction = m ? m->direction : INVOICE_DIRECTION_UNKNOWN;
		if (e->direction == INVOICE_DIRECTION_UNKNOWN)
			return gerr_set(err, "%s: no direction (sales or purchase), and the map gives none", where);
		return 0;
	}
	static const struct strlist none = {0};
	if (folded_in(v, m ? &m->sales : &none, sales_words))
		e->direction = INVOICE_SALES;
	else if (folded_in(v, m ? &m->purchases : &none, purchase_words))
		e->direction = INVOICE_PURCHASE;
	else
		return gerr_set(err, "%s: direction '%s' is neither a sale nor a purchase (the map's "
				"sales:/purchases: lists say how the export writes them)", where, v);
	return 0;
}

static int set_amount(const char *v, char decimal, const char *currency, int64_t *out, bool *has,
		      const char *where, const char *what, struct gerr *err)
{
	if (!v || !*v)
		return 0;
	struct gerr e = {0};
	int exp = currency_exponent(currency && *currency ? currency : "PLN");
	if (money_parse(v, decimal, exp, out, &e) < 0 &&
	    money_parse(v, decimal == ',' ? '.' : ',', exp, out, &e) < 0)
		return gerr_set(err, "%s: %s: %s", where, what, e.msg);
	*has = true;
	return 0;
}

static int set_date(const char *v, char out[11], const char *where, const char *what, struct gerr *err)
{
	if (!v || !*v)
		return 0;
	if (!csvrows_date(v, out))
		return gerr_set(err, "%s: %s '%s' is no date (YYYY-MM-DD or DD.MM.YYYY)", where, what, v);
	return 0;
}

static void set_text(char **field, const char *v)
{
	free(*field);
	*field = v && *v ? xstrdup(v) : NULL;
}

/* Fill an entry from the values of one row (by column); where names it for messages. */
static int fill_entry(struct register_entry *e, const char *const *v, char decimal, const struct register_map *m,
		      struct register_read *rd, const char *where, struct gerr *err)
{
	set_text(&e->number, v[REG_NUMBER]);
	set_text(&e->ksef_number, v[REG_KSEF_NUMBER]);
	set_text(&e->corrects, v[REG_CORRECTS]);
	set_text(&e->name, v[REG_NAME]);
	const char *cur = v[REG_CURRENCY];
	if (cur && *cur) {
		if (strlen(cur) != 3 || !stmt_is_currency(cur))
			return gerr_set(err, "%s: currency '%s' is no ISO 4217 code", where, cur);
		snprintf(e->currency, sizeof(e->currency), "%s", cur);
	}
	if (set_direction(e, v[REG_DIRECTION], m, where, err) < 0 ||
	    set_date(v[REG_ISSUE_DATE], e->issue_date, where, "issue date", err) < 0 ||
	    set_date(v[REG_DUE_DATE], e->due_date, where, "due date", err) < 0 ||
	    set_amount(v[REG_GROSS], decimal, e->currency, &e->gross, &e->has_gross, where, "gross", err) < 0 ||
	    set_amount(v[REG_PAID], decimal, e->currency, &e->paid, &e->has_paid, where, "paid", err) < 0)
		return -1;
	if (!e->has_gross)
		return gerr_set(err, "%s: no gross amount", where);
	const char *nip = v[REG_NIP];
	if (nip && *nip && (!nip_normalise(nip, e->nip) || !nip_valid(e->nip))) {
		e->nip[0] = '\0';
		if (nip_normalise(nip, e->nip))
			problem(rd, "%s: NIP %s fails its checksum: left out", where, nip);
		e->nip[0] = '\0';
	}
	const char *acc = v[REG_ACCOUNT];
	if (acc && *acc && (!account_normalise(acc, e->account) || !iban_valid(e->account))) {
		e->account[0] = '\0';
		problem(rd, "%s: account %s is no valid account number: left out", where, acc);
	}
	return 0;
}

/* ---- CSV -------------------------------------------------------------------------------- */

struct csv_ctx {
	const char *name;
	const struct register_map *map;
	struct register_read *rd;
	struct gerr *err;
	int col[REG_COL_COUNT];       /* cell index of each column, -1 absent */
	bool header_seen;
};

static bool same_name(const char *a, const char *b)
{
	char *fa = paytitle_fold(a), *fb = paytitle_fold(b);
	bool same = strcmp(fa, fb) == 0;
	free(fa);
	free(fb);
	return same;
}

static bool read_header(struct csv_ctx *c, char **cells, size_t n)
{
	int col[REG_COL_COUNT];
	bool any = false;
	for (size_t k = 0; k < REG_COL_COUNT; k++) {
		col[k] = -1;
		if (!c->map->columns[k])
			continue;
		for (size_t i = 0; i < n && col[k] < 0; i++)
			if (same_name(cells[i], c->map->columns[k]))
				col[k] = (int)i;
		if (col[k] < 0)
			return false;
		any = true;
	}
	if (any)
		memcpy(c->col, col, sizeof(col));
	return any;
}

static int on_row(void *ctx, char **cells, size_t n, unsigned long line)
{
	struct csv_ctx *c = ctx;
	if (!c->header_seen) {
		c->header_seen = read_header(c, cells, n);
		return 0;
	}
	const char *v[REG_COL_COUNT] = {0};
	for (size_t k = 0; k < REG_COL_COUNT; k++)
		v[k] = c->col[k] >= 0 && (size_t)c->col[k] < n ? cells[c->col[k]] : NULL;
	if ((!v[REG_NUMBER] || !*v[REG_NUMBER]) && (!v[REG_KSEF_NUMBER] || !*v[REG_KSEF_NUMBER])) {
		c->rd->skipped++; /* a blank row, a total */
		return 0;
	}
	char where[300];
	snprintf(where, sizeof(where), "%s: line %lu", c->name, line);
	struct register_entry e = {.line = line};
	int rc = fill_entry(&e, v, c->map->decimal ? c->map->decimal : ',', c->map, c->rd, where, c->err);
	if (rc == 0) {
		c->rd->rows++;
		rc = c->rd->fn(c->rd->ctx, &e, c->err);
	}
	entry_free(&e);
	return rc < 0 ? -1 : 0;
}

/* The separator the header row uses: the first of ';', ',', TAB it has. */
static char guess_separator(const char *data, size_t len)
{
	static const char seps[] = ";,\t";
	for (const char *s = seps; *s; s++)
		if (memchr(data, *s, len < 4096 ? len : 4096))
			return *s;
	return ';';
}

int register_read_csv(const char *name, const char *data, size_t len, const struct register_map *map,
		      struct register_read *rd, struct gerr *err)
{
	struct stmt_enc enc;
	if (map->encoding) {
		if (!stmt_enc_set(&enc, map->encoding))
			return gerr_set(err, "%s: encoding '%s' is not known", name, map->encoding);
	} else {
		stmt_enc_detect(&enc, data, len < CSV_SAMPLE ? len : CSV_SAMPLE, len <= CSV_SAMPLE);
	}
	struct csv_ctx c = {.name = name, .map = map, .rd = rd, .err = err};
	struct csvrows r;
	err->msg[0] = '\0';
	csvrows_init(&r, &enc, map->separator ? map->separator : guess_separator(data, len), on_row, &c);
	int rc = csvrows_feed(&r, data, len);
	if (rc == 0)
		rc = csvrows_end(&r);
	if (rc < 0 && !err->msg[0])
		csvrows_error(&r, rc, name, err);
	csvrows_free(&r);
	if (rc == 0 && !c.header_seen) {
		struct buf b = {0};
		for (size_t k = 0; k < REG_COL_COUNT; k++)
			if (map->columns[k])
				buf_printf(&b, "%s\"%s\"", b.len ? ", " : "", map->columns[k]);
		gerr_set(err, "%s: no header row with the map's columns (%s)", name, b.data ? b.data : "none");
		buf_free(&b);
		return -1;
	}
	return rc < 0 ? -1 : 0;
}

/* ---- JSON ------------------------------------------------------------------------------ */

/* An amount as JSON gives it: a decimal string, or a whole number. */
static const char *json_amount(const json_t *v, char buf[32])
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, 32, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	return NULL;
}

static int json_entry(const json_t *o, size_t index, const char *name, const struct register_map *map,
		      struct register_read *rd, struct gerr *err)
{
	char where[300];
	snprintf(where, sizeof(where), "%s: invoice %zu", name, index + 1);
	if (!json_is_object(o))
		return gerr_set(err, "%s: not an object", where);
	static const char *const text_keys[] = {"number", "ksef_number", "direction", "issue_date", "due_date",
						"currency", "corrects"};
	static const enum register_col text_cols[] = {REG_NUMBER, REG_KSEF_NUMBER, REG_DIRECTION, REG_ISSUE_DATE,
						      REG_DUE_DATE, REG_CURRENCY, REG_CORRECTS};
	const char *v[REG_COL_COUNT] = {0};
	for (size_t i = 0; i < ARRAY_LEN(text_keys); i++) {
		const json_t *x = json_object_get(o, text_keys[i]);
		if (x && !json_is_string(x) && !json_is_null(x))
			return gerr_set(err, "%s: \"%s\" must be a string", where, text_keys[i]);
		v[text_cols[i]] = json_string_value(x);
	}
	char gross[32], paid[32];
	const json_t *g = json_object_get(o, "gross"), *p = json_object_get(o, "paid");
	if ((g && !(v[REG_GROSS] = json_amount(g, gross))) || (p && !json_is_null(p) && !(v[REG_PAID] = json_amount(p, paid))))
		return gerr_set(err, "%s: amounts are decimal strings (\"1230.00\") or whole numbers", where);
	const json_t *cp = json_object_get(o, "counterparty");
	if (cp && !json_is_object(cp))
		return gerr_set(err, "%s: \"counterparty\" must be an object", where);
	v[REG_NAME] = json_string_value(json_object_get(cp, "name"));
	v[REG_NIP] = json_string_value(json_object_get(cp, "nip"));
	v[REG_ACCOUNT] = json_string_value(json_object_get(cp, "account"));
	if ((!v[REG_NUMBER] || !*v[REG_NUMBER]) && (!v[REG_KSEF_NUMBER] || !*v[REG_KSEF_NUMBER]))
		return gerr_set(err, "%s: no \"number\"", where);
	const json_t *line = json_object_get(o, "line");
	struct register_entry e = {.line = json_is_integer(line) && json_integer_value(line) > 0
						   ? (unsigned long)json_integer_value(line) : index + 1};
	int rc = fill_entry(&e, v, '.', map, rd, where, err);
	if (rc == 0) {
		rd->rows++;
		rc = rd->fn(rd->ctx, &e, err);
	}
	entry_free(&e);
	return rc;
}

static int read_json_value(const char *name, const json_t *root, const struct register_map *map,
			   struct register_read *rd, struct gerr *err)
{
	const json_t *list = json_is_array(root) ? root : json_object_get(root, "invoices");
	if (!json_is_array(list))
		return gerr_set(err, "%s: expected {\"invoices\": [...]} or a list of invoices", name);
	const json_t *schema = json_object_get(root, "schema");
	if (schema && (!json_is_string(schema) || strcmp(json_string_value(schema), REGISTER_SCHEMA) != 0))
		return gerr_set(err, "%s: schema is not %s", name, REGISTER_SCHEMA);
	size_t i;
	const json_t *o;
	json_array_foreach(list, i, o)
		if (json_entry(o, i, name, map, rd, err) < 0)
			return -1;
	return 0;
}

int register_read_json(const char *name, const char *data, size_t len, const struct register_map *map,
		       struct register_read *rd, struct gerr *err)
{
	json_error_t je;
	json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return gerr_set(err, "%s: line %d: %s", name, je.line, je.text);
	int rc = read_json_value(name, root, map, rd, err);
	json_decref(root);
	return rc;
}

json_t *register_entry_json(const struct register_entry *e)
{
	json_t *o = json_object();
	char text[MONEY_TEXT_MAX];
	int exp = currency_exponent(e->currency[0] ? e->currency : "PLN");
	json_object_set_new(o, "line", json_integer((json_int_t)e->line));
#define PUT(key, v) do { if ((v) && *(v)) json_object_set_new(o, key, json_string(v)); } while (0)
	PUT("number", e->number);
	PUT("ksef_number", e->ksef_number);
	json_object_set_new(o, "direction", json_string(invoice_direction_name(e->direction)));
	PUT("issue_date", e->issue_date);
	PUT("due_date", e->due_date);
	money_format(e->gross, exp, text);
	json_object_set_new(o, "gross", json_string(text));
	PUT("currency", e->currency);
	if (e->has_paid) {
		money_format(e->paid, exp, text);
		json_object_set_new(o, "paid", json_string(text));
	}
	PUT("corrects", e->corrects);
	json_t *cp = json_object();
	if (e->name)
		json_object_set_new(cp, "name", json_string(e->name));
	if (e->nip[0])
		json_object_set_new(cp, "nip", json_string(e->nip));
	if (e->account[0])
		json_object_set_new(cp, "account", json_string(e->account));
#undef PUT
	json_object_set_new(o, "counterparty", cp);
	return o;
}

int register_doc_read_path(const char *path, register_fn fn, void *ctx, struct gerr *err)
{
	char *text;
	size_t len;
	if (read_file(path, REGISTER_MAX_BYTES, &text, &len, err) < 0)
		return -1;
	struct register_read rd = {.fn = fn, .ctx = ctx};
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	free(text);
	int rc;
	if (!json_is_object(root) || !json_object_get(root, "schema"))
		rc = gerr_set(err, "%s: not a %s document", path, REGISTER_SCHEMA);
	else
		rc = read_json_value(path, root, NULL, &rd, err);
	json_decref(root);
	strlist_free(&rd.problems);
	return rc;
}
