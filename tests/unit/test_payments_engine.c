/* test_payments_engine — the matching rules as a table of test vectors: every rule and
 * edge of ../shared/reference/bank.md §6.3–6.4 (titles from the real sample files, the
 * complaints of other tools' users as regression cases) and of issue 17.
 *
 * A vector lists invoices, transactions (decided in date order) and, per transaction,
 * the state, rule and what it pays ("NUMBER=AMOUNT;..."). Corrections are folded into the
 * invoice they correct the way the ledger does it (gross + correction, correction no item
 * of its own). */
#include "testutil.h"

/* The table below leaves out what a vector does not need. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "core/money.h"
#include "payments/engine.h"

struct vinv {
	const char *number;
	char dir;                /* 's' sales (we sold: buyer pays us), 'p' purchase */
	const char *name, *nip, *account;
	const char *gross;
	const char *corrects;    /* a correction of this number */
	bool closed;
	const char *paid_outside;
	const char *due;
	const char *currency;    /* NULL: PLN */
};

struct vtx {
	const char *date, *amount, *title, *name, *account;
	bool skip;
	const char *currency;
};

struct vexp {
	const char *state;
	const char *rule;        /* NULL: no match */
	const char *pays;        /* "1/2007=100.00;2/2007=50.00" */
	const char *candidates;  /* for a person: "A;B" (all of them, in any order) */
};

struct vdec {
	int tx;                  /* index into the vector's transactions */
	const char *number;      /* NULL for a dismissal */
	enum pm_decision_kind kind;
};

struct vector {
	const char *name;
	bool partial;
	struct vinv inv[8];
	struct vtx tx[6];
	struct vexp exp[6];
	struct vdec dec[4];
};

#define ACME_NIP "5260250274"
#define NINE_TIMES_8 "9/2026 9/2026 9/2026 9/2026 9/2026 9/2026 9/2026 9/2026 "
#define NINE_TIMES_31 NINE_TIMES_8 NINE_TIMES_8 NINE_TIMES_8 "9/2026 9/2026 9/2026 9/2026 9/2026 9/2026 9/2026 "

