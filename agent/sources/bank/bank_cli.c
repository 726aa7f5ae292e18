/* bank_cli — the person's side of the bank source: `goniec bank link` (list the banks,
 * start a consent, finish it with the redirect's code), `goniec bank accounts`, the alert
 * before the consent expires, and the per-account lines of `goniec status`. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "sources/bank/bank_run.h"
#include "sources/bank/bank_state.h"

#define WARN_DAYS 14
#define URGENT_DAYS 3

static void print_day(FILE *out, time_t t)
{
	char day[32];
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d %H:%M", &tm);
	fputs(day, out);
}

static void print_accounts(const struct bank_session *s)
{
	printf("%-34s %-4s %-36s %s\n", "IBAN", "CCY", "NAME", "TAKEN");
	for (size_t i = 0; i < s->consent.naccounts; i++) {
		const struct bank_account *a = &s->consent.accounts[i];
		bool taken = !s->conf->accounts.len || strlist_contains(&s->conf->accounts, a->iban);
		printf("%-34s %-4s %-36s %s\n", a->iban, a->currency, a->name, taken ? "yes" : "no (not in accounts:)");
	}
}

static int link_finish(struct bank_session *s, const char *code)
{
	struct bank_consent c = {0};
	struct gerr err = {0};

	if (!s->pending) {
		log_error("bank link: %s: no consent is being started; run goniec bank link %s first", s->src->name,
			  s->src->name);
		return 1;
	}
	if (s->provider->link_finish(s->client, s->pending, code, &c, &err) < 0) {
		log_error("bank link: %s: %s", s->src->name, err.msg);
		bank_consent_clear(&c);
		return err.kind == GERR_NEEDS_PERSON ? 3 : 1;
	}
	bank_consent_clear(&s->consent);
	s->consent = c;
	if (bank_consent_save(s->state_dir, s->provider->name, &s->consent, NULL, &err) < 0) {
		log_error("bank link: %s: %s", s->src->name, err.msg);
		return 1;
	}
	printf("%s: linked to %s; the consent is valid until ", s->src->name, s->consent.bank);
	print_day(stdout, s->consent.valid_until);
	printf(".\n\n");
	print_accounts(s);
	return 0;
}

/* The banks of the source's country and how to choose one; 0, or 1 when they could not
 * be listed. */
static int list_banks(struct bank_session *s, const char *why)
{
	struct gerr err = {0};

	printf("%s The banks of %s:\n\n", why, s->conf->country);
	if (s->provider->banks(s->client, s->conf->country, stdout, &err) < 0) {
		log_error("bank link: %s: %s", s->src->name, err.msg);
		return 1;
	}
	printf("\nSet `bank:` of source %s to one of them (the first column), then run "
	       "goniec bank link %s again.\n", s->src->name, s->src->name);
	return 0;
}

static int link_start(struct bank_session *s)
{
	struct bank_link l = {0};
	struct gerr err = {0};
	int rc = s->provider->link_start(s->client, &l, &err);

	if (rc == BANK_NO_SUCH_BANK) {
		log_error("bank link: %s: %s", s->src->name, err.msg);
		list_banks(s, "The bank named in `bank:` is not one of the country's.");
		return 1;
	}
	if (rc < 0) {
		log_error("bank link: %s: %s", s->src->name, err.msg);
		return err.kind == GERR_NEEDS_PERSON ? 3 : 1;
	}
	if (bank_consent_save(s->state_dir, s->provider->name, &s->consent, l.pending, &err) < 0) {
		log_error("bank link: %s: %s", s->src->name, err.msg);
		rc = 1;
	} else {
		printf("Open this address in a browser and approve the access at %s:\n\n  %s\n\n"
		       "The consent asked for is valid until ", s->conf->bank, l.url);
		print_day(stdout, l.valid_until);
		printf(". After you approve, the bank sends the browser to\n%s?... "
		       "(a page that may show an error: that is fine).\nCopy that whole address and run:\n\n"
		       "  goniec bank link %s --code 'ADDRESS'\n", s->conf->redirect_url, s->src->name);
	}
	bank_link_clear(&l);
	return rc;
}

int bank_command_link(const struct config *cfg, const struct source_conf *src, const char *code)
{
	struct bank_session s = {0};
	struct gerr err = {0};
	char *dir = bank_state_dir(cfg, src);
	int rc = mkdir_p(dir, 0700, &err);

	if (rc == 0)
		rc = bank_open(&s, cfg, src, dir, true, &err);
	free(dir);
	if (rc < 0) {
		log_error("bank link: %s: %s", src->name, err.msg);
		bank_close(&s);
		return err.kind == GERR_NEEDS_PERSON ? 3 : 1;
	}
	if (code) {
		rc = link_finish(&s, code);
	} else if (!s.conf->bank) {
		char *why = xasprintf("No bank is chosen for %s yet.", src->name);
		rc = list_banks(&s, why);
		free(why);
	} else {
		rc = link_start(&s);
	}
	bank_close(&s);
	return rc;
}

