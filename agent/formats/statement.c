/* statement — the transaction and statement model, its totals and its JSON forms. */
#include "formats/statement.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/money.h"

/* ---- names ------------------------------------------------------------------------- */

static const char *const format_names[] = {
	[STMT_FORMAT_UNKNOWN] = "unknown",
	[STMT_FORMAT_MT940] = "mt940",
	[STMT_FORMAT_MT942] = "mt942",
	[STMT_FORMAT_CAMT053] = "camt.053",
	[STMT_FORMAT_CAMT052] = "camt.052",
	[STMT_FORMAT_CAMT054] = "camt.054",
	[STMT_FORMAT_CSV] = "csv",
	[STMT_FORMAT_TRANSACTIONS_JSON] = TRANSACTIONS_SCHEMA,
};

const char *stmt_format_name(enum stmt_format format)
{
	return format_names[format];
}

static enum stmt_format format_by_name(const char *name)
{
	for (size_t i = 1; i < ARRAY_LEN(format_names); i++)
		if (strcmp(format_names[i], name) == 0)
			return (enum stmt_format)i;
	return STMT_FORMAT_UNKNOWN;
}

static const char *const kind_names[] = {"statement", "interim", "notification"};

const char *stmt_kind_name(enum stmt_kind kind)
{
	return kind_names[kind];
}

static const char *const status_names[] = {"booked", "pending", "info"};

const char *txn_status_name(enum txn_status status)
{
	return status_names[status];
}

/* Polish banks by the first three digits of the sort code (NBP's list of bank numbers);
 * 8xxx and 9xxx are co-operative banks. */
static const struct {
	const char *code;
	const char *name;
} polish_banks[] = {
	{"101", "NBP"},
	{"102", "PKO BP"},
	{"103", "Citi Handlowy"},
	{"105", "ING Bank Śląski"},
	{"106", "Bank BPH"},
	{"109", "Santander Bank Polska"},
	{"113", "BGK"},
	{"114", "mBank"},
	{"116", "Bank Millennium"},
	{"124", "Bank Pekao"},
	{"132", "Bank Pocztowy"},
	{"154", "BOŚ Bank"},
	{"156", "VeloBank"},
	{"160", "BNP Paribas"},
	{"161", "SGB-Bank"},
	{"168", "Plus Bank"},
	{"175", "Raiffeisen"},
	{"184", "Société Générale"},
	{"187", "Nest Bank"},
	{"188", "Deutsche Bank Polska"},
	{"194", "Credit Agricole"},
	{"195", "Idea Bank"},
	{"203", "BNP Paribas"},
	{"212", "Santander Consumer Bank"},
	{"249", "Alior Bank"},
};

const char *stmt_bank_of_account(const char *iban)
{
	if (!iban || strncmp(iban, "PL", 2) != 0 || strlen(iban) != 28)
		return NULL;
	const char *sort = iban + 4;
	if (sort[0] == '8' || sort[0] == '9')
		return "bank spółdzielczy";
	for (size_t i = 0; i < ARRAY_LEN(polish_banks); i++)
		if (strncmp(sort, polish_banks[i].code, 3) == 0)
			return polish_banks[i].name;
	return NULL;
}

bool stmt_is_currency(const char *s)
{
	for (int i = 0; i < STMT_CCY_LEN; i++)
		if (s[i] < 'A' || s[i] > 'Z')
			return false;
	return true;
}

bool stmt_date_set(char out[STMT_DATE_LEN + 1], int year, int month, int day)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	out[0] = '\0';
	if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 ||
	    day > days[month - 1] + (month == 2 && leap))
		return false;
	char text[32];
	snprintf(text, sizeof(text), "%04d-%02d-%02d", year, month, day);
	memcpy(out, text, STMT_DATE_LEN + 1);
	return true;
}

/* ---- transactions ------------------------------------------------------------------ */

void txn_set(char **field, const char *value)
{
	free(*field);
	*field = value ? xstrdup(value) : NULL;
}

void txn_set_trimmed(char **field, const char *value, size_t n)
{
	while (n > 0 && *value == ' ') {
		value++;
		n--;
	}
	while (n > 0 && value[n - 1] == ' ')
		n--;
	free(*field);
	*field = n ? xstrndup(value, n) : NULL;
}

void txn_add_raw(struct txn *t, const char *key, const char *value)
{
	if (t->nraw == t->raw_cap) {
		t->raw_cap = t->raw_cap ? t->raw_cap * 2 : 8;
		t->raw = xrealloc(t->raw, t->raw_cap * sizeof(*t->raw));
	}
	t->raw[t->nraw].key = xstrdup(key);
	t->raw[t->nraw].value = xstrdup(value);
	t->nraw++;
}

/* The owned strings of a transaction, for copying and freeing in one place. */
#define TXN_STRINGS(t)                                                                   \
	&(t)->counterparty_name, &(t)->counterparty_account, &(t)->title, &(t)->bank_ref,   \
	    &(t)->transaction_id, &(t)->customer_ref, &(t)->type_code, &(t)->type_swift,    \
	    &(t)->type_text

