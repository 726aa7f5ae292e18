/* stmt_testutil — helpers shared by the statement readers' unit tests (test_mt940,
 * test_camt, test_bankcsv): read a sample file or a text into a stmt_file that keeps its
 * transactions, and pick transactions out of it. Samples are used in place, from
 * ../shared/samples/ relative to the checkout root (where the tests run). */
#ifndef GONIEC_STMT_TESTUTIL_H
#define GONIEC_STMT_TESTUTIL_H

#include "testutil.h"
#include "formats/stmtfile.h"

#define SAMPLES "../shared/samples/"

/* Read a file with every transaction kept; returns stmt_read_path's result. */
static inline int read_kept(const char *path, struct stmt_file *f, struct gerr *err)
{
	stmt_file_init(f, path);
	f->keep_txns = true;
	err->msg[0] = '\0';
	return stmt_read_path(path, f, NULL, err);
}

/* A sample that must read without error. */
static inline void read_sample(const char *path, struct stmt_file *f)
{
	struct gerr err;
	int rc = read_kept(path, f, &err);
	if (rc != 0)
		fail_msg("%s", err.msg);
}

/* Bytes in memory, read as a file named `name`. */
static inline int read_bytes(const char *name, const char *data, size_t len,
			     struct stmt_file *f, struct gerr *err)
{
	struct stmt_input in;
	stmt_file_init(f, name);
	f->keep_txns = true;
	err->msg[0] = '\0';
	stmt_input_mem(&in, data, len, name);
	int rc = stmt_read(&in, f, NULL, err);
	stmt_input_free(&in);
	return rc;
}

static inline int read_text(const char *text, struct stmt_file *f, struct gerr *err)
{
	return read_bytes("test.sta", text, strlen(text), f, err);
}

/* A sample's bytes (for tests that cut or wrap them). */
static inline char *sample_bytes(const char *path, size_t *len)
{
	char *data;
	struct gerr err;
	if (read_file(path, 1 << 24, &data, len, &err) < 0)
		fail_msg("%s", err.msg);
	return data;
}

/* A sample with one byte changed (at offset `at` of the first `find` in it), read. */
static inline void read_sample_altered(const char *path, const char *find, size_t at, char to,
				       struct stmt_file *f)
{
	size_t len;
	char *data = sample_bytes(path, &len);
	char *p = memmem(data, len, find, strlen(find));
	assert_non_null(p);
	p[at] = to;
	struct gerr err;
	if (read_bytes(path, data, len, f, &err) < 0)
		fail_msg("%s", err.msg);
	free(data);
}

static inline const struct txn *txn_at(const struct stmt_file *f, size_t st, size_t i)
{
	assert_true(st < f->nstatements);
	assert_true(i < f->statements[st].ntxns);
	return &f->statements[st].txns[i];
}

/* Raw field `key` of a transaction, or NULL. */
static inline const char *raw_of(const struct txn *t, const char *key)
{
	for (size_t i = 0; i < t->nraw; i++)
		if (!strcmp(t->raw[i].key, key))
			return t->raw[i].value;
	return NULL;
}

/* Does some problem of the statement contain `part`? */
static inline bool has_problem(const struct strlist *problems, const char *part)
{
	for (size_t i = 0; i < problems->len; i++)
		if (strstr(problems->items[i], part))
			return true;
	return false;
}

/* Reading `text` as a file named `name` fails with a message containing `part`. */
static inline void expect_read_error(const char *name, const char *text, const char *part)
{
	struct stmt_file f;
	struct gerr err;
	if (read_bytes(name, text, strlen(text), &f, &err) != -1)
		fail_msg("read, expected an error containing \"%s\"", part);
	if (!strstr(err.msg, part))
		fail_msg("\"%s\" does not contain \"%s\"", err.msg, part);
	stmt_file_free(&f);
}

/* What a transaction must say: the amount, and each string that is not NULL. */
struct txn_want {
	int64_t amount;
	const char *booking_date, *counterparty_name, *counterparty_account, *title, *bank_ref,
		*transaction_id, *customer_ref, *type_code;
};

static inline void expect_text(const char *actual, const char *want)
{
	if (want)
		assert_string_equal(actual, want);
}

static inline void expect_txn(const struct txn *t, const struct txn_want *w)
{
	assert_true(t->amount == w->amount);
	expect_text(t->booking_date, w->booking_date);
	expect_text(t->counterparty_name, w->counterparty_name);
	expect_text(t->counterparty_account, w->counterparty_account);
	expect_text(t->title, w->title);
	expect_text(t->bank_ref, w->bank_ref);
	expect_text(t->transaction_id, w->transaction_id);
	expect_text(t->customer_ref, w->customer_ref);
	expect_text(t->type_code, w->type_code);
}

#define assert_minor(actual, expected) assert_true((int64_t)(actual) == (int64_t)(expected))

#endif
