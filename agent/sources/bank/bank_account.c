/* bank_account — one account in a run of the bank source: the PSD2 count of unattended
 * reads and a 429's wait, the balances, the transactions of the window (the last booked
 * day less the overlap, or `history` back), the ones recorded before dropped, and one
 * statement filed when something is new. */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/money.h"
#include "formats/camt_write.h"
#include "formats/mt940_write.h"
#include "sources/filing.h"
#include "sources/bank/bank_run.h"

#define PERIOD_RETRIES 5

/* ---- dates ---------------------------------------------------------------------------- */

static void local_day(time_t t, char out[STMT_DATE_LEN + 1])
{
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(out, STMT_DATE_LEN + 1, "%Y-%m-%d", &tm);
}

static time_t day_noon(const char *ymd)
{
	struct tm tm = {0};

	if (!strptime(ymd, "%Y-%m-%d", &tm))
		return 0;
	tm.tm_hour = 12;
	return timegm(&tm);
}

static void day_add(const char *ymd, long days, char out[STMT_DATE_LEN + 1])
{
	time_t t = day_noon(ymd) + days * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, STMT_DATE_LEN + 1, "%Y-%m-%d", &tm);
}

static long days_between(const char *from, const char *to)
{
	return (long)((day_noon(to) - day_noon(from)) / 86400);
}

/* Seconds to the next local midnight (when a day's reads start again). */
static long to_midnight(time_t now)
{
	struct tm tm;

	localtime_r(&now, &tm);
	tm.tm_hour = 24;
	tm.tm_min = tm.tm_sec = 0;
	return (long)(mktime(&tm) - now);
}

/* ---- what one listing brings ------------------------------------------------------------ */

struct collect {
	const struct bank_conf *conf;
	json_t *seen;          /* key -> booking day, recorded before */
	json_t *fresh;         /* key -> booking day, new in this listing */
	json_t *pending;       /* keys of pending ones, sorted */
	json_t *fp_count;      /* fingerprint -> occurrences in this listing */
	json_t *unreadable;    /* [[transaction as sent, why]] new in this listing */
	const char *today;     /* the day new unreadable ones are recorded under */
	struct stmt_file keep; /* keeps what st counts */
	struct stmt st;        /* new booked ones and the pending ones (not in the sums) */
	char last_booked[STMT_DATE_LEN + 1];
	struct txn last;       /* the latest booked one of the listing */
	unsigned long listed, duplicates;
};

static void collect_init(struct collect *c, const struct bank_conf *conf, json_t *seen, const char *today)
{
	memset(c, 0, sizeof(*c));
	c->conf = conf;
	c->seen = seen;
	c->today = today;
	c->unreadable = json_array();
	c->fresh = json_object();
	c->pending = json_array();
	c->fp_count = json_object();
	c->keep.keep_txns = true;
}

static void collect_clear(struct collect *c)
{
	json_decref(c->fresh);
	json_decref(c->pending);
	json_decref(c->fp_count);
	json_decref(c->unreadable);
	stmt_clear(&c->st);
	txn_clear(&c->last);
}

/* The fingerprint of a transaction without the bank's id: day, amount, currency,
 * counterparty and title; the n-th same one of a listing gets "#n" (listings cover whole
 * days, so the count is stable from run to run). */
/* The first 128 bits of the text's SHA-256, in hex. */
static void short_digest(const char *text, char hex[33])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(), NULL);
	hex_encode(md, 16, hex);
}

static char *fingerprint(struct collect *c, const struct txn *t)
{
	char hex[33];
	char *all = xasprintf("%s|%s|%lld|%s|%s|%s|%s", t->booking_date, t->booking_date[0] ? "" : t->value_date,
			      (long long)t->amount, t->currency, t->counterparty_account ?: "",
			      t->counterparty_name ?: "", t->title ?: "");
	json_int_t n;

	short_digest(all, hex);
	free(all);
	n = json_integer_value(json_object_get(c->fp_count, hex)) + 1;
	json_object_set_new(c->fp_count, hex, json_integer(n));
	return xasprintf("fp:%s#%lld", hex, (long long)n);
}

static bool wanted(const struct bank_conf *conf, const struct txn *t)
{
	return strlist_contains(&conf->types, t->amount >= 0 ? "incoming" : "outgoing");
}