void txn_copy(struct txn *dst, const struct txn *src)
{
	*dst = *src;
	char **fields[] = {TXN_STRINGS(dst)};
	for (size_t i = 0; i < ARRAY_LEN(fields); i++)
		*fields[i] = *fields[i] ? xstrdup(*fields[i]) : NULL;
	dst->raw = NULL;
	dst->nraw = dst->raw_cap = 0;
	for (size_t i = 0; i < src->nraw; i++)
		txn_add_raw(dst, src->raw[i].key, src->raw[i].value);
}

void txn_clear(struct txn *t)
{
	char **fields[] = {TXN_STRINGS(t)};
	for (size_t i = 0; i < ARRAY_LEN(fields); i++)
		free(*fields[i]);
	for (size_t i = 0; i < t->nraw; i++) {
		free(t->raw[i].key);
		free(t->raw[i].value);
	}
	free(t->raw);
	memset(t, 0, sizeof(*t));
}

/* ---- statements -------------------------------------------------------------------- */

void stmt_set_account(char out[IBAN_MAX_LEN + 1], const char *written, size_t n)
{
	char *text = NULL;
	txn_set_trimmed(&text, written, n);
	if (!text || !account_normalise(text, out)) {
		size_t k = text ? strlen(text) : 0;
		if (k > IBAN_MAX_LEN) { /* cut, but not inside a UTF-8 sequence */
			k = IBAN_MAX_LEN;
			while (k > 0 && ((unsigned char)text[k] & 0xC0) == 0x80)
				k--;
		}
		memcpy(out, text ? text : "", k);
		out[k] = '\0';
	}
	free(text);
}

static void add_problem(struct strlist *list, unsigned long *dropped, const char *fmt,
			va_list ap)
{
	if (list->len >= STMT_PROBLEMS_MAX) {
		(*dropped)++;
		return;
	}
	char *text = xvasprintf(fmt, ap);
	strlist_add(list, text);
	free(text);
}

void stmt_problem(struct stmt *st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_problem(&st->problems, &st->problems_dropped, fmt, ap);
	va_end(ap);
}

void stmt_file_problem(struct stmt_file *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_problem(&f->problems, &f->problems_dropped, fmt, ap);
	va_end(ap);
}

static void widen_period(struct stmt *st, const char *date)
{
	if (!date[0])
		return;
	if (!st->period_from[0] || strcmp(date, st->period_from) < 0)
		memcpy(st->period_from, date, STMT_DATE_LEN + 1);
	if (!st->period_to[0] || strcmp(date, st->period_to) > 0)
		memcpy(st->period_to, date, STMT_DATE_LEN + 1);
}

void stmt_add_txn(struct stmt *st, const struct txn *t)
{
	st->count++;
	if (!st->currency[0])
		memcpy(st->currency, t->currency, sizeof(st->currency));
	widen_period(st, t->booking_date[0] ? t->booking_date : t->value_date);
	if (t->status != TXN_BOOKED) {
		st->pending_count++;
		return;
	}
	if (t->amount >= 0) {
		st->credit_entries += t->origin.detail == 0;
		st->credits_count++;
		if (__builtin_add_overflow(st->credits_sum, t->amount, &st->credits_sum))
			st->sums_overflow = true;
	} else {
		st->debit_entries += t->origin.detail == 0;
		st->debits_count++;
		if (__builtin_add_overflow(st->debits_sum, t->amount, &st->debits_sum))
			st->sums_overflow = true;
	}
}

static const char *exp_format(int64_t minor, const char *currency, char out[MONEY_TEXT_MAX])
{
	money_format(minor, currency_exponent(currency), out);
	return out;
}

/* Do the stated totals of one side agree with what was read? */
static bool stated_side_agrees(struct stmt *st, const char *side, bool stated,
			       unsigned long stated_count, int64_t stated_sum,
			       unsigned long count, int64_t sum)
{
	bool count_ok = stated_count == STMT_COUNT_UNSTATED || stated_count == count;
	if (!stated || (count_ok && stated_sum == sum))
		return true;
	char a[MONEY_TEXT_MAX], b[MONEY_TEXT_MAX];
	if (stated_count == STMT_COUNT_UNSTATED)
		stmt_problem(st, "the file states %s summing %s, but %lu summing %s were read",
			     side, exp_format(stated_sum, st->currency, a), count,
			     exp_format(sum, st->currency, b));
	else
		stmt_problem(st, "the file states %lu %s summing %s, but %lu summing %s were read",
			     stated_count, side, exp_format(stated_sum, st->currency, a), count,
			     exp_format(sum, st->currency, b));
	return false;
}

/* balances_expected: a statement has balances; an interim report or a notification may
 * have none, which is then no problem (it just does not reconcile). */
