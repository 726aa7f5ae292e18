/* gocardless — the GoCardless Bank Account Data provider (ex-Nordigen,
 * https://bankaccountdata.gocardless.com/api/v2/).
 *
 * Tokens: POST /token/new/ {secret_id, secret_key} gives an access token (a day) and a
 * refresh token (30 days); POST /token/refresh/ renews the access token. Both are kept in
 * <state>/sources/<name>/gocardless-token.json (0600) with the hash of the credentials
 * they belong to, so runs do not sign in each time. An answer "Token is invalid or
 * expired" gets one fresh token and one retry. Consent: an end-user agreement (scopes,
 * days) and a requisition; the person opens its link; the redirect brings ?ref=<our
 * reference>; the requisition then says LN and lists the accounts (their ids are new with
 * every requisition). Transactions come in one answer (booked and pending), no paging.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/net.h"
#include "core/secret.h"
#include "core/statefile.h"
#include "sources/bank/bank.h"
#include "sources/bank/provider.h"

struct bank_client {
	struct bank_ctx ctx;
	char *secret_key;
	char *cache_path;
	char key[65];            /* sha256 of api_url | secret_id | secret_key */
	char *access, *refresh;
	time_t access_until, refresh_until;
	int refused;             /* how the last request failed: -1 or BANK_CONSENT_ENDED */
};

/* ---- tokens ------------------------------------------------------------------------- */

/* The tokens are a state file (core/statefile.h): a damaged one is moved aside with a
 * warning and the client signs in afresh; one that cannot be read is not used. */
static void cache_load(struct bank_client *c)
{
	json_t *j = NULL;
	struct gerr e = {0};

	if (statefile_load(c->cache_path, &j, &e) < 0)
		log_warn("%s: GoCardless tokens not read: %s", c->ctx.source_name, e.msg);
	if (j && bank_str(j, "key") && !strcmp(bank_str(j, "key"), c->key)) {
		c->access = bank_str(j, "access") ? xstrdup(bank_str(j, "access")) : NULL;
		c->refresh = bank_str(j, "refresh") ? xstrdup(bank_str(j, "refresh")) : NULL;
		c->access_until = (time_t)json_integer_value(json_object_get(j, "access_until"));
		c->refresh_until = (time_t)json_integer_value(json_object_get(j, "refresh_until"));
	}
	json_decref(j);
}

static void cache_store(struct bank_client *c)
{
	json_t *j = json_pack("{s:s, s:s?, s:I, s:s?, s:I}", "key", c->key, "access", c->access,
			      "access_until", (json_int_t)c->access_until, "refresh", c->refresh,
			      "refresh_until", (json_int_t)c->refresh_until);
	struct gerr e = {0};

	if (statefile_save(c->cache_path, j, &e) < 0)
		log_warn("%s: GoCardless tokens not kept: %s", c->ctx.source_name, e.msg);
	json_decref(j);
}

static struct bank_client *gc_open(const struct bank_ctx *ctx, struct gerr *err)
{
	const struct bank_conf *conf = ctx->conf;
	struct bank_client *c;
	unsigned char md[32];
	unsigned int mdlen = 0;
	char *all;

	if (!conf->secret_id || conf->secret_key.kind == SECRET_NONE) {
		gerr_setk(err, GERR_NEEDS_PERSON, "provider gocardless needs secret_id and secret_key");
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->ctx = *ctx;
	if (secret_resolve(&conf->secret_key, &c->secret_key, err) < 0) {
		gerr_mark(err, GERR_NEEDS_PERSON);
		free(c);
		return NULL;
	}
	all = xasprintf("%s|%s|%s", conf->api_url, conf->secret_id, c->secret_key);
	EVP_Digest(all, strlen(all), md, &mdlen, EVP_sha256(), NULL);
	free_secret(all);
	hex_encode(md, sizeof(md), c->key);
	c->cache_path = path_join(ctx->state_dir, "gocardless-token.json");
	cache_load(c);
	return c;
}

static void gc_close(struct bank_client *c)
{
	if (!c)
		return;
	free_secret(c->secret_key);
	free_secret(c->access);
	free_secret(c->refresh);
	free(c->cache_path);
	free(c);
}

/* POST a token request; the answer (2xx) or NULL with its HTTP status in *status. */
static json_t *token_post(struct bank_client *c, const char *path, json_t *body, long *status,
			  struct gerr *err)
{
	char *url = xasprintf("%s/api/v2%s", c->ctx.conf->api_url, path);
	char *text = json_dumps(body, JSON_COMPACT);
	struct bank_resp r;
	json_t *out = NULL;

