#!/bin/bash
# kill -9 at random moments while forwarding (one pass and --watch, >= 50 kills): after
# a last run every document is in the folder target exactly once, complete.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/forward_lib.sh"
fw_setup
fw_routes "routes:
  - name: imp
    folder: {path: $OUT, name: '{source}/{stem}.{ext}', sidecar: true}
  - name: copy
    folder: {path: $T/copy}"
mkdir -p "$T/copy"
DROP="$PY $SRC_DIR/tests/fixtures/spool_drop.py"
$DROP "$SPOOL" 300 a
kills=0 busy=0
for i in $(seq 1 60); do
	if [ $((i % 2)) = 0 ]; then
		"$GONIEC" -c "$CONF" forward >/dev/null 2>&1 &
	else
		"$GONIEC" -c "$CONF" forward --watch >/dev/null 2>&1 &
	fi
	pid=$!
	[ "$i" = 20 ] && $DROP "$SPOOL" 200 b 0.001 &
	sleep "0.0$((RANDOM % 9 + 1))"
	kill -9 "$pid" 2>/dev/null && busy=$((busy + 1))
	wait "$pid" 2>/dev/null
	kills=$((kills + 1))
done
wait
delivered_before=$(find "$OUT" -name '*.pdf' | wc -l)
echo "kills: $kills, of a running forwarder: $busy, delivered before the last run: $delivered_before"
check "at least 50 kills of a running forwarder" test "$busy" -ge 50
check "the kills landed mid-way (not everything delivered yet)" test "$delivered_before" -lt 1000
fw forward >/dev/null 2>"$T/last.log"
check "last run succeeds" test $? -eq 0
check_eq "every document delivered to the first target" 500 "$(find "$OUT" -name '*.pdf' | wc -l)"
check_eq "every document delivered to the second target" 500 "$(find "$T/copy" -name '*.pdf' | wc -l)"
check_eq "never twice (no suffixed copies)" 0 "$(find "$OUT" "$T/copy" -name '*-2.pdf' | wc -l)"
check_eq "no temporary files left behind" 0 "$(find "$OUT" "$T/copy" -name '.*' -type f | wc -l)"
bad=0
for f in "$SPOOL"/2026/11/21/drop/*.pdf; do
	n=${f##*/}
	cmp -s "$f" "$OUT/drop/$n" && cmp -s "$f" "$T/copy/$n" || bad=$((bad + 1))
done
check_eq "every delivered file complete, byte for byte" 0 "$bad"
check_eq "every sidecar copy there" 500 "$(find "$OUT" -name '*.pdf.meta.json' | wc -l)"
