#!/bin/bash
# The payments ledger under kill -9 and beside a reader (docs/payments.md, "The ledger";
# issue 17): a company with a few thousand invoices and transfers (bench/mkpayments.py),
# a person's pair and rejection, then matcher runs (`goniec payments update`) killed from
# outside at random moments of their work, several rounds. After each kill the ledger
# passes PRAGMA integrity_check and the person's decisions are there; the next run
# finishes the job, and the end equals a clean run's over the same documents and
# decisions (also after killed `goniec ledger rebuild`s). Then a reader holding a read
# transaction open (WAL) does not hold up a matcher run, which writes while the reader
# keeps its consistent snapshot. Last, a run killed between filing its report and noting it
# in the ledger: the next run does not file the report again.
# timeout: 300
source "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || skip "the sqlite3 shell is not installed (make deps-check installs it)"

N=2000 CHUNKS=4
# The invoices and transfers of bench/mkpayments.py (and its 100 more transfers); the transfers in CHUNKS statements filed one after another, and a seed statement with the
# transfers a person decides: one the rules leave unmatched (paired by hand with an invoice
# nobody pays) and one naming an invoice with its amount (rejected by hand).
python3 - "$T" $N $CHUNKS "$SRC_DIR/bench/mkpayments.py" >/dev/null <<'PY'
import json, runpy, sys
d, n, k, mk = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
for args in ([], ["--extra", "100"]):
    sys.argv = [mk, d, str(n)] + args
    runpy.run_path(mk)