	*status = 0;
	if (bank_http_call(c->ctx.http, "POST", url, NULL, text, &r, err) < 0) {
		gerr_mark(err, GERR_TEMPORARY);
	} else {
		*status = r.status;
		if (r.status == 200)
			out = bank_json(&r, "GoCardless token", err);
		else if (r.status == 429 || r.status >= 500)
			gerr_setk(err, GERR_TEMPORARY, "GoCardless token: HTTP %ld; tried again next run", r.status);
		else
			gerr_setk(err, GERR_NEEDS_PERSON, "GoCardless refused secret_id/secret_key (HTTP %ld): "
				  "check them in the GoCardless portal (User secrets)", r.status);
	}
	bank_resp_free(&r);
	free_secret(text);
	free(url);
	return out;
}

static void take_tokens(struct bank_client *c, json_t *ans)
{
	time_t now = time(NULL);

	if (bank_str(ans, "access")) {
		free_secret(c->access);
		c->access = xstrdup(bank_str(ans, "access"));
		c->access_until = now + json_integer_value(json_object_get(ans, "access_expires"));
	}
	if (bank_str(ans, "refresh")) {
		free_secret(c->refresh);
		c->refresh = xstrdup(bank_str(ans, "refresh"));
		c->refresh_until = now + json_integer_value(json_object_get(ans, "refresh_expires"));
	}
	cache_store(c);
}

static int token(struct bank_client *c, struct gerr *err)
{
	time_t now = time(NULL);
	json_t *body, *ans = NULL;
	long status;

	if (c->access && now + 60 < c->access_until)
		return 0;
	if (c->refresh && now + 60 < c->refresh_until) {
		body = json_pack("{s:s}", "refresh", c->refresh);
		ans = token_post(c, "/token/refresh/", body, &status, err);
		json_decref(body);
		if (!ans && status != 401)
			return -1;
	}
	if (!ans) {
		body = json_pack("{s:s, s:s}", "secret_id", c->ctx.conf->secret_id, "secret_key", c->secret_key);
		ans = token_post(c, "/token/new/", body, &status, err);
		json_object_clear(body);
		json_decref(body);
		if (!ans)
			return -1;
	}
	take_tokens(c, ans);
	json_object_clear(ans);
	json_decref(ans);
	return 0;
}

/* ---- requests and errors ----------------------------------------------------------------- */

/* "N seconds" in an answer's words as milliseconds, or -1 (no wait named) when there is
 * no number or one past what the headers may say (net_retry_after(): N * 1000 must fit
 * in int64). */
static int64_t seconds_in_words(const char *text)
{
	char *end;
	errno = 0;
	long long s = strtoll(text, &end, 10);
	if (end == text || errno || s < 0 || s > INT64_MAX / 1000)
		return -1;
	return (int64_t)s * 1000;
}

static int gc_error(const struct bank_client *c, const struct bank_resp *r, const char *what,
		    struct gerr *err)
{
	json_t *j = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, NULL);
	const char *summary = bank_str(j, "summary"), *detail = bank_str(j, "detail"), *type = bank_str(j, "type");
	char *said = xasprintf("HTTP %ld%s%s%s%s", r->status, type ? " " : "", type ? type : "",
			       summary ? ": " : "", summary ? summary : "");
	const char *name = c->ctx.source_name;
	int rc;

