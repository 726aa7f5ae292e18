/* libFuzzer target: the payments matching engine (payments/engine.h) over a scope read
 * from arbitrary bytes — up to NINV_MAX invoices and NTX_MAX transactions of a few
 * counterparties (names, NIPs and accounts from a small pool, or input bytes), invoice
 * numbers that repeat across counterparties, amounts anywhere in what money_parse() reads
 * (±999999999999999999; an invoice's gross may hold one correction folded in, as the
 * ledger does), transaction amounts taken from what invoices have open (one, a sum of
 * several, a part) so that the rules fire, titles made of the scope's invoice numbers,
 * NIPs, accounts, names, split-payment messages and input bytes, a person's pairs,
 * rejections and dismissals, partial payments allowed or not.
 *
 * Checks what engine.h (and docs/payments.md, "A person's decisions") promise, whatever
 * the input:
 *  - one outcome per transaction, of its id, in a known state, with a reason (that
 *    prints no NULL string); candidates are distinct invoices of the scope, at most
 *    PM_CANDIDATES_MAX;
 *  - every match is of a scope transaction and invoice, its amount > 0, its certainty
 *    the rule's (certain: person, mpp, number, number-transfers); one rule a transaction;
 *  - a matched transaction's matches and what is reported overpaid add up to exactly its
 *    amount (overpaid only under a partial rule, partial payments allowed); a
 *    transaction in any other state has no match and nothing overpaid;
 *  - pending transactions, reversals and zero amounts are skipped, and only they;
 *  - allocated[] is what the matches give each invoice, open[] what a payable invoice has
 *    left (0 for one that takes no payment), both kept at the ends of int64 where a
 *    person's pairs would take them past it; a rule (not a person) pays only payable
 *    invoices of the transaction's direction and currency, and never more than was open
 *    after the person's pairs;
 *  - a person's pair is applied (matched by the person rule, only the paired invoices,
 *    the whole amount); a dismissal without a pair dismisses, and only it; a rejected
 *    invoice is neither paid by that transaction nor offered to a person as a candidate;
 *  - what a rule matches or offers shares a key (pm_txn_keys, pm_invoice_keys) with an
 *    invoice of the same counterparty group, so the ledger's scope of a run holds it;
 *  - the order of the scope's transactions and invoices changes nothing decided.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payments/engine.h"

#define NINV_MAX 32
#define NTX_MAX 24
#define NDEC_MAX 16
#define TEXT_MAX 48
#define TITLE_MAX 240
#define AMOUNT_MAX 999999999999999999LL /* 18 digits: the most money_parse() reads */
#define OWN_ACCOUNT "PL27114020040000300201355387"

#define MUST(c) ((c) ? (void)0 : (fprintf(stderr, "fuzz_payments_engine: line %d: %s\n", __LINE__, #c), abort()))

/* ---- reading the input ---------------------------------------------------------------- */

struct rd {
	const uint8_t *p;
	size_t n;
	bool null_text;              /* input text said "(null)" (a reason may repeat it) */
};

static unsigned byte(struct rd *r)
{
	if (!r->n)
		return 0;
	r->n--;
	return *r->p++;
}

static uint64_t word64(struct rd *r)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | byte(r);
	return v;
}

/* Up to n bytes of input as text (a NUL ends it). */
static void raw(struct rd *r, char *out, size_t cap, size_t n)
{
	size_t k = 0;
	while (k < n && k + 1 < cap && r->n && *r->p)
		out[k++] = (char)byte(r);
	out[k] = '\0';
	r->null_text = r->null_text || strstr(out, "(null)");
}

struct text {
	char *s;
	size_t cap, len;
};

static void put(struct text *t, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n > t->cap - 1 - t->len)
		n = t->cap - 1 - t->len;
	memcpy(t->s + t->len, s ? s : "", n);
	t->len += n;
	t->s[t->len] = '\0';
}

/* ---- the scope --------------------------------------------------------------------------- */

