/* bank_state — see bank_state.h. */
#include "sources/bank/bank_state.h"

#include <stdlib.h>
#include <string.h>

#include "core/statefile.h"

static int load(const char *state_dir, const char *name, json_t **out, struct gerr *err)
{
	char *path = path_join(state_dir, name);
	int rc = statefile_load(path, out, err);

	free(path);
	return rc;
}

static int save(const char *state_dir, const char *name, const json_t *j, struct gerr *err)
{
	char *path = path_join(state_dir, name);
	int rc = statefile_save(path, j, err);

	free(path);
	return rc;
}

int bank_consent_load(const char *state_dir, struct bank_consent *c, json_t **pending,
		      struct gerr *err)
{
	json_t *j, *a;
	size_t i;

	memset(c, 0, sizeof(*c));
	*pending = NULL;
	if (load(state_dir, "bank-consent.json", &j, err) < 0)
		return -1;
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
	return 0;
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

int bank_accounts_load(const char *state_dir, json_t **out, struct gerr *err)
{
	return load(state_dir, "bank-accounts.json", out, err);
}

int bank_accounts_save(const char *state_dir, const json_t *accounts, struct gerr *err)
{
	return save(state_dir, "bank-accounts.json", accounts, err);
}
