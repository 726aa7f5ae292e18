/* invpdf — see invpdf.h. */
#include "formats/invpdf.h"

#include <stdlib.h>
#include <string.h>

#include "core/money.h"

/* Mark a field found by the rule of a hit, unless the invoice had it already. */
static bool take(struct invoice *inv, enum invoice_field f, const struct inv_hit *h)
{
	if (!h->found || invoice_has(inv, f))
		return false;
	invoice_found_set(inv, f, FOUND_RULE, h->rule, h->page);
	return true;
}

static void fill_strings(struct invoice *inv, const struct inv_reading *r)
{
	if (take(inv, INV_NUMBER, &r->f[TF_NUMBER]))
		inv->number = xstrdup(r->f[TF_NUMBER].value);
	if (take(inv, INV_KSEF_NUMBER, &r->f[TF_KSEF_NUMBER]))
		inv->ksef_number = xstrdup(r->f[TF_KSEF_NUMBER].value);
	if (take(inv, INV_VERIFY_URL, &r->f[TF_VERIFY_URL]))
		inv->verify_url = xstrdup(r->f[TF_VERIFY_URL].value);
	if (take(inv, INV_ISSUE_DATE, &r->f[TF_ISSUE_DATE]))
		memcpy(inv->issue_date, r->f[TF_ISSUE_DATE].value, INVOICE_DATE_LEN + 1);
	if (take(inv, INV_SALE_DATE, &r->f[TF_SALE_DATE]))
		memcpy(inv->sale_date, r->f[TF_SALE_DATE].value, INVOICE_DATE_LEN + 1);
	if (take(inv, INV_DUE_DATE, &r->f[TF_DUE_DATE]))
		memcpy(*invoice_add_due_date(inv), r->f[TF_DUE_DATE].value, INVOICE_DATE_LEN + 1);
	if (take(inv, INV_SELLER_NIP, &r->f[TF_SELLER_NIP]))
		memcpy(inv->seller.nip, r->f[TF_SELLER_NIP].value, NIP_LEN + 1);
	if (take(inv, INV_BUYER_NIP, &r->f[TF_BUYER_NIP]))
		memcpy(inv->buyer.nip, r->f[TF_BUYER_NIP].value, NIP_LEN + 1);
	if (take(inv, INV_SELLER_ACCOUNTS, &r->f[TF_ACCOUNT])) {
		struct invoice_account *a = invoice_add_account(inv);
		a->number = xstrdup(r->f[TF_ACCOUNT].value);
		a->checksum_ok = true;
	}
	if (take(inv, INV_SPLIT_PAYMENT, &r->f[TF_SPLIT_PAYMENT]))
		inv->split_payment = strcmp(r->f[TF_SPLIT_PAYMENT].value, "true") == 0;
	if (strcmp(r->f[TF_KIND].value, "correction") == 0 && take(inv, INV_KIND, &r->f[TF_KIND]))
		inv->kind = INVOICE_CORRECTION;
}

/* Amounts read from text are in two-decimal units; they go in only where they fit what
 * the invoice says already. */
static void fill_amounts(struct invoice *inv, const struct inv_reading *r)
{
	if (take(inv, INV_CURRENCY, &r->f[TF_CURRENCY]))
		memcpy(inv->currency, r->f[TF_CURRENCY].value, 4);
	if (invoice_has(inv, INV_CURRENCY) && currency_exponent(inv->currency) != 2)
		return;
	const struct inv_hit *n = &r->f[TF_NET], *v = &r->f[TF_VAT], *g = &r->f[TF_GROSS];
	bool fits = !(invoice_has(inv, INV_GROSS) && n->found && v->found &&
		      n->amount + v->amount != inv->gross);
	if (take(inv, INV_GROSS, g))
		inv->gross = g->amount;
	if (fits && take(inv, INV_NET, n))
		inv->net = n->amount;
	if (fits && take(inv, INV_VAT, v))
		inv->vat = v->amount;
}

void invpdf_fill(struct invoice *inv, const struct inv_reading *r)
{
	fill_strings(inv, r);
	fill_amounts(inv, r);
}

int invpdf_read(const char *path, const struct inv_rules *rs, const struct pdftext_limits *lim,
		struct invoice *inv, struct pdftext *text, struct gerr *err)
{
	struct pdftext t;
	if (pdftext_read(path, lim, &t, err) != 0)
		return -1;
	if (t.status == PDFTEXT_OK) {
		struct inv_reading r;
		inv_rules_read_codes(rs, t.text, t.codes, t.ncodes, &r);
		invpdf_fill(inv, &r);
	} else if (t.status == PDFTEXT_NO_TEXT) {
		inv->text = INVOICE_TEXT_NONE;
		invoice_found_set(inv, INV_TEXT, FOUND_RULE, "pdf-text", 0);
	} else if (!inv->error) {
		inv->error = xasprintf("the PDF's text could not be read: %s", t.why);
	}
	if (text)
		*text = t;
	else
		pdftext_free(&t);
	return 0;
}