static const struct vector vectors[] = {
	/* ---- the invoice number as a whole token (bank.md §6.4, file 1; §6.1 rule 2) ---- */
	{"exact length: NR  1/2007 pays 1/2007, not 10/2007", false,
	 {{"1/2007", 's', "Alfa", NULL, NULL, "100.00"}, {"10/2007", 's', "Beta", NULL, NULL, "100.00"}},
	 {{"2007-03-01", "100.00", "ZAPŁATA ZA FAKTURĘ NR  1/2007"}},
	 {{"matched", "number", "1/2007=100.00"}}},
	{"1/2007 is not in FV 11/2007", false,
	 {{"1/2007", 's', "Alfa", NULL, NULL, "100.00"}},
	 {{"2007-03-01", "100.00", "FV 11/2007"}},
	 {{"unmatched"}}},
	{"1/2007 is not in 1/20071", false,
	 {{"1/2007", 's', "Alfa", NULL, NULL, "100.00"}},
	 {{"2007-03-01", "100.00", "zapłata 1/20071"}},
	 {{"unmatched"}}},
	{"a slash glued before the number blocks it", false,
	 {{"FV1/2026", 's', "Alfa", NULL, NULL, "100.00"}},
	 {{"2026-03-01", "100.00", "ZAPLATA 2026/FV1/2026"}},
	 {{"unmatched"}}},
	{"a slash glued after the number blocks it", false,
	 {{"FV1/2026", 's', "Alfa", NULL, NULL, "100.00"}},
	 {{"2026-03-01", "100.00", "ZAPLATA FV1/2026/"}},
	 {{"unmatched"}}},
	{"FV, nr, Faktura and case do not matter", false,
	 {{"FV 12/2026", 's', "Alfa", NULL, NULL, "100.00"}},
	 {{"2026-03-01", "100.00", "faktura nr 12/2026 dziękuję"}},
	 {{"matched", "number", "FV 12/2026=100.00"}}},
	{"FAKTURA NR 129/09/2007 pays 129/09/2007, not 09/2007 (file 1)", false,
	 {{"129/09/2007", 's', "Alfa", NULL, NULL, "80.00"}, {"09/2007", 's', "Beta", NULL, NULL, "80.00"}},
	 {{"2007-09-10", "80.00", "FAKTURA NR 129/09/2007"}},
	 {{"matched", "number", "129/09/2007=80.00"}}},
	{"FAKTURA V AT 2007/101: the number intact despite the wrapped word (file 1)", false,
	 {{"2007/101", 's', "Alfa", NULL, NULL, "15.00"}},
	 {{"2007-05-10", "15.00", "FAKTURA V AT 2007/101"}},
	 {{"matched", "number", "2007/101=15.00"}}},
	{"FVT 2368/ and 2989284/2006 joined without a separator (file 4)", false,
	 {{"FVT 2368/2989284/2006", 'p', "Gamma", NULL, NULL, "1200.00"}},
	 {{"2006-11-20", "-1200.00", "FVT 2368/2989284/2006"}},
	 {{"matched", "number", "FVT 2368/2989284/2006=1200.00"}}},
	{"210/F0997 is not 210F0997: the counterparty's name and amount decide (file 2)", false,
	 {{"210F0997", 's', "Hurtownia Kowalski Sp. z o.o.", NULL, NULL, "410.00"}},
	 {{"2010-02-01", "410.00", "210/F0997", "HURTOWNIA KOWALSKI SPOLKA Z O.O."}},
	 {{"matched", "counterparty-amount", "210F0997=410.00"}}},
	{"two invoices minus a correction named in one title go to a person (file 2)", false,
	 {{"210F1033", 's', "Delta", NULL, NULL, "1000.00"}, {"210F0995", 's', "Delta", NULL, NULL, "500.00"},
	  {"210FK24", 's', "Delta", NULL, NULL, "-100.00", "210F1033"}},
	 {{"2010-02-01", "1400.00", "ZAPL.FV-210F1033,210F0995 MINUS FV. KORYG.210FK24"}},
	 {{"person", NULL, NULL, "210F1033;210F0995;210FK24"}}},
	{"split payment: /INV/ names the invoice, amount = gross, NIP from /IDC/", false,
	 {{"PM1253/2018", 'p', "Epsilon", "5231242681", NULL, "123.00"},
	  {"PM1254/2018", 'p', "Epsilon", "5231242681", NULL, "123.00"}},
	 {{"2018-06-01", "-123.00", "/VAT/23,00/IDC/5231242681/INV/PM1253/2018/TXT/zaplata"}},
	 {{"matched", "mpp", "PM1253/2018=123.00"}}},
	{"a fee is never matched to sales invoices (file 5)", false,
	 {{"FS 1/2025", 's', "Zeta", NULL, NULL, "1.50"}},
	 {{"2025-02-03", "-1.50", "OPŁATA PRZELEW ZEW.DOWOL.BIEŻĄCY", "MBANK"}},
	 {{"unmatched"}}},
	{"an incoming payment naming a purchase invoice does not pay it", false,
	 {{"FZ 4/2026", 'p', "Eta", NULL, NULL, "70.00"}},
	 {{"2026-03-01", "70.00", "zwrot FZ 4/2026"}},
	 {{"unmatched"}}},
	{"currencies must agree", false,
	 {{"E 1/2026", 's', "Theta", NULL, NULL, "100.00", NULL, false, NULL, NULL, "EUR"}},
	 {{"2026-03-01", "100.00", "E 1/2026"}},
	 {{"unmatched"}}},

	/* ---- the counterparty ---- */
	{"name with Polish letters and a legal form written out", false,
	 {{"S/7/2026", 's', "Przedsiębiorstwo Handlowe ŁĄCZ Sp. z o.o.", NULL, NULL, "250.00"}},
	 {{"2026-03-02", "250.00", "za towar",
	   "PRZEDSIEBIORSTWO HANDLOWE LACZ SPOLKA Z OGRANICZONA ODPOWIEDZIALNOSCIA"}},
	 {{"matched", "counterparty-amount", "S/7/2026=250.00"}}},
	{"NIP in the title (written with dashes)", false,
	 {{"S/8/2026", 's', "Iota", "5213000009", NULL, "99.99"},
	  {"S/9/2026", 's', "Kappa", "1234563218", NULL, "99.99"}},
	 {{"2026-03-02", "99.99", "NIP 521-300-00-09 zapłata"}},
	 {{"matched", "counterparty-amount", "S/8/2026=99.99"}}},
	{"the company's own NIP (split payment to us) is no counterparty", false,
	 {{"S/10/2026", 's', "Lambda", ACME_NIP, NULL, "123.00"}},
	 {{"2026-03-02", "123.00", "/VAT/23,00/IDC/" ACME_NIP "/INV/XX/TXT/x"}},
	 {{"unmatched"}}},
	{"the counterparty's account number", false,
	 {{"P/11/2026", 'p', "Mi", NULL, "PL61109010140000071219812874", "300.00"}},
	 {{"2026-03-03", "-300.00", "przelew", "", "61 1090 1014 0000 0712 1981 2874"}},
	 {{"matched", "counterparty-amount", "P/11/2026=300.00"}}},
	{"one transfer, several numbers whose open amounts add up", false,
	 {{"FV 1/2026", 's', "Ni", NULL, NULL, "100.00"}, {"FV 2/2026", 's', "Ni", NULL, NULL, "50.00"}},
	 {{"2026-03-03", "150.00", "FV 1/2026 FV 2/2026"}},
	 {{"matched", "number", "FV 1/2026=100.00;FV 2/2026=50.00"}}},
	{"one transfer, no numbers: the only set of open invoices that sums exactly", false,
	 {{"A/1", 's', "Omikron Trade", NULL, NULL, "100.00", NULL, false, NULL, "2026-01-10"},
	  {"A/2", 's', "Omikron Trade", NULL, NULL, "200.00", NULL, false, NULL, "2026-01-20"},
	  {"A/3", 's', "Omikron Trade", NULL, NULL, "350.00"}},
	 {{"2026-03-03", "300.00", "przelew", "OMIKRON TRADE"}},
	 {{"matched", "counterparty-sum", "A/1=100.00;A/2=200.00"}}},
	{"two sets that sum exactly: a person decides", false,
	 {{"B/1", 's', "Pi Group", NULL, NULL, "100.00"}, {"B/2", 's', "Pi Group", NULL, NULL, "200.00"},
	  {"B/3", 's', "Pi Group", NULL, NULL, "150.00"}, {"B/4", 's', "Pi Group", NULL, NULL, "150.00"}},
	 {{"2026-03-03", "300.00", "przelew", "PI GROUP"}},
	 {{"person", NULL, NULL, "B/1;B/2;B/3;B/4"}}},
	{"two equal candidates are never decided automatically", false,
	 {{"C/1", 's', "Rho Serwis", NULL, NULL, "100.00"}, {"C/2", 's', "Rho Serwis", NULL, NULL, "100.00"}},
	 {{"2026-03-03", "100.00", "za usługi", "RHO SERWIS"}},
	 {{"person", NULL, NULL, "C/1;C/2"}}},
	{"one number, two sellers: narrowed by the counterparty", false,
	 {{"1/2026", 'p', "Sigma Transport", "5213000009", NULL, "100.00"},
	  {"1/2026", 'p', "Tau Druk", "1234563218", NULL, "100.00"}},
	 {{"2026-03-03", "-100.00", "FV 1/2026", "TAU DRUK SP. Z O.O."}},
	 {{"matched", "number", "1/2026=100.00"}}},
	{"one number, three invoices, two of the counterparty: a person decides between those two", false,
	 {{"1/2026", 'p', "Tau Druk", "1234563218", NULL, "100.00"},
	  {"1/2026", 'p', "Tau Druk", "1234563218", NULL, "100.00"},
	  {"1/2026", 'p', "Sigma Transport", "5213000009", NULL, "100.00"}},
	 {{"2026-03-03", "-100.00", "FV 1/2026", "TAU DRUK SP. Z O.O."}},
	 {{"person", NULL, NULL, "1/2026;1/2026"}}},
	{"more numbers in the title than the engine looks at: a person decides", false,
	 {{"9/2026", 'p', "Tau Druk", "1234563218", NULL, "100.00"},
	  {"5/2026", 'p', "Sigma Transport", "5213000009", NULL, "50.00"},
	  {"5/2026", 'p', "Tau Druk", "1234563218", NULL, "50.00"}},
	 {{"2026-03-03", "-150.00", NINE_TIMES_31 "5/2026", "TAU DRUK SP. Z O.O."}},
	 {{"person", NULL, NULL, ""}}},
	{"one number, two sellers, nothing else: a person decides", false,
	 {{"1/2026", 'p', "Sigma Transport", "5213000009", NULL, "100.00"},
	  {"1/2026", 'p', "Tau Druk", "1234563218", NULL, "100.00"}},
	 {{"2026-03-03", "-100.00", "FV 1/2026"}},
	 {{"person", NULL, NULL, "1/2026;1/2026"}}},
	{"two counterparties found equally by name: a person decides", false,
	 {{"D/1", 's', "Ypsilon", NULL, NULL, "100.00"}, {"D/2", 's', "Phi", NULL, NULL, "100.00"}},
	 {{"2026-03-03", "100.00", "YPSILON PHI"}},
	 {{"person", NULL, NULL, "D/1;D/2"}}},

	/* ---- amounts: partial, over, several transfers, corrections, paid ---- */
	{"partial payment not allowed: a person decides", false,
	 {{"FV 8/2026", 's', "Chi", NULL, NULL, "100.00"}},
	 {{"2026-03-04", "60.00", "FV 8/2026"}},
	 {{"person", NULL, NULL, "FV 8/2026"}}},
	{"several transfers naming one invoice pay it together", false,
	 {{"FV 5/2026", 's', "Psi", NULL, NULL, "100.00"}},
	 {{"2026-03-04", "50.00", "FV 5/2026 rata 1"}, {"2026-03-05", "50.00", "FV 5/2026 rata 2"}},
	 {{"matched", "number-transfers", "FV 5/2026=50.00"}, {"matched", "number-transfers", "FV 5/2026=50.00"}}},
	{"partial payments allowed: they accumulate (the last pays exactly what is open)", true,
	 {{"FV 6/2026", 's', "Omega", NULL, NULL, "100.00"}},
	 {{"2026-03-04", "60.00", "FV 6/2026"}, {"2026-03-05", "40.00", "FV 6/2026"}},
	 {{"matched", "number-partial", "FV 6/2026=60.00"}, {"matched", "number", "FV 6/2026=40.00"}}},
	{"overpayment allowed: the invoice is paid, the rest reported", true,
	 {{"FV 7/2026", 's', "Alef", NULL, NULL, "100.00"}},
	 {{"2026-03-04", "120.00", "FV 7/2026"}},
	 {{"matched", "number-partial", "FV 7/2026=100.00"}}},
	{"partial by counterparty when it has one open invoice (allowed)", true,
	 {{"G/1", 's', "Bet Meble", NULL, NULL, "500.00"}},
	 {{"2026-03-04", "200.00", "zaliczka", "BET MEBLE"}},
	 {{"matched", "counterparty-partial", "G/1=200.00"}}},
	{"a correction changes what is open", false,
	 {{"FV 9/2026", 's', "Gimel", NULL, NULL, "100.00"},
	  {"FK 1/2026", 's', "Gimel", NULL, NULL, "-20.00", "FV 9/2026"}},
	 {{"2026-03-04", "80.00", "FV 9/2026"}},
	 {{"matched", "number", "FV 9/2026=80.00"}}},
	{"an invoice paid already takes nothing more: a person looks", false,
	 {{"FV 10/2026", 's', "Dalet", NULL, NULL, "100.00", NULL, true}},
	 {{"2026-03-04", "100.00", "FV 10/2026"}},
	 {{"person", NULL, NULL, "FV 10/2026"}}},
	{"paid in part outside the bank (register): the rest is open", false,
	 {{"FV 11/2026", 's', "He", NULL, NULL, "100.00", NULL, false, "30.00"}},
	 {{"2026-03-04", "70.00", "FV 11/2026"}},
	 {{"matched", "number", "FV 11/2026=70.00"}}},
	{"the second identical transfer finds the invoice paid (same title twice)", false,
	 {{"FV 12/2026", 's', "Waw", NULL, NULL, "100.00"}},
	 {{"2026-03-04", "100.00", "FV 12/2026"}, {"2026-03-04", "100.00", "FV 12/2026 "}},
	 {{"matched", "number", "FV 12/2026=100.00"}, {"person", NULL, NULL, "FV 12/2026"}}},
	{"a pending transaction is not matched", false,
	 {{"FV 13/2026", 's', "Zajin", NULL, NULL, "100.00"}},
	 {{"2026-03-04", "100.00", "FV 13/2026", NULL, NULL, true}},
	 {{"skipped"}}},

	/* ---- a person's decisions ---- */
	{"a person's pair wins over the title", false,
	 {{"FV 14/2026", 's', "Chet", NULL, NULL, "100.00"}, {"FV 15/2026", 's', "Chet", NULL, NULL, "100.00"}},
	 {{"2026-03-04", "100.00", "FV 14/2026"}},
	 {{"matched", "person", "FV 15/2026=100.00"}},
	 {{0, "FV 15/2026", PM_PAIR}}},
	{"a person's pair goes first: the open amount is the pair's", false,
	 {{"FV 16/2026", 's', "Tet", NULL, NULL, "100.00"}},
	 {{"2026-03-01", "100.00", "FV 16/2026"}, {"2026-03-02", "100.00", "wplata"}},
	 {{"person", NULL, NULL, "FV 16/2026"}, {"matched", "person", "FV 16/2026=100.00"}},
	 {{1, "FV 16/2026", PM_PAIR}}},
	{"a rejected invoice is not proposed again", false,
	 {{"FV 17/2026", 's', "Jod", NULL, NULL, "100.00"}},
	 {{"2026-03-04", "100.00", "FV 17/2026"}},
	 {{"unmatched"}},
	 {{0, "FV 17/2026", PM_REJECT}}},
	{"a dismissed transaction pays nothing", false,
	 {{"FV 18/2026", 's', "Kaf", NULL, NULL, "100.00"}},
	 {{"2026-03-04", "100.00", "FV 18/2026"}},
	 {{"dismissed"}},
	 {{0, NULL, PM_DISMISS}}},
	{"one transfer paired by a person with two invoices", false,
	 {{"H/1", 's', "Lamed", NULL, NULL, "100.00"}, {"H/2", 's', "Lamed", NULL, NULL, "80.00"}},
	 {{"2026-03-04", "150.00", "wplata"}},
	 {{"matched", "person", "H/1=100.00;H/2=50.00"}},
	 {{0, "H/1", PM_PAIR}, {0, "H/2", PM_PAIR}}},
	{"a pair pays nothing to an invoice nothing is left for or open of (no match of 0)", false,
	 {{"H/3", 's', "Mem", NULL, NULL, "100.00"}, {"H/4", 's', "Mem", NULL, NULL, "80.00"}},
	 {{"2026-03-04", "100.00", "wplata"}, {"2026-03-05", "80.00", "wplata"}},
	 {{"matched", "person", "H/3=100.00", "H/3;H/4"}, {"matched", "person", "H/4=80.00", "H/3;H/4"}},
	 {{0, "H/3", PM_PAIR}, {0, "H/4", PM_PAIR}, {1, "H/3", PM_PAIR}, {1, "H/4", PM_PAIR}}},
};

