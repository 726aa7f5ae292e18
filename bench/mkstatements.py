#!/usr/bin/python3
"""Generate large statement files for make bench (bench/statements.sh).

  mkstatements.py mt940 FILE MEGABYTES   PKO BP-style MT940 (~NN subfields, 0xFF fillers,
                                         ISO-8859-2 Polish letters), 16 lines a
                                         transaction, statements of 1,000 transactions
                                         whose balances reconcile
  mkstatements.py camt FILE MEGABYTES    camt.053.001.04, statements of 10,000 entries,
                                         each entry with one TxDtls (parties, IBANs,
                                         remittance text), balances that reconcile

Prints "statements transactions lines" of what it wrote. The content is synthetic; the
numbers vary with a fixed seed so that two runs write the same file.
"""
import random
import sys

MT940_TXN = (
    ":61:{d}{md}{cd}{amt}N152NONREF//{ref}\n"
    "152 0\n"
    ":86:020~00152\n"
    "~20PRZELEW \xa6RODK\xd3W FV {inv}/2024\n"
    "~21ZAP\xa3ATA ZA US\xa3UGI KSI\xca\n"
    "~22G\xd3WE {n}\n"
    "~23\xff\n~24\xff\n~25\xff\n"
    "~3010205561\n"
    "~319000361245650140\n"
    "~32FIRMA HANDLOWA {n} SP. Z O.O.\n"
    "~33UL. D\xa3UGA 1 00-001 WARSZAWA\n"
    "~38PL61109010140000071219812874\n"
    "~60\xff\n~63\xff\n"
)
MT940_LINES_PER_TXN = 16


def amount_text(minor):
    return "%d,%02d" % (minor // 100, minor % 100)


def balance_text(minor):
    """C or D, then the amount (MT940 balances carry no minus sign)."""
    return ("C" if minor >= 0 else "D") + "240301PLN" + amount_text(abs(minor))


def mt940(path, megabytes):
    rnd = random.Random(940)
    limit = megabytes * 1024 * 1024
    written = statements = txns = lines = 0
    balance = 10_000_000_00
    with open(path, "wb") as out:
        while written < limit:
            statements += 1
            head = (":20:MT940\n:25:/PL61109010140000071219812874\n:28C:%d\n"
                    ":60F:%s\n" % (statements, balance_text(balance)))
            parts = [head]
            for i in range(1000):
                minor = rnd.randint(1, 5_000_00)
                credit = rnd.random() < 0.5
                balance += minor if credit else -minor
                parts.append(MT940_TXN.format(
                    d="240301", md="0301", cd="C" if credit else "D", amt=amount_text(minor),
                    ref="%016d" % (statements * 10000 + i), inv=rnd.randint(1, 9999), n=i))
            parts.append(":62F:%s\n:64:%s\n-\n" % (balance_text(balance), balance_text(balance)))
            block = "".join(parts).encode("latin-1")
            out.write(block)
            written += len(block)
            txns += 1000
            lines += 4 + 1000 * MT940_LINES_PER_TXN + 3
    print(statements, txns, lines)


CAMT_ENTRY = """<Ntry><NtryRef>{i}</NtryRef><Amt Ccy="PLN">{amt}</Amt><CdtDbtInd>{cdi}</CdtDbtInd><RvslInd>false</RvslInd><Sts>BOOK</Sts>
<BookgDt><Dt>2024-03-01</Dt></BookgDt><ValDt><Dt>2024-03-01</Dt></ValDt><AcctSvcrRef>REF{i:012d}</AcctSvcrRef>
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><TxDtls><Refs><EndToEndId>E2E{i:010d}</EndToEndId><TxId>TX{i:010d}</TxId></Refs>
<AmtDtls><TxAmt><Amt Ccy="PLN">{amt}</Amt></TxAmt></AmtDtls>
<RltdPties><Dbtr><Nm>Firma Handlowa {i} Sp. z o.o.</Nm><PstlAdr><AdrLine>ul. Długa 1</AdrLine><AdrLine>00-001 Warszawa</AdrLine></PstlAdr></Dbtr>
<DbtrAcct><Id><IBAN>PL27114020040000300201355387</IBAN></Id></DbtrAcct>
<Cdtr><Nm>Zakład Usług Księgowych</Nm></Cdtr><CdtrAcct><Id><IBAN>PL61109010140000071219812874</IBAN></Id></CdtrAcct></RltdPties>
<RmtInf><Ustrd>Zapłata za fakturę FV {inv}/2024 usługi księgowe</Ustrd></RmtInf></TxDtls></NtryDtls>
<AddtlNtryInf>PRZELEW PRZYCHODZĄCY</AddtlNtryInf></Ntry>
"""


def camt_balance(code, minor, date):
    return ('<Bal><Tp><CdOrPrtry><Cd>%s</Cd></CdOrPrtry></Tp><Amt Ccy="PLN">%d.%02d</Amt>'
            '<CdtDbtInd>%s</CdtDbtInd><Dt><Dt>%s</Dt></Dt></Bal>\n' % (
                code, abs(minor) // 100, abs(minor) % 100, "CRDT" if minor >= 0 else "DBIT", date))


def camt(path, megabytes):
    rnd = random.Random(53)
    limit = megabytes * 1024 * 1024
    balance = 10_000_000_00
    statements = entries = 0
    with open(path, "wb") as out:
        head = ('<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:'
                '20022:tech:xsd:camt.053.001.04"><BkToCstmrStmt><GrpHdr><MsgId>BENCH</MsgId>'
                '<CreDtTm>2024-03-01T20:00:00</CreDtTm></GrpHdr>\n').encode()
        out.write(head)
        written = len(head)
        while written < limit:
            statements += 1
            opening = balance
            body = []
            for i in range(10000):
                minor = rnd.randint(1, 5_000_00)
                credit = rnd.random() < 0.5
                balance += minor if credit else -minor
                body.append(CAMT_ENTRY.format(i=entries + i, amt="%d.%02d" % (minor // 100, minor % 100),
                                              cdi="CRDT" if credit else "DBIT",
                                              inv=rnd.randint(1, 9999)))
            entries += 10000
            block = ("<Stmt><Id>S%d</Id><ElctrncSeqNb>%d</ElctrncSeqNb><CreDtTm>2024-03-01T20:00:00"
                     "</CreDtTm><Acct><Id><IBAN>PL61109010140000071219812874</IBAN></Id><Ccy>PLN"
                     "</Ccy></Acct>\n" % (statements, statements)
                     + camt_balance("OPBD", opening, "2024-02-29")
                     + camt_balance("CLBD", balance, "2024-03-01")
                     + "".join(body) + "</Stmt>\n").encode()
            out.write(block)
            written += len(block)
        out.write(b"</BkToCstmrStmt></Document>\n")
    print(statements, entries, 0)


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("mt940", "camt"):
        sys.exit(__doc__)
    {"mt940": mt940, "camt": camt}[sys.argv[1]](sys.argv[2], int(sys.argv[3]))
