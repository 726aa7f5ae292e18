#!/bin/bash
# Forwarding benchmark: N documents (default 10,000) appear in the spool as fast as a
# script can file them; goniec forward --watch delivers them to a folder target. Then the
# same with the usual home-made forwarder (an inotifywait -m -r loop that copies each
# document when its sidecar appears), in the same run. Prints documents/s, latency from
# sidecar to delivered file (p50, p99: in place under its name, for goniec once its copy
# is durable; copy_p50, copy_p99: its copy written) and goniec's memory (VmHWM,
# and RSS at the start and end). Then the start-up rescan of a spool of RESCAN_N (default 100,000) documents
# delivered already. The spool lives under build/ (on disk, so fsyncs are real). goniec's
# run is repeated with a busy disk (bench/busy.sh: a neighbour writing GBs to the same
# disk). After each goniec run, the disk's own floor for the same (bench/forward/diskfloor.c:
# one durable delivery at a time, nothing else, FLOOR_S seconds, default 15; 0: skip).
# N, RESCAN_N (0: skip), PEER=0 (skip the inotifywait loop) and BUSY=0 shorten it.
set -u
cd "$(dirname "$0")/.."
N=${N:-10000}
GONIEC=${GONIEC:-$PWD/build/goniec}
PY=/usr/bin/python3
W=$(mktemp -d "$PWD/build/bench-forward.XXXXXX")
. bench/busy.sh
trap '[ -n "$gpid" ] && kill $gpid; [ -n "$ppid" ] && kill -- -$ppid; busy_stop; rm -rf "$W"' EXIT
gpid= ppid=
mkdir -p "$W/conf.d" "$W/target"
cat >"$W/conf.d/a.yaml" <<EOF2
agent: {spool: $W/spool, state: $W/state}
routes:
  - name: bench
    folder: {path: $W/target}
EOF2
# watched LABEL — goniec forward --watch delivering N documents dropped into a fresh spool
watched() {
	rm -rf "$W/spool" "$W/state" "$W/target" && mkdir -p "$W/target"
	"$GONIEC" -q -c "$W/conf.d" forward --watch 2>"$W/goniec.log" &
	gpid=$!
	sleep 1
	rss0=$(awk '/VmRSS/ {print $2}' /proc/$gpid/status)
	echo "goniec forward --watch ($N documents, $1):"
	$PY bench/forward/dropdocs.py "$W/spool" "$W/target" "$N" | tee "$W/goniec.json"
	rss1=$(awk '/VmRSS/ {print $2}' /proc/$gpid/status)
	hwm=$(awk '/VmHWM/ {print $2}' /proc/$gpid/status)
	echo "goniec memory: RSS ${rss0} kB at start, ${rss1} kB after; peak ${hwm} kB"
	kill $gpid; wait $gpid 2>/dev/null; gpid=
}
cc -O2 -std=gnu11 -Wall -Wextra -o "$W/diskfloor" bench/forward/diskfloor.c
# floor LABEL — the disk's own latency for one durable delivery at a time, FLOOR_S seconds
floor() {
	[ "${FLOOR_S:-15}" != 0 ] || return 0
	echo "the disk's floor: one durable delivery at a time, nothing else (${FLOOR_S:-15} s, $1):"
	rm -rf "$W/floor" && mkdir "$W/floor"
	"$W/diskfloor" "$W/floor" "${FLOOR_S:-15}" | tail -1
	rm -rf "$W/floor"
}
watched "quiet disk"
floor "quiet disk"
if [ "${BUSY:-1}" != 0 ]; then
	busy_start "$W"
	watched "busy disk, $(busy_dirty) MB unwritten by a neighbour"
	floor "busy disk, $(busy_dirty) MB unwritten"
	busy_stop
fi
if [ "${PEER:-1}" = 0 ]; then
	echo "inotifywait peer skipped (PEER=0)"
elif command -v inotifywait >/dev/null; then
	echo "inotifywait -m -r loop ($N documents, waiting at most 60 s for deliveries):"
	mkdir -p "$W/spool2" "$W/target2"
	setsid bash bench/forward/peer-inotifywait.sh "$W/spool2" "$W/target2" &
	ppid=$!
	sleep 1
	DROP_WAIT=60 $PY bench/forward/dropdocs.py "$W/spool2" "$W/target2" "$N" | tee "$W/peer.json"
	kill -- -$ppid 2>/dev/null; ppid=
else
	echo "inotifywait not installed (inotify-tools): peer skipped"
fi

RESCAN_N=${RESCAN_N:-100000}
if [ "$RESCAN_N" -gt 0 ]; then
	echo "start-up rescan of $RESCAN_N delivered documents:"
	rm -rf "$W/spool" "$W/state" "$W/target" && mkdir -p "$W/target"
	for i in $(seq 0 9); do # ten source folders of a day, as a busy office has
		$PY tests/fixtures/spool_drop.py "$W/spool" $((RESCAN_N / 10)) "r$i" 0 "2026/11/2$i" &
	done
	wait
	"$GONIEC" -q -c "$W/conf.d" forward >/dev/null
	start=$(date +%s%N)
	"$GONIEC" -q -c "$W/conf.d" forward >/dev/null
	echo "{\"documents\": $RESCAN_N, \"rescan_ms\": $(( ($(date +%s%N) - start) / 1000000 ))}"
fi
