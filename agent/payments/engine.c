/* engine — see engine.h. */
#include "payments/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/money.h"
#include "core/strset.h"
#include "formats/paytitle.h"

#define HITS_MAX 32
#define SIGNALS_MAX 8
#define SUBSET_BUDGET 200000

/* ---- small lists and maps ------------------------------------------------------------- */

struct ilist {
	uint32_t *v;
	size_t n, cap;
};

static void il_add(struct ilist *l, uint32_t x)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 4;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = x;
}

static bool il_has(const struct ilist *l, uint32_t x)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i] == x)
			return true;
	return false;
}

static void il_add_once(struct ilist *l, uint32_t x)
{
	if (!il_has(l, x))
		il_add(l, x);
}

/* A map from strings to lists of indexes. */
static struct ilist *mm_list(struct strset *m, const char *key, bool create)
{
	struct ilist *l = strset_get(m, key);
	if (!l && create) {
		l = xcalloc(1, sizeof(*l));
		strset_put(m, key, l);
	}
	return l;
}

static void mm_free(struct strset *m)
{
	for (size_t i = 0; m->values && i < m->cap; i++) {
		struct ilist *l = m->values[i];
		if (l) {
			free(l->v);
			free(l);
		}
	}
	strset_free(m);
}

/* ---- names ------------------------------------------------------------------------------- */

const char *pm_rule_name(enum pm_rule r)
{
	static const char *const names[] = {
		[PM_RULE_PERSON] = "person", [PM_RULE_MPP] = "mpp", [PM_RULE_NUMBER] = "number",
		[PM_RULE_NUMBER_PARTIAL] = "number-partial",
		[PM_RULE_NUMBER_TRANSFERS] = "number-transfers",
		[PM_RULE_COUNTERPARTY_AMOUNT] = "counterparty-amount",
		[PM_RULE_COUNTERPARTY_SUM] = "counterparty-sum",
		[PM_RULE_COUNTERPARTY_PARTIAL] = "counterparty-partial",
	};
	return (unsigned)r < ARRAY_LEN(names) ? names[r] : "?";
}

const char *pm_certainty_name(enum pm_certainty c)
{
	return c == PM_CERTAIN ? "certain" : "likely";
}

const char *pm_state_name(enum pm_state s)
{
	static const char *const names[] = {
		[PM_MATCHED] = "matched", [PM_PERSON] = "person", [PM_UNMATCHED] = "unmatched",
		[PM_DISMISSED] = "dismissed", [PM_SKIPPED] = "skipped",
	};
	return (unsigned)s < ARRAY_LEN(names) ? names[s] : "?";
}

const char *pm_dir_name(enum pm_dir d)
{
	return d == PM_SALES ? "sales" : "purchase";
}

/* pm_counterparty_key, with the name's words (paytitle_words) added to *words. */
static char *counterparty_key_words(const char *nip, const char *name, struct strlist *words)
{
	paytitle_words(name, words);
	if (nip && *nip)
		return xasprintf("nip:%s", nip);
	struct buf b = {0};
	buf_puts(&b, words->len ? "name:" : "");
	for (size_t i = 0; i < words->len; i++) {
		if (i)
			buf_puts(&b, " ");
		buf_puts(&b, words->items[i]);
	}
	return buf_take(&b);
}

char *pm_counterparty_key(const char *nip, const char *name)
{
	if (nip && *nip)
		return xasprintf("nip:%s", nip);
	struct strlist words = {0};
	char *key = counterparty_key_words(NULL, name, &words);
	strlist_free(&words);
	return key;
}

/* The longest word (the alphabetically first of equals), or NULL. */
static const char *longest_word(const struct strlist *w)
{
	const char *best = NULL;
	for (size_t i = 0; i < w->len; i++) {
		size_t n = strlen(w->items[i]), bn = best ? strlen(best) : 0;
		if (!best || n > bn || (n == bn && strcmp(w->items[i], best) < 0))
			best = w->items[i];
	}
	return best;
}

#define NAME_WORD_MIN 3  /* a name is found by its words only if its longest has this many */

/* ---- keys that link transactions and invoices ----------------------------------------- */

void pm_invoice_keys(const struct pm_invoice *inv, pm_key_fn fn, void *ctx)
{
	struct paytitle_key k;
	if (inv->number && paytitle_number_key(inv->number, &k))
		fn(ctx, 'n', k.last);
	if (inv->cp_nip[0])
		fn(ctx, 't', inv->cp_nip);
	for (size_t i = 0; i < inv->ncp_accounts; i++)
		fn(ctx, 'a', inv->cp_accounts[i]);
	struct strlist words = {0};
	paytitle_words(inv->cp_name, &words);
	const char *w = longest_word(&words);
	if (w && strlen(w) >= NAME_WORD_MIN)
		fn(ctx, 'w', w);
	strlist_free(&words);
}

/* What a transaction says of its counterparty and the invoices it pays. */
struct txview {
	char *title, *name;          /* folded */
	bool is_mpp;
	struct paytitle_mpp mpp;
	char nips[SIGNALS_MAX][NIP_LEN + 1];
	size_t nnips;
	char accounts[SIGNALS_MAX][IBAN_MAX_LEN + 1];
	size_t naccounts;
	struct strlist words;
	bool words_read;
};

static void add_signal_nip(struct txview *v, const char *nip, const char *own)
{
	if (!nip[0] || (own && strcmp(nip, own) == 0) || v->nnips == SIGNALS_MAX)
		return;
	for (size_t i = 0; i < v->nnips; i++)
		if (strcmp(v->nips[i], nip) == 0)
			return;
	snprintf(v->nips[v->nnips++], NIP_LEN + 1, "%s", nip);
}

