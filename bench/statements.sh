#!/bin/bash
# Statement files: `goniec statement --summary` on a generated MT940 file of
# STATEMENTS_MT940_MB (default 1024) and a camt.053 of STATEMENTS_CAMT_MB (default 200):
# lines (entries) per second of CPU time, wall time, peak memory. Then, side by side on
# smaller files of STATEMENTS_PEER_MB (default 20; the peers need memory 15-45 times the
# file), the same for AqBanking's importer (aqbanking-cli import, swift / camt_053_001_04)
# and the npm parser mt940js (installed into ~/.cache/goniec-bench/npm, not the tree).
# Files are generated into a temporary directory (bench/mkstatements.py) and removed.
set -eu
cd "$(dirname "$0")/.."
GONIEC=${GONIEC:-$PWD/build/goniec}
MT940_MB=${STATEMENTS_MT940_MB:-1024}
CAMT_MB=${STATEMENTS_CAMT_MB:-200}
PEER_MB=${STATEMENTS_PEER_MB:-20}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/goniec-bench/npm
base=$(mktemp -d /var/tmp/goniec-bench-statements.XXXXXX)
trap 'rm -rf "$base"' EXIT
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"

# run NAME UNITS COUNT CMD...: time CMD (output to $base/out) and print one line
run() {
	local name=$1 units=$2 count=$3
	shift 3
	/usr/bin/time -f '%e %U %S %M' -o "$base/time" "$@" >"$base/out" 2>"$base/err" || {
		echo "$name: failed (exit $?): $(tail -2 "$base/err")"
		return 0
	}
	local wall user sys kb
	read -r wall user sys kb <"$base/time"
	local cpu; cpu=$(echo "$user + $sys" | bc -l)
	printf '%-34s %9.2f s wall %8.2f s cpu %12.0f %s/s (cpu) %8.1f MiB peak\n' "$name" \
		"$wall" "$cpu" "$(echo "$count / ($cpu + 0.001)" | bc -l)" "$units" \
		"$(echo "$kb / 1024" | bc -l)"
	echo "$cpu" >"$base/cpu.$name"
}

# check FORMAT TXNS: goniec read every transaction and every statement reconciles
check() {
	local got bad
	got=$(grep -o '[0-9]* transactions$' "$base/out" | tail -1 | cut -d' ' -f1)
	bad=$(grep -c 'DOES NOT RECONCILE' "$base/out" || true)
	[ "$got" = "$2" ] && [ "$bad" = 0 ] || echo "$1: WRONG: $got of $2 transactions, $bad not reconciling"
}

ratio() { # A B: how many times A's CPU time B's is
	[ -f "$base/cpu.$1" ] && [ -f "$base/cpu.$2" ] || return 0
	printf '  %s / %s: %.1fx\n' "$2" "$1" "$(echo "$(cat "$base/cpu.$2") / $(cat "$base/cpu.$1")" | bc -l)"
}

read -r _ mt_txns mt_lines < <(python3 bench/mkstatements.py mt940 "$base/big.sta" "$MT940_MB")
echo "MT940: $MT940_MB MB, $mt_txns transactions, $mt_lines lines"
run "goniec mt940 ${MT940_MB}MB" lines "$mt_lines" "$GONIEC" statement --summary "$base/big.sta"
check "goniec mt940" "$mt_txns"
rm -f "$base/big.sta"

read -r _ camt_txns _ < <(python3 bench/mkstatements.py camt "$base/big.xml" "$CAMT_MB")
echo "camt.053: $CAMT_MB MB, $camt_txns entries"
run "goniec camt ${CAMT_MB}MB" entries "$camt_txns" "$GONIEC" statement --summary "$base/big.xml"
check "goniec camt" "$camt_txns"
rm -f "$base/big.xml"

read -r _ p_txns p_lines < <(python3 bench/mkstatements.py mt940 "$base/peer.sta" "$PEER_MB")
read -r _ pc_txns _ < <(python3 bench/mkstatements.py camt "$base/peer.xml" "$PEER_MB")
echo "side by side: MT940 $PEER_MB MB ($p_txns transactions, $p_lines lines), camt.053 $PEER_MB MB ($pc_txns entries)"
run goniec-mt940 lines "$p_lines" "$GONIEC" statement --summary "$base/peer.sta"
check goniec-mt940 "$p_txns"
if command -v aqbanking-cli >/dev/null; then
	mkdir -p "$base/aq"
	run aqbanking-mt940 lines "$p_lines" aqbanking-cli --cfgdir="$base/aq" import \
		--importer=swift --profile=SWIFT-MT940 -f "$base/peer.sta" -c "$base/aq/ctx.sta"
else
	echo "aqbanking-mt940: not installed (Debian aqbanking-tools; make deps)"
fi
if command -v npm >/dev/null && { [ -d "$CACHE/node_modules/mt940js" ] ||
	(mkdir -p "$CACHE" && cd "$CACHE" && npm install --no-audit --no-fund --silent mt940js@1.3.5 >/dev/null 2>&1); }; then
	cat >"$base/mt940js.js" <<'EOF'
const fs = require('fs');
const mt940js = require('mt940js');
const statements = new mt940js.Parser().parse(fs.readFileSync(process.argv[2], 'latin1'));
let n = 0;
for (const s of statements) n += s.transactions.length;
console.log(statements.length + ' statements, ' + n + ' transactions');
EOF
	NODE_PATH=$CACHE/node_modules run mt940js lines "$p_lines" node "$base/mt940js.js" "$base/peer.sta"
	grep -q " $p_txns transactions" "$base/out" || echo "mt940js: read $(cat "$base/out")"
else
	echo "mt940js: npm or the registry not reachable"
fi
ratio goniec-mt940 aqbanking-mt940
ratio goniec-mt940 mt940js
run goniec-camt entries "$pc_txns" "$GONIEC" statement --summary "$base/peer.xml"
check goniec-camt "$pc_txns"
if command -v aqbanking-cli >/dev/null; then
	run aqbanking-camt entries "$pc_txns" aqbanking-cli --cfgdir="$base/aq" import \
		--importer=xml --profile=camt_053_001_04 -f "$base/peer.xml" -c "$base/aq/ctx.xml"
fi
ratio goniec-camt aqbanking-camt