static void finish(struct stmt *st, bool balances_expected)
{
	st->reconciles = false;
	if (!st->period_from[0]) /* no transactions: the day of the balances */
		widen_period(st, st->closing.present ? st->closing.date : st->opening.date);
	if (st->sums_overflow) {
		stmt_problem(st, "the sums of the transactions do not fit in 64 bits");
		return;
	}
	bool credits_ok = stated_side_agrees(st, "credits", st->stated_credits,
					     st->stated_credits_count, st->stated_credits_sum,
					     st->credit_entries, st->credits_sum);
	bool debits_ok = stated_side_agrees(st, "debits", st->stated_debits,
					    st->stated_debits_count, st->stated_debits_sum,
					    st->debit_entries, st->debits_sum);
	if (!credits_ok || !debits_ok)
		return;
	if (!st->opening.present && !st->closing.present &&
	    (st->stated_credits || st->stated_debits)) {
		st->reconciles = true;
		return;
	}
	if (!balances_expected && !st->opening.present && !st->closing.present)
		return;
	if (!st->opening.present) {
		stmt_problem(st, "no opening balance");
		return;
	}
	if (!st->closing.present) {
		stmt_problem(st, "no closing balance");
		return;
	}
	if (strcmp(st->opening.currency, st->closing.currency) != 0) {
		stmt_problem(st, "opening balance in %s, closing balance in %s",
			     st->opening.currency, st->closing.currency);
		return;
	}
	int64_t expected;
	if (__builtin_add_overflow(st->opening.amount, st->credits_sum, &expected) ||
	    __builtin_add_overflow(expected, st->debits_sum, &expected)) {
		stmt_problem(st, "opening balance plus transactions does not fit in 64 bits");
		return;
	}
	if (expected != st->closing.amount) {
		char a[MONEY_TEXT_MAX], b[MONEY_TEXT_MAX], c[MONEY_TEXT_MAX], d[MONEY_TEXT_MAX];
		const char *ccy = st->closing.currency;
		stmt_problem(st,
			     "balances do not reconcile: opening %s + transactions %s = %s, but "
			     "the closing balance is %s",
			     exp_format(st->opening.amount, ccy, a),
			     exp_format(expected - st->opening.amount, ccy, b),
			     exp_format(expected, ccy, c), exp_format(st->closing.amount, ccy, d));
		return;
	}
	st->reconciles = true;
}

void stmt_finish(struct stmt *st)
{
	finish(st, true);
}

static void free_txns(struct txn *txns, size_t n)
{
	for (size_t i = 0; i < n; i++)
		txn_clear(&txns[i]);
	free(txns);
}

void stmt_clear(struct stmt *st)
{
	free(st->id);
	free(st->number);
	strlist_free(&st->problems);
	free_txns(st->txns, st->ntxns);
	memset(st, 0, sizeof(*st));
}

/* ---- files ------------------------------------------------------------------------- */

void stmt_file_init(struct stmt_file *f, const char *name)
{
	memset(f, 0, sizeof(*f));
	f->name = xstrdup(name ? name : "(input)");
}

void stmt_file_free(struct stmt_file *f)
{
	for (size_t i = 0; i < f->nstatements; i++)
		stmt_clear(&f->statements[i]);
	free(f->statements);
	free(f->name);
	free(f->version);
	free(f->dialect);
	free(f->encoding);
	free(f->bank);
	strlist_free(&f->problems);
	json_decref(f->unreadable);
	memset(f, 0, sizeof(*f));
}

void stmt_file_unreadable(struct stmt_file *f, const json_t *raw, const char *why)
{
	if (!f->unreadable)
		f->unreadable = json_array();
	json_array_append_new(f->unreadable, json_pack("{s:s, s:o}", "why", why, "transaction", json_deep_copy(raw)));
	stmt_file_problem(f, "a transaction the bank sent could not be read (%s); it is kept as it came under "
			  "\"unreadable\"", why);
}

void stmt_file_set(char **field, const char *value)
{
	txn_set(field, value);
}

int stmt_emit_txn(struct stmt_file *f, struct stmt *st, const struct txn *t,
		  const struct stmt_sink *sink, struct gerr *err)
{
	stmt_add_txn(st, t);
	f->txns_total++;
	if (f->keep_txns) {
		if (st->ntxns == st->txns_cap) {
			st->txns_cap = st->txns_cap ? st->txns_cap * 2 : 16;
			st->txns = xrealloc(st->txns, st->txns_cap * sizeof(*st->txns));
		}
		txn_copy(&st->txns[st->ntxns++], t);
	}
	if (sink && sink->transaction)
		return sink->transaction(sink->ctx, f, st, t, err);
	return 0;
}

