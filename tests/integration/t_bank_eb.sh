#!/bin/bash
# The bank source against the Enable Banking fixture (tests/fixtures/enablebanking_server.py,
# HTTPS with a test CA, JWT RS256 checked with the application's certificate): linking,
# the first run 7 days back across 3 pages, incremental runs with overlap and no
# duplicates, pending then booked, the 4-a-day limit, 429, a too long period, the bank
# down, the application not active, an account added to the consent later, the consent
# expiring (alert), expired and revoked (needs a person), the exports, the secrets grep.
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/bank_lib.sh"

make_test_ca
bank_keys
start_eb --daily-limit 0 --page-size 4
bank_conf "    daily_reads: 100" "    export: [mt940, camt053]" "    mt940_encoding: windows-1250"
TODAY=$(TZ=Europe/Warsaw date +%F)
WEEK_AGO=$(TZ=Europe/Warsaw date -d '7 days ago' +%F)
stats() { fixture "$EB_URL" /_fixture/stats; }
py() { python3 -c "$@"; }
newest_doc() { ls -t $(docs_of eb | grep "/$1-") | head -1; }
booked_in() { grep -c '"status": "booked"' "$1"; }
docs_for() { docs_of eb | grep -c "/$1-"; }

check "conf.d with a bank source is valid" G check
check "a bank source runs at 11:45, 15:15 and 18:30 by default" python3 -c 'import json,sys
s=[x for x in json.load(sys.stdin)["sources"] if x["name"]=="eb"][0]
sys.exit(0 if s["schedule"].startswith("11:45 15:15 18:30") else 1)' < <(G status --json)
mkdir -p "$T/broken"
printf 'agent: {spool: %s, state: %s}\nsources:\n  - {name: b, type: bank, provider: gocardless,\n     types: [incoming, refunds], export: [mt941], accounts: [PL00123]}\n' \
	"$T/spool" "$T/state" >"$T/broken/a.yaml"
"$GONIEC" -c "$T/broken" check >"$T/broken.out" 2>&1
check_eq "a broken bank source: goniec check exits 2" 2 $?
check "naming each problem at its place" bash -c "grep -q 'a.yaml:3:5: error: provider gocardless needs secret_id and secret_key' '$T/broken.out' &&
	grep -q \"a.yaml:4:13: error: types: 'refunds' is not one of: incoming, outgoing\" '$T/broken.out' &&
	grep -q \"a.yaml:4:42: error: export: 'mt941' is not one of: mt940, camt053\" '$T/broken.out' &&
	grep -q \"a.yaml:4:61: error: accounts: 'PL00123' is not a valid IBAN\" '$T/broken.out'"
printf '  - {name: c, type: bank, provider: enablebanking, application_id: x, private_key_file: %s, mt940_encoding: latin2}\n' \
	"$T/eb.key" >>"$T/broken/a.yaml"
"$GONIEC" -c "$T/broken" check >"$T/broken.out" 2>&1
check "an MT940 encoding it cannot write is named with the ones it can" grep -q \
	"a.yaml:5:.*mt940_encoding.*latin2.*utf-8, windows-1250, iso-8859-2, cp852" "$T/broken.out"
G fetch --here eb >/dev/null
check_eq "a run before any link needs a person (exit 3)" 3 $?
check "and says which command links it" grep -q "goniec bank link eb" "$T/log"

