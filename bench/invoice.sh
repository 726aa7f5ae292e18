#!/bin/bash
# Invoice data: 1,000 invoice PDFs rendered from the FA(3) samples (8 invoices x 5
# layouts x 25 variants, tests/fixtures/mkinvoice_pdf.py); their text read through the
# PDF text server goniec-pdftext, a forked reader per document (documents per second, the
# readers' peak memory), the field rules over those texts (documents per second), `goniec invoice` over
# all of them (both together, and the share of printed fields read, none wrong), and the
# invoice-key index filled to 1,000,000 invoices (checks per second as it grows).
# INVOICE_KEYS=N changes the index size.
set -eu
cd "$(dirname "$0")/.."
GONIEC=${GONIEC:-$PWD/build/goniec}
WORKER=$(dirname "$GONIEC")/goniec-pdftext
base=$(mktemp -d /var/tmp/goniec-bench-invoice.XXXXXX)
trap 'rm -rf "$base"' EXIT
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"

"$GONIEC" invoice --json ../shared/samples/ksef/fa3/*.xml >"$base/truth.json" 2>/dev/null || true
/usr/bin/python3 tests/fixtures/mkinvoice_pdf.py "$base/truth.json" "$base/pdf" --copies 25 --seed bench
n=$(ls "$base"/pdf/*.pdf | wc -l)

# the objects of today's sources (an old build folder may hold objects of removed files)
objs=$(find agent -name '*.c' ! -name main.c ! -path 'agent/cli/*' ! -path 'agent/pdfworker/*' | sed 's|^|build/|; s|\.c$|.o|')
cc -O2 -Iagent -D_GNU_SOURCE $(pkg-config --cflags yaml-0.1 jansson libxml-2.0) -o "$base/bench" \
	bench/invoice_bench.c $objs \
	$(pkg-config --libs yaml-0.1 libcurl jansson libxml-2.0 libcrypto zlib sqlite3) \
	$(pkg-config --libs-only-l libetpan) -lcsv -lm
# CPU time as well as wall time: the machine is shared, CPU per document is the figure that
# does not depend on the load (user + system of the bench, the server and every reader)
cpu() { read -r u s <"$1"; echo "$u + $s" | bc -l; }
/usr/bin/time -f '%U %S' -o "$base/ttime" "$base/bench" text "$WORKER" "$base"/pdf/*.pdf
printf 'text:  %.1f ms CPU per document, %.0f documents per CPU second\n' \
	"$(echo "$(cpu "$base/ttime") * 1000 / $n" | bc -l)" "$(echo "$n / $(cpu "$base/ttime")" | bc -l)"
"$base/bench" rules conf.d/invoices/rules.yaml "$base"/pdf/*.txt

/usr/bin/time -f '%e %M %U %S' -o "$base/time" "$GONIEC" -c conf.d invoice --json "$base"/pdf/*.pdf >"$base/read.json"
read -r wall kb u s <"$base/time"
printf 'goniec invoice: %d PDFs in %s s: %.1f docs/s wall, %.1f ms CPU per document, goniec peak %.1f MiB\n' \
	"$n" "$wall" "$(echo "$n / $wall" | bc -l)" "$(echo "($u + $s) * 1000 / $n" | bc -l)" "$(echo "$kb / 1024" | bc -l)"
/usr/bin/python3 tests/fixtures/cmp_invoices.py "$base/read.json" "$base/pdf" | tail -7

mkdir -p "$base/state"
/usr/bin/time -f '%e %M' -o "$base/ktime" "$base/bench" keys "$base/state" "${INVOICE_KEYS:-1000000}"
read -r wall kb <"$base/ktime"
printf 'keys: peak %.1f MiB, database %s\n' "$(echo "$kb / 1024" | bc -l)" \
	"$(du -h "$base/state/invoices.db" | cut -f1)"
