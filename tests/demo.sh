#!/bin/bash
# make demo: run goniec's main job on the example conf.d against local demo servers —
# a Dovecot IMAP server with an invoice mailbox, the HTML fixture e-BOK portal, a fixture
# Microsoft Graph (a second company's Microsoft 365 mailbox), the fixture Enable Banking
# API (the company's bank accounts), the fixture KSeF (the company's purchase invoices
# from the national e-invoice system), an SMTP server standing in for the accountant's
# mailbox — and a folder of scans; then show what landed in the spool and where the
# forwarder delivered it; then the company pays its invoices at the demo bank
# (tests/demo_pay.py books transfers naming its KSeF, mail and portal invoices) and, last,
# its payments (goniec payments: the matches and their reasons, what is left for a person,
# the HTML report). Servers listen on 127.0.0.1
# (10993 IMAPS, 10443, 10444, 10445 and 10446 HTTPS, 10025 SMTP) and stop at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
DEMO=/tmp/goniec-demo
G=$SRC/build/goniec
FIX=$SRC/tests/fixtures
PY=/usr/bin/python3   # Debian's, with python3-aiosmtpd
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	"$FIX/dovecot.sh" stop "$DEMO/dovecot" >/dev/null 2>&1 || true
}
trap cleanup EXIT
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return; sleep 0.1; done; echo "port $1 did not open"; exit 1; }

"$FIX/dovecot.sh" stop "$DEMO/dovecot" >/dev/null 2>&1 || true
rm -rf "$DEMO" spool/[0-9]* spool/quarantine state
mkdir -p "$DEMO/inbox/acme" "$DEMO/secrets" "$DEMO/tls" "$DEMO/import" "$DEMO/mail"
chmod 755 "$DEMO"

echo "== demo servers: test CA, Dovecot (IMAPS 10993), e-BOK portal (10443), Microsoft Graph (10444), Enable Banking (10445), KSeF (10446), SMTP (10025)"
tls=$DEMO/tls
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=goniec demo CA" \
	-keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$tls/server.key" \
	-out "$tls/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$tls/ext.cnf"
openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial \
	-days 2 -extfile "$tls/ext.cnf" -out "$tls/server.pem" 2>/dev/null