static const struct party {
	const char *name, *nip, *account;
} pool[] = {
	{"ACME Sp. z o.o.", "5260250274", OWN_ACCOUNT}, /* the company itself */
	{"Alfa Sp. z o.o.", "1234563218", "PL61109010140000071219812874"},
	{"Hurtownia Kowalski Sp. z o.o.", "5213000009", "PL83101010230000261395100000"},
	{"Kowalski", "7740001454", "PL54194010765205871800000000"},
	{"Przedsiębiorstwo Handlowe ŁĄCZ S.A.", "9542583988", "PL52106000760000321000055801"},
	{"Beta Handel", "1132853869", "PL51101000712222796300753100"},
	{"Epsilon", "5231242681", "PL48114020040000340281920685"}, /* no valid NIP */
	{"Sp. z o.o.", "", ""},                                     /* a name of no words */
};

static const char *const currencies[] = {"PLN", "PLN", "PLN", "PLN", "EUR", "JPY", "BHD", ""};
static const char *const prefixes[] = {"FV ", "FS/", "", "Faktura nr ", "FV-", "KOR/", "210F", "nr "};
static const char *const glue[] = {" ", ", ", " FV ", " nr ", "/", "-", ".", "; "};

static const int64_t special[] = {
	1, 99, 100, 12300, 50000, AMOUNT_MAX, AMOUNT_MAX - 1, AMOUNT_MAX / 2, AMOUNT_MAX / 3,
	972337203685477580, 461168601842738790, 100000000000000000,
};

struct world {
	struct pm_scope s;
	bool null_text;
	struct pm_invoice inv[NINV_MAX];
	struct pm_txn tx[NTX_MAX];
	struct pm_decision dec[NDEC_MAX];
	char inv_ident[NINV_MAX][8], tx_ident[NTX_MAX][8];
	char number[NINV_MAX][TEXT_MAX], inv_name[NINV_MAX][TEXT_MAX];
	char account[NINV_MAX][TEXT_MAX];
	char *accounts[NINV_MAX][1];
	char tx_name[NTX_MAX][TEXT_MAX], tx_account[NTX_MAX][TEXT_MAX], title[NTX_MAX][TITLE_MAX];
};

/* A positive amount money_parse() could give: small, an edge, or any of 18 digits. */
static int64_t amount(struct rd *r)
{
	unsigned sel = byte(r), hi, lo;
	switch (sel & 3) {
	case 0:
		return (int64_t)byte(r) * 100 + 100;
	case 1:
		return special[byte(r) % ARRAY_LEN(special)];
	case 2:
		return (int64_t)(word64(r) % (uint64_t)AMOUNT_MAX) + 1;
	default:
		hi = byte(r);
		lo = byte(r);
		return (int64_t)(hi << 8 | lo) + 1;
	}
}

static const char *read_number(struct rd *r, char *out)
{
	unsigned sel = byte(r), a = byte(r), b;
	const char *pre = prefixes[(sel >> 2) % ARRAY_LEN(prefixes)];
	switch (sel & 3) {
	case 0:
		snprintf(out, TEXT_MAX, "%s%u/2026", pre, a % 16);
		break;
	case 1:
		b = byte(r);
		snprintf(out, TEXT_MAX, "%s%u/%02u/2026", pre, a % 8, b % 12 + 1);
		break;
	case 2:
		raw(r, out, TEXT_MAX, a % 16);
		break;
	default:
		return a & 1 ? NULL : "";
	}
	return out;
}

