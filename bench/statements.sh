#!/bin/bash
# Statement files: `goniec statement --summary` on a generated MT940 file of
# STATEMENTS_MT940_MB (default 1024) and a camt.053 of STATEMENTS_CAMT_MB (default 200):
# lines (entries) per second of CPU time, wall time, peak memory — and on the same files,
# side by side, AqBanking's importer (aqbanking-cli import, swift / camt_053_001_04) and
# the npm parser mt940js (installed into ~/.cache/goniec-bench/npm, not the tree). The
# peers need memory 15-45 times the file and may fail on the big ones (each is capped at
# 3/4 of the available memory and an hour); the same comparison then runs again on
# files of STATEMENTS_PEER_MB (default 20; 0 skips it) for the ratios.
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

# peer_limits: what a peer may take, so that one that needs 15-45 times its file
# fails alone instead of taking the machine: 3/4 of the memory available now (KiB × 768 bytes), an hour
peer_limits() {
	local avail_kb; avail_kb=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)
	echo timeout 3600 prlimit --as=$((avail_kb * 768))
}

# aqbanking_import NAME UNITS COUNT FILE IMPORTER PROFILE: AqBanking's importer on FILE
aqbanking_import() {
	if ! command -v aqbanking-cli >/dev/null; then
		echo "$1: not installed (Debian aqbanking-tools; make deps)"
		return 0
	fi
	mkdir -p "$base/aq"
	# shellcheck disable=SC2046 # peer_limits prints a command and its arguments
	run "$1" "$2" "$3" $(peer_limits) aqbanking-cli --cfgdir="$base/aq" \
		import --importer="$5" --profile="$6" -f "$4" -c "$base/aq/context"
	rm -f "$base/aq/context"
}

# mt940_side_by_side LABEL FILE TRANSACTIONS LINES: goniec, AqBanking and mt940js on one file
mt940_side_by_side() {
	local label=$1 file=$2 txns=$3 lines=$4
	run "goniec-mt940-$label" lines "$lines" "$GONIEC" statement --summary "$file"
	check "goniec-mt940-$label" "$txns"
	aqbanking_import "aqbanking-mt940-$label" lines "$lines" "$file" swift SWIFT-MT940
	if [ -n "$mt940js" ]; then
		# V8 makes no string over 2^29 characters: a bigger file fails, and its line says so
		NODE_PATH=$CACHE/node_modules run "mt940js-$label" lines "$lines" \
			timeout 3600 node --max-old-space-size=16384 "$base/mt940js.js" "$file"
		[ ! -f "$base/cpu.mt940js-$label" ] || grep -q " $txns transactions" "$base/out" ||
			echo "mt940js-$label: read $(cat "$base/out")"
	fi
	ratio "goniec-mt940-$label" "aqbanking-mt940-$label"
	ratio "goniec-mt940-$label" "mt940js-$label"
}

# camt_side_by_side LABEL FILE ENTRIES: goniec and AqBanking on one camt.053 file
camt_side_by_side() {
	local label=$1 file=$2 entries=$3
	run "goniec-camt-$label" entries "$entries" "$GONIEC" statement --summary "$file"
	check "goniec-camt-$label" "$entries"
	aqbanking_import "aqbanking-camt-$label" entries "$entries" "$file" xml camt_053_001_04
	ratio "goniec-camt-$label" "aqbanking-camt-$label"
}

mt940js=
if command -v npm >/dev/null && { [ -d "$CACHE/node_modules/mt940js" ] ||
	(mkdir -p "$CACHE" && cd "$CACHE" && npm install --no-audit --no-fund --silent mt940js@1.3.5 >/dev/null 2>&1); }; then
	mt940js=yes
	cat >"$base/mt940js.js" <<'EOF'
const fs = require('fs');
const mt940js = require('mt940js');
const statements = new mt940js.Parser().parse(fs.readFileSync(process.argv[2], 'latin1'));
let n = 0;
for (const s of statements) n += s.transactions.length;
console.log(statements.length + ' statements, ' + n + ' transactions');
EOF
else
	echo "mt940js: npm or the registry not reachable"
fi

# The same big files for every reader: the goals are measured on them. A peer may run out
# of memory there (its line says so); the smaller files below give the ratios then.
read -r _ mt_txns mt_lines < <(python3 bench/mkstatements.py mt940 "$base/big.sta" "$MT940_MB")
echo "MT940: $MT940_MB MB, $mt_txns transactions, $mt_lines lines"
mt940_side_by_side "${MT940_MB}MB" "$base/big.sta" "$mt_txns" "$mt_lines"
rm -f "$base/big.sta"

read -r _ camt_txns _ < <(python3 bench/mkstatements.py camt "$base/big.xml" "$CAMT_MB")
echo "camt.053: $CAMT_MB MB, $camt_txns entries"
camt_side_by_side "${CAMT_MB}MB" "$base/big.xml" "$camt_txns"
rm -f "$base/big.xml"

[ "$PEER_MB" != 0 ] || exit 0
read -r _ p_txns p_lines < <(python3 bench/mkstatements.py mt940 "$base/peer.sta" "$PEER_MB")
read -r _ pc_txns _ < <(python3 bench/mkstatements.py camt "$base/peer.xml" "$PEER_MB")
echo "smaller files: MT940 $PEER_MB MB ($p_txns transactions, $p_lines lines), camt.053 $PEER_MB MB ($pc_txns entries)"
mt940_side_by_side "${PEER_MB}MB" "$base/peer.sta" "$p_txns" "$p_lines"
camt_side_by_side "${PEER_MB}MB" "$base/peer.xml" "$pc_txns"
