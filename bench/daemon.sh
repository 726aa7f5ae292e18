#!/bin/bash
# The daemon with many folder sources (files of 100 sources each, one company per file;
# each source's folder holds one small PDF; `schedule: manual`), on /var/tmp (a real
# disk):
#   - `goniec check` of 15, 1,500 and N sources (CPU; loading must grow linearly);
#   - daemon start (launch until the control socket answers `status`), master memory;
#   - the cost of one run through the daemon with 15 and with N sources in conf.d, each
#     filing one new document: the worker's CPU (the master's children's CPU before and
#     after `goniec fetch NAME`, median of RUNS) and the wall time of the fetch;
#   - all N sources run once (`goniec fetch` through the socket, default workers);
#   - master memory after, and `goniec status` / `status --json` (wall and CPU).
# N=BENCH_DAEMON_SOURCES (default 15000), RUNS=BENCH_DAEMON_RUNS (default 9).
set -eu
GONIEC=${GONIEC:-$(cd "$(dirname "$0")/.." && pwd)/build/goniec}
N=${BENCH_DAEMON_SOURCES:-15000}
RUNS=${BENCH_DAEMON_RUNS:-9}
base=$(mktemp -d /var/tmp/goniec-bench-daemon.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$base"' EXIT

# make_conf DIR COUNT: COUNT folder sources with one 2 KB PDF each.
make_conf() { python3 "$(dirname "$0")/../tests/fixtures/many_sources.py" "$1" "$2" "" 2000; }
ms() { date +%s%N | cut -b1-13; }
rss_mib() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
# CPU ms of a command (user + system, children included).
cpu_ms() {
	local TIMEFORMAT='%3U %3S'
	{ time "$@" >/dev/null 2>&1; } 2>&1 | awk '{printf "%d", ($1 + $2) * 1000}'
}
# The master's children's CPU so far (finished workers), in ms.
children_ms() { awk -v hz="$(getconf CLK_TCK)" '{printf "%d", ($16 + $17) * 1000 / hz}' "/proc/$1/stat"; }
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
start_daemon() { # DIR
	"$GONIEC" -q -c "$1/conf.d" run 2>"$1/daemon.log" &
	pid=$!
	until [ -S "$1/state/control.sock" ] && "$GONIEC" -q -c "$1/conf.d" status --json >/dev/null 2>&1; do
		sleep 0.02
	done
}
stop_daemon() { kill "$pid"; wait "$pid" || true; pid=; }
# One source run again and again through the daemon: "worker CPU ms, fetch wall ms".
one_run() { # DIR
	local w=() f=() i a t0
	for i in $(seq "$RUNS"); do
		printf '%%PDF-1.4\n%s\n%%%%EOF\n' "$i-$RANDOM" >"$1/in/s00007/FV-again-$i.pdf"
		a=$(children_ms "$pid")
		t0=$(ms)
		"$GONIEC" -q -c "$1/conf.d" fetch s00007 >/dev/null
		f+=($(($(ms) - t0)))
		w+=($(($(children_ms "$pid") - a)))
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
a=$(children_ms "$pid")
t0=$(ms)
"$GONIEC" -q -c "$d/conf.d" fetch >"$d/fetch.out"
t1=$(ms)
ok=$(grep -c ': ok' "$d/fetch.out" || true)
filed=$(find "$d/spool" -name '*.meta.json' | wc -l)
echo "run all $N sources once (default workers): $((t1 - t0)) ms ($ok ok, $filed documents;" \
	"workers' CPU $(($(children_ms "$pid") - a)) ms; load average $(cut -d' ' -f1-3 /proc/loadavg))"
echo "master RSS after the runs: $(rss_mib "$pid") MiB"
for opt in "" --json; do
	t0=$(ms)
	c=$(cpu_ms "$GONIEC" -q -c "$d/conf.d" status $opt)
	echo "status $opt ($N sources): $(($(ms) - t0)) ms wall, $c ms CPU"
done
stop_daemon