	if (r->status == 429) {
		rc = gerr_setk(err, GERR_BUSY, "%s: the bank's limit of reads is reached (%s: %s)", what, said,
			       detail ? detail : "");
		const char *in = detail ? strstr(detail, "try again in ") : NULL;
		if (c->ctx.http->retry_after_ms < 0 && in)   /* the wait said only in words */
			c->ctx.http->retry_after_ms = seconds_in_words(in + 13);
	} else if ((summary && strstr(summary, "End User Agreement") && strstr(summary, "expired")) ||
		   (type && (!strcmp(type, "AccessExpiredError") || !strcmp(type, "EUAExpiredError")))) {
		gerr_setk(err, GERR_NEEDS_PERSON, "%s: the consent has expired or was revoked (%s); renew it: "
			  "goniec bank link %s", what, said, name);
		rc = BANK_CONSENT_ENDED;
	} else if (type && !strcmp(type, "AccountInactiveError")) {
		rc = gerr_setk(err, GERR_NEEDS_PERSON, "%s: the account has been deactivated or no longer exists (%s); "
			       "link the bank again: goniec bank link %s", what, said, name);
	} else if (r->status == 401 || r->status == 402 || r->status == 403) {
		rc = gerr_setk(err, GERR_NEEDS_PERSON, "%s: GoCardless refused (%s%s%s)", what, said,
			       detail ? ": " : "", detail ? detail : "");
	} else if (r->status >= 500 || r->status == 409) {
		rc = gerr_setk(err, GERR_TEMPORARY, "%s: GoCardless or the bank did not answer properly (%s%s%s); "
			       "tried again next run", what, said, detail ? ": " : "", detail ? detail : "");
	} else {
		rc = gerr_setk(err, GERR_PERMANENT, "%s: GoCardless refused the request (%s%s%s)", what, said,
			       detail ? ": " : "", detail ? detail : "");
	}
	free(said);
	json_decref(j);
	return rc;
}

static json_t *gc_call(struct bank_client *c, const char *method, const char *path, json_t *body,
		       const char *what, long *status, struct gerr *err)
{
	char *url = xasprintf("%s/api/v2%s", c->ctx.conf->api_url, path);
	char *json = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_t *out = NULL;
	struct bank_resp r = {0};

	c->refused = -1;
	for (int attempt = 0; attempt < 2 && !out; attempt++) {
		if (token(c, err) < 0)
			break;
		char *auth = xasprintf("Authorization: Bearer %s", c->access);
		const char *headers[] = {auth, NULL};
		int rc = bank_http_call(c->ctx.http, method, url, headers, json, &r, err);
		free_secret(auth);
		if (rc < 0) {
			gerr_mark(err, GERR_TEMPORARY);
			gerr_prefix(err, "%s", what);
			break;
		}
		if (status)
			*status = r.status;
		if (r.status == 401 && attempt == 0 && strstr(r.body.data ? r.body.data : "", "Token is invalid")) {
			free_secret(c->access);
			c->access = NULL;
		} else if (r.status < 200 || r.status >= 300) {
			c->refused = gc_error(c, &r, what, err);
			break;
		} else {
			out = bank_json(&r, what, err);
		}
		bank_resp_free(&r);
	}
	bank_resp_free(&r);
	free(url);
	free(json);
	return out;
}

/* ---- banks and consent ---------------------------------------------------------------------- */

static int gc_banks(struct bank_client *c, const char *country, FILE *out, struct gerr *err)
{
	char *cc = net_escape(country);
	char *path = xasprintf("/institutions/?country=%s", cc);
	json_t *j = gc_call(c, "GET", path, NULL, "list of banks (/institutions)", NULL, err), *i;
	size_t k;

	free(cc);
	free(path);
	if (!j)
		return -1;
	json_array_foreach(j, k, i)
		fprintf(out, "%-40s  %-30s  %s days of history, consent up to %s days\n", bank_str(i, "id") ?: "?",
			bank_str(i, "name") ?: "", bank_str(i, "transaction_total_days") ?: "90",
			bank_str(i, "max_access_valid_for_days") ?: "90");
	json_decref(j);
	return 0;
}

static long days_of(const json_t *inst, const char *key, long dflt)
{
	const char *s = bank_str(inst, key);
	long v = s ? strtol(s, NULL, 10) : 0;

	return v > 0 ? v : dflt;
}

