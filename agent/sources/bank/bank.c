/* bank — configuration and the run of the bank source; see bank.h. */
#include "sources/bank/bank.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/idnum.h"
#include "core/log.h"
#include "formats/mt940_write.h"
#include "sources/bank/bank_run.h"
#include "sources/bank/bank_state.h"

/* ---- configuration -------------------------------------------------------------------- */

static const char *const provider_names[] = {"enablebanking", "gocardless", NULL};
static const char *const psu_types[] = {"business", "personal", NULL};

#define OFF(f) offsetof(struct bank_conf, f)
static const struct cf_field bank_fields[] = {
	{.key = "provider", .type = CF_ENUM, .offset = OFF(provider), .flags = CF_REQUIRED,
	 .enum_values = provider_names, .help = "the aggregator: enablebanking or gocardless"},
	{.key = "application_id", .type = CF_STRING, .offset = OFF(application_id),
	 .help = "Enable Banking: the application's id (kid of its JWTs)"},
	{.key = "private_key", .type = CF_SECRET, .offset = OFF(private_key),
	 .help = "Enable Banking: the application's private key, PEM (private_key_file: PATH)"},
	{.key = "secret_id", .type = CF_STRING, .offset = OFF(secret_id),
	 .help = "GoCardless: the user secret's id"},
	{.key = "secret_key", .type = CF_SECRET, .offset = OFF(secret_key),
	 .help = "GoCardless: the user secret's key (or secret_key_file / _env / _credential)"},
	{.key = "bank", .type = CF_STRING, .offset = OFF(bank),
	 .help = "the bank: Enable Banking ASPSP name, GoCardless institution id (goniec bank link NAME lists them)"},
	{.key = "country", .type = CF_STRING, .offset = OFF(country), .dflt = "PL",
	 .help = "the bank's country (ISO 3166 code)"},
	{.key = "psu_type", .type = CF_ENUM, .offset = OFF(psu_type), .dflt = "business",
	 .enum_values = psu_types, .help = "Enable Banking: business or personal accounts"},
	{.key = "redirect_url", .type = CF_STRING, .offset = OFF(redirect_url),
	 .dflt = "https://localhost/goniec/callback",
	 .help = "where the bank sends the browser after consent (registered with the aggregator)"},
	{.key = "consent_validity", .type = CF_DURATION, .offset = OFF(consent_validity), .dflt = "180d",
	 .help = "how long a consent is asked for (the bank's maximum applies)"},
	{.key = "accounts", .type = CF_STRLIST, .offset = OFF(accounts),
	 .help = "IBANs of the accounts taken (default: every account in the consent)"},
	{.key = "history", .type = CF_DURATION, .offset = OFF(history), .dflt = "7d",
	 .help = "how far back the first run of an account reads"},
	{.key = "overlap", .type = CF_DURATION, .offset = OFF(overlap), .dflt = "3d",
	 .help = "days before the last booked day read again (banks book late)"},
	{.key = "types", .type = CF_STRLIST, .offset = OFF(types), .dflt = "incoming outgoing",
	 .help = "transactions taken: incoming, outgoing"},
	{.key = "export", .type = CF_STRLIST, .offset = OFF(export),
	 .help = "statement files filed beside the JSON: mt940, camt053"},
	{.key = "mt940_encoding", .type = CF_ENUM, .offset = OFF(mt940_encoding), .dflt = "utf-8",
	 .enum_values = mt940_charset_names,
	 .help = "the MT940 export's encoding: utf-8, windows-1250, iso-8859-2 or cp852 (as the accounting program expects)"},
	{.key = "daily_reads", .type = CF_INT, .offset = OFF(daily_reads), .dflt = "4", .min = 1, .max = 100,
	 .help = "unattended reads of an account a day (PSD2: 4); a run past them is skipped"},
	{.key = "api_url", .type = CF_STRING, .offset = OFF(api_url),
	 .help = "the aggregator's API base URL (default: its production address)"},
	{.key = "ca_file", .type = CF_STRING, .offset = OFF(ca_file),
	 .help = "PEM file of CA certificates to trust instead of the system store"},
	CF_END,
};

static const char *const bank_default_times[] = {"11:45", "15:15", "18:30", NULL};

const struct bank_provider *const bank_providers[] = {
	[BANK_ENABLEBANKING] = &bank_provider_enablebanking,
	[BANK_GOCARDLESS] = &bank_provider_gocardless,
};

