#!/bin/bash
# KSeF source at volume: INVOICES purchase invoices (default 10,000) for one company's NIP
# on the KSeF fixture (tests/fixtures/ksef_server.py, HTTPS with a test CA, generated FA(3)
# invoices stored over the last hour), fetched by one run of one `ksef` source: sign-in,
# the metadata pages (250 a page), one download per invoice, each filed with its FA(3)
# sidecar. The fixture's rate limits are raised as on KSeF's TEST environment
# (POST /testdata/rate-limits; production allows 64 downloads an hour, see docs/ksef.md).
# Prints the wall time, invoices per second, HTTP requests per invoice and the run's peak
# memory.
set -eu
cd "$(dirname "$0")/.."
GONIEC=${GONIEC:-$PWD/build/goniec}
INVOICES=${INVOICES:-10000}
NIP=5260250274
. bench/lib.sh
base=$(mktemp -d /var/tmp/goniec-bench-ksef.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$base"' EXIT

bench_ca "$base/tls"
port=$(bench_port)
python3 tests/fixtures/ksef_server.py --port "$port" --cert "$base/tls/server.pem" \
	--key "$base/tls/server.key" --context "$NIP:bench-token" --generate "$INVOICES" \
	--generate-nip "$NIP" \
	--rate-limits '{"invoiceMetadata": [100, 6000, 360000], "invoiceDownload": [1000, 60000, 3600000], "other": [100, 6000, 360000]}' \
	2>"$base/fixture.log" &
pid=$!
for _ in $(seq 3000); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done

mkdir -p "$base/conf.d"
printf 'bench-token\n' >"$base/token"
chmod 600 "$base/token"
cat >"$base/conf.d/ksef.yaml" <<YAML
agent: {spool: $base/spool, state: $base/state}
company: {id: acme, nip: "$NIP"}
sources:
  - {name: acme-ksef, type: ksef, nip: "$NIP", token_file: $base/token,
     base_url: "https://127.0.0.1:$port/v2", ca_file: $base/tls/ca.pem, history: 2d}
YAML

start=$(date +%s.%N)
/usr/bin/time -f '%M %U %S' -o "$base/mem" "$GONIEC" -c "$base/conf.d" fetch --here acme-ksef \
	>"$base/out" 2>&1
wall=$(echo "$(date +%s.%N) - $start" | bc -l)
docs=$(find "$base/spool" -name '*.meta.json' | wc -l)
[ "$docs" -eq "$INVOICES" ] || { echo "only $docs of $INVOICES invoices filed"; tail "$base/out"; exit 1; }
requests=$(sed -n 's/.*: \([0-9]*\) request(s) to KSeF.*/\1/p' "$base/out")
printf '%-9s %10s %12s %12s %14s\n' invoices "wall s" "invoices/s" "peak MiB" "requests/inv"
printf '%-9s %10.1f %12.1f %12.1f %14.3f\n' "$INVOICES" "$wall" "$(echo "$INVOICES / $wall" | bc -l)" \
	"$(echo "$(cut -d' ' -f1 "$base/mem") / 1024" | bc -l)" "$(echo "$requests / $INVOICES" | bc -l)"
echo "goniec cpu: user $(cut -d" " -f2 "$base/mem") s, system $(cut -d" " -f3 "$base/mem") s; load: $(cut -d" " -f1-3 /proc/loadavg)"