static int gc_link_start(struct bank_client *c, struct bank_link *out, struct gerr *err)
{
	const struct bank_conf *conf = c->ctx.conf;
	char *ib = net_escape(conf->bank);
	char *path = xasprintf("/institutions/%s/", ib);
	long status = 0;
	json_t *inst = gc_call(c, "GET", path, NULL, "the bank (/institutions)", &status, err), *agr, *req, *ans;
	long days = (long)(conf->consent_validity / 86400);
	char ref[33];

	free(ib);
	free(path);
	if (!inst && status == 404) {
		gerr_setk(err, GERR_PERMANENT, "bank '%s' is not a GoCardless institution id", conf->bank);
		return BANK_NO_SUCH_BANK;
	}
	if (!inst)
		return -1;
	if (days > days_of(inst, "max_access_valid_for_days", 90))
		days = days_of(inst, "max_access_valid_for_days", 90);
	req = json_pack("{s:s, s:i, s:i, s:[sss]}", "institution_id", conf->bank, "max_historical_days",
			(int)days_of(inst, "transaction_total_days", 90), "access_valid_for_days", (int)days,
			"access_scope", "balances", "details", "transactions");
	json_decref(inst);
	agr = gc_call(c, "POST", "/agreements/enduser/", req, "the end-user agreement", NULL, err);
	json_decref(req);
	if (!agr)
		return -1;
	bank_random_hex(ref, 16);
	req = json_pack("{s:s, s:s, s:s?, s:s, s:s}", "redirect", conf->redirect_url, "institution_id", conf->bank,
			"agreement", bank_str(agr, "id"), "reference", ref, "user_language", "PL");
	json_decref(agr);
	ans = gc_call(c, "POST", "/requisitions/", req, "the requisition", NULL, err);
	json_decref(req);
	if (!ans)
		return -1;
	if (!bank_str(ans, "link") || !bank_str(ans, "id")) {
		json_decref(ans);
		return gerr_setk(err, GERR_TEMPORARY, "the requisition: no link in the answer");
	}
	out->url = xstrdup(bank_str(ans, "link"));
	out->valid_until = time(NULL) + days * 86400;
	out->pending = json_pack("{s:s, s:s, s:I}", "requisition", bank_str(ans, "id"), "reference", ref,
				 "valid_until", (json_int_t)out->valid_until);
	json_decref(ans);
	return 0;
}

static int add_account(struct bank_client *c, struct bank_consent *consent, const char *id,
		       struct gerr *err)
{
	char *path = xasprintf("/accounts/%s/details/", id);
	json_t *d = gc_call(c, "GET", path, NULL, "details of an account", NULL, err);
	const json_t *a = json_object_get(d, "account");

	free(path);
	if (!d)
		return -1;
	bank_consent_add(consent, id, bank_str(a, "iban") ?: bank_str(a, "bban"), bank_str(a, "currency"),
			 bank_str(a, "name") ?: bank_str(a, "displayName") ?: bank_str(a, "ownerName"));
	json_decref(d);
	return 0;
}

static int requisition(struct bank_client *c, struct bank_consent *consent, struct gerr *err)
{
	char *path = xasprintf("/requisitions/%s/", consent->id);
	json_t *ans = gc_call(c, "GET", path, NULL, "the requisition", NULL, err), *id;
	size_t i;
	int rc = 0;

	free(path);
	if (!ans)
		return c->refused;
	free(consent->status);
	consent->status = xstrdup(bank_str(ans, "status") ?: "?");
	consent->usable = !strcmp(consent->status, "LN");
	if (!consent->bank)
		consent->bank = xstrdup(bank_str(ans, "institution_id") ?: "");
	json_array_foreach(json_object_get(ans, "accounts"), i, id) {
		if (!json_string_value(id) || bank_consent_account(consent, json_string_value(id), NULL))
			continue;
		if ((rc = add_account(c, consent, json_string_value(id), err)) < 0)
			break;
		if (consent->usable && consent->valid_until)
			log_notice("%s: account %s joined the consent", c->ctx.source_name,
				   consent->accounts[consent->naccounts - 1].iban);
	}
	json_decref(ans);
	return rc;
}