static void read_invoice(struct rd *r, struct world *w, size_t i)
{
	struct pm_invoice *v = &w->inv[i];
	unsigned flags = byte(r), cp = byte(r), more = byte(r);
	const struct party *p = &pool[cp % ARRAY_LEN(pool)];
	v->id = 100 + (int64_t)i;
	snprintf(w->inv_ident[i], sizeof(w->inv_ident[i]), "i%02x%02zu", more, i);
	v->ident = w->inv_ident[i];
	v->dir = flags & 1 ? PM_PURCHASE : PM_SALES;
	v->number = read_number(r, w->number[i]);
	if (cp & 0x80)
		raw(r, w->inv_name[i], TEXT_MAX, byte(r) % 24);
	v->cp_name = cp & 0x80 ? w->inv_name[i] : cp & 0x40 ? NULL : p->name;
	if (cp & 0x20)
		snprintf(v->cp_nip, sizeof(v->cp_nip), "%s", p->nip);
	if ((cp & 0x10) && p->account[0]) {
		snprintf(w->account[i], TEXT_MAX, "%s", p->account);
		w->accounts[i][0] = w->account[i];
		v->cp_accounts = w->accounts[i];
		v->ncp_accounts = 1;
	}
	snprintf(v->currency, sizeof(v->currency), "%s", currencies[(more >> 5) % ARRAY_LEN(currencies)]);
	v->gross = amount(r);
	if (flags & 0x80)
		v->gross = -v->gross;
	if (flags & 2) /* a correction folded in */
		v->gross += (more & 1 ? -1 : 1) * amount(r);
	v->paid_outside = flags & 4 ? (more & 2 ? -1 : 1) * amount(r) : 0;
	v->closed = flags & 8;
	v->correction = flags & 0x10;
	v->corrects_known = v->correction && (flags & 0x20);
	snprintf(v->issue_date, sizeof(v->issue_date), "2026-01-%02u", more % 28 + 1);
	if (!(flags & 0x40))
		snprintf(v->due_date, sizeof(v->due_date), "2026-02-%02u", byte(r) % 28 + 1);
}

/* What an invoice asks before any payment. */
static int64_t asks(const struct pm_invoice *v)
{
	return v->gross - v->paid_outside;
}

/* An amount in the direction of an invoice: what it asks, what several ask together, a
 * part of it; else any. Now and then the wrong direction. */
static int64_t txn_amount(struct rd *r, const struct world *w)
{
	unsigned sel = byte(r);
	size_t n = w->s.ninvoices;
	if (!n || (sel & 3) == 0)
		return sel & 0x80 ? -amount(r) : amount(r);
	const struct pm_invoice *a = &w->inv[byte(r) % n];
	int64_t v = asks(a);
	if ((sel & 3) == 2)
		for (unsigned k = byte(r) % 4; k > 0; k--)
			if (__builtin_add_overflow(v, asks(&w->inv[byte(r) % n]), &v))
				v = 1;
	if ((sel & 3) == 3)
		v /= (int64_t)(byte(r) % 4) + 2;
	if (v > AMOUNT_MAX || v < -AMOUNT_MAX)
		v %= AMOUNT_MAX;
	if (v < 0)
		v = -v;
	if (a->dir == PM_PURCHASE)
		v = -v;
	return sel & 0x80 ? -v : v;
}

static void read_title(struct rd *r, const struct world *w, char *out)
{
	struct text t = {out, TITLE_MAX, 0};
	out[0] = '\0';
	size_t n = w->s.ninvoices;
	for (unsigned k = byte(r) % 8; k > 0; k--) {
		unsigned sel = byte(r), a = byte(r);
		const struct party *p = &pool[a % ARRAY_LEN(pool)];
		const char *num = n ? w->inv[a % n].number : "1/2026";
		char piece[TITLE_MAX];
		switch (sel & 7) {
		case 0:
		case 1:
			put(&t, num);
			break;
		case 2:
			raw(r, piece, sizeof(piece), a % 24);
			put(&t, piece);
			break;
		case 3:
			put(&t, sel & 8 ? "NIP " : "");
			put(&t, p->nip);
			break;
		case 4:
			put(&t, p->account + (p->account[0] && (sel & 8) ? 2 : 0)); /* without "PL" */
			break;
		case 5:
			put(&t, p->name);
			break;
		case 6:
			snprintf(piece, sizeof(piece), "/VAT/23,00/IDC/%s/INV/%s/TXT/zaplata", p->nip,
				 n ? w->inv[byte(r) % n].number : "x");
			put(&t, piece);
			break;
		default:
			put(&t, glue[a % ARRAY_LEN(glue)]);
			break;
		}
		put(&t, sel & 0x80 ? "" : glue[(sel >> 4) % ARRAY_LEN(glue)]);
	}
}

