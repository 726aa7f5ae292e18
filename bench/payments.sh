#!/bin/bash
# Payments: PAYMENTS_N (default 100000) open invoices of one company (a register export
# filed by the register source) and as many incoming transfers (one statement filed by a
# folder source), then `goniec payments update`: the CPU time the matcher takes for the
# company (its own figure, one core), the whole run (reading both documents into the
# ledger, matching, filing the report) and its peak memory; then 100 new transfers and
# the incremental run (issue 17: matching < 2 s, incremental < 50 ms).
set -eu
cd "$(dirname "$0")/.."
GONIEC=${GONIEC:-$PWD/build/goniec}
N=${PAYMENTS_N:-100000}
base=$(mktemp -d /var/tmp/goniec-bench-payments.XXXXXX)
trap 'rm -rf "$base"' EXIT
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
mkdir -p "$base/inbox" "$base/conf.d"
python3 bench/mkpayments.py "$base" "$N" >/dev/null
mv "$base/statement.json" "$base/inbox/"
cat >"$base/conf.d/bench.yaml" <<YAML
agent: {spool: $base/spool, state: $base/state, timezone: Europe/Warsaw}
company: {id: bench, name: Bench}
sources:
  - {name: bench-bank, type: folder, path: $base/inbox, settle: 0s, accept: [transactions]}
  - {name: bench-register, type: register, path: $base/register.json, format: json}
YAML
g() { "$GONIEC" -c "$base/conf.d" "$@"; }
g fetch >/dev/null 2>"$base/fetch.err" || { echo "fetch failed: $(tail -2 "$base/fetch.err")"; exit 1; }

# run NAME: goniec payments update, timed; prints the matcher's own seconds and the run's
run() {
	/usr/bin/time -f '%e %U %S %M' -o "$base/time" "$GONIEC" -c "$base/conf.d" payments update bench \
		>"$base/out" 2>"$base/err" || { echo "$1: failed: $(tail -2 "$base/err")"; exit 1; }
	local wall user sys kb match
	read -r wall user sys kb <"$base/time"
	match=$(sed -n 's/.*transactions looked at, [0-9.]* s (\([0-9.]*\) s CPU)$/\1/p' "$base/err" | tail -1)
	printf '%-24s matcher %7.3f s cpu   run %7.2f s wall %7.2f s cpu %8.1f MiB peak   %s\n' "$1" "${match:-0}" \
		"$wall" "$(echo "$user + $sys" | bc -l)" "$(echo "$kb / 1024" | bc -l)" \
		"$(sed -n 's/.* \([0-9]* changed (.*)\) of.*/\1/p' "$base/err" | tail -1)"
}
run "first run: $N x $N"
python3 bench/mkpayments.py "$base" "$N" --extra 100
mv "$base/extra.json" "$base/inbox/"
g fetch bench-bank >/dev/null 2>&1
run "incremental: 100 new"
g payments update bench >/dev/null 2>&1
run "nothing new"
