/* camt — see camt.h. */
#include "formats/camt.h"

#include <libxml/xmlreader.h>
#include <stdlib.h>
#include <string.h>

#include "core/money.h"

#define CAMT_NS "urn:iso:std:iso:20022:tech:xsd:camt.05"
#define DETAILS_MAX 100000	/* TxDtls in one entry */

static const struct {
	enum stmt_format format;
	const char *message;	/* the child of Document */
	const char *record;	/* the statement-like element inside it */
	enum stmt_kind kind;
} messages[] = {
	{STMT_FORMAT_CAMT053, "BkToCstmrStmt", "Stmt", STMT_KIND_STATEMENT},
	{STMT_FORMAT_CAMT052, "BkToCstmrAcctRpt", "Rpt", STMT_KIND_INTERIM},
	{STMT_FORMAT_CAMT054, "BkToCstmrDbtCdtNtfctn", "Ntfctn", STMT_KIND_NOTIFICATION},
};

enum stmt_format camt_sniff(const char *head, size_t len)
{
	const char *ns = memmem(head, len, CAMT_NS, strlen(CAMT_NS));
	if (ns && (size_t)(head + len - ns) > strlen(CAMT_NS)) {
		char digit = ns[strlen(CAMT_NS)];
		if (digit == '2')
			return STMT_FORMAT_CAMT052;
		if (digit == '3')
			return STMT_FORMAT_CAMT053;
		if (digit == '4')
			return STMT_FORMAT_CAMT054;
	}
	for (size_t i = 0; i < ARRAY_LEN(messages); i++) {
		char tag[64];
		snprintf(tag, sizeof(tag), "<%s>", messages[i].message);
		if (memmem(head, len, tag, strlen(tag)))
			return messages[i].format;
	}
	return STMT_FORMAT_UNKNOWN;
}

/* ---- the DOM of one expanded element --------------------------------------------- */

