#!/usr/bin/env python3
"""Generate inputs for bench/payments.sh: an invoice register (goniec.register/1 JSON
entries) of N + 100 open sales invoices and a goniec.transactions/1 statement of N
incoming transfers for one company (DIR/register.json, DIR/statement.json); with
--extra K, DIR/extra.json: K more transfers paying invoices N .. N+K-1 (K <= 100).

Of the N transfers, 70 % name their invoice in the title, 20 % name no invoice but come
from its buyer with the invoice's amount, 10 % fit nothing. Deterministic (seeded).
usage: mkpayments.py DIR N [--extra K]"""
import json
import random
import sys

ACCOUNT = "PL61109010140000071219812874"


def gross(i):
    return 1000 + (i * 7919) % 900000  # minor units, 10.00 .. 9010.00


def amount(minor):
    return "%d.%02d" % (minor // 100, minor % 100)


SYLLABLES = ["ka", "lo", "mar", "bud", "pol", "tex", "win", "rol", "sta", "gor", "tra", "nek"]


def buyer(i):
    """A buyer's name as a register has it: common words and one of its own (the longest)."""
    own = ""
    while True:
        own += SYLLABLES[i % len(SYLLABLES)]
        i //= len(SYLLABLES)
        if not i:
            break
    own = (own + "bex" * 4)[:max(len(own), 11)]
    return "PHU %s Handel Sp. z o.o." % own.capitalize()


def transfer(i, rnd, day):
    kind = rnd.random()
    t = {"booking_date": day, "value_date": day, "currency": "PLN", "status": "booked",
         "refs": {"bank": "B%09d" % i}}
    if kind < 0.7:
        t.update(amount=amount(gross(i)), title="Zapłata za fakturę FV %d/2026" % i,
                 counterparty={"name": buyer(i).upper()})
    elif kind < 0.9:
        t.update(amount=amount(gross(i)), title="przelew", counterparty={"name": buyer(i)})
    else:
        t.update(amount=amount(gross(i) + 1), title="zwrot %d" % i, counterparty={"name": "Ktoś Inny"})
    return t


def statement(txns):
    return {"schema": "goniec.transactions/1", "format": "goniec.transactions/1",
            "statements": [{"account": ACCOUNT, "currency": "PLN", "transactions": txns}]}


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    rnd = random.Random(17)
    if "--extra" in sys.argv:
        k = int(sys.argv[sys.argv.index("--extra") + 1])
        txns = [transfer(n + i, rnd, "2026-04-01") for i in range(k)]
        json.dump(statement(txns), open(out + "/extra.json", "w"), ensure_ascii=False)
        return
    inv = [{"number": "FV %d/2026" % i, "direction": "sales", "issue_date": "2026-03-01",
            "due_date": "2026-03-31", "gross": amount(gross(i)), "currency": "PLN",
            "counterparty": {"name": buyer(i)}} for i in range(n + 100)]
    json.dump({"invoices": inv}, open(out + "/register.json", "w"), ensure_ascii=False)
    txns = [transfer(i, rnd, "2026-03-%02d" % (1 + i % 28)) for i in range(n)]
    json.dump(statement(txns), open(out + "/statement.json", "w"), ensure_ascii=False)
    print(n, len(txns))


main()
