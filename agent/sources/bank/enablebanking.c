/* enablebanking — the Enable Banking provider (https://enablebanking.com/docs/api/).
 *
 * No token endpoint: every request carries a JWT the application signs itself, RS256 with
 * its private key (OpenSSL), header {typ: JWT, alg: RS256, kid: <application id>}, claims
 * {iss: enablebanking.com, aud: api.enablebanking.com, iat, exp = iat + 1 h} (at most 24 h
 * is accepted). Consent: POST /auth → the bank's URL; the redirect brings ?code=&state=;
 * POST /sessions {code} → session id, accounts, access.valid_until. Runs: GET
 * /sessions/{id} (status, accounts added later), /accounts/{uid}/balances and
 * /transactions, paged by continuation_key with the first page's parameters repeated.
 * Errors follow the reference's ErrorResponse {message, code, error, detail}.
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/net.h"
#include "core/secret.h"
#include "sources/bank/bank.h"
#include "sources/bank/provider.h"

#define EB_JWT_TTL 3600

struct bank_client {
	struct bank_ctx ctx;
	EVP_PKEY *key;
	char *jwt;
	time_t jwt_until;
	int refused;           /* how the last request failed: -1, BANK_PERIOD_REFUSED or
				  BANK_CONSENT_ENDED */
};

/* ---- the JWT ------------------------------------------------------------------------ */

static char *b64url(const unsigned char *data, size_t n)
{
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);
	int len = EVP_EncodeBlock((unsigned char *)out, data, (int)n);

	while (len > 0 && out[len - 1] == '=')
		len--;
	out[len] = 0;
	for (char *p = out; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	return out;
}

static int sign_jwt(struct bank_client *c, struct gerr *err)
{
	const struct bank_conf *conf = c->ctx.conf;
	time_t now = time(NULL);
	char *head_json = xasprintf("{\"typ\":\"JWT\",\"alg\":\"RS256\",\"kid\":\"%s\"}", conf->application_id);
	char *body_json = xasprintf("{\"iss\":\"enablebanking.com\",\"aud\":\"api.enablebanking.com\","
				    "\"iat\":%lld,\"exp\":%lld}", (long long)now, (long long)now + EB_JWT_TTL);
	char *head = b64url((unsigned char *)head_json, strlen(head_json));
	char *body = b64url((unsigned char *)body_json, strlen(body_json));
	char *input = xasprintf("%s.%s", head, body);
	unsigned char sig[1024];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, c->key) == 1 &&
		 EVP_DigestSign(md, sig, &siglen, (unsigned char *)input, strlen(input)) == 1;

	EVP_MD_CTX_free(md);
	free(head_json);
	free(body_json);
	free(head);
	free(body);
	if (!ok) {
		free(input);
		return gerr_setk(err, GERR_NEEDS_PERSON, "cannot sign with the private key (is it an RSA key?)");
	}
	char *s = b64url(sig, siglen);
	free_secret(c->jwt);
	c->jwt = xasprintf("%s.%s", input, s);
	c->jwt_until = now + EB_JWT_TTL - 300;
	free(input);
	free(s);
	return 0;
}

static struct bank_client *eb_open(const struct bank_ctx *ctx, struct gerr *err)
{
	const struct bank_conf *conf = ctx->conf;
	struct bank_client *c;
	char *pem = NULL;
	BIO *bio;