static bool all_in(struct cf_ctx *ctx, yaml_node_t *node, const char *key, const struct strlist *l,
		   const char *const *allowed)
{
	bool ok = true;

	for (size_t i = 0; i < l->len; i++) {
		bool known = false;
		for (size_t k = 0; allowed[k]; k++)
			known |= !strcmp(l->items[i], allowed[k]);
		if (!known) {
			struct buf b = {0};
			for (size_t k = 0; allowed[k]; k++)
				buf_printf(&b, "%s%s", k ? ", " : "", allowed[k]);
			cf_error(ctx, cf_get(ctx, node, key), "%s: '%s' is not one of: %s", key, l->items[i], b.data);
			buf_free(&b);
			ok = false;
		}
	}
	return ok;
}

static int bank_validate(struct cf_ctx *ctx, yaml_node_t *node, struct source_conf *src)
{
	static const char *const types[] = {"incoming", "outgoing", NULL};
	static const char *const exports[] = {"mt940", "camt053", NULL};
	struct bank_conf *c = src->typed;
	const char *named = cf_scalar(cf_get(ctx, node, "provider"));  /* as written (maybe wrong) */
	bool types_ok = all_in(ctx, node, "types", &c->types, types);
	bool exports_ok = all_in(ctx, node, "export", &c->export, exports);
	int rc = types_ok && exports_ok ? 0 : -1;

	for (size_t i = 0; named && i < ARRAY_LEN(bank_providers); i++) {
		const char *missing = strcmp(named, bank_providers[i]->name) ? NULL : bank_providers[i]->conf_missing(c);
		if (missing)
			rc = cf_error(ctx, node, "provider %s needs %s", named, missing);
	}
	if (c->types.len == 0)
		rc = cf_error(ctx, cf_get(ctx, node, "types"), "types: name at least one of incoming, outgoing");
	for (size_t i = 0; i < c->accounts.len; i++) {
		char compact[IBAN_MAX_LEN + 1];
		if (!account_normalise(c->accounts.items[i], compact) || !iban_valid(compact)) {
			rc = cf_error(ctx, cf_get(ctx, node, "accounts"), "accounts: '%s' is not a valid IBAN",
				      c->accounts.items[i]);
			continue;
		}
		free(c->accounts.items[i]);
		c->accounts.items[i] = xstrdup(compact);
	}
	if (!c->api_url)
		c->api_url = xstrdup(bank_providers[c->provider]->default_api_url);
	for (size_t n = strlen(c->api_url); n > 0 && c->api_url[n - 1] == '/'; n--)
		c->api_url[n - 1] = 0;
	if (!str_starts_with(c->api_url, "https://"))
		rc = cf_error(ctx, cf_get(ctx, node, "api_url"), "api_url: '%s' must start with https://", c->api_url);
	if (!str_starts_with(c->redirect_url, "https://") && !str_starts_with(c->redirect_url, "http://localhost"))
		rc = cf_error(ctx, cf_get(ctx, node, "redirect_url"), "redirect_url: '%s' must be an https:// address",
			      c->redirect_url);
	if (c->consent_validity < 86400)
		rc = cf_error(ctx, cf_get(ctx, node, "consent_validity"), "consent_validity: at least a day (e.g. 180d)");
	return rc;
}

/* ---- opening a provider ----------------------------------------------------------------- */

int bank_open(struct bank_session *s, const struct config *cfg, const struct source_conf *src,
	      const char *state_dir, bool attended, struct gerr *err)
{
	memset(s, 0, sizeof(*s));
	s->conf = src->typed;
	s->provider = bank_providers[s->conf->provider];
	s->src = src;
	s->state_dir = xstrdup(state_dir);
	bank_http_init(&s->http, s->conf->ca_file, cfg->agent.user_agent);
	struct bank_ctx ctx = {.conf = s->conf, .source_name = src->name, .state_dir = s->state_dir,
			       .http = &s->http, .attended = attended};
	if (bank_consent_load(state_dir, &s->consent, &s->pending, err) < 0)
		return -1;
	s->client = s->provider->open(&ctx, err);
	return s->client ? 0 : -1;
}

void bank_close(struct bank_session *s)
{
	if (s->client)
		s->provider->close(s->client);
	bank_http_free(&s->http);
	bank_consent_clear(&s->consent);
	json_decref(s->pending);
	free(s->state_dir);
	memset(s, 0, sizeof(*s));
}

char *bank_state_dir(const struct config *cfg, const struct source_conf *src)
{
	return xasprintf("%s/sources/%s", cfg->agent.state_dir, src->name);
}

/* ---- the run ------------------------------------------------------------------------------ */

