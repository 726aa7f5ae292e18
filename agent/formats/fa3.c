/* fa3 — the FA(3) invoice reader (see fa3.h). */
#include "formats/fa3.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/money.h"
#include "formats/xmlsafe.h"

#define NS FA3_NAMESPACE

struct reader {
	struct invoice *inv;
	struct gerr *err;
	const xmlNode *fa;   /* <Fa> */
	int exponent;        /* of the invoice's currency */
};

/* ---- nodes and their text --------------------------------------------------------------- */

/* Follow "A/B/C" from `from`, each step the first child of that name. */
static xmlNode *find(const xmlNode *from, const char *path)
{
	char step[64];
	const xmlNode *n = from;
	while (n && *path) {
		size_t len = strcspn(path, "/");
		if (len >= sizeof(step))
			return NULL;
		memcpy(step, path, len);
		step[len] = '\0';
		n = xml_child(n, NS, step);
		path += len + (path[len] == '/');
	}
	return (xmlNode *)n;
}

/* The element's path below the root ("Fa/Platnosc/FormaPlatnosci"). */
static char *path_of(const xmlNode *n)
{
	struct buf b = {0};
	const xmlNode *chain[32];
	size_t depth = 0;
	for (; n && n->parent && n->parent->type == XML_ELEMENT_NODE && depth < ARRAY_LEN(chain);
	     n = n->parent)
		chain[depth++] = n;
	while (depth-- > 0) {
		if (b.len)
			buf_puts(&b, "/");
		buf_puts(&b, (const char *)chain[depth]->name);
	}
	return buf_take(&b);
}

/* The element's text with white space trimmed and runs of it made one space. */
static char *text_of(const xmlNode *n)
{
	xmlChar *raw = xmlNodeGetContent(n);
	struct buf b = {0};
	bool space = false;
	for (const unsigned char *p = raw; p && *p; p++) {
		if (isspace(*p)) {
			space = b.len > 0;
			continue;
		}
		if (space)
			buf_puts(&b, " ");
		space = false;
		buf_append(&b, p, 1);
	}
	xmlFree(raw);
	return buf_take(&b);
}

static int bad(struct reader *r, const xmlNode *n, const char *fmt, ...) PRINTF_LIKE(3, 4);
static int bad(struct reader *r, const xmlNode *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	char *where = path_of(n);
	gerr_set(r->err, "line %ld: %s: %s", xmlGetLineNo(n), where, msg);
	free(where);
	return -1;
}

static void found(struct reader *r, enum invoice_field f, const xmlNode *n)
{
	char *where = path_of(n);
	invoice_found_set(r->inv, f, FOUND_FA3, where, 0);
	free(where);
}

/* ---- typed values ----------------------------------------------------------------------- */

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* -?digits(.digits{1,max})? — the shape of FA(3)'s decimal types. */
static bool decimal_shape(const char *s, int max_decimals)
{
	const char *p = s + (*s == '-');
	size_t whole = strspn(p, "0123456789");
	if (whole == 0)
		return false;
	p += whole;
	if (*p == '\0')
		return true;
	size_t frac = strspn(p + 1, "0123456789");
	return *p == '.' && frac >= 1 && frac <= (size_t)max_decimals && p[1 + frac] == '\0';
}

static int take_date(struct reader *r, const xmlNode *n, invoice_date out)
{
	char *t = text_of(n);
	int rc = 0;
	if (invoice_date_ok(t))
		memcpy(out, t, INVOICE_DATE_LEN + 1);
	else
		rc = bad(r, n, "\"%s\" is not a date (YYYY-MM-DD)", t);
	free(t);
	return rc;
}

static int take_amount(struct reader *r, const xmlNode *n, int exponent, int64_t *out)
{
	char *t = text_of(n);
	struct gerr e;
	int rc = 0;
	if (!decimal_shape(t, 2))
		rc = bad(r, n, "\"%s\" is not an FA(3) amount", t);
	else if (money_parse(t, '.', exponent, out, &e) < 0)
		rc = bad(r, n, "%s", e.msg);
	free(t);
	return rc;
}