	if (!conf->application_id || conf->private_key.kind == SECRET_NONE) {
		gerr_setk(err, GERR_NEEDS_PERSON, "provider enablebanking needs application_id and private_key_file");
		return NULL;
	}
	if (secret_resolve(&conf->private_key, &pem, err) < 0) {
		gerr_mark(err, GERR_NEEDS_PERSON);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->ctx = *ctx;
	bio = BIO_new_mem_buf(pem, -1);
	c->key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	free_secret(pem);
	if (!c->key || sign_jwt(c, err) < 0) {
		if (!c->key)
			gerr_setk(err, GERR_NEEDS_PERSON, "the private key is not a PEM private key");
		EVP_PKEY_free(c->key);
		free(c);
		return NULL;
	}
	return c;
}

static void eb_close(struct bank_client *c)
{
	if (!c)
		return;
	EVP_PKEY_free(c->key);
	free_secret(c->jwt);
	free(c);
}

/* ---- requests and errors -------------------------------------------------------------- */

static bool is_code(const char *api_code, const char *const *codes)
{
	for (size_t i = 0; api_code && codes[i]; i++)
		if (!strcmp(api_code, codes[i]))
			return true;
	return false;
}

/* What a refused request means: -1, BANK_PERIOD_REFUSED or BANK_CONSENT_ENDED. */
static int eb_error(const struct bank_client *c, const struct bank_resp *r, const char *what,
		    struct gerr *err)
{
	static const char *const consent_gone[] = {"EXPIRED_SESSION", "REVOKED_SESSION", "CLOSED_SESSION",
						   "SESSION_DOES_NOT_EXIST", "ACCOUNT_DOES_NOT_EXIST",
						   "ASPSP_ACCOUNT_NOT_ACCESSIBLE", NULL};
	static const char *const bank_down[] = {"ASPSP_ERROR", "ASPSP_TIMEOUT", NULL};
	static const char *const rate_limited[] = {"ASPSP_RATE_LIMIT_EXCEEDED", NULL};
	static const char *const wrong_period[] = {"WRONG_TRANSACTIONS_PERIOD", "PERIOD_INVALID", NULL};
	json_t *j = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, NULL);
	const char *api_code = bank_str(j, "error"), *message = bank_str(j, "message");
	const char *code = bank_str(j, "code"), *title = bank_str(j, "title");
	char *said = xasprintf("HTTP %ld%s%s%s%s", r->status, api_code ? " " : "", api_code ? api_code : "",
			       message || title ? ": " : "", message ? message : title ? title : "");
	const char *name = c->ctx.source_name;
	int rc;

	if (r->status == 429 || is_code(api_code, rate_limited)) {
		rc = gerr_setk(err, GERR_BUSY, "%s: the bank's limit of reads is reached (%s)", what, said);
	} else if (is_code(api_code, consent_gone)) {
		gerr_setk(err, GERR_NEEDS_PERSON, "%s: the consent has ended (%s); renew it: goniec bank link %s",
			  what, said, name);
		rc = BANK_CONSENT_ENDED;
	} else if (r->status == 403 && message && strstr(message, "not active")) {
		rc = gerr_setk(err, GERR_NEEDS_PERSON, "%s: the Enable Banking application is not active (%s): activate it in "
			       "the control panel (production: link your own accounts) and run again", what, said);
	} else if (r->status == 401) {
		rc = gerr_setk(err, GERR_NEEDS_PERSON, "%s: Enable Banking refused the application (%s): check application_id "
			       "and that private_key_file is the key of the registered certificate", what, said);
	} else if (is_code(api_code, wrong_period) || is_code(code, wrong_period)) {
		gerr_setk(err, GERR_PERMANENT, "%s: the bank refuses the period asked for (%s)", what, said);
		rc = BANK_PERIOD_REFUSED;
	} else if (is_code(api_code, bank_down) || r->status >= 500 || r->status == 408) {
		rc = gerr_setk(err, GERR_TEMPORARY, "%s: the bank did not answer properly (%s); tried again next run", what, said);
	} else {
		rc = gerr_setk(err, GERR_PERMANENT, "%s: Enable Banking refused the request (%s)", what, said);
	}
	free(said);
	json_decref(j);
	return rc;
}

/* One request; the answer's JSON (2xx) or NULL with err set. */
static json_t *eb_call(struct bank_client *c, const char *method, const char *path, json_t *body,
		       const char *what, struct gerr *err)
{
	struct bank_resp r;
	char *url = xasprintf("%s%s", c->ctx.conf->api_url, path);
	char *json = body ? json_dumps(body, JSON_COMPACT) : NULL;
	char *auth;
	json_t *out = NULL;

	if (time(NULL) >= c->jwt_until && sign_jwt(c, err) < 0) {
		free(url);
		free(json);
		return NULL;
	}
	auth = xasprintf("Authorization: Bearer %s", c->jwt);
	const char *headers[] = {auth, NULL};
	c->refused = -1;
	if (bank_http_call(c->ctx.http, method, url, headers, json, &r, err) < 0) {
		gerr_mark(err, GERR_TEMPORARY);
		gerr_prefix(err, "%s", what);
	} else if (r.status < 200 || r.status >= 300) {
		c->refused = eb_error(c, &r, what, err);
	} else {
		out = bank_json(&r, what, err);
	}
	bank_resp_free(&r);
	free_secret(auth);
	free(url);
	free(json);
	return out;
}

/* ---- banks and consent ------------------------------------------------------------------ */

