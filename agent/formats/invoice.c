/* invoice — the invoice model and its sidecar JSON form (see invoice.h). */
#include "formats/invoice.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/idnum.h"
#include "core/money.h"

static const char *const field_names[INVOICE_FIELD_COUNT] = {
	[INV_KSEF_NUMBER] = "ksef_number", [INV_NUMBER] = "number", [INV_KIND] = "kind",
	[INV_DIRECTION] = "direction", [INV_ISSUE_DATE] = "issue_date",
	[INV_SALE_DATE] = "sale_date", [INV_PERIOD] = "period", [INV_DUE_DATE] = "due_date",
	[INV_SELLER_NAME] = "seller.name", [INV_SELLER_NIP] = "seller.nip",
	[INV_SELLER_FOREIGN_ID] = "seller.foreign_id", [INV_SELLER_ADDRESS] = "seller.address",
	[INV_SELLER_ACCOUNTS] = "seller.accounts",
	[INV_BUYER_NAME] = "buyer.name", [INV_BUYER_NIP] = "buyer.nip",
	[INV_BUYER_FOREIGN_ID] = "buyer.foreign_id", [INV_BUYER_ADDRESS] = "buyer.address",
	[INV_CURRENCY] = "currency", [INV_NET] = "net", [INV_VAT] = "vat", [INV_GROSS] = "gross",
	[INV_RATES] = "rates", [INV_VAT_PLN] = "vat_pln", [INV_EXCHANGE_RATE] = "exchange_rate",
	[INV_PAYMENT_FORM] = "payment_form", [INV_PAID] = "paid",
	[INV_SPLIT_PAYMENT] = "split_payment", [INV_CORRECTS] = "corrects",
	[INV_ADVANCES] = "advances", [INV_VERIFY_URL] = "verify_url", [INV_TEXT] = "text",
};

static const char *const kind_names[] = {
	[INVOICE_KIND_UNKNOWN] = NULL, [INVOICE_VAT] = "vat", [INVOICE_CORRECTION] = "correction",
	[INVOICE_ADVANCE] = "advance", [INVOICE_SETTLEMENT] = "settlement",
	[INVOICE_SIMPLIFIED] = "simplified", [INVOICE_ADVANCE_CORRECTION] = "advance_correction",
	[INVOICE_SETTLEMENT_CORRECTION] = "settlement_correction",
};
static const char *const direction_names[] = {NULL, "purchase", "sales"};
static const char *const payment_names[] = {
	NULL, "cash", "card", "voucher", "cheque", "credit", "transfer", "mobile", "other",
};
static const char *const group_names[VAT_GROUP_COUNT] = {
	[VAT_STANDARD] = "standard", [VAT_REDUCED_1] = "reduced_1", [VAT_REDUCED_2] = "reduced_2",
	[VAT_TAXI_FLAT] = "taxi_flat", [VAT_OSS] = "oss", [VAT_ZERO_DOMESTIC] = "zero_domestic",
	[VAT_ZERO_INTRA_EU] = "zero_intra_eu", [VAT_ZERO_EXPORT] = "zero_export",
	[VAT_EXEMPT] = "exempt", [VAT_OUTSIDE_COUNTRY] = "outside_country",
	[VAT_EU_SERVICES] = "eu_services", [VAT_REVERSE_CHARGE] = "reverse_charge",
	[VAT_MARGIN] = "margin",
};
static const char *const text_names[] = {NULL, "none"};
static const char *const by_names[] = {NULL, "fa3", "ksef", "portal", "source", "rule", "unstated"};

#define NAME_OF(table, v) ((size_t)(v) < ARRAY_LEN(table) ? (table)[v] : NULL)

const char *invoice_kind_name(enum invoice_kind k) { return NAME_OF(kind_names, k); }
const char *invoice_direction_name(enum invoice_direction d) { return NAME_OF(direction_names, d); }
const char *vat_group_name(enum vat_group g) { return NAME_OF(group_names, g); }
const char *found_by_name(enum found_by by) { return NAME_OF(by_names, by); }

bool invoice_found_exact(enum found_by by)
{
	return by == FOUND_FA3 || by == FOUND_KSEF || by == FOUND_PORTAL || by == FOUND_SOURCE;
}