static void read_txn(struct rd *r, struct world *w, size_t i)
{
	struct pm_txn *t = &w->tx[i];
	unsigned flags = byte(r), more = byte(r);
	const struct party *p = &pool[more % ARRAY_LEN(pool)];
	t->id = 1 + (int64_t)i;
	snprintf(w->tx_ident[i], sizeof(w->tx_ident[i]), "t%02x%02zu", byte(r), i);
	t->ident = w->tx_ident[i];
	snprintf(t->date, sizeof(t->date), "2026-%02u-%02u", (more >> 3) % 3 + 2, byte(r) % 28 + 1);
	snprintf(t->currency, sizeof(t->currency), "%s", currencies[(flags >> 1) % ARRAY_LEN(currencies)]);
	t->amount = txn_amount(r, w);
	t->account = flags & 1 ? OWN_ACCOUNT : NULL;
	if ((flags & 0x30) == 0x30)
		raw(r, w->tx_name[i], TEXT_MAX, byte(r) % 24);
	t->cp_name = (flags & 0x30) == 0x30 ? w->tx_name[i] : flags & 0x10 ? p->name : NULL;
	if ((flags & 0x40) && (more & 0x80))
		raw(r, w->tx_account[i], TEXT_MAX, byte(r) % 32);
	t->cp_account = !(flags & 0x40) ? NULL : more & 0x80 ? w->tx_account[i] : p->account;
	read_title(r, w, w->title[i]);
	t->title = w->title[i];
	t->skip = (flags & 0x80) && (more & 0x40);
}

static void read_decisions(struct rd *r, struct world *w)
{
	size_t ni = w->s.ninvoices, nt = w->s.ntxns;
	for (unsigned k = byte(r) % (NDEC_MAX + 1); k > 0; k--) {
		struct pm_decision *d = &w->dec[w->s.ndecisions++];
		unsigned sel = byte(r), t = byte(r), i = byte(r);
		d->kind = sel % 3 == 0 ? PM_PAIR : sel % 3 == 1 ? PM_REJECT : PM_DISMISS;
		d->tx = nt ? w->tx[t % nt].id : 1;
		d->inv = ni && (sel & 0xf0) != 0xf0 ? w->inv[i % ni].id : 9999; /* else no such invoice */
	}
}

static void read_world(struct rd *r, struct world *w)
{
	memset(w, 0, sizeof(*w));
	unsigned head = byte(r);
	w->s.settings.partial = head & 1;
	if (head & 2)
		snprintf(w->s.settings.own_nip, sizeof(w->s.settings.own_nip), "%s", pool[0].nip);
	w->s.invoices = w->inv;
	w->s.txns = w->tx;
	w->s.decisions = w->dec;
	size_t ni = byte(r) % (NINV_MAX + 1), nt = byte(r) % (NTX_MAX + 1);
	for (; w->s.ninvoices < ni; w->s.ninvoices++)
		read_invoice(r, w, w->s.ninvoices);
	for (; w->s.ntxns < nt; w->s.ntxns++)
		read_txn(r, w, w->s.ntxns);
	read_decisions(r, w);
	w->null_text = r->null_text;
}

/* ---- looking things up ------------------------------------------------------------------- */

static long inv_at(const struct pm_scope *s, int64_t id)
{
	for (size_t i = 0; i < s->ninvoices; i++)
		if (s->invoices[i].id == id)
			return (long)i;
	return -1;
}

static long txn_at(const struct pm_scope *s, int64_t id)
{
	for (size_t i = 0; i < s->ntxns; i++)
		if (s->txns[i].id == id)
			return (long)i;
	return -1;
}