static bool named(const xmlNode *n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static xmlNode *child(const xmlNode *n, const char *name)
{
	if (!n)
		return NULL;
	for (xmlNode *c = n->children; c; c = c->next)
		if (named(c, name))
			return c;
	return NULL;
}

/* "RltdPties/Dbtr/Nm" below n. */
static xmlNode *at(const xmlNode *n, const char *path)
{
	char name[64];
	const xmlNode *cur = n;
	while (cur && *path) {
		size_t k = strcspn(path, "/");
		if (k >= sizeof(name))
			return NULL;
		memcpy(name, path, k);
		name[k] = '\0';
		cur = child(cur, name);
		path += k + (path[k] == '/');
	}
	return (xmlNode *)cur;
}

/* The text of an element (owned by the caller), surrounding white space trimmed; NULL
 * when absent or empty. */
static char *text_of(const xmlNode *n)
{
	if (!n)
		return NULL;
	xmlChar *raw = xmlNodeGetContent(n);
	char *out = NULL;
	if (raw)
		txn_set_trimmed(&out, (const char *)raw, strlen((const char *)raw));
	xmlFree(raw);
	if (out) { /* new lines and tabs inside a value are layout */
		for (char *p = out; *p; p++)
			if (*p == '\n' || *p == '\r' || *p == '\t')
				*p = ' ';
	}
	return out;
}

static char *text_at(const xmlNode *n, const char *path)
{
	return text_of(at(n, path));
}

/* Set *field from path unless already set. */
static void fill(char **field, const xmlNode *n, const char *path)
{
	if (*field)
		return;
	*field = text_at(n, path);
}

/* ---- reading ------------------------------------------------------------------------ */

struct camt {
	struct stmt_file *f;
	const struct stmt_sink *sink;
	struct gerr *err;
	xmlTextReaderPtr reader;
	const char *record;	/* "Stmt", "Rpt", "Ntfctn" */
	bool in_stmt;
	int more;		/* the reader's last answer: 1 on a node, 0 at the end, -1 error */
	struct stmt st;
	char period_from[STMT_DATE_LEN + 1], period_to[STMT_DATE_LEN + 1];	/* FrToDt */
	unsigned long entries;
	char xml_error[512];
	int xml_error_line;
	struct stmt_input *in;
	int prolog;		/* enum prolog_state */
	int marks;		/* '-' or '?' just seen in the prolog */
	bool prolog_done;	/* the root element has started */
	char refused[96];	/* why the input was stopped, or "" */
};

static int bad(struct camt *c, const xmlNode *n, const char *fmt, const char *what)
{
	return gerr_set(c->err, "%s: line %ld: %s%s", c->f->name, n ? xmlGetLineNo(n) : 0L, fmt,
			what ? what : "");
}

/* "2024-03-05" or the date of "2024-03-05T10:00:00+01:00". */
static bool read_date(const xmlNode *n, char out[STMT_DATE_LEN + 1])
{
	char *t = text_of(n);
	out[0] = '\0';
	bool ok = t && strlen(t) >= STMT_DATE_LEN && t[4] == '-' && t[7] == '-' &&
		  stmt_date_set(out, atoi(t), atoi(t + 5), atoi(t + 8));
	free(t);
	return ok;
}

/* Dt/Dt or Dt/DtTm (BookgDt, ValDt, Bal/Dt). */
static void read_dt(struct camt *c, const xmlNode *n, char out[STMT_DATE_LEN + 1])
{
	out[0] = '\0';
	if (!n)
		return;
	const xmlNode *d = child(n, "Dt") ? child(n, "Dt") : child(n, "DtTm");
	if (d && !read_date(d, out))
		stmt_problem(&c->st, "line %ld: %s/%s is not a date", xmlGetLineNo(d),
			     (const char *)n->name, (const char *)d->name);
}

/* Amt with its Ccy attribute: minor units and the currency. Returns -1 with why set. */
static int read_amount(const xmlNode *amt, int64_t *minor, char ccy[STMT_CCY_LEN + 1],
		       struct gerr *why)
{
	if (!amt)
		return gerr_set(why, "no Amt");
	xmlChar *code = xmlGetProp(amt, (const xmlChar *)"Ccy");
	bool ok = code && strlen((const char *)code) == STMT_CCY_LEN &&
		  stmt_is_currency((const char *)code);
	if (ok)
		memcpy(ccy, code, STMT_CCY_LEN + 1);
	xmlFree(code);
	if (!ok)
		return gerr_set(why, "Amt has no currency code (Ccy)");
	char *t = text_of(amt);
	int rc = t ? money_parse(t, '.', currency_exponent(ccy), minor, why)
		   : gerr_set(why, "Amt is empty");
	free(t);
	return rc;
}

/* CdtDbtInd below n: +1 CRDT, -1 DBIT, 0 absent or other. */
static int direction(const xmlNode *n)
{
	char *t = text_at(n, "CdtDbtInd");
	int d = !t ? 0 : !strcmp(t, "CRDT") ? 1 : !strcmp(t, "DBIT") ? -1 : 0;
	free(t);
	return d;
}

/* ---- statement-level elements ----------------------------------------------------- */

static void read_balance(struct camt *c, const xmlNode *bal)
{
	char *type = text_at(bal, "Tp/CdOrPrtry/Cd");
	struct stmt_balance *b = NULL;
	if (!type)
		b = NULL;
	else if (!strcmp(type, "OPBD") || (!strcmp(type, "PRCD") && !c->st.opening.present))
		b = &c->st.opening;
	else if (!strcmp(type, "CLBD"))
		b = &c->st.closing;
	else if (!strcmp(type, "CLAV"))
		b = &c->st.closing_available;
	else if (!strcmp(type, "FWAV") && !c->st.forward_available.present)
		b = &c->st.forward_available;
	free(type);
	if (!b)
		return; /* ITBD, ITAV, OPAV, INFO, ...: not part of the model */
	struct gerr why;
	struct stmt_balance nb = {.present = true};
	if (read_amount(child(bal, "Amt"), &nb.amount, nb.currency, &why) < 0) {
		stmt_problem(&c->st, "line %ld: balance: %s", xmlGetLineNo(bal), why.msg);
		return;
	}
	int d = direction(bal);
	if (d == 0)
		stmt_problem(&c->st, "line %ld: balance without CdtDbtInd, taken as a credit",
			     xmlGetLineNo(bal));
	nb.amount = d < 0 ? -nb.amount : nb.amount;
	read_dt(c, child(bal, "Dt"), nb.date);
	*b = nb;
	if (!c->st.currency[0])
		memcpy(c->st.currency, nb.currency, sizeof(nb.currency));
}

static void read_stated(struct camt *c, const xmlNode *sum, bool debits)
{
	if (!sum)
		return;
	char *count = text_at(sum, "NbOfNtries");
	char *total = text_at(sum, "Sum");
	int64_t minor;
	struct gerr why;
	if (count && total &&
	    money_parse(total, '.', currency_exponent(c->st.currency), &minor, &why) == 0) {
		if (debits) {
			c->st.stated_debits = true;
			c->st.stated_debits_count = strtoul(count, NULL, 10);
			c->st.stated_debits_sum = -minor;
		} else {
			c->st.stated_credits = true;
			c->st.stated_credits_count = strtoul(count, NULL, 10);
			c->st.stated_credits_sum = minor;
		}
	}
	free(count);
	free(total);
}

/* FrToDt: kept aside and set at the end, so that it stands over the entries' dates. */
static void read_period(struct camt *c, const xmlNode *n)
{
	read_date(child(n, "FrDtTm") ? child(n, "FrDtTm") : child(n, "FrDt"), c->period_from);
	read_date(child(n, "ToDtTm") ? child(n, "ToDtTm") : child(n, "ToDt"), c->period_to);
}

static int end_statement(struct camt *c)
{
	c->in_stmt = false;
	if (c->period_from[0] && c->period_to[0]) {
		memcpy(c->st.period_from, c->period_from, sizeof(c->period_from));
		memcpy(c->st.period_to, c->period_to, sizeof(c->period_to));
	}
	return stmt_emit_end(c->f, &c->st, c->sink, c->err);
}

/* ---- entries -------------------------------------------------------------------------- */

/* One TxDtls (or the entry itself when it has none). */
struct detail {
	struct txn t;
	bool has_amount;
	int64_t amount;		/* unsigned, minor units */
	char currency[STMT_CCY_LEN + 1];
	int direction;		/* +1, -1, 0 (the entry's) */
};

static void join_text(char **field, const char *add, const char *sep)
{
	if (!add)
		return;
	if (!*field) {
		*field = xstrdup(add);
		return;
	}
	if (strstr(*field, add))
		return;
	char *joined = xasprintf("%s%s%s", *field, sep, add);
	free(*field);
	*field = joined;
}

/* RmtInf: every Ustrd joined with a space, then each Strd creditor reference. */
static void read_remittance(struct txn *t, const xmlNode *rmt)
{
	if (!rmt)
		return;
	for (xmlNode *c = rmt->children; c; c = c->next) {
		char *s = named(c, "Ustrd") ? text_of(c)
			  : named(c, "Strd") ? text_at(c, "CdtrRefInf/Ref")
					     : NULL;
		join_text(&t->title, s, " ");
		free(s);
	}
}

/* The text at prefix+first, else at prefix+second. */
static char *text_at_either(const xmlNode *n, const char *prefix, const char *first,
			    const char *second)
{
	char path[64];
	snprintf(path, sizeof(path), "%s%s", prefix, first);
	char *text = text_at(n, path);
	if (!text) {
		snprintf(path, sizeof(path), "%s%s", prefix, second);
		text = text_at(n, path);
	}
	return text;
}

static void read_account(struct camt *c, const xmlNode *acct)
{
	char *id = text_at_either(acct, "Id", "/IBAN", "/Othr/Id");
	if (id)
		stmt_set_account(c->st.account, id, strlen(id));
	free(id);
	char *ccy = text_at(acct, "Ccy");
	if (ccy && strlen(ccy) == STMT_CCY_LEN && stmt_is_currency(ccy))
		memcpy(c->st.currency, ccy, STMT_CCY_LEN + 1);
	free(ccy);
}

/* Dbtr/Nm (v02–v07) or Dbtr/Pty/Nm (v08+). */
static char *party_name(const xmlNode *parties, const char *who)
{
	return text_at_either(parties, who, "/Nm", "/Pty/Nm");
}

static char *party_account(const xmlNode *parties, const char *who)
{
	char *acct = text_at_either(parties, who, "Acct/Id/IBAN", "Acct/Id/Othr/Id");
	char iban[IBAN_MAX_LEN + 1];
	if (acct && account_normalise(acct, iban) && iban_valid(iban)) {
		free(acct);
		acct = xstrdup(iban);
	}
	return acct;
}

/* The bank transaction code: "PMNT/RCDT/ESCT" or the proprietary code. */
static char *bank_code(const xmlNode *n)
{
	const xmlNode *code = child(n, "BkTxCd");
	char *domain = text_at(code, "Domn/Cd");
	if (domain) {
		char *family = text_at(code, "Domn/Fmly/Cd");
		char *sub = text_at(code, "Domn/Fmly/SubFmlyCd");
		char *all = xasprintf("%s%s%s%s%s", domain, family ? "/" : "", family ? family : "",
				      sub ? "/" : "", sub ? sub : "");
		free(domain);
		free(family);
		free(sub);
		return all;
	}
	return text_at(code, "Prtry/Cd");
}

static int read_detail(struct camt *c, const xmlNode *tx, struct detail *d)
{
	struct txn *t = &d->t;
	const xmlNode *amt = child(tx, "Amt");
	if (!amt)
		amt = at(tx, "AmtDtls/TxAmt/Amt");
	if (amt) {
		struct gerr why;
		if (read_amount(amt, &d->amount, d->currency, &why) < 0)
			return bad(c, amt, "transaction amount: ", why.msg);
		d->has_amount = true;
	}
	d->direction = direction(tx);
	const xmlNode *refs = child(tx, "Refs");
	t->customer_ref = text_at(refs, "EndToEndId");
	if (t->customer_ref && !strcmp(t->customer_ref, "NOTPROVIDED"))
		txn_set(&t->customer_ref, NULL);
	t->transaction_id = text_at(refs, "TxId");
	fill(&t->transaction_id, refs, "AcctSvcrRef");
	t->type_code = bank_code(tx);
	read_remittance(t, child(tx, "RmtInf"));
	char *extra = text_at(tx, "AddtlTxInf");
	txn_set(&t->type_text, extra);
	free(extra);
	/* who the other party is depends on the direction, which may be the entry's */
	const xmlNode *parties = child(tx, "RltdPties");
	if (parties) {
		char *names[2] = {party_name(parties, "Dbtr"), party_name(parties, "Cdtr")};
		char *accts[2] = {party_account(parties, "Dbtr"), party_account(parties, "Cdtr")};
		for (int i = 0; i < 2; i++) {
			const char *who = i ? "Cdtr" : "Dbtr";
			char key[16];
			if (names[i])
				txn_add_raw(t, who, names[i]);
			snprintf(key, sizeof(key), "%sAcct", who);
			if (accts[i])
				txn_add_raw(t, key, accts[i]);
			free(names[i]);
			free(accts[i]);
		}
	}
	return 0;
}

static const char *raw_value(const struct txn *t, const char *key)
{
	for (size_t i = 0; i < t->nraw; i++)
		if (!strcmp(t->raw[i].key, key))
			return t->raw[i].value;
	return NULL;
}

/* Entry-level fields shared by its transactions. */
struct entry {
	unsigned long line;
	int64_t amount;
	char currency[STMT_CCY_LEN + 1];
	int direction;
	bool reversal;
	enum txn_status status;
	char booking_date[STMT_DATE_LEN + 1], value_date[STMT_DATE_LEN + 1];
	char *bank_ref, *entry_ref, *type_code, *info;
};

static int read_status(struct camt *c, const xmlNode *ntry, enum txn_status *status)
{
	char *s = text_at(ntry, "Sts/Cd");
	if (!s)
		s = text_at(ntry, "Sts");
	*status = TXN_BOOKED;
	int rc = 0;
	if (!s || !strcmp(s, "BOOK"))
		*status = TXN_BOOKED;
	else if (!strcmp(s, "PDNG"))
		*status = TXN_PENDING;
	else if (!strcmp(s, "INFO"))
		*status = TXN_INFO;
	else
		rc = bad(c, ntry, "entry status is not BOOK, PDNG or INFO: ", s);
	free(s);
	return rc;
}

static int read_entry_head(struct camt *c, const xmlNode *ntry, struct entry *e)
{
	struct gerr why;
	e->line = (unsigned long)xmlGetLineNo(ntry);
	if (read_amount(child(ntry, "Amt"), &e->amount, e->currency, &why) < 0)
		return bad(c, ntry, "entry: ", why.msg);
	e->direction = direction(ntry);
	if (e->direction == 0)
		return bad(c, ntry, "entry without CdtDbtInd CRDT or DBIT", NULL);
	char *rev = text_at(ntry, "RvslInd");
	e->reversal = rev && (!strcmp(rev, "true") || !strcmp(rev, "1"));
	free(rev);
	if (read_status(c, ntry, &e->status) < 0)
		return -1;
	read_dt(c, child(ntry, "BookgDt"), e->booking_date);
	read_dt(c, child(ntry, "ValDt"), e->value_date);
	e->bank_ref = text_at(ntry, "AcctSvcrRef");
	e->entry_ref = text_at(ntry, "NtryRef");
	e->type_code = bank_code(ntry);
	e->info = text_at(ntry, "AddtlNtryInf");
	return 0;
}

static void free_entry(struct entry *e)
{
	free(e->bank_ref);
	free(e->entry_ref);
	free(e->type_code);
	free(e->info);
}

/* Complete a transaction from its detail and entry, and hand it over. */
static int emit(struct camt *c, const struct entry *e, struct detail *d, unsigned index,
		int64_t amount, int dir)
{
	struct txn *t = &d->t;
	memcpy(t->account, c->st.account, sizeof(t->account));
	memcpy(t->currency, e->currency, sizeof(t->currency));
	memcpy(t->booking_date, e->booking_date, sizeof(t->booking_date));
	memcpy(t->value_date, e->value_date, sizeof(t->value_date));
	t->amount = dir < 0 ? -amount : amount;
	t->status = e->status;
	t->reversal = e->reversal;
	/* the other party: the debtor of a credit, the creditor of a debit */
	const char *who = dir > 0 ? "Dbtr" : "Cdtr";
	char key[16];
	snprintf(key, sizeof(key), "%sAcct", who);
	txn_set(&t->counterparty_name, raw_value(t, who));
	txn_set(&t->counterparty_account, raw_value(t, key));
	txn_set(&t->bank_ref, e->bank_ref ? e->bank_ref : e->entry_ref);
	if (e->bank_ref && e->entry_ref)
		txn_add_raw(t, "NtryRef", e->entry_ref);
	if (!t->type_code)
		txn_set(&t->type_code, e->type_code);
	if (!t->title && t->type_text) { /* AddtlTxInf stands for the title */
		t->title = t->type_text;
		t->type_text = NULL;
	}
	if (!t->title && e->info)
		txn_set(&t->title, e->info);
	else if (!t->type_text)
		txn_set(&t->type_text, e->info);
	t->origin = (struct txn_origin){e->line, (unsigned)c->f->statements_total, c->entries,
					index};
	return stmt_emit_txn(c->f, &c->st, t, c->sink, c->err);
}

/* Can the details of a batch stand as transactions of their own? */
static bool details_have_amounts(const struct detail *d, size_t n, const struct entry *e)
{
	for (size_t i = 0; i < n; i++)
		if (!d[i].has_amount || strcmp(d[i].currency, e->currency) != 0)
			return false;
	return true;
}

static int emit_details(struct camt *c, const struct entry *e, struct detail *d, size_t n)
{
	int64_t sum = 0;
	for (size_t i = 0; i < n; i++) {
		int dir = d[i].direction ? d[i].direction : e->direction;
		int64_t signed_amount = dir < 0 ? -d[i].amount : d[i].amount;
		if (__builtin_add_overflow(sum, signed_amount, &sum))
			sum = INT64_MAX;
		if (emit(c, e, &d[i], (unsigned)i, d[i].amount, dir) < 0)
			return -1;
	}
	if (sum != (e->direction < 0 ? -e->amount : e->amount)) {
		char a[MONEY_TEXT_MAX], b[MONEY_TEXT_MAX];
		money_format(sum, currency_exponent(e->currency), a);
		money_format(e->direction < 0 ? -e->amount : e->amount,
			     currency_exponent(e->currency), b);
		stmt_problem(&c->st, "line %lu: the %zu transactions of a batch entry sum to %s, "
				     "the entry says %s",
			     e->line, n, a, b);
	}
	return 0;
}

/* A batch without amounts per transaction: one transaction for the entry. */
static int emit_merged(struct camt *c, const struct entry *e, struct detail *d, size_t n)
{
	struct detail merged = {0};
	for (size_t i = 0; i < n; i++) {
		join_text(&merged.t.title, d[i].t.title, "; ");
		for (size_t k = 0; k < d[i].t.nraw; k++)
			txn_add_raw(&merged.t, d[i].t.raw[k].key, d[i].t.raw[k].value);
	}
	stmt_problem(&c->st, "line %lu: a batch of %zu transactions without amounts of their "
			     "own is read as one entry",
		     e->line, n);
	int rc = emit(c, e, &merged, 0, e->amount, e->direction);
	txn_clear(&merged.t);
	return rc;
}

static int read_entry(struct camt *c, const xmlNode *ntry)
{
	struct entry e = {0};
	struct detail *d = NULL;
	size_t n = 0, cap = 0;
	int rc = read_entry_head(c, ntry, &e);
	for (xmlNode *dt = ntry->children; rc == 0 && dt; dt = dt->next) {
		if (!named(dt, "NtryDtls"))
			continue;
		for (xmlNode *tx = dt->children; rc == 0 && tx; tx = tx->next) {
			if (!named(tx, "TxDtls"))
				continue;
			if (n == DETAILS_MAX) {
				rc = bad(c, ntry, "entry has more than 100000 transactions", NULL);
				break;
			}
			if (n == cap) {
				cap = cap ? cap * 2 : 4;
				d = xrealloc(d, cap * sizeof(*d));
			}
			memset(&d[n], 0, sizeof(d[n]));
			rc = read_detail(c, tx, &d[n++]);
		}
	}
	if (rc == 0 && n == 0) {
		struct detail only = {0};
		rc = emit(c, &e, &only, 0, e.amount, e.direction);
		txn_clear(&only.t);
	} else if (rc == 0 && n == 1) {
		rc = emit(c, &e, &d[0], 0, e.amount, e.direction);
	} else if (rc == 0) {
		rc = details_have_amounts(d, n, &e) ? emit_details(c, &e, d, n)
						    : emit_merged(c, &e, d, n);
	}
	for (size_t i = 0; i < n; i++)
		txn_clear(&d[i].t);
	free(d);
	free_entry(&e);
	c->entries++;
	return rc;
}

/* ---- the stream ------------------------------------------------------------------------ */

static void start_statement(struct camt *c)
{
	memset(&c->st, 0, sizeof(c->st));
	c->st.line = (unsigned long)xmlTextReaderGetParserLineNumber(c->reader);
	c->in_stmt = true;
	c->entries = 0;
	c->period_from[0] = c->period_to[0] = '\0';
}

static int statement_child(struct camt *c, const xmlNode *n)
{
	const char *name = (const char *)n->name;
	if (!strcmp(name, "Id"))
		fill(&c->st.id, n, "");
	else if (!strcmp(name, "ElctrncSeqNb") || !strcmp(name, "LglSeqNb"))
		fill(&c->st.number, n, "");
	else if (!strcmp(name, "FrToDt"))
		read_period(c, n);
	else if (!strcmp(name, "Acct"))
		read_account(c, n);
	else if (!strcmp(name, "Bal"))
		read_balance(c, n);
	else if (!strcmp(name, "TxsSummry")) {
		read_stated(c, child(n, "TtlCdtNtries"), false);
		read_stated(c, child(n, "TtlDbtNtries"), true);
	} else if (!strcmp(name, "Ntry"))
		return read_entry(c, n);
	return 0;
}

static void quiet(void *ctx, const char *msg, ...)
{
	(void)ctx, (void)msg;
}

static void xml_error(void *ctx, xmlErrorPtr e)
{
	struct camt *c = ctx;
	if (c->xml_error[0] || !e || e->level < XML_ERR_ERROR)
		return;
	snprintf(c->xml_error, sizeof(c->xml_error), "%s", e->message ? e->message : "error");
	c->xml_error[strcspn(c->xml_error, "\n")] = '\0';
	c->xml_error_line = e->line;
}

/* The bytes before the root element, looked at before libxml2 sees them: a DOCTYPE (the
 * carrier of external entities and entity bombs) stops the input, so that not one of its
 * declarations is parsed. ISO 20022 messages are UTF-8; UTF-16 is refused here too, as
 * its DOCTYPE would not show in bytes. */
enum prolog_state { PROLOG_TEXT, PROLOG_LT, PROLOG_BANG, PROLOG_BANG_DASH, PROLOG_COMMENT, PROLOG_PI };

static void scan_prolog(struct camt *c, const char *s, size_t n)
{
	for (size_t i = 0; i < n && !c->prolog_done && !c->refused[0]; i++) {
		char ch = s[i];
		if (ch == '\0')
			snprintf(c->refused, sizeof(c->refused), "is not UTF-8 (UTF-16?)");
		switch (c->prolog) {
		case PROLOG_TEXT:
			c->prolog = ch == '<' ? PROLOG_LT : PROLOG_TEXT;
			break;
		case PROLOG_LT:
			c->prolog = ch == '?' ? PROLOG_PI : ch == '!' ? PROLOG_BANG : PROLOG_TEXT;
			c->prolog_done = ch != '?' && ch != '!';
			break;
		case PROLOG_BANG:
		case PROLOG_BANG_DASH:
			if (ch != '-')
				snprintf(c->refused, sizeof(c->refused),
					 "has a DOCTYPE, which is not allowed in a bank message");
			c->prolog = c->prolog == PROLOG_BANG ? PROLOG_BANG_DASH : PROLOG_COMMENT;
			c->marks = 0;
			break;
		case PROLOG_COMMENT:
			c->prolog = ch == '>' && c->marks >= 2 ? PROLOG_TEXT : PROLOG_COMMENT;
			c->marks = ch == '-' ? c->marks + 1 : 0;
			break;
		case PROLOG_PI:
			c->prolog = ch == '>' && c->marks ? PROLOG_TEXT : PROLOG_PI;
			c->marks = ch == '?';
			break;
		}
	}
}

static int xml_read(void *ctx, char *buf, int len)
{
	struct camt *c = ctx;
	struct gerr err;
	ssize_t r = stmt_input_read(c->in, buf, (size_t)len, &err);
	if (r > 0 && !c->prolog_done)
		scan_prolog(c, buf, (size_t)r);
	return r < 0 || c->refused[0] ? -1 : (int)r;
}

static int check_message(struct camt *c, const xmlChar *name, const xmlChar *ns)
{
	for (size_t i = 0; i < ARRAY_LEN(messages); i++)
		if (!strcmp((const char *)name, messages[i].message)) {
			c->f->format = messages[i].format;
			c->f->kind = messages[i].kind;
			c->record = messages[i].record;
			if (ns && str_starts_with((const char *)ns, "urn:iso:std:iso:20022:tech:xsd:")) {
				const char *v = (const char *)ns + strlen("urn:iso:std:iso:20022:tech:xsd:");
				stmt_file_set(&c->f->version, v);
				const char *minor = strrchr(v, '.');
				if (minor && (atoi(minor + 1) < 2 || atoi(minor + 1) > 8))
					stmt_file_problem(c->f, "%s is a version goniec was not tested "
								"with (.001.02 to .001.08)",
							  v);
			}
			return 0;
		}
	return gerr_set(c->err, "%s: <%s> is not a camt.052, camt.053 or camt.054 message",
			c->f->name, (const char *)name);
}

/* Handle the node the reader is on. depth 0 Document, 1 the message, 2 a statement. */
static int step(struct camt *c)
{
	xmlTextReaderPtr r = c->reader;
	int type = xmlTextReaderNodeType(r), depth = xmlTextReaderDepth(r);
	const xmlChar *name = xmlTextReaderConstLocalName(r);
	if (type == XML_READER_TYPE_DOCUMENT_TYPE)
		return gerr_set(c->err, "%s: line %d: a DOCTYPE is not allowed in a bank message",
				c->f->name, xmlTextReaderGetParserLineNumber(r));
	if (type == XML_READER_TYPE_END_ELEMENT && depth == 2 && c->in_stmt &&
	    !strcmp((const char *)name, c->record))
		return end_statement(c);
	if (type != XML_READER_TYPE_ELEMENT)
		return 0;
	if (depth == 0 && strcmp((const char *)name, "Document") != 0)
		return gerr_set(c->err, "%s: the root element is <%s>, not <Document>", c->f->name,
				(const char *)name);
	if (depth == 1)
		return check_message(c, name, xmlTextReaderConstNamespaceUri(r));
	if (depth == 2 && !strcmp((const char *)name, c->record)) {
		start_statement(c);
		return xmlTextReaderIsEmptyElement(r) ? end_statement(c) : 0;
	}
	if (depth == 3 && c->in_stmt) {
		/* one child of the statement at a time, as a small tree, then past it */
		xmlNode *n = xmlTextReaderExpand(r);
		if (!n) {
			c->more = -1;
			return 0;
		}
		if (statement_child(c, n) < 0)
			return -1;
		c->more = xmlTextReaderNext(r);
		return 1;
	}
	return 0;
}

static int read_stream(struct camt *c)
{
	c->more = xmlTextReaderRead(c->reader);
	while (c->more == 1) {
		int rc = step(c);
		if (rc < 0)
			return -1;
		if (rc == 0 && c->more == 1)
			c->more = xmlTextReaderRead(c->reader);
	}
	if (c->refused[0])
		return gerr_set(c->err, "%s: %s", c->f->name, c->refused);
	if (c->xml_error[0] || c->more < 0)
		return gerr_set(c->err, "%s: line %d: %s", c->f->name, c->xml_error_line,
				c->xml_error[0] ? c->xml_error : "XML cannot be read");
	if (!c->record)
		return gerr_set(c->err, "%s: no camt message in the document", c->f->name);
	return 0;
}

int camt_read(struct stmt_input *in, struct stmt_file *f, const struct stmt_sink *sink,
	      struct gerr *err)
{
	struct camt c = {.f = f, .sink = sink, .err = err, .in = in};
	xmlSetGenericErrorFunc(NULL, quiet);
	c.reader = xmlReaderForIO(xml_read, NULL, &c, NULL, NULL,
				  XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_BIG_LINES |
					  XML_PARSE_COMPACT);
	if (!c.reader)
		return gerr_set(err, "%s: cannot start the XML reader", f->name);
	xmlTextReaderSetStructuredErrorHandler(c.reader, xml_error, &c);
	int rc = read_stream(&c);
	const xmlChar *enc = xmlTextReaderConstEncoding(c.reader);
	stmt_file_set(&f->encoding, enc ? (const char *)enc : "UTF-8");
	if (c.in_stmt)
		stmt_clear(&c.st);
	xmlFreeTextReader(c.reader);
	return rc;
}
