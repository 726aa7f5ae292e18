/* camt — ISO 20022 bank-to-customer messages: CAMT.053 statements, CAMT.052 intraday
 * reports and CAMT.054 debit/credit notifications, versions .001.02 to .001.08 (later
 * versions are read too, with a note that they were not tested).
 *
 * The message is read with libxml2's streaming xmlTextReader: each child of a statement
 * (Id, Acct, Bal, TxsSummry, Ntry, ...) is expanded and read on its own, then freed, so
 * memory holds one entry at a time, not the file. No network access, no DTD: a document
 * with a DOCTYPE (the carrier of external entities and entity bombs) is refused from its
 * bytes, before libxml2 reads a single declaration (as formats/xmlsafe.h does for whole
 * documents); libxml2 prints nothing.
 *
 * What is read: Stmt (Rpt, Ntfctn) Id, ElctrncSeqNb/LglSeqNb, FrToDt, Acct (IBAN or
 * Othr/Id, Ccy), Bal of every type (OPBD/PRCD opening, CLBD closing, CLAV available,
 * FWAV forward; the sign from CdtDbtInd, the date from Dt/Dt or Dt/DtTm), TxsSummry
 * (stated totals), and each Ntry: Amt with CdtDbtInd, RvslInd, Sts (text, or Sts/Cd in
 * v08+), BookgDt and ValDt (Dt or DtTm), NtryRef, AcctSvcrRef, BkTxCd (Domn/Fmly/SubFmly
 * as "PMNT/RCDT/ESCT", or Prtry/Cd), AddtlNtryInf, and NtryDtls/TxDtls: Refs
 * (EndToEndId, TxId, AcctSvcrRef), the amount (Amt or AmtDtls/TxAmt/Amt), RltdPties in
 * the old (Dbtr/Nm) and the v08 (Dbtr/Pty/Nm) shape with DbtrAcct/CdtrAcct (IBAN or
 * Othr/Id), RmtInf/Ustrd (joined with a space) and Strd/CdtrRefInf/Ref, AddtlTxInf.
 * The counterparty is the debtor of a credit and the creditor of a debit.
 *
 * A batch entry (several TxDtls) gives one transaction per TxDtls when each has its own
 * amount (a problem is noted when they do not add up to the entry); otherwise the entry
 * is one transaction and a problem says so. An entry with one TxDtls is one transaction.
 *
 * Errors: XML that is not well-formed, a DOCTYPE, a message that is not camt.052/053/054,
 * an entry whose amount cannot be read: -1 with err naming the file and line. Balances
 * that cannot be read or do not reconcile are problems of the statement.
 * Ownership: results go to the sink and into f (see statement.h).
 */
#ifndef GONIEC_FORMATS_CAMT_H
#define GONIEC_FORMATS_CAMT_H

#include <stddef.h>

#include "formats/statement.h"
#include "formats/stmtinput.h"

/* The camt message type of XML that starts with head (its namespace, or its root
 * element's child), or STMT_FORMAT_UNKNOWN. */
enum stmt_format camt_sniff(const char *head, size_t len);
int camt_read(struct stmt_input *in, struct stmt_file *f, const struct stmt_sink *sink,
	      struct gerr *err);

#endif
