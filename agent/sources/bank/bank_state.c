/* bank_state — see bank_state.h. */
#include "sources/bank/bank_state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

static json_t *load(const char *state_dir, const char *name)
{
	char *path = path_join(state_dir, name);
	json_error_t je;
	json_t *j = NULL;

	if (access(path, F_OK) == 0) {
		j = json_load_file(path, 0, &je);
		if (!json_is_object(j)) {
			log_warn("%s: damaged (%s, line %d); starting from empty state", path, je.text, je.line);
			json_decref(j);
			j = NULL;
		}
	}
	free(path);
	return j;
}

static int save(const char *state_dir, const char *name, const json_t *j, struct gerr *err)
{
	char *path = path_join(state_dir, name);
	char *text = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
	int rc = write_file_atomic(path, text, strlen(text), 0600, err);

	free(text);
	free(path);
	return rc;
}

void bank_consent_load(const char *state_dir, struct bank_consent *c, json_t **pending)
{
	json_t *j = load(state_dir, "bank-consent.json"), *a;
	size_t i;

	memset(c, 0, sizeof(*c));
	*pending = json_incref(json_object_get(j, "pending"));
	if (bank_str(j, "id")) {
		c->id = xstrdup(bank_str(j, "id"));
		c->bank = xstrdup(bank_str(j, "bank") ?: "");
		c->status = xstrdup(bank_str(j, "status") ?: "?");
		c->usable = json_is_true(json_object_get(j, "usable"));
		c->valid_until = (time_t)json_integer_value(json_object_get(j, "valid_until"));
		json_array_foreach(json_object_get(j, "accounts"), i, a)
			if (bank_str(a, "id"))
				bank_consent_add(c, bank_str(a, "id"), bank_str(a, "iban"), bank_str(a, "currency"),
						 bank_str(a, "name"));
	}
	json_decref(j);
}

int bank_consent_save(const char *state_dir, const char *provider, const struct bank_consent *c,
		      const json_t *pending, struct gerr *err)
{
	json_t *j = json_pack("{s:s}", "provider", provider), *accs = json_array();
	int rc;

	if (c && c->id) {
		for (size_t i = 0; i < c->naccounts; i++)
			json_array_append_new(accs, json_pack("{s:s, s:s, s:s, s:s}", "id", c->accounts[i].id,
							      "iban", c->accounts[i].iban, "currency",
							      c->accounts[i].currency, "name", c->accounts[i].name));
		json_t *fields = json_pack("{s:s, s:s, s:s, s:b, s:I}", "id", c->id, "bank", c->bank ?: "",
					   "status", c->status ?: "?", "usable", c->usable, "valid_until",
					   (json_int_t)c->valid_until);
		json_object_update(j, fields);
		json_decref(fields);
	}
	json_object_set_new(j, "accounts", accs);
	if (pending)
		json_object_set(j, "pending", (json_t *)pending);
	rc = save(state_dir, "bank-consent.json", j, err);
	json_decref(j);
	return rc;
}

json_t *bank_accounts_load(const char *state_dir)
{
	json_t *j = load(state_dir, "bank-accounts.json");

	return j ? j : json_object();
}

int bank_accounts_save(const char *state_dir, const json_t *accounts, struct gerr *err)
{
	return save(state_dir, "bank-accounts.json", accounts, err);
}
