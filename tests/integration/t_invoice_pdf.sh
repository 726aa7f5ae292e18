#!/bin/bash
# Invoice data from PDFs through the goniec binary: PDFs rendered from the FA(3) samples
# in five layouts are read field by field against the FA(3) reading (nothing wrong, most
# fields read); hostile and broken PDFs each end in a clear outcome within the limits,
# and the files after them are still read.
source "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
$PY -c 'import reportlab' 2>/dev/null || skip "python3-reportlab is not installed (make deps)"
FA3=$SRC_DIR/../shared/samples/ksef/fa3
g() { "$GONIEC" -c "$SRC_DIR/conf.d" "$@"; }

# ---- generated layouts --------------------------------------------------------------
g invoice --json "$FA3"/*.xml >"$T/truth.json" 2>"$T/truth.err"
check "the FA(3) samples are read (one is a template with placeholders)" \
	test "$($PY -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$T/truth.json")" -ge 8
$PY "$TESTS_DIR/../fixtures/mkinvoice_pdf.py" "$T/truth.json" "$T/gen" 2>/dev/null
check "40 PDFs rendered (8 invoices x 5 layouts)" test "$(ls "$T"/gen/*.pdf | wc -l)" -eq 40
g invoice --json "$T"/gen/*.pdf >"$T/read.json"
$PY "$TESTS_DIR/../fixtures/cmp_invoices.py" "$T/read.json" "$T/gen" >"$T/cmp.txt"
rc=$?
cat "$T/cmp.txt"
check "generated PDFs: no field read wrong" test $rc -eq 0
share=$(sed -n 's/.*(\([0-9]*\)\.[0-9]% of printed fields read).*/\1/p' "$T/cmp.txt")
check "generated PDFs: at least 85% of the printed fields read (got ${share:-?}%)" test "${share:-0}" -ge 85
# The only fields left unread are the ones the readers refuse by design: the correction's
# totals of 0,00, the totals of the `complex` sample (net + VAT != gross: none is sure),
# and an invoice number without a digit (ABC/TEST/DEF). Any other miss is a label form,
# a column order or a number format the rules stopped reading.
known='^missed ksef-fop-(korygujaca-przyklad-1|podstawowa-complex)-[a-z]+ (net|vat|gross|currency): '
known+='|^missed ksef-fop-zaliczkowa-przyklad-1-[a-z]+ number: '
unexpected=$(grep '^missed ' "$T/cmp.txt" | grep -Ev "$known")
check "generated PDFs: every printed field is read but those refused by design${unexpected:+:
$unexpected}" test -z "$unexpected"
for layout in classic stacked swapped ksef letterhead; do
	read -r read_of <<<"$(awk -v l=$layout '$1 == l {print $3}' "$T/cmp.txt")"
	check "layout $layout: read ${read_of:-none} of its printed fields" \
		test "${read_of%%/*}" -ge 45 2>/dev/null
done

