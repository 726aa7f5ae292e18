/* camt_write — one statement of the transaction model (formats/statement.h) rendered as an
 * ISO 20022 CAMT.053 file (BankToCustomerStatement, camt.053.001.02, the version Polish
 * banks and accounting programs exchange), UTF-8, written with libxml2's text writer:
 *
 *   GrpHdr (MsgId, CreDtTm), Stmt (Id, ElctrncSeqNb, CreDtTm, FrToDt, Acct/Id/IBAN,
 *   Acct/Ccy, Bal OPBD and CLBD (+ CLAV when known) with CdtDbtInd, TxsSummry), one Ntry
 *   per booked transaction (Amt, CdtDbtInd, RvslInd, Sts BOOK, BookgDt, ValDt,
 *   AcctSvcrRef, BkTxCd/Prtry, NtryDtls/TxDtls with Refs (EndToEndId, TxId), RltdPties
 *   (Dbtr or Cdtr with the counterparty's name and account), RmtInf/Ustrd in pieces of
 *   140 characters, AddtlNtryInf).
 *
 * Pending transactions are left out. `msg_id` names the message (GrpHdr/MsgId).
 * Ownership: appends to the caller's buffer. Errors: none (libxml2 allocation failures
 * abort like the x* allocators).
 */
#ifndef GONIEC_CAMT_WRITE_H
#define GONIEC_CAMT_WRITE_H

#include "core/util.h"
#include "formats/statement.h"

void camt053_write(const struct stmt *st, const char *msg_id, struct buf *out);

#endif