static void add_signal_account(struct txview *v, const char *acc, const char *own)
{
	if (!acc[0] || (own && strcmp(acc, own) == 0) || v->naccounts == SIGNALS_MAX)
		return;
	for (size_t i = 0; i < v->naccounts; i++)
		if (strcmp(v->accounts[i], acc) == 0)
			return;
	snprintf(v->accounts[v->naccounts++], IBAN_MAX_LEN + 1, "%s", acc);
}

static void txview_read(struct txview *v, const struct pm_txn *t, const char *own_nip)
{
	memset(v, 0, sizeof(*v));
	v->title = paytitle_fold(t->title);
	v->name = paytitle_fold(t->cp_name);
	v->is_mpp = paytitle_mpp(v->title, &v->mpp);
	if (v->is_mpp)
		add_signal_nip(v, v->mpp.nip, own_nip);
	char nips[SIGNALS_MAX][NIP_LEN + 1];
	char accs[SIGNALS_MAX][IBAN_MAX_LEN + 1];
	const char *texts[] = {v->title, v->name};
	for (size_t i = 0; i < ARRAY_LEN(texts); i++) {
		size_t n = paytitle_nips(texts[i], nips, SIGNALS_MAX);
		for (size_t j = 0; j < n; j++)
			add_signal_nip(v, nips[j], own_nip);
	}
	char own_acc[IBAN_MAX_LEN + 1] = "", cp[IBAN_MAX_LEN + 1];
	if (t->account && !account_normalise(t->account, own_acc))
		own_acc[0] = '\0';
	if (t->cp_account && account_normalise(t->cp_account, cp))
		add_signal_account(v, cp, own_acc);
	size_t n = paytitle_accounts(v->title, accs, SIGNALS_MAX);
	for (size_t j = 0; j < n; j++)
		add_signal_account(v, accs[j], own_acc);
}

static const struct strlist *txview_words(struct txview *v)
{
	if (!v->words_read) {
		paytitle_words(v->name, &v->words);
		paytitle_words(v->title, &v->words);
		v->words_read = true;
	}
	return &v->words;
}

static void txview_free(struct txview *v)
{
	free(v->title);
	free(v->name);
	strlist_free(&v->words);
}

struct span_keys {
	pm_key_fn fn;
	void *ctx;
};

static void span_key(void *ctx, const char *folded, size_t start, size_t end)
{
	struct span_keys *sk = ctx;
	char word[PAYTITLE_KEY_MAX + 1];
	memcpy(word, folded + start, end - start);
	word[end - start] = '\0';
	sk->fn(sk->ctx, 'n', word);
}

void pm_txn_keys(const struct pm_txn *t, const char *own_nip, pm_key_fn fn, void *ctx)
{
	struct txview v;
	txview_read(&v, t, own_nip);
	struct span_keys sk = {fn, ctx};
	paytitle_spans(v.title, span_key, &sk);
	struct paytitle_key k;
	if (v.is_mpp && paytitle_number_key(v.mpp.inv, &k))
		fn(ctx, 'n', k.last);
	for (size_t i = 0; i < v.nnips; i++)
		fn(ctx, 't', v.nips[i]);
	for (size_t i = 0; i < v.naccounts; i++)
		fn(ctx, 'a', v.accounts[i]);
	const struct strlist *w = txview_words(&v);
	for (size_t i = 0; i < w->len; i++)
		if (strlen(w->items[i]) >= NAME_WORD_MIN)
			fn(ctx, 'w', w->items[i]);
	txview_free(&v);
}

/* ---- the engine's state ------------------------------------------------------------------ */

struct group {
	char *key;
	struct strlist words;        /* the name's words (of its invoice first by identity) */
	struct ilist invs;
	const char *name;            /* as written, for reasons */
	bool has_dir[3];             /* has invoices of PM_SALES, PM_PURCHASE */
};

struct inv_state {
	struct paytitle_key key;
	bool searchable;
	uint32_t group;
	struct ilist deferred;       /* transactions paying part of it, without a rule yet */
};

struct engine {
	const struct pm_scope *s;
	struct pm_result *r;
	struct inv_state *inv;
	struct group *groups;
	size_t ngroups, groups_cap;
	struct strset by_group, by_last, by_nip, by_account, by_word;
	int64_t *dec_tx;             /* decisions sorted by transaction: index arrays */
	size_t *dec_order;
	int64_t *inv_ids;            /* invoice ids sorted, with their indexes */
	uint32_t *inv_idx;
};

static const struct pm_invoice *INV(const struct engine *e, uint32_t i)
{
	return &e->s->invoices[i];
}

/* Add to a sum of amounts: past the range of int64 it stays at its end, INT64_MAX for
 * positive amounts — more than any amount (at most 18 digits, money.h) — instead of
 * wrapping round (undefined in C) to a value that might equal one. Sums of amounts are
 * compared with one amount, or (what a person's pairs give one invoice, which has no
 * limit) reported so. */
static void sum_add(int64_t *sum, int64_t v)
{
	if (__builtin_add_overflow(*sum, v, sum))
		*sum = v < 0 ? INT64_MIN : INT64_MAX;
}

/* a - b, likewise kept within int64. */
static int64_t sub_sat(int64_t a, int64_t b)
{
	int64_t d;
	if (__builtin_sub_overflow(a, b, &d))
		d = b < 0 ? INT64_MAX : INT64_MIN;
	return d;
}

static int64_t open_of(const struct engine *e, uint32_t i)
{
	const struct pm_invoice *v = INV(e, i);
	return sub_sat(sub_sat(v->gross, v->paid_outside), e->r->allocated[i]);
}

/* Can the invoice take a payment at all (whatever is open)? */
static bool payable(const struct engine *e, uint32_t i)
{
	const struct pm_invoice *v = INV(e, i);
	return !v->closed && !(v->correction && v->corrects_known) && v->gross > 0;
}

static bool takes(const struct engine *e, uint32_t i)
{
	return payable(e, i) && open_of(e, i) > 0;
}