# ---- linking ------------------------------------------------------------------------------
sed '/bank: Fixture Bank PL/d' "$T/conf.d/10-bank.yaml" >"$T/nobank.yaml"
mkdir -p "$T/nobank" && mv "$T/nobank.yaml" "$T/nobank/10.yaml"
"$GONIEC" -c "$T/nobank" bank link eb >"$T/banks.out" 2>>"$T/log"
check "bank link without a bank lists the banks of PL" grep -q "^Fixture Bank PL " "$T/banks.out"
check "and no Finnish bank" bash -c "! grep -q S-Pankki '$T/banks.out'"
sed 's/bank: Fixture Bank PL/bank: mBank/' "$T/conf.d/10-bank.yaml" >"$T/nobank/10.yaml"
"$GONIEC" -c "$T/nobank" bank link eb >"$T/banks.out" 2>"$T/wrong.err"
check_eq "bank link with a bank the country does not have: exit 1" 1 $?
check "it says so" grep -q "bank 'mBank' is not among the banks of PL" "$T/wrong.err"
check "and lists the banks there are" grep -q "^Fixture Bank PL " "$T/banks.out"
G bank link eb >"$T/start.out"
check "bank link prints the address to open" grep -q "^  https://127.0.0.1:$EB_PORT/_consent/" "$T/start.out"
check "and the consent's validity" grep -q "valid until $(TZ=Europe/Warsaw date -d '180 days' +%Y-%m)" "$T/start.out"
G bank link eb --code "https://localhost/goniec/callback?state=wrong&code=x" >/dev/null
check_eq "a redirect of another consent is refused" 1 $?
check "bank link --code finishes and lists the accounts" bank_link eb
check "with IBAN, currency and name" grep -Eq "^PL[0-9]{26} +PLN +Rachunek firmowy 1 +yes" "$T/link-eb.out"
check_eq "bank accounts lists them later" 2 "$(G bank accounts eb | grep -c '^PL')"
check_eq "the consent is kept 0600" 600 "$(stat -c %a "$T/state/sources/eb/bank-consent.json")"
ACC1=$(G bank accounts eb | awk '/^PL/ {print $1; exit}')
ACC2=$(G bank accounts eb | awk '/^PL/ {a=$1} END {print a}')

# ---- first run ---------------------------------------------------------------------------
G fetch --here eb >/dev/null
check_eq "first run: ok" 0 $?
stats >"$T/s1.json"
check "it asks 7 days back" py 'import json,sys
p=[x for x in json.load(open(sys.argv[1]))["pages"] if x["offset"]==0]
sys.exit(0 if p and all(x["query"]["date_from"]==sys.argv[2] for x in p) else 1)' "$T/s1.json" "$WEEK_AGO"
check "paging: 3 pages of one account, the same parameters on each" py 'import json,sys
p=[x for x in json.load(open(sys.argv[1]))["pages"] if x["iban"]==sys.argv[2]]
sys.exit(0 if len(p)==3 and len({json.dumps(x["query"],sort_keys=True) for x in p})==1 and p[-1]["offset"]==8 else 1)' "$T/s1.json" "$ACC1"
check_eq "one JSON statement per account" 2 "$(docs_of eb | wc -l)"
txns_of eb >"$T/t1"
check_eq "no transaction twice" "" "$(sort "$T/t1" | uniq -d)"
check_eq "the pending one of each account reported as pending" 2 "$(grep -c '^pending' "$T/t1")"
check "every transaction in the window" py 'import sys
for l in open(sys.argv[1]):
    s,d,*_=l.split()
    if s=="booked" and not (sys.argv[2]<=d<=sys.argv[3]): sys.exit(1)' "$T/t1" "$WEEK_AGO" "$TODAY"
META=$(docs_of eb | head -1).meta.json
check "the sidecar has the statement with balances" py 'import json,sys
m=json.load(open(sys.argv[1])); s=m["statement"]
sys.exit(0 if m["kind"]=="statement" and m["type"]=="transactions" and s["closing_balance"]["amount"]=="10000.00" and s["reconciles"] and m["balances"][0]["type"]=="CLBD" else 1)' "$META"
check "its statement names the account, the period read and the counts of the document" py 'import json,sys
s=json.load(open(sys.argv[1]))["statement"]; d=json.load(open(sys.argv[1][:-len(".meta.json")]))["statements"][0]
booked=[t for t in d["transactions"] if t["status"]=="booked"]
cr=[t for t in booked if not t["amount"].startswith("-")]
sys.exit(0 if s["account"]==d["account"] and s["period"]=={"from": sys.argv[2], "to": sys.argv[3]} and booked
         and s["count"]==len(d["transactions"]) and s["pending"]==len(d["transactions"])-len(booked)==1
         and s["credits"]["count"]==len(cr)
         and s["debits"]["count"]==len(booked)-len(cr) else 1)' "$META" "$WEEK_AGO" "$TODAY"