static int take_txn(void *ctx, const struct txn *t, const char *id, struct gerr *err)
{
	struct collect *c = ctx;
	char *key;

	(void)err;
	c->listed++;
	if (!wanted(c->conf, t))
		return 0;
	key = id && *id ? xasprintf("id:%s", id) : fingerprint(c, t);
	if (t->status == TXN_PENDING) {
		json_array_append_new(c->pending, json_string(key));
		stmt_emit_txn(&c->keep, &c->st, t, NULL, err);  /* counted apart from the sums */
	} else {
		if (strcmp(t->booking_date, c->last_booked) > 0) {
			memcpy(c->last_booked, t->booking_date, sizeof(c->last_booked));
			txn_clear(&c->last);
			txn_copy(&c->last, t);
		}
		if (json_object_get(c->seen, key) || json_object_get(c->fresh, key)) {
			c->duplicates++;
		} else {
			json_object_set_new(c->fresh, key, json_string(t->booking_date));
			stmt_emit_txn(&c->keep, &c->st, t, NULL, err);
		}
	}
	free(key);
	return 0;
}

/* One the model cannot take: recorded by a digest of what the API sent (so it is reported
 * once, not at every run of the overlap), and kept whole for the statement. */
static void take_unreadable(void *ctx, const json_t *raw, const char *why)
{
	struct collect *c = ctx;
	char *text = json_dumps(raw, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY), hex[33], key[40];

	c->listed++;
	short_digest(text ?: "", hex);
	free(text);
	snprintf(key, sizeof(key), "raw:%s", hex);
	if (json_object_get(c->seen, key) || json_object_get(c->fresh, key)) {
		c->duplicates++;
		return;
	}
	json_object_set_new(c->fresh, key, json_string(c->today));
	json_array_append_new(c->unreadable, json_pack("[O, s]", raw, why));
}

static int cmp_json_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

/* The pending keys sorted, as a comparable array. */
static json_t *sorted(json_t *arr)
{
	size_t n = json_array_size(arr);
	json_t **items = xcalloc(n + 1, sizeof(*items)), *out = json_array();

	for (size_t i = 0; i < n; i++)
		items[i] = json_array_get(arr, i);
	qsort(items, n, sizeof(*items), cmp_json_str);
	for (size_t i = 0; i < n; i++)
		json_array_append(out, items[i]);
	free(items);
	return out;
}

/* ---- the statement filed ------------------------------------------------------------------ */

static const struct bank_balance *find_balance(const struct bank_balances *b, const char *const *types)
{
	for (size_t k = 0; types[k]; k++)
		for (size_t i = 0; i < b->n; i++)
			if (!strcmp(b->items[i].type, types[k]))
				return &b->items[i];
	return NULL;
}

static void set_balance(struct stmt_balance *out, const struct bank_balance *b, const char *today)
{
	if (!b)
		return;
	out->present = true;
	out->amount = b->amount;
	memcpy(out->currency, b->currency, sizeof(out->currency));
	memcpy(out->date, b->date[0] ? b->date : today, sizeof(out->date));
}

/* Balances into the statement: closing booked (CLBD, else ITBD), available, forward; the
 * opening is the closing less what this statement brings, so that it reconciles. */
static void statement_balances(struct stmt *st, const struct bank_balances *b, const char *today)
{
	static const char *const booked[] = {"CLBD", "ITBD", "OPBD", NULL};
	static const char *const avail[] = {"CLAV", "ITAV", "OPAV", NULL};
	static const char *const fwd[] = {"FWAV", NULL};

	set_balance(&st->closing, find_balance(b, booked) ?: find_balance(b, avail), today);
	set_balance(&st->closing_available, find_balance(b, avail), today);
	set_balance(&st->forward_available, find_balance(b, fwd), today);
	if (st->closing.present && !strcmp(st->closing.currency, st->currency)) {
		st->opening = st->closing;
		st->opening.amount -= st->credits_sum + st->debits_sum;
		memcpy(st->opening.date, st->period_from[0] ? st->period_from : today, sizeof(st->opening.date));
	}
}