/* Due order: due date (none last), issue date, identity. */
static int due_cmp(const struct engine *e, uint32_t a, uint32_t b)
{
	const struct pm_invoice *x = INV(e, a), *y = INV(e, b);
	const char *dx = x->due_date[0] ? x->due_date : "9999", *dy = y->due_date[0] ? y->due_date : "9999";
	int c = strcmp(dx, dy);
	if (!c)
		c = strcmp(x->issue_date, y->issue_date);
	return c ? c : strcmp(x->ident, y->ident);
}

static void sort_due(const struct engine *e, struct ilist *l)
{
	for (size_t i = 1; i < l->n; i++)
		for (size_t j = i; j > 0 && due_cmp(e, l->v[j - 1], l->v[j]) > 0; j--) {
			uint32_t t = l->v[j];
			l->v[j] = l->v[j - 1];
			l->v[j - 1] = t;
		}
}

static const struct engine *sort_engine;

static int ident_cmp(const void *a, const void *b)
{
	const struct pm_invoice *x = INV(sort_engine, *(const uint32_t *)a);
	const struct pm_invoice *y = INV(sort_engine, *(const uint32_t *)b);
	return strcmp(x->ident, y->ident);
}

static void build_groups(struct engine *e)
{
	size_t n = e->s->ninvoices;
	uint32_t *order = xmalloc((n ? n : 1) * sizeof(*order));
	for (size_t i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	sort_engine = e;
	qsort(order, n, sizeof(*order), ident_cmp);
	for (size_t k = 0; k < n; k++) {
		uint32_t i = order[k];
		const struct pm_invoice *v = INV(e, i);
		struct strlist words = {0};
		char *key = counterparty_key_words(v->cp_nip, v->cp_name, &words);
		if (!key[0]) {
			free(key);
			key = xasprintf("#%s", v->ident);
		}
		uintptr_t g = (uintptr_t)strset_get(&e->by_group, key);
		if (!g) {
			if (e->ngroups == e->groups_cap) {
				e->groups_cap = e->groups_cap ? e->groups_cap * 2 : 64;
				e->groups = xrealloc(e->groups, e->groups_cap * sizeof(*e->groups));
			}
			struct group *gr = &e->groups[e->ngroups];
			memset(gr, 0, sizeof(*gr));
			gr->key = key;
			g = ++e->ngroups;
			strset_put(&e->by_group, key, (void *)g);
		} else {
			free(key);
		}
		struct group *gr = &e->groups[g - 1];
		if (!gr->words.len && v->cp_name && v->cp_name[0]) {
			gr->words = words; /* the group's words: its first invoice's */
			gr->name = v->cp_name;
		} else {
			strlist_free(&words);
		}
		il_add(&gr->invs, i);
		gr->has_dir[v->dir == PM_SALES ? PM_SALES : PM_PURCHASE] = true;
		e->inv[i].group = (uint32_t)(g - 1);
		if (v->cp_nip[0])
			il_add_once(mm_list(&e->by_nip, v->cp_nip, true), (uint32_t)(g - 1));
		for (size_t a = 0; a < v->ncp_accounts; a++)
			il_add_once(mm_list(&e->by_account, v->cp_accounts[a], true), (uint32_t)(g - 1));
	}
	for (size_t g = 0; g < e->ngroups; g++) {
		const char *w = longest_word(&e->groups[g].words);
		if (w && strlen(w) >= NAME_WORD_MIN)
			il_add(mm_list(&e->by_word, w, true), (uint32_t)g);
	}
	free(order);
}

static int id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Index arrays: invoice ids → scope indexes; decisions by transaction. */
static void build_lookups(struct engine *e)
{
	size_t n = e->s->ninvoices;
	int64_t(*pairs)[2] = xmalloc((n ? n : 1) * sizeof(*pairs));
	for (size_t i = 0; i < n; i++) {
		pairs[i][0] = e->s->invoices[i].id;
		pairs[i][1] = (int64_t)i;
	}
	qsort(pairs, n, sizeof(*pairs), id_cmp);
	e->inv_ids = xmalloc((n ? n : 1) * sizeof(int64_t));
	e->inv_idx = xmalloc((n ? n : 1) * sizeof(uint32_t));
	for (size_t i = 0; i < n; i++) {
		e->inv_ids[i] = pairs[i][0];
		e->inv_idx[i] = (uint32_t)pairs[i][1];
	}
	free(pairs);
	size_t d = e->s->ndecisions;
	int64_t(*dp)[2] = xmalloc((d ? d : 1) * sizeof(*dp));
	for (size_t i = 0; i < d; i++) {
		dp[i][0] = e->s->decisions[i].tx;
		dp[i][1] = (int64_t)i;
	}
	qsort(dp, d, sizeof(*dp), id_cmp); /* equal transactions keep no order: fixed below */
	for (size_t i = 1; i < d; i++) /* decisions of one transaction in the order given */
		for (size_t j = i; j > 0 && dp[j - 1][0] == dp[j][0] && dp[j - 1][1] > dp[j][1]; j--) {
			int64_t t0 = dp[j][0], t1 = dp[j][1];
			dp[j][0] = dp[j - 1][0];
			dp[j][1] = dp[j - 1][1];
			dp[j - 1][0] = t0;
			dp[j - 1][1] = t1;
		}
	e->dec_tx = xmalloc((d ? d : 1) * sizeof(int64_t));
	e->dec_order = xmalloc((d ? d : 1) * sizeof(size_t));
	for (size_t i = 0; i < d; i++) {
		e->dec_tx[i] = dp[i][0];
		e->dec_order[i] = (size_t)dp[i][1];
	}
	free(dp);
}

static bool inv_index(const struct engine *e, int64_t id, uint32_t *out)
{
	size_t lo = 0, hi = e->s->ninvoices;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (e->inv_ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < e->s->ninvoices && e->inv_ids[lo] == id) {
		*out = e->inv_idx[lo];
		return true;
	}
	return false;
}

/* The decisions of a transaction: [*first, *end) in dec_order. */
static void decisions_of(const struct engine *e, int64_t tx, size_t *first, size_t *end)
{
	size_t lo = 0, hi = e->s->ndecisions;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (e->dec_tx[mid] < tx)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = lo;
	while (lo < e->s->ndecisions && e->dec_tx[lo] == tx)
		lo++;
	*end = lo;
}

static const struct pm_decision *decision(const struct engine *e, size_t k)
{
	return &e->s->decisions[e->dec_order[k]];
}

static bool rejected(const struct engine *e, int64_t tx, uint32_t inv)
{
	size_t a, b;
	decisions_of(e, tx, &a, &b);
	for (size_t k = a; k < b; k++)
		if (decision(e, k)->kind == PM_REJECT && decision(e, k)->inv == INV(e, inv)->id)
			return true;
	return false;
}

/* ---- outcomes ---------------------------------------------------------------------------- */

static void money_text(int64_t v, const char *cur, char out[MONEY_TEXT_MAX])
{
	money_format(v, currency_exponent(cur), out);
}

static void set_outcome(struct pm_outcome *o, enum pm_state st, char *reason)
{
	free(o->reason);
	o->state = st;
	o->reason = reason;
}

static void add_candidate(struct engine *e, struct pm_outcome *o, uint32_t inv)
{
	int64_t id = INV(e, inv)->id;
	for (size_t i = 0; i < o->ncandidates; i++)
		if (o->candidates[i] == id)
			return;
	if (o->ncandidates < PM_CANDIDATES_MAX)
		o->candidates[o->ncandidates++] = id;
}

static void add_match(struct engine *e, const struct pm_txn *t, uint32_t inv, int64_t amount,
		      enum pm_rule rule, enum pm_certainty c)
{
	struct pm_result *r = e->r;
	if (r->nmatches == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->matches = xrealloc(r->matches, r->cap * sizeof(*r->matches));
	}
	r->matches[r->nmatches++] = (struct pm_match){t->id, INV(e, inv)->id, amount, rule, c};
	sum_add(&r->allocated[inv], amount);
}

/* An invoice's number in a reason: "(no number)" for one without. */
static const char *number_text(const struct engine *e, uint32_t i)
{
	const char *n = INV(e, i)->number;
	return n && n[0] ? n : "(no number)";
}

/* "FV 1/2026, FV 2/2026" */
static char *numbers_text(const struct engine *e, const struct ilist *l)
{
	struct buf b = {0};
	for (size_t i = 0; i < l->n; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", number_text(e, l->v[i]));
	return buf_take(&b);
}

/* Pay the invoices in due order: each what is open, the last what is left (with
 * `partial`; else the caller made sure the amount is exactly what is open). Returns what
 * is left over. */
static int64_t allocate(struct engine *e, const struct pm_txn *t, struct ilist *l, int64_t amount,
			enum pm_rule rule, enum pm_certainty c)
{
	sort_due(e, l);
	for (size_t i = 0; i < l->n && amount > 0; i++) {
		int64_t take = open_of(e, l->v[i]);
		if (take > amount)
			take = amount;
		add_match(e, t, l->v[i], take, rule, c);
		amount -= take;
	}
	return amount;
}

/* ---- identifying the counterparty ------------------------------------------------------- */

enum by { BY_NONE, BY_NIP, BY_ACCOUNT, BY_NAME };

struct ident {
	enum by by;
	struct ilist groups;         /* more than one: not clear which */
	const char *signal;          /* the NIP or account that found it */
};

static bool group_in(const struct engine *e, uint32_t g, enum pm_dir dir)
{
	return e->groups[g].has_dir[dir];
}

static bool words_cover(const struct strlist *need, const struct strlist *have)
{
	for (size_t i = 0; i < need->len; i++)
		if (!strlist_contains(have, need->items[i]))
			return false;
	return need->len > 0;
}

static void identify(struct engine *e, struct txview *v, enum pm_dir dir, struct ident *id)
{
	memset(id, 0, sizeof(*id));
	for (size_t i = 0; i < v->nnips; i++) {
		struct ilist *l = mm_list(&e->by_nip, v->nips[i], false);
		for (size_t j = 0; l && j < l->n; j++)
			if (group_in(e, l->v[j], dir)) {
				il_add_once(&id->groups, l->v[j]);
				id->signal = v->nips[i];
			}
	}
	if (id->groups.n) {
		id->by = BY_NIP;
		return;
	}
	for (size_t i = 0; i < v->naccounts; i++) {
		struct ilist *l = mm_list(&e->by_account, v->accounts[i], false);
		for (size_t j = 0; l && j < l->n; j++)
			if (group_in(e, l->v[j], dir)) {
				il_add_once(&id->groups, l->v[j]);
				id->signal = v->accounts[i];
			}
	}
	if (id->groups.n) {
		id->by = BY_ACCOUNT;
		return;
	}
	const struct strlist *words = txview_words(v);
	size_t best = 0;
	for (size_t i = 0; i < words->len; i++) {
		struct ilist *l = mm_list(&e->by_word, words->items[i], false);
		for (size_t j = 0; l && j < l->n; j++) {
			uint32_t g = l->v[j];
			size_t score = e->groups[g].words.len;
			if (score < best || !group_in(e, g, dir) || !words_cover(&e->groups[g].words, words))
				continue;
			if (score > best) {
				id->groups.n = 0;
				best = score;
			}
			il_add_once(&id->groups, g);
		}
	}
	if (id->groups.n)
		id->by = BY_NAME;
}

static const char *by_name(enum by by)
{
	return by == BY_NIP ? "NIP" : by == BY_ACCOUNT ? "account" : "name";
}

static char *group_names(const struct engine *e, const struct ilist *groups)
{
	struct buf b = {0};
	for (size_t i = 0; i < groups->n; i++) {
		const struct group *g = &e->groups[groups->v[i]];
		buf_printf(&b, "%s%s", i ? " or " : "", g->name ? g->name : g->key);
	}
	return buf_take(&b);
}

/* ---- rule: numbers in the title ----------------------------------------------------------- */

struct hit {
	uint32_t inv;
	size_t start, end;
	bool mpp;
	bool fits;                   /* the transaction's direction and currency, not rejected */
};

struct hits {
	struct engine *e;
	const struct pm_txn *t;
	enum pm_dir dir;
	struct hit v[HITS_MAX];
	size_t n;
	bool more;                   /* hits past HITS_MAX were left out */
};

static bool hit_fits(const struct hits *h, uint32_t inv)
{
	const struct pm_invoice *v = INV(h->e, inv);
	return v->dir == h->dir && strcmp(v->currency, h->t->currency) == 0 &&
	       !rejected(h->e, h->t->id, inv);
}

static void hit_add(struct hits *h, uint32_t inv, size_t start, size_t end, bool mpp)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->v[i].inv == inv && h->v[i].start == start && h->v[i].end == end)
			return;
	if (h->n < HITS_MAX)
		h->v[h->n++] = (struct hit){inv, start, end, mpp, hit_fits(h, inv)};
	else
		h->more = true;
}