int stmt_emit_end(struct stmt_file *f, struct stmt *st, const struct stmt_sink *sink,
		  struct gerr *err)
{
	finish(st, f->kind == STMT_KIND_STATEMENT);
	st->index = (unsigned)f->statements_total;
	f->statements_total++;
	if (!f->bank && stmt_bank_of_account(st->account))
		f->bank = xstrdup(stmt_bank_of_account(st->account));
	int rc = 0;
	if (sink && sink->statement_end)
		rc = sink->statement_end(sink->ctx, f, st, err);
	if (f->nstatements < STMT_KEEP_MAX) {
		if (f->nstatements == f->statements_cap) {
			f->statements_cap = f->statements_cap ? f->statements_cap * 2 : 4;
			f->statements = xrealloc(f->statements,
						 f->statements_cap * sizeof(*f->statements));
		}
		f->statements[f->nstatements++] = *st;
		memset(st, 0, sizeof(*st));
	} else {
		stmt_clear(st);
	}
	return rc;
}

/* ---- JSON out ---------------------------------------------------------------------- */

static void set_text(json_t *obj, const char *key, const char *value)
{
	if (value && value[0])
		json_object_set_new(obj, key, json_string(value));
}

static json_t *amount_json(int64_t minor, const char *currency)
{
	char text[MONEY_TEXT_MAX];
	return json_string(exp_format(minor, currency, text));
}

static void set_balance(json_t *obj, const char *key, const struct stmt_balance *b)
{
	if (!b->present)
		return;
	json_t *j = json_object();
	json_object_set_new(j, "amount", amount_json(b->amount, b->currency));
	set_text(j, "currency", b->currency);
	set_text(j, "date", b->date);
	json_object_set_new(obj, key, j);
}

static json_t *problems_json(const struct strlist *problems, unsigned long dropped)
{
	json_t *a = json_array();
	for (size_t i = 0; i < problems->len; i++)
		json_array_append_new(a, json_string(problems->items[i]));
	if (dropped) {
		char *more = xasprintf("%lu more problems not listed", dropped);
		json_array_append_new(a, json_string(more));
		free(more);
	}
	return a;
}

static json_t *total_json(unsigned long count, int64_t sum, const char *currency)
{
	json_t *j = json_object();
	json_object_set_new(j, "count", json_integer((json_int_t)count));
	json_object_set_new(j, "sum", amount_json(sum, currency));
	return j;
}

static void set_period(json_t *obj, const char *from, const char *to)
{
	if (!from[0] && !to[0])
		return;
	json_t *p = json_object();
	set_text(p, "from", from);
	set_text(p, "to", to);
	json_object_set_new(obj, "period", p);
}

json_t *stmt_summary_json(const struct stmt *st)
{
	json_t *j = json_object();
	set_text(j, "account", st->account);
	set_text(j, "currency", st->currency);
	set_text(j, "id", st->id);
	set_text(j, "number", st->number);
	set_period(j, st->period_from, st->period_to);
	set_balance(j, "opening_balance", &st->opening);
	set_balance(j, "closing_balance", &st->closing);
	set_balance(j, "closing_available", &st->closing_available);
	set_balance(j, "forward_available", &st->forward_available);
	json_object_set_new(j, "count", json_integer((json_int_t)st->count));
	if (st->pending_count)
		json_object_set_new(j, "pending", json_integer((json_int_t)st->pending_count));
	if (!st->sums_overflow) {
		json_object_set_new(j, "credits",
				    total_json(st->credits_count, st->credits_sum, st->currency));
		json_object_set_new(j, "debits",
				    total_json(st->debits_count, st->debits_sum, st->currency));
	}
	json_object_set_new(j, "reconciles", json_boolean(st->reconciles));
	json_object_set_new(j, "problems", problems_json(&st->problems, st->problems_dropped));
	return j;
}

static void set_file_fields(json_t *j, const struct stmt_file *f)
{
	set_text(j, "format", stmt_format_name(f->format));
	set_text(j, "kind", stmt_kind_name(f->kind));
	set_text(j, "version", f->version);
	set_text(j, "dialect", f->dialect);
	set_text(j, "encoding", f->encoding);
	set_text(j, "bank", f->bank);
}

/* Do all kept statements share this field? Returns it, or NULL. */
static const char *common_field(const struct stmt_file *f, size_t offset)
{
	if (f->nstatements == 0 || f->statements_total != f->nstatements)
		return NULL;
	const char *first = (const char *)&f->statements[0] + offset;
	for (size_t i = 1; i < f->nstatements; i++)
		if (strcmp((const char *)&f->statements[i] + offset, first) != 0)
			return NULL;
	return first[0] ? first : NULL;
}

static json_t *accounts_json(const struct stmt_file *f)
{
	json_t *a = json_array();
	for (size_t i = 0; i < f->nstatements; i++) {
		const char *acct = f->statements[i].account;
		bool seen = !acct[0];
		for (size_t k = 0; k < i && !seen; k++)
			seen = strcmp(f->statements[k].account, acct) == 0;
		if (!seen)
			json_array_append_new(a, json_string(acct));
	}
	return a;
}

/* Totals of a file with several statements: account/currency where common, period over
 * all, sums when one currency, reconciles when every statement does. */