/* ---- running a vector ---------------------------------------------------------------------- */

static int64_t amount(const char *text, const char *cur)
{
	int64_t v = 0;
	struct gerr err = {0};
	assert_int_equal(money_parse(text, '.', currency_exponent(cur ? cur : "PLN"), &v, &err), 0);
	return v;
}

static int find_number(const struct vector *v, const char *number, const struct pm_scope *s,
		       size_t from)
{
	for (size_t i = from; i < s->ninvoices; i++)
		if (strcmp(v->inv[i].number, number) == 0)
			return (int)i;
	return -1;
}

static void build(const struct vector *v, struct pm_scope *s, char **idents, char ***accounts)
{
	memset(s, 0, sizeof(*s));
	s->invoices = xcalloc(8, sizeof(*s->invoices));
	s->txns = xcalloc(6, sizeof(*s->txns));
	s->settings.partial = v->partial;
	snprintf(s->settings.own_nip, sizeof(s->settings.own_nip), "%s", ACME_NIP);
	for (size_t i = 0; i < 8 && v->inv[i].number; i++) {
		const struct vinv *vi = &v->inv[i];
		struct pm_invoice *p = &s->invoices[s->ninvoices++];
		p->id = 100 + (int64_t)i;
		idents[i] = xasprintf("inv-%zu", i);
		p->ident = idents[i];
		p->dir = vi->dir == 's' ? PM_SALES : PM_PURCHASE;
		p->number = vi->number;
		p->cp_name = vi->name;
		snprintf(p->cp_nip, sizeof(p->cp_nip), "%s", vi->nip ? vi->nip : "");
		if (vi->account) {
			accounts[i] = xcalloc(1, sizeof(char *));
			accounts[i][0] = xstrdup(vi->account);
			p->cp_accounts = accounts[i];
			p->ncp_accounts = 1;
		}
		snprintf(p->currency, sizeof(p->currency), "%s", vi->currency ? vi->currency : "PLN");
		p->gross = amount(vi->gross, p->currency);
		p->paid_outside = vi->paid_outside ? amount(vi->paid_outside, p->currency) : 0;
		p->closed = vi->closed;
		p->correction = vi->corrects != NULL;
		snprintf(p->issue_date, sizeof(p->issue_date), "2026-01-01");
		snprintf(p->due_date, sizeof(p->due_date), "%s", vi->due ? vi->due : "");
	}
	/* the ledger's folding of corrections into what they correct */
	for (size_t i = 0; i < s->ninvoices; i++) {
		if (!v->inv[i].corrects)
			continue;
		int k = find_number(v, v->inv[i].corrects, s, 0);
		if (k >= 0) {
			s->invoices[k].gross += s->invoices[i].gross;
			s->invoices[i].corrects_known = true;
		}
	}
	for (size_t i = 0; i < 6 && v->tx[i].date; i++) {
		const struct vtx *vt = &v->tx[i];
		struct pm_txn *t = &s->txns[s->ntxns++];
		t->id = 1 + (int64_t)i;
		idents[8 + i] = xasprintf("tx-%zu", i);
		t->ident = idents[8 + i];
		snprintf(t->date, sizeof(t->date), "%s", vt->date);
		snprintf(t->currency, sizeof(t->currency), "%s", vt->currency ? vt->currency : "PLN");
		t->amount = amount(vt->amount, t->currency);
		t->title = vt->title;
		t->cp_name = vt->name;
		t->cp_account = vt->account;
		t->account = "PL27114020040000300201355387";
		t->skip = vt->skip;
	}
	struct pm_decision *d = xcalloc(4, sizeof(*d));
	/* the list ends at an entry without a number that is no dismissal */
	for (size_t i = 0; i < 4 && (v->dec[i].number || v->dec[i].kind == PM_DISMISS); i++) {
		d[s->ndecisions].tx = 1 + v->dec[i].tx;
		d[s->ndecisions].kind = v->dec[i].kind;
		if (v->dec[i].number)
			d[s->ndecisions].inv = 100 + find_number(v, v->dec[i].number, s, 0);
		s->ndecisions++;
	}
	s->decisions = d;
}