void invoice_found_set(struct invoice *inv, enum invoice_field f, enum found_by by,
		       const char *at, int page)
{
	struct invoice_found *fd = &inv->found[f];
	free(fd->at);
	fd->by = by;
	fd->at = at ? xstrdup(at) : NULL;
	fd->page = page;
}

/* ---- arrays ---------------------------------------------------------------------------- */

static void *grow(void *arr, size_t *n, size_t size)
{
	char *p = xrealloc(arr, (*n + 1) * size);
	memset(p + *n * size, 0, size);
	(*n)++;
	return p;
}

invoice_date *invoice_add_due_date(struct invoice *inv)
{
	inv->due_dates = grow(inv->due_dates, &inv->ndue_dates, sizeof(*inv->due_dates));
	return &inv->due_dates[inv->ndue_dates - 1];
}

struct invoice_account *invoice_add_account(struct invoice *inv)
{
	inv->accounts = grow(inv->accounts, &inv->naccounts, sizeof(*inv->accounts));
	return &inv->accounts[inv->naccounts - 1];
}

struct invoice_rate *invoice_add_rate(struct invoice *inv)
{
	inv->rates = grow(inv->rates, &inv->nrates, sizeof(*inv->rates));
	return &inv->rates[inv->nrates - 1];
}

struct invoice_ref *invoice_add_ref(struct invoice_ref **refs, size_t *n)
{
	*refs = grow(*refs, n, sizeof(**refs));
	return &(*refs)[*n - 1];
}

/* ---- freeing --------------------------------------------------------------------------- */

static void party_free(struct invoice_party *p)
{
	free(p->name);
	free(p->foreign_id);
	free(p->country);
	free(p->address);
}

static void refs_free(struct invoice_ref *refs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(refs[i].number);
		free(refs[i].ksef_number);
	}
	free(refs);
}

void invoice_free(struct invoice *inv)
{
	free(inv->ksef_number);
	free(inv->number);
	free(inv->due_dates);
	party_free(&inv->seller);
	party_free(&inv->buyer);
	for (size_t i = 0; i < inv->naccounts; i++) {
		free(inv->accounts[i].number);
		free(inv->accounts[i].bank);
	}
	free(inv->accounts);
	free(inv->rates);
	free(inv->exchange_rate);
	free(inv->payment_note);
	free(inv->verify_url);
	refs_free(inv->corrects, inv->ncorrects);
	refs_free(inv->advances, inv->nadvances);
	free(inv->error);
	for (size_t f = 0; f < INVOICE_FIELD_COUNT; f++)
		free(inv->found[f].at);
	memset(inv, 0, sizeof(*inv));
}

/* ---- the scalar fields, described once for both directions ------------------------------ */

enum slot_type { T_STR, T_DATE, T_NIP, T_CURRENCY, T_MONEY, T_MONEY_PLN, T_BOOL, T_ENUM };

struct slot {
	enum invoice_field field;
	enum slot_type type;
	size_t offset;
	const char *const *names;  /* T_ENUM */
	size_t nnames;
};

#define ENUM_SLOT(f, member, table) {f, T_ENUM, offsetof(struct invoice, member), table, ARRAY_LEN(table)}
/* The currency comes first: amounts are read in its minor units. */
static const struct slot slots[] = {
	{INV_CURRENCY, T_CURRENCY, offsetof(struct invoice, currency), NULL, 0},
	{INV_KSEF_NUMBER, T_STR, offsetof(struct invoice, ksef_number), NULL, 0},
	{INV_NUMBER, T_STR, offsetof(struct invoice, number), NULL, 0},
	ENUM_SLOT(INV_KIND, kind, kind_names),
	ENUM_SLOT(INV_DIRECTION, direction, direction_names),
	{INV_ISSUE_DATE, T_DATE, offsetof(struct invoice, issue_date), NULL, 0},
	{INV_SALE_DATE, T_DATE, offsetof(struct invoice, sale_date), NULL, 0},
	{INV_SELLER_NAME, T_STR, offsetof(struct invoice, seller.name), NULL, 0},
	{INV_SELLER_NIP, T_NIP, offsetof(struct invoice, seller.nip), NULL, 0},
	{INV_SELLER_FOREIGN_ID, T_STR, offsetof(struct invoice, seller.foreign_id), NULL, 0},
	{INV_BUYER_NAME, T_STR, offsetof(struct invoice, buyer.name), NULL, 0},
	{INV_BUYER_NIP, T_NIP, offsetof(struct invoice, buyer.nip), NULL, 0},
	{INV_BUYER_FOREIGN_ID, T_STR, offsetof(struct invoice, buyer.foreign_id), NULL, 0},
	{INV_NET, T_MONEY, offsetof(struct invoice, net), NULL, 0},
	{INV_VAT, T_MONEY, offsetof(struct invoice, vat), NULL, 0},
	{INV_GROSS, T_MONEY, offsetof(struct invoice, gross), NULL, 0},
	{INV_VAT_PLN, T_MONEY_PLN, offsetof(struct invoice, vat_pln), NULL, 0},
	{INV_EXCHANGE_RATE, T_STR, offsetof(struct invoice, exchange_rate), NULL, 0},
	ENUM_SLOT(INV_PAYMENT_FORM, payment_form, payment_names),
	{INV_SPLIT_PAYMENT, T_BOOL, offsetof(struct invoice, split_payment), NULL, 0},
	{INV_VERIFY_URL, T_STR, offsetof(struct invoice, verify_url), NULL, 0},
	ENUM_SLOT(INV_TEXT, text, text_names),
};

