#!/bin/bash
# Payments end to end through the goniec binary (docs/payments.md): statements and an
# invoice register filed by their sources, `goniec payments` bringing the ledger up to
# date and listing what is left, the report (JSON, CSV, and the HTML page rendered in
# headless chromium), a person's decisions, the rebuild giving the same matches, one
# transaction however many statements carry it, kill -9 in a matcher run, the daemon's
# matcher after a filing and `goniec status`, a register export that is wrong.
# timeout: 900
source "$(dirname "$0")/lib.sh"

inbox=$T/inbox
mkdir -p "$inbox" "$T/conf.d"
cat >"$T/conf.d/00-agent.yaml" <<YAML
agent: {spool: $T/spool, state: $T/state, timezone: Europe/Warsaw, max_document_size: 2KB}
YAML
# (a limit for outside documents smaller than goniec's own reports: they are filed anyway)
cat >"$T/conf.d/acme.yaml" <<YAML
company: {id: acme, name: CeDeE s.c., nip: "3935777054"}
sources:
  - name: acme-bank-files
    type: folder
    path: $inbox
    settle: 0s
    accept: [transactions, mt940, xml]
    max_document_size: 10MB
  - name: acme-register
    type: register
    path: $T/rejestr.csv
    max_document_size: 10MB
    columns: {number: Numer, issue_date: Data, due_date: Termin, gross: Brutto, name: Kontrahent,
              nip: NIP, direction: Rodzaj, paid: Zapłacono}
YAML
g() { "$GONIEC" -c "$T/conf.d" "$@"; }
# jqv FILE EXPR... — each Python expression over the JSON document d, one line each
jqv() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); [print(str(eval(e)).replace("\n", " ")) for e in sys.argv[2:]]' "$@"; }
jq_() { jqv "$@"; }
check_eq "check says OK" "OK: 2 sources, 0 routes" "$(g check 2>&1)"

{ printf 'Rejestr VAT 03/2026\nNumer;Data;Termin;Brutto;Kontrahent;NIP;Rodzaj;Zapłacono\n'; printf '%s\n' \
	'FV 1/2026;2026-03-01;2026-03-15;1 230,00;Alfa Sp. z o.o.;5213000009;S;' \
	'FV 2/2026;2026-03-02;2026-03-16;500,00;Beta Sp. z o.o.;;S;' \
	'FV 3/2026;2026-03-02;2026-03-16;100,00;Gamma Serwis;;S;' \
	'FV 4/2026;2026-03-03;2026-03-17;100,00;Gamma Serwis;;S;' \
	'ZK/9/2026;2026-03-01;2026-03-10;99,99;Orange Polska S.A.;1234563218;Z;' \
	'FV 5/2026;2026-03-04;2026-03-18;80,00;Delta;;S;80,00'; } >"$T/rejestr.csv"

# statement FILE ACCOUNT "date|amount|title|name" ...
statement() {
	local file=$1 account=$2
	shift 2
	python3 - "$file" "$account" "$@" <<'PY'
import json, sys
txns = []
for spec in sys.argv[3:]:
    date, amount, title, name = (spec.split("|") + [""])[:4]
    t = {"booking_date": date, "value_date": date, "amount": amount, "currency": "PLN", "status": "booked", "title": title}
    if name:
        t["counterparty"] = {"name": name}
    txns.append(t)
doc = {"schema": "goniec.transactions/1", "format": "goniec.transactions/1",
       "statements": [{"account": sys.argv[2], "currency": "PLN", "transactions": txns,
                       "closing_balance": {"amount": "5000.00", "currency": "PLN", "date": "2026-03-31"}}]}
json.dump(doc, open(sys.argv[1], "w"), ensure_ascii=False)
PY
}
ACC=PL61109010140000071219812874
statement "$inbox/marzec-1.json" $ACC \
	"2026-03-05|1230.00|ZAPŁATA ZA FAKTURĘ NR FV 1/2026|ALFA SP Z O O" \
	"2026-03-06|500.00|za towar|BETA SPÓŁKA Z O.O." \
	"2026-03-06|100.00|przelew|GAMMA SERWIS" \
	"2026-03-07|-99.99|/VAT/18,70/IDC/1234563218/INV/ZK/9/2026/TXT/abonament|ORANGE POLSKA" \
	"2026-03-08|-1.50|OPŁATA ZA PRZELEW|" \
	"2026-03-09|-4001.49|ZAPLATA FAKTURY LLCDPK88GK-2025-06-24|ABC AGD SP. Z O.O."