static void span_hit(void *ctx, const char *folded, size_t start, size_t end)
{
	struct hits *h = ctx;
	char word[PAYTITLE_KEY_MAX + 1];
	memcpy(word, folded + start, end - start);
	word[end - start] = '\0';
	struct ilist *l = mm_list(&h->e->by_last, word, false);
	for (size_t i = 0; l && i < l->n; i++) {
		long at = paytitle_key_at(folded, end, &h->e->inv[l->v[i]].key);
		if (at >= 0)
			hit_add(h, l->v[i], (size_t)at, end, false);
	}
}

static void find_hits(struct hits *h, const struct txview *v)
{
	paytitle_spans(v->title, span_hit, h);
	struct paytitle_key k;
	if (v->is_mpp && paytitle_number_key(v->mpp.inv, &k)) {
		struct ilist *l = mm_list(&h->e->by_last, k.last, false);
		for (size_t i = 0; l && i < l->n; i++) {
			const struct paytitle_key *ik = &h->e->inv[l->v[i]].key;
			if (strcmp(ik->full, k.full) == 0 || strcmp(ik->core, k.core) == 0)
				hit_add(h, l->v[i], 0, 0, true);
		}
	}
	/* a number standing inside a longer one found there (whoever's invoice that is) is no
	 * token of its own; then only invoices the transaction can pay stay */
	size_t kept = 0;
	for (size_t i = 0; i < h->n; i++) {
		bool inside = !h->v[i].fits;
		for (size_t j = 0; j < h->n && !h->v[i].mpp; j++)
			inside = inside || (!h->v[j].mpp && paytitle_contained(h->v[i].start, h->v[i].end,
									      h->v[j].start, h->v[j].end));
		if (!inside)
			h->v[kept++] = h->v[i];
	}
	h->n = kept;
}