/* ---- merging ---------------------------------------------------------------------------- */

/* The members of the structured fields, beyond the slots above. */
#define SPAN(f, member) {f, offsetof(struct invoice, member), sizeof(((struct invoice *)0)->member)}
static const struct span {
	enum invoice_field field;
	size_t offset, size;
} spans[] = {
	SPAN(INV_PERIOD, period_from), SPAN(INV_PERIOD, period_to),
	SPAN(INV_DUE_DATE, due_dates), SPAN(INV_DUE_DATE, ndue_dates),
	SPAN(INV_SELLER_ADDRESS, seller.address), SPAN(INV_SELLER_ADDRESS, seller.country),
	SPAN(INV_BUYER_ADDRESS, buyer.address), SPAN(INV_BUYER_ADDRESS, buyer.country),
	SPAN(INV_SELLER_ACCOUNTS, accounts), SPAN(INV_SELLER_ACCOUNTS, naccounts),
	SPAN(INV_RATES, rates), SPAN(INV_RATES, nrates),
	SPAN(INV_PAID, paid), SPAN(INV_PAID, partly_paid), SPAN(INV_PAID, paid_date),
	SPAN(INV_PAYMENT_FORM, payment_note),
	SPAN(INV_CORRECTS, corrects), SPAN(INV_CORRECTS, ncorrects),
	SPAN(INV_ADVANCES, advances), SPAN(INV_ADVANCES, nadvances),
};

static size_t slot_size(enum slot_type t)
{
	switch (t) {
	case T_STR: return sizeof(char *);
	case T_DATE: return sizeof(invoice_date);
	case T_NIP: return NIP_LEN + 1;
	case T_CURRENCY: return 4;
	case T_MONEY:
	case T_MONEY_PLN: return sizeof(int64_t);
	case T_BOOL: return sizeof(bool);
	case T_ENUM: return sizeof(enum invoice_kind);
	}
	return 0;
}

static void swap_bytes(void *a, void *b, size_t n)
{
	unsigned char tmp[64];
	memcpy(tmp, a, n);
	memcpy(a, b, n);
	memcpy(b, tmp, n);
}

/* Exchange one field, with its provenance, between two invoices. */
static void swap_field(struct invoice *a, struct invoice *b, enum invoice_field f)
{
	for (size_t i = 0; i < ARRAY_LEN(slots); i++)
		if (slots[i].field == f)
			swap_bytes((char *)a + slots[i].offset, (char *)b + slots[i].offset,
				   slot_size(slots[i].type));
	for (size_t i = 0; i < ARRAY_LEN(spans); i++)
		if (spans[i].field == f)
			swap_bytes((char *)a + spans[i].offset, (char *)b + spans[i].offset, spans[i].size);
	swap_bytes(&a->found[f], &b->found[f], sizeof(a->found[f]));
}

void invoice_merge(struct invoice *into, struct invoice *from)
{
	for (size_t f = 0; f < INVOICE_FIELD_COUNT; f++) {
		enum found_by mine = into->found[f].by, theirs = from->found[f].by;
		if (theirs != FOUND_NONE &&
		    (mine == FOUND_NONE || (invoice_found_exact(theirs) && !invoice_found_exact(mine))))
			swap_field(into, from, f);
	}
}

