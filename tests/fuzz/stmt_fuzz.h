/* stmt_fuzz — what the statement readers' fuzz targets (fuzz_mt940, fuzz_camt,
 * fuzz_bankcsv) check on whatever they read: every text of the model is valid UTF-8, the
 * statements' totals are the sums of their transactions, and goniec.transactions/1 reads
 * back to the same transactions. A broken promise aborts. */
#ifndef GONIEC_STMT_FUZZ_H
#define GONIEC_STMT_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "formats/statement.h"
#include "formats/stmtinput.h"

static inline void check_text(const char *s)
{
	if (s && !utf8_valid(s, strlen(s)))
		abort();
}

static inline void check_txn(const struct txn *t)
{
	const char *texts[] = {t->counterparty_name, t->counterparty_account, t->title,
			       t->bank_ref, t->transaction_id, t->customer_ref, t->type_code,
			       t->type_swift, t->type_text};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		check_text(texts[i]);
	for (size_t i = 0; i < t->nraw; i++) {
		check_text(t->raw[i].key);
		check_text(t->raw[i].value);
	}
}

static inline void check_statement(const struct stmt *st)
{
	int64_t credits = 0, debits = 0;
	unsigned long pending = 0;
	bool overflow = false;
	for (size_t i = 0; i < st->ntxns; i++) {
		const struct txn *t = &st->txns[i];
		check_txn(t);
		if (t->status != TXN_BOOKED)
			pending++;
		else if (t->amount >= 0)
			overflow |= __builtin_add_overflow(credits, t->amount, &credits);
		else
			overflow |= __builtin_add_overflow(debits, t->amount, &debits);
	}
	if (st->ntxns != st->count || pending != st->pending_count)
		abort();
	if (!st->sums_overflow && !overflow && (credits != st->credits_sum || debits != st->debits_sum))
		abort();
	check_text(st->id);
	check_text(st->number);
	for (size_t i = 0; i < st->problems.len; i++)
		check_text(st->problems.items[i]);
}

/* Read data with `reader`, check the model, and round-trip it through JSON. */
static inline void fuzz_reader(const uint8_t *data, size_t size,
			       int (*reader)(struct stmt_input *, struct stmt_file *,
					     const struct stmt_sink *, struct gerr *))
{
	struct stmt_input in;
	struct stmt_file f, back;
	struct gerr err;
	stmt_input_mem(&in, data, size, "fuzz");
	stmt_file_init(&f, "fuzz");
	f.keep_txns = true;
	if (reader(&in, &f, NULL, &err) == 0) {
		for (size_t i = 0; i < f.nstatements; i++)
			check_statement(&f.statements[i]);
		json_t *doc = stmt_transactions_json(&f);
		json_decref(stmt_sidecar_json(&f));
		stmt_file_init(&back, "back");
		back.keep_txns = true;
		if (stmt_from_transactions_json(doc, &back, NULL, &err) < 0 ||
		    back.txns_total != f.txns_total)
			abort();
		stmt_file_free(&back);
		json_decref(doc);
	} else {
		check_text(err.msg);
	}
	stmt_file_free(&f);
	stmt_input_free(&in);
}

#endif