static json_t *balances_json(const struct bank_balances *b)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < b->n; i++) {
		char amt[MONEY_TEXT_MAX];
		money_format(b->items[i].amount, currency_exponent(b->items[i].currency), amt);
		json_t *j = json_pack("{s:s, s:s, s:s}", "type", b->items[i].type, "amount", amt, "currency",
				      b->items[i].currency);
		if (b->items[i].date[0])
			json_object_set_new(j, "date", json_string(b->items[i].date));
		json_array_append_new(arr, j);
	}
	return arr;
}

struct filing_ctx {
	struct bank_session *s;
	struct source_run *run;
	const struct bank_account *a;
	const struct bank_balances *bal;
	const char *from, *to, *stamp;
};

static int file_one(const struct filing_ctx *fc, const char *ext, const char *data, size_t len,
		    json_t *extra, struct gerr *err)
{
	struct strlist accept = {0};
	char *hint = xasprintf("%s-%s.%s", fc->a->iban, fc->stamp, ext);
	json_t *origin = json_pack("{s:{s:s, s:s, s:s, s:s, s:s}}", "bank", "provider", fc->s->provider->name,
				   "bank", fc->s->consent.bank ?: "", "account", fc->a->iban, "from", fc->from,
				   "to", fc->to);
	const struct filing_doc doc = {
		.name_hint = hint, .kind = "statement", .accept = &accept, .origin = origin,
		.extra = extra,
	};
	int rc;

	strlist_add(&accept, strcmp(ext, "json") ? strcmp(ext, "sta") ? "camt" : "mt940" : "transactions");
	rc = filing_buffer(fc->run, &doc, data, len, NULL, err);
	json_decref(origin);
	strlist_free(&accept);
	free(hint);
	return rc;
}

static int file_statement(const struct filing_ctx *fc, struct collect *c, struct gerr *err)
{
	const struct bank_conf *conf = fc->s->conf;
	struct stmt_file f;
	struct buf b = {0};
	char today[STMT_DATE_LEN + 1];
	int rc;

	local_day(time(NULL), today);
	stmt_file_init(&f, fc->a->iban);
	f.format = STMT_FORMAT_TRANSACTIONS_JSON;
	f.keep_txns = true;
	stmt_file_set(&f.bank, fc->s->consent.bank);
	snprintf(c->st.account, sizeof(c->st.account), "%s", fc->a->iban);
	snprintf(c->st.currency, sizeof(c->st.currency), "%s", fc->a->currency);
	c->st.id = xstrdup(fc->stamp);
	memcpy(c->st.period_from, fc->from, sizeof(c->st.period_from));
	memcpy(c->st.period_to, fc->to, sizeof(c->st.period_to));
	statement_balances(&c->st, fc->bal, today);
	stmt_emit_end(&f, &c->st, NULL, err);
	for (size_t i = 0; i < json_array_size(c->unreadable); i++) {
		const json_t *u = json_array_get(c->unreadable, i);
		stmt_file_unreadable(&f, json_array_get(u, 0), json_string_value(json_array_get(u, 1)));
	}
	json_t *doc = stmt_transactions_json(&f);
	char *text = json_dumps(doc, JSON_INDENT(1));
	json_t *extra = json_pack("{s:o, s:o}", "statement", stmt_sidecar_json(&f), "balances", balances_json(fc->bal));
	rc = file_one(fc, "json", text, strlen(text), extra, err);
	free(text);
	json_decref(doc);
	if (rc == 0 && strlist_contains(&conf->export, "mt940") && f.statements[0].credits_count + f.statements[0].debits_count) {
		rc = mt940_write(&f.statements[0], conf->mt940_encoding, &b, err);
		if (rc == 0)
			rc = file_one(fc, "sta", b.data, b.len, extra, err);
		b.len = 0;
	}
	if (rc == 0 && strlist_contains(&conf->export, "camt053") && f.statements[0].credits_count + f.statements[0].debits_count) {
		camt053_write(&f.statements[0], fc->stamp, &b);
		rc = file_one(fc, "xml", b.data, b.len, extra, err);
	}
	buf_free(&b);
	json_decref(extra);
	stmt_file_free(&f);
	return rc;
}

/* ---- state of an account -------------------------------------------------------------------- */