check_eq "MT940 and CAMT.053 files beside each" "2 2" "$(find "$T/spool" -name '*.sta.meta.json' | wc -l) $(find "$T/spool" -name '*.xml.meta.json' | wc -l)"
check "the MT940 is sniffed as mt940" grep -q '"type": "mt940"' $(find "$T/spool" -name '*.sta.meta.json' | head -1)
check "the CAMT file as camt" grep -q '"type": "camt"' $(find "$T/spool" -name '*.xml.meta.json' | head -1)
STA=$(find "$T/spool" -name "$ACC1-*.sta" | head -1)
check "the MT940 is written in Windows-1250 (mt940_encoding), no UTF-8 in it" py 'import sys
b=open(sys.argv[1],"rb").read()
try: b.decode("utf-8"); sys.exit(1)
except UnicodeDecodeError: pass
sys.exit(0 if "zapłata".encode("cp1250") in b else 1)' "$STA"
"$GONIEC" statement --json "$STA" >"$T/sta.json"
check "read back by goniec's reader: the same booked transactions and titles" py 'import json,sys
def booked(d): return sorted((t["booking_date"], t["amount"], t["title"]) for s in d["statements"] for t in s["transactions"] if t["status"]=="booked")
got=json.load(open(sys.argv[1])); want=json.load(open(sys.argv[2]))
sys.exit(0 if booked(got) and booked(got)==booked(want) else 1)' "$T/sta.json" "$(docs_of eb | grep "/$ACC1-")"
CAMT=$(find "$T/spool" -name "$ACC1-*.xml" | head -1)
"$GONIEC" statement --json "$CAMT" >"$T/camt.json"
check "the CAMT.053 read back: the same booked transactions, titles, counterparties and balances" py 'import json,sys
def booked(d): return sorted((t["booking_date"], t["amount"], t["currency"], t["title"], t.get("counterparty", {}).get("name"))
                             for s in d["statements"] for t in s["transactions"] if t["status"]=="booked")
got=json.load(open(sys.argv[1])); want=json.load(open(sys.argv[2]))
g, w = got["statements"][0], want["statements"][0]
sys.exit(0 if booked(got) and booked(got)==booked(want) and g["closing_balance"]==w["closing_balance"]
         and g["account"]==w["account"] else 1)' "$T/camt.json" "$(docs_of eb | grep "/$ACC1-")"

# ---- incremental -------------------------------------------------------------------------
LAST=$(py 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]]["last_booked"])' "$T/state/sources/eb/bank-accounts.json" "$ACC1")
G fetch --here eb >/dev/null
check_eq "second run with nothing new files nothing" 2 "$(docs_of eb | wc -l)"
check "it reads from the last booked day less 3 days" py 'import json,sys,datetime
p=[x for x in json.load(open(sys.argv[1]))["pages"] if x["iban"]==sys.argv[2] and x["offset"]==0][-1]
want=(datetime.date.fromisoformat(sys.argv[3])-datetime.timedelta(days=3)).isoformat()
sys.exit(0 if p["query"]["date_from"]==want else 1)' <(stats) "$ACC1" "$LAST"
fixture "$EB_URL" /_fixture/transactions "{\"iban\": \"$ACC1\", \"generate\": 2, \"days\": 1, \"seed\": 9}" >/dev/null
G fetch --here eb >/dev/null
check_eq "new transactions: one more statement, of that account only" 3 "$(docs_of eb | wc -l)"
check_eq "holding exactly the 2 new ones" 2 "$(booked_in "$(newest_doc "$ACC1")")"
check_eq "still nothing twice" "" "$(txns_of eb | grep '^booked' | sort | uniq -d)"

