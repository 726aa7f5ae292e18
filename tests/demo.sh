#!/bin/bash
# make demo: run goniec's main job on the example conf.d against local demo servers and
# show what landed in the spool. Everything lives under /tmp/goniec-demo (the example
# conf.d points there) and the source tree's ./spool and ./state.
set -eu
cd "$(dirname "$0")/.."
DEMO=/tmp/goniec-demo
G=$PWD/build/goniec
rm -rf "$DEMO" spool/[0-9]* spool/quarantine state
mkdir -p "$DEMO/inbox/acme"

echo "== documents a scanner dropped into $DEMO/inbox/acme"
python3 - "$DEMO/inbox/acme" <<'PY'
import sys, os
d = sys.argv[1]
def pdf(text):
    return b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n% " + text.encode() + b"\ntrailer<<>>\n%%EOF\n"
open(os.path.join(d, "FV 2026-11-0123.pdf"), "wb").write(pdf("invoice 0123"))
open(os.path.join(d, "skan_001.pdf"), "wb").write(pdf("scan 001"))
open(os.path.join(d, "wyciag_listopad.sta"), "wb").write(
    b":20:MT940\r\n:25:/PL61109010140000071219812874\r\n:28C:11/1\r\n:60F:C261101PLN1000,00\r\n"
    b":61:2611051105D123,45NTRFNONREF\r\n:86:/TITLE/FV 2026-11-0123\r\n:62F:C261130PLN876,55\r\n")
open(os.path.join(d, "zdjecie.pdf"), "wb").write(b"\xff\xd8\xff\xe0JFIF not really a pdf")
PY
touch -d '1 minute ago' "$DEMO"/inbox/acme/*
ls -l "$DEMO/inbox/acme"

echo
echo "== goniec check"
"$G" check
echo
echo "== goniec fetch"
"$G" fetch || true
echo
echo "== what landed in the spool"
(cd spool && find . -type f ! -name .gitkeep | sort)
echo
first=$(find spool -name '*.meta.json' ! -path '*quarantine*' | sort | head -1)
echo "== one sidecar: $first"
cat "$first"
echo
echo "== taken files were moved to $DEMO/inbox/acme/done"
ls "$DEMO/inbox/acme/done"