static int gc_link_finish(struct bank_client *c, const json_t *pending, const char *input,
			  struct bank_consent *out, struct gerr *err)
{
	char *ref = bank_code_from(input, "ref");
	const char *want = bank_str(pending, "reference");

	if (!ref || !want || strcmp(ref, want)) {
		free(ref);
		return gerr_setk(err, GERR_PERMANENT, "the address does not carry this consent's reference (ref=%s): "
				 "give the address the bank sent the browser to, or start again with goniec bank link %s",
				 want ? want : "?", c->ctx.source_name);
	}
	free(ref);
	out->id = xstrdup(bank_str(pending, "requisition") ?: "");
	if (requisition(c, out, err) < 0)
		return -1;
	if (!out->usable)
		return gerr_setk(err, GERR_NEEDS_PERSON, "the bank has not linked the accounts (requisition status %s): "
				 "open the link again and approve", out->status);
	out->valid_until = (time_t)json_integer_value(json_object_get(pending, "valid_until"));
	return 0;
}

static int gc_refresh(struct bank_client *c, struct bank_consent *consent, struct gerr *err)
{
	return requisition(c, consent, err);
}

/* ---- balances and transactions ------------------------------------------------------------ */

static const char *iso_balance_type(const char *t)
{
	static const char *const map[][2] = {
		{"closingBooked", "CLBD"}, {"closingAvailable", "CLAV"}, {"interimAvailable", "ITAV"},
		{"interimBooked", "ITBD"}, {"openingBooked", "OPBD"}, {"openingAvailable", "OPAV"},
		{"forwardAvailable", "FWAV"}, {"expected", "XPCD"}, {"information", "INFO"},
	};
	for (size_t i = 0; t && i < ARRAY_LEN(map); i++)
		if (!strcmp(t, map[i][0]))
			return map[i][1];
	return "OTHR";
}

void bank_gc_balances(const json_t *ans, struct bank_balances *out)
{
	const json_t *b;
	size_t i;

	out->n = 0;
	json_array_foreach(json_object_get(ans, "balances"), i, b) {
		struct bank_balance *x = &out->items[out->n];
		const json_t *amt = json_object_get(b, "balanceAmount");
		struct gerr e;
		if (out->n == ARRAY_LEN(out->items) ||
		    bank_amount(bank_str(amt, "amount"), bank_str(amt, "currency"), &x->amount, &e) < 0)
			continue;
		snprintf(x->type, sizeof(x->type), "%s", iso_balance_type(bank_str(b, "balanceType")));
		snprintf(x->currency, sizeof(x->currency), "%s", bank_str(amt, "currency") ?: "");
		bank_set_date(x->date, bank_str(b, "referenceDate") ?: bank_str(b, "lastChangeDateTime"));
		out->n++;
	}
}

static int gc_balances(struct bank_client *c, const struct bank_account *a, struct bank_balances *out,
		       struct gerr *err)
{
	char *path = xasprintf("/accounts/%s/balances/", a->id);
	json_t *ans = gc_call(c, "GET", path, NULL, "balances", NULL, err);

	free(path);
	if (!ans)
		return c->refused;
	bank_gc_balances(ans, out);
	json_decref(ans);
	return 0;
}

static void set_title(struct txn *t, const json_t *j)
{
	const json_t *arr = json_object_get(j, "remittanceInformationUnstructuredArray"), *l;
	struct buf b = {0};
	size_t i;

	if (bank_str(j, "remittanceInformationUnstructured")) {
		txn_set(&t->title, bank_str(j, "remittanceInformationUnstructured"));
		return;
	}
	json_array_foreach(arr, i, l)
		if (json_string_value(l))
			buf_printf(&b, "%s%s", b.len ? " " : "", json_string_value(l));
	txn_set(&t->title, b.len ? b.data : bank_str(j, "remittanceInformationStructured") ?: bank_str(j, "additionalInformation"));
	buf_free(&b);
}

