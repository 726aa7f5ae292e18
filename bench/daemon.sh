#!/bin/bash
# The daemon with many folder sources (files of 100 sources each, one company per file;
# each source's folder holds one small PDF; `schedule: manual`), on /var/tmp (a real
# disk):
#   - `goniec check` of 15, 1,500 and N sources (CPU; loading must grow linearly);
#   - daemon start (launch until the control socket answers `status`), master memory;
#   - the cost of one run through the daemon with 15 and with N sources in conf.d, each
#     filing one new document: the daemon's CPU (its whole tree's before and after `goniec
#     fetch NAME`, median of RUNS: workers live on from run to run, so the master's
#     finished children no longer hold a run's CPU) and the wall time of the fetch;
#   - all N sources run once (`goniec fetch` through the socket, default workers);
#   - master memory after, and `goniec status` / `status --json` (wall and CPU);
#   - three shards (0/3, 1/3, 2/3: three daemons over one conf.d of NS sources, 5 to a
#     company) each fetching all of its sources at once: the wall time until the three
#     are done, whether every source ran exactly once (ok, one document filed) in the
#     shard of its company, and whether the union of their spools holds every document
#     once.
# N=BENCH_DAEMON_SOURCES (default 15000), RUNS=BENCH_DAEMON_RUNS (default 9),
# NS=BENCH_DAEMON_SHARD_SOURCES (default 3000).
set -eu
source "$(dirname "$0")/lib.sh" # cpu_ms, median
GONIEC=${GONIEC:-$(cd "$(dirname "$0")/.." && pwd)/build/goniec}
N=${BENCH_DAEMON_SOURCES:-15000}
RUNS=${BENCH_DAEMON_RUNS:-9}
NS=${BENCH_DAEMON_SHARD_SOURCES:-3000}
base=$(mktemp -d /var/tmp/goniec-bench-daemon.XXXXXX)
pid= shard_pids=()
trap 'kill $pid "${shard_pids[@]}" 2>/dev/null || true; wait 2>/dev/null; rm -rf "$base"' EXIT

# make_conf DIR COUNT [AGENT-EXTRA PER-COMPANY]: COUNT folder sources with one 2 KB PDF
# each, 100 (or PER-COMPANY) to a company.
make_conf() {
	python3 "$(dirname "$0")/../tests/fixtures/many_sources.py" "$1" "$2" "${3:-}" 2000 "${4:-100}"
}
ms() { date +%s%N | cut -b1-13; }
rss_mib() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
# The daemon's whole CPU so far, in ms: the master's own, its finished children's (workers,
# matcher runs), and its running children's with theirs (the shared PDF text server and
# the readers it has reaped; the forwarder).
tree_ms() {
	local hz p
	hz=$(getconf CLK_TCK)
	for p in "$1" $(cat "/proc/$1/task/$1/children" 2>/dev/null); do
		cat "/proc/$p/stat" 2>/dev/null
	done | awk -v hz="$hz" '{sub(/^.*\) /, "")
		t += $12 + $13 + $14 + $15} END {printf "%d", t * 1000 / hz}'
}
# wait_daemon DIR STATE [--shard K]: until the daemon of conf.d DIR answers `status`.
wait_daemon() {
	until [ -S "$2/control.sock" ] && "$GONIEC" -q -c "$1/conf.d" ${3:+"$3" "$4"} status --json >/dev/null 2>&1; do
		sleep 0.02
	done
}
start_daemon() { # DIR
	"$GONIEC" -q -c "$1/conf.d" run 2>"$1/daemon.log" &
	pid=$!
	wait_daemon "$1" "$1/state"
}
stop_daemon() { kill "$pid"; wait "$pid" || true; pid=; }
# One source run again and again through the daemon: "the daemon's CPU ms, fetch wall ms".
one_run() { # DIR
	local w=() f=() i a t0
	for i in $(seq "$RUNS"); do
		printf '%%PDF-1.4\n%s\n%%%%EOF\n' "$i-$RANDOM" >"$1/in/s00007/FV-again-$i.pdf"
		a=$(tree_ms "$pid")
		t0=$(ms)
		"$GONIEC" -q -c "$1/conf.d" fetch s00007 >/dev/null
		f+=($(($(ms) - t0)))
		w+=($(($(tree_ms "$pid") - a)))
	done
	echo "$(printf '%s\n' "${w[@]}" | median) ms CPU, $(printf '%s\n' "${f[@]}" | median) ms wall"
}

echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
for n in 15 1500 "$N"; do
	make_conf "$base/c$n" "$n"
	c=()
	for i in 1 2 3 4 5; do c+=("$(cpu_ms "$GONIEC" -q -c "$base/c$n/conf.d" check)"); done
	echo "check ($n sources): $(printf '%s\n' "${c[@]}" | median) ms CPU (median of 5)"
done

start_daemon "$base/c15"
echo "one run with 15 sources in conf.d: $(one_run "$base/c15") (median of $RUNS)"
stop_daemon

d=$base/c$N
t0=$(ms)
start_daemon "$d"
echo "daemon start ($N sources) until it answers: $(($(ms) - t0)) ms"
sleep 1
echo "master RSS at rest: $(rss_mib "$pid") MiB"
echo "one run with $N sources in conf.d: $(one_run "$d") (median of $RUNS)"
a=$(tree_ms "$pid")
t0=$(ms)
"$GONIEC" -q -c "$d/conf.d" fetch >"$d/fetch.out"
t1=$(ms)
ok=$(grep -c ': ok' "$d/fetch.out" || true)
filed=$(find "$d/spool" -name '*.meta.json' | wc -l)
cpu=$(($(tree_ms "$pid") - a))
echo "run all $N sources once (default workers): $((t1 - t0)) ms ($ok ok, $filed documents;" \
	"the daemon's CPU $cpu ms, $((cpu / N)) ms a source, $((cpu / 2000)) s on 2 free cores;" \
	"load average $(cut -d' ' -f1-3 /proc/loadavg))"
echo "master RSS after the runs: $(rss_mib "$pid") MiB"
for opt in "" --json; do
	t0=$(ms)
	c=$(cpu_ms "$GONIEC" -q -c "$d/conf.d" status $opt)
	echo "status $opt ($N sources): $(($(ms) - t0)) ms wall, $c ms CPU"
done
stop_daemon

# Three shards over one conf.d, as three machines would run them.
S=$base/shards
make_conf "$S" "$NS" ", shard: {of: 3}" 5
for k in 0 1 2; do
	"$GONIEC" -q -c "$S/conf.d" run --shard "$k" 2>"$S/shard$k.log" &
	shard_pids+=($!)
done
for k in 0 1 2; do wait_daemon "$S" "$S/state/shard-$k" --shard "$k"; done
t0=$(ms)
fetches=()
for k in 0 1 2; do
	"$GONIEC" -q -c "$S/conf.d" --shard "$k" fetch >"$S/fetch$k.out" 2>&1 &
	fetches+=($!)
done
wait "${fetches[@]}"
t1=$(ms)
"$GONIEC" -q -c "$S/conf.d" list | awk 'NR > 1 {print $1, $NF}' | sort >"$S/list"
for k in 0 1 2; do
	"$GONIEC" -q -c "$S/conf.d" --shard "$k" status --json | python3 -c 'import json, sys
d = json.load(sys.stdin)
for s in d["sources"]:
    if s["outcome"] == "ok" and s["stats"]["filed"] == 1:
        print(s["name"], sys.argv[1])' "$k"
done | sort >"$S/ran"
once=$(comm -12 "$S/list" "$S/ran" | wc -l)
# spool/shard-K/YYYY/MM/DD/<source>/FV-<i>.pdf
find "$S"/spool/shard-* -name 'FV-*.pdf' | awk -F/ '{print $NF}' | sort >"$S/docs"
echo "three shards over $NS sources, each fetching all of its own at once: $((t1 - t0)) ms;" \
	"$once of $NS ran once, ok, in the shard of their company ($(wc -l <"$S/ran") runs in all," \
	"per shard $(cut -d' ' -f2 "$S/ran" | sort | uniq -c | awk '{printf "%s%s", sep, $1; sep = "/"}'));" \
	"the spools hold $(wc -l <"$S/docs") documents, $(uniq <"$S/docs" | wc -l) distinct" \
	"(load average $(cut -d' ' -f1-3 /proc/loadavg))"
kill "${shard_pids[@]}"
wait "${shard_pids[@]}" || true
shard_pids=()