/* A text field: the element's text, which must be neither empty nor longer than any
 * FA(3) text type allows. */
static int take_text(struct reader *r, const xmlNode *n, char **out)
{
	char *t = text_of(n);
	size_t len = strlen(t);
	free(t);
	if (len == 0 || len > FA3_MAX_TEXT)
		return bad(r, n, len ? "%zu bytes of text, more than FA(3) allows" : "empty", len);
	t = text_of(n);
	free(*out);
	*out = t;
	return 0;
}

/* An FA(3) choice flag (TWybor1_2): 1 or 2; returns the digit or -1. */
static int take_flag(struct reader *r, const xmlNode *n)
{
	char *t = text_of(n);
	int v = strcmp(t, "1") == 0 ? 1 : strcmp(t, "2") == 0 ? 2 : -1;
	if (v < 0)
		bad(r, n, "\"%s\" is neither 1 nor 2", t);
	free(t);
	return v;
}

static xmlNode *required(struct reader *r, const xmlNode *from, const char *path)
{
	xmlNode *n = find(from, path);
	if (!n) {
		char *where = path_of(from);
		gerr_set(r->err, "line %ld: %s%s%s: missing (FA(3) requires it)", xmlGetLineNo(from),
			 where, *where ? "/" : "", path);
		free(where);
	}
	return n;
}

/* ---- the header: is this FA(3)? ----------------------------------------------------------- */

static int check_form(const xmlNode *root, struct gerr *err)
{
	if (!root->ns || !root->ns->href)
		return gerr_set(err, "root element <%s> has no namespace: not an FA(3) invoice "
				"(namespace %s)", root->name, NS);
	if (strcmp((const char *)root->name, "Faktura") != 0 ||
	    strcmp((const char *)root->ns->href, NS) != 0)
		return gerr_set(err, "root element <%s> in namespace %s: not an FA(3) invoice "
				"(<Faktura> in %s)", root->name, root->ns->href, NS);
	xmlNode *code = find(root, "Naglowek/KodFormularza");
	xmlChar *system = code ? xmlGetProp(code, (const xmlChar *)"kodSystemowy") : NULL;
	int rc = 0;
	if (!system || strcmp((const char *)system, "FA (3)") != 0)
		rc = gerr_set(err, "line %ld: Naglowek/KodFormularza: kodSystemowy \"%s\", not \"FA (3)\"",
			      code ? xmlGetLineNo(code) : xmlGetLineNo(root),
			      system ? (const char *)system : "(missing)");
	xmlFree(system);
	return rc;
}

/* ---- parties ------------------------------------------------------------------------------ */

struct party_fields {
	enum invoice_field name, nip, foreign_id, address;
};

static int take_nip(struct reader *r, const xmlNode *n, struct invoice_party *p)
{
	char *t = text_of(n);
	int rc = 0;
	if (strlen(t) == NIP_LEN && all_digits(t, NIP_LEN))
		memcpy(p->nip, t, NIP_LEN + 1);
	else
		rc = bad(r, n, "\"%s\" is not a NIP (ten digits)", t);
	free(t);
	return rc;
}

/* EU VAT number (KodUE + NrVatUE) or another tax id ([KodKraju] NrID). */
static int take_foreign_id(struct reader *r, const xmlNode *ids, struct invoice_party *p,
			   const struct party_fields *pf)
{
	xmlNode *eu = xml_child(ids, NS, "NrVatUE"), *other = xml_child(ids, NS, "NrID");
	xmlNode *id = eu ? eu : other;
	if (!id)
		return 0;
	xmlNode *country = xml_child(ids, NS, eu ? "KodUE" : "KodKraju");
	char *number = text_of(id), *cc = country ? text_of(country) : xstrdup("");
	free(p->foreign_id);
	p->foreign_id = xasprintf("%s%s%s", cc, *cc && !eu ? " " : "", number);
	found(r, pf->foreign_id, id);
	free(number);
	free(cc);
	return 0;
}

