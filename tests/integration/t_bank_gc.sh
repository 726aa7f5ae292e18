#!/bin/bash
# The bank source against the GoCardless Bank Account Data fixture
# (tests/fixtures/gocardless_server.py): tokens kept and renewed, linking through a
# requisition, the first run 7 days back, overlap without duplicates, pending then booked,
# 429 with the rate-limit headers, an account added later, the end-user agreement expired,
# access revoked, an account deactivated, the secrets grep; then on a fresh state: the
# banks of the country, `accounts:`, `types:`, `history:`, the MT940/CAMT export read back,
# the 4-a-day limit, a consent expiring in 13 days (alert, status).
. "$(dirname "$0")/lib.sh"
. "$TESTS_DIR/bank_lib.sh"

make_test_ca
start_gc --daily-limit 0 --access-lifetime 3
bank_conf "    daily_reads: 100"
WEEK_AGO=$(TZ=Europe/Warsaw date -d '7 days ago' +%F)
stats() { fixture "$GC_URL" /_fixture/stats; }
count() { stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["by_kind"].get(sys.argv[1],0))' "$1"; }
docs_for() { docs_of gc | grep -c "/$1-"; }
newest_doc() { ls -t $(docs_of gc | grep "/$1-") | head -1; }

check "bank link --code finishes through the requisition" bank_link gc
check "and lists the accounts" grep -Eq "^PL[0-9]{26} +PLN +Rachunek firmowy 2 +yes" "$T/link-gc.out"
check "a redirect without our reference is refused" bash -c "! '$GONIEC' -c '$T/conf.d' bank link gc --code 'https://localhost/goniec/callback?ref=other' 2>/dev/null"
check_eq "tokens are kept 0600" 600 "$(stat -c %a "$T/state/sources/gc/gocardless-token.json")"
check_eq "and the requisition 0600" 600 "$(stat -c %a "$T/state/sources/gc/bank-consent.json")"
ACC1=$(G bank accounts gc | awk '/^PL/ {print $1; exit}')
ACC2=$(G bank accounts gc | awk '/^PL/ {a=$1} END {print a}')

NEW_TOKENS=$(count token_new)
G fetch --here gc >/dev/null
check_eq "first run: ok" 0 $?
check "it asks 7 days back" python3 -c 'import json,sys
p=json.load(open(sys.argv[1]))["pages"]
sys.exit(0 if p and all(x["query"]["date_from"]==sys.argv[2] for x in p) else 1)' <(stats) "$WEEK_AGO"
check "the expired access token was renewed with the refresh token, not the secret" \
	test "$(count token_refresh)" -ge 1 -a "$(count token_new)" = "$NEW_TOKENS"
check_eq "one statement per account" 2 "$(docs_of gc | wc -l)"
check_eq "the pending ones reported as pending" 2 "$(txns_of gc | grep -c '^pending')"

LAST=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]]["last_booked"])' \
	"$T/state/sources/gc/bank-accounts.json" "$ACC1")
G fetch --here gc >/dev/null
check_eq "nothing new: nothing filed" 2 "$(docs_of gc | wc -l)"
check "the second run reads from the last booked day less 3 days (overlap)" python3 -c 'import json,sys,datetime
p=[x for x in json.load(open(sys.argv[1]))["pages"] if x["iban"]==sys.argv[2]][-1]
want=(datetime.date.fromisoformat(sys.argv[3])-datetime.timedelta(days=3)).isoformat()
sys.exit(0 if p["query"]["date_from"]==want and p["count"]>0 else 1)' <(stats) "$ACC1" "$LAST"
fixture "$GC_URL" /_fixture/transactions "{\"iban\": \"$ACC1\", \"generate\": 3, \"days\": 1, \"null_ids\": true, \"seed\": 5}" >/dev/null
G fetch --here gc >/dev/null
check_eq "3 new ones (one without an id): filed once" 3 "$(grep -c '"status": "booked"' "$(newest_doc "$ACC1")")"
G fetch --here gc >/dev/null
check_eq "and not again (fingerprint for the one without an id)" "" "$(txns_of gc | grep '^booked' | sort | uniq -d)"