int bank_command_accounts(const struct config *cfg, const struct source_conf *src)
{
	char *dir = bank_state_dir(cfg, src);
	struct bank_consent c;
	struct gerr err = {0};
	json_t *pending;
	int rc = bank_consent_load(dir, &c, &pending, &err);

	free(dir);
	json_decref(pending);
	if (rc < 0) {
		log_error("bank accounts: %s: %s", src->name, err.msg);
		return 1;
	}
	if (!c.id) {
		printf("%s: no bank linked yet (goniec bank link %s)\n", src->name, src->name);
		return 3;
	}
	printf("%s: %s, consent %s, valid until ", src->name, c.bank, c.status);
	print_day(stdout, c.valid_until);
	printf("\n\n");
	struct bank_session s = {.conf = src->typed, .consent = c, .src = src};
	print_accounts(&s);
	bank_consent_clear(&c);
	return 0;
}

/* ---- alerts and status ------------------------------------------------------------------ */

/* The consent's notices, one each (staged: daemon/alert.h): WARN_DAYS and again
 * URGENT_DAYS before it expires; once it has expired or was revoked the runs end needing
 * a person, whose alert says it with the same command — told once (stage "ended"), not
 * every day. */
char *bank_attention(const struct config *cfg, const struct source_conf *src,
		     struct alert_stages *stages)
{
	char *dir = bank_state_dir(cfg, src);
	struct bank_consent c;
	struct gerr err = {0};
	json_t *pending;
	char *msg = NULL;
	char day[16];
	struct tm tm;
	time_t now = time(NULL);

	if (bank_consent_load(dir, &c, &pending, &err) < 0)
		log_warn("%s: %s", src->name, err.msg);
	free(dir);
	json_decref(pending);
	if (c.id && c.usable && c.valid_until > now && c.valid_until - now < WARN_DAYS * 86400L) {
		bool urgent = c.valid_until - now < URGENT_DAYS * 86400L;
		localtime_r(&c.valid_until, &tm);
		strftime(day, sizeof(day), "%Y-%m-%d", &tm);
		msg = xasprintf("the consent to read the accounts at %s expires on %s, in less than %d days; "
				"renew it%s: goniec bank link %s", c.bank, day, urgent ? URGENT_DAYS : WARN_DAYS,
				urgent ? " now" : "", src->name);
		stages->attention = urgent ? "3d" : "14d";
	} else if (c.id && (!c.usable || (c.valid_until && c.valid_until <= now))) {
		stages->runs = "ended";
	}
	bank_consent_clear(&c);
	return msg;
}

/* The balance status shows of an account's state: the booked one (CLBD, ITBD) when the bank
 * gave it, else the first; dated with the day it was read when the bank gave no date. */
static json_t *shown_balance(const json_t *st)
{
	const json_t *all = json_object_get(st, "balances"), *b, *pick = json_array_get(all, 0);
	time_t read = (time_t)json_integer_value(json_object_get(st, "read"));
	size_t i;

	json_array_foreach(all, i, b)
		if (bank_str(b, "type") && (!strcmp(bank_str(b, "type"), "CLBD") || !strcmp(bank_str(b, "type"), "ITBD"))) {
			pick = b;
			break;
		}
	if (!pick)
		return NULL;
	json_t *out = json_deep_copy(pick);
	if (!bank_str(out, "date") && read > 0) {
		char day[16];
		struct tm tm;
		localtime_r(&read, &tm);
		strftime(day, sizeof(day), "%Y-%m-%d", &tm);
		json_object_set_new(out, "date", json_string(day));
	}
	return out;
}

json_t *bank_details(const char *state_dir, const struct source_conf *src)
{
	char *dir = xasprintf("%s/sources/%s", state_dir, src->name);
	struct bank_consent c;
	struct gerr err = {0};
	json_t *pending, *accounts = NULL, *list = json_array(), *out;

	if (bank_consent_load(dir, &c, &pending, &err) < 0 || bank_accounts_load(dir, &accounts, &err) < 0)
		log_warn("%s: %s", src->name, err.msg);
	json_decref(pending);
	free(dir);
	for (size_t i = 0; i < c.naccounts; i++) {
		json_t *st = json_object_get(accounts, c.accounts[i].iban);
		json_t *a = json_pack("{s:s, s:s, s:s}", "iban", c.accounts[i].iban, "currency", c.accounts[i].currency,
				      "name", c.accounts[i].name);
		json_t *bal = shown_balance(st);
		if (bal)
			json_object_set_new(a, "balance", bal);
		if (json_object_get(st, "last_txn"))
			json_object_set(a, "last_booked", json_object_get(st, "last_txn"));
		if (json_object_get(st, "waiting_until"))
			json_object_set(a, "waiting_until", json_object_get(st, "waiting_until"));
		if (json_object_get(st, "error"))
			json_object_set(a, "error", json_object_get(st, "error"));
		json_array_append_new(list, a);
	}
	out = json_pack("{s:{s:s?, s:s?, s:I}, s:o}", "consent", "bank", c.bank, "status", c.status,
			"valid_until", (json_int_t)c.valid_until, "accounts", list);
	bank_consent_clear(&c);
	json_decref(accounts);
	return out;
}