chmod 644 "$tls"/*
printf 'demo-password\n' >"$DEMO/secrets/imap"
printf 'tajne-haslo\n' >"$DEMO/secrets/portal"
printf 'demo-client-secret\n' >"$DEMO/secrets/m365"
openssl genrsa -out "$DEMO/secrets/enablebanking.pem" 2048 2>/dev/null
openssl req -new -x509 -days 2 -key "$DEMO/secrets/enablebanking.pem" -subj "/CN=goniec demo" \
	-out "$DEMO/enablebanking.crt" 2>/dev/null
printf 'demo-ksef-token-5260250274\n' >"$DEMO/secrets/ksef"
chmod 600 "$DEMO/secrets"/*

"$FIX/dovecot.sh" user "$DEMO/dovecot" faktury demo-password
"$FIX/dovecot.sh" start "$DEMO/dovecot" 10143 10993 "$tls/server.pem" "$tls/server.key"
$PY "$SRC/tests/demo_mail.py" "$DEMO/mail-in"
for f in "$DEMO"/mail-in/*.eml; do "$FIX/dovecot.sh" deliver "$DEMO/dovecot" faktury INBOX "$f"; done
$PY "$FIX/portal_server.py" --port 10443 --flavour html --cert "$tls/server.pem" \
	--key "$tls/server.key" >"$DEMO/portal.log" 2>&1 &
pids+=($!)
$PY "$FIX/smtp_server.py" --port 10025 --outdir "$DEMO/mail" --mode starttls \
	--cert "$tls/server.pem" --key "$tls/server.key" >"$DEMO/smtp.log" 2>&1 &
pids+=($!)
$PY "$FIX/graph_server.py" --port 10444 --cert "$tls/server.pem" --key "$tls/server.key" \
	--tenant 11111111-2222-3333-4444-555555555555 --client-id 66666666-7777-8888-9999-000000000000 \
	--secret demo-client-secret --mailbox faktury@nowak.example --inbox "$DEMO/mail-in" \
	>"$DEMO/graph.log" 2>&1 &
pids+=($!)
$PY "$FIX/enablebanking_server.py" --port 10445 --cert "$tls/server.pem" --key "$tls/server.key" \
	--app-id 6f0a3d0e-1c9b-4e8e-9a51-0d1f1e0b2c3d --public-key "$DEMO/enablebanking.crt" \
	--redirect-url https://localhost/goniec/callback --pl-transactions 4 >"$DEMO/bank.log" 2>&1 &
pids+=($!)
$PY "$FIX/ksef_server.py" --port 10446 --cert "$tls/server.pem" --key "$tls/server.key" \
	--context 5260250274:demo-ksef-token-5260250274 --generate 6 --generate-nip 5260250274 \
	>"$DEMO/ksef.log" 2>&1 &
pids+=($!)
wait_port 10993; wait_port 10443; wait_port 10025; wait_port 10444; wait_port 10445; wait_port 10446

python3 - "$DEMO/inbox/acme" <<'PY'
import sys, os
d = sys.argv[1]
def pdf(text):
    return b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n% " + text.encode() + b"\ntrailer<<>>\n%%EOF\n"
open(os.path.join(d, "skan_001.pdf"), "wb").write(pdf("scanned receipt 001"))
open(os.path.join(d, "wyciag_listopad.sta"), "wb").write(
    b":20:MT940\r\n:25:/PL61109010140000071219812874\r\n:28C:11/1\r\n:60F:C261101PLN1000,00\r\n"
    b":61:2611051105D123,45NTRFNONREF\r\n:86:Faktura TA/2026/11/0123 gaz\r\n:62F:C261130PLN876,55\r\n")
open(os.path.join(d, "zdjecie.pdf"), "wb").write(b"\xff\xd8\xff\xe0JFIF not really a pdf")
PY
touch -d '1 minute ago' "$DEMO"/inbox/acme/*

echo
echo "== goniec check"
"$G" check
echo
echo "== goniec bank link acme-bank      (connect the company's bank: a person's step)"
"$G" bank link acme-bank | tee "$DEMO/link.out" | sed 's/^/   /'
url=$(sed -n 's/^  \(https:.*\)$/\1/p' "$DEMO/link.out")
echo "   ... the person opens it and approves at the bank (the demo bank approves by itself),"
back=$(curl -sS --cacert "$tls/ca.pem" -o /dev/null -w '%{redirect_url}' "$url")
echo "   and the browser lands on: $back"
echo "== goniec bank link acme-bank --code '<that address>'"
"$G" bank link acme-bank --code "$back" | sed 's/^/   /'
echo
echo "== goniec fetch        (every source once, now)"
"$G" fetch 2>"$DEMO/fetch.log" || true
grep -E 'warning|error' "$DEMO/fetch.log" | sed 's/^/   /' || true
echo
echo "== the bank: balances and the last transaction (goniec status), and one statement filed"
"$G" status 2>/dev/null | grep -A3 '^acme-bank' | sed 's/^/   /'
stmt=$(find spool -path '*acme-bank*' -name '*.json' ! -name '*.meta.json' | sort | head -1)
python3 - "$stmt" <<'TXNS'
import json, sys
for s in json.load(open(sys.argv[1]))["statements"]:
    print("   %s: %d transactions %s..%s, closing balance %s %s" % (s["account"], len(s["transactions"]),
          s["period"]["from"], s["period"]["to"], s["closing_balance"]["amount"], s["currency"]))
    for t in s["transactions"][:4]:
        print("     %-10s %-8s %10s  %-28.28s %s" % (t.get("booking_date", "-"), t["status"], t["amount"],
              t.get("counterparty", {}).get("name", ""), t.get("title", "")))
TXNS
echo
echo "== goniec forward      (deliver new documents by the routes)"
"$G" forward 2>"$DEMO/forward.log" || true
echo
echo "== the spool (./spool)"
# Up to three documents per folder, and how many more.
(cd spool && find . -type f ! -name .gitkeep ! -name '*.meta.json' | sort |
	awk -F/ '{d=$0; sub("/[^/]*$", "", d); n[d]++; if (n[d] <= 3) print "   " $0}
		END {for (d in n) if (n[d] > 3) print "   " d "/... and " n[d] - 3 " more"}')
echo
first=$(find spool -path '*acme-mail*' -name '*.meta.json' | sort | head -1)
echo "== one sidecar: $first"
cat "$first"
echo
echo "== invoices from KSeF (acme-ksef): what each FA(3) says, from its sidecar"
$PY - spool <<'KSEF'
import glob, json, sys
rows = []
for path in sorted(glob.glob(sys.argv[1] + "/*/*/*/acme-ksef/*.meta.json")):
    inv = json.load(open(path))["invoice"]
    seller = inv.get("seller", {})
    rows.append((inv.get("ksef_number", "-"), inv.get("number", "-"), inv.get("issue_date", "-"),
                 seller.get("nip", "-"), seller.get("name", "-")[:24],
                 "%s %s" % (inv.get("gross", "-"), inv.get("currency", "")),
                 inv.get("due_date", "-"), inv.get("direction", "-")))
print("   %-36s %-14s %-10s %-10s %-24s %14s %-10s %s" % ("KSEF NUMBER", "NUMBER", "ISSUED", "SELLER NIP",
      "SELLER", "GROSS", "DUE", "DIRECTION"))
for r in rows:
    print("   %-36s %-14s %-10s %-10s %-24s %14s %-10s %s" % r)
KSEF
"$G" status 2>/dev/null | awk '/^acme-ksef/ {p = 1; print "   " $0; next} p && /^  / {print "   " $0; next} {p = 0}' || true
echo
echo "== delivered to the import folder ($DEMO/import): $(find "$DEMO/import" -type f ! -name '*.meta.json' | wc -l) documents, each with its sidecar"
(cd "$DEMO/import" && find . -type f ! -name '*.meta.json' | sort | sed 's/^/   /') >"$DEMO/import.list"
sed -n '1,6p;$p' "$DEMO/import.list"
echo
echo "== delivered to the accountant's mailbox: the SMTP server kept $(find "$DEMO/mail" -name '*.eml' | wc -l) messages"
$PY - "$DEMO/mail" <<'SHOW'
import email, email.policy, glob, sys
for path in sorted(glob.glob(sys.argv[1] + "/*.eml"))[:5]:
    m = email.message_from_binary_file(open(path, "rb"), policy=email.policy.default)
    names = [p.get_filename() for p in m.iter_attachments()]
    print("   Subject: %s   attachment: %s" % (m["Subject"], ", ".join(names)))
SHOW
echo
echo "== the mailbox after the run (taken messages moved to eksiegowy$(date +%Y))"
"$G" folders acme-mail 2>/dev/null | sed 's/^/   /' || true
echo
echo "== the next day acme pays its invoices from its bank account (the demo bank books the"
echo "   transfers), and goniec fetch acme-bank brings them"
acct=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["statements"][0]["account"])' "$stmt")
$PY "$SRC/tests/demo_pay.py" spool acme "$acct" https://127.0.0.1:10445 "$tls/ca.pem" | sed 's/^/   /'
"$G" fetch acme-bank 2>>"$DEMO/fetch.log" || true
echo
echo "== payments of acme (goniec payments acme): its bank transactions against its invoices"
echo "   (KSeF, mail, portal, a statement file); what was matched and why, what is left for a person"
"$G" payments acme 2>"$DEMO/payments.log" | sed 's/^/   /' || true
report=$(find spool -path '*/payments/*' -name 'payments-acme-*.html' | sort -V | tail -1)
echo "   the HTML report for a person: $SRC/$report"