/* The invoices the title names: one per place in the title; a place that two invoices
 * fit (one number, two counterparties) is narrowed by the counterparty. Returns false and
 * fills `unclear` when a place stays ambiguous. */
static bool named_invoices(struct engine *e, struct hits *h, struct txview *v, struct ilist *named,
			   struct ilist *unclear, bool *via_mpp)
{
	struct ident id;
	bool identified = false;
	for (size_t i = 0; i < h->n; i++) {
		struct ilist at = {0};
		for (size_t j = 0; j < h->n; j++)
			if (h->v[j].start == h->v[i].start && h->v[j].end == h->v[i].end &&
			    h->v[j].mpp == h->v[i].mpp)
				il_add_once(&at, h->v[j].inv);
		if (at.n > 1) {
			if (!identified) {
				identify(e, v, h->dir, &id);
				identified = true;
			}
			size_t kept = 0; /* the counterparty's, moved to the front */
			for (size_t j = 0; j < at.n; j++)
				if (id.groups.n == 1 && e->inv[at.v[j]].group == id.groups.v[0])
					at.v[kept++] = at.v[j];
			if (kept)
				at.n = kept;
		}
		for (size_t j = 0; j < at.n; j++)
			il_add_once(at.n == 1 ? named : unclear, at.v[j]);
		*via_mpp = *via_mpp || h->v[i].mpp;
		free(at.v);
	}
	if (identified)
		free(id.groups.v);
	return unclear->n == 0;
}

/* Several transfers naming one invoice, none enough alone: when those so far pay exactly
 * what is open, they are matched together. */
static bool pay_by_transfers(struct engine *e, uint32_t ti, uint32_t inv, int64_t amount)
{
	struct inv_state *is = &e->inv[inv];
	int64_t sum = amount;
	for (size_t i = 0; i < is->deferred.n; i++) {
		const struct pm_txn *d = &e->s->txns[is->deferred.v[i]];
		sum_add(&sum, d->amount < 0 ? -d->amount : d->amount);
	}
	if (sum != open_of(e, inv)) {
		il_add(&is->deferred, ti);
		return false;
	}
	il_add(&is->deferred, ti);
	const struct pm_invoice *v = INV(e, inv);
	char total[MONEY_TEXT_MAX];
	money_text(sum, v->currency, total);
	for (size_t i = 0; i < is->deferred.n; i++) {
		uint32_t k = is->deferred.v[i];
		const struct pm_txn *d = &e->s->txns[k];
		add_match(e, d, inv, d->amount < 0 ? -d->amount : d->amount, PM_RULE_NUMBER_TRANSFERS,
			  PM_CERTAIN);
		struct pm_outcome *o = &e->r->outcomes[k];
		o->ncandidates = 0;
		set_outcome(o, PM_MATCHED,
			    xasprintf("invoice %s named in the title; %zu transfers naming it pay together "
				      "its open %s %s", number_text(e, inv), is->deferred.n, total, v->currency));
	}
	is->deferred.n = 0;
	return true;
}

