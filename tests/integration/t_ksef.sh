#!/bin/bash
# The ksef source against the KSeF API fixture (tests/fixtures/ksef_server.py, every
# request and answer checked against the official OpenAPI): the sample FA(3) invoices
# read through a first run, an incremental run without duplicates, truncation of the
# list across a page boundary, rate limits (429 with Retry-After, and pacing under the
# limits), a rejected token (needs a person, with KSeF's reason), an access token that
# expires mid-run (refreshed), a non-FA(3) invoice (FA(2) on TEST: filed with
# invoice.error), and `goniec check` on bad KSeF settings.
. "$(dirname "$0")/lib.sh"

make_test_ca
FIX=$SRC_DIR/tests/fixtures/ksef_server.py
OAS=$SRC_DIR/../shared/samples/ksef/openapi/ksef-api-2.0-open-api.json
SAMPLES=$SRC_DIR/../shared/samples/ksef/fa3
[ -f "$OAS" ] || skip "no ../shared/samples (the KSeF OpenAPI)"
NIP=1111111111            # the buyer (and once the seller) in three of the samples
TOKEN=ksef-token-acme-0001

# start_ksef [ARGS...] — sets PORT; stopped at exit.
start_ksef() {
	local pid
	PORT=$(free_port)
	python3 "$FIX" --port "$PORT" --cert "$T/tls/server.pem" --key "$T/tls/server.key" \
		--oas "$OAS" --context "$NIP:$TOKEN" --context "5265877635:$TOKEN-gen" "$@" \
		>>"$T/server.log" 2>&1 &
	pid=$!
	at_exit "kill $pid 2>/dev/null"
	SERVER_PID=$pid
	wait_port "$PORT" 20 || { echo "fixture did not start"; cat "$T/server.log"; exit 1; }
}
stop_ksef() { kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; }
fixture() { curl -s --cacert "$T/tls/ca.pem" "https://127.0.0.1:$PORT/_fixture/$1" "${@:2}"; }
fault() { fixture faults -X POST -d "$1" >/dev/null; }
stat_of() { fixture stats | python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

# conf NAME [EXTRA YAML LINES] — a conf.d in $T/NAME with one ksef source.
conf() {
	local d=$T/$1 nip=${3:-111-111-11-11} token=${4:-$T/token}
	mkdir -p "$d/conf.d"
	cat >"$d/conf.d/acme.yaml" <<EOF
agent:
  spool: $d/spool
  state: $d/state
company: {id: acme, name: ACME, nip: "$NIP"}
sources:
  - name: acme-ksef
    type: ksef
    nip: "$nip"
    token_file: $token
    environment: ${ENVNAME:-test}
    base_url: https://127.0.0.1:$PORT/v2
    ca_file: $T/tls/ca.pem
${HISTORY-    history: 30d}
${2:-}
EOF
	CONF=$d/conf.d
	SPOOL=$d/spool
	STATE=$d/state/sources/acme-ksef
}
printf '%s\n' "$TOKEN" >"$T/token"
printf '%s-gen\n' "$TOKEN" >"$T/token-gen"
printf 'wrong-token\n' >"$T/token-wrong"
printf 'revoked-token\n' >"$T/token-revoked"
chmod 600 "$T"/token*
run() { "$GONIEC" -c "$CONF" "$@" >"$T/out" 2>&1; RC=$?; }
has() { grep -q -- "$1" "$T/out"; }
sidecar_of() { ls "$SPOOL"/*/*/*/acme-ksef/"$1"*.meta.json 2>/dev/null | head -1; }
# flat SIDECAR — its invoice as "path=value" lines (one python start per sidecar).
flat() {
	python3 -c '
import json, sys
def walk(v, p):
    if isinstance(v, dict):
        for k, x in v.items(): walk(x, p + [k])
    elif isinstance(v, list):
        for i, x in enumerate(v): walk(x, p + [str(i)])
    else: print(".".join(p) + "=" + str(v))
walk(json.load(open(sys.argv[1]))["invoice"], [])' "$1" >"$T/flat"
}
field() { sed -n "s/^$1=//p" "$T/flat"; }
no_violations() { test "$(stat_of "['schema_violations']")" = "[]"; }
# subjects_of — what `status --json` shows of acme-ksef's subjects: "purchase=N@DATE ...".
subjects_of() {
	"$GONIEC" -c "$CONF" status --json | python3 -c '
import json, sys
for s in json.load(sys.stdin)["sources"]:
    if s["name"] == "acme-ksef":
        subj = s["details"]["subjects"]
        print(" ".join("%s=%d@%s" % (k, v["filed"], v.get("last_issue_date"))
                       for k, v in sorted(subj.items())))'
}

# ---- goniec check ----------------------------------------------------------------------
PORT=1
conf check
run check
check "check accepts a KSeF source" test $RC -eq 0
conf badnip "" "111-111-11-12"
run check
check "check refuses a NIP that fails the checksum" has "acme.yaml:[0-9]*:[0-9]*: .*nip: '111-111-11-12' fails the NIP checksum"
ENVNAME=production HISTORY='    history: last-year' conf badenv '    subjects: [purchase, buys]
    schedule: {every: 5m}'
run check
check "check refuses an unknown environment" has "environment.*production"
check "check refuses an unknown subject" has "unknown subject 'buys'"
check "check refuses a schedule more often than every 15 minutes" has "every 15 minutes"
check "check refuses a history that is neither a date nor a span" \
	has "acme.yaml:[0-9]*:[0-9]*: .*history: 'last-year' is neither a date (2026-02-01) nor a span back (90d)"
HISTORY='    history: 2026-02-01' conf datehist
run check
check "check accepts a history date" test $RC -eq 0
conf close '    schedule: ["06:30", "12:30", "12:40"]'
run check
check "check refuses times of day closer than 15 minutes" \
	has "acme.yaml:[0-9]*:[0-9]*: .*runs at 12:30 and 12:40 are closer than the 15 minutes KSeF asks for"

# ---- the samples: a first run ----------------------------------------------------------
mkdir -p "$T/samples"
for f in "$SAMPLES"/ksef-fop-*.xml "$SAMPLES"/cirfmf-pdf-generator-invoice.xml; do
	ln -s "$f" "$T/samples/"
done
start_ksef --invoices "$T/samples" --context "$NIP:revoked-token:revoked" \
	--rate-limits '{"invoiceDownload": [1, 100, 1000]}'
conf first '    subjects: [purchase, sales]'
run fetch --here
check "first run: exit 0" test $RC -eq 0
check_eq "first run: three invoices bought by $NIP, one of them also sold" 3 "$(count_docs "$SPOOL")"
sc=$(sidecar_of 1111111111-)
check "the invoice is filed as <ksefNumber>.xml" test -f "${sc%.meta.json}"
flat "$sc"
check_eq "its number (FA P_2)" 5t4343trgfds "$(field number)"
check_eq "its gross" 955.71 "$(field gross)"
check_eq "its direction" purchase "$(field direction)"
check_eq "its KSeF number is the file's name" "$(basename "${sc%.xml.meta.json}")" "$(field ksef_number)"
check_eq "the KSeF number was found by KSeF" ksef "$(field found.ksef_number.by)"
check_eq "the factor's account" PL62101000000000001234567890 "$(field seller.account)"
eur=$(grep -l '"number": "15/2024"' "$SPOOL"/*/*/*/acme-ksef/*.meta.json)
flat "$eur"
check_eq "the EUR invoice's VAT in PLN" 99.36 "$(field vat_pln)"
check "every answer of the fixture kept to the OpenAPI" no_violations
check_eq "the session was closed at the end" 1 "$(stat_of "['sessions_closed']")"
check "no session file is left in the state directory" test ! -e "$STATE/ksef-session.json"
check_eq "the state file is the service user's only" 600 "$(stat -c %a "$STATE/ksef-state.json")"
check "KSeF's key certificate is kept" test -s "$STATE/ksef-key.json"
run status --json
check "status shows the last invoice date seen" has '"last_issue_date": "2026-02-11"'
# The factoring sample names 1111111111 as seller and buyer: filed once, as a purchase.
check_eq "status --json: counts and last invoice date by direction" \
	"purchase=3@2026-02-11 sales=0@2026-02-11" "$(subjects_of)"
run status
check "status: each subject's count and last invoice on the source's lines" \
	grep -q "^  purchase  *3 filed; last invoice 2026-02-11, stored by KSeF 20" "$T/out"
# when KSeF stored it, in the configured time zone (Europe/Warsaw by default) like every
# other time status shows, whatever the environment's TZ
stored_iso=$("$GONIEC" -c "$CONF" status --json | sed -n 's/.*"last_stored": "\([^"]*\)".*/\1/p' | head -1)
check_eq "status: when KSeF stored it, in the configured time zone" \
	"$(TZ=Europe/Warsaw date -d "$stored_iso" '+%Y-%m-%d %H:%M')" "$(TZ=Asia/Tokyo "$GONIEC" -c "$CONF" status |
		sed -n 's/^  purchase .*stored by KSeF //p')"
certs=$(stat_of "['certificates']")

# ---- the same FA(3) by another way: a folder (as from a mailbox) gets the same invoice -----
mkdir -p "$T/drop"
cp "$SAMPLES/ksef-fop-podstawowa-przyklad-4-eur.xml" "$T/drop/faktura-eur.xml"
touch -d '1 minute ago' "$T/drop/faktura-eur.xml"
cat >>"$CONF/acme.yaml" <<EOF
  - name: acme-scans
    type: folder
    path: $T/drop
    accept: [xml]
    settle: 0s
EOF
run fetch --here acme-scans
check "folder: the XML is filed" test $RC -eq 0
# The invoice as the KSeF source filed it and as the folder did: equal but for the KSeF
# number (only KSeF knows it) and where each field was found.
same_invoice() {
	python3 -c '
import json, sys
a, b = (json.load(open(p))["invoice"] for p in sys.argv[1:3])
for inv in (a, b):
    inv.pop("found", None)
    inv.pop("ksef_number", None)
if a != b:
    print(json.dumps(a, sort_keys=True), json.dumps(b, sort_keys=True))
sys.exit(a != b)' "$1" "$2"
}
from_folder=$(ls "$SPOOL"/*/*/*/acme-scans/*.meta.json)
check "folder: the same invoice fields as from KSeF (one FA(3) reader)" same_invoice "$eur" "$from_folder"
flat "$from_folder"
check_eq "folder: the direction from the company's NIP" "purchase company.nip" \
	"$(field direction) $(field found.direction.at)"
check "folder: marked a copy of the invoice KSeF gave" grep -q '"duplicate_of": ".*acme-ksef/' "$from_folder"

# ---- incremental: nothing twice, the new one once ----------------------------------------
new_invoice() {   # new_invoice NUMBER NS FORM [SELLER_NIP [BUYER_NIP]]
	cat <<EOF | base64 -w0
<?xml version="1.0" encoding="utf-8"?>
<Faktura xmlns="$2"><Naglowek><KodFormularza kodSystemowy="$3" wersjaSchemy="1-0E">FA</KodFormularza><WariantFormularza>3</WariantFormularza></Naglowek>
<Podmiot1><DaneIdentyfikacyjne><NIP>${4:-5265877635}</NIP><Nazwa>Energa sp. z o.o.</Nazwa></DaneIdentyfikacyjne><Adres><KodKraju>PL</KodKraju><AdresL1>ul. Nowa 1</AdresL1></Adres></Podmiot1>
<Podmiot2><DaneIdentyfikacyjne><NIP>${5:-$NIP}</NIP><Nazwa>ACME</Nazwa></DaneIdentyfikacyjne></Podmiot2>
<Fa><KodWaluty>PLN</KodWaluty><P_1>2026-11-20</P_1><P_2>$1</P_2><P_13_1>100.00</P_13_1><P_14_1>23.00</P_14_1><P_15>123.00</P_15><Adnotacje><P_18A>2</P_18A></Adnotacje><RodzajFaktury>VAT</RodzajFaktury></Fa></Faktura>
EOF
}
fixture invoices -X POST -d "{\"xml_b64\": \"$(new_invoice FV/NEW/1 http://crd.gov.pl/wzor/2025/06/25/13775/ 'FA (3)')\"}" >/dev/null
run fetch --here
check "second run: exit 0" test $RC -eq 0
check_eq "second run: only the new invoice is added (4 from KSeF, 1 from the folder)" 5 "$(count_docs "$SPOOL")"
check "second run: the new one is there" grep -q '"number": "FV/NEW/1"' $(find "$SPOOL" -name '*.meta.json')
run fetch --here
check_eq "third run: nothing new, nothing twice" 5 "$(count_docs "$SPOOL")"
check_eq "KSeF's key certificate is not asked for again while it is valid" "$certs" \
	"$(stat_of "['certificates']")"
# Once the kept certificate's validTo has passed, the next run asks KSeF again.
python3 -c 'import json, sys
k = json.load(open(sys.argv[1])); k["validTo"] = "2026-01-01T00:00:00.0000000+00:00"
json.dump(k, open(sys.argv[1], "w"))' "$STATE/ksef-key.json"

# ---- a non-FA(3) invoice (FA(2), which KSeF's TEST still stores) --------------------------
fixture invoices -X POST -d "{\"xml_b64\": \"$(new_invoice FV/OLD/2 http://crd.gov.pl/wzor/2023/06/29/12648/ 'FA (2)')\"}" >/dev/null
run fetch --here
fa2=$(grep -L '"number"' $(find "$SPOOL" -name '*.meta.json') | head -1)
check "FA(2): filed, not lost" test -n "$fa2"
check "FA(2): invoice.error says why" grep -q '"error": "root element <Faktura> in namespace http://crd.gov.pl/wzor/2023/06/29/12648/: not an FA(3)' "$fa2"
check "FA(2): its KSeF number is kept" grep -q '"ksef_number": "5265877635-' "$fa2"
check_eq "a certificate past its validTo is fetched again" $((certs + 1)) "$(stat_of "['certificates']")"
check "the new certificate is kept" bash -c "! grep -q 2026-01-01T00:00:00 '$STATE/ksef-key.json'"

# ---- rejected and revoked tokens -----------------------------------------------------------
conf wrong "" "" "$T/token-wrong"
run fetch --here
check_eq "wrong token: exit status 3 (needs a person)" 3 "$RC"
check "wrong token: KSeF's reason is given" has "450 .*Nieprawidłowy token"
check "wrong token: the token is not in the message" bash -c "! grep -q wrong-token '$T/out'"
conf revoked "" "" "$T/token-revoked"
run fetch --here
check_eq "revoked token: needs a person" 3 "$RC"
check "revoked token: KSeF's reason is given" has "Token unieważniony"
run status --json
check "status says needs-person" has '"needs-person"'
check_eq "nothing filed with a refused token" 0 "$(count_docs "$SPOOL")"

# ---- an access token that expires mid-run ---------------------------------------------------
conf expiry
fault '{"expire_access_after": 1}'
run fetch --here
check "expired access token: the run goes on" test $RC -eq 0
check_eq "expired access token: all five filed (the samples and the two added)" 5 "$(count_docs "$SPOOL")"
check "expired access token: it was refreshed" test "$(stat_of "['refreshed']")" -ge 1

# ---- rate limits: 429 honoured, and pacing under the limits (downloads at 1/s) --------------
conf limits
fault '{"throttle": 2, "retry_after": 1}'
start=$SECONDS
run fetch --here
check "429: the run succeeds" test $RC -eq 0
check "429: the wait KSeF asked for was kept" has "too many requests, waiting 1 s as asked"
check_eq "429: all five filed" 5 "$(count_docs "$SPOOL")"
check_eq "pacing: one download a second kept, no 429 beyond the two forced" 2 "$(stat_of "['throttled']")"
check "every answer of the fixture kept to the OpenAPI" no_violations
check "pacing: five downloads at 1/s took at least 4 s" test $((SECONDS - start)) -ge 4

# ---- a run killed mid-way: its session is kept (0600) and the next run goes on with it -------
conf resume
"$GONIEC" -c "$CONF" fetch --here >"$T/killed.out" 2>&1 &
victim=$!
# The first invoice is in (documents appear at once; sidecars with each page's sync).
wait_for 30 bash -c "ls '$SPOOL'/*/*/*/acme-ksef/*.xml >/dev/null 2>&1"
kill -9 "$victim" 2>/dev/null
wait "$victim" 2>/dev/null
check "killed run: the session file is left" test -f "$STATE/ksef-session.json"
check_eq "killed run: the session file is the service user's only" 600 "$(stat -c %a "$STATE/ksef-session.json")"
check "killed run: no token in the log" bash -c "! grep -q '$TOKEN' '$T/killed.out'"
signins=$(stat_of "['auth']")
run fetch --here
check "next run: goes on with the session" has "going on with the session of an interrupted run"
check_eq "next run: no new sign-in" "$signins" "$(stat_of "['auth']")"
check_eq "next run: everything filed once" 5 "$(count_docs "$SPOOL")"
check "next run: the session is closed and forgotten" test ! -e "$STATE/ksef-session.json"
stop_ksef

# ---- truncation: KSeF's record cap met past the first page -----------------------------------
start_ksef --generate 330 --generate-nip 5265877635 --max-records 300 \
	--rate-limits '{"invoiceMetadata": [100, 1000, 10000], "invoiceDownload": [1000, 100000, 1000000]}'
conf trunc "" "5265877635" "$T/token-gen"
run fetch --here
check "truncation: exit 0" test $RC -eq 0
check_eq "truncation: all 330 filed, across the cap at 300" 330 "$(count_docs "$SPOOL")"
check "truncation: the list restarted from the last record" test "$(stat_of "['queries']")" -ge 3
check "truncation: every answer kept to the OpenAPI" no_violations
stop_ksef

# ---- defaults, and a long history: where the first run begins, windows of at most 90 days -----
# KSeF refuses a query spanning more than three months (the fixture answers 21405), and the
# fixture's access tokens live 30 s here: less than the minute before its end at which goniec
# renews one, so every request renews it first and none meets a 401.
start_ksef --access-lifetime 30 \
	--rate-limits '{"invoiceMetadata": [100, 1000, 10000], "invoiceDownload": [100, 1000, 10000]}'
prev_month=$(TZ=Europe/Warsaw date -d "$(TZ=Europe/Warsaw date +%Y-%m-01) -1 month" +%F) # goniec's day (agent.timezone)
add_at() {   # add_at STORAGE NUMBER [SELLER BUYER]
	fixture invoices -X POST -d "{\"storage\": \"$1\", \"xml_b64\": \"$(new_invoice "$2" \
		http://crd.gov.pl/wzor/2025/06/25/13775/ 'FA (3)' "${3:-5265877635}" "${4:-$NIP}")\"}" >/dev/null
}
add_at "$(date -d "$prev_month +1 day" +%F)T12:00:00+00:00" FV/PM/IN
add_at "$(date -d "$prev_month -1 day" +%F)T12:00:00+00:00" FV/PM/OUT
add_at "$(date -u -d '150 days ago' +%FT%H:%M:%S)+00:00" FV/OLD/150
add_at "$(date -u -d '1 hour ago' +%FT%H:%M:%S)+00:00" FV/SALE/1 "$NIP" 5265877635
numbers() { sed -n 's/.*"number": "\([^"]*\)".*/\1/p' $(find "$SPOOL" -name '*.meta.json') | sort | tr '\n' ' '; }
HISTORY= conf defaults
run fetch --here
check "defaults: exit 0" test $RC -eq 0
check_eq "defaults: purchases from the first day of the previous month ($prev_month) on" \
	"FV/PM/IN " "$(numbers)"
check_eq "defaults: only the purchase subject" "purchase=1@2026-11-20" "$(subjects_of)"
run status --json
check "defaults: the schedule is three times a day" has '"schedule": "06:30 12:30 18:30'
check "access token ending within a minute: renewed before use" test "$(stat_of "['refreshed']")" -ge 1
check "access token ending within a minute: no request met a 401" \
	bash -c "! grep -q 'no longer takes the access token' '$T/out'"
HISTORY='    history: 200d' conf long '    subjects: [purchase, sales]'
# The token from the environment this time (token_env, as every secret).
sed -i "s|^    token_file: .*|    token_env: GONIEC_TEST_KSEF_TOKEN|" "$CONF/acme.yaml"
GONIEC_TEST_KSEF_TOKEN=$TOKEN run fetch --here
check "200 days of history: exit 0 (in windows KSeF accepts)" test $RC -eq 0
check_eq "200 days of history: everything, the sale and the 150-day-old purchase too" \
	"FV/OLD/150 FV/PM/IN FV/PM/OUT FV/SALE/1 " "$(numbers)"
check_eq "200 days of history: counts by direction" "purchase=3@2026-11-20 sales=1@2026-11-20" \
	"$(subjects_of)"
run status
check "status: the sales line" grep -q "^  sales  *1 filed; last invoice 2026-11-20" "$T/out"
check "windows: every answer kept to the OpenAPI" no_violations

# ---- the next run: from the high-water mark less 10 minutes, not from the history again ----
add_at "$(date -u -d '5 minutes ago' +%FT%H:%M:%S)+00:00" FV/OVERLAP
add_at "$(date -u -d '30 minutes ago' +%FT%H:%M:%S)+00:00" FV/BELOW
HISTORY= conf defaults
run fetch --here
check_eq "next run: from its mark less 10 minutes (stored 5 min before it: found; 30 min: not asked for)" \
	"FV/OVERLAP FV/PM/IN " "$(numbers)"
