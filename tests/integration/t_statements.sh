#!/bin/bash
# Statement files through the pipeline: an MT940 e-mailed to a real Dovecot mailbox, one
# fetched from the fixture Graph server, and statements dropped into a folder source
# (MT940 in CP852, CAMT.053, CAMT.054, an mBank CSV) are read when filed — their sidecars
# carry `statement` —; a statement that cannot be read is filed all the same with
# statement.error and the daemon raises an alert for a person; a route matching
# statement.account forwards just that account's statement (also from a file of several
# accounts where it is not the first), one on statement.bank that bank's.
. "$(dirname "$0")/lib.sh"
. "$SRC_DIR/tests/fixtures/imap_env.sh"
imap_require
imap_start
S=$SRC_DIR/../shared/samples
PY=/usr/bin/python3
inbox=$T/inbox
mkdir -p "$inbox" "$T/conf.d" "$T/fwd" "$T/fwd2" "$T/fwd3" "$T/alerts"
cat >"$T/conf.d/00-agent.yaml" <<YAML
agent:
  spool: $T/spool
  state: $T/state
YAML
# mail(FILE NAME): a message from mBank with FILE attached as NAME
mail() {
	cat <<MAIL
From: wyciagi@mbank.pl
To: biuro@example.pl
Subject: Wyciag
Date: Mon, 23 Nov 2026 08:00:00 +0100
Message-ID: <$2@statements.goniec>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain

Wyciag w zalaczniku.
--b
Content-Type: application/octet-stream; name="$2"
Content-Disposition: attachment; filename="$2"
Content-Transfer-Encoding: base64

$(base64 "$1")
--b--
MAIL
}
mail "$S/mt940/mbank-2-multiple-accounts.txt" wyciag-mbank.sta >"$T/m1.eml"
imap_deliver test INBOX "$T/m1.eml"
mkdir -p "$T/graph"
mail "$S/mt940/excerpts/pkobp-1-camed-test.iso8859-2-restored.txt" wyciag-pko.sta >"$T/graph/1.eml"
GRAPH_PORT=$(free_port)
python3 "$FIXTURES/graph_server.py" --port "$GRAPH_PORT" --cert "$T/tls/server.pem" \
	--key "$T/tls/server.key" --tenant t1 --client-id app --secret s3cret \
	--mailbox biuro@example.pl --inbox "$T/graph" 2>"$T/graph.log" &
at_exit "kill $! 2>/dev/null"
wait_port "$GRAPH_PORT" 60 || { fail "graph fixture started"; exit 1; }
# one company: the mailbox (imap_conf's sources list, continued), the folder and Graph, its
# routes
C_SENDERS='["*@mbank.pl"]' imap_conf poczta 'accept: [mt940, camt]' 'move_to: null'
{
	echo "company: {id: acme, name: ACME}"
	cat "$T/conf.d/poczta.yaml"
	cat <<YAML
  - {name: skany, type: folder, path: $inbox, settle: 0s, accept: [mt940, camt, xml, csv],
     schedule: {every: 1s}}
  - {name: m365, type: graph, tenant: t1, client_id: app, client_secret: s3cret,
     mailbox: biuro@example.pl, login_url: "https://localhost:$GRAPH_PORT",
     graph_url: "https://localhost:$GRAPH_PORT", ca_file: $T/tls/ca.pem,
     senders: ["*@mbank.pl"], accept: [mt940], schedule: {every: 1h}}
routes:
  - name: konto-glowne
    match: {kind: statement, "statement.account": PL46114010100000579009004001}
    folder: {path: $T/fwd, name: "{statement.bank}-{statement.account}-{file}"}
  - name: usd-i-bph
    match: {"statement.account": ["PL35 1140 1010 0000 5790 0900 4005", "52 1060 0076 0000 3210 0005 5801"]}
    folder: {path: $T/fwd2}
  - name: bph
    match: {"statement.bank": Bank BPH}
    folder: {path: $T/fwd3}
  - name: alerty
    match: {kind: alert}
    folder: {path: $T/alerts}
YAML
} >"$T/conf.d/acme.yaml"
rm "$T/conf.d/poczta.yaml"
chmod 600 "$T/conf.d/acme.yaml" # the mailbox password

cp "$S/mt940/bph-1-multicash.cp852-restored.txt" "$inbox/bph.sta"
cp "$S/camt053/oca-test-camt053.001.04-txdtls.xml" "$inbox/camt.xml"
cp "$S/camt053/oca-test-camt054.001.04-notification.xml" "$inbox/avizo.xml"
cp "$S/csv/mbank-mbiznes-lista-operacji-2025-02.csv" "$inbox/lista.csv"

goniec_run fetch poczta skany m365
check "fetch: the three sources ok" test $? -eq 0