static int exponent_of(const struct invoice *inv)
{
	return currency_exponent(inv->currency[0] ? inv->currency : "PLN");
}

static json_t *money_json(int64_t minor, int exponent)
{
	char text[MONEY_TEXT_MAX];
	money_format(minor, exponent, text);
	return json_string(text);
}

/* The object that holds the last part of a dotted path ("seller.nip" → root.seller),
 * created when asked; *leaf is the last part. */
static json_t *parent_of(json_t *root, const char *path, const char **leaf, bool create)
{
	const char *dot = strchr(path, '.');
	if (!dot) {
		*leaf = path;
		return root;
	}
	*leaf = dot + 1;
	json_t *child = json_object_getn(root, path, (size_t)(dot - path));
	if (!child && create) {
		child = json_object();
		json_object_setn_new(root, path, (size_t)(dot - path), child);
	}
	return json_is_object(child) ? child : NULL;
}

static void put_path(json_t *root, const char *path, json_t *value)
{
	const char *leaf = NULL;
	json_t *parent = parent_of(root, path, &leaf, true);
	json_object_set_new(parent, leaf, value);
}

static const json_t *get_path(const json_t *root, const char *path)
{
	const char *leaf;
	json_t *parent = parent_of((json_t *)root, path, &leaf, false);
	return parent ? json_object_get(parent, leaf) : NULL;
}

static json_t *slot_to_json(const struct invoice *inv, const struct slot *s)
{
	const char *p = (const char *)inv + s->offset;
	switch (s->type) {
	case T_STR:
		return *(char *const *)p ? json_string(*(char *const *)p) : NULL;
	case T_DATE:
	case T_NIP:
	case T_CURRENCY:
		return *p ? json_string(p) : NULL;
	case T_MONEY:
		return money_json(*(const int64_t *)p, exponent_of(inv));
	case T_MONEY_PLN:
		return money_json(*(const int64_t *)p, 2);
	case T_BOOL:
		return json_boolean(*(const bool *)p);
	case T_ENUM: {
		unsigned v = *(const unsigned *)p;
		return v < s->nnames && s->names[v] ? json_string(s->names[v]) : NULL;
	}
	}
	return NULL;
}

/* ---- the structured fields -------------------------------------------------------------- */

static void put_str(json_t *o, const char *key, const char *v)
{
	if (v && *v)
		json_object_set_new(o, key, json_string(v));
}

static json_t *refs_to_json(const struct invoice_ref *refs, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object();
		put_str(o, "number", refs[i].number);
		put_str(o, "ksef_number", refs[i].ksef_number);
		put_str(o, "issue_date", refs[i].issue_date);
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *accounts_to_json(const struct invoice *inv)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < inv->naccounts; i++) {
		const struct invoice_account *a = &inv->accounts[i];
		json_t *o = json_pack("{s:s, s:b}", "number", a->number, "checksum_ok", a->checksum_ok);
		put_str(o, "bank", a->bank);
		if (a->factor)
			json_object_set_new(o, "factor", json_true());
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *rates_to_json(const struct invoice *inv)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < inv->nrates; i++) {
		const struct invoice_rate *r = &inv->rates[i];
		json_t *o = json_pack("{s:s, s:o}", "group", vat_group_name(r->group), "net",
				      money_json(r->net, exponent_of(inv)));
		if (r->has_vat)
			json_object_set_new(o, "vat", money_json(r->vat, exponent_of(inv)));
		if (r->has_vat_pln)
			json_object_set_new(o, "vat_pln", money_json(r->vat_pln, 2));
		json_array_append_new(arr, o);
	}
	return arr;
}

static void party_address_to_json(json_t *root, const char *party, const struct invoice_party *p)
{
	json_t *o = json_object_get(root, party);
	if (!o) {
		o = json_object();
		json_object_set_new(root, party, o);
	}
	put_str(o, "address", p->address);
	put_str(o, "country", p->country);
}