/* Returns true when the title named invoices (the transaction is decided, one way or the
 * other). */
static bool by_number(struct engine *e, uint32_t ti, struct txview *v, enum pm_dir dir, int64_t amount)
{
	const struct pm_txn *t = &e->s->txns[ti];
	struct pm_outcome *o = &e->r->outcomes[ti];
	struct hits h = {.e = e, .t = t, .dir = dir};
	find_hits(&h, v);
	if (h.more) { /* which were left out depends on the scope's order: none is chosen */
		set_outcome(o, PM_PERSON, xasprintf("the numbers in the title fit invoices in more than "
						    "%d places: a person decides", HITS_MAX));
		return true;
	}
	if (!h.n)
		return false;
	struct ilist named = {0}, unclear = {0};
	bool via_mpp = false;
	char a[MONEY_TEXT_MAX], s[MONEY_TEXT_MAX]; /* what was paid and what is open, for reasons that say them */
	if (!named_invoices(e, &h, v, &named, &unclear, &via_mpp)) {
		for (size_t i = 0; i < unclear.n; i++)
			add_candidate(e, o, unclear.v[i]);
		char *nums = numbers_text(e, &unclear);
		set_outcome(o, PM_PERSON, xasprintf("the number in the title fits several invoices "
						    "equally (%s): a person decides", nums));
		free(nums);
		goto out;
	}
	for (size_t i = 0; i < named.n; i++)
		add_candidate(e, o, named.v[i]);
	char *nums = numbers_text(e, &named);
	bool correction = false;
	struct ilist open = {0}, paid = {0};
	int64_t sum = 0;
	for (size_t i = 0; i < named.n; i++) {
		const struct pm_invoice *iv = INV(e, named.v[i]);
		correction = correction || (iv->correction && (iv->corrects_known || named.n > 1));
		if (takes(e, named.v[i])) {
			il_add(&open, named.v[i]);
			sum_add(&sum, open_of(e, named.v[i]));
		} else {
			il_add(&paid, named.v[i]);
		}
	}
	if (correction) {
		set_outcome(o, PM_PERSON, xasprintf("the title names a correction (%s): a person "
						    "decides what it pays", nums));
	} else if (paid.n) {
		char *p = numbers_text(e, &paid);
		set_outcome(o, PM_PERSON, xasprintf("the title names %s, which %s nothing open", p,
						    paid.n > 1 ? "have" : "has"));
		free(p);
	} else if (sum == amount) {
		enum pm_rule rule = via_mpp ? PM_RULE_MPP : PM_RULE_NUMBER;
		allocate(e, t, &open, amount, rule, PM_CERTAIN);
		char vat[MONEY_TEXT_MAX] = "";
		if (via_mpp && v->mpp.has_vat)
			money_text(v->mpp.vat, "PLN", vat);
		set_outcome(o, PM_MATCHED,
			    via_mpp ? xasprintf("split payment names %s (VAT part %s); the amount equals "
						"what is open", nums, vat[0] ? vat : "not given")
				    : xasprintf("%s %s named in the title; the amount equals what is open",
						named.n > 1 ? "invoices" : "invoice", nums));
	} else if (e->s->settings.partial) {
		o->overpaid = allocate(e, t, &open, amount, PM_RULE_NUMBER_PARTIAL, PM_LIKELY);
		char over[MONEY_TEXT_MAX];
		money_text(amount, t->currency, a);
		money_text(sum, t->currency, s);
		money_text(o->overpaid, t->currency, over);
		set_outcome(o, PM_MATCHED,
			    o->overpaid ? xasprintf("%s named in the title; %s paid, %s open: overpaid by %s",
						    nums, a, s, over)
					: xasprintf("%s named in the title; %s paid of %s open (partial "
						    "payments allowed)", nums, a, s));
	} else if (open.n == 1 && amount < sum && pay_by_transfers(e, ti, open.v[0], amount)) {
		/* decided, with the transfers before it */
	} else {
		money_text(amount, t->currency, a);
		money_text(sum, t->currency, s);
		set_outcome(o, PM_PERSON, xasprintf("the title names %s, but %s paid differs from %s "
						    "open", nums, a, s));
	}
	free(nums);
	free(open.v);
	free(paid.v);
out:
	free(named.v);
	free(unclear.v);
	return true;
}

/* ---- rule: the counterparty --------------------------------------------------------------- */

/* How many subsets of l (sorted by open, largest first) sum to target: 0, 1 or 2 (two or
 * more); -1 when the search went over its budget. The first found is left in `pick`. */
static int subsets(const struct engine *e, const struct ilist *l, size_t from, int64_t target,
		   const int64_t *rest, struct ilist *pick, struct ilist *cur, long *budget)
{
	if (target == 0) {
		if (!pick->n)
			for (size_t i = 0; i < cur->n; i++)
				il_add(pick, cur->v[i]);
		return 1;
	}
	if (from == l->n || rest[from] < target || --*budget < 0)
		return *budget < 0 ? -1 : 0;
	int found = 0;
	int64_t v = open_of(e, l->v[from]);
	if (v <= target) {
		il_add(cur, l->v[from]);
		int r = subsets(e, l, from + 1, target - v, rest, pick, cur, budget);
		cur->n--;
		if (r < 0)
			return -1;
		found += r;
		if (found >= 2)
			return 2;
	}
	int r = subsets(e, l, from + 1, target, rest, pick, cur, budget);
	if (r < 0)
		return -1;
	found += r;
	return found > 2 ? 2 : found;
}