void bank_consent_ended(struct bank_session *s)
{
	struct gerr e = {0};

	s->consent.usable = false;
	free(s->consent.status);
	s->consent.status = xstrdup("ENDED");
	if (bank_consent_save(s->state_dir, s->provider->name, &s->consent, s->pending, &e) < 0)
		log_warn("%s: %s", s->src->name, e.msg);
}

enum run_outcome bank_outcome(const struct gerr *err)
{
	return err->kind == GERR_NEEDS_PERSON ? RUN_NEEDS_PERSON : RUN_FAILED;
}

/* The consent, brought up to date; RUN_OK when accounts can be read. */
static enum run_outcome check_consent(struct bank_session *s, struct source_run *run)
{
	const char *name = run->src->name;
	struct gerr err = {0};
	int rc;

	if (!s->consent.id)
		gerr_setk(&err, GERR_NEEDS_PERSON, "no bank is linked yet: goniec bank link %s", name);
	else if (s->consent.valid_until && s->consent.valid_until <= time(NULL))
		gerr_setk(&err, GERR_NEEDS_PERSON, "the consent to read the accounts at %s expired; renew it: "
			  "goniec bank link %s", s->consent.bank, name);
	else if ((rc = s->provider->refresh(s->client, &s->consent, &err)) == BANK_CONSENT_ENDED)
		bank_consent_ended(s);
	else if (rc == 0) {
		struct gerr kept = {0};
		if (bank_consent_save(s->state_dir, s->provider->name, &s->consent, s->pending, &kept) < 0)
			log_warn("%s: %s", name, kept.msg);
		if (s->consent.usable)
			return RUN_OK;
		gerr_setk(&err, GERR_NEEDS_PERSON, "the consent at %s is %s (expired or revoked); renew it: "
			  "goniec bank link %s", s->consent.bank, s->consent.status, name);
	}
	source_run_error(run, &err);
	return bank_outcome(&err);
}

static bool account_taken(const struct bank_conf *c, const struct bank_account *a)
{
	return c->accounts.len == 0 || strlist_contains(&c->accounts, a->iban);
}

static enum run_outcome bank_run_source(struct source_run *run)
{
	struct bank_session s;
	struct gerr err = {0};
	enum run_outcome out;
	json_t *accounts;
	unsigned failed = 0, done = 0, person = 0, partial = 0;

	if (bank_open(&s, run->cfg, run->src, run->state_dir, false, &err) < 0) {
		source_run_error(run, &err);
		bank_close(&s);
		return bank_outcome(&err);
	}
	out = check_consent(&s, run);
	if (out != RUN_OK) {
		bank_close(&s);
		return out;
	}
	for (size_t i = 0; i < s.conf->accounts.len; i++)
		if (!bank_consent_account(&s.consent, NULL, s.conf->accounts.items[i]))
			log_warn("%s: account %s (in accounts:) is not in the consent; link it: goniec bank link %s",
				 run->src->name, s.conf->accounts.items[i], run->src->name);
	if (bank_accounts_load(run->state_dir, &accounts, &err) < 0) {
		source_run_error(run, &err);
		bank_close(&s);
		return bank_outcome(&err);
	}
	for (size_t i = 0; i < s.consent.naccounts && !source_run_stopping(); i++) {
		if (!account_taken(s.conf, &s.consent.accounts[i]))
			continue;
		enum run_outcome o = bank_read_account(&s, run, &s.consent.accounts[i], accounts);
		done += o == RUN_OK;
		partial += o == RUN_PARTIAL;
		failed += o == RUN_FAILED;
		person += o == RUN_NEEDS_PERSON;
	}
	if (bank_accounts_save(run->state_dir, accounts, &err) < 0) {
		source_run_error(run, &err);
		failed++;
	}
	json_decref(accounts);
	log_debug("%s: %lu HTTP requests", run->src->name, s.http.requests);
	bank_close(&s);
	if (person)
		return RUN_NEEDS_PERSON;
	if (failed)
		return done || partial ? RUN_PARTIAL : RUN_FAILED;
	return partial ? RUN_PARTIAL : RUN_OK;
}

const struct source_type source_type_bank = {
	.name = "bank",
	.fields = bank_fields,
	.conf_size = sizeof(struct bank_conf),
	.validate = bank_validate,
	.default_accept = "transactions mt940 camt",
	.default_times = bank_default_times,
	.run = bank_run_source,
	.attention = bank_attention,
	.details = bank_details,
	.link = bank_command_link,
	.accounts = bank_command_accounts,
};
