#!/bin/bash
# Making a batch durable on a quiet and on a busy disk (bench/busy.sh: a neighbour writing
# GBs through the page cache to the same disk): 1,000 new files of 20 KB and their folder,
# synced with one syncfs(2), with fsync_all() (each file, in parallel) and with
# fsync_group() (what the spool and the folder target use; core/fsyncs.h). On /var/tmp
# (a real disk). SYNC_N files per batch (default 1000), SYNC_ROUNDS (default 5).
set -eu
cd "$(dirname "$0")/.."
. bench/busy.sh
N=${SYNC_N:-1000} ROUNDS=${SYNC_ROUNDS:-5}
base=$(mktemp -d /var/tmp/goniec-bench-sync.XXXXXX)
trap 'busy_stop; rm -rf "$base"' EXIT
cc -O2 -std=gnu11 -Wall -Wextra -Iagent -D_GNU_SOURCE -o "$base/bench" bench/sync_bench.c \
	build/agent/core/fsyncs.o build/agent/core/util.o -lpthread
mkdir "$base/quiet" "$base/busy"
sync -f "$base"
echo "quiet disk ($(busy_dirty) MB unwritten on the system):"
"$base/bench" "$base/quiet" "$N" "$ROUNDS"
busy_start "$base"
echo "busy disk ($(busy_dirty) MB unwritten on the system at the start):"
"$base/bench" "$base/busy" "$N" "$ROUNDS"
echo "($(busy_dirty) MB unwritten at the end)"
busy_stop
