#!/bin/bash
# kill -9 at random moments while forwarding (one pass and --watch, >= 50 kills): after
# a last run every document is in the folder target exactly once, complete.
# serial
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
$DROP "$SPOOL" 1000 a
$DROP "$SPOOL" 1000 b 0.008 & # documents keep arriving during the kills
dpid=$!
kills=0 busy=0 working=0
ndel() { find "$OUT" -name '*.pdf' | wc -l; }
for i in $(seq 1 70); do
	before=$(ndel)
	if [ $((i % 4)) = 0 ]; then
		"$GONIEC" -c "$CONF" forward >/dev/null 2>&1 &
	else
		"$GONIEC" -c "$CONF" forward --watch >/dev/null 2>&1 &
	fi
	pid=$!
	sleep "$(printf '0.%03d' $((RANDOM % 200 + 10)))" # 10 to 210 ms
	kill -9 "$pid" 2>/dev/null && busy=$((busy + 1))
	wait "$pid" 2>/dev/null
	[ "$(ndel)" -gt "$before" ] && working=$((working + 1)) # it was delivering
	kills=$((kills + 1))
done
wait $dpid
echo "kills: $kills, of a running forwarder: $busy, of one that was delivering: $working"
check "at least 50 kills of a running forwarder" test "$busy" -ge 50
check "at least 10 kills hit a forwarder in the middle of delivering" test "$working" -ge 10
fw forward >/dev/null 2>"$T/last.log"
check "last run succeeds" test $? -eq 0
check_eq "every document delivered to the first target" 2000 "$(find "$OUT" -name '*.pdf' | wc -l)"
check_eq "every document delivered to the second target" 2000 "$(find "$T/copy" -name '*.pdf' | wc -l)"
check_eq "never twice (no suffixed copies)" 0 "$(find "$OUT" "$T/copy" -name '*-2.pdf' | wc -l)"
check_eq "no temporary files left behind" 0 "$(find "$OUT" "$T/copy" -name '.*' -type f | wc -l)"
bad=0
for f in "$SPOOL"/2026/11/21/drop/*.pdf; do
	n=${f##*/}
	cmp -s "$f" "$OUT/drop/$n" && cmp -s "$f" "$T/copy/$n" || bad=$((bad + 1))
done
check_eq "every delivered file complete, byte for byte" 0 "$bad"
check_eq "every sidecar copy there" 2000 "$(find "$OUT" -name '*.pdf.meta.json' | wc -l)"