static void take_address(struct reader *r, const xmlNode *adres, struct invoice_party *p,
			 enum invoice_field f)
{
	xmlNode *cc = xml_child(adres, NS, "KodKraju"), *l1 = xml_child(adres, NS, "AdresL1"),
		*l2 = xml_child(adres, NS, "AdresL2");
	char *a = l1 ? text_of(l1) : xstrdup(""), *b = l2 ? text_of(l2) : xstrdup("");
	p->address = xasprintf("%s%s%s", a, *a && *b ? ", " : "", b);
	p->country = cc ? text_of(cc) : NULL;
	free(a);
	free(b);
	if (!*p->address && !(p->country && *p->country)) { /* an empty <Adres>: nothing found */
		free(p->address);
		free(p->country);
		p->address = p->country = NULL;
		return;
	}
	found(r, f, adres);
}

static int take_party(struct reader *r, const xmlNode *podmiot, struct invoice_party *p,
		      const struct party_fields *pf)
{
	xmlNode *ids = xml_child(podmiot, NS, "DaneIdentyfikacyjne"), *n;
	if (!ids)
		return required(r, podmiot, "DaneIdentyfikacyjne") ? 0 : -1;
	if ((n = xml_child(ids, NS, "NIP"))) {
		if (take_nip(r, n, p) < 0)
			return -1;
		found(r, pf->nip, n);
	}
	if (take_foreign_id(r, ids, p, pf) < 0)
		return -1;
	if ((n = xml_child(ids, NS, "Nazwa"))) {
		if (take_text(r, n, &p->name) < 0)
			return -1;
		found(r, pf->name, n);
	}
	if ((n = xml_child(podmiot, NS, "Adres")))
		take_address(r, n, p, pf->address);
	return 0;
}

static int read_parties(struct reader *r, const xmlNode *root)
{
	static const struct party_fields seller = {INV_SELLER_NAME, INV_SELLER_NIP,
						   INV_SELLER_FOREIGN_ID, INV_SELLER_ADDRESS};
	static const struct party_fields buyer = {INV_BUYER_NAME, INV_BUYER_NIP,
						  INV_BUYER_FOREIGN_ID, INV_BUYER_ADDRESS};
	xmlNode *p1 = required(r, root, "Podmiot1"), *p2 = p1 ? required(r, root, "Podmiot2") : NULL;
	if (!p2 || take_party(r, p1, &r->inv->seller, &seller) < 0 ||
	    take_party(r, p2, &r->inv->buyer, &buyer) < 0)
		return -1;
	if (!invoice_has(r->inv, INV_SELLER_NIP))
		return required(r, p1, "DaneIdentyfikacyjne/NIP") ? 0 : -1;
	return 0;
}

/* ---- number, kind, dates -------------------------------------------------------------------- */

static int read_kind(struct reader *r)
{
	static const struct { const char *code; enum invoice_kind kind; } kinds[] = {
		{"VAT", INVOICE_VAT}, {"KOR", INVOICE_CORRECTION}, {"ZAL", INVOICE_ADVANCE},
		{"ROZ", INVOICE_SETTLEMENT}, {"UPR", INVOICE_SIMPLIFIED},
		{"KOR_ZAL", INVOICE_ADVANCE_CORRECTION}, {"KOR_ROZ", INVOICE_SETTLEMENT_CORRECTION},
	};
	xmlNode *n = required(r, r->fa, "RodzajFaktury");
	if (!n)
		return -1;
	char *t = text_of(n);
	for (size_t i = 0; i < ARRAY_LEN(kinds); i++)
		if (strcmp(t, kinds[i].code) == 0) {
			r->inv->kind = kinds[i].kind;
			found(r, INV_KIND, n);
		}
	int rc = invoice_has(r->inv, INV_KIND) ? 0 : bad(r, n, "unknown kind \"%s\"", t);
	free(t);
	return rc;
}