/* Has a person decided `kind` of the transaction (and of the invoice, when inv >= 0)? A
 * pair counts only with an invoice of the scope. */
static bool decided(const struct pm_scope *s, int64_t tx, enum pm_decision_kind kind, int64_t inv)
{
	for (size_t i = 0; i < s->ndecisions; i++) {
		const struct pm_decision *d = &s->decisions[i];
		if (d->tx == tx && d->kind == kind && (inv < 0 || d->inv == inv) &&
		    (kind != PM_PAIR || inv_at(s, d->inv) >= 0))
			return true;
	}
	return false;
}

static bool is_payable(const struct pm_invoice *v)
{
	return !v->closed && !(v->correction && v->corrects_known) && v->gross > 0;
}

/* ---- keys: what links a transaction and an invoice for the ledger ------------------------ */

struct links {
	struct strlist tx[NTX_MAX], inv[NINV_MAX];
	char *group[NINV_MAX];
};

static void add_key(void *ctx, char kind, const char *key)
{
	char *k = xasprintf("%c:%s", kind, key);
	strlist_add(ctx, k);
	free(k);
}

static void links_read(const struct pm_scope *s, struct links *l)
{
	memset(l, 0, sizeof(*l));
	for (size_t i = 0; i < s->ntxns; i++)
		pm_txn_keys(&s->txns[i], s->settings.own_nip, add_key, &l->tx[i]);
	for (size_t i = 0; i < s->ninvoices; i++) {
		pm_invoice_keys(&s->invoices[i], add_key, &l->inv[i]);
		l->group[i] = pm_counterparty_key(s->invoices[i].cp_nip, s->invoices[i].cp_name);
	}
}

static void links_free(const struct pm_scope *s, struct links *l)
{
	for (size_t i = 0; i < s->ntxns; i++)
		strlist_free(&l->tx[i]);
	for (size_t i = 0; i < s->ninvoices; i++) {
		strlist_free(&l->inv[i]);
		free(l->group[i]);
	}
}

static bool share_key(const struct strlist *a, const struct strlist *b)
{
	for (size_t i = 0; i < a->len; i++)
		if (strlist_contains(b, a->items[i]))
			return true;
	return false;
}

/* Does the transaction share a key with the invoice or one of its counterparty group? */
static bool linked(const struct pm_scope *s, const struct links *l, long ti, long ii)
{
	for (size_t j = 0; j < s->ninvoices; j++)
		if (((long)j == ii || (l->group[ii][0] && strcmp(l->group[j], l->group[ii]) == 0)) &&
		    share_key(&l->tx[ti], &l->inv[j]))
			return true;
	return false;
}

/* ---- the invariants ---------------------------------------------------------------------- */

static bool certain_rule(enum pm_rule r)
{
	return r == PM_RULE_PERSON || r == PM_RULE_MPP || r == PM_RULE_NUMBER || r == PM_RULE_NUMBER_TRANSFERS;
}

static void check_match(const struct pm_scope *s, const struct links *l, const struct pm_match *m)
{
	long ti = txn_at(s, m->tx), ii = inv_at(s, m->inv);
	MUST(ti >= 0 && ii >= 0);
	MUST(m->amount > 0);
	MUST((unsigned)m->rule <= PM_RULE_COUNTERPARTY_PARTIAL);
	MUST(m->certainty == (certain_rule(m->rule) ? PM_CERTAIN : PM_LIKELY));
	if (m->rule == PM_RULE_PERSON) {
		MUST(decided(s, m->tx, PM_PAIR, m->inv));
		return;
	}
	const struct pm_invoice *v = &s->invoices[ii];
	const struct pm_txn *t = &s->txns[ti];
	MUST(is_payable(v));
	MUST(v->dir == (t->amount > 0 ? PM_SALES : PM_PURCHASE));
	MUST(strcmp(v->currency, t->currency) == 0);
	MUST(!decided(s, m->tx, PM_REJECT, m->inv));
	MUST(linked(s, l, ti, ii));
}

