#!/bin/bash
# kill -9 at random moments while forwarding (one pass and --watch): at least 100 kills
# of a running forwarder, at least 30 of them while it was delivering, however loaded the
# machine (each kill waits for the forwarder to start writing, kill9_in_work in lib.sh);
# documents keep arriving throughout. After a last run every document is in both folder
# targets exactly once, complete, with nothing half-written left.
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
$DROP "$SPOOL" 300 a
$DROP "$SPOOL" 100000 b 0.02 & # documents keep arriving until the kills are done
dpid=$!
at_exit "kill $dpid 2>/dev/null"

kills=0 busy=0 working=0
while { [ "$busy" -lt 100 ] || [ "$working" -lt 30 ]; } && [ "$kills" -lt 300 ]; do
	if [ $((kills % 4)) = 0 ]; then mode=forward; else mode="forward --watch"; fi
	kill9_in_work 150 "$OUT" "$OUT/drop" "$T/copy" -- "$GONIEC" -c "$CONF" $mode
	busy=$((busy + KILL_RUNNING)) working=$((working + KILL_WORKING)) kills=$((kills + 1))
done
kill "$dpid"
wait "$dpid" 2>/dev/null
echo "kills: $kills, of a running forwarder: $busy, of one that was delivering: $working"
check "at least 100 kills of a running forwarder ($busy of $kills)" test "$busy" -ge 100
check "at least 30 kills hit a forwarder in the middle of delivering ($working)" test "$working" -ge 30

fw forward >/dev/null 2>"$T/last.log"
check "last run succeeds" test $? -eq 0
# every complete document of the spool (its sidecar there) in both targets, byte for
# byte, with its sidecar copy in the first; nothing else, nothing twice, nothing partial
$PY - "$SPOOL/2026/11/21/drop" "$OUT/drop" "$T/copy" <<'PY' | report_lines
import os, sys
spool, first, second = sys.argv[1:4]
# a dot-name is the drop script's file under way when it was stopped: not a document yet
docs = sorted(n[:-10] for n in os.listdir(spool)
              if n.endswith(".pdf.meta.json") and not n.startswith("."))
print(f"ok: {len(docs)} documents filed" if len(docs) >= 300 else "FAILED: too few documents")
def same(a, b):
    try:
        return open(a, "rb").read() == open(b, "rb").read()
    except OSError:
        return False
for where, side in ((first, True), (second, False)):
    bad = [n for n in docs if not same(os.path.join(spool, n), os.path.join(where, n))
           or (side and not os.path.exists(os.path.join(where, n + ".meta.json")))]
    want = {n for n in docs} | ({n + ".meta.json" for n in docs} if side else set())
    extra = sorted(set(os.listdir(where)) - want)
    print(f"ok: {where}: every document delivered, complete" if not bad else
          f"FAILED: {where}: {len(bad)} missing or different, e.g. {bad[0]}")
    print(f"ok: {where}: nothing twice, nothing partial" if not extra else
          f"FAILED: {where}: {len(extra)} other files, e.g. {extra[0]}")
PY