static const char *number_of(const struct pm_scope *s, int64_t id)
{
	for (size_t i = 0; i < s->ninvoices; i++)
		if (s->invoices[i].id == id)
			return s->invoices[i].number;
	return "?";
}

/* "NUMBER=AMOUNT;..." of what a transaction pays, in the order matched. */
static char *pays(const struct pm_scope *s, const struct pm_result *r, int64_t tx, const char **rule)
{
	struct buf b = {0};
	*rule = NULL;
	for (size_t i = 0; i < r->nmatches; i++) {
		if (r->matches[i].tx != tx)
			continue;
		char a[MONEY_TEXT_MAX];
		money_format(r->matches[i].amount, 2, a);
		buf_printf(&b, "%s%s=%s", b.len ? ";" : "", number_of(s, r->matches[i].inv), a);
		*rule = pm_rule_name(r->matches[i].rule);
	}
	return buf_take(&b);
}

static void check_candidates(const struct vector *v, const struct pm_scope *s,
			     const struct pm_outcome *o, const char *want)
{
	size_t n = 0;
	char *copy = xstrdup(want);
	for (char *save = NULL, *tok = strtok_r(copy, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
		bool found = false;
		for (size_t i = 0; i < o->ncandidates; i++)
			found = found || strcmp(number_of(s, o->candidates[i]), tok) == 0;
		if (!found)
			fail_msg("%s: candidate %s missing", v->name, tok);
		n++;
	}
	free(copy);
	if (o->ncandidates != n)
		fail_msg("%s: %zu candidates, expected %zu", v->name, o->ncandidates, n);
}

/* A vector's scope and what it owns. */
struct built {
	struct pm_scope s;
	char *idents[14];
	char **accounts[8];
};

static void unbuild(struct built *b)
{
	for (size_t i = 0; i < 14; i++)
		free(b->idents[i]);
	for (size_t i = 0; i < 8; i++)
		if (b->accounts[i]) {
			free(b->accounts[i][0]);
			free(b->accounts[i]);
		}
	free(b->s.invoices);
	free(b->s.txns);
	free((void *)b->s.decisions);
}

static const struct vector *find_vector(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(vectors); i++)
		if (strstr(vectors[i].name, name))
			return &vectors[i];
	fail_msg("no vector %s", name);
	return NULL;
}