static int exact_sets(const struct engine *e, struct ilist *l, int64_t target, struct ilist *pick)
{
	/* largest first: big invoices decide early */
	for (size_t i = 1; i < l->n; i++)
		for (size_t j = i; j > 0 && open_of(e, l->v[j - 1]) < open_of(e, l->v[j]); j--) {
			uint32_t t = l->v[j];
			l->v[j] = l->v[j - 1];
			l->v[j - 1] = t;
		}
	int64_t *rest = xmalloc((l->n + 1) * sizeof(*rest));
	rest[l->n] = 0;
	/* rest[i]: what l->v[i..] have open together, only compared with the target */
	for (size_t i = l->n; i-- > 0;) {
		rest[i] = rest[i + 1];
		sum_add(&rest[i], open_of(e, l->v[i]));
	}
	struct ilist cur = {0};
	long budget = SUBSET_BUDGET;
	int n = subsets(e, l, 0, target, rest, pick, &cur, &budget);
	free(cur.v);
	free(rest);
	return n;
}

static void by_counterparty(struct engine *e, uint32_t ti, struct txview *v, enum pm_dir dir,
			    int64_t amount)
{
	const struct pm_txn *t = &e->s->txns[ti];
	struct pm_outcome *o = &e->r->outcomes[ti];
	struct ident id;
	identify(e, v, dir, &id);
	char a[MONEY_TEXT_MAX];
	money_text(amount, t->currency, a);
	if (id.by == BY_NONE) {
		set_outcome(o, PM_UNMATCHED, xstrdup("no invoice number in the title and no known "
						     "counterparty"));
		return;
	}
	char *who = group_names(e, &id.groups);
	struct ilist open = {0}, equal = {0}, pick = {0};
	for (size_t g = 0; g < id.groups.n; g++) {
		const struct group *gr = &e->groups[id.groups.v[g]];
		for (size_t i = 0; i < gr->invs.n; i++) {
			uint32_t k = gr->invs.v[i];
			if (INV(e, k)->dir != dir || strcmp(INV(e, k)->currency, t->currency) != 0 ||
			    !takes(e, k) || rejected(e, t->id, k))
				continue;
			il_add(&open, k);
			if (open_of(e, k) == amount)
				il_add(&equal, k);
		}
	}
	sort_due(e, &open);
	sort_due(e, &equal);
	if (id.groups.n > 1) {
		for (size_t i = 0; i < (equal.n ? equal.n : open.n); i++)
			add_candidate(e, o, equal.n ? equal.v[i] : open.v[i]);
		set_outcome(o, PM_PERSON, xasprintf("the counterparty is not clear (by %s: %s): a "
						    "person decides", by_name(id.by), who));
	} else if (equal.n == 1) {
		add_candidate(e, o, equal.v[0]);
		add_match(e, t, equal.v[0], amount, PM_RULE_COUNTERPARTY_AMOUNT, PM_LIKELY);
		set_outcome(o, PM_MATCHED, xasprintf("counterparty %s found by %s%s%s; its only open "
						     "invoice of %s is %s", who, by_name(id.by),
						     id.signal ? " " : "", id.signal ? id.signal : "",
						     a, number_text(e, equal.v[0])));
	} else if (equal.n > 1) {
		for (size_t i = 0; i < equal.n; i++)
			add_candidate(e, o, equal.v[i]);
		char *nums = numbers_text(e, &equal);
		set_outcome(o, PM_PERSON, xasprintf("counterparty %s has %zu open invoices of %s (%s): "
						    "they fit equally, a person decides", who,
						    equal.n, a, nums));
		free(nums);
	} else {
		int sets = open.n >= 2 && open.n <= PM_SUBSET_MAX ? exact_sets(e, &open, amount, &pick) : 0;
		sort_due(e, &open);
		if (sets == 1) {
			char *nums = numbers_text(e, &pick);
			for (size_t i = 0; i < pick.n; i++)
				add_candidate(e, o, pick.v[i]);
			allocate(e, t, &pick, amount, PM_RULE_COUNTERPARTY_SUM, PM_LIKELY);
			set_outcome(o, PM_MATCHED, xasprintf("counterparty %s found by %s; of its open "
							     "invoices only %s add up to %s", who,
							     by_name(id.by), nums, a));
			free(nums);
		} else if (e->s->settings.partial && open.n == 1) {
			add_candidate(e, o, open.v[0]);
			o->overpaid = allocate(e, t, &open, amount, PM_RULE_COUNTERPARTY_PARTIAL, PM_LIKELY);
			set_outcome(o, PM_MATCHED, xasprintf("counterparty %s found by %s; %s paid towards "
							     "its only open invoice %s (partial payments "
							     "allowed)", who, by_name(id.by), a,
							     number_text(e, open.v[0])));
		} else {
			for (size_t i = 0; i < open.n; i++)
				add_candidate(e, o, open.v[i]);
			set_outcome(o, open.n ? PM_PERSON : PM_UNMATCHED,
				    sets > 1 ? xasprintf("counterparty %s found by %s; several sets of "
							 "its open invoices add up to %s: a person "
							 "decides", who, by_name(id.by), a)
				    : open.n ? xasprintf("counterparty %s found by %s; none of its %zu "
							 "open invoices is %s", who, by_name(id.by),
							 open.n, a)
					     : xasprintf("counterparty %s found by %s, but it has no "
							 "open invoice", who, by_name(id.by)));
		}
	}
	free(who);
	free(open.v);
	free(equal.v);
	free(pick.v);
	free(id.groups.v);
}

/* ---- the run ------------------------------------------------------------------------------ */

static enum pm_dir dir_of(const struct pm_txn *t)
{
	return t->amount > 0 ? PM_SALES : PM_PURCHASE;
}

static int64_t abs64(int64_t v)
{
	return v < 0 ? -v : v;
}

