#!/bin/bash
# goniec statement as a person or a script uses it (text, --csv, --json read back, --json
# --summary, a broken file among good ones, MT942), and a new bank's CSV export through a
# map in conf.d/banks/ with no recompile: read by goniec statement, listed by --maps, its
# mistakes reported by goniec check at file:line:col.
source "$(dirname "$0")/lib.sh"
S=$SRC_DIR/../shared/samples
BPH=$S/mt940/bph-1-multicash.cp852-restored.txt
c=$T/conf.d
mkdir -p "$c/banks"
printf 'agent: {spool: %s/spool, state: %s/state}\n' "$T" "$T" >"$c/00-agent.yaml"
g() { "$GONIEC" -c "$c" "$@"; }

g statement "$BPH" >"$T/out" 2>&1
check_eq "text: exit 0" 0 $?
check "text: what was read, in one line" grep -qx \
	"$BPH: mt940 (structured-lt), CP852, Bank BPH: 1 statement, 4 transactions" "$T/out"
check "text: the balances reconcile" grep -qx "  reconciles" "$T/out"
check "text: a transaction with Polish letters from CP852" grep -q \
	"^  2007-01-26        -1356.12 PLN  STACJA PALIW MIKOŁAJCZYK ZAMKOWA 8 32-020 WIELICZKA | ZAPŁATA ZA PALIWO GRUDZIEŃ 06 FAKTURA 6547/2006$" "$T/out"

g statement --csv "$BPH" >"$T/csv"
check_eq "csv: a header and four rows" 5 "$(wc -l <"$T/csv")"
check_eq "csv: the second row, field by field" \
	'2007-01-26|-120000.00|PL45106000760000321000095503|FVT 25/2006 ZAPŁATA ZA KATODY DO LAMP KIENSKOPOWYCH SZT. 110 ZA UKLADY ODCHYLAJACE SZT. 11000 FVT 26/2006 ZAPLATA' \
	"$(python3 -c 'import csv, sys; r = list(csv.DictReader(open(sys.argv[1])))[1]; print("|".join([r["booking_date"], r["amount"], r["counterparty_account"], r["title"]]))' "$T/csv")"

g statement --csv "$S/mt940/nonpl-de-sepa-multistatement.sta" >"$T/csv"
check_eq "csv: a reversal (RC: of a credit, so a debit) says so" "-204.88 true SAMMLER/STORNO" \
	"$(python3 -c 'import csv, sys; r = [r for r in csv.DictReader(open(sys.argv[1])) if r["reversal"] == "true"]; print(len(r) == 2 and " ".join([r[0]["amount"], r[0]["reversal"], r[0]["type_text"]]))' "$T/csv")"

g statement --json --summary "$BPH" >"$T/json"
check_eq "json --summary: the sidecar's statement object" "PL52106000760000321000055801 45810300.95 45681482.83 -128818.12 True" \
	"$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["account"], d["opening_balance"]["amount"], d["closing_balance"]["amount"], d["debits"]["sum"], d["reconciles"])' "$T/json")"

g statement --json "$BPH" >"$T/full.json"
g statement "$BPH" --json >"$T/after.json"
check "options after the file name are options too (GNU order)" cmp -s "$T/full.json" "$T/after.json"
check_eq "json: one goniec.transactions/1 document, four transactions" "goniec.transactions/1 1 4" \
	"$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["schema"], len(d["statements"]), len(d["statements"][0]["transactions"]))' "$T/full.json")"
check_eq "json: the last transaction, field by field (Polish letters from CP852)" \
	'2007-01-26|-1356.12|PLN|STACJA PALIW MIKOŁAJCZYK ZAMKOWA 8 32-020 WIELICZKA|ZAPŁATA ZA PALIWO GRUDZIEŃ 06 FAKTURA 6547/2006|structured-lt CP852 Bank BPH' \
	"$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); t = d["statements"][0]["transactions"][2]; print("|".join([t["booking_date"], t["amount"], t["currency"], t["counterparty"]["name"], t["title"], " ".join([d["dialect"], d["encoding"], d["bank"]])]))' "$T/full.json")"
cp "$T/full.json" "$T/bph.json"
check "json: read back by goniec statement (what the file was read from kept)" grep -qx \
	"$T/bph.json: goniec.transactions/1 (structured-lt), CP852, Bank BPH: 1 statement, 4 transactions" \
	<(g statement "$T/bph.json")
check "json: ... its balances recomputed, reconciling" grep -qx "  4 transactions: 0 credits 0.00, 4 debits -128818.12" \
	<(g statement "$T/bph.json")

printf ':20:X\r\n:25:PL61109010140000071219812874\r\n:28C:1\r\n:60F:C261120PLN1,00\r\n:61:261120CNTRF\r\n' >"$T/zly.sta"
g statement "$T/zly.sta" "$S/mt940/mbank-5-mt942-interim.sta" >"$T/out" 2>"$T/err"
check_eq "a broken file: exit 1" 1 $?
check "... its error names the file and line" grep -q "$T/zly.sta: line 5: :61: no amount" "$T/err"
check "... and the next file is read all the same, an MT942 as such" grep -q \
	"mbank-5-mt942-interim.sta: mt942 (mbank), ASCII, mBank: 1 statement, 3 transactions" "$T/out"

# A bank goniec does not know: its map in conf.d/banks/.
cat >"$c/banks/nest.yaml" <<'YAML'
id: nest-historia
bank: Nest Bank
separator: "|"
decimal: "."
currency: PLN
header: [Data, Kwota, Opis]
columns: {booking_date: Data, amount: Kwota, title: Opis}
YAML
printf 'Data|Kwota|Opis\n2024-03-01|12.50|ZA FV 9/2024 ŁÓDŹ\n2024-03-02|-2.00|opłata\n' >"$T/nest.csv"
check_eq "map: goniec check takes it" "OK: 0 sources, 0 routes" "$(g check 2>&1)"
g statement --csv "$T/nest.csv" >"$T/csv"
check_eq "map: a new bank's export read by it" "12.50 ZA FV 9/2024 ŁÓDŹ|-2.00 opłata" \
	"$(python3 -c 'import csv, sys; print("|".join(r["amount"] + " " + r["title"] for r in csv.DictReader(open(sys.argv[1]))))' "$T/csv")"
check "map: listed by --maps with its file" grep -q "^#   nest-historia  *Nest Bank  *$c/banks/nest.yaml$" \
	<(g statement --maps)

printf 'id: zly\nbank: X\nseparator: ";"\ndecimal: ","\nheadr: [a]\ncolumns: {amount: Kwota}\n' >"$c/banks/zly.yaml"
g check >"$T/out" 2>&1
check_eq "a broken map: goniec check exits 2" 2 $?
check "... a misspelt key, with a hint, at its place" grep -q \
	"$c/banks/zly.yaml:5:1: error: unknown key 'headr' (did you mean 'header'?)" "$T/out"
check "... a missing date column, at columns:" grep -q \
	"$c/banks/zly.yaml:6:10: error: columns: name 'booking_date' or 'value_date'" "$T/out"