# a purchase invoice (FA(3), its buyer is acme) filed from the same folder
cp "$SRC_DIR/../shared/samples/ksef/fa3/ksef-fop-podstawowa-przyklad-1.xml" "$inbox/"

out=$(g fetch 2>"$T/fetch.err")
check "fetch files the statement, the invoice and the register" test "$(count_docs "$T/spool")" -eq 3

# ---- goniec payments brings the ledger up to date before it answers ------------------------------
g payments acme --json >"$T/p1.json" 2>"$T/p1.err"
check "payments COMPANY exits 0" test $? -eq 0
mapfile -t v < <(jqv "$T/p1.json" \
	'" ".join(sorted(i["number"]+":"+m["rule"] for m in d["matched"] for i in m["invoices"]))' \
	'" ".join(e["state"]+" "+",".join(sorted(c["number"] for c in e["candidates"])) for e in d["unmatched"] if e["transaction"]["amount"]=="100.00")' \
	'[e["state"] for e in d["unmatched"] if e["transaction"]["amount"]=="-1.50"][0]' \
	'" ".join(sorted(i["number"] for i in d["open_invoices"]))' \
	'" ".join([d["balances"][0]["account"], d["balances"][0]["amount"]])' \
	'[e["transaction"]["ref"] for e in d["unmatched"] if e["transaction"]["amount"]=="100.00"][0]' \
	'[e["transaction"]["ref"] for e in d["unmatched"] if e["transaction"]["amount"]=="-1.50"][0]')
check_eq "matched: number (register; FA(3) filed from the folder), counterparty by name, split payment" \
	"FV 1/2026:number FV 2/2026:counterparty-amount ZK/9/2026:mpp llcdpk88gk-2025-06-24:number" "${v[0]}"
check_eq "two equal candidates: left for a person with both" "person FV 3/2026,FV 4/2026" "${v[1]}"
check_eq "a fee is left unmatched (no sales invoice takes it)" "unmatched" "${v[2]}"
check_eq "the register's paid invoice is not open" "FV 3/2026 FV 4/2026" "${v[3]}"
check_eq "balance of the account" "$ACC 5000.00" "${v[4]}"
gamma=${v[5]} fee=${v[6]}
reports=$(find "$T/spool" -path '*/payments/*' -name '*.meta.json' | wc -l)
check_eq "a run that changed something filed its report: JSON, CSV, HTML" 3 "$reports"
report=$(find "$T/spool" -path '*/payments/*' -name 'payments-acme-1.json')
check "the JSON report is filed although larger than agent.max_document_size (2KB)" \
	test -n "$report" -a "$(stat -c %s "${report:-/dev/null}")" -gt 2048 -a "$(jq_ "${report:-/dev/null}" 'd["schema"]')" = goniec.payments/1
csv=$(find "$T/spool" -path '*/payments/*' -name 'payments-acme-1.csv')
check_eq "CSV: the header for accounting programs" \
	"payment_date;amount;currency;account;counterparty;counterparty_account;title;invoice_number;ksef_number;direction;paid;rule;certainty;transaction_ref;invoice_ref" \
	"$(head -1 "$csv" | tr -d '\r')"