static void set_file_totals(json_t *j, const struct stmt_file *f)
{
	const char *account = common_field(f, offsetof(struct stmt, account));
	const char *currency = common_field(f, offsetof(struct stmt, currency));
	set_text(j, "account", account ? account
			       : f->nstatements ? f->statements[0].account : NULL);
	set_text(j, "currency", currency);
	json_object_set_new(j, "accounts", accounts_json(f));
	struct stmt all = {0};
	bool reconciles = f->nstatements > 0 && f->statements_total == f->nstatements;
	for (size_t i = 0; i < f->nstatements; i++) {
		const struct stmt *st = &f->statements[i];
		widen_period(&all, st->period_from);
		widen_period(&all, st->period_to);
		all.credits_count += st->credits_count;
		all.debits_count += st->debits_count;
		all.sums_overflow |= st->sums_overflow ||
				     __builtin_add_overflow(all.credits_sum, st->credits_sum,
							    &all.credits_sum) ||
				     __builtin_add_overflow(all.debits_sum, st->debits_sum,
							    &all.debits_sum);
		reconciles = reconciles && st->reconciles;
	}
	set_period(j, all.period_from, all.period_to);
	json_object_set_new(j, "count", json_integer((json_int_t)f->txns_total));
	if (currency && !all.sums_overflow) {
		json_object_set_new(j, "credits",
				    total_json(all.credits_count, all.credits_sum, currency));
		json_object_set_new(j, "debits",
				    total_json(all.debits_count, all.debits_sum, currency));
	}
	json_object_set_new(j, "reconciles", json_boolean(reconciles));
}

/* Every problem of the file and of its statements, each statement's prefixed with its
 * account when there are several. */
static json_t *all_problems_json(const struct stmt_file *f)
{
	json_t *a = problems_json(&f->problems, f->problems_dropped);
	for (size_t i = 0; i < f->nstatements; i++) {
		const struct stmt *st = &f->statements[i];
		json_t *p = problems_json(&st->problems, st->problems_dropped);
		size_t k;
		json_t *v;
		json_array_foreach(p, k, v) {
			if (f->nstatements == 1) {
				json_array_append(a, v);
				continue;
			}
			char *text = xasprintf("statement %zu (%s): %s", i + 1,
					       st->account[0] ? st->account : "no account",
					       json_string_value(v));
			json_array_append_new(a, json_string(text));
			free(text);
		}
		json_decref(p);
	}
	if (f->statements_total > f->nstatements) {
		char *text = xasprintf("%lu statements not listed",
				       f->statements_total - f->nstatements);
		json_array_append_new(a, json_string(text));
		free(text);
	}
	return a;
}

json_t *stmt_sidecar_json(const struct stmt_file *f)
{
	json_t *j = json_object();
	set_file_fields(j, f);
	json_object_set_new(j, "statements_count", json_integer((json_int_t)f->statements_total));
	if (f->statements_total == 1 && f->nstatements == 1) {
		json_t *one = stmt_summary_json(&f->statements[0]);
		json_object_del(one, "problems");
		json_object_update(j, one);
		json_decref(one);
	} else {
		set_file_totals(j, f);
		json_t *list = json_array();
		for (size_t i = 0; i < f->nstatements; i++)
			json_array_append_new(list, stmt_summary_json(&f->statements[i]));
		json_object_set_new(j, "statements", list);
	}
	json_object_set_new(j, "problems", all_problems_json(f));
	return j;
}

json_t *stmt_sidecar_error_json(enum stmt_format format, const char *message)
{
	json_t *j = json_object();
	if (format != STMT_FORMAT_UNKNOWN)
		set_text(j, "format", stmt_format_name(format));
	json_object_set_new(j, "error", json_string(message));
	return j;
}

json_t *txn_json(const struct txn *t)
{
	json_t *j = json_object();
	set_text(j, "booking_date", t->booking_date);
	set_text(j, "value_date", t->value_date);
	json_object_set_new(j, "amount", amount_json(t->amount, t->currency));
	set_text(j, "currency", t->currency);
	set_text(j, "account", t->account);
	json_object_set_new(j, "status", json_string(txn_status_name(t->status)));
	if (t->reversal)
		json_object_set_new(j, "reversal", json_true());
	if (t->counterparty_name || t->counterparty_account) {
		json_t *cp = json_object();
		set_text(cp, "name", t->counterparty_name);
		set_text(cp, "account", t->counterparty_account);
		json_object_set_new(j, "counterparty", cp);
	}
	set_text(j, "title", t->title);
	if (t->bank_ref || t->transaction_id || t->customer_ref) {
		json_t *refs = json_object();
		set_text(refs, "bank", t->bank_ref);
		set_text(refs, "transaction", t->transaction_id);
		set_text(refs, "customer", t->customer_ref);
		json_object_set_new(j, "refs", refs);
	}
	if (t->type_code || t->type_swift || t->type_text) {
		json_t *type = json_object();
		set_text(type, "code", t->type_code);
		set_text(type, "swift", t->type_swift);
		set_text(type, "text", t->type_text);
		json_object_set_new(j, "type", type);
	}
	json_object_set_new(j, "origin",
			    json_pack("{s:I, s:I, s:I, s:I}", "line", (json_int_t)t->origin.line,
				      "statement", (json_int_t)t->origin.statement, "entry",
				      (json_int_t)t->origin.entry, "detail",
				      (json_int_t)t->origin.detail));
	if (t->nraw) {
		json_t *raw = json_array();
		for (size_t i = 0; i < t->nraw; i++)
			json_array_append_new(raw, json_pack("[s, s]", t->raw[i].key,
							     t->raw[i].value));
		json_object_set_new(j, "raw", raw);
	}
	return j;
}