/* The value every line gives in `element` (P_6A, KursWaluty) when they all give the same
 * one: *where is the last line's element; both NULL otherwise. */
static void common_line_value(struct reader *r, const char *element, xmlNode **where, char **value)
{
	*where = NULL;
	*value = NULL;
	for (xmlNode *line = xml_child(r->fa, NS, "FaWiersz"); line; line = xml_next_same(line)) {
		xmlNode *n = xml_child(line, NS, element);
		char *t = n ? text_of(n) : NULL;
		bool same = t && (!*value || strcmp(t, *value) == 0);
		if (!same) {
			free(t);
			free(*value);
			*value = NULL;
			*where = NULL;
			return;
		}
		free(*value);
		*value = t;
		*where = n;
	}
}

static int read_sale_date(struct reader *r)
{
	xmlNode *n = xml_child(r->fa, NS, "P_6");
	char *common = NULL;
	if (!n)
		common_line_value(r, "P_6A", &n, &common);
	free(common);
	if (n) {
		if (take_date(r, n, r->inv->sale_date) < 0)
			return -1;
		found(r, INV_SALE_DATE, n);
	}
	xmlNode *period = xml_child(r->fa, NS, "OkresFa");
	if (period) {
		xmlNode *from = required(r, period, "P_6_Od"), *to = from ? required(r, period, "P_6_Do") : NULL;
		if (!to || take_date(r, from, r->inv->period_from) < 0 ||
		    take_date(r, to, r->inv->period_to) < 0)
			return -1;
		found(r, INV_PERIOD, period);
	}
	return 0;
}

static int read_identity(struct reader *r)
{
	xmlNode *number = required(r, r->fa, "P_2"), *issued = number ? required(r, r->fa, "P_1") : NULL;
	if (!issued || take_text(r, number, &r->inv->number) < 0 ||
	    take_date(r, issued, r->inv->issue_date) < 0)
		return -1;
	found(r, INV_NUMBER, number);
	found(r, INV_ISSUE_DATE, issued);
	return read_kind(r) < 0 || read_sale_date(r) < 0 ? -1 : 0;
}

/* ---- amounts ------------------------------------------------------------------------------ */

static int read_currency(struct reader *r)
{
	xmlNode *n = required(r, r->fa, "KodWaluty");
	if (!n)
		return -1;
	char *t = text_of(n);
	int rc = 0;
	if (strlen(t) == 3 && isupper((unsigned char)t[0]) && isupper((unsigned char)t[1]) &&
	    isupper((unsigned char)t[2])) {
		memcpy(r->inv->currency, t, 4);
		r->exponent = currency_exponent(t);
		found(r, INV_CURRENCY, n);
	} else {
		rc = bad(r, n, "\"%s\" is not a currency code", t);
	}
	free(t);
	return rc;
}

static bool foreign(const struct reader *r)
{
	return strcmp(r->inv->currency, "PLN") != 0;
}

/* One VAT group: its net element, and its VAT and VAT-in-PLN elements if it has them. */
static int read_group(struct reader *r, enum vat_group g, const char *net, const char *vat,
		      const char *vat_pln)
{
	xmlNode *n = xml_child(r->fa, NS, net);
	if (!n)
		return 0;
	struct invoice_rate *rate = invoice_add_rate(r->inv);
	rate->group = g;
	if (take_amount(r, n, r->exponent, &rate->net) < 0)
		return -1;
	xmlNode *v = vat ? xml_child(r->fa, NS, vat) : NULL;
	if (v && take_amount(r, v, r->exponent, &rate->vat) < 0)
		return -1;
	rate->has_vat = v != NULL;
	xmlNode *w = vat_pln && foreign(r) ? xml_child(r->fa, NS, vat_pln) : NULL;
	if (w && take_amount(r, w, 2, &rate->vat_pln) < 0)
		return -1;
	rate->has_vat_pln = w != NULL;
	return 0;
}