check_eq "CSV: one row per invoice paid" 4 "$(($(wc -l <"$csv") - 1))"
check "report sidecar: kind payments, counts" python3 -c "
import json,glob,sys
sc=json.load(open(glob.glob('$T/spool/*/*/*/payments/payments-acme-1.html.meta.json')[0]))
sys.exit(not (sc['kind']=='payments' and sc['payments']['matched']==4 and sc['payments']['left']==2))"
g payments update >"$T/u2.out" 2>&1
check "nothing new: no new report" test "$(find "$T/spool" -path '*/payments/*' -name '*.meta.json' | wc -l)" -eq 3

# ---- the HTML page as a browser shows it -------------------------------------------------------
html=$(find "$T/spool" -path '*/payments/*' -name 'payments-acme-1.html')
chrome=$(command -v chromium || true)
if [ -n "$chrome" ]; then
	timeout 90 "$chrome" --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run --user-data-dir="$T/chrome" \
		--window-size=1200,900 --screenshot="$T/shot.png" --dump-dom "file://$html" >"$T/dom.html" 2>>"$T/chrome.err"
	python3 - "$T/dom.html" >"$T/dom.check" <<'PY'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(s):
        super().__init__(); s.section = None; s.text = {}; s.rows = {}; s.tags = set()
    def handle_starttag(s, tag, attrs):
        s.tags.add(tag)
        a = dict(attrs)
        if tag == "section": s.section = a.get("id")
        if tag == "tr" and s.section: s.rows[s.section] = s.rows.get(s.section, 0) + 1
    def handle_data(s, d):
        if s.section: s.text[s.section] = s.text.get(s.section, "") + d
p = P(); p.feed(open(sys.argv[1], encoding="utf-8").read())
def ok(c, what): print(("ok: " if c else "FAILED: ") + what)
ok("script" not in p.tags, "html: no scripts")
ok(p.rows.get("matched") == 5, "html: matched in this run: a header and four rows")
ok("FV 1/2026" in p.text.get("matched", "") and "number" in p.text.get("matched", ""), "html: the match and its rule")
ok("named in the title" in p.text.get("matched", ""), "html: why it was matched")
ok("GAMMA SERWIS" in p.text.get("unmatched", "") and "FV 4/2026" in p.text.get("unmatched", ""), "html: left for a person, with candidates")
ok("goniec payments pair" in p.text.get("unmatched", ""), "html: how to decide")
ok("5000.00 PLN" in p.text.get("balances", ""), "html: balances per account")
ok("FV 3/2026" in p.text.get("overdue", "") or "FV 3/2026" in p.text.get("open", ""), "html: open invoices")
PY
	report_lines <"$T/dom.check"
	check "html: chromium renders a page (screenshot)" test "$(stat -c %s "$T/shot.png" 2>/dev/null || echo 0)" -gt 10000
else
	fail "html: chromium is not installed (make deps-check installs it)"
fi

# ---- a person's decisions ----------------------------------------------------------------------------
g payments pair "$gamma" "FV 4/2026" >"$T/pair.out" 2>&1
check "pair: exit 0" test $? -eq 0
g payments acme --json --all >"$T/p2.json"
check_eq "pair: the person's match" "FV 4/2026:person" \
	"$(jq_ "$T/p2.json" '" ".join(i["number"]+":"+m["rule"] for m in d["matched"] if m["transaction"]["ref"]=="'"$gamma"'" for i in m["invoices"])')"
g payments dismiss "$fee" >/dev/null 2>&1
check_eq "dismiss: nothing left for a person" 0 "$(g payments acme --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["unmatched"]))')"
g payments pair "$gamma" "FV 99/2026" >"$T/unknown.out" 2>&1
check_eq "unknown invoice: refused" 1 $?
check "unknown invoice: the reason names it" grep -q "no invoice 'FV 99/2026' in acme" "$T/unknown.out"
check "a second report after the decisions" test "$(find "$T/spool" -path '*/payments/*' -name '*.html' | wc -l)" -ge 2