json_t *stmt_transactions_json(const struct stmt_file *f)
{
	json_t *j = json_object();
	json_object_set_new(j, "schema", json_string(TRANSACTIONS_SCHEMA));
	set_file_fields(j, f);
	json_t *list = json_array();
	for (size_t i = 0; i < f->nstatements; i++) {
		const struct stmt *st = &f->statements[i];
		json_t *s = stmt_summary_json(st);
		json_t *txns = json_array();
		for (size_t k = 0; k < st->ntxns; k++) {
			const struct txn *t = &st->txns[k];
			json_t *tj = txn_json(t);
			/* one read before its currency was known is read back in the
			 * statement's, as its totals count it */
			if (!t->currency[0])
				json_object_set_new(tj, "amount", amount_json(t->amount, st->currency));
			json_array_append_new(txns, tj);
		}
		json_object_set_new(s, "transactions", txns);
		json_array_append_new(list, s);
	}
	json_object_set_new(j, "statements", list);
	if (f->unreadable)
		json_object_set(j, "unreadable", f->unreadable);
	return j;
}

/* ---- JSON in ----------------------------------------------------------------------- */

/* Reading goniec.transactions/1: every field checked for its type and form. `where`
 * names the item in messages ("statement 2, transaction 5"). */
struct json_in {
	const char *name;	/* the document, for messages */
	char where[96];
	struct gerr *err;
};

static int bad_field(struct json_in *in, const char *field, const char *what)
{
	return gerr_set(in->err, "%s: %s: \"%s\" %s", in->name, in->where, field, what);
}

/* An optional string member; *out is NULL when absent. */
static int get_text(struct json_in *in, const json_t *obj, const char *key, const char **out)
{
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v)
		return 0;
	if (!json_is_string(v))
		return bad_field(in, key, "is not a string");
	*out = json_string_value(v);
	return 0;
}

static int get_owned(struct json_in *in, const json_t *obj, const char *key, char **field)
{
	const char *text;
	if (get_text(in, obj, key, &text) < 0)
		return -1;
	txn_set(field, text);
	return 0;
}

