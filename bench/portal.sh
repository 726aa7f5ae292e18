#!/bin/bash
# Portal source at scale: ACCOUNTS portal accounts (default 500), each with 3 consumption
# points of 12 invoices, on the HTML fixture portal (tests/fixtures/portal_server.py, HTTPS
# with a test CA, the demo-html recipe: CSRF login form, points table, invoice table, PDF
# downloads). One source per account; the runs go WORKERS at a time (default: the agent's
# default of 4 workers), each in a process of its own as the daemon runs them. Prints the
# wall time, the peak memory of one worker, and HTTP requests per document filed.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
GONIEC=${GONIEC:-$PWD/build/goniec}
ACCOUNTS=${ACCOUNTS:-500}
WORKERS=${WORKERS:-4}
base=$(mktemp -d /var/tmp/goniec-bench-portal.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$base"' EXIT

tls=$base/tls
bench_ca "$tls"

port=$(bench_port)
python3 tests/fixtures/portal_server.py --port "$port" --flavour html --accounts "$ACCOUNTS" \
	--points 3 --invoices 12 --per-page 12 --cert "$tls/server.pem" --key "$tls/server.key" &
pid=$!
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done

conf=$base/conf.d
mkdir -p "$conf/providers"
cp conf.d/providers/demo-html.yaml "$conf/providers/"
printf 'tajne-haslo\n' >"$base/password"
chmod 600 "$base/password"
{
	echo "agent: {spool: $base/spool, state: $base/state}"
	echo "sources:"
	for i in $(seq 0 $((ACCOUNTS - 1))); do
		echo "  - {name: acct-$i, type: portal, provider: demo-html, login: acct-$i,"
		echo "     password_file: $base/password, base_url: \"https://127.0.0.1:$port\","
		echo "     ca_file: $tls/ca.pem, delay: 0ms}"
	done
} >"$conf/portal.yaml"

start=$(date +%s.%N)
seq 0 $((ACCOUNTS - 1)) | xargs -P "$WORKERS" -I{} /usr/bin/time -f '%M' -a -o "$base/mem" \
	"$GONIEC" -q -c "$conf" fetch acct-{} >"$base/out" 2>&1
wall=$(echo "$(date +%s.%N) - $start" | bc -l)
docs=$(find "$base/spool" -name '*.meta.json' | wc -l)
want=$((ACCOUNTS * 3 * 12))
[ "$docs" -eq "$want" ] || { echo "only $docs of $want documents filed"; tail "$base/out"; exit 1; }
requests=$(python3 -c "import json,ssl,urllib.request as u; c=ssl.create_default_context(cafile='$tls/ca.pem'); print(json.load(u.urlopen('https://127.0.0.1:$port/_stats', context=c))['requests'])")
peak=$(sort -n "$base/mem" | tail -1)
printf '%-9s %-8s %10s %10s %12s %14s\n' accounts workers documents "wall s" "peak MiB" "requests/doc"
printf '%-9s %-8s %10s %10.1f %12.1f %14.2f\n' "$ACCOUNTS" "$WORKERS" "$docs" "$wall" \
	"$(echo "$peak / 1024" | bc -l)" "$(echo "$requests / $docs" | bc -l)"
