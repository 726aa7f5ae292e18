/* provider — the helpers providers share; see provider.h. */
#include "sources/bank/provider.h"

#include <ctype.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/money.h"

void bank_account_clear(struct bank_account *a)
{
	free(a->id);
	free(a->iban);
	free(a->currency);
	free(a->name);
	memset(a, 0, sizeof(*a));
}

void bank_consent_clear(struct bank_consent *c)
{
	for (size_t i = 0; i < c->naccounts; i++)
		bank_account_clear(&c->accounts[i]);
	free(c->accounts);
	free(c->id);
	free(c->bank);
	free(c->status);
	memset(c, 0, sizeof(*c));
}

void bank_link_clear(struct bank_link *l)
{
	free(l->url);
	json_decref(l->pending);
	memset(l, 0, sizeof(*l));
}

void bank_consent_add(struct bank_consent *c, const char *id, const char *iban,
		      const char *currency, const char *name)
{
	char compact[IBAN_MAX_LEN + 1];
	struct bank_account *a;

	c->accounts = xrealloc(c->accounts, (c->naccounts + 1) * sizeof(*c->accounts));
	a = &c->accounts[c->naccounts++];
	a->id = xstrdup(id);
	a->iban = xstrdup(iban && account_normalise(iban, compact) ? compact : iban ? iban : "");
	a->currency = xstrdup(currency ? currency : "");
	a->name = xstrdup(name ? name : "");
}

const struct bank_account *bank_consent_account(const struct bank_consent *c, const char *id,
						const char *iban)
{
	for (size_t i = 0; i < c->naccounts; i++)
		if (!strcmp(id ? c->accounts[i].id : c->accounts[i].iban, id ? id : iban))
			return &c->accounts[i];
	return NULL;
}

json_t *bank_json(const struct bank_resp *r, const char *what, struct gerr *err)
{
	json_error_t je;
	json_t *j = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, &je);

	if (!j)
		gerr_setk(err, GERR_TEMPORARY, "%s: the answer is not JSON (%s, at byte %d)", what,
			  je.text, je.position);
	return j;
}

int bank_amount(const char *text, const char *currency, int64_t *minor, struct gerr *err)
{
	if (!text)
		return gerr_set(err, "no amount");
	return money_parse(text, '.', currency_exponent(currency ? currency : ""), minor, err);
}

time_t bank_parse_time(const char *s)
{
	struct tm tm = {0};
	const char *p;
	long off = 0;

	if (!s || !(p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return -1;
	while (*p == '.' || isdigit((unsigned char)*p))
		p++;
	if (*p == '+' || *p == '-') {
		int h = 0, m = 0;
		if (sscanf(p + 1, "%2d:%2d", &h, &m) != 2)
			return -1;
		off = (h * 3600L + m * 60L) * (*p == '-' ? -1 : 1);
	} else if (*p != 'Z' && *p) {
		return -1;
	}
	return timegm(&tm) - off;
}

void bank_random_hex(char *out, size_t n)
{
	unsigned char raw[32];

	if (n > sizeof(raw))
		n = sizeof(raw);
	if (RAND_bytes(raw, (int)n) != 1) {
		log_error("bank: no random bytes");
		abort();
	}
	hex_encode(raw, n, out);
}

char *bank_code_from(const char *url_or_code, const char *param)
{
	const char *q = strchr(url_or_code, '?');
	size_t plen = strlen(param);

	if (!q)
		return xstrdup(url_or_code);
	for (const char *p = q + 1; *p; p += strcspn(p, "&"), p += *p == '&') {
		if (strncmp(p, param, plen) == 0 && p[plen] == '=') {
			char *raw = xstrndup(p + plen + 1, strcspn(p + plen + 1, "&#"));
			int n = 0;
			char *out = curl_easy_unescape(NULL, raw, 0, &n);
			char *copy = xstrndup(out ? out : raw, out ? (size_t)n : strlen(raw));
			curl_free(out);
			free(raw);
			return copy;
		}
	}
	return NULL;
}

const char *bank_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

void bank_set_date(char out[STMT_DATE_LEN + 1], const char *s)
{
	out[0] = 0;
	if (s && strlen(s) >= STMT_DATE_LEN && isdigit((unsigned char)s[0]) && s[4] == '-' && s[7] == '-') {
		memcpy(out, s, STMT_DATE_LEN);
		out[STMT_DATE_LEN] = 0;
	}
}