static void run_vector(const struct vector *v)
{
	struct built b = {0};
	build(v, &b.s, b.idents, b.accounts);
	struct pm_scope s = b.s;
	struct pm_result r;
	pm_run(&s, &r);
	for (size_t i = 0; i < s.ntxns; i++) {
		const struct vexp *x = &v->exp[i];
		const struct pm_outcome *o = &r.outcomes[i];
		if (strcmp(pm_state_name(o->state), x->state) != 0)
			fail_msg("%s: transaction %zu: %s (%s), expected %s", v->name, i,
				 pm_state_name(o->state), o->reason ? o->reason : "", x->state);
		assert_non_null(o->reason);
		const char *rule;
		char *p = pays(&s, &r, s.txns[i].id, &rule);
		if ((x->rule || rule) && (!x->rule || !rule || strcmp(x->rule, rule) != 0))
			fail_msg("%s: transaction %zu: rule %s, expected %s (%s)", v->name, i,
				 rule ? rule : "none", x->rule ? x->rule : "none", o->reason);
		if (strcmp(p, x->pays ? x->pays : "") != 0)
			fail_msg("%s: transaction %zu pays '%s', expected '%s' (%s)", v->name, i, p,
				 x->pays ? x->pays : "", o->reason);
		free(p);
		if (x->candidates)
			check_candidates(v, &s, o, x->candidates);
	}
	pm_result_free(&r, s.ntxns);
	unbuild(&b);
}