# ---- one transaction however many statements carry it; rebuild gives the same -------------------
statement "$inbox/marzec-2.json" $ACC \
	"2026-03-06|500.00|za  towar|Beta Spółka z o.o." \
	"2026-03-06|100.00|przelew|GAMMA SERWIS" \
	"2026-03-09|100.00|FV 3/2026|GAMMA SERWIS" \
	"2026-03-09|100.00|FV 3/2026|GAMMA SERWIS"
g fetch acme-bank-files >/dev/null 2>&1
g payments acme --json --all >"$T/p3.json"
db=$T/state/ledger.db
sql() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" "$db" "$1"; }
check_eq "overlapping statements: each transaction once, two identical payments two" 8 "$(sql 'SELECT count(*) FROM transactions')"
check_eq "the second identical payment finds FV 3/2026 paid: a person looks" "person" \
	"$(jq_ "$T/p3.json" '[e["state"] for e in d["unmatched"] if "FV 3/2026" in e["transaction"]["title"]][0]')"
matches() { g payments acme --json --all | python3 -c 'import json,sys; d=json.load(sys.stdin); print("\n".join(sorted(m["transaction"]["ref"]+" "+i["ref"]+" "+i["paid"]+" "+m["rule"] for m in d["matched"] for i in m["invoices"])))'; }
matches >"$T/before"
g ledger rebuild >"$T/rebuild.out" 2>&1
check "ledger rebuild: exit 0" test $? -eq 0
matches >"$T/after"
check "ledger rebuild: the same matches, the person's included" cmp -s "$T/before" "$T/after"
check "ledger rebuild: the decisions are kept" grep -q " person$" "$T/after"

# ---- kill -9 in a matcher run: consistent, finished next time, no decision lost ---------------------
statement "$inbox/kwiecien.json" $ACC "2026-04-01|80.00|FV 5/2026|DELTA" "2026-04-02|1.00|x|y"
g fetch acme-bank-files >/dev/null 2>&1
decisions=$(sql 'SELECT count(*) FROM decisions')
GONIEC_CRASH_AT=ledger-match-write "$GONIEC" -c "$T/conf.d" payments update acme >/dev/null 2>&1
check_eq "crash: the matcher run died at the fault point" 99 $?
check_eq "crash: the ledger is consistent" ok "$(sql 'PRAGMA integrity_check')"
check_eq "crash: no half-written run (the new transactions are not decided yet)" 2 "$(sql 'SELECT count(*) FROM tx_pending')"
check_eq "crash: the decisions are all there" "$decisions" "$(sql 'SELECT count(*) FROM decisions')"
GONIEC_CRASH_AT=ledger-ingest-doc "$GONIEC" -c "$T/conf.d" payments update acme >/dev/null 2>&1
g payments update acme >/dev/null 2>&1
check "crash: the next run finishes" test "$(sql 'SELECT count(*) FROM tx_pending')" -eq 0
matches >"$T/crashed"
g ledger rebuild >/dev/null 2>&1
matches >"$T/rebuilt"
check "crash: the result equals a rebuild" cmp -s "$T/crashed" "$T/rebuilt"

# ---- the daemon at start: only a company that got new documents while it was down is matched -----
mkdir -p "$T/inbox-beta"
cat >"$T/conf.d/beta.yaml" <<YAML
company: {id: beta, name: Beta}
sources:
  - {name: beta-bank, type: folder, path: $T/inbox-beta, settle: 0s, accept: [transactions]}
YAML
g payments update >/dev/null 2>&1
acme_run=$(sql "SELECT last_run FROM companies WHERE id = 'acme'")
acme_reports=$(find "$T/spool" -path '*/payments/*' -name 'payments-acme-*' | wc -l)
statement "$T/inbox-beta/maj.json" PL27114020040000300201355387 "2026-05-02|10.00|FV 1/2026|KTOS"
g fetch beta-bank >/dev/null 2>&1