static int read_groups(struct reader *r)
{
	static const struct { enum vat_group g; const char *net, *vat, *vat_pln; } groups[] = {
		{VAT_STANDARD, "P_13_1", "P_14_1", "P_14_1W"},
		{VAT_REDUCED_1, "P_13_2", "P_14_2", "P_14_2W"},
		{VAT_REDUCED_2, "P_13_3", "P_14_3", "P_14_3W"},
		{VAT_TAXI_FLAT, "P_13_4", "P_14_4", "P_14_4W"},
		{VAT_OSS, "P_13_5", "P_14_5", NULL},
		{VAT_ZERO_DOMESTIC, "P_13_6_1", NULL, NULL},
		{VAT_ZERO_INTRA_EU, "P_13_6_2", NULL, NULL},
		{VAT_ZERO_EXPORT, "P_13_6_3", NULL, NULL},
		{VAT_EXEMPT, "P_13_7", NULL, NULL},
		{VAT_OUTSIDE_COUNTRY, "P_13_8", NULL, NULL},
		{VAT_EU_SERVICES, "P_13_9", NULL, NULL},
		{VAT_REVERSE_CHARGE, "P_13_10", NULL, NULL},
		{VAT_MARGIN, "P_13_11", NULL, NULL},
	};
	for (size_t i = 0; i < ARRAY_LEN(groups); i++)
		if (read_group(r, groups[i].g, groups[i].net, groups[i].vat, groups[i].vat_pln) < 0)
			return -1;
	return 0;
}

/* net and vat: the sums over the groups; vat_pln: the sum of the groups' VAT in PLN. Each
 * group's amount has up to 18 digits, so ten of them can pass the range of int64: such
 * an invoice is refused rather than given a sum that wrapped round (undefined in C). */
static int sum_groups(struct reader *r)
{
	struct invoice *inv = r->inv;
	bool any_vat = false, any_pln = false;
	for (size_t i = 0; i < inv->nrates; i++) {
		const struct invoice_rate *g = &inv->rates[i];
		if (__builtin_add_overflow(inv->net, g->net, &inv->net) ||
		    __builtin_add_overflow(inv->vat, g->has_vat ? g->vat : 0, &inv->vat) ||
		    __builtin_add_overflow(inv->vat_pln, g->has_vat_pln ? g->vat_pln : 0, &inv->vat_pln))
			return bad(r, r->fa, "the sum of the VAT groups' amounts (P_13_*, P_14_*) "
				   "does not fit in 64 bits");
		any_vat |= g->has_vat;
		any_pln |= g->has_vat_pln;
	}
	if (inv->nrates == 0)
		return 0;
	invoice_found_set(inv, INV_RATES, FOUND_FA3, "Fa/P_13_*", 0);
	invoice_found_set(inv, INV_NET, FOUND_FA3, "Fa/P_13_* (sum)", 0);
	if (any_vat)
		invoice_found_set(inv, INV_VAT, FOUND_FA3, "Fa/P_14_* (sum)", 0);
	if (any_pln)
		invoice_found_set(inv, INV_VAT_PLN, FOUND_FA3, "Fa/P_14_*W (sum)", 0);
	return 0;
}

static int read_exchange_rate(struct reader *r)
{
	xmlNode *n = xml_child(r->fa, NS, "KursWalutyZ");
	char *common = NULL;
	if (!foreign(r))
		return 0;
	if (!n)
		common_line_value(r, "KursWaluty", &n, &common);
	free(common);
	if (!n)
		return 0;
	char *t = text_of(n);
	int rc = 0;
	if (decimal_shape(t, 6)) {
		r->inv->exchange_rate = t;
		found(r, INV_EXCHANGE_RATE, n);
	} else {
		rc = bad(r, n, "\"%s\" is not an exchange rate", t);
		free(t);
	}
	return rc;
}