static void test_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(vectors); i++)
		run_vector(&vectors[i]);
}

/* An overpayment is reported on the transaction, not hidden. */
static void test_overpaid_reported(void **state)
{
	(void)state;
	struct built b = {0};
	build(find_vector("overpayment allowed"), &b.s, b.idents, b.accounts);
	struct pm_result r;
	pm_run(&b.s, &r);
	assert_int_equal(r.outcomes[0].overpaid, 2000);
	assert_int_equal(r.open[0], 0);
	assert_non_null(strstr(r.outcomes[0].reason, "overpaid by 20.00"));
	pm_result_free(&r, b.s.ntxns);
	unbuild(&b);
}

/* The order transactions are given in does not change the outcome: they are decided by
 * date and identity. */
static void test_order_independent(void **state)
{
	(void)state;
	struct built b = {0};
	build(find_vector("several transfers naming one invoice"), &b.s, b.idents, b.accounts);
	struct pm_txn t = b.s.txns[0];
	b.s.txns[0] = b.s.txns[1];
	b.s.txns[1] = t;
	struct pm_result r;
	pm_run(&b.s, &r);
	assert_int_equal(r.nmatches, 2);
	assert_int_equal(r.outcomes[0].state, PM_MATCHED);
	assert_int_equal(r.outcomes[1].state, PM_MATCHED);
	pm_result_free(&r, b.s.ntxns);
	unbuild(&b);
}

