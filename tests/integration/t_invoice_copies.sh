#!/bin/bash
# One invoice arriving three times, each by its real way in: the PDF a supplier mailed
# (an imap source against a real Dovecot), the PDF from its portal with the KSeF number
# printed (a folder source, where a portal download or a scanner drops it), and the FA(3)
# XML from KSeF (the ksef source against the KSeF API fixture, holding the real invoice
# under the KSeF number printed on its PDF). All three are filed, one original and two
# copies naming it (duplicate_of, with the reason), each a purchase of the company (its
# NIP is the buyer's), and a route with `duplicate: false` delivers the invoice once. Then
# a restart (a new run of a source) keeps recognising copies (the index is in the state
# folder).
. "$(dirname "$0")/lib.sh"
. "$SRC_DIR/tests/fixtures/imap_env.sh"

PDFS=$SRC_DIR/../shared/samples/invoices-pdf
FA3=$SRC_DIR/../shared/samples/ksef/fa3
OAS=$SRC_DIR/../shared/samples/ksef/openapi/ksef-api-2.0-open-api.json
[ -f "$OAS" ] || skip "no ../shared/samples (the KSeF OpenAPI)"
imap_require
imap_start   # the test CA, Dovecot, conf.d/00-agent.yaml (spool, state)
BUYER=6808208874                                # the invoice's buyer: our company
KSEF_NO=5265877635-20250808-9231003CA67B-BE     # printed on the portal's PDF
TOKEN=ksef-token-acme-0001

# ---- the KSeF API fixture, holding the invoice ----------------------------------------
KSEF_PORT=$(free_port)
python3 "$SRC_DIR/tests/fixtures/ksef_server.py" --port "$KSEF_PORT" --cert "$T/tls/server.pem" \
	--key "$T/tls/server.key" --oas "$OAS" --context "$BUYER:$TOKEN" >>"$T/ksef.log" 2>&1 &
at_exit "kill $! 2>/dev/null"
wait_port "$KSEF_PORT" 60 || { echo "the KSeF fixture did not start"; cat "$T/ksef.log"; exit 1; }   # it loads the OpenAPI: slow on a loaded machine
python3 -c 'import base64,json,sys
print(json.dumps({"xml_b64": base64.b64encode(open(sys.argv[1],"rb").read()).decode(), "ksef_number": sys.argv[2]}))' \
	"$FA3/cirfmf-pdf-generator-invoice.xml" "$KSEF_NO" |
	curl -s --cacert "$T/tls/ca.pem" -X POST --data-binary @- "https://127.0.0.1:$KSEF_PORT/_fixture/invoices" >/dev/null
printf '%s\n' "$TOKEN" >"$T/token"
chmod 600 "$T/token"

# ---- the mail, in Dovecot -------------------------------------------------------------
# mail_pdf PDF NAME SUBJECT — deliver a supplier's mail with the PDF attached as NAME.
mail_pdf() {
	python3 - "$@" >"$T/$2.eml" <<'PY'
import sys
from email.message import EmailMessage
m = EmailMessage()
m["From"], m["To"], m["Subject"] = "faktury@yucfo.pl", "test@localhost", sys.argv[3]
m.set_content("W załączeniu faktura.")
m.add_attachment(open(sys.argv[1], "rb").read(), maintype="application", subtype="pdf", filename=sys.argv[2])
sys.stdout.write(m.as_string())
PY
	imap_deliver test INBOX "$T/$2.eml"
}
mail_pdf "$PDFS/mf-generator-fa-yucfo-03-2026-v1.10-no-ksef-number.pdf" faktura.pdf "Faktura FA/YUCFO-4342344706/03/2026"

mkdir -p "$T/portal" "$T/import"
cat >"$T/conf.d/acme.yaml" <<YAML
company: {id: acme, name: ACME, nip: "$BUYER"}
sources:
  - name: mail
    type: imap
    host: localhost
    port: $IMAPS_PORT
    tls: ssl
    user: test
    password: secret
    ca_file: $T/tls/ca.pem
    senders: ["*@yucfo.pl"]
  - {name: portal, type: folder, path: $T/portal, settle: 0s}
  - name: ksef
    type: ksef
    nip: "$BUYER"
    token_file: $T/token
    environment: test
    base_url: https://127.0.0.1:$KSEF_PORT/v2
    ca_file: $T/tls/ca.pem
routes:
  - name: import-once
    match: {kind: invoice, duplicate: false}
    folder: {path: $T/import, name: "{file}"}
YAML
chmod 600 "$T/conf.d/acme.yaml"
cp -r "$SRC_DIR/conf.d/invoices" "$T/conf.d/"
g() { "$GONIEC" -q -c "$T/conf.d" "$@"; }
side() { find "$T/spool" -path "*/$1/*" -name "*.$2.meta.json" -not -path '*/quarantine/*' | head -1; }
field() { python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d = d.get(k) if isinstance(d, dict) else None
print("" if d is None else d)' "$1" "$2"; }

check "the mailed PDF is fetched from the mailbox" g fetch mail
cp "$PDFS/mf-generator-fa-yucfo-03-2026-with-ksef-number.pdf" "$T/portal/FA-YUCFO.pdf"
touch -d '1 minute ago' "$T/portal"/*
check "the portal's PDF is filed" g fetch portal
check "the KSeF XML is downloaded" g fetch ksef

m=$(side mail pdf) p=$(side portal pdf) k=$(side ksef xml)
check "three documents, three sidecars" test -n "$m" -a -n "$p" -a -n "$k"
first=${m#$T/spool/}
first=${first%.meta.json}
check_eq "the mailed PDF is the original" "" "$(field "$m" duplicate_of)"
check_eq "the mailed PDF's number is read from its text" FA/YUCFO-4342344706/03/2026 "$(field "$m" invoice.number)"
check_eq "... and it is a purchase: the company's NIP is the buyer's" "purchase company.nip" \
	"$(field "$m" invoice.direction) $(field "$m" invoice.found.direction.at)"
check_eq "the portal's PDF is a copy of it" "$first" "$(field "$p" duplicate_of)"
check "... because seller NIP and number agree" grep -q 'same seller NIP 5265877635' <<<"$(field "$p" duplicate_reason)"
check_eq "the KSeF XML is a copy of it" "$first" "$(field "$k" duplicate_of)"
check_eq "the XML's gross is exact (fa3)" fa3 "$(field "$k" invoice.found.gross.by)"
check_eq "its KSeF number is KSeF's" "$KSEF_NO" "$(field "$k" invoice.ksef_number)"

g forward >/dev/null
check_eq "the route delivers the invoice once" 1 "$(ls "$T/import" | wc -l)"
check "... the original" test -e "$T/import/faktura.pdf"

# another copy later, by mail again (a restart: new processes, the index from the state folder)
mail_pdf "$PDFS/mf-generator-fa-yucfo-03-2026-with-ksef-number.pdf" again.pdf "Przypomnienie"
g fetch mail
a=$(find "$T/spool" -name 'again.pdf.meta.json' | head -1)
check_eq "a copy after a restart names the same original" "$first" "$(field "$a" duplicate_of)"
check "... found by its KSeF number" grep -q 'same KSeF number' <<<"$(field "$a" duplicate_reason)"
check "the index is in the state folder, private" test "$(stat -c %a "$T/state/invoices.db")" = 600