# ---- pending then booked -----------------------------------------------------------------
PENDING_TITLE=$(txns_of eb | awk '$1=="pending" {$1=$2=$3=""; print; exit}' | sed 's/^ *//')
fixture "$EB_URL" /_fixture/book "{\"iban\": \"$ACC1\"}" >/dev/null
G fetch --here eb >/dev/null
check_eq "pending then booked: recorded booked once" 1 "$(txns_of eb | grep -F "$PENDING_TITLE" | grep -c '^booked')"
check "after it was reported pending" test "$(txns_of eb | grep -F "$PENDING_TITLE" | grep -c '^pending')" -ge 1
check_eq "the newest statement holds it as booked" 1 "$(grep -cF "$PENDING_TITLE" "$(newest_doc "$ACC1")")"

# ---- a transaction it cannot read ------------------------------------------------------------
# An amount with three decimals in PLN (the API's amount is a free string): the model cannot
# take it. It must neither stop the account's reading nor be lost.
fixture "$EB_URL" /_fixture/transactions "{\"iban\": \"$ACC1\", \"transactions\": [
	{\"id\": \"BAD-1\", \"booking_date\": \"$TODAY\", \"value_date\": \"$TODAY\", \"amount\": \"-12.345\",
	 \"currency\": \"PLN\", \"name\": \"Sklep\", \"title\": \"trzy miejsca po przecinku\"},
	{\"id\": \"GOOD-1\", \"booking_date\": \"$TODAY\", \"value_date\": \"$TODAY\", \"amount\": \"45.60\",
	 \"currency\": \"PLN\", \"name\": \"Klient\", \"title\": \"FV 7/2026\"}]}" >/dev/null
B1=$(docs_for "$ACC1")
G fetch --here eb >/dev/null
check_eq "a transaction it cannot read: the run is partial (exit 1)" 1 $?
check_eq "the account's other news is filed all the same" "$((B1 + 1))" "$(docs_for "$ACC1")"
BADDOC=$(newest_doc "$ACC1")
check_eq "the statement holds the good one" 1 "$(grep -c 'FV 7/2026' "$BADDOC")"
check "and keeps the bad one as the bank sent it, saying why" python3 -c 'import json,sys
u=json.load(open(sys.argv[1]))["unreadable"]
sys.exit(0 if len(u)==1 and u[0]["transaction"]["entry_reference"]=="BAD-1"
	and u[0]["transaction"]["transaction_amount"]["amount"]=="12.345" and "decimal" in u[0]["why"] else 1)' "$BADDOC"
check "the sidecar's problems say so" grep -q 'could not be read (transaction [0-9]* of a page' "$BADDOC.meta.json"
check "goniec statement says so too" bash -c "'$GONIEC' statement '$BADDOC' | grep -q 'could not be read'"
check "the log (the daemon's alert) names the account and the transaction" \
	grep -q "$ACC1: 1 transaction(s) the bank sent could not be read (the first: transaction [0-9]* of a page: .*12.345" "$T/log"
G fetch --here eb >/dev/null
check_eq "the next run: it is not reported again (exit 0)" 0 $?
check_eq "and nothing is filed again" "$((B1 + 1))" "$(docs_for "$ACC1")"
fixture "$EB_URL" /_fixture/transactions "{\"iban\": \"$ACC1\", \"generate\": 1, \"days\": 1, \"seed\": 21}" >/dev/null
G fetch --here eb >/dev/null
check_eq "a new transaction after it is filed as usual" "0 $((B1 + 2))" "$? $(docs_for "$ACC1")"
check_eq "without the bad one again" "" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("unreadable",""))' "$(newest_doc "$ACC1")")"

# ---- an account added later, a too long period ---------------------------------------------
NEW=PL61109010140000071219812874
fixture "$EB_URL" /_fixture/accounts "{\"iban\": \"$NEW\", \"join_consents\": true}" >/dev/null
fixture "$EB_URL" /_fixture/transactions "{\"iban\": \"$NEW\", \"generate\": 6, \"days\": 6}" >/dev/null
fixture "$EB_URL" /_fixture/faults '{"max_days": 4}' >/dev/null
G fetch --here eb >/dev/null
check_eq "an account added to the consent is read" 0 $?
check "the log says it joined" grep -q "account $NEW joined the consent" "$T/log"
check "WRONG_TRANSACTIONS_PERIOD: the period is shortened and asked again" grep -q "$NEW: the bank refuses 8 days of transactions; asking for 4" "$T/log"
check "its transactions are filed" test -n "$(docs_of eb | grep "/$NEW-")"
fixture "$EB_URL" /_fixture/faults '{"max_days": 0}' >/dev/null

# ---- 429 --------------------------------------------------------------------------------------
fixture "$EB_URL" /_fixture/transactions "{\"iban\": \"$ACC1\", \"generate\": 1, \"days\": 1, \"seed\": 11}" >/dev/null
fixture "$EB_URL" /_fixture/faults "{\"throttle\": {\"iban\": \"$ACC2\", \"retry_after\": 3600}}" >/dev/null
B1=$(docs_for "$ACC1") B2=$(docs_for "$ACC2")
G fetch --here eb >/dev/null
check_eq "429 on one account: the run goes on (exit 0)" 0 $?
check_eq "and the other account's news is filed" "$((B1 + 1)) $B2" "$(docs_for "$ACC1") $(docs_for "$ACC2")"
check "the log says until when it waits" grep -q "$ACC2: .*limit of reads.*not read again before" "$T/log"
N2=$(stats | py 'import json,sys; print(json.load(sys.stdin)["by_account"].get(sys.argv[1],0))' "$ACC2")
fixture "$EB_URL" /_fixture/faults '{"throttle": null}' >/dev/null
G fetch --here eb >/dev/null
check_eq "the next run does not ask for that account" "$N2" "$(stats | py 'import json,sys; print(json.load(sys.stdin)["by_account"].get(sys.argv[1],0))' "$ACC2")"

# ---- the bank down, the application not active ------------------------------------------------
fault_run "$EB_URL" '{"aspsp_error": 1}' eb 1 \
	"the bank did not answer properly (HTTP 400 ASPSP_ERROR: Error interacting with ASPSP); tried again next run" \
	"ASPSP_ERROR: the run is partial (exit 1)"
fault_run "$EB_URL" '{"aspsp_timeout": 1}' eb 1 "HTTP 408 ASPSP_TIMEOUT: Timeout interacting with ASPSP); tried again next run" \
	"ASPSP_TIMEOUT: the run is partial (exit 1)"
fault_run "$EB_URL" '{"inactive": true}' eb 3 "application is not active.*activate it" \
	"application not active: needs a person (exit 3)"
fixture "$EB_URL" /_fixture/faults '{"inactive": false}' >/dev/null

# ---- the 4-a-day limit (a fresh state, the default daily_reads) ---------------------------------
bank_conf "    export: [mt940]"
mv "$T/state" "$T/state.main"
URL=$(G bank link eb | sed -n 's/^  \(https:.*\)$/\1/p')
CODE=$(curl -sS --cacert "$T/tls/ca.pem" -o /dev/null -w '%{redirect_url}' "$URL" | sed -n 's/.*[?&]code=\([^&]*\).*/\1/p')
G bank link eb --code "$CODE" >/dev/null
check_eq "bank link --code takes the code alone too" 0 $?
for i in 1 2 3 4; do G fetch --here eb >/dev/null; done
R4=$(stats | py 'import json,sys; print(json.load(sys.stdin)["reads"].get(sys.argv[1],0))' "$ACC1")
G fetch --here eb >/dev/null
check_eq "a fifth run the same day: exit 0" 0 $?
check "it is skipped with a log line" grep -q "$ACC1: not read: 4 reads of this account today already (the PSD2 limit of 4" "$T/log"
check_eq "and nothing was asked of the bank" "$R4" "$(stats | py 'import json,sys; print(json.load(sys.stdin)["reads"].get(sys.argv[1],0))' "$ACC1")"
rm -rf "$T/state" && mv "$T/state.main" "$T/state"
bank_conf "    daily_reads: 100" "    export: [mt940, camt053]"

# ---- consent expiring, expired, revoked ------------------------------------------------------------
fixture "$EB_URL" /_fixture/faults '{"valid_until_days": 13}' >/dev/null
sed -i 's/^    daily_reads: 100/    daily_reads: 100\n    schedule: {every: 1h}/' "$T/conf.d/10-bank.yaml"
daemon_alert eb
check "consent expiring in 13 days: an alert is filed" test -n "$ALERT"
check "it names the day and the command that renews it" grep -q "expires on $(TZ=Europe/Warsaw date -d '13 days' +%F), in less than 14 days; renew it: goniec bank link eb" "$ALERT"
G status --json >"$T/status.json"
check "status --json: the consent's expiry and each account's balance and last transaction" py 'import json,sys
s=[x for x in json.load(open(sys.argv[1]))["sources"] if x["name"]=="eb"][0]["details"]
a=s["accounts"][0]
sys.exit(0 if s["consent"]["valid_until"]>0 and a["balance"]["amount"]=="10000.00" and a["last_booked"]["date"] else 1)' "$T/status.json"
G status >"$T/status.txt"
check "status shows the consent and the balances" grep -q "consent: Fixture Bank PL, AUTHORIZED, valid until" "$T/status.txt"
check "and per account the balance with its date and the last booked" grep -Eq "^  $ACC1 +balance 10000.00 PLN \\($TODAY\\); last booked " "$T/status.txt"
kill "$DPID"; wait "$DPID" 2>/dev/null
fixture "$EB_URL" /_fixture/faults '{"balance_dates": false}' >/dev/null
G fetch --here eb >/dev/null
check "a balance the bank gives no date: status dates it with the day it was read" \
	grep -Eq "^  $ACC1 +balance 10000.00 PLN \($TODAY\)" <(G status)
fixture "$EB_URL" /_fixture/faults '{"balance_dates": true}' >/dev/null

fault_run "$EB_URL" '{"expire": true}' eb 3 "is EXPIRED (expired or revoked); renew it: goniec bank link eb" \
	"expired session: needs a person (exit 3), with the command that renews it"
fault_run "$EB_URL" '{"expire": false, "revoke": true}' eb 3 "REVOKED" "revoked session: needs a person (exit 3)"
daemon_alert eb needs-person
check "revoked: the daemon files an alert for a person" test -n "$ALERT"
check "naming the command that renews the consent" grep -q "REVOKED.*renew it: goniec bank link eb" "$ALERT"
kill "$DPID"; wait "$DPID" 2>/dev/null

# ---- secrets ---------------------------------------------------------------------------------------
KEYLINE=$(sed -n 2p "$T/eb.key")
check "the private key is in no log, state or spool file" bash -c "! grep -rqF -- '$KEYLINE' '$T/log' '$T/daemon.log' '$T/state' '$T/spool'"
check "no JWT in them either" bash -c "! grep -rqE 'eyJ0eXAiOiJKV1Qi' '$T/log' '$T/daemon.log' '$T/state' '$T/spool'"
check_eq "the account state is kept 0600" 600 "$(stat -c %a "$T/state/sources/eb/bank-accounts.json")"