static bool is_date(const char *s)
{
	static const char shape[] = "dddd-dd-dd";
	if (strlen(s) != STMT_DATE_LEN)
		return false;
	for (size_t i = 0; i < STMT_DATE_LEN; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
			return false;
	return true;
}

static int get_date(struct json_in *in, const json_t *obj, const char *key,
		    char out[STMT_DATE_LEN + 1])
{
	const char *text;
	if (get_text(in, obj, key, &text) < 0)
		return -1;
	out[0] = '\0';
	if (!text)
		return 0;
	if (!is_date(text))
		return bad_field(in, key, "is not a date YYYY-MM-DD");
	memcpy(out, text, STMT_DATE_LEN + 1);
	return 0;
}

static int get_currency(struct json_in *in, const json_t *obj, const char *key,
			char out[STMT_CCY_LEN + 1], bool required)
{
	const char *text;
	if (get_text(in, obj, key, &text) < 0)
		return -1;
	out[0] = '\0';
	if (!text)
		return required ? bad_field(in, key, "is missing") : 0;
	if (strlen(text) != STMT_CCY_LEN || !stmt_is_currency(text))
		return bad_field(in, key, "is not a currency code");
	memcpy(out, text, STMT_CCY_LEN + 1);
	return 0;
}

static int get_amount(struct json_in *in, const json_t *obj, const char *key,
		      const char *currency, int64_t *out)
{
	const char *text;
	if (get_text(in, obj, key, &text) < 0)
		return -1;
	if (!text)
		return bad_field(in, key, "is missing");
	struct gerr why;
	if (money_parse(text, '.', currency_exponent(currency), out, &why) < 0)
		return bad_field(in, key, why.msg);
	return 0;
}

static int get_account(struct json_in *in, const json_t *obj, const char *key,
		       char out[IBAN_MAX_LEN + 1])
{
	const char *text;
	if (get_text(in, obj, key, &text) < 0)
		return -1;
	out[0] = '\0';
	if (text)
		stmt_set_account(out, text, strlen(text));
	return 0;
}

static int get_balance(struct json_in *in, const json_t *obj, const char *key,
		       const char *currency, struct stmt_balance *b)
{
	json_t *v = json_object_get(obj, key);
	memset(b, 0, sizeof(*b));
	if (!v)
		return 0;
	if (!json_is_object(v))
		return bad_field(in, key, "is not an object");
	if (get_currency(in, v, "currency", b->currency, false) < 0)
		return -1;
	if (!b->currency[0])
		memcpy(b->currency, currency, STMT_CCY_LEN + 1);
	if (get_amount(in, v, "amount", b->currency, &b->amount) < 0 ||
	    get_date(in, v, "date", b->date) < 0)
		return -1;
	b->present = true;
	return 0;
}

static int get_object(struct json_in *in, const json_t *obj, const char *key, json_t **out)
{
	*out = json_object_get(obj, key);
	if (*out && !json_is_object(*out))
		return bad_field(in, key, "is not an object");
	return 0;
}

static int read_txn_parts(struct json_in *in, const json_t *j, struct txn *t)
{
	json_t *cp, *refs, *type;
	if (get_object(in, j, "counterparty", &cp) < 0 || get_object(in, j, "refs", &refs) < 0 ||
	    get_object(in, j, "type", &type) < 0)
		return -1;
	if (cp && (get_owned(in, cp, "name", &t->counterparty_name) < 0 ||
		   get_owned(in, cp, "account", &t->counterparty_account) < 0))
		return -1;
	if (refs && (get_owned(in, refs, "bank", &t->bank_ref) < 0 ||
		     get_owned(in, refs, "transaction", &t->transaction_id) < 0 ||
		     get_owned(in, refs, "customer", &t->customer_ref) < 0))
		return -1;
	if (type && (get_owned(in, type, "code", &t->type_code) < 0 ||
		     get_owned(in, type, "swift", &t->type_swift) < 0 ||
		     get_owned(in, type, "text", &t->type_text) < 0))
		return -1;
	json_t *raw = json_object_get(j, "raw");
	if (!raw)
		return 0;
	if (!json_is_array(raw))
		return bad_field(in, "raw", "is not an array");
	size_t i;
	json_t *pair;
	json_array_foreach(raw, i, pair) {
		json_t *k = json_array_get(pair, 0), *v = json_array_get(pair, 1);
		if (json_array_size(pair) != 2 || !json_is_string(k) || !json_is_string(v))
			return bad_field(in, "raw", "is not a list of [key, value] strings");
		txn_add_raw(t, json_string_value(k), json_string_value(v));
	}
	return 0;
}

static int read_status(struct json_in *in, const json_t *j, enum txn_status *status)
{
	const char *text;
	if (get_text(in, j, "status", &text) < 0)
		return -1;
	*status = TXN_BOOKED;
	if (!text)
		return 0;
	for (size_t i = 0; i < ARRAY_LEN(status_names); i++)
		if (strcmp(text, status_names[i]) == 0) {
			*status = (enum txn_status)i;
			return 0;
		}
	return bad_field(in, "status", "is not booked, pending or info");
}

static int read_origin(struct json_in *in, const json_t *j, struct txn_origin *o)
{
	json_t *origin;
	if (get_object(in, j, "origin", &origin) < 0)
		return -1;
	if (!origin)
		return 0;
	json_int_t line = 0, statement = 0, entry = 0, detail = 0;
	if (json_unpack(origin, "{s?I, s?I, s?I, s?I}", "line", &line, "statement", &statement,
			"entry", &entry, "detail", &detail) < 0 ||
	    line < 0 || statement < 0 || entry < 0 || detail < 0 || statement > UINT32_MAX ||
	    detail > UINT32_MAX)
		return bad_field(in, "origin", "is not {line, statement, entry, detail} counts");
	*o = (struct txn_origin){(unsigned long)line, (unsigned)statement, (unsigned long)entry,
				 (unsigned)detail};
	return 0;
}

static int read_txn(struct json_in *in, const json_t *j, const struct stmt *st, struct txn *t)
{
	if (!json_is_object(j))
		return gerr_set(in->err, "%s: %s is not an object", in->name, in->where);
	memcpy(t->account, st->account, sizeof(t->account));
	if (get_currency(in, j, "currency", t->currency, false) < 0)
		return -1;
	if (!t->currency[0]) /* may stay empty, as a reader may leave it (amounts: 2 decimals) */
		memcpy(t->currency, st->currency, sizeof(t->currency));
	json_t *rev = json_object_get(j, "reversal");
	if (rev && !json_is_boolean(rev))
		return bad_field(in, "reversal", "is not true or false");
	t->reversal = rev && json_is_true(rev);
	if (get_amount(in, j, "amount", t->currency, &t->amount) < 0 ||
	    get_date(in, j, "booking_date", t->booking_date) < 0 ||
	    get_date(in, j, "value_date", t->value_date) < 0 ||
	    get_owned(in, j, "title", &t->title) < 0 || read_status(in, j, &t->status) < 0 ||
	    read_origin(in, j, &t->origin) < 0)
		return -1;
	return read_txn_parts(in, j, t);
}

static int read_statement_head(struct json_in *in, const json_t *j, struct stmt *st)
{
	if (!json_is_object(j))
		return gerr_set(in->err, "%s: %s is not an object", in->name, in->where);
	if (get_account(in, j, "account", st->account) < 0 ||
	    get_currency(in, j, "currency", st->currency, false) < 0 ||
	    get_owned(in, j, "id", &st->id) < 0 || get_owned(in, j, "number", &st->number) < 0 ||
	    get_balance(in, j, "opening_balance", st->currency, &st->opening) < 0 ||
	    get_balance(in, j, "closing_balance", st->currency, &st->closing) < 0 ||
	    get_balance(in, j, "closing_available", st->currency, &st->closing_available) < 0 ||
	    get_balance(in, j, "forward_available", st->currency, &st->forward_available) < 0)
		return -1;
	json_t *period;
	if (get_object(in, j, "period", &period) < 0)
		return -1;
	if (period && (get_date(in, period, "from", st->period_from) < 0 ||
		       get_date(in, period, "to", st->period_to) < 0))
		return -1;
	return 0;
}

static int read_statement(struct json_in *in, const json_t *j, struct stmt_file *f,
			  struct stmt *st, const struct stmt_sink *sink)
{
	if (read_statement_head(in, j, st) < 0)
		return -1;
	json_t *txns = json_object_get(j, "transactions");
	if (txns && !json_is_array(txns))
		return bad_field(in, "transactions", "is not an array");
	size_t base = strlen(in->where);
	size_t i;
	json_t *tj;
	json_array_foreach(txns, i, tj) {
		struct txn t = {0};
		snprintf(in->where + base, sizeof(in->where) - base, ", transaction %zu", i + 1);
		int rc = read_txn(in, tj, st, &t);
		if (rc == 0)
			rc = stmt_emit_txn(f, st, &t, sink, in->err);
		txn_clear(&t);
		if (rc < 0)
			return -1;
	}
	in->where[base] = '\0';
	return 0;
}

/* "unreadable": what a bank's API sent that the model could not take, kept again. */
static int read_unreadable(struct json_in *in, const json_t *doc, struct stmt_file *f)
{
	const json_t *list = json_object_get(doc, "unreadable"), *u;
	size_t i;

	if (!list)
		return 0;
	if (!json_is_array(list))
		return bad_field(in, "unreadable", "is not an array");
	json_array_foreach(list, i, u) {
		const char *why;
		snprintf(in->where, sizeof(in->where), "unreadable %zu", i + 1);
		if (!json_is_object(u))
			return gerr_set(in->err, "%s: %s: not an object", in->name, in->where);
		if (get_text(in, u, "why", &why) < 0)
			return -1;
		stmt_file_unreadable(f, json_object_get(u, "transaction") ?: json_null(), why ?: "not said");
	}
	return 0;
}

static int read_file_fields(struct json_in *in, const json_t *doc, struct stmt_file *f)
{
	const char *schema, *format, *kind;
	if (!json_is_object(doc))
		return gerr_set(in->err, "%s: not a JSON object", in->name);
	snprintf(in->where, sizeof(in->where), "document");
	if (get_text(in, doc, "schema", &schema) < 0 || get_text(in, doc, "format", &format) < 0)
		return -1;
	if (!schema || strcmp(schema, TRANSACTIONS_SCHEMA) != 0)
		return gerr_set(in->err, "%s: not a " TRANSACTIONS_SCHEMA " document", in->name);
	f->format = STMT_FORMAT_TRANSACTIONS_JSON;
	if (format && format_by_name(format) == STMT_FORMAT_UNKNOWN)
		return bad_field(in, "format", "is not a statement format goniec knows");
	if (get_text(in, doc, "kind", &kind) < 0)
		return -1;
	for (size_t i = 0; kind && i < ARRAY_LEN(kind_names); i++)
		if (strcmp(kind, kind_names[i]) == 0)
			f->kind = (enum stmt_kind)i;
	if (get_owned(in, doc, "version", &f->version) < 0 ||
	    get_owned(in, doc, "dialect", &f->dialect) < 0 ||
	    get_owned(in, doc, "encoding", &f->encoding) < 0 ||
	    get_owned(in, doc, "bank", &f->bank) < 0)
		return -1;
	return read_unreadable(in, doc, f);
}

int stmt_from_transactions_json(const json_t *doc, struct stmt_file *f,
				const struct stmt_sink *sink, struct gerr *err)
{
	struct json_in in = {.name = f->name, .err = err};
	if (read_file_fields(&in, doc, f) < 0)
		return -1;
	json_t *list = json_object_get(doc, "statements");
	if (!json_is_array(list))
		return bad_field(&in, "statements", "is not an array");
	size_t i;
	json_t *sj;
	json_array_foreach(list, i, sj) {
		struct stmt st = {0};
		snprintf(in.where, sizeof(in.where), "statement %zu", i + 1);
		int rc = read_statement(&in, sj, f, &st, sink);
		if (rc == 0)
			rc = stmt_emit_end(f, &st, sink, err);
		else
			stmt_clear(&st);
		if (rc < 0)
			return -1;
	}
	return 0;
}