doc = json.load(open(d + "/statement.json"))
txns = doc["statements"][0]["transactions"]
for c in range(k):
    doc["statements"][0]["transactions"] = txns[c * n // k:(c + 1) * n // k]
    json.dump(doc, open("%s/chunk-%d.json" % (d, c), "w"), ensure_ascii=False)
reg = {i["number"]: i for i in json.load(open(d + "/register.json"))["invoices"]}
seed = [{"booking_date": "2026-02-27", "value_date": "2026-02-27", "currency": "PLN", "status": "booked",
         "amount": "123.45", "title": "wplata", "counterparty": {"name": "Nikt Znany"}},
        {"booking_date": "2026-02-28", "value_date": "2026-02-28", "currency": "PLN", "status": "booked",
         "amount": reg["FV %d/2026" % (n + 60)]["gross"], "title": "FV %d/2026" % (n + 60),
         "counterparty": {"name": "Ktos"}}]
doc["statements"][0]["transactions"] = seed
json.dump(doc, open(d + "/seed.json", "w"), ensure_ascii=False)
PY

# setup NAME — a conf.d, spool and state of their own; the register and the seed filed
setup() {
	mkdir -p "$T/$1/inbox" "$T/$1/conf.d"
	cat >"$T/$1/conf.d/acme.yaml" <<YAML
agent: {spool: $T/$1/spool, state: $T/$1/state, timezone: Europe/Warsaw}
company: {id: acme, name: Acme}
sources:
  - {name: acme-bank, type: folder, path: $T/$1/inbox, settle: 0s, accept: [transactions]}
  - {name: acme-register, type: register, path: $T/register.json, format: json}
YAML
	cp "$T/seed.json" "$T/$1/inbox/"
	"$GONIEC" -c "$T/$1/conf.d" fetch >"$T/$1.fetch" 2>&1
}
g() { local s=$1; shift; "$GONIEC" -c "$T/$s/conf.d" "$@"; }
# sql NAME QUERY — through the sqlite3 shell (starts in milliseconds; python3 takes seconds on
# a loaded machine)
sql() { sqlite3 -batch "$T/$1/state/ledger.db" "$2"; }
# decide NAME — the person's pair and rejection (transactions named by their ref)
decide() {
	local ref
	ref=$(sql "$1" "SELECT ref FROM transactions WHERE amount = 12345")
	g "$1" payments pair "$ref" "FV $((N + 50))/2026" >"$T/$1.pair" 2>&1 || return 1
	ref=$(sql "$1" "SELECT ref FROM transactions WHERE date = '2026-02-28'")
	g "$1" payments reject "$ref" "FV $((N + 60))/2026" >"$T/$1.reject" 2>&1
}
# state NAME — what the ledger decided, in a form two ledgers can be compared by
state() {
	g "$1" payments acme --json --all | python3 -c '
import json, sys
d = json.load(sys.stdin)
c = d["counts"]
print("counts", *("%s=%s" % (k, c[k]) for k in sorted(c)))
for m in sorted(m["transaction"]["ref"] + " " + " ".join(i["number"] + ":" + i["paid"] for i in m["invoices"])
                + " " + m["rule"] + " " + m["certainty"] for m in d["matched"]):
    print("matched", m)
for e in sorted(e["transaction"]["ref"] + " " + e["state"] + " " + ",".join(sorted(x["number"] for x in e["candidates"]))
                for e in d["unmatched"]):
    print("left", e)
for i in sorted(i["number"] + " " + i["open"] for i in d["open_invoices"]):
    print("open", i)'
}
decisions() { sql "$1" "SELECT group_concat(kind, ' ') FROM (SELECT kind FROM decisions ORDER BY kind)"; }

# ---- a clean run: the seed, the decisions, every chunk, one matcher run ----------------------------
setup clean
g clean payments update acme >/dev/null 2>&1
check "clean: the person's decisions are recorded" decide clean
cp "$T"/chunk-*.json "$T/clean/inbox/"
g clean fetch acme-bank >/dev/null 2>&1
start=$(date +%s%N)
g clean payments update acme >"$T/clean.update" 2>&1
check "clean: the matcher run over $N transfers completes" test $? -eq 0
run_ms=$((($(date +%s%N) - start) / 1000000))
state clean >"$T/clean.state"
check "clean: the pair and the rejection are in its result" grep -q "person certain" "$T/clean.state"
want_decisions=$(decisions clean)
check_eq "clean: two decisions" "pair reject" "$want_decisions"

# ---- the same with kill -9 in the matcher's runs ----------------------------------------------------
setup killed
g killed payments update acme >/dev/null 2>&1
decide killed
# A kill comes 0..window ms into a run's work; one that finds the run ended already halves the
# window (a loaded machine or a quick one: the kills still land inside runs).
running=0 working=0 kills=0 bad=0 window=$((run_ms / CHUNKS + 50))
for ((c = 0; c < CHUNKS; c++)); do
	cp "$T/chunk-$c.json" "$T/killed/inbox/"
	g killed fetch acme-bank >/dev/null 2>&1
	for k in 1 2 3; do # the later kills hit the runs that resume the first one's work
		kill9_in_work $window "$T/killed/state" "$T/killed/spool" -- \
			"$GONIEC" -c "$T/killed/conf.d" payments update acme
		kills=$((kills + 1)) running=$((running + KILL_RUNNING)) working=$((working + KILL_WORKING))
		integrity=$(sql killed 'PRAGMA integrity_check')
		got=$(decisions killed)
		if [ "$integrity" != ok ] || [ "$got" != "$want_decisions" ]; then
			bad=$((bad + 1))
			echo "after kill $kills: integrity '$integrity', decisions '$got'"
		fi
		[ "$KILL_RUNNING" = 1 ] || { window=$((window / 2 + 10)); break; }
	done
	g killed payments update acme >"$T/killed.update-$c" 2>&1
	check "chunk $((c + 1)): the run after the kills finishes the job" test $? -eq 0 -a \
		"$(sql killed 'SELECT count(*) FROM tx_pending')" -eq 0
done
echo "kills: $kills (window $window ms of a $run_ms ms run), $running of them while the matcher ran, $working after it had begun writing"
check_eq "after every kill: integrity_check ok and the decisions all there" 0 "$bad"
check "at least one kill hit a running matcher" test "$running" -ge 1
check_eq "all $N transfers and the seed are in the ledger" $((N + 2)) "$(sql killed 'SELECT count(*) FROM transactions')"
state killed >"$T/killed.state"
check "the result equals the clean run's (matches, what is left, open invoices, counts)" \
	cmp -s "$T/clean.state" "$T/killed.state" || diff "$T/clean.state" "$T/killed.state" | head -5
# `goniec ledger rebuild` (everything but the decisions dropped, the spool read again) killed too
rebuilt=0
for k in 1 2; do
	kill9_in_work "$run_ms" "$T/killed/state" -- "$GONIEC" -c "$T/killed/conf.d" ledger rebuild
	rebuilt=$((rebuilt + KILL_RUNNING))
	check_eq "rebuild kill $k: integrity_check ok, the decisions all there" "ok $want_decisions" \
		"$(sql killed 'PRAGMA integrity_check') $(decisions killed)"
done
g killed payments update acme >"$T/killed.update-rebuilt" 2>&1
state killed >"$T/killed.state"
check "after killed rebuilds ($rebuilt of 2 in the run): the next run gives the clean run's result" \
	cmp -s "$T/clean.state" "$T/killed.state" || diff "$T/clean.state" "$T/killed.state" | head -5
gen=$(sql killed "SELECT generation FROM companies WHERE id = 'acme'")
check "the report of the last run is filed" test -n "$(find "$T/killed/spool" -name "payments-acme-$gen.json")"
check_eq "no report left due" 0 "$(sql killed "SELECT count(*) FROM companies WHERE report_due")"

# ---- a reader holding a read transaction open does not hold up the matcher (WAL) -------------------
cp "$T/extra.json" "$T/killed/inbox/"
g killed fetch acme-bank >/dev/null 2>&1
# The reader: BEGIN and a first look (printed), then on each line it reads, the same look
# again; on "end", the transaction ended and a fresh look.
coproc READER { python3 -u -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
look = lambda: "%d %d" % db.execute("SELECT (SELECT count(*) FROM transactions), (SELECT generation FROM companies WHERE id = '"'acme'"')").fetchone()
db.execute("BEGIN")
print(look())
for line in sys.stdin:
    if line.strip() == "end":
        db.execute("COMMIT")
    print(look())' "$T/killed/state/ledger.db" 2>"$T/reader.err"; }
read -r -t 60 -u "${READER[0]}" before
start=$SECONDS
timeout 120 "$GONIEC" -c "$T/killed/conf.d" payments update acme >"$T/reader.update" 2>&1
rc=$? took=$((SECONDS - start))
check_eq "reader open: the matcher run completes" 0 "$rc"
check "reader open: promptly ($took s; waiting for the reader would take the 30 s busy time-out)" test "$took" -lt 25
check_eq "reader open: the run wrote (the 100 new transfers, a new generation)" \
	"$((N + 102)) $((gen + 1))" "$(sql killed "SELECT (SELECT count(*) FROM transactions) || ' ' || (SELECT generation FROM companies WHERE id = 'acme')")"
echo again >&"${READER[1]}"
read -r -t 60 -u "${READER[0]}" during
echo end >&"${READER[1]}"
read -r -t 60 -u "${READER[0]}" after
check_eq "reader: its snapshot from before the run, unchanged while the run wrote" "$((N + 2)) $gen/$((N + 2)) $gen" "$before/$during"
check_eq "reader: a new transaction sees the run's writes" "$((N + 102)) $((gen + 1))" "$after"

# ---- a run killed after filing its report, before the ledger noted it: not filed twice ------------
python3 - "$T" <<'PY'
import json, sys
d = sys.argv[1]
doc = json.load(open(d + "/seed.json"))
doc["statements"][0]["transactions"] = [
    {"booking_date": "2026-03-02", "value_date": "2026-03-02", "currency": "PLN", "status": "booked",
     "amount": "7.77", "title": "late", "counterparty": {"name": "Late"}}]
json.dump(doc, open(d + "/late.json", "w"), ensure_ascii=False)
PY
cp "$T/late.json" "$T/killed/inbox/"
g killed fetch acme-bank >/dev/null 2>&1
GONIEC_CRASH_AT=payments-report-filed g killed payments update acme >/dev/null 2>&1
check_eq "killed between filing the report and noting it" 99 $?
gen=$(sql killed "SELECT generation FROM companies WHERE id = 'acme'")
reports() { find "$T/killed/spool" -name "payments-acme-$gen*" ! -name '*.meta.json' | wc -l; }
check_eq "... its three forms are filed, the ledger still has it due" "3 1" \
	"$(reports) $(sql killed "SELECT report_due FROM companies WHERE id = 'acme'")"
g killed payments update acme >"$T/late.update" 2>&1
check_eq "the next run does not file it a second time" 3 "$(reports)"
check_eq "... and notes it filed" 0 "$(sql killed "SELECT count(*) FROM companies WHERE report_due")"