static void check_candidates(const struct pm_scope *s, const struct links *l, size_t ti,
			     const struct pm_outcome *o, bool paired)
{
	MUST(o->ncandidates <= PM_CANDIDATES_MAX);
	for (size_t k = 0; k < o->ncandidates; k++) {
		long ii = inv_at(s, o->candidates[k]);
		MUST(ii >= 0);
		for (size_t j = 0; j < k; j++)
			MUST(o->candidates[j] != o->candidates[k]);
		if (!paired) {
			MUST(!decided(s, o->tx, PM_REJECT, o->candidates[k]));
			MUST(linked(s, l, (long)ti, ii));
		}
	}
}

/* null_text: the input's text holds "(null)", so a reason may too (else it says a NULL
 * string was printed). */
static void check_outcome(const struct pm_scope *s, const struct pm_result *r, const struct links *l,
			  size_t ti, bool null_text)
{
	const struct pm_txn *t = &s->txns[ti];
	const struct pm_outcome *o = &r->outcomes[ti];
	MUST(o->tx == t->id);
	MUST((unsigned)o->state <= PM_SKIPPED);
	MUST(o->reason && o->reason[0] && (null_text || !strstr(o->reason, "(null)")));
	bool skipped = t->skip || t->amount == 0;
	bool paired = !skipped && decided(s, t->id, PM_PAIR, -1);
	bool dismissed = !skipped && decided(s, t->id, PM_DISMISS, -1);
	check_candidates(s, l, ti, o, paired);
	MUST(skipped == (o->state == PM_SKIPPED));
	int64_t paid = 0;
	size_t n = 0;
	enum pm_rule rule = PM_RULE_PERSON;
	for (size_t k = 0; k < r->nmatches; k++) {
		const struct pm_match *m = &r->matches[k];
		if (m->tx != t->id)
			continue;
		MUST(!n || m->rule == rule);
		rule = m->rule;
		n++;
		MUST(!__builtin_add_overflow(paid, m->amount, &paid));
	}
	MUST(o->overpaid >= 0);
	if (o->state == PM_MATCHED) {
		int64_t total;
		MUST(n > 0);
		MUST(!__builtin_add_overflow(paid, o->overpaid, &total));
		MUST(total == (t->amount < 0 ? -t->amount : t->amount));
	} else {
		MUST(n == 0 && o->overpaid == 0);
	}
	if (o->overpaid)
		MUST(s->settings.partial && (rule == PM_RULE_NUMBER_PARTIAL || rule == PM_RULE_COUNTERPARTY_PARTIAL));
	MUST(!paired || (o->state == PM_MATCHED && rule == PM_RULE_PERSON));
	MUST(paired || o->state != PM_MATCHED || rule != PM_RULE_PERSON);
	MUST((dismissed && !paired) == (o->state == PM_DISMISSED));
}

/* What the matches give an invoice: by a person, by the rules. */
/* a + b and a - b, at the end of int64 they would go past (engine.h, struct pm_result). */
static int64_t add_sat(int64_t a, int64_t b)
{
	int64_t v;
	return __builtin_add_overflow(a, b, &v) ? (b < 0 ? INT64_MIN : INT64_MAX) : v;
}

static int64_t sub_sat(int64_t a, int64_t b)
{
	int64_t v;
	return __builtin_sub_overflow(a, b, &v) ? (b < 0 ? INT64_MAX : INT64_MIN) : v;
}

/* What the matches give an invoice: by a person, by the rules. */
static void given(const struct pm_result *r, int64_t inv, int64_t *person, int64_t *rules)
{
	*person = *rules = 0;
	for (size_t k = 0; k < r->nmatches; k++) {
		const struct pm_match *m = &r->matches[k];
		int64_t *to = m->rule == PM_RULE_PERSON ? person : rules;
		if (m->inv == inv)
			*to = add_sat(*to, m->amount);
	}
}