static const char *psu_type(const struct bank_client *c)
{
	return c->ctx.conf->psu_type == BANK_PSU_PERSONAL ? "personal" : "business";
}

static json_t *aspsps(struct bank_client *c, const char *country, struct gerr *err)
{
	char *cc = net_escape(country);
	char *path = xasprintf("/aspsps?country=%s&psu_type=%s", cc, psu_type(c));
	json_t *j = eb_call(c, "GET", path, NULL, "list of banks (/aspsps)", err);

	free(cc);
	free(path);
	return j;
}

static int eb_banks(struct bank_client *c, const char *country, FILE *out, struct gerr *err)
{
	json_t *j = aspsps(c, country, err), *a;
	size_t i;

	if (!j)
		return -1;
	json_array_foreach(json_object_get(j, "aspsps"), i, a) {
		json_int_t secs = json_integer_value(json_object_get(a, "maximum_consent_validity"));
		fprintf(out, "%-40s  %-11s  consent up to %lld days\n", bank_str(a, "name") ?: "?",
			bank_str(a, "bic") ?: "-", (long long)(secs / 86400));
	}
	json_decref(j);
	return 0;
}

static void iso_time(time_t t, char out[32])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int eb_link_start(struct bank_client *c, struct bank_link *out, struct gerr *err)
{
	const struct bank_conf *conf = c->ctx.conf;
	json_t *list = aspsps(c, conf->country, err), *a, *found = NULL, *req, *ans;
	int64_t validity = conf->consent_validity;
	char state[33], until[32];
	size_t i;

	if (!list)
		return -1;
	json_array_foreach(json_object_get(list, "aspsps"), i, a)
		if (bank_str(a, "name") && !strcmp(bank_str(a, "name"), conf->bank))
			found = a;
	if (!found) {
		json_decref(list);
		gerr_setk(err, GERR_PERMANENT, "bank '%s' is not among the banks of %s", conf->bank, conf->country);
		return BANK_NO_SUCH_BANK;
	}
	if (json_integer_value(json_object_get(found, "maximum_consent_validity")) < validity)
		validity = json_integer_value(json_object_get(found, "maximum_consent_validity"));
	json_decref(list);
	out->valid_until = time(NULL) + validity;
	iso_time(out->valid_until, until);
	bank_random_hex(state, 16);
	req = json_pack("{s:{s:s,s:b,s:b}, s:{s:s,s:s}, s:s, s:s, s:s}",
			"access", "valid_until", until, "balances", 1, "transactions", 1,
			"aspsp", "name", conf->bank, "country", conf->country, "state", state,
			"redirect_url", conf->redirect_url, "psu_type", psu_type(c));
	ans = eb_call(c, "POST", "/auth", req, "start of the consent (/auth)", err);
	json_decref(req);
	if (!ans)
		return -1;
	if (!bank_str(ans, "url")) {
		json_decref(ans);
		return gerr_setk(err, GERR_TEMPORARY, "start of the consent: no url in the answer");
	}
	out->url = xstrdup(bank_str(ans, "url"));
	out->pending = json_pack("{s:s, s:s?, s:I}", "state", state, "authorization_id",
				 bank_str(ans, "authorization_id"), "valid_until", (json_int_t)out->valid_until);
	json_decref(ans);
	return 0;
}

static void add_account(struct bank_consent *out, const json_t *a)
{
	const json_t *id = json_object_get(a, "account_id");

	bank_consent_add(out, bank_str(a, "uid"), bank_str(id, "iban") ?: bank_str(json_object_get(id, "other"), "identification"),
			 bank_str(a, "currency"), bank_str(a, "name") ?: bank_str(a, "product"));
}

static int eb_link_finish(struct bank_client *c, const json_t *pending, const char *input,
			  struct bank_consent *out, struct gerr *err)
{
	char *code = bank_code_from(input, "code"), *state = bank_code_from(input, "state");
	json_t *req, *ans, *a;
	size_t i;