# ---- the same generated invoice three times: one original, two copies -----------------------
# Each FA(3) sample's invoice arrives as the classic layout's PDF (by mail), the KSeF
# layout's PDF (from a portal: another layout, a KSeF number printed) and its XML (KSeF),
# through three sources, in that order. Two samples carry nothing a PDF can be matched by
# (no number a reader takes, or a test NIP whose checksum fails): their copies stay apart.
mkdir -p "$T/three/mail" "$T/three/portal" "$T/three/ksef"
ln -s "$SRC_DIR/conf.d/invoices" "$T/three/invoices"
bases=$($PY -c 'import json,os,sys
for r in json.load(open(sys.argv[1])): print(os.path.splitext(os.path.basename(r["file"]))[0])' "$T/truth.json")
for b in $bases; do
	cp "$T/gen/$b-classic.pdf" "$T/three/mail/"
	cp "$T/gen/$b-ksef.pdf" "$T/three/portal/"
	cp "$FA3/$b.xml" "$T/three/ksef/"
done
touch -d '1 minute ago' "$T"/three/*/*
cat >"$T/three/00-agent.yaml" <<YAML
agent: {spool: $T/tspool, state: $T/tstate}
company: {id: acme, name: ACME, nip: "5260250995"}
sources:
  - {name: mail, type: folder, path: $T/three/mail, settle: 0s}
  - {name: portal, type: folder, path: $T/three/portal, settle: 0s}
  - {name: ksef, type: folder, path: $T/three/ksef, settle: 0s, accept: [xml]}
YAML
for s in mail portal ksef; do "$GONIEC" -q -c "$T/three" fetch $s >>"$T/three.out" 2>&1; done
# per invoice: the original's state and what the two copies name
$PY - "$T/tspool" $bases >"$T/three.txt" <<'PY'
import glob, json, os, sys
spool, bases = sys.argv[1], sys.argv[2:]
side = {}
for p in glob.glob(spool + "/**/*.meta.json", recursive=True):
    d = json.load(open(p))
    side[d["file"]] = (os.path.relpath(p, spool)[:-len(".meta.json")], d.get("duplicate_of"))
for b in bases:
    (m, mdup), (_, pdup), (_, kdup) = side[b + "-classic.pdf"], side[b + "-ksef.pdf"], side[b + ".xml"]
    print(b, "original" if mdup is None else "copy", "copies" if pdup == m and kdup == m else
          f"portal:{pdup} ksef:{kdup}")
PY
cat "$T/three.txt"
check_eq "eight invoices, each from three sources" 8 "$(wc -l <"$T/three.txt")"
check_eq "six of them: the mailed PDF the original, the other two its copies" \
	6 "$(grep -c ' original copies$' "$T/three.txt")"
check "an invoice number without a digit (ABC/TEST/DEF) is not read from a PDF: no copy is claimed" \
	grep -q '^ksef-fop-zaliczkowa-przyklad-1 original portal:None ksef:None$' "$T/three.txt"
check "a seller NIP failing its checksum (1234567890) is not read from a PDF: no copy is claimed" \
	grep -q '^ksef-fop-korygujaca-przyklad-1 original portal:None ksef:None$' "$T/three.txt"

# ---- goniec invoice: each field, and the rule, page and line that found it -----------------
good=$SRC_DIR/../shared/samples/invoices-pdf/qt-witkac-fv-2-15.pdf
out=$(g invoice "$good")
check "goniec invoice: the number with its rule, page and line" \
	grep -Eq '^  number +2/15 +rule number-nr, page 1, line 5$' <<<"$out"
check "... the seller's NIP printed without a label, by the block it is in" \
	grep -Eq '^  seller.nip +8393172913 +rule nip-bare-in-block, page 1, line 17$' <<<"$out"
check "... and the fields not found" grep -qx '  not found: split_payment, ksef_number, verify_url, kind' <<<"$out"
line=$(sed -n 's/^  gross .*, line \([0-9]*\)$/\1/p' <<<"$out")
check "the line named is the line of --text that holds the value (line ${line:-?})" \
	grep -q '701\.10' <<<"$(g invoice --text "$good" | sed -n "${line:-0}p")"
check "FA(3) XML: each field with its element" \
	grep -Eq '^  number +FA/YUCFO-4342344706/03/2026 +fa3 Fa/P_2$' <<<"$(g invoice "$FA3/cirfmf-pdf-generator-invoice.xml")"
mf=$SRC_DIR/../shared/samples/invoices-pdf/mf-generator-fa-yucfo-03-2026-with-ksef-number.pdf
g invoice --json "$mf" >"$T/mf.json"
check "options after the file name are options too: the same fields" cmp -s \
	<($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["invoice"])' "$T/mf.json") \
	<(g invoice "$mf" --json | $PY -c 'import json,sys; print(json.load(sys.stdin)[0]["invoice"])')
how() { $PY -c 'import json,sys
f=json.load(open(sys.argv[1]))[0]["invoice"]["found"][sys.argv[2]]
print(f["by"], f["at"], f["page"])' "$T/mf.json" "$1"; }
check_eq "--json: the KSeF number found by its rule on page 1" "rule ksef-number-label 1" "$(how ksef_number)"
check_eq "--json: the QR code's link found on page 4 of 4" "rule ksef-qr-link 4" "$(how verify_url)"

# ---- teaching a layout: a rule of one's own in conf.d/invoices/, no recompile -------------------
# The Uber invoice prints its tax-point date under a four-line column heading no shipped rule
# reads; a person's rule in conf.d teaches it.
uber=$SRC_DIR/../shared/samples/invoices-pdf/uber-poland-fv-qgyynhoi-0001419-3pages.pdf
mkdir -p "$T/teach/invoices"
printf 'agent:\n  spool: %s\n  state: %s\n' "$T/spool" "$T/state" >"$T/teach/00-agent.yaml"
export GONIEC_INVOICE_RULES_DIR=$SRC_DIR/conf.d/invoices   # the shipped rules
t() { "$GONIEC" -c "$T/teach" "$@"; }
check "untaught: the Uber invoice's sale date is not read" grep -q '^  not found: .*sale_date' <<<"$(t invoice "$uber")"
cat >"$T/teach/invoices/uber.yaml" <<'YAML'
rules:
  - {name: uber-tax-point, field: sale_date, label: '^podatkowego$', take: below, lines: 1, when: 'uber b\.?v\.?|uber poland'}
YAML
out=$(t invoice "$uber")
check "taught: read by the person's rule" grep -Eq '^  sale_date +2022-01-18 +rule uber-tax-point, page 1, line 19$' <<<"$out"
check "... the shipped rules still read the rest" grep -Eq '^  number +QGYYNHOI-03-2022-0001419 +rule ' <<<"$out"
check "goniec check accepts the person's rule" t -q check
printf 'rules:\n  - {name: broken, field: sale_date, label: "(("}\n' >"$T/teach/invoices/broken.yaml"
t check >"$T/teach.out" 2>&1
check_eq "a broken rule: goniec check exits 2" 2 $?
check "... naming its file, line and column" grep -q "invoices/broken.yaml:2:[0-9]*: error: .*regex" "$T/teach.out"
t invoice "$uber" >"$T/teach.out" 2>&1
check_eq "... and goniec invoice refuses to read with it (exit 2)" 2 $?
unset GONIEC_INVOICE_RULES_DIR

# ---- hostile PDFs ---------------------------------------------------------------------
$PY "$TESTS_DIR/../fixtures/mkpdf_hostile.py" "$T/hostile"
start=$SECONDS
g invoice --json --time-limit 5 "$T"/hostile/*.pdf "$good" >"$T/hostile.json" 2>"$T/hostile.err"
rc=$? took=$((SECONDS - start))
check "one run over every hostile PDF ends (exit $rc) within its limits (${took}s)" \
	test $rc -eq 0 -a $took -le 60
status() { $PY -c 'import json,sys
for r in json.load(open(sys.argv[1])):
    if r["file"].endswith("/" + sys.argv[2]): print(r.get("text"))' "$T/hostile.json" "$1"; }
check_eq "truncated PDF: unreadable" unreadable "$(status truncated.pdf)"
check_eq "encrypted PDF: needs a password" encrypted "$(status encrypted.pdf)"
check_eq "10,000 pages: the first 100 read" ok "$(status pages-10000.pdf)"
check "10,000 pages: says 100 of 10000 read" grep -q '"pages_read": 100' "$T/hostile.json"
check "deeply nested objects: read (or stopped at the time limit on a loaded machine)" \
	grep -qx 'ok\|time-limit' <<<"$(status nested.pdf)"
check_eq "JavaScript: the text read, the script not run" ok "$(status javascript.pdf)"
check_eq "huge image: the text read" ok "$(status huge-image.pdf)"
check "content bomb: read or stopped at the time limit" \
	grep -qx 'ok\|time-limit' <<<"$(status bomb.pdf)"
check_eq "scan without a text layer: text none" none "$(status scan.pdf)"
check "the scan's invoice says text: none" \
	$PY -c 'import json,sys
r=[r for r in json.load(open(sys.argv[1])) if r["file"].endswith("scan.pdf")][0]
sys.exit(r["invoice"].get("text") != "none")' "$T/hostile.json"
check "an unreadable PDF's invoice says why" grep -q '"error": "the PDF.s text could not be read: encrypted' "$T/hostile.json"
check_eq "the good invoice after them is read" '2/15' \
	"$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[-1]["invoice"].get("number"))' "$T/hostile.json")"
out=$(g invoice --memory-limit 16M "$good" 2>&1)
check "a memory limit too small to start the reader is said as such" grep -q 'memory-limit' <<<"$out"

# ---- hostile PDFs filed by a source: each filed with its outcome, the run goes on ----------
mkdir -p "$T/fold/in"
ln -s "$SRC_DIR/conf.d/invoices" "$T/fold/invoices"
cp "$T"/hostile/*.pdf "$good" "$T/fold/in/"
touch -d '1 minute ago' "$T"/fold/in/*
cat >"$T/fold/00-agent.yaml" <<YAML
agent: {spool: $T/fspool, state: $T/fstate, pdf: {time: 5s}}
company: {id: acme, name: ACME, nip: "5260250995"}
sources:
  - {name: scans, type: folder, path: $T/fold/in, settle: 0s}
YAML
start=$SECONDS
"$GONIEC" -q -c "$T/fold" fetch scans >"$T/fold.out" 2>&1
rc=$? took=$((SECONDS - start))
check "a folder source files the hostile PDFs in one run (exit $rc, ${took}s)" test $rc -eq 0 -a $took -le 90
side() { find "$T/fspool" -name "$1.meta.json" | head -1; }
inv() { $PY -c 'import json,sys
d=json.load(open(sys.argv[1])).get("invoice", {})
print(d.get(sys.argv[2], ""))' "$(side "$1")" "$2" 2>/dev/null; }
check_eq "every one is filed (nothing lost)" 9 "$(find "$T/fspool" -name '*.pdf.meta.json' | wc -l)"
check "the truncated PDF is kept in quarantine, saying why" \
	grep -q '"reason": "truncated PDF' "$(find "$T/fspool" -path '*quarantine*' -name 'truncated.pdf.meta.json')"
check "the encrypted PDF's sidecar says it needs a password" grep -qi 'password' <<<"$(inv encrypted.pdf error)"
check_eq "the scan's sidecar says text: none" none "$(inv scan.pdf text)"
check_eq "the good invoice filed after them is read" 2/15 "$(inv qt-witkac-fv-2-15.pdf number)"

# ---- the invoice-key index made durable with the batch, not for each invoice ------------
# The 15 sample invoices filed by one run: their keys (core/invkeys.h) are synced with the
# spool's batch — after the index's last write and before the first sidecar appears — not
# with a sync for each commit and each close (four an invoice: seconds on a busy disk).
# 200 MB left unwritten beside it make the batch sync its files one by one (fsyncs.h), so
# that the index's log must be one of them.
mkdir -p "$T/keys/in"
ln -s "$SRC_DIR/conf.d/invoices" "$T/keys/invoices"
samples=$(ls "$SRC_DIR"/../shared/samples/invoices-pdf/*.pdf | wc -l)
cp "$SRC_DIR"/../shared/samples/invoices-pdf/*.pdf "$T/keys/in/"
touch -d '1 minute ago' "$T"/keys/in/*
printf 'agent: {spool: %s, state: %s}\nsources:\n  - {name: scans, type: folder, path: %s, settle: 0s}\n' \
	"$T/kspool" "$T/kstate" "$T/keys/in" >"$T/keys/00-agent.yaml"
head -c 200M /dev/zero >"$T/unwritten"
# (LeakSanitizer cannot work under strace: off for this run in the ASan build)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	strace -f -qq -y -e trace=fdatasync,fsync,syncfs,renameat2,rename,pwrite64,write -o "$T/keys.trace" \
	"$GONIEC" -q -c "$T/keys" fetch scans >"$T/keys.out" 2>&1
rm -f "$T/unwritten"
check_eq "a run files the $samples sample invoices" "$samples" "$(find "$T/kspool" -name '*.pdf.meta.json' | wc -l)"
dups=$(grep -l '"duplicate_of": "' -r "$T/kspool" | wc -l)
check "... recognising the copies among them ($dups)" test "$dups" -ge 1
keysyncs=$(grep -Ec 'sync\([0-9]+<[^>]*invoices\.db' "$T/keys.trace")
check "the invoice-key index is synced a few times a run, not for each invoice ($keysyncs)" \
	test "$keysyncs" -le 6
# the line numbers in the trace: the first sidecar published, the index's last write before
# it, and a sync of its log (or of the whole file system) between the two
first_sidecar=$(grep -n 'rename.*goniec-tmp-[^"]*\.meta\.json"' "$T/keys.trace" | head -1 | cut -d: -f1)
last_write=$(head -n "${first_sidecar:-0}" "$T/keys.trace" | grep -n 'write[0-9]*([0-9]*<[^>]*invoices\.db-wal>' | tail -1 | cut -d: -f1)
synced=$(sed -n "${last_write:-1},${first_sidecar:-1}p" "$T/keys.trace" | grep -Ec 'fdatasync\([0-9]+<[^>]*invoices\.db-wal>|syncfs\(')
check "... its log synced after its last write, before the first sidecar appears (lines ${last_write:-none}..${first_sidecar:-none})" \
	test -n "$last_write" -a -n "$first_sidecar" -a "$synced" -ge 1

# ---- the limits in conf.d (agent.pdf) ----------------------------------------------------
mkdir -p "$T/lim"
ln -s "$SRC_DIR/conf.d/invoices" "$T/lim/invoices"
printf 'agent:\n  spool: %s\n  state: %s\n  pdf: {pages: 2, time: 30s}\n' "$T/spool" "$T/state" >"$T/lim/00-agent.yaml"
"$GONIEC" -c "$T/lim" invoice --json "$T/hostile/pages-10000.pdf" >"$T/lim.json"
check "agent.pdf.pages: 2 — the first 2 pages read" grep -Eq '"pages_read": 2($|,)' "$T/lim.json"
printf 'agent:\n  spool: %s\n  state: %s\n  pdf: {pages: 2, time: 2h}\n' "$T/spool" "$T/state" >"$T/lim/00-agent.yaml"
"$GONIEC" -c "$T/lim" check >"$T/lim.out" 2>&1
check_eq "agent.pdf out of range: goniec check exits 2" 2 $?
check "naming the place and the range" grep -q "00-agent.yaml:4:25: error: time: '2h' is out of range (1 to 3600 s)" "$T/lim.out"