static void check_invoice(const struct pm_scope *s, const struct pm_result *r, size_t i)
{
	const struct pm_invoice *v = &s->invoices[i];
	int64_t person, rules;
	given(r, v->id, &person, &rules);
	int64_t all = add_sat(person, rules), asked = sub_sat(v->gross, v->paid_outside);
	MUST(r->allocated[i] == all);
	MUST(r->open[i] == (is_payable(v) ? sub_sat(asked, all) : 0));
	/* the rules pay at most what the person's pairs left open */
	MUST(rules == 0 || rules <= sub_sat(asked, person));
}

static void check_run(const struct world *w, const struct pm_result *r)
{
	const struct pm_scope *s = &w->s;
	struct links l;
	links_read(s, &l);
	for (size_t k = 0; k < r->nmatches; k++)
		check_match(s, &l, &r->matches[k]);
	for (size_t i = 0; i < s->ntxns; i++)
		check_outcome(s, r, &l, i, w->null_text);
	for (size_t i = 0; i < s->ninvoices; i++)
		check_invoice(s, r, i);
	links_free(s, &l);
}

/* ---- the same scope in another order ---------------------------------------------------- */

static int match_cmp(const void *a, const void *b)
{
	const struct pm_match *x = a, *y = b;
	if (x->tx != y->tx)
		return x->tx < y->tx ? -1 : 1;
	if (x->inv != y->inv)
		return x->inv < y->inv ? -1 : 1;
	if (x->amount != y->amount)
		return x->amount < y->amount ? -1 : 1;
	return (int)x->rule - (int)y->rule;
}

static bool same_candidates(const struct pm_outcome *a, const struct pm_outcome *b)
{
	if (a->ncandidates == PM_CANDIDATES_MAX || b->ncandidates == PM_CANDIDATES_MAX)
		return true; /* which are kept of more may differ */
	if (a->ncandidates != b->ncandidates)
		return false;
	for (size_t i = 0; i < a->ncandidates; i++) {
		bool found = false;
		for (size_t j = 0; j < b->ncandidates; j++)
			found = found || a->candidates[i] == b->candidates[j];
		if (!found)
			return false;
	}
	return true;
}

static void check_reversed(const struct world *w, struct pm_result *r)
{
	struct pm_scope s = w->s;
	size_t ni = s.ninvoices, nt = s.ntxns;
	struct pm_invoice inv[NINV_MAX];
	struct pm_txn tx[NTX_MAX];
	for (size_t i = 0; i < ni; i++)
		inv[i] = w->inv[ni - 1 - i];
	for (size_t i = 0; i < nt; i++)
		tx[i] = w->tx[nt - 1 - i];
	s.invoices = inv;
	s.txns = tx;
	struct pm_result q;
	pm_run(&s, &q);
	MUST(q.nmatches == r->nmatches);
	if (r->nmatches) {
		qsort(r->matches, r->nmatches, sizeof(*r->matches), match_cmp);
		qsort(q.matches, q.nmatches, sizeof(*q.matches), match_cmp);
	}
	for (size_t k = 0; k < r->nmatches; k++)
		MUST(match_cmp(&r->matches[k], &q.matches[k]) == 0 &&
		     r->matches[k].certainty == q.matches[k].certainty);
	for (size_t i = 0; i < nt; i++) {
		const struct pm_outcome *a = &r->outcomes[i], *b = &q.outcomes[nt - 1 - i];
		MUST(a->state == b->state && a->overpaid == b->overpaid && same_candidates(a, b));
	}
	for (size_t i = 0; i < ni; i++)
		MUST(r->allocated[i] == q.allocated[ni - 1 - i] && r->open[i] == q.open[ni - 1 - i]);
	pm_result_free(&q, nt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct world w;
	struct rd r = {data, size, false};
	read_world(&r, &w);
	struct pm_result res;
	pm_run(&w.s, &res);
	check_run(&w, &res);
	check_reversed(&w, &res);
	pm_result_free(&res, w.s.ntxns);
	return 0;
}