	if (!code || !*code) {
		free(code);
		free(state);
		return gerr_setk(err, GERR_PERMANENT, "no code in '%s' (give the address the bank sent the browser to)",
				 strchr(input, '?') ? "the address" : input);
	}
	if (strchr(input, '?') && state && bank_str(pending, "state") && strcmp(state, bank_str(pending, "state"))) {
		free(code);
		free(state);
		return gerr_setk(err, GERR_PERMANENT, "the address belongs to another consent (its state differs): "
				 "start again with goniec bank link %s", c->ctx.source_name);
	}
	free(state);
	req = json_pack("{s:s}", "code", code);
	free_secret(code);
	ans = eb_call(c, "POST", "/sessions", req, "authorisation of the session (/sessions)", err);
	json_decref(req);
	if (!ans)
		return -1;
	out->id = xstrdup(bank_str(ans, "session_id") ?: "");
	out->bank = xstrdup(bank_str(json_object_get(ans, "aspsp"), "name") ?: c->ctx.conf->bank);
	out->status = xstrdup("AUTHORIZED");
	out->usable = true;
	out->valid_until = bank_parse_time(bank_str(json_object_get(ans, "access"), "valid_until"));
	json_array_foreach(json_object_get(ans, "accounts"), i, a)
		add_account(out, a);
	json_decref(ans);
	return 0;
}

static int eb_refresh(struct bank_client *c, struct bank_consent *consent, struct gerr *err)
{
	char *path = xasprintf("/sessions/%s", consent->id);
	json_t *ans = eb_call(c, "GET", path, NULL, "the session (/sessions)", err), *uid;
	size_t i;

	free(path);
	if (!ans)
		return c->refused;
	free(consent->status);
	consent->status = xstrdup(bank_str(ans, "status") ?: "?");
	consent->usable = !strcmp(consent->status, "AUTHORIZED");
	consent->valid_until = bank_parse_time(bank_str(json_object_get(ans, "access"), "valid_until"));
	json_array_foreach(json_object_get(ans, "accounts"), i, uid) {
		const char *id = json_string_value(uid);
		if (!id || bank_consent_account(consent, id, NULL))
			continue;
		char *dpath = xasprintf("/accounts/%s/details", id);
		json_t *d = eb_call(c, "GET", dpath, NULL, "details of an account added to the consent", err);
		free(dpath);
		if (!d) {
			json_decref(ans);
			return -1;
		}
		add_account(consent, d);
		log_notice("%s: account %s joined the consent", c->ctx.source_name,
			   consent->accounts[consent->naccounts - 1].iban);
		json_decref(d);
	}
	json_decref(ans);
	return 0;
}

/* ---- balances and transactions ------------------------------------------------------------ */

static int eb_balances(struct bank_client *c, const struct bank_account *a, struct bank_balances *out,
		       struct gerr *err)
{
	char *path = xasprintf("/accounts/%s/balances", a->id);
	json_t *ans = eb_call(c, "GET", path, NULL, "balances", err);

	free(path);
	if (!ans)
		return c->refused;
	bank_eb_balances(ans, out);
	json_decref(ans);
	return 0;
}

void bank_eb_balances(const json_t *ans, struct bank_balances *out)
{
	const json_t *b;
	size_t i;

	out->n = 0;
	json_array_foreach(json_object_get(ans, "balances"), i, b) {
		struct bank_balance *x = &out->items[out->n];
		const json_t *amt = json_object_get(b, "balance_amount");
		struct gerr e;
		if (out->n == ARRAY_LEN(out->items) ||
		    bank_amount(bank_str(amt, "amount"), bank_str(amt, "currency"), &x->amount, &e) < 0)
			continue;
		snprintf(x->type, sizeof(x->type), "%s", bank_str(b, "balance_type") ?: "OTHR");
		snprintf(x->currency, sizeof(x->currency), "%s", bank_str(amt, "currency") ?: "");
		bank_set_date(x->date, bank_str(b, "reference_date") ?: bank_str(b, "last_change_date_time"));
		out->n++;
	}
}

static void join_lines(struct txn *t, const json_t *lines)
{
	struct buf b = {0};
	const json_t *l;
	size_t i;

	json_array_foreach(lines, i, l)
		if (json_string_value(l))
			buf_printf(&b, "%s%s", b.len ? " " : "", json_string_value(l));
	if (b.len)
		txn_set(&t->title, b.data);
	buf_free(&b);
}

/* One transaction of the API into the model; 1 when it is to be skipped (rejected or
 * cancelled), -1 on a bad one. */