static json_t *account_state(json_t *accounts, const char *iban)
{
	json_t *st = json_object_get(accounts, iban);

	if (!json_is_object(st)) {
		st = json_object();
		json_object_set_new(accounts, iban, st);
	}
	if (!json_is_object(json_object_get(st, "seen")))
		json_object_set_new(st, "seen", json_object());
	return st;
}

/* Count this read against today's; false when the day's reads are used up. */
static bool count_read(struct source_run *run, const struct bank_conf *conf, const struct bank_account *a,
		       json_t *st, const char *today)
{
	json_t *reads = json_object_get(st, "reads");
	json_int_t n = 0;

	if (bank_str(reads, "day") && !strcmp(bank_str(reads, "day"), today))
		n = json_integer_value(json_object_get(reads, "count"));
	if (n >= conf->daily_reads) {
		log_notice("%s: %s: not read: %lld reads of this account today already (the PSD2 limit of %ld "
			   "unattended reads a day); the next run tomorrow reads it", run->src->name, a->iban,
			   (long long)n, conf->daily_reads);
		return false;
	}
	json_object_set_new(st, "reads", json_pack("{s:s, s:I}", "day", today, "count", n + 1));
	return true;
}

static void remember(json_t *st, struct collect *c, const struct bank_balances *bal, const char *from)
{
	json_t *seen = json_object_get(st, "seen"), *v;
	const char *key;
	void *tmp;

	json_object_update(seen, c->fresh);
	json_object_foreach_safe(seen, tmp, key, v)
		if (strcmp(json_string_value(v) ?: "", from) < 0)
			json_object_del(seen, key);
	json_object_set_new(st, "pending", sorted(c->pending));
	if (c->last_booked[0] && strcmp(c->last_booked, bank_str(st, "last_booked") ?: "") > 0) {
		char amt[MONEY_TEXT_MAX];
		money_format(c->last.amount, currency_exponent(c->last.currency), amt);
		json_object_set_new(st, "last_booked", json_string(c->last_booked));
		json_object_set_new(st, "last_txn", json_pack("{s:s, s:s, s:s, s:s?, s:s?}", "date", c->last.booking_date,
							       "amount", amt, "currency", c->last.currency,
							       "counterparty", c->last.counterparty_name,
							       "title", c->last.title));
	}
	if (bal->n)
		json_object_set_new(st, "balances", balances_json(bal));
	json_object_set_new(st, "read", json_integer((json_int_t)time(NULL)));
	json_object_del(st, "error");
}

/* ---- one account ------------------------------------------------------------------------------ */

/* rc: what the provider returned (BANK_CONSENT_ENDED marks the consent). */
static enum run_outcome failed(struct bank_session *s, struct source_run *run, const struct bank_account *a,
			       json_t *st, const struct gerr *err, int rc)
{
	struct gerr e = *err;

	if (rc == BANK_CONSENT_ENDED)
		bank_consent_ended(s);

	json_object_set_new(st, "error", json_string(err->msg));
	gerr_prefix(&e, "%s", a->iban);
	source_run_error(run, &e);
	return bank_outcome(err);
}

static void wait_after_429(const struct bank_session *s, struct source_run *run,
			   const struct bank_account *a, json_t *st, const struct gerr *err)
{
	time_t now = time(NULL);
	int64_t asked = s->http.retry_after_ms;
	/* rounded up to seconds without adding to `asked`, which may be near INT64_MAX (a
	 * reset header of 9223372036854775 s, the most net_retry_after() takes) */
	long wait = asked > 0 ? (long)(asked / 1000 + (asked % 1000 != 0)) : to_midnight(now);
	char until[32];

	spool_iso_time(now + wait, until);
	json_object_set_new(st, "waiting_until", json_integer((json_int_t)(now + wait)));
	log_warn("%s: %s: %s; this account is not read again before %s", run->src->name, a->iban, err->msg, until);
}

static int list_window(struct bank_session *s, struct source_run *run, const struct bank_account *a,
		       struct collect *c, json_t *seen, char from[STMT_DATE_LEN + 1], const char *to,
		       struct gerr *err)
{
	const struct bank_txn_sink sink = {c, take_txn, take_unreadable};