# field NAME PATH: a sidecar field (dotted path) of the document filed as NAME
# snapshot: every sidecar's fields, flattened, into $T/fields ("name<TAB>a.b<TAB>value")
snapshot() {
	$PY - "$T/spool" >"$T/fields" <<'PY'
import json, os, sys
def flat(prefix, v):
    if isinstance(v, dict):
        for k, x in v.items():
            yield from flat(prefix + "." + k if prefix else k, x)
    else:
        yield prefix, v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
for d, _, files in os.walk(sys.argv[1]):
    for f in files:
        if f.endswith(".meta.json"):
            s = json.load(open(os.path.join(d, f)))
            for k, v in flat("", s):
                print("%s\t%s\t%s" % (s.get("original_name"), k, v.replace("\n", " ")))
PY
}
# field NAME PATH: a sidecar field (dotted path) of the document filed as NAME, as of the
# last snapshot ("null" when it has none, "(no document)" when nothing is filed as NAME)
field() {
	awk -F'\t' -v n="$1" -v k="$2" '$1 == n { doc = 1; if ($2 == k) { print $3; got = 1; exit } }
		END { if (!got) print doc ? "null" : "(no document)" }' "$T/fields"
}
snapshot
check_eq "mail: the MT940 is filed as a statement" statement "$(field wyciag-mbank.sta kind)"
check_eq "mail: read as mbank MT940" "mt940 mbank ISO-8859-2" \
	"$(field wyciag-mbank.sta statement.format) $(field wyciag-mbank.sta statement.dialect) $(field wyciag-mbank.sta statement.encoding)"
check_eq "mail: 8 statements, 56 transactions, all reconcile" "8 56 true" \
	"$(field wyciag-mbank.sta statement.statements_count) $(field wyciag-mbank.sta statement.count) $(field wyciag-mbank.sta statement.reconciles)"
check_eq "mail: the first account and the bank" "PL46114010100000579009004001 mBank" \
	"$(field wyciag-mbank.sta statement.account) $(field wyciag-mbank.sta statement.bank)"
check_eq "graph: the MT940 attachment read (PKO BP, ISO-8859-2)" "statement mt940 structured-tilde ISO-8859-2 PKO BP" \
	"$(field wyciag-pko.sta kind) $(field wyciag-pko.sta statement.format) $(field wyciag-pko.sta statement.dialect) $(field wyciag-pko.sta statement.encoding) $(field wyciag-pko.sta statement.bank)"
check_eq "graph: its account, balances, count, reconciling" "PL44102055610000380209739045 -2671.79 -3336.72 4 true" \
	"$(field wyciag-pko.sta statement.account) $(field wyciag-pko.sta statement.opening_balance.amount) $(field wyciag-pko.sta statement.closing_balance.amount) $(field wyciag-pko.sta statement.count) $(field wyciag-pko.sta statement.reconciles)"
check_eq "folder: MT940 in CP852 (BPH)" "structured-lt CP852 Bank BPH" \
	"$(field bph.sta statement.dialect) $(field bph.sta statement.encoding) $(field bph.sta statement.bank)"
check_eq "folder: its balances and sums" "45810300.95 45681482.83 -128818.12 true" \
	"$(field bph.sta statement.opening_balance.amount) $(field bph.sta statement.closing_balance.amount) $(field bph.sta statement.debits.sum) $(field bph.sta statement.reconciles)"
check_eq "folder: CAMT.053 v04" "camt.053 camt.053.001.04 CH1111000000123456789 2" \
	"$(field camt.xml statement.format) $(field camt.xml statement.version) $(field camt.xml statement.account) $(field camt.xml statement.count)"
check_eq "folder: CAMT.054 is a notification" "camt.054 notification" \
	"$(field avizo.xml statement.format) $(field avizo.xml statement.kind)"
check_eq "folder: the mBank CSV by its map" "csv mbank-lista-operacji PL48114020040000340281920685 22 true" \
	"$(field lista.csv statement.format) $(field lista.csv statement.dialect) $(field lista.csv statement.account) $(field lista.csv statement.count) $(field lista.csv statement.reconciles)"

# A statement that cannot be read: filed with the error, and an alert for a person.
printf ':20:X\r\n:25:PL61109010140000071219812874\r\n:28C:1\r\n:60F:C261120PLN1,00\r\n:61:261120CNTRF\r\n' >"$inbox/zly.sta"
"$GONIEC" -c "$T/conf.d" run >"$T/daemon.log" 2>&1 &
DPID=$!
at_exit "kill $DPID 2>/dev/null; wait $DPID 2>/dev/null"
alert_filed() { [ -n "$(ls "$T/alerts" 2>/dev/null)" ]; }
filed() { snapshot && [ "$(field zly.sta statement.error)" != "(no document)" ]; }
check "broken statement: filed" wait_for 30 filed
check_eq "broken statement: statement.error names the file and line" \
	"zly.sta: line 5: :61: no amount" "$(field zly.sta statement.error)"
check "broken statement: the daemon files an alert for a person" wait_for 60 alert_filed
check "the alert says what to look at" grep -rq "could not be read" "$T/alerts"
kill "$DPID"; wait "$DPID" 2>/dev/null

# A route on statement.account forwards that account's statement only.
goniec_run forward
check "forward: ok" test $? -eq 0
check_eq "forward: just the mBank file (its first account), named from the statement" \
	"mBank-PL46114010100000579009004001-wyciag-mbank.sta" "$(ls "$T/fwd" | sed 's/-[0-9a-f]*\(\.sta\)$/\1/')"
check "forward: byte for byte" cmp -s "$S/mt940/mbank-2-multiple-accounts.txt" "$T/fwd/$(ls "$T/fwd")"
check_eq "forward: a route on the fifth account of the mBank file and on BPH's (written as on paper) takes both" \
	"bph.sta wyciag-mbank.sta" "$(ls "$T/fwd2" | sed 's/-[0-9a-f]*\(\.sta\)$/\1/' | sort | tr '\n' ' ' | sed 's/ $//')"
check_eq "forward: a route on statement.bank takes that bank's statement only" \
	"bph.sta" "$(ls "$T/fwd3" | sed 's/-[0-9a-f]*\(\.sta\)$/\1/')"