static int eb_txn(const json_t *j, const struct bank_account *a, struct txn *t, struct gerr *err)
{
	const json_t *amt = json_object_get(j, "transaction_amount");
	const char *cdi = bank_str(j, "credit_debit_indicator"), *st = bank_str(j, "status") ?: "BOOK";
	bool credit = cdi && !strcmp(cdi, "CRDT");
	const json_t *party = json_object_get(j, credit ? "debtor" : "creditor");
	const json_t *acct = json_object_get(j, credit ? "debtor_account" : "creditor_account");
	const json_t *code = json_object_get(j, "bank_transaction_code");

	if (!strcmp(st, "RJCT") || !strcmp(st, "CNCL"))
		return 1;
	if (!cdi || (strcmp(cdi, "CRDT") && strcmp(cdi, "DBIT")))
		return gerr_set(err, "credit_debit_indicator '%s' is neither CRDT nor DBIT", cdi ?: "(none)");
	if (bank_amount(bank_str(amt, "amount"), bank_str(amt, "currency"), &t->amount, err) < 0)
		return -1;
	if (!credit && t->amount > 0)
		t->amount = -t->amount;
	snprintf(t->account, sizeof(t->account), "%s", a->iban);
	snprintf(t->currency, sizeof(t->currency), "%s", bank_str(amt, "currency") ?: a->currency);
	bank_set_date(t->booking_date, bank_str(j, "booking_date"));
	bank_set_date(t->value_date, bank_str(j, "value_date") ?: bank_str(j, "transaction_date"));
	t->status = strcmp(st, "BOOK") ? TXN_PENDING : TXN_BOOKED;
	txn_set(&t->counterparty_name, bank_str(party, "name"));
	txn_set(&t->counterparty_account, bank_str(acct, "iban") ?: bank_str(json_object_get(acct, "other"), "identification"));
	join_lines(t, json_object_get(j, "remittance_information"));
	txn_set(&t->bank_ref, bank_str(j, "entry_reference"));
	txn_set(&t->transaction_id, bank_str(j, "transaction_id"));
	txn_set(&t->customer_ref, bank_str(j, "reference_number"));
	txn_set(&t->type_text, bank_str(code, "description"));
	txn_set(&t->type_code, bank_str(code, "code"));
	return 0;
}

int bank_eb_page(const json_t *ans, const struct bank_account *a, const struct bank_txn_sink *sink,
		 struct gerr *err)
{
	json_t *j;
	size_t i;

	json_array_foreach(json_object_get(ans, "transactions"), i, j) {
		struct txn t = {0};
		struct gerr why = {0};
		int rc = eb_txn(j, a, &t, &why);
		if (rc == 0) {
			rc = sink->txn(sink->ctx, &t, t.bank_ref ? t.bank_ref : t.transaction_id, err);
		} else if (rc < 0) {
			gerr_prefix(&why, "transaction %zu of a page", i + 1);
			sink->unreadable(sink->ctx, j, why.msg);
			rc = 0;
		}
		txn_clear(&t);
		if (rc < 0) {
			gerr_mark(err, GERR_TEMPORARY);
			return -1;
		}
	}
	return 0;
}

static int eb_transactions(struct bank_client *c, const struct bank_account *a, const char *from,
			   const char *to, const struct bank_txn_sink *sink, struct gerr *err)
{
	char *key = NULL;
	int rc = 0;

	do {
		char *ek = key ? net_escape(key) : NULL;
		char *path = xasprintf("/accounts/%s/transactions?date_from=%s&date_to=%s%s%s", a->id, from, to,
				       ek ? "&continuation_key=" : "", ek ? ek : "");
		json_t *ans = eb_call(c, "GET", path, NULL, "transactions", err);
		free(ek);
		free(path);
		free(key);
		key = NULL;
		if (!ans)
			return c->refused;
		rc = bank_eb_page(ans, a, sink, err);
		if (bank_str(ans, "continuation_key") && *bank_str(ans, "continuation_key"))
			key = xstrdup(bank_str(ans, "continuation_key"));
		json_decref(ans);
	} while (rc == 0 && key);
	free(key);
	return rc;
}

static const char *eb_conf_missing(const struct bank_conf *conf)
{
	if (conf->application_id && conf->private_key.kind != SECRET_NONE)
		return NULL;
	return "application_id and private_key_file (the application registered in the Enable Banking control panel)";
}

const struct bank_provider bank_provider_enablebanking = {
	.name = "enablebanking",
	.default_api_url = "https://api.enablebanking.com",
	.conf_missing = eb_conf_missing,
	.open = eb_open,
	.close = eb_close,
	.banks = eb_banks,
	.link_start = eb_link_start,
	.link_finish = eb_link_finish,
	.refresh = eb_refresh,
	.balances = eb_balances,
	.transactions = eb_transactions,
};
