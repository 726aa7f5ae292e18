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

# ---- hostile PDFs ---------------------------------------------------------------------
$PY "$TESTS_DIR/../fixtures/mkpdf_hostile.py" "$T/hostile"
good=$SRC_DIR/../shared/samples/invoices-pdf/qt-witkac-fv-2-15.pdf
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