# ---- the daemon: a filing queues the company, the matcher runs, status shows it ------------------
"$GONIEC" -c "$T/conf.d" run >"$T/daemon.log" 2>&1 &
daemon=$!
at_exit "kill $daemon 2>/dev/null; wait $daemon 2>/dev/null"
wait_for 30 test -S "$T/state/control.sock"
check "daemon start: one run for the companies with new documents" wait_for 60 grep -q \
	'payments (companies with new documents): matched (1 documents read, 3 reports filed)' "$T/daemon.log"
check "daemon start: the company with new documents is matched" grep -q 'payments beta: 1 changed' "$T/daemon.log"
check "daemon start: its report is filed" test "$(find "$T/spool" -path '*/payments/*' -name 'payments-beta-1.*' -not -name '*.meta.json' | wc -l)" -eq 3
check "daemon start: the company with nothing new is not matched" bash -c "! grep -q 'payments acme: [0-9]* changed' '$T/daemon.log'"
check_eq "daemon start: its ledger is not written (last run)" "$acme_run" "$(sql "SELECT last_run FROM companies WHERE id = 'acme'")"
check_eq "daemon start: no report of it is filed again" "$acme_reports" \
	"$(find "$T/spool" -path '*/payments/*' -name 'payments-acme-*' | wc -l)"
statement "$inbox/maj.json" $ACC "2026-05-01|7.77|nieznany|KTOS"
g fetch acme-bank-files >/dev/null 2>&1
check "daemon: the matcher runs after the filing" wait_for 60 bash -c \
	"grep -q 'payments acme: matched (1 documents read' '$T/daemon.log'"
g status --json >"$T/status.json"
# left: the second FV 3/2026 payment (03-09), FV 5/2026 paid already by the register (04-01),
# "x" (04-02) and the new "nieznany" (05-01)
check_eq "status: what is left and the oldest of it" "4 2026-03-09" \
	"$(jq_ "$T/status.json" '" ".join([str(d["payments"]["companies"][0]["unmatched"]), d["payments"]["companies"][0]["oldest_unmatched"]["date"]])')"
check "status: the matcher's runs" test "$(jq_ "$T/status.json" 'd["payments"]["matcher"]["runs"]')" -ge 2
check "status (text): a payments line per company" bash -c "'$GONIEC' -c '$T/conf.d' status | grep -q '^  acme .* left for a person'"
kill "$daemon"
wait "$daemon" 2>/dev/null

# ---- a register export that is wrong: refused, naming the line ------------------------------------
printf 'Numer;Data;Termin;Brutto;Kontrahent;NIP;Rodzaj;Zapłacono\nFV 9/2026;2026-13-45;;10,00;X;;S;\n' >"$T/rejestr.csv"
g fetch acme-register >"$T/bad.out" 2>&1
check_eq "bad register: the run fails" 1 $?
check "bad register: the error names the file, line and column" grep -q "rejestr.csv: line 2: issue date '2026-13-45' is no date" "$T/bad.out"

# ---- a real statement (mBank MT940, ../shared/samples) with a register written for it -------------
# Each title that names an invoice as a whole token is matched to it by its number; a number
# glued to other text (F110F02305, FV110F02468, 210/F0997) is not, and those payments, like the
# ones with no number, wait for a person or match by counterparty and amount.
R=$T/real
mkdir -p "$R/conf.d" "$R/inbox"
cp "$SRC_DIR/../shared/samples/mt940/mbank-1-iph.txt" "$R/inbox/"
cat >"$R/conf.d/chem.yaml" <<YAML
agent: {spool: $R/spool, state: $R/state, timezone: Europe/Warsaw}
company: {id: chem, name: Zakłady Chemiczne}
sources:
  - {name: chem-bank, type: folder, path: $R/inbox, settle: 0s, accept: [mt940]}
  - name: chem-register
    type: register
    path: $R/rejestr.csv
    direction: sales
    columns: {number: Nr, issue_date: Data, gross: Brutto, name: Nabywca, corrects: Koryguje}
