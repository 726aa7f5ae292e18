/* camt_write — see camt_write.h. */
#include "formats/camt_write.h"

#include <libxml/xmlwriter.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/idnum.h"
#include "core/log.h"
#include "core/money.h"

#define NS "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
#define USTRD_MAX 140

static void el(xmlTextWriterPtr w, const char *name, const char *text)
{
	if (text && *text)
		xmlTextWriterWriteElement(w, BAD_CAST name, BAD_CAST text);
}

static void open_el(xmlTextWriterPtr w, const char *name)
{
	xmlTextWriterStartElement(w, BAD_CAST name);
}

static void close_el(xmlTextWriterPtr w)
{
	xmlTextWriterEndElement(w);
}

static void amount(xmlTextWriterPtr w, int64_t minor, const char *currency)
{
	char text[MONEY_TEXT_MAX];

	money_format(minor < 0 ? -minor : minor, currency_exponent(currency), text);
	open_el(w, "Amt");
	xmlTextWriterWriteAttribute(w, BAD_CAST "Ccy", BAD_CAST currency);
	xmlTextWriterWriteString(w, BAD_CAST text);
	close_el(w);
}

static void dated(xmlTextWriterPtr w, const char *name, const char *date)
{
	if (!date[0])
		return;
	open_el(w, name);
	el(w, "Dt", date);
	close_el(w);
}

static void balance(xmlTextWriterPtr w, const char *code, const struct stmt_balance *b, const char *ccy)
{
	if (!b->present)
		return;
	open_el(w, "Bal");
	open_el(w, "Tp");
	open_el(w, "CdOrPrtry");
	el(w, "Cd", code);
	close_el(w);
	close_el(w);
	amount(w, b->amount, b->currency[0] ? b->currency : ccy);
	el(w, "CdtDbtInd", b->amount < 0 ? "DBIT" : "CRDT");
	dated(w, "Dt", b->date);
	close_el(w);
}

/* An account: <name><Id><IBAN> when it is one, else <Id><Othr><Id>; then <Ccy> when
 * given. */
static void account(xmlTextWriterPtr w, const char *name, const char *acct, const char *ccy)
{
	char compact[IBAN_MAX_LEN + 1];

	open_el(w, name);
	open_el(w, "Id");
	if (account_normalise(acct, compact) && iban_valid(compact)) {
		el(w, "IBAN", compact);
	} else {
		open_el(w, "Othr");
		el(w, "Id", acct);
		close_el(w);
	}
	close_el(w);
	el(w, "Ccy", ccy);
	close_el(w);
}

static void remittance(xmlTextWriterPtr w, const char *title)
{
	size_t len = title ? strlen(title) : 0;

	if (!len)
		return;
	open_el(w, "RmtInf");
	for (size_t at = 0; at < len;) {
		size_t n = len - at < USTRD_MAX ? len - at : USTRD_MAX;
		while (at + n < len && n > 0 && ((unsigned char)title[at + n] & 0xC0) == 0x80)
			n--;  /* never cut a UTF-8 character */
		char *piece = xstrndup(title + at, n);
		el(w, "Ustrd", piece);
		free(piece);
		at += n;
	}
	close_el(w);
}

static void details(xmlTextWriterPtr w, const struct txn *t)
{
	bool credit = t->amount >= 0;

	open_el(w, "NtryDtls");
	open_el(w, "TxDtls");
	if (t->customer_ref || t->transaction_id) {
		open_el(w, "Refs");
		el(w, "EndToEndId", t->customer_ref);
		el(w, "TxId", t->transaction_id);
		close_el(w);
	}
	if (t->counterparty_name || t->counterparty_account) {
		open_el(w, "RltdPties");
		if (t->counterparty_name) {
			open_el(w, credit ? "Dbtr" : "Cdtr");
			el(w, "Nm", t->counterparty_name);
			close_el(w);
		}
		if (t->counterparty_account && *t->counterparty_account)
			account(w, credit ? "DbtrAcct" : "CdtrAcct", t->counterparty_account, NULL);
		close_el(w);
	}
	remittance(w, t->title);
	close_el(w);
	close_el(w);
}