acc1_txns() { for f in $(docs_of gc | grep "/$ACC1-"); do python3 -c 'import json,sys
for s in json.load(open(sys.argv[1]))["statements"]:
    for t in s["transactions"]:
        print(t["status"], t.get("booking_date", "-"), t["amount"], t.get("title", ""))' "$f"; done; }
PENDING_TITLE=$(acc1_txns | awk '$1=="pending" {$1=$2=$3=""; print; exit}' | sed 's/^ *//')
fixture "$GC_URL" /_fixture/book "{\"iban\": \"$ACC1\"}" >/dev/null
fixture "$GC_URL" /_fixture/book "{\"iban\": \"$ACC2\"}" >/dev/null
G fetch --here gc >/dev/null
check_eq "pending then booked: recorded booked once" 1 "$(acc1_txns | grep -F "$PENDING_TITLE" | grep -c '^booked')"

fixture "$GC_URL" /_fixture/faults "{\"throttle\": {\"iban\": \"$ACC2\", \"retry_after\": 7200}}" >/dev/null
fixture "$GC_URL" /_fixture/transactions "{\"iban\": \"$ACC1\", \"generate\": 1, \"days\": 1, \"seed\": 6}" >/dev/null
B1=$(docs_for "$ACC1") B2=$(docs_for "$ACC2")
G fetch --here gc >/dev/null
check_eq "429: the run goes on" 0 $?
check_eq "the other account is read" "$((B1 + 1)) $B2" "$(docs_for "$ACC1") $(docs_for "$ACC2")"
check "the wait comes from X-RateLimit-Account-Success-Reset" python3 -c 'import json,sys,time
w=json.load(open(sys.argv[1]))[sys.argv[2]]["waiting_until"]
sys.exit(0 if 7100 < w - time.time() <= 7200 else 1)' "$T/state/sources/gc/bank-accounts.json" "$ACC2"
fixture "$GC_URL" /_fixture/faults "{\"throttle\": {\"iban\": \"$ACC1\", \"retry_after\": 8}}" >/dev/null
G fetch --here gc >/dev/null
fixture "$GC_URL" /_fixture/faults '{"throttle": null}' >/dev/null
fixture "$GC_URL" /_fixture/transactions "{\"iban\": \"$ACC1\", \"generate\": 1, \"days\": 1, \"seed\": 8}" >/dev/null
asked() { stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["by_account"].get(sys.argv[1],0))' "$1"; }
N1=$(asked "$ACC1") B1=$(docs_for "$ACC1")
G fetch --here gc >/dev/null
check_eq "429 with a reset of 8 s: the account is not asked before then" "$N1 $B1" "$(asked "$ACC1") $(docs_for "$ACC1")"
waited() { python3 -c 'import json,sys,time
sys.exit(0 if time.time() > json.load(open(sys.argv[1]))[sys.argv[2]].get("waiting_until", 0) else 1)' \
	"$T/state/sources/gc/bank-accounts.json" "$ACC1"; }
wait_for 20 waited
G fetch --here gc >/dev/null
check_eq "and is read again after it, its news filed" "$((B1 + 1))" "$(docs_for "$ACC1")"

# Waits past what fits in int64 milliseconds: a reset header of 9223372036854775 s (the most
# net_retry_after() takes) overflowed in rounding it up to seconds and came out negative, a
# "try again in 18446744073709552 seconds" in words overflowed times 1000 and came out as
# 384 ms; the account was asked again at once. Now the first is kept, the second (past
# what the headers may say) is not a wait: the usual one, to midnight.
far_wait() { python3 -c 'import json,sys,time
sys.exit(0 if json.load(open(sys.argv[1]))[sys.argv[2]].get("waiting_until", 0) - time.time() > float(sys.argv[3]) else 1)' \
	"$T/state/sources/gc/bank-accounts.json" "$ACC1" "$1"; }
unwait() { python3 -c 'import json,sys
j=json.load(open(sys.argv[1])); j[sys.argv[2]].pop("waiting_until", None); json.dump(j, open(sys.argv[1], "w"))' \
	"$T/state/sources/gc/bank-accounts.json" "$ACC1"; }
fixture "$GC_URL" /_fixture/faults "{\"throttle\": {\"iban\": \"$ACC1\", \"retry_after\": 9223372036854775}}" >/dev/null
G fetch --here gc >/dev/null
check_eq "429 with a reset of 9223372036854775 s: the run goes on" 0 $?
check "... and the account waits that long" far_wait 9223372000000000
unwait
fixture "$GC_URL" /_fixture/faults "{\"throttle\": {\"iban\": \"$ACC1\", \"retry_after\": 18446744073709552, \"in_words\": true}}" >/dev/null
G fetch --here gc >/dev/null
check_eq "429 saying 'try again in 18446744073709552 seconds': the run goes on" 0 $?
check "... and the account waits till midnight, not 384 ms" far_wait 2
unwait
fixture "$GC_URL" /_fixture/faults '{"throttle": null}' >/dev/null

NEW=PL27114020040000300201355387
fixture "$GC_URL" /_fixture/accounts "{\"iban\": \"$NEW\", \"join_consents\": true}" >/dev/null
fixture "$GC_URL" /_fixture/transactions "{\"iban\": \"$NEW\", \"generate\": 4, \"days\": 5}" >/dev/null
G fetch --here gc >/dev/null
check "an account added later is read" test "$(docs_for "$NEW")" = 1

# The tokens are a state file (core/statefile.h): a damaged one is set aside, and the
# client signs in afresh.
printf '{"key": "' >"$T/state/sources/gc/gocardless-token.json"
NEW_TOKENS=$(count token_new)
"$GONIEC" -c "$T/conf.d" fetch --here gc >/dev/null 2>"$T/damaged.log"
check_eq "a damaged token file: the run is ok" 0 $?
check "... the file is set aside for a person, and a warning names it" bash -c \
	"test -f '$T/state/sources/gc/gocardless-token.json.damaged' && grep -q 'gocardless-token.json.*kept as .*gocardless-token.json.damaged' '$T/damaged.log'"
check "... and the client signed in afresh" test "$(count token_new)" -gt "$NEW_TOKENS"

fault_run "$GC_URL" '{"service_error": 1}' gc 1 "HTTP 503 ServiceError: Couldn.t update account balances: Institution service unavailable); tried again next run" \
	"the service down (503): the run is partial (exit 1)"
fault_run "$GC_URL" "{\"inactive_iban\": \"$NEW\"}" gc 3 "$NEW: .*deactivated or no longer exists.*goniec bank link gc" \
	"AccountInactiveError: needs a person, and how to renew"
fault_run "$GC_URL" '{"inactive_iban": null, "revoked": true}' gc 3 \
	"expired or was revoked (HTTP 401 AccessExpiredError.*goniec bank link gc" \
	"access revoked (AccessExpiredError): needs a person, with the command that renews it"
check "the consent is kept as ended (its alert told once, not daily)" python3 -c 'import json,sys
c=json.load(open(sys.argv[1])); sys.exit(0 if c["status"]=="ENDED" and not c.get("usable", True) else 1)' \
	"$T/state/sources/gc/bank-consent.json"
fault_run "$GC_URL" '{"revoked": false, "eua_expired_accounts": 400}' gc 3 \
	"expired or was revoked (HTTP 400: End User Agreement (EUA) [-0-9a-f]* has expired); renew it: goniec bank link gc" \
	"the accounts answer EUA expired (the real 400) while the requisition says LN: needs a person"
fault_run "$GC_URL" '{"eua_expired_accounts": 401}' gc 3 \
	"expired or was revoked (HTTP 401: End User Agreement (EUA) [-0-9a-f]* has expired); renew it: goniec bank link gc" \
	"EUA expired as the schema's 401 example: needs a person"
fault_run "$GC_URL" '{"eua_expired_accounts": null, "eua_expired": true}' gc 3 "is EX (expired or revoked); renew it: goniec bank link gc" \
	"end-user agreement expired: needs a person"
fixture "$GC_URL" /_fixture/faults '{"eua_expired": false}' >/dev/null
BEFORE=$(docs_of gc | wc -l)
check "renewing: bank link again (GoCardless gives the accounts new ids)" bank_link gc
G fetch --here gc >/dev/null
check_eq "the run after renewing: ok" 0 $?
check_eq "nothing filed twice after it (the state is kept by IBAN)" "$BEFORE" "$(docs_of gc | wc -l)"
check "the account was read: what it listed was known, nothing new" bash -c "grep 'gc: $ACC1: .* transactions from' '$T/log' |
	tail -1 | grep -Eq ', 0 new, 0 pending, [1-9][0-9]* recorded before'"
check_eq "still no transaction twice" "" "$(txns_of gc | grep '^booked' | sort | uniq -d)"

check "the secret key is in no log, state or spool file" bash -c "! grep -rqF -- '$GC_KEY' '$T/log' '$T/state' '$T/spool'"
TOKEN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["access"])' "$T/state/sources/gc/gocardless-token.json")
check "the access token is in no log or spool file" bash -c "! grep -rqF -- '$TOKEN' '$T/log' '$T/spool'"
REFRESH=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["refresh"])' "$T/state/sources/gc/gocardless-token.json")
check "nor the refresh token" bash -c "! grep -rqF -- '$REFRESH' '$T/log' '$T/spool'"

# ---- which accounts and which transactions are taken ------------------------------------------
fixture "$GC_URL" /_fixture/faults '{"eua_expired": false}' >/dev/null
rm -rf "$T/spool" "$T/state"
bank_conf "    types: [incoming]" "    accounts: [$ACC1]" "    history: 5d" "    export: [mt940, camt053]"
mkdir -p "$T/nobank"
sed '/bank: FIXTUREBANK_FIXTPLPW/d' "$T/conf.d/10-bank.yaml" >"$T/nobank/10.yaml"
"$GONIEC" -c "$T/nobank" bank link gc >"$T/banks.out" 2>>"$T/log"
check "bank link without a bank lists the institutions of PL" grep -q "^FIXTUREBANK_FIXTPLPW .*Fixture Bank PL" "$T/banks.out"
check "and not the sandbox's" bash -c "! grep -q SANDBOXFINANCE '$T/banks.out'"
sed 's/bank: FIXTUREBANK_FIXTPLPW/bank: MBANK_BREXPLPW/' "$T/conf.d/10-bank.yaml" >"$T/nobank/10.yaml"
"$GONIEC" -c "$T/nobank" bank link gc >"$T/banks.out" 2>"$T/wrong.err"
check_eq "bank link with an institution id GoCardless does not know: exit 1" 1 $?
check "it says so" grep -q "bank 'MBANK_BREXPLPW' is not a GoCardless institution id" "$T/wrong.err"
check "and lists the institutions of the country" grep -q "^FIXTUREBANK_FIXTPLPW " "$T/banks.out"
check "linked again (a fresh state)" bank_link gc
check "bank accounts marks the account not taken" grep -q "^$ACC2 .*no (not in accounts:)" <(G bank accounts gc)
G fetch --here gc >/dev/null
check_eq "accounts: only the account listed is read" "1 0" "$(docs_for "$ACC1") $(docs_for "$ACC2")"
check_eq "types: [incoming]: no debit filed" "" "$(txns_of gc | awk '$3 ~ /^-/')"
check "and credits are" test -n "$(txns_of gc | awk '$1 == "booked" && $3 !~ /^-/')"
check "history: 5d: the first run asks 5 days back" python3 -c 'import json,sys
p=[x for x in json.load(open(sys.argv[1]))["pages"] if x["iban"]==sys.argv[2]][-1]
sys.exit(0 if p["query"]["date_from"]==sys.argv[3] else 1)' <(stats) "$ACC1" "$(TZ=Europe/Warsaw date -d '5 days ago' +%F)"

# ---- the exports read back by goniec's own statement reader -----------------------------------
booked_of() { python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
print(sorted((t["booking_date"], t["amount"], t["currency"], t.get("title", "")) for s in d["statements"]
             for t in s["transactions"] if t["status"] == "booked"))' "$1"; }
DOC=$(docs_of gc | grep "/$ACC1-")
for ext in sta xml; do
	EXP=$(find "$T/spool" -name "$ACC1-*.$ext" | head -1)
	"$GONIEC" statement --json "$EXP" >"$T/read-$ext.json" 2>>"$T/log"
	check "export $ext read back: the same booked transactions (date, amount, currency, title)" \
		test -n "$EXP" -a "$(booked_of "$T/read-$ext.json")" = "$(booked_of "$DOC")" -a "$(booked_of "$DOC")" != "[]"
done

# ---- the 4-a-day limit (the default daily_reads) ---------------------------------------------------
for i in 2 3 4; do G fetch --here gc >/dev/null; done
R4=$(stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["reads"].get(sys.argv[1],0))' "$ACC1")
G fetch --here gc >/dev/null
check_eq "a fifth run the same day: exit 0" 0 $?
check "it is skipped with a log line" grep -q "$ACC1: not read: 4 reads of this account today already (the PSD2 limit of 4" "$T/log"
check_eq "and nothing was asked of GoCardless" "$R4" \
	"$(stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["reads"].get(sys.argv[1],0))' "$ACC1")"

# ---- a consent of 13 days: status and the alert 14 days before -----------------------------------
rm -rf "$T/spool" "$T/state"
bank_conf "    consent_validity: 13d" "    schedule: {every: 1h}"
check "linked for 13 days (the agreement asks for 13)" bank_link gc
UNTIL=$(TZ=Europe/Warsaw date -d '13 days' +%F)
check "bank accounts shows the consent's expiry" grep -q "consent LN, valid until $UNTIL" <(G bank accounts gc)
daemon_alert gc
check "consent expiring in 13 days: an alert is filed" test -n "$ALERT"
check "it names the day and the command that renews it" grep -q \
	"expires on $UNTIL, in less than 14 days; renew it: goniec bank link gc" "$ALERT"
check "status shows the consent's expiry" grep -q "consent: FIXTUREBANK_FIXTPLPW, LN, valid until $UNTIL" <(G status)
kill "$DPID"; wait "$DPID" 2>/dev/null