/* The scope's transactions replaced by n copies of its first (ids 1000, 1001, ...), each
 * of this amount. */
static struct pm_txn *copies_of_first_txn(struct built *b, size_t n, int64_t amount)
{
	struct pm_txn *t = xcalloc(n, sizeof *t);
	for (size_t i = 0; i < n; i++) {
		t[i] = b->s.txns[0];
		t[i].id = 1000 + (int64_t)i;
		t[i].amount = amount;
	}
	free(b->s.txns);
	b->s.txns = t;
	b->s.ntxns = n;
	return t;
}

/* The scope's invoices replaced by n (at most 32) copies of its first, numbered
 * "<prefix><1..n><suffix>", each of this gross; the numbers and idents are static. */
static struct pm_invoice *copies_of_first_invoice(struct built *b, size_t n, const char *prefix,
						  const char *suffix, int64_t gross)
{
	static char numbers[32][16], idents[32][16];
	assert_true(n <= 32);
	struct pm_invoice *v = xcalloc(n, sizeof *v);
	for (size_t i = 0; i < n; i++) {
		snprintf(numbers[i], sizeof numbers[i], "%s%zu%s", prefix, i + 1, suffix);
		snprintf(idents[i], sizeof idents[i], "inv-%zu", i + 1);
		v[i] = b->s.invoices[0];
		v[i].id = 500 + (int64_t)i;
		v[i].ident = idents[i];
		v[i].number = numbers[i];
		v[i].gross = gross;
	}
	free(b->s.invoices);
	b->s.invoices = v;
	b->s.ninvoices = n;
	return v;
}

/* Transfers that name one invoice are summed to see whether together they pay it; a sum
 * past int64 is not the open amount. Twenty transfers of ~9.7e17 minor units each, none
 * enough alone, add up to exactly 2^64 + the open amount: summed with wrap-around they
 * would "pay" it (and overflow is undefined behaviour in C). */
static void test_transfers_sum_overflow(void **state)
{
	(void)state;
	struct built b = {0};
	build(find_vector("several transfers naming one invoice"), &b.s, b.idents, b.accounts);
	const int64_t open = 999999999999999999; /* 18 digits: the most money_parse() reads */
	b.s.invoices[0].gross = open;
	enum { N = 20 };
	struct pm_txn *t = copies_of_first_txn(&b, N, 972337203685477580);
	t[N - 1].amount = 972337203685477595; /* the twenty: 2^64 + open */
	struct pm_result r;
	pm_run(&b.s, &r);
	assert_int_equal(r.nmatches, 0);
	for (int i = 0; i < N; i++)
		assert_int_not_equal(r.outcomes[i].state, PM_MATCHED);
	pm_result_free(&r, b.s.ntxns);
	unbuild(&b);
}

/* A title naming several invoices pays them when the amount is what they have open
 * together; a total past int64 is not that amount. Twenty invoices of ~9.7e17 minor
 * units have 2^64 + the amount open between them: summed with wrap-around, one transfer
 * would have paid them all. */
static void test_named_sum_overflow(void **state)
{
	(void)state;
	struct built b = {0};
	build(find_vector("several transfers naming one invoice"), &b.s, b.idents, b.accounts);
	enum { N = 20 };
	struct pm_invoice *v = copies_of_first_invoice(&b, N, "FV ", "/2026", 972337203685477580);
	v[N - 1].gross = 972337203685477595; /* the twenty: 2^64 + the amount */
	struct buf title = {0};
	for (int i = 0; i < N; i++)
		buf_printf(&title, "%s%s", i ? ", " : "", v[i].number);
	char *t = buf_take(&title);
	b.s.txns[0].title = t;
	b.s.txns[0].amount = 999999999999999999;
	b.s.ntxns = 1;
	struct pm_result r;
	pm_run(&b.s, &r);
	assert_int_equal(r.nmatches, 0);
	assert_int_not_equal(r.outcomes[0].state, PM_MATCHED);
	pm_result_free(&r, b.s.ntxns);
	unbuild(&b);
	free(t);
}

