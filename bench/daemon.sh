#!/bin/bash
# The daemon with a conf.d of 1,000 folder sources (one file of 100 sources each, each
# source's folder holding one small PDF): `goniec check` time, daemon start time (launch
# until the control socket answers `status`), the master's memory at rest, the time for
# the daemon to run all 1,000 sources once (`goniec fetch` through the socket, default
# number of workers), and the master's memory after that. On /var/tmp (a real disk).
set -eu
GONIEC=${GONIEC:-$(cd "$(dirname "$0")/.." && pwd)/build/goniec}
N=${BENCH_DAEMON_SOURCES:-1000}
base=$(mktemp -d /var/tmp/goniec-bench-daemon.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$base"' EXIT
mkdir -p "$base/conf.d" "$base/in"
printf 'agent: {spool: %s/spool, state: %s/state}\n' "$base" "$base" >"$base/conf.d/00-agent.yaml"
python3 - "$base" "$N" <<'PY'
import os, sys
base, n = sys.argv[1], int(sys.argv[2])
for f in range(0, n, 100):
    with open(f"{base}/conf.d/{f // 100 + 10:03d}-sources.yaml", "w") as out:
        out.write("sources:\n")
        for i in range(f, min(f + 100, n)):
            d = f"{base}/in/s{i:04d}"
            os.makedirs(d)
            with open(f"{d}/FV-{i}.pdf", "wb") as p:
                p.write(b"%PDF-1.4\n" + os.urandom(2000) + b"\n%%EOF\n")
            out.write(f"  - {{name: s{i:04d}, type: folder, path: {d}, settle: 0s, schedule: manual}}\n")
PY
ms() { date +%s%N | cut -b1-13; }
rss_mib() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

t0=$(ms); "$GONIEC" -q -c "$base/conf.d" check >/dev/null; t1=$(ms)
echo "check ($N sources): $((t1 - t0)) ms"

t0=$(ms)
"$GONIEC" -q -c "$base/conf.d" run 2>"$base/daemon.log" &
pid=$!
until "$GONIEC" -q -c "$base/conf.d" status --json >/dev/null 2>&1 &&
	[ -S "$base/state/control.sock" ]; do sleep 0.02; done
t1=$(ms)
echo "daemon start until it answers: $((t1 - t0)) ms"
sleep 1
echo "master RSS at rest: $(rss_mib "$pid") MiB"

t0=$(ms)
"$GONIEC" -q -c "$base/conf.d" fetch >"$base/fetch.out"
t1=$(ms)
ok=$(grep -c ': ok' "$base/fetch.out" || true)
filed=$(find "$base/spool" -name '*.meta.json' | wc -l)
echo "run all $N sources once (4 workers): $((t1 - t0)) ms ($ok ok, $filed documents filed)"
echo "master RSS after the runs: $(rss_mib "$pid") MiB"
kill "$pid"; wait "$pid" || true; pid=