static void entry(xmlTextWriterPtr w, const struct txn *t)
{
	open_el(w, "Ntry");
	amount(w, t->amount, t->currency);
	el(w, "CdtDbtInd", t->amount < 0 ? "DBIT" : "CRDT");
	if (t->reversal)
		el(w, "RvslInd", "true");
	el(w, "Sts", "BOOK");
	dated(w, "BookgDt", t->booking_date);
	dated(w, "ValDt", t->value_date);
	el(w, "AcctSvcrRef", t->bank_ref);
	if (t->type_code) {
		open_el(w, "BkTxCd");
		open_el(w, "Prtry");
		el(w, "Cd", t->type_code);
		el(w, "Issr", "BANK");
		close_el(w);
		close_el(w);
	}
	details(w, t);
	el(w, "AddtlNtryInf", t->type_text);
	close_el(w);
}

static void summary(xmlTextWriterPtr w, const struct stmt *st)
{
	char n[24];

	open_el(w, "TxsSummry");
	open_el(w, "TtlCdtNtries");
	snprintf(n, sizeof(n), "%lu", st->credits_count);
	el(w, "NbOfNtries", n);
	money_format(st->credits_sum, currency_exponent(st->currency), n);
	el(w, "Sum", n);
	close_el(w);
	open_el(w, "TtlDbtNtries");
	snprintf(n, sizeof(n), "%lu", st->debits_count);
	el(w, "NbOfNtries", n);
	money_format(-st->debits_sum, currency_exponent(st->currency), n);
	el(w, "Sum", n);
	close_el(w);
	close_el(w);
}

static void statement(xmlTextWriterPtr w, const struct stmt *st, const char *now)
{
	open_el(w, "Stmt");
	el(w, "Id", st->id ? st->id : "1");
	el(w, "ElctrncSeqNb", st->number ? st->number : "1");
	el(w, "CreDtTm", now);
	if (st->period_from[0] && st->period_to[0]) {
		char from[32], to[32];
		snprintf(from, sizeof(from), "%sT00:00:00", st->period_from);
		snprintf(to, sizeof(to), "%sT23:59:59", st->period_to);
		open_el(w, "FrToDt");
		el(w, "FrDtTm", from);
		el(w, "ToDtTm", to);
		close_el(w);
	}
	account(w, "Acct", st->account, st->currency);
	balance(w, "OPBD", &st->opening, st->currency);
	balance(w, "CLBD", &st->closing, st->currency);
	balance(w, "CLAV", &st->closing_available, st->currency);
	summary(w, st);
	for (size_t i = 0; i < st->ntxns; i++)
		if (st->txns[i].status == TXN_BOOKED)
			entry(w, &st->txns[i]);
	close_el(w);
}

void camt053_write(const struct stmt *st, const char *msg_id, struct buf *out)
{
	xmlBufferPtr xb = xmlBufferCreate();
	xmlTextWriterPtr w = xb ? xmlNewTextWriterMemory(xb, 0) : NULL;
	char now[32];
	time_t t = time(NULL);
	struct tm tm;

	if (!w) {
		log_error("camt: out of memory");
		abort();
	}
	localtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%S", &tm);
	xmlTextWriterSetIndent(w, 1);
	xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL);
	open_el(w, "Document");
	xmlTextWriterWriteAttribute(w, BAD_CAST "xmlns", BAD_CAST NS);
	open_el(w, "BkToCstmrStmt");
	open_el(w, "GrpHdr");
	el(w, "MsgId", msg_id);
	el(w, "CreDtTm", now);
	close_el(w);
	statement(w, st, now);
	xmlTextWriterEndDocument(w);
	xmlFreeTextWriter(w);
	buf_append(out, xmlBufferContent(xb), (size_t)xmlBufferLength(xb));
	xmlBufferFree(xb);
}