/* A counterparty's open invoices are tried for a set that sums to the payment, the search
 * cut short where what is left of them together is less than what is still to be found.
 * Those totals past int64 stay more than any amount: ten invoices of 999999999999999999
 * beside two that sum to the payment wrapped round to a negative total, and the one exact
 * set was never looked for. */
static void test_subset_rest_overflow(void **state)
{
	(void)state;
	struct built b = {0};
	build(find_vector("the only set of open invoices that sums exactly"), &b.s, b.idents, b.accounts);
	struct pm_invoice *v = copies_of_first_invoice(&b, 12, "A/", "", 999999999999999999);
	v[0].gross = 400000000000000000;
	v[1].gross = 500000000000000000;
	b.s.txns[0].amount = 900000000000000000;
	struct pm_result r;
	pm_run(&b.s, &r);
	assert_int_equal(r.outcomes[0].state, PM_MATCHED);
	assert_int_equal(r.nmatches, 2);
	assert_int_equal(r.matches[0].rule, PM_RULE_COUNTERPARTY_SUM);
	assert_int_equal(r.allocated[0] + r.allocated[1], 900000000000000000);
	pm_result_free(&r, b.s.ntxns);
	unbuild(&b);
}

/* A person may pair any number of transfers with one invoice, each paying it all it
 * brings: what is allocated to it, and what it has open, stay within int64 (at its
 * ends) — ten transfers of 999999999999999999 paired with an invoice of 100.00 wrapped
 * round (signed overflow, undefined in C) to a negative total allocated and an
 * open amount of 8.4e18 instead of an overpaid invoice. */
static void test_pairs_allocated_overflow(void **state)
{
	(void)state;
	struct built b = {0};
	build(find_vector("a person's pair wins over the title"), &b.s, b.idents, b.accounts);
	enum { N = 10 };
	struct pm_txn *t = copies_of_first_txn(&b, N, 999999999999999999);
	struct pm_decision *d = xcalloc(N, sizeof *d);
	for (int i = 0; i < N; i++)
		d[i] = (struct pm_decision){.tx = t[i].id, .inv = b.s.invoices[0].id, .kind = PM_PAIR};
	free((void *)b.s.decisions);
	b.s.decisions = d;
	b.s.ndecisions = N;
	struct pm_result r;
	pm_run(&b.s, &r);
	assert_int_equal(r.nmatches, N);
	for (int i = 0; i < N; i++)
		assert_int_equal(r.outcomes[i].state, PM_MATCHED);
	assert_int_equal(r.allocated[0], INT64_MAX);
	assert_true(r.open[0] < 0);
	pm_result_free(&r, b.s.ntxns);
	unbuild(&b);
}

/* An invoice without a number (NULL or "") paid by its counterparty and amount: the
 * reason says it has none — a NULL number was printed with %s (undefined; glibc writes
 * "(null)"), an empty one left "... is " with nothing after it. */
static void test_reason_without_number(void **state)
{
	(void)state;
	const char *numbers[] = {NULL, ""};
	for (size_t i = 0; i < ARRAY_LEN(numbers); i++) {
		struct built b = {0};
		build(find_vector("name with Polish letters"), &b.s, b.idents, b.accounts);
		b.s.invoices[0].number = numbers[i];
		struct pm_result r;
		pm_run(&b.s, &r);
		assert_int_equal(r.outcomes[0].state, PM_MATCHED);
		assert_int_equal(r.nmatches, 1);
		assert_null(strstr(r.outcomes[0].reason, "(null)"));
		assert_non_null(strstr(r.outcomes[0].reason, "is (no number)"));
		pm_result_free(&r, b.s.ntxns);
		unbuild(&b);
	}
}

static void test_counterparty_key(void **state)
{
	(void)state;
	char *k = pm_counterparty_key("5260250274", "ACME");
	assert_string_equal(k, "nip:5260250274");
	free(k);
	k = pm_counterparty_key("", "Hurtownia Kowalski Sp. z o.o.");
	assert_string_equal(k, "name:HURTOWNIA KOWALSKI");
	free(k);
	k = pm_counterparty_key(NULL, "Sp. z o.o.");
	assert_string_equal(k, "");
	free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_overpaid_reported),
		cmocka_unit_test(test_order_independent),
		cmocka_unit_test(test_transfers_sum_overflow),
		cmocka_unit_test(test_named_sum_overflow),
		cmocka_unit_test(test_subset_rest_overflow),
		cmocka_unit_test(test_pairs_allocated_overflow),
		cmocka_unit_test(test_reason_without_number),
		cmocka_unit_test(test_counterparty_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
