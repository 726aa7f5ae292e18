#!/bin/bash
# Every source files through sources/filing.h and so reports the same counters for the
# same events: the same five documents (three PDFs, one of them again under another name,
# and a PDF cut short, without its %%EOF) are fetched once through each source type — a folder, an IMAP
# mailbox (Dovecot), the fixture Graph server and the fixture portal — and the counters of
# `goniec fetch --json` must agree: 5 looked at, 3 filed, 1 duplicate, 1 quarantined,
# 0 failed, and the bytes of the three filed documents.
. "$(dirname "$0")/lib.sh"
. "$SRC_DIR/tests/fixtures/imap_env.sh"
imap_require
imap_start

# ---- the documents, and a message for each -------------------------------------------
mkdir -p "$T/docs" "$T/mail" "$T/in"
python3 - "$T" <<'PY'
import email.message, email.utils, sys
t = sys.argv[1]
def pdf(n):
    return ("%%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%% faktura %d %s\n"
            "trailer << /Root 1 0 R >>\n%%%%EOF\n" % (n, "x" * 100 * n)).encode()
docs = [("1-a.pdf", pdf(1)), ("2-b.pdf", pdf(2)), ("3-c.pdf", pdf(3)),
        ("4-a-again.pdf", pdf(1)), ("5-cut.pdf", pdf(4)[:-20])]
for i, (name, data) in enumerate(docs):
    open(f"{t}/docs/{name}", "wb").write(data)
    m = email.message.EmailMessage()
    m["From"] = "faktury@pge.pl"
    m["To"] = "biuro@example.pl"
    m["Subject"] = f"Faktura {i + 1}"
    m["Date"] = email.utils.format_datetime(email.utils.localtime())
    m["Message-ID"] = f"<parity-{i + 1}@pge.pl>"
    m.set_content("W załączniku faktura.")
    m.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    open(f"{t}/mail/{i + 1}.eml", "wb").write(bytes(m))
print(sum(len(d) for _, d in docs[:3]), file=open(f"{t}/bytes", "w"))
PY
BYTES=$(cat "$T/bytes")
cp "$T"/docs/* "$T/in/"
for f in "$T"/mail/*.eml; do imap_deliver test INBOX "$f"; done

GRAPH_PORT=$(free_port)
python3 "$FIXTURES/graph_server.py" --port "$GRAPH_PORT" --cert "$T/tls/server.pem" \
	--key "$T/tls/server.key" --tenant t1 --client-id app --secret s3cret \
	--mailbox biuro@example.pl --inbox "$T/mail" 2>"$T/graph.log" &
at_exit "kill $! 2>/dev/null"
PORTAL_PORT=$(free_port)
python3 "$FIXTURES/portal_server.py" --port "$PORTAL_PORT" --flavour html --points 1 \
	--per-page 10 --documents "$T/docs" --cert "$T/tls/server.pem" --key "$T/tls/server.key" \
	2>"$T/portal.log" &
at_exit "kill $! 2>/dev/null"
wait_port "$GRAPH_PORT" 60 || { fail "graph fixture started"; exit 1; }
wait_port "$PORTAL_PORT" 60 || { fail "portal fixture started"; exit 1; }

# ---- one source of each type ---------------------------------------------------------
C_SENDERS='["*@pge.pl"]' imap_conf mail
mkdir -p "$T/conf.d/providers"
cp "$SRC_DIR"/conf.d/providers/*.yaml "$T/conf.d/providers/"
printf 'tajne-haslo\n' >"$T/password"
chmod 600 "$T/password"
cat >"$T/conf.d/others.yaml" <<EOF
sources:
  - {name: scans, type: folder, path: "$T/in", settle: 0s}
  - name: m365
    type: graph
    tenant: t1
    client_id: app
    client_secret: s3cret
    mailbox: biuro@example.pl
    login_url: https://localhost:$GRAPH_PORT
    graph_url: https://localhost:$GRAPH_PORT
    ca_file: $T/tls/ca.pem
    senders: ["*@pge.pl"]
EOF
demo_portal_source ebok "$PORTAL_PORT" "$T/password" "$T/tls/ca.pem" >>"$T/conf.d/others.yaml"
chmod 600 "$T/conf.d/others.yaml"

"$GONIEC" -c "$T/conf.d" fetch --here --json scans mail m365 ebok >"$T/out.json" 2>"$T/log"
check_eq "every run ends ok (a quarantined document is no failure)" 0 $?

report_lines < <(python3 - "$T/out.json" "$BYTES" <<'PY' 2>&1 || echo "FAILED: the comparison crashed"
import json, sys
runs = {r["source"]: r for r in json.load(open(sys.argv[1]))}
want = {"looked_at": 5, "filed": 3, "duplicates": 1, "quarantined": 1, "failed": 0,
        "bytes": int(sys.argv[2])}
for name, typ in (("scans", "folder"), ("mail", "imap"), ("m365", "graph"), ("ebok", "portal")):
    r = runs.get(name)
    if not r:
        print(f"FAILED: {typ}: no result")
        continue
    got = {k: r["stats"].get(k) for k in want}
    print(("ok: " if got == want else "FAILED: ") +
          f"{typ}: {got}" + ("" if got == want else f" != {want}"))
    print(("ok: " if r["outcome"] == "ok" else "FAILED: ") + f"{typ}: outcome {r['outcome']}")
PY
)
check "every source logs each duplicate the same way" test "$(grep -c 'was filed before' "$T/log")" = 4
check "... and each quarantine" test "$(grep -c 'quarantined: ' "$T/log")" = 4