	for (int attempt = 0;; attempt++) {
		collect_init(c, s->conf, seen, to);
		int rc = s->provider->transactions(s->client, a, from, to, &sink, err);
		if (rc == 0)
			return 0;
		long days = days_between(from, to);
		if (rc != BANK_PERIOD_REFUSED || attempt >= PERIOD_RETRIES || days < 1)
			return rc;
		collect_clear(c);
		day_add(to, -(days / 2), from);
		log_notice("%s: %s: the bank refuses %ld days of transactions; asking for %ld (from %s)",
			   run->src->name, a->iban, days + 1, days / 2 + 1, from);
	}
}

/* New unreadable transactions were filed with their statement: the run is partial, and
 * its error (the daemon's alert) names the first one. */
static enum run_outcome unreadable_reported(struct source_run *run, const struct bank_account *a,
					    const struct collect *c)
{
	const json_t *first = json_array_get(c->unreadable, 0);
	struct gerr e = {0};

	gerr_setk(&e, GERR_PERMANENT, "%s: %zu transaction(s) the bank sent could not be read (the first: %s); each is kept as it "
		 "came under \"unreadable\" in the statement filed", a->iban, json_array_size(c->unreadable),
		 json_string_value(json_array_get(first, 1)));
	source_run_error(run, &e);
	return RUN_PARTIAL;
}

enum run_outcome bank_read_account(struct bank_session *s, struct source_run *run,
				   const struct bank_account *a, json_t *accounts)
{
	const struct bank_conf *conf = s->conf;
	json_t *st = account_state(accounts, a->iban);
	struct bank_balances bal = {0};
	struct gerr err = {0};
	struct collect c;
	char today[STMT_DATE_LEN + 1], from[STMT_DATE_LEN + 1], stamp[32];
	time_t now = time(NULL);
	const char *last = bank_str(st, "last_booked");
	enum run_outcome out = RUN_OK;

	local_day(now, today);
	if (json_integer_value(json_object_get(st, "waiting_until")) > now) {
		log_notice("%s: %s: not read: the bank asked to wait (429) until a later time", run->src->name, a->iban);
		return RUN_OK;
	}
	json_object_del(st, "waiting_until");
	if (!count_read(run, conf, a, st, today))
		return RUN_OK;
	int rc = s->provider->balances(s->client, a, &bal, &err);
	if (rc < 0) {
		if (err.kind == GERR_BUSY) {
			wait_after_429(s, run, a, st, &err);
			return RUN_OK;
		}
		return failed(s, run, a, st, &err, rc);
	}
	if (last && strlen(last) == STMT_DATE_LEN)
		day_add(last, -(conf->overlap / 86400), from);
	else
		day_add(today, -(conf->history / 86400), from);
	if (strcmp(from, today) > 0)
		memcpy(from, today, sizeof(from));
	rc = list_window(s, run, a, &c, json_object_get(st, "seen"), from, today, &err);
	if (rc < 0) {
		if (err.kind == GERR_BUSY)
			wait_after_429(s, run, a, st, &err);
		else
			out = failed(s, run, a, st, &err, rc);
		collect_clear(&c);
		return out;
	}
	run->stats.looked_at += c.listed;
	unsigned long booked_new = c.st.credits_count + c.st.debits_count;
	size_t unreadable_new = json_array_size(c.unreadable);
	json_t *pending_now = sorted(c.pending);
	bool pending_changed = json_array_size(pending_now) && !json_equal(pending_now, json_object_get(st, "pending"));
	json_decref(pending_now);
	log_info("%s: %s: %lu transactions from %s to %s, %lu new, %zu pending, %lu recorded before", run->src->name,
		 a->iban, c.listed, from, today, booked_new, json_array_size(c.pending), c.duplicates);
	if (booked_new || pending_changed || unreadable_new) {
		struct tm tm;
		localtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
		struct filing_ctx fc = {s, run, a, &bal, from, today, stamp};
		if (file_statement(&fc, &c, &err) < 0) {
			out = failed(s, run, a, st, &err, -1);
			collect_clear(&c);
			return out;
		}
	}
	if (unreadable_new)
		out = unreadable_reported(run, a, &c);
	remember(st, &c, &bal, from);
	collect_clear(&c);
	return out;
}