YAML
{ echo 'Nr;Data;Brutto;Nabywca;Koryguje'; printf '%s\n' \
	'210F1163;2010-05-04;6979,18;Gwarant-Cynkowanie Sp. z o.o.;' \
	'110F02574;2010-05-20;2516,25;Zakład Usług Komunalnych w Lubochni;' \
	'210F1160;2010-05-04;4091,88;Whirlpool Polska S.A.;' \
	'110F02305;2010-05-05;21912,44;ZWiK Łódź Sp. z o.o.;' \
	'210F1093;2010-05-02;7261,44;RCGW S.A.;' \
	'110F02575;2010-05-20;1357,86;King Oscar Sp. z o.o.;' \
	'110F02503;2010-05-18;12094,52;MZK Stalowa Wola;' \
	'210F1102;2010-04-28;23072,64;GPW Katowice;' \
	'210F1266;2010-05-10;1939,80;PW Chemikat;' \
	'110F02488;2010-05-12;10057,83;PGKiM Krotoszyn;' \
	'110F02468;2010-05-12;1805,60;KPWiK Krosno;' \
	'110F02781;2010-05-25;9473,69;PWiK Konin;' \
	'210F0513;2010-02-10;21239,71;Kemira Świecie Sp. z o.o.;' \
	'210F1137;2010-05-04;19843,93;Kemira Świecie Sp. z o.o.;' \
	'110F02290;2010-05-06;1464,00;Mondi Świecie S.A.;' \
	'110F02470;2010-05-13;6344,00;Sokołów Service;' \
	'210F1379;2010-05-14;1056,76;Bachem;' \
	'210F0997;2010-04-20;22655,40;Synthos Dwory Sp. z o.o.;' \
	'110F02453;2010-05-11;9806,02;Wodkan;' \
	'210F1033;2010-04-22;8000,00;Solchem;' \
	'210F0995;2010-04-20;5000,00;Solchem;' \
	'210FK24;2010-05-02;-646,45;Solchem;210F0995'; } >"$R/rejestr.csv"
gr() { "$GONIEC" -c "$R/conf.d" "$@"; }
gr fetch >"$R/fetch.out" 2>&1
check "real statement: the MT940 and the register filed" test "$(count_docs "$R/spool")" -eq 2
gr payments chem --json >"$R/p.json" 2>"$R/p.err"
mapfile -t v < <(jqv "$R/p.json" \
	'" ".join(sorted(i["number"] for m in d["matched"] if m["rule"]=="number" for i in m["invoices"]))' \
	'" ".join(" ".join([e["state"]] + sorted(c["number"] for c in e["candidates"])) for e in d["unmatched"] if e["transaction"]["amount"]=="12353.55")' \
	'" ".join(i["open"] for i in d["open_invoices"] if i["number"]=="210F0995")' \
	'" ".join(sorted(e["transaction"]["title"]+":"+e["state"]+":"+",".join(c["number"] for c in e["candidates"]) for e in d["unmatched"] if e["transaction"].get("title") in ("F110F02305", "FV110F02468")))' \
	'" ".join(m["rule"] for m in d["matched"] if m["transaction"].get("title")=="210/F0997")')
check_eq "real statement: the titles that name invoices matched by number" \
	"110F02290 110F02453 110F02470 110F02488 110F02503 110F02574 110F02575 110F02781 210F0513 210F1093 210F1102 210F1137 210F1160 210F1163 210F1266 210F1379" \
	"${v[0]}"
check_eq "real statement: two invoices less a correction in one title go to a person, with all three" \
	"person 210F0995 210F1033 210FK24" "${v[1]}"
check_eq "real statement: the correction changed what is open" "4353.55" "${v[2]}"
check_eq "real statement: a number glued to letters is no number; the same amount is offered" \
	"F110F02305:unmatched:110F02305 FV110F02468:unmatched:110F02468" "${v[3]}"
check_eq "real statement: 210/F0997 is no number; its payer's one open invoice of that amount" \
	"counterparty-amount" "${v[4]}"