/* A person's pairs: each invoice in the order given takes what is open of it, the last
 * what is left; one that nothing is open of or left for is paired (a candidate, named in
 * the reason) but paid nothing: no match of 0. */
static bool apply_pairs(struct engine *e, uint32_t ti)
{
	const struct pm_txn *t = &e->s->txns[ti];
	struct pm_outcome *o = &e->r->outcomes[ti];
	size_t a, b;
	decisions_of(e, t->id, &a, &b);
	struct ilist l = {0};
	bool dismissed = false;
	for (size_t k = a; k < b; k++) {
		uint32_t inv;
		if (decision(e, k)->kind == PM_DISMISS)
			dismissed = true;
		else if (decision(e, k)->kind == PM_PAIR && inv_index(e, decision(e, k)->inv, &inv))
			il_add_once(&l, inv);
	}
	if (!l.n) {
		free(l.v);
		if (dismissed)
			set_outcome(o, PM_DISMISSED, xstrdup("a person said it pays no invoice"));
		return dismissed;
	}
	int64_t left = abs64(t->amount);
	for (size_t i = 0; i < l.n; i++) {
		int64_t open = open_of(e, l.v[i]);
		int64_t take = i + 1 == l.n ? left : (open < 0 ? 0 : open < left ? open : left);
		if (take > 0)
			add_match(e, t, l.v[i], take, PM_RULE_PERSON, PM_CERTAIN);
		add_candidate(e, o, l.v[i]);
		left -= take;
	}
	char *nums = numbers_text(e, &l);
	set_outcome(o, PM_MATCHED, xasprintf("paired by a person with %s", nums));
	free(nums);
	free(l.v);
	return true;
}

static void decide(struct engine *e, uint32_t ti)
{
	const struct pm_txn *t = &e->s->txns[ti];
	struct txview v;
	txview_read(&v, t, e->s->settings.own_nip);
	enum pm_dir dir = dir_of(t);
	int64_t amount = abs64(t->amount);
	if (!by_number(e, ti, &v, dir, amount))
		by_counterparty(e, ti, &v, dir, amount);
	txview_free(&v);
}

static const struct pm_scope *sort_scope;

static int txn_cmp(const void *a, const void *b)
{
	const struct pm_txn *x = &sort_scope->txns[*(const uint32_t *)a];
	const struct pm_txn *y = &sort_scope->txns[*(const uint32_t *)b];
	int c = strcmp(x->date, y->date);
	return c ? c : strcmp(x->ident, y->ident);
}

static void engine_free(struct engine *e)
{
	for (size_t i = 0; i < e->s->ninvoices; i++)
		free(e->inv[i].deferred.v);
	free(e->inv);
	for (size_t g = 0; g < e->ngroups; g++) {
		free(e->groups[g].key);
		strlist_free(&e->groups[g].words);
		free(e->groups[g].invs.v);
	}
	free(e->groups);
	strset_free(&e->by_group);
	mm_free(&e->by_last);
	mm_free(&e->by_nip);
	mm_free(&e->by_account);
	mm_free(&e->by_word);
	free(e->dec_tx);
	free(e->dec_order);
	free(e->inv_ids);
	free(e->inv_idx);
}

void pm_run(const struct pm_scope *scope, struct pm_result *res)
{
	memset(res, 0, sizeof(*res));
	size_t ni = scope->ninvoices, nt = scope->ntxns;
	res->outcomes = xcalloc(nt ? nt : 1, sizeof(*res->outcomes));
	res->allocated = xcalloc(ni ? ni : 1, sizeof(*res->allocated));
	res->open = xcalloc(ni ? ni : 1, sizeof(*res->open));
	struct engine e = {.s = scope, .r = res};
	e.inv = xcalloc(ni ? ni : 1, sizeof(*e.inv));
	for (size_t i = 0; i < ni; i++) {
		struct inv_state *is = &e.inv[i];
		is->searchable = scope->invoices[i].number &&
				 paytitle_number_key(scope->invoices[i].number, &is->key);
		if (is->searchable)
			il_add(mm_list(&e.by_last, is->key.last, true), (uint32_t)i);
	}
	build_groups(&e);
	build_lookups(&e);
	uint32_t *order = xmalloc((nt ? nt : 1) * sizeof(*order));
	for (size_t i = 0; i < nt; i++) {
		order[i] = (uint32_t)i;
		res->outcomes[i].tx = scope->txns[i].id;
		res->outcomes[i].state = PM_UNMATCHED;
	}
	sort_scope = scope;
	qsort(order, nt, sizeof(*order), txn_cmp);
	bool *done = xcalloc(nt ? nt : 1, sizeof(*done));
	for (size_t k = 0; k < nt; k++) { /* a person's decisions first */
		const struct pm_txn *t = &scope->txns[order[k]];
		if (t->skip || t->amount == 0)
			continue;
		done[order[k]] = apply_pairs(&e, order[k]);
	}
	for (size_t k = 0; k < nt; k++) {
		uint32_t ti = order[k];
		const struct pm_txn *t = &scope->txns[ti];
		if (t->skip || t->amount == 0)
			set_outcome(&res->outcomes[ti], PM_SKIPPED,
				    xstrdup(t->amount ? "pending or a reversal: not matched" : "zero amount"));
		else if (!done[ti])
			decide(&e, ti);
	}
	for (size_t i = 0; i < ni; i++)
		res->open[i] = payable(&e, (uint32_t)i) ? open_of(&e, (uint32_t)i) : 0;
	free(done);
	free(order);
	engine_free(&e);
}

void pm_result_free(struct pm_result *res, size_t ntxns)
{
	for (size_t i = 0; res->outcomes && i < ntxns; i++)
		free(res->outcomes[i].reason);
	free(res->outcomes);
	free(res->matches);
	free(res->allocated);
	free(res->open);
	memset(res, 0, sizeof(*res));
}