static void structured_to_json(json_t *root, const struct invoice *inv, enum invoice_field f)
{
	switch (f) {
	case INV_PERIOD: {
		json_t *o = json_object();
		put_str(o, "from", inv->period_from);
		put_str(o, "to", inv->period_to);
		json_object_set_new(root, "period", o);
		break;
	}
	case INV_DUE_DATE:
		if (inv->ndue_dates == 0)
			break;
		json_object_set_new(root, "due_date", json_string(inv->due_dates[0]));
		if (inv->ndue_dates > 1) {
			json_t *arr = json_array();
			for (size_t i = 0; i < inv->ndue_dates; i++)
				json_array_append_new(arr, json_string(inv->due_dates[i]));
			json_object_set_new(root, "due_dates", arr);
		}
		break;
	case INV_SELLER_ADDRESS:
		party_address_to_json(root, "seller", &inv->seller);
		break;
	case INV_BUYER_ADDRESS:
		party_address_to_json(root, "buyer", &inv->buyer);
		break;
	case INV_SELLER_ACCOUNTS:
		put_path(root, "seller.accounts", accounts_to_json(inv));
		if (inv->naccounts)
			put_path(root, "seller.account", json_string(inv->accounts[0].number));
		break;
	case INV_RATES:
		json_object_set_new(root, "rates", rates_to_json(inv));
		break;
	case INV_PAID:
		json_object_set_new(root, inv->partly_paid ? "partly_paid" : "paid", json_true());
		put_str(root, "paid_date", inv->paid_date);
		break;
	case INV_PAYMENT_FORM:
		put_str(root, "payment_note", inv->payment_note);
		break;
	case INV_CORRECTS:
		json_object_set_new(root, "corrects", refs_to_json(inv->corrects, inv->ncorrects));
		break;
	case INV_ADVANCES:
		json_object_set_new(root, "advances", refs_to_json(inv->advances, inv->nadvances));
		break;
	default:
		break;
	}
}

static json_t *found_to_json(const struct invoice *inv)
{
	json_t *found = json_object();
	for (size_t f = 0; f < INVOICE_FIELD_COUNT; f++) {
		const struct invoice_found *fd = &inv->found[f];
		if (fd->by == FOUND_NONE)
			continue;
		json_t *o = json_pack("{s:s}", "by", found_by_name(fd->by));
		put_str(o, "at", fd->at);
		if (fd->page > 0)
			json_object_set_new(o, "page", json_integer(fd->page));
		json_object_set_new(found, field_names[f], o);
	}
	return found;
}

json_t *invoice_to_json(const struct invoice *inv)
{
	json_t *root = json_object();
	for (size_t i = 0; i < ARRAY_LEN(slots); i++) {
		if (!invoice_has(inv, slots[i].field))
			continue;
		json_t *v = slot_to_json(inv, &slots[i]);
		if (v)
			put_path(root, field_names[slots[i].field], v);
	}
	for (size_t f = 0; f < INVOICE_FIELD_COUNT; f++)
		if (invoice_has(inv, f))
			structured_to_json(root, inv, f);
	if (inv->error)
		json_object_set_new(root, "error", json_string(inv->error));
	json_t *found = found_to_json(inv);
	if (json_object_size(found))
		json_object_set_new(root, "found", found);
	else
		json_decref(found);
	return root;
}

/* ---- reading the JSON back -------------------------------------------------------------- */

static int want_string(const json_t *v, const char *key, const char **out, struct gerr *err)
{
	if (!json_is_string(v))
		return gerr_set(err, "invoice.%s: not a string", key);
	*out = json_string_value(v);
	return 0;
}