static int read_amounts(struct reader *r)
{
	xmlNode *gross;
	if (read_currency(r) < 0 || read_groups(r) < 0 || !(gross = required(r, r->fa, "P_15")) ||
	    take_amount(r, gross, r->exponent, &r->inv->gross) < 0)
		return -1;
	found(r, INV_GROSS, gross);
	if (sum_groups(r) < 0)
		return -1;
	return read_exchange_rate(r);
}

/* ---- payment -------------------------------------------------------------------------------- */

static int read_form(struct reader *r, const xmlNode *pay)
{
	xmlNode *form = xml_child(pay, NS, "FormaPlatnosci"), *other = xml_child(pay, NS, "PlatnoscInna");
	if (form) {
		char *t = text_of(form);
		int rc = 0;
		if (strlen(t) == 1 && t[0] >= '1' && t[0] <= '7') {
			r->inv->payment_form = (enum payment_form)(t[0] - '0');
			found(r, INV_PAYMENT_FORM, form);
		} else {
			rc = bad(r, form, "unknown payment form \"%s\"", t);
		}
		free(t);
		return rc;
	}
	if (other) {
		xmlNode *note = xml_child(pay, NS, "OpisPlatnosci");
		r->inv->payment_form = PAYMENT_OTHER;
		r->inv->payment_note = note ? text_of(note) : NULL;
		found(r, INV_PAYMENT_FORM, other);
	}
	return 0;
}

static int read_paid(struct reader *r, const xmlNode *pay)
{
	xmlNode *paid = xml_child(pay, NS, "Zaplacono"), *partial = xml_child(pay, NS, "ZnacznikZaplatyCzesciowej");
	if (paid) {
		xmlNode *date = xml_child(pay, NS, "DataZaplaty");
		r->inv->paid = true;
		if (date && take_date(r, date, r->inv->paid_date) < 0)
			return -1;
		found(r, INV_PAID, paid);
	} else if (partial) {
		int flag = take_flag(r, partial);
		if (flag < 0)
			return -1;
		/* 1: paid in part; 2: paid in full, in parts (the last date is when). */
		r->inv->partly_paid = flag == 1;
		r->inv->paid = flag == 2;
		for (xmlNode *part = xml_child(pay, NS, "ZaplataCzesciowa"); part && flag == 2;
		     part = xml_next_same(part)) {
			xmlNode *date = xml_child(part, NS, "DataZaplatyCzesciowej");
			invoice_date d = "";
			if (date && take_date(r, date, d) < 0)
				return -1;
			if (strcmp(d, r->inv->paid_date) > 0)
				memcpy(r->inv->paid_date, d, sizeof(d));
		}
		found(r, INV_PAID, partial);
	}
	return 0;
}

static int read_due_dates(struct reader *r, const xmlNode *pay)
{
	xmlNode *first = NULL;
	for (xmlNode *t = xml_child(pay, NS, "TerminPlatnosci"); t && r->inv->ndue_dates < FA3_MAX_LIST;
	     t = xml_next_same(t)) {
		xmlNode *date = xml_child(t, NS, "Termin");
		if (!date)
			continue;
		if (take_date(r, date, *invoice_add_due_date(r->inv)) < 0)
			return -1;
		if (!first)
			first = date;
	}
	if (first)
		found(r, INV_DUE_DATE, first);
	return 0;
}

static int read_accounts(struct reader *r, const xmlNode *pay, const char *element, bool factor)
{
	for (xmlNode *acc = xml_child(pay, NS, element); acc && r->inv->naccounts < FA3_MAX_LIST;
	     acc = xml_next_same(acc)) {
		xmlNode *nr = required(r, acc, "NrRB"), *bank = xml_child(acc, NS, "NazwaBanku");
		if (!nr)
			return -1;
		struct invoice_account *a = invoice_add_account(r->inv);
		char *written = text_of(nr);
		char compact[IBAN_MAX_LEN + 1];
		if (account_normalise(written, compact)) {
			a->number = xstrdup(compact);
			free(written);
		} else {
			a->number = written;
		}
		a->checksum_ok = iban_valid(a->number);
		a->bank = bank ? text_of(bank) : NULL;
		a->factor = factor;
		if (!invoice_has(r->inv, INV_SELLER_ACCOUNTS))
			found(r, INV_SELLER_ACCOUNTS, acc);
	}
	return 0;
}

