#!/bin/bash
# A slow sync (a busy disk) does not hold up what arrives meanwhile: while one group's
# sync waits, the forwarder goes on copying the documents that come (more than the 256
# of a group, more than two groups), publishes and journals none of them before its
# group is durable, and delivers all exactly once when the sync goes on. The test build's
# sync thread waits for a file (GONIEC_FORWARD_SYNC_WAIT, core/testhook.h).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/forward_lib.sh"
fw_setup
fw_routes "routes:
  - name: imp
    folder: {path: $OUT}"
DROP="$PY $SRC_DIR/tests/fixtures/spool_drop.py"
parts() { find "$OUT" -name '.goniec-*.part' | wc -l; }
published() { find "$OUT" -name '*.pdf' | wc -l; }
copied() { [ "$(parts)" -ge "$1" ]; }
have() { [ "$(published)" -eq "$1" ]; }
journaled() { cat "$STATE/forward/journal" 2>/dev/null | grep -c "^d	"; }
journaled_all() { [ "$(journaled)" -eq 601 ]; }
GO=$T/sync-may-go

GONIEC_FORWARD_SYNC_WAIT=$GO "$GONIEC" -c "$CONF" forward --watch 2>"$T/w.log" &
pid=$!
at_exit "touch $GO; kill $pid 2>/dev/null"
wait_for 10 grep -q "watching the spool (inotify)" "$T/w.log"
$DROP "$SPOOL" 1 first 0 2026/11/22
check "the first document copied; its group's sync waits" wait_for 20 copied 1
$DROP "$SPOOL" 600 more 0 2026/11/22
check "600 more copied while that sync waits" wait_for 60 copied 601
check_eq "none published before its group is durable" 0 "$(published)"
check_eq "none journaled before its group is durable" 0 "$(journaled)"
touch "$GO"
check "all 601 delivered once the sync goes on" wait_for 60 have 601
check_eq "no temporary copy left" 0 "$(parts)"
check_eq "nothing twice" 0 "$(find "$OUT" -name '*-2.pdf' | wc -l)"
check "each journaled once" wait_for 10 journaled_all
check "status counts 601 delivered" wait_for 15 grep -q '"delivered": 601' "$STATE/forward/status.json"
kill $pid
wait $pid
check_eq "stopped cleanly" 0 $?