bool invoice_date_ok(const char *s)
{
	static const char shape[] = "dddd-dd-dd";
	if (strlen(s) != INVOICE_DATE_LEN)
		return false;
	for (size_t i = 0; i < INVOICE_DATE_LEN; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
			return false;
	int month = (s[5] - '0') * 10 + (s[6] - '0'), day = (s[8] - '0') * 10 + (s[9] - '0');
	return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

static int read_date(const json_t *v, const char *key, invoice_date out, struct gerr *err)
{
	const char *s = NULL;
	if (want_string(v, key, &s, err) < 0)
		return -1;
	if (!invoice_date_ok(s))
		return gerr_set(err, "invoice.%s: \"%s\" is not a YYYY-MM-DD date", key, s);
	memcpy(out, s, INVOICE_DATE_LEN + 1);
	return 0;
}

static int read_money(const json_t *v, const char *key, int exponent, int64_t *out,
		      struct gerr *err)
{
	const char *s = NULL;
	if (want_string(v, key, &s, err) < 0 || money_parse(s, '.', exponent, out, err) < 0)
		return gerr_prefix(err, "invoice.%s", key);
	return 0;
}

static bool lookup_name(const char *s, const char *const *names, size_t n, unsigned *out)
{
	for (unsigned i = 0; i < n; i++)
		if (names[i] && strcmp(names[i], s) == 0) {
			*out = i;
			return true;
		}
	return false;
}

static int read_enum(const json_t *v, const char *key, const char *const *names, size_t n,
		     unsigned *out, struct gerr *err)
{
	const char *s = NULL;
	if (want_string(v, key, &s, err) < 0)
		return -1;
	if (!lookup_name(s, names, n, out))
		return gerr_set(err, "invoice.%s: unknown value \"%s\"", key, s);
	return 0;
}

static int slot_from_json(const json_t *v, const struct slot *s, struct invoice *inv,
			  struct gerr *err)
{
	char *p = (char *)inv + s->offset;
	const char *key = field_names[s->field], *text = NULL;
	switch (s->type) {
	case T_STR:
		if (want_string(v, key, &text, err) < 0)
			return -1;
		*(char **)p = xstrdup(text);
		return 0;
	case T_DATE:
		return read_date(v, key, p, err);
	case T_NIP:
		if (want_string(v, key, &text, err) < 0)
			return -1;
		if (!nip_normalise(text, p))
			return gerr_set(err, "invoice.%s: \"%s\" is not a NIP", key, text);
		return 0;
	case T_CURRENCY:
		if (want_string(v, key, &text, err) < 0)
			return -1;
		if (strlen(text) != 3)
			return gerr_set(err, "invoice.%s: \"%s\" is not a currency code", key, text);
		memcpy(p, text, 4);
		return 0;
	case T_MONEY:
		return read_money(v, key, exponent_of(inv), (int64_t *)p, err);
	case T_MONEY_PLN:
		return read_money(v, key, 2, (int64_t *)p, err);
	case T_BOOL:
		if (!json_is_boolean(v))
			return gerr_set(err, "invoice.%s: not true or false", key);
		*(bool *)p = json_is_true(v);
		return 0;
	case T_ENUM:
		return read_enum(v, key, s->names, s->nnames, (unsigned *)p, err);
	}
	return 0;
}

static int read_refs(const json_t *arr, const char *key, struct invoice_ref **refs, size_t *n,
		     struct gerr *err)
{
	size_t i;
	const json_t *o;
	if (!json_is_array(arr))
		return gerr_set(err, "invoice.%s: not a list", key);
	json_array_foreach(arr, i, o) {
		struct invoice_ref *r = invoice_add_ref(refs, n);
		const json_t *num = json_object_get(o, "number"), *ks = json_object_get(o, "ksef_number"),
			     *date = json_object_get(o, "issue_date");
		if (!json_is_object(o) || (num && !json_is_string(num)) || (ks && !json_is_string(ks)))
			return gerr_set(err, "invoice.%s[%zu]: not an invoice reference", key, i);
		r->number = num ? xstrdup(json_string_value(num)) : NULL;
		r->ksef_number = ks ? xstrdup(json_string_value(ks)) : NULL;
		if (date && read_date(date, key, r->issue_date, err) < 0)
			return -1;
	}
	return 0;
}

static int read_accounts(const json_t *arr, struct invoice *inv, struct gerr *err)
{
	size_t i;
	const json_t *o;
	if (!json_is_array(arr))
		return gerr_set(err, "invoice.seller.accounts: not a list");
	json_array_foreach(arr, i, o) {
		struct invoice_account *a = invoice_add_account(inv);
		const char *number, *bank = NULL;
		int factor = 0;
		if (json_unpack((json_t *)o, "{s:s, s?s, s?b}", "number", &number, "bank", &bank,
				"factor", &factor) != 0)
			return gerr_set(err, "invoice.seller.accounts[%zu]: not an account", i);
		a->number = xstrdup(number);
		a->bank = bank ? xstrdup(bank) : NULL;
		a->factor = factor;
		a->checksum_ok = iban_valid(number);
	}
	return 0;
}

static int read_rates(const json_t *arr, struct invoice *inv, struct gerr *err)
{
	size_t i;
	const json_t *o;
	if (!json_is_array(arr))
		return gerr_set(err, "invoice.rates: not a list");
	json_array_foreach(arr, i, o) {
		struct invoice_rate *r = invoice_add_rate(inv);
		const json_t *vat = json_object_get(o, "vat"), *pln = json_object_get(o, "vat_pln");
		unsigned group;
		if (!json_is_object(o) ||
		    read_enum(json_object_get(o, "group"), "rates.group", group_names,
			      VAT_GROUP_COUNT, &group, err) < 0 ||
		    read_money(json_object_get(o, "net"), "rates.net", exponent_of(inv), &r->net, err) < 0 ||
		    (vat && read_money(vat, "rates.vat", exponent_of(inv), &r->vat, err) < 0) ||
		    (pln && read_money(pln, "rates.vat_pln", 2, &r->vat_pln, err) < 0))
			return gerr_prefix(err, "rate %zu", i + 1);
		r->group = group;
		r->has_vat = vat != NULL;
		r->has_vat_pln = pln != NULL;
	}
	return 0;
}

static int read_party_address(const json_t *party, const char *name, struct invoice_party *p,
			      struct gerr *err)
{
	const json_t *addr = json_object_get(party, "address"), *cc = json_object_get(party, "country");
	if ((addr && !json_is_string(addr)) || (cc && !json_is_string(cc)))
		return gerr_set(err, "invoice.%s: address or country not a string", name);
	p->address = addr ? xstrdup(json_string_value(addr)) : NULL;
	p->country = cc ? xstrdup(json_string_value(cc)) : NULL;
	return 0;
}

static int read_due_dates(const json_t *root, struct invoice *inv, struct gerr *err)
{
	const json_t *all = json_object_get(root, "due_dates");
	size_t i;
	const json_t *d;
	if (!all)
		return read_date(json_object_get(root, "due_date"), "due_date",
				 *invoice_add_due_date(inv), err);
	if (!json_is_array(all))
		return gerr_set(err, "invoice.due_dates: not a list");
	json_array_foreach(all, i, d)
		if (read_date(d, "due_dates", *invoice_add_due_date(inv), err) < 0)
			return -1;
	return 0;
}

static int read_paid(const json_t *root, struct invoice *inv, struct gerr *err)
{
	const json_t *date = json_object_get(root, "paid_date");
	inv->paid = json_is_true(json_object_get(root, "paid"));
	inv->partly_paid = json_is_true(json_object_get(root, "partly_paid"));
	return date ? read_date(date, "paid_date", inv->paid_date, err) : 0;
}

static int structured_from_json(const json_t *root, const json_t *v, enum invoice_field f,
				struct invoice *inv, struct gerr *err)
{
	switch (f) {
	case INV_PERIOD: {
		const json_t *from = json_object_get(v, "from"), *to = json_object_get(v, "to");
		if ((from && read_date(from, "period.from", inv->period_from, err) < 0) ||
		    (to && read_date(to, "period.to", inv->period_to, err) < 0))
			return -1;
		return 0;
	}
	case INV_DUE_DATE:
		return read_due_dates(root, inv, err);
	case INV_SELLER_ADDRESS:
		return read_party_address(json_object_get(root, "seller"), "seller", &inv->seller, err);
	case INV_BUYER_ADDRESS:
		return read_party_address(json_object_get(root, "buyer"), "buyer", &inv->buyer, err);
	case INV_SELLER_ACCOUNTS:
		return read_accounts(v, inv, err);
	case INV_RATES:
		return read_rates(v, inv, err);
	case INV_PAID:
		return read_paid(root, inv, err);
	case INV_PAYMENT_FORM: {
		const json_t *note = json_object_get(root, "payment_note");
		if (json_is_string(note))
			inv->payment_note = xstrdup(json_string_value(note));
		return 0;
	}
	case INV_CORRECTS:
		return read_refs(v, "corrects", &inv->corrects, &inv->ncorrects, err);
	case INV_ADVANCES:
		return read_refs(v, "advances", &inv->advances, &inv->nadvances, err);
	default:
		return 0;
	}
}

/* A field's JSON value, for deciding whether it is there: structured ones may sit at a
 * derived key ("due_dates", "partly_paid") or in a part ("seller.country"). */
static const json_t *field_value(const json_t *root, enum invoice_field f)
{
	const json_t *v = get_path(root, field_names[f]);
	if (!v && f == INV_DUE_DATE)
		v = json_object_get(root, "due_dates");
	if (!v && f == INV_PAID)
		v = json_object_get(root, "partly_paid");
	if (!v && (f == INV_SELLER_ADDRESS || f == INV_BUYER_ADDRESS))
		v = json_object_get(json_object_get(root, f == INV_SELLER_ADDRESS ? "seller" : "buyer"),
				    "country");
	return v;
}

static int read_found(const json_t *root, const json_t *found, struct invoice *inv,
		      struct gerr *err)
{
	const char *key;
	const json_t *o;
	if (!json_is_object(found))
		return gerr_set(err, "invoice.found: not an object");
	json_object_foreach((json_t *)found, key, o) {
		unsigned f, by;
		const char *at = NULL;
		json_int_t page = 0;
		if (!lookup_name(key, field_names, INVOICE_FIELD_COUNT, &f))
			return gerr_set(err, "invoice.found.%s: no such field", key);
		if (!field_value(root, f))
			return gerr_set(err, "invoice.found.%s: the field itself is missing", key);
		if (json_unpack((json_t *)o, "{s?s, s?I}", "at", &at, "page", &page) != 0 ||
		    read_enum(json_object_get(o, "by"), "found.by", by_names, ARRAY_LEN(by_names),
			      &by, err) < 0)
			return gerr_set(err, "invoice.found.%s: not a finding ({\"by\": ..., \"at\": ...})", key);
		invoice_found_set(inv, f, by, at, (int)page);
	}
	return 0;
}

static int fields_from_json(const json_t *obj, struct invoice *inv, struct gerr *err)
{
	for (size_t i = 0; i < ARRAY_LEN(slots); i++) {
		const json_t *v = get_path(obj, field_names[slots[i].field]);
		if (v && slot_from_json(v, &slots[i], inv, err) < 0)
			return -1;
	}
	for (size_t f = 0; f < INVOICE_FIELD_COUNT; f++) {
		const json_t *v = field_value(obj, f);
		if (v && structured_from_json(obj, v, f, inv, err) < 0)
			return -1;
	}
	return 0;
}

/* A value a sidecar holds without saying how it was found (sidecars written before
 * provenance was recorded) is present, found by FOUND_UNSTATED. */
static void mark_unstated(const json_t *obj, struct invoice *inv)
{
	for (size_t f = 0; f < INVOICE_FIELD_COUNT; f++)
		if (!invoice_has(inv, f) && field_value(obj, f))
			invoice_found_set(inv, f, FOUND_UNSTATED, NULL, 0);
}

int invoice_from_json(const json_t *obj, struct invoice *inv, struct gerr *err)
{
	memset(inv, 0, sizeof(*inv));
	if (!json_is_object(obj))
		return gerr_set(err, "invoice: not an object");
	const json_t *error = json_object_get(obj, "error"), *found = json_object_get(obj, "found");
	int rc = fields_from_json(obj, inv, err);
	if (rc == 0 && error) {
		if (json_is_string(error))
			inv->error = xstrdup(json_string_value(error));
		else
			rc = gerr_set(err, "invoice.error: not a string");
	}
	if (rc == 0 && found)
		rc = read_found(obj, found, inv, err);
	if (rc < 0)
		invoice_free(inv);
	else
		mark_unstated(obj, inv);
	return rc;
}

void invoice_direction_from_company(struct invoice *inv, const char *company_nip)
{
	char nip[NIP_LEN + 1];
	if (invoice_has(inv, INV_DIRECTION) || !company_nip || !nip_normalise(company_nip, nip))
		return;
	if (invoice_has(inv, INV_SELLER_NIP) && strcmp(inv->seller.nip, nip) == 0)
		inv->direction = INVOICE_SALES;
	else if (invoice_has(inv, INV_BUYER_NIP) && strcmp(inv->buyer.nip, nip) == 0)
		inv->direction = INVOICE_PURCHASE;
	else
		return;
	invoice_found_set(inv, INV_DIRECTION, FOUND_SOURCE, "company.nip", 0);
}