static int read_payment(struct reader *r)
{
	xmlNode *pay = xml_child(r->fa, NS, "Platnosc");
	if (!pay)
		return 0;
	if (read_form(r, pay) < 0 || read_paid(r, pay) < 0 || read_due_dates(r, pay) < 0 ||
	    read_accounts(r, pay, "RachunekBankowy", false) < 0 ||
	    read_accounts(r, pay, "RachunekBankowyFaktora", true) < 0)
		return -1;
	return 0;
}

static int read_split_payment(struct reader *r)
{
	xmlNode *n = find(r->fa, "Adnotacje/P_18A");
	int flag = n ? take_flag(r, n) : 0;
	if (flag < 0)
		return -1;
	if (n) {
		r->inv->split_payment = flag == 1;
		found(r, INV_SPLIT_PAYMENT, n);
	}
	return 0;
}

/* ---- other invoices this one refers to --------------------------------------------------------- */

static void take_optional_text(const xmlNode *parent, const char *name, char **out)
{
	xmlNode *n = xml_child(parent, NS, name);
	if (n)
		*out = text_of(n);
}

static int read_corrected(struct reader *r)
{
	xmlNode *first = xml_child(r->fa, NS, "DaneFaKorygowanej");
	for (xmlNode *d = first; d && r->inv->ncorrects < FA3_MAX_LIST; d = xml_next_same(d)) {
		struct invoice_ref *ref = invoice_add_ref(&r->inv->corrects, &r->inv->ncorrects);
		xmlNode *date = xml_child(d, NS, "DataWystFaKorygowanej");
		take_optional_text(d, "NrFaKorygowanej", &ref->number);
		take_optional_text(d, "NrKSeFFaKorygowanej", &ref->ksef_number);
		if (date && take_date(r, date, ref->issue_date) < 0)
			return -1;
	}
	if (first)
		found(r, INV_CORRECTS, first);
	return 0;
}

static void read_advances(struct reader *r)
{
	xmlNode *first = xml_child(r->fa, NS, "FakturaZaliczkowa");
	for (xmlNode *z = first; z && r->inv->nadvances < FA3_MAX_LIST; z = xml_next_same(z)) {
		struct invoice_ref *ref = invoice_add_ref(&r->inv->advances, &r->inv->nadvances);
		take_optional_text(z, "NrFaZaliczkowej", &ref->number);
		take_optional_text(z, "NrKSeFFaZaliczkowej", &ref->ksef_number);
	}
	if (first)
		found(r, INV_ADVANCES, first);
}

/* ---- the whole -------------------------------------------------------------------------------- */

static int read_invoice(struct reader *r, const xmlNode *root)
{
	if (check_form(root, r->err) < 0 || read_parties(r, root) < 0 ||
	    !(r->fa = required(r, root, "Fa")) || read_identity(r) < 0 || read_amounts(r) < 0 ||
	    read_payment(r) < 0 || read_split_payment(r) < 0 || read_corrected(r) < 0)
		return -1;
	read_advances(r);
	return 0;
}

int fa3_read(const void *xml, size_t len, struct invoice *inv, struct gerr *err)
{
	memset(inv, 0, sizeof(*inv));
	xmlDocPtr doc = xml_parse_untrusted(xml, len, FA3_MAX_BYTES, err);
	if (!doc)
		return -1;
	struct reader r = {.inv = inv, .err = err, .exponent = 2};
	int rc = read_invoice(&r, xmlDocGetRootElement(doc));
	xmlFreeDoc(doc);
	if (rc < 0)
		invoice_free(inv);
	return rc;
}
