/* libFuzzer target: the bank source's readers of aggregator answers (Enable Banking pages
 * and balances, GoCardless transactions and balances), and the MT940 and CAMT.053
 * writers on whatever transactions they yield (titles and names from the input). */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "formats/camt_write.h"
#include "formats/mt940_write.h"
#include "sources/bank/provider.h"

struct collected {
	struct stmt_file f;
	struct stmt st;
};

static int take(void *ctx, const struct txn *t, const char *id, struct gerr *err)
{
	struct collected *c = ctx;

	(void)id;
	return c->st.ntxns < 64 ? stmt_emit_txn(&c->f, &c->st, t, NULL, err) : 0;
}

static void take_unreadable(void *ctx, const json_t *raw, const char *why)
{
	struct collected *c = ctx;

	if (!c->f.unreadable || json_array_size(c->f.unreadable) < 64)
		stmt_file_unreadable(&c->f, raw, why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct bank_account acc = {"id", "PL61109010140000071219812874", "PLN", "fuzz"};
	struct collected c = {.f = {.keep_txns = true}};
	struct bank_txn_sink sink = {&c, take, take_unreadable};
	struct bank_balances b;
	struct gerr err = {0};
	struct buf out = {0};
	json_t *j = json_loadb((const char *)data, size, 0, NULL);

	if (!j)
		return 0;
	bank_eb_page(j, &acc, &sink, &err);
	bank_gc_transactions(j, &acc, &sink, &err);
	bank_eb_balances(j, &b);
	bank_gc_balances(j, &b);
	snprintf(c.st.account, sizeof(c.st.account), "%s", acc.iban);
	snprintf(c.st.currency, sizeof(c.st.currency), "PLN");
	mt940_write(&c.st, MT940_WINDOWS_1250, &out, &err);
	camt053_write(&c.st, "fuzz", &out);
	buf_free(&out);
	stmt_clear(&c.st);
	stmt_file_free(&c.f);
	json_decref(j);
	return 0;
}
