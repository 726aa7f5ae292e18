#!/bin/bash
# Bank source at scale: ACCOUNTS bank accounts (default 1000) of TXNS transactions each
# (default 200, over the last 7 days) on the Enable Banking fixture
# (tests/fixtures/enablebanking_server.py, HTTPS with a test CA, JWT RS256 checked on every
# request, pages of 50). SOURCES bank sources (default 4) share the bank's accounts
# (`accounts:` lists), each linked once; their runs go WORKERS at a time (default 4), each
# in a process of its own as the daemon runs them. Prints, for the first run (7 days back,
# every page) and a second run with nothing new: the wall time, HTTP requests per
# account, and the peak memory of one worker.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
GONIEC=${GONIEC:-$PWD/build/goniec}
ACCOUNTS=${ACCOUNTS:-1000}
TXNS=${TXNS:-200}
SOURCES=${SOURCES:-4}
WORKERS=${WORKERS:-4}
APP=6f0a3d0e-1c9b-4e8e-9a51-0d1f1e0b2c3d
base=$(mktemp -d /var/tmp/goniec-bench-bank.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$base"' EXIT

tls=$base/tls
bench_ca "$tls"
openssl genrsa -out "$base/app.key" 2048 2>/dev/null
openssl req -new -x509 -days 2 -key "$base/app.key" -out "$base/app.crt" -subj "/CN=bench" 2>/dev/null
chmod 600 "$base/app.key"

port=$(bench_port)
python3 tests/fixtures/enablebanking_server.py --port "$port" --cert "$tls/server.pem" --key "$tls/server.key" \
	--app-id "$APP" --public-key "$base/app.crt" --redirect-url https://localhost/goniec/callback \
	--pl-accounts 0 --accounts "$ACCOUNTS" --transactions "$TXNS" --daily-limit 0 2>"$base/fixture.log" &
pid=$!
for _ in $(seq 300); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done

ibans=$(python3 -c 'import sys; sys.path.insert(0, "tests/fixtures"); import bankfix
print(" ".join(bankfix.nrb_iban("eb-%d" % i) for i in range(int(sys.argv[1]))))' "$ACCOUNTS")
conf=$base/conf.d
mkdir -p "$conf"
{
	echo "agent: {spool: $base/spool, state: $base/state}"
	echo "sources:"
	set -- $ibans
	per=$(((ACCOUNTS + SOURCES - 1) / SOURCES))
	for s in $(seq 0 $((SOURCES - 1))); do
		list=$(echo "${@:$((s * per + 1)):$per}" | tr ' ' ',')
		echo "  - {name: bank-$s, type: bank, provider: enablebanking, application_id: $APP,"
		echo "     private_key_file: $base/app.key, bank: Fixture Bank PL, api_url: \"https://127.0.0.1:$port\","
		echo "     ca_file: $tls/ca.pem, daily_reads: 100, accounts: [$list]}"
	done
} >"$conf/bank.yaml"
for s in $(seq 0 $((SOURCES - 1))); do
	url=$("$GONIEC" -q -c "$conf" bank link "bank-$s" | sed -n 's/^  \(https:.*\)$/\1/p')
	back=$(curl -sS --cacert "$tls/ca.pem" -o /dev/null -w '%{redirect_url}' "$url")
	"$GONIEC" -q -c "$conf" bank link "bank-$s" --code "$back" >/dev/null
done

requests() { curl -sS --cacert "$tls/ca.pem" "https://127.0.0.1:$port/_fixture/stats" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])'; }
one_round() {   # $1: label
	local before after start end
	before=$(requests)
	: >"$base/mem"
	start=$(date +%s.%N)
	seq 0 $((SOURCES - 1)) | xargs -P "$WORKERS" -I{} /usr/bin/time -f '%M' -a -o "$base/mem" \
		"$GONIEC" -q -c "$conf" fetch --here bank-{} >>"$base/out" 2>&1
	end=$(date +%s.%N)
	after=$(requests)
	printf '%-28s wall %6.1f s, %5.2f requests per account, peak memory per worker %s MiB\n' "$1" \
		"$(echo "$end - $start" | bc)" "$(echo "($after - $before) / $ACCOUNTS" | bc -l)" \
		"$(sort -n "$base/mem" | tail -1 | awk '{printf "%.1f", $1 / 1024}')"
}
echo "bank: $ACCOUNTS accounts x $TXNS transactions, $SOURCES sources, $WORKERS workers, load $(cut -d' ' -f1-3 /proc/loadavg)"
one_round "first run (7 days back)"
filed=$(find "$base/spool" -name '*.json' ! -name '*.meta.json' | wc -l)
txns=$(find "$base/spool" -name '*.json' ! -name '*.meta.json' -exec grep -c '"status": "booked"' {} + |
	awk -F: '{s += $NF} END {print s}')
echo "  filed $filed statements holding $txns transactions"
one_round "second run (nothing new)"
[ "$(find "$base/spool" -name '*.json' ! -name '*.meta.json' | wc -l)" = "$filed" ] || echo "  (the second run filed something)"
grep -v ' ok — ' "$base/out" | head -5 || true