static int gc_txn(const json_t *j, const struct bank_account *a, bool booked, struct txn *t, struct gerr *err)
{
	const json_t *amt = json_object_get(j, "transactionAmount");
	bool credit;

	if (bank_amount(bank_str(amt, "amount"), bank_str(amt, "currency"), &t->amount, err) < 0)
		return -1;
	credit = t->amount > 0;
	snprintf(t->account, sizeof(t->account), "%s", a->iban);
	snprintf(t->currency, sizeof(t->currency), "%s", bank_str(amt, "currency") ?: a->currency);
	bank_set_date(t->booking_date, bank_str(j, "bookingDate") ?: bank_str(j, "bookingDateTime"));
	bank_set_date(t->value_date, bank_str(j, "valueDate") ?: bank_str(j, "valueDateTime"));
	t->status = booked ? TXN_BOOKED : TXN_PENDING;
	txn_set(&t->counterparty_name, bank_str(j, credit ? "debtorName" : "creditorName"));
	const json_t *acct = json_object_get(j, credit ? "debtorAccount" : "creditorAccount");
	txn_set(&t->counterparty_account, bank_str(acct, "iban") ?: bank_str(acct, "bban"));
	set_title(t, j);
	txn_set(&t->bank_ref, bank_str(j, "entryReference"));
	txn_set(&t->transaction_id, bank_str(j, "transactionId"));
	txn_set(&t->customer_ref, bank_str(j, "endToEndId"));
	txn_set(&t->type_code, bank_str(j, "bankTransactionCode"));
	txn_set(&t->type_text, bank_str(j, "proprietaryBankTransactionCode"));
	if (bank_str(j, "internalTransactionId"))
		txn_add_raw(t, "internalTransactionId", bank_str(j, "internalTransactionId"));
	return 0;
}

int bank_gc_transactions(const json_t *ans, const struct bank_account *a, const struct bank_txn_sink *sink,
			 struct gerr *err)
{
	const json_t *all = json_object_get(ans, "transactions");

	for (int booked = 1; booked >= 0; booked--) {
		const json_t *j;
		size_t i;
		json_array_foreach(json_object_get(all, booked ? "booked" : "pending"), i, j) {
			struct txn t = {0};
			struct gerr why = {0};
			int rc = gc_txn(j, a, booked, &t, &why);
			const char *id = bank_str(j, "internalTransactionId") ?: bank_str(j, "transactionId")
					 ?: bank_str(j, "entryReference");
			if (rc == 0) {
				rc = sink->txn(sink->ctx, &t, id, err);
			} else {
				gerr_prefix(&why, "%s transaction %zu", booked ? "booked" : "pending", i + 1);
				sink->unreadable(sink->ctx, j, why.msg);
				rc = 0;
			}
			txn_clear(&t);
			if (rc < 0) {
				gerr_mark(err, GERR_TEMPORARY);
				return -1;
			}
		}
	}
	return 0;
}

static int gc_transactions(struct bank_client *c, const struct bank_account *a, const char *from,
			   const char *to, const struct bank_txn_sink *sink, struct gerr *err)
{
	char *path = xasprintf("/accounts/%s/transactions/?date_from=%s&date_to=%s", a->id, from, to);
	json_t *ans = gc_call(c, "GET", path, NULL, "transactions", NULL, err);
	int rc;

	free(path);
	if (!ans)
		return c->refused;
	rc = bank_gc_transactions(ans, a, sink, err);
	json_decref(ans);
	return rc;
}

static const char *gc_conf_missing(const struct bank_conf *conf)
{
	return conf->secret_id && conf->secret_key.kind != SECRET_NONE ? NULL : "secret_id and secret_key";
}

const struct bank_provider bank_provider_gocardless = {
	.name = "gocardless",
	.default_api_url = "https://bankaccountdata.gocardless.com",
	.conf_missing = gc_conf_missing,
	.open = gc_open,
	.close = gc_close,
	.banks = gc_banks,
	.link_start = gc_link_start,
	.link_finish = gc_link_finish,
	.refresh = gc_refresh,
	.balances = gc_balances,
	.transactions = gc_transactions,
};
