#!/usr/bin/env python3
"""make demo: the demo company pays its invoices. Reads the purchase invoices goniec filed
for COMPANY (their sidecars in SPOOL: KSeF, the mailbox, the e-BOK portal) and books, at
the demo bank (the fixture Enable Banking API's control endpoint POST
/_fixture/transactions), the transfers a bookkeeper would make from ACCOUNT — each kind of
title the matcher reads, and one transfer that pays no invoice it knows:

  the first KSeF invoice       its number in the title
  the second and third         both numbers in one title (one transfer, two invoices)
  the fourth                   a split payment (/VAT/.../IDC/<seller NIP>/INV/<number>/)
  the fifth                    no number: the seller's NIP in the title, the exact amount
  the last                     not paid (it stays open)
  portal invoices              both points' invoices of a month in one transfer; the newest
                               month not paid
  mail invoices                by number, or (Orange) by the seller's account and amount
  travel costs paid back       no invoice: left for a person

usage: demo_pay.py SPOOL COMPANY ACCOUNT BANK_URL CA_FILE
Prints one line per transfer."""
import datetime
import glob
import json
import os
import ssl
import sys
import urllib.request


def invoices(spool, company):
    """The company's purchase invoices (not sales: a portal's invoice has no direction in its
    sidecar, the ledger takes it for a purchase) with a number and a gross amount, by source, each
    once (a copy naming its original is left out), in number order."""
    out = {}
    for path in sorted(glob.glob(os.path.join(spool, "*", "*", "*", "*", "*.meta.json"))):
        d = json.load(open(path))
        inv = d.get("invoice") or {}
        if (d.get("company") != company or d.get("duplicate_of") or inv.get("direction") == "sales"
                or not inv.get("number") or not inv.get("gross")):
            continue
        out.setdefault(d["source"]["name"], []).append(inv)
    for invs in out.values():
        invs.sort(key=lambda i: (len(i["number"]), i["number"]))
    return out


def cents(text):
    whole, _, frac = text.partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


def amount(c):
    return "-%d.%02d" % (c // 100, c % 100)


def transfers(by_source):
    """(title, counterparty name, counterparty account or None, minor units) to book."""
    out = []
    ksef = by_source.get("acme-ksef", [])
    if len(ksef) >= 6:
        a, b, c, d, e = ksef[:5]
        seller = lambda i: i.get("seller", {}).get("name", "")  # noqa: E731
        out.append(("Zapłata za fakturę " + a["number"], seller(a), None, cents(a["gross"])))
        out.append(("Faktury %s, %s" % (b["number"], c["number"]), seller(b), None,
                    cents(b["gross"]) + cents(c["gross"])))
        vat = d.get("vat", "0.00").replace(".", ",")
        out.append(("/VAT/%s/IDC/%s/INV/%s/TXT/towar" % (vat, d["seller"]["nip"], d["number"]),
                    seller(d), None, cents(d["gross"])))
        out.append(("przelew za towar, NIP %s" % e["seller"]["nip"], seller(e), None, cents(e["gross"])))
    months = {}  # numbers FV/YYYY/MM/<point>/<n>: one transfer a month for both points
    for i in by_source.get("acme-ebok", []):
        months.setdefault(i["number"][:10], []).append(i)
    for month in sorted(months)[:-1]:  # the newest month stays open
        invs = sorted(months[month], key=lambda i: i["number"])
        out.append(("Energia elektryczna, faktury " + ", ".join(i["number"] for i in invs),
                    "Dostawca Energii S.A.", None, sum(cents(i["gross"]) for i in invs)))
    for i in by_source.get("acme-mail", []):
        if i["number"].startswith("FV/"):
            out.append(("Faktura " + i["number"], "PGE Obrót S.A.", None, cents(i["gross"])))
        elif i["number"].startswith("F/"):
            accounts = i.get("seller", {}).get("accounts") or [{}]
            out.append(("abonament listopad", "ORANGE POLSKA", accounts[0].get("number"), cents(i["gross"])))
    out.append(("zwrot kosztów podróży", "Jan Nowak", None, 25000))
    return out


def main():
    spool, company, account, url, ca = sys.argv[1:6]
    day = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
    txs = []
    for n, (title, name, iban, c) in enumerate(transfers(invoices(spool, company))):
        t = {"id": "demo-pay-%02d" % n, "booking_date": day, "value_date": day, "amount": amount(c),
             "currency": "PLN", "name": name, "title": title, "status": "BOOK"}
        if iban:
            t["iban"] = iban
        txs.append(t)
        print("%s  %10s  %-24.24s %s" % (day, amount(c), name, title))
    req = urllib.request.Request(url + "/_fixture/transactions", method="POST",
                                 data=json.dumps({"iban": account, "transactions": txs}).encode(),
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, context=ssl.create_default_context(cafile=ca)).read()


if __name__ == "__main__":
    main()
